//! `src/generated_routes.rs`: every operation of a spec (generated or hand-written) as a
//! `dam_test_server::sim::Route`, the table a crate's simulator enforces: method and path,
//! the fixed query of a `#variant`, query and header parameters with their kinds, the body's
//! content type, whether credentials are needed, the first success status and its example.
//!
//! The table follows the spec, so a simulator follows regeneration: a new operation is routed,
//! checked and answered with its example without a line of simulator code.

use std::fmt::Write as _;

use serde_json::Value;

const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];

fn resolve<'a>(doc: &'a Value, mut v: &'a Value) -> &'a Value {
    for _ in 0..16 {
        match v
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|p| doc.pointer(p))
        {
            Some(t) => v = t,
            None => break,
        }
    }
    v
}

/// The `Kind` a value of `schema` must parse as.
fn kind(doc: &Value, schema: &Value) -> &'static str {
    let s = resolve(doc, schema);
    if s.get("x-dam-type").is_some() || s.get("anyOf").is_some() || s.get("oneOf").is_some() {
        return "Any";
    }
    if let Some(parts) = s.get("allOf").and_then(Value::as_array)
        && parts.len() == 1
    {
        return kind(doc, &parts[0]);
    }
    if s.get("x-dam-join").is_some() || s.get("type").and_then(Value::as_str) == Some("array") {
        return s.get("items").map(|i| kind(doc, i)).unwrap_or("Any");
    }
    match s.get("type").and_then(Value::as_str) {
        Some("integer") => "Integer",
        Some("number") => "Number",
        Some("boolean") => "Boolean",
        Some("string") => "String",
        _ => "Any",
    }
}

fn first_example(doc: &Value, media: &Value) -> Option<Value> {
    if let Some(e) = media.get("example") {
        return Some(e.clone());
    }
    let first = media.get("examples")?.as_object()?.values().next()?;
    resolve(doc, first).get("value").cloned()
}

fn raw_string(text: &str) -> String {
    let hashes = "#".repeat(
        (1..16)
            .find(|n| !text.contains(&format!("\"{}", "#".repeat(*n))))
            .unwrap_or(16),
    );
    format!("r{hashes}\"{text}\"{hashes}")
}

/// The Rust source of `generated_routes.rs` for a spec.
pub fn source(spec_name: &str, doc: &Value) -> String {
    let mut routes = String::new();
    let mut count = 0;
    for (key, item) in doc.get("paths").and_then(Value::as_object).into_iter().flatten() {
        let path = key.split('#').next().unwrap_or(key);
        let fixed: Vec<(String, String)> = item
            .get("x-dam-fixed-query")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()),
                )
            })
            .collect();
        for method in METHODS {
            let Some(op) = item.get(*method) else { continue };
            let id = op.get("operationId").and_then(Value::as_str).unwrap_or_default();
            let params: Vec<&Value> = item
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .chain(op.get("parameters").and_then(Value::as_array).into_iter().flatten())
                .map(|p| resolve(doc, p))
                .collect();
            let list = |location: &str| -> String {
                let entries: Vec<String> = params
                    .iter()
                    .filter(|p| p.get("in").and_then(Value::as_str) == Some(location))
                    .map(|p| {
                        format!(
                            "Param {{ name: {:?}, required: {}, kind: Kind::{} }}",
                            p.get("name").and_then(Value::as_str).unwrap_or_default(),
                            p.get("required").and_then(Value::as_bool) == Some(true),
                            p.get("schema").map(|s| kind(doc, s)).unwrap_or("Any"),
                        )
                    })
                    .collect();
                format!("&[{}]", entries.join(", "))
            };
            let body = op.get("requestBody").map(|b| resolve(doc, b));
            let content_type = body
                .and_then(|b| b.get("content"))
                .and_then(Value::as_object)
                .and_then(|c| c.keys().next().cloned());
            let body_required = body.and_then(|b| b.get("required")).and_then(Value::as_bool) == Some(true);
            let public = op.get("security").and_then(Value::as_array).is_some_and(Vec::is_empty);
            let (status, example) = op
                .get("responses")
                .and_then(Value::as_object)
                .and_then(|r| r.iter().find(|(s, _)| s.starts_with('2') && s.parse::<u16>().is_ok()))
                .map(|(s, resp)| {
                    let resp = resolve(doc, resp);
                    let example = resp
                        .pointer("/content/application~1json")
                        .and_then(|m| first_example(doc, m));
                    (s.parse::<u16>().unwrap_or(200), example)
                })
                .unwrap_or((200, None));
            let example = match example {
                Some(e) => format!("Some({})", raw_string(&serde_json::to_string(&e).expect("JSON"))),
                None => "None".into(),
            };
            let fixed_src: Vec<String> = fixed.iter().map(|(k, v)| format!("({k:?}, {v:?})")).collect();
            let _ = writeln!(
                routes,
                "    Route {{ operation: {id:?}, method: {:?}, path: {path:?}, fixed_query: &[{}], query: {}, headers: {}, body: {}, body_required: {body_required}, public: {public}, status: {status}, example: {example}, hand_written: {} }},",
                method.to_uppercase(),
                fixed_src.join(", "),
                list("query"),
                list("header"),
                match &content_type {
                    Some(ct) => format!("Some({ct:?})"),
                    None => "None".into(),
                },
                op.get("x-dam-skip").is_some(),
            );
            count += 1;
        }
    }
    format!(
        "//! Every operation of `{spec_name}` as the simulator enforces it ({count} routes): method, path,\n\
         //! parameters, body, credentials, first success status and example. See\n\
         //! `dam_test_server::sim::Route`.\n\n\
         use dam_test_server::sim::{{Kind, Param, Route}};\n\n\
         /// The route table of the simulator.\n\
         pub(crate) static ROUTES: &[Route] = &[\n{routes}];\n"
    )
}
