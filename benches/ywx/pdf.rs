//! A 2 MiB PDF pushed with `pdfFile` (read, base64-encoded and sent by the
//! library) against the raw POST of the same final body; the library's
//! peak memory on the calling thread; the same in GBK mode.

use std::ffi::CString;
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};

use crate::raw::RawClient;
use crate::{Report, Target, alloc, call_text, config_for, init, ms, percentiles, scratch};

const PDF_BYTES: usize = 2 * 1024 * 1024;
const PUSHES: usize = 16;

fn contract(ur_id: &str, pdf: Value) -> Value {
    json!({"signType": 0, "msg": {"head": {"templateId": "contract_001"}, "body": {
        "urId": ur_id, "openId": ywx_sim::BUSINESS_DOCTOR, "viewName": "张三",
        "viewTime": "2024-05-01 10:00:00", "pdf": pdf,
        "viewSubject": "采购合同（2024）", "viewRemark": "请审阅"}}})
}

/// The contract with `pdfFile` (for ywx) or `pdfBase64` (the raw body).
fn with_pdf(ur_id: &str, key: &str, value: &str) -> String {
    contract(ur_id, json!(value))
        .to_string()
        .replace("\"pdf\":", &format!("\"{key}\":"))
}

/// One push through ywx: (time, peak bytes above baseline).
fn push(ur_id: &str, path: &str, gbk: bool) -> (Duration, isize) {
    let text = with_pdf(ur_id, "pdfFile", path);
    let bytes = if gbk {
        encoding_rs::GB18030.encode(&text).0.into_owned()
    } else {
        text.into_bytes()
    };
    let request = CString::new(bytes).unwrap();
    let base = alloc::reset_peak();
    let t = Instant::now();
    let answer = call_text(ywx::ffi::ywx_sign_business, &request);
    let took = t.elapsed();
    let peak = alloc::peak() - base;
    assert!(answer.contains("\"status\":\"0\""), "{answer}");
    (took, peak)
}

pub fn run(report: &mut Report) {
    let sim = ywx_sim::Sim::start();
    let dir = scratch("pdf");
    let mut pdf = b"%PDF-1.4\n".to_vec();
    while pdf.len() < PDF_BYTES - 16 {
        pdf.extend_from_slice(b"0123456789abcdef");
    }
    pdf.truncate(PDF_BYTES - 8);
    pdf.extend_from_slice(b"\n%%EOF\n");
    let path = dir.join("contract.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let path = path.to_str().unwrap().to_string();
    let b64 = base64::engine::general_purpose::STANDARD.encode(&pdf);

    let utf8_config = config_for(sim.base_url());
    let mut gbk_config = config_for(sim.base_url());
    gbk_config["encoding"] = json!("gbk");
    let pid = std::process::id();
    let mut raw = RawClient::keep_alive(sim.addr());
    let mut raw_push = |tag: &str| {
        let mut v: Value = serde_json::from_str(&with_pdf(tag, "pdfBase64", &b64)).unwrap();
        v["msg"]["head"]["clientId"] = json!(ywx_sim::CLIENT_ID);
        v["msg"]["head"]["clientSecret"] = json!(ywx_sim::CLIENT_SECRET);
        let bytes = RawClient::request(sim.addr(), "/gateway/signInfo/syn", &v.to_string());
        let t = Instant::now();
        let answer = raw.send(&bytes);
        let took = t.elapsed();
        assert!(String::from_utf8_lossy(&answer).contains("\"status\":\"0\""));
        took
    };
    // Two phases, UTF-8 then GBK, each with a client that has pushed once
    // already (its connection is up, as in a running HIS; the raw client's
    // is too), pushes interleaved with raw POSTs: the simulator slows as it
    // stores documents, for both alike.
    let (mut utf8, mut gbk, mut floor, mut gbk_floor, mut peak) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), 0);
    for (config, gbk_mode) in [(&utf8_config, false), (&gbk_config, true)] {
        init(config);
        push(&format!("warm{gbk_mode}{pid}"), &path, gbk_mode);
        raw_push(&format!("rwarm{gbk_mode}{pid}"));
        for i in 0..PUSHES {
            let (t, p) = push(&format!("u{i}{gbk_mode}p{pid}"), &path, gbk_mode);
            let r = raw_push(&format!("r{i}{gbk_mode}p{pid}"));
            if gbk_mode {
                gbk.push(t);
                gbk_floor.push(r);
            } else {
                utf8.push(t);
                floor.push(r);
                peak = peak.max(p);
            }
        }
    }
    init(&utf8_config);

    let (um, _) = percentiles(utf8);
    let (rm, _) = percentiles(floor);
    let (gm, _) = percentiles(gbk);
    let (gr, _) = percentiles(gbk_floor);
    report.add(
        "2 MiB PDF push, median (ywx pdfFile vs raw POST of the same body; defaults: log info, outbox on)",
        ms(um),
        ms(rm),
        um.as_secs_f64() / rm.as_secs_f64(),
        Target::AtMost(1.10),
    );
    report.add(
        "2 MiB PDF push, peak memory above baseline (vs the base64 size)",
        format!("{:.1} MiB", peak as f64 / 1048576.0),
        format!("{:.1} MiB", b64.len() as f64 / 1048576.0),
        peak as f64 / b64.len() as f64,
        Target::AtMost(1.5),
    );
    report.add(
        "2 MiB PDF push, median (GBK mode vs UTF-8 mode, each against the raw POSTs of its phase)",
        ms(gm),
        ms(um),
        (gm.as_secs_f64() / gr.as_secs_f64()) / (um.as_secs_f64() / rm.as_secs_f64()),
        Target::AtMost(1.05),
    );
    let _ = std::fs::remove_dir_all(dir);
}
