//! Compiling C and C++ programs against the built library and running
//! them: the examples, the bindings' test programs, valgrind.

use std::path::Path;
use std::process::{Command, Output};

use crate::{include_dir, staticlib_name, temp_dir};

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
/// openssl with `args`, run in `dir`: its standard output. Its failure
/// fails the test (openssl makes the evidence of the verification tests).
pub fn openssl(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl not found: apt-get install openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

pub fn run_captured(program: &Path, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", program.display()))
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
