//! `[cost]` validated into a [`CostConfig`]: store names declared, each key given only to the
//! kind of store that uses it, sizes and prices finite and not negative, overrides naming an item
//! of the price list (and a declared Region), instance classes the list prices.
//!
//! Defaults: item and response size 1 KB, DynamoDB on demand, Aurora one db.r6g.large per Region
//! with one I/O per write and none per read, no revenue, penalties or lost-write price, no yearly
//! figures.

use models::ids::RegionId;
use sim_core::{Dist, SimDuration};

use super::raw::{RawAnnual, RawCost, RawScenario, Spanned, StoreType};
use super::shared::{Problems, declared_region, declared_store, duration_or, region_list};
use super::validate_stores::type_label;
use crate::pricing::{AnnualConfig, Capacity, CostConfig, DowntimePrices, Prices, StoreCost};

/// A price, size or rate: finite and 0 or more.
fn amount(value: &Option<Spanned<f64>>, path: &str, default: f64, p: &mut Problems) -> f64 {
    let Some(v) = value else { return default };
    let x = *v.get_ref();
    if !(x.is_finite() && x >= 0.0) {
        p.at(v.span(), path, format!("{x} is not an amount; expected a finite number of 0 or more"));
        return default;
    }
    x
}

/// The scenario's `[cost]`, or None without one.
pub(super) fn cost(raw: &RawScenario, regions: &[String], p: &mut Problems) -> Option<CostConfig> {
    let spanned = raw.cost.as_ref()?;
    let c: &RawCost = spanned.get_ref();
    let store_names: Vec<String> = raw.stores.iter().map(|s| s.name.get_ref().clone()).collect();
    let mut prices = Prices::shipped();
    let mut stores: Vec<StoreCost> = raw
        .stores
        .iter()
        .map(|s| StoreCost { dynamodb: type_label(s).starts_with("dynamodb"), ..StoreCost::default() })
        .collect();
    let mut seen = vec![false; stores.len()];
    for (i, s) in c.stores.iter().enumerate() {
        let at = format!("cost.store[{i}]");
        let Some(id) = declared_store(&store_names, &s.name, &format!("{at}.name"), p) else { continue };
        if std::mem::replace(&mut seen[id.index()], true) {
            p.at(
                s.name.span(),
                format!("{at}.name"),
                "this store already has a [[cost.store]]; expected each store once",
            );
        }
        let store_type = raw.stores[id.index()].store_type;
        let kind = type_label(&raw.stores[id.index()]);
        let only = |p: &mut Problems, given: bool, span: std::ops::Range<usize>, key: &str, applies: bool, to: &str| {
            if given && !applies {
                p.at(
                    span,
                    format!("{at}.{key}"),
                    format!("applies to {to} only; store {:?} is {kind}", s.name.get_ref()),
                );
            }
        };
        let dynamodb = store_type == StoreType::DynamoDbGlobalTable
            || (store_type == StoreType::Quorum && s.billed_as.as_ref().is_some_and(|b| b.get_ref() == "dynamodb"));
        let aurora = store_type == StoreType::AuroraGlobalDatabase;
        for (key, v) in
            [("write_capacity_units", &s.write_capacity_units), ("read_capacity_units", &s.read_capacity_units)]
        {
            only(p, v.is_some(), v.as_ref().map_or(0..0, |v| v.span()), key, dynamodb, "DynamoDB tables");
        }
        if let Some(m) = &s.capacity_mode {
            only(p, true, m.span(), "capacity_mode", dynamodb, "DynamoDB tables");
        }
        for (key, v) in [("io_per_write", &s.io_per_write), ("io_per_read", &s.io_per_read)] {
            only(p, v.is_some(), v.as_ref().map_or(0..0, |v| v.span()), key, aurora, "Aurora global databases");
        }
        if let Some(v) = &s.instances {
            only(p, true, v.span(), "instances", aurora, "Aurora global databases");
        }
        if let Some(v) = &s.instance_class {
            only(p, true, v.span(), "instance_class", aurora, "Aurora global databases");
        }
        let store = &mut stores[id.index()];
        if let Some(b) = &s.billed_as {
            only(p, true, b.span(), "billed_as", store_type == StoreType::Quorum, "general quorum stores");
            match b.get_ref().as_str() {
                "dynamodb" => store.dynamodb = true,
                other => p.at(b.span(), format!("{at}.billed_as"), format!("{other:?}; expected \"dynamodb\"")),
            }
        }
        store.item_size_kb = amount(&s.item_size_kb, &format!("{at}.item_size_kb"), 1.0, p);
        if s.item_size_kb.is_some() && store.item_size_kb == 0.0 {
            let span = s.item_size_kb.as_ref().map_or(0..0, |v| v.span());
            p.at(span, format!("{at}.item_size_kb"), "0 KB; expected a size above 0");
        }
        let write_units = amount(&s.write_capacity_units, &format!("{at}.write_capacity_units"), 0.0, p);
        let read_units = amount(&s.read_capacity_units, &format!("{at}.read_capacity_units"), 0.0, p);
        match s.capacity_mode.as_ref().map(|m| (m.get_ref().as_str(), m.span())) {
            None | Some(("on_demand", _)) => {
                if let Some(v) = s.write_capacity_units.as_ref().or(s.read_capacity_units.as_ref()) {
                    p.at(
                        v.span(),
                        &at,
                        "capacity units are for capacity_mode = \"provisioned\"; expected no units on demand",
                    );
                }
            }
            Some(("provisioned", _)) => store.capacity = Capacity::Provisioned { write_units, read_units },
            Some((other, span)) => p.at(
                span,
                format!("{at}.capacity_mode"),
                format!("{other:?}; expected \"on_demand\" or \"provisioned\""),
            ),
        }
        if let Some(class) = &s.instance_class {
            let item = format!("aurora_instance_{}_usd_per_hour", class.get_ref());
            let override_given = c.prices.keys().any(|k| k.split('@').next() == Some(item.as_str()));
            if !prices.has(&item) && !override_given {
                let known: Vec<&str> = prices
                    .items()
                    .filter_map(|i| i.strip_prefix("aurora_instance_").and_then(|i| i.strip_suffix("_usd_per_hour")))
                    .collect();
                p.at(
                    class.span(),
                    format!("{at}.instance_class"),
                    format!(
                        "{:?} has no price; expected one of {} or a price for {item} in [cost.prices]",
                        class.get_ref(),
                        known.join(", ")
                    ),
                );
            }
            store.instance_class = class.get_ref().clone();
        }
        if let Some(n) = &s.instances {
            store.instances = *n.get_ref();
        }
        store.io_per_write = amount(&s.io_per_write, &format!("{at}.io_per_write"), 1.0, p);
        store.io_per_read = amount(&s.io_per_read, &format!("{at}.io_per_read"), 0.0, p);
    }
    for (key, v) in &c.prices {
        let path = format!("cost.prices.{key}");
        let usd = amount(&Some(v.clone()), &path, 0.0, p);
        let (item, region) = match key.split_once('@') {
            Some((item, region)) => (item, Some(region)),
            None => (key.as_str(), None),
        };
        let instance = item.starts_with("aurora_instance_") && item.ends_with("_usd_per_hour");
        if !prices.has(item) && !instance {
            let items: Vec<&str> = prices.items().collect();
            p.at(
                v.span(),
                &path,
                format!("{item:?} is not an item of the price list; expected one of {}", items.join(", ")),
            );
            continue;
        }
        if let Some(region) = region
            && !regions.iter().any(|r| r == region)
        {
            let message =
                format!("Region {region:?} is not declared in this scenario; expected one of {}", region_list(regions));
            p.at(v.span(), &path, message);
            continue;
        }
        prices.set(item, region, usd);
    }
    let mut monthly_usd = Vec::new();
    for (name, v) in &c.monthly_usd {
        monthly_usd.push((name.clone(), amount(&Some(v.clone()), &format!("cost.monthly_usd.{name}"), 0.0, p)));
    }
    let incidents_per_year =
        c.incidents_per_year.as_ref().map(|_| amount(&c.incidents_per_year, "cost.incidents_per_year", 0.0, p));
    let downtime = DowntimePrices {
        revenue_usd_per_hour: amount(&c.revenue_usd_per_hour, "cost.revenue_usd_per_hour", 0.0, p),
        revenue_usd_per_failed_operation: amount(
            &c.revenue_usd_per_failed_operation,
            "cost.revenue_usd_per_failed_operation",
            0.0,
            p,
        ),
        sla_penalty_usd_per_incident: amount(
            &c.sla_penalty_usd_per_incident,
            "cost.sla_penalty_usd_per_incident",
            0.0,
            p,
        ),
        sla_incident_min_outage: c.sla_incident_min_outage.as_ref().map_or(SimDuration::ZERO, |d| d.get_ref().0),
        lost_write_usd: amount(&c.lost_write_usd, "cost.lost_write_usd", 0.0, p),
        incidents_per_year,
    };
    let response_size_kb = amount(&c.response_size_kb, "cost.response_size_kb", 1.0, p);
    let annual = annual(c.annual.as_ref().map(|a| a.get_ref()), regions, p);
    Some(CostConfig { stores, response_size_kb, monthly_usd, prices, downtime, annual })
}

/// `[cost.annual]` with its defaults: the first Region, one outage a year of
/// [`AnnualConfig::DEFAULT_DURATION`], 2 minutes of warm-up and 10 of drain.
fn annual(a: Option<&RawAnnual>, regions: &[String], p: &mut Problems) -> AnnualConfig {
    let default = RawAnnual::default();
    let a = a.unwrap_or(&default);
    let region = a.region.as_ref().and_then(|r| declared_region(regions, r, "cost.annual.region", p));
    let rate = amount(&a.region_outages_per_year, "cost.annual.region_outages_per_year", 1.0, p);
    if let Some(v) = &a.region_outages_per_year
        && rate > AnnualConfig::MAX_OUTAGES_PER_YEAR
    {
        p.at(v.span(), "cost.annual.region_outages_per_year", format!("{rate}; expected at most 1000 a year"));
    }
    let region_outage_duration = a.region_outage_duration.as_ref().map_or_else(
        || Dist::parse_duration(AnnualConfig::DEFAULT_DURATION).expect("the default distribution parses"),
        |d| d.get_ref().0.clone(),
    );
    AnnualConfig {
        region: region.unwrap_or(RegionId::new(0)),
        region_outages_per_year: rate.min(AnnualConfig::MAX_OUTAGES_PER_YEAR),
        region_outage_duration,
        warm_up: duration_or(&a.warm_up, SimDuration::from_secs(120), false, "cost.annual.warm_up", p),
        drain: duration_or(&a.drain, SimDuration::from_secs(600), false, "cost.annual.drain", p),
    }
}
