//! A sweep's progress on stderr: a line rewritten in place on a terminal, or a plain line every few
//! seconds of wall time when stderr is a file or a CI log. Reads only counters the runs bump, so it
//! never touches what a run computes.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How often the line is redrawn on a terminal, and printed anew elsewhere.
const TERMINAL_EVERY: Duration = Duration::from_millis(250);
const PLAIN_EVERY: Duration = Duration::from_secs(5);

/// Reports `finished` out of `total` until `done` is set.
pub fn report(finished: &AtomicUsize, total: usize, done: &AtomicBool) {
    let terminal = std::io::stderr().is_terminal();
    let every = if terminal { TERMINAL_EVERY } else { PLAIN_EVERY };
    let started = Instant::now();
    let mut last = Instant::now();
    let mut drew = false;
    while !done.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(50));
        if last.elapsed() < every {
            continue;
        }
        last = Instant::now();
        let text = line(finished.load(Ordering::Relaxed), total, started.elapsed());
        let mut err = std::io::stderr().lock();
        let _ = if terminal { write!(err, "\r{text}\x1b[K") } else { writeln!(err, "{text}") };
        let _ = err.flush();
        drew = true;
    }
    if terminal && drew {
        let _ =
            write!(std::io::stderr(), "\r{}\x1b[K\n", line(finished.load(Ordering::Relaxed), total, started.elapsed()));
    }
}

/// `sweep: 12/40 runs, 3.1 runs/s, ETA 9s`.
pub fn line(finished: usize, total: usize, elapsed: Duration) -> String {
    let seconds = elapsed.as_secs_f64();
    let rate = if seconds > 0.0 { finished as f64 / seconds } else { 0.0 };
    let eta = match rate > 0.0 {
        true => format!("{:.0}s", (total - finished.min(total)) as f64 / rate),
        false => "-".to_string(),
    };
    format!("sweep: {finished}/{total} runs, {rate:.1} runs/s, ETA {eta}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_line_has_count_rate_and_eta() {
        let text = super::line(12, 40, std::time::Duration::from_secs(4));
        assert_eq!(text, "sweep: 12/40 runs, 3.0 runs/s, ETA 9s");
    }
}
