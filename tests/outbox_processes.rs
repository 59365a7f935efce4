//! The outbox across processes: HIS programs killed at any moment, and
//! several programs on one workstation sharing one outbox file.
//!
//! The HIS program killed here is this test binary itself, run again as a
//! child with `--ignored his_process` and its orders in the environment.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use ywx::ffi::*;
use ywx_sim::{Sim, SimOptions};
use ywx_testkit::*;

const CHILD_ENV: &str = "YWX_TEST_HIS_PROCESS";

fn dead_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// A gateway that does NOT key orders by urId (every push a new order): the
/// outbox's exactly-once must not rest on the gateway.
fn start_sim_at(addr: SocketAddr) -> Sim {
    Sim::start_with(SimOptions {
        addr: Some(addr),
        no_dedupe: true,
        ..SimOptions::default()
    })
    .expect("the simulator starts on the gateway's address")
}

/// A config file for a gateway at `addr` with the outbox at `outbox`.
fn config_file(dir: &Path, addr: SocketAddr, outbox: &Path, background: bool) -> PathBuf {
    let mut config = config_for(&format!("http://{addr}"));
    config["outbox"] = json!({"path": outbox, "retryIntervalMs": 100, "background": background});
    config["connectTimeoutMs"] = json!(500);
    config["timeoutMs"] = json!(1000);
    let path = dir.join(format!("ywx-{}.json", ur_id("cfg")));
    std::fs::write(&path, config.to_string()).unwrap();
    path
}

fn sim_orders(sim: &Sim) -> Vec<Value> {
    let mut resp = ureq::get(&format!("{}/sim/orders", sim.base_url()))
        .call()
        .unwrap();
    serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap()
}

/// A small pseudo-random sequence (no dependency for one test).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

/// The HIS program: configured from `$YWX_CONFIG`, it pushes the orders
/// named in the environment one after another, printing `urId status` as
/// each answer arrives, then lets its outbox thread work until killed.
/// Run only as a child of the tests below.
#[test]
#[ignore = "the HIS program the tests below run and kill; not a test by itself"]
fn his_process() {
    let Ok(orders) = std::env::var(CHILD_ENV) else {
        return;
    };
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    writeln!(out).unwrap(); // after the harness's "test his_process ... "
    for ur in orders.split(',').filter(|s| !s.is_empty()) {
        writeln!(out, "start {ur}").unwrap();
        out.flush().unwrap();
        let r = call(ywx_sign_data, &hash_order(ur, ywx_sim::SIGNING_DOCTOR));
        writeln!(out, "answer {ur} {}", status(&r)).unwrap();
        out.flush().unwrap();
    }
    if std::env::var("YWX_TEST_DRAIN").is_ok() {
        let r = take(unsafe { ywx_outbox_flush(std::ptr::null()) });
        writeln!(out, "drained {}", r["data"]["queued"]).unwrap();
        out.flush().unwrap();
        return;
    }
    std::thread::sleep(Duration::from_secs(30));
}

fn his(config: &Path, orders: &[String], drain: bool) -> Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--ignored",
        "--exact",
        "his_process",
        "--nocapture",
        "--test-threads",
        "1",
    ])
    .env("YWX_CONFIG", config)
    .env(CHILD_ENV, orders.join(","))
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    if drain {
        cmd.env("YWX_TEST_DRAIN", "1");
    }
    cmd.spawn().unwrap()
}

/// What a (killed) HIS program printed: urIds started, and their answers.
fn read_lines(child: &mut Child) -> Vec<String> {
    let out = child.stdout.take().unwrap();
    BufReader::new(out).lines().map_while(Result::ok).collect()
}

#[test]
fn his_programs_killed_at_random_moments_lose_and_duplicate_nothing() {
    let dir = temp_dir(&ur_id("kill"));
    let outbox = dir.join("outbox.db");
    let addr = dead_addr();
    let config = config_file(&dir, addr, &outbox, true);
    let mut rng = Lcg(std::process::id() as u64);
    let mut started = Vec::new();
    let mut answered = Vec::new();
    let mut sim = None;
    for round in 0..50 {
        if round == 20 {
            // The network comes back; answers come slowly, so that kills
            // land in the middle of deliveries.
            let s = start_sim_at(addr);
            control(
                &s,
                "/sim/faults",
                &json!({"mode": "latency", "count": 1_000_000, "latencyMs": 15}),
            );
            sim = Some(s);
        }
        let orders: Vec<String> = (0..8).map(|i| ur_id(&format!("k{round}n{i}x"))).collect();
        let mut child = his(&config, &orders, false);
        std::thread::sleep(Duration::from_millis(20 + rng.next(250)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        for line in read_lines(&mut child) {
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                ["start", ur] => started.push(ur.to_string()),
                ["answer", ur, status] => answered.push((ur.to_string(), status.to_string())),
                _ => {}
            }
        }
    }
    let sim = sim.unwrap();
    control(&sim, "/sim/faults", &json!({"mode": "none"}));
    // Restarted once more, the HIS program delivers what is left.
    let mut child = his(&config, &[], true);
    let lines = read_lines(&mut child);
    assert!(child.wait().unwrap().success(), "{lines:?}");
    assert!(lines.iter().any(|l| l == "drained 0"), "{lines:?}");

    let queued_or_taken: Vec<&String> = answered
        .iter()
        .filter(|(_, s)| s == "0" || s == "YWX-4001")
        .map(|(u, _)| u)
        .collect();
    assert!(
        answered.iter().any(|(_, s)| s == "YWX-4001") && answered.iter().any(|(_, s)| s == "0"),
        "both outage and normal answers happened: {answered:?}"
    );
    assert!(
        answered.iter().all(|(_, s)| s == "0" || s == "YWX-4001"),
        "{answered:?}"
    );
    let orders = sim_orders(&sim);
    // POSTs per urId at the gateway, not only orders: the simulator keys
    // orders by urId, a real gateway may not.
    let pushes = sim_state(&sim)["pushes"].clone();
    let posts = |ur: &str| pushes[ur].as_u64().unwrap_or(0);
    let twice: Vec<(&String, u64)> = queued_or_taken
        .iter()
        .map(|ur| (*ur, posts(ur)))
        .filter(|(_, n)| *n > 1)
        .collect();
    eprintln!(
        "POSTs per urId: {} urIds answered 0/queued, {} of them POSTed more than once: {twice:?}",
        queued_or_taken.len(),
        twice.len()
    );
    for ur in &queued_or_taken {
        let n = orders.iter().filter(|o| o["urId"] == ***ur).count();
        assert_eq!(
            n, 1,
            "urId {ur} answered 0/queued is at the gateway {n} times"
        );
        assert!(
            posts(ur) >= 1,
            "urId {ur} answered 0/queued was never POSTed"
        );
        // A push whose outcome is unknown is reconciled through 5.1.1
        // before any re-send.
        assert_eq!(posts(ur), 1, "urId {ur} was POSTed {} times", posts(ur));
    }
    for o in &orders {
        let ur = o["urId"].as_str().unwrap().to_string();
        assert!(
            started.contains(&ur),
            "the gateway has an order nobody pushed: {o}"
        );
        // Also the pushes killed before they were answered: never twice.
        let n = orders.iter().filter(|p| p["urId"] == o["urId"]).count();
        assert_eq!(n, 1, "urId {ur} is at the gateway {n} times");
    }
    eprintln!(
        "50 kills: {} pushes started, {} answered ({} queued), {} orders at the gateway",
        started.len(),
        answered.len(),
        answered.iter().filter(|(_, s)| s == "YWX-4001").count(),
        orders.len()
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn two_programs_flushing_one_outbox_send_each_order_once() {
    let dir = temp_dir(&ur_id("two"));
    let outbox = dir.join("outbox.db");
    let addr = dead_addr();
    let config = config_file(&dir, addr, &outbox, false);
    // One HIS program queues 200 orders during the outage (drain mode
    // flushes once at the end: still down, so nothing leaves).
    let orders: Vec<String> = (0..200).map(|i| ur_id(&format!("two{i}x"))).collect();
    let mut child = his(&config, &orders, true);
    let lines = read_lines(&mut child);
    assert!(child.wait().unwrap().success());
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.starts_with("answer") && l.ends_with("YWX-4001"))
            .count(),
        200,
        "{lines:?}"
    );
    let sim = start_sim_at(addr);
    // Two workstations' programs flush at the same moment.
    let flushers: Vec<Child> = (0..2)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_ywx"))
                .args([
                    "--config",
                    config.to_str().unwrap(),
                    "outbox",
                    "flush",
                    "--json",
                ])
                .stdout(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut delivered = 0;
    for f in flushers {
        let out = f.wait_with_output().unwrap();
        assert!(out.status.success(), "{out:?}");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["data"]["queued"], 0, "{v}");
        delivered += v["data"]["delivered"].as_u64().unwrap();
    }
    assert_eq!(
        delivered, 200,
        "each order delivered by exactly one of them"
    );
    let state = sim_state(&sim);
    assert_eq!(
        state["calls"]["/gateway/recipe/synRecipeInfo"], 200,
        "no order sent twice"
    );
    for ur in &orders {
        assert_eq!(state["pushes"][ur], 1, "urId {ur} POSTed once");
    }
    assert_eq!(sim_orders(&sim).len(), 200);
    std::fs::remove_dir_all(dir).ok();
}
