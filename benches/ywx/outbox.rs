//! The outbox: durable enqueue latency of a push while the gateway is down,
//! against a bare SQLite insert of the same row with the same durability
//! (WAL, synchronous FULL, one transaction each); delivery throughput after
//! the outage, against raw keep-alive POSTs of the same orders.

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;
use ywx_sim::{Sim, SimOptions};

use crate::raw::RawClient;
use crate::{Report, Target, call, init, order, percentiles, scratch, take, us};

fn dead_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}
pub fn run(report: &mut Report) {
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
    // Interleaved with the reference, so that the disk's mood hits both.
    let mut bare = BareTable::open(&dir.join("bare.db"));
    let mut ours = Vec::with_capacity(N);
    let mut reference = Vec::with_capacity(N);
    for (i, o) in orders.iter().enumerate() {
        let t = Instant::now();
        let r = call(ywx::ffi::ywx_sign_data, o);
        ours.push(t.elapsed());
        assert_eq!(r["status"], "YWX-4001", "{r}");
        reference.push(bare.insert(i, o));
    }
    let (om, op) = percentiles(ours);
    let (rm, rp) = percentiles(reference);
    report.add(
        "outbox: durable enqueue, median (push while the gateway is down vs bare SQLite insert, WAL + synchronous FULL)",
        us(om),
        us(rm),
        om.as_secs_f64() / rm.as_secs_f64(),
        Target::None,
    );
    report.add(
        "outbox: durable enqueue, p99",
        us(op),
        us(rp),
        op.as_secs_f64() / rp.as_secs_f64(),
        Target::None,
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
        Target::None,
    );
    take(ywx::ffi::ywx_shutdown());
    let _ = std::fs::remove_dir_all(dir);
}

/// The reference for an enqueue: one row of the same size, inserted in its
/// own transaction, with the outbox's durability settings.
struct BareTable(rusqlite::Connection);

impl BareTable {
    fn open(path: &Path) -> BareTable {
        let c = rusqlite::Connection::open(path).unwrap();
        c.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
            .unwrap();
        c.execute_batch(
            "PRAGMA synchronous = FULL;
             CREATE TABLE t (seq INTEGER PRIMARY KEY, ur_id TEXT UNIQUE, request TEXT, queued_at TEXT);",
        )
        .unwrap();
        BareTable(c)
    }

    fn insert(&mut self, i: usize, request: &str) -> Duration {
        let t = Instant::now();
        self.0
            .execute(
                "INSERT INTO t (ur_id, request, queued_at) VALUES (?1, ?2, ?3)",
                rusqlite::params![format!("u{i}"), request, "2026-11-28 10:00:00"],
            )
            .unwrap();
        t.elapsed()
    }
}

/// Orders per second of raw keep-alive POSTs of the same orders.
fn raw_posts(sim: &Sim, stamp: u32, n: usize) -> f64 {
    let requests: Vec<Vec<u8>> = (0..n)
        .map(|i| {
            let mut o = order(&format!("r{stamp}o{i}"));
            o["msg"]["head"]["clientId"] = json!(ywx_sim::CLIENT_ID);
            o["msg"]["head"]["clientSecret"] = json!(ywx_sim::CLIENT_SECRET);
            RawClient::request(sim.addr(), "/gateway/recipe/synRecipeInfo", &o.to_string())
        })
        .collect();
    let mut raw = RawClient::keep_alive(sim.addr());
    let t = Instant::now();
    for r in &requests {
        let answer = raw.send(r);
        assert!(String::from_utf8_lossy(&answer).contains("\"status\":\"0\""));
    }
    n as f64 / t.elapsed().as_secs_f64()
}
