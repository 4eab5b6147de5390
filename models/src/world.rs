//! The world of a run: clients, Regions, a DynamoDB MREC table per store, faults, and the checker,
//! as one sans-IO state machine driven by [`Event`]s.
//!
//! The closed `Event` enum below is the table of contents of the world: every transition is one of
//! its variants, handled by one exhaustive `match`. Requests travel client -> Region -> client with
//! a sampled one-way latency each way; a request to a Region that is down gets no answer and fails
//! by timeout, as a real client would see it. Replication is two steps: the writing Region's
//! pipeline ships the write after a sampled delay (a Region that is down ships nothing until it is
//! back), then each other replica receives it after the link's one-way delay (a replica that is
//! down receives it when it is back). Clients reach the Region they are configured with: the static
//! router the routing tier will replace.

use sim_core::{EventId, Model, Outbox, SimTime, Stream};

use crate::config::{FaultKind, KeyChoice, WorldConfig};
use crate::ids::{Key, PopulationId, RegionId, RequestId, StoreId, WriteId};
use crate::mrec::{Shipment, Table};
use crate::report::Recorder;

/// Everything that can happen in the world.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub enum Event {
    /// A client of the population sends its next request.
    ClientRequestSent {
        population: PopulationId,
    },
    RequestArrivedAtRegion {
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
    ReplicationArrived {
        store: StoreId,
        shipment: Shipment,
        to: RegionId,
    },
    FaultStarted {
        fault: usize,
    },
    FaultHealed {
        fault: usize,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Operation {
    Read,
    Write,
}

/// What the Region answered, carried back to the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Answer {
    Written { write: WriteId },
    Read { stale_by: Option<sim_core::SimDuration> },
}

#[derive(Clone, Debug)]
struct PendingRequest {
    population: PopulationId,
    operation: Operation,
    key: Key,
    region: RegionId,
    sent_at: SimTime,
    timeout: EventId,
    /// For a read: the newest write acknowledged when the read began, held until it is compared.
    newest_acked: Option<WriteId>,
    answer: Option<Answer>,
}

struct Population {
    arrivals: Stream,
    operations: Stream,
    access: Stream,
}

/// The state of a run.
pub struct World {
    config: WorldConfig,
    populations: Vec<Population>,
    /// `links[from][to]`: the stream of one-way delays of that link.
    links: Vec<Vec<Stream>>,
    tables: Vec<Table>,
    /// Outages in force per Region (faults may overlap).
    outages: Vec<u32>,
    pending: std::collections::BTreeMap<RequestId, PendingRequest>,
    next_request: u64,
    next_write: u64,
    pub recorder: Recorder,
}

impl World {
    /// Builds the world and schedules its first events through `schedule`.
    pub fn new(config: WorldConfig, seed: sim_core::Seed, schedule: &mut dyn FnMut(SimTime, Event)) -> Self {
        let topology = &config.topology;
        let populations: Vec<Population> = config
            .populations
            .iter()
            .map(|p| Population {
                arrivals: seed.stream(&format!("population/{}/arrivals", p.name)),
                operations: seed.stream(&format!("population/{}/operations", p.name)),
                access: seed.stream(&format!("population/{}/access", p.name)),
            })
            .collect();
        let links = topology
            .regions()
            .map(|from| {
                topology
                    .regions()
                    .map(|to| seed.stream(&format!("link/{}/{}", topology.name(from), topology.name(to))))
                    .collect()
            })
            .collect();
        let tables = config
            .stores
            .iter()
            .enumerate()
            .map(|(i, s)| {
                Table::new(StoreId::new(i), s, topology.len(), seed.stream(&format!("store/{}/replication", s.name)))
            })
            .collect();
        let recorder = Recorder::new(&config);
        let outages = vec![0; topology.len()];
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
        let mut world = World {
            config,
            populations,
            links,
            tables,
            outages,
            pending: Default::default(),
            next_request: 0,
            next_write: 0,
            recorder,
        };
        // Poisson arrivals start one exponential gap after time zero, not at zero.
        for i in 0..world.populations.len() {
            let population = PopulationId::new(i);
            let gap = world.arrival_gap(population);
            schedule(SimTime::at(gap), Event::ClientRequestSent { population });
        }
        world
    }

    /// An exponential gap with mean 1/rate: the time to the population's next request.
    fn arrival_gap(&mut self, population: PopulationId) -> sim_core::SimDuration {
        let rate = self.config.populations[population.index()].rate_per_sec;
        let u = self.populations[population.index()].arrivals.next_f64_open0();
        sim_core::SimDuration::from_secs_f64(-libm::log(u) / rate)
    }

    pub fn config(&self) -> &WorldConfig {
        &self.config
    }

    fn is_up(&self, r: RegionId) -> bool {
        self.outages[r.index()] == 0
    }

    fn fresh_write(&mut self) -> WriteId {
        self.next_write += 1;
        WriteId(self.next_write)
    }

    /// Settles what the drain phase leaves: holds of the newest acknowledged writes, messages
    /// stranded by permanent outages. Then every verdict is final.
    pub fn finish(&mut self, now: SimTime) {
        let down: Vec<bool> = self.outages.iter().map(|&n| n > 0).collect();
        for table in &mut self.tables {
            table.finish(now, &down);
        }
        self.recorder.finish(now, &self.tables);
    }

    fn send_request(&mut self, now: SimTime, population: PopulationId, out: &mut Outbox<'_, Event>) {
        if now >= SimTime::at(self.config.duration) {
            return;
        }
        let gap = self.arrival_gap(population);
        out.schedule_in(gap, Event::ClientRequestSent { population });
        let cfg = &self.config.populations[population.index()];
        let p = &mut self.populations[population.index()];
        let operation = if p.operations.chance(cfg.read_fraction) { Operation::Read } else { Operation::Write };
        let key = match cfg.keys {
            KeyChoice::Hot { count } => Key(p.operations.below(count)),
        };
        let delay = cfg.access_latency.sample_duration(&mut p.access);
        let (region, store, timeout_after) = (cfg.region, cfg.store, cfg.timeout);
        let request = RequestId(self.next_request);
        self.next_request += 1;
        let timeout = out.schedule_in(timeout_after, Event::RequestTimedOut { request });
        out.schedule_in(delay, Event::RequestArrivedAtRegion { request });
        let newest_acked = match operation {
            Operation::Read => self.tables[store.index()].snapshot_newest_acked(key),
            Operation::Write => None,
        };
        self.recorder.request_sent(now, region);
        let pending =
            PendingRequest { population, operation, key, region, sent_at: now, timeout, newest_acked, answer: None };
        self.pending.insert(request, pending);
    }

    fn request_arrived(&mut self, now: SimTime, request: RequestId, out: &mut Outbox<'_, Event>) {
        let Some(req) = self.pending.get(&request) else { return };
        if !self.is_up(req.region) {
            return; // No answer: the client will time out.
        }
        let (region, key, operation, population) = (req.region, req.key, req.operation, req.population);
        let store = self.config.populations[population.index()].store;
        let answer = match operation {
            Operation::Write => {
                let write = self.fresh_write();
                let (ship_delay, shipment) = self.tables[store.index()].write_local(now, region, key, write);
                out.schedule_in(ship_delay, Event::ReplicationShipped { store, shipment, from: region });
                Answer::Written { write }
            }
            Operation::Read => {
                let req = self.pending.get_mut(&request).expect("checked above");
                let (snapshot, began) = (req.newest_acked.take(), req.sent_at);
                let stale_by = self.tables[store.index()].read_local(now, region, key, began, snapshot);
                Answer::Read { stale_by }
            }
        };
        let access_latency = &self.config.populations[population.index()].access_latency;
        let delay = access_latency.sample_duration(&mut self.populations[population.index()].access);
        self.pending.get_mut(&request).expect("checked above").answer = Some(answer);
        out.schedule_in(delay, Event::ResponseArrivedAtClient { request });
    }

    fn response_arrived(&mut self, now: SimTime, request: RequestId, out: &mut Outbox<'_, Event>) {
        let Some(req) = self.pending.remove(&request) else { return };
        out.cancel(req.timeout);
        let store = self.config.populations[req.population.index()].store;
        let latency = now - req.sent_at;
        match req.answer.expect("a response carries an answer") {
            Answer::Written { write } => {
                self.tables[store.index()].acknowledge(now, req.key, write);
                self.recorder.write_acked(now, req.region, latency);
            }
            Answer::Read { stale_by } => self.recorder.read_ok(now, req.region, latency, stale_by),
        }
    }

    fn request_timed_out(&mut self, now: SimTime, request: RequestId) {
        let Some(req) = self.pending.remove(&request) else { return };
        let store = self.config.populations[req.population.index()].store;
        let table = &mut self.tables[store.index()];
        if let Some(snapshot) = req.newest_acked {
            table.release(snapshot, now);
        }
        if let Some(Answer::Written { write }) = req.answer {
            // Applied but never acknowledged: the response's hold goes, the write stays in play.
            table.release(write, now);
        }
        self.recorder.request_failed(now, req.region);
    }

    fn replication_shipped(
        &mut self,
        now: SimTime,
        store: StoreId,
        shipment: Shipment,
        from: RegionId,
        out: &mut Outbox<'_, Event>,
    ) {
        if !self.is_up(from) {
            self.tables[store.index()].hold_outgoing(from, shipment);
            return;
        }
        let targets = self.tables[store.index()].ship(now, &shipment, from);
        for to in targets {
            let delay = self.config.topology.sample_delay(from, to, &mut self.links[from.index()][to.index()]);
            out.schedule_in(delay, Event::ReplicationArrived { store, shipment, to });
        }
    }

    fn replication_arrived(&mut self, now: SimTime, store: StoreId, shipment: Shipment, to: RegionId) {
        if !self.is_up(to) {
            self.tables[store.index()].hold_incoming(to, shipment);
            return;
        }
        self.tables[store.index()].apply_remote(now, to, &shipment, &mut self.recorder);
    }

    fn fault_started(&mut self, now: SimTime, fault: usize) {
        let FaultKind::RegionOutage { region } = self.config.faults[fault].kind;
        self.outages[region.index()] += 1;
        self.recorder.fault_started(now, fault);
    }

    fn fault_healed(&mut self, now: SimTime, fault: usize, out: &mut Outbox<'_, Event>) {
        let FaultKind::RegionOutage { region } = self.config.faults[fault].kind;
        self.outages[region.index()] -= 1;
        self.recorder.fault_healed(now, fault);
        if !self.is_up(region) {
            return;
        }
        // Back: the pipeline ships what it held, and the replica takes what waited for it.
        for (i, table) in self.tables.iter_mut().enumerate() {
            let store = StoreId::new(i);
            let (outgoing, incoming) = table.take_held(region);
            for shipment in outgoing {
                out.schedule_in(
                    sim_core::SimDuration::ZERO,
                    Event::ReplicationShipped { store, shipment, from: region },
                );
            }
            for shipment in incoming {
                out.schedule_in(sim_core::SimDuration::ZERO, Event::ReplicationArrived { store, shipment, to: region });
            }
        }
    }
}

impl Model for World {
    type Event = Event;

    fn handle(&mut self, now: SimTime, event: Event, out: &mut Outbox<'_, Event>) {
        match event {
            Event::ClientRequestSent { population } => self.send_request(now, population, out),
            Event::RequestArrivedAtRegion { request } => self.request_arrived(now, request, out),
            Event::ResponseArrivedAtClient { request } => self.response_arrived(now, request, out),
            Event::RequestTimedOut { request } => self.request_timed_out(now, request),
            Event::ReplicationShipped { store, shipment, from } => {
                self.replication_shipped(now, store, shipment, from, out)
            }
            Event::ReplicationArrived { store, shipment, to } => self.replication_arrived(now, store, shipment, to),
            Event::FaultStarted { fault } => self.fault_started(now, fault),
            Event::FaultHealed { fault } => self.fault_healed(now, fault, out),
        }
    }
}
