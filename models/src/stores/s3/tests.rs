//! Unit tests of the S3 channel, driven by a tiny delivery loop: messages take a constant network
//! latency, timers and replies fire at their delays, written answers are acknowledged on arrival
//! and reads are judged against the newest acknowledged write taken when they began.

use std::collections::BTreeMap;

use sim_core::Seed;

use super::*;
use crate::checker::LostWrite;

const A: RegionId = RegionId::from_raw(0);
const B: RegionId = RegionId::from_raw(1);
const C: RegionId = RegionId::from_raw(2);
const KEY: Key = Key(7);
const NETWORK: SimDuration = SimDuration::from_millis(50);
const LAG: SimDuration = SimDuration::from_secs(1);
const COMMIT: SimDuration = SimDuration::from_millis(10);

fn ms(n: u64) -> SimTime {
    SimTime::from_nanos(n * 1_000_000)
}

fn rule(from: RegionId, to: RegionId) -> Rule {
    Rule { from, to }
}

/// Constant lag and commit latency, so every time in a test can be traced by hand.
fn config(buckets: &[RegionId], rules: &[Rule]) -> S3Config {
    S3Config {
        buckets: buckets.to_vec(),
        rules: rules.to_vec(),
        rtc: true,
        replication_lag: Some(Dist::Constant(LAG.as_nanos() as f64)),
        commit_latency: Dist::Constant(COMMIT.as_nanos() as f64),
        delete_marker_replication: false,
        existing_objects: 0,
    }
}

enum Pending {
    Deliver { from: RegionId, to: RegionId, message: S3Message },
    Fire(S3Timer),
    Answer { attempt: AttemptRef, answer: StoreAnswer },
}

struct Harness {
    s3: S3Channel,
    now: SimTime,
    queue: BTreeMap<(SimTime, u64), Pending>,
    seq: u64,
    next_write: u64,
    written_keys: BTreeMap<AttemptRef, Key>,
    /// Reads in progress: when each began and its snapshot of the newest acknowledged write.
    reads: BTreeMap<AttemptRef, (SimTime, Option<WriteId>)>,
    /// Finished reads: the version returned and the staleness, if stale.
    verdicts: BTreeMap<AttemptRef, (WriteId, Option<SimDuration>)>,
    applied: Vec<Applied>,
}

impl Harness {
    fn new(config: S3Config) -> Self {
        let seed = Seed(0x53);
        Harness {
            s3: S3Channel::new(StoreId::new(0), config, 3, seed.stream("commit"), seed.stream("replication")),
            now: SimTime::ZERO,
            queue: BTreeMap::new(),
            seq: 0,
            next_write: 1,
            written_keys: BTreeMap::new(),
            reads: BTreeMap::new(),
            verdicts: BTreeMap::new(),
            applied: Vec::new(),
        }
    }

    fn schedule(&mut self, delay: SimDuration, pending: Pending) {
        self.seq += 1;
        self.queue.insert((self.now + delay, self.seq), pending);
    }

    fn absorb(&mut self, effects: Vec<S3Effect>) {
        for effect in effects {
            match effect {
                Effect::Send { from, to, message, reliable } => {
                    assert!(reliable, "the replication pipeline retries until delivered");
                    self.schedule(NETWORK, Pending::Deliver { from, to, message });
                }
                Effect::Timer { delay, timer } => self.schedule(delay, Pending::Fire(timer)),
                Effect::Reply { attempt, answer, delay } => self.schedule(delay, Pending::Answer { attempt, answer }),
            }
        }
    }

    fn attempt(&mut self) -> AttemptRef {
        self.seq += 1;
        AttemptRef(self.seq)
    }

    fn write(&mut self, region: RegionId, key: Key, marker: bool) -> WriteId {
        let (attempt, write) = (self.attempt(), WriteId(self.next_write));
        self.next_write += 1;
        self.written_keys.insert(attempt, key);
        let effects = if marker {
            self.s3.delete(self.now, region, key, write, attempt)
        } else {
            self.s3.put(self.now, region, key, write, attempt)
        };
        self.absorb(effects);
        write
    }

    fn put(&mut self, region: RegionId, key: Key) -> WriteId {
        self.write(region, key, false)
    }

    fn delete(&mut self, region: RegionId, key: Key) -> WriteId {
        self.write(region, key, true)
    }

    fn get(&mut self, region: RegionId, key: Key) -> AttemptRef {
        let attempt = self.attempt();
        let snapshot = self.s3.ledger_mut().snapshot_newest_acked(key);
        self.reads.insert(attempt, (self.now, snapshot));
        let effects = self.s3.get(self.now, region, key, attempt);
        self.absorb(effects);
        attempt
    }

    fn handle(&mut self, pending: Pending) {
        match pending {
            Pending::Deliver { from, to, message } => {
                self.applied.push(self.s3.on_message(self.now, from, to, message));
            }
            Pending::Fire(timer) => {
                let effects = self.s3.on_timer(self.now, timer);
                self.absorb(effects);
            }
            Pending::Answer { attempt, answer: StoreAnswer::Written { write } } => {
                let key = self.written_keys[&attempt];
                self.s3.ledger_mut().acknowledge(self.now, key, write);
            }
            Pending::Answer { attempt, answer: StoreAnswer::Read { version } } => {
                let (began, snapshot) = self.reads.remove(&attempt).expect("a read in progress");
                let verdict = self.s3.ledger_mut().judge_read(version, began, snapshot);
                self.verdicts.insert(attempt, (version, verdict));
            }
            Pending::Answer { answer: StoreAnswer::Rejected(r), .. } => panic!("S3 rejected an attempt: {r:?}"),
        }
    }

    fn run_until(&mut self, until: SimTime) {
        while let Some(entry) = self.queue.first_entry() {
            if entry.key().0 > until {
                break;
            }
            let ((at, _), pending) = entry.remove_entry();
            self.now = at;
            self.handle(pending);
        }
        self.now = self.now.max(until);
    }

    /// Runs until nothing is pending; the clock stays at the last event.
    fn drain(&mut self) {
        while let Some((&(at, _), _)) = self.queue.last_key_value() {
            self.run_until(at);
        }
    }

    /// Takes the pipeline's pending shipments out of the loop (their Region is about to vanish).
    fn take_ships(&mut self) -> Vec<Replica> {
        let keys: Vec<(SimTime, u64)> =
            self.queue.iter().filter(|(_, p)| matches!(p, Pending::Fire(_))).map(|(k, _)| *k).collect();
        keys.iter()
            .map(|k| match self.queue.remove(k) {
                Some(Pending::Fire(S3Timer::Ship(replica))) => replica,
                _ => unreachable!("filtered above"),
            })
            .collect()
    }

    fn lost(&self) -> Vec<LostWrite> {
        self.s3.ledger().tree().lost().to_vec()
    }
}

/// One-way A -> B. A PUT at 0 ms is acknowledged at 10 ms; a GET in B at 100 ms finds nothing
/// (the genesis) and is stale by 90 ms. The pipeline sends the version at 1 s and it lands at
/// 1.05 s; a GET in B then returns it, fresh.
#[test]
fn one_way_put_reaches_the_destination_after_the_lag_and_a_read_there_before_is_stale() {
    let mut h = Harness::new(config(&[A, B], &[rule(A, B)]));
    let w = h.put(A, KEY);
    assert_eq!(h.s3.backlog(), &[1]);
    h.run_until(ms(100));
    let early = h.get(B, KEY);
    h.run_until(ms(200));
    let (returned, staleness) = h.verdicts[&early];
    assert_ne!(returned, w, "B has not got the version yet");
    assert_eq!(staleness, Some(SimDuration::from_millis(90)), "read began at 100 ms, write acknowledged at 10 ms");
    assert_eq!(h.s3.current_version(B, KEY), None);

    h.run_until(ms(2_000));
    assert_eq!(h.s3.current_version(B, KEY), Some((w, false)));
    assert_eq!(h.s3.backlog(), &[0]);
    assert_eq!(h.applied.len(), 1);
    assert_eq!(h.applied[0].lag, LAG + NETWORK, "commit to applied: pipeline lag plus the network");
    let late = h.get(B, KEY);
    h.drain();
    assert_eq!(h.verdicts[&late], (w, None));

    h.s3.finish(h.now, &[false; 3]);
    assert!(h.lost().is_empty());
    assert!(h.s3.divergent_keys().is_empty());
    assert_eq!(h.s3.shadowed(), 0);
}

/// Bidirectional A <-> B. A writes at 0 ms, B at 10 ms, neither having seen the other. Both
/// buckets end with both versions; B's (later) is current everywhere; A's is shadowed, counted
/// once although both buckets hide it, and is not lost.
#[test]
fn bidirectional_concurrent_puts_keep_both_versions_and_shadow_the_earlier() {
    let mut h = Harness::new(config(&[A, B], &[rule(A, B), rule(B, A)]));
    let first = h.put(A, KEY);
    h.run_until(ms(10));
    let second = h.put(B, KEY);
    h.drain();
    for region in [A, B] {
        assert_eq!(h.s3.versions(region, KEY), vec![first, second], "{region}");
        assert_eq!(h.s3.current_version(region, KEY), Some((second, false)), "{region}");
    }
    assert_eq!(h.s3.shadowed(), 1);
    assert_eq!(h.s3.ledger().tree().conflicted_acked(), 2, "the two met in both buckets: each counts once");
    assert_eq!(h.applied.len(), 2, "each version crossed once: no loop back to its origin");

    h.s3.finish(h.now, &[false; 3]);
    assert!(h.lost().is_empty(), "versioning keeps the shadowed write: {:?}", h.lost());
    assert!(h.s3.ledger().tree().is_live(first));
    assert!(h.s3.divergent_keys().is_empty());
}

/// A version written on top of one it has seen hides nothing: sequential writes are no conflict.
#[test]
fn a_put_that_observed_the_current_version_shadows_nothing() {
    let mut h = Harness::new(config(&[A, B], &[rule(A, B), rule(B, A)]));
    h.put(A, KEY);
    h.drain();
    let second = h.put(B, KEY);
    h.drain();
    assert_eq!(h.s3.current_version(A, KEY), Some((second, false)));
    assert_eq!(h.s3.shadowed(), 0);
    assert_eq!(h.s3.ledger().tree().conflicted_acked(), 0);
}

/// A -> B without delete marker replication: the marker stays in A, B keeps showing the object,
/// and the key is divergent at the end. With it, B gets the marker and the buckets converge.
#[test]
fn a_delete_marker_not_replicated_leaves_the_key_divergent() {
    for delete_marker_replication in [false, true] {
        let mut h = Harness::new(S3Config { delete_marker_replication, ..config(&[A, B], &[rule(A, B)]) });
        let object = h.put(A, KEY);
        h.drain();
        let marker = h.delete(A, KEY);
        h.drain();
        assert_eq!(h.s3.current_version(A, KEY), Some((marker, true)));
        let expected_in_b = if delete_marker_replication { (marker, true) } else { (object, false) };
        assert_eq!(h.s3.current_version(B, KEY), Some(expected_in_b));
        assert_eq!(h.s3.backlog(), &[0]);
        h.s3.finish(h.now, &[false; 3]);
        let divergent: &[Key] = if delete_marker_replication { &[] } else { &[KEY] };
        assert_eq!(h.s3.divergent_keys(), divergent, "delete_marker_replication = {delete_marker_replication}");
        assert!(h.lost().is_empty());
    }
}

/// Deleting a specific version is local: A drops its current version and shows the previous one,
/// B keeps both; divergent, and the deleted acknowledged write is not counted lost.
#[test]
fn deleting_a_version_id_is_not_replicated() {
    let mut h = Harness::new(config(&[A, B], &[rule(A, B)]));
    let first = h.put(A, KEY);
    h.run_until(ms(1));
    let second = h.put(A, KEY);
    h.drain();
    assert!(h.s3.delete_version(h.now, A, KEY, second));
    assert!(!h.s3.delete_version(h.now, A, KEY, second), "already gone");
    assert_eq!(h.s3.current_version(A, KEY), Some((first, false)));
    assert_eq!(h.s3.versions(B, KEY), vec![first, second]);
    h.s3.finish(h.now, &[false; 3]);
    assert_eq!(h.s3.divergent_keys(), &[KEY]);
    assert!(h.lost().is_empty());
}

/// Three objects predate the rule A -> B. B does not have them; a batch is refused while the
/// control plane is down; once it runs they arrive and the buckets converge. Without a batch they
/// are divergent at the end.
#[test]
fn existing_objects_wait_for_batch_replication() {
    let with_existing = S3Config { existing_objects: 3, ..config(&[A, B], &[rule(A, B)]) };
    let seeded = |k: u64| WriteId(EXISTING_OBJECT_IDS + k);

    let mut never = Harness::new(with_existing.clone());
    never.drain();
    never.s3.finish(never.now, &[false; 3]);
    assert_eq!(never.s3.divergent_keys(), &[Key(0), Key(1), Key(2)]);

    let mut h = Harness::new(with_existing);
    assert_eq!(h.s3.current_version(A, Key(0)), Some((seeded(0), false)));
    let read = h.get(B, Key(0));
    h.run_until(ms(100));
    assert_ne!(h.verdicts[&read].0, seeded(0), "not found in B before the batch");
    assert_eq!(h.s3.batch_replicate(h.now, false), Err(BatchError::ControlPlaneDown));
    assert_eq!(h.s3.backlog(), &[0]);

    let effects = h.s3.batch_replicate(h.now, true).expect("the control plane is up");
    assert_eq!(effects.len(), 3);
    h.absorb(effects);
    assert_eq!(h.s3.backlog(), &[3]);
    h.drain();
    for k in 0..3 {
        assert_eq!(h.s3.current_version(B, Key(k)), Some((seeded(k), false)));
    }
    assert!(h.applied.iter().all(|a| a.batch && a.lag == LAG + NETWORK), "lag counts from the batch start");
    assert_eq!(h.s3.batch_replicate(h.now, true), Ok(Vec::new()), "a second batch has nothing to do");
    h.s3.finish(h.now, &[false; 3]);
    assert!(h.s3.divergent_keys().is_empty());
    assert!(h.lost().is_empty());
}

/// Rules A -> B and B -> C: a version written in A reaches B and stops there (no chaining); one
/// written in B reaches C.
#[test]
fn replicas_are_not_replicated_again() {
    let mut h = Harness::new(config(&[A, B, C], &[rule(A, B), rule(B, C)]));
    let from_a = h.put(A, KEY);
    h.drain();
    assert_eq!(h.s3.current_version(B, KEY), Some((from_a, false)));
    assert_eq!(h.s3.current_version(C, KEY), None);
    let other = Key(8);
    let from_b = h.put(B, other);
    h.drain();
    assert_eq!(h.s3.current_version(C, other), Some((from_b, false)));
    assert_eq!(h.s3.backlog(), &[0, 0]);
    h.s3.finish(h.now, &[false; 3]);
    assert_eq!(h.s3.divergent_keys(), &[KEY, other], "C lacks KEY, A lacks the other");
}

/// A's first version reached B; its second was still in A's pipeline when A went away for good:
/// only the second is lost, with the Region.
#[test]
fn a_bucket_that_never_returns_loses_only_its_unreplicated_versions() {
    let mut h = Harness::new(config(&[A, B], &[rule(A, B)]));
    let first = h.put(A, KEY);
    h.drain();
    let second = h.put(A, KEY);
    h.run_until(h.now + COMMIT);
    for replica in h.take_ships() {
        h.s3.abandon(h.now, &replica);
    }
    assert_eq!(h.s3.backlog(), &[0]);
    h.s3.finish(h.now, &[true, false, false]);
    let lost: Vec<(WriteId, LossCause)> = h.lost().iter().map(|l| (l.write, l.cause)).collect();
    assert_eq!(lost, vec![(second, LossCause::RegionNeverReturned)]);
    assert!(h.s3.ledger().tree().is_live(first));
    assert!(h.s3.divergent_keys().is_empty(), "only B is left");
}

fn sorted_samples(dist: &Dist, n: usize) -> Vec<SimDuration> {
    let mut stream = Seed(0x5eed).stream("s3-lag");
    let mut samples: Vec<SimDuration> = (0..n).map(|_| dist.sample_duration(&mut stream)).collect();
    samples.sort_unstable();
    samples
}

/// With RTC, "99.99% within 15 minutes" and "most objects in seconds": over 100 000 samples, the
/// share within 15 minutes is at least 99.99% less four standard errors, and the median is a few
/// seconds. Without RTC, the median and the p99 are much larger, and still most objects replicate
/// within 15 minutes.
#[test]
fn default_lags_keep_the_documented_promises() {
    const N: usize = 100_000;
    let fifteen_minutes = SimDuration::from_mins(15);
    let within = |s: &[SimDuration]| s.iter().filter(|&&d| d <= fifteen_minutes).count() as f64 / N as f64;
    let rtc = sorted_samples(&default_replication_lag(true), N);
    let standard = sorted_samples(&default_replication_lag(false), N);
    let median_and_p99 = |s: &[SimDuration]| (s[N / 2], s[N * 99 / 100]);

    let standard_error = libm::sqrt(0.9999 * 0.0001 / N as f64);
    assert!(within(&rtc) >= 0.9999 - 4.0 * standard_error, "RTC within 15 min: {}", within(&rtc));
    let (rtc_median, rtc_p99) = median_and_p99(&rtc);
    assert!(rtc_median >= SimDuration::from_secs(1) && rtc_median <= SimDuration::from_secs(4), "{rtc_median}");

    let (standard_median, standard_p99) = median_and_p99(&standard);
    assert!(standard_median >= rtc_median * 5, "{standard_median} vs {rtc_median}");
    assert!(standard_p99 >= rtc_p99 * 10, "{standard_p99} vs {rtc_p99}");
    assert!(within(&standard) > 0.5, "the majority within 15 minutes: {}", within(&standard));
}

#[test]
fn validation_names_every_problem() {
    let names: Vec<String> = ["us-east-1", "eu-west-1", "ap-southeast-1"].map(String::from).to_vec();
    assert_eq!(config(&[A, B], &[rule(A, B), rule(B, A)]).validate(&names), Ok(()));

    let errors = |c: S3Config| c.validate(&names).expect_err("invalid");
    let e = errors(config(&[A, B], &[rule(A, C)]));
    assert_eq!(e, vec!["rule 0: to ap-southeast-1 has no bucket; expected one of the buckets".to_string()]);
    let e = errors(config(&[A, B], &[rule(A, A)]));
    assert_eq!(e, vec!["rule 0: replicates us-east-1 to itself".to_string()]);
    let e = errors(config(&[A, B], &[]));
    assert_eq!(e, vec!["no replication rule; expected at least one (from, to)".to_string()]);
    let e = errors(config(&[A, B, A], &[rule(A, B), rule(A, B)]));
    assert_eq!(
        e,
        vec![
            "two buckets in us-east-1; expected at most one bucket per Region".to_string(),
            "rule 1: us-east-1 -> eu-west-1 is a duplicate".to_string(),
        ]
    );
    let e =
        errors(S3Config { replication_lag: Some(Dist::Exponential { mean: -1.0 }), ..config(&[A, B], &[rule(A, B)]) });
    assert_eq!(e.len(), 1);
    assert!(e[0].starts_with("replication_lag: "), "{e:?}");
}
