//! Realistic messiness: the ways services bend a JSON answer without meaning anything different,
//! one change at a time, for testing that models still decode.
//!
//! For every field (at any depth) of an answer, [`variants`] yields copies with that one field
//! changed as real services change it: an integer sent as `80.0` or `"80"`, a decimal as text, a
//! flag as `0`/`1` or `"true"`/`"false"`, an empty object as PHP's `[]`, and any field — lists
//! included — as `null`.

use serde_json::Value;

/// One variant: where the change is (`items[3].id`), what was done, and the changed document.
#[derive(Debug, Clone)]
pub struct Variant {
    /// The field changed.
    pub path: String,
    /// The change.
    pub change: &'static str,
    /// The whole document with that one change.
    pub value: Value,
}

/// Every single-field variant of `doc` (object fields only: list items are not nulled).
pub fn variants(doc: &Value) -> Vec<Variant> {
    let mut out = Vec::new();
    walk(doc, &mut Vec::new(), doc, &mut out);
    out
}

#[derive(Clone)]
enum Step {
    Key(String),
    Index(usize),
}

fn path_text(path: &[Step]) -> String {
    let mut s = String::new();
    for step in path {
        match step {
            Step::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Step::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

fn replaced(doc: &Value, path: &[Step], new: Value) -> Value {
    let mut doc = doc.clone();
    let mut at = &mut doc;
    for step in path {
        at = match step {
            Step::Key(k) => &mut at[k.as_str()],
            Step::Index(i) => &mut at[*i],
        };
    }
    *at = new;
    doc
}

fn changes(v: &Value, is_field: bool) -> Vec<(&'static str, Value)> {
    let mut c = Vec::new();
    match v {
        Value::Number(n) if n.is_i64() || n.is_u64() => {
            let f = n.as_f64().unwrap_or_default();
            c.push(("integer as integral float", serde_json::json!(f)));
            c.push(("integer as text", Value::String(n.to_string())));
        }
        Value::Number(n) => c.push(("number as text", Value::String(n.to_string()))),
        Value::Bool(b) => {
            c.push(("flag as 0/1", Value::from(u8::from(*b))));
            c.push(("flag as text", Value::String(b.to_string())));
        }
        Value::Object(m) if m.is_empty() => c.push(("empty object as []", Value::Array(Vec::new()))),
        _ => {}
    }
    if is_field && !v.is_null() {
        c.push(("null", Value::Null));
    }
    c
}

fn walk(doc: &Value, path: &mut Vec<Step>, v: &Value, out: &mut Vec<Variant>) {
    let is_field = matches!(path.last(), Some(Step::Key(_)));
    if !path.is_empty() {
        for (change, new) in changes(v, is_field) {
            out.push(Variant {
                path: path_text(path),
                change,
                value: replaced(doc, path, new),
            });
        }
    }
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                path.push(Step::Key(k.clone()));
                walk(doc, path, child, out);
                path.pop();
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                path.push(Step::Index(i));
                walk(doc, path, child, out);
                path.pop();
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_change_per_variant() {
        let doc = serde_json::json!({"id": 80, "ok": true, "meta": {}, "items": [{"x": 1.5}]});
        let v = variants(&doc);
        let has = |path: &str, value: Value| {
            v.iter().any(|x| {
                x.path == path
                    && x.value
                        .pointer(&format!("/{}", path.replace(['.', '['], "/").replace(']', "")))
                        == Some(&value)
            })
        };
        assert!(has("id", serde_json::json!(80.0)));
        assert!(has("id", serde_json::json!("80")));
        assert!(has("ok", serde_json::json!(1)));
        assert!(has("meta", serde_json::json!([])));
        assert!(has("items", Value::Null));
        assert!(has("items[0].x", serde_json::json!("1.5")));
        assert!(
            !v.iter().any(|x| x.path == "items[0]" && x.value["items"][0].is_null()),
            "list items are not nulled"
        );
    }
}
