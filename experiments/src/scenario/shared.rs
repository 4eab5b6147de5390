//! What every section's validation shares, importing none of them: the [`Problems`] collector,
//! look-ups of declared Regions, stores and routing names ([`RoutingNames`]), and the checks of
//! integers, durations and control planes the routing sections have in common.

use std::ops::{Range, RangeInclusive};

use models::ids::{RegionId, StoreId};
use sim_core::SimDuration;

use super::raw::{DurationText, RawRoutingPolicy, RawScenario, Spanned};
use super::{Diagnostic, line_column};

/// The problems found so far in a scenario (`list`), and what does not stop it but a user should
/// know (`warnings`), each placed in `source` by line and column.
pub(super) struct Problems<'s> {
    pub(super) source: &'s str,
    pub(super) list: Vec<Diagnostic>,
    pub(super) warnings: Vec<Diagnostic>,
}

impl Problems<'_> {
    pub(super) fn warn_at(&mut self, span: Range<usize>, path: impl Into<String>, message: impl Into<String>) {
        let line_column = Some(line_column(self.source, span.start));
        self.warnings.push(Diagnostic { line_column, path: path.into(), message: message.into() });
    }
    pub(super) fn at(&mut self, span: Range<usize>, path: impl Into<String>, message: impl Into<String>) {
        let line_column = Some(line_column(self.source, span.start));
        self.list.push(Diagnostic { line_column, path: path.into(), message: message.into() });
    }
    pub(super) fn at_path(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.list.push(Diagnostic { line_column: None, path: path.into(), message: message.into() });
    }
}

pub(super) fn region_list(names: &[String]) -> String {
    names.join(", ")
}

/// The id of the Region `name` refers to, or a problem saying it is not declared.
pub(super) fn declared_region(
    names: &[String],
    name: &Spanned<String>,
    path: &str,
    p: &mut Problems,
) -> Option<RegionId> {
    declared(names, name, path, p, "Region {:?} is not declared in this scenario; expected one of the [[region]] names")
        .map(RegionId::new)
}

/// The id of the store `name` refers to, or a problem saying it is not declared.
pub(super) fn declared_store(
    names: &[String],
    name: &Spanned<String>,
    path: &str,
    p: &mut Problems,
) -> Option<StoreId> {
    declared(names, name, path, p, "store {:?} is not declared; expected one of the [[store]] names").map(StoreId::new)
}

/// The index of `name` among `names`, or a problem: `missing` with the name in place of `{:?}`,
/// then the names declared.
fn declared(names: &[String], name: &Spanned<String>, path: &str, p: &mut Problems, missing: &str) -> Option<usize> {
    let found = names.iter().position(|n| n == name.get_ref());
    if found.is_none() {
        let message =
            format!("{}: {}", missing.replacen("{:?}", &format!("{:?}", name.get_ref()), 1), region_list(names));
        p.at(name.span(), path, message);
    }
    found
}

pub(super) const NANOS_PER_SEC: u64 = 1_000_000_000;

/// The names the routing sections and alarms declare, as the file spells them, in file order: a
/// reference's index into them is its index in the validated config.
pub(super) struct RoutingNames {
    pub route53: bool,
    pub weighted: bool,
    /// Each record's Region.
    pub records: Vec<String>,
    pub health_checks: Vec<String>,
    pub accelerator: bool,
    /// Each endpoint group's Region.
    pub groups: Vec<String>,
    pub cloudfront: bool,
    pub controls: Vec<String>,
    pub alarms: Vec<String>,
    /// Regions whose health the routing tier watches (a probing health check, a record's or an
    /// endpoint group's load balancer): the only ones a `region_unhealthy` trigger can see.
    pub watched: Vec<String>,
}

impl RoutingNames {
    pub(super) fn new(raw: &RawScenario) -> Self {
        let r53 = raw.route53.as_ref().map(Spanned::get_ref);
        let ga = raw.global_accelerator.as_ref().map(Spanned::get_ref);
        let name = |s: &Spanned<String>| s.get_ref().clone();
        let records: Vec<String> = r53.map_or(Vec::new(), |r| r.records.iter().map(|x| name(&x.region)).collect());
        let groups: Vec<String> =
            ga.map_or(Vec::new(), |g| g.endpoint_groups.iter().map(|x| name(&x.region)).collect());
        let probed = r53.into_iter().flat_map(|r| &r.health_checks).filter(|h| h.routing_control.is_none());
        let mut watched: Vec<String> =
            probed.map(|h| name(&h.region)).chain(records.iter().cloned()).chain(groups.iter().cloned()).collect();
        watched.sort();
        watched.dedup();
        RoutingNames {
            route53: r53.is_some(),
            weighted: r53.is_some_and(|r| *r.routing_policy.get_ref() == RawRoutingPolicy::Weighted),
            records,
            health_checks: r53.map_or(Vec::new(), |r| r.health_checks.iter().map(|h| name(&h.name)).collect()),
            accelerator: ga.is_some(),
            groups,
            cloudfront: raw.cloudfront.is_some(),
            controls: raw.routing_controls.iter().map(|c| name(&c.name)).collect(),
            alarms: raw.alarms.iter().map(|a| name(&a.name)).collect(),
            watched,
        }
    }
}

/// The index of `name` among `declared`, or a problem saying what `what` names exist.
pub(super) fn find(
    declared: &[String],
    name: &Spanned<String>,
    what: &str,
    path: &str,
    p: &mut Problems,
) -> Option<usize> {
    let found = declared.iter().position(|n| n == name.get_ref());
    if found.is_none() {
        let mut listed: Vec<&str> = Vec::new();
        for n in declared {
            if !listed.contains(&n.as_str()) {
                listed.push(n);
            }
        }
        let expected = if listed.is_empty() {
            "expected a declared one, but the scenario declares none".to_string()
        } else {
            format!("expected one of: {}", listed.join(", "))
        };
        p.at(name.span(), path, format!("{what} {:?} is not declared; {expected}", name.get_ref()));
    }
    found
}

/// An integer in `range` (`expected` says which), or `default` when absent or out of range.
pub(super) fn int_in(
    field: Option<&Spanned<i64>>,
    range: RangeInclusive<i64>,
    default: u32,
    path: &str,
    expected: &str,
    p: &mut Problems,
) -> u32 {
    match field {
        None => default,
        Some(v) if range.contains(v.get_ref()) => *v.get_ref() as u32,
        Some(v) => {
            p.at(v.span(), path, format!("found {}; expected {expected}", v.get_ref()));
            default
        }
    }
}

/// A duration, `default` when absent; zero is reported when `positive`.
pub(super) fn duration_or(
    field: &Option<Spanned<DurationText>>,
    default: SimDuration,
    positive: bool,
    path: &str,
    p: &mut Problems,
) -> SimDuration {
    match field {
        None => default,
        Some(d) => {
            if positive && d.get_ref().0.is_zero() {
                p.at(d.span(), path, "found 0s; expected a positive duration");
            }
            d.get_ref().0
        }
    }
}

/// Reports `field` as not applying, at its place.
pub(super) fn reject(span: Option<Range<usize>>, path: &str, message: &str, p: &mut Problems) {
    if let Some(span) = span {
        p.at(span, path, message);
    }
}

/// The Region a control plane runs in: the one given, else `default` when the scenario declares it.
pub(super) fn control_plane(
    given: &Option<Spanned<String>>,
    default: &str,
    regions: &[String],
    path: &str,
    p: &mut Problems,
) -> Option<RegionId> {
    match given {
        Some(name) => declared_region(regions, name, path, p),
        None => regions.iter().position(|r| r == default).map(RegionId::new),
    }
}
