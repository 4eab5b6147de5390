//! The configuration of an S3 Cross-Region Replication store: its buckets, its replication rules,
//! the replication-lag defaults (with and without Replication Time Control) and their validation.
//!
//! The lag defaults are the only numbers here that are not the user's: each is a documented
//! constant with the grade of the statement it encodes (reference/aws-facts.md, "S3 Cross-Region
//! Replication"), and a scenario replaces them with `replication_lag`. Validation collects every
//! problem, naming Regions by their AWS names, and never panics.

use sim_core::{Dist, SimDuration};

use crate::ids::RegionId;

/// One replication rule: versions written in the bucket of `from` are copied to the bucket of `to`.
/// A bidirectional pair is two rules (plus replica modification sync, which S3 needs so that
/// metadata changes on replicas flow back; the model has no metadata, so the pair is just the two
/// rules).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rule {
    pub from: RegionId,
    pub to: RegionId,
}

/// An S3 store: one versioned bucket per listed Region and the replication rules between them.
#[derive(Clone, Debug, PartialEq)]
pub struct S3Config {
    /// The Regions with a bucket (versioning on in all of them, as replication requires).
    pub buckets: Vec<RegionId>,
    pub rules: Vec<Rule>,
    /// S3 Replication Time Control: chooses the default lag distribution.
    pub rtc: bool,
    /// Replaces the default lag (time from a version's commit until the pipeline sends it; the
    /// world adds the network's one-way latency).
    pub replication_lag: Option<Dist>,
    /// A bucket's local request latency, PUT, DELETE and GET alike.
    pub commit_latency: Dist,
    /// Delete markers are replicated (off by default in S3, and for rules written in the V1 schema
    /// they are never replicated).
    pub delete_marker_replication: bool,
    /// Keys `0..existing_objects` exist in the source bucket (the `from` of the first rule) before
    /// the rules were created, so they are not replicated until a batch replication runs.
    pub existing_objects: u64,
}

/// RTC: the weight of the fast body. Grade D for the promise it encodes ("most objects in seconds,
/// 99.99% within 15 minutes"); the split itself is U.
pub const RTC_BODY_WEIGHT: f64 = 0.9999;
/// RTC: the weight of the slow tail, written as a literal so `mrsim explain` prints `0.0001`.
pub const RTC_TAIL_WEIGHT: f64 = 0.0001;
/// RTC: the body is log-normal with this median ("in seconds"; grade U).
pub const RTC_BODY_MEDIAN: SimDuration = SimDuration::from_secs(2);
/// RTC: the body's log-normal sigma (grade U): p99 of the body is about 13 s.
pub const RTC_BODY_SIGMA: f64 = 0.8;
/// RTC: the slow 0.01% is uniform over [5 min, 25 min] (grade U): half of it misses 15 minutes, so
/// 99.995% of objects replicate within 15 minutes, inside the documented 99.99% (grade D).
pub const RTC_TAIL: (SimDuration, SimDuration) = (SimDuration::from_mins(5), SimDuration::from_mins(25));

/// Without RTC: the weight of the body (grade U).
pub const STANDARD_BODY_WEIGHT: f64 = 0.9;
/// Without RTC: the weight of the tail (grade U).
pub const STANDARD_TAIL_WEIGHT: f64 = 0.1;
/// Without RTC: the body's log-normal median (grade U).
pub const STANDARD_BODY_MEDIAN: SimDuration = SimDuration::from_secs(30);
/// Without RTC: the body's log-normal sigma (grade U).
pub const STANDARD_BODY_SIGMA: f64 = 1.2;
/// Without RTC: the tail's log-normal median, for the "large objects can take hours" (grade D for
/// the statement, U for the shape). A log-normal rather than a Pareto: a Pareto tail with a shape
/// near 1 puts an object in ten thousand past a week, longer than any drain phase, while AWS says
/// hours. With sigma 1, 0.4% of all objects take over an hour and about 2 in 100 000 over 6 hours;
/// 96% replicate within 15 minutes ("the majority", grade D).
pub const STANDARD_TAIL_MEDIAN: SimDuration = SimDuration::from_mins(10);
pub const STANDARD_TAIL_SIGMA: f64 = 1.0;

/// The default replication lag, in nanoseconds, with or without RTC.
pub fn default_replication_lag(rtc: bool) -> Dist {
    let nanos = |d: SimDuration| d.as_nanos() as f64;
    let lognormal = |median: SimDuration, sigma: f64| {
        Dist::lognormal_median(nanos(median), sigma).expect("the lag constants are a valid log-normal")
    };
    let components = if rtc {
        let tail = Dist::uniform(nanos(RTC_TAIL.0), nanos(RTC_TAIL.1)).expect("the RTC tail is a valid range");
        vec![(RTC_BODY_WEIGHT, lognormal(RTC_BODY_MEDIAN, RTC_BODY_SIGMA)), (RTC_TAIL_WEIGHT, tail)]
    } else {
        vec![
            (STANDARD_BODY_WEIGHT, lognormal(STANDARD_BODY_MEDIAN, STANDARD_BODY_SIGMA)),
            (STANDARD_TAIL_WEIGHT, lognormal(STANDARD_TAIL_MEDIAN, STANDARD_TAIL_SIGMA)),
        ]
    };
    Dist::mixture(components).expect("the lag weights are positive")
}

impl S3Config {
    /// The lag distribution in force: the override, or the default for `rtc`.
    pub fn replication_lag(&self) -> Dist {
        self.replication_lag.clone().unwrap_or_else(|| default_replication_lag(self.rtc))
    }

    /// The bucket that holds the objects predating the rules: the first rule's source.
    pub fn source(&self) -> Option<RegionId> {
        self.rules.first().map(|r| r.from)
    }

    /// Every problem with this configuration, in a world whose Regions are `names` (by id).
    pub fn validate(&self, names: &[String]) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        let name = |r: RegionId| names.get(r.index()).cloned().unwrap_or_else(|| format!("Region #{}", r.index()));
        for r in &self.buckets {
            if r.index() >= names.len() {
                problems.push(format!("bucket in {}, which is not a Region of the run", name(*r)));
            }
        }
        for (i, r) in self.buckets.iter().enumerate() {
            if self.buckets[..i].contains(r) {
                problems.push(format!("two buckets in {}; expected at most one bucket per Region", name(*r)));
            }
        }
        if self.rules.is_empty() {
            problems.push("no replication rule; expected at least one (from, to)".to_string());
        }
        for (i, rule) in self.rules.iter().enumerate() {
            for (end, r) in [("from", rule.from), ("to", rule.to)] {
                if !self.buckets.contains(&r) {
                    problems.push(format!("rule {i}: {end} {} has no bucket; expected one of the buckets", name(r)));
                }
            }
            if rule.from == rule.to {
                problems.push(format!("rule {i}: replicates {} to itself", name(rule.from)));
            }
            if self.rules[..i].contains(rule) {
                problems.push(format!("rule {i}: {} -> {} is a duplicate", name(rule.from), name(rule.to)));
            }
        }
        if let Some(Err(e)) = self.replication_lag.as_ref().map(Dist::validate) {
            problems.push(format!("replication_lag: {e}"));
        }
        if let Err(e) = self.commit_latency.validate() {
            problems.push(format!("commit_latency: {e}"));
        }
        if problems.is_empty() { Ok(()) } else { Err(problems) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_lag_weights_sum_to_exactly_one() {
        assert_eq!(RTC_BODY_WEIGHT + RTC_TAIL_WEIGHT, 1.0);
        assert_eq!(STANDARD_BODY_WEIGHT + STANDARD_TAIL_WEIGHT, 1.0);
    }
}
