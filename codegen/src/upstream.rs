//! Drift from a provider's published spec: `cargo xtask upstream mediagraph <provider-spec.json>`.
//!
//! Mediagraph publishes a Swagger 2.0 spec (`shared/reference/mediagraph-open_api.json`). Ours is
//! written by hand (OpenAPI 3.0.3, `specs/mediagraph.yaml`), so this lists what the published one
//! has that ours lacks or disagrees with:
//!
//! - operations upstream has that ours lacks (and ours has that upstream lacks), matched on method
//!   and path with parameter names blanked (`/api/assets/{}`), since our path parameter names may
//!   differ from upstream's;
//! - per shared operation: parameters missing, extra or of another type (path parameters by
//!   position, query and header parameters by name); body fields (Swagger `in: body` schemas and
//!   `in: formData` parameters) and success-response fields that upstream has and our models lack,
//!   and fields whose types disagree. Fields are compared as dotted paths (`asset.title`, `items[]`)
//!   through `$ref`s, `allOf`s and arrays. Where ours keeps an object open (the document collapsed
//!   it to `{}`), the fields upstream types inside it are listed by name, one line per object.
//!
//! Types are compared as families (string, integer, number, boolean, array of .., object); a
//! tolerant scalar (`x-dam-type`) accepts what its runtime type accepts (`LooseId`: integer or
//! string), an open enum is a string, a joined list (`x-dam-join`) is an array or a string, and an
//! upstream integer fits an ours number.
//!
//! The published spec's known errors (`shared/facts.md`, "Mediagraph, the provider's published
//! spec") are not drift; they are counted and the count is printed, so nothing is hidden:
//!
//! 1. path-template parameters declared as query (or form) parameters: treated as path parameters;
//! 2. types such as `datetime`, `date` and `float`: read as string, string and number;
//! 3. array parameters named without `[]`: names are compared without the brackets;
//! 4. `GET /api/assets/{guid}/set_uploaded` missing upstream although its own client calls it.
//!
//! Two wire facts from `facts.md` are counted the same way: object query parameters travel as one
//! JSON string (`custom_meta`), and ranges travel as one `from,to` value (`captured_at`), so an
//! upstream object or array query parameter that ours declares as a plain string (named without
//! `[]`) agrees.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::Value;

const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch"];

/// Operations ours has that upstream does not, known not to be drift (facts.md).
const KNOWN_MISSING_UPSTREAM: &[(&str, &str)] = &[("GET", "/api/assets/{}/set_uploaded")];

/// How deep fields are compared.
const MAX_DEPTH: usize = 6;

/// An operation, as listed in the report.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct OpRef {
    /// Upper-case method.
    pub method: String,
    /// The path as its spec writes it.
    pub path: String,
    /// `operationId` (ours) or summary (upstream).
    pub label: String,
}

/// One disagreement inside a shared operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drift {
    /// Upstream has a parameter ours lacks.
    MissingParam {
        /// `path`, `query` or `header`.
        location: String,
        /// Upstream's name.
        name: String,
        /// Upstream's type.
        ty: String,
    },
    /// Ours has a parameter upstream lacks.
    ExtraParam {
        /// `path`, `query` or `header`.
        location: String,
        /// Our name.
        name: String,
    },
    /// A parameter both have, typed differently.
    ParamType {
        /// `path`, `query` or `header`.
        location: String,
        /// Our name.
        name: String,
        /// Upstream's type.
        upstream: String,
        /// Ours.
        ours: String,
    },
    /// A body or response field upstream has and our model lacks.
    MissingField {
        /// `body` or `response`.
        place: &'static str,
        /// Dotted path.
        path: String,
        /// Upstream's type.
        ty: String,
    },
    /// Fields upstream types inside an object ours keeps open (any keys, untyped).
    UntypedFields {
        /// `body` or `response`.
        place: &'static str,
        /// The open object's dotted path (empty: the whole body).
        parent: String,
        /// Upstream's fields in it, relative to `parent`.
        fields: Vec<String>,
    },
    /// A body or response field both have, typed differently.
    FieldType {
        /// `body` or `response`.
        place: &'static str,
        /// Dotted path.
        path: String,
        /// Upstream's type.
        upstream: String,
        /// Ours.
        ours: String,
    },
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Drift::MissingParam { location, name, ty } => write!(f, "parameter missing: {location} `{name}` ({ty})"),
            Drift::ExtraParam { location, name } => write!(f, "parameter not upstream: {location} `{name}`"),
            Drift::ParamType {
                location,
                name,
                upstream,
                ours,
            } => write!(
                f,
                "parameter type: {location} `{name}`: upstream {upstream}, ours {ours}"
            ),
            Drift::MissingField { place, path, ty } => write!(f, "{place} field missing: `{path}` ({ty})"),
            Drift::UntypedFields { place, parent, fields } => {
                let parent = if parent.is_empty() { "(the whole body)" } else { parent };
                write!(
                    f,
                    "{place} fields ours keeps untyped in the open object `{parent}`: {} ({})",
                    fields.len(),
                    fields.join(", ")
                )
            }
            Drift::FieldType {
                place,
                path,
                upstream,
                ours,
            } => write!(f, "{place} field type: `{path}`: upstream {upstream}, ours {ours}"),
        }
    }
}

/// The differences of one operation both specs have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shared {
    /// Our operation.
    pub ours: OpRef,
    /// What differs.
    pub drift: Vec<Drift>,
}

/// Known upstream errors and wire facts that were not reported, by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ignored {
    /// Path-template parameters declared as query or form parameters.
    pub path_params_elsewhere: usize,
    /// `datetime`, `date` or `float` types.
    pub odd_types: usize,
    /// Array parameters named without `[]` where ours has the brackets.
    pub unbracketed_arrays: usize,
    /// Operations ours has that upstream is known to lack.
    pub known_missing_upstream: usize,
    /// Object query parameters sent as one JSON string, ranges sent as one `from,to` value.
    pub wire_facts: usize,
}

/// The whole comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Upstream's `info.title` and `info.version`.
    pub upstream_title: String,
    /// Upstream's version.
    pub upstream_version: String,
    /// Upstream operations.
    pub upstream_operations: usize,
    /// Our operations.
    pub our_operations: usize,
    /// Upstream operations ours lacks.
    pub missing_operations: Vec<OpRef>,
    /// Our operations upstream lacks (other than the known ones).
    pub extra_operations: Vec<OpRef>,
    /// Operations both have (with or without drift).
    pub shared: Vec<Shared>,
    /// What was not reported, and why.
    pub ignored: Ignored,
}

impl Report {
    /// Total drift items inside shared operations matching `pred`.
    fn count(&self, pred: impl Fn(&Drift) -> bool) -> usize {
        self.shared.iter().flat_map(|s| &s.drift).filter(|d| pred(d)).count()
    }

    /// Whether anything at all was reported.
    pub fn has_drift(&self) -> bool {
        !self.missing_operations.is_empty()
            || !self.extra_operations.is_empty()
            || self.shared.iter().any(|s| !s.drift.is_empty())
    }

    /// The one-line summary.
    pub fn summary(&self) -> String {
        let with = self.shared.iter().filter(|s| !s.drift.is_empty()).count();
        format!(
            "summary: {} missing operations, {} operations not upstream, {} shared ({with} with differences): \
             {} missing parameters, {} parameters not upstream, {} parameter type mismatches, \
             {} missing body fields, {} missing response fields, {} field type mismatches, \
             {} fields ours keeps untyped in open objects",
            self.missing_operations.len(),
            self.extra_operations.len(),
            self.shared.len(),
            self.count(|d| matches!(d, Drift::MissingParam { .. })),
            self.count(|d| matches!(d, Drift::ExtraParam { .. })),
            self.count(|d| matches!(d, Drift::ParamType { .. })),
            self.count(|d| matches!(d, Drift::MissingField { place: "body", .. })),
            self.count(|d| matches!(d, Drift::MissingField { place: "response", .. })),
            self.count(|d| matches!(d, Drift::FieldType { .. })),
            self.shared
                .iter()
                .flat_map(|s| &s.drift)
                .map(|d| match d {
                    Drift::UntypedFields { fields, .. } => fields.len(),
                    _ => 0,
                })
                .sum::<usize>(),
        )
    }

    /// The full report, ending with the summary line.
    pub fn render(&self, upstream_name: &str, ours_name: &str) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{upstream_name} ({}, version {}, {} operations) vs {ours_name} ({} operations)\n",
            self.upstream_title, self.upstream_version, self.upstream_operations, self.our_operations
        );
        let _ = writeln!(
            out,
            "operations upstream has that {ours_name} lacks ({}):",
            self.missing_operations.len()
        );
        for o in &self.missing_operations {
            let _ = writeln!(out, "  {:<7}{}  {}", o.method, o.path, o.label);
        }
        let _ = writeln!(
            out,
            "\noperations {ours_name} has that upstream lacks ({}):",
            self.extra_operations.len()
        );
        for o in &self.extra_operations {
            let _ = writeln!(out, "  {:<7}{}  {}", o.method, o.path, o.label);
        }
        let with: Vec<&Shared> = self.shared.iter().filter(|s| !s.drift.is_empty()).collect();
        let _ = writeln!(
            out,
            "\nshared operations that differ ({} of {}):",
            with.len(),
            self.shared.len()
        );
        for s in with {
            let _ = writeln!(out, "  {} ({} {})", s.ours.label, s.ours.method, s.ours.path);
            for d in &s.drift {
                let _ = writeln!(out, "    {d}");
            }
        }
        let i = &self.ignored;
        let _ = writeln!(
            out,
            "\nnot reported, as facts.md says: {} path parameters declared as query/form parameters, \
             {} `datetime`/`date`/`float` types, {} array parameters named without `[]`, \
             {} operation(s) known to be missing upstream, {} parameters that travel as one value \
             (JSON objects, `from,to` ranges)",
            i.path_params_elsewhere, i.odd_types, i.unbracketed_arrays, i.known_missing_upstream, i.wire_facts
        );
        let _ = writeln!(out, "{}", self.summary());
        out
    }
}

/// Method and path with parameter names blanked and any `#variant` removed.
pub fn op_key(method: &str, path: &str) -> (String, String) {
    let path = path.split('#').next().unwrap_or(path).trim_end_matches('/');
    let mut out = String::new();
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push_str("{}");
            }
            '}' => in_param = false,
            _ if in_param => {}
            _ => out.push(c),
        }
    }
    (method.to_uppercase(), out)
}

fn template_names(path: &str) -> Vec<String> {
    path.split('{')
        .skip(1)
        .filter_map(|s| s.split_once('}').map(|(n, _)| n.to_string()))
        .collect()
}

fn bare(name: &str) -> &str {
    name.strip_suffix("[]").unwrap_or(name)
}

/// A type family: what a schema accepts, as a set of words (`string`, `integer`, `number`,
/// `boolean`, `object`, `array<..>`, `any`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Family(BTreeSet<String>);

impl Family {
    fn one(s: &str) -> Family {
        Family(BTreeSet::from([s.to_string()]))
    }

    fn any() -> Family {
        Family::one("any")
    }

    fn show(&self) -> String {
        self.0.iter().cloned().collect::<Vec<_>>().join("|")
    }

    /// Whether ours (`self`) accepts everything upstream (`up`) describes.
    fn accepts(&self, up: &Family) -> bool {
        if self.0.contains("any") || up.0.contains("any") {
            return true;
        }
        up.0.iter().all(|u| {
            self.0.contains(u)
                || (u == "integer" && self.0.contains("number"))
                || (u.starts_with("array<") && self.0.iter().any(|o| arrays_agree(o, u)))
        })
    }
}

fn arrays_agree(ours: &str, up: &str) -> bool {
    let inner = |s: &str| {
        s.strip_prefix("array<")
            .and_then(|s| s.strip_suffix('>'))
            .map(str::to_string)
    };
    match (inner(ours), inner(up)) {
        (Some(o), Some(u)) => {
            let o = Family(o.split('|').map(str::to_string).collect());
            let u = Family(u.split('|').map(str::to_string).collect());
            o.accepts(&u)
        }
        _ => false,
    }
}

/// Reads both specs and compares them. `upstream` must be Swagger 2.0; `ours` OpenAPI 3.0.
pub fn compare(upstream: &Value, ours: &Value) -> Result<Report, String> {
    if upstream.get("swagger").and_then(Value::as_str) != Some("2.0") {
        return Err("the provider's spec is not Swagger 2.0 (no `swagger: \"2.0\"`)".into());
    }
    if !ours
        .get("openapi")
        .and_then(Value::as_str)
        .is_some_and(|v| v.starts_with("3."))
    {
        return Err("our spec is not OpenAPI 3".into());
    }
    let mut ignored = Ignored::default();
    let up_ops = operations(upstream, true);
    let our_ops = operations(ours, false);
    let mut missing = Vec::new();
    let mut shared = Vec::new();
    for (key, (up_ref, up_op)) in &up_ops {
        match our_ops.get(key) {
            None => missing.push(up_ref.clone()),
            Some((our_ref, our_op)) => {
                let cx = Cx {
                    up: upstream,
                    ours,
                    ignored: &mut ignored,
                };
                let drift = compare_operation(cx, &up_ref.path, up_op, &our_ref.path, our_op);
                shared.push(Shared {
                    ours: our_ref.clone(),
                    drift,
                });
            }
        }
    }
    let mut extra = Vec::new();
    for (key, (our_ref, _)) in &our_ops {
        if up_ops.contains_key(key) {
            continue;
        }
        if KNOWN_MISSING_UPSTREAM
            .iter()
            .any(|(m, p)| (m.to_string(), p.to_string()) == *key)
        {
            ignored.known_missing_upstream += 1;
        } else {
            extra.push(our_ref.clone());
        }
    }
    let info = |k: &str| {
        upstream
            .pointer(&format!("/info/{k}"))
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string()
    };
    Ok(Report {
        upstream_title: info("title"),
        upstream_version: info("version"),
        upstream_operations: up_ops.len(),
        our_operations: our_ops.len(),
        missing_operations: missing,
        extra_operations: extra,
        shared,
        ignored,
    })
}

type Ops<'a> = BTreeMap<(String, String), (OpRef, &'a Value)>;

fn operations(spec: &Value, upstream: bool) -> Ops<'_> {
    let mut out = BTreeMap::new();
    for (path, item) in spec.get("paths").and_then(Value::as_object).into_iter().flatten() {
        for m in METHODS {
            let Some(op) = item.get(*m) else { continue };
            let label = if upstream {
                op.get("summary").or_else(|| op.get("operationId"))
            } else {
                op.get("operationId")
            }
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
            out.insert(
                op_key(m, path),
                (
                    OpRef {
                        method: m.to_uppercase(),
                        path: path.clone(),
                        label,
                    },
                    op,
                ),
            );
        }
    }
    out
}

struct Cx<'a> {
    up: &'a Value,
    ours: &'a Value,
    ignored: &'a mut Ignored,
}

fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    let mut v = v;
    for _ in 0..8 {
        match v
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|p| doc.pointer(&p.replace("~1", "/").replace("~0", "~")))
        {
            Some(t) => v = t,
            None => break,
        }
    }
    v
}

impl Cx<'_> {
    /// Upstream (Swagger 2.0) family of a parameter or schema; counts the odd types.
    fn up_family(&mut self, s: &Value) -> Family {
        let s = resolve(self.up, s);
        match s.get("type").and_then(Value::as_str) {
            Some("datetime") | Some("date") => {
                self.ignored.odd_types += 1;
                Family::one("string")
            }
            Some("float") => {
                self.ignored.odd_types += 1;
                Family::one("number")
            }
            Some("array") => {
                let item = s.get("items").map(|i| self.up_family(i)).unwrap_or_else(Family::any);
                Family::one(&format!("array<{}>", item.show()))
            }
            Some("file") => Family::one("string"),
            Some(t) => Family::one(t),
            None if s.get("properties").is_some() => Family::one("object"),
            None => Family::any(),
        }
    }

    /// Our (OpenAPI 3.0) family of a schema.
    fn our_family(&self, s: &Value, depth: usize) -> Family {
        let s = resolve(self.ours, s);
        if depth > MAX_DEPTH {
            return Family::any();
        }
        if let Some(t) = s.get("x-dam-type").and_then(Value::as_str) {
            let words: &[&str] = match t {
                "LooseId" | "LooseInt" => &["integer", "string"],
                "LooseFloat" => &["number", "integer", "string"],
                "LooseBool" => &["boolean", "integer", "string"],
                "Timestamp" => &["string", "integer"],
                _ => &["string"],
            };
            return Family(words.iter().map(|w| w.to_string()).collect());
        }
        if s.get("x-dam-join").is_some() {
            let item = s
                .get("items")
                .map(|i| self.our_family(i, depth + 1))
                .unwrap_or_else(Family::any);
            return Family(BTreeSet::from([
                "string".to_string(),
                format!("array<{}>", item.show()),
            ]));
        }
        if let Some(all) = s.get("allOf").and_then(Value::as_array)
            && all.len() == 1
        {
            return self.our_family(&all[0], depth + 1);
        }
        if let Some(branches) = s.get("oneOf").or_else(|| s.get("anyOf")).and_then(Value::as_array) {
            let mut words = BTreeSet::new();
            for b in branches {
                words.extend(self.our_family(b, depth + 1).0);
            }
            return Family(words);
        }
        match s.get("type").and_then(Value::as_str) {
            Some("array") => {
                let item = s
                    .get("items")
                    .map(|i| self.our_family(i, depth + 1))
                    .unwrap_or_else(Family::any);
                Family::one(&format!("array<{}>", item.show()))
            }
            Some(t) => Family::one(t),
            None if s.get("properties").is_some() => Family::one("object"),
            None => Family::any(),
        }
    }

    /// Upstream fields as dotted paths.
    fn up_fields(&mut self, s: &Value, prefix: &str, depth: usize, out: &mut BTreeMap<String, Family>) {
        let s = resolve(self.up, s);
        if depth > MAX_DEPTH {
            return;
        }
        if s.get("type").and_then(Value::as_str) == Some("array") {
            if let Some(items) = s.get("items") {
                self.up_fields(items, &format!("{prefix}[]"), depth + 1, out);
            }
            return;
        }
        for (name, prop) in s.get("properties").and_then(Value::as_object).into_iter().flatten() {
            let path = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}.{name}")
            };
            let fam = self.up_family(prop);
            out.insert(path.clone(), fam);
            self.up_fields(prop, &path, depth + 1, out);
        }
    }

    /// Our fields as dotted paths; `open` collects the paths of open objects (anything below them
    /// is accepted).
    fn our_fields(
        &self,
        s: &Value,
        prefix: &str,
        depth: usize,
        seen: &mut Vec<String>,
        out: &mut BTreeMap<String, Family>,
        open: &mut BTreeSet<String>,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            // A model that holds itself (the wrapped form of a detail answer): stop, accept anything.
            if seen.iter().any(|x| x == r) {
                open.insert(prefix.to_string());
                return;
            }
            seen.push(r.to_string());
            self.our_fields(resolve(self.ours, s), prefix, depth + 1, seen, out, open);
            seen.pop();
            return;
        }
        if s.get("x-dam-type").is_some() || s.get("x-dam-join").is_some() {
            return;
        }
        let mut composed = false;
        for key in ["allOf", "oneOf", "anyOf"] {
            for b in s.get(key).and_then(Value::as_array).into_iter().flatten() {
                composed = true;
                self.our_fields(b, prefix, depth + 1, seen, out, open);
            }
        }
        if s.get("type").and_then(Value::as_str) == Some("array") {
            if let Some(items) = s.get("items") {
                self.our_fields(items, &format!("{prefix}[]"), depth + 1, seen, out, open);
            }
            return;
        }
        let props = s.get("properties").and_then(Value::as_object);
        for (name, prop) in props.into_iter().flatten() {
            let path = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}.{name}")
            };
            out.insert(path.clone(), self.our_family(prop, 0));
            self.our_fields(prop, &path, depth + 1, seen, out, open);
        }
        let open_map = s
            .get("additionalProperties")
            .is_some_and(|a| a.as_bool() == Some(true) || a.is_object());
        let untyped_object = props.is_none_or(|p| p.is_empty())
            && !composed
            && (s.get("type").and_then(Value::as_str) == Some("object") || s.as_object().is_some_and(|o| o.is_empty()));
        if open_map || untyped_object {
            open.insert(prefix.to_string());
        }
    }

    /// The items of a root array, or the schema itself (listings: compare the element).
    fn root_item<'v>(doc: &'v Value, s: &'v Value) -> &'v Value {
        let r = resolve(doc, s);
        match (r.get("type").and_then(Value::as_str), r.get("items")) {
            (Some("array"), Some(items)) => items,
            _ => s,
        }
    }

    fn compare_fields(&mut self, place: &'static str, up: &Value, ours: Option<&Value>, drift: &mut Vec<Drift>) {
        let mut up_fields = BTreeMap::new();
        let up = Self::root_item(self.up, up);
        self.up_fields(up, "", 0, &mut up_fields);
        self.compare_field_maps(place, up_fields, ours, drift);
    }

    fn compare_field_maps(
        &mut self,
        place: &'static str,
        up_fields: BTreeMap<String, Family>,
        ours: Option<&Value>,
        drift: &mut Vec<Drift>,
    ) {
        let mut our_fields = BTreeMap::new();
        let mut open = BTreeSet::new();
        if let Some(s) = ours {
            let s = Self::root_item(self.ours, s);
            self.our_fields(s, "", 0, &mut Vec::new(), &mut our_fields, &mut open);
        }
        let below = |path: &str, parent: &str| {
            parent.is_empty() || path.starts_with(&format!("{parent}.")) || path.starts_with(&format!("{parent}[]"))
        };
        let mut reported: Vec<String> = Vec::new();
        let mut untyped: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (path, fam) in &up_fields {
            // Only the topmost missing field; below an open object of ours, only the names.
            if reported.iter().any(|r| below(path, r)) {
                continue;
            }
            if let Some(o) = open.iter().filter(|o| below(path, o)).max_by_key(|o| o.len()) {
                let rest = if o.is_empty() { path.as_str() } else { &path[o.len()..] };
                let rest = rest.trim_start_matches("[]").trim_start_matches('.');
                // Top-level names only: `asset.title`, not `asset.title.en`.
                if !rest.contains('.') && !rest.contains("[]") {
                    untyped.entry(o.clone()).or_default().push(rest.to_string());
                }
                continue;
            }
            match our_fields.get(path) {
                None => {
                    reported.push(path.clone());
                    drift.push(Drift::MissingField {
                        place,
                        path: path.clone(),
                        ty: fam.show(),
                    });
                }
                Some(o) if !o.accepts(fam) => drift.push(Drift::FieldType {
                    place,
                    path: path.clone(),
                    upstream: fam.show(),
                    ours: o.show(),
                }),
                Some(_) => {}
            }
        }
        for (parent, fields) in untyped {
            drift.push(Drift::UntypedFields { place, parent, fields });
        }
    }
}

fn compare_operation(mut cx: Cx<'_>, up_path: &str, up: &Value, our_path: &str, ours: &Value) -> Vec<Drift> {
    let mut drift = Vec::new();
    let up_templates = template_names(up_path);
    let our_templates = template_names(our_path);
    let up_params: Vec<&Value> = up
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|p| resolve(cx.up, p))
        .collect();
    let our_params: Vec<Value> = {
        let mut list: Vec<Value> = Vec::new();
        let item_params = cx
            .ours
            .get("paths")
            .and_then(|p| p.get(our_path))
            .and_then(|i| i.get("parameters"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for p in ours
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .chain(item_params.iter())
        {
            let p = resolve(cx.ours, p).clone();
            let key = (p.get("name").cloned(), p.get("in").cloned());
            if !list
                .iter()
                .any(|q| (q.get("name").cloned(), q.get("in").cloned()) == key)
            {
                list.push(p);
            }
        }
        list
    };
    let name = |p: &Value| p.get("name").and_then(Value::as_str).unwrap_or("").to_string();
    let loc = |p: &Value| p.get("in").and_then(Value::as_str).unwrap_or("").to_string();

    // Path parameters, by position in the template.
    let mut up_path_types: BTreeMap<String, Family> = BTreeMap::new();
    let mut up_query: BTreeMap<String, (String, String, Family)> = BTreeMap::new();
    let mut up_form: BTreeMap<String, Family> = BTreeMap::new();
    let mut up_body: Option<&Value> = None;
    for p in &up_params {
        let (n, l) = (name(p), loc(p));
        if up_templates.contains(&n) {
            if l != "path" {
                cx.ignored.path_params_elsewhere += 1;
            }
            let f = cx.up_family(p);
            up_path_types.insert(n, f);
            continue;
        }
        match l.as_str() {
            "query" | "header" => {
                let key = if l == "header" {
                    n.to_lowercase()
                } else {
                    bare(&n).to_string()
                };
                let f = cx.up_family(p);
                up_query.insert(format!("{l} {key}"), (l.clone(), n.clone(), f));
            }
            "formData" => {
                let f = cx.up_family(p);
                up_form.insert(bare(&n).to_string(), f);
            }
            "body" => up_body = p.get("schema"),
            _ => {}
        }
    }
    for (i, t) in up_templates.iter().enumerate() {
        let Some(up_f) = up_path_types.get(t) else { continue };
        let Some(our_name) = our_templates.get(i) else { continue };
        let Some(our_p) = our_params.iter().find(|p| name(p) == *our_name && loc(p) == "path") else {
            continue;
        };
        let our_f = cx.our_family(our_p.get("schema").unwrap_or(&Value::Null), 0);
        if !our_f.accepts(up_f) {
            drift.push(Drift::ParamType {
                location: "path".into(),
                name: our_name.clone(),
                upstream: up_f.show(),
                ours: our_f.show(),
            });
        }
    }
    // Query and header parameters, by name (without `[]`).
    let mut ours_by_key: BTreeMap<String, &Value> = BTreeMap::new();
    for p in &our_params {
        let l = loc(p);
        if l == "query" {
            ours_by_key.insert(format!("query {}", bare(&name(p))), p);
        } else if l == "header" {
            ours_by_key.insert(format!("header {}", name(p).to_lowercase()), p);
        }
    }
    for (key, (l, n, up_f)) in &up_query {
        match ours_by_key.get(key) {
            None => drift.push(Drift::MissingParam {
                location: l.clone(),
                name: n.clone(),
                ty: up_f.show(),
            }),
            Some(our_p) => {
                let our_name = name(our_p);
                let our_f = cx.our_family(our_p.get("schema").unwrap_or(&Value::Null), 0);
                let up_array = up_f.0.iter().any(|w| w.starts_with("array<"));
                if up_array && our_name.ends_with("[]") && !n.ends_with("[]") {
                    cx.ignored.unbracketed_arrays += 1;
                }
                if our_f.accepts(up_f) {
                    continue;
                }
                // facts.md: objects travel as one JSON string, ranges as one `from,to` value.
                let one_value = l == "query"
                    && our_f.0.len() == 1
                    && our_f.0.contains("string")
                    && !our_name.ends_with("[]")
                    && (up_f.0.contains("object") || up_array);
                if one_value {
                    cx.ignored.wire_facts += 1;
                    continue;
                }
                drift.push(Drift::ParamType {
                    location: l.clone(),
                    name: our_name,
                    upstream: up_f.show(),
                    ours: our_f.show(),
                });
            }
        }
    }
    for (key, p) in &ours_by_key {
        if !up_query.contains_key(key) {
            drift.push(Drift::ExtraParam {
                location: loc(p),
                name: name(p),
            });
        }
    }
    // Bodies: the body schema, or the form parameters as top-level fields.
    let our_body = ours
        .get("requestBody")
        .map(|b| resolve(cx.ours, b))
        .and_then(|b| b.get("content"))
        .and_then(Value::as_object)
        .and_then(|c| c.values().next())
        .and_then(|m| m.get("schema"));
    if let Some(schema) = up_body {
        cx.compare_fields("body", schema, our_body, &mut drift);
    } else if !up_form.is_empty() {
        cx.compare_field_maps("body", up_form, our_body, &mut drift);
    }
    // Success responses: the first 2xx with a schema on each side.
    let up_resp = up
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(s, _)| s.starts_with('2'))
        .find_map(|(_, r)| resolve(cx.up, r).get("schema"));
    let chosen = ours.get("x-dam-success").and_then(Value::as_str);
    let our_resp = ours
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(s, _)| s.starts_with('2') && chosen.is_none_or(|c| c == s.as_str()))
        .find_map(|(_, r)| {
            resolve(cx.ours, r)
                .get("content")
                .and_then(|c| c.get("application/json"))
                .and_then(|m| m.get("schema"))
        });
    if let Some(schema) = up_resp {
        cx.compare_fields("response", schema, our_resp, &mut drift);
    }
    drift
}
