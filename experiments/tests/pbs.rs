//! t-visibility as Bailis et al. model it ("Probabilistically Bounded Staleness for Practical
//! Partial Quorums", VLDB 2012): the quorum store's staleness probe, run through the whole world,
//! against an independent Monte Carlo of the paper's WARS model written here (its own generator,
//! samplers and order statistics; nothing of mrsim's).
//!
//! WARS, N = 3, R = W = 1: a write reaches replica i after W_i and is committed when the first
//! ack is in (min over i of W_i + A_i); a read starting t later reaches replica i after R_i,
//! which returns the write if W_i <= commit + t + R_i, and the first reply (least R_i + S_i)
//! answers. The distributions are the paper's: exponentials with ARS of mean 1 ms and W of mean
//! 0.25, 1, 4 and 10 ms (rate ratios W:ARS 4:1 to 1:10), and its fits to LinkedIn (SSD, disk)
//! and Yammer latencies, as in the shipped experiments/scenarios/pbs.toml.
//!
//! Tolerance: both sides are Monte Carlo estimates of one probability, the probe's from n ~ 5 500
//! committed writes per store (one minute at 100 writes/s, so a debug run stays short), the
//! reference's from 200 000 trials; they must agree within 4.5 standard errors of the difference
//! (sqrt(p(1 - p)(1/n + 1/m))) plus 0.002 for p near 0 or 1. The paper's own figures are read off
//! plots and tables rounded to a few digits and are compared in the README, not here.

use std::path::Path;

use experiments::scenario;
use models::run::run;
use sim_core::{Seed, TraceMode};

/// SplitMix64, uniform in (0, 1].
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        ((z >> 11) as f64 + 1.0) / (1u64 << 53) as f64
    }
}

/// A latency in ms: a mixture of Pareto(xm, alpha) and exponential(mean) components by weight.
#[derive(Clone, Copy)]
enum Part {
    Pareto { xm: f64, alpha: f64 },
    Exp { mean: f64 },
}

#[derive(Clone)]
struct Mix(Vec<(f64, Part)>);

impl Mix {
    fn sample(&self, rng: &mut Rng) -> f64 {
        let mut u = rng.next();
        let mut part = self.0.last().expect("a component").1;
        for &(weight, p) in &self.0 {
            if u <= weight {
                part = p;
                break;
            }
            u -= weight;
        }
        match part {
            Part::Pareto { xm, alpha } => xm / rng.next().powf(1.0 / alpha),
            Part::Exp { mean } => -mean * rng.next().ln(),
        }
    }
    /// As the scenario format writes it.
    fn text(&self) -> String {
        // Whole nanoseconds: the format refuses a duration finer than that.
        let ns = |ms: f64| format!("{}ns", (ms * 1e6).round());
        let part = |p: &Part| match p {
            Part::Pareto { xm, alpha } => format!("pareto(scale={}, shape={alpha})", ns(*xm)),
            Part::Exp { mean } => format!("exp(mean={})", ns(*mean)),
        };
        if self.0.len() == 1 {
            return part(&self.0[0].1);
        }
        let parts: Vec<String> = self.0.iter().map(|(w, p)| format!("{w:.4}*{}", part(p))).collect();
        format!("mix({})", parts.join(", "))
    }
}

fn exp(mean: f64) -> Mix {
    Mix(vec![(1.0, Part::Exp { mean })])
}

fn pareto_exp(weight: f64, xm: f64, alpha: f64, lambda: f64) -> Mix {
    Mix(vec![(weight, Part::Pareto { xm, alpha }), (1.0 - weight, Part::Exp { mean: 1.0 / lambda })])
}

struct Case {
    name: &'static str,
    w: Mix,
    ars: Mix,
    after_ms: Vec<f64>,
}

fn cases() -> Vec<Case> {
    let lnkd = pareto_exp(0.9122, 0.235, 10.0, 1.66);
    let yammer_ars = pareto_exp(0.982, 1.5, 3.8, 0.0217);
    let grid = vec![0.0, 0.5, 1.0, 2.0, 5.0, 10.0];
    vec![
        Case { name: "exp-w0.25", w: exp(0.25), ars: exp(1.0), after_ms: grid.clone() },
        Case { name: "exp-w1", w: exp(1.0), ars: exp(1.0), after_ms: grid.clone() },
        Case { name: "exp-w4", w: exp(4.0), ars: exp(1.0), after_ms: grid.clone() },
        Case { name: "exp-w10", w: exp(10.0), ars: exp(1.0), after_ms: vec![0.0, 1.0, 5.0, 10.0, 20.0, 50.0] },
        Case { name: "lnkd-ssd", w: lnkd.clone(), ars: lnkd.clone(), after_ms: vec![0.0, 0.2, 0.5, 1.0, 2.0] },
        Case {
            name: "lnkd-disk",
            w: pareto_exp(0.38, 1.05, 1.51, 0.183),
            ars: lnkd,
            after_ms: vec![0.0, 2.0, 10.0, 20.0, 45.0],
        },
        Case {
            name: "ymmr",
            w: pareto_exp(0.939, 3.0, 3.35, 0.0028),
            ars: yammer_ars,
            after_ms: vec![0.0, 10.0, 100.0, 500.0, 1500.0],
        },
    ]
}

/// P(consistent) at each t, N = 3, R = W = 1, by the WARS model.
fn wars(case: &Case, trials: u32, rng: &mut Rng) -> Vec<f64> {
    let mut consistent = vec![0u32; case.after_ms.len()];
    for _ in 0..trials {
        let w: [f64; 3] = std::array::from_fn(|_| case.w.sample(rng));
        let commit = (0..3).map(|i| w[i] + case.ars.sample(rng)).fold(f64::INFINITY, f64::min);
        for (j, t) in case.after_ms.iter().enumerate() {
            let r: [f64; 3] = std::array::from_fn(|_| case.ars.sample(rng));
            let first = (0..3)
                .map(|i| (r[i] + case.ars.sample(rng), i))
                .min_by(|a, b| a.0.total_cmp(&b.0))
                .expect("three replicas")
                .1;
            consistent[j] += u32::from(w[first] <= commit + t + r[first]);
        }
    }
    consistent.iter().map(|&c| c as f64 / trials as f64).collect()
}

fn scenario_text(cases: &[Case]) -> String {
    let mut text = String::from(
        "[scenario]\nname = \"pbs-oracle\"\nduration = \"1m\"\ndrain_max = \"1m\"\n\n\
         [[region]]\nname = \"us-east-1\"\n\n[[region]]\nname = \"us-east-2\"\n\n[[region]]\nname = \"us-west-2\"\n",
    );
    for c in cases {
        let after: Vec<String> = c.after_ms.iter().map(|t| format!("\"{}us\"", (t * 1000.0).round())).collect();
        let (w, ars) = (c.w.text(), c.ars.text());
        text.push_str(&format!(
            "\n[[store]]\nname = \"{name}\"\ntype = \"quorum\"\nregions = [\"us-east-1\", \"us-east-2\", \"us-west-2\"]\n\
             write_quorum = 1\nread_quorum = 1\napply = \"on_receipt\"\ncoordinator = \"separate\"\n\
             write_latency = \"{w}\"\nack_latency = \"{ars}\"\nread_latency = \"{ars}\"\nresponse_latency = \"{ars}\"\n\
             probe_after = [{after}]\n\n\
             [[population]]\nname = \"{name}-writers\"\nregion = \"us-east-1\"\naccess_latency = \"1ms\"\nrate = 100.0\n\
             read_fraction = 0.0\nstore = \"{name}\"\nkeys = {{ uniform = 1000000000 }}\ntimeout = \"5s\"\n",
            name = c.name,
            after = after.join(", "),
        ));
    }
    text
}

#[test]
fn the_probe_matches_an_independent_monte_carlo_of_wars() {
    let cases = cases();
    let text = scenario_text(&cases);
    let s = scenario::parse(Path::new("pbs-oracle.toml"), &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let out = run(&s.world, Seed(0x2a), TraceMode::Off).expect("the run ends within its limits");
    let mut rng = Rng(0x5eed);
    let trials = 200_000;
    let mut compared = 0;
    for (i, case) in cases.iter().enumerate() {
        let (store, probe) = &out.recorder.t_visibility[i];
        assert_eq!(*store, i);
        let expected = wars(case, trials, &mut rng);
        for (row, p_mc) in probe.rows.iter().zip(&expected) {
            assert!(row.reads > 5000 && row.unanswered == 0, "{}: {} probe reads", case.name, row.reads);
            let p = row.within[0] as f64 / row.reads as f64;
            let se = (p_mc * (1.0 - p_mc) * (1.0 / row.reads as f64 + 1.0 / trials as f64)).sqrt();
            let t_ms = row.t.as_nanos() as f64 / 1e6;
            eprintln!("{:10} t = {t_ms:7} ms  probe {p:.4}  WARS {p_mc:.4}  (n {})", case.name, row.reads);
            assert!(
                (p - p_mc).abs() <= 4.5 * se + 0.002,
                "{} at t = {t_ms} ms: the probe measured {p:.4}, WARS gives {p_mc:.4} (se {se:.4})",
                case.name
            );
            compared += 1;
        }
    }
    assert_eq!(compared, 39);
}

/// Probe reads touch nothing: the shipped scenario with and without its probes has the same
/// summary, but for the events fired, the trace hash and the end of the run (which waits for the
/// last probe reads).
#[test]
fn probe_reads_do_not_disturb_the_workload() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/pbs.toml");
    let text = std::fs::read_to_string(&path).expect("the shipped PBS scenario");
    let mut table: toml::Table = text.parse().expect("TOML");
    table["scenario"].as_table_mut().unwrap().insert("duration".into(), toml::Value::String("20s".into()));
    let with = scenario::parse(&path, &toml::to_string(&table).unwrap()).expect("valid");
    for store in table["store"].as_array_mut().expect("stores") {
        for key in ["probe_after", "probe_fraction", "probe_versions"] {
            store.as_table_mut().unwrap().remove(key);
        }
    }
    let without = scenario::parse(&path, &toml::to_string(&table).unwrap()).expect("valid");
    let summary = |s: &scenario::Scenario| {
        let out = run(&s.world, Seed(0x2a), TraceMode::Off).expect("the run ends");
        let mut json = serde_json::to_value(experiments::report::summary(s, Seed(0x2a), &out)).unwrap();
        let run = json["simulated"].as_object_mut().expect("the run's own numbers");
        let events = run.remove("events").and_then(|e| e.as_u64()).expect("events");
        run.remove("trace_hash");
        let end = run.remove("end_s").and_then(|e| e.as_f64()).expect("the end");
        (json, events, end, out.recorder.t_visibility.len())
    };
    let (a, events_with, end_with, probes) = summary(&with);
    let (b, events_without, end_without, none) = summary(&without);
    assert_eq!((probes, none), (4, 0));
    assert!(end_with >= end_without);
    assert!(events_with > events_without, "the probes' timers are events");
    assert_eq!(a, b, "probe reads must not change any metric of the workload");
}

/// Each PBS key's bad value is refused before any work, at its key path, saying what was
/// expected.
#[test]
fn bad_pbs_keys_are_refused_at_their_key_path() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/pbs.toml");
    let text = std::fs::read_to_string(&path).expect("the shipped PBS scenario");
    let first_store = "name = \"lnkd-ssd\"\n";
    let add = |lines: &str| text.replacen(first_store, &format!("{first_store}{lines}"), 1);
    let cases = [
        (
            text.replacen("apply = \"on_receipt\"\ncoordinator", "apply = \"on_commit\"\ncoordinator", 1),
            "store[0].coordinator: found \"separate\" with apply = \"on_commit\"; expected apply = \"on_receipt\"",
        ),
        (
            text.replacen("probe_after = [\"0ms\", \"100us\", \"200us\"", "probe_after = [\"0ms\", \"200us\", \"100us\"", 1),
            "store[0].probe_after[2]: found 100us after 200us; expected durations in ascending order without repeats",
        ),
        (add("probe_fraction = 0.0\n"), "store[0].probe_fraction: found 0; expected more than 0 and at most 1"),
        (text.replacen("probe_versions = 1", "probe_versions = 11", 1), "store[0].probe_versions: found 11; expected 1 to 10"),
        (
            text.replacen("probe_versions = 1\nprobe_after = [\"0ms\", \"100us\", \"200us\", \"300us\", \"500us\", \"750us\", \"1ms\", \"1500us\", \"2ms\", \"3ms\", \"5ms\", \"10ms\"]\n", "probe_versions = 1\n", 1),
            "store[0].probe_versions: given without probe_after; expected probe_after to turn the probe on",
        ),
        (
            add("member_latency = [{ region = \"us-east-1\", write = \"1ms\" }, { region = \"us-east-1\", ack = \"1ms\" }]\n"),
            "store[0].member_latency[1].region: \"us-east-1\" is given twice; expected each member once",
        ),
        (
            add("member_latency = [{ region = \"eu-west-1\", write = \"1ms\" }]\n"),
            "store[0].member_latency[0].region: Region \"eu-west-1\" is not declared in this scenario",
        ),
        (add("write_latency2 = \"1ms\"\n"), "store[0].write_latency2"),
        (
            text.replacen("write_latency = \"mix(0.9122", "write_latency = \"mix(0.9122*nope, 0.5", 1),
            "store[0].write_latency",
        ),
    ];
    for (edited, expected) in cases {
        let e = scenario::parse(&path, &edited).map(|_| ()).unwrap_err().to_string();
        assert!(e.contains(expected), "expected {expected:?} in: {e}");
        assert!(e.contains("pbs.toml:"), "a line and column: {e}");
    }
}
