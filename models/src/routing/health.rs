//! Health checks as their checkers see them: each checker probes on its own phase every interval,
//! flips after a threshold of consecutive results, and the check is healthy while more than a
//! share of its checkers say so (Route 53: more than 18%). A load balancer's check of its target
//! is the same machine with one checker and different thresholds each way.
//!
//! The world owns the clock: it asks for each checker's first probe time, calls back at each
//! probe time for the next one, and reports every result; the check says when its verdict flips.

use sim_core::{SimDuration, SimTime, Stream};

/// What a probe finds at the endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeOutcome {
    /// The endpoint answered healthy.
    Pass,
    /// It answered with an error (an app tier out, a gray failure, a deep check's dependency).
    Fail,
    /// Nothing answered: the checker counts a failure when its probe times out.
    NoAnswer,
}

/// How a check probes and decides.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckSpec {
    pub interval: SimDuration,
    /// Consecutive failures that turn a healthy checker unhealthy.
    pub failure_threshold: u32,
    /// Consecutive successes that turn an unhealthy checker healthy.
    pub success_threshold: u32,
    pub checkers: u32,
    /// The check is healthy while the share of healthy checkers is above this (Route 53: 0.18;
    /// one checker: 0.0).
    pub healthy_share_above: f64,
    /// A probe of an endpoint that does not answer fails after this long.
    pub probe_timeout: SimDuration,
}

/// Route 53's rule: healthy while more than 18% of checkers report healthy.
pub const ROUTE53_HEALTHY_SHARE: f64 = 0.18;

#[derive(Clone, Debug)]
struct Checker {
    healthy: bool,
    /// Consecutive results against the checker's current verdict.
    streak: u32,
    /// The first probe, within the first interval.
    phase: SimDuration,
}

/// One health check: its checkers and its verdict. New checks start healthy (as Route 53 treats a
/// new health check).
#[derive(Clone, Debug)]
pub struct HealthCheck {
    spec: CheckSpec,
    checkers: Vec<Checker>,
    healthy: bool,
}

impl HealthCheck {
    /// Draws each checker's phase uniformly within the first interval.
    pub fn new(spec: CheckSpec, rng: &mut Stream) -> Self {
        let checkers = (0..spec.checkers)
            .map(|_| Checker {
                healthy: true,
                streak: 0,
                phase: SimDuration::from_nanos_f64(spec.interval.as_nanos() as f64 * rng.next_f64()),
            })
            .collect();
        HealthCheck { spec, checkers, healthy: true }
    }

    pub fn spec(&self) -> &CheckSpec {
        &self.spec
    }

    pub fn healthy(&self) -> bool {
        self.healthy
    }

    pub fn checkers(&self) -> usize {
        self.checkers.len()
    }

    /// When `checker` probes first.
    pub fn first_probe(&self, checker: usize) -> SimTime {
        SimTime::ZERO + self.checkers[checker].phase
    }

    /// When a probe sent at `now` with `outcome` has its result.
    pub fn result_at(&self, now: SimTime, outcome: ProbeOutcome) -> SimTime {
        match outcome {
            ProbeOutcome::NoAnswer => now + self.spec.probe_timeout,
            ProbeOutcome::Pass | ProbeOutcome::Fail => now,
        }
    }

    /// A checker's probe result: `Some(verdict)` when the check's verdict flips.
    pub fn record(&mut self, checker: usize, passed: bool) -> Option<bool> {
        let c = &mut self.checkers[checker];
        if passed == c.healthy {
            c.streak = 0;
        } else {
            c.streak += 1;
            let needed = if c.healthy { self.spec.failure_threshold } else { self.spec.success_threshold };
            if c.streak >= needed {
                c.healthy = passed;
                c.streak = 0;
            }
        }
        let healthy_checkers = self.checkers.iter().filter(|c| c.healthy).count();
        let verdict = healthy_checkers as f64 > self.spec.healthy_share_above * self.checkers.len() as f64;
        (verdict != self.healthy).then(|| {
            self.healthy = verdict;
            verdict
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::Seed;

    fn spec(interval_s: u64, threshold: u32, checkers: u32) -> CheckSpec {
        CheckSpec {
            interval: SimDuration::from_secs(interval_s),
            failure_threshold: threshold,
            success_threshold: threshold,
            checkers,
            healthy_share_above: ROUTE53_HEALTHY_SHARE,
            probe_timeout: SimDuration::from_secs(4),
        }
    }

    #[test]
    fn one_checker_flips_after_the_threshold_both_ways() {
        let mut rng = Seed(1).stream("t");
        let mut s = spec(10, 3, 1);
        s.healthy_share_above = 0.0;
        let mut c = HealthCheck::new(s, &mut rng);
        assert_eq!(c.record(0, false), None);
        assert_eq!(c.record(0, false), None);
        // A pass in between resets the streak.
        assert_eq!(c.record(0, true), None);
        assert_eq!(c.record(0, false), None);
        assert_eq!(c.record(0, false), None);
        assert_eq!(c.record(0, false), Some(false));
        assert_eq!(c.record(0, true), None);
        assert_eq!(c.record(0, true), None);
        assert_eq!(c.record(0, true), Some(true));
    }

    #[test]
    fn fifteen_checkers_turn_unhealthy_when_two_or_fewer_say_healthy() {
        // 18% of 15 is 2.7: three healthy checkers keep the endpoint healthy, two do not.
        let mut rng = Seed(2).stream("t");
        let mut c = HealthCheck::new(spec(30, 1, 15), &mut rng);
        for checker in 0..12 {
            assert_eq!(c.record(checker, false), None, "checker {checker}");
        }
        assert_eq!(c.record(12, false), Some(false));
        assert_eq!(c.record(12, true), Some(true));
    }

    #[test]
    fn phases_lie_within_the_first_interval() {
        let mut rng = Seed(3).stream("t");
        let c = HealthCheck::new(spec(10, 3, 15), &mut rng);
        for i in 0..c.checkers() {
            assert!(c.first_probe(i) < SimTime::ZERO + SimDuration::from_secs(10));
        }
        let distinct: std::collections::BTreeSet<_> = (0..15).map(|i| c.first_probe(i)).collect();
        assert_eq!(distinct.len(), 15);
    }

    #[test]
    fn no_answer_counts_at_the_probe_timeout() {
        let mut rng = Seed(4).stream("t");
        let c = HealthCheck::new(spec(10, 3, 15), &mut rng);
        let t = SimTime::ZERO + SimDuration::from_secs(7);
        assert_eq!(c.result_at(t, ProbeOutcome::NoAnswer), t + SimDuration::from_secs(4));
        assert_eq!(c.result_at(t, ProbeOutcome::Fail), t);
    }
}
