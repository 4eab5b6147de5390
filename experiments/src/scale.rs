//! Scaling a scenario along one axis, for `mrsim bench model`'s scaling table: the request rate
//! (with the timeline shortened by as much, so the run has as many requests) or the simulated
//! duration (at the same rate, so the run has that many times more).
//!
//! The scaling is a list of `--set` overrides computed from the scenario's text and applied with
//! [`overrides::resolve`], so the scaled scenario goes through every validation rule and a row can
//! be reproduced with `mrsim run SCENARIO --set ...`. What scales is the scenario's *timeline*: the
//! duration, every fault's start, end and flapping period, every action's `at`, and the times of
//! rate profiles. The system's own time constants (latencies, replication delays, timeouts, health
//! check intervals, TTLs, reaction and promotion times, alarm periods) are what is simulated and stay
//! as written; so does `drain_max`, a bound on how long the system takes to settle.
//!
//! - [`Axis::Rate`] x k: open-loop rates (and rate profile rates) and closed-loop session counts
//!   x k; the timeline and the metrics interval / k, so every row also has as many metric intervals;
//!   and the app tiers' capacity x k (servers, queue limits, servers a `scale_out` adds), so a Region
//!   is as loaded as at x1 instead of shedding what x1 served: the rows compare the cost of the same
//!   work, not an overload.
//!   Fault generators (their durations are distributions) and trace replays (their times are
//!   recorded) cannot be scaled: the error names them.
//! - [`Axis::Duration`] x k: the timeline x k at the same rates, the metrics interval as written,
//!   and `max_events` (as written, or its default) x k so the event limit does not end the longer
//!   run. Trace replays cannot be stretched.
//!
//! Guarantees: a scaled time is exact in nanoseconds or the scaling is refused (never rounded), and
//! every error names the TOML path that could not be scaled and why.

use std::fmt;
use std::path::Path;

use sim_core::SimDuration;
use toml::{Table, Value};

use crate::overrides::{self, Override};
use crate::scenario::Scenario;

/// What a scaling multiplies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Axis {
    /// Rates x k, the timeline / k: as many requests, k times denser.
    Rate,
    /// The timeline x k at the same rates: k times as many requests.
    Duration,
}

/// An axis and its factor (a positive whole number).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scaling {
    pub axis: Axis,
    pub factor: u32,
}

impl fmt::Display for Scaling {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.axis {
            Axis::Rate => write!(f, "rate x{}", self.factor),
            Axis::Duration => write!(f, "duration x{}", self.factor),
        }
    }
}

/// A scenario scaled: the overrides that scale it (empty at factor 1) and the validated result.
#[derive(Clone, Debug)]
pub struct Scaled {
    pub overrides: Vec<Override>,
    pub scenario: Scenario,
}

/// Reads the scenario at `path` (includes merged) and scales it.
pub fn load(path: &Path, scaling: Scaling) -> Result<Scaled, String> {
    let source = overrides::read_source(path).map_err(|e| e.to_string())?;
    apply(path, &source, scaling)
}

/// Scales `source` (the text of `path`, includes merged) and validates the result.
pub fn apply(path: &Path, source: &str, scaling: Scaling) -> Result<Scaled, String> {
    let (_, written) = overrides::resolve(path, source, &[]).map_err(|e| e.to_string())?;
    let sets =
        scaling_overrides(source, &written, scaling).map_err(|e| format!("{}: {scaling}: {e}", path.display()))?;
    let (_, scenario) = overrides::resolve(path, source, &sets)
        .map_err(|e| format!("{}: {scaling}: the scaled scenario is not valid: {e}", path.display()))?;
    Ok(Scaled { overrides: sets, scenario })
}

/// The overrides that scale `source`, whose validated form is `written` (for the defaults the file
/// leaves out: the metrics interval, `max_events`).
pub fn scaling_overrides(source: &str, written: &Scenario, scaling: Scaling) -> Result<Vec<Override>, String> {
    if scaling.factor == 0 {
        return Err("the factor is 0; expected a positive whole number".to_string());
    }
    if scaling.factor == 1 {
        return Ok(Vec::new());
    }
    let table: Table = source.parse().map_err(|e: toml::de::Error| format!("not valid TOML: {}", e.message()))?;
    let mut out = Scaler { scaling, sets: Vec::new() };
    let header = table.get("scenario").and_then(Value::as_table).ok_or("the scenario has no [scenario] table")?;
    out.time("scenario.duration", header.get("duration").ok_or("scenario.duration is missing")?)?;
    let k = u64::from(scaling.factor);
    match scaling.axis {
        Axis::Rate => {
            let interval = written.world.metrics_interval;
            out.set_duration("scenario.metrics_interval", out.scale_duration("scenario.metrics_interval", interval)?)?;
        }
        Axis::Duration => {
            let max_events = written.world.max_events.checked_mul(k).filter(|n| *n <= i64::MAX as u64);
            let max_events = max_events.ok_or("scenario.max_events x the factor does not fit in 64 bits")?;
            out.set("scenario.max_events", &max_events.to_string())?;
        }
    }
    if scaling.axis == Axis::Rate {
        for (i, region) in tables(&table, "region").enumerate() {
            if let Some(tier) = region.get("app_tier").and_then(Value::as_table) {
                for key in ["servers", "queue_limit"] {
                    if let Some(v) = tier.get(key) {
                        out.count(&format!("region[{i}].app_tier.{key}"), v)?;
                    }
                }
            }
        }
        for (i, action) in tables(&table, "action").enumerate() {
            if let Some(v) = action.get("servers") {
                out.count(&format!("action[{i}].servers"), v)?;
            }
        }
    }
    for (i, population) in tables(&table, "population").enumerate() {
        out.population(i, population)?;
    }
    for (i, fault) in tables(&table, "fault").enumerate() {
        for key in ["start", "end", "period"] {
            if let Some(v) = fault.get(key) {
                out.time(&format!("fault[{i}].{key}"), v)?;
            }
        }
    }
    if scaling.axis == Axis::Rate && tables(&table, "fault_generator").next().is_some() {
        return Err("fault_generator[0]: a generated fault's duration is a distribution, which cannot be \
                    divided; write the faults out as [[fault]] to scale the rate"
            .to_string());
    }
    for (i, action) in tables(&table, "action").enumerate() {
        if let Some(at) = action.get("at") {
            out.time(&format!("action[{i}].at"), at)?;
        }
    }
    Ok(out.sets)
}

/// The tables of the array of tables `name` (none when absent).
pub(crate) fn tables<'a>(table: &'a Table, name: &str) -> impl Iterator<Item = &'a Table> {
    table.get(name).and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_table)
}

struct Scaler {
    scaling: Scaling,
    sets: Vec<Override>,
}

impl Scaler {
    fn set(&mut self, path: &str, value: &str) -> Result<(), String> {
        self.sets.push(Override::new(path, value).map_err(|e| format!("{path}: {e}"))?);
        Ok(())
    }

    fn set_duration(&mut self, path: &str, d: SimDuration) -> Result<(), String> {
        self.set(path, &exact_duration_text(d))
    }

    /// `d` on the scaled timeline: / k on the rate axis (exactly, or an error), x k on the duration
    /// axis.
    fn scale_duration(&self, path: &str, d: SimDuration) -> Result<SimDuration, String> {
        let (n, k) = (d.as_nanos(), u64::from(self.scaling.factor));
        match self.scaling.axis {
            Axis::Rate if n % k != 0 => Err(format!(
                "{path} = {} is not a whole number of nanoseconds once divided by {k}",
                exact_duration_text(d)
            )),
            Axis::Rate => Ok(SimDuration::from_nanos(n / k)),
            Axis::Duration => n
                .checked_mul(k)
                .map(SimDuration::from_nanos)
                .ok_or_else(|| format!("{path} = {} x {k} does not fit in 584 years", exact_duration_text(d))),
        }
    }

    /// Scales the duration written at `path`.
    fn time(&mut self, path: &str, value: &Value) -> Result<(), String> {
        let d = duration_of(path, value)?;
        let scaled = self.scale_duration(path, d)?;
        self.set_duration(path, scaled)
    }

    /// A rate x k on the rate axis, as written on the duration axis.
    fn rate(&self, path: &str, value: &Value) -> Result<f64, String> {
        let r = match value {
            Value::Float(f) => *f,
            Value::Integer(n) => *n as f64,
            other => return Err(format!("{path} is a {}; expected a number of requests per second", other.type_str())),
        };
        Ok(match self.scaling.axis {
            Axis::Rate => r * f64::from(self.scaling.factor),
            Axis::Duration => r,
        })
    }

    /// A whole number x k (a capacity or a session count that follows the rate).
    fn count(&mut self, path: &str, value: &Value) -> Result<(), String> {
        let n = value.as_integer().ok_or_else(|| format!("{path}: expected a whole number"))?;
        let scaled = n.checked_mul(i64::from(self.scaling.factor)).ok_or(format!("{path} x the factor overflows"))?;
        self.set(path, &scaled.to_string())
    }

    fn population(&mut self, i: usize, p: &Table) -> Result<(), String> {
        let here = format!("population[{i}]");
        if p.contains_key("trace") {
            return Err(format!(
                "{here} replays a recorded trace, whose times cannot be {}; scale a scenario of open-loop \
                 (rate, rate_profile) or closed-loop (sessions) populations",
                match self.scaling.axis {
                    Axis::Rate => "compressed",
                    Axis::Duration => "stretched",
                }
            ));
        }
        let rate_axis = self.scaling.axis == Axis::Rate;
        if let Some(rate) = p.get("rate").filter(|_| rate_axis) {
            let r = self.rate(&format!("{here}.rate"), rate)?;
            self.set(&format!("{here}.rate"), &float_text(r))?;
        }
        if let Some(sessions) = p.get("sessions").filter(|_| rate_axis) {
            self.count(&format!("{here}.sessions"), sessions)?;
        }
        if let Some(profile) = p.get("rate_profile") {
            let profile = profile.as_table().ok_or_else(|| format!("{here}.rate_profile: expected a table"))?;
            self.rate_profile(&format!("{here}.rate_profile"), profile)?;
        }
        Ok(())
    }

    /// A rate profile's times on the scaled timeline and its rates x k on the rate axis; `amplitude`
    /// is a fraction of the mean and stays.
    fn rate_profile(&mut self, here: &str, profile: &Table) -> Result<(), String> {
        for key in ["start", "end", "period", "peak_at"] {
            if let Some(v) = profile.get(key) {
                self.time(&format!("{here}.{key}"), v)?;
            }
        }
        for key in ["from_rate", "to_rate", "mean_rate"] {
            if let Some(v) = profile.get(key) {
                let path = format!("{here}.{key}");
                let r = self.rate(&path, v)?;
                self.set(&path, &float_text(r))?;
            }
        }
        if let Some(points) = profile.get("points") {
            let path = format!("{here}.points");
            let points = points.as_array().ok_or_else(|| format!("{path}: expected an array of [time, rate]"))?;
            let mut scaled = Vec::new();
            for (j, point) in points.iter().enumerate() {
                let at = format!("{path}[{j}]");
                let pair =
                    point.as_array().filter(|a| a.len() == 2).ok_or_else(|| format!("{at}: expected [time, rate]"))?;
                let t = self.scale_duration(&at, duration_of(&at, &pair[0])?)?;
                let r = self.rate(&at, &pair[1])?;
                scaled.push(format!("[\"{}\", {}]", exact_duration_text(t), float_text(r)));
            }
            self.set(&path, &format!("[{}]", scaled.join(", ")))?;
        }
        Ok(())
    }
}

/// The duration written at `path`.
pub(crate) fn duration_of(path: &str, value: &Value) -> Result<SimDuration, String> {
    let text = value.as_str().ok_or_else(|| format!("{path}: expected a duration with a unit, as in \"30s\""))?;
    text.parse::<SimDuration>().map_err(|e| format!("{path}: {e}"))
}

/// `d` in the largest unit that writes it exactly (`36s`, `150ms`, `2h`): `Display` rounds to
/// three decimals, and a scaled scenario must mean exactly the scaled times.
pub fn exact_duration_text(d: SimDuration) -> String {
    const UNITS: [(&str, u64); 6] = [
        ("h", 3_600_000_000_000),
        ("m", 60_000_000_000),
        ("s", 1_000_000_000),
        ("ms", 1_000_000),
        ("us", 1_000),
        ("ns", 1),
    ];
    let n = d.as_nanos();
    if n == 0 {
        return "0s".to_string();
    }
    let (unit, size) = UNITS.iter().find(|(_, size)| n % size == 0).copied().unwrap_or(("ns", 1));
    format!("{}{unit}", n / size)
}

/// A rate as a TOML float (`600.0`, `0.25`).
pub(crate) fn float_text(r: f64) -> String {
    format!("{r:?}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use models::config::{Arrivals, RateProfile, Trigger};
    use sim_core::SimTime;

    fn shipped(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(name)
    }

    fn set_lines(s: &Scaled) -> Vec<String> {
        s.overrides.iter().map(|o| o.to_string()).collect()
    }

    fn rates(s: &Scaled) -> Vec<f64> {
        s.scenario
            .world
            .populations
            .iter()
            .map(|p| match &p.arrivals {
                Arrivals::Open(RateProfile::Constant(r)) => *r,
                other => panic!("expected a constant rate, found {other:?}"),
            })
            .collect()
    }

    fn windows(s: &Scaled) -> Vec<(SimTime, Option<SimTime>)> {
        s.scenario.world.faults.iter().map(|f| (f.start, f.end)).collect()
    }

    fn at(d: &str) -> SimTime {
        SimTime::at(d.parse().unwrap())
    }

    #[test]
    fn rate_x10_multiplies_the_rates_and_divides_the_timeline() {
        let path = shipped("bench/hot-keys.toml");
        let x1 = load(&path, Scaling { axis: Axis::Rate, factor: 1 }).unwrap();
        assert!(x1.overrides.is_empty(), "x1 is the scenario as written");
        assert_eq!(rates(&x1), [200.0, 200.0]);
        assert_eq!(windows(&x1), [(at("4m"), Some(at("7m")))]);
        let x10 = load(&path, Scaling { axis: Axis::Rate, factor: 10 }).unwrap();
        assert_eq!(
            set_lines(&x10),
            [
                "scenario.duration=1m",
                "scenario.metrics_interval=100ms",
                "population[0].rate=2000.0",
                "population[1].rate=2000.0",
                "fault[0].start=24s",
                "fault[0].end=42s",
            ]
        );
        let world = &x10.scenario.world;
        assert_eq!(world.duration, SimDuration::from_mins(1));
        assert_eq!(world.metrics_interval, SimDuration::from_millis(100));
        assert_eq!(world.max_events, x1.scenario.world.max_events, "as many events as x1: the limit stays");
        assert_eq!(world.drain_max, x1.scenario.world.drain_max, "the drain phase is the system's, not the timeline's");
        assert_eq!(rates(&x10), [2000.0, 2000.0]);
        assert_eq!(windows(&x10), [(at("24s"), Some(at("42s")))]);
        let x100 = load(&path, Scaling { axis: Axis::Rate, factor: 100 }).unwrap();
        assert_eq!(x100.scenario.world.duration, SimDuration::from_secs(6));
        assert_eq!(x100.scenario.world.metrics_interval, SimDuration::from_millis(10));
        assert_eq!(rates(&x100), [20000.0, 20000.0]);
        assert_eq!(windows(&x100), [(at("2.4s"), Some(at("4.2s")))]);
    }

    #[test]
    fn the_reference_scenario_scales_with_its_hour_and_outage() {
        let x100 = load(&shipped("bench/model.toml"), Scaling { axis: Axis::Rate, factor: 100 }).unwrap();
        assert_eq!(
            set_lines(&x100),
            [
                "scenario.duration=36s",
                "scenario.metrics_interval=100ms",
                "region[0].app_tier.servers=4000",
                "region[0].app_tier.queue_limit=100000",
                "region[1].app_tier.servers=4000",
                "region[1].app_tier.queue_limit=100000",
                "population[0].rate=60000.0",
                "population[1].rate=40000.0",
                "fault[0].start=15s",
                "fault[0].end=21s",
            ]
        );
        let tiers: Vec<(u32, u32)> =
            x100.scenario.world.app_tiers.iter().flatten().map(|t| (t.servers, t.queue_limit)).collect();
        assert_eq!(tiers, [(4000, 100_000), (4000, 100_000)], "as loaded as at x1: 40 servers for 1 000 requests/s");
        assert_eq!(x100.scenario.world.duration, SimDuration::from_secs(36));
        assert_eq!(x100.scenario.world.metrics_interval, SimDuration::from_millis(100));
        assert_eq!(rates(&x100), [60000.0, 40000.0]);
        assert_eq!(windows(&x100), [(at("15s"), Some(at("21s")))]);
    }

    #[test]
    fn duration_x10_stretches_the_timeline_and_raises_the_event_limit() {
        let path = shipped("bench/hot-keys.toml");
        let x10 = load(&path, Scaling { axis: Axis::Duration, factor: 10 }).unwrap();
        assert_eq!(
            set_lines(&x10),
            ["scenario.duration=100m", "scenario.max_events=2000000000", "fault[0].start=40m", "fault[0].end=70m"]
        );
        assert_eq!(x10.scenario.world.metrics_interval, SimDuration::from_secs(1), "one row per second, as written");
        assert_eq!(rates(&x10), [200.0, 200.0]);
    }

    /// world.toml without its trace replay: rate profile steps, closed-loop sessions, actions at
    /// set times and seven faults all follow the factor.
    #[test]
    fn profiles_sessions_and_actions_follow_the_factor() {
        let path = shipped("world.toml");
        let mut table: Table = std::fs::read_to_string(&path).unwrap().parse().unwrap();
        let populations = table.get_mut("population").and_then(Value::as_array_mut).unwrap();
        populations.retain(|p| !p.as_table().unwrap().contains_key("trace"));
        let source = toml::to_string(&table).unwrap();
        let x1 = apply(&path, &source, Scaling { axis: Axis::Rate, factor: 1 }).unwrap();
        let x10 = apply(&path, &source, Scaling { axis: Axis::Rate, factor: 10 }).unwrap();
        let (w1, w10) = (&x1.scenario.world, &x10.scenario.world);
        assert_eq!(w10.duration, SimDuration::from_secs(90));
        match (&w1.populations[0].arrivals, &w10.populations[0].arrivals) {
            (Arrivals::Closed { sessions: a, .. }, Arrivals::Closed { sessions: b, .. }) => assert_eq!(*b, a * 10),
            other => panic!("expected closed-loop sessions, found {other:?}"),
        }
        assert_eq!(
            w10.populations[1].arrivals,
            Arrivals::Open(RateProfile::Steps(vec![(at("0s"), 4000.0), (at("30s"), 6000.0), (at("54s"), 4000.0)]))
        );
        assert_eq!(w1.faults.len(), 7);
        for (f1, f10) in w1.faults.iter().zip(&w10.faults) {
            assert_eq!(f10.start.as_nanos() * 10, f1.start.as_nanos());
            assert_eq!(f10.end.map(|e| e.as_nanos() * 10), f1.end.map(|e| e.as_nanos()));
        }
        let action_times = |w: &models::config::WorldConfig| -> Vec<SimTime> {
            w.actions
                .iter()
                .map(|a| match &a.trigger {
                    Trigger::At(t) => *t,
                    other => panic!("expected a scheduled action, found {other:?}"),
                })
                .collect()
        };
        assert_eq!(action_times(w10), [at("33s"), at("42s")]);
        let added: Vec<String> = set_lines(&x10).into_iter().filter(|l| l.starts_with("action[")).collect();
        assert_eq!(
            added,
            ["action[0].servers=40", "action[1].servers=40", "action[0].at=33s", "action[1].at=42s"],
            "a scale-out adds capacity in proportion to the rate"
        );
        assert_eq!(action_times(w1), [at("5m30s"), at("7m")]);
    }

    #[test]
    fn what_cannot_scale_is_named() {
        let world = shipped("world.toml");
        let e = load(&world, Scaling { axis: Axis::Rate, factor: 10 }).unwrap_err();
        assert!(e.contains("world.toml: rate x10: population[3] replays a recorded trace"), "{e}");
        let e = load(&world, Scaling { axis: Axis::Duration, factor: 10 }).unwrap_err();
        assert!(e.contains("duration x10: population[3]") && e.contains("cannot be stretched"), "{e}");
        let hot = shipped("bench/hot-keys.toml");
        let source = std::fs::read_to_string(&hot).unwrap();
        let generated = format!(
            "{source}\n[[fault_generator]]\ntype = \"region_outage\"\nrate_per_hour = 1.0\nduration = \"exp(mean=1m)\"\n"
        );
        let e = apply(&hot, &generated, Scaling { axis: Axis::Rate, factor: 10 }).unwrap_err();
        assert!(e.contains("fault_generator[0]") && e.contains("write the faults out as [[fault]]"), "{e}");
        assert!(apply(&hot, &generated, Scaling { axis: Axis::Duration, factor: 10 }).is_ok());
        let odd = source.replace("start = \"4m\"", "start = \"4m3ns\"");
        let e = apply(&hot, &odd, Scaling { axis: Axis::Rate, factor: 10 }).unwrap_err();
        assert!(e.contains("fault[0].start = 240000000003ns is not a whole number of nanoseconds"), "{e}");
        let e = apply(&hot, &source, Scaling { axis: Axis::Rate, factor: 0 }).unwrap_err();
        assert!(e.contains("the factor is 0"), "{e}");
    }

    #[test]
    fn exact_durations_use_the_largest_unit_that_divides() {
        let text = |n: u64| exact_duration_text(SimDuration::from_nanos(n));
        assert_eq!(text(36_000_000_000), "36s");
        assert_eq!(text(150_000_000), "150ms");
        assert_eq!(text(7_200_000_000_000), "2h");
        assert_eq!(text(90_000_000_000), "90s");
        assert_eq!(text(1_500), "1500ns");
        assert_eq!(text(0), "0s");
        for n in [1u64, 999, 1_000_001, 36_000_000_000, 123_456_789_000] {
            assert_eq!(text(n).parse::<SimDuration>().unwrap().as_nanos(), n, "{}", text(n));
        }
    }
}
