//! Route 53's answers: the records of one name, their health, the routing policy with fail-open,
//! and the resolvers that cache answers for the TTL (some for longer).

use sim_core::{Dist, SimDuration, SimTime, Stream};

use super::config::{FailoverRole, Route53Config, RoutingPolicy};
use crate::ids::RegionId;

/// What Route 53 currently knows about its records: health as its checkers last reported it, and
/// record data as the last propagated change left it.
#[derive(Clone, Debug)]
pub struct Route53 {
    config: Route53Config,
    /// By health check.
    check_healthy: Vec<bool>,
    /// By record.
    weights: Vec<u32>,
    present: Vec<bool>,
    /// Load balancers' target health, by Region.
    target_healthy: Vec<bool>,
}

/// One answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Answer {
    pub region: RegionId,
    /// No record was healthy, so Route 53 answered as if all were.
    pub fail_open: bool,
}

impl Route53 {
    pub fn new(config: Route53Config, regions: usize) -> Self {
        Route53 {
            check_healthy: vec![true; config.health_checks.len()],
            weights: config.records.iter().map(|r| r.weight).collect(),
            present: vec![true; config.records.len()],
            target_healthy: vec![true; regions],
            config,
        }
    }

    pub fn config(&self) -> &Route53Config {
        &self.config
    }

    pub fn set_check(&mut self, check: usize, healthy: bool) {
        self.check_healthy[check] = healthy;
    }

    pub fn check_healthy(&self, check: usize) -> bool {
        self.check_healthy[check]
    }

    pub fn set_target_health(&mut self, region: RegionId, healthy: bool) {
        self.target_healthy[region.index()] = healthy;
    }

    /// A record change (weight, or the record withdrawn or restored). Refuses to withdraw the
    /// name's last record.
    pub fn change_record(&mut self, record: usize, weight: Option<u32>, present: Option<bool>) -> Result<(), String> {
        if present == Some(false) && self.present.iter().enumerate().all(|(i, &p)| i == record || !p) {
            return Err("refused: it would withdraw the name's last record".to_string());
        }
        if let Some(w) = weight {
            self.weights[record] = w;
        }
        if let Some(p) = present {
            self.present[record] = p;
        }
        Ok(())
    }

    /// The record for `region`, if the name has one.
    pub fn record_of(&self, region: RegionId) -> Option<usize> {
        self.config.records.iter().position(|r| r.region == region)
    }

    /// Whether Route 53 counts record `i` healthy now.
    pub fn record_healthy(&self, i: usize) -> bool {
        let r = &self.config.records[i];
        self.present[i]
            && r.health_check.is_none_or(|c| self.check_healthy[c])
            && (!r.evaluate_target_health || self.target_healthy[r.region.index()])
    }

    /// The answer to a resolver whose Regions by latency are `by_latency` (nearest first).
    pub fn answer(&self, by_latency: &[RegionId], rng: &mut Stream) -> Answer {
        let present: Vec<usize> = (0..self.config.records.len()).filter(|&i| self.present[i]).collect();
        let healthy: Vec<usize> = present.iter().copied().filter(|&i| self.record_healthy(i)).collect();
        let fail_open = healthy.is_empty();
        let candidates = if fail_open { &present } else { &healthy };
        let region = |i: usize| self.config.records[i].region;
        let chosen = match self.config.policy {
            RoutingPolicy::Latency => {
                *by_latency.iter().find_map(|r| candidates.iter().find(|&&i| region(i) == *r)).unwrap_or(&candidates[0])
            }
            RoutingPolicy::Weighted => {
                let total: u64 = candidates.iter().map(|&i| u64::from(self.weights[i])).sum();
                if total == 0 {
                    candidates[rng.below(candidates.len() as u64) as usize]
                } else {
                    let mut draw = rng.below(total);
                    *candidates
                        .iter()
                        .find(|&&i| {
                            let w = u64::from(self.weights[i]);
                            if draw < w {
                                true
                            } else {
                                draw -= w;
                                false
                            }
                        })
                        .expect("the draw is below the total")
                }
            }
            RoutingPolicy::Failover => {
                let role = |want: FailoverRole| {
                    (0..self.config.records.len())
                        .find(|&i| self.present[i] && self.config.records[i].failover == Some(want))
                };
                let primary = role(FailoverRole::Primary);
                let secondary = role(FailoverRole::Secondary);
                match (primary, secondary) {
                    (Some(p), _) if self.record_healthy(p) => p,
                    (_, Some(s)) if self.record_healthy(s) => s,
                    (Some(p), _) => p,
                    (None, Some(s)) => s,
                    (None, None) => candidates[0],
                }
            }
        };
        // A failover pair answers its primary when both are unhealthy: that is the policy, not
        // fail-open across the name.
        Answer { region: region(chosen), fail_open }
    }
}

/// One recursive resolver's cache of the name.
#[derive(Clone, Debug)]
struct Resolver {
    answer: Option<RegionId>,
    expires: SimTime,
    /// Holds answers longer than the TTL.
    violator: bool,
}

/// The resolvers of a population.
#[derive(Clone, Debug)]
pub struct ResolverPool {
    resolvers: Vec<Resolver>,
    hold: Dist,
}

impl ResolverPool {
    /// `violator_share` of the resolvers (drawn one by one from `rng`) hold answers for a draw
    /// of `hold` (at least the TTL).
    pub fn new(count: u32, violator_share: f64, hold: Dist, rng: &mut Stream) -> Self {
        let resolvers = (0..count)
            .map(|_| Resolver { answer: None, expires: SimTime::ZERO, violator: rng.chance(violator_share) })
            .collect();
        ResolverPool { resolvers, hold }
    }

    pub fn len(&self) -> usize {
        self.resolvers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.resolvers.is_empty()
    }

    /// Resolver `index` answers at `now`: from its cache while it holds, else by asking
    /// `authority` and caching the answer (the first time, for the life a copy has left in steady
    /// state). Returns the answer and when the resolver's copy expires (what a client cache may
    /// keep it against).
    pub fn lookup(
        &mut self,
        now: SimTime,
        index: usize,
        ttl: SimDuration,
        authority: impl FnOnce() -> RegionId,
        rng: &mut Stream,
    ) -> (RegionId, SimTime, bool) {
        let r = &mut self.resolvers[index];
        if let Some(answer) = r.answer
            && now < r.expires
        {
            return (answer, r.expires, false);
        }
        let first = r.answer.is_none();
        let answer = authority();
        let hold = match (first, r.violator) {
            // The resolver was already serving the name before the run began: its copy has the
            // life left that a copy has at a random moment of a long run (below).
            (true, violator) => stationary_residual(&self.hold, ttl, violator, rng),
            (false, true) => self.hold.sample_duration(rng).max(ttl),
            (false, false) => ttl,
        };
        r.answer = Some(answer);
        r.expires = now + hold;
        (answer, r.expires, true)
    }
}

/// The life a resolver's copy has left at a random moment of steady state: the residual of the
/// renewal process of its holds, P(residual > x) = E[(hold - x)+] / E[hold] (length-biased: a
/// random moment falls in a long hold more often than in a short one). A copy that kept a
/// uniform part of one fresh hold instead would make the stale tail grow over the first hours
/// of a run, so that a change 5 minutes in and one 3 hours in would see different shares.
///
/// A TTL is one constant hold, whose residual is uniform. For a violator, the holds are
/// renewed from [`WARM_UP_HOLDS`] mean holds before the run: for any distribution, the residual
/// at the end of such a span is the stationary one to within what no run can tell apart (a
/// test holds the stale share to its closed form whatever the time of the change). A hold
/// with no finite mean has no steady state; its warm-up is [`WARM_UP_WITHOUT_MEAN`].
fn stationary_residual(hold: &Dist, ttl: SimDuration, violator: bool, rng: &mut Stream) -> SimDuration {
    if !violator {
        return SimDuration::from_nanos_f64(ttl.as_nanos() as f64 * rng.next_f64());
    }
    let mean = hold.mean().filter(|m| m.is_finite()).map(|m| m.max(ttl.as_nanos() as f64));
    let span = mean.map_or(WARM_UP_WITHOUT_MEAN.as_nanos() as f64, |m| m * WARM_UP_HOLDS);
    let mut elapsed = 0.0;
    for _ in 0..WARM_UP_MAX_DRAWS {
        let draw = hold.sample_duration(rng).max(ttl).as_nanos() as f64;
        if elapsed + draw > span {
            return SimDuration::from_nanos_f64(elapsed + draw - span);
        }
        elapsed += draw;
    }
    // Holds far below their mean for thousands of draws: the copy is taken as just renewed.
    hold.sample_duration(rng).max(ttl)
}

/// Mean holds a violating resolver's cache is renewed over before the run begins.
const WARM_UP_HOLDS: f64 = 64.0;
/// The warm-up of a hold distribution with no finite mean: a resolver serving the name for a month.
const WARM_UP_WITHOUT_MEAN: SimDuration = SimDuration::from_secs(30 * 86_400);
/// A bound on the warm-up's draws, whatever the distribution (its expectation is about
/// `WARM_UP_HOLDS`).
const WARM_UP_MAX_DRAWS: usize = 10_000;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::config::RecordConfig;
    use sim_core::{Seed, SimDuration};

    fn r(i: usize) -> RegionId {
        RegionId::new(i)
    }

    fn record(region: usize) -> RecordConfig {
        RecordConfig {
            region: r(region),
            weight: 1,
            failover: None,
            health_check: Some(region),
            evaluate_target_health: false,
        }
    }

    fn zone(policy: RoutingPolicy, records: Vec<RecordConfig>) -> Route53 {
        let n = records.len();
        let config = Route53Config {
            ttl: SimDuration::from_secs(60),
            policy,
            records,
            health_checks: vec![],
            control_plane_region: None,
            change_propagation: SimDuration::ZERO,
        };
        let mut z = Route53::new(config, n);
        z.check_healthy = vec![true; n];
        z
    }

    /// The share of busy resolvers (each asks again the moment its copy expires) that still hold
    /// the answer from before a change `after` it: the copy that covers the change expires later.
    fn stale_share(pool_seed: u64, change: SimDuration, after: SimDuration, ttl: SimDuration) -> f64 {
        let n = 20_000;
        let mut rng = Seed(pool_seed).stream("pool");
        let hold = crate::routing::config::default_violator_hold();
        let mut pool = ResolverPool::new(n, 1.0, hold, &mut rng);
        let change = SimTime::at(change);
        let mut stale = 0;
        for i in 0..n as usize {
            let mut t = SimTime::ZERO;
            loop {
                let (_, expires, _) = pool.lookup(t, i, ttl, || r(0), &mut rng);
                if expires > change {
                    stale += usize::from(expires > change + after);
                    break;
                }
                t = expires;
            }
        }
        stale as f64 / n as f64
    }

    /// P(residual > x) = E[(M - x)+] / E[M] for M = max(H, ttl), H log-normal (mu, sigma), x >= ttl:
    /// the closed form of the stale share of violating resolvers in steady state.
    fn residual_tail(median_s: f64, sigma: f64, ttl_s: f64, x_s: f64) -> f64 {
        let phi = |z: f64| 0.5 * (1.0 + libm::erf(z / std::f64::consts::SQRT_2));
        let mu = median_s.ln();
        let mean_h = (mu + sigma * sigma / 2.0).exp();
        let z = (ttl_s.ln() - mu) / sigma;
        let mean_m = mean_h + ttl_s * phi(z) - mean_h * phi(z - sigma);
        let tail = mean_h * phi((mu + sigma * sigma - x_s.ln()) / sigma) - x_s * phi((mu - x_s.ln()) / sigma);
        tail / mean_m
    }

    /// Caches start in steady state: the share still stale 15 minutes after a change is the
    /// closed form whether the change comes 5 minutes, an hour or 3 hours into the run (a copy
    /// that kept a uniform part of one fresh hold gave 0.55 of it at 5 minutes, 0.97 at 3 hours),
    /// and with the 8.74% share of violators it is the 2% Flavel et al. measured for a 20 s TTL.
    /// 20 000 resolvers: one standard error is 0.003; the tolerance is five.
    /// An honest resolver's copy has a uniform part of its TTL left; a violator's hold with no
    /// finite mean still gives a finite residual (a month's warm-up), at least the TTL's scale.
    #[test]
    fn residuals_of_honest_and_heavy_tailed_holds() {
        let mut rng = Seed(4).stream("residual");
        let ttl = SimDuration::from_secs(20);
        let exp = Dist::exponential(60e9).unwrap();
        for _ in 0..1000 {
            assert!(stationary_residual(&exp, ttl, false, &mut rng) < ttl, "honest: within its TTL");
        }
        let heavy = Dist::pareto(30e9, 0.5).unwrap();
        assert_eq!(heavy.mean(), None);
        let residuals: Vec<SimDuration> = (0..200).map(|_| stationary_residual(&heavy, ttl, true, &mut rng)).collect();
        assert!(residuals.iter().all(|r| *r > SimDuration::ZERO));
        assert!(residuals.iter().any(|r| *r > SimDuration::from_secs(3600)), "a heavy tail holds for hours");
    }

    #[test]
    fn resolver_caches_start_in_steady_state() {
        let (ttl, after) = (SimDuration::from_secs(20), SimDuration::from_mins(15));
        let expected = residual_tail(74.0, 1.48, 20.0, 900.0);
        assert!((0.0874 * expected - 0.020).abs() < 0.0005, "calibrated to 2%: {}", 0.0874 * expected);
        for (seed, change) in
            [(1, SimDuration::from_mins(5)), (2, SimDuration::from_mins(60)), (3, SimDuration::from_mins(180))]
        {
            let share = stale_share(seed, change, after, ttl);
            assert!((share - expected).abs() < 0.015, "a change at {change}: {share} stale, expected {expected}");
        }
    }

    #[test]
    fn latency_picks_the_nearest_healthy_record_and_fails_open() {
        let mut rng = Seed(1).stream("t");
        let mut z = zone(RoutingPolicy::Latency, vec![record(0), record(1), record(2)]);
        let near = [r(1), r(2), r(0)];
        assert_eq!(z.answer(&near, &mut rng), Answer { region: r(1), fail_open: false });
        z.set_check(1, false);
        assert_eq!(z.answer(&near, &mut rng), Answer { region: r(2), fail_open: false });
        z.set_check(2, false);
        z.set_check(0, false);
        // Every record unhealthy: all are treated as healthy, so the nearest again.
        assert_eq!(z.answer(&near, &mut rng), Answer { region: r(1), fail_open: true });
    }

    #[test]
    fn weighted_leaves_unhealthy_records_out_and_uses_weight_zero_only_as_a_last_resort() {
        let mut rng = Seed(2).stream("t");
        let mut records = vec![record(0), record(1), record(2)];
        records[0].weight = 3;
        records[1].weight = 1;
        records[2].weight = 0;
        let mut z = zone(RoutingPolicy::Weighted, records);
        let mut counts = [0u32; 3];
        for _ in 0..40_000 {
            counts[z.answer(&[], &mut rng).region.index()] += 1;
        }
        assert_eq!(counts[2], 0);
        let share = f64::from(counts[0]) / 40_000.0;
        assert!((share - 0.75).abs() < 0.01, "{share}");
        z.set_check(0, false);
        z.set_check(1, false);
        // Only the weight-0 record is healthy: it answers.
        assert_eq!(z.answer(&[], &mut rng), Answer { region: r(2), fail_open: false });
        z.set_check(2, false);
        let mut counts = [0u32; 3];
        for _ in 0..40_000 {
            let a = z.answer(&[], &mut rng);
            assert!(a.fail_open);
            counts[a.region.index()] += 1;
        }
        assert_eq!(counts[2], 0, "fail-open keeps the weights");
        assert!((f64::from(counts[0]) / 40_000.0 - 0.75).abs() < 0.01);
    }

    #[test]
    fn failover_returns_the_primary_when_both_are_unhealthy() {
        let mut rng = Seed(3).stream("t");
        let mut records = vec![record(0), record(1)];
        records[0].failover = Some(FailoverRole::Primary);
        records[1].failover = Some(FailoverRole::Secondary);
        let mut z = zone(RoutingPolicy::Failover, records);
        assert_eq!(z.answer(&[], &mut rng).region, r(0));
        z.set_check(0, false);
        assert_eq!(z.answer(&[], &mut rng).region, r(1));
        z.set_check(1, false);
        assert_eq!(z.answer(&[], &mut rng).region, r(0));
        z.set_check(0, true);
        z.set_check(1, true);
        z.set_target_health(r(0), false);
        assert_eq!(z.answer(&[], &mut rng).region, r(0), "target health is evaluated only when asked for");
    }

    #[test]
    fn evaluate_target_health_takes_the_load_balancer_into_account() {
        let mut rng = Seed(4).stream("t");
        let mut records = vec![record(0), record(1)];
        records[0].health_check = None;
        records[0].evaluate_target_health = true;
        let mut z = zone(RoutingPolicy::Latency, records);
        z.set_target_health(r(0), false);
        assert_eq!(z.answer(&[r(0), r(1)], &mut rng).region, r(1));
    }

    #[test]
    fn the_last_record_cannot_be_withdrawn() {
        let mut z = zone(RoutingPolicy::Latency, vec![record(0), record(1)]);
        assert!(z.change_record(0, None, Some(false)).is_ok());
        assert!(z.change_record(1, None, Some(false)).is_err());
        let mut rng = Seed(5).stream("t");
        assert_eq!(z.answer(&[r(0), r(1)], &mut rng).region, r(1));
    }

    /// reference/oracles.md section 4: with every cache honouring the TTL and always populated,
    /// the share still answering the old record t after the change is max(0, 1 - t/TTL), the mean
    /// switch time TTL/2, and everyone has switched by TTL.
    #[test]
    fn oracle_4_dns_answers_after_a_withdrawal() {
        let ttl = SimDuration::from_secs(60);
        let mut rng = Seed(6).stream("t");
        let mut pool = ResolverPool::new(4_000, 0.0, Dist::constant(0.0).unwrap(), &mut rng);
        let (old, new) = (r(0), r(1));
        // Every resolver queried often enough to stay populated: warm them up with staggered
        // first fetches over one TTL, then keep querying every 100 ms.
        let step = SimDuration::from_millis(100);
        let change = SimTime::ZERO + SimDuration::from_secs(600);
        let mut switched_at: Vec<Option<SimTime>> = vec![None; pool.len()];
        let offsets: Vec<SimDuration> =
            (0..pool.len()).map(|_| SimDuration::from_nanos_f64(ttl.as_nanos() as f64 * rng.next_f64())).collect();
        let start = SimTime::ZERO + SimDuration::from_secs(480);
        let mut t = start;
        while t < change + ttl + SimDuration::from_secs(5) {
            for (i, offset) in offsets.iter().enumerate() {
                if t < start + *offset {
                    continue;
                }
                let authority = if t >= change { new } else { old };
                let (answer, _, _) = pool.lookup(t, i, ttl, || authority, &mut rng);
                if answer == new && switched_at[i].is_none() {
                    switched_at[i] = Some(t);
                }
            }
            t += step;
        }
        let waits: Vec<f64> = switched_at.iter().map(|s| (s.unwrap() - change).as_secs_f64()).collect();
        let mean = waits.iter().sum::<f64>() / waits.len() as f64;
        // Mean TTL/2 = 30 s; the standard error of a uniform(0, 60) mean over 4 000 is 0.27 s.
        assert!((mean - 30.0).abs() < 1.1, "mean switch time {mean}");
        assert!(waits.iter().all(|&w| w <= 60.0 + 0.1), "everyone switched by the TTL");
        for frac in [0.1, 0.25, 0.5, 0.75, 0.9] {
            let t = 60.0 * frac;
            let still_old = waits.iter().filter(|&&w| w > t).count() as f64 / waits.len() as f64;
            let expected = 1.0 - frac;
            assert!((still_old - expected).abs() < 0.035, "at {t} s: {still_old} vs {expected}");
        }
    }

    #[test]
    fn violating_resolvers_hold_answers_past_the_ttl() {
        let ttl = SimDuration::from_secs(20);
        let mut rng = Seed(7).stream("t");
        let hold = Dist::constant(900e9).unwrap();
        let mut pool = ResolverPool::new(10_000, 0.1, hold, &mut rng);
        let mut long = 0;
        let later = SimTime::ZERO + SimDuration::from_secs(1000);
        for i in 0..pool.len() {
            // The first copy has part of its life left; the next is fetched for a whole hold.
            let (_, first, fetched) = pool.lookup(SimTime::ZERO, i, ttl, || r(0), &mut rng);
            assert!(fetched && first <= SimTime::ZERO + SimDuration::from_secs(900));
            let (_, expires, fetched) = pool.lookup(later, i, ttl, || r(0), &mut rng);
            assert!(fetched);
            if expires == later + SimDuration::from_secs(900) {
                long += 1;
            } else {
                assert_eq!(expires, later + ttl);
            }
        }
        assert!((900..1100).contains(&long), "{long} of 10 000 violators, 10% expected");
    }
}
