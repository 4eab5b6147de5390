//! The classic hold model, for benchmarking the engine.
//!
//! N entities each reschedule themselves after an exponential delay (mean 1 s). [`run_engine`] runs
//! it through sim-core's [`Engine`] and [`Model`]; [`run_reference`] runs the same model as a minimal
//! loop over `std::collections::BinaryHeap`. Both draw the same delays from the same stream in the
//! same order and break ties by insertion order, so they fire the same events and return the same
//! checksum, which the benchmark checks before it trusts a timing. Timing itself happens in the
//! `mrsim bench` command: sim-core never reads the wall clock.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::engine::{Engine, Limits, Model, Outbox};
use crate::rng::{Seed, Stream};
use crate::time::{SimDuration, SimTime};
use crate::trace::TraceMode;

/// What a hold run did, to check two implementations against each other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HoldOutcome {
    pub events: u64,
    pub end_time: SimTime,
    /// Sum over events of `entity * time`, wrapping: sensitive to the order of events.
    pub checksum: u64,
}

const MEAN_DELAY_NANOS: f64 = 1e9;

#[inline]
fn exponential_delay(rng: &mut Stream) -> u64 {
    (-libm::log(rng.next_f64_open0()) * MEAN_DELAY_NANOS) as u64
}

#[derive(Hash, Debug, Clone, Copy)]
pub struct Wake {
    entity: u32,
}

struct HoldModel {
    rng: Stream,
    remaining: u64,
    checksum: u64,
}

impl Model for HoldModel {
    type Event = Wake;
    #[inline]
    fn handle(&mut self, now: SimTime, event: Wake, out: &mut Outbox<'_, Wake>) {
        self.checksum = self.checksum.wrapping_add(u64::from(event.entity).wrapping_mul(now.as_nanos()));
        if self.remaining == 0 {
            out.halt();
            return;
        }
        self.remaining -= 1;
        out.schedule_in(SimDuration::from_nanos(exponential_delay(&mut self.rng)), event);
    }
}

/// `entities` entities, `events` events in all, through the engine with the given trace mode.
pub fn run_engine(seed: Seed, entities: u32, events: u64, trace: TraceMode) -> HoldOutcome {
    let mut rng = seed.stream("hold");
    let mut engine = Engine::new(seed, Limits { max_sim_time: SimTime::MAX, max_events: u64::MAX }, trace);
    for entity in 0..entities {
        engine.schedule_at(SimTime::from_nanos(exponential_delay(&mut rng)), Wake { entity });
    }
    let mut model = HoldModel { rng, remaining: events.saturating_sub(1), checksum: 0 };
    let stats = engine.run(&mut model).expect("the hold model runs without limits");
    HoldOutcome { events: stats.events, end_time: stats.end_time, checksum: model.checksum }
}

/// The same model as a bare loop over `BinaryHeap<Reverse<(time, sequence, entity)>>`.
pub fn run_reference(seed: Seed, entities: u32, events: u64) -> HoldOutcome {
    let mut rng = seed.stream("hold");
    let mut heap = BinaryHeap::with_capacity(entities as usize);
    let mut sequence = 0u64;
    for entity in 0..entities {
        heap.push(Reverse((exponential_delay(&mut rng), sequence, entity)));
        sequence += 1;
    }
    let (mut fired, mut now, mut checksum) = (0u64, 0u64, 0u64);
    while let Some(Reverse((time, _, entity))) = heap.pop() {
        now = time;
        fired += 1;
        checksum = checksum.wrapping_add(u64::from(entity).wrapping_mul(time));
        if fired == events {
            break;
        }
        heap.push(Reverse((time + exponential_delay(&mut rng), sequence, entity)));
        sequence += 1;
    }
    HoldOutcome { events: fired, end_time: SimTime::from_nanos(now), checksum }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The delays are exponential with a mean of 1 s: over 10 000 draws the sample mean is within
    /// 3 % of it (its standard error is 1 %), and 1 - 1/e = 63.2 % of the draws fall below it.
    #[test]
    fn delays_are_exponential_with_a_mean_of_one_second() {
        let mut rng = Seed(9).stream("hold");
        let delays: Vec<u64> = (0..10_000).map(|_| exponential_delay(&mut rng)).collect();
        let mean_nanos = delays.iter().sum::<u64>() as f64 / delays.len() as f64;
        assert!((mean_nanos / 1e9 - 1.0).abs() < 0.03, "mean {mean_nanos} ns");
        let below_mean = delays.iter().filter(|&&d| d < 1_000_000_000).count() as f64 / delays.len() as f64;
        assert!((below_mean - (1.0 - (-1.0f64).exp())).abs() < 0.02, "{below_mean} of the delays below 1 s");
    }

    #[test]
    fn engine_and_reference_fire_the_same_events() {
        for (entities, events) in [(1, 100), (10, 5_000), (1_000, 50_000)] {
            let a = run_engine(Seed(9), entities, events, TraceMode::Off);
            let b = run_reference(Seed(9), entities, events);
            assert_eq!(a, b, "{entities} entities, {events} events");
            assert_eq!(a.events, events);
        }
    }
}
