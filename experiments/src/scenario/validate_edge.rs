//! Validation of AWS's edge services in front of the Regions: `[global_accelerator]` with its
//! `[[global_accelerator.endpoint_group]]` tables, and `[cloudfront]`'s origin group.
//!
//! Parameter names, ranges and defaults are AWS's own (shared/reference/aws-facts.md):
//! - Global Accelerator: `client_affinity` NONE (the 5-tuple), `idle_timeout` 350s,
//!   `recovery_delay` 30s, the control plane in us-west-2 when the scenario declares it (else dial
//!   changes never fail for control-plane reasons); an endpoint group's `traffic_dial_percentage`
//!   100 (0..=100), `health_check_interval_seconds` 30 (10 or 30), `threshold_count` 3 (1..=10),
//!   `endpoint_weights` [128] (each 0..=255), load-balancer endpoints;
//! - CloudFront: failover on 500, 502, 503 and 504 (each code one of 403, 404, 500, 502, 503, 504,
//!   once), `connection_timeout` 10s (whole seconds, 1..=10), `connection_attempts` 3 (1..=3).

use models::routing::config::{AcceleratorConfig, ClientAffinity, CloudFrontConfig, EndpointGroupConfig};
use sim_core::SimDuration;

use super::raw::{RawAccelerator, RawClientAffinity, RawCloudFront, Spanned};
use super::shared::{NANOS_PER_SEC, control_plane, duration_or, int_in};
use super::shared::{Problems, declared_region};

const CONTROL_PLANE: &str = "us-west-2";
const DEFAULT_IDLE_TIMEOUT: SimDuration = SimDuration::from_secs(350);
const DEFAULT_RECOVERY_DELAY: SimDuration = SimDuration::from_secs(30);
const DEFAULT_DIAL: f64 = 100.0;
const DEFAULT_GROUP_INTERVAL_SECS: u32 = 30;
const DEFAULT_THRESHOLD_COUNT: u32 = 3;
const DEFAULT_ENDPOINT_WEIGHT: u32 = 128;
const DEFAULT_STATUS_CODES: [u16; 4] = [500, 502, 503, 504];
const ALLOWED_STATUS_CODES: [i64; 6] = [403, 404, 500, 502, 503, 504];
const DEFAULT_CONNECTION_TIMEOUT: SimDuration = SimDuration::from_secs(10);
const DEFAULT_CONNECTION_ATTEMPTS: u32 = 3;

pub(super) fn accelerator(
    g: &Spanned<RawAccelerator>,
    regions: &[String],
    p: &mut Problems,
) -> Option<AcceleratorConfig> {
    let raw = g.get_ref();
    let client_affinity = match raw.client_affinity.as_ref().map(|c| *c.get_ref()) {
        None | Some(RawClientAffinity::None) => ClientAffinity::FiveTuple,
        Some(RawClientAffinity::SourceIp) => ClientAffinity::SourceIp,
    };
    let idle_timeout = duration_or(&raw.idle_timeout, DEFAULT_IDLE_TIMEOUT, true, "global_accelerator.idle_timeout", p);
    let recovery_delay =
        duration_or(&raw.recovery_delay, DEFAULT_RECOVERY_DELAY, false, "global_accelerator.recovery_delay", p);
    let control_plane_region =
        control_plane(&raw.control_plane_region, CONTROL_PLANE, regions, "global_accelerator.control_plane_region", p);
    if raw.endpoint_groups.is_empty() {
        p.at(
            g.span(),
            "global_accelerator.endpoint_group",
            "found no [[global_accelerator.endpoint_group]]; expected at least one, for example region = \"us-east-1\"",
        );
    }
    let mut groups = Vec::new();
    let mut seen: Vec<&String> = Vec::new();
    for (i, e) in raw.endpoint_groups.iter().enumerate() {
        let path = format!("global_accelerator.endpoint_group[{i}]");
        let region = declared_region(regions, &e.region, &format!("{path}.region"), p);
        if region.is_some() && seen.contains(&e.region.get_ref()) {
            p.at(
                e.region.span(),
                format!("{path}.region"),
                format!("a second endpoint group for {}; expected one group per Region", e.region.get_ref()),
            );
        }
        seen.push(e.region.get_ref());
        let traffic_dial_percentage = dial(&e.traffic_dial_percentage, &format!("{path}.traffic_dial_percentage"), p);
        let health_check_interval_seconds = match &e.health_check_interval_seconds {
            None => DEFAULT_GROUP_INTERVAL_SECS,
            Some(s) if matches!(s.get_ref(), 10 | 30) => *s.get_ref() as u32,
            Some(s) => {
                p.at(
                    s.span(),
                    format!("{path}.health_check_interval_seconds"),
                    format!("found {}; expected 10 or 30 seconds", s.get_ref()),
                );
                DEFAULT_GROUP_INTERVAL_SECS
            }
        };
        let threshold_count = int_in(
            e.threshold_count.as_ref(),
            1..=10,
            DEFAULT_THRESHOLD_COUNT,
            &format!("{path}.threshold_count"),
            "a threshold count from 1 to 10",
            p,
        );
        let endpoint_weights = match &e.endpoint_weights {
            None => vec![DEFAULT_ENDPOINT_WEIGHT],
            Some(ws) => {
                if ws.get_ref().is_empty() {
                    p.at(
                        ws.span(),
                        format!("{path}.endpoint_weights"),
                        "found an empty list; expected at least one endpoint weight",
                    );
                }
                ws.get_ref()
                    .iter()
                    .enumerate()
                    .map(|(j, w)| {
                        let at = format!("{path}.endpoint_weights[{j}]");
                        int_in(Some(w), 0..=255, DEFAULT_ENDPOINT_WEIGHT, &at, "a weight from 0 to 255", p)
                    })
                    .collect()
            }
        };
        groups.push(region.map(|region| EndpointGroupConfig {
            region,
            traffic_dial_percentage,
            health_check_interval_seconds,
            threshold_count,
            endpoint_weights,
            load_balancer_endpoints: e.load_balancer.as_ref().is_none_or(|b| *b.get_ref()),
        }));
    }
    Some(AcceleratorConfig {
        endpoint_groups: groups.into_iter().collect::<Option<_>>()?,
        client_affinity,
        idle_timeout,
        recovery_delay,
        control_plane_region,
    })
}

/// A traffic dial: a percentage from 0 to 100 (100 when absent).
pub(super) fn dial(field: &Option<Spanned<f64>>, path: &str, p: &mut Problems) -> f64 {
    match field {
        None => DEFAULT_DIAL,
        Some(d) if (0.0..=100.0).contains(d.get_ref()) => *d.get_ref(),
        Some(d) => {
            p.at(d.span(), path, format!("found {}; expected a traffic dial percentage from 0 to 100", d.get_ref()));
            DEFAULT_DIAL
        }
    }
}

pub(super) fn cloudfront(c: &RawCloudFront, regions: &[String], p: &mut Problems) -> Option<CloudFrontConfig> {
    let primary = declared_region(regions, &c.primary, "cloudfront.primary", p);
    let secondary = declared_region(regions, &c.secondary, "cloudfront.secondary", p);
    if primary.is_some() && primary == secondary {
        p.at(
            c.secondary.span(),
            "cloudfront.secondary",
            "found the primary's Region; expected an origin group of two different Regions",
        );
    }
    let status_codes = match &c.failover_criteria_status_codes {
        None => DEFAULT_STATUS_CODES.to_vec(),
        Some(codes) => {
            if codes.get_ref().is_empty() {
                p.at(
                    codes.span(),
                    "cloudfront.failover_criteria_status_codes",
                    "found an empty list; expected at least one status code",
                );
            }
            let mut out: Vec<u16> = Vec::new();
            for (j, code) in codes.get_ref().iter().enumerate() {
                let at = format!("cloudfront.failover_criteria_status_codes[{j}]");
                let n = *code.get_ref();
                if !ALLOWED_STATUS_CODES.contains(&n) {
                    p.at(code.span(), at, format!("found {n}; expected one of 403, 404, 500, 502, 503, 504"));
                } else if out.contains(&(n as u16)) {
                    p.at(code.span(), at, format!("found {n} twice; expected each status code once"));
                } else {
                    out.push(n as u16);
                }
            }
            out
        }
    };
    let connection_timeout = match &c.connection_timeout {
        None => DEFAULT_CONNECTION_TIMEOUT,
        Some(t) => {
            let d = t.get_ref().0;
            let whole = d.as_nanos() % NANOS_PER_SEC == 0;
            if !whole || !(SimDuration::from_secs(1)..=SimDuration::from_secs(10)).contains(&d) {
                p.at(
                    t.span(),
                    "cloudfront.connection_timeout",
                    format!("found {d}; expected whole seconds from 1s to 10s"),
                );
            }
            d
        }
    };
    let connection_attempts = int_in(
        c.connection_attempts.as_ref(),
        1..=3,
        DEFAULT_CONNECTION_ATTEMPTS,
        "cloudfront.connection_attempts",
        "1 to 3 connection attempts",
        p,
    );
    Some(CloudFrontConfig {
        primary: primary?,
        secondary: secondary?,
        status_codes,
        connection_timeout,
        connection_attempts,
    })
}
