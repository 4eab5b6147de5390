//! The checker's bookkeeping that every store shares, whatever its replication: the version tree,
//! each item's genesis, the newest acknowledged write of each item, read snapshots, and the verdict
//! on a read.
//!
//! A store (a replication channel) decides what its replicas hold and when; it tells the ledger by
//! creating versions and taking and releasing holds (see [`crate::checker`]). The ledger turns that
//! into the verdicts DESIGN.md defines: a read is stale when it returns neither the newest write
//! acknowledged before it began nor a descendant of it, and its staleness is how long before the
//! read began that write was acknowledged.

use sim_core::{LookupMap, SimDuration, SimTime};

use crate::checker::{LossCause, VersionTree};
use crate::ids::{Key, RegionId, StoreId, WriteId};

/// A client session, as the checker follows it: (population index, user).
pub type SessionId = (u16, u64);

/// What the checker remembers of a session: its last acknowledged write and its last read, each
/// held (so they can be compared with later reads) until replaced.
#[derive(Clone, Copy, Debug, Default)]
struct Session {
    last_write: Option<(Key, WriteId)>,
    last_read: Option<(Key, WriteId)>,
}

/// How a read looked from its session.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SessionVerdict {
    /// The read returned neither the session's own last acknowledged write of the item nor a
    /// descendant of it.
    pub read_your_writes_violation: bool,
    /// The read returned a proper ancestor of the version the session read of the item last time.
    pub monotonic_read_violation: bool,
}

/// The checker state of one store.
#[derive(Clone, Debug)]
pub struct Ledger {
    tree: VersionTree,
    /// Memory follows the sessions: two held versions each, at most. Looked up only; the end of
    /// the run visits them sorted by session.
    sessions: LookupMap<SessionId, Session>,
    /// The newest acknowledged write of each item, held so a later read can be compared with it.
    /// Looked up only; the end of the run visits them sorted by key.
    newest_acked: LookupMap<Key, WriteId>,
    /// Genesis versions take ids from the top of the id space; writes from the bottom.
    next_genesis: u64,
}

impl Ledger {
    /// A ledger for a store whose items start held by `holders` places (its replicas).
    pub fn new(store: StoreId, holders: u32) -> Self {
        Ledger {
            tree: VersionTree::new(store, holders),
            sessions: LookupMap::new(),
            newest_acked: LookupMap::new(),
            next_genesis: u64::MAX,
        }
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

    /// The session's write of `key` was acknowledged: it becomes the session's last write.
    pub fn session_wrote(&mut self, now: SimTime, session: SessionId, key: Key, write: WriteId) {
        self.tree.acquire(write);
        let previous = self.sessions.entry(session).or_default().last_write.replace((key, write));
        if let Some((_, old)) = previous {
            self.tree.release(old, now);
        }
    }

    /// The version the session last read of `key`, if its last read was of `key`.
    pub fn session_last_read(&self, session: SessionId, key: Key) -> Option<WriteId> {
        self.sessions.get(&session).and_then(|s| s.last_read).filter(|(k, _)| *k == key).map(|(_, w)| w)
    }

    /// The session read `returned` (live) of `key`: judges it against the session's own last write
    /// and last read of the item, then remembers it as the session's last read.
    pub fn session_read(&mut self, now: SimTime, session: SessionId, key: Key, returned: WriteId) -> SessionVerdict {
        // One lookup: remember this read now, judge against what the session held before.
        let entry = self.sessions.entry(session).or_default();
        let state = *entry;
        entry.last_read = Some((key, returned));
        let mut verdict = SessionVerdict::default();
        if let Some((k, written)) = state.last_write
            && k == key
        {
            verdict.read_your_writes_violation = !self.tree.descends_from(returned, written);
        }
        if let Some((k, read)) = state.last_read
            && k == key
        {
            verdict.monotonic_read_violation = returned != read && self.tree.descends_from(read, returned);
        }
        self.tree.acquire(returned);
        if let Some((_, old)) = state.last_read {
            self.tree.release(old, now);
        }
        verdict
    }

    pub fn release(&mut self, write: WriteId, now: SimTime) {
        self.tree.release(write, now);
    }

    pub fn release_as(&mut self, write: WriteId, now: SimTime, cause: LossCause) {
        self.tree.release_as(write, now, cause);
    }

    /// The end of the run: the newest-acknowledged and session holds go, so what they kept alive is
    /// settled.
    pub fn release_acknowledged(&mut self, now: SimTime) {
        for (_, write) in std::mem::take(&mut self.newest_acked).into_sorted_vec() {
            self.tree.release(write, now);
        }
        for (_, session) in std::mem::take(&mut self.sessions).into_sorted_vec() {
            for (_, write) in session.last_write.into_iter().chain(session.last_read) {
                self.tree.release(write, now);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EAST: RegionId = RegionId::from_raw(0);
    const K: Key = Key(1);
    const S: SessionId = (0, 7);

    fn t(ms: u64) -> SimTime {
        SimTime::from_nanos(ms * 1_000_000)
    }

    /// A session writes w1 and reads the item back from a replica that still holds genesis: a
    /// read-your-writes violation. It then reads w1, then genesis again: a monotonic-read violation
    /// (genesis is an ancestor of w1), and read-your-writes again.
    #[test]
    fn session_verdicts_by_hand() {
        let mut l = Ledger::new(StoreId::new(0), 2);
        let g = l.genesis(K);
        l.tree_mut().create(WriteId(1), g, EAST, 2); // east replica + the answer
        l.release(g, t(0)); // east moved off genesis; west still holds it
        l.acknowledge(t(5), K, WriteId(1));
        l.session_wrote(t(5), S, K, WriteId(1));
        assert_eq!(
            l.session_read(t(6), S, K, g),
            SessionVerdict { read_your_writes_violation: true, monotonic_read_violation: false }
        );
        assert_eq!(l.session_read(t(7), S, K, WriteId(1)), SessionVerdict::default());
        assert_eq!(
            l.session_read(t(8), S, K, g),
            SessionVerdict { read_your_writes_violation: true, monotonic_read_violation: true }
        );
        // Another session, another item: no verdict from this session's history.
        assert_eq!(l.session_read(t(9), (0, 8), K, g), SessionVerdict::default());
        let other_item = l.genesis(Key(2));
        assert_eq!(l.session_read(t(9), S, Key(2), other_item), SessionVerdict::default());
        l.release_acknowledged(t(10));
        assert!(l.tree().lost().is_empty());
    }

    /// A write is a conflict when another live branch exists that it did not observe. w2 forks off
    /// genesis beside w1; w3 extends w2 but never saw w1 either; once w1 dies, w4 on w3 is alone.
    #[test]
    fn writes_concurrent_with_a_live_branch_are_conflicts() {
        let west = RegionId::from_raw(1);
        let mut l = Ledger::new(StoreId::new(0), 2);
        let g = l.genesis(K);
        l.tree_mut().create(WriteId(1), g, EAST, 1);
        assert_eq!(l.tree().conflicts(), 0, "w1 is the only write");
        l.tree_mut().create(WriteId(2), g, west, 1);
        assert_eq!(l.tree().conflicts(), 1, "w2 did not observe w1");
        l.tree_mut().create(WriteId(3), WriteId(2), west, 1);
        assert_eq!(l.tree().conflicts(), 2, "w3 observed w2 but not w1");
        l.release(WriteId(1), t(1)); // w1 loses everywhere and dies
        l.tree_mut().create(WriteId(4), WriteId(3), west, 1);
        assert_eq!(l.tree().conflicts(), 2, "w4 has no live branch beside it");
    }
}
