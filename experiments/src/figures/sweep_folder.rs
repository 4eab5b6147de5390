//! The figures of a sweep folder (from `mrsim sweep --out` or `mrsim merge`), drawn from
//! sweep.json (the grid) and points.csv (per point and metric, the mean over the seeds and the
//! half-width of its 95% confidence interval):
//! - `sweep-METRIC`: the metric's mean against the first grid axis, one line per combination of
//!   the other axes' values, with its 95% confidence band;
//! - `heatmap-METRIC`, for a two-axis grid: the mean (± half-width) of every combination.
//!
//! The first axis is numeric when every value is a number, or a duration (`10s`, `250ms`: drawn in
//! seconds); otherwise its values are categories in the order the grid lists them.

use std::path::Path;

use super::table::Table;
use super::{Drawing, Planned};
use crate::CliError;
use crate::plot::charts::{Chart, Series, XAxis};
use crate::plot::heatmap::Heatmap;
use crate::sweep::Manifest;

/// Drawn when no `--metric` is given (those the sweep has).
pub const DEFAULT_METRICS: [&str; 6] = [
    "operations_error_rate",
    "writes_lost_last_writer_wins",
    "reads_stale_fraction",
    "staleness_ms_p99",
    "latency_write_ms_p99",
    "replication_lag_ms_p99",
];

fn read_manifest(dir: &Path) -> Result<Manifest, CliError> {
    let path = dir.join("sweep.json");
    let bytes =
        std::fs::read(&path).map_err(|e| CliError::input(format!("error: {}: cannot read it: {e}", path.display())))?;
    let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|e| {
        CliError::input(format!(
            "error: {}:{}:{}: not a sweep manifest ({e}); expected the sweep.json `mrsim sweep` writes",
            path.display(),
            e.line(),
            e.column()
        ))
    })?;
    if manifest.grid.is_empty() || manifest.grid.iter().any(|a| a.values.is_empty()) {
        return Err(CliError::input(format!(
            "error: {}: the grid is empty; expected at least one axis with values",
            path.display()
        )));
    }
    Ok(manifest)
}

/// The metrics to draw: `asked` (each must be one of the sweep's), else the default set.
fn chosen_metrics(manifest: &Manifest, asked: &[String]) -> Result<Vec<String>, CliError> {
    if asked.is_empty() {
        let defaults: Vec<String> = DEFAULT_METRICS
            .iter()
            .filter(|m| manifest.metrics.iter().any(|x| x == *m))
            .map(|m| m.to_string())
            .collect();
        return Ok(if defaults.is_empty() { manifest.metrics.clone() } else { defaults });
    }
    for m in asked {
        if !manifest.metrics.contains(m) {
            let close: Vec<&String> = manifest
                .metrics
                .iter()
                .filter(|x| x.contains(m.as_str()) || m.contains(x.as_str()) || shares_word(x, m))
                .take(5)
                .collect();
            let hint = if close.is_empty() {
                String::new()
            } else {
                format!(" (closest: {})", close.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "))
            };
            return Err(CliError::input(format!(
                "error: --metric {m}: not a metric of this sweep{hint}; expected one of: {}",
                manifest.metrics.join(", ")
            )));
        }
    }
    let mut unique: Vec<String> = Vec::new();
    for m in asked {
        if !unique.contains(m) {
            unique.push(m.clone());
        }
    }
    Ok(unique)
}

fn shares_word(a: &str, b: &str) -> bool {
    a.split('_').any(|w| w.len() > 3 && b.split(['_', '.']).any(|v| v == w))
}

/// One point of points.csv: the index of its value on every axis, and per metric (mean, half-width).
struct PointRow {
    values: Vec<usize>,
    runs: String,
    metrics: Vec<(Option<f64>, Option<f64>)>,
    /// Per metric, whether fewer runs reported it than ran (`{metric}_n` below `runs`): the mean is
    /// of the runs that did, the rest censored (never converged, no samples).
    censored: Vec<bool>,
}

fn read_points(dir: &Path, manifest: &Manifest, metrics: &[String]) -> Result<Vec<PointRow>, CliError> {
    let path = dir.join("points.csv");
    if !path.exists() && dir.join("runs").is_dir() {
        return Err(CliError::input(format!(
            "error: {}: missing; a sharded sweep has it only after `mrsim merge SHARD_DIR... --out DIR`",
            path.display()
        )));
    }
    let t = Table::read(&path, "every sweep figure")?;
    let axis_columns: Vec<usize> = manifest.grid.iter().map(|a| t.column(&a.path)).collect::<Result<_, _>>()?;
    let runs = t.column("runs")?;
    let metric_columns: Vec<(usize, usize)> = metrics
        .iter()
        .map(|m| Ok((t.column(&format!("{m}_mean"))?, t.column(&format!("{m}_ci95"))?)))
        .collect::<Result<_, CliError>>()?;
    // Absent from sweeps written before censored runs were counted: nothing is marked then.
    let n_columns: Vec<Option<usize>> = metrics.iter().map(|m| t.column(&format!("{m}_n")).ok()).collect();
    let mut points = Vec::with_capacity(t.rows.len());
    for row in &t.rows {
        let mut values = Vec::with_capacity(axis_columns.len());
        for (axis, &column) in manifest.grid.iter().zip(&axis_columns) {
            let text = t.text(row, column);
            let index = axis.values.iter().position(|v| v == text).ok_or_else(|| {
                t.bad_cell(row, column, &format!("one of the grid's values in sweep.json ({})", axis.values.join(", ")))
            })?;
            values.push(index);
        }
        let mut cells = Vec::with_capacity(metric_columns.len());
        for &(mean, ci) in &metric_columns {
            cells.push((t.number(row, mean)?, t.number(row, ci)?));
        }
        let runs = t.text(row, runs).to_string();
        let censored = n_columns.iter().map(|n| n.is_some_and(|n| t.text(row, n) != runs)).collect();
        points.push(PointRow { values, runs, metrics: cells, censored });
    }
    if points.is_empty() {
        return Err(CliError::input(format!("error: {}: no points; expected one row per grid point", path.display())));
    }
    Ok(points)
}

/// Where the first axis's values go: numbers, durations in seconds, or categories.
fn first_axis(values: &[String], path: &str) -> (XAxis, Vec<f64>, String) {
    if let Some(xs) = values.iter().map(|v| v.parse::<f64>().ok().filter(|x| x.is_finite())).collect::<Option<Vec<_>>>()
    {
        return (XAxis::Linear, xs, path.to_string());
    }
    let durations: Option<Vec<f64>> = values
        .iter()
        .map(|v| v.trim_matches('"').parse::<sim_core::SimDuration>().ok().map(|d| d.as_secs_f64()))
        .collect();
    if let Some(xs) = durations {
        return (XAxis::Linear, xs, format!("{path} (s)"));
    }
    (XAxis::Categories(values.to_vec()), (0..values.len()).map(|i| i as f64).collect(), path.to_string())
}

/// Every figure of the sweep folder `dir`.
pub fn drawings(dir: &Path, asked: &[String]) -> Result<Vec<Planned>, CliError> {
    let manifest = read_manifest(dir)?;
    let metrics = chosen_metrics(&manifest, asked)?;
    let points = read_points(dir, &manifest, &metrics)?;
    let axes = &manifest.grid;
    let (x_axis, xs, x_label) = first_axis(&axes[0].values, &axes[0].path);
    // Lines: one per combination of the other axes' values, in the order points.csv lists them.
    let mut lines: Vec<Vec<usize>> = Vec::new();
    for p in &points {
        if !lines.contains(&p.values[1..].to_vec()) {
            lines.push(p.values[1..].to_vec());
        }
    }
    let runs: Vec<&str> = {
        let mut r: Vec<&str> = points.iter().map(|p| p.runs.as_str()).collect();
        r.dedup();
        r
    };
    let seeds_note = match runs.as_slice() {
        [one] => format!("mean over {one} seeds per point"),
        _ => "mean over the seeds of each point".to_string(),
    };
    // Legend labels name a line's axes by their last path segment ("ttl", not "route53.ttl") when
    // those are distinct, so a label of three settings fits the legend; the notes give the paths.
    let line_names = short_names(&axes[1..].iter().map(|a| a.path.as_str()).collect::<Vec<_>>());
    let mut planned = Vec::new();
    for (m, metric) in metrics.iter().enumerate() {
        let mut series = Vec::new();
        let mut any_interval = false;
        for key in &lines {
            let label = if axes.len() == 1 {
                "mean, 95% CI".to_string()
            } else {
                axes[1..]
                    .iter()
                    .zip(key)
                    .zip(&line_names)
                    .map(|((a, &v), name)| format!("{name}={}", a.values[v]))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let mut s = Series { label, points: Vec::new(), band: Vec::new() };
            for (i, &x) in xs.iter().enumerate() {
                let cell = points.iter().find(|p| p.values[0] == i && p.values[1..] == key[..]).map(|p| p.metrics[m]);
                let (mean, ci) = cell.unwrap_or((None, None));
                s.points.push((x, mean.unwrap_or(f64::NAN)));
                if let (Some(mean), Some(ci)) = (mean, ci) {
                    any_interval = true;
                    s.band.push((x, mean - ci, mean + ci));
                } else {
                    s.band.push((x, f64::NAN, f64::NAN));
                }
            }
            if !any_interval_in(&s) {
                s.band.clear();
            }
            series.push(s);
        }
        let mut notes = vec![seeds_note.clone()];
        for (name, axis) in line_names.iter().zip(&axes[1..]) {
            if *name != axis.path {
                notes.push(format!("{name}: {}", axis.path));
            }
        }
        let censored = points.iter().filter(|p| p.censored[m]).count();
        if censored > 0 {
            notes.push(format!(
                "at {} fewer runs reported it (null: not reached); the mean is of those that did",
                crate::count(censored as u64, "point", "points")
            ));
        }
        notes.push(if any_interval {
            "band: 95% CI (Student t)".into()
        } else {
            "one seed: no confidence interval".into()
        });
        let chart = Chart {
            title: format!("{}: {metric} against {}", manifest.scenario, axes[0].path),
            x_label: x_label.clone(),
            y_label: metric.clone(),
            x_axis: x_axis.clone(),
            y_range: None,
            series,
            notes,
        };
        planned.push(Planned { name: format!("sweep-{metric}"), drawing: Drawing::Chart(chart) });
        if axes.len() == 2 {
            let cells = (0..axes[1].values.len())
                .map(|y| {
                    (0..axes[0].values.len())
                        .map(|x| {
                            let p = points.iter().find(|p| p.values == [x, y])?;
                            let (mean, ci) = p.metrics[m];
                            mean.map(|v| (v, ci))
                        })
                        .collect()
                })
                .collect();
            let heatmap = Heatmap {
                title: format!("{}: {metric} (mean ± 95% CI half-width)", manifest.scenario),
                x_label: axes[0].path.clone(),
                y_label: axes[1].path.clone(),
                x_categories: axes[0].values.clone(),
                y_categories: axes[1].values.clone(),
                cells,
                value_label: metric.clone(),
            };
            planned.push(Planned { name: format!("heatmap-{metric}"), drawing: Drawing::Heatmap(heatmap) });
        }
    }
    Ok(planned)
}

fn any_interval_in(s: &Series) -> bool {
    s.band.iter().any(|b| b.1.is_finite() && b.2.is_finite())
}

/// Each path's last segment after a '.', when no two paths share it; the whole paths otherwise.
fn short_names(paths: &[&str]) -> Vec<String> {
    let last: Vec<&str> = paths.iter().map(|p| p.rsplit('.').next().unwrap_or(p)).collect();
    let distinct = last.iter().enumerate().all(|(i, a)| last[..i].iter().all(|b| a != b));
    if distinct { last.iter().map(|s| s.to_string()).collect() } else { paths.iter().map(|s| s.to_string()).collect() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legend_names_are_last_segments_unless_they_collide() {
        let names = short_names(&["route53.ttl", "route53.health_check[0].request_interval"]);
        assert_eq!(names, vec!["ttl", "request_interval"]);
        let names = short_names(&["store[0].delay", "store[1].delay"]);
        assert_eq!(names, vec!["store[0].delay", "store[1].delay"]);
    }

    #[test]
    fn first_axis_is_numbers_durations_or_categories() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let (axis, xs, label) = first_axis(&s(&["100", "200.5"]), "population[0].rate");
        assert_eq!((axis, xs, label.as_str()), (XAxis::Linear, vec![100.0, 200.5], "population[0].rate"));
        let (axis, xs, label) = first_axis(&s(&["250ms", "10s"]), "route53.ttl");
        assert_eq!((axis, xs, label.as_str()), (XAxis::Linear, vec![0.25, 10.0], "route53.ttl (s)"));
        let (axis, xs, _) = first_axis(&s(&["exp(mean=1s)", "10s"]), "d");
        assert_eq!(axis, XAxis::Categories(s(&["exp(mean=1s)", "10s"])));
        assert_eq!(xs, vec![0.0, 1.0]);
    }
}
