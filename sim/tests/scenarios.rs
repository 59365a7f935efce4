//! The vendor document's scenarios, walked over real HTTP.

mod common;
use base64::Engine;
use common::*;
use serde_json::json;
use ywx_sim::*;

#[test]
fn doctor_search_every_state() {
    let c = C::new();
    let cases = [
        (SEARCH_DOCTOR, "2", "11"),
        (SELF_SIGN_DOCTOR, "2", "11"),
        (SIGNING_DOCTOR, "2", "11"),
        (BUSINESS_DOCTOR, "2", "11"),
        (UNSIGN_DOCTOR, "2", "11"),
        (DOCTOR_PROCESS_0, "0", ""),
        (DOCTOR_PROCESS_1, "1", ""),
        (DOCTOR_PROCESS_3, "3", "11"),
        (DOCTOR_PROCESS_4, "4", ""),
        (DOCTOR_PROCESS_5, "5", "11"),
        (DOCTOR_STAMP_UNREVIEWED, "2", "10"),
    ];
    for (id, process, stamp) in cases {
        let d = c.ok(
            "/gateway/doctor/synDoctorSearch",
            json!({"head": {"clientId": CLIENT_ID}, "body": {"openId": id}}),
        );
        assert_eq!(d["openId"], id);
        assert_eq!(d["process"], process, "{d}");
        assert_eq!(d["stampStatus"], stamp, "{d}");
        assert!(!d["userName"].as_str().unwrap().is_empty());
        // search by phone, id card and employee number finds the same doctor
        for (k, f) in [
            ("phone", "phoneNum"),
            ("userIdcardNum", "userIdcardNum"),
            ("employeeNumber", "employeeNumber"),
        ] {
            let d2 = c.ok(
                "/gateway/doctor/synDoctorSearch",
                json!({"head": {"clientId": CLIENT_ID}, "body": {k: d[f]}}),
            );
            assert_eq!(d2["openId"], id);
        }
        // pushing sign data works only for process 2 + stamp 11
        let r = c.post(
            "/gateway/recipe/synRecipeInfo",
            &json!({"signType": 0, "msg": {"head": head_t("hash"), "body": hash_body(&format!("u{}", process.to_string() + stamp), id)}}),
        );
        let signable = process == "2" && stamp == "11";
        assert_eq!(r["status"] == "0", signable, "{id}: {r}");
        if !signable {
            assert_eq!(r["status"], "2002");
        }
    }
    let stamp = c.ok(
        "/gateway/doctor/synDoctorSearch",
        json!({"head": {"clientId": CLIENT_ID}, "body": {"openId": SIGNING_DOCTOR}}),
    )["stamp"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(B64.decode(stamp).unwrap().starts_with(b"\x89PNG"));
    let v = c.fail(
        "/gateway/doctor/synDoctorSearch",
        json!({"head": {"clientId": CLIENT_ID}, "body": {"openId": "nobody"}}),
    );
    assert_eq!(v["status"], "2001");
    let v = c.fail(
        "/gateway/doctor/synDoctorSearch",
        json!({"head": {"clientId": CLIENT_ID}, "body": {}}),
    );
    assert!(v["message"].as_str().unwrap().contains("openId"));
    // a doctor added through the control API
    c.ctl(
        "/sim/doctors",
        json!({"openId": "new-doc", "userName": "新医生", "phone": "139", "process": "1"}),
    );
    let d = c.ok(
        "/gateway/doctor/synDoctorSearch",
        json!({"head": {"clientId": CLIENT_ID}, "body": {"phone": "139"}}),
    );
    assert_eq!(d["openId"], "new-doc");
    assert_eq!(d["process"], "1");
}

#[test]
fn oauth_scan_tokeninfo_and_expiry() {
    let c = C::new();
    let a = c.get(&format!(
        "/gateway/oauth/authorize?responseType=code&clientId={CLIENT_ID}"
    ));
    assert_eq!(a["status"], "0", "{a}");
    let rid = a["data"]["requestId"].as_str().unwrap().to_string();
    // As the real gateway: 32 hex, the epoch ms, the sysTag (NULL when none).
    let parts: Vec<&str> = rid.split('_').collect();
    assert_eq!(parts.len(), 3, "{rid}");
    assert!(
        parts[0].len() == 32 && parts[0].chars().all(|c| c.is_ascii_hexdigit()),
        "{rid}"
    );
    assert!(
        parts[1].len() == 13 && parts[1].chars().all(|c| c.is_ascii_digit()),
        "{rid}"
    );
    assert_eq!(parts[2], "NULL");
    assert_eq!(
        a["data"]["time"], 120,
        "a number, as the real gateway sends it"
    );
    assert!(decode_qr(a["data"]["imgBase64"].as_str().unwrap()).contains(&rid));
    let ti = format!("/gateway/oauth/tokeninfo?clientId={CLIENT_ID}&requestId={rid}");
    let t = c.get(&ti);
    // Before the scan, the real gateway's answer: "1"/未授权 and no data.
    assert_eq!(t, json!({"status": "1", "message": "未授权"}));
    c.ctl(
        "/sim/scan",
        json!({"requestId": rid, "openId": SEARCH_DOCTOR, "approve": true}),
    );
    let t = c.get(&ti);
    assert_eq!(t["status"], "0", "{t}");
    assert_eq!(t["data"]["openId"], SEARCH_DOCTOR);
    assert_eq!(t["data"]["userIdType"], "SF");
    assert_eq!(t["data"]["userType"], "0");
    assert_eq!(t["data"]["userName"], "王建国");
    // refused
    let a = c.get(&format!(
        "/gateway/oauth/authorize?responseType=code&clientId={CLIENT_ID}"
    ));
    let rid2 = a["data"]["requestId"].as_str().unwrap().to_string();
    c.ctl("/sim/scan", json!({"requestId": rid2, "approve": false}));
    let t = c.get(&format!(
        "/gateway/oauth/tokeninfo?clientId={CLIENT_ID}&requestId={rid2}"
    ));
    assert_eq!(t["status"], "4003");
    // expiry after 121 s of sim clock
    c.ctl("/sim/clock", json!({"advanceSeconds": 121}));
    let t = c.get(&ti);
    assert_eq!(t["status"], "4001", "{t}");
    // bad responseType, unknown client
    let t = c.get(&format!(
        "/gateway/oauth/authorize?responseType=token&clientId={CLIENT_ID}"
    ));
    assert_eq!(t["status"], "1001");
    let t = c.get("/gateway/oauth/authorize?responseType=code&clientId=123");
    assert_eq!(t["status"], "1002");
    assert!(t["message"].as_str().unwrap().contains("未注册"));
    // OAuth with selfSign=true opens a self-sign session
    let a = c.get(&format!(
        "/gateway/oauth/authorize?responseType=code&clientId={CLIENT_ID}&selfSign=true&sysTag=EMR&sessionTime=2"
    ));
    let rid3 = a["data"]["requestId"].as_str().unwrap().to_string();
    c.ctl(
        "/sim/scan",
        json!({"requestId": rid3, "openId": SIGNING_DOCTOR, "approve": true}),
    );
    let mut m = json!({"signType": 0, "msg": {"head": head_t("hash"), "body": hash_body("oauthself1", SIGNING_DOCTOR)}});
    m["msg"]["head"]["sysTag"] = json!("EMR");
    let d = c.ok("/gateway/recipe/synRecipeInfo", m);
    assert_eq!(d["isSelfSign"], "true");
}

#[test]
fn self_sign_session_lifecycle() {
    let c = C::new();
    let body = json!({"openId": SELF_SIGN_DOCTOR, "sysTag": "HIS"});
    let qr = c.ok(
        "/gateway/selfSign/request",
        json!({"head": head(), "body": body}),
    );
    let text = decode_qr(qr.as_str().unwrap());
    assert!(text.contains(SELF_SIGN_DOCTOR), "{text}");
    let r = c.ok(
        "/gateway/selfSign/getResult",
        json!({"head": head(), "body": body}),
    );
    assert_eq!(r["grantStep"], 0);
    c.ctl(
        "/sim/scan",
        json!({"openId": SELF_SIGN_DOCTOR, "sysTag": "HIS", "approve": true}),
    );
    let r = c.ok(
        "/gateway/selfSign/getResult",
        json!({"head": head(), "body": body}),
    );
    assert_eq!(r["grantStep"], 1);
    let push = |urid: &str, tag: &str, self_sign: Option<&str>| {
        let mut h = head_t("hash_002");
        h["sysTag"] = json!(tag);
        if let Some(s) = self_sign {
            h["selfSign"] = json!(s);
        }
        c.ok(
            "/gateway/recipe/synRecipeInfo",
            json!({"signType": 0, "msg": {"head": h, "body": hash_body(urid, SELF_SIGN_DOCTOR)}}),
        )
    };
    let d = push("ss1", "HIS", None);
    assert_eq!(d["isSelfSign"], "true");
    assert_eq!(c.status_of(d["uniqueId"].as_str().unwrap()), 2);
    // another sysTag is not covered; selfSign "false" opts out
    let d = push("ss2", "LIS", None);
    assert_eq!(d["isSelfSign"], "false");
    assert_eq!(c.status_of(d["uniqueId"].as_str().unwrap()), 0);
    let d = push("ss3", "HIS", Some("false"));
    assert_eq!(c.status_of(d["uniqueId"].as_str().unwrap()), 0);
    // quit ends the session
    c.ok(
        "/gateway/selfSign/quit",
        json!({"head": head(), "body": body}),
    );
    let d = push("ss4", "HIS", None);
    assert_eq!(d["isSelfSign"], "false");
    assert_eq!(c.status_of(d["uniqueId"].as_str().unwrap()), 0);
    // selfSign "true" without a session returns selfSignQRCode
    let d = push("ss5", "HIS", Some("true"));
    assert!(decode_qr(d["selfSignQRCode"].as_str().unwrap()).contains(SELF_SIGN_DOCTOR));
    // refusal → grantStep 2
    c.ok(
        "/gateway/selfSign/request",
        json!({"head": head(), "body": body}),
    );
    c.ctl(
        "/sim/scan",
        json!({"openId": SELF_SIGN_DOCTOR, "sysTag": "HIS", "approve": false}),
    );
    let r = c.ok(
        "/gateway/selfSign/getResult",
        json!({"head": head(), "body": body}),
    );
    assert_eq!(r["grantStep"], 2);
    // QR expires after 120 s without a scan
    c.ok(
        "/gateway/selfSign/request",
        json!({"head": head(), "body": body}),
    );
    c.ctl("/sim/clock", json!({"advanceSeconds": 121}));
    let v = c.fail(
        "/gateway/selfSign/getResult",
        json!({"head": head(), "body": body}),
    );
    assert_eq!(v["status"], "4001");
    // session length: sessionTime hours
    c.ok("/gateway/selfSign/request", json!({"head": head(), "body": {"openId": SELF_SIGN_DOCTOR, "sysTag": "HIS", "sessionTime": "1"}}));
    c.ctl(
        "/sim/scan",
        json!({"openId": SELF_SIGN_DOCTOR, "sysTag": "HIS"}),
    );
    assert_eq!(push("ss6", "HIS", None)["isSelfSign"], "true");
    c.ctl("/sim/clock", json!({"advanceSeconds": 3601}));
    assert_eq!(push("ss7", "HIS", None)["isSelfSign"], "false");
    // secret required
    let v = c.fail(
        "/gateway/selfSign/request",
        json!({"head": {"clientId": CLIENT_ID}, "body": body}),
    );
    assert_eq!(v["status"], "1002");
    let v = c.fail(
        "/gateway/selfSign/request",
        json!({"head": {"clientId": CLIENT_ID, "clientSecret": "x"}, "body": body}),
    );
    assert!(v["message"].as_str().unwrap().contains("clientSecret 错误"));
}

/// The flow of the ECDSA simulator (`--sign-alg ecdsa`), whose every piece
/// openssl verifies; tests/signatures.rs does each algorithm and profile.
#[test]
fn push_sign_and_verify_with_openssl() {
    let c = C::with(SimOptions {
        sign_alg: SignAlg::Ecdsa,
        ..Default::default()
    });
    let d = c.push_hash("sig1", SIGNING_DOCTOR);
    let uid = d["uniqueId"].as_str().unwrap().to_string();
    // As the real gateway: ^Y\d{13}[0-9a-f]{19}$
    assert_eq!(uid.len(), 33, "{uid}");
    assert!(uid.starts_with('Y'), "{uid}");
    assert!(uid[1..14].chars().all(|ch| ch.is_ascii_digit()), "{uid}");
    assert!(
        uid[14..]
            .chars()
            .all(|ch| ch.is_ascii_hexdigit() && !ch.is_ascii_uppercase()),
        "{uid}"
    );
    assert_eq!(d["isSelfSign"], "false");
    assert!(d.get("selfSignQRCode").is_none());
    assert_eq!(c.status_of(&uid), 0);
    let search = |p1: bool| {
        c.ok(
            "/gateway/recipe/synSignDataSearch",
            json!({"head": head(), "body": {"uniqueId": uid, "isP1": p1}}),
        )
    };
    let r = search(false);
    assert!(r.get("signedData").is_none());
    c.sign(&uid);
    assert_eq!(c.status_of(&uid), 2);
    let dir = tmpdir("openssl");
    let content = B64.decode(digest_b64("sig1")).unwrap();
    std::fs::write(dir.join("content.bin"), &content).unwrap();
    std::fs::write(dir.join("ca.pem"), c.sim.ca_pem()).unwrap();
    assert_eq!(c.get_text("/sim/ca"), c.sim.ca_pem());
    // P7
    let r = search(false);
    assert_eq!(r["urId"], "sig1");
    assert!(!r["signTime"].as_str().unwrap().is_empty());
    assert!(r.get("p1").is_none());
    std::fs::write(
        dir.join("p7.der"),
        B64.decode(r["signedData"].as_str().unwrap()).unwrap(),
    )
    .unwrap();
    openssl(
        &dir,
        &[
            "cms", "-verify", "-inform", "DER", "-in", "p7.der", "-CAfile", "ca.pem", "-out",
            "out.bin",
        ],
    );
    assert_eq!(std::fs::read(dir.join("out.bin")).unwrap(), content);
    // P1 + cert (isP1 as a string)
    let r = c.ok(
        "/gateway/recipe/synSignDataSearch",
        json!({"head": head(), "body": {"uniqueId": uid, "isP1": "true"}}),
    );
    assert!(r.get("signedData").is_none());
    std::fs::write(
        dir.join("p1.bin"),
        B64.decode(r["p1"].as_str().unwrap()).unwrap(),
    )
    .unwrap();
    std::fs::write(
        dir.join("cert.der"),
        B64.decode(r["cert"].as_str().unwrap()).unwrap(),
    )
    .unwrap();
    openssl(
        &dir,
        &[
            "x509", "-inform", "DER", "-in", "cert.der", "-out", "cert.pem",
        ],
    );
    openssl(&dir, &["verify", "-CAfile", "ca.pem", "cert.pem"]);
    openssl(
        &dir,
        &[
            "x509", "-in", "cert.pem", "-pubkey", "-noout", "-out", "pub.pem",
        ],
    );
    openssl(
        &dir,
        &[
            "dgst",
            "-sha256",
            "-verify",
            "pub.pem",
            "-signature",
            "p1.bin",
            "content.bin",
        ],
    );
    // timestamp token (RFC 3161)
    std::fs::write(
        dir.join("tst.der"),
        B64.decode(d["timeStampSignData"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    let hex: String = {
        use sha2::Digest;
        sha2::Sha256::digest(&content)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    openssl(
        &dir,
        &[
            "ts",
            "-verify",
            "-in",
            "tst.der",
            "-token_in",
            "-digest",
            &hex,
            "-CAfile",
            "ca.pem",
        ],
    );
    let v = c.ok(
        "/gateway/recipe/verifyTimeStamp",
        json!({"head": head(), "body": {"uniqueId": uid}}),
    );
    assert_eq!(v["verifyResult"], true);
    // void after signing
    c.ctl("/sim/sign", json!({"uniqueId": uid, "action": "void"}));
    assert_eq!(c.status_of(&uid), 9);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn pdf_orders_carry_signed_pdf() {
    let c = C::new();
    let body = json!({"urId": "pdf1", "openId": BUSINESS_DOCTOR, "viewName": "合同", "viewTime": "2024-01-01 00:00:00", "pdfBase64": pdf_b64()});
    let d = c.ok(
        "/gateway/signInfo/syn",
        json!({"signType": "0", "msg": {"head": head_t("contract_001"), "body": body}}),
    );
    let uid = d["uniqueId"].as_str().unwrap().to_string();
    c.sign(&uid);
    let r = c.ok(
        "/gateway/recipe/synSignDataSearch",
        json!({"head": head(), "body": {"uniqueId": uid}}),
    );
    let pdf = B64.decode(r["signedPdfBase64"].as_str().unwrap()).unwrap();
    let orig = B64.decode(pdf_b64()).unwrap();
    assert!(pdf.starts_with(&orig) && pdf.len() > orig.len());
    // personRolesPdf
    let mut b = hash_body("pdf2", SIGNING_DOCTOR);
    b["pdfBase64"] = json!(pdf_b64());
    b["roles"] = json!([{"keyword": "签名"}, {"locationPage": 1, "x": 100, "y": "200.5"}]);
    c.ok(
        "/gateway/recipe/synRecipeInfo",
        json!({"signType": 0, "msg": {"head": head_t("personRolesPdf"), "body": b}}),
    );
    b["urId"] = json!("pdf3");
    b["roles"] = json!([{"x": 100}]);
    let v = c.fail(
        "/gateway/recipe/synRecipeInfo",
        json!({"signType": 0, "msg": {"head": head_t("personRolesPdf"), "body": b}}),
    );
    assert!(v["message"].as_str().unwrap().contains("roles"));
    b["roles"] = json!([{"keyword": "x"}]);
    b["pdfBase64"] = json!(B64.encode(b"not a pdf"));
    let v = c.fail(
        "/gateway/recipe/synRecipeInfo",
        json!({"signType": 0, "msg": {"head": head_t("personRolesPdf"), "body": b}}),
    );
    assert!(v["message"].as_str().unwrap().contains("pdfBase64"));
}

#[test]
fn refuse_delete_and_expiry() {
    let c = C::with(SimOptions {
        pending_expiry_secs: 3600,
        ..Default::default()
    });
    let uid = c.push_hash("r1", SIGNING_DOCTOR)["uniqueId"]
        .as_str()
        .unwrap()
        .to_string();
    c.ctl(
        "/sim/sign",
        json!({"uniqueId": uid, "action": "refuse", "reason": "诊断有误"}),
    );
    assert_eq!(c.status_of(&uid), 6);
    let r = c.ok(
        "/gateway/recipe/synSignDataSearch",
        json!({"head": head(), "body": {"uniqueId": uid}}),
    );
    assert_eq!(r["failReason"], "诊断有误");
    assert!(r.get("signedData").is_none());
    // sign from refused is not allowed
    let v = c.fail("/sim/sign", json!({"uniqueId": uid, "action": "sign"}));
    assert_eq!(v["status"], "3002");
    // delete pending works, delete signed does not
    let del = |u: &str| {
        c.post(
            "/gateway/recipe/deleteUnsignedDataByUniqueId",
            &json!({"head": {"clientId": CLIENT_ID}, "body": {"uniqueId": u}}),
        )
    };
    let p = c.push_hash("d1", SIGNING_DOCTOR)["uniqueId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(del(&p)["status"], "0");
    assert_eq!(c.status_of(&p), 8);
    let s = c.push_hash("d2", SIGNING_DOCTOR)["uniqueId"]
        .as_str()
        .unwrap()
        .to_string();
    c.sign(&s);
    let v = del(&s);
    assert_eq!(v["status"], "3002", "{v}");
    assert_eq!(c.status_of(&s), 2);
    // existUnsign looks at state-0 orders
    let e = c.get(&format!(
        "/gateway/doctor/existUnsign?openId={UNSIGN_DOCTOR}"
    ));
    assert_eq!(e["data"], false);
    let x = c.push_hash("e1", UNSIGN_DOCTOR)["uniqueId"]
        .as_str()
        .unwrap()
        .to_string();
    let e = c.get(&format!(
        "/gateway/doctor/existUnsign?openId={UNSIGN_DOCTOR}"
    ));
    assert_eq!(e["data"], true);
    // pending orders expire after pending_expiry_secs
    c.ctl("/sim/clock", json!({"advanceSeconds": 3601}));
    assert_eq!(c.status_of(&x), 7);
    let e = c.get(&format!(
        "/gateway/doctor/existUnsign?openId={UNSIGN_DOCTOR}"
    ));
    assert_eq!(e["data"], false);
    let st = c.state();
    assert_eq!(st["ordersByState"]["7"], 1, "{st}");
    assert_eq!(st["ordersByState"]["2"], 1);
    assert_eq!(st["ordersByState"]["6"], 1);
    assert_eq!(st["ordersByState"]["8"], 1);
}

#[test]
fn auth_binding_sign_type_4() {
    let c = C::new();
    let mut body = hash_body("auth1", "");
    body.as_object_mut().unwrap().remove("openId");
    let d = c.ok(
        "/gateway/recipe/synRecipeInfo",
        json!({"signType": 4, "msg": {"head": head_t("hash"), "body": body}}),
    );
    let uid = d["uniqueId"].as_str().unwrap().to_string();
    assert!(decode_qr(d["authSignQRCode"].as_str().unwrap()).contains(&uid));
    let q = c.ok(
        "/gateway/recipe/querySignDataByUniqueId",
        json!({"head": {"clientId": CLIENT_ID}, "body": {"uniqueId": uid}}),
    );
    assert_eq!(q["status"], 10);
    assert!(q["authSignQRCode"].is_string());
    let v = c.fail("/sim/sign", json!({"uniqueId": uid}));
    assert_eq!(v["status"], "3002");
    c.ctl(
        "/sim/scan",
        json!({"uniqueId": uid, "openId": SIGNING_DOCTOR, "approve": true}),
    );
    let q = c.ok(
        "/gateway/recipe/querySignDataByUniqueId",
        json!({"head": {"clientId": CLIENT_ID}, "body": {"uniqueId": uid}}),
    );
    assert_eq!(q["status"], 0);
    assert_eq!(q["openId"], SIGNING_DOCTOR);
    assert!(q.get("authSignQRCode").is_none());
    c.sign(&uid);
    assert_eq!(c.status_of(&uid), 2);
}

#[test]
fn verify_data_by_id() {
    let c = C::new();
    let d = c.push_hash("v1", SIGNING_DOCTOR);
    let uid = d["uniqueId"].as_str().unwrap().to_string();
    let verify = |body: serde_json::Value| {
        let mut h = head();
        h["uniqueId"] = json!(uid);
        c.ok(
            "/gateway/recipe/verifyDataById",
            json!({"head": h, "body": body}),
        )["verifyResult"]
            .clone()
    };
    // not yet signed
    assert_eq!(verify(hash_body("v1", SIGNING_DOCTOR)), false);
    c.sign(&uid);
    assert_eq!(verify(hash_body("v1", SIGNING_DOCTOR)), true);
    let mut b = hash_body("v1", SIGNING_DOCTOR);
    b["hashType"] = json!("SHA-256");
    assert_eq!(verify(b), true);
    let mut b = hash_body("v1", SIGNING_DOCTOR);
    b["patientName"] = json!("李四");
    assert_eq!(verify(b), false);
    let mut b = hash_body("v1", SIGNING_DOCTOR);
    b["hashValue"] = json!(digest_b64("tampered"));
    assert_eq!(verify(b), false);
    let mut b = hash_body("v1", SIGNING_DOCTOR);
    b.as_object_mut().unwrap().remove("remarks");
    assert_eq!(verify(b), false);
}

#[test]
fn list_by_time_paging_and_idempotency() {
    let c = C::new();
    let mut ids = Vec::new();
    for i in 0..25 {
        let d = c.push_hash(&format!("page{i:02}"), SIGNING_DOCTOR);
        ids.push(d["uniqueId"].as_str().unwrap().to_string());
    }
    // same urId again → same uniqueId, no new order
    let again = c.push_hash("page03", SIGNING_DOCTOR);
    assert_eq!(again["uniqueId"], ids[3].as_str());
    assert_eq!(c.state()["orders"], 25);
    // ...but two pushes of it, counted by urId
    assert_eq!(c.state()["pushes"]["page03"], 2);
    assert_eq!(c.state()["pushes"]["page04"], 1);
    let orders = c.get("/sim/orders?urId=page03");
    assert_eq!(orders.as_array().unwrap().len(), 1);
    // another client's orders are separate
    let mut h = head_t("hash");
    h["clientId"] = json!(CLIENT_ID_SEARCH_EXAMPLE);
    let other = c.ok(
        "/gateway/recipe/synRecipeInfo",
        json!({"signType": 0, "msg": {"head": h, "body": hash_body("page03", SIGNING_DOCTOR)}}),
    );
    assert_ne!(other["uniqueId"], ids[3].as_str());
    let page = |n: i64| {
        c.ok(
            "/gateway/recipe/signDataListSearchByTime",
            json!({"head": {"clientId": CLIENT_ID}, "body": {"startDate": "2000-01-01 00:00:00", "endDate": "2099-01-01 00:00:00", "pageNum": n.to_string(), "pageSize": 10}}),
        )
    };
    let p1 = page(1);
    assert_eq!(p1["total"], 25);
    assert_eq!(p1["pages"], 3);
    assert_eq!(p1["list"].as_array().unwrap().len(), 10);
    assert_eq!(p1["list"][0]["uniqueid"], ids[0].as_str());
    assert_eq!(p1["list"][0]["urid"], "page00");
    assert_eq!(p1["list"][0]["status"], 0);
    let p3 = page(3);
    assert_eq!(p3["list"].as_array().unwrap().len(), 5);
    assert_eq!(p3["list"][4]["uniqueid"], ids[24].as_str());
    assert_eq!(page(4)["list"].as_array().unwrap().len(), 0);
    // an empty window
    let e = c.ok(
        "/gateway/recipe/signDataListSearchByTime",
        json!({"head": {"clientId": CLIENT_ID}, "body": {"startDate": "2018-08-02 00:00:00", "endDate": "2018-08-04 00:00:00"}}),
    );
    assert_eq!(e["total"], 0);
    assert_eq!(e["pageNum"], 1);
    assert_eq!(e["pageSize"], 10);
}

#[test]
fn auto_sign_demo_mode() {
    let c = C::with(SimOptions {
        auto_sign_ms: Some(50),
        ..Default::default()
    });
    let uid = c.push_hash("auto1", SIGNING_DOCTOR)["uniqueId"]
        .as_str()
        .unwrap()
        .to_string();
    let t0 = std::time::Instant::now();
    while c.status_of(&uid) != 2 {
        assert!(t0.elapsed().as_secs() < 5, "not auto-signed");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn compute_digest_both_shapes() {
    use sha2::Digest;
    let c = C::new();
    let d = c.ok(
        "/gateway/common/computeDigestForAlg",
        json!({"originData": "hash原文", "hashAlg": "SHA256"}),
    );
    assert_eq!(
        d["hashValue"],
        B64.encode(sha2::Sha256::digest("hash原文".as_bytes()))
    );
    assert_eq!(d["hashType"], "SHA256");
    let d = c.ok(
        "/gateway/common/computeDigestForAlg",
        json!({"head": {"clientId": CLIENT_ID}, "body": {"originData": "abc", "hashAlg": "SHA-1"}}),
    );
    assert_eq!(d["hashValue"], B64.encode(sha1::Sha1::digest(b"abc")));
    let d = c.ok(
        "/gateway/common/computeDigestForAlg",
        json!({"originData": "abc"}),
    );
    assert_eq!(d["hashType"], "SM3");
    // GB/T 32905 test vector for "abc"
    assert_eq!(
        B64.decode(d["hashValue"].as_str().unwrap()).unwrap()[..4],
        [0x66, 0xc7, 0xf0, 0xf4]
    );
    c.fail(
        "/gateway/common/computeDigestForAlg",
        json!({"originData": "abc", "hashAlg": "MD5"}),
    );
    c.fail(
        "/gateway/common/computeDigestForAlg",
        json!({"hashAlg": "SM3"}),
    );
}

#[test]
fn tls_mode() {
    let dir = tmpdir("tls");
    let sim = Sim::start_with(SimOptions {
        tls_dir: Some(dir.clone()),
        ..Default::default()
    })
    .unwrap();
    assert!(sim.base_url().starts_with("https://127.0.0.1:"));
    let pem = std::fs::read(dir.join("ca.pem")).unwrap();
    // The server's chain is its own ECDSA root (TLS clients take no SM2),
    // not the signing CA of /sim/ca.
    assert_eq!(
        Some(String::from_utf8(pem.clone()).unwrap()),
        sim.tls_ca_pem()
    );
    assert_ne!(String::from_utf8(pem.clone()).unwrap(), sim.ca_pem());
    let certs: Vec<_> = ureq::tls::parse_pem(&pem)
        .filter_map(|i| match i.unwrap() {
            ureq::tls::PemItem::Certificate(c) => Some(c),
            _ => None,
        })
        .collect();
    let tls = ureq::tls::TlsConfig::builder()
        .root_certs(ureq::tls::RootCerts::new_with_certs(&certs))
        .build();
    let agent = ureq::Agent::new_with_config(ureq::Agent::config_builder().tls_config(tls).build());
    let body =
        json!({"head": {"clientId": CLIENT_ID}, "body": {"openId": SIGNING_DOCTOR}}).to_string();
    for host in ["127.0.0.1", "localhost"] {
        let url = format!(
            "https://{host}:{}/gateway/doctor/synDoctorSearch",
            sim.addr().port()
        );
        let mut r = agent
            .post(&url)
            .header("content-type", "application/json")
            .send(&body)
            .expect("https");
        let v: serde_json::Value =
            serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
        assert_eq!(v["status"], "0");
    }
    // without the CA the certificate is not trusted
    let plain = ureq::Agent::new_with_defaults();
    assert!(
        plain
            .post(&format!(
                "{}/gateway/doctor/synDoctorSearch",
                sim.base_url()
            ))
            .send(&body)
            .is_err()
    );
    sim.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn stop_frees_port() {
    let sim = Sim::start();
    let addr = sim.addr();
    let t0 = std::time::Instant::now();
    // leave a keep-alive connection open
    let a = agent();
    let _ = a
        .get(&format!("{}/sim/state", sim.base_url()))
        .call()
        .unwrap();
    sim.stop();
    assert!(t0.elapsed().as_secs() < 3);
    std::net::TcpListener::bind(addr).expect("port freed");
}

#[test]
fn starts_quickly_and_in_parallel() {
    let t0 = std::time::Instant::now();
    let sims: Vec<Sim> = (0..4).map(|_| Sim::start()).collect();
    let ports: std::collections::HashSet<u16> = sims.iter().map(|s| s.addr().port()).collect();
    assert_eq!(ports.len(), 4);
    drop(sims);
    assert!(t0.elapsed().as_secs() < 5, "{:?}", t0.elapsed());
    eprintln!("4 start/stop: {:?}", t0.elapsed());
}
