//! Failover timing of a fault, from what a run recorded (DESIGN.md, "What is measured"):
//! detection (fault start to the routing tier counting the struck Region unhealthy), routing
//! convergence (until 99% of new requests land elsewhere, and stay so while the fault lasts),
//! recovery (heal to the Region counted healthy again), the error rate of attempts during the
//! transition, and client-visible outages (per user, first failure to next success).
//!
//! Convergence and the transition's error rate are read from the per-interval series, so their
//! resolution is the metrics interval.

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
    let total = |j: usize| rec.regions.iter().map(|s| bucket(&s.requests, j)).sum::<u64>();
    let converged_from = region.and_then(|r| {
        let struck = |j: usize| bucket(&rec.regions[r.index()].requests, j);
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
    let mut client_outage = Histogram::new();
    for &(began, length) in &rec.client_outages {
        if began >= start && began < end {
            client_outage.record(length.as_nanos());
        }
    }
    let clients_unrecovered = rec.client_outages_unrecovered.iter().filter(|&&t| t >= start && t < end).count() as u64;
    FailoverTiming {
        region,
        detection,
        routing_convergence,
        recovery,
        transition_requests,
        transition_failed,
        client_outage,
        clients_unrecovered,
    }
}
