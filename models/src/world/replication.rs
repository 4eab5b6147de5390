//! Replication between replicas, through the network and its faults.
//!
//! A write's journey: the writing Region's pipeline ships it after the store's replication delay
//! (`ReplicationShipped`); a replica that cannot ship (its Region or store down, replication
//! stalled) keeps it until it can. Each other replica is then sent a copy over the link
//! (`send_copy`): a degraded link adds latency and may lose the copy; a partition met on arrival
//! cuts the copy, which is either lost or held in the network until the partition heals; a replica
//! that is down on arrival takes it when it is back. A lost copy joins the backlog of its
//! (store, from, to) link, as the channel stores' reliable messages do (see `stores`): one queue and
//! one resend timer per link, which waits while the path is closed and resends in order, at most
//! `catch_up_rate` copies a second, once it opens. So a partition in drop mode costs the copies it
//! holds back, not a resend timer per copy firing every retry interval while it lasts. Everything
//! that waits is re-examined when any fault heals, so nothing is delivered through a fault still in
//! force.

use sim_core::{Outbox, SimDuration, SimTime};

use super::stores::Held;
use super::{Event, World};
use crate::faults::{LinkVerdict, PartitionMode};
use crate::ids::{RegionId, StoreId};
use crate::stores::mrec::Shipment;

/// A replication message waiting for a fault to heal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Waiting {
    /// Not shipped yet by `from`.
    Unshipped { store: StoreId, shipment: Shipment, from: RegionId },
    /// A copy for `to`, held in the network or by the destination.
    Copy { store: StoreId, shipment: Shipment, from: RegionId, to: RegionId },
}

impl World {
    /// The pipeline delay of a write committed now in `from`, slowed by any impairment in force.
    pub(super) fn pipeline_delay(&mut self, store: StoreId, from: RegionId, sampled: SimDuration) -> SimDuration {
        match self.faults.replication_impairment(store, from) {
            Some(Some(factor)) => SimDuration::from_nanos_f64(sampled.as_nanos() as f64 * factor),
            _ => sampled,
        }
    }

    /// The replica of `store` in `from` can send replication messages: it is up and its replication
    /// is not stalled.
    fn can_send(&self, store: StoreId, from: RegionId) -> bool {
        let stalled = matches!(self.faults.replication_impairment(store, from), Some(None));
        self.faults.store_up(store, from) && !stalled
    }

    pub(super) fn replication_shipped(
        &mut self,
        now: SimTime,
        store: StoreId,
        shipment: Shipment,
        from: RegionId,
        out: &mut Outbox<'_, Event>,
    ) {
        self.stores[store.index()].mrec().passed(shipment.key, from, None, now);
        if !self.can_send(store, from) {
            self.waiting.push(Waiting::Unshipped { store, shipment, from });
            return;
        }
        let targets = self.stores[store.index()].mrec().ship(now, &shipment, from);
        for to in targets {
            self.send_copy(store, shipment, from, to, out);
        }
    }

    /// Sends one copy over the link `from -> to`, through any degradation in force.
    pub(super) fn send_copy(
        &mut self,
        store: StoreId,
        shipment: Shipment,
        from: RegionId,
        to: RegionId,
        out: &mut Outbox<'_, Event>,
    ) {
        self.recorder.replication_message_sent(store, from, to);
        let link = &mut self.links[from.index()][to.index()];
        let mut delay = self.config.topology.sample_delay(from, to, link);
        if let LinkVerdict::Deliver { extra_latency, loss } = self.faults.link(from, to) {
            for extra in &extra_latency {
                delay += extra.sample_duration(link);
            }
            if loss > 0.0 && link.chance(loss) {
                self.copy_lost(out.now(), store, shipment, from, to, out);
                return;
            }
        }
        let at =
            self.stores[store.index()].mrec().in_order(shipment.key, from, Some(to), out.now().saturating_add(delay));
        out.schedule_at(at, Event::ReplicationArrived { store, shipment, from, to });
    }

    /// A copy was lost in the network: it joins its link's backlog, whose one timer resends it after
    /// the retry interval if the path is open then, or when a heal opens it.
    fn copy_lost(
        &mut self,
        now: SimTime,
        store: StoreId,
        shipment: Shipment,
        from: RegionId,
        to: RegionId,
        out: &mut Outbox<'_, Event>,
    ) {
        self.recorder.replication_message_lost(now, from);
        self.backlogs.entry((store, from, to)).or_default().messages.push_back(Held::Copy(shipment));
        let retry = self.config.stores[store.index()].replication_retry_interval;
        self.arm_backlog((store, from, to), retry, out);
    }

    pub(super) fn replication_arrived(
        &mut self,
        now: SimTime,
        store: StoreId,
        shipment: Shipment,
        from: RegionId,
        to: RegionId,
        out: &mut Outbox<'_, Event>,
    ) {
        self.stores[store.index()].mrec().passed(shipment.key, from, Some(to), now);
        match self.faults.link(from, to) {
            LinkVerdict::Cut(PartitionMode::Hold) => {
                self.waiting.push(Waiting::Copy { store, shipment, from, to });
            }
            LinkVerdict::Cut(PartitionMode::Drop) => self.copy_lost(now, store, shipment, from, to, out),
            LinkVerdict::Deliver { .. } if !self.faults.store_up(store, to) => {
                self.waiting.push(Waiting::Copy { store, shipment, from, to });
            }
            LinkVerdict::Deliver { .. } => {
                let asked = self.operation_may_ask(shipment.operation);
                self.recorder.replication_applied(now, store, to, shipment.committed_at);
                self.recorder.replicated_into(store, to);
                self.stores[store.index()].mrec().apply_remote(now, to, &shipment, asked);
            }
        }
    }

    /// After a fault heals: everything that waited goes again, and waits again if it still must.
    pub(super) fn release_waiting(&mut self, out: &mut Outbox<'_, Event>) {
        for w in std::mem::take(&mut self.waiting) {
            match w {
                Waiting::Unshipped { store, shipment, from } => {
                    out.schedule_in(SimDuration::ZERO, Event::ReplicationShipped { store, shipment, from });
                }
                Waiting::Copy { store, shipment, from, to } => {
                    out.schedule_in(SimDuration::ZERO, Event::ReplicationArrived { store, shipment, from, to });
                }
            }
        }
        let links: Vec<_> = self.backlogs.keys().copied().collect();
        for key in links {
            self.arm_backlog(key, SimDuration::ZERO, out);
        }
    }

    /// At the end of the drain: what still waits belongs to a Region that never came back.
    pub(super) fn abandon_waiting(&mut self, now: SimTime) {
        for w in std::mem::take(&mut self.waiting) {
            match w {
                Waiting::Unshipped { store, shipment, .. } | Waiting::Copy { store, shipment, .. } => {
                    self.stores[store.index()].mrec().abandon(now, shipment.write)
                }
            }
        }
        for ((store, ..), backlog) in std::mem::take(&mut self.backlogs) {
            for held in &backlog.messages {
                match held {
                    Held::Channel(message) => self.abandon_channel_message(now, store, message),
                    Held::Copy(shipment) => self.stores[store.index()].mrec().abandon(now, shipment.write),
                }
            }
        }
    }
}
