//! The bytes each request puts on the wire, exactly, and the answer to
//! each request ywx refuses: head left out, null, not an object; clientId
//! empty, null or given; keys given twice; escapes, numbers, whitespace;
//! `msg` as a string; conveniences; query parameters. A fake gateway
//! records what arrives.
//!
//! The expected texts are what ywx wrote when it still read every request
//! into a serde_json `Value` (main at f0e8d21, before plain requests
//! were read without it): the request path may get cheaper, never
//! different.

use std::sync::Mutex;

use serde_json::json;
use ywx::ffi::*;
use ywx_testkit::*;

static TURN: Mutex<()> = Mutex::new(());

/// What reached the gateway for one call: the request target (path and
/// query) and body; or, when nothing did, the caller's answer.
fn sent(fake: &FakeGateway, method: &str, request: &str) -> String {
    let before = fake.received().len();
    let answer = call_method_text(method, request);
    let received = fake.received();
    match received.get(before) {
        Some(r) => format!(
            "{} {}",
            r.target,
            String::from_utf8_lossy(&r.body).into_owned()
        ),
        None => format!("refused: {answer}"),
    }
}

fn call_method_text(method: &str, request: &str) -> String {
    let method = std::ffi::CString::new(method).unwrap();
    let request = std::ffi::CString::new(request).unwrap();
    // SAFETY: two valid C strings; the answer is freed by take_text.
    take_text(unsafe { ywx_call(method.as_ptr(), request.as_ptr()) })
}

const CASES: &[(&str, &str, &str)] = &[
    // head left out, null, not an object, an array.
    (
        "sign_status",
        r#"{"body":{"uniqueId":"U1"}}"#,
        r##"/gateway/recipe/querySignDataByUniqueId {"body":{"uniqueId":"U1"},"head":{"clientId":"2017070411003376"}}"##,
    ),
    (
        "sign_status",
        r#"{"head":null,"body":{"uniqueId":"U1"}}"#,
        r##"/gateway/recipe/querySignDataByUniqueId {"head":{"clientId":"2017070411003376"},"body":{"uniqueId":"U1"}}"##,
    ),
    (
        "sign_status",
        r#"{"head":"x","body":{"uniqueId":"U1"}}"#,
        r##"refused: {"status":"YWX-1002","message":"head 必须是 JSON 对象（也可以省略，由 ywx 填写）","data":null,"error":{"code":"INVALID_ARGUMENT","field":"head"}}"##,
    ),
    (
        "sign_status",
        r#"{"head":[],"body":{"uniqueId":"U1"}}"#,
        r##"refused: {"status":"YWX-1002","message":"head 必须是 JSON 对象（也可以省略，由 ywx 填写）","data":null,"error":{"code":"INVALID_ARGUMENT","field":"head"}}"##,
    ),
    (
        "sign_status",
        r#"{"head":{},"body":{"uniqueId":"U1"}}"#,
        r##"/gateway/recipe/querySignDataByUniqueId {"head":{"clientId":"2017070411003376"},"body":{"uniqueId":"U1"}}"##,
    ),
    // clientId empty, null, a number, given.
    (
        "sign_status",
        r#"{"head":{"clientId":""},"body":{"uniqueId":"U1"}}"#,
        r##"/gateway/recipe/querySignDataByUniqueId {"head":{"clientId":"2017070411003376"},"body":{"uniqueId":"U1"}}"##,
    ),
    (
        "sign_status",
        r#"{"head":{"clientId":null,"x":1},"body":{"uniqueId":"U1"}}"#,
        r##"/gateway/recipe/querySignDataByUniqueId {"head":{"clientId":"2017070411003376","x":1},"body":{"uniqueId":"U1"}}"##,
    ),
    (
        "sign_status",
        r#"{"head":{"clientId":0},"body":{"uniqueId":"U1"}}"#,
        r##"/gateway/recipe/querySignDataByUniqueId {"head":{"clientId":0},"body":{"uniqueId":"U1"}}"##,
    ),
    (
        "sign_status",
        r#"{"head":{"a":"1","clientId":"OTHER"},"body":{"uniqueId":"U1"}}"#,
        r##"/gateway/recipe/querySignDataByUniqueId {"head":{"a":"1","clientId":"OTHER"},"body":{"uniqueId":"U1"}}"##,
    ),
    // Other fields, in the caller's order; keys given twice.
    (
        "sign_status",
        r#"{"x":1,"body":{"uniqueId":"U1","y":[true,null,{}]},"head":{"a":"1"}}"#,
        r##"/gateway/recipe/querySignDataByUniqueId {"x":1,"body":{"uniqueId":"U1","y":[true,null,{}]},"head":{"a":"1","clientId":"2017070411003376"}}"##,
    ),
    (
        "sign_status",
        r#"{"body":{"uniqueId":"A","uniqueId":"B"},"head":{},"body":{"uniqueId":"C","z":1}}"#,
        r##"/gateway/recipe/querySignDataByUniqueId {"body":{"uniqueId":"C","z":1},"head":{"clientId":"2017070411003376"}}"##,
    ),
    // Whitespace, escapes, numbers, text that is not ASCII.
    (
        "sign_status",
        " {\n\t\"body\" : { \"uniqueId\" : \"U\\u0031\\/\\n\\\"\" } } \r\n",
        r##"/gateway/recipe/querySignDataByUniqueId {"body":{"uniqueId":"U1/\n\""},"head":{"clientId":"2017070411003376"}}"##,
    ),
    (
        "sign_status",
        r#"{"body":{"uniqueId":"张三 😀","n":[0,-1,1.50,-0,1e2,12345678901234567890,-9223372036854775808]}}"#,
        r##"/gateway/recipe/querySignDataByUniqueId {"body":{"uniqueId":"张三 😀","n":[0,-1,1.5,-0.0,100.0,12345678901234567890,-9223372036854775808]},"head":{"clientId":"2017070411003376"}}"##,
    ),
    // Refused.
    (
        "sign_status",
        r#"{"body":{"uniqueId":123}}"#,
        r##"/gateway/recipe/querySignDataByUniqueId {"body":{"uniqueId":123},"head":{"clientId":"2017070411003376"}}"##,
    ),
    (
        "sign_status",
        r#"{"body":{"uniqueId":""}}"#,
        r##"refused: {"status":"YWX-1002","message":"body.uniqueId 不能为空（接口文档中为必填）","data":null,"error":{"code":"INVALID_ARGUMENT","field":"body.uniqueId"}}"##,
    ),
    (
        "sign_status",
        r#"{"body":{}}"#,
        r##"refused: {"status":"YWX-1002","message":"body.uniqueId 不能为空（接口文档中为必填）","data":null,"error":{"code":"INVALID_ARGUMENT","field":"body.uniqueId"}}"##,
    ),
    (
        "sign_status",
        r#"{"head":{},"body":"x"}"#,
        r##"refused: {"status":"YWX-1002","message":"body 必须是 JSON 对象","data":null,"error":{"code":"INVALID_ARGUMENT","field":"body"}}"##,
    ),
    (
        "sign_status",
        r#"[{"body":{"uniqueId":"U1"}}]"#,
        r##"refused: {"status":"YWX-1002","message":"request 请求必须是一个 JSON 对象 {...}","data":null,"error":{"code":"INVALID_ARGUMENT","field":"request"}}"##,
    ),
    (
        "sign_status",
        r#"{"body":{"uniqueId":"U1"}"#,
        r##"refused: {"status":"YWX-1001","message":"请求不是合法的 JSON：第 1 行第 25 列附近内容不完整：在结束前缺少右括号、引号或值","data":null,"error":{"code":"INVALID_JSON"}}"##,
    ),
    (
        "sign_status",
        r#"{"body":{"uniqueId":"U1"}} x"#,
        r##"refused: {"status":"YWX-1001","message":"请求不是合法的 JSON：第 1 行第 28 列附近JSON 结束后还有多余的内容","data":null,"error":{"code":"INVALID_JSON"}}"##,
    ),
    (
        "sign_status",
        "",
        r##"refused: {"status":"YWX-1001","message":"请求是空字符串：请传入 JSON 对象，例如 {\"head\":{},\"body\":{...}}","data":null,"error":{"code":"INVALID_JSON"}}"##,
    ),
    (
        "sign_status",
        r#"{"$serde_json::private::RawValue":"{\"body\":{\"uniqueId\":\"R\"}}"}"#,
        r##"/gateway/recipe/querySignDataByUniqueId {"body":{"uniqueId":"R"},"head":{"clientId":"2017070411003376"}}"##,
    ),
    // clientSecret and sysTag (body) filled.
    (
        "selfsign_result",
        r#"{"body":{"openId":"o1"}}"#,
        r##"/gateway/selfSign/getResult {"body":{"openId":"o1","sysTag":"his-a"},"head":{"clientId":"2017070411003376","clientSecret":"2017070411003360"}}"##,
    ),
    (
        "selfsign_result",
        r#"{"head":{"clientSecret":"S"},"body":{"sysTag":"","openId":"o1"}}"#,
        r##"/gateway/selfSign/getResult {"head":{"clientSecret":"S","clientId":"2017070411003376"},"body":{"sysTag":"his-a","openId":"o1"}}"##,
    ),
    (
        "selfsign_request",
        r#"{"head":{"clientSecret":null},"body":{"openId":"o1","sessionTime":"16"}}"#,
        r##"/gateway/selfSign/request {"head":{"clientSecret":"2017070411003360","clientId":"2017070411003376"},"body":{"openId":"o1","sessionTime":"16","sysTag":"his-a"}}"##,
    ),
    // A GET: query parameters, a default, clientId and sysTag.
    (
        "oauth_authorize",
        r#"{"sessionTime":5,"selfSign":true,"x":null}"#,
        r##"/gateway/oauth/authorize?sessionTime=5&selfSign=true&responseType=code&clientId=2017070411003376&sysTag=his-a "##,
    ),
    (
        "oauth_authorize",
        r#"{"responseType":"","clientId":"C2","sysTag":"T"}"#,
        r##"/gateway/oauth/authorize?responseType=code&clientId=C2&sysTag=T "##,
    ),
    (
        "oauth_tokeninfo",
        r#"{"requestId":{"a":1}}"#,
        r##"refused: {"status":"YWX-1002","message":"requestId 必须是字符串","data":null,"error":{"code":"INVALID_ARGUMENT","field":"requestId"}}"##,
    ),
    // 4.3.4 (flat, no head) through ywx_digest.
    (
        "digest",
        r#"{"remote":true,"originData":"abc","hashAlg":"SM3"}"#,
        r##"/gateway/common/computeDigestForAlg {"originData":"abc","hashAlg":"SM3"}"##,
    ),
    // A push (kept in the outbox): msg as an object and as a string;
    // originData hashed here (its fields taken out of the body); msg not an
    // object, nor JSON.
    (
        "sign_data",
        r#"{"signType":"0","msg":{"head":{"templateId":"hash_023"},"body":{"urId":"RB1","openId":"o1","patientName":"张三","patientAge":"11","patientSex":"男","patientCardType":"SF","recipeTime":"2017-06-11 11:32:33","hashValue":"LM0WEHidhjstcPCvVVdEMHSK7lwAAAAAAAAAAAAAAAA=","hashType":"SHA-256"}}}"#,
        r##"/gateway/recipe/synRecipeInfo {"signType":"0","msg":{"head":{"templateId":"hash_023","clientId":"2017070411003376","clientSecret":"2017070411003360","sysTag":"his-a"},"body":{"urId":"RB1","openId":"o1","patientName":"张三","patientAge":"11","patientSex":"男","patientCardType":"SF","recipeTime":"2017-06-11 11:32:33","hashValue":"LM0WEHidhjstcPCvVVdEMHSK7lwAAAAAAAAAAAAAAAA=","hashType":"SHA-256"}}}"##,
    ),
    (
        "sign_data",
        r#"{"signType":"0","msg":"{\"head\":{\"templateId\":\"hash_023\",\"clientId\":\"\"},\"body\":{\"urId\":\"RB2\",\"openId\":\"o1\",\"patientName\":\"张三\",\"patientAge\":11,\"patientSex\":\"男\",\"patientCardType\":\"SF\",\"recipeTime\":\"2017-06-11 11:32:33\",\"hashValue\":\"LM0WEHidhjstcPCvVVdEMHSK7lwAAAAAAAAAAAAAAAA=\",\"hashType\":\"SHA-256\"}}"}"#,
        r##"/gateway/recipe/synRecipeInfo {"signType":"0","msg":{"head":{"templateId":"hash_023","clientId":"2017070411003376","clientSecret":"2017070411003360","sysTag":"his-a"},"body":{"urId":"RB2","openId":"o1","patientName":"张三","patientAge":11,"patientSex":"男","patientCardType":"SF","recipeTime":"2017-06-11 11:32:33","hashValue":"LM0WEHidhjstcPCvVVdEMHSK7lwAAAAAAAAAAAAAAAA=","hashType":"SHA-256"}}}"##,
    ),
    (
        "sign_data",
        r#"{"signType":"0","msg":{"head":{"templateId":"hash_023"},"body":{"hashAlg":"SHA256","urId":"RB3","openId":"o1","originData":"处方","patientName":"张三","patientAge":"11","patientSex":"男","patientCardType":"SF","recipeTime":"2017-06-11 11:32:33","tag":"a"}}}"#,
        r##"/gateway/recipe/synRecipeInfo {"signType":"0","msg":{"head":{"templateId":"hash_023","clientId":"2017070411003376","clientSecret":"2017070411003360","sysTag":"his-a"},"body":{"recipeTime":"2017-06-11 11:32:33","urId":"RB3","openId":"o1","tag":"a","patientName":"张三","patientAge":"11","patientSex":"男","patientCardType":"SF","hashValue":"deubroovlYRuiCpL2RpTXeNEbPdMaR4aLSqbAqiU+VU=","hashType":"SHA256"}}}"##,
    ),
    (
        "sign_data",
        r#"{"signType":"0","msg":7}"#,
        r##"refused: {"status":"YWX-1002","message":"msg 必须是 JSON 对象 {\"head\":{...},\"body\":{...}}","data":null,"error":{"code":"INVALID_ARGUMENT","field":"msg"}}"##,
    ),
    (
        "sign_data",
        r#"{"signType":"0","msg":"{\"head\":"}"#,
        r##"refused: {"status":"YWX-1002","message":"msg 必须是 JSON 对象 {\"head\":{...},\"body\":{...}}","data":null,"error":{"code":"INVALID_ARGUMENT","field":"msg"}}"##,
    ),
];

#[test]
fn every_request_is_sent_and_refused_as_before() {
    let _t = TURN.lock().unwrap_or_else(|p| p.into_inner());
    let fake = FakeGateway::start(|_| {
        Action::json(r#"{"status":"0","message":"ok","data":{"uniqueId":"G1"}}"#)
    });
    let mut config = config_for(&fake.base_url());
    config["sysTag"] = json!("his-a");
    config["outbox"] =
        json!({"path": temp_dir("request_bytes").join("outbox.db"), "background": false});
    init_ok(&config);
    let print = std::env::var_os("YWX_PRINT_SENT").is_some();
    let mut wrong = Vec::new();
    for (i, (method, request, expected)) in CASES.iter().enumerate() {
        let got = sent(&fake, method, request);
        if print {
            println!("{i}\t{got}");
        } else if got != *expected {
            wrong.push(format!(
                "case {i} ({method} {request}):\n  sent {got}\n  was  {expected}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
