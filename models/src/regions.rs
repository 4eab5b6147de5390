//! The AWS Regions mrsim knows by name, each with the city it is placed at.
//!
//! The list is every commercial Region: the `aws` partition of botocore's `endpoints.json`
//! (botocore 1.43.11); GovCloud and China are separate partitions and are not included. A Region's
//! location is only used to estimate round trips that were never measured
//! (`models/data/region_rtt.csv`): the city is the one in the Region's AWS name where it names one,
//! else the metro area AWS announced for it (Ashburn for N. Virginia, Columbus for Ohio, San Jose
//! for N. California, Boardman for Oregon, Montreal for Canada Central, Queretaro for Mexico
//! Central, Zaragoza for Spain, Dubai for UAE, Kuala Lumpur for Malaysia, Auckland for New Zealand,
//! Bangkok for Thailand). Coordinates are the city centre's (Wikipedia), rounded to 0.01 degree;
//! a data centre tens of kilometres away changes an estimate by well under a millisecond.

/// One Region mrsim knows: its AWS name and where it is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KnownRegion {
    pub name: &'static str,
    pub city: &'static str,
    pub latitude_deg: f64,
    pub longitude_deg: f64,
}

const fn region(name: &'static str, city: &'static str, latitude_deg: f64, longitude_deg: f64) -> KnownRegion {
    KnownRegion { name, city, latitude_deg, longitude_deg }
}

/// Regions mrsim knows by name, grouped by geography. A scenario may only name these, and every
/// pair of them has a round trip in `models/data/region_rtt.csv` (tested).
#[allow(clippy::approx_constant, reason = "Kuala Lumpur is at 3.14 degrees north; it is not pi")]
pub const KNOWN_REGIONS: &[KnownRegion] = &[
    region("us-east-1", "Ashburn, Virginia", 39.04, -77.49),
    region("us-east-2", "Columbus, Ohio", 39.96, -83.00),
    region("us-west-1", "San Jose, California", 37.34, -121.89),
    region("us-west-2", "Boardman, Oregon", 45.84, -119.70),
    region("ca-central-1", "Montreal", 45.50, -73.57),
    region("ca-west-1", "Calgary", 51.05, -114.07),
    region("mx-central-1", "Queretaro", 20.59, -100.39),
    region("sa-east-1", "Sao Paulo", -23.55, -46.63),
    region("eu-west-1", "Dublin", 53.35, -6.26),
    region("eu-west-2", "London", 51.51, -0.13),
    region("eu-west-3", "Paris", 48.86, 2.35),
    region("eu-central-1", "Frankfurt", 50.11, 8.68),
    region("eu-central-2", "Zurich", 47.38, 8.54),
    region("eu-north-1", "Stockholm", 59.33, 18.07),
    region("eu-south-1", "Milan", 45.46, 9.19),
    region("eu-south-2", "Zaragoza, Aragon", 41.65, -0.89),
    region("il-central-1", "Tel Aviv", 32.09, 34.78),
    region("me-south-1", "Manama", 26.23, 50.59),
    region("me-central-1", "Dubai", 25.20, 55.27),
    region("af-south-1", "Cape Town", -33.92, 18.42),
    region("ap-south-1", "Mumbai", 19.08, 72.88),
    region("ap-south-2", "Hyderabad", 17.39, 78.49),
    region("ap-east-1", "Hong Kong", 22.32, 114.17),
    region("ap-east-2", "Taipei", 25.03, 121.57),
    region("ap-northeast-1", "Tokyo", 35.68, 139.69),
    region("ap-northeast-2", "Seoul", 37.57, 126.98),
    region("ap-northeast-3", "Osaka", 34.69, 135.50),
    region("ap-southeast-1", "Singapore", 1.35, 103.82),
    region("ap-southeast-2", "Sydney", -33.87, 151.21),
    region("ap-southeast-3", "Jakarta", -6.21, 106.85),
    region("ap-southeast-4", "Melbourne", -37.81, 144.96),
    region("ap-southeast-5", "Kuala Lumpur", 3.14, 101.69),
    region("ap-southeast-6", "Auckland", -36.85, 174.76),
    region("ap-southeast-7", "Bangkok", 13.76, 100.50),
];

/// The Region mrsim knows by this name, if any.
pub fn known_region(name: &str) -> Option<&'static KnownRegion> {
    KNOWN_REGIONS.iter().find(|r| r.name == name)
}

/// Every known Region's name, in `KNOWN_REGIONS`'s order.
pub fn known_region_names() -> impl Iterator<Item = &'static str> {
    KNOWN_REGIONS.iter().map(|r| r.name)
}

/// Mean Earth radius (IUGG), the sphere the great-circle distances are measured on.
const EARTH_RADIUS_KM: f64 = 6371.0;

/// The great-circle distance between two Regions' cities, in kilometres (haversine).
pub fn great_circle_km(a: &KnownRegion, b: &KnownRegion) -> f64 {
    let (lat_a, lat_b) = (a.latitude_deg.to_radians(), b.latitude_deg.to_radians());
    let half_dlat = (lat_b - lat_a) / 2.0;
    let half_dlon = (b.longitude_deg - a.longitude_deg).to_radians() / 2.0;
    let h = half_dlat.sin().powi(2) + lat_a.cos() * lat_b.cos() * half_dlon.sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_shaped_like_aws_names() {
        for (i, r) in KNOWN_REGIONS.iter().enumerate() {
            assert!(KNOWN_REGIONS[..i].iter().all(|o| o.name != r.name), "{} is listed twice", r.name);
            let parts: Vec<&str> = r.name.split('-').collect();
            assert_eq!(parts.len(), 3, "{} should be area-direction-number", r.name);
            assert!(parts[2].parse::<u8>().is_ok(), "{} should end in a number", r.name);
            assert!(r.latitude_deg.abs() <= 90.0 && r.longitude_deg.abs() <= 180.0, "{} is off the globe", r.name);
        }
        assert_eq!(KNOWN_REGIONS.len(), 34, "the aws partition's commercial Regions");
    }

    #[test]
    fn great_circle_matches_known_city_distances() {
        let km = |a: &str, b: &str| great_circle_km(known_region(a).unwrap(), known_region(b).unwrap());
        // London-Paris is about 344 km, Sydney-Melbourne about 714 km, Dublin-Tokyo about 9 600 km.
        assert!((km("eu-west-2", "eu-west-3") - 344.0).abs() < 5.0, "{}", km("eu-west-2", "eu-west-3"));
        assert!((km("ap-southeast-2", "ap-southeast-4") - 714.0).abs() < 5.0);
        assert!((km("eu-west-1", "ap-northeast-1") - 9_600.0).abs() < 50.0);
        assert_eq!(km("us-east-1", "eu-west-1"), km("eu-west-1", "us-east-1"), "symmetric");
        assert_eq!(km("us-east-1", "us-east-1"), 0.0);
    }
}
