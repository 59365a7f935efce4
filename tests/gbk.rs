//! A Delphi 7 / PowerBuilder `;Ansi` caller on Chinese Windows: GBK bytes
//! in, GBK bytes out.

use std::ffi::{CStr, CString, c_char};

use encoding_rs::GB18030;
use serde_json::{Value, json};
use ywx::ffi::*;
use ywx_sim::Sim;

fn gbk_call(f: ywx_testkit::Export, request: &str) -> (Vec<u8>, Value) {
    let bytes = GB18030.encode(request).0.into_owned();
    let c = CString::new(bytes).unwrap();
    // SAFETY: a valid C string; the result is freed below.
    let ptr = unsafe { f(c.as_ptr()) };
    // SAFETY: returned by ywx.
    let out = unsafe { CStr::from_ptr(ptr) }.to_bytes().to_vec();
    // SAFETY: returned by ywx, freed once.
    unsafe { ywx_free(ptr) };
    let text = GB18030
        .decode_without_bom_handling_and_without_replacement(&out)
        .expect("the answer is valid GBK")
        .into_owned();
    (out, serde_json::from_str(&text).unwrap())
}

#[test]
fn gbk_in_gbk_out_and_invalid_gbk_is_an_error() {
    let sim = Sim::start();
    let mut config = ywx_testkit::config_for(sim.base_url());
    config["encoding"] = json!("gbk");
    let c = CString::new(config.to_string()).unwrap();
    // SAFETY: a valid C string; the answer is in the new encoding, GBK.
    let ptr = unsafe { ywx_init(c.as_ptr()) };
    // SAFETY: returned by ywx, freed once.
    let answer = GB18030
        .decode(unsafe { CStr::from_ptr(ptr) }.to_bytes())
        .0
        .into_owned();
    unsafe { ywx_free(ptr) };
    assert!(answer.contains("配置已生效"), "{answer}");

    // A push with Chinese patient data, as GBK bytes.
    let order = ywx_testkit::hash_order(&ywx_testkit::ur_id("gbk"), ywx_sim::SIGNING_DOCTOR);
    let (_, r) = gbk_call(ywx_sign_data, &order.to_string());
    assert_eq!(r["status"], "0", "{r}");

    // The answer's Chinese arrives as GBK: 医 is D2 BD in GBK.
    let (bytes, r) = gbk_call(
        ywx_doctor_search,
        &json!({"body": {"openId": ywx_sim::SIGNING_DOCTOR}}).to_string(),
    );
    assert_eq!(r["status"], "0", "{r}");
    assert!(
        std::str::from_utf8(&bytes).is_err() || bytes.is_ascii(),
        "not UTF-8"
    );
    let (bytes, r) = gbk_call(
        ywx_sign_data,
        r#"{"signType":"0","msg":{"head":{"templateId":"hash"},"body":{"urId":"x-1"}}}"#,
    );
    assert_eq!(r["status"], "YWX-1002");
    assert!(r["message"].as_str().unwrap().contains("字母或数字"), "{r}");
    assert!(
        bytes.windows(2).any(|w| w == [0xD7, 0xD6]),
        "字 in GBK: {bytes:?}"
    );

    // The digest of originData is of its UTF-8 bytes, whatever the encoding.
    let (_, r) = gbk_call(
        ywx_digest,
        &json!({"originData": "医网信", "hashAlg": "SHA256"}).to_string(),
    );
    let utf8 = ywx::digest::base64(&ywx::digest::digest(
        ywx::digest::Alg::Sha256,
        "医网信".as_bytes(),
    ));
    assert_eq!(r["data"]["hashValue"], utf8.as_str());

    // 0x81 0x20 is not GBK: an error envelope, never mojibake.
    let bad = b"{\"originData\":\"\x81\x20\"}\0";
    // SAFETY: NUL-terminated.
    let ptr = unsafe { ywx_digest(bad.as_ptr().cast::<c_char>()) };
    // SAFETY: returned by ywx.
    let out = unsafe { CStr::from_ptr(ptr) }.to_bytes().to_vec();
    // SAFETY: returned by ywx, freed once.
    unsafe { ywx_free(ptr) };
    let r: Value = serde_json::from_str(&GB18030.decode(&out).0).unwrap();
    assert_eq!(r["status"], "YWX-1003", "{r}");
    assert_eq!(r["error"]["code"], "INVALID_ENCODING");
    assert!(r["message"].as_str().unwrap().contains("GBK"));
}
