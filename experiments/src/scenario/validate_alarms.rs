//! Validation of `[[alarm]]` tables and of what sets an action off: `at`, `when` and
//! `reaction_time`.
//!
//! Defaults are CloudWatch's (PutMetricAlarm): `statistic` Average, `period` 60s,
//! `evaluation_periods` 1, `datapoints_to_alarm` equal to `evaluation_periods`,
//! `treat_missing_data` missing. An action's `reaction_time` defaults to 0s (the action is carried
//! out the moment it is set off). The alarm's own rules are `AlarmConfig::validate`'s, reported at
//! the alarm's place.

use models::alarm::{AlarmConfig, AlarmMetric, ComparisonOperator, Statistic, TreatMissingData};
use models::config::{StoreConfig, StoreKind, Trigger};
use models::ids::StoreId;
use sim_core::{SimDuration, SimTime};

use super::raw::{
    RawAction, RawAlarm, RawAlarmMetric, RawComparisonOperator, RawStatistic, RawTreatMissingData, Spanned,
};
use super::shared::{Problems, declared_region, declared_store};
use super::shared::{RoutingNames, find};

const DEFAULT_PERIOD: SimDuration = SimDuration::from_secs(60);

fn metric_name(m: RawAlarmMetric) -> &'static str {
    match m {
        RawAlarmMetric::ErrorRate => "error_rate",
        RawAlarmMetric::ReplicationLag => "replication_lag",
        RawAlarmMetric::RpoLag => "rpo_lag",
        RawAlarmMetric::Conflicts => "conflicts",
        RawAlarmMetric::HealthCheckStatus => "health_check_status",
    }
}

/// A positive count, or `None` (reported) when it is below 1.
fn count(field: &Option<Spanned<i64>>, default: u32, path: &str, p: &mut Problems) -> Option<u32> {
    match field {
        None => Some(default),
        Some(n) if (1..=i64::from(u32::MAX)).contains(n.get_ref()) => Some(*n.get_ref() as u32),
        Some(n) => {
            p.at(n.span(), path, format!("found {}; expected at least 1", n.get_ref()));
            None
        }
    }
}

/// Validates every alarm.
pub(super) fn alarms(
    raw: &[RawAlarm],
    names: &RoutingNames,
    regions: &[String],
    stores: &[StoreConfig],
    p: &mut Problems,
) -> Vec<AlarmConfig> {
    let store_names: Vec<String> = stores.iter().map(|s| s.name.clone()).collect();
    let mut out = Vec::new();
    for (i, a) in raw.iter().enumerate() {
        if names.alarms[..i].contains(a.name.get_ref()) {
            p.at(
                a.name.span(),
                format!("alarm[{i}].name"),
                format!("alarm {:?} is declared twice; expected unique names", a.name.get_ref()),
            );
        }
        if let Some(alarm) = alarm(a, i, names, regions, stores, &store_names, p) {
            out.push(alarm);
        }
    }
    out
}

fn alarm(
    a: &RawAlarm,
    i: usize,
    names: &RoutingNames,
    regions: &[String],
    stores: &[StoreConfig],
    store_names: &[String],
    p: &mut Problems,
) -> Option<AlarmConfig> {
    let path = format!("alarm[{i}]");
    let kind = *a.metric.get_ref();
    let metric_text = metric_name(kind);
    let applies = |field: &str| match field {
        "region" => matches!(kind, RawAlarmMetric::ErrorRate | RawAlarmMetric::ReplicationLag | RawAlarmMetric::RpoLag),
        "store" => matches!(kind, RawAlarmMetric::ReplicationLag | RawAlarmMetric::RpoLag | RawAlarmMetric::Conflicts),
        _ => kind == RawAlarmMetric::HealthCheckStatus,
    };
    for (field, given) in [("region", &a.region), ("store", &a.store), ("health_check", &a.health_check)] {
        if let Some(v) = given
            && !applies(field)
        {
            p.at(v.span(), format!("{path}.{field}"), format!("`{field}` does not apply to metric = {metric_text:?}"));
        }
    }
    let region = match &a.region {
        Some(r) if applies("region") => Some(declared_region(regions, r, &format!("{path}.region"), p)?),
        _ => None,
    };
    let store: Option<StoreId> = match &a.store {
        Some(s) if applies("store") => Some(declared_store(store_names, s, &format!("{path}.store"), p)?),
        _ => None,
    };
    if kind == RawAlarmMetric::RpoLag {
        let aurora = |s: &StoreConfig| matches!(s.kind, StoreKind::AuroraGlobal(_));
        match (store, &a.store) {
            (Some(id), Some(name)) if !aurora(&stores[id.index()]) => {
                p.at(
                    name.span(),
                    format!("{path}.store"),
                    format!("store {:?} is not an aurora_global_database store; expected one (rpo_lag is Aurora's AuroraGlobalDBRPOLag)", name.get_ref()),
                );
                return None;
            }
            (None, _) if !stores.iter().any(aurora) => {
                p.at(
                    a.metric.span(),
                    format!("{path}.metric"),
                    "rpo_lag needs an aurora_global_database store; the scenario declares none",
                );
                return None;
            }
            _ => {}
        }
    }
    let metric = match kind {
        RawAlarmMetric::ErrorRate => AlarmMetric::ErrorRate { region },
        RawAlarmMetric::ReplicationLag => AlarmMetric::ReplicationLag { store, region },
        RawAlarmMetric::RpoLag => AlarmMetric::RpoLag { store, region },
        RawAlarmMetric::Conflicts => AlarmMetric::Conflicts { store },
        RawAlarmMetric::HealthCheckStatus => {
            let Some(check) = &a.health_check else {
                p.at(
                    a.metric.span(),
                    path,
                    "metric = \"health_check_status\" needs `health_check`, the name of a [[route53.health_check]]",
                );
                return None;
            };
            let check = find(&names.health_checks, check, "health check", &format!("{path}.health_check"), p)?;
            AlarmMetric::HealthCheckStatus { check }
        }
    };
    let evaluation_periods = count(&a.evaluation_periods, 1, &format!("{path}.evaluation_periods"), p)?;
    let datapoints_to_alarm =
        count(&a.datapoints_to_alarm, evaluation_periods, &format!("{path}.datapoints_to_alarm"), p)?;
    let config = AlarmConfig {
        name: a.name.get_ref().clone(),
        metric,
        statistic: match a.statistic.as_ref().map_or(RawStatistic::Average, |s| *s.get_ref()) {
            RawStatistic::Average => Statistic::Average,
            RawStatistic::Sum => Statistic::Sum,
            RawStatistic::Minimum => Statistic::Minimum,
            RawStatistic::Maximum => Statistic::Maximum,
            RawStatistic::SampleCount => Statistic::SampleCount,
        },
        period: a.period.as_ref().map_or(DEFAULT_PERIOD, |d| d.get_ref().0),
        evaluation_periods,
        datapoints_to_alarm,
        threshold: *a.threshold.get_ref(),
        comparison_operator: match a.comparison_operator.get_ref() {
            RawComparisonOperator::GreaterThanThreshold => ComparisonOperator::GreaterThanThreshold,
            RawComparisonOperator::GreaterThanOrEqualToThreshold => ComparisonOperator::GreaterThanOrEqualToThreshold,
            RawComparisonOperator::LessThanThreshold => ComparisonOperator::LessThanThreshold,
            RawComparisonOperator::LessThanOrEqualToThreshold => ComparisonOperator::LessThanOrEqualToThreshold,
        },
        treat_missing_data: match a.treat_missing_data.as_ref().map(|t| *t.get_ref()) {
            None | Some(RawTreatMissingData::Missing) => TreatMissingData::Missing,
            Some(RawTreatMissingData::NotBreaching) => TreatMissingData::NotBreaching,
            Some(RawTreatMissingData::Breaching) => TreatMissingData::Breaching,
            Some(RawTreatMissingData::Ignore) => TreatMissingData::Ignore,
        },
    };
    if let Err(e) = config.validate() {
        // The message starts with the parameter it is about; point at it when the file gives it.
        let field = e.split_whitespace().next().unwrap_or("");
        let span = match field {
            "period" => a.period.as_ref().map(Spanned::span),
            "evaluation_periods" => a.evaluation_periods.as_ref().map(Spanned::span),
            "datapoints_to_alarm" => a.datapoints_to_alarm.as_ref().map(Spanned::span),
            "threshold" => Some(a.threshold.span()),
            _ => None,
        };
        match span {
            Some(span) => p.at(span, format!("{path}.{field}"), e),
            None => p.at(a.name.span(), path, e),
        }
        return None;
    }
    Some(config)
}

/// What sets action `a` off: `at` a time, or `when` an alarm fires or a Region has been unhealthy
/// for a while; and the reaction time after that.
pub(super) fn trigger(
    a: &RawAction,
    path: &str,
    names: &RoutingNames,
    regions: &[String],
    p: &mut Problems,
) -> (Option<Trigger>, SimDuration) {
    let reaction_time = a.reaction_time.as_ref().map_or(SimDuration::ZERO, |r| r.get_ref().0);
    let trigger = match (&a.at, &a.when) {
        (Some(at), None) => Some(Trigger::At(SimTime::at(at.get_ref().0))),
        (None, Some(when)) => when_trigger(when, path, names, regions, p),
        (Some(_), Some(when)) => {
            p.at(when.span(), path, "found both at and when; expected one of them");
            None
        }
        (None, None) => {
            p.at(
                a.action_type.span(),
                path,
                "this action needs `at` or `when`; expected at = \"5m\", when = { alarm = \"name\" } or \
                 when = { region_unhealthy = \"us-east-1\", for = \"60s\" }",
            );
            None
        }
    };
    (trigger, reaction_time)
}

fn when_trigger(
    when: &Spanned<super::raw::RawWhen>,
    path: &str,
    names: &RoutingNames,
    regions: &[String],
    p: &mut Problems,
) -> Option<Trigger> {
    let w = when.get_ref();
    let path = format!("{path}.when");
    match (&w.alarm, &w.region_unhealthy) {
        (Some(alarm), None) => {
            if let Some(f) = &w.for_ {
                p.at(
                    f.span(),
                    format!("{path}.for"),
                    "`for` applies to region_unhealthy only; an alarm has its own evaluation periods",
                );
            }
            Some(Trigger::Alarm(find(&names.alarms, alarm, "alarm", &format!("{path}.alarm"), p)?))
        }
        (None, Some(region)) => {
            let id = declared_region(regions, region, &format!("{path}.region_unhealthy"), p);
            if id.is_some() && !names.watched.contains(region.get_ref()) {
                p.at(
                    region.span(),
                    format!("{path}.region_unhealthy"),
                    format!(
                        "nothing watches the health of {}, so it never becomes unhealthy; expected a Region with a \
                         [[route53.record]], a probing [[route53.health_check]] or a [[global_accelerator.endpoint_group]]",
                        region.get_ref()
                    ),
                );
            }
            let Some(for_) = &w.for_ else {
                p.at(when.span(), path, "region_unhealthy needs `for`; expected for example for = \"60s\"");
                return None;
            };
            Some(Trigger::RegionUnhealthy { region: id?, for_: for_.get_ref().0 })
        }
        (Some(_), Some(region)) => {
            p.at(region.span(), path, "found both alarm and region_unhealthy; expected one of them");
            None
        }
        (None, None) => {
            p.at(
                when.span(),
                path,
                "found neither alarm nor region_unhealthy; expected when = { alarm = \"name\" } or \
                 when = { region_unhealthy = \"us-east-1\", for = \"60s\" }",
            );
            None
        }
    }
}
