//! A CloudWatch-style metric alarm: the observations of one metric, cut into periods, summarised into
//! one datapoint per period, and judged M out of N against a threshold, as a sans-IO state machine.
//!
//! It owns the current period's running statistic, the last N datapoints and the alarm state. It does
//! not hold the engine or know the world: the world calls [`Alarm::observe`] with each observation and
//! [`Alarm::evaluate`] at every period boundary, and acts on the state changes `evaluate` returns.
//!
//! Rules, each a fact the caller can rely on:
//! - Periods are `[k * period, (k + 1) * period)` from time zero, so an observation exactly at a
//!   boundary belongs to the period that starts there, whether it arrives before or after the
//!   `evaluate` call for that boundary (events at equal times fire in insertion order, either may be
//!   first).
//! - A period's datapoint is its statistic (Average, Sum, Minimum, Maximum or SampleCount of its
//!   observations), or missing when it had none. Memory is bounded: the open period and the one after
//!   it keep a count, a sum, a minimum and a maximum, never the observations, and only the last N
//!   datapoints are kept. Non-finite observations are dropped, as CloudWatch's PutMetricData rejects
//!   NaN and infinities.
//! - A datapoint breaches when `datapoint <operator> threshold` holds. The alarm goes to ALARM when at
//!   least M (DatapointsToAlarm) of the last N (EvaluationPeriods) datapoints breach, counting missing
//!   datapoints as `treat_missing_data` says:
//!   - `NotBreaching`: missing counts as not breaching; fewer than M breaching gives OK.
//!   - `Breaching`: missing counts as breaching; fewer than M gives OK.
//!   - `Missing`: missing is neither. Fewer than M breaching with at least one non-breaching datapoint
//!     gives OK; every datapoint missing gives INSUFFICIENT_DATA; otherwise (some breaching, fewer
//!     than M, none within the threshold) the datapoints that exist do not decide and the state is kept.
//!   - `Ignore`: as `Missing`, except that every datapoint missing keeps the state instead of going
//!     to INSUFFICIENT_DATA. So it still changes state when the datapoints that exist decide, as
//!     CloudWatch's documented tables show (2 of 3 over `- - - - 0` is OK with IGNORE).
//! - `evaluate` returns `Some(state)` exactly when the state changed, so each change is reported once.
//!
//! Where this differs from CloudWatch, and why:
//! - CloudWatch retrieves an *evaluation range* longer than N periods (5 datapoints for N = 3) and,
//!   when datapoints are missing, judges the most recent N real datapoints it finds there, filling in
//!   per `treat_missing_data` only when it finds fewer than N. We keep only the last N datapoints, so a
//!   gap is judged on the real datapoints inside the last N periods alone: over `0 X X - X`, 3 of 3,
//!   CloudWatch judges `X X X` and alarms whatever the treatment; we judge `X - X`, which alarms with
//!   `Breaching`, keeps the state with `Missing` and `Ignore`, and is OK with `NotBreaching`.
//! - The "state is kept" case of `Missing` stands in for that look-back. CloudWatch's documented
//!   tables give INSUFFICIENT_DATA for a fresh alarm whose only datapoint breaches (keeping the initial
//!   state reproduces it), and an alarm fed before the gap would find its older datapoints by looking
//!   back (keeping its state approximates that). A consequence: with `Missing`, an alarm goes to
//!   INSUFFICIENT_DATA after N empty periods, where CloudWatch can hold on a little longer with
//!   datapoints from further back.
//! - Before N periods have elapsed the alarm judges the datapoints that exist, with the rules above:
//!   periods before time zero are not datapoints at all, so `Breaching` does not count them as
//!   breaching (CloudWatch would, for a metric with no history). A `Missing` alarm therefore leaves
//!   INSUFFICIENT_DATA at the first non-breaching datapoint, and at the M-th breaching one.
//! - CloudWatch evaluates alarms on metrics in the AWS/DynamoDB namespace (such as ReplicationLatency)
//!   as `Ignore` whatever `treat_missing_data` says; the caller passes `Ignore` for those, as this
//!   module does not know which service a metric comes from.

use std::collections::VecDeque;
use std::fmt;

use sim_core::{SimDuration, SimTime};

use crate::ids::{RegionId, StoreId};

/// What an alarm watches. The world feeds it observations (see [`Alarm::observe`]).
#[derive(Clone, Debug, PartialEq)]
pub enum AlarmMetric {
    /// Attempts that failed, as a share of attempts that ended (the world observes 1.0 per failed
    /// attempt and 0.0 per successful one; statistic Average gives the rate).
    ErrorRate { region: Option<RegionId> },
    /// Replication lag in seconds as sampled per metrics interval (ReplicationLatency /
    /// AuroraGlobalDBReplicationLag).
    ReplicationLag { store: Option<StoreId>, region: Option<RegionId> },
    /// Aurora's AuroraGlobalDBRPOLag in seconds, sampled.
    RpoLag { store: Option<StoreId>, region: Option<RegionId> },
    /// Conflicts (the world observes 1.0 per conflict; statistic Sum).
    Conflicts { store: Option<StoreId> },
    /// A Route 53 health check's HealthCheckStatus: 1.0 healthy, 0.0 unhealthy, sampled per metrics
    /// interval.
    HealthCheckStatus { check: usize },
}

/// How a period's observations become its datapoint. A period without observations has no datapoint
/// (it is missing) whatever the statistic, SampleCount included, as in CloudWatch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Statistic {
    Average,
    Sum,
    Minimum,
    Maximum,
    SampleCount,
}

/// How a datapoint is compared with the threshold; it breaches when the comparison holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ComparisonOperator {
    GreaterThanThreshold,
    GreaterThanOrEqualToThreshold,
    LessThanThreshold,
    LessThanOrEqualToThreshold,
}

/// How missing datapoints count (see the module comment for the exact rules).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TreatMissingData {
    /// Missing datapoints are neither breaching nor not breaching; all missing gives
    /// INSUFFICIENT_DATA. CloudWatch's default.
    #[default]
    Missing,
    /// Missing datapoints count as within the threshold.
    NotBreaching,
    /// Missing datapoints count as breaching.
    Breaching,
    /// The state is kept when the datapoints that exist do not decide it.
    Ignore,
}

/// The state of an alarm. A new alarm is in `InsufficientData`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AlarmState {
    InsufficientData,
    Ok,
    Alarm,
}

/// Prints the state as CloudWatch names it: `INSUFFICIENT_DATA`, `OK`, `ALARM`.
impl fmt::Display for AlarmState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AlarmState::InsufficientData => "INSUFFICIENT_DATA",
            AlarmState::Ok => "OK",
            AlarmState::Alarm => "ALARM",
        })
    }
}

/// One alarm's definition, with CloudWatch's PutMetricAlarm names.
#[derive(Clone, Debug, PartialEq)]
pub struct AlarmConfig {
    pub name: String,
    pub metric: AlarmMetric,
    pub statistic: Statistic,
    /// CloudWatch's Period: the length of the time slice one datapoint summarises.
    pub period: SimDuration,
    /// EvaluationPeriods (N): how many of the most recent datapoints are judged.
    pub evaluation_periods: u32,
    /// DatapointsToAlarm (M, 1..=N): how many of them must breach for ALARM. Validation of the
    /// scenario fills in N when it is not given.
    pub datapoints_to_alarm: u32,
    pub threshold: f64,
    pub comparison_operator: ComparisonOperator,
    pub treat_missing_data: TreatMissingData,
}

impl AlarmConfig {
    /// Checks the parameters; the message says what was found and what was expected.
    pub fn validate(&self) -> Result<(), String> {
        if self.period.is_zero() {
            return Err("period is 0; expected a positive duration".into());
        }
        let n = self.evaluation_periods;
        if n == 0 {
            return Err("evaluation_periods is 0; expected at least 1".into());
        }
        let m = self.datapoints_to_alarm;
        if m == 0 || m > n {
            return Err(format!("datapoints_to_alarm is {m}; expected 1 to {n} (evaluation_periods)"));
        }
        if !self.threshold.is_finite() {
            return Err(format!("threshold is {}; expected a finite number", self.threshold));
        }
        Ok(())
    }

    /// Whether one datapoint breaches the threshold.
    fn breaches(&self, datapoint: f64) -> bool {
        match self.comparison_operator {
            ComparisonOperator::GreaterThanThreshold => datapoint > self.threshold,
            ComparisonOperator::GreaterThanOrEqualToThreshold => datapoint >= self.threshold,
            ComparisonOperator::LessThanThreshold => datapoint < self.threshold,
            ComparisonOperator::LessThanOrEqualToThreshold => datapoint <= self.threshold,
        }
    }
}

/// The running statistic of one period: enough for every [`Statistic`] without keeping observations.
/// Observations are added in event order, so the sum is the same in every run.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Accumulator {
    count: u64,
    sum: f64,
    min: f64,
    max: f64,
}

impl Accumulator {
    fn add(&mut self, value: f64) {
        if self.count == 0 {
            self.min = value;
            self.max = value;
        } else {
            self.min = self.min.min(value);
            self.max = self.max.max(value);
        }
        self.count += 1;
        self.sum += value;
    }

    /// The period's datapoint, or `None` (missing) when it had no observations.
    fn datapoint(&self, statistic: Statistic) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        Some(match statistic {
            Statistic::Average => self.sum / self.count as f64,
            Statistic::Sum => self.sum,
            Statistic::Minimum => self.min,
            Statistic::Maximum => self.max,
            Statistic::SampleCount => self.count as f64,
        })
    }
}

/// One metric alarm: its configuration, the open period, the last N datapoints and the state.
#[derive(Clone, Debug)]
pub struct Alarm {
    config: AlarmConfig,
    state: AlarmState,
    /// The open period is `[open_start, open_start + period)`; `evaluate` closes it.
    open_start: SimTime,
    open: Accumulator,
    /// Observations at or after the open period's end, before `evaluate` closed it: they belong to
    /// the period after it (only an observation at exactly the boundary can arrive this way when the
    /// world evaluates at every boundary).
    following: Accumulator,
    /// The last N datapoints, oldest first; `None` is a missing datapoint.
    datapoints: VecDeque<Option<f64>>,
}

impl Alarm {
    /// A new alarm in `InsufficientData`, its first period `[0, period)` open.
    ///
    /// Panics if the configuration does not pass [`AlarmConfig::validate`]: the scenario's
    /// validation is where bad input is reported.
    pub fn new(config: AlarmConfig) -> Self {
        if let Err(problem) = config.validate() {
            panic!("alarm {:?} was built from an unvalidated configuration: {problem}", config.name);
        }
        let capacity = config.evaluation_periods as usize;
        Alarm {
            config,
            state: AlarmState::InsufficientData,
            open_start: SimTime::ZERO,
            open: Accumulator::default(),
            following: Accumulator::default(),
            datapoints: VecDeque::with_capacity(capacity),
        }
    }

    pub fn config(&self) -> &AlarmConfig {
        &self.config
    }

    pub fn state(&self) -> AlarmState {
        self.state
    }

    /// The end of the open period, where the next [`Alarm::evaluate`] is due.
    fn open_end(&self) -> SimTime {
        self.open_start + self.config.period
    }

    /// One observation at `now`. It belongs to the period containing `now` (periods are
    /// `[k * period, (k + 1) * period)` from time zero). A non-finite value is dropped.
    ///
    /// Panics if `now` lies in a period already closed, or beyond the period after the open one
    /// (the world skipped an `evaluate`): both are the caller's bugs.
    pub fn observe(&mut self, now: SimTime, value: f64) {
        if !value.is_finite() {
            return;
        }
        let end = self.open_end();
        assert!(
            now >= self.open_start,
            "alarm {:?}: an observation at {now} belongs to a period closed at {}",
            self.config.name,
            self.open_start
        );
        if now < end {
            self.open.add(value);
        } else {
            assert!(
                now < end + self.config.period,
                "alarm {:?}: an observation at {now} lies past the boundary {end}, which was never evaluated",
                self.config.name
            );
            self.following.add(value);
        }
    }

    /// Called by the world at every period boundary `period_end` (= k * period, k >= 1), after all
    /// observations before it: closes the period `[period_end - period, period_end)` into a datapoint
    /// (the statistic of its observations, or missing if none), judges the last N datapoints, and
    /// returns `Some(new_state)` when the state changed, `None` otherwise.
    ///
    /// Panics if `period_end` is not the end of the open period (a boundary skipped or repeated).
    pub fn evaluate(&mut self, period_end: SimTime) -> Option<AlarmState> {
        assert_eq!(
            period_end,
            self.open_end(),
            "alarm {:?}: evaluated at {period_end}, but its open period ends at {}; every boundary is evaluated once, \
             in order",
            self.config.name,
            self.open_end()
        );
        let datapoint = self.open.datapoint(self.config.statistic);
        self.open = std::mem::take(&mut self.following);
        self.open_start = period_end;
        if self.datapoints.len() == self.config.evaluation_periods as usize {
            self.datapoints.pop_front();
        }
        self.datapoints.push_back(datapoint);
        let judged = self.judge();
        if judged == self.state {
            return None;
        }
        self.state = judged;
        Some(judged)
    }

    /// The state the last N datapoints (fewer before N periods have elapsed) call for.
    fn judge(&self) -> AlarmState {
        let required = self.config.datapoints_to_alarm as usize;
        let (mut breaching, mut within, mut missing) = (0, 0, 0);
        for datapoint in &self.datapoints {
            match datapoint {
                None => missing += 1,
                Some(value) if self.config.breaches(*value) => breaching += 1,
                Some(_) => within += 1,
            }
        }
        let verdict = |breaching: usize| if breaching >= required { AlarmState::Alarm } else { AlarmState::Ok };
        match self.config.treat_missing_data {
            TreatMissingData::NotBreaching => verdict(breaching),
            TreatMissingData::Breaching => verdict(breaching + missing),
            TreatMissingData::Missing | TreatMissingData::Ignore => {
                if breaching >= required || within > 0 {
                    verdict(breaching)
                } else if breaching == 0 && self.config.treat_missing_data == TreatMissingData::Missing {
                    AlarmState::InsufficientData
                } else {
                    // Some breaching, too few, none within the threshold: the datapoints that exist do
                    // not decide, and CloudWatch would look further back (see the module comment).
                    self.state
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::AlarmState::{Alarm as A, InsufficientData as I, Ok as O};
    use super::*;

    const PERIOD: SimDuration = SimDuration::from_secs(60);

    fn at_secs(secs: u64) -> SimTime {
        SimTime::at(SimDuration::from_secs(secs))
    }

    /// The end of period `k` (1-based): `k * PERIOD`.
    fn boundary(k: u64) -> SimTime {
        SimTime::at(PERIOD * k)
    }

    fn config(n: u32, m: u32, operator: ComparisonOperator, missing: TreatMissingData) -> AlarmConfig {
        AlarmConfig {
            name: "test".into(),
            metric: AlarmMetric::ErrorRate { region: None },
            statistic: Statistic::Maximum,
            period: PERIOD,
            evaluation_periods: n,
            datapoints_to_alarm: m,
            threshold: 10.0,
            comparison_operator: operator,
            treat_missing_data: missing,
        }
    }

    /// An M-of-N alarm breaching above 10 (statistic Maximum).
    fn m_of_n(m: u32, n: u32, missing: TreatMissingData) -> Alarm {
        Alarm::new(config(n, m, ComparisonOperator::GreaterThanThreshold, missing))
    }

    /// Feeds one period per character, starting with the alarm's open period: `X` a breaching
    /// observation (20), `0` a non-breaching one (5), `-` none; returns what each `evaluate` returned.
    fn run(alarm: &mut Alarm, periods: &str) -> Vec<Option<AlarmState>> {
        periods
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| {
                let start = alarm.open_start;
                match c {
                    'X' => alarm.observe(start, 20.0),
                    '0' => alarm.observe(start, 5.0),
                    '-' => {}
                    other => panic!("unknown period {other:?}; expected X, 0 or -"),
                }
                alarm.evaluate(alarm.open_end())
            })
            .collect()
    }

    #[test]
    fn every_statistic_summarises_one_period() {
        // Observations 3, 1, 2 and 6 in [0, 60s): count 4, sum 12, min 1, max 6, average 3.
        let cases = [
            (Statistic::Average, 3.0),
            (Statistic::Sum, 12.0),
            (Statistic::Minimum, 1.0),
            (Statistic::Maximum, 6.0),
            (Statistic::SampleCount, 4.0),
        ];
        for (statistic, expected) in cases {
            let mut c = config(1, 1, ComparisonOperator::GreaterThanOrEqualToThreshold, TreatMissingData::Missing);
            c.statistic = statistic;
            c.threshold = expected;
            let mut alarm = Alarm::new(c);
            for (secs, value) in [(0, 3.0), (10, 1.0), (59, 2.0), (30, 6.0)] {
                alarm.observe(at_secs(secs), value);
            }
            assert_eq!(alarm.evaluate(boundary(1)), Some(A), "{statistic:?} equals its threshold {expected}");
            assert_eq!(alarm.datapoints, [Some(expected)], "{statistic:?}");
        }
    }

    #[test]
    fn a_period_without_observations_is_missing_for_every_statistic() {
        for statistic in [Statistic::Average, Statistic::Sum, Statistic::Minimum, Statistic::Maximum] {
            assert_eq!(Accumulator::default().datapoint(statistic), None, "{statistic:?}");
        }
        // SampleCount is missing too, not 0: with NotBreaching and "< 1" it would otherwise alarm.
        let mut c = config(1, 1, ComparisonOperator::LessThanThreshold, TreatMissingData::NotBreaching);
        c.statistic = Statistic::SampleCount;
        c.threshold = 1.0;
        let mut alarm = Alarm::new(c);
        assert_eq!(alarm.evaluate(boundary(1)), Some(O));
        assert_eq!(alarm.datapoints, [None]);
    }

    #[test]
    fn each_operator_at_and_around_the_threshold() {
        use ComparisonOperator::*;
        // (operator, breaches at 9.5, at 10 exactly, at 10.5)
        let cases = [
            (GreaterThanThreshold, [false, false, true]),
            (GreaterThanOrEqualToThreshold, [false, true, true]),
            (LessThanThreshold, [true, false, false]),
            (LessThanOrEqualToThreshold, [true, true, false]),
        ];
        for (operator, expected) in cases {
            for (value, breach) in [9.5, 10.0, 10.5].into_iter().zip(expected) {
                let mut alarm = Alarm::new(config(1, 1, operator, TreatMissingData::Missing));
                alarm.observe(at_secs(1), value);
                let state = if breach { A } else { O };
                assert_eq!(alarm.evaluate(boundary(1)), Some(state), "{operator:?} with datapoint {value}");
            }
        }
    }

    #[test]
    fn two_of_three_alarms_on_the_second_breaching_datapoint_and_recovers() {
        let mut alarm = m_of_n(2, 3, TreatMissingData::Missing);
        // Windows: [0] OK; [0 X] one breach; [0 X X] two: ALARM; [X X 0] still two; [X 0 0] one: OK.
        assert_eq!(run(&mut alarm, "0 X X 0 0"), [Some(O), None, Some(A), None, Some(O)]);
        assert_eq!(alarm.state(), O);
        // The breaching datapoints need not be consecutive: [X 0 X] alarms.
        assert_eq!(run(&mut alarm, "X 0 X"), [None, None, Some(A)]);
    }

    #[test]
    fn each_treatment_of_missing_data_on_a_sequence_with_gaps() {
        // 2 of 3 over: 0 X - X - - - 0. The windows, oldest first:
        //   [0] [0 X] [0 X -] [X - X] [- X -] [X - -] [- - -] [- - 0]
        let periods = "0 X - X - - - 0";
        let cases = [
            // Missing: [0 X -] has a good datapoint: OK; [- X -] and [X - -] keep ALARM (only one breach and
            // no good datapoint); [- - -] INSUFFICIENT_DATA; [- - 0] OK.
            (TreatMissingData::Missing, [Some(O), None, None, Some(A), None, None, Some(I), Some(O)]),
            // Ignore: as Missing, but [- - -] keeps ALARM.
            (TreatMissingData::Ignore, [Some(O), None, None, Some(A), None, None, None, Some(O)]),
            // Breaching: [0 X -] is two breaches; every later window has at least two breaches or gaps.
            (TreatMissingData::Breaching, [Some(O), None, Some(A), None, None, None, None, None]),
            // NotBreaching: only [X - X] has two breaches.
            (TreatMissingData::NotBreaching, [Some(O), None, None, Some(A), Some(O), None, None, None]),
        ];
        for (missing, expected) in cases {
            let mut alarm = m_of_n(2, 3, missing);
            assert_eq!(run(&mut alarm, periods), expected, "{missing:?}");
        }
    }

    #[test]
    fn a_state_change_is_reported_once() {
        let mut alarm = m_of_n(1, 1, TreatMissingData::Missing);
        assert_eq!(run(&mut alarm, "X X X"), [Some(A), None, None]);
        assert_eq!(alarm.state(), A);
        assert_eq!(run(&mut alarm, "0 0"), [Some(O), None]);
        assert_eq!(alarm.state(), O);
    }

    #[test]
    fn an_observation_at_a_boundary_belongs_to_the_next_period() {
        // The observation at exactly 60 s, before or after evaluate(60 s), is in [60 s, 120 s).
        for observe_first in [true, false] {
            let mut alarm = m_of_n(1, 1, TreatMissingData::NotBreaching);
            alarm.observe(SimTime::ZERO, 5.0); // time zero is in the first period
            if observe_first {
                alarm.observe(boundary(1), 20.0);
            }
            assert_eq!(alarm.evaluate(boundary(1)), Some(O), "observe first: {observe_first}");
            if !observe_first {
                alarm.observe(boundary(1), 20.0);
            }
            assert_eq!(alarm.evaluate(boundary(2)), Some(A), "observe first: {observe_first}");
            assert_eq!(alarm.datapoints, [Some(20.0)]);
        }
        // The last instant before the boundary is still in the closing period.
        let mut alarm = m_of_n(1, 1, TreatMissingData::NotBreaching);
        alarm.observe(SimTime::from_nanos(boundary(1).as_nanos() - 1), 20.0);
        assert_eq!(alarm.evaluate(boundary(1)), Some(A));
    }

    #[test]
    fn before_n_periods_missing_judges_the_datapoints_that_exist() {
        // 3 of 3: breaching datapoints alone keep INSUFFICIENT_DATA until there are three of them.
        let mut alarm = m_of_n(3, 3, TreatMissingData::Missing);
        assert_eq!(run(&mut alarm, "X X X"), [None, None, Some(A)]);
        // A non-breaching datapoint decides OK at once.
        let mut alarm = m_of_n(3, 3, TreatMissingData::Missing);
        assert_eq!(run(&mut alarm, "0"), [Some(O)]);
        // An empty first period is all the window has: INSUFFICIENT_DATA, unchanged.
        let mut alarm = m_of_n(3, 3, TreatMissingData::Missing);
        assert_eq!(run(&mut alarm, "- 0"), [None, Some(O)]);
    }

    #[test]
    fn breaching_does_not_count_periods_before_time_zero() {
        // 1 of 3 with missing as breaching: [0] is OK; counting two periods before zero would alarm.
        let mut alarm = m_of_n(1, 3, TreatMissingData::Breaching);
        assert_eq!(run(&mut alarm, "0 -"), [Some(O), Some(A)]);
    }

    /// Rows of CloudWatch's documented tables ("How alarm state is evaluated when data is missing")
    /// whose verdict the last three datapoints decide, so our window without look-back gives the same
    /// state. Each row is five periods, oldest first, fed to a fresh alarm; the expected states are
    /// the table's columns MISSING, IGNORE, BREACHING, NOT BREACHING ("retain current state" is the
    /// state before the last period: INSUFFICIENT_DATA in these rows).
    #[test]
    fn documented_rows_that_the_last_n_datapoints_decide() {
        use TreatMissingData::*;
        let rows = [
            (3, "- - - - -", [I, I, A, O]),
            (3, "- - - - X", [I, I, A, O]),
            (2, "0 - X - X", [A, A, A, A]),
            (2, "0 0 X 0 X", [A, A, A, A]),
            (2, "- - - - 0", [O, O, A, O]),
            (2, "- - - - X", [I, I, A, O]),
        ];
        for (m, periods, expected) in rows {
            for (missing, state) in [Missing, Ignore, Breaching, NotBreaching].into_iter().zip(expected) {
                let mut alarm = m_of_n(m, 3, missing);
                run(&mut alarm, periods);
                assert_eq!(alarm.state(), state, "{m} of 3, {periods}, {missing:?}");
            }
        }
    }

    #[test]
    fn without_look_back_missing_forgets_datapoints_older_than_n_periods() {
        // CloudWatch's table gives OK for "0 - - - -" (3 of 3, Missing): it finds the 0 by looking five
        // periods back. We keep three, so the fifth period's window [- - -] is INSUFFICIENT_DATA.
        let mut alarm = m_of_n(3, 3, TreatMissingData::Missing);
        assert_eq!(run(&mut alarm, "0 - - - -"), [Some(O), None, None, Some(I), None]);
    }

    #[test]
    fn memory_is_the_last_n_datapoints() {
        let mut alarm = m_of_n(2, 4, TreatMissingData::Missing);
        for k in 1..=100 {
            alarm.observe(alarm.open_start, k as f64);
            alarm.observe(alarm.open_start, 0.0);
            alarm.evaluate(boundary(k));
        }
        assert_eq!(alarm.datapoints, [Some(97.0), Some(98.0), Some(99.0), Some(100.0)]);
        assert_eq!(alarm.state(), A);
    }

    #[test]
    fn non_finite_observations_are_dropped() {
        let mut c = config(1, 1, ComparisonOperator::GreaterThanThreshold, TreatMissingData::Missing);
        c.statistic = Statistic::Average;
        let mut alarm = Alarm::new(c);
        for value in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            alarm.observe(at_secs(1), value);
        }
        assert_eq!(alarm.evaluate(boundary(1)), None, "no finite observation: missing");
        alarm.observe(at_secs(61), 4.0);
        alarm.observe(at_secs(62), f64::NAN);
        assert_eq!(alarm.evaluate(boundary(2)), Some(O));
        assert_eq!(alarm.datapoints, [Some(4.0)]);
    }

    #[test]
    fn validate_names_what_was_found_and_what_was_expected() {
        let good = config(3, 2, ComparisonOperator::GreaterThanThreshold, TreatMissingData::Missing);
        assert_eq!(good.validate(), Ok(()));
        let cases = [
            (AlarmConfig { period: SimDuration::ZERO, ..good.clone() }, "period is 0; expected a positive duration"),
            (AlarmConfig { evaluation_periods: 0, ..good.clone() }, "evaluation_periods is 0; expected at least 1"),
            (
                AlarmConfig { datapoints_to_alarm: 0, ..good.clone() },
                "datapoints_to_alarm is 0; expected 1 to 3 (evaluation_periods)",
            ),
            (
                AlarmConfig { datapoints_to_alarm: 4, ..good.clone() },
                "datapoints_to_alarm is 4; expected 1 to 3 (evaluation_periods)",
            ),
            (AlarmConfig { threshold: f64::NAN, ..good.clone() }, "threshold is NaN; expected a finite number"),
        ];
        for (bad, message) in cases {
            assert_eq!(bad.validate(), Err(message.to_string()));
        }
    }

    #[test]
    #[should_panic(expected = "every boundary is evaluated once, in order")]
    fn a_skipped_boundary_is_the_callers_bug() {
        let mut alarm = m_of_n(1, 1, TreatMissingData::Missing);
        alarm.evaluate(boundary(2));
    }

    #[test]
    fn states_print_as_cloudwatch_names_them() {
        assert_eq!([I, O, A].map(|s| s.to_string()), ["INSUFFICIENT_DATA", "OK", "ALARM"]);
    }
}
