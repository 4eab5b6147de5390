//! `[[expect]]`: assertions on a run's summary, validated with the rest of the scenario and
//! evaluated by `mrsim check`.
//!
//! An expect names a metric by its dotted path in summary.json (see `metrics_path`), exactly one
//! bound (`equals`, `at_most`, `at_least`, `less_than`, `greater_than`) and `per`: `"seed"` (the
//! default: every seed must meet the bound) or `"mean"` (the mean over the seeds must). The path is
//! checked here, before anything runs, against the summary's known fields and this scenario's store
//! names and app tiers; only an element index (`faults.0`, `transitions.1`) waits for the run.

use std::fmt;

use super::raw::{RawExpect, RawPer, RawScenario, Spanned};
use super::shared::Problems;
use crate::metrics_path::{self, Names};

/// A validated `[[expect]]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Expect {
    pub metric: String,
    pub bound: Bound,
    pub per: Per,
}

/// The bound a metric must meet.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Bound {
    Equals(f64),
    AtMost(f64),
    AtLeast(f64),
    LessThan(f64),
    GreaterThan(f64),
}

impl Bound {
    /// Whether `value` meets the bound. `equals` is exact: meant for counts; bound a float from
    /// both sides instead.
    pub fn holds(self, value: f64) -> bool {
        match self {
            Bound::Equals(b) => value == b,
            Bound::AtMost(b) => value <= b,
            Bound::AtLeast(b) => value >= b,
            Bound::LessThan(b) => value < b,
            Bound::GreaterThan(b) => value > b,
        }
    }
}

impl fmt::Display for Bound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Bound::Equals(b) => write!(f, "= {b}"),
            Bound::AtMost(b) => write!(f, "<= {b}"),
            Bound::AtLeast(b) => write!(f, ">= {b}"),
            Bound::LessThan(b) => write!(f, "< {b}"),
            Bound::GreaterThan(b) => write!(f, "> {b}"),
        }
    }
}

/// Over what the bound is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Per {
    /// Every seed's value must meet the bound.
    Seed,
    /// The mean over the seeds must meet the bound.
    Mean,
}

impl fmt::Display for Per {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Per::Seed => "seed",
            Per::Mean => "mean",
        })
    }
}

/// A bound's key in the file, its value, and how to build it.
type GivenBound<'e> = (&'static str, &'e Spanned<f64>, fn(f64) -> Bound);

const BOUNDS: &str = "equals, at_most, at_least, less_than or greater_than";

/// Validates every `[[expect]]` of `raw`, reporting problems into `p`.
pub(super) fn expects(raw: &RawScenario, p: &mut Problems) -> Vec<Expect> {
    let stores: Vec<String> = raw.stores.iter().map(|s| s.name.get_ref().clone()).collect();
    let app_tiers: Vec<String> =
        raw.regions.iter().filter(|r| r.app_tier.is_some()).map(|r| r.name.get_ref().clone()).collect();
    let populations: Vec<String> = raw.populations.iter().map(|p| p.name.get_ref().clone()).collect();
    let names = Names { stores: &stores, app_tiers: &app_tiers, populations: &populations };
    raw.expects.iter().enumerate().filter_map(|(i, e)| expect(e, i, &names, p)).collect()
}

fn expect(e: &RawExpect, i: usize, names: &Names, p: &mut Problems) -> Option<Expect> {
    let path = format!("expect[{i}]");
    let metric = e.metric.get_ref();
    let known = metrics_path::is_known(metric, names);
    if !known {
        let nearest = metrics_path::nearest(metric, names, 6).join(", ");
        p.at(
            e.metric.span(),
            format!("{path}.metric"),
            format!("{metric:?} is not a numeric metric of summary.json; expected a dotted path such as: {nearest}"),
        );
    }
    let given: Vec<GivenBound> = [
        ("equals", &e.equals, Bound::Equals as fn(f64) -> Bound),
        ("at_most", &e.at_most, Bound::AtMost),
        ("at_least", &e.at_least, Bound::AtLeast),
        ("less_than", &e.less_than, Bound::LessThan),
        ("greater_than", &e.greater_than, Bound::GreaterThan),
    ]
    .into_iter()
    .filter_map(|(name, value, make)| value.as_ref().map(|v| (name, v, make)))
    .collect();
    let bound = match given.as_slice() {
        [] => {
            p.at(e.metric.span(), path, format!("no bound given; expected exactly one of {BOUNDS}"));
            None
        }
        [(name, value, make)] => {
            if value.get_ref().is_finite() {
                Some(make(*value.get_ref()))
            } else {
                p.at(
                    value.span(),
                    format!("{path}.{name}"),
                    format!("found {}; expected a finite number", value.get_ref()),
                );
                None
            }
        }
        [(first, ..), (second, value, _), ..] => {
            p.at(
                value.span(),
                format!("{path}.{second}"),
                format!("found both {first} and {second}; expected exactly one of {BOUNDS}"),
            );
            None
        }
    };
    let per = match e.per.as_ref().map(|s| *s.get_ref()) {
        None | Some(RawPer::Seed) => Per::Seed,
        Some(RawPer::Mean) => Per::Mean,
    };
    match (known, bound) {
        (true, Some(bound)) => Some(Expect { metric: metric.clone(), bound, per }),
        _ => None,
    }
}
