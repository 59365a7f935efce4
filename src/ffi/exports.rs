//! The exports that are the C boundary itself and the configuration
//! lifecycle, with the documentation the header carries: each has a
//! signature of its own. The export of each method with a request is
//! generated from the method table (`generated.rs`).
//!
//! Safety, for every `unsafe` export: each `const char *` is NULL or a
//! NUL-terminated string readable for the call's duration; `ywx_free` takes
//! only pointers returned by ywx; `ywx_call_buf`'s `out` has `out_size`
//! writable bytes. The header's preamble states this once for all.
#![allow(clippy::missing_safety_doc)]

use std::ffi::{CString, c_char, c_int};
use std::panic::{AssertUnwindSafe, catch_unwind};

use super::{bytes, call_buf, call_method, guard, into_c};
use crate::{api, client, encoding};

/// Returns the version of ywx, e.g. "0.1.0".
///
/// The string is static: never free it. Thread-safe.
#[unsafe(no_mangle)]
pub extern "system" fn ywx_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// Configures (or reconfigures) the library.
///
/// `config_json` is the configuration object (README: 配置), in UTF-8 or
/// GBK; NULL loads `ywx.json` from beside the library (or the file named by
/// the environment variable `YWX_CONFIG`). Calling it is optional: the first
/// call of any other function loads the file when no config is in force.
/// Returns an envelope describing the effective config, the clientSecret
/// masked; a bad config leaves the library unconfigured (`YWX-1004`).
/// Free the result with `ywx_free`. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ywx_init(config_json: *const c_char) -> *mut c_char {
    into_c(guard(|| {
        // SAFETY: NULL or a valid C string (header contract).
        let envelope = match unsafe { bytes(config_json) } {
            None => api::init(None),
            Some(b) => api::init(Some(&encoding::decode_config(b))),
        };
        encoding::encode(&envelope.to_string(), client::encoding_in_force())
    }))
}

/// Stops background work, closes connections and flushes the log, so that
/// the library can be unloaded (`FreeLibrary`, `dlclose`). A later call
/// configures the library again from `ywx.json`, or call `ywx_init`.
/// Free the result with `ywx_free`.
#[unsafe(no_mangle)]
pub extern "system" fn ywx_shutdown() -> *mut c_char {
    into_c(guard(|| {
        let enc = client::encoding_in_force();
        encoding::encode(&api::shutdown().to_string(), enc)
    }))
}

/// Frees a string returned by any ywx function. NULL is a no-op.
///
/// Pass only pointers returned by ywx, each exactly once; never the result
/// of `ywx_version`.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ywx_free(s: *mut c_char) {
    if !s.is_null() {
        // SAFETY: `s` came from `CString::into_raw` in `into_c` (contract).
        let _ = catch_unwind(AssertUnwindSafe(|| drop(unsafe { CString::from_raw(s) })));
    }
}

/// Calls any method by name: `method` is an export's name without `ywx_`
/// (`"sign_data"`, `"digest"`, `"sign_wait"`...), `request_json` its request.
/// An unknown method gives `YWX-1006`. Free the result with `ywx_free`.
/// Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ywx_call(
    method: *const c_char,
    request_json: *const c_char,
) -> *mut c_char {
    into_c(guard(|| call_method(method, request_json)))
}

/// `ywx_call` into a caller's buffer, for PowerBuilder and VB6, which cannot
/// free memory returned by a DLL.
///
/// Returns the length in bytes of the full result, without its NUL. When it
/// is less than `out_size`, the result and a NUL were written to `out`.
/// Otherwise `out` receives an empty string and the result is kept for the
/// calling thread: call again with a buffer of at least (return value + 1)
/// bytes and the same `method` and `request_json` (or the method
/// `"last_result"`), and the kept result is delivered without running the
/// request again. `out` may be NULL when `out_size` is 0 (to ask the size).
/// Returns -1 when `out_size` is negative, or `out` is NULL and `out_size`
/// is not 0. Thread-safe; the kept result is per thread.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ywx_call_buf(
    method: *const c_char,
    request_json: *const c_char,
    out: *mut c_char,
    out_size: c_int,
) -> c_int {
    if out_size < 0 || (out.is_null() && out_size != 0) {
        return -1;
    }
    // SAFETY: the caller's pointers, as documented above.
    catch_unwind(AssertUnwindSafe(|| unsafe {
        call_buf(method, request_json, out, out_size)
    }))
    .unwrap_or(-1)
}
