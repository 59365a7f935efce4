//! One order per urId, for real: against a gateway that does not dedupe
//! by urId (`--no-dedupe`: every POST that reaches it makes an order), a
//! HIS that pushes again after a success, pushes a contract under a
//! prescription's urId, meets a keep-alive connection the gateway closed,
//! or loses the answers of many pushes at once still makes exactly one
//! order per urId and kind — and is told the truth about each.
//!
//! The library is one per process, so these tests take turns.

use std::sync::Mutex;

use serde_json::{Value, json};
use ywx::ffi::*;
use ywx_sim::{Sim, SimOptions};
use ywx_testkit::*;

static TURN: Mutex<()> = Mutex::new(());

fn turn() -> std::sync::MutexGuard<'static, ()> {
    TURN.lock().unwrap_or_else(|p| p.into_inner())
}

/// A gateway that makes an order of every push it receives.
fn no_dedupe_gateway() -> Sim {
    Sim::start_with(SimOptions {
        no_dedupe: true,
        ..SimOptions::default()
    })
    .expect("the simulator starts")
}

/// The library configured for `base_url`, with an outbox of its own and
/// no delivery thread (the tests deliver with `ywx_outbox_flush`).
fn configure(base_url: &str, name: &str, timeout_ms: u64) {
    let mut config = config_for(base_url);
    config["outbox"] = json!({
        "path": temp_dir(&ur_id(name)).join("outbox.db"),
        "background": false,
        "retryIntervalMs": 100,
    });
    config["timeoutMs"] = json!(timeout_ms);
    config["connectTimeoutMs"] = json!(1000);
    init_ok(&config);
}

/// The orders the gateway holds for a urId.
fn orders_of(sim: &Sim, ur: &str) -> Vec<Value> {
    let text = http_get(sim.base_url(), &format!("/sim/orders?urId={ur}")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn business(ur: &str) -> Value {
    use base64::Engine;
    let mut order: Value = serde_json::from_str(ywx_sim::seed_examples::EX_BUSINESS).unwrap();
    order["msg"]["body"]["urId"] = json!(ur);
    order["msg"]["body"]["pdfBase64"] =
        json!(base64::engine::general_purpose::STANDARD.encode(tiny_pdf()));
    let head = order["msg"]["head"].as_object_mut().unwrap();
    head.remove("clientId");
    head.remove("clientSecret");
    order
}

fn fault(sim: &Sim, mode: &str, count: u64, latency_ms: u64) {
    let r = control(
        sim,
        "/sim/faults",
        &json!({"mode": mode, "count": count, "latencyMs": latency_ms}),
    );
    assert_ne!(r["status"], "1", "{r}");
}

/// Whether a gateway order is a business one (4.3.6's templates).
fn is_business(order: &Value) -> bool {
    let t = order["templateId"].as_str().unwrap_or("");
    t == "personPdf" || t.starts_with("contract_") || t.starts_with("office_")
}

fn flush() -> Value {
    let r = call(ywx_outbox_flush, &json!({}));
    assert_eq!(r["status"], "0", "{r}");
    r
}

fn outbox_item(ur: &str, method: &str) -> Value {
    let r = call(ywx_outbox_list, &json!({"urId": ur}));
    let items = r["data"]["items"].as_array().unwrap();
    items
        .iter()
        .find(|i| i["method"] == method)
        .cloned()
        .unwrap_or_else(|| panic!("no {method} item for {ur}: {r}"))
}

#[test]
fn a_push_made_again_after_it_went_through_gets_the_first_answer() {
    let _t = turn();
    let sim = no_dedupe_gateway();
    configure(sim.base_url(), "repush", 3000);
    let ur = ur_id("repush");
    let first = call(ywx_sign_data, &hash_order(&ur, ywx_sim::SIGNING_DOCTOR));
    assert_eq!(first["status"], "0", "{first}");
    // A double click, a HIS that retries: the first answer, no second order.
    let again = call(ywx_sign_data, &hash_order(&ur, ywx_sim::SIGNING_DOCTOR));
    assert_eq!(again, first);
    assert_eq!(orders_of(&sim, &ur).len(), 1);
    let item = outbox_item(&ur, "sign_data");
    assert_eq!(item["state"], "delivered", "{item}");
    assert_eq!(
        item["response"]["data"]["uniqueId"],
        first["data"]["uniqueId"]
    );

    // Two threads pushing one urId at once: one goes, the other gets its answer.
    let ur = ur_id("twice");
    let answers: Vec<Value> = std::thread::scope(|s| {
        let pushes: Vec<_> = (0..2)
            .map(|_| s.spawn(|| call(ywx_sign_data, &hash_order(&ur, ywx_sim::SIGNING_DOCTOR))))
            .collect();
        pushes.into_iter().map(|p| p.join().unwrap()).collect()
    });
    for a in &answers {
        assert_eq!(a["status"], "0", "{answers:?}");
        assert_eq!(
            a["data"]["uniqueId"], answers[0]["data"]["uniqueId"],
            "{answers:?}"
        );
    }
    assert_eq!(orders_of(&sim, &ur).len(), 1);
}

#[test]
fn a_contract_pushed_under_a_prescriptions_urid_is_an_order_of_its_own() {
    let _t = turn();
    let sim = no_dedupe_gateway();
    configure(sim.base_url(), "kinds", 1000);
    // The contract's connection is cut as it arrives: it never reaches
    // the gateway, which lists the prescription under the same urId.
    let ur = ur_id("kindcut");
    let recipe = call(ywx_sign_data, &hash_order(&ur, ywx_sim::SIGNING_DOCTOR));
    assert_eq!(recipe["status"], "0", "{recipe}");
    fault(&sim, "drop", 1, 0);
    let contract = call(ywx_sign_business, &business(&ur));
    let uid = |r: &Value| r["data"]["uniqueId"].as_str().map(str::to_string);
    let contract_uid = match contract["status"].as_str() {
        Some("0") => uid(&contract),
        Some("YWX-4001") => {
            std::thread::sleep(std::time::Duration::from_millis(1100));
            flush();
            uid(&outbox_item(&ur, "sign_business")["response"])
        }
        _ => panic!("{contract}"),
    };
    let orders = orders_of(&sim, &ur);
    assert_eq!(orders.len(), 2, "a prescription and a contract: {orders:?}");
    let contract_order = orders
        .iter()
        .find(|o| is_business(o))
        .unwrap_or_else(|| panic!("the contract never reached the doctor: {orders:?}"));
    assert_eq!(contract_uid.as_deref(), contract_order["uniqueId"].as_str());
    assert_ne!(
        contract_uid,
        uid(&recipe),
        "the contract took the prescription's order"
    );

    // The contract reaches the gateway, its answer is lost: reconciliation
    // finds the contract's order, not the prescription's.
    let ur = ur_id("kindlost");
    let recipe = call(ywx_sign_data, &hash_order(&ur, ywx_sim::SIGNING_DOCTOR));
    assert_eq!(recipe["status"], "0", "{recipe}");
    fault(&sim, "latency", 1, 2500);
    let contract = call(ywx_sign_business, &business(&ur));
    assert_eq!(status(&contract), "YWX-4001", "{contract}");
    std::thread::sleep(std::time::Duration::from_millis(1600));
    flush();
    let item = outbox_item(&ur, "sign_business");
    assert_eq!(item["state"], "delivered", "{item}");
    let orders = orders_of(&sim, &ur);
    assert_eq!(orders.len(), 2, "{orders:?}");
    let contract_order = orders.iter().find(|o| is_business(o)).unwrap();
    assert_eq!(
        item["response"]["data"]["uniqueId"], contract_order["uniqueId"],
        "{item}"
    );
    assert_eq!(item["response"]["data"]["reconciled"], true, "{item}");
}

#[test]
fn a_push_on_a_connection_the_gateway_closed_gets_the_gateways_answer() {
    let _t = turn();
    let sim = no_dedupe_gateway();
    let proxy = Proxy::start(sim.addr());
    configure(&proxy.base_url(), "stale", 3000);
    for (cut, what) in [
        (Cut::BeforeForwarding, "never read"),
        (Cut::AfterForwarding, "acted on, answer lost"),
    ] {
        // A call leaves a keep-alive connection in the pool...
        let r = call(
            ywx_doctor_pending,
            &json!({"openId": ywx_sim::SIGNING_DOCTOR}),
        );
        assert_eq!(r["status"], "0", "{r}");
        // ...which the gateway closes as the push arrives on it.
        proxy.cut_next_reused(cut);
        let ur = ur_id("stale");
        let r = call(ywx_sign_data, &hash_order(&ur, ywx_sim::SIGNING_DOCTOR));
        assert_eq!(
            proxy.cuts_pending(),
            0,
            "the push went out on a reused connection"
        );
        assert_eq!(
            r["status"], "0",
            "{what}: the gateway's answer, not a queue: {r}"
        );
        let orders = orders_of(&sim, &ur);
        assert_eq!(orders.len(), 1, "{what}: {orders:?}");
        assert_eq!(r["data"]["uniqueId"], orders[0]["uniqueId"], "{what}: {r}");
    }
}

#[test]
fn answers_lost_at_once_are_reconciled_in_one_walk_of_the_list() {
    let _t = turn();
    let sim = no_dedupe_gateway();
    configure(sim.base_url(), "walk", 1000);
    // Orders already in the window: eleven pages of a hundred.
    let earlier: Vec<String> = (0..1000).map(|i| ur_id(&format!("w{i}x"))).collect();
    std::thread::scope(|s| {
        for chunk in earlier.chunks(250) {
            s.spawn(move || {
                for ur in chunk {
                    let r = call(ywx_sign_data, &hash_order(ur, ywx_sim::SIGNING_DOCTOR));
                    assert_eq!(r["status"], "0", "{r}");
                }
            });
        }
    });
    // 32 pushes reach the gateway and their answers are lost.
    fault(&sim, "latency", 32, 2500);
    let lost: Vec<String> = (0..32).map(|i| ur_id(&format!("l{i}x"))).collect();
    std::thread::scope(|s| {
        for ur in &lost {
            s.spawn(move || {
                let r = call(ywx_sign_data, &hash_order(ur, ywx_sim::SIGNING_DOCTOR));
                assert_eq!(status(&r), "YWX-4001", "{r}");
            });
        }
    });
    std::thread::sleep(std::time::Duration::from_millis(2600));
    let listed_before =
        sim_calls(sim.base_url(), "/gateway/recipe/signDataListSearchByTime").unwrap();
    let r = flush();
    let listed = sim_calls(sim.base_url(), "/gateway/recipe/signDataListSearchByTime").unwrap()
        - listed_before;
    assert_eq!(r["data"]["queued"], 0, "{r}");
    for ur in &lost {
        let item = outbox_item(ur, "sign_data");
        assert_eq!(item["state"], "delivered", "{item}");
        assert_eq!(item["response"]["data"]["reconciled"], true, "{item}");
        assert_eq!(orders_of(&sim, ur).len(), 1, "{ur}");
    }
    // One walk of 11 pages serves all 32 (and, with the gateway's zone
    // unlike this machine's, one more page of the other zone's window).
    assert!(
        (1..=2 * 11 + 2).contains(&listed),
        "{listed} pages of 5.1.1 for 32 uncertain pushes"
    );
}
