//! Probability distributions for latencies, service times and other sampled quantities.
//!
//! This module owns [`Dist`]: its variants, their validation, sampling and closed-form means.
//! Parsing from scenario strings lives in `parse.rs`, printing back in `display.rs`.
//! Values are plain `f64` in a base unit; for durations the base unit is nanoseconds.
//!
//! Guarantees:
//! - Sampling is bit-identical on every machine. Every variant samples by inverse transform (Box-Muller
//!   for the normal family) with the pure-Rust `libm` crate, never `f64::ln`/`exp`/`powf`/`cos`, which
//!   call the platform's maths library and differ by an ulp between machines. We also avoid
//!   `rand_distr`: a crate elsewhere in the build enabling `num-traits/std` silently switches it to
//!   the platform's maths and shifts its samples.
//! - Each sample consumes a fixed, documented number of draws from the [`Stream`] (see [`Dist::sample`]),
//!   so the draws that follow are predictable.
//! - Constructors reject bad parameters with a [`DistError`] saying what was found and what was expected;
//!   nothing here panics on any input.

mod display;
mod parse;

use std::f64::consts::TAU;
use std::fmt;

use crate::rng::Stream;
use crate::time::SimDuration;

use display::format_number;

/// A distribution of `f64` values in a base unit (nanoseconds for durations).
///
/// The variants are public so that code can match on them, but only values built by the constructors
/// ([`Dist::normal`], ...) or the parsers are known to be valid; [`Dist::validate`] checks one built by hand.
/// Sampling an invalid distribution never panics, but its values are unspecified.
#[derive(Clone, Debug, PartialEq)]
pub enum Dist {
    Constant(f64),
    Uniform {
        low: f64,
        high: f64,
    },
    Normal {
        mean: f64,
        sd: f64,
    },
    /// `exp(N(mu, sigma))`: `mu` and `sigma` are those of the underlying normal; the median is `exp(mu)`.
    LogNormal {
        mu: f64,
        sigma: f64,
    },
    Exponential {
        mean: f64,
    },
    /// `P(X > x) = (scale / x)^shape` for `x >= scale`: `scale` is x_m, `shape` is alpha.
    Pareto {
        scale: f64,
        shape: f64,
    },
    /// `(weight, component)` pairs; a component is chosen with probability weight / sum of weights.
    Mixture(Vec<(f64, Dist)>),
    Empirical(Empirical),
    /// The sum of independent draws of each term, in order (`32ms + exp(mean=2ms)`: a fixed part
    /// plus a random one). At least two terms, none of them a sum (see [`Dist::sum`]).
    Sum(Vec<Dist>),
}

/// A distribution given by data: either a list of observed values, or points of a cumulative
/// distribution function. Its fields are private so that every `Empirical` is valid (non-empty, sorted).
#[derive(Clone, Debug, PartialEq)]
pub struct Empirical(Table);

#[derive(Clone, Debug, PartialEq)]
enum Table {
    /// Sampling picks one value uniformly (a bootstrap).
    Values(Vec<f64>),
    /// `(x, p)` points with `x` and `p` non-decreasing and the last `p` equal to 1. Sampling inverts the
    /// function, interpolating linearly between points; probabilities below the first `p` give the first `x`.
    Cdf(Vec<(f64, f64)>),
}

/// Why a distribution was rejected. Errors from the parsers carry the input and a 1-based byte column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DistError {
    input: Option<String>,
    column: Option<usize>,
    message: String,
}

impl DistError {
    /// The 1-based byte column in the parsed string where the problem is, if this came from a parser.
    pub fn column(&self) -> Option<usize> {
        self.column
    }
    /// What was found and what was expected, without the position.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for DistError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.input, self.column) {
            (Some(input), Some(column)) => write!(f, "at column {column} of {input:?}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for DistError {}

/// A validation failure before it has a position: the parser turns `blame` into a column.
#[derive(Debug)]
struct Invalid {
    blame: Blame,
    message: String,
}

/// Which part of a distribution a validation failure is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Blame {
    Whole,
    Param(&'static str),
    Item(usize),
}

impl Invalid {
    fn new(blame: Blame, message: String) -> Self {
        Invalid { blame, message }
    }
    fn into_error(self) -> DistError {
        DistError { input: None, column: None, message: self.message }
    }
}

/// Fails unless `value` is finite and satisfies `rule`; `rule_text` says the rule in words.
fn require(
    value: f64,
    name: &'static str,
    of: &str,
    rule: impl Fn(f64) -> bool,
    rule_text: &str,
) -> Result<(), Invalid> {
    if value.is_finite() && rule(value) {
        return Ok(());
    }
    let found = format_number(value);
    Err(Invalid::new(Blame::Param(name), format!("{name} of {of} is {found}; expected {rule_text}")))
}

fn any(_: f64) -> bool {
    true
}

impl Dist {
    pub fn constant(value: f64) -> Result<Dist, DistError> {
        Dist::Constant(value).checked()
    }
    pub fn uniform(low: f64, high: f64) -> Result<Dist, DistError> {
        Dist::Uniform { low, high }.checked()
    }
    pub fn normal(mean: f64, sd: f64) -> Result<Dist, DistError> {
        Dist::Normal { mean, sd }.checked()
    }
    /// `mu` and `sigma` of the underlying normal.
    pub fn lognormal(mu: f64, sigma: f64) -> Result<Dist, DistError> {
        Dist::LogNormal { mu, sigma }.checked()
    }
    /// The log-normal with this median (`mu = ln(median)`, computed with `libm`) and `sigma`.
    pub fn lognormal_median(median: f64, sigma: f64) -> Result<Dist, DistError> {
        let mu = mu_from_median(median).map_err(Invalid::into_error)?;
        Dist::lognormal(mu, sigma)
    }
    pub fn exponential(mean: f64) -> Result<Dist, DistError> {
        Dist::Exponential { mean }.checked()
    }
    pub fn pareto(scale: f64, shape: f64) -> Result<Dist, DistError> {
        Dist::Pareto { scale, shape }.checked()
    }
    /// Weights need not sum to 1; they must be non-negative with a positive, finite sum.
    pub fn mixture(components: Vec<(f64, Dist)>) -> Result<Dist, DistError> {
        Dist::Mixture(components).checked()
    }
    /// Bootstrap from observed values.
    pub fn empirical_values(values: Vec<f64>) -> Result<Dist, DistError> {
        Ok(Dist::Empirical(Empirical::from_values(values)?))
    }
    /// Inverse of a piecewise-linear cumulative distribution function given as `(x, p)` points.
    pub fn empirical_cdf(points: Vec<(f64, f64)>) -> Result<Dist, DistError> {
        Ok(Dist::Empirical(Empirical::from_cdf(points)?))
    }

    /// The sum of `terms`, a sum among them spliced in (so `a + (b + c)` is `a + b + c`, as it
    /// reads back); one term is itself.
    pub fn sum(terms: Vec<Dist>) -> Result<Dist, DistError> {
        let mut flat = Vec::with_capacity(terms.len());
        for term in terms {
            match term {
                Dist::Sum(inner) => flat.extend(inner),
                other => flat.push(other),
            }
        }
        match flat.len() {
            1 => Ok(flat.pop().expect("one term")),
            _ => Dist::Sum(flat).checked(),
        }
    }

    /// Checks the parameters of a distribution built by hand, as the constructors do.
    pub fn validate(&self) -> Result<(), DistError> {
        self.check().map_err(Invalid::into_error)
    }

    fn checked(self) -> Result<Dist, DistError> {
        self.validate()?;
        Ok(self)
    }

    fn check(&self) -> Result<(), Invalid> {
        match *self {
            Dist::Constant(value) => require(value, "value", "const", any, "a finite number"),
            Dist::Uniform { low, high } => {
                require(low, "low", "uniform", any, "a finite number")?;
                require(high, "high", "uniform", |h| h >= low, "a finite number >= low")
            }
            Dist::Normal { mean, sd } => {
                require(mean, "mean", "normal", any, "a finite number")?;
                require(sd, "sd", "normal", |v| v >= 0.0, "a finite number >= 0")
            }
            Dist::LogNormal { mu, sigma } => {
                require(mu, "mu", "lognormal", any, "a finite number")?;
                require(sigma, "sigma", "lognormal", |v| v >= 0.0, "a finite number >= 0")
            }
            Dist::Exponential { mean } => require(mean, "mean", "exp", |v| v > 0.0, "a finite number > 0"),
            Dist::Pareto { scale, shape } => {
                require(scale, "scale", "pareto", |v| v > 0.0, "a finite number > 0")?;
                require(shape, "shape", "pareto", |v| v > 0.0, "a finite number > 0")
            }
            Dist::Mixture(ref components) => check_mixture(components),
            Dist::Sum(ref terms) => check_sum(terms),
            // An `Empirical` can only be built valid.
            Dist::Empirical(_) => Ok(()),
        }
    }
}

fn check_sum(terms: &[Dist]) -> Result<(), Invalid> {
    if terms.len() < 2 {
        let message = format!("a sum has {} term(s); expected at least two, as in 32ms + exp(mean=2ms)", terms.len());
        return Err(Invalid::new(Blame::Whole, message));
    }
    for (index, term) in terms.iter().enumerate() {
        if matches!(term, Dist::Sum(_)) {
            let message = format!("term {} of a sum is itself a sum; expected its terms spliced in", index + 1);
            return Err(Invalid::new(Blame::Item(index), message));
        }
        term.check().map_err(|inner| {
            Invalid::new(Blame::Item(index), format!("term {} of the sum: {}", index + 1, inner.message))
        })?;
    }
    Ok(())
}

/// `ln(median)`, the `mu` of a log-normal with this median.
fn mu_from_median(median: f64) -> Result<f64, Invalid> {
    require(median, "median", "lognormal", |v| v > 0.0, "a finite number > 0")?;
    Ok(libm::log(median))
}

fn check_mixture(components: &[(f64, Dist)]) -> Result<(), Invalid> {
    if components.is_empty() {
        let message = "mix has no components; expected at least one weight*distribution".to_string();
        return Err(Invalid::new(Blame::Whole, message));
    }
    for (index, (weight, component)) in components.iter().enumerate() {
        if !(weight.is_finite() && *weight >= 0.0) {
            let message = format!(
                "weight of component {} of mix is {}; expected a finite number >= 0",
                index + 1,
                format_number(*weight)
            );
            return Err(Invalid::new(Blame::Item(index), message));
        }
        component.check().map_err(|inner| {
            Invalid::new(Blame::Item(index), format!("component {} of mix: {}", index + 1, inner.message))
        })?;
    }
    let total = total_weight(components);
    if !(total.is_finite() && total > 0.0) {
        let message = format!("the weights of mix sum to {}; expected a finite sum > 0", format_number(total));
        return Err(Invalid::new(Blame::Whole, message));
    }
    Ok(())
}

/// Sum of the weights, always left to right, so that sampling and validation agree to the bit.
fn total_weight(components: &[(f64, Dist)]) -> f64 {
    components.iter().fold(0.0, |sum, (weight, _)| sum + weight)
}

impl Empirical {
    /// Bootstrap from observed values: at least one, all finite, in any order.
    pub fn from_values(values: Vec<f64>) -> Result<Empirical, DistError> {
        Empirical::checked_values(values).map_err(Invalid::into_error)
    }

    /// Points `(x, p)` of a cumulative distribution function: at least one, `x` and `p` finite and
    /// non-decreasing, `p` in [0, 1], the last `p` equal to 1.
    pub fn from_cdf(points: Vec<(f64, f64)>) -> Result<Empirical, DistError> {
        Empirical::checked_cdf(points).map_err(Invalid::into_error)
    }

    /// The observed values, if this is a bootstrap.
    pub fn as_values(&self) -> Option<&[f64]> {
        match &self.0 {
            Table::Values(values) => Some(values),
            Table::Cdf(_) => None,
        }
    }

    /// The `(x, p)` points, if this is a cumulative distribution function.
    pub fn as_cdf(&self) -> Option<&[(f64, f64)]> {
        match &self.0 {
            Table::Values(_) => None,
            Table::Cdf(points) => Some(points),
        }
    }

    fn checked_values(values: Vec<f64>) -> Result<Empirical, Invalid> {
        if values.is_empty() {
            let message = "empirical has no values; expected at least one".to_string();
            return Err(Invalid::new(Blame::Whole, message));
        }
        if let Some(index) = values.iter().position(|v| !v.is_finite()) {
            let found = format_number(values[index]);
            let message = format!("value {} of empirical is {found}; expected a finite number", index + 1);
            return Err(Invalid::new(Blame::Item(index), message));
        }
        Ok(Empirical(Table::Values(values)))
    }

    fn checked_cdf(points: Vec<(f64, f64)>) -> Result<Empirical, Invalid> {
        let Some(&(_, last_p)) = points.last() else {
            let message = "cdf has no points; expected at least one x:p".to_string();
            return Err(Invalid::new(Blame::Whole, message));
        };
        for (index, &(x, p)) in points.iter().enumerate() {
            let (previous_x, previous_p) = if index == 0 { (f64::NEG_INFINITY, 0.0) } else { points[index - 1] };
            let fail = |message: String| Err(Invalid::new(Blame::Item(index), message));
            let point = index + 1;
            if !x.is_finite() {
                return fail(format!("x of point {point} of cdf is {}; expected a finite number", format_number(x)));
            }
            if !(0.0..=1.0).contains(&p) {
                return fail(format!(
                    "p of point {point} of cdf is {}; expected a probability in [0, 1]",
                    format_number(p)
                ));
            }
            if x < previous_x || p < previous_p {
                let found = format!("{}:{}", format_number(x), format_number(p));
                let before = format!("{}:{}", format_number(previous_x), format_number(previous_p));
                return fail(format!(
                    "point {point} of cdf is {found} after {before}; expected x and p not to decrease"
                ));
            }
        }
        if last_p != 1.0 {
            let message = format!("the last p of cdf is {}; expected 1", format_number(last_p));
            return Err(Invalid::new(Blame::Item(points.len() - 1), message));
        }
        Ok(Empirical(Table::Cdf(points)))
    }

    /// One draw: `next_u64` for a bootstrap, `next_f64` for a cumulative distribution function.
    fn sample(&self, stream: &mut Stream) -> f64 {
        match &self.0 {
            Table::Values(values) => {
                // Multiply-high maps one draw onto an index. Unlike `Stream::below` it never rejects
                // and redraws, so the draw count stays fixed; its bias is below len / 2^64.
                let index = (u128::from(stream.next_u64()) * values.len() as u128) >> 64;
                values[index as usize]
            }
            Table::Cdf(points) => invert_cdf(points, stream.next_f64()),
        }
    }

    fn mean(&self) -> f64 {
        match &self.0 {
            Table::Values(values) => values.iter().sum::<f64>() / values.len() as f64,
            Table::Cdf(points) => {
                // An atom of mass p_0 at x_0, then uniform mass between consecutive points.
                let (first_x, first_p) = points[0];
                let segments = points.windows(2).map(|pair| {
                    let ((x0, p0), (x1, p1)) = (pair[0], pair[1]);
                    (p1 - p0) * (x0 + x1) / 2.0
                });
                segments.fold(first_p * first_x, |sum, part| sum + part)
            }
        }
    }
}

/// The x where the piecewise-linear CDF through `points` reaches `u` (in [0, 1)).
fn invert_cdf(points: &[(f64, f64)], u: f64) -> f64 {
    // The first point whose p exceeds u; it exists because the last p is 1 > u.
    let above = points.partition_point(|&(_, p)| p <= u).min(points.len() - 1);
    if above == 0 {
        return points[0].0;
    }
    let ((x0, p0), (x1, p1)) = (points[above - 1], points[above]);
    if p1 <= p0 {
        return x1;
    }
    x0 + (x1 - x0) * ((u - p0) / (p1 - p0))
}

impl Dist {
    /// Draws one value. Draws consumed from `stream` per sample, always the same for a variant:
    ///
    /// | variant | draws |
    /// |---|---|
    /// | Constant | 0 |
    /// | Uniform, Exponential, Pareto | 1 |
    /// | Normal, LogNormal | 2 (Box-Muller; only the cosine output is used) |
    /// | Empirical (values or CDF) | 1 |
    /// | Mixture | 1 to choose the component, then that component's draws |
    /// | Sum | each term's draws, in order |
    pub fn sample(&self, stream: &mut Stream) -> f64 {
        match self {
            Dist::Constant(value) => *value,
            Dist::Uniform { low, high } => low + (high - low) * stream.next_f64(),
            Dist::Normal { mean, sd } => mean + sd * standard_normal(stream),
            Dist::LogNormal { mu, sigma } => libm::exp(mu + sigma * standard_normal(stream)),
            // Inverse transform with u in (0, 1], so the logarithm is finite.
            Dist::Exponential { mean } => -mean * libm::log(stream.next_f64_open0()),
            Dist::Pareto { scale, shape } => scale * libm::pow(stream.next_f64_open0(), -1.0 / shape),
            Dist::Mixture(components) => sample_mixture(components, stream),
            Dist::Empirical(empirical) => empirical.sample(stream),
            Dist::Sum(terms) => terms.iter().fold(0.0, |sum, term| sum + term.sample(stream)),
        }
    }

    /// Draws one value as a duration of that many nanoseconds, rounded to the nearest nanosecond.
    /// Negative values clamp to zero (a normal with mean close to zero is truncated this way, which
    /// raises its effective mean above [`Dist::mean`]); values beyond `u64` nanoseconds saturate.
    pub fn sample_duration(&self, stream: &mut Stream) -> SimDuration {
        SimDuration::from_nanos_f64(self.sample(stream))
    }

    /// The mean in closed form, or `None` where it is infinite (Pareto with shape <= 1, or a mixture
    /// giving such a component a positive weight). It is the mean of [`Dist::sample`], before
    /// [`Dist::sample_duration`] clamps negative values.
    pub fn mean(&self) -> Option<f64> {
        match self {
            Dist::Constant(value) => Some(*value),
            Dist::Uniform { low, high } => Some(low + (high - low) / 2.0),
            Dist::Normal { mean, .. } | Dist::Exponential { mean } => Some(*mean),
            Dist::LogNormal { mu, sigma } => Some(libm::exp(mu + sigma * sigma / 2.0)),
            Dist::Pareto { scale, shape } => (*shape > 1.0).then(|| shape * scale / (shape - 1.0)),
            Dist::Mixture(components) => mixture_mean(components),
            Dist::Empirical(empirical) => Some(empirical.mean()),
            Dist::Sum(terms) => terms.iter().try_fold(0.0, |sum, term| Some(sum + term.mean()?)),
        }
    }
}

/// A standard normal from two uniforms (Box-Muller, cosine branch only, so each sample costs
/// exactly two draws).
fn standard_normal(stream: &mut Stream) -> f64 {
    let radius = libm::sqrt(-2.0 * libm::log(stream.next_f64_open0()));
    let angle = TAU * stream.next_f64();
    radius * libm::cos(angle)
}

fn sample_mixture(components: &[(f64, Dist)], stream: &mut Stream) -> f64 {
    let target = stream.next_f64() * total_weight(components);
    let mut cumulative = 0.0;
    for (weight, component) in components {
        cumulative += weight;
        if target < cumulative {
            return component.sample(stream);
        }
    }
    // Only reached when rounding puts `target` on the total: take the last component that can occur.
    match components.iter().rev().find(|(weight, _)| *weight > 0.0) {
        Some((_, component)) => component.sample(stream),
        None => f64::NAN,
    }
}

fn mixture_mean(components: &[(f64, Dist)]) -> Option<f64> {
    let mut weighted_sum = 0.0;
    for (weight, component) in components {
        // A component that is never chosen does not contribute, even if its own mean is infinite.
        if *weight > 0.0 {
            weighted_sum += weight * component.mean()?;
        }
    }
    Some(weighted_sum / total_weight(components))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Seed;

    /// One example of every variant (both forms of Empirical), in the order of the golden table.
    fn one_of_each() -> Vec<(&'static str, Dist)> {
        vec![
            ("constant", Dist::constant(5e6).unwrap()),
            ("uniform", Dist::uniform(1e7, 2e7).unwrap()),
            ("normal", Dist::normal(3e7, 5e6).unwrap()),
            ("lognormal", Dist::lognormal_median(3e7, 0.5).unwrap()),
            ("exponential", Dist::exponential(5e6).unwrap()),
            ("pareto", Dist::pareto(1e7, 2.5).unwrap()),
            (
                "mixture",
                Dist::mixture(vec![(0.9, Dist::exponential(5e6).unwrap()), (0.1, Dist::constant(1e9).unwrap())])
                    .unwrap(),
            ),
            ("empirical values", Dist::empirical_values(vec![1e6, 2e6, 5e6]).unwrap()),
            ("empirical cdf", Dist::empirical_cdf(vec![(1e7, 0.5), (2e7, 0.9), (1e8, 1.0)]).unwrap()),
        ]
    }

    /// The first three samples of every variant under `Seed(0x2a).stream("golden")`, as f64 bit
    /// patterns. If this fails, every stored result changes: a change to sampling, to `libm` or to the
    /// generator must be deliberate, and the reference results regenerated with it.
    const GOLDEN: [(&str, [u64; 3]); 9] = [
        ("constant", [0x415312d000000000, 0x415312d000000000, 0x415312d000000000]),
        ("uniform", [0x4166a3c41c53b5f9, 0x4170e7a335f1de7a, 0x416cc3f0483cc767]),
        ("normal", [0x417dd89761f5ae47, 0x4180b01c10ccb76c, 0x4178d2c1fee40a6c]),
        ("lognormal", [0x418048c9eb6ab154, 0x4187940f6cd51a0a, 0x41733bdf535078e1]),
        ("exponential", [0x415ffb759137b197, 0x4133aeeef63880a8, 0x4149d36a23559888]),
        ("pareto", [0x4172a681f7e354dd, 0x4165259fbfb9b827, 0x41690173db4d6b71]),
        ("mixture", [0x4133aeeef63880a8, 0x411b4d3b2b6de22d, 0x413bd2f189c22903]),
        ("empirical values", [0x412e848000000000, 0x415312d000000000, 0x413e848000000000]),
        ("empirical cdf", [0x416312d000000000, 0x4170093a06dcac30, 0x4163761cb497f282]),
    ];

    /// A sum draws each term in order from the one stream: a fixed part plus an exponential is the
    /// constant plus the exponential's own draw; its mean is the sum of the means (none if a term
    /// has none); sums splice into one and a sum of one term is that term.
    #[test]
    fn a_sum_adds_its_terms_draws() {
        let exp = Dist::exponential(1e6).unwrap();
        let sum = Dist::sum(vec![Dist::constant(5e6).unwrap(), exp.clone()]).unwrap();
        let (mut a, mut b) = (Seed(7).stream("sum"), Seed(7).stream("sum"));
        for _ in 0..100 {
            assert_eq!(sum.sample(&mut a).to_bits(), (5e6 + exp.sample(&mut b)).to_bits());
        }
        assert_eq!(sum.mean(), Some(6e6));
        let heavy = Dist::sum(vec![exp.clone(), Dist::pareto(1.0, 0.5).unwrap()]).unwrap();
        assert_eq!(heavy.mean(), None, "a term with no finite mean");
        let nested = Dist::sum(vec![sum.clone(), Dist::constant(1.0).unwrap()]).unwrap();
        assert_eq!(nested, Dist::Sum(vec![Dist::Constant(5e6), exp.clone(), Dist::Constant(1.0)]));
        assert_eq!(Dist::sum(vec![exp.clone()]).unwrap(), exp);
        assert!(Dist::Sum(vec![exp.clone()]).validate().unwrap_err().to_string().contains("expected at least two"));
        let hand_nested = Dist::Sum(vec![sum, exp]);
        assert!(hand_nested.validate().unwrap_err().to_string().contains("is itself a sum"));
    }

    #[test]
    fn golden_first_samples_of_every_variant() {
        for ((name, dist), (golden_name, golden_bits)) in one_of_each().into_iter().zip(GOLDEN) {
            assert_eq!(name, golden_name);
            let mut stream = Seed(0x2a).stream("golden");
            let bits = [0; 3].map(|_| dist.sample(&mut stream).to_bits());
            let values = bits.map(f64::from_bits);
            assert_eq!(bits, golden_bits, "first samples of {name} under seed 0x2a changed: now {values:?}");
        }
    }

    /// Each variant consumes exactly its documented number of draws: the next draw after a sample is
    /// the same as after skipping that many draws.
    #[test]
    fn draws_per_sample_are_as_documented() {
        // The mixture (index 6) is checked below: its count depends on the component chosen.
        let expected_draws = [0, 1, 2, 2, 1, 1, usize::MAX, 1, 1];
        for ((name, dist), draws) in one_of_each().into_iter().zip(expected_draws) {
            if draws == usize::MAX {
                continue;
            }
            let mut sampled = Seed(3).stream("draws");
            let mut skipped = sampled.clone();
            for _ in 0..100 {
                dist.sample(&mut sampled);
                for _ in 0..draws {
                    skipped.next_u64();
                }
                assert_eq!(sampled.clone().next_u64(), skipped.clone().next_u64(), "{name}");
            }
        }
        // A mixture draws one uniform, then its component's draws (here 1 or 0).
        let mixture = &one_of_each()[6].1;
        let mut sampled = Seed(3).stream("draws");
        let mut shadow = sampled.clone();
        for _ in 0..100 {
            mixture.sample(&mut sampled);
            let component_draws = if shadow.next_f64() < 0.9 { 1 } else { 0 };
            for _ in 0..component_draws {
                shadow.next_u64();
            }
            assert_eq!(sampled.clone().next_u64(), shadow.clone().next_u64());
        }
    }

    /// Sample mean and standard error of `n` samples.
    fn sample_mean(dist: &Dist, seed: u64, n: usize) -> (f64, f64) {
        let mut stream = Seed(seed).stream("statistics");
        let samples: Vec<f64> = (0..n).map(|_| dist.sample(&mut stream)).collect();
        let mean = samples.iter().sum::<f64>() / n as f64;
        let variance = samples.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64;
        (mean, libm::sqrt(variance / n as f64))
    }

    /// Fraction of `n` samples for which `event` holds, and its standard error under probability `p`.
    fn fraction(dist: &Dist, seed: u64, n: usize, p: f64, event: impl Fn(f64) -> bool) -> (f64, f64) {
        let mut stream = Seed(seed).stream("statistics");
        let hits = (0..n).filter(|_| event(dist.sample(&mut stream))).count();
        (hits as f64 / n as f64, libm::sqrt(p * (1.0 - p) / n as f64))
    }

    const N: usize = 200_000;

    #[test]
    fn sample_means_match_the_closed_forms() {
        let mut cases = one_of_each();
        // A shape above 4 keeps the variance of the sample variance finite, so the standard error is sound.
        cases[5] = ("pareto", Dist::pareto(1e7, 4.5).unwrap());
        cases.push(("lognormal wide", Dist::lognormal(1.0, 1.0).unwrap()));
        cases.push(("normal around zero", Dist::normal(0.0, 2.0).unwrap()));
        for (seed, (name, dist)) in cases.into_iter().enumerate() {
            let expected = dist.mean().expect(name);
            let (mean, standard_error) = sample_mean(&dist, seed as u64, N);
            let distance = (mean - expected).abs();
            assert!(
                distance <= 4.0 * standard_error,
                "{name}: sample mean {mean} vs {expected}: {distance} > 4 x {standard_error}"
            );
        }
    }

    #[test]
    fn closed_form_means() {
        assert_eq!(Dist::pareto(1.0, 1.0).unwrap().mean(), None);
        assert_eq!(Dist::pareto(2.0, 3.0).unwrap().mean(), Some(3.0));
        assert_eq!(Dist::uniform(-1.0, 3.0).unwrap().mean(), Some(1.0));
        assert_eq!(Dist::lognormal(0.0, 0.0).unwrap().mean(), Some(1.0));
        let heavy = Dist::pareto(1.0, 0.5).unwrap();
        let mixed = |weight| Dist::mixture(vec![(1.0, Dist::constant(2.0).unwrap()), (weight, heavy.clone())]).unwrap();
        assert_eq!(mixed(0.0).mean(), Some(2.0), "a never-chosen infinite component does not count");
        assert_eq!(mixed(0.5).mean(), None);
        let weighted = Dist::mixture(vec![(3.0, Dist::constant(1.0).unwrap()), (1.0, Dist::constant(5.0).unwrap())]);
        assert_eq!(weighted.unwrap().mean(), Some(2.0));
        assert_eq!(Dist::empirical_values(vec![1.0, 2.0, 6.0]).unwrap().mean(), Some(3.0));
        // Atom 0.5 at 0, then uniform mass 0.5 over [0, 4]: mean 1.
        assert_eq!(Dist::empirical_cdf(vec![(0.0, 0.5), (4.0, 1.0)]).unwrap().mean(), Some(1.0));
    }

    fn assert_near(name: &str, (observed, standard_error): (f64, f64), expected: f64) {
        let distance = (observed - expected).abs();
        assert!(
            distance <= 4.0 * standard_error,
            "{name}: {observed} vs {expected}: {distance} > 4 x {standard_error}"
        );
    }

    #[test]
    fn medians_tails_quantiles_and_weights() {
        let exponential = Dist::exponential(5.0).unwrap();
        let median = 5.0 * core::f64::consts::LN_2;
        assert_near("exponential median", fraction(&exponential, 1, N, 0.5, |x| x < median), 0.5);

        let lognormal = Dist::lognormal_median(30.0, 0.5).unwrap();
        assert_near("lognormal median", fraction(&lognormal, 2, N, 0.5, |x| x < 30.0), 0.5);

        let shape = 2.5;
        let tail = libm::pow(2.0, -shape);
        let pareto = Dist::pareto(10.0, shape).unwrap();
        assert_near("pareto tail", fraction(&pareto, 3, N, tail, |x| x > 20.0), tail);
        assert_eq!(fraction(&pareto, 3, 10_000, 0.0, |x| x < 10.0).0, 0.0, "pareto never goes below its scale");

        let cdf = Dist::empirical_cdf(vec![(10.0, 0.5), (20.0, 0.9), (100.0, 1.0)]).unwrap();
        assert_near("cdf atom at x_0", fraction(&cdf, 4, N, 0.5, |x| x <= 10.0), 0.5);
        assert_near("cdf midpoint", fraction(&cdf, 5, N, 0.7, |x| x <= 15.0), 0.7);
        assert_near("cdf p_1", fraction(&cdf, 6, N, 0.9, |x| x <= 20.0), 0.9);
        assert_near("cdf interpolated", fraction(&cdf, 7, N, 0.95, |x| x <= 60.0), 0.95);
        assert_eq!(fraction(&cdf, 8, 10_000, 0.0, |x| !(10.0..=100.0).contains(&x)).0, 0.0);

        let values = Dist::empirical_values(vec![1.0, 2.0, 3.0, 4.0]).unwrap();
        for value in [1.0, 2.0, 3.0, 4.0] {
            assert_near("bootstrap pick", fraction(&values, 9, N, 0.25, |x| x == value), 0.25);
        }

        let mixture = Dist::mixture(vec![(9.0, Dist::constant(1.0).unwrap()), (1.0, Dist::constant(2.0).unwrap())]);
        assert_near("mixture weight", fraction(&mixture.unwrap(), 10, N, 0.1, |x| x == 2.0), 0.1);
    }

    #[test]
    fn sample_duration_rounds_and_clamps() {
        let mut stream = Seed(1).stream("duration");
        assert_eq!(Dist::constant(2.5).unwrap().sample_duration(&mut stream), SimDuration::from_nanos(3));
        assert_eq!(Dist::constant(-7.0).unwrap().sample_duration(&mut stream), SimDuration::ZERO);
        let clamped = Dist::normal(0.0, 1e6).unwrap();
        let zeros = (0..1000).filter(|_| clamped.sample_duration(&mut stream).is_zero()).count();
        assert!((400..600).contains(&zeros), "about half of N(0, 1ms) clamps to zero, got {zeros}");
    }

    #[test]
    fn constructors_reject_bad_parameters() {
        let cases = [
            (Dist::constant(f64::INFINITY), "value of const is inf; expected a finite number"),
            (Dist::uniform(2.0, 1.0), "high of uniform is 1; expected a finite number >= low"),
            (Dist::uniform(f64::NAN, 1.0), "low of uniform is NaN"),
            (Dist::normal(0.0, -1.0), "sd of normal is -1; expected a finite number >= 0"),
            (Dist::lognormal(0.0, -0.5), "sigma of lognormal is -0.5"),
            (Dist::lognormal_median(-1.0, 0.5), "median of lognormal is -1; expected a finite number > 0"),
            (Dist::exponential(0.0), "mean of exp is 0; expected a finite number > 0"),
            (Dist::pareto(0.0, 1.0), "scale of pareto is 0"),
            (Dist::pareto(1.0, -2.0), "shape of pareto is -2"),
            (Dist::mixture(vec![]), "mix has no components"),
            (Dist::mixture(vec![(f64::MAX, Dist::Constant(1.0)), (f64::MAX, Dist::Constant(1.0))]), "sum to inf"),
            (Dist::mixture(vec![(1.0, Dist::Normal { mean: 0.0, sd: -1.0 })]), "component 1 of mix: sd of normal"),
            (Dist::empirical_values(vec![]), "empirical has no values"),
            (Dist::empirical_cdf(vec![(1.0, 0.5), (2.0, 0.2), (3.0, 1.0)]), "expected x and p not to decrease"),
            (Dist::empirical_cdf(vec![(1.0, -0.1), (2.0, 1.0)]), "expected a probability in [0, 1]"),
        ];
        for (result, message) in cases {
            let error = result.expect_err(message);
            assert!(error.to_string().contains(message), "{error} should contain {message:?}");
            assert_eq!(error.column(), None);
        }
        assert!(Dist::Normal { mean: 0.0, sd: f64::NAN }.validate().is_err());
        assert!(Dist::lognormal(1.0, 0.0).is_ok(), "sigma 0 is a degenerate but valid log-normal");
    }

    #[test]
    fn invalid_hand_built_distributions_sample_without_panicking() {
        let mut stream = Seed(1).stream("invalid");
        for dist in [
            Dist::Mixture(vec![]),
            Dist::Mixture(vec![(0.0, Dist::Constant(1.0))]),
            Dist::Mixture(vec![(-1.0, Dist::Constant(1.0))]),
            Dist::Pareto { scale: 1.0, shape: 0.0 },
            Dist::Exponential { mean: f64::NAN },
        ] {
            let _ = (dist.sample(&mut stream), dist.sample_duration(&mut stream), dist.mean());
        }
    }
}
