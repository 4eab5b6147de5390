//! mrsim's world: Regions and links, clients, data stores and their replication, faults, and the
//! consistency checker, as sans-IO state machines on top of sim-core. Nothing here reads files,
//! the wall clock or the environment, spawns threads, or iterates a hash map: a run is a pure
//! function of its configuration and seed.

pub mod alarm;
pub mod apptier;
pub mod checker;
pub mod config;
pub mod faults;
pub mod history;
pub mod ids;
pub mod ledger;
pub mod regions;
pub mod report;
pub mod routing;
pub mod rtt;
pub mod run;
pub mod stores;
pub mod timing;
pub mod topology;
pub mod workload;
pub mod world;
