//! Runbook actions: scheduled changes an operator (or automation) makes, and whether they worked.
//! An action that needs a control plane fails while that control plane is out, and the report
//! says so.

use sim_core::{Outbox, SimTime};

use super::stores::{StoreState, wrap};
use super::{ChannelMessage, ChannelTimer, Event, World};
use crate::config::ActionKind;
use crate::ids::RegionId;

impl World {
    pub(super) fn action_due(&mut self, now: SimTime, action: usize, out: &mut Outbox<'_, Event>) {
        match self.config.actions[action].kind.clone() {
            ActionKind::ScaleOut { region, servers, provisioning_delay } => {
                let control_plane_up = self.faults.control_plane_up(region);
                let tier = self.tiers[region.index()].as_mut().expect("validated: scale-out needs an app tier");
                match tier.request_scale_out(now, servers, provisioning_delay, control_plane_up) {
                    Ok(ready_at) => {
                        self.recorder.action(now, action, Ok(format!("{servers} servers ready at {ready_at}")));
                        out.schedule_at(ready_at, Event::ScaleOutReady { region, servers });
                    }
                    Err(e) => self.recorder.action(now, action, Err(e.to_string())),
                }
            }
            ActionKind::Repin { from, to } => {
                for home in &mut self.home_of {
                    if *home == from {
                        *home = to;
                    }
                }
                let names = (self.config.topology.name(from), self.config.topology.name(to));
                self.recorder.action(
                    now,
                    action,
                    Ok(format!("writes of users homed in {} go to {}", names.0, names.1)),
                );
            }
            ActionKind::AuroraSwitchover { store, target } => {
                let result = match &mut self.stores[store.index()] {
                    StoreState::Aurora(a) => {
                        a.switchover(now, target).map(|fx| wrap(fx, ChannelMessage::Aurora, ChannelTimer::Aurora))
                    }
                    _ => Err("not an Aurora Global Database".to_string()),
                };
                self.channel_action(now, action, store, result, out);
            }
            ActionKind::AuroraFailover { store, target } => {
                let control_plane_up = self.faults.control_plane_up(target);
                let result = match &mut self.stores[store.index()] {
                    StoreState::Aurora(a) => a
                        .failover(now, target, control_plane_up)
                        .map(|fx| wrap(fx, ChannelMessage::Aurora, ChannelTimer::Aurora)),
                    _ => Err("not an Aurora Global Database".to_string()),
                };
                self.channel_action(now, action, store, result, out);
            }
            ActionKind::AuroraAddInstance { store, region } => {
                let control_plane_up = self.faults.control_plane_up(region);
                let result = match &mut self.stores[store.index()] {
                    StoreState::Aurora(a) => a
                        .add_instance(now, region, control_plane_up)
                        .map(|fx| wrap(fx, ChannelMessage::Aurora, ChannelTimer::Aurora)),
                    _ => Err("not an Aurora Global Database".to_string()),
                };
                self.channel_action(now, action, store, result, out);
            }
            ActionKind::S3BatchReplication { store } => {
                let source = self.config.stores[store.index()].regions.first().copied();
                let control_plane_up = source.is_none_or(|r| self.faults.control_plane_up(r));
                let result = match &mut self.stores[store.index()] {
                    StoreState::S3(c) => c
                        .batch_replicate(now, control_plane_up)
                        .map(|fx| wrap(fx, ChannelMessage::S3, ChannelTimer::S3))
                        .map_err(|_| "batch replication refused: the control plane is unavailable".to_string()),
                    _ => Err("not an S3 replication store".to_string()),
                };
                self.channel_action(now, action, store, result, out);
            }
        }
    }

    /// Records a channel action's outcome and carries out its effects.
    fn channel_action(
        &mut self,
        now: SimTime,
        action: usize,
        store: crate::ids::StoreId,
        result: Result<Vec<super::stores::ChannelEffect>, String>,
        out: &mut Outbox<'_, Event>,
    ) {
        match result {
            Ok(effects) => {
                self.recorder.action(now, action, Ok("started".to_string()));
                self.apply_effects(now, store, effects, out);
            }
            Err(e) => self.recorder.action(now, action, Err(e)),
        }
    }

    pub(super) fn scale_out_ready(
        &mut self,
        now: SimTime,
        region: RegionId,
        servers: u32,
        out: &mut Outbox<'_, Event>,
    ) {
        let tier = self.tiers[region.index()].as_mut().expect("a scale-out belongs to an app tier");
        let completion = tier.scale_out_ready(now, servers, &mut self.service[region.index()]);
        self.start_services(now, region, completion, out);
    }
}
