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

/// How committed records travel from the writer's storage to each secondary.
#[derive(Clone, Debug, PartialEq)]
pub enum Replication {
    /// Each record waits its own sample of `replication_lag` before it ships, however many others
    /// are in the pipeline: an infinite-server delay, in which records overtake one another and lag
    /// never builds with load.
    Independent,
    /// The redo log as Aurora ships it: towards each secondary one pipeline takes the records in
    /// log order, one at a time, each for a sample of `service_time` (`None`: no capacity limit,
    /// no service time), then the record travels its `replication_lag` and the network. A single
    /// FIFO server per secondary: a write rate above its capacity builds a backlog, and lag with
    /// it, that drains afterwards; a failover loses the backlog.
    OrderedLog { service_time: Option<Dist> },
}

impl Replication {
    /// A pipeline's service time must be a valid distribution with a finite mean above zero; the
    /// error starts with the distribution as written.
    pub fn check_service_time(service: &Dist) -> Result<(), String> {
        let shown = service.display_duration();
        match service.validate() {
            Err(e) => Err(format!("{shown}: {e}")),
            Ok(()) if service.mean().is_none_or(|m| !m.is_finite() || m <= 0.0) => Err(format!(
                "{shown}; expected a finite mean above zero (a pipeline without a capacity limit is an \
                 ordered log with no capacity set)"
            )),
            Ok(()) => Ok(()),
        }
    }

    /// The pipeline's service time per record, if it has a capacity limit.
    pub fn service_time(&self) -> Option<&Dist> {
        match self {
            Replication::OrderedLog { service_time } => service_time.as_ref(),
            Replication::Independent => None,
        }
    }
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
    /// How records reach the secondaries; the default is the ordered log with no capacity limit.
    pub replication: Replication,
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
            replication: Replication::OrderedLog { service_time: None },
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
        if let Some(Err(e)) = self.replication.service_time().map(Replication::check_service_time) {
            problems.push(format!("log_service_time = {e}"));
        }
        if problems.is_empty() { Ok(()) } else { Err(problems) }
    }
}
