//! Validation of `[[fault]]` and `[[fault_generator]]` tables.
//!
//! A fault table is flat: `type` says which of its fields apply, and a field given to a type that
//! does not use it is an error (it would otherwise be silently ignored). Faults of a kind that would
//! contradict each other when they overlap on one target (two clock skews, two flapping schedules)
//! are rejected; outages, partitions, degraded links and impairments compose and may overlap.

use models::faults::{FaultConfig, FaultGenerator, FaultKind, GeneratedKind, OutageScope, PartitionMode, ProbeAnswer};
use models::ids::{RegionId, StoreId};
use sim_core::{Dist, SimDuration, SimTime};

use super::raw::{
    FaultType, RawDirection, RawFault, RawFaultGenerator, RawPartitionMode, RawProbes, RawScope, Spanned,
};
use super::shared::{Problems, declared_region, declared_store};

/// Looks names up for the fault validators.
pub(super) struct Names<'a> {
    pub regions: &'a [String],
    pub stores: &'a [String],
}

impl Names<'_> {
    fn region(&self, name: &Spanned<String>, path: &str, p: &mut Problems) -> Option<RegionId> {
        declared_region(self.regions, name, path, p)
    }
    fn store(&self, name: &Spanned<String>, path: &str, p: &mut Problems) -> Option<StoreId> {
        declared_store(self.stores, name, path, p)
    }
    fn region_list(&self, list: &Spanned<Vec<Spanned<String>>>, path: &str, p: &mut Problems) -> Vec<RegionId> {
        let mut out = Vec::new();
        for (i, name) in list.get_ref().iter().enumerate() {
            if let Some(r) = self.region(name, &format!("{path}[{i}]"), p) {
                out.push(r);
            }
        }
        if list.get_ref().is_empty() {
            p.at(list.span(), path, "found an empty list; expected at least one Region");
        }
        out
    }
}

fn type_name(t: FaultType) -> &'static str {
    match t {
        FaultType::RegionOutage => "region_outage",
        FaultType::Partition => "partition",
        FaultType::DegradedLink => "degraded_link",
        FaultType::ClockSkew => "clock_skew",
        FaultType::ControlPlaneOutage => "control_plane_outage",
        FaultType::ReplicationImpairment => "replication_impairment",
        FaultType::HealthCheckFlapping => "health_check_flapping",
    }
}

/// Requires `field` (reporting it missing at the fault's `type`), returning it if present.
fn required<'f, T>(field: &'f Option<T>, name: &str, f: &RawFault, path: &str, p: &mut Problems) -> Option<&'f T> {
    if field.is_none() {
        let t = type_name(*f.fault_type.get_ref());
        p.at(f.fault_type.span(), path, format!("a {t} fault needs `{name}`; expected {name} = ..."));
    }
    field.as_ref()
}

fn fraction(v: &Option<Spanned<f64>>, path: &str, default: f64, p: &mut Problems) -> f64 {
    match v {
        None => default,
        Some(x) if (0.0..=1.0).contains(x.get_ref()) => *x.get_ref(),
        Some(x) => {
            p.at(x.span(), path, format!("found {}; expected a fraction between 0 and 1", x.get_ref()));
            default
        }
    }
}

/// Validates one written-out fault.
pub(super) fn fault(
    f: &RawFault,
    i: usize,
    names: &Names,
    duration: SimDuration,
    p: &mut Problems,
) -> Option<FaultConfig> {
    let path = format!("fault[{i}]");
    let start = SimTime::at(f.start.get_ref().0);
    if start >= SimTime::at(duration) {
        p.at(
            f.start.span(),
            format!("{path}.start"),
            format!("found start {}; expected a start within scenario.duration ({duration})", f.start.get_ref().0),
        );
    }
    let kind = kind(f, &path, names, p);
    let permanent = f.permanent.as_ref().is_some_and(|b| *b.get_ref());
    let whole_region = matches!(&kind, Some(FaultKind::RegionOutage { scope: OutageScope::Region, .. }));
    let end = match (&f.end, permanent) {
        (Some(end), false) => {
            if end.get_ref().0 <= f.start.get_ref().0 {
                p.at(
                    end.span(),
                    format!("{path}.end"),
                    format!(
                        "found end {} not after start {}; expected an end later than the start",
                        end.get_ref().0,
                        f.start.get_ref().0
                    ),
                );
            }
            if start < SimTime::at(duration) && end.get_ref().0 > duration {
                p.warn_at(
                    end.span(),
                    format!("{path}.end"),
                    format!(
                        "{} is after the end of the fault phase at {duration} (scenario.duration): the fault is cut there",
                        end.get_ref().0
                    ),
                );
            }
            Some(SimTime::at(end.get_ref().0))
        }
        (None, true) => {
            if !whole_region && kind.is_some() {
                let span = f.permanent.as_ref().map(Spanned::span).unwrap_or(0..0);
                p.at(
                    span,
                    format!("{path}.permanent"),
                    "only a whole-Region outage (scope \"region\") may be permanent; expected end = \"<duration>\"",
                );
            }
            None
        }
        (Some(end), true) => {
            p.at(end.span(), format!("{path}.end"), "found both end and permanent = true; expected one of them");
            None
        }
        (None, false) => {
            p.at(
                f.start.span(),
                path.clone(),
                "the fault has no end; expected end = \"<duration>\" (or permanent = true for a whole-Region outage)",
            );
            None
        }
    };
    Some(FaultConfig { kind: kind?, start, end })
}

fn kind(f: &RawFault, path: &str, names: &Names, p: &mut Problems) -> Option<FaultKind> {
    let region = |p: &mut Problems| {
        required(&f.region, "region", f, path, p).and_then(|r| names.region(r, &format!("{path}.region"), p))
    };
    match *f.fault_type.get_ref() {
        FaultType::RegionOutage => {
            let region = region(p);
            let scope = match f.scope.as_ref().map(|s| *s.get_ref()).unwrap_or(RawScope::Region) {
                RawScope::Region => OutageScope::Region,
                RawScope::AppTier => OutageScope::AppTier,
                RawScope::HealthEndpoint => OutageScope::HealthEndpoint,
                RawScope::RequestsOnly => OutageScope::RequestsOnly,
                RawScope::Store => {
                    let store = required(&f.store, "store", f, path, p)
                        .and_then(|s| names.store(s, &format!("{path}.store"), p));
                    OutageScope::Store(store?)
                }
            };
            if let (Some(s), false) = (&f.store, matches!(scope, OutageScope::Store(_))) {
                p.at(s.span(), format!("{path}.store"), "`store` applies only with scope = \"store\"");
            }
            let probes = match f.probes.as_ref() {
                None => ProbeAnswer::TimeOut,
                Some(given) if scope != OutageScope::Region => {
                    p.at(given.span(), format!("{path}.probes"), "`probes` applies only with scope = \"region\"");
                    ProbeAnswer::TimeOut
                }
                Some(given) => match given.get_ref() {
                    RawProbes::TimeOut => ProbeAnswer::TimeOut,
                    RawProbes::Refused => ProbeAnswer::Refused,
                },
            };
            Some(FaultKind::RegionOutage { region: region?, scope, probes })
        }
        FaultType::Partition => {
            let a =
                required(&f.side_a, "side_a", f, path, p).map(|l| names.region_list(l, &format!("{path}.side_a"), p));
            let b =
                required(&f.side_b, "side_b", f, path, p).map(|l| names.region_list(l, &format!("{path}.side_b"), p));
            let (a, b) = (a?, b?);
            if let Some(both) = a.iter().find(|r| b.contains(r)) {
                let span = f.side_b.as_ref().map(Spanned::span).unwrap_or(0..0);
                p.at(
                    span,
                    format!("{path}.side_b"),
                    format!("Region {} is on both sides; expected two disjoint groups", names.regions[both.index()]),
                );
            }
            let one_way = f.direction.as_ref().is_some_and(|d| *d.get_ref() == RawDirection::AToB);
            let mode = match f.mode.as_ref().map(|m| *m.get_ref()) {
                Some(RawPartitionMode::Hold) => PartitionMode::Hold,
                _ => PartitionMode::Drop,
            };
            Some(FaultKind::Partition { side_a: a, side_b: b, one_way, mode })
        }
        FaultType::DegradedLink => {
            let from = required(&f.from, "from", f, path, p).and_then(|r| names.region(r, &format!("{path}.from"), p));
            let to = required(&f.to, "to", f, path, p).and_then(|r| names.region(r, &format!("{path}.to"), p));
            if let (Some(a), Some(b), Some(to)) = (from, to, &f.to)
                && a == b
            {
                p.at(
                    to.span(),
                    format!("{path}.to"),
                    "found the same Region as from; expected a link between two different Regions",
                );
            }
            let loss = fraction(&f.loss, &format!("{path}.loss"), 0.0, p);
            if loss >= 1.0 {
                let span = f.loss.as_ref().map(Spanned::span).unwrap_or(0..0);
                p.at(
                    span,
                    format!("{path}.loss"),
                    "found 1 (every message lost, forever resent); expected a loss below 1, or use a partition",
                );
            }
            let extra_latency = f.extra_latency.as_ref().map_or(Dist::Constant(0.0), |d| d.get_ref().0.clone());
            if f.extra_latency.is_none() && f.loss.is_none() {
                p.at(
                    f.fault_type.span(),
                    path,
                    "a degraded_link fault changes nothing without extra_latency or loss; expected at least one",
                );
            }
            let symmetric = f.symmetric.as_ref().is_none_or(|s| *s.get_ref());
            Some(FaultKind::DegradedLink { from: from?, to: to?, symmetric, extra_latency, loss })
        }
        FaultType::ClockSkew => {
            let region = region(p);
            let offset = required(&f.offset, "offset", f, path, p).map(|o| o.get_ref().0);
            let drift_ppm = f.drift_ppm.as_ref().map_or(0.0, |d| *d.get_ref());
            if let Some(d) = &f.drift_ppm
                && !(d.get_ref().is_finite() && d.get_ref().abs() <= 1e6)
            {
                p.at(
                    d.span(),
                    format!("{path}.drift_ppm"),
                    format!("found {}; expected a drift between -1000000 and 1000000 parts per million", d.get_ref()),
                );
            }
            Some(FaultKind::ClockSkew { region: region?, offset_nanos: offset?, drift_ppm })
        }
        FaultType::ControlPlaneOutage => Some(FaultKind::ControlPlaneOutage { region: region(p)? }),
        FaultType::ReplicationImpairment => {
            let store =
                required(&f.store, "store", f, path, p).and_then(|s| names.store(s, &format!("{path}.store"), p));
            let from = match &f.from {
                Some(r) => Some(names.region(r, &format!("{path}.from"), p)?),
                None => None,
            };
            let slowdown = f.slowdown.as_ref().map(|s| *s.get_ref());
            if let Some(s) = &f.slowdown
                && !(s.get_ref().is_finite() && *s.get_ref() > 1.0)
            {
                p.at(
                    s.span(),
                    format!("{path}.slowdown"),
                    format!("found {}; expected a factor above 1 (omit slowdown to stall replication)", s.get_ref()),
                );
            }
            Some(FaultKind::ReplicationImpairment { store: store?, from, slowdown })
        }
        FaultType::HealthCheckFlapping => {
            let region = region(p);
            let period = required(&f.period, "period", f, path, p).map(|d| d.get_ref().0);
            if let Some(d) = &f.period
                && d.get_ref().0.is_zero()
            {
                p.at(d.span(), format!("{path}.period"), "found 0s; expected a positive period");
            }
            Some(FaultKind::HealthCheckFlapping { region: region?, period: period? })
        }
    }
}

/// Rejects overlapping faults that contradict each other on one target.
pub(super) fn overlaps(faults: &[(usize, FaultConfig)], raw: &[RawFault], duration: SimDuration, p: &mut Problems) {
    let target = |k: &FaultKind| match k {
        FaultKind::ClockSkew { region, .. } => Some(("clock_skew", *region)),
        FaultKind::HealthCheckFlapping { region, .. } => Some(("health_check_flapping", *region)),
        _ => None,
    };
    let end = |f: &FaultConfig| f.end.unwrap_or(SimTime::at(duration));
    for (x, (i, a)) in faults.iter().enumerate() {
        for (j, b) in faults.iter().skip(x + 1) {
            if let (Some(ta), Some(tb)) = (target(&a.kind), target(&b.kind))
                && ta == tb
                && a.start < end(b)
                && b.start < end(a)
            {
                p.at(raw[*j].start.span(), format!("fault[{j}]"), format!("this {} overlaps fault[{i}] on the same Region, and the two contradict each other; expected faults of this type on one Region not to overlap", ta.0));
            }
        }
    }
}

/// Validates one fault generator.
pub(super) fn generator(g: &RawFaultGenerator, i: usize, names: &Names, p: &mut Problems) -> Option<FaultGenerator> {
    let path = format!("fault_generator[{i}]");
    let rate = *g.rate_per_hour.get_ref();
    if !(rate.is_finite() && rate > 0.0) {
        p.at(
            g.rate_per_hour.span(),
            format!("{path}.rate_per_hour"),
            format!("found {rate}; expected a positive number of faults per hour"),
        );
    }
    let regions = match &g.regions {
        Some(list) => names.region_list(list, &format!("{path}.regions"), p),
        None => (0..names.regions.len()).map(RegionId::new).collect(),
    };
    let missing = |name: &str, p: &mut Problems| {
        p.at(
            g.fault_type.span(),
            path.clone(),
            format!("a {} generator needs `{name}`", type_name(*g.fault_type.get_ref())),
        );
    };
    let kind = match *g.fault_type.get_ref() {
        FaultType::RegionOutage => GeneratedKind::RegionOutage(match g.scope.as_ref().map(|s| *s.get_ref()) {
            None | Some(RawScope::Region) => OutageScope::Region,
            Some(RawScope::AppTier) => OutageScope::AppTier,
            Some(RawScope::HealthEndpoint) => OutageScope::HealthEndpoint,
            Some(RawScope::RequestsOnly) => OutageScope::RequestsOnly,
            Some(RawScope::Store) => {
                let span = g.scope.as_ref().map(Spanned::span).unwrap_or(0..0);
                p.at(
                    span,
                    format!("{path}.scope"),
                    "a generator cannot pick a store; expected region, app_tier, health_endpoint or requests_only",
                );
                OutageScope::Region
            }
        }),
        FaultType::Partition => GeneratedKind::Partition(match g.mode.as_ref().map(|m| *m.get_ref()) {
            Some(RawPartitionMode::Hold) => PartitionMode::Hold,
            _ => PartitionMode::Drop,
        }),
        FaultType::DegradedLink => {
            if names.regions.len() < 2 {
                p.at(g.fault_type.span(), path.clone(), "a degraded_link generator needs at least two Regions");
            }
            GeneratedKind::DegradedLink {
                extra_latency: g.extra_latency.as_ref().map_or(Dist::Constant(0.0), |d| d.get_ref().0.clone()),
                loss: fraction(&g.loss, &format!("{path}.loss"), 0.0, p).min(0.99),
            }
        }
        FaultType::ClockSkew => match &g.offset {
            Some(o) => GeneratedKind::ClockSkew { offset: o.get_ref().0.clone() },
            None => {
                missing("offset", p);
                return None;
            }
        },
        FaultType::ControlPlaneOutage => GeneratedKind::ControlPlaneOutage,
        FaultType::HealthCheckFlapping => match &g.period {
            Some(d) if !d.get_ref().0.is_zero() => GeneratedKind::HealthCheckFlapping { period: d.get_ref().0 },
            _ => {
                missing("period (positive)", p);
                return None;
            }
        },
        FaultType::ReplicationImpairment => {
            p.at(g.fault_type.span(), format!("{path}.type"), "replication_impairment cannot be generated; expected region_outage, partition, degraded_link, clock_skew, control_plane_outage or health_check_flapping");
            return None;
        }
    };
    Some(FaultGenerator { kind, regions, rate_per_hour: rate, duration: g.duration.0.clone() })
}
