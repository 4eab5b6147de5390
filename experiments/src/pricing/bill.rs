//! A run's bill: the usage the run measured (requests each store served per Region, writes
//! replicated into each Region, replication messages between Regions, attempts through each
//! entry, Route 53 queries), scaled from the fault phase to a 730-hour month and priced; the fixed
//! monthly fees of what the scenario declares (Aurora instances, provisioned capacity, health
//! checks, an accelerator); and what the clients' failures cost.
//!
//! Every line says what it counts, how many per month, at what unit price, so a reader can redo
//! the arithmetic. Approximations, each stated where it is made: a read costs one read unit per
//! 4 KB (strongly consistent: eventually consistent reads cost half), every replication message
//! between Regions carries one item (acknowledgements and votes included), and data through
//! Global Accelerator is priced at the population's own Region.

use models::config::{StoreKind, WorldConfig};
use models::ids::RegionId;
use models::report::Usage;
use models::routing::config::Entry;
use schemars::JsonSchema;
use serde::Serialize;

use super::{Capacity, CostConfig, HOURS_PER_MONTH};

const KB_PER_GB: f64 = 1024.0 * 1024.0;

/// One line of the bill.
#[derive(Serialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct CostLine {
    /// What is billed, where: `orders: replicated write request units @ us-west-2`.
    pub what: String,
    /// The price-list item (or `monthly_usd` for a line the scenario gives).
    pub item: String,
    /// Units billed per month: measured usage scaled from the fault phase to 730 hours, or the
    /// declared resources' hours or months.
    pub quantity_per_month: f64,
    /// The price of one unit, in USD (the item's name says the unit).
    pub unit_price_usd: f64,
    /// `quantity_per_month` times the unit price, scaled to the unit (per million, per GB, ...).
    pub usd_per_month: f64,
}

/// What the design costs to run, per month, from the run's usage and the scenario's `[cost]`.
#[derive(Serialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct InfrastructureRow {
    /// The factor measured usage is multiplied by: 730 hours over the fault phase.
    pub month_scale: f64,
    /// The sum of every line, in USD per month.
    pub usd_per_month: f64,
    /// `usd_per_month` per million operations the clients began in a month (0 with none).
    pub usd_per_million_operations: f64,
    /// Each line, in the order stores, routing tier, the scenario's monthly lines.
    pub lines: Vec<CostLine>,
}

/// What the clients' failures and the lost writes cost, over the run and, given
/// `incidents_per_year`, over a year.
#[derive(Serialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct DowntimeRow {
    /// Operations that ended: succeeded or failed for good.
    pub operations_ended: u64,
    /// Operations that failed for good (errors and timeouts after every retry).
    pub operations_failed: u64,
    /// 1 - failed / ended: the share of operations clients saw succeed (1 with none).
    pub availability: f64,
    /// Client-visible downtime, in hours: the failed share of operations times the fault phase
    /// (an hour of total outage, or two hours of half the operations failing, is one hour).
    pub downtime_hours: f64,
    /// Revenue lost: `revenue_usd_per_hour` x `downtime_hours` + `revenue_usd_per_failed_operation`
    /// x `operations_failed`.
    pub revenue_lost_usd: f64,
    /// Faults whose median client-visible outage reached `sla_incident_min_outage`.
    pub sla_incidents: u64,
    /// `sla_incidents` x `sla_penalty_usd_per_incident`.
    pub sla_penalties_usd: f64,
    /// Acknowledged writes lost (last writer wins, failover, a Region that never returned).
    pub lost_writes: u64,
    /// `lost_writes` x `lost_write_usd`.
    pub lost_writes_usd: f64,
    /// Revenue lost, penalties and lost writes, in USD.
    pub usd: f64,
    /// With `incidents_per_year`: the year's downtime, `downtime_hours` x incidents (null without).
    pub downtime_hours_per_year: Option<f64>,
    /// With `incidents_per_year`: 1 - downtime hours per year / 8 760 (null without).
    pub availability_per_year: Option<f64>,
    /// With `incidents_per_year`: `usd` x incidents (null without).
    pub usd_per_year: Option<f64>,
    /// With `incidents_per_year`: infrastructure x 12 + downtime per year, the total cost of
    /// ownership the return on an extra Region is judged by (null without).
    pub total_usd_per_year: Option<f64>,
}

/// The run's cost: `[cost]` given.
#[derive(Serialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct CostRow {
    pub infrastructure: InfrastructureRow,
    pub downtime: DowntimeRow,
}

/// What the run measured that the downtime cost needs, from the summary.
pub struct Outcome {
    pub operations_started: u64,
    pub operations_succeeded: u64,
    pub operations_failed: u64,
    pub lost_writes: u64,
    /// Each fault's median client-visible outage, in seconds (None: no outage recorded).
    pub fault_outage_p50_s: Vec<Option<f64>>,
}

struct Bill<'a> {
    cost: &'a CostConfig,
    world: &'a WorldConfig,
    scale: f64,
    lines: Vec<CostLine>,
}

impl Bill<'_> {
    fn region(&self, r: RegionId) -> &str {
        self.world.topology.name(r)
    }

    /// Adds a line: `quantity` units a month of `item` in `region`, the price per `per` units.
    fn line(&mut self, name: String, item: &str, region: RegionId, quantity: f64, per: f64) {
        if quantity == 0.0 {
            return;
        }
        let price = self.cost.prices.get(item, self.region(region)).map_or(0.0, |p| p.usd);
        let usd_per_month = quantity * price / per;
        self.lines.push(CostLine {
            what: name,
            item: item.to_string(),
            quantity_per_month: quantity,
            unit_price_usd: price,
            usd_per_month,
        });
    }

    /// Measured usage, a month of it.
    fn monthly(&self, count: u64) -> f64 {
        count as f64 * self.scale
    }

    fn stores(&mut self, usage: &Usage) {
        let regions: Vec<RegionId> = self.world.topology.regions().collect();
        for (i, store) in self.world.stores.iter().enumerate() {
            let c = self.cost.stores[i].clone();
            let name = &store.name;
            let replicated_tables = store.regions.len() > 1;
            for &r in &regions {
                let at = self.region(r).to_string();
                let (reads, writes, replicated) = (
                    self.monthly(usage.reads[i][r.index()]),
                    self.monthly(usage.writes[i][r.index()]),
                    self.monthly(usage.replicated[i][r.index()]),
                );
                match &store.kind {
                    StoreKind::DynamoDbMrec | StoreKind::Quorum(_) if c.dynamodb => {
                        let write_units = c.item_size_kb.ceil().max(1.0);
                        let read_units = (c.item_size_kb / 4.0).ceil().max(1.0);
                        match c.capacity {
                            Capacity::OnDemand => {
                                let item = if replicated_tables {
                                    "dynamodb_on_demand_replicated_write_request_units_usd_per_million"
                                } else {
                                    "dynamodb_on_demand_write_request_units_usd_per_million"
                                };
                                let w = format!("{name}: write request units @ {at}");
                                self.line(w, item, r, writes * write_units, 1e6);
                                let rw = format!("{name}: replicated write request units @ {at}");
                                let item = "dynamodb_on_demand_replicated_write_request_units_usd_per_million";
                                self.line(rw, item, r, replicated * write_units, 1e6);
                                let rr = format!("{name}: read request units @ {at}");
                                let item = "dynamodb_on_demand_read_request_units_usd_per_million";
                                self.line(rr, item, r, reads * read_units, 1e6);
                            }
                            Capacity::Provisioned { write_units, read_units } => {
                                if !store.regions.contains(&r) {
                                    continue;
                                }
                                let item = if replicated_tables {
                                    "dynamodb_provisioned_replicated_write_capacity_units_usd_per_hour"
                                } else {
                                    "dynamodb_provisioned_write_capacity_units_usd_per_hour"
                                };
                                let w = format!("{name}: write capacity unit-hours @ {at}");
                                self.line(w, item, r, write_units * HOURS_PER_MONTH, 1.0);
                                let rr = format!("{name}: read capacity unit-hours @ {at}");
                                let item = "dynamodb_provisioned_read_capacity_units_usd_per_hour";
                                self.line(rr, item, r, read_units * HOURS_PER_MONTH, 1.0);
                            }
                        }
                    }
                    StoreKind::AuroraGlobal(_) => {
                        if store.regions.contains(&r) {
                            let item = format!("aurora_instance_{}_usd_per_hour", c.instance_class);
                            let hours = f64::from(c.instances) * HOURS_PER_MONTH;
                            let n = format!("{name}: instance-hours @ {at}");
                            self.line(n, &item, r, hours, 1.0);
                        }
                        let io = writes * c.io_per_write + reads * c.io_per_read;
                        self.line(
                            format!("{name}: I/O requests @ {at}"),
                            "aurora_io_requests_usd_per_million",
                            r,
                            io,
                            1e6,
                        );
                        let n = format!("{name}: replicated write I/Os @ {at}");
                        let item = "aurora_replicated_write_io_usd_per_million";
                        self.line(n, item, r, replicated * c.io_per_write, 1e6);
                    }
                    StoreKind::S3Replication(s3) => {
                        let n = format!("{name}: replication PUT requests @ {at}");
                        self.line(n, "s3_put_requests_usd_per_thousand", r, replicated, 1e3);
                        if s3.rtc {
                            let n = format!("{name}: Replication Time Control GB @ {at}");
                            let gb = replicated * c.item_size_kb / KB_PER_GB;
                            self.line(n, "s3_replication_time_control_usd_per_gb", r, gb, 1.0);
                        }
                    }
                    StoreKind::DynamoDbMrec | StoreKind::Quorum(_) => {}
                }
                // Replication out of this Region, billed here as inter-Region data transfer.
                let n = regions.len();
                let messages: u64 = (0..n).map(|to| usage.messages[i][r.index() * n + to]).sum();
                let gb = self.monthly(messages) * c.item_size_kb / KB_PER_GB;
                let line = format!("{name}: replication out, GB @ {at}");
                self.line(line, "data_transfer_inter_region_usd_per_gb", r, gb, 1.0);
            }
        }
    }

    fn routing(&mut self, usage: &Usage) {
        let routing = &self.world.routing;
        if let Some(r53) = &routing.route53 {
            for hc in r53.health_checks.iter().filter(|hc| hc.routing_control.is_none()) {
                let n = format!("Route 53 health check {}", hc.name);
                self.line(n, "route53_health_check_usd_per_month", hc.region, 1.0, 1.0);
                // Faster than the standard 30 s interval is an optional feature.
                if hc.request_interval < sim_core::SimDuration::from_secs(30) {
                    let n = format!("Route 53 health check {}: fast interval", hc.name);
                    self.line(n, "route53_health_check_optional_feature_usd_per_month", hc.region, 1.0, 1.0);
                }
            }
            for (p, population) in self.world.populations.iter().enumerate() {
                let queries = self.monthly(usage.route53_queries[p]);
                let n = format!("Route 53 queries of {}", population.name);
                self.line(n, "route53_latency_queries_usd_per_million", population.region, queries, 1e6);
            }
        }
        if routing.accelerator.is_some() {
            let first = self.world.topology.regions().next().expect("a scenario has a Region");
            let n = "Global Accelerator hours".to_string();
            self.line(n, "global_accelerator_usd_per_hour", first, HOURS_PER_MONTH, 1.0);
        }
        for (p, population) in self.world.populations.iter().enumerate() {
            let [reads, writes] = usage.attempts[p];
            let via = &population.routing;
            if via.entry == Entry::Accelerator && routing.accelerator.is_some() {
                let attempts =
                    if via.reads_via_cloudfront && routing.cloudfront.is_some() { writes } else { reads + writes };
                let gb = self.monthly(attempts) * self.cost.response_size_kb / KB_PER_GB;
                let n = format!("Global Accelerator DT-Premium GB of {}", population.name);
                self.line(n, "global_accelerator_dt_premium_usd_per_gb", population.region, gb, 1.0);
            }
            if via.reads_via_cloudfront && routing.cloudfront.is_some() {
                let requests = self.monthly(reads);
                let n = format!("CloudFront HTTPS requests of {}", population.name);
                self.line(n, "cloudfront_https_requests_usd_per_ten_thousand", population.region, requests, 1e4);
                let gb = requests * self.cost.response_size_kb / KB_PER_GB;
                let n = format!("CloudFront data transfer out GB of {}", population.name);
                self.line(n, "cloudfront_data_transfer_out_usd_per_gb", population.region, gb, 1.0);
            }
        }
    }
}

/// The bill of a run whose world is `world` and whose usage is `usage`.
pub fn bill(cost: &CostConfig, world: &WorldConfig, usage: &Usage, outcome: &Outcome) -> CostRow {
    let fault_phase_s = world.duration.as_secs_f64();
    let scale = if fault_phase_s > 0.0 { HOURS_PER_MONTH * 3600.0 / fault_phase_s } else { 0.0 };
    let mut b = Bill { cost, world, scale, lines: Vec::new() };
    b.stores(usage);
    b.routing(usage);
    for (name, usd) in &cost.monthly_usd {
        b.lines.push(CostLine {
            what: name.clone(),
            item: "monthly_usd".to_string(),
            quantity_per_month: 1.0,
            unit_price_usd: *usd,
            usd_per_month: *usd,
        });
    }
    let usd_per_month: f64 = b.lines.iter().map(|l| l.usd_per_month).sum();
    let operations_per_month = outcome.operations_started as f64 * scale;
    let infrastructure = InfrastructureRow {
        month_scale: scale,
        usd_per_month,
        usd_per_million_operations: if operations_per_month > 0.0 {
            usd_per_month / operations_per_month * 1e6
        } else {
            0.0
        },
        lines: b.lines,
    };
    let downtime = downtime(cost, fault_phase_s, outcome, usd_per_month);
    CostRow { infrastructure, downtime }
}

fn downtime(cost: &CostConfig, fault_phase_s: f64, o: &Outcome, infrastructure_usd_per_month: f64) -> DowntimeRow {
    let d = &cost.downtime;
    let ended = o.operations_succeeded + o.operations_failed;
    let failed_share = if ended > 0 { o.operations_failed as f64 / ended as f64 } else { 0.0 };
    let downtime_hours = failed_share * fault_phase_s / 3600.0;
    let revenue_lost_usd =
        d.revenue_usd_per_hour * downtime_hours + d.revenue_usd_per_failed_operation * o.operations_failed as f64;
    let min = d.sla_incident_min_outage.as_secs_f64();
    let sla_incidents = o.fault_outage_p50_s.iter().filter(|p50| p50.is_some_and(|s| s >= min)).count() as u64;
    let sla_penalties_usd = sla_incidents as f64 * d.sla_penalty_usd_per_incident;
    let lost_writes_usd = o.lost_writes as f64 * d.lost_write_usd;
    let usd = revenue_lost_usd + sla_penalties_usd + lost_writes_usd;
    let per_year = d.incidents_per_year;
    let downtime_hours_per_year = per_year.map(|n| downtime_hours * n);
    let usd_per_year = per_year.map(|n| usd * n);
    DowntimeRow {
        operations_ended: ended,
        operations_failed: o.operations_failed,
        availability: 1.0 - failed_share,
        downtime_hours,
        revenue_lost_usd,
        sla_incidents,
        sla_penalties_usd,
        lost_writes: o.lost_writes,
        lost_writes_usd,
        usd,
        downtime_hours_per_year,
        availability_per_year: downtime_hours_per_year.map(|h| 1.0 - h / (HOURS_PER_MONTH * 12.0)),
        usd_per_year,
        total_usd_per_year: usd_per_year.map(|u| infrastructure_usd_per_month * 12.0 + u),
    }
}
