//! Operation histories: every operation's invocation and completion, as Jepsen records them, for
//! users who check runs with their own tools (Jepsen's checkers, Knossos, Elle).
//!
//! The world reports entries to a [`HistorySink`] as they happen; the sink (in `experiments`)
//! writes them out. The world never buffers a history, so a long run's history costs disk, not
//! memory. Values follow Jepsen's register convention: a write writes its operation id, and a read
//! returns the operation id of the write whose version it read (`None`: the item does not exist).

use sim_core::SimTime;

use crate::config::OperationKind;
use crate::ids::{Key, RegionId, StoreId};

/// Jepsen's completion types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HistoryType {
    Invoke,
    /// It happened.
    Ok,
    /// It certainly did not happen (an error answer, a failed condition).
    Fail,
    /// Unknown: the client timed out and the operation may or may not have happened.
    Info,
}

impl HistoryType {
    pub fn name(self) -> &'static str {
        match self {
            HistoryType::Invoke => "invoke",
            HistoryType::Ok => "ok",
            HistoryType::Fail => "fail",
            HistoryType::Info => "info",
        }
    }
}

/// One line of a history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HistoryEntry {
    pub history_type: HistoryType,
    /// The operation id: each operation is its own Jepsen process, so no process has two
    /// operations in flight.
    pub process: u64,
    pub operation: OperationKind,
    pub store: StoreId,
    pub key: Key,
    pub value: Option<u64>,
    /// The Region of the attempt that completed it (none on an invocation).
    pub region: Option<RegionId>,
    pub time: SimTime,
}

/// Where the world reports history entries.
pub trait HistorySink {
    fn record(&mut self, entry: &HistoryEntry);
}
