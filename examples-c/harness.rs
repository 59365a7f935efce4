//! Compile-and-run helpers for the C/C++ examples, shared by
//! `examples/demo.rs` and `tests/c_examples.rs` (each includes this file
//! with `#[path = "../examples-c/harness.rs"] mod harness;`).
#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The repository root (the `ywx` package).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `include/`, where `ywx.h` lives.
pub fn include_dir() -> PathBuf {
    repo_root().join("include")
}

/// `examples-c/NAME`.
pub fn example_source(name: &str) -> PathBuf {
    repo_root().join("examples-c").join(name)
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
/// (`target/debug/examples/demo`, `target/debug/deps/c_examples-…`) and
/// take the newest.
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

/// Why a compile failed: the compiler is missing, or it reported errors.
#[derive(Debug)]
pub enum CompileError {
    NotFound(String),
    Failed(String),
}

impl std::fmt::Display for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CompileError::NotFound(c) => write!(f, "找不到编译器 / compiler not found: {c}"),
            CompileError::Failed(msg) => f.write_str(msg),
        }
    }
}

/// Runs `compiler args...`; Ok when it exits 0.
pub fn run_compiler(compiler: &str, args: &[String]) -> Result<(), CompileError> {
    let out = match Command::new(compiler).args(args).output() {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(CompileError::NotFound(compiler.to_string()));
        }
        Err(e) => return Err(CompileError::Failed(format!("{compiler}: {e}"))),
    };
    if out.status.success() {
        Ok(())
    } else {
        Err(CompileError::Failed(format!(
            "{compiler} {} failed ({}):\n{}{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )))
    }
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// Compiles `src` (with `flags`, e.g. `-std=c99 -Wall`) into `out`, linked
/// against the shared library in `lib_dir` with an rpath, so that it runs
/// without LD_LIBRARY_PATH.
pub fn compile_dynamic(
    compiler: &str,
    flags: &[&str],
    src: &Path,
    out: &Path,
    lib_dir: &Path,
) -> Result<(), CompileError> {
    let mut args: Vec<String> = flags.iter().map(|f| f.to_string()).collect();
    args.push(format!("-I{}", s(&include_dir())));
    args.push(s(src));
    args.push("-o".into());
    args.push(s(out));
    args.push(format!("-L{}", s(lib_dir)));
    args.push("-lywx".into());
    if !cfg!(windows) {
        args.push(format!("-Wl,-rpath,{}", s(lib_dir)));
    }
    run_compiler(compiler, &args)
}

/// Compiles `src` into `out` linked against the static library
/// (`lib_dir/libywx.a`) plus exactly `native_libs`.
pub fn compile_static(
    compiler: &str,
    flags: &[&str],
    src: &Path,
    out: &Path,
    lib_dir: &Path,
    native_libs: &[String],
) -> Result<(), CompileError> {
    let mut args: Vec<String> = flags.iter().map(|f| f.to_string()).collect();
    args.push(format!("-I{}", s(&include_dir())));
    args.push(s(src));
    args.push("-o".into());
    args.push(s(out));
    args.push(s(&lib_dir.join(staticlib_name())));
    args.extend(native_libs.iter().cloned());
    run_compiler(compiler, &args)
}

/// The system libraries a Rust staticlib needs on this platform, as
/// `rustc --print native-static-libs` reports them for an empty crate
/// (e.g. `-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc` on Linux).
pub fn native_static_libs() -> Result<Vec<String>, String> {
    let dir = temp_dir("native-libs");
    let src = dir.join("empty.rs");
    std::fs::write(&src, "").map_err(|e| e.to_string())?;
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = Command::new(&rustc)
        .args(["--print", "native-static-libs", "--crate-type", "staticlib"])
        .arg("--out-dir")
        .arg(&dir)
        .arg(&src)
        .output()
        .map_err(|e| format!("{rustc}: {e}"))?;
    let _ = std::fs::remove_dir_all(&dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr
        .lines()
        .find_map(|l| l.split_once("native-static-libs:").map(|(_, libs)| libs))
        .ok_or_else(|| format!("no `native-static-libs:` line in rustc's output:\n{stderr}"))?;
    Ok(line.split_whitespace().map(str::to_string).collect())
}

/// Runs a program and captures its output.
pub fn run_captured(program: &Path, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", program.display()))
}

/// A bare HTTP/1.1 GET of `path` on the simulator (`base_url` is
/// `http://127.0.0.1:PORT`); returns the body.
pub fn http_get(base_url: &str, path: &str) -> Result<String, String> {
    let host = base_url
        .strip_prefix("http://")
        .ok_or_else(|| format!("not an http:// URL: {base_url}"))?
        .trim_end_matches('/');
    let mut conn = std::net::TcpStream::connect(host).map_err(|e| format!("{host}: {e}"))?;
    write!(
        conn,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut reply = Vec::new();
    conn.read_to_end(&mut reply).map_err(|e| e.to_string())?;
    let reply = String::from_utf8_lossy(&reply);
    let (head, body) = reply
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("bad HTTP reply: {reply}"))?;
    if !head.starts_with("HTTP/1.1 200") {
        return Err(format!("GET {path}: {head}"));
    }
    Ok(body.to_string())
}

/// How many times the simulator served the gateway endpoint `path`
/// (from `GET /sim/state`).
pub fn sim_calls(base_url: &str, endpoint: &str) -> Result<u64, String> {
    let body = http_get(base_url, "/sim/state")?;
    let v: serde_json::Value = serde_json::from_str(&body).map_err(|e| format!("{e}: {body}"))?;
    Ok(v["calls"][endpoint].as_u64().unwrap_or(0))
}

/// A finished program's stdout and stderr, as text.
pub fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Asserts a flow program exited 0 and printed `trace` in order, no `[FAIL]`.
pub fn assert_flow_passed(what: &str, out: &Output, trace: &[&str]) {
    let (stdout, stderr) = text(out);
    assert!(
        out.status.success(),
        "{what} exited with {}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        out.status
    );
    let mut at = 0;
    for line in trace {
        match stdout[at..].find(line) {
            Some(i) => at += i + line.len(),
            None => panic!("{what}: trace line {line:?} missing (or out of order)\n{stdout}"),
        }
    }
    assert!(!stdout.contains("[FAIL]"), "{what}:\n{stdout}");
}

/// Asserts a run under `valgrind --error-exitcode=99
/// --errors-for-leak-kinds=definite` found no error and lost nothing for
/// sure ("definitely lost: 0 bytes", or no leak summary at all).
pub fn assert_valgrind_clean(out: &Output) {
    let (stdout, stderr) = text(out);
    assert_ne!(
        out.status.code(),
        Some(99),
        "valgrind found errors or definite leaks:\n{stderr}"
    );
    for line in stderr.lines().filter(|l| l.contains("definitely lost:")) {
        assert!(
            line.contains("definitely lost: 0 bytes"),
            "{line}\n{stderr}\n{stdout}"
        );
    }
    assert!(stderr.contains("ERROR SUMMARY: 0 errors"), "{stderr}");
}

/// The simulator of the demo and the flow tests: simulated doctors sign
/// what is pushed after 500 ms.
pub fn demo_sim() -> std::io::Result<ywx_sim::Sim> {
    ywx_sim::Sim::start_with(ywx_sim::SimOptions {
        auto_sign_ms: Some(500),
        ..Default::default()
    })
}

/// [`lib_dir`], or a panic saying how to build the library.
pub fn built_lib_dir() -> PathBuf {
    lib_dir().unwrap_or_else(|e| panic!("{e}"))
}
