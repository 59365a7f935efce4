//! Local digests, MB/s: the library's engine (the code `ywx_digest` runs)
//! against `openssl speed -evp` on the same block sizes, in the same run.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;
use ywx::digest::{self, Alg};

use crate::{Report, Target, call, scratch};

const SIZES: [(usize, &str); 3] = [
    (1024, "1 KiB"),
    (65536, "64 KiB"),
    (2 * 1024 * 1024, "2 MiB"),
];

/// MB/s of hashing `size`-byte blocks for about `window`.
fn ours(alg: Alg, size: usize, window: Duration) -> f64 {
    // On a 64-byte boundary, as `openssl speed` allocates its buffers.
    let backing = vec![0x5au8; size + 64];
    let skip = backing.as_ptr().align_offset(64);
    let data = &backing[skip..skip + size];
    let started = Instant::now();
    let mut bytes = 0usize;
    // The clock is read every 16 digests, not after each (a clock read is
    // ~3 % of a 1 KiB digest); `openssl speed` counts until an alarm.
    while started.elapsed() < window {
        for _ in 0..16 {
            std::hint::black_box(digest::digest(alg, std::hint::black_box(data)));
        }
        bytes += 16 * size;
    }
    bytes as f64 / started.elapsed().as_secs_f64() / 1e6
}

/// MB/s by `openssl speed -evp ALG -bytes SIZE -seconds 1` (about as long
/// as one of our measurements).
fn openssl(alg: &str, size: usize) -> Option<f64> {
    let out = Command::new("openssl")
        .args([
            "speed",
            "-evp",
            alg,
            "-bytes",
            &size.to_string(),
            "-seconds",
            "1",
        ])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    // "sm3   185085.41k": thousands of bytes per second.
    let line = text.lines().rev().find(|l| l.starts_with(alg))?;
    let k: f64 = line
        .split_whitespace()
        .last()?
        .trim_end_matches('k')
        .parse()
        .ok()?;
    Some(k * 1000.0 / 1e6)
}

pub fn run(report: &mut Report) {
    for (alg, name) in [
        (Alg::Sm3, "sm3"),
        (Alg::Sha256, "sha256"),
        (Alg::Sha1, "sha1"),
    ] {
        for (size, label) in SIZES {
            // Alternated, the best of five each: on a shared machine the
            // fastest run is the one least slowed by others.
            let (mut best_ours, mut best_theirs) = (0f64, None::<f64>);
            for _ in 0..5 {
                if let Some(t) = openssl(name, size) {
                    best_theirs = Some(best_theirs.map_or(t, |b| b.max(t)));
                }
                best_ours = best_ours.max(ours(alg, size, Duration::from_millis(500)));
            }
            let Some(theirs) = best_theirs else {
                eprintln!("   openssl speed -evp {name} failed: is openssl installed?");
                continue;
            };
            let ours = best_ours;
            // Issue 22: SHA1 at the speed of the machine (SHA-NI on
            // both sides where the CPU has it).
            let target = if alg == Alg::Sha1 {
                Target::AtLeast(0.9)
            } else {
                Target::AtLeast(1.0)
            };
            report.add(
                &format!(
                    "{} digest, {label} blocks (MB/s, ywx vs openssl speed -evp)",
                    alg.name()
                ),
                format!("{ours:.0}"),
                format!("{theirs:.0}"),
                ours / theirs,
                target,
            );
        }
    }
    // Through the C ABI: a 2 MiB file, streamed, SM3.
    let dir = scratch("digest");
    let file = dir.join("recipe.pdf");
    std::fs::write(&file, vec![0x5au8; 2 * 1024 * 1024]).unwrap();
    let request = json!({"originFile": file, "hashAlg": "SM3"}).to_string();
    let started = Instant::now();
    let mut n = 0;
    while started.elapsed() < Duration::from_millis(600) {
        let r = call(ywx::ffi::ywx_digest, &request);
        assert_eq!(r["status"], "0", "{r}");
        n += 1;
    }
    let abi = (n * 2 * 1024 * 1024) as f64 / started.elapsed().as_secs_f64() / 1e6;
    let engine = ours(Alg::Sm3, 2 * 1024 * 1024, Duration::from_millis(600));
    report.add(
        "SM3 of a 2 MiB file through ywx_digest (MB/s, vs the engine on memory)",
        format!("{abi:.0}"),
        format!("{engine:.0}"),
        abi / engine,
        Target::None,
    );
    let _ = std::fs::remove_dir_all(dir);
}
