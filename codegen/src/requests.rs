//! `tests/generated_requests.rs`: every generated operation called once, with a value for every
//! parameter and its body, against a loopback server.
//!
//! The test asserts that each call put exactly one request on the wire with the operation's
//! method and path. Run with `DAM_RECORD_REQUESTS=<dir>` (as CI does), the requests are written
//! out and checked by an independent OpenAPI validator against the spec (`xtask/python/`), so
//! the specs and the SDKs are held to say the same thing about the wire.
//!
//! Values come from the spec: the operation's request example when it has one, otherwise a
//! minimal instance of each schema (required properties, the first enum value, one list item).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{Value, json};

/// One setter of an operation's builder: its name and the type its value converts into.
#[derive(Debug, Clone)]
pub struct Setter {
    /// The method name.
    pub name: String,
    /// The target type, as Rust source.
    pub ty: String,
}

/// Every generated operation's builder setters, by operation id, in spec order.
pub type Setters = BTreeMap<String, Vec<Setter>>;

/// Collects the setters of every operation builder in progenitor's `builder` module.
pub fn collect_setters(file: &syn::File) -> Setters {
    let mut by_builder: BTreeMap<String, Vec<Setter>> = BTreeMap::new();
    let Some(builder) = file.items.iter().find_map(|item| match item {
        syn::Item::Mod(m) if m.ident == "builder" => m.content.as_ref().map(|(_, items)| items),
        _ => None,
    }) else {
        return Setters::new();
    };
    for item in builder {
        let syn::Item::Impl(imp) = item else { continue };
        if imp.trait_.is_some() {
            continue;
        }
        let syn::Type::Path(p) = &*imp.self_ty else { continue };
        let Some(name) = p.path.segments.last().map(|s| s.ident.to_string()) else {
            continue;
        };
        for it in &imp.items {
            let syn::ImplItem::Fn(f) = it else { continue };
            let Some(wc) = &f.sig.generics.where_clause else {
                continue;
            };
            let target = wc.predicates.iter().find_map(|p| {
                let syn::WherePredicate::Type(t) = p else { return None };
                t.bounds.iter().find_map(|b| {
                    let syn::TypeParamBound::Trait(tb) = b else { return None };
                    let last = tb.path.segments.last()?;
                    if last.ident != "TryInto" {
                        return None;
                    }
                    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
                        return None;
                    };
                    args.args.iter().find_map(|a| match a {
                        syn::GenericArgument::Type(t) => Some(quote::quote!(#t).to_string().replace(' ', "")),
                        _ => None,
                    })
                })
            });
            if let Some(ty) = target {
                by_builder.entry(name.clone()).or_default().push(Setter {
                    name: f.sig.ident.to_string(),
                    ty,
                });
            }
        }
    }
    by_builder
        .into_iter()
        .map(|(builder, setters)| (heck::ToSnakeCase::to_snake_case(builder.as_str()), setters))
        .collect()
}

fn normal(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn pointer<'a>(doc: &'a Value, r: &str) -> Option<&'a Value> {
    doc.pointer(r.strip_prefix('#')?)
}

fn resolve<'a>(doc: &'a Value, mut v: &'a Value) -> &'a Value {
    for _ in 0..16 {
        match v.get("$ref").and_then(Value::as_str).and_then(|r| pointer(doc, r)) {
            Some(t) => v = t,
            None => break,
        }
    }
    v
}

/// A minimal instance of `schema`: required properties (every property at the top of a body, so a
/// form is never empty), first enum value, one list item.
pub fn synthesize(doc: &Value, schema: &Value, depth: usize) -> Value {
    let s = resolve(doc, schema);
    if depth > 12 {
        return Value::Null;
    }
    if let Some(e) = s.get("example") {
        return e.clone();
    }
    if let Some(first) = s
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.iter().find(|v| !v.is_null()))
    {
        return first.clone();
    }
    if s.get("x-dam-join").is_some() {
        // Joined lists read their joined text.
        let item = s
            .get("items")
            .map(|i| synthesize(doc, i, depth + 1))
            .unwrap_or(json!("x"));
        return Value::String(item.as_str().map(str::to_string).unwrap_or_else(|| item.to_string()));
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(first) = s.get(key).and_then(Value::as_array).and_then(|a| a.first()) {
            if key == "allOf" && s[key].as_array().is_some_and(|a| a.len() > 1) {
                let mut merged = serde_json::Map::new();
                for part in s[key].as_array().into_iter().flatten() {
                    if let Value::Object(o) = synthesize(doc, part, depth + 1) {
                        merged.extend(o);
                    }
                }
                return Value::Object(merged);
            }
            return synthesize(doc, first, depth + 1);
        }
    }
    match s.get("type").and_then(Value::as_str) {
        Some("string") => match s.get("format").and_then(Value::as_str) {
            Some("date-time") => json!("2024-01-02T03:04:05Z"),
            Some("date") => json!("2024-01-02"),
            Some("uuid") => json!("6f1c2e54-3b0e-4a61-9e3a-5d5b8f0c9a11"),
            Some("email") => json!("someone@example.com"),
            Some("uri") | Some("url") => json!("https://example.com/x"),
            _ => json!("x"),
        },
        Some("integer") => json!(1),
        Some("number") => json!(1.5),
        Some("boolean") => json!(true),
        Some("array") => {
            let item = s
                .get("items")
                .map(|i| synthesize(doc, i, depth + 1))
                .unwrap_or(json!("x"));
            json!([item])
        }
        _ => {
            let mut out = serde_json::Map::new();
            let required: Vec<&str> = s
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            for (name, prop) in s.get("properties").and_then(Value::as_object).into_iter().flatten() {
                if depth == 0 || required.contains(&name.as_str()) {
                    out.insert(name.clone(), synthesize(doc, prop, depth + 1));
                }
            }
            Value::Object(out)
        }
    }
}

/// The Rust source of `tests/generated_simulator.rs`: the same calls against the crate's simulator
/// with a ready client. Each must succeed or be refused the way a stateful service refuses a
/// request for something that does not exist (404, 409, 422); a refusal of the parameters the
/// SDK sent (400, 405, 415), a refused credential (401, 403), an answer that does not decode, or a
/// transport error fails the test.
pub fn simulator_test_source(
    crate_ident: &str,
    spec: &Value,
    prepared: &crate::prepare::Prepared,
    setters: &Setters,
) -> String {
    let calls = calls(crate_ident, spec, prepared, setters, true);
    let mut body = String::new();
    let mut fns = String::new();
    for (n, (id, chain, _, _)) in calls.iter().enumerate() {
        let _ = write!(
            fns,
            "\nasync fn call_{n}(\n    client: &{crate_ident}::Client,\n    sim: &{crate_ident}::simulator::Simulator,\n) -> Result<(), {crate_ident}::Error> {{\n    {chain}.send().await.map(drop)\n}}\n"
        );
        // A public operation (sign-in, token endpoints) takes credentials of its own, which no
        // synthesized value can get right: its refusal (400/401/403) is expected.
        let public = prepared.unauthenticated.contains(id.as_str());
        let _ = writeln!(
            body,
            "    check({id:?}, {public}, Box::pin(call_{n}(&client, &sim)).await, &mut ok, &mut failures);"
        );
    }
    format!(
        "//! Every generated operation of `{crate_ident}` called once against the crate's simulator with a\n\
         //! ready client: each answer is a success that decodes into the generated model, or the refusal a\n\
         //! stateful service gives for something that does not exist (404, 409, 422) — never a refusal of\n\
         //! what the SDK sent (400, 405, 415), of its credentials (401, 403), nor an answer that does not\n\
         //! decode. (Public operations such as sign-in take credentials of their own, which synthesized\n\
         //! values cannot get right: their 400/401/403 is expected.)\n\n\
         #![cfg(feature = \"simulator\")]\n\
         #![allow(missing_docs, unused_imports, unused_variables)]\n\n\
         /// The value the simulator offers (an id of an object that exists, read as JSON, as text or\n\
         /// bare), else the synthesized one.\n\
         fn value<T: serde::de::DeserializeOwned>(offered: Option<String>, synthesized: &str, what: &str) -> T {{\n    \
         if let Some(v) = offered {{\n        \
         let bare = v.trim_matches('\"').to_string();\n        \
         let text = serde_json::Value::String(bare.clone()).to_string();\n        \
         for candidate in [&v, &text, &bare] {{\n            \
         if let Ok(t) = serde_json::from_str(candidate) {{\n                \
         return t;\n            \
         }}\n        \
         }}\n    \
         }}\n    \
         serde_json::from_str(synthesized).expect(what)\n\
         }}\n\n\
         /// Counts a success; keeps a failure (listed all at once at the end).\n\
         fn check(\n    operation: &str,\n    public: bool,\n    result: Result<(), {crate_ident}::Error>,\n    ok: &mut usize,\n    failures: &mut Vec<String>,\n) {{\n    \
         match result {{\n        \
         Ok(()) => *ok += 1,\n        \
         Err({crate_ident}::Error::Api {{ status, .. }}) if [404, 409, 422].contains(&status.as_u16()) => {{\n            \
         println!(\"{{operation}}: {{status}}\")\n        \
         }}\n        \
         Err({crate_ident}::Error::Api {{ status, .. }}) if public && [400, 401, 403].contains(&status.as_u16()) => {{}}\n        \
         Err(e) => failures.push(format!(\"{{operation}}: {{e}}\")),\n    \
         }}\n}}\n\n\
         #[tokio::test]\n\
         async fn every_generated_operation_is_answered_by_the_simulator() {{\n    \
         let sim = {crate_ident}::simulator::Simulator::start().await.unwrap();\n    \
         let client = sim.client();\n    \
         let mut ok = 0usize;\n    \
         let mut failures = Vec::new();\n\
         {body}    \
         assert!(failures.is_empty(), \"{{}}\", failures.join(\"\\n\"));\n    \
         assert!(ok > 0, \"no operation succeeded\");\n    \
         println!(\"{{ok}} of {} operations succeeded on the simulator\");\n}}\n{fns}",
        calls.len()
    )
}

/// Every generated operation's id, call chain (without `.send()`), method and wire path. With
/// `from_simulator`, a path or query parameter takes the value the simulator offers for it
/// (`sim.example_value(operation, name)`: the id of an object that exists), else the synthesized one.
fn calls(
    crate_ident: &str,
    _spec: &Value,
    prepared: &crate::prepare::Prepared,
    setters: &Setters,
    from_simulator: bool,
) -> Vec<(String, String, String, String)> {
    let spec = _spec;
    let mut out = Vec::new();
    let doc = &prepared.document;
    for (path, item) in doc.get("paths").and_then(Value::as_object).into_iter().flatten() {
        for method in ["get", "put", "post", "delete", "options", "head", "patch", "trace"] {
            let Some(op) = item.get(method) else { continue };
            let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            let params: Vec<&Value> = op
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .chain(item.get("parameters").and_then(Value::as_array).into_iter().flatten())
                .map(|p| resolve(doc, p))
                .collect();
            let body = op.get("requestBody").map(|b| resolve(doc, b));
            let mut chain = format!("client.{id}()");
            for setter in setters.get(id).into_iter().flatten() {
                let ty = setter
                    .ty
                    .replace("crate::generated::types::", "types::")
                    .replace("types::", &format!("{crate_ident}::types::"));
                let param = params
                    .iter()
                    .find(|p| p.get("name").and_then(Value::as_str).map(normal) == Some(normal(&setter.name)));
                let value: Option<Value> = if setter.name == "body" {
                    body.and_then(|b| b.get("content"))
                        .and_then(Value::as_object)
                        .and_then(|c| {
                            let media = c.values().next()?;
                            let original = original_request_example(spec, id);
                            Some(original.unwrap_or_else(|| {
                                media.get("schema").map(|s| synthesize(doc, s, 0)).unwrap_or(json!({}))
                            }))
                        })
                } else {
                    param.and_then(|p| p.get("schema")).map(|s| synthesize(doc, s, 0))
                };
                let Some(value) = value else { continue };
                let expr = if ty == "reqwest::Body" {
                    "reqwest::Body::from(\"x\")".to_string()
                } else {
                    let text = serde_json::to_string(&value).expect("JSON");
                    let hashes = "#".repeat(
                        (1..8)
                            .find(|n| !text.contains(&format!("\"{}", "#".repeat(*n))))
                            .unwrap_or(8),
                    );
                    let wire_name = param
                        .filter(|_| setter.name != "body")
                        .and_then(|p| p.get("name"))
                        .and_then(Value::as_str);
                    match wire_name {
                        Some(name) if from_simulator => format!(
                            "value::<{ty}>(sim.example_value({id:?}, {name:?}), r{hashes}\"{text}\"{hashes}, \"{id}.{}\")",
                            setter.name
                        ),
                        _ => format!(
                            "serde_json::from_str::<{ty}>(r{hashes}\"{text}\"{hashes}).expect(\"{id}.{}\")",
                            setter.name
                        ),
                    }
                };
                let _ = write!(chain, ".{}({expr})", setter.name);
            }
            let wire_path = path.split(['?', '#']).next().unwrap_or(path).to_string();
            out.push((id.to_string(), chain, method.to_uppercase(), wire_path));
        }
    }
    out
}

/// The Rust source of the test file for one crate.
pub fn test_source(crate_ident: &str, spec: &Value, prepared: &crate::prepare::Prepared, setters: &Setters) -> String {
    let mut calls_src = String::new();
    let mut fns = String::new();
    let calls = calls(crate_ident, spec, prepared, setters, false);
    for (count, (_, chain, method, wire_path)) in calls.iter().enumerate() {
        // One function per call keeps each call's temporaries in its own stack frame (a debug
        // build of one function with hundreds of calls overflows the stack).
        let _ = write!(
            fns,
            "\nasync fn call_{count}(client: &{crate_ident}::Client) {{\n    let _ = {chain}.send().await;\n}}\n"
        );
        let _ = write!(
            calls_src,
            "    Box::pin(call_{count}(&client)).await;\n    expect(&server, {count}, {method:?}, {wire_path:?});\n"
        );
    }
    format!(
        "//! Every generated operation of `{crate_ident}` called once, with a value for every parameter\n\
         //! and its body, against a loopback server: each call puts exactly one request on the wire.\n\
         //! With `DAM_RECORD_REQUESTS=<dir>` (CI), the requests are written out and checked against the\n\
         //! spec by an independent OpenAPI validator (`xtask/python/validate_requests.py`).\n\n\
         #![allow(missing_docs, unused_imports)]\n\n\
         use dam_test_server::{{MockServer, Reply}};\n\n\
         /// Request `n` went to `method` on a path matching the template.\n\
         #[track_caller]\n\
         fn expect(server: &MockServer, n: usize, method: &str, template: &str) {{\n    \
         let requests = server.requests();\n    \
         assert_eq!(requests.len(), n + 1, \"{{method}} {{template}}: one request per call\");\n    \
         let r = &requests[n];\n    \
         assert_eq!(r.method, method, \"{{template}}\");\n    \
         assert!(\n        \
         dam_test_server::match_route(template, &r.path).is_some(),\n        \
         \"{{method}} {{template}}: sent {{}}\",\n        \
         r.path\n    \
         );\n}}\n\n\
         #[tokio::test]\n\
         async fn every_generated_operation_puts_one_request_on_the_wire() {{\n    \
         let server = MockServer::start(|_| Reply::json(200, serde_json::json!({{}}))).await;\n    \
         let client = {crate_ident}::Client::unauthenticated(&server.url()).unwrap();\n\
         {calls_src}}}\n{fns}"
    )
}

/// The first JSON request example of operation `id` in the original spec.
fn original_request_example(spec: &Value, id: &str) -> Option<Value> {
    for item in spec.get("paths")?.as_object()?.values() {
        for op in item.as_object()?.values() {
            if op.get("operationId").and_then(Value::as_str) != Some(id) {
                continue;
            }
            let body = resolve(spec, op.get("requestBody")?);
            let media = body.get("content")?.as_object()?.values().next()?;
            if let Some(e) = media.get("example") {
                return Some(e.clone());
            }
            let first = media.get("examples")?.as_object()?.values().next()?;
            return resolve(spec, first).get("value").cloned();
        }
    }
    None
}
