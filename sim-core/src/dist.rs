//! Temporary: replaced by the full distributions module.
use crate::rng::Stream;
use crate::time::SimDuration;

#[derive(Clone, Debug, PartialEq)]
pub enum Dist {
    Constant(f64),
    Exponential { mean: f64 },
}

impl Dist {
    pub fn sample(&self, s: &mut Stream) -> f64 {
        match self {
            Dist::Constant(c) => *c,
            Dist::Exponential { mean } => -libm::log(s.next_f64_open0()) * mean,
        }
    }
    pub fn sample_duration(&self, s: &mut Stream) -> SimDuration {
        SimDuration::from_nanos_f64(self.sample(s))
    }
    pub fn parse_duration(text: &str) -> Result<Dist, String> {
        let t = text.trim();
        if let Some(rest) = t.strip_prefix("exp(mean=").and_then(|r| r.strip_suffix(')')) {
            let d: SimDuration = rest.parse().map_err(|e| format!("{e}"))?;
            return Ok(Dist::Exponential { mean: d.as_nanos() as f64 });
        }
        let d: SimDuration = t.parse().map_err(|e| format!("{e}"))?;
        Ok(Dist::Constant(d.as_nanos() as f64))
    }
}
