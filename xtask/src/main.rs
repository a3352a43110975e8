//! Workspace tasks.
//!
//! - `cargo xtask codegen [--provider NAME] [--check]`: regenerate the SDK crates from `specs/`, or
//!   (with `--check`) fail naming every checked-in file that differs from what the specs produce.
//! - `cargo xtask lint [--provider NAME]`: validate the specs with `openapi-spec-validator` (an
//!   independent OpenAPI validator, from PyPI) and with the generator's own checks.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use codegen::Provider;

const USAGE: &str = "usage: cargo xtask codegen [--provider NAME] [--check]\n       cargo xtask lint [--provider NAME]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    let mut providers: Vec<&Provider> = codegen::providers::all().collect();
    let mut check = false;
    let mut rest = args.iter().skip(1);
    while let Some(a) = rest.next() {
        match a.as_str() {
            "--check" => check = true,
            "--provider" | "-p" => match rest.next().and_then(|n| codegen::providers::find(n)) {
                Some(p) => providers = vec![p],
                None => {
                    let names: Vec<_> = codegen::providers::all().map(|p| p.name).collect();
                    eprintln!("--provider needs one of: {}", names.join(", "));
                    return ExitCode::from(2);
                }
            },
            other => {
                eprintln!("unknown argument {other:?}\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    match args.first().map(String::as_str) {
        Some("codegen") => codegen_cmd(&root, &providers, check),
        Some("lint") => lint_cmd(&root, &providers),
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
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
