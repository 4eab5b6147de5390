//! Heatmaps of a value over two categorical axes (a two-parameter sweep grid): one cell per
//! combination, coloured on the viridis scale between the smallest and largest value, with the
//! value (and its 95% confidence half-width, when given) printed in the cell. A cell without a
//! value is grey and marked "-". Same guarantees as the parent module: same heatmap, same bytes.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::charts::{cut, short_number};
use super::{FONT_FAMILY, PlotError, drawing_error, png_of, svg_of};

pub const WIDTH_PX: u32 = 1200;
pub const HEIGHT_PX: u32 = 720;
const SCALE_WIDTH_PX: u32 = 170;

/// Viridis at nine evenly spaced stops (matplotlib's), interpolated linearly between them.
const VIRIDIS: [(u8, u8, u8); 9] = [
    (0x44, 0x01, 0x54),
    (0x47, 0x2d, 0x7b),
    (0x3b, 0x52, 0x8b),
    (0x2c, 0x72, 0x8e),
    (0x21, 0x91, 0x8c),
    (0x28, 0xae, 0x80),
    (0x5e, 0xc9, 0x62),
    (0xad, 0xdc, 0x30),
    (0xfd, 0xe7, 0x25),
];

/// A cell's value and the half-width of its 95% confidence interval; None: no value.
pub type Cell = Option<(f64, Option<f64>)>;

/// A value per (x, y) category; `cells[y][x]` is (value, 95% CI half-width).
#[derive(Debug, Clone, PartialEq)]
pub struct Heatmap {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub x_categories: Vec<String>,
    pub y_categories: Vec<String>,
    pub cells: Vec<Vec<Cell>>,
    /// What the colour means, beside the scale.
    pub value_label: String,
}

pub fn render_svg(h: &Heatmap) -> Result<String, PlotError> {
    svg_of((WIDTH_PX, HEIGHT_PX), |root| draw(root, h))
}

pub fn render_png(h: &Heatmap) -> Result<Vec<u8>, PlotError> {
    png_of((WIDTH_PX, HEIGHT_PX), |root| draw(root, h))
}

/// The viridis colour at `t` in [0, 1] (clamped; NaN is the low end).
pub fn viridis(t: f64) -> RGBColor {
    let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
    let scaled = t * (VIRIDIS.len() - 1) as f64;
    let i = (scaled as usize).min(VIRIDIS.len() - 2);
    let f = scaled - i as f64;
    let mix = |a: u8, b: u8| libm::round(f64::from(a) + (f64::from(b) - f64::from(a)) * f) as u8;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

fn value_range(h: &Heatmap) -> (f64, f64) {
    let values = h.cells.iter().flatten().flatten().map(|c| c.0).filter(|v| v.is_finite());
    values
        .fold(None, |acc: Option<(f64, f64)>, v| Some(acc.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v)))))
        .unwrap_or((0.0, 1.0))
}

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, h: &Heatmap) -> Result<(), PlotError> {
    root.fill(&WHITE).map_err(drawing_error)?;
    let body = root.titled(&h.title, (FONT_FAMILY, 22)).map_err(drawing_error)?;
    let (width, _) = body.dim_in_pixel();
    let (plot_area, scale_area) = body.split_horizontally(width.saturating_sub(SCALE_WIDTH_PX));
    let (nx, ny) = (h.x_categories.len().max(1), h.y_categories.len().max(1));
    let mut chart = ChartBuilder::on(&plot_area)
        .margin(12)
        .x_label_area_size(50)
        .y_label_area_size(160)
        .build_cartesian_2d(-0.5..(nx as f64 - 0.5), -0.5..(ny as f64 - 0.5))
        .map_err(drawing_error)?;
    let category = |names: &[String], v: f64| {
        let i = libm::round(v);
        if (v - i).abs() < 1e-6 && i >= 0.0 {
            names.get(i as usize).map_or(String::new(), |n| cut(n, 22))
        } else {
            String::new()
        }
    };
    let x_text = |v: &f64| category(&h.x_categories, *v);
    let y_text = |v: &f64| category(&h.y_categories, *v);
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(&h.x_label)
        .y_desc(&h.y_label)
        .axis_desc_style((FONT_FAMILY, 16))
        .label_style((FONT_FAMILY, 13))
        .x_labels(nx.min(12))
        .y_labels(ny.min(12))
        .x_label_formatter(&x_text)
        .y_label_formatter(&y_text)
        .draw()
        .map_err(drawing_error)?;
    let (low, high) = value_range(h);
    let span = if high > low { high - low } else { 1.0 };
    let grey = RGBColor(0xDD, 0xDD, 0xDD);
    for (yi, row) in h.cells.iter().enumerate() {
        for (xi, cell) in row.iter().enumerate() {
            let (x, y) = (xi as f64, yi as f64);
            let corners = [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)];
            let (fill, text, dark) = match cell {
                Some((v, ci)) if v.is_finite() => {
                    let t = (v - low) / span;
                    let ci = ci.map_or(String::new(), |c| format!(" ± {}", short_number(c)));
                    (viridis(t), format!("{}{ci}", short_number(*v)), t < 0.6)
                }
                _ => (grey, "-".to_string(), false),
            };
            chart.draw_series(std::iter::once(Rectangle::new(corners, fill.filled()))).map_err(drawing_error)?;
            chart
                .draw_series(std::iter::once(Rectangle::new(corners, WHITE.stroke_width(2))))
                .map_err(drawing_error)?;
            let colour = if dark { WHITE } else { BLACK };
            let style = TextStyle::from((FONT_FAMILY, 15)).color(&colour).pos(Pos::new(HPos::Center, VPos::Center));
            chart.draw_series(std::iter::once(Text::new(text, (x, y), style))).map_err(drawing_error)?;
        }
    }
    draw_scale(&scale_area, h, low, high)
}

/// The colour scale: a vertical gradient from the largest value (top) to the smallest.
fn draw_scale<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    h: &Heatmap,
    low: f64,
    high: f64,
) -> Result<(), PlotError> {
    const TOP: i32 = 40;
    const STEPS: i32 = 60;
    const STEP_PX: i32 = 6;
    for i in 0..STEPS {
        let t = 1.0 - f64::from(i) / f64::from(STEPS - 1);
        let y = TOP + i * STEP_PX;
        area.draw(&Rectangle::new([(10, y), (40, y + STEP_PX)], viridis(t).filled())).map_err(drawing_error)?;
    }
    let style = TextStyle::from((FONT_FAMILY, 13)).pos(Pos::new(HPos::Left, VPos::Center));
    area.draw_text(&short_number(high), &style, (46, TOP)).map_err(drawing_error)?;
    area.draw_text(&short_number(low), &style, (46, TOP + STEPS * STEP_PX)).map_err(drawing_error)?;
    area.draw_text(&cut(&h.value_label, 24), &style, (10, TOP + STEPS * STEP_PX + 30)).map_err(drawing_error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> Heatmap {
        Heatmap {
            title: "stale fraction".into(),
            x_label: "population[0].rate".into(),
            y_label: "store[0].replication_delay".into(),
            x_categories: vec!["100".into(), "200".into()],
            y_categories: vec!["exp(mean=100ms)".into(), "exp(mean=2s)".into()],
            cells: vec![vec![Some((0.1, Some(0.01))), Some((0.2, None))], vec![None, Some((0.9, Some(0.05)))]],
            value_label: "reads_stale_fraction".into(),
        }
    }

    #[test]
    fn viridis_ends_and_middle() {
        assert_eq!(viridis(0.0), RGBColor(0x44, 0x01, 0x54));
        assert_eq!(viridis(1.0), RGBColor(0xfd, 0xe7, 0x25));
        assert_eq!(viridis(0.5), RGBColor(0x21, 0x91, 0x8c));
        assert_eq!(viridis(f64::NAN), viridis(0.0));
        assert_eq!(viridis(7.0), viridis(1.0));
    }

    #[test]
    fn cells_carry_their_values_and_output_is_repeatable() {
        let h = example();
        let svg = render_svg(&h).unwrap();
        for text in ["0.1 ± 0.01", "0.2", "0.9 ± 0.05", "-", "exp(mean=2s)", "stale fraction"] {
            assert!(svg.contains(&format!(">\n{text}\n</text>")), "SVG lacks {text:?}");
        }
        assert_eq!(svg, render_svg(&h).unwrap());
        assert_eq!(render_png(&h).unwrap(), render_png(&h).unwrap());
        let empty = Heatmap { cells: vec![], x_categories: vec![], y_categories: vec![], ..h };
        render_png(&empty).unwrap();
    }
}
