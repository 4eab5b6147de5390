//! Validation of `[[population]]` (arrivals, operation mix, keys, retries, sessions, traces),
//! Regions' `app_tier` and `[[action]]` tables. A population's routing keys, the routing actions
//! and actions' triggers are checked by `validate_routing` and `validate_alarms`; an action field
//! given to a type that does not use it is an error here (it would otherwise be silently ignored).
//!
//! Defaults, and where they come from:
//! - `users`: 1000 per open-loop population (an assumption: set it to your user count);
//! - `retry`: 3 attempts in all and backoff capped at 20 s, the AWS SDKs' standard retry mode;
//!   base delay 50 ms (an assumption);
//! - latency to a Region other than the population's own: its access latency plus half the
//!   round trip between the two Regions (measured or estimated, `models/data/region_rtt.csv`);
//! - scale-out `provisioning_delay`: 5m (an assumption: instance launch plus warm-up).

use std::collections::BTreeMap;
use std::path::Path;

use models::apptier::AppTierConfig;
use models::config::{
    ActionConfig, ActionKind, Arrivals, KeyChoice, MultiStep, OperationKind, OperationMixEntry, PartialRepair,
    PopulationConfig, RateProfile, RetryPolicy, StoreConfig, TraceEntry,
};
use models::ids::{Key, RegionId, StoreId};
use models::topology::{LinkLatency, Topology};
use sim_core::{Dist, SimDuration, SimTime};

use super::raw::{
    ActionType, RateProfileType, RawAction, RawAppTier, RawKeys, RawOperation, RawOperationKind, RawPartialRepair,
    RawPopulation, RawRateProfile, Spanned,
};
use super::shared::RoutingNames;
use super::shared::{Problems, declared_region, declared_store};
use super::{validate_alarms, validate_routing};

const DEFAULT_USERS: u64 = 1000;
const DEFAULT_TIMEOUT: SimDuration = SimDuration::from_secs(5);
const DEFAULT_RETRY: RetryPolicy =
    RetryPolicy { max_attempts: 3, base_delay: SimDuration::from_millis(50), max_delay: SimDuration::from_secs(20) };
const DEFAULT_PROVISIONING_DELAY: SimDuration = SimDuration::from_mins(5);

/// What the client validators need to resolve names.
pub(super) struct Context<'a> {
    pub regions: &'a [String],
    pub stores: &'a [StoreConfig],
    pub topology: Option<&'a Topology>,
    /// The folder of the scenario file, for trace paths.
    pub base_dir: &'a Path,
    /// What the routing sections and alarms declare, for populations' entries and actions.
    pub routing: &'a RoutingNames,
    /// The trace files read so far, with their size and hash, for the manifest (each once).
    pub inputs: &'a std::cell::RefCell<Vec<super::InputFile>>,
}

impl Context<'_> {
    fn region(&self, name: &Spanned<String>, path: &str, p: &mut Problems) -> Option<RegionId> {
        declared_region(self.regions, name, path, p)
    }
    fn store(&self, name: &Spanned<String>, path: &str, p: &mut Problems) -> Option<StoreId> {
        let names: Vec<String> = self.stores.iter().map(|s| s.name.clone()).collect();
        declared_store(&names, name, path, p)
    }
}

pub(super) fn app_tier(t: &Spanned<RawAppTier>, path: &str, p: &mut Problems) -> Option<AppTierConfig> {
    let raw = t.get_ref();
    let servers = *raw.servers.get_ref();
    if !(1..=1_000_000).contains(&servers) {
        p.at(
            raw.servers.span(),
            format!("{path}.servers"),
            format!("found {servers}; expected between 1 and 1000000 servers"),
        );
    }
    let queue_limit = *raw.queue_limit.get_ref();
    if !(0..=100_000_000).contains(&queue_limit) {
        p.at(
            raw.queue_limit.span(),
            format!("{path}.queue_limit"),
            format!("found {queue_limit}; expected a queue limit between 0 and 100000000"),
        );
    }
    Some(AppTierConfig {
        servers: servers.clamp(1, 1_000_000) as u32,
        queue_limit: queue_limit.clamp(0, 100_000_000) as u32,
        service_time: raw.service_time.0.clone(),
    })
}

fn keys(k: &Spanned<RawKeys>, path: &str, p: &mut Problems) -> Option<KeyChoice> {
    let raw = k.get_ref();
    let count = |v: &Spanned<i64>, field: &str, p: &mut Problems| {
        if *v.get_ref() < 1 {
            p.at(v.span(), format!("{path}.{field}"), format!("found {}; expected at least 1 key", v.get_ref()));
        }
        (*v.get_ref()).max(1) as u64
    };
    let choice = match (&raw.uniform, &raw.zipf, &raw.hot_set) {
        (Some(n), None, None) => KeyChoice::Uniform { keys: count(n, "uniform", p) },
        (None, Some(n), None) => {
            let Some(exponent) = &raw.exponent else {
                p.at(
                    k.span(),
                    path,
                    "zipf needs `exponent`; expected for example keys = { zipf = 10000, exponent = 1.1 }",
                );
                return None;
            };
            KeyChoice::Zipf { keys: count(n, "zipf", p), exponent: *exponent.get_ref() }
        }
        (None, None, Some(n)) => {
            let (Some(hk), Some(ht)) = (&raw.hot_key_fraction, &raw.hot_traffic_fraction) else {
                p.at(k.span(), path, "hot_set needs `hot_key_fraction` and `hot_traffic_fraction`; expected for example keys = { hot_set = 10000, hot_key_fraction = 0.01, hot_traffic_fraction = 0.9 }");
                return None;
            };
            KeyChoice::HotSet {
                keys: count(n, "hot_set", p),
                hot_key_fraction: *hk.get_ref(),
                hot_traffic_fraction: *ht.get_ref(),
            }
        }
        _ => {
            p.at(
                k.span(),
                path,
                "expected exactly one of uniform, zipf or hot_set, for example keys = { uniform = 8 }",
            );
            return None;
        }
    };
    if let Err(e) = choice.validate() {
        p.at(k.span(), path, e);
        return None;
    }
    Some(choice)
}

fn rate_profile(r: &Spanned<RawRateProfile>, path: &str, p: &mut Problems) -> Option<RateProfile> {
    let raw = r.get_ref();
    let at = |d: &super::raw::DurationText| SimTime::at(d.0);
    let points = || raw.points.as_ref().map(|pts| pts.iter().map(|(t, v)| (at(t), *v)).collect::<Vec<_>>());
    let missing = |what: &str, p: &mut Problems| {
        p.at(r.span(), path, format!("this rate profile needs {what}"));
        None
    };
    let profile = match raw.profile_type {
        RateProfileType::Steps => match points() {
            Some(pts) => RateProfile::Steps(pts),
            None => return missing("points = [[\"0s\", 100.0], ...]", p),
        },
        RateProfileType::Piecewise => match points() {
            Some(pts) => RateProfile::Piecewise(pts),
            None => return missing("points = [[\"0s\", 100.0], ...]", p),
        },
        RateProfileType::Ramp => match (raw.from_rate, raw.to_rate, &raw.start, &raw.end) {
            (Some(from_rate), Some(to_rate), Some(start), Some(end)) => {
                RateProfile::Ramp { from_rate, to_rate, start: at(start), end: at(end) }
            }
            _ => return missing("from_rate, to_rate, start and end", p),
        },
        RateProfileType::Daily => match (raw.mean_rate, raw.amplitude, &raw.period, &raw.peak_at) {
            (Some(mean_rate), Some(amplitude), Some(period), Some(peak_at)) => {
                RateProfile::Daily { mean_rate, amplitude, period: period.0, peak_at: peak_at.0 }
            }
            _ => return missing("mean_rate, amplitude, period and peak_at", p),
        },
    };
    if let Err(e) = profile.validate() {
        p.at(r.span(), path, e);
        return None;
    }
    Some(profile)
}

fn operation_kind(k: RawOperationKind) -> OperationKind {
    match k {
        RawOperationKind::Read => OperationKind::Read,
        RawOperationKind::Write => OperationKind::Write,
        RawOperationKind::Delete => OperationKind::Delete,
        RawOperationKind::ConditionalWrite => OperationKind::ConditionalWrite,
        RawOperationKind::ConditionalUpdate => OperationKind::ConditionalUpdate,
    }
}

/// An operation line's store, or its steps for a write across several stores.
fn operation_stores(
    o: &RawOperation,
    opath: &str,
    ctx: &Context,
    p: &mut Problems,
) -> (Option<StoreId>, Option<MultiStep>) {
    match (&o.store, &o.steps) {
        (Some(store), None) => {
            for (field, given) in [("on_partial", o.on_partial.is_some()), ("repair_after", o.repair_after.is_some())] {
                if given {
                    p.at(
                        store.span(),
                        format!("{opath}.{field}"),
                        format!("`{field}` applies to a line with `steps` only"),
                    );
                }
            }
            (ctx.store(store, &format!("{opath}.store"), p), None)
        }
        (None, Some(steps)) => {
            if o.kind != RawOperationKind::Write {
                p.at(steps.span(), format!("{opath}.steps"), "steps apply to type = \"write\" only");
            }
            if steps.get_ref().len() < 2 {
                p.at(
                    steps.span(),
                    format!("{opath}.steps"),
                    format!("found {} step(s); expected at least 2 stores", steps.get_ref().len()),
                );
            }
            let ids: Vec<Option<StoreId>> = steps
                .get_ref()
                .iter()
                .enumerate()
                .map(|(j, s)| ctx.store(s, &format!("{opath}.steps[{j}]"), p))
                .collect();
            let on_partial = match o.on_partial.as_ref().map(|r| *r.get_ref()) {
                None | Some(RawPartialRepair::Leave) => PartialRepair::Leave,
                Some(RawPartialRepair::Compensate) => PartialRepair::Compensate,
                Some(RawPartialRepair::Retry) => match &o.repair_after {
                    Some(after) if !after.get_ref().0.is_zero() => PartialRepair::Retry { after: after.get_ref().0 },
                    _ => {
                        p.at(
                            steps.span(),
                            format!("{opath}.repair_after"),
                            "on_partial = \"retry\" needs a positive repair_after, for example \"30s\"",
                        );
                        PartialRepair::Leave
                    }
                },
            };
            let ids: Option<Vec<StoreId>> = ids.into_iter().collect();
            match ids {
                Some(steps) if steps.len() >= 2 => (Some(steps[0]), Some(MultiStep { steps, on_partial })),
                _ => (None, None),
            }
        }
        (Some(store), Some(_)) => {
            p.at(store.span(), opath, "found both store and steps; expected one of them");
            (None, None)
        }
        (None, None) => {
            p.at(o.keys.span(), opath, "an operation needs `store` (or `steps` for a write across stores)");
            (None, None)
        }
    }
}

fn mix(c: &RawPopulation, path: &str, ctx: &Context, p: &mut Problems) -> Vec<OperationMixEntry> {
    let mut entries = Vec::new();
    for (i, o) in c.operations.iter().enumerate() {
        let opath = format!("{path}.operation[{i}]");
        let weight = o.weight.as_ref().map_or(1.0, |w| *w.get_ref());
        if !(weight.is_finite() && weight > 0.0) {
            let span = o.weight.as_ref().map(Spanned::span).unwrap_or(0..0);
            p.at(span, format!("{opath}.weight"), format!("found {weight}; expected a positive weight"));
        }
        let (store, multi) = operation_stores(o, &opath, ctx, p);
        let keys = keys(&o.keys, &format!("{opath}.keys"), p);
        if let (Some(store), Some(keys)) = (store, keys) {
            let consistent_read = o.consistent_read.as_ref().is_some_and(|c| *c.get_ref());
            if let Some(c) = &o.consistent_read
                && *c.get_ref()
                && o.kind != RawOperationKind::Read
            {
                p.at(
                    c.span(),
                    format!("{opath}.consistent_read"),
                    "consistent_read applies to reads only; expected it on a type = \"read\" line",
                );
            }
            entries.push(OperationMixEntry {
                weight,
                store,
                kind: operation_kind(o.kind),
                keys,
                consistent_read,
                multi,
            });
        }
    }
    let shorthand = c.store.is_some() || c.read_fraction.is_some() || c.keys.is_some();
    if shorthand {
        if !c.operations.is_empty() {
            let span = c.store.as_ref().map(Spanned::span).unwrap_or(0..0);
            p.at(span, path, "found both the store/read_fraction/keys shorthand and [[population.operation]] entries; expected one or the other");
        }
        let (Some(store), Some(read_fraction), Some(k)) = (&c.store, &c.read_fraction, &c.keys) else {
            p.at(c.name.span(), path, "the shorthand needs all of store, read_fraction and keys");
            return entries;
        };
        let f = *read_fraction.get_ref();
        if !(0.0..=1.0).contains(&f) {
            p.at(
                read_fraction.span(),
                format!("{path}.read_fraction"),
                format!("found {f}; expected a fraction between 0 and 1"),
            );
        }
        let store = ctx.store(store, &format!("{path}.store"), p);
        let keys = keys(k, &format!("{path}.keys"), p);
        if let (Some(store), Some(keys)) = (store, keys) {
            for (weight, kind) in [(f, OperationKind::Read), (1.0 - f, OperationKind::Write)] {
                if weight > 0.0 {
                    entries.push(OperationMixEntry {
                        weight,
                        store,
                        kind,
                        keys: keys.clone(),
                        consistent_read: false,
                        multi: None,
                    });
                }
            }
        }
    }
    entries
}

fn latencies(c: &RawPopulation, home: RegionId, path: &str, ctx: &Context, p: &mut Problems) -> Vec<LinkLatency> {
    let access = c.access_latency.0.clone();
    let mut overrides: BTreeMap<usize, Dist> = BTreeMap::new();
    if let Some(table) = &c.latency {
        for (name, dist) in table.get_ref() {
            match ctx.regions.iter().position(|n| n == name) {
                Some(r) => {
                    overrides.insert(r, dist.0.clone());
                }
                None => p.at(
                    table.span(),
                    format!("{path}.latency.{name}"),
                    format!("Region {name:?} is not declared; expected one of: {}", ctx.regions.join(", ")),
                ),
            }
        }
    }
    (0..ctx.regions.len())
        .map(|r| match overrides.get(&r) {
            Some(d) => LinkLatency { base: SimDuration::ZERO, extra: d.clone() },
            None if r == home.index() => LinkLatency { base: SimDuration::ZERO, extra: access.clone() },
            None => {
                let base = ctx.topology.map_or(SimDuration::ZERO, |t| t.link(home, RegionId::new(r)).base);
                LinkLatency { base, extra: access.clone() }
            }
        })
        .collect()
}

fn retry(c: &RawPopulation, path: &str, p: &mut Problems) -> RetryPolicy {
    let Some(r) = &c.retry else { return DEFAULT_RETRY };
    let raw = r.get_ref();
    let max_attempts = raw.max_attempts.as_ref().map_or(DEFAULT_RETRY.max_attempts as i64, |m| *m.get_ref());
    if !(1..=100).contains(&max_attempts) {
        let span = raw.max_attempts.as_ref().map(Spanned::span).unwrap_or(r.span());
        p.at(
            span,
            format!("{path}.retry.max_attempts"),
            format!("found {max_attempts}; expected between 1 and 100 attempts (1: no retry)"),
        );
    }
    let base_delay = raw.base_delay.as_ref().map_or(DEFAULT_RETRY.base_delay, |d| d.get_ref().0);
    let max_delay = raw.max_delay.as_ref().map_or(DEFAULT_RETRY.max_delay, |d| d.get_ref().0);
    if max_delay < base_delay {
        p.at(
            r.span(),
            format!("{path}.retry"),
            format!("found max_delay {max_delay} below base_delay {base_delay}; expected max_delay >= base_delay"),
        );
    }
    RetryPolicy { max_attempts: max_attempts.clamp(1, 100) as u32, base_delay, max_delay }
}

fn arrivals(c: &RawPopulation, path: &str, ctx: &Context, p: &mut Problems) -> Option<Arrivals> {
    let given = [c.rate.is_some(), c.rate_profile.is_some(), c.sessions.is_some(), c.trace.is_some()];
    if given.iter().filter(|g| **g).count() != 1 {
        p.at(c.name.span(), path, "expected exactly one way for operations to arrive: rate, rate_profile, sessions (with think_time) or trace");
        return None;
    }
    if let Some(rate) = &c.rate {
        let r = *rate.get_ref();
        if !(r.is_finite() && r > 0.0) {
            p.at(
                rate.span(),
                format!("{path}.rate"),
                format!("found {r}; expected a positive number of requests per second"),
            );
            return None;
        }
        return Some(Arrivals::Open(RateProfile::Constant(r)));
    }
    if let Some(profile) = &c.rate_profile {
        return rate_profile(profile, &format!("{path}.rate_profile"), p).map(Arrivals::Open);
    }
    if let Some(sessions) = &c.sessions {
        let n = *sessions.get_ref();
        if !(1..=10_000_000).contains(&n) {
            p.at(
                sessions.span(),
                format!("{path}.sessions"),
                format!("found {n}; expected between 1 and 10000000 sessions"),
            );
            return None;
        }
        let Some(think) = &c.think_time else {
            p.at(
                sessions.span(),
                format!("{path}.think_time"),
                "closed-loop sessions need think_time; expected for example think_time = \"exp(mean=2s)\"",
            );
            return None;
        };
        return Some(Arrivals::Closed { sessions: n as u32, think_time: think.get_ref().0.clone() });
    }
    let trace = c.trace.as_ref().expect("one of the four is given");
    let file = ctx.base_dir.join(trace.get_ref());
    // Read once: the bytes parsed are the bytes hashed into the manifest.
    let read = crate::trace::read_trace_bytes(&file);
    let parsed = read.and_then(|bytes| {
        let name = trace.get_ref().clone();
        let mut inputs = ctx.inputs.borrow_mut();
        if !inputs.iter().any(|i| i.name == name) {
            inputs.push(super::InputFile { name, bytes: bytes.len(), fnv1a64: sim_core::rng::fnv1a64(&bytes) });
        }
        crate::trace::parse_trace_bytes(&file, &bytes)
    });
    let records = match parsed {
        Ok(r) => r,
        Err(e) => {
            p.at(trace.span(), format!("{path}.trace"), format!("the trace file does not load:\n{e}"));
            return None;
        }
    };
    let mut users: BTreeMap<String, u64> = BTreeMap::new();
    let mut entries = Vec::with_capacity(records.len());
    for (row, r) in records.iter().enumerate() {
        let Some(store) = ctx.stores.iter().position(|s| s.name == r.store).map(StoreId::new) else {
            let msg = format!(
                "{}: row {} names store {:?}, which the scenario does not declare",
                file.display(),
                row + 1,
                r.store
            );
            p.at(trace.span(), format!("{path}.trace"), msg);
            return None;
        };
        let next = users.len() as u64;
        let user = *users.entry(r.client.clone()).or_insert(next);
        let kind = match r.operation {
            crate::trace::TraceOperation::Read => OperationKind::Read,
            crate::trace::TraceOperation::Write => OperationKind::Write,
            crate::trace::TraceOperation::Delete => OperationKind::Delete,
            crate::trace::TraceOperation::ConditionalWrite => OperationKind::ConditionalWrite,
            crate::trace::TraceOperation::ConditionalUpdate => OperationKind::ConditionalUpdate,
        };
        entries.push(TraceEntry { time: r.time, user, kind, store, key: Key(r.key) });
    }
    // Replay stops at the end of the fault phase, as every arrival process does.
    Some(Arrivals::Trace(entries))
}

/// Validates one population.
pub(super) fn population(c: &RawPopulation, i: usize, ctx: &Context, p: &mut Problems) -> Option<PopulationConfig> {
    let path = format!("population[{i}]");
    let region = ctx.region(&c.region, &format!("{path}.region"), p);
    let arrivals = arrivals(c, &path, ctx, p);
    let operations = mix(c, &path, ctx, p);
    if operations.is_empty() && !matches!(arrivals, Some(Arrivals::Trace(_)) | None) {
        p.at(
            c.name.span(),
            path.clone(),
            "no operations; expected [[population.operation]] entries or the store/read_fraction/keys shorthand",
        );
    }
    let mut stores_checked: Vec<StoreId> = Vec::new();
    for e in &operations {
        let store = &ctx.stores[e.store.index()];
        // A store that failed its own validation has no Regions: it was reported already.
        if stores_checked.contains(&e.store) || store.regions.is_empty() {
            continue;
        }
        stores_checked.push(e.store);
        if let Some(r) = region
            && !store.regions.contains(&r)
        {
            let msg = format!(
                "clients are routed to {} but store {:?} has no replica there; expected one of its Regions",
                ctx.regions[r.index()],
                ctx.stores[e.store.index()].name
            );
            p.at(c.region.span(), format!("{path}.region"), msg);
        }
    }
    let users = match &c.users {
        None => DEFAULT_USERS,
        Some(u) if *u.get_ref() >= 1 => *u.get_ref() as u64,
        Some(u) => {
            p.at(u.span(), format!("{path}.users"), format!("found {}; expected at least 1 user", u.get_ref()));
            DEFAULT_USERS
        }
    };
    let timeout = c.timeout.as_ref().map_or(DEFAULT_TIMEOUT, |t| t.get_ref().0);
    if let Some(t) = &c.timeout
        && t.get_ref().0.is_zero()
    {
        p.at(t.span(), format!("{path}.timeout"), "found 0s; expected a positive duration");
    }
    let retry = retry(c, &path, p);
    let routing = validate_routing::client_routing(c, &path, ctx.routing, p);
    let region = region?;
    Some(PopulationConfig {
        name: c.name.get_ref().clone(),
        region,
        latency: latencies(c, region, &path, ctx, p),
        arrivals: arrivals?,
        operations,
        users,
        timeout,
        retry,
        pinning: c.pinning.unwrap_or(false),
        read_your_writes_window: c.read_your_writes_window.as_ref().map(|w| w.get_ref().0),
        routing,
    })
}

/// The store an action names, which must be of `kind` (a scenario `type` name).
fn store_of_kind(a: &RawAction, ctx: &Context, kind: &str, path: &str, p: &mut Problems) -> Option<StoreId> {
    let Some(name) = &a.store else {
        p.at(a.action_type.span(), path, "this action needs `store`");
        return None;
    };
    let id = ctx.store(name, &format!("{path}.store"), p)?;
    let matches = match &ctx.stores[id.index()].kind {
        models::config::StoreKind::AuroraGlobal(_) => kind == "aurora_global_database",
        models::config::StoreKind::S3Replication(_) => kind == "s3_replication",
        _ => false,
    };
    if !matches {
        p.at(
            name.span(),
            format!("{path}.store"),
            format!("store {:?} is not an {kind} store; expected one", name.get_ref()),
        );
        return None;
    }
    Some(id)
}

/// Validates one runbook action.
pub(super) fn action(
    a: &RawAction,
    i: usize,
    ctx: &Context,
    has_tier: &[bool],
    p: &mut Problems,
) -> Option<ActionConfig> {
    let path = format!("action[{i}]");
    let (trigger, reaction_time) = validate_alarms::trigger(a, &path, ctx.routing, ctx.regions, p);
    let need = |field: &Option<Spanned<String>>, name: &str, p: &mut Problems| -> Option<RegionId> {
        match field {
            Some(r) => ctx.region(r, &format!("{path}.{name}"), p),
            None => {
                p.at(a.action_type.span(), path.clone(), format!("this action needs `{name}`"));
                None
            }
        }
    };
    let kind = match a.action_type.get_ref() {
        ActionType::ScaleOut => {
            let region = need(&a.region, "region", p);
            let servers = a.servers.as_ref().map_or(0, |s| *s.get_ref());
            if !(1..=1_000_000).contains(&servers) {
                let span = a.servers.as_ref().map(Spanned::span).unwrap_or(a.action_type.span());
                p.at(
                    span,
                    format!("{path}.servers"),
                    format!("found {servers}; expected between 1 and 1000000 servers to add"),
                );
            }
            if let (Some(r), Some(name)) = (region, &a.region)
                && !has_tier[r.index()]
            {
                p.at(
                    name.span(),
                    format!("{path}.region"),
                    format!("{} has no app_tier to scale out; expected a Region with an app_tier", name.get_ref()),
                );
            }
            let provisioning_delay =
                a.provisioning_delay.as_ref().map_or(DEFAULT_PROVISIONING_DELAY, |d| d.get_ref().0);
            ActionKind::ScaleOut { region: region?, servers: servers.clamp(1, 1_000_000) as u32, provisioning_delay }
        }
        ActionType::Repin => {
            let (from, to) = (need(&a.from, "from", p), need(&a.to, "to", p));
            ActionKind::Repin { from: from?, to: to? }
        }
        ActionType::AuroraSwitchover | ActionType::AuroraFailover | ActionType::AuroraAddInstance => {
            let store = store_of_kind(a, ctx, "aurora_global_database", &path, p);
            let region_field =
                if *a.action_type.get_ref() == ActionType::AuroraAddInstance { &a.region } else { &a.target };
            let field_name =
                if *a.action_type.get_ref() == ActionType::AuroraAddInstance { "region" } else { "target" };
            let region = need(region_field, field_name, p);
            if *a.action_type.get_ref() == ActionType::AuroraFailover
                && !a.allow_data_loss.as_ref().is_some_and(|b| *b.get_ref())
            {
                p.at(a.action_type.span(), path.clone(), "an Aurora failover loses unreplicated writes; expected allow_data_loss = true (as FailoverGlobalCluster --allow-data-loss), or use aurora_switchover");
            }
            let (store, region) = (store?, region?);
            match a.action_type.get_ref() {
                ActionType::AuroraSwitchover => ActionKind::AuroraSwitchover { store, target: region },
                ActionType::AuroraFailover => ActionKind::AuroraFailover { store, target: region },
                _ => ActionKind::AuroraAddInstance { store, region },
            }
        }
        ActionType::S3BatchReplication => {
            ActionKind::S3BatchReplication { store: store_of_kind(a, ctx, "s3_replication", &path, p)? }
        }
        ActionType::RoutingControl | ActionType::Route53RecordChange | ActionType::TrafficDial => {
            validate_routing::action_kind(a, &path, ctx.routing, p)?
        }
    };
    Some(ActionConfig { trigger: trigger?, reaction_time, kind })
}
