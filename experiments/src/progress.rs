//! Progress of long work (sweeps, reproduce, shrink) on stderr, never stdout, so what a command
//! prints and writes stays byte-identical with or without it. On a terminal: an `indicatif` bar
//! with count, rate and ETA, redrawn in place. Elsewhere (a file, a CI log): a plain line every
//! few seconds of wall time, then one at the end, so logs stay short and readable. It only counts
//! what the caller reports; it never touches what a run computes.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How often a plain line is printed when stderr is not a terminal.
const PLAIN_EVERY: Duration = Duration::from_secs(5);

/// A count of finished items out of a known total; safe to bump from many threads.
pub struct Progress {
    what: String,
    unit: &'static str,
    total: u64,
    finished: AtomicU64,
    started: Instant,
    mode: Mode,
}

enum Mode {
    /// A bar redrawn in place on stderr.
    Bar(ProgressBar),
    /// Plain lines to stderr, the last one printed at this instant.
    Plain(Mutex<Instant>),
    /// Nothing at all (the caller asked for quiet).
    Quiet,
}

impl Progress {
    /// Progress of `total` items called `unit` ("runs"), labelled `what` ("sweep"): a bar when stderr
    /// is a terminal, plain lines otherwise, nothing when `show` is false.
    pub fn new(what: &str, total: u64, unit: &'static str, show: bool) -> Progress {
        let mode = match (show, std::io::stderr().is_terminal()) {
            (false, _) => Mode::Quiet,
            (true, true) => Mode::Bar(bar(what, total, unit)),
            (true, false) => Mode::Plain(Mutex::new(Instant::now())),
        };
        Progress { what: what.to_string(), unit, total, finished: AtomicU64::new(0), started: Instant::now(), mode }
    }

    /// One more item finished.
    pub fn inc(&self) {
        let finished = self.finished.fetch_add(1, Ordering::Relaxed) + 1;
        match &self.mode {
            Mode::Bar(bar) => bar.inc(1),
            Mode::Plain(last) => {
                let mut last = last.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                if last.elapsed() >= PLAIN_EVERY {
                    *last = Instant::now();
                    self.print(finished);
                }
            }
            Mode::Quiet => {}
        }
    }

    /// The work is over (finished or stopped early): the bar is left showing its final count; a
    /// plain log gets a last line.
    pub fn finish(&self) {
        match &self.mode {
            Mode::Bar(bar) => bar.finish(),
            Mode::Plain(_) => self.print(self.finished.load(Ordering::Relaxed)),
            Mode::Quiet => {}
        }
    }

    fn print(&self, finished: u64) {
        let text = plain_line(&self.what, finished, self.total, self.unit, self.started.elapsed());
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{text}");
        let _ = err.flush();
    }
}

fn bar(what: &str, total: u64, unit: &str) -> ProgressBar {
    let template = format!("{{prefix}}: [{{bar:30}}] {{pos}}/{{len}} {unit}, {{per_sec}}, ETA {{eta}}");
    let style =
        ProgressStyle::with_template(&template).unwrap_or_else(|_| ProgressStyle::default_bar()).progress_chars("=> ");
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr()).with_style(style);
    bar.set_prefix(what.to_string());
    bar.enable_steady_tick(Duration::from_millis(250));
    bar
}

/// `sweep: 12/40 runs, 3.0 runs/s, ETA 9s`: what a log without a terminal shows.
pub fn plain_line(what: &str, finished: u64, total: u64, unit: &str, elapsed: Duration) -> String {
    let seconds = elapsed.as_secs_f64();
    let rate = if seconds > 0.0 { finished as f64 / seconds } else { 0.0 };
    let eta = match rate > 0.0 {
        true => format!("{:.0}s", total.saturating_sub(finished) as f64 / rate),
        false => "-".to_string(),
    };
    format!("{what}: {finished}/{total} {unit}, {rate:.1} {unit}/s, ETA {eta}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plain_line_has_count_rate_and_eta() {
        let text = plain_line("sweep", 12, 40, "runs", Duration::from_secs(4));
        assert_eq!(text, "sweep: 12/40 runs, 3.0 runs/s, ETA 9s");
        assert_eq!(
            plain_line("shrink", 0, 10, "candidates", Duration::ZERO),
            "shrink: 0/10 candidates, 0.0 candidates/s, ETA -"
        );
        // Past the total (a budget overrun) the ETA is zero, never a negative or wrapped number.
        assert_eq!(
            plain_line("reproduce", 12, 10, "runs", Duration::from_secs(2)),
            "reproduce: 12/10 runs, 6.0 runs/s, ETA 0s"
        );
    }

    #[test]
    fn counting_from_many_threads_loses_nothing() {
        let progress = Progress::new("test", 400, "items", false);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| (0..100).for_each(|_| progress.inc()));
            }
        });
        progress.finish();
        assert_eq!(progress.finished.load(Ordering::Relaxed), 400);
    }
}
