//! `mrsim check` and `mrsim compare` as a user runs them: exit codes, the table, the failure lines
//! and their reproduce command, the paired comparison and its file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn mrsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mrsim")).args(args).output().expect("the mrsim binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}

/// A fresh, empty folder under the target directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("check-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

/// The shipped MRSC scenario shortened to 40 s (the partition from 10 s to 20 s), without its
/// own expects, so each test states the ones it checks.
fn short_mrsc() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/mrsc.toml");
    let full = std::fs::read_to_string(path).expect("mrsc.toml");
    let body = full.split("\n[[expect]]").next().unwrap().to_string();
    let short = body.replace("duration = \"8m\"", "duration = \"40s\"");
    let short = short.replace("start = \"3m\"", "start = \"10s\"").replace("end = \"5m\"", "end = \"20s\"");
    assert!(short.contains("duration = \"40s\"") && short.contains("start = \"10s\""), "mrsc.toml changed");
    short
}

/// Writes `text` as `dir/name` and returns its path.
fn write(dir: &Path, name: &str, text: &str) -> String {
    let file = dir.join(name);
    std::fs::write(&file, text).unwrap();
    file.display().to_string()
}

fn with_expects(expects: &str) -> String {
    format!("{}\n{expects}", short_mrsc())
}

#[test]
fn check_passes_on_a_holding_expect() {
    let dir = scratch("pass");
    let file = write(
        &dir,
        "s.toml",
        &with_expects("[[expect]]\nmetric = \"stores.ledger-mrsc.lost_last_writer_wins\"\nequals = 0\n"),
    );
    let o = mrsim(&["check", &file, "--seeds", "2"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.contains("stores.ledger-mrsc.lost_last_writer_wins") && out.contains("PASS"), "{out}");
    assert!(out.contains("seeds 0x2a, 0x") && out.contains("1 of 1 expects hold"), "{out}");
}

#[test]
fn check_fails_with_the_seed_value_bound_and_a_reproduce_line_that_reproduces() {
    let dir = scratch("fail");
    let file = write(&dir, "s.toml", &with_expects("[[expect]]\nmetric = \"writes.acknowledged\"\nat_most = 1\n"));
    let o = mrsim(&["check", &file, "--seeds", "2"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", text(&o.stdout), text(&o.stderr));
    assert!(text(&o.stdout).contains("FAIL"), "the table shows the failure too");
    let err = text(&o.stderr);
    assert!(err.contains("FAIL expect[0] writes.acknowledged (per seed)"), "{err}");
    // Both seeds fail; take the derived one (the second) and replay it.
    let lines: Vec<&str> = err.lines().collect();
    let seed_line = lines.iter().filter(|l| l.trim_start().starts_with("seed ")).nth(1).expect("two failing seeds");
    let (seed, rest) = seed_line.trim_start().trim_start_matches("seed ").split_once(':').unwrap();
    assert!(seed.starts_with("0x") && seed != "0x2a", "{seed_line}");
    let value: f64 = rest.split(" = ").nth(1).unwrap().split(',').next().unwrap().parse().unwrap();
    assert!(value > 1.0 && rest.contains("bound <= 1"), "{seed_line}");
    let reproduce = format!("reproduce: mrsim run {file} --seed {seed}");
    assert!(err.contains(&reproduce), "{err}");
    assert!(err.contains(&format!("shrink:    mrsim shrink {file} --seed {seed} --expect 0")), "{err}");
    let out = dir.join("replay");
    let replay = mrsim(&["run", &file, "--seed", seed, "--out", out.to_str().unwrap()]);
    assert!(replay.status.success(), "{}", text(&replay.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["writes"]["acknowledged"].as_f64(), Some(value), "the replay gives the value printed");
}

/// The values column of the first row of a check table.
fn values_of_first_row(table: &str) -> Vec<f64> {
    let row = table.lines().nth(2).expect("a row");
    let values = row.split("  ").filter(|c| !c.is_empty()).nth(4).expect("a values cell");
    values.split(", ").map(|v| v.trim().parse().unwrap()).collect()
}

#[test]
fn per_mean_needs_only_the_mean_and_per_seed_every_seed() {
    let dir = scratch("per");
    let probe =
        write(&dir, "probe.toml", &with_expects("[[expect]]\nmetric = \"writes.acknowledged\"\nat_least = 0\n"));
    let o = mrsim(&["check", &probe, "--seeds", "3"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let values = values_of_first_row(&text(&o.stdout));
    assert_eq!(values.len(), 3, "{values:?}");
    let mean = values.iter().sum::<f64>() / 3.0;
    let max = values.iter().copied().fold(f64::MIN, f64::max);
    assert!(max > mean, "the seeds differ: {values:?}");
    // Between the mean and the largest value: the mean meets it, the largest seed does not.
    let bound = (mean + max) / 2.0;
    for (per, code) in [("mean", 0), ("seed", 1)] {
        let file = write(
            &dir,
            &format!("{per}.toml"),
            &with_expects(&format!(
                "[[expect]]\nmetric = \"writes.acknowledged\"\nat_most = {bound}\nper = \"{per}\"\n"
            )),
        );
        let o = mrsim(&["check", &file, "--seeds", "3"]);
        assert_eq!(o.status.code(), Some(code), "per {per}, bound {bound}, values {values:?}: {}", text(&o.stderr));
    }
}

#[test]
fn bad_expects_are_bad_input_naming_the_place() {
    let dir = scratch("bad");
    let cases = [
        (
            "[[expect]]\nmetric = \"stores.ledger-mrsk.rpo_writes\"\nequals = 0\n",
            "expect[0].metric",
            "stores.ledger-mrsc.rpo_writes",
        ),
        (
            "[[expect]]\nmetric = \"writes.acknowledged\"\nequals = 0\nat_most = 3\n",
            "expect[0].at_most",
            "found both equals and at_most",
        ),
        ("[[expect]]\nmetric = \"writes.acknowledged\"\n", "expect[0]", "no bound given"),
        (
            "[[expect]]\nmetric = \"writes.acknowledged\"\nequals = 0\nper = \"median\"\n",
            ":",
            "expected `seed` or `mean`",
        ),
        ("[[expect]]\nmetric = \"writes.acknowledged\"\nequals = 0\nbound = 3\n", ":", "unknown field `bound`"),
    ];
    for (i, (expects, place, message)) in cases.iter().enumerate() {
        let file = write(&dir, &format!("bad{i}.toml"), &with_expects(expects));
        let o = mrsim(&["check", &file]);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "case {i}: {err}");
        assert!(err.contains(&format!("{file}:")) && err.contains(place) && err.contains(message), "case {i}: {err}");
    }
    let none = write(&dir, "none.toml", &short_mrsc());
    let o = mrsim(&["check", &none]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("no [[expect]]"), "{}", text(&o.stderr));
    // `mrsim run` ignores the expects but still rejects a bad one.
    let o = mrsim(&["run", &dir.join("bad0.toml").display().to_string(), "--out", dir.join("o").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
}

/// compare.csv as rows of cells, header first.
fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text(&bytes).lines().map(|l| l.split(',').map(str::to_string).collect()).collect()
}

#[test]
fn compare_a_with_itself_gives_exact_zeros() {
    let dir = scratch("compare-self");
    let a = write(&dir, "a.toml", &short_mrsc());
    let out = dir.join("out");
    let o = mrsim(&["compare", &a, &a, "--seeds", "3", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let rows = read_csv(&out.join("compare.csv"));
    assert_eq!(
        rows[0],
        [
            "metric",
            "n",
            "mean_a",
            "mean_b",
            "mean_difference",
            "ci95_half_width",
            "ci_excludes_zero",
            "seeds",
            "reported_a",
            "reported_b"
        ]
    );
    assert!(rows.len() > 50, "every numeric leaf: {} rows", rows.len());
    let metrics: Vec<&String> = rows[1..].iter().map(|r| &r[0]).collect();
    assert!(metrics.is_sorted(), "rows sorted by path");
    assert!(metrics.iter().any(|m| *m == "stores.ledger-mrec.lost_last_writer_wins"));
    for r in &rows[1..] {
        assert_eq!((r[2].as_str(), r[4].as_str(), r[6].as_str()), (r[3].as_str(), "0", "false"), "{r:?}");
        assert_eq!(r[5], "0", "paired runs of one scenario differ by nothing: {r:?}");
    }
    let leftovers = std::fs::read_dir(&out).unwrap().count();
    assert_eq!(leftovers, 1, "only compare.csv, no temporary file");
}

#[test]
fn compare_metric_keeps_the_prefixes_asked_for_and_rejects_one_that_matches_nothing() {
    let dir = scratch("compare-metric");
    let a = write(&dir, "a.toml", &short_mrsc());
    let out = dir.join("out");
    let o =
        mrsim(&["compare", &a, &a, "--seeds", "1", "--metric", "stores.ledger-mrsc.", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let rows = read_csv(&out.join("compare.csv"));
    assert!(rows.len() > 2, "the MRSC table's metrics: {rows:?}");
    assert!(rows[1..].iter().all(|r| r[0].starts_with("stores.ledger-mrsc.")), "{rows:?}");
    let o = mrsim(&["compare", &a, &a, "--seeds", "1", "--metric", "stores.no-such-table"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("--metric stores.no-such-table"), "{}", text(&o.stderr));
}

#[test]
fn compare_shows_the_lost_writes_a_slower_replication_costs() {
    let dir = scratch("compare-slow");
    let a = write(&dir, "a.toml", &short_mrsc());
    let slow = short_mrsc().replacen(
        "multi_region_consistency = \"EVENTUAL\"\n",
        "multi_region_consistency = \"EVENTUAL\"\nreplication_delay = \"lognormal(median=3s, sigma=0.5)\"\n",
        1,
    );
    let b = write(&dir, "b.toml", &slow);
    let out = dir.join("out");
    let o = mrsim(&["compare", &a, &b, "--seeds", "3", "--seed0", "0x7", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("3 paired seeds from 0x7"), "{}", text(&o.stdout));
    let rows = read_csv(&out.join("compare.csv"));
    let lost = rows.iter().find(|r| r[0] == "stores.ledger-mrec.lost_last_writer_wins").expect("the row");
    let difference: f64 = lost[4].parse().unwrap();
    assert!(difference > 0.0, "a slower replication loses more writes: {lost:?}");
    let mrsc = rows.iter().find(|r| r[0] == "stores.ledger-mrsc.lost_last_writer_wins").expect("the row");
    assert_eq!(mrsc[4], "0", "the MRSC table loses nothing either way: {mrsc:?}");
}

#[test]
fn bad_seed_counts_are_bad_input() {
    let dir = scratch("seeds");
    let a = write(&dir, "a.toml", &with_expects("[[expect]]\nmetric = \"writes.acknowledged\"\nat_least = 0\n"));
    assert_eq!(mrsim(&["check", &a, "--seeds", "0"]).status.code(), Some(2));
    assert_eq!(mrsim(&["compare", &a, &a, "--seeds", "0"]).status.code(), Some(2));
    assert_eq!(mrsim(&["compare", &a, "missing.toml", "--seeds", "1"]).status.code(), Some(2));
}

#[test]
fn output_is_the_same_bytes_with_one_thread_or_four() {
    let dir = scratch("threads");
    let a = write(&dir, "a.toml", &with_expects("[[expect]]\nmetric = \"reads.stale_fraction\"\nat_most = 1\n"));
    let run = |threads: &str, args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_mrsim"))
            .args(args)
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .expect("the mrsim binary runs");
        assert!(o.status.success(), "{}", text(&o.stderr));
        o.stdout
    };
    for args in [vec!["check", &a, "--seeds", "4"], vec!["compare", &a, &a, "--seeds", "4"]] {
        assert_eq!(run("1", &args), run("4", &args), "{args:?}");
    }
}

/// The summary.json of `mrsim run FILE ARGS...`, run into `out`.
fn run_summary(file: &str, out: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["run", file, "--out", out.to_str().unwrap()];
    all.extend_from_slice(args);
    let o = mrsim(&all);
    assert!(o.status.success(), "{}", text(&o.stderr));
    serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap()
}

#[test]
fn check_set_changes_the_scenario_and_out_writes_every_seeds_verdict() {
    let dir = scratch("set-out");
    let expects = "[[expect]]\nmetric = \"writes.acknowledged\"\nat_least = 1\n\n\
                   [[expect]]\nmetric = \"reads.stale_fraction\"\nat_most = 1\nper = \"mean\"\n";
    let file = write(&dir, "s.toml", &with_expects(expects));
    let out = dir.join("out");
    let o = mrsim(&["check", &file, "--seeds", "2", "--set", "scenario.duration=20s", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
    assert!(text(&o.stdout).contains("check.csv"), "the table names the files: {}", text(&o.stdout));
    let rows = read_csv(&out.join("check.csv"));
    assert_eq!(rows[0], ["seed", "expect", "metric", "value", "bound", "pass"]);
    assert_eq!(rows.len(), 1 + 2 * 2, "one row per expect and seed: {rows:?}");
    assert_eq!(rows[1][..3], ["0x2a", "0", "writes.acknowledged"]);
    assert_eq!((rows[1][4].as_str(), rows[1][5].as_str()), (">= 1", "true"));
    assert_eq!(rows[3][..3], ["0x2a", "1", "reads.stale_fraction"]);
    assert_eq!(rows[1][0], rows[3][0], "expect order, then seed order");
    // The value is the changed scenario's: `mrsim run --set` of the same seed gives it, the file alone does not.
    let changed = run_summary(&file, &dir.join("run-set"), &["--set", "scenario.duration=20s"]);
    let plain = run_summary(&file, &dir.join("run-plain"), &[]);
    let value: f64 = rows[1][3].parse().unwrap();
    assert_eq!(Some(value), changed["writes"]["acknowledged"].as_f64());
    assert_ne!(Some(value), plain["writes"]["acknowledged"].as_f64(), "--set was applied");
    let summary: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("check.json")).unwrap()).unwrap();
    assert_eq!(summary["passed"], true);
    assert_eq!(summary["set"], serde_json::json!(["scenario.duration=20s"]));
    assert_eq!(summary["seeds"].as_array().unwrap().len(), 2);
    assert_eq!(summary["expects"][1]["per"], "mean");
    assert_eq!(summary["expects_held"], 2);
    let entries: Vec<_> = std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(entries.len(), 2, "check.csv and check.json, no temporary file: {entries:?}");

    // A failing check still writes its verdicts, and its reproduce line repeats the change.
    let failing = write(&dir, "f.toml", &with_expects("[[expect]]\nmetric = \"writes.acknowledged\"\nat_most = 1\n"));
    let out = dir.join("out-fail");
    let o = mrsim(&["check", &failing, "--set", "scenario.duration=20s", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains(&format!("reproduce: mrsim run {failing} --set scenario.duration=20s --seed 0x2a")),
        "{}",
        text(&o.stderr)
    );
    let rows = read_csv(&out.join("check.csv"));
    assert_eq!((rows[1][4].as_str(), rows[1][5].as_str()), ("<= 1", "false"));
    let summary: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("check.json")).unwrap()).unwrap();
    assert_eq!((summary["passed"].as_bool(), summary["expects_failed"].as_u64()), (Some(false), Some(1)));
    assert_eq!(summary["expects"][0]["failing_seeds"][0]["seed"], "0x2a");

    // A bad --set is bad input, and nothing is written.
    let out = dir.join("out-bad");
    let o = mrsim(&["check", &file, "--set", "scenaro.duration=20s", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("--set scenaro.duration=20s: unknown top-level table"), "{}", text(&o.stderr));
    assert!(!out.exists());
    let o = mrsim(&["check", &file, "--set", "scenario.duration=-3s"]);
    assert_eq!(o.status.code(), Some(2), "an invalid value is reported by validation");
    assert!(text(&o.stderr).contains("(with --set)"), "{}", text(&o.stderr));
}

#[test]
fn compare_set_changes_both_scenarios() {
    let dir = scratch("compare-set");
    let a = write(&dir, "a.toml", &short_mrsc());
    let out = dir.join("out");
    let o =
        mrsim(&["compare", &a, &a, "--seeds", "1", "--set", "scenario.duration=20s", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("both changed by --set scenario.duration=20s"), "{}", text(&o.stdout));
    let rows = read_csv(&out.join("compare.csv"));
    let acknowledged = rows.iter().find(|r| r[0] == "writes.acknowledged").expect("the row");
    let changed = run_summary(&a, &dir.join("run-set"), &["--set", "scenario.duration=20s"]);
    let expected = changed["writes"]["acknowledged"].as_f64().unwrap();
    assert_eq!(
        (acknowledged[2].parse::<f64>().unwrap(), acknowledged[3].parse::<f64>().unwrap()),
        (expected, expected)
    );
    let o = mrsim(&["compare", &a, &a, "--seeds", "1", "--set", "population[9].rate=1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("index 9 is out of range"), "{}", text(&o.stderr));
}
