//! The local verifier's parsing, fuzzed: the input's first byte picks the
//! field (`signedData`, `timeStampSignData`, `p1`+`cert`, `caCerts`), the
//! rest is the evidence's DER, sent base64 through `ywx_verify_local` as a
//! HIS would. Seeds in corpus/verify: public SM2 samples (a CFCA SADK P7,
//! a Kinsec SM2 timestamp, the GmSSL test chain).
//!
//! A crash, a hang, a NULL result, an answer that is not a JSON envelope,
//! or a panic caught at the boundary (YWX-9001) fails the run. Hostile
//! nesting must be refused (YWX-5001), never recursed into.

#![no_main]

use std::ffi::{CStr, CString};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, der)) = data.split_first() else {
        return;
    };
    let b64 = B64.encode(der);
    let request = match pick % 4 {
        0 => serde_json::json!({"signedData": b64, "originData": "x"}),
        1 => serde_json::json!({"timeStampSignData": b64, "originData": "x"}),
        2 => serde_json::json!({"p1": "MEUCIQ==", "cert": b64, "originData": "x"}),
        _ => serde_json::json!({"timeStampSignData": b64, "caCerts": [b64], "hashValue": "YQ=="}),
    };
    let c = CString::new(request.to_string()).unwrap();
    // SAFETY: a valid C string; the result is freed once, below.
    let result = unsafe { ywx::ffi::ywx_verify_local(c.as_ptr()) };
    assert!(!result.is_null(), "ywx_verify_local returned NULL");
    // SAFETY: ywx returns a NUL-terminated string.
    let text = unsafe { CStr::from_ptr(result) }.to_bytes().to_vec();
    // SAFETY: returned by ywx, freed once.
    unsafe { ywx::ffi::ywx_free(result) };
    let envelope: serde_json::Value = serde_json::from_slice(&text).expect("a JSON envelope");
    let status = envelope["status"].as_str().expect("status is a string");
    assert_ne!(status, "YWX-9001", "a panic caught at the boundary: {envelope}");
});
