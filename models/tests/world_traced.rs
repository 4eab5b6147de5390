//! Hand-traced small worlds, one test per behaviour of the world.
//!
//! Every world here is tiny (two Regions, one or two stores, a handful of operations) and has no
//! randomness that matters: links, client latencies, replication delays and service times are
//! constants, and operations come from a replayed trace at times chosen by hand. So every number a
//! run reports can be worked out on paper first. Each test writes that trace of events in its
//! comment ("t=0 east writes k1 (w1), acknowledged at 2 ms; ...") and then asserts the exact
//! counters, lists and series the recorder must hold.
//!
//! Conventions of the traces: times are in milliseconds of simulated time; `wN` is the N-th write the
//! run creates (write ids count from 1 in the order Regions apply client writes); "applied" is when
//! the Region's replica takes the write, "acked" when the client receives the success answer.
//! Events at the same instant fire in the order they were scheduled.

use models::apptier::AppTierConfig;
use models::checker::{LossCause, LostWrite};
use models::config::{
    ActionConfig, ActionKind, Arrivals, FaultConfig, FaultKind, OperationKind, OutageScope, PartitionMode,
    PopulationConfig, ProbeAnswer, RetryPolicy, StoreConfig, StoreKind, TraceEntry, Trigger, WorldConfig,
};
use models::ids::{Key, RegionId, StoreId, WriteId};
use models::report::{ActionRecord, FaultWindow};
use models::run::{RunOutput, run};
use models::topology::{LinkLatency, Topology};
use sim_core::{CounterSeries, Dist, Histogram, Seed, SimDuration, SimTime, TraceMode};

const EAST: RegionId = RegionId::from_raw(0);
const WEST: RegionId = RegionId::from_raw(1);
const S0: StoreId = StoreId::from_raw(0);
const S1: StoreId = StoreId::from_raw(1);
const K1: Key = Key(1);
const K2: Key = Key(2);
const K3: Key = Key(3);
const K4: Key = Key(4);

fn ms(n: u64) -> SimTime {
    SimTime::at(SimDuration::from_millis(n))
}

fn d(n: u64) -> SimDuration {
    SimDuration::from_millis(n)
}

/// Milliseconds in nanoseconds, the unit of every histogram.
fn ns(millis: u64) -> u64 {
    millis * 1_000_000
}

/// A latency that is always `millis`.
fn constant(millis: u64) -> LinkLatency {
    LinkLatency { base: d(millis), extra: Dist::Constant(0.0) }
}

/// us-east-1 (EAST) and us-west-2 (WEST), `link_ms` apart each way; one store "t" (S0) with a replica
/// in each, whose pipeline ships a write `replication_ms` after its commit and sends a lost copy again
/// after 100 ms; no app tier, no idempotency; a 2 s fault phase with 1 s metrics buckets.
fn world(link_ms: u64, replication_ms: u64, populations: Vec<PopulationConfig>) -> WorldConfig {
    let link = constant(link_ms);
    WorldConfig {
        topology: Topology::new(vec!["us-east-1".into(), "us-west-2".into()], vec![vec![link.clone(); 2]; 2]),
        duration: SimDuration::from_secs(2),
        drain_max: SimDuration::from_secs(60),
        max_events: 100_000,
        metrics_interval: SimDuration::from_secs(1),
        stores: vec![store("t", replication_ms)],
        app_tiers: vec![None, None],
        populations,
        actions: vec![],
        faults: vec![],
        fault_generators: vec![],
        // Each lost write listed, as the tests read them.
        list_conflicts: true,
        routing: Default::default(),
        alarms: vec![],
    }
}

fn store(name: &str, replication_ms: u64) -> StoreConfig {
    StoreConfig {
        kind: StoreKind::DynamoDbMrec,
        name: name.into(),
        regions: vec![EAST, WEST],
        replication_delay: Dist::Constant(ns(replication_ms) as f64),
        replication_retry_interval: d(100),
        catch_up_rate: models::stores::quorum::DEFAULT_CATCH_UP_RATE,
        idempotency: false,
        per_item_order: true,
    }
}

/// Clients near `region`, `east_ms` from EAST and `west_ms` from WEST each way, replaying `trace`;
/// timeout 1 s, one attempt per operation, no pinning, no read-your-writes affinity.
fn population(name: &str, region: RegionId, east_ms: u64, west_ms: u64, trace: Vec<TraceEntry>) -> PopulationConfig {
    PopulationConfig {
        name: name.into(),
        region,
        latency: vec![constant(east_ms), constant(west_ms)],
        arrivals: Arrivals::Trace(trace),
        operations: vec![],
        users: 1,
        timeout: SimDuration::from_secs(1),
        retry: RetryPolicy { max_attempts: 1, base_delay: SimDuration::ZERO, max_delay: SimDuration::ZERO },
        pinning: false,
        read_your_writes_window: None,
        routing: Default::default(),
    }
}

fn op(t: u64, user: u64, kind: OperationKind, store: StoreId, key: Key) -> TraceEntry {
    TraceEntry { time: ms(t), user, kind, store, key }
}

fn write(t: u64, user: u64, key: Key) -> TraceEntry {
    op(t, user, OperationKind::Write, S0, key)
}

fn read(t: u64, user: u64, key: Key) -> TraceEntry {
    op(t, user, OperationKind::Read, S0, key)
}

fn fault(kind: FaultKind, start: u64, end: Option<u64>) -> FaultConfig {
    FaultConfig { kind, start: ms(start), end: end.map(ms) }
}

fn go(config: &WorldConfig) -> RunOutput {
    run(config, Seed(1), TraceMode::Hash).expect("the run ends within its limits")
}

fn counts(series: &CounterSeries) -> Vec<u64> {
    series.iter().map(|(_, n)| n).collect()
}

fn total(series: &CounterSeries) -> u64 {
    series.iter().map(|(_, n)| n).sum()
}

/// (count, min, max) of a histogram; min and max are exact whatever the bucket width.
fn summary(h: &Histogram) -> (u64, Option<u64>, Option<u64>) {
    (h.count(), h.min(), h.max())
}

/// A copy lost to a dropping partition joins its link's backlog, which waits while the partition
/// lasts and resends it when it heals: lost once, however long the partition.
///
/// Link 10 ms each way, replication delay 5 ms, retry interval 100 ms; clients 1 ms from both
/// Regions. The partition cuts EAST from WEST (both ways, drop mode) from 0 to 950 ms.
/// - t=0 an east client writes k1; applied in EAST at 1 (w1, stamp 1 ms), acked at 2.
/// - 6: EAST ships w1; the copy reaches WEST at 16: cut, lost (1), into the EAST -> WEST backlog,
///   whose timer is due at 116. The link is still cut then: the backlog waits for a heal.
/// - 950: the partition heals and the backlog is resent at once; the copy arrives at 960: applied.
///   Replication lag 960 - 1 = 959 ms.
/// - West reads k1 at 900 (served at 901: stale by 900 - 2 = 898 ms), at 955 (served at 956, still
///   stale, by 953 ms) and at 961 (served at 962: fresh).
// Before the backlog, each lost copy had its own resend timer: the copy was lost 9 times (at
// 16 + 110 n while the partition lasted) and arrived at 1006, up to a retry interval after the heal.
#[test]
fn partition_in_drop_mode_loses_the_copy_once_and_resends_it_at_the_heal() {
    let mut config = world(
        10,
        5,
        vec![
            population("east", EAST, 1, 1, vec![write(0, 1, K1)]),
            population("west", WEST, 1, 1, vec![read(900, 1, K1), read(955, 1, K1), read(961, 1, K1)]),
        ],
    );
    let partition =
        FaultKind::Partition { side_a: vec![EAST], side_b: vec![WEST], one_way: false, mode: PartitionMode::Drop };
    config.faults.push(fault(partition, 0, Some(950)));
    let r = go(&config).recorder;

    assert_eq!(r.faults, vec![FaultWindow { fault: 0, started: ms(0), healed: Some(ms(950)) }]);
    assert_eq!(r.replication_messages_lost, 1);
    assert_eq!(counts(&r.regions[EAST.index()].replication_messages_lost), vec![1, 0]);
    assert_eq!(total(&r.regions[WEST.index()].replication_messages_lost), 0);
    assert_eq!(summary(&r.replication_lag), (1, Some(ns(959)), Some(ns(959))));
    assert_eq!((r.reads_ok, r.stale_reads), (3, 2));
    assert_eq!(summary(&r.staleness), (2, Some(ns(898)), Some(ns(953))));
    assert_eq!((r.writes_acked, r.failed), (1, 0));
    assert!(r.lost.is_empty());
    assert_eq!(r.divergent_keys, 0);
}

/// A holding partition keeps the copy in the network and delivers it the instant it heals.
///
/// As the drop case, in hold mode: w1 applied in EAST at 1, acked at 2, shipped at 6; its copy meets
/// the partition at 16 and waits; the partition heals at 950 and the copy is applied in WEST at 950
/// (+0): lag 949 ms. Nothing is lost or sent again. West reads k1 at 948 (served at 949: stale by
/// 946 ms) and at 950 (served at 951: fresh).
#[test]
fn partition_in_hold_mode_delivers_the_copy_at_the_heal() {
    let mut config = world(
        10,
        5,
        vec![
            population("east", EAST, 1, 1, vec![write(0, 1, K1)]),
            population("west", WEST, 1, 1, vec![read(948, 1, K1), read(950, 1, K1)]),
        ],
    );
    let partition =
        FaultKind::Partition { side_a: vec![EAST], side_b: vec![WEST], one_way: false, mode: PartitionMode::Hold };
    config.faults.push(fault(partition, 0, Some(950)));
    let r = go(&config).recorder;

    assert_eq!(r.replication_messages_lost, 0);
    assert_eq!(summary(&r.replication_lag), (1, Some(ns(949)), Some(ns(949))));
    assert_eq!((r.reads_ok, r.stale_reads), (2, 1));
    assert_eq!(summary(&r.staleness), (1, Some(ns(946)), Some(ns(946))));
    assert!(r.lost.is_empty());
    assert_eq!(r.divergent_keys, 0);
}

/// A one-way partition cuts side A -> side B only.
///
/// Link 10 ms, replication delay 5 ms, retry 100 ms, clients 1 ms away. EAST -> WEST is cut (drop
/// mode) from 0 to 500 ms; WEST -> EAST flows.
/// - t=0 east writes k1 (w1, applied at 1, acked at 2); west writes k2 (w2, applied at 1, acked at 2).
/// - 6: both ship. w2 reaches EAST at 16: applied, lag 15 ms. w1 reaches WEST at 16: lost (1, from
///   EAST), into the backlog, which waits while the link is cut; the heal at 500 resends it and it
///   arrives at 510: applied, lag 509 ms.
/// - t=100 east reads k2 (served at 101): fresh. West reads k1 (served at 101): stale by 100 - 2 = 98 ms.
/// - t=600 west reads k1 (served at 601): fresh.
#[test]
fn one_way_partition_cuts_one_direction_and_leaves_the_other() {
    let mut config = world(
        10,
        5,
        vec![
            population("east", EAST, 1, 1, vec![write(0, 1, K1), read(100, 1, K2)]),
            population("west", WEST, 1, 1, vec![write(0, 1, K2), read(100, 1, K1), read(600, 1, K1)]),
        ],
    );
    let partition =
        FaultKind::Partition { side_a: vec![EAST], side_b: vec![WEST], one_way: true, mode: PartitionMode::Drop };
    config.faults.push(fault(partition, 0, Some(500)));
    let r = go(&config).recorder;

    assert_eq!(r.replication_messages_lost, 1);
    assert_eq!(total(&r.regions[EAST.index()].replication_messages_lost), 1);
    assert_eq!(total(&r.regions[WEST.index()].replication_messages_lost), 0);
    assert_eq!(summary(&r.replication_lag), (2, Some(ns(15)), Some(ns(509))));
    assert_eq!((r.reads_ok, r.stale_reads), (3, 1));
    assert_eq!(total(&r.regions[EAST.index()].stale_reads), 0, "east read west's write: fresh");
    assert_eq!(total(&r.regions[WEST.index()].stale_reads), 1, "west missed east's write");
    assert_eq!(summary(&r.staleness), (1, Some(ns(98)), Some(ns(98))));
    assert!(r.lost.is_empty());
}

/// A Region whose clock runs ahead wins a conflict it should lose.
///
/// Link 10 ms, replication delay 1 s (so the two writes are concurrent), clients 1 ms away. EAST's
/// clock reads true time + 1 s for the whole run.
/// - t=0 east writes k1: applied at 1 as w1, stamped 1 ms + 1 s = 1001 ms; acked at 2.
/// - t=500 west writes k1: WEST has not seen w1 (it arrives at 1011), so w2's parent is the empty
///   item; applied at 501, stamped 501 ms; acked at 502. w2 is truly later.
/// - 1011: w1 reaches WEST; 1001 > 501: w1 wins, WEST drops w2.
/// - 1511: w2 reaches EAST; 501 < 1001: it loses. No replica and no message holds w2 any more (the
///   client bookkeeping that remembers it pins it, holding nothing): w2 is lost to
///   last-writer-wins at 1511, acked at 502.
///
/// Without the skew, the same trace loses w1 instead: w2 (501 ms) beats w1 (1 ms) in EAST at 1511,
/// when EAST drops its last hold on w1.
#[test]
fn clock_skew_lets_the_earlier_write_win_and_the_later_acknowledged_one_is_lost() {
    let mut config = world(
        10,
        1000,
        vec![
            population("east", EAST, 1, 1, vec![write(0, 1, K1)]),
            population("west", WEST, 1, 1, vec![write(500, 1, K1)]),
        ],
    );
    config.duration = SimDuration::from_secs(3);
    let unskewed = go(&config);
    let skew = FaultKind::ClockSkew { region: EAST, offset_nanos: 1_000_000_000, drift_ppm: 0.0 };
    config.faults.push(fault(skew, 0, Some(3000)));
    let skewed = go(&config);

    let lost = |write, region, acked_at, lost_at| LostWrite {
        write: WriteId(write),
        store: S0,
        key: K1,
        region,
        acked_at: ms(acked_at),
        lost_at,
        cause: LossCause::LastWriterWins,
    };
    let r = &skewed.recorder;
    assert_eq!(r.writes_acked, 2);
    assert_eq!(r.lost, vec![lost(2, WEST, 502, ms(1511))]);
    assert_eq!(r.lost_by(LossCause::LastWriterWins), 1);
    assert_eq!(total(&r.regions[WEST.index()].lost_writes), 1);
    assert_eq!(r.divergent_keys, 0);
    // Without the skew both replicas have dropped w1 by 1 511 ms, and it is lost then: its own
    // session still remembers it as its last write, but that is a pin, which decides nothing.
    assert_eq!(unskewed.recorder.lost, vec![lost(1, EAST, 2, ms(1511))], "without the skew, w1 loses");
}

/// The traced world of the outage tests. Outage of EAST from 95 to 495 ms; link 10 ms, replication
/// delay 50 ms, clients 1 ms away; east clients time out after 50 ms, one attempt; metrics every
/// 10 ms over a 1 s fault phase, so the health endpoint is sampled at 0, 10, ..., 990 ms, once per
/// bucket, and no sample falls on the fault's start or end.
///
/// The trace (stores as given):
/// - t=60 east writes k1 (applied in EAST at 61 as w1, acked at 62; shipped at 111);
/// - t=150 west writes k2 (applied in WEST at 151 as w2, acked at 152; shipped at 201, reaching EAST
///   at 211);
/// - t=200 east writes k3 (reaches EAST at 201), in each store of `k3_stores`.
fn outage_world(scope: OutageScope, k3_stores: &[StoreId]) -> WorldConfig {
    let east_trace =
        std::iter::once(write(60, 1, K1)).chain(k3_stores.iter().map(|&s| op(200, 2, OperationKind::Write, s, K3)));
    let mut east = population("east", EAST, 1, 1, east_trace.collect());
    east.timeout = d(50);
    let mut config = world(10, 50, vec![east, population("west", WEST, 1, 1, vec![write(150, 1, K2)])]);
    config.duration = SimDuration::from_secs(1);
    config.metrics_interval = d(10);
    config.faults.push(fault(
        FaultKind::RegionOutage { region: EAST, scope, probes: ProbeAnswer::TimeOut },
        95,
        Some(495),
    ));
    config
}

/// A 0/1 series of 100 buckets of 10 ms, 0 in the buckets sampled during the outage (100..=490 ms).
fn up_except_during_outage(down: bool) -> Vec<u64> {
    (0..100).map(|i| u64::from(!(down && (10..=49).contains(&i)))).collect()
}

/// The failed-attempt series of 100 buckets of 10 ms, with one failure in bucket `at`.
fn one_failure_in_bucket(at: usize) -> Vec<u64> {
    (0..100).map(|i| u64::from(i == at)).collect()
}

/// A whole-Region outage: nothing answers, and replication waits in both directions.
///
/// With the trace of `outage_world`:
/// - 111: EAST's pipeline cannot ship w1 (EAST is dark): it waits.
/// - 201: the k3 write reaches the dark EAST: no answer; the client times out at 250 (bucket 25).
/// - 211: w2 reaches EAST, which is down: it waits.
/// - 495: the outage heals. w2 is applied in EAST at once (lag 495 - 151 = 344 ms); w1 ships and
///   reaches WEST at 505 (lag 505 - 61 = 444 ms).
/// - The health endpoint and the control plane read 0 from the 100 ms sample to the 490 ms one.
#[test]
fn region_outage_times_out_requests_and_holds_replication_both_ways() {
    let out = go(&outage_world(OutageScope::Region, &[S0]));
    let r = &out.recorder;
    let east = &r.regions[EAST.index()];

    assert_eq!(r.faults, vec![FaultWindow { fault: 0, started: ms(95), healed: Some(ms(495)) }]);
    assert_eq!((r.writes_acked, r.failed, r.operations_failed), (2, 1, 1));
    assert_eq!(counts(&east.failed), one_failure_in_bucket(25), "a timeout, 50 ms after sending");
    assert_eq!(summary(&r.replication_lag), (2, Some(ns(344)), Some(ns(444))));
    assert_eq!(counts(&east.health_endpoint_up), up_except_during_outage(true));
    assert_eq!(counts(&east.control_plane_up), up_except_during_outage(true));
    assert_eq!(counts(&r.regions[WEST.index()].health_endpoint_up), up_except_during_outage(false));
    assert!(r.lost.is_empty());
    assert_eq!(r.divergent_keys, 0);
}

/// An app-tier outage: requests get an error answer at once; the stores and replication go on.
///
/// With the trace of `outage_world`: the k3 write reaches EAST at 201 and the error comes back at 202
/// (bucket 20, not a timeout at 250). w1 ships at 111 and reaches WEST at 121; w2 reaches EAST at
/// 211 and is applied: both lags 60 ms. The health endpoint (which checks the app tier) reads 0
/// during the outage; the control plane stays up.
#[test]
fn app_tier_outage_fails_requests_fast_and_replication_continues() {
    let out = go(&outage_world(OutageScope::AppTier, &[S0]));
    let r = &out.recorder;
    let east = &r.regions[EAST.index()];

    assert_eq!((r.writes_acked, r.failed, r.operations_failed), (2, 1, 1));
    assert_eq!(counts(&east.failed), one_failure_in_bucket(20), "an error answer, one round trip after sending");
    assert_eq!(summary(&r.replication_lag), (2, Some(ns(60)), Some(ns(60))));
    assert_eq!(counts(&east.health_endpoint_up), up_except_during_outage(true));
    assert_eq!(counts(&east.control_plane_up), up_except_during_outage(false));
    assert!(r.lost.is_empty());
}

/// An outage of one store's replica: that store's requests fail at once, another store's succeed,
/// and that store's replication into and out of the Region waits.
///
/// Two stores, S0 (out in EAST) and S1, same configuration. With the trace of `outage_world`, k3
/// written in both stores at 200:
/// - 111: w1 (S0) cannot ship from EAST's S0 replica: it waits.
/// - 201: the S0 k3 write fails at once (error back at 202, bucket 20); the S1 k3 write is applied
///   as w3, acked at 202, shipped at 251, applied in WEST at 261 (lag 60 ms).
/// - 211: w2 (S0) reaches EAST, whose S0 replica is down: it waits.
/// - 495: heal. w2 applied in EAST (lag 344 ms); w1 ships, applied in WEST at 505 (lag 444 ms).
/// - The health endpoint stays up.
#[test]
fn store_outage_fails_that_store_only() {
    let mut config = outage_world(OutageScope::Store(S0), &[S0, S1]);
    config.stores.push(store("u", 50));
    let out = go(&config);
    let r = &out.recorder;
    let east = &r.regions[EAST.index()];

    assert_eq!((r.writes_acked, r.failed, r.operations_failed, r.operations_succeeded), (3, 1, 1, 3));
    assert_eq!(counts(&east.failed), one_failure_in_bucket(20));
    assert_eq!(summary(&r.replication_lag), (3, Some(ns(60)), Some(ns(444))));
    assert_eq!(counts(&east.health_endpoint_up), up_except_during_outage(false));
    assert!(r.lost.is_empty());
    assert_eq!(r.divergent_keys, 0);
}

/// A gray failure of the health endpoint: traffic is served, the health series reads 0.
///
/// With the trace of `outage_world`: all three writes are acked (k3 at 202), nothing fails, both
/// replication lags are 60 ms; the health endpoint reads 0 from the 100 ms sample to the 490 ms one.
#[test]
fn health_endpoint_outage_serves_requests_and_fails_health_checks() {
    let out = go(&outage_world(OutageScope::HealthEndpoint, &[S0]));
    let r = &out.recorder;
    let east = &r.regions[EAST.index()];

    assert_eq!((r.writes_acked, r.failed, r.operations_failed), (3, 0, 0));
    assert_eq!(summary(&r.replication_lag), (3, Some(ns(60)), Some(ns(60))));
    assert_eq!(counts(&east.health_endpoint_up), up_except_during_outage(true));
    assert_eq!(total(&east.writes_acked), 2, "w1 and the k3 write");
}

/// The reverse gray failure: requests fail at once while the health endpoint passes.
///
/// With the trace of `outage_world`: the k3 write gets an error at 202 (bucket 20); replication is
/// untouched (lags 60 ms); the health series reads 1 throughout.
#[test]
fn requests_only_outage_fails_requests_and_passes_health_checks() {
    let out = go(&outage_world(OutageScope::RequestsOnly, &[S0]));
    let r = &out.recorder;
    let east = &r.regions[EAST.index()];

    assert_eq!((r.writes_acked, r.failed, r.operations_failed), (2, 1, 1));
    assert_eq!(counts(&east.failed), one_failure_in_bucket(20));
    assert_eq!(summary(&r.replication_lag), (2, Some(ns(60)), Some(ns(60))));
    assert_eq!(counts(&east.health_endpoint_up), up_except_during_outage(false));
}

/// The world of the retry tests: EAST has an app tier of one server, constant service 10 ms, queue
/// limit 10; east clients 1 ms away, timeout 18 ms, two attempts, immediate retry (base delay 0).
///
/// - t=0 user 1 writes k1 (operation 1) and user 2 writes k2 (operation 2); both reach EAST at 1.
///   Attempt 1 of op 1 is served 1..11 (w1 applied at 11, acked at 12). Attempt 1 of op 2 waits (its
///   deadline, 18, is after 11) and is served 11..21.
/// - 18: op 2's first attempt times out (failed: 1) and is retried at once (retries: 1): attempt 2
///   reaches EAST at 19 and waits behind it.
/// - 21: attempt 1 of op 2 is applied as w2, though its client has given up; its answer arrives at
///   22 and is ignored. Attempt 2 is served 21..31.
/// - 31: attempt 2 meets op 2's idempotency key, already applied as w2. With idempotency the store
///   applies nothing and answers "done as w2"; without, it applies the write again as w3 on top of
///   w2 (a duplicate). Either way the client is acked at 32 (attempt latency 14 ms, operation
///   latency 32 ms).
fn retry_world(idempotency: bool) -> WorldConfig {
    let mut east = population("east", EAST, 1, 1, vec![write(0, 1, K1), write(0, 2, K2)]);
    east.timeout = d(18);
    east.retry = RetryPolicy { max_attempts: 2, base_delay: SimDuration::ZERO, max_delay: SimDuration::ZERO };
    let mut config = world(10, 0, vec![east]);
    config.stores[0].idempotency = idempotency;
    config.app_tiers[EAST.index()] =
        Some(AppTierConfig { servers: 1, queue_limit: 10, service_time: Dist::Constant(ns(10) as f64) });
    config
}

/// With idempotency, the retry of a write whose first attempt was applied but answered too late does
/// not apply twice: two writes exist (w1, w2), each replicated once to WEST.
#[test]
fn retry_of_an_applied_write_is_not_applied_twice_with_idempotency() {
    let out = go(&retry_world(true));
    let r = &out.recorder;

    assert_eq!((r.operations, r.operations_succeeded, r.operations_failed), (2, 2, 0));
    assert_eq!((r.requests, r.failed, r.retries), (3, 1, 1));
    assert_eq!((r.writes_acked, r.duplicate_writes), (2, 0));
    assert_eq!(r.replication_lag.count(), 2, "one version of each key reaches WEST");
    assert_eq!(summary(&r.operation_latency), (2, Some(ns(12)), Some(ns(32))));
    assert_eq!(summary(&r.write_latency), (2, Some(ns(12)), Some(ns(14))));
    assert!(r.lost.is_empty(), "no acknowledged write is lost");
    assert_eq!(r.divergent_keys, 0);
}

/// Without idempotency, the same retry applies the write a second time (w3 on top of w2).
#[test]
fn retry_of_an_applied_write_applies_twice_without_idempotency() {
    let out = go(&retry_world(false));
    let r = &out.recorder;

    assert_eq!((r.operations, r.operations_succeeded, r.operations_failed), (2, 2, 0));
    assert_eq!((r.requests, r.failed, r.retries), (3, 1, 1));
    assert_eq!((r.writes_acked, r.duplicate_writes), (2, 1));
    assert_eq!(r.replication_lag.count(), 3, "w1, w2 and the duplicate w3 reach WEST");
    assert!(r.lost.is_empty(), "w2 was never acked and is w3's parent; w3 survives");
    assert_eq!(r.divergent_keys, 0);
}

/// Read-your-writes affinity sends a user's reads to the Region of its last write for the window,
/// then back to the router's Region.
///
/// Clients near WEST (1 ms from WEST, 20 ms from EAST), pinning on, window 1 s. At t=0 a re-pin
/// moves the home of WEST's users to EAST, so their writes go to EAST while the router sends their
/// reads to WEST. Link 30 ms, replication delay 2 s (slower than the window).
/// - t=10 user 1 writes k1: reaches EAST at 30 (w1), acked at 50. Window until 1050.
/// - t=500 user 1 reads k1: in the window, so to EAST (served at 520): fresh.
/// - t=500 user 2 (no write) reads k1: to WEST (served at 501): stale by 500 - 50 = 450 ms.
/// - t=1100 user 1 reads k1: the window is over, so to WEST (served at 1101), which has not got w1
///   (shipped at 2030, applied in WEST at 2060): stale by 1100 - 50 = 1050 ms.
/// - t=2100 user 1 reads k1 in WEST (served at 2101): fresh.
#[test]
fn read_your_writes_affinity_reads_fresh_in_the_window_and_stale_after() {
    let trace = vec![write(10, 1, K1), read(500, 1, K1), read(500, 2, K1), read(1100, 1, K1), read(2100, 1, K1)];
    let mut users = population("west", WEST, 20, 1, trace);
    users.pinning = true;
    users.read_your_writes_window = Some(SimDuration::from_secs(1));
    let mut config = world(30, 2000, vec![users]);
    config.duration = SimDuration::from_secs(3);
    config.actions.push(ActionConfig {
        trigger: Trigger::At(ms(0)),
        reaction_time: SimDuration::ZERO,
        kind: ActionKind::Repin { from: WEST, to: EAST },
    });
    let r = go(&config).recorder;
    let (east, west) = (&r.regions[EAST.index()], &r.regions[WEST.index()]);

    assert_eq!((r.writes_acked, total(&east.writes_acked)), (1, 1));
    assert_eq!((r.reads_ok, r.stale_reads), (4, 2));
    assert_eq!((total(&east.reads_ok), total(&east.stale_reads)), (1, 0));
    assert_eq!((total(&west.reads_ok), total(&west.stale_reads)), (3, 2));
    assert_eq!(summary(&r.staleness), (2, Some(ns(450)), Some(ns(1050))));
    assert_eq!(summary(&r.replication_lag), (1, Some(ns(2030)), Some(ns(2030))));
}

/// A re-pin moves the writes of the users homed in a Region to another Region from then on.
///
/// East clients (1 ms from EAST, 30 ms from WEST), pinning on; metrics every 100 ms over 1 s; link
/// 10 ms, no replication delay. Re-pin EAST -> WEST at 500 ms.
/// - t=100 and t=200 user 1 writes k1 and k2: to EAST, acked at 102 and 202 (buckets 1 and 2).
/// - t=600 and t=700 it writes k3 and k4: to WEST (reached at 630 and 730), acked at 660 and 760
///   (buckets 6 and 7), latency 60 ms.
/// - t=800 it reads k4: reads follow the router, to EAST (served at 801), where k4 arrived at 740:
///   fresh.
#[test]
fn repin_moves_the_writes_of_users_homed_in_a_region() {
    let trace = vec![write(100, 1, K1), write(200, 1, K2), write(600, 1, K3), write(700, 1, K4), read(800, 1, K4)];
    let mut users = population("east", EAST, 1, 30, trace);
    users.pinning = true;
    let mut config = world(10, 0, vec![users]);
    config.duration = SimDuration::from_secs(1);
    config.metrics_interval = d(100);
    config.actions.push(ActionConfig {
        trigger: Trigger::At(ms(500)),
        reaction_time: SimDuration::ZERO,
        kind: ActionKind::Repin { from: EAST, to: WEST },
    });
    let r = go(&config).recorder;

    let outcome = Ok("writes of users homed in us-east-1 go to us-west-2".to_string());
    assert_eq!(r.actions, vec![ActionRecord { at: ms(500), action: 0, outcome }]);
    assert_eq!(counts(&r.regions[EAST.index()].writes_acked), vec![0, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(counts(&r.regions[WEST.index()].writes_acked), vec![0, 0, 0, 0, 0, 0, 1, 1, 0, 0]);
    assert_eq!(summary(&r.write_latency), (4, Some(ns(2)), Some(ns(60))));
    assert_eq!((total(&r.regions[EAST.index()].reads_ok), r.stale_reads), (1, 0));
}

/// A scale-out is a control-plane call: refused while the Region's control plane is out, accepted
/// otherwise, and its servers join after the provisioning delay.
///
/// EAST's app tier has 1 server; metrics every 100 ms over a 2 s fault phase (samples at 0..=1900,
/// the last event of the run). EAST's control plane is out from 50 to 450 ms.
/// - t=100 scale out EAST by 2 servers, 1 s to provision: refused.
/// - t=600 the same: accepted, ready at 1600. Servers: 1 until 1600, then 3.
/// - The control plane reads 0 at the samples of 100..=400 ms.
#[test]
fn scale_out_is_refused_during_a_control_plane_outage_and_accepted_after() {
    let mut config = world(10, 0, vec![]);
    config.metrics_interval = d(100);
    config.app_tiers[EAST.index()] =
        Some(AppTierConfig { servers: 1, queue_limit: 10, service_time: Dist::Constant(ns(10) as f64) });
    config.faults.push(fault(FaultKind::ControlPlaneOutage { region: EAST }, 50, Some(450)));
    let scale_out = ActionKind::ScaleOut { region: EAST, servers: 2, provisioning_delay: SimDuration::from_secs(1) };
    config.actions.push(ActionConfig {
        trigger: Trigger::At(ms(100)),
        reaction_time: SimDuration::ZERO,
        kind: scale_out.clone(),
    });
    config.actions.push(ActionConfig {
        trigger: Trigger::At(ms(600)),
        reaction_time: SimDuration::ZERO,
        kind: scale_out,
    });
    let out = go(&config);
    let r = &out.recorder;

    assert_eq!(out.stats.end_time, ms(1900));
    let refused = Err("scale-out refused: the control plane is unavailable".to_string());
    let accepted = Ok(format!("2 servers ready at {}", ms(1600)));
    assert_eq!(
        r.actions,
        vec![
            ActionRecord { at: ms(100), action: 0, outcome: refused },
            ActionRecord { at: ms(600), action: 1, outcome: accepted }
        ]
    );
    let tier = r.app_tiers[EAST.index()].as_ref().expect("EAST has an app tier");
    let servers: Vec<(u64, u128)> = tier.servers.iter().map(|b| (b.level_max, b.level_nanos)).collect();
    let expected: Vec<(u64, u128)> =
        (0..19).map(|i| if i < 16 { (1, u128::from(ns(100))) } else { (3, 3 * u128::from(ns(100))) }).collect();
    assert_eq!(servers, expected);
    let control_plane: Vec<u64> = (0..20).map(|i| u64::from(!(1..=4).contains(&i))).collect();
    assert_eq!(counts(&r.regions[EAST.index()].control_plane_up), control_plane);
}

/// An app tier of one server and a queue of one, three writes at the same instant: one is served,
/// one waits, one is shed (503, a failure; with one attempt the operation fails).
///
/// Service 10 ms, clients 1 ms away, metrics every 100 ms.
/// - t=0 users 1, 2, 3 write k1, k2, k3; all reach EAST at 1. The first is served 1..11 (acked at
///   12), the second waits 1..11 and is served 11..21 (acked at 22), the third is shed: the 503
///   arrives at 2.
/// - Queue length 1 for 10 ms (1..11); servers busy 1 for 20 ms (1..21).
#[test]
fn app_tier_serves_queues_and_sheds_simultaneous_writes() {
    let trace = vec![write(0, 1, K1), write(0, 2, K2), write(0, 3, K3)];
    let mut config = world(10, 0, vec![population("east", EAST, 1, 1, trace)]);
    config.duration = SimDuration::from_secs(1);
    config.metrics_interval = d(100);
    config.app_tiers[EAST.index()] =
        Some(AppTierConfig { servers: 1, queue_limit: 1, service_time: Dist::Constant(ns(10) as f64) });
    let r = go(&config).recorder;

    assert_eq!((r.operations_succeeded, r.operations_failed, r.retries), (2, 1, 0));
    assert_eq!((r.writes_acked, r.failed), (2, 1));
    assert_eq!(summary(&r.write_latency), (2, Some(ns(12)), Some(ns(22))));
    let tier = r.app_tiers[EAST.index()].as_ref().expect("EAST has an app tier");
    assert_eq!(tier.shed_total, 1);
    assert_eq!(total(&tier.shed), 1);
    assert_eq!(tier.shed.get(0), Some(1));
    assert_eq!(tier.abandoned_total, 0);
    let first = |g: &sim_core::GaugeSeries| g.get(0).map(|b| (b.level_max, b.level_nanos));
    assert_eq!(first(&tier.queue_length), Some((1, u128::from(ns(10)))));
    assert_eq!(first(&tier.servers_busy), Some((1, u128::from(ns(20)))));
    assert!(r.app_tiers[WEST.index()].is_none());
}

/// attribute_not_exists: succeeds on a new key, fails (and is not retried) when the key exists in the
/// replica, succeeds again after a delete.
///
/// East clients 1 ms away, three attempts allowed; user 1 on k1.
/// - t=0 conditional write: k1 is new, applied at 1 (w1), acked at 2.
/// - t=10 conditional write: k1 exists; ConditionalCheckFailed answered at 12; not retried; the
///   operation fails.
/// - t=20 delete: applied at 21 (w2, a tombstone), acked at 22.
/// - t=30 conditional write: k1 no longer exists; applied at 31 (w3), acked at 32.
///
/// Every write reaches WEST 10 ms after it is applied, in order: nothing lost.
#[test]
fn conditional_write_fails_on_an_existing_key_and_succeeds_after_a_delete() {
    let cond = |t| op(t, 1, OperationKind::ConditionalWrite, S0, K1);
    let trace = vec![cond(0), cond(10), op(20, 1, OperationKind::Delete, S0, K1), cond(30)];
    let mut east = population("east", EAST, 1, 1, trace);
    east.retry.max_attempts = 3;
    let r = go(&world(10, 0, vec![east])).recorder;

    assert_eq!(r.conditional_check_failed, 1);
    assert_eq!((r.requests, r.retries, r.failed), (4, 0, 0));
    assert_eq!((r.writes_acked, r.operations_succeeded, r.operations_failed), (3, 3, 1));
    assert_eq!(r.replication_lag.count(), 3);
    assert!(r.lost.is_empty());
    assert_eq!(r.divergent_keys, 0);
}

/// In MREC the condition is checked in the replica that takes the write only: two Regions can both
/// create the same item, and last-writer-wins loses one.
///
/// Link 10 ms, replication delay 100 ms, clients 1 ms away.
/// - t=0 east conditionally writes k2: new in EAST, applied at 1 (w1, stamp 1 ms), acked at 2.
/// - t=5 west conditionally writes k2: new in WEST, applied at 6 (w2, stamp 6 ms), acked at 7.
/// - 111: w1 reaches WEST and loses (1 < 6). 116: w2 reaches EAST and wins; EAST drops w1, which
///   nothing else holds (w2 replaced it as the newest acknowledged write at 7): lost at 116.
#[test]
fn conditional_write_is_checked_in_the_local_replica_only() {
    let cond = |t| op(t, 1, OperationKind::ConditionalWrite, S0, K2);
    let config = world(
        10,
        100,
        vec![population("east", EAST, 1, 1, vec![cond(0)]), population("west", WEST, 1, 1, vec![cond(5)])],
    );
    let run = go(&config);
    let r = run.recorder;

    assert_eq!((r.conditional_check_failed, r.writes_acked), (0, 2));
    // The replicas drop w1 by 116 ms, and it is lost then: its session still remembers it as its
    // last write, but a session pins what it remembers and holds nothing.
    let lost = LostWrite {
        write: WriteId(1),
        store: S0,
        key: K2,
        region: EAST,
        acked_at: ms(2),
        lost_at: ms(116),
        cause: LossCause::LastWriterWins,
    };
    assert_eq!(r.lost, vec![lost]);
}

/// A Region that goes down for good takes with it the writes it acknowledged and had not shipped.
///
/// Link 10 ms, replication delay 20 ms, east clients 1 ms away with a 100 ms timeout; metrics every
/// 1 s (one sample, at 0). EAST goes down at 50 ms and never returns.
/// - t=0 east writes k1: applied at 1 (w1), acked at 2, shipped at 21, applied in WEST at 31: safe.
/// - t=40 east writes k2: applied at 41 (w2), acked at 42; at 61 EAST is dark and cannot ship it.
/// - t=60 east writes k3: EAST does not answer; the client times out at 160, the run's last event.
/// - At the end, w2 exists only in EAST: lost, cause RegionNeverReturned, at 160.
#[test]
fn permanent_region_outage_loses_the_writes_it_never_shipped() {
    let mut east = population("east", EAST, 1, 1, vec![write(0, 1, K1), write(40, 1, K2), write(60, 1, K3)]);
    east.timeout = d(100);
    let mut config = world(10, 20, vec![east]);
    config.duration = SimDuration::from_secs(1);
    config.faults.push(fault(
        FaultKind::RegionOutage { region: EAST, scope: OutageScope::Region, probes: ProbeAnswer::TimeOut },
        50,
        None,
    ));
    let out = go(&config);
    let r = &out.recorder;

    assert_eq!(out.stats.end_time, ms(160));
    assert_eq!(r.faults, vec![FaultWindow { fault: 0, started: ms(50), healed: None }]);
    assert_eq!((r.writes_acked, r.failed), (2, 1));
    let lost = LostWrite {
        write: WriteId(2),
        store: S0,
        key: K2,
        region: EAST,
        acked_at: ms(42),
        lost_at: ms(160),
        cause: LossCause::RegionNeverReturned,
    };
    assert_eq!(r.lost, vec![lost]);
    assert_eq!(r.lost_by(LossCause::LastWriterWins), 0);
    assert_eq!(summary(&r.replication_lag), (1, Some(ns(30)), Some(ns(30))));
    assert_eq!(r.divergent_keys, 0);
}

/// A conditional write whose first attempt was applied but answered too late, retried with the same
/// idempotency key.
///
/// The world of `retry_world`, with op 2 a conditional write of k2. Its first attempt creates k2 as
/// w2 at 21 (the client gave up at 18); the retry reaches the server at 21 and is served at 31, when
/// k2 exists.
/// - With idempotency the store recognises the key it already applied and answers "done as w2": the
///   operation succeeds (acked at 32), no condition failure.
/// - Without, the condition is all the store checks: ConditionalCheckFailed, final; the user is told
///   the write failed although w2, its own write, was applied (and is not a duplicate).
// BUG (fixed in models/src/world/requests.rs, `World::serve`): the condition was checked before the
// idempotency record, so even with idempotency on, the retry failed with ConditionalCheckFailed.
#[test]
fn retried_conditional_write_is_recognised_by_its_idempotency_key() {
    let run_with = |idempotency| {
        let mut config = retry_world(idempotency);
        let Arrivals::Trace(trace) = &mut config.populations[0].arrivals else { unreachable!() };
        trace[1].kind = OperationKind::ConditionalWrite;
        go(&config).recorder
    };
    let r = run_with(true);
    assert_eq!((r.operations_succeeded, r.operations_failed), (2, 0));
    assert_eq!((r.conditional_check_failed, r.duplicate_writes, r.writes_acked), (0, 0, 2));
    assert_eq!(summary(&r.operation_latency), (2, Some(ns(12)), Some(ns(32))));
    assert!(r.lost.is_empty());

    let r = run_with(false);
    assert_eq!((r.operations_succeeded, r.operations_failed), (1, 1));
    assert_eq!((r.conditional_check_failed, r.duplicate_writes, r.writes_acked), (1, 0, 1));
    assert_eq!(r.replication_lag.count(), 2, "w1 and w2 exist, nothing more");
    assert!(r.lost.is_empty(), "w2 was never acknowledged");
}

/// A replica that is down does not send copies again: the resend waits until it is back.
///
/// Link 10 ms, replication delay 5 ms, retry 100 ms, clients 1 ms away. A dropping partition cuts
/// EAST from WEST from 0 to 500 ms; EAST is dark (whole-Region outage) from 300 to 800 ms.
/// - t=0 east writes k1: w1 applied at 1, acked at 2, shipped at 6.
/// - The copy reaches WEST at 16: lost (1), into the backlog, which waits while the link is cut. The
///   partition heals at 500, but EAST is dark: the backlog waits on.
/// - 800: EAST is back and sends the copy again; WEST applies w1 at 810 (lag 809 ms).
/// - West reads k1 at 700 (stale by 698 ms), at 805 (stale by 803 ms) and at 811 (fresh).
// BUG (fixed in models/src/world/replication.rs): `ReplicationRetried` sent the copy again whatever
// the state of the sender, so a dark Region kept resending (copies lost at 346 and 456 too) and
// delivered w1 at 566, in the middle of its own outage.
#[test]
fn a_dark_region_does_not_resend_lost_copies_until_it_is_back() {
    let mut config = world(
        10,
        5,
        vec![
            population("east", EAST, 1, 1, vec![write(0, 1, K1)]),
            population("west", WEST, 1, 1, vec![read(700, 1, K1), read(805, 1, K1), read(811, 1, K1)]),
        ],
    );
    let partition =
        FaultKind::Partition { side_a: vec![EAST], side_b: vec![WEST], one_way: false, mode: PartitionMode::Drop };
    config.faults.push(fault(partition, 0, Some(500)));
    config.faults.push(fault(
        FaultKind::RegionOutage { region: EAST, scope: OutageScope::Region, probes: ProbeAnswer::TimeOut },
        300,
        Some(800),
    ));
    let r = go(&config).recorder;

    assert_eq!(r.replication_messages_lost, 1);
    assert_eq!(summary(&r.replication_lag), (1, Some(ns(809)), Some(ns(809))));
    assert_eq!((r.reads_ok, r.stale_reads), (3, 2));
    assert_eq!(summary(&r.staleness), (2, Some(ns(698)), Some(ns(803))));
    assert!(r.lost.is_empty());
}

/// Trace replay stops at the end of the fault phase, as every arrival process does: an entry at or
/// after it is not sent, the first entry of a trace included.
///
/// Fault phase 1 s. Population "a" has entries at 500 ms and 1500 ms; population "b" has one entry,
/// at 1000 ms. Only a's first entry is sent: 1 operation, 1 write.
// BUG (fixed in models/src/world/clients.rs, `schedule_first_operations`): the first entry of a trace
// was scheduled whatever its time, so b's write at 1000 ms was sent after the fault phase.
#[test]
fn trace_replay_stops_at_the_end_of_the_fault_phase() {
    let mut config = world(
        10,
        0,
        vec![
            population("a", EAST, 1, 1, vec![write(500, 1, K1), write(1500, 1, K2)]),
            population("b", WEST, 1, 1, vec![write(1000, 1, K3)]),
        ],
    );
    config.duration = SimDuration::from_secs(1);
    let r = go(&config).recorder;

    assert_eq!((r.operations, r.requests, r.writes_acked), (1, 1, 1));
    assert_eq!(total(&r.regions[WEST.index()].requests), 0);
}

/// Optimistic concurrency: an update that expects the version its session last read.
///
/// Link 10 ms, replication delay 0, clients 1 ms away; user 1 in EAST, user 2 in WEST, on k3.
/// - t=0 user 1 writes k3 (w1 at 1, acked at 2); it reaches WEST at 11.
/// - t=20 user 1 reads k3 in EAST: w1. t=20 user 2 reads k3 in WEST: w1.
/// - t=30 user 2 updates expecting w1: WEST holds w1: applied at 31 (w2), acked at 32; reaches EAST
///   at 41.
/// - t=50 user 1 updates expecting w1: EAST now holds w2: ConditionalCheckFailed, not retried.
/// - t=60 user 1 reads (w2) and t=70 updates expecting w2: applied (w3).
/// - t=80 user 3 (never read k3) updates: k3 exists, so the expectation "no item" fails.
#[test]
fn conditional_update_expects_the_version_its_session_last_read() {
    let update = |t, user| op(t, user, OperationKind::ConditionalUpdate, S0, K3);
    let east_trace =
        vec![write(0, 1, K3), read(20, 1, K3), update(50, 1), read(60, 1, K3), update(70, 1), update(80, 3)];
    let west_trace = vec![read(20, 2, K3), update(30, 2)];
    let config =
        world(10, 0, vec![population("east", EAST, 1, 1, east_trace), population("west", WEST, 1, 1, west_trace)]);
    let r = go(&config).recorder;

    assert_eq!(r.conditional_check_failed, 2, "user 1 at 50 (k3 moved on to w2) and user 3 at 80 (k3 exists)");
    assert_eq!(r.writes_acked, 3, "w1, user 2's update w2, user 1's update w3");
    assert_eq!((r.operations_succeeded, r.operations_failed), (6, 2));
    assert!(r.lost.is_empty(), "every acknowledged write is an ancestor of w3");
    assert_eq!(r.divergent_keys, 0);
}

/// S3 versions are ordered by creation time from the bucket Region's clock, so a skewed clock wins
/// what it should lose, as in MREC.
///
/// Buckets in EAST and WEST replicate to each other with a 1 s pipeline; clients 1 ms away.
/// - t=0 east uploads k1 (v1): created at east's clock, 0 ms, or 1000 ms with EAST 1 s ahead.
/// - t=500 west uploads k1 (v2): created at 500 ms. Neither has seen the other (1 s pipeline).
/// - t=5000 a west client reads k1. The newest upload acknowledged before it is v2 (acked at 502).
///   Without skew v2 (500) is later than v1 (0) and current everywhere: fresh. With skew v1 (1000)
///   is current everywhere and v2 is shadowed behind it: the read is stale.
#[test]
fn s3_creation_times_follow_the_skewed_clock() {
    let s3 = models::stores::s3::S3Config {
        buckets: vec![EAST, WEST],
        rules: vec![
            models::stores::s3::Rule { from: EAST, to: WEST },
            models::stores::s3::Rule { from: WEST, to: EAST },
        ],
        rtc: true,
        replication_lag: Some(Dist::Constant(1e9)),
        commit_latency: Dist::Constant(0.0),
        delete_marker_replication: true,
        existing_objects: 0,
    };
    let stale = |skewed: bool| {
        let east = population("east", EAST, 1, 1, vec![write(0, 1, K1)]);
        let west = population("west", WEST, 1, 1, vec![write(500, 2, K1), read(5000, 3, K1)]);
        let mut config = world(10, 0, vec![east, west]);
        config.duration = SimDuration::from_secs(10);
        config.stores[0].kind = StoreKind::S3Replication(s3.clone());
        if skewed {
            config.faults.push(fault(
                FaultKind::ClockSkew { region: EAST, offset_nanos: 1_000_000_000, drift_ppm: 0.0 },
                0,
                Some(9000),
            ));
        }
        let r = go(&config).recorder;
        assert_eq!((r.writes_acked, r.reads_ok), (2, 1));
        assert!(r.lost.is_empty(), "S3 keeps every version");
        assert_eq!(r.shadowed, 1, "one of the two concurrent uploads is hidden behind the other");
        r.stale_reads
    };
    assert_eq!(stale(false), 0, "the truly later upload wins");
    assert_eq!(stale(true), 1, "east's clock, 1 s ahead, makes its earlier upload win");
}
