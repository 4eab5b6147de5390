//! mrsim's experiment layer: everything that does I/O or presentation on top of the simulation (scenario
//! files, runs, sweeps, reports and figures). The simulation crates never depend on this one.

pub mod bench;
pub mod plot;
