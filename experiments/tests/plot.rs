//! `mrsim plot` as a user runs it, with assert_cmd: the figures of a small run folder and a small
//! sweep folder, their bytes the same on a second plot, and the errors for folders and files that
//! are not what a figure needs (exit code 2, the file, the line and what was expected, nothing
//! written). Also the histograms.csv `mrsim run` writes for the CDFs.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use assert_cmd::Command;

fn mrsim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mrsim"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("plot-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

fn skeleton() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/skeleton.toml").display().to_string()
}

/// The skeleton cut to 40 s with us-east-1 out from 10 s to 25 s: a run folder made once for
/// every test (tests copy it before changing it).
fn run_folder() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = scratch("run-folder").join("run");
        mrsim()
            .args(["run", &skeleton(), "--out", dir.to_str().unwrap()])
            .args(["--set", "scenario.duration=40s", "--set", "fault[0].start=10s", "--set", "fault[0].end=25s"])
            .assert()
            .success();
        dir
    })
}

/// A 3 x 2 grid of the skeleton cut to 15 s without its fault, 2 seeds per point.
fn sweep_folder() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = scratch("sweep-folder").join("sweep");
        mrsim()
            .args(["sweep", &skeleton(), "--seeds", "2", "--out", dir.to_str().unwrap()])
            .args(["--set", "scenario.duration=15s", "--set", "fault=[]"])
            .args(["--grid", "population[0].rate=50,100,200", "--grid", "store[0].replication_delay=20ms,1s"])
            .assert()
            .success();
        dir
    })
}

/// Every file under `dir`, by name, sorted.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut all: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap())
        .map(|e| (e.file_name().to_string_lossy().to_string(), std::fs::read(e.path()).unwrap()))
        .collect();
    all.sort();
    all
}

fn copy_folder(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// Runs `mrsim plot` expecting bad input: exit 2, and returns stderr.
fn plot_fails(args: &[&str]) -> String {
    let output = mrsim().arg("plot").args(args).assert().code(2).get_output().clone();
    text(&output.stderr)
}

#[test]
fn a_run_folder_gives_four_figures_in_both_formats_with_the_same_bytes_twice() {
    let scratch = scratch("run-twice");
    let (a, b) = (scratch.join("a"), scratch.join("b"));
    for out in [&a, &b] {
        let o =
            mrsim().args(["plot", run_folder().to_str().unwrap(), "--out", out.to_str().unwrap()]).assert().success();
        assert!(text(&o.get_output().stdout).contains("(run folder): 8 files"), "{}", text(&o.get_output().stdout));
    }
    let (first, second) = (files(&a), files(&b));
    let names: Vec<&str> = first.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "client-outage-cdf.png",
            "client-outage-cdf.svg",
            "failover-timeline.png",
            "failover-timeline.svg",
            "latency-cdf.png",
            "latency-cdf.svg",
            "staleness-cdf.png",
            "staleness-cdf.svg"
        ]
    );
    assert!(first == second, "a second plot of the same folder wrote other bytes");
    for (name, bytes) in &first {
        if name.ends_with(".png") {
            assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{name} is not a PNG");
        } else {
            assert!(bytes.starts_with(b"<svg"), "{name} is not an SVG");
        }
    }
    let svg = |name: &str| text(&first.iter().find(|(n, _)| n == name).unwrap().1);
    let timeline = svg("failover-timeline.svg");
    // A legend label longer than the column wraps at a space: the fault's label spans two rows.
    for needle in
        ["skeleton (seed 0x2a): failover timeline", "fault: region outage", "us-east-1", "us-west-2 operations"]
    {
        assert!(timeline.contains(needle), "the timeline lacks {needle:?}");
    }
    let outages = svg("client-outage-cdf.svg");
    assert!(outages.contains("fault 0: region_outage us-east-1 (n = "), "one line for the fault");
    assert!(svg("latency-cdf.svg").contains("reads (n = "));
    // The default folder is DIR/plots, beside the run's own plots/timeline.svg, which is kept.
    let copy = scratch.join("copy");
    copy_folder(run_folder(), &copy);
    std::fs::create_dir_all(copy.join("plots")).unwrap();
    std::fs::write(copy.join("plots/timeline.svg"), "kept").unwrap();
    mrsim().args(["plot", copy.to_str().unwrap(), "--format", "svg"]).assert().success();
    let written = files(&copy.join("plots"));
    assert_eq!(written.len(), 5, "four SVGs and the run's own timeline");
    assert_eq!(written.iter().find(|(n, _)| n == "timeline.svg").unwrap().1, b"kept");
    assert_eq!(written.iter().find(|(n, _)| n == "latency-cdf.svg").unwrap().1, svg("latency-cdf.svg").into_bytes());
}

#[test]
fn a_sweep_folder_gives_line_charts_and_heatmaps_with_the_same_bytes_twice() {
    let scratch = scratch("sweep-twice");
    let (a, b) = (scratch.join("a"), scratch.join("b"));
    for out in [&a, &b] {
        mrsim()
            .args(["plot", sweep_folder().to_str().unwrap(), "--out", out.to_str().unwrap(), "--format", "both"])
            .assert()
            .success();
    }
    let (first, second) = (files(&a), files(&b));
    assert!(first == second, "a second plot of the same folder wrote other bytes");
    // Six default metrics, each a line chart and (two axes) a heatmap, in two formats.
    assert_eq!(first.len(), 6 * 2 * 2, "{:?}", first.iter().map(|f| &f.0).collect::<Vec<_>>());
    let svg = |name: &str| text(&first.iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("{name}")).1);
    let chart = svg("sweep-reads_stale_fraction.svg");
    assert!(chart.contains("skeleton: reads_stale_fraction against population[0].rate"), "title");
    for line in [
        // A line is named by the axis's last path segment; the notes give the whole path.
        "replication_delay=20ms",
        "replication_delay=1s",
        "replication_delay: store[0].replication_delay",
        "mean over 2 seeds per point",
        "band: 95% CI (Student t)",
    ] {
        assert!(chart.contains(&format!(">\n{line}\n</text>")), "the chart lacks {line:?}");
    }
    let heatmap = svg("heatmap-reads_stale_fraction.svg");
    assert!(heatmap.contains(">\n1s\n</text>") && heatmap.contains(">\n200\n</text>"), "categories on both axes");
    // --metric chooses; --format png writes PNGs only.
    let c = scratch.join("chosen");
    mrsim()
        .args(["plot", sweep_folder().to_str().unwrap(), "--out", c.to_str().unwrap(), "--format", "png"])
        .args(["--metric", "writes_lost_last_writer_wins", "--metric", "divergent_keys"])
        .assert()
        .success();
    let names: Vec<String> = files(&c).into_iter().map(|f| f.0).collect();
    assert_eq!(
        names,
        [
            "heatmap-divergent_keys.png",
            "heatmap-writes_lost_last_writer_wins.png",
            "sweep-divergent_keys.png",
            "sweep-writes_lost_last_writer_wins.png"
        ]
    );
}

#[test]
fn a_one_axis_sweep_draws_one_line_and_no_heatmap() {
    let dir = scratch("one-axis");
    let out = dir.join("sweep");
    mrsim()
        .args(["sweep", &skeleton(), "--seeds", "1", "--out", out.to_str().unwrap()])
        .args([
            "--set",
            "scenario.duration=10s",
            "--set",
            "fault=[]",
            "--grid",
            "store[0].replication_delay=exp(mean=1s),20ms",
        ])
        .assert()
        .success();
    mrsim().args(["plot", out.to_str().unwrap(), "--format", "svg", "--metric", "reads_stale"]).assert().success();
    let written = files(&out.join("plots"));
    assert_eq!(written.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(), ["sweep-reads_stale.svg"]);
    let svg = text(&written[0].1);
    assert!(svg.contains(">\nexp(mean=1s)\n</text>"), "a categorical axis labels its values");
    assert!(svg.contains(">\none seed: no confidence interval\n</text>"));
}

#[test]
fn a_folder_of_neither_kind_or_no_folder_is_bad_input() {
    let dir = scratch("neither");
    std::fs::write(dir.join("notes.txt"), "x").unwrap();
    let err = plot_fails(&[dir.to_str().unwrap()]);
    assert!(err.contains("neither a run folder") && err.contains("found notes.txt"), "{err}");
    let err = plot_fails(&[dir.join("absent").to_str().unwrap()]);
    assert!(err.contains("no such folder"), "{err}");
    assert!(!dir.join("plots").exists(), "nothing is written");
}

#[test]
fn a_corrupt_or_missing_csv_names_the_file_the_line_and_what_was_expected() {
    let dir = scratch("corrupt");
    // A bad number in timeseries.csv (data row 3 is line 4).
    let bad_number = dir.join("bad-number");
    copy_folder(run_folder(), &bad_number);
    let csv = std::fs::read_to_string(bad_number.join("timeseries.csv")).unwrap();
    let mut lines: Vec<String> = csv.lines().map(str::to_string).collect();
    let mut cells: Vec<String> = lines[3].split(',').map(str::to_string).collect();
    cells[2] = "lots".into();
    lines[3] = cells.join(",");
    std::fs::write(bad_number.join("timeseries.csv"), lines.join("\n") + "\n").unwrap();
    let err = plot_fails(&[bad_number.to_str().unwrap()]);
    assert!(err.contains("timeseries.csv:4: column `requests`: found `lots`; expected a finite number"), "{err}");
    assert!(!bad_number.join("plots").exists(), "nothing is written when one figure cannot be drawn");
    // A row with a missing field in events.csv.
    let short_row = dir.join("short-row");
    copy_folder(run_folder(), &short_row);
    let events = std::fs::read_to_string(short_row.join("events.csv")).unwrap();
    std::fs::write(short_row.join("events.csv"), format!("{events}12.5,action\n")).unwrap();
    let line = events.lines().count() + 1;
    let err = plot_fails(&[short_row.to_str().unwrap()]);
    assert!(err.contains(&format!("events.csv:{line}: a row of 2 fields; expected 3")), "{err}");
    // A missing histograms.csv, and a bucket bound that is not a number.
    let missing = dir.join("missing");
    copy_folder(run_folder(), &missing);
    std::fs::remove_file(missing.join("histograms.csv")).unwrap();
    let err = plot_fails(&[missing.to_str().unwrap()]);
    assert!(err.contains("histograms.csv: missing; needed by the latency, staleness and client-outage CDFs"), "{err}");
    let bad_bound = dir.join("bad-bound");
    copy_folder(run_folder(), &bad_bound);
    std::fs::write(bad_bound.join("histograms.csv"), "metric,le,count\nlatency_ms.read,ten,3\n").unwrap();
    let err = plot_fails(&[bad_bound.to_str().unwrap()]);
    assert!(err.contains("histograms.csv:2: column `le`: found `ten`; expected a finite number"), "{err}");
    // A summary.json that is not JSON.
    let bad_json = dir.join("bad-json");
    copy_folder(run_folder(), &bad_json);
    std::fs::write(bad_json.join("summary.json"), "{\n  \"scenario\": \n").unwrap();
    let err = plot_fails(&[bad_json.to_str().unwrap()]);
    assert!(err.contains("summary.json:3:") && err.contains("not valid JSON"), "{err}");
    // A sweep's points.csv with a grid value the manifest does not list, and one without points.csv.
    let sweep = dir.join("sweep");
    copy_folder(sweep_folder(), &sweep);
    let points = std::fs::read_to_string(sweep.join("points.csv")).unwrap();
    std::fs::write(sweep.join("points.csv"), points.replacen(",50,20ms,", ",55,20ms,", 1)).unwrap();
    let err = plot_fails(&[sweep.to_str().unwrap()]);
    assert!(
        err.contains("points.csv:2: column `population[0].rate`: found `55`; expected one of the grid's values"),
        "{err}"
    );
    std::fs::remove_file(sweep.join("points.csv")).unwrap();
    let err = plot_fails(&[sweep.to_str().unwrap()]);
    assert!(err.contains("points.csv: missing"), "{err}");
}

#[test]
fn an_unknown_metric_or_a_metric_for_a_run_folder_is_bad_input() {
    let err = plot_fails(&[sweep_folder().to_str().unwrap(), "--metric", "stale", "--out", "/nonexistent/never"]);
    assert!(
        err.contains("--metric stale: not a metric of this sweep") && err.contains("reads_stale_fraction"),
        "{err}"
    );
    let err = plot_fails(&[run_folder().to_str().unwrap(), "--metric", "reads_stale"]);
    assert!(err.contains("is a run folder, whose figures are fixed"), "{err}");
    let err = plot_fails(&[sweep_folder().to_str().unwrap(), "--format", "gif"]);
    assert!(err.contains("gif"), "{err}");
}

#[test]
fn help_describes_every_option_and_figure() {
    let o = mrsim().args(["plot", "--help"]).assert().success();
    let help = text(&o.get_output().stdout);
    for needle in [
        "--out",
        "--format",
        "png",
        "svg",
        "both",
        "--metric",
        "failover-timeline",
        "client-outage-cdf",
        "heatmap-METRIC",
        "Exit codes",
    ] {
        assert!(help.contains(needle), "plot --help lacks {needle:?}:\n{help}");
    }
}

#[test]
fn histograms_csv_counts_add_up_to_the_summary() {
    let dir = run_folder();
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).expect("summary.json");
    let csv = std::fs::read_to_string(dir.join("histograms.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("metric,le,count"));
    let mut sums: std::collections::BTreeMap<String, u64> = Default::default();
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells.len(), 3, "{line}");
        assert!(cells[1] == "inf" || cells[1].parse::<f64>().is_ok_and(|x| x > 0.0), "{line}");
        *sums.entry(cells[0].to_string()).or_default() += cells[2].parse::<u64>().unwrap();
    }
    let count = |pointer: &str| summary.pointer(pointer).and_then(serde_json::Value::as_u64).unwrap();
    assert_eq!(sums["latency_ms.read"], count("/latency_ms/read/count"));
    assert_eq!(sums["latency_ms.write"], count("/latency_ms/write/count"));
    assert_eq!(sums["operations.latency_ms"], count("/operations/latency_ms/count"));
    assert_eq!(sums["replication_lag_ms"], count("/replication_lag_ms/count"));
    assert_eq!(sums.get("reads.staleness_ms").copied().unwrap_or(0), count("/reads/staleness_ms/count"));
    let clients = count("/faults/0/failover/client_outage_s/clients");
    let unrecovered = count("/faults/0/failover/client_outage_s/unrecovered");
    assert!(clients > unrecovered, "the outage left clients failing, and some recovered");
    assert_eq!(sums["faults.0.failover.client_outage_s"], clients - unrecovered, "the outages that ended");
    // The manifest lists it like every other file.
    let manifest = std::fs::read_to_string(dir.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"histograms.csv\""), "{manifest}");
}
