//! The change report's model of the generated API (`codegen::api`) agrees with what the generator
//! really emits, for every checked-in SDK: the same `Client` methods, the same setter types, the same
//! success types, the same types, struct fields and enum variants. If this fails, the report would
//! misclassify a change.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use codegen::api::{Api, TypeDef};
use quote::ToTokens;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

/// `::std::option::Option<::std::vec::Vec<crate::generated::types::Media>>` -> `Option<Vec<Media>>`.
fn normalise(ty: &str) -> String {
    let compact: String = ty.split_whitespace().collect();
    let mut t = compact;
    for (from, to) in [
        (
            "::serde_json::Map<::std::string::String,::serde_json::Value>",
            "Map<String,Value>",
        ),
        ("::std::collections::HashMap<::std::string::String,", "Map<String,"),
        ("::serde_json::Map<::std::string::String,", "Map<String,"),
        ("::chrono::DateTime<::chrono::offset::Utc>", "DateTime<Utc>"),
        ("::chrono::naive::NaiveDate", "NaiveDate"),
        ("::dam_runtime::", "runtime::"),
        ("crate::generated::types::", ""),
        ("types::", ""),
        ("super::", ""),
        ("::std::option::", ""),
        ("::std::vec::", ""),
        ("::std::string::", ""),
        ("::std::num::", ""),
        ("::serde_json::", ""),
        ("::uuid::", ""),
        ("::std::boxed::", ""),
    ] {
        t = t.replace(from, to);
    }
    // prettyplease leaves trailing commas in long generic lists.
    while t.contains(",>") {
        t = t.replace(",>", ">");
    }
    unbox(&t)
}

/// Drops `Box<…>`: where typify boxes a field to break a cycle between types is its own affair
/// (the API model does not predict it, and a box changes nothing a caller reads or writes).
fn unbox(t: &str) -> String {
    let mut t = t.to_string();
    while let Some(at) = t.find("Box<") {
        // The matching `>` of this `Box<`.
        let mut depth = 0;
        let mut end = at + 4;
        for (i, c) in t[at + 4..].char_indices() {
            match c {
                '<' => depth += 1,
                '>' if depth == 0 => {
                    end = at + 4 + i;
                    break;
                }
                '>' => depth -= 1,
                _ => {}
            }
        }
        t = format!("{}{}{}", &t[..at], &t[at + 4..end], &t[end + 1..]);
    }
    t
}

struct Generated {
    methods: BTreeSet<String>,
    /// builder struct -> setter field -> type
    builders: BTreeMap<String, BTreeMap<String, String>>,
    /// operation id -> success type
    responses: BTreeMap<String, String>,
    structs: BTreeMap<String, BTreeMap<String, String>>,
    enums: BTreeMap<String, BTreeSet<String>>,
    others: BTreeSet<String>,
}

fn generated(path: &Path) -> Generated {
    let text = std::fs::read_to_string(path).unwrap();
    let file = syn::parse_file(&text).unwrap();
    let mut g = Generated {
        methods: BTreeSet::new(),
        builders: BTreeMap::new(),
        responses: BTreeMap::new(),
        structs: BTreeMap::new(),
        enums: BTreeMap::new(),
        others: BTreeSet::new(),
    };
    for item in &file.items {
        match item {
            syn::Item::Mod(m) if m.ident == "types" => {
                for item in &m.content.as_ref().unwrap().1 {
                    match item {
                        syn::Item::Struct(s) => match &s.fields {
                            syn::Fields::Named(named) => {
                                let mut fields = BTreeMap::new();
                                for f in &named.named {
                                    let mut wire = f.ident.as_ref().unwrap().to_string();
                                    for attr in &f.attrs {
                                        let a = attr.to_token_stream().to_string();
                                        if let Some(rest) = a.split("rename = \"").nth(1) {
                                            wire = rest.split('"').next().unwrap().to_string();
                                        }
                                    }
                                    fields.insert(wire, normalise(&f.ty.to_token_stream().to_string()));
                                }
                                g.structs.insert(s.ident.to_string(), fields);
                            }
                            _ => {
                                g.others.insert(s.ident.to_string());
                            }
                        },
                        syn::Item::Enum(e) => {
                            let variants = e
                                .variants
                                .iter()
                                .map(|v| v.ident.to_string())
                                .filter(|v| v != "Unknown")
                                .collect();
                            g.enums.insert(e.ident.to_string(), variants);
                        }
                        syn::Item::Type(t) => {
                            g.others.insert(t.ident.to_string());
                        }
                        _ => {}
                    }
                }
            }
            syn::Item::Impl(i) if i.self_ty.to_token_stream().to_string() == "Client" && i.trait_.is_none() => {
                for it in &i.items {
                    if let syn::ImplItem::Fn(f) = it {
                        g.methods.insert(f.sig.ident.to_string());
                    }
                }
            }
            syn::Item::Mod(m) if m.ident == "builder" => {
                for item in &m.content.as_ref().unwrap().1 {
                    match item {
                        syn::Item::Struct(s) => {
                            let mut setters = BTreeMap::new();
                            for f in &s.fields {
                                let name = f.ident.as_ref().unwrap().to_string();
                                if name == "client" {
                                    continue;
                                }
                                // `Result<Option<T>, String>` or `Result<T, String>`.
                                let t = normalise(&f.ty.to_token_stream().to_string());
                                let t = t
                                    .strip_prefix("Result<")
                                    .and_then(|t| t.strip_suffix(",String>"))
                                    .unwrap_or(&t);
                                let t = t.strip_prefix("Option<").and_then(|t| t.strip_suffix('>')).unwrap_or(t);
                                setters.insert(name, t.to_string());
                            }
                            g.builders.insert(s.ident.to_string(), setters);
                        }
                        syn::Item::Impl(i) => {
                            for it in &i.items {
                                let syn::ImplItem::Fn(f) = it else { continue };
                                if f.sig.ident != "send" {
                                    continue;
                                }
                                let out = normalise(&f.sig.output.to_token_stream().to_string());
                                let t = out
                                    .split("ResponseValue<")
                                    .nth(1)
                                    .unwrap()
                                    .rsplit_once(">,runtime::Error")
                                    .unwrap()
                                    .0
                                    .to_string();
                                let name = i.self_ty.to_token_stream().to_string();
                                let name = name.split_whitespace().next().unwrap().to_string();
                                g.responses.insert(name, t);
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    g
}

fn check(spec: &str, generated_rs: &str) {
    let text = std::fs::read_to_string(root().join(spec)).unwrap();
    let api = Api::from_text(&text).unwrap();
    let g = generated(&root().join(generated_rs));
    let mut problems = Vec::new();

    let ops: BTreeSet<String> = api
        .operations
        .values()
        .filter(|o| o.skipped.is_none())
        .map(|o| o.id.clone())
        .collect();
    let methods: BTreeSet<String> = g
        .methods
        .iter()
        .filter(|m| {
            ![
                "new",
                "new_with_client",
                "unauthenticated",
                "baseurl",
                "client",
                "inner",
            ]
            .contains(&m.as_str())
        })
        .cloned()
        .collect();
    if ops != methods {
        problems.push(format!(
            "methods: model only {:?}, generated only {:?}",
            ops.difference(&methods).collect::<Vec<_>>(),
            methods.difference(&ops).collect::<Vec<_>>()
        ));
    }
    for op in api.operations.values().filter(|o| o.skipped.is_none()) {
        let builder = codegen::api::pascal(&op.id);
        let Some(setters) = g.builders.get(&builder) else {
            problems.push(format!("no builder {builder}"));
            continue;
        };
        let mut model: BTreeMap<String, String> = op
            .params
            .iter()
            .map(|(k, p)| (k.clone(), p.rust_type.replace(' ', "")))
            .collect();
        if let Some(b) = &op.body {
            let t = if b.rust_type == "reqwest::Body" {
                "reqwest::Body".to_string()
            } else {
                format!("builder::{}", b.rust_type)
            };
            model.insert("body".into(), t);
        }
        for (k, t) in &model {
            let Some(got) = setters.get(k) else {
                problems.push(format!("{}: no setter {k}", op.id));
                continue;
            };
            // A struct body is held as its builder; anything else as the type itself.
            let got = got.replace("types::builder::", "builder::");
            let want = if let Some(inner) = t.strip_prefix("builder::") {
                if matches!(api.types.get(inner), Some(TypeDef::Struct(_))) {
                    t.clone()
                } else {
                    inner.to_string()
                }
            } else {
                t.clone()
            };
            if got != want && !(want == "reqwest::Body" && got.contains("reqwest::Body")) {
                problems.push(format!("{}: setter {k}: model {want}, generated {got}", op.id));
            }
        }
        for k in setters.keys() {
            if !model.contains_key(k) {
                problems.push(format!("{}: generated setter {k} not in the model", op.id));
            }
        }
        match g.responses.get(&builder) {
            Some(got) if *got == op.response.replace(' ', "") => {}
            got => problems.push(format!("{}: response: model {}, generated {got:?}", op.id, op.response)),
        }
    }
    for (name, def) in &api.types {
        match def {
            TypeDef::Struct(fields) => {
                let Some(got) = g.structs.get(name) else {
                    problems.push(format!("struct {name} not generated"));
                    continue;
                };
                let want: BTreeMap<String, String> = fields
                    .iter()
                    .map(|(k, f)| (k.clone(), f.rust_type.replace(' ', "")))
                    .collect();
                for (k, t) in &want {
                    match got.get(k) {
                        Some(g) if g == t => {}
                        other => problems.push(format!("{name}.{k}: model {t}, generated {other:?}")),
                    }
                }
                for k in got.keys() {
                    if !want.contains_key(k) {
                        problems.push(format!("{name}.{k}: generated, not in the model"));
                    }
                }
            }
            TypeDef::Enum(values) => {
                let want: BTreeSet<String> = values.iter().map(|(_, v)| v.clone()).collect();
                match g.enums.get(name) {
                    Some(got) if *got == want => {}
                    other => problems.push(format!("enum {name}: model {want:?}, generated {other:?}")),
                }
            }
            TypeDef::OneOf(_) => {
                if !g.enums.contains_key(name) {
                    problems.push(format!("union {name} not generated as an enum"));
                }
            }
            TypeDef::List { .. } | TypeDef::Newtype(_) => {
                if !g.others.contains(name) && !g.structs.contains_key(name) {
                    problems.push(format!("{} {name} not generated", def.kind()));
                }
            }
        }
    }
    let all_generated: BTreeSet<&String> = g.structs.keys().chain(g.enums.keys()).chain(g.others.iter()).collect();
    for name in all_generated {
        if !api.types.contains_key(name.as_str()) {
            problems.push(format!("type {name} generated but not in the model"));
        }
    }
    assert!(
        problems.is_empty(),
        "{spec}: {} disagreements:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn model_matches_the_fixture_crate() {
    check(
        "codegen/tests/fixtures/mini.yaml",
        "codegen/fixture-sdk/src/generated.rs",
    );
}

#[test]
fn model_matches_sdk_skyfish() {
    check("specs/skyfish.yaml", "sdk-skyfish/src/generated.rs");
}

#[test]
fn model_matches_sdk_ci() {
    check("specs/ci.yaml", "sdk-ci/src/generated.rs");
}

#[test]
fn model_matches_sdk_mediagraph() {
    check("specs/mediagraph.yaml", "sdk-mediagraph/src/generated.rs");
}

#[test]
fn model_matches_sdk_intelligencebank() {
    check("specs/intelligencebank.yaml", "sdk-intelligencebank/src/generated.rs");
}
