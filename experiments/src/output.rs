//! Writing result files so that a reader never sees half of one.
//!
//! Every file is written to a temporary name in the same folder and renamed into place, which is
//! atomic on the filesystems mrsim runs on: after a crash or Ctrl-C a result file is either the old
//! one, the new one, or absent, never truncated.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

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

#[cfg(test)]
mod tests {
    use super::*;

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
