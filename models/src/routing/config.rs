//! The routing tier as a scenario describes it, already validated. Parameter names and defaults
//! follow AWS's own (Route 53 `request_interval`, `failure_threshold`; Global Accelerator
//! `traffic_dial_percentage`, `health_check_interval_seconds`, `threshold_count`; CloudFront
//! origin groups' connection timeout and attempts); see reference/aws-facts.md for their sources.

use sim_core::{Dist, SimDuration};

use crate::ids::{RegionId, StoreId};

/// Everything between the clients and the Regions' app tiers.
#[derive(Clone, Debug, Default)]
pub struct RoutingConfig {
    pub route53: Option<Route53Config>,
    pub accelerator: Option<AcceleratorConfig>,
    pub cloudfront: Option<CloudFrontConfig>,
    /// ARC routing controls (on: the health check backed by it is healthy).
    pub routing_controls: Vec<RoutingControlConfig>,
    /// Load balancers' own health checks of their targets (the app tier), per Region: they back
    /// `evaluate_target_health` and Global Accelerator's load-balancer endpoints.
    pub load_balancer: LoadBalancerHealth,
}

/// How a population reaches the Regions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// Always the population's own Region (no routing tier).
    Static,
    /// A Route 53 name, resolved through resolvers and client caches.
    Route53,
    /// A Global Accelerator's anycast addresses: routing decided at the edge per new connection.
    Accelerator,
}

impl Entry {
    pub fn name(self) -> &'static str {
        match self {
            Entry::Static => "static",
            Entry::Route53 => "route53",
            Entry::Accelerator => "global_accelerator",
        }
    }
}

/// A population's side of routing: how it resolves and how long it keeps a connection.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientRouting {
    pub entry: Entry,
    /// Reads (GET) go through the CloudFront distribution's origin group instead of `entry`.
    pub reads_via_cloudfront: bool,
    pub resolvers: ResolverConfig,
    pub client_cache: ClientCache,
    /// A connection unused this long is closed; `None`: a new connection per request. A connection
    /// also closes when a request on it gets no answer (timeout).
    pub keep_alive_idle: Option<SimDuration>,
}

impl Default for ClientRouting {
    fn default() -> Self {
        ClientRouting {
            entry: Entry::Static,
            reads_via_cloudfront: false,
            resolvers: ResolverConfig::default(),
            client_cache: ClientCache::None,
            keep_alive_idle: None,
        }
    }
}

/// The recursive resolvers a population's users go through; each user uses one of them.
#[derive(Clone, Debug, PartialEq)]
pub struct ResolverConfig {
    pub count: u32,
    /// The share of resolvers that hold answers longer than the TTL (8.74% of 8 524 resolvers
    /// measured, PAM 2023).
    pub ttl_violator_share: f64,
    /// How long a violating resolver holds an answer (at least the TTL).
    pub violator_hold: Dist,
}

impl Default for ResolverConfig {
    fn default() -> Self {
        ResolverConfig {
            count: 100,
            ttl_violator_share: DEFAULT_TTL_VIOLATOR_SHARE,
            violator_hold: default_violator_hold(),
        }
    }
}

/// Bhowmick et al., PAM 2023: 8.74% of 8 524 resolvers extended TTLs.
pub const DEFAULT_TTL_VIOLATOR_SHARE: f64 = 0.0874;

/// How long a TTL-violating resolver holds an answer: log-normal, median 74 s, sigma 1.48 (at least
/// the TTL). Caches run in steady state (`ResolverPool`), where the share of users still on an answer
/// `x` after it changed is 0.0874 x E[(M - x)+] / E[M], M = max(hold, TTL): with a 20 s TTL that is
/// 2.0% at 15 minutes, the share Flavel et al. (LANMAN 2014) measured for a 20 s TTL, which fixes
/// the median given the shape. The same caches then leave 6.9% on the old answer at 60 s, beside
/// the 10% the same study measured ("90% switched within 60 s"), which was not fitted. The shape
/// (sigma) is not measured; it is a parameter.
pub fn default_violator_hold() -> Dist {
    Dist::lognormal_median(74e9, 1.48).expect("valid constants")
}

/// A cache in the client itself (a JVM, a browser) in front of the resolver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientCache {
    None,
    /// Keeps an answer for its remaining TTL but at least this long (Chromium's host cache: 60 s).
    AtLeast(SimDuration),
    /// Keeps an answer this long whatever its TTL (the JVM's networkaddress.cache.ttl: 30 s).
    Fixed(SimDuration),
}

/// The protocol of a Route 53 health check, which sets its probe timeout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeProtocol {
    /// HTTP(S): connect within 4 s, then the status within 2 s.
    Http,
    /// TCP: connect within 10 s.
    Tcp,
}

impl ProbeProtocol {
    /// How long a checker waits on an endpoint that does not answer before it counts a failure.
    pub fn timeout(self) -> SimDuration {
        match self {
            ProbeProtocol::Http => SimDuration::from_secs(4),
            ProbeProtocol::Tcp => SimDuration::from_secs(10),
        }
    }
}

/// A Route 53 health check of one Region's endpoint.
#[derive(Clone, Debug, PartialEq)]
pub struct HealthCheckConfig {
    pub name: String,
    pub region: RegionId,
    /// 10 s or 30 s.
    pub request_interval: SimDuration,
    /// Consecutive results (1..=10) that flip one checker, either way.
    pub failure_threshold: u32,
    /// Checkers probing independently, each on its own phase (about 15).
    pub checkers: u32,
    pub protocol: ProbeProtocol,
    /// A deep check: it fails when one of these stores is unreachable from the Region (its replica
    /// down; for Aurora, the writer down or cut off).
    pub dependencies: Vec<StoreId>,
    /// Backed by an ARC routing control instead of probes: healthy while the control is on.
    pub routing_control: Option<usize>,
}

/// How Route 53 picks among the records of the name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoutingPolicy {
    /// The healthy record with the lowest latency from the resolver.
    Latency,
    /// A healthy record at random in proportion to its weight.
    Weighted,
    /// The primary while healthy, else the secondary while healthy, else the primary.
    Failover,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailoverRole {
    Primary,
    Secondary,
}

/// One record of the name: an alias to a Region's load balancer.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordConfig {
    pub region: RegionId,
    /// Weighted records: 0..=255.
    pub weight: u32,
    pub failover: Option<FailoverRole>,
    pub health_check: Option<usize>,
    /// The alias is healthy only while its load balancer has a healthy target.
    pub evaluate_target_health: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Route53Config {
    /// The record's TTL (an alias to a load balancer: 60 s).
    pub ttl: SimDuration,
    pub policy: RoutingPolicy,
    pub records: Vec<RecordConfig>,
    pub health_checks: Vec<HealthCheckConfig>,
    /// Where Route 53's control plane runs (record changes fail while it is out): us-east-1.
    pub control_plane_region: Option<RegionId>,
    /// A record change reaches every authoritative server after this long.
    pub change_propagation: SimDuration,
}

/// An ARC routing control.
#[derive(Clone, Debug, PartialEq)]
pub struct RoutingControlConfig {
    pub name: String,
    pub initially_on: bool,
}

/// A load balancer's health check of its targets (an ALB target group: interval 30 s, two
/// failures to mark a target unhealthy, five successes to mark it healthy again).
#[derive(Clone, Debug, PartialEq)]
pub struct LoadBalancerHealth {
    pub interval: SimDuration,
    pub unhealthy_threshold: u32,
    pub healthy_threshold: u32,
    pub timeout: SimDuration,
}

impl Default for LoadBalancerHealth {
    fn default() -> Self {
        LoadBalancerHealth {
            interval: SimDuration::from_secs(30),
            unhealthy_threshold: 2,
            healthy_threshold: 5,
            timeout: SimDuration::from_secs(5),
        }
    }
}

/// Client affinity of a Global Accelerator listener.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAffinity {
    /// The default: each new connection (5-tuple) is routed on its own.
    FiveTuple,
    /// A client's connections go to the same endpoint while it stays healthy.
    SourceIp,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AcceleratorConfig {
    pub endpoint_groups: Vec<EndpointGroupConfig>,
    pub client_affinity: ClientAffinity,
    /// A flow with no packets this long is forgotten (TCP: 350 s with client IP preservation).
    pub idle_timeout: SimDuration,
    /// After an endpoint is healthy again, normal routing resumes this much later (about 30 s).
    pub recovery_delay: SimDuration,
    /// Where Global Accelerator's control plane runs (dial changes fail while it is out): us-west-2.
    pub control_plane_region: Option<RegionId>,
}

/// One Region's endpoint group.
#[derive(Clone, Debug, PartialEq)]
pub struct EndpointGroupConfig {
    pub region: RegionId,
    /// 0..=100: the share of the traffic directed to this group that it takes.
    pub traffic_dial_percentage: f64,
    /// 10 s or 30 s.
    pub health_check_interval_seconds: u32,
    /// 1..=10.
    pub threshold_count: u32,
    /// Endpoint weights, 0..=255 (128 by default).
    pub endpoint_weights: Vec<u32>,
    /// The endpoints are load balancers: their health is the load balancer's own target health,
    /// read at the group's health-check interval.
    pub load_balancer_endpoints: bool,
}

/// A CloudFront distribution with an origin group (reads fail over; other methods do not).
#[derive(Clone, Debug, PartialEq)]
pub struct CloudFrontConfig {
    pub primary: RegionId,
    pub secondary: RegionId,
    /// Answers from the primary with these status codes send a GET to the secondary (the world
    /// answers 503 for a shed or failed request and 500 for a store's refusal).
    pub status_codes: Vec<u16>,
    /// 1..=10 s per connection attempt.
    pub connection_timeout: SimDuration,
    /// 1..=3 attempts before the secondary is tried.
    pub connection_attempts: u32,
}
