//! `mrsim schema`: the JSON Schema (draft-07) of the scenario format, for editors that complete
//! and check TOML against a schema.
//!
//! Written by hand, table by table, mirroring `scenario/raw.rs`: the raw structs read durations and
//! distributions with their own deserializers and keep spans (`toml::Spanned`), which a derive
//! could not describe. Every table rejects unknown keys (`additionalProperties: false`), as the
//! raw structs do (`deny_unknown_fields`); enums list the strings the file accepts. The schema
//! checks shape only: ranges and cross-references are for `mrsim validate`. A test converts every
//! shipped scenario to JSON and validates it against this schema, so the two cannot drift apart
//! silently when a field is added to the raw structs and a scenario uses it.

use serde_json::{Map, Value, json};

/// A string field.
fn string(description: &str) -> Value {
    json!({ "type": "string", "description": description })
}

fn integer(description: &str) -> Value {
    json!({ "type": "integer", "description": description })
}

fn number(description: &str) -> Value {
    json!({ "type": "number", "description": description })
}

fn boolean(description: &str) -> Value {
    json!({ "type": "boolean", "description": description })
}

/// One of the listed strings.
fn one_of(values: &[&str], description: &str) -> Value {
    json!({ "type": "string", "enum": values, "description": description })
}

/// A duration with units ("250ms", "30s", "15m").
fn duration(description: &str) -> Value {
    json!({
        "type": "string",
        "description": format!("{description} A duration with units, such as \"250ms\", \"30s\" or \"15m\"."),
    })
}

/// A distribution of durations, as a string or a table with `type`.
fn dist(description: &str) -> Value {
    json!({
        "type": ["string", "object"],
        "description": format!(
            "{description} A duration or a distribution of durations: \"20ms\", \"exp(mean=5ms)\", \
             \"lognormal(median=30ms, sigma=0.5)\", \"normal(mean=30ms, sd=5ms)\", \"uniform(10ms, 20ms)\", \
             \"pareto(scale=10ms, shape=2.5)\", \"mix(0.9*exp(mean=5ms), 0.1*const(1s))\", \
             \"empirical(1ms, 2ms)\", \"cdf(10ms:0.5, 20ms:1)\", or a table such as \
             {{ type = \"exp\", mean = \"5ms\" }}."
        ),
    })
}

fn regions(description: &str) -> Value {
    json!({ "type": "array", "items": { "type": "string" }, "description": description })
}

/// An array of tables.
fn array_of(item: Value, description: &str) -> Value {
    json!({ "type": "array", "items": item, "description": description })
}

/// A table with exactly these keys (in this order), `required` among them.
fn table(description: &str, required: &[&str], properties: Vec<(&str, Value)>) -> Value {
    let mut map = Map::new();
    for (name, schema) in properties {
        map.insert(name.to_string(), schema);
    }
    json!({
        "type": "object",
        "description": description,
        "properties": Value::Object(map),
        "required": required,
        "additionalProperties": false,
    })
}

const FAULT_TYPES: &[&str] = &[
    "region_outage",
    "partition",
    "degraded_link",
    "clock_skew",
    "control_plane_outage",
    "replication_impairment",
    "health_check_flapping",
];
const SCOPES: &[&str] = &["region", "app_tier", "store", "health_endpoint", "requests_only"];

fn header() -> Value {
    table(
        "The scenario's name and run limits.",
        &["name", "duration"],
        vec![
            ("name", string("The scenario's name, used in reports and the default output folder.")),
            ("description", string("One line saying what the scenario asks.")),
            ("duration", duration("The fault phase: clients send requests until then.")),
            ("drain_max", duration("The longest the drain phase may take (default 30m).")),
            ("metrics_interval", duration("Width of one time-series row (default 1s).")),
            ("max_events", integer("A run firing more events than this fails (default 200000000).")),
            ("seed", string("The seed used when the command line gives none, in hex (\"0x2a\") or decimal.")),
            (
                "list_conflicts",
                boolean(
                    "Write conflicts.csv: every write last-writer-wins dropped and every write lost to it \
                     (default false).",
                ),
            ),
        ],
    )
}

fn network() -> Value {
    let link = table(
        "A one-way latency override for a pair of Regions.",
        &["from", "to", "latency"],
        vec![
            ("from", string("The sending Region.")),
            ("to", string("The receiving Region.")),
            ("latency", dist("One-way latency of this direction.")),
            ("symmetric", boolean("Also use it for the reverse direction (default true).")),
        ],
    );
    table(
        "The network between Regions.",
        &[],
        vec![
            (
                "jitter",
                dist(
                    "Added to half the measured round trip on every link without an override (default exp(mean=1ms)).",
                ),
            ),
            ("link", array_of(link, "Per-link latency overrides.")),
        ],
    )
}

fn region() -> Value {
    let app_tier = table(
        "The Region's app tier; without it, capacity is not modelled (requests are served at once).",
        &["servers", "queue_limit", "service_time"],
        vec![
            ("servers", integer("Servers at the start, headroom included.")),
            ("queue_limit", integer("The most requests that may wait, not counting those in service.")),
            ("service_time", dist("Service time of one request.")),
        ],
    );
    table(
        "An AWS Region of the world.",
        &["name"],
        vec![("name", string("The AWS Region name, such as \"us-east-1\".")), ("app_tier", app_tier)],
    )
}

fn store() -> Value {
    table(
        "A data store and its replication. Which fields apply depends on `type`.",
        &["name", "type"],
        vec![
            ("name", string("The store's name, referred to by populations, faults and actions.")),
            (
                "type",
                one_of(
                    &["dynamodb_global_table", "aurora_global_database", "s3_replication", "quorum"],
                    "The kind of store.",
                ),
            ),
            (
                "multi_region_consistency",
                one_of(&["EVENTUAL", "STRONG"], "dynamodb_global_table: MREC (EVENTUAL, default) or MRSC (STRONG)."),
            ),
            ("regions", regions("dynamodb_global_table and quorum: the replica Regions.")),
            (
                "replication_delay",
                dist("Time from commit until the writing Region ships the write (before the network delay)."),
            ),
            ("witness", string("dynamodb_global_table with STRONG: the witness Region of a two-replica table.")),
            ("witnesses", regions("quorum: members that vote but hold no readable data.")),
            ("write_quorum", integer("quorum: W, members that must have a write before it succeeds.")),
            ("read_quorum", integer("quorum: R, members whose replies a strongly consistent read waits for.")),
            ("timeout", duration("quorum: how long a coordinator waits for a quorum.")),
            ("read_repair", boolean("quorum: reads repair stale members.")),
            ("apply", one_of(&["on_commit", "on_receipt"], "quorum: when a member applies a replicated write.")),
            ("writer", string("aurora_global_database: the writer Region.")),
            ("secondaries", regions("aurora_global_database: the secondary Regions.")),
            ("headless_secondaries", regions("aurora_global_database: secondaries without a DB instance.")),
            (
                "write_forwarding",
                one_of(
                    &["EVENTUAL", "SESSION", "GLOBAL"],
                    "aurora_global_database: enables write forwarding with this aurora_replica_read_consistency.",
                ),
            ),
            ("replication_lag", dist("aurora: storage replication lag; s3: the replication lag (default by rtc).")),
            ("commit_latency", dist("aurora and s3: the local commit (or request) latency.")),
            ("switchover_promotion", duration("aurora: promotion time of a switchover after sync.")),
            ("failover_promotion", dist("aurora: promotion time of a failover.")),
            (
                "fence_gap",
                duration("aurora: how long the old writer keeps taking writes after a failover starts (split brain)."),
            ),
            ("rds_global_db_rpo", duration("aurora (PostgreSQL): rds.global_db_rpo.")),
            ("endpoint_update_delay", duration("aurora: global writer endpoint repointing after a promotion.")),
            ("instance_creation", dist("aurora: adding an instance to a headless secondary.")),
            ("buckets", regions("s3_replication: the Regions with a bucket.")),
            (
                "rules",
                json!({
                    "type": "array",
                    "items": { "type": "array", "items": { "type": "string" } },
                    "description": "s3_replication: replication rules, each [\"from-region\", \"to-region\"].",
                }),
            ),
            ("rtc", boolean("s3_replication: S3 Replication Time Control (chooses the default lag).")),
            ("delete_marker_replication", boolean("s3_replication: delete markers are replicated (default false).")),
            ("existing_objects", integer("s3_replication: objects that predate the rules in the source bucket.")),
            (
                "replication_retry_interval",
                duration(
                    "How long a link's backlog of lost replication messages waits before it is resent, when the \
                     path is open by then (a heal resends at once; default 1s).",
                ),
            ),
            (
                "catch_up_rate",
                integer(
                    "How fast a member, replica or secondary that missed messages is brought back up to date \
                     once its path heals, in items (quorum and MRSC: items streamed by a sync) or messages \
                     (DynamoDB MREC copies, Aurora, S3: held messages resent) per second (default 10000, at least 1).",
                ),
            ),
            (
                "idempotency",
                boolean("Writes carry an idempotency key the store enforces (a conditional put on the key)."),
            ),
            (
                "per_item_order",
                boolean("dynamodb_global_table (MREC): an item's changes replicate in order (default true)."),
            ),
        ],
    )
}

fn keys() -> Value {
    table(
        "How an operation picks its key: exactly one of uniform, zipf (with exponent) or hot_set (with \
         hot_key_fraction and hot_traffic_fraction).",
        &[],
        vec![
            ("uniform", integer("Keys, each equally likely.")),
            ("zipf", integer("Keys with Zipf-distributed popularity (rank 0 the most popular).")),
            ("exponent", number("zipf: the exponent.")),
            ("hot_set", integer("Keys, a fraction of which (hot) take a fraction of the traffic.")),
            ("hot_key_fraction", number("hot_set: the share of keys that are hot.")),
            ("hot_traffic_fraction", number("hot_set: the share of traffic the hot keys take.")),
        ],
    )
}

fn operation() -> Value {
    table(
        "One line of an operation mix.",
        &["type", "keys"],
        vec![
            ("weight", number("Relative weight among the population's operations.")),
            ("store", string("The store; for a multi-store write, the first step (or give steps).")),
            ("steps", regions("A write across several stores, in this order (not atomic).")),
            (
                "on_partial",
                one_of(
                    &["leave", "retry", "compensate"],
                    "What the application does when a step fails after earlier steps wrote (default leave).",
                ),
            ),
            ("repair_after", duration("on_partial = \"retry\": when the failed step is tried again.")),
            (
                "type",
                one_of(
                    &["read", "write", "delete", "conditional_write", "conditional_update"],
                    "What the operation does.",
                ),
            ),
            ("keys", keys()),
            ("consistent_read", boolean("For reads: DynamoDB's ConsistentRead (default false).")),
        ],
    )
}

fn rate_profile() -> Value {
    table(
        "A rate that changes over simulated time.",
        &["type"],
        vec![
            ("type", one_of(&["steps", "ramp", "daily", "piecewise"], "The shape of the profile.")),
            (
                "points",
                json!({
                    "type": "array",
                    "items": { "type": "array", "items": { "type": ["string", "number"] } },
                    "description": "steps / piecewise: [[\"0s\", 100.0], [\"5m\", 300.0]] (time, requests per second).",
                }),
            ),
            ("from_rate", number("ramp: the rate before start.")),
            ("to_rate", number("ramp: the rate after end.")),
            ("start", duration("ramp: when the ramp starts.")),
            ("end", duration("ramp: when the ramp ends.")),
            ("mean_rate", number("daily: mean * (1 + amplitude * cos(2 pi (t - peak_at) / period)).")),
            ("amplitude", number("daily: relative amplitude.")),
            ("period", duration("daily: the period.")),
            ("peak_at", duration("daily: when the rate peaks.")),
        ],
    )
}

fn population() -> Value {
    let retry = table(
        "Retries with full-jitter exponential backoff.",
        &[],
        vec![
            ("max_attempts", integer("Attempts in all, the first included.")),
            ("base_delay", duration("The first retry's delay bound.")),
            ("max_delay", duration("The largest delay bound.")),
        ],
    );
    table(
        "A group of clients near one Region. Exactly one of rate, rate_profile, sessions or trace.",
        &["name", "region", "access_latency"],
        vec![
            ("name", string("The population's name.")),
            ("region", string("The Region these clients are near; their users' home Region.")),
            ("access_latency", dist("One-way latency to their own Region.")),
            (
                "latency",
                json!({
                    "type": "object",
                    "additionalProperties": dist("One-way latency to this Region."),
                    "description": "One-way latency to other Regions, by Region name (default: access latency plus \
                                    half the measured round trip from their own Region).",
                }),
            ),
            ("rate", number("Open loop: a constant rate (requests per second).")),
            ("rate_profile", rate_profile()),
            ("sessions", integer("Closed loop: sessions, each thinking between operations.")),
            ("think_time", dist("Closed loop: think time between a session's operations.")),
            (
                "trace",
                string("Trace replay: a CSV file (time,client,operation,store,key[,size]), relative to the scenario."),
            ),
            ("operation", array_of(operation(), "The operation mix.")),
            ("store", string("Shorthand for a two-line mix on one store: read_fraction reads, the rest writes.")),
            ("read_fraction", number("Shorthand: the share of reads.")),
            ("keys", keys()),
            ("users", integer("Users an open-loop population's operations are spread over.")),
            ("timeout", duration("An attempt with no response after this long has failed (default 5s).")),
            ("retry", retry),
            ("pinning", boolean("Writes go to the user's home Region.")),
            (
                "read_your_writes_window",
                duration("After a write, the user's reads go to the writer's Region for this long."),
            ),
            (
                "entry",
                one_of(
                    &["static", "route53", "global_accelerator"],
                    "How the clients reach the Regions: always their own Region (static, default), through the \
                     [route53] name, or through the [global_accelerator].",
                ),
            ),
            ("reads_via_cloudfront", boolean("Reads go through the [cloudfront] origin group (default false).")),
            ("resolvers", integer("Recursive resolvers the users go through, 1..100000 (default 100).")),
            (
                "ttl_violator_share",
                number("The share of resolvers that hold answers past the TTL, 0..1 (default 0.0874)."),
            ),
            (
                "ttl_violator_hold",
                dist("How long a violating resolver holds an answer (default lognormal(median=300s, sigma=1.48))."),
            ),
            ("client_cache", client_cache()),
            (
                "keep_alive_idle",
                duration("A connection unused this long is closed (default: a new connection per request)."),
            ),
        ],
    )
}

fn client_cache() -> Value {
    json!({
        "type": ["string", "object"],
        "description": "A DNS cache in the client: \"none\" (default), { at_least = \"60s\" } (a browser keeps an \
                        answer at least that long) or { fixed = \"30s\" } (the JVM keeps it exactly that long).",
        "properties": {
            "at_least": duration("Keep an answer for its TTL but at least this long."),
            "fixed": duration("Keep an answer this long whatever its TTL."),
        },
        "additionalProperties": false,
    })
}

fn fault() -> Value {
    table(
        "A fault, written out. Which fields apply depends on type.",
        &["type", "start"],
        vec![
            ("type", one_of(FAULT_TYPES, "The kind of fault.")),
            ("start", duration("When it starts.")),
            ("end", duration("When it heals (default: the end of the fault phase).")),
            ("permanent", boolean("The Region never comes back (instead of end; whole-Region outages only).")),
            ("region", string("The Region it strikes.")),
            ("scope", one_of(SCOPES, "region_outage: what it takes down (default \"region\").")),
            ("store", string("region_outage with scope \"store\", replication_impairment: the store.")),
            ("side_a", regions("partition: one group of Regions.")),
            ("side_b", regions("partition: the other group of Regions.")),
            ("direction", one_of(&["both", "a_to_b"], "partition: \"both\" (default) or \"a_to_b\" (one-way).")),
            (
                "mode",
                one_of(&["drop", "hold"], "partition: \"drop\" (default: lost, resent after a timeout) or \"hold\"."),
            ),
            ("from", string("degraded_link: the link; replication_impairment: the source Region.")),
            ("to", string("degraded_link: the other end of the link.")),
            ("symmetric", boolean("degraded_link: also degrade to -> from (default true).")),
            ("extra_latency", dist("degraded_link: latency added to each message.")),
            ("loss", number("degraded_link: share of messages lost, 0..1 (default 0).")),
            (
                "offset",
                json!({
                    "type": "string",
                    "description": "clock_skew: how far the Region's clock is from true time, a signed duration such as \"-150ms\".",
                }),
            ),
            ("drift_ppm", number("clock_skew: drift in parts per million (default 0).")),
            (
                "slowdown",
                number("replication_impairment: delays multiplied by this (> 1); absent: replication stalls."),
            ),
            ("period", duration("health_check_flapping: the health endpoint fails for a period, then passes for one.")),
        ],
    )
}

fn fault_generator() -> Value {
    table(
        "Faults drawn from the seed: for each target Region, a renewal process of faults of one type.",
        &["type", "rate_per_hour", "duration"],
        vec![
            ("type", one_of(FAULT_TYPES, "The kind of fault.")),
            ("regions", regions("The Regions it may strike (default every Region).")),
            ("rate_per_hour", number("Mean faults per hour per target.")),
            ("duration", dist("How long each fault lasts.")),
            ("scope", one_of(SCOPES, "region_outage: the scope.")),
            ("extra_latency", dist("degraded_link: extra latency.")),
            ("loss", number("degraded_link: share of messages lost.")),
            ("offset", dist("clock_skew: the offset distribution (signed, such as \"normal(mean=0ms, sd=100ms)\").")),
            ("mode", one_of(&["drop", "hold"], "partition: \"drop\" or \"hold\".")),
            ("period", duration("health_check_flapping: the flapping period.")),
        ],
    )
}

fn expect() -> Value {
    let bound = |what: &str| json!({ "type": "number", "description": format!("The metric must be {what} this.") });
    table(
        "An assertion `mrsim check` evaluates: a summary.json metric, one bound, per seed or on the mean.",
        &["metric"],
        vec![
            (
                "metric",
                json!({ "type": "string", "description": "A dotted path into summary.json, such as \"writes.lost_last_writer_wins\" or \"stores.orders.rpo_writes\"." }),
            ),
            ("equals", bound("equal to")),
            ("at_most", bound("at most")),
            ("at_least", bound("at least")),
            ("less_than", bound("less than")),
            ("greater_than", bound("greater than")),
            (
                "per",
                one_of(
                    &["seed", "mean"],
                    "\"seed\" (default): every seed must pass; \"mean\": the mean over the seeds must.",
                ),
            ),
        ],
    )
}

fn action() -> Value {
    let when = table(
        "What sets the action off: { alarm = \"name\" } or { region_unhealthy = \"us-east-1\", for = \"60s\" }.",
        &[],
        vec![
            ("alarm", string("When this [[alarm]] goes into ALARM.")),
            ("region_unhealthy", string("When the routing tier has counted this Region unhealthy for `for`.")),
            ("for", duration("region_unhealthy: how long the Region must have been unhealthy.")),
        ],
    );
    table(
        "A runbook action, at a time or when a condition is met. Which fields apply depends on type.",
        &["type"],
        vec![
            (
                "type",
                one_of(
                    &[
                        "scale_out",
                        "repin",
                        "aurora_switchover",
                        "aurora_failover",
                        "aurora_add_instance",
                        "s3_batch_replication",
                        "routing_control",
                        "route53_record_change",
                        "traffic_dial",
                    ],
                    "The action.",
                ),
            ),
            ("at", duration("When it is set off (exactly one of at and when).")),
            ("when", when),
            ("reaction_time", duration("How long it takes to carry out once set off (default 0s).")),
            (
                "region",
                string("scale_out, aurora_add_instance: the Region; traffic_dial: the endpoint group's Region."),
            ),
            ("servers", integer("scale_out: servers added.")),
            ("provisioning_delay", duration("scale_out: how long the servers take to arrive.")),
            ("from", string("repin: the home Region users leave.")),
            ("to", string("repin: their new home Region.")),
            ("store", string("aurora_* and s3_batch_replication: the store.")),
            ("target", string("aurora_switchover / aurora_failover: the secondary Region to promote.")),
            ("allow_data_loss", boolean("aurora_failover: must be true (FailoverGlobalCluster --allow-data-loss).")),
            ("control", string("routing_control: the [[routing_control]] to set.")),
            ("state", one_of(&["On", "Off"], "routing_control: the control's new state.")),
            ("record", string("route53_record_change: the Region of the [[route53.record]] to change.")),
            ("weight", integer("route53_record_change: the record's new weight, 0..255 (weighted records).")),
            ("withdraw", boolean("route53_record_change: true withdraws the record, false restores it.")),
            ("traffic_dial_percentage", number("traffic_dial: the endpoint group's new dial, 0..100.")),
        ],
    )
}

fn route53() -> Value {
    let health_check = table(
        "A Route 53 health check of one Region's endpoint, or one backed by an ARC routing control.",
        &["name", "region"],
        vec![
            ("name", string("The health check's name, referred to by records and alarms.")),
            ("region", string("The Region whose endpoint is checked.")),
            ("request_interval", duration("\"10s\" or \"30s\" (default 30s).")),
            ("failure_threshold", integer("Consecutive results that flip a checker, 1..10 (default 3).")),
            ("checkers", integer("Checkers probing independently, 1..64 (default 15).")),
            ("type", one_of(&["HTTP", "HTTPS", "TCP"], "The probe's protocol (default HTTPS).")),
            ("dependencies", regions("A deep check: the stores the endpoint depends on (default none).")),
            (
                "routing_control",
                string("Backed by this [[routing_control]] instead of probes (then no probing fields)."),
            ),
        ],
    );
    let record = table(
        "A record of the name: an alias to one Region's load balancer.",
        &["region"],
        vec![
            ("region", string("The Region; at most one record per Region.")),
            ("weight", integer("weighted: the record's weight, 0..255.")),
            ("failover", one_of(&["PRIMARY", "SECONDARY"], "failover: the record's role.")),
            ("health_check", string("The [[route53.health_check]] the record is associated with.")),
            (
                "evaluate_target_health",
                boolean("The alias is healthy only while its load balancer has a healthy target (default true)."),
            ),
        ],
    );
    table(
        "A Route 53 name clients resolve (population entry = \"route53\").",
        &["routing_policy"],
        vec![
            ("ttl", duration("The records' TTL, whole seconds (default 60s, an alias to a load balancer).")),
            ("routing_policy", one_of(&["latency", "weighted", "failover"], "How Route 53 picks a record.")),
            (
                "control_plane_region",
                string("Where Route 53's control plane runs (default us-east-1 when the scenario declares it)."),
            ),
            (
                "change_propagation",
                duration("A record change reaches the authoritative servers after this long (default 60s)."),
            ),
            ("health_check", array_of(health_check, "The health checks.")),
            ("record", array_of(record, "The records, at least one.")),
        ],
    )
}

fn global_accelerator() -> Value {
    let group = table(
        "One Region's endpoint group.",
        &["region"],
        vec![
            ("region", string("The Region; one group per Region.")),
            ("traffic_dial_percentage", number("The share of the group's traffic it takes, 0..100 (default 100).")),
            ("health_check_interval_seconds", integer("10 or 30 (default 30).")),
            ("threshold_count", integer("Consecutive results that flip an endpoint, 1..10 (default 3).")),
            (
                "endpoint_weights",
                json!({
                    "type": "array",
                    "items": { "type": "integer" },
                    "description": "The endpoints' weights, each 0..255 (default [128]).",
                }),
            ),
            (
                "load_balancer",
                boolean("The endpoints are load balancers: their health is the load balancer's own (default true)."),
            ),
        ],
    );
    table(
        "A Global Accelerator clients connect through (population entry = \"global_accelerator\").",
        &[],
        vec![
            ("client_affinity", one_of(&["NONE", "SOURCE_IP"], "The listener's client affinity (default NONE).")),
            ("idle_timeout", duration("A flow idle this long is forgotten (default 350s).")),
            ("recovery_delay", duration("Normal routing resumes this long after an endpoint recovers (default 30s).")),
            (
                "control_plane_region",
                string(
                    "Where Global Accelerator's control plane runs (default us-west-2 when the scenario declares it).",
                ),
            ),
            ("endpoint_group", array_of(group, "The endpoint groups, at least one.")),
        ],
    )
}

fn cloudfront() -> Value {
    table(
        "A CloudFront distribution with an origin group; reads of populations with reads_via_cloudfront fail over.",
        &["primary", "secondary"],
        vec![
            ("primary", string("The primary origin's Region.")),
            ("secondary", string("The secondary origin's Region, another Region.")),
            (
                "failover_criteria_status_codes",
                json!({
                    "type": "array",
                    "items": { "type": "integer" },
                    "description": "Status codes that send a GET to the secondary, each one of 403, 404, 500, 502, \
                                    503, 504 (default [500, 502, 503, 504]).",
                }),
            ),
            ("connection_timeout", duration("Per connection attempt, whole seconds 1s..10s (default 10s).")),
            ("connection_attempts", integer("Attempts before the secondary is tried, 1..3 (default 3).")),
        ],
    )
}

fn routing_control() -> Value {
    table(
        "An ARC routing control.",
        &["name"],
        vec![
            ("name", string("The control's name, referred to by health checks and actions.")),
            ("state", one_of(&["On", "Off"], "The state at the start (default On).")),
        ],
    )
}

fn load_balancer_health() -> Value {
    table(
        "The load balancers' health checks of their targets (ALB target-group defaults).",
        &[],
        vec![
            ("health_check_interval_seconds", integer("5..300 (default 30).")),
            ("unhealthy_threshold_count", integer("Failures that mark a target unhealthy, 2..10 (default 2).")),
            ("healthy_threshold_count", integer("Successes that mark it healthy again, 2..10 (default 5).")),
            ("health_check_timeout_seconds", integer("2..120, less than the interval (default 5).")),
        ],
    )
}

fn alarm() -> Value {
    table(
        "A CloudWatch metric alarm (PutMetricAlarm's parameters); actions can wait for it.",
        &["name", "metric", "threshold", "comparison_operator"],
        vec![
            ("name", string("The alarm's name, referred to by actions' when = { alarm = ... }.")),
            (
                "metric",
                one_of(
                    &["error_rate", "replication_lag", "rpo_lag", "conflicts", "health_check_status"],
                    "What the alarm watches.",
                ),
            ),
            ("region", string("error_rate, replication_lag, rpo_lag: only this Region (default every Region).")),
            ("store", string("replication_lag, rpo_lag, conflicts: only this store (default every store).")),
            ("health_check", string("health_check_status: the [[route53.health_check]].")),
            (
                "statistic",
                one_of(&["Average", "Sum", "Minimum", "Maximum", "SampleCount"], "The statistic (default Average)."),
            ),
            ("period", duration("The length of one datapoint (default 60s).")),
            ("evaluation_periods", integer("N, the datapoints judged (default 1).")),
            ("datapoints_to_alarm", integer("M of N that must breach (default evaluation_periods).")),
            ("threshold", number("The threshold.")),
            (
                "comparison_operator",
                one_of(
                    &[
                        "GreaterThanThreshold",
                        "GreaterThanOrEqualToThreshold",
                        "LessThanThreshold",
                        "LessThanOrEqualToThreshold",
                    ],
                    "How a datapoint is compared with the threshold.",
                ),
            ),
            (
                "treat_missing_data",
                one_of(
                    &["missing", "notBreaching", "breaching", "ignore"],
                    "How missing datapoints count (default missing).",
                ),
            ),
        ],
    )
}

/// The schema as a JSON value.
pub fn schema() -> Value {
    let mut root = table(
        "An mrsim scenario: Regions, stores, client populations, the routing tier, alarms, faults and actions.",
        &["scenario"],
        vec![
            (
                "include",
                json!({
                    "type": ["string", "array"],
                    "items": { "type": "string" },
                    "description": "Scenario fragments to merge in first, in order, paths relative to this file; \
                        tables merge key by key, a later file's value (an array of tables included) replaces an \
                        earlier one.",
                }),
            ),
            ("scenario", header()),
            ("network", network()),
            ("region", array_of(region(), "The Regions, each once.")),
            ("store", array_of(store(), "The data stores.")),
            ("population", array_of(population(), "The client populations.")),
            ("fault", array_of(fault(), "The fault schedule.")),
            ("fault_generator", array_of(fault_generator(), "Faults drawn from the seed at a rate.")),
            ("action", array_of(action(), "Runbook actions.")),
            ("route53", route53()),
            ("global_accelerator", global_accelerator()),
            ("cloudfront", cloudfront()),
            ("routing_control", array_of(routing_control(), "ARC routing controls.")),
            ("load_balancer_health", load_balancer_health()),
            ("alarm", array_of(alarm(), "CloudWatch-style alarms.")),
            ("expect", array_of(expect(), "Assertions for mrsim check.")),
        ],
    );
    let object = root.as_object_mut().expect("a table is an object");
    object.insert("$schema".into(), json!("http://json-schema.org/draft-07/schema#"));
    object.insert("title".into(), json!("mrsim scenario"));
    root
}

/// `mrsim schema`'s output: the schema, pretty-printed, with a final newline.
pub fn schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&schema()).expect("a JSON value always serialises");
    text.push('\n');
    text
}
