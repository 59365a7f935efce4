//! The committed generated files are what `cargo run -p ywx-gen` makes
//! from the method table now: `include/ywx.h`, `src/ffi/generated.rs`, the
//! bindings' generated blocks, the README's export table and the fuzz
//! seeds. The generator runs in memory here and nothing is written, so
//! this fails locally as in CI when someone forgets the command.

use std::path::{Path, PathBuf};

use ywx_testkit::{repo_root, temp_dir};

#[test]
fn every_generated_file_is_current() {
    let stale = ywx_gen::stale(&repo_root()).unwrap_or_else(|e| panic!("ywx-gen: {e}"));
    assert!(
        stale.is_empty(),
        "generated files out of date: run `{}` and commit them:\n  {}",
        ywx_gen::COMMAND,
        stale.join("\n  ")
    );
}

/// What the generator reads, copied into a scratch repository.
fn scratch_copy() -> PathBuf {
    let root = repo_root();
    let scratch = temp_dir("gen-scratch");
    let files = [
        "cbindgen.toml",
        "src/ffi/exports.rs",
        "src/consts.rs",
        "README.md",
        "bindings/csharp/Ywx.cs",
        "bindings/delphi/ywx.pas",
        "bindings/powerbuilder/n_ywx.sru",
        "bindings/vb6/ywx.bas",
        "bindings/python/ywx.py",
    ];
    for f in ywx_gen::generate(&root)
        .unwrap()
        .iter()
        .map(|f| f.path.clone())
        .chain(files.iter().map(|f| f.to_string()))
    {
        let to = scratch.join(&f);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(root.join(&f), &to).unwrap_or_else(|e| panic!("{f}: {e}"));
    }
    scratch
}

fn edit(root: &Path, path: &str, f: impl FnOnce(String) -> String) {
    let text = std::fs::read_to_string(root.join(path)).unwrap();
    std::fs::write(root.join(path), f(text)).unwrap();
}

/// The check sees a hand edit of the header, of a generated block and of
/// a seed, a seed too many; the command puts every one right again and
/// leaves the hand-written code around the blocks as it was.
#[test]
fn a_hand_edit_is_stale_and_the_command_puts_it_right() {
    let root = scratch_copy();
    assert_eq!(ywx_gen::stale(&root).unwrap(), Vec::<String>::new());

    edit(&root, "include/ywx.h", |h| {
        h.replacen(
            "char *YWX_CALL ywx_sign_data(",
            "char *YWX_CALL ywx_sign_dat(",
            1,
        )
    });
    edit(&root, "bindings/python/ywx.py", |p| {
        p.replacen("    \"sign_data\",\n", "", 1).replacen(
            "import json",
            "import json  # hand-written, kept",
            1,
        )
    });
    edit(&root, "README.md", |r| {
        r.replacen("| `ywx_sign_list` |", "| `ywx_sign_lis` |", 1)
    });
    std::fs::write(
        root.join("fuzz/corpus/request/seed-old_method"),
        "old_method\n{}",
    )
    .unwrap();
    edit(&root, "fuzz/corpus/request/seed-sign_data", |s| s + " ");

    let stale = ywx_gen::stale(&root).unwrap();
    for path in [
        "include/ywx.h: stale",
        "bindings/python/ywx.py: stale",
        "README.md: stale",
        "fuzz/corpus/request/seed-sign_data: stale",
        "fuzz/corpus/request/seed-old_method: not generated",
    ] {
        assert!(
            stale.iter().any(|s| s.starts_with(path)),
            "{path} not reported: {stale:?}"
        );
    }
    assert_eq!(stale.len(), 5, "{stale:?}");

    let changed = ywx_gen::write(&root).unwrap();
    assert_eq!(changed.len(), 5, "{changed:?}");
    assert_eq!(ywx_gen::stale(&root).unwrap(), Vec::<String>::new());
    let python = std::fs::read_to_string(root.join("bindings/python/ywx.py")).unwrap();
    assert!(python.contains("import json  # hand-written, kept"));
    assert!(python.contains("    \"sign_data\",\n"));
    assert!(!root.join("fuzz/corpus/request/seed-old_method").exists());
    let _ = std::fs::remove_dir_all(root);
}

/// A generated block whose marker was lost is an error naming the file,
/// not a silent rewrite of hand-written code.
#[test]
fn a_lost_marker_is_an_error() {
    let root = scratch_copy();
    edit(&root, "bindings/delphi/ywx.pas", |p| {
        p.replacen("{ ---- end generated [wrappers] ---- }", "", 1)
    });
    let e = ywx_gen::stale(&root).expect_err("an error");
    assert!(
        e.contains("bindings/delphi/ywx.pas") && e.contains("end generated [wrappers]"),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(root);
}

/// Builds write into OUT_DIR only: build.rs never names a file of the
/// source tree to write (the header used to be rewritten by every build,
/// so a stale one could not fail locally).
#[test]
fn the_build_script_writes_no_committed_file() {
    let build = std::fs::read_to_string(repo_root().join("build.rs")).unwrap();
    let code: Vec<&str> = build
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect();
    assert!(
        code.iter().any(|l| l.contains("OUT_DIR")),
        "build.rs reads OUT_DIR"
    );
    for name in ["include/", "CARGO_MANIFEST_DIR", "cbindgen"] {
        assert!(
            !code.iter().any(|l| l.contains(name)),
            "build.rs names {name}: generated files are written by `{}`",
            ywx_gen::COMMAND
        );
    }
}

/// The table's documentation and examples serve the generated files only:
/// `methods::TABLE` is a const, so none of it is in the library (the DLL
/// has a size budget, ci/dll-budget). The titles are: dispatch uses them.
#[test]
fn the_tables_documentation_stays_out_of_the_library() {
    let lib = ywx_testkit::built_lib_dir().join(ywx_testkit::dylib_name());
    // Lossy: the binary's other bytes become U+FFFD, its UTF-8 strings stay.
    let binary = String::from_utf8_lossy(&std::fs::read(&lib).unwrap()).into_owned();
    let contains = |text: &str| binary.contains(text);
    let mut checked = 0;
    for e in ywx::methods::TABLE {
        for text in [e.doc, e.example] {
            if text.len() > 40 {
                assert!(
                    !contains(text),
                    "{} is in {}: {text}",
                    e.method.name,
                    lib.display()
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 20, "only {checked} texts checked");
    assert!(
        contains(ywx::methods::ALL[0].title),
        "the scan finds what is there"
    );
}
