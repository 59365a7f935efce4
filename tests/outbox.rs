//! The offline outbox (断网容灾), as a hospital lives it: the network to
//! the gateway goes down while doctors keep prescribing, comes back, and
//! every signature request reaches the gateway exactly once.
//!
//! The library is one per process, so these tests take turns.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use ywx::ffi::*;
use ywx_sim::{Sim, SimOptions};
use ywx_testkit::*;

static TURN: Mutex<()> = Mutex::new(());

fn turn() -> std::sync::MutexGuard<'static, ()> {
    TURN.lock().unwrap_or_else(|p| p.into_inner())
}

/// A loopback address where nothing listens (yet).
fn dead_addr() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

/// The simulator, started on the address the library was pointed at.
fn gateway_comes_back(addr: SocketAddr) -> Sim {
    Sim::start_with(SimOptions {
        addr: Some(addr),
        ..SimOptions::default()
    })
    .expect("the simulator starts on the address the library waits for")
}

/// A fresh outbox file for one test.
fn outbox_file(name: &str) -> PathBuf {
    temp_dir(&ur_id(name)).join("outbox.db")
}

/// The library configured for a gateway at `addr`, with its own outbox.
fn configure(addr: SocketAddr, outbox: &PathBuf, extra: Value) {
    let mut config = config_for(&format!("http://{addr}"));
    config["outbox"] = json!({"path": outbox, "retryIntervalMs": 100});
    config["connectTimeoutMs"] = json!(1000);
    config["timeoutMs"] = json!(2000);
    merge(&mut config, extra);
    let r = init(&config);
    assert_eq!(r["status"], "0", "{r}");
}

fn merge(into: &mut Value, extra: Value) {
    if let (Some(into), Value::Object(extra)) = (into.as_object_mut(), extra) {
        for (k, v) in extra {
            match (into.get_mut(&k), v) {
                (Some(Value::Object(a)), Value::Object(b)) => a.extend(b),
                (_, v) => {
                    into.insert(k, v);
                }
            }
        }
    }
}

fn push(ur: &str, open_id: &str) -> Value {
    call(ywx_sign_data, &hash_order(ur, open_id))
}

fn list(filter: Value) -> Vec<Value> {
    let r = call(ywx_outbox_list, &filter);
    assert_eq!(r["status"], "0", "{r}");
    r["data"]["items"].as_array().unwrap().clone()
}

fn flush() -> Value {
    let r = call(ywx_outbox_flush, &json!({}));
    assert_eq!(r["status"], "0", "{r}");
    r
}

/// Orders the simulator holds, by urId.
fn sim_orders(sim: &Sim) -> Vec<Value> {
    let mut resp = ureq::get(&format!("{}/sim/orders", sim.base_url()))
        .call()
        .unwrap();
    serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap()
}

/// Asserts each urId is exactly one order at the simulator and that the
/// outbox shows it delivered with that order's uniqueId.
fn assert_delivered_once(sim: &Sim, urs: &[String]) {
    let orders = sim_orders(sim);
    for ur in urs {
        let at_sim: Vec<&Value> = orders.iter().filter(|o| o["urId"] == *ur).collect();
        assert_eq!(at_sim.len(), 1, "urId {ur} at the simulator: {at_sim:?}");
        let items = list(json!({"urId": ur}));
        assert_eq!(items.len(), 1, "{items:?}");
        assert_eq!(items[0]["state"], "delivered", "{}", items[0]);
        assert_eq!(
            items[0]["response"]["data"]["uniqueId"], at_sim[0]["uniqueId"],
            "{}",
            items[0]
        );
        assert!(items[0]["deliveredAt"].is_string(), "{}", items[0]);
    }
}

/// Waits until nothing is queued (the background thread at work).
fn wait_until_drained(limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let queued = list(json!({"state": "queued"})).len();
        if queued == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{queued} still queued after {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn expect_queued(r: &Value, ur: &str) {
    assert_eq!(status(r), "YWX-4001", "{r}");
    assert_eq!(r["error"]["code"], "QUEUED_OFFLINE", "{r}");
    assert_eq!(r["data"]["urId"], ur, "{r}");
}

#[test]
fn a_thousand_prescriptions_during_an_outage_each_reach_the_gateway_once() {
    let _t = turn();
    let addr = dead_addr();
    configure(addr, &outbox_file("thousand"), json!({}));
    let urs: Vec<String> = (0..1000).map(|i| ur_id(&format!("t{i}x"))).collect();
    std::thread::scope(|s| {
        for chunk in urs.chunks(125) {
            s.spawn(move || {
                for ur in chunk {
                    expect_queued(&push(ur, ywx_sim::SIGNING_DOCTOR), ur);
                }
            });
        }
    });
    assert_eq!(list(json!({"state": "queued"})).len(), 1000);

    let sim = gateway_comes_back(addr);
    wait_until_drained(Duration::from_secs(60));
    assert_delivered_once(&sim, &urs);

    let calls = &sim_state(&sim)["calls"]["/gateway/recipe/synRecipeInfo"];
    assert_eq!(calls, 1000, "no push sent twice");
}

#[test]
fn after_an_outage_the_queue_goes_out_over_several_connections_at_once() {
    let _t = turn();
    let addr = dead_addr();
    configure(
        addr,
        &outbox_file("parallel"),
        json!({"outbox": {"background": false}}),
    );
    let urs: Vec<String> = (0..64).map(|i| ur_id(&format!("p{i}x"))).collect();
    for ur in &urs {
        expect_queued(&push(ur, ywx_sim::SIGNING_DOCTOR), ur);
    }
    let sim = gateway_comes_back(addr);
    let connections = || sim_state(&sim)["connections"].as_u64().unwrap();
    let before = connections();
    let r = flush();
    // Less the one this question itself opens.
    let opened = connections() - before - 1;
    assert_eq!(r["data"]["delivered"], 64, "{r}");
    assert_delivered_once(&sim, &urs);
    let calls = &sim_state(&sim)["calls"]["/gateway/recipe/synRecipeInfo"];
    assert_eq!(calls, 64, "no push sent twice");
    // Each sender has a connection of its own, kept from batch to batch:
    // one sender alone would have used one.
    assert!(
        (2..=8).contains(&opened),
        "{opened} connections for 64 orders in two batches, sent 4 at a time"
    );
    eprintln!("a flush of 64 orders used {opened} connections");
}

#[test]
fn the_same_urid_is_queued_once_and_then_answers_with_its_order() {
    let _t = turn();
    let addr = dead_addr();
    configure(
        addr,
        &outbox_file("same"),
        json!({"outbox": {"background": false}}),
    );
    let ur = ur_id("same");
    expect_queued(&push(&ur, ywx_sim::SIGNING_DOCTOR), &ur);
    expect_queued(&push(&ur, ywx_sim::SIGNING_DOCTOR), &ur);
    let items = list(json!({"urId": ur}));
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["state"], "queued");
    assert_eq!(items[0]["method"], "sign_data");
    assert!(items[0]["lastError"].as_str().unwrap().contains("拒绝"));

    let sim = gateway_comes_back(addr);
    let r = flush();
    assert_eq!(r["data"]["delivered"], 1, "{r}");
    assert_eq!(r["data"]["queued"], 0, "{r}");
    assert_delivered_once(&sim, std::slice::from_ref(&ur));
    let unique_id = list(json!({"urId": ur}))[0]["response"]["data"]["uniqueId"].clone();

    // The HIS pushes the same prescription again: the delivered order.
    let again = push(&ur, ywx_sim::SIGNING_DOCTOR);
    assert_eq!(again["status"], "0", "{again}");
    assert_eq!(again["data"]["uniqueId"], unique_id);
    assert_eq!(sim_orders(&sim).len(), 1);
}

#[test]
fn a_doctor_who_may_not_sign_ends_failed_with_the_gateways_reason() {
    let _t = turn();
    let addr = dead_addr();
    configure(
        addr,
        &outbox_file("failed"),
        json!({"outbox": {"background": false}}),
    );
    let ok = ur_id("fok");
    let refused = ur_id("fno");
    expect_queued(&push(&refused, ywx_sim::DOCTOR_PROCESS_0), &refused);
    expect_queued(&push(&ok, ywx_sim::SIGNING_DOCTOR), &ok);

    let sim = gateway_comes_back(addr);
    let r = flush();
    assert_eq!(r["data"]["delivered"], 1, "{r}");
    assert_eq!(r["data"]["failed"], 1, "{r}");
    let failed = list(json!({"state": "failed"}));
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0]["urId"], refused);
    assert!(
        failed[0]["lastError"]
            .as_str()
            .unwrap()
            .contains("网关拒绝")
    );
    assert_ne!(failed[0]["response"]["status"], "0");
    assert_delivered_once(&sim, std::slice::from_ref(&ok));

    // Not retried forever: another flush leaves it alone.
    let attempts = failed[0]["attempts"].clone();
    flush();
    assert_eq!(list(json!({"urId": refused}))[0]["attempts"], attempts);
    assert_eq!(sim_orders(&sim).len(), 1);
}

#[test]
fn drops_502_pages_garbage_and_slow_answers_during_delivery_lose_nothing() {
    let _t = turn();
    let addr = dead_addr();
    configure(
        addr,
        &outbox_file("faults"),
        json!({"outbox": {"background": false}}),
    );
    let urs: Vec<String> = (0..24).map(|i| ur_id(&format!("f{i}x"))).collect();
    for ur in &urs {
        expect_queued(&push(ur, ywx_sim::SIGNING_DOCTOR), ur);
    }
    let sim = gateway_comes_back(addr);
    for (mode, latency) in [
        ("drop", 0),
        ("http502html", 0),
        ("garbage", 0),
        ("latency", 2500),
    ] {
        let r = control(
            &sim,
            "/sim/faults",
            &json!({"mode": mode, "count": 2, "latencyMs": latency}),
        );
        assert_eq!(r["status"], "0", "{r}");
        let r = flush();
        assert!(
            r["data"]["queued"].as_u64().unwrap() > 0 || mode == "latency",
            "{mode}: a fault stops the pass, the rest waits: {r}"
        );
        assert!(r["message"].as_str().unwrap() != "success" || mode == "latency");
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while !list(json!({"state": "queued"})).is_empty() {
        assert!(Instant::now() < deadline, "still queued");
        flush();
    }
    assert!(list(json!({"state": "failed"})).is_empty());
    assert_delivered_once(&sim, &urs);
}

#[test]
fn a_push_whose_answer_is_lost_is_queued_and_replayed_without_a_second_order() {
    let _t = turn();
    let sim = Sim::start();
    configure(
        sim.addr(),
        &outbox_file("lost"),
        json!({"outbox": {"background": false}}),
    );
    // The gateway takes the order but answers after the timeout.
    control(
        &sim,
        "/sim/faults",
        &json!({"mode": "latency", "count": 1, "latencyMs": 2500}),
    );
    let ur = ur_id("lost");
    let r = push(&ur, ywx_sim::SIGNING_DOCTOR);
    expect_queued(&r, &ur);
    assert!(
        r["message"].as_str().unwrap().contains("毫秒内没有应答"),
        "{r}"
    );
    std::thread::sleep(Duration::from_millis(700)); // the slow answer lands
    assert_eq!(sim_orders(&sim).len(), 1, "the gateway has it already");
    flush();
    assert_delivered_once(&sim, std::slice::from_ref(&ur));
}

#[test]
fn without_a_thread_the_next_successful_call_delivers() {
    let _t = turn();
    let addr = dead_addr();
    configure(
        addr,
        &outbox_file("inline"),
        json!({"outbox": {"background": false}}),
    );
    let ur = ur_id("inline");
    expect_queued(&push(&ur, ywx_sim::SIGNING_DOCTOR), &ur);
    let sim = gateway_comes_back(addr);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        list(json!({"state": "queued"})).len(),
        1,
        "no thread, no delivery"
    );
    // The HIS asks the gateway anything: the outbox follows.
    let r = call(
        ywx_doctor_pending,
        &json!({"openId": ywx_sim::SIGNING_DOCTOR}),
    );
    assert_eq!(r["status"], "0", "{r}");
    assert_delivered_once(&sim, std::slice::from_ref(&ur));
}

#[test]
fn a_restarted_his_resumes_what_was_queued() {
    let _t = turn();
    let addr = dead_addr();
    let file = outbox_file("resume");
    configure(addr, &file, json!({"outbox": {"background": false}}));
    let ur = ur_id("resume");
    expect_queued(&push(&ur, ywx_sim::SIGNING_DOCTOR), &ur);
    take(ywx_shutdown());
    let sim = gateway_comes_back(addr);
    // A new start, the thread on: it delivers without being asked.
    configure(addr, &file, json!({}));
    wait_until_drained(Duration::from_secs(20));
    assert_delivered_once(&sim, std::slice::from_ref(&ur));
}

#[test]
fn the_outbox_file_is_private_and_finished_items_are_purged() {
    let _t = turn();
    let addr = dead_addr();
    let file = outbox_file("purge");
    let no_thread = json!({"outbox": {"background": false, "purgeAfterHours": 0}});
    configure(addr, &file, no_thread.clone());
    let ur = ur_id("purge");
    expect_queued(&push(&ur, ywx_sim::SIGNING_DOCTOR), &ur);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "owner-only: {mode:o}");
    }
    let _sim = gateway_comes_back(addr);
    flush();
    assert_eq!(list(json!({"urId": ur}))[0]["state"], "delivered");
    // Queued items are never purged, delivered ones are after the age.
    configure(addr, &file, no_thread);
    assert!(list(json!({})).is_empty());
}

#[test]
fn with_the_outbox_off_a_push_to_a_dead_gateway_fails_plainly() {
    let _t = turn();
    let addr = dead_addr();
    let file = outbox_file("off");
    configure(addr, &file, json!({"outbox": {"enabled": false}}));
    let r = push(&ur_id("off"), ywx_sim::SIGNING_DOCTOR);
    assert_eq!(status(&r), "YWX-2001", "{r}");
    assert!(!file.exists());
}

#[test]
fn list_and_flush_check_their_filters() {
    let _t = turn();
    configure(
        dead_addr(),
        &outbox_file("filters"),
        json!({"outbox": {"background": false}}),
    );
    let r = call(ywx_outbox_list, &json!({"state": "sent"}));
    assert_eq!(status(&r), "YWX-1002", "{r}");
    assert_eq!(r["error"]["field"], "state");
    let r = call(ywx_outbox_flush, &json!({"state": "queued"}));
    assert_eq!(r["error"]["field"], "state", "{r}");
    let r = call(ywx_outbox_list, &json!({"urId": 12}));
    assert_eq!(r["status"], "0", "a number is read as its text: {r}");
    // NULL means everything.
    let r = take(unsafe { ywx_outbox_list(std::ptr::null()) });
    assert_eq!(r["status"], "0", "{r}");
    let r = take(unsafe { ywx_outbox_flush(std::ptr::null()) });
    assert_eq!(r["status"], "0", "{r}");
    assert_eq!(r["data"]["queued"], 0, "{r}");
}

#[test]
fn a_business_contract_is_queued_with_its_pdf_read_at_the_call() {
    let _t = turn();
    let addr = dead_addr();
    configure(
        addr,
        &outbox_file("biz"),
        json!({"outbox": {"background": false}}),
    );
    let dir = temp_dir(&ur_id("bizpdf"));
    let pdf = dir.join("合同.pdf");
    std::fs::write(&pdf, tiny_pdf()).unwrap();
    let ur = ur_id("biz");
    let contract = json!({"signType": 0, "msg": {"head": {"templateId": "contract_001"}, "body": {
        "urId": ur, "openId": ywx_sim::BUSINESS_DOCTOR, "viewName": "张三",
        "viewTime": "2024-05-01 10:00:00", "pdfFile": pdf.to_str().unwrap(),
        "viewSubject": "采购合同（2024）", "viewRemark": "请审阅"}}});
    let r = call(ywx_sign_business, &contract);
    expect_queued(&r, &ur);
    assert_eq!(r["data"]["method"], "sign_business");
    // The PDF was read when the call returned: moving it changes nothing.
    std::fs::remove_dir_all(&dir).unwrap();

    let sim = gateway_comes_back(addr);
    let r = flush();
    assert_eq!(r["data"]["delivered"], 1, "{r}");
    assert_eq!(r["data"]["items"][0]["method"], "sign_business");
    assert_delivered_once(&sim, std::slice::from_ref(&ur));
    let orders = sim_orders(&sim);
    assert_eq!(orders[0]["kind"], "pdf", "{orders:?}");
}

#[test]
fn the_first_push_after_the_gateway_is_back_goes_straight_through() {
    let _t = turn();
    let addr = dead_addr();
    configure(
        addr,
        &outbox_file("back"),
        json!({"outbox": {"background": false}}),
    );
    let early = ur_id("early");
    expect_queued(&push(&early, ywx_sim::SIGNING_DOCTOR), &early);
    let sim = gateway_comes_back(addr);
    let r = push(&ur_id("late"), ywx_sim::SIGNING_DOCTOR);
    assert_eq!(
        r["status"], "0",
        "refused connections do not hold pushes back: {r}"
    );
    // ...and that success delivered the waiting one.
    assert_delivered_once(&sim, std::slice::from_ref(&early));
}

#[test]
fn after_a_timeout_the_next_pushes_are_queued_without_waiting_for_theirs() {
    let _t = turn();
    let sim = Sim::start();
    configure(
        sim.addr(),
        &outbox_file("slow"),
        json!({"outbox": {"background": false, "retryIntervalMs": 60000}}),
    );
    control(
        &sim,
        "/sim/faults",
        &json!({"mode": "latency", "count": 1, "latencyMs": 2500}),
    );
    let first = ur_id("slow");
    expect_queued(&push(&first, ywx_sim::SIGNING_DOCTOR), &first);
    let next = ur_id("fast");
    let r = push(&next, ywx_sim::SIGNING_DOCTOR);
    expect_queued(&r, &next);
    assert!(r["message"].as_str().unwrap().contains("超时"), "{r}");
    // Any answer from the gateway ends that: the flush, and pushes after it.
    std::thread::sleep(Duration::from_millis(700));
    let f = flush();
    assert_eq!(f["data"]["delivered"], 2, "{f}");
    assert_eq!(
        push(&ur_id("after"), ywx_sim::SIGNING_DOCTOR)["status"],
        "0"
    );
    assert_delivered_once(&sim, &[first, next]);
}
