//! `cargo xtask upstream`: a small Swagger 2.0 "provider" spec against a small spec of ours, with
//! one case of each kind of drift and of each known upstream error that must not count as drift.
//! Set `CHANGES_BLESS=1` to rewrite `expected.txt` after an intended change of wording.

use std::path::{Path, PathBuf};

use codegen::upstream::{Drift, compare};
use serde_json::Value;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/upstream")
}

fn specs() -> (Value, Value) {
    let up: Value = serde_json::from_slice(&std::fs::read(dir().join("provider.json")).unwrap()).unwrap();
    let ours: Value = serde_yaml::from_slice(&std::fs::read(dir().join("ours.yaml")).unwrap()).unwrap();
    (up, ours)
}

#[test]
fn report_matches_expected_text() {
    let (up, ours) = specs();
    let text = compare(&up, &ours).unwrap().render("provider.json", "ours.yaml");
    let path = dir().join("expected.txt");
    if std::env::var_os("CHANGES_BLESS").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(text, expected, "--- got ---\n{text}\n--- expected ---\n{expected}");
}

#[test]
fn operations_match_on_method_and_path_shape() {
    let (up, ours) = specs();
    let r = compare(&up, &ours).unwrap();
    let missing: Vec<(&str, &str)> = r
        .missing_operations
        .iter()
        .map(|o| (o.method.as_str(), o.path.as_str()))
        .collect();
    assert_eq!(missing, [("DELETE", "/api/assets/{id}"), ("POST", "/api/collections")]);
    let extra: Vec<&str> = r.extra_operations.iter().map(|o| o.label.as_str()).collect();
    assert_eq!(extra, ["who_am_i"], "set_uploaded is known to be missing upstream");
    assert_eq!(r.ignored.known_missing_upstream, 1);
    // `/api/assets/{id}` upstream is `/api/assets/{asset_id}` here.
    assert!(r.shared.iter().any(|s| s.ours.label == "update_asset"));
}

#[test]
fn drift_is_found_per_shared_operation() {
    let (up, ours) = specs();
    let r = compare(&up, &ours).unwrap();
    let of = |id: &str| -> Vec<Drift> { r.shared.iter().find(|s| s.ours.label == id).unwrap().drift.clone() };
    let search = of("search_assets");
    assert!(search.contains(&Drift::MissingParam {
        location: "query".into(),
        name: "per_page".into(),
        ty: "integer".into()
    }));
    assert!(search.contains(&Drift::ParamType {
        location: "query".into(),
        name: "rights[]".into(),
        upstream: "array<integer>".into(),
        ours: "array<string>".into()
    }));
    assert!(search.contains(&Drift::ExtraParam {
        location: "header".into(),
        name: "Range".into()
    }));
    assert!(search.contains(&Drift::MissingField {
        place: "response",
        path: "is_video".into(),
        ty: "boolean".into()
    }));
    assert!(search.contains(&Drift::FieldType {
        place: "response",
        path: "rating".into(),
        upstream: "integer".into(),
        ours: "string".into()
    }));
    let update = of("update_asset");
    assert!(update.contains(&Drift::MissingField {
        place: "body",
        path: "notify".into(),
        ty: "boolean".into()
    }));
    assert!(update.contains(&Drift::UntypedFields {
        place: "body",
        parent: "asset".into(),
        fields: vec!["rating".into(), "title".into()]
    }));
    let revert = of("set_asset_version");
    assert!(revert.contains(&Drift::ParamType {
        location: "path".into(),
        name: "asset_id".into(),
        upstream: "integer".into(),
        ours: "string".into()
    }));
    assert!(revert.contains(&Drift::MissingField {
        place: "body",
        path: "note".into(),
        ty: "string".into()
    }));
    assert!(revert.contains(&Drift::FieldType {
        place: "body",
        path: "version".into(),
        upstream: "integer".into(),
        ours: "string".into()
    }));
}

#[test]
fn known_upstream_errors_are_counted_not_reported() {
    let (up, ours) = specs();
    let r = compare(&up, &ours).unwrap();
    // `id` declared as a query parameter of `PUT /api/assets/{id}`.
    assert_eq!(r.ignored.path_params_elsewhere, 1);
    // `updated_since` is a `datetime` (the missing collection operation's `created_at` is not read).
    assert_eq!(r.ignored.odd_types, 1);
    // `tags` and `rights` are arrays named without `[]`.
    assert_eq!(r.ignored.unbracketed_arrays, 2);
    // `custom_meta` (an object) and `captured_at` (a range) travel as one value.
    assert_eq!(r.ignored.wire_facts, 2);
    let all: Vec<String> = r.shared.iter().flat_map(|s| &s.drift).map(|d| d.to_string()).collect();
    for name in ["`id`", "`tags", "custom_meta", "captured_at", "updated_since"] {
        assert!(
            !all.iter().any(|d| d.contains(name)),
            "{name} must not be reported: {all:#?}"
        );
    }
}

#[test]
fn only_swagger_2_is_accepted() {
    let (_, ours) = specs();
    let err = compare(&ours, &ours).unwrap_err();
    assert!(err.contains("not Swagger 2.0"), "{err}");
}
