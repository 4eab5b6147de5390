//! What an operation and its attempts are, as the client side and the Region side both see them:
//! the lowest layer of the world's files, importing none of its siblings.

use sim_core::{EventId, SimDuration, SimTime};

use crate::config::OperationKind;
use crate::ids::{Key, PopulationId, RegionId, StoreId, WriteId};
use crate::ledger::{SessionId, SessionVerdict, StoreOrder};
use crate::stores::channel::Rejection;

/// One operation a user asked for.
#[derive(Clone, Debug)]
pub(super) struct Operation {
    pub(super) population: PopulationId,
    pub(super) user: u64,
    pub(super) kind: OperationKind,
    pub(super) consistent_read: bool,
    pub(super) store: StoreId,
    pub(super) key: Key,
    pub(super) first_sent_at: SimTime,
    pub(super) attempts: u32,
    /// Attempts in `pending` (sent, and not yet done with on both sides).
    pub(super) pending: u32,
    /// Closed loop: the session to wake when the operation ends.
    pub(super) session: Option<u32>,
    /// A multi-store write: its line in the population's mix, the step under way, and the writes
    /// of the steps done.
    pub(super) multi: Option<usize>,
    pub(super) step: usize,
    pub(super) step_writes: Vec<(StoreId, WriteId)>,
    /// A repair (retry of a failed step, or a compensating delete) of a partial update: the
    /// operation it repairs. Repairs are the application's, not a user's: not in user counts.
    pub(super) repair_of: Option<u64>,
}

/// How an attempt ended, from the client's side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum AttemptOutcome {
    /// `value`: for the history, what the operation wrote or read.
    Succeeded { value: Option<u64>, write: Option<WriteId> },
    /// Timeout, 503 or an error answer: worth another attempt. `definite`: the store certainly did
    /// not apply it (an error answer), as opposed to a timeout, after which nobody knows.
    Retryable { definite: bool },
    /// ConditionalCheckFailed: another attempt would fail the same way.
    Final,
}

/// What the Region answered, carried back to the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Answer {
    Written {
        write: WriteId,
        /// The write's place in the store's own order, for a store that has one.
        order: Option<StoreOrder>,
    },
    /// The idempotency key had been applied already (as `write`); the store applied nothing.
    AlreadyApplied {
        write: WriteId,
    },
    Read {
        stale_by: Option<SimDuration>,
        /// Stale by the store's own order (see `Ledger::stale_by_order`), for a store that has one.
        stale_by_order: Option<bool>,
        session: SessionVerdict,
        /// The operation whose write was read (none: the item does not exist), for the history.
        value: Option<u64>,
    },
    ConditionFailed,
    /// The app tier shed the request: 503.
    Shed,
    /// An error answer: the app tier or the store replica is out.
    Failed,
    /// A store refused the operation, as the service names it.
    Rejected(Rejection),
}

/// One attempt of an operation. It carries what the Region needs, because it can outlive its
/// operation (a late answer after the client has moved on).
#[derive(Clone, Debug)]
pub(super) struct Attempt {
    pub(super) operation: u64,
    pub(super) population: PopulationId,
    pub(super) user: u64,
    pub(super) store: StoreId,
    pub(super) key: Key,
    pub(super) kind: OperationKind,
    /// A strongly consistent read (DynamoDB's ConsistentRead).
    pub(super) consistent_read: bool,
    pub(super) region: RegionId,
    pub(super) sent_at: SimTime,
    pub(super) timeout: EventId,
    /// For a read: the newest write acknowledged when the read began, held until it is compared.
    pub(super) newest_acked: Option<WriteId>,
    /// For a read, the greatest store order acknowledged when it was sent (see
    /// `Ledger::snapshot_order`).
    pub(super) newest_acked_order: Option<StoreOrder>,
    pub(super) answer: Option<Answer>,
    /// The client has given up on it (timeout).
    pub(super) client_done: bool,
    /// The Region dropped it without an answer.
    pub(super) dropped: bool,
    /// Through a CloudFront origin group, not yet failed over: the secondary origin and how long
    /// CloudFront tries to connect to a primary that does not answer.
    pub(super) origin_failover: Option<(RegionId, SimDuration)>,
}

impl Attempt {
    pub(super) fn new(
        operation: u64,
        op: &Operation,
        region: RegionId,
        sent_at: SimTime,
        timeout: EventId,
        newest_acked: Option<WriteId>,
        newest_acked_order: Option<StoreOrder>,
    ) -> Self {
        Attempt {
            operation,
            population: op.population,
            user: op.user,
            store: op.store,
            key: op.key,
            kind: op.kind,
            consistent_read: op.consistent_read,
            region,
            sent_at,
            timeout,
            newest_acked,
            newest_acked_order,
            answer: None,
            client_done: false,
            dropped: false,
            origin_failover: None,
        }
    }
}

/// The checker's session of an attempt: its population and user.
pub(super) fn session_of(attempt: &Attempt) -> SessionId {
    (attempt.population.index() as u16, attempt.user)
}
