//! The run's files for people and for provenance, beside `summary.json` and `timeseries.csv`:
//! `summary.md` (markdown tables to paste into a design document), `events.csv` (the timeline of
//! faults and actions) and `manifest.json` (what produced the folder).
//!
//! Like the rest of a run's output these are pure functions of (scenario, seed, run): no wall
//! clock, no paths, no host names, so a results folder is byte-identical on every machine. The
//! manifest names the scenario by the FNV-1a hash of its bytes, not by where the file was.

use models::run::RunOutput;
use models::workload::arrivals::RateProfile;
use serde_json::json;
use sim_core::{Seed, SimTime};

use crate::report::{Percentiles, Summary, describe_fault};
use crate::scenario::Scenario;

/// The files a run folder's manifest.json lists, and the manifest itself, relative to `dir`: the
/// files mrsim wrote there (for [`crate::output::check_replaceable`]).
pub fn manifest_files(dir: &std::path::Path) -> Result<Vec<std::path::PathBuf>, String> {
    let path = dir.join("manifest.json");
    let text = std::fs::read_to_string(&path).map_err(|_| "no manifest.json of an mrsim run".to_string())?;
    let manifest: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("its manifest.json is not an mrsim manifest ({e})"))?;
    let files = manifest.get("files").and_then(|f| f.as_array()).ok_or("its manifest.json lists no files")?;
    let mut names = vec![std::path::PathBuf::from("manifest.json")];
    for f in files {
        let name = f.get("name").and_then(|n| n.as_str()).ok_or("its manifest.json has a file without a name")?;
        names.push(std::path::PathBuf::from(name));
    }
    Ok(names)
}

/// Adds `files` to the manifest.json of run folder `dir` (replacing entries of the same name),
/// rewritten atomically.
pub fn add_to_manifest(dir: &std::path::Path, files: &[Listed]) -> Result<(), String> {
    let path = dir.join("manifest.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut manifest: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{} is not an mrsim manifest: {e}", path.display()))?;
    let list = manifest
        .get_mut("files")
        .and_then(|f| f.as_array_mut())
        .ok_or_else(|| format!("{} lists no files", path.display()))?;
    for (name, bytes, fnv) in files {
        list.retain(|f| f.get("name").and_then(|n| n.as_str()) != Some(name.as_str()));
        list.push(json!({ "name": name, "bytes": bytes, "fnv1a64": format!("{fnv:#018x}") }));
    }
    let mut bytes = serde_json::to_vec_pretty(&manifest).expect("a JSON value always serialises");
    bytes.push(b'\n');
    crate::output::write_atomic(&path, &bytes)
}

/// A file as the manifest lists it: its name in the folder, its size and its FNV-1a hash.
pub type Listed = (String, u64, u64);

/// The manifest's entry for a file held in memory.
pub fn listed(name: &str, bytes: &[u8]) -> Listed {
    (name.to_string(), bytes.len() as u64, sim_core::rng::fnv1a64(bytes))
}

/// `manifest.json`: the mrsim version, the seed, the scenario's name and hash, and every other
/// file of the folder with its size and hash. `files` are the folder's other files, in order.
pub fn manifest_json(scenario: &Scenario, seed: Seed, files: &[Listed]) -> Vec<u8> {
    let hash = |bytes: &[u8]| format!("{:#018x}", sim_core::rng::fnv1a64(bytes));
    let listed: Vec<_> = files
        .iter()
        .map(|(name, bytes, fnv)| json!({ "name": name, "bytes": bytes, "fnv1a64": format!("{fnv:#018x}") }))
        .collect();
    let inputs: Vec<_> = scenario
        .inputs
        .iter()
        .map(|i| json!({ "name": i.name, "bytes": i.bytes, "fnv1a64": format!("{:#018x}", i.fnv1a64) }))
        .collect();
    let manifest = json!({
        "mrsim_version": env!("CARGO_PKG_VERSION"),
        "command": "run",
        "seed": seed.to_string(),
        "scenario": {
            "name": scenario.name,
            "fnv1a64": hash(scenario.source.as_bytes()),
            "file": "scenario.toml",
        },
        "arguments": { "set": scenario.overrides },
        "inputs": inputs,
        "files": listed,
    });
    let mut bytes = serde_json::to_vec_pretty(&manifest).expect("a JSON value always serialises");
    bytes.push(b'\n');
    bytes
}

/// The headers of an app tier's load, in the run's table and the per-fault one.
const LOAD_HEADERS: [&str; 5] =
    ["Utilisation (mean)", "Utilisation (max interval)", "Queue (max)", "Shed", "Abandoned"];

/// The cells under [`LOAD_HEADERS`].
fn load_cells(mean: f64, max_interval: f64, queue_max: u64, shed: u64, abandoned: u64) -> [String; 5] {
    [
        format!("{:.2}%", mean * 100.0),
        format!("{:.2}%", max_interval * 100.0),
        queue_max.to_string(),
        shed.to_string(),
        abandoned.to_string(),
    ]
}

/// One row of `events.csv`.
struct TimelineEvent {
    at: SimTime,
    kind: &'static str,
    what: String,
}

/// `events.csv`: `time_s,kind,what`, one row per fault start, fault heal, action, routing
/// change (health verdict, routing control, record change, traffic dial, alarm) and workload change
/// a rate profile schedules (a step, a ramp's start and end), ordered by
/// time, then kind, then the order the run recorded them.
pub fn events_csv(scenario: &Scenario, run: &RunOutput) -> Result<Vec<u8>, String> {
    let r = &run.recorder;
    // Clients stop sending at the end of the fault phase: later profile steps never happen.
    let end = SimTime::ZERO + scenario.world.duration;
    let mut events = Vec::new();
    for w in &r.faults {
        let kind = &run.faults[w.fault].kind;
        let what = format!("{} {}", kind.type_name(), describe_fault(kind, scenario));
        events.push(TimelineEvent { at: w.started, kind: "fault_started", what: what.clone() });
        if let Some(healed) = w.healed {
            events.push(TimelineEvent { at: healed, kind: "fault_healed", what });
        }
    }
    for a in &r.actions {
        let name = scenario.world.actions[a.action].kind.type_name();
        let what = match &a.outcome {
            Ok(detail) => format!("{name} succeeded: {}", crate::report::with_trigger(scenario, a, detail.clone())),
            Err(why) => format!("{name} FAILED: {}", crate::report::with_trigger(scenario, a, why.clone())),
        };
        events.push(TimelineEvent { at: a.at, kind: "action", what });
    }
    for e in &r.routing_events {
        events.push(TimelineEvent { at: e.at, kind: e.kind, what: e.what.clone() });
    }
    // Workload changes a rate profile schedules: each step after the start, a ramp's two ends.
    for p in &scenario.world.populations {
        let models::config::Arrivals::Open(profile) = &p.arrivals else { continue };
        let rate = |r: f64| format!("population {}: {r} requests/s", p.name);
        match profile {
            RateProfile::Steps(points) => {
                for &(at, r) in points.iter().filter(|(at, _)| *at > SimTime::ZERO && *at < end) {
                    events.push(TimelineEvent { at, kind: "workload", what: rate(r) });
                }
            }
            RateProfile::Ramp { from_rate, to_rate, start, end: ramp_end } => {
                let what = format!("population {}: ramp from {from_rate} to {to_rate} requests/s", p.name);
                if *start < end {
                    events.push(TimelineEvent { at: *start, kind: "workload", what: format!("{what} begins") });
                }
                if *ramp_end < end {
                    events.push(TimelineEvent { at: *ramp_end, kind: "workload", what: format!("{what} ends") });
                }
            }
            _ => {}
        }
    }
    // A stable sort keeps the recorded order among equal (time, kind).
    events.sort_by(|a, b| (a.at, a.kind).cmp(&(b.at, b.kind)));
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["time_s", "kind", "what"]).map_err(|e| e.to_string())?;
    for e in &events {
        w.write_record([e.at.as_secs_f64().to_string().as_str(), e.kind, e.what.as_str()])
            .map_err(|e| e.to_string())?;
    }
    w.into_inner().map_err(|e| e.to_string())
}

/// `conflicts.csv` (written when the scenario says `list_conflicts = true`): one row per write
/// that last-writer-wins dropped at some replica for a concurrent version that had not observed
/// it, and per acknowledged write lost to last-writer-wins, complete (never capped), sorted by the
/// time the conflict showed (the first drop, else the acknowledgement), then store, then write.
/// Columns: the store, key and write; the Region that took it and its last-writer-wins timestamp
/// (that Region's clock); when it was acknowledged (empty if never); where and when it was first
/// dropped and for which write (its Region and timestamp) — empty for a write lost only because
/// every write that observed it was dropped —; and what became of it (`lost_last_writer_wins`,
/// `survived` as an ancestor of the final version, `not_acknowledged`, `unsettled`, ...).
/// "Dropped" is when the loss at that replica became certain: a winner arrived, or the replica's
/// own later write replaced the item while the dropped write was still on its way there.
pub fn conflicts_csv(scenario: &Scenario, run: &RunOutput) -> Result<Vec<u8>, String> {
    let world = &scenario.world;
    let region = |r: models::ids::RegionId| world.topology.name(r).to_string();
    let secs = |t: SimTime| t.as_secs_f64().to_string();
    let stamp = |n: u64| SimTime::from_nanos(n).as_secs_f64().to_string();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "store",
        "key",
        "write",
        "region",
        "stamp_s",
        "acked_s",
        "dropped_at_s",
        "dropped_in",
        "winner_write",
        "winner_region",
        "winner_stamp_s",
        "outcome",
    ])
    .map_err(|e| e.to_string())?;
    for c in &run.recorder.conflict_list {
        let r = c.resolution;
        let row = [
            world.stores[c.store.index()].name.clone(),
            c.key.0.to_string(),
            c.write.0.to_string(),
            region(c.region),
            r.map_or(String::new(), |r| stamp(r.stamp_nanos)),
            c.acked_at.map_or(String::new(), secs),
            r.map_or(String::new(), |r| secs(r.at)),
            r.map_or(String::new(), |r| region(r.replica)),
            r.map_or(String::new(), |r| r.winner.0.to_string()),
            r.map_or(String::new(), |r| region(r.winner_region)),
            r.map_or(String::new(), |r| stamp(r.winner_stamp_nanos)),
            c.outcome.name().to_string(),
        ];
        w.write_record(&row).map_err(|e| e.to_string())?;
    }
    w.into_inner().map_err(|e| e.to_string())
}

/// A markdown table: a header row, an alignment row, the rows; `|` inside a cell is escaped.
fn table(header: &[&str], right_aligned: &[bool], rows: &[Vec<String>]) -> String {
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut t = format!("| {} |\n|", header.iter().map(|h| cell(h)).collect::<Vec<_>>().join(" | "));
    for i in 0..header.len() {
        t.push_str(if right_aligned.get(i).copied().unwrap_or(false) { "---:|" } else { "---|" });
    }
    t.push('\n');
    for row in rows {
        t.push_str(&format!("| {} |\n", row.iter().map(|c| cell(c)).collect::<Vec<_>>().join(" | ")));
    }
    t
}

/// A percentile or maximum in milliseconds, to the digits its histogram supports.
fn ms(v: Option<f64>) -> String {
    v.map_or("-".to_string(), crate::quantity::duration_ms)
}

/// Seconds to the millisecond: a design document needs no nanoseconds.
fn secs(v: Option<f64>) -> String {
    v.map_or("-".to_string(), |v| format!("{v:.3} s"))
}

fn pct(part: u64, whole: u64) -> String {
    if whole == 0 { "-".to_string() } else { format!("{:.2}%", part as f64 * 100.0 / whole as f64) }
}

fn percentiles(p: &Percentiles) -> String {
    format!("{} / {} / {}", ms(p.p50), ms(p.p99), ms(p.max))
}

/// `summary.md`: the summary as markdown tables, ready to paste into a design document.
pub fn summary_markdown(s: &Summary) -> String {
    let mut t = format!("# mrsim run: {} (seed {})\n\n", s.scenario, s.seed);
    t.push_str(&format!(
        "{} s fault phase, simulation ended at {} after {}; trace hash {}.\n\n",
        s.simulated.fault_phase_s,
        secs(Some(s.simulated.end_s)),
        crate::count(s.simulated.events, "event", "events"),
        s.simulated.trace_hash
    ));
    for w in &s.warnings {
        t.push_str(&format!("**Warning:** {w}.\n\n"));
    }
    t.push_str("## Headline\n\n");
    let o = &s.operations;
    let w = &s.writes;
    let r = &s.reads;
    let rows = vec![
        vec!["Operations started".into(), o.started.to_string()],
        vec!["Operations succeeded".into(), o.succeeded.to_string()],
        vec!["Operations failed".into(), format!("{} ({})", o.failed, pct(o.failed, o.succeeded + o.failed))],
        vec!["Retries".into(), o.retries.to_string()],
        vec!["Operation latency p50 / p99 / max".into(), percentiles(&o.latency_ms)],
        vec!["Writes acknowledged".into(), w.acknowledged.to_string()],
        vec!["Writes lost to last-writer-wins".into(), w.lost_last_writer_wins.to_string()],
        vec!["Writes lost to failover".into(), w.lost_failover.to_string()],
        vec!["Writes lost with a Region that never returned".into(), w.lost_region_never_returned.to_string()],
        vec!["Writes discarded somewhere by last-writer-wins".into(), w.discarded_by_last_writer_wins.to_string()],
        vec![
            "Writes conflicted (met a concurrent version at some replica)".into(),
            format!("{} ({})", w.conflicted, pct(w.conflicted, w.acknowledged)),
        ],
        vec![
            "Writes rejected for a conflict (MRSC ReplicatedWriteConflictException)".into(),
            w.rejected_conflict.to_string(),
        ],
        vec!["Shadowed S3 versions".into(), w.shadowed.to_string()],
        vec!["Duplicate writes (retries applied twice)".into(), o.duplicate_writes.to_string()],
        vec!["Reads succeeded".into(), r.succeeded.to_string()],
        vec!["Stale reads".into(), format!("{} ({})", r.stale, pct(r.stale, r.succeeded))],
        vec![
            "Stale reads by the store's own order (last-writer-wins timestamps; DynamoDB MREC only)".into(),
            format!("{} ({})", r.stale_by_store_order, pct(r.stale_by_store_order, r.succeeded)),
        ],
        vec!["Staleness p50 / p99 / max".into(), percentiles(&r.staleness_ms)],
        vec!["Read-your-writes violations".into(), r.read_your_writes_violations.to_string()],
        vec!["Monotonic-read violations".into(), r.monotonic_read_violations.to_string()],
        vec!["Read latency p50 / p99 / max".into(), percentiles(&s.latency_ms.read)],
        vec!["Write latency p50 / p99 / max".into(), percentiles(&s.latency_ms.write)],
        vec!["Replication lag p50 / p99 / max".into(), percentiles(&s.replication_lag_ms)],
        vec![
            "Replication messages lost in the network (each loss counted once; held and resent when the path opens)"
                .into(),
            s.replication_messages_lost.to_string(),
        ],
        vec![
            "Replication messages held or in flight at once, at most (sampled each metrics interval)".into(),
            s.replication_messages_pending_max.to_string(),
        ],
        vec!["Divergent keys at the end".into(), s.divergent_keys.to_string()],
    ];
    t.push_str(&table(&["Metric", "Value"], &[false, true], &rows));
    t.push_str(&format!("\n{}\n", crate::quantity::HISTOGRAM_NOTE));
    t.push_str(&stores_section(s));
    if s.cross_store.requests > 0 {
        let c = &s.cross_store;
        t.push_str("\n## Cross-store requests\n\n");
        let row = [c.requests, c.completed, c.partial_updates, c.repaired, c.unrepaired, c.partial_by_loss]
            .iter()
            .map(u64::to_string)
            .collect();
        t.push_str(&table(
            &["Requests", "Completed", "Partial updates", "Repaired", "Left partial", "Partial by a later loss"],
            &[true; 6],
            &[row],
        ));
    }
    if !s.rejections.is_empty() {
        t.push_str("\n## Rejections\n\n");
        let rows: Vec<_> = s.rejections.iter().map(|(k, v)| vec![k.clone(), v.to_string()]).collect();
        t.push_str(&table(&["Refusal", "Attempts"], &[false, true], &rows));
    }
    t.push_str(&timeline_sections(s));
    t
}

fn stores_section(s: &Summary) -> String {
    let mut t = "\n## Stores\n\n".to_string();
    let rows: Vec<Vec<String>> = s
        .stores
        .iter()
        .map(|st| {
            vec![
                st.name.clone(),
                st.store_type.clone(),
                st.writes_acknowledged.to_string(),
                format!("{} / {} / {}", st.lost_last_writer_wins, st.lost_failover, st.lost_region_never_returned),
                st.reads.to_string(),
                format!("{} ({})", st.stale_reads, pct(st.stale_reads, st.reads)),
                format!("{} ({} for a conflict)", st.rejected, st.rejected_conflict),
                format!("{} ({})", st.conflicted, pct(st.conflicted, st.writes_acknowledged)),
                st.shadowed.to_string(),
                st.divergent_keys.to_string(),
                st.write_unavailability_s.max.map_or("-".to_string(), crate::quantity::duration_s),
                format!("{} / {}", crate::count(st.rpo_writes, "write", "writes"), secs(Some(st.rpo_s))),
                format!("{} / {}", ms(st.replication_lag_ms.p50), ms(st.replication_lag_ms.p99)),
            ]
        })
        .collect();
    t.push_str(&table(
        &[
            "Store",
            "Type",
            "Writes acknowledged",
            "Lost (LWW / failover / Region gone)",
            "Reads",
            "Stale reads",
            "Rejected",
            "Conflicted writes",
            "Shadowed",
            "Divergent keys",
            "Writes unavailable (max)",
            "RPO",
            "Replication lag p50 / p99",
        ],
        &[false, false, true, true, true, true, true, true, true, true, true, true, true],
        &rows,
    ));
    t
}

fn timeline_sections(s: &Summary) -> String {
    let mut t = "\n## Aurora transitions\n\n".to_string();
    if s.transitions.is_empty() {
        t.push_str("None.\n");
    } else {
        let rows: Vec<_> = s
            .transitions
            .iter()
            .map(|tr| {
                vec![
                    tr.store.clone(),
                    tr.transition_type.clone(),
                    format!("{} -> {}", tr.from, tr.to),
                    format!("{} s", tr.started_s),
                    secs(tr.rto_s),
                    tr.rpo_writes.to_string(),
                    secs(tr.rpo_s),
                ]
            })
            .collect();
        t.push_str(&table(
            &["Store", "Transition", "Writer", "Started", "RTO (no writes)", "RPO writes", "RPO time"],
            &[false, false, false, true, true, true, true],
            &rows,
        ));
    }
    t.push_str("\n## App tiers\n\n");
    if s.app_tiers.is_empty() {
        t.push_str("Capacity not modelled in any Region.\n");
    } else {
        let rows: Vec<_> = s
            .app_tiers
            .iter()
            .map(|a| {
                let mut row = vec![a.region.clone(), a.servers_end.to_string()];
                row.extend(load_cells(
                    a.utilisation_mean,
                    a.utilisation_max_interval,
                    a.queue_length_max,
                    a.shed,
                    a.abandoned,
                ));
                row
            })
            .collect();
        t.push_str(&table(
            &[&["Region", "Servers at the end"][..], &LOAD_HEADERS].concat(),
            &[false, true, true, true, true, true, true],
            &rows,
        ));
    }
    t.push_str("\n## Faults\n\n");
    if s.faults.is_empty() {
        t.push_str("None.\n");
    } else {
        let rows: Vec<_> = s
            .faults
            .iter()
            .map(|f| {
                let healed = match (f.healed_s, f.scheduled_end_s) {
                    (Some(h), Some(scheduled)) => {
                        format!("cut at {h} s with the fault phase (scheduled {scheduled} s)")
                    }
                    (Some(h), None) => format!("{h} s"),
                    (None, _) => "never".to_string(),
                };
                vec![f.fault_type.clone(), f.target.clone(), format!("{} s", f.started_s), healed]
            })
            .collect();
        t.push_str(&table(&["Fault", "Target", "Started", "Healed"], &[false, false, true, true], &rows));
        t.push_str("\n### Failover timing\n\n");
        let secs = |v: Option<f64>, none: &str| v.map_or(none.to_string(), |v| format!("{v} s"));
        // Outages are a histogram's percentiles: the digits it supports.
        let outage = |v: Option<f64>| v.map_or("-".to_string(), crate::quantity::duration_s);
        let rows: Vec<_> = s
            .faults
            .iter()
            .map(|f| {
                let o = &f.failover;
                let (detected, converged, recovered, error_rate) = match o.routing_tier {
                    true => (
                        secs(o.detection_s, "never"),
                        secs(o.routing_convergence_s, "never"),
                        secs(o.recovery_s, "-"),
                        format!("{:.3}%", 100.0 * o.transition_error_rate),
                    ),
                    // Nothing routes: the transition is the whole fault.
                    false => (
                        "n/a (no routing tier)".to_string(),
                        "n/a (no routing tier)".to_string(),
                        "n/a".to_string(),
                        format!("{:.3}% (whole fault)", 100.0 * o.transition_error_rate),
                    ),
                };
                vec![
                    format!("{} {}", f.fault_type, f.target),
                    detected,
                    converged,
                    recovered,
                    error_rate,
                    outage(o.client_outage_s.p50),
                    outage(o.client_outage_s.p99),
                    outage(o.client_outage_s.max),
                    o.client_outage_s.unrecovered.to_string(),
                ]
            })
            .collect();
        t.push_str(&table(
            &[
                "Fault",
                "Detected",
                "Routing converged (99%)",
                "Recovered (after heal)",
                "Error rate in transition",
                "Client outage p50",
                "p99",
                "max",
                "Clients unrecovered",
            ],
            &[false, true, true, true, true, true, true, true, true],
            &rows,
        ));
        // The pooled outage mixes populations behind different routes; with several, each apart.
        if s.faults.iter().any(|f| f.failover.client_outage_s_by_population.len() > 1) {
            t.push_str("\n### Client outage by population\n\n");
            let rows: Vec<_> = s
                .faults
                .iter()
                .flat_map(|f| {
                    f.failover.client_outage_s_by_population.iter().map(move |p| {
                        let o = &p.outage_s;
                        vec![
                            format!("{} {}", f.fault_type, f.target),
                            p.name.clone(),
                            o.clients.to_string(),
                            outage(o.p50),
                            outage(o.p99),
                            outage(o.max),
                            o.unrecovered.to_string(),
                        ]
                    })
                })
                .collect();
            t.push_str(&table(
                &["Fault", "Population", "Clients with an outage", "p50", "p99", "max", "Unrecovered"],
                &[false, false, true, true, true, true, true],
                &rows,
            ));
        }
        if s.faults.iter().any(|f| !f.app_tiers.is_empty()) {
            t.push_str("\n### App tiers while each fault lasted\n\n");
            let rows: Vec<_> = s
                .faults
                .iter()
                .flat_map(|f| {
                    f.app_tiers.iter().map(move |a| {
                        let mut row = vec![format!("{} {}", f.fault_type, f.target), a.region.clone()];
                        let (mean, max) = (a.utilisation_mean, a.utilisation_max_interval);
                        row.extend(load_cells(mean, max, a.queue_length_max, a.shed, a.abandoned));
                        row
                    })
                })
                .collect();
            t.push_str(&table(
                &[&["Fault", "Region"][..], &LOAD_HEADERS].concat(),
                &[false, false, true, true, true, true, true],
                &rows,
            ));
        }
    }
    t.push_str("\n## Actions\n\n");
    if s.actions.is_empty() {
        t.push_str("None.\n");
    } else {
        let rows: Vec<_> = s
            .actions
            .iter()
            .map(|a| {
                let outcome = if a.succeeded { "succeeded" } else { "FAILED" };
                vec![a.action_type.clone(), format!("{} s", a.at_s), outcome.to_string(), a.detail.clone()]
            })
            .collect();
        t.push_str(&table(&["Action", "At", "Outcome", "Detail"], &[false, true, false, false], &rows));
    }
    if let Some(cost) = &s.cost {
        t.push_str(&cost_markdown(cost));
    }
    t
}

/// Dollars to the cent, with thousands separated: "$12,345.67".
fn usd(x: f64) -> String {
    let cents = (x * 100.0).round() as i64;
    let (sign, cents) = if cents < 0 { ("-", -cents) } else { ("", cents) };
    let whole = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}${grouped}.{:02}", cents % 100)
}

/// The `## Cost` section: the bill line by line, then what the failures cost.
fn cost_markdown(c: &crate::pricing::bill::CostRow) -> String {
    let i = &c.infrastructure;
    let mut t = "\n## Cost\n\n".to_string();
    t.push_str(&format!(
        "Infrastructure {} a month ({} per million operations): measured usage x {:.1} (730 hours over the \
         fault phase), priced at experiments/data/prices.csv and the scenario's [cost].\n\n",
        usd(i.usd_per_month),
        usd(i.usd_per_million_operations),
        i.month_scale
    ));
    let rows: Vec<_> = i
        .lines
        .iter()
        .map(|l| {
            vec![
                l.what.clone(),
                l.item.clone(),
                format!("{:.2}", l.quantity_per_month),
                l.unit_price_usd.to_string(),
                usd(l.usd_per_month),
            ]
        })
        .collect();
    t.push_str(&table(
        &["Line", "Item", "Quantity a month", "Unit price (USD)", "A month"],
        &[false, false, true, true, true],
        &rows,
    ));
    let d = &c.downtime;
    let mut rows = vec![
        vec!["Availability (operations)".into(), format!("{:.6}", d.availability)],
        vec!["Client-visible downtime".into(), format!("{:.4} h", d.downtime_hours)],
        vec!["Revenue lost".into(), usd(d.revenue_lost_usd)],
        vec!["SLA incidents".into(), format!("{} ({})", d.sla_incidents, usd(d.sla_penalties_usd))],
        vec!["Lost writes".into(), format!("{} ({})", d.lost_writes, usd(d.lost_writes_usd))],
        vec!["Downtime cost of the run".into(), usd(d.usd)],
    ];
    if let (Some(h), Some(a), Some(u), Some(total)) =
        (d.downtime_hours_per_year, d.availability_per_year, d.usd_per_year, d.total_usd_per_year)
    {
        rows.push(vec!["Downtime a year".into(), format!("{h:.4} h (availability {a:.6})")]);
        rows.push(vec!["Downtime cost a year".into(), usd(u)]);
        rows.push(vec!["Infrastructure a year + downtime a year".into(), usd(total)]);
    }
    t.push_str("\n### Downtime\n\n");
    t.push_str(&table(&["What", "Value"], &[false, true], &rows));
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_escape_pipes_and_align_numbers() {
        let t = table(&["a", "b"], &[false, true], &[vec!["x|y".into(), "1".into()]]);
        assert_eq!(t, "| a | b |\n|---|---:|\n| x\\|y | 1 |\n");
    }
}
