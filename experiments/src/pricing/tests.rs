//! The price list, overrides, and a bill traced by hand: `tests/format/cost.toml` replays eight
//! operations over a 10 s fault phase: three writes of 2 KB items to a two-Region global table and
//! two reads (the read at 3 s failing while us-east-1 is down), two writes and a read of an Aurora
//! global database, and a 512 KB object written to an S3 bucket replicated with RTC.

use std::path::Path;

use sim_core::{Seed, TraceMode};

#[test]
fn the_shipped_list_parses_and_every_item_has_a_price_for_every_region() {
    let p = Prices::shipped();
    for item in p.items() {
        assert!(p.get(item, "sa-east-1").is_some(), "{item} has no * row");
    }
    assert_eq!(p.get("aurora_io_requests_usd_per_million", "ap-northeast-1").map(|p| p.usd), Some(0.24));
    assert_eq!(p.get("aurora_io_requests_usd_per_million", "us-east-1").map(|p| p.usd), Some(0.20));
}

#[test]
fn an_override_of_every_region_replaces_the_regional_rows_and_one_region_only_its_own() {
    let mut p = Prices::shipped();
    p.set("aurora_io_requests_usd_per_million", Some("eu-west-1"), 0.22);
    assert_eq!(p.get("aurora_io_requests_usd_per_million", "eu-west-1").map(|p| p.usd), Some(0.22));
    assert_eq!(p.get("aurora_io_requests_usd_per_million", "ap-northeast-1").map(|p| p.usd), Some(0.24));
    p.set("aurora_io_requests_usd_per_million", None, 0.3);
    assert_eq!(p.get("aurora_io_requests_usd_per_million", "ap-northeast-1").map(|p| p.usd), Some(0.3));
    assert_eq!(p.get("aurora_io_requests_usd_per_million", "us-east-1").unwrap().source, "scenario");
}

#[test]
fn a_bad_row_is_refused_with_its_line() {
    let bad = "item,region,usd,source,date,seen\nx,*,abc,https://aws.amazon.com/x/,2026-12-08,excerpt\n";
    assert_eq!(Prices::parse(bad).unwrap_err(), "line 2: usd \"abc\" is not a number");
    let twice =
        "h\nx,*,1,https://aws.amazon.com/x/,2026-12-08,excerpt\nx,*,2,https://aws.amazon.com/x/,2026-12-08,excerpt\n";
    assert!(Prices::parse(twice).unwrap_err().contains("listed twice"));
}

use super::bill::{CostRow, DowntimeRow};
use super::{HOURS_PER_MONTH, Price, Prices};

fn run(text: &str) -> CostRow {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/format/cost.toml");
    let scenario = crate::scenario::parse(&path, text).expect("the scenario is valid");
    let output = models::run::run(&scenario.world, Seed(0x2a), TraceMode::Off).expect("the run ends");
    crate::report::summary(&scenario, Seed(0x2a), &output).cost.expect("[cost] given")
}

fn shipped_scenario() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/format/cost.toml")).expect("readable")
}

fn line(cost: &CostRow, name: &str) -> f64 {
    let found = cost.infrastructure.lines.iter().find(|l| l.what == name);
    found.unwrap_or_else(|| panic!("no line {name:?}: {:#?}", cost.infrastructure.lines)).usd_per_month
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

#[test]
fn the_hand_traced_bill() {
    let cost = run(&shipped_scenario());
    // 10 s of fault phase is 1/262 800 of a 730-hour month.
    let scale = HOURS_PER_MONTH * 3600.0 / 10.0;
    assert_eq!(cost.infrastructure.month_scale, scale);
    // Three writes of 2 KB items in us-east-1: two write units each, as replicated write units
    // (the table has two replicas), at 0.625 USD per million.
    let writes = 3.0 * scale * 2.0 * 0.625 / 1e6;
    assert!(close(line(&cost, "orders: write request units @ us-east-1"), writes));
    // Each replicated once into us-west-2: the same units there.
    assert!(close(line(&cost, "orders: replicated write request units @ us-west-2"), writes));
    // One read served (the other failed): one read unit per 4 KB, at the overridden 0.25.
    assert!(close(line(&cost, "orders: read request units @ us-east-1"), 1.0 * scale * 0.25 / 1e6));
    // Three replication messages of 2 KB out of us-east-1, at 0.02 USD per GB.
    let gb = 3.0 * scale * 2.0 / (1024.0 * 1024.0);
    assert!(close(line(&cost, "orders: replication out, GB @ us-east-1"), gb * 0.02));
    // Provisioned: 10 WCU and 20 RCU in each replica for 730 hours; us-west-2's read price overridden.
    assert!(close(line(&cost, "sessions: write capacity unit-hours @ us-west-2"), 10.0 * 730.0 * 0.00065));
    assert!(close(line(&cost, "sessions: read capacity unit-hours @ us-east-1"), 20.0 * 730.0 * 0.00013));
    assert!(close(line(&cost, "sessions: read capacity unit-hours @ us-west-2"), 20.0 * 730.0 * 0.0002));
    // Two db.r6g.xlarge in each Region's cluster.
    assert!(close(line(&cost, "ledger: instance-hours @ us-west-2"), 2.0 * 730.0 * 0.519));
    // Aurora: two writes at 2 I/Os each and a read at 0.5 in us-east-1, at 0.20 USD per million;
    // each write replicated into us-west-2 (2 replicated write I/Os each), and two messages of
    // 1 KB between the Regions.
    let io = (2.0 * 2.0 + 0.5) * scale * 0.20 / 1e6;
    assert!(close(line(&cost, "ledger: I/O requests @ us-east-1"), io));
    let replicated_io = 2.0 * 2.0 * scale * 0.20 / 1e6;
    assert!(close(line(&cost, "ledger: replicated write I/Os @ us-west-2"), replicated_io));
    let ledger_gb = 2.0 * scale / (1024.0 * 1024.0);
    assert!(close(line(&cost, "ledger: replication out, GB @ us-east-1"), ledger_gb * 0.02));
    // S3 with RTC: one 512 KB object replicated to us-west-2, a PUT there (0.005 USD per
    // thousand), RTC on its GB (0.015), and its GB out of us-east-1.
    let object_gb = 512.0 * scale / (1024.0 * 1024.0);
    let s3 = scale * 0.005 / 1e3 + object_gb * 0.015 + object_gb * 0.02;
    assert!(close(line(&cost, "assets: replication PUT requests @ us-west-2"), scale * 0.005 / 1e3));
    assert!(close(line(&cost, "assets: Replication Time Control GB @ us-west-2"), object_gb * 0.015));
    assert!(close(line(&cost, "assets: replication out, GB @ us-east-1"), object_gb * 0.02));
    assert_eq!(line(&cost, "compute"), 1000.0);
    let total = 2.0 * writes
        + scale * 0.25 / 1e6
        + gb * 0.02
        + 2.0 * 10.0 * 730.0 * 0.00065
        + 20.0 * 730.0 * (0.00013 + 0.0002)
        + 2.0 * 2.0 * 730.0 * 0.519
        + io
        + replicated_io
        + ledger_gb * 0.02
        + s3
        + 1000.0;
    assert!(close(cost.infrastructure.usd_per_month, total), "{} vs {total}", cost.infrastructure.usd_per_month);
    assert_eq!(cost.infrastructure.lines.len(), 17, "{:#?}", cost.infrastructure.lines);
    assert!(close(cost.infrastructure.usd_per_million_operations, total / (9.0 * scale) * 1e6));

    // One of nine operations failed: a ninth of the 10 s fault phase is client-visible downtime,
    // at 3 600 USD an hour, plus 0.5 USD for the failed operation; the fault's median outage
    // (1.02 s) reaches 500 ms: one incident, 100 USD. Two such incidents a year.
    let d = &cost.downtime;
    let hours = (1.0 / 9.0) * 10.0 / 3600.0;
    let revenue = 3600.0 * hours + 0.5;
    let expected = DowntimeRow {
        operations_ended: 9,
        operations_failed: 1,
        availability: 1.0 - 1.0 / 9.0,
        downtime_hours: hours,
        revenue_lost_usd: revenue,
        sla_incidents: 1,
        sla_penalties_usd: 100.0,
        lost_writes: 0,
        lost_writes_usd: 0.0,
        usd: revenue + 100.0,
        downtime_hours_per_year: Some(hours * 2.0),
        availability_per_year: Some(1.0 - hours * 2.0 / 8760.0),
        usd_per_year: Some((revenue + 100.0) * 2.0),
        total_usd_per_year: Some(cost.infrastructure.usd_per_month * 12.0 + (revenue + 100.0) * 2.0),
    };
    assert_eq!(d, &expected);
}

#[test]
fn a_longer_incident_threshold_is_no_incident_and_lost_writes_are_priced() {
    let text = shipped_scenario().replace("sla_incident_min_outage = \"500ms\"", "sla_incident_min_outage = \"2s\"");
    assert_eq!(run(&text).downtime.sla_incidents, 0);
    let outcome = super::bill::Outcome {
        operations_started: 4,
        operations_succeeded: 4,
        operations_failed: 0,
        lost_writes: 3,
        fault_outage_p50_s: vec![],
    };
    let scenario = crate::scenario::parse(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/format/cost.toml"),
        &shipped_scenario(),
    )
    .expect("valid");
    let pricing = scenario.pricing.as_ref().expect("[cost]");
    let usage = models::report::Usage {
        reads: vec![vec![0; 2]; 4],
        writes: vec![vec![0; 2]; 4],
        replicated: vec![vec![0; 2]; 4],
        messages: vec![vec![0; 4]; 4],
        attempts: vec![[0, 0]],
        route53_queries: vec![0],
    };
    let cost = super::bill::bill(pricing, &scenario.world, &usage, &outcome);
    assert_eq!(cost.downtime.lost_writes_usd, 75.0);
    assert_eq!(cost.downtime.usd, 75.0);
}

#[test]
fn an_override_changes_only_its_line() {
    let cheap = shipped_scenario()
        .replace("[cost.prices]\n", "[cost.prices]\n\"aurora_instance_db.r6g.xlarge_usd_per_hour@us-west-2\" = 0.1\n");
    let (base, cheap) = (run(&shipped_scenario()), run(&cheap));
    assert!(close(line(&cheap, "ledger: instance-hours @ us-west-2"), 2.0 * 730.0 * 0.1));
    assert_eq!(line(&cheap, "ledger: instance-hours @ us-east-1"), line(&base, "ledger: instance-hours @ us-east-1"));
    assert!(close(base.infrastructure.usd_per_month - cheap.infrastructure.usd_per_month, 2.0 * 730.0 * (0.519 - 0.1)));
}

#[test]
fn price_sources_are_kept_and_an_override_says_so() {
    let p = Prices::shipped();
    let ga = p.get("global_accelerator_usd_per_hour", "us-east-1").expect("listed");
    assert_eq!(ga, &Price { usd: 0.025, source: "https://aws.amazon.com/global-accelerator/pricing/".into() });
}

/// Bad `[cost]` input: an error naming the key, before anything runs.
fn errors(edit: impl Fn(String) -> String) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/format/cost.toml");
    match crate::scenario::parse(&path, &edit(shipped_scenario())) {
        Ok(_) => panic!("accepted"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_cost_input_is_an_error_at_its_key() {
    let e = errors(|s| s.replace("item_size_kb = 2.0", "item_size_kb = -2.0"));
    assert!(
        e.contains("cost.store[0].item_size_kb: -2 is not an amount; expected a finite number of 0 or more"),
        "{e}"
    );
    let e = errors(|s| s.replace("name = \"orders\"\nitem_size_kb", "name = \"order\"\nitem_size_kb"));
    assert!(e.contains("cost.store[0].name: store \"order\" is not declared"), "{e}");
    let e =
        errors(|s| s.replace("dynamodb_on_demand_read_request_units_usd_per_million = 0.25", "dynamo_reads = 0.25"));
    assert!(e.contains("cost.prices.dynamo_reads: \"dynamo_reads\" is not an item of the price list"), "{e}");
    let e = errors(|s| s.replace("@us-west-2", "@eu-west-1"));
    assert!(e.contains("Region \"eu-west-1\" is not declared in this scenario"), "{e}");
    let e = errors(|s| s.replace("db.r6g.xlarge", "db.x9.huge"));
    assert!(
        e.contains("cost.store[2].instance_class: \"db.x9.huge\" has no price; expected one of db.r6g.2xlarge"),
        "{e}"
    );
    let e = errors(|s| s.replace("capacity_mode = \"provisioned\"", "capacity_mode = \"reserved\""));
    assert!(e.contains("cost.store[1].capacity_mode: \"reserved\"; expected \"on_demand\" or \"provisioned\""), "{e}");
    let e = errors(|s| s.replace("item_size_kb = 2.0", "item_size_kb = 2.0\ninstances = 3"));
    assert!(e.contains("cost.store[0].instances: applies to Aurora global databases only"), "{e}");
    let e = errors(|s| s.replace("revenue_usd_per_hour = 3600.0", "revenue_usd_per_hour = nan"));
    assert!(e.contains("cost.revenue_usd_per_hour: NaN is not an amount"), "{e}");
    let e = errors(|s| s.replace("response_size_kb = 4.0", "response_size = 4.0"));
    assert!(e.contains("unknown field `response_size`"), "{e}");
}

#[test]
fn the_routing_tier_by_hand() {
    // tests/format/routing.toml (10 minutes): a Route 53 health check every 10 s and one of a
    // routing control, Global Accelerator and CloudFront; its second population now enters through
    // the accelerator and reads through CloudFront.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/format/routing.toml");
    let text = std::fs::read_to_string(&path).expect("readable").replace(
        "entry = \"route53\"\nclient_cache = { fixed = \"30s\" }",
        "entry = \"global_accelerator\"\nreads_via_cloudfront = true",
    ) + "\n[cost]\n";
    let scenario = crate::scenario::parse(&path, &text).expect("valid");
    let usage = models::report::Usage {
        reads: vec![vec![0; 2]],
        writes: vec![vec![0; 2]],
        replicated: vec![vec![0; 2]],
        messages: vec![vec![0; 4]],
        attempts: vec![[100, 50], [200, 40]],
        route53_queries: vec![30, 0],
    };
    let outcome = super::bill::Outcome {
        operations_started: 390,
        operations_succeeded: 390,
        operations_failed: 0,
        lost_writes: 0,
        fault_outage_p50_s: vec![],
    };
    let cost = super::bill::bill(scenario.pricing.as_ref().expect("[cost]"), &scenario.world, &usage, &outcome);
    let scale = HOURS_PER_MONTH * 3600.0 / 600.0;
    let gb = 1.0 / (1024.0 * 1024.0);
    assert_eq!(line(&cost, "Route 53 health check use1"), 0.5);
    assert_eq!(line(&cost, "Route 53 health check use1: fast interval"), 1.0);
    assert!(close(line(&cost, "Route 53 queries of dns"), 30.0 * scale * 0.60 / 1e6));
    assert!(close(line(&cost, "Global Accelerator hours"), 730.0 * 0.025));
    // Its reads go through CloudFront: the accelerator carries the writes.
    assert!(close(line(&cost, "Global Accelerator DT-Premium GB of jvm"), 40.0 * scale * gb * 0.015));
    assert!(close(line(&cost, "CloudFront HTTPS requests of jvm"), 200.0 * scale * 0.01 / 1e4));
    assert!(close(line(&cost, "CloudFront data transfer out GB of jvm"), 200.0 * scale * gb * 0.085));
    let names: Vec<&str> = cost.infrastructure.lines.iter().map(|l| l.what.as_str()).collect();
    // No line for the routing control's check, the other population's accelerator or CloudFront
    // use, nor for what was not used.
    assert_eq!(
        names,
        [
            "orders: instance-hours @ us-east-1",
            "orders: instance-hours @ us-west-2",
            "Route 53 health check use1",
            "Route 53 health check use1: fast interval",
            "Route 53 queries of dns",
            "Global Accelerator hours",
            "Global Accelerator DT-Premium GB of jvm",
            "CloudFront HTTPS requests of jvm",
            "CloudFront data transfer out GB of jvm",
        ]
    );
}
