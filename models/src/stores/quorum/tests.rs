use sim_core::{Seed, Stream};

use super::*;

const E1: RegionId = RegionId::from_raw(0); // us-east-1
const E2: RegionId = RegionId::from_raw(1); // us-east-2
const W2: RegionId = RegionId::from_raw(2); // us-west-2
const EU: RegionId = RegionId::from_raw(3); // eu-west-1
const K: Key = Key(1);
/// One-way latencies (ms) between the three US Regions: us-east-1 is nearest us-east-2.
const LAT: [[u64; 3]; 3] = [[0, 6, 30], [6, 0, 25], [30, 25, 0]];

fn names() -> Vec<String> {
    ["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1"].map(String::from).to_vec()
}
fn ms(n: u64) -> SimTime {
    SimTime::from_nanos(n * 1_000_000)
}
fn dur(n: u64) -> SimDuration {
    SimDuration::from_millis(n)
}
fn rejected(r: Rejection) -> StoreAnswer {
    StoreAnswer::Rejected(r)
}

enum Ev {
    Msg { from: RegionId, to: RegionId, msg: QuorumMessage, reliable: bool },
    Timer(QuorumTimer),
}

struct Op {
    key: Key,
    began: SimTime,
    /// The newest acknowledged write when the read began (held until judged).
    snapshot: Option<WriteId>,
    strong: bool,
    write: bool,
    answer: Option<(SimTime, StoreAnswer)>,
    stale: Option<SimDuration>,
}

/// A tiny world: constant latencies (plus seeded jitter and drops in chaos mode), partitions
/// that drop unreliable messages and hold reliable ones until they heal, and the checker calls
/// the world makes on each answer.
struct Sim {
    ch: QuorumChannel,
    now: SimTime,
    queue: BTreeMap<(SimTime, u64), Ev>,
    seq: u64,
    cut: BTreeSet<(RegionId, RegionId)>,
    /// Regions down: nothing is delivered to them, as across a cut.
    down: BTreeSet<RegionId>,
    held: Vec<(RegionId, RegionId, QuorumMessage)>,
    ops: BTreeMap<AttemptRef, Op>,
    next_id: u64,
    chaos: Option<Stream>,
    /// Draws of the messages' own latencies (constants in the hand-traced tests).
    draws: Stream,
}

impl Sim {
    fn new(config: QuorumConfig) -> Sim {
        config.validate(&names()).expect("a valid configuration");
        Sim {
            ch: QuorumChannel::new(StoreId::new(0), config),
            now: SimTime::ZERO,
            queue: BTreeMap::new(),
            seq: 0,
            cut: BTreeSet::new(),
            down: BTreeSet::new(),
            held: Vec::new(),
            ops: BTreeMap::new(),
            next_id: 1,
            chaos: None,
            draws: Seed(7).stream("draws"),
        }
    }

    fn push(&mut self, at: SimTime, ev: Ev) {
        self.queue.insert((at, self.seq), ev);
        self.seq += 1;
    }

    fn effects(&mut self, fx: Fx) {
        for e in fx {
            match e {
                Effect::Send { from, to, message, reliable } => {
                    let at = match self.ch.message_latency(from, to, &message) {
                        Some(own) => self.now + own.sample_duration(&mut self.draws),
                        None => {
                            let jitter = self.chaos.as_mut().map_or(0, |s| s.below(10));
                            self.now + dur(LAT[from.index()][to.index()] + jitter)
                        }
                    };
                    self.push(at, Ev::Msg { from, to, msg: message, reliable });
                }
                Effect::Timer { delay, timer } => self.push(self.now + delay, Ev::Timer(timer)),
                Effect::Reply { attempt, answer, delay } => {
                    assert_eq!(delay, SimDuration::ZERO);
                    self.answer(attempt, answer);
                }
            }
        }
    }

    fn answer(&mut self, attempt: AttemptRef, answer: StoreAnswer) {
        let now = self.now;
        let op = self.ops.get_mut(&attempt).expect("a known attempt");
        assert!(op.answer.is_none(), "answered twice");
        op.answer = Some((now, answer));
        let ledger = self.ch.ledger_mut();
        match answer {
            StoreAnswer::Written { write } => ledger.acknowledge(now, op.key, write),
            StoreAnswer::Read { version } => {
                op.stale = ledger.judge_read(version, op.began, op.snapshot);
                ledger.release(version, now);
            }
            StoreAnswer::Rejected(_) => {
                if let Some(s) = op.snapshot {
                    ledger.drop_snapshot(s);
                }
            }
        }
    }

    fn run_until(&mut self, t: SimTime) {
        while let Some(entry) = self.queue.first_entry() {
            if entry.key().0 > t {
                break;
            }
            let ((at, _), ev) = entry.remove_entry();
            self.now = at;
            match ev {
                Ev::Timer(timer) => {
                    let fx = self.ch.on_timer(at, timer);
                    self.effects(fx);
                }
                Ev::Msg { from, to, msg, reliable } => {
                    let dropped = self.cut.contains(&(from, to))
                        || self.down.contains(&to)
                        || (!reliable && self.chaos.as_mut().is_some_and(|s| s.chance(0.1)));
                    if dropped && reliable {
                        self.held.push((from, to, msg));
                    } else if dropped {
                        let fx = self.ch.message_lost(at, from, to, &msg);
                        self.effects(fx);
                    } else {
                        let fx = self.ch.on_message(at, from, to, msg);
                        self.effects(fx);
                    }
                }
            }
        }
        self.now = t;
    }

    fn write(&mut self, t: SimTime, region: RegionId, key: Key) -> (AttemptRef, WriteId) {
        self.run_until(t);
        let (attempt, write) = (AttemptRef(self.next_id), WriteId(self.next_id));
        self.next_id += 1;
        let op = Op { key, began: t, snapshot: None, strong: false, write: true, answer: None, stale: None };
        self.ops.insert(attempt, op);
        let fx = self.ch.write(t, region, key, write, attempt);
        self.effects(fx);
        (attempt, write)
    }

    fn read(&mut self, t: SimTime, region: RegionId, key: Key, strong: bool) -> AttemptRef {
        self.run_until(t);
        let attempt = AttemptRef(self.next_id);
        self.next_id += 1;
        let snapshot = self.ch.ledger_mut().snapshot_newest_acked(key);
        let op = Op { key, began: t, snapshot, strong, write: false, answer: None, stale: None };
        self.ops.insert(attempt, op);
        let fx = self.ch.read(t, region, key, strong, attempt);
        self.effects(fx);
        attempt
    }

    fn isolate(&mut self, region: RegionId) {
        for other in [E1, E2, W2].into_iter().filter(|&o| o != region) {
            self.cut.insert((region, other));
            self.cut.insert((other, region));
        }
    }

    /// Heals every cut and brings the down Regions back; the world would resend held reliable
    /// messages `retry` later (the quorum channel sends none: what was lost is caught up).
    fn heal(&mut self, retry: SimDuration) {
        self.cut.clear();
        for region in std::mem::take(&mut self.down) {
            let fx = self.ch.region_up(self.now, region);
            self.effects(fx);
        }
        for (from, to, msg) in std::mem::take(&mut self.held) {
            let at = self.now + retry + dur(LAT[from.index()][to.index()]);
            self.push(at, Ev::Msg { from, to, msg, reliable: true });
        }
    }

    fn answer_of(&self, attempt: AttemptRef) -> Option<(SimTime, StoreAnswer)> {
        self.ops[&attempt].answer
    }
    fn stale_of(&self, attempt: AttemptRef) -> Option<SimDuration> {
        self.ops[&attempt].stale
    }
    fn read_version(&self, attempt: AttemptRef) -> WriteId {
        match self.answer_of(attempt) {
            Some((_, StoreAnswer::Read { version })) => version,
            other => panic!("expected a read, got {other:?}"),
        }
    }

    /// The drain: every cut heals, everything in flight lands, the checker settles.
    fn finish(&mut self) {
        self.heal(dur(100));
        let end = self.now + SimDuration::from_secs(60);
        self.run_until(end);
        assert!(self.queue.is_empty(), "the channel went quiet");
        self.ch.finish(end);
    }

    fn lost(&self) -> Vec<WriteId> {
        self.ch.ledger().tree().lost().iter().map(|l| l.write).collect()
    }
}

fn us_mrsc() -> QuorumConfig {
    mrsc(&[E1, E2, W2], None, &names()).unwrap()
}

/// W = 2 of 3: the write is acknowledged when us-east-2 (6 ms away) votes, at one round trip
/// (12 ms). us-west-2 gets the vote request at 30 ms and the commit at 42 ms, so an eventual
/// read there at 13 ms returns the item's genesis (stale by 1 ms), while a strong read there at
/// 13 ms hears us-east-2 (committed since 18 ms) at 63 ms and returns the write.
#[test]
fn mrsc_write_acks_at_nearest_round_trip_and_strong_read_sees_it() {
    let mut s = Sim::new(us_mrsc());
    let (w, id) = s.write(ms(0), E1, K);
    let er = s.read(ms(13), W2, K, false);
    let sr = s.read(ms(13), W2, K, true);
    s.run_until(ms(200));
    assert_eq!(s.answer_of(w), Some((ms(12), StoreAnswer::Written { write: id })));
    assert_ne!(s.read_version(er), id);
    assert_eq!(s.answer_of(er).unwrap().0, ms(13));
    assert_eq!(s.stale_of(er), Some(dur(1)));
    assert_eq!(s.answer_of(sr), Some((ms(63), StoreAnswer::Read { version: id })));
    assert_eq!(s.stale_of(sr), None);
    let er2 = s.read(ms(200), W2, K, false);
    assert_eq!(s.read_version(er2), id, "the commit reached us-west-2 at 42 ms");
    assert!(!s.ch.is_catching_up(W2), "a commit that arrives in order is not a gap");
    s.finish();
    assert!(s.lost().is_empty());
    assert_eq!(s.ch.divergent_keys(), 0);
}

/// A strong read that sees only a vote for a newer write waits for that write's coordinator,
/// which knows whether it committed: the write was acknowledged before the read began, and
/// the one replier the quorum needs has not received its commit yet.
#[test]
fn a_strong_read_settles_a_vote_with_the_writes_coordinator() {
    let mut s = Sim::new(us_mrsc());
    // us-west-2 writes; us-east-2 votes at 25 ms; us-west-2 commits at 50 ms, acknowledges,
    // and its commit reaches us-east-2 at 75 ms and us-east-1 at 80 ms.
    let (w, id) = s.write(ms(0), W2, K);
    // us-east-1 reads at 60 ms: its own state is genesis; us-east-2 (reply at 72 ms) shows
    // genesis plus a vote for the write; the read waits for us-west-2 (reply at 120 ms).
    let sr = s.read(ms(60), E1, K, true);
    s.run_until(ms(300));
    assert_eq!(s.answer_of(w), Some((ms(50), StoreAnswer::Written { write: id })));
    assert_eq!(s.answer_of(sr), Some((ms(120), StoreAnswer::Read { version: id })));
    assert_eq!(s.stale_of(sr), None);
    s.finish();
    assert!(s.lost().is_empty());
}

/// The reader itself may be the member whose vote made the quorum. us-west-2's write reaches
/// us-east-1 (vote at 30 ms, write acknowledged at 60 ms) but not us-east-2 (the link from
/// us-west-2 is cut one way). us-east-1 reads strongly at 61 ms, before the commit reaches it:
/// its own state is genesis plus its vote, us-east-2's reply (73 ms) is genesis; the read must
/// wait for us-west-2 (121 ms) rather than answer genesis.
#[test]
fn a_strong_read_settles_the_readers_own_vote() {
    let mut s = Sim::new(us_mrsc());
    s.cut.insert((W2, E2));
    let (w, id) = s.write(ms(0), W2, K);
    let sr = s.read(ms(61), E1, K, true);
    s.run_until(ms(300));
    assert_eq!(s.answer_of(w), Some((ms(60), StoreAnswer::Written { write: id })));
    assert_eq!(s.answer_of(sr), Some((ms(121), StoreAnswer::Read { version: id })));
    assert_eq!(s.stale_of(sr), None);
    s.finish();
    assert!(s.lost().is_empty());
    assert_eq!(s.ch.divergent_keys(), 0);
}

/// Two concurrent writes of one item from us-east-1 and us-west-2: us-east-2 votes for the
/// first to reach it (us-east-1's, at 6 ms), which commits at 12 ms; us-west-2's write is
/// aborted when that commit reaches it (42 ms), with ReplicatedWriteConflict. It was never
/// acknowledged, is never applied anywhere, and dies without being counted lost. A retry
/// afterwards succeeds on top of the winner.
#[test]
fn concurrent_writes_one_commits_the_other_conflicts() {
    let mut s = Sim::new(us_mrsc());
    let (a, a_id) = s.write(ms(0), E1, K);
    let (b, b_id) = s.write(ms(0), W2, K);
    s.run_until(ms(100));
    assert_eq!(s.answer_of(a), Some((ms(12), StoreAnswer::Written { write: a_id })));
    assert_eq!(s.answer_of(b), Some((ms(42), rejected(Rejection::ReplicatedWriteConflict))));
    assert!(Rejection::ReplicatedWriteConflict.retryable());
    let (retry, retry_id) = s.write(ms(100), W2, K);
    s.run_until(ms(400));
    assert_eq!(s.answer_of(retry), Some((ms(150), StoreAnswer::Written { write: retry_id })));
    s.finish();
    assert!(!s.ch.ledger().tree().is_live(b_id), "the rejected write settled with no holds");
    assert!(s.lost().is_empty(), "rejected is not lost; acknowledged a_id survives as an ancestor");
    assert_eq!(s.ch.current_version(E2, K), Some(retry_id));
    assert_eq!(s.ch.divergent_keys(), 0);
}

/// The case where every concurrent write fails: three Regions write one item at once, each
/// votes for its own write, so each gets two Conflicts and can never reach W = 2.
#[test]
fn three_concurrent_writers_all_conflict() {
    let mut s = Sim::new(us_mrsc());
    let attempts: Vec<(AttemptRef, WriteId)> = [E1, E2, W2].map(|r| s.write(ms(0), r, K)).to_vec();
    s.run_until(ms(200));
    for (attempt, _) in &attempts {
        assert_eq!(s.answer_of(*attempt).unwrap().1, rejected(Rejection::ReplicatedWriteConflict));
    }
    s.finish();
    assert!(attempts.iter().all(|(_, w)| !s.ch.ledger().tree().is_live(*w)));
    assert!(s.lost().is_empty());
    assert_eq!(s.ch.current_version(E1, K), None, "nothing was applied");
}

/// us-west-2 is cut off from both others from 0 to 5 s. It rejects a write and a strong read
/// with NoQuorum after the 1 s timeout and serves a stale eventual read; the majority keeps
/// writing. After the heal (the lost Commits left a catch-up entry per coordinator), the first message
/// from us-east-1 tells us-west-2 it is behind: it is CatchingUp until us-east-1's SyncReply
/// (at 5100 ms), then it takes writes again.
#[test]
fn partitioned_member_rejects_then_catches_up() {
    let mut s = Sim::new(us_mrsc());
    s.isolate(W2);
    let (a, a_id) = s.write(ms(100), E1, K);
    let (b, _) = s.write(ms(200), W2, Key(2));
    let sr = s.read(ms(300), W2, K, true);
    let er = s.read(ms(300), W2, K, false);
    let (c, c_id) = s.write(ms(400), E2, K);
    s.run_until(ms(5000));
    assert_eq!(s.answer_of(a), Some((ms(112), StoreAnswer::Written { write: a_id })));
    assert_eq!(s.answer_of(b), Some((ms(1200), rejected(Rejection::NoQuorum))));
    assert_eq!(s.answer_of(sr), Some((ms(1300), rejected(Rejection::NoQuorum))));
    assert_ne!(s.read_version(er), a_id);
    assert_eq!(s.stale_of(er), Some(dur(188)), "acknowledged at 112 ms, read at 300 ms");
    assert_eq!(s.answer_of(c), Some((ms(412), StoreAnswer::Written { write: c_id })));
    assert!(!s.ch.is_catching_up(W2), "it does not know yet");

    s.heal(dur(500));
    let (d, d_id) = s.write(ms(5010), E1, Key(3));
    s.run_until(ms(5045));
    assert_eq!(s.answer_of(d), Some((ms(5022), StoreAnswer::Written { write: d_id })));
    assert!(s.ch.is_catching_up(W2), "us-east-1's Replicate at 5040 ms showed a commit it missed");
    let (e, _) = s.write(ms(5045), W2, Key(4));
    let f = s.read(ms(5045), W2, K, true);
    assert_eq!(s.answer_of(e), Some((ms(5045), rejected(Rejection::CatchingUp))));
    assert_eq!(s.answer_of(f), Some((ms(5045), rejected(Rejection::CatchingUp))));
    let er2 = s.read(ms(5045), W2, K, false);
    assert_eq!(s.read_version(er2), s.read_version(er), "eventual reads are still served");

    s.run_until(ms(5150));
    assert!(!s.ch.is_catching_up(W2));
    assert_eq!(s.ch.current_version(W2, K), Some(c_id), "the sync brought what it missed");
    let (g, g_id) = s.write(ms(5200), W2, Key(4));
    s.run_until(ms(5400));
    assert_eq!(s.answer_of(g), Some((ms(5250), StoreAnswer::Written { write: g_id })));
    s.finish();
    assert!(s.lost().is_empty());
    assert_eq!(s.ch.divergent_keys(), 0);
}

/// Traced by hand: a member that was down catches up from the log once, however many
/// commits it missed. Two replicas (us-east-1, us-west-2) and a witness in us-east-2, catch-up
/// streamed at 10 items/s. us-west-2 is down from 0 to 1500 ms. us-east-1 commits five writes
/// with the witness's vote (at 112, 212, ..., 512 ms; four items, K twice); each Commit to
/// us-west-2 is lost on arrival (142, 242, ... ms) and all of them leave one catch-up entry.
/// The pair's one timer fires at 1142 ms: its CatchUp is lost too (arrives 1172 ms, still
/// down), so it fires again at 2172 ms. That CatchUp reaches us-west-2 at 2202 ms with
/// us-east-1's count (5): us-west-2 is catching up and asks for a sync (reaches us-east-1 at
/// 2232 ms), which streams the four items in 400 ms and arrives at 2662 ms.
#[test]
fn a_member_back_from_an_outage_catches_up_once() {
    let config = mrsc(&[E1, W2], Some(E2), &names()).unwrap();
    let mut s = Sim::new(config);
    s.ch = QuorumChannel::new(StoreId::new(0), s.ch.config().clone()).with_catch_up_rate(10);
    s.down.insert(W2);
    let fx = s.ch.region_down(ms(0), W2);
    s.effects(fx);
    let keys = [K, Key(2), Key(3), K, Key(4)];
    let mut written = Vec::new();
    for (i, key) in keys.into_iter().enumerate() {
        let (attempt, id) = s.write(ms(100 + 100 * i as u64), E1, key);
        written.push((attempt, id, 112 + 100 * i as u64));
    }
    s.run_until(ms(1000));
    for &(attempt, id, at) in &written {
        assert_eq!(s.answer_of(attempt), Some((ms(at), StoreAnswer::Written { write: id })));
    }
    assert_eq!(s.ch.catch_up_entries(), 1, "five lost Commits, one entry: us-west-2 missed part of the log");

    s.run_until(ms(1500));
    s.heal(dur(0));
    assert!(!s.ch.is_catching_up(W2), "back, but it does not know what it missed yet");
    s.run_until(ms(2171));
    assert_eq!(s.ch.catch_up_entries(), 1, "the CatchUp sent at 1142 ms was lost and noted again");
    s.run_until(ms(2172));
    assert_eq!(s.ch.catch_up_entries(), 0, "sent again at 2172 ms");
    s.run_until(ms(2202));
    assert!(s.ch.is_catching_up(W2), "the CatchUp at 2202 ms showed five commits it has not applied");
    let (rejected_write, _) = s.write(ms(2300), W2, Key(5));
    assert_eq!(s.answer_of(rejected_write), Some((ms(2300), rejected(Rejection::CatchingUp))));
    s.run_until(ms(2433));
    assert_eq!(s.ch.catch_up_entries(), 1, "us-east-1 streams the four items from 2232 to 2632 ms");
    s.run_until(ms(2661));
    assert!(s.ch.is_catching_up(W2));
    s.run_until(ms(2662));
    assert!(!s.ch.is_catching_up(W2), "the SyncReply brought every item it missed");
    assert_eq!(s.ch.catch_up_entries(), 0);
    assert_eq!(s.ch.current_version(W2, K), Some(written[3].1), "K's newest version, not each of them");
    assert_eq!(s.ch.current_version(W2, Key(4)), Some(written[4].1));
    let (w, id) = s.write(ms(2700), W2, Key(5));
    s.run_until(ms(2800));
    assert_eq!(s.answer_of(w), Some((ms(2750), StoreAnswer::Written { write: id })));
    s.finish();
    assert!(s.lost().is_empty());
    assert_eq!(s.ch.divergent_keys(), 0);
}

/// Two replicas (us-east-1, us-west-2) and a witness in us-east-2: the witness's vote makes
/// the write's quorum at 12 ms, even with us-west-2 cut off; the witness serves no reads and
/// takes no writes; strong reads are answered by a replica.
#[test]
fn witness_counts_for_writes_but_serves_no_reads() {
    let mut s = Sim::new(mrsc(&[E1, W2], Some(E2), &names()).unwrap());
    s.isolate(W2);
    let (w, id) = s.write(ms(0), E1, K);
    s.run_until(ms(100));
    assert_eq!(s.answer_of(w), Some((ms(12), StoreAnswer::Written { write: id })));
    let er = s.read(ms(100), E2, K, false);
    let sr = s.read(ms(100), E2, K, true);
    let (ww, _) = s.write(ms(100), E2, K);
    for attempt in [er, sr, ww] {
        assert_eq!(s.answer_of(attempt), Some((ms(100), rejected(Rejection::Unavailable))));
    }
    // us-east-1's strong read is a quorum of itself and the witness.
    let sr1 = s.read(ms(100), E1, K, true);
    s.run_until(ms(200));
    assert_eq!(s.answer_of(sr1), Some((ms(112), StoreAnswer::Read { version: id })));
    s.heal(dur(0));
    let sr2 = s.read(ms(300), W2, K, true);
    s.run_until(ms(500));
    assert_eq!(s.read_version(sr2), id);
    assert_eq!(s.stale_of(sr2), None);
    s.finish();
    assert!(s.lost().is_empty());
    assert_eq!(s.ch.divergent_keys(), 0);
}

/// RPO 0 and strong reads, under 200 seeds of random operations, message drops (10% of
/// unreliable messages), jitter (non-FIFO links) and partitions (a Region isolated, a link cut
/// both ways or one way, a Region down), for three replicas and for two
/// plus a witness: no acknowledged write is ever lost, no strong read returns a version older
/// than the newest write acknowledged before it began, every operation is answered, and the
/// replicas converge.
#[test]
fn rpo_zero_and_fresh_strong_reads_under_random_faults() {
    let (mut written, mut rejected_writes, mut stale_eventual, mut strong_ok) = (0, 0, 0, 0);
    for seed in 0..200u64 {
        let mut rng = Seed(seed).stream("quorum-property");
        let config = if seed % 2 == 0 { us_mrsc() } else { mrsc(&[E1, W2], Some(E2), &names()).unwrap() };
        let mut config = config;
        config.timeout = dur(300);
        let mut s = Sim::new(config);
        s.chaos = Some(Seed(seed).stream("quorum-property-network"));
        // Actions: (time ms, kind): kind 0..=9 operations, 10 isolate a Region, 11 cut one
        // link both ways, 12 one way, 13 a Region down, 14 heal. Partitions fall in disjoint 1.5 s windows.
        let mut actions: Vec<(u64, u64, RegionId, RegionId, Key)> = Vec::new();
        for _ in 0..40 {
            let region = RegionId::new(rng.below(3) as usize);
            actions.push((rng.below(3000), rng.below(10), region, region, Key(rng.below(2))));
        }
        for window in 0..2 {
            let start = window * 1500 + rng.below(1000);
            let end = start + 1 + rng.below(1500 - (start - window * 1500) - 1);
            let (a, b) = (RegionId::new(rng.below(3) as usize), RegionId::new(rng.below(3) as usize));
            actions.push((start, 10 + rng.below(4), a, b, K));
            actions.push((end, 14, a, b, K));
        }
        actions.sort_by_key(|&(t, ..)| t);
        let mut attempts = Vec::new();
        for (t, kind, a, b, key) in actions {
            let t = ms(t);
            match kind {
                0..=4 => attempts.push(s.write(t, a, key).0),
                5..=7 => attempts.push(s.read(t, a, key, true)),
                8 | 9 => attempts.push(s.read(t, a, key, false)),
                10 => {
                    s.run_until(t);
                    s.isolate(a);
                }
                11 | 12 => {
                    s.run_until(t);
                    s.cut.insert((a, b));
                    if kind == 11 {
                        s.cut.insert((b, a));
                    }
                }
                13 => {
                    s.run_until(t);
                    s.down.insert(a);
                    let fx = s.ch.region_down(t, a);
                    s.effects(fx);
                }
                _ => {
                    s.run_until(t);
                    s.heal(dur(200));
                }
            }
        }
        s.finish();
        for attempt in &attempts {
            let op = &s.ops[attempt];
            let (_, answer) = op.answer.unwrap_or_else(|| panic!("seed {seed}: {attempt:?} was never answered"));
            match answer {
                StoreAnswer::Written { .. } => written += 1,
                StoreAnswer::Rejected(_) if op.write => rejected_writes += 1,
                StoreAnswer::Read { .. } if op.strong => {
                    assert_eq!(op.stale, None, "seed {seed}: strong read {attempt:?} was stale");
                    strong_ok += 1;
                }
                StoreAnswer::Read { .. } => stale_eventual += u32::from(op.stale.is_some()),
                StoreAnswer::Rejected(_) => {}
            }
        }
        assert_eq!(s.lost(), Vec::<WriteId>::new(), "seed {seed}: acknowledged writes lost");
        assert_eq!(s.ch.divergent_keys(), 0, "seed {seed}");
    }
    // The faults bite: some writes fail, some eventual reads are stale, and most work.
    assert!(written > 1000 && rejected_writes > 100 && stale_eventual > 10 && strong_ok > 500);
}

fn leaderless(read_repair: bool, read_quorum: u32) -> QuorumConfig {
    QuorumConfig {
        members: [E1, E2, W2].map(|region| Member { region, witness: false }).to_vec(),
        write_quorum: 1,
        read_quorum,
        timeout: SimDuration::from_secs(1),
        read_repair,
        apply: Apply::OnReceipt,
        coordinator: Coordinator::Member,
        latency: MessageLatency::default(),
        member_latency: Vec::new(),
        probe: None,
    }
}

/// N = 3, R = W = 1, applied on receipt, no read repair, traced by hand. us-east-1 writes a
/// at 0 ms (acknowledged at once, W = 1); a strong read (R = 1) in us-west-2 at 1 ms, before
/// a arrives there at 30 ms, returns genesis: stale by 1 ms. us-west-2 then writes b at 2 ms on
/// top of genesis (acknowledged at once): b's stamp (1, us-west-2) beats a's (1, us-east-1),
/// so a loses everywhere (us-east-2 at 27 ms, us-west-2 at 30 ms, us-east-1 at 32 ms): an
/// acknowledged write is lost.
#[test]
fn leaderless_partial_quorum_reads_stale_and_loses_writes() {
    let mut s = Sim::new(leaderless(false, 1));
    let (wa, a) = s.write(ms(0), E1, K);
    let r = s.read(ms(1), W2, K, true);
    let (wb, b) = s.write(ms(2), W2, K);
    assert_eq!(s.answer_of(wa), Some((ms(0), StoreAnswer::Written { write: a })));
    assert_eq!(s.answer_of(wb), Some((ms(2), StoreAnswer::Written { write: b })));
    assert_ne!(s.read_version(r), a);
    assert_eq!(s.stale_of(r), Some(dur(1)));
    s.run_until(ms(31));
    assert!(s.lost().is_empty(), "us-east-1 still holds a");
    s.run_until(ms(32));
    assert_eq!(s.lost(), vec![a]);
    s.finish();
    assert_eq!(s.ch.divergent_keys(), 0);
    assert_eq!(s.ch.current_version(E1, K), Some(b));
}

/// W = R = 2 with read repair; us-west-2 missed write a (cut off while it was sent). A strong
/// read in us-west-2 at 1 ms hears us-east-2 (which has had a since 6 ms) at 51 ms: the answer
/// is a, and us-west-2's own stale copy is repaired at once.
#[test]
fn leaderless_read_repair_pushes_the_newest_to_stale_repliers() {
    let mut config = leaderless(true, 2);
    config.write_quorum = 2;
    let mut s = Sim::new(config);
    s.isolate(W2);
    let (_, a) = s.write(ms(0), E1, K);
    s.heal(dur(0));
    let r = s.read(ms(1), W2, K, true);
    s.run_until(ms(51));
    assert_eq!(s.answer_of(r), Some((ms(51), StoreAnswer::Read { version: a })));
    assert_eq!(s.ch.current_version(W2, K), Some(a), "repaired when answered");
    s.finish();
    assert!(s.lost().is_empty());
}

#[test]
fn mrsc_rejects_what_dynamodb_rejects() {
    let n = names();
    assert_eq!(
        mrsc(&[E1, EU, W2], None, &n).unwrap_err(),
        "us-east-1 and eu-west-1 are in different MRSC Region sets (US, EU); expected all three in one set: \
         US us-east-1, us-east-2, us-west-2; EU eu-west-1, eu-west-2, eu-west-3, eu-central-1; \
         AP ap-northeast-1, ap-northeast-2, ap-northeast-3"
    );
    assert_eq!(
        mrsc(&[E1, E2], None, &n).unwrap_err(),
        "MRSC needs exactly three Regions, or two plus a witness; found 2 Regions and no witness"
    );
    assert_eq!(
        mrsc(&[E1, E2, W2, EU], None, &n).unwrap_err(),
        "MRSC needs exactly three Regions, or two plus a witness; found 4 Regions and no witness"
    );
    assert_eq!(
        mrsc(&[E1, E2, W2], Some(EU), &n).unwrap_err(),
        "MRSC needs exactly three Regions, or two plus a witness; found 3 Regions and a witness"
    );
    assert!(mrsc(&[E1, E2], Some(W2), &n).is_ok());
    assert!(mrsc(&[E1, E1], Some(W2), &n).unwrap_err().contains("us-east-1 appears more than once"));
    let eu = mrsc(&[EU, RegionId::new(4)], Some(E1), &n).unwrap_err();
    assert!(eu.starts_with("eu-west-1 and us-east-1 are in different MRSC Region sets (EU, US)"), "{eu}");
}

#[test]
fn validate_rejects_impossible_quorums() {
    let n = names();
    let mut c = leaderless(false, 1);
    c.write_quorum = 4;
    assert_eq!(c.validate(&n).unwrap_err(), "write_quorum is 4; expected 1 to 3 (the number of members)");
    let mut c = leaderless(false, 0);
    assert_eq!(c.validate(&n).unwrap_err(), "read_quorum is 0; expected 1 to 3 (the number of members)");
    c.read_quorum = 1;
    c.members.iter_mut().for_each(|m| m.witness = true);
    assert_eq!(c.validate(&n).unwrap_err(), "all 3 members are witnesses; expected at least one replica");
    let mut c = leaderless(false, 1);
    c.apply = Apply::OnCommit;
    assert!(c.validate(&n).unwrap_err().contains("found write_quorum 1 of 3 members, expected more than 1"));
    let mut c = leaderless(false, 1);
    c.members[0].region = RegionId::new(9);
    assert_eq!(c.validate(&n).unwrap_err(), "member Region 9 is not one of the 5 declared Regions");
}

/// A vote request that reaches a member after its coordinator's deadline is refused: the
/// coordinator has already aborted (and its Abort may have arrived first), so a vote now would
/// block the item forever. Driven by hand to deliver the message late.
#[test]
fn a_vote_request_after_the_deadline_is_refused() {
    let mut ch = QuorumChannel::new(StoreId::new(0), us_mrsc());
    let mut to_e2 = None;
    for e in ch.write(ms(0), E1, K, WriteId(1), AttemptRef(1)) {
        match e {
            Effect::Send { to, message, .. } if to == E2 => to_e2 = Some(message),
            Effect::Send { from, to, message, .. } => {
                assert!(ch.message_lost(ms(30), from, to, &message).is_empty())
            }
            _ => {}
        }
    }
    let fx = ch.on_timer(ms(1000), QuorumTimer::WriteTimeout { write: WriteId(1) });
    assert!(fx.contains(&Effect::Reply {
        attempt: AttemptRef(1),
        answer: rejected(Rejection::NoQuorum),
        delay: SimDuration::ZERO
    }));
    let abort = fx.iter().find_map(|e| match e {
        Effect::Send { to, message, .. } if *to == E2 => Some(message.clone()),
        _ => None,
    });
    // The Abort overtakes the vote request, which arrives at the deadline.
    assert!(ch.on_message(ms(1006), E1, E2, abort.unwrap()).is_empty());
    assert!(ch.on_message(ms(1000), E1, E2, to_e2.unwrap()).is_empty(), "no vote, no answer");
    for e in ch.write(ms(1000), E1, K, WriteId(2), AttemptRef(2)) {
        if let Effect::Send { from, to, message, .. } = e {
            assert!(ch.message_lost(ms(1000), from, to, &message).is_empty());
        }
    }
    let fx = ch.write(ms(1000), E2, Key(1), WriteId(3), AttemptRef(3));
    assert!(fx.iter().all(|e| !matches!(e, Effect::Reply { .. })), "us-east-2 holds no vote for the item");
    for e in fx {
        if let Effect::Send { from, to, message, .. } = e {
            assert!(ch.message_lost(ms(1000), from, to, &message).is_empty());
        }
    }
    ch.finish(ms(2000));
    assert!(ch.ledger().tree().lost().is_empty());
    assert!(!ch.ledger().tree().is_live(WriteId(1)));
}

mod pbs;
