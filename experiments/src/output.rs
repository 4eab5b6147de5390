//! Writing result files so that a reader never sees half of one, nor a folder of two runs.
//!
//! A single file is written to a temporary name in the same folder and renamed into place, which
//! is atomic on the filesystems mrsim runs on: after a crash or Ctrl-C a result file is either the
//! old one, the new one, or absent, never truncated.
//!
//! An output folder (`run`, `check` and `compare` with `--out`) is built whole in a hidden staging
//! folder beside it ([`Staged`]) and swapped in when every file is written: after a kill at any
//! moment the folder is the old one, the new one, or absent, never a mix of two runs. A folder is
//! only replaced if mrsim wrote all of it ([`check_replaceable`]): a folder holding anything else
//! is refused before any work, so nobody's files are deleted.

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

/// Checks, before any work, that `dir` may be replaced by a new output folder: it does not exist,
/// is empty, or holds only files mrsim writes there (`owned` says which, by their path relative to
/// `dir`; it is given the folder to read a manifest from). Anything else is refused with the first
/// foreign file named.
pub fn check_replaceable(
    flag: &str,
    dir: &Path,
    owned: &dyn Fn(&Path) -> Result<Vec<PathBuf>, String>,
) -> Result<(), String> {
    check_folder(flag, dir)?;
    if !dir.is_dir() {
        return Ok(());
    }
    let found = files_under(dir).map_err(|e| format!("{flag} {}: {e}", dir.display()))?;
    if found.is_empty() {
        return Ok(());
    }
    let refuse = |why: String| {
        format!(
            "{flag} {}: {why}; expected a new or empty folder, or a folder mrsim wrote (it is replaced whole)",
            dir.display()
        )
    };
    let listed = owned(dir).map_err(|why| refuse(format!("it holds {} and {why}", found[0].display())))?;
    match found.iter().find(|f| !listed.contains(f)) {
        Some(foreign) => Err(refuse(format!("it holds {}, which mrsim did not write there", foreign.display()))),
        None => Ok(()),
    }
}

/// For [`check_replaceable`]: a folder whose files mrsim always names the same (`check`'s and
/// `compare`'s).
pub fn named(names: &'static [&'static str]) -> impl Fn(&Path) -> Result<Vec<PathBuf>, String> {
    move |_| Ok(names.iter().map(PathBuf::from).collect())
}

/// Writes `files` (name relative to the folder, bytes) as the whole of folder `dir`, built aside
/// and swapped in (see [`Staged`]).
pub fn write_folder(dir: &Path, files: &[(&str, Vec<u8>)]) -> Result<(), String> {
    let staged = Staged::begin(dir)?;
    for (name, bytes) in files {
        staged.write(name, bytes)?;
    }
    staged.commit()
}

/// Every file under `dir`, relative to it, sorted.
pub fn files_under(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let listing = fs::read_dir(&d).map_err(|e| format!("cannot read {}: {e}", d.display()))?;
        for item in listing {
            let path = item.map_err(|e| format!("cannot read {}: {e}", d.display()))?.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.push(path.strip_prefix(dir).expect("listed under dir").to_path_buf());
            }
        }
    }
    found.sort();
    Ok(found)
}

/// An output folder being built aside: files go into a hidden staging folder next to the target
/// (`.NAME.staging-PID`), and [`Staged::commit`] swaps it in whole. Dropped without a commit (an
/// error), the staging folder is removed and the target left as it was.
#[derive(Debug)]
pub struct Staged {
    target: PathBuf,
    staging: PathBuf,
    committed: bool,
}

impl Staged {
    /// Starts a folder that will replace `target`, removing what killed runs left beside it
    /// (staging and set-aside folders of processes no longer running).
    pub fn begin(target: &Path) -> Result<Staged, String> {
        let (parent, name) = split(target)?;
        fs::create_dir_all(&parent).map_err(|e| format!("cannot create folder {}: {e}", parent.display()))?;
        remove_leftovers(&parent, &name);
        let staging = parent.join(format!(".{name}.staging-{}", std::process::id()));
        if staging.exists() {
            fs::remove_dir_all(&staging).map_err(|e| format!("cannot remove {}: {e}", staging.display()))?;
        }
        fs::create_dir_all(&staging).map_err(|e| format!("cannot create folder {}: {e}", staging.display()))?;
        Ok(Staged { target: target.to_path_buf(), staging, committed: false })
    }

    /// The staging folder, for writers that stream into it (the history files).
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// Writes `bytes` as `name` (a path relative to the folder) into the staging folder.
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<(), String> {
        let path = self.staging.join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| format!("cannot create folder {}: {e}", parent.display()))?;
        }
        let shown = self.target.join(name);
        let mut f = fs::File::create(&path).map_err(|e| format!("cannot write {}: {e}", shown.display()))?;
        f.write_all(bytes).and_then(|_| f.sync_all()).map_err(|e| format!("cannot write {}: {e}", shown.display()))
    }

    /// Swaps the staging folder in for the target: the old folder is renamed aside, the new one
    /// renamed into place, the old one removed. A kill between the two renames leaves the target
    /// absent and the old folder aside, which the next [`Staged::begin`] removes.
    pub fn commit(mut self) -> Result<(), String> {
        let (parent, name) = split(&self.target)?;
        let aside = parent.join(format!(".{name}.old-{}", std::process::id()));
        let had_old = self.target.exists();
        if had_old {
            fs::rename(&self.target, &aside).map_err(|e| format!("cannot replace {}: {e}", self.target.display()))?;
        }
        fs::rename(&self.staging, &self.target)
            .map_err(|e| format!("cannot move the new folder into {}: {e}", self.target.display()))?;
        self.committed = true;
        if had_old {
            fs::remove_dir_all(&aside).map_err(|e| format!("cannot remove the old {}: {e}", aside.display()))?;
        }
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

/// The parent folder (`.` for a bare name) and the name of `target`.
fn split(target: &Path) -> Result<(PathBuf, String), String> {
    let name = target
        .file_name()
        .filter(|n| *n != "..")
        .ok_or_else(|| format!("{}: expected a folder path that ends in a name", target.display()))?;
    let parent = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    Ok((parent.to_path_buf(), name.to_string_lossy().into_owned()))
}

/// Removes `.NAME.staging-PID` and `.NAME.old-PID` folders in `parent` whose process is gone (on
/// systems with /proc; elsewhere they stay, hidden, until removed by hand).
fn remove_leftovers(parent: &Path, name: &str) {
    let Ok(listing) = fs::read_dir(parent) else { return };
    let proc = Path::new("/proc/self");
    for item in listing.flatten() {
        let file = item.file_name().to_string_lossy().into_owned();
        let pid = [".staging-", ".old-"]
            .iter()
            .find_map(|kind| file.strip_prefix(&format!(".{name}{kind}")).and_then(|pid| pid.parse::<u32>().ok()));
        let Some(pid) = pid else { continue };
        let alive = !proc.exists() || Path::new("/proc").join(pid.to_string()).exists();
        if !alive || pid == std::process::id() {
            let _ = fs::remove_dir_all(item.path());
        }
    }
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

    /// A staged folder is invisible until committed, replaces the old one whole, and is removed if
    /// dropped uncommitted; folders a dead process left beside the target go at the next begin.
    #[test]
    fn a_staged_folder_replaces_the_old_one_whole_or_not_at_all() {
        let dir = std::env::temp_dir().join(format!("mrsim-staged-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let target = dir.join("out");
        let staged = Staged::begin(&target).unwrap();
        staged.write("a.txt", b"first").unwrap();
        staged.write("plots/b.txt", b"first").unwrap();
        assert!(!target.exists(), "nothing visible before the commit");
        staged.commit().unwrap();
        assert_eq!(files_under(&target).unwrap(), [PathBuf::from("a.txt"), PathBuf::from("plots/b.txt")]);

        let staged = Staged::begin(&target).unwrap();
        staged.write("c.txt", b"second").unwrap();
        drop(staged);
        assert_eq!(files_under(&target).unwrap().len(), 2, "an uncommitted folder changes nothing");

        // What a killed process left: pid 0 is never a user process.
        fs::create_dir_all(dir.join(".out.staging-0").join("x")).unwrap();
        fs::create_dir_all(dir.join(".out.old-0")).unwrap();
        fs::create_dir_all(dir.join(".other.old-0")).unwrap();
        write_folder(&target, &[("c.txt", b"second".to_vec())]).unwrap();
        assert_eq!(files_under(&target).unwrap(), [PathBuf::from("c.txt")], "replaced whole");
        let mut left: Vec<_> = fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        left.sort();
        assert_eq!(left, [".other.old-0", "out"].map(std::ffi::OsString::from), "another target's are left alone");
        fs::remove_dir_all(&dir).unwrap();
    }

    /// Only a folder mrsim wrote (every file one `owned` names) may be replaced; the first other
    /// file is named.
    #[test]
    fn only_a_folder_mrsim_wrote_may_be_replaced() {
        let dir = std::env::temp_dir().join(format!("mrsim-replaceable-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let owned = named(&["check.csv", "check.json"]);
        check_replaceable("--out", &dir, &owned).expect("a new folder");
        fs::create_dir_all(&dir).unwrap();
        check_replaceable("--out", &dir, &owned).expect("an empty folder");
        fs::write(dir.join("check.csv"), b"").unwrap();
        check_replaceable("--out", &dir, &owned).expect("a check folder");
        fs::write(dir.join("zz.txt"), b"").unwrap();
        let e = check_replaceable("--out", &dir, &owned).unwrap_err();
        assert!(e.contains("it holds zz.txt, which mrsim did not write there"), "{e}");
        let e = check_replaceable("--out", &dir, &|_: &Path| Err("no manifest".to_string())).unwrap_err();
        assert!(e.contains("it holds check.csv and no manifest"), "{e}");
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
