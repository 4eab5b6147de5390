//! `mrsim bench`: wall-clock measurements of the engine, printed, never asserted.
//!
//! The engine benchmark runs the hold model (sim-core's `hold` module) through sim-core and through
//! a bare `BinaryHeap` loop in the same process, with the same random draws, checks that both fired
//! the same events, and reports events per second for each and their ratio. Each measurement is the
//! best of several repetitions, so a busy neighbour on the machine costs a repetition, not the result.

use std::time::Instant;

use sim_core::hold::{self, HoldOutcome};
use sim_core::{Seed, TraceMode};

/// One row of the engine benchmark.
#[derive(Clone, Debug)]
pub struct EngineRow {
    pub entities: u32,
    pub events: u64,
    pub engine_events_per_sec: f64,
    pub engine_hashed_events_per_sec: f64,
    pub reference_events_per_sec: f64,
}

impl EngineRow {
    pub fn ratio(&self) -> f64 {
        self.engine_events_per_sec / self.reference_events_per_sec
    }
}

fn best_of<F: FnMut() -> HoldOutcome>(repetitions: u32, events: u64, mut f: F) -> (f64, HoldOutcome) {
    let mut best = f64::INFINITY;
    let mut outcome = None;
    for _ in 0..repetitions {
        let start = Instant::now();
        let o = std::hint::black_box(f());
        best = best.min(start.elapsed().as_secs_f64());
        outcome = Some(o);
    }
    (events as f64 / best, outcome.expect("at least one repetition"))
}

/// Runs the hold model at each size; `events` per run, best of `repetitions`.
pub fn engine(sizes: &[u32], events: u64, repetitions: u32) -> Result<Vec<EngineRow>, String> {
    let seed = Seed(0x2a);
    let mut rows = Vec::new();
    for &entities in sizes {
        let (reference, expected) = best_of(repetitions, events, || hold::run_reference(seed, entities, events));
        let (engine, got) = best_of(repetitions, events, || hold::run_engine(seed, entities, events, TraceMode::Off));
        if got != expected {
            return Err(format!(
                "hold model with {entities} entities: the engine fired {got:?} but the reference loop {expected:?}"
            ));
        }
        let (hashed, _) = best_of(repetitions, events, || hold::run_engine(seed, entities, events, TraceMode::Hash));
        rows.push(EngineRow {
            entities,
            events,
            engine_events_per_sec: engine,
            engine_hashed_events_per_sec: hashed,
            reference_events_per_sec: reference,
        });
    }
    Ok(rows)
}

/// The table `mrsim bench engine` prints.
pub fn format_engine(rows: &[EngineRow]) -> String {
    let mut s = String::from(
        "hold model (exponential delays, mean 1s), best of repetitions\n\
         entities     events   reference ev/s   sim-core ev/s   ratio   sim-core+trace-hash ev/s\n",
    );
    let entry = sim_core::EventQueue::<sim_core::hold::Wake>::entry_bytes();
    for r in rows {
        s.push_str(&format!(
            "{:>8} {:>10} {:>16.0} {:>15.0} {:>7.2} {:>26.0}\n",
            r.entities,
            r.events,
            r.reference_events_per_sec,
            r.engine_events_per_sec,
            r.ratio(),
            r.engine_hashed_events_per_sec
        ));
    }
    let sizes: Vec<String> =
        rows.iter().map(|r| format!("{} KiB at {} entities", r.entities as usize * entry / 1024, r.entities)).collect();
    s.push_str(&format!(
        "queue memory: {entry} bytes per pending event, nothing per event fired: {}\n",
        sizes.join(", ")
    ));
    s
}
