//! Where the gateway put the order: in its own clock and zone. A HIS in
//! UTC against a gateway in China Standard Time, a HIS clock a day off, a
//! push first sent hours after it was queued — each answer lost, each
//! reconciled through 5.1.1 to exactly one order, against a gateway that
//! does not dedupe by urId.
//!
//! The library is one per process, so these tests take turns; the time
//! zone case runs in a child process with its own `TZ`.

use std::net::TcpListener;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{Value, json};
use ywx::ffi::*;
use ywx_sim::{Sim, SimOptions, Tz};
use ywx_testkit::*;

static TURN: Mutex<()> = Mutex::new(());

fn turn() -> std::sync::MutexGuard<'static, ()> {
    TURN.lock().unwrap_or_else(|p| p.into_inner())
}

const LIST: &str = "/gateway/recipe/signDataListSearchByTime";

fn gateway(zone: &str, offset_secs: i64, addr: Option<std::net::SocketAddr>) -> Sim {
    Sim::start_with(SimOptions {
        addr,
        no_dedupe: true,
        time_zone: Tz::parse(zone).unwrap(),
        clock_offset_secs: offset_secs,
        ..SimOptions::default()
    })
    .expect("the simulator starts")
}

/// The library for `base_url`: a fresh outbox, no thread, a short timeout.
fn configure(base_url: &str, name: &str, extra: Value) {
    let mut config = config_for(base_url);
    config["outbox"] = json!({
        "path": temp_dir(&ur_id(name)).join("outbox.db"),
        "background": false,
        "retryIntervalMs": 100,
    });
    config["timeoutMs"] = json!(800);
    config["connectTimeoutMs"] = json!(500);
    if let (Some(c), Value::Object(extra)) = (config.as_object_mut(), extra) {
        c.extend(extra);
    }
    init_ok(&config);
}

fn push(ur: &str) -> Value {
    call(ywx_sign_data, &hash_order(ur, ywx_sim::SIGNING_DOCTOR))
}

/// The next push takes effect at the gateway and its answer is lost.
fn lose_next_answer(sim: &Sim) {
    let r = control(
        sim,
        "/sim/faults",
        &json!({"mode": "latency", "count": 1, "latencyMs": 2000}),
    );
    assert_ne!(r["status"], "1", "{r}");
}

/// Flushes until nothing is queued; the 5.1.1 pages it took.
fn reconcile(sim: &Sim) -> u64 {
    let before = sim_calls(sim.base_url(), LIST).unwrap();
    for _ in 0..5 {
        let r = call(ywx_outbox_flush, &json!({}));
        assert_eq!(r["status"], "0", "{r}");
        if r["data"]["queued"] == 0 {
            return sim_calls(sim.base_url(), LIST).unwrap() - before;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    panic!("still queued after five flushes");
}

/// One order at the gateway for `ur`, and the outbox knows its uniqueId.
fn assert_one_order(sim: &Sim, ur: &str) {
    let text = http_get(sim.base_url(), &format!("/sim/orders?urId={ur}")).unwrap();
    let orders: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(orders.len(), 1, "{ur}: {orders:?}");
    let r = call(ywx_outbox_list, &json!({"urId": ur}));
    let item = &r["data"]["items"][0];
    assert_eq!(item["state"], "delivered", "{r}");
    assert_eq!(
        item["response"]["data"]["uniqueId"], orders[0]["uniqueId"],
        "{r}"
    );
}

/// Pushes `ur` with its answer lost and reconciles it; the 5.1.1 pages.
fn lost_then_reconciled(sim: &Sim, ur: &str) -> u64 {
    lose_next_answer(sim);
    let r = push(ur);
    assert_eq!(status(&r), "YWX-4001", "{r}");
    std::thread::sleep(Duration::from_millis(1300));
    let pages = reconcile(sim);
    assert_one_order(sim, ur);
    pages
}

#[test]
fn a_his_in_utc_finds_its_orders_at_a_gateway_in_china_standard_time() {
    let run = run_child(
        "child_his_in_utc",
        &ChildOptions::default().env("TZ", "UTC"),
    );
    run.assert_passed("a HIS in UTC");
}

#[test]
#[ignore = "run by a_his_in_utc_finds_its_orders_at_a_gateway_in_china_standard_time"]
fn child_his_in_utc() {
    if !is_child("child_his_in_utc") {
        return;
    }
    let _t = turn();
    assert_eq!(chrono::Local::now().offset().local_minus_utc(), 0, "TZ=UTC");
    let sim = gateway("+08:00", 0, None);
    configure(sim.base_url(), "utc", json!({}));
    // A call first: the gateway's clock is known, the window right at once.
    let r = call(
        ywx_doctor_pending,
        &json!({"openId": ywx_sim::SIGNING_DOCTOR}),
    );
    assert_eq!(r["status"], "0", "{r}");
    let pages = lost_then_reconciled(&sim, &ur_id("utc"));
    assert_eq!(
        pages, 1,
        "found in the gateway's zone, +08:00, at the first page"
    );
}

#[test]
fn a_his_clock_a_day_off_finds_its_orders() {
    let _t = turn();
    for (offset, what) in [(86_400, "a day behind"), (-86_400, "a day ahead")] {
        // The gateway's clock is `offset` ahead of the HIS's.
        let sim = gateway("+08:00", offset, None);
        configure(sim.base_url(), "skew", json!({}));
        // No reply read yet: the first 5.1.1 answer tells the gateway's
        // clock, and the walk starts again where the gateway put it.
        let pages = lost_then_reconciled(&sim, &ur_id("skew"));
        assert!(pages <= 3, "{what}: {pages} pages");
    }
}

#[test]
fn a_push_first_sent_hours_after_it_was_queued_is_found_where_it_was_sent() {
    let _t = turn();
    let addr = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    configure(&format!("http://{addr}"), "outage", json!({}));
    let ur = ur_id("outage");
    let r = push(&ur);
    assert_eq!(status(&r), "YWX-4001", "queued during the outage: {r}");
    // The gateway is back two hours later (its clock says so); the first
    // send takes effect and its answer is lost.
    let sim = gateway("+08:00", 2 * 3600, Some(addr));
    lose_next_answer(&sim);
    let r = call(ywx_outbox_flush, &json!({}));
    assert_eq!(r["data"]["queued"], 1, "the answer was lost: {r}");
    std::thread::sleep(Duration::from_millis(1300));
    reconcile(&sim);
    assert_one_order(&sim, &ur);
}
