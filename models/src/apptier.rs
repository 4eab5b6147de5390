//! The stateless app tier of one Region: a pool of identical servers in front of one FIFO queue, as a
//! sans-IO state machine.
//!
//! It owns which requests are in service and which wait, the number of servers (including scale-outs
//! in progress), whether the tier is up, and its metrics. It does not hold the engine: the caller
//! passes `now` and a random stream, and schedules what the tier returns (a completion at each
//! `done_at`, scale-out readiness at the returned time). Requests are the caller's handles `R`.
//!
//! Rules, each a fact the caller can rely on:
//! - An arriving request starts at once if a server is free; otherwise it waits if fewer than
//!   `queue_limit` requests wait, and is shed (an HTTP 503) if not. Requests start in arrival order.
//! - A service time is drawn from the caller's stream when, and only when, a request starts service,
//!   so abandoned, shed and lost requests consume no draws.
//! - A waiting request whose deadline is at or before the instant it reaches a free server is
//!   abandoned: dropped without service, no server time spent. Until then it holds its place in the
//!   queue and counts against `queue_limit`, because the server does not know the client gave up.
//! - A scale-out is a control-plane call: it is refused if the control plane is out when requested.
//!   Once accepted it completes after its provisioning delay even if the control plane fails in
//!   between (we assume provisioning already under way does not depend on further control-plane
//!   calls). Headroom provisioned ahead is simply a larger `servers` in the configuration.
//! - An outage ([`AppTier::fail`]) loses every request in service or waiting, and refuses arrivals
//!   until [`AppTier::recover`]. Servers are kept: the outage is of the tier, not its capacity.
//! - The metrics are exact integer time series (see `sim_core::metrics`); they change only through
//!   these calls, so two runs with the same calls record the same bytes.

use std::collections::{BTreeMap, VecDeque};
use std::fmt::{self, Debug};

use sim_core::metrics::Counter;
use sim_core::{CounterSeries, Dist, GaugeSeries, SimDuration, SimTime, Stream};

/// The capacity of one Region's app tier.
#[derive(Clone, Debug, PartialEq)]
pub struct AppTierConfig {
    /// Servers at the start, headroom included.
    pub servers: u32,
    /// The most requests that may wait, not counting those in service.
    pub queue_limit: u32,
    /// Service time of one request, in nanoseconds.
    pub service_time: Dist,
}

/// What happened to an arriving request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// A server took it; the caller schedules its completion at `done_at`.
    Started { done_at: SimTime },
    /// Every server is busy; it waits in the queue.
    Queued,
    /// Every server is busy and the queue is full: refused at once (HTTP 503).
    Shed,
    /// The tier is out ([`AppTier::fail`]): nothing answers.
    Unavailable,
}

/// What a finished request set in motion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion<R> {
    /// Requests that took the freed server, each with its `done_at` (at most one, but a `Vec` keeps
    /// the shape shared with [`AppTier::scale_out_ready`]).
    pub started: Vec<(R, SimTime)>,
    /// Requests dropped at the head of the queue because their deadline had passed, in queue order.
    pub abandoned: Vec<R>,
}

/// Why a scale-out was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScaleOutError {
    /// The Region's control plane is out, so the provisioning call fails.
    ControlPlaneUnavailable,
}

impl fmt::Display for ScaleOutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScaleOutError::ControlPlaneUnavailable => {
                f.write_str("scale-out refused: the control plane is unavailable")
            }
        }
    }
}

impl std::error::Error for ScaleOutError {}

/// Totals over the run. Every arrival ends in exactly one of started-on-arrival, queued, shed or
/// unavailable; every queued request in exactly one of started, abandoned, lost or still waiting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AppTierCounts {
    pub arrived: Counter,
    /// Requests that began service, at once or after waiting.
    pub started: Counter,
    /// Requests that waited (did not start on arrival and were not shed).
    pub queued: Counter,
    pub completed: Counter,
    pub shed: Counter,
    pub abandoned: Counter,
    /// Requests in service or waiting when the tier failed.
    pub lost: Counter,
    /// Arrivals while the tier was out.
    pub unavailable: Counter,
}

/// A waiting request.
#[derive(Clone, Copy, Debug)]
struct Waiting<R> {
    request: R,
    deadline: SimTime,
}

/// One Region's app tier; see the module documentation for its rules.
#[derive(Clone, Debug)]
pub struct AppTier<R> {
    service_time: Dist,
    queue_limit: u32,
    servers: u32,
    /// Servers of accepted scale-outs not yet ready.
    servers_pending: u32,
    up: bool,
    /// Requests in service and when each will be done. A `BTreeMap`, so [`AppTier::fail`] returns
    /// them in a deterministic order.
    in_service: BTreeMap<R, SimTime>,
    queue: VecDeque<Waiting<R>>,
    counts: AppTierCounts,
    servers_busy_series: GaugeSeries,
    servers_series: GaugeSeries,
    queue_length_series: GaugeSeries,
    shed_series: CounterSeries,
    abandoned_series: CounterSeries,
}

impl<R: Copy + Ord + Debug> AppTier<R> {
    /// A tier at time zero, up, idle, with `config.servers` servers; its series have buckets
    /// `interval` long (which must be positive).
    pub fn new(config: &AppTierConfig, interval: SimDuration) -> Self {
        let mut servers_series = GaugeSeries::new(interval);
        servers_series.set(SimTime::ZERO, u64::from(config.servers));
        AppTier {
            service_time: config.service_time.clone(),
            queue_limit: config.queue_limit,
            servers: config.servers,
            servers_pending: 0,
            up: true,
            in_service: BTreeMap::new(),
            queue: VecDeque::new(),
            counts: AppTierCounts::default(),
            servers_busy_series: GaugeSeries::new(interval),
            servers_series,
            queue_length_series: GaugeSeries::new(interval),
            shed_series: CounterSeries::new(interval),
            abandoned_series: CounterSeries::new(interval),
        }
    }

    /// `request` arrives at `now`; its client gives up at `deadline` (`SimTime::MAX` for never).
    /// Draws its service time from `rng` if it starts now. The deadline only matters while the
    /// request waits: one that finds a free server starts whatever its deadline.
    pub fn arrive(&mut self, now: SimTime, request: R, deadline: SimTime, rng: &mut Stream) -> Admission {
        self.counts.arrived.inc();
        if !self.up {
            self.counts.unavailable.inc();
            return Admission::Unavailable;
        }
        let admission = if self.servers_free() > 0 {
            Admission::Started { done_at: self.start(now, request, rng) }
        } else if self.queue.len() < self.queue_limit as usize {
            self.queue.push_back(Waiting { request, deadline });
            self.counts.queued.inc();
            Admission::Queued
        } else {
            self.counts.shed.inc();
            self.shed_series.add(now, 1);
            Admission::Shed
        };
        self.record_levels(now);
        admission
    }

    /// A server finished `request` at `now`, its `done_at`: the freed server takes the next waiting
    /// request that has not passed its deadline.
    ///
    /// Returns `None`, changing nothing, when `request` is not in service with `done_at == now`: its
    /// service was lost to [`AppTier::fail`] (and the same handle may since have started again with
    /// another `done_at`), so the caller's completion event is stale and must be ignored.
    pub fn complete(&mut self, now: SimTime, request: R, rng: &mut Stream) -> Option<Completion<R>> {
        if self.in_service.get(&request) != Some(&now) {
            return None;
        }
        self.in_service.remove(&request);
        self.counts.completed.inc();
        let completion = self.fill_free_servers(now, rng);
        self.record_levels(now);
        Some(completion)
    }

    /// Asks for `servers` more servers, ready `provisioning_delay` after `now`; returns when, so the
    /// caller can schedule [`AppTier::scale_out_ready`] then. Refused if the control plane is out now.
    pub fn request_scale_out(
        &mut self,
        now: SimTime,
        servers: u32,
        provisioning_delay: SimDuration,
        control_plane_up: bool,
    ) -> Result<SimTime, ScaleOutError> {
        if !control_plane_up {
            return Err(ScaleOutError::ControlPlaneUnavailable);
        }
        self.servers_pending = self.servers_pending.checked_add(servers).expect("pending servers overflowed u32");
        Ok(now.saturating_add(provisioning_delay))
    }

    /// `servers` of an accepted scale-out are ready at `now` and take waiting requests at once.
    /// Returns the requests that start, with their `done_at`, and those abandoned on the way.
    /// Panics if more servers become ready than were requested: the caller's bookkeeping is wrong.
    pub fn scale_out_ready(&mut self, now: SimTime, servers: u32, rng: &mut Stream) -> Completion<R> {
        assert!(
            servers <= self.servers_pending,
            "scale_out_ready of {servers} servers at {now}, but only {} are pending",
            self.servers_pending
        );
        self.servers_pending -= servers;
        self.servers = self.servers.checked_add(servers).expect("servers overflowed u32");
        let completion = self.fill_free_servers(now, rng);
        self.record_levels(now);
        completion
    }

    /// The whole tier goes out at `now`. Returns the requests lost: those in service (in handle
    /// order), then those waiting (in queue order), so the caller can fail them. Their completion
    /// events become stale (see [`AppTier::complete`]). Failing a tier that is out changes nothing.
    pub fn fail(&mut self, now: SimTime) -> Vec<R> {
        self.up = false;
        let in_service = std::mem::take(&mut self.in_service);
        let lost: Vec<R> =
            in_service.into_keys().chain(std::mem::take(&mut self.queue).into_iter().map(|w| w.request)).collect();
        self.counts.lost.add(lost.len() as u64);
        self.record_levels(now);
        lost
    }

    /// The tier is back at `now`, idle, with the servers it had.
    pub fn recover(&mut self, now: SimTime) {
        self.up = true;
        self.record_levels(now);
    }

    /// Closes every series at `end`, the end of the run. The counter series are extended to the
    /// bucket holding the run's last instant, so every series of the tier has the same length.
    pub fn finish(&mut self, end: SimTime) {
        for gauge in [&mut self.servers_busy_series, &mut self.servers_series, &mut self.queue_length_series] {
            gauge.finish(end);
        }
        if end > SimTime::ZERO {
            let last_instant = SimTime::from_nanos(end.as_nanos() - 1);
            self.shed_series.add(last_instant, 0);
            self.abandoned_series.add(last_instant, 0);
        }
    }

    pub fn is_up(&self) -> bool {
        self.up
    }
    pub fn servers(&self) -> u32 {
        self.servers
    }
    /// Servers of accepted scale-outs not yet ready.
    pub fn servers_pending(&self) -> u32 {
        self.servers_pending
    }
    pub fn servers_busy(&self) -> u32 {
        self.in_service.len() as u32
    }
    /// Requests waiting, including any whose deadline has passed but which have not reached a server.
    pub fn queue_length(&self) -> u32 {
        self.queue.len() as u32
    }
    pub fn counts(&self) -> &AppTierCounts {
        &self.counts
    }
    /// Servers busy over time. Utilisation in a bucket is its mean over the mean of [`Self::servers_series`].
    pub fn servers_busy_series(&self) -> &GaugeSeries {
        &self.servers_busy_series
    }
    /// Servers in the pool over time (grows with each scale-out).
    pub fn servers_series(&self) -> &GaugeSeries {
        &self.servers_series
    }
    pub fn queue_length_series(&self) -> &GaugeSeries {
        &self.queue_length_series
    }
    pub fn shed_series(&self) -> &CounterSeries {
        &self.shed_series
    }
    pub fn abandoned_series(&self) -> &CounterSeries {
        &self.abandoned_series
    }

    fn servers_free(&self) -> u32 {
        self.servers.saturating_sub(self.servers_busy())
    }

    /// Starts `request` at `now`, drawing its service time; returns its `done_at`.
    fn start(&mut self, now: SimTime, request: R, rng: &mut Stream) -> SimTime {
        let done_at = now.saturating_add(self.service_time.sample_duration(rng));
        let previous = self.in_service.insert(request, done_at);
        assert!(previous.is_none(), "request {request:?} started at {now} while already in service");
        self.counts.started.inc();
        done_at
    }

    /// Hands waiting requests to free servers in queue order, dropping those past their deadline.
    fn fill_free_servers(&mut self, now: SimTime, rng: &mut Stream) -> Completion<R> {
        let mut completion = Completion { started: Vec::new(), abandoned: Vec::new() };
        while self.servers_free() > 0 {
            let Some(waiting) = self.queue.pop_front() else { break };
            if waiting.deadline <= now {
                // Its client has given up: serving it would only waste the server.
                self.counts.abandoned.inc();
                self.abandoned_series.add(now, 1);
                completion.abandoned.push(waiting.request);
            } else {
                let done_at = self.start(now, waiting.request, rng);
                completion.started.push((waiting.request, done_at));
            }
        }
        completion
    }

    /// Brings the gauges to the current state. Called at the end of every transition, so the levels
    /// held between transitions are the ones recorded.
    fn record_levels(&mut self, now: SimTime) {
        debug_assert!(self.servers_busy() <= self.servers, "more requests in service than servers");
        debug_assert!(self.queue.is_empty() || self.servers_free() == 0, "a request waits beside a free server");
        self.servers_busy_series.set(now, u64::from(self.servers_busy()));
        self.servers_series.set(now, u64::from(self.servers));
        self.queue_length_series.set(now, u64::from(self.queue_length()));
    }
}

#[cfg(test)]
mod tests {
    use sim_core::{Engine, Limits, Model, Outbox, Seed, TraceMode};

    use super::*;

    fn ms(n: u64) -> SimTime {
        SimTime::at(SimDuration::from_millis(n))
    }

    /// A tier with constant 10 ms service and 10 ms metric buckets, for hand-traced cases.
    fn tier(servers: u32, queue_limit: u32) -> AppTier<u32> {
        let config = AppTierConfig { servers, queue_limit, service_time: Dist::constant(1e7).unwrap() };
        AppTier::new(&config, SimDuration::from_millis(10))
    }

    fn rng() -> Stream {
        Seed(1).stream("apptier")
    }

    /// The bookkeeping identities of [`AppTierCounts`], checked against the live state.
    fn assert_conserved<R: Copy + Ord + Debug>(tier: &AppTier<R>) {
        let c = tier.counts();
        let started_on_arrival = c.arrived.get() - c.queued.get() - c.shed.get() - c.unavailable.get();
        let started_from_queue = c.started.get() - started_on_arrival;
        let lost_in_service = c.started.get() - c.completed.get() - u64::from(tier.servers_busy());
        let lost_from_queue = c.lost.get() - lost_in_service;
        assert_eq!(
            c.queued.get(),
            started_from_queue + c.abandoned.get() + lost_from_queue + u64::from(tier.queue_length()),
            "every queued request started, was abandoned, was lost or still waits: {c:?}"
        );
    }

    #[test]
    fn arrivals_start_queue_then_shed_and_a_completion_starts_the_next() {
        let (mut tier, mut rng) = (tier(1, 1), rng());
        assert_eq!(tier.arrive(ms(0), 0, SimTime::MAX, &mut rng), Admission::Started { done_at: ms(10) });
        assert_eq!(tier.arrive(ms(1), 1, SimTime::MAX, &mut rng), Admission::Queued);
        assert_eq!(tier.arrive(ms(2), 2, SimTime::MAX, &mut rng), Admission::Shed);
        let completion = tier.complete(ms(10), 0, &mut rng).expect("request 0 is in service until 10 ms");
        assert_eq!(completion, Completion { started: vec![(1, ms(20))], abandoned: vec![] });
        let completion = tier.complete(ms(20), 1, &mut rng).expect("request 1 is in service until 20 ms");
        assert_eq!(completion, Completion { started: vec![], abandoned: vec![] });
        assert_eq!((tier.servers_busy(), tier.queue_length()), (0, 0));
        let c = tier.counts();
        let totals = [c.arrived, c.started, c.queued, c.completed, c.shed, c.abandoned].map(Counter::get);
        assert_eq!(totals, [3, 2, 1, 2, 1, 0]);
        assert_conserved(&tier);
    }

    #[test]
    fn a_waiting_request_past_its_deadline_is_abandoned_at_the_head_and_the_next_starts() {
        let (mut tier, mut rng) = (tier(1, 2), rng());
        tier.arrive(ms(0), 0, SimTime::MAX, &mut rng);
        // Deadline exactly when the server frees: the client gives up as it would be served.
        assert_eq!(tier.arrive(ms(1), 1, ms(10), &mut rng), Admission::Queued);
        assert_eq!(tier.arrive(ms(2), 2, ms(100), &mut rng), Admission::Queued);
        let completion = tier.complete(ms(10), 0, &mut rng).expect("in service");
        assert_eq!(completion, Completion { started: vec![(2, ms(20))], abandoned: vec![1] });
        assert_eq!(tier.counts().abandoned.get(), 1);
        assert_eq!(tier.abandoned_series().get(1), Some(1), "counted in the 10..20 ms bucket");
        assert_conserved(&tier);
    }

    #[test]
    fn completions_that_do_not_match_the_service_in_progress_are_ignored() {
        let (mut tier, mut rng) = (tier(1, 1), rng());
        tier.arrive(ms(0), 7, SimTime::MAX, &mut rng);
        assert_eq!(tier.complete(ms(9), 7, &mut rng), None, "not its done_at");
        assert_eq!(tier.complete(ms(10), 8, &mut rng), None, "not in service");
        assert_eq!(tier.fail(ms(5)), vec![7]);
        tier.recover(ms(6));
        // The same handle starts again; the completion event of its lost service must not end it.
        assert_eq!(tier.arrive(ms(6), 7, SimTime::MAX, &mut rng), Admission::Started { done_at: ms(16) });
        assert_eq!(tier.complete(ms(10), 7, &mut rng), None, "stale: lost to the outage");
        assert!(tier.complete(ms(16), 7, &mut rng).is_some());
        assert_eq!(tier.counts().completed.get(), 1);
    }

    #[test]
    fn scale_out_is_refused_while_the_control_plane_is_down() {
        let mut tier = tier(1, 1);
        let refused = tier.request_scale_out(ms(0), 2, SimDuration::from_secs(60), false);
        assert_eq!(refused, Err(ScaleOutError::ControlPlaneUnavailable));
        assert_eq!(refused.unwrap_err().to_string(), "scale-out refused: the control plane is unavailable");
        assert_eq!((tier.servers(), tier.servers_pending()), (1, 0));
        assert_eq!(tier.request_scale_out(ms(5), 2, SimDuration::from_secs(60), true), Ok(ms(60_005)));
        assert_eq!((tier.servers(), tier.servers_pending()), (1, 2));
    }

    #[test]
    fn servers_of_a_scale_out_take_waiting_requests_as_soon_as_they_are_ready() {
        let (mut tier, mut rng) = (tier(1, 5), rng());
        for request in 0..4 {
            tier.arrive(ms(0), request, SimTime::MAX, &mut rng);
        }
        assert_eq!(tier.queue_length(), 3);
        let ready_at = tier.request_scale_out(ms(1), 2, SimDuration::from_millis(4), true).expect("control plane up");
        assert_eq!(ready_at, ms(5));
        // The control plane may fail now: the scale-out under way still completes (see module doc).
        let completion = tier.scale_out_ready(ready_at, 2, &mut rng);
        assert_eq!(completion, Completion { started: vec![(1, ms(15)), (2, ms(15))], abandoned: vec![] });
        assert_eq!((tier.servers(), tier.servers_pending(), tier.servers_busy(), tier.queue_length()), (3, 0, 3, 1));
        tier.finish(ms(20));
        let servers: Vec<u64> = tier.servers_series().iter().map(|b| b.level_max).collect();
        assert_eq!(servers, vec![3, 3]);
        assert_eq!(tier.servers_series().get(0).unwrap().level_nanos, 5_000_000 + 3 * 5_000_000);
    }

    #[test]
    #[should_panic(expected = "only 0 are pending")]
    fn servers_ready_without_a_scale_out_are_a_caller_bug() {
        tier(1, 1).scale_out_ready(ms(1), 1, &mut rng());
    }

    #[test]
    fn an_outage_returns_requests_in_service_then_waiting_and_refuses_arrivals() {
        let (mut tier, mut rng) = (tier(2, 5), rng());
        for request in [5, 3, 9, 1] {
            tier.arrive(ms(0), request, SimTime::MAX, &mut rng);
        }
        assert_eq!(tier.fail(ms(1)), vec![3, 5, 9, 1], "in service by handle, then waiting in queue order");
        assert_eq!((tier.servers_busy(), tier.queue_length(), tier.is_up()), (0, 0, false));
        assert_eq!(tier.arrive(ms(2), 4, SimTime::MAX, &mut rng), Admission::Unavailable);
        assert_eq!(tier.fail(ms(3)), vec![], "already out");
        tier.recover(ms(4));
        assert_eq!(tier.arrive(ms(4), 4, SimTime::MAX, &mut rng), Admission::Started { done_at: ms(14) });
        let c = tier.counts();
        assert_eq!((c.lost.get(), c.unavailable.get(), tier.servers()), (4, 1, 2));
        assert_conserved(&tier);
    }

    #[test]
    fn gauges_and_counters_in_hand_checked_buckets() {
        // The trace of the first test, over 30 ms in 10 ms buckets: busy 1 over [0, 20 ms), request
        // 1 waits over [1, 10 ms), request 2 is shed at 2 ms.
        let (mut tier, mut rng) = (tier(1, 1), rng());
        tier.arrive(ms(0), 0, SimTime::MAX, &mut rng);
        tier.arrive(ms(1), 1, SimTime::MAX, &mut rng);
        tier.arrive(ms(2), 2, SimTime::MAX, &mut rng);
        tier.complete(ms(10), 0, &mut rng).unwrap();
        tier.complete(ms(20), 1, &mut rng).unwrap();
        tier.finish(ms(30));
        let busy: Vec<_> = tier.servers_busy_series().iter().map(|b| (b.level_mean(), b.level_max)).collect();
        assert_eq!(busy, vec![(1.0, 1), (1.0, 1), (0.0, 0)]);
        let queue: Vec<_> = tier.queue_length_series().iter().map(|b| (b.level_nanos, b.level_max)).collect();
        assert_eq!(queue, vec![(9_000_000, 1), (0, 0), (0, 0)]);
        assert_eq!(tier.queue_length_series().get(0).unwrap().level_mean(), 0.9);
        let servers: Vec<f64> = tier.servers_series().iter().map(|b| b.level_mean()).collect();
        assert_eq!(servers, vec![1.0, 1.0, 1.0]);
        let shed: Vec<u64> = tier.shed_series().iter().map(|(_, n)| n).collect();
        assert_eq!(shed, vec![1, 0, 0], "covers the run, ending on a bucket boundary adds no bucket");
        let abandoned: Vec<u64> = tier.abandoned_series().iter().map(|(_, n)| n).collect();
        assert_eq!(abandoned, vec![0, 0, 0]);
    }

    /// P(wait) of M/M/c with offered load `a = lambda / mu` (Erlang C), in f64 from the closed form.
    fn erlang_c(c: u32, a: f64) -> f64 {
        // `term` walks a^k / k!; after the loop it is a^c / c!.
        let (mut term, mut below_c) = (1.0, 0.0);
        for k in 0..c {
            below_c += term;
            term *= a / f64::from(k + 1);
        }
        let waiting = term * f64::from(c) / (f64::from(c) - a);
        waiting / (below_c + waiting)
    }

    #[test]
    fn erlang_c_reproduces_the_oracle_table() {
        // oracles.md section 5: c = 10, mu = 100/s; E[Wq] = P(wait) / (c mu - lambda).
        for (lambda, p_wait, wait_ms) in [(400.0, 0.0088, 0.015), (800.0, 0.4092, 2.046), (900.0, 0.6687, 6.687)] {
            let p = erlang_c(10, lambda / 100.0);
            assert!((p - p_wait).abs() < 5e-5, "lambda {lambda}: P(wait) {p} vs table {p_wait}");
            let wait = p / (1000.0 - lambda) * 1e3;
            assert!((wait - wait_ms).abs() < 5e-4, "lambda {lambda}: E[Wq] {wait} ms vs table {wait_ms} ms");
        }
    }

    #[derive(Debug, Hash)]
    enum Step {
        Arrival,
        Done(u64),
    }

    /// A Poisson stream of `arrivals_left` requests at `lambda` per second into one tier, recording
    /// each request's arrival, whether it waited and its wait in the queue. Request handles are
    /// arrival indices.
    struct Mmc {
        tier: AppTier<u64>,
        lambda: f64,
        arrivals_left: u64,
        gaps: Stream,
        service: Stream,
        arrived_at: Vec<SimTime>,
        waited: Vec<bool>,
        wait_nanos: Vec<u64>,
        first_shed: Option<SimTime>,
    }

    impl Mmc {
        fn new(config: &AppTierConfig, lambda: f64, arrivals: u64, seed: Seed) -> Self {
            Mmc {
                tier: AppTier::new(config, SimDuration::from_secs(1)),
                lambda,
                arrivals_left: arrivals,
                gaps: seed.stream("arrivals"),
                service: seed.stream("service"),
                arrived_at: Vec::new(),
                waited: Vec::new(),
                wait_nanos: Vec::new(),
                first_shed: None,
            }
        }

        fn run(mut self, seed: Seed) -> Self {
            let mut engine = Engine::new(seed, Limits::default(), TraceMode::Off);
            engine.schedule_at(SimTime::ZERO, Step::Arrival);
            let stats = engine.run(&mut self).expect("within the default limits");
            self.tier.finish(stats.end_time);
            self
        }
    }

    impl Model for Mmc {
        type Event = Step;
        fn handle(&mut self, now: SimTime, event: Step, out: &mut Outbox<'_, Step>) {
            match event {
                Step::Arrival => {
                    let request = self.arrived_at.len() as u64;
                    self.arrived_at.push(now);
                    self.waited.push(false);
                    self.wait_nanos.push(0);
                    match self.tier.arrive(now, request, SimTime::MAX, &mut self.service) {
                        Admission::Started { done_at } => {
                            out.schedule_at(done_at, Step::Done(request));
                        }
                        Admission::Queued => self.waited[request as usize] = true,
                        Admission::Shed => {
                            self.first_shed.get_or_insert(now);
                        }
                        Admission::Unavailable => unreachable!("the tier never fails here"),
                    }
                    self.arrivals_left -= 1;
                    if self.arrivals_left > 0 {
                        // Exponential gap by inverse transform, u in (0, 1] so the log is finite.
                        let gap = -libm::log(self.gaps.next_f64_open0()) / self.lambda;
                        out.schedule_in(SimDuration::from_secs_f64(gap), Step::Arrival);
                    }
                }
                Step::Done(request) => {
                    let completion = self.tier.complete(now, request, &mut self.service).expect("never stale here");
                    assert!(completion.abandoned.is_empty(), "deadlines are infinite");
                    for (started, done_at) in completion.started {
                        self.wait_nanos[started as usize] = (now - self.arrived_at[started as usize]).as_nanos();
                        out.schedule_at(done_at, Step::Done(started));
                    }
                }
            }
        }
    }

    /// Mean of the batch means and its standard error, over `batches` equal batches of `values`.
    fn batch_means(values: &[f64], batches: usize) -> (f64, f64) {
        let size = values.len() / batches;
        let means: Vec<f64> =
            (0..batches).map(|b| values[b * size..(b + 1) * size].iter().sum::<f64>() / size as f64).collect();
        let mean = means.iter().sum::<f64>() / batches as f64;
        let variance = means.iter().map(|m| (m - mean) * (m - mean)).sum::<f64>() / (batches - 1) as f64;
        (mean, libm::sqrt(variance / batches as f64))
    }

    #[test]
    fn mmc_matches_erlang_c() {
        const SERVERS: u32 = 10;
        const MU: f64 = 100.0;
        const ARRIVALS: u64 = 800_000;
        const WARM_UP: usize = 20_000;
        const BATCHES: usize = 30;
        let config = AppTierConfig {
            servers: SERVERS,
            queue_limit: u32::MAX,
            service_time: Dist::exponential(1e9 / MU).unwrap(),
        };
        for lambda in [400.0, 800.0, 900.0] {
            let seed = Seed(0xe71a);
            let run = Mmc::new(&config, lambda, ARRIVALS, seed).run(seed);
            assert_eq!(run.tier.counts().completed.get(), ARRIVALS, "every request is served");
            assert_conserved(&run.tier);
            let waited: Vec<f64> = run.waited[WARM_UP..].iter().map(|&w| f64::from(u8::from(w))).collect();
            let wait_ms: Vec<f64> = run.wait_nanos[WARM_UP..].iter().map(|&n| n as f64 / 1e6).collect();
            let (p_wait, p_wait_se) = batch_means(&waited, BATCHES);
            let (mean_wait_ms, mean_wait_se) = batch_means(&wait_ms, BATCHES);
            let p_exact = erlang_c(SERVERS, lambda / MU);
            let wait_exact_ms = p_exact / (f64::from(SERVERS) * MU - lambda) * 1e3;
            eprintln!(
                "M/M/{SERVERS} mu={MU} lambda={lambda}: P(wait) {p_wait:.4} +- {p_wait_se:.4} (exact {p_exact:.4}), \
                 E[Wq] {mean_wait_ms:.4} +- {mean_wait_se:.4} ms (exact {wait_exact_ms:.4} ms)"
            );
            assert!(
                (p_wait - p_exact).abs() <= 4.0 * p_wait_se,
                "lambda {lambda}: P(wait) {p_wait} is more than 4 SE ({p_wait_se}) from {p_exact}"
            );
            assert!(
                (mean_wait_ms - wait_exact_ms).abs() <= 4.0 * mean_wait_se,
                "lambda {lambda}: E[Wq] {mean_wait_ms} ms is more than 4 SE ({mean_wait_se}) from {wait_exact_ms} ms"
            );
        }
    }

    #[test]
    fn overload_fills_the_queue_then_sheds_the_excess() {
        // rho = 1.1: no steady state. The queue grows at about lambda - c mu = 100/s until it holds
        // `queue_limit`, then the tier serves c mu and sheds the excess.
        const LAMBDA: f64 = 1100.0;
        const QUEUE_LIMIT: u32 = 200;
        const SECONDS: f64 = 30.0;
        let config =
            AppTierConfig { servers: 10, queue_limit: QUEUE_LIMIT, service_time: Dist::exponential(1e7).unwrap() };
        let seed = Seed(0x0e71);
        let run = Mmc::new(&config, LAMBDA, (LAMBDA * SECONDS) as u64, seed).run(seed);
        assert_conserved(&run.tier);
        let queue = run.tier.queue_length_series();
        let queue_max = queue.iter().map(|b| b.level_max).max().unwrap();
        assert_eq!(queue_max, u64::from(QUEUE_LIMIT), "the queue reaches its limit and never passes it");
        let means: Vec<f64> = queue.iter().map(|b| b.level_mean()).collect();
        assert!(means[0] < means[1], "the queue grows at first: {means:?}");
        let first_shed = run.first_shed.expect("an overloaded tier sheds");
        let last_arrival = *run.arrived_at.last().unwrap();
        let shed = run.tier.counts().shed.get() as f64;
        let expected = (LAMBDA - 1000.0) * (last_arrival - first_shed).as_secs_f64();
        eprintln!(
            "M/M/10/{QUEUE_LIMIT} lambda={LAMBDA}: first shed at {first_shed}, shed {shed} vs (lambda - c mu) x \
             time after = {expected:.0}; queue mean per second {means:.0?}"
        );
        // At a net 100/s the 200 places fill in about 2 s, less when fluctuations run ahead.
        assert!(first_shed > SimTime::at(SimDuration::from_millis(500)), "the queue takes time to fill");
        assert!((shed - expected).abs() < 0.25 * expected, "shed {shed} vs about {expected}");
        let late = &means[means.len() / 2..means.len() - 1];
        assert!(late.iter().all(|&m| m > 0.8 * f64::from(QUEUE_LIMIT)), "the queue stays near full: {late:?}");
    }
}
