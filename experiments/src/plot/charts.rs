//! X-y charts: lines with optional confidence bands over a linear, log-10 or categorical x axis,
//! rendered to SVG text or PNG bytes in memory with the embedded font, palette and guarantees of
//! the parent module (same chart, same bytes; awkward data never panics).
//!
//! A log x axis is drawn by placing points at log10(x) (with `libm`, so the positions are the same
//! on every platform) and labelling the ticks with 10^tick; points with x <= 0 cannot be shown on
//! it and are dropped. A categorical axis places category i at x = i, labelled by its text.
//! Non-finite points break lines and bands, as in timelines.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::ticks;
use super::{FONT_FAMILY, PlotError, drawing_error, line_colour, padded_range, png_of, svg_of};

/// Chart width and height in pixels.
pub const WIDTH_PX: u32 = 1200;
pub const HEIGHT_PX: u32 = 640;
/// The legend column, right of the plotting area, wide enough for grid settings as labels.
const LEGEND_WIDTH_PX: u32 = 400;
/// Legend labels longer than this many characters wrap onto further rows, so they stay inside the figure.
const LEGEND_LABEL_CHARS: usize = 44;
const BAND_OPACITY: f64 = 0.2;

/// How x values are placed.
#[derive(Debug, Clone, PartialEq)]
pub enum XAxis {
    Linear,
    /// Logarithmic: x must be positive.
    Log10,
    /// Category i at x = i, labelled with its text.
    Categories(Vec<String>),
}

/// One line, with an optional band (x, low, high) around it: a confidence interval.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series {
    pub label: String,
    pub points: Vec<(f64, f64)>,
    pub band: Vec<(f64, f64, f64)>,
}

/// A chart: title, axes, lines, and an optional note printed under the legend.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub x_axis: XAxis,
    /// Fixed y range (a CDF: 0..1); None fits the data.
    pub y_range: Option<Range<f64>>,
    pub series: Vec<Series>,
    /// Lines of text under the legend (what the data leaves out, sample sizes).
    pub notes: Vec<String>,
}

/// Renders the chart as a standalone SVG document.
pub fn render_svg(chart: &Chart) -> Result<String, PlotError> {
    svg_of((WIDTH_PX, height_px(chart)), |root| draw(root, chart))
}

/// Renders the chart as an 8-bit RGB PNG.
pub fn render_png(chart: &Chart) -> Result<Vec<u8>, PlotError> {
    png_of((WIDTH_PX, height_px(chart)), |root| draw(root, chart))
}

const LEGEND_TOP_PX: i32 = 30;
const ROW_HEIGHT_PX: i32 = 22;
const LINE_HEIGHT_PX: i32 = 17;

/// The chart's height: HEIGHT_PX, or taller when the legend and notes need more rows, so a sweep
/// with many lines keeps every legend entry inside the figure.
fn height_px(chart: &Chart) -> u32 {
    let lines = |text: &str, width: usize| ticks::wrap(text, width).len() as i32;
    let legend: i32 =
        chart.series.iter().map(|s| (lines(&s.label, LEGEND_LABEL_CHARS) - 1) * LINE_HEIGHT_PX + ROW_HEIGHT_PX).sum();
    let notes: i32 = chart.notes.iter().map(|n| lines(n, LEGEND_LABEL_CHARS + 8) * LINE_HEIGHT_PX).sum();
    let needed = 40 + LEGEND_TOP_PX + legend + ROW_HEIGHT_PX / 2 + notes + 20;
    // Capped, so an absurd number of lines gives a clipped legend rather than a gigantic image.
    HEIGHT_PX.max(u32::try_from(needed).unwrap_or(HEIGHT_PX)).min(8 * HEIGHT_PX)
}

/// x as placed on the axis: log10 on a log axis (None for x <= 0 or not finite).
fn place_x(axis: &XAxis, x: f64) -> Option<f64> {
    match axis {
        XAxis::Log10 if x > 0.0 && x.is_finite() => Some(libm::log10(x)),
        XAxis::Log10 => None,
        _ => Some(x),
    }
}

/// The chart's points as placed, a non-finite or unplaceable point kept as a NaN gap.
fn placed(axis: &XAxis, points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    points.iter().map(|&(x, y)| (place_x(axis, x).unwrap_or(f64::NAN), y)).collect()
}

/// Runs of consecutive finite items.
fn runs<T: Copy>(items: &[T], finite: impl Fn(&T) -> bool) -> Vec<Vec<T>> {
    let mut out = vec![Vec::new()];
    for item in items {
        if finite(item) {
            out.last_mut().expect("never empty").push(*item);
        } else if !out.last().expect("never empty").is_empty() {
            out.push(Vec::new());
        }
    }
    out.retain(|r| !r.is_empty());
    out
}

/// A tick or cell value in at most three significant digits, without trailing zeros.
pub fn short_number(x: f64) -> String {
    if !x.is_finite() {
        return String::new();
    }
    if x == 0.0 {
        return "0".to_string();
    }
    let magnitude = x.abs();
    if !(1e-3..1e6).contains(&magnitude) {
        return format!("{x:.2e}");
    }
    let exponent = libm::floor(libm::log10(magnitude)) as i32;
    let decimals = (2 - exponent).clamp(0, 6) as usize;
    let text = format!("{x:.decimals$}");
    if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_string() } else { text }
}

/// `text` cut to `limit` characters, with an ellipsis when cut.
pub(crate) fn cut(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        text.to_string()
    } else {
        let kept: String = text.chars().take(limit.saturating_sub(1)).collect();
        format!("{kept}…")
    }
}

fn x_range(chart: &Chart) -> Range<f64> {
    match &chart.x_axis {
        XAxis::Categories(names) => -0.5..(names.len().max(1) as f64 - 0.5),
        axis => {
            let xs = chart.series.iter().flat_map(|s| {
                s.points.iter().map(|p| p.0).chain(s.band.iter().map(|b| b.0)).filter_map(|x| place_x(axis, x))
            });
            padded_range(xs, 0.02)
        }
    }
}

fn y_range(chart: &Chart) -> Range<f64> {
    if let Some(r) = &chart.y_range {
        return r.clone();
    }
    let ys =
        chart.series.iter().flat_map(|s| s.points.iter().map(|p| p.1).chain(s.band.iter().flat_map(|b| [b.1, b.2])));
    padded_range(ys, 0.05)
}

/// x ticks: 1-2-5 steps on a linear axis, decades (or 1-2-5 within few decades) on a log axis, one
/// per category (every other one past twelve).
fn x_ticks(axis: &XAxis, range: &Range<f64>) -> Vec<f64> {
    match axis {
        XAxis::Linear => ticks::linear(range),
        XAxis::Log10 => ticks::log10(range),
        XAxis::Categories(names) => {
            let every = names.len().div_ceil(12).max(1);
            (0..names.len()).step_by(every).map(|i| i as f64).collect()
        }
    }
}

/// y ticks at 1-2-5 steps; a CDF's fixed 0..1 range ticks every 0.1.
fn y_ticks(_chart: &Chart, range: &Range<f64>) -> Vec<f64> {
    ticks::linear(range)
}

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, c: &Chart) -> Result<(), PlotError> {
    root.fill(&WHITE).map_err(drawing_error)?;
    let body = root.titled(&c.title, (FONT_FAMILY, 22)).map_err(drawing_error)?;
    let (width, _) = body.dim_in_pixel();
    let (plot_area, legend_area) = body.split_horizontally(width.saturating_sub(LEGEND_WIDTH_PX));
    let (xr, yr) = (x_range(c), y_range(c));
    let mut chart = ChartBuilder::on(&plot_area)
        .margin(12)
        .x_label_area_size(50)
        .y_label_area_size(90)
        .build_cartesian_2d(
            ticks::Ticked::new(xr.clone(), x_ticks(&c.x_axis, &xr)),
            ticks::Ticked::new(yr.clone(), y_ticks(c, &yr)),
        )
        .map_err(drawing_error)?;
    let x_text = |v: &f64| -> String {
        match &c.x_axis {
            XAxis::Linear => short_number(*v),
            XAxis::Log10 => short_number(ticks::log10_value(*v)),
            XAxis::Categories(names) => {
                let i = libm::round(*v);
                if (v - i).abs() < 1e-6 && i >= 0.0 {
                    names.get(i as usize).map_or(String::new(), |n| cut(n, 24))
                } else {
                    String::new()
                }
            }
        }
    };
    let y_text = |v: &f64| short_number(*v);
    chart
        .configure_mesh()
        .x_desc(&c.x_label)
        .y_desc(&c.y_label)
        .axis_desc_style((FONT_FAMILY, 16))
        .label_style((FONT_FAMILY, 13))
        .x_label_formatter(&x_text)
        .y_label_formatter(&y_text)
        .draw()
        .map_err(drawing_error)?;
    // Bands under every line, so each line stays visible over the others' bands.
    for (index, s) in c.series.iter().enumerate() {
        let band: Vec<(f64, f64, f64)> =
            s.band.iter().map(|&(x, lo, hi)| (place_x(&c.x_axis, x).unwrap_or(f64::NAN), lo, hi)).collect();
        for run in runs(&band, |b| b.0.is_finite() && b.1.is_finite() && b.2.is_finite()) {
            let mut outline: Vec<(f64, f64)> = run.iter().map(|b| (b.0, b.2)).collect();
            outline.extend(run.iter().rev().map(|b| (b.0, b.1)));
            if run.len() == 1 {
                // One point: a vertical bar, so an interval of a single x still shows.
                let b = run[0];
                let style = line_colour(index).mix(0.6).stroke_width(3);
                chart.draw_series(LineSeries::new(vec![(b.0, b.1), (b.0, b.2)], style)).map_err(drawing_error)?;
                continue;
            }
            let fill = line_colour(index).mix(BAND_OPACITY).filled();
            chart.draw_series(std::iter::once(Polygon::new(outline, fill))).map_err(drawing_error)?;
        }
    }
    for (index, s) in c.series.iter().enumerate() {
        let colour = line_colour(index);
        let points = placed(&c.x_axis, &s.points);
        for run in runs(&points, |p| p.0.is_finite() && p.1.is_finite()) {
            chart.draw_series(LineSeries::new(run.clone(), colour.stroke_width(2))).map_err(drawing_error)?;
            if run.len() <= 40 {
                chart.draw_series(run.iter().map(|&p| Circle::new(p, 3, colour.filled()))).map_err(drawing_error)?;
            }
        }
    }
    draw_legend(&legend_area, c)
}

fn draw_legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, c: &Chart) -> Result<(), PlotError> {
    const SWATCH_PX: i32 = 24;
    let text_style = TextStyle::from((FONT_FAMILY, 14)).pos(Pos::new(HPos::Left, VPos::Center));
    let mut y = LEGEND_TOP_PX;
    for (index, s) in c.series.iter().enumerate() {
        if !s.band.is_empty() {
            let band =
                Rectangle::new([(8, y - 7), (8 + SWATCH_PX, y + 7)], line_colour(index).mix(BAND_OPACITY).filled());
            area.draw(&band).map_err(drawing_error)?;
        }
        let swatch = PathElement::new(vec![(8, y), (8 + SWATCH_PX, y)], line_colour(index).stroke_width(3));
        area.draw(&swatch).map_err(drawing_error)?;
        // A long label wraps onto the next rows instead of losing its end.
        for line in ticks::wrap(&s.label, LEGEND_LABEL_CHARS) {
            area.draw_text(&line, &text_style, (16 + SWATCH_PX, y)).map_err(drawing_error)?;
            y += LINE_HEIGHT_PX;
        }
        y += ROW_HEIGHT_PX - LINE_HEIGHT_PX;
    }
    y += ROW_HEIGHT_PX / 2;
    let note_style = TextStyle::from((FONT_FAMILY, 13)).pos(Pos::new(HPos::Left, VPos::Center));
    for note in &c.notes {
        for line in ticks::wrap(note, LEGEND_LABEL_CHARS + 8) {
            area.draw_text(&line, &note_style, (8, y)).map_err(drawing_error)?;
            y += LINE_HEIGHT_PX;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::rng::fnv1a64;

    fn example() -> Chart {
        Chart {
            title: "lost writes against the write rate".into(),
            x_label: "population[0].rate".into(),
            y_label: "writes_lost_last_writer_wins".into(),
            x_axis: XAxis::Linear,
            y_range: None,
            series: vec![
                Series {
                    label: "delay=100ms".into(),
                    points: vec![(100.0, 10.0), (200.0, 25.0), (400.0, 70.0)],
                    band: vec![(100.0, 8.0, 12.0), (200.0, 20.0, 30.0), (400.0, 60.0, 80.0)],
                },
                Series {
                    label: "delay=2s".into(),
                    points: vec![(100.0, 40.0), (200.0, f64::NAN), (400.0, 300.0)],
                    band: vec![(100.0, 35.0, 45.0), (400.0, f64::NAN, f64::NAN)],
                },
            ],
            notes: vec!["3 seeds per point".into()],
        }
    }

    #[test]
    fn same_chart_same_bytes_in_both_formats() {
        let c = example();
        assert_eq!(render_svg(&c).unwrap(), render_svg(&c).unwrap());
        let png = render_png(&c).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert_eq!(png, render_png(&c).unwrap());
        let svg = render_svg(&c).unwrap();
        for text in ["lost writes against the write rate", "delay=100ms", "3 seeds per point"] {
            assert!(svg.contains(&format!(">\n{text}\n</text>")), "SVG lacks {text:?}");
        }
    }

    #[test]
    fn output_is_pinned_across_processes() {
        // If this changes, look at the chart (`mrsim plot` on a sweep folder), then update it.
        let svg = render_svg(&example()).unwrap();
        let png = render_png(&example()).unwrap();
        assert_eq!(
            (fnv1a64(svg.as_bytes()), fnv1a64(&png)),
            (PINNED_SVG, PINNED_PNG),
            "chart output changed; lengths {} and {}",
            svg.len(),
            png.len()
        );
    }
    const PINNED_SVG: u64 = 0x46a4_9b4f_48b8_0555;
    const PINNED_PNG: u64 = 0x1d51_dd78_f41e_1f22;

    #[test]
    fn log_and_categorical_axes_and_awkward_data_render() {
        let log = Chart {
            x_axis: XAxis::Log10,
            y_range: Some(0.0..1.0),
            series: vec![Series {
                label: "cdf".into(),
                points: vec![(0.0, 0.0), (-1.0, 0.1), (0.5, 0.2), (10.0, 0.9), (1e4, 1.0)],
                band: vec![],
            }],
            ..example()
        };
        let svg = render_svg(&log).unwrap();
        assert!(svg.contains(">\n10\n</text>"), "a decade tick is labelled 10");
        let categories = Chart {
            x_axis: XAxis::Categories(vec!["exp(mean=100ms)".into(), "exp(mean=2s)".into()]),
            series: vec![Series {
                label: "one".into(),
                points: vec![(0.0, 1.0), (1.0, 2.0)],
                band: vec![(1.0, 1.5, 2.5)],
            }],
            ..example()
        };
        let svg = render_svg(&categories).unwrap();
        assert!(svg.contains(">\nexp(mean=2s)\n</text>"), "categories label the ticks");
        let empty = Chart { series: vec![], notes: vec![], ..example() };
        render_svg(&empty).unwrap();
        render_png(&Chart {
            series: vec![Series { label: "nan".into(), points: vec![(f64::NAN, 1.0)], band: vec![] }],
            ..log
        })
        .unwrap();
    }

    #[test]
    fn numbers_are_short() {
        assert_eq!(short_number(1.2589), "1.26");
        assert_eq!(short_number(125.89), "126");
        assert_eq!(short_number(0.0316), "0.0316");
        assert_eq!(short_number(1000.0), "1000");
        assert_eq!(short_number(0.5), "0.5");
        assert_eq!(short_number(0.0), "0");
        assert_eq!(short_number(2.5e7), "2.50e7");
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("abc", 4), "abc");
    }
}
