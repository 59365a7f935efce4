//! The call log written off the call path: lines are queued by
//! the calls and written by a thread of the log's own, so what matters is
//! when they reach the file: a process killed right after a burst of calls
//! has every line older than a second in its log; `ywx_shutdown`,
//! `ywx_init` and exit write every line before they return; calls running while
//! `ywx_init` swaps the config lose no line; a forked child writes its own
//! lines, not its parent's.
//!
//! The lines are told apart by the request's `uniqueId`, which the log
//! names (`uniqueId=...`): `ywx_digest` ignores it, so the calls are local
//! and fast.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use ywx::ffi::*;
use ywx_testkit::*;

/// The tests of this file each configure the library of this process.
static ONE_CONFIG_AT_A_TIME: Mutex<()> = Mutex::new(());

fn config(logs: &Path, work: &Path) -> Value {
    let mut c = config_for("http://127.0.0.1:9");
    c["log"] = json!({"dir": logs, "level": "info"});
    c["outbox"] = json!({"path": work.join("outbox.db")});
    c
}

fn digest(key: &str) -> Value {
    call(
        ywx_digest,
        &json!({"originData": "病历原文", "hashAlg": "SM3", "uniqueId": key}),
    )
}

/// How many lines of the log in `dir` name each key (`uniqueId=KEY`).
fn keys_logged(dir: &Path) -> BTreeMap<String, usize> {
    let mut keys = BTreeMap::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let text = String::from_utf8_lossy(&std::fs::read(entry.path()).unwrap()).into_owned();
        for line in text.lines() {
            if let Some(key) = line.split(" uniqueId=").nth(1) {
                let key = key.split(' ').next().unwrap_or("");
                *keys.entry(key.to_string()).or_default() += 1;
            }
        }
    }
    keys
}

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
}

/// The HIS program killed below: bursts of 50 calls as fast as it can,
/// 50 ms apart (fewer lines than make the writer hurry, so that only its
/// timer writes them), printing `called KEY MS` as each returns, until it
/// is killed.
#[test]
#[ignore = "the program the kill test runs and kills; not a test by itself"]
fn burst_until_killed() {
    if !is_child("burst_until_killed") {
        return;
    }
    let work = std::path::PathBuf::from(std::env::var("YWX_TEST_WORK").unwrap());
    init_ok(&config(&work.join("logs"), &work));
    println!();
    for i in 0.. {
        let key = format!("k{i}");
        let r = digest(&key);
        assert_eq!(status(&r), "0", "{r}");
        println!("called {key} {}", now_ms());
        if i % 50 == 49 {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[test]
fn a_process_killed_right_after_a_burst_has_every_line_older_than_a_second() {
    let work = temp_dir("log-kill");
    let options = ChildOptions {
        // The child is killed (SIGKILL on Unix) when this has passed.
        timeout: Duration::from_secs(4),
        ..ChildOptions::default()
    }
    .env("YWX_TEST_WORK", work.to_str().unwrap());
    let started = now_ms();
    let run = run_child("burst_until_killed", &options);
    assert!(
        run.status.is_none(),
        "the child was to be killed, but it {}:\n{}",
        run.how(),
        run.stderr
    );
    // It was killed no earlier than this: lines of calls that returned a
    // second before it are older than a second.
    let killed = started + options.timeout.as_millis();
    let logged = keys_logged(&work.join("logs"));
    let mut old = 0;
    let mut missing = Vec::new();
    for called in run.values("called") {
        let (key, at) = called.split_once(' ').unwrap();
        let at: u128 = at.parse().unwrap();
        if at + 1000 <= killed {
            old += 1;
            if !logged.contains_key(key) {
                missing.push(key.to_string());
            }
        }
    }
    assert!(old >= 100, "only {old} calls a second before the kill");
    assert!(
        missing.is_empty(),
        "{} of {old} calls older than a second are not in the log, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    assert!(logged.values().all(|n| *n == 1), "a line written twice");
    eprintln!("{old} calls older than a second, all logged");
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn ywx_shutdown_writes_every_line_before_it_returns() {
    let _one = ONE_CONFIG_AT_A_TIME
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    let work = temp_dir("log-shutdown");
    let logs = work.join("logs");
    init_ok(&config(&logs, &work));
    for i in 0..500 {
        digest(&format!("s{i}"));
    }
    take(ywx_shutdown());
    let logged = keys_logged(&logs);
    for i in 0..500 {
        assert_eq!(logged.get(&format!("s{i}")), Some(&1), "s{i}");
    }
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn no_line_is_lost_across_ywx_init() {
    let _one = ONE_CONFIG_AT_A_TIME
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    let work = temp_dir("log-init");
    let (first, second) = (work.join("logs-1"), work.join("logs-2"));
    init_ok(&config(&first, &work));
    for i in 0..300 {
        digest(&format!("a{i}"));
    }
    // The first config's lines are all written when ywx_init returns.
    init_ok(&config(&second, &work));
    let logged = keys_logged(&first);
    for i in 0..300 {
        assert_eq!(logged.get(&format!("a{i}")), Some(&1), "a{i}");
    }

    // Calls on four threads while the config is swapped ten times: every
    // call has its line, once, in one of the two logs.
    let stop = std::sync::atomic::AtomicBool::new(false);
    let made: Vec<usize> = std::thread::scope(|s| {
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let stop = &stop;
                s.spawn(move || {
                    let mut n = 0;
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) || n < 50 {
                        let r = digest(&format!("t{t}n{n}"));
                        assert_eq!(status(&r), "0", "{r}");
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        for round in 0..10 {
            init_ok(&config(
                if round % 2 == 0 { &first } else { &second },
                &work,
            ));
            std::thread::sleep(Duration::from_millis(20));
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    take(ywx_shutdown());
    let mut logged = keys_logged(&first);
    for (k, n) in keys_logged(&second) {
        *logged.entry(k).or_default() += n;
    }
    for (t, n) in made.iter().enumerate() {
        for i in 0..*n {
            let key = format!("t{t}n{i}");
            assert_eq!(logged.get(&key), Some(&1), "{key} of {made:?}");
        }
    }
    let _ = std::fs::remove_dir_all(&work);
}

/// A program that logs and ends without `ywx_shutdown`.
#[test]
#[ignore = "the program the exit test runs; not a test by itself"]
fn logs_and_exits() {
    if !is_child("logs_and_exits") {
        return;
    }
    let work = std::path::PathBuf::from(std::env::var("YWX_TEST_WORK").unwrap());
    init_ok(&config(&work.join("logs"), &work));
    for i in 0..300 {
        digest(&format!("e{i}"));
    }
}

#[test]
fn every_line_is_written_at_exit() {
    let work = temp_dir("log-exit");
    let options = ChildOptions::default().env("YWX_TEST_WORK", work.to_str().unwrap());
    run_child("logs_and_exits", &options).assert_passed("the program");
    let logged = keys_logged(&work.join("logs"));
    for i in 0..300 {
        assert_eq!(logged.get(&format!("e{i}")), Some(&1), "e{i}");
    }
    let _ = std::fs::remove_dir_all(&work);
}

/// The process that forks, run as a child so that its fork happens in a
/// process of its own.
#[cfg(unix)]
#[test]
#[ignore = "the program the fork test runs; not a test by itself"]
fn forks_while_logging() {
    if !is_child("forks_while_logging") {
        return;
    }
    let work = std::path::PathBuf::from(std::env::var("YWX_TEST_WORK").unwrap());
    let logs = work.join("logs");
    init_ok(&config(&logs, &work));
    println!();
    for i in 0..200 {
        digest(&format!("p{i}"));
    }
    // SAFETY: the child only calls ywx (digests, no connection shared with
    // this process) and ends with _exit.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        for i in 0..200 {
            digest(&format!("c{i}"));
        }
        // Its own writer thread writes its lines: wait for them (a
        // deadline only so that a failure ends), then end without any
        // exit handler.
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let all = |logged: &BTreeMap<String, usize>| {
            (0..200).all(|i| logged.contains_key(&format!("c{i}")))
        };
        while !all(&keys_logged(&logs)) && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let code = if all(&keys_logged(&logs)) { 0 } else { 3 };
        // SAFETY: ends the forked child at once.
        unsafe { libc::_exit(code) };
    }
    let mut child_status = 0;
    // SAFETY: waits for the child forked above.
    unsafe { libc::waitpid(pid, &mut child_status, 0) };
    println!("forked child exit {}", libc::WEXITSTATUS(child_status));
    for i in 200..400 {
        digest(&format!("p{i}"));
    }
    take(ywx_shutdown());
}

#[cfg(unix)]
#[test]
fn a_forked_child_writes_its_own_lines_and_not_its_parents() {
    let work = temp_dir("log-fork");
    let options = ChildOptions::default().env("YWX_TEST_WORK", work.to_str().unwrap());
    let run = run_child("forks_while_logging", &options);
    run.assert_passed("the forking process");
    assert_eq!(
        run.values("forked"),
        ["child exit 0"],
        "the forked child's own writer did not write its lines:\n{}",
        run.stdout
    );
    let logged = keys_logged(&work.join("logs"));
    let want: Vec<String> = (0..400)
        .map(|i| format!("p{i}"))
        .chain((0..200).map(|i| format!("c{i}")))
        .collect();
    let wrong: Vec<_> = want
        .iter()
        .map(|k| (k, logged.get(k).copied().unwrap_or(0)))
        .filter(|(_, n)| *n != 1)
        .collect();
    assert!(
        wrong.is_empty(),
        "lines missing (0) or twice (2): {wrong:?}"
    );
    assert_eq!(logged.len(), 600, "lines of other calls");
    let _ = std::fs::remove_dir_all(&work);
}
