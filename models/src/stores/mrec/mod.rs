//! A DynamoDB global table in multi-Region eventual consistency (MREC).
//!
//! Each replica Region keeps the current version of every item it has seen. A write lands on the
//! local replica at once and is shipped asynchronously to every other replica; a replica applies a
//! shipped version only if its timestamp is later than the version it holds (last writer wins per
//! item, ties broken by Region id, so every replica makes the same choice and they converge).
//! The table also keeps the consistency checker's [`VersionTree`] up to date: every replica's
//! current version, shipment in flight and pending response is a hold on the version it names.

use std::collections::{BTreeMap, BTreeSet};

use sim_core::{Dist, LookupMap, SimDuration, SimTime, Stream};

use crate::checker::{LossCause, Resolution, VersionTree};
use crate::ids::{Key, RegionId, StoreId, WriteId};
use crate::ledger::Ledger;

/// A last-writer-wins timestamp: the writing Region's clock, then its id as the tie-break.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stamp {
    pub nanos: u64,
    pub region: RegionId,
}

impl Stamp {
    /// The stamp as the store's own order of versions (last writer wins: the clock, then the
    /// Region).
    pub fn order(self) -> crate::ledger::StoreOrder {
        (u128::from(self.nanos) << 16) | u128::from(self.region.index() as u16)
    }

    /// How last-writer-wins dropped `self` for `winner` at `replica` at `at`, for the conflict list.
    fn dropped_for(self, winner: WriteId, winner_stamp: Stamp, replica: RegionId, at: SimTime) -> Resolution {
        Resolution {
            at,
            replica,
            stamp_nanos: self.nanos,
            winner,
            winner_region: winner_stamp.region,
            winner_stamp_nanos: winner_stamp.nanos,
        }
    }

    /// The stamp of a write by `region` at clock reading `nanos` over a version stamped `current`.
    /// A local write always replaces the local item, so its stamp must beat the one it replaces, or
    /// the replicas that receive both would keep the older one and diverge from this one; when the
    /// clock reads earlier (a version stamped by a Region whose clock runs ahead), the stamp is
    /// moved just past `current`.
    fn for_write(nanos: u64, region: RegionId, current: Option<Stamp>) -> Stamp {
        let own = Stamp { nanos, region };
        match current {
            Some(c) if c >= own => Stamp { nanos: c.nanos + 1, region },
            _ => own,
        }
    }
}

/// A write on its way to the other replicas.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Shipment {
    pub write: WriteId,
    pub key: Key,
    pub stamp: Stamp,
    pub committed_at: SimTime,
    /// A delete: the version is a tombstone.
    pub deleted: bool,
    /// The client operation's idempotency key; its record replicates with the write.
    pub operation: u64,
}

#[derive(Clone, Copy, Debug)]
struct Item {
    write: WriteId,
    stamp: Stamp,
    deleted: bool,
    /// The operation that wrote it (its idempotency key), for histories.
    operation: u64,
}

/// How long a replica remembers an applied idempotency key (DynamoDB's client tokens are valid for
/// ten minutes). A record also goes as soon as no attempt of its operation can come any more (see
/// [`Table::forget_operation`]): nothing could ever read it, so memory follows the operations in
/// flight, not the ten minutes of writes.
const IDEMPOTENCY_WINDOW: SimDuration = SimDuration::from_mins(10);

/// The replicas of one table, and its checker state.
pub struct Table {
    id: StoreId,
    replica_of: Vec<bool>,
    /// Per Region (by index): the items of its replica; empty where the table has no replica.
    /// Looked up only; the end of the run visits them sorted by key.
    items: Vec<LookupMap<Key, Item>>,
    ledger: Ledger,
    /// Per Region: idempotency keys applied there, with when and as which write, while their
    /// operation can still send an attempt.
    applied: Vec<BTreeMap<u64, (SimTime, WriteId)>>,
    replication_delay: Dist,
    replication: Stream,
    per_item_order: bool,
    /// With per-item order: the latest time an item's next change may ship from a Region (`None`)
    /// or reach a replica (`Some(to)`). An entry lives while a change of the item is on that path.
    order: BTreeMap<(Key, RegionId, Option<RegionId>), SimTime>,
    /// Writes committed and not yet applied at a replica, by (item, destination): a write made at
    /// the destination meanwhile, later than such a write, discards it (it did not receive it).
    /// Ordered by stamp, so a local write takes exactly the older ones, and an arrival finds its
    /// own in logarithmic time however many wait (a dark Region's copies pile up here).
    in_flight: BTreeMap<(Key, RegionId), BTreeSet<(Stamp, WriteId)>>,
    divergent_keys: u64,
}

impl Table {
    /// A table with replicas in `replicas` (of `regions` Regions in all), whose pipeline ships each
    /// write after a delay drawn from `replication_delay` with the `replication` stream; with
    /// `per_item_order`, one item's changes never overtake each other on a path.
    pub fn new(
        id: StoreId,
        replicas: &[RegionId],
        regions: usize,
        (replication_delay, per_item_order): (Dist, bool),
        replication: Stream,
    ) -> Self {
        let mut replica_of = vec![false; regions];
        for r in replicas {
            replica_of[r.index()] = true;
        }
        Table {
            id,
            replica_of,
            items: vec![LookupMap::new(); regions],
            ledger: Ledger::new(id, replicas.len() as u32),
            applied: vec![BTreeMap::new(); regions],
            replication_delay,
            replication,
            per_item_order,
            order: BTreeMap::new(),
            in_flight: BTreeMap::new(),
            divergent_keys: 0,
        }
    }

    pub fn id(&self) -> StoreId {
        self.id
    }
    pub fn tree(&self) -> &VersionTree {
        self.ledger.tree()
    }
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }
    pub fn ledger_mut(&mut self) -> &mut Ledger {
        &mut self.ledger
    }
    pub fn is_replica(&self, region: RegionId) -> bool {
        self.replica_of[region.index()]
    }
    /// Keys whose replicas had not converged when the run finished.
    pub fn divergent_keys(&self) -> u64 {
        self.divergent_keys
    }

    /// The version `region`'s replica holds for `key`, creating the key's genesis if it is new.
    fn current(&mut self, region: RegionId, key: Key) -> (WriteId, Option<Stamp>) {
        if let Some(item) = self.items[region.index()].get(&key) {
            return (item.write, Some(item.stamp));
        }
        (self.ledger.genesis(key), None)
    }

    /// A client write taken by `region` at `now`. Returns the shipment and when the Region's
    /// pipeline ships it (the sampled replication delay).
    /// `clock_nanos` is the writing Region's clock reading, which stamps the write; `deleted` makes
    /// it a delete (a tombstone version); `operation` is its idempotency key.
    #[allow(clippy::too_many_arguments)]
    pub fn write_local(
        &mut self,
        now: SimTime,
        clock_nanos: u64,
        region: RegionId,
        key: Key,
        write: WriteId,
        deleted: bool,
        operation: u64,
    ) -> (SimDuration, Shipment) {
        debug_assert!(self.is_replica(region), "writes go to a replica Region");
        let (parent, parent_stamp) = self.current(region, key);
        let stamp = Stamp::for_write(clock_nanos, region, parent_stamp);
        // Holds: the local replica, the shipment, the response on its way to the client.
        self.ledger.tree_mut().create(write, parent, region, 3);
        self.ledger.tree_mut().release(parent, now);
        self.items[region.index()].insert(key, Item { write, stamp, deleted, operation });
        // Copies of earlier writes from elsewhere still on their way here are overwritten by a write
        // that never received them: they will lose here, whatever arrives in between.
        // Each is marked once and forgotten here (it is discarded whatever happens next), so a
        // Region that keeps writing an item never walks the same in-flight copies twice.
        if let Some(coming) = self.in_flight.get_mut(&(key, region)) {
            let tree = self.ledger.tree_mut();
            while let Some(&(s, w)) = coming.first()
                && s < stamp
            {
                coming.pop_first();
                tree.mark_discarded(w, s.dropped_for(write, stamp, region, now));
            }
            if coming.is_empty() {
                self.in_flight.remove(&(key, region));
            }
        }
        self.remember(now, region, operation, write);
        // From its commit, the write is on its way to every other replica (pipeline, then network).
        let others: Vec<RegionId> =
            (0..self.replica_of.len()).map(RegionId::new).filter(|&r| r != region && self.is_replica(r)).collect();
        for to in others {
            self.in_flight.entry((key, to)).or_default().insert((stamp, write));
        }
        let delay = self.replication_delay.sample_duration(&mut self.replication);
        (delay, Shipment { write, key, stamp, committed_at: now, deleted, operation })
    }

    /// Whether `key` exists (written and not deleted) in `region`'s replica.
    pub fn exists(&self, region: RegionId, key: Key) -> bool {
        self.items[region.index()].get(&key).is_some_and(|i| !i.deleted)
    }

    /// The write that idempotency key `operation` produced, if `region`'s replica has seen it.
    pub fn applied(&self, region: RegionId, operation: u64) -> Option<WriteId> {
        self.applied[region.index()].get(&operation).map(|&(_, w)| w)
    }

    fn remember(&mut self, now: SimTime, region: RegionId, operation: u64, write: WriteId) {
        let applied = &mut self.applied[region.index()];
        applied.insert(operation, (now, write));
        while let Some((&op, &(at, _))) = applied.first_key_value() {
            if now.saturating_since(at) <= IDEMPOTENCY_WINDOW {
                break;
            }
            applied.remove(&op);
        }
    }

    /// The operation whose write `region`'s replica holds for `key`; none if the item does not exist
    /// there (never written, or deleted).
    pub fn current_operation(&self, region: RegionId, key: Key) -> Option<u64> {
        self.items[region.index()].get(&key).filter(|i| !i.deleted).map(|i| i.operation)
    }

    /// The version `region`'s replica returns for `key` (genesis if it never had it).
    /// The store order of `region`'s current version of `key` (None: never written there).
    pub fn current_order(&mut self, region: RegionId, key: Key) -> Option<crate::ledger::StoreOrder> {
        self.current(region, key).1.map(Stamp::order)
    }

    pub fn current_version(&mut self, region: RegionId, key: Key) -> WriteId {
        self.current(region, key).0
    }

    /// A read of `key` at `region` now, for a read that began at `began` when `newest_acked`
    /// (pinned by the caller, let go here) was the newest acknowledged write. Returns how stale the
    /// answer is, if it is stale.
    pub fn read_local(
        &mut self,
        region: RegionId,
        key: Key,
        began: SimTime,
        newest_acked: Option<WriteId>,
    ) -> Option<SimDuration> {
        newest_acked?;
        let (returned, _) = self.current(region, key);
        self.ledger.judge_read(returned, began, newest_acked)
    }

    /// The pipeline of `from` ships `shipment`: one hold per destination replaces the shipment's.
    pub fn ship(&mut self, now: SimTime, shipment: &Shipment, from: RegionId) -> Vec<RegionId> {
        let targets: Vec<RegionId> =
            (0..self.replica_of.len()).map(RegionId::new).filter(|&r| r != from && self.is_replica(r)).collect();
        for _ in &targets {
            self.ledger.tree_mut().acquire(shipment.write);
        }
        self.ledger.tree_mut().release(shipment.write, now);
        targets
    }

    /// No attempt of `operation` can come any more (it ended, and none of its attempts is still on
    /// its way): its idempotency records go.
    pub fn forget_operation(&mut self, operation: u64) {
        for applied in &mut self.applied {
            applied.remove(&operation);
        }
    }

    /// A shipped version reaches the replica in `to`: last writer wins. `asked` says whether an
    /// attempt of its operation may still come (else its idempotency record is not kept). The
    /// caller records the replication lag (`shipment.committed_at` to now).
    pub fn apply_remote(&mut self, now: SimTime, to: RegionId, shipment: &Shipment, asked: bool) {
        if let Some(coming) = self.in_flight.get_mut(&(shipment.key, to)) {
            coming.remove(&(shipment.stamp, shipment.write));
            if coming.is_empty() {
                self.in_flight.remove(&(shipment.key, to));
            }
        }
        if asked {
            self.remember(now, to, shipment.operation, shipment.write);
        }
        let (current, current_stamp) = self.current(to, shipment.key);
        let wins = current_stamp.is_none_or(|s| shipment.stamp > s);
        // Whichever of the two loses here is discarded for a concurrent winner, unless the winner
        // observed it.
        let tree = self.ledger.tree_mut();
        match current_stamp {
            Some(held) if wins && !tree.descends_from(shipment.write, current) => {
                tree.mark_discarded(current, held.dropped_for(shipment.write, shipment.stamp, to, now));
            }
            Some(held) if !wins && !tree.descends_from(current, shipment.write) => {
                tree.mark_discarded(shipment.write, shipment.stamp.dropped_for(current, held, to, now));
            }
            _ => {}
        }
        if wins {
            let item = Item {
                write: shipment.write,
                stamp: shipment.stamp,
                deleted: shipment.deleted,
                operation: shipment.operation,
            };
            self.items[to.index()].insert(shipment.key, item);
            // The shipment's hold becomes the replica's; the replica lets go of its old version.
            self.ledger.tree_mut().release(current, now);
        } else {
            self.ledger.tree_mut().release(shipment.write, now);
        }
    }

    /// When a change of `key` on the path from `from` (to `to`, or through `from`'s pipeline) that is
    /// due at `at` may happen: no earlier than the previous change of the item on that path.
    pub fn in_order(&mut self, key: Key, from: RegionId, to: Option<RegionId>, at: SimTime) -> SimTime {
        if !self.per_item_order {
            return at;
        }
        let latest = self.order.entry((key, from, to)).or_insert(at);
        *latest = (*latest).max(at);
        *latest
    }

    /// A change of `key` on that path happened at `now`: forget the path if it was the last one.
    pub fn passed(&mut self, key: Key, from: RegionId, to: Option<RegionId>, now: SimTime) {
        if self.order.get(&(key, from, to)) == Some(&now) {
            self.order.remove(&(key, from, to));
        }
    }

    /// A replication message that can never be delivered (its Region never came back) lets go of
    /// its write.
    pub fn abandon(&mut self, now: SimTime, write: WriteId) {
        self.ledger.tree_mut().release_as(write, now, LossCause::RegionNeverReturned);
    }

    /// The end of the drain phase. `down[r]` marks Regions that never came back: their replicas are
    /// gone. Then counts divergent keys among the rest.
    pub fn finish(&mut self, now: SimTime, down: &[bool]) {
        self.ledger.release_acknowledged();
        for (r, is_down) in down.iter().enumerate() {
            if !*is_down {
                continue;
            }
            let gone = LossCause::RegionNeverReturned;
            if self.replica_of[r] {
                for (_, item) in std::mem::take(&mut self.items[r]).into_sorted_vec() {
                    self.ledger.tree_mut().release_as(item.write, now, gone);
                }
                self.replica_of[r] = false;
            }
        }
        self.divergent_keys = self.count_divergent();
    }

    fn count_divergent(&self) -> u64 {
        let replicas: Vec<usize> = (0..self.replica_of.len()).filter(|&r| self.replica_of[r]).collect();
        let mut keys: Vec<Key> = replicas.iter().flat_map(|&r| self.items[r].sorted_keys()).collect();
        keys.sort_unstable();
        keys.dedup();
        let held = |r: usize, k: &Key| self.items[r].get(k).map(|i| i.write);
        keys.iter().filter(|k| replicas.windows(2).any(|w| held(w[0], k) != held(w[1], k))).count() as u64
    }
}

#[cfg(test)]
mod tests;
