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

/// The same writes spread over more users: the scenario with `users` per population.
fn with_users(text: &str, users: u64) -> String {
    let mut table: toml::Table = text.parse().expect("the case is TOML");
    for p in table["population"].as_array_mut().expect("populations") {
        p.as_table_mut().unwrap().insert("users".into(), toml::Value::Integer(users as i64));
    }
    toml::to_string(&table).unwrap()
}

/// Conflicts are a property of writes, never of clients: over drawn partition schedules, workloads
/// and seeds, the same acknowledged writes spread over 1 user or over many per population give the
/// same conflicted, discarded and lost counts (and the same stale reads, which follow the writes and
/// replicas too). A case whose writes differ between the two (a session that changed what was sent)
/// is no test of the property and is rejected.
#[test]
fn conflict_counts_do_not_depend_on_the_number_of_users() {
    let path = repo_root().join("experiments/scenarios/conflicts-vs-users.toml");
    let text = std::fs::read_to_string(&path).expect("conflicts-vs-users.toml");
    let regions = vec!["us-east-1".to_string(), "us-west-2".to_string()];
    let strategy =
        (partition_schedule(regions, Duration::from_secs(60), 2), workload(2.0, 12), 2u64..2000, any::<u64>());
    let tested = std::cell::Cell::new(0u32);
    let result = runner().run(&strategy, |(schedule, load, users, seed)| {
        let one = Case::new(&path, &with_users(&text, 1), Some(&schedule), Some(&load), seed);
        let many = Case::new(&path, &with_users(&text, users), Some(&schedule), Some(&load), seed);
        let (one, many) = (one.map_err(TestCaseError::reject)?, many.map_err(TestCaseError::reject)?);
        let (a, b) = (one.run().map_err(TestCaseError::fail)?, many.run().map_err(TestCaseError::fail)?);
        prop_assume!(a.writes.acknowledged == b.writes.acknowledged && a.operations.started == b.operations.started);
        tested.set(tested.get() + 1);
        let counts = |s: &experiments::report::Summary| {
            (s.writes.conflicted, s.writes.discarded_by_last_writer_wins, s.writes.lost_last_writer_wins, s.reads.stale)
        };
        prop_assert_eq!(counts(&a), counts(&b), "1 user against {} users: {}", users, many.reproduce(cases_dir()));
        prop_assert!(a.writes.conflicted >= a.writes.discarded_by_last_writer_wins);
        prop_assert!(a.writes.discarded_by_last_writer_wins >= a.writes.lost_last_writer_wins);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    assert!(tested.get() > 0, "every drawn case was rejected: the property was never tested");
}
