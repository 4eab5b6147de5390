//! Time-series figures: stacked panels that share one simulated-time x axis, with shaded intervals (faults)
//! on every panel, rendered to SVG text or PNG bytes in memory.
//!
//! This module owns the figure layout, the line palette and the embedded font. Its guarantees: the same
//! [`Figure`] gives byte-identical output on every call, in every process and on every machine with the same
//! dependency versions, because text is measured and rasterised with DejaVu Sans compiled into the binary
//! (no system font, fontconfig or freetype is ever consulted), colours come from a fixed palette chosen by
//! line index, and axis ranges are computed from the data alone. Rendering never panics on awkward data:
//! empty lines, a single point, constant or all-zero data and non-finite points (which are skipped) all give
//! a drawable figure. It never touches the file system; the caller writes the returned bytes.
//!
//! Moments (an action, a health verdict flipping, an alarm) can be drawn as [`Marker`]s, vertical
//! lines across every panel coloured by kind, with one legend entry per kind
//! ([`render_svg_marked`]); a figure without markers is drawn exactly as before. The submodules draw
//! other kinds of figure with the same font, palette and guarantees: `charts` (x-y charts with
//! confidence bands, linear or log x, categorical x) and `heatmap`.

pub mod charts;
pub mod heatmap;
pub mod ticks;

use std::fmt;
use std::ops::Range;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontStyle, register_font};

/// Figure width in pixels.
pub const WIDTH_PX: u32 = 1200;
/// Height of one panel in pixels; the figure grows with the number of panels.
pub const PANEL_HEIGHT_PX: u32 = 300;
/// Height of the figure title strip in pixels.
const TITLE_HEIGHT_PX: u32 = 50;
/// Width of the legend column to the right of each panel, so the legend never covers data.
const LEGEND_WIDTH_PX: u32 = 240;
/// Characters of a legend label per line at 14 px in the legend column; longer labels wrap.
const LEGEND_LABEL_CHARS: usize = 24;
/// Height of one line of legend text, and the gap between two legend entries, in pixels.
const LEGEND_LINE_PX: i32 = 17;
const LEGEND_GAP_PX: i32 = 5;

/// The only font family the module uses; plotters' axis labels default to it as well.
pub(crate) const FONT_FAMILY: &str = "sans-serif";
static DEJAVU_SANS_TTF: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");

/// Line colours by line index within a panel: the Okabe-Ito palette (distinguishable with the common
/// colour-vision deficiencies), minus its yellow, which is unreadable on white. Index wraps around.
pub(crate) const LINE_PALETTE: [RGBColor; 7] = [
    RGBColor(0x00, 0x72, 0xB2), // blue
    RGBColor(0xD5, 0x5E, 0x00), // vermillion
    RGBColor(0x00, 0x9E, 0x73), // bluish green
    RGBColor(0xCC, 0x79, 0xA7), // reddish purple
    RGBColor(0xE6, 0x9F, 0x00), // orange
    RGBColor(0x56, 0xB4, 0xE9), // sky blue
    RGBColor(0x00, 0x00, 0x00), // black
];

/// Band fills by band index: light, translucent, so lines stay readable on top of them.
const BAND_PALETTE: [RGBColor; 3] = [
    RGBColor(0xE0, 0x40, 0x40), // red
    RGBColor(0x80, 0x80, 0x80), // grey
    RGBColor(0xE0, 0xB0, 0x00), // amber
];
const BAND_OPACITY: f64 = 0.18;

/// Marker colours by kind index (order of first appearance): darker than the bands, distinct from
/// the first line colours.
const MARKER_PALETTE: [RGBColor; 6] = [
    RGBColor(0x6A, 0x3D, 0x9A), // purple
    RGBColor(0x33, 0xA0, 0x2C), // green
    RGBColor(0xB1, 0x59, 0x28), // brown
    RGBColor(0xE3, 0x1A, 0x1C), // red
    RGBColor(0x1F, 0x78, 0xB4), // dark blue
    RGBColor(0x99, 0x99, 0x99), // grey
];

/// A moment of simulated time (an action, a routing change), drawn as a vertical line on every panel.
/// Markers of the same `kind` share a colour and one legend entry, which `kind` labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    pub kind: String,
    pub at_s: f64,
}

/// One series on a panel. `points` are (simulated seconds, value) and are drawn in the given order;
/// a point whose coordinates are not finite (NaN) is a gap in the data, where the line is broken.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub label: String,
    pub points: Vec<(f64, f64)>,
}

/// A shaded interval of simulated time, such as a fault, drawn on every panel of the figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    pub label: String,
    pub start_s: f64,
    pub end_s: f64,
}

/// One chart in the stack, with its own y axis and legend.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    pub title: String,
    pub y_label: String,
    pub lines: Vec<Line>,
}

/// Panels stacked top to bottom, sharing the x axis (simulated seconds) and the bands.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub title: String,
    pub x_label: String,
    pub panels: Vec<Panel>,
    pub bands: Vec<Band>,
}

/// Why a figure could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlotError {
    /// The figure has no panel, so there is nothing to draw.
    NoPanels,
    /// The embedded font could not be parsed (the asset is corrupt).
    InvalidFont,
    /// plotters reported a drawing failure; the message is its own.
    Drawing(String),
    /// The PNG encoder failed; the message is its own.
    PngEncoding(String),
}

impl fmt::Display for PlotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlotError::NoPanels => write!(f, "figure has no panels to draw"),
            PlotError::InvalidFont => write!(f, "embedded DejaVu Sans font could not be parsed"),
            PlotError::Drawing(message) => write!(f, "drawing the figure failed: {message}"),
            PlotError::PngEncoding(message) => write!(f, "encoding the figure as PNG failed: {message}"),
        }
    }
}

impl std::error::Error for PlotError {}

/// Renders the figure as a standalone SVG document.
///
/// Text is written as SVG `<text>` elements, so the viewer picks the glyphs, but all layout (legend and
/// label placement) is measured with the embedded font and is therefore identical everywhere.
pub fn render_svg(fig: &Figure) -> Result<String, PlotError> {
    render_svg_marked(fig, &[])
}

/// Renders the figure as an 8-bit RGB PNG, text rasterised from the embedded font.
pub fn render_png(fig: &Figure) -> Result<Vec<u8>, PlotError> {
    render_png_marked(fig, &[])
}

/// As [`render_svg`], with `markers` drawn on every panel.
pub fn render_svg_marked(fig: &Figure, markers: &[Marker]) -> Result<String, PlotError> {
    let size = figure_size_px(fig)?;
    svg_of(size, |root| draw_figure(root, fig, markers))
}

/// As [`render_png`], with `markers` drawn on every panel.
pub fn render_png_marked(fig: &Figure, markers: &[Marker]) -> Result<Vec<u8>, PlotError> {
    let size = figure_size_px(fig)?;
    png_of(size, |root| draw_figure(root, fig, markers))
}

/// An SVG document of `size` drawn by `draw`, with the embedded font registered.
pub(crate) fn svg_of(
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), PlotError>,
) -> Result<String, PlotError> {
    register_embedded_font()?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        draw(&root)?;
        root.present().map_err(drawing_error)?;
    }
    Ok(svg)
}

/// An 8-bit RGB PNG of `size` drawn by `draw`, with the embedded font registered.
pub(crate) fn png_of(
    (width, height): (u32, u32),
    draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> Result<(), PlotError>,
) -> Result<Vec<u8>, PlotError> {
    register_embedded_font()?;
    let mut rgb = vec![0u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
        draw(&root)?;
        root.present().map_err(drawing_error)?;
    }
    encode_png(&rgb, width, height)
}

fn figure_size_px(fig: &Figure) -> Result<(u32, u32), PlotError> {
    if fig.panels.is_empty() {
        return Err(PlotError::NoPanels);
    }
    // Saturating: an absurd panel count must give a layout error from plotters, not an overflow panic.
    let panels = u32::try_from(fig.panels.len()).unwrap_or(u32::MAX);
    Ok((WIDTH_PX, TITLE_HEIGHT_PX.saturating_add(PANEL_HEIGHT_PX.saturating_mul(panels))))
}

/// Registers DejaVu Sans as "sans-serif" in plotters' process-wide font table, once. The outcome is
/// remembered so a corrupt asset is reported on every call instead of panicking. The table is global to the
/// process: nothing else in mrsim may register a "sans-serif" font, or figures would change.
pub(crate) fn register_embedded_font() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| register_font(FONT_FAMILY, FontStyle::Normal, DEJAVU_SANS_TTF).is_ok());
    if ok { Ok(()) } else { Err(PlotError::InvalidFont) }
}

pub(crate) fn drawing_error<E: std::error::Error + Send + Sync>(error: DrawingAreaErrorKind<E>) -> PlotError {
    PlotError::Drawing(error.to_string())
}

fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, PlotError> {
    let mut png_bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut png_bytes, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| PlotError::PngEncoding(e.to_string()))?;
    writer.write_image_data(rgb).map_err(|e| PlotError::PngEncoding(e.to_string()))?;
    writer.finish().map_err(|e| PlotError::PngEncoding(e.to_string()))?;
    Ok(png_bytes)
}

fn draw_figure<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    fig: &Figure,
    markers: &[Marker],
) -> Result<(), PlotError> {
    root.fill(&WHITE).map_err(drawing_error)?;
    let body = root.titled(&fig.title, (FONT_FAMILY, 26)).map_err(drawing_error)?;
    let x_range = x_range_of(fig, markers);
    let panel_areas = body.split_evenly((fig.panels.len(), 1));
    let last_index = fig.panels.len() - 1;
    let kinds = marker_kinds(markers);
    for (index, (panel, area)) in fig.panels.iter().zip(panel_areas.iter()).enumerate() {
        let x_label = if index == last_index { fig.x_label.as_str() } else { "" };
        draw_panel(area, panel, x_label, x_range.clone(), &fig.bands, (markers, &kinds))?;
    }
    Ok(())
}

/// The markers' kinds in order of first appearance, with how many markers each has.
fn marker_kinds(markers: &[Marker]) -> Vec<(&str, usize)> {
    let mut kinds: Vec<(&str, usize)> = Vec::new();
    for m in markers {
        match kinds.iter_mut().find(|(k, _)| *k == m.kind) {
            Some((_, n)) => *n += 1,
            None => kinds.push((m.kind.as_str(), 1)),
        }
    }
    kinds
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel,
    x_label: &str,
    x_range: Range<f64>,
    bands: &[Band],
    (markers, kinds): (&[Marker], &[(&str, usize)]),
) -> Result<(), PlotError> {
    let (width, _) = area.dim_in_pixel();
    let (chart_area, legend_area) = area.split_horizontally(width.saturating_sub(LEGEND_WIDTH_PX));
    let y_range = padded_range(panel.lines.iter().flat_map(|line| finite_points(line).map(|(_, y)| y)), 0.05);
    let mut chart = ChartBuilder::on(&chart_area)
        .caption(&panel.title, (FONT_FAMILY, 18))
        .margin(8)
        .x_label_area_size(40)
        .y_label_area_size(80)
        .build_cartesian_2d(
            ticks::Ticked::new(x_range.clone(), ticks::linear(&x_range)),
            ticks::Ticked::new(y_range.clone(), ticks::linear(&y_range)),
        )
        .map_err(drawing_error)?;
    // Ticks at 1-2-5 steps, labelled without trailing zeros ("350", not "350.0").
    let number = |v: &f64| charts::short_number(*v);
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(&panel.y_label)
        .axis_desc_style((FONT_FAMILY, 15))
        .label_style((FONT_FAMILY, 13))
        .x_label_formatter(&number)
        .y_label_formatter(&number)
        .draw()
        .map_err(drawing_error)?;

    // Bands go under the lines so the lines stay visible.
    for (index, band) in bands.iter().enumerate() {
        let Some((start_s, end_s)) = band_extent(band) else { continue };
        let corners = [(start_s, y_range.start), (end_s, y_range.end)];
        chart.draw_series([Rectangle::new(corners, band_colour(index).filled())]).map_err(drawing_error)?;
    }
    // Markers go over the bands and under the lines: thin, so the data stays readable.
    for m in markers.iter().filter(|m| m.at_s.is_finite()) {
        let kind = kinds.iter().position(|(k, _)| *k == m.kind).unwrap_or(0);
        let style = marker_colour(kind).mix(0.8).stroke_width(1);
        let segment = vec![(m.at_s, y_range.start), (m.at_s, y_range.end)];
        chart.draw_series(LineSeries::new(segment, style)).map_err(drawing_error)?;
    }
    for (index, line) in panel.lines.iter().enumerate() {
        let style = line_colour(index).stroke_width(2);
        for segment in segments(line) {
            chart.draw_series(LineSeries::new(segment, style)).map_err(drawing_error)?;
        }
    }
    draw_legend(&legend_area, panel, bands, kinds)
}

/// Draws the legend in its own column: one swatch and label per line, then one per band.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel,
    bands: &[Band],
    kinds: &[(&str, usize)],
) -> Result<(), PlotError> {
    const TOP_PX: i32 = 40;
    const SWATCH_PX: i32 = 24;
    let text_style = TextStyle::from((FONT_FAMILY, 14)).pos(Pos::new(HPos::Left, VPos::Center));
    // A label that does not fit the column continues on the next rows, so none is cut.
    let label = |text: &str, y: &mut i32| -> Result<(), PlotError> {
        let lines = ticks::wrap(text, LEGEND_LABEL_CHARS);
        for line in &lines {
            area.draw_text(line, &text_style, (16 + SWATCH_PX, *y)).map_err(drawing_error)?;
            *y += LEGEND_LINE_PX;
        }
        *y += LEGEND_GAP_PX;
        Ok(())
    };
    let mut y = TOP_PX;
    for (index, line) in panel.lines.iter().enumerate() {
        let swatch = PathElement::new(vec![(8, y), (8 + SWATCH_PX, y)], line_colour(index).stroke_width(3));
        area.draw(&swatch).map_err(drawing_error)?;
        label(&line.label, &mut y)?;
    }
    for (index, band) in bands.iter().enumerate() {
        let swatch = Rectangle::new([(8, y - 7), (8 + SWATCH_PX, y + 7)], band_colour(index).filled());
        area.draw(&swatch).map_err(drawing_error)?;
        label(&band.label, &mut y)?;
    }
    for (index, (kind, count)) in kinds.iter().enumerate() {
        let x = 8 + SWATCH_PX / 2;
        let swatch = PathElement::new(vec![(x, y - 8), (x, y + 8)], marker_colour(index).stroke_width(2));
        area.draw(&swatch).map_err(drawing_error)?;
        label(&format!("{kind} ({count})"), &mut y)?;
    }
    Ok(())
}

pub(crate) fn line_colour(index: usize) -> RGBColor {
    LINE_PALETTE[index % LINE_PALETTE.len()]
}

fn marker_colour(index: usize) -> RGBColor {
    MARKER_PALETTE[index % MARKER_PALETTE.len()]
}

fn band_colour(index: usize) -> RGBAColor {
    BAND_PALETTE[index % BAND_PALETTE.len()].mix(BAND_OPACITY)
}

/// The points of a line with both coordinates finite; NaN and infinite points are skipped, not drawn.
fn finite_points(line: &Line) -> impl Iterator<Item = (f64, f64)> + '_ {
    line.points.iter().copied().filter(|(x, y)| x.is_finite() && y.is_finite())
}

/// The runs of consecutive finite points: a point that is not finite marks a gap in the data, and
/// the line is broken there rather than drawn straight across it.
pub(crate) fn segments(line: &Line) -> Vec<Vec<(f64, f64)>> {
    let mut runs = vec![Vec::new()];
    for &(x, y) in &line.points {
        if x.is_finite() && y.is_finite() {
            runs.last_mut().expect("never empty").push((x, y));
        } else if !runs.last().expect("never empty").is_empty() {
            runs.push(Vec::new());
        }
    }
    runs.retain(|r| !r.is_empty());
    runs
}

/// A band's (start, end) in ascending order, or None if either end is not finite.
fn band_extent(band: &Band) -> Option<(f64, f64)> {
    if band.start_s.is_finite() && band.end_s.is_finite() {
        Some((band.start_s.min(band.end_s), band.start_s.max(band.end_s)))
    } else {
        None
    }
}

/// The shared x range: every finite point of every panel and every band, without padding, so the axis
/// starts and ends where the data does.
fn x_range_of(fig: &Figure, markers: &[Marker]) -> Range<f64> {
    let line_xs =
        fig.panels.iter().flat_map(|panel| panel.lines.iter()).flat_map(|line| finite_points(line).map(|(x, _)| x));
    let band_xs = fig.bands.iter().filter_map(band_extent).flat_map(|(start, end)| [start, end]);
    let marker_xs = markers.iter().map(|m| m.at_s);
    padded_range(line_xs.chain(band_xs).chain(marker_xs), 0.0)
}

/// The range spanning the finite values, widened by `pad_fraction` of its span on each side.
///
/// Degenerate inputs still give a usable, non-empty range: no values give 0..1; a single value (or all
/// equal, such as all zeros) gives that value +- max(10% of its magnitude, 1). Values are clamped to
/// +-1e300 first so the span itself can never overflow to infinity.
pub(crate) fn padded_range(values: impl Iterator<Item = f64>, pad_fraction: f64) -> Range<f64> {
    const LIMIT: f64 = 1e300;
    let mut bounds: Option<(f64, f64)> = None;
    for value in values.filter(|v| v.is_finite()).map(|v| v.clamp(-LIMIT, LIMIT)) {
        bounds = Some(match bounds {
            None => (value, value),
            Some((low, high)) => (low.min(value), high.max(value)),
        });
    }
    match bounds {
        None => 0.0..1.0,
        Some((low, high)) if low == high => {
            let half_width = (low.abs() * 0.1).max(1.0);
            (low - half_width)..(high + half_width)
        }
        Some((low, high)) => {
            let pad = (high - low) * pad_fraction;
            (low - pad)..(high + pad)
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_non_finite_point_breaks_the_line() {
        let line = Line {
            label: "gappy".into(),
            points: vec![(0.0, 1.0), (1.0, 2.0), (2.0, f64::NAN), (3.0, f64::NAN), (4.0, 5.0), (5.0, f64::INFINITY)],
        };
        assert_eq!(segments(&line), vec![vec![(0.0, 1.0), (1.0, 2.0)], vec![(4.0, 5.0)]]);
        assert!(segments(&Line { label: "empty".into(), points: vec![(0.0, f64::NAN)] }).is_empty());
    }

    use super::*;
    // FNV-1a fingerprints pin whole documents across processes without storing large golden files.
    use sim_core::rng::fnv1a64;

    fn example_figure() -> Figure {
        let seconds: Vec<f64> = (0..=120).map(f64::from).collect();
        let latency = |base: f64| -> Vec<(f64, f64)> {
            seconds
                .iter()
                .map(|&t| (t, if (40.0..70.0).contains(&t) { base * 4.0 } else { base + (t * 0.3).sin() }))
                .collect()
        };
        Figure {
            title: "Region outage: eu-west-1 lost for 30 s".to_string(),
            x_label: "simulated time (s)".to_string(),
            panels: vec![
                Panel {
                    title: "Client latency".to_string(),
                    y_label: "p99 latency (ms)".to_string(),
                    lines: vec![
                        Line { label: "us-east-1 p99".to_string(), points: latency(20.0) },
                        Line { label: "eu-west-1 p99".to_string(), points: latency(35.0) },
                    ],
                },
                Panel {
                    title: "Replication".to_string(),
                    y_label: "lag (s)".to_string(),
                    lines: vec![Line {
                        label: "replication lag".to_string(),
                        points: seconds
                            .iter()
                            .map(|&t| (t, if t < 40.0 { 0.1 } else { (t - 40.0).min(30.0) * 0.5 }))
                            .collect(),
                    }],
                },
            ],
            bands: vec![Band { label: "fault: eu-west-1 down".to_string(), start_s: 40.0, end_s: 70.0 }],
        }
    }

    #[test]
    fn svg_is_byte_identical_across_calls() {
        let fig = example_figure();
        let first = render_svg(&fig).expect("example figure renders");
        let second = render_svg(&fig).expect("example figure renders");
        assert!(first == second, "two renders of the same figure differ");
    }

    #[test]
    fn svg_contains_title_and_every_legend_label() {
        let fig = example_figure();
        let svg = render_svg(&fig).expect("example figure renders");
        assert!(svg.starts_with("<svg"), "output is not an SVG document");
        let mut expected = vec![fig.title.as_str(), fig.x_label.as_str()];
        for panel in &fig.panels {
            expected.extend([panel.title.as_str(), panel.y_label.as_str()]);
            expected.extend(panel.lines.iter().map(|line| line.label.as_str()));
        }
        expected.extend(fig.bands.iter().map(|band| band.label.as_str()));
        for text in expected {
            // plotters-svg writes text content on its own line between the tags.
            assert!(svg.contains(&format!(">\n{text}\n</text>")), "SVG lacks the text element {text:?}");
        }
    }

    #[test]
    fn output_is_pinned_across_processes() {
        // Fingerprints of the whole documents, so a run in another process (or on another machine) must
        // reproduce them exactly. If one changes, the layout code or a plotters, ab_glyph or png upgrade
        // changed the output: look at the new figure (any `mrsim run` writes one), then update the constant.
        let fig = example_figure();
        let svg = render_svg(&fig).expect("example figure renders");
        assert_eq!(fnv1a64(svg.as_bytes()), 0x8ee8_349b_8369_bc81, "SVG output changed; length {}", svg.len());
        let png = render_png(&fig).expect("example figure renders");
        assert_eq!(fnv1a64(&png), 0x4915_6119_5c8d_f46f, "PNG output changed; length {}", png.len());
    }

    #[test]
    fn png_is_byte_identical_across_calls_and_is_a_png() {
        let fig = example_figure();
        let first = render_png(&fig).expect("example figure renders");
        let second = render_png(&fig).expect("example figure renders");
        assert!(first.starts_with(b"\x89PNG\r\n\x1a\n"), "output lacks the PNG signature");
        assert!(first == second, "two renders of the same figure differ");
    }

    #[test]
    fn awkward_data_renders_without_panicking() {
        let line = |label: &str, points: Vec<(f64, f64)>| Line { label: label.to_string(), points };
        let fig = Figure {
            title: "awkward <data> & friends".to_string(),
            x_label: "s".to_string(),
            panels: vec![
                Panel { title: "empty".to_string(), y_label: "y".to_string(), lines: vec![line("empty", vec![])] },
                Panel { title: "no lines".to_string(), y_label: "y".to_string(), lines: vec![] },
                Panel {
                    title: "single point".to_string(),
                    y_label: "y".to_string(),
                    lines: vec![line("one", vec![(5.0, 3.0)])],
                },
                Panel {
                    title: "all zero".to_string(),
                    y_label: "y".to_string(),
                    lines: vec![line("zeros", vec![(0.0, 0.0), (1.0, 0.0), (2.0, 0.0)])],
                },
                Panel {
                    title: "non-finite".to_string(),
                    y_label: "y".to_string(),
                    lines: vec![line(
                        "nan",
                        vec![(f64::NAN, 1.0), (1.0, f64::NAN), (2.0, f64::INFINITY), (3.0, 2.0), (4.0, f64::MAX)],
                    )],
                },
            ],
            bands: vec![
                Band { label: "reversed".to_string(), start_s: 3.0, end_s: 1.0 },
                Band { label: "nan".to_string(), start_s: f64::NAN, end_s: 1.0 },
            ],
        };
        let svg = render_svg(&fig).expect("awkward figure renders");
        assert!(svg.contains("\nawkward &lt;data&gt; &amp; friends\n"), "title is not escaped as XML text");
        render_png(&fig).expect("awkward figure renders as PNG");

        let only_nan = Figure {
            panels: vec![Panel {
                title: "only nan".to_string(),
                y_label: "y".to_string(),
                lines: vec![line("nan", vec![(f64::NAN, f64::NAN)])],
            }],
            bands: vec![],
            ..fig
        };
        render_svg(&only_nan).expect("a figure with only NaN points renders");
    }

    #[test]
    fn figure_without_panels_is_an_error() {
        let fig = Figure { title: "t".to_string(), x_label: "s".to_string(), panels: vec![], bands: vec![] };
        assert_eq!(render_svg(&fig), Err(PlotError::NoPanels));
        assert_eq!(render_png(&fig), Err(PlotError::NoPanels));
    }

    #[test]
    fn padded_range_handles_degenerate_inputs() {
        assert_eq!(padded_range([].into_iter(), 0.05), 0.0..1.0);
        assert_eq!(padded_range([f64::NAN].into_iter(), 0.05), 0.0..1.0);
        assert_eq!(padded_range([0.0, 0.0].into_iter(), 0.05), -1.0..1.0);
        assert_eq!(padded_range([100.0].into_iter(), 0.05), 90.0..110.0);
        assert_eq!(padded_range([0.0, 10.0, f64::NAN].into_iter(), 0.1), -1.0..11.0);
        let huge = padded_range([-f64::MAX, f64::MAX].into_iter(), 0.05);
        assert!((huge.end - huge.start).is_finite(), "span overflowed: {huge:?}");
    }
}
