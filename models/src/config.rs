//! The validated description of a world, as the models consume it.
//!
//! These are plain values, already checked: Regions resolved to ids, durations positive, rates
//! finite. The `experiments` crate builds them from scenario files and reports every problem with
//! its place in the file; the models assume them valid and assert only what would be a bug.

use sim_core::{Dist, SimDuration};

use crate::ids::{RegionId, StoreId};
use crate::topology::Topology;

/// Everything a run simulates.
#[derive(Clone, Debug)]
pub struct WorldConfig {
    pub topology: Topology,
    /// The fault phase: clients send requests from time zero until then, and faults still active
    /// then (other than permanent ones) heal.
    pub duration: SimDuration,
    /// The drain phase may last at most this long; a run still busy after it ends with an error.
    pub drain_max: SimDuration,
    /// A run that fires more events than this ends with an error (a guard against a runaway model).
    pub max_events: u64,
    /// Width of one time-series row.
    pub metrics_interval: SimDuration,
    pub stores: Vec<StoreConfig>,
    pub populations: Vec<PopulationConfig>,
    /// Faults written out in the scenario.
    pub faults: Vec<FaultConfig>,
    /// Faults drawn from the seed, added to the written ones when a run starts.
    pub fault_generators: Vec<FaultGenerator>,
}

/// A DynamoDB global table in multi-Region eventual consistency (MREC): writes land on the local
/// replica and ship asynchronously to every other replica; per item, last writer wins.
#[derive(Clone, Debug)]
pub struct StoreConfig {
    pub name: String,
    pub regions: Vec<RegionId>,
    /// Time from a write's commit until its Region's replication pipeline ships it, on top of
    /// the network delay to each replica.
    pub replication_delay: Dist,
    /// How long a sender waits before sending a replication message again when it was lost (a
    /// partition in drop mode, a lossy link).
    pub replication_retry_interval: SimDuration,
}

/// How a population picks the key of each operation.
#[derive(Clone, Debug, PartialEq)]
pub enum KeyChoice {
    /// `count` hot keys, each equally likely.
    Hot { count: u64 },
}

/// A population of clients near one Region.
#[derive(Clone, Debug)]
pub struct PopulationConfig {
    pub name: String,
    /// The Region the static router sends this population to (its nearest).
    pub region: RegionId,
    /// One-way latency between the clients and their Region.
    pub access_latency: Dist,
    /// Open-loop Poisson arrivals, requests per second.
    pub rate_per_sec: f64,
    /// Share of requests that are reads; the rest are writes.
    pub read_fraction: f64,
    pub store: StoreId,
    pub keys: KeyChoice,
    /// A request with no response after this long has failed.
    pub timeout: SimDuration,
}

pub use crate::faults::{FaultConfig, FaultGenerator, FaultKind, OutageScope, PartitionMode};
