//! The world of a run: clients, Regions, data stores and their replication, faults, and the
//! checker, as one sans-IO state machine driven by [`Event`]s.
//!
//! The closed `Event` enum below is the table of contents of the world: every transition is one of
//! its variants, handled by one exhaustive `match`. The transitions themselves live by concern:
//! `clients` (operations, attempts, retries, sessions), `requests` (an attempt at the Region: app
//! tier, store, answer), `replication` (a write's journey to the other replicas through the network
//! and its faults), `actions` (runbook actions). Faults start and heal as events; when
//! one heals, everything that waited for it goes again.

mod actions;
mod attempts;
mod clients;
mod replication;
mod requests;
mod routing;
mod stores;

use std::collections::BTreeMap;

use sim_core::{LookupMap, Model, Outbox, Seed, SimTime, Stream};

use crate::alarm::Alarm;
use crate::apptier::AppTier;
use crate::config::Trigger;
use crate::config::WorldConfig;
use crate::faults::{FaultKind, FaultState, OutageScope};
use crate::history::HistorySink;
use crate::ids::{PopulationId, RegionId, RequestId, StoreId};
use crate::report::Recorder;
use crate::routing::RoutingTier;
use crate::stores::mrec::Shipment;
pub use attempts::Answer;
use attempts::{Attempt, Operation};
use clients::{Population, Users};
use replication::Waiting;
use stores::Backlog;
use stores::StoreState;
pub use stores::{ChannelMessage, ChannelTimer};

/// Everything that can happen in the world.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub enum Event {
    /// An open-loop population's next operation arrives.
    OperationArrived {
        population: PopulationId,
    },
    /// A closed-loop session is done thinking and sends its next operation.
    SessionReady {
        population: PopulationId,
        session: u32,
    },
    /// The next operation of a replayed trace is due.
    TraceOperationDue {
        population: PopulationId,
        index: usize,
    },
    /// The backoff before an operation's next attempt is over.
    RetryDue {
        operation: u64,
    },
    RequestArrivedAtRegion {
        request: RequestId,
    },
    /// A server of the Region's app tier finished the attempt.
    ServiceCompleted {
        region: RegionId,
        request: RequestId,
    },
    ResponseArrivedAtClient {
        request: RequestId,
    },
    RequestTimedOut {
        request: RequestId,
    },
    /// The writing Region's replication pipeline ships a write to the other replicas.
    ReplicationShipped {
        store: StoreId,
        shipment: Shipment,
        from: RegionId,
    },
    /// A copy of a write reaches the replica in `to`.
    ReplicationArrived {
        store: StoreId,
        shipment: Shipment,
        from: RegionId,
        to: RegionId,
    },
    FaultStarted {
        fault: usize,
    },
    FaultHealed {
        fault: usize,
    },
    /// A channel's message reaches `to`.
    ChannelMessageArrived {
        store: StoreId,
        from: RegionId,
        to: RegionId,
        /// Boxed, as in every variant below with a large payload: every pending event takes the
        /// size of the largest variant in the queue, which every push and pop moves.
        message: Box<ChannelMessage>,
        reliable: bool,
    },
    /// The resend timer of a channel link's backlog of reliable messages is due.
    ChannelBacklogDue {
        store: StoreId,
        from: RegionId,
        to: RegionId,
    },
    ChannelTimerFired {
        store: StoreId,
        timer: Box<ChannelTimer>,
    },
    /// A channel store's answer to an attempt leaves the Region (already judged, for a read).
    StoreAnswered {
        store: StoreId,
        request: RequestId,
        answer: Answer,
    },
    /// A runbook action is due.
    ActionDue {
        action: usize,
    },
    /// Servers of a scale-out are ready.
    ScaleOutReady {
        region: RegionId,
        servers: u32,
    },
    /// Once per metrics interval during the fault phase: sample the state no event reports (health
    /// endpoints, control planes).
    MetricsSampled,
    /// A checker of a health check probes its endpoint.
    HealthProbeDue {
        check: usize,
        checker: u32,
    },
    /// A probe's result (at once for an answer, after the probe timeout for none).
    HealthProbeResult {
        check: usize,
        checker: u32,
        passed: bool,
    },
    /// CloudFront gives up connecting to the primary origin and sends the request to the secondary.
    OriginFailover {
        request: RequestId,
    },
    /// A Route 53 record change (action) has reached the authoritative servers.
    RecordChangeApplied {
        action: usize,
    },
    /// Is the condition of a triggered action still met (a Region unhealthy long enough)?
    ConditionChecked {
        action: usize,
    },
    /// An alarm's period ends: it evaluates.
    AlarmEvaluated {
        alarm: usize,
    },
}

/// The state of a run.
pub struct World {
    config: WorldConfig,
    populations: Vec<Population>,
    /// `links[from][to]`: the stream of that link's delays and losses.
    links: Vec<Vec<Stream>>,
    stores: Vec<StoreState>,
    /// The app tier of each Region, where the scenario models one.
    tiers: Vec<Option<AppTier<RequestId>>>,
    /// Service-time streams, by Region.
    service: Vec<Stream>,
    faults: FaultState,
    routing: RoutingTier,
    alarms: Vec<Alarm>,
    /// Triggered actions already set off (each fires once).
    actions_fired: Vec<bool>,
    /// Where users whose home is Region i write now (re-pinning moves it).
    home_of: Vec<RegionId>,
    users: Users,
    /// Replication messages waiting for a fault to heal.
    waiting: Vec<Waiting>,
    /// Channels' reliable messages not delivered yet, per (store, from, to) link.
    backlogs: BTreeMap<(StoreId, RegionId, RegionId), Backlog>,
    /// Channel messages on their way (scheduled to arrive, not arrived yet).
    channel_messages_in_flight: u64,
    /// Operations and attempts in flight, looked up only (never iterated).
    operations: LookupMap<u64, Operation>,
    pending: LookupMap<RequestId, Attempt>,
    /// Operations that ended with attempts still in `pending`: how many (looked up only).
    stragglers: LookupMap<u64, u32>,
    next_operation: u64,
    next_request: u64,
    next_write: u64,
    /// Where operation histories go, when the run keeps one.
    history: Option<Box<dyn HistorySink>>,
    /// With a history: the operation behind each channel store's write, so a read's value can be
    /// named. Grows with the writes of the run, which is why only histories pay for it.
    history_writes: BTreeMap<(StoreId, crate::ids::WriteId), u64>,
    pub recorder: Recorder,
}

impl World {
    /// Builds the world and schedules its first events through `schedule`.
    pub fn new(config: WorldConfig, seed: Seed, schedule: &mut dyn FnMut(SimTime, Event)) -> Self {
        let topology = &config.topology;
        let links = topology
            .regions()
            .map(|from| {
                topology
                    .regions()
                    .map(|to| seed.stream(&format!("link/{}/{}", topology.name(from), topology.name(to))))
                    .collect()
            })
            .collect();
        let mut stores: Vec<stores::StoreState> =
            config.stores.iter().enumerate().map(|(i, s)| stores::build(StoreId::new(i), s, topology, seed)).collect();
        // Lost writes are counted as they are decided; they are listed one by one only with the
        // conflict list, or where a cross-store operation must learn whether all its writes
        // survived.
        let multi_step = config.populations.iter().any(|p| p.operations.iter().any(|o| o.multi.is_some()));
        for store in &mut stores {
            let tree = store.ledger().tree_mut();
            tree.stream_losses(config.metrics_interval, multi_step || config.list_conflicts);
            if config.list_conflicts {
                tree.keep_conflict_list();
            }
        }
        let faults = FaultState::new(config.faults.clone(), topology.len(), config.stores.len());
        let fault_phase_end = SimTime::at(config.duration);
        for (fault, f) in config.faults.iter().enumerate() {
            if f.start >= fault_phase_end {
                continue;
            }
            schedule(f.start, Event::FaultStarted { fault });
            if let Some(end) = f.end {
                schedule(end.min(fault_phase_end), Event::FaultHealed { fault });
            }
        }
        for (action, a) in config.actions.iter().enumerate() {
            if let Trigger::At(at) = a.trigger {
                schedule(at + a.reaction_time, Event::ActionDue { action });
            }
        }
        schedule(SimTime::ZERO, Event::MetricsSampled);
        let clients: Vec<crate::routing::Clients<'_>> = config
            .populations
            .iter()
            .map(|p| crate::routing::Clients {
                name: &p.name,
                region: p.region,
                latency: &p.latency,
                routing: &p.routing,
            })
            .collect();
        let routing = RoutingTier::new(&config.routing, &config.topology, &clients, seed);
        for (check, c) in routing.checks().iter().enumerate() {
            for checker in 0..c.check.checkers() {
                let at = c.check.first_probe(checker);
                if at < fault_phase_end {
                    schedule(at, Event::HealthProbeDue { check, checker: checker as u32 });
                }
            }
        }
        for (alarm, a) in config.alarms.iter().enumerate() {
            if SimTime::at(a.period) < fault_phase_end {
                schedule(SimTime::at(a.period), Event::AlarmEvaluated { alarm });
            }
        }
        let tiers =
            config.app_tiers.iter().map(|t| t.as_ref().map(|t| AppTier::new(t, config.metrics_interval))).collect();
        let service =
            topology.regions().map(|r| seed.stream(&format!("region/{}/service", topology.name(r)))).collect();
        let mut world = World {
            populations: clients::populations(&config, seed),
            recorder: Recorder::new(&config),
            routing,
            alarms: config.alarms.iter().cloned().map(Alarm::new).collect(),
            actions_fired: vec![false; config.actions.len()],
            home_of: config.topology.regions().collect(),
            config,
            links,
            stores,
            tiers,
            service,
            faults,
            users: Users::new(),
            waiting: Vec::new(),
            backlogs: BTreeMap::new(),
            channel_messages_in_flight: 0,
            operations: LookupMap::new(),
            stragglers: LookupMap::new(),
            pending: LookupMap::new(),
            next_operation: 0,
            next_request: 0,
            next_write: 0,
            history: None,
            history_writes: BTreeMap::new(),
        };
        world.schedule_first_operations(schedule);
        world
    }

    /// Reports every operation's invocation and completion to `sink` from now on.
    pub fn keep_history(&mut self, sink: Box<dyn HistorySink>) {
        self.history = Some(sink);
    }

    /// The history sink, back from the world at the end of a run.
    pub fn take_history(&mut self) -> Option<Box<dyn HistorySink>> {
        self.history.take()
    }

    pub fn config(&self) -> &WorldConfig {
        &self.config
    }

    /// Settles what the drain phase leaves: holds of the newest acknowledged writes, replicas and
    /// messages of Regions that never came back. Then every verdict is final.
    pub fn finish(&mut self, now: SimTime) {
        self.abandon_waiting(now);
        let down: Vec<bool> = self.config.topology.regions().map(|r| self.faults.region_down(r)).collect();
        for store in &mut self.stores {
            store.store_mut().finish(now, &down);
        }
        for tier in self.tiers.iter_mut().flatten() {
            tier.finish(now);
        }
        let settled: Vec<_> = self.stores.iter().map(|s| s.settled()).collect();
        self.recorder.route53_queries(self.routing.route53_queries().to_vec());
        self.recorder.finish(now, &settled, &self.tiers);
    }

    fn fault_started(&mut self, now: SimTime, fault: usize, out: &mut Outbox<'_, Event>) {
        self.faults.start(fault, now);
        self.recorder.fault_started(now, fault);
        if let FaultKind::ReplicationImpairment { store, .. } = self.faults.fault(fault).kind {
            self.replication_slowdown_changed(store);
        }
        match self.faults.fault(fault).kind {
            FaultKind::RegionOutage { region, scope: OutageScope::Region, .. } => {
                self.stores_region_changed(now, region, false, None, out);
            }
            FaultKind::RegionOutage { region, scope: OutageScope::Store(store), .. } => {
                self.stores_region_changed(now, region, false, Some(store), out);
            }
            _ => {}
        }
        if let FaultKind::RegionOutage { region, scope: OutageScope::Region | OutageScope::AppTier, .. } =
            self.faults.fault(fault).kind
        {
            self.app_tier_failed(now, region, out);
        }
    }

    fn fault_healed(&mut self, now: SimTime, fault: usize, out: &mut Outbox<'_, Event>) {
        if !self.faults.is_active(fault) {
            return;
        }
        self.faults.heal(fault);
        self.recorder.fault_healed(now, fault);
        if let FaultKind::ReplicationImpairment { store, .. } = self.faults.fault(fault).kind {
            self.replication_slowdown_changed(store);
        }
        match self.faults.fault(fault).kind {
            FaultKind::RegionOutage { region, scope: OutageScope::Region, .. } if !self.faults.region_down(region) => {
                // Stores that another outage still keeps down stay down.
                for i in 0..self.stores.len() {
                    let store = crate::ids::StoreId::new(i);
                    if self.faults.store_up(store, region) {
                        self.stores_region_changed(now, region, true, Some(store), out);
                    }
                }
            }
            FaultKind::RegionOutage { region, scope: OutageScope::Store(store), .. }
                if self.faults.store_up(store, region) =>
            {
                self.stores_region_changed(now, region, true, Some(store), out);
            }
            _ => {}
        }
        for r in self.config.topology.regions() {
            let serving = !self.faults.region_down(r) && !self.faults.app_tier_down(r);
            if let Some(tier) = self.tiers[r.index()].as_mut()
                && serving
                && !tier.is_up()
            {
                tier.recover(now);
            }
        }
        self.release_waiting(out);
    }

    fn metrics_sampled(&mut self, now: SimTime, out: &mut Outbox<'_, Event>) {
        for r in self.config.topology.regions() {
            let health = self.faults.health_endpoint_up(r, now);
            let control_plane = self.faults.control_plane_up(r);
            self.recorder.sampled(now, r, health, control_plane);
        }
        // Channel stores that measure their replicas' lag themselves report it as CloudWatch does,
        // sampled once per interval (Aurora's AuroraGlobalDBReplicationLag and RPO lag).
        let mut lags = Vec::new();
        for (i, store) in self.stores.iter().enumerate() {
            if let stores::StoreState::Aurora(a) = store {
                for lag in a.lags(now) {
                    self.recorder.lag_sampled(now, lag.region, lag.replication_lag, lag.rpo_lag);
                    lags.push((crate::ids::StoreId::new(i), lag));
                }
            }
        }
        self.observe_sampled(now, &lags);
        let pending = self.channel_messages_pending();
        self.recorder.channel_messages_pending(pending);
        let next = now + self.config.metrics_interval;
        if next < SimTime::at(self.config.duration) {
            out.schedule_at(next, Event::MetricsSampled);
        }
    }
}

impl Model for World {
    type Event = Event;

    fn handle(&mut self, now: SimTime, event: Event, out: &mut Outbox<'_, Event>) {
        match event {
            Event::OperationArrived { population } => self.operation_arrived(now, population, out),
            Event::SessionReady { population, session } => self.session_ready(now, population, session, out),
            Event::TraceOperationDue { population, index } => self.trace_operation_due(now, population, index, out),
            Event::RetryDue { operation } => self.send_attempt(now, operation, out),
            Event::RequestArrivedAtRegion { request } => self.request_arrived(now, request, out),
            Event::ServiceCompleted { region, request } => self.service_completed(now, region, request, out),
            Event::ResponseArrivedAtClient { request } => self.response_arrived(now, request, out),
            Event::RequestTimedOut { request } => self.request_timed_out(now, request, out),
            Event::ReplicationShipped { store, shipment, from } => {
                self.replication_shipped(now, store, shipment, from, out)
            }
            Event::ReplicationArrived { store, shipment, from, to } => {
                self.replication_arrived(now, store, shipment, from, to, out)
            }
            Event::FaultStarted { fault } => self.fault_started(now, fault, out),
            Event::FaultHealed { fault } => self.fault_healed(now, fault, out),
            Event::ChannelMessageArrived { store, from, to, message, reliable } => {
                self.channel_message_arrived(now, store, from, to, *message, reliable, out)
            }
            Event::ChannelBacklogDue { store, from, to } => self.channel_backlog_due(store, from, to, out),
            Event::ChannelTimerFired { store, timer } => self.channel_timer_fired(now, store, *timer, out),
            Event::StoreAnswered { store, request, answer } => self.store_answered(now, store, request, answer, out),
            Event::ActionDue { action } => self.action_due(now, action, out),
            Event::ScaleOutReady { region, servers } => self.scale_out_ready(now, region, servers, out),
            Event::MetricsSampled => self.metrics_sampled(now, out),
            Event::HealthProbeDue { check, checker } => self.health_probe_due(now, check, checker, out),
            Event::HealthProbeResult { check, checker, passed } => {
                self.health_probe_result(now, check, checker, passed, out)
            }
            Event::OriginFailover { request } => self.origin_failover(now, request, sim_core::SimDuration::ZERO, out),
            Event::RecordChangeApplied { action } => self.record_change_applied(now, action),
            Event::ConditionChecked { action } => self.condition_checked(now, action, out),
            Event::AlarmEvaluated { alarm } => self.alarm_evaluated(now, alarm, out),
        }
    }
}
