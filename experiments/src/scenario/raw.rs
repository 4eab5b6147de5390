//! The raw mirror of a scenario file: exactly what the TOML says, with unknown keys rejected.
//!
//! Durations and distributions are parsed while the file is read, so a bad one is reported with the
//! line and column the TOML parser knows. References between sections (a store naming a Region) are
//! kept with their place in the file ([`toml::Spanned`]) so validation can point at them too.

use std::fmt;

use std::borrow::Cow;
use std::ops::Range;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer};
use sim_core::{Dist, SimDuration};

/// A value with its place in the file, so validation can point at it. Its schema is the value's:
/// the place is the parser's business, not the file's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spanned<T>(toml::Spanned<T>);

impl<T> Spanned<T> {
    pub fn span(&self) -> Range<usize> {
        self.0.span()
    }

    pub fn get_ref(&self) -> &T {
        self.0.get_ref()
    }

    pub fn into_inner(self) -> T {
        self.0.into_inner()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Spanned<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        toml::Spanned::deserialize(d).map(Spanned)
    }
}

impl<T: JsonSchema> JsonSchema for Spanned<T> {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        generator.subschema_for::<T>()
    }
}

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

/// The schema of a value written as text: a string (or, for distributions, a table) with what it
/// means and examples, which a field's own doc comment then describes.
macro_rules! text_schema {
    ($type:ty, $name:literal, $schema:tt) => {
        impl JsonSchema for $type {
            fn inline_schema() -> bool {
                true
            }
            fn schema_name() -> Cow<'static, str> {
                $name.into()
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!($schema)
            }
        }
    };
}

text_schema!(DurationText, "Duration", {
    "type": "string",
    "description": "A duration with units, such as \"250ms\", \"30s\" or \"15m\".",
    "examples": ["250ms", "30s", "15m"],
});

text_schema!(DurationDist, "DurationDistribution", {
    "type": ["string", "object"],
    "description": "A duration or a distribution of durations: \"20ms\", \"exp(mean=5ms)\", \
        \"lognormal(median=30ms, sigma=0.5)\", \"normal(mean=30ms, sd=5ms)\", \"uniform(10ms, 20ms)\", \
        \"pareto(scale=10ms, shape=2.5)\", \"mix(0.9*exp(mean=5ms), 0.1*const(1s))\", \"empirical(1ms, 2ms)\", \
        \"cdf(10ms:0.5, 20ms:1)\", a sum such as \"32ms + exp(mean=2ms)\", or a table such as \
        { type = \"exp\", mean = \"5ms\" }.",
    "examples": ["20ms", "exp(mean=5ms)", "lognormal(median=30ms, sigma=0.5)"],
});

/// The text form of a distribution written as a TOML table, so tables and strings share one parser
/// and one set of error messages:
/// `{ type = "exp", mean = "5ms" }` is `exp(mean=5ms)`;
/// `{ type = "mix", components = [{ weight = 0.9, dist = "exp(mean=5ms)" }, ...] }` is a mixture
/// (each `dist` a string or a table);
/// `{ type = "empirical", values = ["1ms", "2ms"] }` and
/// `{ type = "cdf", points = [["10ms", 0.5], ["20ms", 1.0]] }` are the empirical forms;
/// `{ type = "sum", terms = ["32ms", { type = "exp", mean = "2ms" }] }` is `32ms + exp(mean=2ms)`.
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
    if kind == "sum" {
        let terms = list("terms")?
            .iter()
            .map(|t| match t {
                toml::Value::Table(t) => dist_table_to_text(t),
                other => scalar("terms", other),
            })
            .collect::<Result<Vec<_>, String>>()?;
        return Ok(terms.join(" + "));
    }
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
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    /// Scenario fragments to merge in first, in order, paths relative to this file; tables merge
    /// key by key, a later file's value (an array of tables included) replaces an earlier one.
    // Resolved before the rest of the file is read (`scenario/include.rs`), so never set here.
    #[serde(default)]
    pub include: Option<RawIncludes>,
    /// The scenario's name and run limits.
    pub scenario: RawHeader,
    /// The network between Regions.
    #[serde(default)]
    pub network: RawNetwork,
    /// The Regions, each once.
    #[serde(default, rename = "region")]
    pub regions: Vec<RawRegion>,
    /// The data stores.
    #[serde(default, rename = "store")]
    pub stores: Vec<RawStore>,
    /// The client populations.
    #[serde(default, rename = "population")]
    pub populations: Vec<RawPopulation>,
    /// The fault schedule.
    #[serde(default, rename = "fault")]
    pub faults: Vec<RawFault>,
    /// Faults drawn from the seed at a rate.
    #[serde(default, rename = "fault_generator")]
    pub fault_generators: Vec<RawFaultGenerator>,
    /// Runbook actions.
    #[serde(default, rename = "action")]
    pub actions: Vec<RawAction>,
    /// A Route 53 name clients resolve (population entry = "route53").
    #[serde(default)]
    pub route53: Option<Spanned<RawRoute53>>,
    /// A Global Accelerator clients connect through (population entry = "global_accelerator").
    #[serde(default)]
    pub global_accelerator: Option<Spanned<RawAccelerator>>,
    /// A CloudFront distribution with an origin group; reads of populations with reads_via_cloudfront fail
    /// over.
    #[serde(default)]
    pub cloudfront: Option<Spanned<RawCloudFront>>,
    /// ARC routing controls.
    #[serde(default, rename = "routing_control")]
    pub routing_controls: Vec<RawRoutingControl>,
    /// The load balancers' health checks of their targets (ALB target-group defaults).
    #[serde(default)]
    pub load_balancer_health: Option<Spanned<RawLoadBalancerHealth>>,
    /// CloudWatch-style alarms, which actions can wait for.
    #[serde(default, rename = "alarm")]
    pub alarms: Vec<RawAlarm>,
    /// Assertions `mrsim check` evaluates.
    #[serde(default, rename = "expect")]
    pub expects: Vec<RawExpect>,
    /// What the design costs in money, and what its failures cost: with it, summary.json's `cost`
    /// prices the run's usage (requests, replicated writes, bytes between Regions, scaled from the
    /// fault phase to a 730-hour month) at AWS's list prices (experiments/data/prices.csv), adds
    /// the fees of what is declared here, and prices the clients' failures and the lost writes.
    #[serde(default)]
    pub cost: Option<Spanned<RawCost>>,
}

/// `[cost]`: what the simulation cannot know about money.
#[derive(Deserialize, JsonSchema, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct RawCost {
    /// What the simulation cannot know about each store (item sizes, capacity, instances); a
    /// store without an entry is billed with the defaults.
    #[serde(default, rename = "store")]
    pub stores: Vec<RawCostStore>,
    /// The size of a response in KB, the dominant direction of client traffic: what Global
    /// Accelerator's DT-Premium and CloudFront's data transfer out are billed on. Default 1.
    #[serde(default)]
    pub response_size_kb: Option<Spanned<f64>>,
    /// Monthly costs the simulation cannot price from usage (compute, observability), by name, in
    /// USD per month: each becomes a line of the bill as given.
    #[serde(default)]
    pub monthly_usd: std::collections::BTreeMap<String, Spanned<f64>>,
    /// Prices that replace the shipped list's, in USD per the item's unit: an item of
    /// experiments/data/prices.csv for every Region ("aurora_io_requests_usd_per_million" = 0.22),
    /// or for one Region ("aurora_io_requests_usd_per_million@eu-west-1" = 0.22).
    #[serde(default)]
    pub prices: std::collections::BTreeMap<String, Spanned<f64>>,
    /// Revenue the clients bring per hour, in USD: lost in proportion to the client-visible
    /// downtime (the failed share of operations times the fault phase). Default 0.
    #[serde(default)]
    pub revenue_usd_per_hour: Option<Spanned<f64>>,
    /// Revenue lost per operation that failed for good, in USD (besides `revenue_usd_per_hour`).
    /// Default 0.
    #[serde(default)]
    pub revenue_usd_per_failed_operation: Option<Spanned<f64>>,
    /// The penalty (or SLA credit) owed per incident, in USD: a fault whose median client-visible
    /// outage reaches `sla_incident_min_outage`. Default 0.
    #[serde(default)]
    pub sla_penalty_usd_per_incident: Option<Spanned<f64>>,
    /// The median client-visible outage of a fault that makes it an SLA incident. Default "0s":
    /// any fault during which clients saw an outage.
    #[serde(default)]
    pub sla_incident_min_outage: Option<Spanned<DurationText>>,
    /// What an acknowledged write that was lost costs, in USD (a lost order, a lost payment).
    /// Default 0.
    #[serde(default)]
    pub lost_write_usd: Option<Spanned<f64>>,
    /// How many incidents like this run's a year brings: the run's downtime and its cost times
    /// this are the year's, and `mrsim compare` judges the return on an extra Region from them.
    /// Without it, no yearly figures.
    #[serde(default)]
    pub incidents_per_year: Option<Spanned<f64>>,
    /// The incidents a year brings, for `mrsim annual`: each simulated year draws a Poisson
    /// number of Region outages at `region_outages_per_year` and each one's duration from
    /// `region_outage_duration`, runs each in full detail and prices the year with this `[cost]`.
    /// Without it, the defaults below.
    #[serde(default)]
    pub annual: Option<Spanned<RawAnnual>>,
}

/// `[cost.annual]`: the yearly Region outages `mrsim annual` draws, and the margins of each run.
#[derive(Deserialize, JsonSchema, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct RawAnnual {
    /// The Region that goes dark, by its `[[region]]` name. Default: the first Region.
    #[serde(default)]
    pub region: Option<Spanned<String>>,
    /// Whole-Region outages a year, the mean of a Poisson count, from 0 to 1000. Default 1: an
    /// assumption, anchored in the AWS Post-Event Summaries page
    /// (https://aws.amazon.com/premiumsupport/technology/pes/), whose Region-level events in
    /// us-east-1 (April 2011 EBS, February 2017 S3, December 2021 network congestion, October
    /// 2025 among them) come at roughly one a year or fewer; mrsim did not count them year by
    /// year, so set it for the Region and the services a design depends on.
    #[serde(default)]
    pub region_outages_per_year: Option<Spanned<f64>>,
    /// How long each outage lasts, a distribution of durations. Default
    /// "lognormal(median=4h, sigma=0.7)": an assumption, anchored in the same page's summaries,
    /// whose impact lasted hours (several hours in 2017 and 2021), not minutes and not days; not
    /// fitted to them.
    #[serde(default)]
    pub region_outage_duration: Option<Spanned<DurationDist>>,
    /// Time simulated before each outage begins, so clients, caches and health checks are in
    /// their steady state when it does. Default "2m".
    #[serde(default)]
    pub warm_up: Option<Spanned<DurationText>>,
    /// Time simulated after each outage heals, so failback and retries are counted. Default
    /// "10m".
    #[serde(default)]
    pub drain: Option<Spanned<DurationText>>,
}

/// `[[cost.store]]`: one store's sizes, capacity and instances.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawCostStore {
    /// The store, by its `[[store]]` name.
    pub name: Spanned<String>,
    /// A general quorum store: the service whose prices it is billed at. "dynamodb": a
    /// single-Region DynamoDB table (a global table needs two Regions; a quorum store of one
    /// member with write and read quorums of 1 behaves as one). Default: none (data transfer only).
    #[serde(default)]
    pub billed_as: Option<Spanned<String>>,
    /// The size of an item (DynamoDB, an Aurora row) or object (S3), in KB: DynamoDB bills a
    /// write unit per KB and a read unit per 4 KB; replication carries one per message. Default 1.
    #[serde(default)]
    pub item_size_kb: Option<Spanned<f64>>,
    /// DynamoDB: "on_demand" (default: per request) or "provisioned" (per capacity unit-hour in
    /// every replica, whatever the requests).
    #[serde(default)]
    pub capacity_mode: Option<Spanned<String>>,
    /// DynamoDB provisioned: write capacity units in each replica (replicated write capacity
    /// units in a global table).
    #[serde(default)]
    pub write_capacity_units: Option<Spanned<f64>>,
    /// DynamoDB provisioned: read capacity units in each replica.
    #[serde(default)]
    pub read_capacity_units: Option<Spanned<f64>>,
    /// Aurora: the instance class of every instance, one of the price list's
    /// (aurora_instance_CLASS_usd_per_hour). Default "db.r6g.large".
    #[serde(default)]
    pub instance_class: Option<Spanned<String>>,
    /// Aurora: instances in each Region's cluster (the writer's and every secondary's). Default 1.
    #[serde(default)]
    pub instances: Option<Spanned<u32>>,
    /// Aurora: storage I/Os a write costs (and each replicated write in a secondary). Default 1.
    #[serde(default)]
    pub io_per_write: Option<Spanned<f64>>,
    /// Aurora: storage I/Os a read costs (0: served from the buffer cache). Default 0.
    #[serde(default)]
    pub io_per_read: Option<Spanned<f64>>,
}

/// `include = "file.toml"` or `include = ["a.toml", "b.toml"]`.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(untagged)]
pub enum RawIncludes {
    One(String),
    Many(Vec<String>),
}

/// `[[expect]]`: a metric of summary.json (a dotted path), exactly one bound, and whether every
/// seed or the mean over the seeds must meet it.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawExpect {
    /// A dotted path into summary.json, such as "writes.lost_last_writer_wins" or "stores.orders.rpo_writes".
    pub metric: Spanned<String>,
    /// The metric must be equal to this.
    #[serde(default)]
    pub equals: Option<Spanned<f64>>,
    /// The metric must be at most this.
    #[serde(default)]
    pub at_most: Option<Spanned<f64>>,
    /// The metric must be at least this.
    #[serde(default)]
    pub at_least: Option<Spanned<f64>>,
    /// The metric must be less than this.
    #[serde(default)]
    pub less_than: Option<Spanned<f64>>,
    /// The metric must be greater than this.
    #[serde(default)]
    pub greater_than: Option<Spanned<f64>>,
    /// "seed" (default): every seed must pass; "mean": the mean over the seeds must.
    #[serde(default)]
    pub per: Option<Spanned<RawPer>>,
}

#[derive(Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RawPer {
    Seed,
    Mean,
}

#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawHeader {
    /// The scenario's name, used in reports and the default output folder.
    pub name: String,
    /// One line saying what the scenario asks.
    #[serde(default)]
    pub description: String,
    /// The fault phase: clients send requests until then.
    pub duration: Spanned<DurationText>,
    /// The longest the drain phase may take (default 30m).
    #[serde(default)]
    pub drain_max: Option<Spanned<DurationText>>,
    /// Width of one time-series row (default 1s).
    #[serde(default)]
    pub metrics_interval: Option<Spanned<DurationText>>,
    /// A run firing more events than this fails (default 200000000).
    #[serde(default)]
    pub max_events: Option<Spanned<i64>>,
    /// The seed used when the command line gives none, in hex ("0x2a") or decimal.
    #[serde(default)]
    pub seed: Option<Spanned<String>>,
    /// Write conflicts.csv: every write last-writer-wins dropped and every write lost to it (default false).
    #[serde(default)]
    pub list_conflicts: Option<bool>,
}

#[derive(Deserialize, JsonSchema, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct RawNetwork {
    /// Added to half the pair's round trip (measured, or estimated from great-circle distance) on every link without an override (default exp(mean=1ms)).
    #[serde(default)]
    pub jitter: Option<DurationDist>,
    /// Per-link latency overrides.
    #[serde(default, rename = "link")]
    pub links: Vec<RawLink>,
}

#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawLink {
    /// The sending Region.
    pub from: Spanned<String>,
    /// The receiving Region.
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

#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawRegion {
    /// The AWS Region name, such as "us-east-1".
    pub name: Spanned<String>,
    /// The Region's app tier; without it, capacity is not modelled (requests are served at once).
    #[serde(default)]
    pub app_tier: Option<Spanned<RawAppTier>>,
}

#[derive(Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StoreType {
    #[serde(rename = "dynamodb_global_table")]
    DynamoDbGlobalTable,
    AuroraGlobalDatabase,
    S3Replication,
    // A general quorum store (leaderless partial quorums and the like).
    Quorum,
}

/// An S3 replication rule, written `["from-region", "to-region"]`.
pub type RawRule = (Spanned<String>, Spanned<String>);

/// Aurora's read consistency for write forwarding, as aurora_replica_read_consistency spells it.
#[derive(Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawReadConsistency {
    #[serde(rename = "EVENTUAL")]
    Eventual,
    #[serde(rename = "SESSION")]
    Session,
    #[serde(rename = "GLOBAL")]
    Global,
}

/// How an Aurora Global Database's storage replication reaches each secondary.
#[derive(Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RawAuroraReplication {
    /// The redo log in order: one pipeline per secondary serves the records one at a time, in log
    /// order (its capacity set by `log_rate` or `log_service_time`; neither: no limit).
    OrderedLog,
    /// Each record waits its own `replication_lag`, however many others are on their way: lag
    /// never builds with load.
    Independent,
}

#[derive(Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RawApply {
    OnCommit,
    OnReceipt,
}

#[derive(Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RawCoordinator {
    Member,
    Separate,
}

/// One member's own message latencies (PBS's W, A, R, S there), each replacing the store's
/// `write_latency`, `ack_latency`, `read_latency` or `response_latency` for messages to or from it.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawMemberLatency {
    /// The member's Region.
    pub region: Spanned<String>,
    /// A write (or read repair) from the coordinator to this member.
    #[serde(default)]
    pub write: Option<Spanned<DurationDist>>,
    /// This member's acknowledgement of a write, back to the coordinator.
    #[serde(default)]
    pub ack: Option<Spanned<DurationDist>>,
    /// A read request from the coordinator to this member.
    #[serde(default)]
    pub read: Option<Spanned<DurationDist>>,
    /// This member's reply to a read, back to the coordinator.
    #[serde(default)]
    pub response: Option<Spanned<DurationDist>>,
}

/// DynamoDB's MultiRegionConsistency, spelled as the API spells it.
#[derive(Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq)]
pub enum MultiRegionConsistency {
    #[serde(rename = "EVENTUAL")]
    Eventual,
    #[serde(rename = "STRONG")]
    Strong,
}

#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawStore {
    /// The store's name, referred to by populations, faults and actions.
    pub name: Spanned<String>,
    /// The kind of store; "quorum" is a general quorum store (leaderless partial quorums and the
    /// like).
    #[serde(rename = "type")]
    pub store_type: StoreType,
    /// dynamodb_global_table: MREC (EVENTUAL, default) or MRSC (STRONG).
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["dynamodb_global_table"]))]
    pub multi_region_consistency: Option<Spanned<MultiRegionConsistency>>,
    /// dynamodb_global_table and quorum: the replica Regions.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["dynamodb_global_table", "quorum"]))]
    pub regions: Option<Spanned<Vec<Spanned<String>>>>,
    /// Time from commit until the writing Region ships the write (before the network delay).
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["dynamodb_global_table"]))]
    pub replication_delay: Option<DurationDist>,
    /// dynamodb_global_table with STRONG: the witness Region of a two-replica table.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["dynamodb_global_table"]))]
    pub witness: Option<Spanned<String>>,
    /// quorum: members that vote but hold no readable data.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["quorum"]))]
    pub witnesses: Option<Spanned<Vec<Spanned<String>>>>,
    /// quorum: W, members that must have a write before it succeeds.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["quorum"]))]
    pub write_quorum: Option<Spanned<i64>>,
    /// quorum: R, members whose replies a strongly consistent read waits for (every read, with
    /// coordinator = "separate").
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["quorum"]))]
    pub read_quorum: Option<Spanned<i64>>,
    /// quorum: how long a coordinator waits for a quorum.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["quorum"]))]
    pub timeout: Option<Spanned<DurationText>>,
    /// quorum: reads repair stale members.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["quorum"]))]
    pub read_repair: Option<Spanned<bool>>,
    /// quorum: when a member applies a replicated write.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["quorum"]))]
    pub apply: Option<Spanned<RawApply>>,
    /// quorum: who coordinates an operation: "member" (default: the member in the Region the
    /// attempt reaches, which counts toward W and R and answers itself with no message) or
    /// "separate" (a node there that is not a replica of the key, as Dynamo and Cassandra
    /// coordinators often are: every member gets a message and the coordinator counts toward
    /// neither quorum; versions are stamped with its time, last stamp wins; every read asks all
    /// members; needs apply = "on_receipt").
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["quorum"]))]
    pub coordinator: Option<Spanned<RawCoordinator>>,
    /// quorum: one-way latency of a write (or read repair) from its coordinator to a member, PBS's
    /// W (default: the link's latency, and no time within a Region).
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["quorum"]))]
    pub write_latency: Option<Spanned<DurationDist>>,
    /// quorum: one-way latency of a member's acknowledgement of a write, PBS's A (default: the
    /// link's latency).
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["quorum"]))]
    pub ack_latency: Option<Spanned<DurationDist>>,
    /// quorum: one-way latency of a read request to a member, PBS's R (default: the link's
    /// latency).
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["quorum"]))]
    pub read_latency: Option<Spanned<DurationDist>>,
    /// quorum: one-way latency of a member's reply to a read, PBS's S (default: the link's
    /// latency).
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["quorum"]))]
    pub response_latency: Option<Spanned<DurationDist>>,
    /// quorum: per-member message latencies where a member differs from the store's.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["quorum"]))]
    pub member_latency: Option<Vec<RawMemberLatency>>,
    /// quorum: the staleness probe's grid of t (ascending durations): after each probed write
    /// commits, a read of its item at commit + t for each t, coordinated in the write's Region by a
    /// node that asks every member, returning the newest of the first R replies. The run folder's
    /// t_visibility.csv gives, per t, P(the read returns the write or newer) and P(it returns one
    /// of the last k versions). Probe reads touch no replica and count in no other metric.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["quorum"]))]
    pub probe_after: Option<Spanned<Vec<Spanned<DurationText>>>>,
    /// quorum: the share of committed writes the probe follows, in (0, 1] (default 1).
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["quorum"]))]
    pub probe_fraction: Option<Spanned<f64>>,
    /// quorum: the largest k of the probe's k-staleness, 1 to 10 (default 3).
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["quorum"]))]
    pub probe_versions: Option<Spanned<i64>>,
    /// aurora_global_database: the writer Region.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["aurora_global_database"]))]
    pub writer: Option<Spanned<String>>,
    /// aurora_global_database: the secondary Regions.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["aurora_global_database"]))]
    pub secondaries: Option<Spanned<Vec<Spanned<String>>>>,
    /// aurora_global_database: secondaries without a DB instance.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["aurora_global_database"]))]
    pub headless_secondaries: Option<Spanned<Vec<Spanned<String>>>>,
    /// aurora: enables write forwarding with this aurora_replica_read_consistency.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["aurora_global_database"]))]
    pub write_forwarding: Option<Spanned<RawReadConsistency>>,
    /// aurora: storage replication lag, each record's own transit delay after it leaves the
    /// pipeline (the network is added on top); s3: the replication lag (default by rtc).
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["aurora_global_database", "s3_replication"]))]
    pub replication_lag: Option<Spanned<DurationDist>>,
    /// aurora and s3: the local commit (or request) latency.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["aurora_global_database", "s3_replication"]))]
    pub commit_latency: Option<Spanned<DurationDist>>,
    /// aurora: promotion time of a switchover after sync.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["aurora_global_database"]))]
    pub switchover_promotion: Option<Spanned<DurationText>>,
    /// aurora: promotion time of a failover.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["aurora_global_database"]))]
    pub failover_promotion: Option<Spanned<DurationDist>>,
    /// aurora: how long the old writer keeps taking writes after a failover starts (split brain).
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["aurora_global_database"]))]
    pub fence_gap: Option<Spanned<DurationText>>,
    /// aurora (PostgreSQL): rds.global_db_rpo.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["aurora_global_database"]))]
    pub rds_global_db_rpo: Option<Spanned<DurationText>>,
    /// aurora: global writer endpoint repointing after a promotion.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["aurora_global_database"]))]
    pub endpoint_update_delay: Option<Spanned<DurationText>>,
    /// aurora: adding an instance to a headless secondary.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["aurora_global_database"]))]
    pub instance_creation: Option<Spanned<DurationDist>>,
    /// aurora: how storage replication reaches each secondary. "ordered_log" (the default, as
    /// Aurora ships its redo log): towards each secondary one pipeline takes the committed records
    /// in log order, one at a time, each for a service time (`log_rate` or `log_service_time`), then
    /// the record travels its `replication_lag` and the network, and the secondary applies in log
    /// order. Above the pipeline's capacity a backlog builds, and lag with it, and drains after; a
    /// failover loses what is still in it. AWS publishes no capacity, so with neither key set there
    /// is no limit and lag is `replication_lag` plus the network, as with "independent": each
    /// record waits its own `replication_lag`, however many others are on their way.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["aurora_global_database"]))]
    pub replication: Option<Spanned<RawAuroraReplication>>,
    /// aurora with replication = "ordered_log": the pipeline's capacity towards each secondary, in
    /// records per second; each record takes exactly 1/rate (instead of `log_service_time`).
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["aurora_global_database"]))]
    pub log_rate: Option<Spanned<f64>>,
    /// aurora with replication = "ordered_log": each record's service time in the pipeline towards a
    /// secondary, a distribution ("exp(mean=1ms)" makes each pipeline an M/M/1 queue under Poisson
    /// writes; instead of `log_rate`).
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["aurora_global_database"]))]
    pub log_service_time: Option<Spanned<DurationDist>>,
    /// s3_replication: the Regions with a bucket.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["s3_replication"]))]
    pub buckets: Option<Spanned<Vec<Spanned<String>>>>,
    /// s3_replication: replication rules, each ["from-region", "to-region"].
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["s3_replication"]))]
    pub rules: Option<Spanned<Vec<RawRule>>>,
    /// s3_replication: S3 Replication Time Control (chooses the default lag).
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["s3_replication"]))]
    pub rtc: Option<Spanned<bool>>,
    /// s3_replication: delete markers are replicated (default false).
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["s3_replication"]))]
    pub delete_marker_replication: Option<Spanned<bool>>,
    /// s3_replication: objects that predate the rules in the source bucket.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["s3_replication"]))]
    pub existing_objects: Option<Spanned<i64>>,
    /// How long a link's backlog of lost replication messages waits before it is resent, when the path is
    /// open by then (a heal resends at once; default 1s).
    #[serde(default)]
    pub replication_retry_interval: Option<Spanned<DurationText>>,
    /// How fast a member, replica or secondary that missed messages is brought back up to date once its path
    /// heals, in items (quorum and MRSC: items streamed by a sync) or messages (DynamoDB MREC copies, Aurora,
    /// S3: held messages resent) per second (default 10000, at least 1).
    #[serde(default)]
    pub catch_up_rate: Option<Spanned<i64>>,
    /// Writes carry an idempotency key the store enforces (a conditional put on the key).
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["dynamodb_global_table"]))]
    pub idempotency: Option<bool>,
    /// dynamodb_global_table (MREC): an item's changes replicate in order (default true, as
    /// DynamoDB Streams orders them per item); false makes every write's delay independent.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["dynamodb_global_table"]))]
    pub per_item_order: Option<bool>,
}

/// How an operation picks its key: exactly one of `uniform`, `zipf` (with `exponent`) or `hot_set`
/// (with `hot_key_fraction` and `hot_traffic_fraction`).
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawKeys {
    /// Keys, each equally likely.
    #[serde(default)]
    pub uniform: Option<Spanned<i64>>,
    /// Keys with Zipf-distributed popularity (rank 0 the most popular).
    #[serde(default)]
    pub zipf: Option<Spanned<i64>>,
    /// zipf: the exponent.
    #[serde(default)]
    pub exponent: Option<Spanned<f64>>,
    /// Keys, a fraction of which (hot) take a fraction of the traffic.
    #[serde(default)]
    pub hot_set: Option<Spanned<i64>>,
    /// hot_set: the share of keys that are hot.
    #[serde(default)]
    pub hot_key_fraction: Option<Spanned<f64>>,
    /// hot_set: the share of traffic the hot keys take.
    #[serde(default)]
    pub hot_traffic_fraction: Option<Spanned<f64>>,
}

#[derive(Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RawOperationKind {
    Read,
    Write,
    Delete,
    ConditionalWrite,
    ConditionalUpdate,
}

/// One line of an operation mix.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawOperation {
    /// Relative weight among the population's operations.
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
    /// on_partial = "retry": when the failed step is tried again.
    #[serde(default)]
    pub repair_after: Option<Spanned<DurationText>>,
    /// What the operation does.
    #[serde(rename = "type")]
    pub kind: RawOperationKind,
    /// How an operation picks its key: exactly one of uniform, zipf (with exponent) or hot_set (with
    /// hot_key_fraction and hot_traffic_fraction).
    pub keys: Spanned<RawKeys>,
    /// For reads: DynamoDB's ConsistentRead (default false).
    #[serde(default)]
    pub consistent_read: Option<Spanned<bool>>,
}

#[derive(Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RawPartialRepair {
    Leave,
    Retry,
    Compensate,
}

#[derive(Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RateProfileType {
    Steps,
    Ramp,
    Daily,
    Piecewise,
}

/// A rate that changes over simulated time.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawRateProfile {
    /// The shape of the profile.
    #[serde(rename = "type")]
    pub profile_type: RateProfileType,
    /// steps / piecewise: [["0s", 100.0], ["5m", 300.0]] (time, requests per second).
    #[serde(default)]
    pub points: Option<Vec<(DurationText, f64)>>,
    /// ramp: the rate before start.
    #[serde(default)]
    pub from_rate: Option<f64>,
    /// ramp: the rate after end.
    #[serde(default)]
    pub to_rate: Option<f64>,
    /// ramp: when the ramp starts.
    #[serde(default)]
    pub start: Option<DurationText>,
    /// ramp: when the ramp ends.
    #[serde(default)]
    pub end: Option<DurationText>,
    /// daily: mean * (1 + amplitude * cos(2 pi (t - peak_at) / period))
    #[serde(default)]
    pub mean_rate: Option<f64>,
    /// daily: relative amplitude.
    #[serde(default)]
    pub amplitude: Option<f64>,
    /// daily: the period.
    #[serde(default)]
    pub period: Option<DurationText>,
    /// daily: when the rate peaks.
    #[serde(default)]
    pub peak_at: Option<DurationText>,
}

#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawRetry {
    /// Attempts in all, the first included.
    #[serde(default)]
    pub max_attempts: Option<Spanned<i64>>,
    /// The first retry's delay bound.
    #[serde(default)]
    pub base_delay: Option<Spanned<DurationText>>,
    /// The largest delay bound.
    #[serde(default)]
    pub max_delay: Option<Spanned<DurationText>>,
}

#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawPopulation {
    /// The population's name.
    pub name: Spanned<String>,
    /// The Region these clients are near: the static router sends them there; it is their users'
    /// home Region.
    pub region: Spanned<String>,
    /// One-way latency to their own Region.
    pub access_latency: DurationDist,
    /// One-way latency to other Regions, by Region name (default: access latency plus half the
    /// round trip from their own Region, measured or estimated).
    #[serde(default)]
    pub latency: Option<Spanned<std::collections::BTreeMap<String, DurationDist>>>,
    /// Open loop: a constant rate (requests per second).
    #[serde(default)]
    pub rate: Option<Spanned<f64>>,
    /// A rate that changes over simulated time.
    #[serde(default)]
    pub rate_profile: Option<Spanned<RawRateProfile>>,
    /// Closed loop: sessions, each thinking between operations.
    #[serde(default)]
    pub sessions: Option<Spanned<i64>>,
    /// Closed loop: think time between a session's operations.
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
    /// Shorthand: the share of reads.
    #[serde(default)]
    pub read_fraction: Option<Spanned<f64>>,
    /// How an operation picks its key: exactly one of uniform, zipf (with exponent) or hot_set (with
    /// hot_key_fraction and hot_traffic_fraction).
    #[serde(default)]
    pub keys: Option<Spanned<RawKeys>>,
    /// Users an open-loop population's operations are spread over.
    #[serde(default)]
    pub users: Option<Spanned<i64>>,
    /// An attempt with no response after this long has failed (default 5s).
    #[serde(default)]
    pub timeout: Option<Spanned<DurationText>>,
    /// Retries with full-jitter exponential backoff.
    #[serde(default)]
    pub retry: Option<Spanned<RawRetry>>,
    /// Writes go to the user's home Region.
    #[serde(default)]
    pub pinning: Option<bool>,
    /// After a write, the user's reads go to the writer's Region for this long.
    #[serde(default)]
    pub read_your_writes_window: Option<Spanned<DurationText>>,
    /// How the clients reach the Regions: always their own Region (static, default), through the [route53]
    /// name, or through the [global_accelerator].
    #[serde(default)]
    pub entry: Option<Spanned<RawEntry>>,
    /// Reads go through the [cloudfront] origin group (default false).
    #[serde(default)]
    pub reads_via_cloudfront: Option<Spanned<bool>>,
    /// Recursive resolvers the users go through, 1..100000 (default 100).
    #[serde(default)]
    pub resolvers: Option<Spanned<i64>>,
    /// The share of resolvers that hold answers past the TTL, 0..1 (default 0.0874).
    #[serde(default)]
    pub ttl_violator_share: Option<Spanned<f64>>,
    /// How long a violating resolver holds an answer (default lognormal(median=74s, sigma=1.48): with the 0.0874 share, 2% of users still on an answer 15 minutes after it changed, in steady state).
    #[serde(default)]
    pub ttl_violator_hold: Option<Spanned<DurationDist>>,
    /// A DNS cache in the client: "none" (default), { at_least = "60s" } (a browser keeps an answer at least
    /// that long) or { fixed = "30s" } (the JVM keeps it exactly that long).
    #[serde(default)]
    pub client_cache: Option<Spanned<RawClientCache>>,
    /// A connection unused this long is closed (default: a new connection per request).
    #[serde(default)]
    pub keep_alive_idle: Option<Spanned<DurationText>>,
}

#[derive(Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq)]
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

text_schema!(RawClientCache, "ClientCache", {
    "description": "\"none\", { at_least = \"60s\" } (a browser's host cache keeps an answer at least that long) \
        or { fixed = \"30s\" } (the JVM keeps it exactly that long).",
    "anyOf": [
        { "type": "string", "enum": ["none"] },
        {
            "type": "object",
            "properties": {
                "at_least": { "type": "string", "description": "Keep an answer for its TTL but at least this long." },
                "fixed": { "type": "string", "description": "Keep an answer this long whatever its TTL." },
            },
            "additionalProperties": false,
        },
    ],
});

#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawAppTier {
    /// Servers at the start, headroom included.
    pub servers: Spanned<i64>,
    /// The most requests that may wait, not counting those in service.
    pub queue_limit: Spanned<i64>,
    /// Service time of one request.
    pub service_time: DurationDist,
}

#[derive(Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq)]
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
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawWhen {
    /// When this [[alarm]] goes into ALARM.
    #[serde(default)]
    pub alarm: Option<Spanned<String>>,
    /// When the routing tier has counted this Region unhealthy for `for`.
    #[serde(default)]
    pub region_unhealthy: Option<Spanned<String>>,
    /// region_unhealthy: how long the Region must have been unhealthy.
    #[serde(default, rename = "for")]
    pub for_: Option<Spanned<DurationText>>,
}

/// A runbook action, at a time or when a condition is met.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawAction {
    /// The action.
    #[serde(rename = "type")]
    pub action_type: Spanned<ActionType>,
    /// When it is set off (exactly one of at and when).
    #[serde(default)]
    pub at: Option<Spanned<DurationText>>,
    /// What sets the action off: { alarm = "name" } or { region_unhealthy = "us-east-1", for = "60s" }.
    #[serde(default)]
    pub when: Option<Spanned<RawWhen>>,
    /// How long the operator (or the automation) takes once the action is set off (default 0s).
    #[serde(default)]
    pub reaction_time: Option<Spanned<DurationText>>,
    /// scale_out, aurora_add_instance: the Region; traffic_dial: the endpoint group's Region.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["scale_out", "aurora_add_instance", "traffic_dial"]))]
    pub region: Option<Spanned<String>>,
    /// scale_out: servers added.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["scale_out"]))]
    pub servers: Option<Spanned<i64>>,
    /// scale_out: how long the servers take to arrive.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["scale_out"]))]
    pub provisioning_delay: Option<Spanned<DurationText>>,
    /// repin: the home Region users leave.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["repin"]))]
    pub from: Option<Spanned<String>>,
    /// repin: their new home Region.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["repin"]))]
    pub to: Option<Spanned<String>>,
    /// aurora_* and s3_batch_replication: the store.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["aurora_switchover", "aurora_failover", "aurora_add_instance", "s3_batch_replication"]))]
    pub store: Option<Spanned<String>>,
    /// aurora_switchover / aurora_failover: the secondary Region to promote.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["aurora_switchover", "aurora_failover"]))]
    pub target: Option<Spanned<String>>,
    /// aurora_failover: must be true (FailoverGlobalCluster --allow-data-loss).
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["aurora_failover"]))]
    pub allow_data_loss: Option<Spanned<bool>>,
    /// routing_control: the [[routing_control]] to set.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["routing_control"]))]
    pub control: Option<Spanned<String>>,
    /// routing_control: the control's new state.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["routing_control"]))]
    pub state: Option<Spanned<RawControlState>>,
    /// route53_record_change: the Region of the [[route53.record]] to change.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["route53_record_change"]))]
    pub record: Option<Spanned<String>>,
    /// route53_record_change: the record's new weight, 0..255 (weighted records).
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["route53_record_change"]))]
    pub weight: Option<Spanned<i64>>,
    /// route53_record_change: true withdraws the record, false restores it.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["route53_record_change"]))]
    pub withdraw: Option<Spanned<bool>>,
    /// traffic_dial: the endpoint group's new dial, 0..100.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["traffic_dial"]))]
    pub traffic_dial_percentage: Option<Spanned<f64>>,
}

#[derive(Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq)]
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

#[derive(Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RawScope {
    Region,
    AppTier,
    Store,
    HealthEndpoint,
    RequestsOnly,
}

#[derive(Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RawProbes {
    TimeOut,
    Refused,
}

#[derive(Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RawDirection {
    Both,
    AToB,
}

#[derive(Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq)]
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

text_schema!(SignedDuration, "SignedDuration", {
    "type": "string",
    "description": "A signed duration with units, such as \"-150ms\" or \"+2s\".",
    "examples": ["-150ms", "+2s"],
});

/// A fault, written out. Which fields apply depends on `type`; validation reports a field given to
/// a type that does not use it.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawFault {
    /// The kind of fault.
    #[serde(rename = "type")]
    pub fault_type: Spanned<FaultType>,
    /// When it starts.
    pub start: Spanned<DurationText>,
    /// When it heals (default: the end of the fault phase).
    #[serde(default)]
    pub end: Option<Spanned<DurationText>>,
    /// The Region never comes back (instead of `end`; whole-Region outages only).
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["region_outage"]))]
    pub permanent: Option<Spanned<bool>>,
    /// The Region it strikes.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["region_outage", "clock_skew", "control_plane_outage", "health_check_flapping"]))]
    pub region: Option<Spanned<String>>,
    /// region_outage: what it takes down (default "region").
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["region_outage"]))]
    pub scope: Option<Spanned<RawScope>>,
    /// region_outage with scope "region": what health check probes of the dark Region meet:
    /// "time_out" (default: nothing answers, so each probe fails at its timeout, 4 s for HTTP and
    /// HTTPS, 10 s for TCP) or "refused" (the connection is refused at once, as by a host or load
    /// balancer that answers with a reset or an error).
    #[schemars(extend("x-applies-to" = ["region_outage"]))]
    #[serde(default)]
    pub probes: Option<Spanned<RawProbes>>,
    /// region_outage with scope "store", replication_impairment: the store.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["region_outage", "replication_impairment"]))]
    pub store: Option<Spanned<String>>,
    /// partition: one group of Regions.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["partition"]))]
    pub side_a: Option<Spanned<Vec<Spanned<String>>>>,
    /// partition: the other group of Regions.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["partition"]))]
    pub side_b: Option<Spanned<Vec<Spanned<String>>>>,
    /// partition: "both" (default) or "a_to_b" (one-way: side_a's messages to side_b are cut).
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["partition"]))]
    pub direction: Option<Spanned<RawDirection>>,
    /// partition: "drop" (default: lost, resent after the sender's timeout) or "hold".
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["partition"]))]
    pub mode: Option<Spanned<RawPartitionMode>>,
    /// degraded_link: the link; replication_impairment: the source Region (default every Region).
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["degraded_link", "replication_impairment"]))]
    pub from: Option<Spanned<String>>,
    /// degraded_link: the other end of the link.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["degraded_link"]))]
    pub to: Option<Spanned<String>>,
    /// degraded_link: also degrade `to -> from` (default true).
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["degraded_link"]))]
    pub symmetric: Option<Spanned<bool>>,
    /// degraded_link: latency added to each message.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["degraded_link"]))]
    pub extra_latency: Option<Spanned<DurationDist>>,
    /// degraded_link: share of messages lost, 0..1 (default 0).
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["degraded_link"]))]
    pub loss: Option<Spanned<f64>>,
    /// clock_skew: how far the Region's clock is from true time, a signed duration such as "-150ms".
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["clock_skew"]))]
    pub offset: Option<Spanned<SignedDuration>>,
    /// clock_skew: drift in parts per million (default 0).
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["clock_skew"]))]
    pub drift_ppm: Option<Spanned<f64>>,
    /// replication_impairment: the store's replication delays multiplied by this (> 1), not the
    /// latency other faults add (a degraded link's); for Aurora the storage pipeline's service
    /// and transit times, not the network path; absent: replication stalls.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["replication_impairment"]))]
    pub slowdown: Option<Spanned<f64>>,
    /// health_check_flapping: the health endpoint fails for a period, then passes for one.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["health_check_flapping"]))]
    pub period: Option<Spanned<DurationText>>,
}

/// Faults drawn from the seed: for each target, a renewal process of faults of one type, with
/// exponential gaps (`rate_per_hour`) and sampled durations, one after the other.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawFaultGenerator {
    /// The kind of fault.
    #[serde(rename = "type")]
    pub fault_type: Spanned<FaultType>,
    /// The Regions it may strike (default every Region).
    #[serde(default)]
    pub regions: Option<Spanned<Vec<Spanned<String>>>>,
    /// Mean faults per hour per target.
    pub rate_per_hour: Spanned<f64>,
    /// How long each fault lasts.
    pub duration: DurationDist,
    /// region_outage: scope (region, app_tier, health_endpoint, requests_only).
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["region_outage"]))]
    pub scope: Option<Spanned<RawScope>>,
    /// degraded_link: latency added to each message.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["degraded_link"]))]
    pub extra_latency: Option<Spanned<DurationDist>>,
    /// degraded_link: share of messages lost.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["degraded_link"]))]
    pub loss: Option<Spanned<f64>>,
    /// clock_skew: the offset distribution (signed, such as "normal(mean=0ms, sd=100ms)").
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["clock_skew"]))]
    pub offset: Option<Spanned<DurationDist>>,
    /// partition: "drop" or "hold".
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["partition"]))]
    pub mode: Option<Spanned<RawPartitionMode>>,
    /// health_check_flapping: the flapping period.
    #[serde(default)]
    #[schemars(extend("x-applies-to" = ["health_check_flapping"]))]
    pub period: Option<Spanned<DurationText>>,
}

/// `[route53]`: one name, its records and health checks.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawRoute53 {
    /// The records' TTL, whole seconds (default 60s, an alias to a load balancer).
    // Signed, so a negative TTL is reported by validation with its path.
    #[serde(default)]
    pub ttl: Option<Spanned<SignedDuration>>,
    /// How Route 53 picks a record.
    pub routing_policy: Spanned<RawRoutingPolicy>,
    /// Where Route 53's control plane runs (default us-east-1 when the scenario declares it).
    #[serde(default)]
    pub control_plane_region: Option<Spanned<String>>,
    /// A record change reaches the authoritative servers after this long (default 60s).
    #[serde(default)]
    pub change_propagation: Option<Spanned<DurationText>>,
    /// The health checks.
    #[serde(default, rename = "health_check")]
    pub health_checks: Vec<RawHealthCheck>,
    /// The records, at least one.
    #[serde(default, rename = "record")]
    pub records: Vec<RawRecord>,
}

#[derive(Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RawRoutingPolicy {
    Latency,
    Weighted,
    Failover,
}

/// A Route 53 health check's Type, as the API spells it.
#[derive(Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawProbeType {
    #[serde(rename = "HTTP")]
    Http,
    #[serde(rename = "HTTPS")]
    Https,
    #[serde(rename = "TCP")]
    Tcp,
}

#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawHealthCheck {
    /// The health check's name, referred to by records and alarms.
    pub name: Spanned<String>,
    /// The Region whose endpoint is probed.
    pub region: Spanned<String>,
    /// "10s" or "30s" (default 30s).
    #[serde(default)]
    pub request_interval: Option<Spanned<DurationText>>,
    /// Consecutive results that flip a checker, 1..10 (default 3).
    #[serde(default)]
    pub failure_threshold: Option<Spanned<i64>>,
    /// Checkers probing independently, 1..64 (default 15).
    #[serde(default)]
    pub checkers: Option<Spanned<i64>>,
    /// The probe's protocol (default HTTPS).
    #[serde(default, rename = "type")]
    pub probe_type: Option<Spanned<RawProbeType>>,
    /// A deep check: the stores the endpoint depends on (default none).
    #[serde(default)]
    pub dependencies: Option<Spanned<Vec<Spanned<String>>>>,
    /// Backed by this [[routing_control]] instead of probes (then no probing fields).
    #[serde(default)]
    pub routing_control: Option<Spanned<String>>,
}

#[derive(Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawFailoverRole {
    #[serde(rename = "PRIMARY")]
    Primary,
    #[serde(rename = "SECONDARY")]
    Secondary,
}

/// One record of the name: an alias to the load balancer of `region`.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawRecord {
    /// The Region; at most one record per Region.
    pub region: Spanned<String>,
    /// weighted: the record's weight, 0..255.
    #[serde(default)]
    pub weight: Option<Spanned<i64>>,
    /// failover: the record's role.
    #[serde(default)]
    pub failover: Option<Spanned<RawFailoverRole>>,
    /// The [[route53.health_check]] the record is associated with.
    #[serde(default)]
    pub health_check: Option<Spanned<String>>,
    /// The alias is healthy only while its load balancer has a healthy target (default true).
    #[serde(default)]
    pub evaluate_target_health: Option<Spanned<bool>>,
}

/// Global Accelerator's ClientAffinity, as the API spells it.
#[derive(Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawClientAffinity {
    #[serde(rename = "NONE")]
    None,
    #[serde(rename = "SOURCE_IP")]
    SourceIp,
}

/// `[global_accelerator]`: one accelerator, its listener's affinity and its endpoint groups.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawAccelerator {
    /// The listener's client affinity (default NONE).
    #[serde(default)]
    pub client_affinity: Option<Spanned<RawClientAffinity>>,
    /// A flow idle this long is forgotten (default 350s).
    #[serde(default)]
    pub idle_timeout: Option<Spanned<DurationText>>,
    /// Normal routing resumes this long after an endpoint recovers (default 30s).
    #[serde(default)]
    pub recovery_delay: Option<Spanned<DurationText>>,
    /// Where Global Accelerator's control plane runs (default us-west-2 when the scenario declares it).
    #[serde(default)]
    pub control_plane_region: Option<Spanned<String>>,
    /// The endpoint groups, at least one.
    #[serde(default, rename = "endpoint_group")]
    pub endpoint_groups: Vec<RawEndpointGroup>,
}

#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawEndpointGroup {
    /// The Region; one group per Region.
    pub region: Spanned<String>,
    /// The share of the group's traffic it takes, 0..100 (default 100).
    #[serde(default)]
    pub traffic_dial_percentage: Option<Spanned<f64>>,
    /// 10 or 30 (default 30).
    #[serde(default)]
    pub health_check_interval_seconds: Option<Spanned<i64>>,
    /// Consecutive results that flip an endpoint, 1..10 (default 3).
    #[serde(default)]
    pub threshold_count: Option<Spanned<i64>>,
    /// The endpoints' weights, each 0..255 (default [128]).
    #[serde(default)]
    pub endpoint_weights: Option<Spanned<Vec<Spanned<i64>>>>,
    /// The endpoints are load balancers: their health is the load balancer's own (default true).
    #[serde(default)]
    pub load_balancer: Option<Spanned<bool>>,
}

/// `[cloudfront]`: a distribution with an origin group of two Regions.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawCloudFront {
    /// The primary origin's Region.
    pub primary: Spanned<String>,
    /// The secondary origin's Region, another Region.
    pub secondary: Spanned<String>,
    /// Status codes that send a GET to the secondary, each one of 403, 404, 500, 502, 503, 504 (default [500,
    /// 502, 503, 504]).
    #[serde(default)]
    pub failover_criteria_status_codes: Option<Spanned<Vec<Spanned<i64>>>>,
    /// Per connection attempt, whole seconds 1s..10s (default 10s).
    #[serde(default)]
    pub connection_timeout: Option<Spanned<DurationText>>,
    /// Attempts before the secondary is tried, 1..3 (default 3).
    #[serde(default)]
    pub connection_attempts: Option<Spanned<i64>>,
}

/// An ARC routing control's state, as ARC spells it.
#[derive(Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawControlState {
    On,
    Off,
}

#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawRoutingControl {
    /// The control's name, referred to by health checks and actions.
    pub name: Spanned<String>,
    /// The state at the start (default On).
    #[serde(default)]
    pub state: Option<Spanned<RawControlState>>,
}

/// `[load_balancer_health]`: the load balancers' checks of their targets, as an ALB target group
/// spells them (whole seconds).
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawLoadBalancerHealth {
    /// 5..300 (default 30).
    #[serde(default)]
    pub health_check_interval_seconds: Option<Spanned<i64>>,
    /// Failures that mark a target unhealthy, 2..10 (default 2).
    #[serde(default)]
    pub unhealthy_threshold_count: Option<Spanned<i64>>,
    /// Successes that mark it healthy again, 2..10 (default 5).
    #[serde(default)]
    pub healthy_threshold_count: Option<Spanned<i64>>,
    /// 2..120, less than the interval (default 5).
    #[serde(default)]
    pub health_check_timeout_seconds: Option<Spanned<i64>>,
}

#[derive(Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RawAlarmMetric {
    ErrorRate,
    ReplicationLag,
    RpoLag,
    Conflicts,
    HealthCheckStatus,
}

/// CloudWatch's statistics, as PutMetricAlarm spells them.
#[derive(Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawStatistic {
    Average,
    Sum,
    Minimum,
    Maximum,
    SampleCount,
}

#[derive(Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawComparisonOperator {
    GreaterThanThreshold,
    GreaterThanOrEqualToThreshold,
    LessThanThreshold,
    LessThanOrEqualToThreshold,
}

#[derive(Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum RawTreatMissingData {
    Missing,
    NotBreaching,
    Breaching,
    Ignore,
}

/// `[[alarm]]`: a CloudWatch metric alarm, with PutMetricAlarm's parameter names.
#[derive(Deserialize, JsonSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawAlarm {
    /// The alarm's name, referred to by actions' when = { alarm = ... }.
    pub name: Spanned<String>,
    /// What the alarm watches.
    pub metric: Spanned<RawAlarmMetric>,
    /// error_rate, replication_lag, rpo_lag: only this Region (default every Region).
    #[serde(default)]
    pub region: Option<Spanned<String>>,
    /// replication_lag, rpo_lag, conflicts: only this store (default every store).
    #[serde(default)]
    pub store: Option<Spanned<String>>,
    /// health_check_status: the [[route53.health_check]].
    #[serde(default)]
    pub health_check: Option<Spanned<String>>,
    /// The statistic (default Average).
    #[serde(default)]
    pub statistic: Option<Spanned<RawStatistic>>,
    /// The length of one datapoint (default 60s).
    #[serde(default)]
    pub period: Option<Spanned<DurationText>>,
    /// N, the datapoints judged (default 1).
    #[serde(default)]
    pub evaluation_periods: Option<Spanned<i64>>,
    /// M of N that must breach (default evaluation_periods).
    #[serde(default)]
    pub datapoints_to_alarm: Option<Spanned<i64>>,
    /// The threshold.
    pub threshold: Spanned<f64>,
    /// How a datapoint is compared with the threshold.
    pub comparison_operator: Spanned<RawComparisonOperator>,
    /// How missing datapoints count (default missing).
    #[serde(default)]
    pub treat_missing_data: Option<Spanned<RawTreatMissingData>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, JsonSchema, Debug)]
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
            (
                "d = { type = \"sum\", terms = [\"32ms\", { type = \"exp\", mean = \"2ms\" }] }",
                "d = \"32ms + exp(mean=2ms)\"",
            ),
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
