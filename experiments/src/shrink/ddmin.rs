//! Delta debugging (Zeller and Hildebrandt's ddmin) over a list: the smallest sub-list, in the
//! list's order, that a test still fails on, found by trying halves, then quarters, and so on.
//!
//! Guarantee: when it is not stopped, the result is 1-minimal: the test fails on it, and on no list
//! that leaves out one more element (every such list was tried at the last granularity, or is the
//! empty list, which is tried first). ddmin may ask about the same sub-list twice; the caller
//! caches verdicts (shrink does, by the candidate's text). The test answers `Some(true)` (still fails), `Some(false)` (passes, or cannot be judged: an
//! invalid candidate is not a failure) or `None` (the budget is spent): then ddmin stops at once
//! and returns the smallest failing list it has, marked as stopped.

/// What [`ddmin`] returns: the smallest failing list found, and whether the budget stopped it
/// before it could show that list 1-minimal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reduced<T> {
    pub kept: Vec<T>,
    pub stopped: bool,
}

/// Reduces `items`, on which `fails` is assumed to fail, to a 1-minimal failing sub-list.
pub fn ddmin<T: Clone>(items: &[T], fails: &mut dyn FnMut(&[T]) -> Option<bool>) -> Reduced<T> {
    let mut kept = items.to_vec();
    let stop = |kept: Vec<T>| Reduced { kept, stopped: true };
    if kept.is_empty() {
        return Reduced { kept, stopped: false };
    }
    match fails(&[]) {
        None => return stop(kept),
        Some(true) => return Reduced { kept: Vec::new(), stopped: false },
        Some(false) => {}
    }
    let mut n = 2usize;
    // Each pass either shrinks `kept` or doubles `n` up to `kept.len()`: at most
    // |items| * log2(|items|) passes, each with at most 2n tests.
    while kept.len() >= 2 {
        let chunks = split(&kept, n);
        let mut reduced = None;
        for chunk in &chunks {
            match fails(chunk) {
                None => return stop(kept),
                Some(true) => {
                    reduced = Some((chunk.clone(), 2));
                    break;
                }
                Some(false) => {}
            }
        }
        // With two chunks each complement is the other chunk, already tried.
        if reduced.is_none() && chunks.len() > 2 {
            for i in 0..chunks.len() {
                let complement: Vec<T> =
                    chunks.iter().enumerate().filter(|(j, _)| *j != i).flat_map(|(_, c)| c.iter().cloned()).collect();
                match fails(&complement) {
                    None => return stop(kept),
                    Some(true) => {
                        reduced = Some((complement, (n - 1).max(2)));
                        break;
                    }
                    Some(false) => {}
                }
            }
        }
        match reduced {
            Some((smaller, next)) => {
                kept = smaller;
                n = next.min(kept.len().max(2));
            }
            None if n >= kept.len() => break,
            None => n = (2 * n).min(kept.len()),
        }
    }
    Reduced { kept, stopped: false }
}

/// `items` in `n` contiguous chunks of nearly equal length (the first ones one longer).
fn split<T: Clone>(items: &[T], n: usize) -> Vec<Vec<T>> {
    let n = n.min(items.len()).max(1);
    let (size, extra) = (items.len() / n, items.len() % n);
    let mut chunks = Vec::with_capacity(n);
    let mut at = 0;
    for i in 0..n {
        let len = size + usize::from(i < extra);
        chunks.push(items[at..at + len].to_vec());
        at += len;
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    type Predicate = dyn Fn(&BTreeSet<u32>) -> bool;

    /// Runs ddmin with a predicate over sets of numbers, counting distinct tests.
    fn reduce(items: &[u32], fails: impl Fn(&BTreeSet<u32>) -> bool) -> (Vec<u32>, usize) {
        let mut seen = BTreeSet::new();
        let mut test = |c: &[u32]| {
            seen.insert(c.to_vec());
            Some(fails(&c.iter().copied().collect()))
        };
        let r = ddmin(items, &mut test);
        assert!(!r.stopped);
        (r.kept, seen.len())
    }

    /// Every list one element shorter than `kept` passes: the result is 1-minimal.
    fn assert_one_minimal(kept: &[u32], fails: impl Fn(&BTreeSet<u32>) -> bool) {
        let set: BTreeSet<u32> = kept.iter().copied().collect();
        assert!(fails(&set), "the result {kept:?} must still fail");
        for x in kept {
            let mut smaller = set.clone();
            smaller.remove(x);
            assert!(!fails(&smaller), "{kept:?} without {x} still fails: not 1-minimal");
        }
    }

    #[test]
    fn finds_the_pair_that_fails_together() {
        let items: Vec<u32> = (0..16).collect();
        let fails = |s: &BTreeSet<u32>| s.contains(&3) && s.contains(&12);
        let (kept, tests) = reduce(&items, fails);
        assert_eq!(kept, [3, 12]);
        assert_one_minimal(&kept, fails);
        assert!(tests < 40, "ddmin took {tests} tests for 16 items");
    }

    #[test]
    fn a_single_culprit_and_the_empty_list() {
        let items: Vec<u32> = (0..9).collect();
        let (kept, _) = reduce(&items, |s| s.contains(&7));
        assert_eq!(kept, [7]);
        let (kept, tests) = reduce(&items, |_| true);
        assert_eq!((kept, tests), (vec![], 1), "a test that fails on nothing keeps nothing, after one try");
        assert_eq!(reduce(&[], |_| true).0, Vec::<u32>::new());
        assert_eq!(reduce(&[5], |s| s.contains(&5)).0, [5]);
    }

    /// A predicate with two separate minimal causes and a threshold: the result is one of the
    /// 1-minimal sets, never a superset with a removable element.
    #[test]
    fn one_minimal_on_many_predicates() {
        let items: Vec<u32> = (0..12).collect();
        let predicates: Vec<Box<Predicate>> = vec![
            Box::new(|s| (s.contains(&1) && s.contains(&2)) || s.contains(&9)),
            Box::new(|s| s.iter().filter(|x| *x % 2 == 0).count() >= 3),
            Box::new(|s| s.contains(&0) && s.contains(&5) && s.contains(&11)),
            Box::new(|s| s.iter().sum::<u32>() >= 30),
        ];
        for fails in predicates {
            let (kept, _) = reduce(&items, &fails);
            assert_one_minimal(&kept, &fails);
        }
    }

    #[test]
    fn a_spent_budget_stops_with_the_smallest_failing_list_so_far() {
        let items: Vec<u32> = (0..16).collect();
        let mut calls = 0;
        let mut test = |c: &[u32]| {
            calls += 1;
            if calls > 3 {
                return None;
            }
            Some(c.contains(&3))
        };
        let r = ddmin(&items, &mut test);
        assert!(r.stopped);
        assert!(r.kept.contains(&3) && r.kept.len() < 16, "{:?}", r.kept);
    }

    #[test]
    fn chunks_cover_the_list_in_order() {
        assert_eq!(split(&[1, 2, 3, 4, 5], 2), vec![vec![1, 2, 3], vec![4, 5]]);
        assert_eq!(split(&[1, 2, 3], 3), vec![vec![1], vec![2], vec![3]]);
        assert_eq!(split(&[1, 2], 5), vec![vec![1], vec![2]]);
    }
}
