//! `mrsim run`: one scenario, one seed; a summary on the terminal, files in an output folder.
//!
//! All files are rendered in memory first (the history files apart, streamed) into a folder built
//! aside and swapped in whole when the run succeeded (see [`crate::output::Staged`]), so a failed
//! or killed run leaves no partial output and a rerun never leaves files of an older run beside
//! the new ones. With `--check-determinism` the run is
//! executed twice (more on a divergence, to locate it): the event traces must agree event for event
//! and every output file must agree byte for byte.
//!
//! The folder: summary.json, timeseries.csv, plots/timeline.svg, summary.md, events.csv,
//! histograms.csv (latency, staleness, replication lag and per-client outage distributions in
//! fixed buckets, for `mrsim plot`), scenario.toml (the source as given) and manifest.json
//! (version, seed, scenario hash, and every other file's hash); none of them holds a wall time or a
//! path. With `list_conflicts = true` in `[scenario]`, also conflicts.csv (see
//! [`crate::artifacts::conflicts_csv`]). With a quorum store's `probe_after`, also t_visibility.csv
//! (see [`crate::t_visibility`]).

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Instant;

use models::run::RunOutput;
use sim_core::{DeterminismError, Seed, TraceMode, TraceSummary, check_determinism};

use crate::history::HistoryFiles;
use crate::overrides::{self, Override};
use crate::report::{self, Summary};
use crate::scenario::Scenario;
use crate::{CliError, artifacts, histograms, output, plot};
use models::history::{HistoryEntry, HistorySink};

/// What `mrsim run` was asked to do.
#[derive(Clone, Debug)]
pub struct RunArgs {
    pub scenario: PathBuf,
    pub seed: Option<Seed>,
    pub out: Option<PathBuf>,
    pub check_determinism: bool,
    /// Also write history.jsonl and history.edn (every operation's invocation and completion).
    pub history: bool,
    /// `--set path=value` overrides, applied in order before validation.
    pub set: Vec<String>,
}

/// A run rendered to bytes: every output file, by name relative to the output folder.
#[derive(Clone, Debug, PartialEq)]
pub struct Bundle {
    pub files: Vec<(String, Vec<u8>)>,
    pub summary: Summary,
    pub trace: TraceSummary,
}

/// The seed used when neither the command line nor the scenario gives one.
pub const DEFAULT_SEED: Seed = Seed(0x2a);

/// Runs the scenario once under `seed` with `trace`, and renders every output file.
pub fn run_and_render(scenario: &Scenario, seed: Seed, trace: TraceMode) -> Result<Bundle, CliError> {
    run_and_render_with_history(scenario, seed, trace, None)
}

/// As [`run_and_render`], reporting every operation to `history` if given.
pub fn run_and_render_with_history(
    scenario: &Scenario,
    seed: Seed,
    trace: TraceMode,
    history: Option<Rc<RefCell<HistoryFiles>>>,
) -> Result<Bundle, CliError> {
    let sink = history.map(|h| Box::new(SharedHistory(h)) as Box<dyn HistorySink>);
    let (output, _) = models::run::run_with_history(&scenario.world, seed, trace, sink)
        .map_err(|e| run_failed(scenario, seed, &e.to_string()))?;
    render(scenario, seed, &output)
}

/// Lets the world write into history files the command still owns when the run is over.
struct SharedHistory(Rc<RefCell<HistoryFiles>>);

impl HistorySink for SharedHistory {
    fn record(&mut self, entry: &HistoryEntry) {
        self.0.borrow_mut().record(entry);
    }
}

/// Renders the files of a finished run.
pub fn render(scenario: &Scenario, seed: Seed, output: &RunOutput) -> Result<Bundle, CliError> {
    let summary = report::summary(scenario, seed, output);
    let mut json = serde_json::to_vec_pretty(&summary).map_err(|e| CliError::internal(e.to_string()))?;
    json.push(b'\n');
    let csv = report::timeseries_csv(scenario, output).map_err(CliError::internal)?;
    let svg = plot::render_svg(&report::timeline_figure(scenario, output))
        .map_err(|e| CliError::internal(format!("drawing the timeline failed: {e}")))?;
    let events = artifacts::events_csv(scenario, output).map_err(CliError::internal)?;
    let histograms = histograms::histograms_csv(scenario, output).map_err(CliError::internal)?;
    let markdown = artifacts::summary_markdown(&summary);
    // The first three keep their places: tests and tools address them by index.
    let mut files = vec![
        ("summary.json".to_string(), json),
        ("timeseries.csv".to_string(), csv),
        ("plots/timeline.svg".to_string(), svg.into_bytes()),
        ("summary.md".to_string(), markdown.into_bytes()),
        ("events.csv".to_string(), events),
        ("histograms.csv".to_string(), histograms),
        ("scenario.toml".to_string(), scenario.source.clone().into_bytes()),
    ];
    if scenario.world.list_conflicts {
        let conflicts = artifacts::conflicts_csv(scenario, output).map_err(CliError::internal)?;
        files.push(("conflicts.csv".to_string(), conflicts));
    }
    if let Some(probe) = crate::t_visibility::t_visibility_csv(scenario, output).map_err(CliError::internal)? {
        files.push(("t_visibility.csv".to_string(), probe));
    }
    // Last, since it lists every other file with its hash.
    let listed: Vec<_> = files.iter().map(|(name, bytes)| artifacts::listed(name, bytes)).collect();
    let manifest = artifacts::manifest_json(scenario, seed, &listed);
    files.push(("manifest.json".to_string(), manifest));
    Ok(Bundle { files, summary, trace: output.stats.trace.clone() })
}

fn run_failed(scenario: &Scenario, seed: Seed, why: &str) -> CliError {
    CliError::run(format!("scenario {:?} with seed {seed}: {why}", scenario.name))
}

/// Runs twice through sim-core's determinism check, then compares every rendered file.
pub fn run_checked<F>(mut once: F) -> Result<Bundle, CliError>
where
    F: FnMut(TraceMode) -> Result<Bundle, CliError>,
{
    let mut bundles: Vec<Bundle> = Vec::new();
    let mut failure: Option<CliError> = None;
    let result = check_determinism(sim_core::determinism::DEFAULT_CHECKPOINT_EVERY, |mode| {
        match once(mode) {
            Ok(b) => {
                let trace = b.trace.clone();
                bundles.push(b);
                Ok(trace)
            }
            Err(e) => {
                failure = Some(e);
                // Report an empty trace; the failure itself is returned below.
                Ok(TraceSummary::default())
            }
        }
    });
    if let Some(e) = failure {
        return Err(e);
    }
    match result {
        Ok(_) => {}
        Err(DeterminismError::Run(e)) => return Err(CliError::run(e.to_string())),
        Err(DeterminismError::Diverged(d)) => return Err(CliError::run(format!("determinism check failed: {d}"))),
    }
    let (first, second) = (&bundles[0], &bundles[1]);
    for ((name, a), (_, b)) in first.files.iter().zip(&second.files) {
        if a != b {
            let at = a.iter().zip(b).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
            return Err(CliError::run(format!(
                "determinism check failed: the event traces agree but {name} differs between the two runs at byte {at}"
            )));
        }
    }
    Ok(bundles.swap_remove(0))
}

/// `mrsim run`.
pub fn execute(args: &RunArgs) -> Result<String, CliError> {
    let overrides = args.set.iter().map(|s| Override::parse(s)).collect::<Result<Vec<_>, _>>();
    let overrides = overrides.map_err(|e| CliError::input(format!("error: {e}")))?;
    let scenario = overrides::load(&args.scenario, &overrides).map_err(|e| CliError::input(e.to_string()))?;
    eprint!("{}", scenario.warnings);
    let seed = args.seed.or(scenario.seed).unwrap_or(DEFAULT_SEED);
    let reproduce = reproduce_command(&args.scenario, &overrides, seed);
    let out = args.out.clone().unwrap_or_else(|| default_out(&scenario, seed));
    output::check_replaceable("--out", &out, &artifacts::manifest_files)
        .map_err(|e| CliError::input(format!("error: {e}")))?;
    // Built aside and swapped in whole: a failed or killed run leaves the old folder as it was.
    let staged = output::Staged::begin(&out).map_err(CliError::output)?;
    let history = match args.history {
        true => {
            let regions = scenario.world.topology.regions().map(|r| scenario.world.topology.name(r).to_string());
            let stores = scenario.world.stores.iter().map(|s| s.name.clone()).collect();
            Some(Rc::new(RefCell::new(
                HistoryFiles::create(staged.path(), regions.collect(), stores).map_err(CliError::output)?,
            )))
        }
        false => None,
    };
    let started = Instant::now();
    let result = if args.check_determinism {
        // The history is kept by the first run only; the second must match it event for event.
        let mut first = history.clone();
        run_checked(|mode| run_and_render_with_history(&scenario, seed, mode, first.take()))
    } else {
        run_and_render_with_history(&scenario, seed, TraceMode::Hash, history.clone())
    };
    let mut bundle = result.map_err(|e| e.with_reproduce(&reproduce))?;
    let wall = started.elapsed().as_secs_f64();
    let mut names: Vec<String> = bundle.files.iter().map(|(n, _)| n.clone()).collect();
    if let Some(h) = history {
        let files = Rc::try_unwrap(h).map_err(|_| CliError::internal("the history is still shared"))?.into_inner();
        let streamed = files.finish().map_err(CliError::output)?;
        // The manifest lists every file of the folder: the history files too, hashed as written.
        let (manifest, rendered) = bundle.files.split_last_mut().expect("the manifest comes last");
        let mut listed: Vec<_> = rendered.iter().map(|(name, bytes)| artifacts::listed(name, bytes)).collect();
        listed.extend(streamed.iter().cloned());
        manifest.1 = artifacts::manifest_json(&scenario, seed, &listed);
        names.extend(streamed.into_iter().map(|(name, _, _)| name));
    }
    for (name, bytes) in &bundle.files {
        staged.write(name, bytes).map_err(CliError::output)?;
    }
    staged.commit().map_err(CliError::output)?;
    let written: Vec<String> = names.iter().map(|n| out.join(n).display().to_string()).collect();
    let mut text = report::terminal_text(&bundle.summary, wall);
    if args.check_determinism {
        text.push_str(&format!(
            "  determinism     checked: two runs agree on {} events and on every output byte\n",
            bundle.trace.events
        ));
    }
    text.push_str(&format!("  wrote           {}\n", written.join(", ")));
    Ok(text)
}

fn default_out(scenario: &Scenario, seed: Seed) -> PathBuf {
    Path::new("out").join(format!("{}-{seed}", scenario.name))
}

/// `mrsim run SCENARIO [--set path=value ...] --seed SEED`, quoted for a POSIX shell.
pub fn reproduce_command(scenario: &Path, overrides: &[Override], seed: Seed) -> String {
    let mut line = format!("mrsim run {}", shell_quote(&scenario.display().to_string()));
    for o in overrides {
        line.push_str(&format!(" --set {}", shell_quote(&o.to_string())));
    }
    line.push_str(&format!(" --seed {seed}"));
    line
}

/// `text` as one shell word: unchanged if it is plain, else in single quotes.
pub fn shell_quote(text: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-./=:,@%+".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}
