//! The stores of the world, whatever their replication, and the machinery that carries out what the
//! effect-driven channels ask (see [`crate::stores::channel`]).
//!
//! DynamoDB MREC (`mrec::Table`) has its own events (`ReplicationShipped`, ...), older than the
//! channel vocabulary. Every other store is a channel: the world calls it with attempts, messages and
//! timers and carries out its effects. A message between Regions meets the network's faults exactly
//! as a replication copy does: a degraded link delays or loses it, a partition cuts it on arrival, a
//! store that is down cannot take it. An unreliable message is then lost, and the channel is told so
//! (it lets go of what the message carried, and the quorum channel notes what its peer missed for a
//! catch-up). A *reliable* one joins the backlog of its (store, from, to) link: one queue and one
//! timer per link, never one timer per message. The backlog waits while the link is cut, the
//! destination down or the sender stalled; when the path is open (a fault heals, or the retry
//! interval passes on a lossy link) it is resent in order, at most `catch_up_rate` messages per
//! second. So an outage costs memory in the messages it holds back, and no events while it lasts.
//!
//! A read is judged the moment the channel answers it, while the version it returned is certainly
//! live; the judged answer then travels back to the client.

use sim_core::{Dist, Histogram, Outbox, Seed, SimDuration, SimTime};

use std::collections::VecDeque;

use super::attempts::{Answer, session_of};
use super::{Event, World};
use crate::checker::VersionTree;
use crate::config::{OperationKind, StoreConfig, StoreKind};
use crate::faults::{LinkVerdict, PartitionMode};
use crate::ids::{Key, RegionId, RequestId, StoreId, WriteId};
use crate::ledger::Ledger;
use crate::report::StoreSettled;
use crate::stores::aurora::{AuroraChannel, AuroraMessage, AuroraTimer, TransitionReport};
use crate::stores::channel::{AttemptRef, Effect, StoreAnswer};
use crate::stores::mrec::{Shipment, Table};
use crate::stores::quorum::{ProbeLinks, QuorumChannel, QuorumMessage, QuorumTimer, TVisibility};
use crate::stores::s3::{S3Channel, S3Message, S3Timer};
use crate::topology::Topology;

/// One store of the world.
pub(super) enum StoreState {
    Mrec(Box<Table>),
    Quorum(Box<QuorumChannel>),
    Aurora(Box<AuroraChannel>),
    S3(Box<S3Channel>),
}

/// Builds store `id` from its configuration; each draws from streams named after the store.
pub(super) fn build(id: StoreId, config: &StoreConfig, topology: &Topology, seed: Seed) -> StoreState {
    let regions = topology.len();
    let stream = |purpose: &str| seed.stream(&format!("store/{}/{purpose}", config.name));
    match &config.kind {
        StoreKind::DynamoDbMrec => {
            let pipeline = (config.replication_delay.clone(), config.per_item_order);
            StoreState::Mrec(Box::new(Table::new(id, &config.regions, regions, pipeline, stream("replication"))))
        }
        StoreKind::Quorum(q) => {
            let channel = QuorumChannel::new(id, q.clone()).with_catch_up_rate(config.catch_up_rate);
            let channel = match &q.probe {
                Some(_) => {
                    let links =
                        topology.regions().map(|f| topology.regions().map(|t| topology.link(f, t).clone()).collect());
                    channel.with_probe(stream("probe"), ProbeLinks(links.collect()))
                }
                None => channel,
            };
            StoreState::Quorum(Box::new(channel))
        }
        StoreKind::AuroraGlobal(a) => {
            let own_seed = Seed(stream("aurora").next_u64());
            StoreState::Aurora(Box::new(AuroraChannel::new(id, (**a).clone(), own_seed)))
        }
        StoreKind::S3Replication(c) => {
            StoreState::S3(Box::new(S3Channel::new(id, c.clone(), regions, stream("commit"), stream("replication"))))
        }
    }
}

/// An attempt as a channel store takes it.
pub(super) struct Attempted {
    pub(super) kind: OperationKind,
    pub(super) region: RegionId,
    pub(super) key: Key,
    /// The id the store gives a write it makes.
    pub(super) write: WriteId,
    /// A strongly consistent read (DynamoDB's ConsistentRead).
    pub(super) consistent: bool,
    /// The client's session, as Aurora's read-after-write consistency names it.
    pub(super) session: u64,
    /// The Region's clock now, in nanoseconds (S3 stamps versions with it).
    pub(super) clock_nanos: u64,
    pub(super) handle: AttemptRef,
}

/// What the world asks of every store, whatever its replication: one implementation per store
/// kind, below, and one match ([`StoreState::store`]) to reach it. A store-specific action (an
/// Aurora switchover, an S3 batch job) still names its store.
pub(super) trait Store {
    fn ledger(&self) -> &Ledger;
    fn ledger_mut(&mut self) -> &mut Ledger;
    /// The end of the drain: `down[r]` marks Regions that never came back.
    fn finish(&mut self, now: SimTime, down: &[bool]);
    /// Keys whose replicas disagree at the end, and versions shadowed (S3).
    fn divergent_and_shadowed(&self) -> (u64, u64);
    /// Switchovers and failovers (Aurora).
    fn transitions(&self) -> Vec<TransitionReport> {
        Vec::new()
    }
    /// Replication lag the channel measured itself, over the run.
    fn replication_lag(&self) -> Option<Histogram> {
        None
    }
    /// Applies measured since last asked, for the lag series: (into, committed at, lag).
    fn take_recent_lags(&mut self) -> Vec<(RegionId, SimTime, SimDuration)> {
        Vec::new()
    }
    /// The member in `region` went down or came back.
    fn region_changed(&mut self, _now: SimTime, _region: RegionId, _up: bool) -> Vec<ChannelEffect> {
        Vec::new()
    }
    /// Whether a replication slowdown slows the store's own pipeline (which hears of it through
    /// `set_replication_slowdown`) rather than its messages on the link (Aurora).
    fn slows_own_pipeline(&self) -> bool {
        false
    }
    /// The slowdown of the store's replication out of `region` is now `factor` (1: none).
    fn set_replication_slowdown(&mut self, _region: RegionId, _factor: f64) {}
    /// What a member missed, noted for a catch-up (quorum), counted as held messages.
    fn catch_up_entries(&self) -> u64 {
        0
    }
    /// An attempt reaches the store's replica in `attempt.region`.
    fn attempt(&mut self, now: SimTime, attempt: Attempted) -> Vec<ChannelEffect>;
    /// A message arrives; with the replication lag to record as observed at `to`, if it applied
    /// a version the store does not measure itself (S3).
    fn message(&mut self, now: SimTime, from: RegionId, to: RegionId, message: ChannelMessage) -> Delivered;
    /// An unreliable message was lost.
    fn message_lost(
        &mut self,
        _now: SimTime,
        _from: RegionId,
        _to: RegionId,
        _message: &ChannelMessage,
    ) -> Vec<ChannelEffect> {
        Vec::new()
    }
    fn timer(&mut self, now: SimTime, timer: ChannelTimer) -> Vec<ChannelEffect>;
    /// A reliable message that can never be delivered lets go of what it held.
    fn abandon(&mut self, now: SimTime, message: &ChannelMessage);
    /// A read answer was judged: a hold it carried goes (quorum).
    fn read_judged(&mut self, _now: SimTime, _version: WriteId) {}
    /// The one-way latency of `message` when the store gives its kind one (quorum: PBS's W, A, R,
    /// S); `None` leaves it to the link.
    fn message_latency(&self, _from: RegionId, _to: RegionId, _message: &ChannelMessage) -> Option<&Dist> {
        None
    }
    /// What the staleness probe measured (quorum).
    fn t_visibility(&self) -> Option<TVisibility> {
        None
    }
}

/// What a delivered message did.
pub(super) struct Delivered {
    pub(super) effects: Vec<ChannelEffect>,
    pub(super) observed_lag: Option<SimDuration>,
}

impl Delivered {
    fn effects(effects: Vec<ChannelEffect>) -> Self {
        Delivered { effects, observed_lag: None }
    }
}

fn not_mine(what: &str) -> ! {
    unreachable!("a channel {what} goes to a store of its own kind")
}

impl Store for Table {
    fn ledger(&self) -> &Ledger {
        Table::ledger(self)
    }
    fn ledger_mut(&mut self) -> &mut Ledger {
        Table::ledger_mut(self)
    }
    fn finish(&mut self, now: SimTime, down: &[bool]) {
        Table::finish(self, now, down)
    }
    fn divergent_and_shadowed(&self) -> (u64, u64) {
        (self.divergent_keys(), 0)
    }
    fn attempt(&mut self, _: SimTime, _: Attempted) -> Vec<ChannelEffect> {
        unreachable!("MREC is served by World::serve")
    }
    fn message(&mut self, _: SimTime, _: RegionId, _: RegionId, _: ChannelMessage) -> Delivered {
        not_mine("message")
    }
    fn timer(&mut self, _: SimTime, _: ChannelTimer) -> Vec<ChannelEffect> {
        not_mine("timer")
    }
    fn abandon(&mut self, _: SimTime, _: &ChannelMessage) {
        not_mine("message")
    }
}

fn quorum(effects: Vec<Effect<QuorumMessage, QuorumTimer>>) -> Vec<ChannelEffect> {
    wrap(effects, ChannelMessage::Quorum, ChannelTimer::Quorum)
}

impl Store for QuorumChannel {
    fn ledger(&self) -> &Ledger {
        QuorumChannel::ledger(self)
    }
    fn ledger_mut(&mut self) -> &mut Ledger {
        QuorumChannel::ledger_mut(self)
    }
    fn finish(&mut self, now: SimTime, _: &[bool]) {
        QuorumChannel::finish(self, now)
    }
    fn divergent_and_shadowed(&self) -> (u64, u64) {
        (self.divergent_keys(), 0)
    }
    fn replication_lag(&self) -> Option<Histogram> {
        let mut all = Histogram::new();
        for (_, h) in self.apply_lags() {
            all.merge(h);
        }
        Some(all)
    }
    fn take_recent_lags(&mut self) -> Vec<(RegionId, SimTime, SimDuration)> {
        QuorumChannel::take_recent_lags(self)
    }
    fn region_changed(&mut self, now: SimTime, region: RegionId, up: bool) -> Vec<ChannelEffect> {
        quorum(if up { self.region_up(now, region) } else { self.region_down(now, region) })
    }
    fn catch_up_entries(&self) -> u64 {
        QuorumChannel::catch_up_entries(self)
    }
    fn attempt(&mut self, now: SimTime, a: Attempted) -> Vec<ChannelEffect> {
        quorum(match a.kind {
            OperationKind::Read => self.read(now, a.region, a.key, a.consistent, a.handle),
            _ => self.write(now, a.region, a.key, a.write, a.handle),
        })
    }
    fn message(&mut self, now: SimTime, from: RegionId, to: RegionId, message: ChannelMessage) -> Delivered {
        let ChannelMessage::Quorum(m) = message else { not_mine("message") };
        Delivered::effects(quorum(self.on_message(now, from, to, m)))
    }
    fn message_lost(
        &mut self,
        now: SimTime,
        from: RegionId,
        to: RegionId,
        message: &ChannelMessage,
    ) -> Vec<ChannelEffect> {
        let ChannelMessage::Quorum(m) = message else { not_mine("message") };
        quorum(QuorumChannel::message_lost(self, now, from, to, m))
    }
    fn timer(&mut self, now: SimTime, timer: ChannelTimer) -> Vec<ChannelEffect> {
        let ChannelTimer::Quorum(t) = timer else { not_mine("timer") };
        quorum(self.on_timer(now, t))
    }
    fn abandon(&mut self, now: SimTime, message: &ChannelMessage) {
        let ChannelMessage::Quorum(m) = message else { not_mine("message") };
        QuorumChannel::abandon(self, now, m)
    }
    fn read_judged(&mut self, now: SimTime, version: WriteId) {
        self.ledger_mut().release(version, now);
    }
    fn message_latency(&self, from: RegionId, to: RegionId, message: &ChannelMessage) -> Option<&Dist> {
        let ChannelMessage::Quorum(m) = message else { not_mine("message") };
        QuorumChannel::message_latency(self, from, to, m)
    }
    fn t_visibility(&self) -> Option<TVisibility> {
        QuorumChannel::t_visibility(self)
    }
}

fn aurora(effects: Vec<Effect<AuroraMessage, AuroraTimer>>) -> Vec<ChannelEffect> {
    wrap(effects, ChannelMessage::Aurora, ChannelTimer::Aurora)
}

impl Store for AuroraChannel {
    fn ledger(&self) -> &Ledger {
        AuroraChannel::ledger(self)
    }
    fn ledger_mut(&mut self) -> &mut Ledger {
        AuroraChannel::ledger_mut(self)
    }
    fn finish(&mut self, now: SimTime, down: &[bool]) {
        AuroraChannel::finish(self, now, down)
    }
    fn divergent_and_shadowed(&self) -> (u64, u64) {
        // Secondaries follow one writer: they cannot disagree once the drain is over.
        (0, 0)
    }
    fn transitions(&self) -> Vec<TransitionReport> {
        AuroraChannel::transitions(self).to_vec()
    }
    fn replication_lag(&self) -> Option<Histogram> {
        let mut all = Histogram::new();
        for r in 0..self.regions() {
            if let Some(h) = self.apply_lags(RegionId::new(r)) {
                all.merge(h);
            }
        }
        Some(all)
    }
    fn take_recent_lags(&mut self) -> Vec<(RegionId, SimTime, SimDuration)> {
        AuroraChannel::take_recent_lags(self)
    }
    fn region_changed(&mut self, now: SimTime, region: RegionId, up: bool) -> Vec<ChannelEffect> {
        aurora(if up { self.region_up(now, region) } else { self.region_down(now, region) })
    }
    fn slows_own_pipeline(&self) -> bool {
        true
    }
    fn set_replication_slowdown(&mut self, region: RegionId, factor: f64) {
        AuroraChannel::set_replication_slowdown(self, region, factor)
    }
    fn attempt(&mut self, now: SimTime, a: Attempted) -> Vec<ChannelEffect> {
        aurora(match a.kind {
            OperationKind::Read => self.read(now, a.region, a.key, a.session, a.handle),
            _ => self.write(now, a.region, a.key, a.write, a.session, a.handle),
        })
    }
    fn message(&mut self, now: SimTime, from: RegionId, to: RegionId, message: ChannelMessage) -> Delivered {
        let ChannelMessage::Aurora(m) = message else { not_mine("message") };
        Delivered::effects(aurora(self.on_message(now, from, to, m)))
    }
    fn timer(&mut self, now: SimTime, timer: ChannelTimer) -> Vec<ChannelEffect> {
        let ChannelTimer::Aurora(t) = timer else { not_mine("timer") };
        aurora(self.on_timer(now, t))
    }
    fn abandon(&mut self, now: SimTime, message: &ChannelMessage) {
        let ChannelMessage::Aurora(m) = message else { not_mine("message") };
        AuroraChannel::abandon(self, now, m)
    }
}

impl Store for S3Channel {
    fn ledger(&self) -> &Ledger {
        S3Channel::ledger(self)
    }
    fn ledger_mut(&mut self) -> &mut Ledger {
        S3Channel::ledger_mut(self)
    }
    fn finish(&mut self, now: SimTime, down: &[bool]) {
        S3Channel::finish(self, now, down)
    }
    fn divergent_and_shadowed(&self) -> (u64, u64) {
        (self.divergent_keys().len() as u64, self.shadowed())
    }
    fn attempt(&mut self, now: SimTime, a: Attempted) -> Vec<ChannelEffect> {
        let fx = match a.kind {
            OperationKind::Read => self.get(now, a.region, a.key, a.handle),
            OperationKind::Delete => self.write_stamped(now, a.clock_nanos, a.region, a.key, a.write, a.handle, true),
            _ => self.write_stamped(now, a.clock_nanos, a.region, a.key, a.write, a.handle, false),
        };
        wrap(fx, ChannelMessage::S3, ChannelTimer::S3)
    }
    fn message(&mut self, now: SimTime, from: RegionId, to: RegionId, message: ChannelMessage) -> Delivered {
        let ChannelMessage::S3(m) = message else { not_mine("message") };
        let applied = self.on_message(now, from, to, m);
        Delivered { effects: Vec::new(), observed_lag: (!applied.batch).then_some(applied.lag) }
    }
    fn timer(&mut self, now: SimTime, timer: ChannelTimer) -> Vec<ChannelEffect> {
        let ChannelTimer::S3(t) = timer else { not_mine("timer") };
        wrap(self.on_timer(now, t), ChannelMessage::S3, ChannelTimer::S3)
    }
    fn abandon(&mut self, now: SimTime, message: &ChannelMessage) {
        let ChannelMessage::S3(S3Message::Replicate(r)) = message else { not_mine("message") };
        S3Channel::abandon(self, now, r)
    }
}

impl StoreState {
    /// The one match: every store, as the world asks of it.
    pub(super) fn store(&self) -> &dyn Store {
        match self {
            StoreState::Mrec(t) => &**t,
            StoreState::Quorum(q) => &**q,
            StoreState::Aurora(a) => &**a,
            StoreState::S3(c) => &**c,
        }
    }
    pub(super) fn store_mut(&mut self) -> &mut dyn Store {
        match self {
            StoreState::Mrec(t) => &mut **t,
            StoreState::Quorum(q) => &mut **q,
            StoreState::Aurora(a) => &mut **a,
            StoreState::S3(c) => &mut **c,
        }
    }
    pub(super) fn ledger(&mut self) -> &mut Ledger {
        self.store_mut().ledger_mut()
    }
    pub(super) fn tree(&self) -> &VersionTree {
        self.store().ledger().tree()
    }
    /// The MREC table, on paths only MREC stores take.
    pub(super) fn mrec(&mut self) -> &mut Table {
        match self {
            StoreState::Mrec(t) => t,
            _ => unreachable!("only DynamoDB MREC stores take the MREC path"),
        }
    }
    pub(super) fn is_mrec(&self) -> bool {
        matches!(self, StoreState::Mrec(_))
    }
    /// What the report needs of a finished store.
    pub(super) fn settled(&self) -> StoreSettled<'_> {
        let store = self.store();
        let (divergent_keys, shadowed) = store.divergent_and_shadowed();
        StoreSettled {
            tree: self.tree(),
            divergent_keys,
            shadowed,
            transitions: store.transitions(),
            replication_lag: store.replication_lag(),
            t_visibility: store.t_visibility(),
        }
    }
}

/// The messages of one (store, from, to) link that have not been delivered (reliable channel
/// messages lost, cut, held, or for a destination that is down; MREC copies lost), in the order
/// they were sent, and whether the link's one resend timer is pending.
#[derive(Clone, Debug, Default)]
pub(super) struct Backlog {
    pub(super) messages: VecDeque<Held>,
    pub(super) armed: bool,
}

/// A message in a link's backlog.
#[derive(Clone, Debug)]
pub(super) enum Held {
    Channel(ChannelMessage),
    /// An MREC copy for the link's destination.
    Copy(Shipment),
}

/// A channel's message, as it travels in an event.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub enum ChannelMessage {
    Quorum(QuorumMessage),
    Aurora(AuroraMessage),
    S3(S3Message),
}

/// A channel's timer, as it waits in the queue.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub enum ChannelTimer {
    Quorum(QuorumTimer),
    Aurora(AuroraTimer),
    S3(S3Timer),
}

/// Effects of some channel, with its message and timer types wrapped for the event table.
pub(super) type ChannelEffect = Effect<ChannelMessage, ChannelTimer>;

pub(super) fn wrap<M, T>(
    effects: Vec<Effect<M, T>>,
    message: fn(M) -> ChannelMessage,
    timer: fn(T) -> ChannelTimer,
) -> Vec<ChannelEffect> {
    effects
        .into_iter()
        .map(|e| match e {
            Effect::Send { from, to, message: m, reliable } => Effect::Send { from, to, message: message(m), reliable },
            Effect::Timer { delay, timer: t } => Effect::Timer { delay, timer: timer(t) },
            Effect::Reply { attempt, answer, delay } => Effect::Reply { attempt, answer, delay },
        })
        .collect()
}

impl World {
    /// Carries out a channel's effects.
    pub(super) fn apply_effects(
        &mut self,
        now: SimTime,
        store: StoreId,
        effects: Vec<ChannelEffect>,
        out: &mut Outbox<'_, Event>,
    ) {
        // Channels that measure their replicas' lag themselves report each apply, so the time
        // series of lag into each Region shows theirs as it shows MREC's and S3's.
        let lags = self.stores[store.index()].store_mut().take_recent_lags();
        for (to, committed_at, lag) in lags {
            self.recorder.replication_lag_series(to, committed_at, lag);
            self.recorder.replicated_into(store, to);
        }
        for effect in effects {
            match effect {
                Effect::Send { from, to, message, reliable } => {
                    self.send_channel_message(store, from, to, message, reliable, out)
                }
                Effect::Timer { delay, timer } => {
                    out.schedule_in(delay, Event::ChannelTimerFired { store, timer: Box::new(timer) });
                }
                Effect::Reply { attempt, answer, delay } => {
                    let request = RequestId(attempt.0);
                    let answer = self.judge_answer(now, store, request, answer);
                    out.schedule_in(delay, Event::StoreAnswered { store, request, answer });
                }
            }
        }
    }

    /// Turns a channel's answer into the world's, judging a read now, while its version is live.
    fn judge_answer(&mut self, now: SimTime, store: StoreId, request: RequestId, answer: StoreAnswer) -> Answer {
        match answer {
            // The channel stores report no order of their own (yet): their reads are judged causally.
            StoreAnswer::Written { write } => Answer::Written { write, order: None },
            StoreAnswer::Rejected(r) => Answer::Rejected(r),
            StoreAnswer::Read { version } => {
                let judged = self.pending.get_mut(&request).map(|attempt| {
                    let snapshot = attempt.newest_acked.take();
                    (snapshot, attempt.sent_at, session_of(attempt), attempt.key)
                });
                let answer = match judged {
                    Some((snapshot, began, session, key)) => {
                        let ledger = self.stores[store.index()].ledger();
                        let stale_by = ledger.judge_read(version, began, snapshot);
                        let session = ledger.session_read(session, key, version);
                        let value = self.history_writes.get(&(store, version)).copied();
                        Answer::Read { stale_by, stale_by_order: None, session, value }
                    }
                    None => {
                        Answer::Read { stale_by: None, stale_by_order: None, session: Default::default(), value: None }
                    }
                };
                // A read answer may carry a hold on the version (quorum); it is judged now.
                self.stores[store.index()].store_mut().read_judged(now, version);
                answer
            }
        }
    }

    /// Sends a channel message over the link, through any degradation in force.
    pub(super) fn send_channel_message(
        &mut self,
        store: StoreId,
        from: RegionId,
        to: RegionId,
        message: ChannelMessage,
        reliable: bool,
        out: &mut Outbox<'_, Event>,
    ) {
        // Replication impairment of the store out of `from`: stalled messages wait for the stall to
        // heal (or are lost, if the channel does not retransmit), slowed ones take longer, unless
        // the store slows its own pipeline instead (Aurora: the storage pipeline, not the network).
        if from != to {
            self.recorder.replication_message_sent(store, from, to);
        }
        let impairment = self.faults.replication_impairment(store, from);
        if from != to && impairment == Some(None) {
            if reliable {
                // Held until the stall heals.
                self.hold_reliable(store, from, to, message);
            } else {
                self.channel_message_lost(out.now(), store, from, to, message, false, out);
            }
            return;
        }
        let mut delay = sim_core::SimDuration::ZERO;
        // A store that gives this kind of message its own latency (a quorum store's W, A, R, S)
        // replaces the link's, within a Region too; faults still apply between Regions.
        let own = self.stores[store.index()].store().message_latency(from, to, &message);
        if let Some(own) = own {
            delay = own.sample_duration(&mut self.links[from.index()][to.index()]);
        }
        if from != to {
            let link = &mut self.links[from.index()][to.index()];
            if own.is_none() {
                delay = self.config.topology.sample_delay(from, to, link);
            }
            // The impairment slows the store's own replication path, not what other faults add:
            // a degraded link's extra latency is added after, never multiplied (a 50x impairment
            // over an 8 s degraded link is 8 s plus 50 times the path, not 400 s).
            if let Some(Some(factor)) = impairment
                && !self.stores[store.index()].store().slows_own_pipeline()
            {
                delay = sim_core::SimDuration::from_nanos_f64(delay.as_nanos() as f64 * factor);
            }
            if let LinkVerdict::Deliver { extra_latency, loss } = self.faults.link(from, to) {
                for extra in &extra_latency {
                    delay += extra.sample_duration(link);
                }
                if loss > 0.0 && link.chance(loss) {
                    return self.channel_message_lost(out.now(), store, from, to, message, reliable, out);
                }
            }
        }
        self.channel_messages_in_flight += 1;
        out.schedule_in(delay, Event::ChannelMessageArrived { store, from, to, message: Box::new(message), reliable });
    }

    /// Puts a reliable message at the end of its link's backlog, to wait for the path to open.
    fn hold_reliable(&mut self, store: StoreId, from: RegionId, to: RegionId, message: ChannelMessage) {
        self.backlogs.entry((store, from, to)).or_default().messages.push_back(Held::Channel(message));
    }

    /// Arms the link's one resend timer, unless it is armed.
    pub(super) fn arm_backlog(
        &mut self,
        key: (StoreId, RegionId, RegionId),
        delay: sim_core::SimDuration,
        out: &mut Outbox<'_, Event>,
    ) {
        if let Some(b) = self.backlogs.get_mut(&key).filter(|b| !b.armed && !b.messages.is_empty()) {
            b.armed = true;
            let (store, from, to) = key;
            out.schedule_in(delay, Event::ChannelBacklogDue { store, from, to });
        }
    }

    /// A link's resend timer: while the path is closed (the link cut, the destination down, the
    /// sender stalled) the backlog waits for a heal; otherwise it resends, in order, what
    /// `catch_up_rate` allows in one retry interval, and arms again if more is left.
    pub(super) fn channel_backlog_due(
        &mut self,
        store: StoreId,
        from: RegionId,
        to: RegionId,
        out: &mut Outbox<'_, Event>,
    ) {
        let key = (store, from, to);
        let Some(b) = self.backlogs.get_mut(&key) else { return };
        b.armed = false;
        let cut = matches!(self.faults.link(from, to), LinkVerdict::Cut(_));
        let stalled = matches!(self.faults.replication_impairment(store, from), Some(None));
        if cut || stalled || !self.faults.store_up(store, to) || !self.faults.store_up(store, from) {
            return;
        }
        let config = &self.config.stores[store.index()];
        let retry = config.replication_retry_interval;
        let batch = (config.catch_up_rate as u128 * retry.as_nanos() as u128 / 1_000_000_000).max(1);
        let mut batch = batch.min(usize::MAX as u128) as usize;
        while batch > 0 {
            let Some(held) = self.backlogs.get_mut(&key).and_then(|b| b.messages.pop_front()) else { break };
            match held {
                Held::Channel(message) => self.send_channel_message(store, from, to, message, true, out),
                Held::Copy(shipment) => self.send_copy(store, shipment, from, to, out),
            }
            batch -= 1;
        }
        if self.backlogs.get(&key).is_some_and(|b| b.messages.is_empty() && !b.armed) {
            self.backlogs.remove(&key);
        } else {
            self.arm_backlog(key, retry, out);
        }
    }

    /// Messages held or in flight for the channels: in the network, in the links' backlogs, and
    /// the quorum channels' catch-up entries; with MREC's copies waiting for a heal.
    pub fn channel_messages_pending(&self) -> u64 {
        let held: usize = self.backlogs.values().map(|b| b.messages.len()).sum();
        let catch_up: u64 = self.stores.iter().map(|s| s.store().catch_up_entries()).sum();
        self.channel_messages_in_flight + held as u64 + catch_up + self.waiting.len() as u64
    }

    #[allow(clippy::too_many_arguments)]
    fn channel_message_lost(
        &mut self,
        now: SimTime,
        store: StoreId,
        from: RegionId,
        to: RegionId,
        message: ChannelMessage,
        reliable: bool,
        out: &mut Outbox<'_, Event>,
    ) {
        self.recorder.replication_message_lost(now, from);
        if reliable {
            let retry = self.config.stores[store.index()].replication_retry_interval;
            self.hold_reliable(store, from, to, message);
            self.arm_backlog((store, from, to), retry, out);
        } else {
            let effects = self.stores[store.index()].store_mut().message_lost(now, from, to, &message);
            self.apply_effects(now, store, effects, out);
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn channel_message_arrived(
        &mut self,
        now: SimTime,
        store: StoreId,
        from: RegionId,
        to: RegionId,
        message: ChannelMessage,
        reliable: bool,
        out: &mut Outbox<'_, Event>,
    ) {
        self.channel_messages_in_flight -= 1;
        let verdict = if from == to {
            LinkVerdict::Deliver { extra_latency: vec![], loss: 0.0 }
        } else {
            self.faults.link(from, to)
        };
        match verdict {
            // Held in the network until the partition heals.
            LinkVerdict::Cut(PartitionMode::Hold) if reliable => self.hold_reliable(store, from, to, message),
            LinkVerdict::Cut(_) => self.channel_message_lost(now, store, from, to, message, reliable, out),
            LinkVerdict::Deliver { .. } if !self.faults.store_up(store, to) => {
                if reliable {
                    // The destination takes it when it is back.
                    self.hold_reliable(store, from, to, message);
                } else {
                    self.channel_message_lost(now, store, from, to, message, false, out);
                }
            }
            LinkVerdict::Deliver { .. } => {
                let delivered = self.stores[store.index()].store_mut().message(now, from, to, message);
                if let Some(lag) = delivered.observed_lag {
                    self.recorder.replication_lag_observed(now, store, to, lag);
                    self.recorder.replicated_into(store, to);
                }
                self.apply_effects(now, store, delivered.effects, out);
            }
        }
    }

    pub(super) fn channel_timer_fired(
        &mut self,
        now: SimTime,
        store: StoreId,
        timer: ChannelTimer,
        out: &mut Outbox<'_, Event>,
    ) {
        let effects = self.stores[store.index()].store_mut().timer(now, timer);
        self.apply_effects(now, store, effects, out);
    }

    /// A reliable message that can never be delivered (its Region never came back) lets go of
    /// whatever it held.
    pub(super) fn abandon_channel_message(&mut self, now: SimTime, store: StoreId, message: &ChannelMessage) {
        self.stores[store.index()].store_mut().abandon(now, message);
    }

    /// The channel's judged answer leaves the Region for the client.
    pub(super) fn store_answered(
        &mut self,
        now: SimTime,
        store: StoreId,
        request: RequestId,
        answer: Answer,
        out: &mut Outbox<'_, Event>,
    ) {
        if self.pending.contains_key(&request) {
            self.respond(now, request, answer, out);
        } else if let Answer::Written { write, .. } = answer {
            // Nobody waits for it any more: the answer's hold goes.
            self.stores[store.index()].ledger().release(write, now);
        }
    }

    /// A replication impairment of `store` began or healed: a store that slows its own pipeline
    /// hears the slowdown now in force out of every Region (1 where none; a stall is the world's,
    /// which holds the store's messages while it lasts).
    pub(super) fn replication_slowdown_changed(&mut self, store: StoreId) {
        if !self.stores[store.index()].store().slows_own_pipeline() {
            return;
        }
        for r in self.config.topology.regions() {
            let factor = match self.faults.replication_impairment(store, r) {
                Some(Some(factor)) => factor,
                _ => 1.0,
            };
            self.stores[store.index()].store_mut().set_replication_slowdown(r, factor);
        }
    }

    /// Channel stores hear that their member in `region` went down or came back: every store's for a
    /// whole-Region outage (`only` none), one store's for an outage of that store.
    pub(super) fn stores_region_changed(
        &mut self,
        now: SimTime,
        region: RegionId,
        up: bool,
        only: Option<StoreId>,
        out: &mut Outbox<'_, Event>,
    ) {
        for i in 0..self.stores.len() {
            if only.is_some_and(|s| s.index() != i) {
                continue;
            }
            let effects = self.stores[i].store_mut().region_changed(now, region, up);
            self.apply_effects(now, StoreId::new(i), effects, out);
        }
    }
}
