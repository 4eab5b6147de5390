//! Dotted paths into summary.json (`writes.lost_last_writer_wins`,
//! `stores.orders.write_unavailability_s.max`), shared by `[[expect]]`, `mrsim check` and
//! `mrsim compare`.
//!
//! A summary is flattened into its leaves, one per dotted path, in sorted order. An array element
//! is named by its `name` field (stores), else by its `region` field (app tiers), else by its index
//! (transitions, faults, actions), so a path keeps meaning the same store when stores are added.
//! Booleans count as 1 and 0; strings are not metrics.
//!
//! Which paths exist is known before any run: [`metrics`] walks the schema derived from
//! `report::Summary`, so every numeric leaf is listed, with a placeholder where an element name
//! goes, its unit and its definition (the field's doc comment): the one description of the metrics,
//! which `[[expect]]`, `mrsim check`, `mrsim compare` and `mrsim explain --metrics` read. A test
//! checks the list against a real run's summary.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use schemars::generate::{Contract, SchemaSettings};
use serde_json::Value;

use crate::report::Summary;

/// One leaf of a summary.
#[derive(Clone, Debug, PartialEq)]
pub enum Leaf {
    /// A number, or a boolean as 1 or 0.
    Number(f64),
    /// `null`: nothing was recorded (a percentile of an empty histogram, an RTO never reached).
    Null,
    Text(String),
}

impl Leaf {
    pub fn number(&self) -> Option<f64> {
        match self {
            Leaf::Number(x) => Some(*x),
            _ => None,
        }
    }
}

/// Every leaf of `value` by dotted path, sorted by path.
pub fn leaves(value: &Value) -> BTreeMap<String, Leaf> {
    let mut out = BTreeMap::new();
    flatten(value, String::new(), &mut out);
    out
}

fn flatten(value: &Value, path: String, out: &mut BTreeMap<String, Leaf>) {
    let join = |key: &str| if path.is_empty() { key.to_string() } else { format!("{path}.{key}") };
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                flatten(v, join(key), out);
            }
        }
        Value::Array(items) => {
            let names = element_names(items);
            for (name, v) in names.iter().zip(items) {
                flatten(v, join(name), out);
            }
        }
        Value::Number(n) => {
            out.insert(path, n.as_f64().map_or(Leaf::Null, Leaf::Number));
        }
        Value::Bool(b) => {
            out.insert(path, Leaf::Number(if *b { 1.0 } else { 0.0 }));
        }
        Value::Null => {
            out.insert(path, Leaf::Null);
        }
        Value::String(s) => {
            out.insert(path, Leaf::Text(s.clone()));
        }
    }
}

/// Array elements by `name`, else by `region`, else by index; by index also when names repeat, so
/// two elements never share a path.
fn element_names(items: &[Value]) -> Vec<String> {
    for field in ["name", "region"] {
        let names: Option<Vec<String>> =
            items.iter().map(|v| v.get(field).and_then(Value::as_str).map(str::to_string)).collect();
        if let Some(names) = names {
            let mut sorted = names.clone();
            sorted.sort();
            sorted.dedup();
            if sorted.len() == names.len() {
                return names;
            }
        }
    }
    (0..items.len()).map(|i| i.to_string()).collect()
}

/// One metric of summary.json: its dotted path, with a placeholder where an element name goes
/// (`{store}` a store's name, `{app_tier}` the Region of an app tier, `{index}` an element's index,
/// `{rejection}` a refusal's service name), its unit and what it means.
#[derive(Clone, Debug, PartialEq)]
pub struct Metric {
    pub pattern: String,
    pub unit: &'static str,
    /// The field's doc comment, and that of the group it is in (`p99` of which latency).
    pub description: String,
}

/// The schema of summary.json, derived from `report::Summary` as it is written: its doc comments
/// define every metric.
pub fn summary_schema() -> Value {
    let settings = SchemaSettings::draft07().with(|s| {
        s.inline_subschemas = true;
        s.contract = Contract::Serialize;
    });
    settings.into_generator().into_root_schema_for::<Summary>().to_value()
}

/// Every numeric (or boolean, or nullable numeric) leaf of `report::Summary`, in the summary's
/// field order.
pub fn metrics() -> &'static [Metric] {
    static METRICS: OnceLock<Vec<Metric>> = OnceLock::new();
    METRICS.get_or_init(|| {
        let mut out = Vec::new();
        walk(&summary_schema(), "", "", &mut out);
        out
    })
}

fn walk(schema: &Value, path: &str, group: &str, out: &mut Vec<Metric>) {
    let description = schema.get("description").and_then(Value::as_str).unwrap_or("");
    let join = |key: &str| if path.is_empty() { key.to_string() } else { format!("{path}.{key}") };
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        for (key, sub) in properties {
            walk(sub, &join(key), description, out);
        }
        return;
    }
    if let Some(items) = schema.get("items") {
        let placeholder = match path.rsplit('.').next() {
            Some("stores") => "{store}",
            Some("app_tiers") => "{app_tier}",
            Some("client_outage_s_by_population") => "{population}",
            _ => "{index}",
        };
        return walk(items, &join(placeholder), description, out);
    }
    if let Some(values) = schema.get("additionalProperties").filter(|v| v.is_object()) {
        return walk(values, &join("{rejection}"), description, out);
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if !types.iter().any(|t| matches!(*t, "integer" | "number" | "boolean")) {
        return;
    }
    // A statistic (a percentile, a count of windows) says what it is a statistic of.
    let statistic = matches!(path.rsplit('.').next(), Some("count" | "p50" | "p99" | "max" | "windows" | "clients"));
    let description = match group {
        group if statistic && !group.is_empty() => format!("{description} Of: {group}"),
        // A map's values (`rejections.{rejection}`) are described by the map.
        group if description.is_empty() => group.to_string(),
        _ => description.to_string(),
    };
    out.push(Metric { unit: unit(path, types.contains(&"boolean")), pattern: path.to_string(), description });
}

/// The unit a path's name gives: its own suffix, else that of the group it is a statistic of.
fn unit(path: &str, boolean: bool) -> &'static str {
    let leaf = path.rsplit('.').next().unwrap_or(path);
    if boolean {
        return "1 or 0";
    }
    if leaf.ends_with("_rate")
        || leaf.ends_with("_fraction")
        || leaf.starts_with("utilisation")
        || leaf.starts_with("availability")
    {
        return "share, 0 to 1";
    }
    if leaf.contains("usd") {
        return "USD";
    }
    if leaf.contains("hours") {
        return "h";
    }
    if matches!(leaf, "p50" | "p99" | "max") {
        for segment in path.rsplit('.') {
            if segment.ends_with("_ms") {
                return "ms";
            }
            if segment.ends_with("_s") {
                return "s";
            }
        }
    }
    if leaf.ends_with("_ms") {
        "ms"
    } else if leaf.ends_with("_s") {
        "s"
    } else {
        "count"
    }
}

/// The refusals a store can answer, by the name `rejections` uses (models' `Rejection::name`).
pub const REJECTIONS: &[&str] = &[
    "ReplicatedWriteConflictException",
    "no_quorum",
    "catching_up",
    "read_only",
    "writer_unavailable",
    "rpo_bound",
    "unavailable",
];

/// What a scenario declares, which the element names of its summary come from.
pub struct Names<'a> {
    pub stores: &'a [String],
    /// Regions with an app tier.
    pub app_tiers: &'a [String],
    pub populations: &'a [String],
}

/// Whether `path` can name a numeric leaf of this scenario's summary. Paths with an `{index}` can
/// only be resolved in a run's summary (a fault generator adds rows); the index is not checked here.
pub fn is_known(path: &str, names: &Names) -> bool {
    metrics().iter().any(|m| matches(&m.pattern, path, names))
}

fn matches(pattern: &str, path: &str, names: &Names) -> bool {
    let Some((prefix, rest)) = pattern.split_once('{') else { return pattern == path };
    let (placeholder, suffix) = rest.split_once('}').expect("a placeholder is closed");
    let Some(tail) = path.strip_prefix(prefix) else { return false };
    // A pattern may hold several placeholders (`faults.{index}.app_tiers.{app_tier}.shed`): try
    // every filler the path offers for this one and match the rest of the pattern after it.
    let filler_ok = |middle: &str| match placeholder {
        "store" => names.stores.iter().any(|s| s == middle),
        "app_tier" => names.app_tiers.iter().any(|r| r == middle),
        "population" => names.populations.iter().any(|p| p == middle),
        "index" => !middle.is_empty() && middle.bytes().all(|b| b.is_ascii_digit()),
        "rejection" => REJECTIONS.contains(&middle),
        other => unreachable!("unknown placeholder {{{other}}} in a metric's path"),
    };
    (0..=tail.len())
        .filter(|&i| tail.is_char_boundary(i))
        .any(|i| filler_ok(&tail[..i]) && matches(suffix, &tail[i..], names))
}

/// The valid paths of this scenario closest to `path` (by edit distance), at most `count`.
pub fn nearest(path: &str, names: &Names, count: usize) -> Vec<String> {
    let mut candidates: Vec<String> = Vec::new();
    for m in metrics() {
        candidates.extend(fill(&m.pattern, names));
    }
    let mut scored: Vec<(usize, String)> = candidates.into_iter().map(|c| (edit_distance(path, &c), c)).collect();
    scored.sort();
    scored.into_iter().take(count).map(|(_, c)| c).collect()
}

/// Every path `pattern` names in this scenario, each `{index}` filled with 0.
fn fill(pattern: &str, names: &Names) -> Vec<String> {
    let Some((prefix, rest)) = pattern.split_once('{') else { return vec![pattern.to_string()] };
    let (placeholder, suffix) = rest.split_once('}').expect("a placeholder is closed");
    let fillers: Vec<&str> = match placeholder {
        "store" => names.stores.iter().map(String::as_str).collect(),
        "app_tier" => names.app_tiers.iter().map(String::as_str).collect(),
        "population" => names.populations.iter().map(String::as_str).collect(),
        "index" => vec!["0"],
        _ => REJECTIONS.to_vec(),
    };
    let tails = fill(suffix, names);
    fillers.iter().flat_map(|f| tails.iter().map(move |t| format!("{prefix}{f}{t}"))).collect()
}

/// Levenshtein distance over bytes.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, &x) in a.iter().enumerate() {
        let mut current = vec![i + 1];
        for (j, &y) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(x != y);
            current.push(substitute.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use models::stores::channel::Rejection;
    use sim_core::{Seed, TraceMode};

    use super::*;

    /// A short scenario whose summary has a row of every kind: two stores, an app tier, refusals,
    /// a fault, an action and an Aurora transition.
    const EVERY_LEAF: &str = r#"
[scenario]
name = "every-leaf"
duration = "40s"
drain_max = "5m"
seed = "0x2a"

[[region]]
name = "us-east-1"
app_tier = { servers = 4, queue_limit = 50, service_time = "exp(mean=5ms)" }

[[region]]
name = "us-east-2"

[[region]]
name = "us-west-2"

[[store]]
name = "ledger"
type = "dynamodb_global_table"
multi_region_consistency = "STRONG"
regions = ["us-east-1", "us-east-2", "us-west-2"]

[[store]]
name = "orders"
type = "aurora_global_database"
writer = "us-east-1"
secondaries = ["us-west-2"]

[cost]
incidents_per_year = 1.0

[[population]]
name = "east"
region = "us-east-1"
access_latency = "5ms"
rate = 50.0
timeout = "2s"

[[population.operation]]
weight = 1
store = "ledger"
type = "write"
keys = { uniform = 5 }

[[population.operation]]
weight = 1
store = "orders"
type = "write"
keys = { uniform = 5 }

[[population]]
name = "west"
region = "us-west-2"
access_latency = "5ms"
rate = 50.0
timeout = "2s"

[[population.operation]]
weight = 1
store = "ledger"
type = "write"
keys = { uniform = 5 }

[[population.operation]]
weight = 1
store = "ledger"
type = "read"
consistent_read = true
keys = { uniform = 5 }

[[fault]]
type = "partition"
side_a = ["us-west-2"]
side_b = ["us-east-1", "us-east-2"]
start = "10s"
end = "20s"

[[action]]
type = "aurora_switchover"
store = "orders"
target = "us-west-2"
at = "15s"
"#;

    fn summary_json(text: &str) -> Value {
        let scenario = crate::scenario::parse(Path::new("every-leaf.toml"), text).expect("the scenario is valid");
        let output = models::run::run(&scenario.world, Seed(0x2a), TraceMode::Off).expect("the run ends");
        serde_json::to_value(crate::report::summary(&scenario, Seed(0x2a), &output)).unwrap()
    }

    /// The real summary's numeric leaves, with element names replaced by their placeholder.
    fn observed_patterns(json: &Value) -> BTreeSet<String> {
        let generalise = |path: &str| -> String {
            let parts: Vec<&str> = path.splitn(3, '.').collect();
            match parts.as_slice() {
                ["stores", _, rest] => format!("stores.{{store}}.{rest}"),
                ["app_tiers", _, rest] => format!("app_tiers.{{app_tier}}.{rest}"),
                ["faults", _, rest] if rest.starts_with("app_tiers.") => {
                    let (_, leaf) = rest["app_tiers.".len()..].split_once('.').expect("a Region, then a leaf");
                    format!("faults.{{index}}.app_tiers.{{app_tier}}.{leaf}")
                }
                ["faults", _, rest] if rest.starts_with("failover.client_outage_s_by_population.") => {
                    let tail = &rest["failover.client_outage_s_by_population.".len()..];
                    let (_, leaf) = tail.split_once('.').expect("a population, then a leaf");
                    format!("faults.{{index}}.failover.client_outage_s_by_population.{{population}}.{leaf}")
                }
                [list @ ("transitions" | "faults" | "actions"), _, rest] => format!("{list}.{{index}}.{rest}"),
                ["cost", "infrastructure", rest] if rest.starts_with("lines.") => {
                    let (_, leaf) = rest["lines.".len()..].split_once('.').expect("an index, then a leaf");
                    format!("cost.infrastructure.lines.{{index}}.{leaf}")
                }
                ["rejections", ..] => "rejections.{rejection}".to_string(),
                _ => path.to_string(),
            }
        };
        leaves(json)
            .iter()
            .filter(|(_, leaf)| !matches!(leaf, Leaf::Text(_)))
            .map(|(path, _)| generalise(path))
            .collect()
    }

    #[test]
    fn the_pattern_list_is_every_numeric_leaf_of_a_real_summary() {
        let json = summary_json(EVERY_LEAF);
        let observed = observed_patterns(&json);
        let listed: BTreeSet<String> = metrics().iter().map(|m| m.pattern.clone()).collect();
        assert_eq!(listed.len(), metrics().len(), "a path is listed twice");
        let missing: Vec<_> = observed.difference(&listed).collect();
        // Left out of a summary unless a fault is cut short by the end of the fault phase.
        let extra: Vec<_> = listed.difference(&observed).filter(|p| !p.ends_with("scheduled_end_s")).collect();
        assert!(missing.is_empty() && extra.is_empty(), "not derived: {missing:?}; not in a summary: {extra:?}");
        for m in metrics() {
            assert!(!m.description.trim().is_empty(), "{} has no definition", m.pattern);
        }
        let l = leaves(&json);
        assert!(l.contains_key("stores.ledger.lost_last_writer_wins"), "stores are named by name");
        assert!(l.contains_key("app_tiers.us-east-1.shed"), "app tiers are named by Region");
        assert!(l.contains_key("transitions.0.rto_s") && l.contains_key("actions.0.succeeded"));
        assert_eq!(l["actions.0.succeeded"], Leaf::Number(1.0), "a boolean counts as 1 or 0");
    }

    #[test]
    fn units_come_from_the_names() {
        assert_eq!(unit("writes.conflicted", false), "count");
        assert_eq!(unit("writes.conflict_rate", false), "share, 0 to 1");
        assert_eq!(unit("app_tiers.{app_tier}.utilisation_mean", false), "share, 0 to 1");
        assert_eq!(unit("latency_ms.read.p99", false), "ms");
        assert_eq!(unit("latency_ms.read.count", false), "count");
        assert_eq!(unit("faults.{index}.failover.client_outage_s.max", false), "s");
        assert_eq!(unit("stores.{store}.rpo_s", false), "s");
        assert_eq!(unit("actions.{index}.succeeded", true), "1 or 0");
    }

    #[test]
    fn every_refusal_is_listed() {
        // The match has no wildcard arm, so a new refusal fails to compile here until it is listed.
        let name = |r: Rejection| match r {
            Rejection::ReplicatedWriteConflict
            | Rejection::NoQuorum
            | Rejection::CatchingUp
            | Rejection::ReadOnly
            | Rejection::WriterUnavailable
            | Rejection::RpoBound
            | Rejection::Unavailable => r.name(),
        };
        let all = [
            Rejection::ReplicatedWriteConflict,
            Rejection::NoQuorum,
            Rejection::CatchingUp,
            Rejection::ReadOnly,
            Rejection::WriterUnavailable,
            Rejection::RpoBound,
            Rejection::Unavailable,
        ];
        assert_eq!(all.map(name).to_vec(), REJECTIONS.to_vec());
    }

    #[test]
    fn paths_are_checked_against_the_scenario_names() {
        let stores = ["orders".to_string(), "carts.v2".to_string()];
        let app_tiers = ["us-east-1".to_string()];
        let populations = ["dns-users".to_string()];
        let names = Names { stores: &stores, app_tiers: &app_tiers, populations: &populations };
        for ok in [
            "writes.lost_last_writer_wins",
            "stores.orders.write_unavailability_s.max",
            "stores.carts.v2.rpo_s",
            "app_tiers.us-east-1.shed",
            "faults.12.healed_s",
            "faults.0.app_tiers.us-east-1.shed",
            "rejections.no_quorum",
            "faults.0.failover.client_outage_s_by_population.dns-users.p50",
            "faults.3.failover.client_outage_s_by_population.dns-users.unrecovered",
        ] {
            assert!(is_known(ok, &names), "{ok}");
        }
        for bad in [
            "writes.lost",
            "stores.payments.rpo_s",
            "app_tiers.us-west-2.shed",
            "faults.x.healed_s",
            "faults.0.app_tiers.us-west-2.shed",
            "faults.0.app_tiers.us-east-1",
            "rejections.NoQuorum",
            "scenario",
            "stores.orders.name",
            "faults.0.failover.client_outage_s_by_population.web-users.p50",
            "faults.0.failover.client_outage_s_by_population.dns-users.name",
        ] {
            assert!(!is_known(bad, &names), "{bad}");
        }
        assert_eq!(nearest("writes.lost_last_writer_win", &names, 1), ["writes.lost_last_writer_wins"]);
        assert_eq!(nearest("stores.order.rpo_s", &names, 1), ["stores.orders.rpo_s"]);
    }
}
