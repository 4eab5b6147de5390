//! Simulated time as integer nanoseconds.
//!
//! `SimTime` is an instant since the start of a run, `SimDuration` a span between two instants.
//! Both are `u64` nanoseconds (a run can last 584 years), so time arithmetic is exact and the same on
//! every machine. Floats appear only where a distribution is sampled ([`SimDuration::from_secs_f64`])
//! and where a figure is written out ([`SimDuration::as_secs_f64`]).
//!
//! Durations parse from and print to strings with units: `"250ms"`, `"1.5s"`, `"15m"`, `"2h"`,
//! `"30us"`, `"12ns"`, and compounds such as `"5m30s"`. Parsing is exact: `"0.1s"` is exactly 100 000 000 ns, never a float round trip.

use std::fmt;
use std::ops::{Add, AddAssign, Mul, Sub};
use std::str::FromStr;

const NANOS_PER_MICRO: u64 = 1_000;
const NANOS_PER_MILLI: u64 = 1_000_000;
const NANOS_PER_SEC: u64 = 1_000_000_000;
const NANOS_PER_MIN: u64 = 60 * NANOS_PER_SEC;
const NANOS_PER_HOUR: u64 = 60 * NANOS_PER_MIN;

/// A span of simulated time, in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(u64);

/// An instant of simulated time: nanoseconds since the start of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(u64);

impl SimDuration {
    pub const ZERO: SimDuration = SimDuration(0);
    pub const MAX: SimDuration = SimDuration(u64::MAX);

    pub const fn from_nanos(nanos: u64) -> Self {
        SimDuration(nanos)
    }
    pub const fn from_micros(micros: u64) -> Self {
        SimDuration(micros * NANOS_PER_MICRO)
    }
    pub const fn from_millis(millis: u64) -> Self {
        SimDuration(millis * NANOS_PER_MILLI)
    }
    pub const fn from_secs(secs: u64) -> Self {
        SimDuration(secs * NANOS_PER_SEC)
    }
    pub const fn from_mins(mins: u64) -> Self {
        SimDuration(mins * NANOS_PER_MIN)
    }
    pub const fn from_hours(hours: u64) -> Self {
        SimDuration(hours * NANOS_PER_HOUR)
    }

    /// Rounds a sampled number of seconds to the nearest nanosecond. Negative values and NaN become
    /// zero (a latency cannot be negative); values beyond the range saturate.
    pub fn from_secs_f64(secs: f64) -> Self {
        Self::from_nanos_f64(secs * NANOS_PER_SEC as f64)
    }

    /// Rounds a sampled number of nanoseconds to the nearest nanosecond, clamping as
    /// [`SimDuration::from_secs_f64`] does.
    pub fn from_nanos_f64(nanos: f64) -> Self {
        if nanos.is_nan() || nanos <= 0.0 {
            SimDuration::ZERO
        } else if nanos >= u64::MAX as f64 {
            SimDuration::MAX
        } else {
            // `as` from f64 rounds toward zero; add one half first to round to nearest.
            SimDuration((nanos + 0.5) as u64)
        }
    }

    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }
    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_MILLI as f64
    }
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }
    pub const fn saturating_sub(self, other: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_sub(other.0))
    }
    pub const fn checked_add(self, other: SimDuration) -> Option<SimDuration> {
        match self.0.checked_add(other.0) {
            Some(n) => Some(SimDuration(n)),
            None => None,
        }
    }
    pub const fn checked_mul(self, factor: u64) -> Option<SimDuration> {
        match self.0.checked_mul(factor) {
            Some(n) => Some(SimDuration(n)),
            None => None,
        }
    }
}

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);
    pub const MAX: SimTime = SimTime(u64::MAX);

    pub const fn from_nanos(nanos: u64) -> Self {
        SimTime(nanos)
    }
    /// The instant `since` after the start of the run.
    pub const fn at(since: SimDuration) -> Self {
        SimTime(since.0)
    }
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    pub const fn since_start(self) -> SimDuration {
        SimDuration(self.0)
    }
    pub fn as_secs_f64(self) -> f64 {
        self.since_start().as_secs_f64()
    }
    /// `self - earlier`, or zero when `earlier` is later than `self`.
    pub const fn saturating_since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
    pub const fn checked_add(self, d: SimDuration) -> Option<SimTime> {
        match self.0.checked_add(d.0) {
            Some(n) => Some(SimTime(n)),
            None => None,
        }
    }
    /// `self + d`, saturating at [`SimTime::MAX`] ("never").
    pub const fn saturating_add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.checked_add(d.0).expect("simulated time overflowed u64 nanoseconds"))
    }
}
impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, d: SimDuration) {
        *self = *self + d;
    }
}
impl Sub<SimTime> for SimTime {
    type Output = SimDuration;
    fn sub(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.checked_sub(earlier.0).expect("subtracted a later SimTime from an earlier one"))
    }
}
impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, other: SimDuration) -> SimDuration {
        SimDuration(self.0.checked_add(other.0).expect("SimDuration overflowed u64 nanoseconds"))
    }
}
impl AddAssign for SimDuration {
    fn add_assign(&mut self, other: SimDuration) {
        *self = *self + other;
    }
}
impl Sub for SimDuration {
    type Output = SimDuration;
    fn sub(self, other: SimDuration) -> SimDuration {
        SimDuration(self.0.checked_sub(other.0).expect("subtracted a longer SimDuration from a shorter one"))
    }
}
impl Mul<u64> for SimDuration {
    type Output = SimDuration;
    fn mul(self, factor: u64) -> SimDuration {
        SimDuration(self.0.checked_mul(factor).expect("SimDuration overflowed u64 nanoseconds"))
    }
}

/// Units in decreasing size, as written in scenario files and printed by `Display`.
const UNITS: [(&str, u64); 6] = [
    ("h", NANOS_PER_HOUR),
    ("m", NANOS_PER_MIN),
    ("s", NANOS_PER_SEC),
    ("ms", NANOS_PER_MILLI),
    ("us", NANOS_PER_MICRO),
    ("ns", 1),
];

/// Prints with the largest unit in which the value is at least 1, with up to three decimals and
/// trailing zeros removed: `250ms`, `1.5s`, `15m`, `0ns`. Hours and minutes are printed only when
/// exact, so `90s` stays `90s` rather than `1.5m`.
impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        if n == 0 {
            return f.write_str("0s");
        }
        for &(name, size) in &UNITS {
            let exact = n % size == 0;
            let usable = if size >= NANOS_PER_MIN { exact } else { n >= size };
            if usable {
                return write_scaled(f, n, size, name);
            }
        }
        unreachable!("every positive duration is at least 1ns")
    }
}

fn write_scaled(f: &mut fmt::Formatter<'_>, n: u64, size: u64, unit: &str) -> fmt::Result {
    let whole = n / size;
    let rest = n % size;
    if rest == 0 {
        return write!(f, "{whole}{unit}");
    }
    // Three decimals, rounded half up, in integers: no float formatting in the output.
    let millis_of_unit = (rest as u128 * 1000 + size as u128 / 2) / size as u128;
    let (whole, frac) = if millis_of_unit == 1000 { (whole + 1, 0) } else { (whole, millis_of_unit as u64) };
    if frac == 0 {
        return write!(f, "{whole}{unit}");
    }
    let digits = format!("{frac:03}");
    write!(f, "{whole}.{}{unit}", digits.trim_end_matches('0'))
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t={}", self.since_start())
    }
}

/// Why a duration string did not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseDurationError {
    pub input: String,
    pub reason: String,
}

impl fmt::Display for ParseDurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid duration {:?}: {}; expected a non-negative number followed by a unit \
             (ns, us, ms, s, m, h), for example \"250ms\", \"1.5s\" or \"15m\"",
            self.input, self.reason
        )
    }
}

impl std::error::Error for ParseDurationError {}

impl FromStr for SimDuration {
    type Err = ParseDurationError;

    /// One or more number-and-unit parts, largest first or not: `"250ms"`, `"1.5s"`, `"5m30s"`,
    /// `"1h 30m"`. Each part is exact (no float round trip).
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let err = |reason: &str| ParseDurationError { input: input.to_string(), reason: reason.to_string() };
        let s = input.trim();
        if s.is_empty() {
            return Err(err("it is empty"));
        }
        if s.starts_with('-') {
            return Err(err("durations cannot be negative"));
        }
        let mut rest = s;
        let mut total = SimDuration::ZERO;
        while !rest.is_empty() {
            let number_end =
                rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).ok_or_else(|| err("the unit is missing"))?;
            let after_number = rest[number_end..].trim_start();
            let unit_len =
                after_number.find(|c: char| c.is_ascii_digit() || c == '.' || c == ' ').unwrap_or(after_number.len());
            let part = parse_part(&rest[..number_end], &after_number[..unit_len]).map_err(|reason| err(&reason))?;
            total = total.checked_add(part).ok_or_else(|| err("it does not fit in 584 years of nanoseconds"))?;
            rest = after_number[unit_len..].trim_start();
        }
        Ok(total)
    }
}

/// One number-and-unit part of a duration.
fn parse_part(number: &str, unit: &str) -> Result<SimDuration, String> {
    let size = match unit {
        "ns" => 1,
        "us" | "µs" => NANOS_PER_MICRO,
        "ms" => NANOS_PER_MILLI,
        "s" => NANOS_PER_SEC,
        "m" | "min" => NANOS_PER_MIN,
        "h" => NANOS_PER_HOUR,
        "" => return Err("the unit is missing".into()),
        _ => return Err(format!("unknown unit {unit:?}")),
    };
    let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && frac.is_empty() {
        return Err("the number is missing".into());
    }
    if frac.contains('.') {
        return Err("the number has two decimal points".into());
    }
    let too_large = || "it does not fit in 584 years of nanoseconds".to_string();
    let whole: u64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| too_large())? };
    let mut nanos = whole.checked_mul(size).ok_or_else(too_large)?;
    // Exact decimal fraction of the unit: digits beyond nanosecond precision must be zero.
    let mut scale = size;
    for digit in frac.bytes() {
        let d = u64::from(digit - b'0');
        if scale % 10 != 0 {
            if d != 0 {
                return Err("it is finer than one nanosecond".into());
            }
            continue;
        }
        scale /= 10;
        nanos = nanos.checked_add(d * scale).ok_or_else(too_large)?;
    }
    Ok(SimDuration(nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> SimDuration {
        s.parse().unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
    }

    #[test]
    fn constructors_carry_units() {
        assert_eq!(SimDuration::from_millis(250).as_nanos(), 250_000_000);
        assert_eq!(SimDuration::from_mins(15), SimDuration::from_secs(900));
        assert_eq!(SimDuration::from_hours(1), SimDuration::from_mins(60));
        assert_eq!(SimDuration::from_micros(3), SimDuration::from_nanos(3000));
    }

    #[test]
    fn display_uses_the_largest_unit_and_trims_zeros() {
        let cases = [
            (0, "0s"),
            (12, "12ns"),
            (1_500, "1.5us"),
            (250_000_000, "250ms"),
            (1_500_000_000, "1.5s"),
            (90 * NANOS_PER_SEC, "90s"),
            (15 * NANOS_PER_MIN, "15m"),
            (2 * NANOS_PER_HOUR, "2h"),
            (1_234_567, "1.235ms"),
            (1_999_999_999, "2s"),
        ];
        for (nanos, text) in cases {
            assert_eq!(SimDuration::from_nanos(nanos).to_string(), text, "{nanos} ns");
        }
        assert_eq!(SimTime::from_nanos(1_500_000_000).to_string(), "t=1.5s");
    }

    #[test]
    fn parse_is_exact_and_round_trips_display() {
        assert_eq!(parse("0.1s").as_nanos(), 100_000_000);
        assert_eq!(parse("250ms"), SimDuration::from_millis(250));
        assert_eq!(parse(" 15m "), SimDuration::from_mins(15));
        assert_eq!(parse("1.000000001s").as_nanos(), 1_000_000_001);
        assert_eq!(parse(".5s"), SimDuration::from_millis(500));
        assert_eq!(parse("30us"), SimDuration::from_micros(30));
        assert_eq!(parse("2h"), SimDuration::from_hours(2));
        assert_eq!(parse("5m30s"), SimDuration::from_secs(330));
        assert_eq!(parse("1h 30m"), SimDuration::from_mins(90));
        assert_eq!(parse("1s500ms"), SimDuration::from_millis(1500));
        for nanos in [0, 12, 1_500, 250_000_000, 1_500_000_000, 15 * NANOS_PER_MIN] {
            let d = SimDuration::from_nanos(nanos);
            assert_eq!(parse(&d.to_string()), d);
        }
    }

    #[test]
    fn parse_rejects_bad_input_with_a_reason() {
        for (input, reason) in [
            ("", "empty"),
            ("-5s", "negative"),
            ("5", "unit is missing"),
            ("5 parsecs", "unknown unit"),
            ("5m30", "unit is missing"),
            ("5 30s", "unit is missing"),
            ("5mx3s", "unknown unit"),
            ("ms", "number is missing"),
            ("1.2.3s", "two decimal points"),
            ("1.5ns", "finer than one nanosecond"),
            ("99999999999999999999s", "584 years"),
        ] {
            let e = input.parse::<SimDuration>().expect_err(input);
            assert!(e.to_string().contains(reason), "{input:?}: {e}");
            assert!(e.to_string().contains("expected a non-negative number"), "{e}");
        }
    }

    #[test]
    fn float_conversion_rounds_and_clamps() {
        assert_eq!(SimDuration::from_secs_f64(0.0015), SimDuration::from_micros(1500));
        assert_eq!(SimDuration::from_secs_f64(-1.0), SimDuration::ZERO);
        assert_eq!(SimDuration::from_secs_f64(f64::NAN), SimDuration::ZERO);
        assert_eq!(SimDuration::from_secs_f64(1e30), SimDuration::MAX);
        assert_eq!(SimDuration::from_nanos_f64(2.5), SimDuration::from_nanos(3));
    }

    #[test]
    fn time_arithmetic() {
        let t = SimTime::ZERO + SimDuration::from_secs(2);
        assert_eq!(t - SimTime::ZERO, SimDuration::from_secs(2));
        assert_eq!(SimTime::ZERO.saturating_since(t), SimDuration::ZERO);
        assert_eq!(SimTime::MAX.saturating_add(SimDuration::from_secs(1)), SimTime::MAX);
    }

    /// The float views divide by the unit; these quotients are exact in binary, so `==` holds.
    #[test]
    fn float_views_divide_by_the_unit() {
        assert_eq!(SimDuration::from_millis(1500).as_secs_f64(), 1.5);
        assert_eq!(SimDuration::from_micros(2500).as_millis_f64(), 2.5);
        assert_eq!(SimTime::from_nanos(250_000_000).as_secs_f64(), 0.25);
    }

    #[test]
    fn checked_and_saturating_arithmetic() {
        let two = SimDuration::from_secs(2);
        let three = SimDuration::from_secs(3);
        assert!(SimDuration::ZERO.is_zero());
        assert!(!SimDuration::from_nanos(1).is_zero());
        assert_eq!(three.saturating_sub(two), SimDuration::from_secs(1));
        assert_eq!(two.saturating_sub(three), SimDuration::ZERO);
        assert_eq!(two.checked_add(three), Some(SimDuration::from_secs(5)));
        assert_eq!(SimDuration::MAX.checked_add(SimDuration::from_nanos(1)), None);
        assert_eq!(two.checked_mul(3), Some(SimDuration::from_secs(6)));
        assert_eq!(SimDuration::MAX.checked_mul(2), None);

        let t = SimTime::at(two);
        assert_eq!(t.as_nanos(), 2_000_000_000);
        assert_eq!(t.since_start(), two);
        assert_eq!(t.checked_add(three), Some(SimTime::from_nanos(5_000_000_000)));
        assert_eq!(SimTime::MAX.checked_add(SimDuration::from_nanos(1)), None);
        assert_eq!(t.saturating_add(three), SimTime::from_nanos(5_000_000_000));
        assert_eq!(SimTime::from_nanos(5_000_000_000).saturating_since(t), three);
    }

    #[test]
    fn operators() {
        let mut d = SimDuration::from_millis(1500);
        d += SimDuration::from_millis(500);
        assert_eq!(d, SimDuration::from_secs(2));
        assert_eq!(d + SimDuration::from_secs(1), SimDuration::from_secs(3));
        assert_eq!(d - SimDuration::from_millis(500), SimDuration::from_millis(1500));
        assert_eq!(d * 3, SimDuration::from_secs(6));
        let mut t = SimTime::from_nanos(10);
        t += SimDuration::from_nanos(5);
        assert_eq!(t, SimTime::from_nanos(15));
        assert_eq!(t - SimTime::from_nanos(4), SimDuration::from_nanos(11));
    }
}
