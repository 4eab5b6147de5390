//! `mrsim reproduce`: a manifest of a run and a sweep regenerated, checked byte for byte, and its
//! errors; plus the repository's own manifests, which must list every shipped result folder.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("experiments/ sits in the workspace").to_path_buf()
}

/// `mrsim ARGS` from the repository root, where the manifests' scenario paths start.
fn mrsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mrsim")).current_dir(repo_root()).args(args).output().expect("mrsim runs")
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("reproduce").join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

const MANIFEST: &str = r#"
[[run]]
scenario = "experiments/scenarios/skeleton.toml"
out = "small/run"
seed = "0x2a"
set = ["scenario.duration=20s", "fault[0].start=5s", "fault[0].end=10s"]

[[sweep]]
scenario = "experiments/scenarios/skeleton.toml"
out = "small/sweep"
seeds = 2
seed0 = "0x7"
grid = ["population[0].rate=50,100"]
set = ["scenario.duration=20s", "fault[0].start=5s", "fault[0].end=10s"]
"#;

#[test]
fn a_manifest_is_regenerated_then_checked_byte_for_byte() {
    let dir = scratch("cycle");
    let (manifests, root) = (dir.join("manifests"), dir.join("results"));
    fs::create_dir_all(&manifests).unwrap();
    fs::write(manifests.join("small.toml"), MANIFEST).unwrap();
    let (m, r) = (manifests.to_str().unwrap(), root.to_str().unwrap());

    let o = mrsim(&["reproduce", "--manifests", m, "--root", r, "--threads", "2"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(root.join("small/run/summary.json").is_file());
    assert!(root.join("small/sweep/runs.csv").is_file() && root.join("small/sweep/points.csv").is_file());
    assert!(!root.join("small/sweep/runs").exists(), "a reproduced sweep keeps no runs/ folder");
    assert!(!root.join(".reproduce").exists(), "the staging folder is removed");
    // The sweep holds 2 points x 2 seeds.
    let runs = fs::read_to_string(root.join("small/sweep/runs.csv")).unwrap();
    assert_eq!(runs.lines().count(), 1 + 4, "{runs}");

    // A second pass with one thread reproduces every byte.
    let o = mrsim(&["reproduce", "--manifests", m, "--root", r, "--check", "--threads", "1", "--check-determinism"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("reproduced byte for byte"), "{}", text(&o));

    // A changed byte, a stray file and a missing file are each named; nothing is replaced.
    let summary = root.join("small/run/summary.md");
    let mut changed = fs::read(&summary).unwrap();
    changed.push(b'\n');
    fs::write(&summary, &changed).unwrap();
    fs::write(root.join("small/run/stray.txt"), "x").unwrap();
    fs::remove_file(root.join("small/sweep/points.csv")).unwrap();
    let o = mrsim(&["reproduce", "--manifests", m, "--root", r, "--check"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("3 difference(s)"), "{t}");
    assert!(t.contains("results/small/run/summary.md: differs"), "{t}");
    assert!(t.contains("results/small/run/stray.txt: committed but no longer produced"), "{t}");
    assert!(t.contains("results/small/sweep/points.csv: produced but not committed"), "{t}");
    assert_eq!(fs::read(&summary).unwrap(), changed, "--check replaces nothing");

    // Without --check the folders are replaced whole: the stray file goes, the missing one returns.
    let o = mrsim(&["reproduce", "--manifests", m, "--root", r, "--only", "small/run"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(!root.join("small/run/stray.txt").exists());
    assert!(!root.join("small/sweep/points.csv").exists(), "--only leaves other entries alone");

    // --list prints the equivalent commands.
    let o = mrsim(&["reproduce", "--manifests", m, "--root", r, "--list"]);
    let t = text(&o);
    assert!(t.contains("mrsim run experiments/scenarios/skeleton.toml --seed 0x2a --out"), "{t}");
    assert!(t.contains("--grid 'population[0].rate=50,100'"), "{t}");
}

#[test]
fn bad_manifests_exit_2_naming_the_file_and_entry() {
    let dir = scratch("bad");
    let cases: &[(&str, &str)] = &[
        ("[[run]]\nscenario = \"x.toml\"\nout = \"a\"\n", "missing field `seed`"),
        ("[[run]]\nscenario = \"x.toml\"\nout = \"/abs\"\nseed = \"1\"\n", "no `..`, no leading `/`"),
        ("[[sweep]]\nscenario = \"x.toml\"\nout = \"s\"\nseeds = 2\nseed0 = \"1\"\ngrid = []\n", "sweep[0].grid"),
        ("[[run]]\nscenario = \"missing.toml\"\nout = \"a\"\nseed = \"1\"\n", "missing.toml"),
        ("[run]\n", "bad.toml"),
        ("[[shrink]]\nscenario = \"x.toml\"\nout = \"k\"\nseed = \"1\"\nmax_runs = 0\n", "shrink[0].max_runs"),
        ("[[shrink]]\nscenario = \"x.toml\"\nout = \"k\"\nseed = \"1\"\nmax = 3\n", "unknown field `max`"),
    ];
    for (manifest, needle) in cases {
        fs::write(dir.join("bad.toml"), manifest).unwrap();
        let o =
            mrsim(&["reproduce", "--manifests", dir.to_str().unwrap(), "--root", dir.join("out").to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{manifest}: {}", text(&o));
        assert!(text(&o).contains(needle), "{manifest}: expected {needle:?} in {}", text(&o));
        assert!(!text(&o).contains("panicked"), "{}", text(&o));
    }
    fs::write(dir.join("bad.toml"), "[[run]]\nscenario = \"x.toml\"\nout = \"a\"\nseed = \"1\"\n").unwrap();
    let o = mrsim(&["reproduce", "--manifests", dir.to_str().unwrap(), "--threads", "0"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--threads must be at least 1"), "{}", text(&o));
    let o = mrsim(&["reproduce", "--manifests", dir.to_str().unwrap(), "--only", "zzz"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("no entry's out starts with zzz"), "{}", text(&o));
    let o = mrsim(&["reproduce", "--manifests", dir.join("none").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("cannot read the manifest folder"), "{}", text(&o));
}

/// Every folder under results/ that holds a run or a sweep is listed in experiments/reproduce/, so
/// `mrsim reproduce --check` in CI covers all of results/.
#[test]
fn the_repository_manifests_cover_every_result_folder() {
    let o = mrsim(&["reproduce", "--list"]);
    assert!(o.status.success(), "{}", text(&o));
    let listed = text(&o);
    let root = repo_root().join("results");
    let mut stack = vec![root.clone()];
    let mut folders = Vec::new();
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if matches!(
                p.file_name().and_then(|n| n.to_str()),
                Some("manifest.json" | "sweep.json" | "shrink.json")
            ) {
                folders.push(d.strip_prefix(&root).unwrap().display().to_string());
            }
        }
    }
    assert!(folders.len() >= 11, "{folders:?}");
    for f in folders {
        let (line_end, more) = (format!("--out results/{f}\n"), format!("--out results/{f} "));
        assert!(listed.contains(&line_end) || listed.contains(&more), "results/{f} is not in experiments/reproduce/");
    }
}
