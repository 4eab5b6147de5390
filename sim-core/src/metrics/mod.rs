//! Metric primitives: counters, histograms and time series that give the same bytes on every machine.
//!
//! It owns how the simulator counts and summarises, not what is measured (that is the models' job).
//! Guarantees: accumulation is in integers only (no `HashMap`, no wall clock, no float sums whose
//! order could matter), so the state after a run depends on the recorded values alone; floats appear
//! only when a mean or a fraction is read. [`Histogram`] answers nearest-rank quantiles with relative
//! error at most 2^-S for S significant bits (2^-8, 0.39%, by default) and exact count, min, max and
//! mean, in bounded memory. The series ([`CounterSeries`], [`MeanSeries`], [`GaugeSeries`]) bucket by
//! simulated time, and [`GaugeSeries`] splits a level exactly, to the nanosecond, across bucket
//! boundaries.

mod histogram;
mod series;

pub use histogram::{DEFAULT_SIGNIFICANT_BITS, Histogram};
pub use series::{CounterSeries, GaugeBucket, GaugeSeries, MeanBucket, MeanSeries};

/// A count of occurrences.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Counter(u64);

impl Counter {
    pub const fn new() -> Self {
        Counter(0)
    }

    /// Adds `n`. Panics on overflow rather than wrap: a wrapped counter would be silently wrong.
    pub fn add(&mut self, n: u64) {
        self.0 = self.0.checked_add(n).expect("Counter overflowed u64");
    }

    pub fn inc(&mut self) {
        self.add(1);
    }

    pub const fn get(self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_adds_and_increments() {
        let mut counter = Counter::new();
        counter.inc();
        counter.add(41);
        assert_eq!(counter.get(), 42);
        assert_eq!(Counter::default(), Counter::new());
    }
}
