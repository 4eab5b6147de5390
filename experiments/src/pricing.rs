//! What a design costs in money: the price list (`experiments/data/prices.csv`, compiled in), a
//! scenario's `[cost]` (what the simulation cannot know: instance classes, item sizes, revenue), and
//! the bill a run's usage comes to (`bill.rs`).
//!
//! Prices are AWS's on-demand list prices, each with the page it is published on and a date; a
//! Region without a row of its own takes the `*` row. A scenario overrides any price by item
//! (`dynamodb_on_demand_read_request_units_usd_per_million = 0.14`) or by item in one Region
//! (`"aurora_io_requests_usd_per_million@eu-west-1" = 0.22`). The price list is read once and
//! never from the run's folder, so a run stays a pure function of its scenario and seed.

pub mod bill;

use std::collections::BTreeMap;

use models::ids::RegionId;
use sim_core::{Dist, SimDuration};

/// The shipped price list.
const PRICES_CSV: &str = include_str!("../data/prices.csv");

/// AWS bills a month as 730 hours.
pub const HOURS_PER_MONTH: f64 = 730.0;

/// One price of the list.
#[derive(Clone, Debug, PartialEq)]
pub struct Price {
    pub usd: f64,
    /// The page the price is published on, or "scenario" for an override.
    pub source: String,
}

/// The price list: by item, then by Region (`*` for every Region without its own row).
#[derive(Clone, Debug, PartialEq)]
pub struct Prices {
    by_item: BTreeMap<String, BTreeMap<String, Price>>,
}

impl Prices {
    /// The shipped list.
    pub fn shipped() -> Prices {
        Prices::parse(PRICES_CSV).expect("the shipped price list parses (a test checks it)")
    }

    /// A price list in the shipped file's format: `#` comments, a header, then
    /// `item,region,usd,source,date,seen` rows.
    pub fn parse(text: &str) -> Result<Prices, String> {
        let mut by_item: BTreeMap<String, BTreeMap<String, Price>> = BTreeMap::new();
        let mut header = false;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if !header {
                header = true;
                continue;
            }
            let fields: Vec<&str> = line.split(',').collect();
            let [item, region, usd, source, date, seen] = fields[..] else {
                return Err(format!("line {}: expected 6 fields: item,region,usd,source,date,seen", n + 1));
            };
            let usd: f64 = usd.parse().map_err(|_| format!("line {}: usd {usd:?} is not a number", n + 1))?;
            if !(usd.is_finite() && usd >= 0.0) {
                return Err(format!("line {}: usd must be a price of 0 or more", n + 1));
            }
            if !source.starts_with("https://aws.amazon.com/")
                || date.len() != 10
                || !["excerpt", "not-seen"].contains(&seen)
            {
                return Err(format!(
                    "line {}: expected an aws.amazon.com source, a date and excerpt or not-seen",
                    n + 1
                ));
            }
            let price = Price { usd, source: source.to_string() };
            if by_item.entry(item.to_string()).or_default().insert(region.to_string(), price).is_some() {
                return Err(format!("line {}: {item} in {region} is listed twice", n + 1));
            }
        }
        Ok(Prices { by_item })
    }

    /// Whether the list has `item` at all.
    pub fn has(&self, item: &str) -> bool {
        self.by_item.contains_key(item)
    }

    /// Every item, sorted.
    pub fn items(&self) -> impl Iterator<Item = &str> {
        self.by_item.keys().map(String::as_str)
    }

    /// The price of `item` in `region`: its own row, else the `*` row.
    pub fn get(&self, item: &str, region: &str) -> Option<&Price> {
        let rows = self.by_item.get(item)?;
        rows.get(region).or_else(|| rows.get("*"))
    }

    /// Sets `item` (in `region`, or `*` for every Region) to a scenario's price. An override of
    /// every Region replaces the item's regional rows too.
    pub fn set(&mut self, item: &str, region: Option<&str>, usd: f64) {
        let rows = self.by_item.entry(item.to_string()).or_default();
        if region.is_none() {
            rows.clear();
        }
        rows.insert(region.unwrap_or("*").to_string(), Price { usd, source: "scenario".to_string() });
    }
}

/// How a DynamoDB table is billed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Capacity {
    /// Per request (WRU, RRU, rWRU).
    OnDemand,
    /// Per provisioned unit-hour, in every replica: write and read capacity units.
    Provisioned { write_units: f64, read_units: f64 },
}

/// What the simulation cannot know about a store, for its bill.
#[derive(Clone, Debug, PartialEq)]
pub struct StoreCost {
    /// A DynamoDB global table (MREC or MRSC), billed by DynamoDB's units; a general quorum
    /// store is billed for its data transfer only.
    pub dynamodb: bool,
    /// The size of an item (DynamoDB, Aurora row) or object (S3), in KB.
    pub item_size_kb: f64,
    /// DynamoDB's capacity mode.
    pub capacity: Capacity,
    /// Aurora: the instance class of every instance, and instances in each Region's cluster.
    pub instance_class: String,
    pub instances: u32,
    /// Aurora: storage I/Os per write and per read.
    pub io_per_write: f64,
    pub io_per_read: f64,
}

impl Default for StoreCost {
    fn default() -> Self {
        StoreCost {
            dynamodb: false,
            item_size_kb: 1.0,
            capacity: Capacity::OnDemand,
            instance_class: "db.r6g.large".to_string(),
            instances: 1,
            io_per_write: 1.0,
            io_per_read: 0.0,
        }
    }
}

/// What clients failing costs: revenue, SLA penalties, lost writes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DowntimePrices {
    pub revenue_usd_per_hour: f64,
    pub revenue_usd_per_failed_operation: f64,
    pub sla_penalty_usd_per_incident: f64,
    /// A fault is an SLA incident when its median client-visible outage is at least this long.
    pub sla_incident_min_outage: SimDuration,
    pub lost_write_usd: f64,
    /// How many incidents like this run's a year brings: the run's downtime cost times this is the
    /// year's.
    pub incidents_per_year: Option<f64>,
}

/// A scenario's validated `[cost]`.
#[derive(Clone, Debug, PartialEq)]
pub struct CostConfig {
    /// Per store, by store id.
    pub stores: Vec<StoreCost>,
    /// The size of a response, the dominant direction of client traffic, in KB.
    pub response_size_kb: f64,
    /// Monthly lines the simulation cannot price from usage (compute, observability), in order.
    pub monthly_usd: Vec<(String, f64)>,
    /// The price list with the scenario's overrides.
    pub prices: Prices,
    pub downtime: DowntimePrices,
    /// `[cost.annual]`, defaults filled in: what `mrsim annual` draws.
    pub annual: AnnualConfig,
}

/// The yearly Region outages `mrsim annual` draws (see `[cost.annual]` in the scenario format).
#[derive(Clone, Debug, PartialEq)]
pub struct AnnualConfig {
    pub region: RegionId,
    /// The mean of the yearly Poisson count.
    pub region_outages_per_year: f64,
    pub region_outage_duration: Dist,
    pub warm_up: SimDuration,
    pub drain: SimDuration,
}

impl AnnualConfig {
    /// The default outage duration (documented on `region_outage_duration`).
    pub const DEFAULT_DURATION: &'static str = "lognormal(median=4h, sigma=0.7)";
    /// Above this mean the Poisson draw is refused: no design sees a thousand Region outages a year.
    pub const MAX_OUTAGES_PER_YEAR: f64 = 1000.0;
}

#[cfg(test)]
mod tests;
