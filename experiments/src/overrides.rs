//! `--set path=value`: changes to a scenario's TOML made before it is parsed and validated.
//!
//! An override edits the file's `toml::Table`, which is then serialised again and handed to
//! [`scenario::parse`], so every validation rule still applies to the changed scenario. A path is
//! dot-separated keys, each optionally followed by `[index]` for an array (arrays of tables are
//! written `[[population]]` in a file and `population[0]` here): `scenario.duration`,
//! `population[0].rate`, `store[1].replication_delay`, `fault[0].end`, `network.jitter`. The value
//! is a TOML value if it parses as one (`300`, `0.5`, `true`, `"x"`, `[1, 2]`, `{ uniform = 8 }`),
//! otherwise the text itself as a string (`5m`, `exp(mean=2s)`).
//!
//! Guarantees: an override never creates a top-level table the scenario format does not know, never
//! indexes past the end of an array (the error says how many entries there are) and never walks
//! through a value that is not a table; every error names the override. Line numbers in validation
//! errors then refer to the serialised text, so the file is named `FILE (with --set)` in them.

use std::fmt;
use std::path::{Path, PathBuf};

use toml::{Table, Value};

use crate::scenario::{self, Scenario, ScenarioError};

/// The top-level tables of a scenario file, as the raw scenario names them.
pub const TOP_LEVEL: [&str; 15] = [
    "scenario",
    "network",
    "region",
    "store",
    "population",
    "fault",
    "fault_generator",
    "action",
    "route53",
    "global_accelerator",
    "cloudfront",
    "routing_control",
    "load_balancer_health",
    "alarm",
    "expect",
];

/// One step of a path: a key, or an index into the array the previous step reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// One `path=value` override, parsed.
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    /// The path as written (`population[0].rate`).
    pub path: String,
    pub segments: Vec<Segment>,
    /// The value as written (`300`, `5m`), for reports and reproduce commands.
    pub text: String,
    pub value: Value,
}

impl fmt::Display for Override {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.path, self.text)
    }
}

impl Override {
    /// Parses `path=value`.
    pub fn parse(text: &str) -> Result<Override, String> {
        let (path, value) = text
            .split_once('=')
            .ok_or_else(|| format!("--set {text}: expected path=value, e.g. population[0].rate=300"))?;
        Override::new(path, value).map_err(|e| format!("--set {text}: {e}"))
    }

    /// An override of `path` with the value written `value`.
    pub fn new(path: &str, value: &str) -> Result<Override, String> {
        let path = path.trim();
        let segments = parse_path(path)?;
        let text = value.trim().to_string();
        if text.is_empty() {
            return Err("the value is empty; expected a TOML value or text".to_string());
        }
        Ok(Override { path: path.to_string(), segments, value: parse_value(&text), text })
    }
}

/// Parses `a.b[2].c` into segments.
pub fn parse_path(path: &str) -> Result<Vec<Segment>, String> {
    if path.is_empty() {
        return Err("the path is empty; expected keys like population[0].rate".to_string());
    }
    let mut segments = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = part.split_at(part.find('[').unwrap_or(part.len()));
        let key_ok = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !key_ok {
            return Err(format!(
                "`{part}` in path `{path}` is not a key; expected letters, digits, `_` or `-`, then optional [index]"
            ));
        }
        segments.push(Segment::Key(key.to_string()));
        while !rest.is_empty() {
            let close = rest.find(']').filter(|_| rest.starts_with('['));
            let index = close.and_then(|c| rest[1..c].parse::<usize>().ok());
            match (close, index) {
                (Some(c), Some(i)) => {
                    segments.push(Segment::Index(i));
                    rest = &rest[c + 1..];
                }
                _ => return Err(format!("`{part}` in path `{path}`: expected [index] with a number, e.g. [0]")),
            }
        }
    }
    Ok(segments)
}

/// A TOML value if `text` is one, else `text` as a string.
pub fn parse_value(text: &str) -> Value {
    match format!("value = {text}").parse::<Table>() {
        Ok(mut table) => table.remove("value").unwrap_or_else(|| Value::String(text.to_string())),
        Err(_) => Value::String(text.to_string()),
    }
}

/// Applies `o` to `table`, creating the last key (and tables on the way below the top level) if
/// missing; what a missing key means is then the validator's to say.
pub fn apply(table: &mut Table, o: &Override) -> Result<(), String> {
    let fail = |why: String| format!("--set {o}: {why}");
    let Some(Segment::Key(top)) = o.segments.first() else {
        return Err(fail("a path starts with a key".to_string()));
    };
    if !table.contains_key(top) && !TOP_LEVEL.contains(&top.as_str()) {
        return Err(fail(format!("unknown top-level table `{top}`; expected one of: {}", TOP_LEVEL.join(", "))));
    }
    let mut walked = String::new();
    let mut here: &mut Value = table.entry(top.clone()).or_insert_with(|| empty_for(&o.segments[1..]));
    walked.push_str(top);
    for (i, segment) in o.segments.iter().enumerate().skip(1) {
        let last = i + 1 == o.segments.len();
        here = match (segment, here) {
            (Segment::Key(key), Value::Table(t)) => {
                let next = t.entry(key.clone());
                if last {
                    next.or_insert(Value::Boolean(false))
                } else {
                    next.or_insert_with(|| empty_for(&o.segments[i + 1..]))
                }
            }
            (Segment::Key(key), Value::Array(a)) => {
                return Err(fail(format!(
                    "`{walked}` is an array of {} entries; expected an index before `.{key}`, e.g. {walked}[0].{key}",
                    a.len()
                )));
            }
            (Segment::Key(key), other) => {
                return Err(fail(format!(
                    "`{walked}` is a {}, not a table, so it has no key `{key}`",
                    other.type_str()
                )));
            }
            (Segment::Index(index), Value::Array(a)) => {
                let n = a.len();
                match a.get_mut(*index) {
                    Some(v) => v,
                    None => {
                        return Err(fail(format!(
                            "index {index} is out of range: `{walked}` has {n} entr{}{}",
                            if n == 1 { "y" } else { "ies" },
                            if n == 0 { String::new() } else { format!(" (indices 0..={})", n - 1) }
                        )));
                    }
                }
            }
            (Segment::Index(index), other) => {
                return Err(fail(format!(
                    "`{walked}` is a {}, not an array, so it has no [{index}]",
                    other.type_str()
                )));
            }
        };
        match segment {
            Segment::Key(k) => {
                walked.push('.');
                walked.push_str(k);
            }
            Segment::Index(i) => walked.push_str(&format!("[{i}]")),
        }
    }
    *here = o.value.clone();
    Ok(())
}

/// What a missing key is created as, from what the rest of the path does with it.
fn empty_for(rest: &[Segment]) -> Value {
    match rest.first() {
        Some(Segment::Index(_)) => Value::Array(Vec::new()),
        _ => Value::Table(Table::new()),
    }
}

/// Applies `overrides` in order to scenario text and serialises the result. With no overrides the
/// text is returned unchanged, so line numbers in errors stay those of the file.
pub fn apply_to_text(source: &str, overrides: &[Override]) -> Result<String, String> {
    if overrides.is_empty() {
        return Ok(source.to_string());
    }
    let mut table: Table = source.parse().map_err(|e: toml::de::Error| {
        format!("the scenario is not valid TOML, so --set cannot apply: {}", e.message().trim_end())
    })?;
    for o in overrides {
        apply(&mut table, o)?;
    }
    toml::to_string(&table).map_err(|e| format!("cannot serialise the scenario after --set: {e}"))
}

/// The name a scenario changed by overrides goes by in errors: `FILE (with --set)`, in the same
/// folder, so files the scenario names relative to itself are still found; a scenario merged from
/// includes (`source` starts with the resolved header) is `FILE (with includes)`.
pub fn display_path(path: &Path, source: &str, overrides: &[Override]) -> PathBuf {
    match (overrides.is_empty(), path.file_name()) {
        (false, Some(name)) => path.with_file_name(format!("{} (with --set)", name.to_string_lossy())),
        (true, _) if source.starts_with(scenario::include::RESOLVED_HEADER) => scenario::with_includes_path(path),
        _ => path.to_path_buf(),
    }
}

/// Why a scenario with overrides could not be loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadError {
    /// An override does not fit the file, or the file cannot be read.
    Override(String),
    Scenario(ScenarioError),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Override(m) => write!(f, "error: {m}"),
            LoadError::Scenario(e) => e.fmt(f),
        }
    }
}

/// Reads the scenario file at `path` with its includes merged in (the file's own text when it has
/// none), so `--set` applies after the includes.
pub fn read_source(path: &Path) -> Result<String, LoadError> {
    let source = std::fs::read_to_string(path).map_err(|e| {
        LoadError::Override(format!(
            "{}: cannot read the scenario file: {e}; expected a readable UTF-8 TOML file",
            path.display()
        ))
    })?;
    let resolved = scenario::include::resolve(path, &source).map_err(LoadError::Scenario)?;
    Ok(resolved.unwrap_or(source))
}

/// Applies `overrides` to `source` (the text of `path`, includes merged) and parses the result: the resolved text and
/// the validated scenario.
pub fn resolve(path: &Path, source: &str, overrides: &[Override]) -> Result<(String, Scenario), LoadError> {
    let text = apply_to_text(source, overrides).map_err(LoadError::Override)?;
    if let Some(e) = scenario::fragment_error(path, &text) {
        return Err(LoadError::Scenario(e));
    }
    // With includes or `--set`, lines refer to the merged text: say where each line was written.
    let merged = source.starts_with(scenario::include::RESOLVED_HEADER) || !overrides.is_empty();
    let mut scenario = scenario::parse(&display_path(path, source, overrides), &text).map_err(|e| {
        let e = name_overrides(e, overrides);
        match merged {
            true => LoadError::Scenario(scenario::include::locate_in_sources(path, &text, e)),
            false => LoadError::Scenario(e),
        }
    })?;
    if merged {
        scenario.warnings = scenario::include::locate_warnings(path, &text, scenario.warnings);
    }
    // On stderr only: the run's summary keeps validation's own words.
    name_in(&mut scenario.warnings.list, overrides);
    scenario.overrides = overrides.iter().map(|o| o.to_string()).collect();
    Ok((text, scenario))
}

/// A problem at a key an override set names the override (`--set population[0].rate=fast`), the
/// line of the serialised text being no line of any file.
fn name_overrides(mut e: ScenarioError, overrides: &[Override]) -> ScenarioError {
    name_in(&mut e.problems, overrides);
    e
}

fn name_in(problems: &mut [scenario::Diagnostic], overrides: &[Override]) {
    let normal = |p: &str| p.replace(['[', ']'], ".").replace("..", ".").trim_end_matches('.').to_string();
    for p in problems {
        let at = normal(&p.path);
        let set = overrides.iter().rev().find(|o| {
            let o = normal(&o.path);
            !at.is_empty() && (at == o || at.starts_with(&format!("{o}.")))
        });
        if let Some(o) = set {
            p.message.push_str(&format!(" (set by --set {o})"));
        }
    }
}

/// Reads `path`, applies `overrides` and validates: what `mrsim run --set` loads.
pub fn load(path: &Path, overrides: &[Override]) -> Result<Scenario, LoadError> {
    let source = read_source(path)?;
    resolve(path, &source, overrides).map(|(_, s)| s)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"
[scenario]
name = "t"
duration = "10m"

[[population]]
name = "a"
rate = 200.0

[[population]]
name = "b"
rate = 100.0
"#;

    fn set(text: &str) -> Result<Table, String> {
        let mut table: Table = TEXT.parse().unwrap();
        apply(&mut table, &Override::parse(text)?)?;
        Ok(table)
    }

    #[test]
    fn values_are_toml_when_they_parse_and_text_otherwise() {
        assert_eq!(parse_value("300"), Value::Integer(300));
        assert_eq!(parse_value("0.5"), Value::Float(0.5));
        assert_eq!(parse_value("true"), Value::Boolean(true));
        assert_eq!(parse_value("\"x\""), Value::String("x".into()));
        assert_eq!(parse_value("5m"), Value::String("5m".into()));
        assert_eq!(parse_value("exp(mean=2s)"), Value::String("exp(mean=2s)".into()));
        assert_eq!(parse_value("[1, 2]"), Value::Array(vec![Value::Integer(1), Value::Integer(2)]));
    }

    #[test]
    fn paths_reach_tables_and_arrays_of_tables() {
        let t = set("population[1].rate=300").unwrap();
        assert_eq!(t["population"][1]["rate"], Value::Integer(300));
        assert_eq!(t["population"][0]["rate"], Value::Float(200.0));
        let t = set("scenario.duration=5m").unwrap();
        assert_eq!(t["scenario"]["duration"], Value::String("5m".into()));
        // Routing-tier tables may be created by an override, as the scenario format knows them.
        let t = set("route53.ttl=10s").unwrap();
        assert_eq!(t["route53"]["ttl"], Value::String("10s".into()));
        let t = set("network.jitter=2ms").unwrap();
        assert_eq!(t["network"]["jitter"], Value::String("2ms".into()));
        assert_eq!(
            parse_path("store[1].regions[0]").unwrap(),
            vec![Segment::Key("store".into()), Segment::Index(1), Segment::Key("regions".into()), Segment::Index(0)]
        );
    }

    #[test]
    fn errors_name_the_override_and_what_was_expected() {
        let e = set("scenaro.duration=5m").unwrap_err();
        assert!(e.contains("--set scenaro.duration=5m") && e.contains("unknown top-level table `scenaro`"), "{e}");
        assert!(e.contains("global_accelerator"), "the expected tables include the routing tier's: {e}");
        let e = set("population[2].rate=1").unwrap_err();
        assert!(e.contains("index 2 is out of range") && e.contains("has 2 entries"), "{e}");
        let e = set("fault[0].end=6m").unwrap_err();
        assert!(e.contains("has 0 entries"), "{e}");
        let e = set("scenario.duration.x=1").unwrap_err();
        assert!(e.contains("is a string, not a table"), "{e}");
        let e = set("population.rate=1").unwrap_err();
        assert!(e.contains("expected an index"), "{e}");
        assert!(Override::parse("population[0].rate").unwrap_err().contains("expected path=value"));
        assert!(Override::parse("population[x].rate=1").unwrap_err().contains("[index]"));
        assert!(Override::parse("a..b=1").unwrap_err().contains("is not a key"));
    }

    #[test]
    fn text_round_trips_through_the_table() {
        let text = apply_to_text(TEXT, &[Override::parse("population[0].rate=300").unwrap()]).unwrap();
        let table: Table = text.parse().unwrap();
        assert_eq!(table["population"][0]["rate"], Value::Integer(300));
        assert_eq!(table["population"][1]["name"], Value::String("b".into()));
        assert_eq!(apply_to_text(TEXT, &[]).unwrap(), TEXT);
    }

    /// A value of the wrong type that an override wrote is an error with the key's path and the
    /// override; a warning at a key an override set names it too.
    #[test]
    fn problems_at_a_key_an_override_set_name_it() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/skeleton.toml");
        let set = |text: &str| Override::parse(text).unwrap();
        let e = load(&path, &[set("scenario.metrics_interval=2s"), set("population[0].rate=fast")]).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("skeleton.toml (with --set):"), "{text}");
        assert!(text.contains(": population[0].rate: invalid type: string \"fast\", expected f64"), "{text}");
        assert!(text.ends_with("(set by --set population[0].rate=fast)"), "{text}");
        let s = load(&path, &[set("fault[0].end=45m")]).expect("a warning, not an error");
        let warning = s.warnings.to_string();
        assert!(warning.contains("fault[0].end: 45m is after the end of the fault phase"), "{warning}");
        assert!(warning.contains("(set by --set fault[0].end=45m)"), "{warning}");
        assert!(s.warnings.summary.iter().all(|w| !w.contains("--set")), "the summary keeps validation's words");
    }
}
