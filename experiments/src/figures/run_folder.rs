//! The figures of a run folder (from `mrsim run --out`), drawn from its files alone:
//! - `failover-timeline`: attempts per second by Region, failed attempts and failed operations per
//!   second, and the mean replication lag into each Region (timeseries.csv), with the faults shaded
//!   and the actions and routing events (health verdict flips, routing-control flips, record
//!   changes, traffic dials, alarms) as vertical lines (events.csv);
//! - `latency-cdf`: read, write and operation latency; `staleness-cdf`: the staleness of stale
//!   reads and the replication lag; `client-outage-cdf`: per fault, how long each client that had
//!   an outage during it went without a success (histograms.csv, with the clients that never
//!   recovered from summary.json, so such a curve stops below 1);
//! - `t-visibility`, when the run has t_visibility.csv: see `figures/t_visibility.rs`.

use std::path::Path;

use serde_json::Value;

use super::table::Table;
use super::{Drawing, Planned};
use crate::CliError;
use crate::histograms::{Unit, bounds_nanos};
use crate::plot::charts::{Chart, Series, XAxis};
use crate::plot::{Band, Figure, Line, Marker, Panel};

/// What a run folder's summary.json gives the figures.
struct RunInfo {
    title: String,
    /// Per fault: "type target", and clients that never recovered from it.
    faults: Vec<(String, u64)>,
}

fn read_summary(dir: &Path) -> Result<RunInfo, CliError> {
    let path = dir.join("summary.json");
    let bad = |m: String| CliError::input(format!("error: {}{m}", path.display()));
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(bad(": missing; the figures' titles and the outage CDF need it".to_string()));
        }
        Err(e) => return Err(bad(format!(": cannot read it: {e}"))),
    };
    let json: Value = serde_json::from_slice(&bytes).map_err(|e| {
        bad(format!(":{}:{}: not valid JSON ({e}); expected mrsim's summary.json", e.line(), e.column()))
    })?;
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).unwrap_or("?").to_string();
    let scenario = json.get("scenario").and_then(Value::as_str).ok_or_else(|| {
        bad(": no \"scenario\" name; expected mrsim's summary.json (an object with scenario, seed, ...)".to_string())
    })?;
    let faults = json.get("faults").and_then(Value::as_array).map_or(Vec::new(), |faults| {
        faults
            .iter()
            .map(|f| {
                let unrecovered =
                    f.pointer("/failover/client_outage_s/unrecovered").and_then(Value::as_u64).unwrap_or(0);
                (format!("{} {}", text(f, "type"), text(f, "target")), unrecovered)
            })
            .collect()
    });
    Ok(RunInfo { title: format!("{scenario} (seed {})", text(&json, "seed")), faults })
}

/// Every figure of the run folder `dir`.
pub fn drawings(dir: &Path) -> Result<Vec<Planned>, CliError> {
    let info = read_summary(dir)?;
    let timeseries = Table::read(&dir.join("timeseries.csv"), "the failover timeline")?;
    let events = Table::read(&dir.join("events.csv"), "the failover timeline (faults, actions, routing events)")?;
    let histograms = Table::read(
        &dir.join("histograms.csv"),
        "the latency, staleness and client-outage CDFs (a run folder written before mrsim wrote \
         histograms.csv lacks it: run the scenario again)",
    )?;
    let (figure, markers) = timeline(&info, &timeseries, &events)?;
    let distributions = Distributions::read(&histograms)?;
    let mut planned = vec![
        Planned { name: "failover-timeline".into(), drawing: Drawing::Timeline(figure, markers) },
        Planned { name: "latency-cdf".into(), drawing: Drawing::Chart(latency_cdf(&info, &distributions)) },
        Planned { name: "staleness-cdf".into(), drawing: Drawing::Chart(staleness_cdf(&info, &distributions)) },
        Planned { name: "client-outage-cdf".into(), drawing: Drawing::Chart(outage_cdf(&info, &distributions)) },
    ];
    // Only a run with a quorum store's staleness probe has t_visibility.csv.
    let probe = dir.join("t_visibility.csv");
    if probe.exists() {
        let table = Table::read(&probe, "the t-visibility figure")?;
        let chart = super::t_visibility::chart(&info.title, &table)?;
        planned.push(Planned { name: "t-visibility".into(), drawing: Drawing::Chart(chart) });
    }
    Ok(planned)
}

/// Per Region, the columns the timeline draws, in the order the Regions first appear.
struct RegionColumns {
    name: String,
    attempts: Vec<(f64, f64)>,
    failed: Vec<(f64, f64)>,
    operations_failed: Vec<(f64, f64)>,
    lag_s: Vec<(f64, f64)>,
}

fn timeline(info: &RunInfo, ts: &Table, events: &Table) -> Result<(Figure, Vec<Marker>), CliError> {
    let [time, region, requests, failed, operations_failed, lag] =
        ["time_s", "region", "requests", "failed", "operations_failed", "replication_lag_ms_mean"]
            .map(|name| ts.column(name));
    let (time, region, requests, failed, operations_failed, lag) =
        (time?, region?, requests?, failed?, operations_failed?, lag?);
    // The interval: the smallest step between successive times (one row per Region per interval).
    let mut times = Vec::with_capacity(ts.rows.len());
    for row in &ts.rows {
        let t = ts.required_number(row, time)?;
        if times.last().is_some_and(|&last| t < last) {
            return Err(ts.bad_cell(row, time, "times in increasing order (one row per interval and Region)"));
        }
        times.push(t);
    }
    let interval = times.windows(2).map(|w| w[1] - w[0]).filter(|d| *d > 0.0).fold(f64::INFINITY, f64::min);
    let interval = if interval.is_finite() { interval } else { 1.0 };
    let mut regions: Vec<RegionColumns> = Vec::new();
    for (row, &t) in ts.rows.iter().zip(&times) {
        let name = ts.text(row, region);
        if name.is_empty() {
            return Err(ts.bad_cell(row, region, "a Region name"));
        }
        let index = match regions.iter().position(|r| r.name == name) {
            Some(i) => i,
            None => {
                regions.push(RegionColumns {
                    name: name.to_string(),
                    attempts: Vec::new(),
                    failed: Vec::new(),
                    operations_failed: Vec::new(),
                    lag_s: Vec::new(),
                });
                regions.len() - 1
            }
        };
        let r = &mut regions[index];
        r.attempts.push((t, ts.required_number(row, requests)? / interval));
        r.failed.push((t, ts.required_number(row, failed)? / interval));
        r.operations_failed.push((t, ts.required_number(row, operations_failed)? / interval));
        r.lag_s.push((t, ts.number(row, lag)?.map_or(f64::NAN, |ms| ms / 1e3)));
    }
    let line = |label: String, points: &[(f64, f64)]| Line { label, points: points.to_vec() };
    // A Region no attempt was ever sent to (an MRSC witness, a Region without clients or routes)
    // would only draw a flat zero line over the others: it is left out of the traffic panels and
    // named in their title instead.
    let (served, idle): (Vec<&RegionColumns>, Vec<&RegionColumns>) =
        regions.iter().partition(|r| r.attempts.iter().chain(&r.operations_failed).any(|&(_, v)| v != 0.0));
    let idle_note = match idle.as_slice() {
        [] => String::new(),
        names => format!(
            " ({} left out: no traffic, e.g. a witness)",
            names.iter().map(|r| r.name.as_str()).collect::<Vec<_>>().join(", ")
        ),
    };
    let panels = vec![
        Panel {
            title: format!("attempts per second, by the Region they were sent to{idle_note}"),
            y_label: "attempts per s".into(),
            lines: served.iter().map(|r| line(r.name.clone(), &r.attempts)).collect(),
        },
        Panel {
            title: "errors per second: failed attempts (by Region sent to), failed operations (by clients' Region)"
                .into(),
            y_label: "failures per s".into(),
            lines: served
                .iter()
                .flat_map(|r| {
                    [
                        line(format!("{} attempts", r.name), &r.failed),
                        line(format!("{} operations", r.name), &r.operations_failed),
                    ]
                })
                .collect(),
        },
        Panel {
            title: "replication lag into each Region (mean of the writes committed in each interval)".into(),
            y_label: "replication lag (s)".into(),
            lines: regions.iter().map(|r| line(format!("into {}", r.name), &r.lag_s)).collect(),
        },
    ];
    let end = times.last().copied().unwrap_or(0.0) + interval;
    let (bands, markers) = bands_and_markers(events, end)?;
    let figure = Figure {
        title: format!("{}: failover timeline", info.title),
        x_label: "simulated time (s)".into(),
        panels,
        bands,
    };
    Ok((figure, markers))
}

/// What a routing event kind is called in the legend.
fn marker_label(kind: &str) -> String {
    match kind {
        "action" => "actions".into(),
        "health" => "health verdict flips".into(),
        "routing_control" => "routing-control flips".into(),
        "record_change" => "record changes".into(),
        "traffic_dial" => "traffic-dial changes".into(),
        "alarm" => "alarms".into(),
        "workload" => "workload changes".into(),
        other => other.replace('_', " "),
    }
}

/// Faults (a start matched with the next heal of the same fault) as bands, ending at `end` when
/// never healed; every other event as a marker.
fn bands_and_markers(events: &Table, end: f64) -> Result<(Vec<Band>, Vec<Marker>), CliError> {
    let [time, kind, what] = ["time_s", "kind", "what"].map(|name| events.column(name));
    let (time, kind, what) = (time?, kind?, what?);
    let mut open: Vec<(String, f64, usize)> = Vec::new();
    let mut bands: Vec<Band> = Vec::new();
    let mut markers = Vec::new();
    for row in &events.rows {
        let t = events.required_number(row, time)?;
        let (k, w) = (events.text(row, kind), events.text(row, what));
        match k {
            "fault_started" => {
                open.push((w.to_string(), t, bands.len()));
                bands.push(Band { label: format!("fault: {}", w.replace('_', " ")), start_s: t, end_s: end });
            }
            "fault_healed" => match open.iter().position(|(name, _, _)| name == w) {
                Some(i) => {
                    let (_, _, band) = open.remove(i);
                    bands[band].end_s = t;
                }
                None => return Err(events.bad_cell(row, what, "a fault started earlier in events.csv")),
            },
            "" => return Err(events.bad_cell(row, kind, "an event kind (fault_started, action, health, ...)")),
            other => markers.push(Marker { kind: marker_label(other), at_s: t }),
        }
    }
    Ok((bands, markers))
}

/// histograms.csv by metric: (le, count) rows in file order, `le` infinite for the last bucket.
struct Distributions {
    metrics: Vec<(String, Vec<(f64, u64)>)>,
}

impl Distributions {
    fn read(t: &Table) -> Result<Distributions, CliError> {
        let [metric, le, count] = ["metric", "le", "count"].map(|name| t.column(name));
        let (metric, le, count) = (metric?, le?, count?);
        let mut metrics: Vec<(String, Vec<(f64, u64)>)> = Vec::new();
        for row in &t.rows {
            let name = t.text(row, metric);
            if name.is_empty() {
                return Err(t.bad_cell(row, metric, "a metric name such as latency_ms.read"));
            }
            let bound = match t.text(row, le) {
                "inf" => f64::INFINITY,
                _ => match t.number(row, le)? {
                    Some(x) if x > 0.0 => x,
                    _ => return Err(t.bad_cell(row, le, "a positive bucket bound or inf")),
                },
            };
            let n: u64 = t.text(row, count).parse().map_err(|_| t.bad_cell(row, count, "a count (a whole number)"))?;
            if metrics.last().is_none_or(|(m, _)| m != name) {
                if metrics.iter().any(|(m, _)| m == name) {
                    return Err(t.bad_cell(row, metric, "the rows of one metric together"));
                }
                metrics.push((name.to_string(), Vec::new()));
            }
            let rows = &mut metrics.last_mut().expect("pushed above").1;
            if rows.last().is_some_and(|&(previous, _)| bound <= previous) {
                return Err(t.bad_cell(row, le, "bucket bounds increasing within a metric"));
            }
            rows.push((bound, n));
        }
        Ok(Distributions { metrics })
    }

    fn get(&self, metric: &str) -> Option<&[(f64, u64)]> {
        self.metrics.iter().find(|(m, _)| m == metric).map(|(_, rows)| rows.as_slice())
    }
}

/// The CDF through the bucket bounds, over `total` values (more than the buckets hold when some
/// never ended): (bound, share of values <= bound), from 0 at the bound below the first bucket.
fn cdf_points(rows: &[(f64, u64)], total: u64, unit: Unit) -> Vec<(f64, f64)> {
    let Some(&(first, _)) = rows.first() else { return Vec::new() };
    let unit_nanos = match unit {
        Unit::Milliseconds => 1e6,
        Unit::Seconds => 1e9,
    };
    let below = bounds_nanos(unit).iter().map(|&b| b as f64 / unit_nanos).rfind(|&b| b < first);
    let mut points = vec![(below.unwrap_or(first / 1.25), 0.0)];
    let mut cumulative = 0u64;
    for &(bound, count) in rows {
        cumulative += count;
        if bound.is_finite() {
            points.push((bound, cumulative as f64 / total.max(1) as f64));
        }
    }
    points
}

fn cdf_series(d: &Distributions, metric: &str, label: &str, extra: u64, unit: Unit) -> Option<Series> {
    let rows = d.get(metric)?;
    let counted: u64 = rows.iter().map(|r| r.1).sum();
    let total = counted + extra;
    Some(Series { label: format!("{label} (n = {total})"), points: cdf_points(rows, total, unit), band: Vec::new() })
}

fn cdf_chart(title: String, x_label: &str, series: Vec<Series>, mut notes: Vec<String>) -> Chart {
    if series.is_empty() {
        notes.insert(0, "nothing was recorded".into());
    }
    notes.push("buckets: 10 per decade (histograms.csv)".into());
    Chart {
        title,
        x_label: x_label.into(),
        y_label: "share at or below x".into(),
        x_axis: XAxis::Log10,
        y_range: Some(0.0..1.0),
        series,
        notes,
    }
}

fn latency_cdf(info: &RunInfo, d: &Distributions) -> Chart {
    let ms = Unit::Milliseconds;
    let series = [
        cdf_series(d, "latency_ms.read", "reads", 0, ms),
        cdf_series(d, "latency_ms.write", "writes", 0, ms),
        cdf_series(d, "operations.latency_ms", "operations, retries included", 0, ms),
    ];
    let notes = vec!["successful answers only".into()];
    cdf_chart(
        format!("{}: latency (CDF)", info.title),
        "latency (ms, log scale)",
        series.into_iter().flatten().collect(),
        notes,
    )
}

fn staleness_cdf(info: &RunInfo, d: &Distributions) -> Chart {
    let ms = Unit::Milliseconds;
    let series = [
        cdf_series(d, "reads.staleness_ms", "staleness of stale reads", 0, ms),
        cdf_series(d, "replication_lag_ms", "replication lag", 0, ms),
    ];
    let notes = vec!["staleness: how long ago the missed write".into(), "was acknowledged".into()];
    let title = format!("{}: staleness and replication lag (CDF)", info.title);
    cdf_chart(title, "time (ms, log scale)", series.into_iter().flatten().collect(), notes)
}

fn outage_cdf(info: &RunInfo, d: &Distributions) -> Chart {
    let mut series = Vec::new();
    let mut notes = Vec::new();
    for (i, (fault, unrecovered)) in info.faults.iter().enumerate() {
        let metric = format!("faults.{i}.failover.client_outage_s");
        if d.get(&metric).is_none() && *unrecovered == 0 {
            continue;
        }
        let rows = d.get(&metric).unwrap_or(&[]);
        let total = rows.iter().map(|r| r.1).sum::<u64>() + unrecovered;
        series.push(Series {
            label: format!("fault {i}: {fault} (n = {total})"),
            points: cdf_points(rows, total, Unit::Seconds),
            band: Vec::new(),
        });
        if *unrecovered > 0 {
            notes.push(format!("fault {i}: {unrecovered} clients never recovered"));
        }
    }
    if series.is_empty() {
        notes.push("no client outage began during a fault".into());
    }
    notes.push("outage: first failed operation to".into());
    notes.push("the next success, per client".into());
    let title = format!("{}: client-visible outages during each fault (CDF)", info.title);
    cdf_chart(title, "outage (s, log scale)", series, notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdf_by_hand() {
        // Buckets (1, 1.25] ms: 1 value; (2, 2.5]: 2; beyond 8e6: 1; with one more that never ended.
        let rows = [(1.25, 1), (2.5, 2), (f64::INFINITY, 1)];
        let points = cdf_points(&rows, 5, Unit::Milliseconds);
        assert_eq!(points, vec![(1.0, 0.0), (1.25, 0.2), (2.5, 0.6)]);
        assert!(cdf_points(&[], 3, Unit::Seconds).is_empty());
        assert_eq!(cdf_points(&[(0.001, 2)], 2, Unit::Seconds), vec![(0.0008, 0.0), (0.001, 1.0)]);
    }
}
