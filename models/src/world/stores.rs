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

use sim_core::{Outbox, Seed, SimTime};

use std::collections::VecDeque;

use super::attempts::{Answer, session_of};
use super::{Event, World};
use crate::checker::VersionTree;
use crate::config::{StoreConfig, StoreKind};
use crate::faults::{LinkVerdict, PartitionMode};
use crate::ids::{RegionId, RequestId, StoreId};
use crate::ledger::Ledger;
use crate::report::StoreSettled;
use crate::stores::aurora::{AuroraChannel, AuroraMessage, AuroraTimer};
use crate::stores::channel::{Effect, StoreAnswer};
use crate::stores::mrec::{Shipment, Table};
use crate::stores::quorum::{QuorumChannel, QuorumMessage, QuorumTimer};
use crate::stores::s3::{S3Channel, S3Message, S3Timer};

/// One store of the world.
pub(super) enum StoreState {
    Mrec(Box<Table>),
    Quorum(Box<QuorumChannel>),
    Aurora(Box<AuroraChannel>),
    S3(Box<S3Channel>),
}

/// Builds store `id` from its configuration; each draws from streams named after the store.
pub(super) fn build(id: StoreId, config: &StoreConfig, regions: usize, seed: Seed) -> StoreState {
    let stream = |purpose: &str| seed.stream(&format!("store/{}/{purpose}", config.name));
    match &config.kind {
        StoreKind::DynamoDbMrec => {
            let pipeline = (config.replication_delay.clone(), config.per_item_order);
            StoreState::Mrec(Box::new(Table::new(id, &config.regions, regions, pipeline, stream("replication"))))
        }
        StoreKind::Quorum(q) => {
            StoreState::Quorum(Box::new(QuorumChannel::new(id, q.clone()).with_catch_up_rate(config.catch_up_rate)))
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

impl StoreState {
    pub(super) fn ledger(&mut self) -> &mut Ledger {
        match self {
            StoreState::Mrec(t) => t.ledger(),
            StoreState::Quorum(q) => q.ledger_mut(),
            StoreState::Aurora(a) => a.ledger_mut(),
            StoreState::S3(c) => c.ledger_mut(),
        }
    }
    pub(super) fn tree(&self) -> &VersionTree {
        match self {
            StoreState::Mrec(t) => t.tree(),
            StoreState::Quorum(q) => q.ledger().tree(),
            StoreState::Aurora(a) => a.ledger().tree(),
            StoreState::S3(c) => c.ledger().tree(),
        }
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
    pub(super) fn finish(&mut self, now: SimTime, down: &[bool]) {
        match self {
            StoreState::Mrec(t) => t.finish(now, down),
            StoreState::Quorum(q) => q.finish(now),
            StoreState::Aurora(a) => a.finish(now, down),
            StoreState::S3(c) => c.finish(now, down),
        }
    }
    /// What the report needs of a finished store.
    pub(super) fn settled(&self) -> StoreSettled<'_> {
        let (divergent_keys, shadowed) = match self {
            StoreState::Mrec(t) => (t.divergent_keys(), 0),
            StoreState::Quorum(q) => (q.divergent_keys(), 0),
            // Secondaries follow one writer: they cannot disagree once the drain is over.
            StoreState::Aurora(_) => (0, 0),
            StoreState::S3(c) => (c.divergent_keys().len() as u64, c.shadowed()),
        };
        let transitions = match self {
            StoreState::Aurora(a) => a.transitions().to_vec(),
            _ => Vec::new(),
        };
        let replication_lag = match self {
            StoreState::Aurora(a) => {
                let mut all = sim_core::Histogram::new();
                for r in 0..a.regions() {
                    if let Some(h) = a.apply_lags(RegionId::new(r)) {
                        all.merge(h);
                    }
                }
                Some(all)
            }
            StoreState::Quorum(q) => {
                let mut all = sim_core::Histogram::new();
                for (_, h) in q.apply_lags() {
                    all.merge(h);
                }
                Some(all)
            }
            _ => None,
        };
        StoreSettled { tree: self.tree(), divergent_keys, shadowed, transitions, replication_lag }
    }
    /// Region hooks: a channel's member in `region` went down or came back.
    pub(super) fn region_changed(&mut self, now: SimTime, region: RegionId, up: bool) -> Vec<ChannelEffect> {
        match self {
            StoreState::Quorum(q) => wrap(
                if up { q.region_up(now, region) } else { q.region_down(now, region) },
                ChannelMessage::Quorum,
                ChannelTimer::Quorum,
            ),
            StoreState::Aurora(a) => wrap(
                if up { a.region_up(now, region) } else { a.region_down(now, region) },
                ChannelMessage::Aurora,
                ChannelTimer::Aurora,
            ),
            StoreState::Mrec(_) | StoreState::S3(_) => Vec::new(),
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
        let lags = match &mut self.stores[store.index()] {
            StoreState::Quorum(q) => q.take_recent_lags(),
            StoreState::Aurora(a) => a.take_recent_lags(),
            StoreState::Mrec(_) | StoreState::S3(_) => Vec::new(),
        };
        for (to, committed_at, lag) in lags {
            self.recorder.replication_lag_series(to, committed_at, lag);
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
            StoreAnswer::Written { write } => Answer::Written { write },
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
                        Answer::Read { stale_by, session, value }
                    }
                    None => Answer::Read { stale_by: None, session: Default::default(), value: None },
                };
                // The quorum channel's read answers carry a hold on the version; it is judged now.
                if let StoreState::Quorum(q) = &mut self.stores[store.index()] {
                    q.ledger_mut().release(version, now);
                }
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
        // heal (or are lost, if the channel does not retransmit), slowed ones take longer.
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
        if from != to {
            let link = &mut self.links[from.index()][to.index()];
            delay = self.config.topology.sample_delay(from, to, link);
            if let LinkVerdict::Deliver { extra_latency, loss } = self.faults.link(from, to) {
                for extra in &extra_latency {
                    delay += extra.sample_duration(link);
                }
                if loss > 0.0 && link.chance(loss) {
                    return self.channel_message_lost(out.now(), store, from, to, message, reliable, out);
                }
            }
        }
        if let Some(Some(factor)) = impairment {
            delay = sim_core::SimDuration::from_nanos_f64(delay.as_nanos() as f64 * factor);
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
        let catch_up: u64 = self
            .stores
            .iter()
            .map(|s| match s {
                StoreState::Quorum(q) => q.catch_up_entries(),
                _ => 0,
            })
            .sum();
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
        } else if let (StoreState::Quorum(q), ChannelMessage::Quorum(m)) = (&mut self.stores[store.index()], &message) {
            let effects = wrap(q.message_lost(now, from, to, m), ChannelMessage::Quorum, ChannelTimer::Quorum);
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
                let effects = match (&mut self.stores[store.index()], message) {
                    (StoreState::Quorum(q), ChannelMessage::Quorum(m)) => {
                        wrap(q.on_message(now, from, to, m), ChannelMessage::Quorum, ChannelTimer::Quorum)
                    }
                    (StoreState::Aurora(a), ChannelMessage::Aurora(m)) => {
                        wrap(a.on_message(now, from, to, m), ChannelMessage::Aurora, ChannelTimer::Aurora)
                    }
                    (StoreState::S3(c), ChannelMessage::S3(m)) => {
                        let applied = c.on_message(now, from, to, m);
                        if !applied.batch {
                            self.recorder.replication_lag_observed(now, store, to, applied.lag);
                        }
                        Vec::new()
                    }
                    _ => unreachable!("a channel message goes to a store of its own kind"),
                };
                self.apply_effects(now, store, effects, out);
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
        let effects = match (&mut self.stores[store.index()], timer) {
            (StoreState::Quorum(q), ChannelTimer::Quorum(t)) => {
                wrap(q.on_timer(now, t), ChannelMessage::Quorum, ChannelTimer::Quorum)
            }
            (StoreState::Aurora(a), ChannelTimer::Aurora(t)) => {
                wrap(a.on_timer(now, t), ChannelMessage::Aurora, ChannelTimer::Aurora)
            }
            (StoreState::S3(c), ChannelTimer::S3(t)) => wrap(c.on_timer(now, t), ChannelMessage::S3, ChannelTimer::S3),
            _ => unreachable!("a channel timer goes to a store of its own kind"),
        };
        self.apply_effects(now, store, effects, out);
    }

    /// A reliable message that can never be delivered (its Region never came back) lets go of
    /// whatever it held.
    pub(super) fn abandon_channel_message(&mut self, now: SimTime, store: StoreId, message: &ChannelMessage) {
        match (&mut self.stores[store.index()], message) {
            (StoreState::Quorum(q), ChannelMessage::Quorum(m)) => q.abandon(now, m),
            (StoreState::Aurora(a), ChannelMessage::Aurora(m)) => a.abandon(now, m),
            (StoreState::S3(c), ChannelMessage::S3(S3Message::Replicate(r))) => c.abandon(now, r),
            _ => unreachable!("a channel message belongs to a store of its own kind"),
        }
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
        } else if let Answer::Written { write } = answer {
            // Nobody waits for it any more: the answer's hold goes.
            self.stores[store.index()].ledger().release(write, now);
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
            let effects = self.stores[i].region_changed(now, region, up);
            self.apply_effects(now, StoreId::new(i), effects, out);
        }
    }
}
