//! `mrsim bench`: wall-clock measurements of the engine, printed, never asserted.
//!
//! The engine benchmark runs the hold model (sim-core's `hold` module) through sim-core and through
//! a bare `BinaryHeap` loop in the same process, with the same random draws, checks that both fired
//! the same events, and reports events per second for each and their ratio. Each measurement is the
//! best of several repetitions, so a busy neighbour on the machine costs a repetition, not the result.
//! The checker benchmark compares a run with one ten times longer; the model benchmark measures the
//! reference scenario, and [`scaling`] its scaling table (rate and duration axes).

pub mod scaling;

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
    /// Peak undecided versions: in the tree, riding as passengers alone or folded, and tombs.
    pub live_versions_short: usize,
    pub live_versions_long: usize,
    /// Peak records the checker holds: versions, tombs, passenger entries (one per passenger
    /// riding alone, per fold, and per interval a fold counts).
    pub records_short: usize,
    pub records_long: usize,
    pub wall_short_s: f64,
    pub wall_long_s: f64,
    pub requests_long: u64,
    /// Peak heap bytes during each run (None without the counting allocator).
    pub peak_heap_short: Option<usize>,
    pub peak_heap_long: Option<usize>,
}

/// The checker benchmark's target: the run ten times longer within this factor of the shorter, in
/// the checker's records and in peak heap (memory flat in the simulated duration).
pub const CHECKER_TARGET: f64 = 1.1;

impl CheckerRow {
    pub fn live_versions_ratio(&self) -> f64 {
        self.live_versions_long as f64 / self.live_versions_short.max(1) as f64
    }

    pub fn records_ratio(&self) -> f64 {
        self.records_long as f64 / self.records_short.max(1) as f64
    }

    pub fn peak_heap_ratio(&self) -> Option<f64> {
        Some(self.peak_heap_long? as f64 / self.peak_heap_short?.max(1) as f64)
    }

    /// Whether both ratios are within [`CHECKER_TARGET`] (the heap's only when it was counted).
    pub fn meets_target(&self) -> bool {
        self.records_ratio() <= CHECKER_TARGET && self.peak_heap_ratio().is_none_or(|r| r <= CHECKER_TARGET)
    }
}

const CHECKER_WORKLOADS: [(&str, &str); 2] = [
    ("MREC, 1 000 uniform keys (a key space the run covers early; little contention)", "keys = { uniform = 1000 }"),
    ("MREC, 8 hot keys (sustained two-Region contention)", "keys = { uniform = 8 }"),
];

/// Time-series rows each checker run keeps: the metrics interval grows with the duration, so the
/// series (a row per interval, for the report) weigh the same in both runs and the comparison is
/// of the model's memory alone.
const CHECKER_INTERVALS: u64 = 60;

fn checker_scenario(duration_s: u64, keys: &str) -> String {
    let interval_ms = duration_s * 1000 / CHECKER_INTERVALS;
    format!(
        "[scenario]\nname = \"checker-bench\"\nduration = \"{duration_s}s\"\nmetrics_interval = \"{interval_ms}ms\"\n\
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
        let one = |duration_s: u64| -> Result<(usize, usize, f64, u64, Option<usize>), String> {
            let text = checker_scenario(duration_s, keys);
            let scenario =
                crate::scenario::parse(std::path::Path::new("checker-bench.toml"), &text).map_err(|e| e.to_string())?;
            let start = Instant::now();
            let (out, peak) = heap::peak_during(|| models::run::run(&scenario.world, Seed(0x2a), TraceMode::Off));
            let wall = start.elapsed().as_secs_f64();
            let out = out.map_err(|e| e.to_string())?;
            let r = &out.recorder;
            Ok((r.live_versions_max, r.version_records_max, wall, r.requests, peak))
        };
        let (live_short, records_short, wall_short, _, heap_short) = one(short_s)?;
        let (live_long, records_long, wall_long, requests, heap_long) = one(short_s * 10)?;
        rows.push(CheckerRow {
            workload,
            short_s,
            live_versions_short: live_short,
            live_versions_long: live_long,
            records_short,
            records_long,
            wall_short_s: wall_short,
            wall_long_s: wall_long,
            requests_long: requests,
            peak_heap_short: heap_short,
            peak_heap_long: heap_long,
        });
    }
    Ok(rows)
}

pub fn format_checker(rows: &[CheckerRow]) -> String {
    let mut s = format!(
        "checker memory: peak records and peak heap, a run against a run ten times longer (500 requests/s, \
         2 Regions, {CHECKER_INTERVALS} metrics intervals each); target: the longer run within x{CHECKER_TARGET} of the \
         shorter in both\n"
    );
    for r in rows {
        let heap_ratio = r.peak_heap_ratio().map_or("-".to_string(), |x| format!("x{x:.2}"));
        s.push_str(&format!(
            "{}\n  {} s: {} records, {} peak heap ({:.2} s wall); {} s: {} records, {} peak heap \
             ({:.2} s wall, {} requests)\n  ratio: records x{:.2}, peak heap {heap_ratio}: {} the target (x{CHECKER_TARGET})\n",
            r.workload,
            r.short_s,
            r.records_short,
            mib(r.peak_heap_short),
            r.wall_short_s,
            r.short_s * 10,
            r.records_long,
            mib(r.peak_heap_long),
            r.wall_long_s,
            r.requests_long,
            r.records_ratio(),
            if r.meets_target() { "meets" } else { "misses" },
        ));
        s.push_str(&format!(
            "  undecided versions at the peak (folded passengers counted one by one): {} and {}; ratio {:.2}\n",
            r.live_versions_short,
            r.live_versions_long,
            r.live_versions_ratio()
        ));
    }
    s.push_str(
        "(records: versions, tombs and passenger entries. The checker keeps the current version of every \
         item, as the store does, plus the versions in flight or undecided; under sustained contention each \
         Region's lineage stays undecided until writing stops, its acknowledged writes folded into counts per \
         metrics interval)\n",
    );
    s
}

fn mib(bytes: Option<usize>) -> String {
    bytes.map_or("-".into(), |b| format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0)))
}

/// Heap accounting for `mrsim bench model`: the binary installs this as its global allocator; it
/// counts only while a measurement is on, so every other command pays one relaxed load per
/// allocation.
pub mod heap {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};

    static ON: AtomicBool = AtomicBool::new(false);
    static LIVE: AtomicUsize = AtomicUsize::new(0);
    static PEAK: AtomicUsize = AtomicUsize::new(0);
    static INSTALLED: AtomicBool = AtomicBool::new(false);

    /// The system allocator, counting live and peak bytes while a measurement is on.
    pub struct Counting;

    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            INSTALLED.store(true, Relaxed);
            // SAFETY: forwarded unchanged to the system allocator.
            let p = unsafe { System.alloc(layout) };
            if !p.is_null() && ON.load(Relaxed) {
                let live = LIVE.fetch_add(layout.size(), Relaxed) + layout.size();
                PEAK.fetch_max(live, Relaxed);
            }
            p
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            // SAFETY: forwarded unchanged to the system allocator.
            unsafe { System.dealloc(ptr, layout) };
            if ON.load(Relaxed) {
                // Blocks allocated before the measurement began may be freed during it: saturate.
                let _ = LIVE.fetch_update(Relaxed, Relaxed, |l| Some(l.saturating_sub(layout.size())));
            }
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            // SAFETY: forwarded unchanged to the system allocator.
            let p = unsafe { System.realloc(ptr, layout, new_size) };
            if !p.is_null() && ON.load(Relaxed) {
                if new_size >= layout.size() {
                    let live = LIVE.fetch_add(new_size - layout.size(), Relaxed) + new_size - layout.size();
                    PEAK.fetch_max(live, Relaxed);
                } else {
                    let shrink = layout.size() - new_size;
                    let _ = LIVE.fetch_update(Relaxed, Relaxed, |l| Some(l.saturating_sub(shrink)));
                }
            }
            p
        }
    }

    /// Runs `f` and returns its result and the peak of heap bytes it held at once (bytes held
    /// before it began are not counted). None when the counting allocator is not installed (the
    /// library used without the `mrsim` binary).
    pub fn peak_during<T>(f: impl FnOnce() -> T) -> (T, Option<usize>) {
        LIVE.store(0, Relaxed);
        PEAK.store(0, Relaxed);
        ON.store(true, Relaxed);
        let out = f();
        ON.store(false, Relaxed);
        (out, INSTALLED.load(Relaxed).then(|| PEAK.load(Relaxed)))
    }
}

/// What `mrsim bench model` measured.
#[derive(Clone, Debug)]
pub struct ModelReport {
    pub scenario: String,
    /// The scenario as written, for its duration and twice as long.
    pub runs: Vec<ModelRun>,
    /// The same two runs with every key space cut to 10 000 keys (covered within minutes).
    pub covered_runs: Vec<ModelRun>,
    /// Sweep wall time with one thread and with `threads` threads, and the runs in it.
    pub sweep_runs: usize,
    pub sweep_one_thread_s: f64,
    pub sweep_threads: usize,
    pub sweep_many_threads_s: f64,
    pub cores: usize,
}

#[derive(Clone, Debug)]
pub struct ModelRun {
    pub simulated_s: f64,
    pub operations: u64,
    pub attempts: u64,
    pub events: u64,
    pub wall_s: f64,
    pub peak_heap_bytes: Option<usize>,
}

/// The reference scenario of the model benchmark, shipped with mrsim.
pub const MODEL_SCENARIO: &str = "experiments/scenarios/bench/model.toml";
/// The contention scenario of the scaling table: 8 hot keys written from two Regions (MREC).
pub const HOT_KEYS_SCENARIO: &str = "experiments/scenarios/bench/hot-keys.toml";

fn model_run(path: &std::path::Path, text: &str) -> Result<ModelRun, String> {
    let scenario = crate::scenario::parse(path, text).map_err(|e| e.to_string())?;
    let simulated_s = scenario.world.duration.as_secs_f64();
    let start = Instant::now();
    let (out, peak) = heap::peak_during(|| models::run::run(&scenario.world, Seed(0x2a), TraceMode::Off));
    let wall_s = start.elapsed().as_secs_f64();
    let out = out.map_err(|e| e.to_string())?;
    Ok(ModelRun {
        simulated_s,
        operations: out.recorder.operations,
        attempts: out.recorder.requests,
        events: out.stats.events,
        wall_s,
        peak_heap_bytes: peak,
    })
}

/// Runs the reference scenario as written (one simulated hour) and twice as long, single-threaded,
/// then a small sweep of it on one thread and on every core.
pub fn model(path: &std::path::Path, sweep_seeds: u32) -> Result<ModelReport, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let hour = model_run(path, &text)?;
    let longer = crate::overrides::apply_to_text(
        &text,
        &[crate::overrides::Override::parse(&format!("scenario.duration={}s", (hour.simulated_s * 2.0) as u64))?],
    )?;
    let two_hours = model_run(path, &longer)?;
    // The same pair with every key space cut to 10 000 keys, which the run covers within minutes:
    // what stays of the growth once the checker holds every key it will ever hold.
    let covered = |text: &str| -> Result<String, String> {
        let table: toml::Table = text.parse().map_err(|e| format!("{}: {e}", path.display()))?;
        let mut sets = Vec::new();
        let populations = table.get("population").and_then(|p| p.as_array()).map_or(&[][..], |a| a.as_slice());
        for (i, p) in populations.iter().enumerate() {
            let operations = p.get("operation").and_then(|o| o.as_array()).map_or(&[][..], |a| a.as_slice());
            for (j, op) in operations.iter().enumerate() {
                if let Some(keys) = op.get("keys").and_then(|k| k.as_table()) {
                    let cut = match keys.contains_key("zipf") {
                        true => "{ zipf = 10000, exponent = 1.0 }",
                        false => "{ uniform = 10000 }",
                    };
                    sets.push(crate::overrides::Override::parse(&format!(
                        "population[{i}].operation[{j}].keys={cut}"
                    ))?);
                }
            }
        }
        crate::overrides::apply_to_text(text, &sets)
    };
    let hour_covered = model_run(path, &covered(&text)?)?;
    let two_hours_covered = model_run(path, &covered(&longer)?)?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let sweep_in = |threads: usize| -> Result<(f64, usize), String> {
        let dir = std::env::temp_dir().join(format!("mrsim-bench-sweep-{}-{threads}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let args = crate::sweep::SweepArgs {
            scenario: path.to_path_buf(),
            grid: vec!["population[0].rate=500,600".into()],
            seeds: sweep_seeds,
            out: Some(dir.clone()),
            threads: Some(threads),
            seed0: None,
            set: vec!["scenario.duration=10m".into(), "fault[0].start=4m".into(), "fault[0].end=6m".into()],
            progress: false,
            shard: None,
        };
        let start = Instant::now();
        let outcome = crate::sweep::sweep(&args).map_err(|e| e.to_string())?;
        let wall = start.elapsed().as_secs_f64();
        let _ = std::fs::remove_dir_all(&dir);
        Ok((wall, outcome.ran))
    };
    let (one, ran) = sweep_in(1)?;
    let (many, _) = sweep_in(cores)?;
    Ok(ModelReport {
        scenario: path.display().to_string(),
        runs: vec![hour, two_hours],
        covered_runs: vec![hour_covered, two_hours_covered],
        sweep_runs: ran,
        sweep_one_thread_s: one,
        sweep_threads: cores,
        sweep_many_threads_s: many,
        cores,
    })
}

/// The text `mrsim bench model` prints.
pub fn format_model(r: &ModelReport) -> String {
    let mut s = format!("model benchmark: {} (seed 0x2a, one thread per run)\n", r.scenario);
    s.push_str("simulated      operations     attempts       events     wall  operations/s  attempts/s   peak heap\n");
    s.push_str(&model_rows(&r.runs));
    s.push_str(&heap_ratio(&r.runs, "as written (key spaces of 1 000 000: memory follows the keys touched)"));
    s.push_str("the same with every key space cut to 10 000 keys, which the run covers within minutes:\n");
    s.push_str(&model_rows(&r.covered_runs));
    s.push_str(&heap_ratio(&r.covered_runs, "key spaces covered (flat is the aim: the checker and recorder stream)"));
    s.push_str(&format!(
        "sweep of {} ten-minute runs: {:.2} s on 1 thread, {:.2} s on {} threads: speed-up x{:.2} ({} cores)\n",
        r.sweep_runs,
        r.sweep_one_thread_s,
        r.sweep_many_threads_s,
        r.sweep_threads,
        r.sweep_one_thread_s / r.sweep_many_threads_s,
        r.cores
    ));
    s
}

fn model_rows(runs: &[ModelRun]) -> String {
    let mut s = String::new();
    for run in runs {
        let heap = mib(run.peak_heap_bytes);
        s.push_str(&format!(
            "{:>7.0} s {:>14} {:>12} {:>12} {:>7.2} s {:>12.0} {:>11.0} {:>11}\n",
            run.simulated_s,
            run.operations,
            run.attempts,
            run.events,
            run.wall_s,
            run.operations as f64 / run.wall_s,
            run.attempts as f64 / run.wall_s,
            heap
        ));
    }
    s
}

fn heap_ratio(runs: &[ModelRun], what: &str) -> String {
    match runs {
        [a, b] => match (a.peak_heap_bytes, b.peak_heap_bytes) {
            (Some(x), Some(y)) => {
                format!(
                    "  peak heap, twice the simulated time against once: x{:.2}, {what}\n",
                    y as f64 / x.max(1) as f64
                )
            }
            _ => String::new(),
        },
        _ => String::new(),
    }
}
