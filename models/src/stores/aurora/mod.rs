//! An Aurora Global Database as a replication channel: one writer cluster, up to ten secondary
//! clusters in other Regions, storage-level replication, write forwarding, switchover, failover with
//! allow-data-loss, `rds.global_db_rpo`, headless secondaries and the global writer endpoint.
//!
//! The channel owns every cluster's state (the current version of each item, the log position it
//! has applied, the records it holds out of order), the writer's log of records not yet applied
//! everywhere, the transition in progress and the checker's [`Ledger`]. It guarantees that every
//! version it creates is held (see [`crate::checker`]) exactly while something can still make it
//! the final one: the answer on its way (1), each cluster holding it as current (1 each), each
//! replication record in flight or buffered (1 each); and that writes a failover discards are
//! released with [`LossCause::Failover`]. Sans-IO: the world carries out the [`Effect`]s.
//!
//! Modelling choices, where the service leaves room:
//!
//! - **Commit.** A write accepted by the writer commits after `commit_latency` (a timer); only then
//!   does it get its log sequence number (LSN) and its version, whose parent is the writer's
//!   current version of the item, and is it answered `Written`.
//! - **Replication.** Storage-level replication ships the redo log. Towards each secondary the
//!   writer's storage has one pipeline (see `pipeline`): with the default [`Replication::OrderedLog`]
//!   and a service time it is a single FIFO server that takes the records in log (LSN) order, so a
//!   write burst above its capacity builds a backlog, and lag, that drains afterwards; with no
//!   service time set (AWS publishes no capacity), or with [`Replication::Independent`], a record
//!   leaves at commit. A record that leaves waits its own sample of `replication_lag` (the
//!   pipeline's transit delay), then ships as a reliable `Replicate` message, and the world adds the
//!   network on top. Transit and network can reorder records; a secondary applies them in LSN order
//!   and buffers the rest, so the lag a secondary shows includes head-of-line waiting. A record due
//!   to ship while the writer's Region is down waits and ships when it is back, and the pipeline
//!   does not start serving a record of a Region that is down. A `replication_impairment` slowdown
//!   multiplies the pipeline's service and transit times, never the network's.
//! - **What a failover keeps.** Storage replication makes a record durable in the secondary's
//!   volume when it arrives; at promotion the secondary applies everything that reached it, in LSN
//!   order, skipping records that never came. So exactly the records not shipped when the failover
//!   began (plus writes the old writer took afterwards) are lost, as DESIGN.md and oracle 3 define
//!   RPO. Real Aurora recovers its volume to a consistent point, which would also drop the records
//!   after the first hole; that would lose more and is not modelled.
//! - **Switchover.** The writer stops taking writes (new and uncommitted ones are rejected
//!   `WriterUnavailable`), the target applies everything committed, then after the fixed
//!   `switchover_promotion` it is the writer. RPO 0; the outage is sync time + promotion delay. The
//!   log positions carry on, so records still in flight from the old writer apply everywhere.
//! - **Failover.** At its start the global database is detached: the old writer ships nothing more
//!   (records due later, or still in a pipeline, are lost), and is fenced at once (`fence_gap: None`) or after `fence_gap`,
//!   during which, if its Region is up, it keeps committing locally (split brain; those writes are
//!   lost too). Records already shipped keep applying until the promotion, `failover_promotion`
//!   later (after `instance_creation` first if the target is headless). Then every other cluster
//!   adopts the new writer's state (Aurora re-syncs them): what they held beyond it is released as
//!   lost to the failover, and the old writer does the same when its fence gap ends. Messages of
//!   the old topology arriving later are dropped. The LSN count continues from the new writer's.
//! - **Reachability.** The channel knows Region outages (`region_down`/`region_up`); partitions are
//!   the world's, seen only as messages that do not arrive.
//! - **Write forwarding.** A `Forward` message (unreliable: a lost one times the client out) is
//!   committed by whoever the secondary believes is the writer, and answered with a reliable
//!   `ForwardAck` carrying the answer's hold. Reads follow `consistency` on secondaries only:
//!   SESSION waits for the session's last forwarded LSN, GLOBAL asks the writer its commit LSN (an
//!   unreliable round trip) and waits for it. Waiting reads are answered when the condition holds;
//!   the world's timeout makes them moot and [`AuroraChannel::abandon_attempt`] forgets them.
//! - **rds.global_db_rpo.** A commit due while no secondary's RPO lag (time since the oldest record
//!   committed and not applied there) is within the bound waits in a FIFO queue, and so does every
//!   later one; the queue commits when a secondary applies enough. The lag only falls when a record
//!   applies, so that is the only moment to look.
//! - **Headless secondaries** receive storage replication but cannot serve reads or writes and
//!   cannot be promoted until `add_instance` (a control-plane call) completes.
//! - **Writer endpoint** follows the writer `endpoint_update_delay` after a promotion.
//! - **RPO and RTO.** Each transition gets a [`TransitionReport`]: the writes lost (committed and
//!   never received by the new writer, counted per write whether or not a later write of the same
//!   item survived, so it can exceed the checker's lost count), the oldest one's commit time, the
//!   promotion, and the first write the new writer accepted.
//!
//! Limits: a statement writes one item (no multi-statement transactions); the writer's log keeps
//! every record until all secondaries have applied it, so a secondary down for long costs memory
//! in proportion to the writes meanwhile; a failover during a switchover, or a second one before
//! the first promotes, is refused rather than modelled.

use std::collections::{BTreeMap, VecDeque};

use sim_core::{Histogram, LookupMap, Seed, SimDuration, SimTime, Stream};

use crate::checker::LossCause;
use crate::ids::{Key, RegionId, StoreId, WriteId};
use crate::ledger::Ledger;
use crate::stores::channel::{AttemptRef, Effect, Rejection, StoreAnswer};

mod config;
mod pipeline;
mod transitions;
pub use config::{
    AuroraConfig, DEFAULT_COMMIT_LATENCY_MEDIAN, DEFAULT_ENDPOINT_UPDATE_DELAY, DEFAULT_FAILOVER_PROMOTION,
    DEFAULT_INSTANCE_CREATION, DEFAULT_REPLICATION_LAG_MEDIAN, DEFAULT_SWITCHOVER_PROMOTION, MAX_SECONDARIES,
    RPO_BOUND_MAX, RPO_BOUND_MIN, ReadConsistency, Replication, Secondary,
};
use pipeline::Pipeline;

/// One committed write in the writer's log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Record {
    pub lsn: u64,
    pub write: WriteId,
    pub key: Key,
    pub committed_at: SimTime,
    /// The Region of the cluster that committed it (whose storage pipeline ships it).
    pub region: RegionId,
}

/// A client write on its way to a commit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PendingWrite {
    pub attempt: AttemptRef,
    pub key: Key,
    pub write: WriteId,
    pub session: u64,
    /// The secondary that forwarded it; None: the client wrote to the writer directly.
    pub origin: Option<RegionId>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AuroraMessage {
    /// Storage replication of one record; `epoch` names the replication topology it belongs to.
    Replicate {
        record: Record,
        epoch: u64,
    },
    /// A forwarded write statement, secondary to writer.
    Forward {
        write: PendingWrite,
    },
    /// The writer committed a forwarded write (`lsn` 0: outside the replicated log); carries the
    /// answer's hold.
    ForwardAck {
        attempt: AttemptRef,
        write: WriteId,
        lsn: u64,
        session: u64,
        epoch: u64,
    },
    /// The writer refused a forwarded write.
    ForwardReject {
        attempt: AttemptRef,
        rejection: Rejection,
    },
    /// A GLOBAL read asks the writer its commit LSN.
    LsnRequest {
        attempt: AttemptRef,
    },
    LsnReply {
        attempt: AttemptRef,
        lsn: u64,
        epoch: u64,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AuroraTimer {
    Commit {
        region: RegionId,
        write: PendingWrite,
    },
    /// The storage pipeline of `record.region` is due to ship `record` to `to`.
    Ship {
        record: Record,
        to: RegionId,
        epoch: u64,
    },
    Promote {
        serial: u64,
    },
    /// The old writer's fence gap ended after the promotion: it re-syncs as a secondary.
    FenceEnd {
        serial: u64,
    },
    EndpointUpdate {
        target: RegionId,
    },
    InstanceReady {
        region: RegionId,
    },
    /// The ordered log's pipeline towards `to` finished serving the record at its head. (Last, so
    /// the trace hashes of runs without it keep their values.)
    Served {
        to: RegionId,
        epoch: u64,
    },
}

pub type AuroraEffect = Effect<AuroraMessage, AuroraTimer>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransitionKind {
    Switchover,
    Failover,
}

/// RPO and RTO of one switchover or failover.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransitionReport {
    pub kind: TransitionKind,
    pub from: RegionId,
    pub to: RegionId,
    pub started_at: SimTime,
    /// When the new writer started taking writes.
    pub promoted_at: Option<SimTime>,
    /// The first write the new writer accepted.
    pub first_write_at: Option<SimTime>,
    /// RPO in writes: committed writes the new writer never received (unshipped at detachment, or
    /// taken by the old writer during its fence gap).
    pub lost_writes: u64,
    pub oldest_lost_committed_at: Option<SimTime>,
    /// The newest write the transition threw away (committed by the old writer).
    pub newest_lost_committed_at: Option<SimTime>,
    /// The newest write the new writer kept: the recovered state reaches back to it.
    pub last_kept_committed_at: Option<SimTime>,
}

impl TransitionReport {
    /// A transition from `from` to `to` that started at `now`, nothing of it known yet.
    pub fn started(kind: TransitionKind, from: RegionId, to: RegionId, now: SimTime) -> Self {
        TransitionReport {
            kind,
            from,
            to,
            started_at: now,
            promoted_at: None,
            first_write_at: None,
            lost_writes: 0,
            oldest_lost_committed_at: None,
            newest_lost_committed_at: None,
            last_kept_committed_at: None,
        }
    }

    /// Write unavailability: from the start to the first write the new writer accepted.
    pub fn rto(&self) -> Option<SimDuration> {
        self.first_write_at.map(|t| t.saturating_since(self.started_at))
    }
    /// The write outage: from the start to the promotion.
    pub fn outage(&self) -> Option<SimDuration> {
        self.promoted_at.map(|t| t.saturating_since(self.started_at))
    }
    /// RPO in time: the age of the oldest lost write at the promotion (zero if none was lost).
    /// RPO in time: the window of writes the transition threw away, from the newest write thrown
    /// away back to the newest write kept, or to the oldest write thrown away if that is earlier
    /// (records arrive out of order, so a lost write can predate a kept one). Zero when nothing
    /// was lost.
    pub fn rpo_time(&self) -> Option<SimDuration> {
        self.promoted_at?;
        let Some(newest) = self.newest_lost_committed_at else { return Some(SimDuration::ZERO) };
        let from = match (self.last_kept_committed_at, self.oldest_lost_committed_at) {
            (Some(kept), Some(oldest)) => kept.min(oldest),
            (kept, oldest) => kept.or(oldest).unwrap_or(newest),
        };
        Some(newest.saturating_since(from))
    }
}

/// One secondary's lag now, as the CloudWatch metrics define it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SecondaryLag {
    pub region: RegionId,
    /// AuroraGlobalDBReplicationLag: commit to apply of the last record applied here.
    pub replication_lag: SimDuration,
    /// AuroraGlobalDBRPOLag: how long ago the oldest record not yet applied here was committed.
    pub rpo_lag: SimDuration,
}

#[derive(Clone, Copy, Debug)]
struct WaitingRead {
    attempt: AttemptRef,
    key: Key,
    /// The LSN to wait for; None: a GLOBAL read still waiting for the writer's answer.
    lsn: Option<u64>,
}

#[derive(Clone, Debug)]
struct Cluster {
    region: RegionId,
    headless: bool,
    creating_instance: bool,
    up: bool,
    /// The current version of every item it has a version of other than genesis (each a hold).
    /// Looked up only; the end of the run and a resync visit them sorted by key.
    items: LookupMap<Key, WriteId>,
    /// Every record up to this LSN is applied (for the writer: committed).
    applied_lsn: u64,
    /// When the newest record it applied (or committed) was committed.
    applied_committed_at: Option<SimTime>,
    /// Records arrived ahead of a missing one (each a hold).
    buffer: BTreeMap<u64, Record>,
    /// Per session: the LSN of its last forwarded write.
    sessions: BTreeMap<u64, u64>,
    waiting: Vec<WaitingRead>,
    last_apply_lag: SimDuration,
    apply_lags: Histogram,
}

#[derive(Clone, Copy, Debug)]
enum Transition {
    Switchover { serial: u64, target: usize, sync_lsn: u64, promoting: bool },
    Failover { serial: u64, target: usize, awaiting_instance: bool },
}

/// The old writer after a failover began: it takes writes until `until` if its Region is up.
#[derive(Clone, Copy, Debug)]
struct Fenced {
    cluster: usize,
    until: SimTime,
    serial: u64,
}

enum Gate {
    Commit,
    Forward,
    Reject(Rejection),
    Down,
}

pub struct AuroraChannel {
    config: AuroraConfig,
    clusters: Vec<Cluster>,
    writer: usize,
    endpoint: RegionId,
    /// The replication topology: bumped when a failover detaches the secondaries. Ships of an older
    /// epoch do not leave; messages older than `min_epoch` are dropped.
    epoch: u64,
    min_epoch: u64,
    commit_lsn: u64,
    /// Records not yet applied by every secondary (for lags and failover losses).
    log: BTreeMap<u64, Record>,
    /// Ships that came due while their Region was down, with their destination.
    parked: Vec<(Record, RegionId)>,
    /// Per cluster (as `clusters`): the storage pipeline of records on their way to it.
    pipelines: Vec<Pipeline>,
    /// Slowdowns of the storage pipeline out of a Region (a replication_impairment), where not 1.
    slowdown: BTreeMap<RegionId, f64>,
    /// Commits held by rds.global_db_rpo, in arrival order.
    blocked: VecDeque<(usize, PendingWrite)>,
    transition: Option<Transition>,
    serial: u64,
    fenced: Option<Fenced>,
    reports: Vec<TransitionReport>,
    /// Apply lags since the world last took them: (Region, committed at, lag).
    recent_lags: Vec<(RegionId, SimTime, SimDuration)>,
    ledger: Ledger,
    commit_stream: Stream,
    lag_stream: Stream,
    service_stream: Stream,
    control_stream: Stream,
}

fn reply(attempt: AttemptRef, answer: StoreAnswer) -> AuroraEffect {
    Effect::Reply { attempt, answer, delay: SimDuration::ZERO }
}

impl AuroraChannel {
    /// A global database as `config` (validated) describes it, its draws from streams of `seed`
    /// named after the store.
    pub fn new(id: StoreId, config: AuroraConfig, seed: Seed) -> Self {
        let cluster = |region, headless| Cluster {
            region,
            headless,
            creating_instance: false,
            up: true,
            items: LookupMap::new(),
            applied_lsn: 0,
            applied_committed_at: None,
            buffer: BTreeMap::new(),
            sessions: BTreeMap::new(),
            waiting: Vec::new(),
            last_apply_lag: SimDuration::ZERO,
            apply_lags: Histogram::new(),
        };
        let mut clusters = vec![cluster(config.writer, false)];
        clusters.extend(config.secondaries.iter().map(|s| cluster(s.region, s.headless)));
        let stream = |purpose: &str| seed.stream(&format!("aurora/{}/{purpose}", id.index()));
        AuroraChannel {
            endpoint: config.writer,
            ledger: Ledger::new(id, clusters.len() as u32),
            writer: 0,
            epoch: 0,
            min_epoch: 0,
            commit_lsn: 0,
            log: BTreeMap::new(),
            parked: Vec::new(),
            pipelines: vec![Pipeline::default(); clusters.len()],
            slowdown: BTreeMap::new(),
            blocked: VecDeque::new(),
            transition: None,
            serial: 0,
            fenced: None,
            reports: Vec::new(),
            recent_lags: Vec::new(),
            commit_stream: stream("commit"),
            lag_stream: stream("lag"),
            service_stream: stream("log service"),
            clusters,
            control_stream: stream("control"),
            config,
        }
    }

    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }
    pub fn ledger_mut(&mut self) -> &mut Ledger {
        &mut self.ledger
    }
    /// The Region of the writer cluster (the old one until a promotion completes).
    pub fn writer(&self) -> RegionId {
        self.clusters[self.writer].region
    }
    /// Where the global writer endpoint name leads now.
    /// How many Regions the world has (Region ids run below it).
    pub fn regions(&self) -> usize {
        self.clusters.iter().map(|c| c.region.index() + 1).max().unwrap_or(0)
    }

    /// Whether secondaries forward writes to the writer (write forwarding is on).
    pub fn forwards_writes(&self) -> bool {
        self.config.write_forwarding.is_some()
    }

    pub fn writer_endpoint_target(&self) -> RegionId {
        self.endpoint
    }
    pub fn transitions(&self) -> &[TransitionReport] {
        &self.reports
    }
    /// The applied version of `key` in `region`'s cluster, if it has a cluster (for tests and the
    /// end-of-run report).
    pub fn version_at(&mut self, region: RegionId, key: Key) -> Option<WriteId> {
        let c = self.cluster(region)?;
        Some(self.current(c, key))
    }

    /// Every secondary's lag at `now`, for the time series.
    pub fn lags(&self, now: SimTime) -> Vec<SecondaryLag> {
        (0..self.clusters.len())
            .filter(|&c| c != self.writer)
            .map(|c| SecondaryLag {
                region: self.clusters[c].region,
                replication_lag: self.clusters[c].last_apply_lag,
                rpo_lag: self.rpo_lag(c, now),
            })
            .collect()
    }

    /// Commit-to-apply delay of every record applied in `region`, in nanoseconds, for percentiles.
    pub fn apply_lags(&self, region: RegionId) -> Option<&Histogram> {
        self.cluster(region).map(|c| &self.clusters[c].apply_lags)
    }

    fn cluster(&self, region: RegionId) -> Option<usize> {
        self.clusters.iter().position(|c| c.region == region)
    }

    /// `c`'s current version of `key`: genesis until it has another.
    fn current(&mut self, c: usize, key: Key) -> WriteId {
        match self.clusters[c].items.get(&key) {
            Some(&w) => w,
            None => self.ledger.genesis(key),
        }
    }

    fn rpo_lag(&self, c: usize, now: SimTime) -> SimDuration {
        match self.log.get(&(self.clusters[c].applied_lsn + 1)) {
            Some(r) => now.saturating_since(r.committed_at),
            None => SimDuration::ZERO,
        }
    }

    /// rds.global_db_rpo: no secondary is within the bound.
    fn rpo_blocked(&self, now: SimTime) -> bool {
        let Some(bound) = self.config.rpo_bound else { return false };
        let mut secondaries = (0..self.clusters.len()).filter(|&c| c != self.writer).peekable();
        secondaries.peek().is_some() && secondaries.all(|c| self.rpo_lag(c, now) > bound)
    }

    fn gate(&self, now: SimTime, c: usize) -> Gate {
        let cl = &self.clusters[c];
        if !cl.up {
            return Gate::Down;
        }
        if let Some(f) = self.fenced
            && f.cluster == c
        {
            return if now < f.until {
                Gate::Commit
            } else if c == self.writer {
                Gate::Reject(Rejection::WriterUnavailable)
            } else {
                Gate::Reject(Rejection::ReadOnly)
            };
        }
        if c == self.writer {
            return if self.transition.is_some() { Gate::Reject(Rejection::WriterUnavailable) } else { Gate::Commit };
        }
        if cl.headless {
            Gate::Reject(Rejection::Unavailable)
        } else if self.config.write_forwarding.is_some() {
            Gate::Forward
        } else {
            Gate::Reject(Rejection::ReadOnly)
        }
    }

    /// A client write at `region`'s cluster (directly, or through the writer endpoint).
    pub fn write(
        &mut self,
        now: SimTime,
        region: RegionId,
        key: Key,
        write: WriteId,
        session: u64,
        attempt: AttemptRef,
    ) -> Vec<AuroraEffect> {
        let Some(c) = self.cluster(region) else {
            return vec![reply(attempt, StoreAnswer::Rejected(Rejection::Unavailable))];
        };
        self.accept(now, c, PendingWrite { attempt, key, write, session, origin: None })
    }

    fn accept(&mut self, now: SimTime, c: usize, p: PendingWrite) -> Vec<AuroraEffect> {
        let region = self.clusters[c].region;
        match self.gate(now, c) {
            Gate::Commit => {
                if let Some(last) = self.reports.last_mut()
                    && c == self.writer
                    && last.promoted_at.is_some()
                    && last.first_write_at.is_none()
                {
                    last.first_write_at = Some(now);
                }
                let delay = self.config.commit_latency.sample_duration(&mut self.commit_stream);
                vec![Effect::Timer { delay, timer: AuroraTimer::Commit { region, write: p } }]
            }
            Gate::Forward if p.origin.is_none() => {
                let write = PendingWrite { origin: Some(region), ..p };
                let to = self.clusters[self.writer].region;
                vec![Effect::Send { from: region, to, message: AuroraMessage::Forward { write }, reliable: false }]
            }
            // A forwarded statement reached a cluster that is no longer the writer.
            Gate::Forward => self.refuse(c, p, Rejection::WriterUnavailable),
            Gate::Reject(r) => self.refuse(c, p, r),
            Gate::Down if p.origin.is_none() => vec![reply(p.attempt, StoreAnswer::Rejected(Rejection::Unavailable))],
            Gate::Down => Vec::new(),
        }
    }

    fn refuse(&self, c: usize, p: PendingWrite, rejection: Rejection) -> Vec<AuroraEffect> {
        match p.origin {
            None => vec![reply(p.attempt, StoreAnswer::Rejected(rejection))],
            Some(origin) => vec![Effect::Send {
                from: self.clusters[c].region,
                to: origin,
                message: AuroraMessage::ForwardReject { attempt: p.attempt, rejection },
                reliable: false,
            }],
        }
    }

    fn answer_written(&self, c: usize, p: PendingWrite, lsn: u64) -> AuroraEffect {
        match p.origin {
            None => reply(p.attempt, StoreAnswer::Written { write: p.write }),
            Some(origin) => Effect::Send {
                from: self.clusters[c].region,
                to: origin,
                message: AuroraMessage::ForwardAck {
                    attempt: p.attempt,
                    write: p.write,
                    lsn,
                    session: p.session,
                    epoch: self.epoch,
                },
                // The answer's hold rides on it, so the world delivers it or abandons it.
                reliable: true,
            },
        }
    }

    /// A commit on the writer: a version, a log record, a ship per secondary, the answer.
    fn commit(&mut self, now: SimTime, c: usize, p: PendingWrite) -> Vec<AuroraEffect> {
        self.commit_lsn += 1;
        let lsn = self.commit_lsn;
        let region = self.clusters[c].region;
        let parent = self.current(c, p.key);
        let others: Vec<usize> = (0..self.clusters.len()).filter(|&o| o != c).collect();
        // Holds: the answer, this cluster, one ship per other cluster.
        self.ledger.tree_mut().create(p.write, parent, region, 2 + others.len() as u32);
        self.ledger.release(parent, now);
        self.clusters[c].items.insert(p.key, p.write);
        self.clusters[c].applied_lsn = lsn;
        self.clusters[c].applied_committed_at = Some(now);
        let record = Record { lsn, write: p.write, key: p.key, committed_at: now, region };
        self.log.insert(lsn, record);
        let mut effects = Vec::new();
        for o in others {
            effects.extend(self.enqueue(record, o));
        }
        effects.push(self.answer_written(c, p, lsn));
        effects
    }

    /// A commit by a fenced-too-late old writer: kept locally, never shipped, lost at re-sync.
    fn commit_fenced(&mut self, now: SimTime, c: usize, p: PendingWrite) -> Vec<AuroraEffect> {
        let parent = self.current(c, p.key);
        self.ledger.tree_mut().create(p.write, parent, self.clusters[c].region, 2);
        self.ledger.release(parent, now);
        self.clusters[c].items.insert(p.key, p.write);
        if let Some(report) = self.reports.last_mut() {
            report.lost_writes += 1;
            report.oldest_lost_committed_at = Some(report.oldest_lost_committed_at.map_or(now, |o| o.min(now)));
            report.newest_lost_committed_at = Some(report.newest_lost_committed_at.map_or(now, |o| o.max(now)));
        }
        vec![self.answer_written(c, p, 0)]
    }

    /// A client read at `region`'s cluster.
    pub fn read(
        &mut self,
        now: SimTime,
        region: RegionId,
        key: Key,
        session: u64,
        attempt: AttemptRef,
    ) -> Vec<AuroraEffect> {
        let _ = now;
        let Some(c) = self.cluster(region) else {
            return vec![reply(attempt, StoreAnswer::Rejected(Rejection::Unavailable))];
        };
        if !self.clusters[c].up || self.clusters[c].headless {
            return vec![reply(attempt, StoreAnswer::Rejected(Rejection::Unavailable))];
        }
        let is_secondary = c != self.writer && self.fenced.is_none_or(|f| f.cluster != c);
        match self.config.write_forwarding {
            Some(ReadConsistency::Session) if is_secondary => {
                let need = self.clusters[c].sessions.get(&session).copied().unwrap_or(0);
                if need > self.clusters[c].applied_lsn {
                    self.clusters[c].waiting.push(WaitingRead { attempt, key, lsn: Some(need) });
                    return Vec::new();
                }
            }
            Some(ReadConsistency::Global) if is_secondary => {
                self.clusters[c].waiting.push(WaitingRead { attempt, key, lsn: None });
                let to = self.clusters[self.writer].region;
                let message = AuroraMessage::LsnRequest { attempt };
                return vec![Effect::Send { from: region, to, message, reliable: false }];
            }
            _ => {}
        }
        vec![reply(attempt, StoreAnswer::Read { version: self.current(c, key) })]
    }

    pub fn on_message(&mut self, now: SimTime, from: RegionId, to: RegionId, msg: AuroraMessage) -> Vec<AuroraEffect> {
        let Some(t) = self.cluster(to) else { return Vec::new() };
        match msg {
            AuroraMessage::Replicate { record, epoch } => self.on_replicate(now, t, record, epoch),
            AuroraMessage::Forward { write } => self.accept(now, t, write),
            AuroraMessage::ForwardAck { attempt, write, lsn, session, epoch } => {
                if epoch == self.epoch && lsn > 0 {
                    let last = self.clusters[t].sessions.entry(session).or_insert(0);
                    *last = (*last).max(lsn);
                }
                vec![reply(attempt, StoreAnswer::Written { write })]
            }
            AuroraMessage::ForwardReject { attempt, rejection } => {
                vec![reply(attempt, StoreAnswer::Rejected(rejection))]
            }
            AuroraMessage::LsnRequest { attempt } => {
                if !self.clusters[t].up {
                    return Vec::new();
                }
                let message = AuroraMessage::LsnReply { attempt, lsn: self.commit_lsn, epoch: self.epoch };
                vec![Effect::Send { from: to, to: from, message, reliable: false }]
            }
            AuroraMessage::LsnReply { attempt, lsn, epoch } => {
                // An answer from before a failover counts positions the new writer does not have:
                // the read waits for nothing more than what is applied.
                let lsn = if epoch == self.epoch { lsn } else { 0 };
                if let Some(w) = self.clusters[t].waiting.iter_mut().find(|w| w.attempt == attempt && w.lsn.is_none()) {
                    w.lsn = Some(lsn);
                }
                self.wake(t)
            }
        }
    }

    fn on_replicate(&mut self, now: SimTime, t: usize, record: Record, epoch: u64) -> Vec<AuroraEffect> {
        if epoch < self.min_epoch {
            // Shipped by a writer a failover replaced: the new writer's state decides.
            self.ledger.release_as(record.write, now, LossCause::Failover);
            return Vec::new();
        }
        let cl = &self.clusters[t];
        let fenced = self.fenced.is_some_and(|f| f.cluster == t);
        if fenced || t == self.writer || record.lsn <= cl.applied_lsn || cl.buffer.contains_key(&record.lsn) {
            // Already there (a switchover's new writer), or a cluster about to re-sync.
            self.ledger.release(record.write, now);
            return Vec::new();
        }
        self.clusters[t].buffer.insert(record.lsn, record);
        let mut applied = false;
        loop {
            let next = self.clusters[t].applied_lsn + 1;
            let Some(r) = self.clusters[t].buffer.remove(&next) else { break };
            self.apply(now, t, r, LossCause::LastWriterWins);
            applied = true;
        }
        if applied { self.after_apply(now, t) } else { Vec::new() }
    }

    /// `c` applies `r`: the record's hold becomes the cluster's; the version it replaces (an
    /// ancestor, since records apply in order) loses the cluster's hold.
    fn apply(&mut self, now: SimTime, c: usize, r: Record, cause: LossCause) {
        let old = self.current(c, r.key);
        self.clusters[c].items.insert(r.key, r.write);
        self.ledger.release_as(old, now, cause);
        let cl = &mut self.clusters[c];
        cl.applied_lsn = cl.applied_lsn.max(r.lsn);
        cl.applied_committed_at = Some(cl.applied_committed_at.map_or(r.committed_at, |a| a.max(r.committed_at)));
        cl.last_apply_lag = now.saturating_since(r.committed_at);
        cl.apply_lags.record(cl.last_apply_lag.as_nanos());
        let region = cl.region;
        self.recent_lags.push((region, r.committed_at, cl.last_apply_lag));
    }

    /// The apply lags recorded since the last call, as (Region, committed at, lag), for the
    /// world's time series of replication lag into each Region.
    pub fn take_recent_lags(&mut self) -> Vec<(RegionId, SimTime, SimDuration)> {
        std::mem::take(&mut self.recent_lags)
    }

    fn after_apply(&mut self, now: SimTime, t: usize) -> Vec<AuroraEffect> {
        let mut effects = self.wake(t);
        if let Some(Transition::Switchover { serial, target, sync_lsn, promoting }) = &mut self.transition
            && *target == t
            && !*promoting
            && self.clusters[t].applied_lsn >= *sync_lsn
        {
            *promoting = true;
            effects.push(Effect::Timer {
                delay: self.config.switchover_promotion,
                timer: AuroraTimer::Promote { serial: *serial },
            });
        }
        if !self.blocked.is_empty() && !self.rpo_blocked(now) {
            for (c, p) in std::mem::take(&mut self.blocked) {
                effects.extend(self.commit(now, c, p));
            }
        }
        self.prune_log();
        effects
    }

    fn prune_log(&mut self) {
        let floor = (0..self.clusters.len())
            .filter(|&c| c != self.writer)
            .map(|c| self.clusters[c].applied_lsn)
            .min()
            .unwrap_or(self.commit_lsn);
        while let Some((&lsn, _)) = self.log.first_key_value() {
            if lsn > floor {
                break;
            }
            self.log.remove(&lsn);
        }
    }

    /// Answers the reads waiting at `c` whose condition holds.
    fn wake(&mut self, c: usize) -> Vec<AuroraEffect> {
        let applied = self.clusters[c].applied_lsn;
        let (ready, waiting): (Vec<WaitingRead>, Vec<WaitingRead>) = std::mem::take(&mut self.clusters[c].waiting)
            .into_iter()
            .partition(|w| w.lsn.is_some_and(|l| l <= applied));
        self.clusters[c].waiting = waiting;
        ready.into_iter().map(|w| reply(w.attempt, StoreAnswer::Read { version: self.current(c, w.key) })).collect()
    }

    pub fn on_timer(&mut self, now: SimTime, timer: AuroraTimer) -> Vec<AuroraEffect> {
        match timer {
            AuroraTimer::Commit { region, write } => {
                let Some(c) = self.cluster(region) else { return Vec::new() };
                match self.gate(now, c) {
                    Gate::Commit => {}
                    // The writer went down mid-commit: no answer, the client times out.
                    Gate::Down => return Vec::new(),
                    Gate::Reject(r) => return self.refuse(c, write, r),
                    Gate::Forward => return self.refuse(c, write, Rejection::WriterUnavailable),
                }
                if self.fenced.is_some_and(|f| f.cluster == c) {
                    self.commit_fenced(now, c, write)
                } else if !self.blocked.is_empty() || self.rpo_blocked(now) {
                    self.blocked.push_back((c, write));
                    Vec::new()
                } else {
                    self.commit(now, c, write)
                }
            }
            AuroraTimer::Ship { record, to, epoch } => {
                if epoch != self.epoch {
                    // The failover detached the secondaries before this record left.
                    self.ledger.release_as(record.write, now, LossCause::Failover);
                    return Vec::new();
                }
                match self.cluster(record.region) {
                    Some(src) if !self.clusters[src].up => {
                        self.parked.push((record, to));
                        Vec::new()
                    }
                    _ => vec![self.ship(record, to)],
                }
            }
            AuroraTimer::Served { to, epoch } => self.served(to, epoch),
            AuroraTimer::Promote { serial } => self.promote(now, serial),
            AuroraTimer::FenceEnd { serial } => {
                if let Some(f) = self.fenced
                    && f.serial == serial
                {
                    self.fenced = None;
                    self.resync(now, f.cluster);
                }
                Vec::new()
            }
            AuroraTimer::EndpointUpdate { target } => {
                if target == self.writer() {
                    self.endpoint = target;
                }
                Vec::new()
            }
            AuroraTimer::InstanceReady { region } => {
                let Some(c) = self.cluster(region) else { return Vec::new() };
                self.clusters[c].headless = false;
                self.clusters[c].creating_instance = false;
                if let Some(Transition::Failover { serial, target, awaiting_instance }) = &mut self.transition
                    && *target == c
                    && *awaiting_instance
                {
                    *awaiting_instance = false;
                    let serial = *serial;
                    return vec![self.promotion_timer(serial)];
                }
                Vec::new()
            }
        }
    }

    fn ship(&self, record: Record, to: RegionId) -> AuroraEffect {
        let message = AuroraMessage::Replicate { record, epoch: self.epoch };
        Effect::Send { from: record.region, to, message, reliable: true }
    }

    fn reject_blocked(&mut self) -> Vec<AuroraEffect> {
        let blocked = std::mem::take(&mut self.blocked);
        blocked.into_iter().flat_map(|(c, p)| self.refuse(c, p, Rejection::WriterUnavailable)).collect()
    }

    /// `region` goes down: its waiting reads and held commits are dropped (their clients time out);
    /// its storage keeps what it has.
    pub fn region_down(&mut self, now: SimTime, region: RegionId) -> Vec<AuroraEffect> {
        let _ = now;
        if let Some(c) = self.cluster(region) {
            self.clusters[c].up = false;
            self.clusters[c].waiting.clear();
            self.blocked.retain(|&(b, _)| b != c);
        }
        Vec::new()
    }

    /// `region` is back: its storage pipeline ships what came due meanwhile.
    pub fn region_up(&mut self, now: SimTime, region: RegionId) -> Vec<AuroraEffect> {
        let _ = now;
        let Some(c) = self.cluster(region) else { return Vec::new() };
        self.clusters[c].up = true;
        let (due, keep): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.parked).into_iter().partition(|(r, _)| r.region == region);
        self.parked = keep;
        let mut effects: Vec<AuroraEffect> = due.into_iter().map(|(record, to)| self.ship(record, to)).collect();
        effects.extend(self.restart_pipelines());
        effects
    }

    /// The world gave up on `attempt` (the client's timeout): forget its waiting read or held commit.
    pub fn abandon_attempt(&mut self, attempt: AttemptRef) {
        for cl in &mut self.clusters {
            cl.waiting.retain(|w| w.attempt != attempt);
        }
        self.blocked.retain(|(_, p)| p.attempt != attempt);
    }

    /// The world can never deliver `message` (its Region never came back): its hold goes.
    pub fn abandon(&mut self, now: SimTime, message: &AuroraMessage) {
        match message {
            AuroraMessage::Replicate { record, .. } => {
                self.ledger.release_as(record.write, now, LossCause::RegionNeverReturned);
            }
            AuroraMessage::ForwardAck { write, .. } => self.ledger.release(*write, now),
            _ => {}
        }
    }

    /// The end of the drain phase. `never_returned[r]` marks Regions that never came back: their
    /// clusters' storage is gone with them.
    pub fn finish(&mut self, now: SimTime, never_returned: &[bool]) {
        self.ledger.release_acknowledged();
        let gone = LossCause::RegionNeverReturned;
        for (record, _) in std::mem::take(&mut self.parked) {
            self.ledger.release_as(record.write, now, gone);
        }
        // The drain runs the pipelines dry, except where their writer's Region never came back.
        for t in 0..self.pipelines.len() {
            let queue = std::mem::take(&mut self.pipelines[t].queue);
            let (dead, live): (VecDeque<Record>, VecDeque<Record>) =
                queue.into_iter().partition(|r| never_returned.get(r.region.index()).copied().unwrap_or(false));
            self.pipelines[t].queue = live;
            for r in dead {
                self.ledger.release_as(r.write, now, gone);
            }
        }
        for c in 0..self.clusters.len() {
            if !never_returned.get(self.clusters[c].region.index()).copied().unwrap_or(false) {
                continue;
            }
            let cl = &mut self.clusters[c];
            let held: Vec<WriteId> = std::mem::take(&mut cl.items)
                .into_sorted_vec()
                .into_iter()
                .map(|(_, write)| write)
                .chain(std::mem::take(&mut cl.buffer).into_values().map(|r| r.write))
                .collect();
            for w in held {
                self.ledger.release_as(w, now, gone);
            }
        }
    }
}

#[cfg(test)]
mod tests;
