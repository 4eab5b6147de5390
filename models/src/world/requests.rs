//! The Region side of an attempt: it arrives, passes the app tier (served, queued, shed, or
//! abandoned past the client's deadline), the store does the operation, and the answer goes back.
//!
//! A Region that is dark (a whole-Region outage) never answers: the client learns only by its
//! timeout. A Region whose app tier is out, or that fails requests while its health endpoint passes,
//! answers at once with an error, as a load balancer's 503 does; so does a store replica that is
//! down. An attempt stays known to the world until both sides are done with it: the client (answer
//! or timeout) and the Region (answer sent, or the attempt dropped), because a Region may still
//! apply a write whose client has already given up.

use sim_core::{Outbox, SimDuration, SimTime};

use super::attempts::{Answer, AttemptOutcome, session_of};
use super::stores::{Attempted, StoreState};
use super::{Event, World};
use crate::config::OperationKind;
use crate::ids::{RegionId, RequestId, WriteId};
use crate::ledger::Ledger;
use crate::report::StoreTally;
use crate::stores::channel::{AttemptRef, Rejection};

/// The HTTP status the application answers with, for an error (CloudFront's failover criteria):
/// 503 for a shed request or a Region that cannot serve it, 500 for a store's refusal.
fn status_code(answer: &Answer) -> Option<u16> {
    match answer {
        Answer::Shed | Answer::Failed => Some(503),
        Answer::Rejected(_) => Some(500),
        _ => None,
    }
}

/// How an answer counts in a store's own tally.
fn answer_class(answer: &Answer) -> StoreTally {
    match answer {
        Answer::Written { .. } | Answer::AlreadyApplied { .. } => StoreTally::WriteAcked,
        Answer::Read { stale_by, stale_by_order, .. } => {
            StoreTally::Read { stale: stale_by.is_some(), stale_by_order: *stale_by_order }
        }
        Answer::Rejected(r) => StoreTally::Rejected(*r),
        Answer::ConditionFailed | Answer::Shed | Answer::Failed => StoreTally::Failed,
    }
}

impl World {
    pub(super) fn request_arrived(&mut self, now: SimTime, request: RequestId, out: &mut Outbox<'_, Event>) {
        let Some(attempt) = self.pending.get(&request) else { return };
        let region = attempt.region;
        match self.faults.request_failure(region) {
            Some(true) if let Some((_, wait)) = attempt.origin_failover => {
                // CloudFront's connection attempts to the primary time out, then it tries the
                // secondary.
                out.schedule_in(wait, Event::OriginFailover { request });
                return;
            }
            Some(true) => return self.drop_attempt(now, request),
            Some(false) => return self.respond(now, request, Answer::Failed, out),
            None => {}
        }
        let deadline = attempt.sent_at + self.config.populations[attempt.population.index()].timeout;
        let Some(tier) = self.tiers[region.index()].as_mut() else {
            return self.serve(now, request, out);
        };
        match tier.arrive(now, request, deadline, &mut self.service[region.index()]) {
            crate::apptier::Admission::Started { done_at } => {
                out.schedule_at(done_at, Event::ServiceCompleted { region, request });
            }
            crate::apptier::Admission::Queued => {}
            crate::apptier::Admission::Shed => self.respond(now, request, Answer::Shed, out),
            crate::apptier::Admission::Unavailable => self.respond(now, request, Answer::Failed, out),
        }
    }

    pub(super) fn service_completed(
        &mut self,
        now: SimTime,
        region: RegionId,
        request: RequestId,
        out: &mut Outbox<'_, Event>,
    ) {
        let tier = self.tiers[region.index()].as_mut().expect("only Regions with an app tier complete service");
        let Some(completion) = tier.complete(now, request, &mut self.service[region.index()]) else {
            return; // Left over from an outage of the tier: that attempt is gone.
        };
        self.start_services(now, region, completion, out);
        self.serve(now, request, out);
    }

    /// Schedules the completions of attempts that just started service, and drops the abandoned.
    pub(super) fn start_services(
        &mut self,
        now: SimTime,
        region: RegionId,
        completion: crate::apptier::Completion<RequestId>,
        out: &mut Outbox<'_, Event>,
    ) {
        for (started, done_at) in completion.started {
            out.schedule_at(done_at, Event::ServiceCompleted { region, request: started });
        }
        for abandoned in completion.abandoned {
            self.drop_attempt(now, abandoned);
        }
    }

    /// The store does the operation and the Region answers.
    fn serve(&mut self, now: SimTime, request: RequestId, out: &mut Outbox<'_, Event>) {
        let Some(attempt) = self.pending.get(&request) else { return };
        let (operation, region) = (attempt.operation, attempt.region);
        let (store, key, kind) = (attempt.store, attempt.key, attempt.kind);
        if !self.faults.store_up(store, region) {
            return self.respond(now, request, Answer::Failed, out);
        }
        if !self.stores[store.index()].is_mrec() {
            return self.serve_by_channel(now, request, out);
        }
        let answer = match kind {
            OperationKind::Read => {
                let attempt = self.pending.get_mut(&request).expect("checked above");
                let (snapshot, began) = (attempt.newest_acked.take(), attempt.sent_at);
                let snapshot_order = attempt.newest_acked_order;
                let session = session_of(attempt);
                let table = &mut self.stores[store.index()].mrec();
                let returned = table.current_version(region, key);
                let value = table.current_operation(region, key);
                let stale_by = table.ledger_mut().judge_read(returned, began, snapshot);
                let stale_by_order = Some(Ledger::stale_by_order(snapshot_order, table.current_order(region, key)));
                let session = table.ledger_mut().session_read(session, key, returned);
                Answer::Read { stale_by, stale_by_order, session, value }
            }
            OperationKind::Write
            | OperationKind::Delete
            | OperationKind::ConditionalWrite
            | OperationKind::ConditionalUpdate => {
                let session = session_of(&self.pending[&request]);
                let table = &mut self.stores[store.index()].mrec();
                // Optimistic concurrency: the update expects the version its session last read of the
                // item (or no item, if it never read it).
                let expected_seen = match kind {
                    OperationKind::ConditionalUpdate => {
                        let current = table.current_version(region, key);
                        let expected = table.ledger().session_last_read(session, key);
                        expected.map_or(!table.exists(region, key), |e| e == current)
                    }
                    _ => true,
                };
                let table = &self.stores[store.index()].mrec();
                // The idempotency record first: a retry of a conditional write that was applied
                // finds its own write there, and is answered as done rather than failing the
                // condition that write made false.
                match table.applied(region, operation) {
                    Some(write) if self.config.stores[store.index()].idempotency => Answer::AlreadyApplied { write },
                    _ if kind == OperationKind::ConditionalWrite && table.exists(region, key) => {
                        Answer::ConditionFailed
                    }
                    _ if !expected_seen => Answer::ConditionFailed,
                    previous => {
                        if previous.is_some() {
                            self.recorder.duplicate_write(now, region);
                        }
                        self.next_write += 1;
                        let write = WriteId(self.next_write);
                        let clock = self.faults.clock_nanos(region, now).max(0) as u64;
                        let deleted = kind == OperationKind::Delete;
                        let (sampled, shipment) = self.stores[store.index()]
                            .mrec()
                            .write_local(now, clock, region, key, write, deleted, operation);
                        let order = Some(shipment.stamp.order());
                        let delay = self.pipeline_delay(store, region, sampled);
                        let table = self.stores[store.index()].mrec();
                        let at = table.in_order(key, region, None, now.saturating_add(delay));
                        out.schedule_at(at, Event::ReplicationShipped { store, shipment, from: region });
                        Answer::Written { write, order }
                    }
                }
            }
        };
        self.respond(now, request, answer, out);
    }

    /// A channel store takes the attempt; it answers through its effects. Conditions (conditional
    /// writes and updates) are modelled for DynamoDB MREC only: a channel takes them as writes.
    fn serve_by_channel(&mut self, now: SimTime, request: RequestId, out: &mut Outbox<'_, Event>) {
        let attempt = &self.pending[&request];
        let (region, store, key, kind, consistent) =
            (attempt.region, attempt.store, attempt.key, attempt.kind, attempt.consistent_read);
        let attempt_operation = attempt.operation;
        let session = session_of(attempt);
        let session_number = (u64::from(session.0) << 48) | session.1;
        let handle = AttemptRef(request.0);
        self.next_write += 1;
        let write = WriteId(self.next_write);
        if self.history.is_some() && !kind.is_read() {
            self.history_writes.insert((store, write), attempt_operation);
        }
        let clock_nanos = self.faults.clock_nanos(region, now).max(0) as u64;
        let attempted =
            Attempted { kind, region, key, write, consistent, session: session_number, clock_nanos, handle };
        let effects = self.stores[store.index()].store_mut().attempt(now, attempted);
        self.apply_effects(now, store, effects, out);
    }

    pub(super) fn respond(&mut self, now: SimTime, request: RequestId, answer: Answer, out: &mut Outbox<'_, Event>) {
        let Some(attempt) = self.pending.get_mut(&request) else { return };
        if attempt.origin_failover.is_some()
            && let Some(cf) = &self.config.routing.cloudfront
            && status_code(&answer).is_some_and(|code| cf.status_codes.contains(&code))
        {
            // The primary's error goes back to the edge, which sends the GET to the secondary.
            let population = attempt.population.index();
            let back = self.config.populations[population].latency[attempt.region.index()]
                .sample(&mut self.populations[population].access);
            return self.origin_failover(now, request, back, out);
        }
        // What the store billed: a read it served, a write it applied or refused on its
        // condition (DynamoDB consumes write capacity for a failed condition too).
        let used = match answer {
            Answer::Read { .. } => Some(true),
            Answer::Written { .. } | Answer::AlreadyApplied { .. } | Answer::ConditionFailed => Some(false),
            _ => None,
        };
        if let Some(is_read) = used {
            self.recorder.store_used(attempt.store, attempt.region, is_read);
        }
        attempt.answer = Some(answer);
        let population = attempt.population;
        let latency = &self.config.populations[population.index()].latency[attempt.region.index()];
        let delay = latency.sample(&mut self.populations[population.index()].access);
        out.schedule_in(delay, Event::ResponseArrivedAtClient { request });
    }

    /// CloudFront sends the attempt to the secondary origin, `after` from now (plus the way there).
    pub(super) fn origin_failover(
        &mut self,
        now: SimTime,
        request: RequestId,
        after: SimDuration,
        out: &mut Outbox<'_, Event>,
    ) {
        let Some(attempt) = self.pending.get_mut(&request) else { return };
        let Some((secondary, _)) = attempt.origin_failover.take() else { return };
        if attempt.client_done {
            // The client gave up while CloudFront was still trying the primary.
            attempt.dropped = true;
            return self.forget_attempt(now, request);
        }
        let (primary, sent_at) = (attempt.region, attempt.sent_at);
        attempt.region = secondary;
        let population = attempt.population.index();
        let there = self.config.populations[population].latency[secondary.index()]
            .sample(&mut self.populations[population].access);
        self.recorder.origin_failover(now, primary, secondary, sent_at);
        out.schedule_in(after + there, Event::RequestArrivedAtRegion { request });
    }

    /// The Region lets the attempt go without an answer.
    pub(super) fn drop_attempt(&mut self, now: SimTime, request: RequestId) {
        let Some(attempt) = self.pending.get_mut(&request) else { return };
        attempt.dropped = true;
        if attempt.client_done {
            self.forget_attempt(now, request);
        }
    }

    /// Removes an attempt both sides are done with, releasing whatever it held.
    fn forget_attempt(&mut self, now: SimTime, request: RequestId) {
        let Some(attempt) = self.pending.remove(&request) else { return };
        self.attempt_settled(attempt.operation);
        let table = &mut self.stores[attempt.store.index()];
        if let Some(snapshot) = attempt.newest_acked {
            table.ledger().drop_snapshot(snapshot);
        }
        if let Some(Answer::Written { write, .. }) = attempt.answer {
            table.ledger().release(write, now);
        }
    }

    pub(super) fn response_arrived(&mut self, now: SimTime, request: RequestId, out: &mut Outbox<'_, Event>) {
        let Some(attempt) = self.pending.get(&request) else { return };
        if attempt.client_done {
            // The client gave up before the answer came: it changes nothing for the client, but a
            // write it carries was applied and stays in play.
            return self.forget_attempt(now, request);
        }
        let attempt = self.pending.remove(&request).expect("checked above");
        self.attempt_settled(attempt.operation);
        out.cancel(attempt.timeout);
        let table = &mut self.stores[attempt.store.index()];
        if let Some(snapshot) = attempt.newest_acked {
            table.ledger().drop_snapshot(snapshot);
        }
        let latency = now - attempt.sent_at;
        self.recorder.store_answered(attempt.store, attempt.answer.as_ref().map(answer_class));
        if !attempt.kind.is_read() {
            let ok = matches!(attempt.answer, Some(Answer::Written { .. } | Answer::AlreadyApplied { .. }));
            let refused = matches!(attempt.answer, Some(Answer::ConditionFailed));
            if !refused {
                self.recorder.write_availability(now, attempt.store, attempt.population, ok);
            }
        }
        let outcome = match attempt.answer.expect("a response carries an answer") {
            Answer::Written { write, order } => {
                table.ledger().acknowledge(now, attempt.key, write);
                if let Some(order) = order {
                    table.ledger().acknowledge_order(attempt.key, order);
                }
                table.ledger().session_wrote(session_of(&attempt), attempt.key, write);
                self.recorder.write_acked(now, attempt.region, latency);
                AttemptOutcome::Succeeded { value: Some(attempt.operation), write: Some(write) }
            }
            Answer::AlreadyApplied { write } => {
                if table.ledger().acknowledge_retry(now, attempt.key, write, attempt.region) {
                    table.ledger().session_wrote(session_of(&attempt), attempt.key, write);
                }
                self.recorder.write_acked(now, attempt.region, latency);
                AttemptOutcome::Succeeded { value: Some(attempt.operation), write: Some(write) }
            }
            Answer::Read { stale_by, stale_by_order, session, value } => {
                self.recorder.read_ok(now, attempt.region, latency, stale_by, stale_by_order, session);
                AttemptOutcome::Succeeded { value, write: None }
            }
            Answer::ConditionFailed => {
                self.recorder.condition_failed(now, attempt.region);
                AttemptOutcome::Final
            }
            Answer::Shed | Answer::Failed => {
                self.recorder.request_failed(now, attempt.region);
                AttemptOutcome::Retryable { definite: true }
            }
            Answer::Rejected(rejection) => {
                self.recorder.request_rejected(now, attempt.region, rejection);
                if rejection.retryable() { AttemptOutcome::Retryable { definite: true } } else { AttemptOutcome::Final }
            }
        };
        let failed = matches!(outcome, AttemptOutcome::Retryable { .. });
        self.observe_attempt(now, attempt.region, failed);
        if attempt.answer == Some(Answer::Rejected(Rejection::ReplicatedWriteConflict)) {
            self.observe_conflict(now, attempt.store);
        }
        self.attempt_ended(now, attempt.operation, attempt.region, outcome, out);
    }

    pub(super) fn request_timed_out(&mut self, now: SimTime, request: RequestId, out: &mut Outbox<'_, Event>) {
        let Some(attempt) = self.pending.get_mut(&request) else { return };
        attempt.client_done = true;
        let (operation, region, dropped, store) = (attempt.operation, attempt.region, attempt.dropped, attempt.store);
        let (kind_is_write, population, user) = (!attempt.kind.is_read(), attempt.population, attempt.user);
        if let StoreState::Aurora(a) = &mut self.stores[store.index()] {
            // Reads waiting for a consistency point and commits held by rds.global_db_rpo: the
            // client is gone.
            a.abandon_attempt(AttemptRef(request.0));
        }
        let snapshot = attempt.newest_acked.take();
        if let Some(snapshot) = snapshot {
            self.stores[store.index()].ledger().drop_snapshot(snapshot);
        }
        if dropped {
            self.forget_attempt(now, request);
        }
        self.recorder.request_failed(now, region);
        // No answer on the connection: the client closes it.
        self.routing.connection_failed(population, user);
        if kind_is_write {
            self.recorder.write_availability(now, store, population, false);
        }
        self.observe_attempt(now, region, true);
        self.attempt_ended(now, operation, region, AttemptOutcome::Retryable { definite: false }, out);
    }

    /// The tier of `region` went out: what it held is lost. A dark Region answers nothing; an app
    /// tier outage answers with errors.
    pub(super) fn app_tier_failed(&mut self, now: SimTime, region: RegionId, out: &mut Outbox<'_, Event>) {
        let Some(tier) = self.tiers[region.index()].as_mut() else { return };
        if !tier.is_up() {
            return;
        }
        let lost = tier.fail(now);
        let dark = self.faults.region_down(region);
        for request in lost {
            if dark {
                self.drop_attempt(now, request);
            } else {
                self.respond(now, request, Answer::Failed, out);
            }
        }
    }
}
