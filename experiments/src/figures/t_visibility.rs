//! The `t-visibility` figure of a run folder with a quorum store's staleness probe: from
//! t_visibility.csv alone, per store and k, the probability that a read at commit + t returns one
//! of the last k versions (k = 1: the write or newer, PBS's t-visibility) against t on a log axis.
//! A log axis cannot show t = 0, so the probability at t = 0 is given in the notes.

use std::collections::BTreeMap;

use super::table::Table;
use crate::CliError;
use crate::plot::charts::{Chart, Series, XAxis};

/// The chart, from the rows of t_visibility.csv, in the order the stores first appear.
pub fn chart(title: &str, table: &Table) -> Result<Chart, CliError> {
    let [store, t_ms, k, probability] = ["store", "t_ms", "k", "probability"].map(|c| table.column(c));
    let (store, t_ms, k, probability) = (store?, t_ms?, k?, probability?);
    let mut order: Vec<(String, u64)> = Vec::new();
    let mut points: BTreeMap<(String, u64), Vec<(f64, f64)>> = BTreeMap::new();
    let mut at_zero: Vec<String> = Vec::new();
    for row in &table.rows {
        let name = table.text(row, store).to_string();
        let t = table.required_number(row, t_ms)?;
        let kk = table.required_number(row, k)?;
        if kk < 1.0 || kk.fract() != 0.0 {
            return Err(table.bad_cell(row, k, "a whole number of versions, at least 1"));
        }
        // A probe with no answered reads at this t has no probability: a gap.
        let Some(p) = table.number(row, probability)? else { continue };
        let key = (name.clone(), kk as u64);
        if !points.contains_key(&key) {
            order.push(key.clone());
        }
        if t == 0.0 && kk == 1.0 {
            at_zero.push(format!("{name}: {p:.4} at t = 0"));
        }
        points.entry(key).or_default().push((t, p));
    }
    let series = order
        .into_iter()
        .map(|key| {
            let label = match key.1 {
                1 => format!("{}, k = 1 (the write or newer)", key.0),
                k => format!("{}, k = {k}", key.0),
            };
            Series { label, points: points.remove(&key).unwrap_or_default(), band: Vec::new() }
        })
        .collect();
    let mut notes = vec!["P(a read at commit + t returns".to_string(), "one of the last k versions)".to_string()];
    notes.extend(at_zero);
    Ok(Chart {
        title: format!("{title}: t-visibility and k-staleness"),
        x_label: "t after commit (ms, log scale)".into(),
        y_label: "probability".into(),
        x_axis: XAxis::Log10,
        y_range: None,
        series,
        notes,
    })
}
