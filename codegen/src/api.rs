//! The Rust API a spec produces, as a value that two versions of a spec can be compared by.
//!
//! `cargo xtask changes` needs to know what a spec edit does to the crate's *users*, so it does not
//! compare YAML: it derives, from each version of the spec, the public items the generator emits and
//! compares those ([`crate::changes`]). The derivation mirrors [`crate::prepare`] and progenitor 0.15 /
//! typify 0.8, but is deliberately lenient: it never refuses a spec, so a base revision written for an
//! older generator (which today's checks would reject) can still be compared.
//!
//! What it models, and how the generator turns the spec into it:
//!
//! - **Operations** by `operationId` (the `Client` method name). A `#variant` suffix never reaches the
//!   wire; `x-dam-fixed-query` does. `x-dam-skip` operations are kept but marked not generated (they
//!   are in `NOT_GENERATED`, and any method for them is hand-written).
//! - **Parameters** by their builder setter name (progenitor's snake case of the wire name, so
//!   `rating[]` and `rating` share the setter `rating`), with wire name, location, `required` and the
//!   Rust type the setter takes.
//! - **Bodies**: the content type and the Rust type `body(...)` takes (`reqwest::Body` for raw bodies).
//! - **Responses**: the one success body that is generated (`x-dam-success` when several differ),
//!   as `()`, `ByteStream` or a model; the documented success and error statuses. Every error status
//!   decodes into the runtime's shared `ErrorBody`, so error shapes are not part of the Rust API.
//! - **Types**: every component schema except `x-dam-type` ones (those are `runtime::` types), plus
//!   the types typify names after their parent for inline objects and `oneOf`s. Structs (fields with
//!   their Rust types: `Option<T>` unless `required`, bare `Vec`/`Map` when optional and not
//!   nullable), open enums (wire value and variant name), joined lists (`x-dam-join`), untagged unions
//!   and newtypes.
//!
//! Rust types are rendered short and stable (`Option<Vec<Media>>`, `runtime::LooseId`,
//! `Map<String, Value>`): two renderings differ exactly when the emitted type differs.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// The generated API of one spec.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Api {
    /// Operations by `operationId`.
    pub operations: BTreeMap<String, Operation>,
    /// Types in the crate's `types` module, by Rust name.
    pub types: BTreeMap<String, TypeDef>,
}

/// One operation of the spec.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// `operationId`, the `Client` method name.
    pub id: String,
    /// HTTP method, upper case.
    pub method: String,
    /// The path on the wire (`#variant` removed, fixed query appended).
    pub path: String,
    /// `Some(reason)` when the operation carries `x-dam-skip` and is not generated.
    pub skipped: Option<String>,
    /// Parameters by builder setter name.
    pub params: BTreeMap<String, Param>,
    /// The request body, if any.
    pub body: Option<Body>,
    /// The Rust type of the generated success body: `()`, `ByteStream` or a model type.
    pub response: String,
    /// Documented success statuses.
    pub success: Vec<String>,
    /// Documented error statuses (all decode into the runtime's `ErrorBody`).
    pub errors: Vec<String>,
    /// Called without credentials (`security: []`).
    pub unauthenticated: bool,
    /// A POST the runtime may retry (`x-dam-idempotent: true`).
    pub idempotent: bool,
}

/// One operation parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// The name on the wire (`rating[]`).
    pub wire: String,
    /// `path`, `query` or `header`.
    pub location: String,
    /// `send()` fails without it.
    pub required: bool,
    /// The type the setter takes.
    pub rust_type: String,
}

/// A request body.
#[derive(Debug, Clone, PartialEq)]
pub struct Body {
    /// The content type.
    pub content_type: String,
    /// `requestBody.required`.
    pub required: bool,
    /// The type `body(...)` takes.
    pub rust_type: String,
}

/// A type the generator emits in `types`.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeDef {
    /// A struct with named fields (by wire name).
    Struct(BTreeMap<String, Field>),
    /// An open enum: `(wire value, variant name)` in spec order.
    Enum(Vec<(String, String)>),
    /// A joined list (`x-dam-join`): the item type and the separator (`plus` or `comma`).
    List {
        /// Item type.
        item: String,
        /// `plus` or `comma`.
        join: String,
    },
    /// An untagged union (`oneOf`/`anyOf`): the variants' types.
    OneOf(Vec<String>),
    /// A newtype around another type (maps, arrays, scalars, single `allOf`).
    Newtype(String),
}

impl TypeDef {
    /// A word for the kind of type, for reports.
    pub fn kind(&self) -> &'static str {
        match self {
            TypeDef::Struct(_) => "struct",
            TypeDef::Enum(_) => "enum",
            TypeDef::List { .. } => "joined list",
            TypeDef::OneOf(_) => "union",
            TypeDef::Newtype(_) => "newtype",
        }
    }
}

/// A struct field.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The field's Rust type (with `Option` where the generator adds it).
    pub rust_type: String,
    /// Listed in the schema's `required`.
    pub required: bool,
}

/// Where a type is used: in what callers send, in what they receive, or both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Role {
    /// Reachable from a parameter or request body.
    pub input: bool,
    /// Reachable from a success body.
    pub output: bool,
}

impl Role {
    /// `request`, `response`, `request and response`, or `unused`.
    pub fn label(self) -> &'static str {
        match (self.input, self.output) {
            (true, true) => "request and response",
            (true, false) => "request",
            (false, true) => "response",
            (false, false) => "unused",
        }
    }
}

impl Api {
    /// Derives the API from a spec's YAML (or JSON) text.
    pub fn from_text(text: &str) -> Result<Api, String> {
        let value: Value = serde_yaml::from_str(text).map_err(|e| format!("not valid YAML: {e}"))?;
        Api::from_value(&value)
    }

    /// Derives the API from a parsed spec.
    pub fn from_value(spec: &Value) -> Result<Api, String> {
        if !spec.is_object() {
            return Err("not an OpenAPI document (not an object)".into());
        }
        let mut b = Builder {
            doc: spec,
            runtime: BTreeMap::new(),
            types: BTreeMap::new(),
            register: true,
            closed: crate::prepare::closed_models(spec),
        };
        let schemas = spec
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        for (name, schema) in &schemas {
            if let Some(t) = schema.get("x-dam-type").and_then(Value::as_str) {
                b.runtime.insert(name.clone(), t.to_string());
            }
        }
        for (name, schema) in &schemas {
            if !b.runtime.contains_key(name) {
                b.define(name, schema);
            }
        }
        let mut operations = BTreeMap::new();
        for (path, item) in spec.get("paths").and_then(Value::as_object).into_iter().flatten() {
            let Some(item) = item.as_object() else { continue };
            let path_params = item
                .get("parameters")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for method in METHODS {
                let Some(op) = item.get(*method) else { continue };
                let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                    continue;
                };
                let skipped = op
                    .get("x-dam-skip")
                    .map(|r| r.as_str().map(str::to_string).unwrap_or_else(|| r.to_string()));
                b.register = skipped.is_none();
                let operation = b.operation(id, method, path, item, op, &path_params, skipped);
                operations.insert(id.to_string(), operation);
            }
        }
        Ok(Api {
            operations,
            types: b.types,
        })
    }

    /// Where each type is used, following type references from parameters, bodies and responses
    /// of generated operations.
    pub fn roles(&self) -> BTreeMap<String, Role> {
        let mut roles: BTreeMap<String, Role> = BTreeMap::new();
        for op in self.operations.values().filter(|o| o.skipped.is_none()) {
            let inputs = op
                .params
                .values()
                .map(|p| p.rust_type.as_str())
                .chain(op.body.iter().map(|b| b.rust_type.as_str()));
            for t in inputs {
                for name in self.reachable(t) {
                    roles.entry(name).or_default().input = true;
                }
            }
            for name in self.reachable(&op.response) {
                roles.entry(name).or_default().output = true;
            }
        }
        roles
    }

    /// Every type named in `rust_type`, and every type those refer to.
    fn reachable(&self, rust_type: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<String> = self.names_in(rust_type);
        while let Some(name) = stack.pop() {
            if !seen.insert(name.clone()) {
                continue;
            }
            let Some(def) = self.types.get(&name) else { continue };
            let inner: Vec<&str> = match def {
                TypeDef::Struct(fields) => fields.values().map(|f| f.rust_type.as_str()).collect(),
                TypeDef::Enum(_) => Vec::new(),
                TypeDef::List { item, .. } => vec![item.as_str()],
                TypeDef::OneOf(v) => v.iter().map(String::as_str).collect(),
                TypeDef::Newtype(t) => vec![t.as_str()],
            };
            for t in inner {
                stack.extend(self.names_in(t));
            }
        }
        seen
    }

    fn names_in(&self, rust_type: &str) -> Vec<String> {
        rust_type
            .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .filter(|w| !w.contains(':') && self.types.contains_key(*w))
            .map(str::to_string)
            .collect()
    }
}

struct Builder<'a> {
    doc: &'a Value,
    /// Schema name -> runtime type (`x-dam-type`).
    runtime: BTreeMap<String, String>,
    types: BTreeMap<String, TypeDef>,
    /// Whether inline types are emitted (not for operations progenitor never sees).
    register: bool,
    /// Models that keep no unknown keys ([`crate::prepare::closed_models`]).
    closed: BTreeSet<String>,
}

impl Builder<'_> {
    #[allow(clippy::too_many_arguments)]
    fn operation(
        &mut self,
        id: &str,
        method: &str,
        path: &str,
        item: &serde_json::Map<String, Value>,
        op: &Value,
        path_params: &[Value],
        skipped: Option<String>,
    ) -> Operation {
        let op_name = pascal(id);
        // Path-level parameters, overridden by operation-level ones with the same name and location.
        let mut merged: Vec<Value> = Vec::new();
        let own: Vec<Value> = op
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|p| self.resolve(p))
            .collect();
        for p in path_params.iter().map(|p| self.resolve(p)) {
            let key = (p.get("name").cloned(), p.get("in").cloned());
            if !own
                .iter()
                .any(|o| (o.get("name").cloned(), o.get("in").cloned()) == key)
            {
                merged.push(p);
            }
        }
        merged.extend(own);
        let mut params = BTreeMap::new();
        for p in &merged {
            let (Some(wire), Some(location)) = (
                p.get("name").and_then(Value::as_str),
                p.get("in").and_then(Value::as_str),
            ) else {
                continue;
            };
            let schema = p.get("schema").cloned().unwrap_or(Value::Null);
            let rust_type = self.ty(&schema, &format!("{op_name}{}", pascal(wire)));
            params.insert(
                snake_ident(wire),
                Param {
                    wire: wire.to_string(),
                    location: location.to_string(),
                    required: location == "path" || p.get("required").and_then(Value::as_bool) == Some(true),
                    rust_type,
                },
            );
        }
        let body = op.get("requestBody").map(|b| self.resolve(b)).and_then(|b| {
            let (ct, media) = b.get("content")?.as_object()?.iter().next()?;
            let schema = media.get("schema").cloned().unwrap_or(Value::Null);
            let base = ct.split(';').next().unwrap_or(ct).trim();
            let rust_type = match base {
                "application/json" | "application/x-www-form-urlencoded" => self.ty(&schema, &format!("{op_name}Body")),
                "multipart/form-data" => "multipart form".to_string(),
                _ => "reqwest::Body".to_string(),
            };
            Some(Body {
                content_type: ct.clone(),
                required: b.get("required").and_then(Value::as_bool) == Some(true),
                rust_type,
            })
        });
        let responses = op
            .get("responses")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let mut success = Vec::new();
        let mut errors = Vec::new();
        let mut bodies: Vec<(String, Option<(String, Value)>)> = Vec::new();
        for (status, r) in &responses {
            if status.starts_with('2') {
                success.push(status.clone());
                let r = self.resolve(r);
                bodies.push((status.clone(), body_of(&r)));
            } else {
                errors.push(status.clone());
            }
        }
        let distinct: BTreeSet<String> = bodies
            .iter()
            .filter_map(|(_, b)| b.as_ref().map(|(ct, s)| format!("{ct} {s}")))
            .collect();
        let chosen = op
            .get("x-dam-success")
            .map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()));
        let kept = if distinct.len() > 1 {
            chosen
                .and_then(|c| bodies.iter().find(|(s, _)| *s == c))
                .or_else(|| bodies.iter().find(|(_, b)| b.is_some()))
                .and_then(|(_, b)| b.clone())
        } else {
            bodies.iter().find_map(|(_, b)| b.clone())
        };
        let response = match kept {
            None => "()".to_string(),
            Some((ct, schema)) if ct == "application/json" || ct.starts_with("application/json;") => {
                self.ty(&schema, &format!("{op_name}Response"))
            }
            Some(_) => "ByteStream".to_string(),
        };
        Operation {
            id: id.to_string(),
            method: method.to_uppercase(),
            path: wire_path(path, item),
            skipped,
            params,
            body,
            response,
            success,
            errors,
            unauthenticated: op.get("security").and_then(Value::as_array).is_some_and(Vec::is_empty),
            idempotent: method == "post" && op.get("x-dam-idempotent").and_then(Value::as_bool) == Some(true),
        }
    }

    fn resolve(&self, v: &Value) -> Value {
        let mut v = v.clone();
        for _ in 0..8 {
            match v.get("$ref").and_then(Value::as_str).and_then(|r| pointer(self.doc, r)) {
                Some(t) => v = t.clone(),
                None => break,
            }
        }
        v
    }

    /// Registers the named type `name` for `schema`.
    fn define(&mut self, name: &str, schema: &Value) {
        let def = if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            // A nullable enum lists `null`, which is `None` in Rust, not a variant.
            let values: Vec<String> = values
                .iter()
                .filter(|v| !v.is_null())
                .map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()))
                .collect();
            let names: Vec<String> = match schema.get("x-enum-varnames").and_then(Value::as_array) {
                Some(n) if n.len() == values.len() => {
                    n.iter().map(|v| v.as_str().unwrap_or_default().to_string()).collect()
                }
                _ => values.iter().map(|v| crate::prepare::variant_name(v)).collect(),
            };
            TypeDef::Enum(values.into_iter().zip(names).collect())
        } else if let Some(join) = schema.get("x-dam-join") {
            let item = schema
                .get("items")
                .map(|i| self.ty(i, &format!("{name}Item")))
                .unwrap_or_else(|| "Value".into());
            TypeDef::List {
                item,
                join: join.as_str().map(str::to_string).unwrap_or_else(|| join.to_string()),
            }
        } else if has_properties(schema) {
            let required: BTreeSet<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let mut fields = BTreeMap::new();
            for (field, prop) in schema
                .get("properties")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                let is_required = required.contains(field.as_str());
                // typify boxes fields that close a cycle between types; a box changes nothing a
                // caller reads or writes, so the model leaves it out.
                let t = self.ty(prop, &format!("{name}{}", pascal(field)));
                let rust_type = if is_required || defaultable(&t) {
                    t
                } else {
                    format!("Option<{t}>")
                };
                fields.insert(
                    field.clone(),
                    Field {
                        rust_type,
                        required: is_required,
                    },
                );
            }
            // Open models keep unknown keys in a map (codegen/src/models.rs).
            if !self.closed.contains(name) {
                let taken: Vec<String> = fields.keys().map(|k| snake_ident(k)).collect();
                let extra = crate::models::extra_field_name(taken.iter().map(|t| t.trim_start_matches("r#")));
                fields.insert(
                    extra.to_string(),
                    Field {
                        rust_type: "Map<String, Value>".into(),
                        required: false,
                    },
                );
            }
            TypeDef::Struct(fields)
        } else if let Some(variants) = union(schema) {
            let v = variants
                .iter()
                .enumerate()
                .map(|(i, s)| self.ty(s, &format!("{name}Variant{i}")))
                .collect();
            TypeDef::OneOf(v)
        } else {
            TypeDef::Newtype(self.plain(schema, name))
        };
        if self.register {
            self.types.insert(name.to_string(), def);
        }
    }

    /// The Rust type of a schema used as a field, parameter or body; inline structures become types
    /// named `hint`.
    fn ty(&mut self, schema: &Value, hint: &str) -> String {
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            return match r.strip_prefix("#/components/schemas/") {
                Some(name) => match self.runtime.get(name) {
                    Some(rt) => format!("runtime::{rt}"),
                    None => name.to_string(),
                },
                None => {
                    let target = pointer(self.doc, r).cloned().unwrap_or(Value::Null);
                    self.ty(&target, hint)
                }
            };
        }
        let named = schema.get("enum").is_some() || has_properties(schema) || union(schema).is_some();
        let inner = if named {
            self.define(hint, schema);
            hint.to_string()
        } else {
            self.plain(schema, hint)
        };
        let nullable = schema.get("nullable").and_then(Value::as_bool) == Some(true);
        if nullable && inner != "Value" && !inner.starts_with("Option<") {
            format!("Option<{inner}>")
        } else {
            inner
        }
    }

    /// Scalars, arrays, maps and single-`allOf` wrappers (no named type of their own).
    fn plain(&mut self, schema: &Value, hint: &str) -> String {
        if let Some([only]) = schema.get("allOf").and_then(Value::as_array).map(Vec::as_slice) {
            return self.ty(only, hint);
        }
        let format = schema.get("format").and_then(Value::as_str);
        match schema.get("type").and_then(Value::as_str) {
            Some("string") => match format {
                Some("date-time") => "DateTime<Utc>".into(),
                Some("date") => "NaiveDate".into(),
                Some("uuid") => "Uuid".into(),
                Some("ip") => "IpAddr".into(),
                Some("ipv4") => "Ipv4Addr".into(),
                Some("ipv6") => "Ipv6Addr".into(),
                _ => "String".into(),
            },
            Some("integer") => integer_type(schema),
            Some("number") => if format == Some("float") { "f32" } else { "f64" }.into(),
            Some("boolean") => "bool".into(),
            Some("array") => {
                let item = schema
                    .get("items")
                    .map(|i| self.ty(i, &format!("{hint}Item")))
                    .unwrap_or_else(|| "Value".into());
                format!("Vec<{item}>")
            }
            Some("object") => match schema.get("additionalProperties") {
                Some(Value::Object(s)) if !s.is_empty() => {
                    let v = self.ty(&Value::Object(s.clone()), &format!("{hint}Value"));
                    format!("Map<String, {v}>")
                }
                _ => "Map<String, Value>".into(),
            },
            _ => "Value".into(),
        }
    }
}

/// Whether typify leaves an optional field of this type without `Option` (it defaults to empty).
fn defaultable(t: &str) -> bool {
    t.starts_with("Option<") || t.starts_with("Vec<") || t.starts_with("Map<")
}

fn has_properties(schema: &Value) -> bool {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|p| !p.is_empty())
}

fn union(schema: &Value) -> Option<&Vec<Value>> {
    schema
        .get("oneOf")
        .or_else(|| schema.get("anyOf"))
        .and_then(Value::as_array)
        .filter(|v| !v.is_empty())
}

/// typify 0.8's integer rules: the `format` when its range holds the bounds (`NonZero` for
/// `minimum: 1`); otherwise a type whose range the bounds name exactly; otherwise `i64`.
fn integer_type(schema: &Value) -> String {
    const FORMATS: &[(&str, &str, &str, f64, f64)] = &[
        ("int8", "i8", "NonZeroU8", i8::MIN as f64, i8::MAX as f64),
        ("uint8", "u8", "NonZeroU8", u8::MIN as f64, u8::MAX as f64),
        ("int16", "i16", "NonZeroU16", i16::MIN as f64, i16::MAX as f64),
        ("uint16", "u16", "NonZeroU16", u16::MIN as f64, u16::MAX as f64),
        ("int", "i32", "NonZeroU32", i32::MIN as f64, i32::MAX as f64),
        ("int32", "i32", "NonZeroU32", i32::MIN as f64, i32::MAX as f64),
        ("uint", "u32", "NonZeroU32", u32::MIN as f64, u32::MAX as f64),
        ("uint32", "u32", "NonZeroU32", u32::MIN as f64, u32::MAX as f64),
        ("int64", "i64", "NonZeroU64", i64::MIN as f64, i64::MAX as f64),
        ("uint64", "u64", "NonZeroU64", u64::MIN as f64, u64::MAX as f64),
    ];
    let num = |k: &str| schema.get(k).and_then(Value::as_f64);
    let excl = |k: &str| schema.get(k).and_then(Value::as_bool) == Some(true);
    // OpenAPI 3.0: `exclusiveMinimum: true` moves the bound by one.
    let mut min = num("minimum").map(|m| if excl("exclusiveMinimum") { m + 1.0 } else { m });
    let mut max = num("maximum").map(|m| if excl("exclusiveMaximum") { m - 1.0 } else { m });
    let multiple = schema.get("multipleOf").is_some();
    if let Some(format) = schema.get("format").and_then(Value::as_str)
        && let Some((_, ty, nz, imin, imax)) = FORMATS.iter().find(|f| f.0 == format)
    {
        let valid_min = min.is_none_or(|m| m >= *imin);
        let valid_max = max.is_none_or(|m| m <= *imax);
        if !multiple && valid_min && valid_max {
            return if min == Some(1.0) { nz } else { ty }.to_string();
        }
        min = min.or(Some(*imin));
        max = max.or(Some(*imax));
    }
    let same = |a: f64, b: f64| (a - b).abs() <= f64::EPSILON;
    let found = match (min, max) {
        (None, Some(max)) => FORMATS.iter().rev().find(|f| same(f.4, max)).map(|f| f.1),
        (Some(min), None) => FORMATS.iter().rev().find_map(|f| {
            if min == 1.0 {
                Some(f.2)
            } else {
                same(f.3, min).then_some(f.1)
            }
        }),
        (Some(min), Some(max)) => FORMATS.iter().rev().find_map(|f| {
            if min == 1.0 {
                Some(f.2)
            } else {
                (same(f.4, max) && same(f.3, min)).then_some(f.1)
            }
        }),
        (None, None) => None,
    };
    found.unwrap_or("i64").to_string()
}

/// `(content type, schema)` of a response: JSON when offered, else the first content type.
fn body_of(r: &Value) -> Option<(String, Value)> {
    let content = r.get("content")?.as_object()?;
    let (ct, media) = content
        .get_key_value("application/json")
        .or_else(|| content.iter().next())?;
    Some((
        ct.clone(),
        media
            .get("schema")
            .cloned()
            .unwrap_or(Value::Object(Default::default())),
    ))
}

/// The path on the wire: a `#variant` suffix removed, `x-dam-fixed-query` appended.
fn wire_path(path: &str, item: &serde_json::Map<String, Value>) -> String {
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
        _ => base.to_string(),
    }
}

fn pointer<'a>(doc: &'a Value, r: &str) -> Option<&'a Value> {
    let p = r.strip_prefix('#')?;
    doc.pointer(&p.replace("~1", "/").replace("~0", "~"))
}

/// progenitor's `sanitize(.., Case::Pascal)`, close enough for type names.
pub fn pascal(s: &str) -> String {
    use heck::ToPascalCase;
    let cleaned: String = s
        .replace('\'', "")
        .chars()
        .map(|c| if c.is_alphanumeric() || c == '_' { c } else { '-' })
        .collect();
    cleaned.to_pascal_case()
}

/// progenitor's `sanitize(.., Case::Snake)`: the builder setter name of a parameter.
pub fn snake_ident(s: &str) -> String {
    use heck::ToSnakeCase;
    let cleaned: String = s
        .replace('\'', "")
        .chars()
        .map(|c| if c.is_alphanumeric() || c == '_' { c } else { '-' })
        .collect();
    let mut out = cleaned.to_snake_case();
    if out.is_empty() {
        out = "x".into();
    }
    if !out.starts_with(|c: char| c.is_alphabetic() || c == '_') {
        out = format!("_{out}");
    }
    const KEYWORDS: &[&str] = &[
        "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false", "fn",
        "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self",
        "Self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where", "while", "abstract",
        "become", "box", "do", "final", "macro", "override", "priv", "typeof", "unsized", "virtual", "yield", "try",
        "gen",
    ];
    if KEYWORDS.contains(&out.as_str()) {
        out.push('_');
    }
    out
}
