//! `mrsim check`: run a scenario under N seeds and evaluate its `[[expect]]` assertions, for CI.
//!
//! Seeds: the first is the root seed itself (`--seed0`, else the scenario's seed, else 0x2a), so
//! `mrsim check` with one seed checks exactly the run `mrsim run` reports; seed i >= 1 is
//! `Seed(root).stream("check/{i}").next_u64()`. `mrsim compare` uses the same seeds.
//!
//! Runs are spread over threads with rayon and collected in seed order, so the output is the same
//! with any number of threads. A metric that is `null` in a seed's summary (nothing recorded) or
//! absent from it (a fault, transition or action row that seed did not have) fails its expect: a
//! check never passes on a number it did not see. A refusal never seen counts 0, since
//! `rejections` lists only the refusals that happened.
//!
//! `--set path=value` changes the scenario before it is validated, as for `mrsim run`, and the
//! reproduce lines repeat the changes. With `--out DIR` the verdicts are also written, each file
//! atomically, whether the check passes or fails (not on bad input or a failed run):
//! `DIR/check.csv`, one row per seed and expect (`seed,expect,metric,value,bound,pass`: the
//! seed's own value, empty when it is null or absent, and whether that value meets the bound), and
//! `DIR/check.json`, the summary (scenario, seeds, per expect its bound, `per`, mean and verdict,
//! and the overall verdict). Neither holds a path or a wall time.
//!
//! Exit codes: 0 every expect holds; 1 one fails (each failing seed printed with its value, the
//! bound, a one-line `mrsim run` that reproduces it and, for a per-seed expect, the `mrsim shrink`
//! that reduces it); 2 bad input.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use sim_core::{Seed, TraceMode};

use crate::metrics_path::{self, Leaf};
use crate::overrides::{self, Override};
use crate::run::{DEFAULT_SEED, reproduce_command};
use crate::scenario::{self, Expect, Per, Scenario};
use crate::{CliError, output, report};

/// What `mrsim check` was asked to do.
#[derive(Clone, Debug)]
pub struct CheckArgs {
    pub scenario: PathBuf,
    pub seeds: u32,
    pub seed0: Option<Seed>,
    /// `--set path=value` overrides, applied in order before validation.
    pub set: Vec<String>,
    /// Where to write check.csv and check.json.
    pub out: Option<PathBuf>,
}

/// The `n` seeds of a multi-seed command under `root` (see the module comment).
pub fn seeds(root: Seed, n: u32) -> Vec<Seed> {
    (0..n)
        .map(|i| match i {
            0 => root,
            _ => Seed(root.stream(&format!("check/{i}")).next_u64()),
        })
        .collect()
}

/// Loads a scenario, a bad one being bad input (exit 2).
pub fn load(path: &std::path::Path) -> Result<Scenario, CliError> {
    scenario::load(path).map_err(|e| CliError::input(e.to_string()))
}

/// Parses `--set` arguments, a bad one being bad input (exit 2).
pub fn parse_overrides(set: &[String]) -> Result<Vec<Override>, CliError> {
    set.iter()
        .map(|s| Override::parse(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CliError::input(format!("error: {e}")))
}

/// Loads a scenario with `--set` overrides applied before validation, as `mrsim run` does.
pub fn load_with(path: &Path, overrides: &[Override]) -> Result<Scenario, CliError> {
    overrides::load(path, overrides).map_err(|e| CliError::input(e.to_string()))
}

/// Runs `scenario` under every seed (in parallel, results in seed order) and flattens each
/// summary into its leaves. `file` names the scenario in the reproduce line of a failed run.
pub fn run_seeds(scenario: &Scenario, file: &str, seeds: &[Seed]) -> Result<Vec<BTreeMap<String, Leaf>>, CliError> {
    run_seeds_with(scenario, &|seed| format!("mrsim run {file} --seed {seed}"), seeds)
}

/// As [`run_seeds`], with the reproduce line of a failed run given by `reproduce(seed)`.
pub fn run_seeds_with(
    scenario: &Scenario,
    reproduce: &(dyn Fn(Seed) -> String + Sync),
    seeds: &[Seed],
) -> Result<Vec<BTreeMap<String, Leaf>>, CliError> {
    seeds
        .par_iter()
        .map(|&seed| {
            let output = models::run::run(&scenario.world, seed, TraceMode::Hash).map_err(|e| {
                CliError::run(format!("scenario {:?} with seed {seed}: {e}", scenario.name))
                    .with_reproduce(&reproduce(seed))
            })?;
            let summary = report::summary(scenario, seed, &output);
            let json = serde_json::to_value(&summary).map_err(|e| CliError::internal(e.to_string()))?;
            Ok(metrics_path::leaves(&json))
        })
        .collect()
}

/// What a seed's summary says about a metric.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Observed {
    Value(f64),
    /// `null` in the summary: nothing was recorded.
    Null,
    /// No such leaf in this seed's summary.
    Absent,
}

impl Observed {
    fn of(leaves: &BTreeMap<String, Leaf>, metric: &str) -> Observed {
        match leaves.get(metric) {
            Some(Leaf::Number(x)) => Observed::Value(*x),
            Some(_) => Observed::Null,
            None if metric.starts_with("rejections.") => Observed::Value(0.0),
            None => Observed::Absent,
        }
    }
    fn value(self) -> Option<f64> {
        match self {
            Observed::Value(x) => Some(x),
            _ => None,
        }
    }
    fn describe(self) -> String {
        match self {
            Observed::Value(x) => number(x),
            Observed::Null => "null (nothing recorded)".into(),
            Observed::Absent => "absent from this seed's summary".into(),
        }
    }
}

/// One expect's verdict.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub index: usize,
    pub expect: Expect,
    /// Per seed, in seed order.
    pub observed: Vec<(Seed, Observed)>,
    /// The mean over the seeds, when every seed has a value.
    pub mean: Option<f64>,
    pub passed: bool,
    /// The seeds to look at: those whose value fails the bound (for `per = "mean"`, every seed if
    /// none fails on its own).
    pub failing: Vec<(Seed, Observed)>,
}

/// Evaluates `expect` against every seed's leaves.
pub fn evaluate(index: usize, expect: &Expect, runs: &[(Seed, BTreeMap<String, Leaf>)]) -> Verdict {
    let observed: Vec<(Seed, Observed)> =
        runs.iter().map(|(seed, leaves)| (*seed, Observed::of(leaves, &expect.metric))).collect();
    let fails_alone = |o: &Observed| !matches!(o, Observed::Value(x) if expect.bound.holds(*x));
    let values: Option<Vec<f64>> = observed.iter().map(|(_, o)| o.value()).collect();
    let mean = values.filter(|v| !v.is_empty()).map(|v| v.iter().sum::<f64>() / v.len() as f64);
    let mut failing: Vec<(Seed, Observed)> = observed.iter().filter(|(_, o)| fails_alone(o)).copied().collect();
    let passed = match expect.per {
        Per::Seed => failing.is_empty(),
        Per::Mean => mean.is_some_and(|m| expect.bound.holds(m)),
    };
    if !passed && failing.is_empty() {
        failing = observed.clone();
    }
    if passed {
        failing.clear();
    }
    Verdict { index, expect: expect.clone(), observed, mean, passed, failing }
}

/// The table and the failures of one check.
#[derive(Clone, Debug)]
pub struct CheckReport {
    pub table: String,
    pub verdicts: Vec<Verdict>,
    pub failures: Vec<String>,
}

impl CheckReport {
    /// Ok when every expect held; else the failures, exit code 1.
    pub fn verdict(&self) -> Result<String, CliError> {
        if self.failures.is_empty() {
            return Ok(String::new());
        }
        Err(CliError { exit_code: 1, message: self.failures.join("\n"), reproduce: None })
    }
}

/// `mrsim check`.
pub fn execute(args: &CheckArgs) -> Result<CheckReport, CliError> {
    if args.seeds == 0 {
        return Err(CliError::input("error: --seeds must be positive"));
    }
    if let Some(dir) = &args.out {
        output::check_replaceable("--out", dir, &output::named(&FILES))
            .map_err(|e| CliError::input(format!("error: {e}")))?;
    }
    let overrides = parse_overrides(&args.set)?;
    let scenario = load_with(&args.scenario, &overrides)?;
    eprint!("{}", scenario.warnings);
    let file = args.scenario.display().to_string();
    let reproduce = |seed: Seed| reproduce_command(&args.scenario, &overrides, seed);
    if scenario.expects.is_empty() {
        return Err(CliError::input(format!(
            "error: {file}: the scenario has no [[expect]]; expected at least one, such as\n\
             [[expect]]\nmetric = \"writes.lost_last_writer_wins\"\nequals = 0"
        )));
    }
    let root = args.seed0.or(scenario.seed).unwrap_or(DEFAULT_SEED);
    let seeds = seeds(root, args.seeds);
    let leaves = run_seeds_with(&scenario, &reproduce, &seeds)?;
    let runs: Vec<(Seed, BTreeMap<String, Leaf>)> = seeds.iter().copied().zip(leaves).collect();
    let verdicts: Vec<Verdict> = scenario.expects.iter().enumerate().map(|(i, e)| evaluate(i, e, &runs)).collect();
    let mut table = table(&scenario, &seeds, &verdicts);
    let shrink = |seed: Seed, index: usize| {
        let mut line = format!("mrsim shrink {}", crate::run::shell_quote(&file));
        for o in &overrides {
            line.push_str(&format!(" --set {}", crate::run::shell_quote(&o.to_string())));
        }
        format!("{line} --seed {seed} --expect {index}")
    };
    let failures = verdicts.iter().filter(|v| !v.passed).flat_map(|v| failure_lines(v, &reproduce, &shrink)).collect();
    if let Some(dir) = &args.out {
        let files = [
            (FILES[0], verdicts_csv(&verdicts).map_err(CliError::internal)?),
            (FILES[1], verdicts_json(&scenario, &overrides, &seeds, &verdicts)),
        ];
        output::write_folder(dir, &files).map_err(CliError::output)?;
        let written: Vec<String> = files.iter().map(|(n, _)| dir.join(n).display().to_string()).collect();
        table.push_str(&format!("  wrote           {}\n", written.join(", ")));
    }
    Ok(CheckReport { table, verdicts, failures })
}

/// The files of `check --out`'s folder.
const FILES: [&str; 2] = ["check.csv", "check.json"];

/// `check.csv`: one row per seed and expect, in expect order then seed order. `value` is the
/// seed's own value (empty when null or absent); `pass` whether that value meets the bound, which
/// for a `per = "mean"` expect is informative only (its verdict is in check.json).
pub fn verdicts_csv(verdicts: &[Verdict]) -> Result<Vec<u8>, String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["seed", "expect", "metric", "value", "bound", "pass"]).map_err(|e| e.to_string())?;
    for v in verdicts {
        for (seed, observed) in &v.observed {
            let value = observed.value();
            let pass = value.is_some_and(|x| v.expect.bound.holds(x));
            w.write_record([
                seed.to_string(),
                v.index.to_string(),
                v.expect.metric.clone(),
                value.map_or(String::new(), |x| x.to_string()),
                v.expect.bound.to_string(),
                pass.to_string(),
            ])
            .map_err(|e| e.to_string())?;
        }
    }
    w.into_inner().map_err(|e| e.to_string())
}

/// `check.json`: the scenario, the changes made to it, the seeds, and per expect its bound, `per`,
/// the mean over the seeds, the failing seeds and the verdict; then the overall verdict.
pub fn verdicts_json(scenario: &Scenario, overrides: &[Override], seeds: &[Seed], verdicts: &[Verdict]) -> Vec<u8> {
    use serde_json::json;
    let expects: Vec<_> = verdicts
        .iter()
        .map(|v| {
            json!({
                "expect": v.index,
                "metric": v.expect.metric,
                "bound": v.expect.bound.to_string(),
                "per": v.expect.per.to_string(),
                "mean": v.mean,
                "passed": v.passed,
                "failing_seeds": v.failing.iter().map(|(seed, o)| json!({
                    "seed": seed.to_string(),
                    "value": o.describe(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let held = verdicts.iter().filter(|v| v.passed).count();
    let summary = json!({
        "mrsim_version": env!("CARGO_PKG_VERSION"),
        "command": "check",
        "scenario": {
            "name": scenario.name,
            "fnv1a64": format!("{:#018x}", sim_core::rng::fnv1a64(scenario.source.as_bytes())),
        },
        "set": overrides.iter().map(|o| o.to_string()).collect::<Vec<_>>(),
        "seeds": seeds.iter().map(Seed::to_string).collect::<Vec<_>>(),
        "expects": expects,
        "expects_held": held,
        "expects_failed": verdicts.len() - held,
        "passed": held == verdicts.len(),
    });
    let mut bytes = serde_json::to_vec_pretty(&summary).expect("a JSON value always serialises");
    bytes.push(b'\n');
    bytes
}

fn table(scenario: &Scenario, seeds: &[Seed], verdicts: &[Verdict]) -> String {
    let listed: Vec<String> = seeds.iter().take(5).map(Seed::to_string).collect();
    let more = if seeds.len() > 5 { format!(", ... ({} in all)", seeds.len()) } else { String::new() };
    let mut text = format!("mrsim check: {}, seeds {}{more}\n", scenario.name, listed.join(", "));
    let rows: Vec<[String; 6]> = verdicts
        .iter()
        .map(|v| {
            [
                v.index.to_string(),
                v.expect.metric.clone(),
                v.expect.bound.to_string(),
                v.expect.per.to_string(),
                values_column(v),
                if v.passed { "PASS" } else { "FAIL" }.to_string(),
            ]
        })
        .collect();
    let header = ["expect", "metric", "bound", "per", "values", "result"].map(String::from);
    let widths: Vec<usize> =
        (0..6).map(|c| rows.iter().chain([&header]).map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    for row in [&header].into_iter().chain(&rows) {
        let cells: Vec<String> = row.iter().zip(&widths).map(|(cell, w)| format!("{cell:<w$}")).collect();
        text.push_str(&format!("  {}\n", cells.join("  ").trim_end()));
    }
    let passed = verdicts.iter().filter(|v| v.passed).count();
    text.push_str(&format!("  {passed} of {} expects hold\n", verdicts.len()));
    text
}

fn values_column(v: &Verdict) -> String {
    let short = |o: &Observed| match o {
        Observed::Value(x) => number(*x),
        Observed::Null => "null".into(),
        Observed::Absent => "absent".into(),
    };
    let list = match v.observed.len() {
        0..=5 => v.observed.iter().map(|(_, o)| short(o)).collect::<Vec<_>>().join(", "),
        _ => {
            let values: Vec<f64> = v.observed.iter().filter_map(|(_, o)| o.value()).collect();
            let missing = v.observed.len() - values.len();
            let min = values.iter().copied().fold(f64::INFINITY, f64::min);
            let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let range = if values.is_empty() { "none".into() } else { format!("{} .. {}", number(min), number(max)) };
            if missing > 0 { format!("{range}, {missing} without a value") } else { range }
        }
    };
    match (v.expect.per, v.mean) {
        (Per::Mean, Some(mean)) => format!("mean {} ({list})", number(mean)),
        _ => list,
    }
}

/// The failure of one expect: what was expected, then per failing seed its value, the run that
/// reproduces it and, for a per-seed expect, the `mrsim shrink` that reduces it.
fn failure_lines(
    v: &Verdict,
    reproduce: &dyn Fn(Seed) -> String,
    shrink: &dyn Fn(Seed, usize) -> String,
) -> Vec<String> {
    let e = &v.expect;
    let head = match (e.per, v.mean) {
        (Per::Mean, Some(mean)) => {
            let seeds = crate::count(v.observed.len() as u64, "seed", "seeds");
            format!("the mean over {seeds} is {}, expected {}", number(mean), e.bound)
        }
        (Per::Mean, None) => format!("not every seed has a value, so there is no mean to compare with {}", e.bound),
        (Per::Seed, _) => format!("expected {} in every seed", e.bound),
    };
    let mut lines = vec![format!("FAIL expect[{}] {} (per {}): {head}", v.index, e.metric, e.per)];
    for (seed, observed) in &v.failing {
        lines.push(format!("  seed {seed}: {} = {}, bound {}", e.metric, observed.describe(), e.bound));
        lines.push(format!("    reproduce: {}", reproduce(*seed)));
        if e.per == Per::Seed {
            lines.push(format!("    shrink:    {}", shrink(*seed, v.index)));
        }
    }
    lines
}

/// A number for the terminal: integers without a fraction, others to six significant decimals.
pub fn number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        let s = format!("{x:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Bound;

    fn runs(values: &[f64]) -> Vec<(Seed, BTreeMap<String, Leaf>)> {
        values
            .iter()
            .enumerate()
            .map(|(i, &x)| (Seed(i as u64), BTreeMap::from([("writes.acknowledged".to_string(), Leaf::Number(x))])))
            .collect()
    }

    fn expect(bound: Bound, per: Per) -> Expect {
        Expect { metric: "writes.acknowledged".into(), bound, per }
    }

    #[test]
    fn per_seed_needs_every_seed_and_per_mean_only_the_mean() {
        // Values 1, 2, 6: the mean is 3.
        let r = runs(&[1.0, 2.0, 6.0]);
        let seed = evaluate(0, &expect(Bound::AtMost(3.0), Per::Seed), &r);
        assert!(!seed.passed);
        assert_eq!(seed.failing, vec![(Seed(2), Observed::Value(6.0))]);
        let mean = evaluate(0, &expect(Bound::AtMost(3.0), Per::Mean), &r);
        assert!(mean.passed, "{mean:?}");
        assert_eq!(mean.mean, Some(3.0));
        let strict = evaluate(0, &expect(Bound::LessThan(3.0), Per::Mean), &r);
        assert!(!strict.passed);
        assert_eq!(strict.failing.len(), 1, "only seed 2 fails on its own: {strict:?}");
    }

    #[test]
    fn null_and_absent_fail_and_an_unseen_refusal_counts_zero() {
        let mut r = runs(&[1.0]);
        r[0].1.insert("transitions.0.rto_s".into(), Leaf::Null);
        let null =
            evaluate(0, &Expect { metric: "transitions.0.rto_s".into(), ..expect(Bound::AtMost(9.0), Per::Seed) }, &r);
        assert!(!null.passed);
        let absent =
            evaluate(0, &Expect { metric: "faults.3.started_s".into(), ..expect(Bound::AtLeast(0.0), Per::Mean) }, &r);
        assert!(!absent.passed);
        assert_eq!(absent.failing, vec![(Seed(0), Observed::Absent)]);
        let refusal =
            evaluate(0, &Expect { metric: "rejections.no_quorum".into(), ..expect(Bound::Equals(0.0), Per::Seed) }, &r);
        assert!(refusal.passed);
    }

    #[test]
    fn the_first_seed_is_the_root_and_the_others_are_derived() {
        let s = seeds(Seed(0x2a), 3);
        assert_eq!(s[0], Seed(0x2a));
        assert_eq!(s[1], Seed(Seed(0x2a).stream("check/1").next_u64()));
        assert_ne!(s[1], s[2]);
        assert_eq!(seeds(Seed(0x2a), 2), s[..2]);
    }

    #[test]
    fn numbers_print_short() {
        assert_eq!(number(3904.0), "3904");
        assert_eq!(number(0.25), "0.25");
        assert_eq!(number(1.0 / 3.0), "0.333333");
    }
}
