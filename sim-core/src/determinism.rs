//! The determinism check: run a seed twice and report the first divergence.
//!
//! The caller supplies a closure that builds a fresh world and runs it with a given [`TraceMode`].
//! The check runs it twice with checkpoints (the running hash every `every` events). If the traces
//! agree, the runs were identical event for event. If not, the first checkpoint that differs bounds
//! the divergence to one window of `every` events, and two more runs capture that window in full,
//! so the report names the first event index at which the runs differ, its time in each run and
//! both events. Memory stays proportional to the number of checkpoints, not to the events.

use std::fmt;

use crate::engine::RunError;
use crate::time::SimTime;
use crate::trace::{EventRecord, TraceMode, TraceSummary};

/// Checkpoint spacing used by [`check_determinism`] unless the caller chooses another.
pub const DEFAULT_CHECKPOINT_EVERY: u64 = 4096;

/// Where two runs of the same seed first differ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence {
    /// The index of the first event that differs (or the first event one run has and the other
    /// does not).
    pub event_index: u64,
    pub first: Option<EventRecord>,
    pub second: Option<EventRecord>,
    /// False when the capture runs did not reproduce the difference (the nondeterminism is itself
    /// nondeterministic); the index is then the start of the window that differed.
    pub located: bool,
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let describe = |r: &Option<EventRecord>| match r {
            Some(r) => format!("at {}: {}", r.time, r.text),
            None => "no event (the run had already ended)".to_string(),
        };
        if self.located {
            write!(
                f,
                "runs diverge at event #{}\n  first run:  {}\n  second run: {}",
                self.event_index,
                describe(&self.first),
                describe(&self.second)
            )
        } else {
            write!(
                f,
                "runs diverge in the window starting at event #{}, but the capture runs did not reproduce it",
                self.event_index
            )
        }
    }
}

/// Why the determinism check failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeterminismError {
    /// A run did not finish within its limits.
    Run(RunError),
    Diverged(Divergence),
}

impl fmt::Display for DeterminismError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeterminismError::Run(e) => write!(f, "{e}"),
            DeterminismError::Diverged(d) => write!(f, "determinism check failed: {d}"),
        }
    }
}

impl std::error::Error for DeterminismError {}

impl From<RunError> for DeterminismError {
    fn from(e: RunError) -> Self {
        DeterminismError::Run(e)
    }
}

/// Runs `run` twice and compares the traces; on a difference, locates it with two capture runs.
/// Returns the first run's trace when both agree.
pub fn check_determinism<F>(every: u64, mut run: F) -> Result<TraceSummary, DeterminismError>
where
    F: FnMut(TraceMode) -> Result<TraceSummary, RunError>,
{
    let every = every.max(1);
    let mode = TraceMode::Checkpoints { every };
    let first = run(mode)?;
    let second = run(mode)?;
    if first.hash == second.hash && first.events == second.events && first.checkpoints == second.checkpoints {
        return Ok(first);
    }
    let window = first.checkpoints.iter().zip(&second.checkpoints).position(|(a, b)| a != b);
    let window_start = match window {
        Some(w) => w as u64 * every,
        // All shared checkpoints agree: the difference lies after the last of them.
        None => first.checkpoints.len().min(second.checkpoints.len()) as u64 * every,
    };
    let capture = TraceMode::Capture { from: window_start, to: window_start + every };
    let first_capture = run(capture)?.captured;
    let second_capture = run(capture)?.captured;
    Err(DeterminismError::Diverged(locate(window_start, &first_capture, &second_capture)))
}

fn locate(window_start: u64, first: &[EventRecord], second: &[EventRecord]) -> Divergence {
    let differs = |a: Option<&EventRecord>, b: Option<&EventRecord>| match (a, b) {
        (Some(a), Some(b)) => a.hash != b.hash || a.time != b.time,
        (None, None) => false,
        _ => true,
    };
    let longest = first.len().max(second.len());
    for i in 0..longest {
        let (a, b) = (first.get(i), second.get(i));
        if differs(a, b) {
            let index = a.or(b).map_or(window_start, |r| r.index);
            return Divergence { event_index: index, first: a.cloned(), second: b.cloned(), located: true };
        }
    }
    Divergence { event_index: window_start, first: None, second: None, located: false }
}

/// The time of the first event of a record, for callers that only need when it happened.
pub fn divergence_time(d: &Divergence) -> Option<SimTime> {
    d.first.as_ref().or(d.second.as_ref()).map(|r| r.time)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;
    use crate::engine::{Engine, Limits, Model, Outbox};
    use crate::rng::{Seed, Stream};
    use crate::time::SimDuration;

    #[derive(Hash, Debug)]
    enum Ev {
        Arrive { client: u32 },
    }

    /// Clients arrive at random gaps drawn from a seeded stream; optionally one gap is perturbed by
    /// a process-wide counter, which is exactly the kind of hidden state that breaks determinism.
    struct Arrivals {
        rng: Stream,
        remaining: u32,
        perturb_at: Option<u32>,
    }

    static RUNS: AtomicU64 = AtomicU64::new(0);

    impl Model for Arrivals {
        type Event = Ev;
        fn handle(&mut self, _now: SimTime, event: Ev, out: &mut Outbox<'_, Ev>) {
            let Ev::Arrive { client } = event;
            if self.remaining == 0 {
                return;
            }
            self.remaining -= 1;
            let mut gap = SimDuration::from_nanos(1 + self.rng.below(1_000_000));
            if self.perturb_at == Some(self.remaining) {
                // Hidden global state: differs between the first and second run of the check.
                gap += SimDuration::from_nanos(RUNS.fetch_add(1, Ordering::Relaxed) % 2);
            }
            out.schedule_in(gap, Ev::Arrive { client: client + 1 });
        }
    }

    fn run(seed: u64, perturb_at: Option<u32>, mode: TraceMode) -> Result<TraceSummary, RunError> {
        let mut engine = Engine::new(Seed(seed), Limits::default(), mode);
        engine.schedule_at(SimTime::ZERO, Ev::Arrive { client: 0 });
        let mut model = Arrivals { rng: Seed(seed).stream("arrivals"), remaining: 20_000, perturb_at };
        Ok(engine.run(&mut model)?.trace)
    }

    #[test]
    fn identical_runs_pass() {
        let summary = check_determinism(1000, |mode| run(3, None, mode)).expect("deterministic");
        assert_eq!(summary.events, 20_001);
        assert_eq!(summary.checkpoints.len(), 20);
        assert_ne!(run(4, None, TraceMode::Hash).unwrap().hash, summary.hash, "another seed, another trace");
    }

    #[test]
    fn a_deliberate_divergence_is_located_to_the_event() {
        // remaining counts down from 20 000; after the 12 345th arrival it is 7 655, so that
        // arrival's follow-up, event #12 345, is the first to differ.
        RUNS.store(0, Ordering::Relaxed);
        let err = check_determinism(1000, |mode| run(3, Some(7_655), mode)).expect_err("must diverge");
        let DeterminismError::Diverged(d) = err else { panic!("expected a divergence, got {err}") };
        assert!(d.located, "{d}");
        assert_eq!(d.event_index, 12_345, "{d}");
        let (a, b) = (d.first.clone().unwrap(), d.second.clone().unwrap());
        assert_ne!(a.time, b.time);
        assert_eq!(a.text, "Arrive { client: 12345 }");
        assert!(d.to_string().contains("runs diverge at event #12345"), "{d}");
    }

    #[test]
    fn a_divergence_in_the_number_of_events_is_found() {
        let mut calls = 0;
        let err = check_determinism(100, |mode| {
            calls += 1;
            let mut engine = Engine::new(Seed(1), Limits::default(), mode);
            engine.schedule_at(SimTime::ZERO, Ev::Arrive { client: 0 });
            // Odd calls stop after 250 events, even ones after 260.
            let remaining = if calls % 2 == 1 { 249 } else { 259 };
            let mut model = Arrivals { rng: Seed(1).stream("arrivals"), remaining, perturb_at: None };
            Ok(engine.run(&mut model)?.trace)
        })
        .expect_err("must diverge");
        let DeterminismError::Diverged(d) = err else { panic!("{err}") };
        // Both runs fire events #0..#249 alike; only the second has an event #250.
        assert_eq!(d.event_index, 250, "{d}");
        assert!(d.first.is_none() && d.second.is_some(), "{d}");
        assert!(d.to_string().contains("no event (the run had already ended)"), "{d}");
    }

    /// Ticks 1 ns apart, tick n carrying client n, except that from tick `at` on the clients are
    /// shifted by `shift`: the same times in every run, a different payload when `shift` differs.
    struct Relabel {
        remaining: u32,
        at: u32,
        shift: u32,
    }

    impl Model for Relabel {
        type Event = Ev;
        fn handle(&mut self, _now: SimTime, event: Ev, out: &mut Outbox<'_, Ev>) {
            let Ev::Arrive { client } = event;
            if self.remaining == 0 {
                return;
            }
            self.remaining -= 1;
            let next = if client + 1 == self.at { client + 1 + self.shift } else { client + 1 };
            out.schedule_in(SimDuration::from_nanos(1), Ev::Arrive { client: next });
        }
    }

    /// 250 ticks; odd calls shift the clients from tick `at` on by one, even calls do not.
    fn relabel_check(every: u64, at: u32) -> (String, Divergence) {
        let mut calls = 0;
        let err = check_determinism(every, |mode| {
            calls += 1;
            let mut engine = Engine::new(Seed(1), Limits::default(), mode);
            engine.schedule_at(SimTime::ZERO, Ev::Arrive { client: 0 });
            let mut model = Relabel { remaining: 249, at, shift: calls % 2 };
            Ok(engine.run(&mut model)?.trace)
        })
        .expect_err("must diverge");
        let text = err.to_string();
        let DeterminismError::Diverged(d) = err else { panic!("{text}") };
        (text, d)
    }

    /// A difference in the payload alone, at the same time, inside the first checkpoint window.
    #[test]
    fn a_divergence_in_the_payload_alone_is_located() {
        let (text, d) = relabel_check(100, 30);
        assert!(d.located, "{d}");
        assert_eq!(d.event_index, 30, "{d}");
        let (a, b) = (d.first.clone().unwrap(), d.second.clone().unwrap());
        assert_eq!((a.time, b.time), (SimTime::from_nanos(30), SimTime::from_nanos(30)));
        assert_eq!((a.text.as_str(), b.text.as_str()), ("Arrive { client: 31 }", "Arrive { client: 30 }"));
        assert_eq!(divergence_time(&d), Some(SimTime::from_nanos(30)));
        assert!(text.starts_with("determinism check failed: runs diverge at event #30\n"), "{text}");
    }

    /// Runs that agree at every checkpoint (after events #99 and #199) and in their number of
    /// events but differ after the last checkpoint: the final hash tells, and the window after the
    /// last checkpoint is captured.
    #[test]
    fn a_divergence_after_the_last_checkpoint_is_found() {
        let (_, d) = relabel_check(100, 230);
        assert!(d.located, "{d}");
        assert_eq!(d.event_index, 230, "{d}");
        assert_eq!(d.first.map(|r| r.text), Some("Arrive { client: 231 }".to_string()));
    }
}
