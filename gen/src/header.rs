//! `include/ywx.h`, by cbindgen from the C boundary.
//!
//! cbindgen skips `extern "system"` functions (cbindgen issues 55, 718), so
//! it is given copies of the boundary's files with `extern "C"`, and the
//! calling-convention macro `YWX_CALL` is put back into each declaration
//! after. The error codes come from `src/codes.rs`, the table the library
//! uses. The generated exports are read as generated now (not as
//! committed), so the header always matches `src/ffi/generated.rs`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

pub const PATH: &str = "include/ywx.h";

/// The boundary's hand-written sources given to cbindgen, in order; the
/// generated exports follow `src/ffi/exports.rs`.
const EXPORTS: &str = "src/ffi/exports.rs";
const CONSTS: &str = "src/consts.rs";

pub fn generate(root: &Path, generated_exports: &str) -> Result<String, String> {
    let read = |p: &str| std::fs::read_to_string(root.join(p)).map_err(|e| format!("{p}: {e}"));
    let sources = [
        ("exports.rs", read(EXPORTS)?),
        ("generated.rs", generated_exports.to_string()),
        ("consts.rs", read(CONSTS)?),
    ];
    let dir = scratch_dir()?;
    let result = run_cbindgen(root, &dir, &sources);
    let _ = std::fs::remove_dir_all(&dir);
    result.map(|h| add_calling_convention(&h))
}

fn run_cbindgen(root: &Path, dir: &Path, sources: &[(&str, String)]) -> Result<String, String> {
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml"))
        .map_err(|e| format!("cbindgen.toml: {e}"))?;
    let mut builder = cbindgen::Builder::new()
        .with_config(config)
        .with_after_include(preamble());
    for (name, text) in sources {
        let copy = dir.join(name);
        std::fs::write(&copy, text.replace("extern \"system\"", "extern \"C\""))
            .map_err(|e| format!("{}: {e}", copy.display()))?;
        builder = builder.with_src(copy);
    }
    let mut bytes = Vec::new();
    builder
        .generate()
        .map_err(|e| format!("cbindgen could not read the C boundary: {e}"))?
        .write(&mut bytes);
    String::from_utf8(bytes).map_err(|e| format!("cbindgen wrote non-UTF-8: {e}"))
}

fn scratch_dir() -> Result<PathBuf, String> {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "ywx-gen-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}

/// `char *ywx_sign_data(` → `char *YWX_CALL ywx_sign_data(` on declaration lines.
fn add_calling_convention(header: &str) -> String {
    let mut out = String::with_capacity(header.len() + 4096);
    for line in header.lines() {
        let code = !(line.starts_with(' ') || line.starts_with('/') || line.starts_with('#'));
        match line.find("ywx_") {
            Some(at) if code && line[at..].contains('(') => {
                out.push_str(&line[..at]);
                out.push_str("YWX_CALL ");
                out.push_str(&line[at..]);
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// The calling-convention macro and the error-code constants.
fn preamble() -> String {
    let mut s = String::from(
        r#"
/* YWX_CALL: __stdcall on 32-bit Windows (what VB6, PowerBuilder and Delphi
 * `stdcall` expect), the platform's C convention elsewhere. */
#ifndef YWX_CALL
#  if defined(_WIN32) && !defined(_WIN64)
#    define YWX_CALL __stdcall
#  else
#    define YWX_CALL
#  endif
#endif

/* ywx's own error codes: the envelope's status is "YWX-" followed by the
 * number, and error.code is the name after YWX_E_. */
"#,
    );
    for c in ywx::codes::ALL {
        s.push_str(&format!(
            "/** status \"YWX-{}\", error.code \"{}\": {} */\n#define YWX_E_{} {}\n",
            c.number, c.name, c.when, c.name, c.number
        ));
    }
    s
}
