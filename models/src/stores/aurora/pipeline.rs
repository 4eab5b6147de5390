//! The storage pipeline from the writer to each secondary: how a committed record leaves the
//! writer's storage, and the slowdown a `replication_impairment` puts on it.
//!
//! With [`Replication::OrderedLog`] and a service time, each secondary has one pipeline, a single
//! FIFO server: records enter it in log order at commit, the head is served for a sample of the
//! service time, then leaves and travels its `replication_lag` (and the network the world adds).
//! So a write rate above the pipeline's capacity (1 / mean service time) builds a backlog that
//! drains afterwards, and the lag into that secondary grows and falls with it; what is still in
//! the pipeline when a failover detaches the secondaries was never shipped and is lost. Without a
//! service time (the ordered log with no capacity set, or [`Replication::Independent`]) a record
//! leaves at commit, and only its own `replication_lag` delays it, as if every record had a
//! server of its own.
//!
//! Guarantees: a pipeline serves one record at a time, in the order they entered (log order);
//! a pipeline whose head was committed in a Region that is down does not start serving until it
//! is back; a record in a pipeline holds its version (one hold, taken at commit). A slowdown
//! multiplies the service time of a record when its service starts and the transit lag when the
//! record leaves, as the impairment in force then says; a record already in service keeps its
//! time.

use super::*;

/// The records on their way to one secondary that have not left the writer's storage, in log
/// order; the head is in service while `busy`.
#[derive(Clone, Debug, Default)]
pub(super) struct Pipeline {
    pub(super) queue: VecDeque<Record>,
    pub(super) busy: bool,
}

impl AuroraChannel {
    /// `record`, committed now, enters the pipeline towards cluster `to`: it leaves at once when the
    /// pipeline has no capacity limit, else it queues behind the records before it.
    pub(super) fn enqueue(&mut self, record: Record, to: usize) -> Option<AuroraEffect> {
        if self.config.replication.service_time().is_none() {
            return Some(self.leave(record, to));
        }
        self.pipelines[to].queue.push_back(record);
        self.serve(to)
    }

    /// `record` leaves the writer's storage for cluster `to`: it ships after its transit lag.
    fn leave(&mut self, record: Record, to: usize) -> AuroraEffect {
        let lag = self.config.replication_lag.sample_duration(&mut self.lag_stream);
        let timer = AuroraTimer::Ship { record, to: self.clusters[to].region, epoch: self.epoch };
        Effect::Timer { delay: self.slowed(record.region, lag), timer }
    }

    /// Starts serving the head of `to`'s pipeline, if the pipeline is idle, has a head, and the
    /// head's Region is up.
    fn serve(&mut self, to: usize) -> Option<AuroraEffect> {
        let pipeline = &self.pipelines[to];
        if pipeline.busy {
            return None;
        }
        let head = *pipeline.queue.front()?;
        if self.cluster(head.region).is_some_and(|c| !self.clusters[c].up) {
            return None;
        }
        let service = self.config.replication.service_time()?.sample_duration(&mut self.service_stream);
        self.pipelines[to].busy = true;
        let timer = AuroraTimer::Served { to: self.clusters[to].region, epoch: self.epoch };
        Some(Effect::Timer { delay: self.slowed(head.region, service), timer })
    }

    /// The pipeline towards `to` finished serving its head: the record leaves, the next one starts.
    pub(super) fn served(&mut self, to: RegionId, epoch: u64) -> Vec<AuroraEffect> {
        // A failover emptied the pipelines of the old topology since this service began.
        if epoch != self.epoch {
            return Vec::new();
        }
        let Some(t) = self.cluster(to) else { return Vec::new() };
        self.pipelines[t].busy = false;
        let Some(record) = self.pipelines[t].queue.pop_front() else { return Vec::new() };
        let mut effects = vec![self.leave(record, t)];
        effects.extend(self.serve(t));
        effects
    }

    /// Pipelines whose head waited for its Region to come back start serving.
    pub(super) fn restart_pipelines(&mut self) -> Vec<AuroraEffect> {
        (0..self.pipelines.len()).filter_map(|t| self.serve(t)).collect()
    }

    /// Everything still in the pipelines is dropped, its holds released with `cause` (a failover
    /// detached the secondaries, or the writer's Region never came back).
    pub(super) fn empty_pipelines(&mut self, now: SimTime, cause: LossCause) {
        for t in 0..self.pipelines.len() {
            self.pipelines[t].busy = false;
            for record in std::mem::take(&mut self.pipelines[t].queue) {
                self.ledger.release_as(record.write, now, cause);
            }
        }
    }

    /// Records committed and not yet shipped towards `region`'s cluster (the one in service
    /// included): what a failover now would lose there.
    pub fn unshipped(&self, region: RegionId) -> Option<usize> {
        self.cluster(region).map(|c| self.pipelines[c].queue.len())
    }

    /// A `replication_impairment` slowed (factor above 1) or stopped slowing (factor 1) the storage
    /// pipeline out of `region`: from now on, service and transit times of records committed there
    /// are multiplied by `factor`. The world keeps the network path as it is.
    pub fn set_replication_slowdown(&mut self, region: RegionId, factor: f64) {
        if factor == 1.0 {
            self.slowdown.remove(&region);
        } else {
            self.slowdown.insert(region, factor);
        }
    }

    fn slowed(&self, region: RegionId, delay: SimDuration) -> SimDuration {
        match self.slowdown.get(&region) {
            Some(factor) => SimDuration::from_nanos_f64(delay.as_nanos() as f64 * factor),
            None => delay,
        }
    }
}
