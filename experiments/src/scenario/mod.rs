//! Scenario files: TOML in, a validated [`Scenario`] out, or every problem found, each naming the
//! file, the line and column, what was found and what was expected.
//!
//! Parsing has two stages, as DESIGN.md asks: [`raw`] mirrors the file (unknown keys rejected,
//! durations and distributions parsed in place), then [`validate`] resolves names to ids, checks
//! ranges and cross-references, fills in documented defaults and builds the models' `WorldConfig`.
//! Before both, [`include`] merges the fragments a file names in `include = [...]` into one text.

mod applies;
pub mod cost;
mod expect;
pub mod include;
pub mod raw;
mod shared;
mod validate;
mod validate_alarms;
mod validate_clients;
mod validate_cost;
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
    /// What a run will cost, estimated (see [`cost`]); a run over the limits was refused.
    pub cost: cost::Estimate,
    /// The `[[expect]]` assertions, for `mrsim check`.
    pub expects: Vec<Expect>,
    /// `[cost]`: what the design costs in money (see [`crate::pricing`]); None without one.
    pub pricing: Option<crate::pricing::CostConfig>,
    /// The file's bytes, for hashing into the manifest.
    pub source: String,
    /// Files the scenario reads besides itself (trace replays), as the scenario names them, with
    /// their size and hash, for the manifest: a changed trace changes the run.
    pub inputs: Vec<InputFile>,
    /// The `--set path=value` changes applied to the file, as written, for the manifest.
    pub overrides: Vec<String>,
    /// What validation let through but a user should know (a fault the end of the fault phase
    /// cuts short), printed on stderr by the commands and repeated in the run's summary.
    pub warnings: Warnings,
    /// Each store's type as the file names it: `dynamodb_global_table (MREC)`,
    /// `dynamodb_global_table (MRSC)`, `quorum`, `aurora_global_database`, `s3_replication`.
    pub store_types: Vec<&'static str>,
}

/// Problems that do not stop a run, in the form of errors: one `warning: FILE:LINE:COLUMN: PATH:
/// MESSAGE` line each.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Warnings {
    pub file: PathBuf,
    pub list: Vec<Diagnostic>,
    /// Each warning as `PATH: MESSAGE`, as validation wrote it (without the file, or where a line
    /// of a merged scenario was written): for the run's summary, which names no paths.
    pub summary: Vec<String>,
}

impl Warnings {
    pub fn new(list: Vec<Diagnostic>) -> Warnings {
        let summary = list
            .iter()
            .map(|d| if d.path.is_empty() { d.message.clone() } else { format!("{}: {}", d.path, d.message) })
            .collect();
        Warnings { file: PathBuf::new(), list, summary }
    }
}

impl fmt::Display for Warnings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.list {
            write_diagnostic(f, "warning", &self.file, p)?;
            writeln!(f)?;
        }
        Ok(())
    }
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

/// At most this many problems are printed; the rest are counted (a generated file with thousands
/// of copies of one mistake needs its first few lines, not thousands).
pub const PROBLEMS_SHOWN: usize = 50;

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().take(PROBLEMS_SHOWN).enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write_diagnostic(f, "error", &self.file, p)?;
        }
        if self.problems.len() > PROBLEMS_SHOWN {
            let more = self.problems.len() - PROBLEMS_SHOWN;
            write!(f, "\nerror: {}: and {more} more problems, not shown", self.file.display())?;
        }
        Ok(())
    }
}

/// `KIND: FILE:LINE:COLUMN: PATH: MESSAGE`, leaving out what is not known.
fn write_diagnostic(f: &mut fmt::Formatter<'_>, kind: &str, file: &Path, p: &Diagnostic) -> fmt::Result {
    let file = file.display();
    match (p.line_column, p.path.is_empty()) {
        (Some((line, column)), true) => write!(f, "{kind}: {file}:{line}:{column}: {}", p.message),
        (Some((line, column)), false) => write!(f, "{kind}: {file}:{line}:{column}: {}: {}", p.path, p.message),
        (None, false) => write!(f, "{kind}: {file}: {}: {}", p.path, p.message),
        (None, true) => write!(f, "{kind}: {file}: {}", p.message),
    }
}

impl std::error::Error for ScenarioError {}

/// The path of the key whose value is at byte `offset` of `source` (`population[0].rate`), when the
/// text is well-formed TOML (a value of the wrong type, not a syntax error).
pub fn key_path_at(source: &str, offset: usize) -> Option<String> {
    use toml::de::{DeTable, DeValue};
    fn within(table: &DeTable<'_>, offset: usize, path: String) -> Option<String> {
        for (key, value) in table {
            let name = if path.is_empty() { key.get_ref().to_string() } else { format!("{path}.{}", key.get_ref()) };
            if key.span().contains(&offset) {
                return Some(name);
            }
            if value.span().contains(&offset) || matches!(value.get_ref(), DeValue::Table(_) | DeValue::Array(_)) {
                if let Some(found) = inside(value.get_ref(), offset, name.clone()) {
                    return Some(found);
                }
                if value.span().contains(&offset) {
                    return Some(name);
                }
            }
        }
        None
    }
    fn inside(value: &DeValue<'_>, offset: usize, path: String) -> Option<String> {
        match value {
            DeValue::Table(t) => within(t, offset, path),
            DeValue::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
                let at = format!("{path}[{i}]");
                match item.get_ref() {
                    DeValue::Table(_) | DeValue::Array(_) => inside(item.get_ref(), offset, at.clone())
                        .or_else(|| item.span().contains(&offset).then_some(at)),
                    _ => item.span().contains(&offset).then_some(at),
                }
            }),
            _ => None,
        }
    }
    let table = DeTable::parse(source).ok()?;
    within(table.get_ref(), offset, String::new())
}

/// The TOML parser's message, with what was expected where it does not say.
fn parser_message(message: &str) -> String {
    let message = message.trim_end().replace('\n', " ");
    if message == "duplicate key" {
        return "duplicate key; expected each key once in its table".to_string();
    }
    if message.contains("max recursion depth") {
        return "arrays or tables nested too deeply; expected the few levels a scenario has".to_string();
    }
    if let Some(rest) = message.strip_prefix("invalid type: integer `")
        && let Some((digits, tail)) = rest.split_once('`')
        && tail.starts_with(" as i128")
    {
        return format!(
            "integer {digits} is too large; expected a whole number between -{} and {}",
            i64::MAX,
            i64::MAX
        );
    }
    message
}

/// The key path of the line holding byte `offset` of `source`, from the table headers above it and
/// the key the line sets: for text that does not parse, where [`key_path_at`] cannot say.
/// `[[population]]` headers are counted (`population[1].rate`), and a nested array of tables is
/// counted within its parent (`population[1].operation[0].keys`).
fn key_path_by_lines(source: &str, offset: usize) -> Option<String> {
    let offset = offset.min(source.len());
    let line_start = source[..offset].rfind('\n').map_or(0, |i| i + 1);
    let mut counts: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    let mut table = String::new();
    for line in source[..line_start].lines() {
        let line = line.trim();
        let (name, array) = match (line.strip_prefix("[["), line.strip_prefix('[')) {
            (Some(rest), _) => (rest.split("]]").next().unwrap_or("").trim(), true),
            (None, Some(rest)) => (rest.split(']').next().unwrap_or("").trim(), false),
            _ => continue,
        };
        if array {
            *counts.entry(name.to_string()).or_insert(0) += 1;
            let nested = format!("{name}.");
            counts.retain(|k, _| !k.starts_with(&nested));
        }
        let mut path = String::new();
        let mut prefix = String::new();
        for part in name.split('.') {
            prefix = if prefix.is_empty() { part.to_string() } else { format!("{prefix}.{part}") };
            path = if path.is_empty() { part.to_string() } else { format!("{path}.{part}") };
            if let Some(n) = counts.get(&prefix) {
                path = format!("{path}[{}]", n - 1);
            }
        }
        table = path;
    }
    let line = source[line_start..].lines().next().unwrap_or("");
    let key = line.split_once('=').map(|(k, _)| k.trim().trim_matches('"').to_string()).filter(|k| !k.is_empty());
    match key {
        None => (!table.is_empty()).then_some(table),
        Some(key) if table.is_empty() => Some(key),
        Some(key) => Some(format!("{table}.{key}")),
    }
}

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
        None => {
            if let Some(e) = fragment_error(path, &source) {
                return Err(e);
            }
            parse(path, &source)
        }
        Some(text) => {
            if let Some(e) = fragment_error(path, &text) {
                return Err(e);
            }
            let mut s =
                parse(&with_includes_path(path), &text).map_err(|e| include::locate_in_sources(path, &text, e))?;
            s.warnings = include::locate_warnings(path, &text, s.warnings);
            Ok(s)
        }
    }
}

/// An error when `text` (the scenario file `path`, includes merged) has no `[scenario]` table with
/// a `name`: the file is then most likely an include fragment, which serde would only call
/// "missing field `name`". Names the scenarios in the fragment's folder that include it, so the
/// user knows what to validate instead. `None` for a scenario with a name, and for text that is not
/// TOML (the parser reports that with its place).
pub fn fragment_error(path: &Path, text: &str) -> Option<ScenarioError> {
    let table: toml::Table = text.parse().ok()?;
    let header = table.get("scenario").and_then(toml::Value::as_table);
    if header.is_some_and(|h| h.contains_key("name")) {
        return None;
    }
    let found = match header {
        Some(_) => "`[scenario]` has no `name`",
        None => "there is no `[scenario]` table",
    };
    let includers = include::includers(path);
    let instead = match includers.as_slice() {
        [] => {
            let name = path.file_name().map_or(String::new(), |n| n.to_string_lossy().to_string());
            format!("validate or run a scenario that includes it (`include = [{name:?}]`)")
        }
        [one] => format!("validate or run the scenario that includes it: {}", one.display()),
        many => {
            let names: Vec<String> = many.iter().map(|p| p.display().to_string()).collect();
            format!("validate or run a scenario that includes it: {}", names.join(", "))
        }
    };
    let message = format!(
        "{found}, so this looks like an include fragment rather than a scenario; {instead}; a scenario of \
         its own needs `name = \"...\"` under `[scenario]`"
    );
    Some(ScenarioError {
        file: path.to_path_buf(),
        problems: vec![Diagnostic { line_column: None, path: "scenario.name".to_string(), message }],
    })
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
        let message = parser_message(e.message());
        // A value of the wrong type (`rate = "fast"`) is placed by the parser; its key path says
        // which key it is, as validation's own errors do. Where the text does not parse at all (a
        // duplicate key, nesting too deep, an integer too large), the headers above say it.
        let key = e
            .span()
            .and_then(|s| key_path_at(source, s.start).or_else(|| key_path_by_lines(source, s.start)))
            .unwrap_or_default();
        ScenarioError { file: path.to_path_buf(), problems: vec![Diagnostic { line_column, path: key, message }] }
    })?;
    let base_dir = path.parent().unwrap_or(Path::new("."));
    let mut scenario =
        validate(&raw, source, base_dir).map_err(|problems| ScenarioError { file: path.to_path_buf(), problems })?;
    scenario.warnings.file = path.to_path_buf();
    Ok(scenario)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skeleton() -> (PathBuf, String) {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/skeleton.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        (path, text)
    }

    /// Text the parser refuses outright (so no key path can be read from a parse) is still placed
    /// by key path, from the headers above, and says what was expected.
    #[test]
    fn parser_errors_name_the_key_and_what_was_expected() {
        let (path, text) = skeleton();
        let cases = [
            (
                text.replacen("rate = 200.0 ", "rate = 200.0\nrate = 300.0 ", 1),
                "population[0].rate: duplicate key; expected each key once in its table",
            ),
            (
                text.replace("drain_max = \"10m\"", "max_events = 99999999999999999999999"),
                "scenario.max_events: integer 99999999999999999999999 is too large; expected a whole number between",
            ),
            (
                format!("{text}\n[[population.operation]]\nweight = 1\nweight = 2\n"),
                "population[1].operation[0].weight: duplicate key",
            ),
            (
                format!("{text}\nx = {}{}\n", "[".repeat(200), "]".repeat(200)),
                "fault[0].x: arrays or tables nested too deeply; expected the few levels a scenario has",
            ),
        ];
        for (edited, expected) in cases {
            let e = parse(&path, &edited).unwrap_err().to_string();
            assert!(e.contains(expected), "{e}");
            assert!(e.contains("skeleton.toml:"), "a line and column: {e}");
        }
        assert_eq!(key_path_by_lines("a = 1\n", 0), Some("a".to_string()));
        assert_eq!(key_path_by_lines("[s]\n\n", 5), Some("s".to_string()));
    }

    #[test]
    fn the_key_path_at_an_offset_goes_through_tables_and_arrays_of_tables() {
        let text = "[scenario]\nname = \"x\"\n\n[[population]]\nname = \"a\"\n\n[[population]]\nname = \"b\"\nrate = \"fast\"\nkeys = { zipf = \"many\" }\n";
        let at = |needle: &str| key_path_at(text, text.find(needle).unwrap());
        assert_eq!(at("\"fast\""), Some("population[1].rate".to_string()));
        assert_eq!(at("\"many\""), Some("population[1].keys.zipf".to_string()));
        assert_eq!(at("\"x\""), Some("scenario.name".to_string()));
        assert_eq!(key_path_at("rate = [1, 2", 8), None, "not well-formed TOML");
        let e = parse(Path::new("t.toml"), text).unwrap_err();
        assert_eq!(e.problems[0].path, "population[0]", "a missing key is placed at its table by the parser");
        assert!(e.problems[0].message.contains("missing field `region`"), "{e}");
    }
}
