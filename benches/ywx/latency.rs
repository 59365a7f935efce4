//! Per-call latency of `ywx_sign_status` against the raw POST of the
//! identical bytes on a keep-alive connection (the floor), and against a
//! new connection per call; in the default configuration (the log at
//! `info`), and the median and p99 again without the log.

use std::ffi::CString;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::raw::RawClient;
use crate::{
    DEFAULTS, NO_LOG, Report, Target, call_text, config_for, config_no_log, init, percentiles,
    sim_and_library, status_request, us,
};

const CALLS: usize = 4000;

/// A control-API call to the simulator.
fn control(sim: &ywx_sim::Sim, faults: serde_json::Value) {
    let mut raw = RawClient::keep_alive(sim.addr());
    let answer = raw.send(&RawClient::request(
        sim.addr(),
        "/sim/faults",
        &faults.to_string(),
    ));
    assert!(String::from_utf8_lossy(&answer).contains("\"status\":\"0\""));
}

pub fn run(report: &mut Report) {
    let sim = sim_and_library();
    let (request, bytes) = status_request(&sim, "lat");
    let mut raw = RawClient::keep_alive(sim.addr());
    let ours_once = call_text(ywx::ffi::ywx_sign_status, &request);
    let raw_once = raw.send(&bytes);
    assert_eq!(
        ours_once.as_bytes(),
        &raw_once[..],
        "the same answer either way"
    );

    let (ours, floor) = interleaved(&request, &mut raw, &bytes);
    init(&config_no_log(sim.base_url()));
    let (ours_no_log, floor_no_log) = interleaved(&request, &mut raw, &bytes);
    init(&config_for(sim.base_url()));
    let mut fresh = RawClient::new_connection_per_call(sim.addr());
    let mut per_call = Vec::with_capacity(CALLS / 4);
    for _ in 0..CALLS / 4 {
        let t = Instant::now();
        fresh.send(&bytes);
        per_call.push(t.elapsed());
    }
    // The same over a network: the gateway answers 1 ms later, as across
    // a hospital LAN, to both clients alike.
    control(
        &sim,
        json!({"mode": "latency", "count": 1_000_000, "latencyMs": 1}),
    );
    let mut ours_lan = Vec::new();
    let mut floor_lan = Vec::new();
    for _ in 0..CALLS / 4 {
        let t = Instant::now();
        call_text(ywx::ffi::ywx_sign_status, &request);
        ours_lan.push(t.elapsed());
        let t = Instant::now();
        raw.send(&bytes);
        floor_lan.push(t.elapsed());
    }
    control(&sim, json!({"mode": "none"}));
    let (lm, lp) = percentiles(ours_lan);
    let (fl, fp_lan) = percentiles(floor_lan);
    let (om, op) = percentiles(ours);
    let (rm, rp) = percentiles(floor);
    let (nm, np) = percentiles(ours_no_log);
    let (rnm, rnp) = percentiles(floor_no_log);
    let (fm, fp) = percentiles(per_call);
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
    report.add(
        &format!(
            "sign_status latency, median (ywx C ABI vs raw keep-alive POST, 1 thread; {DEFAULTS})"
        ),
        us(om),
        us(rm),
        ratio(om, rm),
        Target::AtMost(1.10),
    );
    report.add(
        &format!("sign_status latency, median (the same, {NO_LOG})"),
        us(nm),
        us(rnm),
        ratio(nm, rnm),
        Target::None,
    );
    report.add(
        &format!("sign_status latency, p99 ({DEFAULTS})"),
        us(op),
        us(rp),
        ratio(op, rp),
        Target::AtMost(1.10),
    );
    report.add(
        &format!("sign_status latency, p99 ({NO_LOG})"),
        us(np),
        us(rnp),
        ratio(np, rnp),
        Target::None,
    );
    report.add(
        "sign_status latency, median, gateway 1 ms away (ywx vs raw keep-alive POST)",
        us(lm),
        us(fl),
        ratio(lm, fl),
        Target::AtMost(1.10),
    );
    report.add(
        "sign_status latency, p99, gateway 1 ms away",
        us(lp),
        us(fp_lan),
        ratio(lp, fp_lan),
        Target::AtMost(1.10),
    );
    report.add(
        "sign_status latency, median (ywx vs a new connection per call)",
        us(om),
        us(fm),
        ratio(om, fm),
        Target::None,
    );
    report.add(
        "sign_status latency, p99 (ywx vs a new connection per call)",
        us(op),
        us(fp),
        ratio(op, fp),
        Target::None,
    );
}

/// `CALLS` calls of ywx and raw POSTs, interleaved so that drift on a
/// shared machine hits both alike (after 300 of each to warm up).
fn interleaved(
    request: &CString,
    raw: &mut RawClient,
    bytes: &[u8],
) -> (Vec<Duration>, Vec<Duration>) {
    for _ in 0..300 {
        call_text(ywx::ffi::ywx_sign_status, request);
        raw.send(bytes);
    }
    let mut ours = Vec::with_capacity(CALLS);
    let mut floor = Vec::with_capacity(CALLS);
    for _ in 0..CALLS {
        let t = Instant::now();
        call_text(ywx::ffi::ywx_sign_status, request);
        ours.push(t.elapsed());
        let t = Instant::now();
        raw.send(bytes);
        floor.push(t.elapsed());
    }
    (ours, floor)
}
