//! `timeoutMs` is a call's budget: no call of an endpoint returns later
//! than `timeoutMs` + `connectTimeoutMs`, whatever the server trickles,
//! retries included. The server here answers each request with its head a
//! line at a time for most of `timeoutMs`, then its body a byte at a time:
//! every phase stays under its own limit, so only a budget for the whole
//! call ends it in time.
//!
//! The library is one per process, so these tests take turns.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::json;
use ywx::ffi::*;
use ywx_testkit::*;

static TURN: Mutex<()> = Mutex::new(());

const TIMEOUT_MS: u64 = 1500;
const CONNECT_MS: u64 = 500;

/// A server that trickles every answer; its base URL.
fn trickling_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            std::thread::spawn(move || trickle(conn));
        }
    });
    format!("http://{addr}")
}

fn trickle(conn: TcpStream) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut out = conn;
    // The request's head; its body is not needed.
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
        line.clear();
    }
    let step = Duration::from_millis(100);
    let mut send = |bytes: &[u8]| out.write_all(bytes).and_then(|_| out.flush()).is_ok();
    if !send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n") {
        return;
    }
    // Head lines for 90 % of timeoutMs, then a body a byte a step.
    let lines = TIMEOUT_MS * 9 / 10 / 100;
    for i in 0..lines {
        std::thread::sleep(step);
        if !send(format!("X-Slow-{i}: 1\r\n").as_bytes()) {
            return;
        }
    }
    if !send(b"Content-Length: 1000\r\n\r\n{") {
        return;
    }
    for _ in 0..999 {
        std::thread::sleep(step);
        if !send(b" ") {
            return;
        }
    }
}

fn configure(base_url: &str) {
    let mut config = config_for(base_url);
    config["timeoutMs"] = json!(TIMEOUT_MS);
    config["connectTimeoutMs"] = json!(CONNECT_MS);
    config["retry"] = json!({"attempts": 3, "backoffMs": 50});
    config["outbox"] = json!({"path": temp_dir("budget").join("outbox.db"), "background": false});
    init_ok(&config);
}

/// How long a call took, and its answer's status.
fn timed(f: impl FnOnce() -> serde_json::Value) -> (Duration, String) {
    let started = Instant::now();
    let r = f();
    (started.elapsed(), status(&r))
}

#[test]
fn no_call_outlasts_its_budget_whatever_the_server_trickles() {
    let _t = TURN.lock().unwrap_or_else(|p| p.into_inner());
    configure(&trickling_server());
    let budget = Duration::from_millis(TIMEOUT_MS + CONNECT_MS);
    // Some slack for a loaded machine: the budget, not three of it.
    let limit = budget.mul_f64(1.25);
    let (took, status) = timed(|| call(ywx_sign_status, &json!({"body": {"uniqueId": "x"}})));
    assert_eq!(status, "YWX-2002", "a query");
    assert!(took <= limit, "a query took {took:?} (budget {budget:?})");
    let ur = ur_id("budget");
    let (took, status) = timed(|| call(ywx_sign_data, &hash_order(&ur, ywx_sim::SIGNING_DOCTOR)));
    assert_eq!(status, "YWX-4001", "a push is kept");
    assert!(took <= limit, "a push took {took:?} (budget {budget:?})");
    let (took, status) = timed(|| {
        call(
            ywx_sign_wait,
            &json!({"uniqueId": "x", "timeoutSeconds": 1, "intervalMs": 100}),
        )
    });
    assert!(status == "YWX-4002" || status == "YWX-2002", "{status}");
    assert!(
        took <= Duration::from_secs(1).mul_f64(1.25),
        "a wait took {took:?} (its budget 1 s)"
    );
}
