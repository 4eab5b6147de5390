use sim_core::Dist;

use super::*;
use crate::checker::LostWrite;

const EAST: RegionId = RegionId::from_raw(0);
const WEST: RegionId = RegionId::from_raw(1);
const EU: RegionId = RegionId::from_raw(2);

fn ms(n: u64) -> SimTime {
    SimTime::from_nanos(n * 1_000_000)
}
fn dur_ms(n: u64) -> SimDuration {
    SimDuration::from_millis(n)
}
fn constant_ms(n: f64) -> Dist {
    Dist::Constant(n * 1e6)
}

/// East writes, West (and optionally EU) are secondaries; every delay constant.
fn config(secondaries: &[RegionId]) -> AuroraConfig {
    let mut c =
        AuroraConfig::new(EAST, secondaries.iter().map(|&region| Secondary { region, headless: false }).collect());
    c.commit_latency = constant_ms(5.0);
    c.replication_lag = constant_ms(100.0);
    c.switchover_promotion = SimDuration::from_secs(1);
    c.failover_promotion = constant_ms(60_000.0);
    c.endpoint_update_delay = SimDuration::from_secs(2);
    c.instance_creation = constant_ms(600_000.0);
    c
}

enum Ev {
    Msg { from: RegionId, to: RegionId, msg: AuroraMessage, reliable: bool },
    Timer(AuroraTimer),
    Reply { attempt: AttemptRef, answer: StoreAnswer },
}

/// A tiny world: constant one-way latency, Regions that go down (reliable messages wait for
/// them, others are lost), links cut the same way, answers recorded and acknowledged at once.
struct Driver {
    ch: AuroraChannel,
    now: SimTime,
    queue: BTreeMap<(SimTime, u64), Ev>,
    seq: u64,
    one_way: SimDuration,
    down: Vec<bool>,
    cut: Vec<bool>,
    held: Vec<(RegionId, RegionId, AuroraMessage)>,
    keys: BTreeMap<AttemptRef, Key>,
    answers: BTreeMap<AttemptRef, (SimTime, StoreAnswer)>,
    next: u64,
}

impl Driver {
    fn new(config: AuroraConfig, one_way: SimDuration, seed: u64) -> Self {
        Driver {
            ch: AuroraChannel::new(StoreId::new(0), config, Seed(seed)),
            now: SimTime::ZERO,
            queue: BTreeMap::new(),
            seq: 0,
            one_way,
            down: vec![false; 3],
            cut: vec![false; 3],
            held: Vec::new(),
            keys: BTreeMap::new(),
            answers: BTreeMap::new(),
            next: 1,
        }
    }

    fn push(&mut self, at: SimTime, ev: Ev) {
        self.seq += 1;
        self.queue.insert((at, self.seq), ev);
    }

    fn send(&mut self, from: RegionId, to: RegionId, msg: AuroraMessage, reliable: bool) {
        let at = self.now + self.one_way;
        self.push(at, Ev::Msg { from, to, msg, reliable });
    }

    fn apply(&mut self, effects: Vec<AuroraEffect>) {
        for e in effects {
            match e {
                Effect::Send { from, to, message, reliable } => self.send(from, to, message, reliable),
                Effect::Timer { delay, timer } => self.push(self.now + delay, Ev::Timer(timer)),
                Effect::Reply { attempt, answer, delay } => self.push(self.now + delay, Ev::Reply { attempt, answer }),
            }
        }
    }

    fn run_until(&mut self, until: SimTime) {
        while let Some((&(at, seq), _)) = self.queue.first_key_value() {
            if at > until {
                break;
            }
            let ev = self.queue.remove(&(at, seq)).expect("just seen");
            self.now = at;
            match ev {
                Ev::Msg { from, to, msg, reliable } => {
                    if self.down[to.index()] || self.cut[to.index()] {
                        if reliable {
                            self.held.push((from, to, msg));
                        }
                    } else {
                        let fx = self.ch.on_message(at, from, to, msg);
                        self.apply(fx);
                    }
                }
                Ev::Timer(t) => {
                    let fx = self.ch.on_timer(at, t);
                    self.apply(fx);
                }
                Ev::Reply { attempt, answer } => {
                    if let StoreAnswer::Written { write } = answer {
                        let key = self.keys[&attempt];
                        self.ch.ledger_mut().acknowledge(at, key, write);
                    }
                    self.answers.insert(attempt, (at, answer));
                }
            }
        }
        self.now = until;
    }

    /// A write at `region` now; its attempt and write ids are the same number.
    fn write(&mut self, region: RegionId, key: Key, session: u64) -> AttemptRef {
        let n = self.next;
        self.next += 1;
        let attempt = AttemptRef(n);
        self.keys.insert(attempt, key);
        let fx = self.ch.write(self.now, region, key, WriteId(n), session, attempt);
        self.apply(fx);
        attempt
    }

    fn read(&mut self, region: RegionId, key: Key, session: u64) -> AttemptRef {
        let attempt = AttemptRef(self.next);
        self.next += 1;
        let fx = self.ch.read(self.now, region, key, session, attempt);
        self.apply(fx);
        attempt
    }

    fn answer(&self, attempt: AttemptRef) -> Option<(SimTime, StoreAnswer)> {
        self.answers.get(&attempt).copied()
    }

    fn kill(&mut self, region: RegionId) {
        self.down[region.index()] = true;
        let fx = self.ch.region_down(self.now, region);
        self.apply(fx);
    }

    fn revive(&mut self, region: RegionId) {
        self.down[region.index()] = false;
        let fx = self.ch.region_up(self.now, region);
        self.apply(fx);
        self.release_held(region);
    }

    fn heal(&mut self, region: RegionId) {
        self.cut[region.index()] = false;
        self.release_held(region);
    }

    fn release_held(&mut self, region: RegionId) {
        let (due, keep): (Vec<_>, Vec<_>) = std::mem::take(&mut self.held).into_iter().partition(|h| h.1 == region);
        self.held = keep;
        for (from, to, msg) in due {
            self.send(from, to, msg, true);
        }
    }

    fn finish(&mut self, never_returned: &[bool]) -> Vec<LostWrite> {
        self.run_until(self.now + SimDuration::from_hours(1));
        // What waits for a Region that never came back can never be delivered.
        for (_, to, msg) in std::mem::take(&mut self.held) {
            assert!(never_returned[to.index()], "the drain delivered everything to live Regions");
            self.ch.abandon(self.now, &msg);
        }
        assert!(self.queue.is_empty(), "the drain fired everything");
        self.ch.finish(self.now, never_returned);
        self.ch.ledger().tree().lost().to_vec()
    }
}

fn written(a: Option<(SimTime, StoreAnswer)>) -> SimTime {
    match a {
        Some((t, StoreAnswer::Written { .. })) => t,
        other => panic!("expected Written, got {other:?}"),
    }
}

fn rejected(a: Option<(SimTime, StoreAnswer)>) -> Rejection {
    match a {
        Some((_, StoreAnswer::Rejected(r))) => r,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

fn read_version(a: Option<(SimTime, StoreAnswer)>) -> (SimTime, WriteId) {
    match a {
        Some((t, StoreAnswer::Read { version })) => (t, version),
        other => panic!("expected a read, got {other:?}"),
    }
}

/// Hand-traced: one-way 10 ms, commit 5 ms, lag 100 ms, promotion 1 s. w1 at 0 and w2 at 20 ms
/// (committed 25 ms) on one key; switchover to West at 30 ms. w2 ships at 125 ms and applies in
/// West at 135 ms: sync takes 105 ms, promotion at 1 135 ms, so the write outage is 1 105 ms.
/// Writes during it are rejected; the first write West accepts, at 1 200 ms, makes RTO 1 170 ms.
/// The endpoint follows 2 s after the promotion. Nothing is lost.
#[test]
fn switchover_loses_nothing_and_the_outage_is_sync_plus_promotion() {
    let mut d = Driver::new(config(&[WEST]), dur_ms(10), 1);
    let k = Key(1);
    let w1 = d.write(EAST, k, 1);
    d.run_until(ms(20));
    let w2 = d.write(EAST, k, 1);
    d.run_until(ms(30));
    let fx = d.ch.switchover(d.now, WEST).expect("healthy");
    d.apply(fx);
    d.run_until(ms(40));
    let during = d.write(EAST, k, 1);
    d.run_until(ms(1100));
    let late = d.write(EAST, k, 1);
    let at_west = d.write(WEST, k, 1);
    d.run_until(ms(1134));
    assert_eq!(d.ch.writer(), EAST);
    d.run_until(ms(1135));
    assert_eq!(d.ch.writer(), WEST);
    d.run_until(ms(1200));
    let w3 = d.write(WEST, k, 1);
    d.run_until(ms(1300));
    let old = d.write(EAST, k, 1);
    assert_eq!(d.ch.writer_endpoint_target(), EAST, "the endpoint lags the promotion");
    d.run_until(ms(3135));
    assert_eq!(d.ch.writer_endpoint_target(), WEST);
    d.run_until(ms(4000));

    assert_eq!(written(d.answer(w1)), ms(5));
    assert_eq!(written(d.answer(w2)), ms(25));
    assert_eq!(rejected(d.answer(during)), Rejection::WriterUnavailable);
    assert_eq!(rejected(d.answer(late)), Rejection::WriterUnavailable);
    assert_eq!(rejected(d.answer(at_west)), Rejection::ReadOnly);
    assert_eq!(written(d.answer(w3)), ms(1205));
    assert_eq!(rejected(d.answer(old)), Rejection::ReadOnly, "the old writer is a secondary");
    let r = d.ch.transitions()[0];
    assert_eq!(r.kind, TransitionKind::Switchover);
    assert_eq!(r.outage(), Some(dur_ms(105 + 1000)));
    assert_eq!(r.rto(), Some(dur_ms(1170)));
    assert_eq!((r.lost_writes, r.rpo_time()), (0, Some(SimDuration::ZERO)));
    // w3 replicated to the old writer, which now reads it (committed 1 205, applied 1 315 ms).
    assert_eq!(d.ch.version_at(EAST, k), Some(WriteId(w3.0)));
    assert!(d.finish(&[false, false]).is_empty());
}

/// Hand-traced: one-way 10 ms, commit 0, lag 100 ms. w1..w5 (five items) commit at 0, 10, .., 40
/// ms and ship at 100, 110, .., 140 ms. East dies at 125 ms: w1, w2 have arrived (110, 120 ms),
/// w3 is in flight (arrives 130 ms), w4 and w5 never ship. Failover to West at 125 ms, promoted
/// 60 s later. Lost: {w4, w5}, cause Failover; RPO 2 writes and 60.125 - 0.030 = 60.095 s.
#[test]
fn failover_loses_exactly_the_unshipped_acknowledged_writes() {
    let mut c = config(&[WEST]);
    c.commit_latency = constant_ms(0.0);
    let mut d = Driver::new(c, dur_ms(10), 2);
    let mut ws = Vec::new();
    for i in 0..5 {
        d.run_until(ms(10 * i));
        ws.push(d.write(EAST, Key(i + 1), 1));
    }
    d.run_until(ms(125));
    d.kill(EAST);
    let fx = d.ch.failover(d.now, WEST, true).expect("West is healthy");
    d.apply(fx);
    d.run_until(ms(60_124));
    assert_eq!(
        rejected({
            let a = d.write(WEST, Key(9), 1);
            d.run_until(ms(60_124));
            d.answer(a)
        }),
        Rejection::ReadOnly
    );
    d.run_until(ms(60_125));
    assert_eq!(d.ch.writer(), WEST);
    let after = d.write(WEST, Key(1), 1);
    d.run_until(ms(70_000));
    d.revive(EAST);
    d.run_until(ms(80_000));
    assert_eq!(written(d.answer(after)), ms(60_125));
    for w in &ws {
        written(d.answer(*w));
    }
    let r = d.ch.transitions()[0];
    assert_eq!((r.kind, r.lost_writes), (TransitionKind::Failover, 2));
    // w3 (committed at 25 ms) is the newest write kept, w5 (45 ms) the newest thrown away.
    assert_eq!(r.rpo_time(), Some(dur_ms(20)));
    assert_eq!(r.rto(), Some(dur_ms(60_000)));
    // The old writer came back as a secondary with the new writer's state.
    assert_eq!(d.ch.version_at(EAST, Key(4)), Some(d.ch.ledger_mut().genesis(Key(4))));
    assert_eq!(d.ch.version_at(EAST, Key(1)), Some(WriteId(after.0)));
    let lost = d.finish(&[false, false]);
    let mut lost: Vec<(WriteId, LossCause)> = lost.iter().map(|l| (l.write, l.cause)).collect();
    lost.sort();
    assert_eq!(lost, vec![(WriteId(4), LossCause::Failover), (WriteId(5), LossCause::Failover)]);
}

/// With `fence_gap` 90 s and promotion after 60 s, the reachable old writer keeps committing
/// until 90 s after the start: writes at 10 s (before the promotion) and 70 s (split brain) are
/// acknowledged and lost to the failover; at 100 s it is a secondary (read-only). With no gap it
/// rejects at once.
#[test]
fn a_fence_gap_lets_the_old_writer_take_writes_that_are_lost() {
    let mut c = config(&[WEST]);
    c.fence_gap = Some(SimDuration::from_secs(90));
    let mut d = Driver::new(c.clone(), dur_ms(10), 3);
    let before = d.write(EAST, Key(1), 1);
    d.run_until(ms(1000));
    let fx = d.ch.failover(d.now, WEST, true).expect("ok");
    d.apply(fx);
    d.run_until(ms(11_000));
    let gap1 = d.write(EAST, Key(1), 1);
    d.run_until(ms(71_000));
    assert_eq!(d.ch.writer(), WEST);
    let gap2 = d.write(EAST, Key(2), 1);
    let new = d.write(WEST, Key(3), 1);
    d.run_until(ms(101_000));
    let after = d.write(EAST, Key(1), 1);
    d.run_until(ms(102_000));
    written(d.answer(before));
    written(d.answer(gap1));
    written(d.answer(gap2));
    written(d.answer(new));
    assert_eq!(rejected(d.answer(after)), Rejection::ReadOnly);
    assert_eq!(d.ch.version_at(EAST, Key(1)), Some(WriteId(before.0)), "re-synced to the new writer");
    let r = d.ch.transitions()[0];
    assert_eq!(r.lost_writes, 2);
    // `before` (committed at 5 ms) is the newest write kept; gap2, committed by the old writer at
    // 71.005 s during its fence gap, the newest thrown away.
    assert_eq!(r.rpo_time(), Some(dur_ms(71_000)), "from 5 ms to 71.005 s");
    let mut lost: Vec<(WriteId, LossCause)> = d.finish(&[false, false]).iter().map(|l| (l.write, l.cause)).collect();
    lost.sort();
    assert_eq!(lost, vec![(WriteId(gap1.0), LossCause::Failover), (WriteId(gap2.0), LossCause::Failover)]);

    c.fence_gap = None;
    let mut d = Driver::new(c, dur_ms(10), 3);
    let fx = d.ch.failover(d.now, WEST, true).expect("ok");
    d.apply(fx);
    let w = d.write(EAST, Key(1), 1);
    d.run_until(ms(1));
    assert_eq!(rejected(d.answer(w)), Rejection::WriterUnavailable);
}

/// Oracle 3 (shared/reference/oracles.md): writes Poisson(100/s), each shipped after an
/// independent exponential lag of mean 50 ms (network 0), the writer dies at a random time and
/// a failover follows: the writes lost are Poisson with mean lambda E[D] = 5, and
/// P(none lost) = exp(-5) = 0.00674. Each replication writes from 0 until the death, uniform in
/// [0.5 s, 1 s]: only the last few hundred ms matter (a write 0.5 s old is unshipped with
/// probability e^-10), so short runs measure the same thing as long ones and 4 000 of them fit
/// the time budget. Checked within 4 standard errors; the checker must agree write for write.
#[test]
fn failover_losses_match_the_poisson_oracle() {
    const REPS: u64 = 4000;
    let (lambda, mean_lag) = (100.0, 0.050);
    let expected = lambda * mean_lag;
    let (mut sum, mut sum_sq, mut zero) = (0.0, 0.0, 0u64);
    for rep in 0..REPS {
        let mut c = config(&[WEST]);
        c.commit_latency = Dist::Constant(0.0);
        c.replication_lag = Dist::exponential(mean_lag * 1e9).expect("valid");
        let mut d = Driver::new(c, SimDuration::ZERO, rep);
        let mut arrivals = Seed(rep).stream("oracle arrivals");
        let death = SimTime::from_nanos(500_000_000 + arrivals.below(500_000_000));
        let gap = Dist::exponential(1e9 / lambda).expect("valid");
        let mut t = SimTime::ZERO;
        loop {
            t += gap.sample_duration(&mut arrivals);
            if t >= death {
                break;
            }
            d.run_until(t);
            let key = Key(d.next);
            d.write(EAST, key, 1);
        }
        d.run_until(death);
        d.kill(EAST);
        let fx = d.ch.failover(death, WEST, true).expect("ok");
        d.apply(fx);
        let lost = d.finish(&[true, false]);
        let report = d.ch.transitions()[0];
        let by_failover = lost.iter().filter(|l| l.cause == LossCause::Failover).count() as u64;
        assert_eq!((by_failover, lost.len() as u64), (report.lost_writes, report.lost_writes), "rep {rep}");
        let n = report.lost_writes as f64;
        sum += n;
        sum_sq += n * n;
        zero += u64::from(report.lost_writes == 0);
    }
    let reps = REPS as f64;
    let mean = sum / reps;
    let sd = libm::sqrt(sum_sq / reps - mean * mean);
    let p0 = libm::exp(-expected);
    let share = zero as f64 / reps;
    println!("oracle: mean lost {mean:.4} (sd {sd:.3}), none lost {share:.5} (exact {p0:.5}), {REPS} reps");
    assert!((mean - expected).abs() <= 4.0 * sd / libm::sqrt(reps), "mean {mean}, expected {expected}");
    let se0 = libm::sqrt(p0 * (1.0 - p0) / reps);
    assert!((share - p0).abs() <= 4.0 * se0, "P(none lost) {share}, expected {p0}");
}

fn forwarding(consistency: ReadConsistency) -> Driver {
    let mut c = config(&[WEST]);
    c.write_forwarding = Some(consistency);
    c.replication_lag = constant_ms(200.0);
    Driver::new(c, dur_ms(30), 4)
}

/// One-way 30 ms (RTT 60), commit 5 ms, lag 200 ms. Session 7 writes at West at 0: forwarded,
/// committed at 35 ms, acknowledged at West at 65 ms = RTT + commit; its record reaches West at
/// 35 + 200 + 30 = 265 ms. A read at 70 ms: EVENTUAL answers at once with the old version;
/// SESSION waits until 265 ms and sees the write (another session's read does not wait).
#[test]
fn write_forwarding_eventual_is_stale_and_session_waits_for_its_own_write() {
    let k = Key(1);
    let mut d = forwarding(ReadConsistency::Eventual);
    let w = d.write(WEST, k, 7);
    d.run_until(ms(70));
    assert_eq!(written(d.answer(w)), ms(65));
    let r = d.read(WEST, k, 7);
    // Genesis is the root of the item's tree while West still holds it.
    let genesis = d.ch.ledger_mut().genesis(k);
    d.run_until(ms(300));
    assert_eq!(read_version(d.answer(r)), (ms(70), genesis), "stale: the own write is not here yet");

    let mut d = forwarding(ReadConsistency::Session);
    let w = d.write(WEST, k, 7);
    d.run_until(ms(70));
    let own = d.read(WEST, k, 7);
    let other = d.read(WEST, k, 8);
    let genesis = d.ch.ledger_mut().genesis(k);
    d.run_until(ms(264));
    assert_eq!(d.answer(own), None, "waiting for the session's write");
    d.run_until(ms(300));
    assert_eq!(written(d.answer(w)), ms(65));
    assert_eq!(read_version(d.answer(own)), (ms(265), WriteId(w.0)));
    assert_eq!(read_version(d.answer(other)), (ms(70), genesis));
    assert!(d.finish(&[false, false]).is_empty());
}

/// GLOBAL: a write at East at 0 commits at 5 ms and reaches West at 235 ms. A West read at
/// 100 ms asks East its LSN (reply at 160 ms: LSN 1) and answers at 235 ms with the write. A
/// read at 300 ms, with nothing outstanding, still pays the round trip: answered at 360 ms.
#[test]
fn write_forwarding_global_reads_wait_for_the_writers_lsn() {
    let k = Key(1);
    let mut d = forwarding(ReadConsistency::Global);
    let w = d.write(EAST, k, 1);
    d.run_until(ms(100));
    let r1 = d.read(WEST, k, 2);
    d.run_until(ms(234));
    assert_eq!(d.answer(r1), None);
    d.run_until(ms(300));
    assert_eq!(read_version(d.answer(r1)), (ms(235), WriteId(w.0)));
    let r2 = d.read(WEST, k, 2);
    d.run_until(ms(400));
    assert_eq!(read_version(d.answer(r2)), (ms(360), WriteId(w.0)));
    // At the writer, reads are local.
    let r3 = d.read(EAST, k, 2);
    d.run_until(ms(400));
    assert_eq!(read_version(d.answer(r3)), (ms(400), WriteId(w.0)));
    // Without write forwarding a secondary refuses writes.
    let mut d = Driver::new(config(&[WEST]), dur_ms(30), 4);
    let w = d.write(WEST, k, 1);
    d.run_until(ms(1));
    assert_eq!(rejected(d.answer(w)), Rejection::ReadOnly);
}

/// rds.global_db_rpo = 20 s; West is cut off from 0. w1 commits at 5 ms (its record waits),
/// w2 at 10.005 s (West's RPO lag 10 s, within the bound). w3 is due at 25.005 s when the lag is
/// 25 s > 20 s: it blocks. The link heals at 30 s, the held records apply at 30.010 s, the lag
/// falls to 0 and w3 commits then.
#[test]
fn rds_global_db_rpo_blocks_commits_until_a_secondary_catches_up() {
    let mut c = config(&[WEST]);
    c.rpo_bound = Some(SimDuration::from_secs(20));
    let mut d = Driver::new(c, dur_ms(10), 5);
    d.cut[WEST.index()] = true;
    let w1 = d.write(EAST, Key(1), 1);
    d.run_until(ms(10_000));
    let w2 = d.write(EAST, Key(2), 1);
    d.run_until(ms(24_000));
    let lag = d.ch.lags(d.now);
    assert_eq!((lag[0].region, lag[0].rpo_lag), (WEST, dur_ms(23_995)));
    d.run_until(ms(25_000));
    let w3 = d.write(EAST, Key(3), 1);
    d.run_until(ms(29_999));
    assert_eq!(d.answer(w3), None, "blocked by the RPO bound");
    d.run_until(ms(30_000));
    assert_eq!(d.answer(w3), None, "still blocked");
    d.heal(WEST);
    d.run_until(ms(31_000));
    assert_eq!(written(d.answer(w1)), ms(5));
    assert_eq!(written(d.answer(w2)), ms(10_005));
    assert_eq!(written(d.answer(w3)), ms(30_010));
    let lag = d.ch.lags(d.now);
    assert_eq!(lag[0].rpo_lag, SimDuration::ZERO, "w3 applied at 30.120 s");
    assert_eq!(lag[0].replication_lag, dur_ms(110));
    let hist = d.ch.apply_lags(WEST).expect("a cluster");
    assert_eq!(hist.count(), 3);
    assert!(d.finish(&[false, false]).is_empty());
}

/// A headless West serves no reads and cannot be promoted while its control plane is down;
/// with it up, the failover first adds an instance (10 min) and then promotes (1 min): RTO is
/// at least 11 min.
#[test]
fn a_headless_secondary_needs_an_instance_before_it_can_take_over() {
    let mut c = config(&[WEST]);
    c.secondaries[0].headless = true;
    let mut d = Driver::new(c, dur_ms(10), 6);
    let w = d.write(EAST, Key(1), 1);
    d.run_until(ms(1000));
    let r = d.read(WEST, Key(1), 1);
    d.run_until(ms(1000));
    assert_eq!(rejected(d.answer(r)), Rejection::Unavailable);
    d.kill(EAST);
    assert!(d.ch.failover(d.now, WEST, false).is_err());
    assert!(d.ch.add_instance(d.now, WEST, false).is_err());
    assert!(d.ch.add_instance(d.now, EAST, true).is_err(), "the writer has an instance");
    let fx = d.ch.failover(d.now, WEST, true).expect("the control plane is up");
    d.apply(fx);
    d.run_until(ms(1000 + 660_000 - 1));
    assert_eq!(d.ch.writer(), EAST);
    d.run_until(ms(1000 + 660_000));
    assert_eq!(d.ch.writer(), WEST);
    let after = d.write(WEST, Key(1), 1);
    let r = d.read(WEST, Key(1), 1);
    d.run_until(ms(700_000));
    written(d.answer(w));
    written(d.answer(after));
    assert_eq!(read_version(d.answer(r)).1, WriteId(w.0), "the replicated write survived");
    let report = d.ch.transitions()[0];
    assert_eq!(report.rto(), Some(dur_ms(660_000)));
    assert_eq!(report.lost_writes, 0);
    assert!(d.finish(&[true, false]).is_empty());
}

#[test]
fn validation_names_what_was_found_and_what_was_expected() {
    let names: Vec<String> = (0..12).map(|i| format!("region-{i}")).collect();
    let region = RegionId::new;
    let eleven = (1..12).map(|i| Secondary { region: region(i), headless: false }).collect();
    assert_eq!(
        AuroraConfig::new(region(0), eleven).validate(&names),
        Err(vec!["found 11 secondary Regions; expected at most 10 (Aurora Global Database)".to_string()])
    );
    let s = |i| Secondary { region: region(i), headless: false };
    assert_eq!(
        AuroraConfig::new(region(0), vec![s(1), s(2), s(1)]).validate(&names),
        Err(vec!["secondary Region region-1 is listed more than once".to_string()])
    );
    assert_eq!(
        AuroraConfig::new(region(0), vec![s(1), s(0)]).validate(&names),
        Err(vec!["writer Region region-0 is also listed as a secondary".to_string()])
    );
    let mut c = AuroraConfig::new(region(0), vec![s(1)]);
    c.rpo_bound = Some(SimDuration::from_secs(10));
    let problems = c.validate(&names).expect_err("below 20 s");
    assert_eq!(problems.len(), 1);
    assert!(problems[0].starts_with("rds.global_db_rpo = 10s; expected 20s .. 2147483647 s"), "{}", problems[0]);
    c.rpo_bound = Some(SimDuration::from_secs(20));
    assert_eq!(c.validate(&names), Ok(()));
    assert!(AuroraConfig::new(region(0), vec![s(20)]).validate(&names).is_err(), "not a Region of the run");
}

/// Three clusters: West is cut off, so w1 and w2 (one item) reach EU but not West. East dies at
/// 1 s, failover to West; West's link heals only after the promotion, so the records held for
/// it arrive from the replaced topology and are dropped. EU re-syncs to West's state: its copy
/// of w2 is released and w1, w2 are lost to the failover; EU then follows West's writes.
#[test]
fn failover_resyncs_the_other_secondaries_to_the_new_writer() {
    let mut d = Driver::new(config(&[WEST, EU]), dur_ms(10), 7);
    d.cut[WEST.index()] = true;
    let k = Key(1);
    let w1 = d.write(EAST, k, 1);
    let w2 = d.write(EAST, k, 1);
    d.run_until(ms(1000));
    assert_eq!(d.ch.version_at(EU, k), Some(WriteId(w2.0)));
    d.kill(EAST);
    let fx = d.ch.failover(d.now, WEST, true).expect("ok");
    d.apply(fx);
    d.run_until(ms(61_000));
    assert_eq!(d.ch.writer(), WEST);
    let genesis = d.ch.ledger_mut().genesis(k);
    assert_eq!(d.ch.version_at(EU, k), Some(genesis), "EU adopted West's state");
    d.heal(WEST);
    let w3 = d.write(WEST, k, 1);
    d.run_until(ms(62_000));
    assert_eq!(d.ch.version_at(EU, k), Some(WriteId(w3.0)));
    written(d.answer(w1));
    written(d.answer(w2));
    assert_eq!(d.ch.transitions()[0].lost_writes, 2);
    let mut lost: Vec<(WriteId, LossCause)> =
        d.finish(&[true, false, false]).iter().map(|l| (l.write, l.cause)).collect();
    lost.sort();
    assert_eq!(lost, vec![(WriteId(w1.0), LossCause::Failover), (WriteId(w2.0), LossCause::Failover)]);
}

/// The ordered log with a pipeline of `service` per record towards West; commit, transit and
/// network zero unless a test sets them.
fn ordered(service: Dist) -> AuroraConfig {
    let mut c = config(&[WEST]);
    c.commit_latency = Dist::Constant(0.0);
    c.replication_lag = Dist::Constant(0.0);
    c.replication = Replication::OrderedLog { service_time: Some(service) };
    c
}

/// Hand-traced D/D/1: a pipeline of 10 ms per record (100 records/s), writes every 1 ms for 50 ms
/// (1 000/s). Write k (from 0) commits at k ms and leaves at 10 (k + 1) ms: its lag is 9k + 10 ms,
/// growing by 9 ms a write, the last 451 ms; the pipeline is empty at 500 ms, and a write at 600 ms
/// has the bare 10 ms again. At 255 ms 25 records have left and 25 wait. Records apply in log order.
#[test]
fn a_burst_above_the_pipelines_capacity_builds_lag_that_drains() {
    let mut d = Driver::new(ordered(constant_ms(10.0)), SimDuration::ZERO, 5);
    for k in 0..50 {
        d.run_until(ms(k));
        d.write(EAST, Key(k + 1), 1);
    }
    d.run_until(ms(255));
    assert_eq!(d.ch.unshipped(WEST), Some(25), "25 left by 250 ms, 25 are still in the pipeline");
    d.run_until(ms(500));
    assert_eq!(d.ch.unshipped(WEST), Some(0));
    d.run_until(ms(600));
    d.write(EAST, Key(99), 1);
    d.run_until(ms(700));
    let lags: Vec<(SimTime, SimDuration)> =
        d.ch.take_recent_lags().into_iter().filter(|l| l.0 == WEST).map(|l| (l.1, l.2)).collect();
    let expected: Vec<(SimTime, SimDuration)> =
        (0..50).map(|k| (ms(k), dur_ms(9 * k + 10))).chain([(ms(600), dur_ms(10))]).collect();
    assert_eq!(lags, expected);
    assert!(d.finish(&[false, false]).is_empty());
}

/// Hand-traced: the pipeline takes 100 ms a record (log_rate 10/s), one-way 10 ms, commit and
/// transit 0. w1..w5 commit at 0, 10, .., 40 ms; w1 leaves at 100 ms, w2 at 200 ms, w3 is in
/// service from 200 ms, w4 and w5 wait. East dies at 250 ms and a failover to West follows: the
/// unshipped backlog is 3 records, and exactly those are lost (cause Failover). With the
/// independent lag of 100 ms instead, every write had left by 140 ms and nothing is lost.
#[test]
fn a_writer_crash_loses_exactly_the_unshipped_backlog() {
    let run = |replication: Replication, lag_ms: f64| {
        let mut c = config(&[WEST]);
        c.commit_latency = Dist::Constant(0.0);
        c.replication_lag = constant_ms(lag_ms);
        c.replication = replication;
        let mut d = Driver::new(c, dur_ms(10), 6);
        for i in 0..5 {
            d.run_until(ms(10 * i));
            d.write(EAST, Key(i + 1), 1);
        }
        d.run_until(ms(250));
        let backlog = d.ch.unshipped(WEST).expect("West is a secondary");
        d.kill(EAST);
        let fx = d.ch.failover(d.now, WEST, true).expect("West is healthy");
        d.apply(fx);
        let mut lost: Vec<WriteId> = d.finish(&[true, false]).iter().map(|l| l.write).collect();
        lost.sort();
        (backlog, d.ch.transitions()[0].lost_writes, lost)
    };
    let ordered = Replication::OrderedLog { service_time: Some(constant_ms(100.0)) };
    assert_eq!(run(ordered, 0.0), (3, 3, vec![WriteId(3), WriteId(4), WriteId(5)]));
    assert_eq!(run(Replication::Independent, 100.0), (0, 0, vec![]));
}

/// The M/M/1 measurements of one seed: writes Poisson(lambda) at East, each pipeline record
/// served in exp(mean 1/mu), everything else instant. For each record after the first `warm_up`:
/// the backlog it found in the pipeline (records committed and not yet left) and its time in the
/// system (commit to apply in West).
fn mm1_replication(seed: u64, lambda: f64, mu: f64, records: usize, warm_up: usize) -> Vec<(usize, f64)> {
    let service = Dist::exponential(1e9 / mu).expect("valid");
    let mut d = Driver::new(ordered(service), SimDuration::ZERO, seed);
    let mut arrivals = Seed(seed).stream("m/m/1 arrivals");
    let gap = Dist::exponential(1e9 / lambda).expect("valid");
    let mut seen = Vec::with_capacity(records);
    let mut t = SimTime::ZERO;
    for n in 0..records {
        t += gap.sample_duration(&mut arrivals);
        d.run_until(t);
        seen.push(d.ch.unshipped(WEST).expect("a secondary"));
        d.write(EAST, Key(n as u64 % 1024), 1);
    }
    d.run_until(t + SimDuration::from_secs(60));
    let lags: Vec<f64> =
        d.ch.take_recent_lags().into_iter().filter(|l| l.0 == WEST).map(|l| l.2.as_nanos() as f64 / 1e9).collect();
    assert_eq!(lags.len(), records, "every record applied once, in log order");
    seen.into_iter().zip(lags).skip(warm_up).collect()
}

/// Per-replication means of `f` over the M/M/1 records, with their mean and standard error.
struct Replicated {
    mean: f64,
    standard_error: f64,
}

fn replicated(runs: &[Vec<(usize, f64)>], f: impl Fn(&(usize, f64)) -> f64) -> Replicated {
    let means: Vec<f64> = runs.iter().map(|r| r.iter().map(&f).sum::<f64>() / r.len() as f64).collect();
    let k = means.len() as f64;
    let mean = means.iter().sum::<f64>() / k;
    let variance = means.iter().map(|m| (m - mean) * (m - mean)).sum::<f64>() / (k - 1.0);
    Replicated { mean, standard_error: libm::sqrt(variance / k) }
}

/// Textbook M/M/1 (a single FIFO server, Poisson arrivals lambda = 700/s, exponential service
/// mu = 1 000/s, rho = 0.7) against the ordered log's pipeline towards one secondary: mean time in
/// system 1/(mu - lambda) = 3.33 ms; the backlog an arrival finds (by PASTA the time-average
/// one) P(N >= n) = rho^n; time in system exponential with rate mu - lambda, so
/// P(T > t) = exp(-(mu - lambda) t).
///
/// Tolerance: successive times in system are strongly correlated (a busy period carries over), so
/// the standard error is not sd / sqrt(records). It is taken from 20 independent replications
/// (seeds) of 10 000 records each, the first 1 000 dropped as warm-up (the relaxation time,
/// about 1/(mu (1 - sqrt rho)^2) = 38 ms, is some 30 arrivals): each statistic is the mean of
/// the 20 replication means, within 4 of their standard errors of the closed form (a false
/// alarm about 1 in 1 000 per check, by Student's t with 19 degrees of freedom). An
/// infinite-server pipeline (a record's service never waits for another's) would give a mean of
/// 1/mu = 1 ms, P(N >= n) of a Poisson(0.7) tail and P(T > t) = exp(-mu t): many standard errors
/// off in every check.
#[test]
fn the_ordered_log_pipeline_is_an_m_m_1_queue() {
    let (lambda, mu) = (700.0, 1000.0);
    let rho: f64 = lambda / mu;
    let runs: Vec<Vec<(usize, f64)>> = (0..20).map(|seed| mm1_replication(seed, lambda, mu, 10_000, 1_000)).collect();
    let check = |what: &str, r: Replicated, expected: f64| {
        println!("{what}: {:.5} (standard error {:.5}), closed form {expected:.5}", r.mean, r.standard_error);
        assert!(
            (r.mean - expected).abs() <= 4.0 * r.standard_error,
            "{what}: measured {} (standard error {}), closed form {expected}",
            r.mean,
            r.standard_error
        );
        assert!(r.standard_error <= 0.05 * expected, "{what}: too few samples to tell ({})", r.standard_error);
    };
    check("mean time in system (s)", replicated(&runs, |r| r.1), 1.0 / (mu - lambda));
    for n in 1..=4 {
        let r = replicated(&runs, |r| f64::from(u8::from(r.0 >= n)));
        check(&format!("P(N >= {n})"), r, libm::pow(rho, n as f64));
    }
    for multiple in [0.5, 1.0, 2.0, 3.0] {
        let t = multiple / (mu - lambda);
        let r = replicated(&runs, |r| f64::from(u8::from(r.1 > t)));
        check(&format!("P(T > {multiple}/(mu - lambda))"), r, libm::exp(-multiple));
    }
}
