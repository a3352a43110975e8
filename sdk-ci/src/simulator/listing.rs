//! Ci's listing parameters and page shape, as every `limit`/`offset` listing answers them:
//! `limit` 1 to the operation's maximum (default 50), `offset` from 0, `orderBy` one of the
//! operation's fields, `orderDirection` `asc`/`desc`, `kind` `folder`/`asset`/`all`, and `fields`
//! to trim each item to the named top-level fields (`id` and `name` always stay). A bad value is
//! refused with the document's code (`InvalidLimitOrOffset`, `InvalidQueryOrderField`,
//! `InvalidQueryOrderDirection`, `InvalidQueryKindFilter`). The answer is
//! `{limit, offset, count, order: {by, direction}, kind?, items}`.

use dam_test_server::Reply;
use dam_test_server::sim::Call;
use serde_json::{Map, Value, json};

use super::service::api_error;

/// Which items a listing returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    All,
    Folder,
    Asset,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::All => "All",
            Kind::Folder => "Folder",
            Kind::Asset => "Asset",
        }
    }
}

/// A listing's parsed parameters.
#[derive(Debug, Clone)]
pub(crate) struct Listing {
    pub limit: usize,
    pub offset: usize,
    /// The canonical `orderBy` value.
    pub by: &'static str,
    pub desc: bool,
    pub kind: Kind,
    pub fields: Vec<String>,
}

/// Reads and checks the query of a listing whose `limit` may reach `max`, sorted by one of
/// `order_fields` (default `default_by`).
pub(crate) fn from_query(
    call: &Call<'_>,
    max: i64,
    order_fields: &[&'static str],
    default_by: &'static str,
) -> Result<Listing, Reply> {
    read(
        |name| call.query(name).map(str::to_string),
        max,
        order_fields,
        default_by,
    )
}

/// [`from_query`] for a listing whose parameters travel in a JSON body (`POST /events`).
pub(crate) fn from_json(body: &Value, max: i64, default_by: &'static str) -> Result<Listing, Reply> {
    read(
        |name| match body.get(name) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        },
        max,
        &[default_by],
        default_by,
    )
}

fn read(
    get: impl Fn(&str) -> Option<String>,
    max: i64,
    order_fields: &[&'static str],
    default_by: &'static str,
) -> Result<Listing, Reply> {
    let int = |name: &str, default: i64| match get(name) {
        None => Some(default),
        Some(v) if v.trim().is_empty() => Some(default),
        Some(v) => v.trim().parse::<i64>().ok(),
    };
    let (Some(limit), Some(offset)) = (int("limit", 50), int("offset", 0)) else {
        return Err(bad_paging(max));
    };
    if !(1..=max).contains(&limit) || offset < 0 {
        return Err(bad_paging(max));
    }
    let by = match get("orderBy").filter(|v| !v.trim().is_empty()) {
        None => default_by,
        Some(v) => match order_fields.iter().find(|f| f.eq_ignore_ascii_case(v.trim())) {
            Some(f) => f,
            None => {
                return Err(api_error(
                    400,
                    "InvalidQueryOrderField",
                    &format!("Invalid order field. It must be one of: {}.", order_fields.join(", ")),
                ));
            }
        },
    };
    let desc = match get("orderDirection").map(|v| v.trim().to_ascii_lowercase()) {
        None => false,
        Some(v) if v.is_empty() || v == "asc" => false,
        Some(v) if v == "desc" => true,
        Some(_) => {
            return Err(api_error(
                400,
                "InvalidQueryOrderDirection",
                "Invalid order direction. It must be either 'Asc' or 'Desc'.",
            ));
        }
    };
    let kind = match get("kind").map(|v| v.trim().to_ascii_lowercase()) {
        None => Kind::All,
        Some(v) if v.is_empty() || v == "all" => Kind::All,
        Some(v) if v == "folder" => Kind::Folder,
        Some(v) if v == "asset" => Kind::Asset,
        Some(_) => {
            return Err(api_error(
                400,
                "InvalidQueryKindFilter",
                "Invalid kind filter. It must be either 'All', 'Asset' or 'Folder'.",
            ));
        }
    };
    let fields = get("fields")
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|f| !f.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    Ok(Listing {
        limit: limit as usize,
        offset: offset as usize,
        by,
        desc,
        kind,
        fields,
    })
}

fn bad_paging(max: i64) -> Reply {
    api_error(
        400,
        "InvalidLimitOrOffset",
        &format!(
            "Invalid limit or offset value. Limit must be a number between 1 and {max}. Offset must be greater than or equal to 0."
        ),
    )
}

impl Listing {
    /// The page's window into `count` rows.
    pub fn window(&self, count: usize) -> std::ops::Range<usize> {
        let start = self.offset.min(count);
        start..(start + self.limit).min(count)
    }

    /// Trims an item to the requested fields (`id` and `name` always stay).
    pub fn trim(&self, item: Value) -> Value {
        if self.fields.is_empty() {
            return item;
        }
        match item {
            Value::Object(map) => Value::Object(
                map.into_iter()
                    .filter(|(k, _)| k == "id" || k == "name" || self.fields.iter().any(|f| f == k))
                    .collect(),
            ),
            other => other,
        }
    }

    /// The page: `{limit, offset, count, order, kind?, items}` plus `extra` fields.
    pub fn page(&self, count: usize, items: Vec<Value>, with_kind: bool, extra: Map<String, Value>) -> Value {
        let mut by = self.by.to_string();
        if let Some(first) = by.get(..1).map(str::to_ascii_uppercase) {
            by.replace_range(..1, &first);
        }
        let mut page = json!({
            "limit": self.limit,
            "offset": self.offset,
            "count": count,
            "order": {"by": by, "direction": if self.desc { "desc" } else { "asc" }},
        });
        if let Some(obj) = page.as_object_mut() {
            if with_kind {
                obj.insert("kind".into(), json!([self.kind.label()]));
            }
            obj.extend(extra);
            obj.insert("items".into(), Value::Array(items));
        }
        page
    }
}
