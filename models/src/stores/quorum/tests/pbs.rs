//! PBS's mechanics on the quorum channel, traced by hand with constant latencies: each kind of
//! message with its own latency (W, A, R, S) and a member's own where it differs, a separate
//! coordinator that is not a replica, read repair on and off through it, and the staleness probe.

use sim_core::Dist;

use super::*;

fn constant_ms(n: u64) -> Option<Dist> {
    Some(Dist::constant(n as f64 * 1e6).expect("a constant"))
}

/// N = 3 (us-east-1, us-east-2, us-west-2), applied on receipt; W 10 ms, A 1 ms, R 2 ms, S 3 ms;
/// us-west-2's writes take 40 ms and its read replies 1 ms.
fn pbs(coordinator: Coordinator, write_quorum: u32, read_quorum: u32) -> QuorumConfig {
    let mut config = leaderless(false, read_quorum);
    config.write_quorum = write_quorum;
    config.coordinator = coordinator;
    config.latency =
        MessageLatency { write: constant_ms(10), ack: constant_ms(1), read: constant_ms(2), response: constant_ms(3) };
    let west = MessageLatency { write: constant_ms(40), response: constant_ms(1), ..MessageLatency::default() };
    config.member_latency = vec![(W2, west)];
    config
}

/// A member coordinator in us-east-1, W = R = 2: it counts itself, so write a is acknowledged
/// with us-west-2's ack (10 + 1 ms), not us-east-2's (40 + 1). A read in us-east-2 at 12 ms
/// (its own copy is genesis until 40 ms) hears us-east-1 and us-west-2 at 12 + 2 + 3 = 17 ms.
#[test]
fn each_kind_of_message_takes_its_own_latency_and_a_member_its_own() {
    let mut config = pbs(Coordinator::Member, 2, 2);
    config.member_latency = vec![(E2, MessageLatency { write: constant_ms(40), ..MessageLatency::default() })];
    let mut s = Sim::new(config);
    let (wa, a) = s.write(ms(0), E1, K);
    let r = s.read(ms(12), E2, K, true);
    assert_eq!(s.answer_of(wa), Some((ms(11), StoreAnswer::Written { write: a })));
    s.run_until(ms(17));
    assert_eq!(s.answer_of(r), Some((ms(17), StoreAnswer::Read { version: a })));
    s.run_until(ms(39));
    assert_eq!(s.ch.current_version(E2, K), None, "us-east-2's write takes 40 ms");
    s.run_until(ms(40));
    assert_eq!(s.ch.current_version(E2, K), Some(a));
    s.finish();
    assert!(s.lost().is_empty());
}

/// A separate coordinator in us-east-1 with W = R = 1 is not a replica: write a waits for the
/// first member's ack (10 + 1 ms), where a member coordinator would answer at once. A read by the
/// coordinator in us-west-2 at 12 ms asks every member, its own Region's too: us-west-2 answers
/// first (2 + 1 ms) with genesis, since a reaches it only at 40 ms, so the read is stale; at
/// 41 ms it returns a. A coordinator in eu-west-1, where there is no replica at all, writes b at
/// 50 ms, acknowledged at 61 ms; b's stamp is its time, so it wins everywhere and nothing is lost.
#[test]
fn a_separate_coordinator_is_not_a_replica() {
    let mut s = Sim::new(pbs(Coordinator::Separate, 1, 1));
    let (wa, a) = s.write(ms(0), E1, K);
    s.run_until(ms(10));
    assert_eq!(s.answer_of(wa), None, "no member answers for the coordinator");
    s.run_until(ms(11));
    assert_eq!(s.answer_of(wa), Some((ms(11), StoreAnswer::Written { write: a })));
    let stale = s.read(ms(12), W2, K, false);
    s.run_until(ms(15));
    assert!(matches!(s.answer_of(stale), Some((t, StoreAnswer::Read { .. })) if t == ms(15)));
    assert_ne!(s.read_version(stale), a);
    assert!(s.stale_of(stale).is_some(), "a was acknowledged before the read began");
    let fresh = s.read(ms(41), W2, K, false);
    s.run_until(ms(44));
    assert_eq!(s.answer_of(fresh), Some((ms(44), StoreAnswer::Read { version: a })));
    let (wb, b) = s.write(ms(50), EU, K);
    s.run_until(ms(61));
    assert_eq!(s.answer_of(wb), Some((ms(61), StoreAnswer::Written { write: b })));
    s.finish();
    assert!(s.lost().is_empty(), "b descends from a, the newest version stored when b was taken");
    assert_eq!(s.ch.divergent_keys(), 0);
    assert_eq!(s.ch.current_version(W2, K), Some(b));
}

/// W = R = 2 through a separate coordinator in us-east-1; us-west-2 missed write a (cut off
/// while it was sent). A read at 12 ms hears us-west-2 (genesis) at 15 ms and a at 17 ms: the
/// answer is a. With read repair, a reaches us-west-2 10 ms later (a repair travels as a write;
/// here us-west-2's writes take the store's 10 ms); without, us-west-2 keeps genesis.
#[test]
fn read_repair_through_a_separate_coordinator_on_and_off() {
    for repair in [false, true] {
        let mut config = pbs(Coordinator::Separate, 2, 2);
        config.read_repair = repair;
        config.member_latency[0].1.write = None;
        let mut s = Sim::new(config);
        s.isolate(W2);
        let (_, a) = s.write(ms(0), E1, K);
        s.run_until(ms(11));
        s.heal(dur(0));
        let r = s.read(ms(12), E1, K, true);
        s.run_until(ms(17));
        assert_eq!(s.answer_of(r), Some((ms(17), StoreAnswer::Read { version: a })));
        s.run_until(ms(26));
        assert_eq!(s.ch.current_version(W2, K), None);
        s.run_until(ms(27));
        let expected = if repair { Some(a) } else { None };
        assert_eq!(s.ch.current_version(W2, K), expected, "read_repair = {repair}");
        s.finish();
        assert!(s.lost().is_empty());
    }
}

/// The probe at t = 0, 20 and 40 ms after each commit, R = 1, k up to 2. Write a (at 0 ms,
/// committed at 11 ms) reaches us-west-2 at 40 ms, and us-west-2's reply comes first (1 ms
/// against 3): the probes arriving at 13 and 33 ms read genesis (not a, but within the last two
/// versions: there is no older one), the one at 53 ms reads a. Write b (100 ms, committed at
/// 111 ms, at us-west-2 at 140 ms): the probes arriving at 113 and 133 ms read a (not b, but
/// one of the last two), the one at 153 ms reads b. The clients' answers are those of a run
/// without the probe.
#[test]
fn the_probe_reads_at_commit_plus_t() {
    let mut config = pbs(Coordinator::Separate, 1, 1);
    config.probe = Some(ProbeConfig { after: vec![dur(0), dur(20), dur(40)], fraction: 1.0, versions: 2 });
    let mut s = Sim::new(config.clone());
    s.ch = s.ch.clone().with_probe(Seed(1).stream("probe"), ProbeLinks(Vec::new()));
    let mut plain = Sim::new(QuorumConfig { probe: None, ..config });
    for sim in [&mut s, &mut plain] {
        let (wa, a) = sim.write(ms(0), E1, K);
        let (wb, b) = sim.write(ms(100), E1, K);
        sim.run_until(ms(200));
        assert_eq!(sim.answer_of(wa), Some((ms(11), StoreAnswer::Written { write: a })));
        assert_eq!(sim.answer_of(wb), Some((ms(111), StoreAnswer::Written { write: b })));
        assert_eq!(sim.ch.current_version(W2, K), Some(b));
    }
    let row = |t: u64, reads: u64, within: Vec<u64>| TVisibilityRow { t: dur(t), reads, unanswered: 0, within };
    let expected = vec![row(0, 2, vec![0, 2]), row(20, 2, vec![0, 2]), row(40, 2, vec![2, 2])];
    assert_eq!(s.ch.t_visibility(), Some(TVisibility { rows: expected }));
    assert_eq!(plain.ch.t_visibility(), None);
    s.finish();
    assert!(s.lost().is_empty());
}

/// A member down when a probe's request arrives does not answer: with R = 3 the probe is
/// unanswered, and the probe holds nothing for it.
#[test]
fn a_probe_without_r_replies_is_unanswered() {
    let mut config = pbs(Coordinator::Separate, 1, 3);
    config.probe = Some(ProbeConfig { after: vec![dur(0)], fraction: 1.0, versions: 1 });
    let mut s = Sim::new(config);
    s.ch = s.ch.clone().with_probe(Seed(1).stream("probe"), ProbeLinks(Vec::new()));
    s.write(ms(0), E1, K);
    s.run_until(ms(11));
    let fx = s.ch.region_down(ms(11), E2);
    s.effects(fx);
    s.run_until(ms(20));
    let rows = s.ch.t_visibility().expect("a probe").rows;
    assert_eq!((rows[0].reads, rows[0].unanswered), (0, 1));
}

#[test]
fn a_separate_coordinator_needs_apply_on_receipt() {
    let mut c = pbs(Coordinator::Separate, 2, 1);
    c.apply = Apply::OnCommit;
    assert!(c.validate(&names()).unwrap_err().starts_with("coordinator \"separate\" needs apply \"on_receipt\""));
}
