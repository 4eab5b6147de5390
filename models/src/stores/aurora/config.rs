//! An Aurora Global Database's configuration: AWS's limits and defaults (with their grades, as
//! reference/aws-facts.md gives them), and its validation.

use std::collections::BTreeSet;

use sim_core::{Dist, SimDuration};

use crate::ids::RegionId;

/// At most 10 secondary Regions (grade D; 5 before May 2025).
pub const MAX_SECONDARIES: usize = 10;
/// `rds.global_db_rpo` range, 20 .. 2 147 483 647 s (grade D-old), PostgreSQL only.
pub const RPO_BOUND_MIN: SimDuration = SimDuration::from_secs(20);
pub const RPO_BOUND_MAX: SimDuration = SimDuration::from_secs(2_147_483_647);
/// Local commit latency, median (grade U: a parameter; a few ms for a storage quorum write).
pub const DEFAULT_COMMIT_LATENCY_MEDIAN: SimDuration = SimDuration::from_millis(2);
/// Storage replication lag, median (grade D for "typically under a second"; the shape, a
/// log-normal with sigma 0.5, is U).
pub const DEFAULT_REPLICATION_LAG_MEDIAN: SimDuration = SimDuration::from_millis(100);
/// Switchover promotion after sync (grade U).
pub const DEFAULT_SWITCHOVER_PROMOTION: SimDuration = SimDuration::from_secs(30);
/// Failover promotion, uniform between these (grade D for "in the order of minutes"; shape U).
pub const DEFAULT_FAILOVER_PROMOTION: (SimDuration, SimDuration) =
    (SimDuration::from_mins(1), SimDuration::from_mins(5));
/// Global writer endpoint repointing after a promotion (grade U).
pub const DEFAULT_ENDPOINT_UPDATE_DELAY: SimDuration = SimDuration::from_secs(30);
/// Adding an instance to a headless secondary, uniform between these (grade U).
pub const DEFAULT_INSTANCE_CREATION: (SimDuration, SimDuration) =
    (SimDuration::from_mins(5), SimDuration::from_mins(15));

/// How reads on a secondary with write forwarding see forwarded writes (MySQL
/// aurora_replica_read_consistency, PostgreSQL apg_write_forward.consistency_mode; grade D).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReadConsistency {
    /// Read the local state at once.
    Eventual,
    /// Wait until the session's own forwarded writes have been applied here.
    Session,
    /// Wait until everything the writer had committed when the read started has been applied here.
    Global,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Secondary {
    pub region: RegionId,
    /// No DB instance: storage only.
    pub headless: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AuroraConfig {
    pub writer: RegionId,
    pub secondaries: Vec<Secondary>,
    pub commit_latency: Dist,
    pub replication_lag: Dist,
    /// Write forwarding on secondaries, with its read consistency; None: off (the default).
    pub write_forwarding: Option<ReadConsistency>,
    pub switchover_promotion: SimDuration,
    pub failover_promotion: Dist,
    /// None: fencing works, the old writer stops taking writes when a failover starts. Some(gap):
    /// best-effort fencing fails for `gap`, during which a reachable old writer keeps committing.
    pub fence_gap: Option<SimDuration>,
    /// `rds.global_db_rpo`; None: unset (the default).
    pub rpo_bound: Option<SimDuration>,
    pub endpoint_update_delay: SimDuration,
    pub instance_creation: Dist,
}

fn uniform(range: (SimDuration, SimDuration)) -> Dist {
    Dist::uniform(range.0.as_nanos() as f64, range.1.as_nanos() as f64).expect("a valid default range")
}

impl AuroraConfig {
    /// The documented defaults (see the constants) for a writer and its secondaries.
    pub fn new(writer: RegionId, secondaries: Vec<Secondary>) -> Self {
        let lognormal = |median: SimDuration| {
            Dist::lognormal_median(median.as_nanos() as f64, 0.5).expect("a valid default median")
        };
        AuroraConfig {
            writer,
            secondaries,
            commit_latency: lognormal(DEFAULT_COMMIT_LATENCY_MEDIAN),
            replication_lag: lognormal(DEFAULT_REPLICATION_LAG_MEDIAN),
            write_forwarding: None,
            switchover_promotion: DEFAULT_SWITCHOVER_PROMOTION,
            failover_promotion: uniform(DEFAULT_FAILOVER_PROMOTION),
            fence_gap: None,
            rpo_bound: None,
            endpoint_update_delay: DEFAULT_ENDPOINT_UPDATE_DELAY,
            instance_creation: uniform(DEFAULT_INSTANCE_CREATION),
        }
    }

    /// Every problem, each naming what was found and what was expected; `names` are the run's
    /// Region names by index.
    pub fn validate(&self, names: &[String]) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        let name = |r: RegionId| names.get(r.index()).cloned().unwrap_or_else(|| format!("{r}"));
        for r in std::iter::once(self.writer).chain(self.secondaries.iter().map(|s| s.region)) {
            if r.index() >= names.len() {
                problems.push(format!("{r} is not a Region of the run ({} Regions)", names.len()));
            }
        }
        if self.secondaries.len() > MAX_SECONDARIES {
            problems.push(format!(
                "found {} secondary Regions; expected at most {MAX_SECONDARIES} (Aurora Global Database)",
                self.secondaries.len()
            ));
        }
        let mut seen = BTreeSet::new();
        for s in &self.secondaries {
            if s.region == self.writer {
                problems.push(format!("writer Region {} is also listed as a secondary", name(s.region)));
            } else if !seen.insert(s.region) {
                problems.push(format!("secondary Region {} is listed more than once", name(s.region)));
            }
        }
        if let Some(bound) = self.rpo_bound
            && !(RPO_BOUND_MIN..=RPO_BOUND_MAX).contains(&bound)
        {
            problems.push(format!(
                "rds.global_db_rpo = {bound}; expected {RPO_BOUND_MIN} .. {} s",
                RPO_BOUND_MAX.as_nanos() / 1_000_000_000
            ));
        }
        let dists = [
            ("commit_latency", &self.commit_latency),
            ("replication_lag", &self.replication_lag),
            ("failover_promotion", &self.failover_promotion),
            ("instance_creation", &self.instance_creation),
        ];
        for (field, dist) in dists {
            if let Err(e) = dist.validate() {
                problems.push(format!("{field}: {e}"));
            }
        }
        if problems.is_empty() { Ok(()) } else { Err(problems) }
    }
}
