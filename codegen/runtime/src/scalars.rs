//! Tolerant scalar types (`x-dam-type` in the specs) for values services send in several forms.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Number-or-text scalars keep what was sent, so a value round-trips unchanged.
#[derive(Clone, Debug, PartialEq)]
enum Raw {
    Number(serde_json::Number),
    Text(String),
    Bool(bool),
}

/// Reads a number, a string or a flag as it is (no `serde_json::Value` in between).
struct RawVisitor;

impl<'de> serde::de::Visitor<'de> for RawVisitor {
    type Value = Raw;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number or a string")
    }
    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Raw, E> {
        Ok(Raw::Bool(v))
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Raw, E> {
        Ok(Raw::Number(v.into()))
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Raw, E> {
        Ok(Raw::Number(v.into()))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Raw, E> {
        serde_json::Number::from_f64(v)
            .map(Raw::Number)
            .ok_or_else(|| E::custom(format!("{v} is not a finite number")))
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Raw, E> {
        Ok(Raw::Text(v.to_string()))
    }
    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Raw, E> {
        Ok(Raw::Text(v))
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Raw, E> {
        Err(E::custom("expected a number or a string, found null"))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, _: A) -> Result<Raw, A::Error> {
        Err(serde::de::Error::custom("expected a number or a string, found a list"))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, _: A) -> Result<Raw, A::Error> {
        Err(serde::de::Error::custom(
            "expected a number or a string, found an object",
        ))
    }
}

impl Raw {
    fn read<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RawVisitor)
    }
    fn text(&self) -> String {
        match self {
            Raw::Number(n) => n.to_string(),
            Raw::Text(s) => s.clone(),
            Raw::Bool(b) => b.to_string(),
        }
    }
    fn write<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Raw::Number(n) => n.serialize(s),
            Raw::Text(t) => s.serialize_str(t),
            Raw::Bool(b) => s.serialize_bool(*b),
        }
    }
}

macro_rules! loose_scalar {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq)]
        pub struct $name(Raw);

        impl $name {
            /// The value as received (a number's decimal text, or the string).
            pub fn as_text(&self) -> String {
                self.0.text()
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0.text())
            }
        }
        impl FromStr for $name {
            type Err = std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(Self(Raw::Text(s.to_string())))
            }
        }
        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(Raw::Text(s.to_string()))
            }
        }
        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self(Raw::Text(s))
            }
        }
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                self.0.write(s)
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Raw::read(d).map(Self)
            }
        }
        #[cfg(feature = "schemars")]
        impl schemars::JsonSchema for $name {
            fn schema_name() -> String {
                stringify!($name).to_string()
            }
            fn json_schema(_: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
                let schema = schemars::schema::SchemaObject {
                    instance_type: Some(
                        vec![
                            schemars::schema::InstanceType::String,
                            schemars::schema::InstanceType::Number,
                        ]
                        .into(),
                    ),
                    ..Default::default()
                };
                schema.into()
            }
        }
    };
}

loose_scalar!(
    /// An id the provider sends as a number in some answers and a string in others.
    LooseId
);
loose_scalar!(
    /// An integer the provider may send as a number or as text (`"filesize": "1234"`).
    LooseInt
);
loose_scalar!(
    /// A decimal number the provider may send as a number or as text (`"latitude": "55.6"`).
    LooseFloat
);
loose_scalar!(
    /// A flag the provider may send as `true`, `1`, `"1"`, `"true"` or `"yes"` (or the negatives).
    LooseBool
);
loose_scalar!(
    /// A point in time as the provider sends it: RFC 3339, `YYYY-MM-DD hh:mm:ss`, `YYYY-MM-DD`, or
    /// UNIX seconds as a number or text. The text is kept; [`Timestamp::to_datetime`] parses it.
    Timestamp
);

impl LooseId {
    /// The id as text.
    pub fn as_str(&self) -> std::borrow::Cow<'_, str> {
        match &self.0 {
            Raw::Text(s) => std::borrow::Cow::Borrowed(s),
            other => std::borrow::Cow::Owned(other.text()),
        }
    }
}

impl From<i64> for LooseId {
    fn from(v: i64) -> Self {
        Self(Raw::Number(v.into()))
    }
}

impl LooseInt {
    /// The integer, when the value is one (`"12"`, `12.0` and `"12.0"` count; `""`, `"n/a"`, `12.5`
    /// and values beyond `i64` do not: nothing is rounded or saturated).
    pub fn get(&self) -> Option<i64> {
        let exact = |f: f64| (f.is_finite() && f.fract() == 0.0 && f.abs() < (i64::MAX as f64)).then_some(f as i64);
        match &self.0 {
            Raw::Number(n) => n.as_i64().or_else(|| n.as_f64().and_then(exact)),
            Raw::Text(s) => {
                let t = s.trim();
                t.parse().ok().or_else(|| t.parse::<f64>().ok().and_then(exact))
            }
            Raw::Bool(_) => None,
        }
    }
}

impl From<i64> for LooseInt {
    fn from(v: i64) -> Self {
        Self(Raw::Number(v.into()))
    }
}

impl LooseFloat {
    /// The number, when the value is a finite one (`"NaN"` and `"inf"` are not numbers).
    pub fn get(&self) -> Option<f64> {
        match &self.0 {
            Raw::Number(n) => n.as_f64(),
            Raw::Text(s) => s.trim().parse().ok(),
            Raw::Bool(_) => None,
        }
        .filter(|f: &f64| f.is_finite())
    }
}

impl LooseBool {
    /// The flag, when the value is a recognisable boolean.
    pub fn get(&self) -> Option<bool> {
        match &self.0 {
            Raw::Bool(b) => Some(*b),
            Raw::Number(n) => n.as_f64().map(|f| f != 0.0),
            Raw::Text(s) => match s.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "y" | "on" => Some(true),
                "0" | "false" | "no" | "n" | "off" | "" => Some(false),
                _ => None,
            },
        }
    }
}

impl From<bool> for LooseBool {
    fn from(v: bool) -> Self {
        Self(Raw::Bool(v))
    }
}

/// UNIX times at or beyond this magnitude are milliseconds (in seconds they would be after the year
/// 5000).
const EPOCH_MILLIS_FROM: i64 = 100_000_000_000;

impl Timestamp {
    /// The instant, when the value is in a recognised form: RFC 3339 (also with a `+0100` offset or
    /// a space), RFC 2822, `YYYY-MM-DD hh:mm:ss[.fff]` (UTC), `YYYY-MM-DD`, or UNIX time as a number
    /// or text — in seconds, or in milliseconds when it is 10^11 or more.
    pub fn to_datetime(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
        let from_epoch = |n: i64| {
            if n.abs() >= EPOCH_MILLIS_FROM {
                Utc.timestamp_millis_opt(n).single()
            } else {
                Utc.timestamp_opt(n, 0).single()
            }
        };
        match &self.0 {
            Raw::Number(n) => n
                .as_i64()
                .or_else(|| {
                    n.as_f64()
                        .filter(|f| f.fract() == 0.0 && f.abs() < 9e18)
                        .map(|f| f as i64)
                })
                .and_then(from_epoch),
            Raw::Bool(_) => None,
            Raw::Text(t) => {
                let t = t.trim();
                if let Ok(n) = t.parse::<i64>() {
                    return from_epoch(n);
                }
                if let Ok(d) = DateTime::parse_from_rfc3339(t) {
                    return Some(d.with_timezone(&Utc));
                }
                for f in [
                    "%Y-%m-%dT%H:%M:%S%.f%z",
                    "%Y-%m-%d %H:%M:%S%.f%z",
                    "%Y-%m-%d %H:%M:%S%.f %z",
                ] {
                    if let Ok(d) = DateTime::parse_from_str(t, f) {
                        return Some(d.with_timezone(&Utc));
                    }
                }
                if let Ok(d) = DateTime::parse_from_rfc2822(t) {
                    return Some(d.with_timezone(&Utc));
                }
                for f in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
                    if let Ok(d) = NaiveDateTime::parse_from_str(t, f) {
                        return Some(d.and_utc());
                    }
                }
                NaiveDate::parse_from_str(t, "%Y-%m-%d")
                    .ok()
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .map(|d| d.and_utc())
            }
        }
    }
}

impl From<chrono::DateTime<chrono::Utc>> for Timestamp {
    fn from(v: chrono::DateTime<chrono::Utc>) -> Self {
        Self(Raw::Text(v.to_rfc3339()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loose_scalars_accept_numbers_and_text() {
        let id: LooseId = serde_json::from_str("123").unwrap();
        assert_eq!(id.as_str(), "123");
        assert_eq!(serde_json::to_string(&id).unwrap(), "123");
        let id: LooseId = serde_json::from_str("\"abc\"").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"abc\"");
        let n: LooseInt = serde_json::from_str("\"1234\"").unwrap();
        assert_eq!(n.get(), Some(1234));
        let n: LooseInt = serde_json::from_str("\"\"").unwrap();
        assert_eq!(n.get(), None);
        let b: LooseBool = serde_json::from_str("\"1\"").unwrap();
        assert_eq!(b.get(), Some(true));
        let f: LooseFloat = serde_json::from_str("\"55.5\"").unwrap();
        assert_eq!(f.get(), Some(55.5));
        assert!(serde_json::from_str::<LooseInt>("{}").is_err());
        assert_eq!(LooseInt::from("80.0").get(), Some(80));
        assert_eq!(serde_json::from_str::<LooseInt>("80.0").unwrap().get(), Some(80));
        assert_eq!(
            serde_json::from_str::<LooseInt>("1e300").unwrap().get(),
            None,
            "never saturated"
        );
        assert_eq!(serde_json::from_str::<LooseInt>("80.5").unwrap().get(), None);
        assert_eq!(LooseFloat::from("NaN").get(), None);
        assert_eq!(LooseFloat::from("inf").get(), None);
    }

    #[test]
    fn timestamps_in_every_documented_form() {
        let want = chrono::DateTime::parse_from_rfc3339("2015-04-16T12:39:39Z").unwrap();
        for json in [
            "1429187979",
            "\"1429187979\"",
            "\"2015-04-16T12:39:39Z\"",
            "\"2015-04-16 12:39:39\"",
        ] {
            let t: Timestamp = serde_json::from_str(json).unwrap();
            assert_eq!(t.to_datetime(), Some(want.with_timezone(&chrono::Utc)), "{json}");
        }
        let odd: Timestamp = serde_json::from_str("\"2014-06-26 145:11:25\"").unwrap();
        let ms: Timestamp = serde_json::from_str("1429187979123").unwrap();
        assert_eq!(
            ms.to_datetime().unwrap().timestamp_millis(),
            1429187979123,
            "milliseconds"
        );
        for text in [
            "2015-04-16T13:39:39+0100",
            "Thu, 16 Apr 2015 12:39:39 GMT",
            "2015-04-16 14:39:39+02:00",
        ] {
            let t = Timestamp::from(text);
            assert_eq!(t.to_datetime(), Some(want.with_timezone(&chrono::Utc)), "{text}");
        }
        assert_eq!(odd.to_datetime(), None);
        assert_eq!(odd.to_string(), "2014-06-26 145:11:25");
    }
}
