//! The outbox: durable enqueue latency of a push while the gateway is down,
//! against a bare SQLite insert of the same row with the same durability
//! (WAL, synchronous FULL, one transaction each); delivery throughput after
//! the outage, against raw keep-alive POSTs of the same orders. Rounds
//! alternate between the default log (`info`) and no log, each reported.

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
/// Rounds of outage and recovery (alternately with and without the log),
/// and the orders pushed in each.
const ROUNDS: usize = 6;
const PER_ROUND: usize = 200;

/// What one configuration's rounds measured.
#[derive(Default)]
struct Measured {
    ours: Vec<Duration>,
    reference: Vec<Duration>,
    flushed: Duration,
    posted: Duration,
}

pub fn run(report: &mut Report) {
    let dir = scratch("outbox");
    let addr = dead_addr();
    let config = |log: serde_json::Value| {
        json!({
            "baseUrl": format!("http://{addr}"),
            "clientId": ywx_sim::CLIENT_ID,
            "clientSecret": ywx_sim::CLIENT_SECRET,
            "log": log,
            // The delivery thread off, so that the flush below is what
            // delivers.
            "outbox": {"path": dir.join("outbox.db"), "background": false, "retryIntervalMs": 600000},
        })
    };
    let configs = [
        (
            "log info",
            config(json!({"dir": dir.join("logs"), "level": "info"})),
        ),
        ("no log", config(json!({"dir": null}))),
    ];
    let mut measured = [Measured::default(), Measured::default()];
    let stamp = std::process::id();
    let mut bare = BareTable::open(&dir.join("bare.db"));
    // Each round: the gateway is down while orders are pushed (each push
    // beside a bare insert, so that the disk's mood hits both alike); then
    // it comes back and the outbox is flushed between two halves of raw
    // POSTs of as many other orders, so that drift hits both alike.
    // Unmeasured pushes first, delivered: the first ones into new files
    // are slower.
    init(&configs[0].1);
    for i in 0..50 {
        call(
            ywx::ffi::ywx_sign_data,
            &order(&format!("w{stamp}o{i}")).to_string(),
        );
        bare.insert(1_000_000 + i, "warm-up");
    }
    let sim = Sim::start_with(SimOptions {
        addr: Some(addr),
        ..SimOptions::default()
    })
    .unwrap();
    let r = call(ywx::ffi::ywx_outbox_flush, "{}");
    assert_eq!(r["data"]["delivered"], 50, "{}", r["message"]);
    sim.stop();
    for round in 0..ROUNDS {
        // A B B A A B: neither configuration always goes first.
        let which = [0, 1, 1, 0, 0, 1][round % 6];
        let m = &mut measured[which];
        init(&configs[which].1);
        let orders: Vec<String> = (0..PER_ROUND)
            .map(|i| order(&format!("b{stamp}r{round}o{i}")).to_string())
            .collect();
        for (i, o) in orders.iter().enumerate() {
            let t = Instant::now();
            let r = call(ywx::ffi::ywx_sign_data, o);
            m.ours.push(t.elapsed());
            assert_eq!(r["status"], "YWX-4001", "{r}");
            m.reference.push(bare.insert(round * PER_ROUND + i, o));
        }
        let sim = Sim::start_with(SimOptions {
            addr: Some(addr),
            ..SimOptions::default()
        })
        .unwrap();
        let raw = raw_requests(&sim, &format!("{stamp}r{round}"), PER_ROUND);
        let (before, after) = raw.split_at(PER_ROUND / 2);
        m.posted += raw_posts(&sim, before);
        let t = Instant::now();
        let r = call(ywx::ffi::ywx_outbox_flush, "{}");
        m.flushed += t.elapsed();
        assert_eq!(r["data"]["delivered"], PER_ROUND, "{}", r["message"]);
        m.posted += raw_posts(&sim, after);
        sim.stop();
    }
    for ((name, _), m) in configs.iter().zip(measured) {
        // The targets are the default configuration's.
        let default = *name == "log info";
        let (om, op) = percentiles(m.ours);
        let (rm, rp) = percentiles(m.reference);
        report.add(
            &format!("outbox: durable enqueue, median (push while the gateway is down vs bare SQLite insert, WAL + synchronous FULL; {name})"),
            us(om),
            us(rm),
            om.as_secs_f64() / rm.as_secs_f64(),
            if default { Target::AtMost(1.5) } else { Target::None },
        );
        report.add(
            &format!("outbox: durable enqueue, p99 ({name})"),
            us(op),
            us(rp),
            op.as_secs_f64() / rp.as_secs_f64(),
            Target::None,
        );
        let n = (ROUNDS / 2 * PER_ROUND) as f64;
        let (ours, raw) = (n / m.flushed.as_secs_f64(), n / m.posted.as_secs_f64());
        report.add(
            &format!(
                "outbox: delivery after an outage (orders/s, flush vs raw keep-alive POSTs; {name})"
            ),
            format!("{ours:.0}/s"),
            format!("{raw:.0}/s"),
            ours / raw,
            if default {
                Target::AtLeast(0.8)
            } else {
                Target::None
            },
        );
    }
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

/// Raw requests of `n` orders like those pushed (credentials filled).
fn raw_requests(sim: &Sim, tag: &str, n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| {
            let mut o = order(&format!("r{tag}o{i}"));
            o["msg"]["head"]["clientId"] = json!(ywx_sim::CLIENT_ID);
            o["msg"]["head"]["clientSecret"] = json!(ywx_sim::CLIENT_SECRET);
            RawClient::request(sim.addr(), "/gateway/recipe/synRecipeInfo", &o.to_string())
        })
        .collect()
}

/// The time raw keep-alive POSTs of `requests` take.
fn raw_posts(sim: &Sim, requests: &[Vec<u8>]) -> Duration {
    let mut raw = RawClient::keep_alive(sim.addr());
    let t = Instant::now();
    for r in requests {
        let answer = raw.send(r);
        assert!(String::from_utf8_lossy(&answer).contains("\"status\":\"0\""));
    }
    t.elapsed()
}
