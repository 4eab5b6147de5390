//! Open-loop arrivals: when the clients of a population send requests, whatever the system's state.
//!
//! This module owns [`RateProfile`] (a request rate over simulated time: constant, steps, a ramp, a
//! daily cycle, or points joined by straight lines), its validation, its exact integral, and
//! [`PoissonArrivals`], a non-homogeneous Poisson process with that rate sampled by thinning (Lewis
//! and Shedler 1979).
//!
//! Guarantees:
//! - Rates are requests per second; [`RateProfile::integral`] is the expected number of requests in a
//!   window, in closed form for every variant (tests compare it with sampled counts).
//! - Each thinning candidate consumes exactly two draws (`next_f64_open0` for the gap, `next_f64` to
//!   accept it); stretches where the rate is identically zero are skipped without drawing, which is
//!   exact because a Poisson process has no memory.
//! - [`PoissonArrivals::next_after`] always ends: it returns `None` once the rate is zero forever or
//!   the next arrival would fall after the horizon given to the constructor.
//! - All floating-point functions come from `libm`; the daily cycle's phase is reduced modulo its period
//!   in integer nanoseconds, so the rate at day 1000 is as accurate as at day 1.

use std::f64::consts::TAU;

use sim_core::{SimDuration, SimTime, Stream};

/// A request rate (per second) as a function of simulated time.
#[derive(Clone, Debug, PartialEq)]
pub enum RateProfile {
    Constant(f64),
    /// `(time, rate)`: the rate from each time on, until the next step. Zero before the first step.
    Steps(Vec<(SimTime, f64)>),
    /// `from_rate` until `start`, then linear to `to_rate` at `end`, then `to_rate`.
    Ramp {
        from_rate: f64,
        to_rate: f64,
        start: SimTime,
        end: SimTime,
    },
    /// `mean_rate * (1 + amplitude * cos(2π (t - peak_at) / period))`: highest at `peak_at` and every
    /// `period` after (and before) it.
    Daily {
        mean_rate: f64,
        amplitude: f64,
        period: SimDuration,
        peak_at: SimDuration,
    },
    /// `(time, rate)` points joined by straight lines; the first rate before the first point and the last
    /// rate after the last.
    Piecewise(Vec<(SimTime, f64)>),
}

impl RateProfile {
    /// Checks the parameters; the message says what was found and what was expected.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            RateProfile::Constant(rate) => {
                check_rate("the constant rate", *rate)?;
                if *rate == 0.0 {
                    return Err("the constant rate is 0; expected a positive rate (requests per second)".into());
                }
                Ok(())
            }
            RateProfile::Steps(steps) => check_points("step", steps),
            RateProfile::Piecewise(points) => check_points("point", points),
            RateProfile::Ramp { from_rate, to_rate, start, end } => {
                check_rate("the ramp's from_rate", *from_rate)?;
                check_rate("the ramp's to_rate", *to_rate)?;
                if *from_rate == 0.0 && *to_rate == 0.0 {
                    return Err("the ramp's from_rate and to_rate are both 0; expected at least one positive".into());
                }
                if end <= start {
                    return Err(format!("the ramp ends at {end}, not after its start {start}; expected end > start"));
                }
                Ok(())
            }
            RateProfile::Daily { mean_rate, amplitude, period, .. } => {
                check_rate("the daily mean_rate", *mean_rate)?;
                if *mean_rate == 0.0 {
                    return Err("the daily mean_rate is 0; expected a positive rate (requests per second)".into());
                }
                if !(0.0..=1.0).contains(amplitude) {
                    return Err(format!("the daily amplitude is {amplitude}; expected a number in [0, 1]"));
                }
                if period.is_zero() {
                    return Err("the daily period is 0s; expected a positive duration".into());
                }
                Ok(())
            }
        }
    }

    /// The rate at `t`, in requests per second.
    pub fn rate_at(&self, t: SimTime) -> f64 {
        match self {
            RateProfile::Constant(rate) => *rate,
            RateProfile::Steps(steps) => step_rate_at(steps, t),
            RateProfile::Piecewise(points) => linear_rate_at(points, t),
            RateProfile::Ramp { from_rate, to_rate, start, end } => {
                linear_rate_at(&[(*start, *from_rate), (*end, *to_rate)], t)
            }
            RateProfile::Daily { mean_rate, amplitude, period, peak_at } => {
                mean_rate * (1.0 + amplitude * libm::cos(TAU * cycle_fraction(t, *period, *peak_at)))
            }
        }
    }

    /// The highest rate at any time.
    pub fn max_rate(&self) -> f64 {
        match self {
            RateProfile::Constant(rate) => *rate,
            RateProfile::Steps(points) | RateProfile::Piecewise(points) => {
                points.iter().map(|&(_, rate)| rate).fold(0.0, f64::max)
            }
            RateProfile::Ramp { from_rate, to_rate, .. } => from_rate.max(*to_rate),
            RateProfile::Daily { mean_rate, amplitude, .. } => mean_rate * (1.0 + amplitude),
        }
    }

    /// The integral of the rate from `from` to `to`: the expected number of arrivals in that window.
    /// Zero when `to <= from`.
    pub fn integral(&self, from: SimTime, to: SimTime) -> f64 {
        if to <= from {
            return 0.0;
        }
        match self {
            RateProfile::Constant(rate) => rate * seconds(from, to),
            RateProfile::Steps(steps) => step_integral(steps, from, to),
            RateProfile::Piecewise(points) => linear_integral(points, from, to),
            RateProfile::Ramp { from_rate, to_rate, start, end } => {
                linear_integral(&[(*start, *from_rate), (*end, *to_rate)], from, to)
            }
            RateProfile::Daily { mean_rate, amplitude, period, peak_at } => {
                // The integral of cos(2π (t - peak) / P) is P / 2π * sin(2π (t - peak) / P).
                let sine = |t| libm::sin(TAU * cycle_fraction(t, *period, *peak_at));
                let wave = period.as_secs_f64() / TAU * (sine(to) - sine(from));
                mean_rate * (seconds(from, to) + amplitude * wave)
            }
        }
    }

    /// The first time at or after `t` from which the rate is not identically zero on a stretch: `t`
    /// itself unless a stretch of zero rate starts at `t`, its end if one does, and `None` if the rate
    /// is zero from `t` on forever.
    fn end_of_zero_stretch(&self, t: SimTime) -> Option<SimTime> {
        match self {
            RateProfile::Constant(_) | RateProfile::Daily { .. } => Some(t),
            RateProfile::Steps(steps) => {
                if step_rate_at(steps, t) > 0.0 {
                    return Some(t);
                }
                let after = steps.partition_point(|&(time, _)| time <= t);
                steps[after..].iter().find(|&&(_, rate)| rate > 0.0).map(|&(time, _)| time)
            }
            RateProfile::Piecewise(points) => linear_end_of_zero_stretch(points, t),
            RateProfile::Ramp { from_rate, to_rate, start, end } => {
                linear_end_of_zero_stretch(&[(*start, *from_rate), (*end, *to_rate)], t)
            }
        }
    }
}

fn check_rate(what: &str, rate: f64) -> Result<(), String> {
    if rate.is_finite() && rate >= 0.0 {
        Ok(())
    } else {
        Err(format!("{what} is {rate}; expected a finite rate >= 0 (requests per second)"))
    }
}

/// Steps and piecewise points: at least one, rates valid, one of them positive, times strictly increasing.
fn check_points(kind: &str, points: &[(SimTime, f64)]) -> Result<(), String> {
    if points.is_empty() {
        return Err(format!("the profile has no {kind}; expected at least one (time, rate) {kind}"));
    }
    for (i, &(time, rate)) in points.iter().enumerate() {
        check_rate(&format!("the rate of {kind} {} (at {time})", i + 1), rate)?;
        if i > 0 && points[i - 1].0 >= time {
            return Err(format!(
                "{kind} {} is at {time}, not after {kind} {} at {}; expected times strictly increasing",
                i + 1,
                i,
                points[i - 1].0
            ));
        }
    }
    if points.iter().all(|&(_, rate)| rate == 0.0) {
        return Err(format!("every {kind}'s rate is 0; expected at least one positive rate"));
    }
    Ok(())
}

/// Seconds from `from` to `to` (zero if `to` is earlier).
fn seconds(from: SimTime, to: SimTime) -> f64 {
    to.saturating_since(from).as_secs_f64()
}

/// Where `t` is in the cycle, in [0, 1): 0 at the peak. Reduced in integers, so exact at any `t`.
fn cycle_fraction(t: SimTime, period: SimDuration, peak_at: SimDuration) -> f64 {
    let period = i128::from(period.as_nanos().max(1));
    let offset = (i128::from(t.as_nanos()) - i128::from(peak_at.as_nanos())).rem_euclid(period);
    offset as f64 / period as f64
}

fn step_rate_at(steps: &[(SimTime, f64)], t: SimTime) -> f64 {
    match steps.partition_point(|&(time, _)| time <= t) {
        0 => 0.0,
        after => steps[after - 1].1,
    }
}

fn step_integral(steps: &[(SimTime, f64)], from: SimTime, to: SimTime) -> f64 {
    let mut total = 0.0;
    for (i, &(start, rate)) in steps.iter().enumerate() {
        let end = steps.get(i + 1).map_or(SimTime::MAX, |&(next, _)| next);
        let (lo, hi) = (start.max(from), end.min(to));
        if lo < hi {
            total += rate * seconds(lo, hi);
        }
    }
    total
}

/// Linear interpolation between points sorted by time, constant outside them.
fn linear_rate_at(points: &[(SimTime, f64)], t: SimTime) -> f64 {
    let after = points.partition_point(|&(time, _)| time <= t);
    if after == 0 {
        return points.first().map_or(0.0, |&(_, rate)| rate);
    }
    let (a, rate_a) = points[after - 1];
    match points.get(after) {
        None => rate_a,
        Some(&(b, rate_b)) => {
            let f = t.saturating_since(a).as_nanos() as f64 / b.saturating_since(a).as_nanos() as f64;
            // A weighted mean of two non-negative rates is never negative, even after rounding.
            rate_a * (1.0 - f) + rate_b * f
        }
    }
}

fn linear_integral(points: &[(SimTime, f64)], from: SimTime, to: SimTime) -> f64 {
    let (Some(&(first, first_rate)), Some(&(last, last_rate))) = (points.first(), points.last()) else {
        return 0.0;
    };
    let mut total = 0.0;
    if from < first {
        total += first_rate * seconds(from, to.min(first));
    }
    for pair in points.windows(2) {
        let (lo, hi) = (pair[0].0.max(from), pair[1].0.min(to));
        if lo < hi {
            // The trapezoid rule is exact for a straight line.
            total += (linear_rate_at(points, lo) + linear_rate_at(points, hi)) / 2.0 * seconds(lo, hi);
        }
    }
    if to > last {
        total += last_rate * seconds(from.max(last), to);
    }
    total
}

fn linear_end_of_zero_stretch(points: &[(SimTime, f64)], t: SimTime) -> Option<SimTime> {
    if linear_rate_at(points, t) > 0.0 {
        return Some(t);
    }
    // The rate is zero at `t`, so the point before `t` (if any) has rate zero too, and the rate stays
    // zero until the last zero point before the next positive one, from which it rises.
    let after = points.partition_point(|&(time, _)| time <= t);
    let next_positive = after + points[after..].iter().position(|&(_, rate)| rate > 0.0)?;
    let rise_from = next_positive.checked_sub(1).map_or(t, |i| points[i].0);
    Some(rise_from.max(t))
}

/// A non-homogeneous Poisson process with a [`RateProfile`], up to a horizon.
#[derive(Clone, Debug)]
pub struct PoissonArrivals {
    profile: RateProfile,
    max_rate: f64,
    horizon: SimTime,
}

impl PoissonArrivals {
    /// Validates `profile`. No arrival is ever returned after `horizon`, which also bounds the work of
    /// one call to [`PoissonArrivals::next_after`] when the rate is low for a long time.
    pub fn new(profile: RateProfile, horizon: SimTime) -> Result<PoissonArrivals, String> {
        profile.validate()?;
        let max_rate = profile.max_rate();
        Ok(PoissonArrivals { profile, max_rate, horizon })
    }

    pub fn profile(&self) -> &RateProfile {
        &self.profile
    }

    pub fn horizon(&self) -> SimTime {
        self.horizon
    }

    /// The next arrival strictly after `now`, or `None` if there is none up to the horizon (including
    /// when the rate is zero from `now` on forever).
    ///
    /// Thinning: candidates are a homogeneous Poisson process at the maximum rate (each gap one
    /// `next_f64_open0`, rounded to the nanosecond and at least 1 ns, so that time moves), and a
    /// candidate at `t` is kept with probability `rate_at(t) / max_rate` (one `next_f64`). Two draws per
    /// candidate; the expected candidates per arrival are `max_rate` over the mean rate while waiting.
    /// Because the process has no memory, calling this again from the returned time continues the same
    /// process; no state is kept between calls.
    pub fn next_after(&mut self, now: SimTime, rng: &mut Stream) -> Option<SimTime> {
        let mut t = now;
        loop {
            // A stretch with no arrivals possible is skipped without drawing: this is what ends the
            // loop when the rate is zero forever, and keeps long quiet stretches cheap.
            t = self.profile.end_of_zero_stretch(t)?;
            let gap = SimDuration::from_secs_f64(-libm::log(rng.next_f64_open0()) / self.max_rate);
            let candidate = t.checked_add(gap.max(SimDuration::from_nanos(1)))?;
            if candidate > self.horizon {
                return None;
            }
            if rng.next_f64() * self.max_rate < self.profile.rate_at(candidate) {
                return Some(candidate);
            }
            t = candidate;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::Seed;

    fn secs(s: u64) -> SimTime {
        SimTime::at(SimDuration::from_secs(s))
    }

    fn ms(m: u64) -> SimTime {
        SimTime::at(SimDuration::from_millis(m))
    }

    /// One profile of each variant, with zero stretches, steps down and ups, over [0, 100s].
    fn profiles() -> Vec<(&'static str, RateProfile)> {
        vec![
            ("constant", RateProfile::Constant(200.0)),
            ("steps", RateProfile::Steps(vec![(secs(0), 50.0), (secs(30), 400.0), (secs(60), 0.0), (secs(70), 100.0)])),
            ("ramp", RateProfile::Ramp { from_rate: 10.0, to_rate: 500.0, start: secs(20), end: secs(80) }),
            (
                "daily",
                RateProfile::Daily {
                    mean_rate: 200.0,
                    amplitude: 0.9,
                    period: SimDuration::from_secs(60),
                    peak_at: SimDuration::from_secs(15),
                },
            ),
            (
                "piecewise",
                RateProfile::Piecewise(vec![(secs(10), 0.0), (secs(40), 400.0), (secs(60), 100.0), (secs(90), 300.0)]),
            ),
        ]
    }

    /// The integral by the midpoint rule over 1 ms cells, as an independent oracle.
    fn numeric_integral(profile: &RateProfile, from: SimTime, to: SimTime) -> f64 {
        let cells = to.saturating_since(from).as_nanos() / 1_000_000;
        (0..cells).map(|i| profile.rate_at(SimTime::from_nanos(from.as_nanos() + i * 1_000_000 + 500_000)) * 1e-3).sum()
    }

    #[test]
    fn integral_matches_the_midpoint_rule() {
        let windows = [(0, 100_000), (0, 1), (12_345, 67_891), (59_999, 70_001), (95_000, 130_000), (25_000, 25_001)];
        for (name, profile) in profiles() {
            for (from, to) in windows {
                let exact = profile.integral(ms(from), ms(to));
                let numeric = numeric_integral(&profile, ms(from), ms(to));
                // Midpoint error on 1 ms cells is tiny for lines and the cosine; steps sit on cell edges.
                assert!(
                    (exact - numeric).abs() <= 1e-6 * numeric.abs().max(1.0),
                    "{name} [{from}ms, {to}ms): {exact} vs {numeric}"
                );
            }
            assert_eq!(profile.integral(secs(5), secs(5)), 0.0);
            assert_eq!(profile.integral(secs(6), secs(5)), 0.0);
        }
    }

    #[test]
    fn rates_at_chosen_times() {
        let p = profiles();
        let cases = [
            (&p[1].1, secs(0), 50.0),
            (&p[1].1, ms(29_999), 50.0),
            (&p[1].1, secs(30), 400.0),
            (&p[1].1, secs(65), 0.0),
            (&p[1].1, secs(1000), 100.0),
            (&p[2].1, secs(0), 10.0),
            (&p[2].1, secs(50), 255.0),
            (&p[2].1, secs(99), 500.0),
            (&p[3].1, secs(15), 380.0),
            (&p[3].1, secs(45), 20.0),
            (&p[3].1, secs(60 * 1000 + 15), 380.0),
            (&p[4].1, secs(0), 0.0),
            (&p[4].1, secs(50), 250.0),
            (&p[4].1, secs(200), 300.0),
        ];
        for (profile, t, rate) in cases {
            assert!((profile.rate_at(t) - rate).abs() < 1e-9, "{profile:?} at {t}: {}", profile.rate_at(t));
        }
        assert_eq!(RateProfile::Steps(vec![(secs(10), 5.0)]).rate_at(secs(9)), 0.0, "zero before the first step");
        let maxima: Vec<f64> = p.iter().map(|(_, profile)| profile.max_rate()).collect();
        assert_eq!(maxima, [200.0, 400.0, 500.0, 380.0, 400.0]);
    }

    /// Poisson counts: each interval's count has mean and variance equal to the integral.
    #[test]
    fn counts_per_interval_match_the_integral() {
        const INTERVALS: u64 = 20;
        let end = secs(100);
        for (name, profile) in profiles() {
            let mut arrivals = PoissonArrivals::new(profile.clone(), end).unwrap();
            let mut rng = Seed(0x5eed).stream(name);
            let width = end.as_nanos() / INTERVALS;
            let mut counts = [0u64; INTERVALS as usize];
            let mut t = SimTime::ZERO;
            while let Some(next) = arrivals.next_after(t, &mut rng) {
                assert!(next > t && next <= end, "{name}: {next} after {t}");
                // Interval i is (i * width, (i + 1) * width]; arrivals are strictly after time 0.
                counts[((next.as_nanos() - 1) / width) as usize] += 1;
                t = next;
            }
            let mut worst = 0.0f64;
            for (i, &count) in counts.iter().enumerate() {
                let from = SimTime::from_nanos(i as u64 * width);
                let mean = profile.integral(from, SimTime::from_nanos(from.as_nanos() + width));
                if mean == 0.0 {
                    assert_eq!(count, 0, "{name} interval {i}: arrivals where the rate is zero");
                    continue;
                }
                let z = (count as f64 - mean) / mean.sqrt();
                worst = worst.max(z.abs());
                assert!(z.abs() < 4.0, "{name} interval {i}: {count} arrivals, expected {mean:.1}: z={z:.2}");
            }
            eprintln!("{name}: largest |z| over {INTERVALS} intervals = {worst:.2}");
        }
    }

    #[test]
    fn constant_rate_gaps_have_mean_one_over_rate() {
        const RATE: f64 = 250.0;
        const GAPS: u64 = 100_000;
        let mut arrivals = PoissonArrivals::new(RateProfile::Constant(RATE), SimTime::MAX).unwrap();
        let mut rng = Seed(11).stream("gaps");
        let mut t = SimTime::ZERO;
        for _ in 0..GAPS {
            t = arrivals.next_after(t, &mut rng).unwrap();
        }
        let mean_gap = t.as_secs_f64() / GAPS as f64;
        // An exponential gap's standard deviation equals its mean.
        let z = (mean_gap - 1.0 / RATE) / (1.0 / RATE / (GAPS as f64).sqrt());
        assert!(z.abs() < 4.0, "mean gap {mean_gap} s vs {} s: z={z:.2}", 1.0 / RATE);
    }

    #[test]
    fn a_rate_that_ends_at_zero_returns_none_even_without_a_horizon() {
        let tails = [
            RateProfile::Steps(vec![(secs(0), 100.0), (secs(10), 0.0)]),
            RateProfile::Steps(vec![(secs(0), 100.0), (secs(10), 0.0), (secs(20), 0.0)]),
            RateProfile::Ramp { from_rate: 100.0, to_rate: 0.0, start: secs(0), end: secs(10) },
            RateProfile::Piecewise(vec![(secs(0), 100.0), (secs(10), 0.0), (secs(20), 0.0)]),
        ];
        for profile in tails {
            let mut arrivals = PoissonArrivals::new(profile.clone(), SimTime::MAX).unwrap();
            let mut rng = Seed(1).stream("tail");
            let mut t = SimTime::ZERO;
            let mut count = 0;
            while let Some(next) = arrivals.next_after(t, &mut rng) {
                assert!(next < secs(10), "{profile:?}: arrival at {next}");
                (t, count) = (next, count + 1);
            }
            assert!(count > 100, "{profile:?}: only {count} arrivals");
            assert_eq!(arrivals.next_after(secs(10), &mut rng), None);
            assert_eq!(arrivals.next_after(SimTime::MAX, &mut rng), None);
        }
    }

    #[test]
    fn long_zero_stretches_are_skipped_and_the_horizon_is_respected() {
        let week = SimTime::at(SimDuration::from_hours(24 * 7));
        let profile = RateProfile::Steps(vec![(secs(0), 0.0), (week, 1000.0)]);
        let mut arrivals = PoissonArrivals::new(profile, SimTime::MAX).unwrap();
        let mut rng = Seed(2).stream("skip");
        // Thinning at 1000/s through a zero week would take 6e8 candidates; skipping takes none.
        let first = arrivals.next_after(SimTime::ZERO, &mut rng).unwrap();
        assert!(first > week && first < week + SimDuration::from_secs(1), "{first}");

        let piecewise =
            RateProfile::Piecewise(vec![(secs(0), 0.0), (week, 0.0), (week + SimDuration::from_secs(1), 1e3)]);
        let mut arrivals = PoissonArrivals::new(piecewise, SimTime::MAX).unwrap();
        assert!(arrivals.next_after(SimTime::ZERO, &mut rng).unwrap() > week);

        let mut bounded = PoissonArrivals::new(RateProfile::Constant(1.0), secs(10)).unwrap();
        let mut t = SimTime::ZERO;
        while let Some(next) = bounded.next_after(t, &mut rng) {
            assert!(next <= secs(10));
            t = next;
        }
        assert_eq!(bounded.next_after(secs(10), &mut rng), None);
    }

    #[test]
    fn validate_names_what_was_found_and_what_was_expected() {
        let bad = [
            (RateProfile::Constant(-1.0), "the constant rate is -1; expected a finite rate >= 0"),
            (RateProfile::Constant(f64::NAN), "is NaN"),
            (RateProfile::Constant(0.0), "expected a positive rate"),
            (RateProfile::Steps(vec![]), "no step; expected at least one"),
            (RateProfile::Steps(vec![(secs(0), 0.0), (secs(1), 0.0)]), "every step's rate is 0"),
            (
                RateProfile::Steps(vec![(secs(5), 1.0), (secs(5), 2.0)]),
                "step 2 is at t=5s, not after step 1 at t=5s; expected times strictly increasing",
            ),
            (RateProfile::Piecewise(vec![(secs(0), f64::INFINITY)]), "the rate of point 1 (at t=0s) is inf"),
            (RateProfile::Ramp { from_rate: 1.0, to_rate: 2.0, start: secs(5), end: secs(5) }, "expected end > start"),
            (RateProfile::Ramp { from_rate: 0.0, to_rate: 0.0, start: secs(0), end: secs(5) }, "both 0"),
            (
                RateProfile::Daily {
                    mean_rate: 1.0,
                    amplitude: 1.5,
                    period: SimDuration::from_secs(1),
                    peak_at: SimDuration::ZERO,
                },
                "amplitude is 1.5; expected a number in [0, 1]",
            ),
            (
                RateProfile::Daily {
                    mean_rate: 1.0,
                    amplitude: 0.5,
                    period: SimDuration::ZERO,
                    peak_at: SimDuration::ZERO,
                },
                "period is 0s; expected a positive duration",
            ),
        ];
        for (profile, expected) in bad {
            let e = profile.validate().expect_err(&format!("{profile:?} should be rejected"));
            assert!(e.contains(expected), "{profile:?}: {e}");
            assert!(PoissonArrivals::new(profile, SimTime::MAX).is_err());
        }
        for (name, profile) in profiles() {
            assert_eq!(profile.validate(), Ok(()), "{name}");
        }
    }

    /// Pins the first arrivals: a change to the thinning or its draws is deliberate.
    #[test]
    fn golden_first_arrivals() {
        let mut arrivals = PoissonArrivals::new(profiles()[3].1.clone(), SimTime::MAX).unwrap();
        let mut rng = Seed(0x2a).stream("arrivals");
        let mut t = SimTime::ZERO;
        let got: Vec<u64> = (0..5)
            .map(|_| {
                t = arrivals.next_after(t, &mut rng).unwrap();
                t.as_nanos()
            })
            .collect();
        assert_eq!(got, GOLDEN_DAILY_0X2A);
    }

    const GOLDEN_DAILY_0X2A: [u64; 5] = [3000240, 7144109, 14590203, 18193727, 25566470];
}
