//! Means and 95% confidence intervals over a grid point's seeds, computed the same way on every
//! machine and with any number of threads.
//!
//! The half-width is Student's t: `t(0.975, n - 1) * s / sqrt(n)` with `s` the sample standard
//! deviation (n - 1 in the denominator); with one value there is no interval. The t quantile is
//! computed, not looked up: the two-sided probability `A(t | v) = P(|T| < t)` of Student's t with an
//! integer number of degrees of freedom `v` has a closed form (Abramowitz and Stegun 26.7.3 and
//! 26.7.4, a finite series in `cos(atan(t / sqrt(v)))`), which is solved for `A = 0.95` by
//! bisection. It uses `libm`, so the digits do not depend on the platform's math library, and it
//! matches the printed tables (12.706 for one degree of freedom, 2.262 for 9, 2.042 for 30, 1.984
//! for 100). Values are summed sequentially in the order given: callers pass runs in seed order.

use std::f64::consts::PI;

/// `P(|T| < t)` for Student's t with `dof` degrees of freedom (A&S 26.7.3 and 26.7.4).
pub fn t_two_sided_probability(t: f64, dof: u32) -> f64 {
    let v = f64::from(dof);
    let theta = libm::atan(t / libm::sqrt(v));
    let (s, c) = (libm::sin(theta), libm::cos(theta));
    let c2 = c * c;
    if dof % 2 == 0 {
        // sin(theta) * (1 + 1/2 c^2 + 1*3/(2*4) c^4 + ... up to c^(v-2)).
        let (mut term, mut sum) = (1.0, 1.0);
        for k in 1..=(dof - 2) / 2 {
            term *= f64::from(2 * k - 1) / f64::from(2 * k) * c2;
            sum += term;
        }
        s * sum
    } else if dof == 1 {
        2.0 * theta / PI
    } else {
        // 2/pi * (theta + sin cos (1 + 2/3 c^2 + 2*4/(3*5) c^4 + ... up to c^(v-3))).
        let (mut term, mut sum) = (1.0, 1.0);
        for k in 1..=(dof - 3) / 2 {
            term *= f64::from(2 * k) / f64::from(2 * k + 1) * c2;
            sum += term;
        }
        2.0 / PI * (theta + s * c * sum)
    }
}

/// The 0.975 quantile of Student's t with `dof` (>= 1) degrees of freedom.
pub fn t_975(dof: u32) -> f64 {
    assert!(dof >= 1, "Student's t needs at least one degree of freedom");
    // The quantile falls from 12.7 (one degree of freedom) towards 1.96; 100 halvings of [0, 16]
    // reach the last bit of a double.
    let (mut low, mut high) = (0.0_f64, 16.0_f64);
    for _ in 0..100 {
        let middle = 0.5 * (low + high);
        if t_two_sided_probability(middle, dof) < 0.95 {
            low = middle;
        } else {
            high = middle;
        }
    }
    0.5 * (low + high)
}

/// The mean of `values` and the half-width of its 95% confidence interval (None with fewer than
/// two values); both None when there are no values.
pub fn mean_ci95(values: &[f64]) -> (Option<f64>, Option<f64>) {
    if values.is_empty() {
        return (None, None);
    }
    let n = values.len() as f64;
    let mean = values.iter().fold(0.0, |sum, v| sum + v) / n;
    if values.len() < 2 {
        return (Some(mean), None);
    }
    let squares = values.iter().fold(0.0, |sum, v| sum + (v - mean) * (v - mean));
    let sd = libm::sqrt(squares / (n - 1.0));
    let dof = u32::try_from(values.len() - 1).unwrap_or(u32::MAX);
    (Some(mean), Some(t_975(dof) * sd / libm::sqrt(n)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_the_printed_table() {
        // Student's t, two-sided 95%, from any statistics table (three decimals).
        let table = [
            (1, 12.706),
            (2, 4.303),
            (3, 3.182),
            (4, 2.776),
            (5, 2.571),
            (9, 2.262),
            (10, 2.228),
            (19, 2.093),
            (30, 2.042),
            (60, 2.000),
            (100, 1.984),
            (1000, 1.962),
        ];
        for (dof, expected) in table {
            let t = t_975(dof);
            assert!((t - expected).abs() < 0.0006, "dof {dof}: {t} vs {expected}");
        }
        assert!((t_975(1) - 12.706_204_736_174_7).abs() < 1e-9, "{}", t_975(1));
    }

    #[test]
    fn mean_and_interval_of_known_values() {
        assert_eq!(mean_ci95(&[]), (None, None));
        assert_eq!(mean_ci95(&[3.0]), (Some(3.0), None));
        let (mean, half) = mean_ci95(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(mean, Some(2.5));
        // s = sqrt(5/3), t(3) = 3.182446..., half = t * s / 2.
        let expected = 3.182_446_305_284_263 * (5.0_f64 / 3.0).sqrt() / 2.0;
        assert!((half.unwrap() - expected).abs() < 1e-9, "{half:?}");
        assert_eq!(mean_ci95(&[7.0, 7.0, 7.0]), (Some(7.0), Some(0.0)));
    }
}
