//! `mrsim validate`, `explain`, `schema` and the fuller `run` folder, as a user meets them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn mrsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mrsim")).args(args).output().expect("the mrsim binary runs")
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("experiments/ sits in the workspace").to_path_buf()
}

fn scenario(name: &str) -> String {
    repo_root().join(format!("experiments/scenarios/{name}.toml")).display().to_string()
}

const SHIPPED: &[&str] = &[
    "skeleton",
    "world",
    "reference-walk",
    "mrsc",
    "aurora",
    "s3",
    "include-example",
    "failover/route53-ttl60",
    "failover/route53-fast",
    "failover/global-accelerator",
    "failover/cloudfront",
    "failover/cloudfront-1s",
    "bench/model",
    "bench/hot-keys",
    "ecommerce/no-headroom",
    "ecommerce/headroom-30",
    "chaos/regional-failover",
    "chaos/split-brain",
    "chaos/aurora-promotion",
    "chaos/aurora-promotion-unfenced",
    "chaos/aurora-promotion-rpo-bound",
    "reference-walk/route53-failover",
    "reference-walk/global-accelerator-failover",
    "reference-walk/planned-switchover",
    "sweeps/failover-timing",
    "sweeps/mrec-pinning",
    "sweeps/mrec-vs-mrsc",
    "sweeps/active-active",
    "sweeps/warm-standby",
    "sweeps/deep-vs-shallow",
];

/// A fresh, empty folder under the target directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("commands-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("UTF-8 output")
}

mod validate {
    use super::*;

    #[test]
    fn a_shipped_scenario_is_valid_and_counted() {
        let o = mrsim(&["validate", &scenario("world")]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let text = stdout(&o);
        assert!(text.contains(": valid (3 Regions, 3 stores, 4 populations, 7 faults, 2 actions)\n"), "{text}");
        assert!(text.contains("\n  estimated cost: ") && text.ends_with(" of memory at most\n"), "{text}");
    }

    #[test]
    fn a_bad_scenario_prints_every_problem_and_exits_2() {
        let dir = scratch("validate-bad");
        let bad = dir.join("bad.toml");
        let text = std::fs::read_to_string(scenario("skeleton")).unwrap().replace("us-west-2", "us-west-9");
        std::fs::write(&bad, text).unwrap();
        let o = mrsim(&["validate", bad.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("bad.toml:") && err.contains("us-west-9"), "{err}");
        assert!(o.stdout.is_empty(), "nothing claims validity: {}", stdout(&o));
    }
}

/// An explanation without its comment lines (what keys mean, where values come from): the keys
/// and values alone, in order.
fn without_comments(text: &str) -> String {
    text.lines().filter(|l| !l.starts_with('#')).map(|l| format!("{l}\n")).collect()
}

mod explain {
    use super::*;

    #[test]
    fn defaults_are_filled_in_and_marked() {
        let o = mrsim(&["explain", &scenario("skeleton")]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let text = stdout(&o);
        assert!(text.contains("# strikes us-east-1"), "{text}");
        assert!(text.contains("# A run firing more events than this fails (default 200000000).\nmax_events"), "{text}");
        let text = without_comments(&text);
        for needle in [
            "[scenario]",
            "max_events = 200000000  # default",
            "app_tier = \"capacity not modelled\"  # default",
            "link.us-west-2 = \"32.1ms + exp(mean=1ms)\"  # default",
            "replication_delay = \"lognormal(median=500ms, sigma=0.5)\"\n",
            "idempotency = false  # default",
            "timeout = \"2s\"\n",
            "retry = { max_attempts = 3, base_delay = \"50ms\", max_delay = \"20s\" }  # default",
            "keys = { uniform = 8 }",
            "latency.us-west-2 = \"32.1ms + lognormal(median=10ms, sigma=0.3)\"  # default",
        ] {
            assert!(text.contains(needle), "explain lacks {needle:?}:\n{text}");
        }
    }

    #[test]
    fn every_store_kind_is_explained_byte_identically_twice() {
        for name in SHIPPED {
            let (a, b) = (mrsim(&["explain", &scenario(name)]), mrsim(&["explain", &scenario(name)]));
            assert!(a.status.success(), "{name}: {}", String::from_utf8_lossy(&a.stderr));
            assert_eq!(a.stdout, b.stdout, "{name}: explain is deterministic");
        }
        let aurora = stdout(&mrsim(&["explain", &scenario("aurora")]));
        assert!(aurora.contains("endpoint_update_delay = \"30s\"  # default"), "{aurora}");
        let s3 = stdout(&mrsim(&["explain", &scenario("s3")]));
        assert!(s3.contains("commit_latency = \"lognormal(median=20ms, sigma=0.5)\"  # default"), "{s3}");
        let mrsc = stdout(&mrsim(&["explain", &scenario("mrsc")]));
        assert!(mrsc.contains("write_quorum = 2  # default"), "{mrsc}");
    }

    /// `--metrics` lists every metric of summary.json with its unit and definition; a scenario's
    /// stores name their rows, and every path it prints is one `[[expect]]` accepts.
    #[test]
    fn metrics_are_defined_with_units() {
        let o = mrsim(&["explain", "--metrics"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let text = stdout(&o);
        for needle in [
            "\nwrites.lost_last_writer_wins  (count)\n  Acknowledged writes lost to a last-writer-wins conflict",
            "\nreads.stale_fraction  (share, 0 to 1)\n",
            "\nlatency_ms.read.p99  (ms)\n  The 99th percentile (null with none). Of: Latency of successful read",
            "\nstores.{store}.rpo_s  (s)\n",
            "\nfaults.{index}.failover.detection_s  (s)\n",
            "\nactions.{index}.succeeded  (1 or 0)\n",
        ] {
            assert!(text.contains(needle), "lacks {needle:?}:\n{text}");
        }
        let named = stdout(&mrsim(&["explain", "--metrics", &scenario("aurora")]));
        let rows = |t: &str| t.lines().filter(|l| !l.starts_with('#')).collect::<Vec<_>>().join("\n");
        assert!(!rows(&named).contains("{store}"), "the scenario's stores name the rows:\n{named}");
        assert!(!rows(&named).contains("{app_tier}"), "no app tier, no app tier rows:\n{named}");
        let s = experiments::scenario::load(std::path::Path::new(&scenario("aurora"))).expect("valid");
        let stores: Vec<String> = s.world.stores.iter().map(|s| s.name.clone()).collect();
        let populations: Vec<String> = s.world.populations.iter().map(|p| p.name.clone()).collect();
        let names = experiments::metrics_path::Names { stores: &stores, app_tiers: &[], populations: &populations };
        let paths: Vec<&str> = named.lines().filter(|l| !l.starts_with([' ', '#']) && !l.is_empty()).collect();
        assert!(paths.len() > 100, "{}", paths.len());
        for line in paths {
            let path = line.split("  (").next().unwrap().replace("{index}", "0").replace("{rejection}", "no_quorum");
            assert!(experiments::metrics_path::is_known(&path, &names), "{path} is not a metric of this scenario");
        }
        let o = mrsim(&["explain"]);
        assert_eq!(o.status.code(), Some(2), "a scenario is needed without --metrics");
    }

    #[test]
    fn a_bad_scenario_exits_2() {
        let o = mrsim(&["explain", "/nonexistent/scenario.toml"]);
        assert_eq!(o.status.code(), Some(2));
    }
}

mod schema {
    use super::*;

    /// A validator for the subset of JSON Schema that `mrsim schema` uses: type (a name or a
    /// list), properties, required, additionalProperties (false or a schema), enum, items, anyOf.
    /// Returns the first problem with its JSON path.
    pub(super) fn check(schema: &Value, value: &Value, path: &str) -> Result<(), String> {
        if let Some(t) = schema.get("type") {
            let names: Vec<&str> = match t {
                Value::String(s) => vec![s.as_str()],
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                _ => return Err(format!("{path}: bad type in schema")),
            };
            let fits = |name: &str| match name {
                "object" => value.is_object(),
                "array" => value.is_array(),
                "string" => value.is_string(),
                "boolean" => value.is_boolean(),
                "integer" => value.is_i64() || value.is_u64(),
                "number" => value.is_number(),
                _ => false,
            };
            if !names.iter().any(|n| fits(n)) {
                return Err(format!("{path}: found {value}; expected {names:?}"));
            }
        }
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
            && !allowed.contains(value)
        {
            return Err(format!("{path}: {value} is not one of {allowed:?}"));
        }
        if let Some(options) = schema.get("anyOf").and_then(Value::as_array) {
            let problems: Vec<String> = options.iter().filter_map(|o| check(o, value, path).err()).collect();
            if problems.len() == options.len() {
                return Err(format!("{path}: fits none of its forms: {}", problems.join("; ")));
            }
        }
        if let Some(object) = value.as_object() {
            let properties = schema.get("properties").and_then(Value::as_object);
            for name in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
                let name = name.as_str().unwrap();
                if !object.contains_key(name) {
                    return Err(format!("{path}: required key {name} is missing"));
                }
            }
            for (key, v) in object {
                let at = format!("{path}.{key}");
                match (properties.and_then(|p| p.get(key)), schema.get("additionalProperties")) {
                    (Some(s), _) => check(s, v, &at)?,
                    (None, Some(Value::Bool(false))) => return Err(format!("{at}: unknown key")),
                    (None, Some(s)) if s.is_object() => check(s, v, &at)?,
                    (None, _) => {}
                }
            }
        }
        if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
            for (i, v) in array.iter().enumerate() {
                check(items, v, &format!("{path}[{i}]"))?;
            }
        }
        Ok(())
    }

    pub(super) fn schema() -> Value {
        let o = mrsim(&["schema"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice(&o.stdout).expect("the schema is JSON")
    }

    /// The scenario as `mrsim` reads it: with its includes merged (a file that includes a shared
    /// world may leave required keys to it).
    fn scenario_json(name: &str) -> Value {
        let path = scenario(name);
        let text = experiments::scenario::include::read_resolved(std::path::Path::new(&path))
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        toml::from_str::<Value>(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    #[test]
    fn is_draft_07_json_and_every_shipped_scenario_fits_it() {
        let schema = schema();
        assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
        assert_eq!(schema["additionalProperties"], false);
        for name in SHIPPED {
            check(&schema, &scenario_json(name), "$").unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    #[test]
    fn an_unknown_key_or_a_bad_enum_does_not_fit() {
        let schema = schema();
        let mut typo = scenario_json("skeleton");
        typo["population"][0]["read_fractoin"] = Value::from(0.5);
        let e = check(&schema, &typo, "$").expect_err("an unknown key");
        assert!(e.contains("read_fractoin") && e.contains("unknown key"), "{e}");
        let mut bad = scenario_json("skeleton");
        bad["store"][0]["type"] = Value::from("dynamo");
        assert!(check(&schema, &bad, "$").expect_err("a bad enum").contains("is not one of"));
        let mut missing = scenario_json("skeleton");
        missing["scenario"].as_object_mut().unwrap().remove("duration");
        assert!(check(&schema, &missing, "$").expect_err("a missing key").contains("duration"));
        let mut cache = scenario_json("skeleton");
        cache["population"][0]["client_cache"] = serde_json::json!({ "at_last": "60s" });
        let e = check(&schema, &cache, "$").expect_err("a typo inside one of two forms");
        assert!(e.contains("at_last") && e.contains("fits none"), "{e}");
        cache["population"][0]["client_cache"] = serde_json::json!({ "at_least": "60s" });
        check(&schema, &cache, "$").expect("the table form fits");
    }

    #[test]
    fn every_table_rejects_unknown_keys() {
        fn walk(schema: &Value, path: &str) {
            if schema.get("type") == Some(&Value::from("object")) && schema.get("properties").is_some() {
                assert_eq!(schema["additionalProperties"], false, "{path}");
            }
            for (k, v) in schema.get("properties").and_then(Value::as_object).into_iter().flatten() {
                assert!(v.get("description").is_some(), "{path}.{k} has a description");
                walk(v, &format!("{path}.{k}"));
            }
            if let Some(items) = schema.get("items") {
                walk(items, &format!("{path}[]"));
            }
            for option in schema.get("anyOf").and_then(Value::as_array).into_iter().flatten() {
                walk(option, path);
            }
        }
        walk(&schema(), "$");
    }
}

/// A scenario with every routing section and alarm, parsed, explained, checked against the schema
/// and run.
mod routing {
    use super::*;
    use experiments::scenario;
    use models::alarm::{AlarmMetric, ComparisonOperator, Statistic, TreatMissingData};
    use models::config::{ActionKind, Trigger};
    use models::ids::{RegionId, StoreId};
    use models::routing::config::{
        ClientAffinity, ClientCache, Entry, FailoverRole, LoadBalancerHealth, ProbeProtocol, ResolverConfig,
        RoutingPolicy,
    };
    use sim_core::{Dist, SimDuration, SimTime};

    const ROUTING: &str = r#"[scenario]
name = "routing-syntax"
duration = "10m"

[[region]]
name = "us-east-1"

[[region]]
name = "us-west-2"

[[store]]
name = "orders"
type = "aurora_global_database"
writer = "us-east-1"
secondaries = ["us-west-2"]

[route53]
ttl = "30s"
routing_policy = "failover"

[[route53.health_check]]
name = "use1"
region = "us-east-1"
request_interval = "10s"
type = "TCP"
dependencies = ["orders"]

[[route53.health_check]]
name = "usw2-cell"
region = "us-west-2"
routing_control = "usw2-cell"

[[route53.record]]
region = "us-east-1"
failover = "PRIMARY"
health_check = "use1"

[[route53.record]]
region = "us-west-2"
failover = "SECONDARY"
health_check = "usw2-cell"
evaluate_target_health = false

[global_accelerator]
client_affinity = "SOURCE_IP"
control_plane_region = "us-east-1"

[[global_accelerator.endpoint_group]]
region = "us-east-1"
traffic_dial_percentage = 50

[[global_accelerator.endpoint_group]]
region = "us-west-2"
endpoint_weights = [128, 64]
health_check_interval_seconds = 10

[cloudfront]
primary = "us-east-1"
secondary = "us-west-2"
failover_criteria_status_codes = [503]

[[routing_control]]
name = "usw2-cell"
state = "Off"

[load_balancer_health]
healthy_threshold_count = 3

[[alarm]]
name = "use1-errors"
metric = "error_rate"
region = "us-east-1"
threshold = 0.05
comparison_operator = "GreaterThanThreshold"
evaluation_periods = 3

[[alarm]]
name = "rpo"
metric = "rpo_lag"
store = "orders"
statistic = "Maximum"
period = "10s"
threshold = 30
comparison_operator = "GreaterThanOrEqualToThreshold"
treat_missing_data = "notBreaching"

[[alarm]]
name = "use1-check"
metric = "health_check_status"
health_check = "use1"
threshold = 1
comparison_operator = "LessThanThreshold"

[[population]]
name = "dns"
region = "us-east-1"
access_latency = "10ms"
rate = 10.0
read_fraction = 0.5
store = "orders"
keys = { uniform = 8 }
entry = "route53"
client_cache = { at_least = "60s" }
keep_alive_idle = "60s"

[[population]]
name = "anycast"
region = "us-west-2"
access_latency = "10ms"
rate = 10.0
read_fraction = 0.5
store = "orders"
keys = { uniform = 8 }
entry = "global_accelerator"
reads_via_cloudfront = true
resolvers = 10
ttl_violator_share = 0.5
ttl_violator_hold = "exp(mean=10m)"

[[action]]
type = "routing_control"
control = "usw2-cell"
state = "On"
when = { alarm = "use1-errors" }
reaction_time = "2m"

[[action]]
type = "route53_record_change"
record = "us-east-1"
withdraw = true
when = { region_unhealthy = "us-east-1", for = "60s" }

[[action]]
type = "traffic_dial"
region = "us-east-1"
traffic_dial_percentage = 0
at = "5m"
"#;

    fn write(dir: &str) -> PathBuf {
        let file = scratch(dir).join("routing.toml");
        std::fs::write(&file, ROUTING).unwrap();
        file
    }

    #[test]
    fn every_key_resolves_with_aws_defaults() {
        let s = scenario::parse(Path::new("routing.toml"), ROUTING).unwrap_or_else(|e| panic!("{e}"));
        let w = &s.world;
        let (east, west) = (RegionId::new(0), RegionId::new(1));
        let secs = SimDuration::from_secs;

        let r53 = w.routing.route53.as_ref().expect("[route53]");
        assert_eq!((r53.ttl, r53.policy), (secs(30), RoutingPolicy::Failover));
        assert_eq!(r53.control_plane_region, Some(east), "default: us-east-1, declared");
        assert_eq!(r53.change_propagation, secs(60), "default");
        let check = &r53.health_checks[0];
        assert_eq!((check.region, check.request_interval, check.protocol), (east, secs(10), ProbeProtocol::Tcp));
        assert_eq!((check.failure_threshold, check.checkers), (3, 15), "defaults");
        assert_eq!((check.dependencies.clone(), check.routing_control), (vec![StoreId::new(0)], None));
        assert_eq!(r53.health_checks[1].routing_control, Some(0));
        let roles: Vec<_> = r53.records.iter().map(|r| (r.region, r.failover, r.health_check)).collect();
        assert_eq!(
            roles,
            [(east, Some(FailoverRole::Primary), Some(0)), (west, Some(FailoverRole::Secondary), Some(1))]
        );
        assert_eq!(r53.records.iter().map(|r| r.evaluate_target_health).collect::<Vec<_>>(), [true, false]);

        let ga = w.routing.accelerator.as_ref().expect("[global_accelerator]");
        assert_eq!(ga.client_affinity, ClientAffinity::SourceIp);
        assert_eq!((ga.idle_timeout, ga.recovery_delay), (secs(350), secs(30)), "defaults");
        assert_eq!(ga.control_plane_region, Some(east), "given");
        let [g0, g1] = &ga.endpoint_groups[..] else { panic!("two endpoint groups") };
        assert_eq!((g0.traffic_dial_percentage, g0.health_check_interval_seconds), (50.0, 30));
        assert_eq!((g0.threshold_count, g0.endpoint_weights.clone(), g0.load_balancer_endpoints), (3, vec![128], true));
        assert_eq!((g1.traffic_dial_percentage, g1.health_check_interval_seconds), (100.0, 10));
        assert_eq!(g1.endpoint_weights, [128, 64]);

        let cf = w.routing.cloudfront.as_ref().expect("[cloudfront]");
        assert_eq!((cf.primary, cf.secondary, cf.status_codes.clone()), (east, west, vec![503]));
        assert_eq!((cf.connection_timeout, cf.connection_attempts), (secs(10), 3), "defaults");
        assert_eq!(w.routing.routing_controls.len(), 1);
        assert!(!w.routing.routing_controls[0].initially_on);
        assert_eq!(
            w.routing.load_balancer,
            LoadBalancerHealth { healthy_threshold: 3, ..LoadBalancerHealth::default() }
        );

        let [errors, rpo, check_status] = &w.alarms[..] else { panic!("three alarms") };
        assert_eq!(errors.metric, AlarmMetric::ErrorRate { region: Some(east) });
        assert_eq!((errors.statistic, errors.period), (Statistic::Average, secs(60)), "defaults");
        assert_eq!((errors.evaluation_periods, errors.datapoints_to_alarm), (3, 3), "M defaults to N");
        assert_eq!((errors.threshold, errors.comparison_operator), (0.05, ComparisonOperator::GreaterThanThreshold));
        assert_eq!(errors.treat_missing_data, TreatMissingData::Missing);
        assert_eq!(rpo.metric, AlarmMetric::RpoLag { store: Some(StoreId::new(0)), region: None });
        assert_eq!((rpo.statistic, rpo.period, rpo.evaluation_periods), (Statistic::Maximum, secs(10), 1));
        assert_eq!((rpo.threshold, rpo.treat_missing_data), (30.0, TreatMissingData::NotBreaching));
        assert_eq!(check_status.metric, AlarmMetric::HealthCheckStatus { check: 0 });

        let (dns, anycast) = (&w.populations[0].routing, &w.populations[1].routing);
        assert_eq!((dns.entry, dns.reads_via_cloudfront), (Entry::Route53, false));
        assert_eq!(dns.resolvers, ResolverConfig::default());
        assert_eq!(dns.resolvers.violator_hold, Dist::lognormal_median(74e9, 1.48).unwrap(), "74 s in nanoseconds");
        assert_eq!((dns.client_cache, dns.keep_alive_idle), (ClientCache::AtLeast(secs(60)), Some(secs(60))));
        assert_eq!((anycast.entry, anycast.reads_via_cloudfront), (Entry::Accelerator, true));
        assert_eq!((anycast.resolvers.count, anycast.resolvers.ttl_violator_share), (10, 0.5));
        assert_eq!(anycast.resolvers.violator_hold, Dist::exponential(600e9).unwrap());
        assert_eq!((anycast.client_cache, anycast.keep_alive_idle), (ClientCache::None, None), "defaults");

        let actions: Vec<_> = w.actions.iter().map(|a| (a.trigger.clone(), a.reaction_time, a.kind.clone())).collect();
        assert_eq!(
            actions,
            [
                (Trigger::Alarm(0), secs(120), ActionKind::RoutingControl { control: 0, on: true }),
                (
                    Trigger::RegionUnhealthy { region: east, for_: secs(60) },
                    SimDuration::ZERO,
                    ActionKind::Route53RecordChange { record: 0, weight: None, present: Some(false) },
                ),
                (
                    Trigger::At(SimTime::at(secs(300))),
                    SimDuration::ZERO,
                    ActionKind::TrafficDial { group: 0, percentage: 0.0 },
                ),
            ]
        );
    }

    /// ROUTING with every key it leaves to its default given, and a weighted policy instead of
    /// failover (so `weight` applies): what the schema must describe and validation must accept.
    fn every_key() -> String {
        [
            (
                "routing_policy = \"failover\"",
                "routing_policy = \"weighted\"\ncontrol_plane_region = \"us-west-2\"\nchange_propagation = \"30s\"",
            ),
            ("failover = \"PRIMARY\"", "weight = 200"),
            ("failover = \"SECONDARY\"", "weight = 0"),
            ("type = \"TCP\"", "type = \"TCP\"\nfailure_threshold = 2\ncheckers = 16"),
            (
                "client_affinity = \"SOURCE_IP\"",
                "client_affinity = \"SOURCE_IP\"\nidle_timeout = \"90s\"\nrecovery_delay = \"10s\"",
            ),
            (
                "traffic_dial_percentage = 50",
                "traffic_dial_percentage = 50\nthreshold_count = 5\nload_balancer = false",
            ),
            ("[503]", "[503]\nconnection_timeout = \"5s\"\nconnection_attempts = 2"),
            (
                "healthy_threshold_count = 3",
                "healthy_threshold_count = 3\nhealth_check_interval_seconds = 10\nunhealthy_threshold_count = 3\n\
                 health_check_timeout_seconds = 4",
            ),
            (
                "evaluation_periods = 3",
                "evaluation_periods = 3\ndatapoints_to_alarm = 2\nstatistic = \"Sum\"\nperiod = \"30s\"\n\
                 treat_missing_data = \"ignore\"",
            ),
            ("store = \"orders\"\nstatistic", "store = \"orders\"\nregion = \"us-west-2\"\nstatistic"),
            (
                "entry = \"route53\"",
                "entry = \"route53\"\nreads_via_cloudfront = false\nresolvers = 50\nttl_violator_share = 0.1\n\
                 ttl_violator_hold = \"const(10m)\"",
            ),
            ("withdraw = true", "withdraw = true\nweight = 10"),
        ]
        .iter()
        .fold(ROUTING.to_string(), |text, (from, to)| {
            assert!(text.contains(from), "{from:?} is in the scenario");
            text.replacen(from, to, 1)
        })
    }

    #[test]
    fn every_key_fits_the_schema_and_validates() {
        let schema = super::schema::schema();
        for text in [ROUTING.to_string(), every_key()] {
            let value: Value = toml::from_str(&text).unwrap();
            super::schema::check(&schema, &value, "$").unwrap_or_else(|e| panic!("{e}"));
        }
        let s = scenario::parse(Path::new("every-key.toml"), &every_key()).unwrap_or_else(|e| panic!("{e}"));
        let r53 = s.world.routing.route53.as_ref().unwrap();
        assert_eq!(r53.policy, RoutingPolicy::Weighted);
        assert_eq!(r53.records.iter().map(|r| (r.weight, r.failover)).collect::<Vec<_>>(), [(200, None), (0, None)]);
        assert_eq!(r53.control_plane_region, Some(RegionId::new(1)));
        let ga = s.world.routing.accelerator.as_ref().unwrap();
        assert!(!ga.endpoint_groups[0].load_balancer_endpoints);
        let lb = &s.world.routing.load_balancer;
        assert_eq!((lb.interval, lb.timeout), (SimDuration::from_secs(10), SimDuration::from_secs(4)));
        assert_eq!(s.world.alarms[0].datapoints_to_alarm, 2);
        assert_eq!(s.world.populations[0].routing.resolvers.violator_hold, Dist::Constant(600e9));
        let change = &s.world.actions[1].kind;
        assert_eq!(*change, ActionKind::Route53RecordChange { record: 0, weight: Some(10), present: Some(false) });
    }

    #[test]
    fn explain_marks_the_defaults() {
        let o = mrsim(&["explain", write("routing-explain").to_str().unwrap()]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let text = stdout(&o);
        for needle in [
            "# healthy while the routing control is On; no probes",
            "# The records' TTL, whole seconds (default 60s, an alias to a load balancer).\nttl = \"30s\"\n",
            "# as the file gives it\n",
        ] {
            assert!(text.contains(needle), "explain lacks {needle:?}:\n{text}");
        }
        let text = without_comments(&text);
        for needle in [
            "[route53]\nttl = \"30s\"\nrouting_policy = \"failover\"\n",
            "control_plane_region = \"us-east-1\"  # default: us-east-1, declared in this scenario",
            "failure_threshold = 3  # default",
            "routing_control = \"usw2-cell\"\n\n[[route53.record]]",
            "evaluate_target_health = true  # default",
            "idle_timeout = \"350s\"  # default",
            "endpoint_weights = [128, 64]\n",
            "failover_criteria_status_codes = [503]\n",
            "[[routing_control]]\nname = \"usw2-cell\"\nstate = \"Off\"\n",
            "healthy_threshold_count = 3\n",
            "datapoints_to_alarm = 3  # default: evaluation_periods",
            "ttl_violator_hold = \"lognormal(median=74s, sigma=1.48)\"  # default",
            "client_cache = { at_least = \"1m\" }\n",
            "keep_alive_idle = \"none (a new connection per request)\"  # default",
            "when = { alarm = \"use1-errors\" }\nreaction_time = \"2m\"\n",
            "when = { region_unhealthy = \"us-east-1\", for = \"1m\" }\nreaction_time = \"0s\"  # default",
            "state = \"On\"\n",
            "withdraw = true\n",
        ] {
            assert!(text.contains(needle), "explain lacks {needle:?}:\n{text}");
        }
    }

    /// The models take the validated configuration as it is: a run ends, and the dial is set.
    #[test]
    fn runs() {
        let out = scratch("routing-run").join("out");
        let o = mrsim(&["run", write("routing-run-file").to_str().unwrap(), "--out", out.to_str().unwrap()]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(stdout(&o).contains("traffic_dial at 300s done: us-east-1 dial 0%"), "{}", stdout(&o));
    }
}

mod run_folder {
    use super::*;

    const NEW_FILES: &[&str] = &["manifest.json", "summary.md", "events.csv", "scenario.toml"];

    fn run_into(dir: &Path, name: &str) {
        let o = mrsim(&["run", &scenario(name), "--seed", "0x2a", "--out", dir.to_str().unwrap()]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }

    #[test]
    fn writes_the_manifest_markdown_events_and_scenario_byte_identically() {
        let dir = scratch("run-folder");
        let (a, b) = (dir.join("a"), dir.join("nested").join("b"));
        run_into(&a, "aurora");
        run_into(&b, "aurora");
        for name in NEW_FILES {
            let (x, y) = (std::fs::read(a.join(name)).unwrap(), std::fs::read(b.join(name)).unwrap());
            assert_eq!(x, y, "{name} is byte-identical across runs and folders");
        }
        assert_eq!(std::fs::read(a.join("scenario.toml")).unwrap(), std::fs::read(scenario("aurora")).unwrap());
        let manifest: Value = serde_json::from_slice(&std::fs::read(a.join("manifest.json")).unwrap()).unwrap();
        assert_eq!(manifest["seed"], "0x2a");
        assert_eq!(manifest["scenario"]["name"], "aurora");
        assert_eq!(manifest["mrsim_version"], env!("CARGO_PKG_VERSION"));
        let files = manifest["files"].as_array().unwrap();
        assert!(files.iter().any(|f| f["name"] == "summary.json"), "{manifest}");
        let text = String::from_utf8(std::fs::read(a.join("manifest.json")).unwrap()).unwrap();
        assert!(!text.contains(a.to_str().unwrap()) && !text.contains("commands-run-folder"), "no paths: {text}");
        assert_eq!(manifest["arguments"]["set"], serde_json::json!([]), "no --set given");
        assert_eq!(manifest["inputs"], serde_json::json!([]), "aurora reads no trace");

        let events = String::from_utf8(std::fs::read(a.join("events.csv")).unwrap()).unwrap();
        let mut lines = events.lines();
        assert_eq!(lines.next(), Some("time_s,kind,what"));
        let rows: Vec<&str> = lines.collect();
        assert_eq!(
            rows,
            [
                "180,action,aurora_switchover succeeded: started",
                "420,fault_started,region_outage us-west-2",
                "480,action,aurora_failover succeeded: started",
                "660,fault_healed,region_outage us-west-2",
            ]
        );
    }

    #[test]
    fn summary_md_has_the_tables() {
        let dir = scratch("summary-md");
        run_into(&dir, "aurora");
        let md = String::from_utf8(std::fs::read(dir.join("summary.md")).unwrap()).unwrap();
        for needle in [
            "# mrsim run: aurora (seed 0x2a)",
            "## Headline",
            "| Metric | Value |",
            "| Writes lost to failover | 10 |",
            "## Stores",
            "| orders | aurora_global_database |",
            "## Aurora transitions",
            "| orders | failover | us-west-2 -> us-east-1 |",
            "## App tiers",
            "## Faults",
            "| region_outage | us-west-2 |",
            "## Actions",
            "| aurora_switchover |",
        ] {
            assert!(md.contains(needle), "summary.md lacks {needle:?}:\n{md}");
        }
        // Every row of a table has as many cells as its header.
        let mut previous: Option<usize> = None;
        for line in md.lines() {
            if !line.starts_with('|') {
                previous = None;
                continue;
            }
            let cells = line.replace("\\|", "").matches('|').count();
            if let Some(p) = previous {
                assert_eq!(cells, p, "{line}");
            }
            previous = Some(cells);
        }
    }

    #[test]
    fn help_lists_the_files() {
        let help = stdout(&mrsim(&["run", "--help"]));
        for name in ["summary.json", "summary.md", "timeseries.csv", "events.csv", "scenario.toml", "manifest.json"] {
            assert!(help.contains(name), "run --help lacks {name}");
        }
    }
}

mod include {
    use super::*;
    use experiments::overrides::{self, Override};
    use experiments::run::run_and_render;
    use experiments::scenario::{self, Scenario};
    use sim_core::{Seed, SimDuration, TraceMode};

    /// A shorter fault phase keeps the runs quick in debug builds; the outage (4m..7m) is cut to it.
    fn shortened(mut s: Scenario) -> Scenario {
        s.world.duration = SimDuration::from_mins(5);
        s
    }

    /// The included example is the skeleton with its topology in a fragment: apart from the name,
    /// the description and the scenario text, a run of one is a run of the other.
    #[test]
    fn an_included_scenario_runs_as_the_equivalent_single_file() {
        let composed = shortened(scenario::load(Path::new(&scenario("include-example"))).unwrap());
        let mut single = shortened(scenario::load(Path::new(&scenario("skeleton"))).unwrap());
        single.name = composed.name.clone();
        single.description = composed.description.clone();
        let a = run_and_render(&composed, Seed(0x2a), TraceMode::Hash).unwrap();
        let b = run_and_render(&single, Seed(0x2a), TraceMode::Hash).unwrap();
        assert_eq!(a.trace, b.trace, "the event traces differ");
        assert_eq!(a.summary, b.summary);
        for ((name, x), (other, y)) in a.files.iter().zip(&b.files) {
            assert_eq!(name, other);
            if name != "scenario.toml" && name != "manifest.json" {
                assert!(x == y, "{name} differs");
            }
        }
    }

    /// The run folder's scenario.toml is the merged text, runnable on its own, and the manifest's
    /// hash is that text's.
    #[test]
    fn the_run_folder_holds_the_resolved_scenario() {
        let out = scratch("include-run");
        let (first, second) = (out.join("first"), out.join("second"));
        let o = mrsim(&["run", &scenario("include-example"), "--out", first.to_str().unwrap()]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let written = std::fs::read_to_string(first.join("scenario.toml")).unwrap();
        assert!(written.starts_with(scenario::include::RESOLVED_HEADER), "{written}");
        assert!(!written.contains("include =") && written.contains("us-west-2"), "{written}");
        let manifest: Value = serde_json::from_slice(&std::fs::read(first.join("manifest.json")).unwrap()).unwrap();
        let listed = manifest["files"].as_array().unwrap().iter().find(|f| f["name"] == "scenario.toml").unwrap();
        assert_eq!(manifest["scenario"]["fnv1a64"], listed["fnv1a64"]);
        // Copied alone to another folder, the resolved text gives the same run.
        let alone = out.join("alone.toml");
        std::fs::write(&alone, &written).unwrap();
        let o = mrsim(&["run", alone.to_str().unwrap(), "--out", second.to_str().unwrap()]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        for name in ["summary.json", "events.csv", "scenario.toml", "manifest.json"] {
            let (a, b) = (std::fs::read(first.join(name)).unwrap(), std::fs::read(second.join(name)).unwrap());
            assert!(a == b, "{name} differs");
        }
    }

    #[test]
    fn set_applies_after_the_includes() {
        let path = PathBuf::from(scenario("include-example"));
        let s = overrides::load(&path, &[Override::parse("network.jitter=2ms").unwrap()]).unwrap();
        let source: toml::Table = s.source.parse().unwrap();
        assert_eq!(source["network"]["jitter"].as_str(), Some("2ms"));
        assert_eq!(source["region"].as_array().map(Vec::len), Some(2));
        let s = overrides::load(&path, &[Override::parse("region[1].name=eu-west-1").unwrap()]).unwrap_err();
        assert!(s.to_string().contains("include-example.toml (with --set)"), "{s}");
    }

    #[test]
    fn a_cycle_or_a_missing_file_exits_2_naming_the_files() {
        let dir = scratch("include-errors");
        std::fs::write(dir.join("a.toml"), "include = \"b.toml\"\n").unwrap();
        std::fs::write(dir.join("b.toml"), "include = [\"a.toml\"]\n").unwrap();
        std::fs::write(dir.join("top.toml"), "include = \"topologies/missing.toml\"\n").unwrap();
        std::fs::write(dir.join("broken.toml"), "include = \"bad.toml\"\n").unwrap();
        std::fs::write(dir.join("bad.toml"), "[network]\njitter = \n").unwrap();
        for command in ["run", "validate", "check"] {
            let o = mrsim(&[command, dir.join("a.toml").to_str().unwrap()]);
            assert_eq!(o.status.code(), Some(2), "{command}");
            let e = String::from_utf8_lossy(&o.stderr);
            assert!(e.contains("b.toml: include[0]: include cycle:") && e.contains("a.toml ->"), "{command}: {e}");
        }
        let o = mrsim(&["run", dir.join("top.toml").to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2));
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(e.contains("top.toml: include[0]") && e.contains("`topologies/missing.toml`"), "{e}");
        let o = mrsim(&["validate", dir.join("broken.toml").to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&o.stderr).contains("bad.toml:2:"), "{}", String::from_utf8_lossy(&o.stderr));
    }
}

/// The manifest records the `--set` changes and every trace the scenario replays, with the trace's
/// size and hash as the scenario names it (no path of the machine).
#[test]
fn the_manifest_lists_set_arguments_and_trace_inputs() {
    let dir = scratch("manifest-inputs");
    let o = mrsim(&[
        "run",
        &scenario("world"),
        "--set",
        "scenario.duration=20s",
        "--set",
        "fault=[]",
        "--set",
        "action=[]",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let manifest: Value = serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["arguments"]["set"], serde_json::json!(["scenario.duration=20s", "fault=[]", "action=[]"]));
    let trace = std::fs::read(repo_root().join("experiments/scenarios/traces/checkout.csv")).unwrap();
    // FNV-1a 64, computed here independently of mrsim.
    let fnv = trace.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    assert_eq!(
        manifest["inputs"],
        serde_json::json!([{ "name": "traces/checkout.csv", "bytes": trace.len(), "fnv1a64": format!("{fnv:#018x}") }])
    );
}

/// events.csv lists the workload changes a rate profile schedules (each step after the start, a
/// ramp's start and end), and none past the end of the fault phase, when clients stop sending.
#[test]
fn events_list_scheduled_workload_changes() {
    let dir = scratch("workload-events");
    let text = std::fs::read_to_string(scenario("skeleton")).unwrap();
    let text = text
        .replacen(
            "rate = 200.0              # requests per second, Poisson",
            "rate_profile = { type = \"steps\", points = [[\"0s\", 100.0], [\"20s\", 300.0], [\"50s\", 100.0], [\"2m\", 5.0]] }",
            1,
        )
        .replacen(
            "rate = 200.0\n",
            "rate_profile = { type = \"ramp\", from_rate = 50.0, to_rate = 150.0, start = \"10s\", end = \"30s\" }\n",
            1,
        );
    let file = dir.join("profiles.toml");
    std::fs::write(&file, text).unwrap();
    let out = dir.join("out");
    let o = mrsim(&[
        "run",
        file.to_str().unwrap(),
        "--set",
        "scenario.duration=1m",
        "--set",
        "fault[0].start=35s",
        "--set",
        "fault[0].end=40s",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let events = std::fs::read_to_string(out.join("events.csv")).unwrap();
    let workload: Vec<&str> = events.lines().filter(|l| l.contains(",workload,")).collect();
    assert_eq!(
        workload,
        [
            "10,workload,population west-clients: ramp from 50 to 150 requests/s begins",
            "20,workload,population east-clients: 300 requests/s",
            "30,workload,population west-clients: ramp from 50 to 150 requests/s ends",
            "50,workload,population east-clients: 100 requests/s",
        ],
        "{events}"
    );
}

/// `mrsim bench model`'s scaling table, on scenarios cut to seconds so it runs in a debug build:
/// its layout and its deterministic columns (requests and events), never its wall times.
mod bench_scaling {
    use super::*;

    /// The hot-key scenario cut to 10 simulated seconds (4 000 requests), its outage to 4s..7s.
    fn tiny(dir: &Path, name: &str) -> String {
        let text = std::fs::read_to_string(scenario("bench/hot-keys"))
            .unwrap()
            .replacen("duration = \"10m\"", "duration = \"10s\"", 1)
            .replacen("start = \"4m\"", "start = \"4s\"", 1)
            .replacen("end = \"7m\"", "end = \"7s\"", 1);
        let file = dir.join(name);
        std::fs::write(&file, text).unwrap();
        file.display().to_string()
    }

    /// A data row's columns, by its factor label (`x10`).
    fn row<'a>(table: &'a str, label: &str) -> Vec<&'a str> {
        let line = table.lines().find(|l| l.split_whitespace().next() == Some(label));
        line.unwrap_or_else(|| panic!("no row {label} in {table}")).split_whitespace().collect()
    }

    #[test]
    fn the_table_has_a_row_per_factor_with_as_many_requests() {
        let dir = scratch("bench-scaling");
        let (a, b) = (tiny(&dir, "a.toml"), tiny(&dir, "b.toml"));
        let args = ["bench", "model", "--scaling-only", "--factors", "1,10", "--scenario", &a, "--hot-keys", &b];
        let o = mrsim(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let text = stdout(&o);
        let header = "  factor  simulated    requests       events     wall_s      events/s  wall/request   vs x1   \
                      peak heap   vs x1";
        assert_eq!(text.matches(header).count(), 2, "one table per scenario: {text}");
        assert!(
            text.starts_with(&format!("scaling: {a}, rate x1, x10 with the timeline divided by as much")),
            "{text}"
        );
        assert!(
            text.contains(
                "scaled: scenario.duration, scenario.metrics_interval, population[0].rate, \
                           population[1].rate, fault[0].start, fault[0].end\n"
            ),
            "{text}"
        );
        let (x1, x10) = (row(&text, "x1"), row(&text, "x10"));
        assert_eq!((x1[1], x10[1]), ("10s", "1s"), "the simulated time is divided: {text}");
        let requests = |r: &[&str]| r[2].parse::<f64>().unwrap();
        assert!((3_600.0..4_400.0).contains(&requests(&x1)), "400 requests/s for 10 s: {text}");
        assert!((requests(&x10) / requests(&x1) - 1.0).abs() < 0.1, "as many requests in every row: {text}");
        assert_eq!(x1[8], "x1.00", "x1 is the reference row: {text}");
        assert!(x1[9..].join(" ").ends_with("MiB x1.00"), "the child process counts its heap: {text}");
        let target = text.lines().filter(|l| l.starts_with("  target: wall per request within x1.5 of x1's: x10 x"));
        assert_eq!(target.count(), 2, "{text}");
        // The same arguments give the same deterministic columns.
        let again = stdout(&mrsim(&args));
        assert_eq!(row(&again, "x10")[..4], x10[..4]);
    }

    /// `--long` adds the duration axis: ten times the simulated time and the requests, the x1 row
    /// shared with the rate axis rather than run again.
    #[test]
    fn long_adds_the_duration_axis_sharing_the_x1_row() {
        let dir = scratch("bench-scaling-long");
        let (a, b) = (tiny(&dir, "a.toml"), tiny(&dir, "b.toml"));
        let o = mrsim(&[
            "bench",
            "model",
            "--scaling-only",
            "--long",
            "--factors",
            "1",
            "--scenario",
            &a,
            "--hot-keys",
            &b,
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let text = stdout(&o);
        let tables: Vec<&str> = text.split("scaling: ").skip(1).collect();
        assert_eq!(tables.len(), 4, "rate then duration, for each scenario: {text}");
        let duration = tables[2];
        assert!(duration.starts_with(&format!("{a}, duration x1, x10 at the written rate")), "{text}");
        assert!(duration.contains("scaled: scenario.duration, scenario.max_events, fault[0].start, fault[0].end\n"));
        let x1_line = |t: &str| t.lines().find(|l| l.trim_start().starts_with("x1 ")).unwrap().to_string();
        assert_eq!(x1_line(duration), x1_line(tables[0]), "the x1 row is measured once: {text}");
        let (x1, x10) = (row(duration, "x1"), row(duration, "x10"));
        assert_eq!((x1[1], x10[1]), ("10s", "100s"));
        let requests = |r: &[&str]| r[2].parse::<f64>().unwrap();
        assert!((requests(&x10) / requests(&x1) - 10.0).abs() < 1.0, "ten times the requests: {text}");
        assert!(duration.contains("  target: peak heap within x1.1 of x1's (flat): x10 x"), "{text}");
        let stderr = String::from_utf8_lossy(&o.stderr).to_string();
        assert!(!stderr.contains("duration x1:") && stderr.contains("duration x10:"), "{stderr}");
    }

    #[test]
    fn a_scenario_that_cannot_scale_is_refused_before_anything_runs() {
        let model = scenario("bench/model");
        let o = mrsim(&["bench", "model", "--scaling-only", "--scenario", &model, "--hot-keys", &scenario("world")]);
        assert_eq!(o.status.code(), Some(2));
        let e = String::from_utf8_lossy(&o.stderr).to_string();
        assert!(e.contains("world.toml: rate x10: population[3] replays a recorded trace"), "{e}");
        assert!(o.stdout.is_empty(), "nothing is measured: {}", stdout(&o));
        let o = mrsim(&["bench", "model", "--factors", "10,100"]);
        assert_eq!(o.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&o.stderr).contains("1 first"));
        let o = mrsim(&["bench", "model", "--row-budget", "0"]);
        assert_eq!(o.status.code(), Some(2));
    }
}
