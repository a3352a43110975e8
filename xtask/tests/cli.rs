//! The `cargo xtask` command line: exit codes of `changes` and `upstream`, run as a process.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .current_dir(root())
        .args(args)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The provider's published spec, beside the workspace as in CI.
fn reference() -> String {
    let path = root().join("../shared/reference/mediagraph-open_api.json");
    assert!(
        path.is_file(),
        "{} is missing (CI has ../shared beside the workspace)",
        path.display()
    );
    path.display().to_string()
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["changes", "--bogus"][..],
        &["changes", "--base"],
        &["changes", "--check"],
        &["codegen", "--semver"],
        &["upstream", "skyfish", "x.json"],
        &["upstream", "mediagraph"],
        &["nonsense"],
    ] {
        let o = xtask(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(text(&o).contains("usage: cargo xtask"), "{args:?} prints the usage");
    }
}

#[test]
fn changes_without_the_base_revision_exit_2_and_say_why() {
    let o = xtask(&["changes", "--base", "no-such-revision-17"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("the base revision \"no-such-revision-17\" is not in this repository"),
        "{}",
        text(&o)
    );
}

#[test]
fn upstream_reports_and_fails_only_when_asked() {
    let file = reference();
    let o = xtask(&["upstream", "mediagraph", &file]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("(Mediagraph API Documentation, version 1.2.0, 219 operations) vs specs/mediagraph.yaml"));
    let summary = out.lines().last().unwrap();
    assert!(summary.starts_with("summary: "), "{summary}");
    let missing: usize = summary["summary: ".len()..].split(' ').next().unwrap().parse().unwrap();
    let o = xtask(&["upstream", "mediagraph", &file, "--fail-on-missing-operations"]);
    let want = if missing > 0 { 1 } else { 0 };
    assert_eq!(o.status.code(), Some(want), "{}", text(&o));
}

#[test]
fn upstream_refuses_a_file_that_is_not_swagger_2() {
    let o = xtask(&["upstream", "mediagraph", "specs/mediagraph.yaml"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}
