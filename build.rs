//! Generates include/ywx.h from the C boundary with cbindgen.
//!
//! cbindgen skips `extern "system"` functions (cbindgen issues 55, 718), so
//! it is given a copy of src/ffi/exports.rs with `extern "C"`, and the calling
//! convention macro `YWX_CALL` is put back into each declaration after.
//! The error codes come from src/codes.rs, the same table the library uses.

use std::path::{Path, PathBuf};

#[path = "src/codes.rs"]
#[allow(dead_code)]
mod codes;

const SOURCES: &[&str] = &["src/ffi/exports.rs", "src/consts.rs"];

fn main() {
    for f in SOURCES
        .iter()
        .chain(&["src/codes.rs", "cbindgen.toml", "build.rs"])
    {
        println!("cargo:rerun-if-changed={f}");
    }
    skip_valgrind_cfg();
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
    windows_version_resource(&out);
    never_unloaded();
}

/// On Linux, `libywx.so` is marked never to be unmapped (`-z nodelete`):
/// a host's `dlclose` while a thread of ywx still runs (the outbox's
/// delivery thread waiting on a silent gateway), or with ywx's `fork`
/// handlers registered, then never leaves code running that is gone.
/// (On Windows the thread holds a reference to ywx.dll instead.)
fn never_unloaded() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-z,nodelete");
    }
}

/// `YWX_SKIP_VALGRIND=1` at build time sets `cfg(ywx_skip_valgrind)`, which
/// marks the valgrind tests `#[ignore]`: skipped, they say so in the test
/// report ("ignored") instead of passing without checking anything.
/// `.ci/run` refuses to run with it set.
fn skip_valgrind_cfg() {
    println!("cargo::rustc-check-cfg=cfg(ywx_skip_valgrind)");
    println!("cargo:rerun-if-env-changed=YWX_SKIP_VALGRIND");
    if std::env::var("YWX_SKIP_VALGRIND").is_ok_and(|v| !v.is_empty() && v != "0") {
        println!("cargo:rustc-cfg=ywx_skip_valgrind");
    }
}

/// On Windows (MinGW) targets: a version resource (文件属性 → 详细信息:
/// FileVersion, ProductVersion, ProductName "ywx", CompanyName,
/// FileDescription) generated from CARGO_PKG_VERSION, compiled with the
/// target's windres, one for ywx.dll and one for the command ywx.exe, so
/// that `ywx_version()`, `ywx.exe --version` and both files' Properties
/// always agree.
fn windows_version_resource(out: &Path) {
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    if var("CARGO_CFG_TARGET_OS") != "windows" {
        return;
    }
    if var("CARGO_CFG_TARGET_ENV") != "gnu" {
        println!("cargo:warning=ywx: version resource only made for MinGW (windows-gnu) targets");
        return;
    }
    let (prefix, format) = match var("CARGO_CFG_TARGET_ARCH").as_str() {
        "x86" => ("i686-w64-mingw32", "pe-i386"),
        "x86_64" => ("x86_64-w64-mingw32", "pe-x86-64"),
        other => {
            println!("cargo:warning=ywx: no windres known for {other}: no version resource");
            return;
        }
    };
    println!("cargo:rerun-if-env-changed=WINDRES");
    let windres = std::env::var("WINDRES").unwrap_or_else(|_| format!("{prefix}-windres"));
    let version = var("CARGO_PKG_VERSION");
    let numeric = format!(
        "{},{},{},0",
        var("CARGO_PKG_VERSION_MAJOR"),
        var("CARGO_PKG_VERSION_MINOR"),
        var("CARGO_PKG_VERSION_PATCH")
    );
    for (file, filetype, description, link_arg) in [
        (
            "ywx.dll",
            "0x2L",
            DESCRIPTION,
            "cargo:rustc-link-arg-cdylib",
        ),
        (
            "ywx.exe",
            "0x1L",
            EXE_DESCRIPTION,
            "cargo:rustc-link-arg-bin=ywx",
        ),
    ] {
        let rc = format!(
            r#"#pragma code_page(65001)
1 VERSIONINFO
FILEVERSION {numeric}
PRODUCTVERSION {numeric}
FILEFLAGSMASK 0x3fL
FILEFLAGS 0x0L
FILEOS 0x40004L
FILETYPE {filetype}
FILESUBTYPE 0x0L
BEGIN
  BLOCK "StringFileInfo"
  BEGIN
    BLOCK "080404b0"
    BEGIN
      VALUE "CompanyName", "{COMPANY}"
      VALUE "FileDescription", "{description}"
      VALUE "FileVersion", "{version}"
      VALUE "InternalName", "ywx"
      VALUE "LegalCopyright", "{LICENSE}"
      VALUE "OriginalFilename", "{file}"
      VALUE "ProductName", "ywx"
      VALUE "ProductVersion", "{version}"
    END
  END
  BLOCK "VarFileInfo"
  BEGIN
    VALUE "Translation", 0x804, 1200
  END
END
"#
        );
        let rc_path = out.join(format!("{file}.rc"));
        let obj = out.join(format!("{file}-version.o"));
        std::fs::write(&rc_path, rc).unwrap();
        let status = std::process::Command::new(&windres)
            .args(["-F", format, "-O", "coff", "-c", "65001", "-i"])
            .arg(&rc_path)
            .arg("-o")
            .arg(&obj)
            .status()
            .unwrap_or_else(|e| {
                panic!("ywx: {windres} not found ({e}); install mingw-w64 (binutils-mingw-w64)")
            });
        assert!(
            status.success(),
            "ywx: {windres} failed on {}",
            rc_path.display()
        );
        println!("{link_arg}={}", obj.display());
    }
}

/// The version resource's CompanyName, FileDescription and LegalCopyright.
const COMPANY: &str = "ywx 开源项目 (ywx project)";
const DESCRIPTION: &str = "医网信院内移动签名网关客户端库 (C 接口)";
const EXE_DESCRIPTION: &str = "医网信院内移动签名网关 诊断与调用工具 (ywx 命令)";
const LICENSE: &str = "MIT OR Apache-2.0";

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
        .expect("cbindgen could not read src/ffi/exports.rs")
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
