//! Runbook actions: scheduled changes an operator (or automation) makes, and whether they worked.
//! An action that needs a control plane fails while that control plane is out, and the report
//! says so.

use sim_core::{Outbox, SimTime};

use super::{Event, World};
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
