//! The spec covers Mediagraph's whole published API: every operation (method and path) of the
//! provider's own spec is in `specs/mediagraph.yaml`, and every operation of ours is generated or
//! listed in `NOT_GENERATED`.
//!
//! The provider's operations are checked in as `tests/data/provider-operations.txt`; when the
//! provider's file itself (`shared/reference/mediagraph-open_api.json`, beside the workspace) is
//! present, a test also checks that the list is still exactly its operations.

use std::collections::BTreeSet;
use std::path::Path;

const SPEC: &str = include_str!("../../specs/mediagraph.yaml");
const PROVIDER_OPERATIONS: &str = include_str!("data/provider-operations.txt");
const METHODS: [&str; 6] = ["get", "put", "post", "delete", "head", "patch"];

/// `METHOD /path/{}`: the method upper case, path parameters unnamed, `#variant` suffixes dropped.
fn key(method: &str, path: &str) -> String {
    let path = path.split('#').next().unwrap_or(path);
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
    format!("{} {out}", method.to_uppercase())
}

fn provider_operations() -> BTreeSet<String> {
    PROVIDER_OPERATIONS
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (method, path) = l.split_once(' ').expect("`METHOD path` lines");
            key(method, path)
        })
        .collect()
}

/// Our operations: (key, operationId, skipped).
fn our_operations() -> Vec<(String, String, bool)> {
    let spec: serde_yaml::Value = serde_yaml::from_str(SPEC).expect("the spec is YAML");
    let mut out = Vec::new();
    for (path, item) in spec["paths"].as_mapping().expect("paths") {
        let path = path.as_str().expect("path keys are text");
        for method in METHODS {
            if let Some(op) = item.get(method) {
                let id = op["operationId"].as_str().expect("operationId").to_string();
                out.push((key(method, path), id, op.get("x-dam-skip").is_some()));
            }
        }
    }
    out
}

#[test]
fn every_operation_of_the_providers_spec_is_in_ours() {
    let provider = provider_operations();
    assert_eq!(provider.len(), 219, "the provider's spec v1.2.0 has 219 operations");
    let ours: BTreeSet<String> = our_operations().into_iter().map(|(k, ..)| k).collect();
    let missing: Vec<_> = provider.difference(&ours).collect();
    assert!(
        missing.is_empty(),
        "operations of the provider's spec missing from ours: {missing:#?}"
    );
}

#[test]
fn operations_beyond_the_providers_spec_are_the_two_known_ones() {
    let provider = provider_operations();
    let extra: Vec<_> = our_operations()
        .into_iter()
        .filter(|(k, ..)| !provider.contains(k))
        .map(|(k, id, _)| (k, id))
        .collect();
    assert_eq!(
        extra,
        [
            (
                "POST /api/assets/upload_from_urls".to_string(),
                "upload_assets_from_urls".to_string()
            ),
            (
                "GET /api/assets/{}/set_uploaded".to_string(),
                "set_asset_upload_complete".to_string()
            ),
        ],
        "set_uploaded is called by the provider's own client but missing from its spec; the URL upload is the document's"
    );
}

#[test]
fn every_operation_is_generated_or_listed_as_not_generated() {
    let skipped: BTreeSet<String> = our_operations()
        .into_iter()
        .filter(|(.., skipped)| *skipped)
        .map(|(_, id, _)| id)
        .collect();
    let listed: BTreeSet<String> = sdk_mediagraph::NOT_GENERATED
        .iter()
        .map(|(id, ..)| id.to_string())
        .collect();
    assert_eq!(skipped, listed);
    assert_eq!(our_operations().len(), 221);
}

#[test]
fn the_checked_in_list_is_the_providers_file_when_it_is_present() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/reference/mediagraph-open_api.json");
    let Ok(text) = std::fs::read_to_string(&file) else {
        eprintln!("{} is not here; the checked-in list is used as is", file.display());
        return;
    };
    let spec: serde_json::Value = serde_json::from_str(&text).expect("the provider's spec is JSON");
    let mut listed = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for method in METHODS {
            if item.get(method).is_some() {
                listed.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    let checked_in: BTreeSet<String> = PROVIDER_OPERATIONS
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    let stale: Vec<_> = checked_in.symmetric_difference(&listed).collect();
    assert!(
        stale.is_empty(),
        "tests/data/provider-operations.txt differs from the provider's file in {stale:#?}; regenerate it"
    );
}
