//! Determinism of whole runs through the library: a deliberately broken run is caught and located,
//! and runs on many threads at once give the same bytes as one run alone.

use std::path::Path;

use experiments::run::{Bundle, run_and_render, run_checked};
use experiments::scenario;
use models::config::{Arrivals, RateProfile};
use sim_core::{Seed, TraceMode};

fn skeleton() -> scenario::Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/skeleton.toml");
    let mut s = scenario::load(&path).expect("the skeleton scenario is valid");
    // A shorter fault phase keeps the test quick in debug builds; the outage (4m..7m) is cut to it.
    s.world.duration = sim_core::SimDuration::from_mins(5);
    s
}

/// The second run of the check sees a slightly different world (one population's rate), the kind
/// of hidden state that breaks determinism. The check must fail and name the first divergent event.
#[test]
fn a_deliberately_broken_run_is_detected_and_located() {
    let original = skeleton();
    let mut calls = 0;
    let err = run_checked(|mode| {
        calls += 1;
        let mut s = original.clone();
        if calls % 2 == 0 {
            if let Arrivals::Open(RateProfile::Constant(rate)) = &mut s.world.populations[1].arrivals {
                *rate *= 1.000_001;
            }
        }
        run_and_render(&s, Seed(0x2a), mode)
    })
    .expect_err("the runs differ");
    let message = err.to_string();
    assert_eq!(err.exit_code, 1);
    assert!(message.contains("determinism check failed: runs diverge at event #"), "{message}");
    assert!(message.contains("first run:") && message.contains("second run:"), "{message}");
    assert!(message.contains("OperationArrived"), "the divergent events are shown: {message}");
}

/// Output that differs while the events agree (a renderer reading hidden state) is caught too.
#[test]
fn output_bytes_are_compared_not_only_events() {
    let s = skeleton();
    let mut calls = 0;
    let err = run_checked(|mode| {
        calls += 1;
        let mut b = run_and_render(&s, Seed(7), mode)?;
        if calls == 2 {
            b.files[1].1.push(b'\n');
        }
        Ok(b)
    })
    .expect_err("the bytes differ");
    assert!(err.to_string().contains("timeseries.csv differs between the two runs"), "{err}");
}

#[test]
fn runs_on_many_threads_match_a_run_alone() {
    let s = skeleton();
    let alone: Bundle = run_and_render(&s, Seed(3), TraceMode::Hash).unwrap();
    let together: Vec<Bundle> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4).map(|_| scope.spawn(|| run_and_render(&s, Seed(3), TraceMode::Hash))).collect();
        handles.into_iter().map(|h| h.join().expect("no panic").expect("runs")).collect()
    });
    for b in together {
        assert_eq!(b.files, alone.files);
    }
}
