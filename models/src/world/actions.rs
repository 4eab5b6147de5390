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
            ActionKind::RoutingControl { control, on } => {
                let name = self.config.routing.routing_controls[control].name.clone();
                let result = self.routing.set_control(control, on);
                if result.is_ok() {
                    let state = if on { "on" } else { "off" };
                    self.recorder.routing_event(now, "routing_control", format!("{name} {state}"));
                }
                self.recorder.action(now, action, result.map(|()| format!("{name} {}", if on { "on" } else { "off" })));
            }
            ActionKind::Route53RecordChange { .. } => {
                let r53 = self.config.routing.route53.as_ref().expect("validated: a record change needs route53");
                match r53.control_plane_region {
                    Some(cp) if !self.faults.control_plane_up(cp) => self.recorder.action(
                        now,
                        action,
                        Err(format!(
                            "refused: Route 53's control plane ({}) is unavailable",
                            self.config.topology.name(cp)
                        )),
                    ),
                    _ => {
                        let applied = now + r53.change_propagation;
                        self.recorder.action(now, action, Ok(format!("submitted; in sync at {applied}")));
                        out.schedule_at(applied, Event::RecordChangeApplied { action });
                    }
                }
            }
            ActionKind::TrafficDial { group, percentage } => {
                let ga = self.config.routing.accelerator.as_ref().expect("validated: a dial needs an accelerator");
                let region = self.config.topology.name(ga.endpoint_groups[group].region).to_string();
                match ga.control_plane_region {
                    Some(cp) if !self.faults.control_plane_up(cp) => self.recorder.action(
                        now,
                        action,
                        Err(format!(
                            "refused: Global Accelerator's control plane ({}) is unavailable",
                            self.config.topology.name(cp)
                        )),
                    ),
                    _ => {
                        self.routing.accelerator_mut().expect("validated").set_dial(group, percentage);
                        self.recorder.routing_event(now, "traffic_dial", format!("{region} dial {percentage}%"));
                        self.recorder.action(now, action, Ok(format!("{region} dial {percentage}%")));
                    }
                }
            }
        }
    }

    /// A Route 53 record change reaches the authoritative servers.
    pub(super) fn record_change_applied(&mut self, now: SimTime, action: usize) {
        let ActionKind::Route53RecordChange { record, weight, present } = self.config.actions[action].kind else {
            return;
        };
        let region = self.config.routing.route53.as_ref().expect("validated").records[record].region;
        let region = self.config.topology.name(region).to_string();
        let r53 = self.routing.route53_mut().expect("validated: a record change needs route53");
        let what = match r53.change_record(record, weight, present) {
            Ok(()) => {
                let mut parts = Vec::new();
                if let Some(w) = weight {
                    parts.push(format!("weight {w}"));
                }
                if let Some(p) = present {
                    parts.push(if p { "restored".to_string() } else { "withdrawn".to_string() });
                }
                format!("record {region}: {}", parts.join(", "))
            }
            Err(e) => format!("record {region}: {e}"),
        };
        self.recorder.routing_event(now, "record_change", what);
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
