//! The vocabulary every replication channel speaks with the world.
//!
//! A channel (DynamoDB MREC or MRSC, Aurora Global Database, S3 CRR) is a sans-IO state machine: the
//! world hands it a client attempt or a message or a timer, with `now`, and the channel answers with
//! [`Effect`]s for the world to carry out: send a message to another Region (the world samples the
//! link's latency and applies partitions, loss and outages to it), call the channel back later, or
//! answer the attempt. The channel keeps the checker's [`crate::ledger::Ledger`] up to date: every
//! version it creates, and every hold on it (a replica holding it, a message carrying it, an answer
//! on its way), so lost writes and stale reads are judged the same way for every store.

use sim_core::SimDuration;

use crate::ids::{RegionId, WriteId};

/// The world's handle on a client attempt (its request id).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AttemptRef(pub u64);

/// Why a store refused an operation. Each is what the service answers, so a client can retry the
/// retryable ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rejection {
    /// MRSC: the item is being modified in another Region (ReplicatedWriteConflictException);
    /// retryable.
    ReplicatedWriteConflict,
    /// A quorum could not be reached (MRSC: a Region that cannot reach another member rejects writes
    /// and strongly consistent reads).
    NoQuorum,
    /// MRSC: the Region is catching up after a partition and rejects writes and strongly consistent
    /// reads until it has.
    CatchingUp,
    /// Aurora: a secondary cannot take writes (no write forwarding), or the old writer after a
    /// failover.
    ReadOnly,
    /// Aurora: no writer at the moment (promotion, switchover, or the writer Region is down).
    WriterUnavailable,
    /// Aurora with rds.global_db_rpo: commits block while no secondary is within the bound, and the
    /// client timed out waiting.
    RpoBound,
    /// The store's replica in this Region is down.
    Unavailable,
}

impl Rejection {
    /// Whether a client (an AWS SDK) retries this answer.
    pub fn retryable(self) -> bool {
        !matches!(self, Rejection::ReadOnly)
    }
    pub fn name(self) -> &'static str {
        match self {
            Rejection::ReplicatedWriteConflict => "ReplicatedWriteConflictException",
            Rejection::NoQuorum => "no_quorum",
            Rejection::CatchingUp => "catching_up",
            Rejection::ReadOnly => "read_only",
            Rejection::WriterUnavailable => "writer_unavailable",
            Rejection::RpoBound => "rpo_bound",
            Rejection::Unavailable => "unavailable",
        }
    }
}

/// What the store answers an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StoreAnswer {
    /// The write was applied as `write`. The channel created it with one hold for this answer,
    /// which the world turns into an acknowledgement or releases (if the client gave up).
    Written {
        write: WriteId,
    },
    /// The read returned `version` (live in the ledger); the world judges its staleness against the
    /// read's snapshot with `Ledger::judge_read`.
    Read {
        version: WriteId,
    },
    Rejected(Rejection),
}

/// What a channel asks the world to do.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Effect<M, T> {
    /// Deliver `message` from `from` to `to`. The world adds the link's one-way latency (and any
    /// degradation) and applies faults: a message cut by a partition in drop mode, lost on a lossy
    /// link, or sent to a Region that is down is lost if `reliable` is false (the channel is told,
    /// or learns by its own timer), and held in its (store, from, to) link's backlog and resent in
    /// order once the path is open if `reliable` is true (as a replication pipeline does): one
    /// resend timer per link, never one per message.
    Send { from: RegionId, to: RegionId, message: M, reliable: bool },
    /// Call the channel back with `timer` after `delay`.
    Timer { delay: SimDuration, timer: T },
    /// Answer the attempt after `delay` of local processing (the world adds the way back to the
    /// client).
    Reply { attempt: AttemptRef, answer: StoreAnswer, delay: SimDuration },
}
