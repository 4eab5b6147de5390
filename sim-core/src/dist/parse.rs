//! Reading a [`Dist`] from a scenario string, in two flavours that share one parser.
//!
//! [`Dist::parse_duration`] reads values with duration units (`5ms`, `1.5s`) and converts them to
//! nanoseconds through SimDuration's exact parser; [`Dist::parse_number`] reads plain numbers.
//! Dimensionless parameters (sigma, shape, mu, weights, probabilities) never take a unit.
//!
//! Grammar (names case-insensitive, whitespace anywhere between tokens):
//!
//! ```text
//! dist  := term (+ term)*                         a sum of independent draws
//! term  := value                                  a constant
//!        | const(value) | uniform(low, high)      positional or named (low=..., high=...)
//!        | normal(mean=, sd=) | exp(mean=)        named only; exponential = exp
//!        | lognormal(median=, sigma=) | lognormal(mu=, sigma=)
//!        | pareto(scale=, shape=)
//!        | mix(weight*dist, ...)                  mixture = mix
//!        | empirical(value, ...) | cdf(value:p, ...)
//! ```
//!
//! Guarantees: no input panics (nesting is capped at [`MAX_NESTING`]); every error names the 1-based
//! byte column, what was found and what was expected; missing, duplicate and unknown parameters are
//! errors, and so is any parameter the constructors reject.

use super::display::Flavour;
use super::{Blame, Dist, DistError, Empirical, Invalid, mu_from_median};
use crate::time::SimDuration;

/// Deeper nesting of `mix(...)` is rejected rather than risking the stack.
const MAX_NESTING: usize = 32;

/// A longer sum is rejected: no delay is written as a thousand parts.
const MAX_TERMS: usize = 1024;

/// Characters that end a bare word (a name or a value).
const DELIMITERS: &[char] = &['(', ')', ',', '=', '*', ':'];

impl Dist {
    /// Reads a distribution whose values are durations, in nanoseconds: `exp(mean=5ms)`.
    /// A leading `-` is allowed on a duration (for example for clock skew: `uniform(-5ms, 5ms)`).
    pub fn parse_duration(input: &str) -> Result<Dist, DistError> {
        Parser::new(input, Flavour::Duration).parse_all()
    }

    /// Reads a distribution of plain numbers: `exp(mean=5)`, `lognormal(mu=0, sigma=1)`.
    pub fn parse_number(input: &str) -> Result<Dist, DistError> {
        Parser::new(input, Flavour::Number).parse_all()
    }
}

/// Whether a parameter carries the base unit (a duration in the duration flavour) or is dimensionless.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Scaled,
    Plain,
}

/// A parsed number and the byte offset where it was written.
#[derive(Clone, Copy, Debug)]
struct Located {
    value: f64,
    offset: usize,
}

struct Parser<'a> {
    input: &'a str,
    position: usize,
    flavour: Flavour,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn new(input: &'a str, flavour: Flavour) -> Self {
        Parser { input, position: 0, flavour, depth: 0 }
    }

    fn parse_all(mut self) -> Result<Dist, DistError> {
        let dist = self.dist()?;
        self.skip_whitespace();
        if self.position < self.input.len() {
            return Err(self.unexpected("the end of the input"));
        }
        Ok(dist)
    }

    fn error_at(&self, offset: usize, message: String) -> DistError {
        DistError { input: Some(self.input.to_string()), column: Some(offset + 1), message }
    }

    /// "found X; expected Y" at the current position.
    fn unexpected(&self, expected: &str) -> DistError {
        self.error_at(self.position, format!("found {}; expected {expected}", self.describe(self.position)))
    }

    /// What is written at `offset`, for error messages: a quoted word or character, or the end.
    fn describe(&self, offset: usize) -> String {
        let rest = &self.input[offset..];
        match rest.chars().next() {
            None => "the end of the input".to_string(),
            Some(c) if DELIMITERS.contains(&c) || c == '+' => format!("{:?}", c.to_string()),
            Some(_) => format!("{:?}", bare_word(rest)),
        }
    }

    fn skip_whitespace(&mut self) {
        let rest = &self.input[self.position..];
        self.position += rest.len() - rest.trim_start().len();
    }

    /// Consumes `c` (after whitespace) if it is next.
    fn eat(&mut self, c: char) -> bool {
        self.skip_whitespace();
        let found = self.input[self.position..].starts_with(c);
        if found {
            self.position += c.len_utf8();
        }
        found
    }

    fn expect(&mut self, c: char, expected: &str) -> Result<(), DistError> {
        if self.eat(c) { Ok(()) } else { Err(self.unexpected(expected)) }
    }

    /// The next bare word (possibly empty) and its offset.
    fn word(&mut self) -> (usize, &'a str) {
        self.skip_whitespace();
        let start = self.position;
        let word = bare_word(&self.input[start..]);
        self.position += word.len();
        (start, word)
    }

    /// Terms joined by `+` (a `+` inside a number's exponent, as in 1e+5, is the number's).
    fn dist(&mut self) -> Result<Dist, DistError> {
        self.skip_whitespace();
        let start = self.position;
        let mut terms = vec![self.term()?];
        while self.eat('+') {
            if terms.len() >= MAX_TERMS {
                return Err(self.error_at(start, format!("a sum of more than {MAX_TERMS} terms")));
            }
            terms.push(self.term()?);
        }
        match terms.len() {
            1 => Ok(terms.pop().expect("one term")),
            _ => Dist::sum(terms).map_err(|e| self.error_at(start, e.message().to_string())),
        }
    }

    fn term(&mut self) -> Result<Dist, DistError> {
        let (start, word) = self.word();
        if word.is_empty() {
            return Err(self.unexpected(match self.flavour {
                Flavour::Duration => "a distribution, such as 5ms or exp(mean=5ms)",
                Flavour::Number => "a distribution, such as 5 or exp(mean=5)",
            }));
        }
        if !self.eat('(') {
            let value = self.number(start, word, Kind::Scaled, "a constant")?;
            return self.checked(Dist::Constant(value), start, &[("value", Some(Located { value, offset: start }))]);
        }
        if self.depth >= MAX_NESTING {
            return Err(self.error_at(start, format!("distributions nest deeper than {MAX_NESTING} levels")));
        }
        self.depth += 1;
        let dist = self.call(start, word);
        self.depth -= 1;
        dist
    }

    /// Parses the arguments of function `name` (its `(` is consumed) up to and including `)`.
    fn call(&mut self, start: usize, name: &str) -> Result<Dist, DistError> {
        use Kind::{Plain, Scaled};
        match name.to_ascii_lowercase().as_str() {
            "const" | "constant" => {
                let args = self.arguments("const", &[("value", Scaled)], true, start)?;
                let [value] = values(&args);
                self.checked(Dist::Constant(value), start, &args)
            }
            "uniform" => {
                let args = self.arguments("uniform", &[("low", Scaled), ("high", Scaled)], true, start)?;
                let [low, high] = values(&args);
                self.checked(Dist::Uniform { low, high }, start, &args)
            }
            "normal" => {
                let args = self.arguments("normal", &[("mean", Scaled), ("sd", Scaled)], false, start)?;
                let [mean, sd] = values(&args);
                self.checked(Dist::Normal { mean, sd }, start, &args)
            }
            "lognormal" => self.lognormal(start),
            "exp" | "exponential" => {
                let args = self.arguments("exp", &[("mean", Scaled)], false, start)?;
                let [mean] = values(&args);
                self.checked(Dist::Exponential { mean }, start, &args)
            }
            "pareto" => {
                let args = self.arguments("pareto", &[("scale", Scaled), ("shape", Plain)], false, start)?;
                let [scale, shape] = values(&args);
                self.checked(Dist::Pareto { scale, shape }, start, &args)
            }
            "mix" | "mixture" => self.mixture(start),
            "empirical" => self.empirical_values(start),
            "cdf" => self.empirical_cdf(start),
            _ => Err(self.error_at(
                start,
                format!(
                    "unknown distribution {name:?}; expected one of const, uniform, normal, lognormal, exp, \
                     pareto, mix, empirical, cdf"
                ),
            )),
        }
    }

    /// `lognormal` takes sigma and exactly one of median and mu.
    fn lognormal(&mut self, start: usize) -> Result<Dist, DistError> {
        let params = [("median", Kind::Scaled), ("mu", Kind::Plain), ("sigma", Kind::Plain)];
        let args = self.arguments_unchecked("lognormal", &params, false)?;
        let (median, mu, sigma) = (args[0].1, args[1].1, args[2].1);
        let Some(sigma) = sigma else {
            return Err(self.error_at(start, "missing parameter sigma for lognormal".to_string()));
        };
        let mu = match (median, mu) {
            (Some(median), None) => {
                let mu = mu_from_median(median.value).map_err(|invalid| self.locate(invalid, start, &args, &[]))?;
                Located { value: mu, offset: median.offset }
            }
            (None, Some(mu)) => mu,
            (Some(_), Some(mu)) => {
                return Err(self.error_at(mu.offset, "lognormal takes median or mu, not both".to_string()));
            }
            (None, None) => {
                let message = "missing parameter median (or mu) for lognormal; expected lognormal(median=..., \
                               sigma=...)";
                return Err(self.error_at(start, message.to_string()));
            }
        };
        let located = [("mu", Some(mu)), ("sigma", Some(sigma))];
        self.checked(Dist::LogNormal { mu: mu.value, sigma: sigma.value }, start, &located)
    }

    fn mixture(&mut self, start: usize) -> Result<Dist, DistError> {
        let mut offsets = Vec::new();
        let components = self.list(|parser| {
            let (offset, word) = parser.word();
            let weight = parser.number(offset, word, Kind::Plain, "a weight")?;
            parser.expect('*', "\"*\" between a weight and its distribution, as in 0.9*const(1)")?;
            offsets.push(offset);
            Ok((weight, parser.dist()?))
        })?;
        let dist = Dist::Mixture(components);
        dist.check().map_err(|invalid| self.locate(invalid, start, &[], &offsets))?;
        Ok(dist)
    }

    fn empirical_values(&mut self, start: usize) -> Result<Dist, DistError> {
        let mut offsets = Vec::new();
        let values = self.list(|parser| {
            let (offset, word) = parser.word();
            offsets.push(offset);
            parser.number(offset, word, Kind::Scaled, "a value")
        })?;
        let empirical = Empirical::checked_values(values).map_err(|e| self.locate(e, start, &[], &offsets))?;
        Ok(Dist::Empirical(empirical))
    }

    fn empirical_cdf(&mut self, start: usize) -> Result<Dist, DistError> {
        let mut offsets = Vec::new();
        let points = self.list(|parser| {
            let (offset, word) = parser.word();
            let x = parser.number(offset, word, Kind::Scaled, "x")?;
            parser.expect(':', "\":\" between x and its cumulative probability, as in 10ms:0.5")?;
            let (p_offset, p_word) = parser.word();
            offsets.push(offset);
            Ok((x, parser.number(p_offset, p_word, Kind::Plain, "p")?))
        })?;
        let empirical = Empirical::checked_cdf(points).map_err(|e| self.locate(e, start, &[], &offsets))?;
        Ok(Dist::Empirical(empirical))
    }

    /// Items separated by commas, up to and including `)`; the `(` is already consumed.
    fn list<T>(&mut self, mut item: impl FnMut(&mut Self) -> Result<T, DistError>) -> Result<Vec<T>, DistError> {
        let mut items = Vec::new();
        if self.eat(')') {
            return Ok(items);
        }
        loop {
            items.push(item(self)?);
            if self.eat(')') {
                return Ok(items);
            }
            self.expect(',', "\",\" or \")\"")?;
        }
    }
}

/// The prefix of `text` up to whitespace, a delimiter, or a `+` that joins terms (one right after
/// a number's `e` is its exponent's sign: `1e+5`).
fn bare_word(text: &str) -> &str {
    let bytes = text.as_bytes();
    let end = text
        .char_indices()
        .find(|&(i, c)| {
            let exponent = |i: usize| {
                i >= 2 && matches!(bytes[i - 1], b'e' | b'E') && (bytes[i - 2].is_ascii_digit() || bytes[i - 2] == b'.')
            };
            c.is_whitespace() || DELIMITERS.contains(&c) || (c == '+' && !exponent(i))
        })
        .map_or(text.len(), |(i, _)| i);
    &text[..end]
}

/// The values of arguments that [`Parser::arguments`] has checked are all present.
fn values<const N: usize>(args: &[(&'static str, Option<Located>)]) -> [f64; N] {
    std::array::from_fn(|index| args.get(index).and_then(|(_, located)| *located).map_or(0.0, |l| l.value))
}

impl<'a> Parser<'a> {
    /// Parses `name=value` (and, if `positional`, bare values in order) for `function`, and checks
    /// that every parameter is given exactly once.
    fn arguments(
        &mut self,
        function: &str,
        params: &[(&'static str, Kind)],
        positional: bool,
        start: usize,
    ) -> Result<Vec<(&'static str, Option<Located>)>, DistError> {
        let args = self.arguments_unchecked(function, params, positional)?;
        if let Some((missing, _)) = args.iter().find(|(_, located)| located.is_none()) {
            let signature: Vec<String> = params.iter().map(|(name, _)| format!("{name}=...")).collect();
            let message =
                format!("missing parameter {missing} for {function}; expected {function}({})", signature.join(", "));
            return Err(self.error_at(start, message));
        }
        Ok(args)
    }

    /// As [`Parser::arguments`], but parameters may be missing (`None`).
    fn arguments_unchecked(
        &mut self,
        function: &str,
        params: &[(&'static str, Kind)],
        positional: bool,
    ) -> Result<Vec<(&'static str, Option<Located>)>, DistError> {
        let mut slots: Vec<(&'static str, Option<Located>)> = params.iter().map(|(name, _)| (*name, None)).collect();
        let mut positional_count = 0;
        self.list(|parser| {
            let (offset, word) = parser.word();
            let index = if parser.eat('=') {
                let wanted = word.to_ascii_lowercase();
                params.iter().position(|(name, _)| *name == wanted).ok_or_else(|| {
                    let names: Vec<&str> = params.iter().map(|(name, _)| *name).collect();
                    let expected = names.join(" or ");
                    parser.error_at(offset, format!("unknown parameter {word:?} for {function}; expected {expected}"))
                })?
            } else {
                // A bare value: step back so that it is read below as the value.
                parser.position = offset;
                positional_count += 1;
                parser.positional_index(function, params, positional, positional_count - 1)?
            };
            let (name, kind) = params[index];
            if slots[index].1.is_some() {
                return Err(parser.error_at(offset, format!("parameter {name} given twice for {function}")));
            }
            let (value_offset, value_word) = parser.word();
            let value = parser.number(value_offset, value_word, kind, name)?;
            slots[index].1 = Some(Located { value, offset: value_offset });
            Ok(())
        })?;
        Ok(slots)
    }

    /// Which parameter the next bare value fills, or an error if `function` takes only named ones.
    fn positional_index(
        &self,
        function: &str,
        params: &[(&'static str, Kind)],
        positional: bool,
        count: usize,
    ) -> Result<usize, DistError> {
        if !positional {
            let first = params[0].0;
            let found = self.describe(self.position);
            let message = format!("found {found}; expected a named parameter of {function}, as in {first}=...");
            return Err(self.error_at(self.position, message));
        }
        if count >= params.len() {
            let found = self.describe(self.position);
            let message = format!("found {found}; expected at most {} arguments for {function}", params.len());
            return Err(self.error_at(self.position, message));
        }
        Ok(count)
    }

    /// Reads one number. `what` names it in errors. Scaled numbers in the duration flavour need a unit.
    fn number(&self, offset: usize, word: &str, kind: Kind, what: &str) -> Result<f64, DistError> {
        if word.is_empty() {
            let found = self.describe(offset);
            return Err(self.error_at(offset, format!("found {found}; expected {what}")));
        }
        if kind == Kind::Scaled && self.flavour == Flavour::Duration {
            return parse_signed_duration(word).map_err(|reason| {
                let message = format!(
                    "found {word:?} for {what}; expected a duration with a unit, such as 5ms or 1.5s ({reason})"
                );
                self.error_at(offset, message)
            });
        }
        word.parse::<f64>().map_err(|_| {
            let message = format!("found {word:?} for {what}; expected a plain number without a unit, such as 0.5");
            self.error_at(offset, message)
        })
    }

    /// Validates `dist`, placing any error at the offending argument.
    fn checked(&self, dist: Dist, start: usize, args: &[(&'static str, Option<Located>)]) -> Result<Dist, DistError> {
        dist.check().map_err(|invalid| self.locate(invalid, start, args, &[]))?;
        Ok(dist)
    }

    /// Turns a validation failure into an error at the column of what it blames.
    fn locate(
        &self,
        invalid: Invalid,
        start: usize,
        args: &[(&'static str, Option<Located>)],
        items: &[usize],
    ) -> DistError {
        let offset = match invalid.blame {
            Blame::Whole => None,
            Blame::Param(name) => args.iter().find(|(arg, _)| *arg == name).and_then(|(_, l)| l.map(|l| l.offset)),
            Blame::Item(index) => items.get(index).copied(),
        };
        self.error_at(offset.unwrap_or(start), invalid.message)
    }
}

/// A duration in nanoseconds, with an optional leading `-`. Exact through SimDuration's parser where
/// it applies; `ns` values finer than a nanosecond or beyond u64 (`1.5ns`, `1e20ns`) read as floats,
/// so that every value [`Dist::display_duration`] prints reads back.
fn parse_signed_duration(word: &str) -> Result<f64, String> {
    let (sign, magnitude) = match word.strip_prefix('-') {
        Some(rest) => (-1.0, rest),
        None => (1.0, word),
    };
    let exact = match magnitude.parse::<SimDuration>() {
        Ok(duration) => return Ok(sign * duration.as_nanos() as f64),
        Err(error) => error,
    };
    let float_nanos = magnitude
        .strip_suffix("ns")
        .filter(|number| number.starts_with(|c: char| c.is_ascii_digit() || c == '.'))
        .and_then(|number| number.parse::<f64>().ok());
    float_nanos.map(|nanos| sign * nanos).ok_or(exact.reason)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Seed, Stream};

    const MS: f64 = 1e6;

    fn duration(input: &str) -> Dist {
        Dist::parse_duration(input).unwrap_or_else(|e| panic!("{input:?} should parse: {e}"))
    }

    fn number(input: &str) -> Dist {
        Dist::parse_number(input).unwrap_or_else(|e| panic!("{input:?} should parse: {e}"))
    }

    #[test]
    fn every_form_parses() {
        assert_eq!(duration("5ms"), Dist::Constant(5.0 * MS));
        assert_eq!(duration(" CONST( 5ms ) "), Dist::Constant(5.0 * MS));
        assert_eq!(duration("uniform(10ms, 20ms)"), Dist::Uniform { low: 10.0 * MS, high: 20.0 * MS });
        assert_eq!(duration("uniform(high=20ms, low=10ms)"), Dist::Uniform { low: 10.0 * MS, high: 20.0 * MS });
        assert_eq!(duration("uniform(-5ms, 5ms)"), Dist::Uniform { low: -5.0 * MS, high: 5.0 * MS });
        assert_eq!(duration("normal(mean=30ms, sd=5ms)"), Dist::Normal { mean: 30.0 * MS, sd: 5.0 * MS });
        assert_eq!(
            duration("lognormal(median=30ms, sigma=0.5)"),
            Dist::LogNormal { mu: libm::log(30.0 * MS), sigma: 0.5 }
        );
        assert_eq!(duration("lognormal(mu=17, sigma=0.5)"), Dist::LogNormal { mu: 17.0, sigma: 0.5 });
        assert_eq!(number("LogNormal(Mu=-1.5, SIGMA=2)"), Dist::LogNormal { mu: -1.5, sigma: 2.0 });
        assert_eq!(duration("exp(mean=5ms)"), Dist::Exponential { mean: 5.0 * MS });
        assert_eq!(duration("exponential(mean=1.5s)"), Dist::Exponential { mean: 1.5e9 });
        assert_eq!(duration("pareto(scale=10ms, shape=2.5)"), Dist::Pareto { scale: 10.0 * MS, shape: 2.5 });
        assert_eq!(
            duration("mix(0.9*exp(mean=5ms), 0.1*const(1s))"),
            Dist::Mixture(vec![(0.9, Dist::Exponential { mean: 5.0 * MS }), (0.1, Dist::Constant(1e9))])
        );
        assert_eq!(
            duration("mixture( 1 * 2ms , 3*mix(1*3ms) )"),
            Dist::Mixture(vec![
                (1.0, Dist::Constant(2.0 * MS)),
                (3.0, Dist::Mixture(vec![(1.0, Dist::Constant(3.0 * MS))]))
            ])
        );
        assert_eq!(duration("empirical(1ms, 2ms, 5ms)"), Dist::empirical_values(vec![MS, 2.0 * MS, 5.0 * MS]).unwrap());
        assert_eq!(
            duration("cdf(10ms:0.5, 20ms:0.9, 100ms:1)"),
            Dist::empirical_cdf(vec![(10.0 * MS, 0.5), (20.0 * MS, 0.9), (100.0 * MS, 1.0)]).unwrap()
        );
        assert_eq!(number("1e3"), Dist::Constant(1000.0));
        assert_eq!(number("uniform(low=-.5, high=2)"), Dist::Uniform { low: -0.5, high: 2.0 });
        assert_eq!(number("cdf(1:0.5, 2:1)"), Dist::empirical_cdf(vec![(1.0, 0.5), (2.0, 1.0)]).unwrap());
        assert_eq!(duration("1.5ns"), Dist::Constant(1.5), "fractional nanoseconds are allowed");
        let fixed_plus_random = Dist::Sum(vec![Dist::Constant(32.0 * MS), Dist::Exponential { mean: 2.0 * MS }]);
        assert_eq!(duration("32ms + exp(mean=2ms)"), fixed_plus_random);
        assert_eq!(duration("32ms+exp(mean=2ms)"), fixed_plus_random, "a + needs no spaces");
        assert_eq!(number("1e+5"), Dist::Constant(1e5), "the + of an exponent is the number's");
        assert_eq!(number("1e+5 + 2.5e+1"), Dist::Sum(vec![Dist::Constant(1e5), Dist::Constant(25.0)]));
        assert_eq!(
            duration("mix(0.5*1ms + 2ms, 0.5*3ms) + 1ms"),
            Dist::Sum(vec![
                Dist::Mixture(vec![
                    (0.5, Dist::Sum(vec![Dist::Constant(MS), Dist::Constant(2.0 * MS)])),
                    (0.5, Dist::Constant(3.0 * MS))
                ]),
                Dist::Constant(MS)
            ]),
            "a weight applies to the whole sum after it"
        );
    }

    /// Asserts that `input` fails at `column` with a message containing every one of `parts`.
    fn fails(parse: fn(&str) -> Result<Dist, DistError>, input: &str, column: usize, parts: &[&str]) {
        let error = parse(input).expect_err(input);
        let text = error.to_string();
        assert_eq!(error.column(), Some(column), "{text}");
        assert!(text.starts_with(&format!("at column {column} of {input:?}: ")), "{text}");
        for part in parts {
            assert!(text.contains(part), "{input:?}: {text:?} should contain {part:?}");
        }
    }

    #[test]
    fn syntax_errors_say_where_what_was_found_and_what_was_expected() {
        let d = Dist::parse_duration;
        let n = Dist::parse_number;
        fails(d, "exp(mena=5ms)", 5, &["unknown parameter \"mena\" for exp; expected mean"]);
        fails(d, "", 1, &["found the end of the input; expected a distribution"]);
        fails(d, "   ", 4, &["found the end of the input"]);
        fails(d, "gamma(1ms)", 1, &["unknown distribution \"gamma\"", "expected one of const"]);
        fails(d, "exp(mean=5ms", 13, &["found the end of the input; expected \",\" or \")\""]);
        fails(d, "exp(mean=5ms))", 14, &["found \")\"; expected the end of the input"]);
        fails(d, "exp(5ms)", 5, &["found \"5ms\"; expected a named parameter of exp, as in mean=..."]);
        fails(d, "uniform(1ms, 2ms, 3ms)", 19, &["expected at most 2 arguments for uniform"]);
        fails(d, "normal(mean=30ms)", 1, &["missing parameter sd for normal; expected normal(mean=..., sd=...)"]);
        fails(d, "normal(mean=1ms, sd=2ms, mean=3ms)", 26, &["parameter mean given twice for normal"]);
        fails(d, "uniform(1ms, low=2ms)", 14, &["parameter low given twice for uniform"]);
        fails(d, "lognormal(sigma=1)", 1, &["missing parameter median (or mu)"]);
        fails(d, "lognormal(median=1ms)", 1, &["missing parameter sigma"]);
        fails(d, "lognormal(median=1ms, mu=2, sigma=1)", 26, &["median or mu, not both"]);
        fails(d, "exp(mean=5)", 10, &["found \"5\" for mean; expected a duration with a unit", "unit is missing"]);
        fails(d, "exp(mean=5parsecs)", 10, &["unknown unit"]);
        fails(d, "pareto(scale=1ms, shape=2ms)", 25, &["found \"2ms\" for shape; expected a plain number"]);
        fails(n, "exp(mean=5ms)", 10, &["found \"5ms\" for mean; expected a plain number"]);
        fails(d, "mix(0.5 exp(mean=1ms))", 9, &["found \"exp\"; expected \"*\" between a weight"]);
        fails(d, "cdf(1ms 0.5)", 9, &["expected \":\" between x and its cumulative probability"]);
        fails(d, "uniform(1ms,)", 13, &["found \")\"; expected high"]);
        fails(d, "exp(=5ms)", 5, &["unknown parameter \"\" for exp"]);
        fails(d, "5ms +", 6, &["found the end of the input; expected a distribution"]);
        fails(d, "5ms + + 1ms", 7, &["found \"+\"; expected a distribution"]);
        fails(d, "32ms + exp(mean=2)", 17, &["found \"2\" for mean; expected a duration with a unit"]);
    }

    #[test]
    fn invalid_parameters_are_reported_at_the_parameter() {
        let d = Dist::parse_duration;
        let n = Dist::parse_number;
        fails(d, "normal(mean=30ms, sd=-5ms)", 22, &["sd of normal is -5000000; expected a finite number >= 0"]);
        fails(n, "exp(mean=0)", 10, &["mean of exp is 0; expected a finite number > 0"]);
        fails(d, "uniform(20ms, 10ms)", 15, &["high of uniform is 10000000; expected a finite number >= low"]);
        fails(n, "pareto(scale=1, shape=0)", 23, &["shape of pareto is 0; expected a finite number > 0"]);
        fails(n, "pareto(scale=-1, shape=1)", 14, &["scale of pareto is -1"]);
        fails(n, "lognormal(mu=1, sigma=-1)", 23, &["sigma of lognormal is -1"]);
        fails(n, "lognormal(median=0, sigma=1)", 18, &["median of lognormal is 0; expected a finite number > 0"]);
        fails(n, "const(nan)", 7, &["value of const is NaN; expected a finite number"]);
        fails(n, "inf", 1, &["value of const is inf"]);
        fails(n, "normal(mean=1e999, sd=1)", 13, &["mean of normal is inf"]);
        fails(n, "mix(0.5*1, -0.5*2)", 12, &["weight of component 2 of mix is -0.5; expected a finite number >= 0"]);
        fails(n, "mix(0*1, 0*2)", 1, &["the weights of mix sum to 0; expected a finite sum > 0"]);
        fails(n, "mix()", 1, &["mix has no components"]);
        fails(n, "empirical()", 1, &["empirical has no values; expected at least one"]);
        fails(n, "empirical(1, NaN)", 14, &["value 2 of empirical is NaN"]);
        fails(n, "cdf()", 1, &["cdf has no points"]);
        fails(n, "cdf(1:0.5, 0.5:1)", 12, &["point 2 of cdf is 0.5:1 after 1:0.5; expected x and p not to decrease"]);
        fails(n, "cdf(1:0.5, 2:0.4, 3:1)", 12, &["expected x and p not to decrease"]);
        fails(n, "cdf(1:1.5)", 5, &["p of point 1 of cdf is 1.5; expected a probability in [0, 1]"]);
        fails(n, "cdf(1:0.5, 2:0.9)", 12, &["the last p of cdf is 0.9; expected 1"]);
        fails(n, "cdf(inf:1)", 5, &["x of point 1 of cdf is inf"]);
        fails(n, "1 + exp(mean=0)", 14, &["mean of exp is 0; expected a finite number > 0"]);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = format!("{}1{}", "mix(1*".repeat(10_000), ")".repeat(10_000));
        let error = Dist::parse_number(&deep).unwrap_err();
        assert!(error.to_string().contains("nest deeper than 32 levels"), "{error}");
        let fine = format!("{}1{}", "mix(1*".repeat(MAX_NESTING), ")".repeat(MAX_NESTING));
        assert!(Dist::parse_number(&fine).is_ok());
        let long = vec!["1"; MAX_TERMS + 1].join(" + ");
        assert!(Dist::parse_number(&long).unwrap_err().to_string().contains("a sum of more than 1024 terms"));
        assert!(Dist::parse_number(&vec!["1"; MAX_TERMS].join(" + ")).is_ok());
    }

    /// Strings near valid ones, mutated at random: parsing must never panic, and whatever parses
    /// must sample without panicking and print back to itself.
    #[test]
    fn fuzzed_inputs_never_panic_and_what_parses_round_trips() {
        const SEEDS: &[&str] = &[
            "5ms",
            "uniform(10ms, 20ms)",
            "normal(mean=30ms, sd=5ms)",
            "lognormal(median=30ms, sigma=0.5)",
            "lognormal(mu=1.5, sigma=0.5)",
            "exp(mean=5ms)",
            "pareto(scale=10ms, shape=2.5)",
            "mix(0.9*exp(mean=5ms), 0.1*const(1s))",
            "empirical(1ms, 2ms, 5ms)",
            "cdf(10ms:0.5, 20ms:0.9, 100ms:1)",
            "uniform(low=-1, high=2e3)",
            "32ms + exp(mean=2ms)",
            "1e+5 + mix(0.5*1, 0.5*2)",
        ];
        const ALPHABET: &[char] = &[
            '(', ')', ',', '=', '*', ':', '.', '-', '+', ' ', 'e', 'E', '0', '1', '5', '9', 'm', 's', 'n', 'u', 'h',
            'x', 'µ', '\u{3000}', 'é', '\0',
        ];
        let mut stream = Seed(0x2a).stream("dist-fuzz");
        let mut parsed = 0;
        for _ in 0..4000 {
            let mut text: Vec<char> = SEEDS[stream.below(SEEDS.len() as u64) as usize].chars().collect();
            for _ in 0..=stream.below(3) {
                mutate(&mut text, &mut stream, ALPHABET, SEEDS);
            }
            let input: String = text.into_iter().collect();
            for (parse, print) in [
                (Dist::parse_duration as fn(&str) -> _, Dist::display_duration as fn(&Dist) -> String),
                (Dist::parse_number, |dist: &Dist| dist.to_string()),
            ] {
                if let Ok(dist) = parse(&input) {
                    parsed += 1;
                    let _ = (dist.sample(&mut stream), dist.sample_duration(&mut stream), dist.mean());
                    assert_eq!(parse(&print(&dist)), Ok(dist.clone()), "{input:?} printed as {:?}", print(&dist));
                }
            }
        }
        assert!(parsed > 100, "the mutations should leave some inputs valid; only {parsed} parsed");
    }

    fn mutate(text: &mut Vec<char>, stream: &mut Stream, alphabet: &[char], seeds: &[&str]) {
        let at = stream.below(text.len() as u64 + 1) as usize;
        let random_char = alphabet[stream.below(alphabet.len() as u64) as usize];
        match stream.below(5) {
            0 => text.insert(at, random_char),
            1 if at < text.len() => {
                text.remove(at);
            }
            2 if at < text.len() => text[at] = random_char,
            3 => {
                let cut = stream.below(text.len() as u64 + 1) as usize;
                text.truncate(cut);
            }
            _ => {
                let other: Vec<char> = seeds[stream.below(seeds.len() as u64) as usize].chars().collect();
                let from = stream.below(other.len() as u64) as usize;
                text.splice(at..at, other[from..].iter().copied());
            }
        }
    }
}
