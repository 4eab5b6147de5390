//! `--history`: the run's operations as JSON lines and as a Jepsen EDN history.
//!
//! Both files are streamed while the run goes (the world never buffers a history) into temporary
//! files in the output folder, and renamed into place only when the run has succeeded, so a failed
//! run leaves no half-written history. In EDN, values follow Jepsen's independent-register
//! convention, `[key value]`, so `jepsen.independent` checkers split the history per key.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use models::history::{HistoryEntry, HistorySink, HistoryType};

/// Writes both history files.
pub struct HistoryFiles {
    jsonl: BufWriter<File>,
    edn: BufWriter<File>,
    paths: [(PathBuf, PathBuf); 2],
    regions: Vec<String>,
    stores: Vec<String>,
    /// The first write error, reported when the run ends.
    error: Option<String>,
}

impl HistoryFiles {
    /// Opens `history.jsonl` and `history.edn` in `dir` (as temporaries until [`Self::commit`]).
    pub fn create(dir: &Path, regions: Vec<String>, stores: Vec<String>) -> Result<Self, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create folder {}: {e}", dir.display()))?;
        let pair = |name: &str| (dir.join(format!(".{name}.{}.tmp", std::process::id())), dir.join(name));
        let paths = [pair("history.jsonl"), pair("history.edn")];
        let open =
            |p: &Path| File::create(p).map(BufWriter::new).map_err(|e| format!("cannot write {}: {e}", p.display()));
        Ok(HistoryFiles { jsonl: open(&paths[0].0)?, edn: open(&paths[1].0)?, paths, regions, stores, error: None })
    }

    /// Flushes and renames both files into place; on an earlier write error, removes them instead.
    pub fn commit(mut self) -> Result<Vec<PathBuf>, String> {
        let flushed = self.jsonl.flush().and_then(|_| self.edn.flush()).map_err(|e| e.to_string());
        if let Some(e) = self.error.take().or(flushed.err()) {
            self.discard();
            return Err(format!("writing the history failed: {e}"));
        }
        for (temporary, path) in &self.paths {
            std::fs::rename(temporary, path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        Ok(self.paths.iter().map(|(_, p)| p.clone()).collect())
    }

    /// Removes the temporaries (a failed run).
    pub fn discard(&self) {
        for (temporary, _) in &self.paths {
            let _ = std::fs::remove_file(temporary);
        }
    }

    fn lines(&self, e: &HistoryEntry) -> (String, String) {
        let f = e.operation.name();
        let value_json = e.value.map_or("null".to_string(), |v| v.to_string());
        let region_json = e.region.map_or("null".to_string(), |r| format!("{:?}", self.regions[r.index()]));
        let store = &self.stores[e.store.index()];
        let jsonl = format!(
            "{{\"type\":\"{}\",\"process\":{},\"f\":\"{f}\",\"store\":{store:?},\"key\":{},\"value\":{value_json},\"region\":{region_json},\"time_ns\":{}}}\n",
            e.history_type.name(),
            e.process,
            e.key.0,
            e.time.as_nanos()
        );
        let value_edn = e.value.map_or("nil".to_string(), |v| v.to_string());
        let region_edn = e.region.map_or("nil".to_string(), |r| format!("{:?}", self.regions[r.index()]));
        let edn = format!(
            "{{:type :{}, :f :{}, :value [{} {value_edn}], :process {}, :time {}, :store {store:?}, :region {region_edn}}}\n",
            e.history_type.name(),
            f.replace('_', "-"),
            e.key.0,
            e.process,
            e.time.as_nanos()
        );
        (jsonl, edn)
    }
}

impl HistorySink for HistoryFiles {
    fn record(&mut self, entry: &HistoryEntry) {
        if self.error.is_some() {
            return;
        }
        let (jsonl, edn) = self.lines(entry);
        let written = self.jsonl.write_all(jsonl.as_bytes()).and_then(|_| self.edn.write_all(edn.as_bytes()));
        if let Err(e) = written {
            self.error = Some(e.to_string());
        }
    }
}

/// Completion types in the order Jepsen documents them, for tests and readers.
pub const TYPES: [HistoryType; 4] = [HistoryType::Invoke, HistoryType::Ok, HistoryType::Fail, HistoryType::Info];
