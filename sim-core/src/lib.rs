//! mrsim's engine. It knows simulated time, events, random streams, limits, traces and metric
//! primitives, and nothing about AWS: Regions, stores and routing live in the `models` crate.
//!
//! Guarantees: integer time; events at equal times fire in insertion order; every random draw comes
//! from a named stream derived from one root seed; a run always ends, with an error naming the seed,
//! the event index and the time if it exceeds a limit. sim-core never reads the wall clock, spawns
//! threads or touches the filesystem.

pub mod determinism;
pub mod dist;
pub mod engine;
pub mod hold;
pub mod lookup;
pub mod metrics;
pub mod queue;
pub mod rng;
pub mod time;
pub mod trace;

pub use determinism::{DeterminismError, Divergence, check_determinism};
pub use dist::Dist;
pub use engine::{Engine, LimitKind, Limits, Model, Outbox, RunError, RunStats};
pub use lookup::LookupMap;
pub use metrics::{Counter, CounterSeries, GaugeSeries, Histogram, MeanSeries};
pub use queue::{EventId, EventQueue};
pub use rng::{Seed, Stream};
pub use time::{SimDuration, SimTime};
pub use trace::{StableHasher, TraceMode, TraceSummary, stable_hash};
