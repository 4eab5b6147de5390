//! Validation of `[[store]]` tables: DynamoDB global tables (MREC and MRSC), Aurora Global
//! Database, S3 Cross-Region Replication and general quorum stores.
//!
//! A store table is flat: `type` says which fields apply, and a field given to a type that does not
//! use it is an error. The channel's own rules (MRSC Region sets, at most ten Aurora secondaries, a
//! quorum no larger than its members, S3 rules between buckets) are checked by the models' own
//! validators and reported at the store's `type`.
//!
//! Defaults that are assumptions rather than documented numbers: DynamoDB MREC's pipeline delay
//! (see `validate.rs`); S3 request latency `lognormal(median=20ms, sigma=0.5)`; the quorum store's
//! timeout 1 s; the MRSC timeout 1 s. Aurora's defaults are the channel's (`models::stores::aurora`).

use models::config::StoreKind;
use models::ids::RegionId;
use models::stores::aurora::{AuroraConfig, ReadConsistency, Replication, Secondary};
use models::stores::quorum::{self, Apply, Coordinator, Member, MessageLatency, ProbeConfig, QuorumConfig};
use models::stores::s3::{Rule, S3Config};
use sim_core::{Dist, SimDuration};

use super::raw::{
    MultiRegionConsistency, RawApply, RawAuroraReplication, RawCoordinator, RawReadConsistency, RawStore, Spanned,
    StoreType,
};
use super::shared::{Problems, declared_region};

const DEFAULT_S3_REQUEST_LATENCY: &str = "lognormal(median=20ms, sigma=0.5)";
const DEFAULT_QUORUM_TIMEOUT: SimDuration = SimDuration::from_secs(1);

fn type_name(t: StoreType) -> &'static str {
    match t {
        StoreType::DynamoDbGlobalTable => "dynamodb_global_table",
        StoreType::AuroraGlobalDatabase => "aurora_global_database",
        StoreType::S3Replication => "s3_replication",
        StoreType::Quorum => "quorum",
    }
}

/// The store's type as reports name it: the file's `type`, with DynamoDB's consistency mode.
pub(super) fn type_label(s: &RawStore) -> &'static str {
    match s.store_type {
        StoreType::DynamoDbGlobalTable => match s.multi_region_consistency.as_ref().map(|m| *m.get_ref()) {
            Some(MultiRegionConsistency::Strong) => "dynamodb_global_table (MRSC)",
            _ => "dynamodb_global_table (MREC)",
        },
        t => type_name(t),
    }
}

/// A quorum store's `member_latency` entries, each naming a member once; `None` after a problem.
fn member_latencies(
    s: &RawStore,
    path: &str,
    names: &[String],
    members: &[Member],
    p: &mut Problems,
) -> Option<Vec<(RegionId, MessageLatency)>> {
    let mut out: Vec<(RegionId, MessageLatency)> = Vec::new();
    let mut ok = true;
    for (j, m) in s.member_latency.iter().flatten().enumerate() {
        let at = format!("{path}.member_latency[{j}].region");
        let Some(region) = declared_region(names, &m.region, &at, p) else {
            ok = false;
            continue;
        };
        if !members.iter().any(|x| x.region == region) {
            p.at(
                m.region.span(),
                at,
                format!(
                    "{:?} is not a member of this store; expected one of its regions or witnesses",
                    m.region.get_ref()
                ),
            );
            ok = false;
        } else if out.iter().any(|(r, _)| *r == region) {
            p.at(m.region.span(), at, format!("{:?} is given twice; expected each member once", m.region.get_ref()));
            ok = false;
        }
        let dist = |d: &Option<Spanned<super::raw::DurationDist>>| d.as_ref().map(|d| d.get_ref().0.clone());
        let latency = MessageLatency {
            write: dist(&m.write),
            ack: dist(&m.ack),
            read: dist(&m.read),
            response: dist(&m.response),
        };
        out.push((region, latency));
    }
    ok.then_some(out)
}

/// A quorum store's staleness probe, when `probe_after` asks for one.
fn probe(s: &RawStore, path: &str, p: &mut Problems) -> Option<ProbeConfig> {
    if s.probe_after.is_none() {
        for (given, key) in [
            (s.probe_fraction.as_ref().map(|f| f.span()), "probe_fraction"),
            (s.probe_versions.as_ref().map(|v| v.span()), "probe_versions"),
        ] {
            if let Some(span) = given {
                p.at(
                    span,
                    format!("{path}.{key}"),
                    "given without probe_after; expected probe_after to turn the probe on",
                );
            }
        }
        return None;
    }
    let after_list = s.probe_after.as_ref()?;
    let after: Vec<SimDuration> = after_list.get_ref().iter().map(|t| t.get_ref().0).collect();
    if after.is_empty() {
        p.at(after_list.span(), format!("{path}.probe_after"), "found an empty list; expected at least one duration");
    }
    for (j, w) in after.windows(2).enumerate() {
        if w[0] >= w[1] {
            let t = &after_list.get_ref()[j + 1];
            p.at(
                t.span(),
                format!("{path}.probe_after[{}]", j + 1),
                format!("found {} after {}; expected durations in ascending order without repeats", w[1], w[0]),
            );
        }
    }
    let fraction = match &s.probe_fraction {
        Some(f) if *f.get_ref() > 0.0 && *f.get_ref() <= 1.0 => *f.get_ref(),
        Some(f) => {
            p.at(
                f.span(),
                format!("{path}.probe_fraction"),
                format!("found {}; expected more than 0 and at most 1", f.get_ref()),
            );
            1.0
        }
        None => 1.0,
    };
    let versions = match &s.probe_versions {
        Some(v) if (1..=10).contains(v.get_ref()) => *v.get_ref() as u32,
        Some(v) => {
            p.at(v.span(), format!("{path}.probe_versions"), format!("found {}; expected 1 to 10", v.get_ref()));
            1
        }
        None => 3,
    };
    Some(ProbeConfig { after, fraction, versions })
}

/// The Regions of `list`, or `None` when one of them is not declared (each reported): the checks
/// that count or place the store's Regions are then skipped, since they would count a list the
/// file does not hold ("found 1 Region(s)" for a list of two with one misspelt).
fn region_list(
    list: &Spanned<Vec<Spanned<String>>>,
    path: &str,
    names: &[String],
    p: &mut Problems,
) -> Option<Vec<RegionId>> {
    let mut out: Vec<RegionId> = Vec::new();
    let mut all_declared = true;
    for (j, r) in list.get_ref().iter().enumerate() {
        match declared_region(names, r, &format!("{path}[{j}]"), p) {
            Some(id) => {
                if out.contains(&id) {
                    let message = format!("Region {:?} is listed twice; expected each Region once", r.get_ref());
                    p.at(r.span(), format!("{path}[{j}]"), message);
                }
                out.push(id);
            }
            None => all_declared = false,
        }
    }
    all_declared.then_some(out)
}

/// `region_list` of an optional list: an absent list is empty.
fn optional_region_list(
    list: &Option<Spanned<Vec<Spanned<String>>>>,
    path: &str,
    names: &[String],
    p: &mut Problems,
) -> Option<Vec<RegionId>> {
    list.as_ref().map_or(Some(Vec::new()), |l| region_list(l, path, names, p))
}

fn required<'a, T>(
    field: &'a Option<Spanned<T>>,
    name: &str,
    s: &RawStore,
    path: &str,
    p: &mut Problems,
) -> Option<&'a Spanned<T>> {
    if field.is_none() {
        let message = format!("a {} store needs `{name}`", type_name(s.store_type));
        p.at(s.name.span(), path, message);
    }
    field.as_ref()
}

fn dist_or(field: &Option<Spanned<super::raw::DurationDist>>, default: &str) -> Dist {
    field.as_ref().map_or_else(
        || Dist::parse_duration(default).expect("a default distribution parses"),
        |d| d.get_ref().0.clone(),
    )
}

/// Reports a model validator's problems at the store's `type`.
fn model_problems(s: &RawStore, path: &str, problems: Vec<String>, p: &mut Problems) {
    for message in problems {
        p.at(s.name.span(), path, message);
    }
}

/// An Aurora store's `replication` with its pipeline capacity (`log_rate` or `log_service_time`,
/// at most one, and only for the ordered log), or `None` after reporting why not.
fn aurora_replication(s: &RawStore, path: &str, p: &mut Problems) -> Option<Replication> {
    let independent = s.replication.as_ref().is_some_and(|r| *r.get_ref() == RawAuroraReplication::Independent);
    if independent {
        let given = [
            ("log_rate", s.log_rate.as_ref().map(|r| r.span())),
            ("log_service_time", s.log_service_time.as_ref().map(|t| t.span())),
        ];
        let mut refused = false;
        for (name, span) in given {
            if let Some(span) = span {
                let message = format!(
                    "{name} sets the ordered log's capacity; expected it only with replication = \"ordered_log\" \
                     (\"independent\" has no pipeline to limit)"
                );
                p.at(span, format!("{path}.{name}"), message);
                refused = true;
            }
        }
        return (!refused).then_some(Replication::Independent);
    }
    match (&s.log_rate, &s.log_service_time) {
        (Some(rate), Some(_)) => {
            let message =
                "found both log_rate and log_service_time; expected at most one way to set the pipeline's capacity";
            p.at(rate.span(), format!("{path}.log_rate"), message);
            None
        }
        (Some(rate), None) => {
            let r = *rate.get_ref();
            // Service times are whole nanoseconds: a rate above 1e9 records/s would serve in zero.
            if !(r.is_finite() && r > 0.0 && r <= 1e9) {
                let message = format!("found {r}; expected a positive number of records per second, at most 1e9");
                p.at(rate.span(), format!("{path}.log_rate"), message);
                return None;
            }
            Some(Replication::OrderedLog { service_time: Some(Dist::Constant(1e9 / r)) })
        }
        (None, Some(time)) => {
            let service = time.get_ref().0.clone();
            if let Err(e) = Replication::check_service_time(&service) {
                p.at(time.span(), format!("{path}.log_service_time"), format!("found {e}"));
                return None;
            }
            Some(Replication::OrderedLog { service_time: Some(service) })
        }
        (None, None) => Some(Replication::OrderedLog { service_time: None }),
    }
}

/// The kind and replica Regions of a store, or `None` after reporting why not.
pub(super) fn kind(s: &RawStore, i: usize, names: &[String], p: &mut Problems) -> Option<(StoreKind, Vec<RegionId>)> {
    let path = format!("store[{i}]");
    match s.store_type {
        StoreType::DynamoDbGlobalTable => {
            let regions =
                region_list(required(&s.regions, "regions", s, &path, p)?, &format!("{path}.regions"), names, p);
            let strong =
                s.multi_region_consistency.as_ref().is_some_and(|m| *m.get_ref() == MultiRegionConsistency::Strong);
            if !strong {
                if let Some(w) = &s.witness {
                    p.at(
                        w.span(),
                        format!("{path}.witness"),
                        "a witness applies to multi_region_consistency = \"STRONG\" only",
                    );
                }
                let regions = regions?;
                if regions.len() < 2 {
                    let message = format!(
                        "found {} Region(s); expected at least 2 replica Regions for a global table",
                        regions.len()
                    );
                    p.at(s.name.span(), format!("{path}.regions"), message);
                }
                return Some((StoreKind::DynamoDbMrec, regions));
            }
            let witness = s.witness.as_ref().map(|w| declared_region(names, w, &format!("{path}.witness"), p));
            let (regions, witness) = (regions?, witness.map_or(Some(None), |w| w.map(Some))?);
            match quorum::mrsc(&regions, witness, names) {
                Ok(config) => {
                    let all = config.members.iter().map(|m| m.region).collect();
                    Some((StoreKind::Quorum(config), all))
                }
                Err(e) => {
                    p.at(s.name.span(), path, e);
                    None
                }
            }
        }
        StoreType::Quorum => {
            let regions =
                region_list(required(&s.regions, "regions", s, &path, p)?, &format!("{path}.regions"), names, p);
            let witnesses = optional_region_list(&s.witnesses, &format!("{path}.witnesses"), names, p);
            let (regions, witnesses) = (regions?, witnesses?);
            let members: Vec<Member> = regions
                .iter()
                .map(|&region| Member { region, witness: false })
                .chain(witnesses.iter().map(|&region| Member { region, witness: true }))
                .collect();
            let quorum = |f: &Option<Spanned<i64>>, name: &str, p: &mut Problems| -> u32 {
                match f {
                    Some(v) if (1..=100).contains(v.get_ref()) => *v.get_ref() as u32,
                    Some(v) => {
                        p.at(
                            v.span(),
                            format!("{path}.{name}"),
                            format!("found {}; expected a quorum of at least 1", v.get_ref()),
                        );
                        1
                    }
                    None => (members.len() / 2 + 1) as u32,
                }
            };
            let apply = match s.apply.as_ref().map(|a| *a.get_ref()) {
                Some(RawApply::OnReceipt) => Apply::OnReceipt,
                _ => Apply::OnCommit,
            };
            let coordinator = match &s.coordinator {
                Some(c) if *c.get_ref() == RawCoordinator::Separate => {
                    if apply == Apply::OnCommit {
                        p.at(
                            c.span(),
                            format!("{path}.coordinator"),
                            "found \"separate\" with apply = \"on_commit\"; expected apply = \"on_receipt\" \
                             (an on_commit coordinator votes and commits as a member) or coordinator = \"member\"",
                        );
                    }
                    Coordinator::Separate
                }
                _ => Coordinator::Member,
            };
            let member_latency = member_latencies(s, &path, names, &members, p)?;
            let config = QuorumConfig {
                write_quorum: quorum(&s.write_quorum, "write_quorum", p),
                read_quorum: quorum(&s.read_quorum, "read_quorum", p),
                members,
                timeout: s.timeout.as_ref().map_or(DEFAULT_QUORUM_TIMEOUT, |t| t.get_ref().0),
                read_repair: s.read_repair.as_ref().is_some_and(|r| *r.get_ref()),
                apply,
                coordinator,
                latency: MessageLatency {
                    write: s.write_latency.as_ref().map(|d| d.get_ref().0.clone()),
                    ack: s.ack_latency.as_ref().map(|d| d.get_ref().0.clone()),
                    read: s.read_latency.as_ref().map(|d| d.get_ref().0.clone()),
                    response: s.response_latency.as_ref().map(|d| d.get_ref().0.clone()),
                },
                member_latency,
                probe: probe(s, &path, p),
            };
            if let Err(e) = config.validate(names) {
                p.at(s.name.span(), path, e);
                return None;
            }
            let all = config.members.iter().map(|m| m.region).collect();
            Some((StoreKind::Quorum(config), all))
        }
        StoreType::AuroraGlobalDatabase => {
            let writer = required(&s.writer, "writer", s, &path, p)
                .map(|w| declared_region(names, w, &format!("{path}.writer"), p));
            let secondaries = optional_region_list(&s.secondaries, &format!("{path}.secondaries"), names, p);
            let headless =
                optional_region_list(&s.headless_secondaries, &format!("{path}.headless_secondaries"), names, p);
            let (writer, secondaries, headless) = (writer??, secondaries?, headless?);
            let mut config = AuroraConfig::new(
                writer,
                secondaries
                    .iter()
                    .map(|&region| Secondary { region, headless: false })
                    .chain(headless.iter().map(|&region| Secondary { region, headless: true }))
                    .collect(),
            );
            if let Some(d) = &s.commit_latency {
                config.commit_latency = d.get_ref().0.clone();
            }
            if let Some(d) = &s.replication_lag {
                config.replication_lag = d.get_ref().0.clone();
            }
            config.write_forwarding = s.write_forwarding.as_ref().map(|w| match w.get_ref() {
                RawReadConsistency::Eventual => ReadConsistency::Eventual,
                RawReadConsistency::Session => ReadConsistency::Session,
                RawReadConsistency::Global => ReadConsistency::Global,
            });
            if let Some(d) = &s.switchover_promotion {
                config.switchover_promotion = d.get_ref().0;
            }
            if let Some(d) = &s.failover_promotion {
                config.failover_promotion = d.get_ref().0.clone();
            }
            config.fence_gap = s.fence_gap.as_ref().map(|d| d.get_ref().0);
            config.rpo_bound = s.rds_global_db_rpo.as_ref().map(|d| d.get_ref().0);
            if let Some(d) = &s.endpoint_update_delay {
                config.endpoint_update_delay = d.get_ref().0;
            }
            if let Some(d) = &s.instance_creation {
                config.instance_creation = d.get_ref().0.clone();
            }
            config.replication = aurora_replication(s, &path, p)?;
            if let Err(problems) = config.validate(names) {
                model_problems(s, &path, problems, p);
                return None;
            }
            let all = std::iter::once(writer).chain(config.secondaries.iter().map(|c| c.region)).collect();
            Some((StoreKind::AuroraGlobal(Box::new(config)), all))
        }
        StoreType::S3Replication => {
            let buckets = required(&s.buckets, "buckets", s, &path, p)
                .map(|b| region_list(b, &format!("{path}.buckets"), names, p));
            let mut rules = Vec::new();
            let mut rules_declared = true;
            for (j, (from, to)) in required(&s.rules, "rules", s, &path, p)?.get_ref().iter().enumerate() {
                let (from, to) = (
                    declared_region(names, from, &format!("{path}.rules[{j}][0]"), p),
                    declared_region(names, to, &format!("{path}.rules[{j}][1]"), p),
                );
                match (from, to) {
                    (Some(from), Some(to)) => rules.push(Rule { from, to }),
                    _ => rules_declared = false,
                }
            }
            let rtc = s.rtc.as_ref().is_some_and(|r| *r.get_ref());
            let existing_objects = match &s.existing_objects {
                None => 0,
                Some(n) if *n.get_ref() >= 0 => *n.get_ref() as u64,
                Some(n) => {
                    p.at(
                        n.span(),
                        format!("{path}.existing_objects"),
                        format!("found {}; expected a count of objects >= 0", n.get_ref()),
                    );
                    0
                }
            };
            let buckets = buckets??;
            if !rules_declared {
                return None;
            }
            let config = S3Config {
                buckets: buckets.clone(),
                rules,
                rtc,
                replication_lag: s.replication_lag.as_ref().map(|d| d.get_ref().0.clone()),
                commit_latency: dist_or(&s.commit_latency, DEFAULT_S3_REQUEST_LATENCY),
                delete_marker_replication: s.delete_marker_replication.as_ref().is_some_and(|d| *d.get_ref()),
                existing_objects,
            };
            if let Err(problems) = config.validate(names) {
                model_problems(s, &path, problems, p);
                return None;
            }
            Some((StoreKind::S3Replication(config), buckets))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::scenario;

    const BASE: &str = r#"
[scenario]
name = "aurora-log"
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
"#;

    fn problems(extra: &str) -> String {
        match scenario::parse(Path::new("t.toml"), &format!("{BASE}{extra}")) {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn the_ordered_logs_capacity_is_checked_at_its_key() {
        assert_eq!(problems(""), "", "the base is valid");
        assert_eq!(problems("replication = \"ordered_log\"\nlog_rate = 5000.0\n"), "");
        assert_eq!(problems("log_service_time = \"exp(mean=1ms)\"\n"), "");
        assert_eq!(problems("replication = \"independent\"\nreplication_lag = \"100ms\"\n"), "");
        let e = problems("replication = \"independent\"\nlog_rate = 5000.0\n");
        assert!(
            e.contains("t.toml:18:12: store[0].log_rate: log_rate sets the ordered log's capacity; expected it only with replication = \"ordered_log\""),
            "{e}"
        );
        let e = problems("log_rate = 5000.0\nlog_service_time = \"1ms\"\n");
        assert!(e.contains("store[0].log_rate: found both log_rate and log_service_time; expected at most one"), "{e}");
        let e = problems("log_rate = -3.0\n");
        assert!(e.contains("store[0].log_rate: found -3; expected a positive number of records per second"), "{e}");
        let e = problems("log_service_time = \"0ms\"\n");
        assert!(
            e.contains("t.toml:17:20: store[0].log_service_time: found const(0s); expected a finite mean above zero"),
            "{e}"
        );
        let e = problems("replication = \"fifo\"\n");
        assert!(e.contains("store[0].replication"), "{e}");
    }
}
