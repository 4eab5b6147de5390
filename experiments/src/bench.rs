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

/// One row of the checker benchmark: the same workload for a run and a run ten times longer.
#[derive(Clone, Debug)]
pub struct CheckerRow {
    pub workload: &'static str,
    pub short_s: u64,
    pub live_versions_short: usize,
    pub live_versions_long: usize,
    pub wall_short_s: f64,
    pub wall_long_s: f64,
    pub requests_long: u64,
}

const CHECKER_WORKLOADS: [(&str, &str); 2] = [
    ("MREC, 1 000 uniform keys (a key space the run covers early; little contention)", "keys = { uniform = 1000 }"),
    ("MREC, 8 hot keys (sustained two-Region contention)", "keys = { uniform = 8 }"),
];

fn checker_scenario(duration_s: u64, keys: &str) -> String {
    format!(
        "[scenario]\nname = \"checker-bench\"\nduration = \"{duration_s}s\"\n\
         [[region]]\nname = \"us-east-1\"\n[[region]]\nname = \"us-west-2\"\n\
         [[store]]\nname = \"t\"\ntype = \"dynamodb_global_table\"\nregions = [\"us-east-1\", \"us-west-2\"]\n\
         [[population]]\nname = \"east\"\nregion = \"us-east-1\"\naccess_latency = \"10ms\"\nrate = 250.0\n\
         store = \"t\"\nread_fraction = 0.5\n{keys}\n\
         [[population]]\nname = \"west\"\nregion = \"us-west-2\"\naccess_latency = \"10ms\"\nrate = 250.0\n\
         store = \"t\"\nread_fraction = 0.5\n{keys}\n"
    )
}

/// The checker's memory (live versions at their peak) for a run and a run ten times longer, per
/// workload: the streaming promise is that the longer run needs no more.
pub fn checker(short_s: u64) -> Result<Vec<CheckerRow>, String> {
    let mut rows = Vec::new();
    for (workload, keys) in CHECKER_WORKLOADS {
        let one = |duration_s: u64| -> Result<(usize, f64, u64), String> {
            let text = checker_scenario(duration_s, keys);
            let scenario =
                crate::scenario::parse(std::path::Path::new("checker-bench.toml"), &text).map_err(|e| e.to_string())?;
            let start = Instant::now();
            let out = models::run::run(&scenario.world, Seed(0x2a), TraceMode::Off).map_err(|e| e.to_string())?;
            Ok((out.recorder.live_versions_max, start.elapsed().as_secs_f64(), out.recorder.requests))
        };
        let (live_short, wall_short, _) = one(short_s)?;
        let (live_long, wall_long, requests) = one(short_s * 10)?;
        rows.push(CheckerRow {
            workload,
            short_s,
            live_versions_short: live_short,
            live_versions_long: live_long,
            wall_short_s: wall_short,
            wall_long_s: wall_long,
            requests_long: requests,
        });
    }
    Ok(rows)
}

pub fn format_checker(rows: &[CheckerRow]) -> String {
    let mut s = String::from(
        "checker memory: peak live versions, a run against a run ten times longer (500 requests/s, 2 Regions)\n",
    );
    for r in rows {
        s.push_str(&format!(
            "{}\n  {} s: {} live versions ({:.2} s wall); {} s: {} live versions ({:.2} s wall, {} requests); ratio {:.2}\n",
            r.workload,
            r.short_s,
            r.live_versions_short,
            r.wall_short_s,
            r.short_s * 10,
            r.live_versions_long,
            r.wall_long_s,
            r.requests_long,
            r.live_versions_long as f64 / r.live_versions_short.max(1) as f64
        ));
    }
    s.push_str(
        "(the checker keeps the current version of every item, as the store does, plus the versions in \
         flight or undecided: memory follows the key space and the undecided writes, not the writes of the \
         run; under sustained contention the loser of each concurrent pair stays undecided until writing \
         stops, so both branches are kept)\n",
    );
    s
}
