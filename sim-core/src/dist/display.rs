//! Printing a [`Dist`] back as the string that parses to it.
//!
//! Guarantee: `Dist::parse_number(&d.to_string()) == Ok(d)` and
//! `Dist::parse_duration(&d.display_duration()) == Ok(d)` for every valid `d`, to the bit (up to the
//! sign of zero). Numbers print as the shortest decimal that reads back as the same `f64`; durations
//! print with a unit only where that unit reads back exactly, otherwise as whole or fractional `ns`.

use std::fmt;

use super::{Dist, Table};
use crate::time::SimDuration;

/// Whether parameters that carry the base unit are written as durations or as plain numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Flavour {
    Duration,
    Number,
}

/// The canonical form for [`Dist::parse_number`]: `exp(mean=5)`, `mix(0.9*const(1), 0.1*const(2))`.
impl fmt::Display for Dist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&render(self, Flavour::Number))
    }
}

impl Dist {
    /// The canonical form for [`Dist::parse_duration`], reading values as nanoseconds:
    /// `exp(mean=5ms)`, `lognormal(median=30ms, sigma=0.5)`.
    pub fn display_duration(&self) -> String {
        render(self, Flavour::Duration)
    }
}

fn render(dist: &Dist, flavour: Flavour) -> String {
    let scaled = |value: f64| match flavour {
        Flavour::Duration => format_duration(value),
        Flavour::Number => format_number(value),
    };
    match dist {
        Dist::Constant(value) => format!("const({})", scaled(*value)),
        Dist::Uniform { low, high } => format!("uniform(low={}, high={})", scaled(*low), scaled(*high)),
        Dist::Normal { mean, sd } => format!("normal(mean={}, sd={})", scaled(*mean), scaled(*sd)),
        Dist::LogNormal { mu, sigma } => render_lognormal(*mu, *sigma, flavour),
        Dist::Exponential { mean } => format!("exp(mean={})", scaled(*mean)),
        Dist::Pareto { scale, shape } => format!("pareto(scale={}, shape={})", scaled(*scale), format_number(*shape)),
        Dist::Sum(terms) => terms.iter().map(|term| render(term, flavour)).collect::<Vec<_>>().join(" + "),
        Dist::Mixture(components) => {
            let parts: Vec<String> = components
                .iter()
                .map(|(weight, component)| format!("{}*{}", format_number(*weight), render(component, flavour)))
                .collect();
            format!("mix({})", parts.join(", "))
        }
        Dist::Empirical(empirical) => match &empirical.0 {
            Table::Values(values) => {
                let parts: Vec<String> = values.iter().map(|value| scaled(*value)).collect();
                format!("empirical({})", parts.join(", "))
            }
            Table::Cdf(points) => {
                let parts: Vec<String> =
                    points.iter().map(|(x, p)| format!("{}:{}", scaled(*x), format_number(*p))).collect();
                format!("cdf({})", parts.join(", "))
            }
        },
    }
}

/// Durations read better as a median with a unit, but `ln(exp(mu))` is not always `mu`: the median
/// form is used only when a whole number of nanoseconds gives back exactly this `mu`.
fn render_lognormal(mu: f64, sigma: f64, flavour: Flavour) -> String {
    let sigma_text = format_number(sigma);
    if flavour == Flavour::Duration {
        let median = libm::exp(mu).round();
        if median > 0.0 && libm::log(median) == mu {
            return format!("lognormal(median={}, sigma={sigma_text})", format_duration(median));
        }
    }
    format!("lognormal(mu={}, sigma={sigma_text})", format_number(mu))
}

/// The shortest decimal that parses back to the same `f64`, in exponent form when very large or small
/// so that `1e300` does not print as 301 digits.
pub(super) fn format_number(value: f64) -> String {
    let magnitude = value.abs();
    if value == 0.0 || !value.is_finite() || (1e-4..1e16).contains(&magnitude) {
        format!("{value}")
    } else {
        format!("{value:e}")
    }
}

/// A number of nanoseconds as a duration string that [`Dist::parse_duration`] reads back exactly:
/// with SimDuration's unit where its rounding to three decimals loses nothing, else in `ns`.
pub(super) fn format_duration(nanos: f64) -> String {
    let magnitude = nanos.abs();
    // 2^64 as f64: every whole number below it converts to u64 exactly.
    let whole_u64 = magnitude.fract() == 0.0 && magnitude < u64::MAX as f64;
    if !whole_u64 {
        return format!("{}ns", format_number(nanos));
    }
    let sign = if nanos < 0.0 { "-" } else { "" };
    let duration = SimDuration::from_nanos(magnitude as u64);
    let text = duration.to_string();
    if text.parse::<SimDuration>() == Ok(duration) {
        format!("{sign}{text}")
    } else {
        format!("{sign}{}ns", duration.as_nanos())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trips(dist: &Dist) {
        let number = dist.to_string();
        assert_eq!(Dist::parse_number(&number).as_ref(), Ok(dist), "parse_number({number:?})");
        let duration = dist.display_duration();
        assert_eq!(Dist::parse_duration(&duration).as_ref(), Ok(dist), "parse_duration({duration:?})");
    }

    fn examples() -> Vec<Dist> {
        vec![
            Dist::constant(5e6).unwrap(),
            Dist::constant(-1.5).unwrap(),
            Dist::uniform(1e7, 2e7).unwrap(),
            Dist::normal(3e7, 5e6).unwrap(),
            Dist::normal(0.1, 1e-9).unwrap(),
            Dist::lognormal(2.5, 0.5).unwrap(),
            Dist::lognormal_median(3e7, 0.5).unwrap(),
            Dist::exponential(5e6).unwrap(),
            Dist::exponential(1e300).unwrap(),
            Dist::pareto(1e7, 2.5).unwrap(),
            Dist::mixture(vec![
                (0.9, Dist::exponential(5e6).unwrap()),
                (0.1, Dist::mixture(vec![(1.0, Dist::constant(1e9).unwrap())]).unwrap()),
            ])
            .unwrap(),
            Dist::empirical_values(vec![1e6, 2e6, 1_234_567.0, 0.25]).unwrap(),
            Dist::empirical_cdf(vec![(1e7, 0.5), (2e7, 0.9), (1e8, 1.0)]).unwrap(),
            Dist::empirical_cdf(vec![(-3.0, 0.0), (0.1 + 0.2, 1.0 / 3.0), (7.0, 1.0)]).unwrap(),
            Dist::sum(vec![Dist::constant(3.21e7).unwrap(), Dist::exponential(1e6).unwrap()]).unwrap(),
            Dist::mixture(vec![
                (1.0, Dist::sum(vec![Dist::constant(-1.0).unwrap(), Dist::uniform(0.0, 2.0).unwrap()]).unwrap()),
                (2.0, Dist::constant(3.0).unwrap()),
            ])
            .unwrap(),
        ]
    }

    #[test]
    fn every_example_round_trips_in_both_flavours() {
        for dist in examples() {
            round_trips(&dist);
        }
    }

    #[test]
    fn canonical_forms_read_well() {
        let ms = |n: f64| n * 1e6;
        let mix =
            Dist::mixture(vec![(0.9, Dist::exponential(ms(5.0)).unwrap()), (0.1, Dist::constant(ms(1000.0)).unwrap())])
                .unwrap();
        assert_eq!(mix.display_duration(), "mix(0.9*exp(mean=5ms), 0.1*const(1s))");
        assert_eq!(mix.to_string(), "mix(0.9*exp(mean=5000000), 0.1*const(1000000000))");
        let cdf = Dist::empirical_cdf(vec![(ms(10.0), 0.5), (ms(100.0), 1.0)]).unwrap();
        assert_eq!(cdf.display_duration(), "cdf(10ms:0.5, 100ms:1)");
        let uniform = Dist::uniform(-1.5, 1_234_567.0).unwrap();
        assert_eq!(uniform.display_duration(), "uniform(low=-1.5ns, high=1234567ns)");
        assert_eq!(Dist::pareto(ms(10.0), 2.5).unwrap().display_duration(), "pareto(scale=10ms, shape=2.5)");
        assert_eq!(Dist::lognormal(0.0, 1.0).unwrap().to_string(), "lognormal(mu=0, sigma=1)");
        assert_eq!(Dist::lognormal(0.0, 1.0).unwrap().display_duration(), "lognormal(median=1ns, sigma=1)");
        let sum = Dist::sum(vec![Dist::constant(ms(32.0)).unwrap(), Dist::exponential(ms(2.0)).unwrap()]).unwrap();
        assert_eq!(sum.display_duration(), "const(32ms) + exp(mean=2ms)");
    }

    #[test]
    fn numbers_print_shortest_and_switch_to_exponents_at_the_extremes() {
        assert_eq!(format_number(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(format_number(5.0), "5");
        assert_eq!(format_number(1e300), "1e300");
        assert_eq!(format_number(-2.5e-7), "-2.5e-7");
        assert_eq!(format_duration(1e19), "10000000000s");
        assert_eq!(format_duration(1_234_567.0), "1234567ns", "1.235ms would not read back exactly");
        assert_eq!(format_duration(1.2345678901234567e19), "12345678901234567168ns");
        assert_eq!(format_duration(1e20), "1e20ns");
        assert_eq!(format_duration(0.0), "0s");
    }
}
