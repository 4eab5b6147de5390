//! The staleness probe: t-visibility and k-staleness as Bailis et al. define them ("Probabilistically
//! Bounded Staleness for Practical Partial Quorums", VLDB 2012), measured on the channel itself.
//!
//! After a committed write w (a sampled share of them), for each t of the grid, a probe read of
//! w's item starts at w's commit + t in w's coordinating Region. It asks every member, as a
//! separate coordinator would: the request to member i takes a draw of the `read` latency (or the
//! link's), i answers with the version it holds when the request arrives, and the reply takes a
//! draw of the `response` latency (or the link's). The read returns the newest of the first R
//! replies to arrive (ties by member order). It counts toward t-visibility if that is w or newer,
//! and toward k-staleness for each k whose last k acknowledged versions of the item, as of w (w
//! and the k - 1 acknowledged before it, by stamp), hold it or something newer. A member that is
//! down when the request arrives does not answer; a probe with fewer than R answers is counted
//! unanswered. The probe sees members down but not partitions or degraded links: it measures the
//! WARS mechanism, not the faults.
//!
//! Probe reads touch nothing: no message goes through the world, no version is held or repaired,
//! no client metric counts them, and their draws come from a stream of their own (`store/NAME/
//! probe`). A run with the probe has the same workload, answers and metrics as one without, and
//! more events (one timer per member per probe read).

use sim_core::{Dist, Stream};

use super::*;
use crate::topology::LinkLatency;

/// The one-way latency of every ordered pair of Regions (`[from][to]`), for probe messages whose
/// kind has no distribution of its own; a message within a Region takes no time.
#[derive(Clone, Debug)]
pub struct ProbeLinks(pub Vec<Vec<LinkLatency>>);

/// One t of the grid: probe reads answered, unanswered, and answered within each k.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TVisibilityRow {
    pub t: SimDuration,
    pub reads: u64,
    pub unanswered: u64,
    /// `within[k - 1]`: reads that returned one of the last k versions (k = 1: t-visibility).
    pub within: Vec<u64>,
}

/// What a store's probe measured, by t.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TVisibility {
    pub rows: Vec<TVisibilityRow>,
}

#[derive(Clone, Debug)]
struct OpenProbe {
    key: Key,
    region: RegionId,
    t_index: usize,
    /// `floors[k - 1]`: the oldest stamp among the last k acknowledged versions as of the write.
    floors: Vec<Stamp>,
    /// Per member: when its reply reaches the coordinator, and the stamp it carries.
    replies: Vec<Option<(SimTime, Stamp)>>,
    waiting: usize,
}

#[derive(Clone, Debug)]
pub(super) struct Probe {
    config: ProbeConfig,
    stream: Stream,
    links: ProbeLinks,
    next: u64,
    open: BTreeMap<u64, OpenProbe>,
    /// Per item: the stamps of its last `versions` acknowledged writes, newest first.
    recent: BTreeMap<Key, Vec<Stamp>>,
    rows: Vec<TVisibilityRow>,
}

impl QuorumChannel {
    /// Turns the probe on (when the configuration asks for one), drawing from `stream` and taking
    /// the links' latencies from `links`.
    pub fn with_probe(mut self, stream: Stream, links: ProbeLinks) -> Self {
        if let Some(config) = self.config.probe.clone() {
            let versions = config.versions as usize;
            let rows = config
                .after
                .iter()
                .map(|&t| TVisibilityRow { t, reads: 0, unanswered: 0, within: vec![0; versions] })
                .collect();
            let probe = Probe { config, stream, links, next: 0, open: BTreeMap::new(), recent: BTreeMap::new(), rows };
            self.probe = Some(Box::new(probe));
        }
        self
    }

    /// What the probe measured, if there is one.
    pub fn t_visibility(&self) -> Option<TVisibility> {
        self.probe.as_ref().map(|p| TVisibility { rows: p.rows.clone() })
    }

    /// A draw of a probe message's latency: the kind's own distribution for `member`, or the link.
    fn probe_delay(
        &self,
        probe: &mut Probe,
        member: usize,
        pick: fn(&MessageLatency) -> Option<&Dist>,
        from: RegionId,
        to: RegionId,
    ) -> SimDuration {
        match self.kind_latency(self.members[member].region, pick) {
            Some(d) => d.sample_duration(&mut probe.stream),
            None if from == to => SimDuration::ZERO,
            None => probe.links.0[from.index()][to.index()].sample(&mut probe.stream),
        }
    }

    /// Write `op` was acknowledged now: its probe reads are scheduled, one timer per member each.
    pub(super) fn probe_write(&mut self, _now: SimTime, op: &WriteOp, fx: &mut Fx) {
        let Some(mut probe) = self.probe.take() else { return };
        let stamp = op.version.stamp;
        let key = op.version.key;
        let versions = probe.config.versions as usize;
        let recent = probe.recent.entry(key).or_default();
        let at = recent.partition_point(|s| *s > stamp);
        recent.insert(at, stamp);
        // w and the acknowledged versions just older than it; the genesis where there are fewer.
        let mut floors: Vec<Stamp> = recent[at..].iter().take(versions).copied().collect();
        floors.resize(versions, Stamp::GENESIS);
        recent.truncate(versions);
        let fraction = probe.config.fraction;
        if fraction >= 1.0 || probe.stream.chance(fraction) {
            let region = match op.coordinator {
                Coord::Member(m) => self.members[m].region,
                Coord::Node(r) => r,
            };
            for t_index in 0..probe.config.after.len() {
                let id = probe.next;
                probe.next += 1;
                let n = self.n();
                for m in 0..n {
                    let request = self.probe_delay(&mut probe, m, |l| l.read.as_ref(), region, self.members[m].region);
                    let delay = probe.config.after[t_index] + request;
                    fx.push(Effect::Timer { delay, timer: QuorumTimer::ProbeArrives { probe: id, member: m } });
                }
                let open =
                    OpenProbe { key, region, t_index, floors: floors.clone(), replies: vec![None; n], waiting: n };
                probe.open.insert(id, open);
            }
        }
        self.probe = Some(probe);
    }

    /// A probe read's request reaches `member`; once every member's has, the read is judged.
    pub(super) fn probe_arrives(&mut self, now: SimTime, id: u64, member: usize) {
        let Some(mut probe) = self.probe.take() else { return };
        if let Some(open) = probe.open.get(&id).cloned() {
            let reply = if self.members[member].down {
                None
            } else {
                let stamp = self.members[member].items.get(&open.key).map_or(Stamp::GENESIS, |v| v.stamp);
                let back = self.probe_delay(
                    &mut probe,
                    member,
                    |l| l.response.as_ref(),
                    self.members[member].region,
                    open.region,
                );
                Some((now.saturating_add(back), stamp))
            };
            let open = probe.open.get_mut(&id).expect("looked up above");
            open.replies[member] = reply;
            open.waiting -= 1;
            if open.waiting == 0 {
                let open = probe.open.remove(&id).expect("looked up above");
                self.judge_probe(&mut probe, open);
            }
        }
        self.probe = Some(probe);
    }

    fn judge_probe(&self, probe: &mut Probe, open: OpenProbe) {
        let mut replies: Vec<(SimTime, usize, Stamp)> =
            open.replies.iter().enumerate().filter_map(|(m, r)| r.map(|(at, s)| (at, m, s))).collect();
        replies.sort_by_key(|&(at, m, _)| (at, m));
        let quorum = self.config.read_quorum as usize;
        let row = &mut probe.rows[open.t_index];
        if replies.len() < quorum {
            row.unanswered += 1;
            return;
        }
        let best = replies[..quorum].iter().map(|&(_, _, s)| s).max().expect("a quorum of at least one");
        row.reads += 1;
        for (k, floor) in open.floors.iter().enumerate() {
            row.within[k] += u64::from(best >= *floor);
        }
    }
}
