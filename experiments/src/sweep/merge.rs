//! `mrsim merge DIR... --out OUT`: one sweep's folder from the folders of its shards.
//!
//! Guarantees. Every folder's `sweep.json` must equal the first one's (else exit 2 naming the folder
//! and the field); a run saved in more than one folder must hold the same bytes in each (else exit 2);
//! every (point, seed) of the manifest must be saved somewhere (else exit 2, listing the missing
//! runs), and nothing is written until all three hold. OUT then gets `sweep.json`, `runs/` and
//! `runs.csv` and `points.csv` made by the sweep's own assembly code, each file written atomically:
//! the bytes a sweep on one machine writes. OUT may be one of the folders (a shared folder every
//! shard wrote into) or hold the same sweep already; a folder holding another sweep is refused.

use std::path::{Path, PathBuf};

use sim_core::Seed;

use super::{Manifest, assemble, claim_folder, header, read_run_file, run_file, run_seeds};
use crate::{CliError, output};

/// What a finished merge did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Merged {
    pub out: PathBuf,
    pub folders: usize,
    pub runs: usize,
}

/// `mrsim merge`: merges and returns the terminal text.
pub fn execute(folders: &[PathBuf], out: &Path) -> Result<String, CliError> {
    let m = merge(folders, out)?;
    Ok(format!(
        "mrsim merge: {} from {}\n  wrote           {}, {} (runs in {})\n",
        crate::count(m.runs as u64, "run", "runs"),
        crate::count(m.folders as u64, "folder", "folders"),
        m.out.join("runs.csv").display(),
        m.out.join("points.csv").display(),
        m.out.join("runs").display()
    ))
}

/// Checks the shards, gathers their runs and writes OUT.
pub fn merge(folders: &[PathBuf], out: &Path) -> Result<Merged, CliError> {
    let input = |m: String| CliError::input(format!("error: {m}"));
    let (first, rest) = folders.split_first().ok_or_else(|| input("give at least one sweep folder to merge".into()))?;
    let manifest = read_manifest(first)?;
    for folder in rest {
        let theirs = read_manifest(folder)?;
        if let Some(field) = differing_field(&manifest, &theirs) {
            return Err(input(format!(
                "{} is another sweep than {}: its sweep.json differs in {field}; merge only the shards of one sweep",
                folder.display(),
                first.display()
            )));
        }
    }
    let seed0: Seed = manifest.seed0.parse().map_err(|_| {
        input(format!("{}: seed0 {} is not a seed", first.join("sweep.json").display(), manifest.seed0))
    })?;
    let seeds = run_seeds(seed0, manifest.seeds);
    let points: usize = manifest.grid.iter().map(|a| a.values.len()).product();
    let header = header(&manifest.grid, &manifest.metrics);

    let (mut rows, mut files, mut missing) = (Vec::new(), Vec::new(), Vec::new());
    for p in 0..points {
        for (s, &seed) in seeds.iter().enumerate() {
            // (folder, bytes, row) of every folder holding this run whole.
            let mut found: Option<(&PathBuf, Vec<u8>, Vec<String>)> = None;
            for folder in folders {
                let Some(row) = read_run_file(folder, &header, p, s, seed) else { continue };
                let bytes = std::fs::read(run_file(folder, p, s)).map_err(|e| CliError::output(e.to_string()))?;
                match &found {
                    Some((other, theirs, _)) if *theirs != bytes => {
                        return Err(input(format!(
                            "run point {p} seed {s} differs between {} and {}: the shards did not run the same sweep \
                             with the same mrsim",
                            run_file(other, p, s).display(),
                            run_file(folder, p, s).display()
                        )));
                    }
                    Some(_) => {}
                    None => found = Some((folder, bytes, row)),
                }
            }
            match found {
                Some((_, bytes, row)) => {
                    files.push((p, s, bytes));
                    rows.push(row);
                }
                None => missing.push(format!("({p}, {s})")),
            }
        }
    }
    if !missing.is_empty() {
        const SHOWN: usize = 20;
        let more = if missing.len() > SHOWN { format!(" and {} more", missing.len() - SHOWN) } else { String::new() };
        return Err(input(format!(
            "{} of {} runs are missing (point, seed): {}{more}; run the shards that hold them (or resume them \
             into their folders) and merge again",
            missing.len(),
            points * seeds.len(),
            missing[..missing.len().min(SHOWN)].join(", ")
        )));
    }

    claim_folder(out, &manifest)?;
    for (p, s, bytes) in &files {
        output::write_atomic(&run_file(out, *p, *s), bytes).map_err(CliError::output)?;
    }
    assemble(out, &manifest.grid, &manifest.metrics, &rows, seeds.len())?;
    Ok(Merged { out: out.to_path_buf(), folders: folders.len(), runs: rows.len() })
}

fn read_manifest(folder: &Path) -> Result<Manifest, CliError> {
    let path = folder.join("sweep.json");
    let bytes = std::fs::read(&path).map_err(|e| {
        CliError::input(format!("error: {}: {e}; is {} a sweep folder?", path.display(), folder.display()))
    })?;
    serde_json::from_slice(&bytes)
        .map_err(|e| CliError::input(format!("error: {} is not a sweep manifest: {e}", path.display())))
}

/// The first field in which two manifests differ, described for the user.
fn differing_field(a: &Manifest, b: &Manifest) -> Option<String> {
    if a.scenario != b.scenario || a.scenario_hash != b.scenario_hash {
        return Some(format!("scenario ({} {} vs {} {})", a.scenario, a.scenario_hash, b.scenario, b.scenario_hash));
    }
    if a.grid != b.grid {
        return Some("grid".to_string());
    }
    if a.seeds != b.seeds {
        return Some(format!("seeds ({} vs {})", a.seeds, b.seeds));
    }
    if a.seed0 != b.seed0 {
        return Some(format!("seed0 ({} vs {})", a.seed0, b.seed0));
    }
    if a.metrics != b.metrics {
        return Some("metrics (written by different mrsim versions)".to_string());
    }
    None
}
