//! Faults: what can break, and the state of the world's breakage at any moment.
//!
//! Every fault has a start and an end (or is permanent) and is applied by the world as two events,
//! `FaultStarted` and `FaultHealed`, in the same queue as everything else, so a fault schedule is as
//! deterministic as the workload. [`FaultState`] counts the faults in force per target, so
//! overlapping faults of a kind that can nest (two outages of one Region) compose: the target is
//! healthy again only when the last of them heals. Kinds that would contradict each other when they
//! overlap (two clock skews on one Region) are rejected when the scenario is validated.

use sim_core::{Dist, SimDuration, SimTime};

use crate::ids::{RegionId, StoreId};

/// What part of a Region an outage takes down.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutageScope {
    /// Everything: the app tier, every store replica, replication in and out, the health endpoint.
    Region,
    /// The app tier: requests fail at once (the load balancer answers 503) and health checks of the
    /// app tier fail; the stores and replication go on.
    AppTier,
    /// One store's replica in the Region: its requests fail, replication to and from it waits.
    Store(StoreId),
    /// A gray failure: the health endpoint fails while traffic is served normally.
    HealthEndpoint,
    /// The reverse gray failure: requests fail while the health endpoint keeps passing.
    RequestsOnly,
}

/// What a partition does to the messages it cuts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartitionMode {
    /// Messages are lost; the sender learns by timeout and sends again.
    Drop,
    /// Messages wait in the network and are delivered when the partition heals.
    Hold,
}

/// What a health check's probe of a dark Region meets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProbeAnswer {
    /// Nothing answers: each probe fails when it times out (Route 53: 4 s for HTTP and HTTPS,
    /// 10 s for TCP), so detection comes that much after the threshold's last probe.
    #[default]
    TimeOut,
    /// The connection is refused at once (a host or load balancer that answers with a reset or an
    /// error): each probe fails when it is sent.
    Refused,
}

#[derive(Clone, Debug, PartialEq)]
pub enum FaultKind {
    RegionOutage {
        region: RegionId,
        scope: OutageScope,
        /// With scope `Region`: what health check probes of the dark Region meet.
        probes: ProbeAnswer,
    },
    /// Messages from `side_a` to `side_b` are cut, and from `side_b` to `side_a` too unless `one_way`.
    Partition { side_a: Vec<RegionId>, side_b: Vec<RegionId>, one_way: bool, mode: PartitionMode },
    /// Extra latency and a loss rate on the link `from -> to` (and back if `symmetric`). A lost message
    /// joins its link's backlog, resent after the store's retry interval (see `world::replication`).
    DegradedLink { from: RegionId, to: RegionId, symmetric: bool, extra_latency: Dist, loss: f64 },
    /// The Region's clock reads `offset_nanos` plus `drift_ppm` parts per million of the time since the
    /// fault started, away from true time. It stamps the Region's last-writer-wins timestamps.
    ClockSkew { region: RegionId, offset_nanos: i64, drift_ppm: f64 },
    /// Calls that create or change resources in the Region (scale-out, record changes) fail.
    ControlPlaneOutage { region: RegionId },
    /// A store's replication out of `from` (every replica when `None`) stalls, or slows by `slowdown`
    /// (each shipment's delay multiplied) when given.
    ReplicationImpairment { store: StoreId, from: Option<RegionId>, slowdown: Option<f64> },
    /// The Region's health endpoint alternates between failing and passing every `period`, starting
    /// with failing: a hook for the routing tier's health checks.
    HealthCheckFlapping { region: RegionId, period: SimDuration },
}

impl FaultKind {
    /// The name used in scenario files and reports.
    pub fn type_name(&self) -> &'static str {
        match self {
            FaultKind::RegionOutage { .. } => "region_outage",
            FaultKind::Partition { .. } => "partition",
            FaultKind::DegradedLink { .. } => "degraded_link",
            FaultKind::ClockSkew { .. } => "clock_skew",
            FaultKind::ControlPlaneOutage { .. } => "control_plane_outage",
            FaultKind::ReplicationImpairment { .. } => "replication_impairment",
            FaultKind::HealthCheckFlapping { .. } => "health_check_flapping",
        }
    }
}

/// A fault of the schedule.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultConfig {
    pub kind: FaultKind,
    pub start: SimTime,
    /// `None`: permanent. Otherwise the fault heals then, or at the end of the fault phase, whichever
    /// comes first. Only a whole-Region outage may be permanent (the Region never comes back).
    pub end: Option<SimTime>,
}

/// What a message on a link meets.
#[derive(Clone, Debug, PartialEq)]
pub enum LinkVerdict {
    Deliver { extra_latency: Vec<Dist>, loss: f64 },
    Cut(PartitionMode),
}

/// The faults in force.
#[derive(Clone, Debug)]
pub struct FaultState {
    faults: Vec<FaultConfig>,
    /// When each fault started, while it is in force.
    active: Vec<Option<SimTime>>,
    region_down: Vec<u32>,
    /// Of `region_down`: outages whose health check probes are refused at once.
    probes_refused: Vec<u32>,
    app_tier_down: Vec<u32>,
    requests_fail: Vec<u32>,
    health_endpoint_down: Vec<u32>,
    control_plane_down: Vec<u32>,
    /// `store_down[store][region]`.
    store_down: Vec<Vec<u32>>,
}

impl FaultState {
    pub fn new(faults: Vec<FaultConfig>, regions: usize, stores: usize) -> Self {
        let zeros = vec![0; regions];
        FaultState {
            active: vec![None; faults.len()],
            faults,
            region_down: zeros.clone(),
            probes_refused: zeros.clone(),
            app_tier_down: zeros.clone(),
            requests_fail: zeros.clone(),
            health_endpoint_down: zeros.clone(),
            control_plane_down: zeros.clone(),
            store_down: vec![zeros; stores],
        }
    }

    pub fn fault(&self, index: usize) -> &FaultConfig {
        &self.faults[index]
    }
    pub fn faults(&self) -> &[FaultConfig] {
        &self.faults
    }

    fn counter(&mut self, index: usize) -> Option<&mut u32> {
        let kind = &self.faults[index].kind;
        match kind {
            FaultKind::RegionOutage { region, scope, .. } => {
                let r = region.index();
                Some(match scope {
                    OutageScope::Region => &mut self.region_down[r],
                    OutageScope::AppTier => &mut self.app_tier_down[r],
                    OutageScope::Store(s) => &mut self.store_down[s.index()][r],
                    OutageScope::HealthEndpoint => &mut self.health_endpoint_down[r],
                    OutageScope::RequestsOnly => &mut self.requests_fail[r],
                })
            }
            FaultKind::ControlPlaneOutage { region } => Some(&mut self.control_plane_down[region.index()]),
            _ => None,
        }
    }

    pub fn start(&mut self, index: usize, now: SimTime) {
        self.active[index] = Some(now);
        if let Some(c) = self.counter(index) {
            *c += 1;
        }
        if let Some(r) = self.refusing(index) {
            self.probes_refused[r] += 1;
        }
    }

    pub fn heal(&mut self, index: usize) {
        if self.active[index].take().is_none() {
            return;
        }
        if let Some(c) = self.counter(index) {
            *c -= 1;
        }
        if let Some(r) = self.refusing(index) {
            self.probes_refused[r] -= 1;
        }
    }

    /// The Region (by index) of a whole-Region outage whose probes are refused.
    fn refusing(&self, index: usize) -> Option<usize> {
        match self.faults[index].kind {
            FaultKind::RegionOutage { region, scope: OutageScope::Region, probes: ProbeAnswer::Refused } => {
                Some(region.index())
            }
            _ => None,
        }
    }

    pub fn is_active(&self, index: usize) -> bool {
        self.active[index].is_some()
    }

    fn active_kinds(&self) -> impl Iterator<Item = (&FaultKind, SimTime)> {
        self.faults.iter().zip(&self.active).filter_map(|(f, a)| a.map(|since| (&f.kind, since)))
    }

    /// The Region's app tier is out (on its own, not as part of a whole-Region outage).
    pub fn app_tier_down(&self, r: RegionId) -> bool {
        self.app_tier_down[r.index()] > 0
    }

    /// The whole Region is down.
    pub fn region_down(&self, r: RegionId) -> bool {
        self.region_down[r.index()] > 0
    }

    /// The Region is down and a health check's probe of it is refused at once rather than left to
    /// time out.
    pub fn probes_refused(&self, r: RegionId) -> bool {
        self.region_down(r) && self.probes_refused[r.index()] > 0
    }

    /// Why requests sent to `r`'s app tier fail, if they do: `Some(true)` when nothing answers at all
    /// (the Region is dark: the client times out), `Some(false)` when an error answer comes back.
    pub fn request_failure(&self, r: RegionId) -> Option<bool> {
        let i = r.index();
        if self.region_down[i] > 0 {
            Some(true)
        } else if self.app_tier_down[i] > 0 || self.requests_fail[i] > 0 {
            Some(false)
        } else {
            None
        }
    }

    /// The replica of `store` in `r` can serve and replicate.
    pub fn store_up(&self, store: StoreId, r: RegionId) -> bool {
        self.region_down[r.index()] == 0 && self.store_down[store.index()][r.index()] == 0
    }

    /// What `r`'s health endpoint answers at `now` (the routing tier's checks read it).
    pub fn health_endpoint_up(&self, r: RegionId, now: SimTime) -> bool {
        let i = r.index();
        if self.region_down[i] > 0 || self.app_tier_down[i] > 0 || self.health_endpoint_down[i] > 0 {
            return false;
        }
        for (kind, since) in self.active_kinds() {
            if let FaultKind::HealthCheckFlapping { region, period } = kind
                && *region == r
            {
                let phase = now.saturating_since(since).as_nanos() / period.as_nanos().max(1);
                if phase % 2 == 0 {
                    return false;
                }
            }
        }
        true
    }

    pub fn control_plane_up(&self, r: RegionId) -> bool {
        self.control_plane_down[r.index()] == 0 && self.region_down[r.index()] == 0
    }

    /// What a message from `from` to `to` meets now.
    pub fn link(&self, from: RegionId, to: RegionId) -> LinkVerdict {
        let mut extra_latency = Vec::new();
        let mut delivered = 1.0;
        for (kind, _) in self.active_kinds() {
            match kind {
                FaultKind::Partition { side_a, side_b, one_way, mode } => {
                    let a_to_b = side_a.contains(&from) && side_b.contains(&to);
                    let b_to_a = side_b.contains(&from) && side_a.contains(&to);
                    if a_to_b || (b_to_a && !one_way) {
                        return LinkVerdict::Cut(*mode);
                    }
                }
                FaultKind::DegradedLink { from: f, to: t, symmetric, extra_latency: extra, loss }
                    if (*f == from && *t == to) || (*symmetric && *f == to && *t == from) =>
                {
                    extra_latency.push(extra.clone());
                    delivered *= 1.0 - loss;
                }
                _ => {}
            }
        }
        LinkVerdict::Deliver { extra_latency, loss: 1.0 - delivered }
    }

    /// `r`'s clock reading at true time `now`, in nanoseconds (may be negative early in a run).
    pub fn clock_nanos(&self, r: RegionId, now: SimTime) -> i64 {
        let mut reading = now.as_nanos() as i64;
        for (kind, since) in self.active_kinds() {
            if let FaultKind::ClockSkew { region, offset_nanos, drift_ppm } = kind
                && *region == r
            {
                let elapsed = now.saturating_since(since).as_nanos() as f64;
                reading += offset_nanos + (elapsed * drift_ppm / 1e6) as i64;
            }
        }
        reading
    }

    /// How a store's replication out of `from` is impaired: `None` normal, `Some(None)` stalled,
    /// `Some(Some(f))` slowed by the factor `f`.
    pub fn replication_impairment(&self, store: StoreId, from: RegionId) -> Option<Option<f64>> {
        let mut slowdown: Option<Option<f64>> = None;
        for (kind, _) in self.active_kinds() {
            if let FaultKind::ReplicationImpairment { store: s, from: f, slowdown: sd } = kind
                && *s == store
                && f.is_none_or(|f| f == from)
            {
                slowdown = match (slowdown, sd) {
                    (_, None) | (Some(None), _) => Some(None),
                    (None, Some(x)) => Some(Some(*x)),
                    (Some(Some(y)), Some(x)) => Some(Some(x * y)),
                };
            }
        }
        slowdown
    }
}

/// The kind of fault a generator draws, with its parameters.
#[derive(Clone, Debug, PartialEq)]
pub enum GeneratedKind {
    RegionOutage(OutageScope),
    /// The target Region is cut off from every other Region.
    Partition(PartitionMode),
    /// The links between the target Region and every other Region degrade.
    DegradedLink {
        extra_latency: Dist,
        loss: f64,
    },
    /// The target Region's clock is offset by a sampled amount (nanoseconds, may be negative).
    ClockSkew {
        offset: Dist,
    },
    ControlPlaneOutage,
    HealthCheckFlapping {
        period: SimDuration,
    },
}

/// Faults drawn from the seed rather than written out.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultGenerator {
    pub kind: GeneratedKind,
    /// The Regions it may strike; each is a target with its own sequence of faults.
    pub regions: Vec<RegionId>,
    pub rate_per_hour: f64,
    /// How long each fault lasts.
    pub duration: Dist,
}

/// Draws the generated faults of a run. For each generator and target Region, faults follow one
/// another: an exponential gap (mean one hour / rate), a sampled duration, the next gap, and so on
/// until the fault phase ends; so one target's generated faults never overlap. Each target draws
/// from its own stream, so adding a generator or a Region never shifts another's faults.
pub fn generate(
    generators: &[FaultGenerator],
    regions: usize,
    duration: SimDuration,
    seed: sim_core::Seed,
) -> Vec<FaultConfig> {
    let mut faults = Vec::new();
    let end = SimTime::at(duration);
    for (g, generator) in generators.iter().enumerate() {
        for &target in &generator.regions {
            let mut rng = seed.stream(&format!("faults/generator/{g}/{}", target.index()));
            let mut t = SimTime::ZERO;
            loop {
                let gap_secs = -libm::log(rng.next_f64_open0()) * 3600.0 / generator.rate_per_hour;
                t = t.saturating_add(SimDuration::from_secs_f64(gap_secs));
                if t >= end {
                    break;
                }
                let length = generator.duration.sample_duration(&mut rng).max(SimDuration::from_nanos(1));
                let kind = instantiate(&generator.kind, target, regions, &mut rng);
                faults.push(FaultConfig { kind, start: t, end: Some(t.saturating_add(length)) });
                t = t.saturating_add(length);
            }
        }
    }
    faults.sort_by_key(|f| f.start);
    faults
}

fn instantiate(kind: &GeneratedKind, target: RegionId, regions: usize, rng: &mut sim_core::Stream) -> FaultKind {
    let others: Vec<RegionId> = (0..regions).map(RegionId::new).filter(|&r| r != target).collect();
    match kind {
        GeneratedKind::RegionOutage(scope) => {
            FaultKind::RegionOutage { region: target, scope: scope.clone(), probes: ProbeAnswer::TimeOut }
        }
        GeneratedKind::Partition(mode) => {
            FaultKind::Partition { side_a: vec![target], side_b: others, one_way: false, mode: *mode }
        }
        GeneratedKind::DegradedLink { extra_latency, loss } => {
            // One link per fault: the target and one other Region, both directions.
            let to = others[rng.below(others.len() as u64) as usize];
            FaultKind::DegradedLink {
                from: target,
                to,
                symmetric: true,
                extra_latency: extra_latency.clone(),
                loss: *loss,
            }
        }
        GeneratedKind::ClockSkew { offset } => {
            FaultKind::ClockSkew { region: target, offset_nanos: offset.sample(rng) as i64, drift_ppm: 0.0 }
        }
        GeneratedKind::ControlPlaneOutage => FaultKind::ControlPlaneOutage { region: target },
        GeneratedKind::HealthCheckFlapping { period } => {
            FaultKind::HealthCheckFlapping { region: target, period: *period }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: RegionId = RegionId::from_raw(0);
    const B: RegionId = RegionId::from_raw(1);
    const C: RegionId = RegionId::from_raw(2);

    fn at(s: u64) -> SimTime {
        SimTime::at(SimDuration::from_secs(s))
    }

    fn state(kinds: Vec<FaultKind>) -> FaultState {
        let faults = kinds.into_iter().map(|kind| FaultConfig { kind, start: at(0), end: Some(at(10)) }).collect();
        FaultState::new(faults, 3, 2)
    }

    #[test]
    fn one_way_partition_cuts_one_direction_only() {
        let mut s = state(vec![FaultKind::Partition {
            side_a: vec![A],
            side_b: vec![B, C],
            one_way: true,
            mode: PartitionMode::Drop,
        }]);
        assert!(matches!(s.link(A, B), LinkVerdict::Deliver { .. }), "not started yet");
        s.start(0, at(1));
        assert_eq!(s.link(A, B), LinkVerdict::Cut(PartitionMode::Drop));
        assert_eq!(s.link(A, C), LinkVerdict::Cut(PartitionMode::Drop));
        assert!(matches!(s.link(B, A), LinkVerdict::Deliver { .. }), "the reverse direction flows");
        assert!(matches!(s.link(B, C), LinkVerdict::Deliver { .. }), "inside one side flows");
        s.heal(0);
        assert!(matches!(s.link(A, B), LinkVerdict::Deliver { .. }));
    }

    #[test]
    fn symmetric_partition_cuts_both_directions() {
        let mut s = state(vec![FaultKind::Partition {
            side_a: vec![A],
            side_b: vec![B],
            one_way: false,
            mode: PartitionMode::Hold,
        }]);
        s.start(0, at(0));
        assert_eq!(s.link(A, B), LinkVerdict::Cut(PartitionMode::Hold));
        assert_eq!(s.link(B, A), LinkVerdict::Cut(PartitionMode::Hold));
        assert!(matches!(s.link(A, C), LinkVerdict::Deliver { .. }));
    }

    #[test]
    fn degraded_links_compose_their_losses() {
        let degraded = |loss| FaultKind::DegradedLink {
            from: A,
            to: B,
            symmetric: false,
            extra_latency: Dist::Constant(5e6),
            loss,
        };
        let mut s = state(vec![degraded(0.5), degraded(0.5)]);
        s.start(0, at(0));
        s.start(1, at(0));
        match s.link(A, B) {
            LinkVerdict::Deliver { extra_latency, loss } => {
                assert_eq!(extra_latency.len(), 2);
                assert!((loss - 0.75).abs() < 1e-12, "two independent 50% losses lose 75%");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(s.link(B, A), LinkVerdict::Deliver { extra_latency: vec![], loss: 0.0 });
    }

    #[test]
    fn clock_skew_offsets_and_drifts_from_the_fault_start() {
        let mut s = state(vec![FaultKind::ClockSkew { region: A, offset_nanos: -150_000_000, drift_ppm: 100.0 }]);
        assert_eq!(s.clock_nanos(A, at(5)), 5_000_000_000);
        s.start(0, at(5));
        // 10 s after the start: -150 ms + 100 ppm of 10 s (1 ms).
        assert_eq!(s.clock_nanos(A, at(15)), 15_000_000_000 - 150_000_000 + 1_000_000);
        assert_eq!(s.clock_nanos(B, at(15)), 15_000_000_000);
    }

    #[test]
    fn outage_scopes_break_what_they_name_and_nothing_else() {
        let scopes = [
            OutageScope::Region,
            OutageScope::AppTier,
            OutageScope::Store(StoreId::new(1)),
            OutageScope::HealthEndpoint,
            OutageScope::RequestsOnly,
        ];
        // (request failure, store 0 up, store 1 up, health up, control plane up)
        let expected = [
            (Some(true), false, false, false, false),
            (Some(false), true, true, false, true),
            (None, true, false, true, true),
            (None, true, true, false, true),
            (Some(false), true, true, true, true),
        ];
        for (scope, want) in scopes.into_iter().zip(expected) {
            let mut s =
                state(vec![FaultKind::RegionOutage { region: A, scope: scope.clone(), probes: ProbeAnswer::TimeOut }]);
            s.start(0, at(0));
            let got = (
                s.request_failure(A),
                s.store_up(StoreId::new(0), A),
                s.store_up(StoreId::new(1), A),
                s.health_endpoint_up(A, at(1)),
                s.control_plane_up(A),
            );
            assert_eq!(got, want, "{scope:?}");
            assert_eq!(s.request_failure(B), None, "{scope:?} must not touch another Region");
            s.heal(0);
            assert_eq!(s.request_failure(A), None);
            assert!(s.health_endpoint_up(A, at(1)));
        }
    }

    #[test]
    fn overlapping_outages_nest() {
        let outage = || FaultKind::RegionOutage { region: A, scope: OutageScope::Region, probes: ProbeAnswer::TimeOut };
        let mut s = state(vec![outage(), outage()]);
        s.start(0, at(0));
        s.start(1, at(1));
        s.heal(0);
        assert!(s.region_down(A), "the second outage is still in force");
        s.heal(1);
        assert!(!s.region_down(A));
        s.heal(1);
        assert!(!s.region_down(A), "healing twice is harmless");
    }

    #[test]
    fn flapping_alternates_starting_with_failing() {
        let mut s = state(vec![FaultKind::HealthCheckFlapping { region: A, period: SimDuration::from_secs(10) }]);
        s.start(0, at(100));
        assert!(!s.health_endpoint_up(A, at(105)));
        assert!(s.health_endpoint_up(A, at(115)));
        assert!(!s.health_endpoint_up(A, at(125)));
        assert!(s.health_endpoint_up(B, at(105)));
    }

    #[test]
    fn generated_faults_follow_the_rate_and_never_overlap_per_target() {
        let generator = FaultGenerator {
            kind: GeneratedKind::RegionOutage(OutageScope::Region),
            regions: vec![A, B],
            rate_per_hour: 6.0,
            duration: Dist::Constant(60e9),
        };
        let hours = 200;
        let faults = generate(std::slice::from_ref(&generator), 3, SimDuration::from_hours(hours), sim_core::Seed(5));
        for target in [A, B] {
            let mine: Vec<&FaultConfig> = faults
                .iter()
                .filter(|f| matches!(&f.kind, FaultKind::RegionOutage { region, .. } if *region == target))
                .collect();
            // Renewal process: one fault per (10 min gap + 1 min outage) on average: 200 h / 11 min.
            let expected = hours as f64 * 60.0 / 11.0;
            let n = mine.len() as f64;
            assert!((n - expected).abs() < 4.0 * expected.sqrt(), "{n} faults, expected about {expected}");
            assert!(mine.windows(2).all(|w| w[0].end.unwrap() <= w[1].start), "faults of one target overlap");
        }
        assert!(faults.iter().all(|f| !matches!(&f.kind, FaultKind::RegionOutage { region, .. } if *region == C)));
        let again = generate(&[generator], 3, SimDuration::from_hours(hours), sim_core::Seed(5));
        assert_eq!(faults, again, "generation is a function of the seed");
    }

    #[test]
    fn replication_impairments_combine() {
        let store = StoreId::new(0);
        let mut s = state(vec![
            FaultKind::ReplicationImpairment { store, from: Some(A), slowdown: Some(3.0) },
            FaultKind::ReplicationImpairment { store, from: None, slowdown: None },
        ]);
        s.start(0, at(0));
        assert_eq!(s.replication_impairment(store, A), Some(Some(3.0)));
        assert_eq!(s.replication_impairment(store, B), None);
        assert_eq!(s.replication_impairment(StoreId::new(1), A), None);
        s.start(1, at(0));
        assert_eq!(s.replication_impairment(store, B), Some(None), "stalled everywhere");
    }
}
