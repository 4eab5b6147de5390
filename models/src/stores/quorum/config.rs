//! A quorum channel's configuration, validated against the scenario's Regions, and DynamoDB MRSC's
//! Region sets as one such configuration.

use std::collections::BTreeSet;

use sim_core::SimDuration;

use crate::ids::RegionId;

/// When a member applies a replicated write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Apply {
    /// Only when its coordinator has reached the write quorum and says so (MRSC).
    OnCommit,
    /// As soon as it receives it, if it is newer (leaderless partial quorums).
    OnReceipt,
}

/// One member of the channel: a Region, holding a readable replica or only a witness.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Member {
    pub region: RegionId,
    pub witness: bool,
}

/// A quorum channel's configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuorumConfig {
    pub members: Vec<Member>,
    /// W: members (coordinator and witnesses included) that must have a write before it succeeds.
    pub write_quorum: u32,
    /// R: members (the reading one included) whose replies a strongly consistent read waits for.
    pub read_quorum: u32,
    /// How long a coordinator waits for a quorum before answering `NoQuorum`.
    pub timeout: SimDuration,
    pub read_repair: bool,
    pub apply: Apply,
}

/// The MRSC Region sets: a table's three Regions must all be in one of them.
pub const MRSC_REGION_SETS: &[(&str, &[&str])] = &[
    ("US", &["us-east-1", "us-east-2", "us-west-2"]),
    ("EU", &["eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1"]),
    ("AP", &["ap-northeast-1", "ap-northeast-2", "ap-northeast-3"]),
];

/// How long an MRSC coordinator waits for the other Regions. AWS does not document it; one second
/// is an assumption (far above any in-set round trip), to be overridden by a scenario.
pub const MRSC_TIMEOUT: SimDuration = SimDuration::from_secs(1);

fn region_name(names: &[String], r: RegionId) -> Result<&str, String> {
    names
        .get(r.index())
        .map(String::as_str)
        .ok_or_else(|| format!("member Region {} is not one of the {} declared Regions", r.index(), names.len()))
}

impl QuorumConfig {
    /// Checks the configuration against the run's Region names (indexed by `RegionId`).
    pub fn validate(&self, region_names: &[String]) -> Result<(), String> {
        let n = self.members.len();
        if n == 0 {
            return Err("a quorum channel needs at least one member; found none".into());
        }
        let mut seen = BTreeSet::new();
        for m in &self.members {
            let name = region_name(region_names, m.region)?;
            if !seen.insert(m.region) {
                return Err(format!("{name} appears more than once among the members; expected each Region once"));
            }
        }
        let witnesses = self.members.iter().filter(|m| m.witness).count();
        if witnesses > n - 1 {
            return Err(format!("all {n} members are witnesses; expected at least one replica"));
        }
        for (what, q) in [("write_quorum", self.write_quorum), ("read_quorum", self.read_quorum)] {
            if q < 1 || q as usize > n {
                return Err(format!("{what} is {q}; expected 1 to {n} (the number of members)"));
            }
        }
        if self.apply == Apply::OnCommit && 2 * self.write_quorum as usize <= n {
            return Err(format!(
                "apply on_commit needs a majority write quorum so two writes of one item cannot both commit; \
                 found write_quorum {} of {n} members, expected more than {}",
                self.write_quorum,
                n / 2
            ));
        }
        if self.timeout.is_zero() {
            return Err("timeout is 0; expected a positive duration".into());
        }
        Ok(())
    }
}

/// DynamoDB MRSC over `replicas` (three, or two with a `witness`): W = 2, R = 2, votes applied on
/// commit, no read repair, [`MRSC_TIMEOUT`]. Enforces DynamoDB's rules on the Regions.
pub fn mrsc(replicas: &[RegionId], witness: Option<RegionId>, names: &[String]) -> Result<QuorumConfig, String> {
    let shape_ok = matches!((replicas.len(), witness), (3, None) | (2, Some(_)));
    if !shape_ok {
        let w = if witness.is_some() { "a witness" } else { "no witness" };
        return Err(format!(
            "MRSC needs exactly three Regions, or two plus a witness; found {} Regions and {w}",
            replicas.len()
        ));
    }
    let all: Vec<RegionId> = replicas.iter().copied().chain(witness).collect();
    let sets_listed: Vec<String> =
        MRSC_REGION_SETS.iter().map(|(set, regions)| format!("{set} {}", regions.join(", "))).collect();
    let sets_listed = sets_listed.join("; ");
    let mut first: Option<(&str, &str)> = None;
    for &r in &all {
        let name = region_name(names, r)?;
        let Some((set, _)) = MRSC_REGION_SETS.iter().find(|(_, regions)| regions.contains(&name)) else {
            return Err(format!("{name} is not in any MRSC Region set; expected one of: {sets_listed}"));
        };
        match first {
            None => first = Some((name, set)),
            Some((a, a_set)) if a_set != *set => {
                return Err(format!(
                    "{a} and {name} are in different MRSC Region sets ({a_set}, {set}); \
                     expected all three in one set: {sets_listed}"
                ));
            }
            Some(_) => {}
        }
    }
    let members = replicas
        .iter()
        .map(|&region| Member { region, witness: false })
        .chain(witness.map(|region| Member { region, witness: true }))
        .collect();
    let config = QuorumConfig {
        members,
        write_quorum: 2,
        read_quorum: 2,
        timeout: MRSC_TIMEOUT,
        read_repair: false,
        apply: Apply::OnCommit,
    };
    config.validate(names)?;
    Ok(config)
}
