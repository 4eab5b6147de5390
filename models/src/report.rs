//! What a run measured: totals, distributions and per-Region time series.
//!
//! The [`Recorder`] is fed by the world as things happen and settled by [`Recorder::finish`], which
//! takes the checker's verdicts (lost writes, divergent keys). It holds plain numbers only; turning
//! them into files is the `experiments` crate's job. Time series have one bucket per
//! `metrics_interval` of simulated time; latencies and lags are recorded in nanoseconds.

use std::collections::BTreeMap;

use sim_core::{CounterSeries, GaugeSeries, Histogram, LookupMap, MeanSeries, SimDuration, SimTime};

use crate::apptier::AppTier;
use crate::checker::VersionTree;
use crate::checker::{ConflictRecord, LossCause, LossTally, LostWrite};
use crate::config::{OperationKind, WorldConfig};
use crate::ids::{PopulationId, RegionId, RequestId, StoreId};
use crate::ledger::SessionVerdict;
use crate::stores::aurora::TransitionReport;
use crate::stores::channel::Rejection;
use crate::stores::quorum::TVisibility;

/// The time series of one Region. Requests and their outcomes are attributed to the Region the
/// request was sent to, in the interval they completed; replication lag to the Region that applied
/// the write, in the interval the write was committed; a lost write to the Region that took it, in
/// the interval of its acknowledgement.
#[derive(Clone, Debug)]
pub struct RegionSeries {
    pub requests: CounterSeries,
    pub failed: CounterSeries,
    pub reads_ok: CounterSeries,
    pub writes_acked: CounterSeries,
    pub stale_reads: CounterSeries,
    pub lost_writes: CounterSeries,
    pub latency_ok: MeanSeries,
    pub replication_lag: MeanSeries,
    /// Replication messages sent from this Region and lost (partition in drop mode, lossy link).
    pub replication_messages_lost: CounterSeries,
    /// Operations of the clients near this Region that ended in success / in failure, as their
    /// users saw them (after retries).
    pub operations_succeeded: CounterSeries,
    pub operations_failed: CounterSeries,
    /// Channel stores' own lag metrics, sampled once per interval (Aurora: replication lag and RPO
    /// lag of the secondary in this Region).
    pub sampled_replication_lag: MeanSeries,
    pub sampled_rpo_lag: MeanSeries,
    /// 1 when the health endpoint passed at the interval's sample, else 0 (fault phase only).
    pub health_endpoint_up: CounterSeries,
    /// 1 when the control plane was up at the interval's sample, else 0 (fault phase only).
    pub control_plane_up: CounterSeries,
    /// Of `requests` (by the interval they were sent in): attempts CloudFront's origin group then
    /// sent to another Region, which served them and counts them too. `requests - moved_away` is
    /// what this Region served (or failed) itself.
    pub moved_away: CounterSeries,
}

impl RegionSeries {
    fn new(interval: SimDuration) -> Self {
        RegionSeries {
            requests: CounterSeries::new(interval),
            failed: CounterSeries::new(interval),
            reads_ok: CounterSeries::new(interval),
            writes_acked: CounterSeries::new(interval),
            stale_reads: CounterSeries::new(interval),
            lost_writes: CounterSeries::new(interval),
            latency_ok: MeanSeries::new(interval),
            replication_lag: MeanSeries::new(interval),
            replication_messages_lost: CounterSeries::new(interval),
            operations_succeeded: CounterSeries::new(interval),
            operations_failed: CounterSeries::new(interval),
            sampled_replication_lag: MeanSeries::new(interval),
            sampled_rpo_lag: MeanSeries::new(interval),
            health_endpoint_up: CounterSeries::new(interval),
            control_plane_up: CounterSeries::new(interval),
            moved_away: CounterSeries::new(interval),
        }
    }
}

/// The app tier of one Region over the run (copied from the tier when the run finishes).
#[derive(Clone, Debug)]
pub struct AppTierSeries {
    pub servers: GaugeSeries,
    pub servers_busy: GaugeSeries,
    pub queue_length: GaugeSeries,
    pub shed: CounterSeries,
    pub abandoned: CounterSeries,
    pub shed_total: u64,
    pub abandoned_total: u64,
}

/// How one answer counts in its store's tally.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreTally {
    WriteAcked,
    /// `stale_by_order`: None for a store with no order of its own.
    Read {
        stale: bool,
        stale_by_order: Option<bool>,
    },
    Rejected(Rejection),
    Failed,
}

/// One store's own numbers (answers that reached their clients).
#[derive(Clone, Debug, Default)]
pub struct StoreStats {
    pub writes_acked: u64,
    pub reads_ok: u64,
    pub stale_reads: u64,
    /// Reads stale by the store's own order (a store with one: DynamoDB MREC's last-writer-wins).
    pub stale_reads_by_store_order: u64,
    pub rejected: u64,
    pub failed: u64,
    /// Replication lag of this store's writes to its other replicas.
    pub replication_lag: Histogram,
    /// Write unavailability (RTO as clients see it): per population, the windows from a failed
    /// write attempt to the population's next acknowledged write to the store.
    pub write_unavailability: Histogram,
    /// Per population: when its writes started failing, while they still fail.
    failing_since: BTreeMap<PopulationId, SimTime>,
    /// Answers that were MRSC's ReplicatedWriteConflictException (the item was being written in
    /// another Region): rejected writes, never conflicted ones.
    pub rejected_conflict: u64,
    /// Settled by `finish`: acknowledged writes that met a concurrent version at some replica.
    pub conflicted: u64,
    pub divergent_keys: u64,
    pub shadowed: u64,
}

/// What a run used that AWS bills by use, counted as it happens, for a price list to turn into
/// money (experiments' cost report). Counts only: no prices in models.
#[derive(Clone, Debug, Default)]
pub struct Usage {
    /// Per store, per Region: reads the store answered there (a successful read).
    pub reads: Vec<Vec<u64>>,
    /// Per store, per Region: writes the store applied there for a client (acknowledged, or
    /// applied after its client gave up: the service bills the write either way).
    pub writes: Vec<Vec<u64>>,
    /// Per store, per Region: writes replicated into that Region's replica (each apply of another
    /// Region's write).
    pub replicated: Vec<Vec<u64>>,
    /// Per store, `from * regions + to`: replication messages sent from one Region to another
    /// (resends included: each crosses the network again).
    pub messages: Vec<Vec<u64>>,
    /// Per population: attempts sent, reads and writes apart (`[reads, writes]`).
    pub attempts: Vec<[u64; 2]>,
    /// Name lookups the population's resolvers sent to Route 53 (cache misses), per population.
    pub route53_queries: Vec<u64>,
}

impl Usage {
    fn new(config: &WorldConfig) -> Self {
        let regions = config.topology.len();
        let per_region = vec![vec![0; regions]; config.stores.len()];
        Usage {
            reads: per_region.clone(),
            writes: per_region.clone(),
            replicated: per_region,
            messages: vec![vec![0; regions * regions]; config.stores.len()],
            attempts: vec![[0, 0]; config.populations.len()],
            route53_queries: vec![0; config.populations.len()],
        }
    }
}

/// What the report needs of a store once the run is over.
pub struct StoreSettled<'a> {
    pub tree: &'a VersionTree,
    pub divergent_keys: u64,
    /// S3: versions hidden behind a concurrent version (recoverable, not lost).
    pub shadowed: u64,
    /// Aurora: switchovers and failovers, with their RTO and RPO.
    pub transitions: Vec<TransitionReport>,
    /// Replication lag the channel measured itself, to merge into the run's (Aurora).
    pub replication_lag: Option<Histogram>,
    /// What a quorum store's staleness probe measured.
    pub t_visibility: Option<TVisibility>,
}

/// Requests that write several stores, not atomically, and what became of their partial updates.
#[derive(Clone, Debug, Default)]
pub struct CrossStore {
    pub operations: u64,
    pub completed: u64,
    /// A step failed for good after earlier steps had written.
    pub partial_updates: u64,
    /// Partial updates whose repair (a retried step, or every compensating delete) succeeded.
    pub repaired: u64,
    /// Partial updates left as they were (no repair configured, or the repair gave up).
    pub unrepaired: u64,
    /// Completed requests whose steps' writes did not all survive (one was lost later, to
    /// last-writer-wins, a failover or a Region that never came back): partial after all.
    pub partial_by_loss: u64,
    /// Repairs still to succeed, and the strategy, by the request they repair.
    outstanding: BTreeMap<u64, (u32, crate::config::PartialRepair)>,
    /// Completed requests' writes, to check at the end whether all survived. Grows with the
    /// multi-store requests of the run.
    completed_writes: Vec<Vec<(StoreId, crate::ids::WriteId)>>,
}

/// A runbook action as it happened: when, which, and what came of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionRecord {
    pub at: SimTime,
    pub action: usize,
    /// `Ok(what it did)` or `Err(why it failed)`.
    pub outcome: Result<String, String>,
}

/// A fault as it actually happened in the run.
/// One change in the routing tier, for the timeline.
#[derive(Clone, Debug)]
pub struct RoutingEvent {
    pub at: SimTime,
    /// health, routing_control, record_change, traffic_dial, alarm.
    pub kind: &'static str,
    pub what: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FaultWindow {
    pub fault: usize,
    pub started: SimTime,
    pub healed: Option<SimTime>,
}

/// Everything a run measured.
#[derive(Clone, Debug)]
pub struct Recorder {
    pub interval: SimDuration,
    pub regions: Vec<RegionSeries>,
    /// Attempts sent, and attempts that failed (timeout, 503, error answer).
    pub requests: u64,
    pub failed: u64,
    /// Operations as users see them: started, succeeded (after any retries), failed for good.
    pub operations: u64,
    pub operations_succeeded: u64,
    pub operations_failed: u64,
    pub retries: u64,
    /// Retried writes applied a second time (the store did not enforce idempotency).
    pub duplicate_writes: u64,
    pub conditional_check_failed: u64,
    pub operation_latency: Histogram,
    pub actions: Vec<ActionRecord>,
    pub routing_events: Vec<RoutingEvent>,
    /// The routing tier's verdicts on Regions as they changed: (time, Region, healthy).
    pub region_health: Vec<(SimTime, RegionId, bool)>,
    pub fail_open_answers: u64,
    pub origin_failovers: u64,
    /// Users whose last operation failed for good, since the first attempt of the first such
    /// operation.
    /// Looked up only; the end of the run sorts what is left.
    client_failing_since: LookupMap<(u16, u64), SimTime>,
    /// Client-visible outages: (population, start, length) from the first attempt of a user's
    /// first failed operation to the end of its next successful one.
    pub client_outages: Vec<(u16, SimTime, SimDuration)>,
    /// Outages still open when the run ended: (population, start), by start.
    pub client_outages_unrecovered: Vec<(u16, SimTime)>,
    /// By Region; `None` where no app tier is modelled.
    pub app_tiers: Vec<Option<AppTierSeries>>,
    pub reads_ok: u64,
    pub writes_acked: u64,
    pub stale_reads: u64,
    /// Reads stale by their store's own order (`Ledger::stale_by_order`), beside the causal count.
    pub stale_reads_by_store_order: u64,
    /// Reads that missed their own session's last acknowledged write of the item.
    pub read_your_writes_violations: u64,
    /// Reads that went back to an ancestor of what their session read of the item before.
    pub monotonic_read_violations: u64,
    /// Acknowledged writes that met a concurrent version (neither observed the other) at some
    /// replica, each counted once; discarded and lost-to-last-writer-wins writes are among them.
    pub conflicted: u64,
    /// Acknowledged writes some replica discarded for a concurrent last-writer-wins winner (the
    /// classic lost update; some survive as ancestors of a later write and are not lost writes).
    pub discarded_by_last_writer_wins: u64,
    pub read_latency: Histogram,
    pub write_latency: Histogram,
    pub staleness: Histogram,
    pub replication_lag: Histogram,
    pub replication_messages_lost: u64,
    /// The most replication messages held or in flight for the channels (in the network, in the
    /// links' backlogs, in the quorum channels' catch-up entries, MREC copies waiting for a heal)
    /// at any metrics sample of the fault phase.
    pub channel_messages_pending_peak: u64,
    pub faults: Vec<FaultWindow>,
    /// The lost writes of each store (by index), counted. Settled by `finish`.
    pub losses: Vec<LossTally>,
    /// Each lost write, sorted by (acknowledgement, write), when the stores list them: with
    /// `list_conflicts`, or with cross-store operations (which must learn whether all their
    /// writes survived). Empty otherwise: `losses` has what the report needs. Settled by `finish`.
    pub lost: Vec<LostWrite>,
    /// With `list_conflicts`: every write last-writer-wins dropped and every write lost to it,
    /// sorted by (first seen, store, write). Settled by `finish`.
    pub conflict_list: Vec<ConflictRecord>,
    pub divergent_keys: u64,
    /// S3 versions hidden behind concurrent versions: recoverable, not lost.
    pub shadowed: u64,
    /// Attempts refused by a store, by the service's name for the refusal.
    pub rejections: std::collections::BTreeMap<&'static str, u64>,
    /// Aurora switchovers and failovers, by store index.
    pub transitions: Vec<(usize, TransitionReport)>,
    /// The staleness probes' t-visibility and k-staleness, by store index (quorum stores with a
    /// probe). Probe reads count in no other metric. Settled by `finish`.
    pub t_visibility: Vec<(usize, TVisibility)>,
    /// Per store (index by store).
    pub stores: Vec<StoreStats>,
    pub cross_store: CrossStore,
    /// The most versions the checker held at once, summed over stores: its memory high-water mark.
    pub live_versions_max: usize,
    /// The same without the versions spliced out of chains (see [`crate::checker`]'s passengers),
    /// which take a third of the memory each: the version records and tombs at their peak, summed.
    pub version_records_max: usize,
    pub end: SimTime,
    /// What the run used that AWS bills by use.
    pub usage: Usage,
}

impl Recorder {
    pub fn new(config: &WorldConfig) -> Self {
        let interval = config.metrics_interval;
        Recorder {
            interval,
            regions: (0..config.topology.len()).map(|_| RegionSeries::new(interval)).collect(),
            requests: 0,
            failed: 0,
            operations: 0,
            operations_succeeded: 0,
            operations_failed: 0,
            retries: 0,
            duplicate_writes: 0,
            conditional_check_failed: 0,
            operation_latency: Histogram::new(),
            actions: Vec::new(),
            routing_events: Vec::new(),
            region_health: Vec::new(),
            fail_open_answers: 0,
            origin_failovers: 0,
            client_failing_since: LookupMap::new(),
            client_outages: Vec::new(),
            client_outages_unrecovered: Vec::new(),
            app_tiers: Vec::new(),
            reads_ok: 0,
            writes_acked: 0,
            stale_reads: 0,
            stale_reads_by_store_order: 0,
            read_your_writes_violations: 0,
            monotonic_read_violations: 0,
            conflicted: 0,
            discarded_by_last_writer_wins: 0,
            read_latency: Histogram::new(),
            write_latency: Histogram::new(),
            staleness: Histogram::new(),
            replication_lag: Histogram::new(),
            replication_messages_lost: 0,
            channel_messages_pending_peak: 0,
            faults: Vec::new(),
            losses: Vec::new(),
            lost: Vec::new(),
            conflict_list: Vec::new(),
            divergent_keys: 0,
            shadowed: 0,
            rejections: Default::default(),
            transitions: Vec::new(),
            t_visibility: Vec::new(),
            stores: vec![StoreStats::default(); config.stores.len()],
            cross_store: CrossStore::default(),
            live_versions_max: 0,
            version_records_max: 0,
            end: SimTime::ZERO,
            usage: Usage::new(config),
        }
    }

    fn region(&mut self, r: RegionId) -> &mut RegionSeries {
        &mut self.regions[r.index()]
    }

    pub fn request_sent(&mut self, now: SimTime, region: RegionId) {
        self.requests += 1;
        self.region(region).requests.add(now, 1);
    }

    /// An attempt of `population` was sent (`is_read`: a read).
    pub fn attempt_used(&mut self, population: PopulationId, is_read: bool) {
        self.usage.attempts[population.index()][usize::from(!is_read)] += 1;
    }

    /// A store in `region` served a client's read (`is_read`) or applied its write.
    pub fn store_used(&mut self, store: StoreId, region: RegionId, is_read: bool) {
        let counts = if is_read { &mut self.usage.reads } else { &mut self.usage.writes };
        counts[store.index()][region.index()] += 1;
    }

    /// A write of `store` was replicated into `to`.
    pub fn replicated_into(&mut self, store: StoreId, to: RegionId) {
        self.usage.replicated[store.index()][to.index()] += 1;
    }

    /// A replication message of `store` left `from` for another Region, `to`.
    pub fn replication_message_sent(&mut self, store: StoreId, from: RegionId, to: RegionId) {
        let regions = self.regions.len();
        self.usage.messages[store.index()][from.index() * regions + to.index()] += 1;
    }

    /// The resolvers of each population sent these many queries to Route 53 (set once, at the end).
    pub fn route53_queries(&mut self, by_population: Vec<u64>) {
        self.usage.route53_queries = by_population;
    }

    pub fn operation_started(&mut self, _now: SimTime, _kind: OperationKind) {
        self.operations += 1;
    }

    /// An operation ended for its user; `region` is the clients' own Region (where the population is).
    pub fn operation_ended(
        &mut self,
        now: SimTime,
        region: RegionId,
        _kind: OperationKind,
        succeeded: bool,
        latency: SimDuration,
    ) {
        let series = &mut self.regions[region.index()];
        if succeeded {
            self.operations_succeeded += 1;
            self.operation_latency.record(latency.as_nanos());
            series.operations_succeeded.add(now, 1);
        } else {
            self.operations_failed += 1;
            series.operations_failed.add(now, 1);
        }
    }

    pub fn retry_scheduled(&mut self, _now: SimTime) {
        self.retries += 1;
    }

    pub fn duplicate_write(&mut self, _now: SimTime, _region: RegionId) {
        self.duplicate_writes += 1;
    }

    pub fn condition_failed(&mut self, _now: SimTime, _region: RegionId) {
        self.conditional_check_failed += 1;
    }

    /// A change in the routing tier (a health verdict, a routing control, a record change, an
    /// alarm), for the timeline.
    pub fn routing_event(&mut self, at: SimTime, kind: &'static str, what: String) {
        self.routing_events.push(RoutingEvent { at, kind, what });
    }

    /// The routing tier's verdict on a Region changed (unhealthy: every check watching it fails).
    pub fn region_health(&mut self, at: SimTime, region: RegionId, healthy: bool) {
        self.region_health.push((at, region, healthy));
    }

    /// Route 53 or the accelerator answered as if every endpoint were healthy.
    pub fn fail_open_answer(&mut self) {
        self.fail_open_answers += 1;
    }

    /// A user's operation ended (first attempt at `first_sent`): a failure opens the user's
    /// client-visible outage, the next success closes it.
    pub fn client_outcome(&mut self, now: SimTime, user: (u16, u64), first_sent: SimTime, succeeded: bool) {
        match (succeeded, self.client_failing_since.get(&user).copied()) {
            (false, None) => {
                self.client_failing_since.insert(user, first_sent);
            }
            (true, Some(since)) => {
                self.client_failing_since.remove(&user);
                self.client_outages.push((user.0, since, now - since));
            }
            _ => {}
        }
    }

    /// CloudFront sent a GET to the secondary origin: the attempt, counted at `primary` when it was
    /// sent at `sent_at`, is served by `secondary` (counted there now) and moves away from `primary`.
    pub fn origin_failover(&mut self, now: SimTime, primary: RegionId, secondary: RegionId, sent_at: SimTime) {
        self.origin_failovers += 1;
        self.region(secondary).requests.add(now, 1);
        self.region(primary).moved_away.add(sent_at, 1);
    }

    pub fn action(&mut self, at: SimTime, action: usize, outcome: Result<String, String>) {
        self.actions.push(ActionRecord { at, action, outcome });
    }

    pub fn request_failed(&mut self, now: SimTime, region: RegionId) {
        self.failed += 1;
        self.region(region).failed.add(now, 1);
    }

    pub fn write_acked(&mut self, now: SimTime, region: RegionId, latency: SimDuration) {
        self.writes_acked += 1;
        self.write_latency.record(latency.as_nanos());
        let series = self.region(region);
        series.writes_acked.add(now, 1);
        series.latency_ok.add(now, latency.as_nanos());
    }

    pub fn read_ok(
        &mut self,
        now: SimTime,
        region: RegionId,
        latency: SimDuration,
        stale_by: Option<SimDuration>,
        stale_by_order: Option<bool>,
        session: SessionVerdict,
    ) {
        self.reads_ok += 1;
        self.stale_reads_by_store_order += u64::from(stale_by_order == Some(true));
        self.read_your_writes_violations += u64::from(session.read_your_writes_violation);
        self.monotonic_read_violations += u64::from(session.monotonic_read_violation);
        self.read_latency.record(latency.as_nanos());
        let series = self.region(region);
        series.reads_ok.add(now, 1);
        series.latency_ok.add(now, latency.as_nanos());
        if let Some(staleness) = stale_by {
            self.stale_reads += 1;
            self.staleness.record(staleness.as_nanos());
            self.region(region).stale_reads.add(now, 1);
        }
    }

    /// A write committed at `committed_at` was applied in `to` at `now`. The series files the lag
    /// under the commit's interval: "writes made then took this long to arrive here", which stays
    /// continuous through an outage, when nothing is applied at all.
    pub fn replication_applied(&mut self, now: SimTime, store: StoreId, to: RegionId, committed_at: SimTime) {
        let lag = now - committed_at;
        self.replication_lag.record(lag.as_nanos());
        self.stores[store.index()].replication_lag.record(lag.as_nanos());
        self.region(to).replication_lag.add(committed_at, lag.as_nanos());
    }

    /// A lag a channel measured and reports in its own histograms at the end of the run (quorum,
    /// Aurora): only the time series of lag into `to` takes it now, in the interval of the commit.
    pub fn replication_lag_series(&mut self, to: RegionId, committed_at: SimTime, lag: SimDuration) {
        self.region(to).replication_lag.add(committed_at, lag.as_nanos());
    }

    /// A replication whose lag the channel measured itself (S3: pipeline, network and resends).
    pub fn replication_lag_observed(&mut self, now: SimTime, store: StoreId, to: RegionId, lag: SimDuration) {
        self.replication_lag.record(lag.as_nanos());
        self.stores[store.index()].replication_lag.record(lag.as_nanos());
        let committed = SimTime::from_nanos(now.as_nanos().saturating_sub(lag.as_nanos()));
        self.region(to).replication_lag.add(committed, lag.as_nanos());
    }

    pub fn multi_step_started(&mut self) {
        self.cross_store.operations += 1;
    }

    pub fn multi_step_completed(&mut self, writes: Vec<(StoreId, crate::ids::WriteId)>) {
        self.cross_store.completed += 1;
        self.cross_store.completed_writes.push(writes);
    }

    /// A partial update of request `operation`, with `repairs` repairs under way by `strategy`.
    pub fn partial_update(&mut self, operation: u64, strategy: crate::config::PartialRepair, repairs: u32) {
        self.cross_store.partial_updates += 1;
        if repairs == 0 {
            self.cross_store.unrepaired += 1;
        } else {
            self.cross_store.outstanding.insert(operation, (repairs, strategy));
        }
    }

    pub fn repair_strategy(&self, origin: u64) -> Option<crate::config::PartialRepair> {
        self.cross_store.outstanding.get(&origin).map(|&(_, s)| s)
    }

    pub fn repair_succeeded(&mut self, origin: u64) {
        if let Some((left, _)) = self.cross_store.outstanding.get_mut(&origin) {
            *left -= 1;
            if *left == 0 {
                self.cross_store.outstanding.remove(&origin);
                self.cross_store.repaired += 1;
            }
        }
    }

    pub fn repair_gave_up(&mut self, origin: u64) {
        if self.cross_store.outstanding.remove(&origin).is_some() {
            self.cross_store.unrepaired += 1;
        }
    }

    /// A write attempt of `population` on `store` ended: acknowledged (`ok`) or failed.
    pub fn write_availability(&mut self, now: SimTime, store: StoreId, population: PopulationId, ok: bool) {
        let s = &mut self.stores[store.index()];
        match (ok, s.failing_since.get(&population).copied()) {
            (false, None) => {
                s.failing_since.insert(population, now);
            }
            (true, Some(since)) => {
                s.failing_since.remove(&population);
                s.write_unavailability.record((now - since).as_nanos());
            }
            _ => {}
        }
    }

    /// An answer from `store` reached its client (`None`: an attempt without an answer).
    pub fn store_answered(&mut self, store: StoreId, tally: Option<StoreTally>) {
        let s = &mut self.stores[store.index()];
        match tally {
            Some(StoreTally::WriteAcked) => s.writes_acked += 1,
            Some(StoreTally::Read { stale, stale_by_order }) => {
                s.reads_ok += 1;
                s.stale_reads += u64::from(stale);
                s.stale_reads_by_store_order += u64::from(stale_by_order == Some(true));
            }
            Some(StoreTally::Rejected(r)) => {
                s.rejected += 1;
                s.rejected_conflict += u64::from(r == Rejection::ReplicatedWriteConflict);
            }
            Some(StoreTally::Failed) | None => s.failed += 1,
        }
    }

    /// A store refused an attempt, as the service names it.
    pub fn request_rejected(&mut self, now: SimTime, region: RegionId, rejection: Rejection) {
        self.failed += 1;
        self.region(region).failed.add(now, 1);
        *self.rejections.entry(rejection.name()).or_insert(0) += 1;
    }

    /// Messages held or in flight for the channels at a metrics sample; the peak is kept.
    pub fn channel_messages_pending(&mut self, pending: u64) {
        self.channel_messages_pending_peak = self.channel_messages_pending_peak.max(pending);
    }

    pub fn replication_message_lost(&mut self, now: SimTime, from: RegionId) {
        self.replication_messages_lost += 1;
        self.region(from).replication_messages_lost.add(now, 1);
    }

    /// The state sampled once per interval: the health endpoint and the control plane of `region`.
    pub fn sampled(&mut self, now: SimTime, region: RegionId, health_endpoint_up: bool, control_plane_up: bool) {
        let series = self.region(region);
        series.health_endpoint_up.add(now, u64::from(health_endpoint_up));
        series.control_plane_up.add(now, u64::from(control_plane_up));
    }

    /// A channel store's own lag metrics for its replica in `region`, sampled at `now`.
    pub fn lag_sampled(&mut self, now: SimTime, region: RegionId, replication_lag: SimDuration, rpo_lag: SimDuration) {
        let series = self.region(region);
        series.sampled_replication_lag.add(now, replication_lag.as_nanos());
        series.sampled_rpo_lag.add(now, rpo_lag.as_nanos());
    }

    pub fn fault_started(&mut self, now: SimTime, fault: usize) {
        self.faults.push(FaultWindow { fault, started: now, healed: None });
    }

    pub fn fault_healed(&mut self, now: SimTime, fault: usize) {
        if let Some(w) = self.faults.iter_mut().rev().find(|w| w.fault == fault && w.healed.is_none()) {
            w.healed = Some(now);
        }
    }

    /// Takes the checker's verdicts and closes every series at `end`.
    pub fn finish(&mut self, end: SimTime, stores: &[StoreSettled<'_>], tiers: &[Option<AppTier<RequestId>>]) {
        self.end = end;
        let mut open: Vec<(u16, SimTime)> = std::mem::take(&mut self.client_failing_since)
            .into_sorted_vec()
            .into_iter()
            .map(|((population, _), since)| (population, since))
            .collect();
        open.sort_by_key(|&(population, since)| (since, population));
        self.client_outages_unrecovered = open;
        self.app_tiers = tiers
            .iter()
            .map(|t| {
                t.as_ref().map(|t| AppTierSeries {
                    servers: t.servers_series().clone(),
                    servers_busy: t.servers_busy_series().clone(),
                    queue_length: t.queue_length_series().clone(),
                    shed: t.shed_series().clone(),
                    abandoned: t.abandoned_series().clone(),
                    shed_total: t.counts().shed.get(),
                    abandoned_total: t.counts().abandoned.get(),
                })
            })
            .collect();
        for (i, store) in stores.iter().enumerate() {
            self.divergent_keys += store.divergent_keys;
            self.conflicted += store.tree.conflicted_acked();
            self.discarded_by_last_writer_wins += store.tree.discarded_acked();
            self.shadowed += store.shadowed;
            self.live_versions_max += store.tree.live_max();
            self.version_records_max += store.tree.records_max();
            self.losses.push(store.tree.losses().clone());
            self.lost.extend_from_slice(store.tree.lost());
            self.conflict_list.extend(store.tree.conflict_list());
            self.transitions.extend(store.transitions.iter().map(|t| (i, *t)));
            if let Some(t) = &store.t_visibility {
                self.t_visibility.push((i, t.clone()));
            }
            if let Some(lag) = &store.replication_lag {
                self.replication_lag.merge(lag);
                self.stores[i].replication_lag.merge(lag);
            }
            let stats = &mut self.stores[i];
            stats.conflicted = store.tree.conflicted_acked();
            stats.divergent_keys = store.divergent_keys;
            stats.shadowed = store.shadowed;
        }
        self.conflict_list.sort_by_key(|c| (c.first_seen(), c.store, c.write));
        // Writes still failing at the end were unavailable until then.
        for s in &mut self.stores {
            for since in std::mem::take(&mut s.failing_since).into_values() {
                s.write_unavailability.record(end.saturating_since(since).as_nanos());
            }
        }
        // Repairs still under way when the run ended did not repair anything.
        self.cross_store.unrepaired += self.cross_store.outstanding.len() as u64;
        self.cross_store.outstanding.clear();
        self.lost.sort_by_key(|l| (l.acked_at, l.write));
        let lost_ids: std::collections::BTreeSet<(StoreId, crate::ids::WriteId)> =
            self.lost.iter().map(|l| (l.store, l.write)).collect();
        for writes in std::mem::take(&mut self.cross_store.completed_writes) {
            let gone = writes.iter().filter(|w| lost_ids.contains(w)).count();
            if gone > 0 && gone < writes.len() {
                self.cross_store.partial_by_loss += 1;
            }
        }
        for s in 0..self.losses.len() {
            for r in 0..self.regions.len() {
                let Some(series) = self.losses[s].by_region(RegionId::new(r)) else { continue };
                for bucket in 0..series.len() {
                    let n = series.get(bucket).expect("within the series");
                    if n > 0 {
                        let at = SimTime::at(series.interval() * bucket as u64);
                        self.regions[r].lost_writes.add(at, n);
                    }
                }
            }
        }
        // Every series covers the whole run, so the table has a row per bucket and Region.
        for series in &mut self.regions {
            for counter in [
                &mut series.requests,
                &mut series.failed,
                &mut series.reads_ok,
                &mut series.writes_acked,
                &mut series.stale_reads,
                &mut series.lost_writes,
                &mut series.replication_messages_lost,
                &mut series.operations_succeeded,
                &mut series.operations_failed,
            ] {
                counter.add(end, 0);
            }
        }
    }

    pub fn lost_by(&self, cause: LossCause) -> u64 {
        self.losses.iter().map(|t| t.count(cause)).sum()
    }

    /// Buckets in every series after `finish`.
    pub fn buckets(&self) -> usize {
        self.regions.first().map_or(0, |s| s.requests.len())
    }
}
