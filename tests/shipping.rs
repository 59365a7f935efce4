//! What ships (docs/packaging.md): one version number, from Cargo.toml, in
//! `ywx_version()`, `ywx --version` and every package template; and a test
//! command (scripts/test.sh) that installs every tool the tests run.

use std::collections::BTreeSet;
use std::ffi::CStr;
use std::process::Command;

use ywx_testkit::repo_root;

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo_root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// `[workspace.package] version` of Cargo.toml, read as scripts/package.sh
/// reads it (the first `version = "..."` line).
fn cargo_toml_version() -> String {
    read("Cargo.toml")
        .lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|rest| rest.strip_suffix('"'))
        .expect("a version = \"...\" line in Cargo.toml")
        .to_string()
}

#[test]
fn one_version_in_ywx_version_the_command_and_cargo_toml() {
    let version = cargo_toml_version();
    // SAFETY: ywx_version returns a static NUL-terminated string.
    let from_c = unsafe { CStr::from_ptr(ywx::ffi::ywx_version()) }
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(from_c, version, "ywx_version() and Cargo.toml");
    for args in [&["--version"][..], &["-V"], &["version"]] {
        let out = Command::new(env!("CARGO_BIN_EXE_ywx"))
            .args(args)
            .env_remove("YWX_CONFIG")
            .output()
            .unwrap();
        assert!(out.status.success(), "ywx {args:?}: {out:?}");
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            format!("ywx {version}\n"),
            "ywx {args:?}"
        );
    }
}

#[test]
fn the_package_templates_take_the_version_from_cargo_toml() {
    let version = cargo_toml_version();
    for rel in [
        "packaging/nuget/Ywx.nuspec",
        "packaging/python/pyproject.toml",
    ] {
        let text = read(rel);
        assert!(
            text.contains("@VERSION@"),
            "{rel}: no @VERSION@ placeholder"
        );
        assert!(
            !text.contains(&version),
            "{rel}: a literal version {version}: it must come from Cargo.toml"
        );
    }
    let script = read("scripts/package.sh");
    assert!(script.contains(r#"sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml"#));
    for name in [
        "ywx-$version-windows.zip",
        "$name.tar.gz",
        "Ywx.$version.nupkg",
    ] {
        assert!(script.contains(name), "scripts/package.sh makes no {name}");
    }
}

/// The programs the tests start, by name: those given to `Command::new` and
/// the compilers given to the testkit's compile helpers.
fn programs_the_tests_run() -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut files = Vec::new();
    for dir in ["tests", "testkit/src", "sim/tests", "sim/tests/common"] {
        let Ok(entries) = std::fs::read_dir(repo_root().join(dir)) else {
            continue;
        };
        for e in entries.flatten() {
            if e.path().extension().is_some_and(|x| x == "rs") {
                files.push(e.path());
            }
        }
    }
    assert!(files.len() > 5, "test sources not found: {files:?}");
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for marker in [
            "Command::new(\"",
            "compile_dynamic(\"",
            "compile_static(\"",
            "run_compiler(\"",
        ] {
            for piece in text.split(marker).skip(1) {
                let name: String = piece.chars().take_while(|c| *c != '"').collect();
                if !name.is_empty() && !name.contains(['/', ' ', '{']) {
                    found.insert(name);
                }
            }
        }
    }
    found
}

#[test]
fn the_test_command_installs_every_program_the_tests_run() {
    let script = read("scripts/test.sh");
    let needed: BTreeSet<String> = script
        .lines()
        .filter_map(|l| l.trim().strip_prefix("need "))
        .filter_map(|rest| rest.split_whitespace().next())
        .map(str::to_string)
        .collect();
    // Essential in every Debian/Ubuntu system (dash, libc-bin), or Rust's
    // own: nothing to install. (kill is not: procps is missing from a
    // minimal Debian.)
    let base = ["sh", "ldd", "cargo", "rustc"];
    let programs = programs_the_tests_run();
    for p in ["gcc", "mcs", "fpc", "python3", "valgrind"] {
        assert!(programs.contains(p), "the scan found no {p}: {programs:?}");
    }
    let missing: Vec<&String> = programs
        .iter()
        .filter(|p| !needed.contains(*p) && !base.contains(&p.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "the tests run {missing:?}, which scripts/test.sh does not install (add a `need` line)"
    );
}
