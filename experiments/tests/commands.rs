//! `mrsim validate`, `explain`, `schema` and the fuller `run` folder, as a user meets them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn mrsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mrsim")).args(args).output().expect("the mrsim binary runs")
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("experiments/ sits in the workspace").to_path_buf()
}

fn scenario(name: &str) -> String {
    repo_root().join(format!("experiments/scenarios/{name}.toml")).display().to_string()
}

const SHIPPED: &[&str] = &["skeleton", "world", "reference-walk", "mrsc", "aurora", "s3"];

/// A fresh, empty folder under the target directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("commands-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("UTF-8 output")
}

mod validate {
    use super::*;

    #[test]
    fn a_shipped_scenario_is_valid_and_counted() {
        let o = mrsim(&["validate", &scenario("world")]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let text = stdout(&o);
        assert!(text.ends_with(": valid (3 Regions, 3 stores, 4 populations, 7 faults, 2 actions)\n"), "{text}");
    }

    #[test]
    fn a_bad_scenario_prints_every_problem_and_exits_2() {
        let dir = scratch("validate-bad");
        let bad = dir.join("bad.toml");
        let text = std::fs::read_to_string(scenario("skeleton")).unwrap().replace("us-west-2", "us-west-9");
        std::fs::write(&bad, text).unwrap();
        let o = mrsim(&["validate", bad.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("bad.toml:") && err.contains("us-west-9"), "{err}");
        assert!(o.stdout.is_empty(), "nothing claims validity: {}", stdout(&o));
    }
}

mod explain {
    use super::*;

    #[test]
    fn defaults_are_filled_in_and_marked() {
        let o = mrsim(&["explain", &scenario("skeleton")]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let text = stdout(&o);
        for needle in [
            "[scenario]",
            "max_events = 200000000  # default",
            "app_tier = \"capacity not modelled\"  # default",
            "link.us-west-2 = \"32.1ms + exp(mean=1ms)\"  # default",
            "replication_delay = \"lognormal(median=500ms, sigma=0.5)\"\n",
            "idempotency = false  # default",
            "timeout = \"2s\"\n",
            "retry = { max_attempts = 3, base_delay = \"50ms\", max_delay = \"20s\" }  # default",
            "keys = { uniform = 8 }",
            "latency.us-west-2 = \"32.1ms + lognormal(median=10ms, sigma=0.3)\"  # default",
            "# strikes us-east-1",
        ] {
            assert!(text.contains(needle), "explain lacks {needle:?}:\n{text}");
        }
    }

    #[test]
    fn every_store_kind_is_explained_byte_identically_twice() {
        for name in SHIPPED {
            let (a, b) = (mrsim(&["explain", &scenario(name)]), mrsim(&["explain", &scenario(name)]));
            assert!(a.status.success(), "{name}: {}", String::from_utf8_lossy(&a.stderr));
            assert_eq!(a.stdout, b.stdout, "{name}: explain is deterministic");
        }
        let aurora = stdout(&mrsim(&["explain", &scenario("aurora")]));
        assert!(aurora.contains("endpoint_update_delay = \"30s\"  # default"), "{aurora}");
        let s3 = stdout(&mrsim(&["explain", &scenario("s3")]));
        assert!(s3.contains("commit_latency = \"lognormal(median=20ms, sigma=0.5)\"  # default"), "{s3}");
        let mrsc = stdout(&mrsim(&["explain", &scenario("mrsc")]));
        assert!(mrsc.contains("write_quorum = 2  # default"), "{mrsc}");
    }

    #[test]
    fn a_bad_scenario_exits_2() {
        let o = mrsim(&["explain", "/nonexistent/scenario.toml"]);
        assert_eq!(o.status.code(), Some(2));
    }
}

mod schema {
    use super::*;

    /// A validator for the subset of JSON Schema that `mrsim schema` uses: type (a name or a
    /// list), properties, required, additionalProperties (false or a schema), enum, items.
    /// Returns the first problem with its JSON path.
    fn check(schema: &Value, value: &Value, path: &str) -> Result<(), String> {
        if let Some(t) = schema.get("type") {
            let names: Vec<&str> = match t {
                Value::String(s) => vec![s.as_str()],
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                _ => return Err(format!("{path}: bad type in schema")),
            };
            let fits = |name: &str| match name {
                "object" => value.is_object(),
                "array" => value.is_array(),
                "string" => value.is_string(),
                "boolean" => value.is_boolean(),
                "integer" => value.is_i64() || value.is_u64(),
                "number" => value.is_number(),
                _ => false,
            };
            if !names.iter().any(|n| fits(n)) {
                return Err(format!("{path}: found {value}; expected {names:?}"));
            }
        }
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
            && !allowed.contains(value)
        {
            return Err(format!("{path}: {value} is not one of {allowed:?}"));
        }
        if let Some(object) = value.as_object() {
            let properties = schema.get("properties").and_then(Value::as_object);
            for name in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
                let name = name.as_str().unwrap();
                if !object.contains_key(name) {
                    return Err(format!("{path}: required key {name} is missing"));
                }
            }
            for (key, v) in object {
                let at = format!("{path}.{key}");
                match (properties.and_then(|p| p.get(key)), schema.get("additionalProperties")) {
                    (Some(s), _) => check(s, v, &at)?,
                    (None, Some(Value::Bool(false))) => return Err(format!("{at}: unknown key")),
                    (None, Some(s)) if s.is_object() => check(s, v, &at)?,
                    (None, _) => {}
                }
            }
        }
        if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
            for (i, v) in array.iter().enumerate() {
                check(items, v, &format!("{path}[{i}]"))?;
            }
        }
        Ok(())
    }

    fn schema() -> Value {
        let o = mrsim(&["schema"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice(&o.stdout).expect("the schema is JSON")
    }

    fn scenario_json(name: &str) -> Value {
        let text = std::fs::read_to_string(scenario(name)).unwrap();
        toml::from_str::<Value>(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    #[test]
    fn is_draft_07_json_and_every_shipped_scenario_fits_it() {
        let schema = schema();
        assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
        assert_eq!(schema["additionalProperties"], false);
        for name in SHIPPED {
            check(&schema, &scenario_json(name), "$").unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    #[test]
    fn an_unknown_key_or_a_bad_enum_does_not_fit() {
        let schema = schema();
        let mut typo = scenario_json("skeleton");
        typo["population"][0]["read_fractoin"] = Value::from(0.5);
        let e = check(&schema, &typo, "$").expect_err("an unknown key");
        assert!(e.contains("read_fractoin") && e.contains("unknown key"), "{e}");
        let mut bad = scenario_json("skeleton");
        bad["store"][0]["type"] = Value::from("dynamo");
        assert!(check(&schema, &bad, "$").expect_err("a bad enum").contains("is not one of"));
        let mut missing = scenario_json("skeleton");
        missing["scenario"].as_object_mut().unwrap().remove("duration");
        assert!(check(&schema, &missing, "$").expect_err("a missing key").contains("duration"));
    }

    #[test]
    fn every_table_rejects_unknown_keys() {
        fn walk(schema: &Value, path: &str) {
            if schema.get("type") == Some(&Value::from("object")) && schema.get("properties").is_some() {
                assert_eq!(schema["additionalProperties"], false, "{path}");
            }
            for (k, v) in schema.get("properties").and_then(Value::as_object).into_iter().flatten() {
                assert!(v.get("description").is_some(), "{path}.{k} has a description");
                walk(v, &format!("{path}.{k}"));
            }
            if let Some(items) = schema.get("items") {
                walk(items, &format!("{path}[]"));
            }
        }
        walk(&schema(), "$");
    }
}

mod run_folder {
    use super::*;

    const NEW_FILES: &[&str] = &["manifest.json", "summary.md", "events.csv", "scenario.toml"];

    fn run_into(dir: &Path, name: &str) {
        let o = mrsim(&["run", &scenario(name), "--seed", "0x2a", "--out", dir.to_str().unwrap()]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }

    #[test]
    fn writes_the_manifest_markdown_events_and_scenario_byte_identically() {
        let dir = scratch("run-folder");
        let (a, b) = (dir.join("a"), dir.join("nested").join("b"));
        run_into(&a, "aurora");
        run_into(&b, "aurora");
        for name in NEW_FILES {
            let (x, y) = (std::fs::read(a.join(name)).unwrap(), std::fs::read(b.join(name)).unwrap());
            assert_eq!(x, y, "{name} is byte-identical across runs and folders");
        }
        assert_eq!(std::fs::read(a.join("scenario.toml")).unwrap(), std::fs::read(scenario("aurora")).unwrap());
        let manifest: Value = serde_json::from_slice(&std::fs::read(a.join("manifest.json")).unwrap()).unwrap();
        assert_eq!(manifest["seed"], "0x2a");
        assert_eq!(manifest["scenario"]["name"], "aurora");
        assert_eq!(manifest["mrsim_version"], env!("CARGO_PKG_VERSION"));
        let files = manifest["files"].as_array().unwrap();
        assert!(files.iter().any(|f| f["name"] == "summary.json"), "{manifest}");
        let text = String::from_utf8(std::fs::read(a.join("manifest.json")).unwrap()).unwrap();
        assert!(!text.contains(a.to_str().unwrap()) && !text.contains("commands-run-folder"), "no paths: {text}");

        let events = String::from_utf8(std::fs::read(a.join("events.csv")).unwrap()).unwrap();
        let mut lines = events.lines();
        assert_eq!(lines.next(), Some("time_s,kind,what"));
        let rows: Vec<&str> = lines.collect();
        assert_eq!(
            rows,
            [
                "180,action,aurora_switchover succeeded: started",
                "420,fault_started,region_outage us-west-2",
                "480,action,aurora_failover succeeded: started",
                "660,fault_healed,region_outage us-west-2",
            ]
        );
    }

    #[test]
    fn summary_md_has_the_tables() {
        let dir = scratch("summary-md");
        run_into(&dir, "aurora");
        let md = String::from_utf8(std::fs::read(dir.join("summary.md")).unwrap()).unwrap();
        for needle in [
            "# mrsim run: aurora (seed 0x2a)",
            "## Headline",
            "| Metric | Value |",
            "| Writes lost to failover | 10 |",
            "## Stores",
            "| orders | aurora_global_database |",
            "## Aurora transitions",
            "| orders | failover | us-west-2 -> us-east-1 |",
            "## App tiers",
            "## Faults",
            "| region_outage | us-west-2 |",
            "## Actions",
            "| aurora_switchover |",
        ] {
            assert!(md.contains(needle), "summary.md lacks {needle:?}:\n{md}");
        }
        // Every row of a table has as many cells as its header.
        let mut previous: Option<usize> = None;
        for line in md.lines() {
            if !line.starts_with('|') {
                previous = None;
                continue;
            }
            let cells = line.replace("\\|", "").matches('|').count();
            if let Some(p) = previous {
                assert_eq!(cells, p, "{line}");
            }
            previous = Some(cells);
        }
    }

    #[test]
    fn help_lists_the_files() {
        let help = stdout(&mrsim(&["run", "--help"]));
        for name in ["summary.json", "summary.md", "timeseries.csv", "events.csv", "scenario.toml", "manifest.json"] {
            assert!(help.contains(name), "run --help lacks {name}");
        }
    }
}
