//! Every example request of the vendor's document, verbatim, through its
//! export against the simulator: "0" where it is valid and names a seeded
//! doctor, a clear non-"0" where it names an order that does not exist, a
//! local error naming the field for the business example's placeholder.

use serde_json::{Value, json};
use ywx::ffi::*;
use ywx_sim::seed_examples::*;
use ywx_testkit::{call, sim, status};

fn example(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

#[test]
fn doctor_search_example_2_3_2() {
    sim();
    let r = call(ywx_doctor_search, &example(EX_DOCTOR_SEARCH));
    assert_eq!(status(&r), "0", "{r}");
    assert_eq!(r["data"]["openId"], "46f4064de8a71feaqd414wfc9cyd06f74f7");
    assert_eq!(r["data"]["process"], "2");
}

#[test]
fn oauth_examples_3_3() {
    sim();
    // http://test.51trust.com/gateway/oauth/authorize?responseType=code&clientId=2017070411003376
    let r = call(
        ywx_oauth_authorize,
        &json!({"responseType": "code", "clientId": "2017070411003376"}),
    );
    assert_eq!(status(&r), "0", "{r}");
    // As the real gateway answers: `time` a number, requestId 32 hex _ ms _ sysTag.
    assert_eq!(r["data"]["time"], 120, "{r}");
    let rid = r["data"]["requestId"].as_str().unwrap();
    assert_eq!(rid.split('_').count(), 3, "{rid}");
    // tokeninfo with the document's requestId, which this gateway never issued.
    let r = call(
        ywx_oauth_tokeninfo,
        &json!({"clientId": "2017070411003376", "requestId": "a4945a94fec453c9df50c7dbe393631b"}),
    );
    assert_ne!(status(&r), "0", "{r}");
    assert!(
        !status(&r).starts_with("YWX-"),
        "the gateway answers it: {r}"
    );
}

#[test]
fn selfsign_examples_4_3_1_to_4_3_3() {
    sim();
    let r = call(ywx_selfsign_request, &example(EX_SELF_SIGN_REQUEST));
    assert_eq!(status(&r), "0", "{r}");
    assert!(
        r["data"].as_str().is_some_and(|s| s.len() > 100),
        "QR base64: {r}"
    );
    let r = call(ywx_selfsign_result, &example(EX_SELF_SIGN_RESULT));
    assert_eq!(status(&r), "0", "{r}");
    let r = call(ywx_selfsign_quit, &example(EX_SELF_SIGN_QUIT));
    assert_eq!(status(&r), "0", "{r}");
}

#[test]
fn sign_data_example_4_3_5() {
    sim();
    let r = call(ywx_sign_data, &example(EX_SIGN_DATA));
    assert_eq!(status(&r), "0", "{r}");
    // As the real gateway: ^Y\d{13}[0-9a-f]{19}$
    let uid = r["data"]["uniqueId"].as_str().unwrap();
    assert!(
        uid.len() == 33
            && uid.starts_with('Y')
            && uid[1..14].bytes().all(|b| b.is_ascii_digit())
            && uid[14..]
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "{uid}"
    );
    assert!(r["data"]["timeStampSignData"].as_str().is_some(), "{r}");
}

#[test]
fn business_example_4_3_6_placeholder_is_named() {
    sim();
    let r = call(ywx_sign_business, &example(EX_BUSINESS));
    assert_eq!(status(&r), "YWX-1002", "{r}");
    assert_eq!(r["error"]["code"], "INVALID_ARGUMENT");
    assert_eq!(r["error"]["field"], "body.pdfBase64");
    assert!(r["message"].as_str().unwrap().contains("pdfBase64"));
}

#[test]
fn order_examples_name_orders_that_do_not_exist() {
    sim();
    let unknown = [
        (ywx_sign_status as ywx_testkit::Export, EX_QUERY),
        (ywx_sign_delete, EX_DELETE),
        (ywx_verify_data, EX_VERIFY),
        (ywx_verify_timestamp, EX_VERIFY_TS),
    ];
    for (f, text) in unknown {
        let r = call(f, &example(text));
        assert_ne!(status(&r), "0", "{text} → {r}");
        assert!(!status(&r).starts_with("YWX-"), "the gateway answers: {r}");
        assert!(!r["message"].as_str().unwrap_or("").is_empty(), "{r}");
    }
}

#[test]
fn list_by_time_example_5_1_1() {
    sim();
    let r = call(ywx_sign_list, &example(EX_LIST));
    assert_eq!(status(&r), "0", "{r}");
    assert_eq!(r["data"]["total"], 0, "{r}");
}

#[test]
fn exist_unsign_example_5_1_3() {
    sim();
    // http://test.51trust.com/gateway/doctor/existUnsign?openId=b561db3a671dbd39qca54w7a38y813a20aa
    let r = call(
        ywx_doctor_pending,
        &json!({"openId": "b561db3a671dbd39qca54w7a38y813a20aa"}),
    );
    assert_eq!(status(&r), "0", "{r}");
    assert!(r["data"].is_boolean(), "{r}");
}

#[test]
fn digest_4_3_4_local_equals_gateway() {
    sim();
    for alg in ["SM3", "SHA256", "SHA1", "SHA-256"] {
        let req = json!({"originData": "hash原文", "hashAlg": alg});
        let local = call(ywx_digest, &req);
        let mut remote_req = req.clone();
        remote_req["remote"] = json!(true);
        let remote = call(ywx_digest, &remote_req);
        assert_eq!(status(&local), "0", "{local}");
        assert_eq!(status(&remote), "0", "{remote}");
        assert_eq!(local["data"], remote["data"], "{alg}");
    }
    // Default SM3, as the gateway's.
    let r = call(ywx_digest, &json!({"originData": "abc"}));
    assert_eq!(r["data"]["hashType"], "SM3");
    assert_eq!(
        r["data"]["hashValue"],
        "Zsfw9GLu7dnR8tRr3BDk4kFnxIdc8veiKX2gK49LqOA="
    );
}

/// The method table's examples (the fuzz seeds, the privacy sweep) are the
/// document's, field for field, for every method the document has one for.
#[test]
fn the_method_tables_examples_are_the_documents() {
    let document = [
        ("doctor_search", EX_DOCTOR_SEARCH),
        ("selfsign_request", EX_SELF_SIGN_REQUEST),
        ("selfsign_result", EX_SELF_SIGN_RESULT),
        ("selfsign_quit", EX_SELF_SIGN_QUIT),
        ("sign_data", EX_SIGN_DATA),
        ("sign_business", EX_BUSINESS),
        ("sign_status", EX_QUERY),
        ("sign_list", EX_LIST),
        ("sign_result", EX_QUERY),
        ("sign_delete", EX_DELETE),
        ("verify_data", EX_VERIFY),
        ("verify_timestamp", EX_VERIFY_TS),
    ];
    for (name, text) in document {
        let entry = ywx::methods::TABLE
            .iter()
            .find(|e| e.method.name == name)
            .unwrap();
        let table: Value = serde_json::from_str(entry.example).unwrap();
        assert_eq!(
            table,
            example(text),
            "{name}: the example differs from the document's"
        );
    }
}
