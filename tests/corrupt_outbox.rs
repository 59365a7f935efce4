//! An outbox file that cannot be opened — corrupt, foreign, unreadable —
//! never blocks the gateway: pushes go straight through while
//! the gateway answers; `ywx_init` warns in `data.warnings` and the log;
//! only when the gateway is also unreachable does a push fail, with
//! YWX-4003 — or YWX-4004 when it may have reached the gateway (its answer
//! lost): "do not push again", never "push again"; the file is never
//! deleted or changed.

use std::path::Path;
use std::sync::Mutex;

use serde_json::{Value, json};
use ywx::ffi::*;
use ywx_sim::Sim;
use ywx_testkit::*;

/// The tests here configure the library each their own way.
static ONE_CONFIG_AT_A_TIME: Mutex<()> = Mutex::new(());

/// What the directory holds: names and contents.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

fn logs(dir: &Path) -> String {
    let mut text = String::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        text.push_str(&String::from_utf8_lossy(&std::fs::read(e.path()).unwrap()));
    }
    text
}

fn config(base_url: &str, outbox: &Path, logs: &Path) -> Value {
    let mut c = config_for(base_url);
    c["outbox"] = json!({"path": outbox, "retryIntervalMs": 100});
    c["log"] = json!({"dir": logs, "level": "info"});
    c
}

fn dead_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", l.local_addr().unwrap())
}

fn check_corrupt_outbox(garbage: &[u8]) {
    let _one = ONE_CONFIG_AT_A_TIME
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    let sim = Sim::start();
    let dir = temp_dir("corrupt-outbox");
    let outbox_dir = dir.join("outbox");
    std::fs::create_dir(&outbox_dir).unwrap();
    let outbox = outbox_dir.join("ywx-outbox.db");
    std::fs::write(&outbox, garbage).unwrap();
    let before = snapshot(&outbox_dir);
    let log_dir = dir.join("logs");

    // The gateway answers: the init warns, the pushes go through.
    let r = init(&config(sim.base_url(), &outbox, &log_dir));
    assert_eq!(status(&r), "0", "{r}");
    let warnings = r["data"]["warnings"]
        .as_array()
        .expect("data.warnings")
        .clone();
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains("outbox.path")),
        "a warning names the outbox: {r}"
    );
    assert!(
        !r.to_string().contains("not a database"),
        "said in Chinese, not in SQLite's English: {r}"
    );
    for _ in 0..3 {
        let ur = ur_id("corrupt");
        let r = call(ywx_sign_data, &hash_order(&ur, ywx_sim::SIGNING_DOCTOR));
        assert_eq!(status(&r), "0", "the push goes straight through: {r}");
        assert!(r["data"]["uniqueId"].is_string(), "{r}");
    }
    let r = call(
        ywx_sign_business,
        &serde_json::from_str::<Value>(&business_order()).unwrap(),
    );
    assert_eq!(status(&r), "0", "{r}");
    let r = take(unsafe { ywx_outbox_list(std::ptr::null()) });
    assert_ne!(status(&r), "YWX-9001", "{r}");

    // The gateway is down too: now a push fails, saying why, and nothing
    // is stored.
    let r = init(&config(&dead_url(), &outbox, &log_dir));
    assert_eq!(status(&r), "0", "{r}");
    let ur = ur_id("corrupt");
    let r = call(ywx_sign_data, &hash_order(&ur, ywx_sim::SIGNING_DOCTOR));
    assert_eq!(status(&r), "YWX-4003", "{r}");
    let message = r["message"].as_str().unwrap();
    assert!(message.contains(&ur), "the message names the urId: {r}");
    assert!(message.contains("outbox.path"), "and the file's key: {r}");
    if !cfg!(windows) {
        assert!(!message.contains("Windows"), "{r}");
    }
    take(ywx_shutdown());

    assert_eq!(
        snapshot(&outbox_dir),
        before,
        "the outbox file was changed, deleted, or joined by others"
    );
    let log = logs(&log_dir);
    assert!(
        log.lines()
            .filter(|l| l.contains(" WARN ") && l.contains("outbox.path"))
            .count()
            >= 2,
        "a WARN line at each init:\n{log}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// The document's business example (4.3.6) with a real PDF.
fn business_order() -> String {
    use base64::Engine;
    let mut order: Value = serde_json::from_str(ywx_sim::seed_examples::EX_BUSINESS).unwrap();
    order["msg"]["body"]["urId"] = json!(ur_id("biz"));
    order["msg"]["body"]["pdfBase64"] =
        json!(base64::engine::general_purpose::STANDARD.encode(tiny_pdf()));
    order["msg"]["head"]
        .as_object_mut()
        .unwrap()
        .remove("clientId");
    order.to_string()
}

#[test]
fn a_file_of_garbage_never_blocks_a_push_while_the_gateway_answers() {
    check_corrupt_outbox(&b"this is not an SQLite database\n".repeat(200));
}

#[test]
fn a_damaged_sqlite_file_never_blocks_a_push_while_the_gateway_answers() {
    // An SQLite header followed by garbage: what a disk error or a copy cut
    // short leaves behind.
    let mut bytes = b"SQLite format 3\0".to_vec();
    bytes.extend(std::iter::repeat_n(0xA5u8, 8192));
    check_corrupt_outbox(&bytes);
}

#[test]
fn a_push_whose_answer_is_lost_and_cannot_be_kept_is_told_not_to_push_again() {
    let _one = ONE_CONFIG_AT_A_TIME
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    let sim = ywx_sim::Sim::start_with(ywx_sim::SimOptions {
        no_dedupe: true,
        ..Default::default()
    })
    .unwrap();
    let dir = temp_dir("outcome-unknown");
    let outbox = dir.join("ywx-outbox.db");
    std::fs::write(&outbox, b"not an outbox".repeat(100)).unwrap();
    let mut c = config(sim.base_url(), &outbox, &dir.join("logs"));
    c["timeoutMs"] = json!(500);
    let r = init(&c);
    assert_eq!(status(&r), "0", "{r}");
    // The push takes effect at the gateway; its answer comes too late.
    control(
        &sim,
        "/sim/faults",
        &json!({"mode": "latency", "count": 1, "latencyMs": 1500}),
    );
    let ur = ur_id("unknown");
    let r = call(ywx_sign_data, &hash_order(&ur, ywx_sim::SIGNING_DOCTOR));
    assert_eq!(status(&r), "YWX-4004", "{r}");
    assert_eq!(r["error"]["code"], "OUTCOME_UNKNOWN", "{r}");
    assert_eq!(r["data"]["urId"], ur.as_str(), "{r}");
    let message = r["message"].as_str().unwrap();
    assert!(message.contains("不要重复推送"), "{r}");
    assert!(
        !message.contains("重新推送"),
        "never the advice that makes a second order: {r}"
    );
    let orders = http_get(sim.base_url(), &format!("/sim/orders?urId={ur}")).unwrap();
    assert_eq!(
        serde_json::from_str::<Vec<Value>>(&orders).unwrap().len(),
        1,
        "it is at the gateway, as the answer says"
    );
    take(ywx_shutdown());
    let _ = std::fs::remove_dir_all(dir);
}
