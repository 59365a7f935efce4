//! ywx called from an `atexit` handler and from a thread-local destructor
//! (a pthread key's), when the calling thread's thread-local storage is
//! already destroyed: every export answers normally, nothing aborts
//!. The program is `tests/c/atexit.c`, compiled with gcc
//! against the built shared library, as the C examples are.

use std::path::Path;

use ywx::ffi::*;
use ywx_testkit::*;

fn c_source(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/c")
        .join(name)
}

#[cfg(unix)]
#[test]
fn exports_answer_from_atexit_handlers_and_thread_local_destructors() {
    let sim = sim();
    let order = call(
        ywx_sign_data,
        &hash_order(&ur_id("atexit"), ywx_sim::SIGNING_DOCTOR),
    );
    let unique_id = order["data"]["uniqueId"]
        .as_str()
        .expect("pushed")
        .to_string();
    let work = temp_dir("atexit");
    let exe = work.join("atexit");
    compile_dynamic(
        "gcc",
        &["-std=c99", "-Wall", "-Wextra", "-Werror", "-pthread"],
        &c_source("atexit.c"),
        &exe,
        &built_lib_dir(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = run_captured(&exe, &[sim.base_url(), &unique_id, work.to_str().unwrap()]);
    let (stdout, stderr) = text(&out);
    assert!(
        out.status.success(),
        "the program died or a call answered wrongly ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        out.status
    );
    for line in ["[tls-destructor] done", "[main] exit", "[atexit] done"] {
        assert!(
            stdout.contains(line),
            "{line:?} missing:\n{stdout}\n{stderr}"
        );
    }
    assert!(!stdout.contains("FAIL"), "{stdout}");
    // Nothing panicked on the way (a panic caught at the boundary would
    // still print to stderr and answer YWX-9001).
    assert!(!stderr.contains("panicked"), "{stderr}");
    // Every call was logged, those made while the process exits too:
    // sign_status 2 times in main, 2 in the thread, 3 in the thread-local
    // destructor (its first ywx_call_buf hands over the kept result without
    // a call) and 4 in the atexit handler, which alone lists the outbox.
    let mut log = String::new();
    for e in std::fs::read_dir(work.join("logs")).unwrap().flatten() {
        log.push_str(&std::fs::read_to_string(e.path()).unwrap());
    }
    let count = |what: &str| log.lines().filter(|l| l.contains(what)).count();
    assert_eq!(count(" sign_status "), 11, "{log}");
    assert_eq!(count(" outbox_list "), 1, "{log}");
    let _ = std::fs::remove_dir_all(&work);
}
