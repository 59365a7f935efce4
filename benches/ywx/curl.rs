//! Issue 14's own check, in this table: `ywx_sign_status` through the C ABI
//! of the built `libywx.so` against libcurl keep-alive POSTs of the same
//! bytes, from one program of their own (`benches/curl/harness.c`), calls
//! interleaved one by one (latency) and windows alternated (throughput).
//!
//! Unlike `raw.rs`, libcurl is an HTTP client as HIS programs use one: it
//! manages its connection, parses the answer's head and hands the body
//! over. Needs gcc and libcurl's headers (Debian: libcurl4-openssl-dev) and
//! `cargo build --release` first; the section says so and is skipped
//! otherwise. `scripts/curl-bench.sh` runs the same program against a
//! ywx-sim process of its own.
//!
//! Run twice: in the default configuration (the log at `info`, the outbox
//! on), with its targets (median ≤ 1.05, throughput ≥ 0.95), and
//! without the log (`--log off`), shown beside it.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{DEFAULTS, NO_LOG, Report, Target, scratch};

/// Seconds per throughput window (three rounds of each per thread count).
const WINDOW_SECONDS: &str = "0.5";

pub fn run(report: &mut Report) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let release = root.join("target/release");
    let dir = scratch("curl");
    let harness = dir.join("harness");
    if !release.join("libywx.so").exists() {
        eprintln!("   skipped: no target/release/libywx.so (run cargo build --release first)");
        return;
    }
    if let Err(why) = compile(&root, &release, &harness) {
        eprintln!(
            "   skipped: the harness does not compile ({why}); is libcurl4-openssl-dev installed?"
        );
        return;
    }
    let sim = ywx_sim::Sim::start();
    for (log, config) in [("info", DEFAULTS), ("off", NO_LOG)] {
        let work = dir.join(format!("log-{log}"));
        std::fs::create_dir_all(&work).unwrap();
        let out = Command::new(&harness)
            .arg(sim.base_url())
            .arg(WINDOW_SECONDS)
            .args(["--log", log, "--dir"])
            .arg(&work)
            .output()
            .expect("the harness runs");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "the harness failed: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        rows(report, &text, config, log == "info");
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// The table's rows from the harness's output; targets on the default
/// configuration's only.
fn rows(report: &mut Report, text: &str, config: &str, targets: bool) {
    for line in text.lines() {
        let n = numbers(line);
        if let Some(which) = line
            .strip_prefix("latency ")
            .and_then(|l| l.split(':').next())
        {
            // "latency median: ywx 205.3 us, libcurl 201.7 us, ratio 1.018"
            let [ours, theirs, ratio] = n[..] else {
                continue;
            };
            report.add(
                &format!("sign_status latency, {which} (ywx C ABI vs libcurl keep-alive POST, 1 thread; {config})"),
                format!("{ours:.0} µs"),
                format!("{theirs:.0} µs"),
                ratio,
                // The issue sets the median's target; the tail is shown.
                if which == "median" && targets {
                    Target::AtMost(1.05)
                } else {
                    Target::None
                },
            );
        } else if line.starts_with("throughput") {
            // "throughput  8 thread(s): ywx 21196/s, libcurl 22404/s, ratio 0.946"
            let [threads, ours, theirs, ratio] = n[..] else {
                continue;
            };
            report.add(
                &format!("sign_status throughput, {threads} thread(s) (calls/s, ywx vs libcurl keep-alive; {config})"),
                format!("{ours:.0}/s"),
                format!("{theirs:.0}/s"),
                ratio,
                if targets {
                    Target::AtLeast(0.95)
                } else {
                    Target::None
                },
            );
        }
    }
}

fn compile(root: &Path, release: &Path, harness: &Path) -> Result<(), String> {
    let out = Command::new("gcc")
        .arg("-O2")
        .arg("-o")
        .arg(harness)
        .arg(root.join("benches/curl/harness.c"))
        .arg(format!("-I{}", root.join("include").display()))
        .arg(format!("-L{}", release.display()))
        .args(["-lywx", "-lcurl", "-lpthread"])
        .arg(format!("-Wl,-rpath,{}", release.display()))
        .output()
        .map_err(|e| format!("gcc: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr)
            .lines()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "))
    }
}

/// The numbers of a line of the harness ("8", "21196/s,", "1.018").
fn numbers(line: &str) -> Vec<f64> {
    line.split_whitespace()
        .filter_map(|w| {
            let w = w.trim_end_matches([',', ':']);
            w.strip_suffix("/s").unwrap_or(w).parse().ok()
        })
        .collect()
}
