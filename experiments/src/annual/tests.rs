use super::*;

#[test]
fn placeholder_poisson_mean() {
    let mut rng = Seed(7).stream("t");
    let n = 20_000;
    let sum: u64 = (0..n).map(|_| u64::from(poisson(1.5, &mut rng))).sum();
    let mean = sum as f64 / n as f64;
    assert!((mean - 1.5).abs() < 0.05, "{mean}");
}
