//! Checks a spec against `specs/README.md` and adapts it to what progenitor 0.15 can generate.
//!
//! The spec on disk describes the API faithfully; this module derives the document progenitor sees:
//! skipped operations removed, `#variant` path keys given their fixed query, one success body per
//! operation, and one shared error body. Every problem is reported as `spec: operation: reason`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::providers::common::RUNTIME_TYPES;

const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// The name of the error schema the generator injects for every operation.
pub const ERROR_SCHEMA: &str = "DamErrorBody";

/// A string enum that becomes an open Rust enum.
#[derive(Debug, Clone)]
pub struct OpenEnum {
    /// Schema (and Rust type) name.
    pub name: String,
    /// Description from the spec.
    pub description: Option<String>,
    /// `(wire value, variant name)` pairs, in spec order.
    pub variants: Vec<(String, String)>,
}

/// How a joined list travels on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Join {
    /// A literal `+` (written as a space before form encoding).
    Plus,
    /// A comma.
    Comma,
}

/// An array schema that is sent as one joined value.
#[derive(Debug, Clone)]
pub struct JoinedList {
    /// Schema (and Rust type) name.
    pub name: String,
    /// Description from the spec.
    pub description: Option<String>,
    /// The item type as a Rust path.
    pub item: String,
    /// The separator.
    pub join: Join,
}

/// An operation that is described but not generated.
#[derive(Debug, Clone)]
pub struct Skipped {
    /// `operationId`.
    pub operation_id: String,
    /// HTTP method, upper case.
    pub method: String,
    /// Path key as written in the spec.
    pub path: String,
    /// Why it is not generated.
    pub reason: String,
}

/// A JSON example found in the spec, with the Rust type it must decode into.
#[derive(Debug, Clone)]
pub struct Example {
    /// Where it is: `operation request`, `operation 200`, or `schema Name`.
    pub location: String,
    /// The Rust type, relative to the crate's `types` module (e.g. `Media` or `Vec<Media>`).
    pub rust_type: String,
    /// A request body's example (not an answer's).
    pub is_request: bool,
    /// The example itself.
    pub value: Value,
}

/// What the runtime needs to know about one generated operation's answers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OperationMeta {
    /// Success statuses whose body is the generated model.
    pub ok: Vec<u16>,
    /// Success statuses documented with a different body (surfaced with their body by the runtime).
    pub other: Vec<u16>,
    /// The success body can hold a credential (it refers to an `x-dam-type: Secret` schema).
    pub sensitive: bool,
}

/// The result of preparing one spec.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The document to give progenitor.
    pub document: Value,
    /// Schema name -> runtime type name (`x-dam-type`).
    pub runtime_types: BTreeMap<String, String>,
    /// Open enums to emit.
    pub enums: Vec<OpenEnum>,
    /// Joined lists to emit.
    pub lists: Vec<JoinedList>,
    /// Operations called without credentials (`security: []`).
    pub unauthenticated: BTreeSet<String>,
    /// POST operations marked `x-dam-idempotent: true`.
    pub idempotent_posts: BTreeSet<String>,
    /// Operations described but not generated.
    pub skipped: Vec<Skipped>,
    /// Every example, for the generated example tests.
    pub examples: Vec<Example>,
    /// Number of generated operations.
    pub operation_count: usize,
    /// Generated operations by `operationId`.
    pub operations: BTreeMap<String, OperationMeta>,
    /// Models that keep no unknown keys: component schemas used only in request bodies (never in an
    /// answer) that the spec does not declare open (`additionalProperties`). Every other model is
    /// open: unknown keys are kept and sent back.
    pub closed_models: BTreeSet<String>,
}

/// Checks and adapts `spec` (already parsed from YAML). `spec_name` is used in messages.
pub fn prepare(spec_name: &str, spec: &Value) -> Result<Prepared, Vec<String>> {
    let mut errors = Vec::new();
    let mut err = |op: &str, msg: String| errors.push(format!("{spec_name}: {op}: {msg}"));

    let version = spec.get("openapi").and_then(Value::as_str).unwrap_or("");
    if !version.starts_with("3.0.") {
        err(
            "(document)",
            format!("OpenAPI version must be 3.0.x, found {version:?}"),
        );
    }
    let mut refs = Vec::new();
    collect_refs(spec, &mut refs);
    for r in &refs {
        if !r.starts_with("#/") {
            err(
                "(document)",
                format!("external $ref {r:?}: specs must be self-contained"),
            );
        } else if pointer(spec, r).is_none() {
            err("(document)", format!("$ref {r:?} does not resolve"));
        }
    }
    let schemas = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();

    // Named schemas: enums, joined lists, runtime types.
    let mut enums = Vec::new();
    let mut lists = Vec::new();
    let mut runtime_types = BTreeMap::new();
    for (name, schema) in &schemas {
        let where_ = format!("schema {name}");
        if !is_pascal(name) {
            err(&where_, "component schema names must be PascalCase".into());
        }
        if let Some(t) = schema.get("x-dam-type") {
            match t.as_str() {
                Some(t) if RUNTIME_TYPES.contains(&t) => {
                    runtime_types.insert(name.clone(), t.to_string());
                }
                _ => err(
                    &where_,
                    format!("unknown x-dam-type {t}; known: {}", RUNTIME_TYPES.join(", ")),
                ),
            }
            continue;
        }
        if let Some(values) = schema.get("enum") {
            match open_enum(name, schema, values) {
                Ok(e) => enums.push(e),
                Err(m) => err(&where_, m),
            }
        }
        if let Some(j) = schema.get("x-dam-join") {
            let join = match j.as_str() {
                Some("plus") => Join::Plus,
                Some("comma") => Join::Comma,
                _ => {
                    err(&where_, format!("x-dam-join must be `plus` or `comma`, found {j}"));
                    continue;
                }
            };
            let item = schema.get("items");
            let item = match item.and_then(|i| i.get("$ref")).and_then(Value::as_str) {
                Some(r) => r
                    .rsplit('/')
                    .next()
                    .map(|n| format!("{}::{n}", crate::providers::common::TYPES_PATH)),
                None => match item.and_then(|i| i.get("type")).and_then(Value::as_str) {
                    Some("integer") => Some("i64".to_string()),
                    Some("string") => Some("::std::string::String".to_string()),
                    _ => None,
                },
            };
            // `type: string` says what a JSON body carries (one joined string); `array` what a
            // query parameter with `explode: false` means. Both become the same list type.
            match (schema.get("type").and_then(Value::as_str), item) {
                (Some("array" | "string"), Some(item)) => lists.push(JoinedList {
                    name: name.clone(),
                    description: desc(schema),
                    item,
                    join,
                }),
                _ => err(
                    &where_,
                    "x-dam-join needs `type: array` (or `string`, in a JSON body) with items that are a $ref, an integer or a string".into(),
                ),
            }
        }
    }
    // Inline enums anywhere but directly in a component schema.
    let mut inline = Vec::new();
    find_inline_enums(spec, "", &mut inline);
    for p in inline {
        err(
            &p,
            "inline enum: declare it under components/schemas and $ref it (it becomes an open enum)".into(),
        );
    }

    // Operations.
    let mut doc = spec.clone();
    let mut unauthenticated = BTreeSet::new();
    let mut idempotent_posts = BTreeSet::new();
    let mut skipped = Vec::new();
    let mut examples = Vec::new();
    let mut seen_ids = BTreeSet::new();
    let mut operation_count = 0;
    let mut operations = BTreeMap::new();

    let paths = spec
        .get("paths")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut new_paths = Map::new();
    for (path, item) in &paths {
        let Some(item_obj) = item.as_object() else {
            err(path, "path item must be an object".into());
            continue;
        };
        if item_obj.contains_key("$ref") {
            err(path, "path items must not be $refs".into());
            continue;
        }
        if !path.starts_with('/') {
            err(path, "path keys must start with `/`".into());
        }
        let mut new_item = Map::new();
        for (k, v) in item_obj {
            if !METHODS.contains(&k.as_str()) && !k.starts_with("x-") {
                new_item.insert(k.clone(), v.clone());
            }
        }
        let path_params = item_obj.get("parameters").cloned().unwrap_or(json!([]));
        for method in METHODS {
            let Some(op) = item_obj.get(*method) else {
                continue;
            };
            let id = op.get("operationId").and_then(Value::as_str).unwrap_or("").to_string();
            let label = if id.is_empty() {
                format!("{} {path}", method.to_uppercase())
            } else {
                id.clone()
            };
            if id.is_empty() {
                err(&label, "missing operationId".into());
            } else if !seen_ids.insert(id.clone()) {
                err(&label, "duplicate operationId".into());
            } else if !is_snake(&id) {
                err(
                    &label,
                    "operationId must be snake_case (it becomes the Rust method name)".into(),
                );
            }
            if op.get("summary").and_then(Value::as_str).is_none_or(str::is_empty) {
                err(&label, "missing summary".into());
            }
            match op.get("tags").and_then(Value::as_array) {
                Some(t) if t.len() == 1 => {}
                _ => err(&label, "needs exactly one tag".into()),
            }
            if op.get("security").and_then(Value::as_array).is_some_and(Vec::is_empty) {
                unauthenticated.insert(id.clone());
            }
            if *method == "post" && op.get("x-dam-idempotent").and_then(Value::as_bool) == Some(true) {
                idempotent_posts.insert(id.clone());
            }
            collect_examples(spec, &label, op, &mut examples);
            if let Some(reason) = op.get("x-dam-skip") {
                skipped.push(Skipped {
                    operation_id: id.clone(),
                    method: method.to_uppercase(),
                    path: path.clone(),
                    reason: reason.as_str().unwrap_or("").to_string(),
                });
                continue;
            }
            let mut problems = Vec::new();
            let (new_op, meta) = adapt_operation(spec, op, &path_params, &mut problems);
            operations.insert(id.clone(), meta);
            for p in problems {
                err(&label, p);
            }
            operation_count += 1;
            new_item.insert((*method).to_string(), new_op);
        }
        if METHODS.iter().any(|m| new_item.contains_key(*m)) {
            new_paths.insert(wire_path(path, item_obj), Value::Object(new_item));
        }
    }
    if let Some(s) = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut) {
        s.insert(
            ERROR_SCHEMA.to_string(),
            json!({"type": "object", "description": "Error body"}),
        );
    } else {
        doc.as_object_mut()
            .expect("an OpenAPI document is an object")
            .entry("components")
            .or_insert(json!({}))
            .as_object_mut()
            .map(|c| c.insert("schemas".into(), json!({ERROR_SCHEMA: {"type": "object"}})));
    }
    runtime_types.insert(ERROR_SCHEMA.to_string(), "ErrorBody".to_string());
    doc["paths"] = Value::Object(new_paths);
    // progenitor ignores `explode: false` and refuses `spaceDelimited`; joined lists serialise
    // themselves, so it sees neither.
    strip_query_styles(&mut doc);
    // A nullable object schema says that answers may send `null` for it. Every field that refers
    // to it is already an `Option` (and decodes `null` as `None`); typify would instead wrap the
    // model in a newtype around an `Option`, so it does not see the flag.
    if let Some(s) = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut) {
        for schema in s.values_mut() {
            let object =
                schema.get("type").and_then(Value::as_str) == Some("object") || schema.get("properties").is_some();
            if object && let Some(o) = schema.as_object_mut() {
                o.remove("nullable");
            }
        }
    }
    // Tolerant scalars stand for values that may also be null.
    for (name, schema) in &schemas {
        if schema.get("x-dam-type").is_some() && !accepts_null(schema) {
            err(
                &format!("schema {name}"),
                "a tolerant scalar (x-dam-type) must accept null: `nullable: true` beside its `type`, or every `anyOf` branch nullable".into(),
            );
        }
    }
    if operation_count == 0 {
        err("(document)", "no operation to generate".into());
    }

    if errors.is_empty() {
        Ok(Prepared {
            document: doc,
            runtime_types,
            enums,
            lists,
            unauthenticated,
            idempotent_posts,
            skipped,
            examples,
            operation_count,
            operations,
            closed_models: closed_models(spec),
        })
    } else {
        Err(errors)
    }
}

/// Whether a schema admits `null` under OpenAPI 3.0 rules (`nullable` counts only beside `type`).
fn accepts_null(schema: &Value) -> bool {
    let nullable = |s: &Value| s.get("nullable").and_then(Value::as_bool) == Some(true) && s.get("type").is_some();
    nullable(schema)
        || schema
            .get("anyOf")
            .and_then(Value::as_array)
            .is_some_and(|branches| branches.iter().any(nullable))
}

/// Removes `style`/`explode` from every parameter whose style progenitor cannot handle or ignores.
fn strip_query_styles(doc: &mut Value) {
    fn strip(param: &mut Value) {
        if let Some(p) = param.as_object_mut() {
            let odd = p.get("style").and_then(Value::as_str).is_some_and(|s| s != "form")
                || p.get("explode").and_then(Value::as_bool) == Some(false);
            if odd {
                p.remove("style");
                p.remove("explode");
            }
        }
    }
    if let Some(params) = doc.pointer_mut("/components/parameters").and_then(Value::as_object_mut) {
        params.values_mut().for_each(strip);
    }
    for item in doc
        .get_mut("paths")
        .and_then(Value::as_object_mut)
        .into_iter()
        .flat_map(|p| p.values_mut())
    {
        let Some(item) = item.as_object_mut() else { continue };
        for (key, value) in item.iter_mut() {
            let list = if key == "parameters" {
                Some(value)
            } else {
                value.get_mut("parameters")
            };
            if let Some(list) = list.and_then(Value::as_array_mut) {
                list.iter_mut().for_each(strip);
            }
        }
    }
}

/// The path key progenitor sees: `#variant` keys get their fixed query (or keep the fragment, which
/// never reaches the wire).
fn wire_path(path: &str, item: &Map<String, Value>) -> String {
    let Some((base, _)) = path.split_once('#') else {
        return path.to_string();
    };
    match item.get("x-dam-fixed-query").and_then(Value::as_object) {
        Some(q) if !q.is_empty() => {
            let query: Vec<String> = q
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{k}={}",
                        v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())
                    )
                })
                .collect();
            format!("{base}?{}", query.join("&"))
        }
        _ => path.to_string(),
    }
}

/// One operation as progenitor will see it, and what the runtime needs to know of its answers.
fn adapt_operation(
    spec: &Value,
    op: &Value,
    path_params: &Value,
    problems: &mut Vec<String>,
) -> (Value, OperationMeta) {
    let chosen = success_override(op);
    let mut op = op.clone();
    let obj = op.as_object_mut().expect("operations are objects");
    obj.retain(|k, _| !k.starts_with("x-"));

    // Parameters.
    let params = obj
        .get("parameters")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for p in params.iter().chain(path_params.as_array().into_iter().flatten()) {
        let p = resolve(spec, p);
        let name = p.get("name").and_then(Value::as_str).unwrap_or("?");
        let in_ = p.get("in").and_then(Value::as_str).unwrap_or("?");
        let schema = p.get("schema").map(|s| resolve(spec, s)).unwrap_or(Value::Null);
        match in_ {
            "cookie" => problems.push(format!(
                "parameter {name}: cookie parameters are not supported by progenitor; describe the cookie as a security scheme and set it in the auth hook"
            )),
            "query" => {
                let style = p.get("style").and_then(Value::as_str).unwrap_or("form");
                let explode = p.get("explode").and_then(Value::as_bool).unwrap_or(true);
                let join = p
                    .get("schema")
                    .and_then(|s| s.get("$ref"))
                    .and_then(Value::as_str)
                    .and_then(|r| pointer(spec, r))
                    .and_then(|t| t.get("x-dam-join"))
                    .and_then(Value::as_str);
                match (join, style, explode) {
                    (Some("plus"), "spaceDelimited", false) | (Some("comma"), "form", false) => {}
                    (Some(j), _, _) => {
                        let want = if j == "plus" { "spaceDelimited" } else { "form" };
                        problems.push(format!(
                            "parameter {name}: a joined list ({j}) is one value on the wire: declare `style: {want}, explode: false` so other tools read it as the SDK sends it"
                        ));
                    }
                    (None, "form", true) => {}
                    (None, "form", false) if schema.get("type").and_then(Value::as_str) == Some("array") => {
                        problems.push(format!(
                            "parameter {name}: `explode: false` arrays need a joined-list schema (x-dam-join)"
                        ));
                    }
                    (None, "form", false) => {}
                    (None, other, _) => problems.push(format!(
                        "parameter {name}: query style {other:?} is not supported; use a joined list (x-dam-join)"
                    )),
                }
                let required = p.get("required").and_then(Value::as_bool) == Some(true);
                if !required && schema.get("type").and_then(Value::as_str) == Some("object") {
                    problems.push(format!("parameter {name}: optional object query parameters make progenitor panic; flatten it or send a JSON string"));
                }
            }
            "header" if schema.get("type").and_then(Value::as_str) == Some("array") => {
                problems.push(format!(
                    "parameter {name}: array header parameters do not compile; type it as a string"
                ));
            }
            _ => {}
        }
    }

    // Request body.
    if let Some(body) = obj.get("requestBody") {
        let body = resolve(spec, body);
        let content = body
            .get("content")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        if content.len() != 1 {
            problems.push(format!(
                "request body must have exactly one content type, found {}",
                content.len()
            ));
        }
        for (ct, media) in &content {
            match ct.as_str() {
                "application/json" | "application/octet-stream" => {}
                "application/x-www-form-urlencoded" => {
                    let schema = media.get("schema").map(|s| resolve(spec, s)).unwrap_or(Value::Null);
                    for (field, prop) in schema.get("properties").and_then(Value::as_object).into_iter().flatten() {
                        if resolve(spec, prop).get("type").and_then(Value::as_str) == Some("array") {
                            problems.push(format!("form body field {field} is an array: progenitor cannot serialise it; keep form bodies flat"));
                        }
                    }
                }
                "multipart/form-data" => problems.push(
                    "multipart/form-data bodies are not supported by progenitor: add `x-dam-skip: <reason>` and implement the operation by hand".into(),
                ),
                other => problems.push(format!(
                    "request content type {other:?} is not supported: use application/octet-stream plus a Content-Type header parameter"
                )),
            }
        }
    }

    // Responses: one success body, one shared error body.
    let responses = obj
        .get("responses")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut success: Vec<(String, Value)> = Vec::new();
    for (status, resp) in &responses {
        if status.starts_with('2') {
            success.push((status.clone(), resolve(spec, resp)));
        }
    }
    if success.is_empty() {
        problems.push("no 2xx response documented".into());
    }
    let body_of = |r: &Value| -> Option<(String, Value)> {
        let content = r.get("content")?.as_object()?;
        let (ct, media) = content
            .get_key_value("application/json")
            .or_else(|| content.iter().next())?;
        Some((ct.clone(), media.get("schema").cloned().unwrap_or(json!({}))))
    };
    let distinct: BTreeSet<String> = success
        .iter()
        .filter_map(|(_, r)| body_of(r).map(|b| format!("{} {}", b.0, b.1)))
        .collect();
    let keep_body: Option<String> = match (distinct.len(), chosen) {
        (0, _) => None,
        (1, _) => distinct.into_iter().next(),
        (_, Some(code)) => match success.iter().find(|(s, _)| *s == code) {
            Some((_, r)) => body_of(r).map(|b| format!("{} {}", b.0, b.1)),
            None => {
                problems.push(format!(
                    "x-dam-success names {code}, which is not a documented response"
                ));
                None
            }
        },
        (n, None) => {
            problems.push(format!(
                "{n} different success bodies: progenitor supports one; set `x-dam-success` to the status to generate and handle the others by hand"
            ));
            None
        }
    };
    let mut meta = OperationMeta::default();
    let mut new_responses = Map::new();
    for (status, resp) in &success {
        let body = body_of(resp).map(|b| format!("{} {}", b.0, b.1));
        let code = status.parse::<u16>().ok();
        if body.is_some() && body != keep_body {
            meta.other.extend(code);
        }
        if body == keep_body {
            meta.ok.extend(code);
            if let Some((_, schema)) = body_of(resp) {
                meta.sensitive |= refers_to_secret(spec, &schema, &mut BTreeSet::new());
            }
            let mut r = resp.clone();
            if let (Some(content), Some((ct, _))) = (r.get_mut("content").and_then(Value::as_object_mut), body_of(resp))
            {
                content.retain(|k, _| *k == ct);
                for m in content.values_mut() {
                    if let Some(m) = m.as_object_mut() {
                        m.retain(|k, _| k == "schema");
                    }
                }
            }
            new_responses.insert(status.clone(), r);
        }
    }
    let error = json!({
        "description": "An error answer (see the SDK's error type).",
        "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{ERROR_SCHEMA}")}}}
    });
    new_responses.insert("4XX".into(), error.clone());
    new_responses.insert("5XX".into(), error);
    obj.insert("responses".into(), Value::Object(new_responses));
    (op, meta)
}

/// Component schemas reachable only from request bodies and not declared open: the models that
/// keep no unknown keys (see [`crate::models`]).
pub fn closed_models(spec: &Value) -> BTreeSet<String> {
    let mut requests = BTreeSet::new();
    let mut answers = BTreeSet::new();
    let paths = spec.get("paths").and_then(Value::as_object);
    for item in paths.into_iter().flat_map(|p| p.values()) {
        for method in METHODS {
            let Some(op) = item.get(*method) else { continue };
            if let Some(body) = op.get("requestBody") {
                referenced_schemas(spec, &resolve(spec, body), &mut requests);
            }
            for (_, resp) in op.get("responses").and_then(Value::as_object).into_iter().flatten() {
                referenced_schemas(spec, &resolve(spec, resp), &mut answers);
            }
        }
    }
    let open = |name: &String| {
        spec.pointer(&format!("/components/schemas/{name}/additionalProperties"))
            .is_some_and(|a| a != &Value::Bool(false))
    };
    requests
        .into_iter()
        .filter(|n| !answers.contains(n) && !open(n))
        .collect()
}

/// Adds the names of every component schema `v` refers to, transitively.
fn referenced_schemas(spec: &Value, v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                if k == "example" || k == "examples" {
                    continue;
                }
                if k == "$ref"
                    && let Some(name) = v.as_str().and_then(|r| r.strip_prefix("#/components/schemas/"))
                {
                    if out.insert(name.to_string())
                        && let Some(target) = spec.pointer(&format!("/components/schemas/{name}"))
                    {
                        referenced_schemas(spec, target, out);
                    }
                    continue;
                }
                referenced_schemas(spec, v, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|v| referenced_schemas(spec, v, out)),
        _ => {}
    }
}

/// Whether `schema` refers, directly or through other schemas, to an `x-dam-type: Secret` schema.
fn refers_to_secret(doc: &Value, schema: &Value, seen: &mut BTreeSet<String>) -> bool {
    match schema {
        Value::Object(m) => {
            if m.get("x-dam-type").and_then(Value::as_str) == Some("Secret") {
                return true;
            }
            if let Some(r) = m.get("$ref").and_then(Value::as_str) {
                return seen.insert(r.to_string()) && pointer(doc, r).is_some_and(|t| refers_to_secret(doc, t, seen));
            }
            m.iter()
                .filter(|(k, _)| *k != "example" && *k != "examples")
                .any(|(_, v)| refers_to_secret(doc, v, seen))
        }
        Value::Array(a) => a.iter().any(|v| refers_to_secret(doc, v, seen)),
        _ => false,
    }
}

fn open_enum(name: &str, schema: &Value, values: &Value) -> Result<OpenEnum, String> {
    if schema.get("type").and_then(Value::as_str) != Some("string") {
        return Err("enums must be `type: string` (they become open Rust enums)".into());
    }
    let nullable = schema.get("nullable").and_then(Value::as_bool) == Some(true);
    let values: Vec<String> = values
        .as_array()
        .ok_or("enum must be a list")?
        .iter()
        // OpenAPI 3.0 lists `null` among the values of a nullable enum; in Rust it is `None`.
        .filter(|v| !(nullable && v.is_null()))
        .map(|v| {
            v.as_str()
                .map(str::to_string)
                .ok_or(format!("enum value {v} is not a string"))
        })
        .collect::<Result<_, _>>()?;
    let names: Vec<String> = match schema.get("x-enum-varnames") {
        Some(n) => {
            let n: Vec<String> = n
                .as_array()
                .ok_or("x-enum-varnames must be a list")?
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect();
            if n.len() != values.len() {
                return Err(format!(
                    "x-enum-varnames has {} names for {} values",
                    n.len(),
                    values.len()
                ));
            }
            n
        }
        None => values.iter().map(|v| variant_name(v)).collect(),
    };
    let mut seen = BTreeSet::new();
    for (v, n) in values.iter().zip(&names) {
        if n == "Unknown" {
            return Err(format!(
                "enum value {v:?} would be named `Unknown`, which is reserved; use x-enum-varnames"
            ));
        }
        if !seen.insert(n.clone()) {
            return Err(format!(
                "enum values collide on the variant name {n}; use x-enum-varnames"
            ));
        }
        if syn::parse_str::<syn::Ident>(n).is_err() {
            return Err(format!(
                "variant name {n:?} is not a Rust identifier; use x-enum-varnames"
            ));
        }
    }
    Ok(OpenEnum {
        name: name.to_string(),
        description: desc(schema),
        variants: values.into_iter().zip(names).collect(),
    })
}

/// `created_desc` -> `CreatedDesc`; `4k` -> `V4k`; `` -> `Empty`.
pub fn variant_name(value: &str) -> String {
    use heck::ToUpperCamelCase;
    let cleaned: String = value
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
        .collect();
    let mut n = cleaned.to_upper_camel_case();
    if n.is_empty() {
        n = if value.is_empty() {
            "Empty".into()
        } else {
            format!("V{}", value.len())
        };
    }
    if n.starts_with(|c: char| c.is_ascii_digit()) {
        n = format!("V{n}");
    }
    if n == "Self" {
        n = "SelfValue".into();
    }
    n
}

fn desc(v: &Value) -> Option<String> {
    v.get("description").and_then(Value::as_str).map(str::to_string)
}

fn is_pascal(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_uppercase()) && s.chars().all(|c| c.is_ascii_alphanumeric())
}

fn is_snake(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn pointer<'a>(doc: &'a Value, r: &str) -> Option<&'a Value> {
    let p = r.strip_prefix('#')?;
    let p = p.replace("~1", "/").replace("~0", "~");
    doc.pointer(&p)
}

/// Follows a local `$ref` (one level is enough for parameters, bodies and responses).
fn resolve(doc: &Value, v: &Value) -> Value {
    let mut v = v.clone();
    for _ in 0..8 {
        match v.get("$ref").and_then(Value::as_str).and_then(|r| pointer(doc, r)) {
            Some(t) => v = t.clone(),
            None => break,
        }
    }
    v
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                if k == "$ref" {
                    if let Some(s) = v.as_str() {
                        out.push(s.to_string());
                    }
                } else if k != "example" && k != "examples" {
                    collect_refs(v, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

fn find_inline_enums(v: &Value, path: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if m.contains_key("enum") && !is_component_schema(path) {
                out.push(format!("enum at {path}"));
            }
            for (k, v) in m {
                if k == "example" || k == "examples" || k.starts_with("x-") {
                    continue;
                }
                find_inline_enums(v, &format!("{path}/{k}"), out);
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                find_inline_enums(v, &format!("{path}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn is_component_schema(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    parts.len() == 4 && parts[1] == "components" && parts[2] == "schemas"
}

/// The Rust type (relative to `types`) of a body schema, when it is a named schema or an array of one.
fn rust_type_of(doc: &Value, schema: &Value) -> Option<String> {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.strip_prefix("#/components/schemas/")?;
        // Replaced (runtime) types are checked by the runtime's own tests.
        let target = pointer(doc, r)?;
        if target.get("x-dam-type").is_some() {
            return None;
        }
        return Some(name.to_string());
    }
    if schema.get("type").and_then(Value::as_str) == Some("array") {
        return rust_type_of(doc, schema.get("items")?).map(|t| format!("Vec<{t}>"));
    }
    None
}

fn collect_examples(doc: &Value, label: &str, op: &Value, out: &mut Vec<Example>) {
    let mut media_examples = |loc: String, media: &Value, is_request: bool| {
        let Some(t) = media.get("schema").and_then(|s| rust_type_of(doc, s)) else {
            return;
        };
        if let Some(e) = media.get("example") {
            out.push(Example {
                location: loc.clone(),
                rust_type: t.clone(),
                is_request,
                value: e.clone(),
            });
        }
        for (name, e) in media.get("examples").and_then(Value::as_object).into_iter().flatten() {
            let e = resolve(doc, e);
            if let Some(v) = e.get("value") {
                out.push(Example {
                    location: format!("{loc} {name}"),
                    rust_type: t.clone(),
                    is_request,
                    value: v.clone(),
                });
            }
        }
    };
    if let Some(body) = op.get("requestBody") {
        let body = resolve(doc, body);
        if let Some(m) = body.pointer("/content/application~1json") {
            media_examples(format!("{label} request"), m, true);
        }
    }
    for (status, resp) in op.get("responses").and_then(Value::as_object).into_iter().flatten() {
        let resp = resolve(doc, resp);
        if let Some(m) = resp.pointer("/content/application~1json") {
            media_examples(format!("{label} {status}"), m, false);
        }
    }
}

/// Reads `x-dam-success`: the success status whose body is generated when several differ.
fn success_override(op: &Value) -> Option<String> {
    op.get("x-dam-success")
        .map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()))
}
