//! The scenario parser under mutated input: every shipped scenario, cut, spliced, duplicated and
//! sprinkled with hostile tokens, must either parse or fail with a located message, never panic.
//! Every file it accepts is then estimated and, unless the estimate refuses it (as `mrsim run`
//! would), run under a small budget ([`RUN_EVENTS`] events): it must not panic, and its heap must
//! stay within what the estimate promised ([`within_estimate`]), so a file that validates but would
//! run away is caught by the estimate, not by the machine.
//! Cases: MRSIM_FUZZ_CASES (default 20 000); the runner's seed is fixed so a failure repeats.
//! The count tried is printed (run with --nocapture to see it).

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use experiments::scenario::cost;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};

// Counts the heap, so a run's peak can be held against its estimate.
#[global_allocator]
static HEAP: experiments::bench::heap::Counting = experiments::bench::heap::Counting;

/// Events an accepted file may fire: enough to build every component and run its first seconds.
const RUN_EVENTS: u64 = 20_000;

/// Whether a run's peak heap is within its estimate: the estimate counts the time series, the key
/// space and the requests in flight, not the fixed setup (tables, caches, the event queue's first
/// room), which a 64 MiB floor covers.
fn within_estimate(peak_bytes: usize, estimate: &cost::Estimate) -> bool {
    (peak_bytes as f64) <= estimate.memory_bytes + 64.0 * 1024.0 * 1024.0
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("experiments/ sits in the workspace").to_path_buf()
}

/// Every shipped scenario and include fragment, with its path (includes resolve from it).
fn corpus() -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    let mut stack = vec![repo_root().join("experiments/scenarios")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "toml") {
                files.push(p);
            }
        }
    }
    files.sort();
    files.into_iter().map(|p| (p.clone(), std::fs::read_to_string(&p).unwrap())).collect()
}

/// Tokens that have broken parsers: signs, huge and odd numbers, units, quotes, brackets, table
/// headers, NaN, unicode, keys of the format in the wrong place.
const TOKENS: &[&str] = &[
    "-",
    "-1",
    "0",
    "1e309",
    "-0.0",
    "nan",
    "inf",
    "18446744073709551616",
    "-5s",
    "0s",
    "999999999h",
    "1ms",
    "\"",
    "'",
    "[",
    "]",
    "[[",
    "]]",
    "{",
    "}",
    "=",
    ",",
    "\n",
    "#",
    "[[region]]\n",
    "[[store]]\n",
    "[[fault]]\n",
    "[route53]\n",
    "[[population.operation]]\n",
    "type = \"partition\"\n",
    "region = \"mars-north-1\"\n",
    "lognormal(median=-1ms, sigma=0)",
    "uniform(5s, 1s)",
    "exp(mean=0s)",
    "zipf",
    "µs",
    "é",
    "\u{0}",
    "include = [\"missing.toml\"]\n",
    "include = [\"../../../../etc/passwd\"]\n",
    "true",
    "[]",
    "{ }",
];

#[derive(Clone, Debug)]
enum Mutation {
    Delete { at: usize, len: usize },
    Insert { at: usize, token: usize },
    DuplicateLine { line: usize },
    SwapLines { a: usize, b: usize },
    Truncate { at: usize },
    ReplaceNumber { nth: usize, token: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let t = 0..TOKENS.len();
    prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (any::<usize>(), t.clone()).prop_map(|(at, token)| Mutation::Insert { at, token }),
        any::<usize>().prop_map(|line| Mutation::DuplicateLine { line }),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines { a, b }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        (any::<usize>(), t).prop_map(|(nth, token)| Mutation::ReplaceNumber { nth, token }),
    ]
}

fn apply(text: &str, m: &Mutation) -> String {
    let bytes = text.as_bytes();
    let n = bytes.len().max(1);
    let mut out: Vec<u8> = match *m {
        Mutation::Delete { at, len } => {
            let at = at % n;
            let end = (at + len).min(bytes.len());
            [&bytes[..at.min(bytes.len())], &bytes[end..]].concat()
        }
        Mutation::Insert { at, token } => {
            let at = (at % n).min(bytes.len());
            [&bytes[..at], TOKENS[token].as_bytes(), &bytes[at..]].concat()
        }
        Mutation::Truncate { at } => bytes[..(at % n).min(bytes.len())].to_vec(),
        Mutation::DuplicateLine { line } | Mutation::SwapLines { a: line, .. } => {
            let mut lines: Vec<&str> = text.split('\n').collect();
            let i = line % lines.len();
            if let Mutation::SwapLines { b, .. } = *m {
                let j = b % lines.len();
                lines.swap(i, j);
            } else {
                lines.insert(i, lines[i]);
            }
            lines.join("\n").into_bytes()
        }
        Mutation::ReplaceNumber { nth, token } => {
            let digits: Vec<usize> = (0..bytes.len())
                .filter(|&i| bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_digit()))
                .collect();
            if digits.is_empty() {
                bytes.to_vec()
            } else {
                let start = digits[nth % digits.len()];
                let end = (start..bytes.len()).find(|&i| !bytes[i].is_ascii_digit()).unwrap_or(bytes.len());
                [&bytes[..start], TOKENS[token].as_bytes(), &bytes[end..]].concat()
            }
        }
    };
    // Cuts may split a multi-byte character; the parser takes text, so repair it as a reader would.
    out = String::from_utf8_lossy(&out).into_owned().into_bytes();
    String::from_utf8(out).expect("repaired above")
}

#[test]
fn mutated_scenarios_parse_or_fail_with_a_located_message_never_a_panic() {
    let corpus = corpus();
    assert!(corpus.len() >= 14, "{} scenario files", corpus.len());
    let cases = std::env::var("MRSIM_FUZZ_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(20_000);
    let config = Config { cases, failure_persistence: None, max_shrink_iters: 256, ..Config::default() };
    let mut runner = TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[9; 32]));
    let (tried, accepted, refused) = (Cell::new(0u64), Cell::new(0u64), Cell::new(0u64));
    let (ran, over_cost) = (Cell::new(0u64), Cell::new(0u64));
    let strategy = (0..corpus.len(), proptest::collection::vec(mutation(), 1..5));
    // The default hook would print every caught panic; the test reports them itself.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = runner.run(&strategy, |(file, mutations)| {
        tried.set(tried.get() + 1);
        let (path, original) = &corpus[file];
        let text = mutations.iter().fold(original.clone(), |t, m| apply(&t, m));
        let parsed = catch_unwind(AssertUnwindSafe(|| experiments::scenario::parse(path, &text)));
        match parsed {
            Err(_) => {
                Err(TestCaseError::fail(format!("the parser panicked on {} after {mutations:?}", path.display())))
            }
            Ok(Ok(scenario)) => {
                accepted.set(accepted.get() + 1);
                let estimate = cost::estimate(&scenario.world);
                if estimate.refusal().is_some() {
                    over_cost.set(over_cost.get() + 1);
                    return Ok(());
                }
                let mut world = scenario.world.clone();
                world.max_events = world.max_events.min(RUN_EVENTS);
                let seed = scenario.seed.unwrap_or(sim_core::Seed(0x2a));
                let (outcome, peak) = experiments::bench::heap::peak_during(|| {
                    catch_unwind(AssertUnwindSafe(|| models::run::run(&world, seed, sim_core::TraceMode::Off).is_ok()))
                });
                ran.set(ran.get() + 1);
                prop_assert!(outcome.is_ok(), "the run panicked on {} after {mutations:?}", path.display());
                let peak = peak.expect("the counting allocator is installed");
                prop_assert!(
                    within_estimate(peak, &estimate),
                    "{} after {mutations:?}: the run held {peak} bytes, beyond its estimate ({})",
                    path.display(),
                    estimate.line()
                );
                Ok(())
            }
            Ok(Err(e)) => {
                refused.set(refused.get() + 1);
                let message = e.to_string();
                prop_assert!(!e.problems.is_empty(), "an error with no problem in it");
                for p in &e.problems {
                    prop_assert!(!p.message.trim().is_empty(), "an empty message: {message}");
                    prop_assert!(
                        p.line_column.is_some() || !p.path.is_empty(),
                        "a problem with neither a line nor a path: {message}"
                    );
                }
                prop_assert!(message.contains(&path.display().to_string()), "the file is not named: {message}");
                Ok(())
            }
        }
    });
    std::panic::set_hook(hook);
    let (tried, accepted, refused) = (tried.get(), accepted.get(), refused.get());
    let (ran, over_cost) = (ran.get(), over_cost.get());
    println!(
        "fuzzed the scenario parser with {tried} mutated files: {accepted} accepted, {refused} refused with a located \
         error; of the accepted, {over_cost} refused by the cost estimate and {ran} run ({RUN_EVENTS} events at most)"
    );
    if let Err(e) = result {
        panic!("{e}");
    }
    assert_eq!(tried, u64::from(cases), "every case ran");
    assert!(refused > tried / 2, "most mutations must break the file: {refused} of {tried}");
    assert_eq!(ran + over_cost, accepted, "every accepted file was estimated, and run unless refused");
    assert!(ran > 0, "some accepted file ran");
}
