//! `mrsim shrink`: the smallest scenario on which an `[[expect]]` still fails, by delta debugging.
//!
//! From the scenario (includes merged, `--set` applied) and a seed, shrink runs rounds until one
//! changes nothing. A round reduces the faults, then the fault generators, then the populations
//! with ddmin (`ddmin`), then halves each continuous value towards its floor while the expect
//! still fails (`steps` lists the values and floors). Each candidate is a whole scenario text, run
//! under the same seed through `mrsim check`'s code (`trial`), so the same inputs give the same walk.
//! The scenario's name gets `-shrunk` and its `seed` is set to the shrink's seed before anything
//! runs, so the shrunk file fails under `mrsim check` with no flags.
//!
//! Guarantee: unless a budget stopped it, the result fails as the original did, and no single
//! further step from it (removing one fault, fault generator or population; halving one value above
//! its floor) still fails: in the last round every such step was run, and before finishing shrink
//! asks about each of them again (from the record, or by running it if one was missed).
//!
//! Files in `--out` (default out/NAME-shrink-SEED): shrunk.toml, reproduce.txt, account.md,
//! steps.csv (every candidate and its verdict; also the state a resumed shrink reads, see `log`)
//! and shrink.json (what the folder is a shrink of; a folder holding another shrink is refused).
//! Bad input (arguments, the scenario, the output folder) is exit 2 before anything runs; an
//! expect that holds on the original is exit 2 after that one run; a failed run of the original is
//! exit 1.

pub mod account;
pub mod ddmin;
pub mod log;
pub mod steps;
pub mod trial;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sim_core::Seed;
use toml::{Table, Value};

use self::account::Facts;
use self::log::{Log, sizes_text};
use self::steps::{Candidate, LISTS, dials, single_steps};
use self::trial::{Judge, Target, Trial, Verdict, observed_text};
use crate::run::{DEFAULT_SEED, shell_quote};
use crate::{CliError, check, output, overrides};

/// Default bounds: enough for a few dozen faults and values on a scenario that runs in seconds.
pub const DEFAULT_MAX_RUNS: usize = 1000;
pub const DEFAULT_MAX_SECONDS: u64 = 1800;

/// What `mrsim shrink` was asked to do.
#[derive(Clone, Debug)]
pub struct ShrinkArgs {
    pub scenario: PathBuf,
    pub seed: Option<Seed>,
    /// The expect to keep failing: its index or its metric. Default: the first that fails.
    pub expect: Option<String>,
    pub set: Vec<String>,
    pub out: Option<PathBuf>,
    pub max_runs: usize,
    pub max_seconds: u64,
    /// Progress lines on stderr.
    pub progress: bool,
}

/// shrink.json: what a shrink folder holds, so a resumed shrink can tell its own record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Manifest {
    scenario: String,
    /// FNV-1a 64 of the original candidate's text (includes merged, `--set` applied).
    scenario_fnv1a64: String,
    seed: String,
    /// `--expect` as given, or `first failing`: with the scenario and the seed it names one expect.
    expect: String,
}

/// What a shrink found.
pub struct Outcome {
    pub out: PathBuf,
    pub original: Candidate,
    pub shrunk: Candidate,
    pub target: Target,
    pub account: String,
    /// Candidates tried, failing, passing, other; and runs made by this invocation.
    pub counts: [usize; 4],
    pub fresh: usize,
    pub stopped: bool,
}

/// `mrsim shrink`.
pub fn execute(args: &ShrinkArgs) -> Result<String, CliError> {
    let o = shrink(args)?;
    let sizes = |c: &Candidate| sizes_text(&[0, 1, 2].map(|l| c.len(l)));
    let mut text = format!(
        "mrsim shrink: expect[{}] {} {}\n  from  {}\n  to    {}\n",
        o.target.index,
        o.target.expect.metric,
        o.target.expect.bound,
        sizes(&o.original),
        sizes(&o.shrunk)
    );
    text.push_str(&format!(
        "  runs  {} candidates; {} run now (the original included), the rest read back from steps.csv\n",
        o.counts[0], o.fresh
    ));
    for name in ["shrunk.toml", "account.md", "reproduce.txt", "steps.csv"] {
        text.push_str(&format!("  wrote {}\n", o.out.join(name).display()));
    }
    text.push_str(&format!("\n{}", o.account));
    if o.stopped {
        text.push_str("\nnot yet 1-minimal: run the same command again to continue\n");
    }
    Ok(text)
}

/// Runs (or resumes) a shrink and writes its files.
pub fn shrink(args: &ShrinkArgs) -> Result<Outcome, CliError> {
    let input = |m: String| CliError::input(format!("error: {m}"));
    if args.max_runs == 0 || args.max_seconds == 0 {
        return Err(input("--max-runs and --max-seconds must be at least 1".into()));
    }
    if let Some(dir) = &args.out {
        output::check_folder("--out", dir).map_err(input)?;
    }
    let overrides = check::parse_overrides(&args.set)?;
    let source = overrides::read_source(&args.scenario).map_err(|e| CliError::input(e.to_string()))?;
    let (text, scenario) =
        overrides::resolve(&args.scenario, &source, &overrides).map_err(|e| CliError::input(e.to_string()))?;
    eprint!("{}", scenario.warnings);
    let file = args.scenario.display().to_string();
    if scenario.expects.is_empty() {
        return Err(input(format!("{file}: the scenario has no [[expect]]; expected at least one to keep failing")));
    }
    let chosen = args.expect.as_deref().map(|e| choose_expect(&scenario.expects, e)).transpose().map_err(input)?;
    let seed = args.seed.or(scenario.seed).unwrap_or(DEFAULT_SEED);
    let out = args.out.clone().unwrap_or_else(|| Path::new("out").join(format!("{}-shrink-{seed}", scenario.name)));
    output::check_folder("--out", &out).map_err(input)?;

    let mut table: Table = text.parse().map_err(|e: toml::de::Error| input(format!("{file}: {}", e.message())))?;
    if let Some(header) = table.get_mut("scenario").and_then(Value::as_table_mut) {
        header.insert("name".into(), Value::String(format!("{}-shrunk", scenario.name)));
        header.insert("seed".into(), Value::String(seed.to_string()));
    }
    let original = Candidate::new(table);
    let prepared = trial::load(&args.scenario, &original.text()).map_err(|e| input(format!("{file}: {e}")))?;
    claim_folder(&out, &manifest(&scenario.name, &original, seed, args.expect.as_deref()))?;
    let verdicts = trial::run_expects(&prepared, &file, seed)
        .map_err(|e| e.with_reproduce(&crate::run::reproduce_command(&args.scenario, &overrides, seed)))?;
    let failing = |i: usize| !verdicts[i].passed;
    let index = match chosen {
        Some(i) if failing(i) => i,
        Some(i) => {
            let value = verdicts[i].observed.first().map_or("absent".into(), |(_, o)| observed_text(*o));
            return Err(input(format!(
                "{file}: expect[{i}] ({} {}) holds with seed {seed} (value {value}); nothing to shrink: expected an \
                 expect that fails (`mrsim check {file} --seeds N` lists failing seeds)",
                verdicts[i].expect.metric, verdicts[i].expect.bound
            )));
        }
        None => (0..verdicts.len()).find(|&i| failing(i)).ok_or_else(|| {
            input(format!(
                "{file}: every expect holds with seed {seed}; nothing to shrink: expected a seed on which one fails \
                 (`mrsim check {file} --seeds N` lists failing seeds)"
            ))
        })?,
    };
    let observed = verdicts[index].observed.first().map_or(check::Observed::Absent, |(_, o)| *o);
    let target = Target { index, expect: verdicts[index].expect.clone(), original: observed };
    let judge = Judge { path: &args.scenario, seed, target: target.clone(), warnings: prepared.warnings.list.len() };

    let mut log = Log::open(&out, args.max_runs, args.max_seconds, args.progress);
    log.prime(&original, Trial { verdict: Verdict::Fails, observed: observed_text(observed) });
    log.fails("original", &original, &judge);
    if args.progress {
        eprintln!(
            "shrink: expect[{index}] {} {} fails with {}; {}",
            target.expect.metric,
            target.expect.bound,
            observed_text(observed),
            sizes_text(&[0, 1, 2].map(|l| original.len(l)))
        );
    }
    let shrunk = walk(original.clone(), &mut log, &judge, args.progress);
    log.progress.finish();
    if let Some(e) = log.error.take() {
        return Err(e);
    }
    let single = if log.stop.is_none() { single_steps(&shrunk).len() } else { 0 };
    let after =
        log.rows.iter().rev().find(|r| r.hash == hash(&shrunk)).map_or(String::new(), |r| r.trial.observed.clone());
    let command = command_line(args, seed, index);
    let facts = Facts {
        file: &file,
        name: &scenario.name,
        seed,
        target: &target,
        observed: (&observed_text(observed), &after),
        original: &original,
        shrunk: &shrunk,
        counts: log.counts(),
        stop: log.stop,
        single_steps: single,
        command: &command,
    };
    let account = facts.account();
    let files = [
        ("shrunk.toml", facts.shrunk_file().into_bytes()),
        ("account.md", account.clone().into_bytes()),
        ("reproduce.txt", facts.reproduce().into_bytes()),
    ];
    for (name, bytes) in &files {
        output::write_atomic(&out.join(name), bytes).map_err(CliError::output)?;
    }
    log.save()?;
    Ok(Outcome {
        out,
        original,
        shrunk,
        target,
        account,
        counts: log.counts(),
        fresh: log.fresh,
        stopped: log.stop.is_some(),
    })
}

fn hash(c: &Candidate) -> u64 {
    sim_core::rng::fnv1a64(c.text().as_bytes())
}

/// Rounds until one changes nothing and every single step from the result passes, or a budget
/// stops the walk; returns the smallest failing candidate.
pub fn walk(mut current: Candidate, log: &mut Log, judge: &Judge, progress: bool) -> Candidate {
    let report = |what: &str, c: &Candidate, log: &Log| {
        if progress {
            eprintln!("shrink: candidate {}: {what}: {}", log.rows.len(), sizes_text(&[0, 1, 2].map(|l| c.len(l))));
        }
    };
    loop {
        let before = current.clone();
        for l in 0..LISTS.len() {
            let base = current.clone();
            let items: Vec<usize> = (0..base.len(l)).collect();
            let reduced = ddmin::ddmin(&items, &mut |kept: &[usize]| {
                let dropped: Vec<usize> = items.iter().copied().filter(|i| !kept.contains(i)).collect();
                log.fails(&format!("drop {}", base.name_entries(l, &dropped)), &base.keep(l, kept), judge)
            });
            if reduced.kept.len() < items.len() {
                current = base.keep(l, &reduced.kept);
                let dropped: Vec<usize> = items.iter().copied().filter(|i| !reduced.kept.contains(i)).collect();
                report(&format!("drop {}", base.name_entries(l, &dropped)), &current, log);
            }
            if reduced.stopped {
                return current;
            }
        }
        for dial in dials(&current) {
            while let Some((next, from, to)) = dial.halve(&current) {
                let step = format!("halve {} {from} -> {to}", dial.name(&current));
                match log.fails(&step, &next, judge) {
                    Some(true) => {
                        current = next;
                        report(&step, &current, log);
                    }
                    Some(false) => break,
                    None => return current,
                }
            }
        }
        if current != before {
            continue;
        }
        // The round changed nothing, so each single step was tried in it; ask once more, which
        // the record answers, so the claim of 1-minimality rests on verdicts, not on the argument.
        let mut smaller = None;
        for step in single_steps(&current) {
            match log.fails(&step.description, &step.candidate, judge) {
                Some(true) => {
                    smaller = Some(step.candidate);
                    break;
                }
                Some(false) => {}
                None => return current,
            }
        }
        match smaller {
            Some(c) => current = c,
            None => return current,
        }
    }
}

/// The expect `text` names: an index, or the first expect with that metric.
fn choose_expect(expects: &[crate::scenario::Expect], text: &str) -> Result<usize, String> {
    if let Ok(i) = text.parse::<usize>() {
        return match i < expects.len() {
            true => Ok(i),
            false => Err(format!(
                "--expect {i}: the scenario has {}; expected an index from 0 to {}",
                crate::count(expects.len() as u64, "expect", "expects"),
                expects.len() - 1
            )),
        };
    }
    expects.iter().position(|e| e.metric == text).ok_or_else(|| {
        let metrics: Vec<&str> = expects.iter().map(|e| e.metric.as_str()).collect();
        format!("--expect {text}: no expect has that metric; expected an index or one of: {}", metrics.join(", "))
    })
}

fn manifest(name: &str, original: &Candidate, seed: Seed, expect: Option<&str>) -> Manifest {
    Manifest {
        scenario: name.to_string(),
        scenario_fnv1a64: format!("{:#018x}", hash(original)),
        seed: seed.to_string(),
        expect: expect.unwrap_or("first failing").to_string(),
    }
}

/// Writes the manifest, or checks it against the one already there.
fn claim_folder(out: &Path, manifest: &Manifest) -> Result<(), CliError> {
    output::claim(out, "shrink.json", manifest, ("shrink", "record"), |theirs| match theirs {
        None => "it is not a shrink manifest".to_string(),
        Some(m) => format!(
            "scenario {} {}, seed {}, expect {} here; scenario {} {}, seed {}, expect {} now",
            m.scenario,
            m.scenario_fnv1a64,
            m.seed,
            m.expect,
            manifest.scenario,
            manifest.scenario_fnv1a64,
            manifest.seed,
            manifest.expect
        ),
    })
}

/// The command that makes this shrink, without `--out` (its folder is the reader's to choose).
fn command_line(args: &ShrinkArgs, seed: Seed, index: usize) -> String {
    let mut line =
        format!("mrsim shrink {} --seed {seed} --expect {index}", shell_quote(&args.scenario.display().to_string()));
    for s in &args.set {
        line.push_str(&format!(" --set {}", shell_quote(s)));
    }
    if args.max_runs != DEFAULT_MAX_RUNS {
        line.push_str(&format!(" --max-runs {}", args.max_runs));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Bound, Expect, Per};

    #[test]
    fn an_expect_is_chosen_by_index_or_metric() {
        let e = |m: &str| Expect { metric: m.into(), bound: Bound::Equals(0.0), per: Per::Seed };
        let expects = [e("writes.lost_failover"), e("stores.orders.rpo_s")];
        assert_eq!(choose_expect(&expects, "1"), Ok(1));
        assert_eq!(choose_expect(&expects, "stores.orders.rpo_s"), Ok(1));
        let err = choose_expect(&expects, "2").unwrap_err();
        assert!(err.contains("has 2 expects") && err.contains("from 0 to 1"), "{err}");
        let err = choose_expect(&expects, "writes.lost").unwrap_err();
        assert!(err.contains("writes.lost_failover, stores.orders.rpo_s"), "{err}");
    }
}
