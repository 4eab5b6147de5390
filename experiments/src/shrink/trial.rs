//! Judging one candidate: its text validated as a scenario file is (every rule applies), run under
//! the shrink's seed through `mrsim check`'s own code ([`check::run_seeds`], [`check::evaluate`]),
//! and the chosen expect evaluated on that one run.
//!
//! A candidate *fails* when that expect fails the way it failed on the original: on a value the
//! summary recorded that misses the bound (or, if the original's value was null or absent, on null
//! or absent again). A candidate that passes, that fails on a different kind of observation (a
//! fault row gone from the summary because the fault was removed), that does not validate, that
//! gains a validation warning the original did not have (a fault cut short by a shorter run), or
//! whose run fails (a limit) is not a failure: shrinking never crashes on a candidate.

use std::collections::BTreeMap;
use std::mem::discriminant;
use std::path::Path;

use sim_core::Seed;

use crate::check::{self, Observed};
use crate::metrics_path::Leaf;
use crate::overrides;
use crate::scenario::{Expect, Scenario};
use crate::{CliError, check::number};

/// What a candidate's run said about the chosen expect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The expect fails as it did on the original.
    Fails,
    /// The expect holds.
    Passes,
    /// The expect fails on another kind of observation (null or absent instead of a value).
    Other,
    /// The candidate is not a valid scenario, or has a warning the original has not.
    Invalid,
    /// The run stopped with an error (a limit).
    RunFailed,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Fails => "fails",
            Verdict::Passes => "passes",
            Verdict::Other => "fails_otherwise",
            Verdict::Invalid => "invalid",
            Verdict::RunFailed => "run_failed",
        }
    }

    pub fn parse(text: &str) -> Option<Verdict> {
        [Verdict::Fails, Verdict::Passes, Verdict::Other, Verdict::Invalid, Verdict::RunFailed]
            .into_iter()
            .find(|v| v.as_str() == text)
    }
}

/// One candidate's verdict and what was observed: the expect's value, or why it could not run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trial {
    pub verdict: Verdict,
    pub observed: String,
}

/// The expect a shrink keeps failing, and how it failed on the original.
#[derive(Clone, Debug)]
pub struct Target {
    pub index: usize,
    pub expect: Expect,
    pub original: Observed,
}

/// Judges candidates of one shrink: the scenario's path (files it names are found beside it), the
/// seed, the target and the original's number of warnings.
pub struct Judge<'a> {
    pub path: &'a Path,
    pub seed: Seed,
    pub target: Target,
    pub warnings: usize,
}

/// Validates `text` as the scenario at `path` would be; a problem is its first diagnostic, as
/// `PATH: MESSAGE` (the line and column would be of the candidate's text, no file's).
pub fn load(path: &Path, text: &str) -> Result<Scenario, String> {
    overrides::resolve(path, text, &[]).map(|(_, s)| s).map_err(|e| match e {
        overrides::LoadError::Scenario(e) => e.problems.first().map_or_else(String::new, |p| match p.path.is_empty() {
            true => p.message.clone(),
            false => format!("{}: {}", p.path, p.message),
        }),
        overrides::LoadError::Override(m) => m,
    })
}

/// Runs `scenario` under `seed` as `mrsim check --seeds 1` does and evaluates every expect.
pub fn run_expects(scenario: &Scenario, file: &str, seed: Seed) -> Result<Vec<check::Verdict>, CliError> {
    let leaves = check::run_seeds(scenario, file, &[seed])?;
    let runs: Vec<(Seed, BTreeMap<String, Leaf>)> = vec![(seed, leaves.into_iter().next().unwrap_or_default())];
    Ok(scenario.expects.iter().enumerate().map(|(i, e)| check::evaluate(i, e, &runs)).collect())
}

/// The single seed's observation of a verdict, as a short text.
pub fn observed_text(o: Observed) -> String {
    match o {
        Observed::Value(x) => number(x),
        Observed::Null => "null".into(),
        Observed::Absent => "absent".into(),
    }
}

impl Judge<'_> {
    /// The verdict on the scenario `text`.
    pub fn judge(&self, text: &str) -> Trial {
        let trial = |verdict, observed: String| Trial { verdict, observed };
        let scenario = match load(self.path, text) {
            Ok(s) => s,
            Err(e) => return trial(Verdict::Invalid, e),
        };
        if scenario.warnings.list.len() > self.warnings {
            let warning = scenario.warnings.summary.last().cloned().unwrap_or_default();
            return trial(Verdict::Invalid, format!("warning: {warning}"));
        }
        if scenario.expects.get(self.target.index) != Some(&self.target.expect) {
            return trial(Verdict::Invalid, format!("expect[{}] changed", self.target.index));
        }
        let verdicts = match run_expects(&scenario, &self.path.display().to_string(), self.seed) {
            Ok(v) => v,
            Err(e) => return trial(Verdict::RunFailed, first_line(&e.message)),
        };
        let v = &verdicts[self.target.index];
        let observed = v.observed.first().map_or(Observed::Absent, |(_, o)| *o);
        let verdict = match (v.passed, discriminant(&observed) == discriminant(&self.target.original)) {
            (true, _) => Verdict::Passes,
            (false, true) => Verdict::Fails,
            (false, false) => Verdict::Other,
        };
        trial(verdict, observed_text(observed))
    }
}

/// The first line of a run's error, for one CSV cell.
fn first_line(message: &str) -> String {
    let line = message.lines().next().unwrap_or("").trim();
    line.strip_prefix("error: ").unwrap_or(line).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_round_trip_through_their_names() {
        for v in [Verdict::Fails, Verdict::Passes, Verdict::Other, Verdict::Invalid, Verdict::RunFailed] {
            assert_eq!(Verdict::parse(v.as_str()), Some(v));
        }
        assert_eq!(Verdict::parse("maybe"), None);
    }

    #[test]
    fn a_problem_is_its_first_diagnostic_without_the_file() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/skeleton.toml");
        let text = std::fs::read_to_string(&path).unwrap().replace("rate = ", "rate = -");
        let e = load(&path, &text).unwrap_err();
        assert!(e.starts_with("population[0].rate: "), "{e}");
        assert_eq!(
            first_line("error: scenario \"t\" with seed 0x2a: limit\n  reproduce: x"),
            "scenario \"t\" with seed 0x2a: limit"
        );
    }
}
