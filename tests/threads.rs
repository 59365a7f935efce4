//! Many HIS threads calling at once: no error, no crash, connections reused.

use std::time::{Duration, Instant};

use serde_json::json;
use ywx::ffi::*;
use ywx_testkit::*;

#[test]
fn sixteen_threads_mixed_exports_share_few_connections() {
    let sim = sim();
    let run_for = Duration::from_secs(
        std::env::var("YWX_SOAK_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(4),
    );
    let unique_id = {
        let r = call(
            ywx_sign_data,
            &hash_order(&ur_id("mt"), ywx_sim::SIGNING_DOCTOR),
        );
        r["data"]["uniqueId"].as_str().unwrap().to_string()
    };
    let before = sim_state(sim)["connections"].as_u64().unwrap();
    let deadline = Instant::now() + run_for;
    let threads: Vec<_> = (0..16)
        .map(|t| {
            let unique_id = unique_id.clone();
            std::thread::spawn(move || {
                let mut calls = 0u64;
                while Instant::now() < deadline {
                    let r = match calls % 4 {
                        0 => call(ywx_sign_status, &json!({"body": {"uniqueId": unique_id}})),
                        1 => call(
                            ywx_doctor_search,
                            &json!({"body": {"openId": ywx_sim::SIGNING_DOCTOR}}),
                        ),
                        2 => call(
                            ywx_digest,
                            &json!({"originData": format!("线程{t}"), "hashAlg": "SM3"}),
                        ),
                        _ => call(
                            ywx_sign_data,
                            &hash_order(&ur_id(&format!("t{t}")), ywx_sim::SIGNING_DOCTOR),
                        ),
                    };
                    assert_eq!(status(&r), "0", "thread {t}: {r}");
                    calls += 1;
                }
                calls
            })
        })
        .collect();
    let total: u64 = threads.into_iter().map(|t| t.join().unwrap()).sum();
    let opened = sim_state(sim)["connections"].as_u64().unwrap() - before;
    assert!(total > 200, "only {total} calls");
    assert!(
        opened <= 32,
        "{opened} new connections for {total} calls: keep-alive not reused"
    );
    eprintln!("{total} calls from 16 threads over {opened} new connections");
}
