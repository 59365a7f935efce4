//! The request pipeline, fuzzed: decode → parse → rules → request shaping,
//! through `ywx::api::prepare` and through the C ABI's `ywx_call`.
//!
//! Input: `METHOD\nREQUEST` (the seeds in corpus/request are the vendor
//! document's examples). The method is any text: an unknown one must be
//! answered too. The lifecycle methods (init, shutdown, version) are left
//! out: fuzzed configs would write outbox and log files and reach for
//! hosts; config parsing has a target of its own.
//!
//! A crash, a NULL result, an answer that is not a JSON envelope, or a
//! panic caught at the boundary (YWX-9001) fails the run.

#![no_main]

use std::ffi::{CStr, CString};
use std::sync::Once;

use libfuzzer_sys::fuzz_target;
use ywx::methods::{self, Run};

/// Configured once: a gateway that refuses at once (nothing listens on
/// port 9 of loopback), no outbox, no log, no retries.
fn setup() {
    let config = r#"{"baseUrl":"http://127.0.0.1:9","clientId":"2017070411003376",
        "clientSecret":"2017070411003360","connectTimeoutMs":100,"timeoutMs":100,
        "retry":{"attempts":1,"backoffMs":0},"outbox":{"enabled":false},
        "log":{"dir":null}}"#;
    let answer = ywx::api::init(Some(config));
    assert_eq!(answer["status"], "0", "{answer}");
}

fuzz_target!(|data: &[u8]| {
    static SETUP: Once = Once::new();
    SETUP.call_once(setup);
    let split = data.iter().position(|b| *b == b'\n').unwrap_or(data.len());
    let (method, request) = (&data[..split], data.get(split + 1..).unwrap_or_default());
    // As ywx_call reads the name (a C string ends at its first NUL): never
    // a lifecycle method here.
    let method = method.split(|b| *b == 0).next().unwrap_or_default();
    let name = String::from_utf8_lossy(method);
    let bare = name.trim().trim_start_matches("ywx_");
    let lifecycle = |m: &methods::Method| matches!(m.run, Run::Lifecycle(_));
    if methods::find(bare).is_some_and(lifecycle) {
        return;
    }
    // The method the request goes to: the one named, or else one of the
    // table chosen by the name's bytes (so that a mangled name still
    // exercises a method's rules); the mangled name itself is called too.
    let eligible: Vec<&methods::Method> = methods::ALL.iter().filter(|m| !lifecycle(m)).collect();
    let chosen = methods::find(bare).unwrap_or_else(|| {
        let pick = method
            .iter()
            .fold(method.len(), |a, b| a.wrapping_mul(31) ^ *b as usize);
        eligible[pick % eligible.len()]
    });

    // Rust terms: the request checked and shaped as it would be sent.
    if let Ok(text) = std::str::from_utf8(request) {
        let _ = ywx::api::prepare(chosen.name, text);
    }

    // The C ABI, as a HIS program calls it (a C string ends at a NUL).
    let c_request = CString::new(request.split(|b| *b == 0).next().unwrap_or_default()).unwrap();
    call(&CString::new(chosen.name).unwrap(), &c_request);
    if methods::find(bare).is_none() {
        let raw = CString::new(method).unwrap();
        // Refused: an unknown method (or, first, a request it could not
        // read at all).
        let envelope = call(&raw, &c_request);
        let status = envelope["status"].as_str().unwrap_or_default();
        assert!(status.starts_with("YWX-1"), "{envelope}");
    }
});

/// `ywx_call`; the answer must be a JSON envelope, never a panic's.
fn call(method: &CString, request: &CString) -> serde_json::Value {
    // SAFETY: valid C strings; the result is freed once, below.
    let result = unsafe { ywx::ffi::ywx_call(method.as_ptr(), request.as_ptr()) };
    assert!(!result.is_null(), "ywx_call returned NULL");
    // SAFETY: ywx returns a NUL-terminated string.
    let text = unsafe { CStr::from_ptr(result) }.to_bytes().to_vec();
    // SAFETY: returned by ywx, freed once.
    unsafe { ywx::ffi::ywx_free(result) };
    let envelope: serde_json::Value = serde_json::from_slice(&text).unwrap_or_else(|e| {
        panic!(
            "not a JSON envelope ({e}): {}",
            String::from_utf8_lossy(&text)
        )
    });
    let status = envelope["status"].as_str().expect("status is a string");
    assert_ne!(
        status, "YWX-9001",
        "a panic caught at the boundary: {envelope}"
    );
    envelope
}
