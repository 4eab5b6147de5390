//! The data stores, one folder each, and the vocabulary they share with the world.
//!
//! Every store keeps its replicas' state and the consistency checker's holds through its
//! [`crate::ledger::Ledger`]: `mrec` (a DynamoDB global table in multi-Region eventual
//! consistency, last writer wins), `quorum` (a DynamoDB global table in multi-Region strong
//! consistency, and any majority quorum), `aurora` (Aurora Global Database) and `s3` (S3
//! Cross-Region Replication). `channel` is the effect vocabulary the channel stores speak to the
//! world (messages, timers, answers).

pub mod aurora;
pub mod channel;
pub mod mrec;
pub mod quorum;
pub mod s3;
