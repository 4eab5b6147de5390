//! The routing tier: where each attempt goes. A population enters through its own Region
//! (static), a Route 53 name (resolvers and client caches, health checks, routing policies,
//! fail-open) or a Global Accelerator (edge routing per new connection, dials, failover,
//! fail-open); reads may go through a CloudFront origin group. Connections are kept alive per
//! user: an attempt on a live connection goes where the connection goes, whatever DNS or the
//! accelerator would say now.
//!
//! Health checks are state machines (`health`) the world drives: it schedules each checker's
//! probes, tells the tier what a probe found, and the tier reports verdict flips, which change
//! Route 53's answers and the accelerator's routing.

pub mod accelerator;
pub mod config;
pub mod health;
pub mod route53;

use sim_core::{LookupMap, Seed, SimDuration, SimTime, Stream};

use crate::ids::{PopulationId, RegionId, StoreId};
use accelerator::Accelerator;
use config::{ClientAffinity, ClientCache, ClientRouting, Entry, ProbeProtocol, RoutingConfig};
use health::{CheckSpec, HealthCheck, ProbeOutcome, ROUTE53_HEALTHY_SHARE};
use route53::{ResolverPool, Route53};

/// What a health check watches, and whose routing its verdict moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckPurpose {
    /// Route 53 health check `i`.
    Route53(usize),
    /// A load balancer's check of its targets (the app tier) in a Region.
    LoadBalancer,
    /// Global Accelerator endpoint group `i`.
    Accelerator(usize),
}

/// One probed health check.
#[derive(Clone, Debug)]
pub struct CheckEntry {
    pub name: String,
    pub purpose: CheckPurpose,
    pub target: RegionId,
    /// A deep check's dependencies.
    pub dependencies: Vec<StoreId>,
    pub check: HealthCheck,
}

/// A health verdict that flipped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HealthFlip {
    pub check: String,
    pub region: RegionId,
    pub healthy: bool,
}

/// Where an attempt goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    pub region: RegionId,
    /// Through a CloudFront origin group: the secondary origin, tried after a failed connection
    /// (after this wait) or a configured status code from the primary.
    pub origin_failover: Option<(RegionId, SimDuration)>,
    /// Route 53 or the accelerator answered as if everything were healthy.
    pub fail_open: bool,
}

#[derive(Clone, Copy, Debug)]
struct Connection {
    region: RegionId,
    last_used: SimTime,
}

type UserKey = (u16, u64);

/// The routing tier of a run.
pub struct RoutingTier {
    clients: Vec<config::ClientRouting>,
    home: Vec<RegionId>,
    /// Per population, the Regions by latency (nearest first).
    near: Vec<Vec<RegionId>>,
    /// Per population, the accelerator's groups by latency.
    near_groups: Vec<Vec<usize>>,
    checks: Vec<CheckEntry>,
    route53: Option<Route53>,
    accelerator: Option<Accelerator>,
    cloudfront: Option<config::CloudFrontConfig>,
    controls: Vec<(String, bool)>,
    resolvers: Vec<ResolverPool>,
    // Per user, looked up only (never iterated).
    client_caches: LookupMap<UserKey, (RegionId, SimTime)>,
    connections: LookupMap<UserKey, Connection>,
    affinity: LookupMap<UserKey, RegionId>,
    /// Per Region: the checks whose verdicts say whether the routing tier counts it healthy.
    watched: Vec<Vec<usize>>,
    /// Per Region: unhealthy since, as the routing tier sees it.
    unhealthy_since: Vec<Option<SimTime>>,
    answers: Stream,
    resolver_holds: Stream,
    edge: Stream,
    /// Per population: queries its resolvers sent to Route 53 (a resolver's cache miss).
    route53_queries: Vec<u64>,
}

/// The mean of a latency, for ordering Regions by it.
fn mean_latency(l: &crate::topology::LinkLatency) -> f64 {
    l.base.as_nanos() as f64 + l.extra.mean().unwrap_or(0.0)
}

/// What the routing tier needs of a client population.
pub struct Clients<'a> {
    pub name: &'a str,
    /// The Region the clients are near (their home).
    pub region: RegionId,
    /// One-way latency from the clients to every Region (index by Region).
    pub latency: &'a [crate::topology::LinkLatency],
    pub routing: &'a ClientRouting,
}

impl RoutingTier {
    /// The routing tier of `routing` over `topology`, for the client populations in order.
    pub fn new(
        routing: &RoutingConfig,
        topology: &crate::topology::Topology,
        populations: &[Clients<'_>],
        seed: Seed,
    ) -> Self {
        let near: Vec<Vec<RegionId>> = populations
            .iter()
            .map(|p| {
                let mut regions: Vec<RegionId> = topology.regions().collect();
                regions.sort_by(|a, b| {
                    mean_latency(&p.latency[a.index()]).total_cmp(&mean_latency(&p.latency[b.index()])).then(a.cmp(b))
                });
                regions
            })
            .collect();
        let mut checks = Vec::new();
        let check_stream = |name: &str| seed.stream(&format!("routing/check/{name}"));
        if let Some(r53) = &routing.route53 {
            for (i, hc) in r53.health_checks.iter().enumerate() {
                if hc.routing_control.is_some() {
                    continue;
                }
                let spec = CheckSpec {
                    interval: hc.request_interval,
                    failure_threshold: hc.failure_threshold,
                    success_threshold: hc.failure_threshold,
                    checkers: hc.checkers,
                    healthy_share_above: ROUTE53_HEALTHY_SHARE,
                    probe_timeout: hc.protocol.timeout(),
                };
                checks.push(CheckEntry {
                    name: hc.name.clone(),
                    purpose: CheckPurpose::Route53(i),
                    target: hc.region,
                    dependencies: hc.dependencies.clone(),
                    check: HealthCheck::new(spec, &mut check_stream(&hc.name)),
                });
            }
        }
        if let Some(ga) = &routing.accelerator {
            for (i, g) in ga.endpoint_groups.iter().enumerate() {
                let name = format!("global-accelerator/{}", topology.name(g.region));
                let spec = CheckSpec {
                    interval: SimDuration::from_secs(u64::from(g.health_check_interval_seconds)),
                    // Load-balancer endpoints take the load balancer's verdict as it stands at
                    // each interval.
                    failure_threshold: if g.load_balancer_endpoints { 1 } else { g.threshold_count },
                    success_threshold: if g.load_balancer_endpoints { 1 } else { g.threshold_count },
                    checkers: 1,
                    healthy_share_above: 0.0,
                    probe_timeout: ProbeProtocol::Tcp.timeout(),
                };
                checks.push(CheckEntry {
                    name: name.clone(),
                    purpose: CheckPurpose::Accelerator(i),
                    target: g.region,
                    dependencies: Vec::new(),
                    check: HealthCheck::new(spec, &mut check_stream(&name)),
                });
            }
        }
        // Load balancers' checks of their targets, in every Region the routing tier sends to.
        let mut targets: Vec<RegionId> = Vec::new();
        if let Some(r53) = &routing.route53 {
            targets.extend(r53.records.iter().map(|r| r.region));
        }
        if let Some(ga) = &routing.accelerator {
            targets.extend(ga.endpoint_groups.iter().map(|g| g.region));
        }
        targets.sort();
        targets.dedup();
        let lb = &routing.load_balancer;
        for &region in &targets {
            let name = format!("load-balancer/{}", topology.name(region));
            let spec = CheckSpec {
                interval: lb.interval,
                failure_threshold: lb.unhealthy_threshold,
                success_threshold: lb.healthy_threshold,
                checkers: 1,
                healthy_share_above: 0.0,
                probe_timeout: lb.timeout,
            };
            checks.push(CheckEntry {
                name: name.clone(),
                purpose: CheckPurpose::LoadBalancer,
                target: region,
                dependencies: Vec::new(),
                check: HealthCheck::new(spec, &mut check_stream(&name)),
            });
        }
        let mut watched = vec![Vec::new(); topology.len()];
        for (i, c) in checks.iter().enumerate() {
            if c.purpose != CheckPurpose::LoadBalancer {
                watched[c.target.index()].push(i);
            }
        }
        for (i, c) in checks.iter().enumerate() {
            if c.purpose == CheckPurpose::LoadBalancer && watched[c.target.index()].is_empty() {
                watched[c.target.index()].push(i);
            }
        }
        let near_groups = match &routing.accelerator {
            Some(ga) => near
                .iter()
                .map(|regions| {
                    regions.iter().filter_map(|r| ga.endpoint_groups.iter().position(|g| g.region == *r)).collect()
                })
                .collect(),
            None => vec![Vec::new(); near.len()],
        };
        let controls: Vec<(String, bool)> =
            routing.routing_controls.iter().map(|c| (c.name.clone(), c.initially_on)).collect();
        let mut route53 = routing.route53.clone().map(|c| Route53::new(c, topology.len()));
        if let Some(r53) = &mut route53 {
            for i in 0..r53.config().health_checks.len() {
                if let Some(control) = r53.config().health_checks[i].routing_control {
                    r53.set_check(i, controls[control].1);
                }
            }
        }
        let resolvers = populations
            .iter()
            .map(|p| {
                let r = &p.routing.resolvers;
                let mut rng = seed.stream(&format!("routing/resolvers/{}", p.name));
                ResolverPool::new(r.count, r.ttl_violator_share, r.violator_hold.clone(), &mut rng)
            })
            .collect();
        RoutingTier {
            clients: populations.iter().map(|p| p.routing.clone()).collect(),
            home: populations.iter().map(|p| p.region).collect(),
            near,
            near_groups,
            checks,
            route53,
            accelerator: routing.accelerator.clone().map(Accelerator::new),
            cloudfront: routing.cloudfront.clone(),
            controls,
            resolvers,
            client_caches: LookupMap::new(),
            connections: LookupMap::new(),
            affinity: LookupMap::new(),
            watched,
            unhealthy_since: vec![None; topology.len()],
            answers: seed.stream("routing/route53/answers"),
            resolver_holds: seed.stream("routing/resolvers/holds"),
            route53_queries: vec![0; populations.len()],
            edge: seed.stream("routing/accelerator/edge"),
        }
    }

    pub fn checks(&self) -> &[CheckEntry] {
        &self.checks
    }

    /// What a probe of check `i` finds, given what the endpoint itself would answer. An
    /// accelerator group of load balancers reads the load balancer's verdict instead.
    pub fn probe(&self, i: usize, endpoint: ProbeOutcome) -> ProbeOutcome {
        let c = &self.checks[i];
        if let CheckPurpose::Accelerator(g) = c.purpose
            && self.accelerator.as_ref().is_some_and(|a| a.config().endpoint_groups[g].load_balancer_endpoints)
        {
            let lb = self.checks.iter().find(|l| l.purpose == CheckPurpose::LoadBalancer && l.target == c.target);
            return match lb {
                Some(l) if l.check.healthy() => ProbeOutcome::Pass,
                Some(_) => ProbeOutcome::Fail,
                None => endpoint,
            };
        }
        endpoint
    }

    /// A checker's result: the flip it causes, if any, already applied to routing.
    pub fn record(&mut self, now: SimTime, i: usize, checker: usize, passed: bool) -> Option<HealthFlip> {
        let healthy = self.checks[i].check.record(checker, passed)?;
        let c = &self.checks[i];
        let (target, purpose, name) = (c.target, c.purpose, c.name.clone());
        match purpose {
            CheckPurpose::Route53(hc) => {
                if let Some(r) = &mut self.route53 {
                    r.set_check(hc, healthy);
                }
            }
            CheckPurpose::LoadBalancer => {
                if let Some(r) = &mut self.route53 {
                    r.set_target_health(target, healthy);
                }
            }
            CheckPurpose::Accelerator(g) => {
                if let Some(a) = &mut self.accelerator {
                    a.set_health(now, g, healthy);
                }
            }
        }
        self.update_region(now, target);
        Some(HealthFlip { check: name, region: target, healthy })
    }

    fn update_region(&mut self, now: SimTime, region: RegionId) {
        let watched = &self.watched[region.index()];
        let unhealthy = !watched.is_empty() && watched.iter().all(|&i| !self.checks[i].check.healthy());
        let since = &mut self.unhealthy_since[region.index()];
        match (unhealthy, *since) {
            (true, None) => *since = Some(now),
            (false, Some(_)) => *since = None,
            _ => {}
        }
    }

    /// Per population: queries its resolvers sent to Route 53 so far.
    pub fn route53_queries(&self) -> &[u64] {
        &self.route53_queries
    }

    /// Since when the routing tier has counted `region` unhealthy (every check that watches it
    /// says so), if it does now.
    pub fn unhealthy_since(&self, region: RegionId) -> Option<SimTime> {
        self.unhealthy_since[region.index()]
    }

    /// Where an attempt of `user` of `population` goes now.
    pub fn route(&mut self, now: SimTime, population: PopulationId, user: u64, is_read: bool) -> Route {
        let p = population.index();
        let client = &self.clients[p];
        if is_read
            && client.reads_via_cloudfront
            && let Some(cf) = &self.cloudfront
        {
            let wait = cf.connection_timeout * u64::from(cf.connection_attempts);
            return Route { region: cf.primary, origin_failover: Some((cf.secondary, wait)), fail_open: false };
        }
        let entry = client.entry;
        if entry == Entry::Static {
            return Route { region: self.home[p], origin_failover: None, fail_open: false };
        }
        let key = (p as u16, user);
        let idle = match (client.keep_alive_idle, entry, &self.accelerator) {
            (Some(idle), Entry::Accelerator, Some(a)) => Some(idle.min(a.config().idle_timeout)),
            (idle, _, _) => idle,
        };
        if let Some(idle) = idle
            && let Some(c) = self.connections.get_mut(&key)
            && now < c.last_used.saturating_add(idle)
        {
            c.last_used = now;
            return Route { region: c.region, origin_failover: None, fail_open: false };
        }
        let (region, fail_open) = match entry {
            Entry::Route53 => self.resolve(now, p, user),
            Entry::Accelerator => self.edge_route(now, p, user),
            Entry::Static => unreachable!("handled above"),
        };
        if idle.is_some() {
            self.connections.insert(key, Connection { region, last_used: now });
        }
        Route { region, origin_failover: None, fail_open }
    }

    /// A name lookup for a new connection: the client's cache, else its resolver, else Route 53.
    fn resolve(&mut self, now: SimTime, p: usize, user: u64) -> (RegionId, bool) {
        let key = (p as u16, user);
        if let Some(&(region, until)) = self.client_caches.get(&key)
            && now < until
        {
            return (region, false);
        }
        let Some(r53) = &self.route53 else { return (self.home[p], false) };
        let pool = &mut self.resolvers[p];
        let index = (splitmix(user ^ ((p as u64) << 48)) % pool.len() as u64) as usize;
        let mut fail_open = false;
        let near = &self.near[p];
        let answers = &mut self.answers;
        let queries = &mut self.route53_queries[p];
        let (region, expires, _) = pool.lookup(
            now,
            index,
            r53.config().ttl,
            || {
                *queries += 1;
                let a = r53.answer(near, answers);
                fail_open = a.fail_open;
                a.region
            },
            &mut self.resolver_holds,
        );
        match self.clients[p].client_cache {
            ClientCache::None => {}
            ClientCache::AtLeast(min) => {
                self.client_caches.insert(key, (region, expires.max(now + min)));
            }
            ClientCache::Fixed(d) => {
                self.client_caches.insert(key, (region, now + d));
            }
        }
        (region, fail_open)
    }

    fn edge_route(&mut self, now: SimTime, p: usize, user: u64) -> (RegionId, bool) {
        let Some(a) = &self.accelerator else { return (self.home[p], false) };
        let key = (p as u16, user);
        if a.config().client_affinity == ClientAffinity::SourceIp
            && let Some(&region) = self.affinity.get(&key)
            && let Some(g) = a.group_of(region)
            && a.usable(now, g)
        {
            return (region, false);
        }
        let d = a.route(now, &self.near_groups[p], &mut self.edge);
        if a.config().client_affinity == ClientAffinity::SourceIp {
            self.affinity.insert(key, d.region);
        }
        (d.region, d.fail_open)
    }

    /// A request on the user's connection got no answer: the client closes the connection (the
    /// next attempt opens a new one, through its caches).
    pub fn connection_failed(&mut self, population: PopulationId, user: u64) {
        self.connections.remove(&(population.index() as u16, user));
    }

    /// An ARC routing control is set. The safety rule refuses to turn the last control off.
    pub fn set_control(&mut self, control: usize, on: bool) -> Result<(), String> {
        if !on && self.controls.iter().enumerate().all(|(i, c)| i == control || !c.1) {
            return Err(format!(
                "refused by the safety rule: turning off {} would leave every routing control off",
                self.controls[control].0
            ));
        }
        self.controls[control].1 = on;
        if let Some(r53) = &mut self.route53 {
            for i in 0..r53.config().health_checks.len() {
                if r53.config().health_checks[i].routing_control == Some(control) {
                    r53.set_check(i, on);
                }
            }
        }
        Ok(())
    }

    pub fn route53(&self) -> Option<&Route53> {
        self.route53.as_ref()
    }

    pub fn route53_mut(&mut self) -> Option<&mut Route53> {
        self.route53.as_mut()
    }

    pub fn accelerator_mut(&mut self) -> Option<&mut Accelerator> {
        self.accelerator.as_mut()
    }
}

/// SplitMix64's finaliser: spreads users over resolvers.
fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
