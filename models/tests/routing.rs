//! The routing tier inside whole worlds: Route 53 detection bounds, DNS caching after a
//! withdrawal (oracles.md section 4, end to end), Global Accelerator's absence of a TTL term and
//! its keep-alive connections, fail-open, the ARC safety rule, and a record change refused while
//! Route 53's control plane is out.
//!
//! Worlds are two Regions 35 ms apart (us-east-1 = EAST, us-west-2 = WEST) with one MREC table and
//! clients near EAST; faults strike EAST.

use models::config::{
    ActionConfig, ActionKind, Arrivals, FaultConfig, FaultKind, KeyChoice, OperationKind, OperationMixEntry,
    OutageScope, PopulationConfig, ProbeAnswer, RateProfile, RetryPolicy, StoreConfig, StoreKind, Trigger, WorldConfig,
};
use models::ids::{RegionId, StoreId};
use models::routing::config::{
    AcceleratorConfig, ClientAffinity, ClientCache, ClientRouting, EndpointGroupConfig, Entry, HealthCheckConfig,
    ProbeProtocol, RecordConfig, ResolverConfig, Route53Config, RoutingConfig, RoutingControlConfig, RoutingPolicy,
};
use models::run::{RunOutput, run};
use models::topology::{LinkLatency, Topology};
use sim_core::{Dist, Seed, SimDuration, SimTime, TraceMode};

const EAST: RegionId = RegionId::from_raw(0);
const WEST: RegionId = RegionId::from_raw(1);

fn secs(n: u64) -> SimDuration {
    SimDuration::from_secs(n)
}

fn at(n: u64) -> SimTime {
    SimTime::at(secs(n))
}

fn constant_ms(ms: u64) -> LinkLatency {
    LinkLatency { base: SimDuration::from_millis(ms), extra: Dist::Constant(0.0) }
}

/// Clients near EAST (5 ms; 40 ms to WEST) reading one table at `rate` per second, spread over
/// 100 000 users; one attempt of 1 s per operation.
fn clients(rate: f64, routing: ClientRouting) -> PopulationConfig {
    PopulationConfig {
        name: "east-clients".into(),
        region: EAST,
        latency: vec![constant_ms(5), constant_ms(40)],
        arrivals: Arrivals::Open(RateProfile::Constant(rate)),
        operations: vec![OperationMixEntry {
            weight: 1.0,
            store: StoreId::new(0),
            kind: OperationKind::Read,
            keys: KeyChoice::Uniform { keys: 1000 },
            consistent_read: false,
            multi: None,
        }],
        users: 100_000,
        timeout: secs(1),
        retry: RetryPolicy { max_attempts: 1, base_delay: SimDuration::ZERO, max_delay: SimDuration::ZERO },
        pinning: false,
        read_your_writes_window: None,
        routing,
    }
}

fn world(duration: u64, populations: Vec<PopulationConfig>, routing: RoutingConfig) -> WorldConfig {
    let link = constant_ms(35);
    WorldConfig {
        topology: Topology::new(vec!["us-east-1".into(), "us-west-2".into()], vec![vec![link; 2]; 2]),
        duration: secs(duration),
        drain_max: secs(60),
        max_events: 100_000_000,
        metrics_interval: secs(1),
        stores: vec![StoreConfig {
            kind: StoreKind::DynamoDbMrec,
            name: "t".into(),
            regions: vec![EAST, WEST],
            replication_delay: Dist::Constant(0.0),
            replication_retry_interval: secs(1),
            catch_up_rate: models::stores::quorum::DEFAULT_CATCH_UP_RATE,
            idempotency: false,
            per_item_order: true,
        }],
        app_tiers: vec![None, None],
        populations,
        actions: vec![],
        faults: vec![],
        fault_generators: vec![],
        list_conflicts: false,
        routing,
        alarms: vec![],
    }
}

fn health_check(name: &str, region: RegionId, interval: u64, threshold: u32) -> HealthCheckConfig {
    HealthCheckConfig {
        name: name.into(),
        region,
        request_interval: secs(interval),
        failure_threshold: threshold,
        checkers: 15,
        protocol: ProbeProtocol::Http,
        dependencies: vec![],
        routing_control: None,
    }
}

/// Latency records for both Regions, each with its own health check.
fn route53(ttl: u64, interval: u64, threshold: u32) -> Route53Config {
    let record = |region, check| RecordConfig {
        region,
        weight: 1,
        failover: None,
        health_check: Some(check),
        evaluate_target_health: false,
    };
    Route53Config {
        ttl: secs(ttl),
        policy: RoutingPolicy::Latency,
        records: vec![record(EAST, 0), record(WEST, 1)],
        health_checks: vec![
            health_check("east", EAST, interval, threshold),
            health_check("west", WEST, interval, threshold),
        ],
        control_plane_region: Some(EAST),
        change_propagation: secs(60),
    }
}

fn accelerator() -> AcceleratorConfig {
    let group = |region| EndpointGroupConfig {
        region,
        traffic_dial_percentage: 100.0,
        health_check_interval_seconds: 10,
        threshold_count: 3,
        endpoint_weights: vec![128],
        load_balancer_endpoints: false,
    };
    AcceleratorConfig {
        endpoint_groups: vec![group(EAST), group(WEST)],
        client_affinity: ClientAffinity::FiveTuple,
        idle_timeout: secs(350),
        recovery_delay: secs(30),
        control_plane_region: Some(WEST),
    }
}

fn via(entry: Entry) -> ClientRouting {
    ClientRouting {
        entry,
        resolvers: ResolverConfig { count: 1000, ttl_violator_share: 0.0, ..ResolverConfig::default() },
        ..ClientRouting::default()
    }
}

fn outage(scope: OutageScope, start: u64, end: Option<u64>) -> FaultConfig {
    FaultConfig {
        kind: FaultKind::RegionOutage { region: EAST, scope, probes: ProbeAnswer::TimeOut },
        start: at(start),
        end: end.map(at),
    }
}

fn go(config: &WorldConfig, seed: u64) -> RunOutput {
    run(config, Seed(seed), TraceMode::Off).expect("the run ends")
}

/// When the routing tier first counted EAST unhealthy.
fn detected(out: &RunOutput) -> SimTime {
    out.recorder.region_health.iter().find(|&&(_, r, h)| r == EAST && !h).expect("EAST was detected").0
}

/// The share of requests sent to EAST in the metrics interval starting at second `s`.
fn east_share(out: &RunOutput, s: usize) -> f64 {
    let east = out.recorder.regions[0].requests.get(s).unwrap_or(0) as f64;
    let west = out.recorder.regions[1].requests.get(s).unwrap_or(0) as f64;
    east / (east + west).max(1.0)
}

/// Every checker's F-th failed probe comes within [F-1, F) intervals of the outage, and its result
/// a probe timeout (4 s for HTTP) later; the endpoint turns unhealthy when the 13th of 15 checkers
/// has flipped. So detection lies within [(F-1) x interval, F x interval] + 4 s, for every seed.
#[test]
fn route53_detection_of_a_black_holed_endpoint_lies_within_its_window() {
    for interval in [10u64, 30] {
        for threshold in [1u32, 3, 10] {
            let fault_at = 100;
            let window = interval * u64::from(threshold);
            let mut config = world(
                fault_at + window + 40,
                vec![],
                RoutingConfig { route53: Some(route53(60, interval, threshold)), ..RoutingConfig::default() },
            );
            config.faults.push(outage(OutageScope::Region, fault_at, None));
            let lower = secs(interval * u64::from(threshold - 1) + 4);
            let upper = secs(window + 4);
            let mut seen = Vec::new();
            for seed in 0..40 {
                let out = go(&config, seed);
                let detection = detected(&out) - at(fault_at);
                assert!(
                    lower <= detection && detection <= upper,
                    "interval {interval} s, threshold {threshold}, seed {seed}: detection {detection} outside [{lower}, {upper}]"
                );
                seen.push(detection);
            }
            seen.sort();
            assert!(seen[0] < seen[39], "the checkers' phases vary with the seed");
        }
    }
}

/// A dark Region whose probes are refused at once (`ProbeAnswer::Refused`) is detected without the
/// probe timeout: within [(F-1) x interval, F x interval], and with the same seed (the same checker
/// phases) exactly the 4 s HTTP probe timeout sooner than one that leaves probes to time out, since
/// every checker's results come that much earlier.
#[test]
fn a_dark_region_that_refuses_probes_is_detected_a_probe_timeout_sooner() {
    for (interval, threshold) in [(10u64, 1u32), (10, 3), (30, 3)] {
        let fault_at = 100;
        let window = interval * u64::from(threshold);
        let config = |probes| {
            let mut config = world(
                fault_at + window + 40,
                vec![],
                RoutingConfig { route53: Some(route53(60, interval, threshold)), ..RoutingConfig::default() },
            );
            let kind = FaultKind::RegionOutage { region: EAST, scope: OutageScope::Region, probes };
            config.faults.push(FaultConfig { kind, start: at(fault_at), end: None });
            config
        };
        let (refused, timed_out) = (config(ProbeAnswer::Refused), config(ProbeAnswer::TimeOut));
        for seed in 0..20 {
            let quick = detected(&go(&refused, seed)) - at(fault_at);
            let slow = detected(&go(&timed_out, seed)) - at(fault_at);
            let (lower, upper) = (secs(interval * u64::from(threshold - 1)), secs(window));
            assert!(lower <= quick && quick <= upper, "{interval} s x {threshold}, seed {seed}: {quick}");
            assert_eq!(slow - quick, secs(4), "{interval} s x {threshold}, seed {seed}: {slow} vs {quick}");
        }
    }
}

/// oracles.md section 4 end to end: once Route 53 stops answering EAST, resolvers still hand it
/// out until their copies expire; with every cache honouring the TTL and refreshed by a steady
/// stream of queries, the share of requests still reaching EAST falls as 1 - t/TTL, so the mean
/// time a client keeps going to the dead Region is detection + TTL/2.
#[test]
fn dns_failover_takes_detection_plus_half_the_ttl() {
    let ttl = 60;
    let mut config = world(
        400,
        vec![clients(1000.0, via(Entry::Route53))],
        RoutingConfig { route53: Some(route53(ttl, 10, 3)), ..RoutingConfig::default() },
    );
    let fault_at = 120u64;
    config.faults.push(outage(OutageScope::Region, fault_at, None));
    let out = go(&config, 7);
    let detection = (detected(&out) - at(fault_at)).as_secs_f64();
    let start = fault_at as usize;
    let shares: Vec<f64> = (start..start + 150).map(|s| east_share(&out, s)).collect();
    assert!(shares[..20].iter().all(|&s| s > 0.99), "before detection everything still goes to EAST");
    // Each interval's share counts as that many seconds of a client's time on EAST.
    let mean_time_on_east: f64 = shares.iter().sum();
    let expected = detection + ttl as f64 / 2.0;
    assert!((mean_time_on_east - expected).abs() < 2.0, "{mean_time_on_east} s vs detection + TTL/2 = {expected} s");
    let d = detection.ceil() as usize;
    let half = shares[d + 30];
    assert!((half - 0.5).abs() < 0.08, "half the caches switched after TTL/2: {half}");
    assert!(shares[d + ttl as usize + 2..].iter().all(|&s| s == 0.0), "everyone switched by the TTL");
    let timing = models::timing::failover_timing(&out.recorder, &out.recorder.faults[0], Some(EAST), at(400));
    let convergence = timing.routing_convergence.expect("converged").as_secs_f64();
    assert!(convergence > detection + 0.95 * ttl as f64 - 2.0 && convergence <= detection + ttl as f64 + 1.0);
}

/// Global Accelerator routes each new connection at the edge: once its health check marks EAST
/// unhealthy, new connections go to WEST at once (no TTL). Connections kept alive stay where they
/// are until they fail or idle out: with a gray failure (health checks fail, requests succeed)
/// nothing resets them, so most traffic stays on EAST.
#[test]
fn global_accelerator_moves_new_connections_at_detection_and_existing_ones_at_reset() {
    let fault_at = 100u64;
    let run_with = |routing: ClientRouting, scope| {
        let mut config = world(
            300,
            vec![clients(500.0, routing)],
            RoutingConfig { accelerator: Some(accelerator()), ..RoutingConfig::default() },
        );
        config.faults.push(outage(scope, fault_at, None));
        go(&config, 3)
    };
    let out = run_with(via(Entry::Accelerator), OutageScope::Region);
    let detection = detected(&out) - at(fault_at);
    assert!(secs(20) + secs(0) <= detection && detection <= secs(30 + 10), "{detection}");
    let d = (fault_at + detection.as_secs_f64().ceil() as u64) as usize;
    assert!(east_share(&out, d - 2) > 0.99);
    assert!((d..280).all(|s| east_share(&out, s) == 0.0), "no TTL: every new connection after detection goes west");

    // A thousand users, each sending about one request every two seconds on a kept-alive
    // connection: by the fault every one of them has a connection to EAST.
    let kept = ClientRouting { keep_alive_idle: Some(secs(600)), ..via(Entry::Accelerator) };
    let run_kept = |scope| {
        let mut config = world(
            300,
            vec![clients(500.0, kept.clone())],
            RoutingConfig { accelerator: Some(accelerator()), ..RoutingConfig::default() },
        );
        config.populations[0].users = 1000;
        config.faults.push(outage(scope, fault_at, None));
        let out = go(&config, 3);
        let d = (fault_at as f64 + (detected(&out) - at(fault_at)).as_secs_f64().ceil()) as usize;
        (out, d)
    };
    // Gray failure: the health check fails, requests succeed, so nothing resets the connections.
    let (out, d) = run_kept(OutageScope::HealthEndpoint);
    assert!((d..280).all(|s| east_share(&out, s) > 0.99), "kept-alive connections stay on EAST");
    // A black hole resets each connection on its next request (a 1 s timeout); its next
    // connection is routed at the edge, to WEST once EAST is marked unhealthy.
    let (out, d) = run_kept(OutageScope::Region);
    assert!(east_share(&out, d + 15) < 0.01, "{}", east_share(&out, d + 15));
}

/// No healthy record (every health endpoint fails): Route 53 answers as if all were healthy,
/// so clients keep reaching the nearest Region, and the answers are counted as fail-open.
#[test]
fn route53_fails_open_when_every_record_is_unhealthy() {
    let mut config = world(
        200,
        vec![clients(200.0, via(Entry::Route53))],
        RoutingConfig { route53: Some(route53(10, 10, 3)), ..RoutingConfig::default() },
    );
    config.faults.push(outage(OutageScope::HealthEndpoint, 50, None));
    config.faults.push(FaultConfig {
        kind: FaultKind::RegionOutage {
            region: WEST,
            scope: OutageScope::HealthEndpoint,
            probes: ProbeAnswer::TimeOut,
        },
        start: at(50),
        end: None,
    });
    let out = go(&config, 1);
    assert!(out.recorder.region_health.iter().any(|&(_, r, h)| r == WEST && !h));
    assert!(out.recorder.fail_open_answers > 0);
    assert!((150..200).all(|s| east_share(&out, s) > 0.99), "fail-open keeps the nearest Region");
    assert_eq!(out.recorder.failed, 0, "a health-endpoint failure alone fails no request");
}

/// Every group unhealthy: the accelerator fails open to the closest group.
#[test]
fn global_accelerator_fails_open_to_the_closest_group() {
    let mut config = world(
        200,
        vec![clients(200.0, via(Entry::Accelerator))],
        RoutingConfig { accelerator: Some(accelerator()), ..RoutingConfig::default() },
    );
    for region in [EAST, WEST] {
        config.faults.push(FaultConfig {
            kind: FaultKind::RegionOutage { region, scope: OutageScope::HealthEndpoint, probes: ProbeAnswer::TimeOut },
            start: at(50),
            end: None,
        });
    }
    let out = go(&config, 2);
    assert!(out.recorder.fail_open_answers > 0);
    assert!((100..200).all(|s| east_share(&out, s) > 0.99));
}

/// ARC: a health check backed by a routing control answers with the control's state, and the
/// safety rule refuses to turn the last control off. Turning EAST's control off moves new
/// resolutions to WEST within the TTL.
#[test]
fn routing_controls_flip_records_and_refuse_all_off() {
    let mut r53 = route53(10, 10, 3);
    for (i, hc) in r53.health_checks.iter_mut().enumerate() {
        hc.routing_control = Some(i);
    }
    let mut config = world(
        200,
        vec![clients(200.0, via(Entry::Route53))],
        RoutingConfig {
            route53: Some(r53),
            routing_controls: vec![
                RoutingControlConfig { name: "east-cell".into(), initially_on: true },
                RoutingControlConfig { name: "west-cell".into(), initially_on: true },
            ],
            ..RoutingConfig::default()
        },
    );
    let flip = |t, control, on| ActionConfig {
        trigger: Trigger::At(at(t)),
        reaction_time: SimDuration::ZERO,
        kind: ActionKind::RoutingControl { control, on },
    };
    config.actions = vec![flip(60, 0, false), flip(120, 1, false)];
    let out = go(&config, 4);
    let actions = &out.recorder.actions;
    assert_eq!(actions[0].outcome, Ok("east-cell off".to_string()));
    let refused = actions[1].outcome.as_ref().expect_err("the safety rule refuses");
    assert!(refused.contains("safety rule"), "{refused}");
    assert!(east_share(&out, 59) > 0.99);
    assert!((71..200).all(|s| east_share(&out, s) == 0.0), "TTL 10 s: everyone on WEST 10 s after the flip");
}

/// A record change is a control-plane call: during a us-east-1 outage (where Route 53's control
/// plane runs) it is refused, and the report says why; triggered by "EAST unhealthy for 30 s" it
/// fires 30 s after detection plus the operator's reaction time.
#[test]
fn record_changes_fail_while_the_control_plane_is_out_and_triggers_wait_for_their_condition() {
    let mut config = world(
        300,
        vec![clients(50.0, via(Entry::Route53))],
        RoutingConfig { route53: Some(route53(60, 10, 3)), ..RoutingConfig::default() },
    );
    config.faults.push(outage(OutageScope::Region, 100, Some(250)));
    let change = ActionKind::Route53RecordChange { record: 0, weight: None, present: Some(false) };
    config.actions = vec![
        ActionConfig { trigger: Trigger::At(at(150)), reaction_time: SimDuration::ZERO, kind: change.clone() },
        ActionConfig {
            trigger: Trigger::RegionUnhealthy { region: EAST, for_: secs(30) },
            reaction_time: secs(120),
            kind: ActionKind::Repin { from: EAST, to: WEST },
        },
    ];
    let out = go(&config, 5);
    let refused = out.recorder.actions[0].outcome.as_ref().expect_err("refused");
    assert!(refused.contains("control plane (us-east-1) is unavailable"), "{refused}");
    let detection = detected(&out);
    let repin = &out.recorder.actions[1];
    assert_eq!(repin.action, 1);
    assert_eq!(repin.at, detection + secs(30) + secs(120));
}

/// Client caches hold answers past the resolver's TTL: a JVM-style fixed 30 s cache adds up to
/// 30 s to the switch (mean 15 s) on top of a 10 s TTL.
#[test]
fn client_caches_delay_the_switch() {
    let run_with = |cache| {
        let mut config = world(
            300,
            vec![clients(1000.0, ClientRouting { client_cache: cache, ..via(Entry::Route53) })],
            RoutingConfig { route53: Some(route53(10, 10, 3)), ..RoutingConfig::default() },
        );
        // A thousand busy users (one request a second each), so their caches stay warm.
        config.populations[0].users = 1000;
        config.faults.push(outage(OutageScope::Region, 100, None));
        let out = go(&config, 6);
        let detection = (detected(&out) - at(100)).as_secs_f64();
        let time_on_east: f64 = (100..300).map(|s| east_share(&out, s)).sum();
        time_on_east - detection
    };
    let plain = run_with(ClientCache::None);
    let jvm = run_with(ClientCache::Fixed(secs(30)));
    assert!((plain - 5.0).abs() < 1.5, "TTL/2 = 5 s after detection: {plain}");
    // A fixed 30 s cache adds its mean residual, 15 s.
    assert!((jvm - plain - 15.0).abs() < 3.0, "the client cache holds the old answer longer: {jvm} vs {plain}");
}

/// Deep health checks that depend on the Aurora writer fail in every Region at once when the
/// writer's Region loses its Aurora cluster: every record is unhealthy, Route 53 fails open, and
/// clients stay on the nearest Region (a shallow check would have kept WEST healthy).
#[test]
fn deep_checks_on_the_writer_fail_everywhere_and_route53_fails_open() {
    use models::stores::aurora::{AuroraConfig, Secondary};
    let run_with = |deep: bool| {
        let mut r53 = route53(10, 10, 3);
        if deep {
            for hc in &mut r53.health_checks {
                hc.dependencies = vec![StoreId::new(1)];
            }
        }
        let mut config = world(
            200,
            vec![clients(200.0, via(Entry::Route53))],
            RoutingConfig { route53: Some(r53), ..RoutingConfig::default() },
        );
        let aurora = AuroraConfig::new(EAST, vec![Secondary { region: WEST, headless: false }]);
        config.stores.push(StoreConfig {
            kind: StoreKind::AuroraGlobal(Box::new(aurora)),
            name: "orders".into(),
            regions: vec![EAST, WEST],
            replication_delay: Dist::Constant(0.0),
            replication_retry_interval: secs(1),
            catch_up_rate: models::stores::quorum::DEFAULT_CATCH_UP_RATE,
            idempotency: false,
            per_item_order: true,
        });
        config.faults.push(FaultConfig {
            kind: FaultKind::RegionOutage {
                region: EAST,
                scope: OutageScope::Store(StoreId::new(1)),
                probes: ProbeAnswer::TimeOut,
            },
            start: at(50),
            end: None,
        });
        go(&config, 8)
    };
    let deep = run_with(true);
    for region in [EAST, WEST] {
        assert!(deep.recorder.region_health.iter().any(|&(_, r, h)| r == region && !h), "{region:?} unhealthy");
    }
    assert!(deep.recorder.fail_open_answers > 0);
    assert!((120..200).all(|s| east_share(&deep, s) > 0.99), "fail-open: the nearest Region still");
    let shallow = run_with(false);
    assert!(shallow.recorder.region_health.is_empty(), "a shallow check sees nothing wrong");
    assert_eq!(shallow.recorder.fail_open_answers, 0);
}

fn cloudfront(connection_timeout: u64, connection_attempts: u32) -> models::routing::config::CloudFrontConfig {
    models::routing::config::CloudFrontConfig {
        primary: EAST,
        secondary: WEST,
        status_codes: vec![500, 502, 503, 504],
        connection_timeout: secs(connection_timeout),
        connection_attempts,
    }
}

/// CloudFront sends every GET to the primary origin first. A dark primary costs the connection
/// timeout times the attempts before the secondary is asked: 1 s x 1 fits in the clients' 3 s
/// timeout, so every read succeeds; the default 10 s x 3 does not, so every read in the outage
/// fails and none reaches the secondary in time. An error status from the primary (its app tier
/// out: 503) sends the GET on at once, whatever the connection settings.
#[test]
fn cloudfront_fails_reads_over_after_the_connection_wait_or_at_once_on_a_status_code() {
    let run_with = |cf, scope| {
        let routing = ClientRouting { reads_via_cloudfront: true, ..ClientRouting::default() };
        let mut population = clients(100.0, routing);
        population.timeout = secs(3);
        let mut config =
            world(150, vec![population], RoutingConfig { cloudfront: Some(cf), ..RoutingConfig::default() });
        config.faults.push(outage(scope, 50, Some(100)));
        go(&config, 9)
    };
    let in_outage =
        |out: &RunOutput| (50..100).map(|s| out.recorder.regions[0].requests.get(s).unwrap_or(0)).sum::<u64>();
    let quick = run_with(cloudfront(1, 1), OutageScope::Region);
    assert_eq!(quick.recorder.failed, 0);
    assert_eq!(quick.recorder.origin_failovers, in_outage(&quick), "every read sent in the outage went on to WEST");
    let default = run_with(cloudfront(10, 3), OutageScope::Region);
    assert_eq!(default.recorder.origin_failovers, 0);
    assert_eq!(default.recorder.failed, in_outage(&default), "every read sent in the outage timed out");
    let status = run_with(cloudfront(10, 3), OutageScope::AppTier);
    assert_eq!(status.recorder.failed, 0);
    assert_eq!(status.recorder.origin_failovers, in_outage(&status));
}

/// An alarm on EAST's error rate (Average over 10 s periods, above 0.5, one datapoint) goes into
/// ALARM at the first period boundary after the outage's timeouts start (the period [50 s, 60 s)
/// is mostly 1 s timeouts), and sets off the action it triggers at that boundary.
#[test]
fn an_alarm_sets_off_its_action_at_the_period_it_breaches() {
    use models::alarm::{AlarmConfig, AlarmMetric, ComparisonOperator, Statistic, TreatMissingData};
    let mut config = world(120, vec![clients(100.0, ClientRouting::default())], RoutingConfig::default());
    config.alarms.push(AlarmConfig {
        name: "east-errors".into(),
        metric: AlarmMetric::ErrorRate { region: Some(EAST) },
        statistic: Statistic::Average,
        period: secs(10),
        evaluation_periods: 1,
        datapoints_to_alarm: 1,
        threshold: 0.5,
        comparison_operator: ComparisonOperator::GreaterThanThreshold,
        treat_missing_data: TreatMissingData::Missing,
    });
    config.actions.push(ActionConfig {
        trigger: Trigger::Alarm(0),
        reaction_time: SimDuration::ZERO,
        kind: ActionKind::Repin { from: EAST, to: WEST },
    });
    config.faults.push(outage(OutageScope::Region, 50, None));
    let out = go(&config, 10);
    let alarms: Vec<_> =
        out.recorder.routing_events.iter().filter(|e| e.kind == "alarm").map(|e| (e.at, e.what.as_str())).collect();
    assert_eq!(alarms, vec![(at(10), "east-errors -> OK"), (at(60), "east-errors -> ALARM")]);
    assert_eq!(out.recorder.actions.len(), 1);
    assert_eq!(out.recorder.actions[0].at, at(60));
}

/// A traffic dial is a Global Accelerator control-plane call (us-west-2 here): refused while that
/// control plane is out; otherwise a dial of 0 on EAST sends all of EAST's traffic to WEST.
#[test]
fn traffic_dials_move_traffic_and_fail_without_their_control_plane() {
    let run_with = |control_plane_out: bool| {
        let mut config = world(
            200,
            vec![clients(200.0, via(Entry::Accelerator))],
            RoutingConfig { accelerator: Some(accelerator()), ..RoutingConfig::default() },
        );
        config.actions.push(ActionConfig {
            trigger: Trigger::At(at(100)),
            reaction_time: SimDuration::ZERO,
            kind: ActionKind::TrafficDial { group: 0, percentage: 0.0 },
        });
        if control_plane_out {
            config.faults.push(FaultConfig {
                kind: FaultKind::ControlPlaneOutage { region: WEST },
                start: at(50),
                end: Some(at(150)),
            });
        }
        go(&config, 11)
    };
    let moved = run_with(false);
    assert_eq!(moved.recorder.actions[0].outcome, Ok("us-east-1 dial 0%".to_string()));
    assert!(east_share(&moved, 99) > 0.99);
    assert!((101..200).all(|s| east_share(&moved, s) == 0.0));
    let refused = run_with(true);
    let why = refused.recorder.actions[0].outcome.as_ref().expect_err("refused");
    assert!(why.contains("control plane (us-west-2) is unavailable"), "{why}");
    assert!((101..200).all(|s| east_share(&refused, s) > 0.99));
}
