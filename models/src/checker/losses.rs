//! What the report needs of the lost writes, counted as each loss is decided, and what the checker
//! keeps of acknowledged passengers folded together.
//!
//! The report reads lost writes only in aggregate: how many per cause, how far apart the first and
//! last acknowledgement of each cause lie (the RPO in time) and how many per Region and interval of
//! acknowledgement (the lost-writes time series). A [`LossTally`] keeps exactly that, so a run that
//! loses a million writes keeps a few counters and a series, not a million records.
//!
//! A [`Fold`] is the same aggregate for acknowledged passengers that share a fate: a lineage that
//! stays undecided while two Regions keep writing one item costs a fold per interval and Region,
//! however many writes it takes.

use sim_core::{CounterSeries, SimDuration, SimTime};

use super::LossCause;
use crate::ids::RegionId;

/// A cause's index in the tally's arrays.
fn index(cause: LossCause) -> usize {
    match cause {
        LossCause::LastWriterWins => 0,
        LossCause::RegionNeverReturned => 1,
        LossCause::Failover => 2,
    }
}

/// The earliest and latest of a set of acknowledgement times.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub first: SimTime,
    pub last: SimTime,
}

impl Span {
    fn at(t: SimTime) -> Self {
        Span { first: t, last: t }
    }
    /// The span covering both.
    fn cover(self, other: Span) -> Span {
        Span { first: self.first.min(other.first), last: self.last.max(other.last) }
    }
    fn widen(span: &mut Option<Span>, with: Span) {
        *span = Some(span.map_or(with, |s| s.cover(with)));
    }
}

/// The lost writes of one store, by cause, span of acknowledgement and Region.
#[derive(Clone, Debug)]
pub struct LossTally {
    interval: SimDuration,
    by_cause: [u64; 3],
    spans: [Option<Span>; 3],
    /// Per Region (by index): lost writes by the interval in which they were acknowledged.
    by_region: Vec<CounterSeries>,
}

impl LossTally {
    /// A tally whose per-Region series have buckets `interval` wide.
    pub fn new(interval: SimDuration) -> Self {
        assert!(!interval.is_zero(), "a loss tally needs a positive interval");
        LossTally { interval, by_cause: [0; 3], spans: [None; 3], by_region: Vec::new() }
    }

    pub fn interval(&self) -> SimDuration {
        self.interval
    }

    /// One acknowledged write of `region`, acknowledged at `acked_at`, lost to `cause`.
    pub fn add(&mut self, region: RegionId, acked_at: SimTime, cause: LossCause) {
        let i = index(cause);
        self.by_cause[i] += 1;
        Span::widen(&mut self.spans[i], Span::at(acked_at));
        self.series(region).add(acked_at, 1);
    }

    /// Every write of `fold`, lost to `cause`.
    pub(super) fn add_fold(&mut self, fold: &Fold, cause: LossCause) {
        let i = index(cause);
        self.by_cause[i] += fold.count;
        Span::widen(&mut self.spans[i], fold.span);
        for &(bucket, region, n) in &fold.buckets {
            let at = SimTime::at(self.interval * bucket);
            self.series(region).add(at, n);
        }
    }

    fn series(&mut self, region: RegionId) -> &mut CounterSeries {
        let r = region.index();
        if self.by_region.len() <= r {
            self.by_region.resize(r + 1, CounterSeries::new(self.interval));
        }
        &mut self.by_region[r]
    }

    /// Writes lost to `cause`.
    pub fn count(&self, cause: LossCause) -> u64 {
        self.by_cause[index(cause)]
    }

    pub fn total(&self) -> u64 {
        self.by_cause.iter().sum()
    }

    /// The first and last acknowledgement among the writes lost to `cause`.
    pub fn span(&self, cause: LossCause) -> Option<Span> {
        self.spans[index(cause)]
    }

    /// Lost writes of `region` by the interval of their acknowledgement (empty if it lost none).
    pub fn by_region(&self, region: RegionId) -> Option<&CounterSeries> {
        self.by_region.get(region.index())
    }
}

/// Acknowledged passengers of one chain folded together: they share their carrier's fate, none was
/// marked by a failover (so each dies of the cause the walk brings up from below), and none can be
/// revived (only a write not yet acknowledged is answered from its idempotency record). So their
/// verdicts are sums: how many, how many were discarded somewhere, how many met no concurrent
/// version, and the lost-writes series they would add.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Fold {
    pub count: u64,
    pub discarded: u64,
    pub unconflicted: u64,
    pub span: Span,
    /// (bucket of acknowledgement, Region, writes), in the order added; a write in the same bucket
    /// and Region as the last entry adds to it, so a lineage costs one entry per interval.
    buckets: Vec<(u64, RegionId, u64)>,
}

impl Fold {
    /// A fold of one acknowledged write.
    pub fn of(region: RegionId, acked_at: SimTime, discarded: bool, conflicted: bool, interval: SimDuration) -> Self {
        let mut f = Fold { count: 0, discarded: 0, unconflicted: 0, span: Span::at(acked_at), buckets: Vec::new() };
        f.add(region, acked_at, discarded, conflicted, interval);
        f
    }

    pub fn add(
        &mut self,
        region: RegionId,
        acked_at: SimTime,
        discarded: bool,
        conflicted: bool,
        interval: SimDuration,
    ) {
        self.count += 1;
        self.discarded += u64::from(discarded);
        self.unconflicted += u64::from(!conflicted);
        self.span = self.span.cover(Span::at(acked_at));
        let bucket = acked_at.as_nanos() / interval.as_nanos();
        match self.buckets.last_mut() {
            Some((b, r, n)) if *b == bucket && *r == region => *n += 1,
            _ => self.buckets.push((bucket, region, 1)),
        }
    }

    /// Intervals (and Regions) it counts writes in: the entries it holds.
    pub fn intervals(&self) -> usize {
        self.buckets.len()
    }

    /// Takes in `other` (the folds of one chain merge when the chain is spliced together).
    pub fn merge(&mut self, other: Fold) {
        self.count += other.count;
        self.discarded += other.discarded;
        self.unconflicted += other.unconflicted;
        self.span = self.span.cover(other.span);
        for (bucket, region, n) in other.buckets {
            match self.buckets.last_mut() {
                Some((b, r, m)) if *b == bucket && *r == region => *m += n,
                _ => self.buckets.push((bucket, region, n)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(secs: u64) -> SimTime {
        SimTime::at(SimDuration::from_secs(secs))
    }

    const EAST: RegionId = RegionId::from_raw(0);
    const WEST: RegionId = RegionId::from_raw(1);

    #[test]
    fn a_fold_adds_to_the_tally_what_its_writes_would_one_by_one() {
        let interval = SimDuration::from_secs(10);
        let writes = [(EAST, 3, true, false), (EAST, 7, false, true), (WEST, 12, false, false), (EAST, 15, true, true)];
        let mut one_by_one = LossTally::new(interval);
        let mut folded = LossTally::new(interval);
        let (r, at, d, c) = writes[0];
        let mut fold = Fold::of(r, s(at), d, c, interval);
        let mut rest = Fold::of(writes[2].0, s(writes[2].1), writes[2].2, writes[2].3, interval);
        fold.add(writes[1].0, s(writes[1].1), writes[1].2, writes[1].3, interval);
        rest.add(writes[3].0, s(writes[3].1), writes[3].2, writes[3].3, interval);
        fold.merge(rest);
        for (r, at, _, _) in writes {
            one_by_one.add(r, s(at), LossCause::Failover);
        }
        folded.add_fold(&fold, LossCause::Failover);
        assert_eq!((fold.count, fold.discarded, fold.unconflicted), (4, 2, 2));
        assert_eq!(fold.span, Span { first: s(3), last: s(15) });
        assert_eq!(folded.count(LossCause::Failover), 4);
        assert_eq!(folded.count(LossCause::LastWriterWins), 0);
        assert_eq!(folded.span(LossCause::Failover), one_by_one.span(LossCause::Failover));
        for region in [EAST, WEST] {
            let a = one_by_one.by_region(region).expect("both lost writes");
            let b = folded.by_region(region).expect("both lost writes");
            assert_eq!(
                (0..a.len()).map(|i| a.get(i)).collect::<Vec<_>>(),
                (0..b.len()).map(|i| b.get(i)).collect::<Vec<_>>()
            );
        }
        assert_eq!(folded.by_region(EAST).unwrap().get(0), Some(2), "3 s and 7 s share the first 10 s");
        assert_eq!(folded.by_region(EAST).unwrap().get(1), Some(1));
        assert_eq!(folded.by_region(WEST).unwrap().get(1), Some(1));
        assert_eq!((folded.total(), one_by_one.total()), (4, 4));
        assert_eq!(fold.intervals(), 3, "east's first 10 s, then west's and east's second");
    }

    /// A fold keeps one entry per run of writes in the same interval and Region: a write in the
    /// last entry's interval and Region adds to it, a change of either starts another; two folds
    /// merged share an entry when the upper one ends in the interval and Region the lower one
    /// starts in. The tally counts each write once all the same.
    #[test]
    fn a_fold_keeps_one_entry_per_run_of_interval_and_region() {
        let interval = SimDuration::from_secs(10);
        let mut upper = Fold::of(EAST, s(1), false, false, interval);
        upper.add(EAST, s(9), false, false, interval);
        assert_eq!(upper.intervals(), 1, "both in east's first 10 s");
        upper.add(WEST, s(9), false, false, interval);
        upper.add(WEST, s(11), false, false, interval);
        assert_eq!(upper.intervals(), 3, "another Region, then another interval");
        let mut lower = Fold::of(WEST, s(15), false, false, interval);
        lower.add(EAST, s(21), false, false, interval);
        assert_eq!(lower.intervals(), 2);
        upper.merge(lower);
        assert_eq!(upper.intervals(), 4, "west's second 10 s, on both sides of the merge, is one entry");
        assert_eq!((upper.count, upper.span), (6, Span { first: s(1), last: s(21) }));
        let mut tally = LossTally::new(interval);
        tally.add_fold(&upper, LossCause::LastWriterWins);
        assert_eq!(tally.total(), 6);
        let series = |r: RegionId| tally.by_region(r).map(|c| c.iter().map(|(_, n)| n).collect::<Vec<_>>());
        assert_eq!(series(EAST), Some(vec![2, 0, 1]));
        assert_eq!(series(WEST), Some(vec![1, 2]));
    }
}
