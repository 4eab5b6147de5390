//! Numbers printed for people as the measurement supports them.
//!
//! Percentiles come from sim-core's histograms, whose buckets are under 2^-8 (0.39%) of the value
//! they hold wide ([`sim_core::metrics::histogram`]): the fourth significant digit of a p99 is
//! the bucket's, not the run's, and two seeds whose p99 fall in one bucket print the same value. So
//! summary.md and the terminal print percentiles (and maxima beside them) to
//! [`HISTOGRAM_DIGITS`] significant digits, in milliseconds below a second and in seconds from one
//! second up, and say so; summary.json and histograms.csv keep every digit for programs.

/// Significant digits of a value read from a histogram.
pub const HISTOGRAM_DIGITS: usize = 3;

/// What summary.md says under a table of percentiles.
pub const HISTOGRAM_NOTE: &str = "Percentiles are read from histograms whose buckets are under 0.4% of the value wide; \
     they and the maxima beside them are shown to 3 significant digits (summary.json and histograms.csv keep \
     every digit).";

/// `x` to `digits` significant digits, in plain decimal notation (`171261.82` to 3 is `171000`,
/// `0.0116501` is `0.0117`, `27.59` is `27.6`). The exponent is taken from Rust's own `{:e}`
/// formatting after rounding, so the digits are the same on every platform.
pub fn significant(x: f64, digits: usize) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let digits = digits.max(1);
    let scientific = format!("{x:.prec$e}", prec = digits - 1);
    let exponent: i32 = scientific.rsplit_once('e').and_then(|(_, e)| e.parse().ok()).unwrap_or(0);
    let decimals = (digits as i32 - 1 - exponent).max(0) as usize;
    if decimals > 0 {
        return format!("{x:.decimals$}");
    }
    // Whole digits beyond the significant ones print as zeros.
    let unit = 10f64.powi(exponent + 1 - digits as i32);
    format!("{:.0}", (x / unit).round() * unit)
}

/// A duration given in milliseconds, to [`HISTOGRAM_DIGITS`] significant digits: `954 ms`,
/// `27.6 ms`, `0.412 ms` below a second; `4.17 s`, `171 s`, `1810 s` from one second up.
pub fn duration_ms(ms: f64) -> String {
    // Decided on the value as it would print: 999.7 ms rounds to 1000 ms, shown as 1.00 s.
    let rounded: f64 = significant(ms, HISTOGRAM_DIGITS).parse().unwrap_or(ms);
    if rounded.abs() < 1000.0 {
        format!("{} ms", significant(ms, HISTOGRAM_DIGITS))
    } else {
        format!("{} s", significant(ms / 1000.0, HISTOGRAM_DIGITS))
    }
}

/// A duration given in seconds, as [`duration_ms`] prints it.
pub fn duration_s(s: f64) -> String {
    duration_ms(s * 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn significant_digits_round_and_never_use_an_exponent() {
        assert_eq!(significant(171_261.82, 3), "171000");
        assert_eq!(significant(954.204, 3), "954");
        assert_eq!(significant(27.59, 3), "27.6");
        assert_eq!(significant(20.0, 3), "20.0");
        assert_eq!(significant(0.011_650_175_550_590_489, 3), "0.0117");
        assert_eq!(significant(999.6, 3), "1000");
        assert_eq!(significant(-4.173_853, 3), "-4.17");
        assert_eq!(significant(0.0, 3), "0");
        assert_eq!(significant(123_456.0, 1), "100000");
    }

    /// The issue's own examples: 171261.82 ms, 4173.853 ms, 139.984 ms, and the edges of a second.
    #[test]
    fn durations_print_in_milliseconds_below_a_second_and_seconds_above() {
        assert_eq!(duration_ms(171_261.82), "171 s");
        assert_eq!(duration_ms(4_173.853), "4.17 s");
        assert_eq!(duration_ms(139.984), "140 ms");
        assert_eq!(duration_ms(0.412_34), "0.412 ms");
        assert_eq!(duration_ms(999.4), "999 ms");
        assert_eq!(duration_ms(999.7), "1.00 s");
        assert_eq!(duration_ms(1_812_345.0), "1810 s");
        assert_eq!(duration_s(177.704), "178 s");
        assert_eq!(duration_s(0.5), "500 ms");
    }
}
