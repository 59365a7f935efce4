//! The size of each built library (the DLL is copied onto thousands of PCs).

use std::path::PathBuf;

use crate::{Report, Target};

/// The DLL size budget in KiB, from `ci/dll-budget` (ci/windows.sh fails
/// above it).
fn budget_kib() -> f64 {
    include_str!("../../ci/dll-budget")
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .and_then(|l| l.parse().ok())
        .expect("ci/dll-budget holds a number of KiB")
}

pub fn run(report: &mut Report) {
    let Some(release) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent()?.parent().map(PathBuf::from))
    else {
        return;
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![
        release.join("libywx.so"),
        release.join("libywx.a"),
        release.join("ywx"),
    ];
    for dist in ["win-x86", "win-x64", "win7-x86", "win7-x64"] {
        files.push(root.join("dist").join(dist).join("ywx.dll"));
    }
    let budget = budget_kib();
    for f in files {
        if let Ok(meta) = std::fs::metadata(&f) {
            let name = f.strip_prefix(&root).unwrap_or(&f).display().to_string();
            let kib = meta.len() as f64 / 1024.0;
            if name.ends_with(".dll") {
                // The budget (ci/windows.sh fails above it).
                report.add(
                    &format!("size of {name} (vs {} MiB)", budget / 1024.0),
                    format!("{kib:.0} KiB"),
                    format!("{budget:.0} KiB"),
                    kib / budget,
                    Target::AtMost(1.0),
                );
            } else {
                report.note(&format!("size of {name}"), format!("{kib:.0} KiB"));
            }
        }
    }
}
