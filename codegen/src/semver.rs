//! `cargo xtask changes --semver`: a second opinion from `cargo-semver-checks`.
//!
//! The change report ([`crate::changes`]) reasons about the spec. `cargo-semver-checks` (installed
//! from crates.io: `cargo install cargo-semver-checks --locked`) compares the *compiled* public API
//! of each SDK crate with the crate at the base revision, built from a temporary `git worktree`
//! (`--baseline-root`). It runs with `--release-type patch`, so every lint that fires is reported,
//! and a crate counts as broken when a lint that requires a major release fires.
//!
//! The two verdicts are compared per crate; where they differ, the reason is given when it is a
//! known one:
//!
//! - the report calls a new optional model field non-breaking (policy), while `cargo-semver-checks`
//!   flags the new `pub` field of an exhaustive struct (`constructible_struct_adds_field`);
//! - a new required parameter breaks at run time (`send()` refuses), which no type check sees;
//! - the generator, the runtime or the crate's hand-written code changed since the base: the report
//!   covers the specs only.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::changes::{CrateReport, Impact};

/// What `cargo-semver-checks` said about one crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The crate.
    pub crate_name: String,
    /// A lint that requires a major release fired.
    pub breaking: bool,
    /// Every lint that fired.
    pub lints: Vec<String>,
}

/// The installed `cargo-semver-checks` version, or why it cannot run.
pub fn tool_version() -> Result<String, String> {
    let out = Command::new("cargo")
        .args(["semver-checks", "--version"])
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(format!(
            "cargo-semver-checks is not installed (`cargo install cargo-semver-checks --locked`): {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// A checkout of the base revision in a temporary `git worktree`, removed on drop.
#[derive(Debug)]
pub struct Baseline {
    repo: PathBuf,
    dir: PathBuf,
}

impl Baseline {
    /// Checks `commit` out into a fresh temporary directory.
    pub fn create(repo: &Path, commit: &str) -> Result<Baseline, String> {
        let dir = std::env::temp_dir().join(format!("dam-semver-baseline-{}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| format!("cannot clear {}: {e}", dir.display()))?;
        }
        let out = Command::new("git")
            .current_dir(repo)
            .args(["worktree", "add", "--detach", "--quiet"])
            .arg(&dir)
            .arg(commit)
            .output()
            .map_err(|e| format!("cannot run git: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "git worktree add {commit}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(Baseline {
            repo: repo.to_path_buf(),
            dir,
        })
    }

    /// The checkout's root.
    pub fn path(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Baseline {
    fn drop(&mut self) {
        let _ = Command::new("git")
            .current_dir(&self.repo)
            .args(["worktree", "remove", "--force"])
            .arg(&self.dir)
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
        let _ = Command::new("git")
            .current_dir(&self.repo)
            .args(["worktree", "prune"])
            .output();
    }
}

/// Runs `cargo semver-checks` on one crate of the workspace at `root` against `baseline`.
pub fn check_crate(root: &Path, baseline: &Path, crate_name: &str) -> Result<Verdict, String> {
    let out = Command::new("cargo")
        .current_dir(root)
        .args([
            "semver-checks",
            "check-release",
            "--release-type",
            "patch",
            "-p",
            crate_name,
        ])
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .arg("--baseline-root")
        .arg(baseline)
        .env("CARGO_TERM_COLOR", "never")
        .output()
        .map_err(|e| format!("cannot run cargo semver-checks: {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    parse_output(crate_name, &text).ok_or_else(|| {
        let tail: Vec<&str> = text.lines().rev().take(15).collect();
        format!(
            "cargo semver-checks -p {crate_name} gave no verdict (exit {:?}):\n{}",
            out.status.code(),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        )
    })
}

/// Reads a verdict from `cargo semver-checks` output: the lints of the `--- failure <lint>: ... ---`
/// blocks and the summary (`Summary semver requires new major version: N major and M minor checks
/// failed`, or `Summary no semver update required`). `None` when there is no summary.
pub fn parse_output(crate_name: &str, text: &str) -> Option<Verdict> {
    let mut lints = Vec::new();
    let mut major = None;
    for line in text.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("--- failure ") {
            let lint = rest.split(':').next().unwrap_or(rest).trim().to_string();
            lints.push(lint);
        }
        let Some(summary) = line.strip_prefix("Summary") else {
            continue;
        };
        if summary.contains("no semver update required") {
            major = Some(0);
        } else if let Some((_, counts)) = summary.split_once(':') {
            major = counts
                .split_whitespace()
                .collect::<Vec<_>>()
                .windows(2)
                .find(|w| w[1] == "major")
                .and_then(|w| w[0].parse::<u64>().ok());
        }
    }
    Some(Verdict {
        crate_name: crate_name.to_string(),
        breaking: major? > 0,
        lints,
    })
}

/// Where the report and `cargo-semver-checks` disagree, one line each, with the known reason.
///
/// `elsewhere` names, per crate, what else changed since the base besides the spec (the generator,
/// the runtime, hand-written code): cargo-semver-checks sees those changes, the report does not.
pub fn disagreements(
    reports: &[CrateReport],
    verdicts: &[Verdict],
    elsewhere: &BTreeMap<String, Vec<String>>,
) -> Vec<String> {
    let mut out = Vec::new();
    for v in verdicts {
        let Some(r) = reports.iter().find(|r| r.crate_name == v.crate_name) else {
            continue;
        };
        if r.breaking() == v.breaking {
            continue;
        }
        let lints: Vec<&str> = v.lints.iter().map(String::as_str).collect();
        let mut reasons = Vec::new();
        if v.breaking {
            let flagged = r.changes.iter().any(|c| {
                c.impact == Impact::Additive && c.note.as_deref().is_some_and(|n| n.contains("struct literal"))
            });
            if flagged && lints.iter().any(|l| l.contains("adds_field")) {
                reasons.push("policy: a new optional model field is non-breaking for builders and readers; cargo-semver-checks flags struct literals".to_string());
            }
            for other in elsewhere.get(&v.crate_name).into_iter().flatten() {
                reasons.push(format!("{other} since the base, which the spec report does not see"));
            }
        } else {
            let runtime_only = r.changes.iter().any(|c| {
                c.impact == Impact::Breaking && (c.what.contains("`send()` fails") || c.what.contains("now required"))
            });
            if runtime_only {
                reasons
                    .push("a new required parameter or field fails at run time, which no type check sees".to_string());
            }
        }
        let reason = if reasons.is_empty() {
            "no known reason: review both".to_string()
        } else {
            reasons.join("; ")
        };
        out.push(format!(
            "{}: report says {}, cargo-semver-checks says {}{} ({reason})",
            v.crate_name,
            if r.breaking() { "breaking" } else { "non-breaking" },
            if v.breaking { "breaking" } else { "non-breaking" },
            if lints.is_empty() {
                String::new()
            } else {
                format!(" [{}]", lints.join(", "))
            }
        ));
    }
    out
}
