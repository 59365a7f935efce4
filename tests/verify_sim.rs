//! The simulator signs like a Chinese CA; ywx checks what it signed, as a
//! hospital's auditor would years later: a prescription is pushed, the
//! doctor signs, the HIS fetches the P7 and the P1 (5.1.2) and keeps them
//! with the gateway's timestamp (4.3.5); then, offline, each verifies
//! against the CA chain the simulator publishes (`/sim/ca`) — for SM2 in
//! both P7 profiles, ECDSA and RSA — and a changed hash does not.
//!
//! The library is one per process, so these tests take turns.

use std::sync::Mutex;

use serde_json::{Value, json};
use ywx::ffi::*;
use ywx_sim::{P7Profile, SignAlg, Sim, SimOptions};
use ywx_testkit::*;

static TURN: Mutex<()> = Mutex::new(());

/// A prescription pushed, signed by the doctor: the push's request and
/// reply, and 5.1.2's replies for the P7 and for the P1.
struct Signed {
    order: Value,
    pushed: Value,
    p7: Value,
    p1: Value,
}

fn sign_one(sim: &Sim, verify_auto: bool) -> Signed {
    let mut config = config_for(sim.base_url());
    config["verify"] = json!({"auto": verify_auto});
    init_ok(&config);
    let order = hash_order(&ur_id("va"), ywx_sim::SIGNING_DOCTOR);
    let pushed = call(ywx_sign_data, &order);
    assert_eq!(pushed["status"], "0", "{pushed}");
    let unique_id = pushed["data"]["uniqueId"].as_str().unwrap().to_string();
    let r = control(
        sim,
        "/sim/sign",
        &json!({"uniqueId": unique_id, "action": "sign"}),
    );
    assert_ne!(r["status"], "1", "{r}");
    let fetch = |p1: bool| {
        let r = call(
            ywx_sign_result,
            &json!({"body": {"uniqueId": unique_id, "isP1": p1}}),
        );
        assert_eq!(r["status"], "0", "{r}");
        r
    };
    Signed {
        order,
        pushed,
        p7: fetch(false),
        p1: fetch(true),
    }
}

fn verify(request: Value) -> Value {
    let r = call_method("verify_local", &request);
    assert_eq!(r["status"], "0", "verification ran: {r}");
    r["data"].clone()
}

fn assert_verified(data: &Value, what: &str) {
    assert_eq!(data["verified"], true, "{what}: {data:#}");
    for check in data["checks"].as_array().unwrap() {
        assert_eq!(check["ok"], true, "{what}: {check}");
    }
}

#[test]
fn what_the_simulator_signs_verifies_offline_in_every_algorithm() {
    let _t = TURN.lock().unwrap_or_else(|p| p.into_inner());
    for (alg, profile, name, algorithm) in [
        (
            SignAlg::Sm2,
            Some(P7Profile::Gmt0010),
            "SM2 GM/T 0010",
            "SM2-SM3",
        ),
        (
            SignAlg::Sm2,
            Some(P7Profile::Pkcs7),
            "SM2 PKCS#7",
            "SM2-SM3",
        ),
        (SignAlg::Ecdsa, None, "ECDSA", "ECDSA-SHA256"),
        (SignAlg::Rsa, None, "RSA", "RSA-SHA256"),
    ] {
        let sim = Sim::start_with(SimOptions {
            sign_alg: alg,
            p7_profile: profile,
            ..SimOptions::default()
        })
        .unwrap();
        let signed = sign_one(&sim, false);
        let body = &signed.order["msg"]["body"];
        let content = json!({"hashValue": body["hashValue"], "hashType": body["hashType"]});
        let with = |evidence: Value| {
            let mut request = content.clone();
            for (k, v) in evidence.as_object().unwrap() {
                request[k] = v.clone();
            }
            request["caCerts"] = json!([sim.ca_pem()]);
            request
        };
        // The doctor's P7, as 5.1.2 returns it.
        let data = verify(with(json!({"signedData": signed.p7["data"]["signedData"]})));
        assert_verified(&data, &format!("{name} P7"));
        assert_eq!(data["algorithm"], algorithm, "{name}");
        assert_eq!(data["chain"]["trusted"], true, "{name}");
        // The doctor, up to the first anchor: /sim/ca's intermediate is one
        // (every certificate given as trusted is an anchor).
        assert!(
            data["chain"]["path"].as_array().unwrap().len() >= 2,
            "{name}: {data}"
        );
        // The P1 with the doctor's certificate.
        let p1 = &signed.p1["data"];
        let data = verify(with(json!({"p1": p1["p1"], "cert": p1["cert"]})));
        assert_verified(&data, &format!("{name} P1"));
        // The gateway's timestamp over the pushed data (4.3.5).
        let stamp = &signed.pushed["data"]["timeStampSignData"];
        let data = verify(with(json!({"timeStampSignData": stamp})));
        assert_verified(&data, &format!("{name} timestamp"));
        // Another hash: not verified, the content check says why.
        let mut other = with(json!({"signedData": signed.p7["data"]["signedData"]}));
        other["hashValue"] = json!("q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=");
        other["hashType"] = json!("SHA256");
        assert_ne!(other["hashValue"], body["hashValue"]);
        let data = verify(other);
        assert_eq!(data["verified"], false, "{name}: {data}");
        // Another CA: the chain is not trusted.
        let stranger = Sim::start_with(SimOptions {
            sign_alg: alg,
            ..SimOptions::default()
        })
        .unwrap();
        let mut untrusted = with(json!({"signedData": signed.p7["data"]["signedData"]}));
        untrusted["caCerts"] = json!([stranger.ca_pem()]);
        let data = verify(untrusted);
        assert_eq!(data["verified"], false, "{name}: {data}");
        assert_eq!(data["chain"]["trusted"], false, "{name}: {data}");
    }
}

#[test]
fn with_verify_auto_a_detached_p7_is_checked_against_the_push_the_outbox_kept() {
    let _t = TURN.lock().unwrap_or_else(|p| p.into_inner());
    let sim = Sim::start_with(SimOptions {
        p7_detached: true,
        ..SimOptions::default()
    })
    .unwrap();
    let dir = temp_dir("auto-ca");
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, sim.ca_pem()).unwrap();
    let mut config = config_for(sim.base_url());
    config["verify"] = json!({"auto": true, "caFile": ca});
    init_ok(&config);
    let order = hash_order(&ur_id("auto"), ywx_sim::SIGNING_DOCTOR);
    let pushed = call(ywx_sign_data, &order);
    assert_eq!(pushed["status"], "0", "{pushed}");
    assert_verified(&pushed["data"]["localVerify"], "4.3.5's timestamp");
    let unique_id = pushed["data"]["uniqueId"].as_str().unwrap();
    control(
        &sim,
        "/sim/sign",
        &json!({"uniqueId": unique_id, "action": "sign"}),
    );
    for p1 in [false, true] {
        let r = call(
            ywx_sign_result,
            &json!({"body": {"uniqueId": unique_id, "isP1": p1}}),
        );
        assert_eq!(r["status"], "0", "{r}");
        assert_verified(&r["data"]["localVerify"], &format!("5.1.2 isP1={p1}"));
    }
}
