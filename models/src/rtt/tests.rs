//! Tests of the shipped round-trip matrix: complete, measured figures unchanged, estimates
//! regenerated from their fit, and sane against geography.

use sim_core::SimDuration;

use super::*;
use crate::regions::{KNOWN_REGIONS, great_circle_km};

/// The measured table as mrsim shipped it before the matrix was completed (cloudping snapshot,
/// shared/reference/aws-facts.md), directions apart; the lookup took the mean of the two
/// directions where both were present. Shipped results depend on these figures.
const MEASURED_RTT_MS_BEFORE: &[(&str, &str, f64)] = &[
    ("us-east-1", "us-east-2", 15.1),
    ("us-east-1", "us-west-2", 64.4),
    ("us-east-1", "eu-west-1", 69.6),
    ("us-east-1", "eu-central-1", 93.2),
    ("us-east-1", "ap-northeast-1", 149.7),
    ("us-east-1", "ap-southeast-1", 219.6),
    ("us-east-2", "us-east-1", 16.5),
    ("us-east-2", "us-west-2", 51.2),
    ("us-east-2", "eu-west-1", 80.7),
    ("us-east-2", "eu-central-1", 104.2),
    ("us-east-2", "ap-northeast-1", 136.5),
    ("us-east-2", "ap-southeast-1", 204.5),
    ("us-west-2", "us-east-1", 64.0),
    ("us-west-2", "us-east-2", 50.5),
    ("us-west-2", "eu-west-1", 118.3),
    ("us-west-2", "eu-central-1", 142.8),
    ("us-west-2", "ap-northeast-1", 98.2),
    ("us-west-2", "ap-southeast-1", 160.2),
    ("eu-west-1", "us-east-1", 69.7),
    ("eu-west-1", "us-east-2", 80.2),
    ("eu-west-1", "us-west-2", 118.6),
    ("eu-west-1", "eu-central-1", 27.5),
    ("eu-west-1", "ap-northeast-1", 202.3),
    ("eu-west-1", "ap-southeast-1", 178.5),
    ("eu-central-1", "us-east-1", 92.7),
    ("eu-central-1", "us-east-2", 103.3),
    ("eu-central-1", "us-west-2", 142.4),
    ("eu-central-1", "eu-west-1", 27.0),
    ("eu-central-1", "ap-northeast-1", 227.0),
    ("eu-central-1", "ap-southeast-1", 160.4),
    ("ap-northeast-1", "us-east-1", 149.5),
    ("ap-northeast-1", "us-east-2", 135.6),
    ("ap-northeast-1", "us-west-2", 98.6),
    ("ap-northeast-1", "eu-west-1", 202.5),
    ("ap-northeast-1", "eu-central-1", 227.6),
    ("ap-northeast-1", "ap-southeast-1", 70.6),
    ("ap-southeast-1", "us-east-1", 219.0),
    ("ap-southeast-1", "us-east-2", 203.6),
    ("ap-southeast-1", "us-west-2", 160.9),
    ("ap-southeast-1", "eu-west-1", 179.1),
    ("ap-southeast-1", "eu-central-1", 161.2),
    ("ap-southeast-1", "ap-northeast-1", 70.9),
    ("eu-west-1", "eu-west-2", 14.0),
    ("eu-west-1", "eu-west-3", 20.0),
    ("eu-west-2", "eu-west-3", 11.0),
    ("eu-west-2", "eu-central-1", 18.0),
    ("eu-west-3", "eu-central-1", 12.0),
    ("ap-northeast-1", "ap-northeast-3", 10.0),
    ("ap-northeast-1", "ap-northeast-2", 36.0),
    ("ap-northeast-2", "ap-northeast-3", 25.0),
    ("us-east-1", "sa-east-1", 115.0),
    ("us-east-1", "ap-southeast-2", 200.0),
    ("us-west-2", "ap-southeast-2", 141.0),
];
/// The round trip the table above gave a pair, as the lookup before the matrix computed it.
fn rtt_ms_before(a: &str, b: &str) -> Option<f64> {
    let find = |x: &str, y: &str| MEASURED_RTT_MS_BEFORE.iter().find(|(p, q, _)| *p == x && *q == y).map(|t| t.2);
    match (find(a, b), find(b, a)) {
        (Some(ab), Some(ba)) => Some((ab + ba) / 2.0),
        (one, other) => one.or(other),
    }
}

fn km(a: &str, b: &str) -> f64 {
    great_circle_km(known_region(a).unwrap(), known_region(b).unwrap())
}

/// Ordinary least squares of rtt_ms on great-circle km over the measured pairs, with an
/// intercept: (intercept_ms, slope_ms_per_km).
fn fit_with_intercept(m: &RttMatrix) -> (f64, f64) {
    let points: Vec<(f64, f64)> =
        m.pairs().filter(|(_, _, r)| r.kind == RttKind::Measured).map(|(a, b, r)| (km(a, b), r.rtt_ms)).collect();
    let n = points.len() as f64;
    let (mean_x, mean_y) = (points.iter().map(|p| p.0).sum::<f64>() / n, points.iter().map(|p| p.1).sum::<f64>() / n);
    let sxy: f64 = points.iter().map(|(x, y)| (x - mean_x) * (y - mean_y)).sum();
    let sxx: f64 = points.iter().map(|(x, _)| (x - mean_x).powi(2)).sum();
    let slope = sxy / sxx;
    (mean_y - slope * mean_x, slope)
}

/// |fit - measured| / measured over the measured pairs, ascending.
fn relative_errors(m: &RttMatrix, estimate: impl Fn(f64) -> f64) -> Vec<f64> {
    let mut errors: Vec<f64> = m
        .pairs()
        .filter(|(_, _, r)| r.kind == RttKind::Measured)
        .map(|(a, b, r)| (estimate(km(a, b)) - r.rtt_ms).abs() / r.rtt_ms)
        .collect();
    errors.sort_by(f64::total_cmp);
    errors
}

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 { sorted[n / 2] } else { (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0 }
}

#[test]
fn every_pair_of_known_regions_is_present_once_and_positive() {
    let m = RttMatrix::shipped();
    let n = KNOWN_REGIONS.len();
    assert_eq!(m.pairs().count(), n * (n - 1) / 2, "one row per unordered pair, no more");
    for (i, a) in KNOWN_REGIONS.iter().enumerate() {
        for b in &KNOWN_REGIONS[i + 1..] {
            let rtt = m.get(a.name, b.name).unwrap_or_else(|| panic!("{} / {} has no round trip", a.name, b.name));
            assert!(rtt.rtt_ms > 0.0, "{} / {}: {} ms", a.name, b.name, rtt.rtt_ms);
            assert_eq!(m.get(b.name, a.name), Some(rtt), "either order finds the pair");
        }
    }
}

#[test]
fn the_parser_refuses_duplicates_unknown_regions_and_nonpositive_round_trips() {
    let header = "region_a,region_b,rtt_ms,kind,source\n";
    let ok = RttMatrix::parse("# comment\nregion_a,region_b,rtt_ms,kind,source\nus-east-1,us-west-1,64,estimated,x\n");
    assert_eq!(ok.unwrap().get("us-west-1", "us-east-1").map(|r| r.kind), Some(RttKind::Estimated));
    for (text, expected) in [
        (
            "us-east-1,us-west-1,64,estimated,x\nus-west-1,us-east-1,65,measured,y\n",
            "line 3: us-west-1 / us-east-1 is given twice",
        ),
        ("us-east-1,us-west-9,64,estimated,x\n", "line 2: unknown Region \"us-west-9\""),
        ("us-east-1,us-west-1,0,estimated,x\n", "line 2: rtt_ms is 0; expected a positive number of milliseconds"),
        ("us-east-1,us-east-1,5,measured,x\n", "line 2: us-east-1 is paired with itself"),
        ("us-east-1,us-west-1,64,guessed,x\n", "line 2: kind \"guessed\"; expected measured or estimated"),
        ("us-east-1,us-west-1,64\n", "line 2: found 3 fields; expected 5"),
    ] {
        let text: &'static str = format!("{header}{text}").leak();
        assert_eq!(RttMatrix::parse(text).unwrap_err(), expected);
    }
}

#[test]
fn measured_pairs_are_the_figures_mrsim_always_used() {
    let m = RttMatrix::shipped();
    let mut before_pairs = 0;
    for (a, b, rtt) in m.pairs() {
        match rtt_ms_before(a, b) {
            Some(before) => {
                before_pairs += 1;
                assert_eq!(rtt.kind, RttKind::Measured, "{a} / {b} was measured");
                // The file writes the mean of two directions as a decimal (142.6 where the sum
                // gave 142.60000000000002): equal to within rounding, and to the nanosecond in the
                // one-way base a link gets, which is all a run sees.
                assert!((rtt.rtt_ms - before).abs() < 1e-9, "{a} / {b}: {} ms, was {before} ms", rtt.rtt_ms);
                let base = |ms: f64| SimDuration::from_secs_f64(ms / 2.0 / 1000.0);
                assert_eq!(base(rtt.rtt_ms), base(before), "{a} / {b}: the link's one-way base moved");
            }
            None => assert_eq!(rtt.kind, RttKind::Estimated, "{a} / {b} has no measurement; it must say estimated"),
        }
    }
    assert_eq!(before_pairs, 32, "the snapshot's 32 pairs are all still there");
}

/// The estimated rows, regenerated: on a difference the failure prints the rows to paste.
#[test]
fn estimated_rows_are_regenerated_from_the_fit_to_measured_pairs() {
    let m = RttMatrix::shipped();
    let (intercept_ms, slope_ms_per_km) = fit_with_intercept(&m);
    let stated = format!("rtt_ms = {intercept_ms:.2} ms + {slope_ms_per_km:.6} ms/km");
    assert!(REGION_RTT_CSV.contains(&stated), "the file's comment should state the fit: {stated}");
    let mut expected = String::new();
    let mut found = String::new();
    for line in REGION_RTT_CSV.lines().filter(|l| l.contains(",estimated,")) {
        let [a, b, ..] = line.split(',').collect::<Vec<_>>()[..] else { unreachable!("parsed above") };
        let rtt_ms = intercept_ms + slope_ms_per_km * km(a, b);
        expected.push_str(&format!("{a},{b},{rtt_ms:.1},estimated,great-circle\n"));
        found.push_str(line);
        found.push('\n');
    }
    assert!(found == expected, "regenerated estimated rows differ; expected:\n{expected}");
}

/// The fit the file documents: its residuals over the measured pairs, and why an intercept.
#[test]
fn the_great_circle_fit_is_within_its_documented_residuals() {
    let m = RttMatrix::shipped();
    let (intercept_ms, slope_ms_per_km) = fit_with_intercept(&m);
    assert!((intercept_ms - 13.08).abs() < 0.01 && (slope_ms_per_km - 0.013228).abs() < 1e-6);
    let errors = relative_errors(&m, |km| intercept_ms + slope_ms_per_km * km);
    assert_eq!(errors.len(), 32);
    let median_error = median(&errors);
    assert!((median_error - 0.132).abs() < 0.001, "median |residual| {median_error:.4}, documented 13.2%");
    assert_eq!(errors.iter().filter(|&&e| e <= 0.25).count(), 25, "25 of 32 within 25%");
    assert!((errors[31] - 0.832).abs() < 0.001, "largest |residual| {:.4}, documented 83%", errors[31]);
    // Through the origin (slope = sum xy / sum xx) the median error is worse: the intercept stays.
    let measured = || m.pairs().filter(|(_, _, r)| r.kind == RttKind::Measured);
    let sxy: f64 = measured().map(|(a, b, r)| km(a, b) * r.rtt_ms).sum();
    let sxx: f64 = measured().map(|(a, b, _)| km(a, b).powi(2)).sum();
    let through_origin = median(&relative_errors(&m, |km| sxy / sxx * km));
    assert!((through_origin - 0.168).abs() < 0.001, "through the origin: {through_origin:.4}, documented 16.8%");
    assert!(through_origin > median_error);
    // The slope is light in fibre (about 200 km per ms one way: 0.01 ms per km of round trip)
    // over a path about a third longer than the great circle.
    assert!((1.2..1.5).contains(&(slope_ms_per_km / 0.01)));
}

#[test]
fn estimates_follow_geography() {
    let m = RttMatrix::shipped();
    let rtt = |a: &str, b: &str| m.get(a, b).unwrap().rtt_ms;
    // The pairs: California is nearer Virginia than London is, and Oregon nearer still.
    assert!(rtt("us-east-1", "us-west-1") < rtt("us-east-1", "eu-west-2"));
    assert!(rtt("us-west-1", "us-west-2") < rtt("us-east-1", "us-west-1"));
    assert!(rtt("eu-central-1", "eu-central-2") < rtt("eu-central-1", "eu-west-1"));
    assert!(rtt("af-south-1", "eu-west-1") < rtt("af-south-1", "us-west-2"));
    // Each new Region's nearest Region is its neighbour on the map.
    for (region, nearest) in [
        ("us-west-1", "us-west-2"),
        ("ca-west-1", "us-west-2"),
        ("mx-central-1", "us-east-2"),
        ("eu-central-2", "eu-south-1"),
        ("eu-south-2", "eu-west-3"),
        ("me-central-1", "me-south-1"),
        ("il-central-1", "me-south-1"),
        ("af-south-1", "sa-east-1"),
        ("ap-south-2", "ap-south-1"),
        ("ap-east-2", "ap-east-1"),
        ("ap-southeast-4", "ap-southeast-2"),
        ("ap-southeast-5", "ap-southeast-1"),
        ("ap-southeast-6", "ap-southeast-2"),
        ("ap-southeast-7", "ap-southeast-5"),
    ] {
        let closest = KNOWN_REGIONS
            .iter()
            .filter(|r| r.name != region)
            .min_by(|a, b| rtt(region, a.name).total_cmp(&rtt(region, b.name)))
            .unwrap();
        assert_eq!(closest.name, nearest, "{region}'s nearest Region");
    }
}

/// Estimates never break the triangle inequality among themselves (the line has a positive
/// intercept); where the matrix breaks it, a measured pair is one of the three sides: a measured
/// detour (Europe to Japan) longer than two estimated legs, or a measured leg shorter than the
/// line gives (us-east-1 to eu-west-1) under an estimated long side.
#[test]
fn triangle_inequality_fails_only_where_a_side_is_measured() {
    let m = RttMatrix::shipped();
    let rtt = |a: &str, b: &str| m.get(a, b).unwrap();
    let mut violations = 0;
    for x in KNOWN_REGIONS {
        for z in KNOWN_REGIONS.iter().filter(|z| z.name > x.name) {
            for y in KNOWN_REGIONS.iter().filter(|y| y.name != x.name && y.name != z.name) {
                let sides = [rtt(x.name, z.name), rtt(x.name, y.name), rtt(y.name, z.name)];
                if sides[0].rtt_ms > sides[1].rtt_ms + sides[2].rtt_ms + 1e-9 {
                    violations += 1;
                    let measured = sides.iter().any(|s| s.kind == RttKind::Measured);
                    assert!(measured, "{} / {} via {}: three estimates break the inequality", x.name, z.name, y.name);
                }
            }
        }
    }
    assert_eq!(violations, 73, "the count of triples with a shorter detour changed");
}
