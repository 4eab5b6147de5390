//! A general quorum replication channel over N members in N Regions, and DynamoDB multi-Region
//! strong consistency (MRSC) as one configuration of it.
//!
//! The channel owns, per member, the committed version of every item it has seen, its vote for at
//! most one undecided write per item, and (with `Apply::OnCommit`) how many commits of each
//! coordinator it has applied; it owns the writes and strongly consistent reads it coordinates, and
//! the checker's [`Ledger`] for the store. It is sans-IO: the world hands it client operations,
//! messages and timers with `now` and carries out the [`Effect`]s it returns (messages get the
//! link's latency and the faults in force; a lost unreliable message must be handed back through
//! [`QuorumChannel::message_lost`] so the versions it carried are released).
//!
//! **Versions.** A write at a member (its coordinator) takes the member's committed version of the
//! item as its parent and the stamp `(parent's seq + 1, coordinator Region)`. Stamps are the total
//! order of versions: by sequence, then by Region. With `OnCommit` and a majority write quorum at
//! most one write per (item, seq) ever commits, so committed versions of an item form one chain.
//!
//! **Writes.** The coordinator sends `Replicate` to every other member (unreliable) and answers
//! `Written` once W members, itself and witnesses included, have it; if the `timeout` passes first
//! it answers `NoQuorum`. What a failed write leaves behind is the `apply` switch:
//! - `OnReceipt` (Dynamo/Cassandra-style leaderless quorums): each member applies a version on
//!   receipt if its stamp is newer than its own (last stamp wins). A write that timed out stays
//!   applied wherever it landed: unacknowledged but visible, as in those stores.
//! - `OnCommit` (MRSC): a member receiving `Replicate` only *votes* for it (holds it pending). The
//!   coordinator, on W votes, applies it, answers `Written` and sends `Commit`; members apply on
//!   `Commit`. A write that cannot reach W is aborted: the coordinator sends `Abort` and the
//!   votes are withdrawn, so a rejected write is never applied anywhere, is never returned by a
//!   read, and ends with no holds (the checker settles it as never acknowledged, not lost). A
//!   member refuses a `Replicate` that reaches it at or after its coordinator's deadline: the
//!   coordinator has given up on it (and an `Abort` sent then can only arrive later), so a vote
//!   can never outlive its write's `Abort`. The simulator's global time stands in for the epoch a
//!   real coordinator would carry.
//!
//! **Conflicts (`OnCommit`).** A member votes for at most one write per item: a `Replicate` for an
//! item it already holds a different vote for is answered `Conflict`, one whose seq is not above
//! its committed version is answered `Stale`. A coordinator aborts with
//! `Rejected(ReplicatedWriteConflict)` as soon as W votes have become impossible (not on the first
//! `Conflict`: with two concurrent writers the third member's vote decides, and aborting on the
//! first `Conflict` would fail both whenever the rival's answer came back first), and also when a
//! commit of the item at its write's seq or above reaches it. A write to an item for which the
//! coordinator itself holds a vote is rejected at once. Safety: since 2W > N any two write quorums
//! share a member, which votes for one write per item at a time and never for a seq at or below its
//! committed one, so two writes of one item never both commit. Both can fail: three members each
//! coordinating a write to one item at once (each votes for its own), or when the deciding vote is
//! lost or late, or when one coordinator was behind (`Stale`).
//!
//! **Reads.** An eventually consistent read returns the member's committed current version (a
//! witness serves no reads). A strongly consistent read asks *every* other member (so it succeeds
//! whenever any R members answer in time) and answers the newest reply once R replies (its own
//! included) are in, or `NoQuorum` at the timeout. With `OnCommit` a reply may show a vote for a
//! newer write whose fate the replier does not know: the read then also waits for that write's
//! coordinator, which applies a write the moment it commits; if the coordinator still shows it
//! undecided, the write cannot have been acknowledged before the read began and is ignored. With
//! R + W > N this makes a strong read return the newest write acknowledged before it began, or a
//! descendant. With `read_repair` the answer is pushed to stale repliers (and applied locally).
//!
//! **Availability and catching up (`OnCommit`).** A member that cannot reach W members rejects
//! writes and strongly consistent reads with `NoQuorum` (by timeout) and keeps serving eventually
//! consistent reads. Each coordinator numbers its commits; every message carries the sender's own
//! count. A member that learns from any message that the sender has committed more than it has
//! applied is *catching up*: it sends `SyncRequest` (its applied counts) to that sender, which
//! answers `SyncReply` with every committed item version the requester has not applied and its own
//! counts; the member applies them, takes the counts, and stops catching up when its applied count
//! of every coordinator reaches the highest it has heard of (it asks each peer once, and asks
//! again every `timeout` while behind). While catching up it rejects writes and strongly consistent reads with `CatchingUp`.
//! Correctness never rests on it (a behind member's write meets `Stale` votes, its strong reads
//! ask a quorum); it is the availability rule MRSC documents. Links are not FIFO, so a message
//! that overtakes a `Commit` from the same coordinator also makes its receiver catch up for about
//! a round trip, as a log replica that sees a gap would.
//!
//! **What a member misses is kept once, not resent message by message.** `Commit` and `Abort` are
//! sent like every other message; when the world reports one lost ([`QuorumChannel::message_lost`]:
//! the member was down, a partition cut it, a lossy link dropped it), the coordinator notes, per
//! (coordinator, member) pair, that the member has missed part of its commit log (one flag: the
//! member's own applied count is the log position) and which aborted writes it may still hold a
//! vote for (an `Abort` is not needed where the write's `Replicate` is known lost: that member
//! never voted). One `CatchUpDue` timer per pair, every `timeout` while something is missed, sends
//! a `CatchUp` carrying the aborts and the coordinator's commit count; the member withdraws those
//! votes and, learning it is behind, syncs as above. Once the path heals, the member is brought up
//! to date by one sync per coordinator, whatever the number of commits it missed, and the number of
//! messages held for the channel stays bounded by the members and the items, never by the length
//! of the outage. A `SyncReply` takes `versions / catch_up_rate` seconds to stream (the scenario's
//! `catch_up_rate`, items per second): the replier sends it when the transfer is over, and serves
//! one sync per requester at a time, so repeated requests from a member behind by a long outage do
//! not multiply the transfer.
//!
//! **Checker.** Holds on a version: the coordinator's answer (1, passed to the world in
//! `Written`), each member whose current version it is (1), each member's vote for it (1), and each
//! message that could make it current or be returned (`Replicate`, `Commit`, `Repair`, `ReadReply`,
//! each version in a `SyncReply`: 1). A `Read` answer also carries one hold, which the world
//! releases with `ledger_mut().release` after judging the read. New items start from
//! [`Ledger::genesis`], held by every member.
//!
//! **Coordinators, message latencies and the probe** (Bailis et al.'s PBS; `separate.rs`,
//! `probe.rs`). With `Coordinator::Separate` (leaderless only) a node that is not a replica
//! coordinates: every member gets the write or read request and counts toward W or R, the
//! coordinator toward neither. Each kind of message (`Replicate` and `Repair`: W; `Ack`: A;
//! `ReadRequest`: R; `ReadReply`: S) may have its own latency, per member where it differs,
//! which the world samples in place of the link's ([`QuorumChannel::message_latency`]). The
//! staleness probe reads each committed write's item at commit + t and tallies t-visibility and
//! k-staleness ([`QuorumChannel::t_visibility`]).
//!
//! **Witnesses.** A witness stores committed versions (so it can vote, take part in a read quorum
//! and serve a catch-up) but coordinates nothing: client writes and reads there get `Unavailable`.
//! **Down members** (`region_down`) lose nothing durable; the operations they coordinate are
//! aborted (`Unavailable`), and the world does not deliver to them until `region_up`.

use std::collections::{BTreeMap, BTreeSet};

use sim_core::{Histogram, SimDuration, SimTime};

use crate::ids::{Key, RegionId, StoreId, WriteId};
use crate::ledger::Ledger;
use crate::stores::channel::{AttemptRef, Effect, Rejection, StoreAnswer};

mod catch_up;
mod config;
mod probe;
mod separate;
pub use config::{
    Apply, Coordinator, MRSC_REGION_SETS, MRSC_TIMEOUT, Member, MessageLatency, ProbeConfig, QuorumConfig, mrsc,
};
pub use probe::{ProbeLinks, TVisibility, TVisibilityRow};

/// The total order of versions of an item: sequence (parent's + 1), then the coordinator Region.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stamp {
    pub seq: u64,
    pub region: RegionId,
}

impl Stamp {
    /// The item before its first write.
    pub const GENESIS: Stamp = Stamp { seq: 0, region: RegionId::from_raw(0) };
}

/// A commit's identity: its coordinator and that coordinator's commit count (from 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CommitId {
    pub origin: RegionId,
    pub seq: u64,
}

/// A version of an item as members hold and messages carry it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Versioned {
    pub write: WriteId,
    pub key: Key,
    pub stamp: Stamp,
    /// The commit that produced it (`OnCommit` only, once committed).
    pub commit: Option<CommitId>,
    /// When its coordinator took it: replication lag runs from here to each member's apply.
    pub written_at: SimTime,
}

/// A message between members. `known` is the sender's own commit count (0 with `OnReceipt`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct QuorumMessage {
    pub known: u64,
    pub body: QuorumBody,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum QuorumBody {
    /// A write, to vote for (`OnCommit`) or apply (`OnReceipt`); refused at or after `deadline`.
    Replicate {
        version: Versioned,
        deadline: SimTime,
    },
    Ack {
        write: WriteId,
    },
    /// The member holds a vote for another write of the item.
    Conflict {
        write: WriteId,
    },
    /// The member's committed version is at the write's seq or beyond.
    Stale {
        write: WriteId,
    },
    Commit {
        version: Versioned,
    },
    Abort {
        write: WriteId,
        key: Key,
    },
    ReadRequest {
        read: u64,
        key: Key,
    },
    /// The member's committed version, and the stamp of the write it votes for, if any.
    ReadReply {
        read: u64,
        current: Versioned,
        pending: Option<Stamp>,
    },
    Repair {
        version: Versioned,
    },
    /// The requester's applied commit count per member (by member index).
    SyncRequest {
        applied: Vec<u64>,
    },
    SyncReply {
        applied: Vec<u64>,
        versions: Vec<Versioned>,
    },
    /// The sender's commits or aborts did not all reach the receiver: these aborted writes' votes
    /// go, and `known` (the sender's commit count) tells the receiver whether it must sync.
    CatchUp {
        aborted: Vec<(WriteId, Key)>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum QuorumTimer {
    WriteTimeout {
        write: WriteId,
    },
    ReadTimeout {
        read: u64,
    },
    SyncRetry {
        region: RegionId,
    },
    /// `from` tells `to` what it missed of `from`'s commits and aborts.
    CatchUpDue {
        from: RegionId,
        to: RegionId,
    },
    /// `from` has streamed the catch-up `to` asked for: the `SyncReply` leaves.
    SyncStreamed {
        from: RegionId,
        to: RegionId,
    },
    /// A staleness probe's read request reaches member `member` (by index).
    ProbeArrives {
        probe: u64,
        member: usize,
    },
}

/// Items per second a member streams to another that is catching up, unless the scenario says
/// otherwise (`catch_up_rate`). An assumption: DynamoDB does not document how fast a replica that
/// was cut off resynchronises; 10 000 items/s brings back a 10 000-item table in a second.
pub const DEFAULT_CATCH_UP_RATE: u64 = 10_000;

/// What one coordinator knows another member has missed of it.
#[derive(Clone, Debug, Default)]
struct Missed {
    /// Part of its commit log (the member's applied count is where it resumes).
    log: bool,
    /// Aborted writes the member may still hold a vote for.
    aborts: BTreeMap<WriteId, Key>,
    /// A `CatchUpDue` timer is pending for the pair.
    armed: bool,
}

pub type QuorumEffect = Effect<QuorumMessage, QuorumTimer>;

/// A member's vote for an undecided write.
#[derive(Clone, Copy, Debug)]
struct Vote {
    write: WriteId,
    stamp: Stamp,
}

#[derive(Clone, Debug)]
struct MemberState {
    region: RegionId,
    witness: bool,
    down: bool,
    /// Committed (or, with `OnReceipt`, received) current versions; absent = genesis.
    items: BTreeMap<Key, Versioned>,
    /// The items whose current version came from each commit: a sync finds what a requester
    /// has not applied by ranges of commit counts, without visiting every item.
    by_commit: BTreeMap<CommitId, Key>,
    votes: BTreeMap<Key, Vote>,
    /// Per member index: commits of that coordinator applied here, contiguously from 1.
    applied: Vec<u64>,
    /// Per member index: commits applied here beyond a gap.
    ahead: Vec<BTreeSet<u64>>,
    /// Per member index: the highest commit count of that coordinator heard of.
    target: Vec<u64>,
    sync_armed: bool,
    /// Peers asked for a sync since the last retry.
    sync_asked: BTreeSet<usize>,
}

/// Who coordinates an operation: a member (by index), or a node that is not a replica, in a Region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Coord {
    Member(usize),
    Node(RegionId),
}

#[derive(Clone, Debug)]
struct WriteOp {
    coordinator: Coord,
    attempt: AttemptRef,
    version: Versioned,
    acks: u32,
    refusals: u32,
    /// Bit per member index: its `Replicate` is known lost, so it never voted (no `Abort` needed).
    /// Members are AWS Regions, fewer than 64.
    unreached: u64,
}

#[derive(Clone, Debug)]
struct ReadOp {
    coordinator: Coord,
    attempt: AttemptRef,
    /// The newest version replied so far; the read holds it. `None` until a member replies to a
    /// separate coordinator.
    best: Option<Versioned>,
    replies: u32,
    /// Per member index: the stamp it replied, if it has.
    reported: Vec<Option<Stamp>>,
    /// Votes for undecided writes seen in replies.
    pendings: Vec<Stamp>,
}

/// The channel: its members, the operations they coordinate, and the store's checker state.
#[derive(Clone, Debug)]
pub struct QuorumChannel {
    config: QuorumConfig,
    members: Vec<MemberState>,
    /// Per member: from a write's coordinator taking it to this member making it current.
    apply_lags: Vec<Histogram>,
    /// The same lags, one per apply since the world last took them: (Region, written at, lag).
    recent_lags: Vec<(RegionId, SimTime, SimDuration)>,
    writes: BTreeMap<WriteId, WriteOp>,
    reads: BTreeMap<u64, ReadOp>,
    next_read: u64,
    ledger: Ledger,
    divergent_keys: u64,
    /// Items per second of a catch-up stream.
    catch_up_rate: u64,
    /// Per (coordinator, member) pair: what the member missed of the coordinator.
    missed: BTreeMap<(usize, usize), Missed>,
    /// Per (replier, requester) pair with a `SyncReply` being streamed: the requester's applied
    /// counts, from its latest request.
    streaming: BTreeMap<(usize, usize), Vec<u64>>,
    /// Separate coordinators: the last stamp each Region's coordinator gave, so its stamps rise.
    node_clock: BTreeMap<RegionId, u64>,
    /// The staleness probe, when configured.
    probe: Option<Box<probe::Probe>>,
}

type Fx = Vec<QuorumEffect>;

impl QuorumChannel {
    /// A channel for `store`; `config` must have passed [`QuorumConfig::validate`].
    pub fn new(store: StoreId, config: QuorumConfig) -> Self {
        let n = config.members.len();
        let members = config
            .members
            .iter()
            .map(|m| MemberState {
                region: m.region,
                witness: m.witness,
                down: false,
                items: BTreeMap::new(),
                by_commit: BTreeMap::new(),
                votes: BTreeMap::new(),
                applied: vec![0; n],
                ahead: vec![BTreeSet::new(); n],
                target: vec![0; n],
                sync_armed: false,
                sync_asked: BTreeSet::new(),
            })
            .collect();
        QuorumChannel {
            ledger: Ledger::new(store, n as u32),
            config,
            members,
            apply_lags: vec![Histogram::new(); n],
            recent_lags: Vec::new(),
            writes: BTreeMap::new(),
            reads: BTreeMap::new(),
            next_read: 0,
            divergent_keys: 0,
            catch_up_rate: DEFAULT_CATCH_UP_RATE,
            missed: BTreeMap::new(),
            streaming: BTreeMap::new(),
            node_clock: BTreeMap::new(),
            probe: None,
        }
    }

    /// The rate of catch-up streams, in items per second (at least 1).
    pub fn with_catch_up_rate(mut self, items_per_second: u64) -> Self {
        self.catch_up_rate = items_per_second.max(1);
        self
    }

    /// What the channel holds for members that missed messages: one entry per (coordinator,
    /// member) pair with a part of the commit log missed, one per aborted write whose vote may
    /// outlive it, one per catch-up being streamed. Bounded by the members and the items, not by
    /// the messages lost.
    pub fn catch_up_entries(&self) -> u64 {
        let missed: usize = self.missed.values().map(|m| usize::from(m.log) + m.aborts.len()).sum();
        (missed + self.streaming.len()) as u64
    }

    pub fn config(&self) -> &QuorumConfig {
        &self.config
    }
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }
    pub fn ledger_mut(&mut self) -> &mut Ledger {
        &mut self.ledger
    }
    /// Replication lag at each member's Region: from a write's coordinator taking it to the member
    /// making it current.
    pub fn apply_lags(&self) -> impl Iterator<Item = (RegionId, &Histogram)> {
        self.members.iter().zip(&self.apply_lags).map(|(m, h)| (m.region, h))
    }

    /// The lags recorded since the last call, as (Region, written at, lag), for the world's time
    /// series of replication lag into each Region.
    pub fn take_recent_lags(&mut self) -> Vec<(RegionId, SimTime, SimDuration)> {
        std::mem::take(&mut self.recent_lags)
    }

    /// Keys whose replicas (witnesses aside) had not converged at [`QuorumChannel::finish`].
    pub fn divergent_keys(&self) -> u64 {
        self.divergent_keys
    }
    /// Whether `region`'s member is catching up (it rejects writes and strong reads).
    pub fn is_catching_up(&self, region: RegionId) -> bool {
        self.member(region).is_some_and(|m| self.behind(m))
    }
    /// The version `region`'s member holds as current for `key` (`None`: not written there).
    pub fn current_version(&self, region: RegionId, key: Key) -> Option<WriteId> {
        self.members[self.member(region)?].items.get(&key).map(|v| v.write)
    }

    fn n(&self) -> usize {
        self.members.len()
    }
    fn member(&self, region: RegionId) -> Option<usize> {
        self.members.iter().position(|m| m.region == region)
    }
    fn on_commit(&self) -> bool {
        self.config.apply == Apply::OnCommit
    }
    fn separate(&self) -> bool {
        self.config.coordinator == Coordinator::Separate
    }

    /// `m`'s current version of `key`, creating the item's genesis on first touch.
    fn current(&mut self, m: usize, key: Key) -> Versioned {
        if let Some(v) = self.members[m].items.get(&key) {
            return *v;
        }
        let write = self.ledger.genesis(key);
        Versioned { write, key, stamp: Stamp::GENESIS, commit: None, written_at: SimTime::ZERO }
    }

    fn send(&self, fx: &mut Fx, from: usize, to: usize, body: QuorumBody, reliable: bool) {
        let known = if self.on_commit() { self.members[from].applied[from] } else { 0 };
        let message = QuorumMessage { known, body };
        fx.push(Effect::Send { from: self.members[from].region, to: self.members[to].region, message, reliable });
    }

    fn reply(fx: &mut Fx, attempt: AttemptRef, answer: StoreAnswer) {
        fx.push(Effect::Reply { attempt, answer, delay: SimDuration::ZERO });
    }

    /// A client write of `key` taken by `region` as `write`.
    pub fn write(&mut self, now: SimTime, region: RegionId, key: Key, write: WriteId, attempt: AttemptRef) -> Fx {
        if self.separate() {
            return self.node_write(now, region, key, write, attempt);
        }
        let mut fx = Vec::new();
        let Some(m) = self.member(region).filter(|&m| !self.members[m].witness && !self.members[m].down) else {
            Self::reply(&mut fx, attempt, StoreAnswer::Rejected(Rejection::Unavailable));
            return fx;
        };
        if self.on_commit() {
            if self.behind(m) {
                Self::reply(&mut fx, attempt, StoreAnswer::Rejected(Rejection::CatchingUp));
                return fx;
            }
            if self.members[m].votes.contains_key(&key) {
                // The item is being modified (by this Region or one it voted for).
                Self::reply(&mut fx, attempt, StoreAnswer::Rejected(Rejection::ReplicatedWriteConflict));
                return fx;
            }
        }
        let n = self.n();
        let parent = self.current(m, key);
        let stamp = Stamp { seq: parent.stamp.seq + 1, region };
        let version = Versioned { write, key, stamp, commit: None, written_at: now };
        // Holds: the answer, the coordinator's vote (OnCommit) or current (OnReceipt), one per
        // Replicate.
        self.ledger.tree_mut().create(write, parent.write, region, 2 + (n as u32 - 1));
        if self.on_commit() {
            self.members[m].votes.insert(key, Vote { write, stamp });
        } else {
            self.set_item(m, version);
            self.ledger.release(parent.write, now);
        }
        let deadline = now.saturating_add(self.config.timeout);
        for to in (0..n).filter(|&to| to != m) {
            self.send(&mut fx, m, to, QuorumBody::Replicate { version, deadline }, false);
        }
        let op = WriteOp { coordinator: Coord::Member(m), attempt, version, acks: 1, refusals: 0, unreached: 0 };
        self.writes.insert(write, op);
        if self.config.write_quorum <= 1 {
            self.decide_write(now, write, &mut fx);
        } else {
            fx.push(Effect::Timer { delay: self.config.timeout, timer: QuorumTimer::WriteTimeout { write } });
        }
        fx
    }

    /// A client read of `key` at `region`, strongly consistent or not. A `Read` answer carries one
    /// hold on the version, for the world to release after judging the read.
    pub fn read(&mut self, now: SimTime, region: RegionId, key: Key, strong: bool, attempt: AttemptRef) -> Fx {
        if self.separate() {
            return self.node_read(now, region, key, attempt);
        }
        let mut fx = Vec::new();
        let Some(m) = self.member(region).filter(|&m| !self.members[m].witness && !self.members[m].down) else {
            Self::reply(&mut fx, attempt, StoreAnswer::Rejected(Rejection::Unavailable));
            return fx;
        };
        let current = self.current(m, key);
        if !strong {
            self.ledger.tree_mut().acquire(current.write);
            Self::reply(&mut fx, attempt, StoreAnswer::Read { version: current.write });
            return fx;
        }
        if self.on_commit() && self.behind(m) {
            Self::reply(&mut fx, attempt, StoreAnswer::Rejected(Rejection::CatchingUp));
            return fx;
        }
        self.ledger.tree_mut().acquire(current.write);
        let n = self.n();
        let mut reported = vec![None; n];
        reported[m] = Some(current.stamp);
        // The reader's own vote counts like any replier's: the write may have committed at its
        // coordinator (and been acknowledged) with the commit still on its way here. A vote for a
        // write the reader coordinates is settled at once: it is undecided as the read begins.
        let pendings = self.members[m].votes.get(&key).map(|v| v.stamp).into_iter().collect();
        let op = ReadOp { coordinator: Coord::Member(m), attempt, best: Some(current), replies: 1, reported, pendings };
        let read = self.next_read;
        self.next_read += 1;
        self.reads.insert(read, op);
        if self.config.read_quorum > 1 {
            for to in (0..n).filter(|&to| to != m) {
                self.send(&mut fx, m, to, QuorumBody::ReadRequest { read, key }, false);
            }
            fx.push(Effect::Timer { delay: self.config.timeout, timer: QuorumTimer::ReadTimeout { read } });
        }
        self.try_finish_read(now, read, &mut fx);
        fx
    }

    /// A message from `from` reaches `to`.
    pub fn on_message(&mut self, now: SimTime, from: RegionId, to: RegionId, msg: QuorumMessage) -> Fx {
        if self.separate() {
            return self.node_message(now, from, to, msg);
        }
        let mut fx = Vec::new();
        let (Some(f), Some(t)) = (self.member(from), self.member(to)) else {
            self.release_carried(now, &msg.body);
            return fx;
        };
        if self.members[t].down {
            // The world should not deliver to a down member; if it does, the message is lost.
            self.release_carried(now, &msg.body);
            return fx;
        }
        if self.on_commit() {
            // What the message itself brings counts before judging whether `t` is behind, or a
            // Commit or SyncReply would report its own sender ahead of the receiver.
            match &msg.body {
                QuorumBody::Commit { version: Versioned { commit: Some(c), .. } } => {
                    let origin = self.member(c.origin).expect("commits come from members");
                    self.record_commit(t, origin, c.seq);
                }
                QuorumBody::SyncReply { applied, .. } => self.merge_applied(t, applied),
                _ => {}
            }
            self.learn(t, f, msg.known, &mut fx);
        }
        match msg.body {
            QuorumBody::Replicate { version, deadline } => self.on_replicate(now, f, t, version, deadline, &mut fx),
            QuorumBody::Ack { write } => {
                if let Some(op) = self.writes.get_mut(&write).filter(|op| op.coordinator == Coord::Member(t)) {
                    op.acks += 1;
                    if op.acks >= self.config.write_quorum {
                        self.decide_write(now, write, &mut fx);
                    }
                }
            }
            QuorumBody::Conflict { write } | QuorumBody::Stale { write } => {
                let n = self.n() as u32;
                if let Some(op) = self.writes.get_mut(&write).filter(|op| op.coordinator == Coord::Member(t)) {
                    op.refusals += 1;
                    if n - op.refusals < self.config.write_quorum {
                        let why =
                            if self.behind(t) { Rejection::CatchingUp } else { Rejection::ReplicatedWriteConflict };
                        self.abort_write(now, write, why, &mut fx);
                    }
                }
            }
            QuorumBody::Commit { version } => self.apply_committed(now, t, version, &mut fx),
            QuorumBody::Abort { write, key } => {
                if self.members[t].votes.get(&key).is_some_and(|v| v.write == write) {
                    self.members[t].votes.remove(&key);
                    self.ledger.release(write, now);
                }
            }
            QuorumBody::ReadRequest { read, key } => {
                let current = self.current(t, key);
                self.ledger.tree_mut().acquire(current.write);
                let pending = self.members[t].votes.get(&key).map(|v| v.stamp);
                self.send(&mut fx, t, f, QuorumBody::ReadReply { read, current, pending }, false);
            }
            QuorumBody::ReadReply { read, current, pending } => {
                self.read_replied(now, Coord::Member(t), f, read, current, pending, &mut fx);
            }
            QuorumBody::Repair { version } => self.apply_any(now, t, version, &mut fx),
            QuorumBody::SyncRequest { applied } => {
                // One stream per requester at a time: a repeated request only updates where the
                // requester stands, and the reply (sent when the stream is over) answers it.
                let count = self.sync_versions(t, &applied).len() as u64;
                if self.streaming.insert((t, f), applied).is_none() {
                    let delay = SimDuration::from_nanos(count.saturating_mul(1_000_000_000) / self.catch_up_rate);
                    let timer = QuorumTimer::SyncStreamed { from: self.members[t].region, to: self.members[f].region };
                    fx.push(Effect::Timer { delay, timer });
                }
            }
            QuorumBody::SyncReply { versions, .. } => {
                self.members[t].sync_asked.remove(&f);
                for v in versions {
                    self.apply_committed(now, t, v, &mut fx);
                }
            }
            QuorumBody::CatchUp { aborted } => {
                for (write, key) in aborted {
                    if self.members[t].votes.get(&key).is_some_and(|v| v.write == write) {
                        self.members[t].votes.remove(&key);
                        self.ledger.release(write, now);
                    }
                }
            }
        }
        fx
    }

    /// Makes `version` `m`'s current version of its item, keeping the commit index in step.
    fn set_item(&mut self, m: usize, version: Versioned) {
        let s = &mut self.members[m];
        if let Some(old) = s.items.insert(version.key, version).and_then(|old| old.commit) {
            s.by_commit.remove(&old);
        }
        if let Some(c) = version.commit {
            s.by_commit.insert(c, version.key);
        }
    }

    /// A timer set by this channel fires.
    pub fn on_timer(&mut self, now: SimTime, timer: QuorumTimer) -> Fx {
        let mut fx = Vec::new();
        match timer {
            QuorumTimer::WriteTimeout { write } => {
                if self.writes.contains_key(&write) {
                    self.abort_write(now, write, Rejection::NoQuorum, &mut fx);
                }
            }
            QuorumTimer::ReadTimeout { read } => {
                if let Some(op) = self.reads.remove(&read) {
                    self.release_best(now, &op);
                    Self::reply(&mut fx, op.attempt, StoreAnswer::Rejected(Rejection::NoQuorum));
                }
            }
            QuorumTimer::SyncRetry { region } => {
                if let Some(m) = self.member(region) {
                    self.members[m].sync_armed = false;
                    self.members[m].sync_asked.clear();
                    if !self.members[m].down {
                        self.request_sync(m, None, &mut fx);
                    }
                }
            }
            QuorumTimer::CatchUpDue { from, to } => {
                let (Some(c), Some(m)) = (self.member(from), self.member(to)) else { return fx };
                let Some(missed) = self.missed.get_mut(&(c, m)) else { return fx };
                missed.armed = false;
                if self.members[c].down {
                    // Re-armed when the coordinator is back.
                    return fx;
                }
                let missed = self.missed.remove(&(c, m)).expect("looked up above");
                let aborted = missed.aborts.into_iter().collect();
                self.send(&mut fx, c, m, QuorumBody::CatchUp { aborted }, false);
            }
            QuorumTimer::SyncStreamed { from, to } => {
                let (Some(t), Some(f)) = (self.member(from), self.member(to)) else { return fx };
                let Some(applied) = self.streaming.remove(&(t, f)) else { return fx };
                if self.members[t].down {
                    // The stream broke off; the requester asks again.
                    return fx;
                }
                let versions = self.sync_versions(t, &applied);
                for v in &versions {
                    self.ledger.tree_mut().acquire(v.write);
                }
                let applied = self.members[t].applied.clone();
                self.send(&mut fx, t, f, QuorumBody::SyncReply { applied, versions }, false);
            }
            QuorumTimer::ProbeArrives { probe, member } => self.probe_arrives(now, probe, member),
        }
        fx
    }

    /// A message that can never be delivered (the run is over): the versions it carried are
    /// released.
    pub fn abandon(&mut self, now: SimTime, msg: &QuorumMessage) {
        self.release_carried(now, &msg.body);
    }

    /// `region` goes down: it keeps what it stored, but the writes and reads it coordinates are
    /// aborted (`Unavailable`; a write's votes are withdrawn by reliable `Abort`s).
    pub fn region_down(&mut self, now: SimTime, region: RegionId) -> Fx {
        let mut fx = Vec::new();
        let m = self.member(region);
        if let Some(m) = m {
            self.members[m].down = true;
        }
        // What the Region coordinates: its member's operations, or its separate coordinator's.
        let here = |c: Coord| match c {
            Coord::Member(c) => Some(c) == m,
            Coord::Node(r) => r == region,
        };
        let writes: Vec<WriteId> = self.writes.iter().filter(|(_, op)| here(op.coordinator)).map(|(&w, _)| w).collect();
        for write in writes {
            self.abort_write(now, write, Rejection::Unavailable, &mut fx);
        }
        let reads: Vec<u64> = self.reads.iter().filter(|(_, op)| here(op.coordinator)).map(|(&r, _)| r).collect();
        for read in reads {
            let op = self.reads.remove(&read).expect("listed above");
            self.release_best(now, &op);
            Self::reply(&mut fx, op.attempt, StoreAnswer::Rejected(Rejection::Unavailable));
        }
        fx
    }

    /// `region` is back; if it knows it is behind, it asks to catch up.
    pub fn region_up(&mut self, _now: SimTime, region: RegionId) -> Fx {
        let mut fx = Vec::new();
        if let Some(m) = self.member(region) {
            self.members[m].down = false;
            self.request_sync(m, None, &mut fx);
            let timeout = self.config.timeout;
            for (&(c, t), missed) in self.missed.range_mut((m, 0)..=(m, usize::MAX)) {
                if !missed.armed {
                    missed.armed = true;
                    let timer = QuorumTimer::CatchUpDue { from: region, to: self.members[t].region };
                    debug_assert_eq!(c, m);
                    fx.push(Effect::Timer { delay: timeout, timer });
                }
            }
        }
        fx
    }

    /// The end of the run: the newest-acknowledged holds go, operations still open and votes still
    /// cast let go of their versions, and divergent keys are counted.
    pub fn finish(&mut self, now: SimTime) {
        self.ledger.release_acknowledged();
        for (write, _) in std::mem::take(&mut self.writes) {
            self.ledger.release(write, now);
        }
        for (_, op) in std::mem::take(&mut self.reads) {
            self.release_best(now, &op);
        }
        for m in 0..self.n() {
            for (_, vote) in std::mem::take(&mut self.members[m].votes) {
                self.ledger.release(vote.write, now);
            }
        }
        let replicas: Vec<&MemberState> = self.members.iter().filter(|m| !m.witness).collect();
        let mut keys: Vec<Key> = replicas.iter().flat_map(|m| m.items.keys().copied()).collect();
        keys.sort_unstable();
        keys.dedup();
        let held = |m: &MemberState, k: &Key| m.items.get(k).map(|v| v.write);
        self.divergent_keys =
            keys.iter().filter(|k| replicas.windows(2).any(|w| held(w[0], k) != held(w[1], k))).count() as u64;
    }

    fn release_carried(&mut self, now: SimTime, body: &QuorumBody) {
        match body {
            QuorumBody::Replicate { version, .. } | QuorumBody::Commit { version } | QuorumBody::Repair { version } => {
                self.ledger.release(version.write, now)
            }
            QuorumBody::ReadReply { current, .. } => self.ledger.release(current.write, now),
            QuorumBody::SyncReply { versions, .. } => {
                for v in versions {
                    self.ledger.release(v.write, now);
                }
            }
            _ => {}
        }
    }

    fn on_replicate(&mut self, now: SimTime, f: usize, t: usize, version: Versioned, deadline: SimTime, fx: &mut Fx) {
        let write = version.write;
        if !self.on_commit() {
            self.apply_version(now, t, version);
            self.send(fx, t, f, QuorumBody::Ack { write }, false);
            return;
        }
        if now >= deadline {
            // Its coordinator has given up: a vote now could outlive the Abort.
            self.ledger.release(write, now);
            return;
        }
        let current = self.current(t, version.key);
        let voting = self.members[t].votes.contains_key(&version.key);
        let answer = if voting {
            QuorumBody::Conflict { write }
        } else if current.stamp.seq >= version.stamp.seq {
            QuorumBody::Stale { write }
        } else {
            // The message's hold becomes the vote's.
            self.members[t].votes.insert(version.key, Vote { write, stamp: version.stamp });
            self.send(fx, t, f, QuorumBody::Ack { write }, false);
            return;
        };
        self.ledger.release(write, now);
        self.send(fx, t, f, answer, false);
    }

    /// The write reached its quorum: it is applied at its coordinator and answered `Written`.
    fn decide_write(&mut self, now: SimTime, write: WriteId, fx: &mut Fx) {
        let op = self.writes.remove(&write).expect("an open write");
        Self::reply(fx, op.attempt, StoreAnswer::Written { write });
        self.probe_write(now, &op, fx);
        let Coord::Member(m) = op.coordinator else { return };
        if !self.on_commit() {
            return;
        }
        let key = op.version.key;
        let vote = self.members[m].votes.remove(&key);
        debug_assert!(vote.is_some_and(|v| v.write == write), "a coordinator votes for its open write");
        let old = self.current(m, key);
        debug_assert!(old.stamp < op.version.stamp, "a newer commit would have aborted the write");
        let s = &mut self.members[m];
        s.applied[m] += 1;
        s.target[m] = s.applied[m];
        let commit = Some(CommitId { origin: s.region, seq: s.applied[m] });
        let version = Versioned { commit, ..op.version };
        // The vote's hold becomes the current version's.
        self.set_item(m, version);
        self.ledger.release(old.write, now);
        for to in (0..self.n()).filter(|&to| to != m) {
            self.ledger.tree_mut().acquire(write);
            self.send(fx, m, to, QuorumBody::Commit { version }, false);
        }
    }

    /// The write cannot reach its quorum (or its coordinator went down): rejected with `why`.
    fn abort_write(&mut self, now: SimTime, write: WriteId, why: Rejection, fx: &mut Fx) {
        let Some(op) = self.writes.remove(&write) else { return };
        let key = op.version.key;
        self.ledger.release(write, now); // the answer's hold: a rejection carries none
        Self::reply(fx, op.attempt, StoreAnswer::Rejected(why));
        let (true, Coord::Member(m)) = (self.on_commit(), op.coordinator) else {
            // Leaderless: the write stays applied wherever it landed.
            return;
        };
        if self.members[m].votes.get(&key).is_some_and(|v| v.write == write) {
            self.members[m].votes.remove(&key);
            self.ledger.release(write, now);
        }
        // A member whose Replicate was lost never voted: it needs no Abort.
        for to in (0..self.n()).filter(|&to| to != m && op.unreached & (1 << to) == 0) {
            self.send(fx, m, to, QuorumBody::Abort { write, key }, false);
        }
    }

    /// `version` (carrying one hold) reaches `m`: current if its stamp is newer.
    fn apply_version(&mut self, now: SimTime, m: usize, version: Versioned) {
        let current = self.current(m, version.key);
        if version.stamp > current.stamp {
            let lag = now.saturating_since(version.written_at);
            self.apply_lags[m].record(lag.as_nanos());
            self.recent_lags.push((self.members[m].region, version.written_at, lag));
            self.set_item(m, version);
            self.ledger.release(current.write, now);
        } else {
            self.ledger.release(version.write, now);
        }
    }

    /// A committed `version` (carrying one hold) reaches `m`. A vote for a write at its seq or below
    /// is settled: that write either is this one, or can no longer commit (so if `m` coordinates
    /// it, it is aborted).
    fn apply_committed(&mut self, now: SimTime, m: usize, version: Versioned, fx: &mut Fx) {
        if let Some(vote) = self.members[m].votes.get(&version.key).copied()
            && vote.stamp.seq <= version.stamp.seq
        {
            let own = self.writes.get(&vote.write).is_some_and(|op| op.coordinator == Coord::Member(m));
            if own && vote.write != version.write {
                self.abort_write(now, vote.write, Rejection::ReplicatedWriteConflict, fx);
            } else {
                self.members[m].votes.remove(&version.key);
                self.ledger.release(vote.write, now);
            }
        }
        self.apply_version(now, m, version);
    }

    fn apply_any(&mut self, now: SimTime, m: usize, version: Versioned, fx: &mut Fx) {
        if self.on_commit() {
            self.apply_committed(now, m, version, fx);
        } else {
            self.apply_version(now, m, version);
        }
    }

    /// A member's reply to read `read`, coordinated by `coordinator`, from member `f`.
    #[allow(clippy::too_many_arguments)]
    fn read_replied(
        &mut self,
        now: SimTime,
        coordinator: Coord,
        f: usize,
        read: u64,
        current: Versioned,
        pending: Option<Stamp>,
        fx: &mut Fx,
    ) {
        let Some(op) = self.reads.get_mut(&read).filter(|op| op.coordinator == coordinator && op.reported[f].is_none())
        else {
            self.ledger.release(current.write, now);
            return;
        };
        op.reported[f] = Some(current.stamp);
        op.replies += 1;
        op.pendings.extend(pending);
        match op.best {
            Some(best) if current.stamp <= best.stamp => self.ledger.release(current.write, now),
            Some(best) => {
                op.best = Some(current);
                self.ledger.release(best.write, now);
            }
            None => op.best = Some(current),
        }
        self.try_finish_read(now, read, fx);
    }

    fn release_best(&mut self, now: SimTime, op: &ReadOp) {
        if let Some(best) = op.best {
            self.ledger.release(best.write, now);
        }
    }

    /// Answers the read if it has R replies and every vote it saw for a write newer than its best
    /// answer has been settled by that write's coordinator replying.
    fn try_finish_read(&mut self, now: SimTime, read: u64, fx: &mut Fx) {
        let op = &self.reads[&read];
        if op.replies < self.config.read_quorum {
            return;
        }
        let Some(best) = op.best else { return };
        let unsettled = op
            .pendings
            .iter()
            .any(|p| p.seq > best.stamp.seq && self.member(p.region).is_some_and(|c| op.reported[c].is_none()));
        if unsettled {
            return;
        }
        let op = self.reads.remove(&read).expect("checked above");
        // The read's hold on its answer goes with the answer.
        Self::reply(fx, op.attempt, StoreAnswer::Read { version: best.write });
        if !self.config.read_repair {
            return;
        }
        for (f, reported) in op.reported.iter().enumerate() {
            let Some(stamp) = reported else { continue };
            if *stamp >= best.stamp {
                continue;
            }
            self.ledger.tree_mut().acquire(best.write);
            match op.coordinator {
                Coord::Member(m) if m == f => self.apply_any(now, f, best, fx),
                Coord::Member(m) => self.send(fx, m, f, QuorumBody::Repair { version: best }, false),
                Coord::Node(region) => {
                    self.send_region(fx, region, self.members[f].region, QuorumBody::Repair { version: best })
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
