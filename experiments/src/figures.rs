//! `mrsim plot DIR`: figures from saved results, without running anything again.
//!
//! DIR is a run folder (`mrsim run --out`: summary.json, timeseries.csv, events.csv,
//! histograms.csv) or a sweep folder (`mrsim sweep --out` or `mrsim merge`: sweep.json,
//! points.csv); `run_folder` and `sweep_folder` say which figures each gives. Every figure is
//! rendered in memory first, as SVG, PNG or both, and only when all of them rendered are the files
//! written, each atomically, into DIR/plots/ (or `--out`). The names never collide with the
//! `plots/timeline.svg` that `mrsim run` writes itself.
//!
//! Guarantees: the same folder gives the same bytes (the embedded font and fixed palettes of
//! `plot`; no wall time, no path in any figure). A folder that is neither kind, a missing or
//! corrupt file (named with its line and what was expected) or an unknown `--metric` is bad input,
//! exit code 2, and nothing is written.

mod run_folder;
mod sweep_folder;
mod t_visibility;
pub mod table;

use std::path::{Path, PathBuf};

pub use sweep_folder::DEFAULT_METRICS;

use crate::plot::charts::Chart;
use crate::plot::heatmap::Heatmap;
use crate::plot::{self, Figure, Marker};
use crate::{CliError, artifacts, output};

/// Which files a figure is written as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Png,
    Svg,
    Both,
}

/// What `mrsim plot` was asked to do.
#[derive(Clone, Debug)]
pub struct PlotArgs {
    pub dir: PathBuf,
    pub out: Option<PathBuf>,
    pub format: Format,
    /// Sweep metrics to draw (points.csv column names without `_mean`); empty: the default set.
    pub metrics: Vec<String>,
}

/// A figure to render.
pub enum Drawing {
    Timeline(Figure, Vec<Marker>),
    Chart(Chart),
    Heatmap(Heatmap),
}

/// A figure and its file name without the extension.
pub struct Planned {
    pub name: String,
    pub drawing: Drawing,
}

/// The kind of results folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FolderKind {
    Run,
    Sweep,
}

/// Tells a run folder from a sweep folder by the files it holds.
pub fn detect(dir: &Path) -> Result<FolderKind, CliError> {
    if !dir.is_dir() {
        return Err(CliError::input(format!(
            "error: {}: no such folder; expected a run folder (from `mrsim run --out`) or a sweep folder (from \
             `mrsim sweep --out`)",
            dir.display()
        )));
    }
    if dir.join("sweep.json").is_file() {
        return Ok(FolderKind::Sweep);
    }
    if ["summary.json", "timeseries.csv"].iter().any(|f| dir.join(f).is_file()) {
        return Ok(FolderKind::Run);
    }
    let mut found: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().to_string()).collect())
        .unwrap_or_default();
    found.sort();
    let found = match found.len() {
        0 => "it is empty".to_string(),
        n if n > 8 => format!("found {} and {} more", found[..8].join(", "), n - 8),
        _ => format!("found {}", found.join(", ")),
    };
    Err(CliError::input(format!(
        "error: {}: neither a run folder (summary.json, timeseries.csv, events.csv, histograms.csv, from `mrsim run \
         --out`) nor a sweep folder (sweep.json, points.csv, from `mrsim sweep --out`); {found}",
        dir.display()
    )))
}

/// A rendered file: its name in the output folder, and its bytes.
pub type RenderedFile = (String, Vec<u8>);

/// Every figure of `dir`, rendered, in a fixed order.
pub fn render(dir: &Path, format: Format, metrics: &[String]) -> Result<(FolderKind, Vec<RenderedFile>), CliError> {
    let kind = detect(dir)?;
    let planned = match kind {
        FolderKind::Run if !metrics.is_empty() => {
            return Err(CliError::input(format!(
                "error: --metric chooses the metrics of a sweep folder; {} is a run folder, whose figures are fixed",
                dir.display()
            )));
        }
        FolderKind::Run => run_folder::drawings(dir)?,
        FolderKind::Sweep => sweep_folder::drawings(dir, metrics)?,
    };
    let failed = |name: &str, e: plot::PlotError| CliError::internal(format!("drawing {name} failed: {e}"));
    let mut files = Vec::new();
    for p in &planned {
        if matches!(format, Format::Svg | Format::Both) {
            let svg = match &p.drawing {
                Drawing::Timeline(f, m) => plot::render_svg_marked(f, m),
                Drawing::Chart(c) => plot::charts::render_svg(c),
                Drawing::Heatmap(h) => plot::heatmap::render_svg(h),
            };
            files.push((format!("{}.svg", p.name), svg.map_err(|e| failed(&p.name, e))?.into_bytes()));
        }
        if matches!(format, Format::Png | Format::Both) {
            let png = match &p.drawing {
                Drawing::Timeline(f, m) => plot::render_png_marked(f, m),
                Drawing::Chart(c) => plot::charts::render_png(c),
                Drawing::Heatmap(h) => plot::heatmap::render_png(h),
            };
            files.push((format!("{}.png", p.name), png.map_err(|e| failed(&p.name, e))?));
        }
    }
    Ok((kind, files))
}

/// `mrsim plot`.
pub fn execute(args: &PlotArgs) -> Result<String, CliError> {
    let (kind, files) = render(&args.dir, args.format, &args.metrics)?;
    let out = args.out.clone().unwrap_or_else(|| args.dir.join("plots"));
    for (name, bytes) in &files {
        output::write_atomic(&out.join(name), bytes).map_err(CliError::output)?;
    }
    // Figures drawn into a run folder join its manifest, which lists every file of the folder
    // (so a later run may replace the folder whole, figures included).
    if kind == FolderKind::Run
        && let Ok(inside) = out.strip_prefix(&args.dir)
    {
        let listed: Vec<_> =
            files.iter().map(|(name, bytes)| artifacts::listed(&inside.join(name).to_string_lossy(), bytes)).collect();
        artifacts::add_to_manifest(&args.dir, &listed).map_err(CliError::output)?;
    }
    let kind = match kind {
        FolderKind::Run => "run folder",
        FolderKind::Sweep => "sweep folder",
    };
    let mut text =
        format!("mrsim plot: {} ({kind}): {}\n", args.dir.display(), crate::count(files.len() as u64, "file", "files"));
    for (name, bytes) in &files {
        text.push_str(&format!("  wrote           {} ({} bytes)\n", out.join(name).display(), bytes.len()));
    }
    Ok(text)
}
