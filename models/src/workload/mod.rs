//! Workloads: what clients ask for and when. [`keys`] chooses the item of each operation (uniform,
//! Zipf, hot set); [`arrivals`] times open-loop requests (Poisson with a rate profile over time).
//!
//! Both are pure functions of their parameters and a [`sim_core::Stream`]: no state is shared between
//! populations, every draw is documented, and all floating-point functions come from `libm`, so a
//! seed gives the same workload on every machine.

pub mod arrivals;
pub mod keys;
