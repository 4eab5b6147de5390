//! `mrsim explain` for the routing tier and alarms: `[route53]` with its health checks and records,
//! `[global_accelerator]` with its endpoint groups, `[cloudfront]`, `[[routing_control]]`,
//! `[load_balancer_health]`, `[[alarm]]` and a population's routing keys, with the same marks as
//! the rest of the text (`# default` for what the file left out).

use models::alarm::{AlarmMetric, TreatMissingData};
use models::config::PopulationConfig;
use models::ids::{RegionId, StoreId};
use models::routing::config::{ClientAffinity, ClientCache, Entry, FailoverRole, RoutingPolicy};
use sim_core::SimDuration;

use super::{Explainer, dist, duration, list, quote};

impl Explainer<'_> {
    /// Where a control plane runs, with the default's reason when the file leaves it out.
    fn control_plane(&mut self, path: &str, region: Option<RegionId>, default: &str, fails: &str) {
        let given = self.given(path);
        let value = region.map_or(quote("none"), |r| quote(&self.region(r)));
        let note = match region {
            Some(_) => format!("{default}, declared in this scenario"),
            None => format!("{default} is not declared, so {fails} never fail for control-plane reasons"),
        };
        self.line_noted(given, "control_plane_region", value, &note);
    }

    pub(super) fn route53(&mut self) {
        let Some(r) = self.scenario.world.routing.route53.clone() else { return };
        self.open("[route53]", "route53");
        self.shown(&["health_check", "record"]);
        self.line("route53.ttl", "ttl", duration(r.ttl));
        let policy = match r.policy {
            RoutingPolicy::Latency => "latency",
            RoutingPolicy::Weighted => "weighted",
            RoutingPolicy::Failover => "failover",
        };
        self.fact("routing_policy", quote(policy));
        self.control_plane("route53.control_plane_region", r.control_plane_region, "us-east-1", "record changes");
        self.line("route53.change_propagation", "change_propagation", duration(r.change_propagation));
        for (i, h) in r.health_checks.iter().enumerate() {
            let at = |key: &str| format!("route53.health_check.{i}.{key}");
            self.open("[[route53.health_check]]", &format!("route53.health_check.{i}"));
            self.fact("name", quote(&h.name));
            self.fact("region", quote(&self.region(h.region)));
            if let Some(control) = h.routing_control {
                let control = &self.scenario.world.routing.routing_controls[control].name;
                self.fact("routing_control", quote(control));
                self.out.push_str("# healthy while the routing control is On; no probes\n");
                continue;
            }
            self.line(&at("request_interval"), "request_interval", duration(h.request_interval));
            self.line(&at("failure_threshold"), "failure_threshold", h.failure_threshold.to_string());
            self.line(&at("checkers"), "checkers", h.checkers.to_string());
            let written = self.file.get("route53").and_then(|r| r.get("health_check")).and_then(|c| c.get(i));
            let written = written.and_then(|c| c.get("type")).and_then(|t| t.as_str()).unwrap_or("HTTPS").to_string();
            self.line(&at("type"), "type", quote(&written));
            self.line(
                &at("dependencies"),
                "dependencies",
                list(h.dependencies.iter().map(|s| self.store_name(s.index()))),
            );
        }
        for (i, x) in r.records.iter().enumerate() {
            let at = |key: &str| format!("route53.record.{i}.{key}");
            self.open("[[route53.record]]", &format!("route53.record.{i}"));
            self.fact("region", quote(&self.region(x.region)));
            if r.policy == RoutingPolicy::Weighted {
                self.fact("weight", x.weight.to_string());
            }
            if let Some(role) = x.failover {
                self.fact("failover", quote(if role == FailoverRole::Primary { "PRIMARY" } else { "SECONDARY" }));
            }
            let check = x.health_check.map_or(quote("none"), |c| quote(&r.health_checks[c].name));
            self.line(&at("health_check"), "health_check", check);
            self.line(&at("evaluate_target_health"), "evaluate_target_health", x.evaluate_target_health.to_string());
        }
    }

    pub(super) fn accelerator(&mut self) {
        let Some(g) = self.scenario.world.routing.accelerator.clone() else { return };
        self.open("[global_accelerator]", "global_accelerator");
        self.shown(&["endpoint_group"]);
        let affinity = if g.client_affinity == ClientAffinity::SourceIp { "SOURCE_IP" } else { "NONE" };
        self.line("global_accelerator.client_affinity", "client_affinity", quote(affinity));
        self.line("global_accelerator.idle_timeout", "idle_timeout", duration(g.idle_timeout));
        self.line("global_accelerator.recovery_delay", "recovery_delay", duration(g.recovery_delay));
        let path = "global_accelerator.control_plane_region";
        self.control_plane(path, g.control_plane_region, "us-west-2", "traffic dial changes");
        for (i, e) in g.endpoint_groups.iter().enumerate() {
            let at = |key: &str| format!("global_accelerator.endpoint_group.{i}.{key}");
            self.open("[[global_accelerator.endpoint_group]]", &format!("global_accelerator.endpoint_group.{i}"));
            self.fact("region", quote(&self.region(e.region)));
            let dial = e.traffic_dial_percentage.to_string();
            self.line(&at("traffic_dial_percentage"), "traffic_dial_percentage", dial);
            let interval = e.health_check_interval_seconds.to_string();
            self.line(&at("health_check_interval_seconds"), "health_check_interval_seconds", interval);
            self.line(&at("threshold_count"), "threshold_count", e.threshold_count.to_string());
            let weights = e.endpoint_weights.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
            self.line(&at("endpoint_weights"), "endpoint_weights", format!("[{weights}]"));
            self.line(&at("load_balancer"), "load_balancer", e.load_balancer_endpoints.to_string());
        }
    }

    pub(super) fn cloudfront_and_controls(&mut self) {
        let routing = self.scenario.world.routing.clone();
        if let Some(c) = &routing.cloudfront {
            self.open("[cloudfront]", "cloudfront");
            self.fact("primary", quote(&self.region(c.primary)));
            self.fact("secondary", quote(&self.region(c.secondary)));
            let codes = c.status_codes.iter().map(u16::to_string).collect::<Vec<_>>().join(", ");
            let path = "cloudfront.failover_criteria_status_codes";
            self.line(path, "failover_criteria_status_codes", format!("[{codes}]"));
            self.line("cloudfront.connection_timeout", "connection_timeout", duration(c.connection_timeout));
            self.line("cloudfront.connection_attempts", "connection_attempts", c.connection_attempts.to_string());
        }
        for (i, c) in routing.routing_controls.iter().enumerate() {
            self.open("[[routing_control]]", &format!("routing_control.{i}"));
            self.fact("name", quote(&c.name));
            self.line(&format!("routing_control.{i}.state"), "state", quote(if c.initially_on { "On" } else { "Off" }));
        }
        // Load balancers check their targets wherever a record or an endpoint group sends clients.
        if routing.route53.is_some() || routing.accelerator.is_some() || self.given("load_balancer_health") {
            let l = &routing.load_balancer;
            let secs = |d: SimDuration| (d.as_nanos() / 1_000_000_000).to_string();
            let at = |key: &str| format!("load_balancer_health.{key}");
            self.open("[load_balancer_health]", "load_balancer_health");
            self.line(&at("health_check_interval_seconds"), "health_check_interval_seconds", secs(l.interval));
            let unhealthy = l.unhealthy_threshold.to_string();
            self.line(&at("unhealthy_threshold_count"), "unhealthy_threshold_count", unhealthy);
            self.line(&at("healthy_threshold_count"), "healthy_threshold_count", l.healthy_threshold.to_string());
            self.line(&at("health_check_timeout_seconds"), "health_check_timeout_seconds", secs(l.timeout));
        }
    }

    pub(super) fn alarms(&mut self) {
        let alarms = self.scenario.world.alarms.clone();
        for (i, a) in alarms.iter().enumerate() {
            let at = |key: &str| format!("alarm.{i}.{key}");
            self.open("[[alarm]]", &format!("alarm.{i}"));
            self.fact("name", quote(&a.name));
            let every = |what: &str| quote(&format!("every {what}"));
            let region = |x: &Self, r: Option<RegionId>| r.map_or_else(|| every("Region"), |r| quote(&x.region(r)));
            let store =
                |x: &Self, s: Option<StoreId>| s.map_or_else(|| every("store"), |s| quote(&x.store_name(s.index())));
            match &a.metric {
                AlarmMetric::ErrorRate { region: r } => {
                    self.fact("metric", quote("error_rate"));
                    self.line(&at("region"), "region", region(self, *r));
                }
                AlarmMetric::ReplicationLag { store: s, region: r } | AlarmMetric::RpoLag { store: s, region: r } => {
                    let name =
                        if matches!(a.metric, AlarmMetric::RpoLag { .. }) { "rpo_lag" } else { "replication_lag" };
                    self.fact("metric", quote(name));
                    self.line(&at("store"), "store", store(self, *s));
                    self.line(&at("region"), "region", region(self, *r));
                }
                AlarmMetric::Conflicts { store: s } => {
                    self.fact("metric", quote("conflicts"));
                    self.line(&at("store"), "store", store(self, *s));
                }
                AlarmMetric::HealthCheckStatus { check } => {
                    self.fact("metric", quote("health_check_status"));
                    let name =
                        self.scenario.world.routing.route53.as_ref().map(|r| r.health_checks[*check].name.clone());
                    self.fact("health_check", quote(&name.unwrap_or_default()));
                }
            }
            self.line(&at("statistic"), "statistic", quote(&format!("{:?}", a.statistic)));
            self.line(&at("period"), "period", duration(a.period));
            self.line(&at("evaluation_periods"), "evaluation_periods", a.evaluation_periods.to_string());
            let m = a.datapoints_to_alarm.to_string();
            self.line_noted(self.given(&at("datapoints_to_alarm")), "datapoints_to_alarm", m, "evaluation_periods");
            self.fact("threshold", a.threshold.to_string());
            self.fact("comparison_operator", quote(&format!("{:?}", a.comparison_operator)));
            let missing = match a.treat_missing_data {
                TreatMissingData::Missing => "missing",
                TreatMissingData::NotBreaching => "notBreaching",
                TreatMissingData::Breaching => "breaching",
                TreatMissingData::Ignore => "ignore",
            };
            self.line(&at("treat_missing_data"), "treat_missing_data", quote(missing));
        }
    }

    /// A population's routing keys: DNS keys only where the population resolves a Route 53 name
    /// (or the file gives them), keep-alive only where routing can change per connection.
    pub(super) fn client_routing(&mut self, i: usize, p: &PopulationConfig) {
        let at = |key: &str| format!("population.{i}.{key}");
        let r = &p.routing;
        self.line(&at("entry"), "entry", quote(r.entry.name()));
        self.line(&at("reads_via_cloudfront"), "reads_via_cloudfront", r.reads_via_cloudfront.to_string());
        let dns = r.entry == Entry::Route53;
        if dns || self.given(&at("resolvers")) {
            self.line(&at("resolvers"), "resolvers", r.resolvers.count.to_string());
        }
        if dns || self.given(&at("ttl_violator_share")) {
            self.line(&at("ttl_violator_share"), "ttl_violator_share", r.resolvers.ttl_violator_share.to_string());
        }
        if dns || self.given(&at("ttl_violator_hold")) {
            self.line(&at("ttl_violator_hold"), "ttl_violator_hold", dist(&r.resolvers.violator_hold));
        }
        if dns || self.given(&at("client_cache")) {
            let cache = match r.client_cache {
                ClientCache::None => quote("none"),
                ClientCache::AtLeast(d) => format!("{{ at_least = {} }}", duration(d)),
                ClientCache::Fixed(d) => format!("{{ fixed = {} }}", duration(d)),
            };
            self.line(&at("client_cache"), "client_cache", cache);
        }
        if r.entry != Entry::Static || self.given(&at("keep_alive_idle")) {
            let idle = r.keep_alive_idle.map_or(quote("none (a new connection per request)"), duration);
            self.line(&at("keep_alive_idle"), "keep_alive_idle", idle);
        }
    }
}
