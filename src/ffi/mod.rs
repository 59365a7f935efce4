//! The C boundary: every export of ywx (`exports.rs`, and `generated.rs`,
//! written by `cargo run -p ywx-gen` from the method table) and the one
//! layer that turns C strings into Rust calls and Rust results into C
//! strings.
//!
//! Each export turns its C strings into Rust strings in the configured
//! encoding, runs under [`guard`] so that no panic unwinds into the caller,
//! and returns a JSON envelope allocated here, freed by `ywx_free`.
//! `cargo run -p ywx-gen` feeds both files to cbindgen to write
//! `include/ywx.h`; their doc comments are the header's documentation.
//!
//! Safety, for every `unsafe` export: each `const char *` is NULL or a
//! NUL-terminated string readable for the call's duration; `ywx_free` takes
//! only pointers returned by ywx; `ywx_call_buf`'s `out` has `out_size`
//! writable bytes. The header's preamble states this once for all.

mod exports;
mod generated;

pub use exports::*;
pub use generated::*;

use std::cell::RefCell;
use std::ffi::{CStr, CString, c_char, c_int};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;

use crate::api;
use crate::client;
use crate::codes;
use crate::encoding;
use crate::error::Error;
use crate::methods::{self, Method};

/// Runs `f`, turning a panic into the INTERNAL envelope.
fn guard(f: impl FnOnce() -> Vec<u8>) -> Vec<u8> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        let envelope = Error::internal(what).envelope().to_string();
        // Nothing here loads a config or waits for a lock; even encoding
        // might be what failed: answer in plain UTF-8 then.
        catch_unwind(|| encoding::encode(&envelope, client::encoding_in_force()))
            .unwrap_or_else(|_| envelope.into_bytes())
    })
}

/// Hands bytes to the caller as a NUL-terminated string it must `ywx_free`
/// (a NUL among them taken out: looked for once).
fn into_c(bytes: Vec<u8>) -> *mut c_char {
    let c = CString::new(bytes).unwrap_or_else(|e| {
        let mut bytes = e.into_vec();
        bytes.retain(|b| *b != 0);
        CString::new(bytes).unwrap_or_default()
    });
    c.into_raw()
}

/// The bytes of a caller's C string; None for NULL.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string alive for the call.
unsafe fn bytes<'a>(ptr: *const c_char) -> Option<&'a [u8]> {
    // SAFETY: guaranteed by the caller, as documented on every export.
    (!ptr.is_null()).then(|| unsafe { CStr::from_ptr(ptr) }.to_bytes())
}

/// Decodes the request in the configured encoding and runs `method`.
fn run(method: Result<&'static Method, &str>, request: Option<&[u8]>) -> Vec<u8> {
    let session = api::session_loading_config();
    let (enc, max) = (session.encoding(), session.max_request_bytes());
    let text = match request {
        None => Err(Error::arg(
            "request_json",
            "不能是 NULL 指针，请传入 JSON 字符串",
        )),
        Some(b) if b.len() as u64 > max => Err(Error::new(
            &codes::INPUT_TOO_LARGE,
            format!(
                "请求有 {} 字节，超过配置的上限 maxRequestBytes = {} 字节",
                b.len(),
                max
            ),
        )),
        Some(b) => encoding::decode(b, enc, "请求"),
    };
    let answer = match text {
        Ok(text) => api::call_found(&session, method, &text),
        Err(e) => e.envelope().to_string(),
    };
    encoding::encode_owned(answer, enc)
}

/// One gateway method, guarded, answered as a C string.
fn export(method: &'static Method, request_json: *const c_char) -> *mut c_char {
    // SAFETY: the caller passes NULL or a valid C string (header contract).
    into_c(guard(|| run(Ok(method), unsafe { bytes(request_json) })))
}

/// A method whose request is optional: NULL means `{}`.
fn export_optional(method: &'static Method, request_json: *const c_char) -> *mut c_char {
    // SAFETY: the caller passes NULL or a valid C string (header contract).
    let request = unsafe { bytes(request_json) }.unwrap_or(b"{}");
    into_c(guard(|| run(Ok(method), Some(request))))
}

/// The method name given to `ywx_call`/`ywx_call_buf`.
fn method_name(method: *const c_char) -> Result<String, Error> {
    // SAFETY: the caller passes NULL or a valid C string (header contract).
    match unsafe { bytes(method) } {
        None => Err(Error::new(
            &codes::UNKNOWN_METHOD,
            "method 不能是 NULL 指针，例如传 \"sign_data\"",
        )),
        // `methods::find` takes the name with or without `ywx_`.
        Some(b) => Ok(String::from_utf8_lossy(b).into_owned()),
    }
}

fn call_method(method: *const c_char, request_json: *const c_char) -> Vec<u8> {
    match method_name(method) {
        // SAFETY: as in `export`.
        Ok(name) => run(methods::find(&name).ok_or(&name), unsafe {
            bytes(request_json)
        }),
        Err(e) => encoding::encode(&e.envelope().to_string(), client::encoding_in_force()),
    }
}

/// A result that did not fit the caller's buffer, kept for this thread.
struct Pending {
    method: Vec<u8>,
    request: Option<Vec<u8>>,
    result: Vec<u8>,
}

thread_local! {
    static PENDING: RefCell<Option<Pending>> = const { RefCell::new(None) };
}

/// Where a result is kept when the thread's own storage is gone (a call
/// from an `atexit` handler or a thread-local destructor).
static PENDING_LATE: Mutex<Option<Pending>> = Mutex::new(None);

/// Takes the kept result if it answers (`method`, `request`).
fn take_pending(method: &[u8], request: Option<&[u8]>) -> Option<Vec<u8>> {
    let answers = |k: &Pending| {
        method == b"last_result" || (k.method == method && k.request.as_deref() == request)
    };
    let take = |slot: &mut Option<Pending>| {
        if slot.as_ref().is_some_and(answers) {
            slot.take().map(|k| k.result)
        } else {
            None
        }
    };
    PENDING
        .try_with(|p| take(&mut p.borrow_mut()))
        .unwrap_or_else(|_| take(&mut PENDING_LATE.lock().unwrap_or_else(|p| p.into_inner())))
}

fn keep_pending(pending: Pending) {
    let mut pending = Some(pending);
    let kept = PENDING.try_with(|p| *p.borrow_mut() = pending.take());
    if kept.is_err() {
        *PENDING_LATE.lock().unwrap_or_else(|p| p.into_inner()) = pending;
    }
}

/// # Safety
/// As `ywx_call_buf`; `out_size >= 0`, and `out` is not NULL unless it is 0.
unsafe fn call_buf(
    method: *const c_char,
    request_json: *const c_char,
    out: *mut c_char,
    out_size: c_int,
) -> c_int {
    // SAFETY: NULL or valid C strings (header contract).
    let (m, r) = unsafe { (bytes(method).unwrap_or_default(), bytes(request_json)) };
    let result = take_pending(m, r).unwrap_or_else(|| guard(|| call_method(method, request_json)));
    let len = result.len();
    if len < out_size as usize {
        // SAFETY: `out` has `out_size` writable bytes (contract), len + 1 <= out_size;
        // `result` holds no NUL byte (JSON text, see `encoding::encode`).
        unsafe {
            std::ptr::copy_nonoverlapping(result.as_ptr(), out.cast::<u8>(), len);
            *out.add(len) = 0;
        }
    } else {
        if out_size > 0 {
            // SAFETY: at least one writable byte.
            unsafe { *out = 0 };
        }
        keep_pending(Pending {
            method: m.to_vec(),
            request: r.map(<[u8]>::to_vec),
            result,
        });
    }
    c_int::try_from(len).unwrap_or(c_int::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_among_the_bytes_is_taken_out() {
        for (bytes, want) in [(&b"a\0b\0"[..], "ab"), (b"ok", "ok"), (b"", "")] {
            let ptr = into_c(bytes.to_vec());
            // SAFETY: made by `into_c` just now, freed once.
            let back = unsafe { CString::from_raw(ptr) };
            assert_eq!(back.to_str().unwrap(), want);
        }
    }
}
