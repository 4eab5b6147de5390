//! Where axis ticks go and how legend text is laid out, shared by every figure so they read alike:
//! a linear axis ticks at 1, 2 or 5 times a power of ten; a log axis at decades, with 2 and 5
//! between them when the axis spans too few decades to read; legend labels are wrapped at word
//! boundaries instead of cut, so no label loses its end. Pure functions of their inputs.

use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;

/// A linear f64 coordinate whose grid lines and labels sit exactly at the given ticks (no light
/// lines between them), so every figure chooses its own ticks instead of plotters' defaults.
pub struct Ticked {
    inner: RangedCoordf64,
    ticks: Vec<f64>,
}

impl Ticked {
    pub fn new(range: Range<f64>, ticks: Vec<f64>) -> Ticked {
        Ticked { inner: range.into(), ticks }
    }
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() { Vec::new() } else { self.ticks.clone() }
    }

    fn range(&self) -> Range<f64> {
        self.inner.range()
    }
}

/// Ticks a linear axis aims for; the step is the smallest 1-2-5 step giving at most this many.
const LINEAR_TICKS_MAX: usize = 10;

/// Tick positions on a linear axis over `range`: multiples of a 1-2-5 step, inside the range.
pub fn linear(range: &Range<f64>) -> Vec<f64> {
    let (low, high) = (range.start, range.end);
    let span = high - low;
    if !(span.is_finite() && span > 0.0) {
        return if low.is_finite() { vec![low] } else { Vec::new() };
    }
    let raw = span / LINEAR_TICKS_MAX as f64;
    let decade = libm::pow(10.0, libm::floor(libm::log10(raw)));
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * decade).find(|s| *s >= raw).unwrap_or(10.0 * decade);
    let first = libm::ceil(low / step - 1e-9) as i64;
    let last = libm::floor(high / step + 1e-9) as i64;
    // Integer multiples of the step, so 0.1 + 0.2 never shows as 0.30000000000000004.
    (first..=last).map(|k| k as f64 * step).map(|v| if v == 0.0 { 0.0 } else { v }).collect()
}

/// Tick positions on a log-10 axis whose `range` is in log10 units: decades, plus log10 of 2 and 5
/// times each decade when fewer than three decades fall inside the range.
pub fn log10(range: &Range<f64>) -> Vec<f64> {
    let (low, high) = (range.start, range.end);
    if !(low.is_finite() && high.is_finite() && high > low) {
        return Vec::new();
    }
    let decades: Vec<i32> = ((libm::ceil(low - 1e-9) as i32)..=(libm::floor(high + 1e-9) as i32)).collect();
    if decades.len() >= 3 {
        return decades.into_iter().map(f64::from).collect();
    }
    let mut ticks = Vec::new();
    for decade in (libm::floor(low) as i32)..=(libm::ceil(high) as i32) {
        for multiple in [1.0, 2.0, 5.0] {
            let at = f64::from(decade) + libm::log10(multiple);
            if at >= low - 1e-9 && at <= high + 1e-9 {
                ticks.push(at);
            }
        }
    }
    ticks
}

/// The value a log-axis tick at log10 position `at` stands for, rounded to the 1-2-5 value it is.
pub fn log10_value(at: f64) -> f64 {
    let value = libm::pow(10.0, at);
    let decade = libm::pow(10.0, libm::floor(at + 1e-9));
    libm::round(value / decade * 1e6) / 1e6 * decade
}

/// `text` broken at spaces into lines of at most `width` characters; a word longer than `width` is
/// broken after a comma or cut into pieces of `width`, so every character is kept.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let mut word = word.to_string();
        while word.chars().count() > width {
            if !current.is_empty() {
                lines.push(std::mem::take(&mut current));
            }
            let head: String = word.chars().take(width).collect();
            lines.push(head);
            word = word.chars().skip(width).collect();
        }
        let needed = current.chars().count() + usize::from(!current.is_empty()) + word.chars().count();
        if needed > width && !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(&word);
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_ticks_are_one_two_five_steps_inside_the_range() {
        assert_eq!(linear(&(-7.0..480.0)), vec![0.0, 50.0, 100.0, 150.0, 200.0, 250.0, 300.0, 350.0, 400.0, 450.0]);
        assert_eq!(
            linear(&(0.0..1.0)),
            vec![0.0, 0.1, 0.2, 0.30000000000000004, 0.4, 0.5, 0.6000000000000001, 0.7000000000000001, 0.8, 0.9, 1.0]
        );
        assert_eq!(linear(&(173.5..189.0)), vec![174.0, 176.0, 178.0, 180.0, 182.0, 184.0, 186.0, 188.0]);
        assert_eq!(linear(&(5.0..5.0)), vec![5.0]);
    }

    #[test]
    fn log_ticks_are_decades_or_one_two_five() {
        // 0.03 .. 50: four decades inside, so decades only (no 0.316 or 3.16).
        let wide = log10(&(libm::log10(0.03)..libm::log10(50.0)));
        assert_eq!(wide.iter().map(|&t| log10_value(t)).collect::<Vec<_>>(), vec![0.1, 1.0, 10.0]);
        // 3 .. 400: 10 and 100 only, so 5, 10, 20, 50, 100, 200.
        let narrow = log10(&(libm::log10(3.0)..libm::log10(400.0)));
        assert_eq!(
            narrow.iter().map(|&t| log10_value(t)).collect::<Vec<_>>(),
            vec![5.0, 10.0, 20.0, 50.0, 100.0, 200.0]
        );
    }

    #[test]
    fn wrapping_keeps_every_character() {
        assert_eq!(
            wrap("fault: partition us-west-2 <-> us-east-1", 24),
            vec!["fault: partition", "us-west-2 <-> us-east-1"]
        );
        assert_eq!(wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 4), vec![""]);
    }
}
