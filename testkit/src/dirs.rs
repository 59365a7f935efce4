//! Where things are: the repository, the built library, temp directories.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The repository root (the `ywx` package).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("testkit/ is inside the repository")
        .to_path_buf()
}

/// `include/`, where `ywx.h` lives.
pub fn include_dir() -> PathBuf {
    repo_root().join("include")
}

/// `examples-c/NAME`.
pub fn example_source(name: &str) -> PathBuf {
    repo_root().join("examples-c").join(name)
}

/// A fresh, unique directory under the system temp dir.
pub fn temp_dir(tag: &str) -> PathBuf {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!(
        "ywx-{tag}-{}-{nanos}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

/// File name of the shared library on this platform.
pub fn dylib_name() -> &'static str {
    if cfg!(windows) {
        "ywx.dll"
    } else if cfg!(target_os = "macos") {
        "libywx.dylib"
    } else {
        "libywx.so"
    }
}

/// File name of the static library on this platform.
pub fn staticlib_name() -> &'static str {
    if cfg!(target_env = "msvc") {
        "ywx.lib"
    } else {
        "libywx.a"
    }
}

/// The directory holding the freshly built shared library, near the
/// running binary. Cargo builds the `ywx` lib (all its crate types) before
/// an example or test that uses it, but as a dependency it lands in
/// `target/debug/deps/`; `target/debug/` has a copy only after a plain
/// `cargo build`. So look in the binary's directory, `../deps` and `..`
/// and take the newest.
pub fn lib_dir() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let here = exe.parent().map(Path::to_path_buf).unwrap_or_default();
    let up = here.parent().map(Path::to_path_buf).unwrap_or_default();
    let candidates = [here.clone(), up.join("deps"), up];
    candidates
        .iter()
        .filter_map(|d| {
            let modified = std::fs::metadata(d.join(dylib_name())).and_then(|m| m.modified());
            modified.ok().map(|t| (t, d.clone()))
        })
        .max_by_key(|(t, _)| *t)
        .map(|(_, d)| d)
        .ok_or_else(|| {
            let tried: Vec<String> = candidates.iter().map(|d| d.display().to_string()).collect();
            format!(
                "找不到 {} / {} not found (looked in: {})；请先 cargo build",
                dylib_name(),
                dylib_name(),
                tried.join(", ")
            )
        })
}

/// [`lib_dir`], or a panic saying how to build the library.
pub fn built_lib_dir() -> PathBuf {
    lib_dir().unwrap_or_else(|e| panic!("{e}"))
}
