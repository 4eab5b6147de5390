//! The stores of the world, whatever their replication, and the machinery that carries out what the
//! effect-driven channels ask (see [`crate::channel`]).
//!
//! DynamoDB MREC (`mrec::Table`) has its own events (`ReplicationShipped`, ...), older than the
//! channel vocabulary. Every other store is a channel: the world calls it with attempts, messages and
//! timers and carries out its effects. A message between Regions meets the network's faults exactly
//! as a replication copy does: a degraded link delays or loses it, a partition cuts it on arrival, a
//! store that is down cannot take it. A *reliable* message is then resent after the store's retry
//! interval, or held until the fault heals; an unreliable one is simply lost, and the channel learns
//! by its own timer.

use sim_core::{Outbox, SimTime};

use super::replication::Waiting;
use super::{Event, World};
use crate::aurora::{AuroraChannel, AuroraMessage, AuroraTimer};
use crate::channel::{Effect, StoreAnswer};
use crate::checker::VersionTree;
use crate::faults::{LinkVerdict, PartitionMode};
use crate::ids::{RegionId, RequestId, StoreId};
use crate::ledger::Ledger;
use crate::mrec::Table;

/// One store of the world.
pub(super) enum StoreState {
    Mrec(Table),
    Aurora(Box<AuroraChannel>),
}

impl StoreState {
    pub(super) fn ledger(&mut self) -> &mut Ledger {
        match self {
            StoreState::Mrec(t) => t.ledger(),
            StoreState::Aurora(a) => a.ledger_mut(),
        }
    }
    pub(super) fn tree(&self) -> &VersionTree {
        match self {
            StoreState::Mrec(t) => t.tree(),
            StoreState::Aurora(a) => a.ledger().tree(),
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
    pub(super) fn divergent_keys(&self) -> u64 {
        match self {
            StoreState::Mrec(t) => t.divergent_keys(),
            // The channels converge their clusters by construction (Aurora secondaries follow one
            // writer); a channel that can diverge reports it here.
            StoreState::Aurora(_) => 0,
        }
    }
    pub(super) fn finish(&mut self, now: SimTime, down: &[bool]) {
        match self {
            StoreState::Mrec(t) => t.finish(now, down),
            StoreState::Aurora(a) => a.finish(now, down),
        }
    }
}

/// A channel's message, as it travels in an event.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub enum ChannelMessage {
    Aurora(AuroraMessage),
}

/// A channel's timer, as it waits in the queue.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub enum ChannelTimer {
    Aurora(AuroraTimer),
}

/// Effects of some channel, with its message and timer types wrapped for the event table.
pub(super) type ChannelEffect = Effect<ChannelMessage, ChannelTimer>;

pub(super) fn wrap_aurora(effects: Vec<Effect<AuroraMessage, AuroraTimer>>) -> Vec<ChannelEffect> {
    effects
        .into_iter()
        .map(|e| match e {
            Effect::Send { from, to, message, reliable } => {
                Effect::Send { from, to, message: ChannelMessage::Aurora(message), reliable }
            }
            Effect::Timer { delay, timer } => Effect::Timer { delay, timer: ChannelTimer::Aurora(timer) },
            Effect::Reply { attempt, answer, delay } => Effect::Reply { attempt, answer, delay },
        })
        .collect()
}

impl World {
    /// Carries out a channel's effects.
    pub(super) fn apply_effects(&mut self, store: StoreId, effects: Vec<ChannelEffect>, out: &mut Outbox<'_, Event>) {
        for effect in effects {
            match effect {
                Effect::Send { from, to, message, reliable } => {
                    self.send_channel_message(store, from, to, message, reliable, out)
                }
                Effect::Timer { delay, timer } => {
                    out.schedule_in(delay, Event::ChannelTimerFired { store, timer });
                }
                Effect::Reply { attempt, answer, delay } => {
                    out.schedule_in(delay, Event::StoreAnswered { request: RequestId(attempt.0), answer });
                }
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
        let link = &mut self.links[from.index()][to.index()];
        let mut delay = if from == to { sim_core::SimDuration::ZERO } else { self.config.topology.sample_delay(from, to, link) };
        if let LinkVerdict::Deliver { extra_latency, loss } = self.faults.link(from, to) {
            for extra in &extra_latency {
                delay += extra.sample_duration(link);
            }
            if loss > 0.0 && link.chance(loss) {
                return self.channel_message_lost(store, from, to, message, reliable, out);
            }
        }
        out.schedule_in(delay, Event::ChannelMessageArrived { store, from, to, message, reliable });
    }

    fn channel_message_lost(
        &mut self,
        store: StoreId,
        from: RegionId,
        to: RegionId,
        message: ChannelMessage,
        reliable: bool,
        out: &mut Outbox<'_, Event>,
    ) {
        self.recorder.replication_message_lost(out.now(), from);
        if reliable {
            let retry = self.config.stores[store.index()].replication_retry_interval;
            out.schedule_in(retry, Event::ChannelMessageResent { store, from, to, message });
        }
    }

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
        let verdict = if from == to { LinkVerdict::Deliver { extra_latency: vec![], loss: 0.0 } } else { self.faults.link(from, to) };
        match verdict {
            LinkVerdict::Cut(PartitionMode::Hold) if reliable => {
                self.waiting.push(Waiting::ChannelCopy { store, from, to, message });
            }
            LinkVerdict::Cut(_) => self.channel_message_lost(store, from, to, message, reliable, out),
            LinkVerdict::Deliver { .. } if !self.faults.store_up(store, to) => {
                if reliable {
                    self.waiting.push(Waiting::ChannelCopy { store, from, to, message });
                }
            }
            LinkVerdict::Deliver { .. } => {
                let effects = match (&mut self.stores[store.index()], message) {
                    (StoreState::Aurora(a), ChannelMessage::Aurora(m)) => wrap_aurora(a.on_message(now, from, to, m)),
                    _ => unreachable!("a channel message goes to a store of its own kind"),
                };
                self.apply_effects(store, effects, out);
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
            (StoreState::Aurora(a), ChannelTimer::Aurora(t)) => wrap_aurora(a.on_timer(now, t)),
            _ => unreachable!("a channel timer goes to a store of its own kind"),
        };
        self.apply_effects(store, effects, out);
    }

    /// A reliable message that can never be delivered (its Region never came back) lets go of
    /// whatever it held.
    pub(super) fn abandon_channel_message(&mut self, now: SimTime, store: StoreId, message: &ChannelMessage) {
        match (&mut self.stores[store.index()], message) {
            (StoreState::Aurora(a), ChannelMessage::Aurora(m)) => a.abandon(now, m),
            _ => unreachable!("a channel message belongs to a store of its own kind"),
        }
    }

    /// The channel answered an attempt.
    pub(super) fn store_answered(
        &mut self,
        now: SimTime,
        request: RequestId,
        answer: StoreAnswer,
        out: &mut Outbox<'_, Event>,
    ) {
        self.channel_answer(now, request, answer, out);
    }
}
