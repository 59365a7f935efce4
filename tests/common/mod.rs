//! Shared by the integration tests: a simulator per test binary, the
//! library configured against it, and calls through the C ABI.
#![allow(dead_code)]

use std::ffi::{CStr, CString, c_char};
use std::sync::OnceLock;

use serde_json::{Value, json};
use ywx_sim::Sim;

pub type Export = unsafe extern "system" fn(*const c_char) -> *mut c_char;

/// Takes a string returned by ywx, frees it with `ywx_free`, parses it.
pub fn take(ptr: *mut c_char) -> Value {
    assert!(!ptr.is_null(), "ywx returned NULL");
    // SAFETY: ywx returns NUL-terminated strings it allocated.
    let text = unsafe { CStr::from_ptr(ptr) }.to_str().unwrap().to_owned();
    // SAFETY: returned by ywx, freed once.
    unsafe { ywx::ffi::ywx_free(ptr) };
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Calls an export with a JSON request (UTF-8).
pub fn call(f: Export, request: &Value) -> Value {
    call_text(f, &request.to_string())
}

pub fn call_text(f: Export, request: &str) -> Value {
    let c = CString::new(request).unwrap();
    // SAFETY: a valid C string for the call's duration.
    take(unsafe { f(c.as_ptr()) })
}

/// `ywx_init` with a JSON config.
pub fn init(config: &Value) -> Value {
    let c = CString::new(config.to_string()).unwrap();
    // SAFETY: as above.
    take(unsafe { ywx::ffi::ywx_init(c.as_ptr()) })
}

/// A directory of this test process's own under the system temp dir.
pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ywx-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The config for a simulator at `base_url`; the outbox in this process's
/// own temp dir.
pub fn config_for(base_url: &str) -> Value {
    json!({
        "baseUrl": base_url,
        "clientId": ywx_sim::CLIENT_ID,
        "clientSecret": ywx_sim::CLIENT_SECRET,
        "log": {"dir": null},
        "retry": {"attempts": 2, "backoffMs": 20},
        "outbox": {"path": temp_dir("outbox").join("outbox.db")},
    })
}

/// One simulator for the whole test binary, the library configured for it.
/// Tests in a binary share it and keep apart by their own urIds.
pub fn sim() -> &'static Sim {
    static SIM: OnceLock<Sim> = OnceLock::new();
    SIM.get_or_init(|| {
        let sim = Sim::start();
        let r = init(&config_for(sim.base_url()));
        assert_eq!(r["status"], "0", "{r}");
        sim
    })
}

/// A control-API call to the simulator (the doctor's phone, the clock...).
pub fn control(sim: &Sim, path: &str, body: &Value) -> Value {
    let mut resp = ureq::post(&format!("{}{path}", sim.base_url()))
        .header("Content-Type", "application/json")
        .send(body.to_string())
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap()
}

pub fn sim_state(sim: &Sim) -> Value {
    let mut resp = ureq::get(&format!("{}/sim/state", sim.base_url()))
        .call()
        .unwrap();
    serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap()
}

/// A fresh urId: letters and digits, unique in this process.
pub fn ur_id(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{prefix}{}{}",
        nanos % 1_000_000_000_000,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// The seed's sign-data example (4.3.5) with its own urId and doctor.
pub fn hash_order(ur_id: &str, open_id: &str) -> Value {
    let mut order: Value = serde_json::from_str(ywx_sim::seed_examples::EX_SIGN_DATA).unwrap();
    let head = order["msg"]["head"].as_object_mut().unwrap();
    head.remove("clientId");
    head.remove("clientSecret");
    order["msg"]["body"]["urId"] = json!(ur_id);
    order["msg"]["body"]["openId"] = json!(open_id);
    order
}

/// A small valid PDF.
pub fn tiny_pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n".to_vec()
}

pub fn status(v: &Value) -> String {
    match &v["status"] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
