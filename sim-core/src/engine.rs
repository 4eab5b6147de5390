//! The run loop.
//!
//! An [`Engine`] owns the clock, the event queue, the limits and the trace. A [`Model`] owns the
//! world: it receives each event with `now` and an [`Outbox`] to schedule follow-ups, and never holds
//! the engine, so any transition can be unit-tested by building an `Outbox` over a bare queue.
//!
//! Time jumps from event to event: an idle simulated hour costs nothing. The run ends when the queue
//! is empty or the model halts it. Every run has limits, and exceeding one ends the run with a
//! [`RunError`] naming the seed, the event index and the simulated time, never a hang.

use std::fmt::{self, Debug};
use std::hash::Hash;

use crate::queue::{EventId, EventQueue};
use crate::rng::Seed;
use crate::time::{SimDuration, SimTime};
use crate::trace::{TraceMode, TraceRecorder, TraceSummary};

/// The world a run simulates.
pub trait Model {
    /// The closed set of things that can happen. `Hash` feeds the trace, `Debug` the divergence
    /// report.
    type Event: Hash + Debug;

    /// Handles one event at `now`, scheduling follow-ups through `out`.
    fn handle(&mut self, now: SimTime, event: Self::Event, out: &mut Outbox<'_, Self::Event>);
}

/// Where a handler schedules events. It borrows the queue for one handler call.
pub struct Outbox<'q, E> {
    now: SimTime,
    queue: &'q mut EventQueue<E>,
    halted: bool,
}

impl<'q, E> Outbox<'q, E> {
    /// An outbox at `now` over `queue`: what the engine hands a handler, and what a unit test
    /// builds to drive a model by hand.
    pub fn new(now: SimTime, queue: &'q mut EventQueue<E>) -> Self {
        Outbox { now, queue, halted: false }
    }
    pub fn now(&self) -> SimTime {
        self.now
    }
    /// Schedules `event` at `time`, which must not be in the past.
    pub fn schedule_at(&mut self, time: SimTime, event: E) -> EventId {
        assert!(time >= self.now, "an event was scheduled in the past: at {time} while now is {}", self.now);
        self.queue.push(time, event)
    }
    /// Schedules `event` after `delay` from now.
    pub fn schedule_in(&mut self, delay: SimDuration, event: E) -> EventId {
        self.queue.push(self.now.saturating_add(delay), event)
    }
    /// Schedules `event` after `delay` from now in FIFO lane `lane`: the same order as
    /// [`Outbox::schedule_in`], cheaper for a fixed delay whose events are mostly cancelled (see
    /// [`EventQueue::push_in_lane`]).
    pub fn schedule_in_lane(&mut self, lane: usize, delay: SimDuration, event: E) -> EventId {
        self.queue.push_in_lane(lane, self.now.saturating_add(delay), event)
    }
    pub fn cancel(&mut self, id: EventId) {
        self.queue.cancel(id);
    }
    /// Ends the run cleanly after this event, whatever is still queued.
    pub fn halt(&mut self) {
        self.halted = true;
    }
    pub fn is_halted(&self) -> bool {
        self.halted
    }
}

/// The bounds every run has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// No event may fire later than this.
    pub max_sim_time: SimTime,
    /// No more than this many events may fire.
    pub max_events: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_sim_time: SimTime::at(SimDuration::from_hours(24 * 7)), max_events: 1_000_000_000 }
    }
}

/// Which limit a run exceeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitKind {
    SimTime { max_sim_time: SimTime },
    Events { max_events: u64 },
}

/// A run that did not finish within its limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunError {
    pub seed: Seed,
    /// The index of the event that would have exceeded the limit.
    pub event_index: u64,
    pub time: SimTime,
    pub limit: LimitKind,
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (seed, index, time) = (self.seed, self.event_index, self.time);
        match self.limit {
            LimitKind::SimTime { max_sim_time } => write!(
                f,
                "run with seed {seed} exceeded max_sim_time = {}: event #{index} is due at {time}",
                max_sim_time.since_start()
            ),
            LimitKind::Events { max_events } => {
                write!(f, "run with seed {seed} exceeded max_events = {max_events}: event #{index} at {time}")
            }
        }
    }
}

impl std::error::Error for RunError {}

/// What a finished run reports about itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunStats {
    pub seed: Seed,
    pub events: u64,
    pub end_time: SimTime,
    pub trace: TraceSummary,
    /// The largest number of entries the queue held at once.
    pub queue_len_max: usize,
}

/// The clock, the queue, the limits and the trace of one run.
pub struct Engine<E> {
    seed: Seed,
    limits: Limits,
    now: SimTime,
    queue: EventQueue<E>,
    trace: TraceMode,
}

impl<E: Hash + Debug> Engine<E> {
    pub fn new(seed: Seed, limits: Limits, trace: TraceMode) -> Self {
        Engine { seed, limits, now: SimTime::ZERO, queue: EventQueue::new(), trace }
    }

    /// Schedules an initial event before the run starts.
    pub fn schedule_at(&mut self, time: SimTime, event: E) -> EventId {
        self.queue.push(time, event)
    }

    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Fires events in order until the queue is empty or the model halts, or a limit is exceeded.
    pub fn run<M: Model<Event = E>>(&mut self, model: &mut M) -> Result<RunStats, RunError> {
        let mut trace = TraceRecorder::new(self.trace);
        let mut index: u64 = 0;
        let mut queue_len_max = self.queue.len();
        while let Some((time, event)) = self.queue.pop() {
            if time > self.limits.max_sim_time {
                let limit = LimitKind::SimTime { max_sim_time: self.limits.max_sim_time };
                return Err(RunError { seed: self.seed, event_index: index, time, limit });
            }
            if index >= self.limits.max_events {
                let limit = LimitKind::Events { max_events: self.limits.max_events };
                return Err(RunError { seed: self.seed, event_index: index, time, limit });
            }
            trace.record(index, time, &event);
            self.now = time;
            index += 1;
            let mut out = Outbox::new(time, &mut self.queue);
            model.handle(time, event, &mut out);
            let halted = out.halted;
            queue_len_max = queue_len_max.max(self.queue.len());
            if halted {
                break;
            }
        }
        Ok(RunStats { seed: self.seed, events: index, end_time: self.now, trace: trace.finish(index), queue_len_max })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each tick schedules the next one `gap` later until `count` ticks have fired.
    struct Ticker {
        gap: SimDuration,
        count: u32,
        seen: Vec<SimTime>,
    }

    #[derive(Hash, Debug)]
    struct Tick;

    impl Model for Ticker {
        type Event = Tick;
        fn handle(&mut self, now: SimTime, _: Tick, out: &mut Outbox<'_, Tick>) {
            self.seen.push(now);
            if (self.seen.len() as u32) < self.count {
                out.schedule_in(self.gap, Tick);
            }
        }
    }

    fn ticker(count: u32) -> Ticker {
        Ticker { gap: SimDuration::from_secs(1), count, seen: Vec::new() }
    }

    #[test]
    fn runs_until_the_queue_is_empty() {
        let mut engine = Engine::new(Seed(1), Limits::default(), TraceMode::Hash);
        engine.schedule_at(SimTime::ZERO, Tick);
        let mut model = ticker(5);
        let stats = engine.run(&mut model).expect("within limits");
        assert_eq!(stats.events, 5);
        assert_eq!(stats.end_time, SimTime::at(SimDuration::from_secs(4)));
        assert_eq!(model.seen.len(), 5);
        assert_ne!(stats.trace.hash, 0);
    }

    #[test]
    fn event_limit_names_seed_index_and_time() {
        let limits = Limits { max_events: 3, ..Limits::default() };
        let mut engine = Engine::new(Seed(0x2a), limits, TraceMode::Off);
        engine.schedule_at(SimTime::ZERO, Tick);
        let err = engine.run(&mut ticker(100)).expect_err("must exceed max_events");
        assert_eq!(err.event_index, 3);
        assert_eq!(err.time, SimTime::at(SimDuration::from_secs(3)));
        assert_eq!(err.to_string(), "run with seed 0x2a exceeded max_events = 3: event #3 at t=3s");
    }

    #[test]
    fn time_limit_names_seed_index_and_time() {
        let limits = Limits { max_sim_time: SimTime::at(SimDuration::from_millis(2500)), ..Limits::default() };
        let mut engine = Engine::new(Seed(7), limits, TraceMode::Off);
        engine.schedule_at(SimTime::ZERO, Tick);
        let err = engine.run(&mut ticker(100)).expect_err("must exceed max_sim_time");
        assert_eq!(err.event_index, 3);
        assert_eq!(err.to_string(), "run with seed 0x7 exceeded max_sim_time = 2.5s: event #3 is due at t=3s");
    }

    #[test]
    fn halt_stops_cleanly() {
        struct Halter;
        impl Model for Halter {
            type Event = Tick;
            fn handle(&mut self, _: SimTime, _: Tick, out: &mut Outbox<'_, Tick>) {
                out.schedule_in(SimDuration::from_secs(1), Tick);
                out.halt();
            }
        }
        let mut engine = Engine::new(Seed(1), Limits::default(), TraceMode::Off);
        engine.schedule_at(SimTime::ZERO, Tick);
        assert_eq!(engine.run(&mut Halter).expect("halts").events, 1);
    }

    /// An event due exactly at `max_sim_time` is within the limit: only a later one exceeds it.
    #[test]
    fn an_event_due_at_max_sim_time_fires() {
        let limits = Limits { max_sim_time: SimTime::at(SimDuration::from_secs(2)), ..Limits::default() };
        let mut engine = Engine::new(Seed(1), limits, TraceMode::Off);
        engine.schedule_at(SimTime::ZERO, Tick);
        let stats = engine.run(&mut ticker(3)).expect("the last tick is due at the limit itself");
        assert_eq!((stats.events, stats.end_time), (3, SimTime::at(SimDuration::from_secs(2))));
        assert_eq!(engine.now(), SimTime::at(SimDuration::from_secs(2)));
    }

    /// What a handler sees of its outbox: the time it was built at, cancellation through to the
    /// queue, and the halt flag.
    #[test]
    fn outbox_gives_now_cancels_and_halts() {
        let mut queue = EventQueue::new();
        let mut out = Outbox::new(SimTime::from_nanos(5), &mut queue);
        assert_eq!(out.now(), SimTime::from_nanos(5));
        let cancelled = out.schedule_in(SimDuration::from_nanos(3), Tick);
        out.schedule_at(SimTime::from_nanos(9), Tick);
        out.cancel(cancelled);
        assert!(!out.is_halted());
        out.halt();
        assert!(out.is_halted());
        assert_eq!(queue.pop().map(|(time, _)| time), Some(SimTime::from_nanos(9)), "the event at 8 ns was cancelled");
        assert!(queue.pop().is_none());
    }

    #[test]
    #[should_panic(expected = "scheduled in the past")]
    fn scheduling_in_the_past_is_a_model_bug() {
        let mut queue = EventQueue::new();
        let mut out = Outbox::new(SimTime::at(SimDuration::from_secs(5)), &mut queue);
        out.schedule_at(SimTime::ZERO, Tick);
    }
}
