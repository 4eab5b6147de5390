//! Proptest strategies for property-based tests of a design, in a team's own CI (feature
//! `strategies`).
//!
//! A property test starts from a scenario file (the team's topology and stores), lets proptest draw
//! a fault schedule and a workload, runs the scenario under a seed and asserts on the summary. A
//! [`Case`] is what was drawn: the scenario's text with the schedule and workload written into it,
//! and the seed; on a failure, [`Case::save`] writes it beside the test and [`Case::reproduce`] gives
//! the `mrsim run` line that replays it, so a CI failure is one command away from a timeline.
//!
//! ```no_run
//! use experiments::strategies::{Case, partition_schedule};
//! use proptest::prelude::*;
//! use std::time::Duration;
//!
//! let regions = vec!["us-east-1".to_string(), "us-east-2".to_string(), "us-west-2".to_string()];
//! proptest!(|(schedule in partition_schedule(regions.clone(), Duration::from_secs(60), 3), seed in any::<u64>())| {
//!     let base = std::fs::read_to_string("experiments/scenarios/mrsc.toml").unwrap();
//!     let case = Case::new("experiments/scenarios/mrsc.toml", &base, Some(&schedule), None, seed).unwrap();
//!     let summary = case.run().unwrap();
//!     prop_assert_eq!(summary.stores[0].lost_failover, 0, "{}", case.reproduce("target/cases"));
//! });
//! ```
//!
//! Times are drawn on a whole-second grid (shrinking then moves faults by whole seconds), and
//! every fault ends before the horizon, so a drawn schedule always validates against a scenario
//! whose duration is at least the horizon.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use proptest::prelude::*;
use sim_core::{Seed, TraceMode};
use toml::{Table, Value};

use crate::report::Summary;
use crate::{output, run, scenario};

/// One fault of a drawn schedule, in the scenario format's terms.
#[derive(Clone, Debug, PartialEq)]
pub enum FaultKind {
    /// A whole Region dark (`region_outage`, scope region).
    RegionOutage { region: String },
    /// A partition between two groups of Regions; one way when `one_way` (side_a's messages to
    /// side_b are cut).
    Partition { side_a: Vec<String>, side_b: Vec<String>, one_way: bool },
    /// A Region's clock off by `offset_ms` (negative: behind).
    ClockSkew { region: String, offset_ms: i64 },
    /// A link with extra latency and loss, both ways.
    DegradedLink { from: String, to: String, extra_latency_ms: u64, loss: f64 },
}

/// A fault and its window, in whole seconds from the start of the run.
#[derive(Clone, Debug, PartialEq)]
pub struct Fault {
    pub kind: FaultKind,
    pub start_s: u64,
    pub end_s: u64,
}

/// A drawn fault schedule: the scenario's `[[fault]]` list.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct FaultSchedule(pub Vec<Fault>);

impl FaultSchedule {
    /// The schedule as the scenario format's `fault` array.
    pub fn to_toml(&self) -> Value {
        let faults = self.0.iter().map(|f| {
            let mut t = Table::new();
            let s = |x: &str| Value::String(x.to_string());
            let list = |xs: &[String]| Value::Array(xs.iter().map(|x| s(x)).collect());
            match &f.kind {
                FaultKind::RegionOutage { region } => {
                    t.insert("type".into(), s("region_outage"));
                    t.insert("region".into(), s(region));
                }
                FaultKind::Partition { side_a, side_b, one_way } => {
                    t.insert("type".into(), s("partition"));
                    t.insert("side_a".into(), list(side_a));
                    t.insert("side_b".into(), list(side_b));
                    t.insert("direction".into(), s(if *one_way { "a_to_b" } else { "both" }));
                }
                FaultKind::ClockSkew { region, offset_ms } => {
                    t.insert("type".into(), s("clock_skew"));
                    t.insert("region".into(), s(region));
                    let sign = if *offset_ms < 0 { "-" } else { "" };
                    t.insert("offset".into(), s(&format!("{sign}{}ms", offset_ms.unsigned_abs())));
                }
                FaultKind::DegradedLink { from, to, extra_latency_ms, loss } => {
                    t.insert("type".into(), s("degraded_link"));
                    t.insert("from".into(), s(from));
                    t.insert("to".into(), s(to));
                    t.insert("extra_latency".into(), s(&format!("constant({extra_latency_ms}ms)")));
                    t.insert("loss".into(), Value::Float(*loss));
                }
            }
            t.insert("start".into(), s(&format!("{}s", f.start_s)));
            t.insert("end".into(), s(&format!("{}s", f.end_s)));
            Value::Table(t)
        });
        Value::Array(faults.collect())
    }
}

impl fmt::Display for FaultSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("no faults");
        }
        for (i, fault) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            match &fault.kind {
                FaultKind::RegionOutage { region } => write!(f, "{region} dark")?,
                FaultKind::Partition { side_a, side_b, one_way } => {
                    let arrow = if *one_way { "->" } else { "|" };
                    write!(f, "[{}] {arrow} [{}]", side_a.join(","), side_b.join(","))?
                }
                FaultKind::ClockSkew { region, offset_ms } => write!(f, "{region} clock {offset_ms:+} ms")?,
                FaultKind::DegradedLink { from, to, extra_latency_ms, loss } => {
                    write!(f, "{from}<->{to} +{extra_latency_ms} ms, loss {loss}")?
                }
            }
            write!(f, " {}s-{}s", fault.start_s, fault.end_s)?;
        }
        Ok(())
    }
}

/// A window inside `[0, horizon)`: start, then a length of at least one second.
fn window(horizon: Duration) -> impl Strategy<Value = (u64, u64)> {
    let h = horizon.as_secs().max(2);
    (0..h - 1).prop_flat_map(move |start| (Just(start), (start + 1)..h))
}

/// Two non-empty groups of distinct Regions: each Region goes to side a, side b, or neither.
fn two_sides(regions: Vec<String>) -> impl Strategy<Value = (Vec<String>, Vec<String>)> {
    let n = regions.len();
    proptest::collection::vec(0u8..3, n)
        .prop_filter("both sides need a Region", |sides| sides.contains(&0) && sides.contains(&1))
        .prop_map(move |sides| {
            let pick = |k: u8| regions.iter().zip(&sides).filter(|(_, s)| **s == k).map(|(r, _)| r.clone()).collect();
            (pick(0), pick(1))
        })
}

/// Partitions only: up to `max_faults` partitions between random groups of `regions`, each both ways or
/// one way, each inside `[0, horizon)`. They may overlap.
pub fn partition_schedule(
    regions: Vec<String>,
    horizon: Duration,
    max_faults: usize,
) -> impl Strategy<Value = FaultSchedule> {
    assert!(regions.len() >= 2, "a partition needs two Regions");
    let one = (two_sides(regions), any::<bool>(), window(horizon)).prop_map(|((side_a, side_b), one_way, (s, e))| {
        Fault { kind: FaultKind::Partition { side_a, side_b, one_way }, start_s: s, end_s: e }
    });
    proptest::collection::vec(one, 0..=max_faults).prop_map(FaultSchedule)
}

/// Any fault the strategies know: Region outages, partitions, clock skew up to ±2 s and degraded
/// links (up to +200 ms, up to 20% loss), up to `max_faults` of them, each inside `[0, horizon)`.
/// Faults of the same kind on the same Region may overlap; the scenario validator refuses what the
/// format refuses, so a property test should treat an invalid case as a rejection (see
/// [`Case::new`]).
pub fn fault_schedule(
    regions: Vec<String>,
    horizon: Duration,
    max_faults: usize,
) -> impl Strategy<Value = FaultSchedule> {
    assert!(regions.len() >= 2, "a fault schedule needs two Regions");
    let region = proptest::sample::select(regions.clone());
    let outage = region.clone().prop_map(|region| FaultKind::RegionOutage { region });
    let partition = (two_sides(regions.clone()), any::<bool>())
        .prop_map(|((side_a, side_b), one_way)| FaultKind::Partition { side_a, side_b, one_way });
    let skew = (region, -2000i64..=2000).prop_map(|(region, offset_ms)| FaultKind::ClockSkew { region, offset_ms });
    let link = (proptest::sample::subsequence(regions, 2), 0u64..=200, 0u32..=20).prop_map(|(pair, extra, loss)| {
        FaultKind::DegradedLink {
            from: pair[0].clone(),
            to: pair[1].clone(),
            extra_latency_ms: extra,
            loss: f64::from(loss) / 100.0,
        }
    });
    let kind = prop_oneof![outage, partition, skew, link];
    let one = (kind, window(horizon)).prop_map(|(kind, (start_s, end_s))| Fault { kind, start_s, end_s });
    proptest::collection::vec(one, 0..=max_faults).prop_map(FaultSchedule)
}

/// How clients pick keys.
#[derive(Clone, Debug, PartialEq)]
pub enum Keys {
    Uniform(u64),
    Zipf { keys: u64, exponent: f64 },
    HotSet { keys: u64, hot_key_fraction: f64, hot_traffic_fraction: f64 },
}

impl Keys {
    fn to_toml(&self) -> Value {
        let mut t = Table::new();
        let int = |n: u64| Value::Integer(i64::try_from(n).unwrap_or(i64::MAX));
        match self {
            Keys::Uniform(n) => {
                t.insert("uniform".into(), int(*n));
            }
            Keys::Zipf { keys, exponent } => {
                t.insert("zipf".into(), int(*keys));
                t.insert("exponent".into(), Value::Float(*exponent));
            }
            Keys::HotSet { keys, hot_key_fraction, hot_traffic_fraction } => {
                t.insert("hot_set".into(), int(*keys));
                t.insert("hot_key_fraction".into(), Value::Float(*hot_key_fraction));
                t.insert("hot_traffic_fraction".into(), Value::Float(*hot_traffic_fraction));
            }
        }
        Value::Table(t)
    }
}

/// A drawn workload: every open-loop population's rate scaled, and every operation's keys replaced.
#[derive(Clone, Debug, PartialEq)]
pub struct Workload {
    pub rate_scale: f64,
    pub keys: Keys,
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rates x{}, keys {:?}", self.rate_scale, self.keys)
    }
}

/// Workloads: rates scaled by 0.25..=`max_rate_scale` (in quarters), keys uniform, Zipf (exponent
/// 0.5..1.5) or a hot set, over 10..=`max_keys` keys. Few keys make concurrent writes to one key
/// likely, which is where replication modes differ.
pub fn workload(max_rate_scale: f64, max_keys: u64) -> impl Strategy<Value = Workload> {
    let quarters = 1..=((max_rate_scale * 4.0).round().max(1.0) as u32);
    let n = 10..=max_keys.max(10);
    let keys = prop_oneof![
        n.clone().prop_map(Keys::Uniform),
        (n.clone(), 5u32..=15).prop_map(|(keys, e)| Keys::Zipf { keys, exponent: f64::from(e) / 10.0 }),
        (n, 1u32..=10, 50u32..=95).prop_map(|(keys, k, t)| Keys::HotSet {
            keys,
            hot_key_fraction: f64::from(k) / 100.0,
            hot_traffic_fraction: f64::from(t) / 100.0,
        }),
    ];
    (quarters, keys).prop_map(|(q, keys)| Workload { rate_scale: f64::from(q) / 4.0, keys })
}

/// One drawn test case: a scenario text and a seed.
#[derive(Clone, Debug)]
pub struct Case {
    /// Where the base scenario lives: includes resolve from here, and errors name it.
    pub base: PathBuf,
    /// The scenario with the drawn schedule and workload written in.
    pub text: String,
    pub seed: Seed,
    /// What was drawn, in one line, for failure messages.
    pub description: String,
    scenario: scenario::Scenario,
}

impl Case {
    /// Writes `schedule` (replacing the scenario's faults) and `workload` into the base scenario's
    /// text and validates the result. An error is the validator's message: a property test should
    /// reject such a case (`prop_assume!`) or fix its strategy.
    pub fn new(
        base: impl AsRef<Path>,
        text: &str,
        schedule: Option<&FaultSchedule>,
        workload: Option<&Workload>,
        seed: u64,
    ) -> Result<Case, String> {
        let base = base.as_ref().to_path_buf();
        let mut table: Table = text.parse().map_err(|e| format!("{}: {e}", base.display()))?;
        let mut description = Vec::new();
        if let Some(schedule) = schedule {
            table.insert("fault".into(), schedule.to_toml());
            description.push(schedule.to_string());
        }
        if let Some(w) = workload {
            apply_workload(&mut table, w);
            description.push(w.to_string());
        }
        let text = toml::to_string(&table).map_err(|e| format!("cannot write the case as TOML: {e}"))?;
        let scenario = scenario::parse(&base, &text).map_err(|e| e.to_string())?;
        Ok(Case { base, text, seed: Seed(seed), description: description.join("; "), scenario })
    }

    /// Runs the case and returns its summary (every metric of summary.json).
    pub fn run(&self) -> Result<Summary, String> {
        run::run_and_render(&self.scenario, self.seed, TraceMode::Hash).map(|b| b.summary).map_err(|e| e.to_string())
    }

    /// Writes the case's scenario into `dir` (named by the seed, beside the base scenario's own
    /// includes when `dir` is the base's folder) and returns its path.
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<PathBuf, String> {
        let stem = self.base.file_stem().map_or("case".into(), |s| s.to_string_lossy().into_owned());
        let path = dir.as_ref().join(format!("{stem}-case-{}.toml", self.seed));
        let header = format!("# A property-test case: {}\n# base: {}\n", self.description, self.base.display());
        output::write_atomic(&path, format!("{header}{}", self.text).as_bytes())?;
        Ok(path)
    }

    /// Saves the case into `dir` and returns a message naming the seed, what was drawn and the
    /// one-line `mrsim run` that replays it.
    pub fn reproduce(&self, dir: impl AsRef<Path>) -> String {
        match self.save(dir) {
            Ok(path) => format!(
                "seed {} ({}); replay: {}",
                self.seed,
                self.description,
                run::reproduce_command(&path, &[], self.seed)
            ),
            Err(e) => format!("seed {} ({}); the case could not be saved: {e}", self.seed, self.description),
        }
    }
}

fn apply_workload(table: &mut Table, w: &Workload) {
    let Some(Value::Array(populations)) = table.get_mut("population") else { return };
    for p in populations.iter_mut().filter_map(Value::as_table_mut) {
        if let Some(rate) = p.get("rate").and_then(|r| r.as_float().or_else(|| r.as_integer().map(|i| i as f64))) {
            p.insert("rate".into(), Value::Float(rate * w.rate_scale));
        }
        if p.contains_key("keys") {
            p.insert("keys".into(), w.keys.to_toml());
        }
        if let Some(Value::Array(ops)) = p.get_mut("operation") {
            for op in ops.iter_mut().filter_map(Value::as_table_mut) {
                if op.contains_key("keys") {
                    op.insert("keys".into(), w.keys.to_toml());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

    fn regions() -> Vec<String> {
        ["us-east-1", "us-east-2", "us-west-2"].map(String::from).to_vec()
    }

    fn runner() -> TestRunner {
        TestRunner::new_with_rng(Config::default(), TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]))
    }

    #[test]
    fn drawn_schedules_stay_inside_the_horizon_and_name_known_regions() {
        let mut r = runner();
        let s = fault_schedule(regions(), Duration::from_secs(60), 4);
        for _ in 0..500 {
            let schedule = s.new_tree(&mut r).unwrap().current();
            assert!(schedule.0.len() <= 4);
            for f in &schedule.0 {
                assert!(f.start_s < f.end_s && f.end_s < 60, "{f:?}");
                if let FaultKind::Partition { side_a, side_b, .. } = &f.kind {
                    assert!(!side_a.is_empty() && !side_b.is_empty());
                    assert!(side_a.iter().all(|r| !side_b.contains(r)), "{f:?}");
                }
            }
        }
    }

    #[test]
    fn a_schedule_renders_as_the_scenario_format() {
        let schedule = FaultSchedule(vec![
            Fault {
                kind: FaultKind::Partition { side_a: vec!["a".into()], side_b: vec!["b".into()], one_way: true },
                start_s: 5,
                end_s: 9,
            },
            Fault { kind: FaultKind::ClockSkew { region: "b".into(), offset_ms: -250 }, start_s: 0, end_s: 3 },
        ]);
        let mut t = Table::new();
        t.insert("fault".into(), schedule.to_toml());
        let text = toml::to_string(&t).unwrap();
        assert!(text.contains("type = \"partition\"") && text.contains("direction = \"a_to_b\""), "{text}");
        assert!(text.contains("offset = \"-250ms\"") && text.contains("start = \"5s\""), "{text}");
        assert_eq!(schedule.to_string(), "[a] -> [b] 5s-9s; b clock -250 ms 0s-3s");
    }

    /// A drawn case the format refuses (a Region the scenario does not declare) is an error naming
    /// the problem, for the property test to reject; a valid one runs.
    #[test]
    fn a_case_is_validated_before_it_runs() {
        let base = "[scenario]\nname = \"c\"\nduration = \"10s\"\n[[region]]\nname = \"us-east-1\"\n\
                    [[region]]\nname = \"us-west-2\"\n[[store]]\nname = \"t\"\ntype = \"dynamodb_global_table\"\n\
                    regions = [\"us-east-1\", \"us-west-2\"]\n[[population]]\nname = \"p\"\nregion = \"us-east-1\"\n\
                    rate = 20.0\naccess_latency = \"5ms\"\nread_fraction = 0.5\nstore = \"t\"\nkeys = { uniform = 5 }\n";
        let outage = |region: &str| {
            FaultSchedule(vec![Fault { kind: FaultKind::RegionOutage { region: region.into() }, start_s: 2, end_s: 5 }])
        };
        let e = Case::new("c.toml", base, Some(&outage("mars-1")), None, 1).unwrap_err();
        assert!(e.contains("mars-1") && e.contains("fault[0]"), "{e}");
        let w = Workload { rate_scale: 0.5, keys: Keys::Uniform(3) };
        let case = Case::new("c.toml", base, Some(&outage("us-east-1")), Some(&w), 1).unwrap();
        assert_eq!(case.description, "us-east-1 dark 2s-5s; rates x0.5, keys Uniform(3)");
        let summary = case.run().unwrap();
        assert!(summary.operations.started > 0);
        assert_eq!(summary.faults.len(), 1, "the drawn outage is in the run");
    }

    #[test]
    fn a_workload_scales_rates_and_replaces_keys() {
        let mut table: Table = "[[population]]\nrate = 100\n[[population.operation]]\nkeys = { uniform = 5 }\n\
                                [[population]]\nsessions = 3\nkeys = { uniform = 5 }\n"
            .parse()
            .unwrap();
        apply_workload(&mut table, &Workload { rate_scale: 0.5, keys: Keys::Uniform(12) });
        let p = table["population"].as_array().unwrap();
        assert_eq!(p[0]["rate"], Value::Float(50.0));
        assert_eq!(p[0]["operation"][0]["keys"]["uniform"], Value::Integer(12));
        assert_eq!(p[1]["keys"]["uniform"], Value::Integer(12));
        assert!(p[1].get("rate").is_none(), "a closed-loop population keeps no rate");
    }
}
