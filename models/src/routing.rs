//! Where a client's new request goes: the interface the routing tier implements.
//!
//! The world asks the router once per attempt, except where the client overrides it on purpose
//! (pinned writes, read-your-writes affinity). Until the routing tier's models (Route 53, Global
//! Accelerator, CloudFront) exist, [`StaticRouter`] sends every population to its own Region, as a
//! DNS answer that never changes would.

use sim_core::SimTime;

use crate::config::WorldConfig;
use crate::ids::{PopulationId, RegionId};

/// Chooses the Region of a population's next request.
pub trait Router {
    fn route(&mut self, now: SimTime, population: PopulationId) -> RegionId;
}

/// Every population to the Region it is near, always.
#[derive(Clone, Debug)]
pub struct StaticRouter {
    targets: Vec<RegionId>,
}

impl StaticRouter {
    pub fn new(config: &WorldConfig) -> Self {
        StaticRouter { targets: config.populations.iter().map(|p| p.region).collect() }
    }
}

impl Router for StaticRouter {
    fn route(&mut self, _now: SimTime, population: PopulationId) -> RegionId {
        self.targets[population.index()]
    }
}
