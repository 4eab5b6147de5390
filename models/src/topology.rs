//! Regions and the links between them.
//!
//! Regions are named as AWS names them. Every ordered pair of Regions has a one-way latency
//! distribution; by default half the measured median round trip (the table in
//! `shared/reference/aws-facts.md`, a cloudping snapshot) plus a jitter distribution common to all
//! links. A scenario may override any pair. Latency samples come from a stream per ordered pair, so
//! adding a Region never shifts the draws of an existing link.

use sim_core::{Dist, SimDuration, Stream};

use crate::ids::RegionId;

/// Regions mrsim knows by name. A scenario may only name these.
pub const KNOWN_REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "sa-east-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-north-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-south-1",
];

/// Measured median round trips in milliseconds between Region pairs (cloudping snapshot, see
/// aws-facts.md). The table is asymmetric where the measurements were; the lookup averages the
/// two directions when both are present, since a round trip is one figure for the pair.
const MEASURED_RTT_MS: &[(&str, &str, f64)] = &[
    ("us-east-1", "us-east-2", 15.1),
    ("us-east-1", "us-west-2", 64.4),
    ("us-east-1", "eu-west-1", 69.6),
    ("us-east-1", "eu-central-1", 93.2),
    ("us-east-1", "ap-northeast-1", 149.7),
    ("us-east-1", "ap-southeast-1", 219.6),
    ("us-east-2", "us-east-1", 16.5),
    ("us-east-2", "us-west-2", 51.2),
    ("us-east-2", "eu-west-1", 80.7),
    ("us-east-2", "eu-central-1", 104.2),
    ("us-east-2", "ap-northeast-1", 136.5),
    ("us-east-2", "ap-southeast-1", 204.5),
    ("us-west-2", "us-east-1", 64.0),
    ("us-west-2", "us-east-2", 50.5),
    ("us-west-2", "eu-west-1", 118.3),
    ("us-west-2", "eu-central-1", 142.8),
    ("us-west-2", "ap-northeast-1", 98.2),
    ("us-west-2", "ap-southeast-1", 160.2),
    ("eu-west-1", "us-east-1", 69.7),
    ("eu-west-1", "us-east-2", 80.2),
    ("eu-west-1", "us-west-2", 118.6),
    ("eu-west-1", "eu-central-1", 27.5),
    ("eu-west-1", "ap-northeast-1", 202.3),
    ("eu-west-1", "ap-southeast-1", 178.5),
    ("eu-central-1", "us-east-1", 92.7),
    ("eu-central-1", "us-east-2", 103.3),
    ("eu-central-1", "us-west-2", 142.4),
    ("eu-central-1", "eu-west-1", 27.0),
    ("eu-central-1", "ap-northeast-1", 227.0),
    ("eu-central-1", "ap-southeast-1", 160.4),
    ("ap-northeast-1", "us-east-1", 149.5),
    ("ap-northeast-1", "us-east-2", 135.6),
    ("ap-northeast-1", "us-west-2", 98.6),
    ("ap-northeast-1", "eu-west-1", 202.5),
    ("ap-northeast-1", "eu-central-1", 227.6),
    ("ap-northeast-1", "ap-southeast-1", 70.6),
    ("ap-southeast-1", "us-east-1", 219.0),
    ("ap-southeast-1", "us-east-2", 203.6),
    ("ap-southeast-1", "us-west-2", 160.9),
    ("ap-southeast-1", "eu-west-1", 179.1),
    ("ap-southeast-1", "eu-central-1", 161.2),
    ("ap-southeast-1", "ap-northeast-1", 70.9),
    ("eu-west-1", "eu-west-2", 14.0),
    ("eu-west-1", "eu-west-3", 20.0),
    ("eu-west-2", "eu-west-3", 11.0),
    ("eu-west-2", "eu-central-1", 18.0),
    ("eu-west-3", "eu-central-1", 12.0),
    ("ap-northeast-1", "ap-northeast-3", 10.0),
    ("ap-northeast-1", "ap-northeast-2", 36.0),
    ("ap-northeast-2", "ap-northeast-3", 25.0),
    ("us-east-1", "sa-east-1", 115.0),
    ("us-east-1", "ap-southeast-2", 200.0),
    ("us-west-2", "ap-southeast-2", 141.0),
];

/// The measured median round trip between two distinct Regions, in milliseconds, if the table has
/// the pair (in either direction).
pub fn measured_rtt_ms(a: &str, b: &str) -> Option<f64> {
    let find = |x: &str, y: &str| MEASURED_RTT_MS.iter().find(|(p, q, _)| *p == x && *q == y).map(|t| t.2);
    match (find(a, b), find(b, a)) {
        (Some(ab), Some(ba)) => Some((ab + ba) / 2.0),
        (one, other) => one.or(other),
    }
}

/// The one-way latency of a link: a fixed base (half the measured round trip) plus a sampled
/// extra (jitter, or the whole latency when a scenario overrides the link).
#[derive(Clone, Debug, PartialEq)]
pub struct LinkLatency {
    pub base: SimDuration,
    pub extra: Dist,
}

impl LinkLatency {
    pub fn sample(&self, rng: &mut Stream) -> SimDuration {
        self.base + self.extra.sample_duration(rng)
    }
}

/// The Regions of a run and the one-way latency of every ordered pair.
#[derive(Clone, Debug)]
pub struct Topology {
    names: Vec<String>,
    /// `links[from][to]`; the diagonal is unused.
    links: Vec<Vec<LinkLatency>>,
}

impl Topology {
    /// `links[from][to]` must be square, with one row per Region.
    pub fn new(names: Vec<String>, links: Vec<Vec<LinkLatency>>) -> Self {
        assert_eq!(names.len(), links.len(), "one row of links per Region");
        assert!(links.iter().all(|row| row.len() == names.len()), "the link matrix must be square");
        Topology { names, links }
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
    pub fn name(&self, r: RegionId) -> &str {
        &self.names[r.index()]
    }
    pub fn regions(&self) -> impl Iterator<Item = RegionId> + '_ {
        (0..self.names.len()).map(RegionId::new)
    }
    pub fn find(&self, name: &str) -> Option<RegionId> {
        self.names.iter().position(|n| n == name).map(RegionId::new)
    }
    pub fn link(&self, from: RegionId, to: RegionId) -> &LinkLatency {
        &self.links[from.index()][to.index()]
    }
    /// Samples the one-way delay of a message from `from` to `to`.
    pub fn sample_delay(&self, from: RegionId, to: RegionId, rng: &mut Stream) -> SimDuration {
        self.link(from, to).sample(rng)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtt_lookup_averages_directions_and_knows_extra_pairs() {
        assert_eq!(measured_rtt_ms("us-east-1", "us-west-2"), Some((64.4 + 64.0) / 2.0));
        assert_eq!(measured_rtt_ms("eu-west-3", "eu-west-2"), Some(11.0));
        assert_eq!(measured_rtt_ms("us-east-1", "eu-north-1"), None);
        for (a, b, _) in MEASURED_RTT_MS {
            assert!(KNOWN_REGIONS.contains(a) && KNOWN_REGIONS.contains(b), "{a} / {b} must be known Regions");
        }
    }
}
