//! The fuzzers' seed corpus (`fuzz/corpus/`, run by `scripts/fuzz.sh` in
//! CI): the vendor document's example requests, one per method
//! (`ywx_testkit::seed_requests`), and typical configs
//! (`ywx_testkit::seed_configs`). The committed files must be exactly what
//! those give; `YWX_WRITE_FUZZ_CORPUS=1 cargo test --test fuzz_corpus`
//! writes them.
//!
//! A request seed is `METHOD\nJSON`: the fuzz target calls `ywx_call`
//! with the first line as the method (so names are fuzzed too) and the
//! rest as the request.

use std::path::PathBuf;

use ywx::methods::{self, Run};
use ywx_testkit::*;

fn corpus() -> PathBuf {
    repo_root().join("fuzz").join("corpus")
}

/// Every seed file and its content.
fn seeds() -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    for (method, request) in seed_requests() {
        files.push((
            corpus().join("request").join(format!("seed-{method}")),
            format!("{method}\n{request}").into_bytes(),
        ));
    }
    for (name, config) in seed_configs() {
        files.push((
            corpus().join("config").join(format!("seed-{name}.json")),
            config.into_bytes(),
        ));
    }
    files
}

#[test]
fn the_seed_corpus_is_the_documents_examples() {
    let write = std::env::var("YWX_WRITE_FUZZ_CORPUS").is_ok_and(|v| v == "1");
    let mut stale = Vec::new();
    for (path, content) in seeds() {
        if write {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &content).unwrap();
        } else if std::fs::read(&path).ok().as_deref() != Some(content.as_slice()) {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "stale or missing seeds (YWX_WRITE_FUZZ_CORPUS=1 cargo test --test fuzz_corpus writes them): {stale:?}"
    );
    // Nothing else in the committed corpus (a local fuzz run writes its
    // finds to a corpus directory of its own, see scripts/fuzz.sh).
    let expected: Vec<PathBuf> = seeds().into_iter().map(|(p, _)| p).collect();
    for dir in ["request", "config"] {
        for e in std::fs::read_dir(corpus().join(dir)).unwrap().flatten() {
            assert!(
                expected.contains(&e.path()),
                "not a seed: {}",
                e.path().display()
            );
        }
    }
}

#[test]
fn every_method_but_the_lifecycle_has_a_seed() {
    let seeded: Vec<&str> = seed_requests().iter().map(|(m, _)| *m).collect();
    for m in methods::ALL {
        if matches!(m.run, Run::Lifecycle(_) | Run::Boundary) {
            continue;
        }
        assert!(seeded.contains(&m.name), "no seed request for {}", m.name);
    }
    for (method, request) in seed_requests() {
        serde_json::from_str::<serde_json::Value>(&request)
            .unwrap_or_else(|e| panic!("{method}: {e}"));
    }
}
