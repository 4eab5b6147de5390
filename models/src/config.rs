//! The validated description of a world, as the models consume it.
//!
//! These are plain values, already checked: Regions resolved to ids, durations positive, rates
//! finite. The `experiments` crate builds them from scenario files and reports every problem with
//! its place in the file; the models assume them valid and assert only what would be a bug.

use sim_core::{Dist, SimDuration, SimTime};

pub use crate::alarm::AlarmConfig;
pub use crate::apptier::AppTierConfig;
use crate::ids::{Key, RegionId, StoreId};
pub use crate::routing::config::{ClientRouting, RoutingConfig};
pub use crate::stores::aurora::AuroraConfig;
pub use crate::stores::quorum::QuorumConfig;
pub use crate::stores::s3::S3Config;
use crate::topology::{LinkLatency, Topology};
pub use crate::workload::arrivals::RateProfile;
pub use crate::workload::keys::KeyChoice;

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
    /// The app tier of each Region (index by Region); `None`: capacity not modelled (requests are
    /// served at once).
    pub app_tiers: Vec<Option<AppTierConfig>>,
    pub populations: Vec<PopulationConfig>,
    pub actions: Vec<ActionConfig>,
    /// Faults written out in the scenario.
    pub faults: Vec<FaultConfig>,
    /// Route 53, Global Accelerator, CloudFront, ARC: how clients reach the Regions.
    pub routing: RoutingConfig,
    /// CloudWatch-style alarms, which fire and clear as events and can trigger actions.
    pub alarms: Vec<AlarmConfig>,
    /// Faults drawn from the seed, added to the written ones when a run starts.
    pub fault_generators: Vec<FaultGenerator>,
    /// Keep the conflict list (every write last-writer-wins dropped, every write lost to it) for
    /// the report; off by default, since it grows with the conflicts of the run.
    pub list_conflicts: bool,
}

/// A DynamoDB global table in multi-Region eventual consistency (MREC): writes land on the local
/// replica and ship asynchronously to every other replica; per item, last writer wins.
#[derive(Clone, Debug)]
pub struct StoreConfig {
    pub name: String,
    /// How it replicates. The fields below it apply to DynamoDB MREC (the replication delay,
    /// idempotency) or to every kind (`regions`, the retry interval of reliable messages).
    pub kind: StoreKind,
    /// The Regions where the store has a replica (cluster, bucket, member).
    pub regions: Vec<RegionId>,
    /// Time from a write's commit until its Region's replication pipeline ships it, on top of
    /// the network delay to each replica.
    pub replication_delay: Dist,
    /// How long a sender waits before sending a replication message again when it was lost (a
    /// partition in drop mode, a lossy link).
    pub replication_retry_interval: SimDuration,
    /// How fast a member, replica or secondary that missed messages is brought back up to date
    /// once its path heals, in items (or messages) per second: the quorum channel streams a
    /// catch-up at this rate, and the world resends a channel's held reliable messages at it.
    pub catch_up_rate: u64,
    /// Writes carry an idempotency key and the store refuses a key it has already applied (a
    /// conditional put on the key); without it, a retried write may apply twice.
    pub idempotency: bool,
    /// DynamoDB MREC: an item's changes replicate in the order they were made (as DynamoDB Streams
    /// records do, per item), so a later write never overtakes an earlier one of the same item on
    /// its way to a replica. Off: every write's delay is independent (a generic asynchronous
    /// replica; later writes may arrive first, and last-writer-wins sorts them out).
    pub per_item_order: bool,
}

/// The kind of a store: its replication channel.
#[derive(Clone, Debug)]
pub enum StoreKind {
    /// DynamoDB global table, multi-Region eventual consistency (last writer wins).
    DynamoDbMrec,
    /// DynamoDB global table, multi-Region strong consistency, or any quorum configuration.
    Quorum(QuorumConfig),
    AuroraGlobal(Box<AuroraConfig>),
    S3Replication(S3Config),
}

/// What an operation does to its item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OperationKind {
    Read,
    Write,
    Delete,
    /// A write that succeeds only if the item does not exist in the replica that takes it
    /// (attribute_not_exists); otherwise it fails with ConditionalCheckFailed, not retried.
    ConditionalWrite,
    /// Optimistic concurrency: a write that succeeds only if the replica that takes it still holds
    /// the version the user's session last read of the item (a condition on a version attribute);
    /// otherwise ConditionalCheckFailed, not retried.
    ConditionalUpdate,
}

impl OperationKind {
    pub fn is_read(self) -> bool {
        self == OperationKind::Read
    }
    pub fn name(self) -> &'static str {
        match self {
            OperationKind::Read => "read",
            OperationKind::Write => "write",
            OperationKind::Delete => "delete",
            OperationKind::ConditionalWrite => "conditional_write",
            OperationKind::ConditionalUpdate => "conditional_update",
        }
    }
}

/// One line of a population's operation mix.
#[derive(Clone, Debug, PartialEq)]
pub struct OperationMixEntry {
    /// Relative weight among the population's entries.
    pub weight: f64,
    pub store: StoreId,
    pub kind: OperationKind,
    pub keys: KeyChoice,
    /// For reads: DynamoDB's ConsistentRead. In MREC a strongly consistent read is current only for
    /// items last written in the reading Region, which is what a local read already returns here;
    /// in MRSC (a quorum store) it reads a quorum.
    pub consistent_read: bool,
    /// A write that spans several stores, step by step (the first step's store is `store`).
    pub multi: Option<MultiStep>,
}

/// A request that writes several stores one after another, not atomically: each step is its own
/// write, with the population's retries. A step that fails for good after earlier steps succeeded
/// leaves a partial cross-store update, which `on_partial` repairs or leaves.
#[derive(Clone, Debug, PartialEq)]
pub struct MultiStep {
    /// The stores in the order they are written; put the authoritative store last, so it is the
    /// commit point.
    pub steps: Vec<StoreId>,
    pub on_partial: PartialRepair,
}

/// What the application does about a partial cross-store update.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartialRepair {
    /// Nothing: the partial update stays.
    Leave,
    /// An idempotent retry of the failed step after `after` (a saga's forward recovery, or a
    /// Streams-driven repair), again after every failure, until the fault phase ends.
    Retry { after: SimDuration },
    /// Compensating deletes of what the earlier steps wrote (a saga's backward recovery).
    Compensate,
}

/// One operation of a recorded trace.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceEntry {
    pub time: SimTime,
    /// The trace's client, numbered: a user for sessions and pinning.
    pub user: u64,
    pub kind: OperationKind,
    pub store: StoreId,
    pub key: Key,
}

/// How a population's operations arrive.
#[derive(Clone, Debug, PartialEq)]
pub enum Arrivals {
    /// Open loop: a Poisson process whose rate follows the profile; each operation is for a user
    /// drawn uniformly.
    Open(RateProfile),
    /// Closed loop: each session sends an operation, waits for its outcome (after any retries),
    /// thinks, and sends the next. Session n is user n.
    Closed { sessions: u32, think_time: Dist },
    /// A recorded trace, replayed at its times.
    Trace(Vec<TraceEntry>),
}

/// Retries after a failure (timeout, 503, error answer): at most `max_attempts` attempts in all,
/// each retry after a delay drawn uniformly from zero to `min(max_delay, base_delay * 2^(n-1))`
/// ("full jitter"). A write's retries carry the first attempt's idempotency key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub base_delay: SimDuration,
    pub max_delay: SimDuration,
}

/// A population of clients near one Region.
#[derive(Clone, Debug)]
pub struct PopulationConfig {
    pub name: String,
    /// The Region the clients are near: the static router sends them there, and it is their
    /// users' home Region.
    pub region: RegionId,
    /// One-way latency from these clients to every Region (index by Region).
    pub latency: Vec<LinkLatency>,
    pub arrivals: Arrivals,
    /// Not used by trace replay, whose entries name their operation.
    pub operations: Vec<OperationMixEntry>,
    /// Users an open-loop population's operations are spread over.
    pub users: u64,
    /// An attempt with no response after this long has failed.
    pub timeout: SimDuration,
    pub retry: RetryPolicy,
    /// Writes go to the user's home Region (entity pinning) rather than where the router sends.
    pub pinning: bool,
    /// After a write, the user's reads go to the Region that took it for this long.
    pub read_your_writes_window: Option<SimDuration>,
    /// How the population reaches the Regions (static: always `region`).
    pub routing: ClientRouting,
}

/// A runbook action: what it does, what sets it off, and how long the operator (or the
/// automation) takes to carry it out once it is set off.
#[derive(Clone, Debug, PartialEq)]
pub struct ActionConfig {
    pub trigger: Trigger,
    pub reaction_time: SimDuration,
    pub kind: ActionKind,
}

/// What sets an action off (once).
#[derive(Clone, Debug, PartialEq)]
pub enum Trigger {
    At(SimTime),
    /// Alarm `i` goes into ALARM.
    Alarm(usize),
    /// The routing tier has counted the Region unhealthy for this long.
    RegionUnhealthy {
        region: RegionId,
        for_: SimDuration,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum ActionKind {
    /// Adds servers to a Region's app tier after a provisioning delay; a control-plane call.
    ScaleOut { region: RegionId, servers: u32, provisioning_delay: SimDuration },
    /// Users whose home is `from` get `to` as their home: their writes go there from now on.
    Repin { from: RegionId, to: RegionId },
    /// Aurora: planned switchover to the secondary in `target` (RPO 0).
    AuroraSwitchover { store: StoreId, target: RegionId },
    /// Aurora: FailoverGlobalCluster --allow-data-loss to `target`; a headless target needs the
    /// control plane.
    AuroraFailover { store: StoreId, target: RegionId },
    /// Aurora: add an instance to the headless secondary in `region` (a control-plane call).
    AuroraAddInstance { store: StoreId, region: RegionId },
    /// S3 Batch Replication of the objects that predate the rules (a control-plane call).
    S3BatchReplication { store: StoreId },
    /// ARC: set a routing control on or off (data plane; the safety rule refuses all-off).
    RoutingControl { control: usize, on: bool },
    /// Route 53: change a record's weight, or withdraw or restore it (a control-plane call that
    /// takes `change_propagation` to reach the resolvers' authority).
    Route53RecordChange { record: usize, weight: Option<u32>, present: Option<bool> },
    /// Global Accelerator: set an endpoint group's traffic dial (a control-plane call).
    TrafficDial { group: usize, percentage: f64 },
}

impl ActionKind {
    /// The name used in scenario files and reports.
    pub fn type_name(&self) -> &'static str {
        match self {
            ActionKind::ScaleOut { .. } => "scale_out",
            ActionKind::Repin { .. } => "repin",
            ActionKind::AuroraSwitchover { .. } => "aurora_switchover",
            ActionKind::AuroraFailover { .. } => "aurora_failover",
            ActionKind::AuroraAddInstance { .. } => "aurora_add_instance",
            ActionKind::S3BatchReplication { .. } => "s3_batch_replication",
            ActionKind::RoutingControl { .. } => "routing_control",
            ActionKind::Route53RecordChange { .. } => "route53_record_change",
            ActionKind::TrafficDial { .. } => "traffic_dial",
        }
    }
}

pub use crate::faults::{FaultConfig, FaultGenerator, FaultKind, OutageScope, PartitionMode, ProbeAnswer};
