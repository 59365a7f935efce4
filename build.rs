//! Build steps that write only into OUT_DIR: the Windows version resource
//! and the linker map (MinGW targets), and the `ywx_skip_valgrind` cfg.
//!
//! The committed generated files (include/ywx.h, src/ffi/generated.rs, the
//! bindings' declarations, the README's export table, the fuzz seeds) are
//! written by a command, `cargo run -p ywx-gen`, never by a build; the test
//! tests/generated.rs fails when one is stale.

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    skip_valgrind_cfg();
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    windows_version_resource(&out);
    never_unloaded();
    linker_map(&out);
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

/// On MinGW targets the linker also writes a map of ywx.dll,
/// `OUT_DIR/ywx.map`: every function and table that went into it, with its
/// size and the object it came from. The shipped DLL is stripped, so this
/// is where its size can be taken apart: `scripts/dll-size.sh` sums it by
/// crate, and ci/windows.sh prints that when a DLL is over its budget.
fn linker_map(out: &Path) {
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    if var("CARGO_CFG_TARGET_OS") == "windows" && var("CARGO_CFG_TARGET_ENV") == "gnu" {
        let map = out.join("ywx.map");
        println!("cargo:rustc-link-arg-cdylib=-Wl,-Map={}", map.display());
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
