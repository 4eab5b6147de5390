//! `mrsim shrink` on a small real case: the result still fails, and every single further step from
//! it (each removal, each halving above its floor) is run here, independently of the shrink, and
//! passes; an interrupted shrink resumes to the same bytes; bad input is exit 2 before any run; the
//! shipped shrunk scenarios are the shrinks' own outputs.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use experiments::shrink::steps::{Candidate, single_steps};
use experiments::shrink::trial::{self, Judge, Verdict};
use experiments::shrink::{self, ShrinkArgs};
use sim_core::Seed;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("experiments/ sits in the workspace").to_path_buf()
}

fn mrsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mrsim")).current_dir(repo_root()).args(args).output().expect("mrsim runs")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("shrink").join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

const SCENARIO: &str = "experiments/scenarios/shrunk/mrec-failover.toml";

/// The MREC demonstration made small: a 2-minute run at 30 + 5 operations/s with its five faults
/// inside it (36 writes lost with seed 0x2a).
const SMALL: [&str; 13] = [
    "scenario.duration=2m",
    "population[0].rate=30",
    "population[1].rate=5",
    "fault[0].start=10s",
    "fault[0].end=100s",
    "fault[1].start=20s",
    "fault[1].end=30s",
    "fault[2].start=30s",
    "fault[2].end=50s",
    "fault[3].start=40s",
    "fault[3].end=80s",
    "fault[4].start=60s",
    "fault[4].end=80s",
];

fn small(out: &Path, max_runs: usize) -> ShrinkArgs {
    ShrinkArgs {
        scenario: repo_root().join(SCENARIO),
        seed: Some(Seed(0x2a)),
        expect: None,
        set: SMALL.iter().map(|s| s.to_string()).collect(),
        out: Some(out.to_path_buf()),
        max_runs,
        max_seconds: 600,
        progress: false,
    }
}

fn read(dir: &Path, name: &str) -> String {
    fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(name).display()))
}

/// Issue 18: the shrunk scenario fails as the original did, and no single further step does.
#[test]
fn shrink_ends_failing_and_no_single_step_still_fails() {
    let out = scratch("minimal");
    let args = small(&out, shrink::DEFAULT_MAX_RUNS);
    let o = shrink::shrink(&args).expect("the small case shrinks");
    assert!(!o.stopped, "{}", o.account);
    assert!(o.shrunk.len(0) < o.original.len(0), "faults were removed: {}", o.account);
    assert!(o.account.contains("1-minimal"), "{}", o.account);

    // The file written is a scenario `mrsim check` fails on, on the same expect, with no flags.
    let file = out.join("shrunk.toml");
    let c = mrsim(&["check", file.to_str().unwrap()]);
    assert_eq!(c.status.code(), Some(1), "{}", text(&c));
    assert!(text(&c).contains("FAIL expect[0] writes.lost_last_writer_wins"), "{}", text(&c));
    let reread: toml::Table = read(&out, "shrunk.toml").parse().unwrap();
    assert_eq!(Candidate::new(reread).table, o.shrunk.table, "shrunk.toml holds the shrunk candidate");

    // Every single step from it, run here: none still fails.
    let path = repo_root().join(SCENARIO);
    let original = trial::load(&path, &o.original.text()).expect("the original validates");
    let judge =
        Judge { path: &path, seed: Seed(0x2a), target: o.target.clone(), warnings: original.warnings.list.len() };
    assert_eq!(judge.judge(&o.shrunk.text()).verdict, Verdict::Fails);
    let steps = single_steps(&o.shrunk);
    assert!(steps.iter().any(|s| s.description.starts_with("drop")), "{:?}", steps.len());
    assert!(steps.iter().any(|s| s.description.starts_with("halve")), "{:?}", steps.len());
    for step in &steps {
        let t = judge.judge(&step.candidate.text());
        assert_ne!(
            t.verdict,
            Verdict::Fails,
            "{} still fails ({}): the shrink stopped early",
            step.description,
            t.observed
        );
    }
    assert!(o.account.contains(&format!("each of the {} single", steps.len())), "{}", o.account);

    // The record lists every candidate once, the original first.
    let csv = read(&out, "steps.csv");
    assert!(csv.lines().nth(1).unwrap().starts_with("1,original,fails,36,5,0,2,"), "{csv}");
    assert_eq!(csv.lines().count(), 1 + o.counts[0]);
}

/// A shrink stopped by its budget and started again into the same folder ends with the bytes of an
/// uninterrupted one, running only the candidates the record does not hold.
#[test]
fn an_interrupted_shrink_resumes_to_the_same_bytes() {
    let (whole, resumed) = (scratch("whole"), scratch("resumed"));
    let full = shrink::shrink(&small(&whole, shrink::DEFAULT_MAX_RUNS)).unwrap();
    let first = shrink::shrink(&small(&resumed, 12)).unwrap();
    assert!(first.stopped && first.counts[0] == 12, "stopped at --max-runs 12");
    assert!(read(&resumed, "account.md").contains("stopped at --max-runs"));
    let again = shrink::shrink(&small(&resumed, shrink::DEFAULT_MAX_RUNS)).unwrap();
    // The original always runs (it chooses the expect); the other 11 recorded candidates do not.
    assert_eq!(again.fresh, full.counts[0] - 12 + 1, "the recorded candidates are not run again");
    for name in ["shrunk.toml", "account.md", "reproduce.txt", "steps.csv", "shrink.json"] {
        assert_eq!(read(&whole, name), read(&resumed, name), "{name}");
    }
    // A third start finds every verdict recorded and runs only the original.
    assert_eq!(shrink::shrink(&small(&resumed, shrink::DEFAULT_MAX_RUNS)).unwrap().fresh, 1);
}

#[test]
fn bad_input_is_exit_2_before_any_run() {
    let dir = scratch("bad");
    let file = dir.join("afile");
    fs::write(&file, "x").unwrap();
    let other = dir.join("other");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--expect", "7"], "--expect 7: the scenario has 2 expects; expected an index from 0 to 1"),
        (vec!["--expect", "writes.lost"], "no expect has that metric"),
        (vec!["--expect", "1"], "expect[1] (stores.profiles.divergent_keys = 0) holds with seed 0x2a"),
        (vec!["--max-runs", "0"], "--max-runs and --max-seconds must be at least 1"),
        (vec!["--out", file.to_str().unwrap()], "it is a file"),
        (vec!["--set", "population[0].rate=fast"], "population[0].rate: invalid type"),
    ];
    for (extra, needle) in cases {
        let mut args = vec!["shrink", SCENARIO];
        if !extra.contains(&"--out") {
            args.extend(["--out", other.to_str().unwrap()]);
        }
        args.extend(extra.iter().copied());
        let o = mrsim(&args);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", text(&o));
        assert!(text(&o).contains(needle), "{extra:?}: expected {needle:?} in {}", text(&o));
    }
    let o = mrsim(&["shrink", "experiments/scenarios/skeleton.toml"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("the scenario has no [[expect]]"), "{}", text(&o));

    // A folder holding another shrink is refused, naming both.
    fs::create_dir_all(&other).unwrap();
    fs::write(other.join("shrink.json"), "{\"scenario\": \"x\"}").unwrap();
    let o = mrsim(&["shrink", SCENARIO, "--out", other.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("holds another shrink"), "{}", text(&o));
}

/// experiments/scenarios/shrunk/NAME.shrunk.toml is the shrink's own shrunk.toml, as reproduced in
/// results/shrink/NAME/ by experiments/reproduce/shrink.toml.
#[test]
fn the_shipped_shrunk_scenarios_are_the_shrinks_outputs() {
    for name in ["mrec-failover", "aurora-rpo"] {
        let shipped = repo_root().join(format!("experiments/scenarios/shrunk/{name}.shrunk.toml"));
        let produced = repo_root().join(format!("results/shrink/{name}/shrunk.toml"));
        assert_eq!(
            fs::read_to_string(&shipped).unwrap(),
            fs::read_to_string(&produced).unwrap(),
            "{name}: copy results/shrink/{name}/shrunk.toml over the shipped file after `mrsim reproduce --only shrink`"
        );
    }
}
