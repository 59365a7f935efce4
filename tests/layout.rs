//! The shape of `src/`: dependencies between its modules point one way
//! (no module is both a caller and a callee of another, directly or
//! around a circle), the outbox does not know the client that owns it, and
//! no source file grows past what a reader takes in at once; no run output
//! (an SQLite file, a binary) is committed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use ywx_testkit::repo_root;

/// Longest source file, in lines.
const MAX_LINES: usize = 500;

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The library's source files by top-level module (`src/outbox/store.rs`
/// belongs to `outbox`); the `ywx` command and lib.rs are not modules.
fn modules() -> BTreeMap<String, Vec<(PathBuf, String)>> {
    let src = repo_root().join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut by_module: BTreeMap<String, Vec<(PathBuf, String)>> = BTreeMap::new();
    for path in files {
        let rel = path.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        if first == "bin" || first == "lib.rs" {
            continue;
        }
        let module = first.trim_end_matches(".rs").to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        by_module.entry(module).or_default().push((path, text));
    }
    by_module
}

/// The crate modules a text names: `crate::x`, and `use crate::{x, y::z}`.
fn named_modules(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name = item.trim().split("::").next().unwrap_or("").trim();
                if !name.is_empty() {
                    names.insert(name.to_string());
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            names.insert(name);
        }
    }
    names
}

#[test]
fn no_module_depends_on_itself_around_a_circle() {
    let modules = modules();
    let graph: BTreeMap<&str, BTreeSet<String>> = modules
        .iter()
        .map(|(m, files)| {
            let mut deps = BTreeSet::new();
            for (_, text) in files {
                deps.extend(named_modules(text));
            }
            deps.remove(m.as_str());
            deps.retain(|d| modules.contains_key(d));
            (m.as_str(), deps)
        })
        .collect();
    // Depth-first search for a back edge.
    fn visit<'a>(
        m: &'a str,
        graph: &'a BTreeMap<&str, BTreeSet<String>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) {
        if let Some(i) = path.iter().position(|p| *p == m) {
            panic!("import circle: {} → {m}", path[i..].join(" → "));
        }
        if !done.insert(m) {
            return;
        }
        path.push(m);
        for d in &graph[m] {
            visit(d, graph, path, done);
        }
        path.pop();
    }
    let mut done = BTreeSet::new();
    for m in graph.keys() {
        visit(m, &graph, &mut Vec::new(), &mut done);
    }
    // The circle detector itself can fail.
    let mut circle: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    circle.insert("a", ["b".to_string()].into());
    circle.insert("b", ["a".to_string()].into());
    let caught =
        std::panic::catch_unwind(|| visit("a", &circle, &mut Vec::new(), &mut BTreeSet::new()));
    assert!(caught.is_err());
}

#[test]
fn the_outbox_does_not_know_the_client_or_dispatch() {
    for (path, text) in &modules()["outbox"] {
        for name in ["Client", "client::", "api::", "methods::", "gateway::"] {
            assert!(
                !text.contains(name),
                "{} names {name}: the outbox depends on transport, config and log only",
                path.display()
            );
        }
    }
}

#[test]
fn no_source_file_is_longer_than_a_reader_takes_in() {
    let src = repo_root().join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    for path in files {
        let lines = std::fs::read_to_string(&path).unwrap().lines().count();
        assert!(
            lines <= MAX_LINES,
            "{} has {lines} lines (at most {MAX_LINES}): split it by concern",
            path.display()
        );
    }
}

/// The files git tracks (`git ls-files`); without a git checkout (an
/// unpacked source archive), every file but build output.
fn tracked_files() -> Vec<PathBuf> {
    let root = repo_root();
    let listed = std::process::Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(&root)
        .output()
        .ok()
        .filter(|o| o.status.success());
    if let Some(out) = listed {
        return out
            .stdout
            .split(|b| *b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| root.join(String::from_utf8_lossy(p).as_ref()))
            .collect();
    }
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            let name = entry.file_name();
            if path.is_dir() {
                if !matches!(name.to_str(), Some("target" | ".git" | "dist" | "logs")) {
                    walk(&path, out);
                }
            } else {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&root, &mut files);
    files
}

/// What a run leaves behind: an SQLite database, its WAL or shared-memory
/// file, or any other binary file (a NUL byte in its first 8 KiB).
fn run_output(path: &Path) -> Option<&'static str> {
    let name = path.file_name()?.to_string_lossy().into_owned();
    if ["-wal", "-shm", "-journal"]
        .iter()
        .any(|s| name.ends_with(s))
    {
        return Some("an SQLite -wal/-shm/-journal file");
    }
    let mut head = vec![0u8; 8192];
    let n = std::io::Read::read(&mut std::fs::File::open(path).ok()?, &mut head).ok()?;
    let head = &head[..n];
    if head.starts_with(b"SQLite format 3\0") {
        Some("an SQLite database")
    } else if head.contains(&0) {
        Some("a binary file")
    } else {
        None
    }
}

/// No database, WAL file or other binary output of a test, bench or
/// harness run is committed: binary files belong in `tests/fixtures/` or
/// `fuzz/corpus/` only, and `.gitignore` keeps the rest out.
#[test]
fn no_run_output_is_committed() {
    let root = repo_root();
    let allowed = [root.join("tests/fixtures"), root.join("fuzz/corpus")];
    let mut found = Vec::new();
    let files = tracked_files();
    assert!(files.len() > 100, "only {} files listed", files.len());
    for path in files {
        if allowed.iter().any(|a| path.starts_with(a)) || !path.is_file() {
            continue;
        }
        if let Some(what) = run_output(&path) {
            found.push(format!(
                "{} ({what})",
                path.strip_prefix(&root).unwrap().display()
            ));
        }
    }
    assert!(
        found.is_empty(),
        "run output committed (git rm it; .gitignore should keep it out): {found:?}"
    );
}

#[test]
fn run_output_is_recognised() {
    let dir = ywx_testkit::temp_dir("layout-run-output");
    let db = dir.join("1000");
    let mut sqlite = b"SQLite format 3\0".to_vec();
    sqlite.resize(4096, 0);
    std::fs::write(&db, sqlite).unwrap();
    std::fs::write(dir.join("1000-wal"), "").unwrap();
    std::fs::write(dir.join("blob"), b"ab\0cd").unwrap();
    std::fs::write(dir.join("text.md"), "# 标题\n").unwrap();
    assert_eq!(run_output(&db), Some("an SQLite database"));
    assert!(run_output(&dir.join("1000-wal")).is_some());
    assert_eq!(run_output(&dir.join("blob")), Some("a binary file"));
    assert_eq!(run_output(&dir.join("text.md")), None);
    let _ = std::fs::remove_dir_all(dir);
}

/// The README is for the people who integrate and install ywx; how to
/// build, test and contribute lives in docs/. Generated rows count too
/// (the export table: about 100 bytes a method).
#[test]
fn the_readme_stays_under_20_kb() {
    let size = std::fs::metadata(repo_root().join("README.md"))
        .unwrap()
        .len();
    assert!(
        size < 20_000,
        "README.md has {size} bytes (under 20 KB wanted): move what is not for integrators to docs/"
    );
}
