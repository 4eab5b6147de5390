//! What a run will cost, estimated from the scenario before anything runs, and the limits beyond
//! which mrsim refuses it (unless told `--no-cost-limit`).
//!
//! The estimate is an upper-end order of magnitude, not a prediction: it exists so that a typo
//! (`metrics_interval = "1ns"`, `rate = 1e18`) is refused with the key to change instead of a run
//! that grows for minutes and gigabytes. Its factors were measured on the shipped scenarios:
//!
//! - events: [`EVENTS_PER_REQUEST`] per client request (`mrsim bench model`'s reference hour fires
//!   5.2 events per request, its hot-key scenario 4.8), plus, for a quorum store's staleness probe,
//!   one event per member per t per probed write, counting every request as a write to it (the
//!   shipped PBS scenario fires a quarter of that);
//! - memory: [`BYTES_PER_KEY`] per key a run can touch (the reference hour holds 289 MiB for about
//!   1.3 million keys touched), [`BYTES_PER_IN_FLIGHT`] per request that can be in flight (rate times
//!   timeout times attempts), and [`SERIES_BYTES_PER_ENTITY`] per metrics interval for each Region,
//!   store and population (the time series and their per-interval counters).

use std::sync::atomic::{AtomicBool, Ordering};

use models::config::{Arrivals, StoreKind, WorldConfig};

/// Events per client request, with margin over the 5.2 measured.
pub const EVENTS_PER_REQUEST: f64 = 8.0;
/// Bytes per key a run can touch (checker, stores and ledger state).
pub const BYTES_PER_KEY: f64 = 256.0;
/// Bytes per request in flight (attempt, operation, queued events).
pub const BYTES_PER_IN_FLIGHT: f64 = 1024.0;
/// Bytes per metrics interval per Region, store and population.
pub const SERIES_BYTES_PER_ENTITY: f64 = 512.0;

/// The default limits: a run estimated beyond either is refused.
pub const MAX_EVENTS: f64 = 1e9;
pub const MAX_MEMORY_BYTES: f64 = 4.0 * 1024.0 * 1024.0 * 1024.0;

static UNLIMITED: AtomicBool = AtomicBool::new(false);

/// `--no-cost-limit`: estimates are still made, never refused (for this process).
pub fn lift_limits() {
    UNLIMITED.store(true, Ordering::Relaxed);
}

/// The estimate of one run.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    pub requests: f64,
    pub events: f64,
    /// Metrics intervals the run's time series hold.
    pub intervals: f64,
    pub memory_bytes: f64,
    /// The key that drives the events (a population's rate, or the duration).
    events_key: String,
    /// The key that drives the memory (the metrics interval, a key space, a rate).
    memory_key: String,
}

/// Estimates the run `world` describes.
pub fn estimate(world: &WorldConfig) -> Estimate {
    let seconds = world.duration.as_secs_f64();
    let mut requests = 0.0;
    let mut in_flight = 0.0;
    let mut busiest = (0.0, String::from("scenario.duration"));
    for (i, p) in world.populations.iter().enumerate() {
        let (rate, key) = match &p.arrivals {
            Arrivals::Open(profile) => (profile.max_rate(), format!("population[{i}].rate")),
            Arrivals::Closed { sessions, think_time } => {
                let think = think_time.mean().unwrap_or(0.0).max(1e-3);
                (f64::from(*sessions) / think, format!("population[{i}].sessions"))
            }
            Arrivals::Trace(entries) => (entries.len() as f64 / seconds.max(1e-9), format!("population[{i}].trace")),
        };
        let population_requests = rate * seconds;
        requests += population_requests;
        in_flight += rate * p.timeout.as_secs_f64() * f64::from(p.retry.max_attempts.max(1));
        if population_requests > busiest.0 {
            busiest = (population_requests, key);
        }
    }
    let key_space: f64 = world.populations.iter().flat_map(|p| p.operations.iter().map(|o| o.keys.keys() as f64)).sum();
    let keys = key_space.min(requests);
    let interval = world.metrics_interval.as_secs_f64().max(1e-9);
    let intervals = (seconds + world.drain_max.as_secs_f64()) / interval;
    let entities = (world.topology.len() + world.stores.len() + world.populations.len()) as f64;
    let parts = [
        (intervals * entities * SERIES_BYTES_PER_ENTITY, "scenario.metrics_interval".to_string()),
        (keys * BYTES_PER_KEY, "the populations' key spaces (operation keys)".to_string()),
        (in_flight * BYTES_PER_IN_FLIGHT, busiest.1.clone()),
    ];
    let memory_bytes = parts.iter().map(|(b, _)| b).sum();
    let memory_key = parts.iter().max_by(|a, b| a.0.total_cmp(&b.0)).map(|(_, k)| k.clone()).unwrap_or_default();
    let mut events = requests * EVENTS_PER_REQUEST;
    let mut events_key = busiest.1;
    for (i, store) in world.stores.iter().enumerate() {
        if let StoreKind::Quorum(q) = &store.kind
            && let Some(probe) = &q.probe
        {
            let probe_events = requests * probe.fraction * (probe.after.len() * q.members.len()) as f64;
            if probe_events > events {
                events_key = format!("store[{i}].probe_after");
            }
            events += probe_events;
        }
    }
    Estimate { requests, events, intervals, memory_bytes, events_key, memory_key }
}

impl Estimate {
    /// One line for `validate`: what the run will cost.
    pub fn line(&self) -> String {
        format!(
            "estimated cost: {} requests, {} events, {} metrics intervals, {} of memory at most",
            short(self.requests),
            short(self.events),
            short(self.intervals),
            bytes(self.memory_bytes)
        )
    }

    /// Why the run is refused, with the estimate and the key to change; None within the limits
    /// (or with the limits lifted).
    pub fn refusal(&self) -> Option<String> {
        if UNLIMITED.load(Ordering::Relaxed) {
            return None;
        }
        // NaN (an infinite rate times a zero duration, say) is over: only a known small cost runs.
        let over_events = self.events.is_nan() || self.events > MAX_EVENTS;
        let over_memory = self.memory_bytes.is_nan() || self.memory_bytes > MAX_MEMORY_BYTES;
        let what = match (over_events, over_memory) {
            (false, false) => return None,
            (true, _) => format!(
                "{} events, over the limit of {}; change {}",
                short(self.events),
                short(MAX_EVENTS),
                self.events_key
            ),
            (false, true) => format!(
                "{} of memory, over the limit of {}; change {}",
                bytes(self.memory_bytes),
                bytes(MAX_MEMORY_BYTES),
                self.memory_key
            ),
        };
        Some(format!("the run is estimated at {what} (or pass --no-cost-limit to run it anyway); {}", self.line()))
    }
}

/// A count in three significant digits with an SI suffix (`3.6e6` as `3.60 M`), whole below 1 000.
fn short(x: f64) -> String {
    if !x.is_finite() {
        return "an unbounded number of".to_string();
    }
    if x >= 1e18 {
        return format!("{x:.2e}");
    }
    let (value, suffix) = [(1e15, " P"), (1e12, " T"), (1e9, " G"), (1e6, " M"), (1e3, " k")]
        .into_iter()
        .find(|(scale, _)| x >= *scale)
        .map_or((x, ""), |(scale, suffix)| (x / scale, suffix));
    match value {
        v if v >= 100.0 || suffix.is_empty() => format!("{v:.0}{suffix}"),
        v if v >= 10.0 => format!("{v:.1}{suffix}"),
        v => format!("{v:.2}{suffix}"),
    }
}

fn bytes(b: f64) -> String {
    if !b.is_finite() {
        return "unbounded bytes".to_string();
    }
    if b >= 1024f64.powi(5) {
        return format!("{b:.2e} bytes");
    }
    for (scale, suffix) in [(1024f64.powi(4), "TiB"), (1024f64.powi(3), "GiB"), (1024f64.powi(2), "MiB")] {
        if b >= scale {
            return format!("{:.1} {suffix}", b / scale);
        }
    }
    format!("{:.1} KiB", b / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(edit: impl Fn(String) -> String) -> Result<crate::scenario::Scenario, String> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/skeleton.toml");
        let text = edit(std::fs::read_to_string(&path).unwrap());
        crate::scenario::parse(&path, &text).map_err(|e| e.to_string())
    }

    /// The skeleton by hand: two open-loop populations of 200 requests/s for 10 minutes; 1 s
    /// metrics intervals over the 10 minutes and the 10-minute drain; 2 Regions, 1 store and 2
    /// populations; a read and a write of 8 keys each per population (counted apart: 32 keys at
    /// most); 2 s timeouts and the default 3 attempts.
    #[test]
    fn the_skeleton_estimate_is_the_hand_computed_one() {
        let e = scenario(|t| t).unwrap().cost;
        assert_eq!(e.requests, 2.0 * 200.0 * 600.0);
        assert_eq!(e.events, e.requests * EVENTS_PER_REQUEST);
        assert_eq!(e.intervals, 1_200.0);
        let in_flight = 2.0 * 200.0 * 2.0 * 3.0;
        let memory = 1_200.0 * 5.0 * SERIES_BYTES_PER_ENTITY + 32.0 * BYTES_PER_KEY + in_flight * BYTES_PER_IN_FLIGHT;
        assert_eq!(e.memory_bytes, memory);
        assert_eq!(
            e.line(),
            "estimated cost: 240 k requests, 1.92 M events, 1.20 k metrics intervals, 5.3 MiB of memory at most"
        );
        assert_eq!(e.refusal(), None);
    }

    /// A runaway is refused before it runs, with the estimate and the key that drives it.
    #[test]
    fn a_runaway_is_refused_with_the_key_to_change() {
        let e = scenario(|t| t.replace("metrics_interval = \"1s\"", "metrics_interval = \"1ns\"")).unwrap_err();
        assert!(e.contains("of memory, over the limit of 4.0 GiB; change scenario.metrics_interval"), "{e}");
        let e = scenario(|t| t.replacen("rate = 200.0", "rate = 1e18", 1)).unwrap_err();
        assert!(e.contains("events, over the limit of 1.00 G; change population[0].rate"), "{e}");
        let e = scenario(|t| t.replace("duration = \"10m\"", "duration = \"100000h\"")).unwrap_err();
        assert!(e.contains("over the limit") && e.contains("change population["), "{e}");
    }

    /// The PBS scenario by hand: four populations of 100 requests/s for 5 minutes (120 000
    /// requests), and probes of 12, 11, 11 and (half the writes) 11 t over 3 members, as if every
    /// request were a write to each store: 120 000 x 118.5 probe events. A grid of 10 000 t is
    /// refused at the probe's key.
    #[test]
    fn a_probe_counts_its_reads_and_a_runaway_grid_is_refused_at_its_key() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/pbs.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        let e = crate::scenario::parse(&path, &text).unwrap().cost;
        assert_eq!(e.requests, 120_000.0);
        assert_eq!(e.events, 120_000.0 * EVENTS_PER_REQUEST + 120_000.0 * (36.0 + 33.0 + 33.0 + 16.5));
        let grid: Vec<String> = (0..10_000).map(|i| format!("\"{i}ms\"")).collect();
        let probe = "probe_after = [\"0ms\", \"100us\", \"200us\", \"300us\", \"500us\", \"750us\", \"1ms\", \"1500us\", \"2ms\", \"3ms\", \"5ms\", \"10ms\"]";
        assert!(text.contains(probe));
        let runaway = text.replacen(probe, &format!("probe_after = [{}]", grid.join(", ")), 1);
        let e = crate::scenario::parse(&path, &runaway).unwrap_err().to_string();
        assert!(e.contains("events, over the limit of 1.00 G; change store[0].probe_after"), "{e}");
    }

    #[test]
    fn counts_and_bytes_read_in_three_significant_digits() {
        assert_eq!(short(999.0), "999");
        assert_eq!(short(1_234.0), "1.23 k");
        assert_eq!(short(12_345_678.0), "12.3 M");
        assert_eq!(short(4.8e24), "4.80e24");
        assert_eq!(bytes(5.0 * 1024.0 * 1024.0), "5.0 MiB");
        assert_eq!(bytes(1e30), "1.00e30 bytes");
    }
}
