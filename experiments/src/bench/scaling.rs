//! `mrsim bench model`'s scaling table: one scenario run at several factors of one axis
//! ([`crate::scale`]), each row in a child process of its own, so a row has a fresh heap to count
//! and a wall budget: a row still running when its budget is spent is killed (by its process id)
//! and reported over budget instead of holding the benchmark up.
//!
//! On the rate axis every row has about as many requests (the rate x k, the timeline / k), so the
//! wall time per request should not move: the target is within x1.5 of the x1 row. On the duration
//! axis the run is k times longer at the same rate, and peak heap should not move once the key
//! space is covered: the target is within x1.1 of the x1 row. The requests and events columns are
//! deterministic (seed 0x2a); the wall and heap columns are measurements.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sim_core::{Seed, SimDuration, TraceMode};

use crate::scale::{self, Axis, Scaling};

/// The rate axis' target: wall time per request within this factor of the x1 row's.
pub const WALL_PER_REQUEST_TARGET: f64 = 1.5;
/// The duration axis' target: peak heap within this factor of the x1 row's.
pub const PEAK_HEAP_TARGET: f64 = 1.1;
/// The seed of every row.
pub const SEED: Seed = Seed(0x2a);

/// What one row's run measured.
#[derive(Clone, Debug, PartialEq)]
pub struct Measure {
    /// Operations the clients started (what the arrival processes drew).
    pub requests: u64,
    /// Attempts sent, retries included.
    pub attempts: u64,
    pub events: u64,
    /// Wall time of the run alone (not reading and validating the scenario).
    pub wall_s: f64,
    pub peak_heap_bytes: Option<usize>,
}

impl Measure {
    pub fn wall_per_request_s(&self) -> f64 {
        self.wall_s / self.requests.max(1) as f64
    }

    /// The line `mrsim bench row` prints and the table reads back.
    pub fn to_line(&self) -> String {
        let heap = self.peak_heap_bytes.map_or("-".to_string(), |b| b.to_string());
        format!(
            "requests={} attempts={} events={} wall_s={} peak_heap_bytes={heap}\n",
            self.requests, self.attempts, self.events, self.wall_s
        )
    }

    /// Reads a line written by [`Measure::to_line`].
    pub fn from_line(line: &str) -> Result<Measure, String> {
        let field = |name: &str| -> Result<&str, String> {
            line.split_whitespace()
                .find_map(|kv| kv.strip_prefix(name).and_then(|rest| rest.strip_prefix('=')))
                .ok_or_else(|| format!("no {name}= in the row's output {line:?}"))
        };
        let number = |name: &str| -> Result<u64, String> {
            field(name)?.parse().map_err(|e| format!("{name} in {line:?}: {e}"))
        };
        let (requests, attempts, events) = (number("requests")?, number("attempts")?, number("events")?);
        let wall_s = field("wall_s")?.parse().map_err(|e| format!("wall_s in {line:?}: {e}"))?;
        Ok(Measure {
            requests,
            attempts,
            events,
            wall_s,
            peak_heap_bytes: match field("peak_heap_bytes")? {
                "-" => None,
                n => Some(n.parse().map_err(|e| format!("peak_heap_bytes in {line:?}: {e}"))?),
            },
        })
    }
}

/// How a row ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Done(Measure),
    /// Still running when the budget was spent; killed.
    OverBudget,
    /// The run failed (a limit, a bug): the child's message.
    Failed(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub factor: u32,
    /// The scaled scenario's fault phase.
    pub simulated: SimDuration,
    pub outcome: Outcome,
}

/// One scenario along one axis.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub scenario: String,
    pub axis: Axis,
    /// The paths the largest factor changes, in the order the scaling sets them.
    pub scaled_paths: Vec<String>,
    pub budget_s: u64,
    pub rows: Vec<Row>,
}

/// Measures one scaled run in this process (what `mrsim bench row` does in the child).
pub fn measure(path: &Path, scaling: Scaling) -> Result<Measure, String> {
    let scaled = scale::load(path, scaling)?;
    let start = Instant::now();
    let (out, peak) = super::heap::peak_during(|| models::run::run(&scaled.scenario.world, SEED, TraceMode::Off));
    let wall_s = start.elapsed().as_secs_f64();
    let out = out.map_err(|e| e.to_string())?;
    Ok(Measure {
        requests: out.recorder.operations,
        attempts: out.recorder.requests,
        events: out.stats.events,
        wall_s,
        peak_heap_bytes: peak,
    })
}

/// Where to find `mrsim` for the rows' child processes, and how long a row may take.
#[derive(Clone, Debug)]
pub struct Runner {
    pub exe: PathBuf,
    pub budget: Duration,
}

impl Runner {
    /// Runs `mrsim bench row` for one scaling, killing it if the budget runs out.
    pub fn row(&self, path: &Path, scaling: Scaling) -> Outcome {
        let axis = match scaling.axis {
            Axis::Rate => "rate",
            Axis::Duration => "duration",
        };
        let child = Command::new(&self.exe)
            .args(["bench", "row", "--axis", axis, "--factor", &scaling.factor.to_string()])
            .arg(path)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = match child {
            Ok(c) => c,
            Err(e) => return Outcome::Failed(format!("cannot start {}: {e}", self.exe.display())),
        };
        // Read both pipes while the child runs, so a chatty child never blocks on a full pipe.
        let stdout = drain(child.stdout.take());
        let stderr = drain(child.stderr.take());
        let status = match wait_within(&mut child, self.budget) {
            Ok(Some(status)) => status,
            Ok(None) => return Outcome::OverBudget,
            Err(e) => return Outcome::Failed(format!("waiting for the row's process: {e}")),
        };
        let (stdout, stderr) = (stdout.join().unwrap_or_default(), stderr.join().unwrap_or_default());
        if !status.success() {
            return Outcome::Failed(format!("{status}: {}", stderr.trim()));
        }
        match stdout.lines().rev().find(|l| l.starts_with("requests=")).map(Measure::from_line) {
            Some(Ok(m)) => Outcome::Done(m),
            Some(Err(e)) => Outcome::Failed(e),
            None => Outcome::Failed(format!("the row printed no measurement: {}", stdout.trim())),
        }
    }
}

fn drain(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut p) = pipe {
            let _ = p.read_to_string(&mut text);
        }
        text
    })
}

/// Waits for `child` at most `budget`; past it, kills that child and returns None.
fn wait_within(child: &mut Child, budget: Duration) -> std::io::Result<Option<std::process::ExitStatus>> {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if start.elapsed() >= budget {
            child.kill()?;
            child.wait()?;
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Checks that every factor applies to the scenario at `path` (before anything is measured, so a
/// scenario that cannot be scaled fails at once), then measures the rows one after the other;
/// `progress` hears of each row as it ends.
/// `as_written` is the x1 row when it was already measured (x1 is the scenario as written on every
/// axis, so the duration axis reuses the rate axis' row instead of running it again).
pub fn table(
    runner: &Runner,
    path: &Path,
    axis: Axis,
    factors: &[u32],
    as_written: Option<&Outcome>,
    progress: &mut dyn FnMut(&str),
) -> Result<Table, String> {
    let mut scaled = Vec::new();
    for &factor in factors {
        let s = scale::load(path, Scaling { axis, factor })?;
        scaled.push((factor, s));
    }
    let scaled_paths =
        scaled.last().map(|(_, s)| s.overrides.iter().map(|o| o.path.clone()).collect()).unwrap_or_default();
    let mut rows = Vec::new();
    for (factor, s) in scaled {
        let scaling = Scaling { axis, factor };
        let outcome = match as_written.filter(|_| factor == 1) {
            Some(o) => o.clone(),
            None => {
                let o = runner.row(path, scaling);
                progress(&format!("bench: {} {scaling}: {}", path.display(), brief(&o)));
                o
            }
        };
        rows.push(Row { factor, simulated: s.scenario.world.duration, outcome });
    }
    Ok(Table { scenario: path.display().to_string(), axis, scaled_paths, budget_s: runner.budget.as_secs(), rows })
}

/// The axes and factors of the scaling tables, once every scaling of every scenario has been
/// applied and validated: an error names the scenario, the scaling and the path that cannot scale.
pub fn check(scenarios: &[&Path], factors: &[u32], long: bool) -> Result<Vec<(Axis, Vec<u32>)>, String> {
    if factors.first() != Some(&1) {
        return Err(format!("the factors are {factors:?}; expected x1 first, the row the others are compared with"));
    }
    let mut axes = vec![(Axis::Rate, factors.to_vec())];
    if long {
        axes.push((Axis::Duration, vec![1, 10]));
    }
    for (axis, factors) in &axes {
        for path in scenarios {
            for &factor in factors {
                scale::load(path, Scaling { axis: *axis, factor })?;
            }
        }
    }
    Ok(axes)
}

/// The scaling tables of `mrsim bench model`: each scenario on the rate axis at `factors`, then,
/// with `long`, each on the duration axis at x1 and x10 (its x1 row is the rate axis' x1 row, the
/// scenario as written, measured once). Every scaling of every scenario is checked before the
/// first row runs.
pub fn tables(
    runner: &Runner,
    scenarios: &[&Path],
    factors: &[u32],
    long: bool,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<Table>, String> {
    let axes = check(scenarios, factors, long)?;
    let mut out: Vec<Table> = Vec::new();
    for (axis, factors) in &axes {
        for path in scenarios {
            let display = path.display().to_string();
            let as_written =
                out.iter().find(|t| t.scenario == display).and_then(|t| t.rows.first()).map(|r| &r.outcome);
            let t = table(runner, path, *axis, factors, as_written, progress)?;
            out.push(t);
        }
    }
    Ok(out)
}

fn brief(o: &Outcome) -> String {
    match o {
        Outcome::Done(m) => format!("{:.2} s wall", m.wall_s),
        Outcome::OverBudget => "over budget".to_string(),
        Outcome::Failed(e) => format!("failed: {e}"),
    }
}

/// The text of one table.
pub fn format_table(t: &Table) -> String {
    let factors: Vec<String> = t.rows.iter().map(|r| format!("x{}", r.factor)).collect();
    let mut s = match t.axis {
        Axis::Rate => format!(
            "scaling: {}, rate {} with the timeline divided by as much (the same requests in every row)\n",
            t.scenario,
            factors.join(", ")
        ),
        Axis::Duration => format!(
            "scaling: {}, duration {} at the written rate (max_events raised as much)\n",
            t.scenario,
            factors.join(", ")
        ),
    };
    s.push_str(&format!(
        "  seed 0x2a, one process a row, budget {} s a row; scaled: {}\n",
        t.budget_s,
        if t.scaled_paths.is_empty() { "nothing".to_string() } else { t.scaled_paths.join(", ") }
    ));
    s.push_str(
        "  factor  simulated    requests       events     wall_s      events/s  wall/request   vs x1   peak heap   vs x1\n",
    );
    let first = match t.rows.first().map(|r| &r.outcome) {
        Some(Outcome::Done(m)) => Some(m),
        _ => None,
    };
    for r in &t.rows {
        let label = format!("x{}", r.factor);
        match &r.outcome {
            Outcome::Done(m) => {
                let wall_ratio = first
                    .map_or("-".to_string(), |f| format!("x{:.2}", m.wall_per_request_s() / f.wall_per_request_s()));
                let heap_ratio = match (first.and_then(|f| f.peak_heap_bytes), m.peak_heap_bytes) {
                    (Some(a), Some(b)) => format!("x{:.2}", b as f64 / a.max(1) as f64),
                    _ => "-".to_string(),
                };
                s.push_str(&format!(
                    "  {:>6} {:>10} {:>11} {:>12} {:>10.2} {:>13.0} {:>10.2} us {:>7} {:>11} {:>7}\n",
                    label,
                    r.simulated.to_string(),
                    m.requests,
                    m.events,
                    m.wall_s,
                    m.events as f64 / m.wall_s.max(1e-9),
                    m.wall_per_request_s() * 1e6,
                    wall_ratio,
                    super::mib(m.peak_heap_bytes),
                    heap_ratio
                ));
            }
            Outcome::OverBudget => s.push_str(&format!(
                "  {:>6} {:>10}  over budget: killed after {} s\n",
                label,
                r.simulated.to_string(),
                t.budget_s
            )),
            Outcome::Failed(e) => s.push_str(&format!(
                "  {:>6} {:>10}  failed: {}\n",
                label,
                r.simulated.to_string(),
                e.lines().next().unwrap_or("")
            )),
        }
    }
    s.push_str(&verdicts(t, first));
    s
}

/// The target and, for each row after the first, whether it meets it.
fn verdicts(t: &Table, first: Option<&Measure>) -> String {
    let mut parts = Vec::new();
    for r in t.rows.iter().skip(1) {
        let label = format!("x{}", r.factor);
        let part = match (t.axis, &r.outcome, first) {
            (_, _, None) => format!("{label} -"),
            (Axis::Rate, Outcome::Done(m), Some(f)) => {
                let ratio = m.wall_per_request_s() / f.wall_per_request_s();
                format!("{label} x{ratio:.2} {}", meets(ratio <= WALL_PER_REQUEST_TARGET))
            }
            (Axis::Duration, Outcome::Done(m), Some(f)) => match (f.peak_heap_bytes, m.peak_heap_bytes) {
                (Some(a), Some(b)) => {
                    let ratio = b as f64 / a.max(1) as f64;
                    format!("{label} x{ratio:.2} {}", meets(ratio <= PEAK_HEAP_TARGET))
                }
                _ => format!("{label} - (no heap count without the mrsim binary)"),
            },
            // The over-budget row had as many requests as the x1 row on the rate axis (k times
            // as many on the duration axis): its ratio is at least the budget over x1's time.
            (Axis::Rate, Outcome::OverBudget, Some(f)) => {
                format!("{label} over budget (more than x{:.0}) misses", t.budget_s as f64 / f.wall_s.max(1e-9))
            }
            (Axis::Duration, Outcome::OverBudget, Some(_)) => format!("{label} over budget (not measured)"),
            (_, Outcome::Failed(_), Some(_)) => format!("{label} failed"),
        };
        parts.push(part);
    }
    let target = match t.axis {
        Axis::Rate => format!("wall per request within x{WALL_PER_REQUEST_TARGET} of x1's"),
        Axis::Duration => format!("peak heap within x{PEAK_HEAP_TARGET} of x1's (flat)"),
    };
    format!(
        "  target: {target}: {}\n",
        if parts.is_empty() { "no row to compare".to_string() } else { parts.join("; ") }
    )
}

fn meets(ok: bool) -> &'static str {
    if ok { "meets" } else { "misses" }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done(requests: u64, events: u64, wall_s: f64, heap_mib: usize) -> Outcome {
        Outcome::Done(Measure {
            requests,
            attempts: requests + 7,
            events,
            wall_s,
            peak_heap_bytes: Some(heap_mib * 1024 * 1024),
        })
    }

    #[test]
    fn a_row_line_reads_back() {
        let m = Measure { requests: 12, attempts: 13, events: 400, wall_s: 0.125, peak_heap_bytes: Some(2048) };
        assert_eq!(Measure::from_line(m.to_line().trim()).unwrap(), m);
        let none = Measure { peak_heap_bytes: None, ..m };
        assert_eq!(Measure::from_line(&none.to_line()).unwrap(), none);
        assert!(Measure::from_line("requests=1").unwrap_err().contains("no attempts="));
    }

    /// The table's layout is pinned: a change to it is a change to what users compare across runs.
    #[test]
    fn the_rate_table_format_is_stable() {
        let table = Table {
            scenario: "hot-keys.toml".into(),
            axis: Axis::Rate,
            scaled_paths: vec!["scenario.duration".into(), "population[0].rate".into()],
            budget_s: 180,
            rows: vec![
                Row { factor: 1, simulated: SimDuration::from_mins(10), outcome: done(240_000, 3_000_000, 0.8, 25) },
                Row { factor: 10, simulated: SimDuration::from_mins(1), outcome: done(240_000, 3_000_000, 1.0, 50) },
                Row { factor: 100, simulated: SimDuration::from_secs(6), outcome: Outcome::OverBudget },
            ],
        };
        let expected = "\
scaling: hot-keys.toml, rate x1, x10, x100 with the timeline divided by as much (the same requests in every row)
  seed 0x2a, one process a row, budget 180 s a row; scaled: scenario.duration, population[0].rate
  factor  simulated    requests       events     wall_s      events/s  wall/request   vs x1   peak heap   vs x1
      x1        10m      240000      3000000       0.80       3750000       3.33 us   x1.00    25.0 MiB   x1.00
     x10         1m      240000      3000000       1.00       3000000       4.17 us   x1.25    50.0 MiB   x2.00
    x100         6s  over budget: killed after 180 s
  target: wall per request within x1.5 of x1's: x10 x1.25 meets; x100 over budget (more than x225) misses
";
        assert_eq!(format_table(&table), expected);
    }

    #[test]
    fn the_duration_table_judges_peak_heap() {
        let table = Table {
            scenario: "model.toml".into(),
            axis: Axis::Duration,
            scaled_paths: vec![],
            budget_s: 60,
            rows: vec![
                Row { factor: 1, simulated: SimDuration::from_hours(1), outcome: done(100, 1000, 1.0, 100) },
                Row { factor: 10, simulated: SimDuration::from_hours(10), outcome: done(1000, 10_000, 10.0, 105) },
            ],
        };
        let text = format_table(&table);
        assert!(text.starts_with("scaling: model.toml, duration x1, x10 at the written rate"), "{text}");
        assert!(text.ends_with("  target: peak heap within x1.1 of x1's (flat): x10 x1.05 meets\n"), "{text}");
        let failed = Table {
            rows: vec![
                Row { factor: 1, simulated: SimDuration::from_hours(1), outcome: done(100, 1000, 1.0, 100) },
                Row {
                    factor: 10,
                    simulated: SimDuration::from_hours(10),
                    outcome: Outcome::Failed("run exceeded max_events\nmore".into()),
                },
            ],
            ..table
        };
        let text = format_table(&failed);
        assert!(text.contains("     x10        10h  failed: run exceeded max_events\n"), "{text}");
        assert!(text.ends_with(": x10 failed\n"), "{text}");
    }
}
