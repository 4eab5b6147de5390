//! ARCHITECTURE.md's invariants about who may import whom, checked on the sources as a grep sees
//! them (test code apart: a `tests.rs` file, or what follows `#[cfg(test)] mod tests {`).
//!
//! - sim-core names neither `models` nor `experiments`; `models` never names `experiments`.
//! - The models crate's top-level modules form layers: no cycle through `crate::` paths.
//! - The files of one folder form layers, in every crate: no cycle through `super::` paths between
//!   siblings (the folder's `mod.rs`, which declares them and the types they share, apart).
//! - A store never reaches into the world: nothing under `stores/` names the world, the report, the
//!   scenario's configuration, the routing tier or the run.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, with its text less any test code, by path relative to `dir`.
fn sources(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("reading {}: {e}", d.display())) {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") && path.file_name().is_some_and(|n| n != "tests.rs") {
                let text = std::fs::read_to_string(&path).expect("a source file");
                let code = match text.find("\n#[cfg(test)]\nmod tests {") {
                    Some(i) => text[..i].to_string(),
                    None => text,
                };
                out.insert(path.strip_prefix(dir).expect("under dir").to_path_buf(), code);
            }
        }
    }
    out
}

/// The module names that follow `prefix` (`crate::`, `super::`) in `code`, comments included (a
/// comment that names a path is documentation of an arrow too).
fn named_after(code: &str, prefix: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find(prefix) {
        let after = &rest[i + prefix.len()..];
        let name: String =
            after.chars().take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_').collect();
        let boundary = i == 0 || !rest[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':');
        if boundary && !name.is_empty() {
            names.insert(name);
        }
        // A group, `super::{a, b::C, D}`: the first segment of each item at its top level.
        if boundary && let Some(group) = after.strip_prefix('{') {
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                depth += i32::from(c == '{') - i32::from(c == '}');
                if depth < 0 || (c == ',' && depth == 0) {
                    let first: String = item
                        .trim()
                        .chars()
                        .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                        .collect();
                    if !first.is_empty() {
                        names.insert(first);
                    }
                    item.clear();
                    if depth < 0 {
                        break;
                    }
                } else {
                    item.push(c);
                }
            }
        }
        rest = after;
    }
    names
}

/// A cycle in `edges`, if there is one, as the nodes along it.
fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(node) {
            Some(2) => return None,
            Some(1) => {
                let start = path.iter().position(|n| n == node).expect("on the path");
                let mut cycle = path[start..].to_vec();
                cycle.push(node.to_string());
                return Some(cycle);
            }
            _ => {}
        }
        state.insert(node.to_string(), 1);
        path.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, edges, state, path) {
                return Some(c);
            }
        }
        path.pop();
        state.insert(node.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    edges.keys().find_map(|n| visit(n, edges, &mut state, &mut Vec::new()))
}

fn models_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn the_cycle_finder_finds_a_cycle_and_no_false_one() {
    let graph = |pairs: &[(&str, &str)]| {
        let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (a, b) in pairs {
            g.entry(a.to_string()).or_default().insert(b.to_string());
        }
        g
    };
    assert_eq!(find_cycle(&graph(&[("a", "b"), ("b", "c"), ("a", "c")])), None);
    let cycle = find_cycle(&graph(&[("a", "b"), ("b", "c"), ("c", "a")])).expect("a -> b -> c -> a");
    assert_eq!(cycle.first(), cycle.last());
    assert_eq!(cycle.len(), 4);
    assert_eq!(
        named_after("use crate::world::X; // and crate::report\nx::crate::no", "crate::"),
        ["report", "world"].map(String::from).into()
    );
    assert_eq!(
        named_after("use super::{Event, World, stores::{A, b}, attempts};", "super::"),
        ["attempts", "stores"].map(String::from).into()
    );
}

#[test]
fn lower_crates_never_name_higher_ones() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for (path, code) in sources(&root.join("sim-core/src")) {
        for higher in ["models::", "experiments::"] {
            assert!(!code.contains(higher), "sim-core/src/{} names {higher}", path.display());
        }
    }
    for (path, code) in sources(&models_src()) {
        assert!(!code.contains("experiments::"), "models/src/{} names experiments::", path.display());
    }
}

#[test]
fn the_top_level_modules_form_layers() {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, code) in sources(&models_src()) {
        let top =
            path.components().next().expect("a path").as_os_str().to_string_lossy().trim_end_matches(".rs").to_string();
        if top == "lib" {
            continue;
        }
        let uses: Vec<String> = named_after(&code, "crate::").into_iter().filter(|m| *m != top).collect();
        edges.entry(top).or_default().extend(uses);
    }
    assert!(edges.len() > 10, "the modules were found: {:?}", edges.keys());
    assert!(edges["world"].contains("stores"), "the world uses the stores");
    assert_eq!(find_cycle(&edges), None, "a cycle among models' modules");
}

#[test]
fn the_files_of_each_folder_form_layers() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for krate in ["sim-core", "models", "experiments"] {
        files_form_layers(&root.join(krate).join("src"), krate);
    }
}

fn files_form_layers(src: &Path, krate: &str) {
    let mut folders: BTreeMap<PathBuf, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (path, code) in sources(src) {
        let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) else { continue };
        let stem = path.file_stem().expect("a file name").to_string_lossy().to_string();
        // A folder module (`stores/mrec/mod.rs`) is a file of its parent folder.
        let (folder, name) = if stem == "mod" {
            match folder.parent().filter(|p| !p.as_os_str().is_empty()) {
                Some(parent) => {
                    (parent.to_path_buf(), folder.file_name().expect("a folder").to_string_lossy().to_string())
                }
                None => continue,
            }
        } else {
            (folder.to_path_buf(), stem)
        };
        let siblings = named_after(&code, "super::");
        folders.entry(folder).or_default().entry(name).or_default().extend(siblings);
    }
    if krate == "models" {
        assert!(folders.contains_key(Path::new("world")), "{:?}", folders.keys());
    }
    for (folder, mut edges) in folders {
        let files: BTreeSet<String> = edges.keys().cloned().collect();
        for uses in edges.values_mut() {
            uses.retain(|u| files.contains(u));
        }
        assert_eq!(find_cycle(&edges), None, "a cycle among the files of {krate}/src/{}", folder.display());
    }
}

#[test]
fn a_store_never_reaches_into_the_world() {
    let stores = sources(&models_src().join("stores"));
    assert!(stores.len() >= 6, "the stores were found");
    for (path, code) in stores {
        for above in ["world", "report", "config", "routing", "run", "timing", "history"] {
            assert!(
                !named_after(&code, "crate::").contains(above),
                "models/src/stores/{} names crate::{above}",
                path.display()
            );
        }
    }
}
