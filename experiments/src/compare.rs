//! `mrsim compare A B --seeds N`: the same N seeds through two scenarios, and per metric the mean
//! paired difference B − A with a 95% confidence interval.
//!
//! Common random numbers: seed i runs in both scenarios (the seeds of `mrsim check`, rooted at
//! `--seed0`, else A's seed, else 0x2a), and since every component draws from its own named stream,
//! the two runs of a pair see the same arrivals and keys wherever the scenarios agree. The
//! difference of a pair then carries only the effect of what changed, so the paired interval is far
//! narrower than comparing two independent means.
//!
//! With `[cost]` in both scenarios, the table is followed by what B costs over A and what it saves
//! (`return_on_b`): the infrastructure a month and a year, and with `incidents_per_year` the
//! downtime a year, the savings, the net benefit and the return on the extra spend, as source 003
//! argues for a second Region (its figures are the test's).
//!
//! `--set path=value` changes both scenarios before they are validated, as for `mrsim run`
//! (the reproduce line of a failed run repeats the changes).
//!
//! Metrics: every numeric leaf of summary.json (`metrics_path`) that both scenarios report as a
//! number in a pair; `n` counts those pairs. A metric can be null in some runs and not in others
//! (a convergence that never happened, a percentile of no samples): such a run is *censored*, and
//! its outcome is not a number to average. It is counted, never mixed in: each side says in how
//! many of the seeds it reported a number ("converged 2 of 3"), the table marks the row and names
//! what the means are of (the pairs where both did). The interval is mean ± t(0.975, n−1)·s/√n, with s the
//! sample standard deviation of the differences (Student t, n−1 degrees of freedom); with one pair
//! there is none (`sweep::stats`, shared with `mrsim sweep`). Rows are sorted by path; numbers are
//! summed in seed order, so the output is the same bytes whatever the thread count.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::PathBuf;

use sim_core::Seed;

use crate::check::{self, number};
use crate::metrics_path::Leaf;
use crate::run::{DEFAULT_SEED, reproduce_command};
use crate::sweep::stats;
use crate::{CliError, output};

/// What `mrsim compare` was asked to do.
#[derive(Clone, Debug)]
pub struct CompareArgs {
    pub a: PathBuf,
    pub b: PathBuf,
    pub seeds: u32,
    pub seed0: Option<Seed>,
    pub out: Option<PathBuf>,
    /// Metric path prefixes to keep; empty keeps every metric.
    pub metrics: Vec<String>,
    /// `--set path=value` overrides applied to both scenarios, in order, before validation.
    pub set: Vec<String>,
}

/// One metric's paired comparison.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub metric: String,
    /// Pairs in which both scenarios report a number.
    pub n: usize,
    /// Seeds compared, and in how many of them each scenario reported a number (the rest were
    /// null: censored, not reached).
    pub seeds: usize,
    pub reported_a: usize,
    pub reported_b: usize,
    pub mean_a: f64,
    pub mean_b: f64,
    /// Mean of B − A over the pairs.
    pub mean_difference: f64,
    /// Half-width of the 95% confidence interval of the mean difference; none with one pair.
    pub ci95_half_width: Option<f64>,
}

impl Row {
    /// Whether the interval excludes 0 (the difference is significant at the 5% level).
    pub fn excludes_zero(&self) -> Option<bool> {
        self.ci95_half_width.map(|h| self.mean_difference.abs() > h)
    }

    /// Whether some run of either side left the metric null, so the means are of fewer pairs than
    /// seeds.
    pub fn censored(&self) -> bool {
        self.n < self.seeds
    }
}

/// Paired rows for every metric both sides report as a number in at least one pair, by path.
pub fn rows(a: &[BTreeMap<String, Leaf>], b: &[BTreeMap<String, Leaf>]) -> Vec<Row> {
    let paths: BTreeSet<&String> = a.iter().chain(b).flat_map(|leaves| leaves.keys()).collect();
    let mut rows = Vec::new();
    for path in paths {
        let pairs: Vec<(f64, f64)> =
            a.iter().zip(b).filter_map(|(la, lb)| Some((la.get(path)?.number()?, lb.get(path)?.number()?))).collect();
        if pairs.is_empty() {
            continue;
        }
        let seeds = a.len().min(b.len());
        let reported = |side: &[BTreeMap<String, Leaf>]| {
            side[..seeds].iter().filter(|l| l.get(path).and_then(Leaf::number).is_some()).count()
        };
        let n = pairs.len() as f64;
        let mean_a = pairs.iter().map(|p| p.0).sum::<f64>() / n;
        let mean_b = pairs.iter().map(|p| p.1).sum::<f64>() / n;
        let differences: Vec<f64> = pairs.iter().map(|(x, y)| y - x).collect();
        let (mean_difference, ci95_half_width) = stats::mean_ci95(&differences);
        let mean_difference = mean_difference.expect("pairs is not empty");
        rows.push(Row {
            metric: path.clone(),
            n: pairs.len(),
            seeds,
            reported_a: reported(a),
            reported_b: reported(b),
            mean_a,
            mean_b,
            mean_difference,
            ci95_half_width,
        });
    }
    rows
}

/// The rows whose metric path starts with one of `prefixes` (all rows when there are none); a
/// prefix that matches no row is an error naming it, so a misspelt metric is not silently dropped.
pub fn select(rows: Vec<Row>, prefixes: &[String]) -> Result<Vec<Row>, String> {
    if prefixes.is_empty() {
        return Ok(rows);
    }
    if let Some(unmatched) = prefixes.iter().find(|p| !rows.iter().any(|r| r.metric.starts_with(p.as_str()))) {
        return Err(format!(
            "error: --metric {unmatched}: no compared metric path starts with it (paths look like \
             writes.acknowledged or stores.<name>.lost_last_writer_wins; run without --metric to list them)"
        ));
    }
    Ok(rows.into_iter().filter(|r| prefixes.iter().any(|p| r.metric.starts_with(p.as_str()))).collect())
}

/// compare.csv: one row per metric, numbers shortest-round-trip, an empty cell for no interval;
/// `n` pairs of `seeds`, and how many runs of each side reported a number.
pub fn csv(rows: &[Row]) -> Result<Vec<u8>, String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = [
        "metric",
        "n",
        "mean_a",
        "mean_b",
        "mean_difference",
        "ci95_half_width",
        "ci_excludes_zero",
        "seeds",
        "reported_a",
        "reported_b",
    ];
    w.write_record(header).map_err(|e| e.to_string())?;
    for r in rows {
        w.write_record([
            r.metric.clone(),
            r.n.to_string(),
            r.mean_a.to_string(),
            r.mean_b.to_string(),
            r.mean_difference.to_string(),
            r.ci95_half_width.map_or(String::new(), |h| h.to_string()),
            r.excludes_zero().map_or(String::new(), |x| x.to_string()),
            r.seeds.to_string(),
            r.reported_a.to_string(),
            r.reported_b.to_string(),
        ])
        .map_err(|e| e.to_string())?;
    }
    w.into_inner().map_err(|e| e.to_string())
}

/// `mrsim compare`.
pub fn execute(args: &CompareArgs) -> Result<String, CliError> {
    if args.seeds == 0 {
        return Err(CliError::input("error: --seeds must be positive"));
    }
    if let Some(dir) = &args.out {
        output::check_replaceable("--out", dir, &output::named(&["compare.csv"]))
            .map_err(|e| CliError::input(format!("error: {e}")))?;
    }
    let overrides = check::parse_overrides(&args.set)?;
    let a = check::load_with(&args.a, &overrides)?;
    let b = check::load_with(&args.b, &overrides)?;
    eprint!("{}{}", a.warnings, b.warnings);
    let root = args.seed0.or(a.seed).unwrap_or(DEFAULT_SEED);
    let seeds = check::seeds(root, args.seeds);
    let (file_a, file_b) = (args.a.display().to_string(), args.b.display().to_string());
    let leaves_a = check::run_seeds_with(&a, &|seed| reproduce_command(&args.a, &overrides, seed), &seeds)?;
    let leaves_b = check::run_seeds_with(&b, &|seed| reproduce_command(&args.b, &overrides, seed), &seeds)?;
    // A bill's lines are rows by position, and two scenarios' bills list different lines: their
    // totals are compared, not line i against line i.
    let all: Vec<Row> = rows(&leaves_a, &leaves_b)
        .into_iter()
        .filter(|r| !r.metric.starts_with("cost.infrastructure.lines."))
        .collect();
    let money = return_on_b(&all);
    let rows = select(all, &args.metrics).map_err(CliError::input)?;
    let mut text = format!(
        "mrsim compare: A = {} ({file_a}), B = {} ({file_b}); {} from {root}\n",
        a.name,
        b.name,
        crate::count(seeds.len() as u64, "paired seed", "paired seeds")
    );
    if !overrides.is_empty() {
        let changes: Vec<String> = overrides.iter().map(|o| o.to_string()).collect();
        let _ = writeln!(text, "  both changed by --set {}", changes.join(" --set "));
    }
    text.push_str(&table(&rows));
    text.push_str(&money);
    if let Some(dir) = &args.out {
        let bytes = csv(&rows).map_err(CliError::internal)?;
        let path = dir.join("compare.csv");
        output::write_folder(dir, &[("compare.csv", bytes)]).map_err(CliError::output)?;
        let _ = writeln!(text, "  wrote           {}", path.display());
    }
    Ok(text)
}

/// Whole dollars with thousands separated: "$3,870,000", "-$12".
fn dollars(x: f64) -> String {
    let whole = x.abs().round() as u64;
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{}${grouped}", if x < 0.0 && whole > 0 { "-" } else { "" })
}

/// What B costs over A in money and what it saves, as the means over the paired seeds, when both
/// scenarios give `[cost]`: the infrastructure a month and a year, and, with `incidents_per_year`,
/// the downtime a year, the savings, the net benefit and the return on the extra spend (net
/// benefit over the extra infrastructure a year). Empty when either side has no cost.
pub fn return_on_b(rows: &[Row]) -> String {
    let get = |metric: &str| rows.iter().find(|r| r.metric == metric).map(|r| (r.mean_a, r.mean_b));
    let Some((infra_a, infra_b)) = get("cost.infrastructure.usd_per_month") else { return String::new() };
    let mut t = String::from("\n  money (means over the paired seeds)\n");
    let extra_year = 12.0 * (infra_b - infra_a);
    let _ = writeln!(
        t,
        "  infrastructure  A {} / month, B {} / month: B costs {} a month, {} a year more",
        dollars(infra_a),
        dollars(infra_b),
        dollars(infra_b - infra_a),
        dollars(extra_year)
    );
    let (Some((down_a, down_b)), Some((hours_a, hours_b)), Some((avail_a, avail_b))) = (
        get("cost.downtime.usd_per_year"),
        get("cost.downtime.downtime_hours_per_year"),
        get("cost.downtime.availability_per_year"),
    ) else {
        t.push_str("  downtime        no yearly figures (give [cost] incidents_per_year in both)\n");
        return t;
    };
    let _ = writeln!(
        t,
        "  downtime        A {:.2} h a year (availability {:.4}%) costs {}; B {:.2} h ({:.4}%) costs {}",
        hours_a,
        avail_a * 100.0,
        dollars(down_a),
        hours_b,
        avail_b * 100.0,
        dollars(down_b)
    );
    let savings = down_a - down_b;
    let net = savings - extra_year;
    let _ = writeln!(t, "  savings         {} - {} = {} a year", dollars(down_a), dollars(down_b), dollars(savings));
    let _ = writeln!(t, "  extra cost      {} a year", dollars(extra_year));
    let verdict = if net > 0.0 { "B pays for itself" } else { "B does not pay for itself" };
    let roi = if extra_year > 0.0 {
        format!(", a return of {:.0}% on the extra spend", net / extra_year * 100.0)
    } else {
        String::new()
    };
    let _ = writeln!(t, "  net benefit     {} a year{roi}: {verdict}", dollars(net));
    t
}

/// The 95% half-width `h` of row `r`, to as many decimals as the row's means and difference show
/// (at most six, as `number` prints them): an interval is no more precise than what it qualifies.
/// A small interval keeps two significant digits, so a nonzero one never prints as 0.
fn half_width(h: f64, r: &Row) -> String {
    let decimals = |x: f64| number(x).split_once('.').map_or(0, |(_, d)| d.len());
    let row = [r.mean_a, r.mean_b, r.mean_difference].into_iter().map(decimals).max().unwrap_or(0);
    let mut significant = 0;
    while h > 0.0 && h * 10f64.powi(significant as i32) < 10.0 && significant < 6 {
        significant += 1;
    }
    let places = row.max(significant);
    number(format!("{h:.places$}").parse().unwrap_or(h))
}

/// Whether a metric is a percentile read from a histogram (a maximum is exact).
fn from_histogram(metric: &str) -> bool {
    metric.ends_with(".p50") || metric.ends_with(".p99")
}

fn table(rows: &[Row]) -> String {
    let header = ["metric", "n", "mean A", "mean B", "B - A", "95% CI +-", "CI excludes 0"].map(String::from);
    let cells: Vec<[String; 7]> = rows
        .iter()
        .map(|r| {
            [
                if r.censored() { format!("{}*", r.metric) } else { r.metric.clone() },
                if r.censored() { format!("{} of {}", r.n, r.seeds) } else { r.n.to_string() },
                number(r.mean_a),
                number(r.mean_b),
                number(r.mean_difference),
                r.ci95_half_width.map_or("-".into(), |h| half_width(h, r)),
                r.excludes_zero().map_or("-", |x| if x { "yes" } else { "no" }).to_string(),
            ]
        })
        .collect();
    let widths: Vec<usize> =
        (0..7).map(|c| cells.iter().chain([&header]).map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    let mut text = String::new();
    for row in [&header].into_iter().chain(&cells) {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (cell, w))| if c == 0 { format!("{cell:<w$}") } else { format!("{cell:>w$}") })
            .collect();
        let _ = writeln!(text, "  {}", line.join("  ").trim_end());
    }
    if rows.iter().any(|r| from_histogram(&r.metric)) {
        let _ = writeln!(
            text,
            "  Percentiles (rows ending in p50 or p99) are read from histograms whose buckets are under 0.4% of the \
             value wide: a difference below that is not resolved, and seeds whose values share a bucket differ by \
             exactly 0."
        );
    }
    let censored: Vec<String> = rows
        .iter()
        .filter(|r| r.censored())
        .map(|r| format!("{} (A {} of {}, B {} of {})", r.metric, r.reported_a, r.seeds, r.reported_b, r.seeds))
        .collect();
    if !censored.is_empty() {
        let _ = writeln!(
            text,
            "  * null in some runs (not reached: never detected or converged, no samples), so not averaged in; \
             the means and the interval are of the {} where both sides reported a number. Reported: {}",
            if censored.len() == 1 { "pairs" } else { "pairs of each row" },
            censored.join("; ")
        );
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_keeps_matching_prefixes_and_names_a_prefix_that_matches_nothing() {
        let a = [leaves(&[("writes.acknowledged", 1.0), ("writes.lost", 2.0), ("reads.stale", 3.0)])];
        let b = [leaves(&[("writes.acknowledged", 2.0), ("writes.lost", 4.0), ("reads.stale", 6.0)])];
        let all = rows(&a, &b);
        assert_eq!(select(all.clone(), &[]).unwrap(), all);
        let kept = select(all.clone(), &["writes.".to_string()]).unwrap();
        assert_eq!(kept.iter().map(|r| r.metric.as_str()).collect::<Vec<_>>(), ["writes.acknowledged", "writes.lost"]);
        let error = select(all, &["reads.".to_string(), "wirtes".to_string()]).unwrap_err();
        assert!(error.contains("--metric wirtes"), "{error}");
    }

    fn leaves(values: &[(&str, f64)]) -> BTreeMap<String, Leaf> {
        values.iter().map(|(k, v)| (k.to_string(), Leaf::Number(*v))).collect()
    }

    #[test]
    fn the_half_width_is_rounded_like_its_row() {
        let row = |a: f64, b: f64| Row {
            metric: "m".into(),
            n: 8,
            seeds: 8,
            reported_a: 8,
            reported_b: 8,
            mean_a: a,
            mean_b: b,
            mean_difference: b - a,
            ci95_half_width: None,
        };
        // Whole-number means: a whole-number interval (the newcomer's 42.048547).
        assert_eq!(half_width(42.048547, &row(3904.0, 3950.0)), "42");
        // Means to a tenth: a tenth.
        assert_eq!(half_width(857.66882, &row(12.5, 176.0)), "857.7");
        // Shares to six places stay at six; trailing zeros are dropped as elsewhere.
        assert_eq!(half_width(0.0089081, &row(0.123382, 0.115463)), "0.008908");
        // A small interval beside whole numbers keeps two significant digits rather than print 0.
        assert_eq!(half_width(0.3141, &row(1.0, 2.0)), "0.31");
        assert_eq!(half_width(0.0, &row(1.0, 1.0)), "0");
    }

    #[test]
    fn the_return_on_an_extra_region_by_hand() {
        // The article's trading platform: 22 000 and 58 000 USD a month; 8.76 and 0.876 hours of
        // downtime a year at 500 000 USD an hour.
        let a = [leaves(&[
            ("cost.infrastructure.usd_per_month", 22_000.0),
            ("cost.downtime.usd_per_year", 4_380_000.0),
            ("cost.downtime.downtime_hours_per_year", 8.76),
            ("cost.downtime.availability_per_year", 0.999),
        ])];
        let b = [leaves(&[
            ("cost.infrastructure.usd_per_month", 58_000.0),
            ("cost.downtime.usd_per_year", 438_000.0),
            ("cost.downtime.downtime_hours_per_year", 0.876),
            ("cost.downtime.availability_per_year", 0.9999),
        ])];
        let text = return_on_b(&rows(&a, &b));
        assert!(text.contains("B costs $36,000 a month, $432,000 a year more"), "{text}");
        assert!(text.contains("savings         $4,380,000 - $438,000 = $3,942,000 a year"), "{text}");
        // (3 942 000 - 432 000) / 432 000 = 8.125.
        assert!(
            text.contains("net benefit     $3,510,000 a year, a return of 812% on the extra spend: B pays"),
            "{text}"
        );
        assert!(text.contains("A 8.76 h a year (availability 99.9000%)"), "{text}");
        let none = [leaves(&[("writes.acknowledged", 1.0)])];
        assert_eq!(return_on_b(&rows(&none, &none)), "");
        let no_year = [leaves(&[("cost.infrastructure.usd_per_month", 1.0)])];
        assert!(return_on_b(&rows(&no_year, &no_year)).contains("no yearly figures"));
    }

    #[test]
    fn paired_rows_by_hand() {
        // Differences 1, 2, 3: mean 2, s = 1, half-width t(0.975, 2) / sqrt(3).
        let a = [leaves(&[("x", 10.0)]), leaves(&[("x", 20.0)]), leaves(&[("x", 30.0)])];
        let b = [leaves(&[("x", 11.0)]), leaves(&[("x", 22.0)]), leaves(&[("x", 33.0), ("only_b", 1.0)])];
        let rows = rows(&a, &b);
        assert_eq!(rows.len(), 1, "a metric only B reports is not compared: {rows:?}");
        let r = &rows[0];
        assert_eq!((r.n, r.mean_a, r.mean_b, r.mean_difference), (3, 20.0, 22.0, 2.0));
        let expected = 4.302652730 / 3f64.sqrt();
        assert!((r.ci95_half_width.unwrap() - expected).abs() < 1e-9);
        // 4.303 / 1.732 = 2.48 > 2: three pairs are not enough to call this difference significant.
        assert_eq!(r.excludes_zero(), Some(false));
        let one = super::rows(&a[..1], &b[..1]);
        assert_eq!((one[0].ci95_half_width, one[0].excludes_zero()), (None, None));
    }

    /// A metric null in some runs (a convergence that never happened) is counted per side and
    /// left out of the means, and the table says so: 3 seeds, A converged in all, B in 2 (seeds 0
    /// and 2), so the means are of pairs 0 and 2.
    #[test]
    fn censored_runs_are_counted_not_averaged() {
        let converged = |x: f64| leaves(&[("converged_s", x)]);
        let never = || [("converged_s".to_string(), Leaf::Null)].into_iter().collect::<BTreeMap<_, _>>();
        let a = [converged(10.0), converged(20.0), converged(30.0)];
        let b = [converged(12.0), never(), converged(36.0)];
        let rows = rows(&a, &b);
        let r = &rows[0];
        assert_eq!((r.n, r.seeds, r.reported_a, r.reported_b), (2, 3, 3, 2));
        assert_eq!((r.mean_a, r.mean_b, r.mean_difference), (20.0, 24.0, 4.0));
        assert!(r.censored());
        let text = table(&rows);
        assert!(text.contains("converged_s*") && text.contains("2 of 3"), "{text}");
        assert!(text.contains("converged_s (A 3 of 3, B 2 of 3)"), "{text}");
        let csv = String::from_utf8(csv(&rows).unwrap()).unwrap();
        assert!(csv.lines().nth(1).unwrap().starts_with("converged_s,2,20,24,4,"), "{csv}");
        assert!(csv.lines().nth(1).unwrap().ends_with(",3,3,2"), "{csv}");
        // Reported everywhere: no mark, no note.
        let full = super::rows(&a, &a);
        assert!(!full[0].censored() && !table(&full).contains('*'));
        assert!(!table(&full).contains("histograms"), "no percentile, no note on bucket resolution");
        let p99 = |x: f64| leaves(&[("latency_ms.p99", x)]);
        let text = table(&super::rows(&[p99(139.984)], &[p99(139.984)]));
        assert!(text.contains("buckets are under 0.4% of the value wide"), "{text}");
    }
}
