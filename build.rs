//! Generates include/ywx.h from the C boundary with cbindgen.
//!
//! cbindgen skips `extern "system"` functions (cbindgen issues 55, 718), so
//! it is given a copy of src/ffi.rs with `extern "C"`, and the calling
//! convention macro `YWX_CALL` is put back into each declaration after.
//! The error codes come from src/codes.rs, the same table the library uses.

use std::path::{Path, PathBuf};

#[path = "src/codes.rs"]
#[allow(dead_code)]
mod codes;

const SOURCES: &[&str] = &["src/ffi.rs", "src/consts.rs"];

fn main() {
    for f in SOURCES
        .iter()
        .chain(&["src/codes.rs", "cbindgen.toml", "build.rs"])
    {
        println!("cargo:rerun-if-changed={f}");
    }
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());

    let header = generate(&root, &out);
    std::fs::write(out.join("ywx.h"), &header).unwrap();
    // Keep the committed header current for developers; CI (CI=true) never
    // writes it, so a stale committed header fails the header test there.
    let committed = root.join("include/ywx.h");
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false");
    if !ci && std::fs::read_to_string(&committed).ok().as_deref() != Some(header.as_str()) {
        std::fs::create_dir_all(committed.parent().unwrap()).unwrap();
        std::fs::write(&committed, &header).unwrap();
    }
}

fn generate(root: &Path, out: &Path) -> String {
    let mut builder = cbindgen::Builder::new()
        .with_config(cbindgen::Config::from_file(root.join("cbindgen.toml")).unwrap())
        .with_after_include(preamble());
    for src in SOURCES {
        let text = std::fs::read_to_string(root.join(src))
            .unwrap()
            .replace("extern \"system\"", "extern \"C\"");
        let copy = out.join(Path::new(src).file_name().unwrap());
        std::fs::write(&copy, text).unwrap();
        builder = builder.with_src(copy);
    }
    let mut bytes = Vec::new();
    builder
        .generate()
        .expect("cbindgen could not read src/ffi.rs")
        .write(&mut bytes);
    add_calling_convention(&String::from_utf8(bytes).unwrap())
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
    for c in codes::ALL {
        s.push_str(&format!(
            "/** status \"YWX-{}\", error.code \"{}\": {} */\n#define YWX_E_{} {}\n",
            c.number, c.name, c.when, c.name, c.number
        ));
    }
    s
}
