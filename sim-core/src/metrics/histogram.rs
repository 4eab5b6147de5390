//! A histogram of `u64` values (typically nanoseconds) with bounded relative error and bounded memory.
//!
//! It owns the bucket layout (HDR-style, log-linear) and the quantile definition. With `S` significant
//! bits (`Histogram<S>`, 8 by default), values below 2^S are counted exactly; a larger value whose bit
//! length is `b` falls in a bucket of width 2^(b-S), so every bucket is narrower than 2^-(S-1) of the
//! values it holds.
//!
//! Guarantees:
//! - `count`, `min`, `max` and the sum (hence `mean`) are exact; the sum is a `u128`, which cannot
//!   overflow before the `u64` count does.
//! - [`Histogram::quantile`] answers the nearest-rank quantile with relative error at most 2^-S:
//!   `|answer - exact| <= exact * 2^-S` (at most 0.39% for S = 8), and exactly for values below 2^S and
//!   for q = 0 (the minimum) and q = 1 (the maximum).
//! - Memory: the counters are a `Vec<u64>` grown to the end of the octave (the run of values sharing a
//!   bit length) of the largest value recorded, at most (66-S) * 2^(S-1) counters (58 KiB for S = 8);
//!   latencies up to 10 s in nanoseconds need 3 584 counters (28 KiB).
//! - The state is a function of the multiset of recorded values alone, so recording in any order or
//!   merging in any grouping gives equal (`==`) histograms and identical output bytes.

/// Significant bits used by [`Histogram::new`]: relative error at most 2^-8 (0.39%).
pub const DEFAULT_SIGNIFICANT_BITS: u32 = 8;

/// Log-linear histogram of `u64` values with `SIGNIFICANT_BITS` significant bits (see the module
/// documentation for the layout and the error bound). Other precisions: `Histogram::<10>::default()`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Histogram<const SIGNIFICANT_BITS: u32 = DEFAULT_SIGNIFICANT_BITS> {
    /// Count per bucket index; never longer than the octave of `max` requires.
    counts: Vec<u64>,
    count: u64,
    /// Meaningless while `count == 0`.
    min: u64,
    max: u64,
    sum: u128,
}

impl Histogram {
    /// An empty histogram with [`DEFAULT_SIGNIFICANT_BITS`] significant bits.
    pub fn new() -> Self {
        Self::default()
    }
}

impl<const SIGNIFICANT_BITS: u32> Default for Histogram<SIGNIFICANT_BITS> {
    fn default() -> Self {
        // Checked at compile time for each precision used. Above 20 bits the worst case would reach
        // hundreds of MiB per histogram, which is never what a latency metric needs.
        const { assert!(SIGNIFICANT_BITS >= 1 && SIGNIFICANT_BITS <= 20, "SIGNIFICANT_BITS must be in 1..=20") };
        Histogram { counts: Vec::new(), count: 0, min: 0, max: 0, sum: 0 }
    }
}

impl<const SIGNIFICANT_BITS: u32> Histogram<SIGNIFICANT_BITS> {
    /// Values below this are stored exactly, one bucket per value.
    const EXACT_LIMIT: u64 = 1 << SIGNIFICANT_BITS;
    /// Buckets per octave above the exact range: the top bit is implied, the next S-1 bits vary.
    const BUCKETS_PER_OCTAVE: usize = 1 << (SIGNIFICANT_BITS - 1);

    /// Bucket index of `value`: the value itself below 2^S, otherwise
    /// `shift * 2^(S-1) + (value >> shift)` with `shift = bit_length - S`. The second term lies in
    /// [2^(S-1), 2^S), so consecutive octaves tile the indices without gaps.
    fn bucket_index(value: u64) -> usize {
        if value < Self::EXACT_LIMIT {
            return value as usize;
        }
        let shift = 64 - value.leading_zeros() - SIGNIFICANT_BITS;
        shift as usize * Self::BUCKETS_PER_OCTAVE + (value >> shift) as usize
    }

    /// Smallest value and width of bucket `index`, the inverse of [`Self::bucket_index`].
    fn bucket_low_and_width(index: usize) -> (u64, u64) {
        if (index as u64) < Self::EXACT_LIMIT {
            return (index as u64, 1);
        }
        let shift = (index / Self::BUCKETS_PER_OCTAVE - 1) as u32;
        let mantissa = (index % Self::BUCKETS_PER_OCTAVE + Self::BUCKETS_PER_OCTAVE) as u64;
        (mantissa << shift, 1 << shift)
    }

    /// Smallest and largest value (both inclusive) of bucket `index`.
    fn bucket_bounds(index: usize) -> (u64, u64) {
        let (low, width) = Self::bucket_low_and_width(index);
        // `width - 1` first: the last bucket ends exactly at u64::MAX.
        (low, low + (width - 1))
    }

    /// Records one occurrence of `value`.
    pub fn record(&mut self, value: u64) {
        self.record_n(value, 1);
    }

    /// Records `occurrences` occurrences of `value`; zero occurrences change nothing.
    pub fn record_n(&mut self, value: u64, occurrences: u64) {
        if occurrences == 0 {
            return;
        }
        let index = Self::bucket_index(value);
        if index >= self.counts.len() {
            // Grow to the end of the value's octave rather than to the index: at most 66-S
            // reallocations over the histogram's life, and the length stays a function of `max`.
            let octave_max = u64::MAX >> (value | (Self::EXACT_LIMIT - 1)).leading_zeros();
            self.counts.resize(Self::bucket_index(octave_max) + 1, 0);
        }
        self.counts[index] += occurrences;
        self.add_summary(value, value, occurrences, u128::from(value) * u128::from(occurrences));
    }

    /// Adds every value recorded in `other`, as if each had been recorded here.
    pub fn merge(&mut self, other: &Self) {
        if other.count == 0 {
            return;
        }
        if other.counts.len() > self.counts.len() {
            self.counts.resize(other.counts.len(), 0);
        }
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
        self.add_summary(other.min, other.max, other.count, other.sum);
    }

    fn add_summary(&mut self, min: u64, max: u64, count: u64, sum: u128) {
        if self.count == 0 {
            (self.min, self.max) = (min, max);
        } else {
            self.min = self.min.min(min);
            self.max = self.max.max(max);
        }
        self.count = self.count.checked_add(count).expect("histogram count overflowed u64");
        self.sum += sum;
    }

    /// Number of values recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Smallest value recorded, exactly; `None` when empty.
    pub fn min(&self) -> Option<u64> {
        (self.count > 0).then_some(self.min)
    }

    /// Largest value recorded, exactly; `None` when empty.
    pub fn max(&self) -> Option<u64> {
        (self.count > 0).then_some(self.max)
    }

    /// Exact sum of the values recorded.
    pub fn sum(&self) -> u128 {
        self.sum
    }

    /// Mean of the values recorded: the exact sum divided by the count, rounded once to `f64`;
    /// `None` when empty.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum as f64 / self.count as f64)
    }

    /// The nearest-rank `q`-quantile: the smallest recorded value `x` such that at least
    /// `ceil(q * count)` values are `<= x` (rank at least 1, so q = 0 gives the minimum). The answer is
    /// the midpoint of the bucket holding `x`, clamped to [min, max], so `|answer - x| <= x * 2^-S`,
    /// and it is exact when `x < 2^S`, for q = 0 and for q = 1. `ceil(q * count)` is computed in `f64`,
    /// the same on every machine. `None` when empty.
    ///
    /// Panics when `q` is not in [0, 1]: a quantile outside that range is a programming error.
    pub fn quantile(&self, q: f64) -> Option<u64> {
        assert!((0.0..=1.0).contains(&q), "quantile must be in [0, 1], got {q}");
        if self.count == 0 {
            return None;
        }
        let rank = nearest_rank(q, self.count);
        // The bucket midpoint could stray past the extremes, which are known exactly.
        if rank == 1 {
            return Some(self.min);
        }
        if rank == self.count {
            return Some(self.max);
        }
        let mut seen = 0u64;
        for (index, &count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                let (low, width) = Self::bucket_low_and_width(index);
                // `low + width / 2` is at most width/2 from any value of the bucket, and every value
                // of the bucket is at least 2^(S-1) * width: hence the 2^-S bound.
                return Some((low + width / 2).clamp(self.min, self.max));
            }
        }
        unreachable!("bucket counts sum to the histogram count")
    }

    /// The non-empty buckets in increasing order, as `(low, high, count)` with both bounds inclusive:
    /// the raw material of a CDF plot or an export.
    pub fn iter_buckets(&self) -> impl Iterator<Item = (u64, u64, u64)> + '_ {
        self.counts.iter().enumerate().filter(|&(_, &count)| count > 0).map(|(index, &count)| {
            let (low, high) = Self::bucket_bounds(index);
            (low, high, count)
        })
    }

    /// Points of the empirical CDF at bucket granularity, as `(high, cumulative_count)`: exactly
    /// `cumulative_count` recorded values are `<= high`. Integers, so a caller decides once how to
    /// turn them into fractions when a figure is written.
    pub fn cdf_points(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.iter_buckets().scan(0u64, |cumulative_count, (_, high, count)| {
            *cumulative_count += count;
            Some((high, *cumulative_count))
        })
    }
}

/// `max(1, ceil(q * count))`: the 1-based rank that the nearest-rank definition asks for.
fn nearest_rank(q: f64, count: u64) -> u64 {
    let rank = (q * count as f64).ceil() as u64;
    rank.clamp(1, count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Seed;

    /// Checks that bucket indices tile all of u64 without gaps or overlaps, and that
    /// `bucket_index` and `bucket_low_and_width` are inverses at every bucket's ends.
    fn check_layout<const S: u32>() {
        let last_index = Histogram::<S>::bucket_index(u64::MAX);
        assert_eq!(last_index + 1, (66 - S as usize) << (S - 1), "S = {S}: bucket count");
        let mut next_low = 0u64;
        for index in 0..=last_index {
            let (low, high) = Histogram::<S>::bucket_bounds(index);
            assert_eq!(low, next_low, "S = {S}: bucket {index} must start where the previous one ended");
            assert_eq!(Histogram::<S>::bucket_index(low), index, "S = {S}: low end of bucket {index}");
            assert_eq!(Histogram::<S>::bucket_index(high), index, "S = {S}: high end of bucket {index}");
            let width = high - low + 1;
            assert!(width == 1 || (width as u128) << (S - 1) <= low as u128, "S = {S}: bucket {index} too wide");
            next_low = high.wrapping_add(1);
        }
        assert_eq!(next_low, 0, "S = {S}: the last bucket must end at u64::MAX");
    }

    #[test]
    fn buckets_tile_the_whole_u64_range() {
        check_layout::<1>();
        check_layout::<4>();
        check_layout::<8>();
        check_layout::<12>();
    }

    #[test]
    fn small_values_are_exact() {
        let mut histogram = Histogram::new();
        let mut values: Vec<u64> = (0..256).flat_map(|v| std::iter::repeat_n(v, (v % 7 + 1) as usize)).collect();
        // Record in a scrambled order: the result must not depend on it.
        values.reverse();
        for &v in &values {
            histogram.record(v);
        }
        values.sort_unstable();
        let n = values.len() as u64;
        for step in 0..=1000 {
            let q = step as f64 / 1000.0;
            let exact = values[(nearest_rank(q, n) - 1) as usize];
            assert_eq!(histogram.quantile(q), Some(exact), "q = {q}");
        }
        for (low, high, count) in histogram.iter_buckets() {
            assert_eq!(low, high, "buckets below 2^S hold one value");
            assert_eq!(count, low % 7 + 1);
        }
        assert_eq!(histogram.sum(), values.iter().map(|&v| u128::from(v)).sum::<u128>());
    }

    #[test]
    fn empty_histogram_has_no_statistics() {
        let histogram = Histogram::new();
        assert_eq!(histogram.count(), 0);
        assert_eq!((histogram.min(), histogram.max(), histogram.mean()), (None, None, None));
        assert_eq!(histogram.quantile(0.5), None);
        assert_eq!(histogram.iter_buckets().count(), 0);
    }

    #[test]
    fn summary_statistics_are_exact() {
        let mut histogram = Histogram::new();
        histogram.record(u64::MAX);
        histogram.record_n(u64::MAX, 3);
        histogram.record(1_000_000_007);
        histogram.record_n(12, 0);
        assert_eq!(histogram.count(), 5);
        assert_eq!(histogram.min(), Some(1_000_000_007));
        assert_eq!(histogram.max(), Some(u64::MAX));
        assert_eq!(histogram.sum(), 4 * u128::from(u64::MAX) + 1_000_000_007);
        assert_eq!(histogram.quantile(0.0), Some(1_000_000_007));
        assert_eq!(histogram.quantile(1.0), Some(u64::MAX));
        let mut small = Histogram::new();
        small.record_n(3, 2);
        small.record(4);
        assert_eq!(small.mean(), Some(10.0 / 3.0));
    }

    #[test]
    fn quantile_follows_nearest_rank() {
        // 1..=10: the 0.5 quantile is the 5th value, 0.51 the 6th, 0.9 the 9th.
        let mut histogram = Histogram::new();
        (1..=10).for_each(|v| histogram.record(v));
        assert_eq!(histogram.quantile(0.5), Some(5));
        assert_eq!(histogram.quantile(0.51), Some(6));
        assert_eq!(histogram.quantile(0.9), Some(9));
        assert_eq!(histogram.quantile(0.0), Some(1));
        assert_eq!(histogram.quantile(1.0), Some(10));
    }

    #[test]
    fn large_value_quantile_is_the_clamped_bucket_midpoint() {
        // 1000 has bit length 10: bucket width 4, bucket [1000, 1003], midpoint 1002.
        let mut histogram = Histogram::new();
        histogram.record_n(1000, 3);
        histogram.record(1001);
        histogram.record(5000);
        assert_eq!(histogram.quantile(0.5), Some(1002));
        assert_eq!(histogram.iter_buckets().next(), Some((1000, 1003, 4)));
        // Alone in its bucket, the midpoint 1002 would exceed the maximum 1001: clamped.
        let mut alone = Histogram::new();
        alone.record_n(1000, 3);
        alone.record(1001);
        assert_eq!(alone.quantile(0.5), Some(1001));
    }

    #[test]
    #[should_panic(expected = "quantile must be in [0, 1]")]
    fn quantile_rejects_q_outside_the_unit_interval() {
        let mut histogram = Histogram::new();
        histogram.record(1);
        histogram.quantile(1.5);
    }

    /// Records `values` and checks every quantile of interest against the exact nearest-rank value
    /// on the sorted samples: `|answer - exact| * 2^S <= exact`, in integers.
    fn check_error_bound<const S: u32>(shape: &str, mut values: Vec<u64>) {
        let mut histogram = Histogram::<S>::default();
        values.iter().for_each(|&v| histogram.record(v));
        values.sort_unstable();
        let n = values.len() as u64;
        for q in [0.0, 0.5, 0.9, 0.99, 0.999, 1.0] {
            let exact = values[(nearest_rank(q, n) - 1) as usize];
            let answer = histogram.quantile(q).expect("not empty");
            let error = u128::from(answer.abs_diff(exact));
            assert!(
                error << S <= u128::from(exact),
                "{shape}, S = {S}, q = {q}: answer {answer}, exact {exact}, relative error above 2^-{S}"
            );
        }
        assert_eq!(histogram.min(), values.first().copied(), "{shape}");
        assert_eq!(histogram.max(), values.last().copied(), "{shape}");
    }

    /// 50 000 samples of each shape, in nanoseconds.
    fn sample_shapes(seed: u64) -> Vec<(&'static str, Vec<u64>)> {
        const SAMPLES: usize = 50_000;
        let mut stream = Seed(seed).stream("metrics.histogram.error_bound");
        let mut draw =
            |f: &dyn Fn(f64) -> f64| -> Vec<u64> { (0..SAMPLES).map(|_| f(stream.next_f64_open0()) as u64).collect() };
        // Float-to-int `as` saturates, so the Pareto tail reaches u64::MAX now and then.
        let uniform = draw(&|u| u * 1e9);
        let exponential = draw(&|u| -libm::log(u) * 5e6);
        let pareto = draw(&|u| 1e6 * libm::pow(u, -1.0 / 1.1));
        let every_octave = draw(&|u| libm::exp2(u * 64.0));
        vec![("uniform", uniform), ("exponential", exponential), ("pareto", pareto), ("every_octave", every_octave)]
    }

    #[test]
    fn quantile_relative_error_is_at_most_two_to_the_minus_s() {
        for seed in [1, 2, 3] {
            for (shape, values) in sample_shapes(seed) {
                check_error_bound::<8>(shape, values.clone());
                check_error_bound::<3>(shape, values.clone());
                check_error_bound::<12>(shape, values);
            }
        }
    }

    #[test]
    fn error_bound_is_reached_at_the_bottom_of_an_octave() {
        // 256 and 257 share a bucket of width 2 with midpoint 257: error 1 = 256 * 2^-8, the bound.
        let mut histogram = Histogram::new();
        histogram.record_n(256, 2);
        histogram.record_n(257, 2);
        histogram.record(10_000);
        assert_eq!(histogram.quantile(0.4), Some(257));
    }

    #[test]
    fn merge_equals_recording_everything_in_one() {
        let (_, values) = sample_shapes(7).swap_remove(2);
        let mut whole = Histogram::new();
        values.iter().for_each(|&v| whole.record(v));
        let (left, right) = values.split_at(values.len() / 3);
        let mut merged = Histogram::new();
        let mut other = Histogram::new();
        left.iter().for_each(|&v| merged.record(v));
        right.iter().for_each(|&v| other.record(v));
        // Merging an empty histogram must change nothing; merging into an empty one must grow it.
        merged.merge(&other);
        merged.merge(&Histogram::new());
        assert_eq!(merged, whole);
        let mut from_empty = Histogram::new();
        from_empty.merge(&whole);
        assert_eq!(from_empty, whole);
    }

    #[test]
    fn cdf_points_accumulate_bucket_counts() {
        let mut histogram = Histogram::new();
        histogram.record_n(5, 2);
        histogram.record(1000);
        histogram.record(1003);
        histogram.record(2000);
        let points: Vec<_> = histogram.cdf_points().collect();
        assert_eq!(points, vec![(5, 2), (1003, 4), (2007, 5)]);
    }

    #[test]
    fn memory_for_ten_second_latencies_in_nanoseconds() {
        let mut histogram = Histogram::new();
        histogram.record(10_000_000_000);
        assert_eq!(histogram.counts.len(), 3584, "26 octaves of 128 buckets after 256 exact ones");
        histogram.record(u64::MAX);
        assert_eq!(histogram.counts.len(), (66 - 8) * 128, "the bound on every histogram");
    }
}
