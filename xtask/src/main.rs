//! Workspace tasks.
//!
//! - `cargo xtask codegen [--provider NAME] [--check]`: regenerate the SDK crates from `specs/`, or
//!   (with `--check`) fail naming every checked-in file that differs from what the specs produce.
//! - `cargo xtask lint [--provider NAME]`: validate the specs with `openapi-spec-validator` (an
//!   independent OpenAPI validator, from PyPI), every example against its schema
//!   (`openapi-schema-validator`, `xtask/python/validate_examples.py`) and the generator's own
//!   checks.
//! - `cargo xtask tour [--provider NAME]`: runs each SDK crate's tour (`examples/tour.rs`: sign in,
//!   list and page, search, upload, download, update metadata, delete) against the crate's
//!   in-process simulator — no credentials, no network.
//! - `cargo xtask check-requests <dir>`: check every request the test suite recorded (run the tests
//!   with `DAM_RECORD_REQUESTS=<dir>`) against the specs with `openapi-core`, an independent
//!   validator (`xtask/python/validate_requests.py`); also fails when a generated operation was
//!   never exercised.
//! - `cargo xtask changes [--base REV] [--provider NAME] [--semver]`: what the spec edits since `REV`
//!   (default `HEAD`, the last commit) change in each SDK crate's Rust API, each change classified
//!   breaking or not, the version bump it needs and a CHANGELOG entry (`codegen::changes`). With
//!   `--semver`, `cargo-semver-checks` compares the generated crates with the base revision's and
//!   the disagreements are listed (`codegen::semver`). Exit code (the report's verdict; a
//!   disagreement is listed, not counted): 0 nothing breaking, 1 something breaking, 2 usage error or
//!   no report (unknown revision, unreadable spec, `cargo-semver-checks` not installed or without a
//!   verdict).
//! - `cargo xtask upstream mediagraph <provider-spec.json> [--fail-on-missing-operations]
//!   [--fail-on-drift]`: what Mediagraph's published Swagger 2.0 spec has that `specs/mediagraph.yaml`
//!   lacks or disagrees with, ignoring the published spec's known errors (`codegen::upstream`).
//!   Exit code: 0, or 1 when a `--fail-on-*` condition holds; 2 usage error.
//! - `cargo xtask instructions [--max-ratio R]`: the `per_call` benchmark's five calls, each side
//!   alone under `valgrind --tool=callgrind`: instructions per call of the SDK against raw reqwest,
//!   sequentially and 64 in flight; fails when a ratio is above `R` (default 1.05)
//!   (`instructions.rs`). Exit code: 0, 1 over the limit, 2 usage error or no measurement.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use codegen::Provider;

mod instructions;

const USAGE: &str = "usage: cargo xtask codegen [--provider NAME] [--check]
       cargo xtask lint [--provider NAME]
       cargo xtask check-requests <dir of recorded requests>
       cargo xtask tour [--provider NAME]
       cargo xtask changes [--base REV] [--provider NAME] [--semver]
       cargo xtask upstream mediagraph <provider-spec.json> [--fail-on-missing-operations] [--fail-on-drift]
       cargo xtask instructions [--max-ratio R]";

/// What the generated code depends on besides the specs: the generator and the runtime.
const GENERATOR_SOURCES: &[&str] = &[
    "codegen/src/generate.rs",
    "codegen/src/models.rs",
    "codegen/src/prepare.rs",
    "codegen/src/providers.rs",
    "codegen/runtime/src",
];

/// The options every command may take; each command rejects what it does not use.
#[derive(Default)]
struct Options {
    providers: Option<Vec<&'static Provider>>,
    check: bool,
    base: Option<String>,
    semver: bool,
    fail_on_missing: bool,
    fail_on_drift: bool,
    max_ratio: Option<f64>,
    positional: Vec<String>,
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("{message}\n{USAGE}");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    let Some(command) = args.first().map(String::as_str) else {
        return usage_error("no command");
    };
    let mut o = Options::default();
    let mut rest = args.iter().skip(1);
    while let Some(a) = rest.next() {
        match a.as_str() {
            "--check" => o.check = true,
            "--semver" => o.semver = true,
            "--fail-on-missing-operations" => o.fail_on_missing = true,
            "--fail-on-drift" => o.fail_on_drift = true,
            "--max-ratio" => match rest.next().and_then(|r| r.parse::<f64>().ok()) {
                Some(r) if r.is_finite() && r > 0.0 => o.max_ratio = Some(r),
                _ => return usage_error("--max-ratio needs a positive number, such as 1.05"),
            },
            "--base" => match rest.next() {
                Some(rev) => o.base = Some(rev.clone()),
                None => return usage_error("--base needs a git revision"),
            },
            "--provider" | "-p" => match rest.next().and_then(|n| codegen::providers::find(n)) {
                Some(p) => o.providers = Some(vec![p]),
                None => {
                    let names: Vec<_> = codegen::providers::all().map(|p| p.name).collect();
                    return usage_error(&format!("--provider needs one of: {}", names.join(", ")));
                }
            },
            other if other.starts_with('-') => return usage_error(&format!("unknown argument {other:?}")),
            other => o.positional.push(other.to_string()),
        }
    }
    let allowed: &[&str] = match command {
        "codegen" => &["check", "provider"],
        "lint" => &["provider"],
        "changes" => &["base", "provider", "semver"],
        "upstream" => &["positional", "fail"],
        "check-requests" => &["positional"],
        "tour" => &["provider"],
        "instructions" => &["max-ratio"],
        _ => return usage_error(&format!("unknown command {command:?}")),
    };
    let used = [
        ("check", o.check),
        ("provider", o.providers.is_some()),
        ("base", o.base.is_some()),
        ("semver", o.semver),
        ("fail", o.fail_on_missing || o.fail_on_drift),
        ("positional", !o.positional.is_empty()),
        ("max-ratio", o.max_ratio.is_some()),
    ];
    if let Some((name, _)) = used.iter().find(|(name, on)| *on && !allowed.contains(name)) {
        return usage_error(&format!("`{command}` does not take {name} arguments"));
    }
    match command {
        "codegen" => {
            let providers = o.providers.unwrap_or_else(|| codegen::providers::all().collect());
            codegen_cmd(&root, &providers, o.check)
        }
        "lint" => {
            let providers = o.providers.unwrap_or_else(|| codegen::providers::all().collect());
            lint_cmd(&root, &providers)
        }
        "changes" => {
            // The four SDK crates; the unpublished fixture crate only when asked for.
            let providers = o.providers.unwrap_or_else(|| codegen::PROVIDERS.iter().collect());
            changes_cmd(&root, &providers, o.base.as_deref().unwrap_or("HEAD"), o.semver)
        }
        "tour" => {
            let providers = o.providers.unwrap_or_else(|| codegen::PROVIDERS.iter().collect());
            tour_cmd(&providers)
        }
        "instructions" => instructions::run(&root, o.max_ratio.unwrap_or(instructions::DEFAULT_MAX_RATIO)),
        "check-requests" => match o.positional.as_slice() {
            [dir] => python(
                &root,
                "validate_requests.py",
                &[root.as_os_str(), Path::new(dir).as_os_str()],
            ),
            _ => usage_error("check-requests needs the directory of recorded requests"),
        },
        "upstream" => match o.positional.as_slice() {
            [provider, file] if provider == "mediagraph" => {
                upstream_cmd(&root, Path::new(file), o.fail_on_missing, o.fail_on_drift)
            }
            [provider, _] => usage_error(&format!(
                "no published spec to compare for {provider:?}: only `mediagraph` publishes one"
            )),
            _ => usage_error("`upstream` needs a provider and the provider's spec file"),
        },
        _ => unreachable!("commands are matched above"),
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

fn codegen_cmd(root: &Path, providers: &[&Provider], check: bool) -> ExitCode {
    let started = Instant::now();
    let mut failed = false;
    for p in providers {
        let t = Instant::now();
        let generated = match codegen::generate_provider(root, p) {
            Ok(g) => g,
            Err(errors) => {
                for e in errors {
                    eprintln!("error: {e}");
                }
                failed = true;
                continue;
            }
        };
        let summary = format!(
            "{}: {} operations generated, {} described but hand-written, {} examples",
            p.name, generated.operations, generated.skipped, generated.examples
        );
        if check {
            let stale = codegen::stale_outputs(root, &generated.outputs);
            for s in &stale {
                eprintln!("stale: {} (run `cargo xtask codegen`)", s.display());
            }
            failed |= !stale.is_empty();
            if stale.is_empty() {
                println!("{summary}: up to date");
            }
        } else {
            match codegen::write_outputs(root, &generated.outputs) {
                Ok(changed) => {
                    for o in &generated.outputs {
                        let mark = if changed.contains(&o.path) {
                            "wrote    "
                        } else {
                            "unchanged"
                        };
                        println!("  {mark} {} ({} lines)", o.path.display(), o.contents.lines().count());
                    }
                    println!("{summary} ({} ms)", t.elapsed().as_millis());
                }
                Err(e) => {
                    eprintln!("error: {}: cannot write: {e}", p.name);
                    failed = true;
                }
            }
        }
    }
    println!("codegen finished in {} ms", started.elapsed().as_millis());
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

/// A `cargo` command as the user's shell would run it.
///
/// `cargo xtask` is `cargo run`, which gives this process the variables cargo sets for a crate it
/// runs (`CARGO_MANIFEST_DIR`, `CARGO_PKG_NAME`, ...). A cargo started from here would hand them on,
/// and build scripts that declare `rerun-if-env-changed` on them (`ring`'s does) would run again,
/// rebuilding `ring`, `rustls` and `reqwest` and every crate above them, both here and at the next
/// `cargo build` from a shell.
fn cargo_command() -> Command {
    let mut cargo = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    for (name, _) in std::env::vars_os() {
        let Some(name) = name.to_str() else { continue };
        if name.starts_with("CARGO_PKG_")
            || matches!(
                name,
                "CARGO_MANIFEST_DIR"
                    | "CARGO_MANIFEST_PATH"
                    | "CARGO_MANIFEST_LINKS"
                    | "CARGO_CRATE_NAME"
                    | "CARGO_BIN_NAME"
                    | "CARGO_PRIMARY_PACKAGE"
                    | "CARGO_RUSTC_CURRENT_DIR"
            )
        {
            cargo.env_remove(name);
        }
    }
    cargo
}

/// Runs every crate's tour against its simulator, one after the other; fails when one fails.
fn tour_cmd(providers: &[&Provider]) -> ExitCode {
    let mut failed = Vec::new();
    for p in providers {
        let example = format!("{}-tour", p.name);
        println!(
            "\n=== {} ({}): cargo run -p {} --example {example} --features simulator",
            p.title, p.name, p.crate_dir
        );
        let status = cargo_command()
            .args([
                "run",
                "--quiet",
                "-p",
                p.crate_dir,
                "--example",
                &example,
                "--features",
                "simulator",
            ])
            .status();
        match status {
            Ok(s) if s.success() => {}
            Ok(s) => failed.push(format!("{} ({s})", p.name)),
            Err(e) => failed.push(format!("{} (cannot run cargo: {e})", p.name)),
        }
    }
    if failed.is_empty() {
        println!("\nevery tour finished");
        ExitCode::SUCCESS
    } else {
        eprintln!("\ntours that failed: {}", failed.join(", "));
        ExitCode::FAILURE
    }
}

/// Runs one of the workspace's Python checks (`xtask/python/<script>`); its output is the report.
fn python(root: &Path, script: &str, args: &[&std::ffi::OsStr]) -> ExitCode {
    let path = root.join("xtask/python").join(script);
    match Command::new("python3").arg(&path).args(args).status() {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: cannot run python3 {}: {e}", path.display());
            ExitCode::FAILURE
        }
    }
}

fn lint_cmd(root: &Path, providers: &[&Provider]) -> ExitCode {
    let mut failed = false;
    for p in providers {
        let spec = root.join(p.spec);
        let out = Command::new("python3")
            .arg("-m")
            .arg("openapi_spec_validator")
            .arg(&spec)
            .output();
        match out {
            Ok(o) if o.status.success() => println!("{}: openapi-spec-validator: OK", p.spec),
            Ok(o) => {
                let text = format!(
                    "{}{}",
                    String::from_utf8_lossy(&o.stdout),
                    String::from_utf8_lossy(&o.stderr)
                );
                if text.contains("No module named openapi_spec_validator") {
                    eprintln!(
                        "error: openapi-spec-validator is not installed: `python3 -m pip install openapi-spec-validator==0.7.1`"
                    );
                } else {
                    eprintln!("error: {}: openapi-spec-validator:\n{}", p.spec, text.trim());
                }
                failed = true;
            }
            Err(e) => {
                eprintln!("error: cannot run python3 for openapi-spec-validator: {e}");
                failed = true;
            }
        }
        failed |= python(root, "validate_examples.py", &[spec.as_os_str()]) != ExitCode::SUCCESS;
        match codegen::check_spec(root, p) {
            Ok(prepared) => println!(
                "{}: generator checks: OK ({} operations, {} not generated)",
                p.spec,
                prepared.operation_count,
                prepared.skipped.len()
            ),
            Err(errors) => {
                for e in errors {
                    eprintln!("error: {e}");
                }
                failed = true;
            }
        }
    }
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

fn changes_cmd(root: &Path, providers: &[&Provider], base: &str, semver: bool) -> ExitCode {
    use codegen::changes::{self, CrateReport, Version};
    let commit = match changes::resolve_revision(root, base) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    // Fail early, before the report, when the second opinion cannot be had.
    let tool = if semver {
        match codegen::semver::tool_version() {
            Ok(v) => Some(v),
            Err(e) => {
                eprintln!("error: --semver: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        None
    };
    let short = &commit[..commit.len().min(12)];
    println!("Changes to the generated Rust API since {base} ({short}), per crate.\n");
    let read_version = |manifest: Option<String>, workspace: Option<String>| -> Option<Version> {
        changes::manifest_version(&manifest?, &workspace.unwrap_or_default()).ok()
    };
    let workspace_now = std::fs::read_to_string(root.join("Cargo.toml")).ok();
    let workspace_base = changes::git_show(root, base, "Cargo.toml").ok().flatten();
    let mut reports = Vec::new();
    for p in providers {
        let crate_name = Path::new(p.crate_dir)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| p.crate_dir.to_string());
        let manifest = format!("{}/Cargo.toml", p.crate_dir);
        let head_text = match std::fs::read_to_string(root.join(p.spec)) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: {}: cannot read: {e}", p.spec);
                return ExitCode::from(2);
            }
        };
        let base_text = match changes::git_show(root, base, p.spec) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        };
        let head_version = read_version(
            std::fs::read_to_string(root.join(&manifest)).ok(),
            workspace_now.clone(),
        );
        let base_version = read_version(
            changes::git_show(root, base, &manifest).ok().flatten(),
            workspace_base.clone(),
        );
        let Some(head_version) = head_version else {
            eprintln!("error: {manifest}: no version");
            return ExitCode::from(2);
        };
        let report = match CrateReport::compare(
            &crate_name,
            p.spec,
            base_text.as_deref(),
            &head_text,
            base_version.unwrap_or(head_version),
            head_version,
        ) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        };
        println!("{}", report.render_with_changelog());
        reports.push(report);
    }
    let breaking: Vec<&str> = reports
        .iter()
        .filter(|r| r.breaking())
        .map(|r| r.crate_name.as_str())
        .collect();
    let codegen_changed = changes::changed_since(root, base, GENERATOR_SOURCES).unwrap_or(false);
    if codegen_changed {
        println!(
            "note: codegen/ (the generator or the runtime) changed since {base}; this report covers the specs \
             only. `--semver` checks the generated crates themselves."
        );
    }
    if breaking.is_empty() {
        println!("verdict: nothing breaking since {base} (exit 0)");
    } else {
        println!("verdict: BREAKING changes in {} (exit 1)", breaking.join(", "));
    }
    if let Some(tool) = tool {
        match semver_cmd(root, &commit, &reports, codegen_changed, &tool) {
            Ok(()) => {}
            Err(e) => {
                eprintln!("error: --semver: {e}");
                return ExitCode::from(2);
            }
        }
    }
    if breaking.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn semver_cmd(
    root: &Path,
    commit: &str,
    reports: &[codegen::changes::CrateReport],
    codegen_changed: bool,
    tool: &str,
) -> Result<(), String> {
    println!("\n{tool}: comparing the generated crates with {commit:.12} (a temporary git worktree)");
    let stale: Vec<String> = codegen::PROVIDERS
        .iter()
        .filter(|p| reports.iter().any(|r| Path::new(p.crate_dir).ends_with(&r.crate_name)))
        .filter_map(|p| codegen::generate_provider(root, p).ok())
        .flat_map(|g| codegen::stale_outputs(root, &g.outputs))
        .map(|p| p.display().to_string())
        .collect();
    if !stale.is_empty() {
        println!(
            "warning: stale generated files (run `cargo xtask codegen` first, or the verdict is about old code): {}",
            stale.join(", ")
        );
    }
    let baseline = codegen::semver::Baseline::create(root, commit)?;
    let mut verdicts = Vec::new();
    for r in reports {
        if r.new_spec {
            println!("  {}: new at this revision; nothing to compare", r.crate_name);
            continue;
        }
        let v = codegen::semver::check_crate(root, baseline.path(), &r.crate_name)?;
        let lints = &v.lints;
        println!(
            "  {}: {}{}",
            v.crate_name,
            if v.breaking { "breaking" } else { "non-breaking" },
            if lints.is_empty() {
                String::new()
            } else {
                format!(" ({})", lints.join(", "))
            }
        );
        verdicts.push(v);
    }
    let mut elsewhere = std::collections::BTreeMap::new();
    for p in codegen::PROVIDERS {
        let Some(r) = reports.iter().find(|r| Path::new(p.crate_dir).ends_with(&r.crate_name)) else {
            continue;
        };
        let mut other = Vec::new();
        if codegen_changed {
            other.push("the generator or the runtime (codegen/) changed".to_string());
        }
        let src = format!("{}/src", p.crate_dir);
        let generated = format!(":(exclude){}/src/generated.rs", p.crate_dir);
        if codegen::changes::changed_since(root, commit, &[&src, &generated]).unwrap_or(false) {
            other.push(format!("hand-written code in {src} changed"));
        }
        elsewhere.insert(r.crate_name.clone(), other);
    }
    let disagreements = codegen::semver::disagreements(reports, &verdicts, &elsewhere);
    if disagreements.is_empty() {
        println!("cargo-semver-checks agrees with the report on every crate.");
    } else {
        println!("disagreements ({}):", disagreements.len());
        for d in disagreements {
            println!("  {d}");
        }
    }
    Ok(())
}

fn upstream_cmd(root: &Path, file: &Path, fail_on_missing: bool, fail_on_drift: bool) -> ExitCode {
    let Some(ours_path) = codegen::providers::find("mediagraph").map(|p| p.spec) else {
        return usage_error("no mediagraph provider");
    };
    let upstream: serde_json::Value = match std::fs::read(file)
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| format!("not JSON: {e}")))
    {
        Ok(v) => v,
        Err(e) => return usage_error(&format!("{}: {e}", file.display())),
    };
    let ours: serde_json::Value = match std::fs::read(root.join(ours_path))
        .map_err(|e| e.to_string())
        .and_then(|b| serde_yaml::from_slice(&b).map_err(|e| format!("not YAML: {e}")))
    {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: {ours_path}: {e}");
            return ExitCode::from(2);
        }
    };
    let report = match codegen::upstream::compare(&upstream, &ours) {
        Ok(r) => r,
        Err(e) => return usage_error(&format!("{}: {e}", file.display())),
    };
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    print!("{}", report.render(&name, ours_path));
    if fail_on_missing && !report.missing_operations.is_empty() {
        eprintln!(
            "error: {} upstream operations are missing from {ours_path} (--fail-on-missing-operations)",
            report.missing_operations.len()
        );
        return ExitCode::from(1);
    }
    if fail_on_drift && report.has_drift() {
        eprintln!("error: {ours_path} drifts from {name} (--fail-on-drift)");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
