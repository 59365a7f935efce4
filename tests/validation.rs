//! Every field rule of the vendor document's tables, broken one at a time, and bad input at every
//! export: each a documented error envelope naming the field, nothing sent.

use std::ffi::{CString, c_char};

use serde_json::{Value, json};
use ywx::ffi::*;
use ywx_testkit::*;

/// Every export of a method with a request that must have one (the outbox
/// methods take NULL as `{}`), from `src/ffi/generated.rs`.
fn exports() -> Vec<(&'static str, Export)> {
    METHOD_EXPORTS
        .iter()
        .copied()
        .filter(|(name, _)| {
            !ywx::methods::TABLE
                .iter()
                .any(|e| e.method.name == *name && e.null_is_empty)
        })
        .collect()
}

/// The generated exports are the table's methods with a request, so a new
/// method cannot miss the tests below.
#[test]
fn the_export_list_is_the_method_table() {
    let mut listed: Vec<&str> = METHOD_EXPORTS.iter().map(|(n, _)| *n).collect();
    listed.sort();
    let mut table: Vec<&str> = ywx::methods::ALL
        .iter()
        .filter(|m| {
            m.exported
                && matches!(
                    m.run,
                    ywx::methods::Run::Gateway | ywx::methods::Run::Local(_)
                )
        })
        .map(|m| m.name)
        .collect();
    table.sort();
    assert_eq!(
        listed, table,
        "src/ffi/generated.rs is stale: cargo run -p ywx-gen"
    );
    let optional: Vec<&str> = METHOD_EXPORTS
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| !exports().iter().any(|(e, _)| e == n))
        .collect();
    assert_eq!(optional, ["outbox_list", "outbox_flush"]);
}

fn expect_error(r: &Value, code: &str, status_: &str) {
    assert_eq!(status(r), status_, "{r}");
    assert_eq!(r["error"]["code"], code, "{r}");
    assert!(!r["message"].as_str().unwrap().is_empty());
    assert!(r.get("data").is_some(), "every envelope has data: {r}");
}

#[test]
fn bad_input_at_every_export() {
    sim();
    for (name, f) in exports() {
        // SAFETY: NULL is part of the contract.
        let r = take(unsafe { f(std::ptr::null()) });
        expect_error(&r, "INVALID_ARGUMENT", "YWX-1002");
        assert_eq!(r["error"]["field"], "request_json", "{name}");

        let r = call_text(f, "");
        expect_error(&r, "INVALID_JSON", "YWX-1001");

        let r = call_text(f, "{\"body\": {\"urId\": 1,}\n}");
        expect_error(&r, "INVALID_JSON", "YWX-1001");
        assert!(
            r["message"].as_str().unwrap().contains("第 1 行"),
            "{name}: {r}"
        );

        let r = call_text(f, "[1, 2]");
        assert_eq!(status(&r), "YWX-1002", "{name}: {r}");

        let bytes = [b'{', b'"', 0xC3, 0x28, b'"', b'}', 0];
        // SAFETY: a NUL-terminated byte string.
        let r = take(unsafe { f(bytes.as_ptr().cast::<c_char>()) });
        expect_error(&r, "INVALID_ENCODING", "YWX-1003");
    }
}

#[test]
fn fifty_megabytes_is_refused_before_parsing() {
    sim();
    let mut big = String::from("{\"body\":{\"uniqueId\":\"");
    big.push_str(&"A".repeat(50 * 1024 * 1024));
    big.push_str("\"}}");
    let r = call_text(ywx_sign_status, &big);
    expect_error(&r, "INPUT_TOO_LARGE", "YWX-1005");
}

#[test]
fn unknown_method_and_call_reach_every_method() {
    sim();
    let method = CString::new("sign_everything").unwrap();
    let req = CString::new("{}").unwrap();
    // SAFETY: valid C strings.
    let r = take(unsafe { ywx_call(method.as_ptr(), req.as_ptr()) });
    expect_error(&r, "UNKNOWN_METHOD", "YWX-1006");
    // SAFETY: NULL method is part of the contract.
    let r = take(unsafe { ywx_call(std::ptr::null(), req.as_ptr()) });
    expect_error(&r, "UNKNOWN_METHOD", "YWX-1006");
    // ywx_call knows every export by its name (an empty body proves dispatch:
    // each method answers with its own validation, never UNKNOWN_METHOD).
    for (name, _) in exports() {
        let m = CString::new(name).unwrap();
        // SAFETY: valid C strings.
        let r = take(unsafe { ywx_call(m.as_ptr(), req.as_ptr()) });
        assert_ne!(r["error"]["code"], "UNKNOWN_METHOD", "{name}: {r}");
    }
}

#[test]
fn call_buf_reports_the_size_and_never_runs_a_request_twice() {
    let sim = sim();
    let order = hash_order(&ur_id("buf"), ywx_sim::SIGNING_DOCTOR);
    let method = CString::new("sign_data").unwrap();
    let req = CString::new(order.to_string()).unwrap();
    let calls = |s: &Value| {
        s["calls"]["/gateway/recipe/synRecipeInfo"]
            .as_u64()
            .unwrap_or(0)
    };
    let before = calls(&sim_state(sim));
    let mut small = [0 as c_char; 8];
    // SAFETY: the buffer has 8 writable bytes.
    let need = unsafe { ywx_call_buf(method.as_ptr(), req.as_ptr(), small.as_mut_ptr(), 8) };
    assert!(need > 8, "{need}");
    assert_eq!(small[0], 0, "too small: an empty string");
    let mut buf = vec![0 as c_char; need as usize + 1];
    // SAFETY: the buffer has need + 1 writable bytes.
    let got = unsafe { ywx_call_buf(method.as_ptr(), req.as_ptr(), buf.as_mut_ptr(), need + 1) };
    assert_eq!(got, need);
    // SAFETY: NUL-terminated by ywx_call_buf.
    let text = unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) }
        .to_str()
        .unwrap();
    let r: Value = serde_json::from_str(text).unwrap();
    assert_eq!(status(&r), "0", "{r}");
    assert_eq!(calls(&sim_state(sim)), before + 1, "the push ran once");
    // Asking for the size with NULL, then fetching with "last_result".
    let digest = CString::new("digest").unwrap();
    let dreq = CString::new(r#"{"originData":"abc"}"#).unwrap();
    // SAFETY: NULL with size 0 is allowed.
    let need = unsafe { ywx_call_buf(digest.as_ptr(), dreq.as_ptr(), std::ptr::null_mut(), 0) };
    let last = CString::new("last_result").unwrap();
    let mut buf = vec![0 as c_char; need as usize + 1];
    // SAFETY: as above.
    let got = unsafe { ywx_call_buf(last.as_ptr(), std::ptr::null(), buf.as_mut_ptr(), need + 1) };
    assert_eq!(got, need);
    // SAFETY: negative size is refused without touching memory.
    assert_eq!(
        unsafe { ywx_call_buf(digest.as_ptr(), dreq.as_ptr(), buf.as_mut_ptr(), -5) },
        -1
    );
}

/// (export, a valid request, JSON pointer to change, new value or null to
/// remove, the field the error must name).
fn cases() -> Vec<(Export, Value, &'static str, Value, &'static str)> {
    let order = hash_order("A1", ywx_sim::SIGNING_DOCTOR);
    let pdf = base64_pdf();
    let roles_order = json!({"signType": 0, "msg": {"head": {"templateId": "personRolesPdf"}, "body": {
        "urId": "R1", "openId": ywx_sim::SIGNING_DOCTOR, "patientName": "张三", "patientAge": "19",
        "patientSex": "女", "patientCardType": "QT", "recipeTime": "2021-01-20 13:23:10",
        "pdfBase64": pdf, "roles": [{"keyword": "签名处", "moveType": "1", "searchOrder": "2"}]}}});
    let business = json!({"signType": "0", "msg": {"head": {"templateId": "office_001"}, "body": {
        "urId": "B1", "openId": ywx_sim::BUSINESS_DOCTOR, "viewName": "张三",
        "viewTime": "2020-02-02 00:00:00", "pdfBase64": pdf}}});
    let verify = json!({"head": {"uniqueId": "u1"}, "body": order["msg"]["body"].clone()});
    let list =
        json!({"body": {"startDate": "2020-01-01 00:00:00", "endDate": "2020-01-02 00:00:00"}});
    let s = |n: usize| json!("字".repeat(n));
    vec![
        (
            ywx_sign_data,
            order.clone(),
            "/msg/body/urId",
            json!("abc-123"),
            "body.urId",
        ),
        (
            ywx_sign_data,
            order.clone(),
            "/msg/body/urId",
            json!("a".repeat(65)),
            "body.urId",
        ),
        (
            ywx_sign_data,
            order.clone(),
            "/msg/body/openId",
            Value::Null,
            "body.openId",
        ),
        (
            ywx_sign_data,
            order.clone(),
            "/msg/body/patientName",
            Value::Null,
            "body.patientName",
        ),
        (
            ywx_sign_data,
            order.clone(),
            "/msg/body/patientSex",
            json!("M"),
            "body.patientSex",
        ),
        (
            ywx_sign_data,
            order.clone(),
            "/msg/body/patientCardType",
            json!("JG"),
            "body.patientCardType",
        ),
        (
            ywx_sign_data,
            order.clone(),
            "/msg/body/patientCard",
            json!("1".repeat(21)),
            "body.patientCard",
        ),
        (
            ywx_sign_data,
            order.clone(),
            "/msg/body/recipeTime",
            json!("2017/06/11 11:32:33"),
            "body.recipeTime",
        ),
        (
            ywx_sign_data,
            order.clone(),
            "/msg/body/recipeTime",
            json!("2017-13-11 11:32:33"),
            "body.recipeTime",
        ),
        (
            ywx_sign_data,
            order.clone(),
            "/msg/body/subject",
            s(51),
            "body.subject",
        ),
        (
            ywx_sign_data,
            order.clone(),
            "/msg/body/subject",
            json!("护理记录😀"),
            "body.subject",
        ),
        (
            ywx_sign_data,
            order.clone(),
            "/msg/body/tag",
            json!("a,b,c,d,e,f"),
            "body.tag",
        ),
        (
            ywx_sign_data,
            order.clone(),
            "/msg/body/tag",
            json!("abcdef"),
            "body.tag",
        ),
        (
            ywx_sign_data,
            order.clone(),
            "/msg/body/hashType",
            json!("MD5"),
            "body.hashType",
        ),
        (
            ywx_sign_data,
            order.clone(),
            "/msg/body/hashValue",
            json!("not base64!"),
            "body.hashValue",
        ),
        (
            ywx_sign_data,
            order.clone(),
            "/msg/body/hashValue",
            Value::Null,
            "body.hashValue",
        ),
        (
            ywx_sign_data,
            order.clone(),
            "/signType",
            json!("1"),
            "signType",
        ),
        (
            ywx_sign_data,
            order.clone(),
            "/signType",
            Value::Null,
            "signType",
        ),
        (
            ywx_sign_data,
            order.clone(),
            "/msg/head/templateId",
            json!("contract_001"),
            "head.templateId",
        ),
        (
            ywx_sign_data,
            order.clone(),
            "/msg/head/templateId",
            Value::Null,
            "head.templateId",
        ),
        (
            ywx_sign_data,
            order.clone(),
            "/msg/head/appendixFileBase64",
            json!("eA=="),
            "head.appendixFileBase64",
        ),
        (
            ywx_sign_data,
            order.clone(),
            "/msg/body",
            Value::Null,
            "body",
        ),
        (ywx_sign_data, order.clone(), "/msg", Value::Null, "msg"),
        (
            ywx_sign_data,
            order.clone(),
            "/msg/head",
            json!("x"),
            "msg.head",
        ),
        (
            ywx_sign_data,
            roles_order.clone(),
            "/msg/body/roles",
            Value::Null,
            "body.roles",
        ),
        (
            ywx_sign_data,
            roles_order.clone(),
            "/msg/body/roles",
            json!([{"locationPage": 1, "x": 10, "y": 100}]),
            "body.roles[0].x",
        ),
        (
            ywx_sign_data,
            roles_order.clone(),
            "/msg/body/roles",
            json!([{"x": 100, "y": 100}]),
            "body.roles[0].locationPage",
        ),
        (
            ywx_sign_data,
            roles_order.clone(),
            "/msg/body/roles",
            json!([{"keyword": "签 名"}]),
            "body.roles[0].keyword",
        ),
        (
            ywx_sign_data,
            roles_order.clone(),
            "/msg/body/roles/0/moveType",
            json!("4"),
            "body.roles[0].moveType",
        ),
        (
            ywx_sign_data,
            roles_order.clone(),
            "/msg/body/roles/0/searchOrder",
            json!(3),
            "body.roles[0].searchOrder",
        ),
        (
            ywx_sign_data,
            roles_order.clone(),
            "/msg/body/pdfBase64",
            json!("pdfBase64"),
            "body.pdfBase64",
        ),
        (
            ywx_sign_business,
            business.clone(),
            "/msg/body/urId",
            json!("a".repeat(33)),
            "body.urId",
        ),
        (
            ywx_sign_business,
            business.clone(),
            "/msg/body/viewTime",
            json!("2020-02-02"),
            "body.viewTime",
        ),
        (
            ywx_sign_business,
            business.clone(),
            "/msg/body/viewName",
            Value::Null,
            "body.viewName",
        ),
        (
            ywx_sign_business,
            business.clone(),
            "/msg/body/viewSubject",
            s(51),
            "body.viewSubject",
        ),
        (
            ywx_sign_business,
            business.clone(),
            "/msg/body/viewRemark",
            s(301),
            "body.viewRemark",
        ),
        (
            ywx_sign_business,
            business.clone(),
            "/msg/body/pdfBase64",
            json!(big_pdf_base64()),
            "body.pdfBase64",
        ),
        (
            ywx_sign_business,
            business.clone(),
            "/signType",
            json!(4),
            "signType",
        ),
        (
            ywx_sign_business,
            business.clone(),
            "/msg/head/templateId",
            json!("hash"),
            "head.templateId",
        ),
        (
            ywx_sign_business,
            business.clone(),
            "/msg/body/openId",
            Value::Null,
            "body.openId",
        ),
        (
            ywx_doctor_search,
            json!({"body": {"openId": "x"}}),
            "/body/openId",
            json!(""),
            "body",
        ),
        (
            ywx_oauth_authorize,
            json!({}),
            "/sessionTime",
            json!(17),
            "sessionTime",
        ),
        (
            ywx_oauth_authorize,
            json!({}),
            "/responseType",
            json!("token"),
            "responseType",
        ),
        (
            ywx_oauth_authorize,
            json!({}),
            "/selfSign",
            json!("yes"),
            "selfSign",
        ),
        (
            ywx_oauth_tokeninfo,
            json!({"requestId": "r"}),
            "/requestId",
            Value::Null,
            "requestId",
        ),
        (
            ywx_selfsign_request,
            json!({"body": {"openId": "o"}}),
            "/body/openId",
            Value::Null,
            "body.openId",
        ),
        (
            ywx_selfsign_request,
            json!({"body": {"openId": "o"}}),
            "/body/sessionTime",
            json!("0"),
            "body.sessionTime",
        ),
        (
            ywx_selfsign_result,
            json!({"body": {"openId": "o"}}),
            "/body/openId",
            Value::Null,
            "body.openId",
        ),
        (
            ywx_selfsign_quit,
            json!({"body": {"openId": "o"}}),
            "/body/openId",
            Value::Null,
            "body.openId",
        ),
        (
            ywx_sign_status,
            json!({"body": {"uniqueId": "u"}}),
            "/body/uniqueId",
            Value::Null,
            "body.uniqueId",
        ),
        (
            ywx_sign_result,
            json!({"body": {"uniqueId": "u"}}),
            "/body/isP1",
            json!("yes"),
            "body.isP1",
        ),
        (
            ywx_sign_delete,
            json!({"body": {"uniqueId": "u"}}),
            "/body/uniqueId",
            json!(""),
            "body.uniqueId",
        ),
        (
            ywx_verify_timestamp,
            json!({"body": {"uniqueId": "u"}}),
            "/body/uniqueId",
            Value::Null,
            "body.uniqueId",
        ),
        (
            ywx_doctor_pending,
            json!({"openId": "o"}),
            "/openId",
            Value::Null,
            "openId",
        ),
        (
            ywx_sign_list,
            list.clone(),
            "/body/startDate",
            json!("2020-01-01"),
            "body.startDate",
        ),
        (
            ywx_sign_list,
            list.clone(),
            "/body/endDate",
            Value::Null,
            "body.endDate",
        ),
        (
            ywx_sign_list,
            list.clone(),
            "/body/pageSize",
            json!("0"),
            "body.pageSize",
        ),
        (
            ywx_verify_data,
            verify.clone(),
            "/head/uniqueId",
            Value::Null,
            "head.uniqueId",
        ),
        (
            ywx_verify_data,
            verify.clone(),
            "/body/hashType",
            json!("SHA512"),
            "body.hashType",
        ),
        (
            ywx_digest,
            json!({"originData": "x"}),
            "/hashAlg",
            json!("MD5"),
            "hashAlg",
        ),
        (
            ywx_digest,
            json!({"originData": "x"}),
            "/originData",
            Value::Null,
            "originData",
        ),
        (
            ywx_sign_wait,
            json!({"uniqueId": "u"}),
            "/uniqueId",
            Value::Null,
            "uniqueId",
        ),
        (
            ywx_sign_wait,
            json!({"uniqueId": "u"}),
            "/timeoutSeconds",
            json!(-1),
            "timeoutSeconds",
        ),
    ]
}

fn set(root: &mut Value, pointer: &str, value: Value) {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let parent = root
        .pointer_mut(parent)
        .unwrap_or_else(|| panic!("{pointer}"));
    match parent {
        Value::Object(m) if value.is_null() => {
            m.remove(key);
        }
        Value::Object(m) => {
            m.insert(key.into(), value);
        }
        Value::Array(a) => a[key.parse::<usize>().unwrap()] = value,
        _ => panic!("{pointer}"),
    }
}

#[test]
fn each_rule_broken_alone_names_its_field() {
    sim();
    let mut checked = 0;
    for (f, valid, pointer, value, field) in cases() {
        let mut bad = valid.clone();
        set(&mut bad, pointer, value.clone());
        let r = call(f, &bad);
        assert_eq!(status(&r), "YWX-1002", "{pointer} = {value}: {r}");
        assert_eq!(r["error"]["field"], field, "{pointer} = {value}: {r}");
        let message = r["message"].as_str().unwrap();
        assert!(
            message.contains(field),
            "message names the field: {message}"
        );
        assert!(
            message
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "Chinese: {message}"
        );
        checked += 1;
    }
    assert!(checked > 60);
}

#[test]
fn the_valid_base_requests_pass_validation() {
    // Guards the table above: each base request is valid as it stands.
    for (f, valid, pointer, _, _) in cases() {
        let ep_name = exports()
            .into_iter()
            .find(|(_, e)| std::ptr::fn_addr_eq(*e, f))
            .unwrap()
            .0;
        let method = ywx::methods::find(ep_name).unwrap();
        if !matches!(method.run, ywx::methods::Run::Gateway) {
            continue; // digest and the wait helpers are not gateway endpoints
        }
        let prepared = ywx::api::prepare(ep_name, &valid.to_string());
        assert!(
            prepared.is_ok(),
            "{ep_name} base for {pointer}: {:?}",
            prepared.err()
        );
    }
}

#[test]
fn numbers_as_strings_and_sha_dash_256_are_accepted() {
    let prepare = |method: &str, v: &Value| ywx::api::prepare(method, &v.to_string());
    let mut order = hash_order("S1", "x");
    order["signType"] = json!("0");
    assert!(prepare("sign_data", &order).is_ok());
    order["signType"] = json!(0);
    order["msg"]["body"]["hashType"] = json!("SHA256");
    assert!(prepare("sign_data", &order).is_ok());
    let r = prepare(
        "sign_list",
        &json!({"body": {"startDate": "2020-01-01 00:00:00", "endDate": "2020-01-02 00:00:00", "pageNum": "2", "pageSize": "20"}}),
    );
    assert!(r.is_ok());
    // openId of 32 characters (the examples) as well as 35 (the table).
    assert!(
        prepare(
            "selfsign_request",
            &json!({"body": {"openId": "c1ac09f4def444f3aa5857cb65206045"}})
        )
        .is_ok()
    );
}

#[test]
fn origin_data_is_hashed_locally_and_never_sent() {
    let mut order = hash_order("O1", "x");
    let body = order["msg"]["body"].as_object_mut().unwrap();
    body.remove("hashValue");
    body.remove("hashType");
    body.insert("originData".into(), json!("病历原文"));
    body.insert("hashAlg".into(), json!("SHA-256"));
    let prepared = ywx::api::prepare("sign_data", &order.to_string()).unwrap();
    let body = &prepared["msg"]["body"];
    assert!(body.get("originData").is_none() && body.get("hashAlg").is_none());
    assert_eq!(body["hashType"], "SHA256");
    let expected = call(
        ywx_digest,
        &json!({"originData": "病历原文", "hashAlg": "SHA256"}),
    );
    assert_eq!(body["hashValue"], expected["data"]["hashValue"]);
    assert!(!prepared.to_string().contains("病历原文"));
}

fn base64_pdf() -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(tiny_pdf())
}

fn big_pdf_base64() -> String {
    use base64::Engine;
    let mut pdf = tiny_pdf();
    pdf.resize(2 * 1024 * 1024 + 1, b' ');
    base64::engine::general_purpose::STANDARD.encode(pdf)
}
