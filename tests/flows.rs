//! The vendor document's scenarios, played by a scripted HIS through the C ABI while
//! the simulator plays the doctor's phone.

use std::process::Command;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};
use ywx::ffi::*;
use ywx_sim::{SELF_SIGN_DOCTOR, SIGNING_DOCTOR, SignAlg, Sim, SimOptions};
use ywx_testkit::*;

/// This binary's simulator signs with ECDSA P-256 (`--sign-alg ecdsa`), whose
/// P7, P1, chain and timestamps openssl verifies whole (OpenSSL 3.0 takes
/// no SM2 in CMS; the simulator's own tests cross-check SM2 piece by piece).
fn sim() -> &'static Sim {
    sim_with(SimOptions {
        sign_alg: SignAlg::Ecdsa,
        ..Default::default()
    })
}

fn push(order: &Value) -> String {
    let r = call(ywx_sign_data, order);
    assert_eq!(status(&r), "0", "push: {r}");
    r["data"]["uniqueId"].as_str().unwrap().to_string()
}

fn wait(unique_id: &str) -> Value {
    call(
        ywx_sign_wait,
        &json!({"uniqueId": unique_id, "timeoutSeconds": 10, "intervalMs": 50}),
    )
}

fn openssl(args: &[&str], dir: &std::path::Path) -> std::process::Output {
    Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl must be installed (.ci/run installs it)")
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ywx-{name}-{}", ur_id("")));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn push_doctor_signs_his_fetches_p7_and_p1_and_verifies() {
    let sim = sim();
    // The HIS checks that the doctor may sign (process 2, stamp reviewed).
    let doctor = call(
        ywx_doctor_search,
        &json!({"body": {"openId": SIGNING_DOCTOR}}),
    );
    assert_eq!(doctor["data"]["process"], "2", "{doctor}");
    assert_eq!(doctor["data"]["stampStatus"], "11", "{doctor}");

    // The HIS pushes a prescription; ywx hashes the text locally (SM3).
    let ur = ur_id("rx");
    let mut order = hash_order(&ur, SIGNING_DOCTOR);
    let body = &mut order["msg"]["body"];
    body.as_object_mut().unwrap().remove("hashValue");
    body.as_object_mut().unwrap().remove("hashType");
    body["originData"] = json!("处方：阿莫西林胶囊 0.25g×24粒，一次2粒，一日3次");
    let unique_id = push(&order);
    let status_now = call(ywx_sign_status, &json!({"body": {"uniqueId": unique_id}}));
    assert_eq!(status_now["data"]["status"], 0, "{status_now}");
    let pending = call(ywx_doctor_pending, &json!({"openId": SIGNING_DOCTOR}));
    assert_eq!(pending["data"], true, "{pending}");

    // The doctor signs on the phone; the HIS waits for it.
    control(
        sim,
        "/sim/sign",
        &json!({"uniqueId": unique_id, "action": "sign"}),
    );
    let done = wait(&unique_id);
    assert_eq!(done["data"]["status"], 2, "{done}");

    // P7, verified with openssl against the simulator's CA.
    let digest = call(
        ywx_digest,
        &json!({"originData": "处方：阿莫西林胶囊 0.25g×24粒，一次2粒，一日3次"}),
    );
    let hash = B64
        .decode(digest["data"]["hashValue"].as_str().unwrap())
        .unwrap();
    let p7 = call(
        ywx_sign_result,
        &json!({"body": {"uniqueId": unique_id, "isP1": false}}),
    );
    assert_eq!(status(&p7), "0", "{p7}");
    let dir = temp_dir("p7");
    std::fs::write(dir.join("ca.pem"), sim.ca_pem()).unwrap();
    std::fs::write(
        dir.join("p7.der"),
        B64.decode(p7["data"]["signedData"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    let out = openssl(
        &[
            "cms",
            "-verify",
            "-inform",
            "DER",
            "-in",
            "p7.der",
            "-CAfile",
            "ca.pem",
            "-out",
            "content.bin",
        ],
        &dir,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read(dir.join("content.bin")).unwrap(), hash);

    // P1 and the doctor's certificate.
    let p1 = call(
        ywx_sign_result,
        &json!({"body": {"uniqueId": unique_id, "isP1": "true"}}),
    );
    std::fs::write(
        dir.join("p1.bin"),
        B64.decode(p1["data"]["p1"].as_str().unwrap()).unwrap(),
    )
    .unwrap();
    std::fs::write(
        dir.join("cert.der"),
        B64.decode(p1["data"]["cert"].as_str().unwrap()).unwrap(),
    )
    .unwrap();
    let out = openssl(
        &[
            "x509", "-inform", "DER", "-in", "cert.der", "-pubkey", "-noout", "-out", "pub.pem",
        ],
        &dir,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = openssl(
        &[
            "dgst",
            "-sha256",
            "-verify",
            "pub.pem",
            "-signature",
            "p1.bin",
            "content.bin",
        ],
        &dir,
    );
    assert!(
        out.status.success(),
        "P1: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = openssl(
        &[
            "x509", "-inform", "DER", "-in", "cert.der", "-out", "cert.pem",
        ],
        &dir,
    );
    assert!(out.status.success());
    let out = openssl(&["verify", "-CAfile", "ca.pem", "cert.pem"], &dir);
    assert!(
        out.status.success(),
        "the doctor's certificate chains to the CA"
    );

    // Verification: the same fields verify, a changed one does not.
    let mut verify = json!({"head": {"uniqueId": unique_id}, "body": order["msg"]["body"].clone()});
    let ok = call(ywx_verify_data, &verify);
    assert_eq!(ok["data"]["verifyResult"], true, "{ok}");
    verify["body"]["patientName"] = json!("地猫");
    let bad = call(ywx_verify_data, &verify);
    assert_eq!(status(&bad), "0", "{bad}");
    assert_eq!(bad["data"]["verifyResult"], false, "{bad}");
    let ts = call(
        ywx_verify_timestamp,
        &json!({"body": {"uniqueId": unique_id}}),
    );
    assert_eq!(ts["data"]["verifyResult"], true, "{ts}");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn doctor_refuses_and_the_reason_reaches_the_his() {
    let sim = sim();
    let unique_id = push(&hash_order(&ur_id("refuse"), SIGNING_DOCTOR));
    control(
        sim,
        "/sim/sign",
        &json!({"uniqueId": unique_id, "action": "refuse", "reason": "剂量有误"}),
    );
    let done = wait(&unique_id);
    assert_eq!(done["data"]["status"], 6, "{done}");
    let result = call(ywx_sign_result, &json!({"body": {"uniqueId": unique_id}}));
    assert_eq!(result["data"]["failReason"], "剂量有误", "{result}");
}

#[test]
fn self_sign_grant_then_orders_sign_themselves_until_quit() {
    let sim = sim();
    let tag = "HISFLOW";
    let r = call(
        ywx_selfsign_request,
        &json!({"body": {"openId": SELF_SIGN_DOCTOR, "sysTag": tag}}),
    );
    assert_eq!(status(&r), "0", "{r}");
    let waiting = call(
        ywx_selfsign_wait,
        &json!({"openId": SELF_SIGN_DOCTOR, "sysTag": tag, "timeoutSeconds": 1, "intervalMs": 100}),
    );
    assert_eq!(status(&waiting), "YWX-4002", "not scanned yet: {waiting}");
    assert_eq!(waiting["data"]["data"]["grantStep"], 0, "{waiting}");

    control(
        sim,
        "/sim/scan",
        &json!({"openId": SELF_SIGN_DOCTOR, "sysTag": tag, "approve": true}),
    );
    let granted = call(
        ywx_selfsign_wait,
        &json!({"openId": SELF_SIGN_DOCTOR, "sysTag": tag, "timeoutSeconds": 5}),
    );
    assert_eq!(granted["data"]["grantStep"], 1, "{granted}");

    let mut order = hash_order(&ur_id("auto"), SELF_SIGN_DOCTOR);
    order["msg"]["head"]["sysTag"] = json!(tag);
    let pushed = call(ywx_sign_data, &order);
    assert_eq!(pushed["data"]["isSelfSign"], "true", "{pushed}");
    let unique_id = pushed["data"]["uniqueId"].as_str().unwrap();
    let st = call(ywx_sign_status, &json!({"body": {"uniqueId": unique_id}}));
    assert_eq!(st["data"]["status"], 2, "auto-signed: {st}");

    let quit = call(
        ywx_selfsign_quit,
        &json!({"body": {"openId": SELF_SIGN_DOCTOR, "sysTag": tag}}),
    );
    assert_eq!(status(&quit), "0", "{quit}");
    let mut order = hash_order(&ur_id("manual"), SELF_SIGN_DOCTOR);
    order["msg"]["head"]["sysTag"] = json!(tag);
    let unique_id = push(&order);
    let st = call(ywx_sign_status, &json!({"body": {"uniqueId": unique_id}}));
    assert_eq!(
        st["data"]["status"], 0,
        "after quit the doctor signs by hand: {st}"
    );
}

#[test]
fn oauth_login_by_scan() {
    let sim = sim();
    let r = call(ywx_oauth_authorize, &json!({}));
    assert_eq!(status(&r), "0", "{r}");
    let png = B64
        .decode(r["data"]["imgBase64"].as_str().unwrap())
        .unwrap();
    assert!(png.starts_with(b"\x89PNG"), "a PNG QR code");
    let request_id = r["data"]["requestId"].as_str().unwrap().to_string();
    let early = call(ywx_oauth_tokeninfo, &json!({"requestId": request_id}));
    assert_ne!(status(&early), "0", "before the scan: {early}");

    let scanner = {
        let base = sim.base_url().to_string();
        let request_id = request_id.clone();
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(300));
            ureq::post(&format!("{base}/sim/scan"))
                .header("Content-Type", "application/json")
                .send(json!({"requestId": request_id, "openId": SIGNING_DOCTOR}).to_string())
                .unwrap();
        })
    };
    let user = call(
        ywx_oauth_wait,
        &json!({"requestId": request_id, "timeoutSeconds": 10, "intervalMs": 100}),
    );
    scanner.join().unwrap();
    assert_eq!(status(&user), "0", "{user}");
    assert_eq!(user["data"]["openId"], SIGNING_DOCTOR);
}

#[test]
fn auth_binding_order_is_claimed_by_the_doctor_who_scans() {
    let sim = sim();
    let mut order = hash_order(&ur_id("bind"), "");
    order["signType"] = json!(4);
    order["msg"]["body"]
        .as_object_mut()
        .unwrap()
        .remove("openId");
    let r = call(ywx_sign_data, &order);
    assert_eq!(status(&r), "0", "{r}");
    assert!(r["data"]["authSignQRCode"].as_str().is_some(), "{r}");
    let unique_id = r["data"]["uniqueId"].as_str().unwrap().to_string();
    let st = call(ywx_sign_status, &json!({"body": {"uniqueId": unique_id}}));
    assert_eq!(st["data"]["status"], 10, "{st}");

    control(
        sim,
        "/sim/scan",
        &json!({"uniqueId": unique_id, "openId": SIGNING_DOCTOR, "approve": true}),
    );
    control(
        sim,
        "/sim/sign",
        &json!({"uniqueId": unique_id, "action": "sign"}),
    );
    let done = wait(&unique_id);
    assert_eq!(done["data"]["status"], 2, "{done}");
    assert_eq!(done["data"]["openId"], SIGNING_DOCTOR, "{done}");
}

#[test]
fn pending_orders_can_be_deleted_signed_ones_cannot() {
    let sim = sim();
    let pending = push(&hash_order(&ur_id("del"), SIGNING_DOCTOR));
    let r = call(ywx_sign_delete, &json!({"body": {"uniqueId": pending}}));
    assert_eq!(status(&r), "0", "{r}");
    let st = call(ywx_sign_status, &json!({"body": {"uniqueId": pending}}));
    assert_eq!(st["data"]["status"], 8, "{st}");

    let signed = push(&hash_order(&ur_id("keep"), SIGNING_DOCTOR));
    control(
        sim,
        "/sim/sign",
        &json!({"uniqueId": signed, "action": "sign"}),
    );
    let r = call(ywx_sign_delete, &json!({"body": {"uniqueId": signed}}));
    assert_ne!(status(&r), "0", "{r}");
}

#[test]
fn same_ur_id_pushed_twice_is_one_order() {
    sim();
    let ur = ur_id("twice");
    let a = push(&hash_order(&ur, SIGNING_DOCTOR));
    let b = push(&hash_order(&ur, SIGNING_DOCTOR));
    assert_eq!(a, b);
}

#[test]
fn business_pdf_pushed_from_a_file() {
    let sim = sim();
    let dir = temp_dir("pdf");
    let pdf = dir.join("合同.pdf");
    std::fs::write(&pdf, tiny_pdf()).unwrap();
    let r = call(
        ywx_sign_business,
        &json!({"signType": 0, "msg": {"head": {"templateId": "contract_001"}, "body": {
            "urId": ur_id("biz"), "openId": ywx_sim::BUSINESS_DOCTOR, "viewName": "张三",
            "viewTime": "2024-05-01 10:00:00", "pdfFile": pdf.to_str().unwrap(),
            "viewSubject": "采购合同（2024）", "viewRemark": "请审阅"}}}),
    );
    assert_eq!(status(&r), "0", "{r}");
    let unique_id = r["data"]["uniqueId"].as_str().unwrap().to_string();
    control(
        sim,
        "/sim/sign",
        &json!({"uniqueId": unique_id, "action": "sign"}),
    );
    let result = call(ywx_sign_result, &json!({"body": {"uniqueId": unique_id}}));
    let signed = B64
        .decode(result["data"]["signedPdfBase64"].as_str().unwrap())
        .unwrap();
    assert!(signed.starts_with(b"%PDF-"), "{result}");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn list_by_time_pages_through_todays_orders() {
    sim();
    let start = chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string();
    for _ in 0..12 {
        push(&hash_order(&ur_id("page"), SIGNING_DOCTOR));
    }
    let end = (chrono::Local::now() + chrono::Duration::seconds(2))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    let page = |n: i64| {
        call(
            ywx_sign_list,
            &json!({"body": {"startDate": start, "endDate": end, "pageNum": n, "pageSize": 5}}),
        )
    };
    let first = page(1);
    assert_eq!(status(&first), "0", "{first}");
    let total = first["data"]["total"].as_i64().unwrap();
    assert!(total >= 12, "{first}");
    assert_eq!(first["data"]["pages"].as_i64().unwrap(), (total + 4) / 5);
    assert_eq!(first["data"]["list"].as_array().unwrap().len(), 5);
    // pageNum and pageSize default to 1 and 10.
    let default = call(
        ywx_sign_list,
        &json!({"body": {"startDate": start, "endDate": end}}),
    );
    assert_eq!(default["data"]["pageSize"], 10, "{default}");
}
