//! Where a tip's problem is: a free-text address or landmark, WGS84 coordinates, or both.
//!
//! Coordinates are kept as whole microdegrees (`i32`): exact to store and compare on
//! SQLite and PostgreSQL alike, and 1e-6° (about 0.1 m) is finer than any phone's fix.
//! Anything finer is rounded away; a place outside Sweden is refused.

use super::{Invalid, Param, charset};

/// Longest address or landmark, in characters after trimming.
pub const ADDRESS_MAX_CHARS: usize = 200;

/// Sweden's bounding box (mainland, Öland, Gotland and the islands off the coasts), with
/// a small margin at sea, in degrees.
pub const LATITUDE_RANGE: (f64, f64) = (55.0, 69.1);
pub const LONGITUDE_RANGE: (f64, f64) = (10.5, 24.2);

/// A validated place; at least one of its parts is set.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Place {
    pub address: Option<String>,
    pub point: Option<Point>,
}

/// A WGS84 position in microdegrees.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Point {
    pub latitude_e6: i32,
    pub longitude_e6: i32,
}

impl Point {
    pub fn latitude(&self) -> f64 {
        f64::from(self.latitude_e6) / 1e6
    }

    pub fn longitude(&self) -> f64 {
        f64::from(self.longitude_e6) / 1e6
    }
}

impl Place {
    /// The place stored with a tip (columns `place_*`), if it has one.
    pub fn stored(
        address: Option<&str>,
        latitude_e6: Option<i32>,
        longitude_e6: Option<i32>,
    ) -> Option<Self> {
        let point = match (latitude_e6, longitude_e6) {
            (Some(latitude_e6), Some(longitude_e6)) => Some(Point {
                latitude_e6,
                longitude_e6,
            }),
            _ => None,
        };
        let address = address.map(str::to_owned);
        (address.is_some() || point.is_some()).then_some(Self { address, point })
    }

    /// One line for people: "Storgatan vid skolan (58.712346, 12.460100)".
    pub fn describe(&self) -> String {
        let point = self
            .point
            .map(|p| format!("{:.6}, {:.6}", p.latitude(), p.longitude()));
        match (&self.address, point) {
            (Some(a), Some(p)) => format!("{a} ({p})"),
            (Some(a), None) => a.clone(),
            (None, Some(p)) => p,
            (None, None) => String::new(),
        }
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> Invalid {
    Invalid {
        swedish: true,
        ..super::invalid(field, message)
    }
}

/// Validate a place as a resident gave it. `field` prefixes the names in errors
/// (`place` in the API: `place.latitude`). Nothing given is `Ok(None)`.
pub fn parse(
    address: Option<&str>,
    latitude: Option<f64>,
    longitude: Option<f64>,
) -> Result<Option<Place>, Invalid> {
    let address = match address.map(str::trim).filter(|a| !a.is_empty()) {
        None => None,
        Some(a) if charset::line_has_forbidden(a) => {
            return Err(invalid(
                "place.address",
                "Platsen ska stå på en rad, utan styrtecken eller osynliga tecken.",
            ));
        }
        Some(a) if a.chars().count() > ADDRESS_MAX_CHARS => {
            return Err(invalid(
                "place.address",
                format!("Platsen får vara högst {ADDRESS_MAX_CHARS} tecken."),
            )
            .with("max", Param::Int(ADDRESS_MAX_CHARS as i64)));
        }
        Some(a) => Some(a.to_owned()),
    };
    let point = match (latitude, longitude) {
        (None, None) => None,
        (Some(lat), Some(lon)) => Some(point(lat, lon)?),
        (Some(_), None) => {
            return Err(invalid(
                "place.longitude",
                "Ange både latitud och longitud, eller ingen av dem.",
            ));
        }
        (None, Some(_)) => {
            return Err(invalid(
                "place.latitude",
                "Ange både latitud och longitud, eller ingen av dem.",
            ));
        }
    };
    if address.is_none() && point.is_none() {
        return Ok(None);
    }
    Ok(Some(Place { address, point }))
}

fn point(latitude: f64, longitude: f64) -> Result<Point, Invalid> {
    let within = |v: f64, (lo, hi): (f64, f64)| v.is_finite() && (lo..=hi).contains(&v);
    if !within(latitude, LATITUDE_RANGE) {
        return Err(invalid(
            "place.latitude",
            "Platsen måste ligga i Sverige (latitud mellan 55,0 och 69,1).",
        )
        .with("min", Param::Float(LATITUDE_RANGE.0))
        .with("max", Param::Float(LATITUDE_RANGE.1)));
    }
    if !within(longitude, LONGITUDE_RANGE) {
        return Err(invalid(
            "place.longitude",
            "Platsen måste ligga i Sverige (longitud mellan 10,5 och 24,2).",
        )
        .with("min", Param::Float(LONGITUDE_RANGE.0))
        .with("max", Param::Float(LONGITUDE_RANGE.1)));
    }
    // In range, so both fit an i32 with room to spare.
    Ok(Point {
        latitude_e6: (latitude * 1e6).round() as i32,
        longitude_e6: (longitude * 1e6).round() as i32,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places() {
        assert_eq!(parse(None, None, None), Ok(None));
        assert_eq!(parse(Some("   "), None, None), Ok(None));
        let p = parse(
            Some(" Storgatan vid skolan "),
            Some(58.71234567),
            Some(12.4601),
        )
        .ok()
        .flatten();
        assert_eq!(
            p,
            Some(Place {
                address: Some("Storgatan vid skolan".into()),
                point: Some(Point {
                    latitude_e6: 58_712_346,
                    longitude_e6: 12_460_100
                }),
            })
        );
        // Kiruna, Smygehuk, Haparanda and Strömstad are in; Oslo, Copenhagen and
        // Helsinki are not.
        for (lat, lon) in [
            (67.85, 20.22),
            (55.34, 13.36),
            (65.84, 24.14),
            (58.94, 11.17),
        ] {
            assert!(parse(None, Some(lat), Some(lon)).is_ok(), "{lat},{lon}");
        }
        for (lat, lon, field) in [
            (59.91, 10.2, "place.longitude"),
            (54.9, 12.57, "place.latitude"),
            (60.17, 24.94, "place.longitude"),
            (f64::NAN, 15.0, "place.latitude"),
            (60.0, f64::INFINITY, "place.longitude"),
        ] {
            assert_eq!(
                parse(None, Some(lat), Some(lon)).map_err(|e| e.field),
                Err(field)
            );
        }
        assert_eq!(
            parse(None, Some(60.0), None).map_err(|e| e.field),
            Err("place.longitude")
        );
        assert!(parse(Some("två\nrader"), None, None).is_err());
        assert!(parse(Some(&"å".repeat(201)), None, None).is_err());
        assert!(parse(Some(&"å".repeat(200)), None, None).is_ok());
    }

    #[test]
    fn stored_and_described() {
        assert_eq!(Place::stored(None, None, None), None);
        let p = Place::stored(Some("Torget"), Some(58_712_346), Some(12_460_100));
        assert_eq!(
            p.map(|p| p.describe()).as_deref(),
            Some("Torget (58.712346, 12.460100)")
        );
        let p = Place::stored(None, Some(58_000_000), Some(12_000_000));
        assert_eq!(
            p.map(|p| p.describe()).as_deref(),
            Some("58.000000, 12.000000")
        );
    }
}
