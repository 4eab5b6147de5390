//! The record of a shrink: every distinct candidate tried, in order, with its verdict (steps.csv),
//! the run and time budgets, and resuming.
//!
//! A candidate is known by the FNV-1a 64 hash of its text. Within one shrink a candidate met again
//! is answered from the record without a run or a row. steps.csv is rewritten atomically after
//! every run, so a shrink that is killed leaves the candidates it finished; started again into the
//! same folder, it walks the same path (the walk depends only on verdicts) and takes each verdict
//! it finds in steps.csv instead of running the candidate again. The rows are the same either way,
//! so an interrupted and resumed shrink writes the bytes an uninterrupted one does.
//!
//! Budgets: `--max-runs` counts the candidates of the whole walk, those read back included, so the
//! result depends only on the inputs; `--max-seconds` counts this invocation's wall time, so a
//! shrink stopped by it continues when started again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::steps::Candidate;
use super::trial::{Judge, Trial, Verdict};
use crate::{CliError, output};

/// Why a shrink stopped before it could show its result 1-minimal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    Runs,
    Seconds,
}

/// One row of steps.csv.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub step: String,
    pub trial: Trial,
    /// Entries left per list of [`LISTS`].
    pub sizes: [usize; 3],
    pub hash: u64,
}

/// The candidates tried so far, the budgets, and the verdicts a previous invocation left.
pub struct Log {
    file: PathBuf,
    pub rows: Vec<Row>,
    /// This walk's verdicts by candidate hash.
    seen: BTreeMap<u64, Verdict>,
    /// Verdicts read back from a previous invocation's steps.csv.
    known: BTreeMap<u64, Trial>,
    max_runs: usize,
    deadline: Instant,
    /// Runs made by this invocation (not read back).
    pub fresh: usize,
    pub stop: Option<Stop>,
    /// The first error writing steps.csv; the shrink stops on it.
    pub error: Option<CliError>,
    /// Fresh runs against the run budget, on stderr.
    pub progress: crate::progress::Progress,
}

const HEADER: [&str; 8] =
    ["run", "step", "verdict", "observed", "faults", "fault_generators", "populations", "candidate_fnv1a64"];

impl Log {
    /// A log writing `out/steps.csv`, reading back the verdicts already there.
    pub fn open(out: &Path, max_runs: usize, max_seconds: u64, progress: bool) -> Log {
        let file = out.join("steps.csv");
        let known = std::fs::read(&file).map(|bytes| read_known(&bytes)).unwrap_or_default();
        Log {
            file,
            rows: Vec::new(),
            seen: BTreeMap::new(),
            known,
            max_runs,
            deadline: Instant::now() + Duration::from_secs(max_seconds),
            fresh: 0,
            stop: None,
            error: None,
            progress: crate::progress::Progress::new("shrink", max_runs as u64, "runs of the budget", progress),
        }
    }

    /// Records `trial` as `candidate`'s verdict unless a previous invocation left one: the original
    /// was run before the walk began (every invocation runs it, to choose the expect), and is not
    /// run twice.
    pub fn prime(&mut self, candidate: &Candidate, trial: Trial) {
        self.known.entry(sim_core::rng::fnv1a64(candidate.text().as_bytes())).or_insert(trial);
        self.fresh += 1;
    }

    /// Whether `candidate` still fails: from this walk's record, from a previous invocation's, or
    /// by running it. `None` when a budget is spent or steps.csv cannot be written.
    pub fn fails(&mut self, step: &str, candidate: &Candidate, judge: &Judge) -> Option<bool> {
        self.trial(step, candidate, judge).map(|t| t == Verdict::Fails)
    }

    fn trial(&mut self, step: &str, candidate: &Candidate, judge: &Judge) -> Option<Verdict> {
        if self.stop.is_some() || self.error.is_some() {
            return None;
        }
        let text = candidate.text();
        let hash = sim_core::rng::fnv1a64(text.as_bytes());
        if let Some(v) = self.seen.get(&hash) {
            return Some(*v);
        }
        if self.rows.len() >= self.max_runs {
            self.stop = Some(Stop::Runs);
            return None;
        }
        let known = self.known.get(&hash).cloned();
        if known.is_none() && Instant::now() >= self.deadline {
            self.stop = Some(Stop::Seconds);
            return None;
        }
        let trial = known.clone().unwrap_or_else(|| judge.judge(&text));
        let verdict = trial.verdict;
        let sizes = [0, 1, 2].map(|l| candidate.len(l));
        self.rows.push(Row { step: step.to_string(), trial, sizes, hash });
        self.seen.insert(hash, verdict);
        if known.is_none() {
            self.fresh += 1;
            if let Err(e) = self.save() {
                self.error = Some(e);
            }
            self.progress.inc();
        }
        Some(verdict)
    }

    /// steps.csv's bytes: a header, then one row per candidate in the order they were tried.
    pub fn csv(&self) -> Result<Vec<u8>, CliError> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let fail = |e: csv::Error| CliError::internal(e.to_string());
        w.write_record(HEADER).map_err(fail)?;
        for (i, r) in self.rows.iter().enumerate() {
            let mut record = vec![(i + 1).to_string(), r.step.clone(), r.trial.verdict.as_str().into()];
            record.push(r.trial.observed.clone());
            record.extend(r.sizes.iter().map(|n| n.to_string()));
            record.push(format!("{:#018x}", r.hash));
            w.write_record(&record).map_err(fail)?;
        }
        w.into_inner().map_err(|e| CliError::internal(e.to_string()))
    }

    pub fn save(&self) -> Result<(), CliError> {
        output::write_atomic(&self.file, &self.csv()?).map_err(CliError::output)
    }

    /// Runs, failing candidates, passing ones and the rest, for the account.
    pub fn counts(&self) -> [usize; 4] {
        let of = |v: Verdict| self.rows.iter().filter(|r| r.trial.verdict == v).count();
        let (fails, passes) = (of(Verdict::Fails), of(Verdict::Passes));
        [self.rows.len(), fails, passes, self.rows.len() - fails - passes]
    }
}

/// `3 faults, 0 fault generators, 2 populations`.
pub fn sizes_text(sizes: &[usize; 3]) -> String {
    let names = [("fault", "faults"), ("fault generator", "fault generators"), ("population", "populations")];
    sizes.iter().zip(names).map(|(n, (one, many))| crate::count(*n as u64, one, many)).collect::<Vec<_>>().join(", ")
}

/// The verdicts of a previous steps.csv by candidate hash; rows that do not parse are ignored
/// (their candidates run again).
fn read_known(bytes: &[u8]) -> BTreeMap<u64, Trial> {
    let mut reader = csv::Reader::from_reader(bytes);
    let ours = reader.headers().is_ok_and(|h| h.iter().eq(HEADER.iter().copied()));
    let mut known = BTreeMap::new();
    if !ours {
        return known;
    }
    for record in reader.records().flatten() {
        let (Some(verdict), Some(observed), Some(hash)) = (record.get(2), record.get(3), record.get(7)) else {
            continue;
        };
        let hash = hash.strip_prefix("0x").and_then(|h| u64::from_str_radix(h, 16).ok());
        if let (Some(verdict), Some(hash)) = (Verdict::parse(verdict), hash) {
            known.insert(hash, Trial { verdict, observed: observed.to_string() });
        }
    }
    known
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_record_reads_back_by_hash() {
        let bytes = b"run,step,verdict,observed,faults,fault_generators,populations,candidate_fnv1a64\n\
                      1,original,fails,1241,5,0,2,0x00000000000000ff\n\
                      2,\"drop fault[0], fault[1]\",invalid,\"population[0].rate: found -1\",3,0,2,0x0000000000000100\n\
                      3,broken,perhaps,1,1,0,2,0x0000000000000101\n";
        let known = read_known(bytes);
        assert_eq!(known.len(), 2, "the row with an unknown verdict runs again");
        assert_eq!(known[&0xff], Trial { verdict: Verdict::Fails, observed: "1241".into() });
        assert_eq!(known[&0x100].verdict, Verdict::Invalid);
        assert!(read_known(b"seed,expect\n1,2\n").is_empty(), "another file's rows are not verdicts");
    }

    #[test]
    fn sizes_read_as_words() {
        assert_eq!(sizes_text(&[1, 0, 2]), "1 fault, 0 fault generators, 2 populations");
    }
}
