//! Regions and the links between them.
//!
//! Regions are named as AWS names them (`regions.rs` lists those mrsim knows). Every ordered pair of
//! Regions has a one-way latency distribution; by default half the pair's median round trip (the
//! matrix in `rtt.rs`: measured where a public measurement exists, else estimated from great-circle
//! distance) plus a jitter distribution common to all links. A scenario may override any pair.
//! Latency samples come from a stream per ordered pair, so adding a Region never shifts the draws
//! of an existing link.

use sim_core::{Dist, SimDuration, Stream};

use crate::ids::RegionId;

/// The one-way latency of a link: a fixed base (half the pair's round trip) plus a sampled
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
