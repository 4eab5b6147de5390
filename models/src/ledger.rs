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

/// A store's own order of an item's versions, for stores that order them by a rule of their own
/// rather than by what each write observed: last-writer-wins keeps the version with the greatest
/// timestamp (then Region), whatever it observed. Greater is newer by that rule.
pub type StoreOrder = u128;

/// What the checker remembers of a session: its last acknowledged write and its last read, each
/// pinned (so they can be compared with later reads, never held: see [`crate::checker`]) until
/// replaced.
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
    /// Memory follows the sessions: two pinned versions each, at most. Looked up only; the end of
    /// the run visits them sorted by session.
    sessions: LookupMap<SessionId, Session>,
    /// The newest acknowledged write of each item, pinned so a later read can be compared with it.
    /// Looked up only; the end of the run visits them sorted by key.
    newest_acked: LookupMap<Key, WriteId>,
    /// The greatest store order among the writes acknowledged of each item, for a store that has
    /// one ([`StoreOrder`]). Looked up only.
    newest_acked_order: LookupMap<Key, StoreOrder>,
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
            newest_acked_order: LookupMap::new(),
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

    /// Pins the newest write acknowledged for `key`, for a read beginning now: the read's snapshot,
    /// let go by [`Ledger::judge_read`] or [`Ledger::drop_snapshot`].
    pub fn snapshot_newest_acked(&mut self, key: Key) -> Option<WriteId> {
        let newest = *self.newest_acked.get(&key)?;
        self.tree.pin(newest);
        Some(newest)
    }

    /// A write of `key` with store order `order` was acknowledged to its client.
    pub fn acknowledge_order(&mut self, key: Key, order: StoreOrder) {
        let newest = self.newest_acked_order.entry(key).or_insert(order);
        *newest = (*newest).max(order);
    }

    /// The greatest store order acknowledged for `key`, for a read beginning now.
    pub fn snapshot_order(&self, key: Key) -> Option<StoreOrder> {
        self.newest_acked_order.get(&key).copied()
    }

    /// Whether a read that returned a version of store order `returned` (None: the item was never
    /// written) is stale by the store's own order: older, by that order, than a write acknowledged
    /// before the read began (`snapshot`, from [`Ledger::snapshot_order`]). Beside the causal verdict
    /// of [`Ledger::judge_read`], never instead of it: under last-writer-wins a read can return a
    /// write that observed every acknowledged one and still lose to a clock that ran ahead, or
    /// return a concurrent version that the timestamps rank newer.
    pub fn stale_by_order(snapshot: Option<StoreOrder>, returned: Option<StoreOrder>) -> bool {
        snapshot.is_some_and(|newest| returned.is_none_or(|r| r < newest))
    }

    /// A read ended without a verdict: its snapshot is let go.
    pub fn drop_snapshot(&mut self, snapshot: WriteId) {
        self.tree.unpin(snapshot);
    }

    /// The verdict on a read that returned `returned` (live) and began at `began`, when `snapshot`
    /// (pinned, and let go here) was the newest acknowledged write: `Some(staleness)` if stale.
    pub fn judge_read(&mut self, returned: WriteId, began: SimTime, snapshot: Option<WriteId>) -> Option<SimDuration> {
        let newest = snapshot?;
        let fresh = self.tree.observed(returned, newest);
        let acked_at = self.tree.acked_at(newest).expect("the newest acknowledged write was acknowledged");
        self.tree.unpin(newest);
        if fresh { None } else { Some(began.saturating_since(acked_at)) }
    }

    /// The client received the acknowledgement of `write`, with the response's hold on it: the
    /// write becomes the item's newest acknowledged (pinned) and the response lets go of it, which
    /// settles it as lost at once if no replica holds it any more.
    pub fn acknowledge(&mut self, now: SimTime, key: Key, write: WriteId) {
        self.tree.acknowledge(write, now);
        self.tree.pin(write);
        if let Some(previous) = self.newest_acked.insert(key, write) {
            self.tree.unpin(previous);
        }
        self.tree.release(write, now);
    }

    /// A retried write found its idempotency key already applied as `write`, and the client is told
    /// it succeeded: `write` is acknowledged now. If it has already been overwritten out of
    /// existence, it is an acknowledged write that did not survive: lost. Returns whether it was
    /// acknowledged (so the session can remember it) rather than lost.
    pub fn acknowledge_retry(&mut self, now: SimTime, key: Key, write: WriteId, region: RegionId) -> bool {
        // A retried write may have been spliced out of its chain (no hold, no pin, one child): it
        // is live all the same, and goes back into the tree to be acknowledged and pinned.
        if self.tree.revive(key, write) {
            self.tree.acquire(write);
            self.acknowledge(now, key, write);
            true
        } else {
            self.tree.record_lost(write, key, region, now);
            false
        }
    }

    /// The session's write of `key` was acknowledged: it becomes the session's last write.
    pub fn session_wrote(&mut self, session: SessionId, key: Key, write: WriteId) {
        self.tree.pin(write);
        let previous = self.sessions.entry(session).or_default().last_write.replace((key, write));
        if let Some((_, old)) = previous {
            self.tree.unpin(old);
        }
    }

    /// The version the session last read of `key`, if its last read was of `key`.
    pub fn session_last_read(&self, session: SessionId, key: Key) -> Option<WriteId> {
        self.sessions.get(&session).and_then(|s| s.last_read).filter(|(k, _)| *k == key).map(|(_, w)| w)
    }

    /// The session read `returned` (live) of `key`: judges it against the session's own last write
    /// and last read of the item, then remembers it as the session's last read.
    pub fn session_read(&mut self, session: SessionId, key: Key, returned: WriteId) -> SessionVerdict {
        // One lookup: remember this read now, judge against what the session held before.
        let entry = self.sessions.entry(session).or_default();
        let state = *entry;
        entry.last_read = Some((key, returned));
        let mut verdict = SessionVerdict::default();
        if let Some((k, written)) = state.last_write
            && k == key
        {
            verdict.read_your_writes_violation = !self.tree.observed(returned, written);
        }
        if let Some((k, read)) = state.last_read
            && k == key
        {
            verdict.monotonic_read_violation = self.tree.precedes(returned, read);
        }
        self.tree.pin(returned);
        if let Some((_, old)) = state.last_read {
            self.tree.unpin(old);
        }
        verdict
    }

    pub fn release(&mut self, write: WriteId, now: SimTime) {
        self.tree.release(write, now);
    }

    pub fn release_as(&mut self, write: WriteId, now: SimTime, cause: LossCause) {
        self.tree.release_as(write, now, cause);
    }

    /// The end of the run: the newest-acknowledged and session pins go (they decide nothing, so
    /// this settles nothing; it empties the tombs).
    pub fn release_acknowledged(&mut self) {
        for (_, write) in std::mem::take(&mut self.newest_acked).into_sorted_vec() {
            self.tree.unpin(write);
        }
        for (_, session) in std::mem::take(&mut self.sessions).into_sorted_vec() {
            for (_, write) in session.last_write.into_iter().chain(session.last_read) {
                self.tree.unpin(write);
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
        l.session_wrote(S, K, WriteId(1));
        assert_eq!(
            l.session_read(S, K, g),
            SessionVerdict { read_your_writes_violation: true, monotonic_read_violation: false }
        );
        assert_eq!(l.session_read(S, K, WriteId(1)), SessionVerdict::default());
        assert_eq!(
            l.session_read(S, K, g),
            SessionVerdict { read_your_writes_violation: true, monotonic_read_violation: true }
        );
        // Another session, another item: no verdict from this session's history.
        assert_eq!(l.session_read((0, 8), K, g), SessionVerdict::default());
        let other_item = l.genesis(Key(2));
        assert_eq!(l.session_read(S, Key(2), other_item), SessionVerdict::default());
        l.release_acknowledged();
        assert!(l.tree().lost().is_empty());
    }

    /// East writes w1 and west w2, both on genesis, both acknowledged; w2 wins last-writer-wins at
    /// both replicas. Two sessions remember w1 (its writer, and a reader), yet w1 dies the moment the
    /// last replica and message let go of it: it is lost then, both writes are conflicted, and
    /// nothing else is. West writes on: none of those writes is conflicted, though the sessions
    /// still remember w1. The sessions' verdicts come from w1's tomb: its writer misses its write,
    /// its reader sees no ancestor of w1 in what west returns.
    #[test]
    fn a_version_only_sessions_remember_is_settled_and_conflicts_with_nothing() {
        let west = RegionId::from_raw(1);
        let (writer, reader) = ((0, 1), (1, 1));
        let mut l = Ledger::new(StoreId::new(0), 2);
        let g = l.genesis(K);
        let drop_for = |winner: u64| crate::checker::Resolution {
            at: t(40),
            replica: EAST,
            stamp_nanos: 0,
            winner: WriteId(winner),
            winner_region: west,
            winner_stamp_nanos: 1,
        };
        l.tree_mut().create(WriteId(1), g, EAST, 3); // east replica, the shipment, the answer
        l.release(g, t(0));
        l.acknowledge(t(1), K, WriteId(1));
        l.session_wrote(writer, K, WriteId(1));
        assert_eq!(l.session_read(reader, K, WriteId(1)), SessionVerdict::default());
        l.tree_mut().create(WriteId(2), g, west, 3);
        l.release(g, t(2));
        l.acknowledge(t(3), K, WriteId(2));
        assert_eq!(l.tree().conflicted_acked(), 0, "nothing has met yet");
        // w1 reaches west and loses to w2; w2 reaches east and wins over w1.
        l.tree_mut().mark_discarded(WriteId(1), drop_for(2));
        l.release(WriteId(1), t(40));
        l.tree_mut().mark_discarded(WriteId(1), drop_for(2));
        assert!(l.tree().lost().is_empty(), "east still holds w1");
        l.release(WriteId(1), t(41)); // east takes w2 (the shipment's hold becomes east's)
        let lost: Vec<(WriteId, SimTime)> = l.tree().lost().iter().map(|x| (x.write, x.lost_at)).collect();
        assert_eq!(lost, vec![(WriteId(1), t(41))], "lost when the last replica let go, sessions or not");
        assert_eq!(l.tree().conflicted_acked(), 2, "w1 and w2 met at both replicas: each counts once");
        // West writes w3..w12 on the winning branch: no conflict, whoever remembers w1.
        let mut parent = WriteId(2);
        for w in 3..13 {
            l.tree_mut().create(WriteId(w), parent, west, 3); // west replica, the shipment, the answer
            l.release(parent, t(50 + w));
            l.acknowledge(t(50 + w), K, WriteId(w));
            l.release(parent, t(60 + w)); // the shipment reaches east, which takes it
            parent = WriteId(w);
        }
        assert_eq!(l.tree().conflicted_acked(), 2);
        // The tree keeps the replicas' current version (w12) and the tombs of w1 and of genesis
        // (w1's anchor, pruned since as a survivor): not the chain the sessions saw.
        assert_eq!(l.tree().live(), 3);
        assert_eq!(
            l.session_read(writer, K, WriteId(12)),
            SessionVerdict { read_your_writes_violation: true, monotonic_read_violation: false }
        );
        assert_eq!(l.session_read(reader, K, WriteId(12)), SessionVerdict::default());
        l.release_acknowledged();
        assert_eq!(l.tree().live(), 1, "the tombs went with the last pins");
    }

    /// Three replicas. A session reads r, east's write on genesis. Central writes w on genesis and
    /// w wins at east; r's shipments lose, so r dies while west still holds genesis. The session
    /// then reads genesis at west: an ancestor of what it read before, a monotonic-read violation,
    /// decided from r's tomb (anchored on genesis).
    #[test]
    fn a_dead_version_keeps_its_ancestors_for_monotonic_reads() {
        let central = RegionId::from_raw(2);
        let mut l = Ledger::new(StoreId::new(0), 3);
        let g = l.genesis(K);
        l.tree_mut().create(WriteId(1), g, EAST, 2); // east replica + shipments
        l.release(g, t(0));
        assert_eq!(l.session_read(S, K, WriteId(1)), SessionVerdict::default());
        l.tree_mut().create(WriteId(2), g, central, 3);
        l.release(g, t(1));
        l.release(WriteId(1), t(30)); // east takes w
        l.release(WriteId(1), t(31)); // r's shipments lose everywhere
        assert!(!l.tree().is_live(WriteId(1)));
        assert!(l.tree().lost().is_empty(), "r was never acknowledged");
        assert_eq!(
            l.session_read(S, K, g),
            SessionVerdict { read_your_writes_violation: false, monotonic_read_violation: true }
        );
        assert_eq!(l.session_read(S, K, WriteId(2)), SessionVerdict::default(), "w is no ancestor of g");
    }

    /// A read's snapshot pins the newest acknowledged write; when that write dies before the read
    /// ends, its tomb stays for the snapshot, and goes when the read ends without a verdict.
    #[test]
    fn a_dropped_snapshot_lets_go_of_its_tomb() {
        let west = RegionId::from_raw(1);
        let mut l = Ledger::new(StoreId::new(0), 2);
        let g = l.genesis(K);
        l.tree_mut().create(WriteId(1), g, EAST, 3); // east replica, the shipment, the answer
        l.release(g, t(0));
        l.acknowledge(t(1), K, WriteId(1));
        let snapshot = l.snapshot_newest_acked(K).expect("w1 was acknowledged");
        l.tree_mut().create(WriteId(2), g, west, 2); // west replica, the shipment
        l.release(g, t(2));
        l.acknowledge(t(3), K, WriteId(2)); // w2 is now the newest acknowledged, w1 only the snapshot's
        l.tree_mut().acquire(WriteId(2)); // the answer's hold, given back for the shipment below
        l.release(WriteId(1), t(40)); // w2 wins at east
        l.release(WriteId(1), t(41)); // w1's shipment loses at west: w1 dies
        assert_eq!(l.tree().lost().len(), 1);
        // w2, w1's tomb and genesis's (w1's anchor, pruned since as a survivor, kept by w1's tomb).
        assert_eq!(l.tree().live(), 3);
        l.drop_snapshot(snapshot);
        assert_eq!(l.tree().live(), 1, "both tombs went with the snapshot's pin: w2 is left");
    }

    /// A read that begins after the newest acknowledged write died: its snapshot pins that write's
    /// tomb, and what it returns (a write that never observed it) is stale by how long before the
    /// read began the lost write was acknowledged. The tomb stays while the item's newest
    /// acknowledged write still pins it, and goes when a newer one is acknowledged; a read of that
    /// one is fresh.
    #[test]
    fn a_read_after_the_newest_acknowledged_write_died_is_stale_from_its_acknowledgement() {
        let west = RegionId::from_raw(1);
        let mut l = Ledger::new(StoreId::new(0), 2);
        let g = l.genesis(K);
        l.tree_mut().create(WriteId(1), g, EAST, 2); // east replica, the answer
        l.release(g, t(0));
        l.acknowledge(t(1), K, WriteId(1));
        l.tree_mut().create(WriteId(2), g, west, 1); // west replica
        l.release(g, t(2));
        l.release(WriteId(1), t(40)); // w2 wins at east: w1 dies, lost
        l.tree_mut().acquire(WriteId(2)); // east takes w2
        assert_eq!(l.tree().lost().len(), 1);
        assert_eq!(l.tree().live(), 3, "w2, w1's tomb and genesis's (w1's anchor, survived since)");
        let snapshot = l.snapshot_newest_acked(K);
        assert_eq!(snapshot, Some(WriteId(1)), "still the newest acknowledged write");
        assert_eq!(l.judge_read(WriteId(2), t(100), snapshot), Some(SimDuration::from_millis(99)));
        assert_eq!(l.tree().live(), 3, "the read let go of its pin; the newest-acknowledged one keeps the tombs");
        l.tree_mut().acquire(WriteId(2)); // the answer to a write acknowledged as w2 (a retry, say)
        l.acknowledge(t(110), K, WriteId(2));
        assert_eq!(l.tree().live(), 1, "w1 is no longer the newest acknowledged: its tombs go");
        let snapshot = l.snapshot_newest_acked(K);
        assert_eq!(l.judge_read(WriteId(2), t(120), snapshot), None);
        assert_eq!(l.judge_read(WriteId(2), t(120), None), None, "nothing acknowledged: never stale");
        assert_eq!(l.snapshot_newest_acked(Key(9)), None);
    }

    /// The version a session last read of an item is known while its last read was of that item:
    /// a read of another item replaces it, and another session's reads are not its own.
    #[test]
    fn a_sessions_last_read_is_of_the_item_it_last_read() {
        let mut l = Ledger::new(StoreId::new(0), 1);
        let g = l.genesis(K);
        let other = l.genesis(Key(2));
        assert_eq!(l.session_last_read(S, K), None, "nothing read yet");
        l.session_read(S, K, g);
        assert_eq!(l.session_last_read(S, K), Some(g));
        assert_eq!(l.session_last_read(S, Key(2)), None, "its last read was of another item");
        assert_eq!(l.session_last_read((0, 8), K), None, "another session");
        l.session_read(S, Key(2), other);
        assert_eq!((l.session_last_read(S, K), l.session_last_read(S, Key(2))), (None, Some(other)));
    }

    /// A replica hold the ledger lets go of as a failover's: the acknowledged write it held dies
    /// lost to the failover, not to last-writer-wins.
    #[test]
    fn a_hold_released_as_a_failovers_loses_its_write_to_it() {
        let mut l = Ledger::new(StoreId::new(0), 1);
        let g = l.genesis(K);
        l.tree_mut().create(WriteId(1), g, EAST, 2); // the writer, and the answer
        l.release(g, t(0));
        l.acknowledge(t(1), K, WriteId(1));
        l.release_as(WriteId(1), t(60_000), LossCause::Failover); // the promotion drops the writer
        let lost: Vec<(WriteId, LossCause, SimTime)> =
            l.tree().lost().iter().map(|x| (x.write, x.cause, x.lost_at)).collect();
        assert_eq!(lost, vec![(WriteId(1), LossCause::Failover, t(60_000))]);
    }

    /// A retried write whose idempotency record answers it after its version died is an
    /// acknowledged write that did not survive: lost to last-writer-wins, and conflicted.
    #[test]
    fn a_retry_acknowledged_after_its_version_died_is_lost() {
        let west = RegionId::from_raw(1);
        let mut l = Ledger::new(StoreId::new(0), 2);
        let g = l.genesis(K);
        // East takes w1 (its answer timed out: no answer hold), west w2, concurrently.
        l.tree_mut().create(WriteId(1), g, EAST, 2); // east replica + shipment
        l.release(g, t(0));
        l.tree_mut().create(WriteId(2), g, west, 2);
        l.release(g, t(0));
        l.release(WriteId(1), t(30)); // w2 wins at east
        assert!(l.acknowledge_retry(t(31), K, WriteId(1), EAST), "w1 is live (its shipment): acknowledged");
        l.release(WriteId(1), t(32)); // w1's shipment loses at west: w1 dies, acknowledged
        let lost: Vec<(WriteId, SimTime)> = l.tree().lost().iter().map(|x| (x.write, x.lost_at)).collect();
        assert_eq!(lost, vec![(WriteId(1), t(32))]);
        let mut l2 = Ledger::new(StoreId::new(0), 2);
        let g = l2.genesis(K);
        l2.tree_mut().create(WriteId(1), g, EAST, 2);
        l2.release(g, t(0));
        l2.tree_mut().create(WriteId(2), g, west, 2);
        l2.release(g, t(0));
        l2.release(WriteId(1), t(30));
        l2.release(WriteId(1), t(32)); // w1 dies before the retry: never acknowledged, not lost
        assert!(l2.tree().lost().is_empty());
        assert!(!l2.acknowledge_retry(t(33), K, WriteId(1), EAST), "w1 is gone: the retry's success is a loss");
        let lost: Vec<(WriteId, LossCause)> = l2.tree().lost().iter().map(|x| (x.write, x.cause)).collect();
        assert_eq!(lost, vec![(WriteId(1), LossCause::LastWriterWins)]);
        assert_eq!(l2.tree().conflicted_acked(), 1);
        let lost: Vec<(WriteId, LossCause)> = l.tree().lost().iter().map(|x| (x.write, x.cause)).collect();
        assert_eq!(lost, vec![(WriteId(1), LossCause::LastWriterWins)]);
        assert_eq!(l.tree().conflicted_acked(), 1);
    }
}
