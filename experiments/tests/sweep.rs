//! `mrsim sweep` and `--set` as a user runs them: the same bytes with any thread count, resuming
//! from saved runs, the shape of the files, and every error path with its exit code.
//!
//! Every sweep here runs the skeleton shortened to 20 simulated seconds (outage 5s..10s), so a run
//! takes a fraction of a second even in a debug build.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn mrsim<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    mrsim_with(args, &[])
}

/// `mrsim` with only `env` of the array-job variables set.
fn mrsim_with<S: AsRef<std::ffi::OsStr>>(args: &[S], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mrsim"));
    // The array-job variables that make a sweep a shard, cleared so a test run inside a Slurm,
    // Kubernetes or AWS Batch job behaves the same.
    for name in experiments::sweep::shard::VARIABLES {
        command.env_remove(name);
    }
    command.envs(env.iter().copied()).args(args).output().expect("the mrsim binary runs")
}

fn skeleton() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/skeleton.toml").display().to_string()
}

/// A fresh, empty folder under the target directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sweep").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

const SHORT: [&str; 6] = ["--set", "scenario.duration=20s", "--set", "fault[0].start=5s", "--set", "fault[0].end=10s"];

/// `mrsim sweep` on the short skeleton with a 2x2 grid, `seeds` seeds and `extra` arguments.
fn sweep(out: &Path, seeds: &str, extra: &[&str]) -> Output {
    sweep_with(out, seeds, extra, &[])
}

/// `sweep` with array-job variables `env`.
fn sweep_with(out: &Path, seeds: &str, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let scenario = skeleton();
    let mut args = vec!["sweep", scenario.as_str()];
    args.extend(SHORT);
    args.extend([
        "--grid",
        "population[0].rate=100,300",
        "--grid",
        "store[0].replication_delay=exp(mean=100ms),uniform(1s, 2s)",
        "--seeds",
        seeds,
        "--out",
        out.to_str().unwrap(),
    ]);
    args.extend(extra);
    mrsim_with(&args, env)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn files(dir: &Path) -> (Vec<u8>, Vec<u8>) {
    (std::fs::read(dir.join("runs.csv")).unwrap(), std::fs::read(dir.join("points.csv")).unwrap())
}

mod determinism {
    use super::*;

    #[test]
    fn one_thread_and_four_threads_write_the_same_bytes() {
        let dir = scratch("threads");
        let (one, four) = (dir.join("one"), dir.join("four"));
        let a = sweep(&one, "3", &["--threads", "1"]);
        assert!(a.status.success(), "{}", stderr(&a));
        let b = sweep(&four, "3", &["--threads", "4"]);
        assert!(b.status.success(), "{}", stderr(&b));
        assert!(stdout(&b).contains("on 4 threads"), "{}", stdout(&b));
        assert_eq!(files(&one), files(&four), "runs.csv and points.csv differ between 1 and 4 threads");
        assert_eq!(std::fs::read(one.join("sweep.json")).unwrap(), std::fs::read(four.join("sweep.json")).unwrap());
    }
}

mod resume {
    use super::*;

    #[test]
    fn a_resumed_sweep_runs_only_the_missing_runs_and_writes_the_same_bytes() {
        let dir = scratch("resume");
        let first = sweep(&dir, "3", &[]);
        assert!(first.status.success(), "{}", stderr(&first));
        assert!(stdout(&first).contains("12 ran, 0 runs reused"), "{}", stdout(&first));
        let before = files(&dir);
        for name in ["0-1.csv", "2-0.csv", "3-2.csv"] {
            std::fs::remove_file(dir.join("runs").join(name)).unwrap();
        }
        std::fs::remove_file(dir.join("runs.csv")).unwrap();
        std::fs::remove_file(dir.join("points.csv")).unwrap();
        let second = sweep(&dir, "3", &["--threads", "2"]);
        assert!(second.status.success(), "{}", stderr(&second));
        assert!(stdout(&second).contains("3 ran, 9 runs reused"), "{}", stdout(&second));
        assert_eq!(files(&dir), before, "a resumed sweep must write the same bytes");
        // Nothing missing: nothing runs.
        let third = sweep(&dir, "3", &[]);
        assert!(stdout(&third).contains("0 ran, 12 runs reused"), "{}", stdout(&third));
        assert_eq!(files(&dir), before);
    }

    #[test]
    fn a_folder_holding_another_sweep_is_refused() {
        let dir = scratch("other-manifest");
        let first = sweep(&dir, "1", &[]);
        assert!(first.status.success(), "{}", stderr(&first));
        let other = sweep(&dir, "2", &[]);
        assert_eq!(other.status.code(), Some(2), "{}", stderr(&other));
        assert!(
            stderr(&other).contains("holds another sweep") && stderr(&other).contains("seeds 1"),
            "{}",
            stderr(&other)
        );
        let scenario = skeleton();
        let mut args = vec!["sweep", scenario.as_str()];
        args.extend(SHORT);
        args.extend(["--set", "network.jitter=2ms", "--grid", "population[0].rate=100,300", "--grid"]);
        args.extend(["store[0].replication_delay=exp(mean=100ms),uniform(1s, 2s)", "--seeds", "1"]);
        args.extend(["--out", dir.to_str().unwrap()]);
        let changed = mrsim(&args);
        assert_eq!(changed.status.code(), Some(2));
        assert!(stderr(&changed).contains("scenario skeleton 0x"), "{}", stderr(&changed));
    }
}

mod files {
    use super::*;

    #[test]
    fn a_two_by_two_grid_with_three_seeds_has_twelve_rows_and_four_points_with_intervals() {
        let dir = scratch("shape");
        let o = sweep(&dir, "3", &[]);
        assert!(o.status.success(), "{}", stderr(&o));
        let runs = String::from_utf8(files(&dir).0).unwrap();
        let mut reader = csv::Reader::from_reader(runs.as_bytes());
        let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
        assert_eq!(&header[..4], ["point", "seed", "population[0].rate", "store[0].replication_delay"]);
        for metric in
            ["operations_error_rate", "writes_lost_last_writer_wins", "reads_stale_fraction", "replication_lag_ms_p99"]
        {
            assert!(header.iter().any(|h| h == metric), "runs.csv lacks {metric}");
        }
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 12);
        let order: Vec<(String, String)> = rows.iter().map(|r| (r[0].to_string(), r[1].to_string())).collect();
        for (i, (point, seed)) in order.iter().enumerate() {
            assert_eq!(point, &(i / 3).to_string(), "sorted by point");
            assert_eq!(seed, &order[i % 3].1, "every point runs the same seeds, in the same order");
            assert!(seed.starts_with("0x"));
        }
        assert_eq!(&rows[1][3], "exp(mean=100ms)");
        assert_eq!(&rows[3][3], "uniform(1s, 2s)");
        assert_eq!(&rows[6][2], "300");

        let points = String::from_utf8(files(&dir).1).unwrap();
        let mut reader = csv::Reader::from_reader(points.as_bytes());
        let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 4);
        let mean = header.iter().position(|h| h == "operations_error_rate_mean").unwrap();
        let ci = header.iter().position(|h| h == "operations_error_rate_ci95").unwrap();
        let runs_column = header.iter().position(|h| h == "runs").unwrap();
        for r in &rows {
            assert_eq!(&r[runs_column], "3");
            let (m, h): (f64, f64) = (r[mean].parse().unwrap(), r[ci].parse().unwrap());
            assert!(m > 0.0 && m < 1.0 && h > 0.0, "error rate {m} ± {h}");
        }
        for (i, name) in ["0-0", "0-1", "0-2", "1-0", "3-2"].iter().enumerate() {
            assert!(dir.join("runs").join(format!("{name}.csv")).is_file(), "run file {i} {name}");
        }
    }

    #[test]
    fn one_seed_gives_means_and_no_intervals() {
        let dir = scratch("one-seed");
        let o = sweep(&dir, "1", &[]);
        assert!(o.status.success(), "{}", stderr(&o));
        let points = String::from_utf8(files(&dir).1).unwrap();
        let row = points.lines().nth(1).unwrap();
        // point, two grid values, runs, then mean,ci95,n triples with every ci95 empty and every
        // n at most the one run.
        let fields: Vec<&str> = row.split(',').collect();
        assert_eq!((fields[0], fields[3]), ("0", "1"), "{row}");
        let triples: Vec<&[&str]> = fields[4..].chunks(3).collect();
        assert!(triples.iter().all(|t| t.len() == 3 && t[1].is_empty() && (t[2] == "1" || t[2] == "0")), "{row}");
        assert!(triples.iter().any(|t| t[2] == "1" && !t[0].is_empty()), "{row}");
    }
}

mod errors {
    use super::*;

    fn sweep_args(extra: &[&str]) -> Output {
        let dir = scratch(&format!("error-{}", extra.join(" ").replace(['/', ' ', '[', ']', '='], "_")));
        let scenario = skeleton();
        let mut args = vec!["sweep", scenario.as_str()];
        args.extend(SHORT);
        let out = dir.display().to_string();
        args.extend(["--out", out.as_str()]);
        args.extend(extra);
        mrsim(&args)
    }

    fn fails_with(extra: &[&str], code: i32, needles: &[&str]) {
        let o = sweep_args(extra);
        assert_eq!(o.status.code(), Some(code), "{extra:?}: {}", stderr(&o));
        for n in needles {
            assert!(stderr(&o).contains(n), "{extra:?}: stderr lacks {n:?}:\n{}", stderr(&o));
        }
    }

    #[test]
    fn bad_input_exits_2_with_a_message_naming_the_problem() {
        fails_with(&["--grid", "population[0].rate", "--seeds", "2"], 2, &["--grid population[0].rate", "path=v1,v2"]);
        fails_with(&["--grid", "population[0].rate=1,,2", "--seeds", "2"], 2, &["an empty value"]);
        fails_with(&["--grid", "population[0].rate=100", "--seeds", "0"], 2, &["--seeds must be at least 1"]);
        fails_with(&["--grid", "populaton[0].rate=1,2", "--seeds", "1"], 2, &["unknown top-level table `populaton`"]);
        fails_with(
            &["--grid", "population[5].rate=1,2", "--seeds", "1"],
            2,
            &["index 5 is out of range", "has 2 entries"],
        );
        fails_with(&["--grid", "population[0].rat=1,2", "--seeds", "1"], 2, &["grid point 0", "unknown field `rat`"]);
        fails_with(
            &["--grid", "population[0].rate=100,-5", "--seeds", "1"],
            2,
            &["grid point 1 (population[0].rate=-5)", "positive"],
        );
        fails_with(&["--grid", "scenario.duration.x=1", "--seeds", "1"], 2, &["is a string, not a table"]);
        fails_with(&["--grid", "population[0].rate=100", "--seeds", "1", "--threads", "0"], 2, &["--threads"]);
    }

    #[test]
    fn a_run_over_its_limits_exits_1_naming_point_seed_and_a_reproduce_command() {
        let o = sweep_args(&["--grid", "scenario.max_events=1000000,1000", "--seeds", "2"]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        let text = stderr(&o);
        assert!(text.contains("sweep point 1 (scenario.max_events=1000), seed 0 (0x"), "{text}");
        let line = text.lines().find_map(|l| l.trim().strip_prefix("reproduce: ")).expect("a reproduce line");
        assert!(line.starts_with("mrsim run ") && line.contains("--set scenario.max_events=1000 --seed 0x"), "{line}");
        // The reproduce command fails the same way.
        let words: Vec<String> = line.split(' ').skip(2).map(|w| w.trim_matches('\'').to_string()).collect();
        let mut args = vec!["run".to_string()];
        args.extend(words);
        args.extend(["--out".to_string(), scratch("reproduce").display().to_string()]);
        let again = mrsim(&args);
        assert_eq!(again.status.code(), Some(1), "{}", stderr(&again));
        assert!(stderr(&again).contains("max_events") || stderr(&again).contains("limit"), "{}", stderr(&again));
    }
}

mod set {
    use super::*;

    #[test]
    fn run_with_set_changes_the_scenario_and_names_bad_overrides() {
        let dir = scratch("run-set");
        let scenario = skeleton();
        let mut args = vec!["run", scenario.as_str()];
        args.extend(SHORT);
        args.extend(["--out", dir.to_str().unwrap()]);
        let o = mrsim(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(stdout(&o).contains("20s fault phase"), "{}", stdout(&o));
        let bad = mrsim(&["run", &skeleton(), "--set", "population[0].rate=-1"]);
        assert_eq!(bad.status.code(), Some(2));
        assert!(
            stderr(&bad).contains("skeleton.toml (with --set)") && stderr(&bad).contains("population[0].rate"),
            "{}",
            stderr(&bad)
        );
        let bad = mrsim(&["run", &skeleton(), "--set", "fault[3].end=6m"]);
        assert_eq!(bad.status.code(), Some(2));
        assert!(
            stderr(&bad).contains("--set fault[3].end=6m: index 3 is out of range: `fault` has 1 entry"),
            "{}",
            stderr(&bad)
        );
    }
}

mod shard {
    use super::*;

    fn merge(dirs: &[&Path], out: &Path) -> Output {
        let mut args = vec!["merge".to_string()];
        args.extend(dirs.iter().map(|d| d.display().to_string()));
        args.extend(["--out".to_string(), out.display().to_string()]);
        mrsim(&args)
    }

    /// The same 2x2 grid x 3 seeds as three shards in three processes: one from --shard, one from
    /// Slurm's variables (with an array that starts at 1), one from a Kubernetes Indexed Job's.
    fn three_shards(dir: &Path) -> [PathBuf; 3] {
        let shards = [dir.join("shard0"), dir.join("shard1"), dir.join("shard2")];
        let slurm = [("SLURM_ARRAY_TASK_ID", "2"), ("SLURM_ARRAY_TASK_MIN", "1"), ("SLURM_ARRAY_TASK_COUNT", "3")];
        let k8s = [("JOB_COMPLETION_INDEX", "2"), ("MRSIM_SHARD_COUNT", "3")];
        let children: Vec<std::thread::JoinHandle<Output>> = [
            (shards[0].clone(), vec!["--shard", "0/3"], vec![]),
            (shards[1].clone(), vec![], slurm.to_vec()),
            (shards[2].clone(), vec![], k8s.to_vec()),
        ]
        .into_iter()
        .map(|(out, extra, env)| std::thread::spawn(move || sweep_with(&out, "3", &extra, &env)))
        .collect();
        for (k, child) in children.into_iter().enumerate() {
            let o = child.join().unwrap();
            assert!(o.status.success(), "shard {k}: {}", stderr(&o));
            let last = stdout(&o).lines().last().unwrap_or_default().to_string();
            assert!(
                last.contains(&format!("shard {k}/3 ran 4 of its 4 runs")) && last.contains("mrsim merge"),
                "{last}"
            );
            assert!(!shards[k].join("runs.csv").exists(), "a shard leaves runs.csv to mrsim merge");
            let runs: Vec<_> = std::fs::read_dir(shards[k].join("runs")).unwrap().collect();
            assert_eq!(runs.len(), 4, "shard {k} holds runs {k}, {}, {}, {}", k + 3, k + 6, k + 9);
        }
        assert!(shards[1].join("runs").join("0-1.csv").is_file() && shards[2].join("runs").join("1-2.csv").is_file());
        shards
    }

    #[test]
    fn three_shards_merged_write_the_bytes_of_one_machine_and_a_missing_shard_is_named() {
        let dir = scratch("shards");
        let whole = dir.join("whole");
        let o = sweep(&whole, "3", &[]);
        assert!(o.status.success(), "{}", stderr(&o));
        let shards = three_shards(&dir);
        let merged = dir.join("merged");
        let m = merge(&[&shards[0], &shards[1], &shards[2]], &merged);
        assert!(m.status.success(), "{}", stderr(&m));
        assert!(stdout(&m).contains("12 runs from 3 folders"), "{}", stdout(&m));
        assert_eq!(files(&merged), files(&whole), "merged runs.csv and points.csv differ from one machine's");
        assert_eq!(std::fs::read(merged.join("sweep.json")).unwrap(), std::fs::read(whole.join("sweep.json")).unwrap());
        for name in ["0-0.csv", "1-1.csv", "3-2.csv"] {
            assert_eq!(
                std::fs::read(merged.join("runs").join(name)).unwrap(),
                std::fs::read(whole.join("runs").join(name)).unwrap()
            );
        }
        // The whole sweep merged with a shard (every run held twice, the same bytes) is the same sweep.
        let again = dir.join("again");
        let m = merge(&[&whole, &shards[1]], &again);
        assert!(m.status.success(), "{}", stderr(&m));
        assert_eq!(files(&again), files(&whole));

        // Shard 1 missing: runs 1, 4, 7 and 10 are (0, 1), (1, 1), (2, 1) and (3, 1).
        let m = merge(&[&shards[0], &shards[2]], &dir.join("incomplete"));
        assert_eq!(m.status.code(), Some(2), "{}", stderr(&m));
        assert!(
            stderr(&m).contains("4 of 12 runs are missing (point, seed): (0, 1), (1, 1), (2, 1), (3, 1)"),
            "{}",
            stderr(&m)
        );
        assert!(!dir.join("incomplete").exists(), "nothing is written when runs are missing");

        // A run that differs between two folders.
        let tampered = shards[0].join("runs").join("0-0.csv");
        let text = std::fs::read_to_string(&tampered).unwrap().replacen(",0.", ",1.", 1);
        std::fs::write(&tampered, text).unwrap();
        let m = merge(&[&whole, &shards[0]], &dir.join("tampered"));
        assert_eq!(m.status.code(), Some(2), "{}", stderr(&m));
        assert!(stderr(&m).contains("run point 0 seed 0 differs"), "{}", stderr(&m));
    }

    #[test]
    fn merging_different_sweeps_exits_2_naming_the_folder_and_field() {
        let dir = scratch("merge-different");
        let (a, b) = (dir.join("a"), dir.join("b"));
        let o = sweep(&a, "1", &["--shard", "0/2"]);
        assert!(o.status.success(), "{}", stderr(&o));
        let o = sweep(&b, "2", &["--shard", "1/2"]);
        assert!(o.status.success(), "{}", stderr(&o));
        let m = merge(&[&a, &b], &dir.join("out"));
        assert_eq!(m.status.code(), Some(2), "{}", stderr(&m));
        let text = stderr(&m);
        assert!(text.contains(&b.display().to_string()) && text.contains("differs in seeds (1 vs 2)"), "{text}");
        let m = merge(&[&a, &dir.join("nothing")], &dir.join("out"));
        assert_eq!(m.status.code(), Some(2), "{}", stderr(&m));
        assert!(stderr(&m).contains("sweep folder"), "{}", stderr(&m));
    }

    #[test]
    fn bad_shards_exit_2() {
        let dir = scratch("bad-shard");
        for (shard, needle) in [("3/3", "K must be below N"), ("1/0", "N must be at least 1"), ("x", "expected K/N")] {
            let o = sweep(&dir, "1", &["--shard", shard]);
            assert_eq!(o.status.code(), Some(2), "--shard {shard}: {}", stderr(&o));
            assert!(stderr(&o).contains(needle), "--shard {shard}: {}", stderr(&o));
        }
        let o = sweep_with(&dir, "1", &[], &[("AWS_BATCH_JOB_ARRAY_INDEX", "1")]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains("set MRSIM_SHARD_COUNT"), "{}", stderr(&o));
    }
}

mod columns {
    use super::*;

    fn table(path: &Path) -> Vec<std::collections::BTreeMap<String, String>> {
        let text = std::fs::read_to_string(path).unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
        reader.records().map(|r| header.iter().cloned().zip(r.unwrap().iter().map(str::to_string)).collect()).collect()
    }

    #[test]
    fn a_linked_axis_sets_every_path_in_one_column_like_fixed_sets_would() {
        let dir = scratch("linked");
        let scenario = skeleton();
        let run = |out: &Path, extra: &[&str]| {
            let mut args = vec!["sweep", scenario.as_str()];
            args.extend(SHORT);
            args.extend(extra);
            args.extend(["--seeds", "2", "--out", out.to_str().unwrap()]);
            let o = mrsim(&args);
            assert!(o.status.success(), "{}", stderr(&o));
        };
        let (linked, fixed) = (dir.join("linked"), dir.join("fixed"));
        run(&linked, &["--grid", "population[0].rate+population[1].rate=50,150"]);
        run(&fixed, &["--set", "population[1].rate=150", "--grid", "population[0].rate=150"]);
        let (linked, fixed) = (table(&linked.join("runs.csv")), table(&fixed.join("runs.csv")));
        assert_eq!(linked.len(), 4);
        assert_eq!(linked[2]["population[0].rate+population[1].rate"], "150");
        for (l, f) in linked[2..].iter().zip(&fixed) {
            assert_eq!(l["seed"], f["seed"]);
            assert_eq!(l["operations_started"], f["operations_started"], "both populations ran at 150/s");
        }
        assert_ne!(linked[0]["operations_started"], linked[2]["operations_started"]);
    }

    /// The failover, store and routing columns read the same numbers `mrsim run` reports in
    /// summary.json for the same seed: Route 53 fast over a two-minute outage.
    #[test]
    fn failover_and_store_columns_match_the_run_summary() {
        let dir = scratch("failover-columns");
        let scenario =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/failover/route53-fast.toml").display().to_string();
        let short = ["--set", "scenario.duration=4m", "--set", "fault[0].start=1m", "--set", "fault[0].end=3m"];
        let (sweep_dir, run_dir) = (dir.join("sweep"), dir.join("run"));
        let mut args = vec!["sweep", scenario.as_str()];
        args.extend(short);
        args.extend(["--grid", "route53.ttl=10s", "--seeds", "1", "--out", sweep_dir.to_str().unwrap()]);
        let o = mrsim(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        let row = &table(&dir.join("sweep").join("runs.csv"))[0];
        let mut args = vec!["run", scenario.as_str()];
        args.extend(short);
        args.extend(["--set", "route53.ttl=10s", "--seed", row["seed"].as_str()]);
        args.extend(["--out", run_dir.to_str().unwrap()]);
        let o = mrsim(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        let summary: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("run").join("summary.json")).unwrap()).unwrap();
        let failover = &summary["faults"][0]["failover"];
        let number =
            |column: &str| row[column].parse::<f64>().unwrap_or_else(|_| panic!("{column} = {:?}", row[column]));
        assert_eq!(number("failover_detection_s"), failover["detection_s"].as_f64().unwrap());
        assert!(number("failover_detection_s") > 20.0 && number("failover_detection_s") < 35.0, "10 s x 3");
        assert_eq!(number("failover_recovery_s"), failover["recovery_s"].as_f64().unwrap());
        assert_eq!(number("failover_transition_error_rate"), failover["transition_error_rate"].as_f64().unwrap());
        assert_eq!(number("failover_client_outage_s_p99"), failover["client_outage_s"]["p99"].as_f64().unwrap());
        assert_eq!(
            number("failover_clients_unrecovered"),
            failover["client_outage_s"]["unrecovered"].as_f64().unwrap()
        );
        match failover["routing_convergence_s"].as_f64() {
            Some(x) => assert_eq!(number("failover_routing_convergence_s"), x),
            None => assert_eq!(row["failover_routing_convergence_s"], "", "never converged: an empty cell"),
        }
        let stores = summary["stores"].as_array().unwrap();
        let sum = |field: &str| stores.iter().map(|s| s[field].as_f64().unwrap()).sum::<f64>();
        assert_eq!(number("store_rejections"), sum("rejected"));
        assert_eq!(number("rpo_writes"), sum("rpo_writes"));
        let shed: f64 = summary["app_tiers"].as_array().unwrap().iter().map(|a| a["shed"].as_f64().unwrap()).sum();
        assert_eq!(number("app_tier_shed"), shed);
        assert_eq!(number("fail_open_answers"), summary["routing"]["fail_open_answers"].as_f64().unwrap());
        assert_eq!(number("latency_write_ms_p50"), summary["latency_ms"]["write"]["p50"].as_f64().unwrap());
    }

    /// Per-store columns (`stores.NAME.FIELD`) hold each store's own numbers from summary.json, for
    /// every store the scenario declares, and points.csv averages them like the other columns.
    #[test]
    fn per_store_columns_match_each_store_row_of_the_summary() {
        let dir = scratch("store-columns");
        let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/mrsc.toml").display().to_string();
        let short = ["--set", "scenario.duration=40s", "--set", "fault[0].start=10s", "--set", "fault[0].end=30s"];
        let (sweep_dir, run_dir) = (dir.join("sweep"), dir.join("run"));
        let mut args = vec!["sweep", scenario.as_str()];
        args.extend(short);
        args.extend(["--grid", "population[0].rate=60", "--seeds", "2", "--out", sweep_dir.to_str().unwrap()]);
        let o = mrsim(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        let rows = table(&sweep_dir.join("runs.csv"));
        let row = &rows[1];
        let mut args = vec!["run", scenario.as_str()];
        args.extend(short);
        args.extend(["--set", "population[0].rate=60", "--seed", row["seed"].as_str()]);
        args.extend(["--out", run_dir.to_str().unwrap()]);
        let o = mrsim(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        let summary: serde_json::Value =
            serde_json::from_slice(&std::fs::read(run_dir.join("summary.json")).unwrap()).unwrap();
        let stores = summary["stores"].as_array().unwrap();
        assert_eq!(stores.len(), 2, "mrsc.toml has an MRSC and an MREC table");
        for store in stores {
            let name = store["name"].as_str().unwrap();
            for (field, value) in [
                ("writes_acknowledged", &store["writes_acknowledged"]),
                ("lost_last_writer_wins", &store["lost_last_writer_wins"]),
                ("rejected", &store["rejected"]),
                ("stale_reads", &store["stale_reads"]),
                ("write_unavailability_s.max", &store["write_unavailability_s"]["max"]),
                ("replication_lag_ms.p99", &store["replication_lag_ms"]["p99"]),
            ] {
                let column = format!("stores.{name}.{field}");
                let cell = row.get(&column).unwrap_or_else(|| panic!("no column {column}"));
                match value.as_f64() {
                    Some(v) => assert_eq!(cell.parse::<f64>().unwrap(), v, "{column}"),
                    None => assert_eq!(cell, "", "{column}: undefined in the summary, empty in the sweep"),
                }
            }
        }
        // The MREC table loses writes to last-writer-wins; the MRSC table refuses instead.
        assert!(row["stores.ledger-mrec.lost_last_writer_wins"].parse::<f64>().unwrap() > 0.0);
        assert_eq!(row["stores.ledger-mrsc.lost_last_writer_wins"], "0");
        let points = table(&sweep_dir.join("points.csv"));
        let mean = points[0]["stores.ledger-mrec.writes_acknowledged_mean"].parse::<f64>().unwrap();
        let both: f64 =
            rows.iter().map(|r| r["stores.ledger-mrec.writes_acknowledged"].parse::<f64>().unwrap()).sum::<f64>();
        assert!((mean - both / 2.0).abs() < 1e-9, "{mean} vs {}", both / 2.0);
    }
}

mod progress {
    use super::*;

    #[test]
    fn progress_goes_to_stderr_as_plain_lines_and_never_to_stdout_or_files() {
        // stderr is a pipe here, not a terminal: the plain-line mode, whose last line is the total.
        let dir = scratch("progress");
        let o = sweep(&dir, "2", &[]);
        assert!(o.status.success(), "{}", stderr(&o));
        let err = stderr(&o);
        let last = err.lines().rfind(|l| l.starts_with("sweep: ")).expect("a progress line on stderr");
        assert!(last.starts_with("sweep: 8/8 runs, ") && last.ends_with("ETA 0s"), "{last}");
        assert!(!err.contains('\r') && !err.contains('\u{1b}'), "no terminal control codes in a log: {err:?}");
        let out = stdout(&o);
        assert!(!out.contains("runs/s") && !out.contains("ETA"), "progress leaked to stdout: {out}");
        for file in ["runs.csv", "points.csv"] {
            let text = std::fs::read_to_string(dir.join(file)).unwrap();
            assert!(!text.contains("ETA"), "progress leaked into {file}");
        }
    }
}
