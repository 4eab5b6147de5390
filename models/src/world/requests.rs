//! A request's life: a client sends it, it crosses to a Region, the Region answers (or does not),
//! the answer crosses back, or the client gives up at its timeout.
//!
//! A Region that is dark (a whole-Region outage) never answers: the client learns only by its
//! timeout. A Region whose app tier is out, or that fails requests while its health endpoint passes,
//! answers at once with an error, as a load balancer's 503 does. A store replica that is down
//! answers its requests with an error too.

use sim_core::{Outbox, Seed, SimDuration, SimTime, Stream};

use super::{Event, World};
use crate::config::{KeyChoice, WorldConfig};
use crate::ids::{Key, PopulationId, RegionId, RequestId, WriteId};

/// A population's random streams.
pub(super) struct Population {
    arrivals: Stream,
    operations: Stream,
    access: Stream,
}

pub(super) fn populations(config: &WorldConfig, seed: Seed) -> Vec<Population> {
    config
        .populations
        .iter()
        .map(|p| Population {
            arrivals: seed.stream(&format!("population/{}/arrivals", p.name)),
            operations: seed.stream(&format!("population/{}/operations", p.name)),
            access: seed.stream(&format!("population/{}/access", p.name)),
        })
        .collect()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Operation {
    Read,
    Write,
}

/// What the Region answered, carried back to the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Answer {
    Written {
        write: WriteId,
    },
    Read {
        stale_by: Option<SimDuration>,
    },
    /// An error answer: the app tier or the store is out.
    Failed,
}

#[derive(Clone, Debug)]
pub(super) struct PendingRequest {
    population: PopulationId,
    operation: Operation,
    key: Key,
    region: RegionId,
    sent_at: SimTime,
    timeout: sim_core::EventId,
    /// For a read: the newest write acknowledged when the read began, held until it is compared.
    newest_acked: Option<WriteId>,
    answer: Option<Answer>,
}

impl World {
    pub(super) fn schedule_first_requests(&mut self, schedule: &mut dyn FnMut(SimTime, Event)) {
        // Poisson arrivals start one exponential gap after time zero, not at zero.
        for i in 0..self.populations.len() {
            let population = PopulationId::new(i);
            let gap = self.arrival_gap(population);
            schedule(SimTime::at(gap), Event::ClientRequestSent { population });
        }
    }

    /// An exponential gap with mean 1/rate: the time to the population's next request.
    fn arrival_gap(&mut self, population: PopulationId) -> SimDuration {
        let rate = self.config.populations[population.index()].rate_per_sec;
        let u = self.populations[population.index()].arrivals.next_f64_open0();
        SimDuration::from_secs_f64(-libm::log(u) / rate)
    }

    pub(super) fn send_request(&mut self, now: SimTime, population: PopulationId, out: &mut Outbox<'_, Event>) {
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

    pub(super) fn request_arrived(&mut self, now: SimTime, request: RequestId, out: &mut Outbox<'_, Event>) {
        let Some(req) = self.pending.get(&request) else { return };
        let (region, key, operation, population) = (req.region, req.key, req.operation, req.population);
        let store = self.config.populations[population.index()].store;
        let answer = match self.faults.request_failure(region) {
            Some(true) => return, // A dark Region: no answer; the client will time out.
            Some(false) => Answer::Failed,
            None if !self.faults.store_up(store, region) => Answer::Failed,
            None => match operation {
                Operation::Write => {
                    self.next_write += 1;
                    let write = WriteId(self.next_write);
                    let clock = self.faults.clock_nanos(region, now).max(0) as u64;
                    let (sampled, shipment) = self.tables[store.index()].write_local(now, clock, region, key, write);
                    let delay = self.pipeline_delay(store, region, sampled);
                    out.schedule_in(delay, Event::ReplicationShipped { store, shipment, from: region });
                    Answer::Written { write }
                }
                Operation::Read => {
                    let req = self.pending.get_mut(&request).expect("checked above");
                    let (snapshot, began) = (req.newest_acked.take(), req.sent_at);
                    let stale_by = self.tables[store.index()].read_local(now, region, key, began, snapshot);
                    Answer::Read { stale_by }
                }
            },
        };
        let access_latency = &self.config.populations[population.index()].access_latency;
        let delay = access_latency.sample_duration(&mut self.populations[population.index()].access);
        self.pending.get_mut(&request).expect("checked above").answer = Some(answer);
        out.schedule_in(delay, Event::ResponseArrivedAtClient { request });
    }

    pub(super) fn response_arrived(&mut self, now: SimTime, request: RequestId, out: &mut Outbox<'_, Event>) {
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
            Answer::Failed => {
                if let Some(snapshot) = req.newest_acked {
                    self.tables[store.index()].release(snapshot, now);
                }
                self.recorder.request_failed(now, req.region);
            }
        }
    }

    pub(super) fn request_timed_out(&mut self, now: SimTime, request: RequestId) {
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
}
