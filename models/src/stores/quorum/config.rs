//! A quorum channel's configuration, validated against the scenario's Regions, and DynamoDB MRSC's
//! Region sets as one such configuration.

use std::collections::BTreeSet;

use sim_core::{Dist, SimDuration};

use crate::ids::RegionId;

/// When a member applies a replicated write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Apply {
    /// Only when its coordinator has reached the write quorum and says so (MRSC).
    OnCommit,
    /// As soon as it receives it, if it is newer (leaderless partial quorums).
    OnReceipt,
}

/// Where a client operation is coordinated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Coordinator {
    /// By the member in the Region the attempt reaches, which counts toward W and R and answers
    /// itself with no message (MRSC; a Dynamo coordinator that is a replica of the key).
    Member,
    /// By a node in the Region the attempt reaches that holds no replica of the key (a Dynamo or
    /// Cassandra coordinator that is not one of the key's replicas): every member, the one in the
    /// same Region included, gets a message and counts toward W and R; the coordinator counts
    /// toward neither. Versions are stamped with the coordinator's time (last stamp wins, as
    /// Cassandra's timestamps do). Leaderless (`Apply::OnReceipt`) channels only.
    Separate,
}

/// The one-way latency of each kind of quorum message, PBS's WARS: `write` (a write, or a read
/// repair, from the coordinator to a member), `ack` (a member's acknowledgement, or refusal, of a
/// write), `read` (a read request to a member) and `response` (a member's reply to a read). `None`
/// takes the link's latency (and no time within a Region), as every other message does.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MessageLatency {
    pub write: Option<Dist>,
    pub ack: Option<Dist>,
    pub read: Option<Dist>,
    pub response: Option<Dist>,
}

impl MessageLatency {
    /// Whether any kind has its own distribution.
    pub fn is_set(&self) -> bool {
        self.write.is_some() || self.ack.is_some() || self.read.is_some() || self.response.is_some()
    }
}

/// The staleness probe: after a committed write (a sampled `fraction` of them), a read of its item
/// at commit + t for each t of `after`, as a separate coordinator in the write's Region would issue
/// it (every member asked, the newest of the first R replies returned). Each tells whether the read
/// returned the write or a newer version (t-visibility) and whether it returned one of the last k
/// acknowledged versions as of the write, for k = 1..=`versions` (k-staleness).
#[derive(Clone, Debug, PartialEq)]
pub struct ProbeConfig {
    /// The grid of t, ascending, without repeats.
    pub after: Vec<SimDuration>,
    /// Share of committed writes probed, in (0, 1].
    pub fraction: f64,
    /// The largest k of k-staleness (at least 1).
    pub versions: u32,
}

/// One member of the channel: a Region, holding a readable replica or only a witness.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Member {
    pub region: RegionId,
    pub witness: bool,
}

/// A quorum channel's configuration.
#[derive(Clone, Debug, PartialEq)]
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
    pub coordinator: Coordinator,
    /// Per kind of message, for every member.
    pub latency: MessageLatency,
    /// Per member Region, kinds that differ from `latency` there (messages to or from it).
    pub member_latency: Vec<(RegionId, MessageLatency)>,
    pub probe: Option<ProbeConfig>,
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
        if self.coordinator == Coordinator::Separate && self.apply == Apply::OnCommit {
            return Err("coordinator \"separate\" needs apply \"on_receipt\"; found apply on_commit (an \
                        on_commit coordinator votes and commits as a member)"
                .into());
        }
        for (region, _) in &self.member_latency {
            if !self.members.iter().any(|m| m.region == *region) {
                let name = region_name(region_names, *region)?;
                return Err(format!("member_latency names {name}, which is not a member; expected one of the members"));
            }
        }
        if let Some(p) = &self.probe {
            if p.after.is_empty() || p.after.windows(2).any(|w| w[0] >= w[1]) {
                return Err("probe_after must list at least one t, ascending without repeats".into());
            }
            if !(p.fraction > 0.0 && p.fraction <= 1.0) {
                return Err(format!("probe_fraction is {}; expected more than 0 and at most 1", p.fraction));
            }
            if p.versions < 1 {
                return Err("probe_versions is 0; expected at least 1".into());
            }
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
        coordinator: Coordinator::Member,
        latency: MessageLatency::default(),
        member_latency: Vec::new(),
        probe: None,
    };
    config.validate(names)?;
    Ok(config)
}
