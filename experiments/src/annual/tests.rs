use std::path::Path;

use super::*;

/// One Region, one table, 50 operations a second; `faults` and `annual` as given.
fn scenario(duration: &str, faults: &str, annual: &str) -> Scenario {
    let text = format!(
        r#"
[scenario]
name = "annual-test"
duration = "{duration}"
drain_max = "5m"
metrics_interval = "1m"

[[region]]
name = "us-east-1"

[[region]]
name = "eu-west-1"

[[store]]
name = "users"
type = "quorum"
regions = ["us-east-1"]
write_quorum = 1
read_quorum = 1

[[population]]
name = "clients"
region = "us-east-1"
access_latency = "10ms"
rate = 50.0
read_fraction = 0.7
store = "users"
keys = {{ uniform = 1000 }}
timeout = "1s"
retry = {{ max_attempts = 2, base_delay = "100ms", max_delay = "200ms" }}

{faults}

[cost]
revenue_usd_per_hour = 3600.0

[cost.annual]
{annual}
"#
    );
    crate::scenario::parse(Path::new("annual-test.toml"), &text).unwrap_or_else(|e| panic!("{e}"))
}

/// The shortcut against the whole horizon simulated at once: two outages (10 and 5 minutes) in
/// one simulated hour, run once in full detail and once as two outage runs (2 minutes of warm-up,
/// 10 of drain) plus the quiet run for the remaining 21 minutes. Both measure the hours of failed
/// operations, so they agree but for (a) the runs' own random arrivals: about 45 000 of 180 000
/// operations fail, a binomial share whose standard error is under 0.3% of the downtime, and (b)
/// each outage's edges (an operation begun before the outage times out within 1 s plus a retry):
/// seconds against 15 minutes. Hence a 2% tolerance. Against the closed form too: one Region
/// and nowhere to go, so every operation during an outage fails and the downtime is the outages'
/// length, 0.25 hours.
#[test]
fn the_shortcut_agrees_with_a_full_run_of_the_same_outages() {
    let faults = r#"
[[fault]]
type = "region_outage"
region = "us-east-1"
start = "10m"
end = "20m"

[[fault]]
type = "region_outage"
region = "us-east-1"
start = "35m"
end = "40m"
"#;
    let full = measure(&scenario("60m", faults, ""), Seed(1), "full").unwrap();
    let base = scenario("60m", "", "");
    let annual = &base.pricing.as_ref().unwrap().annual;
    let quiet = measure(&incident_scenario(&base, annual, None), Seed(2), "quiet").unwrap();
    let runs: Vec<Measured> = [(600, 3), (300, 4)]
        .iter()
        .map(|&(secs, seed)| {
            let s = incident_scenario(&base, annual, Some(SimDuration::from_secs(secs)));
            assert_eq!(s.world.duration, SimDuration::from_secs(120 + secs + 600), "warm-up + outage + drain");
            measure(&s, Seed(seed), "outage").unwrap()
        })
        .collect();
    let quiet_rates = Quiet {
        failed_share: quiet.downtime.downtime_hours / quiet.hours,
        usd_per_hour: quiet.downtime.usd / quiet.hours,
    };
    let shortcut = combine(&runs, &quiet_rates, 1.0);
    assert!((shortcut.incident_window_hours - 39.0 / 60.0).abs() < 1e-9);
    let (a, b) = (full.downtime.downtime_hours, shortcut.downtime_hours);
    assert!((a - b).abs() <= 0.02 * a, "full run {a} h, shortcut {b} h");
    assert!((b - 0.25).abs() <= 0.02 * 0.25, "closed form 0.25 h, shortcut {b} h");
    assert!((shortcut.usd - 3600.0 * b).abs() < 1e-6, "revenue per hour of downtime, nothing else priced");
    assert_eq!(quiet.downtime.operations_failed, 0, "no fault, no failure");
}

/// Poisson counts: deterministic per seed and year, mean and P(0) as the law says (20 000 draws:
/// the mean's standard error is 0.009 at mean 1.5, P(0)'s 0.0017).
#[test]
fn poisson_counts_and_durations_are_deterministic_per_seed_and_follow_the_law() {
    let annual = scenario("10m", "", "region_outages_per_year = 1.5\nregion_outage_duration = \"uniform(1h, 3h)\"")
        .pricing
        .unwrap()
        .annual;
    assert_eq!(draw_year(&annual, Seed(9), 4), draw_year(&annual, Seed(9), 4));
    let years: Vec<Vec<Incident>> = (0..20_000).map(|y| draw_year(&annual, Seed(9), y)).collect();
    assert_ne!(years[..50], (0..50).map(|y| draw_year(&annual, Seed(10), y)).collect::<Vec<_>>()[..]);
    let n = years.len() as f64;
    let mean = years.iter().map(Vec::len).sum::<usize>() as f64 / n;
    let zero = years.iter().filter(|y| y.is_empty()).count() as f64 / n;
    assert!((mean - 1.5).abs() < 0.04, "mean {mean}");
    assert!((zero - libm::exp(-1.5)).abs() < 0.008, "P(0) {zero}");
    let hours: Vec<f64> = years.iter().flatten().map(|i| i.duration.as_secs_f64() / 3600.0).collect();
    assert!(hours.iter().all(|&h| (1.0..=3.0).contains(&h)));
    let mean_hours = hours.iter().sum::<f64>() / hours.len() as f64;
    assert!((mean_hours - 2.0).abs() < 0.02, "uniform(1h, 3h) has mean 2 h: {mean_hours}");
}

/// The same years with 1 and 2 threads give the same bytes.
#[test]
fn output_is_identical_for_one_and_two_threads() {
    let s = scenario(
        "5m",
        "",
        "region_outages_per_year = 2.0\nregion_outage_duration = \"exp(mean=2m)\"\nwarm_up = \"30s\"\ndrain = \"1m\"",
    );
    let (r1, rows1) = simulate(&s, 6, Seed(3), Some(1)).unwrap();
    let (r2, rows2) = simulate(&s, 6, Seed(3), Some(2)).unwrap();
    assert!(r1.outages > 0, "the case must run outages to compare");
    assert_eq!(files(&r1, &rows1).unwrap(), files(&r2, &rows2).unwrap());
    assert!(rows1.iter().all(|r| r.downtime_hours > 0.0 || r.outages == 0));
}

/// Percentiles are nearest-rank over the years.
#[test]
fn spread_is_nearest_rank() {
    let values: Vec<f64> = (1..=100).rev().map(f64::from).collect();
    let s = spread(&values);
    assert_eq!((s.mean, s.p50, s.p90, s.p99, s.max), (50.5, 50.0, 90.0, 99.0, 100.0));
    assert_eq!(spread(&[7.0]).p99, 7.0);
}

#[test]
fn bad_input_names_the_key() {
    let parse = |annual: &str| {
        let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/format/cost.toml"))
            .unwrap()
            .replace("[cost.annual]\n", &format!("[cost.annual]\n{annual}\n"));
        let text = text.replace("region = \"us-west-2\"\nregion_outages_per_year = 2.5", "");
        crate::scenario::parse(Path::new("t.toml"), &text).err().map(|e| e.to_string()).unwrap_or_default()
    };
    let cases = [
        ("region = \"nowhere\"", "cost.annual.region: Region \"nowhere\" is not declared"),
        ("region_outages_per_year = -1.0", "cost.annual.region_outages_per_year: -1 is not an amount"),
        ("region_outages_per_year = 5000.0", "cost.annual.region_outages_per_year: 5000; expected at most 1000"),
        ("colour = 1", "unknown field `colour`"),
    ];
    for (given, expected) in cases {
        let e = parse(given);
        assert!(e.contains(expected), "{given}: {e}");
    }
    let mut s = scenario("5m", "", "");
    s.pricing = None;
    let e = simulate(&s, 1, Seed(1), Some(1)).unwrap_err().message;
    assert!(e.contains("has no [cost]"), "{e}");
    let e = simulate(&scenario("5m", "", ""), 0, Seed(1), Some(1)).unwrap_err().message;
    assert!(e.contains("--years 0"), "{e}");
}
