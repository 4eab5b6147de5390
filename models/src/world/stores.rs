//! The stores of the world, whatever their replication, and the machinery that carries out what the
//! effect-driven channels ask (see [`crate::channel`]).
//!
//! DynamoDB MREC (`mrec::Table`) has its own events (`ReplicationShipped`, ...), older than the
//! channel vocabulary. Every other store is a channel: the world calls it with attempts, messages and
//! timers and carries out its effects. A message between Regions meets the network's faults exactly
//! as a replication copy does: a degraded link delays or loses it, a partition cuts it on arrival, a
//! store that is down cannot take it. A *reliable* message is then resent after the store's retry
//! interval, or held until the fault heals; an unreliable one is lost, and the channel is told so
//! (it learns by its own timer, and lets go of what the message carried).
//!
//! A read is judged the moment the channel answers it, while the version it returned is certainly
//! live; the judged answer then travels back to the client.

use sim_core::{Outbox, Seed, SimTime};

use super::replication::Waiting;
use super::requests::Answer;
use super::{Event, World};
use crate::aurora::{AuroraChannel, AuroraMessage, AuroraTimer};
use crate::channel::{Effect, StoreAnswer};
use crate::checker::VersionTree;
use crate::config::{StoreConfig, StoreKind};
use crate::faults::{LinkVerdict, PartitionMode};
use crate::ids::{RegionId, RequestId, StoreId};
use crate::ledger::Ledger;
use crate::mrec::Table;
use crate::quorum::{QuorumChannel, QuorumMessage, QuorumTimer};
use crate::report::StoreSettled;
use crate::s3::{S3Channel, S3Message, S3Timer};

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
        StoreKind::DynamoDbMrec => StoreState::Mrec(Box::new(Table::new(id, config, regions, stream("replication")))),
        StoreKind::Quorum(q) => StoreState::Quorum(Box::new(QuorumChannel::new(id, q.clone()))),
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
                    (snapshot, attempt.sent_at, super::requests::session_of(attempt), attempt.key)
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
                self.waiting.push(Waiting::ChannelUnsent { store, from, to, message });
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
        out.schedule_in(delay, Event::ChannelMessageArrived { store, from, to, message: Box::new(message), reliable });
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
            out.schedule_in(retry, Event::ChannelMessageResent { store, from, to, message: Box::new(message) });
        } else if let (StoreState::Quorum(q), ChannelMessage::Quorum(m)) = (&mut self.stores[store.index()], &message) {
            q.message_lost(now, m);
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
        let verdict = if from == to {
            LinkVerdict::Deliver { extra_latency: vec![], loss: 0.0 }
        } else {
            self.faults.link(from, to)
        };
        match verdict {
            LinkVerdict::Cut(PartitionMode::Hold) if reliable => {
                self.waiting.push(Waiting::ChannelCopy { store, from, to, message });
            }
            LinkVerdict::Cut(_) => self.channel_message_lost(now, store, from, to, message, reliable, out),
            LinkVerdict::Deliver { .. } if !self.faults.store_up(store, to) => {
                if reliable {
                    self.waiting.push(Waiting::ChannelCopy { store, from, to, message });
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
            (StoreState::Quorum(q), ChannelMessage::Quorum(m)) => q.message_lost(now, m),
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
