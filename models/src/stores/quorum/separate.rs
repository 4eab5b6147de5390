//! Separate coordinators (`Coordinator::Separate`), and the latency of each kind of message.
//!
//! A separate coordinator is a node in the Region an attempt reaches that holds no replica of the
//! key, as a Dynamo or Cassandra coordinator often is: it sends the write (or the read request) to
//! every member, the one in its own Region included, and answers once W acknowledgements (or R
//! replies) are in; it counts toward neither quorum and answers nothing itself. It keeps no data,
//! so it stamps a write with its own time (raised past the last stamp it gave, so its stamps rise
//! strictly) and every member applies the newest stamp it receives (last stamp wins). The
//! checker's parent of such a write is the newest version any member holds when it is taken: a
//! timestamped write supersedes what was stored before it, and races only what is in flight.
//!
//! Messages to or from a separate coordinator are routed by Region: a request (`Replicate`,
//! `ReadRequest`, `Repair`) is for the member in the destination Region, a reply (`Ack`,
//! `ReadReply`) is for the operation its id names, whose coordinator is in the destination Region.

use sim_core::Dist;

use super::*;

impl QuorumChannel {
    /// The distribution of a message's one-way latency, when its kind has one (PBS's W, A, R, S);
    /// `None` leaves it to the link. A member's own setting beats the store's.
    pub fn message_latency(&self, from: RegionId, to: RegionId, msg: &QuorumMessage) -> Option<&Dist> {
        let (member, pick): (RegionId, fn(&MessageLatency) -> Option<&Dist>) = match msg.body {
            QuorumBody::Replicate { .. } | QuorumBody::Repair { .. } => (to, |l| l.write.as_ref()),
            QuorumBody::Ack { .. } | QuorumBody::Conflict { .. } | QuorumBody::Stale { .. } => {
                (from, |l| l.ack.as_ref())
            }
            QuorumBody::ReadRequest { .. } => (to, |l| l.read.as_ref()),
            QuorumBody::ReadReply { .. } => (from, |l| l.response.as_ref()),
            _ => return None,
        };
        self.kind_latency(member, pick)
    }

    /// The `pick`ed kind's distribution for messages to or from `member`'s Region.
    pub(super) fn kind_latency(&self, member: RegionId, pick: fn(&MessageLatency) -> Option<&Dist>) -> Option<&Dist> {
        let own = self.config.member_latency.iter().find(|(r, _)| *r == member).and_then(|(_, l)| pick(l));
        own.or_else(|| pick(&self.config.latency))
    }

    pub(super) fn send_region(&self, fx: &mut Fx, from: RegionId, to: RegionId, body: QuorumBody) {
        fx.push(Effect::Send { from, to, message: QuorumMessage { known: 0, body }, reliable: false });
    }

    /// A client write taken by the separate coordinator in `region`.
    pub(super) fn node_write(
        &mut self,
        now: SimTime,
        region: RegionId,
        key: Key,
        write: WriteId,
        attempt: AttemptRef,
    ) -> Fx {
        let mut fx = Vec::new();
        let last = self.node_clock.get(&region).copied().unwrap_or(0);
        let seq = now.as_nanos().max(last + 1);
        self.node_clock.insert(region, seq);
        let parent = (0..self.n()).map(|m| self.current(m, key)).max_by_key(|v| v.stamp).expect("at least one member");
        let stamp = Stamp { seq, region };
        let version = Versioned { write, key, stamp, commit: None, written_at: now };
        let n = self.n();
        // Holds: the answer, one per Replicate.
        self.ledger.tree_mut().create(write, parent.write, region, 1 + n as u32);
        let deadline = now.saturating_add(self.config.timeout);
        for m in 0..n {
            self.send_region(&mut fx, region, self.members[m].region, QuorumBody::Replicate { version, deadline });
        }
        let op = WriteOp { coordinator: Coord::Node(region), attempt, version, acks: 0, refusals: 0, unreached: 0 };
        self.writes.insert(write, op);
        fx.push(Effect::Timer { delay: self.config.timeout, timer: QuorumTimer::WriteTimeout { write } });
        fx
    }

    /// A client read by the separate coordinator in `region`: every member is asked, strong or not
    /// (there is no replica at hand to read alone), and the newest of the first R replies answers.
    pub(super) fn node_read(&mut self, _now: SimTime, region: RegionId, key: Key, attempt: AttemptRef) -> Fx {
        let mut fx = Vec::new();
        let n = self.n();
        let op = ReadOp {
            coordinator: Coord::Node(region),
            attempt,
            best: None,
            replies: 0,
            reported: vec![None; n],
            pendings: Vec::new(),
        };
        let read = self.next_read;
        self.next_read += 1;
        self.reads.insert(read, op);
        for m in 0..n {
            self.send_region(&mut fx, region, self.members[m].region, QuorumBody::ReadRequest { read, key });
        }
        fx.push(Effect::Timer { delay: self.config.timeout, timer: QuorumTimer::ReadTimeout { read } });
        fx
    }

    /// A message between a separate coordinator and a member (see the module documentation).
    pub(super) fn node_message(&mut self, now: SimTime, from: RegionId, to: RegionId, msg: QuorumMessage) -> Fx {
        let mut fx = Vec::new();
        match msg.body {
            QuorumBody::Replicate { version, .. } => match self.member(to).filter(|&t| !self.members[t].down) {
                Some(t) => {
                    self.apply_version(now, t, version);
                    self.send_region(&mut fx, to, from, QuorumBody::Ack { write: version.write });
                }
                None => self.ledger.release(version.write, now),
            },
            QuorumBody::Repair { version } => match self.member(to).filter(|&t| !self.members[t].down) {
                Some(t) => self.apply_version(now, t, version),
                None => self.ledger.release(version.write, now),
            },
            QuorumBody::ReadRequest { read, key } => {
                if let Some(t) = self.member(to).filter(|&t| !self.members[t].down) {
                    let current = self.current(t, key);
                    self.ledger.tree_mut().acquire(current.write);
                    self.send_region(&mut fx, to, from, QuorumBody::ReadReply { read, current, pending: None });
                }
            }
            QuorumBody::Ack { write } => {
                let quorum = self.config.write_quorum;
                if let Some(op) = self.writes.get_mut(&write).filter(|op| op.coordinator == Coord::Node(to)) {
                    op.acks += 1;
                    if op.acks >= quorum {
                        self.decide_write(now, write, &mut fx);
                    }
                }
            }
            QuorumBody::ReadReply { read, current, pending } => match self.member(from) {
                Some(f) => self.read_replied(now, Coord::Node(to), f, read, current, pending, &mut fx),
                None => self.ledger.release(current.write, now),
            },
            body => self.release_carried(now, &body),
        }
        fx
    }
}
