//! Running a world: build it from a configuration and a seed, fire its events under the limits the
//! configuration sets, and settle the checker's verdicts.

use sim_core::{Engine, Limits, RunError, RunStats, Seed, SimTime, TraceMode};

use crate::config::WorldConfig;
use crate::report::Recorder;
use crate::world::World;

/// What one run produced.
#[derive(Clone, Debug)]
pub struct RunOutput {
    pub recorder: Recorder,
    pub stats: RunStats,
}

/// Runs `config` under `seed`. The run may last the fault phase plus at most `drain_max`.
pub fn run(config: &WorldConfig, seed: Seed, trace: TraceMode) -> Result<RunOutput, RunError> {
    let limits =
        Limits { max_sim_time: SimTime::at(config.duration + config.drain_max), max_events: config.max_events };
    let mut engine = Engine::new(seed, limits, trace);
    let mut world = World::new(config.clone(), seed, &mut |t, e| {
        engine.schedule_at(t, e);
    });
    let stats = engine.run(&mut world)?;
    world.finish(stats.end_time);
    Ok(RunOutput { recorder: world.recorder, stats })
}
