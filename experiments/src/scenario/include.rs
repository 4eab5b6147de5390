//! `include = ["topology.toml", ...]`: a scenario built from fragments, merged into one text before
//! it is parsed.
//!
//! An included file is a TOML fragment in the scenario format (any subset of its tables, and it may
//! include others in turn); paths are relative to the directory of the file that names them. The
//! fragments are merged in the order listed, then the including file on top. Merge rule: tables
//! merge key by key, recursively; any other value, arrays and arrays of tables (`[[region]]`,
//! `[[store]]`, ...) included, is replaced wholesale by a later file that sets it, so a scenario
//! either takes a fragment's Regions as they are or lists all of its own.
//!
//! Guarantees: a file without `include` is returned as `None` and used byte for byte as before; a
//! cycle, a missing file or a parse error is a [`ScenarioError`] naming the file at fault (with
//! line and column for a parse error, the include chain for a cycle). Files a fragment names
//! itself (a trace CSV) are resolved relative to the top-level scenario, since validation sees the
//! merged text only.

use std::path::{Path, PathBuf};

use toml::{Table, Value};

use super::{Diagnostic, ScenarioError, line_column};

/// The first line of a resolved scenario, so a reader of `scenario.toml` in a run folder knows the
/// text was merged and why its line numbers differ from the files they came from.
pub const RESOLVED_HEADER: &str = "# Resolved by mrsim: this scenario's includes are merged into it.\n";

/// Resolves the includes of `source` (the text of `path`): `None` when it has none, else the merged
/// text (without `include`) under [`RESOLVED_HEADER`].
pub fn resolve(path: &Path, source: &str) -> Result<Option<String>, ScenarioError> {
    let table = parse_table(path, source)?;
    if !table.contains_key("include") {
        return Ok(None);
    }
    let merged = load_merged(path, table, &mut vec![path.to_path_buf()])?;
    let text = toml::to_string(&merged)
        .map_err(|e| problem(path, None, "", format!("cannot serialise the scenario after its includes: {e}")))?;
    Ok(Some(format!("{RESOLVED_HEADER}{text}")))
}

/// The text of `path` with its includes merged in, or the file itself when it has none.
pub fn read_resolved(path: &Path) -> Result<String, ScenarioError> {
    let source = std::fs::read_to_string(path).map_err(|e| {
        problem(path, None, "", format!("cannot read the scenario file: {e}; expected a readable UTF-8 TOML file"))
    })?;
    Ok(resolve(path, &source)?.unwrap_or(source))
}

fn problem(file: &Path, line_column: Option<(usize, usize)>, path: &str, message: String) -> ScenarioError {
    ScenarioError {
        file: file.to_path_buf(),
        problems: vec![Diagnostic { line_column, path: path.to_string(), message }],
    }
}

fn parse_table(path: &Path, source: &str) -> Result<Table, ScenarioError> {
    source.parse::<Table>().map_err(|e| {
        let at = e.span().map(|s| line_column(source, s.start));
        problem(path, at, "", e.message().trim_end().replace('\n', " "))
    })
}

/// `table` (the text of `path`) over its includes, merged; `chain` is the include path from the
/// top-level file down to `path`, for cycle detection.
fn load_merged(path: &Path, mut table: Table, chain: &mut Vec<PathBuf>) -> Result<Table, ScenarioError> {
    let includes = match table.remove("include") {
        None => return Ok(table),
        Some(Value::String(s)) => vec![s],
        Some(Value::Array(items)) => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::String(s) => Ok(s),
                other => Err(problem(
                    path,
                    None,
                    &format!("include[{i}]"),
                    format!("found a {}; expected a file path (a string)", other.type_str()),
                )),
            })
            .collect::<Result<_, _>>()?,
        Some(other) => {
            return Err(problem(
                path,
                None,
                "include",
                format!("found a {}; expected a file path or an array of file paths", other.type_str()),
            ));
        }
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut merged = Table::new();
    for (i, name) in includes.iter().enumerate() {
        let at = format!("include[{i}]");
        let file = dir.join(name);
        let key = std::fs::canonicalize(&file).map_err(|e| {
            problem(path, None, &at, format!("cannot read the included file `{name}` ({}): {e}", file.display()))
        })?;
        if chain.contains(&key) {
            let names: Vec<String> = chain.iter().chain([&key]).map(|p| p.display().to_string()).collect();
            return Err(problem(path, None, &at, format!("include cycle: {}", names.join(" -> "))));
        }
        let source = std::fs::read_to_string(&file).map_err(|e| {
            problem(path, None, &at, format!("cannot read the included file `{name}` ({}): {e}", file.display()))
        })?;
        let fragment = parse_table(&file, &source)?;
        chain.push(key);
        let fragment = load_merged(&file, fragment, chain)?;
        chain.pop();
        merge(&mut merged, fragment);
    }
    merge(&mut merged, table);
    Ok(merged)
}

/// Every file the scenario at `path` is built from: its includes, depth first in merge order, then
/// `path` itself. Files that cannot be read or parsed are left out (resolving reports them).
pub fn source_files(path: &Path) -> Vec<PathBuf> {
    fn walk(path: &Path, out: &mut Vec<PathBuf>, depth: usize) {
        let Ok(text) = std::fs::read_to_string(path) else { return };
        let Ok(table) = text.parse::<Table>() else { return };
        let names: Vec<String> = match table.get("include") {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(items)) => items.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
            _ => Vec::new(),
        };
        let dir = path.parent().unwrap_or(Path::new("."));
        for name in names {
            // The depth bound stops a cycle, which resolving reports as an error anyway.
            if depth < 32 {
                walk(&dir.join(name), out, depth + 1);
            }
        }
        out.push(path.to_path_buf());
    }
    let mut out = Vec::new();
    walk(path, &mut out, 0);
    out
}

/// The scenarios in the folder of `path` built from it (through their includes, directly or not),
/// sorted by name: what to validate instead of a fragment. A file that does not parse, or that is
/// itself a fragment (no `[scenario]` name after its includes), is left out.
pub fn includers(path: &Path) -> Vec<PathBuf> {
    let Ok(target) = std::fs::canonicalize(path) else { return Vec::new() };
    let dir = path.parent().unwrap_or(Path::new("."));
    let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut names: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.file_name()))
        .filter(|n| n.to_string_lossy().ends_with(".toml"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| path.with_file_name(n))
        .filter(|candidate| {
            let built_from = source_files(candidate);
            let includes = built_from
                .iter()
                .take(built_from.len().saturating_sub(1))
                .any(|f| std::fs::canonicalize(f).is_ok_and(|f| f == target));
            let named = || {
                read_resolved(candidate).ok().and_then(|t| t.parse::<Table>().ok()).is_some_and(|t| {
                    t.get("scenario").and_then(Value::as_table).is_some_and(|h| h.contains_key("name"))
                })
            };
            includes && named()
        })
        .collect()
}

/// `warnings` about the merged text of the scenario `top`, each also naming where its line was
/// written, as [`locate_in_sources`] does for errors.
pub fn locate_warnings(top: &Path, merged: &str, warnings: super::Warnings) -> super::Warnings {
    if warnings.list.is_empty() {
        return warnings;
    }
    let located = locate_in_sources(top, merged, ScenarioError { file: warnings.file, problems: warnings.list });
    super::Warnings { file: located.file, list: located.problems, summary: warnings.summary }
}

/// A `key = value` line without spaces or a trailing comment, for comparing lines across files;
/// None for a line that is not an assignment.
fn assignment(line: &str) -> Option<String> {
    let (mut out, mut quote) = (String::new(), None);
    for c in line.chars() {
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '#') => break,
            (None, c) if c.is_whitespace() => continue,
            _ => {}
        }
        out.push(c);
    }
    (out.contains('=') && !out.starts_with('[')).then_some(out)
}

/// Problems located in the merged text of a scenario with includes also name where their line came
/// from: the one line of the source files (the last file that has it, as the merge lets later files
/// win) that makes the same assignment. A line no file writes that way (an inline table the merge
/// reordered, a value `--set` changed) keeps only its place in the merged text.
pub fn locate_in_sources(top: &Path, merged: &str, mut err: ScenarioError) -> ScenarioError {
    let files: Vec<(PathBuf, String)> =
        source_files(top).into_iter().filter_map(|f| std::fs::read_to_string(&f).ok().map(|t| (f, t))).collect();
    let merged_lines: Vec<&str> = merged.lines().collect();
    for p in &mut err.problems {
        let Some((line, _)) = p.line_column else { continue };
        let Some(wanted) = merged_lines.get(line.wrapping_sub(1)).and_then(|l| assignment(l)) else { continue };
        let found = files.iter().rev().find_map(|(file, text)| {
            let hits: Vec<usize> = text
                .lines()
                .enumerate()
                .filter(|(_, l)| assignment(l).as_deref() == Some(&wanted))
                .map(|(i, _)| i)
                .collect();
            (!hits.is_empty()).then_some((file, text, hits))
        });
        if let Some((file, text, hits)) = found
            && let [i] = hits.as_slice()
        {
            let column = text.lines().nth(*i).map_or(1, |l| l.len() - l.trim_start().len() + 1);
            p.message.push_str(&format!(" (written at {}:{}:{column})", file.display(), i + 1));
        }
    }
    err
}

/// Merges `over` onto `base`: tables key by key, anything else replaced.
pub fn merge(base: &mut Table, over: Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(Value::Table(b)), Value::Table(o)) => merge(b, o),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh folder holding `files`.
    fn folder(name: &str, files: &[(&str, &str)]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("mrsim-include-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for (file, text) in files {
            let path = dir.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    fn resolved(dir: &Path, file: &str) -> Table {
        let text = read_resolved(&dir.join(file)).unwrap();
        assert!(text.starts_with(RESOLVED_HEADER), "{text}");
        text.parse().unwrap()
    }

    #[test]
    fn tables_merge_by_key_and_later_files_win() {
        let dir = folder(
            "merge",
            &[
                ("a.toml", "[network]\njitter = \"1ms\"\n[scenario]\nname = \"a\"\nduration = \"1m\"\n"),
                ("b.toml", "[scenario]\nduration = \"2m\"\n"),
                ("top.toml", "include = [\"a.toml\", \"b.toml\"]\n[scenario]\nname = \"top\"\n"),
            ],
        );
        let t = resolved(&dir, "top.toml");
        assert_eq!(t["scenario"]["name"].as_str(), Some("top"));
        assert_eq!(t["scenario"]["duration"].as_str(), Some("2m"));
        assert_eq!(t["network"]["jitter"].as_str(), Some("1ms"));
        assert!(!t.contains_key("include"));
    }

    #[test]
    fn arrays_of_tables_are_replaced_wholesale() {
        let dir = folder(
            "arrays",
            &[
                ("topo.toml", "[[region]]\nname = \"us-east-1\"\n[[region]]\nname = \"us-west-2\"\n"),
                ("keep.toml", "include = \"topo.toml\"\n"),
                ("replace.toml", "include = \"topo.toml\"\n[[region]]\nname = \"eu-west-1\"\n"),
            ],
        );
        assert_eq!(resolved(&dir, "keep.toml")["region"].as_array().unwrap().len(), 2);
        let regions = resolved(&dir, "replace.toml")["region"].as_array().unwrap().clone();
        assert_eq!(regions.len(), 1);
        assert_eq!(regions[0]["name"].as_str(), Some("eu-west-1"));
    }

    #[test]
    fn includes_nest_relative_to_the_including_file() {
        let dir = folder(
            "nested",
            &[
                ("parts/net.toml", "[network]\njitter = \"2ms\"\n"),
                ("parts/topo.toml", "include = \"net.toml\"\n[[region]]\nname = \"us-east-1\"\n"),
                ("top.toml", "include = [\"parts/topo.toml\"]\n"),
            ],
        );
        let t = resolved(&dir, "top.toml");
        assert_eq!(t["network"]["jitter"].as_str(), Some("2ms"));
        assert_eq!(t["region"][0]["name"].as_str(), Some("us-east-1"));
    }

    /// A problem found in the merged text also names the file and line that wrote it; a line
    /// two files write the same way is attributed to the later one, as the merge lets it win.
    #[test]
    fn problems_in_merged_text_name_the_line_that_wrote_them() {
        let dir = folder(
            "origins",
            &[
                (
                    "world.toml",
                    "[scenario]\nduration = \"10m\"\n\n[[region]]\nname = \"us-east-1\"\n\n[[region]]\nname = \"us-west-2\"\n\n\
                     [[fault]]\ntype = \"region_outage\"\nregion = \"us-east-1\"\nstart = \"1m\"\nend   =  \"-2m\"  # typo\n",
                ),
                ("top.toml", "include = \"world.toml\"\n[scenario]\nname = \"t\"\n"),
            ],
        );
        let top = dir.join("top.toml");
        assert_eq!(source_files(&top), vec![dir.join("world.toml"), top.clone()]);
        let e = crate::scenario::load(&top).unwrap_err().to_string();
        let world = dir.join("world.toml").display().to_string();
        assert!(e.contains("durations cannot be negative"), "{e}");
        assert!(e.contains(&format!("(written at {world}:14:1)")), "{e}");
        // Not an assignment, or written nowhere: nothing is added.
        let plain = ScenarioError {
            file: top.clone(),
            problems: vec![Diagnostic { line_column: Some((2, 1)), path: String::new(), message: "m".into() }],
        };
        let merged = "# header\nend = \"9m\"\n";
        assert_eq!(locate_in_sources(&top, merged, plain).problems[0].message, "m");
        assert_eq!(assignment("end   =  \"-2m\"  # typo"), Some("end=\"-2m\"".into()));
        assert_eq!(assignment("name = \"a # b\""), Some("name=\"a # b\"".into()));
        assert_eq!(assignment("[[fault]]"), None);
    }

    #[test]
    fn a_file_without_include_is_left_alone() {
        let dir = folder("none", &[("top.toml", "# a comment\n[scenario]\nname = \"x\"\n")]);
        assert_eq!(read_resolved(&dir.join("top.toml")).unwrap(), "# a comment\n[scenario]\nname = \"x\"\n");
    }

    #[test]
    fn a_cycle_is_an_error_showing_the_chain() {
        let dir = folder(
            "cycle",
            &[
                ("a.toml", "include = \"b.toml\"\n"),
                ("b.toml", "include = \"c.toml\"\n"),
                ("c.toml", "include = \"a.toml\"\n"),
            ],
        );
        let e = read_resolved(&dir.join("a.toml")).unwrap_err().to_string();
        assert!(e.contains("c.toml: include[0]: include cycle"), "{e}");
        let chain = e.split("include cycle: ").nth(1).unwrap();
        let names: Vec<&str> = chain.split(" -> ").map(|p| p.rsplit('/').next().unwrap()).collect();
        assert_eq!(names, ["a.toml", "b.toml", "c.toml", "a.toml"], "{e}");
        let dir = folder("self", &[("a.toml", "include = \"a.toml\"\n")]);
        assert!(read_resolved(&dir.join("a.toml")).unwrap_err().to_string().contains("include cycle"));
    }

    #[test]
    fn a_missing_file_names_the_including_file_and_the_path() {
        let dir = folder("missing", &[("top.toml", "include = [\"topologies/nope.toml\"]\n")]);
        let e = read_resolved(&dir.join("top.toml")).unwrap_err();
        assert!(e.file.ends_with("top.toml"), "{e}");
        let text = e.to_string();
        assert!(text.contains("include[0]") && text.contains("`topologies/nope.toml`"), "{text}");
    }

    #[test]
    fn a_parse_error_in_an_included_file_names_it_with_line_and_column() {
        let dir = folder(
            "parse",
            &[
                ("topo.toml", "[[region]]\nname = \"us-east-1\"\nname = = 3\n"),
                ("top.toml", "include = \"topo.toml\"\n"),
            ],
        );
        let e = read_resolved(&dir.join("top.toml")).unwrap_err();
        assert!(e.file.ends_with("topo.toml"), "{e}");
        assert_eq!(e.problems[0].line_column.map(|(line, _)| line), Some(3), "{e}");
        assert!(e.to_string().contains("topo.toml:3:"), "{e}");
    }

    #[test]
    fn include_must_be_a_path_or_paths() {
        let dir = folder("type", &[("top.toml", "include = 3\n"), ("arr.toml", "include = [\"a.toml\", 3]\n")]);
        let e = read_resolved(&dir.join("top.toml")).unwrap_err().to_string();
        assert!(e.contains("include: found a integer; expected a file path"), "{e}");
        let e = read_resolved(&dir.join("arr.toml")).unwrap_err().to_string();
        assert!(e.contains("include[1]"), "{e}");
    }
}
