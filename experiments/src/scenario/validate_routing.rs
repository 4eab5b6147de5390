//! Validation of the routing tier's entry point: every routing section in turn (`[route53]` in
//! `validate_route53`, `[global_accelerator]` and `[cloudfront]` in `validate_edge`),
//! `[[routing_control]]`, `[load_balancer_health]`, a population's routing keys, and the three
//! routing actions (routing_control, route53_record_change, traffic_dial). The names the sections
//! declare ([`RoutingNames`]) and the checks they share are in `shared`.
//!
//! Defaults are AWS's own (shared/reference/aws-facts.md):
//! - an ARC routing control's `state`: On;
//! - `[load_balancer_health]`, an ALB target group's: interval 30 s (5..=300), unhealthy threshold 2
//!   and healthy threshold 5 (2..=10), timeout 5 s (2..=120, less than the interval);
//! - a population's `entry` static, no reads through CloudFront, and `models::routing::config`'s
//!   resolver defaults: 100 resolvers, 8.74% of them holding answers past the TTL for
//!   lognormal(median=74s, sigma=1.48), caches in steady state; no client cache; no keep-alive (a new connection per
//!   request).
//!
//! A population's DNS keys (`resolvers`, `ttl_violator_*`, `client_cache`) are accepted whatever its
//! `entry`, so a sweep can vary `entry` alone; `mrsim explain` shows them wherever they apply.
//!
//! References are resolved against the raw file's names (`RoutingNames`), so an index stays right
//! even when the table it points into has a problem (which fails the scenario anyway).

use models::config::ActionKind;
use models::routing::config::{
    ClientCache, ClientRouting, Entry, LoadBalancerHealth, ResolverConfig, RoutingConfig, RoutingControlConfig,
};
use sim_core::SimDuration;

use super::raw::{
    ActionType, RawAction, RawClientCache, RawControlState, RawEntry, RawLoadBalancerHealth, RawPopulation,
    RawScenario, Spanned,
};
use super::shared::{NANOS_PER_SEC, Problems, RoutingNames, find, int_in};
use super::validate_edge::{accelerator, cloudfront, dial};
use super::validate_route53::route53;

/// Validates every routing section.
pub(super) fn routing(
    raw: &RawScenario,
    names: &RoutingNames,
    regions: &[String],
    stores: &[String],
    p: &mut Problems,
) -> RoutingConfig {
    let mut controls: Vec<RoutingControlConfig> = Vec::new();
    for (i, c) in raw.routing_controls.iter().enumerate() {
        if names.controls[..i].contains(c.name.get_ref()) {
            p.at(
                c.name.span(),
                format!("routing_control[{i}].name"),
                format!("routing control {:?} is declared twice; expected unique names", c.name.get_ref()),
            );
        }
        let initially_on = c.state.as_ref().is_none_or(|s| *s.get_ref() == RawControlState::On);
        controls.push(RoutingControlConfig { name: c.name.get_ref().clone(), initially_on });
    }
    RoutingConfig {
        route53: raw.route53.as_ref().and_then(|r| route53(r, names, regions, stores, p)),
        accelerator: raw.global_accelerator.as_ref().and_then(|g| accelerator(g, regions, p)),
        cloudfront: raw.cloudfront.as_ref().and_then(|c| cloudfront(c.get_ref(), regions, p)),
        routing_controls: controls,
        load_balancer: raw
            .load_balancer_health
            .as_ref()
            .map_or_else(LoadBalancerHealth::default, |l| load_balancer(l, p)),
    }
}

fn load_balancer(l: &Spanned<RawLoadBalancerHealth>, p: &mut Problems) -> LoadBalancerHealth {
    let raw = l.get_ref();
    let default = LoadBalancerHealth::default();
    let secs = |d: SimDuration| (d.as_nanos() / NANOS_PER_SEC) as u32;
    let path = "load_balancer_health";
    let interval = int_in(
        raw.health_check_interval_seconds.as_ref(),
        5..=300,
        secs(default.interval),
        &format!("{path}.health_check_interval_seconds"),
        "5 to 300 seconds",
        p,
    );
    let unhealthy_threshold = int_in(
        raw.unhealthy_threshold_count.as_ref(),
        2..=10,
        default.unhealthy_threshold,
        &format!("{path}.unhealthy_threshold_count"),
        "a count from 2 to 10",
        p,
    );
    let healthy_threshold = int_in(
        raw.healthy_threshold_count.as_ref(),
        2..=10,
        default.healthy_threshold,
        &format!("{path}.healthy_threshold_count"),
        "a count from 2 to 10",
        p,
    );
    let timeout = int_in(
        raw.health_check_timeout_seconds.as_ref(),
        2..=120,
        secs(default.timeout),
        &format!("{path}.health_check_timeout_seconds"),
        "2 to 120 seconds",
        p,
    );
    if timeout >= interval {
        let span = raw.health_check_timeout_seconds.as_ref().map_or_else(|| l.span(), Spanned::span);
        p.at(
            span,
            format!("{path}.health_check_timeout_seconds"),
            format!("found a timeout of {timeout} s with an interval of {interval} s; expected a timeout less than the interval"),
        );
    }
    LoadBalancerHealth {
        interval: SimDuration::from_secs(u64::from(interval)),
        unhealthy_threshold,
        healthy_threshold,
        timeout: SimDuration::from_secs(u64::from(timeout)),
    }
}

/// A population's routing keys.
pub(super) fn client_routing(c: &RawPopulation, path: &str, names: &RoutingNames, p: &mut Problems) -> ClientRouting {
    let defaults = ResolverConfig::default();
    let entry = match c.entry.as_ref().map(|e| (e, *e.get_ref())) {
        None | Some((_, RawEntry::Static)) => Entry::Static,
        Some((e, RawEntry::Route53)) => {
            if !names.route53 {
                p.at(
                    e.span(),
                    format!("{path}.entry"),
                    "entry = \"route53\" needs a [route53] section; expected one, or entry = \"static\"",
                );
            }
            Entry::Route53
        }
        Some((e, RawEntry::GlobalAccelerator)) => {
            if !names.accelerator {
                p.at(
                    e.span(),
                    format!("{path}.entry"),
                    "entry = \"global_accelerator\" needs a [global_accelerator] section; expected one, or entry = \"static\"",
                );
            }
            Entry::Accelerator
        }
    };
    let reads_via_cloudfront = c.reads_via_cloudfront.as_ref().is_some_and(|r| *r.get_ref());
    if let Some(r) = &c.reads_via_cloudfront
        && *r.get_ref()
        && !names.cloudfront
    {
        p.at(
            r.span(),
            format!("{path}.reads_via_cloudfront"),
            "reads via CloudFront need a [cloudfront] section; expected one, or reads_via_cloudfront = false",
        );
    }
    let count = int_in(
        c.resolvers.as_ref(),
        1..=100_000,
        defaults.count,
        &format!("{path}.resolvers"),
        "1 to 100000 resolvers",
        p,
    );
    let ttl_violator_share = match &c.ttl_violator_share {
        None => defaults.ttl_violator_share,
        Some(s) if (0.0..=1.0).contains(s.get_ref()) => *s.get_ref(),
        Some(s) => {
            p.at(
                s.span(),
                format!("{path}.ttl_violator_share"),
                format!("found {}; expected a fraction between 0 and 1", s.get_ref()),
            );
            defaults.ttl_violator_share
        }
    };
    let violator_hold = c.ttl_violator_hold.as_ref().map_or(defaults.violator_hold, |d| d.get_ref().0.clone());
    let client_cache = match c.client_cache.as_ref().map(|c| *c.get_ref()) {
        None | Some(RawClientCache::None) => ClientCache::None,
        Some(RawClientCache::AtLeast(d)) => ClientCache::AtLeast(d),
        Some(RawClientCache::Fixed(d)) => ClientCache::Fixed(d),
    };
    let keep_alive_idle = c.keep_alive_idle.as_ref().map(|k| {
        if k.get_ref().0.is_zero() {
            p.at(
                k.span(),
                format!("{path}.keep_alive_idle"),
                "found 0s; expected a positive duration (leave it out for a new connection per request)",
            );
        }
        k.get_ref().0
    });
    ClientRouting {
        entry,
        reads_via_cloudfront,
        resolvers: ResolverConfig { count, ttl_violator_share, violator_hold },
        client_cache,
        keep_alive_idle,
    }
}

/// The three routing actions; `None` for another type or after a problem.
pub(super) fn action_kind(a: &RawAction, path: &str, names: &RoutingNames, p: &mut Problems) -> Option<ActionKind> {
    let type_span = a.action_type.span();
    let needs = |field: &str, p: &mut Problems| {
        p.at(type_span.clone(), path, format!("this action needs `{field}`"));
    };
    let section = |given: bool, section: &str, p: &mut Problems| {
        if !given {
            p.at(type_span.clone(), path, format!("this action needs a [{section}] section; expected one"));
        }
        given
    };
    match a.action_type.get_ref() {
        ActionType::RoutingControl => {
            let control = match &a.control {
                Some(c) => find(&names.controls, c, "routing control", &format!("{path}.control"), p),
                None => {
                    needs("control", p);
                    None
                }
            };
            let on = match &a.state {
                Some(s) => Some(*s.get_ref() == RawControlState::On),
                None => {
                    p.at(type_span.clone(), path, "this action needs `state`; expected state = \"On\" or \"Off\"");
                    None
                }
            };
            Some(ActionKind::RoutingControl { control: control?, on: on? })
        }
        ActionType::Route53RecordChange => {
            let has_section = section(names.route53, "route53", p);
            let record = match &a.record {
                Some(r) if has_section => find(&names.records, r, "record for Region", &format!("{path}.record"), p),
                Some(_) => None,
                None => {
                    needs("record", p);
                    None
                }
            };
            let weight = a.weight.as_ref().and_then(|w| {
                if has_section && !names.weighted {
                    p.at(
                        w.span(),
                        format!("{path}.weight"),
                        "`weight` applies to weighted records only; expected route53.routing_policy = \"weighted\"",
                    );
                    return None;
                }
                Some(int_in(Some(w), 0..=255, 0, &format!("{path}.weight"), "a weight from 0 to 255", p))
            });
            let present = a.withdraw.as_ref().map(|w| !*w.get_ref());
            if a.weight.is_none() && a.withdraw.is_none() {
                p.at(
                    type_span.clone(),
                    path,
                    "a record change needs `weight`, `withdraw` or both; expected for example withdraw = true",
                );
            }
            Some(ActionKind::Route53RecordChange { record: record?, weight, present })
        }
        ActionType::TrafficDial => {
            let has_section = section(names.accelerator, "global_accelerator", p);
            let group = match &a.region {
                Some(r) if has_section => {
                    find(&names.groups, r, "endpoint group for Region", &format!("{path}.region"), p)
                }
                Some(_) => None,
                None => {
                    needs("region", p);
                    None
                }
            };
            let percentage = match &a.traffic_dial_percentage {
                Some(_) => dial(&a.traffic_dial_percentage, &format!("{path}.traffic_dial_percentage"), p),
                None => {
                    needs("traffic_dial_percentage", p);
                    return None;
                }
            };
            Some(ActionKind::TrafficDial { group: group?, percentage })
        }
        _ => None,
    }
}
