//! `histograms.csv`: the distributions a run measured, in fixed buckets, so figures (latency,
//! staleness and per-client outage CDFs) can be drawn from a run folder without running it again.
//!
//! Rows are `metric,le,count`: `metric` is the distribution's path in summary.json
//! (`latency_ms.read`, `latency_ms.write`, `operations.latency_ms`, `reads.staleness_ms`,
//! `replication_lag_ms`, and `faults.{i}.failover.client_outage_s` for every fault), its unit
//! last in the name; `le` is a bucket's upper bound in that unit, `inf` for the last; `count` how
//! many values fell in the bucket. Only non-empty buckets are written, in increasing order, so a
//! metric with nothing recorded has no row, and the counts of a metric sum to the `count` summary.json
//! gives it (for a client outage, `clients` less `unrecovered`: the outages that ended).
//!
//! Buckets: ten per decade, the rounded R10 series (1, 1.25, 1.6, 2, 2.5, 3.15, 4, 5, 6.3, 8 times a
//! power of ten) from 0.001 to 8e6 of the unit, then `inf`; the same bounds for every run, so
//! folders can be compared bucket by bucket. Bounds are integers of nanoseconds, so no float
//! rounding decides a bucket. A value is placed by the upper end of the run's histogram bucket that
//! holds it (`sim_core::Histogram`, relative resolution 2^-8): a value less than 0.4% below a bound
//! may be counted in the next bucket, never in an earlier one, so the CDF these rows give at `le` is
//! never above the true one.

use models::run::RunOutput;
use sim_core::{Histogram, SimTime};

use crate::scenario::Scenario;

/// The R10 mantissas in hundredths.
const MANTISSAS: [u64; 10] = [100, 125, 160, 200, 250, 315, 400, 500, 630, 800];
/// Decades of the bounds: 10^-3 .. 10^6 of the unit.
const DECADES: u32 = 10;

/// Nanoseconds in a unit of the written bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Milliseconds,
    Seconds,
}

impl Unit {
    fn nanos(self) -> u64 {
        match self {
            Unit::Milliseconds => 1_000_000,
            Unit::Seconds => 1_000_000_000,
        }
    }
}

/// The finite bucket bounds in nanoseconds, increasing.
pub fn bounds_nanos(unit: Unit) -> Vec<u64> {
    let mut bounds = Vec::with_capacity(MANTISSAS.len() * DECADES as usize);
    for decade in 0..DECADES {
        for m in MANTISSAS {
            // m / 100 * 10^(decade - 3) units: exact in integers since a unit is >= 10^6 ns, and
            // at most 8e6 s = 8e15 ns, far inside u64.
            bounds.push(m * unit.nanos() / 100_000 * 10u64.pow(decade));
        }
    }
    bounds
}

/// The non-empty fixed buckets of `h` as (`le` text, count), increasing.
pub fn fixed_buckets(h: &Histogram, unit: Unit) -> Vec<(String, u64)> {
    let bounds = bounds_nanos(unit);
    let mut counts = vec![0u64; bounds.len() + 1];
    for (_, high, count) in h.iter_buckets() {
        let index = bounds.partition_point(|&b| b < high);
        counts[index] += count;
    }
    let label = |i: usize| match bounds.get(i) {
        Some(&b) => (b as f64 / unit.nanos() as f64).to_string(),
        None => "inf".to_string(),
    };
    counts.iter().enumerate().filter(|&(_, &c)| c > 0).map(|(i, &c)| (label(i), c)).collect()
}

/// `histograms.csv` of a finished run.
pub fn histograms_csv(scenario: &Scenario, run: &RunOutput) -> Result<Vec<u8>, String> {
    let r = &run.recorder;
    let mut metrics: Vec<(String, Histogram, Unit)> = vec![
        ("latency_ms.read".into(), r.read_latency.clone(), Unit::Milliseconds),
        ("latency_ms.write".into(), r.write_latency.clone(), Unit::Milliseconds),
        ("operations.latency_ms".into(), r.operation_latency.clone(), Unit::Milliseconds),
        ("reads.staleness_ms".into(), r.staleness.clone(), Unit::Milliseconds),
        ("replication_lag_ms".into(), r.replication_lag.clone(), Unit::Milliseconds),
    ];
    let phase_end = SimTime::at(scenario.world.duration);
    for (i, w) in r.faults.iter().enumerate() {
        let region = match &run.faults[w.fault].kind {
            models::config::FaultKind::RegionOutage { region, .. } => Some(*region),
            _ => None,
        };
        let timing = models::timing::failover_timing(r, w, region, phase_end);
        metrics.push((format!("faults.{i}.failover.client_outage_s"), timing.client_outage, Unit::Seconds));
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["metric", "le", "count"]).map_err(|e| e.to_string())?;
    for (name, h, unit) in &metrics {
        for (le, count) in fixed_buckets(h, *unit) {
            w.write_record([name.as_str(), le.as_str(), count.to_string().as_str()]).map_err(|e| e.to_string())?;
        }
    }
    w.into_inner().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_the_r10_series_in_nanoseconds() {
        let ms = bounds_nanos(Unit::Milliseconds);
        assert_eq!(ms.len(), 100);
        assert_eq!(&ms[..4], &[1_000, 1_250, 1_600, 2_000], "0.001 ms, 0.00125 ms, ...");
        assert_eq!(ms[30], 1_000_000, "1 ms");
        assert_eq!(*ms.last().unwrap(), 8_000_000_000_000, "8e6 ms");
        assert!(ms.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(bounds_nanos(Unit::Seconds)[30], 1_000_000_000, "1 s");
    }

    #[test]
    fn values_land_in_their_bucket_by_hand() {
        let mut h = Histogram::new();
        // 1 000 ns has 10 bits: its histogram bucket, 4 ns wide, is [1000, 1003]; its upper end is
        // above the bound 0.001 ms, so it is counted at the next, 0.00125 ms (a value on a bound may
        // count one bucket high).
        h.record(1_000);
        // 255 ns is counted exactly (below 2^8): at the first bound, 0.001 ms.
        h.record(255);
        // 2 ms has 21 bits: bucket [1 998 848, 2 007 039] (2^13 ns wide), ending above the bound
        // 2 ms, so at 2.5 ms; 2.1 ms has 22 bits: bucket [2 097 152, 2 113 535], also at 2.5 ms.
        h.record(2_000_000);
        h.record(2_100_000);
        // 9e6 ms (2.5 hours) is beyond the last bound: inf.
        h.record(9_000_000_000_000);
        let rows = fixed_buckets(&h, Unit::Milliseconds);
        assert_eq!(
            rows,
            vec![("0.001".to_string(), 1), ("0.00125".to_string(), 1), ("2.5".to_string(), 2), ("inf".to_string(), 1)]
        );
        assert_eq!(rows.iter().map(|r| r.1).sum::<u64>(), h.count());
        assert!(fixed_buckets(&Histogram::new(), Unit::Seconds).is_empty());
        let mut s = Histogram::new();
        // 30 s has 35 bits: bucket [29 930 553 344, 30 064 771 071] (2^27 ns wide), between the
        // bounds 25 s and 31.5 s.
        s.record(30_000_000_000);
        assert_eq!(fixed_buckets(&s, Unit::Seconds), vec![("31.5".to_string(), 1)]);
    }
}
