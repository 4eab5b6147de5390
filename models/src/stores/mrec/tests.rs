use sim_core::Seed;

use super::*;

const EAST: RegionId = RegionId::from_raw(0);
const WEST: RegionId = RegionId::from_raw(1);
const KEY: Key = Key(1);

fn ms(n: u64) -> SimTime {
    SimTime::from_nanos(n * 1_000_000)
}

fn table() -> Table {
    let pipeline = (Dist::Constant(0.0), true);
    Table::new(StoreId::new(0), &[EAST, WEST], 2, pipeline, Seed(1).stream("t"))
}

/// The classic lost update, traced by hand. East writes e at 0 ms, west writes w at 10 ms;
/// neither has seen the other. Both are acknowledged. e reaches west at 30 ms and loses (older
/// stamp); w reaches east at 40 ms and wins. e is lost to last-writer-wins; w survives; the
/// replicas converge on w.
#[test]
fn concurrent_writes_lose_the_older_one() {
    let mut t = table();
    let (_, e) = t.write_local(ms(0), 0, EAST, KEY, WriteId(1), false, 1);
    let (_, w) = t.write_local(ms(10), 10_000_000, WEST, KEY, WriteId(2), false, 2);
    t.ledger_mut().acknowledge(ms(5), KEY, WriteId(1));
    t.ledger_mut().acknowledge(ms(15), KEY, WriteId(2));
    assert_eq!(t.ship(ms(20), &e, EAST), vec![WEST]);
    assert_eq!(t.ship(ms(20), &w, WEST), vec![EAST]);
    t.apply_remote(ms(30), WEST, &e, true);
    t.apply_remote(ms(40), EAST, &w, true);
    t.finish(ms(50), &[false, false]);
    let lost: Vec<WriteId> = t.tree().lost().iter().map(|l| l.write).collect();
    assert_eq!(lost, vec![WriteId(1)]);
    assert_eq!(t.tree().lost()[0].cause, LossCause::LastWriterWins);
    assert_eq!(t.divergent_keys(), 0);
}

/// The conflict list of the same lost update, by hand. When west writes w at 10 ms, e (stamped
/// 0 ms) is still on its way to west, so west's replica has already dropped it for w: the first
/// drop is at 10 ms in us-west-2, winner w stamped 10 ms. e's later arrival (30 ms) loses again
/// and is not a second row. w was never dropped, so it has no row. With a third key written only
/// in east, nothing is listed for it.
#[test]
fn the_conflict_list_names_the_loser_the_winner_and_where() {
    let mut t = table();
    t.ledger_mut().tree_mut().keep_conflict_list();
    let (_, e) = t.write_local(ms(0), 0, EAST, KEY, WriteId(1), false, 1);
    let (_, w) = t.write_local(ms(10), 10_000_000, WEST, KEY, WriteId(2), false, 2);
    let (_, solo) = t.write_local(ms(11), 11_000_000, EAST, Key(3), WriteId(3), false, 3);
    t.ledger_mut().acknowledge(ms(5), KEY, WriteId(1));
    t.ledger_mut().acknowledge(ms(15), KEY, WriteId(2));
    t.ledger_mut().acknowledge(ms(16), Key(3), WriteId(3));
    t.ship(ms(20), &e, EAST);
    t.ship(ms(20), &w, WEST);
    t.ship(ms(20), &solo, EAST);
    t.apply_remote(ms(30), WEST, &e, true);
    t.apply_remote(ms(40), EAST, &w, true);
    t.apply_remote(ms(41), WEST, &solo, true);
    t.finish(ms(50), &[false, false]);
    let list = t.tree().conflict_list();
    assert_eq!(list.len(), 1, "{list:?}");
    let row = list[0];
    assert_eq!((row.key, row.write, row.region, row.acked_at), (KEY, WriteId(1), EAST, Some(ms(5))));
    let r = row.resolution.expect("e was dropped");
    assert_eq!((r.at, r.replica, r.stamp_nanos), (ms(10), WEST, 0));
    assert_eq!((r.winner, r.winner_region, r.winner_stamp_nanos), (WriteId(2), WEST, 10_000_000));
    assert_eq!(row.outcome, crate::checker::ConflictOutcome::Lost(LossCause::LastWriterWins));
    assert_eq!(t.tree().lost().len(), 1, "the list agrees with the lost writes");
}

/// Without `keep_conflict_list` nothing is kept.
#[test]
fn the_conflict_list_is_empty_unless_asked_for() {
    let mut t = table();
    let (_, e) = t.write_local(ms(0), 0, EAST, KEY, WriteId(1), false, 1);
    let (_, w) = t.write_local(ms(10), 10_000_000, WEST, KEY, WriteId(2), false, 2);
    t.ledger_mut().acknowledge(ms(5), KEY, WriteId(1));
    t.ship(ms(20), &e, EAST);
    t.ship(ms(20), &w, WEST);
    t.apply_remote(ms(30), WEST, &e, true);
    t.apply_remote(ms(40), EAST, &w, true);
    t.finish(ms(50), &[false, false]);
    assert!(t.tree().conflict_list().is_empty());
    assert_eq!(t.tree().lost().len(), 1);
}

/// A write that observed an earlier one (east writes twice) keeps the first as its ancestor:
/// nothing is lost even though the first write was overwritten.
#[test]
fn an_overwrite_that_observed_the_old_version_loses_nothing() {
    let mut t = table();
    let (_, a) = t.write_local(ms(0), 0, EAST, KEY, WriteId(1), false, 1);
    t.ledger_mut().acknowledge(ms(1), KEY, WriteId(1));
    let (_, b) = t.write_local(ms(2), 2_000_000, EAST, KEY, WriteId(2), false, 2);
    t.ledger_mut().acknowledge(ms(3), KEY, WriteId(2));
    t.ship(ms(4), &a, EAST);
    t.ship(ms(4), &b, EAST);
    // Out of order: b arrives first, then a, which loses to b.
    t.apply_remote(ms(30), WEST, &b, true);
    t.apply_remote(ms(31), WEST, &a, true);
    t.finish(ms(40), &[false, false]);
    assert!(t.tree().lost().is_empty());
    assert_eq!(t.divergent_keys(), 0);
}

/// Stale reads, by hand: east writes and is acknowledged at 5 ms. A read in west that began at
/// 6 ms, before replication, is stale by 1 ms; after the write arrives, a read is fresh.
#[test]
fn a_read_that_misses_an_acknowledged_write_is_stale_by_its_age() {
    let mut t = table();
    let (_, e) = t.write_local(ms(0), 0, EAST, KEY, WriteId(1), false, 1);
    t.ledger_mut().acknowledge(ms(5), KEY, WriteId(1));
    let snapshot = t.ledger_mut().snapshot_newest_acked(KEY);
    assert_eq!(snapshot, Some(WriteId(1)));
    assert_eq!(t.read_local(WEST, KEY, ms(6), snapshot), Some(SimDuration::from_millis(1)));
    let snapshot = t.ledger_mut().snapshot_newest_acked(KEY);
    assert_eq!(t.read_local(EAST, KEY, ms(6), snapshot), None);
    t.ship(ms(10), &e, EAST);
    t.apply_remote(ms(30), WEST, &e, true);
    let snapshot = t.ledger_mut().snapshot_newest_acked(KEY);
    assert_eq!(t.read_local(WEST, KEY, ms(31), snapshot), None);
    // A read with nothing acknowledged before it began cannot be stale.
    assert_eq!(t.read_local(WEST, Key(2), ms(31), None), None);
}

/// A Region whose clock reads earlier than the stamp it overwrites still replaces its local
/// item, and its stamp moves past the old one so every replica keeps the same version.
#[test]
fn a_local_overwrite_always_beats_the_version_it_replaces() {
    let current = Stamp { nanos: 100, region: WEST };
    assert_eq!(Stamp::for_write(50, EAST, Some(current)), Stamp { nanos: 101, region: EAST });
    assert_eq!(Stamp::for_write(100, EAST, Some(current)), Stamp { nanos: 101, region: EAST });
    assert_eq!(Stamp::for_write(200, EAST, Some(current)), Stamp { nanos: 200, region: EAST });
    assert_eq!(
        Stamp::for_write(100, WEST, Some(Stamp { nanos: 100, region: EAST })),
        Stamp { nanos: 100, region: WEST }
    );
}

/// A Region that never comes back takes its unshipped writes with it.
#[test]
fn writes_held_by_a_region_that_never_returns_are_lost_with_it() {
    let mut t = table();
    let (_, e) = t.write_local(ms(0), 0, EAST, KEY, WriteId(1), false, 1);
    t.ledger_mut().acknowledge(ms(5), KEY, WriteId(1));
    // East went down before its pipeline shipped e, and never came back.
    t.abandon(ms(100), e.write);
    t.finish(ms(100), &[true, false]);
    let lost = t.tree().lost();
    assert_eq!(lost.len(), 1);
    assert_eq!((lost[0].write, lost[0].cause), (WriteId(1), LossCause::RegionNeverReturned));
}

/// Stale by the causal definition and by last-writer-wins order, traced by hand where they part.
/// East's clock runs 100 ms ahead. East writes e at 0 ms (stamped 100 ms), acknowledged at 5 ms;
/// west, not having seen it, writes w at 10 ms (stamped 10 ms), acknowledged at 15 ms: w is the
/// newest acknowledged write by time, e the greatest by stamp.
/// - A read at west at 20 ms returns w: causally fresh (it is the newest acknowledged write), but
///   stale by last-writer-wins order (e outranks it, and every replica will end on e).
/// - e reaches west at 30 ms and wins (greater stamp). A read at west at 40 ms returns e: causally
///   stale (e never observed w, the newest acknowledged), but fresh by last-writer-wins order.
/// - A read of a key never written, after nothing was acknowledged, is stale by neither.
#[test]
fn stale_by_causality_and_by_last_writer_wins_order_part_where_clocks_skew() {
    let mut t = table();
    let (_, e) = t.write_local(ms(0), 100_000_000, EAST, KEY, WriteId(1), false, 1);
    let (_, w) = t.write_local(ms(10), 10_000_000, WEST, KEY, WriteId(2), false, 2);
    assert!(e.stamp.order() > w.stamp.order(), "east's clock runs ahead");
    t.ledger_mut().acknowledge(ms(5), KEY, WriteId(1));
    t.ledger_mut().acknowledge_order(KEY, e.stamp.order());
    t.ledger_mut().acknowledge(ms(15), KEY, WriteId(2));
    t.ledger_mut().acknowledge_order(KEY, w.stamp.order());
    assert_eq!(t.ledger_mut().snapshot_order(KEY), Some(e.stamp.order()), "the greatest order acknowledged");

    let read = |t: &mut Table, at: SimTime| {
        let snapshot = t.ledger_mut().snapshot_newest_acked(KEY);
        let order_snapshot = t.ledger_mut().snapshot_order(KEY);
        let returned = t.current_version(WEST, KEY);
        let causal = t.ledger_mut().judge_read(returned, at, snapshot);
        let by_order = Ledger::stale_by_order(order_snapshot, t.current_order(WEST, KEY));
        (returned, causal.is_some(), by_order)
    };
    assert_eq!(read(&mut t, ms(20)), (WriteId(2), false, true));
    t.ship(ms(20), &e, EAST);
    t.apply_remote(ms(30), WEST, &e, true);
    assert_eq!(read(&mut t, ms(40)), (WriteId(1), true, false));
    assert!(!Ledger::stale_by_order(t.ledger_mut().snapshot_order(Key(9)), t.current_order(WEST, Key(9))));
}

/// The order rule alone: no acknowledged order is never stale; an item never written (None) is
/// older than any acknowledged write; equal orders are fresh.
#[test]
fn stale_by_order_compares_with_the_greatest_acknowledged() {
    assert!(!Ledger::stale_by_order(None, None));
    assert!(!Ledger::stale_by_order(None, Some(3)));
    assert!(Ledger::stale_by_order(Some(3), None));
    assert!(Ledger::stale_by_order(Some(3), Some(2)));
    assert!(!Ledger::stale_by_order(Some(3), Some(3)));
    assert!(!Ledger::stale_by_order(Some(3), Some(4)));
    let mut l = Ledger::new(StoreId::new(0), 2);
    l.acknowledge_order(KEY, 7);
    l.acknowledge_order(KEY, 5);
    assert_eq!(l.snapshot_order(KEY), Some(7), "the greatest, not the last acknowledged");
}
