//! `--history`: the run's operations as JSON lines and as a Jepsen EDN history.
//!
//! Both files are streamed while the run goes (the world never buffers a history) into the output
//! folder being staged (see [`crate::output::Staged`]), which a failed run never swaps in, so it
//! leaves no half-written history. Each file's size and FNV-1a hash are kept as it is written, for
//! the manifest. In EDN, values follow Jepsen's independent-register
//! convention, `[key value]`, so `jepsen.independent` checkers split the history per key.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use models::history::{HistoryEntry, HistorySink, HistoryType};

/// Writes both history files.
pub struct HistoryFiles {
    jsonl: Hashed,
    edn: Hashed,
    regions: Vec<String>,
    stores: Vec<String>,
    /// The first write error, reported when the run ends.
    error: Option<String>,
}

impl HistoryFiles {
    /// Opens `history.jsonl` and `history.edn` in `dir`, the staging folder of the run's output.
    pub fn create(dir: &Path, regions: Vec<String>, stores: Vec<String>) -> Result<Self, String> {
        Ok(HistoryFiles {
            jsonl: Hashed::create(dir, "history.jsonl")?,
            edn: Hashed::create(dir, "history.edn")?,
            regions,
            stores,
            error: None,
        })
    }

    /// Flushes both files and returns each one's name, size and FNV-1a hash, for the manifest.
    pub fn finish(mut self) -> Result<[(String, u64, u64); 2], String> {
        let flushed = self.jsonl.file.flush().and_then(|_| self.edn.file.flush()).map_err(|e| e.to_string());
        if let Some(e) = self.error.take().or(flushed.err()) {
            return Err(format!("writing the history failed: {e}"));
        }
        Ok([self.jsonl.entry(), self.edn.entry()])
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
        let written = self.jsonl.write(jsonl.as_bytes()).and_then(|_| self.edn.write(edn.as_bytes()));
        if let Err(e) = written {
            self.error = Some(e.to_string());
        }
    }
}

/// A file written through a buffer, with its size and FNV-1a hash kept as it goes.
struct Hashed {
    name: &'static str,
    file: BufWriter<File>,
    bytes: u64,
    fnv1a64: u64,
}

impl Hashed {
    fn create(dir: &Path, name: &'static str) -> Result<Self, String> {
        let path = dir.join(name);
        let file = File::create(&path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(Hashed { name, file: BufWriter::new(file), bytes: 0, fnv1a64: sim_core::rng::FNV1A64_START })
    }

    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.bytes += bytes.len() as u64;
        self.fnv1a64 = sim_core::rng::fnv1a64_continue(self.fnv1a64, bytes);
        self.file.write_all(bytes)
    }

    fn entry(&self) -> (String, u64, u64) {
        (self.name.to_string(), self.bytes, self.fnv1a64)
    }
}

/// Completion types in the order Jepsen documents them, for tests and readers.
pub const TYPES: [HistoryType; 4] = [HistoryType::Invoke, HistoryType::Ok, HistoryType::Fail, HistoryType::Info];
