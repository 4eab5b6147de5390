//! Changing the writer: a planned switchover (no data loss), a failover with allow-data-loss (the
//! writes the new writer never had are lost), the promotion both end in, the old writer's re-sync
//! when it comes back, and headless secondaries given an instance.

use super::*;

impl AuroraChannel {
    pub(super) fn promotion_timer(&mut self, serial: u64) -> AuroraEffect {
        let delay = self.config.failover_promotion.sample_duration(&mut self.control_stream);
        Effect::Timer { delay, timer: AuroraTimer::Promote { serial } }
    }

    pub(super) fn target_of(&self, new_writer: RegionId, what: &str) -> Result<usize, String> {
        if let Some(t) = &self.transition {
            let serial = match t {
                Transition::Switchover { serial, .. } | Transition::Failover { serial, .. } => serial,
            };
            return Err(format!("{what}: transition {serial} is still in progress"));
        }
        let Some(t) = self.cluster(new_writer) else {
            return Err(format!("{what}: {new_writer} has no cluster in this global database"));
        };
        if t == self.writer {
            return Err(format!("{what}: {new_writer} is already the writer"));
        }
        if !self.clusters[t].up {
            return Err(format!("{what}: the cluster in {new_writer} is down"));
        }
        Ok(t)
    }

    /// A planned switchover to `new_writer` (SwitchoverGlobalCluster): healthy clusters only.
    pub fn switchover(&mut self, now: SimTime, new_writer: RegionId) -> Result<Vec<AuroraEffect>, String> {
        let t = self.target_of(new_writer, "switchover")?;
        if self.clusters[t].headless {
            return Err(format!("switchover: the cluster in {new_writer} has no instance"));
        }
        if !self.clusters[self.writer].up || self.fenced.is_some() {
            return Err("switchover: the writer cluster is not healthy".to_string());
        }
        self.serial += 1;
        let sync_lsn = self.commit_lsn;
        self.transition = Some(Transition::Switchover { serial: self.serial, target: t, sync_lsn, promoting: false });
        self.reports.push(TransitionReport::started(TransitionKind::Switchover, self.writer(), new_writer, now));
        let mut effects = self.reject_blocked();
        effects.extend(self.after_apply(now, t));
        Ok(effects)
    }

    /// An unplanned failover with allow-data-loss to `new_writer` (FailoverGlobalCluster). A
    /// headless target first gets an instance, which needs the control plane.
    pub fn failover(
        &mut self,
        now: SimTime,
        new_writer: RegionId,
        control_plane_up: bool,
    ) -> Result<Vec<AuroraEffect>, String> {
        let t = self.target_of(new_writer, "failover")?;
        let mut effects = Vec::new();
        let awaiting_instance = self.clusters[t].headless;
        if awaiting_instance && !self.clusters[t].creating_instance {
            effects.extend(self.add_instance(now, new_writer, control_plane_up).map_err(|e| format!("failover: {e}"))?);
        }
        self.serial += 1;
        let old = self.writer;
        // Detach: nothing more ships from the old topology.
        self.epoch += 1;
        for (record, _) in std::mem::take(&mut self.parked) {
            self.ledger.release_as(record.write, now, LossCause::Failover);
        }
        self.empty_pipelines(now, LossCause::Failover);
        effects.extend(self.reject_blocked());
        let until = now.saturating_add(self.config.fence_gap.unwrap_or(SimDuration::ZERO));
        self.fenced = Some(Fenced { cluster: old, until, serial: self.serial });
        self.transition = Some(Transition::Failover { serial: self.serial, target: t, awaiting_instance });
        self.reports.push(TransitionReport::started(
            TransitionKind::Failover,
            self.clusters[old].region,
            new_writer,
            now,
        ));
        if !awaiting_instance {
            effects.push(self.promotion_timer(self.serial));
        }
        Ok(effects)
    }

    pub(super) fn promote(&mut self, now: SimTime, serial: u64) -> Vec<AuroraEffect> {
        let Some(transition) = self.transition else { return Vec::new() };
        let mut effects = Vec::new();
        match transition {
            Transition::Switchover { serial: s, target, .. } if s == serial => {
                // The old writer has everything: it is a secondary at the same position.
                self.writer = target;
                self.transition = None;
            }
            Transition::Failover { serial: s, target, .. } if s == serial => {
                let before = self.clusters[target].applied_lsn;
                let arrived = std::mem::take(&mut self.clusters[target].buffer);
                let mut lost = 0;
                let mut oldest: Option<SimTime> = None;
                let mut newest: Option<SimTime> = None;
                let mut kept: Option<SimTime> = self.clusters[target].applied_committed_at;
                for (&lsn, r) in self.log.range(before + 1..) {
                    if arrived.contains_key(&lsn) {
                        kept = Some(kept.map_or(r.committed_at, |k| k.max(r.committed_at)));
                    } else {
                        lost += 1;
                        oldest = Some(oldest.map_or(r.committed_at, |o| o.min(r.committed_at)));
                        newest = Some(newest.map_or(r.committed_at, |o| o.max(r.committed_at)));
                    }
                }
                // Everything that reached the target's volume is durable there: recover it.
                for r in arrived.into_values() {
                    self.apply(now, target, r, LossCause::Failover);
                }
                if let Some(report) = self.reports.last_mut() {
                    report.lost_writes += lost;
                    report.oldest_lost_committed_at = match (report.oldest_lost_committed_at, oldest) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                    report.newest_lost_committed_at = match (report.newest_lost_committed_at, newest) {
                        (Some(a), Some(b)) => Some(a.max(b)),
                        (a, b) => a.or(b),
                    };
                    report.last_kept_committed_at = kept;
                }
                self.log.clear();
                self.writer = target;
                self.commit_lsn = self.clusters[target].applied_lsn;
                self.min_epoch = self.epoch;
                self.transition = None;
                let fenced = self.fenced.expect("a failover fences the old writer");
                for c in 0..self.clusters.len() {
                    if c != target && c != fenced.cluster {
                        self.resync(now, c);
                    }
                }
                if now >= fenced.until {
                    self.fenced = None;
                    self.resync(now, fenced.cluster);
                } else {
                    let delay = fenced.until.saturating_since(now);
                    effects.push(Effect::Timer { delay, timer: AuroraTimer::FenceEnd { serial: fenced.serial } });
                    // It re-syncs later; until then its position counts from the new writer's.
                    self.clusters[fenced.cluster].applied_lsn = self.commit_lsn;
                }
                // Positions from before count nothing the new writer has beyond its own.
                let base = self.commit_lsn;
                for c in 0..self.clusters.len() {
                    let cl = &mut self.clusters[c];
                    cl.sessions.values_mut().for_each(|l| *l = (*l).min(base));
                    cl.waiting.iter_mut().filter_map(|w| w.lsn.as_mut()).for_each(|l| *l = (*l).min(base));
                    effects.extend(self.wake(c));
                }
            }
            _ => return Vec::new(),
        }
        if let Some(report) = self.reports.last_mut() {
            report.promoted_at = Some(now);
        }
        let target = self.writer();
        effects.push(Effect::Timer {
            delay: self.config.endpoint_update_delay,
            timer: AuroraTimer::EndpointUpdate { target },
        });
        effects
    }

    /// `c` adopts the writer's state (Aurora re-creates a secondary from the new writer): whatever
    /// it held that the writer does not is released as lost to the failover.
    pub(super) fn resync(&mut self, now: SimTime, c: usize) {
        let w = self.writer;
        let mut keys: Vec<Key> = self.clusters[c].items.sorted_keys();
        keys.extend(self.clusters[w].items.sorted_keys());
        keys.sort_unstable();
        keys.dedup();
        for key in keys {
            let (new, old) = (self.current(w, key), self.current(c, key));
            if new == old {
                continue;
            }
            self.ledger.tree_mut().acquire(new);
            match self.clusters[w].items.contains_key(&key) {
                true => self.clusters[c].items.insert(key, new),
                false => self.clusters[c].items.remove(&key),
            };
            self.ledger.release_as(old, now, LossCause::Failover);
        }
        for r in std::mem::take(&mut self.clusters[c].buffer).into_values() {
            self.ledger.release_as(r.write, now, LossCause::Failover);
        }
        self.clusters[c].applied_lsn = self.commit_lsn;
    }

    /// Adds an instance to the headless secondary in `region` (CreateDBInstance: the control plane).
    pub fn add_instance(
        &mut self,
        now: SimTime,
        region: RegionId,
        control_plane_up: bool,
    ) -> Result<Vec<AuroraEffect>, String> {
        let _ = now;
        let Some(c) = self.cluster(region) else {
            return Err(format!("{region} has no cluster in this global database"));
        };
        if !self.clusters[c].headless {
            return Err(format!("the cluster in {region} already has an instance"));
        }
        if self.clusters[c].creating_instance {
            return Err(format!("an instance is already being added in {region}"));
        }
        if !control_plane_up {
            return Err(format!("cannot add an instance in {region}: its control plane is down"));
        }
        self.clusters[c].creating_instance = true;
        let delay = self.config.instance_creation.sample_duration(&mut self.control_stream);
        Ok(vec![Effect::Timer { delay, timer: AuroraTimer::InstanceReady { region } }])
    }
}
