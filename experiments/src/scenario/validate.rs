//! From the raw mirror to a validated scenario: names resolved to ids, ranges checked, documented
//! defaults filled in. Every problem is collected, so a user fixes a file in one pass.
//!
//! Defaults, and where they come from (see shared/reference/aws-facts.md):
//! - link latency: half the pair's median round trip (`models/data/region_rtt.csv`: measured where
//!   a public measurement exists, else estimated from great-circle distance), plus
//!   `network.jitter` (default `exp(mean=1ms)`, an assumption: the measurements give medians, not
//!   spreads);
//! - DynamoDB MREC `replication_delay`: `lognormal(median=500ms, sigma=0.5)`, anchored to AWS's
//!   "typically within a second or less" (no SLA; the shape is an assumption);
//! - `multi_region_consistency`: `EVENTUAL`, DynamoDB's own default;
//! - request `timeout`: 5s (an assumption; set it to your SDK's configuration);
//! - store `idempotency`: off (a retried write may apply twice unless the scenario says the store
//!   enforces idempotency keys);
//! - `replication_retry_interval`: 1s (an assumption: the resend timeout of a lost replication
//!   message is not documented);
//! - `catch_up_rate`: 10 000 items per second (an assumption: how fast a replica that was cut off
//!   resynchronises is not documented; see `models::stores::quorum::DEFAULT_CATCH_UP_RATE`);
//! - `drain_max` 30m, `metrics_interval` 1s, `max_events` 200 000 000;
//! - the routing tier's and alarms' defaults are AWS's own, listed in `validate_route53`,
//!   `validate_edge`, `validate_routing` and `validate_alarms`.

use std::collections::BTreeMap;
use std::path::Path;

use models::config::{StoreConfig, StoreKind, WorldConfig};
use models::ids::StoreId;
use models::regions::{known_region, known_region_names};
use models::rtt::RttMatrix;
use models::topology::{LinkLatency, Topology};
use sim_core::{Dist, Seed, SimDuration};

use super::raw::{RawScenario, Spanned};
use super::shared::{Problems, RoutingNames, region_list};
use super::{
    Diagnostic, Scenario, applies, expect, validate_alarms, validate_clients, validate_faults, validate_routing,
    validate_stores,
};

const DEFAULT_DRAIN_MAX: SimDuration = SimDuration::from_mins(30);
const DEFAULT_METRICS_INTERVAL: SimDuration = SimDuration::from_secs(1);
const DEFAULT_MAX_EVENTS: u64 = 200_000_000;
const DEFAULT_JITTER: &str = "exp(mean=1ms)";
const DEFAULT_REPLICATION_DELAY: &str = "lognormal(median=500ms, sigma=0.5)";
const DEFAULT_REPLICATION_RETRY: SimDuration = SimDuration::from_secs(1);

/// Checks `raw` (parsed from `source`) and builds the scenario, or returns every problem found.
pub fn validate(raw: &RawScenario, source: &str, base_dir: &Path) -> Result<Scenario, Vec<Diagnostic>> {
    let mut p = Problems { source, list: Vec::new(), warnings: Vec::new() };
    let header = &raw.scenario;
    let duration = header.duration.get_ref().0;
    if duration.is_zero() {
        p.at(header.duration.span(), "scenario.duration", "found 0s; expected a positive duration");
    }
    let drain_max = header.drain_max.as_ref().map_or(DEFAULT_DRAIN_MAX, |d| d.get_ref().0);
    if let Some(d) = &header.drain_max
        && d.get_ref().0.is_zero()
    {
        p.at(d.span(), "scenario.drain_max", "found 0s; expected a positive duration");
    }
    let metrics_interval = header.metrics_interval.as_ref().map_or(DEFAULT_METRICS_INTERVAL, |d| d.get_ref().0);
    if let Some(d) = &header.metrics_interval
        && (d.get_ref().0.is_zero() || d.get_ref().0 > duration)
    {
        p.at(
            d.span(),
            "scenario.metrics_interval",
            format!(
                "found {}; expected a positive duration no longer than scenario.duration ({duration})",
                d.get_ref().0
            ),
        );
    }
    let max_events = match &header.max_events {
        None => DEFAULT_MAX_EVENTS,
        Some(n) if *n.get_ref() > 0 => *n.get_ref() as u64,
        Some(n) => {
            p.at(
                n.span(),
                "scenario.max_events",
                format!("found {}; expected a positive number of events", n.get_ref()),
            );
            DEFAULT_MAX_EVENTS
        }
    };
    let seed = header.seed.as_ref().and_then(|s| match s.get_ref().parse::<Seed>() {
        Ok(seed) => Some(seed),
        Err(e) => {
            p.at(s.span(), "scenario.seed", e.to_string());
            None
        }
    });

    applies::check(source, &mut p);
    let before = p.list.len();
    let names = regions(raw, &mut p);
    // Links are pairwise: a Region declared twice (or unknown) is reported first, and no pair is
    // looked at, so a file of thousands of duplicate [[region]] tables costs no quadratic work.
    let topology = match p.list.len() == before {
        true => topology(raw, &names, &mut p),
        false => None,
    };

    let mut stores = Vec::new();
    let mut store_ids: BTreeMap<String, StoreId> = BTreeMap::new();
    for (i, s) in raw.stores.iter().enumerate() {
        let path = format!("store[{i}]");
        let kind = validate_stores::kind(s, i, &names, &mut p);
        if store_ids.insert(s.name.get_ref().clone(), StoreId::new(i)).is_some() {
            p.at(
                s.name.span(),
                format!("{path}.name"),
                format!("store name {:?} is used twice; expected unique names", s.name.get_ref()),
            );
        }
        let replication_delay = s.replication_delay.as_ref().map_or_else(default_replication_delay, |d| d.0.clone());
        let replication_retry_interval =
            s.replication_retry_interval.as_ref().map_or(DEFAULT_REPLICATION_RETRY, |d| d.get_ref().0);
        if replication_retry_interval.is_zero() {
            let span = s.replication_retry_interval.as_ref().map(Spanned::span).unwrap_or(0..0);
            p.at(span, format!("{path}.replication_retry_interval"), "found 0s; expected a positive duration");
        }
        let catch_up_rate = match &s.catch_up_rate {
            None => models::stores::quorum::DEFAULT_CATCH_UP_RATE,
            Some(r) if *r.get_ref() >= 1 => *r.get_ref() as u64,
            Some(r) => {
                let message = format!("found {}; expected at least 1 (items per second)", r.get_ref());
                p.at(r.span(), format!("{path}.catch_up_rate"), message);
                models::stores::quorum::DEFAULT_CATCH_UP_RATE
            }
        };
        // An invalid store was reported; a placeholder keeps the others' indices and spares the
        // populations that name it a second, misleading "not declared".
        let (kind, regions) = kind.unwrap_or((StoreKind::DynamoDbMrec, Vec::new()));
        stores.push(StoreConfig {
            kind,
            name: s.name.get_ref().clone(),
            regions,
            replication_delay,
            replication_retry_interval,
            catch_up_rate,
            idempotency: s.idempotency.unwrap_or(false),
            per_item_order: s.per_item_order.unwrap_or(true),
        });
    }

    let store_names: Vec<String> = raw.stores.iter().map(|s| s.name.get_ref().clone()).collect();
    let routing_names = RoutingNames::new(raw);
    let routing = validate_routing::routing(raw, &routing_names, &names, &store_names, &mut p);
    let alarms = validate_alarms::alarms(&raw.alarms, &routing_names, &names, &stores, &mut p);

    let inputs = std::cell::RefCell::new(Vec::new());
    let ctx = validate_clients::Context {
        regions: &names,
        stores: &stores,
        topology: topology.as_ref(),
        base_dir,
        routing: &routing_names,
        inputs: &inputs,
    };
    let mut population_names: Vec<&String> = Vec::new();
    let mut populations = Vec::new();
    for (i, c) in raw.populations.iter().enumerate() {
        if population_names.contains(&c.name.get_ref()) {
            p.at(
                c.name.span(),
                format!("population[{i}].name"),
                format!("population name {:?} is used twice; expected unique names", c.name.get_ref()),
            );
        }
        population_names.push(c.name.get_ref());
        if let Some(population) = validate_clients::population(c, i, &ctx, &mut p) {
            populations.push(population);
        }
    }
    let app_tiers: Vec<_> = raw
        .regions
        .iter()
        .enumerate()
        .map(|(i, r)| {
            r.app_tier.as_ref().and_then(|t| validate_clients::app_tier(t, &format!("region[{i}].app_tier"), &mut p))
        })
        .collect();
    let has_tier: Vec<bool> = app_tiers.iter().map(Option::is_some).collect();
    let actions: Vec<_> = raw
        .actions
        .iter()
        .enumerate()
        .filter_map(|(i, a)| validate_clients::action(a, i, &ctx, &has_tier, &mut p))
        .collect();

    let fault_names = validate_faults::Names { regions: &names, stores: &store_names };
    let mut faults = Vec::new();
    for (i, f) in raw.faults.iter().enumerate() {
        if let Some(fault) = validate_faults::fault(f, i, &fault_names, duration, &mut p) {
            faults.push((i, fault));
        }
    }
    validate_faults::overlaps(&faults, &raw.faults, duration, &mut p);
    let faults: Vec<_> = faults.into_iter().map(|(_, f)| f).collect();
    let fault_generators: Vec<_> = raw
        .fault_generators
        .iter()
        .enumerate()
        .filter_map(|(i, g)| validate_faults::generator(g, i, &fault_names, &mut p))
        .collect();

    let expects = expect::expects(raw, &mut p);
    let pricing = super::validate_cost::cost(raw, &names, &mut p);

    if !p.list.is_empty() {
        return Err(p.list);
    }
    let world = WorldConfig {
        topology: topology.expect("no problems means the topology was built"),
        duration,
        drain_max,
        max_events,
        metrics_interval,
        stores,
        app_tiers,
        populations,
        actions,
        faults,
        routing,
        alarms,
        fault_generators,
        list_conflicts: header.list_conflicts.unwrap_or(false),
    };
    let cost = super::cost::estimate(&world);
    if let Some(refusal) = cost.refusal() {
        p.at_path("scenario", refusal);
        return Err(p.list);
    }
    Ok(Scenario {
        cost,
        name: header.name.clone(),
        description: header.description.clone(),
        seed,
        world,
        expects,
        pricing,
        source: source.to_string(),
        inputs: inputs.into_inner(),
        overrides: Vec::new(),
        warnings: super::Warnings::new(p.warnings),
        store_types: raw.stores.iter().map(validate_stores::type_label).collect(),
    })
}

fn default_replication_delay() -> Dist {
    Dist::parse_duration(DEFAULT_REPLICATION_DELAY).expect("the default replication delay parses")
}

fn regions(raw: &RawScenario, p: &mut Problems) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    if raw.regions.is_empty() {
        p.at_path("region", "no [[region]] is declared; expected at least one, for example name = \"us-east-1\"");
    }
    for (i, r) in raw.regions.iter().enumerate() {
        let name = r.name.get_ref();
        if known_region(name).is_none() {
            let known: Vec<&str> = known_region_names().collect();
            p.at(
                r.name.span(),
                format!("region[{i}].name"),
                format!("unknown Region {name:?}; expected an AWS Region name, one of: {}", known.join(", ")),
            );
        } else if names.contains(name) {
            p.at(
                r.name.span(),
                format!("region[{i}].name"),
                format!("Region {name:?} is declared twice; expected each Region once"),
            );
        }
        names.push(name.clone());
    }
    names
}

fn topology(raw: &RawScenario, names: &[String], p: &mut Problems) -> Option<Topology> {
    let jitter = raw
        .network
        .jitter
        .as_ref()
        .map_or_else(|| Dist::parse_duration(DEFAULT_JITTER).expect("the default jitter parses"), |j| j.0.clone());
    let n = names.len();
    let mut overrides: BTreeMap<(usize, usize), Dist> = BTreeMap::new();
    for (i, link) in raw.network.links.iter().enumerate() {
        let index = |name: &Spanned<String>, field: &str, p: &mut Problems| {
            let found = names.iter().position(|n| n == name.get_ref());
            if found.is_none() {
                p.at(
                    name.span(),
                    format!("network.link[{i}].{field}"),
                    format!(
                        "Region {:?} is not declared in this scenario; expected one of: {}",
                        name.get_ref(),
                        region_list(names)
                    ),
                );
            }
            found
        };
        let (from, to) = (index(&link.from, "from", p), index(&link.to, "to", p));
        if let (Some(from), Some(to)) = (from, to) {
            if from == to {
                p.at(
                    link.to.span(),
                    format!("network.link[{i}].to"),
                    "found the same Region as from; expected a link between two different Regions",
                );
            }
            overrides.insert((from, to), link.latency.0.clone());
            if link.symmetric {
                overrides.insert((to, from), link.latency.0.clone());
            }
        }
    }
    let rtt = RttMatrix::shipped();
    let mut links = Vec::with_capacity(n);
    let mut complete = true;
    for from in 0..n {
        let mut row = Vec::with_capacity(n);
        for to in 0..n {
            let latency = if from == to {
                LinkLatency { base: SimDuration::ZERO, extra: Dist::Constant(0.0) }
            } else if let Some(d) = overrides.get(&(from, to)) {
                LinkLatency { base: SimDuration::ZERO, extra: d.clone() }
            } else if let Some(pair) = rtt.get(&names[from], &names[to]) {
                LinkLatency { base: SimDuration::from_secs_f64(pair.rtt_ms / 2.0 / 1000.0), extra: jitter.clone() }
            } else {
                // Every pair of known Regions has a round trip (models' rtt tests); an unknown
                // Region was reported where it is declared, and a missing pair for it is noise.
                complete = false;
                LinkLatency { base: SimDuration::ZERO, extra: Dist::Constant(0.0) }
            };
            row.push(latency);
        }
        links.push(row);
    }
    complete.then(|| Topology::new(names.to_vec(), links))
}
