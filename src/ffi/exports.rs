//! Every export of ywx, with the documentation the header carries.
//!
//! Safety, for every `unsafe` export: each `const char *` is NULL or a
//! NUL-terminated string readable for the call's duration; `ywx_free` takes
//! only pointers returned by ywx; `ywx_call_buf`'s `out` has `out_size`
//! writable bytes. The header's preamble states this once for all.
#![allow(clippy::missing_safety_doc)]

use std::ffi::{CString, c_char, c_int};
use std::panic::{AssertUnwindSafe, catch_unwind};

use super::{bytes, call_buf, call_method, export, export_optional, guard, into_c};
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

/// 同步医师结果查询 POST /gateway/doctor/synDoctorSearch (2.3.2).
///
/// `request_json`: `{"head":{...},"body":{"openId"|"phone"|"userIdcardNum"|"employeeNumber"}}`
/// in the configured encoding; `head` and its clientId may be left out.
/// Returns the gateway's envelope, or a `YWX-xxxx` error envelope; never
/// NULL. Free it with `ywx_free`. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ywx_doctor_search(request_json: *const c_char) -> *mut c_char {
    export("doctor_search", request_json)
}

/// OAuth 登录认证请求 GET /gateway/oauth/authorize (3.3.1).
///
/// `request_json`: the query parameters as an object,
/// `{"selfSign":true,"sysTag":"HIS","sessionTime":4}`; clientId and
/// `responseType` "code" are filled. `data.imgBase64` is the QR code to show.
/// Free the result with `ywx_free`. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ywx_oauth_authorize(request_json: *const c_char) -> *mut c_char {
    export("oauth_authorize", request_json)
}

/// OAuth 获取用户信息 GET /gateway/oauth/tokeninfo (3.3.2).
///
/// `request_json`: `{"requestId":"..."}`. Free the result with `ywx_free`.
/// Thread-safe. See also `ywx_oauth_wait`.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ywx_oauth_tokeninfo(request_json: *const c_char) -> *mut c_char {
    export("oauth_tokeninfo", request_json)
}

/// 请求自动签名授权 POST /gateway/selfSign/request (4.3.1).
///
/// `request_json`: `{"body":{"openId":"...","sysTag":"HIS"}}`; head is
/// filled from the config. `data` is the QR code image in base64.
/// Free the result with `ywx_free`. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ywx_selfsign_request(request_json: *const c_char) -> *mut c_char {
    export("selfsign_request", request_json)
}

/// 获取自动签名授权结果 POST /gateway/selfSign/getResult (4.3.2).
///
/// `request_json`: `{"body":{"openId":"..."}}`; `data.grantStep` is
/// `YWX_GRANT_STEP_*`. Free the result with `ywx_free`. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ywx_selfsign_result(request_json: *const c_char) -> *mut c_char {
    export("selfsign_result", request_json)
}

/// 退出自动签名授权 POST /gateway/selfSign/quit (4.3.3).
///
/// `request_json`: `{"body":{"openId":"...","sysTag":"HIS"}}`.
/// Free the result with `ywx_free`. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ywx_selfsign_quit(request_json: *const c_char) -> *mut c_char {
    export("selfsign_quit", request_json)
}

/// 数据摘要 (4.3.4), computed locally: SHA1, SHA256 or SM3 (default).
///
/// `request_json`: `{"originData":"text","hashAlg":"SM3"}` (the text's UTF-8
/// bytes are hashed, whatever the configured encoding) or
/// `{"originFile":"path"}` (hashed streaming); `"remote":true` asks the
/// gateway's computeDigestForAlg instead. Answers
/// `{"status":"0","data":{"hashValue":base64,"hashType":"SM3"}}`.
/// Needs no config unless remote. Free the result with `ywx_free`. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ywx_digest(request_json: *const c_char) -> *mut c_char {
    export("digest", request_json)
}

/// 数据签名 POST /gateway/recipe/synRecipeInfo (4.3.5).
///
/// `request_json`: `{"signType":0|4,"msg":{"head":{"templateId":"hash_001",...},"body":{...}}}`
/// exactly as the document shows; clientId/clientSecret/sysTag filled from
/// the config. `originData`/`originFile` (+ `hashAlg`) may replace
/// `hashValue`/`hashType` (hashed here: the text never leaves the
/// hospital); `pdfFile` may replace `pdfBase64`, `appendixFile`
/// `appendixFileBase64`. Every field rule is checked before sending.
/// When the gateway cannot be reached the push is stored in the outbox
/// and answered `YWX-4001` (see `ywx_outbox_list`). One urId makes one
/// order: a push whose outcome is unknown (sent, answer lost) is looked up
/// through 5.1.1 before it is ever sent again; only a gateway that does
/// not list the order there can receive it twice.
/// Free the result with `ywx_free`. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ywx_sign_data(request_json: *const c_char) -> *mut c_char {
    export("sign_data", request_json)
}

/// 商务办公类数据签名 POST /gateway/signInfo/syn (4.3.6).
///
/// `request_json`: `{"signType":0|1|2,"msg":{"head":{"templateId":"contract_001"},"body":{...}}}`;
/// `pdfFile` may replace `pdfBase64`. Offline and exactly-once as
/// `ywx_sign_data`. Free the result with `ywx_free`. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ywx_sign_business(request_json: *const c_char) -> *mut c_char {
    export("sign_business", request_json)
}

/// 签名状态查询（按订单）POST /gateway/recipe/querySignDataByUniqueId (4.3.7).
///
/// `request_json`: `{"body":{"uniqueId":"..."}}`; `data.status` is
/// `YWX_SIGN_STATUS_*`. Free the result with `ywx_free`. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ywx_sign_status(request_json: *const c_char) -> *mut c_char {
    export("sign_status", request_json)
}

/// 签名状态查询（按时间）POST /gateway/recipe/signDataListSearchByTime (5.1.1).
///
/// `request_json`: `{"body":{"startDate":"yyyy-MM-dd HH:mm:ss","endDate":"...","pageNum":1,"pageSize":10}}`;
/// pageNum and pageSize default to 1 and 10. Free the result with
/// `ywx_free`. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ywx_sign_list(request_json: *const c_char) -> *mut c_char {
    export("sign_list", request_json)
}

/// 获取签名结果 POST /gateway/recipe/synSignDataSearch (5.1.2).
///
/// `request_json`: `{"body":{"uniqueId":"...","isP1":false}}`: P7
/// `signedData`, or `p1` and `cert` when isP1 is true. Free the result with
/// `ywx_free`. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ywx_sign_result(request_json: *const c_char) -> *mut c_char {
    export("sign_result", request_json)
}

/// 查询医生是否有待签数据 GET /gateway/doctor/existUnsign (5.1.3).
///
/// `request_json`: `{"openId":"..."}`; `data` is true or false.
/// Free the result with `ywx_free`. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ywx_doctor_pending(request_json: *const c_char) -> *mut c_char {
    export("doctor_pending", request_json)
}

/// 删除待签数据 POST /gateway/recipe/deleteUnsignedDataByUniqueId (5.1.4).
///
/// `request_json`: `{"body":{"uniqueId":"..."}}`. Free the result with
/// `ywx_free`. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ywx_sign_delete(request_json: *const c_char) -> *mut c_char {
    export("sign_delete", request_json)
}

/// 验证签名结果 POST /gateway/recipe/verifyDataById (6.1.1).
///
/// `request_json`: `{"head":{"uniqueId":"..."},"body":{the fields as pushed}}`;
/// `originData` may replace hashValue/hashType as in `ywx_sign_data`.
/// `data.verifyResult` is true or false. Free the result with `ywx_free`.
/// Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ywx_verify_data(request_json: *const c_char) -> *mut c_char {
    export("verify_data", request_json)
}

/// 验证本地时间戳 POST /gateway/recipe/verifyTimeStamp (6.1.2).
///
/// `request_json`: `{"body":{"uniqueId":"..."}}`. Free the result with
/// `ywx_free`. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ywx_verify_timestamp(request_json: *const c_char) -> *mut c_char {
    export("verify_timestamp", request_json)
}

/// 本地离线验签 (offline): a P7, a P1 with its certificate, or an RFC 3161
/// timestamp verified here, never sent to the gateway.
///
/// `request_json`: `{"signedData":"MII..."}` (attached or detached P7),
/// or `{"p1":"...","cert":"MII..."}`, and/or `"timeStampSignData"`; each
/// base64 of DER or PEM. The content, when the signature does not carry
/// it: `originData` (text), `hashValue` + `hashType`, or `contentBase64`.
/// Options: `checkTime` ("auto", "now", "yyyy-MM-dd HH:mm:ss"),
/// `sm2UserId` (default "1234567812345678"), `caCerts` and
/// `intermediates` (lists of base64 DER or PEM), `returnContent`. Trusts
/// `caCerts` and the config's `verify.caFile`. Answers status "0" whenever
/// verification ran, with `data.verified` and `data.checks` saying what
/// held; `YWX-1002`, `YWX-5001` (unreadable evidence) or `YWX-5002`
/// (unsupported algorithm) when it could not run. Needs no config.
/// Free the result with `ywx_free`. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ywx_verify_local(request_json: *const c_char) -> *mut c_char {
    export("verify_local", request_json)
}

/// Waits until a sign order is final: polls `ywx_sign_status` until the
/// order leaves state 0 (待处理) and 10 (未领取).
///
/// `request_json`: `{"uniqueId":"...","timeoutSeconds":60,"intervalMs":1000}`.
/// Returns the last status envelope, or `YWX-4002` (WAIT_TIMEOUT) with the
/// last answer in `data`. Blocks the calling thread for at most
/// timeoutSeconds. Free the result with `ywx_free`. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ywx_sign_wait(request_json: *const c_char) -> *mut c_char {
    export("sign_wait", request_json)
}

/// Waits for the doctor's answer to a self-sign request: polls
/// `ywx_selfsign_result` until grantStep is 1 (allowed) or 2 (refused).
///
/// `request_json`: `{"openId":"...","sysTag":"HIS","timeoutSeconds":120}`.
/// Timeout: `YWX-4002`. Free the result with `ywx_free`. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ywx_selfsign_wait(request_json: *const c_char) -> *mut c_char {
    export("selfsign_wait", request_json)
}

/// Waits for the doctor to scan the OAuth login QR code: polls
/// `ywx_oauth_tokeninfo` while it answers "not yet scanned" (the gateway's
/// `{"status":"1","message":"未授权"}`) and returns its first other answer:
/// the user, or at once a refusal or an unknown requestId.
///
/// `request_json`: `{"requestId":"...","timeoutSeconds":120}`.
/// Timeout: `YWX-4002`. Free the result with `ywx_free`. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ywx_oauth_wait(request_json: *const c_char) -> *mut c_char {
    export("oauth_wait", request_json)
}

/// Lists the offline outbox (断网缓存): the sign pushes that could not reach
/// the gateway and were stored to be delivered later.
///
/// `request_json`: `{"urId":"...","state":"queued"|"delivered"|"failed"}`,
/// both optional; NULL or `{}` lists everything. Answers
/// `{"status":"0","data":{"items":[{"urId","method","state","attempts",
/// "lastError","queuedAt","deliveredAt","response"}]}}`; `response` is the
/// gateway's answer once delivered (its `data.uniqueId`). Free the result
/// with `ywx_free`. Thread-safe; several processes may share the outbox file.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ywx_outbox_list(request_json: *const c_char) -> *mut c_char {
    export_optional("outbox_list", request_json)
}

/// Delivers the queued pushes now, in order, and reports what happened:
/// `{"status":"0","data":{"delivered":n,"failed":n,"queued":n,"items":[...]}}`
/// where `queued` counts those still waiting (gateway unreachable, or
/// answering 502/503/504/408/429). An item whose earlier attempt may have
/// reached the gateway is first looked up through 5.1.1: found, it is
/// delivered with that uniqueId (`response.data.reconciled` true); only
/// otherwise is it sent again. Other failures are retried up to
/// `outbox.maxAttempts`, then the item ends `failed` with the last error.
///
/// `request_json`: `{"urId":"..."}` to deliver one item, or NULL / `{}`
/// for all. Blocks while delivering. Free the result with `ywx_free`.
/// Thread-safe; two threads or processes never send one item at once.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ywx_outbox_flush(request_json: *const c_char) -> *mut c_char {
    export_optional("outbox_flush", request_json)
}
