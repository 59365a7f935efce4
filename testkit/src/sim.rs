//! A simulator per test binary, the library configured for it, the
//! simulator's control API, and the orders the tests push.

use std::io::{Read, Write};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};
use ywx_sim::Sim;

use crate::{init_ok, temp_dir};

/// The config for a simulator at `base_url`: no log, quick retries, the
/// outbox in a temp dir of its own.
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
    sim_with(ywx_sim::SimOptions::default())
}

/// `sim()` started with `opts`: the first call in a test binary starts it,
/// so a binary calls this (or `sim()`) with the same options throughout.
pub fn sim_with(opts: ywx_sim::SimOptions) -> &'static Sim {
    static SIM: OnceLock<Sim> = OnceLock::new();
    SIM.get_or_init(|| {
        let sim = Sim::start_with(opts).expect("start ywx-sim");
        init_ok(&config_for(sim.base_url()));
        sim
    })
}

/// The simulator of the demo and the flow tests: simulated doctors sign
/// what is pushed after 500 ms.
pub fn demo_sim() -> std::io::Result<Sim> {
    Sim::start_with(ywx_sim::SimOptions {
        auto_sign_ms: Some(500),
        ..Default::default()
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

/// `GET /sim/state`: orders by state, calls by endpoint.
pub fn sim_state(sim: &Sim) -> Value {
    serde_json::from_str(&http_get(sim.base_url(), "/sim/state").unwrap()).unwrap()
}

/// A bare HTTP/1.1 GET of `path` on the simulator (`base_url` is
/// `http://127.0.0.1:PORT`); returns the body.
pub fn http_get(base_url: &str, path: &str) -> Result<String, String> {
    let host = base_url
        .strip_prefix("http://")
        .ok_or_else(|| format!("not an http:// URL: {base_url}"))?
        .trim_end_matches('/');
    let mut conn = std::net::TcpStream::connect(host).map_err(|e| format!("{host}: {e}"))?;
    write!(
        conn,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut reply = Vec::new();
    conn.read_to_end(&mut reply).map_err(|e| e.to_string())?;
    let reply = String::from_utf8_lossy(&reply);
    let (head, body) = reply
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("bad HTTP reply: {reply}"))?;
    if !head.starts_with("HTTP/1.1 200") {
        return Err(format!("GET {path}: {head}"));
    }
    Ok(body.to_string())
}

/// How many times the simulator served the gateway endpoint `path`.
pub fn sim_calls(base_url: &str, endpoint: &str) -> Result<u64, String> {
    let body = http_get(base_url, "/sim/state")?;
    let v: Value = serde_json::from_str(&body).map_err(|e| format!("{e}: {body}"))?;
    Ok(v["calls"][endpoint].as_u64().unwrap_or(0))
}

/// A fresh urId: letters and digits, unique in this process.
pub fn ur_id(prefix: &str) -> String {
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

/// The document's sign-data example (4.3.5) with its own urId and doctor,
/// the credentials left for the library to fill.
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

/// A request for every method a caller can name but the lifecycle ones:
/// each entry's example in the method table (the vendor document's
/// example, 4.3.x, 5.1.x, 6.1.x, where it has one). For sweeps over every
/// field of every method (tests/privacy.rs); the fuzzers' seed corpus is
/// the same examples (`cargo run -p ywx-gen`).
pub fn seed_requests() -> Vec<(&'static str, String)> {
    ywx::methods::TABLE
        .iter()
        .filter(|e| {
            !matches!(
                e.method.run,
                ywx::methods::Run::Lifecycle(_) | ywx::methods::Run::Boundary
            )
        })
        .map(|e| (e.method.name, e.example.to_string()))
        .collect()
}
