//! Replication that catches up instead of resending: what a member, replica or
//! secondary misses while it is unreachable is held once and shipped as a catch-up when the path
//! heals, so the messages held or in flight for a channel stay bounded however long the outage.
//!
//! The case is the payments scenario that showed the defect (tests/cases/payments-mrsc-outage.toml:
//! an MRSC table over us-east-1 and us-west-2 with a witness, a us-east-1 outage, then a partition),
//! with its request rates cut tenfold so a debug run stays short; the shape of the run is the same.

use std::path::Path;

use experiments::scenario;
use models::run::{RunOutput, run};
use sim_core::{Seed, TraceMode};

/// The payments case with `rate` requests per second per population and a us-east-1 outage of
/// `outage_min` minutes from minute 5.
fn payments(rate: u32, outage_min: u32) -> RunOutput {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/payments-mrsc-outage.toml");
    let text = std::fs::read_to_string(&path).expect("the payments case");
    let mut table: toml::Table = text.parse().expect("the payments case is TOML");
    for p in table["population"].as_array_mut().expect("populations") {
        p.as_table_mut().unwrap().insert("rate".into(), toml::Value::Integer(rate.into()));
    }
    let outage = table["fault"].as_array_mut().expect("faults")[0].as_table_mut().unwrap();
    outage.insert("end".into(), toml::Value::String(format!("{}m", 5 + outage_min)));
    let s = scenario::parse(&path, &toml::to_string(&table).unwrap()).expect("the payments case is valid");
    run(&s.world, s.seed.unwrap_or(Seed(0x2a)), TraceMode::Off).expect("the run ends within its limits")
}

fn lost(o: &RunOutput) -> usize {
    o.recorder.losses.iter().map(|t| t.total()).sum::<u64>() as usize
}

/// Through a 15-minute outage, us-west-2 commits thousands of writes us-east-1 misses; the
/// messages held or in flight for the channel stay at the level of a 1-minute outage (a catch-up
/// entry per pair, the traffic in flight), where resending each lost message held one per commit.
#[test]
fn payments_mrsc_pending_messages_stay_bounded_through_the_outage() {
    let (short, long) = (payments(10, 1), payments(10, 15));
    let peak = |o: &RunOutput| o.recorder.channel_messages_pending_peak;
    let acked = long.recorder.stores[0].writes_acked;
    assert!(acked > 15_000, "the run wrote: {acked} writes acknowledged");
    assert!(peak(&long) < 200, "pending peak {} through a 15-minute outage", peak(&long));
    assert!(peak(&long) <= peak(&short) + 20, "15-minute outage {} vs 1-minute {}", peak(&long), peak(&short));
    assert_eq!(lost(&long), 0, "MRSC loses no acknowledged write");
    assert_eq!(lost(&short), 0);
    // The minority side still rejects writes, and us-east-1 catches up after the outage.
    let rejections = &long.recorder.rejections;
    assert!(rejections.get("no_quorum").copied().unwrap_or(0) > 0, "{rejections:?}");
    assert!(rejections.get("catching_up").copied().unwrap_or(0) > 0, "{rejections:?}");
}
