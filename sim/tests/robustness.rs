//! Faults, bad input, and the vendor document's example requests sent verbatim.

mod common;
use common::*;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use ywx_sim::seed_examples::*;
use ywx_sim::*;

const SEARCH: &str = "/gateway/doctor/synDoctorSearch";

fn search_body() -> String {
    json!({"head": {"clientId": CLIENT_ID}, "body": {"openId": SIGNING_DOCTOR}}).to_string()
}

#[test]
fn fault_modes() {
    let c = C::new();
    // latency
    c.ctl(
        "/sim/faults",
        json!({"mode": "latency", "count": 1, "latencyMs": 300}),
    );
    let t0 = Instant::now();
    let (st, body) = c.post_raw(SEARCH, &search_body());
    assert!(t0.elapsed() >= Duration::from_millis(300));
    assert_eq!(st, 200);
    assert!(body.contains("\"status\":\"0\""));
    let t0 = Instant::now();
    c.post_raw(SEARCH, &search_body());
    assert!(t0.elapsed() < Duration::from_millis(300));
    // http500
    c.ctl("/sim/faults", json!({"mode": "http500", "count": 2}));
    assert_eq!(
        c.state()["faultsPending"],
        2,
        "control calls are not affected"
    );
    for _ in 0..2 {
        let (st, body) = c.post_raw(SEARCH, &search_body());
        assert_eq!(st, 500);
        assert!(serde_json::from_str::<Value>(&body).is_err());
    }
    assert_eq!(c.post_raw(SEARCH, &search_body()).0, 200);
    // http502html
    c.ctl("/sim/faults", json!({"mode": "http502html", "count": 1}));
    let (st, body) = c.post_raw(SEARCH, &search_body());
    assert_eq!(st, 502);
    assert!(body.contains("<html>") && body.contains("502 Bad Gateway"));
    // garbage
    c.ctl("/sim/faults", json!({"mode": "garbage", "count": 1}));
    let (st, body) = c.post_raw(SEARCH, &search_body());
    assert_eq!(st, 200);
    assert!(serde_json::from_str::<Value>(&body).is_err());
    // drop: the connection closes without any response
    c.ctl("/sim/faults", json!({"mode": "drop", "count": 1}));
    let fresh = agent();
    let r = fresh
        .post(&c.url(SEARCH))
        .header("content-type", "application/json")
        .send(&search_body());
    assert!(r.is_err(), "dropped connection must be a transport error");
    // raw socket check: EOF, zero bytes of response
    c.ctl("/sim/faults", json!({"mode": "drop", "count": 1}));
    {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(c.sim.addr()).unwrap();
        let b = search_body();
        write!(s, "POST {SEARCH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{b}", b.len()).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf);
        assert!(buf.is_empty(), "got {:?}", String::from_utf8_lossy(&buf));
    }
    assert_eq!(c.post_raw(SEARCH, &search_body()).0, 200);
    // none clears pending faults
    c.ctl("/sim/faults", json!({"mode": "http500", "count": 10}));
    c.ctl("/sim/faults", json!({"mode": "none"}));
    assert_eq!(c.state()["faultsPending"], 0);
    assert_eq!(c.post_raw(SEARCH, &search_body()).0, 200);
    let st = c.state();
    assert!(st["calls"][SEARCH].as_u64().unwrap() >= 10, "{st}");
    assert!(st["connections"].as_u64().unwrap() >= 2, "{st}");
    let v = c.fail("/sim/faults", json!({"mode": "explode"}));
    assert_eq!(v["status"], "1001");
}

#[test]
fn bad_input_is_a_clear_gateway_error() {
    let c = C::new();
    let check = |path: &str, body: &str, needle: &str| {
        let (st, text) = c.post_raw(path, body);
        assert_eq!(st, 200, "{path} {body}: {text}");
        let v: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
        assert!(v["status"].is_string() && v["status"] != "0", "{body}: {v}");
        let msg = v["message"].as_str().unwrap();
        assert!(
            msg.contains(needle),
            "{body}: message {msg:?} should name {needle:?}"
        );
    };
    let q = "/gateway/recipe/querySignDataByUniqueId";
    check(q, "{", "JSON");
    // GBK bytes (not UTF-8) are a clear error; a UTF-8 BOM is tolerated
    let (st, text) = c.post_bytes(
        q,
        b"{\"head\":{\"clientId\":\"2017070411003376\"},\"body\":{\"uniqueId\":\"\xd5\xc5\"}}",
    );
    assert_eq!(st, 200);
    assert!(
        text.contains("\"1001\"") && text.contains("UTF-8"),
        "{text}"
    );
    let (_, text) = c.post_bytes(
        SEARCH,
        &[b"\xef\xbb\xbf", search_body().as_bytes()].concat(),
    );
    assert!(text.contains("\"status\":\"0\""), "{text}");
    check(q, "", "请求体");
    check(q, "[1,2]", "JSON 对象");
    check(q, "\"x\"", "JSON 对象");
    check(q, r#"{"head":"x","body":{}}"#, "head");
    check(q, r#"{"head":{"clientId":"2017070411003376"}}"#, "body");
    check(
        q,
        r#"{"head":{"clientId":"2017070411003376"},"body":{}}"#,
        "uniqueId",
    );
    check(
        q,
        r#"{"head":{"clientId":"2017070411003376"},"body":{"uniqueId":{"a":1}}}"#,
        "uniqueId",
    );
    check(
        q,
        r#"{"head":{"clientId":"999"},"body":{"uniqueId":"x"}}"#,
        "clientId 未注册",
    );
    check(q, r#"{"head":{},"body":{"uniqueId":"x"}}"#, "clientId");
    check(
        q,
        r#"{"head":{"clientId":"2017070411003376","clientSecret":"bad"},"body":{"uniqueId":"x"}}"#,
        "clientSecret 错误",
    );
    check(
        q,
        r#"{"head":{"clientId":"2017070411003376"},"body":{"uniqueId":"nope"}}"#,
        "签名数据不存在",
    );
    check(
        "/gateway/recipe/synSignDataSearch",
        r#"{"head":{"clientId":"2017070411003376","clientSecret":"2017070411003360"},"body":{"uniqueId":"x","isP1":"maybe"}}"#,
        "isP1",
    );
    check(
        "/gateway/recipe/signDataListSearchByTime",
        r#"{"head":{"clientId":"2017070411003376"},"body":{"startDate":"2020-01-01 00:00:00","endDate":"2020-01-02 00:00:00","pageNum":"abc"}}"#,
        "pageNum",
    );
    check(
        "/gateway/recipe/signDataListSearchByTime",
        r#"{"head":{"clientId":"2017070411003376"},"body":{"startDate":"2020/01/01","endDate":"2020-01-02 00:00:00"}}"#,
        "startDate",
    );
    let push = "/gateway/recipe/synRecipeInfo";
    let mk = |f: &dyn Fn(&mut Value)| {
        let mut v = json!({"signType": 0, "msg": {"head": head_t("hash"), "body": hash_body("bad1", SIGNING_DOCTOR)}});
        f(&mut v);
        v.to_string()
    };
    check(push, &mk(&|v| v["signType"] = json!("x")), "signType");
    check(push, &mk(&|v| v["signType"] = json!(3)), "signType");
    check(
        push,
        &mk(&|v| {
            v.as_object_mut().unwrap().remove("signType");
        }),
        "signType",
    );
    check(push, &mk(&|v| v["msg"] = json!([])), "msg");
    check(
        push,
        &mk(&|v| {
            v["msg"]["head"]
                .as_object_mut()
                .unwrap()
                .remove("clientSecret");
        }),
        "clientSecret",
    );
    check(
        push,
        &mk(&|v| v["msg"]["head"]["templateId"] = json!("weird")),
        "templateId",
    );
    check(push, &mk(&|v| v["msg"]["body"]["urId"] = json!({})), "urId");
    check(
        push,
        &mk(&|v| v["msg"]["body"]["urId"] = json!("has space")),
        "urId",
    );
    check(
        push,
        &mk(&|v| v["msg"]["body"]["urId"] = json!("a".repeat(65))),
        "urId",
    );
    check(
        push,
        &mk(&|v| {
            v["msg"]["body"]
                .as_object_mut()
                .unwrap()
                .remove("patientName");
        }),
        "patientName",
    );
    check(
        push,
        &mk(&|v| v["msg"]["body"]["patientAge"] = json!([1])),
        "patientAge",
    );
    check(
        push,
        &mk(&|v| v["msg"]["body"]["patientSex"] = json!("M")),
        "patientSex",
    );
    check(
        push,
        &mk(&|v| v["msg"]["body"]["patientCardType"] = json!("XX")),
        "patientCardType",
    );
    check(
        push,
        &mk(&|v| v["msg"]["body"]["recipeTime"] = json!("2020-13-01")),
        "recipeTime",
    );
    check(
        push,
        &mk(&|v| v["msg"]["body"]["hashValue"] = json!("@@@")),
        "hashValue",
    );
    check(
        push,
        &mk(&|v| v["msg"]["body"]["hashValue"] = json!("AAAA")),
        "hashValue",
    );
    check(
        push,
        &mk(&|v| v["msg"]["body"]["hashType"] = json!("MD5")),
        "hashType",
    );
    check(
        push,
        &mk(&|v| v["msg"]["body"]["subject"] = json!("长".repeat(51))),
        "subject",
    );
    check(
        push,
        &mk(&|v| v["msg"]["body"]["tag"] = json!("a,b,c,d,e,f")),
        "tag",
    );
    check(
        push,
        &mk(&|v| v["msg"]["body"]["openId"] = json!("")),
        "openId",
    );
    check(
        push,
        &mk(&|v| v["msg"]["body"]["openId"] = json!("nobody")),
        "医师不存在",
    );
    check(
        push,
        &mk(&|v| v["msg"]["body"]["openId"] = json!(DOCTOR_PROCESS_5)),
        "停用",
    );
    check(
        push,
        &mk(&|v| v["msg"]["body"]["openId"] = json!(DOCTOR_STAMP_UNREVIEWED)),
        "签章未审核",
    );
    // numbers as strings and strings as numbers are accepted
    let ok = mk(&|v| {
        v["signType"] = json!("0");
        v["msg"]["body"]["patientAge"] = json!(30);
    });
    assert!(c.post_raw(push, &ok).1.contains("\"status\":\"0\""));
    // unknown path and wrong method
    let (st, text) = c.post_raw("/gateway/nothing", "{}");
    assert_eq!(st, 404);
    assert!(text.contains("接口不存在"));
    let r = c.get(&format!("{SEARCH}?clientId={CLIENT_ID}"));
    assert_eq!(r["status"], "1005");
    // the simulator is still fine
    assert_eq!(c.post_raw(SEARCH, &search_body()).0, 200);
}

#[test]
fn random_garbage_never_breaks_it() {
    let c = C::new();
    let paths = [
        SEARCH,
        "/gateway/selfSign/request",
        "/gateway/selfSign/getResult",
        "/gateway/selfSign/quit",
        "/gateway/common/computeDigestForAlg",
        "/gateway/recipe/synRecipeInfo",
        "/gateway/signInfo/syn",
        "/gateway/recipe/querySignDataByUniqueId",
        "/gateway/recipe/signDataListSearchByTime",
        "/gateway/recipe/synSignDataSearch",
        "/gateway/recipe/deleteUnsignedDataByUniqueId",
        "/gateway/recipe/verifyDataById",
        "/gateway/recipe/verifyTimeStamp",
        "/sim/scan",
        "/sim/sign",
        "/sim/doctors",
        "/sim/clock",
        "/sim/faults",
    ];
    let values = [
        json!(null),
        json!(true),
        json!(-1),
        json!(1.5),
        json!(""),
        json!("x"),
        json!([]),
        json!({}),
        json!("2020-01-01 00:00:00"),
        json!("true"),
        json!(CLIENT_ID),
        json!({"a": [1, {"b": null}]}),
    ];
    let keys = [
        "head",
        "body",
        "msg",
        "signType",
        "clientId",
        "clientSecret",
        "openId",
        "uniqueId",
        "urId",
        "isP1",
        "pageNum",
        "pageSize",
        "startDate",
        "endDate",
        "templateId",
        "roles",
        "pdfBase64",
        "hashValue",
        "hashType",
        "originData",
        "hashAlg",
        "requestId",
        "action",
        "advanceSeconds",
        "mode",
        "count",
    ];
    let mut seed = 0x2545F4914F6CDD1Du64;
    let mut rnd = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    for i in 0..400 {
        let path = paths[rnd(paths.len())];
        let mut obj = serde_json::Map::new();
        for _ in 0..rnd(6) {
            let k = keys[rnd(keys.len())];
            let mut v = values[rnd(values.len())].clone();
            if rnd(3) == 0 {
                let mut inner = serde_json::Map::new();
                for _ in 0..rnd(5) {
                    inner.insert(
                        keys[rnd(keys.len())].into(),
                        values[rnd(values.len())].clone(),
                    );
                }
                v = Value::Object(inner);
            }
            obj.insert(k.into(), v);
        }
        let body = if i % 17 == 0 {
            "{\"head\":".to_string()
        } else {
            Value::Object(obj).to_string()
        };
        if path == "/sim/faults" {
            continue; // would inject faults on purpose
        }
        let (st, text) = c.post_raw(path, &body);
        assert!(st == 200, "{path} {body}: HTTP {st} {text}");
        let v: Value =
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("{path} {body}: {text}"));
        assert!(v["status"].is_string(), "{v}");
    }
    assert_eq!(c.post_raw(SEARCH, &search_body()).0, 200);
}

#[test]
fn seed_examples_verbatim() {
    let c = C::new();
    let post = |path: &str, body: &str| -> Value {
        let (st, text) = c.post_raw(path, body);
        assert_eq!(st, 200, "{path}: {text}");
        serde_json::from_str(&text).unwrap()
    };
    let ok = |path: &str, body: &str| {
        let v = post(path, body);
        assert_eq!(v["status"], "0", "{path}: {v}");
        v["data"].clone()
    };
    let fail = |path: &str, body: &str| {
        let v = post(path, body);
        assert_ne!(v["status"], "0", "{path}: {v}");
        assert!(!v["message"].as_str().unwrap().is_empty());
        v["message"].as_str().unwrap().to_string()
    };
    let d = ok(SEARCH, EX_DOCTOR_SEARCH);
    assert_eq!(d["openId"], SEARCH_DOCTOR);
    assert_eq!(d["process"], "2");
    let a = c.get("/gateway/oauth/authorize?responseType=code&clientId=2017070411003376");
    assert_eq!(a["status"], "0");
    let t = c.get("/gateway/oauth/tokeninfo?clientId=2017070411003376&requestId=a4945a94fec453c9df50c7dbe393631b");
    assert_ne!(t["status"], "0");
    ok("/gateway/selfSign/request", EX_SELF_SIGN_REQUEST);
    assert_eq!(
        ok("/gateway/selfSign/getResult", EX_SELF_SIGN_RESULT)["grantStep"],
        0
    );
    ok("/gateway/selfSign/quit", EX_SELF_SIGN_QUIT);
    let d = ok("/gateway/recipe/synRecipeInfo", EX_SIGN_DATA);
    assert_eq!(d["isSelfSign"], "false");
    assert!(d["timeStampSignData"].is_string());
    // sent again: the same order
    assert_eq!(
        ok("/gateway/recipe/synRecipeInfo", EX_SIGN_DATA)["uniqueId"],
        d["uniqueId"]
    );
    let m = fail("/gateway/signInfo/syn", EX_BUSINESS);
    assert!(m.contains("clientSecret") || m.contains("pdfBase64"), "{m}");
    // the business example with a secret still fails, on the placeholder PDF
    let mut b: Value = serde_json::from_str(EX_BUSINESS).unwrap();
    b["msg"]["head"]["clientSecret"] = json!(CLIENT_SECRET);
    let m = fail("/gateway/signInfo/syn", &b.to_string());
    assert!(m.contains("pdfBase64"), "{m}");
    assert!(fail("/gateway/recipe/querySignDataByUniqueId", EX_QUERY).contains("签名数据不存在"));
    let l = ok("/gateway/recipe/signDataListSearchByTime", EX_LIST);
    assert_eq!(l["total"], 0);
    assert_eq!(l["pageSize"], 20);
    assert_eq!(l["list"], json!([]));
    fail("/gateway/recipe/deleteUnsignedDataByUniqueId", EX_DELETE);
    fail("/gateway/recipe/verifyDataById", EX_VERIFY);
    // the verify example with a secret and a real uniqueId
    let mut v: Value = serde_json::from_str(EX_VERIFY).unwrap();
    v["head"]["clientSecret"] = json!(CLIENT_SECRET_ALT);
    assert!(fail("/gateway/recipe/verifyDataById", &v.to_string()).contains("签名数据不存在"));
    c.sign(d["uniqueId"].as_str().unwrap());
    v["head"]["uniqueId"] = d["uniqueId"].clone();
    assert_eq!(
        ok("/gateway/recipe/verifyDataById", &v.to_string())["verifyResult"],
        true
    );
    fail("/gateway/recipe/verifyTimeStamp", EX_VERIFY_TS);
    let e = c.get("/gateway/doctor/existUnsign?openId=b561db3a671dbd39qca54w7a38y813a20aa");
    assert_eq!(e["status"], "0");
    assert_eq!(e["data"], false);
    let d = ok(
        "/gateway/common/computeDigestForAlg",
        r#"{"originData":"hash原文","hashAlg":"SM3"}"#,
    );
    assert_eq!(d["hashType"], "SM3");
}

#[test]
fn binary_prints_listening_line() {
    use std::io::BufRead;
    let exe = env!("CARGO_BIN_EXE_ywx-sim");
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut child = std::process::Command::new(exe)
        .args(["--addr", &format!("127.0.0.1:{port}"), "--auto-sign", "100"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(
        line.trim_end(),
        format!("listening on http://127.0.0.1:{port}")
    );
    let a = agent();
    let mut r = a
        .get(&format!("http://127.0.0.1:{port}/sim/state"))
        .call()
        .unwrap();
    assert!(
        r.body_mut()
            .read_to_string()
            .unwrap()
            .contains("ordersByState")
    );
    // SIGTERM stops it promptly
    #[cfg(unix)]
    {
        let st = std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(st.success());
        let t0 = Instant::now();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                assert!(status.success(), "{status}");
                break;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(5),
                "did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    #[cfg(not(unix))]
    {
        child.kill().unwrap();
        child.wait().unwrap();
    }
}
