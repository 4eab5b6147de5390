//! S3 Cross-Region Replication (CRR) as a replication channel: versioned buckets in Regions, one-way
//! or bidirectional replication rules, delete markers, objects that predate the rules, batch
//! replication, and the checker's view of all of it. Facts and their grades are in
//! reference/aws-facts.md ("S3 Cross-Region Replication"); what the model chooses where AWS says
//! nothing is written here.
//!
//! - **Versions.** Every PUT creates a new version of the object (key) in the bucket that took it,
//!   on top of that bucket's current version (its parent for the checker). It is stored at once and
//!   answered `Written` after the bucket's commit latency. Its creation time is `now`, moved just
//!   past the bucket's current version if that is not earlier, so a PUT is always current where it
//!   was made. Versions are ordered by [`VersionStamp`] (creation time, then Region, then write id):
//!   replicas keep the source's version id and creation time (grade D), so every bucket orders one
//!   key's versions the same way, and the current version is the latest. For concurrent writes of
//!   one key in two buckets AWS documents no rule; latest creation time wins is our assumption
//!   (grade U). Creation times come from the bucket Region's clock, so clock skew moves them.
//! - **Nothing is overwritten.** A bucket keeps every version it stores, its own and replicas, so
//!   the checker keeps one hold per stored version per bucket: no version is ever lost to
//!   last-writer-wins here, which is what versioning buys. A version hidden behind a concurrent one
//!   is recoverable but invisible, so it is counted as **shadowed** (the S3 flavour of a conflict):
//!   when a bucket stores a version behind a current one that did not observe it (does not descend
//!   from it), or a new current version that did not observe the one it hides. Each version counts
//!   once, however many buckets shadow it. The price is that the checker's tree for an S3 store
//!   grows with the versions written, as a real versioned bucket does (lifecycle expiry of
//!   noncurrent versions is not modelled).
//! - **Replication.** A version is sent along every rule out of the bucket where it was written,
//!   after a lag drawn per rule from [`S3Config::replication_lag`] (the pipeline's own delay; the
//!   world adds the network's) by a reliable [`S3Message::Replicate`]; the destination adds it to
//!   its versions. A version that arrived by replication is never sent on: S3 does not chain
//!   replicas of replicas (grade D-old), and bidirectional replication (two rules plus replica
//!   modification sync) relies on exactly that to avoid loops.
//! - **Deletes.** A DELETE without a version id writes a delete marker, a version like any other
//!   for the checker and for ordering, that makes the object read as not found. Markers are sent
//!   only with `delete_marker_replication`; otherwise the destination keeps showing the object and
//!   the key is divergent at the end. Deleting a specific version ([`S3Channel::delete_version`])
//!   is never replicated (grade D-old). The version is gone from that bucket, but the checker keeps
//!   its hold: the client removed it on purpose, having seen it, so it is not a lost write.
//! - **Objects that predate the rules** (`existing_objects`) are versions created at time zero in
//!   the source bucket only (the first rule's source). Reads of them elsewhere return not found
//!   until [`S3Channel::batch_replicate`] (S3 Batch Replication, a control-plane call) ships them
//!   along every rule out of the source; a batch runs once.
//! - **Reads** return the bucket's current version: the key's genesis (not found) when it has none,
//!   a delete marker (not found, but a version for the checker), or an object version.
//! - **Measured**: the lag of every version applied ([`Applied`], commit or batch start to
//!   applied), the versions pending per rule ([`S3Channel::backlog`]), shadowed versions, and the
//!   keys whose buckets' current versions differ after the drain ([`S3Channel::divergent_keys`]).

mod config;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use sim_core::{Dist, SimDuration, SimTime, Stream};

pub use config::{
    RTC_BODY_MEDIAN, RTC_BODY_SIGMA, RTC_BODY_WEIGHT, RTC_TAIL, Rule, S3Config, STANDARD_BODY_MEDIAN,
    STANDARD_BODY_SIGMA, STANDARD_BODY_WEIGHT, STANDARD_TAIL_MEDIAN, STANDARD_TAIL_SIGMA, default_replication_lag,
};

use crate::checker::LossCause;
use crate::ids::{Key, RegionId, StoreId, WriteId};
use crate::ledger::Ledger;
use crate::stores::channel::{AttemptRef, Effect, StoreAnswer};

/// Write ids of the objects that predate the rules: key `k` is `WriteId(EXISTING_OBJECT_IDS + k)`.
/// The world numbers writes up from zero and the ledger numbers genesis versions down from the top,
/// so the middle of the id space is free for them.
pub const EXISTING_OBJECT_IDS: u64 = 1 << 62;

/// The version of key `k` that predates the rules, created at time zero in `source`.
fn existing_object_stamp(source: RegionId, k: u64) -> VersionStamp {
    VersionStamp { nanos: 0, region: source, write: WriteId(EXISTING_OBJECT_IDS + k) }
}

/// The order of one key's versions in every bucket: creation time, then the writing Region, then
/// the write id, so two versions never tie.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VersionStamp {
    pub nanos: u64,
    pub region: RegionId,
    pub write: WriteId,
}

/// A version on its way along one rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Replica {
    /// Index of the rule in [`S3Config::rules`].
    pub rule: usize,
    pub key: Key,
    pub stamp: VersionStamp,
    pub marker: bool,
    /// When the version entered the pipeline: its commit, or the start of the batch that shipped it.
    pub queued_at: SimTime,
    /// Shipped by a batch replication rather than by the rule.
    pub batch: bool,
}

impl Replica {
    pub fn write(&self) -> WriteId {
        self.stamp.write
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum S3Message {
    /// A version copied to the rule's destination bucket.
    Replicate(Replica),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum S3Timer {
    /// The replication pipeline has processed the version: send it.
    Ship(Replica),
}

pub type S3Effect = Effect<S3Message, S3Timer>;

/// A version applied at a destination bucket, for the replication-lag percentiles and series.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Applied {
    pub rule: usize,
    pub key: Key,
    pub write: WriteId,
    /// From `queued_at` to applied: pipeline lag plus network latency plus any retransmissions.
    pub lag: SimDuration,
    pub batch: bool,
}

/// Why a batch replication was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BatchError {
    /// Creating a Batch Operations job is a control-plane call, and the control plane is down.
    ControlPlaneDown,
}

#[derive(Clone, Copy, Debug)]
struct Stored {
    marker: bool,
}

#[derive(Clone, Debug)]
struct Bucket {
    region: RegionId,
    /// Every version of every key, in [`VersionStamp`] order: the last one is current.
    objects: BTreeMap<Key, BTreeMap<VersionStamp, Stored>>,
    /// Its Region never returned: the bucket is gone at the end of the run.
    gone: bool,
}

/// The buckets of one S3 store and its checker state.
pub struct S3Channel {
    config: S3Config,
    /// Per Region (by index): its bucket's index in `buckets`.
    bucket_of: Vec<Option<usize>>,
    buckets: Vec<Bucket>,
    ledger: Ledger,
    lag: Dist,
    commit: Stream,
    replication: Stream,
    /// Per rule: versions queued or in flight.
    backlog: Vec<u64>,
    shadowed: BTreeSet<WriteId>,
    batch_ran: bool,
    divergent: Vec<Key>,
}

impl S3Channel {
    /// A store with `config` (validated) in a world of `regions` Regions; `commit` draws request
    /// latencies and `replication` the pipeline's lags. Seeds the objects that predate the rules.
    pub fn new(store: StoreId, config: S3Config, regions: usize, commit: Stream, replication: Stream) -> Self {
        let mut bucket_of = vec![None; regions];
        let buckets = config
            .buckets
            .iter()
            .enumerate()
            .map(|(i, &region)| {
                bucket_of[region.index()] = Some(i);
                Bucket { region, objects: BTreeMap::new(), gone: false }
            })
            .collect();
        let mut channel = S3Channel {
            ledger: Ledger::new(store, config.buckets.len() as u32),
            lag: config.replication_lag(),
            backlog: vec![0; config.rules.len()],
            config,
            bucket_of,
            buckets,
            commit,
            replication,
            shadowed: BTreeSet::new(),
            batch_ran: false,
            divergent: Vec::new(),
        };
        channel.seed_existing_objects();
        channel
    }

    fn seed_existing_objects(&mut self) {
        let Some(source) = self.config.source() else { return };
        let b = self.bucket(source);
        for k in 0..self.config.existing_objects {
            let key = Key(k);
            let genesis = self.ledger.genesis(key);
            let stamp = existing_object_stamp(source, k);
            // One hold: the source bucket. Never acknowledged: it predates the run, so it can be
            // shadowed but never count as a lost write.
            self.ledger.tree_mut().create(stamp.write, genesis, source, 1);
            self.buckets[b].objects.entry(key).or_default().insert(stamp, Stored { marker: false });
        }
    }

    pub fn config(&self) -> &S3Config {
        &self.config
    }
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }
    pub fn ledger_mut(&mut self) -> &mut Ledger {
        &mut self.ledger
    }
    pub fn has_bucket(&self, region: RegionId) -> bool {
        self.bucket_of.get(region.index()).is_some_and(Option::is_some)
    }
    /// Versions queued or in flight, per rule (indexed like [`S3Config::rules`]).
    pub fn backlog(&self) -> &[u64] {
        &self.backlog
    }
    /// Versions hidden behind a concurrent version in some bucket (each counted once).
    pub fn shadowed(&self) -> u64 {
        self.shadowed.len() as u64
    }
    /// Keys whose surviving buckets' current versions differed when the run finished.
    pub fn divergent_keys(&self) -> &[Key] {
        &self.divergent
    }

    /// The current version of `key` in `region`'s bucket and whether it is a delete marker; `None`
    /// when the bucket has no version of it.
    pub fn current_version(&self, region: RegionId, key: Key) -> Option<(WriteId, bool)> {
        let versions = self.buckets[self.bucket(region)].objects.get(&key)?;
        versions.last_key_value().map(|(s, v)| (s.write, v.marker))
    }

    /// Every version of `key` that `region`'s bucket stores, oldest first.
    pub fn versions(&self, region: RegionId, key: Key) -> Vec<WriteId> {
        let versions = self.buckets[self.bucket(region)].objects.get(&key);
        versions.map(|v| v.keys().map(|s| s.write).collect()).unwrap_or_default()
    }

    fn bucket(&self, region: RegionId) -> usize {
        self.bucket_of[region.index()].expect("S3 operations go to a Region with a bucket")
    }

    /// The checker's version a read or write in bucket `b` sees: the current one or the genesis.
    fn current(&mut self, b: usize, key: Key) -> (WriteId, Option<VersionStamp>) {
        match self.buckets[b].objects.get(&key).and_then(|v| v.last_key_value()) {
            Some((stamp, _)) => (stamp.write, Some(*stamp)),
            None => (self.ledger.genesis(key), None),
        }
    }

    /// A PUT of `key` in `region`'s bucket, as version `write`.
    pub fn put(
        &mut self,
        now: SimTime,
        region: RegionId,
        key: Key,
        write: WriteId,
        attempt: AttemptRef,
    ) -> Vec<S3Effect> {
        self.write_stamped(now, now.as_nanos(), region, key, write, attempt, false)
    }

    /// A DELETE of `key` without a version id: writes a delete marker as version `write`.
    pub fn delete(
        &mut self,
        now: SimTime,
        region: RegionId,
        key: Key,
        write: WriteId,
        attempt: AttemptRef,
    ) -> Vec<S3Effect> {
        self.write_stamped(now, now.as_nanos(), region, key, write, attempt, true)
    }

    /// A PUT (or a delete marker) whose creation time is the bucket Region's clock reading
    /// `clock_nanos` (true time, unless the Region's clock is skewed).
    #[allow(clippy::too_many_arguments)]
    pub fn write_stamped(
        &mut self,
        now: SimTime,
        clock_nanos: u64,
        region: RegionId,
        key: Key,
        write: WriteId,
        attempt: AttemptRef,
        marker: bool,
    ) -> Vec<S3Effect> {
        let b = self.bucket(region);
        let (parent, parent_stamp) = self.current(b, key);
        let mut stamp = VersionStamp { nanos: clock_nanos, region, write };
        if let Some(p) = parent_stamp.filter(|p| *p >= stamp) {
            stamp.nanos = p.nanos + 1;
        }
        let kept_local = marker && !self.config.delete_marker_replication;
        let rules: Vec<usize> = if kept_local { Vec::new() } else { self.rules_from(region) };
        // Holds: the answer, this bucket, and one per rule the version is sent along. The parent
        // keeps its own hold: a bucket never drops a version.
        self.ledger.tree_mut().create(write, parent, region, 2 + rules.len() as u32);
        self.buckets[b].objects.entry(key).or_default().insert(stamp, Stored { marker });
        let delay = self.config.commit_latency.sample_duration(&mut self.commit);
        let mut effects = vec![Effect::Reply { attempt, answer: StoreAnswer::Written { write }, delay }];
        for rule in rules {
            let replica = Replica { rule, key, stamp, marker, queued_at: now, batch: false };
            effects.push(self.enqueue(replica));
        }
        effects
    }

    fn rules_from(&self, region: RegionId) -> Vec<usize> {
        (0..self.config.rules.len()).filter(|&i| self.config.rules[i].from == region).collect()
    }

    /// Puts `replica` in its rule's pipeline (its hold is the caller's).
    fn enqueue(&mut self, replica: Replica) -> S3Effect {
        self.backlog[replica.rule] += 1;
        let delay = self.lag.sample_duration(&mut self.replication);
        Effect::Timer { delay, timer: S3Timer::Ship(replica) }
    }

    /// A GET of `key` in `region`'s bucket: answers its current version (genesis or a delete
    /// marker read as not found).
    pub fn get(&mut self, _now: SimTime, region: RegionId, key: Key, attempt: AttemptRef) -> Vec<S3Effect> {
        let b = self.bucket(region);
        let (version, _) = self.current(b, key);
        let delay = self.config.commit_latency.sample_duration(&mut self.commit);
        vec![Effect::Reply { attempt, answer: StoreAnswer::Read { version }, delay }]
    }

    /// Deletes version `write` of `key` in `region`'s bucket only (never replicated). Returns
    /// whether the bucket had it. The checker keeps the bucket's hold (see the module comment).
    pub fn delete_version(&mut self, _now: SimTime, region: RegionId, key: Key, write: WriteId) -> bool {
        let b = self.bucket(region);
        let Some(versions) = self.buckets[b].objects.get_mut(&key) else { return false };
        let Some(stamp) = versions.keys().find(|s| s.write == write).copied() else { return false };
        versions.remove(&stamp);
        if versions.is_empty() {
            self.buckets[b].objects.remove(&key);
        }
        true
    }

    pub fn on_timer(&mut self, _now: SimTime, timer: S3Timer) -> Vec<S3Effect> {
        match timer {
            S3Timer::Ship(replica) => {
                let rule = self.config.rules[replica.rule];
                let message = S3Message::Replicate(replica);
                vec![Effect::Send { from: rule.from, to: rule.to, message, reliable: true }]
            }
        }
    }

    /// A replicated version reaches its destination bucket and is added to its versions (never
    /// sent on). Each version travels each rule once and a rule's destination is reached by no other
    /// path (no chaining), so a bucket never receives a version it already stores.
    pub fn on_message(&mut self, now: SimTime, from: RegionId, to: RegionId, message: S3Message) -> Applied {
        let S3Message::Replicate(replica) = message;
        debug_assert_eq!(self.config.rules[replica.rule], Rule { from, to }, "a replica travels along its rule");
        self.backlog[replica.rule] -= 1;
        let b = self.bucket(to);
        let write = replica.write();
        let stored = self.buckets[b].objects.get(&replica.key).is_some_and(|v| v.contains_key(&replica.stamp));
        assert!(!stored, "{write:?} was delivered twice to the bucket in {to}");
        if let (current, Some(current_stamp)) = self.current(b, replica.key) {
            let tree = self.ledger.tree_mut();
            let hidden = if replica.stamp > current_stamp {
                (!tree.descends_from(write, current)).then_some(current)
            } else {
                (!tree.descends_from(current, write)).then_some(write)
            };
            if hidden.is_some() {
                // Neither observed the other (the later one does not descend from the earlier):
                // the two met here, concurrent, and both are conflicted.
                tree.mark_conflicted(write);
                tree.mark_conflicted(current);
            }
            self.shadowed.extend(hidden);
        }
        // The message's hold becomes the bucket's.
        self.buckets[b]
            .objects
            .entry(replica.key)
            .or_default()
            .insert(replica.stamp, Stored { marker: replica.marker });
        let lag = now.saturating_since(replica.queued_at);
        Applied { rule: replica.rule, key: replica.key, write, lag, batch: replica.batch }
    }

    /// S3 Batch Replication of the objects that predate the rules: ships every one still stored in
    /// the source bucket along every rule out of it. Refused while the control plane is down; a
    /// second batch finds nothing left to do.
    pub fn batch_replicate(&mut self, now: SimTime, control_plane_up: bool) -> Result<Vec<S3Effect>, BatchError> {
        if !control_plane_up {
            return Err(BatchError::ControlPlaneDown);
        }
        let Some(source) = self.config.source().filter(|_| !self.batch_ran) else { return Ok(Vec::new()) };
        self.batch_ran = true;
        let b = self.bucket(source);
        let rules = self.rules_from(source);
        let mut shipped = Vec::new();
        for k in 0..self.config.existing_objects {
            let stamp = existing_object_stamp(source, k);
            if self.buckets[b].objects.get(&Key(k)).is_some_and(|v| v.contains_key(&stamp)) {
                shipped.push((Key(k), stamp));
            }
        }
        let mut effects = Vec::new();
        for (key, stamp) in shipped {
            for &rule in &rules {
                self.ledger.tree_mut().acquire(stamp.write);
                let replica = Replica { rule, key, stamp, marker: false, queued_at: now, batch: true };
                effects.push(self.enqueue(replica));
            }
        }
        Ok(effects)
    }

    /// A replica that can never be delivered (an end of its rule is in a Region that never came
    /// back) lets go of its version.
    pub fn abandon(&mut self, now: SimTime, replica: &Replica) {
        self.backlog[replica.rule] -= 1;
        self.ledger.release_as(replica.write(), now, LossCause::RegionNeverReturned);
    }

    /// The end of the drain phase. `never_returned[r]` marks Regions that never came back: their
    /// buckets are gone, and versions no other bucket stores are lost with them. Then records the
    /// divergent keys among the remaining buckets.
    pub fn finish(&mut self, now: SimTime, never_returned: &[bool]) {
        self.ledger.release_acknowledged();
        for bucket in &mut self.buckets {
            if bucket.gone || !never_returned.get(bucket.region.index()).copied().unwrap_or(false) {
                continue;
            }
            bucket.gone = true;
            for versions in std::mem::take(&mut bucket.objects).into_values() {
                for stamp in versions.into_keys() {
                    self.ledger.release_as(stamp.write, now, LossCause::RegionNeverReturned);
                }
            }
        }
        self.divergent = self.count_divergent();
    }

    fn count_divergent(&self) -> Vec<Key> {
        let live: Vec<&Bucket> = self.buckets.iter().filter(|b| !b.gone).collect();
        let keys: BTreeSet<Key> = live.iter().flat_map(|b| b.objects.keys().copied()).collect();
        let current = |b: &Bucket, k: &Key| b.objects.get(k).and_then(|v| v.last_key_value()).map(|(s, _)| s.write);
        keys.into_iter().filter(|k| live.windows(2).any(|w| current(w[0], k) != current(w[1], k))).collect()
    }
}
