//! The `mrsim` binary as a user runs it: exit codes, messages, files written (or not).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn mrsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mrsim")).args(args).output().expect("the mrsim binary runs")
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("experiments/ sits in the workspace").to_path_buf()
}

fn skeleton() -> String {
    repo_root().join("experiments/scenarios/skeleton.toml").display().to_string()
}

/// A fresh, empty folder under the target directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

fn read_all(dir: &Path) -> Vec<(String, Vec<u8>)> {
    ["summary.json", "timeseries.csv", "plots/timeline.svg"]
        .iter()
        .map(|name| (name.to_string(), std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))))
        .collect()
}

/// An output folder that cannot be made (a file in its path) is a usage error, exit 2, said before
/// any simulation, by run, sweep, check and compare alike.
#[test]
fn an_output_folder_under_a_file_is_refused_before_anything_runs() {
    let dir = scratch("out-under-a-file");
    let file = dir.join("afile");
    std::fs::write(&file, b"x").unwrap();
    let out = file.join("sub").display().to_string();
    let sweep = ["sweep", &skeleton(), "--grid", "population[0].rate=5,10", "--seeds", "1", "--out", &out];
    let cases: [&[&str]; 3] = [
        &["run", &skeleton(), "--out", &out],
        &sweep,
        &["compare", &skeleton(), &skeleton(), "--seeds", "1", "--out", &out],
    ];
    for args in cases {
        let o = mrsim(args);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("afile is a file, so no folder can be made under it"), "{args:?}: {stderr}");
        assert!(!stderr.contains("wrote") && o.stdout.is_empty(), "{args:?}: nothing ran");
    }
}

#[test]
fn same_seed_gives_the_same_bytes_and_another_seed_does_not() {
    let dir = scratch("same-seed");
    let (a, b, c) = (dir.join("a"), dir.join("b"), dir.join("c"));
    for (out, seed) in [(&a, "0x2a"), (&b, "42"), (&c, "0x2b")] {
        let o = mrsim(&["run", &skeleton(), "--seed", seed, "--out", out.to_str().unwrap()]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert_eq!(read_all(&a), read_all(&b), "0x2a and 42 are the same seed");
    assert_ne!(read_all(&a)[0], read_all(&c)[0], "another seed gives another run");
    let summary = String::from_utf8(read_all(&a)[0].1.clone()).unwrap();
    for field in ["\"lost_last_writer_wins\"", "\"stale\"", "\"trace_hash\"", "\"error_rate\""] {
        assert!(summary.contains(field), "summary.json lacks {field}");
    }
    let csv = String::from_utf8(read_all(&a)[1].1.clone()).unwrap();
    // One row per simulated second per Region over the run (600 s fault phase plus the drain).
    let rows = csv.lines().count() - 1;
    assert!(rows >= 600 * 2 && rows % 2 == 0, "{rows} rows");
}

#[test]
fn terminal_summary_names_the_headline_numbers() {
    let dir = scratch("terminal");
    let o = mrsim(&["run", &skeleton(), "--out", dir.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&o.stdout);
    for needle in ["operations", "acknowledged", "lost to last-writer-wins", "stale", "events", "wall time"] {
        assert!(text.contains(needle), "summary lacks {needle:?}:\n{text}");
    }
}

#[test]
fn check_determinism_passes_on_the_skeleton() {
    let dir = scratch("check-determinism");
    let o = mrsim(&["run", &skeleton(), "--check-determinism", "--out", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("determinism     checked"));
}

/// Writes `text` as a scenario and runs it; returns (exit code, stderr, the output folder).
fn run_text(name: &str, text: &str) -> (i32, String, PathBuf) {
    let dir = scratch(name);
    let file = dir.join("scenario.toml");
    std::fs::write(&file, text).unwrap();
    let out = dir.join("out");
    let o = mrsim(&["run", file.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    (o.status.code().expect("exit code"), String::from_utf8_lossy(&o.stderr).to_string(), out)
}

fn skeleton_text() -> String {
    std::fs::read_to_string(skeleton()).unwrap()
}

/// Every class of bad input the engine issue names: exit code 2, one paragraph naming the file,
/// the place and what was expected, and no output folder.
#[test]
fn bad_input_is_named_with_its_place_and_what_was_expected() {
    let cases: Vec<(&str, String, Vec<&str>)> = vec![
        (
            "malformed",
            skeleton_text().replace("name = \"skeleton\"", "name = \"skeleton"),
            vec!["scenario.toml:", "expected"],
        ),
        (
            "unknown-key",
            skeleton_text().replace("read_fraction = 0.5\n", "read_fraction = 0.5\nread_fractoin = 0.5\n"),
            vec!["scenario.toml:", "unknown field `read_fractoin`", "expected one of"],
        ),
        (
            "bad-duration",
            skeleton_text().replace("duration = \"10m\"", "duration = \"10 parsecs\""),
            vec!["scenario.toml:12:12:", "unknown unit", "expected a non-negative number followed by a unit"],
        ),
        (
            "negative-duration",
            skeleton_text().replace("start = \"4m\"", "start = \"-4m\""),
            vec!["scenario.toml:", "cannot be negative"],
        ),
        (
            "bare-number-duration",
            skeleton_text().replace("timeout = \"2s\"", "timeout = 2"),
            vec!["scenario.toml:", "bare number 2", "add a unit"],
        ),
        (
            "unknown-region",
            skeleton_text().replace("name = \"us-west-2\"", "name = \"us-west-9\""),
            vec!["scenario.toml:", "region[1].name", "unknown Region \"us-west-9\"", "expected an AWS Region name"],
        ),
        (
            "undeclared-region",
            skeleton_text().replace("region = \"us-east-1\"\nstart", "region = \"eu-west-1\"\nstart"),
            vec!["scenario.toml:", "fault[0].region", "not declared", "expected one of the [[region]] names"],
        ),
        (
            "bad-distribution",
            skeleton_text().replace("jitter = \"exp(mean=1ms)\"", "jitter = \"exp(mena=1ms)\""),
            vec!["scenario.toml:", "unknown parameter \"mena\"", "expected"],
        ),
    ];
    for (name, text, needles) in cases {
        let (code, stderr, out) = run_text(name, &text);
        assert_eq!(code, 2, "{name}: exit code; stderr:\n{stderr}");
        for needle in needles {
            assert!(stderr.contains(needle), "{name}: stderr lacks {needle:?}:\n{stderr}");
        }
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        assert!(!out.exists(), "{name}: a failed run must write nothing");
    }
}

#[test]
fn all_validation_problems_are_reported_at_once() {
    let text = skeleton_text()
        .replace("rate = 200.0              # requests per second, Poisson", "rate = -5.0")
        .replace(
            "read_fraction = 0.5\nstore = \"carts\"\nkeys = { uniform = 8 }\ntimeout = \"2s\"\n\n[[fault]]",
            "read_fraction = 1.5\nstore = \"carts\"\nkeys = { uniform = 8 }\ntimeout = \"2s\"\n\n[[fault]]",
        )
        .replace("end = \"7m\"", "end = \"3m\"");
    let (code, stderr, _) = run_text("several", &text);
    assert_eq!(code, 2, "{stderr}");
    for needle in [
        "population[0].rate: found -5; expected a positive number",
        "population[1].read_fraction: found 1.5; expected a fraction between 0 and 1",
        "fault[0].end: found end 3m not after start 4m",
    ] {
        assert!(stderr.contains(needle), "stderr lacks {needle:?}:\n{stderr}");
    }
    assert_eq!(stderr.lines().filter(|l| l.starts_with("error: ")).count(), 3, "{stderr}");
}

#[test]
fn a_missing_file_is_an_input_error() {
    let o = mrsim(&["run", "/nonexistent/scenario.toml"]);
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("/nonexistent/scenario.toml") && stderr.contains("cannot read"), "{stderr}");
}

#[test]
fn a_bad_seed_is_an_input_error() {
    let o = mrsim(&["run", &skeleton(), "--seed", "0xnope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("expected a 64-bit number in hex"));
}

#[test]
fn exceeding_a_limit_names_seed_event_time_and_how_to_reproduce() {
    let text = skeleton_text().replace("metrics_interval = \"1s\"", "metrics_interval = \"1s\"\nmax_events = 1000");
    let (code, stderr, out) = run_text("limit", &text);
    assert_eq!(code, 1, "{stderr}");
    for needle in ["seed 0x2a", "exceeded max_events = 1000", "event #1000", "reproduce: mrsim run", "--seed 0x2a"] {
        assert!(stderr.contains(needle), "stderr lacks {needle:?}:\n{stderr}");
    }
    assert!(!out.exists());
}

#[test]
fn help_describes_every_command() {
    let o = mrsim(&["--help"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("run") && text.contains("bench"), "{text}");
    let o = mrsim(&["run", "--help"]);
    let text = String::from_utf8_lossy(&o.stdout);
    for flag in ["--seed", "--out", "--check-determinism", "summary.json", "timeseries.csv"] {
        assert!(text.contains(flag), "run --help lacks {flag}:\n{text}");
    }
}

fn world_text() -> String {
    std::fs::read_to_string(repo_root().join("experiments/scenarios/world.toml")).unwrap()
}

/// Runs world.toml edited by `edit`, from a copy of the scenarios folder so its trace resolves.
fn run_world_variant(name: &str, edit: impl Fn(String) -> String, trace: Option<&str>) -> (i32, String) {
    let dir = scratch(name);
    std::fs::create_dir_all(dir.join("traces")).unwrap();
    let checkout = repo_root().join("experiments/scenarios/traces/checkout.csv");
    let trace_text = trace.map_or_else(|| std::fs::read_to_string(checkout).unwrap(), str::to_string);
    std::fs::write(dir.join("traces/checkout.csv"), trace_text).unwrap();
    let file = dir.join("world.toml");
    std::fs::write(&file, edit(world_text())).unwrap();
    let out = dir.join("out");
    let o = mrsim(&["run", file.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(!out.exists() || o.status.success(), "{name}: a failed run must write nothing");
    (o.status.code().expect("exit code"), String::from_utf8_lossy(&o.stderr).to_string())
}

/// The world issue's bad inputs: each gets exit code 2 and a message naming the place.
#[test]
fn world_bad_input_is_named_with_its_place() {
    type Edit = Box<dyn Fn(String) -> String>;
    let cases: Vec<(&str, Edit, Option<&str>, Vec<&str>)> = vec![
        (
            "overlapping-skews",
            Box::new(|t: String| {
                t + "\n[[fault]]\ntype = \"clock_skew\"\nregion = \"us-west-2\"\noffset = \"-1s\"\nstart = \"2m\"\nend = \"3m\"\n"
            }),
            None,
            vec!["world.toml:", "fault[7]", "overlaps fault[1]", "contradict"],
        ),
        (
            "zipf-exponent",
            Box::new(|t: String| t.replacen("exponent = 1.1", "exponent = -2", 1)),
            None,
            vec!["world.toml:", "population[0].operation[0].keys", "exponent", "-2"],
        ),
        (
            "negative-rate",
            Box::new(|t: String| t.replacen("[\"0s\", 400.0]", "[\"0s\", -400.0]", 1)),
            None,
            vec!["world.toml:", "population[1].rate_profile", "-400"],
        ),
        (
            "unknown-region-in-partition",
            Box::new(|t: String| t.replace("side_a = [\"eu-west-1\"]", "side_a = [\"eu-west-7\"]")),
            None,
            vec!["world.toml:", "fault[0].side_a[0]", "\"eu-west-7\" is not declared"],
        ),
        (
            "unsorted-trace",
            Box::new(|t: String| t),
            Some("time,client,operation,store,key\n5s,a,read,carts,1\n2s,a,write,carts,1\n"),
            vec!["population[3].trace", "checkout.csv:3:1", "found 2s after 5s", "expected rows sorted by time"],
        ),
        (
            "malformed-trace",
            Box::new(|t: String| t),
            Some("time,client,operation,store,key\n1s,a,explode,carts,1\n"),
            vec!["population[3].trace", "checkout.csv:2:6", "column operation", "explode"],
        ),
        (
            "field-of-another-fault-type",
            Box::new(|t: String| t.replace("drift_ppm = 50", "drift_ppm = 50\nloss = 0.5")),
            None,
            vec!["fault[1].loss", "does not apply to a clock_skew fault"],
        ),
        (
            "probes-of-a-region-that-is-not-dark",
            Box::new(|t: String| {
                t.replace("scope = \"health_endpoint\"", "scope = \"health_endpoint\"\nprobes = \"refused\"")
            }),
            None,
            vec!["probes", "`probes` applies only with scope = \"region\""],
        ),
        (
            "scale-out-without-app-tier",
            Box::new(|t: String| {
                t.replace("app_tier = { servers = 10, queue_limit = 200, service_time = \"exp(mean=20ms)\" }", "")
            }),
            None,
            vec!["action[0].region", "has no app_tier to scale out"],
        ),
    ];
    for (name, edit, trace, needles) in cases {
        let (code, stderr) = run_world_variant(name, edit, trace);
        assert_eq!(code, 2, "{name}: exit code; stderr:\n{stderr}");
        for needle in needles {
            assert!(stderr.contains(needle), "{name}: stderr lacks {needle:?}:\n{stderr}");
        }
    }
}

/// `--history`: every operation has an invocation and one completion, in both files, and the
/// summary is the same as without it; a failed run leaves no history behind.
#[test]
fn history_records_every_operation_in_both_formats() {
    let dir = scratch("history");
    let o = mrsim(&["run", &skeleton(), "--history", "--out", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let jsonl = std::fs::read_to_string(dir.join("history.jsonl")).unwrap();
    let edn = std::fs::read_to_string(dir.join("history.edn")).unwrap();
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    let operations = summary["operations"]["started"].as_u64().unwrap();
    assert_eq!(jsonl.lines().count() as u64, 2 * operations);
    assert_eq!(edn.lines().count() as u64, 2 * operations);
    let count = |text: &str, needle: &str| text.lines().filter(|l| l.contains(needle)).count() as u64;
    assert_eq!(count(&jsonl, "\"type\":\"invoke\""), operations);
    let ok = count(&jsonl, "\"type\":\"ok\"");
    assert_eq!(ok, summary["operations"]["succeeded"].as_u64().unwrap());
    assert_eq!(count(&edn, ":type :ok,"), ok);
    for line in jsonl.lines().take(1000) {
        let v: serde_json::Value = serde_json::from_str(line).expect("each line is JSON");
        assert!(v["process"].is_u64() && v["time_ns"].is_u64() && v["key"].is_u64(), "{line}");
    }
    assert!(edn.lines().all(|l| l.starts_with("{:type :") && l.ends_with('}')));

    let plain = scratch("history-plain");
    mrsim(&["run", &skeleton(), "--out", plain.to_str().unwrap()]);
    assert_eq!(std::fs::read(plain.join("summary.json")).unwrap(), std::fs::read(dir.join("summary.json")).unwrap());

    let failed = scratch("history-failed");
    let text = skeleton_text().replace("metrics_interval = \"1s\"", "metrics_interval = \"1s\"\nmax_events = 1000");
    let file = failed.join("scenario.toml");
    std::fs::write(&file, text).unwrap();
    let out = failed.join("out");
    let o = mrsim(&["run", file.to_str().unwrap(), "--history", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let left: Vec<_> = std::fs::read_dir(&out).map(|d| d.map(|e| e.unwrap().file_name()).collect()).unwrap_or_default();
    assert!(left.is_empty(), "a failed run leaves {left:?}");
}

fn scenario_text(name: &str) -> String {
    std::fs::read_to_string(repo_root().join(format!("experiments/scenarios/{name}.toml"))).unwrap()
}

/// The data tier's bad configurations, each named with its place and what was expected.
#[test]
fn data_tier_bad_input_is_named_with_its_place() {
    let cases: Vec<(&str, String, Vec<&str>)> = vec![
        (
            "mrsc-across-region-sets",
            scenario_text("mrsc").replace("name = \"us-east-2\"", "name = \"eu-west-1\"").replace(
                "regions = [\"us-east-1\", \"us-east-2\", \"us-west-2\"]\n\n[[store]]\nname = \"ledger-mrec\"",
                "regions = [\"us-east-1\", \"eu-west-1\", \"us-west-2\"]\n\n[[store]]\nname = \"ledger-mrec\"",
            ),
            vec!["store[0]", "different MRSC Region sets"],
        ),
        (
            "mrsc-two-regions-without-witness",
            scenario_text("mrsc").replacen(
                "regions = [\"us-east-1\", \"us-east-2\", \"us-west-2\"]",
                "regions = [\"us-east-1\", \"us-west-2\"]",
                1,
            ),
            vec!["store[0]", "MRSC needs exactly three Regions, or two plus a witness"],
        ),
        (
            "eleven-aurora-secondaries",
            {
                let regions = [
                    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "sa-east-1", "eu-west-1",
                    "eu-west-2", "eu-central-1", "ap-northeast-1", "ap-southeast-1", "ap-southeast-2",
                ];
                let mut t = String::from("[scenario]\nname = \"x\"\nduration = \"1m\"\n");
                for r in regions {
                    t.push_str(&format!("[[region]]\nname = \"{r}\"\n"));
                }
                let secondaries: Vec<String> = regions[1..].iter().map(|r| format!("\"{r}\"")).collect();
                t.push_str(&format!(
                    "[network]\njitter = \"1ms\"\n[[network.link]]\nfrom = \"us-east-1\"\nto = \"us-east-2\"\nlatency = \"5ms\"\n[[store]]\nname = \"db\"\ntype = \"aurora_global_database\"\nwriter = \"us-east-1\"\nsecondaries = [{}]\n",
                    secondaries.join(", ")
                ));
                t
            },
            vec!["store[0]", "found 11 secondary Regions; expected at most 10"],
        ),
        (
            "quorum-larger-than-n",
            scenario_text("mrsc").replacen(
                "type = \"dynamodb_global_table\"\nmulti_region_consistency = \"STRONG\"\nregions = [\"us-east-1\", \"us-east-2\", \"us-west-2\"]",
                "type = \"quorum\"\nregions = [\"us-east-1\", \"us-east-2\", \"us-west-2\"]\nwrite_quorum = 4",
                1,
            ),
            vec!["store[0]", "write_quorum is 4; expected 1 to 3"],
        ),
        (
            "channel-with-unknown-region",
            scenario_text("aurora").replace("secondaries = [\"us-west-2\", \"eu-west-1\"]", "secondaries = [\"us-west-2\", \"eu-west-9\"]"),
            vec!["store[0].secondaries[1]", "\"eu-west-9\" is not declared"],
        ),
        (
            "failover-without-allow-data-loss",
            scenario_text("aurora").replace("allow_data_loss = true\n", ""),
            vec!["action[1]", "expected allow_data_loss = true"],
        ),
        (
            "field-of-another-store-type",
            scenario_text("aurora").replace("write_forwarding = \"SESSION\"", "write_forwarding = \"SESSION\"\nrtc = true"),
            vec!["store[0].rtc", "does not apply to a aurora_global_database store"],
        ),
    ];
    for (name, text, needles) in cases {
        let (code, stderr, out) = run_text(name, &text);
        assert_eq!(code, 2, "{name}: exit code; stderr:\n{stderr}");
        for needle in needles {
            assert!(stderr.contains(needle), "{name}: stderr lacks {needle:?}:\n{stderr}");
        }
        assert!(!out.exists(), "{name}: a failed run must write nothing");
    }
}

/// A scenario's text with `regions` declared and one table over all of them (MREC, or MRSC with
/// `extra` such as a witness), for the Region tests below.
fn regions_text(regions: &[&str], store: &str) -> String {
    let mut t = String::from("[scenario]\nname = \"regions\"\nduration = \"30s\"\nseed = \"0x2a\"\n");
    for r in regions {
        t.push_str(&format!("[[region]]\nname = \"{r}\"\n"));
    }
    t.push_str(store);
    t.push_str(&format!(
        "[[population]]\nname = \"p\"\nregion = \"{}\"\naccess_latency = \"5ms\"\nrate = 20\nstore = \"t\"\nread_fraction = 0.5\nkeys = {{ uniform = 100 }}\n",
        regions[0]
    ));
    t
}

fn validate_text(name: &str, text: &str) -> Output {
    let dir = scratch(name);
    let file = dir.join("scenario.toml");
    std::fs::write(&file, text).unwrap();
    mrsim(&["validate", file.to_str().unwrap()])
}

/// The hardening issue: us-east-1 with us-west-1, or with eu-west-2, had no round trip and was
/// refused; every pair of known Regions now has one, and `explain` says when it is estimated.
#[test]
fn a_scenario_naming_us_east_1_and_us_west_1_validates_and_runs() {
    let store = "[[store]]\nname = \"t\"\ntype = \"dynamodb_global_table\"\nregions = [\"us-east-1\", \"us-west-1\", \"eu-west-2\"]\n";
    let text = regions_text(&["us-east-1", "us-west-1", "eu-west-2"], store);
    let o = validate_text("us-west-1-validates", &text);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "stderr:\n{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout.contains("valid (3 Regions, 1 store"), "{stdout}");
    let (code, stderr, out) = run_text("us-west-1-runs", &text);
    assert_eq!(code, 0, "stderr:\n{stderr}");
    assert!(out.join("summary.json").exists());
    let file = scratch("us-west-1-runs").join("scenario.toml");
    std::fs::write(&file, &text).unwrap();
    let explained = String::from_utf8_lossy(&mrsim(&["explain", file.to_str().unwrap()]).stdout).to_string();
    assert!(
        explained.contains("link.us-west-1 = \"32ms + exp(mean=1ms)\"  # default: half the round trip, rtt 64 ms (estimated from great-circle distance)"),
        "{explained}"
    );
}

/// MRSC's Region-set rule is reported once per store, at the store, whatever breaks it: three
/// replicas across sets, a witness in another set, a Region in no set.
#[test]
fn mrsc_region_set_error_is_printed_once() {
    let mrsc = |regions: &str, witness: &str| {
        format!(
            "[[store]]\nname = \"t\"\ntype = \"dynamodb_global_table\"\nmulti_region_consistency = \"STRONG\"\nregions = [{regions}]\n{witness}"
        )
    };
    let cases = [
        (
            "three-across-sets",
            vec!["us-east-1", "eu-west-1", "us-west-2"],
            mrsc("\"us-east-1\", \"eu-west-1\", \"us-west-2\"", ""),
            "in different MRSC Region sets",
        ),
        (
            "witness-across-sets",
            vec!["us-east-1", "us-west-2", "eu-west-1"],
            mrsc("\"us-east-1\", \"us-west-2\"", "witness = \"eu-west-1\"\n"),
            "in different MRSC Region sets",
        ),
        (
            "region-in-no-set",
            vec!["us-east-1", "us-west-1", "us-west-2"],
            mrsc("\"us-east-1\", \"us-west-1\", \"us-west-2\"", ""),
            "us-west-1 is not in any MRSC Region set",
        ),
    ];
    for (name, regions, store, needle) in cases {
        let o = validate_text(name, &regions_text(&regions, &store));
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{name}: {stderr}");
        assert_eq!(stderr.matches(needle).count(), 1, "{name}: once:\n{stderr}");
        assert_eq!(
            stderr.matches("expected one of: US us-east-1").count()
                + stderr.matches("expected all three in one set").count(),
            1,
            "{name}: the sets are listed once:\n{stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{name}: nothing else is wrong:\n{stderr}");
    }
}

/// The skeleton with a routing tier: a failover name with a probing and a routing-control health
/// check, an accelerator with two endpoint groups, an alarm and an action waiting for it.
fn routing_text() -> String {
    skeleton_text()
        + r#"
[route53]
ttl = "60s"
routing_policy = "failover"

[[route53.health_check]]
name = "use1"
region = "us-east-1"
request_interval = "10s"
failure_threshold = 3

[[route53.health_check]]
name = "usw2-cell"
region = "us-west-2"
routing_control = "usw2-cell"

[[route53.record]]
region = "us-east-1"
failover = "PRIMARY"
health_check = "use1"

[[route53.record]]
region = "us-west-2"
failover = "SECONDARY"

[global_accelerator]

[[global_accelerator.endpoint_group]]
region = "us-east-1"
traffic_dial_percentage = 100

[[global_accelerator.endpoint_group]]
region = "us-west-2"

[[routing_control]]
name = "usw2-cell"

[[alarm]]
name = "use1-errors"
metric = "error_rate"
region = "us-east-1"
evaluation_periods = 3
datapoints_to_alarm = 3
threshold = 0.05
comparison_operator = "GreaterThanThreshold"

[[action]]
type = "traffic_dial"
region = "us-east-1"
traffic_dial_percentage = 0
when = { alarm = "use1-errors" }
reaction_time = "2m"
"#
}

/// `scenario.toml:LINE:COLUMN: ` of the value in the first `= value` of `text`.
fn place_of_value(text: &str, value: &str) -> String {
    let offset = text.find(&format!("= {value}")).unwrap_or_else(|| panic!("`= {value}` is in the scenario")) + 2;
    let line = text[..offset].matches('\n').count() + 1;
    let column = offset - text[..offset].rfind('\n').map_or(0, |n| n + 1) + 1;
    format!("scenario.toml:{line}:{column}: ")
}

/// The routing tier's bad inputs, as the routing issue names them and a few more: each exit code
/// 2, exactly one problem at its file:line:column with its TOML path, what was found and what was
/// expected, and nothing written.
#[test]
fn routing_bad_input_is_named_with_its_place() {
    let base = routing_text();
    let file = scratch("routing-valid").join("scenario.toml");
    std::fs::write(&file, &base).unwrap();
    let o = mrsim(&["validate", file.to_str().unwrap()]);
    assert!(o.status.success(), "the base is valid: {}", String::from_utf8_lossy(&o.stderr));
    // (name, edited text, the value the problem is reported at, what the message says)
    let cases: Vec<(&str, String, &str, Vec<&str>)> = vec![
        (
            "ttl-below-zero",
            base.replace("ttl = \"60s\"", "ttl = \"-1s\""),
            "\"-1s\"",
            vec!["route53.ttl: found -1s; expected a TTL of whole seconds from 0s"],
        ),
        (
            "failure-threshold-11",
            base.replace("failure_threshold = 3", "failure_threshold = 11"),
            "11\n",
            vec!["route53.health_check[0].failure_threshold: found 11; expected a failure threshold from 1 to 10"],
        ),
        (
            "dial-150",
            base.replace("traffic_dial_percentage = 100", "traffic_dial_percentage = 150"),
            "150\n",
            vec![
                "global_accelerator.endpoint_group[0].traffic_dial_percentage: found 150; \
                 expected a traffic dial percentage from 0 to 100",
            ],
        ),
        (
            "failover-without-secondary",
            base.replace("[[route53.record]]\nregion = \"us-west-2\"\nfailover = \"SECONDARY\"\n", ""),
            "\"failover\"\n",
            vec![
                "route53.record: found 1 PRIMARY and 0 SECONDARY records; expected exactly one failover = \"PRIMARY\"",
            ],
        ),
        (
            "record-in-unknown-region",
            base.replace(
                "region = \"us-west-2\"\nfailover = \"SECONDARY\"",
                "region = \"eu-west-1\"\nfailover = \"SECONDARY\"",
            ),
            "\"eu-west-1\"",
            vec![
                "route53.record[1].region: Region \"eu-west-1\" is not declared in this scenario; \
                 expected one of the [[region]] names: us-east-1, us-west-2",
            ],
        ),
        (
            "unknown-health-check",
            base.replace("health_check = \"use1\"", "health_check = \"use2\""),
            "\"use2\"",
            vec![
                "route53.record[0].health_check: health check \"use2\" is not declared; expected one of: use1, usw2-cell",
            ],
        ),
        (
            "request-interval-20s",
            base.replace("request_interval = \"10s\"", "request_interval = \"20s\""),
            "\"20s\"",
            vec!["route53.health_check[0].request_interval: found 20s; expected \"10s\" or \"30s\""],
        ),
        (
            "probing-field-on-routing-control",
            base.replace("routing_control = \"usw2-cell\"\n", "routing_control = \"usw2-cell\"\ncheckers = 8\n"),
            "8\n",
            vec![
                "route53.health_check[1].checkers: `checkers` does not apply to a health check backed by a routing \
                 control",
                "expected only name, region and routing_control",
            ],
        ),
        (
            "datapoints-above-evaluation-periods",
            base.replace("datapoints_to_alarm = 3", "datapoints_to_alarm = 5"),
            "5\n",
            vec!["alarm[0].datapoints_to_alarm: datapoints_to_alarm is 5; expected 1 to 3 (evaluation_periods)"],
        ),
        (
            "action-with-at-and-when",
            base.replace("reaction_time = \"2m\"", "reaction_time = \"2m\"\nat = \"5m\""),
            "{ alarm",
            vec!["action[0]: found both at and when; expected one of them"],
        ),
        (
            "entry-without-its-section",
            base.replace("[global_accelerator]\n", "")
                .replace(
                    "[[global_accelerator.endpoint_group]]\nregion = \"us-east-1\"\ntraffic_dial_percentage = 100\n\n\
                 [[global_accelerator.endpoint_group]]\nregion = \"us-west-2\"\n",
                    "",
                )
                .replace(
                    "type = \"traffic_dial\"\nregion = \"us-east-1\"\ntraffic_dial_percentage = 0",
                    "type = \"repin\"\nfrom = \"us-east-1\"\nto = \"us-west-2\"",
                )
                .replacen("keys = { uniform = 8 }\n", "keys = { uniform = 8 }\nentry = \"global_accelerator\"\n", 1),
            "\"global_accelerator\"",
            vec!["population[0].entry: entry = \"global_accelerator\" needs a [global_accelerator] section"],
        ),
    ];
    for (name, text, at, needles) in cases {
        assert_ne!(text, base, "{name}: the edit applies");
        let (code, stderr, out) = run_text(name, &text);
        assert_eq!(code, 2, "{name}: exit code; stderr:\n{stderr}");
        let place = place_of_value(&text, at);
        assert!(stderr.contains(&place), "{name}: stderr lacks the place {place:?}:\n{stderr}");
        for needle in needles {
            assert!(stderr.contains(needle), "{name}: stderr lacks {needle:?}:\n{stderr}");
        }
        assert_eq!(stderr.lines().filter(|l| l.starts_with("error: ")).count(), 1, "{name}: one problem:\n{stderr}");
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        assert!(!out.exists(), "{name}: a failed run must write nothing");
    }
}

/// `list_conflicts = true` adds conflicts.csv to the folder (and to the manifest); its rows agree
/// with the summary (as many `lost_last_writer_wins` rows as writes lost to last-writer-wins, every
/// dropped acknowledged write once) and are sorted by the time the conflict showed. Without the
/// key, there is no file.
#[test]
fn list_conflicts_writes_conflicts_csv_that_agrees_with_the_summary() {
    let text = skeleton_text().replace("[scenario]\n", "[scenario]\nlist_conflicts = true\n");
    let (code, stderr, out) = run_text("list-conflicts", &text);
    assert_eq!(code, 0, "{stderr}");
    let csv = std::fs::read_to_string(out.join("conflicts.csv")).expect("conflicts.csv is written");
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(manifest.contains("conflicts.csv"), "the manifest lists it");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(
            "store,key,write,region,stamp_s,acked_s,dropped_at_s,dropped_in,winner_write,winner_region,\
             winner_stamp_s,outcome"
        )
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let writes = &summary["writes"];
    let lost = rows.iter().filter(|r| r[11] == "lost_last_writer_wins").count() as u64;
    assert_eq!(Some(lost), writes["lost_last_writer_wins"].as_u64(), "{writes}");
    let dropped_acked = rows.iter().filter(|r| !r[5].is_empty() && !r[6].is_empty()).count() as u64;
    assert_eq!(Some(dropped_acked), writes["discarded_by_last_writer_wins"].as_u64(), "{writes}");
    let seen = |r: &Vec<&str>| -> f64 { if r[6].is_empty() { r[5] } else { r[6] }.parse().unwrap() };
    assert!(rows.windows(2).all(|w| seen(&w[0]) <= seen(&w[1])), "sorted by the time the conflict showed");
    for r in &rows {
        if !r[6].is_empty() {
            assert_ne!(r[2], r[8], "a write is never dropped for itself");
            let (own, winner): (f64, f64) = (r[4].parse().unwrap(), r[10].parse().unwrap());
            assert!(own < winner || (own == winner && r[3] != r[9]), "the winner has the later stamp: {r:?}");
        }
    }
    let (_, _, plain) = run_text("no-list-conflicts", &skeleton_text());
    assert!(!plain.join("conflicts.csv").exists());
}

fn scenario_path(name: &str) -> String {
    repo_root().join(format!("experiments/scenarios/{name}.toml")).display().to_string()
}

/// An include fragment given to validate, run or explain is called one, with the shipped scenarios
/// that include it, rather than "missing field `name`".
#[test]
fn an_include_fragment_is_named_as_one_with_the_scenarios_that_include_it() {
    let common = scenario_path("failover/common");
    for args in
        [vec!["validate", &common], vec!["explain", &common], vec!["run", &common, "--set", "scenario.duration=1m"]]
    {
        let o = mrsim(&args);
        let stderr = String::from_utf8_lossy(&o.stderr).to_string();
        assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
        for needle in [
            "common.toml: scenario.name: `[scenario]` has no `name`, so this looks like an include fragment",
            "validate or run a scenario that includes it: ",
            "failover/cloudfront-1s.toml, ",
            "failover/route53-ttl60.toml;",
        ] {
            assert!(stderr.contains(needle), "{args:?}: stderr lacks {needle:?}:\n{stderr}");
        }
        assert!(!stderr.contains("missing field"), "{stderr}");
        assert!(!stderr.contains("failover/common.toml,"), "a fragment does not include itself: {stderr}");
    }
    // A fragment nothing in its folder includes, and a file with no [scenario] table at all.
    let dir = scratch("fragment-alone");
    let file = dir.join("regions.toml");
    std::fs::write(&file, "[[region]]\nname = \"us-east-1\"\n").unwrap();
    let o = mrsim(&["validate", file.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("there is no `[scenario]` table, so this looks like an include fragment"), "{stderr}");
    assert!(
        stderr.contains("validate or run a scenario that includes it (`include = [\"regions.toml\"]`)"),
        "{stderr}"
    );
    // A scenario with a name is not a fragment: its own problems are reported as before.
    let (code, stderr, _) = run_text("named-bad", &skeleton_text().replace("duration = \"10m\"", "duration = \"0s\""));
    assert_eq!(code, 2);
    assert!(stderr.contains("scenario.duration: found 0s") && !stderr.contains("fragment"), "{stderr}");
}

/// A fault that ends after the fault phase is run, cut there, with a warning on stderr (naming the
/// line that wrote the end) and in the terminal summary; a fault inside the phase gets none.
#[test]
fn a_fault_cut_by_the_end_of_the_fault_phase_is_warned_about() {
    let dir = scratch("cut-fault");
    let out = dir.join("out");
    let o = mrsim(&["run", &skeleton(), "--set", "scenario.duration=5m", "--out", out.to_str().unwrap()]);
    let (stdout, stderr) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success(), "{stderr}");
    let warning =
        "fault[0].end: 7m is after the end of the fault phase at 5m (scenario.duration): the fault is cut there";
    assert!(stderr.starts_with("warning: ") && stderr.contains(warning), "{stderr}");
    assert!(stderr.contains("(written at ") && stderr.contains("skeleton.toml:59:1)"), "{stderr}");
    assert!(stdout.contains(&format!("  warning         {warning}\n")), "{stdout}");
    assert!(
        stdout.contains("from 240s, cut at 300s when the fault phase ended (scheduled to end at 420s)"),
        "{stdout}"
    );
    assert!(!stdout.contains("healed at 300s"), "{stdout}");
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains(&format!("**Warning:** {warning}.")), "{md}");
    assert!(!md.contains("written at"), "summary.md names no paths: {md}");

    let v = mrsim(&["validate", &skeleton()]);
    assert!(v.status.success() && v.stderr.is_empty(), "{}", String::from_utf8_lossy(&v.stderr));
    let short = dir.join("short.toml");
    std::fs::write(&short, skeleton_text().replace("duration = \"10m\"", "duration = \"5m\"")).unwrap();
    let v = mrsim(&["validate", short.to_str().unwrap()]);
    assert!(v.status.success());
    let stderr = String::from_utf8_lossy(&v.stderr);
    assert!(stderr.contains("short.toml:59:7: fault[0].end: 7m is after the end of the fault phase at 5m"), "{stderr}");
}

/// One misspelt Region in a store's list is one error: the checks that count the list (at least
/// two replicas, MRSC's three Regions, a quorum's members) would count a list the file does not hold.
#[test]
fn a_misspelt_store_region_does_not_cascade_into_counts() {
    let cases: Vec<(&str, String, &str, &[&str])> = vec![
        (
            "mrec-misspelt",
            skeleton_text().replacen("regions = [\"us-east-1\", \"us-west-2\"]", "regions = [\"us-east-1\", \"us-west-9\"]", 1),
            "store[0].regions[1]: Region \"us-west-9\" is not declared",
            &["Region(s)", "expected at least 2"],
        ),
        (
            "mrsc-misspelt",
            scenario_text("mrsc").replacen(
                "regions = [\"us-east-1\", \"us-east-2\", \"us-west-2\"]",
                "regions = [\"us-east-1\", \"us-east-2\", \"us-west-9\"]",
                1,
            ),
            "store[0].regions[2]: Region \"us-west-9\" is not declared",
            &["MRSC needs", "Region set"],
        ),
        (
            "quorum-misspelt",
            scenario_text("mrsc").replacen(
                "type = \"dynamodb_global_table\"\nmulti_region_consistency = \"STRONG\"\nregions = [\"us-east-1\", \"us-east-2\", \"us-west-2\"]",
                "type = \"quorum\"\nregions = [\"us-east-1\", \"us-east-2\", \"us-west-9\"]\nwrite_quorum = 3",
                1,
            ),
            "store[0].regions[2]: Region \"us-west-9\" is not declared",
            &["write_quorum is 3"],
        ),
    ];
    for (name, text, wanted, unwanted) in cases {
        let (code, stderr, _) = run_text(name, &text);
        assert_eq!(code, 2, "{name}: {stderr}");
        assert!(stderr.contains(wanted), "{name}: stderr lacks {wanted:?}:\n{stderr}");
        for u in unwanted {
            assert!(!stderr.contains(u), "{name}: a cascading {u:?}:\n{stderr}");
        }
        assert_eq!(stderr.lines().filter(|l| l.starts_with("error: ")).count(), 1, "{name}: {stderr}");
    }
}

/// Counts of one are singular in what validate, run and plot print.
#[test]
fn counts_of_one_are_singular() {
    let v = mrsim(&["validate", &skeleton()]);
    let text = String::from_utf8_lossy(&v.stdout);
    assert!(text.contains(": valid (2 Regions, 1 store, 2 populations, 1 fault, 0 actions)\n"), "{text}");
    assert!(text.ends_with("metrics intervals, 5.3 MiB of memory at most\n"), "{text}");
}

/// `mrsim bench model`'s bad input exits 2 naming the problem, before anything is measured.
#[test]
fn bench_model_bad_input_is_named() {
    let o = mrsim(&["bench", "model", "--sweep-seeds", "0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--sweep-seeds must be positive"));
    let o = mrsim(&["bench", "model", "--scenario", "/nonexistent/model.toml"]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(e.contains("/nonexistent/model.toml is not a file") && e.contains("--scenario"), "{e}");
    let help = mrsim(&["bench", "model", "--help"]);
    let h = String::from_utf8_lossy(&help.stdout).to_string();
    assert!(h.contains("peak heap") && h.contains("experiments/scenarios/bench/model.toml"), "{h}");
}

/// Every file under `dir`, relative to it, sorted.
fn files_in(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for item in std::fs::read_dir(&d).unwrap() {
            let path = item.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.push(path.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    found.sort();
    found
}

/// Whether run folder `dir` is whole: its manifest lists exactly the other files in it, each with
/// its size and hash. Returns the names listed.
fn assert_whole_run_folder(dir: &Path) -> Vec<String> {
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).expect("a manifest");
    let mut listed = Vec::new();
    for f in manifest["files"].as_array().unwrap() {
        let name = f["name"].as_str().unwrap().to_string();
        let bytes = std::fs::read(dir.join(&name)).unwrap_or_else(|e| panic!("{name} listed, but: {e}"));
        assert_eq!(f["bytes"].as_u64(), Some(bytes.len() as u64), "{name}");
        assert_eq!(f["fnv1a64"].as_str().unwrap(), format!("{:#018x}", sim_core::rng::fnv1a64(&bytes)), "{name}");
        listed.push(name);
    }
    listed.push("manifest.json".to_string());
    listed.sort();
    assert_eq!(files_in(dir), listed, "{}: every file listed, and only those", dir.display());
    listed
}

/// A rerun into a folder holding an earlier run's history and figures replaces the folder whole:
/// no file of the earlier run is left beside the new ones, and the manifest lists every file of
/// the folder, history and figures included, each with its hash.
#[test]
fn a_rerun_replaces_the_folder_whole_and_the_manifest_lists_every_file() {
    let dir = scratch("rerun-whole");
    let out = dir.join("out");
    let o = mrsim(&["run", &skeleton(), "--history", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let o = mrsim(&["plot", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let first = assert_whole_run_folder(&out);
    assert!(first.contains(&"history.edn".to_string()) && first.contains(&"plots/latency-cdf.png".to_string()));
    let o = mrsim(&["run", &skeleton(), "--seed", "7", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let second = assert_whole_run_folder(&out);
    assert!(second.iter().all(|f| !f.starts_with("history") && !f.ends_with(".png")), "{second:?}");
    assert_eq!(files_in(&dir).iter().filter(|f| !f.starts_with("out/")).count(), 0, "nothing left beside it");
    let hidden: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(hidden, vec![std::ffi::OsString::from("out")], "no staging folder left");
}

/// A folder holding a file mrsim did not write there is refused before any work (exit 2), by run,
/// check and compare alike, and left untouched: replacing it whole would delete that file.
#[test]
fn a_folder_holding_foreign_files_is_refused_and_left_untouched() {
    let dir = scratch("foreign-files");
    let checked_scenario = scratch("foreign-files-scenario").join("expects.toml");
    let expect = "\n[[expect]]\nmetric = \"reads.stale_fraction\"\nat_most = 1.0\n";
    std::fs::write(&checked_scenario, skeleton_text() + expect).unwrap();
    let expects = checked_scenario.display().to_string();
    std::fs::write(dir.join("notes.txt"), b"mine").unwrap();
    let out = dir.display().to_string();
    let cases: [&[&str]; 3] = [
        &["run", &skeleton(), "--out", &out],
        &["check", &expects, "--seeds", "1", "--out", &out],
        &["compare", &skeleton(), &skeleton(), "--seeds", "1", "--out", &out],
    ];
    for args in cases {
        let o = mrsim(args);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("it holds notes.txt"), "{args:?}: {stderr}");
        assert_eq!(files_in(&dir), vec!["notes.txt".to_string()], "{args:?}");
    }
    // A check folder is replaced by the next check, and refused to a run (it has no manifest).
    let checked = dir.join("checked");
    let checked_out = checked.display().to_string();
    for _ in 0..2 {
        let o = mrsim(&["check", &expects, "--seeds", "1", "--out", &checked_out]);
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert_eq!(files_in(&checked), vec!["check.csv".to_string(), "check.json".to_string()]);
    let o = mrsim(&["run", &skeleton(), "--out", &checked_out]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no manifest.json of an mrsim run"));
}

/// `kill -9` at any moment of a rerun (simulating, streaming the history, writing, swapping)
/// leaves the folder whole: the old run's or the new one's, or (between the swap's two renames)
/// absent; what the killed run left aside is removed by the next run into the folder.
#[test]
fn a_kill_at_any_moment_leaves_a_whole_folder() {
    let dir = scratch("kill");
    let out = dir.join("out");
    let out_arg = out.to_str().unwrap().to_string();
    let o = mrsim(&["run", &skeleton(), "--out", &out_arg]);
    assert_eq!(o.status.code(), Some(0));
    let mut states = std::collections::BTreeSet::new();
    for delay_ms in [0u64, 5, 20, 50, 100, 200, 300, 450, 700, 1000] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mrsim"))
            .args(["run", &skeleton(), "--history", "--seed", "9", "--out", &out_arg])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let status = child.wait().unwrap();
        if out.exists() {
            let listed = assert_whole_run_folder(&out);
            states.insert(if listed.contains(&"history.edn".to_string()) { "new" } else { "old" });
        } else {
            states.insert("absent");
        }
        if status.success() {
            // Finished before the kill: start again from the old run's folder.
            let o = mrsim(&["run", &skeleton(), "--out", &out_arg]);
            assert_eq!(o.status.code(), Some(0));
        }
    }
    assert!(states.contains("old"), "some kill landed before the swap: {states:?}");
    let o = mrsim(&["run", &skeleton(), "--out", &out_arg]);
    assert_eq!(o.status.code(), Some(0));
    assert_whole_run_folder(&out);
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, vec![std::ffi::OsString::from("out")], "leftovers of killed runs are removed");
}

/// A run estimated over the cost limits is refused by every command before it runs, naming the key
/// that drives it; `--no-cost-limit` lets it through. A file of many copies of one mistake prints
/// its first 50 problems and counts the rest.
#[test]
fn a_runaway_is_refused_unless_the_cost_limit_is_lifted_and_problems_are_capped() {
    let text = skeleton_text().replace("metrics_interval = \"1s\"", "metrics_interval = \"1ns\"");
    let (code, stderr, out) = run_text("cost-limit", &text);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("change scenario.metrics_interval (or pass --no-cost-limit"), "{stderr}");
    assert!(!out.exists(), "nothing ran");
    let file = out.with_file_name("scenario.toml");
    let o = mrsim(&["validate", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let o = mrsim(&["validate", file.to_str().unwrap(), "--no-cost-limit"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("bytes of memory at most"));

    let duplicates = skeleton_text() + &"\n[[region]]\nname = \"us-east-1\"\n".repeat(60);
    std::fs::write(&file, duplicates).unwrap();
    let o = mrsim(&["validate", file.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr.lines().filter(|l| l.contains("is declared twice")).count(), 50, "{stderr}");
    assert!(stderr.trim_end().ends_with("and 10 more problems, not shown"), "{stderr}");
}
