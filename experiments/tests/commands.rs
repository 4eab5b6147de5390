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

const SHIPPED: &[&str] = &["skeleton", "world", "reference-walk", "mrsc", "aurora", "s3", "include-example"];

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

mod include {
    use super::*;
    use experiments::overrides::{self, Override};
    use experiments::run::run_and_render;
    use experiments::scenario::{self, Scenario};
    use sim_core::{Seed, SimDuration, TraceMode};

    /// A shorter fault phase keeps the runs quick in debug builds; the outage (4m..7m) is cut to it.
    fn shortened(mut s: Scenario) -> Scenario {
        s.world.duration = SimDuration::from_mins(5);
        s
    }

    /// The included example is the skeleton with its topology in a fragment: apart from the name,
    /// the description and the scenario text, a run of one is a run of the other.
    #[test]
    fn an_included_scenario_runs_as_the_equivalent_single_file() {
        let composed = shortened(scenario::load(Path::new(&scenario("include-example"))).unwrap());
        let mut single = shortened(scenario::load(Path::new(&scenario("skeleton"))).unwrap());
        single.name = composed.name.clone();
        single.description = composed.description.clone();
        let a = run_and_render(&composed, Seed(0x2a), TraceMode::Hash).unwrap();
        let b = run_and_render(&single, Seed(0x2a), TraceMode::Hash).unwrap();
        assert_eq!(a.trace, b.trace, "the event traces differ");
        assert_eq!(a.summary, b.summary);
        for ((name, x), (other, y)) in a.files.iter().zip(&b.files) {
            assert_eq!(name, other);
            if name != "scenario.toml" && name != "manifest.json" {
                assert!(x == y, "{name} differs");
            }
        }
    }

    /// The run folder's scenario.toml is the merged text, runnable on its own, and the manifest's
    /// hash is that text's.
    #[test]
    fn the_run_folder_holds_the_resolved_scenario() {
        let out = scratch("include-run");
        let (first, second) = (out.join("first"), out.join("second"));
        let o = mrsim(&["run", &scenario("include-example"), "--out", first.to_str().unwrap()]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let written = std::fs::read_to_string(first.join("scenario.toml")).unwrap();
        assert!(written.starts_with(scenario::include::RESOLVED_HEADER), "{written}");
        assert!(!written.contains("include =") && written.contains("us-west-2"), "{written}");
        let manifest: Value = serde_json::from_slice(&std::fs::read(first.join("manifest.json")).unwrap()).unwrap();
        let listed = manifest["files"].as_array().unwrap().iter().find(|f| f["name"] == "scenario.toml").unwrap();
        assert_eq!(manifest["scenario"]["fnv1a64"], listed["fnv1a64"]);
        // Copied alone to another folder, the resolved text gives the same run.
        let alone = out.join("alone.toml");
        std::fs::write(&alone, &written).unwrap();
        let o = mrsim(&["run", alone.to_str().unwrap(), "--out", second.to_str().unwrap()]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        for name in ["summary.json", "events.csv", "scenario.toml", "manifest.json"] {
            let (a, b) = (std::fs::read(first.join(name)).unwrap(), std::fs::read(second.join(name)).unwrap());
            assert!(a == b, "{name} differs");
        }
    }

    #[test]
    fn set_applies_after_the_includes() {
        let path = PathBuf::from(scenario("include-example"));
        let s = overrides::load(&path, &[Override::parse("network.jitter=2ms").unwrap()]).unwrap();
        let source: toml::Table = s.source.parse().unwrap();
        assert_eq!(source["network"]["jitter"].as_str(), Some("2ms"));
        assert_eq!(source["region"].as_array().map(Vec::len), Some(2));
        let s = overrides::load(&path, &[Override::parse("region[1].name=eu-west-1").unwrap()]).unwrap_err();
        assert!(s.to_string().contains("include-example.toml (with --set)"), "{s}");
    }

    #[test]
    fn a_cycle_or_a_missing_file_exits_2_naming_the_files() {
        let dir = scratch("include-errors");
        std::fs::write(dir.join("a.toml"), "include = \"b.toml\"\n").unwrap();
        std::fs::write(dir.join("b.toml"), "include = [\"a.toml\"]\n").unwrap();
        std::fs::write(dir.join("top.toml"), "include = \"topologies/missing.toml\"\n").unwrap();
        std::fs::write(dir.join("broken.toml"), "include = \"bad.toml\"\n").unwrap();
        std::fs::write(dir.join("bad.toml"), "[network]\njitter = \n").unwrap();
        for command in ["run", "validate", "check"] {
            let o = mrsim(&[command, dir.join("a.toml").to_str().unwrap()]);
            assert_eq!(o.status.code(), Some(2), "{command}");
            let e = String::from_utf8_lossy(&o.stderr);
            assert!(e.contains("b.toml: include[0]: include cycle:") && e.contains("a.toml ->"), "{command}: {e}");
        }
        let o = mrsim(&["run", dir.join("top.toml").to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2));
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(e.contains("top.toml: include[0]") && e.contains("`topologies/missing.toml`"), "{e}");
        let o = mrsim(&["validate", dir.join("broken.toml").to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&o.stderr).contains("bad.toml:2:"), "{}", String::from_utf8_lossy(&o.stderr));
    }
}
