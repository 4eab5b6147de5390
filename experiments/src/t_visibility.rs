//! The run folder's `t_visibility.csv`: what each quorum store's staleness probe measured (see
//! `models::stores::quorum`'s probe), written when some store has `probe_after`.
//!
//! One row per (store, t, k): `store,t_ms,k,reads,unanswered,within_k,probability`. `reads` are the
//! probe reads that had R replies, `unanswered` those that did not (a member down), `within_k`
//! the reads that returned one of the last k acknowledged versions as of the probed write (k = 1:
//! the write itself or newer, PBS's t-visibility), and `probability` is `within_k / reads` (empty
//! with no reads). Probe reads count in no other file.

use models::run::RunOutput;

use crate::scenario::Scenario;

/// The file, or `None` when no store has a probe.
pub fn t_visibility_csv(scenario: &Scenario, run: &RunOutput) -> Result<Option<Vec<u8>>, String> {
    if run.recorder.t_visibility.is_empty() {
        return Ok(None);
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["store", "t_ms", "k", "reads", "unanswered", "within_k", "probability"])
        .map_err(|e| e.to_string())?;
    for (store, probe) in &run.recorder.t_visibility {
        let name = &scenario.world.stores[*store].name;
        for row in &probe.rows {
            let t_ms = row.t.as_nanos() as f64 / 1e6;
            for (k, &within) in row.within.iter().enumerate() {
                let p = if row.reads == 0 { String::new() } else { (within as f64 / row.reads as f64).to_string() };
                let record = [
                    name.clone(),
                    t_ms.to_string(),
                    (k + 1).to_string(),
                    row.reads.to_string(),
                    row.unanswered.to_string(),
                    within.to_string(),
                    p,
                ];
                w.write_record(&record).map_err(|e| e.to_string())?;
            }
        }
    }
    w.into_inner().map(Some).map_err(|e| e.to_string())
}
