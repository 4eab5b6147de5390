//! The round trip between every pair of known Regions: `models/data/region_rtt.csv`, compiled in.
//!
//! Each pair is either measured (a CloudPing median) or estimated from the great-circle distance
//! between the Regions' cities with a line fitted to the measured pairs; the file's comments give
//! the sources, the fit and its residuals, and say which way the estimates err. The tests below
//! hold the file to that: every pair once, the measured figures as mrsim has always used them, and
//! every estimated row regenerated from the fit.

use std::collections::BTreeMap;

use crate::regions::known_region;

/// The data file, one row per unordered pair of known Regions.
pub const REGION_RTT_CSV: &str = include_str!("../data/region_rtt.csv");

/// Where a pair's round trip comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RttKind {
    /// A public measurement (the file names it).
    Measured,
    /// Great-circle distance times a factor fitted to the measured pairs.
    Estimated,
}

/// One pair's median round trip, in milliseconds, and where it comes from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PairRtt {
    pub rtt_ms: f64,
    pub kind: RttKind,
}

impl PairRtt {
    /// How `explain` names the figure: "rtt 64.2 ms (measured)", "rtt 64 ms (estimated from
    /// great-circle distance)".
    pub fn describe(&self) -> String {
        match self.kind {
            RttKind::Measured => format!("rtt {} ms (measured)", self.rtt_ms),
            RttKind::Estimated => format!("rtt {} ms (estimated from great-circle distance)", self.rtt_ms),
        }
    }
}

/// The parsed file: a round trip per unordered pair of Region names.
#[derive(Clone, Debug)]
pub struct RttMatrix {
    pairs: BTreeMap<(&'static str, &'static str), PairRtt>,
}

/// The key of an unordered pair: its two names in order.
fn key<'a>(a: &'a str, b: &'a str) -> (&'a str, &'a str) {
    if a <= b { (a, b) } else { (b, a) }
}

impl RttMatrix {
    /// The matrix mrsim ships. Panics on a malformed row: the file is compiled in and its tests
    /// parse it, so a panic here is a build that skipped them.
    pub fn shipped() -> Self {
        Self::parse(REGION_RTT_CSV).unwrap_or_else(|e| panic!("models/data/region_rtt.csv: {e}"))
    }

    /// Parses `region_a,region_b,rtt_ms,kind,source` rows; `#` lines and the header are skipped.
    /// Refuses unknown Regions, a Region paired with itself, a pair given twice and a round trip
    /// that is not positive.
    pub fn parse(text: &'static str) -> Result<Self, String> {
        let mut pairs = BTreeMap::new();
        for (i, line) in text.lines().enumerate() {
            let at = |m: String| format!("line {}: {m}", i + 1);
            if line.is_empty() || line.starts_with('#') || line.starts_with("region_a,") {
                continue;
            }
            let fields: Vec<&'static str> = line.split(',').collect();
            let [a, b, rtt, kind, _source] = fields[..] else {
                return Err(at(format!("found {} fields; expected 5", fields.len())));
            };
            for name in [a, b] {
                if known_region(name).is_none() {
                    return Err(at(format!("unknown Region {name:?}")));
                }
            }
            if a == b {
                return Err(at(format!("{a} is paired with itself")));
            }
            let rtt_ms: f64 = rtt.parse().map_err(|_| at(format!("rtt_ms {rtt:?} is not a number")))?;
            if !(rtt_ms > 0.0 && rtt_ms.is_finite()) {
                return Err(at(format!("rtt_ms is {rtt}; expected a positive number of milliseconds")));
            }
            let kind = match kind {
                "measured" => RttKind::Measured,
                "estimated" => RttKind::Estimated,
                other => return Err(at(format!("kind {other:?}; expected measured or estimated"))),
            };
            if pairs.insert(key(a, b), PairRtt { rtt_ms, kind }).is_some() {
                return Err(at(format!("{a} / {b} is given twice")));
            }
        }
        Ok(RttMatrix { pairs })
    }

    /// The round trip between two distinct Regions, in either order.
    pub fn get(&self, a: &str, b: &str) -> Option<PairRtt> {
        self.pairs.get(&key(a, b)).copied()
    }

    /// Every pair, as (a, b) with a < b by name, and its round trip.
    pub fn pairs(&self) -> impl Iterator<Item = (&'static str, &'static str, PairRtt)> + '_ {
        self.pairs.iter().map(|(&(a, b), &rtt)| (a, b, rtt))
    }
}

#[cfg(test)]
mod tests;
