//! `mrsim reproduce`: regenerates every shipped result from the manifests in experiments/reproduce/.
//!
//! A manifest is a TOML file listing runs and sweeps:
//!
//! ```toml
//! [[run]]
//! scenario = "experiments/scenarios/world.toml"   # from the repository root
//! out = "world"                                    # the folder under results/
//! seed = "0x2a"
//!
//! [[sweep]]
//! scenario = "experiments/scenarios/sweeps/ttl.toml"
//! out = "sweeps/ttl"
//! seeds = 8
//! seed0 = "0x2a"
//! grid = ["route53.ttl=10s,60s"]
//! set = []
//!
//! [[shrink]]
//! scenario = "experiments/scenarios/shrunk/mrec-failover.toml"
//! out = "shrink/mrec-failover"
//! seed = "0x2a"
//! expect = "0"        # optional: an index or a metric (default: the first that fails)
//! max_runs = 1000     # optional
//!
//! [[annual]]
//! scenario = "experiments/scenarios/cost/two-region.toml"
//! out = "cost/annual-two-region"
//! years = 200
//! seed0 = "0x2a"
//! set = []             # optional
//! ```
//!
//! Every entry is produced into a staging folder beside the results and only then swapped into
//! place, so an interrupted reproduce leaves each result folder either old or new, never a mix; a
//! sweep's per-run files (runs/) are dropped, since runs.csv holds every row. With `--check` nothing
//! is replaced: each staged folder is compared file by file and byte for byte with the committed one,
//! and every difference is named. Runs go in parallel (one per thread); each sweep is parallel inside;
//! shrinks go in parallel with each other, each one sequential inside, and keep every file they
//! write (steps.csv and shrink.json included: they hold no path and no wall time).

use std::fs;
use std::path::{Component, Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use serde::Deserialize;
use sim_core::Seed;

use crate::CliError;
use crate::progress::Progress;
use crate::run::RunArgs;
use crate::sweep::SweepArgs;

/// What `mrsim reproduce` was asked to do.
#[derive(Clone, Debug)]
pub struct ReproduceArgs {
    /// The folder of manifests (every *.toml in it, in name order).
    pub manifests: PathBuf,
    /// The results folder the entries' `out` are relative to.
    pub root: PathBuf,
    /// Keep only entries whose `out` starts with one of these (all when empty).
    pub only: Vec<String>,
    /// Compare with the committed results instead of replacing them.
    pub check: bool,
    /// Run every single run twice and require identical events and bytes.
    pub check_determinism: bool,
    pub threads: Option<usize>,
    /// List the entries and stop.
    pub list: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    #[serde(default)]
    run: Vec<RunEntry>,
    #[serde(default)]
    sweep: Vec<SweepEntry>,
    #[serde(default)]
    shrink: Vec<ShrinkEntry>,
    #[serde(default)]
    annual: Vec<AnnualEntry>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AnnualEntry {
    scenario: PathBuf,
    out: String,
    years: u32,
    seed0: String,
    #[serde(default)]
    set: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RunEntry {
    scenario: PathBuf,
    out: String,
    seed: String,
    #[serde(default)]
    set: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SweepEntry {
    scenario: PathBuf,
    out: String,
    seeds: u32,
    seed0: String,
    grid: Vec<String>,
    #[serde(default)]
    set: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShrinkEntry {
    scenario: PathBuf,
    out: String,
    seed: String,
    #[serde(default)]
    expect: Option<String>,
    #[serde(default)]
    set: Vec<String>,
    #[serde(default)]
    max_runs: Option<usize>,
}

/// One entry of a manifest, checked.
#[derive(Clone, Debug)]
pub enum Entry {
    Run { scenario: PathBuf, out: String, seed: Seed, set: Vec<String> },
    Sweep { scenario: PathBuf, out: String, seeds: u32, seed0: Seed, grid: Vec<String>, set: Vec<String> },
    Shrink { scenario: PathBuf, out: String, seed: Seed, expect: Option<String>, set: Vec<String>, max_runs: usize },
    Annual { scenario: PathBuf, out: String, years: u32, seed0: Seed, set: Vec<String> },
}

impl Entry {
    pub fn out(&self) -> &str {
        match self {
            Entry::Run { out, .. }
            | Entry::Sweep { out, .. }
            | Entry::Shrink { out, .. }
            | Entry::Annual { out, .. } => out,
        }
    }

    /// The `mrsim` command that makes this entry's folder by hand.
    pub fn command(&self, root: &Path) -> String {
        let q = crate::run::shell_quote;
        let (mut line, set) = match self {
            Entry::Run { scenario, out, seed, set } => (
                format!(
                    "mrsim run {} --seed {seed} --out {}",
                    q(&scenario.display().to_string()),
                    q(&root.join(out).display().to_string())
                ),
                set,
            ),
            Entry::Sweep { scenario, out, seeds, seed0, grid, set } => {
                let mut line = format!(
                    "mrsim sweep {} --seeds {seeds} --seed0 {seed0} --out {}",
                    q(&scenario.display().to_string()),
                    q(&root.join(out).display().to_string())
                );
                for g in grid {
                    line.push_str(&format!(" --grid {}", q(g)));
                }
                (line, set)
            }
            Entry::Shrink { scenario, out, seed, expect, set, max_runs } => {
                let mut line = format!(
                    "mrsim shrink {} --seed {seed} --out {}",
                    q(&scenario.display().to_string()),
                    q(&root.join(out).display().to_string())
                );
                if let Some(e) = expect {
                    line.push_str(&format!(" --expect {}", q(e)));
                }
                if *max_runs != crate::shrink::DEFAULT_MAX_RUNS {
                    line.push_str(&format!(" --max-runs {max_runs}"));
                }
                (line, set)
            }
            Entry::Annual { scenario, out, years, seed0, set } => (
                format!(
                    "mrsim annual {} --years {years} --seed0 {seed0} --out {}",
                    q(&scenario.display().to_string()),
                    q(&root.join(out).display().to_string())
                ),
                set,
            ),
        };
        for s in set {
            line.push_str(&format!(" --set {}", q(s)));
        }
        line
    }
}

/// Reads every manifest in `dir` (*.toml, in name order) and checks the entries: each `out` a
/// relative path without `..`, given once, and not inside another entry's folder.
pub fn load(dir: &Path) -> Result<Vec<Entry>, CliError> {
    let input = |m: String| CliError::input(format!("error: {m}"));
    let listing =
        fs::read_dir(dir).map_err(|e| input(format!("cannot read the manifest folder {}: {e}", dir.display())))?;
    let mut files: Vec<PathBuf> = listing
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(input(format!("{} holds no manifest (*.toml)", dir.display())));
    }
    let mut entries = Vec::new();
    for file in &files {
        let text = fs::read_to_string(file).map_err(|e| input(format!("cannot read {}: {e}", file.display())))?;
        let manifest: Manifest =
            toml::from_str(&text).map_err(|e| input(format!("{}: {}", file.display(), e.to_string().trim_end())))?;
        let place = |kind: &str, i: usize| format!("{}: {kind}[{i}]", file.display());
        let seed = |text: &str, at: String| {
            text.parse::<Seed>().map_err(|e| input(format!("{at}: seed {text:?}: {e}; expected hex (0x2a) or decimal")))
        };
        for (i, r) in manifest.run.into_iter().enumerate() {
            let at = place("run", i);
            check_out(&r.out).map_err(|e| input(format!("{at}: out {:?}: {e}", r.out)))?;
            let seed = seed(&r.seed, format!("{at}.seed"))?;
            entries.push((at, Entry::Run { scenario: r.scenario, out: r.out, seed, set: r.set }));
        }
        for (i, s) in manifest.sweep.into_iter().enumerate() {
            let at = place("sweep", i);
            check_out(&s.out).map_err(|e| input(format!("{at}: out {:?}: {e}", s.out)))?;
            if s.seeds == 0 {
                return Err(input(format!("{at}.seeds: 0; expected at least 1")));
            }
            if s.grid.is_empty() {
                return Err(input(format!("{at}.grid: empty; expected at least one axis path=v1,v2,...")));
            }
            let seed0 = seed(&s.seed0, format!("{at}.seed0"))?;
            let entry =
                Entry::Sweep { scenario: s.scenario, out: s.out, seeds: s.seeds, seed0, grid: s.grid, set: s.set };
            entries.push((at, entry));
        }
        for (i, s) in manifest.shrink.into_iter().enumerate() {
            let at = place("shrink", i);
            check_out(&s.out).map_err(|e| input(format!("{at}: out {:?}: {e}", s.out)))?;
            let seed = seed(&s.seed, format!("{at}.seed"))?;
            let max_runs = s.max_runs.unwrap_or(crate::shrink::DEFAULT_MAX_RUNS);
            if max_runs == 0 {
                return Err(input(format!("{at}.max_runs: 0; expected at least 1")));
            }
            let entry =
                Entry::Shrink { scenario: s.scenario, out: s.out, seed, expect: s.expect, set: s.set, max_runs };
            entries.push((at, entry));
        }
        for (i, a) in manifest.annual.into_iter().enumerate() {
            let at = place("annual", i);
            check_out(&a.out).map_err(|e| input(format!("{at}: out {:?}: {e}", a.out)))?;
            if a.years == 0 {
                return Err(input(format!("{at}.years: 0; expected at least 1")));
            }
            let seed0 = seed(&a.seed0, format!("{at}.seed0"))?;
            entries.push((at, Entry::Annual { scenario: a.scenario, out: a.out, years: a.years, seed0, set: a.set }));
        }
    }
    for (i, (at, e)) in entries.iter().enumerate() {
        for (other_at, other) in &entries[..i] {
            let (a, b) = (Path::new(e.out()), Path::new(other.out()));
            if a.starts_with(b) || b.starts_with(a) {
                return Err(input(format!(
                    "{at}: out {:?} overlaps out {:?} of {other_at}; expected every entry in a folder of its own",
                    e.out(),
                    other.out()
                )));
            }
        }
    }
    Ok(entries.into_iter().map(|(_, e)| e).collect())
}

fn check_out(out: &str) -> Result<(), String> {
    let path = Path::new(out);
    if out.is_empty() {
        return Err("empty; expected a folder under the results root".into());
    }
    if !path.components().all(|c| matches!(c, Component::Normal(_))) {
        return Err("expected a relative path of plain folder names (no `..`, no leading `/`)".into());
    }
    if path.components().any(|c| c.as_os_str().to_string_lossy().starts_with('.')) {
        return Err("a folder name starts with `.`; those are reserved for staging".into());
    }
    Ok(())
}

/// The staging folder of an entry: beside the results, hidden, removed when done.
fn staging(root: &Path, out: &str) -> PathBuf {
    root.join(".reproduce").join(out)
}

/// `mrsim reproduce`.
pub fn execute(args: &ReproduceArgs) -> Result<String, CliError> {
    let all = load(&args.manifests)?;
    let entries: Vec<Entry> = all
        .into_iter()
        .filter(|e| args.only.is_empty() || args.only.iter().any(|p| e.out().starts_with(p.as_str())))
        .collect();
    if entries.is_empty() {
        return Err(CliError::input(format!("error: no entry's out starts with {}", args.only.join(" or "))));
    }
    if args.list {
        return Ok(entries.iter().map(|e| format!("{}\n", e.command(&args.root))).collect());
    }
    if args.threads == Some(0) {
        return Err(CliError::input("error: --threads must be at least 1"));
    }
    let started = Instant::now();
    let scratch = args.root.join(".reproduce");
    let _ = fs::remove_dir_all(&scratch);
    let result = produce(args, &entries);
    let outcome = result.and_then(|lines| finish(args, &entries).map(|diffs| (lines, diffs)));
    let _ = fs::remove_dir_all(&scratch);
    let (mut text, differences) = outcome?;
    if !differences.is_empty() {
        let mut message =
            format!("{} difference(s) between the committed results and the regenerated ones:\n", differences.len());
        for d in &differences {
            message.push_str(&format!("  {d}\n"));
        }
        message.push_str("  (regenerate with `mrsim reproduce` and review the change before committing it)");
        return Err(CliError::run(message));
    }
    let verb = if args.check { "reproduced byte for byte" } else { "written" };
    text.push_str(&format!(
        "{} under {} {verb} in {:.1} s\n",
        crate::count(entries.len() as u64, "result folder", "result folders"),
        args.root.display(),
        started.elapsed().as_secs_f64()
    ));
    Ok(text)
}

/// Runs every entry into its staging folder; returns one terminal line per entry.
fn produce(args: &ReproduceArgs, entries: &[Entry]) -> Result<String, CliError> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = args.threads {
        builder = builder.num_threads(n);
    }
    let pool = builder.build().map_err(|e| CliError::internal(format!("cannot start the worker threads: {e}")))?;
    let runs: Vec<&Entry> = entries.iter().filter(|e| matches!(e, Entry::Run { .. })).collect();
    let progress = Progress::new("reproduce", runs.len() as u64, "runs", true);
    let run_lines: Vec<Result<String, CliError>> = pool.install(|| {
        runs.par_iter()
            .map(|e| {
                let Entry::Run { scenario, out, seed, set } = e else { unreachable!("filtered to runs") };
                let started = Instant::now();
                let args = RunArgs {
                    scenario: scenario.clone(),
                    seed: Some(*seed),
                    out: Some(staging(&args.root, out)),
                    check_determinism: args.check_determinism,
                    history: false,
                    set: set.clone(),
                };
                let line = crate::run::execute(&args)
                    .map_err(|e| with_entry(e, out))
                    .map(|_| format!("  run    {out:<40} {:>6.1} s\n", started.elapsed().as_secs_f64()));
                progress.inc();
                line
            })
            .collect()
    });
    progress.finish();
    let mut text = String::new();
    for line in run_lines {
        text.push_str(&line?);
    }
    let shrinks: Vec<&Entry> = entries.iter().filter(|e| matches!(e, Entry::Shrink { .. })).collect();
    let progress = Progress::new("reproduce", shrinks.len() as u64, "shrinks", !shrinks.is_empty());
    let shrink_lines: Vec<Result<String, CliError>> = pool.install(|| {
        shrinks
            .par_iter()
            .map(|e| {
                let line = shrink_entry(&args.root, e);
                progress.inc();
                line
            })
            .collect()
    });
    progress.finish();
    for line in shrink_lines {
        text.push_str(&line?);
    }
    for e in entries {
        let Entry::Sweep { scenario, out, seeds, seed0, grid, set } = e else { continue };
        let started = Instant::now();
        let dir = staging(&args.root, out);
        let sweep = SweepArgs {
            scenario: scenario.clone(),
            grid: grid.clone(),
            seeds: *seeds,
            out: Some(dir.clone()),
            threads: args.threads,
            seed0: Some(*seed0),
            set: set.clone(),
            progress: true,
            shard: None,
        };
        let outcome = crate::sweep::sweep(&sweep).map_err(|e| with_entry(e, out))?;
        fs::remove_dir_all(dir.join("runs"))
            .map_err(|e| CliError::output(format!("cannot remove {}: {e}", dir.join("runs").display())))?;
        text.push_str(&format!(
            "  sweep  {out:<40} {:>6.1} s ({} x {})\n",
            started.elapsed().as_secs_f64(),
            crate::count(outcome.points as u64, "point", "points"),
            crate::count(outcome.seeds as u64, "seed", "seeds")
        ));
    }
    for e in entries {
        let Entry::Annual { scenario, out, years, seed0, set } = e else { continue };
        let started = Instant::now();
        let annual = crate::annual::AnnualArgs {
            scenario: scenario.clone(),
            years: *years,
            seed0: Some(*seed0),
            threads: args.threads,
            out: Some(staging(&args.root, out)),
            set: set.clone(),
        };
        crate::annual::execute(&annual).map_err(|e| with_entry(e, out))?;
        text.push_str(&format!(
            "  annual {out:<40} {:>6.1} s ({})\n",
            started.elapsed().as_secs_f64(),
            crate::count(u64::from(*years), "year", "years")
        ));
    }
    Ok(text)
}

/// Runs a `[[shrink]]` entry into its staging folder, quietly (its own progress would interleave
/// with the others').
fn shrink_entry(root: &Path, e: &Entry) -> Result<String, CliError> {
    let Entry::Shrink { scenario, out, seed, expect, set, max_runs } = e else { unreachable!("filtered to shrinks") };
    let started = Instant::now();
    let args = crate::shrink::ShrinkArgs {
        scenario: scenario.clone(),
        seed: Some(*seed),
        expect: expect.clone(),
        set: set.clone(),
        out: Some(staging(root, out)),
        max_runs: *max_runs,
        max_seconds: crate::shrink::DEFAULT_MAX_SECONDS,
        progress: false,
    };
    let outcome = crate::shrink::shrink(&args).map_err(|e| with_entry(e, out))?;
    Ok(format!(
        "  shrink {out:<40} {:>6.1} s ({})\n",
        started.elapsed().as_secs_f64(),
        crate::count(outcome.counts[0] as u64, "candidate", "candidates")
    ))
}

fn with_entry(mut e: CliError, out: &str) -> CliError {
    e.message = format!("{} (reproducing results/{out})", e.message);
    e
}

/// Swaps each staged folder into place, or with `--check` compares it with the committed one.
fn finish(args: &ReproduceArgs, entries: &[Entry]) -> Result<Vec<String>, CliError> {
    let mut differences = Vec::new();
    for e in entries {
        let (staged, target) = (staging(&args.root, e.out()), args.root.join(e.out()));
        if args.check {
            differences.extend(compare_trees(&target, &staged, e.out())?);
            continue;
        }
        if target.exists() {
            fs::remove_dir_all(&target)
                .map_err(|x| CliError::output(format!("cannot replace {}: {x}", target.display())))?;
        }
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)
                .map_err(|x| CliError::output(format!("cannot create {}: {x}", parent.display())))?;
        }
        fs::rename(&staged, &target)
            .map_err(|x| CliError::output(format!("cannot move {} to {}: {x}", staged.display(), target.display())))?;
    }
    Ok(differences)
}

/// Every file under `dir`, relative to it, sorted.
fn files_under(dir: &Path) -> Result<Vec<PathBuf>, CliError> {
    crate::output::files_under(dir).map_err(CliError::output)
}

/// The differences between the committed folder and the regenerated one, one line each.
pub fn compare_trees(committed: &Path, regenerated: &Path, out: &str) -> Result<Vec<String>, CliError> {
    if !committed.is_dir() {
        return Ok(vec![format!("results/{out}: not committed (the manifest lists it; run `mrsim reproduce`)")]);
    }
    let (ours, theirs) = (files_under(committed)?, files_under(regenerated)?);
    let mut lines = Vec::new();
    for f in &ours {
        if !theirs.contains(f) {
            lines.push(format!("results/{out}/{}: committed but no longer produced", f.display()));
        }
    }
    for f in &theirs {
        if !ours.contains(f) {
            lines.push(format!("results/{out}/{}: produced but not committed", f.display()));
            continue;
        }
        let read = |p: PathBuf| fs::read(&p).map_err(|e| CliError::output(format!("cannot read {}: {e}", p.display())));
        let (a, b) = (read(committed.join(f))?, read(regenerated.join(f))?);
        if a != b {
            let at = a.iter().zip(&b).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
            let line = 1 + a[..at].iter().filter(|&&c| c == b'\n').count();
            lines.push(format!("results/{out}/{}: differs from line {line} (byte {at})", f.display()));
        }
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("mrsim-reproduce-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn manifests_are_checked_with_their_place() {
        let dir = temp("manifests");
        let write = |text: &str| fs::write(dir.join("m.toml"), text).unwrap();
        let err = |text: &str| {
            write(text);
            load(&dir).unwrap_err().message
        };
        let e = err("[[run]]\nscenario = \"a.toml\"\nout = \"a\"\nseed = \"0x2a\"\nsed = 1\n");
        assert!(e.contains("m.toml") && e.contains("unknown field `sed`"), "{e}");
        let e = err("[[run]]\nscenario = \"a.toml\"\nout = \"../a\"\nseed = \"0x2a\"\n");
        assert!(e.contains("run[0]") && e.contains("no `..`"), "{e}");
        let e = err("[[run]]\nscenario = \"a.toml\"\nout = \"a\"\nseed = \"zz\"\n");
        assert!(e.contains("run[0].seed") && e.contains("expected hex"), "{e}");
        let e = err(
            "[[run]]\nscenario = \"a.toml\"\nout = \"a\"\nseed = \"1\"\n[[run]]\nscenario = \"b.toml\"\nout = \"a/b\"\nseed = \"1\"\n",
        );
        assert!(e.contains("run[1]") && e.contains("overlaps"), "{e}");
        let e = err("[[sweep]]\nscenario = \"a.toml\"\nout = \"s\"\nseeds = 0\nseed0 = \"1\"\ngrid = [\"x=1,2\"]\n");
        assert!(e.contains("sweep[0].seeds"), "{e}");
        write("[[run]]\nscenario = \"a.toml\"\nout = \"f/a\"\nseed = \"0x2a\"\nset = [\"scenario.duration=1m\"]\n");
        let entries = load(&dir).unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(
            entries[0].command(Path::new("results")),
            "mrsim run a.toml --seed 0x2a --out results/f/a --set scenario.duration=1m"
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn trees_are_compared_file_by_file() {
        let (a, b) = (temp("tree-a"), temp("tree-b"));
        for d in [&a, &b] {
            fs::create_dir_all(d.join("plots")).unwrap();
            fs::write(d.join("same.csv"), "x\n1\n").unwrap();
        }
        assert!(compare_trees(&a, &b, "r").unwrap().is_empty());
        fs::write(a.join("plots/t.svg"), "old").unwrap();
        fs::write(b.join("new.csv"), "n").unwrap();
        fs::write(a.join("same.csv"), "x\n1\n2\n").unwrap();
        fs::write(b.join("same.csv"), "x\n1\n3\n").unwrap();
        let d = compare_trees(&a, &b, "r").unwrap();
        assert_eq!(
            d,
            vec![
                "results/r/plots/t.svg: committed but no longer produced".to_string(),
                "results/r/new.csv: produced but not committed".to_string(),
                "results/r/same.csv: differs from line 3 (byte 4)".to_string(),
            ]
        );
        assert!(compare_trees(&a.join("missing"), &b, "m").unwrap()[0].contains("not committed"));
        for d in [a, b] {
            fs::remove_dir_all(d).unwrap();
        }
    }
}
