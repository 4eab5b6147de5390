//! Validation of `[route53]`: the name's TTL and routing policy, its `[[route53.health_check]]`
//! and `[[route53.record]]` tables.
//!
//! Parameter names, ranges and defaults are Route 53's own (shared/reference/aws-facts.md): `ttl`
//! 60s (an alias to a load balancer; whole seconds from 0 to 2^31 - 1), `change_propagation` 60s,
//! the control plane in us-east-1 when the scenario declares it (else record changes never fail for
//! control-plane reasons); a health check's `request_interval` 10s or 30s (default 30s),
//! `failure_threshold` 1..=10 (3), `checkers` 15 (1..=64), `type` HTTPS; a record's
//! `evaluate_target_health` true. A health check backed by a routing control does not probe, so
//! the probing fields are refused on it; a record's `weight` and `failover` are required by their
//! policy and refused by the others.

use models::routing::config::{
    FailoverRole, HealthCheckConfig, ProbeProtocol, RecordConfig, Route53Config, RoutingPolicy,
};
use sim_core::SimDuration;

use super::raw::{RawFailoverRole, RawHealthCheck, RawProbeType, RawRecord, RawRoute53, RawRoutingPolicy, Spanned};
use super::shared::{NANOS_PER_SEC, RoutingNames, control_plane, duration_or, find, int_in, reject};
use super::shared::{Problems, declared_region, declared_store};

const DEFAULT_TTL: SimDuration = SimDuration::from_secs(60);
/// Route 53's largest TTL: 2^31 - 1 seconds.
const MAX_TTL_SECS: i64 = 2_147_483_647;
const DEFAULT_CHANGE_PROPAGATION: SimDuration = SimDuration::from_secs(60);
const CONTROL_PLANE: &str = "us-east-1";
const DEFAULT_REQUEST_INTERVAL: SimDuration = SimDuration::from_secs(30);
const DEFAULT_FAILURE_THRESHOLD: u32 = 3;
const DEFAULT_CHECKERS: u32 = 15;

fn ttl(r: &RawRoute53, p: &mut Problems) -> SimDuration {
    let Some(t) = &r.ttl else { return DEFAULT_TTL };
    let nanos = t.get_ref().0;
    let shown = if nanos < 0 {
        format!("-{}", SimDuration::from_nanos(nanos.unsigned_abs()))
    } else {
        SimDuration::from_nanos(nanos as u64).to_string()
    };
    let secs = nanos / NANOS_PER_SEC as i64;
    if nanos < 0 || nanos % NANOS_PER_SEC as i64 != 0 || secs > MAX_TTL_SECS {
        p.at(
            t.span(),
            "route53.ttl",
            format!("found {shown}; expected a TTL of whole seconds from 0s to {MAX_TTL_SECS}s"),
        );
        return DEFAULT_TTL;
    }
    SimDuration::from_nanos(nanos as u64)
}

pub(super) fn route53(
    r: &Spanned<RawRoute53>,
    names: &RoutingNames,
    regions: &[String],
    stores: &[String],
    p: &mut Problems,
) -> Option<Route53Config> {
    let raw = r.get_ref();
    let ttl = ttl(raw, p);
    let policy = match raw.routing_policy.get_ref() {
        RawRoutingPolicy::Latency => RoutingPolicy::Latency,
        RawRoutingPolicy::Weighted => RoutingPolicy::Weighted,
        RawRoutingPolicy::Failover => RoutingPolicy::Failover,
    };
    let control_plane_region =
        control_plane(&raw.control_plane_region, CONTROL_PLANE, regions, "route53.control_plane_region", p);
    let change_propagation =
        duration_or(&raw.change_propagation, DEFAULT_CHANGE_PROPAGATION, false, "route53.change_propagation", p);
    let health_checks: Vec<Option<HealthCheckConfig>> =
        raw.health_checks.iter().enumerate().map(|(i, h)| health_check(h, i, names, regions, stores, p)).collect();
    if raw.records.is_empty() {
        p.at(
            r.span(),
            "route53.record",
            "found no [[route53.record]]; expected at least one, for example region = \"us-east-1\"",
        );
    }
    let records: Vec<Option<RecordConfig>> =
        raw.records.iter().enumerate().map(|(i, x)| record(x, i, policy, names, regions, p)).collect();
    if policy == RoutingPolicy::Failover {
        let count = |role: RawFailoverRole| {
            raw.records.iter().filter(|x| x.failover.as_ref().is_some_and(|f| *f.get_ref() == role)).count()
        };
        let (primaries, secondaries) = (count(RawFailoverRole::Primary), count(RawFailoverRole::Secondary));
        if (primaries, secondaries) != (1, 1) {
            p.at(
                raw.routing_policy.span(),
                "route53.record",
                format!(
                    "found {primaries} PRIMARY and {secondaries} SECONDARY records; expected exactly one \
                     failover = \"PRIMARY\" and one failover = \"SECONDARY\" with routing_policy = \"failover\""
                ),
            );
        }
    }
    Some(Route53Config {
        ttl,
        policy,
        records: records.into_iter().collect::<Option<_>>()?,
        health_checks: health_checks.into_iter().collect::<Option<_>>()?,
        control_plane_region,
        change_propagation,
    })
}

fn health_check(
    h: &RawHealthCheck,
    i: usize,
    names: &RoutingNames,
    regions: &[String],
    stores: &[String],
    p: &mut Problems,
) -> Option<HealthCheckConfig> {
    let path = format!("route53.health_check[{i}]");
    if names.health_checks[..i].contains(h.name.get_ref()) {
        p.at(
            h.name.span(),
            format!("{path}.name"),
            format!("health check {:?} is declared twice; expected unique names", h.name.get_ref()),
        );
    }
    let region = declared_region(regions, &h.region, &format!("{path}.region"), p);
    if let Some(control) = &h.routing_control {
        let control = find(&names.controls, control, "routing control", &format!("{path}.routing_control"), p);
        let probing = [
            ("request_interval", h.request_interval.as_ref().map(Spanned::span)),
            ("failure_threshold", h.failure_threshold.as_ref().map(Spanned::span)),
            ("checkers", h.checkers.as_ref().map(Spanned::span)),
            ("type", h.probe_type.as_ref().map(Spanned::span)),
            ("dependencies", h.dependencies.as_ref().map(Spanned::span)),
        ];
        for (field, span) in probing {
            let message = format!(
                "`{field}` does not apply to a health check backed by a routing control (it does not probe); \
                 expected only name, region and routing_control"
            );
            reject(span, &format!("{path}.{field}"), &message, p);
        }
        return Some(HealthCheckConfig {
            name: h.name.get_ref().clone(),
            region: region?,
            request_interval: DEFAULT_REQUEST_INTERVAL,
            failure_threshold: DEFAULT_FAILURE_THRESHOLD,
            checkers: DEFAULT_CHECKERS,
            protocol: ProbeProtocol::Http,
            dependencies: Vec::new(),
            routing_control: Some(control?),
        });
    }
    let request_interval = match &h.request_interval {
        None => DEFAULT_REQUEST_INTERVAL,
        Some(d) if [10, 30].map(SimDuration::from_secs).contains(&d.get_ref().0) => d.get_ref().0,
        Some(d) => {
            p.at(
                d.span(),
                format!("{path}.request_interval"),
                format!("found {}; expected \"10s\" or \"30s\" (Route 53's two request intervals)", d.get_ref().0),
            );
            DEFAULT_REQUEST_INTERVAL
        }
    };
    let failure_threshold = int_in(
        h.failure_threshold.as_ref(),
        1..=10,
        DEFAULT_FAILURE_THRESHOLD,
        &format!("{path}.failure_threshold"),
        "a failure threshold from 1 to 10 consecutive results",
        p,
    );
    let checkers =
        int_in(h.checkers.as_ref(), 1..=64, DEFAULT_CHECKERS, &format!("{path}.checkers"), "1 to 64 checkers", p);
    let protocol = match h.probe_type.as_ref().map(|t| *t.get_ref()) {
        None | Some(RawProbeType::Https) | Some(RawProbeType::Http) => ProbeProtocol::Http,
        Some(RawProbeType::Tcp) => ProbeProtocol::Tcp,
    };
    let dependencies: Vec<_> = h
        .dependencies
        .iter()
        .flat_map(|d| d.get_ref())
        .enumerate()
        .map(|(j, store)| declared_store(stores, store, &format!("{path}.dependencies[{j}]"), p))
        .collect();
    Some(HealthCheckConfig {
        name: h.name.get_ref().clone(),
        region: region?,
        request_interval,
        failure_threshold,
        checkers,
        protocol,
        dependencies: dependencies.into_iter().collect::<Option<_>>()?,
        routing_control: None,
    })
}

fn record(
    x: &RawRecord,
    i: usize,
    policy: RoutingPolicy,
    names: &RoutingNames,
    regions: &[String],
    p: &mut Problems,
) -> Option<RecordConfig> {
    let path = format!("route53.record[{i}]");
    let region = declared_region(regions, &x.region, &format!("{path}.region"), p);
    if region.is_some() && names.records[..i].contains(x.region.get_ref()) {
        p.at(
            x.region.span(),
            format!("{path}.region"),
            format!("a second record for {}; expected at most one record per Region", x.region.get_ref()),
        );
    }
    let policy_name = match policy {
        RoutingPolicy::Latency => "latency",
        RoutingPolicy::Weighted => "weighted",
        RoutingPolicy::Failover => "failover",
    };
    let weight = match (&x.weight, policy) {
        (None, RoutingPolicy::Weighted) => {
            p.at(x.region.span(), path.clone(), "a weighted record needs `weight`; expected weight = 0..255");
            0
        }
        (Some(w), RoutingPolicy::Weighted) => {
            int_in(Some(w), 0..=255, 0, &format!("{path}.weight"), "a weight from 0 to 255", p)
        }
        (Some(w), _) => {
            let message =
                format!("`weight` applies to weighted records only; route53.routing_policy is {policy_name:?}");
            p.at(w.span(), format!("{path}.weight"), message);
            0
        }
        (None, _) => 0,
    };
    let failover = match (&x.failover, policy) {
        (None, RoutingPolicy::Failover) => {
            p.at(
                x.region.span(),
                path.clone(),
                "a failover record needs `failover`; expected failover = \"PRIMARY\" or \"SECONDARY\"",
            );
            None
        }
        (Some(f), RoutingPolicy::Failover) => Some(match f.get_ref() {
            RawFailoverRole::Primary => FailoverRole::Primary,
            RawFailoverRole::Secondary => FailoverRole::Secondary,
        }),
        (Some(f), _) => {
            let message =
                format!("`failover` applies to failover records only; route53.routing_policy is {policy_name:?}");
            p.at(f.span(), format!("{path}.failover"), message);
            None
        }
        (None, _) => None,
    };
    let health_check = match &x.health_check {
        None => None,
        Some(name) => Some(find(&names.health_checks, name, "health check", &format!("{path}.health_check"), p)?),
    };
    Some(RecordConfig {
        region: region?,
        weight,
        failover,
        health_check,
        evaluate_target_health: x.evaluate_target_health.as_ref().is_none_or(|e| *e.get_ref()),
    })
}
