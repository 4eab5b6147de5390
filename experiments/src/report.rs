//! The files and the terminal summary a run produces, rendered from the models' `Recorder`.
//!
//! Everything here is a pure function of the run's results: no wall clock, no paths, no
//! environment, so the same run renders the same bytes. Numbers are written in units named in the
//! field (`_ms`, `_s`); floats are printed by serde_json and csv, both shortest-round-trip and
//! therefore deterministic.

use models::checker::LossCause;
use models::config::{FaultKind, OutageScope, PartitionMode, Trigger};
use models::ids::{RegionId, StoreId};
use models::routing::config::Entry;
use models::run::RunOutput;
use schemars::JsonSchema;
use serde::Serialize;
use sim_core::{Histogram, SimTime};

use crate::count;
use crate::plot::{Band, Figure, Line, Panel};
use crate::scenario::Scenario;

/// `summary.json`.
#[derive(Serialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct Summary {
    /// The scenario's name.
    pub scenario: String,
    /// The run's seed, in hex.
    pub seed: String,
    /// What validation let through but a reader should know, as `PATH: MESSAGE` (a fault cut by
    /// the end of the fault phase); left out of the file when there is none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The simulated time and the events fired.
    pub simulated: Simulated,
    /// What users saw: operations that succeeded (after any retries) or failed for good.
    pub operations: Operations,
    /// Every attempt sent to a Region, retries included.
    pub attempts: Requests,
    /// Writes acknowledged to clients, and what became of them (lost writes by cause, conflicts).
    pub writes: Writes,
    /// Reads that succeeded, and what they saw.
    pub reads: Reads,
    /// Per-attempt latency of successful reads and writes, in milliseconds.
    pub latency_ms: LatencyMs,
    /// Time from a write's commit to its arrival at each other replica, every store, in milliseconds.
    pub replication_lag_ms: Percentiles,
    /// Replication messages lost to partitions (drop mode) and lossy links, and sent again.
    pub replication_messages_lost: u64,
    /// The most replication messages held or in flight at once (in the network, in the links'
    /// backlogs, in the quorum channels' catch-up entries, waiting for a heal), at any metrics
    /// sample of the fault phase: what an outage costs in memory.
    pub replication_messages_pending_max: u64,
    /// Keys whose replicas had not converged at the end of the drain phase, every store.
    pub divergent_keys: u64,
    /// The most versions the consistency checker held at once: its memory grows with writes in flight, not
    /// with the run.
    pub checker_live_versions_max: u64,
    /// Attempts a store refused, by the service's name for the refusal.
    pub rejections: std::collections::BTreeMap<String, u64>,
    /// Each store's own numbers.
    pub stores: Vec<StoreRow>,
    /// Requests that write several stores, not atomically.
    pub cross_store: CrossStoreRow,
    /// Aurora switchovers and failovers: write unavailability (RTO) and data lost (RPO).
    pub transitions: Vec<TransitionRow>,
    /// Each modelled app tier (by Region).
    pub app_tiers: Vec<AppTierRow>,
    /// Each fault, scheduled or generated, in start order.
    pub faults: Vec<FaultRow>,
    /// Each runbook action, as carried out.
    pub actions: Vec<ActionRow>,
    /// The routing tier's own counts.
    pub routing: RoutingRow,
    /// What the design costs in money and what its failures cost, with the scenario's `[cost]`;
    /// left out of the file without one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<crate::pricing::bill::CostRow>,
}

/// The routing tier's own counts.
#[derive(Serialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct RoutingRow {
    /// Answers Route 53 or the accelerator gave as if every endpoint were healthy.
    pub fail_open_answers: u64,
    /// GETs CloudFront sent to the secondary origin.
    pub origin_failovers: u64,
    /// Health verdicts that flipped (health checks, load balancers, accelerator groups).
    pub health_flips: u64,
}

#[derive(Serialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct Operations {
    /// Operations clients began.
    pub started: u64,
    /// Operations that succeeded, after any retries.
    pub succeeded: u64,
    /// Operations that failed for good (attempts exhausted or not retryable).
    pub failed: u64,
    /// `failed` over the operations that ended (0 with none).
    pub error_rate: f64,
    /// Attempts sent again after a failed attempt.
    pub retries: u64,
    /// Retried writes applied twice (the store did not enforce idempotency keys).
    pub duplicate_writes: u64,
    /// Conditional writes the store refused because the condition did not hold.
    pub conditional_check_failed: u64,
    /// From the first attempt to the successful answer, retries included.
    pub latency_ms: Percentiles,
}

#[derive(Serialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct CrossStoreRow {
    /// Requests that write several stores.
    pub requests: u64,
    /// Of those, requests whose every step succeeded.
    pub completed: u64,
    /// A step failed for good after earlier steps had written.
    pub partial_updates: u64,
    /// Partial updates the scenario's retry or compensation repaired.
    pub repaired: u64,
    /// Partial updates left unrepaired at the end of the run.
    pub unrepaired: u64,
    /// Completed requests one of whose writes was lost later (LWW, failover, a Region gone).
    pub partial_by_loss: u64,
}

#[derive(Serialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct StoreRow {
    /// The store's name.
    pub name: String,
    /// The store's kind, with DynamoDB's consistency mode.
    #[serde(rename = "type")]
    pub store_type: String,
    /// Writes the store acknowledged to clients.
    pub writes_acknowledged: u64,
    /// Acknowledged writes lost to a last-writer-wins conflict: neither the final version of their key nor an
    /// ancestor of it.
    pub lost_last_writer_wins: u64,
    /// Acknowledged writes lost to a failover: not yet replicated when a secondary was promoted, or taken in
    /// the fence gap.
    pub lost_failover: u64,
    /// Acknowledged writes lost with a Region that never came back.
    pub lost_region_never_returned: u64,
    /// Reads the store answered.
    pub reads: u64,
    /// Reads that returned neither the newest write acknowledged before the read began nor a descendant of
    /// it.
    pub stale_reads: u64,
    /// Reads stale by the store's own order (see `reads.stale_by_store_order`); null for a store
    /// with no order of its own (judged causally only).
    pub stale_reads_by_store_order: Option<u64>,
    /// Attempts the store refused (no quorum, read only, writer unavailable, ...).
    pub rejected: u64,
    /// Of `rejected`: MRSC's ReplicatedWriteConflictException (the item was being written in
    /// another Region). A refused write, never a conflicted one.
    pub rejected_conflict: u64,
    /// Attempts that failed at the store for another reason (timed out, Region down).
    pub failed: u64,
    /// Acknowledged writes that met a concurrent version (neither observed the other) at some
    /// replica, each counted once.
    pub conflicted: u64,
    /// `conflicted` over `writes_acknowledged` (0 with no write).
    pub conflict_rate: f64,
    /// S3 versions hidden behind a concurrent version: recoverable, not lost.
    pub shadowed: u64,
    /// Keys whose replicas had not converged at the end of the drain phase.
    pub divergent_keys: u64,
    /// Per population, windows from a failed write to its next acknowledged one (seconds).
    pub write_unavailability_s: UnavailabilityRow,
    /// RPO: acknowledged writes a failure threw away (a failover, a Region that never returned),
    /// and the time their acknowledgements span. Last-writer-wins losses are not RPO.
    pub rpo_writes: u64,
    /// The time the acknowledgements of `rpo_writes` span, in seconds.
    pub rpo_s: f64,
    /// Time from a write's commit to its arrival at each other replica, in milliseconds.
    pub replication_lag_ms: Percentiles,
}

#[derive(Serialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct UnavailabilityRow {
    /// Windows counted.
    pub windows: u64,
    /// The median window (null with none).
    pub p50: Option<f64>,
    /// The longest window (null with none).
    pub max: Option<f64>,
}

#[derive(Serialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct TransitionRow {
    /// The store.
    pub store: String,
    /// "switchover" or "failover".
    #[serde(rename = "type")]
    pub transition_type: String,
    /// The writer Region before.
    pub from: String,
    /// The writer Region after.
    pub to: String,
    /// When it started, in seconds of simulated time.
    pub started_s: f64,
    /// From the start to the first write the new writer accepted.
    pub rto_s: Option<f64>,
    /// Committed writes the new writer never received.
    pub rpo_writes: u64,
    /// The age of the oldest of them at promotion, in seconds (null with none).
    pub rpo_s: Option<f64>,
}

#[derive(Serialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct AppTierRow {
    /// The app tier's Region.
    pub region: String,
    /// Servers at the end of the run, scale-outs included.
    pub servers_end: u64,
    /// Mean share of servers busy over the run.
    pub utilisation_mean: f64,
    /// The highest share of servers busy over one metrics interval.
    pub utilisation_max_interval: f64,
    /// The longest queue, in requests.
    pub queue_length_max: u64,
    /// Requests refused because the queue was full.
    pub shed: u64,
    /// Requests whose client gave up (timed out) while they waited.
    pub abandoned: u64,
}

#[derive(Serialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct ActionRow {
    /// The action's type.
    #[serde(rename = "type")]
    pub action_type: String,
    /// When it was carried out, in seconds of simulated time.
    pub at_s: f64,
    /// Whether it took effect (true as 1 in a dotted path).
    pub succeeded: bool,
    /// What it did, or why it failed, in words.
    pub detail: String,
}

#[derive(Serialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct Simulated {
    /// The fault phase, in seconds: clients send requests until then.
    pub fault_phase_s: f64,
    /// When the run ended, the drain phase included, in seconds.
    pub end_s: f64,
    /// Events fired.
    pub events: u64,
    /// A hash of every event fired, in order: equal for two runs that did the same.
    pub trace_hash: String,
}

#[derive(Serialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct Requests {
    /// Attempts sent, retries included.
    pub sent: u64,
    /// Attempts that succeeded.
    pub succeeded: u64,
    /// Attempts that failed (refused, timed out, shed, Region down).
    pub failed: u64,
    /// `failed` over `sent` (0 with none).
    pub error_rate: f64,
}

#[derive(Serialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct Writes {
    /// Writes acknowledged to their clients.
    pub acknowledged: u64,
    /// Acknowledged writes that met a concurrent version (neither observed the other) at some
    /// replica, each counted once. Discarded writes and writes lost to last-writer-wins are among
    /// them. It depends on the writes and the replicas only, never on the clients.
    pub conflicted: u64,
    /// `conflicted` over `acknowledged` (0 with no write).
    pub conflict_rate: f64,
    /// Attempts MRSC refused with ReplicatedWriteConflictException: refused, so never conflicted
    /// (an MRSC table never holds concurrent versions); counted apart.
    pub rejected_conflict: u64,
    /// Acknowledged writes some replica discarded for a concurrent last-writer-wins winner that
    /// never received them (the classic lost update); a lost write is one of these that no
    /// surviving write observed either.
    pub discarded_by_last_writer_wins: u64,
    /// Acknowledged writes an Aurora failover threw away (unshipped, or taken in the fence gap).
    pub lost_failover: u64,
    /// S3 versions hidden behind a concurrent version: recoverable, not lost.
    pub shadowed: u64,
    /// Acknowledged writes lost to a last-writer-wins conflict: neither the final version of their key nor an
    /// ancestor of it (no surviving write observed them).
    pub lost_last_writer_wins: u64,
    /// Acknowledged writes lost with a Region that never came back.
    pub lost_region_never_returned: u64,
}

#[derive(Serialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct Reads {
    /// Reads that succeeded.
    pub succeeded: u64,
    /// Reads that returned neither the newest write acknowledged before the read began nor a descendant of
    /// it.
    pub stale: u64,
    /// Reads that missed the session's own newest acknowledged write in the same way.
    pub read_your_writes_violations: u64,
    /// Reads that returned an ancestor of a version the session had read before.
    pub monotonic_read_violations: u64,
    /// `stale` over `succeeded` (0 with none).
    pub stale_fraction: f64,
    /// Reads stale by their store's own order, counted beside `stale` and never instead of it:
    /// the read returned a version older, by the store's rule for which version wins, than a write
    /// acknowledged before the read began. For last-writer-wins (DynamoDB MREC) that rule is the
    /// timestamp, so a read can be fresh by what it observed yet stale by the timestamps (a clock
    /// that runs ahead), or the reverse. Only stores with an order of their own count here (today
    /// DynamoDB MREC; the others' rows give null).
    pub stale_by_store_order: u64,
    /// For each stale read, how long before it the write it missed was acknowledged, in milliseconds.
    pub staleness_ms: Percentiles,
}

#[derive(Serialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct LatencyMs {
    /// Latency of successful read attempts, in milliseconds.
    pub read: Percentiles,
    /// Latency of successful write attempts, in milliseconds.
    pub write: Percentiles,
}

/// Percentiles of a histogram in milliseconds; `null` when nothing was recorded.
#[derive(Serialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct Percentiles {
    /// Values recorded.
    pub count: u64,
    /// The median (null with none).
    pub p50: Option<f64>,
    /// The 99th percentile (null with none).
    pub p99: Option<f64>,
    /// The largest (null with none).
    pub max: Option<f64>,
}

impl Percentiles {
    fn of(h: &Histogram) -> Self {
        let ms = |q: f64| h.quantile(q).map(nanos_to_ms);
        Percentiles { count: h.count(), p50: ms(0.5), p99: ms(0.99), max: h.max().map(nanos_to_ms) }
    }
}

#[derive(Serialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct FaultRow {
    /// The fault's type.
    #[serde(rename = "type")]
    pub fault_type: String,
    /// What it struck, in words: "us-east-1", "us-east-1 app tier", "us-east-1 -> us-west-2", ...
    pub target: String,
    /// When it started, in seconds of simulated time.
    pub started_s: f64,
    /// When the fault ended in the run: its end, or the end of the fault phase when that came first.
    pub healed_s: Option<f64>,
    /// The end the scenario gave a fault that the end of the fault phase cut short (the fault then
    /// ended at `healed_s`, with the phase); left out of the file for every other fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduled_end_s: Option<f64>,
    /// How the routing tier and the clients got through it.
    pub failover: FailoverRow,
    /// Each modelled app tier while the fault lasted: did the Regions that took the traffic queue
    /// and shed? Left out of the file when no Region models an app tier.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub app_tiers: Vec<FaultAppTierRow>,
}

/// One Region's app tier over the metrics intervals a fault overlaps, from its start to its heal
/// (or to the end of the fault phase when it never heals).
#[derive(Serialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct FaultAppTierRow {
    /// The app tier's Region.
    pub region: String,
    /// Mean share of servers busy over those intervals.
    pub utilisation_mean: f64,
    /// The highest share of servers busy over one of those intervals.
    pub utilisation_max_interval: f64,
    /// The longest queue, in requests.
    pub queue_length_max: u64,
    /// Requests refused because the queue was full.
    pub shed: u64,
    /// Requests whose client gave up while they waited.
    pub abandoned: u64,
}

/// A fault's failover timing (models::timing). Times in seconds; `None`: it did not happen while
/// the fault lasted (never detected, never converged), or, in a scenario without a routing tier
/// (every population static), does not apply: nothing routes, so nothing detects or converges, and
/// the transition is then the whole fault.
#[derive(Serialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct FailoverRow {
    /// Some population reaches the Regions through a routing tier (Route 53, Global Accelerator,
    /// CloudFront); false when every population is static. Not in the file: there the timings
    /// are `null`.
    #[serde(skip)]
    pub routing_tier: bool,
    /// Fault start to the routing tier counting the struck Region unhealthy.
    pub detection_s: Option<f64>,
    /// Fault start until 99% of new requests land elsewhere (and stay so while the fault lasts).
    pub routing_convergence_s: Option<f64>,
    /// Heal to the routing tier counting the Region healthy again.
    pub recovery_s: Option<f64>,
    /// Attempts sent from the fault's start to convergence (or to its end).
    pub transition_attempts: u64,
    /// The share of those attempts that failed.
    pub transition_error_rate: f64,
    /// Per user, first failed operation to the next successful one, for outages that began
    /// during the fault; `unrecovered`: users still failing when the run ended.
    pub client_outage_s: OutageSeconds,
    /// The same for each population (by name), every population of the scenario: users behind
    /// different routes (DNS, an overloaded Region, an accelerator) see different outages, which
    /// the pooled figures mix.
    pub client_outage_s_by_population: Vec<PopulationOutageRow>,
}

/// One population's client-visible outages over a fault.
#[derive(Serialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct PopulationOutageRow {
    /// The population's name.
    pub name: String,
    /// Per user of this population, first failed operation to the next successful one, for
    /// outages that began during the fault.
    #[serde(flatten)]
    pub outage_s: OutageSeconds,
}

#[derive(Serialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct OutageSeconds {
    /// Users whose outage began during the fault, the unrecovered among them (the percentiles
    /// are of the others' outages, which ended).
    pub clients: u64,
    /// The median outage, in seconds (null with none).
    pub p50: Option<f64>,
    /// The 99th percentile, in seconds (null with none).
    pub p99: Option<f64>,
    /// The longest, in seconds (null with none).
    pub max: Option<f64>,
    /// Users still failing when the run ended.
    pub unrecovered: u64,
}

/// The Region a fault takes out of service, where routing should move away from.
fn struck_region(kind: &FaultKind) -> Option<RegionId> {
    match kind {
        FaultKind::RegionOutage { region, .. } => Some(*region),
        _ => None,
    }
}

/// Whether some population reaches the Regions through a routing tier rather than statically.
pub fn has_routing_tier(scenario: &Scenario) -> bool {
    scenario.world.populations.iter().any(|p| p.routing.entry != Entry::Static || p.routing.reads_via_cloudfront)
}

fn failover_row(
    run: &RunOutput,
    w: &models::report::FaultWindow,
    phase_end: SimTime,
    routing_tier: bool,
    populations: &[String],
) -> FailoverRow {
    // Without a routing tier nothing moves traffic away from the struck Region: timing it as a
    // Region's failover would call "converged at 0 s" a Region no population is homed in. Timed
    // like a fault without a Region instead: no detection or convergence, the transition the
    // whole fault.
    let region = struck_region(&run.faults[w.fault].kind).filter(|_| routing_tier);
    let t = models::timing::failover_timing(&run.recorder, w, region, phase_end);
    let s = |d: sim_core::SimDuration| (d.as_nanos() / 1_000_000) as f64 / 1_000.0;
    let seconds = |h: &sim_core::Histogram, unrecovered: u64| {
        let q = |p: f64| h.quantile(p).map(|n| s(sim_core::SimDuration::from_nanos(n)));
        // Every user whose outage began during the fault: those it ended for (the percentiles) and
        // those still failing at the end of the run.
        OutageSeconds {
            clients: h.count() + unrecovered,
            p50: q(0.5),
            p99: q(0.99),
            max: h.max().map(|n| s(sim_core::SimDuration::from_nanos(n))),
            unrecovered,
        }
    };
    let none = models::timing::PopulationOutage::default();
    let by_population = populations
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let o = t.by_population.get(&(i as u16)).unwrap_or(&none);
            PopulationOutageRow { name: name.clone(), outage_s: seconds(&o.outage, o.unrecovered) }
        })
        .collect();
    FailoverRow {
        routing_tier,
        detection_s: t.detection.map(s),
        routing_convergence_s: t.routing_convergence.map(s),
        recovery_s: t.recovery.map(s),
        transition_attempts: t.transition_requests,
        transition_error_rate: t.transition_error_rate(),
        client_outage_s: seconds(&t.client_outage, t.clients_unrecovered),
        client_outage_s_by_population: by_population,
    }
}

/// Every modelled app tier over the intervals the fault `w` overlaps.
fn fault_app_tier_rows(
    scenario: &Scenario,
    r: &models::report::Recorder,
    w: &models::report::FaultWindow,
    phase_end: SimTime,
) -> Vec<FaultAppTierRow> {
    let interval = r.interval.as_nanos().max(1);
    let end = w.healed.unwrap_or(phase_end).max(w.started);
    let buckets = (w.started.as_nanos() / interval) as usize..end.as_nanos().div_ceil(interval) as usize;
    scenario
        .world
        .topology
        .regions()
        .filter_map(|region| {
            let t = r.app_tiers.get(region.index())?.as_ref()?;
            Some(app_tier_load(scenario.world.topology.name(region).to_string(), t, buckets.clone()))
        })
        .collect()
}

/// One app tier's load over the metrics intervals `buckets` (indices into its series).
pub fn app_tier_load(
    region: String,
    t: &models::report::AppTierSeries,
    buckets: std::ops::Range<usize>,
) -> FaultAppTierRow {
    let (mut busy_area, mut server_area, mut max_interval) = (0u128, 0u128, 0.0f64);
    let (mut queue_length_max, mut shed, mut abandoned) = (0, 0, 0);
    for i in buckets {
        if let (Some(busy), Some(servers)) = (t.servers_busy.get(i), t.servers.get(i)) {
            busy_area += busy.level_nanos;
            server_area += servers.level_nanos;
            if servers.level_nanos > 0 {
                max_interval = max_interval.max(busy.level_nanos as f64 / servers.level_nanos as f64);
            }
        }
        queue_length_max = queue_length_max.max(t.queue_length.get(i).map_or(0, |b| b.level_max));
        shed += t.shed.get(i).unwrap_or(0);
        abandoned += t.abandoned.get(i).unwrap_or(0);
    }
    FaultAppTierRow {
        region,
        utilisation_mean: if server_area == 0 { 0.0 } else { busy_area as f64 / server_area as f64 },
        utilisation_max_interval: max_interval,
        queue_length_max,
        shed,
        abandoned,
    }
}

/// A fault's target in words, for reports and figure legends.
pub fn describe_fault(kind: &FaultKind, scenario: &Scenario) -> String {
    let region = |r: RegionId| scenario.world.topology.name(r).to_string();
    let store = |s: StoreId| scenario.world.stores[s.index()].name.clone();
    let group = |g: &[RegionId]| g.iter().map(|&r| region(r)).collect::<Vec<_>>().join("+");
    match kind {
        FaultKind::RegionOutage { region: r, scope, .. } => match scope {
            OutageScope::Region => region(*r),
            OutageScope::AppTier => format!("{} app tier", region(*r)),
            OutageScope::Store(s) => format!("{} store {}", region(*r), store(*s)),
            OutageScope::HealthEndpoint => format!("{} health endpoint", region(*r)),
            OutageScope::RequestsOnly => format!("{} requests (health passes)", region(*r)),
        },
        FaultKind::Partition { side_a, side_b, one_way, mode } => format!(
            "{} {} {} ({})",
            group(side_a),
            if *one_way { "->" } else { "<->" },
            group(side_b),
            if *mode == PartitionMode::Drop { "drop" } else { "hold" }
        ),
        FaultKind::DegradedLink { from, to, symmetric, .. } => {
            format!("{} {} {}", region(*from), if *symmetric { "<->" } else { "->" }, region(*to))
        }
        FaultKind::ClockSkew { region: r, offset_nanos, drift_ppm } => {
            format!("{} clock {:+}ms, {drift_ppm}ppm", region(*r), *offset_nanos as f64 / 1e6)
        }
        FaultKind::ControlPlaneOutage { region: r } => format!("{} control plane", region(*r)),
        FaultKind::ReplicationImpairment { store: s, from, slowdown } => format!(
            "{} from {}: {}",
            store(*s),
            from.map_or("every Region".to_string(), region),
            slowdown.map_or("stalled".to_string(), |f| format!("{f}x slower"))
        ),
        FaultKind::HealthCheckFlapping { region: r, period } => format!("{} every {period}", region(*r)),
    }
}

/// Milliseconds with microsecond resolution: enough for latencies, and short in the files.
fn nanos_to_ms(nanos: u64) -> f64 {
    (nanos / 1_000) as f64 / 1_000.0
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 { 0.0 } else { part as f64 / whole as f64 }
}

pub fn summary(scenario: &Scenario, seed: sim_core::Seed, run: &RunOutput) -> Summary {
    let r = &run.recorder;
    let phase_end = SimTime::at(scenario.world.duration);
    let routing_tier = has_routing_tier(scenario);
    let populations: Vec<String> = scenario.world.populations.iter().map(|p| p.name.clone()).collect();
    let faults: Vec<FaultRow> = r
        .faults
        .iter()
        .map(|w| {
            let config = &run.faults[w.fault];
            let kind = &config.kind;
            FaultRow {
                fault_type: kind.type_name().to_string(),
                target: describe_fault(kind, scenario),
                started_s: w.started.as_secs_f64(),
                healed_s: w.healed.map(SimTime::as_secs_f64),
                scheduled_end_s: config.end.filter(|&end| end > phase_end).map(SimTime::as_secs_f64),
                failover: failover_row(run, w, phase_end, routing_tier, &populations),
                app_tiers: fault_app_tier_rows(scenario, r, w, phase_end),
            }
        })
        .collect();
    let succeeded = r.reads_ok + r.writes_acked + r.conditional_check_failed;
    let cost = scenario.pricing.as_ref().map(|pricing| {
        let outcome = crate::pricing::bill::Outcome {
            operations_started: r.operations,
            operations_succeeded: r.operations_succeeded,
            operations_failed: r.operations_failed,
            lost_writes: r.lost_by(LossCause::LastWriterWins)
                + r.lost_by(LossCause::Failover)
                + r.lost_by(LossCause::RegionNeverReturned),
            fault_outage_p50_s: faults.iter().map(|f: &FaultRow| f.failover.client_outage_s.p50).collect(),
        };
        crate::pricing::bill::bill(pricing, &scenario.world, &r.usage, &outcome)
    });
    Summary {
        scenario: scenario.name.clone(),
        seed: seed.to_string(),
        warnings: scenario.warnings.summary.clone(),
        simulated: Simulated {
            fault_phase_s: scenario.world.duration.as_secs_f64(),
            end_s: run.stats.end_time.as_secs_f64(),
            events: run.stats.events,
            trace_hash: format!("{:#018x}", run.stats.trace.hash),
        },
        operations: Operations {
            started: r.operations,
            succeeded: r.operations_succeeded,
            failed: r.operations_failed,
            error_rate: ratio(r.operations_failed, r.operations_succeeded + r.operations_failed),
            retries: r.retries,
            duplicate_writes: r.duplicate_writes,
            conditional_check_failed: r.conditional_check_failed,
            latency_ms: Percentiles::of(&r.operation_latency),
        },
        attempts: Requests { sent: r.requests, succeeded, failed: r.failed, error_rate: ratio(r.failed, r.requests) },
        writes: Writes {
            acknowledged: r.writes_acked,
            conflicted: r.conflicted,
            conflict_rate: ratio(r.conflicted, r.writes_acked),
            rejected_conflict: r.stores.iter().map(|st| st.rejected_conflict).sum(),
            discarded_by_last_writer_wins: r.discarded_by_last_writer_wins,
            lost_failover: r.lost_by(LossCause::Failover),
            shadowed: r.shadowed,
            lost_last_writer_wins: r.lost_by(LossCause::LastWriterWins),
            lost_region_never_returned: r.lost_by(LossCause::RegionNeverReturned),
        },
        reads: Reads {
            succeeded: r.reads_ok,
            stale: r.stale_reads,
            read_your_writes_violations: r.read_your_writes_violations,
            monotonic_read_violations: r.monotonic_read_violations,
            stale_fraction: ratio(r.stale_reads, r.reads_ok),
            stale_by_store_order: r.stale_reads_by_store_order,
            staleness_ms: Percentiles::of(&r.staleness),
        },
        latency_ms: LatencyMs { read: Percentiles::of(&r.read_latency), write: Percentiles::of(&r.write_latency) },
        replication_lag_ms: Percentiles::of(&r.replication_lag),
        replication_messages_lost: r.replication_messages_lost,
        replication_messages_pending_max: r.channel_messages_pending_peak,
        divergent_keys: r.divergent_keys,
        checker_live_versions_max: r.live_versions_max as u64,
        rejections: r.rejections.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        stores: store_rows(scenario, r),
        cross_store: CrossStoreRow {
            requests: r.cross_store.operations,
            completed: r.cross_store.completed,
            partial_updates: r.cross_store.partial_updates,
            repaired: r.cross_store.repaired,
            unrepaired: r.cross_store.unrepaired,
            partial_by_loss: r.cross_store.partial_by_loss,
        },
        transitions: r
            .transitions
            .iter()
            .map(|(store, t)| TransitionRow {
                store: scenario.world.stores[*store].name.clone(),
                transition_type: format!("{:?}", t.kind).to_lowercase(),
                from: scenario.world.topology.name(t.from).to_string(),
                to: scenario.world.topology.name(t.to).to_string(),
                started_s: t.started_at.as_secs_f64(),
                rto_s: t.rto().map(|d| d.as_secs_f64()),
                rpo_writes: t.lost_writes,
                rpo_s: t.rpo_time().map(|d| d.as_secs_f64()),
            })
            .collect(),
        app_tiers: app_tier_rows(scenario, r),
        faults,
        routing: RoutingRow {
            fail_open_answers: r.fail_open_answers,
            origin_failovers: r.origin_failovers,
            health_flips: r.routing_events.iter().filter(|e| e.kind == "health").count() as u64,
        },
        actions: r
            .actions
            .iter()
            .map(|a| ActionRow {
                action_type: scenario.world.actions[a.action].kind.type_name().into(),
                at_s: a.at.as_secs_f64(),
                succeeded: a.outcome.is_ok(),
                detail: with_trigger(scenario, a, a.outcome.clone().unwrap_or_else(|e| e)),
            })
            .collect(),
        cost,
    }
}

/// `detail`, followed for an action set off by an alarm or a condition (not by `at`) by what set
/// it off and when, so the runbook's choreography reads in order in the summary and events.csv:
/// "started (set off at 330.693 s by us-east-1 unhealthy for 60 s, then 60 s to react)".
pub fn with_trigger(scenario: &Scenario, a: &models::report::ActionRecord, detail: String) -> String {
    let w = &scenario.world;
    let config = &w.actions[a.action];
    let by = match &config.trigger {
        Trigger::At(_) => return detail,
        Trigger::Alarm(i) => format!("alarm {} in ALARM", w.alarms[*i].name),
        Trigger::RegionUnhealthy { region, for_ } => format!("{} unhealthy for {for_}", w.topology.name(*region)),
    };
    let set_off = a.at.saturating_since(SimTime::at(config.reaction_time));
    format!("{detail} (set off at {:.3} s by {by}, then {} to react)", set_off.as_secs_f64(), config.reaction_time)
}

fn store_rows(scenario: &Scenario, r: &models::report::Recorder) -> Vec<StoreRow> {
    scenario
        .world
        .stores
        .iter()
        .zip(&r.stores)
        .enumerate()
        .map(|(i, (config, stats))| {
            let losses = &r.losses[i];
            let lost = |cause| losses.count(cause);
            StoreRow {
                name: config.name.clone(),
                // As the file names it: a DynamoDB MRSC table is a quorum channel in the
                // models, but the scenario says dynamodb_global_table.
                store_type: scenario.store_types.get(i).copied().unwrap_or("").to_string(),
                writes_acknowledged: stats.writes_acked,
                lost_last_writer_wins: lost(LossCause::LastWriterWins),
                lost_failover: lost(LossCause::Failover),
                lost_region_never_returned: lost(LossCause::RegionNeverReturned),
                reads: stats.reads_ok,
                stale_reads: stats.stale_reads,
                stale_reads_by_store_order: matches!(config.kind, models::config::StoreKind::DynamoDbMrec)
                    .then_some(stats.stale_reads_by_store_order),
                rejected: stats.rejected,
                rejected_conflict: stats.rejected_conflict,
                failed: stats.failed,
                conflicted: stats.conflicted,
                conflict_rate: ratio(stats.conflicted, stats.writes_acked),
                shadowed: stats.shadowed,
                divergent_keys: stats.divergent_keys,
                replication_lag_ms: Percentiles::of(&stats.replication_lag),
                rpo_writes: lost(LossCause::Failover) + lost(LossCause::RegionNeverReturned),
                rpo_s: {
                    // The span of acknowledgement of the writes lost to anything but last-writer-wins.
                    let spans = [LossCause::Failover, LossCause::RegionNeverReturned].map(|c| losses.span(c));
                    let first = spans.iter().flatten().map(|s| s.first).min();
                    let last = spans.iter().flatten().map(|s| s.last).max();
                    match (first, last) {
                        (Some(lo), Some(hi)) => hi.saturating_since(lo).as_secs_f64(),
                        _ => 0.0,
                    }
                },
                write_unavailability_s: {
                    let h = &stats.write_unavailability;
                    let secs = |v: Option<u64>| v.map(|n| (n / 1_000_000) as f64 / 1000.0);
                    UnavailabilityRow { windows: h.count(), p50: secs(h.quantile(0.5)), max: secs(h.max()) }
                },
            }
        })
        .collect()
}

fn app_tier_rows(scenario: &Scenario, r: &models::report::Recorder) -> Vec<AppTierRow> {
    let mut rows = Vec::new();
    for region in scenario.world.topology.regions() {
        let Some(Some(t)) = r.app_tiers.get(region.index()) else { continue };
        let (mut busy_area, mut server_area, mut max_interval) = (0u128, 0u128, 0.0f64);
        for (busy, servers) in t.servers_busy.iter().zip(t.servers.iter()) {
            busy_area += busy.level_nanos;
            server_area += servers.level_nanos;
            if servers.level_nanos > 0 {
                max_interval = max_interval.max(busy.level_nanos as f64 / servers.level_nanos as f64);
            }
        }
        rows.push(AppTierRow {
            region: scenario.world.topology.name(region).to_string(),
            servers_end: t.servers.iter().last().map_or(0, |b| b.level_max),
            utilisation_mean: if server_area == 0 { 0.0 } else { busy_area as f64 / server_area as f64 },
            utilisation_max_interval: max_interval,
            queue_length_max: t.queue_length.iter().map(|b| b.level_max).max().unwrap_or(0),
            shed: t.shed_total,
            abandoned: t.abandoned_total,
        });
    }
    rows
}

/// `timeseries.csv`: one row per interval per Region.
pub fn timeseries_csv(scenario: &Scenario, run: &RunOutput) -> Result<Vec<u8>, String> {
    let r = &run.recorder;
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = [
        "time_s",
        "region",
        "requests",
        "failed",
        "reads_ok",
        "writes_acked",
        "stale_reads",
        "lost_writes",
        "latency_ms_mean",
        "replication_lag_ms_mean",
        "replication_messages_lost",
        "health_endpoint_up",
        "control_plane_up",
        "operations_succeeded",
        "operations_failed",
        "servers",
        "utilisation",
        "queue_length_mean",
        "shed",
        "sampled_replication_lag_ms",
        "sampled_rpo_lag_ms",
    ];
    w.write_record(header).map_err(|e| e.to_string())?;
    let interval = r.interval;
    let mean_ms = |bucket: Option<sim_core::metrics::MeanBucket>| {
        bucket.and_then(|b| b.mean()).map_or(String::new(), |m| format!("{:.3}", m / 1e6))
    };
    // App-tier cells: empty where the Region models no app tier.
    let tier_cell = |region: models::ids::RegionId, i: usize, column: TierColumn| -> String {
        let Some(Some(t)) = r.app_tiers.get(region.index()) else { return String::new() };
        let gauge_mean = |g: &sim_core::GaugeSeries| g.get(i).map(|b| b.level_mean());
        match column {
            TierColumn::Servers => gauge_mean(&t.servers).map_or(String::new(), |v| format!("{v:.3}")),
            TierColumn::Utilisation => match (t.servers_busy.get(i), t.servers.get(i)) {
                (Some(b), Some(s)) if s.level_nanos > 0 => {
                    format!("{:.4}", b.level_nanos as f64 / s.level_nanos as f64)
                }
                _ => String::new(),
            },
            TierColumn::QueueLength => gauge_mean(&t.queue_length).map_or(String::new(), |v| format!("{v:.3}")),
            TierColumn::Shed => t.shed.get(i).unwrap_or(0).to_string(),
        }
    };
    for i in 0..r.buckets() {
        let time_s = (interval * i as u64).as_secs_f64();
        for region in scenario.world.topology.regions() {
            let s = &r.regions[region.index()];
            let count = |c: &sim_core::CounterSeries| c.get(i).unwrap_or(0).to_string();
            // Sampled during the fault phase only: empty in the drain phase.
            let sampled = |c: &sim_core::CounterSeries| c.get(i).map_or(String::new(), |v| v.to_string());
            w.write_record([
                time_s.to_string(),
                scenario.world.topology.name(region).to_string(),
                count(&s.requests),
                count(&s.failed),
                count(&s.reads_ok),
                count(&s.writes_acked),
                count(&s.stale_reads),
                count(&s.lost_writes),
                mean_ms(s.latency_ok.get(i)),
                mean_ms(s.replication_lag.get(i)),
                count(&s.replication_messages_lost),
                sampled(&s.health_endpoint_up),
                sampled(&s.control_plane_up),
                count(&s.operations_succeeded),
                count(&s.operations_failed),
                tier_cell(region, i, TierColumn::Servers),
                tier_cell(region, i, TierColumn::Utilisation),
                tier_cell(region, i, TierColumn::QueueLength),
                tier_cell(region, i, TierColumn::Shed),
                mean_ms(s.sampled_replication_lag.get(i)),
                mean_ms(s.sampled_rpo_lag.get(i)),
            ])
            .map_err(|e| e.to_string())?;
        }
    }
    w.into_inner().map_err(|e| e.to_string())
}

#[derive(Clone, Copy)]
enum TierColumn {
    Servers,
    Utilisation,
    QueueLength,
    Shed,
}

/// The timeline figure: traffic and failures, stale reads and lost writes, replication lag, per
/// Region, with the faults shaded.
pub fn timeline_figure(scenario: &Scenario, run: &RunOutput) -> Figure {
    let r = &run.recorder;
    let topology = &scenario.world.topology;
    let per_second = r.interval.as_secs_f64();
    let x = |i: usize| (r.interval * i as u64).as_secs_f64();
    let rate_line = |label: String, c: &sim_core::CounterSeries| Line {
        label,
        points: (0..r.buckets()).map(|i| (x(i), c.get(i).unwrap_or(0) as f64 / per_second)).collect(),
    };
    let mut traffic = Vec::new();
    let mut anomalies = Vec::new();
    let mut lag = Vec::new();
    let mut idle = Vec::new();
    for region in topology.regions() {
        let name = topology.name(region);
        let s = &r.regions[region.index()];
        let succeeded = rate_line(format!("{name} succeeded"), &sum_series(&s.reads_ok, &s.writes_acked));
        let lines = [
            succeeded,
            rate_line(format!("{name} failed"), &s.failed),
            rate_line(format!("{name} stale reads"), &s.stale_reads),
            rate_line(format!("{name} lost writes"), &s.lost_writes),
        ];
        // A Region no client ever reached (an MRSC witness, a Region without routes) would only draw
        // flat zero lines: it is named in the panel titles instead.
        if lines.iter().all(|l| l.points.iter().all(|&(_, v)| v == 0.0)) {
            idle.push(name.to_string());
        } else {
            let [succeeded, failed, stale, lost] = lines;
            traffic.extend([succeeded, failed]);
            anomalies.extend([stale, lost]);
        }
        lag.push(Line {
            label: format!("into {name}"),
            points: (0..r.buckets())
                .map(|i| (x(i), s.replication_lag.get(i).and_then(|b| b.mean()).map_or(f64::NAN, |m| m / 1e9)))
                .collect(),
        });
    }
    let bands = r
        .faults
        .iter()
        .map(|w| {
            let kind = &run.faults[w.fault].kind;
            Band {
                label: format!("{}: {}", kind.type_name().replace('_', " "), describe_fault(kind, scenario)),
                start_s: w.started.as_secs_f64(),
                end_s: w.healed.unwrap_or(r.end).as_secs_f64(),
            }
        })
        .collect();
    let idle_note = match idle.as_slice() {
        [] => String::new(),
        names => format!(" ({} left out: no traffic, e.g. a witness)", names.join(", ")),
    };
    let mut panels = vec![
        Panel { title: format!("attempts per second{idle_note}"), y_label: "attempts per s".into(), lines: traffic },
        Panel {
            title: format!("stale reads and lost writes per second{idle_note}"),
            y_label: "per s".into(),
            lines: anomalies,
        },
        Panel {
            title: "replication lag of the writes committed in each interval (mean)".into(),
            y_label: "replication lag (s)".into(),
            lines: lag,
        },
    ];
    if r.app_tiers.iter().any(Option::is_some) {
        panels.push(app_tier_panel(scenario, run));
    }
    Figure { title: format!("{}: timeline", scenario.name), x_label: "simulated time (s)".into(), panels, bands }
}

/// Utilisation and queue of every modelled app tier, and what they shed.
fn app_tier_panel(scenario: &Scenario, run: &RunOutput) -> Panel {
    let r = &run.recorder;
    let x = |i: usize| (r.interval * i as u64).as_secs_f64();
    let mut lines = Vec::new();
    for region in scenario.world.topology.regions() {
        let Some(Some(t)) = r.app_tiers.get(region.index()) else { continue };
        let name = scenario.world.topology.name(region);
        let utilisation = t
            .servers_busy
            .iter()
            .zip(t.servers.iter())
            .enumerate()
            .map(|(i, (b, s))| {
                let u = if s.level_nanos == 0 { f64::NAN } else { 100.0 * b.level_nanos as f64 / s.level_nanos as f64 };
                (x(i), u)
            })
            .collect();
        lines.push(Line { label: format!("{name} utilisation %"), points: utilisation });
        let per_second = r.interval.as_secs_f64();
        let shed = t.shed.iter().enumerate().map(|(i, (_, n))| (x(i), n as f64 / per_second)).collect();
        lines.push(Line { label: format!("{name} shed per s"), points: shed });
    }
    Panel { title: "app tier: utilisation and shedding".into(), y_label: "% / per s".into(), lines }
}

fn sum_series(a: &sim_core::CounterSeries, b: &sim_core::CounterSeries) -> sim_core::CounterSeries {
    let mut sum = sim_core::CounterSeries::new(a.interval());
    for (t, n) in a.iter().chain(b.iter()) {
        sum.add(t, n);
    }
    sum
}

/// The short human summary printed on the terminal.
pub fn terminal_text(s: &Summary, wall_seconds: f64) -> String {
    let pct = |f: f64| format!("{:.2}%", f * 100.0);
    // Percentiles and maxima from histograms: the digits they support (`quantity`).
    let ms = |v: Option<f64>| v.map_or("-".to_string(), crate::quantity::duration_ms);
    let mut t = String::new();
    t.push_str(&format!("mrsim run: {} (seed {})\n", s.scenario, s.seed));
    t.push_str(&format!(
        "  simulated       {}s fault phase, ended at {}s; {} in {:.2}s wall time; trace {}\n",
        s.simulated.fault_phase_s,
        s.simulated.end_s,
        count(s.simulated.events, "event", "events"),
        wall_seconds,
        s.simulated.trace_hash
    ));
    for w in &s.warnings {
        t.push_str(&format!("  warning         {w}\n"));
    }
    t.push_str(&format!(
        "  operations      {} started, {} succeeded, {} failed ({}) after {}; p99 {}\n",
        s.operations.started,
        s.operations.succeeded,
        s.operations.failed,
        pct(s.operations.error_rate),
        count(s.operations.retries, "retry", "retries"),
        ms(s.operations.latency_ms.p99)
    ));
    t.push_str(&format!(
        "  attempts        {} sent, {} failed ({}); {}; {} failed\n",
        s.attempts.sent,
        s.attempts.failed,
        pct(s.attempts.error_rate),
        count(s.operations.duplicate_writes, "duplicate write", "duplicate writes"),
        count(s.operations.conditional_check_failed, "conditional check", "conditional checks")
    ));
    t.push_str(&format!(
        "  writes          {} acknowledged, {} conflicted ({}), {} discarded somewhere by last-writer-wins; {} lost to last-writer-wins, {} lost to failover, {} lost with a Region that never returned; {} shadowed; {} rejected for a conflict (MRSC)\n",
        s.writes.acknowledged,
        s.writes.conflicted,
        pct(s.writes.conflict_rate),
        s.writes.discarded_by_last_writer_wins,
        s.writes.lost_last_writer_wins,
        s.writes.lost_failover,
        s.writes.lost_region_never_returned,
        s.writes.shadowed,
        s.writes.rejected_conflict
    ));
    {
        for st in &s.stores {
            t.push_str(&format!(
                "  store           {} ({}): {} acknowledged, {} conflicted, {} lost (LWW {}, failover {}, Region gone {}); {}, {} stale; {} rejected ({} for a conflict); writes unavailable up to {}; replication lag p50 {} p99 {}\n",
                st.name,
                st.store_type,
                count(st.writes_acknowledged, "write", "writes"),
                st.conflicted,
                st.lost_last_writer_wins + st.lost_failover + st.lost_region_never_returned,
                st.lost_last_writer_wins,
                st.lost_failover,
                st.lost_region_never_returned,
                count(st.reads, "read", "reads"),
                st.stale_reads,
                st.rejected,
                st.rejected_conflict,
                st.write_unavailability_s.max.map_or("-".to_string(), crate::quantity::duration_s),
                ms(st.replication_lag_ms.p50),
                ms(st.replication_lag_ms.p99)
            ));
        }
    }
    if s.cross_store.requests > 0 {
        let c = &s.cross_store;
        t.push_str(&format!(
            "  cross-store     {}, {} completed; {} ({} repaired, {} left partial); {} partial by a later loss\n",
            count(c.requests, "request", "requests"),
            c.completed,
            count(c.partial_updates, "partial update", "partial updates"),
            c.repaired,
            c.unrepaired,
            c.partial_by_loss
        ));
    }
    if !s.rejections.is_empty() {
        let list: Vec<String> = s.rejections.iter().map(|(k, v)| format!("{v} {k}")).collect();
        t.push_str(&format!("  rejections      {}\n", list.join(", ")));
    }
    for tr in &s.transitions {
        let secs = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.3}s"));
        t.push_str(&format!(
            "  {:<15} {} {} -> {} at {}s: write unavailability (RTO) {}, RPO {} / {}\n",
            tr.transition_type,
            tr.store,
            tr.from,
            tr.to,
            tr.started_s,
            secs(tr.rto_s),
            count(tr.rpo_writes, "write", "writes"),
            secs(tr.rpo_s)
        ));
    }
    t.push_str(&format!(
        "  reads           {} succeeded, {} stale ({}), staleness p50 {} p99 {}; {} stale by last-writer-wins order\n",
        s.reads.succeeded,
        s.reads.stale,
        pct(s.reads.stale_fraction),
        ms(s.reads.staleness_ms.p50),
        ms(s.reads.staleness_ms.p99),
        s.reads.stale_by_store_order
    ));
    t.push_str(&format!(
        "  sessions        {}, {}\n",
        count(s.reads.read_your_writes_violations, "read-your-writes violation", "read-your-writes violations"),
        count(s.reads.monotonic_read_violations, "monotonic-read violation", "monotonic-read violations")
    ));
    t.push_str(&format!(
        "  latency         read p50 {} p99 {}; write p50 {} p99 {}\n",
        ms(s.latency_ms.read.p50),
        ms(s.latency_ms.read.p99),
        ms(s.latency_ms.write.p50),
        ms(s.latency_ms.write.p99)
    ));
    t.push_str(&format!(
        "  replication lag p50 {} p99 {} max {}; divergent keys at the end: {}\n",
        ms(s.replication_lag_ms.p50),
        ms(s.replication_lag_ms.p99),
        ms(s.replication_lag_ms.max),
        s.divergent_keys
    ));
    for a in &s.app_tiers {
        t.push_str(&format!(
            "  app tier        {}: {} at the end, utilisation mean {} (max interval {}), queue max {}, {} shed, {} abandoned\n",
            a.region,
            count(a.servers_end, "server", "servers"),
            pct(a.utilisation_mean),
            pct(a.utilisation_max_interval),
            a.queue_length_max,
            a.shed,
            a.abandoned
        ));
    }
    for f in &s.faults {
        let healed = match (f.healed_s, f.scheduled_end_s) {
            (Some(h), Some(scheduled)) => {
                format!("cut at {h}s when the fault phase ended (scheduled to end at {scheduled}s)")
            }
            (Some(h), None) => format!("healed at {h}s"),
            (None, _) => "never healed".to_string(),
        };
        t.push_str(&format!("  fault           {} {}: from {}s, {healed}\n", f.fault_type, f.target, f.started_s));
        let o = &f.failover;
        let secs = |v: Option<f64>, none: &str| v.map_or(none.to_string(), |v| format!("{v}s"));
        let routing = match o.routing_tier {
            true => format!(
                "detected {}, routing converged {}, error rate {} over {}",
                secs(o.detection_s, "never"),
                secs(o.routing_convergence_s, "never"),
                pct(o.transition_error_rate),
                count(o.transition_attempts, "attempt", "attempts")
            ),
            false => format!(
                "n/a (no routing tier: every population is static); error rate {} over {} while the fault lasted",
                pct(o.transition_error_rate),
                count(o.transition_attempts, "attempt", "attempts")
            ),
        };
        t.push_str(&format!(
            "    failover      {routing}; client outage p50 {} p99 {} max {} ({}, {} unrecovered)\n",
            o.client_outage_s.p50.map_or("-".to_string(), crate::quantity::duration_s),
            o.client_outage_s.p99.map_or("-".to_string(), crate::quantity::duration_s),
            o.client_outage_s.max.map_or("-".to_string(), crate::quantity::duration_s),
            count(o.client_outage_s.clients, "client", "clients"),
            o.client_outage_s.unrecovered,
        ));
        for a in &f.app_tiers {
            t.push_str(&format!(
                "    app tier      {}: utilisation mean {} (max interval {}), queue max {}, {} shed, {} abandoned\n",
                a.region,
                pct(a.utilisation_mean),
                pct(a.utilisation_max_interval),
                a.queue_length_max,
                a.shed,
                a.abandoned
            ));
        }
    }
    for a in &s.actions {
        let verdict = if a.succeeded { "done" } else { "FAILED" };
        t.push_str(&format!("  action          {} at {}s {verdict}: {}\n", a.action_type, a.at_s, a.detail));
    }
    t
}

#[cfg(test)]
mod tests {
    use models::report::AppTierSeries;
    use sim_core::{CounterSeries, GaugeSeries, SimDuration, SimTime};

    use super::app_tier_load;

    /// Two servers over four 1 s intervals, traced by hand: busy 0 in [0, 1), 2 in [1, 2), 1 in
    /// [2, 3), 2 in [3, 3.5) then 0; a queue of 5 in [1.2, 1.7); 3 shed at 1.5 s and 1 at 2.5 s;
    /// 2 abandoned at 3.2 s.
    fn traced() -> AppTierSeries {
        let second = SimDuration::from_secs(1);
        let at = |ms: u64| SimTime::at(SimDuration::from_millis(ms));
        let mut servers = GaugeSeries::new(second);
        servers.set(at(0), 2);
        let mut busy = GaugeSeries::new(second);
        for (ms, level) in [(0, 0), (1000, 2), (2000, 1), (3000, 2), (3500, 0)] {
            busy.set(at(ms), level);
        }
        let mut queue = GaugeSeries::new(second);
        for (ms, level) in [(0, 0), (1200, 5), (1700, 0)] {
            queue.set(at(ms), level);
        }
        let (mut shed, mut abandoned) = (CounterSeries::new(second), CounterSeries::new(second));
        shed.add(at(1500), 3);
        shed.add(at(2500), 1);
        abandoned.add(at(3200), 2);
        for g in [&mut servers, &mut busy, &mut queue] {
            g.finish(at(4000));
        }
        AppTierSeries {
            servers,
            servers_busy: busy,
            queue_length: queue,
            shed,
            abandoned,
            shed_total: 4,
            abandoned_total: 2,
        }
    }

    /// Three stores, static clients, and an outage whose end (90 s) is after the fault phase (60 s).
    const CUT: &str = r#"
[scenario]
name = "cut"
duration = "60s"
drain_max = "1m"

[[region]]
name = "us-east-1"

[[region]]
name = "us-east-2"

[[region]]
name = "us-west-2"

[[store]]
name = "strong"
type = "dynamodb_global_table"
multi_region_consistency = "STRONG"
regions = ["us-east-1", "us-east-2", "us-west-2"]

[[store]]
name = "eventual"
type = "dynamodb_global_table"
regions = ["us-east-1", "us-west-2"]

[[store]]
name = "q"
type = "quorum"
regions = ["us-east-1", "us-east-2", "us-west-2"]

[[population]]
name = "east"
region = "us-east-1"
access_latency = "5ms"
rate = 20.0
timeout = "2s"

[[population.operation]]
weight = 1
store = "eventual"
type = "write"
keys = { uniform = 5 }

[[fault]]
type = "region_outage"
region = "us-east-1"
start = "30s"
end = "90s"
"#;

    fn cut_summary(text: &str) -> super::Summary {
        let scenario = crate::scenario::parse(std::path::Path::new("cut.toml"), text).expect("the scenario is valid");
        let output = models::run::run(&scenario.world, sim_core::Seed(7), sim_core::TraceMode::Off).expect("it ends");
        super::summary(&scenario, sim_core::Seed(7), &output)
    }

    #[test]
    fn stores_are_typed_as_the_file_names_them() {
        let s = cut_summary(CUT);
        let types: Vec<&str> = s.stores.iter().map(|st| st.store_type.as_str()).collect();
        assert_eq!(types, ["dynamodb_global_table (MRSC)", "dynamodb_global_table (MREC)", "quorum"]);
        let md = crate::artifacts::summary_markdown(&s);
        assert!(md.contains("| strong | dynamodb_global_table (MRSC) |"), "{md}");
        assert!(super::terminal_text(&s, 0.0).contains("store           q (quorum): "));
    }

    #[test]
    fn a_fault_past_the_fault_phase_is_reported_cut_not_healed() {
        let s = cut_summary(CUT);
        let f = &s.faults[0];
        assert_eq!((f.healed_s, f.scheduled_end_s), (Some(60.0), Some(90.0)));
        let warning = "fault[0].end: 90s is after the end of the fault phase at 1m (scenario.duration): the fault is \
                       cut there";
        assert_eq!(s.warnings, [warning]);
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["faults"][0]["scheduled_end_s"], 90.0);
        let terminal = super::terminal_text(&s, 0.0);
        assert!(terminal.contains(&format!("  warning         {warning}\n")), "{terminal}");
        assert!(
            terminal.contains("from 30s, cut at 60s when the fault phase ended (scheduled to end at 90s)"),
            "{terminal}"
        );
        assert!(!terminal.contains("healed"), "{terminal}");
        let md = crate::artifacts::summary_markdown(&s);
        assert!(md.contains(&format!("**Warning:** {warning}.")), "{md}");
        assert!(md.contains("| 30 s | cut at 60 s with the fault phase (scheduled 90 s) |"), "{md}");

        // A fault that ends inside the phase keeps its words and its file: no warning, no new field.
        let inside = cut_summary(&CUT.replace("end = \"90s\"", "end = \"50s\""));
        assert!(inside.warnings.is_empty() && inside.faults[0].scheduled_end_s.is_none());
        let json = serde_json::to_string(&inside).unwrap();
        assert!(!json.contains("warnings") && !json.contains("scheduled_end_s"), "{json}");
        assert!(super::terminal_text(&inside, 0.0).contains("from 30s, healed at 50s\n"));
        assert!(!crate::artifacts::summary_markdown(&inside).contains("Warning"));
    }

    #[test]
    fn without_a_routing_tier_failover_timing_does_not_apply() {
        let s = cut_summary(CUT);
        let o = &s.faults[0].failover;
        assert!(!o.routing_tier);
        assert_eq!((o.detection_s, o.routing_convergence_s, o.recovery_s), (None, None, None));
        // The transition is then the whole fault: 30 s to 60 s, at 20 requests/s.
        assert!(o.transition_attempts > 400, "{}", o.transition_attempts);
        let terminal = super::terminal_text(&s, 0.0);
        assert!(terminal.contains("    failover      n/a (no routing tier: every population is static); error rate "));
        assert!(!terminal.contains("detected never"), "{terminal}");
        let md = crate::artifacts::summary_markdown(&s);
        assert!(md.contains("| Recovered (after heal) |"), "{md}");
        assert!(
            md.contains("| region_outage us-east-1 | n/a (no routing tier) | n/a (no routing tier) | n/a | "),
            "{md}"
        );
        assert!(md.contains("% (whole fault) |"), "{md}");
    }

    #[test]
    fn a_fault_window_sums_its_own_intervals_only() {
        let t = traced();
        // Intervals 1 and 2: busy 2 + 1 of 2 + 2 server-seconds; the busiest is full.
        let during = app_tier_load("eu-west-1".into(), &t, 1..3);
        assert_eq!(during.region, "eu-west-1");
        assert_eq!(during.utilisation_mean, 0.75);
        assert_eq!(during.utilisation_max_interval, 1.0);
        assert_eq!((during.queue_length_max, during.shed, during.abandoned), (5, 4, 0));
        // Interval 3 alone: busy 2 for half a second of 2 servers; the abandoned requests.
        let after = app_tier_load("eu-west-1".into(), &t, 3..4);
        assert_eq!((after.utilisation_mean, after.utilisation_max_interval), (0.5, 0.5));
        assert_eq!((after.queue_length_max, after.shed, after.abandoned), (0, 0, 2));
        // Interval 0 is idle, and a window past the series' end counts nothing.
        assert_eq!(app_tier_load("x".into(), &t, 0..1).utilisation_max_interval, 0.0);
        let beyond = app_tier_load("x".into(), &t, 10..20);
        assert_eq!((beyond.utilisation_mean, beyond.shed), (0.0, 0));
    }
}
