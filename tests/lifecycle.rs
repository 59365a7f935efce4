//! The configuration lifecycle: `ywx_init` swaps atomically
//! under load; the config file is read only before any `ywx_init` (or after
//! `ywx_shutdown` / `ywx_init(NULL)`); a failed `ywx_init` leaves the library
//! unconfigured; `ywx_init` and `ywx_shutdown` return within about a second
//! while the delivery thread waits on a gateway that never answers.
//!
//! Each scenario runs in a child process of its own (this test binary run
//! again), with `YWX_CONFIG` naming a config file for a second simulator
//! that must never be called when an explicit config is in force.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use ywx::ffi::*;
use ywx_sim::Sim;
use ywx_testkit::*;

/// The second simulator's URL, for the child to read its counters.
const FILE_SIM_ENV: &str = "YWX_TEST_FILE_SIM";

/// Calls the simulator at `base_url` has served, all endpoints together.
fn gateway_calls(base_url: &str) -> u64 {
    let state: Value = serde_json::from_str(&http_get(base_url, "/sim/state").unwrap()).unwrap();
    state["calls"]
        .as_object()
        .map_or(0, |m| m.values().filter_map(Value::as_u64).sum())
}

/// A config file for `sim`, as an implementer would put beside the DLL.
fn config_file(dir: &Path, sim: &Sim) -> PathBuf {
    let path = dir.join("ywx.json");
    std::fs::write(&path, config_for(sim.base_url()).to_string()).unwrap();
    path
}

/// Runs `child` with `YWX_CONFIG` naming a config file for a simulator of
/// its own, and checks that simulator was not called (unless `file_used`).
fn run_with_config_file(child: &str, timeout: Duration) -> (ChildRun, u64) {
    let file_sim = Sim::start();
    let dir = temp_dir("lifecycle");
    let file = config_file(&dir, &file_sim);
    let run = run_child(
        child,
        &ChildOptions {
            timeout,
            ..ChildOptions::default()
        }
        .env("YWX_CONFIG", file.display().to_string())
        .env(FILE_SIM_ENV, file_sim.base_url()),
    );
    for line in run.stdout.lines().filter(|l| l.starts_with("MEASURED")) {
        eprintln!("{child}: {line}");
    }
    run.assert_passed(child);
    let calls = gateway_calls(file_sim.base_url());
    let _ = std::fs::remove_dir_all(dir);
    (run, calls)
}

// ---- re-init under load --------------------------------------------------

#[test]
#[ignore = "run as a child process by the tests below"]
fn child_reinit_race() {
    if !is_child("child_reinit_race") {
        return;
    }
    let sim = Sim::start();
    let config = config_for(sim.base_url());
    init_ok(&config);
    let order = call(
        ywx_sign_data,
        &hash_order(&ur_id("race"), ywx_sim::SIGNING_DOCTOR),
    );
    let unique_id = order["data"]["uniqueId"].as_str().unwrap().to_string();
    let stop = Arc::new(AtomicBool::new(false));
    let reinit = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let (mut n, mut bad) = (0u64, Vec::new());
            while !stop.load(Ordering::SeqCst) {
                let r = init(&config);
                if status(&r) != "0" {
                    bad.push(r);
                }
                n += 1;
            }
            (n, bad)
        })
    };
    let tally = Arc::new(Mutex::new(std::collections::BTreeMap::<String, u64>::new()));
    let first_wrong = Arc::new(Mutex::new(None::<Value>));
    let callers: Vec<_> = (0..16)
        .map(|_| {
            let (stop, tally, first_wrong) = (stop.clone(), tally.clone(), first_wrong.clone());
            let request = json!({"body": {"uniqueId": unique_id}});
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    let r = call(ywx_sign_status, &request);
                    let s = status(&r);
                    if s != "0" {
                        first_wrong.lock().unwrap().get_or_insert(r);
                    }
                    *tally.lock().unwrap().entry(s).or_insert(0) += 1;
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(3));
    stop.store(true, Ordering::SeqCst);
    for c in callers {
        c.join().unwrap();
    }
    let (inits, bad_inits) = reinit.join().unwrap();
    let tally = tally.lock().unwrap().clone();
    let total: u64 = tally.values().sum();
    println!("\nMEASURED {total} calls from 16 threads during {inits} re-inits: {tally:?}");
    assert!(bad_inits.is_empty(), "{bad_inits:?}");
    assert!(inits >= 5, "only {inits} re-inits in 3 s");
    assert!(total >= 100, "only {total} calls");
    assert_eq!(
        tally.keys().collect::<Vec<_>>(),
        ["0"],
        "every call answered by the configured gateway: {tally:?}; first other: {:?}",
        first_wrong.lock().unwrap()
    );
    let file_sim = std::env::var(FILE_SIM_ENV).unwrap();
    assert_eq!(
        gateway_calls(&file_sim),
        0,
        "a call went to the config file's gateway"
    );
}

#[test]
fn reinit_under_load_never_leaves_a_call_unconfigured_nor_on_the_file() {
    let (_, file_calls) = run_with_config_file("child_reinit_race", Duration::from_secs(120));
    assert_eq!(file_calls, 0, "the config file's gateway was called");
}

// ---- a failed init --------------------------------------------------------

#[test]
#[ignore = "run as a child process by the tests below"]
fn child_failed_init() {
    if !is_child("child_failed_init") {
        return;
    }
    let sim = Sim::start();
    let file_sim = std::env::var(FILE_SIM_ENV).unwrap();
    // Configured and working first: a failed init must not keep it either.
    init_ok(&config_for(sim.base_url()));
    let order = call(
        ywx_sign_data,
        &hash_order(&ur_id("failed"), ywx_sim::SIGNING_DOCTOR),
    );
    let unique_id = order["data"]["uniqueId"].as_str().unwrap().to_string();
    let calls = |unique_id: &str| {
        [
            ("sign_status", json!({"body": {"uniqueId": unique_id}})),
            ("digest", json!({"originData": "abc"})),
            ("outbox_list", json!({})),
            ("outbox_flush", json!({})),
            (
                "sign_data",
                hash_order(&ur_id("failed"), ywx_sim::SIGNING_DOCTOR),
            ),
            (
                "sign_wait",
                json!({"uniqueId": unique_id, "timeoutSeconds": 1}),
            ),
        ]
    };
    for (bad, names) in [
        (json!({"baseUrl": "http://a b c d e"}), "baseUrl"),
        (json!({"clientId": null}), "clientId"),
        (json!({"retry": {"backoffMs": 1e15}}), "retry.backoffMs"),
    ] {
        let mut config = config_for(sim.base_url());
        for (k, v) in bad.as_object().unwrap() {
            config[k] = v.clone();
        }
        let r = init(&config);
        assert_eq!(status(&r), "YWX-1004", "{r}");
        for (method, request) in calls(&unique_id) {
            let r = call_method(method, &request);
            assert_eq!(status(&r), "YWX-1004", "{method} after a failed init: {r}");
            let message = r["message"].as_str().unwrap();
            assert!(
                message.contains(names),
                "{method}: the message names the init's error ({names}): {r}"
            );
        }
        let r = call(ywx_digest, &json!({"originData": "abc"}));
        assert_eq!(status(&r), "YWX-1004", "ywx_digest: {r}");
        assert_eq!(gateway_calls(&file_sim), 0, "the config file was used");
    }
    // ywx_init(NULL): the file, explicitly.
    let r = take(unsafe { ywx_init(std::ptr::null()) });
    assert_eq!(status(&r), "0", "{r}");
    assert!(r["data"]["configFile"].is_string(), "{r}");
    let r = call(ywx_sign_status, &json!({"body": {"uniqueId": unique_id}}));
    assert!(!status(&r).starts_with("YWX-"), "{r}");
    let on_file = gateway_calls(&file_sim);
    assert!(on_file >= 1, "ywx_init(NULL) reads the file");
    // After ywx_shutdown the file is loaded on first use again.
    init_ok(&config_for(sim.base_url()));
    take(ywx_shutdown());
    let r = call(ywx_sign_status, &json!({"body": {"uniqueId": unique_id}}));
    assert!(!status(&r).starts_with("YWX-"), "{r}");
    assert!(
        gateway_calls(&file_sim) > on_file,
        "after ywx_shutdown the file is used"
    );
}

#[test]
fn a_failed_init_leaves_the_library_unconfigured_and_the_file_unread() {
    run_with_config_file("child_failed_init", Duration::from_secs(60));
}

// ---- init and shutdown while the delivery thread waits ---------------------

#[test]
#[ignore = "run as a child process by the tests below"]
fn child_black_hole() {
    if !is_child("child_black_hole") {
        return;
    }
    let dir = temp_dir("black-hole");
    let outbox = dir.join("outbox.db");
    let config = |base_url: &str, background: bool| {
        let mut c = config_for(base_url);
        c["outbox"] = json!({"path": outbox, "background": background, "retryIntervalMs": 100});
        c["timeoutMs"] = json!(15000);
        c
    };
    // 1. The gateway is down: a push is queued.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    init_ok(&config(&dead, false));
    let ur = ur_id("hole");
    let r = call(ywx_sign_data, &hash_order(&ur, ywx_sim::SIGNING_DOCTOR));
    assert_eq!(status(&r), "YWX-4001", "{r}");
    // 2. A gateway that accepts and never answers: the delivery thread
    //    sends the queued push and waits (timeoutMs 15 s).
    let hole = BlackHole::start();
    let t = Instant::now();
    init_ok(&config(&hole.base_url(), true));
    println!("\nMEASURED init with an idle outbox: {:?}", t.elapsed());
    assert!(
        hole.wait_for(&ur, 1, Duration::from_secs(10)),
        "the delivery thread sent the queued push"
    );
    // outbox_list keeps answering, from another thread, all along.
    let stop = Arc::new(AtomicBool::new(false));
    let lister = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut answers = Vec::new();
            while !stop.load(Ordering::SeqCst) {
                let t = Instant::now();
                let r = take(unsafe { ywx_outbox_list(std::ptr::null()) });
                answers.push((status(&r), t.elapsed()));
                std::thread::sleep(Duration::from_millis(20));
            }
            answers
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    // 3. Re-init while the thread waits.
    let t = Instant::now();
    init_ok(&config(&hole.base_url(), true));
    let reinit = t.elapsed();
    println!("MEASURED ywx_init while the delivery thread waits: {reinit:?}");
    std::thread::sleep(Duration::from_millis(1500));
    stop.store(true, Ordering::SeqCst);
    let answers = lister.join().unwrap();
    // 4. Shutdown while a thread waits.
    let t = Instant::now();
    let r = take(ywx_shutdown());
    let shutdown = t.elapsed();
    println!("MEASURED ywx_shutdown while the delivery thread waits: {shutdown:?}");
    assert_eq!(status(&r), "0", "{r}");
    assert!(reinit < Duration::from_secs(3), "ywx_init took {reinit:?}");
    assert!(
        shutdown < Duration::from_secs(3),
        "ywx_shutdown took {shutdown:?}"
    );
    let slowest = answers.iter().map(|(_, d)| *d).max().unwrap();
    println!(
        "MEASURED {} outbox_list answers meanwhile, the slowest in {slowest:?}",
        answers.len()
    );
    assert!(answers.len() >= 10, "{answers:?}");
    assert!(
        answers.iter().all(|(s, _)| s == "0"),
        "outbox_list answered all along: {answers:?}"
    );
    assert!(slowest < Duration::from_secs(1), "{answers:?}");
    // The push still in flight with the first thread was not sent again by
    // the second client's thread (it is the same process's lease).
    assert_eq!(
        hole.count(&ur),
        1,
        "the queued push was sent again while the first send was in flight"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn init_and_shutdown_return_at_once_while_the_delivery_thread_waits() {
    run_with_config_file("child_black_hole", Duration::from_secs(60));
}

/// `tests/c/NAME.c` compiled against the built library: its work
/// directory, the program, and the library it loads.
#[cfg(target_os = "linux")]
fn c_program(name: &str) -> (PathBuf, PathBuf, PathBuf) {
    let work = temp_dir(name);
    let exe = work.join(name);
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/c/{name}.c"));
    compile_dynamic(
        "gcc",
        &["-std=c99", "-D_POSIX_C_SOURCE=200809L", "-Wall", "-Werror"],
        &src,
        &exe,
        &built_lib_dir(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    (work, exe, built_lib_dir().join(dylib_name()))
}

/// ywx_shutdown, then `dlclose`, while the delivery thread is still
/// waiting on the black hole; then the gateway hangs up. A thread left
/// running in code that was unmapped would crash the host.
#[cfg(target_os = "linux")]
#[test]
fn unloading_after_shutdown_while_the_thread_waits_does_not_crash() {
    let (work, exe, lib) = c_program("unload");
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let hole = BlackHole::start();
    let mut child = Command::new(&exe)
        .args([
            lib.to_str().unwrap(),
            &dead,
            &hole.base_url(),
            work.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).split(b'\n') {
        let line = String::from_utf8_lossy(&line.unwrap()).into_owned();
        if line.starts_with("[unloaded]") {
            hole.hang_up();
        }
        lines.push(line);
    }
    let status = child.wait().unwrap();
    eprintln!("{}", lines.join("\n"));
    assert!(status.success(), "{status}: {lines:?}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("[queued] {\"status\":\"YWX-4001\""))
    );
    assert!(hole.count("synRecipeInfo") >= 1, "the thread was waiting");
    assert!(lines.iter().any(|l| l == "[exit]"), "{lines:?}");
    // The queued push's line was written before ywx_shutdown returned.
    let mut log = String::new();
    for e in std::fs::read_dir(work.join("logs")).unwrap().flatten() {
        log.push_str(&std::fs::read_to_string(e.path()).unwrap());
    }
    assert!(
        log.lines()
            .any(|l| l.contains(" sign_data ") && l.contains("status=YWX-4001")),
        "{log}"
    );
    let _ = std::fs::remove_dir_all(work);
}

/// A HIS that forks after calling ywx (Python multiprocessing, a
/// pre-forking server): for three rounds, parent and child make 500 calls
/// each at the same time, and each answer is its own — never the other
/// process's over a shared pooled connection (tests/c/fork.c).
#[cfg(target_os = "linux")]
#[test]
fn after_fork_parent_and_child_each_get_their_own_answers() {
    let (work, exe, lib) = c_program("fork");
    let sim = Sim::start();
    let out = Command::new(&exe)
        .args([
            lib.to_str().unwrap(),
            sim.base_url(),
            work.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{}: {stdout}", out.status);
    assert_eq!(
        stdout
            .lines()
            .filter(|l| l.contains("wrong=0 errors=0"))
            .count(),
        6,
        "three rounds, parent and child: {stdout}"
    );
    let _ = std::fs::remove_dir_all(work);
}
