//! Time series bucketed by simulated time: one row per interval, the shape of every "as time series"
//! metric in a report.
//!
//! It owns three accumulators sharing one bucketing rule: bucket `i` covers simulated time
//! `[i * interval, (i + 1) * interval)`, so an event at `t` lands in bucket `floor(t / interval)`.
//! - [`CounterSeries`]: how many things happened per bucket (requests, shed requests, errors).
//! - [`MeanSeries`]: sum and count of `u64` samples per bucket, hence their mean (latency per interval).
//! - [`GaugeSeries`]: a piecewise-constant level (queue length, servers busy), with its time-weighted
//!   mean and its maximum per bucket.
//!
//! Guarantees: all accumulation is in integers (`u64` counts, `u128` sums and level x nanosecond
//! areas), exact and independent of the order of additions; a float appears only when a mean is read.
//! A level held across a bucket boundary is split exactly, to the nanosecond, between the buckets.
//! Buckets are a `Vec` grown to the last bucket touched, so memory is proportional to the simulated
//! time covered divided by the interval.

use crate::time::{SimDuration, SimTime};

/// Index of the bucket holding instant `t`.
fn bucket_index(interval: SimDuration, t: SimTime) -> usize {
    usize::try_from(t.as_nanos() / interval.as_nanos()).expect("bucket index does not fit in usize")
}

/// Start of bucket `index`.
fn bucket_start(interval: SimDuration, index: usize) -> SimTime {
    SimTime::at(interval * index as u64)
}

fn assert_positive(interval: SimDuration, series: &str) {
    assert!(!interval.is_zero(), "{series} needs a positive interval: a zero-length bucket holds nothing");
}

/// Count of occurrences per bucket of simulated time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CounterSeries {
    interval: SimDuration,
    counts: Vec<u64>,
}

impl CounterSeries {
    /// An empty series with buckets `interval` long. Panics if `interval` is zero.
    pub fn new(interval: SimDuration) -> Self {
        assert_positive(interval, "CounterSeries");
        CounterSeries { interval, counts: Vec::new() }
    }

    pub fn interval(&self) -> SimDuration {
        self.interval
    }

    /// Adds `n` to the bucket holding `t`. Adding zero still extends the series to that bucket, so
    /// a caller can make the series cover the whole run with `add(end, 0)`.
    pub fn add(&mut self, t: SimTime, n: u64) {
        let index = bucket_index(self.interval, t);
        if index >= self.counts.len() {
            self.counts.resize(index + 1, 0);
        }
        self.counts[index] = self.counts[index].checked_add(n).expect("CounterSeries bucket overflowed u64");
    }

    /// Count in bucket `index`; `None` past the last bucket touched.
    pub fn get(&self, index: usize) -> Option<u64> {
        self.counts.get(index).copied()
    }

    /// Number of buckets, up to the last one touched.
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// `(bucket start, count)` for every bucket in order, empty ones included.
    pub fn iter(&self) -> impl Iterator<Item = (SimTime, u64)> + '_ {
        self.counts.iter().enumerate().map(|(index, &count)| (bucket_start(self.interval, index), count))
    }
}

/// One bucket of a [`MeanSeries`]: how many samples fell in it and their exact sum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MeanBucket {
    pub start: SimTime,
    pub count: u64,
    pub sum: u128,
}

impl MeanBucket {
    /// Exact sum over count, rounded once to `f64`; `None` for a bucket without samples.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum as f64 / self.count as f64)
    }
}

/// Sum and count of `u64` samples per bucket of simulated time, for a mean per interval.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MeanSeries {
    interval: SimDuration,
    /// `(sum, count)` per bucket.
    totals: Vec<(u128, u64)>,
}

impl MeanSeries {
    /// An empty series with buckets `interval` long. Panics if `interval` is zero.
    pub fn new(interval: SimDuration) -> Self {
        assert_positive(interval, "MeanSeries");
        MeanSeries { interval, totals: Vec::new() }
    }

    pub fn interval(&self) -> SimDuration {
        self.interval
    }

    /// Adds one sample `value` (for example a latency in nanoseconds) observed at `t`.
    pub fn add(&mut self, t: SimTime, value: u64) {
        let index = bucket_index(self.interval, t);
        if index >= self.totals.len() {
            self.totals.resize(index + 1, (0, 0));
        }
        let (sum, count) = &mut self.totals[index];
        *sum += u128::from(value);
        *count = count.checked_add(1).expect("MeanSeries bucket count overflowed u64");
    }

    /// Bucket `index`; `None` past the last bucket touched.
    pub fn get(&self, index: usize) -> Option<MeanBucket> {
        let &(sum, count) = self.totals.get(index)?;
        Some(MeanBucket { start: bucket_start(self.interval, index), count, sum })
    }

    /// Number of buckets, up to the last one touched.
    pub fn len(&self) -> usize {
        self.totals.len()
    }

    pub fn is_empty(&self) -> bool {
        self.totals.is_empty()
    }

    /// Every bucket in order, empty ones included.
    pub fn iter(&self) -> impl Iterator<Item = MeanBucket> + '_ {
        (0..self.len()).map(|index| self.get(index).expect("index below len"))
    }
}

/// One bucket of a [`GaugeSeries`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GaugeBucket {
    pub start: SimTime,
    /// How much of the bucket the series has accounted for: the whole interval, except in the last
    /// bucket when the series was finished (or last set) before the bucket's end.
    pub covered: SimDuration,
    /// Exact integral of the level over the covered time, in level x nanoseconds.
    pub level_nanos: u128,
    /// Highest level held for a positive time within the bucket.
    pub level_max: u64,
}

impl GaugeBucket {
    /// Time-weighted mean level over the covered part of the bucket.
    pub fn level_mean(&self) -> f64 {
        self.level_nanos as f64 / self.covered.as_nanos() as f64
    }
}

/// A piecewise-constant level over simulated time, with per bucket the time-weighted mean level and
/// the maximum level.
///
/// The level is 0 from time zero until the first [`GaugeSeries::set`]; each `set` holds its level
/// until the next one, and [`GaugeSeries::finish`] closes the last segment at the end of the run.
/// Only levels held for a positive time count towards the maximum, so the several `set` calls a
/// handler may make at one instant leave no spurious peak and the maximum is never below the mean.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GaugeSeries {
    interval: SimDuration,
    level: u64,
    /// Start of the segment at `level` not yet added to the buckets.
    since: SimTime,
    finished: bool,
    /// `(level_nanos, level_max)` per bucket, up to `since`.
    totals: Vec<(u128, u64)>,
}

impl GaugeSeries {
    /// An empty series with buckets `interval` long, at level 0 from time zero. Panics if `interval`
    /// is zero.
    pub fn new(interval: SimDuration) -> Self {
        assert_positive(interval, "GaugeSeries");
        GaugeSeries { interval, level: 0, since: SimTime::ZERO, finished: false, totals: Vec::new() }
    }

    pub fn interval(&self) -> SimDuration {
        self.interval
    }

    /// The current level.
    pub fn level(&self) -> u64 {
        self.level
    }

    /// Changes the level at `t`. Panics if `t` is earlier than the previous `set` or after `finish`:
    /// both mean the caller's clock went backwards, and the areas would silently be wrong.
    pub fn set(&mut self, t: SimTime, level: u64) {
        assert!(!self.finished, "GaugeSeries::set at {t} after finish");
        assert!(t >= self.since, "GaugeSeries::set at {t} is earlier than the previous set at {}", self.since);
        self.account_until(t);
        self.level = level;
    }

    /// Closes the last segment at `end`, the end of the run. Panics if `end` is earlier than the last
    /// `set`, or if the series is already finished.
    pub fn finish(&mut self, end: SimTime) {
        assert!(!self.finished, "GaugeSeries::finish at {end} called twice");
        assert!(end >= self.since, "GaugeSeries::finish at {end} is earlier than the last set at {}", self.since);
        self.account_until(end);
        self.finished = true;
    }

    /// Adds the segment `[since, to)` at the current level to every bucket it overlaps, splitting it
    /// at bucket boundaries.
    fn account_until(&mut self, to: SimTime) {
        if to == self.since {
            return;
        }
        let interval_nanos = u128::from(self.interval.as_nanos());
        let (from_nanos, to_nanos) = (u128::from(self.since.as_nanos()), u128::from(to.as_nanos()));
        let first = bucket_index(self.interval, self.since);
        let last = bucket_index(self.interval, SimTime::from_nanos(to.as_nanos() - 1));
        if last >= self.totals.len() {
            self.totals.resize(last + 1, (0, 0));
        }
        for (index, (level_nanos, level_max)) in self.totals.iter_mut().enumerate().take(last + 1).skip(first) {
            // In u128: the end of the last bucket may lie beyond u64 nanoseconds.
            let bucket_start_nanos = index as u128 * interval_nanos;
            let overlap_nanos = to_nanos.min(bucket_start_nanos + interval_nanos) - from_nanos.max(bucket_start_nanos);
            *level_nanos += u128::from(self.level) * overlap_nanos;
            *level_max = (*level_max).max(self.level);
        }
        self.since = to;
    }

    /// Bucket `index`; `None` past the time accounted for (the last `set`, or `finish`).
    pub fn get(&self, index: usize) -> Option<GaugeBucket> {
        let &(level_nanos, level_max) = self.totals.get(index)?;
        let start = bucket_start(self.interval, index);
        let end = start.saturating_add(self.interval).min(self.since);
        Some(GaugeBucket { start, covered: end - start, level_nanos, level_max })
    }

    /// Number of buckets up to the time accounted for.
    pub fn len(&self) -> usize {
        self.totals.len()
    }

    pub fn is_empty(&self) -> bool {
        self.totals.is_empty()
    }

    /// Every bucket in order.
    pub fn iter(&self) -> impl Iterator<Item = GaugeBucket> + '_ {
        (0..self.len()).map(|index| self.get(index).expect("index below len"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn millis(n: u64) -> SimTime {
        SimTime::at(SimDuration::from_millis(n))
    }

    #[test]
    fn counter_series_adds_into_floor_t_over_interval() {
        let mut series = CounterSeries::new(SimDuration::from_secs(1));
        series.add(SimTime::ZERO, 1);
        series.add(SimTime::from_nanos(999_999_999), 2);
        series.add(millis(1000), 4);
        series.add(millis(3500), 8);
        assert_eq!(series.len(), 4);
        let rows: Vec<_> = series.iter().collect();
        assert_eq!(rows, vec![(millis(0), 3), (millis(1000), 4), (millis(2000), 0), (millis(3000), 8)]);
        assert_eq!(series.get(4), None);
        series.add(millis(5000), 0);
        assert_eq!((series.len(), series.get(5)), (6, Some(0)));
    }

    #[test]
    fn mean_series_keeps_exact_sums_and_counts() {
        let mut series = MeanSeries::new(SimDuration::from_millis(100));
        series.add(millis(50), 10);
        series.add(millis(99), 21);
        series.add(millis(250), u64::MAX);
        series.add(millis(299), u64::MAX);
        let buckets: Vec<_> = series.iter().collect();
        assert_eq!(buckets.len(), 3);
        assert_eq!((buckets[0].count, buckets[0].sum, buckets[0].mean()), (2, 31, Some(15.5)));
        assert_eq!((buckets[1].start, buckets[1].count, buckets[1].mean()), (millis(100), 0, None));
        assert_eq!(buckets[2].sum, 2 * u128::from(u64::MAX), "no overflow in the sum");
    }

    #[test]
    fn gauge_level_across_a_boundary_is_split_between_buckets() {
        // Level 2 from 0.5 s to 1.5 s, interval 1 s: each bucket holds 2 for half its length.
        let mut series = GaugeSeries::new(SimDuration::from_secs(1));
        series.set(millis(500), 2);
        series.set(millis(1500), 0);
        series.finish(millis(2000));
        assert_eq!(series.len(), 2, "finishing on a boundary opens no extra bucket");
        for (index, bucket) in series.iter().enumerate() {
            assert_eq!(bucket.level_nanos, 1_000_000_000, "bucket {index}");
            assert_eq!(bucket.level_mean(), 1.0, "bucket {index}");
            assert_eq!(bucket.level_max, 2, "bucket {index}");
        }
    }

    #[test]
    fn gauge_hand_traced_with_spike_and_partial_last_bucket() {
        // [0, 0.25) level 1; 3 is set and replaced at 0.25 s (held for no time); [0.25, 2.5) level 7;
        // [2.5, 3.2) level 0; the run ends at 3.2 s.
        let mut series = GaugeSeries::new(SimDuration::from_secs(1));
        series.set(SimTime::ZERO, 1);
        series.set(millis(250), 3);
        series.set(millis(250), 7);
        series.set(millis(2500), 0);
        series.finish(millis(3200));
        let rows: Vec<_> = series.iter().map(|b| (b.covered.as_nanos(), b.level_nanos, b.level_max)).collect();
        assert_eq!(
            rows,
            vec![
                (1_000_000_000, 250_000_000 + 7 * 750_000_000, 7),
                (1_000_000_000, 7_000_000_000, 7),
                (1_000_000_000, 7 * 500_000_000, 7),
                (200_000_000, 0, 0),
            ]
        );
        let means: Vec<f64> = series.iter().map(|b| b.level_mean()).collect();
        assert_eq!(means, vec![5.5, 7.0, 3.5, 0.0]);
    }

    #[test]
    fn gauge_splits_to_the_nanosecond() {
        // Interval 3 ns, level 5 over [1, 8), finish at 9: 2 ns, 3 ns and 2 ns of level 5.
        let mut series = GaugeSeries::new(SimDuration::from_nanos(3));
        series.set(SimTime::from_nanos(1), 5);
        series.set(SimTime::from_nanos(8), 0);
        assert_eq!(series.len(), 3, "accounted up to the last set");
        series.finish(SimTime::from_nanos(9));
        let areas: Vec<_> = series.iter().map(|b| b.level_nanos).collect();
        assert_eq!(areas, vec![10, 15, 10]);
        assert_eq!(series.level(), 0);
    }

    #[test]
    fn gauge_before_any_set_is_zero_and_reads_before_finish_cover_up_to_the_last_set() {
        let mut series = GaugeSeries::new(SimDuration::from_secs(1));
        series.set(millis(500), 4);
        let bucket = series.get(0).expect("accounted up to 0.5 s");
        assert_eq!((bucket.covered, bucket.level_nanos, bucket.level_max), (SimDuration::from_millis(500), 0, 0));
        series.finish(millis(500));
        assert_eq!(series.len(), 1, "the level 4 was held for no time");
    }

    #[test]
    #[should_panic(expected = "is earlier than the previous set")]
    fn gauge_rejects_time_going_backwards() {
        let mut series = GaugeSeries::new(SimDuration::from_secs(1));
        series.set(millis(700), 1);
        series.set(millis(600), 2);
    }

    #[test]
    #[should_panic(expected = "after finish")]
    fn gauge_rejects_set_after_finish() {
        let mut series = GaugeSeries::new(SimDuration::from_secs(1));
        series.finish(millis(700));
        series.set(millis(800), 2);
    }

    #[test]
    #[should_panic(expected = "needs a positive interval")]
    fn series_reject_a_zero_interval() {
        CounterSeries::new(SimDuration::ZERO);
    }
}
