//! The library through its C ABI, as a HIS program calls it.

use std::ffi::{CStr, CString, c_char};

use serde_json::Value;

/// The signature of every `ywx_<method>` export.
pub type Export = unsafe extern "system" fn(*const c_char) -> *mut c_char;

/// Takes a string returned by ywx as text, freeing it with `ywx_free`.
/// Given only what an export just returned (a test helper, not an API).
#[allow(clippy::not_unsafe_ptr_arg_deref)]
pub fn take_text(ptr: *mut c_char) -> String {
    assert!(!ptr.is_null(), "ywx returned NULL");
    // SAFETY: ywx returns NUL-terminated strings it allocated.
    let text = unsafe { CStr::from_ptr(ptr) }
        .to_string_lossy()
        .into_owned();
    // SAFETY: returned by ywx, freed once.
    unsafe { ywx::ffi::ywx_free(ptr) };
    text
}

/// Takes a string returned by ywx, frees it, parses it.
pub fn take(ptr: *mut c_char) -> Value {
    let text = take_text(ptr);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Calls an export with a JSON request (UTF-8).
pub fn call(f: Export, request: &Value) -> Value {
    call_text(f, &request.to_string())
}

/// Calls an export with a request text.
pub fn call_text(f: Export, request: &str) -> Value {
    let c = CString::new(request).unwrap();
    // SAFETY: a valid C string for the call's duration.
    take(unsafe { f(c.as_ptr()) })
}

/// Calls an export with a prepared C string; the answer's text, unparsed
/// (a HIS program gets text too).
pub fn call_c(f: Export, request: &CString) -> String {
    // SAFETY: a valid C string for the call's duration.
    take_text(unsafe { f(request.as_ptr()) })
}

/// `ywx_init` with a JSON config; its answer.
pub fn init(config: &Value) -> Value {
    let c = CString::new(config.to_string()).unwrap();
    // SAFETY: as above.
    take(unsafe { ywx::ffi::ywx_init(c.as_ptr()) })
}

/// `ywx_init` that must succeed.
pub fn init_ok(config: &Value) {
    let r = init(config);
    assert_eq!(r["status"], "0", "{r}");
}

/// `ywx_call(method, request)`.
pub fn call_method(method: &str, request: &Value) -> Value {
    let m = CString::new(method).unwrap();
    let r = CString::new(request.to_string()).unwrap();
    // SAFETY: valid C strings.
    take(unsafe { ywx::ffi::ywx_call(m.as_ptr(), r.as_ptr()) })
}

/// An envelope's status as text, whatever its JSON type.
pub fn status(v: &Value) -> String {
    match &v["status"] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
