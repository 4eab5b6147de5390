//! Fields that apply to some types of a table only (a store's `read_quorum`, a fault's `side_a`).
//!
//! Which types a field applies to is declared on the raw field itself (`x-applies-to` in its
//! schema, `#[schemars(extend(...))]` in `raw.rs`), so a new field says it where it is written.
//! Here every table with a `type` ([[store]], [[fault]], [[fault_generator]], [[action]]) is
//! checked against it: a field given to a type that does not use it is an error at the key, never
//! silently ignored. The file is read again with spans (`toml::de::DeTable`) to place each key.

use serde_json::Value;
use toml::de::{DeTable, DeValue};

use super::shared::Problems;
use crate::schema;

/// The tables with a `type`, and how a message names one.
const TYPED: &[(&str, &str)] =
    &[("store", "store"), ("fault", "fault"), ("fault_generator", "fault generator"), ("action", "action")];

/// Reports every field of a typed table that its `type` does not use.
pub(super) fn check(source: &str, p: &mut Problems) {
    // The file parsed as a scenario already; a second parse cannot fail.
    let Ok(file) = DeTable::parse(source) else { return };
    let schema = schema::cached();
    for (table, kind) in TYPED {
        let Some(properties) = schema["properties"][table]["items"]["properties"].as_object() else { continue };
        let Some(DeValue::Array(entries)) = file.get_ref().get(*table).map(|v| v.get_ref()) else { continue };
        for (i, entry) in entries.iter().enumerate() {
            let DeValue::Table(entry) = entry.get_ref() else { continue };
            let Some(DeValue::String(type_name)) = entry.get("type").map(|t| t.get_ref()) else { continue };
            let applies = |field: &Value| match field.get("x-applies-to").and_then(Value::as_array) {
                Some(types) => types.iter().any(|t| t == type_name.as_ref()),
                None => true,
            };
            for key in entry.keys() {
                let name = key.get_ref().as_ref();
                if properties.get(name).is_none_or(applies) {
                    continue;
                }
                let used: Vec<&str> = properties
                    .iter()
                    .filter(|(_, f)| f.get("x-applies-to").is_some() && applies(f))
                    .map(|(k, _)| k.as_str())
                    .collect();
                p.at(
                    key.span(),
                    format!("{table}[{i}].{name}"),
                    format!("`{name}` does not apply to a {type_name} {kind}; expected only: {}", used.join(", ")),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde_json::Value;

    use crate::scenario;
    use crate::schema;

    const BASE: &str = r#"
[scenario]
name = "applies"
duration = "10m"

[[region]]
name = "us-east-1"

[[region]]
name = "us-west-2"

[[store]]
name = "q"
type = "quorum"
regions = ["us-east-1", "us-west-2"]
"#;

    fn problems(extra: &str) -> String {
        match scenario::parse(Path::new("t.toml"), &format!("{BASE}{extra}")) {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn a_field_of_another_type_is_an_error_at_its_key() {
        assert_eq!(problems(""), "", "the base is valid");
        let e = problems("replication_delay = \"1s\"\n");
        assert!(e.contains("t.toml:16:1: store[0].replication_delay: `replication_delay` does not apply to a quorum store; expected only: ack_latency, apply, coordinator, member_latency, probe_after, probe_fraction, probe_versions, read_latency, read_quorum, read_repair, regions, response_latency, timeout, witnesses, write_latency, write_quorum"), "{e}");
        let generator = "\n[[fault_generator]]\ntype = \"region_outage\"\nrate_per_hour = 1.0\nduration = \"1m\"\nmode = \"hold\"\n";
        let e = problems(generator);
        assert!(e.contains("fault_generator[0].mode: `mode` does not apply to a region_outage fault generator; expected only: scope"), "{e}");
        let action =
            "\n[[action]]\ntype = \"repin\"\nfrom = \"us-east-1\"\nto = \"us-west-2\"\nstore = \"q\"\nat = \"1m\"\n";
        assert!(
            problems(action)
                .contains("action[0].store: `store` does not apply to a repin action; expected only: from, to")
        );
    }

    /// Every type a field declares it applies to is a type of its table.
    #[test]
    fn declared_types_exist() {
        let s = schema::cached();
        for (table, _) in super::TYPED {
            let items = &s["properties"][table]["items"];
            let types: Vec<&Value> =
                items["properties"]["type"]["enum"].as_array().expect("a type enum").iter().collect();
            for (name, field) in items["properties"].as_object().expect("properties") {
                for t in field.get("x-applies-to").and_then(Value::as_array).into_iter().flatten() {
                    assert!(types.contains(&t), "{table}.{name} applies to {t}, not a {table} type");
                }
            }
        }
    }
}
