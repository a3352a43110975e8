//! Helpers the generated open enums and joined lists call.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer};

/// Reads a string, or a number/bool as its text. Used by open enums and joined lists.
pub fn deserialize_open_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Ok(s),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        serde_json::Value::Bool(b) => Ok(b.to_string()),
        other => Err(serde::de::Error::custom(format!("expected a string, found {other}"))),
    }
}

/// Joins displayable items with a separator.
pub fn join_display<T: fmt::Display>(items: &[T], separator: &str) -> String {
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(separator);
        }
        fmt::Write::write_fmt(&mut out, format_args!("{item}")).expect("writing to a String cannot fail");
    }
    out
}

/// Splits on any of the separators and parses each non-empty piece.
pub fn split_parse<T: FromStr>(text: &str, separators: &[&str]) -> Result<Vec<T>, String> {
    let mut pieces = vec![text.to_string()];
    for sep in separators {
        pieces = pieces
            .iter()
            .flat_map(|p| p.split(sep).map(str::to_string).collect::<Vec<_>>())
            .collect();
    }
    pieces
        .into_iter()
        .filter(|p| !p.is_empty())
        .map(|p| p.parse().map_err(|_| format!("cannot parse list item {p:?}")))
        .collect()
}

/// A JSON schema for an open enum: a string, with the known values as examples.
#[cfg(feature = "schemars")]
pub fn open_enum_schema(known: &[&str]) -> schemars::schema::Schema {
    let mut schema = schemars::schema::SchemaObject {
        instance_type: Some(schemars::schema::InstanceType::String.into()),
        ..Default::default()
    };
    schema.metadata().examples = known.iter().map(|v| serde_json::Value::from(*v)).collect();
    schema.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joined_lists_split_on_any_separator() {
        assert_eq!(split_parse::<i64>("1+2 3", &["+", " "]).unwrap(), vec![1, 2, 3]);
        assert_eq!(join_display(&[1, 2], "+"), "1+2");
        assert_eq!(join_display::<i64>(&[], "+"), "");
    }
}
