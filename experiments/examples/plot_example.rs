//! Renders a sample two-panel fault figure to `<output-dir>/plot-example.svg` and `.png`, for eyeballing
//! the layout after a change to `experiments::plot`. Usage: `cargo run -p experiments --example plot_example
//! -- /tmp`.

use std::path::PathBuf;

use experiments::plot::{Band, Figure, Line, Panel, render_png, render_svg};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let output_dir: PathBuf = std::env::args_os().nth(1).ok_or("usage: plot_example <output-dir>")?.into();
    let seconds: Vec<f64> = (0..=240).map(|i| f64::from(i) * 0.5).collect();
    let latency_ms = |base: f64| -> Vec<(f64, f64)> {
        seconds
            .iter()
            .map(|&t| {
                (
                    t,
                    if (40.0..70.0).contains(&t) {
                        base * 4.0 + (t * 1.3).sin() * 5.0
                    } else {
                        base + (t * 0.3).sin() * 2.0
                    },
                )
            })
            .collect()
    };
    let fig = Figure {
        title: "Region outage: eu-west-1 lost for 30 s".to_string(),
        x_label: "simulated time (s)".to_string(),
        panels: vec![
            Panel {
                title: "Client latency".to_string(),
                y_label: "p99 latency (ms)".to_string(),
                lines: vec![
                    Line { label: "us-east-1 p99".to_string(), points: latency_ms(20.0) },
                    Line { label: "eu-west-1 p99".to_string(), points: latency_ms(35.0) },
                ],
            },
            Panel {
                title: "Replication".to_string(),
                y_label: "lag (s)".to_string(),
                lines: vec![Line {
                    label: "replication lag".to_string(),
                    points: seconds
                        .iter()
                        .map(|&t| {
                            (
                                t,
                                if t < 40.0 {
                                    0.1
                                } else if t < 70.0 {
                                    (t - 40.0) * 0.5
                                } else {
                                    (15.0 - (t - 70.0)).max(0.1)
                                },
                            )
                        })
                        .collect(),
                }],
            },
        ],
        bands: vec![Band { label: "fault: eu-west-1 down".to_string(), start_s: 40.0, end_s: 70.0 }],
    };
    // A plain write is fine for an example; mrsim itself writes figures atomically.
    std::fs::write(output_dir.join("plot-example.svg"), render_svg(&fig)?)?;
    std::fs::write(output_dir.join("plot-example.png"), render_png(&fig)?)?;
    Ok(())
}
