//! Writing result files so that a reader never sees half of one.
//!
//! Every file is written to a temporary name in the same folder and renamed into place, which is
//! atomic on the filesystems mrsim runs on: after a crash or Ctrl-C a result file is either the old
//! one, the new one, or absent, never truncated.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Checks, before any work, that `dir` can be an output folder: it is a folder or does not exist
/// yet, and the nearest part of its path that exists is a folder (not a file). `flag` names the
/// option in the message (`--out`).
pub fn check_folder(flag: &str, dir: &Path) -> Result<(), String> {
    let mut at = Some(dir);
    while let Some(path) = at {
        if path.as_os_str().is_empty() {
            return Ok(());
        }
        match fs::metadata(path) {
            Ok(m) if m.is_dir() => return Ok(()),
            Ok(_) if path == dir => {
                return Err(format!(
                    "{flag} {}: it is a file; expected a folder (or a path to create one)",
                    dir.display()
                ));
            }
            Ok(_) => {
                return Err(format!(
                    "{flag} {}: {} is a file, so no folder can be made under it; expected a folder path",
                    dir.display(),
                    path.display()
                ));
            }
            Err(_) => at = path.parent(),
        }
    }
    Ok(())
}

/// Writes `bytes` to `path` atomically, creating the parent folder if needed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(|e| format!("cannot create folder {}: {e}", parent.display()))?;
    let name = path.file_name().ok_or_else(|| format!("{} is not a file path", path.display()))?;
    let temporary: PathBuf = parent.join(format!(".{}.{}.tmp", name.to_string_lossy(), std::process::id()));
    let result = (|| {
        let mut f = fs::File::create(&temporary)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&temporary, path)
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&temporary);
        format!("cannot write {}: {e}", path.display())
    })
}

/// Claims the output folder `out` for one piece of work by its manifest: writes `manifest` as
/// `out/file` (pretty JSON) if there is none, accepts the folder if the one there is equal, and
/// otherwise refuses it, as bad input, naming what differs (`differs` is given the manifest there,
/// or `None` when the file is not such a manifest) so that the work of two runs is never mixed.
/// `kind` names the work (`sweep`), `kept` what the folder keeps of it (`runs`).
pub fn claim<M>(
    out: &Path,
    file: &str,
    manifest: &M,
    (kind, kept): (&str, &str),
    differs: impl Fn(Option<&M>) -> String,
) -> Result<(), crate::CliError>
where
    M: serde::Serialize + serde::de::DeserializeOwned + PartialEq,
{
    use crate::CliError;
    let path = out.join(file);
    let mut json = serde_json::to_vec_pretty(manifest).map_err(|e| CliError::internal(e.to_string()))?;
    json.push(b'\n');
    if let Ok(existing) = fs::read(&path) {
        let theirs: Option<M> = serde_json::from_slice(&existing).ok();
        if theirs.as_ref() == Some(manifest) {
            return Ok(());
        }
        return Err(CliError::input(format!(
            "error: {} holds another {kind} ({}); refusing to mix its {kept} with this one: choose another --out or \
             remove {}",
            path.display(),
            differs(theirs.as_ref()),
            out.display()
        )));
    }
    write_atomic(&path, &json).map_err(CliError::output)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_output_folder_under_a_file_is_refused_before_any_work() {
        let dir = std::env::temp_dir().join(format!("mrsim-check-folder-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let file = dir.join("afile");
        fs::write(&file, b"x").unwrap();
        let e = check_folder("--out", &file.join("sub")).unwrap_err();
        assert!(e.contains("afile is a file, so no folder can be made under it"), "{e}");
        assert!(check_folder("--out", &file).unwrap_err().contains("it is a file"));
        check_folder("--out", &dir.join("new").join("deeper")).expect("a folder to create");
        check_folder("--out", &dir).expect("an existing folder");
        check_folder("--out", Path::new("relative-out")).expect("a relative path to create");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn writes_and_replaces_without_leaving_temporaries() {
        let dir = std::env::temp_dir().join(format!("mrsim-output-test-{}", std::process::id()));
        let path = dir.join("nested").join("a.txt");
        write_atomic(&path, b"first").unwrap();
        write_atomic(&path, b"second").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
        let leftovers: Vec<_> = fs::read_dir(path.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(leftovers.len(), 1, "{leftovers:?}");
        let err = write_atomic(&dir.join("nested").join("a.txt").join("x"), b"").unwrap_err();
        assert!(err.contains("cannot"), "{err}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
