//! Global Accelerator's routing at the edge: per new connection, the closest endpoint group takes
//! its traffic dial's share and spills the rest to the next; a group without a healthy endpoint
//! fails over to the next-closest healthy group whatever its dial; with no healthy endpoint in
//! the three closest groups, a random endpoint of the closest group (fail-open). A group that
//! turns healthy again takes new traffic only after the recovery delay.

use sim_core::{SimTime, Stream};

use super::config::AcceleratorConfig;
use crate::ids::RegionId;

#[derive(Clone, Debug)]
struct Group {
    region: RegionId,
    dial: f64,
    healthy: bool,
    /// Normal routing to the group resumes at this time after it turned healthy.
    eligible_from: SimTime,
    has_weight: bool,
}

/// Where a new connection goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    pub region: RegionId,
    /// Routed away from a closer group that had no healthy endpoint.
    pub failover: bool,
    pub fail_open: bool,
}

#[derive(Clone, Debug)]
pub struct Accelerator {
    config: AcceleratorConfig,
    groups: Vec<Group>,
}

impl Accelerator {
    pub fn new(config: AcceleratorConfig) -> Self {
        let groups = config
            .endpoint_groups
            .iter()
            .map(|g| Group {
                region: g.region,
                dial: g.traffic_dial_percentage,
                healthy: true,
                eligible_from: SimTime::ZERO,
                has_weight: g.endpoint_weights.iter().any(|&w| w > 0),
            })
            .collect();
        Accelerator { config, groups }
    }

    pub fn config(&self) -> &AcceleratorConfig {
        &self.config
    }

    /// The group of `region`, if the accelerator has one.
    pub fn group_of(&self, region: RegionId) -> Option<usize> {
        self.groups.iter().position(|g| g.region == region)
    }

    pub fn set_health(&mut self, now: SimTime, group: usize, healthy: bool) {
        let g = &mut self.groups[group];
        if healthy && !g.healthy {
            g.eligible_from = now + self.config.recovery_delay;
        }
        g.healthy = healthy;
    }

    pub fn set_dial(&mut self, group: usize, percentage: f64) {
        self.groups[group].dial = percentage;
    }

    /// Group `g` takes new connections now: healthy, with a weighted endpoint, past recovery.
    pub fn usable(&self, now: SimTime, g: usize) -> bool {
        let g = &self.groups[g];
        g.healthy && g.has_weight && now >= g.eligible_from
    }

    /// Routes a new connection from clients whose groups by latency are `by_latency` (indices
    /// into the endpoint groups, nearest first).
    pub fn route(&self, now: SimTime, by_latency: &[usize], rng: &mut Stream) -> Decision {
        let closest = by_latency[0];
        if !by_latency.iter().take(3).any(|&g| self.groups[g].healthy && self.groups[g].has_weight) {
            return Decision { region: self.groups[closest].region, failover: false, fail_open: true };
        }
        let mut failover = false;
        for &g in by_latency {
            if !self.usable(now, g) {
                failover = true;
                continue;
            }
            // Traffic that failed over ignores the dial; traffic a closer dial spilled meets this
            // group's own dial.
            if failover || rng.chance(self.groups[g].dial / 100.0) {
                return Decision { region: self.groups[g].region, failover, fail_open: false };
            }
        }
        // Every usable group's dial turned the connection away: the closest usable group takes it.
        let g = by_latency.iter().copied().find(|&g| self.usable(now, g));
        match g {
            Some(g) => Decision { region: self.groups[g].region, failover, fail_open: false },
            // Healthy groups exist among the three closest but are still recovering.
            None => Decision { region: self.groups[closest].region, failover: false, fail_open: true },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::config::{ClientAffinity, EndpointGroupConfig};
    use sim_core::{Seed, SimDuration};

    fn group(region: usize, dial: f64) -> EndpointGroupConfig {
        EndpointGroupConfig {
            region: RegionId::new(region),
            traffic_dial_percentage: dial,
            health_check_interval_seconds: 10,
            threshold_count: 3,
            endpoint_weights: vec![128],
            load_balancer_endpoints: false,
        }
    }

    fn accelerator(groups: Vec<EndpointGroupConfig>) -> Accelerator {
        Accelerator::new(AcceleratorConfig {
            endpoint_groups: groups,
            client_affinity: ClientAffinity::FiveTuple,
            idle_timeout: SimDuration::from_secs(350),
            recovery_delay: SimDuration::from_secs(30),
            control_plane_region: None,
        })
    }

    fn share(a: &Accelerator, now: SimTime, order: &[usize], region: usize) -> f64 {
        let mut rng = Seed(9).stream("t");
        let hits = (0..20_000).filter(|_| a.route(now, order, &mut rng).region == RegionId::new(region)).count();
        hits as f64 / 20_000.0
    }

    #[test]
    fn a_dial_spills_its_share_to_the_next_group() {
        let a = accelerator(vec![group(0, 25.0), group(1, 100.0), group(2, 100.0)]);
        let s = share(&a, SimTime::ZERO, &[0, 1, 2], 0);
        assert!((s - 0.25).abs() < 0.01, "{s}");
        assert!((share(&a, SimTime::ZERO, &[0, 1, 2], 1) - 0.75).abs() < 0.01);
    }

    #[test]
    fn failover_ignores_the_dial_of_the_group_it_lands_on() {
        let mut a = accelerator(vec![group(0, 100.0), group(1, 10.0), group(2, 100.0)]);
        a.set_health(SimTime::ZERO, 0, false);
        let now = SimTime::ZERO + SimDuration::from_secs(1);
        assert_eq!(share(&a, now, &[0, 1, 2], 1), 1.0);
        let mut rng = Seed(1).stream("t");
        let d = a.route(now, &[0, 1, 2], &mut rng);
        assert!(d.failover && !d.fail_open);
    }

    #[test]
    fn no_healthy_endpoint_in_the_three_closest_fails_open_to_the_closest() {
        let mut a = accelerator(vec![group(0, 100.0), group(1, 100.0), group(2, 100.0), group(3, 100.0)]);
        for g in 0..3 {
            a.set_health(SimTime::ZERO, g, false);
        }
        let mut rng = Seed(2).stream("t");
        let d = a.route(SimTime::ZERO, &[0, 1, 2, 3], &mut rng);
        assert_eq!(d, Decision { region: RegionId::new(0), failover: false, fail_open: true });
        // With only two of the three closest down, the third takes it.
        a.set_health(SimTime::ZERO, 2, true);
        let later = SimTime::ZERO + SimDuration::from_secs(31);
        assert_eq!(a.route(later, &[0, 1, 2, 3], &mut rng).region, RegionId::new(2));
    }

    #[test]
    fn a_recovered_group_takes_traffic_after_the_recovery_delay() {
        let mut a = accelerator(vec![group(0, 100.0), group(1, 100.0)]);
        let t = |s| SimTime::ZERO + SimDuration::from_secs(s);
        a.set_health(t(0), 0, false);
        a.set_health(t(100), 0, true);
        let mut rng = Seed(3).stream("t");
        assert_eq!(a.route(t(129), &[0, 1], &mut rng).region, RegionId::new(1));
        assert_eq!(a.route(t(130), &[0, 1], &mut rng).region, RegionId::new(0));
    }

    #[test]
    fn weight_zero_endpoints_do_not_count_as_healthy() {
        let mut g0 = group(0, 100.0);
        g0.endpoint_weights = vec![0];
        let a = accelerator(vec![g0, group(1, 100.0)]);
        let mut rng = Seed(4).stream("t");
        assert_eq!(a.route(SimTime::ZERO, &[0, 1], &mut rng).region, RegionId::new(1));
    }
}
