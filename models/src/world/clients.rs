//! The client side: operations arrive (open loop, closed-loop sessions, or a replayed trace), go out
//! as attempts to the Region the router (or pinning, or read-your-writes affinity) chooses, and end
//! in success or failure after at most `max_attempts` attempts.
//!
//! An *operation* is what a user asked for; an *attempt* (a request) is one try of it. A write's
//! attempts share the operation's idempotency key. After a write succeeds, the user's reads go to
//! the Region that took it until the read-your-writes window has passed (the session cookie of
//! source 000). With pinning, a user's writes go to the user's home Region, which a re-pin action
//! moves.

use sim_core::{Outbox, Seed, SimDuration, SimTime, Stream};

use super::attempts::{Attempt, AttemptOutcome, Operation};
use super::{Event, World};
use crate::config::{Arrivals, OperationKind, PartialRepair, WorldConfig};
use crate::history::{HistoryEntry, HistoryType};
use crate::ids::{Key, PopulationId, RegionId, RequestId, StoreId};
use crate::routing::Route;
use crate::workload::arrivals::PoissonArrivals;
use crate::workload::keys::KeySampler;

/// A population's random streams and generators.
pub(super) struct Population {
    arrivals: Stream,
    operations: Stream,
    users: Stream,
    pub(super) access: Stream,
    retry: Stream,
    think: Stream,
    poisson: Option<PoissonArrivals>,
    key_samplers: Vec<KeySampler>,
    /// Cumulative weights of the operation mix.
    mix_cumulative: Vec<f64>,
}

pub(super) fn populations(config: &WorldConfig, seed: Seed) -> Vec<Population> {
    config
        .populations
        .iter()
        .map(|p| {
            let stream = |what: &str| seed.stream(&format!("population/{}/{what}", p.name));
            let poisson = match &p.arrivals {
                Arrivals::Open(profile) => Some(
                    PoissonArrivals::new(profile.clone(), SimTime::at(config.duration))
                        .expect("validated rate profile"),
                ),
                _ => None,
            };
            let mut total = 0.0;
            let mix_cumulative = p
                .operations
                .iter()
                .map(|e| {
                    total += e.weight;
                    total
                })
                .collect();
            Population {
                arrivals: stream("arrivals"),
                operations: stream("operations"),
                users: stream("users"),
                access: stream("access"),
                retry: stream("retry"),
                think: stream("think"),
                poisson,
                key_samplers: p.operations.iter().map(|e| KeySampler::new(&e.keys).expect("validated keys")).collect(),
                mix_cumulative,
            }
        })
        .collect()
}

/// What a user's session remembers.
#[derive(Clone, Copy, Debug)]
pub(super) struct UserState {
    last_write_at: SimTime,
    last_write_region: RegionId,
}

impl World {
    pub(super) fn schedule_first_operations(&mut self, schedule: &mut dyn FnMut(SimTime, Event)) {
        for i in 0..self.populations.len() {
            let population = PopulationId::new(i);
            match &self.config.populations[i].arrivals {
                Arrivals::Open(_) => {
                    let p = &mut self.populations[i];
                    let poisson = p.poisson.as_mut().expect("open loop has a Poisson process");
                    if let Some(t) = poisson.next_after(SimTime::ZERO, &mut p.arrivals) {
                        schedule(t, Event::OperationArrived { population });
                    }
                }
                Arrivals::Closed { sessions, think_time } => {
                    // Sessions start spread over one think time, not all at once.
                    for session in 0..*sessions {
                        let t = SimTime::at(think_time.sample_duration(&mut self.populations[i].think));
                        schedule(t, Event::SessionReady { population, session });
                    }
                }
                Arrivals::Trace(entries) => {
                    // Replay stops at the end of the fault phase, the first entry included.
                    if let Some(first) = entries.first()
                        && first.time < SimTime::at(self.config.duration)
                    {
                        schedule(first.time, Event::TraceOperationDue { population, index: 0 });
                    }
                }
            }
        }
    }

    fn fault_phase_over(&self, now: SimTime) -> bool {
        now >= SimTime::at(self.config.duration)
    }

    /// An open-loop arrival: draw the operation and the user, send it, schedule the next arrival.
    pub(super) fn operation_arrived(&mut self, now: SimTime, population: PopulationId, out: &mut Outbox<'_, Event>) {
        if self.fault_phase_over(now) {
            return;
        }
        let i = population.index();
        let p = &mut self.populations[i];
        let poisson = p.poisson.as_mut().expect("open loop has a Poisson process");
        if let Some(next) = poisson.next_after(now, &mut p.arrivals) {
            out.schedule_at(next, Event::OperationArrived { population });
        }
        let user = self.populations[i].users.below(self.config.populations[i].users.max(1));
        let (kind, store, key, entry) = self.draw_operation(population);
        self.start_operation(now, population, user, kind, store, key, (None, Some(entry)), out);
    }

    pub(super) fn session_ready(
        &mut self,
        now: SimTime,
        population: PopulationId,
        session: u32,
        out: &mut Outbox<'_, Event>,
    ) {
        if self.fault_phase_over(now) {
            return;
        }
        let (kind, store, key, entry) = self.draw_operation(population);
        self.start_operation(now, population, u64::from(session), kind, store, key, (Some(session), Some(entry)), out);
    }

    pub(super) fn trace_operation_due(
        &mut self,
        now: SimTime,
        population: PopulationId,
        index: usize,
        out: &mut Outbox<'_, Event>,
    ) {
        let Arrivals::Trace(entries) = &self.config.populations[population.index()].arrivals else {
            unreachable!("only trace populations schedule trace operations")
        };
        let entry = entries[index].clone();
        if let Some(next) = entries.get(index + 1)
            && next.time < SimTime::at(self.config.duration)
        {
            out.schedule_at(next.time, Event::TraceOperationDue { population, index: index + 1 });
        }
        self.start_operation(
            now,
            population,
            entry.user,
            (entry.kind, false),
            entry.store,
            entry.key,
            (None, None),
            out,
        );
    }

    /// Draws an entry of the population's operation mix, then its key.
    fn draw_operation(&mut self, population: PopulationId) -> ((OperationKind, bool), StoreId, Key, usize) {
        let i = population.index();
        let p = &mut self.populations[i];
        let total = *p.mix_cumulative.last().expect("a population has at least one operation");
        let u = p.operations.next_f64() * total;
        let entry = p.mix_cumulative.iter().position(|&c| u < c).unwrap_or(p.mix_cumulative.len() - 1);
        let key = p.key_samplers[entry].sample(&mut p.operations);
        let e = &self.config.populations[i].operations[entry];
        ((e.kind, e.consistent_read), e.store, key, entry)
    }

    #[allow(clippy::too_many_arguments)]
    fn start_operation(
        &mut self,
        now: SimTime,
        population: PopulationId,
        user: u64,
        (kind, consistent_read): (OperationKind, bool),
        store: StoreId,
        key: Key,
        (session, entry): (Option<u32>, Option<usize>),
        out: &mut Outbox<'_, Event>,
    ) {
        self.next_operation += 1;
        let operation = self.next_operation;
        let multi = entry.filter(|&e| self.config.populations[population.index()].operations[e].multi.is_some());
        if multi.is_some() {
            self.recorder.multi_step_started();
        }
        let op = Operation {
            population,
            user,
            kind,
            consistent_read,
            store,
            key,
            first_sent_at: now,
            attempts: 0,
            pending: 0,
            session,
            multi,
            step: 0,
            step_writes: Vec::new(),
            repair_of: None,
        };
        let written = (!kind.is_read()).then_some(operation);
        self.record_history(HistoryType::Invoke, operation, &op, written, None, now);
        self.operations.insert(operation, op);
        self.recorder.operation_started(now, kind);
        self.send_attempt(now, operation, out);
    }

    fn record_history(
        &mut self,
        history_type: HistoryType,
        process: u64,
        op: &Operation,
        value: Option<u64>,
        region: Option<RegionId>,
        time: SimTime,
    ) {
        if let Some(sink) = self.history.as_mut() {
            let entry = HistoryEntry {
                history_type,
                process,
                operation: op.kind,
                store: op.store,
                key: op.key,
                value,
                region,
                time,
            };
            sink.record(&entry);
        }
    }

    /// Where an attempt goes: pinned writes to the user's home, reads in the read-your-writes window
    /// to the Region of the user's last write, everything else where the routing tier says.
    fn choose_route(&mut self, now: SimTime, op: &Operation) -> Route {
        let direct = |region| Route { region, origin_failover: None, fail_open: false };
        let cfg = &self.config.populations[op.population.index()];
        // Aurora without write forwarding: writes go through the global writer endpoint, which
        // follows the writer after a delay.
        if !op.kind.is_read()
            && let super::stores::StoreState::Aurora(a) = &self.stores[op.store.index()]
            && !a.forwards_writes()
        {
            return direct(a.writer_endpoint_target());
        }
        if !op.kind.is_read() && cfg.pinning {
            return direct(self.home_of[cfg.region.index()]);
        }
        if op.kind.is_read()
            && let (Some(window), Some(state)) =
                (cfg.read_your_writes_window, self.users.get(&(op.population, op.user)))
            && now < state.last_write_at.saturating_add(window)
        {
            return direct(state.last_write_region);
        }
        self.routing.route(now, op.population, op.user, op.kind.is_read())
    }

    pub(super) fn send_attempt(&mut self, now: SimTime, operation: u64, out: &mut Outbox<'_, Event>) {
        let op = self.operations.get(&operation).expect("a live operation").clone();
        let route = self.choose_route(now, &op);
        let region = route.region;
        if route.fail_open {
            self.recorder.fail_open_answer();
        }
        let cfg = &self.config.populations[op.population.index()];
        let delay = cfg.latency[region.index()].sample(&mut self.populations[op.population.index()].access);
        let request = RequestId(self.next_request);
        self.next_request += 1;
        // One lane per population: its timeouts are one fixed delay apart from a clock that never
        // goes back, so they come due in the order they were set, and nearly all are cancelled.
        let timeout = out.schedule_in_lane(op.population.index(), cfg.timeout, Event::RequestTimedOut { request });
        out.schedule_in(delay, Event::RequestArrivedAtRegion { request });
        let (newest_acked, newest_acked_order) = match op.kind {
            OperationKind::Read => {
                let ledger = self.stores[op.store.index()].ledger();
                (ledger.snapshot_newest_acked(op.key), ledger.snapshot_order(op.key))
            }
            _ => (None, None),
        };
        let o = self.operations.get_mut(&operation).expect("a live operation");
        o.attempts += 1;
        o.pending += 1;
        self.recorder.request_sent(now, region);
        self.recorder.attempt_used(op.population, op.kind.is_read());
        let mut attempt = Attempt::new(operation, &op, region, now, timeout, newest_acked, newest_acked_order);
        attempt.origin_failover = route.origin_failover;
        self.pending.insert(request, attempt);
    }

    /// Whether an attempt of `operation` may still reach a store: the operation has not ended, or
    /// one of its attempts is still on its way (the client gave up on it, the network did not).
    pub(super) fn operation_may_ask(&self, operation: u64) -> bool {
        self.operations.contains_key(&operation) || self.stragglers.contains_key(&operation)
    }

    /// `operation` ended with `pending` attempts still on their way: once none can come, the
    /// tables forget its idempotency records.
    fn operation_removed(&mut self, operation: u64, pending: u32) {
        if pending > 0 {
            self.stragglers.insert(operation, pending);
            return;
        }
        for store in &mut self.stores {
            if store.is_mrec() {
                store.mrec().forget_operation(operation);
            }
        }
    }

    /// An attempt of `operation` left `pending`.
    pub(super) fn attempt_settled(&mut self, operation: u64) {
        if let Some(o) = self.operations.get_mut(&operation) {
            o.pending -= 1;
            return;
        }
        let n = self.stragglers.get_mut(&operation).expect("an ended operation's attempts are counted");
        *n -= 1;
        if *n == 0 {
            self.stragglers.remove(&operation);
            self.operation_removed(operation, 0);
        }
    }

    /// An attempt ended for the client: finish the operation or try again.
    pub(super) fn attempt_ended(
        &mut self,
        now: SimTime,
        operation: u64,
        region: RegionId,
        outcome: AttemptOutcome,
        out: &mut Outbox<'_, Event>,
    ) {
        let op = self.operations.get(&operation).expect("a live operation").clone();
        let cfg = &self.config.populations[op.population.index()];
        match outcome {
            AttemptOutcome::Succeeded { value, write } => {
                if !op.kind.is_read() {
                    self.users
                        .insert((op.population, op.user), UserState { last_write_at: now, last_write_region: region });
                }
                if let Some(origin) = op.repair_of {
                    let gone = self.operations.remove(&operation).expect("a live operation");
                    self.operation_removed(operation, gone.pending);
                    self.recorder.repair_succeeded(origin);
                    return;
                }
                if let Some(entry) = op.multi {
                    let steps = &cfg.operations[entry].multi.as_ref().expect("a multi-step line").steps;
                    let next = op.step + 1;
                    let next_store = steps.get(next).copied();
                    let o = self.operations.get_mut(&operation).expect("a live operation");
                    o.step_writes.extend(write.map(|w| (op.store, w)));
                    if let Some(store) = next_store {
                        // The next step: a new write on the next store, with fresh attempts.
                        o.step = next;
                        o.store = store;
                        o.attempts = 0;
                        return self.send_attempt(now, operation, out);
                    }
                    let writes = o.step_writes.clone();
                    self.recorder.multi_step_completed(writes);
                }
                self.finish_operation(now, operation, (HistoryType::Ok, value), region, out);
            }
            AttemptOutcome::Retryable { .. } if op.attempts < cfg.retry.max_attempts => {
                let ceiling =
                    cfg.retry.base_delay.checked_mul(1u64 << (op.attempts - 1).min(40)).unwrap_or(SimDuration::MAX);
                let ceiling = ceiling.min(cfg.retry.max_delay);
                let jitter = self.populations[op.population.index()].retry.next_f64();
                let delay = SimDuration::from_nanos_f64(ceiling.as_nanos() as f64 * jitter);
                self.recorder.retry_scheduled(now);
                out.schedule_in(delay, Event::RetryDue { operation });
            }
            _ if op.repair_of.is_some() => self.repair_failed(now, operation, out),
            AttemptOutcome::Retryable { definite } => {
                self.partial_update(now, operation, out);
                let how = if definite { HistoryType::Fail } else { HistoryType::Info };
                self.finish_operation(now, operation, (how, None), region, out)
            }
            AttemptOutcome::Final => {
                self.partial_update(now, operation, out);
                self.finish_operation(now, operation, (HistoryType::Fail, None), region, out)
            }
        }
    }

    /// A multi-store write failed for good at a step after earlier steps succeeded: a partial
    /// cross-store update, repaired as the scenario says.
    fn partial_update(&mut self, now: SimTime, operation: u64, out: &mut Outbox<'_, Event>) {
        let op = self.operations[&operation].clone();
        let Some(entry) = op.multi else { return };
        if op.step_writes.is_empty() {
            return; // Nothing was written: not partial.
        }
        let repair = self.config.populations[op.population.index()].operations[entry]
            .multi
            .as_ref()
            .expect("a multi-step line")
            .on_partial;
        let repairs = match repair {
            PartialRepair::Leave => 0,
            PartialRepair::Retry { .. } => 1,
            PartialRepair::Compensate => op.step_writes.len() as u32,
        };
        self.recorder.partial_update(operation, repair, repairs);
        match repair {
            PartialRepair::Leave => {}
            PartialRepair::Retry { after } => {
                let repair = self.spawn_repair(now, &op, operation, op.store, OperationKind::Write);
                out.schedule_in(after, Event::RetryDue { operation: repair });
            }
            PartialRepair::Compensate => {
                for &(store, _) in &op.step_writes {
                    let repair = self.spawn_repair(now, &op, operation, store, OperationKind::Delete);
                    self.send_attempt(now, repair, out);
                }
            }
        }
    }

    /// An application-side operation repairing `origin`.
    fn spawn_repair(&mut self, now: SimTime, op: &Operation, origin: u64, store: StoreId, kind: OperationKind) -> u64 {
        self.next_operation += 1;
        let repair = Operation {
            kind,
            store,
            first_sent_at: now,
            attempts: 0,
            pending: 0,
            session: None,
            multi: None,
            step: 0,
            step_writes: Vec::new(),
            repair_of: Some(origin),
            ..op.clone()
        };
        self.operations.insert(self.next_operation, repair);
        self.next_operation
    }

    /// A repair gave up its attempts: a retry repair tries again later while the fault phase lasts;
    /// a compensation that fails leaves the update partial.
    fn repair_failed(&mut self, now: SimTime, operation: u64, out: &mut Outbox<'_, Event>) {
        let op = self.operations[&operation].clone();
        let origin = op.repair_of.expect("a repair");
        let entry_repair = self.recorder.repair_strategy(origin);
        match entry_repair {
            Some(PartialRepair::Retry { after }) if now < SimTime::at(self.config.duration) => {
                self.operations.get_mut(&operation).expect("a live repair").attempts = 0;
                out.schedule_in(after, Event::RetryDue { operation });
            }
            _ => {
                let gone = self.operations.remove(&operation).expect("a live repair");
                self.operation_removed(operation, gone.pending);
                self.recorder.repair_gave_up(origin);
            }
        }
    }

    /// Ends an operation as `(how, value)`: Ok (succeeded), Fail (certainly not done) or Info
    /// (unknown, after a timeout).
    fn finish_operation(
        &mut self,
        now: SimTime,
        operation: u64,
        (how, value): (HistoryType, Option<u64>),
        region: RegionId,
        out: &mut Outbox<'_, Event>,
    ) {
        let op = self.operations.remove(&operation).expect("a live operation");
        self.operation_removed(operation, op.pending);
        let region_of_client = self.config.populations[op.population.index()].region;
        let succeeded = how == HistoryType::Ok;
        self.recorder.operation_ended(now, region_of_client, op.kind, succeeded, now - op.first_sent_at);
        self.recorder.client_outcome(now, (op.population.index() as u16, op.user), op.first_sent_at, succeeded);
        // A write's completion carries the value it wrote, whatever became of it (Jepsen's rule).
        let value = if op.kind.is_read() { value } else { Some(operation) };
        self.record_history(how, operation, &op, value, Some(region), now);
        if let (Some(session), Arrivals::Closed { think_time, .. }) =
            (op.session, &self.config.populations[op.population.index()].arrivals)
        {
            let think = think_time.sample_duration(&mut self.populations[op.population.index()].think);
            let population = op.population;
            out.schedule_in(think, Event::SessionReady { population, session });
        }
    }
}

/// What the world keeps about users, by (population, user).
/// Looked up only (never iterated).
pub(super) type Users = sim_core::LookupMap<(PopulationId, u64), UserState>;
