//! ywx benchmarks: each figure against a reference measured in the same run
//! on the same machine, reported as a ratio.
//!
//! ```text
//! cargo bench --bench ywx              # every section
//! cargo bench --bench ywx -- outbox    # one section
//! ```
//! Sections:
//! - `outbox`: durable enqueue latency of a push while the gateway is down,
//!   against a bare SQLite insert of the same row with the same durability
//!   (WAL, synchronous FULL, one transaction each); delivery throughput after
//!   the outage, against raw keep-alive HTTP POSTs of the same orders.

use std::ffi::{CStr, CString};
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use ywx_sim::{Sim, SimOptions};

fn main() {
    let wanted: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let wants = |s: &str| wanted.is_empty() || wanted.iter().any(|w| w == s);
    let mut report = Report::default();
    if wants("outbox") {
        outbox(&mut report);
    }
    report.print();
}

// ----- reporting -------------------------------------------------------------

#[derive(Default)]
struct Report {
    rows: Vec<Row>,
}

struct Row {
    what: String,
    ours: String,
    reference: String,
    ratio: f64,
    /// `(limit, lower_is_better)`; None: reported, no target.
    target: Option<(f64, bool)>,
}

impl Report {
    fn add(
        &mut self,
        what: &str,
        ours: String,
        reference: String,
        ratio: f64,
        target: Option<(f64, bool)>,
    ) {
        self.rows.push(Row {
            what: what.into(),
            ours,
            reference,
            ratio,
            target,
        });
    }

    fn print(&self) {
        println!();
        println!("| measurement | ywx | reference | ratio | target |");
        println!("|---|---|---|---|---|");
        for r in &self.rows {
            let target = match r.target {
                None => "—".to_string(),
                Some((limit, true)) => {
                    let ok = if r.ratio <= limit { "met" } else { "MISSED" };
                    format!("≤ {limit:.2} {ok}")
                }
                Some((limit, false)) => {
                    let ok = if r.ratio >= limit { "met" } else { "MISSED" };
                    format!("≥ {limit:.2} {ok}")
                }
            };
            println!(
                "| {} | {} | {} | {:.2} | {} |",
                r.what, r.ours, r.reference, r.ratio, target
            );
        }
    }
}

/// Median and 99th percentile of per-operation times.
fn percentiles(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.99))
}

fn us(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

// ----- the library through its C ABI ----------------------------------------------

fn take(ptr: *mut std::ffi::c_char) -> Value {
    // SAFETY: ywx returns NUL-terminated strings it allocated.
    let text = unsafe { CStr::from_ptr(ptr) }
        .to_string_lossy()
        .into_owned();
    // SAFETY: returned by ywx, freed once.
    unsafe { ywx::ffi::ywx_free(ptr) };
    serde_json::from_str(&text).unwrap()
}

fn call(
    f: unsafe extern "system" fn(*const std::ffi::c_char) -> *mut std::ffi::c_char,
    request: &str,
) -> Value {
    let c = CString::new(request).unwrap();
    // SAFETY: a valid C string for the call's duration.
    take(unsafe { f(c.as_ptr()) })
}

fn init(config: &Value) {
    let c = CString::new(config.to_string()).unwrap();
    // SAFETY: as above.
    let r = take(unsafe { ywx::ffi::ywx_init(c.as_ptr()) });
    assert_eq!(r["status"], "0", "{r}");
}

fn order(ur_id: &str) -> Value {
    let mut order: Value = serde_json::from_str(ywx_sim::seed_examples::EX_SIGN_DATA).unwrap();
    let head = order["msg"]["head"].as_object_mut().unwrap();
    head.remove("clientId");
    head.remove("clientSecret");
    order["msg"]["body"]["urId"] = json!(ur_id);
    order["msg"]["body"]["openId"] = json!(ywx_sim::SIGNING_DOCTOR);
    order
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ywx-bench-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn dead_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

// ----- outbox -------------------------------------------------------------------

fn outbox(report: &mut Report) {
    const N: usize = 1000;
    let dir = scratch("outbox");
    let addr = dead_addr();
    init(&json!({
        "baseUrl": format!("http://{addr}"),
        "clientId": ywx_sim::CLIENT_ID,
        "clientSecret": ywx_sim::CLIENT_SECRET,
        "log": {"dir": null},
        "outbox": {"path": dir.join("outbox.db"), "background": false, "retryIntervalMs": 600000},
    }));
    let stamp = std::process::id();
    let orders: Vec<String> = (0..N)
        .map(|i| order(&format!("b{stamp}o{i}")).to_string())
        .collect();
    // The first push finds the gateway down; the rest are queued at once.
    let first = call(
        ywx::ffi::ywx_sign_data,
        &order(&format!("b{stamp}first")).to_string(),
    );
    assert_eq!(first["status"], "YWX-4001", "{first}");
    let mut ours = Vec::with_capacity(N);
    for o in &orders {
        let t = Instant::now();
        let r = call(ywx::ffi::ywx_sign_data, o);
        ours.push(t.elapsed());
        assert_eq!(r["status"], "YWX-4001", "{r}");
    }
    let reference = bare_sqlite_inserts(&dir.join("bare.db"), &orders);
    let (om, op) = percentiles(ours);
    let (rm, rp) = percentiles(reference);
    report.add(
        "outbox: durable enqueue, median (push while the gateway is down vs bare SQLite insert, WAL + synchronous FULL)",
        us(om),
        us(rm),
        om.as_secs_f64() / rm.as_secs_f64(),
        None,
    );
    report.add(
        "outbox: durable enqueue, p99",
        us(op),
        us(rp),
        op.as_secs_f64() / rp.as_secs_f64(),
        None,
    );

    // The gateway comes back: deliver all, against raw POSTs of the same orders.
    let sim = Sim::start_with(SimOptions {
        addr: Some(addr),
        ..SimOptions::default()
    })
    .unwrap();
    let t = Instant::now();
    let r = call(ywx::ffi::ywx_outbox_flush, "{}");
    let took = t.elapsed();
    assert_eq!(r["data"]["delivered"], N + 1, "{}", r["message"]);
    let ours = (N + 1) as f64 / took.as_secs_f64();
    let raw = raw_posts(&sim, stamp, N);
    report.add(
        "outbox: delivery after an outage (orders/s, flush vs raw keep-alive POSTs)",
        format!("{ours:.0}/s"),
        format!("{raw:.0}/s"),
        ours / raw,
        None,
    );
    take(ywx::ffi::ywx_shutdown());
    let _ = std::fs::remove_dir_all(dir);
}

/// The reference for an enqueue: one row of the same size, inserted in its
/// own transaction, with the outbox's durability settings.
fn bare_sqlite_inserts(path: &PathBuf, orders: &[String]) -> Vec<Duration> {
    let c = rusqlite::Connection::open(path).unwrap();
    c.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
        .unwrap();
    c.execute_batch(
        "PRAGMA synchronous = FULL;
         CREATE TABLE t (seq INTEGER PRIMARY KEY, ur_id TEXT UNIQUE, request TEXT, queued_at TEXT);",
    )
    .unwrap();
    let mut times = Vec::with_capacity(orders.len());
    for (i, o) in orders.iter().enumerate() {
        let t = Instant::now();
        c.execute(
            "INSERT INTO t (ur_id, request, queued_at) VALUES (?1, ?2, ?3)",
            rusqlite::params![format!("u{i}"), o, "2026-11-28 10:00:00"],
        )
        .unwrap();
        times.push(t.elapsed());
    }
    times
}

/// Orders per second of raw keep-alive POSTs of the same orders.
fn raw_posts(sim: &Sim, stamp: u32, n: usize) -> f64 {
    let agent: ureq::Agent = ureq::Agent::config_builder().build().into();
    let url = format!("{}/gateway/recipe/synRecipeInfo", sim.base_url());
    let bodies: Vec<String> = (0..n)
        .map(|i| {
            let mut o = order(&format!("r{stamp}o{i}"));
            o["msg"]["head"]["clientId"] = json!(ywx_sim::CLIENT_ID);
            o["msg"]["head"]["clientSecret"] = json!(ywx_sim::CLIENT_SECRET);
            o.to_string()
        })
        .collect();
    let t = Instant::now();
    for b in &bodies {
        let mut r = agent
            .post(&url)
            .header("Content-Type", "application/json;charset=UTF-8")
            .send(b.as_str())
            .unwrap();
        let text = r.body_mut().read_to_string().unwrap();
        assert!(text.contains("\"status\":\"0\""), "{text}");
    }
    n as f64 / t.elapsed().as_secs_f64()
}
