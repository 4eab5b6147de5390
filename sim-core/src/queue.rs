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
//! Cancellation is by tombstone: [`EventQueue::cancel`] records the event's sequence and the event
//! is discarded when it reaches the top. Tombstones never outnumber live events for long: once they
//! exceed half the heap (and a small floor), the heap is rebuilt without them and every tombstone is
//! dropped, including those of events that had already fired. Memory is therefore proportional to
//! the events pending.

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
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        EventQueue { heap: Vec::new(), root_dirty: false, next_sequence: 0, cancelled: LookupMap::new() }
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

    /// Removes and returns the earliest live event, skipping cancelled ones.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        loop {
            self.settle_root();
            if self.heap.is_empty() {
                return None;
            }
            let top = self.heap.swap_remove(0);
            self.root_dirty = !self.heap.is_empty();
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
            let top = self.heap.first()?;
            if !self.cancelled.is_empty() && self.cancelled.contains_key(&top.sequence()) {
                let top = self.heap.swap_remove(0);
                self.cancelled.remove(&top.sequence());
                self.root_dirty = !self.heap.is_empty();
                continue;
            }
            return Some(top.time());
        }
    }

    /// Cancels a scheduled event. Cancelling an event that already fired or was already cancelled
    /// is allowed and has no effect on what fires.
    pub fn cancel(&mut self, id: EventId) {
        if id.0 >= self.next_sequence {
            return;
        }
        self.cancelled.insert(id.0, ());
        if self.cancelled.len() > TOMBSTONE_FLOOR && self.cancelled.len() > self.heap.len() / 2 {
            self.purge_tombstones();
        }
    }

    /// Entries held, including cancelled ones not yet discarded (never more than about twice the
    /// live events, see the module documentation).
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// True when no entry is held at all. A queue holding only cancelled entries is not empty by
    /// this measure, but [`EventQueue::pop`] returns `None` on it.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
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
        self.heap.capacity() * std::mem::size_of::<Entry<E>>()
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
                        let t = now + rng.below(8);
                        let id = queue.push(SimTime::from_nanos(t), step);
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
}
