//! The checker's bookkeeping that every store shares, whatever its replication: the version tree,
//! each item's genesis, the newest acknowledged write of each item, read snapshots, and the verdict
//! on a read.
//!
//! A store (a replication channel) decides what its replicas hold and when; it tells the ledger by
//! creating versions and taking and releasing holds (see [`crate::checker`]). The ledger turns that
//! into the verdicts DESIGN.md defines: a read is stale when it returns neither the newest write
//! acknowledged before it began nor a descendant of it, and its staleness is how long before the
//! read began that write was acknowledged.

use std::collections::BTreeMap;

use sim_core::{SimDuration, SimTime};

use crate::checker::{LossCause, VersionTree};
use crate::ids::{Key, RegionId, StoreId, WriteId};

/// The checker state of one store.
#[derive(Clone, Debug)]
pub struct Ledger {
    tree: VersionTree,
    /// The newest acknowledged write of each item, held so a later read can be compared with it.
    newest_acked: BTreeMap<Key, WriteId>,
    /// Genesis versions take ids from the top of the id space; writes from the bottom.
    next_genesis: u64,
}

impl Ledger {
    /// A ledger for a store whose items start held by `holders` places (its replicas).
    pub fn new(store: StoreId, holders: u32) -> Self {
        Ledger { tree: VersionTree::new(store, holders), newest_acked: BTreeMap::new(), next_genesis: u64::MAX }
    }

    pub fn tree(&self) -> &VersionTree {
        &self.tree
    }
    pub fn tree_mut(&mut self) -> &mut VersionTree {
        &mut self.tree
    }

    /// The genesis version of `key` (the item not yet written), created with one hold per holder
    /// the first time the key is touched.
    pub fn genesis(&mut self, key: Key) -> WriteId {
        let (genesis, created) = self.tree.genesis(key, WriteId(self.next_genesis));
        if created {
            self.next_genesis -= 1;
        }
        genesis
    }

    /// Takes a hold on the newest write acknowledged for `key`, for a read beginning now.
    pub fn snapshot_newest_acked(&mut self, key: Key) -> Option<WriteId> {
        let newest = *self.newest_acked.get(&key)?;
        self.tree.acquire(newest);
        Some(newest)
    }

    /// The verdict on a read that returned `returned` (live) and began at `began`, when `snapshot`
    /// (held, and released here) was the newest acknowledged write: `Some(staleness)` if stale.
    pub fn judge_read(
        &mut self,
        now: SimTime,
        returned: WriteId,
        began: SimTime,
        snapshot: Option<WriteId>,
    ) -> Option<SimDuration> {
        let newest = snapshot?;
        let fresh = self.tree.descends_from(returned, newest);
        let acked_at = self.tree.acked_at(newest).expect("the newest acknowledged write was acknowledged");
        self.tree.release(newest, now);
        if fresh { None } else { Some(began.saturating_since(acked_at)) }
    }

    /// The client received the acknowledgement of `write`. The response's hold becomes the hold of
    /// "newest acknowledged write of the item".
    pub fn acknowledge(&mut self, now: SimTime, key: Key, write: WriteId) {
        self.tree.acknowledge(write, now);
        if let Some(previous) = self.newest_acked.insert(key, write) {
            self.tree.release(previous, now);
        }
    }

    /// A retried write found its idempotency key already applied as `write`, and the client is told
    /// it succeeded: `write` is acknowledged now. If it has already been overwritten out of
    /// existence, it is an acknowledged write that did not survive: lost.
    pub fn acknowledge_retry(&mut self, now: SimTime, key: Key, write: WriteId, region: RegionId) {
        if self.tree.is_live(write) {
            self.tree.acquire(write);
            self.acknowledge(now, key, write);
        } else {
            self.tree.record_lost(write, key, region, now);
        }
    }

    pub fn release(&mut self, write: WriteId, now: SimTime) {
        self.tree.release(write, now);
    }

    pub fn release_as(&mut self, write: WriteId, now: SimTime, cause: LossCause) {
        self.tree.release_as(write, now, cause);
    }

    /// The end of the run: the newest-acknowledged holds go, so what they kept alive is settled.
    pub fn release_acknowledged(&mut self, now: SimTime) {
        for write in std::mem::take(&mut self.newest_acked).into_values() {
            self.tree.release(write, now);
        }
    }
}
