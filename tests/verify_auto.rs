//! `verify.caFile` checked at `ywx_init`, `verify.auto` on 4.3.5's and
//! 5.1.2's replies, and `ywx_verify_local` making no connection at all.
//! One test: the library's configuration is global to the process.

use std::io::Read;
use std::net::TcpListener;
use std::time::Duration;

use serde_json::{Value, json};
use ywx::ffi::*;
use ywx_sim::{SIGNING_DOCTOR, Sim};
use ywx_testkit::*;

fn config(base_url: &str, verify: Value) -> Value {
    let mut c = config_for(base_url);
    c["verify"] = verify;
    c
}

#[test]
fn ca_file_auto_verification_and_no_network() {
    let dir = temp_dir("verify-auto");
    let sim = Sim::start();

    // verify.caFile: a readable PEM file of at least one certificate.
    let empty = dir.join("empty.pem");
    std::fs::write(&empty, "not a certificate").unwrap();
    for (path, words) in [
        (dir.join("missing.pem"), "不存在"),
        (empty.clone(), "PEM"),
        (dir.clone(), "目录"),
    ] {
        let r = init(&config(sim.base_url(), json!({"caFile": path})));
        assert_eq!(status(&r), "YWX-1004", "{r}");
        let m = r["message"].as_str().unwrap();
        assert!(m.contains("verify.caFile") && m.contains(words), "{m}");
    }
    let r = init(&config(sim.base_url(), json!({"auto": "maybe"})));
    assert!(
        r["message"].as_str().unwrap().contains("verify.auto"),
        "{r}"
    );

    // verify.auto with the simulator's CA trusted.
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, sim.ca_pem()).unwrap();
    init_ok(&config(sim.base_url(), json!({"auto": true, "caFile": ca})));
    let order = hash_order(&ur_id("auto"), SIGNING_DOCTOR);
    let pushed = call(ywx_sign_data, &order);
    assert_eq!(status(&pushed), "0", "{pushed}");
    let local = &pushed["data"]["localVerify"];
    assert_eq!(local["format"], "timestamp", "{pushed}");
    assert!(
        local["checks"].as_array().is_some_and(|c| !c.is_empty()),
        "{local}"
    );
    assert!(local["timestamp"]["genTime"].is_string(), "{local}");
    let unique_id = pushed["data"]["uniqueId"].as_str().unwrap().to_string();
    control(
        &sim,
        "/sim/sign",
        &json!({"uniqueId": unique_id, "action": "sign"}),
    );
    let result = call(ywx_sign_result, &json!({"body": {"uniqueId": unique_id}}));
    assert_eq!(status(&result), "0", "{result}");
    let local = &result["data"]["localVerify"];
    assert!(
        local.is_object(),
        "5.1.2 carries data.localVerify: {result}"
    );
    assert!(
        local["format"]
            .as_str()
            .is_some_and(|f| f.starts_with("p7"))
            || local["error"].is_object(),
        "{local}"
    );
    // Without verify.auto, no localVerify.
    init_ok(&config(sim.base_url(), json!({"caFile": ca})));
    let pushed = call(ywx_sign_data, &hash_order(&ur_id("noauto"), SIGNING_DOCTOR));
    assert!(pushed["data"].get("localVerify").is_none(), "{pushed}");

    // ywx_verify_local connects to nothing: the gateway is a listener
    // that counts connections.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    init_ok(&config(&url, json!({"caFile": ca})));
    let token = std::fs::read_to_string(
        repo_root().join("tests/fixtures/verify/kinsec-sm2-timestamp.tst.b64"),
    )
    .unwrap();
    let r = call(
        ywx_verify_local,
        &json!({"timeStampSignData": token.trim(), "originData": "12345678"}),
    );
    assert_eq!(status(&r), "0", "{r}");
    std::thread::sleep(Duration::from_millis(200));
    match listener.accept() {
        Ok((mut s, _)) => {
            let mut buf = Vec::new();
            let _ = s.read_to_end(&mut buf);
            panic!(
                "ywx_verify_local connected to the gateway: {}",
                String::from_utf8_lossy(&buf)
            );
        }
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock),
    }
    std::fs::remove_dir_all(dir).ok();
}
