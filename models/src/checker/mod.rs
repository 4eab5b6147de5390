//! The consistency checker: the version tree of every key, and the verdicts DESIGN.md defines.
//!
//! Every write is a version whose parent is the version the writing replica held when it wrote.
//! The checker keeps the tree of *live* versions only, with reference counts:
//!
//! - a **hold** is anything that can still make a version the final one or the parent of a future
//!   write: a replica whose current version it is, a replication message carrying it, a request
//!   waiting for its response, a read that must later be compared with it;
//! - a version with no hold and no live child is **dead**: nothing can ever descend from it, so it is
//!   neither the final version nor an ancestor of it; if it was acknowledged, it is a lost write;
//! - the root of a key's tree with no hold and exactly one live child has **survived**: every live
//!   version, hence every future one, descends from that child, so the root is an ancestor of the
//!   final version whatever happens next, and it is dropped.
//!
//! Both rules are decided the moment they become true, so memory grows with the versions still in
//! flight, never with the number of writes in the run.
//!
//! A third rule keeps undecided chains small: a version that is not a root, with no hold, no pin
//! and exactly one live child, has exactly its child's fate, and nothing will ask an ancestry
//! question about it. It is **spliced** out of the tree: its child takes its place under its
//! parent, and carries it as a 24-byte **passenger** (write, acknowledgement, Region, flags,
//! depth), with the passengers it carried itself. When the carrier dies its passengers die with it,
//! bottom first, with the verdicts the walk up the unspliced chain would have given; when it
//! becomes the root they survive. Under sustained contention each Region's lineage is such a
//! chain, undecided until writing stops: it then costs a passenger per write rather than a version.
//! A retried write answered from its idempotency record after it was spliced goes back into the
//! tree ([`VersionTree::revive`]). [`VersionTree::live`] counts passengers as live versions.
//!
//! Each key starts from a genesis version (the item not yet written), held by every replica, so a
//! key's live versions always form one tree.
//!
//! Client bookkeeping never holds a version. A session's last write and last read, the newest
//! acknowledged write of an item and a read's snapshot of it are **pins**: they keep the answer to
//! the questions a session asks (does this read descend from my write? is it an ancestor of what I
//! read before?) without keeping the version in the tree. A pinned version that leaves the tree
//! leaves a small tomb behind, for as long as it is pinned: *survived* (every version live now or
//! later descends from it) or *died* (none does; the tomb names the nearest ancestor that was live
//! when it died, pinned in turn, so "is this live version an ancestor of the one I read?" can still
//! be answered). So the tree, and the verdicts it gives, depend on the writes and the replicas
//! only, never on how many clients remember what.
//!
//! **Conflicts** are a property of writes: a write is *conflicted* when, at some replica, it met a
//! version concurrent with it (neither observed the other). The channels say so when it happens
//! ([`VersionTree::mark_conflicted`], and [`VersionTree::mark_discarded`] for a last-writer-wins
//! resolution, which marks both sides); each acknowledged write counts once. A write lost to
//! last-writer-wins counts as conflicted even when only a write that observed it met the winner:
//! it lost that resolution through its descendant.

mod losses;

use std::collections::{BTreeMap, BTreeSet};

use std::collections::hash_map::Entry;

use sim_core::{LookupMap, SimDuration, SimTime};

use crate::ids::{Key, RegionId, StoreId, WriteId};
use losses::Fold;
pub use losses::{LossTally, Span};

/// How a dead version is accounted, when it was acknowledged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LossCause {
    /// Overwritten by a concurrent write that won last-writer-wins.
    LastWriterWins,
    /// Held only by a Region that never came back (a permanent outage).
    RegionNeverReturned,
    /// Acknowledged by an Aurora writer and not yet shipped to the secondary promoted by a failover
    /// with allow-data-loss (or taken by the old writer after the failover began, before it was
    /// fenced): the new writer never had it.
    Failover,
}

/// How last-writer-wins resolved a conflict at one replica: the version it dropped, and the
/// concurrent version it kept instead (which had not observed the dropped one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resolution {
    /// When and where the version was dropped (the first replica that dropped it).
    pub at: SimTime,
    pub replica: RegionId,
    /// The dropped version's last-writer-wins timestamp (its Region's clock, in nanoseconds).
    pub stamp_nanos: u64,
    /// The version kept, the Region that took it and its timestamp.
    pub winner: WriteId,
    pub winner_region: RegionId,
    pub winner_stamp_nanos: u64,
}

/// What became of a version in the conflict list, once settled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ConflictOutcome {
    /// Acknowledged and lost (by the cause given; a dropped version is lost to last-writer-wins
    /// unless it was also a failover's or a vanished Region's).
    Lost(LossCause),
    /// Dropped somewhere but an ancestor of the final version: a write that observed it won.
    Survived,
    /// Dropped and dead, but never acknowledged to its client (a timeout): no client was told.
    NotAcknowledged,
    /// Still live when the run ended (the replicas had not converged on it or away from it).
    Unsettled,
}

impl ConflictOutcome {
    pub fn name(self) -> &'static str {
        match self {
            ConflictOutcome::Lost(LossCause::LastWriterWins) => "lost_last_writer_wins",
            ConflictOutcome::Lost(LossCause::Failover) => "lost_failover",
            ConflictOutcome::Lost(LossCause::RegionNeverReturned) => "lost_region_never_returned",
            ConflictOutcome::Survived => "survived",
            ConflictOutcome::NotAcknowledged => "not_acknowledged",
            ConflictOutcome::Unsettled => "unsettled",
        }
    }
}

/// One row of the conflict list: a write some replica dropped for a concurrent last-writer-wins
/// winner, or an acknowledged write lost to last-writer-wins (then `resolution` is `None` when it
/// was never dropped itself: it died because every write that observed it was dropped).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConflictRecord {
    pub store: StoreId,
    pub key: Key,
    pub write: WriteId,
    pub region: RegionId,
    pub acked_at: Option<SimTime>,
    pub resolution: Option<Resolution>,
    pub outcome: ConflictOutcome,
}

impl ConflictRecord {
    /// When the conflict showed: the first drop, else the loss (the acknowledgement).
    pub fn first_seen(&self) -> SimTime {
        self.resolution.map(|r| r.at).or(self.acked_at).unwrap_or(SimTime::ZERO)
    }
}

/// A lost write, as the report lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LostWrite {
    pub write: WriteId,
    pub store: StoreId,
    pub key: Key,
    pub region: RegionId,
    pub acked_at: SimTime,
    pub lost_at: SimTime,
    pub cause: LossCause,
}

/// A live version, packed into 64 bytes (the optional fields as raw values with presence bits in
/// `flags`): a million touched keys keep a million of them, so their size is the checker's cache
/// footprint.
#[derive(Clone, Debug)]
struct Version {
    key: Key,
    /// The parent's id, meaningful with [`HAS_PARENT`].
    parent: WriteId,
    /// Generations from the key's genesis (0). Kept when ancestors are pruned, so an ancestry
    /// question never walks further up than the depth of the ancestor asked about.
    depth: u32,
    /// Pins (see the module documentation): they keep the record while it is in the tree, and a
    /// tomb once it leaves it, but never decide whether it is dead.
    pins: u32,
    /// When the client received the acknowledgement, meaningful with [`ACKED`].
    acked_at: SimTime,
    /// An ancestor further up than the parent (Myers' skew-binary jump pointer; itself for a
    /// genesis version), so an ancestry question over a long chain takes logarithmically many
    /// steps. It may point above the key's root after pruning; such a jump is never taken (see
    /// [`VersionTree::descends_from`]).
    jump: WriteId,
    children: Children,
    holds: u32,
    /// The Region that took the write, meaningful with [`HAS_REGION`] (a genesis version has none).
    region: RegionId,
    flags: u8,
}

/// A version's live children, in the order they were written. Most versions have none or one, so
/// those cases take no allocation and 16 bytes.
#[derive(Clone, Debug)]
enum Children {
    None,
    One(WriteId),
    // Boxed so the enum takes 16 bytes (a boxed slice is a wide pointer); two or more live
    // children are rare (concurrent branches).
    #[allow(clippy::box_collection)]
    Many(Box<Vec<WriteId>>),
}

impl Children {
    fn is_empty(&self) -> bool {
        matches!(self, Children::None)
    }
    /// The child, when there is exactly one.
    fn only(&self) -> Option<WriteId> {
        match self {
            Children::One(c) => Some(*c),
            _ => None,
        }
    }
    fn push(&mut self, id: WriteId) {
        *self = match std::mem::replace(self, Children::None) {
            Children::None => Children::One(id),
            Children::One(c) => Children::Many(Box::new(vec![c, id])),
            Children::Many(mut v) => {
                v.push(id);
                Children::Many(v)
            }
        };
    }
    /// Puts `new` where `old` was, in the same place among the children.
    fn replace(&mut self, old: WriteId, new: WriteId) {
        match self {
            Children::One(c) if *c == old => *c = new,
            Children::Many(v) => {
                if let Some(c) = v.iter_mut().find(|c| **c == old) {
                    *c = new;
                }
            }
            _ => {}
        }
    }
    fn remove(&mut self, id: WriteId) {
        *self = match std::mem::replace(self, Children::None) {
            Children::One(c) if c == id => Children::None,
            Children::Many(mut v) => {
                v.retain(|&c| c != id);
                match v.as_slice() {
                    [] => Children::None,
                    [c] => Children::One(*c),
                    _ => Children::Many(v),
                }
            }
            other => other,
        };
    }
}

/// `Version::flags`: it has a parent (it is not its key's root).
const HAS_PARENT: u8 = 1;
/// It was written by a Region (it is not a genesis version).
const HAS_REGION: u8 = 2;
/// Acknowledged to its client.
const ACKED: u8 = 4;
/// Some replica dropped it for a concurrent version that won last-writer-wins.
const DISCARDED: u8 = 8;
/// A failover discarded a hold on it (see [`VersionTree::release_as`]).
const FAILED_OVER: u8 = 16;
/// It met a concurrent version at some replica (see [`VersionTree::mark_conflicted`]).
const CONFLICTED: u8 = 32;
/// It carries passengers: versions spliced out of the chain above it (see [`Passenger`]).
const CARRIES: u8 = 64;
/// The flags a passenger keeps: those its fate's verdicts read.
const PASSENGER_FLAGS: u8 = ACKED | DISCARDED | FAILED_OVER | CONFLICTED;
/// A passenger's flag (never a version's): it stands for a [`Fold`] of acknowledged passengers, and
/// its `write` is the fold's index in [`Passengers::folds`].
const FOLDED: u8 = 1;

/// A version spliced out of a chain: it had no hold, no pin and exactly one live child, so nothing
/// will ask an ancestry question about it and its fate is its child's. It rides with that child
/// (and with the child's child if the child is spliced in turn), keeping only what the verdicts on
/// its fate read, in 24 bytes rather than a [`Version`]'s 64 and a map entry. Under sustained
/// contention each Region's lineage is such a chain, undecided until writing stops.
#[derive(Clone, Copy, Debug)]
struct Passenger {
    write: WriteId,
    /// Meaningful with [`ACKED`] in `flags`.
    acked_at: SimTime,
    /// Its depth, kept so it can be put back in the tree between its carrier and the carrier's
    /// parent (see [`VersionTree::revive`]).
    depth: u32,
    region: RegionId,
    /// [`PASSENGER_FLAGS`] only.
    flags: u8,
}

/// The passengers of one carrier, from the top of its chain (nearest the carrier's parent) to the
/// bottom (nearest the carrier): ids increase down the chain when writes are numbered as they are
/// created, which `sorted` records so a passenger can be found by binary search. When losses are
/// streamed (see [`VersionTree::stream_losses`]), acknowledged passengers not marked by a failover
/// are folded: consecutive ones take one entry, standing for a [`Fold`].
#[derive(Clone, Debug)]
struct Passengers {
    list: Vec<Passenger>,
    /// Whether the ids of `list` increase; never with a fold in it.
    sorted: bool,
    folds: Vec<Fold>,
    /// The intervals the folds count writes in, summed (kept as the list changes, so a splice
    /// does not walk a lineage's folds to count its entries).
    intervals: usize,
}

impl Passengers {
    fn new() -> Self {
        Passengers { list: Vec::new(), sorted: true, folds: Vec::new(), intervals: 0 }
    }

    /// Where passenger `write` rides (never a folded one: an acknowledged write is never revived).
    fn position(&self, write: WriteId) -> Option<usize> {
        if self.sorted {
            self.list.binary_search_by_key(&write, |p| p.write).ok()
        } else {
            self.list.iter().position(|p| p.flags & FOLDED == 0 && p.write == write)
        }
    }

    /// Entries held: one per passenger riding alone or fold, and one per interval a fold counts.
    fn entries(&self) -> usize {
        debug_assert_eq!(self.intervals, self.folds.iter().map(Fold::intervals).sum::<usize>());
        self.list.len() + self.intervals
    }

    /// The writes riding, folded ones included.
    fn writes(&self) -> usize {
        let folded: u64 = self.folds.iter().map(|f| f.count).sum();
        self.list.len() - self.folds.len() + folded as usize
    }

    /// Puts `p` at the bottom, folded into the bottom fold when `fold` is given.
    fn push(&mut self, p: Passenger, fold: Option<SimDuration>) {
        let Some(interval) = fold else {
            self.sorted &= self.list.last().is_none_or(|last| last.write < p.write);
            self.list.push(p);
            return;
        };
        let (discarded, conflicted) = (p.flags & DISCARDED != 0, p.flags & CONFLICTED != 0);
        if let Some(last) = self.list.last()
            && last.flags & FOLDED != 0
        {
            let fold = &mut self.folds[last.write.0 as usize];
            let before = fold.intervals();
            fold.add(p.region, p.acked_at, discarded, conflicted, interval);
            self.intervals += fold.intervals() - before;
            return;
        }
        self.sorted = false;
        self.list.push(Passenger { write: WriteId(self.folds.len() as u64), flags: FOLDED, ..p });
        self.folds.push(Fold::of(p.region, p.acked_at, discarded, conflicted, interval));
        self.intervals += 1;
    }

    /// Puts `below` under these (a fold at the bottom here and one at the top there merge).
    fn append(&mut self, mut below: Passengers) {
        if below.folds.is_empty() {
            self.sorted &=
                below.sorted && self.list.last().zip(below.list.first()).is_none_or(|(a, b)| a.write < b.write);
            self.list.append(&mut below.list);
            return;
        }
        self.sorted = false;
        self.intervals += below.intervals;
        let mut folds = below.folds.into_iter();
        let mut entries = below.list.into_iter().peekable();
        if let (Some(last), Some(first)) = (self.list.last(), entries.peek())
            && last.flags & FOLDED != 0
            && first.flags & FOLDED != 0
        {
            let merged = folds.next().expect("a fold for each folded entry");
            let fold = &mut self.folds[last.write.0 as usize];
            let before = fold.intervals() + merged.intervals();
            fold.merge(merged);
            // The two folds' boundary interval may now be one entry.
            self.intervals -= before - fold.intervals();
            entries.next();
        }
        for p in entries {
            if p.flags & FOLDED != 0 {
                self.list.push(Passenger { write: WriteId(self.folds.len() as u64), ..p });
                self.folds.push(folds.next().expect("a fold for each folded entry"));
            } else {
                self.list.push(p);
            }
        }
    }

    /// Splits off the passengers below position `at`, with their folds.
    fn split_below(&mut self, at: usize) -> Passengers {
        let tail = self.list.split_off(at);
        let mut below = Passengers { list: Vec::new(), sorted: self.sorted, folds: Vec::new(), intervals: 0 };
        if self.folds.is_empty() {
            below.list = tail;
            return below;
        }
        let kept = self.list.iter().filter(|p| p.flags & FOLDED != 0).count();
        let mut moved = self.folds.split_off(kept).into_iter();
        for p in tail {
            if p.flags & FOLDED != 0 {
                below.list.push(Passenger { write: WriteId(below.folds.len() as u64), ..p });
                below.folds.push(moved.next().expect("a fold for each folded entry"));
            } else {
                below.list.push(p);
            }
        }
        below.sorted = false;
        below.intervals = below.folds.iter().map(Fold::intervals).sum();
        self.intervals -= below.intervals;
        below
    }
}

/// What the checker keeps of a version that left the tree while pinned.
#[derive(Clone, Copy, Debug)]
struct Tomb {
    fate: Fate,
    acked_at: Option<SimTime>,
    pins: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fate {
    /// Pruned as a root with one live child: an ancestor of every version live now or later.
    Survived,
    /// Dead: no version descends from it. `anchor` is its nearest ancestor live when it died (pinned
    /// by this tomb), or none when its whole key left the tree.
    Died { anchor: Option<WriteId> },
}

impl Version {
    fn genesis(key: Key, holds: u32) -> Self {
        Version {
            key,
            parent: WriteId(0),
            depth: 0,
            pins: 0,
            acked_at: SimTime::ZERO,
            jump: WriteId(0),
            children: Children::None,
            holds,
            region: RegionId::from_raw(0),
            flags: 0,
        }
    }
    fn write(key: Key, parent: WriteId, jump: WriteId, depth: u32, holds: u32, region: RegionId) -> Self {
        Version {
            key,
            parent,
            depth,
            pins: 0,
            acked_at: SimTime::ZERO,
            jump,
            children: Children::None,
            holds,
            region,
            flags: HAS_PARENT | HAS_REGION,
        }
    }
    fn parent(&self) -> Option<WriteId> {
        (self.flags & HAS_PARENT != 0).then_some(self.parent)
    }
    fn region(&self) -> Option<RegionId> {
        (self.flags & HAS_REGION != 0).then_some(self.region)
    }
    fn acked_at(&self) -> Option<SimTime> {
        (self.flags & ACKED != 0).then_some(self.acked_at)
    }
    fn conflicted(&self) -> bool {
        self.flags & CONFLICTED != 0
    }
    fn set(&mut self, flag: u8, on: bool) {
        if on {
            self.flags |= flag;
        }
    }
}

/// The live version trees of one store.
#[derive(Clone, Debug)]
pub struct VersionTree {
    store: StoreId,
    replicas: u32,
    /// Looked up only, never iterated (so a hash map cannot order anything): a million touched
    /// keys keep a million genesis versions live.
    versions: LookupMap<WriteId, Version>,
    /// Per key with live versions: its root, the genesis version or the version that replaced it
    /// when it was pruned (looked up only).
    keys: LookupMap<Key, WriteId>,
    /// Versions that left the tree while pinned (looked up only): as many as there are pins on
    /// versions no longer in the tree, at most.
    tombs: LookupMap<WriteId, Tomb>,
    /// Per carrier (a live version with [`CARRIES`]), the versions spliced out above it (looked up
    /// only).
    passengers: LookupMap<WriteId, Passengers>,
    /// Passengers in all lists, folded ones included.
    passenger_count: usize,
    /// Entries of all lists (see [`Passengers::entries`]).
    passenger_entries: usize,
    /// Whether interior versions are spliced out (off only in tests, as the reference).
    splicing: bool,
    /// Every loss, counted as it is decided.
    losses: LossTally,
    /// Whether to list each lost write too (`lost`), as tests and cross-store accounting need;
    /// without it, and without `listing`, acknowledged passengers are folded.
    keep_lost: bool,
    lost: Vec<LostWrite>,
    /// Versions settled as survivors, acknowledged or not.
    survived: u64,
    /// Acknowledged writes that met a concurrent version at some replica, each counted once, when
    /// it is both (see the module documentation).
    conflicted_acked: u64,
    /// Acknowledged versions that were discarded somewhere, counted as they settle.
    discarded_acked: u64,
    /// The largest number of live versions held at once, for the memory report.
    live_max: usize,
    /// The largest number of version records and tombs at once (passengers apart).
    records_max: usize,
    /// Whether to keep the conflict list (memory then grows with the conflicts of the run).
    listing: bool,
    /// With `listing`: the first resolution that dropped each live version.
    resolutions: BTreeMap<WriteId, Resolution>,
    /// With `listing`: settled rows, by write.
    conflict_rows: BTreeMap<WriteId, ConflictRecord>,
    /// Keys whose root became prunable (no hold, one live child) outside a release: a write on a
    /// root that had no hold and no child (see [`VersionTree::create`]). Empty in practice; it lets
    /// a release skip the root check when it cannot have changed the root.
    prune_pending: BTreeSet<Key>,
}

impl VersionTree {
    /// A tree for a store with `replicas` replicas (each holds every key's genesis version).
    pub fn new(store: StoreId, replicas: u32) -> Self {
        VersionTree {
            store,
            replicas,
            versions: LookupMap::new(),
            keys: LookupMap::new(),
            tombs: LookupMap::new(),
            passengers: LookupMap::new(),
            passenger_count: 0,
            passenger_entries: 0,
            splicing: true,
            losses: LossTally::new(SimDuration::from_secs(1)),
            keep_lost: true,
            lost: Vec::new(),
            survived: 0,
            conflicted_acked: 0,
            discarded_acked: 0,
            live_max: 0,
            records_max: 0,
            listing: false,
            resolutions: BTreeMap::new(),
            conflict_rows: BTreeMap::new(),
            prune_pending: BTreeSet::new(),
        }
    }

    /// Keeps the conflict list from now on (see [`VersionTree::conflict_list`]). Off by default,
    /// since it grows with the conflicts of the run rather than with the writes in flight.
    pub fn keep_conflict_list(&mut self) {
        self.listing = true;
    }

    /// Counts losses into a tally whose series have `interval`-wide buckets, without listing each
    /// lost write: memory then follows the writes still undecided, not those lost, and acknowledged
    /// passengers are folded (see [`Passengers`]) unless the conflict list is kept. Call before the
    /// first write.
    /// With `keep_list`, each lost write is listed all the same (see [`VersionTree::lost`]).
    pub fn stream_losses(&mut self, interval: SimDuration, keep_list: bool) {
        assert!(self.losses.total() == 0 && self.passengers.is_empty(), "losses are streamed from the first write");
        self.losses = LossTally::new(interval);
        self.keep_lost = keep_list;
    }

    /// The losses decided so far, counted.
    pub fn losses(&self) -> &LossTally {
        &self.losses
    }

    /// The interval to fold passengers by, when they are folded.
    fn folding(&self) -> Option<SimDuration> {
        (!self.keep_lost && !self.listing).then_some(self.losses.interval())
    }

    /// Decides the loss of acknowledged write `lost`.
    fn lose(&mut self, lost: LostWrite) {
        self.losses.add(lost.region, lost.acked_at, lost.cause);
        if self.keep_lost {
            self.lost.push(lost);
        }
    }

    /// Every write dropped by last-writer-wins and every acknowledged write lost to it, one row
    /// each, sorted by (first seen, write); versions still live are `Unsettled`. Empty unless
    /// [`VersionTree::keep_conflict_list`] was called before the first write.
    pub fn conflict_list(&self) -> Vec<ConflictRecord> {
        let mut rows: Vec<ConflictRecord> = self.conflict_rows.values().copied().collect();
        // Dropped versions still riding as passengers, by write (visited in carrier order).
        let mut riding: BTreeMap<WriteId, (Key, Passenger)> = BTreeMap::new();
        if self.resolutions.keys().any(|w| !self.versions.contains_key(w)) {
            for carrier in self.passengers.sorted_keys() {
                let key = self.get(carrier).key;
                for p in &self.passengers[&carrier].list {
                    if self.resolutions.contains_key(&p.write) {
                        riding.insert(p.write, (key, *p));
                    }
                }
            }
        }
        for (&write, &r) in &self.resolutions {
            let (key, region, acked_at) = match self.versions.get(&write) {
                Some(v) => (v.key, v.region().expect("a genesis version is never dropped"), v.acked_at()),
                None => {
                    let (key, p) = riding[&write];
                    (key, p.region, (p.flags & ACKED != 0).then_some(p.acked_at))
                }
            };
            rows.push(ConflictRecord {
                store: self.store,
                key,
                write,
                region,
                acked_at,
                resolution: Some(r),
                outcome: ConflictOutcome::Unsettled,
            });
        }
        rows.sort_by_key(|r| (r.first_seen(), r.write));
        rows
    }

    /// The genesis version of `key`, created on first touch with one hold per replica. `fresh` is
    /// the id to use if it must be created; returns whether it was used.
    pub fn genesis(&mut self, key: Key, fresh: WriteId) -> (WriteId, bool) {
        match self.keys.entry(key) {
            Entry::Occupied(k) => (*k.get(), false),
            Entry::Vacant(k) => {
                k.insert(fresh);
                let mut v = Version::genesis(key, self.replicas);
                v.jump = fresh;
                self.versions.insert(fresh, v);
                (fresh, true)
            }
        }
    }

    /// Records a new write `id` by `region` on top of `parent`, with `holds` initial holds.
    pub fn create(&mut self, id: WriteId, parent: WriteId, region: RegionId, holds: u32) {
        let jump = self.jump_for_child_of(parent);
        let p = self.get_mut(parent);
        let (key, depth, had_child) = (p.key, p.depth + 1, !p.children.is_empty());
        p.children.push(id);
        if p.parent().is_none() && p.holds == 0 && !had_child {
            // The root (a version with no parent is its key's root) now has no hold and one child.
            self.prune_pending.insert(key);
        }
        let v = Version::write(key, parent, jump, depth, holds, region);
        let previous = self.versions.insert(id, v);
        assert!(previous.is_none(), "write {id:?} was created twice");
        self.live_max = self.live_max.max(self.live());
        self.records_max = self.records_max.max(self.records());
        // No splice check for the parent: a parent that is not a root and had no child was held
        // (else it would have died), and a writing replica still holds it here.
    }

    /// A replica dropped `id` (live) for a concurrent version that won last-writer-wins: the classic
    /// lost update. Unlike a lost write, it may still survive, as the ancestor of a later write in
    /// its own Region that wins.
    /// `how` says by which version, where and when; the list keeps the first drop of each version.
    /// Both it and the winner met a concurrent version: both are conflicted.
    pub fn mark_discarded(&mut self, id: WriteId, how: Resolution) {
        self.get_mut(id).set(DISCARDED, true);
        self.mark_conflicted(id);
        self.mark_conflicted(how.winner);
        if self.listing {
            self.resolutions.entry(id).or_insert(how);
        }
    }

    /// `id` (live) met a version concurrent with it at some replica: it is conflicted, and counted
    /// once it is acknowledged (or now, if it already is).
    pub fn mark_conflicted(&mut self, id: WriteId) {
        let v = self.get_mut(id);
        if v.conflicted() {
            return;
        }
        v.flags |= CONFLICTED;
        let acked = v.acked_at().is_some();
        self.conflicted_acked += u64::from(acked);
    }

    /// Acknowledged writes that met a concurrent version at some replica (or were lost to
    /// last-writer-wins), each counted once.
    pub fn conflicted_acked(&self) -> u64 {
        self.conflicted_acked
    }

    /// Acknowledged writes some replica discarded for a concurrent winner, counted when settled.
    pub fn discarded_acked(&self) -> u64 {
        self.discarded_acked
    }

    pub fn is_live(&self, id: WriteId) -> bool {
        self.versions.contains_key(&id)
    }

    /// Records an acknowledgement that came after its write had already died (a retried write
    /// answered from its idempotency record): the client was told it succeeded, it did not survive.
    pub fn record_lost(&mut self, write: WriteId, key: Key, region: RegionId, now: SimTime) {
        let cause = LossCause::LastWriterWins;
        // Lost to last-writer-wins, so conflicted (see the module documentation).
        self.conflicted_acked += 1;
        self.lose(LostWrite { write, store: self.store, key, region, acked_at: now, lost_at: now, cause });
        if self.listing {
            let row = self.conflict_rows.entry(write).or_insert(ConflictRecord {
                store: self.store,
                key,
                write,
                region,
                acked_at: None,
                resolution: None,
                outcome: ConflictOutcome::NotAcknowledged,
            });
            row.acked_at = Some(now);
            row.outcome = ConflictOutcome::Lost(cause);
        }
    }

    pub fn acquire(&mut self, id: WriteId) {
        self.get_mut(id).holds += 1;
    }

    /// Drops one hold on `id` at `now`, settling whatever that decides; an acknowledged version
    /// that dies is lost to last-writer-wins.
    pub fn release(&mut self, id: WriteId, now: SimTime) {
        self.release_as(id, now, LossCause::LastWriterWins);
    }

    /// As [`VersionTree::release`], naming the cause of any loss it decides.
    ///
    /// A hold dropped with [`LossCause::Failover`] also marks the version: a failover is why it is
    /// gone, even when its last hold goes later for another reason (the newest-acknowledged hold
    /// goes at the end of the run, after the promotion that discarded the write).
    pub fn release_as(&mut self, id: WriteId, now: SimTime, cause: LossCause) {
        let v = self.get_mut(id);
        assert!(v.holds > 0, "released a hold on {id:?} that had none");
        v.holds -= 1;
        v.set(FAILED_OVER, cause == LossCause::Failover);
        let key = v.key;
        let dead = v.holds == 0 && v.children.is_empty();
        // A version without a parent is its key's root; released, it may now be prunable, which
        // is decided here without looking the root up again.
        let root_prunable = v.parent().is_none() && v.holds == 0 && v.children.only().is_some();
        if dead {
            self.collect(id, now, cause);
        } else {
            self.splice(id);
        }
        // The root can only have become prunable if this release removed versions (a child of
        // the root among them), released the root itself, or a write made it so earlier; otherwise
        // it is as the last prune left it, and looking it up would find nothing to do.
        let pending = !self.prune_pending.is_empty() && self.prune_pending.remove(&key);
        if dead || root_prunable || pending {
            self.prune_root(key);
        }
    }

    /// The root of `key`'s live tree: the version every replica that never wrote the key holds.
    pub fn root(&self, key: Key) -> Option<WriteId> {
        self.keys.get(&key).copied()
    }

    /// Marks `id` acknowledged to its client at `at`. The caller must hold it.
    pub fn acknowledge(&mut self, id: WriteId, at: SimTime) {
        let v = self.get_mut(id);
        let newly_counted = v.acked_at().is_none() && v.conflicted();
        v.acked_at = at;
        v.flags |= ACKED;
        self.conflicted_acked += u64::from(newly_counted);
    }

    /// When `id` (live, or pinned after it left the tree) was acknowledged.
    pub fn acked_at(&self, id: WriteId) -> Option<SimTime> {
        match self.versions.get(&id) {
            Some(v) => v.acked_at(),
            None => self.tomb(id).acked_at,
        }
    }

    /// Pins `id`, which is live or pinned already (see the module documentation).
    pub fn pin(&mut self, id: WriteId) {
        match self.versions.get_mut(&id) {
            Some(v) => v.pins += 1,
            None => self.tombs.get_mut(&id).unwrap_or_else(|| panic!("pinned {id:?}, which is gone")).pins += 1,
        }
    }

    /// Drops one pin on `id`; a tomb with no pin left goes, and lets go of its anchor.
    pub fn unpin(&mut self, id: WriteId) {
        let mut id = id;
        loop {
            if let Some(v) = self.versions.get_mut(&id) {
                v.pins = v.pins.checked_sub(1).expect("unpinned a version that had no pin");
                self.splice(id);
                return;
            }
            let tomb = self.tombs.get_mut(&id).unwrap_or_else(|| panic!("unpinned {id:?}, which is gone"));
            tomb.pins -= 1;
            if tomb.pins > 0 {
                return;
            }
            let tomb = self.tombs.remove(&id).expect("checked above");
            match tomb.fate {
                Fate::Died { anchor: Some(anchor) } => id = anchor,
                _ => return,
            }
        }
    }

    /// Whether `descendant` (live) is `ancestor` or descends from it, where `ancestor` is live or
    /// pinned: a survivor is an ancestor of every live version, a dead version of none.
    pub fn observed(&self, descendant: WriteId, ancestor: WriteId) -> bool {
        if self.versions.contains_key(&ancestor) {
            return self.descends_from(descendant, ancestor);
        }
        self.tomb(ancestor).fate == Fate::Survived
    }

    /// Whether `ancestor` (live) is a proper ancestor of `of`, which is live or pinned. Once `of`
    /// has died, its live ancestors are those of the nearest one that was live when it died (and,
    /// if that died too, of its own anchor, and so on); once it has survived, it has none.
    pub fn precedes(&self, ancestor: WriteId, of: WriteId) -> bool {
        let mut of = of;
        loop {
            if self.versions.contains_key(&of) {
                return ancestor != of && self.descends_from(of, ancestor);
            }
            match self.tomb(of).fate {
                Fate::Survived | Fate::Died { anchor: None } => return false,
                Fate::Died { anchor: Some(anchor) } => {
                    if anchor == ancestor {
                        return true;
                    }
                    of = anchor;
                }
            }
        }
    }

    fn tomb(&self, id: WriteId) -> &Tomb {
        self.tombs
            .get(&id)
            .unwrap_or_else(|| panic!("version {id:?} is neither live nor pinned in store {:?}", self.store))
    }

    /// Whether `descendant` is `ancestor` or descends from it. Both must be live (held). The walk
    /// up from `descendant` stops at `ancestor`'s depth, so it costs the depth difference, not the
    /// length of the chain: two Regions writing one item concurrently grow two long chains that
    /// only meet when the writing stops, and a read compares the tips of both.
    pub fn descends_from(&self, descendant: WriteId, ancestor: WriteId) -> bool {
        if descendant == ancestor {
            return true;
        }
        let target = self.get(ancestor).depth;
        let mut id = descendant;
        loop {
            let v = self.get(id);
            if v.depth <= target {
                return id == ancestor;
            }
            // A jump lands on an ancestor. One that passes `target`, or whose version is no longer
            // in the tree (pruned above the root, or spliced out as a passenger), is not taken:
            // the parent link, which splicing re-links past spliced versions, is followed instead.
            if v.jump != id
                && let Some(j) = self.versions.get(&v.jump)
                && j.depth >= target
            {
                id = v.jump;
                continue;
            }
            match v.parent() {
                Some(parent) => id = parent,
                None => return false,
            }
        }
    }

    /// The jump pointer of a new child of `parent` (Myers, "An applicative random-access stack",
    /// 1983): the parent's jump's jump when the parent's two jumps span equal distances, else the
    /// parent. Depths only decide it, so the pointers form skew-binary spans and any ancestor is
    /// reached in O(log depth) steps.
    fn jump_for_child_of(&self, parent: WriteId) -> WriteId {
        let p = self.get(parent);
        if p.jump == parent {
            return parent;
        }
        // The parent's jump may have been pruned: the child's jump would then lie above the root
        // and never be taken, so any value does; the parent is used.
        let Some(j) = self.versions.get(&p.jump) else { return parent };
        let jj_depth = match self.versions.get(&j.jump) {
            Some(jj) if j.jump != p.jump => jj.depth,
            _ => return parent,
        };
        if p.depth - j.depth == j.depth - jj_depth { j.jump } else { parent }
    }

    /// The lost writes found so far, in the order they were decided; empty when losses are
    /// streamed (see [`VersionTree::stream_losses`]).
    pub fn lost(&self) -> &[LostWrite] {
        &self.lost
    }
    pub fn survived(&self) -> u64 {
        self.survived
    }
    /// Versions in the tree (with those spliced out of it, riding as passengers), and tombs of
    /// pinned versions that left it.
    pub fn live(&self) -> usize {
        self.versions.len() + self.tombs.len() + self.passenger_count
    }
    pub fn live_max(&self) -> usize {
        self.live_max
    }
    /// Live versions spliced out of the tree, riding as passengers (counted in [`VersionTree::live`]).
    pub fn passengers(&self) -> usize {
        self.passenger_count
    }
    /// The largest number of records held at once: version records, tombs and passenger entries
    /// (a passenger riding alone, a fold, and an interval a fold counts writes in). Unlike
    /// [`VersionTree::live_max`], folded passengers count once per fold and interval, not per write.
    pub fn records_max(&self) -> usize {
        self.records_max
    }

    /// Version records, tombs and passenger entries held now: what the checker's memory follows.
    fn records(&self) -> usize {
        self.versions.len() + self.tombs.len() + self.passenger_entries
    }

    fn take_riders(&mut self, carrier: WriteId, why: &str) -> Passengers {
        let riders = self.passengers.remove(&carrier).expect(why);
        self.passenger_entries -= riders.entries();
        riders
    }

    fn put_riders(&mut self, carrier: WriteId, riders: Passengers) {
        self.passenger_entries += riders.entries();
        self.passengers.insert(carrier, riders);
        self.records_max = self.records_max.max(self.records());
    }

    fn get(&self, id: WriteId) -> &Version {
        self.versions.get(&id).unwrap_or_else(|| panic!("version {id:?} is not live in store {:?}", self.store))
    }
    fn get_mut(&mut self, id: WriteId) -> &mut Version {
        let store = self.store;
        self.versions.get_mut(&id).unwrap_or_else(|| panic!("version {id:?} is not live in store {store:?}"))
    }

    /// Removes `id` and then its ancestors while they are dead, with the passengers each carried
    /// (between it and its parent, bottom first, as the walk up would have met them had they stayed
    /// in the tree). Pinned ones leave tombs anchored on the nearest ancestor left live (none if the
    /// key's genesis went too).
    fn collect(&mut self, mut id: WriteId, now: SimTime, cause: LossCause) {
        let mut entombed: Vec<(WriteId, Option<SimTime>, u32)> = Vec::new();
        let anchor = loop {
            let v = self.get(id);
            if v.holds > 0 || !v.children.is_empty() {
                break Some(id);
            }
            let v = self.versions.remove(&id).expect("checked live above");
            if v.pins > 0 {
                entombed.push((id, v.acked_at(), v.pins));
            }
            let mut effective = self.settle_dead(id, v.key, v.region(), v.acked_at(), v.flags, now, cause);
            if v.flags & CARRIES != 0 {
                let riders = self.take_riders(id, "a carrier has passengers");
                self.passenger_count -= riders.writes();
                for p in riders.list.iter().rev() {
                    if p.flags & FOLDED != 0 {
                        // None was marked by a failover: each dies of what the walk brings up.
                        self.settle_dead_fold(&riders.folds[p.write.0 as usize], effective);
                        continue;
                    }
                    // As the walk sets on a parent: its last descendant went with a failover.
                    let flags = p.flags | if effective == LossCause::Failover { FAILED_OVER } else { 0 };
                    let acked_at = (p.flags & ACKED != 0).then_some(p.acked_at);
                    effective = self.settle_dead(p.write, v.key, Some(p.region), acked_at, flags, now, cause);
                }
            }
            let Some(parent) = v.parent() else {
                // A dead genesis: every replica let go of the key. Forget it.
                self.keys.remove(&v.key);
                break None;
            };
            let p = self.get_mut(parent);
            p.children.remove(id);
            // Its last descendant was thrown away by a failover: if the parent dies too, now or when
            // its last hold goes (a session's last write, say), the failover is why.
            p.set(FAILED_OVER, effective == LossCause::Failover);
            id = parent;
        };
        for (write, acked_at, pins) in entombed {
            self.tombs.insert(write, Tomb { fate: Fate::Died { anchor }, acked_at, pins });
            if let Some(anchor) = anchor {
                self.get_mut(anchor).pins += 1;
            }
        }
        // A sibling went: the anchor may be left an interior version of a chain.
        if let Some(anchor) = anchor {
            self.splice(anchor);
        }
    }

    /// The verdicts on one dead version (live or a passenger), given its flags: the loss if it was
    /// acknowledged, the counts and the conflict row. Returns the cause it died of.
    #[allow(clippy::too_many_arguments)]
    fn settle_dead(
        &mut self,
        id: WriteId,
        key: Key,
        region: Option<RegionId>,
        acked_at: Option<SimTime>,
        flags: u8,
        now: SimTime,
        cause: LossCause,
    ) -> LossCause {
        let effective = if flags & FAILED_OVER != 0 { LossCause::Failover } else { cause };
        if acked_at.is_some() {
            if flags & DISCARDED != 0 {
                self.discarded_acked += 1;
            }
            if effective == LossCause::LastWriterWins && region.is_some() && flags & CONFLICTED == 0 {
                // Lost to last-writer-wins through a descendant: conflicted too.
                self.conflicted_acked += 1;
            }
        }
        if self.listing
            && let Some(region) = region
        {
            let resolution = self.resolutions.remove(&id);
            let outcome = match acked_at {
                Some(_) => ConflictOutcome::Lost(effective),
                None => ConflictOutcome::NotAcknowledged,
            };
            let lost_to_lww = acked_at.is_some() && effective == LossCause::LastWriterWins;
            if resolution.is_some() || lost_to_lww {
                let row = ConflictRecord { store: self.store, key, write: id, region, acked_at, resolution, outcome };
                self.conflict_rows.insert(id, row);
            }
        }
        if let (Some(acked_at), Some(region)) = (acked_at, region) {
            self.lose(LostWrite {
                write: id,
                store: self.store,
                key,
                region,
                acked_at,
                lost_at: now,
                cause: effective,
            });
        }
        effective
    }

    /// The verdicts on folded passengers that died of `cause`.
    fn settle_dead_fold(&mut self, fold: &Fold, cause: LossCause) {
        self.discarded_acked += fold.discarded;
        if cause == LossCause::LastWriterWins {
            // Lost to last-writer-wins through a descendant: conflicted too.
            self.conflicted_acked += fold.unconflicted;
        }
        self.losses.add_fold(fold, cause);
    }

    /// The verdicts on one version (live or a passenger) that survived: an ancestor of every
    /// version live now or later.
    fn settle_survivor(
        &mut self,
        id: WriteId,
        key: Key,
        region: Option<RegionId>,
        acked_at: Option<SimTime>,
        flags: u8,
    ) {
        if flags & DISCARDED != 0 && acked_at.is_some() {
            self.discarded_acked += 1;
        }
        if let Some(resolution) = self.resolutions.remove(&id) {
            let row = ConflictRecord {
                store: self.store,
                key,
                write: id,
                region: region.expect("a genesis version is never dropped"),
                acked_at,
                resolution: Some(resolution),
                outcome: ConflictOutcome::Survived,
            };
            self.conflict_rows.insert(id, row);
        }
        self.survived += 1;
    }

    /// Drops roots that have survived: no hold and a single live child. The child, now the root,
    /// lets its passengers go as survivors too (they lie between it and the old root).
    fn prune_root(&mut self, key: Key) {
        while let Some(&root) = self.keys.get(&key) {
            let v = self.get(root);
            if v.holds > 0 {
                return;
            }
            let Some(child) = v.children.only() else { return };
            let v = self.versions.remove(&root).expect("checked live above");
            if v.pins > 0 {
                self.tombs.insert(root, Tomb { fate: Fate::Survived, acked_at: v.acked_at(), pins: v.pins });
            }
            self.settle_survivor(root, key, v.region(), v.acked_at(), v.flags);
            let c = self.get_mut(child);
            c.flags &= !HAS_PARENT;
            if c.flags & CARRIES != 0 {
                c.flags &= !CARRIES;
                let riders = self.take_riders(child, "a carrier has passengers");
                self.passenger_count -= riders.writes();
                for p in &riders.list {
                    if p.flags & FOLDED != 0 {
                        let fold = &riders.folds[p.write.0 as usize];
                        self.discarded_acked += fold.discarded;
                        self.survived += fold.count;
                        continue;
                    }
                    let acked_at = (p.flags & ACKED != 0).then_some(p.acked_at);
                    self.settle_survivor(p.write, key, Some(p.region), acked_at, p.flags);
                }
            }
            *self.keys.get_mut(&key).expect("checked above") = child;
        }
    }

    /// Splices `id` out of the tree if it is an interior version of a chain: not a root, no hold,
    /// no pin, exactly one live child. It then rides with that child as a passenger, with its own
    /// passengers before it; the child takes its place under its parent (depths stay: an ancestry
    /// walk only needs them to decrease upward, and a jump pointer to a spliced version is never
    /// taken).
    fn splice(&mut self, id: WriteId) {
        if !self.splicing {
            return;
        }
        let Some(v) = self.versions.get(&id) else { return };
        let (Some(parent), Some(child)) = (v.parent(), v.children.only()) else { return };
        if v.holds > 0 || v.pins > 0 {
            return;
        }
        let fold = self.folding();
        let v = self.versions.remove(&id).expect("checked live above");
        let mut riders = match v.flags & CARRIES != 0 {
            true => self.take_riders(id, "a carrier has passengers"),
            false => Passengers::new(),
        };
        // An acknowledged write is never revived, so it can be folded, unless a failover marked it
        // (it then decides the cause of the passengers above it).
        let foldable = v.flags & (ACKED | FAILED_OVER) == ACKED;
        let p = Passenger {
            write: id,
            acked_at: v.acked_at,
            depth: v.depth,
            region: v.region,
            flags: v.flags & PASSENGER_FLAGS,
        };
        riders.push(p, fold.filter(|_| foldable));
        self.passenger_count += 1;
        let c = self.get_mut(child);
        c.parent = parent;
        let child_carries = c.flags & CARRIES != 0;
        c.flags |= CARRIES;
        if child_carries {
            // The child's own passengers lie below this one: appended, so the long list (a
            // lineage's) moves and the short one is copied.
            let below = self.take_riders(child, "a carrier has passengers");
            riders.append(below);
        }
        self.put_riders(child, riders);
        self.get_mut(parent).children.replace(id, child);
    }

    /// Whether `id` of `key` is live, putting it back in the tree if it rides as a passenger (a
    /// retried write answered from its idempotency record is acknowledged and pinned like any
    /// other): between its carrier and the carrier's parent, with the passengers above it.
    pub fn revive(&mut self, key: Key, id: WriteId) -> bool {
        if self.versions.contains_key(&id) {
            return true;
        }
        let Some(&root) = self.keys.get(&key) else { return false };
        // The key's live versions, depth first in the order the children were written.
        let mut stack = vec![root];
        let found = loop {
            let Some(at) = stack.pop() else { return false };
            let v = self.get(at);
            if v.flags & CARRIES != 0
                && let Some(i) = self.passengers[&at].position(id)
            {
                break (at, i);
            }
            match &v.children {
                Children::None => {}
                Children::One(c) => stack.push(*c),
                Children::Many(cs) => stack.extend(cs.iter().rev()),
            }
        };
        let (carrier, i) = found;
        let mut above = self.take_riders(carrier, "found above");
        let below = above.split_below(i + 1);
        let p = above.list.pop().expect("the passenger found");
        self.passenger_count -= 1;
        let c = self.get_mut(carrier);
        let parent = c.parent().expect("a root carries no passengers");
        c.parent = id;
        c.flags &= !CARRIES;
        let key = c.key;
        if !below.list.is_empty() {
            c.flags |= CARRIES;
            self.put_riders(carrier, below);
        }
        let mut v = Version::write(key, parent, parent, p.depth, 0, p.region);
        v.acked_at = p.acked_at;
        v.flags |= p.flags;
        v.children = Children::One(carrier);
        if !above.list.is_empty() {
            v.flags |= CARRIES;
            self.put_riders(id, above);
        }
        self.versions.insert(id, v);
        self.get_mut(parent).children.replace(carrier, id);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The naive ancestry walk, parent by parent, that the jump pointers shortcut.
    fn descends_naively(tree: &VersionTree, descendant: WriteId, ancestor: WriteId) -> bool {
        let mut id = descendant;
        loop {
            if id == ancestor {
                return true;
            }
            match tree.get(id).parent() {
                Some(parent) => id = parent,
                None => return false,
            }
        }
    }

    /// Random trees of one key (long chains, branches, holds released so roots are pruned): every
    /// ancestry question over live versions gets the naive walk's answer.
    #[test]
    fn jump_pointers_answer_as_the_naive_walk() {
        let mut x: u64 = 0x2a;
        let mut next = |n: u64| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (x >> 33) % n
        };
        for round in 0..20 {
            let mut tree = VersionTree::new(StoreId::new(0), 1);
            let (g, _) = tree.genesis(Key(1), WriteId(u64::MAX));
            let mut held = vec![g];
            for i in 0..600u64 {
                let parent = held[held.len() - 1 - next(held.len().min(3) as u64) as usize];
                tree.create(WriteId(i), parent, EAST, 1);
                held.push(WriteId(i));
                if next(3) == 0 && held.len() > 2 {
                    let drop = held.remove(next(held.len() as u64 - 1) as usize);
                    tree.release(drop, t(i));
                }
                if i % 7 == 0 {
                    for _ in 0..20 {
                        let a = held[next(held.len() as u64) as usize];
                        let b = held[next(held.len() as u64) as usize];
                        assert_eq!(
                            tree.descends_from(a, b),
                            descends_naively(&tree, a, b),
                            "round {round} write {i}: {a:?} from {b:?}"
                        );
                    }
                }
            }
        }
    }

    /// Along one chain (every version held, so none is spliced or pruned), the jump pointer of the
    /// version at depth d lands where Myers' skew-binary rule puts it: at d less the smallest term
    /// of d's skew-binary form (a sum of distinct 2^k - 1, the smallest of which may appear twice),
    /// so depth 7 = 7 jumps to genesis, 6 = 3 + 3 to 3, 5 = 3 + 1 + 1 to 4.
    #[test]
    fn jump_pointers_follow_the_skew_binary_rule() {
        let mut tree = VersionTree::new(StoreId::new(0), 1);
        let (g, _) = tree.genesis(Key(1), WriteId(0));
        let mut tip = g;
        for w in 1..=15 {
            tree.create(WriteId(w), tip, EAST, 1);
            tip = WriteId(w);
        }
        let jumps: Vec<u32> = (1..=15).map(|w| tree.get(tree.get(WriteId(w)).jump).depth).collect();
        assert_eq!(jumps, [0, 1, 0, 3, 4, 3, 0, 7, 8, 7, 10, 11, 10, 7, 0]);
        assert_eq!(tree.get(g).jump, g, "genesis jumps to itself");
    }

    #[test]
    fn a_version_fits_a_cache_line() {
        assert_eq!(std::mem::size_of::<Version>(), 64);
    }

    const EAST: RegionId = RegionId::from_raw(0);
    const WEST: RegionId = RegionId::from_raw(1);

    fn t(ms: u64) -> SimTime {
        SimTime::from_nanos(ms * 1_000_000)
    }

    /// Two replicas; both write the same key concurrently on top of genesis; the west write wins
    /// everywhere. The east write was acknowledged, so it is lost; genesis and the west write are
    /// settled and memory returns to the final version alone.
    #[test]
    fn concurrent_acknowledged_write_that_loses_is_lost() {
        let mut tree = VersionTree::new(StoreId::new(0), 2);
        let (g, _) = tree.genesis(Key(1), WriteId(0));
        // East writes w1: east replica moves from g to w1 (one hold for the replica, one for the
        // message to west). West writes w2 likewise.
        tree.create(WriteId(1), g, EAST, 2);
        tree.release(g, t(0));
        tree.create(WriteId(2), g, WEST, 2);
        tree.release(g, t(0));
        tree.acknowledge(WriteId(1), t(5));
        tree.acknowledge(WriteId(2), t(5));
        // w2 reaches east and wins: east drops w1, the message's hold on w2 moves into the replica.
        tree.release(WriteId(1), t(40));
        // w1 reaches west and loses: its message's hold is dropped. w1 is now dead.
        tree.release(WriteId(1), t(41));
        assert_eq!(tree.lost().len(), 1);
        assert_eq!(tree.lost()[0].write, WriteId(1));
        assert_eq!(tree.lost()[0].lost_at, t(41));
        // Genesis had one live child left (w2) and no hold: survived and pruned.
        assert_eq!(tree.live(), 1);
        assert_eq!(tree.survived(), 1);
        assert_eq!(tree.live_max(), 3, "genesis and both writes");
    }

    /// A write observed by another write that later lost: w1 <- w2 (w2 observed w1), and w3
    /// concurrent with w2 wins. w2 is lost; w1 is lost too, since nothing that survives observed it.
    #[test]
    fn a_write_observed_only_by_a_loser_is_lost_too() {
        let mut tree = VersionTree::new(StoreId::new(0), 2);
        let (g, _) = tree.genesis(Key(7), WriteId(0));
        tree.create(WriteId(1), g, EAST, 2); // east replica + message to west
        tree.release(g, t(0));
        tree.acknowledge(WriteId(1), t(1));
        tree.create(WriteId(2), WriteId(1), EAST, 2); // east writes again on top of w1
        tree.release(WriteId(1), t(2)); // east replica leaves w1
        tree.acknowledge(WriteId(2), t(3));
        tree.create(WriteId(3), g, WEST, 2); // west, not having seen w1, writes w3 with a later clock
        tree.release(g, t(4));
        tree.acknowledge(WriteId(3), t(5));
        // w1 reaches west, loses to w3 (later timestamp): message hold dropped. w1 still has the
        // live child w2.
        tree.release(WriteId(1), t(30));
        assert!(tree.lost().is_empty());
        // w3 reaches east and wins over w2: east releases w2. w2's message to west also loses.
        tree.release(WriteId(2), t(31));
        tree.release(WriteId(2), t(32));
        let lost: Vec<WriteId> = tree.lost().iter().map(|l| l.write).collect();
        assert_eq!(lost, vec![WriteId(2), WriteId(1)]);
        assert_eq!(tree.live(), 1, "only w3 is left");
        assert_eq!(tree.discarded_acked(), 0, "no replica dropped either for a concurrent winner");
        assert_eq!(tree.conflicted_acked(), 2, "both lost to last-writer-wins, so both conflicted");
    }

    /// A version that a later surviving write observed is an ancestor of the final one: not lost.
    #[test]
    fn an_ancestor_of_the_final_version_survives() {
        let mut tree = VersionTree::new(StoreId::new(0), 2);
        let (g, _) = tree.genesis(Key(1), WriteId(0));
        tree.create(WriteId(1), g, EAST, 2);
        tree.release(g, t(0));
        tree.acknowledge(WriteId(1), t(1));
        tree.release(WriteId(1), t(30)); // the message reaches west and wins: west drops genesis...
        tree.release(g, t(30));
        tree.acquire(WriteId(1)); // ...and west now holds w1
        tree.create(WriteId(2), WriteId(1), WEST, 2);
        tree.release(WriteId(1), t(40));
        tree.release(WriteId(1), t(70)); // w2 reaches east, east drops w1
        tree.release(WriteId(2), t(70)); // the message's hold moves into east (acquire + release)
        tree.acquire(WriteId(2));
        assert!(tree.lost().is_empty());
        assert_eq!(tree.survived(), 2, "genesis and w1 are settled");
        assert_eq!(tree.live(), 1);
        assert_eq!(tree.discarded_acked(), 0, "w1 was replaced by a write that observed it");
    }

    /// A write a failover discarded from the writer is lost to the failover even though its last
    /// hold (the newest acknowledged write of its item) goes later, without a cause.
    #[test]
    fn a_version_discarded_by_a_failover_is_lost_to_it_whenever_it_dies() {
        let mut tree = VersionTree::new(StoreId::new(0), 2);
        let (g, _) = tree.genesis(Key(1), WriteId(0));
        tree.create(WriteId(1), g, EAST, 2); // the writer, and the answer
        tree.release(g, t(0));
        tree.acknowledge(WriteId(1), t(1)); // the answer's hold is now the newest-acknowledged hold
        tree.release_as(WriteId(1), t(60_000), LossCause::Failover); // the promotion drops the writer
        assert!(tree.lost().is_empty());
        tree.release(WriteId(1), t(70_000)); // the end of the run
        assert_eq!(tree.lost().len(), 1);
        assert_eq!(tree.lost()[0].cause, LossCause::Failover);
    }

    fn dropped(at: u64, replica: RegionId, winner: u64, winner_region: RegionId) -> Resolution {
        Resolution { at: t(at), replica, stamp_nanos: 0, winner: WriteId(winner), winner_region, winner_stamp_nanos: 0 }
    }

    /// The conflict list, by hand: w1 (east) and w2 (west) are concurrent. w1 is dropped in west for
    /// w2 at 30 ms, but east then writes w3 on top of w1, and w3 beats w2 everywhere: w1 survives
    /// as an ancestor of the final version, w2 (dropped in east at 40 ms for w3) is lost. An
    /// unacknowledged w4 dropped for w3 is listed as not acknowledged, and is no lost write.
    #[test]
    fn the_conflict_list_settles_each_dropped_write() {
        let mut tree = VersionTree::new(StoreId::new(0), 2);
        tree.keep_conflict_list();
        let (g, _) = tree.genesis(Key(1), WriteId(0));
        tree.create(WriteId(1), g, EAST, 2);
        tree.release(g, t(0));
        tree.create(WriteId(2), g, WEST, 2);
        tree.release(g, t(1));
        tree.acknowledge(WriteId(1), t(5));
        tree.acknowledge(WriteId(2), t(6));
        tree.mark_discarded(WriteId(1), dropped(30, WEST, 2, WEST)); // w1 reaches west and loses
        tree.release(WriteId(1), t(30));
        tree.create(WriteId(3), WriteId(1), EAST, 2); // east writes on top of w1
        tree.release(WriteId(1), t(35));
        tree.mark_discarded(WriteId(2), dropped(40, EAST, 3, EAST)); // w2 reaches east and loses to w3
        tree.release(WriteId(2), t(40));
        tree.create(WriteId(4), WriteId(2), WEST, 1); // west writes w4 on w2, never acknowledged
        tree.release(WriteId(2), t(45));
        tree.mark_discarded(WriteId(4), dropped(50, WEST, 3, EAST)); // w3 reaches west and wins
        tree.release(WriteId(4), t(50));
        assert_eq!(tree.lost().iter().map(|l| l.write).collect::<Vec<_>>(), vec![WriteId(2)]);
        let rows: Vec<(WriteId, ConflictOutcome, Option<u64>)> =
            tree.conflict_list().iter().map(|r| (r.write, r.outcome, r.resolution.map(|x| x.winner.0))).collect();
        assert_eq!(
            rows,
            vec![
                (WriteId(1), ConflictOutcome::Survived, Some(2)),
                (WriteId(2), ConflictOutcome::Lost(LossCause::LastWriterWins), Some(3)),
                (WriteId(4), ConflictOutcome::NotAcknowledged, Some(3)),
            ]
        );
        assert_eq!(tree.discarded_acked(), 2, "w1 (survived) and w2 (lost); w4 was never acknowledged");
    }

    /// A version whose only descendant a failover threw away is lost to the failover too, even
    /// when its own last hold (a session's last write) goes later, without a cause: w1 <- w2 on the
    /// old writer; the re-sync drops w2 (failover); w1's session hold goes at the end of the run.
    #[test]
    fn an_ancestor_of_a_write_lost_to_a_failover_is_lost_to_it() {
        let mut tree = VersionTree::new(StoreId::new(0), 1);
        tree.keep_conflict_list();
        let (g, _) = tree.genesis(Key(1), WriteId(0));
        tree.create(WriteId(1), g, EAST, 2); // the old writer's cluster, and a session's hold
        tree.release(g, t(0));
        tree.acknowledge(WriteId(1), t(1));
        tree.create(WriteId(2), WriteId(1), EAST, 1); // the cluster moves on to w2
        tree.release(WriteId(1), t(2));
        tree.acknowledge(WriteId(2), t(3));
        tree.release_as(WriteId(2), t(60_000), LossCause::Failover); // the re-sync drops w2
        tree.release(WriteId(1), t(70_000)); // the session's hold on w1, at the end
        let causes: Vec<(WriteId, LossCause)> = tree.lost().iter().map(|l| (l.write, l.cause)).collect();
        assert_eq!(causes, vec![(WriteId(2), LossCause::Failover), (WriteId(1), LossCause::Failover)]);
        // Losses to a failover are RPO: no concurrent version was met, so no conflict and no row.
        assert!(tree.conflict_list().is_empty());
        assert_eq!(tree.conflicted_acked(), 0);
    }

    /// A write on a genesis that no replica holds (a tree of no replicas) leaves the root with no
    /// hold and one child, outside any release: the next release on the key, which removes nothing
    /// and is not the root's, prunes it all the same. Genesis survived; the write is the root.
    #[test]
    fn a_root_left_prunable_by_a_write_is_pruned_at_the_next_release() {
        let mut tree = VersionTree::new(StoreId::new(0), 0);
        let (g, _) = tree.genesis(Key(1), WriteId(0));
        assert_eq!((tree.root(Key(1)), tree.root(Key(2))), (Some(g), None));
        tree.create(WriteId(1), g, EAST, 2); // the replica, and the answer
        assert_eq!(tree.root(Key(1)), Some(g), "nothing released yet");
        tree.release(WriteId(1), t(1)); // the answer
        assert_eq!(tree.root(Key(1)), Some(WriteId(1)));
        assert_eq!((tree.survived(), tree.live()), (1, 1));
        tree.create(WriteId(2), WriteId(1), EAST, 1);
        tree.release(WriteId(1), t(2)); // the replica moves on: w1 is the root, released, and survives
        assert_eq!(tree.root(Key(1)), Some(WriteId(2)));
        assert_eq!((tree.survived(), tree.live()), (2, 1));
    }

    /// The outcome names the conflict list's file carries, one per outcome, all different.
    #[test]
    fn conflict_outcomes_have_their_file_names() {
        let names: Vec<&str> = [
            ConflictOutcome::Lost(LossCause::LastWriterWins),
            ConflictOutcome::Lost(LossCause::Failover),
            ConflictOutcome::Lost(LossCause::RegionNeverReturned),
            ConflictOutcome::Survived,
            ConflictOutcome::NotAcknowledged,
            ConflictOutcome::Unsettled,
        ]
        .map(ConflictOutcome::name)
        .to_vec();
        assert_eq!(
            names,
            [
                "lost_last_writer_wins",
                "lost_failover",
                "lost_region_never_returned",
                "survived",
                "not_acknowledged",
                "unsettled"
            ]
        );
    }

    /// A conflict row shows first when its write was first dropped, else (an acknowledged write
    /// lost through a descendant, never dropped itself) when it was acknowledged; the conflict list
    /// is in that order, not the writes': w2, dropped at 20 ms, comes before w1, lost through w3
    /// and acknowledged at 30 ms.
    #[test]
    fn a_conflict_row_is_first_seen_at_its_first_drop_else_its_acknowledgement() {
        let row = |resolution: Option<Resolution>, acked_at: Option<SimTime>| ConflictRecord {
            store: StoreId::new(0),
            key: Key(1),
            write: WriteId(1),
            region: EAST,
            acked_at,
            resolution,
            outcome: ConflictOutcome::Unsettled,
        };
        assert_eq!(row(Some(dropped(20, EAST, 2, WEST)), Some(t(5))).first_seen(), t(20));
        assert_eq!(row(None, Some(t(5))).first_seen(), t(5));
        assert_eq!(row(None, None).first_seen(), SimTime::ZERO);
        let mut tree = VersionTree::new(StoreId::new(0), 2);
        tree.keep_conflict_list();
        let (g, _) = tree.genesis(Key(1), WriteId(0));
        tree.create(WriteId(1), g, EAST, 1); // east's replica
        tree.release(g, t(0));
        tree.create(WriteId(2), g, WEST, 1); // west's replica, never acknowledged
        tree.release(g, t(0));
        tree.create(WriteId(3), WriteId(1), EAST, 1);
        tree.acknowledge(WriteId(1), t(30));
        tree.release(WriteId(1), t(31)); // w1 rides with w3
        tree.mark_discarded(WriteId(2), dropped(20, WEST, 3, EAST));
        tree.mark_discarded(WriteId(3), dropped(40, EAST, 2, WEST));
        tree.release(WriteId(3), t(50)); // w3 dies, and w1 with it
        let rows: Vec<(WriteId, SimTime)> = tree.conflict_list().iter().map(|r| (r.write, r.first_seen())).collect();
        assert_eq!(rows, vec![(WriteId(2), t(20)), (WriteId(1), t(30)), (WriteId(3), t(40))]);
    }

    #[test]
    fn a_passenger_takes_a_third_of_a_version() {
        assert_eq!(std::mem::size_of::<Passenger>(), 24);
    }

    /// One round of sustained contention on `K` between two replicas, each writing on its own tip:
    /// the new write takes the replica, its shipment and its response (3 holds); the replica lets go
    /// of the old tip; the write is acknowledged; each shipment reaches the other Region after it
    /// wrote a newer version, and loses there.
    fn contend(tree: &mut VersionTree, tips: &mut [WriteId; 2], ids: [u64; 2], at: u64) {
        for (r, &id) in ids.iter().enumerate() {
            tree.create(WriteId(id), tips[r], RegionId::new(r), 3);
            tree.release(tips[r], t(at));
            tips[r] = WriteId(id);
            tree.acknowledge(WriteId(id), t(at + 1));
            tree.release(WriteId(id), t(at + 1));
        }
        for r in 0..2 {
            let (loser, winner) = (tips[r], tips[1 - r]);
            tree.mark_discarded(loser, dropped(at + 2, RegionId::new(1 - r), winner.0, RegionId::new(1 - r)));
            tree.release(loser, t(at + 2));
        }
    }

    /// Two lineages on one key, 200 rounds: genesis (the fork) and the two tips are all the version
    /// records, whatever the number of rounds; every other write rides as a passenger, undecided.
    /// West then writes once more, and its shipment wins at east: east's tip dies, and with it
    /// east's whole lineage, each write lost with its own acknowledgement, from the tip up (as the
    /// walk up the unspliced chain finds them). Genesis then survives with west's lineage, which
    /// its new tip carried.
    #[test]
    fn a_contended_key_keeps_three_records_and_settles_both_lineages() {
        let mut tree = VersionTree::new(StoreId::new(0), 2);
        let (g, _) = tree.genesis(Key(1), WriteId(u64::MAX));
        let mut tips = [g, g];
        for round in 0..200u64 {
            contend(&mut tree, &mut tips, [2 * round + 1, 2 * round + 2], 10 * round);
            assert_eq!(tree.versions.len(), 3, "round {round}: genesis and two tips");
            assert_eq!(tree.passengers(), 2 * round as usize);
            assert_eq!(tree.live(), 3 + 2 * round as usize);
        }
        assert!(tree.lost().is_empty(), "undecided while both lineages write");
        assert_eq!(tree.records_max(), 3 + 2 * 199, "listed losses: genesis, both tips, each passenger alone");
        // West writes w401 on its tip (w400); its shipment reaches east and wins there: the
        // shipment's hold becomes east's, and east lets go of e399.
        tree.create(WriteId(401), WriteId(400), WEST, 2);
        tree.release(WriteId(400), t(5_000));
        tree.acknowledge(WriteId(401), t(5_001));
        tree.release(WriteId(399), t(5_010));
        let lost: Vec<(WriteId, SimTime, SimTime, RegionId)> =
            tree.lost().iter().map(|l| (l.write, l.acked_at, l.lost_at, l.region)).collect();
        let expected: Vec<(WriteId, SimTime, SimTime, RegionId)> =
            (0..200u64).rev().map(|r| (WriteId(2 * r + 1), t(10 * r + 1), t(5_010), EAST)).collect();
        assert_eq!(lost, expected);
        assert_eq!(tree.survived(), 1 + 200, "genesis and west's lineage, w2..w400");
        assert_eq!(tree.live(), 1, "w401 alone");
        assert_eq!(tree.passengers(), 0);
        assert_eq!(tree.discarded_acked(), 400, "every write was dropped once, and settled");
    }

    /// The same contention with losses streamed: each lineage's acknowledged writes fold into one
    /// entry per interval (1 s here: 200 rounds 10 ms apart span 2 s), so the records stay a handful
    /// however many rounds run, and every verdict and count is what the listed run gives.
    #[test]
    fn streamed_losses_fold_a_lineage_and_change_no_verdict() {
        let run = |stream: bool, rounds: u64| {
            let mut tree = VersionTree::new(StoreId::new(0), 2);
            if stream {
                tree.stream_losses(SimDuration::from_secs(1), false);
            }
            let (g, _) = tree.genesis(Key(1), WriteId(u64::MAX));
            let mut tips = [g, g];
            for round in 0..rounds {
                contend(&mut tree, &mut tips, [2 * round + 1, 2 * round + 2], 10 * round);
            }
            let records = tree.records_max();
            let last = 2 * rounds;
            tree.create(WriteId(last + 1), WriteId(last), WEST, 2);
            tree.release(WriteId(last), t(50_000));
            tree.acknowledge(WriteId(last + 1), t(50_001));
            tree.release(WriteId(last - 1), t(50_010));
            (tree, records)
        };
        let (listed, _) = run(false, 200);
        let (streamed, records) = run(true, 200);
        let (_, records_long) = run(true, 2_000);
        assert!(streamed.lost().is_empty(), "streamed: not listed");
        assert!(records <= 12, "genesis, two tips, a new write, two folds of 1 or 2 intervals each: {records}");
        assert!(records_long <= 12 + 2 * 18, "ten times the rounds: 18 more intervals per lineage: {records_long}");
        let (a, b) = (listed.losses(), streamed.losses());
        for cause in [LossCause::LastWriterWins, LossCause::Failover, LossCause::RegionNeverReturned] {
            assert_eq!(a.count(cause), b.count(cause));
            assert_eq!(a.span(cause), b.span(cause));
        }
        assert_eq!(b.count(LossCause::LastWriterWins), 200, "east's lineage");
        assert_eq!(b.span(LossCause::LastWriterWins), Some(Span { first: t(1), last: t(1991) }));
        for region in [EAST, WEST] {
            let series = |l: &LossTally| l.by_region(region).map(|s| s.iter().collect::<Vec<_>>());
            assert_eq!(series(a), series(b));
        }
        assert_eq!(b.by_region(EAST).map(|s| (s.get(0), s.get(1))), Some((Some(100), Some(100))));
        assert_eq!(
            (streamed.survived(), streamed.discarded_acked(), streamed.conflicted_acked(), streamed.live()),
            (listed.survived(), listed.discarded_acked(), listed.conflicted_acked(), listed.live())
        );
        assert_eq!(listed.lost().len(), 200);
    }

    /// A version a failover left with one child (its other child was thrown away by the failover)
    /// rides as a passenger with the FAILED_OVER mark: when its carrier dies of last-writer-wins,
    /// it is lost to the failover, as it is without splicing. West's replica keeps genesis.
    #[test]
    fn a_passenger_marked_by_a_failover_is_lost_to_it() {
        let run = |splicing: bool| {
            let mut tree = VersionTree::new(StoreId::new(0), 2);
            tree.splicing = splicing;
            let (g, _) = tree.genesis(Key(1), WriteId(u64::MAX));
            tree.create(WriteId(1), g, EAST, 2); // east's writer, and a session's hold
            tree.release(g, t(0));
            tree.acknowledge(WriteId(1), t(1));
            tree.create(WriteId(2), WriteId(1), EAST, 1); // the writer moves on
            tree.create(WriteId(3), WriteId(1), EAST, 1); // the old writer, before it was fenced
            tree.release(WriteId(1), t(2));
            tree.acknowledge(WriteId(2), t(3));
            tree.acknowledge(WriteId(3), t(3));
            tree.release_as(WriteId(3), t(60_000), LossCause::Failover); // w1 is marked
            tree.release(WriteId(1), t(60_001)); // the session's hold: w1 has one child, w2
            assert_eq!(tree.is_live(WriteId(1)), !splicing);
            tree.create(WriteId(4), WriteId(2), EAST, 1);
            tree.release(WriteId(2), t(60_002)); // w2 rides with w4, w1 with it
            tree.acknowledge(WriteId(4), t(60_003));
            tree.release(WriteId(4), t(70_000)); // west's write wins at east
            (tree.lost().iter().map(|l| (l.write, l.cause)).collect::<Vec<_>>(), tree.passengers())
        };
        let (lost, passengers) = run(true);
        assert_eq!(
            lost,
            vec![
                (WriteId(3), LossCause::Failover),
                (WriteId(4), LossCause::LastWriterWins),
                (WriteId(2), LossCause::LastWriterWins),
                (WriteId(1), LossCause::Failover),
            ]
        );
        assert_eq!(passengers, 0);
        assert_eq!(run(false).0, lost);
    }

    /// A retried write answered from its idempotency record after it was spliced out: it goes back
    /// into the tree between its carrier and the carrier's parent, and ancestry questions about it
    /// get the unspliced tree's answers.
    #[test]
    fn a_revived_passenger_answers_as_if_never_spliced() {
        let mut tree = VersionTree::new(StoreId::new(0), 2);
        let (g, _) = tree.genesis(Key(1), WriteId(u64::MAX));
        let mut tip = g;
        for w in 1..=5 {
            tree.create(WriteId(w), tip, EAST, 1);
            tree.release(tip, t(w));
            tip = WriteId(w);
        }
        // West's replica keeps genesis; w1..w4 ride with w5.
        assert_eq!(tree.passengers(), 4);
        assert!(!tree.is_live(WriteId(3)));
        assert!(tree.revive(Key(1), WriteId(3)));
        assert!(!tree.revive(Key(1), WriteId(9)), "never written");
        assert_eq!(tree.passengers(), 3, "w1 and w2 ride with w3, w4 with w5");
        assert!(tree.descends_from(WriteId(5), WriteId(3)));
        assert!(tree.descends_from(WriteId(3), g));
        assert!(!tree.descends_from(WriteId(3), WriteId(5)));
        tree.acquire(WriteId(3));
        tree.acknowledge(WriteId(3), t(10));
        tree.pin(WriteId(3));
        tree.release(WriteId(3), t(10));
        assert!(tree.is_live(WriteId(3)), "pinned: it stays");
        tree.unpin(WriteId(3));
        assert!(!tree.is_live(WriteId(3)), "spliced again");
        assert_eq!(tree.passengers(), 4);
        tree.release(WriteId(5), t(20));
        let lost: Vec<WriteId> = tree.lost().iter().map(|l| l.write).collect();
        assert_eq!(lost, vec![WriteId(3)], "the only acknowledged write, lost with the chain");
        assert_eq!(tree.live(), 1, "genesis, west's");
    }

    /// A chain of writes on one key, `chain` from genesis down, each taken by east with one hold
    /// (west's replica keeps genesis); the holds go in the order `released`, each splicing its
    /// write out of the chain (no hold, one child) onto the write below it.
    fn spliced_chain(chain: &[u64], released: &[u64]) -> (VersionTree, WriteId) {
        let mut tree = VersionTree::new(StoreId::new(0), 2);
        let (g, _) = tree.genesis(Key(1), WriteId(u64::MAX));
        let mut tip = g;
        for &w in chain {
            tree.create(WriteId(w), tip, EAST, 1);
            tip = WriteId(w);
        }
        tree.release(g, t(0));
        for &w in released {
            tree.release(WriteId(w), t(1));
        }
        (tree, g)
    }

    /// A retried write is found among its carrier's passengers whatever order the ids of its chain
    /// come in: decreasing down the chain; two runs that increase, the upper one's ids above the
    /// lower one's; a run that decreases then increases, spliced onto one that carries on
    /// increasing. It goes back into the tree between the chain's tip and genesis.
    #[test]
    fn revive_finds_a_passenger_whatever_the_order_of_its_chains_ids() {
        let down: Vec<u64> = (11..=20).rev().collect();
        let cases: [(&[u64], &[u64], u64); 3] = [
            (&down, &down[..9], 20),
            (&[5, 6, 3, 4, 10], &[3, 4, 5, 6], 5),
            (&[9, 5, 6, 7, 8, 10], &[7, 8, 9, 5, 6], 9),
        ];
        for (chain, released, revived) in cases {
            let (mut tree, g) = spliced_chain(chain, released);
            let tip = WriteId(*chain.last().unwrap());
            assert_eq!(tree.passengers(), chain.len() - 1, "{chain:?}: all but the tip ride");
            assert!(tree.revive(Key(1), WriteId(revived)), "{chain:?}: {revived} rides with {tip:?}");
            assert!(tree.is_live(WriteId(revived)));
            assert_eq!(tree.passengers(), chain.len() - 2, "{chain:?}");
            assert!(tree.descends_from(tip, WriteId(revived)));
            assert!(tree.descends_from(WriteId(revived), g));
        }
    }

    /// With losses streamed and folded, a retried write that rides between two folds (acknowledged
    /// writes above it and below it) goes back into the tree with the upper fold above it and the
    /// lower one still with its carrier: when the carrier and then the retried write die, every
    /// acknowledged write is lost once, east's, in the first second.
    #[test]
    fn a_revived_passenger_between_folds_leaves_each_fold_its_writes() {
        let mut tree = VersionTree::new(StoreId::new(0), 2);
        tree.stream_losses(SimDuration::from_secs(1), false);
        let (g, _) = tree.genesis(Key(1), WriteId(u64::MAX));
        let mut tip = g;
        for w in 1..=6 {
            tree.create(WriteId(w), tip, EAST, 1);
            tip = WriteId(w);
        }
        tree.release(g, t(0));
        for w in [1, 2, 4, 5] {
            tree.acknowledge(WriteId(w), t(w));
        }
        for w in 1..=5 {
            tree.release(WriteId(w), t(10)); // w1, w2 fold; w3 rides alone; w4, w5 fold
        }
        assert_eq!(tree.passengers(), 5);
        // Genesis and w6; three entries riding (a fold, w3, a fold) and one interval per fold.
        assert_eq!(tree.records(), 2 + 3 + 2);
        assert!(tree.revive(Key(1), WriteId(3)), "w3 was never acknowledged: it rides alone");
        assert_eq!(tree.passengers(), 4);
        tree.acquire(WriteId(3));
        tree.acknowledge(WriteId(3), t(20));
        tree.release(WriteId(6), t(30)); // w6 dies, with w4 and w5
        assert_eq!(tree.losses().count(LossCause::LastWriterWins), 2);
        tree.release(WriteId(3), t(40)); // w3 dies, with w1 and w2
        let l = tree.losses();
        assert_eq!(l.count(LossCause::LastWriterWins), 5);
        assert_eq!(l.span(LossCause::LastWriterWins), Some(Span { first: t(1), last: t(20) }));
        assert_eq!(l.by_region(EAST).map(|s| s.iter().collect::<Vec<_>>()), Some(vec![(SimTime::ZERO, 5)]));
        assert_eq!(tree.conflicted_acked(), 5, "lost to last-writer-wins: conflicted");
        assert_eq!((tree.passengers(), tree.live()), (0, 1), "genesis, west's");
    }

    /// Everything a tree reports, to compare a tree with splicing against one without.
    fn verdicts(tree: &VersionTree) -> (Vec<LostWrite>, u64, u64, u64, usize, Vec<ConflictRecord>) {
        let (lost, survived) = (tree.lost().to_vec(), tree.survived());
        (lost, survived, tree.conflicted_acked(), tree.discarded_acked(), tree.live(), tree.conflict_list())
    }

    /// What the report reads of a tree's losses and counts (the lost list and conflict list apart).
    #[allow(clippy::type_complexity)]
    fn tallies(tree: &VersionTree) -> (Vec<(u64, Option<Span>)>, Vec<Option<Vec<(SimTime, u64)>>>, [u64; 4]) {
        let l = tree.losses();
        let causes = [LossCause::LastWriterWins, LossCause::Failover, LossCause::RegionNeverReturned];
        let series = [EAST, WEST].map(|r| l.by_region(r).map(|s| s.iter().filter(|&(_, n)| n > 0).collect())).to_vec();
        let counts = [tree.survived(), tree.conflicted_acked(), tree.discarded_acked(), tree.live() as u64];
        (causes.iter().map(|&c| (l.count(c), l.span(c))).collect(), series, counts)
    }

    /// Random operation sequences on two keys (writes on held versions, releases with either cause,
    /// acknowledgements, drops and conflicts, pins, retries that revive passengers, ancestry
    /// questions), applied to a tree with splicing and to one without: the same lost list (writes,
    /// causes, times, order), counts, live versions and conflict list at every step, and the same
    /// answers to every question; at the end, everything released, the same settlement. A third tree
    /// streams its losses and folds acknowledged passengers: the same tallies, counts and answers.
    #[test]
    fn splicing_changes_no_verdict() {
        let mut x: u64 = 0x5eed;
        let mut next = |n: u64| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (x >> 33) % n
        };
        let mut spliced_some = 0;
        let mut folds_seen = 0;
        for round in 0..60 {
            let mut on = VersionTree::new(StoreId::new(0), 2);
            let mut off = VersionTree::new(StoreId::new(0), 2);
            // Spliced, losses streamed and acknowledged passengers folded, in 50 ms intervals.
            let mut folded = VersionTree::new(StoreId::new(0), 2);
            let interval = SimDuration::from_millis(50);
            on.stream_losses(interval, true);
            folded.stream_losses(interval, false);
            off.splicing = false;
            on.keep_conflict_list();
            off.keep_conflict_list();
            let mut acked: BTreeSet<WriteId> = BTreeSet::new();
            let mut holds: Vec<(Key, WriteId)> = Vec::new();
            let mut pins: Vec<WriteId> = Vec::new();
            let mut written: Vec<(Key, WriteId)> = Vec::new();
            for k in 0..2u64 {
                let (g, _) = on.genesis(Key(k), WriteId(u64::MAX - k));
                off.genesis(Key(k), WriteId(u64::MAX - k));
                folded.genesis(Key(k), WriteId(u64::MAX - k));
                holds.extend([(Key(k), g), (Key(k), g)]);
            }
            for step in 0..400u64 {
                let now = t(step);
                let both = |f: &mut dyn FnMut(&mut VersionTree), trees: [&mut VersionTree; 3]| {
                    for tree in trees {
                        f(tree);
                    }
                };
                match next(10) {
                    0..=2 if !holds.is_empty() => {
                        let i = next(holds.len() as u64) as usize;
                        let (key, parent) = holds[i];
                        let id = WriteId(step + 1);
                        let n = 1 + next(3) as u32;
                        let region = RegionId::new(next(2) as usize);
                        both(&mut |tr| tr.create(id, parent, region, n), [&mut on, &mut off, &mut folded]);
                        holds.extend((0..n).map(|_| (key, id)));
                        written.push((key, id));
                        if next(2) == 0 {
                            holds.swap_remove(i);
                            both(&mut |tr| tr.release(parent, now), [&mut on, &mut off, &mut folded]);
                        }
                    }
                    3 | 4 if !holds.is_empty() => {
                        let (_, id) = holds.swap_remove(next(holds.len() as u64) as usize);
                        let cause = if next(8) == 0 { LossCause::Failover } else { LossCause::LastWriterWins };
                        both(&mut |tr| tr.release_as(id, now, cause), [&mut on, &mut off, &mut folded]);
                    }
                    5 if !holds.is_empty() => {
                        let (_, id) = holds[next(holds.len() as u64) as usize];
                        if on.acked_at(id).is_none() && id.0 < u64::MAX - 1 {
                            both(&mut |tr| tr.acknowledge(id, now), [&mut on, &mut off, &mut folded]);
                            acked.insert(id);
                        }
                    }
                    6 if !holds.is_empty() => {
                        let (key, id) = holds[next(holds.len() as u64) as usize];
                        let (_, winner) = holds[next(holds.len() as u64) as usize];
                        if id.0 < u64::MAX - 1 && on.get(winner).key == key {
                            let how = dropped(step, EAST, winner.0, WEST);
                            both(&mut |tr| tr.mark_discarded(id, how), [&mut on, &mut off, &mut folded]);
                        } else {
                            both(&mut |tr| tr.mark_conflicted(winner), [&mut on, &mut off, &mut folded]);
                        }
                    }
                    7 if !holds.is_empty() => {
                        let (_, id) = holds[next(holds.len() as u64) as usize];
                        both(&mut |tr| tr.pin(id), [&mut on, &mut off, &mut folded]);
                        pins.push(id);
                    }
                    8 if !pins.is_empty() => {
                        let id = pins.swap_remove(next(pins.len() as u64) as usize);
                        both(&mut |tr| tr.unpin(id), [&mut on, &mut off, &mut folded]);
                    }
                    // A retry answered from the idempotency record: acknowledged if still live. Only
                    // a write never acknowledged is retried (its client heard nothing).
                    9 if !written.is_empty() => {
                        let (key, id) = written[next(written.len() as u64) as usize];
                        if acked.contains(&id) {
                            continue;
                        }
                        spliced_some += usize::from(off.is_live(id) && !on.is_live(id));
                        let live = on.revive(key, id);
                        assert_eq!(live, off.revive(key, id), "round {round} step {step}: {id:?}");
                        assert_eq!(live, folded.revive(key, id), "round {round} step {step}: {id:?}");
                        if live {
                            both(&mut |tr| tr.acquire(id), [&mut on, &mut off, &mut folded]);
                            holds.push((key, id));
                            both(&mut |tr| tr.acknowledge(id, now), [&mut on, &mut off, &mut folded]);
                            acked.insert(id);
                        }
                    }
                    _ => {}
                }
                assert_eq!(verdicts(&on), verdicts(&off), "round {round} step {step}");
                assert_eq!(tallies(&folded), tallies(&on), "round {round} step {step}");
                let carriers = folded.passengers.sorted_keys();
                folds_seen +=
                    usize::from(carriers.iter().any(|c| folded.passengers[c].folds.iter().any(|f| f.count > 1)));
                for _ in 0..4 {
                    if holds.is_empty() {
                        break;
                    }
                    let (ka, a) = holds[next(holds.len() as u64) as usize];
                    let (kb, b) = holds[next(holds.len() as u64) as usize];
                    if ka == kb {
                        assert_eq!(on.descends_from(a, b), off.descends_from(a, b), "round {round}: {a:?} {b:?}");
                        assert_eq!(on.descends_from(a, b), descends_naively(&off, a, b));
                        assert_eq!(folded.descends_from(a, b), off.descends_from(a, b));
                    }
                    if let Some(&p) = pins.get(next(pins.len().max(1) as u64) as usize) {
                        assert_eq!(on.precedes(a, p), off.precedes(a, p), "round {round}: {a:?} before {p:?}");
                        assert_eq!(on.observed(a, p), off.observed(a, p), "round {round}: {a:?} saw {p:?}");
                        assert_eq!(folded.precedes(a, p), off.precedes(a, p));
                        assert_eq!(folded.observed(a, p), off.observed(a, p));
                    }
                }
            }
            while let Some((_, id)) = holds.pop() {
                on.release(id, t(1_000));
                off.release(id, t(1_000));
                folded.release(id, t(1_000));
            }
            while let Some(id) = pins.pop() {
                on.unpin(id);
                off.unpin(id);
                folded.unpin(id);
            }
            assert_eq!(verdicts(&on), verdicts(&off), "round {round}, settled");
            assert_eq!(tallies(&folded), tallies(&on), "round {round}, settled");
            assert_eq!(on.live(), 0);
            assert_eq!(folded.live(), 0);
        }
        assert!(spliced_some > 50, "retries found spliced versions ({spliced_some})");
        assert!(folds_seen > 1000, "steps with a fold riding: {folds_seen}");
    }

    #[test]
    fn descends_from_follows_parents() {
        let mut tree = VersionTree::new(StoreId::new(0), 1);
        let (g, _) = tree.genesis(Key(1), WriteId(0));
        tree.create(WriteId(1), g, EAST, 1);
        tree.create(WriteId(2), WriteId(1), EAST, 1);
        tree.create(WriteId(3), g, WEST, 1);
        assert!(tree.descends_from(WriteId(2), g));
        assert!(tree.descends_from(WriteId(2), WriteId(1)));
        assert!(tree.descends_from(WriteId(2), WriteId(2)));
        assert!(!tree.descends_from(WriteId(3), WriteId(1)));
        assert!(!tree.descends_from(WriteId(1), WriteId(2)));
    }
}
