//! The raw mirror of a scenario file: exactly what the TOML says, with unknown keys rejected.
//!
//! Durations and distributions are parsed while the file is read, so a bad one is reported with the
//! line and column the TOML parser knows. References between sections (a store naming a Region) are
//! kept with their place in the file ([`toml::Spanned`]) so validation can point at them too.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer};
use sim_core::{Dist, SimDuration};
use toml::Spanned;

/// A duration written with units ("250ms", "15m").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DurationText(pub SimDuration);

impl<'de> Deserialize<'de> for DurationText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let parse =
            |s: &str| s.parse().map(DurationText).map_err(|e: sim_core::time::ParseDurationError| e.to_string());
        d.deserialize_any(TextVisitor { expecting: "a duration with units, such as \"250ms\" or \"15m\"", parse })
    }
}

/// A distribution of durations ("exp(mean=5ms)", "lognormal(median=30ms, sigma=0.5)", "20ms").
#[derive(Clone, Debug, PartialEq)]
pub struct DurationDist(pub Dist);

impl<'de> Deserialize<'de> for DurationDist {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let parse = |s: &str| {
            Dist::parse_duration(s).map(DurationDist).map_err(|e| {
                format!("{e}; expected a duration or a distribution of durations such as \"exp(mean=5ms)\"")
            })
        };
        d.deserialize_any(TextVisitor {
            expecting: "a duration or a distribution of durations, such as \"20ms\", \"exp(mean=5ms)\" \
                        or { type = \"exp\", mean = \"5ms\" }",
            parse,
        })
    }
}

/// The text form of a distribution written as a TOML table, so tables and strings share one parser
/// and one set of error messages:
/// `{ type = "exp", mean = "5ms" }` is `exp(mean=5ms)`;
/// `{ type = "mix", components = [{ weight = 0.9, dist = "exp(mean=5ms)" }, ...] }` is a mixture
/// (each `dist` a string or a table);
/// `{ type = "empirical", values = ["1ms", "2ms"] }` and
/// `{ type = "cdf", points = [["10ms", 0.5], ["20ms", 1.0]] }` are the empirical forms.
pub fn dist_table_to_text(table: &toml::Table) -> Result<String, String> {
    let kind = match table.get("type") {
        Some(toml::Value::String(k)) => k.to_ascii_lowercase(),
        Some(other) => return Err(format!("found type = {other}; expected the name of a distribution as a string")),
        None => return Err("the table has no `type`; expected for example { type = \"exp\", mean = \"5ms\" }".into()),
    };
    let scalar = |key: &str, v: &toml::Value| match v {
        toml::Value::String(s) => Ok(s.clone()),
        toml::Value::Integer(i) => Ok(i.to_string()),
        toml::Value::Float(f) => Ok(f.to_string()),
        other => Err(format!("found {key} = {other}; expected a duration string or a number")),
    };
    let list = |key: &str| match table.get(key) {
        Some(toml::Value::Array(items)) => Ok(items.clone()),
        _ => Err(format!("a {kind} table needs `{key}` as an array")),
    };
    let args: Vec<String> = match kind.as_str() {
        "mix" | "mixture" => list("components")?
            .iter()
            .map(|c| {
                let c = c.as_table().ok_or("each component must be a table { weight = ..., dist = ... }")?;
                let weight = c.get("weight").ok_or("a component has no `weight`")?;
                let dist = match c.get("dist") {
                    Some(toml::Value::String(s)) => s.clone(),
                    Some(toml::Value::Table(t)) => dist_table_to_text(t)?,
                    _ => return Err("a component needs `dist`, a string or a table".to_string()),
                };
                Ok(format!("{}*{dist}", scalar("weight", weight)?))
            })
            .collect::<Result<_, String>>()?,
        "empirical" => list("values")?.iter().map(|v| scalar("values", v)).collect::<Result<_, String>>()?,
        "cdf" => list("points")?
            .iter()
            .map(|point| match point.as_array().map(|a| a.as_slice()) {
                Some([x, p]) => Ok(format!("{}:{}", scalar("points", x)?, scalar("points", p)?)),
                _ => Err("each point must be a pair [value, cumulative probability]".to_string()),
            })
            .collect::<Result<_, String>>()?,
        _ => table
            .iter()
            .filter(|(k, _)| k.as_str() != "type")
            .map(|(k, v)| Ok(format!("{k}={}", scalar(k, v)?)))
            .collect::<Result<_, String>>()?,
    };
    Ok(format!("{kind}({})", args.join(", ")))
}

/// Reads a string with `parse`; any other TOML type is an error saying what was expected. A bare
/// number gets a hint, since forgetting the unit is the usual mistake.
struct TextVisitor<F> {
    expecting: &'static str,
    parse: F,
}

impl<'de, T, F: Fn(&str) -> Result<T, String>> Visitor<'de> for TextVisitor<F> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<T, E> {
        (self.parse)(s).map_err(E::custom)
    }
    fn visit_i64<E: de::Error>(self, n: i64) -> Result<T, E> {
        Err(E::custom(format!("found the bare number {n}; expected {}: add a unit, as in \"{n}s\"", self.expecting)))
    }
    fn visit_u64<E: de::Error>(self, n: u64) -> Result<T, E> {
        self.visit_i64(n as i64)
    }
    fn visit_map<M: de::MapAccess<'de>>(self, map: M) -> Result<T, M::Error> {
        let table = toml::Table::deserialize(de::value::MapAccessDeserializer::new(map))?;
        let text = dist_table_to_text(&table).map_err(de::Error::custom)?;
        (self.parse)(&text).map_err(de::Error::custom)
    }
    fn visit_f64<E: de::Error>(self, n: f64) -> Result<T, E> {
        Err(E::custom(format!("found the bare number {n}; expected {}: add a unit, as in \"{n}s\"", self.expecting)))
    }
}

/// The whole file.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub scenario: RawHeader,
    #[serde(default)]
    pub network: RawNetwork,
    #[serde(default, rename = "region")]
    pub regions: Vec<RawRegion>,
    #[serde(default, rename = "store")]
    pub stores: Vec<RawStore>,
    #[serde(default, rename = "population")]
    pub populations: Vec<RawPopulation>,
    #[serde(default, rename = "fault")]
    pub faults: Vec<RawFault>,
    #[serde(default, rename = "fault_generator")]
    pub fault_generators: Vec<RawFaultGenerator>,
    #[serde(default, rename = "action")]
    pub actions: Vec<RawAction>,
    /// The routing tier: how clients reach the Regions.
    #[serde(default)]
    pub route53: Option<Spanned<RawRoute53>>,
    #[serde(default)]
    pub global_accelerator: Option<Spanned<RawAccelerator>>,
    #[serde(default)]
    pub cloudfront: Option<Spanned<RawCloudFront>>,
    #[serde(default, rename = "routing_control")]
    pub routing_controls: Vec<RawRoutingControl>,
    #[serde(default)]
    pub load_balancer_health: Option<Spanned<RawLoadBalancerHealth>>,
    /// CloudWatch-style alarms, which actions can wait for.
    #[serde(default, rename = "alarm")]
    pub alarms: Vec<RawAlarm>,
    /// Assertions `mrsim check` evaluates.
    #[serde(default, rename = "expect")]
    pub expects: Vec<RawExpect>,
}

/// `[[expect]]`: a metric of summary.json (a dotted path), exactly one bound, and whether every
/// seed or the mean over the seeds must meet it.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawExpect {
    pub metric: Spanned<String>,
    #[serde(default)]
    pub equals: Option<Spanned<f64>>,
    #[serde(default)]
    pub at_most: Option<Spanned<f64>>,
    #[serde(default)]
    pub at_least: Option<Spanned<f64>>,
    #[serde(default)]
    pub less_than: Option<Spanned<f64>>,
    #[serde(default)]
    pub greater_than: Option<Spanned<f64>>,
    #[serde(default)]
    pub per: Option<Spanned<RawPer>>,
}

#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RawPer {
    Seed,
    Mean,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawHeader {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The fault phase: clients send requests until then.
    pub duration: Spanned<DurationText>,
    /// The longest the drain phase may take.
    #[serde(default)]
    pub drain_max: Option<Spanned<DurationText>>,
    #[serde(default)]
    pub metrics_interval: Option<Spanned<DurationText>>,
    #[serde(default)]
    pub max_events: Option<Spanned<i64>>,
    /// The seed used when the command line gives none, in hex ("0x2a") or decimal.
    #[serde(default)]
    pub seed: Option<Spanned<String>>,
    /// Write conflicts.csv: every write last-writer-wins dropped and every write lost to it.
    #[serde(default)]
    pub list_conflicts: Option<bool>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct RawNetwork {
    /// Added to half the measured round trip on every link without an override.
    #[serde(default)]
    pub jitter: Option<DurationDist>,
    #[serde(default, rename = "link")]
    pub links: Vec<RawLink>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawLink {
    pub from: Spanned<String>,
    pub to: Spanned<String>,
    /// One-way latency of this direction.
    pub latency: DurationDist,
    /// Also use it for the reverse direction (default true).
    #[serde(default = "yes")]
    pub symmetric: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawRegion {
    pub name: Spanned<String>,
    /// The Region's app tier; without it, capacity is not modelled (requests are served at once).
    #[serde(default)]
    pub app_tier: Option<Spanned<RawAppTier>>,
}

#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StoreType {
    #[serde(rename = "dynamodb_global_table")]
    DynamoDbGlobalTable,
    AuroraGlobalDatabase,
    S3Replication,
    /// A general quorum store (leaderless partial quorums and the like).
    Quorum,
}

/// An S3 replication rule, written `["from-region", "to-region"]`.
pub type RawRule = (Spanned<String>, Spanned<String>);

/// Aurora's read consistency for write forwarding, as aurora_replica_read_consistency spells it.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawReadConsistency {
    #[serde(rename = "EVENTUAL")]
    Eventual,
    #[serde(rename = "SESSION")]
    Session,
    #[serde(rename = "GLOBAL")]
    Global,
}

#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RawApply {
    OnCommit,
    OnReceipt,
}

/// DynamoDB's MultiRegionConsistency, spelled as the API spells it.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub enum MultiRegionConsistency {
    #[serde(rename = "EVENTUAL")]
    Eventual,
    #[serde(rename = "STRONG")]
    Strong,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawStore {
    pub name: Spanned<String>,
    #[serde(rename = "type")]
    pub store_type: StoreType,
    #[serde(default)]
    pub multi_region_consistency: Option<Spanned<MultiRegionConsistency>>,
    /// dynamodb_global_table and quorum: the replica Regions.
    #[serde(default)]
    pub regions: Option<Spanned<Vec<Spanned<String>>>>,
    /// Time from commit until the writing Region ships the write (before the network delay).
    #[serde(default)]
    pub replication_delay: Option<DurationDist>,
    /// dynamodb_global_table with STRONG: the witness Region of a two-replica table.
    #[serde(default)]
    pub witness: Option<Spanned<String>>,
    /// quorum: members that vote but hold no readable data; the quorums; per-operation timeout.
    #[serde(default)]
    pub witnesses: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub write_quorum: Option<Spanned<i64>>,
    #[serde(default)]
    pub read_quorum: Option<Spanned<i64>>,
    #[serde(default)]
    pub timeout: Option<Spanned<DurationText>>,
    #[serde(default)]
    pub read_repair: Option<Spanned<bool>>,
    #[serde(default)]
    pub apply: Option<Spanned<RawApply>>,
    /// aurora_global_database: the writer Region, the secondaries, those without an instance.
    #[serde(default)]
    pub writer: Option<Spanned<String>>,
    #[serde(default)]
    pub secondaries: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub headless_secondaries: Option<Spanned<Vec<Spanned<String>>>>,
    /// aurora: enables write forwarding with this aurora_replica_read_consistency.
    #[serde(default)]
    pub write_forwarding: Option<Spanned<RawReadConsistency>>,
    /// aurora: storage replication lag; s3: the replication lag (default by rtc).
    #[serde(default)]
    pub replication_lag: Option<Spanned<DurationDist>>,
    /// aurora and s3: the local commit (or request) latency.
    #[serde(default)]
    pub commit_latency: Option<Spanned<DurationDist>>,
    #[serde(default)]
    pub switchover_promotion: Option<Spanned<DurationText>>,
    #[serde(default)]
    pub failover_promotion: Option<Spanned<DurationDist>>,
    /// aurora: how long the old writer keeps taking writes after a failover starts (split brain).
    #[serde(default)]
    pub fence_gap: Option<Spanned<DurationText>>,
    /// aurora (PostgreSQL): rds.global_db_rpo.
    #[serde(default)]
    pub rds_global_db_rpo: Option<Spanned<DurationText>>,
    #[serde(default)]
    pub endpoint_update_delay: Option<Spanned<DurationText>>,
    #[serde(default)]
    pub instance_creation: Option<Spanned<DurationDist>>,
    /// s3_replication: the bucket Regions, the rules [from, to], replication time control.
    #[serde(default)]
    pub buckets: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub rules: Option<Spanned<Vec<RawRule>>>,
    #[serde(default)]
    pub rtc: Option<Spanned<bool>>,
    #[serde(default)]
    pub delete_marker_replication: Option<Spanned<bool>>,
    #[serde(default)]
    pub existing_objects: Option<Spanned<i64>>,
    /// How long a replica waits before resending a replication message that was lost.
    #[serde(default)]
    pub replication_retry_interval: Option<Spanned<DurationText>>,
    /// How fast a member, replica or secondary that missed messages is brought back up to date
    /// once its path heals, in items (or messages) per second.
    #[serde(default)]
    pub catch_up_rate: Option<Spanned<i64>>,
    /// Writes carry an idempotency key the store enforces (a conditional put on the key).
    #[serde(default)]
    pub idempotency: Option<bool>,
    /// dynamodb_global_table (MREC): an item's changes replicate in order (default true, as
    /// DynamoDB Streams orders them per item); false makes every write's delay independent.
    #[serde(default)]
    pub per_item_order: Option<bool>,
}

/// How an operation picks its key: exactly one of `uniform`, `zipf` (with `exponent`) or `hot_set`
/// (with `hot_key_fraction` and `hot_traffic_fraction`).
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawKeys {
    /// Keys, each equally likely.
    #[serde(default)]
    pub uniform: Option<Spanned<i64>>,
    /// Keys with Zipf-distributed popularity (rank 0 the most popular).
    #[serde(default)]
    pub zipf: Option<Spanned<i64>>,
    #[serde(default)]
    pub exponent: Option<Spanned<f64>>,
    /// Keys, a fraction of which (hot) take a fraction of the traffic.
    #[serde(default)]
    pub hot_set: Option<Spanned<i64>>,
    #[serde(default)]
    pub hot_key_fraction: Option<Spanned<f64>>,
    #[serde(default)]
    pub hot_traffic_fraction: Option<Spanned<f64>>,
}

#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RawOperationKind {
    Read,
    Write,
    Delete,
    ConditionalWrite,
    ConditionalUpdate,
}

/// One line of an operation mix.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawOperation {
    #[serde(default)]
    pub weight: Option<Spanned<f64>>,
    /// The store; for a multi-store write, the first step (or give `steps`).
    #[serde(default)]
    pub store: Option<Spanned<String>>,
    /// A write across several stores, in this order (not atomic).
    #[serde(default)]
    pub steps: Option<Spanned<Vec<Spanned<String>>>>,
    /// What the application does when a step fails after earlier steps wrote: "leave" (default),
    /// "retry" (the failed step again after `repair_after`) or "compensate" (delete what was written).
    #[serde(default)]
    pub on_partial: Option<Spanned<RawPartialRepair>>,
    #[serde(default)]
    pub repair_after: Option<Spanned<DurationText>>,
    #[serde(rename = "type")]
    pub kind: RawOperationKind,
    pub keys: Spanned<RawKeys>,
    /// For reads: DynamoDB's ConsistentRead (strongly consistent); default false.
    #[serde(default)]
    pub consistent_read: Option<Spanned<bool>>,
}

#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RawPartialRepair {
    Leave,
    Retry,
    Compensate,
}

#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RateProfileType {
    Steps,
    Ramp,
    Daily,
    Piecewise,
}

/// A rate that changes over simulated time.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawRateProfile {
    #[serde(rename = "type")]
    pub profile_type: RateProfileType,
    /// steps / piecewise: [["0s", 100.0], ["5m", 300.0]] (time, requests per second).
    #[serde(default)]
    pub points: Option<Vec<(DurationText, f64)>>,
    /// ramp
    #[serde(default)]
    pub from_rate: Option<f64>,
    #[serde(default)]
    pub to_rate: Option<f64>,
    #[serde(default)]
    pub start: Option<DurationText>,
    #[serde(default)]
    pub end: Option<DurationText>,
    /// daily: mean * (1 + amplitude * cos(2 pi (t - peak_at) / period))
    #[serde(default)]
    pub mean_rate: Option<f64>,
    #[serde(default)]
    pub amplitude: Option<f64>,
    #[serde(default)]
    pub period: Option<DurationText>,
    #[serde(default)]
    pub peak_at: Option<DurationText>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawRetry {
    #[serde(default)]
    pub max_attempts: Option<Spanned<i64>>,
    #[serde(default)]
    pub base_delay: Option<Spanned<DurationText>>,
    #[serde(default)]
    pub max_delay: Option<Spanned<DurationText>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawPopulation {
    pub name: Spanned<String>,
    /// The Region these clients are near: the static router sends them there; it is their users'
    /// home Region.
    pub region: Spanned<String>,
    /// One-way latency to their own Region.
    pub access_latency: DurationDist,
    /// One-way latency to other Regions, by Region name (default: access latency plus half the
    /// measured round trip from their own Region).
    #[serde(default)]
    pub latency: Option<Spanned<std::collections::BTreeMap<String, DurationDist>>>,
    /// Open loop: a constant rate (requests per second), or a rate profile.
    #[serde(default)]
    pub rate: Option<Spanned<f64>>,
    #[serde(default)]
    pub rate_profile: Option<Spanned<RawRateProfile>>,
    /// Closed loop: sessions, each thinking between operations.
    #[serde(default)]
    pub sessions: Option<Spanned<i64>>,
    #[serde(default)]
    pub think_time: Option<Spanned<DurationDist>>,
    /// Trace replay: a CSV file (time,client,operation,store,key[,size]), relative to the scenario.
    #[serde(default)]
    pub trace: Option<Spanned<String>>,
    /// The operation mix.
    #[serde(default, rename = "operation")]
    pub operations: Vec<RawOperation>,
    /// Shorthand for a two-line mix on one store: `read_fraction` reads, the rest writes.
    #[serde(default)]
    pub store: Option<Spanned<String>>,
    #[serde(default)]
    pub read_fraction: Option<Spanned<f64>>,
    #[serde(default)]
    pub keys: Option<Spanned<RawKeys>>,
    #[serde(default)]
    pub users: Option<Spanned<i64>>,
    #[serde(default)]
    pub timeout: Option<Spanned<DurationText>>,
    #[serde(default)]
    pub retry: Option<Spanned<RawRetry>>,
    /// Writes go to the user's home Region.
    #[serde(default)]
    pub pinning: Option<bool>,
    /// After a write, the user's reads go to the writer's Region for this long.
    #[serde(default)]
    pub read_your_writes_window: Option<Spanned<DurationText>>,
    /// How the clients reach the Regions: "static" (default), "route53" or "global_accelerator".
    #[serde(default)]
    pub entry: Option<Spanned<RawEntry>>,
    /// Reads go through the [cloudfront] distribution's origin group.
    #[serde(default)]
    pub reads_via_cloudfront: Option<Spanned<bool>>,
    /// The recursive resolvers the users go through, and those that hold answers past the TTL.
    #[serde(default)]
    pub resolvers: Option<Spanned<i64>>,
    #[serde(default)]
    pub ttl_violator_share: Option<Spanned<f64>>,
    #[serde(default)]
    pub ttl_violator_hold: Option<Spanned<DurationDist>>,
    /// A cache in the client in front of the resolver: "none", { at_least = "60s" } or { fixed = "30s" }.
    #[serde(default)]
    pub client_cache: Option<Spanned<RawClientCache>>,
    /// A connection unused this long is closed (default: a new connection per request).
    #[serde(default)]
    pub keep_alive_idle: Option<Spanned<DurationText>>,
}

#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RawEntry {
    Static,
    Route53,
    GlobalAccelerator,
}

/// A client's own DNS cache, written `"none"`, `{ at_least = "60s" }` (a browser's host cache keeps
/// an answer at least that long) or `{ fixed = "30s" }` (the JVM keeps it exactly that long).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RawClientCache {
    None,
    AtLeast(SimDuration),
    Fixed(SimDuration),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClientCacheTable {
    #[serde(default)]
    at_least: Option<DurationText>,
    #[serde(default)]
    fixed: Option<DurationText>,
}

const CLIENT_CACHE_EXPECTED: &str = "\"none\", { at_least = \"60s\" } or { fixed = \"30s\" }";

impl<'de> Deserialize<'de> for RawClientCache {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct CacheVisitor;
        impl<'de> Visitor<'de> for CacheVisitor {
            type Value = RawClientCache;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(CLIENT_CACHE_EXPECTED)
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<RawClientCache, E> {
                match s {
                    "none" => Ok(RawClientCache::None),
                    _ => Err(E::custom(format!("found {s:?}; expected {CLIENT_CACHE_EXPECTED}"))),
                }
            }
            fn visit_map<M: de::MapAccess<'de>>(self, map: M) -> Result<RawClientCache, M::Error> {
                let table = RawClientCacheTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
                match (table.at_least, table.fixed) {
                    (Some(d), None) => Ok(RawClientCache::AtLeast(d.0)),
                    (None, Some(d)) => Ok(RawClientCache::Fixed(d.0)),
                    (Some(_), Some(_)) => Err(de::Error::custom(format!(
                        "found both at_least and fixed; expected one of {CLIENT_CACHE_EXPECTED}"
                    ))),
                    (None, None) => {
                        Err(de::Error::custom(format!("found an empty table; expected {CLIENT_CACHE_EXPECTED}")))
                    }
                }
            }
        }
        d.deserialize_any(CacheVisitor)
    }
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawAppTier {
    pub servers: Spanned<i64>,
    pub queue_limit: Spanned<i64>,
    pub service_time: DurationDist,
}

#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ActionType {
    ScaleOut,
    Repin,
    AuroraSwitchover,
    AuroraFailover,
    AuroraAddInstance,
    S3BatchReplication,
    RoutingControl,
    #[serde(rename = "route53_record_change")]
    Route53RecordChange,
    TrafficDial,
}

/// What sets an action off other than a time: `{ alarm = "name" }` or
/// `{ region_unhealthy = "us-east-1", for = "60s" }`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawWhen {
    #[serde(default)]
    pub alarm: Option<Spanned<String>>,
    #[serde(default)]
    pub region_unhealthy: Option<Spanned<String>>,
    #[serde(default, rename = "for")]
    pub for_: Option<Spanned<DurationText>>,
}

/// A runbook action, at a time or when a condition is met.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawAction {
    #[serde(rename = "type")]
    pub action_type: Spanned<ActionType>,
    /// Exactly one of `at` and `when`.
    #[serde(default)]
    pub at: Option<Spanned<DurationText>>,
    #[serde(default)]
    pub when: Option<Spanned<RawWhen>>,
    /// How long the operator (or the automation) takes once the action is set off (default 0s).
    #[serde(default)]
    pub reaction_time: Option<Spanned<DurationText>>,
    /// scale_out, aurora_add_instance; traffic_dial: the endpoint group's Region.
    #[serde(default)]
    pub region: Option<Spanned<String>>,
    #[serde(default)]
    pub servers: Option<Spanned<i64>>,
    #[serde(default)]
    pub provisioning_delay: Option<Spanned<DurationText>>,
    /// repin
    #[serde(default)]
    pub from: Option<Spanned<String>>,
    #[serde(default)]
    pub to: Option<Spanned<String>>,
    /// aurora_* and s3_batch_replication: the store.
    #[serde(default)]
    pub store: Option<Spanned<String>>,
    /// aurora_switchover / aurora_failover: the secondary Region to promote.
    #[serde(default)]
    pub target: Option<Spanned<String>>,
    /// aurora_failover: must be true (FailoverGlobalCluster --allow-data-loss).
    #[serde(default)]
    pub allow_data_loss: Option<Spanned<bool>>,
    /// routing_control: the control and its new state.
    #[serde(default)]
    pub control: Option<Spanned<String>>,
    #[serde(default)]
    pub state: Option<Spanned<RawControlState>>,
    /// route53_record_change: the record (by its Region), its new weight and/or withdrawn or restored.
    #[serde(default)]
    pub record: Option<Spanned<String>>,
    #[serde(default)]
    pub weight: Option<Spanned<i64>>,
    #[serde(default)]
    pub withdraw: Option<Spanned<bool>>,
    /// traffic_dial: the endpoint group's new dial.
    #[serde(default)]
    pub traffic_dial_percentage: Option<Spanned<f64>>,
}

#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FaultType {
    RegionOutage,
    Partition,
    DegradedLink,
    ClockSkew,
    ControlPlaneOutage,
    ReplicationImpairment,
    HealthCheckFlapping,
}

#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RawScope {
    Region,
    AppTier,
    Store,
    HealthEndpoint,
    RequestsOnly,
}

#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RawDirection {
    Both,
    AToB,
}

#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RawPartitionMode {
    Drop,
    Hold,
}

/// A signed duration ("-150ms", "+2s", "30ms"), for clock offsets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignedDuration(pub i64);

impl<'de> Deserialize<'de> for SignedDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let parse = |s: &str| {
            let t = s.trim();
            let (sign, rest) = match t.strip_prefix('-') {
                Some(r) => (-1i64, r),
                None => (1, t.strip_prefix('+').unwrap_or(t)),
            };
            let d: SimDuration = rest.parse().map_err(|e: sim_core::time::ParseDurationError| {
                format!("invalid signed duration {s:?}: {}", e.reason)
            })?;
            i64::try_from(d.as_nanos()).map(|n| SignedDuration(sign * n)).map_err(|_| format!("{s:?} is too large"))
        };
        d.deserialize_any(TextVisitor {
            expecting: "a signed duration with units, such as \"-150ms\" or \"+2s\"",
            parse,
        })
    }
}

/// A fault, written out. Which fields apply depends on `type`; validation reports a field given to
/// a type that does not use it.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawFault {
    #[serde(rename = "type")]
    pub fault_type: Spanned<FaultType>,
    pub start: Spanned<DurationText>,
    #[serde(default)]
    pub end: Option<Spanned<DurationText>>,
    /// The Region never comes back (instead of `end`; whole-Region outages only).
    #[serde(default)]
    pub permanent: Option<Spanned<bool>>,
    #[serde(default)]
    pub region: Option<Spanned<String>>,
    /// region_outage: what it takes down (default "region").
    #[serde(default)]
    pub scope: Option<Spanned<RawScope>>,
    /// region_outage with scope "store", replication_impairment: the store.
    #[serde(default)]
    pub store: Option<Spanned<String>>,
    /// partition: the two groups of Regions.
    #[serde(default)]
    pub side_a: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub side_b: Option<Spanned<Vec<Spanned<String>>>>,
    /// partition: "both" (default) or "a_to_b" (one-way: side_a's messages to side_b are cut).
    #[serde(default)]
    pub direction: Option<Spanned<RawDirection>>,
    /// partition: "drop" (default: lost, resent after the sender's timeout) or "hold".
    #[serde(default)]
    pub mode: Option<Spanned<RawPartitionMode>>,
    /// degraded_link: the link; replication_impairment: the source Region (default every Region).
    #[serde(default)]
    pub from: Option<Spanned<String>>,
    #[serde(default)]
    pub to: Option<Spanned<String>>,
    /// degraded_link: also degrade `to -> from` (default true).
    #[serde(default)]
    pub symmetric: Option<Spanned<bool>>,
    #[serde(default)]
    pub extra_latency: Option<Spanned<DurationDist>>,
    /// degraded_link: share of messages lost, 0..1 (default 0).
    #[serde(default)]
    pub loss: Option<Spanned<f64>>,
    /// clock_skew: how far the Region's clock is from true time.
    #[serde(default)]
    pub offset: Option<Spanned<SignedDuration>>,
    /// clock_skew: drift in parts per million (default 0).
    #[serde(default)]
    pub drift_ppm: Option<Spanned<f64>>,
    /// replication_impairment: delays multiplied by this (> 1); absent: replication stalls.
    #[serde(default)]
    pub slowdown: Option<Spanned<f64>>,
    /// health_check_flapping: the health endpoint fails for a period, then passes for one, ...
    #[serde(default)]
    pub period: Option<Spanned<DurationText>>,
}

/// Faults drawn from the seed: for each target, a renewal process of faults of one type, with
/// exponential gaps (`rate_per_hour`) and sampled durations, one after the other.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawFaultGenerator {
    #[serde(rename = "type")]
    pub fault_type: Spanned<FaultType>,
    /// The Regions it may strike (default every Region).
    #[serde(default)]
    pub regions: Option<Spanned<Vec<Spanned<String>>>>,
    pub rate_per_hour: Spanned<f64>,
    pub duration: DurationDist,
    /// region_outage: scope (region, app_tier, health_endpoint, requests_only).
    #[serde(default)]
    pub scope: Option<Spanned<RawScope>>,
    /// degraded_link: extra latency and loss; clock_skew: the offset distribution (signed: a
    /// symmetric one such as "normal(mean=0ms, sd=100ms)").
    #[serde(default)]
    pub extra_latency: Option<Spanned<DurationDist>>,
    #[serde(default)]
    pub loss: Option<Spanned<f64>>,
    #[serde(default)]
    pub offset: Option<Spanned<DurationDist>>,
    /// partition: "drop" or "hold".
    #[serde(default)]
    pub mode: Option<Spanned<RawPartitionMode>>,
    /// health_check_flapping: the flapping period.
    #[serde(default)]
    pub period: Option<Spanned<DurationText>>,
}

/// `[route53]`: one name, its records and health checks.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawRoute53 {
    /// Signed, so a negative TTL is reported by validation with its path.
    #[serde(default)]
    pub ttl: Option<Spanned<SignedDuration>>,
    pub routing_policy: Spanned<RawRoutingPolicy>,
    #[serde(default)]
    pub control_plane_region: Option<Spanned<String>>,
    #[serde(default)]
    pub change_propagation: Option<Spanned<DurationText>>,
    #[serde(default, rename = "health_check")]
    pub health_checks: Vec<RawHealthCheck>,
    #[serde(default, rename = "record")]
    pub records: Vec<RawRecord>,
}

#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RawRoutingPolicy {
    Latency,
    Weighted,
    Failover,
}

/// A Route 53 health check's Type, as the API spells it.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawProbeType {
    #[serde(rename = "HTTP")]
    Http,
    #[serde(rename = "HTTPS")]
    Https,
    #[serde(rename = "TCP")]
    Tcp,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawHealthCheck {
    pub name: Spanned<String>,
    /// The Region whose endpoint is probed.
    pub region: Spanned<String>,
    #[serde(default)]
    pub request_interval: Option<Spanned<DurationText>>,
    #[serde(default)]
    pub failure_threshold: Option<Spanned<i64>>,
    #[serde(default)]
    pub checkers: Option<Spanned<i64>>,
    #[serde(default, rename = "type")]
    pub probe_type: Option<Spanned<RawProbeType>>,
    /// A deep check: the stores the endpoint's answer depends on.
    #[serde(default)]
    pub dependencies: Option<Spanned<Vec<Spanned<String>>>>,
    /// Backed by this ARC routing control instead of probes.
    #[serde(default)]
    pub routing_control: Option<Spanned<String>>,
}

#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawFailoverRole {
    #[serde(rename = "PRIMARY")]
    Primary,
    #[serde(rename = "SECONDARY")]
    Secondary,
}

/// One record of the name: an alias to the load balancer of `region`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawRecord {
    pub region: Spanned<String>,
    #[serde(default)]
    pub weight: Option<Spanned<i64>>,
    #[serde(default)]
    pub failover: Option<Spanned<RawFailoverRole>>,
    #[serde(default)]
    pub health_check: Option<Spanned<String>>,
    #[serde(default)]
    pub evaluate_target_health: Option<Spanned<bool>>,
}

/// Global Accelerator's ClientAffinity, as the API spells it.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawClientAffinity {
    #[serde(rename = "NONE")]
    None,
    #[serde(rename = "SOURCE_IP")]
    SourceIp,
}

/// `[global_accelerator]`: one accelerator, its listener's affinity and its endpoint groups.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawAccelerator {
    #[serde(default)]
    pub client_affinity: Option<Spanned<RawClientAffinity>>,
    #[serde(default)]
    pub idle_timeout: Option<Spanned<DurationText>>,
    #[serde(default)]
    pub recovery_delay: Option<Spanned<DurationText>>,
    #[serde(default)]
    pub control_plane_region: Option<Spanned<String>>,
    #[serde(default, rename = "endpoint_group")]
    pub endpoint_groups: Vec<RawEndpointGroup>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawEndpointGroup {
    pub region: Spanned<String>,
    #[serde(default)]
    pub traffic_dial_percentage: Option<Spanned<f64>>,
    #[serde(default)]
    pub health_check_interval_seconds: Option<Spanned<i64>>,
    #[serde(default)]
    pub threshold_count: Option<Spanned<i64>>,
    #[serde(default)]
    pub endpoint_weights: Option<Spanned<Vec<Spanned<i64>>>>,
    /// The endpoints are load balancers (their health is the load balancer's own).
    #[serde(default)]
    pub load_balancer: Option<Spanned<bool>>,
}

/// `[cloudfront]`: a distribution with an origin group of two Regions.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawCloudFront {
    pub primary: Spanned<String>,
    pub secondary: Spanned<String>,
    #[serde(default)]
    pub failover_criteria_status_codes: Option<Spanned<Vec<Spanned<i64>>>>,
    #[serde(default)]
    pub connection_timeout: Option<Spanned<DurationText>>,
    #[serde(default)]
    pub connection_attempts: Option<Spanned<i64>>,
}

/// An ARC routing control's state, as ARC spells it.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawControlState {
    On,
    Off,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawRoutingControl {
    pub name: Spanned<String>,
    #[serde(default)]
    pub state: Option<Spanned<RawControlState>>,
}

/// `[load_balancer_health]`: the load balancers' checks of their targets, as an ALB target group
/// spells them (whole seconds).
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawLoadBalancerHealth {
    #[serde(default)]
    pub health_check_interval_seconds: Option<Spanned<i64>>,
    #[serde(default)]
    pub unhealthy_threshold_count: Option<Spanned<i64>>,
    #[serde(default)]
    pub healthy_threshold_count: Option<Spanned<i64>>,
    #[serde(default)]
    pub health_check_timeout_seconds: Option<Spanned<i64>>,
}

#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RawAlarmMetric {
    ErrorRate,
    ReplicationLag,
    RpoLag,
    Conflicts,
    HealthCheckStatus,
}

/// CloudWatch's statistics, as PutMetricAlarm spells them.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawStatistic {
    Average,
    Sum,
    Minimum,
    Maximum,
    SampleCount,
}

#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawComparisonOperator {
    GreaterThanThreshold,
    GreaterThanOrEqualToThreshold,
    LessThanThreshold,
    LessThanOrEqualToThreshold,
}

#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum RawTreatMissingData {
    Missing,
    NotBreaching,
    Breaching,
    Ignore,
}

/// `[[alarm]]`: a CloudWatch metric alarm, with PutMetricAlarm's parameter names.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawAlarm {
    pub name: Spanned<String>,
    pub metric: Spanned<RawAlarmMetric>,
    #[serde(default)]
    pub region: Option<Spanned<String>>,
    #[serde(default)]
    pub store: Option<Spanned<String>>,
    #[serde(default)]
    pub health_check: Option<Spanned<String>>,
    #[serde(default)]
    pub statistic: Option<Spanned<RawStatistic>>,
    #[serde(default)]
    pub period: Option<Spanned<DurationText>>,
    #[serde(default)]
    pub evaluation_periods: Option<Spanned<i64>>,
    #[serde(default)]
    pub datapoints_to_alarm: Option<Spanned<i64>>,
    pub threshold: Spanned<f64>,
    pub comparison_operator: Spanned<RawComparisonOperator>,
    #[serde(default)]
    pub treat_missing_data: Option<Spanned<RawTreatMissingData>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug)]
    struct One {
        d: DurationDist,
    }

    fn parse(text: &str) -> Result<Dist, String> {
        toml::from_str::<One>(text).map(|o| o.d.0).map_err(|e| e.to_string())
    }

    #[test]
    fn tables_and_strings_give_the_same_distribution() {
        let same = [
            ("d = { type = \"exp\", mean = \"5ms\" }", "d = \"exp(mean=5ms)\""),
            (
                "d = { type = \"lognormal\", median = \"30ms\", sigma = 0.5 }",
                "d = \"lognormal(median=30ms, sigma=0.5)\"",
            ),
            ("d = { type = \"uniform\", low = \"1ms\", high = \"2ms\" }", "d = \"uniform(1ms, 2ms)\""),
            (
                "d = { type = \"mix\", components = [{ weight = 0.9, dist = \"exp(mean=5ms)\" }, \
                 { weight = 0.1, dist = { type = \"const\", value = \"1s\" } }] }",
                "d = \"mix(0.9*exp(mean=5ms), 0.1*const(1s))\"",
            ),
            ("d = { type = \"empirical\", values = [\"1ms\", \"2ms\"] }", "d = \"empirical(1ms, 2ms)\""),
            ("d = { type = \"cdf\", points = [[\"10ms\", 0.5], [\"20ms\", 1.0]] }", "d = \"cdf(10ms:0.5, 20ms:1)\""),
        ];
        for (table, text) in same {
            assert_eq!(parse(table), parse(text), "{table}");
            assert!(parse(table).is_ok(), "{table}: {:?}", parse(table));
        }
    }

    #[test]
    fn bad_tables_say_what_was_expected() {
        for (text, needle) in [
            ("d = { mean = \"5ms\" }", "has no `type`"),
            ("d = { type = \"exp\", mena = \"5ms\" }", "unknown parameter \"mena\""),
            ("d = { type = \"mix\" }", "needs `components`"),
            ("d = { type = \"cdf\", points = [[\"10ms\"]] }", "pair [value, cumulative probability]"),
            ("d = true", "expected a duration or a distribution"),
        ] {
            let e = parse(text).expect_err(text);
            assert!(e.contains(needle), "{text}: {e}");
        }
    }
}
