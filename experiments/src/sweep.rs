//! `mrsim sweep`: a grid of parameter values times a number of seeds, run in parallel, with one CSV
//! row per run and a mean and 95% confidence interval per grid point.
//!
//! Each `--grid path=v1,v2,...` is a list of `--set` overrides; the grid is the cartesian product of
//! all of them (the first `--grid` varies slowest), applied after the fixed `--set`s. Every point
//! runs the same seeds: seed `i` is `Seed(seed0).stream("sweep/{i}").next_u64()`, with `seed0` from
//! `--seed0`, else the scenario's seed, else 0x2a, so point A and point B see the same seeds (paired
//! comparisons) and adding seeds keeps the first ones.
//!
//! Guarantees. Runs are independent and parallel across runs only (rayon); every file is assembled
//! from the per-run rows in (point, seed) order and aggregated sequentially, so the bytes are the
//! same with 1 or N threads. Every file is written atomically. A sweep is resumable: each run's row
//! is saved in `runs/<point>-<seed>.csv` as soon as it finishes, and a sweep started again into the
//! same folder with the same manifest (`sweep.json`: scenario hash, grid, seeds) reads those rows
//! back instead of running them again; a folder holding another sweep is refused.
//!
//! Across machines. With `--shard K/N` (or an array job's index, see `shard`) a sweep runs only the
//! runs whose index in (point, seed) order is K modulo N, saves their rows and its manifest, and writes
//! no runs.csv or points.csv; `mrsim merge` (see `merge`) checks the shards' manifests, gathers their
//! rows and assembles the two files with the same code as a sweep on one machine, so the bytes match.

pub mod merge;
pub mod shard;
pub mod stats;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sim_core::{Seed, TraceMode};

use crate::overrides::{self, Override};
use crate::report::Summary;
use crate::run::{DEFAULT_SEED, reproduce_command};
use crate::scenario::Scenario;
use crate::{CliError, output, report};
pub use shard::Shard;

/// What `mrsim sweep` was asked to do.
#[derive(Clone, Debug, Default)]
pub struct SweepArgs {
    pub scenario: PathBuf,
    /// `path=v1,v2,...`, one per axis.
    pub grid: Vec<String>,
    pub seeds: u32,
    pub out: Option<PathBuf>,
    pub threads: Option<usize>,
    pub seed0: Option<Seed>,
    /// Fixed `--set path=value` overrides, applied before the grid's.
    pub set: Vec<String>,
    /// Show progress on stderr.
    pub progress: bool,
    /// Run only this shard's share of the runs, and assemble nothing.
    pub shard: Option<Shard>,
}

/// One `--grid`: a path and the values it takes, as written. The path may join several paths with
/// `+` (`population[0].rate+population[1].rate=100,200`): every value is then set at each of them,
/// so one axis moves several keys together (a linked axis), in one column named by the whole path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Axis {
    pub path: String,
    pub values: Vec<String>,
}

impl Axis {
    /// Parses `path=v1,v2,...` or `path1+path2=v1,v2,...`. Commas inside brackets, parentheses,
    /// braces or quotes belong to a value, so `uniform(10ms, 20ms)` and `[1, 2]` are one value each.
    pub fn parse(text: &str) -> Result<Axis, String> {
        let fail = |why: &str| format!("--grid {text}: {why}; expected path=v1,v2,... e.g. population[0].rate=100,200");
        let (path, list) = text.split_once('=').ok_or_else(|| fail("no `=`"))?;
        let paths: Vec<&str> = path.split('+').map(str::trim).collect();
        for (i, p) in paths.iter().enumerate() {
            overrides::parse_path(p).map_err(|e| fail(&e))?;
            if paths[..i].contains(p) {
                return Err(fail(&format!("the path {p} is joined twice")));
            }
        }
        let values = split_top_level(list);
        if values.iter().any(|v| v.is_empty()) {
            return Err(fail("an empty value"));
        }
        for (i, v) in values.iter().enumerate() {
            if values[..i].contains(v) {
                return Err(fail(&format!("the value {v} is listed twice")));
            }
        }
        Ok(Axis { path: paths.join("+"), values })
    }

    /// The paths every value of this axis is set at.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.path.split('+')
    }
}

fn split_top_level(list: &str) -> Vec<String> {
    let (mut values, mut current, mut depth, mut quote) = (Vec::new(), String::new(), 0i32, None);
    for c in list.chars() {
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '(' | '[' | '{') => depth += 1,
            (None, ')' | ']' | '}') => depth -= 1,
            (None, ',') if depth == 0 => {
                values.push(current.trim().to_string());
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    values.push(current.trim().to_string());
    values
}

/// `sweep.json`: what a sweep folder holds, so a resumed sweep can tell its own runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub scenario: String,
    /// FNV-1a 64 of the scenario text after the fixed `--set`s.
    pub scenario_hash: String,
    pub grid: Vec<Axis>,
    pub seeds: u32,
    pub seed0: String,
    /// The metric columns, so a newer mrsim with other columns does not mix rows.
    pub metrics: Vec<String>,
}

/// A metric column and how to read it from a run's summary (None: not defined for this run).
type Metric = (&'static str, fn(&Summary) -> Option<f64>);

/// The metric columns of runs.csv and points.csv, in order.
pub const METRICS: &[Metric] = &[
    ("operations_started", |s| Some(s.operations.started as f64)),
    ("operations_succeeded", |s| Some(s.operations.succeeded as f64)),
    ("operations_failed", |s| Some(s.operations.failed as f64)),
    ("operations_error_rate", |s| Some(s.operations.error_rate)),
    ("writes_acknowledged", |s| Some(s.writes.acknowledged as f64)),
    ("writes_lost_last_writer_wins", |s| Some(s.writes.lost_last_writer_wins as f64)),
    ("writes_discarded_by_last_writer_wins", |s| Some(s.writes.discarded_by_last_writer_wins as f64)),
    ("writes_lost_failover", |s| Some(s.writes.lost_failover as f64)),
    ("writes_lost_region_never_returned", |s| Some(s.writes.lost_region_never_returned as f64)),
    ("writes_conflicted", |s| Some(s.writes.conflicted as f64)),
    ("writes_conflict_rate", |s| Some(s.writes.conflict_rate)),
    ("writes_rejected_conflict", |s| Some(s.writes.rejected_conflict as f64)),
    ("reads_succeeded", |s| Some(s.reads.succeeded as f64)),
    ("reads_stale", |s| Some(s.reads.stale as f64)),
    ("reads_stale_fraction", |s| Some(s.reads.stale_fraction)),
    ("reads_stale_by_store_order", |s| Some(s.reads.stale_by_store_order as f64)),
    ("staleness_ms_p50", |s| s.reads.staleness_ms.p50),
    ("staleness_ms_p99", |s| s.reads.staleness_ms.p99),
    ("latency_read_ms_p99", |s| s.latency_ms.read.p99),
    ("latency_write_ms_p99", |s| s.latency_ms.write.p99),
    ("replication_lag_ms_p50", |s| s.replication_lag_ms.p50),
    ("replication_lag_ms_p99", |s| s.replication_lag_ms.p99),
    ("divergent_keys", |s| Some(s.divergent_keys as f64)),
    ("write_unavailability_s_max", |s| {
        s.stores
            .iter()
            .filter_map(|st| st.write_unavailability_s.max)
            .fold(None, |m, x| Some(m.map_or(x, |m: f64| m.max(x))))
    }),
    ("latency_write_ms_p50", |s| s.latency_ms.write.p50),
    // Attempts a store refused (MRSC's NoQuorum and ReplicatedWriteConflictException, ...), all stores.
    ("store_rejections", |s| Some(s.stores.iter().map(|st| st.rejected).sum::<u64>() as f64)),
    ("rpo_writes", |s| Some(s.stores.iter().map(|st| st.rpo_writes).sum::<u64>() as f64)),
    ("app_tier_shed", |s| Some(s.app_tiers.iter().map(|a| a.shed).sum::<u64>() as f64)),
    ("fail_open_answers", |s| Some(s.routing.fail_open_answers as f64)),
    // The failover timing of the scenario's first fault (`faults[0]` in summary.json); empty when
    // it did not happen while the fault lasted (never detected, never converged).
    ("failover_detection_s", |s| s.faults.first().and_then(|f| f.failover.detection_s)),
    ("failover_routing_convergence_s", |s| s.faults.first().and_then(|f| f.failover.routing_convergence_s)),
    ("failover_recovery_s", |s| s.faults.first().and_then(|f| f.failover.recovery_s)),
    ("failover_transition_error_rate", |s| s.faults.first().map(|f| f.failover.transition_error_rate)),
    ("failover_client_outage_s_p99", |s| s.faults.first().and_then(|f| f.failover.client_outage_s.p99)),
    ("failover_clients_unrecovered", |s| s.faults.first().map(|f| f.failover.client_outage_s.unrecovered as f64)),
];

/// A per-store column and how to read it from the store's row of the summary.
type StoreMetric = (&'static str, fn(&report::StoreRow) -> Option<f64>);

/// Per-store columns, after [`METRICS`]: `stores.{name}.{field}` for every store of the scenario,
/// named as `summary.json` and `mrsim check` name them.
pub const STORE_METRICS: &[StoreMetric] = &[
    ("writes_acknowledged", |s| Some(s.writes_acknowledged as f64)),
    ("lost_last_writer_wins", |s| Some(s.lost_last_writer_wins as f64)),
    ("lost_failover", |s| Some(s.lost_failover as f64)),
    ("lost_region_never_returned", |s| Some(s.lost_region_never_returned as f64)),
    ("conflicted", |s| Some(s.conflicted as f64)),
    ("rejected_conflict", |s| Some(s.rejected_conflict as f64)),
    ("stale_reads", |s| Some(s.stale_reads as f64)),
    ("rejected", |s| Some(s.rejected as f64)),
    ("rpo_writes", |s| Some(s.rpo_writes as f64)),
    ("write_unavailability_s.max", |s| s.write_unavailability_s.max),
    ("replication_lag_ms.p99", |s| s.replication_lag_ms.p99),
];

/// Every metric column of a sweep of `scenario`: [`METRICS`], then [`STORE_METRICS`] per store in
/// the order the scenario declares them.
pub fn metric_columns(scenario: &Scenario) -> Vec<String> {
    let mut names: Vec<String> = METRICS.iter().map(|m| m.0.to_string()).collect();
    for store in &scenario.world.stores {
        names.extend(STORE_METRICS.iter().map(|(field, _)| format!("stores.{}.{field}", store.name)));
    }
    names
}

/// The cells of `columns` for one run's summary; a store the run does not have gives empty cells.
fn metric_cells(summary: &Summary, columns: &[String]) -> Vec<String> {
    let mut cells: Vec<String> = METRICS.iter().map(|(_, read)| read(summary).map_or(String::new(), number)).collect();
    for column in &columns[METRICS.len()..] {
        let cell = column.strip_prefix("stores.").and_then(|rest| {
            let (field, read) = STORE_METRICS.iter().find(|(f, _)| rest.ends_with(&format!(".{f}")))?;
            let name = &rest[..rest.len() - field.len() - 1];
            let row = summary.stores.iter().find(|s| s.name == name)?;
            read(row)
        });
        cells.push(cell.map_or(String::new(), number));
    }
    cells
}

/// What a finished sweep did.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub out: PathBuf,
    pub axes: Vec<Axis>,
    pub points: usize,
    pub seeds: usize,
    pub ran: usize,
    pub reused: usize,
    pub threads: usize,
    /// points.csv's rows, for the terminal (empty for a shard, which assembles nothing).
    pub point_rows: Vec<Vec<String>>,
    /// The metric columns, in order.
    pub metrics: Vec<String>,
    /// The shard that ran, and how many runs it holds.
    pub shard: Option<(Shard, usize)>,
}

/// A grid point ready to run.
struct Point {
    /// Every override of the point, each path of a linked axis on its own.
    overrides: Vec<Override>,
    /// The value of each axis, as written.
    values: Vec<String>,
    scenario: Scenario,
}

/// `mrsim sweep`: runs it and returns the terminal text.
pub fn execute(args: &SweepArgs) -> Result<String, CliError> {
    let started = Instant::now();
    let outcome = sweep(args)?;
    Ok(terminal_text(&outcome, started.elapsed().as_secs_f64()))
}

/// Runs (or resumes) the sweep and writes its files.
pub fn sweep(args: &SweepArgs) -> Result<Outcome, CliError> {
    let input = |m: String| CliError::input(format!("error: {m}"));
    if args.seeds == 0 {
        return Err(input("--seeds must be at least 1".to_string()));
    }
    if args.threads == Some(0) {
        return Err(input("--threads must be at least 1".to_string()));
    }
    if args.grid.is_empty() {
        return Err(input("give at least one --grid path=v1,v2,...".to_string()));
    }
    let fixed = args.set.iter().map(|s| Override::parse(s)).collect::<Result<Vec<_>, _>>().map_err(input)?;
    let axes = args.grid.iter().map(|g| Axis::parse(g)).collect::<Result<Vec<_>, _>>().map_err(input)?;
    for (i, a) in axes.iter().enumerate() {
        for p in a.paths() {
            if axes[..i].iter().any(|b| b.paths().any(|q| q == p)) {
                return Err(input(format!("--grid {p} is given twice")));
            }
        }
    }
    let source = overrides::read_source(&args.scenario).map_err(|e| CliError::input(e.to_string()))?;
    let (base_text, base) =
        overrides::resolve(&args.scenario, &source, &fixed).map_err(|e| CliError::input(e.to_string()))?;
    eprint!("{}", base.warnings);
    let seed0 = args.seed0.or(base.seed).unwrap_or(DEFAULT_SEED);
    let seeds = run_seeds(seed0, args.seeds);
    let points = build_points(&args.scenario, &source, &fixed, &axes)?;
    let out = args.out.clone().unwrap_or_else(|| Path::new("out").join(format!("{}-sweep", base.name)));
    crate::output::check_folder("--out", &out).map_err(|e| CliError::input(format!("error: {e}")))?;
    let manifest = Manifest {
        scenario: base.name.clone(),
        scenario_hash: format!("{:#018x}", sim_core::rng::fnv1a64(base_text.as_bytes())),
        grid: axes.clone(),
        seeds: args.seeds,
        seed0: seed0.to_string(),
        metrics: metric_columns(&base),
    };
    claim_folder(&out, &manifest)?;

    let header = header(&axes, &manifest.metrics);
    let jobs: Vec<(usize, usize)> = (0..points.len()).flat_map(|p| (0..seeds.len()).map(move |s| (p, s))).collect();
    let mine = |j: usize| args.shard.is_none_or(|shard| shard.owns(j));
    let mut rows: Vec<Option<Vec<String>>> = jobs
        .iter()
        .enumerate()
        .map(|(j, &(p, s))| if mine(j) { read_run_file(&out, &header, p, s, seeds[s]) } else { None })
        .collect();
    let reused = rows.iter().filter(|r| r.is_some()).count();
    let todo: Vec<usize> = (0..jobs.len()).filter(|&j| mine(j) && rows[j].is_none()).collect();

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()
        .map_err(|e| CliError::internal(format!("cannot start the thread pool: {e}")))?;
    let threads = pool.current_num_threads();
    let stop = AtomicBool::new(false);
    let progress = crate::progress::Progress::new("sweep", todo.len() as u64, "runs", args.progress);
    let one = |j: usize| -> Option<Result<Vec<String>, CliError>> {
        if stop.load(Ordering::Relaxed) {
            return None; // another run failed: do not start more.
        }
        let (p, s) = jobs[j];
        let result = run_one(&points[p], p, s, seeds[s], &manifest.metrics).and_then(|row| {
            let bytes = csv_bytes(&header, std::slice::from_ref(&row))?;
            output::write_atomic(&run_file(&out, p, s), &bytes).map_err(CliError::output)?;
            Ok(row)
        });
        if result.is_err() {
            stop.store(true, Ordering::Relaxed);
        }
        progress.inc();
        Some(result)
    };
    let results: Vec<Option<Result<Vec<String>, CliError>>> =
        pool.install(|| todo.par_iter().map(|&j| one(j)).collect());
    progress.finish();
    // The first failure in (point, seed) order, whatever order the threads met them in.
    for (&j, result) in todo.iter().zip(results) {
        match result {
            Some(Ok(row)) => rows[j] = Some(row),
            Some(Err(e)) => {
                let (p, s) = jobs[j];
                let mut all = fixed.clone();
                all.extend(points[p].overrides.iter().cloned());
                return Err(e.with_reproduce(&reproduce_command(&args.scenario, &all, seeds[s])));
            }
            None => {}
        }
    }
    let mut outcome = Outcome {
        out,
        axes,
        points: points.len(),
        seeds: seeds.len(),
        ran: todo.len(),
        reused,
        threads,
        point_rows: Vec::new(),
        metrics: manifest.metrics.clone(),
        shard: None,
    };
    if let Some(shard) = args.shard {
        // A shard never writes runs.csv or points.csv, even when it happens to hold every run: those
        // files come from `mrsim merge` only, so there is one way a sharded sweep ends.
        outcome.shard = Some((shard, (0..jobs.len()).filter(|&j| mine(j)).count()));
        return Ok(outcome);
    }
    let rows: Vec<Vec<String>> = rows.into_iter().map(|r| r.expect("every run has a row")).collect();
    outcome.point_rows = assemble(&outcome.out, &outcome.axes, &manifest.metrics, &rows, seeds.len())?;
    Ok(outcome)
}

/// The seeds every point runs: seed `i` is the first number of the stream `sweep/{i}` under `seed0`.
fn run_seeds(seed0: Seed, count: u32) -> Vec<Seed> {
    (0..count).map(|i| Seed(Seed(seed0.0).stream(&format!("sweep/{i}")).next_u64())).collect()
}

/// Writes runs.csv and points.csv from every run's row, sorted by (point, seed); returns points.csv's
/// rows. The one place both files are made, by a sweep on one machine and by `mrsim merge`.
fn assemble(
    out: &Path,
    axes: &[Axis],
    metrics: &[String],
    rows: &[Vec<String>],
    seeds: usize,
) -> Result<Vec<Vec<String>>, CliError> {
    output::write_atomic(&out.join("runs.csv"), &csv_bytes(&header(axes, metrics), rows)?).map_err(CliError::output)?;
    let point_rows = aggregate(axes, metrics.len(), rows, seeds);
    output::write_atomic(&out.join("points.csv"), &csv_bytes(&points_header(axes, metrics), &point_rows)?)
        .map_err(CliError::output)?;
    Ok(point_rows)
}

/// Every grid point, validated before anything runs: a bad value names its point.
fn build_points(path: &Path, source: &str, fixed: &[Override], axes: &[Axis]) -> Result<Vec<Point>, CliError> {
    let count: usize = axes.iter().map(|a| a.values.len()).product();
    let mut points = Vec::with_capacity(count);
    for index in 0..count {
        // Row-major: the last axis varies fastest.
        let mut rest = index;
        let mut chosen = vec![0; axes.len()];
        for (k, a) in axes.iter().enumerate().rev() {
            chosen[k] = rest % a.values.len();
            rest /= a.values.len();
        }
        let point_overrides: Vec<Override> = axes
            .iter()
            .zip(&chosen)
            .flat_map(|(a, &v)| a.paths().map(move |p| Override::new(p, &a.values[v])))
            .collect::<Result<_, _>>()
            .map_err(|e| CliError::input(format!("error: --grid: {e}")))?;
        let values = axes.iter().zip(&chosen).map(|(a, &v)| a.values[v].clone()).collect();
        let mut all = fixed.to_vec();
        all.extend(point_overrides.iter().cloned());
        let scenario = match overrides::resolve(path, source, &all) {
            Ok((_, s)) => s,
            Err(e) => {
                let described = describe(&point_overrides);
                return Err(CliError::input(format!(
                    "error: grid point {index} ({described}) is not a valid scenario:\n{e}"
                )));
            }
        };
        points.push(Point { overrides: point_overrides, values, scenario });
    }
    Ok(points)
}

fn describe(overrides: &[Override]) -> String {
    overrides.iter().map(|o| o.to_string()).collect::<Vec<_>>().join(", ")
}

/// Writes the manifest, or checks it against the one already there.
fn claim_folder(out: &Path, manifest: &Manifest) -> Result<(), CliError> {
    output::claim(out, "sweep.json", manifest, ("sweep", "runs"), |theirs| match theirs {
        None => "it is not a sweep manifest".to_string(),
        Some(m) => {
            let mut fields = Vec::new();
            if m.scenario_hash != manifest.scenario_hash || m.scenario != manifest.scenario {
                fields.push(format!(
                    "scenario {} {} here, {} {} now",
                    m.scenario, m.scenario_hash, manifest.scenario, manifest.scenario_hash
                ));
            }
            if m.grid != manifest.grid {
                fields.push("the grid".to_string());
            }
            if m.seeds != manifest.seeds || m.seed0 != manifest.seed0 {
                fields.push(format!(
                    "seeds {} from {} here, {} from {} now",
                    m.seeds, m.seed0, manifest.seeds, manifest.seed0
                ));
            }
            if m.metrics != manifest.metrics {
                fields.push("the metric columns".to_string());
            }
            fields.join("; ")
        }
    })
}

fn run_file(out: &Path, point: usize, seed: usize) -> PathBuf {
    out.join("runs").join(format!("{point}-{seed}.csv"))
}

/// A saved run's row, if its file is there, whole, and of this sweep.
fn read_run_file(out: &Path, header: &[String], point: usize, s: usize, seed: Seed) -> Option<Vec<String>> {
    let bytes = std::fs::read(run_file(out, point, s)).ok()?;
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let theirs: Vec<String> = reader.headers().ok()?.iter().map(str::to_string).collect();
    let mut records = reader.records();
    let row: Vec<String> = records.next()?.ok()?.iter().map(str::to_string).collect();
    let ours = theirs == header && records.next().is_none() && row.len() == header.len();
    (ours && row[0] == point.to_string() && row[1] == seed.to_string()).then_some(row)
}

/// Runs one (point, seed) and renders its row.
fn run_one(point: &Point, p: usize, s: usize, seed: Seed, columns: &[String]) -> Result<Vec<String>, CliError> {
    let output = models::run::run(&point.scenario.world, seed, TraceMode::Hash).map_err(|e| {
        CliError::run(format!("sweep point {p} ({}), seed {s} ({seed}): {e}", describe(&point.overrides)))
    })?;
    let summary = report::summary(&point.scenario, seed, &output);
    let mut row = vec![p.to_string(), seed.to_string()];
    row.extend(point.values.iter().cloned());
    row.extend(metric_cells(&summary, columns));
    Ok(row)
}

/// Shortest round-trip decimal text: the same bytes wherever the value was computed.
fn number(x: f64) -> String {
    format!("{x}")
}

fn header(axes: &[Axis], metrics: &[String]) -> Vec<String> {
    let mut h = vec!["point".to_string(), "seed".to_string()];
    h.extend(axes.iter().map(|a| a.path.clone()));
    h.extend(metrics.iter().cloned());
    h
}

fn points_header(axes: &[Axis], metrics: &[String]) -> Vec<String> {
    let mut h = vec!["point".to_string()];
    h.extend(axes.iter().map(|a| a.path.clone()));
    h.push("runs".to_string());
    for name in metrics {
        h.push(format!("{name}_mean"));
        h.push(format!("{name}_ci95"));
        h.push(format!("{name}_n"));
    }
    h
}

/// points.csv's rows from runs.csv's (sorted by point, then seed), sequentially. A metric a run did
/// not define (a percentile of nothing, a convergence that never happened) is censored: left out
/// of its point's mean and interval, and counted: `{metric}_n` is the runs that defined it, so a
/// mean of 2 runs out of 3 says so.
/// A point's grid values are read from its first run's row, which holds them as written.
fn aggregate(axes: &[Axis], metrics: usize, rows: &[Vec<String>], seeds: usize) -> Vec<Vec<String>> {
    let first_metric = 2 + axes.len();
    rows.chunks(seeds)
        .enumerate()
        .map(|(p, runs)| {
            let mut row = vec![p.to_string()];
            row.extend(runs[0][2..first_metric].iter().cloned());
            row.push(seeds.to_string());
            for m in 0..metrics {
                let values: Vec<f64> = runs.iter().filter_map(|r| r[first_metric + m].parse::<f64>().ok()).collect();
                let (mean, half) = stats::mean_ci95(&values);
                row.push(mean.map_or(String::new(), number));
                row.push(half.map_or(String::new(), number));
                row.push(values.len().to_string());
            }
            row
        })
        .collect()
}

fn csv_bytes(header: &[String], rows: &[Vec<String>]) -> Result<Vec<u8>, CliError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let internal = |e: csv::Error| CliError::internal(format!("writing CSV: {e}"));
    w.write_record(header).map_err(internal)?;
    for r in rows {
        w.write_record(r).map_err(internal)?;
    }
    w.into_inner().map_err(|e| CliError::internal(format!("writing CSV: {e}")))
}

/// The terminal report: what ran, a few headline numbers per point, the files.
pub fn terminal_text(o: &Outcome, wall_s: f64) -> String {
    let n = |count: usize, one: &str, many: &str| crate::count(count as u64, one, many);
    let (points, seeds, runs) =
        (n(o.points, "point", "points"), n(o.seeds, "seed", "seeds"), n(o.points * o.seeds, "run", "runs"));
    let (reused, threads) = (n(o.reused, "run", "runs"), n(o.threads, "thread", "threads"));
    if let Some((shard, held)) = o.shard {
        let held_runs = n(held, "run", "runs");
        return format!(
            "mrsim sweep: shard {shard} of {points} x {seeds} = {runs}: {} ran, {reused} reused, {held_runs} in this \
             shard; {wall_s:.2}s wall time on {threads}\n  wrote           {} (runs in {})\n\
             shard {shard} ran {} of its {held_runs}; when every shard has finished, run `mrsim merge SHARD_DIR... --out \
             DIR` to write runs.csv and points.csv\n",
            o.ran,
            o.out.join("sweep.json").display(),
            o.out.join("runs").display(),
            o.ran,
        );
    }
    let mut text = format!(
        "mrsim sweep: {points} x {seeds} = {runs}: {} ran, {reused} reused; {wall_s:.2}s wall time on {threads}\n",
        o.ran
    );
    let column = |name: &str| METRICS.iter().position(|m| m.0 == name);
    let shown = ["operations_error_rate", "writes_lost_last_writer_wins", "reads_stale_fraction"];
    const LIMIT: usize = 20;
    for row in o.point_rows.iter().take(LIMIT) {
        let first_metric = row.len() - 3 * o.metrics.len();
        let runs = &row[first_metric - 1];
        let settings: Vec<String> = o.axes.iter().zip(&row[1..]).map(|(a, v)| format!("{}={v}", a.path)).collect();
        let settings = settings.join(" ");
        let mut line = format!("  point {:<3} {settings}:", row[0]);
        for name in shown {
            if let Some(m) = column(name) {
                let (mean, half, n) =
                    (&row[first_metric + 3 * m], &row[first_metric + 3 * m + 1], &row[first_metric + 3 * m + 2]);
                let decimals = mean.parse::<f64>().map_or(0, |v| if v.abs() >= 100.0 { 0 } else { 4 });
                let short = |x: &str| x.parse::<f64>().map_or("-".to_string(), |v| format!("{v:.decimals$}"));
                if n == "0" {
                    line.push_str(&format!(" {name} - (no run of {runs} reported it)"));
                    continue;
                }
                line.push_str(&format!(" {name} {} ± {}", short(mean), short(half)));
                if n != runs {
                    line.push_str(&format!(" (of the {n} of {runs} runs that reported it)"));
                }
            }
        }
        text.push_str(&line);
        text.push('\n');
    }
    if o.point_rows.len() > LIMIT {
        text.push_str(&format!("  ... {} more points in points.csv\n", o.point_rows.len() - LIMIT));
    }
    text.push_str(&format!(
        "  wrote           {}, {} (runs in {})\n",
        o.out.join("runs.csv").display(),
        o.out.join("points.csv").display(),
        o.out.join("runs").display()
    ));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_values_split_on_top_level_commas_only() {
        let a = Axis::parse("store[0].replication_delay=exp(mean=1s), uniform(1s, 2s),[1, 2],\"a,b\"").unwrap();
        assert_eq!(a.path, "store[0].replication_delay");
        assert_eq!(a.values, ["exp(mean=1s)", "uniform(1s, 2s)", "[1, 2]", "\"a,b\""]);
        assert!(Axis::parse("population[0].rate").unwrap_err().contains("no `=`"));
        assert!(Axis::parse("population[0].rate=1,1").unwrap_err().contains("listed twice"));
        assert!(Axis::parse("population[0].rate=").unwrap_err().contains("empty value"));
    }

    #[test]
    fn a_linked_axis_joins_paths_with_plus_and_sets_each() {
        let a = Axis::parse("population[0].rate + population[1].rate=100,200").unwrap();
        assert_eq!(a.path, "population[0].rate+population[1].rate");
        assert_eq!(a.paths().collect::<Vec<_>>(), ["population[0].rate", "population[1].rate"]);
        assert_eq!(a.values, ["100", "200"]);
        assert!(Axis::parse("population[0].rate+population[0].rate=1,2").unwrap_err().contains("joined twice"));
        assert!(Axis::parse("population[0].rate+=1,2").unwrap_err().contains("path is empty"));
    }

    /// A point whose metric one run of three left null: the mean and interval are of the two that
    /// reported it, `_n` says 2, and the terminal says "of the 2 of 3 runs"; a metric every run
    /// reported says nothing more. (Two of the terminal's metrics stand in for any.)
    #[test]
    fn a_censored_run_is_counted_not_averaged() {
        let axes = [Axis { path: "p".into(), values: vec!["1".into()] }];
        let at = |name: &str| METRICS.iter().position(|m| m.0 == name).unwrap();
        let (censored, full) = (at("operations_error_rate"), at("reads_stale_fraction"));
        let run = |seed: &str, c: &str, f: &str| {
            let mut row = ["0", seed, "1"].map(String::from).to_vec();
            row.extend((0..METRICS.len()).map(|m| {
                if m == censored {
                    c
                } else if m == full {
                    f
                } else {
                    ""
                }
                .to_string()
            }));
            row
        };
        let rows = [run("0", "10", "0.5"), run("1", "", "0.25"), run("2", "20", "0.75")];
        let points = aggregate(&axes, METRICS.len(), &rows, 3);
        let cells = |m: usize| &points[0][3 + 3 * m..6 + 3 * m];
        let (_, half) = stats::mean_ci95(&[10.0, 20.0]);
        assert_eq!(cells(censored), ["15", &number(half.unwrap()), "2"].map(String::from));
        let (_, half) = stats::mean_ci95(&[0.5, 0.25, 0.75]);
        assert_eq!(cells(full), ["0.5", &number(half.unwrap()), "3"].map(String::from));
        assert_eq!(cells(at("divergent_keys")), ["", "", "0"], "reported by no run");
        let o = Outcome {
            out: PathBuf::from("out"),
            axes: axes.to_vec(),
            points: 1,
            seeds: 3,
            ran: 3,
            reused: 0,
            threads: 1,
            point_rows: points,
            metrics: METRICS.iter().map(|m| m.0.to_string()).collect(),
            shard: None,
        };
        let text = terminal_text(&o, 1.0);
        assert!(
            text.contains("operations_error_rate 15.0000 ± 63.5310 (of the 2 of 3 runs that reported it) "),
            "{text}"
        );
        assert!(text.contains("writes_lost_last_writer_wins - (no run of 3 reported it) "), "{text}");
        assert!(text.contains("reads_stale_fraction 0.5000 ± 0.6210\n"), "{text}");
    }

    #[test]
    fn seeds_derive_from_seed0_by_name() {
        // Documented in the module comment and the README: changing it changes every sweep.
        let seed = |i: u32| Seed(Seed(0x2a).stream(&format!("sweep/{i}")).next_u64());
        assert_ne!(seed(0), seed(1));
        assert_eq!(seed(0), seed(0));
    }
}
