//! The fuzzers' seed corpus (`fuzz/corpus/`, run by `scripts/fuzz.sh` in
//! CI), as committed: a request seed for every method the fuzz target can
//! call, each `METHOD\nJSON` (the target calls `ywx_call` with the first
//! line as the method, so names are fuzzed too), and typical configs.
//! `cargo run -p ywx-gen` writes it from the method table's examples;
//! tests/generated.rs fails when it is stale.

use std::path::PathBuf;

use ywx::methods::{self, Run};
use ywx_testkit::*;

fn corpus(dir: &str) -> PathBuf {
    repo_root().join("fuzz").join("corpus").join(dir)
}

#[test]
fn every_method_but_the_lifecycle_has_a_seed_of_its_own() {
    for m in methods::ALL {
        if matches!(m.run, Run::Lifecycle(_) | Run::Boundary) {
            continue;
        }
        let path = corpus("request").join(format!("seed-{}", m.name));
        let seed = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("no seed for {} ({e}): cargo run -p ywx-gen", m.name));
        let (method, request) = seed.split_once('\n').expect("METHOD\\nJSON");
        assert_eq!(method, m.name, "{}", path.display());
        let request: serde_json::Value = serde_json::from_str(request)
            .unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()));
        assert!(request.is_object(), "{}", path.display());
    }
}

#[test]
fn the_corpus_holds_seeds_only() {
    // A local fuzz run writes its finds to a corpus directory of its own
    // (scripts/fuzz.sh); the committed one holds the seeds.
    let requests = std::fs::read_dir(corpus("request")).unwrap().count();
    let seeded = seed_requests().len();
    assert_eq!(requests, seeded, "fuzz/corpus/request: one seed per method");
    for e in std::fs::read_dir(corpus("config")).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        assert!(
            name.starts_with("seed-") && name.ends_with(".json"),
            "{name}"
        );
        let text = std::fs::read_to_string(e.path()).unwrap();
        serde_json::from_str::<serde_json::Value>(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}
