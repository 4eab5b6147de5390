//! The event queue.
//!
//! **Ordering contract: events fire in increasing time, and events scheduled for the same time fire
//! in the order they were scheduled (first in, first out), whatever their payload.** The queue keys
//! every event by `(time, sequence)`, where the sequence is the insertion counter.
//!
//! The queue is a 4-ary min-heap with the payload stored inline. A pop leaves the root "dirty"
//! (holding the former last leaf) and defers the sift-down: if the next operation is a push, as it
//! is when a handler schedules a follow-up event, the new event takes the root and one sift-down
//! serves both operations. This is the classic hold-model fast path.
//!
//! Events a caller schedules in a *lane* ([`EventQueue::push_in_lane`]) wait in a FIFO of their own
//! instead of the heap, as long as each lands no earlier than the lane's last (a fixed delay from
//! a clock that never goes back, as a request's timeout is); otherwise they go to the heap. A pop
//! takes the least `(time, sequence)` among the heap's root and the lanes' fronts, so lanes change
//! the cost, never the order. Timeouts that are nearly all cancelled then cost a push and a pop
//! at the ends of a deque, and do not deepen the heap.
//!
//! Cancellation is by tombstone: [`EventQueue::cancel`] records the event's sequence and the event
//! is discarded when it reaches the top. Tombstones never outnumber live events for long: once they
//! exceed half the heap (and a small floor), the heap is rebuilt without them and every tombstone is
//! dropped, including those of events that had already fired. Memory is therefore proportional to
//! the events pending.

use std::collections::VecDeque;

use crate::lookup::LookupMap;
use crate::time::SimTime;

/// Identifies a scheduled event, for cancellation. It is the event's insertion sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventId(u64);

impl EventId {
    pub const fn sequence(self) -> u64 {
        self.0
    }
}

#[derive(Clone, Debug)]
struct Entry<E> {
    /// `time << 64 | sequence`: one comparison orders by time, then by insertion.
    key: u128,
    event: E,
}

impl<E> Entry<E> {
    fn time(&self) -> SimTime {
        SimTime::from_nanos((self.key >> 64) as u64)
    }
    fn sequence(&self) -> u64 {
        self.key as u64
    }
}

const ARITY: usize = 4;
/// Lanes beyond this many are not kept: their events go to the heap.
const MAX_LANES: usize = 8;
/// Below this many tombstones the heap is never rebuilt: rebuilding a tiny heap buys nothing.
const TOMBSTONE_FLOOR: usize = 64;

/// A priority queue of events ordered by `(time, insertion sequence)`; see the module documentation
/// for the ordering contract.
#[derive(Clone, Debug)]
pub struct EventQueue<E> {
    heap: Vec<Entry<E>>,
    /// The root holds the former last leaf after a pop; it must be sifted down before it is read.
    root_dirty: bool,
    next_sequence: u64,
    /// Sequences of cancelled events; only ever asked whether it holds one (never iterated).
    cancelled: LookupMap<u64, ()>,
    /// FIFO lanes, each in increasing `(time, sequence)` order.
    lanes: Vec<VecDeque<Entry<E>>>,
}

/// Where the earliest entry is.
#[derive(Clone, Copy)]
enum Source {
    Heap,
    Lane(usize),
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        EventQueue {
            heap: Vec::new(),
            root_dirty: false,
            next_sequence: 0,
            cancelled: LookupMap::new(),
            lanes: Vec::new(),
        }
    }

    /// Schedules `event` at `time`; returns its id for cancellation.
    pub fn push(&mut self, time: SimTime, event: E) -> EventId {
        let sequence = self.next_sequence;
        self.next_sequence += 1;
        let entry = Entry { key: (u128::from(time.as_nanos()) << 64) | u128::from(sequence), event };
        if self.root_dirty {
            // Fused pop-then-push: the new entry takes the root, the displaced leaf goes back to
            // the end, where it was a leaf a moment ago (its old parent still precedes it).
            self.root_dirty = false;
            let displaced = std::mem::replace(&mut self.heap[0], entry);
            self.sift_down(0);
            self.heap.push(displaced);
            self.sift_up(self.heap.len() - 1);
        } else {
            self.heap.push(entry);
            self.sift_up(self.heap.len() - 1);
        }
        EventId(sequence)
    }

    /// Schedules `event` at `time` in FIFO lane `lane` (see the module documentation): the same
    /// order as [`EventQueue::push`], cheaper for events of one fixed delay that are mostly
    /// cancelled. An event earlier than the lane's last, or of a lane beyond the few kept, goes to
    /// the heap.
    pub fn push_in_lane(&mut self, lane: usize, time: SimTime, event: E) -> EventId {
        if lane >= MAX_LANES {
            return self.push(time, event);
        }
        if self.lanes.len() <= lane {
            self.lanes.resize_with(lane + 1, VecDeque::new);
        }
        let sequence = self.next_sequence;
        let key = (u128::from(time.as_nanos()) << 64) | u128::from(sequence);
        if self.lanes[lane].back().is_some_and(|last| last.key > key) {
            return self.push(time, event);
        }
        self.next_sequence += 1;
        self.lanes[lane].push_back(Entry { key, event });
        EventId(sequence)
    }

    /// Where the earliest entry is, if any (the root must be settled).
    fn earliest(&self) -> Option<(Source, u128)> {
        let mut best = self.heap.first().map(|e| (Source::Heap, e.key));
        for (i, lane) in self.lanes.iter().enumerate() {
            if let Some(front) = lane.front()
                && best.is_none_or(|(_, key)| front.key < key)
            {
                best = Some((Source::Lane(i), front.key));
            }
        }
        best
    }

    fn take(&mut self, source: Source) -> Entry<E> {
        match source {
            Source::Heap => {
                let top = self.heap.swap_remove(0);
                self.root_dirty = !self.heap.is_empty();
                top
            }
            Source::Lane(i) => self.lanes[i].pop_front().expect("the lane had a front"),
        }
    }

    /// Removes and returns the earliest live event, skipping cancelled ones.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        loop {
            self.settle_root();
            let (source, _) = self.earliest()?;
            let top = self.take(source);
            if !self.cancelled.is_empty() && self.cancelled.remove(&top.sequence()).is_some() {
                continue;
            }
            return Some((top.time(), top.event));
        }
    }

    /// The time of the earliest live event, discarding cancelled events found on top.
    pub fn peek_time(&mut self) -> Option<SimTime> {
        loop {
            self.settle_root();
            let (source, key) = self.earliest()?;
            let sequence = key as u64;
            if !self.cancelled.is_empty() && self.cancelled.contains_key(&sequence) {
                self.take(source);
                self.cancelled.remove(&sequence);
                continue;
            }
            return Some(SimTime::from_nanos((key >> 64) as u64));
        }
    }

    /// Cancels a scheduled event. Cancelling an event that already fired or was already cancelled
    /// is allowed and has no effect on what fires.
    pub fn cancel(&mut self, id: EventId) {
        if id.0 >= self.next_sequence {
            return;
        }
        self.cancelled.insert(id.0, ());
        if self.cancelled.len() > TOMBSTONE_FLOOR && self.cancelled.len() > self.len() / 2 {
            self.purge_tombstones();
        }
    }

    /// Entries held, including cancelled ones not yet discarded (never more than about twice the
    /// live events, see the module documentation).
    pub fn len(&self) -> usize {
        self.heap.len() + self.lanes.iter().map(VecDeque::len).sum::<usize>()
    }

    /// True when no entry is held at all. A queue holding only cancelled entries is not empty by
    /// this measure, but [`EventQueue::pop`] returns `None` on it.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty() && self.lanes.iter().all(VecDeque::is_empty)
    }

    /// Tombstones currently recorded.
    pub fn cancelled_len(&self) -> usize {
        self.cancelled.len()
    }

    /// Bytes one pending event occupies in the heap (the payload plus its 16-byte key).
    pub const fn entry_bytes() -> usize {
        std::mem::size_of::<Entry<E>>()
    }

    /// Bytes reserved by the heap, for memory reports.
    pub fn capacity_bytes(&self) -> usize {
        (self.heap.capacity() + self.lanes.iter().map(VecDeque::capacity).sum::<usize>())
            * std::mem::size_of::<Entry<E>>()
    }

    fn settle_root(&mut self) {
        if self.root_dirty {
            self.root_dirty = false;
            self.sift_down(0);
        }
    }

    fn purge_tombstones(&mut self) {
        self.root_dirty = false;
        let cancelled = std::mem::take(&mut self.cancelled);
        self.heap.retain(|e| !cancelled.contains_key(&e.sequence()));
        for lane in &mut self.lanes {
            lane.retain(|e| !cancelled.contains_key(&e.sequence()));
            lane.shrink_to(lane.len() * 2);
        }
        // Bottom-up heapify: every internal node, last first.
        if self.heap.len() > 1 {
            for i in (0..=(self.heap.len() - 2) / ARITY).rev() {
                self.sift_down(i);
            }
        }
        self.heap.shrink_to(self.heap.len() * 2);
    }

    fn sift_up(&mut self, mut i: usize) {
        while i > 0 {
            let parent = (i - 1) / ARITY;
            if self.heap[i].key >= self.heap[parent].key {
                break;
            }
            self.heap.swap(i, parent);
            i = parent;
        }
    }

    fn sift_down(&mut self, mut i: usize) {
        let len = self.heap.len();
        loop {
            let first = i * ARITY + 1;
            if first >= len {
                return;
            }
            let last = (first + ARITY).min(len);
            let mut best = first;
            let mut best_key = self.heap[first].key;
            for c in first + 1..last {
                let k = self.heap[c].key;
                if k < best_key {
                    best = c;
                    best_key = k;
                }
            }
            if best_key >= self.heap[i].key {
                return;
            }
            self.heap.swap(i, best);
            i = best;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::rng::Seed;

    /// The queue against a plain ordered map keyed by (time, sequence): a randomised sequence of
    /// push, pop, cancel and peek must agree at every step.
    #[test]
    fn agrees_with_a_btreemap_shadow() {
        for seed in 0..20u64 {
            let mut rng = Seed(seed).stream("queue-shadow");
            let mut queue: EventQueue<u64> = EventQueue::new();
            let mut shadow: BTreeMap<(u64, u64), u64> = BTreeMap::new();
            let mut ids: Vec<(EventId, u64)> = Vec::new();
            let mut now = 0u64;
            for step in 0..20_000u64 {
                match rng.below(10) {
                    0..=4 => {
                        // Few distinct times, so ties are common and the FIFO rule is exercised.
                        // Some go to lanes (0 and 1 with a fixed delay, so mostly in order; 9
                        // beyond the lanes kept), some of them earlier than the lane's last.
                        let which = rng.below(4);
                        let t = if which == 0 { now + 6 } else { now + rng.below(8) };
                        let id = match which {
                            0 => queue.push_in_lane(0, SimTime::from_nanos(t), step),
                            1 => queue.push_in_lane(rng.below(2) as usize * 9, SimTime::from_nanos(t), step),
                            _ => queue.push(SimTime::from_nanos(t), step),
                        };
                        shadow.insert((t, id.sequence()), step);
                        ids.push((id, t));
                    }
                    5..=7 => {
                        let expected = shadow.pop_first().map(|((t, _), v)| (SimTime::from_nanos(t), v));
                        let got = queue.pop();
                        assert_eq!(got, expected, "seed {seed} step {step}: pop");
                        if let Some((t, _)) = got {
                            now = t.as_nanos();
                        }
                    }
                    8 => {
                        if !ids.is_empty() {
                            let (id, t) = ids[rng.below(ids.len() as u64) as usize];
                            queue.cancel(id);
                            shadow.remove(&(t, id.sequence()));
                        }
                    }
                    _ => {
                        let expected = shadow.keys().next().map(|&(t, _)| SimTime::from_nanos(t));
                        assert_eq!(queue.peek_time(), expected, "seed {seed} step {step}: peek");
                    }
                }
                assert!(queue.len() >= shadow.len());
            }
            while let Some(expected) = shadow.pop_first() {
                assert_eq!(queue.pop(), Some((SimTime::from_nanos(expected.0.0), expected.1)), "seed {seed}: drain");
            }
            assert_eq!(queue.pop(), None);
        }
    }

    #[test]
    fn equal_times_fire_in_insertion_order() {
        let mut q = EventQueue::new();
        let t = SimTime::from_nanos(5);
        for i in 0..100 {
            q.push(t, i);
        }
        q.push(SimTime::from_nanos(1), -1);
        let order: Vec<i32> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        let expected: Vec<i32> = std::iter::once(-1).chain(0..100).collect();
        assert_eq!(order, expected);
    }

    #[test]
    fn cancelling_fired_or_unknown_events_is_harmless() {
        let mut q = EventQueue::new();
        let a = q.push(SimTime::from_nanos(1), 'a');
        q.push(SimTime::from_nanos(2), 'b');
        assert_eq!(q.pop(), Some((SimTime::from_nanos(1), 'a')));
        q.cancel(a);
        q.cancel(a);
        q.cancel(EventId(999));
        assert_eq!(q.pop(), Some((SimTime::from_nanos(2), 'b')));
        assert_eq!(q.pop(), None);
    }

    /// Memory follows the events pending: cancelling most events shrinks the heap and the
    /// tombstone set rather than letting either grow with the number ever scheduled.
    #[test]
    fn tombstones_are_purged() {
        let mut q = EventQueue::new();
        for round in 0..50u64 {
            let ids: Vec<EventId> = (0..1000).map(|i| q.push(SimTime::from_nanos(round * 1000 + i), i)).collect();
            for id in &ids[..990] {
                q.cancel(*id);
            }
        }
        assert!(q.len() <= 2 * 500 + TOMBSTONE_FLOOR * 2, "heap holds {} entries for 500 live events", q.len());
        assert!(q.cancelled_len() <= q.len() / 2 + TOMBSTONE_FLOOR + 1);
        let mut live = 0;
        while q.pop().is_some() {
            live += 1;
        }
        assert_eq!(live, 500);
    }

    fn ns(nanos: u64) -> SimTime {
        SimTime::from_nanos(nanos)
    }

    /// Emptiness counts every entry held, in the heap or in a lane, cancelled or not; a pop or a
    /// peek that discards the last cancelled entry makes the queue empty again.
    #[test]
    fn is_empty_counts_lane_and_cancelled_entries() {
        let mut q = EventQueue::new();
        assert!(q.is_empty());
        let a = q.push_in_lane(0, ns(5), 'a');
        assert!(!q.is_empty(), "an entry in a lane, none in the heap");
        q.cancel(a);
        assert!(!q.is_empty(), "a cancelled entry is held until it reaches the top");
        assert_eq!((q.len(), q.cancelled_len()), (1, 1));
        assert_eq!(q.pop(), None);
        assert!(q.is_empty(), "the pop discarded the cancelled entry");
        assert_eq!(q.cancelled_len(), 0, "and its tombstone");
        let b = q.push(ns(7), 'b');
        assert!(!q.is_empty(), "an entry in the heap, the lane it left behind empty");
        q.cancel(b);
        assert_eq!(q.peek_time(), None);
        assert!(q.is_empty(), "the peek discarded the cancelled entry");
        assert_eq!(q.cancelled_len(), 0);
    }

    /// A lane keeps the events that land no earlier than its last; an earlier one, or one of a lane
    /// beyond the eight kept, goes to the heap. The order is the same either way.
    #[test]
    fn lanes_keep_in_order_events_and_the_heap_takes_the_rest() {
        let mut q = EventQueue::new();
        q.push_in_lane(0, ns(10), 'a');
        q.push_in_lane(0, ns(10), 'b'); // same time as the lane's last: stays in the lane
        q.push_in_lane(0, ns(5), 'c'); // earlier than the lane's last: heap
        q.push_in_lane(MAX_LANES, ns(1), 'd'); // lane 8 is not kept: heap
        q.push_in_lane(MAX_LANES - 1, ns(20), 'e'); // lane 7 is
        assert_eq!(q.lanes.len(), MAX_LANES);
        assert_eq!((q.lanes[0].len(), q.lanes[MAX_LANES - 1].len(), q.heap.len()), (2, 1, 2));
        assert_eq!(q.len(), 5);
        let order: Vec<(SimTime, char)> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(order, vec![(ns(1), 'd'), (ns(5), 'c'), (ns(10), 'a'), (ns(10), 'b'), (ns(20), 'e')]);
    }

    /// The purge rule exactly: tombstones are dropped when there are more than 64 of them and
    /// more than half the entries held, not before. After a purge the order is intact (the heap
    /// was rebuilt from an arbitrary remainder) and each container keeps room for its live
    /// entries to double: `shrink_to` never leaves less than the bound asked for.
    #[test]
    fn tombstones_are_purged_above_the_floor_and_half_the_entries() {
        // The floor: 100 entries, so 51 tombstones already exceed half of them.
        let mut q = EventQueue::new();
        let ids: Vec<EventId> = (0..100).map(|i| q.push(ns(i), i)).collect();
        for id in &ids[..64] {
            q.cancel(*id);
        }
        assert_eq!((q.cancelled_len(), q.len()), (64, 100), "64 tombstones are not above the floor");
        q.cancel(ids[64]);
        assert_eq!((q.cancelled_len(), q.len()), (0, 35), "the 65th is");

        // Half: 200 entries, even ids in lane 0 at increasing times, odd ids in the heap at times
        // scattered by `i * 37 % 200` (a permutation of 0..200).
        let time = |i: u64| if i % 2 == 0 { i } else { i * 37 % 200 };
        let mut q = EventQueue::new();
        let ids: Vec<EventId> = (0..200)
            .map(|i| if i % 2 == 0 { q.push_in_lane(0, ns(time(i)), i) } else { q.push(ns(time(i)), i) })
            .collect();
        assert_eq!((q.lanes[0].len(), q.heap.len()), (100, 100));
        for id in &ids[..100] {
            q.cancel(*id);
        }
        assert_eq!((q.cancelled_len(), q.len()), (100, 200), "100 tombstones are not above half of 200");
        q.cancel(ids[100]);
        assert_eq!((q.cancelled_len(), q.len()), (0, 99), "the 101st is");
        // Left: even ids 102..=198 in the lane, odd ids 101..=199 in the heap.
        assert_eq!((q.lanes[0].len(), q.heap.len()), (49, 50));
        assert!(q.lanes[0].capacity() >= 2 * 49, "lane capacity {}", q.lanes[0].capacity());
        assert!(q.heap.capacity() >= 2 * 50, "heap capacity {}", q.heap.capacity());
        let mut expected: Vec<(u64, u64)> = (101..200).map(|i| (time(i), i)).collect();
        expected.sort_unstable();
        let drained: Vec<(u64, u64)> = std::iter::from_fn(|| q.pop().map(|(t, i)| (t.as_nanos(), i))).collect();
        assert_eq!(drained, expected);
    }

    /// Tombstones of events that already fired count toward a purge and are dropped by it; here
    /// the purge leaves a heap of exactly one entry, which needs no rebuilding.
    #[test]
    fn a_purge_of_fired_events_tombstones_can_leave_one_entry() {
        let mut q = EventQueue::new();
        let fired: Vec<EventId> = (0..65).map(|i| q.push(ns(i), 'f')).collect();
        while q.pop().is_some() {}
        q.push(ns(100), 'x');
        for id in &fired[..64] {
            q.cancel(*id);
        }
        assert_eq!((q.cancelled_len(), q.len()), (64, 1));
        q.cancel(fired[64]);
        assert_eq!((q.cancelled_len(), q.len()), (0, 1), "65 tombstones, more than half of one entry: purged");
        assert_eq!(q.pop(), Some((ns(100), 'x')));
        assert!(q.is_empty());
    }

    /// One entry is its 16-byte key and the payload (a payload of 16-byte alignment or less and a
    /// size that is a multiple of it leaves no padding).
    #[test]
    fn entry_bytes_is_the_key_plus_the_payload() {
        assert_eq!(EventQueue::<()>::entry_bytes(), 16);
        assert_eq!(EventQueue::<[u64; 2]>::entry_bytes(), 32);
        assert_eq!(EventQueue::<[u64; 6]>::entry_bytes(), 64);
    }

    /// Capacity counts the heap's and the lanes' reserved entries: nothing before the first push
    /// (an empty `Vec` or `VecDeque` does not allocate), at least the entries held after.
    #[test]
    fn capacity_bytes_counts_the_heap_and_the_lanes() {
        let mut q: EventQueue<[u64; 2]> = EventQueue::new();
        assert_eq!(q.capacity_bytes(), 0);
        for i in 0..10 {
            q.push_in_lane(0, ns(i), [i, 0]);
        }
        assert_eq!(q.heap.capacity(), 0, "every event went to the lane");
        let lane_only = q.capacity_bytes();
        assert!(lane_only >= 10 * 32, "{lane_only} bytes reserved for 10 entries of 32");
        assert_eq!(lane_only % 32, 0);
        q.push(ns(0), [10, 0]);
        let both = q.capacity_bytes();
        assert!(both >= lane_only + 32, "{both} bytes after one more entry in the heap ({lane_only} before)");
        assert_eq!(both % 32, 0);
    }
}
