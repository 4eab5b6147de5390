//! mrsim's experiment layer: everything that does I/O or presentation on top of the simulation
//! (scenario files, runs, reports, figures, the command line). The simulation crates never depend
//! on this one; this is the only crate that reads files, writes files, parses arguments or reads
//! the wall clock.

pub mod annual;
pub mod artifacts;
pub mod bench;
pub mod check;
pub mod compare;
pub mod explain;
pub mod figures;
pub mod histograms;
pub mod history;
pub mod metrics_path;
pub mod output;
pub mod overrides;
pub mod plot;
pub mod pricing;
pub mod progress;
pub mod quantity;
pub mod report;
pub mod reproduce;
pub mod run;
pub mod scale;
pub mod scenario;
pub mod schema;
pub mod shrink;
#[cfg(feature = "strategies")]
pub mod strategies;
pub mod sweep;
pub mod t_visibility;
pub mod trace;

use std::fmt;

/// `n` followed by its noun, singular for exactly one: `count(1, "file", "files")` is "1 file",
/// `count(0, "file", "files")` "0 files".
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A command's failure: its message and the process exit code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CliError {
    /// 2: bad input (scenario, arguments); 1: the run failed (a limit, a divergence) or output
    /// could not be written; 3: a bug in mrsim.
    pub exit_code: u8,
    pub message: String,
    /// A one-line command that reproduces the failure.
    pub reproduce: Option<String>,
}

impl CliError {
    pub fn input(message: impl Into<String>) -> Self {
        CliError { exit_code: 2, message: message.into(), reproduce: None }
    }
    pub fn run(message: impl Into<String>) -> Self {
        CliError { exit_code: 1, message: format!("error: {}", message.into()), reproduce: None }
    }
    pub fn output(message: impl Into<String>) -> Self {
        CliError { exit_code: 1, message: format!("error: {}", message.into()), reproduce: None }
    }
    pub fn internal(message: impl Into<String>) -> Self {
        CliError {
            exit_code: 3,
            message: format!("internal error (a bug in mrsim): {}", message.into()),
            reproduce: None,
        }
    }
    /// Adds the reproduce line to failures of the run itself.
    pub fn with_reproduce(mut self, command: &str) -> Self {
        if self.exit_code == 1 {
            self.reproduce = Some(command.to_string());
        }
        self
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(r) = &self.reproduce {
            write!(f, "\n  reproduce: {r}")?;
        }
        Ok(())
    }
}

impl std::error::Error for CliError {}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_are_singular_for_one_only() {
        assert_eq!(super::count(1, "file", "files"), "1 file");
        assert_eq!(super::count(0, "file", "files"), "0 files");
        assert_eq!(super::count(2, "entry", "entries"), "2 entries");
    }
}
