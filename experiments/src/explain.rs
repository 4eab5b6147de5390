//! `mrsim validate` and `mrsim explain`: a scenario looked at without running it.
//!
//! `validate` parses and validates, and says what the scenario declares. `explain` prints the
//! scenario as the models will run it: every default filled in, written as TOML-like text an
//! architect can read and compare with the file. A value the file did not give is marked
//! `# default`; whether the file gave it is read from the file's own TOML table (a key absent
//! there is a default), so the mark does not depend on how validation fills values in. The text is
//! a pure function of the file: Regions, stores and populations in file order, no hash maps.
//! `explain/routing.rs` explains the routing tier and alarms.
//!
//! What each key means comes from the format's one definition, the doc comments of the raw structs
//! (through the derived schema, [`crate::schema::describe`]), printed as a comment above the key
//! where it first appears. A key the file gives that the resolved view does not show as a line of
//! its own (a fault's Regions, a network link, an expectation) is written as the file has it when
//! its table closes, so every key of the file is shown and described.

mod routing;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use models::config::{
    ActionKind, Arrivals, FaultKind, KeyChoice, OperationMixEntry, OutageScope, PartialRepair, PopulationConfig,
    ProbeAnswer, RateProfile, StoreConfig, StoreKind, Trigger,
};
use models::faults::GeneratedKind;
use models::ids::RegionId;
use models::rtt::RttMatrix;
use models::topology::LinkLatency;
use sim_core::{Dist, SimDuration, SimTime};

use crate::CliError;
use crate::pricing::Capacity;
use crate::report::describe_fault;
use crate::scenario::include::RESOLVED_HEADER;
use crate::scenario::{self, Scenario};
use crate::schema;

/// `mrsim validate SCENARIO`.
pub fn validate_command(path: &Path) -> Result<String, CliError> {
    let s = scenario::load(path).map_err(|e| CliError::input(e.to_string()))?;
    eprint!("{}", s.warnings);
    let w = &s.world;
    let n = |len: usize, one: &str, many: &str| crate::count(len as u64, one, many);
    Ok(format!(
        "{}: valid ({}, {}, {}, {}, {})\n  {}\n",
        path.display(),
        n(w.topology.len(), "Region", "Regions"),
        n(w.stores.len(), "store", "stores"),
        n(w.populations.len(), "population", "populations"),
        n(w.faults.len(), "fault", "faults"),
        n(w.actions.len(), "action", "actions"),
        s.cost.line()
    ))
}

/// `mrsim explain SCENARIO`.
pub fn explain_command(path: &Path) -> Result<String, CliError> {
    let s = scenario::load(path).map_err(|e| CliError::input(e.to_string()))?;
    eprint!("{}", s.warnings);
    explain(&s).map_err(CliError::internal)
}

/// `mrsim explain --metrics [SCENARIO]`: every metric of summary.json with its unit and definition,
/// from `report::Summary`'s doc comments; a scenario's stores and app tiers name their rows.
pub fn metrics_command(path: Option<&Path>) -> Result<String, CliError> {
    let scenario = path.map(scenario::load).transpose().map_err(|e| CliError::input(e.to_string()))?;
    // With a scenario, its stores and app tiers name the rows (none: no such rows).
    let names: Option<[Vec<String>; 3]> = scenario.as_ref().map(|s| {
        eprint!("{}", s.warnings);
        let w = &s.world;
        let tiers = w.topology.regions().filter(|r| w.app_tiers[r.index()].is_some());
        [
            w.stores.iter().map(|s| s.name.clone()).collect(),
            tiers.map(|r| w.topology.name(r).to_string()).collect(),
            w.populations.iter().map(|p| p.name.clone()).collect(),
        ]
    });
    let mut out = String::from(
        "# summary.json: every metric, by the dotted path [[expect]], check, compare and sweeps name it.\n\
         # {store} is a store's name, {app_tier} the Region of an app tier, {population} a population's\n\
         # name, {index} a row's index, {rejection} the name of a refusal; a boolean counts as 1 or 0,\n\
         # null is \"nothing recorded\".\n",
    );
    let fill = |placeholder: &str, names: &[String], paths: Vec<String>| -> Vec<String> {
        let filled = |p: &String| names.iter().map(|n| p.replace(placeholder, n)).collect::<Vec<_>>();
        paths.iter().flat_map(|p| if p.contains(placeholder) { filled(p) } else { vec![p.clone()] }).collect()
    };
    for m in crate::metrics_path::metrics() {
        let paths = match &names {
            Some([stores, tiers, populations]) => fill(
                "{population}",
                populations,
                fill("{app_tier}", tiers, fill("{store}", stores, vec![m.pattern.clone()])),
            ),
            None => vec![m.pattern.clone()],
        };
        for path in paths {
            let _ = write!(out, "\n{path}  ({})\n", m.unit);
            for line in comment(&m.description).lines() {
                let _ = writeln!(out, "  {}", line.trim_start_matches("# "));
            }
        }
    }
    Ok(out)
}

/// The resolved scenario as text. Fails only if the validated scenario's source no longer parses
/// as TOML, which would be a bug.
pub fn explain(s: &Scenario) -> Result<String, String> {
    let file: toml::Value = toml::from_str(&s.source).map_err(|e| format!("re-reading the scenario: {e}"))?;
    let schema = schema::cached();
    let mut x = Explainer {
        file,
        out: String::new(),
        scenario: s,
        schema,
        described: BTreeSet::new(),
        table: None,
        rtt: RttMatrix::shipped(),
    };
    x.header();
    x.network();
    x.regions();
    for (i, store) in s.world.stores.iter().enumerate() {
        x.store(i, store);
    }
    x.route53();
    x.accelerator();
    x.cloudfront_and_controls();
    x.alarms();
    for (i, p) in s.world.populations.iter().enumerate() {
        x.population(i, p);
    }
    x.faults();
    x.actions();
    x.cost();
    x.expects();
    x.close();
    Ok(x.out)
}

struct Explainer<'s> {
    /// The file as a plain TOML table, to tell what it gave from what was defaulted.
    file: toml::Value,
    out: String,
    scenario: &'s Scenario,
    /// The format's definition, for what each key means.
    schema: &'static serde_json::Value,
    /// The keys (by schema path) already described: a key's meaning is printed where it first appears.
    described: BTreeSet<String>,
    /// The table being written.
    table: Option<Table>,
    /// The default round trips, to say of each link whether it is measured or estimated.
    rtt: RttMatrix,
}

/// A table of the text: where it is in the file ("store.0") and which of its keys are written.
struct Table {
    at: String,
    shown: BTreeSet<String>,
}

/// `at` without its array indices: the key's path in the schema ("store.0.timeout" is "store.timeout").
fn schema_path(at: &str) -> String {
    at.split('.').filter(|s| s.parse::<usize>().is_err()).collect::<Vec<_>>().join(".")
}

/// A description as comment lines of at most 100 columns.
fn comment(text: &str) -> String {
    let mut out = String::new();
    let mut line = String::from("#");
    for word in text.split_whitespace() {
        if line.len() + 1 + word.len() > 100 && line.len() > 1 {
            out.push_str(&line);
            out.push('\n');
            line = String::from("#");
        }
        line.push(' ');
        line.push_str(word);
    }
    out.push_str(&line);
    out.push('\n');
    out
}

fn quote(s: &str) -> String {
    format!("{s:?}")
}

fn list(items: impl IntoIterator<Item = String>) -> String {
    format!("[{}]", items.into_iter().map(|s| quote(&s)).collect::<Vec<_>>().join(", "))
}

fn dist(d: &Dist) -> String {
    quote(&d.display_duration())
}

fn duration(d: SimDuration) -> String {
    quote(&d.to_string())
}

fn time(t: SimTime) -> String {
    duration(t.since_start())
}

fn link(l: &LinkLatency) -> String {
    if l.base.is_zero() { dist(&l.extra) } else { quote(&format!("{} + {}", l.base, l.extra.display_duration())) }
}

fn keys(k: &KeyChoice) -> String {
    match k {
        KeyChoice::Uniform { keys } => format!("{{ uniform = {keys} }}"),
        KeyChoice::Zipf { keys, exponent } => format!("{{ zipf = {keys}, exponent = {exponent} }}"),
        KeyChoice::HotSet { keys, hot_key_fraction, hot_traffic_fraction } => format!(
            "{{ hot_set = {keys}, hot_key_fraction = {hot_key_fraction}, hot_traffic_fraction = {hot_traffic_fraction} }}"
        ),
    }
}

impl Explainer<'_> {
    /// Whether the file gives the key at `path` (dot-separated; numbers index arrays of tables).
    fn given(&self, path: &str) -> bool {
        self.lookup(path).is_some()
    }

    /// The file's value at `path` (dot-separated; numbers index arrays of tables).
    fn lookup(&self, path: &str) -> Option<&toml::Value> {
        let mut v = &self.file;
        for segment in path.split('.') {
            let next = match v {
                toml::Value::Table(t) => t.get(segment),
                toml::Value::Array(a) => segment.parse::<usize>().ok().and_then(|i| a.get(i)),
                _ => None,
            };
            v = next?;
        }
        Some(v)
    }

    /// `key = value`, marked `# default` when the file does not give `path`.
    fn line(&mut self, path: &str, key: &str, value: impl AsRef<str>) {
        let mark = if self.given(path) { "" } else { "  # default" };
        self.key(key, value.as_ref(), mark);
    }

    /// `key = value` with a trailing note of where a default comes from.
    fn line_noted(&mut self, given: bool, key: &str, value: impl AsRef<str>, note: &str) {
        let mark = if given { String::new() } else { format!("  # default: {note}") };
        self.key(key, value.as_ref(), &mark);
    }

    /// `key = value`, always given (a required field or a derived fact).
    fn fact(&mut self, key: &str, value: impl AsRef<str>) {
        self.key(key, value.as_ref(), "");
    }

    /// Writes `key = value` in the open table, with what the key means where it first appears
    /// (`key` may be `link.us-east-1`, a line per entry of the key `link`).
    fn key(&mut self, key: &str, value: &str, mark: &str) {
        let name = key.split('.').next().unwrap_or(key);
        if let Some(table) = &mut self.table {
            table.shown.insert(name.to_string());
            let path = schema_path(&format!("{}.{name}", table.at));
            self.describe(&path, None);
            // The keys of an inline table (or of an array of them), each with what it means.
            if let Ok(mut parsed) = toml::from_str::<toml::Table>(&format!("v = {value}")) {
                let tables = match parsed.remove("v") {
                    Some(toml::Value::Table(t)) => vec![t],
                    Some(toml::Value::Array(items)) => items.into_iter().filter_map(|v| v.try_into().ok()).collect(),
                    _ => vec![],
                };
                for sub in tables.iter().flat_map(|t| t.keys()) {
                    self.describe(&format!("{path}.{sub}"), Some(sub));
                }
            }
        }
        let _ = writeln!(self.out, "{key} = {value}{mark}");
    }

    /// What the key at `path` (of the schema) means, as a comment, the first time it is asked for;
    /// `named` prefixes the key's name (for a key inside an inline table).
    fn describe(&mut self, path: &str, named: Option<&str>) {
        if let Some(text) = schema::describe(self.schema, path)
            && self.described.insert(path.to_string())
        {
            let text = named.map_or(text.clone(), |name| format!("{name}: {text}"));
            self.out.push_str(&comment(&text));
        }
    }

    /// Keys of the open table that are written as tables of their own.
    fn shown(&mut self, keys: &[&str]) {
        if let Some(table) = &mut self.table {
            table.shown.extend(keys.iter().map(|k| k.to_string()));
        }
    }

    /// Starts the table `header` (`[[store]]`), which is `at` in the file (`store.0`).
    fn open(&mut self, header: &str, at: &str) {
        self.close();
        let _ = write!(self.out, "\n{header}\n");
        self.describe(&schema_path(at), None);
        self.table = Some(Table { at: at.to_string(), shown: BTreeSet::new() });
    }

    /// Ends the open table: the keys the file gives that it did not show, as the file has them.
    fn close(&mut self) {
        let Some(table) = self.table.take() else { return };
        let Some(toml::Value::Table(given)) = self.lookup(&table.at).cloned() else { return };
        let left: Vec<_> = given.into_iter().filter(|(k, _)| !table.shown.contains(k)).collect();
        if left.is_empty() {
            return;
        }
        self.out.push_str("# as the file gives it\n");
        self.table = Some(table);
        for (k, v) in left {
            // A key that is not bare (a price override in one Region, "item@region") is quoted.
            let bare = k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            let k = if bare { k } else { format!("{k:?}") };
            self.fact(&k, v.to_string());
        }
        self.table = None;
    }
    fn region(&self, r: RegionId) -> String {
        self.scenario.world.topology.name(r).to_string()
    }

    fn regions_of(&self, rs: impl IntoIterator<Item = RegionId>) -> String {
        list(rs.into_iter().map(|r| self.region(r)))
    }

    fn store_name(&self, i: usize) -> String {
        self.scenario.world.stores[i].name.clone()
    }

    fn header(&mut self) {
        let s = self.scenario;
        let w = &s.world;
        let _ = writeln!(self.out, "# mrsim explain: {}", s.name);
        self.out
            .push_str("# The scenario as it runs: every value resolved; \"# default\" marks what the file left out.\n");
        if s.source.starts_with(RESOLVED_HEADER) {
            let include = schema::describe(self.schema, "include").unwrap_or_default();
            self.out.push_str(&comment(&format!("Built from included fragments. include: {include}")));
        }
        self.open("[scenario]", "scenario");
        self.fact("name", quote(&s.name));
        if !s.description.is_empty() {
            self.fact("description", quote(&s.description));
        }
        self.fact("duration", duration(w.duration));
        self.line("scenario.drain_max", "drain_max", duration(w.drain_max));
        self.line("scenario.metrics_interval", "metrics_interval", duration(w.metrics_interval));
        self.line("scenario.max_events", "max_events", w.max_events.to_string());
        let seed = s.seed.map_or("none (the command line's --seed, else 0x2a)".to_string(), |s| s.to_string());
        self.line("scenario.seed", "seed", quote(&seed));
        self.line("scenario.list_conflicts", "list_conflicts", w.list_conflicts.to_string());
    }

    /// `[network]` as the file gives it: its effect is in each Region's links.
    fn network(&mut self) {
        if self.given("network") {
            self.open("[network]", "network");
        }
    }

    /// `[cost]` resolved: sizes, capacity and instances of the stores it names, the downtime
    /// prices, then the monthly lines and price overrides as the file gives them.
    fn cost(&mut self) {
        let Some(c) = &self.scenario.pricing else { return };
        let d = &c.downtime;
        self.open("[cost]", "cost");
        self.line("cost.response_size_kb", "response_size_kb", format!("{:?}", c.response_size_kb));
        for (key, value) in [
            ("revenue_usd_per_hour", d.revenue_usd_per_hour),
            ("revenue_usd_per_failed_operation", d.revenue_usd_per_failed_operation),
            ("sla_penalty_usd_per_incident", d.sla_penalty_usd_per_incident),
            ("lost_write_usd", d.lost_write_usd),
        ] {
            self.line(&format!("cost.{key}"), key, format!("{value:?}"));
        }
        self.line("cost.sla_incident_min_outage", "sla_incident_min_outage", duration(d.sla_incident_min_outage));
        match d.incidents_per_year {
            Some(n) => self.fact("incidents_per_year", format!("{n:?}")),
            None => self.line_noted(false, "incidents_per_year", quote("none"), "no yearly figures"),
        }
        self.shown(&["store", "monthly_usd", "prices", "annual"]);
        for table in ["monthly_usd", "prices"] {
            if self.given(&format!("cost.{table}")) {
                self.open(&format!("[cost.{table}]"), &format!("cost.{table}"));
            }
        }
        let count = self.lookup("cost.store").and_then(toml::Value::as_array).map_or(0, Vec::len);
        for j in 0..count {
            let at = format!("cost.store.{j}");
            let name = self.lookup(&format!("{at}.name")).and_then(toml::Value::as_str).unwrap_or("").to_string();
            let Some(i) = self.scenario.world.stores.iter().position(|s| s.name == name) else { continue };
            let store = c.stores[i].clone();
            self.open("[[cost.store]]", &at);
            self.fact("name", quote(&name));
            self.line(&format!("{at}.item_size_kb"), "item_size_kb", format!("{:?}", store.item_size_kb));
            match (&self.scenario.world.stores[i].kind, store.capacity) {
                (StoreKind::AuroraGlobal(_), _) => {
                    self.line(&format!("{at}.instance_class"), "instance_class", quote(&store.instance_class));
                    self.line(&format!("{at}.instances"), "instances", store.instances.to_string());
                    self.line(&format!("{at}.io_per_write"), "io_per_write", format!("{:?}", store.io_per_write));
                    self.line(&format!("{at}.io_per_read"), "io_per_read", format!("{:?}", store.io_per_read));
                }
                (StoreKind::Quorum(_), _) if store.dynamodb => {
                    self.fact("billed_as", quote("dynamodb"));
                }
                (_, Capacity::Provisioned { write_units, read_units }) if store.dynamodb => {
                    self.fact("capacity_mode", quote("provisioned"));
                    self.fact("write_capacity_units", format!("{write_units:?}"));
                    self.fact("read_capacity_units", format!("{read_units:?}"));
                }
                (_, Capacity::OnDemand) if store.dynamodb => {
                    self.line(&format!("{at}.capacity_mode"), "capacity_mode", quote("on_demand"));
                }
                _ => {}
            }
        }
        let a = c.annual.clone();
        self.open("[cost.annual]", "cost.annual");
        self.line("cost.annual.region", "region", quote(&self.region(a.region)));
        let rate = format!("{:?}", a.region_outages_per_year);
        self.line("cost.annual.region_outages_per_year", "region_outages_per_year", rate);
        let length = dist(&a.region_outage_duration);
        self.line("cost.annual.region_outage_duration", "region_outage_duration", length);
        self.line("cost.annual.warm_up", "warm_up", duration(a.warm_up));
        self.line("cost.annual.drain", "drain", duration(a.drain));
    }

    /// `[[expect]]` as the file gives it.
    fn expects(&mut self) {
        let count = self.lookup("expect").and_then(toml::Value::as_array).map_or(0, Vec::len);
        for i in 0..count {
            self.open("[[expect]]", &format!("expect.{i}"));
        }
    }

    fn regions(&mut self) {
        let w = &self.scenario.world;
        for r in w.topology.regions() {
            let i = r.index();
            self.open("[[region]]", &format!("region.{i}"));
            self.fact("name", quote(&self.region(r)));
            match &w.app_tiers[i] {
                Some(t) => self.fact(
                    "app_tier",
                    format!(
                        "{{ servers = {}, queue_limit = {}, service_time = {} }}",
                        t.servers,
                        t.queue_limit,
                        dist(&t.service_time)
                    ),
                ),
                None => {
                    self.line_noted(false, "app_tier", quote("capacity not modelled"), "requests are served at once")
                }
            }
            self.out.push_str("# one-way latency of each link out of this Region\n");
            let jitter = if self.given("network.jitter") { "" } else { " (itself a default)" };
            for to in w.topology.regions().filter(|&to| to != r) {
                let overridden = self.link_overridden(r, to);
                let value = link(w.topology.link(r, to));
                let note = format!("half the round trip, {} + network.jitter{jitter}", self.rtt(r, to));
                self.line_noted(overridden, &format!("link.{}", self.region(to)), value, &note);
            }
        }
    }

    /// The default round trip between two Regions and where it comes from, as `explain` notes it:
    /// "rtt 64.2 ms (measured)", "rtt 64 ms (estimated from great-circle distance)".
    fn rtt(&self, a: RegionId, b: RegionId) -> String {
        self.rtt
            .get(&self.region(a), &self.region(b))
            .map_or_else(|| "no round trip known".to_string(), |p| p.describe())
    }

    /// Whether a `[[network.link]]` sets the latency of `from -> to`.
    fn link_overridden(&self, from: RegionId, to: RegionId) -> bool {
        let (from, to) = (self.region(from), self.region(to));
        let Some(links) = self.file.get("network").and_then(|n| n.get("link")).and_then(|l| l.as_array()) else {
            return false;
        };
        links.iter().any(|l| {
            let get = |k: &str| l.get(k).and_then(|v| v.as_str()).unwrap_or("");
            let symmetric = l.get("symmetric").and_then(|v| v.as_bool()).unwrap_or(true);
            (get("from") == from && get("to") == to) || (symmetric && get("from") == to && get("to") == from)
        })
    }

    /// A general quorum store's coordinator, message latencies and staleness probe.
    fn quorum_pbs(&mut self, i: usize, q: &models::stores::quorum::QuorumConfig) {
        use models::stores::quorum::Coordinator;
        let at = |key: &str| format!("store.{i}.{key}");
        let coordinator = match q.coordinator {
            Coordinator::Member => "member",
            Coordinator::Separate => "separate",
        };
        self.line(&at("coordinator"), "coordinator", quote(coordinator));
        let kinds = [
            ("write_latency", &q.latency.write),
            ("ack_latency", &q.latency.ack),
            ("read_latency", &q.latency.read),
            ("response_latency", &q.latency.response),
        ];
        for (key, d) in kinds {
            self.line(&at(key), key, d.as_ref().map_or_else(|| quote("the link's latency"), dist));
        }
        let members: Vec<String> = q
            .member_latency
            .iter()
            .map(|(r, l)| {
                let mut fields = vec![format!("region = {}", quote(&self.region(*r)))];
                for (key, d) in [("write", &l.write), ("ack", &l.ack), ("read", &l.read), ("response", &l.response)] {
                    if let Some(d) = d {
                        fields.push(format!("{key} = {}", dist(d)));
                    }
                }
                format!("{{ {} }}", fields.join(", "))
            })
            .collect();
        self.line(&at("member_latency"), "member_latency", format!("[{}]", members.join(", ")));
        match &q.probe {
            None => self.line(&at("probe_after"), "probe_after", "[]"),
            Some(probe) => {
                self.line(&at("probe_after"), "probe_after", list(probe.after.iter().map(|t| t.to_string())));
                self.line(&at("probe_fraction"), "probe_fraction", probe.fraction.to_string());
                self.line(&at("probe_versions"), "probe_versions", probe.versions.to_string());
            }
        }
    }

    fn store(&mut self, i: usize, s: &StoreConfig) {
        let at = |key: &str| format!("store.{i}.{key}");
        self.open("[[store]]", &format!("store.{i}"));
        self.fact("name", quote(&s.name));
        let written_type = self.file.get("store").and_then(|st| st.get(i)).and_then(|st| st.get("type"));
        let written_type = written_type.and_then(|t| t.as_str()).unwrap_or("").to_string();
        self.fact("type", quote(&written_type));
        match &s.kind {
            StoreKind::DynamoDbMrec => {
                self.line(&at("multi_region_consistency"), "multi_region_consistency", quote("EVENTUAL"));
                self.fact("regions", self.regions_of(s.regions.iter().copied()));
                self.line(&at("replication_delay"), "replication_delay", dist(&s.replication_delay));
                self.line(&at("per_item_order"), "per_item_order", s.per_item_order.to_string());
            }
            StoreKind::Quorum(q) => {
                if written_type == "dynamodb_global_table" {
                    self.fact("multi_region_consistency", quote("STRONG"));
                }
                let members = |witness: bool| q.members.iter().filter(move |m| m.witness == witness).map(|m| m.region);
                self.fact("regions", self.regions_of(members(false)));
                let witness_key = if written_type == "quorum" { "witnesses" } else { "witness" };
                self.line(&at(witness_key), "witnesses", self.regions_of(members(true)));
                self.line(&at("write_quorum"), "write_quorum", q.write_quorum.to_string());
                self.line(&at("read_quorum"), "read_quorum", q.read_quorum.to_string());
                self.line(&at("timeout"), "timeout", duration(q.timeout));
                self.line(&at("read_repair"), "read_repair", q.read_repair.to_string());
                let apply = match q.apply {
                    models::stores::quorum::Apply::OnCommit => "on_commit",
                    models::stores::quorum::Apply::OnReceipt => "on_receipt",
                };
                self.line(&at("apply"), "apply", quote(apply));
                if written_type == "quorum" {
                    self.quorum_pbs(i, q);
                }
            }
            StoreKind::AuroraGlobal(a) => {
                self.fact("writer", quote(&self.region(a.writer)));
                let secondaries =
                    |headless: bool| a.secondaries.iter().filter(move |s| s.headless == headless).map(|s| s.region);
                self.line(&at("secondaries"), "secondaries", self.regions_of(secondaries(false)));
                self.line(&at("headless_secondaries"), "headless_secondaries", self.regions_of(secondaries(true)));
                self.line(&at("commit_latency"), "commit_latency", dist(&a.commit_latency));
                self.line(&at("replication_lag"), "replication_lag", dist(&a.replication_lag));
                let forwarding = a.write_forwarding.map_or("off".to_string(), |c| format!("{c:?}").to_uppercase());
                self.line(&at("write_forwarding"), "write_forwarding", quote(&forwarding));
                self.line(&at("switchover_promotion"), "switchover_promotion", duration(a.switchover_promotion));
                self.line(&at("failover_promotion"), "failover_promotion", dist(&a.failover_promotion));
                let fence = a.fence_gap.map_or(quote("none (fencing works)"), duration);
                self.line(&at("fence_gap"), "fence_gap", fence);
                let rpo = a.rpo_bound.map_or(quote("unset"), duration);
                self.line(&at("rds_global_db_rpo"), "rds_global_db_rpo", rpo);
                self.line(&at("endpoint_update_delay"), "endpoint_update_delay", duration(a.endpoint_update_delay));
                self.line(&at("instance_creation"), "instance_creation", dist(&a.instance_creation));
            }
            StoreKind::S3Replication(c) => {
                self.fact("buckets", self.regions_of(c.buckets.iter().copied()));
                let rules: Vec<String> = c
                    .rules
                    .iter()
                    .map(|r| format!("[{}, {}]", quote(&self.region(r.from)), quote(&self.region(r.to))))
                    .collect();
                self.fact("rules", format!("[{}]", rules.join(", ")));
                self.line(&at("rtc"), "rtc", c.rtc.to_string());
                self.line(&at("replication_lag"), "replication_lag", dist(&c.replication_lag()));
                self.line(&at("commit_latency"), "commit_latency", dist(&c.commit_latency));
                self.line(
                    &at("delete_marker_replication"),
                    "delete_marker_replication",
                    c.delete_marker_replication.to_string(),
                );
                self.line(&at("existing_objects"), "existing_objects", c.existing_objects.to_string());
            }
        }
        self.line(
            &at("replication_retry_interval"),
            "replication_retry_interval",
            duration(s.replication_retry_interval),
        );
        self.line(&at("catch_up_rate"), "catch_up_rate", s.catch_up_rate.to_string());
        self.line(&at("idempotency"), "idempotency", s.idempotency.to_string());
    }

    fn population(&mut self, i: usize, p: &PopulationConfig) {
        let at = |key: &str| format!("population.{i}.{key}");
        self.open("[[population]]", &format!("population.{i}"));
        self.fact("name", quote(&p.name));
        self.fact("region", quote(&self.region(p.region)));
        match &p.arrivals {
            Arrivals::Open(profile) => self.fact(
                if matches!(profile, RateProfile::Constant(_)) { "rate" } else { "rate_profile" },
                rate_profile(profile),
            ),
            Arrivals::Closed { sessions, think_time } => {
                self.fact("sessions", sessions.to_string());
                self.line(&at("think_time"), "think_time", dist(think_time));
            }
            Arrivals::Trace(entries) => {
                let file = self.file.get("population").and_then(|ps| ps.get(i)).and_then(|p| p.get("trace"));
                let file = file.and_then(|f| f.as_str()).unwrap_or("").to_string();
                let _ = writeln!(
                    self.out,
                    "trace = {}  # {}",
                    quote(&file),
                    crate::count(entries.len() as u64, "operation", "operations")
                );
            }
        }
        if matches!(p.arrivals, Arrivals::Open(_)) {
            self.line(&at("users"), "users", p.users.to_string());
        }
        self.line(&at("timeout"), "timeout", duration(p.timeout));
        let r = p.retry;
        let retry = format!(
            "{{ max_attempts = {}, base_delay = {}, max_delay = {} }}",
            r.max_attempts,
            duration(r.base_delay),
            duration(r.max_delay)
        );
        self.line(&at("retry"), "retry", retry);
        self.line(&at("pinning"), "pinning", p.pinning.to_string());
        let window = p.read_your_writes_window.map_or(quote("off"), duration);
        self.line(&at("read_your_writes_window"), "read_your_writes_window", window);
        self.client_routing(i, p);
        self.out.push_str("# one-way latency from these clients to each Region\n");
        let w = &self.scenario.world;
        for r in w.topology.regions() {
            let name = self.region(r);
            let given = r == p.region || self.given(&at(&format!("latency.{name}")));
            let note = format!("access_latency + half the round trip from their Region, {}", self.rtt(p.region, r));
            self.line_noted(given, &format!("latency.{name}"), link(&p.latency[r.index()]), &note);
        }
        let shorthand = !self.given(&at("operation"));
        self.shown(&["operation"]);
        for (j, o) in p.operations.iter().enumerate() {
            self.operation(i, j, o, shorthand);
        }
    }

    fn operation(&mut self, population: usize, j: usize, o: &OperationMixEntry, shorthand: bool) {
        let at = |key: &str| format!("population.{population}.operation.{j}.{key}");
        self.open("[[population.operation]]", &format!("population.{population}.operation.{j}"));
        if shorthand {
            self.out.push_str("# from the shorthand store / read_fraction / keys\n");
        }
        self.fact("weight", o.weight.to_string());
        match &o.multi {
            Some(m) => {
                self.fact("steps", list(m.steps.iter().map(|s| self.store_name(s.index()))));
                let (on_partial, after) = match m.on_partial {
                    PartialRepair::Leave => ("leave", None),
                    PartialRepair::Retry { after } => ("retry", Some(after)),
                    PartialRepair::Compensate => ("compensate", None),
                };
                self.line(&at("on_partial"), "on_partial", quote(on_partial));
                if let Some(after) = after {
                    self.line(&at("repair_after"), "repair_after", duration(after));
                }
            }
            None => self.fact("store", quote(&self.store_name(o.store.index()))),
        }
        self.fact("type", quote(o.kind.name()));
        self.fact("keys", keys(&o.keys));
        if o.kind.is_read() {
            self.line(&at("consistent_read"), "consistent_read", o.consistent_read.to_string());
        }
    }

    fn faults(&mut self) {
        let s = self.scenario;
        for (i, f) in s.world.faults.iter().enumerate() {
            self.open("[[fault]]", &format!("fault.{i}"));
            self.fact("type", quote(f.kind.type_name()));
            let _ = writeln!(self.out, "# strikes {}", describe_fault(&f.kind, s));
            self.fact("start", time(f.start));
            match f.end {
                Some(end) => self.line(&format!("fault.{i}.end"), "end", time(end)),
                None => self.fact("permanent", "true"),
            }
            match &f.kind {
                FaultKind::RegionOutage { scope, probes, .. } => {
                    self.line(&format!("fault.{i}.scope"), "scope", quote(scope_name(scope)));
                    if *scope == OutageScope::Region {
                        let probes = if *probes == ProbeAnswer::Refused { "refused" } else { "time_out" };
                        self.line(&format!("fault.{i}.probes"), "probes", quote(probes));
                    }
                }
                FaultKind::Partition { one_way, mode, .. } => {
                    let direction = if *one_way { "a_to_b" } else { "both" };
                    self.line(&format!("fault.{i}.direction"), "direction", quote(direction));
                    let mode = if *mode == models::config::PartitionMode::Drop { "drop" } else { "hold" };
                    self.line(&format!("fault.{i}.mode"), "mode", quote(mode));
                }
                FaultKind::DegradedLink { extra_latency, loss, .. } => {
                    self.line(&format!("fault.{i}.extra_latency"), "extra_latency", dist(extra_latency));
                    self.line(&format!("fault.{i}.loss"), "loss", loss.to_string());
                }
                FaultKind::ClockSkew { drift_ppm, .. } => {
                    self.line(&format!("fault.{i}.drift_ppm"), "drift_ppm", drift_ppm.to_string());
                }
                _ => {}
            }
        }
        for (i, g) in s.world.fault_generators.iter().enumerate() {
            let at = |key: &str| format!("fault_generator.{i}.{key}");
            self.open("[[fault_generator]]", &format!("fault_generator.{i}"));
            let (name, detail): (&str, Vec<(&str, String)>) = match &g.kind {
                GeneratedKind::RegionOutage(scope) => ("region_outage", vec![("scope", quote(scope_name(scope)))]),
                GeneratedKind::Partition(mode) => {
                    ("partition", vec![("mode", quote(&format!("{mode:?}").to_lowercase()))])
                }
                GeneratedKind::DegradedLink { extra_latency, loss } => {
                    ("degraded_link", vec![("extra_latency", dist(extra_latency)), ("loss", loss.to_string())])
                }
                GeneratedKind::ClockSkew { offset } => ("clock_skew", vec![("offset", dist(offset))]),
                GeneratedKind::ControlPlaneOutage => ("control_plane_outage", vec![]),
                GeneratedKind::HealthCheckFlapping { period } => {
                    ("health_check_flapping", vec![("period", duration(*period))])
                }
            };
            self.fact("type", quote(name));
            self.line(&at("regions"), "regions", self.regions_of(g.regions.iter().copied()));
            self.fact("rate_per_hour", g.rate_per_hour.to_string());
            self.fact("duration", dist(&g.duration));
            for (key, value) in detail {
                self.line(&at(key), key, value);
            }
        }
    }

    fn actions(&mut self) {
        let s = self.scenario;
        for (i, a) in s.world.actions.iter().enumerate() {
            self.open("[[action]]", &format!("action.{i}"));
            self.fact("type", quote(a.kind.type_name()));
            match a.trigger {
                Trigger::At(at) => self.fact("at", time(at)),
                Trigger::Alarm(alarm) => {
                    self.fact("when", format!("{{ alarm = {} }}", quote(&s.world.alarms[alarm].name)))
                }
                Trigger::RegionUnhealthy { region, for_ } => self.fact(
                    "when",
                    format!("{{ region_unhealthy = {}, for = {} }}", quote(&self.region(region)), duration(for_)),
                ),
            }
            self.line(&format!("action.{i}.reaction_time"), "reaction_time", duration(a.reaction_time));
            match &a.kind {
                ActionKind::ScaleOut { region, servers, provisioning_delay } => {
                    self.fact("region", quote(&self.region(*region)));
                    self.fact("servers", servers.to_string());
                    self.line(
                        &format!("action.{i}.provisioning_delay"),
                        "provisioning_delay",
                        duration(*provisioning_delay),
                    );
                }
                ActionKind::Repin { from, to } => {
                    self.fact("from", quote(&self.region(*from)));
                    self.fact("to", quote(&self.region(*to)));
                }
                ActionKind::AuroraSwitchover { store, target } | ActionKind::AuroraFailover { store, target } => {
                    self.fact("store", quote(&self.store_name(store.index())));
                    self.fact("target", quote(&self.region(*target)));
                }
                ActionKind::AuroraAddInstance { store, region } => {
                    self.fact("store", quote(&self.store_name(store.index())));
                    self.fact("region", quote(&self.region(*region)));
                }
                ActionKind::S3BatchReplication { store } => {
                    self.fact("store", quote(&self.store_name(store.index())));
                }
                ActionKind::RoutingControl { control, on } => {
                    self.fact("control", quote(&s.world.routing.routing_controls[*control].name));
                    self.fact("state", quote(if *on { "On" } else { "Off" }));
                }
                ActionKind::Route53RecordChange { record, weight, present } => {
                    let region = s.world.routing.route53.as_ref().map(|r| r.records[*record].region);
                    if let Some(region) = region {
                        self.fact("record", quote(&self.region(region)));
                    }
                    if let Some(w) = weight {
                        self.fact("weight", w.to_string());
                    }
                    if let Some(p) = present {
                        self.fact("withdraw", (!p).to_string());
                    }
                }
                ActionKind::TrafficDial { group, percentage } => {
                    let region = s.world.routing.accelerator.as_ref().map(|a| a.endpoint_groups[*group].region);
                    if let Some(region) = region {
                        self.fact("region", quote(&self.region(region)));
                    }
                    self.fact("traffic_dial_percentage", percentage.to_string());
                }
            }
        }
    }
}

fn rate_profile(p: &RateProfile) -> String {
    let points =
        |ps: &[(SimTime, f64)]| ps.iter().map(|(t, r)| format!("[{}, {r}]", time(*t))).collect::<Vec<_>>().join(", ");
    match p {
        RateProfile::Constant(r) => format!("{r}  # requests per second, Poisson"),
        RateProfile::Steps(ps) => format!("{{ type = \"steps\", points = [{}] }}", points(ps)),
        RateProfile::Piecewise(ps) => format!("{{ type = \"piecewise\", points = [{}] }}", points(ps)),
        RateProfile::Ramp { from_rate, to_rate, start, end } => format!(
            "{{ type = \"ramp\", from_rate = {from_rate}, to_rate = {to_rate}, start = {}, end = {} }}",
            time(*start),
            time(*end)
        ),
        RateProfile::Daily { mean_rate, amplitude, period, peak_at } => format!(
            "{{ type = \"daily\", mean_rate = {mean_rate}, amplitude = {amplitude}, period = {}, peak_at = {} }}",
            duration(*period),
            duration(*peak_at)
        ),
    }
}

fn scope_name(scope: &OutageScope) -> &'static str {
    match scope {
        OutageScope::Region => "region",
        OutageScope::AppTier => "app_tier",
        OutageScope::Store(_) => "store",
        OutageScope::HealthEndpoint => "health_endpoint",
        OutageScope::RequestsOnly => "requests_only",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCENARIO: &str = r#"
[scenario]
name = "explain-test"
duration = "10m"

[network]
[[network.link]]
from = "us-east-1"
to = "us-west-2"
latency = "40ms"
symmetric = false

[[region]]
name = "us-east-1"
app_tier = { servers = 4, queue_limit = 10, service_time = "exp(mean=5ms)" }

[[region]]
name = "us-west-2"

[[store]]
name = "q"
type = "quorum"
regions = ["us-east-1", "us-west-2"]
write_quorum = 2

[[population]]
name = "p"
region = "us-east-1"
access_latency = "10ms"
rate_profile = { type = "ramp", from_rate = 10.0, to_rate = 20.0, start = "1m", end = "2m" }

[[population.operation]]
store = "q"
type = "read"
keys = { zipf = 10, exponent = 1.0 }

[[fault_generator]]
type = "region_outage"
rate_per_hour = 2.0
duration = "exp(mean=1m)"
"#;

    fn explained() -> String {
        let s = scenario::parse(Path::new("t.toml"), SCENARIO).expect("a valid scenario");
        explain(&s).expect("explained")
    }

    #[test]
    fn link_overrides_generators_and_profiles_are_explained() {
        let text = explained();
        assert_eq!(text, explained(), "deterministic");
        assert!(text.contains("# The kind of store; \"quorum\" is a general quorum store"), "{text}");
        assert_eq!(text.matches("# The kind of store;").count(), 1, "a key is described once:\n{text}");
        let text: String = text.lines().filter(|l| !l.starts_with('#')).map(|l| format!("{l}\n")).collect();
        for needle in [
            "app_tier = { servers = 4, queue_limit = 10, service_time = \"exp(mean=5ms)\" }\n",
            "link.us-west-2 = \"const(40ms)\"\n",
            "link.us-east-1 = \"32.1ms + exp(mean=1ms)\"  # default: half the round trip, rtt 64.2 ms (measured) + network.jitter (itself a default)",
            "write_quorum = 2\n",
            "read_quorum = 2  # default",
            "rate_profile = { type = \"ramp\", from_rate = 10, to_rate = 20, start = \"1m\", end = \"2m\" }",
            "weight = 1\n",
            "consistent_read = false  # default",
            "[[fault_generator]]\ntype = \"region_outage\"\nregions = [\"us-east-1\", \"us-west-2\"]  # default",
            "scope = \"region\"  # default",
        ] {
            assert!(text.contains(needle), "lacks {needle:?}:\n{text}");
        }
    }
}
