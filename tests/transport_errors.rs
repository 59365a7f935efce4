//! What an implementer meets on site: gateway down, wrong domain, slow
//! gateway, a proxy's HTML page, garbage, TLS. Each a distinct, clear error.
//! The tests reconfigure the library, so they take turns (one lock).

use std::sync::Mutex;

use serde_json::{Value, json};
use ywx::ffi::*;
use ywx_sim::{Sim, SimOptions};
use ywx_testkit::*;

static TURN: Mutex<()> = Mutex::new(());

fn with_config(config: Value, f: impl FnOnce()) {
    let _turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
    let r = init(&config);
    assert_eq!(status(&r), "0", "{r}");
    f();
}

fn status_query() -> Value {
    call(
        ywx_sign_status,
        &json!({"body": {"uniqueId": "00000000000000000000000000000000"}}),
    )
}

fn fault(sim: &Sim, mode: &str, count: u32, latency_ms: u64) {
    control(
        sim,
        "/sim/faults",
        &json!({"mode": mode, "count": count, "latencyMs": latency_ms}),
    );
}

#[test]
fn gateway_down_is_network_unreachable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    with_config(config_for(&format!("http://127.0.0.1:{port}")), || {
        let r = status_query();
        assert_eq!(status(&r), "YWX-2001", "{r}");
        assert_eq!(r["error"]["code"], "NETWORK_UNREACHABLE");
        assert!(r["message"].as_str().unwrap().contains("拒绝"), "{r}");
    });
}

#[test]
fn unknown_domain_is_network_unreachable_naming_dns() {
    with_config(config_for("http://no-such-gateway.invalid"), || {
        let r = status_query();
        assert_eq!(status(&r), "YWX-2001", "{r}");
        assert!(r["message"].as_str().unwrap().contains("DNS"), "{r}");
    });
}

#[test]
fn slow_gateway_is_a_timeout() {
    let sim = Sim::start();
    let mut config = config_for(sim.base_url());
    config["timeoutMs"] = json!(300);
    config["retry"] = json!({"attempts": 1});
    with_config(config, || {
        fault(&sim, "latency", 1, 1500);
        let r = status_query();
        assert_eq!(status(&r), "YWX-2002", "{r}");
        assert_eq!(r["error"]["code"], "TIMEOUT");
    });
}

#[test]
fn proxy_html_502_garbage_and_drop_are_told_apart() {
    let sim = Sim::start();
    let mut config = config_for(sim.base_url());
    config["retry"] = json!({"attempts": 1});
    with_config(config, || {
        fault(&sim, "http502html", 1, 0);
        let r = status_query();
        assert_eq!(status(&r), "YWX-3001", "{r}");
        assert!(r["message"].as_str().unwrap().contains("502"), "{r}");

        fault(&sim, "http500", 1, 0);
        let r = status_query();
        assert_eq!(status(&r), "YWX-3001", "{r}");

        fault(&sim, "garbage", 1, 0);
        let r = status_query();
        assert_eq!(status(&r), "YWX-3002", "{r}");

        fault(&sim, "drop", 1, 0);
        let r = status_query();
        assert_eq!(status(&r), "YWX-2001", "{r}");

        // And the gateway's own answer passes through unchanged.
        let r = status_query();
        assert!(!status(&r).starts_with("YWX-"), "{r}");
    });
}

#[test]
fn queries_retry_transient_failures() {
    let sim = Sim::start();
    let mut config = config_for(sim.base_url());
    config["retry"] = json!({"attempts": 3, "backoffMs": 10});
    with_config(config, || {
        fault(&sim, "http502html", 2, 0);
        let r = status_query();
        assert!(
            !status(&r).starts_with("YWX-"),
            "third try reached the gateway: {r}"
        );
        assert_eq!(sim_state(&sim)["faultsPending"], 0);
    });
}

#[test]
fn wrong_secret_is_the_gateways_own_answer() {
    let sim = Sim::start();
    let mut config = config_for(sim.base_url());
    config["clientSecret"] = json!("0000000000000000");
    with_config(config, || {
        let r = call(ywx_sign_result, &json!({"body": {"uniqueId": "x"}}));
        assert_ne!(status(&r), "0", "{r}");
        assert!(!status(&r).starts_with("YWX-"), "{r}");
        assert!(
            r["message"].as_str().unwrap().contains("clientSecret"),
            "{r}"
        );
    });
}

#[test]
fn tls_untrusted_fails_and_ca_file_succeeds() {
    let dir = std::env::temp_dir().join(format!("ywx-tls-{}", ur_id("")));
    let sim = Sim::start_with(SimOptions {
        tls_dir: Some(dir.clone()),
        ..Default::default()
    })
    .unwrap();
    assert!(sim.base_url().starts_with("https://"));
    let mut config = config_for(sim.base_url());
    config["tls"] = json!({"systemStore": false});
    with_config(config.clone(), || {
        let r = status_query();
        assert_eq!(status(&r), "YWX-2003", "{r}");
        assert_eq!(r["error"]["code"], "TLS");
        assert!(r["message"].as_str().unwrap().contains("caFile"), "{r}");
    });
    config["tls"] = json!({"caFile": dir.join("ca.pem")});
    with_config(config, || {
        let r = call(
            ywx_doctor_search,
            &json!({"body": {"openId": ywx_sim::SIGNING_DOCTOR}}),
        );
        assert_eq!(status(&r), "0", "{r}");
    });
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn bad_configs_are_not_configured() {
    let _turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
    for (config, named) in [
        (json!({"clientId": "1", "clientSecret": "2"}), "baseUrl"),
        (
            json!({"baseUrl": "test.51trust.com", "clientId": "1", "clientSecret": "2"}),
            "baseUrl",
        ),
        (
            json!({"baseUrl": "http://a.b", "clientId": "", "clientSecret": "2"}),
            "clientId",
        ),
        (
            json!({"baseUrl": "http://a.b", "clientId": "1", "clientSecret": "2", "encoding": "big5"}),
            "encoding",
        ),
        (
            json!({"baseUrl": "http://a.b", "clientId": "1", "clientSecret": "2", "timeout": 5}),
            "timeout",
        ),
    ] {
        let r = init(&config);
        assert_eq!(status(&r), "YWX-1004", "{r}");
        assert!(
            r["message"].as_str().unwrap().contains(named),
            "{named}: {r}"
        );
    }
    // After a failed init every call says why, with the init's own error,
    // even the local digest: a bad config never runs silently.
    let r = status_query();
    assert_eq!(status(&r), "YWX-1004", "{r}");
    assert!(r["message"].as_str().unwrap().contains("timeout"), "{r}");
    let r = call(ywx_digest, &json!({"originData": "abc"}));
    assert_eq!(status(&r), "YWX-1004", "{r}");
    // After ywx_shutdown, with no config file anywhere, the digest works.
    take(ywx_shutdown());
    let r = call(ywx_digest, &json!({"originData": "abc"}));
    assert_eq!(status(&r), "0", "{r}");
}

#[test]
fn config_file_named_by_ywx_config_and_secret_masked() {
    let sim = Sim::start();
    let _turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
    let dir = std::env::temp_dir().join(format!("ywx-cfg-{}", ur_id("")));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("ywx.json");
    let mut config = config_for(sim.base_url());
    config["log"] = json!({"dir": "logs", "level": "info"});
    std::fs::write(&path, config.to_string()).unwrap();
    // SAFETY: tests touching the environment hold TURN; no other thread reads YWX_CONFIG.
    unsafe { std::env::set_var("YWX_CONFIG", &path) };
    // SAFETY: NULL means "load the config file".
    let r = take(unsafe { ywx_init(std::ptr::null()) });
    unsafe { std::env::remove_var("YWX_CONFIG") };
    assert_eq!(status(&r), "0", "{r}");
    assert_eq!(r["data"]["clientSecret"], "20************60");
    assert!(!r.to_string().contains(ywx_sim::CLIENT_SECRET));
    assert_eq!(r["data"]["configFile"], path.to_str().unwrap());
    // Logs: relative to the config file, a line a call, no secret or patient.
    let order = hash_order(&ur_id("log"), ywx_sim::SIGNING_DOCTOR);
    let pushed = call(ywx_sign_data, &order);
    assert_eq!(status(&pushed), "0", "{pushed}");
    take(ywx_shutdown());
    let logs: Vec<_> = std::fs::read_dir(dir.join("logs")).unwrap().collect();
    assert_eq!(logs.len(), 1);
    let text = std::fs::read_to_string(logs[0].as_ref().unwrap().path()).unwrap();
    assert!(
        text.contains("sign_data") && text.contains(order["msg"]["body"]["urId"].as_str().unwrap()),
        "{text}"
    );
    for secret in [
        ywx_sim::CLIENT_SECRET,
        "天猫",
        "535689193101071814",
        "LM0WEHidhjst",
    ] {
        assert!(!text.contains(secret), "{secret} in log: {text}");
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn file_dir_writes_qr_codes_and_stamps_as_files() {
    let sim = Sim::start();
    let dir = std::env::temp_dir().join(format!("ywx-files-{}", ur_id("")));
    let mut config = config_for(sim.base_url());
    config["fileDir"] = json!(dir);
    with_config(config, || {
        let r = call(ywx_oauth_authorize, &json!({}));
        let png = std::fs::read(r["data"]["imgFile"].as_str().expect("imgFile added")).unwrap();
        assert!(png.starts_with(b"\x89PNG"), "{r}");
        let r = call(
            ywx_selfsign_request,
            &json!({"body": {"openId": ywx_sim::SELF_SIGN_DOCTOR}}),
        );
        let png = std::fs::read(r["dataFile"].as_str().expect("dataFile added")).unwrap();
        assert!(png.starts_with(b"\x89PNG"), "{r}");
        let r = call(
            ywx_sign_data,
            &hash_order(&ur_id("file"), ywx_sim::SIGNING_DOCTOR),
        );
        let stamp =
            std::fs::read(r["data"]["stampFile"].as_str().expect("stampFile added")).unwrap();
        assert!(stamp.starts_with(b"\x89PNG"), "{r}");
    });
    std::fs::remove_dir_all(dir).ok();
}
