//! What the benchmarks share: the runtime, the A/B harness that interleaves the SDK and its raw
//! baseline, and the report every bench prints and appends to
//! `$CARGO_TARGET_DIR/dam-bench/figures.txt`.
//!
//! Ratios are never taken between two separate criterion runs (minutes apart on a shared machine):
//! [`interleave`] times blocks of SDK work and blocks of raw work alternately (ABBA), and the
//! reported ratio is the median of the per-pair ratios, of wall-clock time and of the process's CPU
//! time (which other programs on a shared machine disturb less). Criterion's own per-variant
//! figures are printed as well, for its change detection.

#![allow(dead_code)]

use std::io::Write as _;
use std::time::Duration;

/// A runtime like an application's: multi-threaded, one worker per core (2 here).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// Criterion settings that fit a shared 2-core machine: short warm-up, 3 s of measurement.
pub fn criterion() -> criterion::Criterion {
    criterion::Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(20)
        .configure_from_args()
}

/// CPU time this process has used so far (every thread: client, server and runtime).
pub fn cpu_time() -> Duration {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `t` is a valid timespec for the call to fill in.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut t) };
    assert_eq!(rc, 0, "clock_gettime");
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// One block's wall-clock time and the CPU time the process spent during it.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Wall-clock time.
    pub wall: Duration,
    /// Process CPU time (less disturbed by other programs on a shared machine than wall time).
    pub cpu: Duration,
}

/// Times `f` (wall clock and process CPU).
pub fn sample(f: impl FnOnce()) -> Sample {
    let (wall, cpu) = (std::time::Instant::now(), cpu_time());
    f();
    Sample {
        wall: wall.elapsed(),
        cpu: cpu_time() - cpu,
    }
}

/// The result of an interleaved A/B measurement.
#[derive(Debug, Clone)]
pub struct Ab {
    /// Median SDK time of one block.
    pub sdk: Duration,
    /// Median raw time of one block.
    pub raw: Duration,
    /// Median of the per-pair ratios sdk/raw.
    pub ratio: f64,
    /// Smallest and largest per-pair ratio.
    pub spread: (f64, f64),
    /// Median of the per-pair ratios of process CPU time.
    pub cpu_ratio: f64,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Runs `pairs` pairs of blocks, the SDK first in even pairs and the raw baseline first in odd
/// ones; `sdk` and `raw` each run one block and return its duration.
pub fn interleave(pairs: usize, mut sdk: impl FnMut() -> Sample, mut raw: impl FnMut() -> Sample) -> Ab {
    let (mut s, mut r, mut ratios, mut cpu) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for pair in 0..pairs {
        let (a, b) = if pair % 2 == 0 {
            let a = sdk();
            (a, raw())
        } else {
            let b = raw();
            (sdk(), b)
        };
        ratios.push(a.wall.as_secs_f64() / b.wall.as_secs_f64());
        cpu.push(a.cpu.as_secs_f64() / b.cpu.as_secs_f64());
        s.push(a.wall.as_secs_f64());
        r.push(b.wall.as_secs_f64());
    }
    let spread = ratios
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), &x| (lo.min(x), hi.max(x)));
    Ab {
        sdk: Duration::from_secs_f64(median(s)),
        raw: Duration::from_secs_f64(median(r)),
        ratio: median(ratios),
        spread,
        cpu_ratio: median(cpu),
    }
}

/// Prints a figure and appends it to `$CARGO_TARGET_DIR/dam-bench/figures.txt` (or
/// `target/dam-bench/figures.txt`), with the time it was measured.
pub fn report(line: &str) {
    println!("FIGURE {line}");
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../target")))
        .join("dam-bench");
    if std::fs::create_dir_all(&dir).is_ok()
        && let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("figures.txt"))
    {
        let now = chrono::Utc::now().format("%Y-%m-%d %H:%M");
        let _ = writeln!(f, "{now} {line}");
    }
}

/// Formats an [`Ab`] of blocks of `per_block` operations: time per operation and the ratio.
pub fn describe(ab: &Ab, per_block: u64) -> String {
    let per = |d: Duration| d.as_secs_f64() * 1e6 / per_block as f64;
    format!(
        "sdk {:.2} µs/op, raw {:.2} µs/op, sdk/raw {:.3} (pairs {:.3}–{:.3}; CPU time sdk/raw {:.3})",
        per(ab.sdk),
        per(ab.raw),
        ab.ratio,
        ab.spread.0,
        ab.spread.1,
        ab.cpu_ratio
    )
}
