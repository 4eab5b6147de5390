//! The library as a team would use it in its own CI: property tests over drawn fault schedules and
//! workloads (experiments::strategies), each failure naming its seed and the `mrsim run` line that
//! replays it.
//!
//! "MRSC never loses an acknowledged write under any partition schedule" holds; the same property
//! for the MREC table beside it must be refuted, which shows the harness can fail at all.
//! Cases: MRSIM_PROPERTY_CASES (default 12); the runner's own seed is fixed, so CI is repeatable.

use std::path::{Path, PathBuf};
use std::time::Duration;

use experiments::strategies::{Case, partition_schedule, workload};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("experiments/ sits in the workspace").to_path_buf()
}

/// The shipped MRSC scenario (an MRSC and an MREC table over three Regions), shortened to 60
/// simulated seconds so a case runs in well under a second.
fn base() -> (PathBuf, String) {
    let path = repo_root().join("experiments/scenarios/mrsc.toml");
    let text = std::fs::read_to_string(&path).expect("mrsc.toml");
    let mut table: toml::Table = text.parse().expect("mrsc.toml is TOML");
    table["scenario"].as_table_mut().unwrap().insert("duration".into(), toml::Value::String("60s".into()));
    (path, toml::to_string(&table).unwrap())
}

fn regions() -> Vec<String> {
    ["us-east-1", "us-east-2", "us-west-2"].map(String::from).to_vec()
}

fn runner() -> TestRunner {
    let cases = std::env::var("MRSIM_PROPERTY_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(12);
    let config = Config { cases, max_shrink_iters: 64, failure_persistence: None, ..Config::default() };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[42; 32]))
}

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("property-cases")
}

/// Runs `store`'s property "no acknowledged write is lost" over drawn partition schedules,
/// workloads and seeds.
fn no_lost_writes(
    store: &str,
) -> Result<(), TestError<(experiments::strategies::FaultSchedule, experiments::strategies::Workload, u64)>> {
    let (path, text) = base();
    let strategy = (partition_schedule(regions(), Duration::from_secs(60), 3), workload(1.0, 50), any::<u64>());
    runner().run(&strategy, |(schedule, load, seed)| {
        let case = Case::new(&path, &text, Some(&schedule), Some(&load), seed).map_err(TestCaseError::fail)?;
        let summary = case.run().map_err(TestCaseError::fail)?;
        let row = summary.stores.iter().find(|s| s.name == store).expect("the store is in the summary");
        let lost = row.lost_last_writer_wins + row.lost_failover + row.lost_region_never_returned;
        prop_assert!(
            lost == 0,
            "{store} lost {lost} acknowledged write(s) of {}: {}",
            row.writes_acknowledged,
            case.reproduce(cases_dir())
        );
        Ok(())
    })
}

#[test]
fn mrsc_never_loses_an_acknowledged_write_under_any_partition_schedule() {
    if let Err(e) = no_lost_writes("ledger-mrsc") {
        panic!("{e}");
    }
}

#[test]
fn the_same_property_is_refuted_for_mrec_with_a_replayable_case() {
    let err = no_lost_writes("ledger-mrec").expect_err("MREC loses writes to last-writer-wins under partitions");
    let TestError::Fail(why, _) = err else { panic!("expected a failing case, got {err}") };
    let message = why.to_string();
    println!("the minimal failing case found: {message}");
    assert!(message.contains("ledger-mrec lost") && message.contains("replay: mrsim run "), "{message}");
    // The saved case is a valid scenario that `mrsim validate` accepts.
    let saved = message.split("replay: mrsim run ").nth(1).unwrap().split(" --seed").next().unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_mrsim")).args(["validate", saved]).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}
