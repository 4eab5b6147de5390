//! `mrsim annual`: a design's downtime and its cost over many simulated years, by the incident
//! shortcut.
//!
//! A year is 8 760 hours of mostly quiet operation and a few Region outages. Simulating the whole
//! year in detail would cost a year of events; instead each year `y` draws, from its own stream
//! `Seed(seed0).stream("annual/{y}")`, a Poisson number of outages (mean
//! `[cost.annual].region_outages_per_year`), each one's duration from `region_outage_duration`
//! and a seed. Each outage is then run in full detail as a short scenario: the scenario with its
//! faults and fault generators replaced by that one `region_outage` of the Region, after
//! `warm_up` and followed by `drain` (the run's fault phase is warm-up + outage + drain). The rest
//! of the year, the quiet hours, is priced from one quiet run (the scenario without faults, for
//! its own duration, seed stream "annual/quiet"): its failed share of operations per hour times
//! the year's quiet hours.
//!
//! Downtime is the bill's (see `pricing::bill`): the failed share of operations times the run's
//! fault phase. A year's downtime is the quiet downtime plus each outage run's; its cost is the
//! quiet cost per hour times the quiet hours plus each outage run's downtime cost (revenue per
//! hour of downtime and per failed operation, the SLA penalty when the outage's median client
//! outage reaches the bound, lost writes), all from the same bill code.
//!
//! Guarantees. The outage runs are independent and run in parallel (rayon); the years are
//! assembled from them in (year, outage) order and aggregated sequentially, so the bytes are the
//! same with 1 or N threads. The folder (annual.json, years.csv) is written atomically.

use std::path::{Path, PathBuf};

use models::faults::{FaultConfig, FaultKind, OutageScope, ProbeAnswer};
use rayon::prelude::*;
use serde::Serialize;
use sim_core::{Seed, SimDuration, SimTime, TraceMode};

use crate::CliError;
use crate::pricing::AnnualConfig;
use crate::pricing::bill::DowntimeRow;
use crate::run::DEFAULT_SEED;
use crate::scenario::Scenario;

/// Hours in a (non-leap) year, as the bill's yearly figures count them.
pub const HOURS_PER_YEAR: f64 = 8760.0;

/// What `mrsim annual` was asked to do.
#[derive(Clone, Debug, Default)]
pub struct AnnualArgs {
    pub scenario: PathBuf,
    pub years: u32,
    pub seed0: Option<Seed>,
    pub threads: Option<usize>,
    pub out: Option<PathBuf>,
    /// `--set path=value` overrides, applied in order before validation.
    pub set: Vec<String>,
}

/// One drawn outage: its length and the seed of its run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Incident {
    pub duration: SimDuration,
    pub seed: Seed,
}

/// A Poisson count with mean `mean` (Knuth's product of uniforms; `mean` is at most
/// [`AnnualConfig::MAX_OUTAGES_PER_YEAR`], so the product stays above underflow's reach long
/// enough and the loop ends).
pub fn poisson(mean: f64, rng: &mut sim_core::Stream) -> u32 {
    let limit = libm::exp(-mean);
    let (mut k, mut product) = (0u32, 1.0f64);
    loop {
        product *= rng.next_f64();
        if product <= limit || k >= 10 * AnnualConfig::MAX_OUTAGES_PER_YEAR as u32 {
            return k;
        }
        k += 1;
    }
}

/// The outages of year `year`, from its own stream: adding years keeps the first ones.
pub fn draw_year(annual: &AnnualConfig, seed0: Seed, year: u32) -> Vec<Incident> {
    let mut rng = seed0.stream(&format!("annual/{year}"));
    let n = poisson(annual.region_outages_per_year, &mut rng);
    (0..n)
        .map(|_| {
            let duration = annual.region_outage_duration.sample_duration(&mut rng).max(SimDuration::from_secs(1));
            Incident { duration, seed: Seed(rng.next_u64()) }
        })
        .collect()
}

/// The scenario of one outage: `base` with its faults replaced by one whole-Region outage of
/// `duration`, after the warm-up and before the drain; `max_events` grows with the run.
pub fn incident_scenario(base: &Scenario, annual: &AnnualConfig, duration: Option<SimDuration>) -> Scenario {
    let mut s = base.clone();
    let w = &mut s.world;
    w.fault_generators.clear();
    w.faults.clear();
    if let Some(duration) = duration {
        let start = SimTime::at(annual.warm_up);
        w.duration = annual.warm_up + duration + annual.drain;
        w.faults.push(FaultConfig {
            kind: FaultKind::RegionOutage {
                region: annual.region,
                scope: OutageScope::Region,
                probes: ProbeAnswer::TimeOut,
            },
            start,
            end: Some(start + duration),
        });
        let ratio = w.duration.as_secs_f64() / base.world.duration.as_secs_f64().max(1e-9);
        w.max_events = ((base.world.max_events as f64) * ratio.max(1.0)).min(u64::MAX as f64 / 2.0) as u64;
    }
    s
}

/// What one run contributes: its fault phase and its downtime row.
#[derive(Clone, Debug)]
struct Measured {
    hours: f64,
    downtime: DowntimeRow,
}

fn measure(scenario: &Scenario, seed: Seed, what: &str) -> Result<Measured, CliError> {
    if let Some(refusal) = crate::scenario::cost::estimate(&scenario.world).refusal() {
        return Err(CliError::input(format!("error: {what}: {refusal}")));
    }
    let output = models::run::run(&scenario.world, seed, TraceMode::Off)
        .map_err(|e| CliError::run(format!("scenario {:?}, {what}, seed {seed}: {e}", scenario.name)))?;
    let summary = crate::report::summary(scenario, seed, &output);
    let cost = summary.cost.ok_or_else(|| CliError::internal("a scenario with [cost] has a bill"))?;
    Ok(Measured { hours: scenario.world.duration.as_secs_f64() / 3600.0, downtime: cost.downtime })
}

/// The quiet run's rates: failed share of operations and downtime cost per hour.
struct Quiet {
    failed_share: f64,
    usd_per_hour: f64,
}

/// A horizon of `horizon_hours` made of the outage runs `runs` and quiet time: the outage runs'
/// downtime and cost as measured, the rest of the horizon at the quiet run's rates (year, seed and
/// outage hours left for the caller).
fn combine(runs: &[Measured], quiet: &Quiet, horizon_hours: f64) -> YearRow {
    let window: f64 = runs.iter().fold(0.0, |sum, m| sum + m.hours);
    let quiet_hours = (horizon_hours - window).max(0.0);
    let incident_downtime = runs.iter().fold(0.0, |sum, m| sum + m.downtime.downtime_hours);
    let quiet_downtime = quiet.failed_share * quiet_hours;
    YearRow {
        year: 0,
        seed: String::new(),
        outages: runs.len() as u32,
        outage_hours: 0.0,
        incident_window_hours: window,
        incident_downtime_hours: incident_downtime,
        quiet_downtime_hours: quiet_downtime,
        downtime_hours: incident_downtime + quiet_downtime,
        sla_incidents: runs.iter().map(|m| m.downtime.sla_incidents).sum(),
        lost_writes: runs.iter().map(|m| m.downtime.lost_writes).sum(),
        usd: runs.iter().fold(quiet.usd_per_hour * quiet_hours, |sum, m| sum + m.downtime.usd),
    }
}

/// One year of years.csv.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct YearRow {
    pub year: u32,
    pub seed: String,
    pub outages: u32,
    /// The outages' own lengths, summed.
    pub outage_hours: f64,
    /// The outage runs' fault phases (warm-up + outage + drain), summed.
    pub incident_window_hours: f64,
    pub incident_downtime_hours: f64,
    pub quiet_downtime_hours: f64,
    pub downtime_hours: f64,
    pub sla_incidents: u64,
    pub lost_writes: u64,
    pub usd: f64,
}

/// A distribution over years: mean and nearest-rank percentiles.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Spread {
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

/// annual.json.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AnnualReport {
    pub scenario: String,
    pub scenario_hash: String,
    pub seed0: String,
    /// The `--set path=value` changes applied to the scenario, as written.
    pub overrides: Vec<String>,
    pub years: u32,
    pub region: String,
    pub region_outages_per_year: f64,
    pub warm_up_s: f64,
    pub drain_s: f64,
    /// The quiet run: its fault phase, its failed share of operations, its cost per hour.
    pub quiet_run_hours: f64,
    pub quiet_failed_share: f64,
    pub quiet_usd_per_hour: f64,
    pub outages: u64,
    pub downtime_hours: Spread,
    /// 1 - mean downtime hours / 8 760.
    pub availability: f64,
    pub usd_per_year: Spread,
    /// The half-width of the 95% confidence interval of the mean yearly cost (Student t over years).
    pub usd_per_year_ci95: Option<f64>,
}

/// The nearest-rank percentile `q` of sorted `values`.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn spread(values: &[f64]) -> Spread {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mean = crate::sweep::stats::mean_ci95(values).0.unwrap_or(0.0);
    Spread {
        mean,
        p50: percentile(&sorted, 0.5),
        p90: percentile(&sorted, 0.9),
        p99: percentile(&sorted, 0.99),
        max: sorted[sorted.len() - 1],
    }
}

/// Runs the years of `scenario` and returns the report and its rows (no files written).
pub fn simulate(
    scenario: &Scenario,
    years: u32,
    seed0: Seed,
    threads: Option<usize>,
) -> Result<(AnnualReport, Vec<YearRow>), CliError> {
    let pricing = scenario.pricing.as_ref().ok_or_else(|| {
        CliError::input(format!(
            "error: scenario {:?} has no [cost]; expected one: `mrsim annual` prices the years with it",
            scenario.name
        ))
    })?;
    if years == 0 {
        return Err(CliError::input("error: --years 0; expected at least 1"));
    }
    if !scenario.world.actions.is_empty() {
        return Err(CliError::input(
            "error: action[0]: actions happen at fixed times, which a drawn outage does not; expected a \
             scenario without [[action]] (routing that reacts by itself: health checks, alarms)",
        ));
    }
    let annual = &pricing.annual;
    let drawn: Vec<Vec<Incident>> = (0..years).map(|y| draw_year(annual, seed0, y)).collect();
    let jobs: Vec<(usize, usize)> =
        drawn.iter().enumerate().flat_map(|(y, list)| (0..list.len()).map(move |i| (y, i))).collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()
        .map_err(|e| CliError::internal(format!("cannot start the thread pool: {e}")))?;
    let quiet_scenario = incident_scenario(scenario, annual, None);
    let quiet_seed = Seed(seed0.stream("annual/quiet").next_u64());
    let (quiet, measured) = pool.install(|| {
        rayon::join(
            || measure(&quiet_scenario, quiet_seed, "the quiet run"),
            || {
                jobs.par_iter()
                    .map(|&(y, i)| {
                        let incident = drawn[y][i];
                        let s = incident_scenario(scenario, annual, Some(incident.duration));
                        measure(&s, incident.seed, &format!("year {y}, outage {i} ({})", incident.duration))
                    })
                    .collect::<Vec<_>>()
            },
        )
    });
    let quiet = quiet?;
    let quiet_share = if quiet.hours > 0.0 { quiet.downtime.downtime_hours / quiet.hours } else { 0.0 };
    let quiet_usd_per_hour = if quiet.hours > 0.0 { quiet.downtime.usd / quiet.hours } else { 0.0 };
    let mut by_year: Vec<Vec<Measured>> = vec![Vec::new(); years as usize];
    for (&(y, _), m) in jobs.iter().zip(measured) {
        by_year[y].push(m?);
    }
    let quiet_hours = quiet.hours;
    let quiet = Quiet { failed_share: quiet_share, usd_per_hour: quiet_usd_per_hour };
    let rows: Vec<YearRow> = by_year
        .iter()
        .enumerate()
        .map(|(y, runs)| {
            let mut row = combine(runs, &quiet, HOURS_PER_YEAR);
            row.year = y as u32;
            row.seed = format!("{:#x}", seed0.stream(&format!("annual/{y}")).next_u64());
            row.outage_hours = drawn[y].iter().fold(0.0, |sum, i| sum + i.duration.as_secs_f64() / 3600.0);
            row
        })
        .collect();
    let downtime: Vec<f64> = rows.iter().map(|r| r.downtime_hours).collect();
    let usd: Vec<f64> = rows.iter().map(|r| r.usd).collect();
    let downtime_hours = spread(&downtime);
    let report = AnnualReport {
        scenario: scenario.name.clone(),
        scenario_hash: format!("{:#018x}", sim_core::rng::fnv1a64(scenario.source.as_bytes())),
        seed0: seed0.to_string(),
        overrides: scenario.overrides.clone(),
        years,
        region: scenario.world.topology.name(annual.region).to_string(),
        region_outages_per_year: annual.region_outages_per_year,
        warm_up_s: annual.warm_up.as_secs_f64(),
        drain_s: annual.drain.as_secs_f64(),
        quiet_run_hours: quiet_hours,
        quiet_failed_share: quiet_share,
        quiet_usd_per_hour,
        outages: rows.iter().map(|r| u64::from(r.outages)).sum(),
        availability: 1.0 - downtime_hours.mean / HOURS_PER_YEAR,
        downtime_hours,
        usd_per_year: spread(&usd),
        usd_per_year_ci95: crate::sweep::stats::mean_ci95(&usd).1,
    };
    Ok((report, rows))
}

/// years.csv: one row per year, in year order.
pub fn years_csv(rows: &[YearRow]) -> Result<Vec<u8>, CliError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.serialize(r).map_err(|e| CliError::internal(e.to_string()))?;
    }
    w.into_inner().map_err(|e| CliError::internal(e.to_string()))
}

/// The files of the out folder: annual.json and years.csv.
pub fn files(report: &AnnualReport, rows: &[YearRow]) -> Result<Vec<(&'static str, Vec<u8>)>, CliError> {
    let mut json = serde_json::to_vec_pretty(report).map_err(|e| CliError::internal(e.to_string()))?;
    json.push(b'\n');
    Ok(vec![("annual.json", json), ("years.csv", years_csv(rows)?)])
}

/// The terminal summary.
pub fn terminal_text(r: &AnnualReport) -> String {
    let d = &r.downtime_hours;
    let u = &r.usd_per_year;
    let ci = r.usd_per_year_ci95.map_or("n/a".to_string(), |c| format!("{c:.0}"));
    format!(
        "{}: {} simulated years from seed0 {}, {} outages of {} ({} a year on average)\n  \
         downtime hours a year  mean {:.3}  p50 {:.3}  p90 {:.3}  p99 {:.3}  max {:.3}\n  \
         availability           {:.5}%\n  \
         downtime cost USD/year mean {:.0} +/- {ci} (95% CI)  p50 {:.0}  p90 {:.0}  p99 {:.0}\n",
        r.scenario,
        r.years,
        r.seed0,
        r.outages,
        r.region,
        r.region_outages_per_year,
        d.mean,
        d.p50,
        d.p90,
        d.p99,
        d.max,
        r.availability * 100.0,
        u.mean,
        u.p50,
        u.p90,
        u.p99,
    )
}

/// `mrsim annual`.
pub fn execute(args: &AnnualArgs) -> Result<String, CliError> {
    let overrides = crate::check::parse_overrides(&args.set)?;
    let scenario = crate::check::load_with(&args.scenario, &overrides)?;
    eprint!("{}", scenario.warnings);
    if args.threads == Some(0) {
        return Err(CliError::input("error: --threads must be at least 1"));
    }
    let seed0 = args.seed0.or(scenario.seed).unwrap_or(DEFAULT_SEED);
    let out = args.out.clone().unwrap_or_else(|| Path::new("out").join(format!("{}-annual", scenario.name)));
    crate::output::check_replaceable("--out", &out, &crate::output::named(&["annual.json", "years.csv"]))
        .map_err(|e| CliError::input(format!("error: {e}")))?;
    let (report, rows) = simulate(&scenario, args.years, seed0, args.threads)?;
    crate::output::write_folder(&out, &files(&report, &rows)?).map_err(CliError::output)?;
    let mut text = terminal_text(&report);
    text.push_str(&format!(
        "  wrote                  {}, {}\n",
        out.join("annual.json").display(),
        out.join("years.csv").display()
    ));
    Ok(text)
}

#[cfg(test)]
mod tests;
