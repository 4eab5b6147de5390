//! Scenario files: TOML in, a validated [`Scenario`] out, or every problem found, each naming the
//! file, the line and column, what was found and what was expected.
//!
//! Parsing has two stages, as DESIGN.md asks: [`raw`] mirrors the file (unknown keys rejected,
//! durations and distributions parsed in place), then [`validate`] resolves names to ids, checks
//! ranges and cross-references, fills in documented defaults and builds the models' `WorldConfig`.
//! Before both, [`include`] merges the fragments a file names in `include = [...]` into one text.

mod expect;
pub mod include;
pub mod raw;
mod validate;
mod validate_alarms;
mod validate_clients;
mod validate_edge;
mod validate_faults;
mod validate_route53;
mod validate_routing;
mod validate_stores;

use std::fmt;
use std::path::{Path, PathBuf};

use models::config::WorldConfig;
use sim_core::Seed;

pub use expect::{Bound, Expect, Per};
pub use validate::validate;

/// A scenario ready to run.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    /// The seed the file suggests; the command line's `--seed` wins.
    pub seed: Option<Seed>,
    pub world: WorldConfig,
    /// The `[[expect]]` assertions, for `mrsim check`.
    pub expects: Vec<Expect>,
    /// The file's bytes, for hashing into the manifest.
    pub source: String,
    /// Files the scenario reads besides itself (trace replays), as the scenario names them, with
    /// their size and hash, for the manifest: a changed trace changes the run.
    pub inputs: Vec<InputFile>,
    /// The `--set path=value` changes applied to the file, as written, for the manifest.
    pub overrides: Vec<String>,
}

/// A file a scenario reads: its name as the scenario writes it, its size and FNV-1a 64 hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputFile {
    pub name: String,
    pub bytes: usize,
    pub fnv1a64: u64,
}

/// One problem in a scenario file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// 1-based line and column, when the place is known.
    pub line_column: Option<(usize, usize)>,
    /// The TOML path, e.g. `store[0].regions[1]`.
    pub path: String,
    pub message: String,
}

/// Why a scenario could not be loaded. Displays as one paragraph per problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    pub file: PathBuf,
    pub problems: Vec<Diagnostic>,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file.display();
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            match (p.line_column, p.path.is_empty()) {
                (Some((line, column)), true) => write!(f, "error: {file}:{line}:{column}: {}", p.message)?,
                (Some((line, column)), false) => write!(f, "error: {file}:{line}:{column}: {}: {}", p.path, p.message)?,
                (None, false) => write!(f, "error: {file}: {}: {}", p.path, p.message)?,
                (None, true) => write!(f, "error: {file}: {}", p.message)?,
            }
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioError {}

/// 1-based line and column of byte `offset` in `source`.
pub fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let before = &source[..offset.min(source.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Reads and validates the scenario at `path`.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let fail = |message: String| ScenarioError {
        file: path.to_path_buf(),
        problems: vec![Diagnostic { line_column: None, path: String::new(), message }],
    };
    let source = std::fs::read_to_string(path)
        .map_err(|e| fail(format!("cannot read the scenario file: {e}; expected a readable UTF-8 TOML file")))?;
    match include::resolve(path, &source)? {
        None => parse(path, &source),
        Some(text) => parse(&with_includes_path(path), &text).map_err(|e| include::locate_in_sources(path, &text, e)),
    }
}

/// The name a scenario with includes goes by in validation errors: `FILE (with includes)`, in the
/// same folder, since line numbers then refer to the merged text.
pub fn with_includes_path(path: &Path) -> PathBuf {
    match path.file_name() {
        Some(name) => path.with_file_name(format!("{} (with includes)", name.to_string_lossy())),
        None => path.to_path_buf(),
    }
}

/// Parses and validates scenario text; `path` only names the file in errors.
pub fn parse(path: &Path, source: &str) -> Result<Scenario, ScenarioError> {
    let raw: raw::RawScenario = toml::from_str(source).map_err(|e| {
        let line_column = e.span().map(|s| line_column(source, s.start));
        let message = e.message().trim_end().replace('\n', " ");
        ScenarioError {
            file: path.to_path_buf(),
            problems: vec![Diagnostic { line_column, path: String::new(), message }],
        }
    })?;
    let base_dir = path.parent().unwrap_or(Path::new("."));
    validate(&raw, source, base_dir).map_err(|problems| ScenarioError { file: path.to_path_buf(), problems })
}
