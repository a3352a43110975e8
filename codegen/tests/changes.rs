//! `cargo xtask changes` on fixture spec pairs: each folder of `tests/fixtures/changes/` holds a base
//! spec, the spec after one edit, and the exact report expected for the pair (`expected.txt`).
//! Set `CHANGES_BLESS=1` to rewrite the expected reports after an intended change of wording, then
//! review the diff.

use std::path::{Path, PathBuf};

use codegen::changes::{Bump, CrateReport, Version};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/changes")
}

fn v(s: &str) -> Version {
    s.parse().unwrap()
}

fn report(case: &str) -> CrateReport {
    let dir = fixtures().join(case);
    let base = std::fs::read_to_string(dir.join("base.yaml")).unwrap();
    let head = std::fs::read_to_string(dir.join("head.yaml")).unwrap();
    CrateReport::compare(
        "sdk-fixture",
        "specs/fixture.yaml",
        Some(&base),
        &head,
        v("0.1.0"),
        v("0.1.0"),
    )
    .unwrap()
}

/// Compares the case's report with `expected.txt`, and checks the verdict and bump.
fn check(case: &str, breaking: bool, bump: Bump) {
    let r = report(case);
    let text = r.render_with_changelog();
    let path = fixtures().join(case).join("expected.txt");
    if std::env::var_os("CHANGES_BLESS").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        text, expected,
        "{case}: the report differs from expected.txt\n--- got ---\n{text}\n--- expected ---\n{expected}"
    );
    assert_eq!(r.breaking(), breaking, "{case}: breaking");
    assert_eq!(r.bump(), bump, "{case}: bump");
}

#[test]
fn added_operation_is_not_breaking() {
    check("added_operation", false, Bump::Patch);
}

#[test]
fn removed_operation_is_breaking() {
    check("removed_operation", true, Bump::Minor);
}

#[test]
fn new_required_parameter_is_breaking() {
    check("new_required_param", true, Bump::Minor);
}

#[test]
fn new_optional_parameter_is_not_breaking() {
    check("new_optional_param", false, Bump::Patch);
}

#[test]
fn new_optional_field_is_not_breaking_but_flagged() {
    check("new_optional_field", false, Bump::Patch);
    let r = report("new_optional_field");
    assert!(
        r.changes[0].note.as_deref().unwrap().contains("struct literals"),
        "the struct-literal caveat is stated"
    );
}

#[test]
fn new_required_request_field_is_breaking() {
    check("new_required_body_field", true, Bump::Minor);
}

#[test]
fn retyped_field_is_breaking() {
    check("retyped_field", true, Bump::Minor);
}

#[test]
fn new_enum_value_is_not_breaking() {
    check("new_enum_value", false, Bump::Patch);
}

#[test]
fn removed_enum_value_is_breaking() {
    check("removed_enum_value", true, Bump::Minor);
}

#[test]
fn operation_moved_to_hand_written_is_breaking() {
    check("now_hand_written", true, Bump::Minor);
}

#[test]
fn renamed_path_parameter_renames_the_setter() {
    check("path_param_renamed", true, Bump::Minor);
}

#[test]
fn edits_users_cannot_see_change_nothing() {
    check("no_api_change", false, Bump::None);
    assert!(report("no_api_change").changes.is_empty());
}

#[test]
fn a_new_spec_is_all_added() {
    let head = std::fs::read_to_string(fixtures().join("added_operation/head.yaml")).unwrap();
    let r = CrateReport::compare("sdk-fixture", "specs/fixture.yaml", None, &head, v("0.1.0"), v("0.1.0")).unwrap();
    assert!(!r.breaking());
    let text = r.render();
    assert!(text.starts_with("sdk-fixture (specs/fixture.yaml, new spec): non-breaking: needs 0.1.0 -> 0.1.1"));
    assert!(text.contains("non-breaking operation delete_media: added: `Client::delete_media` (DELETE /media/{id})"));
    assert!(text.contains("non-breaking model Media (response): new struct `types::Media`"));
}

#[test]
fn versions_follow_semver_before_and_after_1_0() {
    let r = report("removed_operation");
    assert_eq!(v("0.1.3").bumped(v("0.1.3").needed(&r.changes)), v("0.2.0"));
    assert_eq!(v("1.4.2").bumped(v("1.4.2").needed(&r.changes)), v("2.0.0"));
    let r = report("added_operation");
    assert_eq!(v("0.1.3").bumped(v("0.1.3").needed(&r.changes)), v("0.1.4"));
    assert_eq!(v("1.4.2").bumped(v("1.4.2").needed(&r.changes)), v("1.5.0"));
    // A bump already made is acknowledged.
    let dir = fixtures().join("removed_operation");
    let r = CrateReport::compare(
        "sdk-fixture",
        "specs/fixture.yaml",
        Some(&std::fs::read_to_string(dir.join("base.yaml")).unwrap()),
        &std::fs::read_to_string(dir.join("head.yaml")).unwrap(),
        v("0.1.0"),
        v("0.2.0"),
    )
    .unwrap();
    assert!(
        r.render()
            .contains("needs 0.1.0 -> 0.2.0 (minor bump: breaking changes before 1.0); Cargo.toml already has 0.2.0")
    );
}

#[test]
fn versions_are_read_through_the_workspace() {
    let ws = "[workspace]\nmembers = []\n\n[workspace.package]\nversion = \"0.3.1\"\n";
    assert_eq!(
        codegen::changes::manifest_version("[package]\nname = \"x\"\nversion.workspace = true\n", ws).unwrap(),
        v("0.3.1")
    );
    assert_eq!(
        codegen::changes::manifest_version("[package]\nname = \"x\"\nversion = \"1.2.3\"\n", ws).unwrap(),
        v("1.2.3")
    );
    assert!(codegen::changes::manifest_version("[package]\nname = \"x\"\n", ws).is_err());
}

#[test]
fn every_sdk_crate_has_a_keep_a_changelog_file() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    for p in codegen::PROVIDERS {
        let path = root.join(p.crate_dir).join("CHANGELOG.md");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(text.starts_with("# Changelog\n"), "{}", path.display());
        assert!(text.contains("keepachangelog.com"), "{}", path.display());
        assert!(
            text.contains("\n## [Unreleased]\n"),
            "{}: no Unreleased section",
            path.display()
        );
    }
}

#[test]
fn changelog_entries_use_keep_a_changelog_sections_in_order() {
    // Removed + added in one report: sections come out Added, Changed, Removed.
    let r = report("path_param_renamed");
    let entry = r.changelog().unwrap();
    let headings: Vec<&str> = entry.lines().filter(|l| l.starts_with("### ")).collect();
    assert_eq!(headings, ["### Changed", "### Removed"]);
    assert!(report("no_api_change").changelog().is_none());
}

#[test]
fn renamed_operation_is_breaking_and_named() {
    check("renamed_operation", true, Bump::Minor);
}

#[test]
fn changed_runtime_type_retypes_its_fields() {
    check("runtime_type_changed", true, Bump::Minor);
}

#[test]
fn joined_list_separator_is_a_wire_change_only() {
    check("joined_list_separator", false, Bump::Patch);
}
