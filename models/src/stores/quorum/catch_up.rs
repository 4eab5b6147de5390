//! Catching up: what a member missed is kept once per (coordinator, member) pair and repaired
//! by one rate-bounded sync (see the module documentation of `quorum`).

use super::*;

impl QuorumChannel {
    /// A message `from` sent `to` that the world could not deliver (dropped, lost, or cut by a
    /// partition): the versions it carried are released, and what `to` missed of `from`'s commits
    /// and aborts is noted for a catch-up (see the module doc).
    pub fn message_lost(&mut self, now: SimTime, from: RegionId, to: RegionId, msg: &QuorumMessage) -> Fx {
        let mut fx = Vec::new();
        self.release_carried(now, &msg.body);
        let (Some(f), Some(t)) = (self.member(from), self.member(to)) else { return fx };
        match &msg.body {
            QuorumBody::Replicate { version, .. } => {
                if let Some(op) = self.writes.get_mut(&version.write).filter(|op| op.coordinator == Coord::Member(f)) {
                    op.unreached |= 1 << t;
                }
            }
            QuorumBody::Commit { .. } => self.note_missed(f, t, |m| m.log = true, &mut fx),
            QuorumBody::Abort { write, key } => {
                let (write, key) = (*write, *key);
                self.note_missed(
                    f,
                    t,
                    |m| {
                        m.aborts.insert(write, key);
                    },
                    &mut fx,
                );
            }
            QuorumBody::CatchUp { aborted } => {
                self.note_missed(
                    f,
                    t,
                    |m| {
                        m.log = true;
                        m.aborts.extend(aborted.iter().copied());
                    },
                    &mut fx,
                );
            }
            _ => {}
        }
        fx
    }

    /// Notes what `t` missed of `f`, and arms the pair's one catch-up timer.
    pub(super) fn note_missed(&mut self, f: usize, t: usize, note: impl FnOnce(&mut Missed), fx: &mut Fx) {
        let missed = self.missed.entry((f, t)).or_default();
        note(missed);
        if !missed.armed && !self.members[f].down {
            missed.armed = true;
            let timer = QuorumTimer::CatchUpDue { from: self.members[f].region, to: self.members[t].region };
            fx.push(Effect::Timer { delay: self.config.timeout, timer });
        }
    }

    pub(super) fn record_commit(&mut self, m: usize, origin: usize, seq: u64) {
        let s = &mut self.members[m];
        if seq <= s.applied[origin] {
            return;
        }
        if seq == s.applied[origin] + 1 {
            s.applied[origin] = seq;
            while s.ahead[origin].remove(&(s.applied[origin] + 1)) {
                s.applied[origin] += 1;
            }
        } else {
            s.ahead[origin].insert(seq);
        }
    }

    /// A `SyncReply`'s sender had applied `applied` commits of each coordinator; the reply brings
    /// every version those commits left, so the receiver has applied them too.
    pub(super) fn merge_applied(&mut self, m: usize, applied: &[u64]) {
        let s = &mut self.members[m];
        for (o, &count) in applied.iter().enumerate().take(s.applied.len()) {
            if count > s.applied[o] {
                s.applied[o] = count;
                s.ahead[o].retain(|&seq| seq > count);
                while s.ahead[o].remove(&(s.applied[o] + 1)) {
                    s.applied[o] += 1;
                }
            }
        }
    }

    /// `t` hears that `f` has made `known` commits; if it has applied fewer, it is catching up.
    pub(super) fn learn(&mut self, t: usize, f: usize, known: u64, fx: &mut Fx) {
        let s = &mut self.members[t];
        if known <= s.target[f] {
            return;
        }
        s.target[f] = known;
        if s.applied[f] < known {
            self.request_sync(t, Some(f), fx);
        }
    }

    /// Asks `from` (or, on a retry, every coordinator `m` is behind on) for the commits `m` missed,
    /// and keeps a retry armed while `m` is behind.
    pub(super) fn request_sync(&mut self, m: usize, from: Option<usize>, fx: &mut Fx) {
        if !self.behind(m) {
            return;
        }
        let s = &self.members[m];
        let peers: Vec<usize> = match from {
            Some(f) => vec![f],
            None => (0..self.n()).filter(|&o| o != m && s.applied[o] < s.target[o]).collect(),
        };
        let applied = s.applied.clone();
        for to in peers {
            // Once per peer until the retry: every message that shows the member behind would
            // otherwise ask again.
            if self.members[m].sync_asked.insert(to) {
                self.send(fx, m, to, QuorumBody::SyncRequest { applied: applied.clone() }, false);
            }
        }
        if !self.members[m].sync_armed {
            self.members[m].sync_armed = true;
            let timer = QuorumTimer::SyncRetry { region: self.members[m].region };
            fx.push(Effect::Timer { delay: self.config.timeout, timer });
        }
    }

    /// The committed versions `m` holds that a member with `applied` commits of each coordinator
    /// has not applied: the newest of each item, so a catch-up is one version per item changed.
    pub(super) fn sync_versions(&self, m: usize, applied: &[u64]) -> Vec<Versioned> {
        let s = &self.members[m];
        let mut keys: Vec<Key> = Vec::new();
        for (o, origin) in self.members.iter().enumerate() {
            let after = applied.get(o).copied().unwrap_or(0);
            let from = CommitId { origin: origin.region, seq: after.saturating_add(1) };
            let to = CommitId { origin: origin.region, seq: u64::MAX };
            keys.extend(s.by_commit.range(from..=to).map(|(_, &k)| k));
        }
        // In item order, as the items are kept.
        keys.sort_unstable();
        keys.iter().map(|k| s.items[k]).collect()
    }

    pub(super) fn behind(&self, m: usize) -> bool {
        let s = &self.members[m];
        s.applied.iter().zip(&s.target).any(|(a, t)| a < t)
    }
}
