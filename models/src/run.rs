//! Running a world: build it from a configuration and a seed, fire its events under the limits the
//! configuration sets, and settle the checker's verdicts.

use sim_core::{Engine, Limits, RunError, RunStats, Seed, SimTime, TraceMode};

use crate::config::{FaultConfig, WorldConfig};
use crate::faults;
use crate::history::HistorySink;
use crate::report::Recorder;
use crate::world::World;

/// What one run produced.
#[derive(Clone, Debug)]
pub struct RunOutput {
    pub recorder: Recorder,
    pub stats: RunStats,
    /// The fault schedule the run used: the written faults, then the generated ones. The
    /// recorder's fault windows index into it.
    pub faults: Vec<FaultConfig>,
}

/// Runs `config` under `seed`. The run may last the fault phase plus at most `drain_max`.
pub fn run(config: &WorldConfig, seed: Seed, trace: TraceMode) -> Result<RunOutput, RunError> {
    run_with_history(config, seed, trace, None).map(|(output, _)| output)
}

/// As [`run`], reporting every operation to `history` as it happens; the sink comes back with the
/// output.
pub fn run_with_history(
    config: &WorldConfig,
    seed: Seed,
    trace: TraceMode,
    history: Option<Box<dyn HistorySink>>,
) -> Result<(RunOutput, Option<Box<dyn HistorySink>>), RunError> {
    let limits =
        Limits { max_sim_time: SimTime::at(config.duration + config.drain_max), max_events: config.max_events };
    let mut engine = Engine::new(seed, limits, trace);
    let mut config = config.clone();
    let generated = faults::generate(&config.fault_generators, config.topology.len(), config.duration, seed);
    config.faults.extend(generated);
    let faults = config.faults.clone();
    let mut world = World::new(config, seed, &mut |t, e| {
        engine.schedule_at(t, e);
    });
    if let Some(sink) = history {
        world.keep_history(sink);
    }
    let stats = engine.run(&mut world)?;
    world.finish(stats.end_time);
    let history = world.take_history();
    Ok((RunOutput { recorder: world.recorder, stats, faults }, history))
}
