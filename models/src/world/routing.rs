//! The routing tier's side of the world: health checkers probing the Regions, verdicts that flip
//! routing, runbook conditions and alarms that set actions off.

use sim_core::{Outbox, SimTime};

use super::stores::StoreState;
use super::{Event, World};
use crate::alarm::{AlarmMetric, AlarmState};
use crate::config::Trigger;
use crate::faults::LinkVerdict;
use crate::ids::{RegionId, StoreId};
use crate::routing::health::ProbeOutcome;

impl World {
    /// What `region`'s endpoint answers a probe now: nothing while the Region is dark (or a refusal,
    /// if its outage says probes are refused), an error while its health endpoint fails or (a deep
    /// check) a dependency is unreachable from it.
    fn endpoint_outcome(&self, now: SimTime, region: RegionId, dependencies: &[StoreId]) -> ProbeOutcome {
        if self.faults.probes_refused(region) {
            return ProbeOutcome::Fail;
        }
        if self.faults.region_down(region) {
            return ProbeOutcome::NoAnswer;
        }
        if !self.faults.health_endpoint_up(region, now) {
            return ProbeOutcome::Fail;
        }
        if dependencies.iter().any(|&store| !self.dependency_reachable(region, store)) {
            return ProbeOutcome::Fail;
        }
        ProbeOutcome::Pass
    }

    /// Whether the app in `region` can use `store`: its replica there is up, and for Aurora the
    /// writer is up and reachable both ways.
    fn dependency_reachable(&self, region: RegionId, store: StoreId) -> bool {
        if !self.faults.store_up(store, region) {
            return false;
        }
        if let StoreState::Aurora(a) = &self.stores[store.index()] {
            let writer = a.writer();
            if writer == region {
                return true;
            }
            let cut = |from, to| matches!(self.faults.link(from, to), LinkVerdict::Cut(_));
            return self.faults.store_up(store, writer) && !cut(region, writer) && !cut(writer, region);
        }
        true
    }

    pub(super) fn health_probe_due(&mut self, now: SimTime, check: usize, checker: u32, out: &mut Outbox<'_, Event>) {
        let entry = &self.routing.checks()[check];
        let endpoint = self.endpoint_outcome(now, entry.target, &entry.dependencies);
        let outcome = self.routing.probe(check, endpoint);
        let result_at = entry.check.result_at(now, outcome);
        let passed = outcome == ProbeOutcome::Pass;
        let next = now + entry.check.spec().interval;
        if next < SimTime::at(self.config.duration) {
            out.schedule_at(next, Event::HealthProbeDue { check, checker });
        }
        if result_at == now {
            self.health_probe_result(now, check, checker, passed, out);
        } else {
            out.schedule_at(result_at, Event::HealthProbeResult { check, checker, passed });
        }
    }

    pub(super) fn health_probe_result(
        &mut self,
        now: SimTime,
        check: usize,
        checker: u32,
        passed: bool,
        out: &mut Outbox<'_, Event>,
    ) {
        let before = self.routing.unhealthy_since(self.routing.checks()[check].target);
        let Some(flip) = self.routing.record(now, check, checker as usize, passed) else { return };
        let region = flip.region;
        let name = self.config.topology.name(region).to_string();
        self.recorder.routing_event(
            now,
            "health",
            format!("{} {} ({name})", flip.check, if flip.healthy { "healthy" } else { "unhealthy" }),
        );
        let after = self.routing.unhealthy_since(region);
        if before.is_some() != after.is_some() {
            self.recorder.region_health(now, region, after.is_none());
            if after.is_some() {
                // Conditions on this Region start counting.
                for (action, a) in self.config.actions.iter().enumerate() {
                    if let Trigger::RegionUnhealthy { region: r, for_ } = a.trigger
                        && r == region
                        && !self.actions_fired[action]
                    {
                        out.schedule_at(now + for_, Event::ConditionChecked { action });
                    }
                }
            }
        }
    }

    pub(super) fn condition_checked(&mut self, now: SimTime, action: usize, out: &mut Outbox<'_, Event>) {
        let Trigger::RegionUnhealthy { region, for_ } = self.config.actions[action].trigger else { return };
        if self.actions_fired[action] {
            return;
        }
        if let Some(since) = self.routing.unhealthy_since(region)
            && now >= since + for_
        {
            self.fire(now, action, out);
        }
    }

    /// A triggered action is set off: it happens after the reaction time.
    fn fire(&mut self, now: SimTime, action: usize, out: &mut Outbox<'_, Event>) {
        self.actions_fired[action] = true;
        out.schedule_at(now + self.config.actions[action].reaction_time, Event::ActionDue { action });
    }

    /// Alarms evaluate during the fault phase only; later observations have no period to go to.
    fn alarms_open(&self, now: SimTime) -> bool {
        !self.alarms.is_empty() && now < SimTime::at(self.config.duration)
    }

    /// An attempt ended in `region` (failed or not), for alarms on error rates.
    pub(super) fn observe_attempt(&mut self, now: SimTime, region: RegionId, failed: bool) {
        if !self.alarms_open(now) {
            return;
        }
        for alarm in &mut self.alarms {
            if let AlarmMetric::ErrorRate { region: r } = alarm.config().metric
                && r.is_none_or(|r| r == region)
            {
                alarm.observe(now, if failed { 1.0 } else { 0.0 });
            }
        }
    }

    /// A conflict the store reported as it happened (MRSC's ReplicatedWriteConflictException).
    pub(super) fn observe_conflict(&mut self, now: SimTime, store: StoreId) {
        if !self.alarms_open(now) {
            return;
        }
        for alarm in &mut self.alarms {
            if let AlarmMetric::Conflicts { store: s } = alarm.config().metric
                && s.is_none_or(|s| s == store)
            {
                alarm.observe(now, 1.0);
            }
        }
    }

    /// Once per metrics interval: sampled metrics (Aurora's replication and RPO lag, as the
    /// recorder just sampled them by store; health-check status).
    pub(super) fn observe_sampled(&mut self, now: SimTime, lags: &[(StoreId, crate::stores::aurora::SecondaryLag)]) {
        if !self.alarms_open(now) {
            return;
        }
        for alarm in &mut self.alarms {
            match alarm.config().metric.clone() {
                AlarmMetric::ReplicationLag { store, region } | AlarmMetric::RpoLag { store, region } => {
                    let rpo = matches!(alarm.config().metric, AlarmMetric::RpoLag { .. });
                    for (s, lag) in lags {
                        if store.is_none_or(|x| x == *s) && region.is_none_or(|x| x == lag.region) {
                            let value = if rpo { lag.rpo_lag } else { lag.replication_lag };
                            alarm.observe(now, value.as_secs_f64());
                        }
                    }
                }
                AlarmMetric::HealthCheckStatus { check } => {
                    if let Some(r53) = self.routing.route53() {
                        alarm.observe(now, if r53.check_healthy(check) { 1.0 } else { 0.0 });
                    }
                }
                AlarmMetric::ErrorRate { .. } | AlarmMetric::Conflicts { .. } => {}
            }
        }
    }

    pub(super) fn alarm_evaluated(&mut self, now: SimTime, alarm: usize, out: &mut Outbox<'_, Event>) {
        let a = &mut self.alarms[alarm];
        let next = now + a.config().period;
        if next < SimTime::at(self.config.duration) {
            out.schedule_at(next, Event::AlarmEvaluated { alarm });
        }
        let Some(state) = a.evaluate(now) else { return };
        let name = a.config().name.clone();
        let label = match state {
            AlarmState::Alarm => "ALARM",
            AlarmState::Ok => "OK",
            AlarmState::InsufficientData => "INSUFFICIENT_DATA",
        };
        self.recorder.routing_event(now, "alarm", format!("{name} -> {label}"));
        if state == AlarmState::Alarm {
            for action in 0..self.config.actions.len() {
                if self.config.actions[action].trigger == Trigger::Alarm(alarm) && !self.actions_fired[action] {
                    self.fire(now, action, out);
                }
            }
        }
    }
}
