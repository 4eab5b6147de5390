//! Key choice: which item of a store each operation touches.
//!
//! This module owns [`KeyChoice`] (uniform, Zipf, hot set), its validation, and [`KeySampler`], which
//! draws keys numbered `0..keys`. For Zipf, key 0 is rank 1, the most popular; for a hot set, the hot
//! keys are `0..hot_count`.
//!
//! Guarantees:
//! - Memory is O(1) whatever the number of keys: Zipf is sampled by rejection-inversion (Hörmann and
//!   Derflinger 1996), not from a table of its distribution function, so `keys = 10^12` costs the same
//!   as `keys = 10`.
//! - All floating-point functions come from the `libm` crate, so a seed picks the same keys on every
//!   machine.
//! - Draws per sample are documented on [`KeySampler::sample`]: fixed for uniform and hot set (but for
//!   the rare retry of [`Stream::below`]), one per attempt for Zipf, whose expected attempts are close
//!   to one and capped.

use sim_core::Stream;

use crate::ids::Key;

/// How an operation picks its key among `keys` keys numbered `0..keys`.
#[derive(Clone, Debug, PartialEq)]
pub enum KeyChoice {
    /// Every key equally likely.
    Uniform { keys: u64 },
    /// Key `k` (rank `k + 1`) with probability proportional to `1 / (k + 1)^exponent`. An exponent of 0
    /// is uniform; web and key-value workloads are often near 1.
    Zipf { keys: u64, exponent: f64 },
    /// The first `ceil(keys * hot_key_fraction)` keys receive `hot_traffic_fraction` of the operations,
    /// uniformly among themselves; the other keys share the rest uniformly.
    HotSet { keys: u64, hot_key_fraction: f64, hot_traffic_fraction: f64 },
}

impl KeyChoice {
    /// The number of keys operations are spread over.
    pub fn keys(&self) -> u64 {
        match *self {
            KeyChoice::Uniform { keys } | KeyChoice::Zipf { keys, .. } | KeyChoice::HotSet { keys, .. } => keys,
        }
    }

    /// Checks the parameters; the message says what was found and what is accepted.
    pub fn validate(&self) -> Result<(), String> {
        let keys = self.keys();
        if keys == 0 {
            return Err("keys is 0; expected at least 1 key".to_string());
        }
        match *self {
            KeyChoice::Uniform { .. } => Ok(()),
            KeyChoice::Zipf { exponent, .. } => {
                if exponent.is_finite() && exponent >= 0.0 {
                    Ok(())
                } else {
                    Err(format!(
                        "Zipf exponent is {exponent}; expected a finite number >= 0 (0 is uniform, 1 is classic Zipf)"
                    ))
                }
            }
            KeyChoice::HotSet { hot_key_fraction, hot_traffic_fraction, .. } => {
                check_fraction("hot_key_fraction", hot_key_fraction)?;
                check_fraction("hot_traffic_fraction", hot_traffic_fraction)?;
                if hot_count(keys, hot_key_fraction) == 0 {
                    return Err(format!(
                        "hot_key_fraction {hot_key_fraction} of {keys} keys makes no hot key; expected \
                         ceil(keys * hot_key_fraction) >= 1"
                    ));
                }
                Ok(())
            }
        }
    }
}

fn check_fraction(name: &str, value: f64) -> Result<(), String> {
    // `value > 0.0` is false for NaN, so NaN is rejected here too.
    if value > 0.0 && value <= 1.0 { Ok(()) } else { Err(format!("{name} is {value}; expected a fraction in (0, 1]")) }
}

/// `ceil(keys * fraction)`, clamped to `keys`. A product above an integer by a relative 1e-9 or less
/// counts as that integer, so that `100 * 0.07` (7.000000000000001 in floating point) makes 7 hot keys,
/// not 8.
fn hot_count(keys: u64, fraction: f64) -> u64 {
    let exact = keys as f64 * fraction;
    let below = libm::floor(exact);
    let count = if exact - below <= 1e-9 * exact { below } else { libm::ceil(exact) };
    // `as` saturates, and NaN (impossible after validation) becomes 0.
    (count as u64).min(keys)
}

/// Draws keys for one [`KeyChoice`]. Built once (the Zipf constants are precomputed); sampling does
/// not change it, so one sampler can serve many streams.
#[derive(Clone, Debug)]
pub struct KeySampler {
    kind: SamplerKind,
}

#[derive(Clone, Debug)]
enum SamplerKind {
    Uniform { keys: u64 },
    Zipf(Zipf),
    HotSet { hot: u64, cold: u64, hot_traffic_fraction: f64 },
}

impl KeySampler {
    /// Validates `choice` and precomputes what sampling needs.
    pub fn new(choice: &KeyChoice) -> Result<KeySampler, String> {
        choice.validate()?;
        let kind = match *choice {
            KeyChoice::Uniform { keys } => SamplerKind::Uniform { keys },
            // Exponent 0 is exactly uniform; sampling it as such makes `Zipf { s: 0 }` and `Uniform`
            // pick the same keys from the same stream.
            KeyChoice::Zipf { keys, exponent: 0.0 } => SamplerKind::Uniform { keys },
            KeyChoice::Zipf { keys, exponent } => SamplerKind::Zipf(Zipf::new(keys, exponent)),
            KeyChoice::HotSet { keys, hot_key_fraction, hot_traffic_fraction } => {
                let hot = hot_count(keys, hot_key_fraction);
                SamplerKind::HotSet { hot, cold: keys - hot, hot_traffic_fraction }
            }
        };
        Ok(KeySampler { kind })
    }

    /// The next key.
    ///
    /// Draws from `rng`:
    /// - uniform (and Zipf with exponent 0): one [`Stream::below`], which is one `next_u64` and, with
    ///   probability below `keys / 2^64`, more;
    /// - hot set: one `next_f64` (hot or cold), then one [`Stream::below`] within the group, always both,
    ///   even when one group is empty;
    /// - Zipf: one `next_f64` per attempt. Nearly every attempt is accepted (measured mean attempts:
    ///   1.0003 at exponent 0.5, 1.003 at 1, 1.008 at 1.5, 1.016 at 2.5, over 1000 keys); after
    ///   [`ZIPF_MAX_ATTEMPTS`] rejections in a row, which at those rates has a probability below
    ///   10^-100, the last candidate is returned.
    pub fn sample(&self, rng: &mut Stream) -> Key {
        match &self.kind {
            SamplerKind::Uniform { keys } => Key(rng.below(*keys)),
            SamplerKind::Zipf(zipf) => Key(zipf.sample(rng).0 - 1),
            SamplerKind::HotSet { hot, cold, hot_traffic_fraction } => {
                let pick_hot = rng.next_f64() < *hot_traffic_fraction;
                if pick_hot || *cold == 0 { Key(rng.below(*hot)) } else { Key(hot + rng.below(*cold)) }
            }
        }
    }
}

/// Attempts of the Zipf rejection loop before giving up on exactness: every loop has a limit.
pub const ZIPF_MAX_ATTEMPTS: u32 = 64;

/// Zipf over ranks `1..=n` by rejection-inversion (W. Hörmann, G. Derflinger, "Rejection-inversion to
/// generate variates from monotone discrete distributions", ACM TOMACS 6(3), 1996), the method of
/// Apache Commons RNG's `RejectionInversionZipfSampler`.
///
/// The idea: `h(x) = x^-s` is decreasing, so the area under it from `k - 1/2` to `k + 1/2` is at least
/// `h(k)`'s share. Invert the integral `H` of `h` to sample a continuous `x` with density proportional
/// to `h` on `[1/2, n + 1/2]` (shifted so rank 1 gets exactly mass `h(1)`), round it to the nearest
/// rank `k`, and accept when `u` falls in the part of `k`'s interval whose area is exactly `h(k)`.
/// Only `H`, `H^-1` and `h` are needed: O(1) memory and time for any `n`.
#[derive(Clone, Debug)]
struct Zipf {
    n: u64,
    exponent: f64,
    /// `H(3/2) - 1`: the lower end of the `u` range, so rank 1 covers `[H(3/2) - h(1), H(3/2)]`.
    h_integral_x1: f64,
    /// `H(n + 1/2)`: the upper end of the `u` range.
    h_integral_n: f64,
    /// A shortcut: when `k - x <= s`, `x` lies in the accepted part of `k`'s interval for every `k >= 2`
    /// (the squeeze of the paper), so `H(k + 1/2)` need not be computed.
    squeeze: f64,
}

impl Zipf {
    fn new(n: u64, exponent: f64) -> Zipf {
        let mut z = Zipf { n, exponent, h_integral_x1: 0.0, h_integral_n: 0.0, squeeze: 0.0 };
        z.h_integral_x1 = z.h_integral(1.5) - 1.0;
        z.h_integral_n = z.h_integral(n as f64 + 0.5);
        z.squeeze = 2.0 - z.h_integral_inverse(z.h_integral(2.5) - z.h(2.0));
        z
    }

    /// A rank in `1..=n` and the attempts it took.
    fn sample(&self, rng: &mut Stream) -> (u64, u32) {
        let mut k = 1;
        for attempt in 1..=ZIPF_MAX_ATTEMPTS {
            // `u` is uniform in (h_integral_x1, h_integral_n]: next_f64 is in [0, 1).
            let u = self.h_integral_n + rng.next_f64() * (self.h_integral_x1 - self.h_integral_n);
            let x = self.h_integral_inverse(u);
            // `as` saturates and maps NaN to 0; the clamp absorbs rounding at both ends.
            k = ((x + 0.5) as u64).clamp(1, self.n);
            if k as f64 - x <= self.squeeze || u >= self.h_integral(k as f64 + 0.5) - self.h(k as f64) {
                return (k, attempt);
            }
        }
        (k, ZIPF_MAX_ATTEMPTS)
    }

    /// `h(x) = x^-s`.
    fn h(&self, x: f64) -> f64 {
        libm::exp(-self.exponent * libm::log(x))
    }

    /// `H(x) = (x^(1-s) - 1) / (1 - s)`, which is `ln x` at `s = 1`; written through `expm1(y) / y` so
    /// that it stays accurate for `s` near 1.
    fn h_integral(&self, x: f64) -> f64 {
        let log_x = libm::log(x);
        expm1_over_x((1.0 - self.exponent) * log_x) * log_x
    }

    /// The inverse of [`Zipf::h_integral`]: `(1 + (1 - s) y)^(1 / (1 - s))`, written through
    /// `log1p(t) / t`. `t` is clamped at -1, where the true inverse is at `x = 0` or beyond.
    fn h_integral_inverse(&self, y: f64) -> f64 {
        let t = (y * (1.0 - self.exponent)).max(-1.0);
        libm::exp(log1p_over_x(t) * y)
    }
}

/// `log1p(x) / x`, with its Taylor series near 0 where the division loses precision (its limit is 1).
fn log1p_over_x(x: f64) -> f64 {
    if x.abs() > 1e-8 { libm::log1p(x) / x } else { 1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x)) }
}

/// `expm1(x) / x`, with its Taylor series near 0 (its limit is 1).
fn expm1_over_x(x: f64) -> f64 {
    if x.abs() > 1e-8 { libm::expm1(x) / x } else { 1.0 + x * 0.5 * (1.0 + x * (1.0 / 3.0) * (1.0 + 0.25 * x)) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::Seed;

    fn sampler(choice: KeyChoice) -> KeySampler {
        KeySampler::new(&choice).unwrap_or_else(|e| panic!("{choice:?} should be valid: {e}"))
    }

    /// `(frequency - p) / standard error` of `count` hits out of `n` draws, each with probability `p`.
    fn z_score(count: u64, n: u64, p: f64) -> f64 {
        let se = (p * (1.0 - p) / n as f64).sqrt();
        (count as f64 / n as f64 - p) / se
    }

    #[test]
    fn validate_names_what_was_found_and_what_is_accepted() {
        let bad = [
            (KeyChoice::Uniform { keys: 0 }, "expected at least 1 key"),
            (KeyChoice::Zipf { keys: 10, exponent: -0.5 }, "expected a finite number >= 0"),
            (KeyChoice::Zipf { keys: 10, exponent: f64::NAN }, "exponent is NaN"),
            (KeyChoice::Zipf { keys: 10, exponent: f64::INFINITY }, "expected a finite number >= 0"),
            (KeyChoice::HotSet { keys: 10, hot_key_fraction: 0.0, hot_traffic_fraction: 0.5 }, "in (0, 1]"),
            (KeyChoice::HotSet { keys: 10, hot_key_fraction: 0.1, hot_traffic_fraction: 1.5 }, "in (0, 1]"),
            (KeyChoice::HotSet { keys: 10, hot_key_fraction: f64::NAN, hot_traffic_fraction: 0.5 }, "NaN"),
        ];
        for (choice, expected) in bad {
            let e = choice.validate().expect_err(&format!("{choice:?} should be rejected"));
            assert!(e.contains(expected), "{choice:?}: {e}");
            assert!(KeySampler::new(&choice).is_err());
        }
        // 1 key with a tiny fraction still has ceil(...) = 1 hot key.
        assert_eq!(KeyChoice::HotSet { keys: 1, hot_key_fraction: 1e-9, hot_traffic_fraction: 0.5 }.validate(), Ok(()));
        assert_eq!(KeyChoice::Zipf { keys: 1, exponent: 0.0 }.validate(), Ok(()));
    }

    #[test]
    fn hot_count_ignores_floating_point_noise_in_the_product() {
        assert_eq!(hot_count(100, 0.07), 7, "100 * 0.07 is 7.000000000000001 in floating point");
        assert_eq!(hot_count(1000, 0.1), 100);
        assert_eq!(hot_count(10, 0.15), 2, "1.5 rounds up");
        assert_eq!(hot_count(3, 1.0), 3);
        assert_eq!(hot_count(1_000_000_000_000, 1e-12), 1);
    }

    /// Exact pmf of Zipf over `n` ranks, normalised by the generalised harmonic number summed from the
    /// smallest term up (so the sum is accurate). It uses the platform's `powf` on purpose: the oracle
    /// should not share the sampler's `libm` calls.
    fn zipf_pmf(n: u64, s: f64) -> Vec<f64> {
        let weights: Vec<f64> = (1..=n).map(|k| (k as f64).powf(-s)).collect();
        let harmonic: f64 = weights.iter().rev().sum();
        weights.iter().map(|w| w / harmonic).collect()
    }

    #[test]
    fn zipf_frequencies_match_the_exact_pmf() {
        const KEYS: u64 = 1000;
        const DRAWS: u64 = 400_000;
        for s in [0.5, 1.0, 1.5, 2.5] {
            let pmf = zipf_pmf(KEYS, s);
            let keys = sampler(KeyChoice::Zipf { keys: KEYS, exponent: s });
            let mut rng = Seed(0x21bf).stream(&format!("zipf-{s}"));
            let mut counts = vec![0u64; KEYS as usize];
            for _ in 0..DRAWS {
                counts[keys.sample(&mut rng).0 as usize] += 1;
            }
            // Ranks 1..=5 one by one, then ranks 6..=100 and 101..=1000 as buckets.
            let mut cells: Vec<(String, u64, f64)> =
                (0..5).map(|k| (format!("rank {}", k + 1), counts[k], pmf[k])).collect();
            for (lo, hi) in [(5usize, 100usize), (100, 1000)] {
                let p = pmf[lo..hi].iter().rev().sum();
                cells.push((format!("ranks {}..={hi}", lo + 1), counts[lo..hi].iter().sum(), p));
            }
            let mut worst = 0.0f64;
            for (name, count, p) in &cells {
                let z = z_score(*count, DRAWS, *p);
                worst = worst.max(z.abs());
                assert!(z.abs() < 4.0, "s={s} {name}: {count} of {DRAWS} vs p={p:.6}: z={z:.2}");
            }
            eprintln!("zipf s={s}: largest |z| over 7 cells = {worst:.2}");
        }
    }

    #[test]
    fn zipf_needs_few_attempts() {
        for s in [0.1, 0.5, 0.9, 1.0, 1.1, 1.5, 2.5, 5.0, 20.0] {
            for keys in [2, 1000, 1_000_000_000_000] {
                let zipf = Zipf::new(keys, s);
                let mut rng = Seed(3).stream("attempts");
                let attempts: u64 = (0..20_000).map(|_| u64::from(zipf.sample(&mut rng).1)).sum();
                let mean = attempts as f64 / 20_000.0;
                assert!(mean < 1.05, "s={s} keys={keys}: mean attempts {mean}");
            }
        }
    }

    #[test]
    fn zipf_over_a_trillion_keys_matches_the_zeta_function() {
        // For n = 10^12 the normalising sum is zeta(s) to within 2e-6 (s = 1.5) or less (s = 2.5), so
        // rank 1 has probability 1 / zeta(s).
        const DRAWS: u64 = 200_000;
        for (s, zeta) in [(1.5, 2.612_375_348_685_488), (2.5, 1.341_487_257_250_917)] {
            let keys = sampler(KeyChoice::Zipf { keys: 1_000_000_000_000, exponent: s });
            let mut rng = Seed(5).stream("huge");
            let mut first = 0;
            for _ in 0..DRAWS {
                let k = keys.sample(&mut rng).0;
                assert!(k < 1_000_000_000_000);
                first += u64::from(k == 0);
            }
            let z = z_score(first, DRAWS, 1.0 / zeta);
            assert!(z.abs() < 4.0, "s={s}: rank 1 drawn {first} of {DRAWS}, z={z:.2}");
        }
    }

    #[test]
    fn huge_key_counts_sample_in_range_for_every_choice() {
        const KEYS: u64 = 1_000_000_000_000;
        let choices = [
            KeyChoice::Uniform { keys: KEYS },
            KeyChoice::Zipf { keys: KEYS, exponent: 0.99 },
            KeyChoice::Zipf { keys: KEYS, exponent: 1.0 },
            KeyChoice::HotSet { keys: KEYS, hot_key_fraction: 1e-6, hot_traffic_fraction: 0.9 },
        ];
        for choice in choices {
            let keys = sampler(choice.clone());
            let mut rng = Seed(9).stream("huge");
            let mut max = 0;
            for _ in 0..100_000 {
                max = max.max(keys.sample(&mut rng).0);
            }
            assert!(max < KEYS, "{choice:?}");
            // With 10^5 draws over 10^12 keys, all but Zipf(~1) reach deep into the key space.
            assert!(max > 1_000_000, "{choice:?}: largest key {max}");
        }
    }

    #[test]
    fn zipf_exponent_zero_is_uniform_and_matches_uniform_draw_for_draw() {
        let zipf = sampler(KeyChoice::Zipf { keys: 10, exponent: 0.0 });
        let uniform = sampler(KeyChoice::Uniform { keys: 10 });
        let (mut a, mut b) = (Seed(1).stream("k"), Seed(1).stream("k"));
        let mut counts = [0u64; 10];
        for _ in 0..100_000 {
            let k = zipf.sample(&mut a);
            assert_eq!(k, uniform.sample(&mut b));
            counts[k.0 as usize] += 1;
        }
        for (k, &c) in counts.iter().enumerate() {
            let z = z_score(c, 100_000, 0.1);
            assert!(z.abs() < 4.0, "key {k}: {c}, z={z:.2}");
        }
    }

    #[test]
    fn zipf_with_a_tiny_exponent_is_nearly_uniform_and_with_a_huge_one_picks_rank_one() {
        let nearly_uniform = Zipf::new(4, 1e-12);
        let steep = Zipf::new(1000, 60.0);
        let mut rng = Seed(2).stream("edges");
        let mut counts = [0u64; 4];
        for _ in 0..40_000 {
            counts[(nearly_uniform.sample(&mut rng).0 - 1) as usize] += 1;
            assert_eq!(steep.sample(&mut rng).0, 1);
        }
        for c in counts {
            assert!(z_score(c, 40_000, 0.25).abs() < 4.0, "{counts:?}");
        }
        let one = Zipf::new(1, 1.0);
        assert!((0..100).all(|_| one.sample(&mut rng).0 == 1));
    }

    #[test]
    fn hot_set_sends_its_share_to_the_hot_keys_uniformly_within_each_group() {
        const DRAWS: u64 = 200_000;
        let keys = sampler(KeyChoice::HotSet { keys: 20, hot_key_fraction: 0.2, hot_traffic_fraction: 0.8 });
        let mut rng = Seed(4).stream("hot");
        let mut counts = [0u64; 20];
        for _ in 0..DRAWS {
            counts[keys.sample(&mut rng).0 as usize] += 1;
        }
        let hot: u64 = counts[..4].iter().sum();
        let z = z_score(hot, DRAWS, 0.8);
        assert!(z.abs() < 4.0, "hot share {hot} of {DRAWS}, z={z:.2}");
        for (k, &c) in counts.iter().enumerate() {
            let p = if k < 4 { 0.8 / 4.0 } else { 0.2 / 16.0 };
            let z = z_score(c, DRAWS, p);
            assert!(z.abs() < 4.0, "key {k}: {c} vs p={p}, z={z:.2}");
        }
    }

    #[test]
    fn hot_set_covering_every_key_or_all_traffic_stays_in_range() {
        let all_hot = sampler(KeyChoice::HotSet { keys: 5, hot_key_fraction: 1.0, hot_traffic_fraction: 0.3 });
        let only_hot = sampler(KeyChoice::HotSet { keys: 100, hot_key_fraction: 0.05, hot_traffic_fraction: 1.0 });
        let mut rng = Seed(6).stream("hot-edges");
        for _ in 0..10_000 {
            assert!(all_hot.sample(&mut rng).0 < 5);
            assert!(only_hot.sample(&mut rng).0 < 5);
        }
    }

    /// Pins the first keys of each choice: a change to the algorithms or the draw order is deliberate.
    #[test]
    fn golden_first_keys() {
        let choices = [
            KeyChoice::Uniform { keys: 1000 },
            KeyChoice::Zipf { keys: 1000, exponent: 1.2 },
            KeyChoice::HotSet { keys: 1000, hot_key_fraction: 0.01, hot_traffic_fraction: 0.9 },
        ];
        let got: Vec<Vec<u64>> = choices
            .iter()
            .map(|c| {
                let keys = sampler(c.clone());
                let mut rng = Seed(0x2a).stream("keys");
                (0..6).map(|_| keys.sample(&mut rng).0).collect()
            })
            .collect();
        assert_eq!(got, GOLDEN_FIRST_KEYS);
    }

    const GOLDEN_FIRST_KEYS: [[u64; 6]; 3] =
        [[906, 268, 102, 142, 776, 912], [0, 36, 216, 133, 0, 0], [275, 1, 9, 8, 7, 2]];
}
