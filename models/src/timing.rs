//! Failover timing of a fault, from what a run recorded (DESIGN.md, "What is measured"):
//! detection (fault start to the routing tier counting the struck Region unhealthy), routing
//! convergence (until 99% of new requests land elsewhere, and stay so while the fault lasts),
//! recovery (heal to the Region counted healthy again), the error rate of attempts during the
//! transition, and client-visible outages (per user, first failure to next success). Requests count
//! where they were served: a read CloudFront's origin group moved to its secondary counts there.
//!
//! Convergence and the transition's error rate are read from the per-interval series, so their
//! resolution is the metrics interval.

use std::collections::BTreeMap;

use sim_core::{Histogram, SimDuration, SimTime};

use crate::ids::RegionId;
use crate::report::{FaultWindow, Recorder};

/// The share of new requests that may still reach the struck Region once routing has converged.
pub const CONVERGED_SHARE: f64 = 0.01;

#[derive(Clone, Debug, PartialEq)]
pub struct FailoverTiming {
    /// The Region the fault struck, where routing should move away from.
    pub region: Option<RegionId>,
    pub detection: Option<SimDuration>,
    /// `None`: new requests kept reaching the struck Region while the fault lasted.
    pub routing_convergence: Option<SimDuration>,
    /// From the heal to the routing tier counting the Region healthy again.
    pub recovery: Option<SimDuration>,
    /// Attempts sent, and attempts failed, from the fault's start to convergence (or its end).
    pub transition_requests: u64,
    pub transition_failed: u64,
    /// Client-visible outages that began while the fault was active.
    pub client_outage: Histogram,
    pub clients_unrecovered: u64,
    /// The same per population (by index), for the populations with an outage that began while
    /// the fault was active: users behind different routes (DNS, an overloaded Region, an
    /// accelerator) see different outages, which the pooled figures mix.
    pub by_population: BTreeMap<u16, PopulationOutage>,
}

/// One population's client-visible outages over a fault.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PopulationOutage {
    pub outage: Histogram,
    pub unrecovered: u64,
}

impl FailoverTiming {
    pub fn transition_error_rate(&self) -> f64 {
        if self.transition_requests == 0 {
            0.0
        } else {
            self.transition_failed as f64 / self.transition_requests as f64
        }
    }
}

/// The failover timing of the fault active over `window`, which struck `region` (if a Region);
/// `phase_end` ends a fault that never healed.
pub fn failover_timing(
    rec: &Recorder,
    window: &FaultWindow,
    region: Option<RegionId>,
    phase_end: SimTime,
) -> FailoverTiming {
    let start = window.started;
    let end = window.healed.unwrap_or(phase_end).max(start);
    let health_after = |from: SimTime, healthy: bool| {
        region.and_then(|r| {
            rec.region_health.iter().find(|&&(t, rr, h)| t >= from && rr == r && h == healthy).map(|&(t, _, _)| t)
        })
    };
    let detection = health_after(start, false).filter(|&t| t <= end).map(|t| t - start);
    let recovery = window.healed.and_then(|healed| {
        // Only when the routing tier had counted it unhealthy and then healthy again.
        let unhealthy_at_heal = region.is_some_and(|r| {
            rec.region_health.iter().rev().find(|&&(t, rr, _)| rr == r && t <= healed).is_some_and(|&(_, _, h)| !h)
        });
        if unhealthy_at_heal { health_after(healed, true).map(|t| t - healed) } else { None }
    });
    let w = rec.interval.as_nanos().max(1);
    let first = (start.as_nanos() / w) as usize;
    let last = end.as_nanos().div_ceil(w) as usize;
    let bucket = |series: &sim_core::CounterSeries, j: usize| series.get(j).unwrap_or(0);
    // Requests where they were served: one CloudFront moved to its secondary origin counts there
    // only, not also at the primary it was sent to first.
    let served = |s: &crate::report::RegionSeries, j: usize| bucket(&s.requests, j) - bucket(&s.moved_away, j);
    let total = |j: usize| rec.regions.iter().map(|s| served(s, j)).sum::<u64>();
    let converged_from = region.and_then(|r| {
        let struck = |j: usize| served(&rec.regions[r.index()], j);
        let ok = |j: usize| struck(j) as f64 <= CONVERGED_SHARE * total(j) as f64;
        // The first interval from which every interval up to the fault's end is converged.
        let mut from = None;
        for j in (first..last).rev() {
            if ok(j) {
                from = Some(j);
            } else {
                break;
            }
        }
        from
    });
    let routing_convergence =
        converged_from.map(|j| SimDuration::from_nanos((j as u64 * w).saturating_sub(start.as_nanos())));
    let transition_end = converged_from.unwrap_or(last).max(first + 1);
    let transition_requests = (first..transition_end).map(total).sum();
    let transition_failed =
        (first..transition_end).map(|j| rec.regions.iter().map(|s| bucket(&s.failed, j)).sum::<u64>()).sum();
    let during = |began: SimTime| began >= start && began < end;
    let mut client_outage = Histogram::new();
    let mut by_population: BTreeMap<u16, PopulationOutage> = BTreeMap::new();
    for &(population, _, length) in rec.client_outages.iter().filter(|o| during(o.1)) {
        client_outage.record(length.as_nanos());
        by_population.entry(population).or_default().outage.record(length.as_nanos());
    }
    let mut clients_unrecovered = 0;
    for &(population, _) in rec.client_outages_unrecovered.iter().filter(|o| during(o.1)) {
        clients_unrecovered += 1;
        by_population.entry(population).or_default().unrecovered += 1;
    }
    FailoverTiming {
        region,
        detection,
        routing_convergence,
        recovery,
        transition_requests,
        transition_failed,
        client_outage,
        clients_unrecovered,
        by_population,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::WorldConfig;
    use crate::topology::{LinkLatency, Topology};
    use sim_core::Dist;

    const EAST: RegionId = RegionId::from_raw(0);
    const WEST: RegionId = RegionId::from_raw(1);

    fn t(ms: u64) -> SimTime {
        SimTime::at(SimDuration::from_millis(ms))
    }

    fn recorder() -> Recorder {
        let link = LinkLatency { base: SimDuration::ZERO, extra: Dist::Constant(0.0) };
        Recorder::new(&WorldConfig {
            topology: Topology::new(vec!["us-east-1".into(), "us-west-2".into()], vec![vec![link; 2]; 2]),
            duration: SimDuration::from_secs(30),
            drain_max: SimDuration::from_secs(1),
            max_events: 1000,
            metrics_interval: SimDuration::from_secs(1),
            stores: vec![],
            app_tiers: vec![None, None],
            populations: vec![],
            actions: vec![],
            faults: vec![],
            fault_generators: vec![],
            list_conflicts: false,
            routing: Default::default(),
            alarms: vec![],
        })
    }

    /// A fault on EAST from 10 s to 20 s, traced by hand:
    /// - sent: 1 to EAST at 9.5 s; 4 to EAST at 10.5 s; 2 to EAST and 2 to WEST at 11.5 s; 1 to
    ///   WEST each second from 12.5 s to 19.5 s. Failed: 4 attempts at 11.5 s.
    ///   Interval 11 still sends half to EAST, every interval from 12 on none: converged 2 s after
    ///   the start; the transition (intervals 10 and 11) sent 8 attempts and failed 4.
    /// - the routing tier counts EAST unhealthy at 10.5 s and healthy again at 23 s: detection
    ///   0.5 s, recovery 3 s after the heal.
    /// - users: A fails from 10.2 s and succeeds at 15 s (an outage of 4.8 s, in the fault); B
    ///   fails from 5 s and succeeds at 12 s (began before the fault: not its outage); C fails
    ///   from 12 s and never succeeds (unrecovered); D fails from 25 s (after the fault); a user of
    ///   a second population fails from 13 s and succeeds at 14 s.
    #[test]
    fn a_hand_traced_failover() {
        let mut r = recorder();
        r.fault_started(t(10_000), 0);
        r.fault_healed(t(20_000), 0);
        let send = |r: &mut Recorder, ms, region, n| (0..n).for_each(|_| r.request_sent(t(ms), region));
        send(&mut r, 9_500, EAST, 1);
        send(&mut r, 10_500, EAST, 4);
        send(&mut r, 11_500, EAST, 2);
        send(&mut r, 11_500, WEST, 2);
        for s in 12..20 {
            send(&mut r, s * 1000 + 500, WEST, 1);
        }
        (0..4).for_each(|_| r.request_failed(t(11_500), EAST));
        r.region_health(t(10_500), EAST, false);
        r.region_health(t(23_000), EAST, true);
        r.client_outcome(t(10_400), (0, 1), t(10_200), false);
        r.client_outcome(t(15_000), (0, 1), t(14_900), true);
        r.client_outcome(t(5_100), (0, 2), t(5_000), false);
        r.client_outcome(t(12_000), (0, 2), t(11_900), true);
        r.client_outcome(t(12_100), (0, 3), t(12_000), false);
        r.client_outcome(t(25_100), (0, 4), t(25_000), false);
        r.client_outcome(t(13_100), (1, 1), t(13_000), false);
        r.client_outcome(t(14_000), (1, 1), t(13_900), true);
        r.finish(t(30_000), &[], &[]);
        let window = r.faults[0];
        let f = failover_timing(&r, &window, Some(EAST), t(30_000));
        assert_eq!(f.detection, Some(SimDuration::from_millis(500)));
        assert_eq!(f.routing_convergence, Some(SimDuration::from_secs(2)));
        assert_eq!(f.recovery, Some(SimDuration::from_secs(3)));
        assert_eq!((f.transition_requests, f.transition_failed), (8, 4));
        assert_eq!(f.transition_error_rate(), 0.5);
        assert_eq!(f.client_outage.count(), 2);
        let outage = f.client_outage.max().unwrap() as f64;
        assert!((outage / 4.8e9 - 1.0).abs() < 1.0 / 256.0, "{outage}");
        assert_eq!(f.clients_unrecovered, 1);
        // By population: A (4.8 s) and C (unrecovered) in the first; the second's user fails from
        // 13 s and succeeds at 14 s, an outage of 1 s.
        let first = &f.by_population[&0];
        assert_eq!((first.outage.count(), first.unrecovered), (1, 1));
        assert!((first.outage.max().unwrap() as f64 / 4.8e9 - 1.0).abs() < 1.0 / 256.0);
        let second = &f.by_population[&1];
        assert_eq!((second.outage.count(), second.unrecovered), (1, 0));
        assert!((second.outage.max().unwrap() as f64 / 1e9 - 1.0).abs() < 1.0 / 256.0);
        assert_eq!(f.by_population.len(), 2, "populations with no outage in the fault are not listed");
    }

    /// CloudFront reads: from the fault on, each read sent to the dark primary EAST is moved to
    /// WEST by the origin group 3 s later and served there. Counted where served, EAST serves
    /// nothing from the fault's first interval: converged at once. Counted where sent, EAST would
    /// keep half the requests of every interval and never converge.
    #[test]
    fn reads_moved_by_cloudfront_count_where_they_are_served() {
        let mut r = recorder();
        r.fault_started(t(10_000), 0);
        r.fault_healed(t(20_000), 0);
        for s in 5..10 {
            (0..4).for_each(|_| r.request_sent(t(s * 1000 + 100), EAST));
        }
        for s in 10..20 {
            for _ in 0..4 {
                r.request_sent(t(s * 1000 + 100), EAST);
                r.origin_failover(t(s * 1000 + 3_100), EAST, WEST, t(s * 1000 + 100));
            }
        }
        r.finish(t(30_000), &[], &[]);
        let window = r.faults[0];
        let f = failover_timing(&r, &window, Some(EAST), t(30_000));
        assert_eq!(f.routing_convergence, Some(SimDuration::ZERO));
        assert_eq!(r.regions[0].requests.get(12), Some(4), "the series still shows where requests were sent");
    }

    /// Without a Region (a partition), nothing is detected or converged; an unhealed fault whose
    /// struck Region keeps getting traffic never converges.
    #[test]
    fn no_region_or_no_move_means_none() {
        let mut r = recorder();
        r.fault_started(t(10_000), 0);
        for s in 10..30 {
            r.request_sent(t(s * 1000), EAST);
        }
        r.finish(t(30_000), &[], &[]);
        let window = r.faults[0];
        let f = failover_timing(&r, &window, None, t(30_000));
        assert_eq!((f.detection, f.routing_convergence, f.recovery), (None, None, None));
        let f = failover_timing(&r, &window, Some(EAST), t(30_000));
        assert_eq!((f.detection, f.routing_convergence), (None, None));
        assert_eq!(f.transition_requests, 20);
    }
}
