//! Which share of a sweep's runs this process runs: `--shard K/N`, or the index of an array job.
//!
//! Shards count from 0: run index `i` (in (point, seed) order, `i = point * seeds + seed`) belongs to
//! shard `i mod N`, so every shard gets runs from every part of the grid and the N shards together
//! hold every run exactly once. Without `--shard`, the index comes from the array job mrsim runs in:
//! Slurm (`SLURM_ARRAY_TASK_ID` minus `SLURM_ARRAY_TASK_MIN`, divided by `SLURM_ARRAY_TASK_STEP`;
//! count `SLURM_ARRAY_TASK_COUNT`), a Kubernetes Indexed Job (`JOB_COMPLETION_INDEX`) or an AWS Batch
//! array job (`AWS_BATCH_JOB_ARRAY_INDEX`). Kubernetes and AWS Batch do not export the number of
//! tasks, so the count comes from `MRSIM_SHARD_COUNT`, which also stands in for a missing Slurm count.

use std::fmt;

/// The variable that gives the shard count where the scheduler does not.
pub const COUNT_VARIABLE: &str = "MRSIM_SHARD_COUNT";

/// Every variable that can make a sweep a shard, so tests can clear them.
pub const VARIABLES: &[&str] = &[
    "SLURM_ARRAY_TASK_ID",
    "SLURM_ARRAY_TASK_MIN",
    "SLURM_ARRAY_TASK_STEP",
    "SLURM_ARRAY_TASK_COUNT",
    "JOB_COMPLETION_INDEX",
    "AWS_BATCH_JOB_ARRAY_INDEX",
    COUNT_VARIABLE,
];

/// Shard `index` of `count` (0-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// Parses `K/N` with `0 <= K < N`.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let fail = |why: &str| format!("--shard {text}: {why}; expected K/N with K in 0..N, e.g. --shard 0/3");
        let (k, n) = text.split_once('/').ok_or_else(|| fail("no `/`"))?;
        let index: u32 = k.trim().parse().map_err(|_| fail("K is not a number"))?;
        let count: u32 = n.trim().parse().map_err(|_| fail("N is not a number"))?;
        Shard::new(index, count).map_err(|e| fail(&e))
    }

    fn new(index: u32, count: u32) -> Result<Shard, String> {
        if count == 0 {
            return Err("N must be at least 1".to_string());
        }
        if index >= count {
            return Err(format!("K must be below N (shards count from 0: 0..{})", count - 1));
        }
        Ok(Shard { index, count })
    }

    /// Whether run `run` (its index in (point, seed) order) is this shard's.
    pub fn owns(&self, run: usize) -> bool {
        run % self.count as usize == self.index as usize
    }

    /// The shard of the array job this process runs in, if any, read through `var` (the
    /// environment, or a table in tests).
    pub fn from_environment(var: impl Fn(&str) -> Option<String>) -> Result<Option<Shard>, String> {
        let number = |name: &str| -> Result<Option<u32>, String> {
            match var(name) {
                None => Ok(None),
                Some(v) => v.trim().parse().map(Some).map_err(|_| format!("{name}={v} is not a whole number")),
            }
        };
        let count_from_mrsim = |index_name: &str| -> Result<u32, String> {
            number(COUNT_VARIABLE)?.ok_or_else(|| {
                format!(
                    "{index_name} is set (an array job) but the number of shards is not: set {COUNT_VARIABLE} to the \
                     number of tasks (completions, array size), or pass --shard K/N"
                )
            })
        };
        let (index_name, index, count) = if let Some(id) = number("SLURM_ARRAY_TASK_ID")? {
            let min = number("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
            let step = number("SLURM_ARRAY_TASK_STEP")?.unwrap_or(1).max(1);
            let offset = id
                .checked_sub(min)
                .ok_or_else(|| format!("SLURM_ARRAY_TASK_ID={id} is below SLURM_ARRAY_TASK_MIN={min}"))?;
            let count = match number("SLURM_ARRAY_TASK_COUNT")? {
                Some(n) => n,
                None => count_from_mrsim("SLURM_ARRAY_TASK_ID")?,
            };
            ("SLURM_ARRAY_TASK_ID", offset / step, count)
        } else if let Some(index) = number("JOB_COMPLETION_INDEX")? {
            ("JOB_COMPLETION_INDEX", index, count_from_mrsim("JOB_COMPLETION_INDEX")?)
        } else if let Some(index) = number("AWS_BATCH_JOB_ARRAY_INDEX")? {
            ("AWS_BATCH_JOB_ARRAY_INDEX", index, count_from_mrsim("AWS_BATCH_JOB_ARRAY_INDEX")?)
        } else {
            return Ok(None);
        };
        Shard::new(index, count).map(Some).map_err(|e| format!("shard {index}/{count} from {index_name}: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(pairs: &[(&str, &str)]) -> Result<Option<Shard>, String> {
        Shard::from_environment(|name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string()))
    }

    #[test]
    fn parses_k_of_n_counting_from_zero() {
        assert_eq!(Shard::parse("2/3"), Ok(Shard { index: 2, count: 3 }));
        assert!(Shard::parse("3/3").unwrap_err().contains("below N"));
        assert!(Shard::parse("1/0").unwrap_err().contains("at least 1"));
        assert!(Shard::parse("x").unwrap_err().contains("no `/`"));
        assert!(Shard::parse("a/2").unwrap_err().contains("K is not a number"));
        let s = Shard { index: 1, count: 3 };
        assert_eq!((0..7).filter(|&i| s.owns(i)).collect::<Vec<_>>(), [1, 4]);
    }

    #[test]
    fn reads_slurm_kubernetes_and_aws_batch_array_indices() {
        assert_eq!(from(&[]), Ok(None));
        let slurm = [("SLURM_ARRAY_TASK_ID", "5"), ("SLURM_ARRAY_TASK_MIN", "4"), ("SLURM_ARRAY_TASK_COUNT", "3")];
        assert_eq!(from(&slurm), Ok(Some(Shard { index: 1, count: 3 })));
        let stepped = [("SLURM_ARRAY_TASK_ID", "4"), ("SLURM_ARRAY_TASK_STEP", "2"), ("SLURM_ARRAY_TASK_COUNT", "3")];
        assert_eq!(from(&stepped), Ok(Some(Shard { index: 2, count: 3 })));
        let k8s = [("JOB_COMPLETION_INDEX", "2"), ("MRSIM_SHARD_COUNT", "4")];
        assert_eq!(from(&k8s), Ok(Some(Shard { index: 2, count: 4 })));
        let batch = [("AWS_BATCH_JOB_ARRAY_INDEX", "0"), ("MRSIM_SHARD_COUNT", "2")];
        assert_eq!(from(&batch), Ok(Some(Shard { index: 0, count: 2 })));
        let no_count = from(&[("JOB_COMPLETION_INDEX", "2")]).unwrap_err();
        assert!(no_count.contains("JOB_COMPLETION_INDEX") && no_count.contains("MRSIM_SHARD_COUNT"), "{no_count}");
        let too_big = from(&[("AWS_BATCH_JOB_ARRAY_INDEX", "2"), ("MRSIM_SHARD_COUNT", "2")]).unwrap_err();
        assert!(too_big.contains("AWS_BATCH_JOB_ARRAY_INDEX"), "{too_big}");
    }
}
