//! `mrsim schema`: the JSON Schema (draft-07) of the scenario format, for editors that complete
//! and check TOML against a schema, and the descriptions `mrsim explain` prints.
//!
//! Derived from the raw structs of `scenario/raw.rs` (schemars), so their doc comments are the
//! documentation and there is nothing to keep in step by hand. Every table rejects unknown keys
//! (`additionalProperties: false`), as the raw structs do (`deny_unknown_fields`); enums list the
//! strings the file accepts. The schema checks shape only: ranges and cross-references are for
//! `mrsim validate`.

use std::sync::OnceLock;

use schemars::generate::SchemaSettings;
use serde_json::Value;

use crate::scenario::raw::RawScenario;

/// The schema as JSON: every table inline (no `$ref`), and no `null` (TOML has none: a key is
/// given or left out).
pub fn schema() -> Value {
    let generator = SchemaSettings::draft07().with(|s| s.inline_subschemas = true).into_generator();
    let mut schema = generator.into_root_schema_for::<RawScenario>().to_value();
    drop_null(&mut schema);
    schema["title"] = "mrsim scenario".into();
    schema["description"] = "A scenario for mrsim, the multi-region simulator: Regions, stores, clients, \
                             routing, faults and actions. Ranges and references between sections are \
                             checked by `mrsim validate`."
        .into();
    schema
}

/// The schema, built once per process (validation reads which fields apply to which type from it).
pub fn cached() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(schema)
}

/// Removes the `null` alternative schemars adds to an `Option` field, and joins the lines of a
/// doc comment's paragraphs, as the doc comment reads.
fn drop_null(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if let [only] = types.as_slice() {
                    let only = only.clone();
                    map.insert("type".into(), only);
                }
            }
            for key in ["anyOf", "oneOf"] {
                if let Some(Value::Array(options)) = map.get_mut(key) {
                    options.retain(|o| o.get("type") != Some(&Value::from("null")));
                    if let [only] = options.as_slice()
                        && let Value::Object(only) = only.clone()
                    {
                        map.remove(key);
                        for (k, v) in only {
                            map.entry(k).or_insert(v);
                        }
                    }
                }
            }
            if let Some(Value::Array(values)) = map.get_mut("enum") {
                values.retain(|v| !v.is_null());
            }
            if let Some(Value::String(text)) = map.get_mut("description") {
                *text = text.split("\n\n").map(|p| p.replace('\n', " ")).collect::<Vec<_>>().join("\n\n");
            }
            map.values_mut().for_each(drop_null);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_null),
        _ => {}
    }
}

/// The schema as pretty-printed JSON, with a final newline.
pub fn schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&schema()).expect("a JSON value prints");
    text.push('\n');
    text
}

/// What the key at `path` means, from its doc comment: `path` is dotted, as explain and validation
/// name keys ("store.0.read_quorum"); array indices are skipped. `None` for a path the format does
/// not have.
pub fn describe(schema: &Value, path: &str) -> Option<String> {
    let mut at = schema;
    for segment in path.split('.').filter(|s| s.parse::<usize>().is_err()) {
        at = property(at, segment)?;
    }
    at.get("description").and_then(Value::as_str).map(str::to_string)
}

/// The schema of `key` in the table `schema` (through arrays of tables and alternatives).
fn property<'s>(schema: &'s Value, key: &str) -> Option<&'s Value> {
    if let Some(found) = schema.get("properties").and_then(|p| p.get(key)) {
        return Some(found);
    }
    let items = schema.get("items").into_iter();
    let options = ["anyOf", "oneOf"].into_iter().filter_map(|k| schema.get(k)?.as_array()).flatten();
    items.chain(options).find_map(|s| property(s, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_described_through_arrays_and_options() {
        let s = schema();
        let described = describe(&s, "store.0.catch_up_rate").expect("a store key");
        assert!(described.contains("brought back up to date"), "{described}");
        assert!(describe(&s, "population.3.operation.1.keys.zipf").is_some());
        assert_eq!(describe(&s, "store.0.no_such_key"), None);
    }

    #[test]
    fn no_null_survives() {
        let text = schema_text();
        assert!(!text.contains("\"null\""), "{text}");
    }
}
