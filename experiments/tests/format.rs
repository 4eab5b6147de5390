//! The scenario format is written once, in the raw structs' doc comments: every key of the derived
//! schema is used by some scenario that `validate` accepts, and `explain` prints what it means there.
//!
//! The scenarios are the shipped ones and those of `tests/format/`, which use the keys no shipped
//! scenario needs. A new key fails this test until a scenario uses it, so the test walks the whole
//! format, not only what the examples happen to show.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use experiments::explain::explain;
use experiments::scenario::{self, include};
use serde_json::Value;

/// Every key path of `schema` ("store.read_quorum", "population.client_cache.at_least").
fn schema_keys(schema: &Value, path: &str, out: &mut BTreeSet<String>) {
    for (key, sub) in schema.get("properties").and_then(Value::as_object).into_iter().flatten() {
        let at = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
        out.insert(at.clone());
        schema_keys(sub, &at, out);
    }
    let items = schema.get("items").into_iter();
    let options = schema.get("anyOf").and_then(Value::as_array).into_iter().flatten();
    for sub in items.chain(options) {
        schema_keys(sub, path, out);
    }
}

/// Every key path a file uses, with array indices left out (the schema's way of naming keys).
/// Only tables of the format hold keys: a distribution written as a table or a map by Region name
/// is a value.
fn file_keys(value: &toml::Value, path: &str, tables: &BTreeSet<String>, out: &mut BTreeSet<String>) {
    match value {
        toml::Value::Table(t) if path.is_empty() || tables.contains(path) => {
            for (key, sub) in t {
                let at = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                out.insert(at.clone());
                file_keys(sub, &at, tables, out);
            }
        }
        toml::Value::Array(items) => items.iter().for_each(|v| file_keys(v, path, tables, out)),
        _ => {}
    }
}

/// The key paths of `schema` whose values are tables of keys (they have properties).
fn table_keys(schema: &Value, path: &str, out: &mut BTreeSet<String>) {
    if schema.get("properties").is_some() && !path.is_empty() {
        out.insert(path.to_string());
    }
    for (key, sub) in schema.get("properties").and_then(Value::as_object).into_iter().flatten() {
        table_keys(sub, &if path.is_empty() { key.clone() } else { format!("{path}.{key}") }, out);
    }
    let items = schema.get("items").into_iter();
    let options = schema.get("anyOf").and_then(Value::as_array).into_iter().flatten();
    for sub in items.chain(options) {
        table_keys(sub, path, out);
    }
}

fn toml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).expect("a folder").map(|e| e.expect("an entry").path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            toml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
}

/// The comment lines of an explanation, joined, so a wrapped description reads as one line.
fn comments(text: &str) -> String {
    let lines = text.lines().filter_map(|l| l.strip_prefix("# ").or_else(|| l.split_once("  # ").map(|(_, c)| c)));
    lines.collect::<Vec<_>>().join(" ")
}

#[test]
fn every_key_is_used_by_a_valid_scenario_and_explained_there() {
    let schema = experiments::schema::schema();
    let mut keys = BTreeSet::new();
    schema_keys(&schema, "", &mut keys);
    let mut tables = BTreeSet::new();
    table_keys(&schema, "", &mut tables);

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["scenarios", "tests/cases", "tests/format"] {
        toml_files(&root.join(dir), &mut files);
    }
    let mut used = BTreeSet::new();
    let mut explained = 0;
    for path in &files {
        let text = std::fs::read_to_string(path).expect("readable");
        if scenario::fragment_error(path, &text).is_some() {
            continue;
        }
        let s = scenario::load(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let explanation = comments(&explain(&s).expect("explained"));
        let mut in_file = BTreeSet::new();
        let written: toml::Value = toml::from_str(&text).expect("TOML");
        file_keys(&written, "", &tables, &mut in_file);
        let resolved: toml::Value = toml::from_str(&include::read_resolved(path).expect("resolved")).expect("TOML");
        file_keys(&resolved, "", &tables, &mut in_file);
        for key in &in_file {
            let description = experiments::schema::describe(&schema, key)
                .unwrap_or_else(|| panic!("{}: `{key}` is not in the schema", path.display()));
            let description = description.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(
                explanation.contains(&description),
                "{}: explain does not say what `{key}` means ({description:?})",
                path.display()
            );
        }
        used.extend(in_file);
        explained += 1;
    }
    assert!(explained >= 30, "only {explained} scenarios were explained");
    let unused: Vec<_> = keys.difference(&used).collect();
    assert!(unused.is_empty(), "keys no scenario uses (add one under tests/format/): {unused:?}");
}
