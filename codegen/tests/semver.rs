//! `cargo xtask changes --semver`: reading `cargo-semver-checks` output (captured from v0.51.0 runs
//! on this workspace) and listing where it disagrees with the change report.

use std::collections::BTreeMap;
use std::path::Path;

use codegen::changes::CrateReport;
use codegen::semver::{Verdict, disagreements, parse_output};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)).unwrap()
}

fn report(case: &str) -> CrateReport {
    let base = fixture(&format!("changes/{case}/base.yaml"));
    let head = fixture(&format!("changes/{case}/head.yaml"));
    let v = "0.1.0".parse().unwrap();
    CrateReport::compare("sdk-fixture", "specs/fixture.yaml", Some(&base), &head, v, v).unwrap()
}

#[test]
fn a_clean_run_is_non_breaking() {
    let v = parse_output("sdk-skyfish", &fixture("semver/clean.txt")).unwrap();
    assert_eq!(
        v,
        Verdict {
            crate_name: "sdk-skyfish".into(),
            breaking: false,
            lints: vec![]
        }
    );
}

#[test]
fn major_failures_are_breaking_and_named() {
    let v = parse_output("sdk-skyfish", &fixture("semver/breaking.txt")).unwrap();
    assert!(v.breaking);
    assert_eq!(
        v.lints,
        [
            "enum_missing",
            "function_missing",
            "module_missing",
            "struct_missing",
            "trait_missing"
        ]
    );
}

#[test]
fn minor_only_failures_are_not_breaking() {
    let text = "--- failure function_marked_deprecated: function #[deprecated] added ---\n\
                Summary semver requires new minor version: 0 major and 1 minor checks failed\n";
    let v = parse_output("x", text).unwrap();
    assert!(!v.breaking);
    assert_eq!(v.lints, ["function_marked_deprecated"]);
}

#[test]
fn output_without_a_summary_is_no_verdict() {
    assert_eq!(parse_output("x", "error: failed to build rustdoc for crate x\n"), None);
}

#[test]
fn the_new_optional_field_policy_is_listed_as_a_disagreement() {
    let reports = [report("new_optional_field")];
    let verdicts = [Verdict {
        crate_name: "sdk-fixture".into(),
        breaking: true,
        lints: vec!["constructible_struct_adds_field".into()],
    }];
    assert_eq!(
        disagreements(&reports, &verdicts, &BTreeMap::new()),
        [
            "sdk-fixture: report says non-breaking, cargo-semver-checks says breaking [constructible_struct_adds_field] \
          (policy: a new optional model field is non-breaking for builders and readers; cargo-semver-checks flags struct literals)"
        ]
    );
}

#[test]
fn runtime_only_breaks_are_listed_as_a_disagreement() {
    let reports = [report("new_required_param")];
    let verdicts = [Verdict {
        crate_name: "sdk-fixture".into(),
        breaking: false,
        lints: vec![],
    }];
    assert_eq!(
        disagreements(&reports, &verdicts, &BTreeMap::new()),
        [
            "sdk-fixture: report says breaking, cargo-semver-checks says non-breaking \
          (a new required parameter or field fails at run time, which no type check sees)"
        ]
    );
}

#[test]
fn changes_outside_the_spec_are_named_and_unknown_reasons_said() {
    let reports = [report("no_api_change")];
    let verdicts = [Verdict {
        crate_name: "sdk-fixture".into(),
        breaking: true,
        lints: vec!["struct_missing".into()],
    }];
    let elsewhere = BTreeMap::from([(
        "sdk-fixture".to_string(),
        vec!["hand-written code in sdk-fixture/src changed".to_string()],
    )]);
    assert_eq!(
        disagreements(&reports, &verdicts, &elsewhere),
        [
            "sdk-fixture: report says non-breaking, cargo-semver-checks says breaking [struct_missing] \
          (hand-written code in sdk-fixture/src changed since the base, which the spec report does not see)"
        ]
    );
    assert_eq!(
        disagreements(&reports, &verdicts, &BTreeMap::new()),
        [
            "sdk-fixture: report says non-breaking, cargo-semver-checks says breaking [struct_missing] (no known reason: review both)"
        ]
    );
}

#[test]
fn agreement_lists_nothing() {
    let reports = [report("removed_operation")];
    let verdicts = [Verdict {
        crate_name: "sdk-fixture".into(),
        breaking: true,
        lints: vec!["inherent_method_missing".into()],
    }];
    assert!(disagreements(&reports, &verdicts, &BTreeMap::new()).is_empty());
}
