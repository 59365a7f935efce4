//! The real gateway, not only our simulator: replies recorded from the
//! integration gateway and the error pages that stand in front of it,
//! served by a fake gateway, each coming out of ywx as the contract says.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use ywx::ffi::*;
use ywx_sim::Sim;
use ywx_testkit::*;

/// Tests in this binary reconfigure the library one at a time.
static TURN: Mutex<()> = Mutex::new(());

fn turn() -> std::sync::MutexGuard<'static, ()> {
    TURN.lock().unwrap_or_else(|p| p.into_inner())
}

/// The library configured for `base_url`: quick retries, no thread.
fn configure(base_url: &str, extra: Value) {
    let mut config = config_for(base_url);
    config["retry"] = json!({"attempts": 3, "backoffMs": 10});
    config["timeoutMs"] = json!(2000);
    config["outbox"]["background"] = json!(false);
    for (k, v) in extra.as_object().unwrap() {
        config[k] = v.clone();
    }
    init_ok(&config);
}

fn sign_status() -> Value {
    call(
        ywx_sign_status,
        &json!({"body": {"uniqueId": "Y1686302661957a3f09c1d2e4b5a6f708"}}),
    )
}

const STATUS_PATH: &str = "/gateway/recipe/querySignDataByUniqueId";
const PUSH_PATH: &str = "/gateway/recipe/synRecipeInfo";
const LIST_PATH: &str = "/gateway/recipe/signDataListSearchByTime";

#[test]
fn a_spring_boot_503_is_not_the_gateways_answer_queries_retry_then_say_so() {
    let _t = turn();
    let fake = FakeGateway::replying("spring_boot_503.http");
    configure(&fake.base_url(), json!({}));
    let r = sign_status();
    assert_eq!(status(&r), "YWX-3001", "{r}");
    assert_eq!(r["data"]["httpStatus"], 503, "{r}");
    assert!(
        r["data"]["body"]
            .as_str()
            .unwrap()
            .contains("Service Unavailable"),
        "{r}"
    );
    assert_eq!(fake.count(STATUS_PATH), 3, "retry.attempts times");
}

#[test]
fn an_nginx_502_page_is_transient_too() {
    let _t = turn();
    let fake = FakeGateway::replying("nginx_502.html.http");
    configure(&fake.base_url(), json!({}));
    let r = sign_status();
    assert_eq!(status(&r), "YWX-3001", "{r}");
    assert_eq!(r["data"]["httpStatus"], 502, "{r}");
    assert!(r["data"]["body"].as_str().unwrap().contains("nginx"), "{r}");
    assert_eq!(fake.count(STATUS_PATH), 3);
}

#[test]
fn status_is_always_a_string_and_odd_statuses_are_bad_replies() {
    let _t = turn();
    let fake = FakeGateway::replying("status_number.http");
    configure(&fake.base_url(), json!({}));
    let text = call_c(
        ywx_sign_status,
        &std::ffi::CString::new(r#"{"body":{"uniqueId":"x"}}"#).unwrap(),
    );
    assert!(
        text.contains(r#""status":"0""#),
        "the text a HIS gets: {text}"
    );
    for fixture in [
        "status_null.http",
        "status_object.http",
        "status_missing.http",
        "invalid_utf8.http",
        "bad_chunking.http",
        "garbage_status_line.http",
    ] {
        let fake = FakeGateway::replying(fixture);
        configure(&fake.base_url(), json!({}));
        let r = sign_status();
        assert_eq!(status(&r), "YWX-3002", "{fixture}: {r}");
        assert_eq!(r["error"]["code"], "GATEWAY_BAD_REPLY");
    }
}

#[test]
fn charsets_and_byte_order_marks() {
    let _t = turn();
    let fake = FakeGateway::replying("gbk_charset.http");
    configure(&fake.base_url(), json!({}));
    let r = sign_status();
    assert_eq!(status(&r), "1002", "{r}");
    assert_eq!(r["message"], "认证失败：clientSecret 错误");
    let fake = FakeGateway::replying("bom.http");
    configure(&fake.base_url(), json!({}));
    let r = sign_status();
    assert_eq!(status(&r), "0", "{r}");
    assert_eq!(r["data"]["verifyResult"], true);
}

#[test]
fn a_redirect_names_its_location_and_the_base_url_fix() {
    let _t = turn();
    let fake = FakeGateway::replying("redirect_301.http");
    configure(&fake.base_url(), json!({}));
    let r = sign_status();
    assert_eq!(status(&r), "YWX-3001", "{r}");
    assert_eq!(r["data"]["httpStatus"], 301);
    let message = r["message"].as_str().unwrap();
    assert!(
        message.contains("https://test.51trust.com/gateway"),
        "{message}"
    );
    assert!(
        message.contains("baseUrl") && message.contains("https://"),
        "{message}"
    );
    assert_eq!(fake.count(STATUS_PATH), 1, "never followed, never retried");
}

#[test]
fn every_tls_failure_is_a_tls_error() {
    let _t = turn();
    // A server that speaks only TLS 1.1: it answers any ClientHello with a
    // fatal protocol_version alert.
    let old_tls = FakeGateway::raw(vec![0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46]);
    let tls_only = old_tls.base_url().replace("http://", "https://");
    configure(&tls_only, json!({}));
    let r = sign_status();
    assert_eq!(status(&r), "YWX-2003", "protocol version: {r}");
    // An https URL pointing at a plain-HTTP port.
    let sim = Sim::start();
    configure(&sim.base_url().replace("http://", "https://"), json!({}));
    let r = sign_status();
    assert_eq!(status(&r), "YWX-2003", "https on an http port: {r}");
}

#[test]
fn the_real_authorize_and_pending_tokeninfo_shapes_pass_through() {
    let _t = turn();
    let fake = FakeGateway::replying("authorize.http");
    configure(&fake.base_url(), json!({}));
    let r = call(ywx_oauth_authorize, &json!({"sysTag": "HIS"}));
    assert_eq!(status(&r), "0", "{r}");
    assert_eq!(r["data"]["time"], 120, "a number, as the gateway sends it");
    // tokeninfo: three real-style 未授权 answers, then the doctor's data.
    let asked = Arc::new(AtomicUsize::new(0));
    let n = asked.clone();
    let fake = FakeGateway::start(move |_| {
        if n.fetch_add(1, Ordering::SeqCst) < 3 {
            Action::fixture("tokeninfo_pending.http")
        } else {
            Action::fixture("tokeninfo_scanned.http")
        }
    });
    configure(&fake.base_url(), json!({}));
    let r = call(
        ywx_oauth_wait,
        &json!({"requestId": "r1", "timeoutSeconds": 10, "intervalMs": 50}),
    );
    assert_eq!(status(&r), "0", "{r}");
    assert_eq!(r["data"]["userName"], "王建国");
    assert_eq!(asked.load(Ordering::SeqCst), 4);
}

#[test]
fn oauth_wait_returns_at_once_on_a_refusal_or_an_unknown_request() {
    let _t = turn();
    let sim = Sim::start();
    configure(sim.base_url(), json!({}));
    let r = call(ywx_oauth_authorize, &json!({}));
    let request_id = r["data"]["requestId"].as_str().unwrap().to_string();
    control(
        &sim,
        "/sim/scan",
        &json!({"requestId": request_id, "approve": false}),
    );
    for request_id in [request_id.as_str(), "never-issued"] {
        let started = Instant::now();
        let r = call(
            ywx_oauth_wait,
            &json!({"requestId": request_id, "timeoutSeconds": 30, "intervalMs": 100}),
        );
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        assert!(!status(&r).starts_with("YWX-") && status(&r) != "0", "{r}");
    }
}

/// A gateway that records each push, makes an order of it only once per
/// urId (or every time), answers as `answer` says, and lists its orders
/// through 5.1.1, three to a page.
struct RecordingGateway {
    fake: FakeGateway,
    orders: Arc<Mutex<Vec<(String, String)>>>,
}

fn recording_gateway(
    answer: impl Fn(usize) -> Option<Action> + Send + Sync + 'static,
) -> RecordingGateway {
    let orders: Arc<Mutex<Vec<(String, String)>>> = Arc::new(Mutex::new(Vec::new()));
    let o = orders.clone();
    let pushes = AtomicUsize::new(0);
    let fake = FakeGateway::start(move |req| match req.path() {
        PUSH_PATH => {
            let n = pushes.fetch_add(1, Ordering::SeqCst);
            let ur = req.json()["msg"]["body"]["urId"]
                .as_str()
                .unwrap_or("")
                .to_string();
            let unique = format!("Y{:013}{:019x}", 1_686_302_661_957u64 + n as u64, n);
            if let Some(action) = answer(n) {
                if !matches!(action, Action::Raw(ref b) if b.starts_with(b"HTTP/1.1 503")) {
                    o.lock().unwrap().push((ur, unique));
                }
                return action;
            }
            o.lock().unwrap().push((ur, unique.clone()));
            Action::json(
                &json!({"status": "0", "message": "success", "data": {"uniqueId": unique}})
                    .to_string(),
            )
        }
        LIST_PATH => {
            let page = req.json()["body"]["pageNum"].as_u64().unwrap_or(1) as usize;
            let all = o.lock().unwrap().clone();
            let list: Vec<Value> = all
                .iter()
                .skip((page - 1) * 3)
                .take(3)
                .map(|(u, q)| json!({"urid": u, "uniqueid": q, "status": 0}))
                .collect();
            let pages = all.len().div_ceil(3);
            Action::json(&json!({"status": "0", "message": "success",
                "data": {"pageNum": page, "pageSize": 3, "total": all.len(), "pages": pages, "list": list}}).to_string())
        }
        _ => Action::fixture("status_number.http"),
    });
    RecordingGateway { fake, orders }
}

fn push(ur: &str) -> Value {
    call(ywx_sign_data, &hash_order(ur, ywx_sim::SIGNING_DOCTOR))
}

fn flush() -> Value {
    take(unsafe { ywx_outbox_flush(std::ptr::null()) })
}

#[test]
fn pushes_whose_answers_are_lost_are_reconciled_never_sent_twice() {
    let _t = turn();
    // The first eight pushes take effect and lose their answer.
    let gw = recording_gateway(|n| (n < 8).then_some(Action::Close));
    configure(&gw.fake.base_url(), json!({}));
    let urs: Vec<String> = (0..8).map(|i| ur_id(&format!("lost{i}x"))).collect();
    for ur in &urs {
        let r = push(ur);
        assert_eq!(status(&r), "YWX-4001", "{r}");
    }
    let r = flush();
    assert_eq!(r["data"]["delivered"], 8, "{r}");
    let orders = gw.orders.lock().unwrap().clone();
    for ur in &urs {
        let item = &call(ywx_outbox_list, &json!({"urId": ur}))["data"]["items"][0];
        assert_eq!(item["state"], "delivered", "{item}");
        let recorded = orders.iter().find(|(u, _)| u == ur).unwrap();
        assert_eq!(item["response"]["data"]["uniqueId"], recorded.1, "{item}");
        assert_eq!(item["response"]["data"]["reconciled"], true, "{item}");
        let posts = gw
            .fake
            .received()
            .iter()
            .filter(|r| r.path() == PUSH_PATH && r.json()["msg"]["body"]["urId"] == **ur)
            .count();
        assert_eq!(posts, 1, "{ur}: exactly one synRecipeInfo");
    }
    assert!(gw.fake.count(LIST_PATH) >= 3, "every page was asked");
}

#[test]
fn a_503_during_maintenance_queues_pushes_and_a_flush_delivers_them_after() {
    let _t = turn();
    let down = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let d = down.clone();
    let gw = recording_gateway(move |_| {
        d.load(Ordering::SeqCst)
            .then(|| Action::fixture("spring_boot_503.http"))
    });
    configure(&gw.fake.base_url(), json!({}));
    let urs: Vec<String> = (0..5).map(|i| ur_id(&format!("maint{i}x"))).collect();
    for ur in &urs {
        let r = push(ur);
        assert_eq!(status(&r), "YWX-4001", "queued, not failed: {r}");
    }
    // Still down: a flush leaves every item queued.
    let r = flush();
    assert_eq!(r["data"]["queued"], 5, "{r}");
    assert_eq!(r["data"]["failed"], 0, "{r}");
    down.store(false, Ordering::SeqCst);
    let r = flush();
    assert_eq!(r["data"]["delivered"], 5, "{r}");
    for ur in &urs {
        let item = &call(ywx_outbox_list, &json!({"urId": ur}))["data"]["items"][0];
        assert_eq!(item["state"], "delivered", "{item}");
        let n = gw
            .orders
            .lock()
            .unwrap()
            .iter()
            .filter(|(u, _)| u == ur)
            .count();
        assert_eq!(n, 1, "{ur}");
    }
}

#[test]
fn a_gateway_that_does_not_dedupe_still_gets_one_order_per_urid() {
    let _t = turn();
    let sim = Sim::start_with(ywx_sim::SimOptions {
        no_dedupe: true,
        ..Default::default()
    })
    .unwrap();
    configure(
        sim.base_url(),
        json!({"timeoutMs": 300, "outbox": {"path": temp_dir("nd").join("o.db"), "background": false, "retryIntervalMs": 100}}),
    );
    // Each push takes effect, its answer comes after the timeout.
    control(
        &sim,
        "/sim/faults",
        &json!({"mode": "latency", "count": 6, "latencyMs": 800}),
    );
    let urs: Vec<String> = (0..6).map(|i| ur_id(&format!("nd{i}x"))).collect();
    for ur in &urs {
        // After a timeout, pushes go straight to the outbox for one
        // retryIntervalMs: wait it out, so that each push is sent.
        std::thread::sleep(Duration::from_millis(150));
        let r = push(ur);
        assert_eq!(status(&r), "YWX-4001", "{r}");
    }
    std::thread::sleep(Duration::from_millis(900));
    let r = flush();
    assert_eq!(r["data"]["delivered"], 6, "{r}");
    let orders: Value =
        serde_json::from_str(&http_get(sim.base_url(), "/sim/orders").unwrap()).unwrap();
    for ur in &urs {
        let n = orders
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["urId"] == **ur)
            .count();
        assert_eq!(n, 1, "{ur}: {orders}");
    }
}

#[test]
fn a_server_that_hangs_up_in_the_tls_handshake_is_a_tls_error() {
    let _t = turn();
    let fake = FakeGateway::raw(Vec::new());
    configure(&fake.base_url().replace("http://", "https://"), json!({}));
    let r = sign_status();
    assert_eq!(status(&r), "YWX-2003", "{r}");
}

#[test]
fn a_push_cut_off_while_it_is_sent_says_so_and_is_not_queued() {
    let _t = turn();
    // A gateway (or a proxy before it) that takes at most 4 KiB: it reads the
    // head, then hangs up in the middle of the body.
    let fake = FakeGateway::raw(Vec::new());
    configure(&fake.base_url(), json!({}));
    let mut order = hash_order(&ur_id("big"), ywx_sim::SIGNING_DOCTOR);
    order["msg"]["head"]["appendixFile"] = json!(big_pdf().to_str().unwrap());
    let r = call(ywx_sign_data, &order);
    assert_ne!(
        status(&r),
        "YWX-4001",
        "never queued as 'temporarily unreachable': {r}"
    );
    assert!(status(&r).starts_with("YWX-"), "{r}");
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains("发送请求的过程中关闭了连接"),
        "{r}"
    );
    let listed = call(ywx_outbox_list, &json!({}));
    assert_eq!(
        listed["data"]["items"].as_array().unwrap().len(),
        0,
        "{listed}"
    );
}

/// A PDF of about 1.5 MiB, written to a temp file.
fn big_pdf() -> std::path::PathBuf {
    let mut pdf = tiny_pdf();
    pdf.resize(1_500_000, b' ');
    let path = temp_dir("bigpdf").join("big.pdf");
    std::fs::write(&path, pdf).unwrap();
    path
}

#[test]
fn a_failing_proxy_is_named_as_the_proxy() {
    let _t = turn();
    let sim = Sim::start();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    configure(
        sim.base_url(),
        json!({"proxy": format!("http://user:secretpw@{closed}")}),
    );
    let r = sign_status();
    assert_eq!(status(&r), "YWX-2001", "{r}");
    let message = r["message"].as_str().unwrap();
    assert!(message.contains("代理"), "{message}");
    assert!(
        !r.to_string().contains("secretpw"),
        "the proxy's password is masked: {r}"
    );
}
