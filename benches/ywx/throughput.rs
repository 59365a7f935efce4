//! Calls per second with 1, 2, 4, 8 and 16 calling threads: ywx (one shared
//! agent) against raw keep-alive clients (one connection per thread); ywx
//! in the default configuration (the log at `info`) and without the log,
//! each window after its own `ywx_init`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::raw::RawClient;
use crate::{
    DEFAULTS, NO_LOG, Report, Target, call_text, config_for, config_no_log, init, sim_and_library,
    status_request,
};

/// Each side runs in windows this long, alternating, `ROUNDS` times each:
/// drift on a shared machine hits both alike.
const WINDOW: Duration = Duration::from_millis(500);
const ROUNDS: usize = 3;

/// Runs `work` on `threads` threads for the window; calls per second.
fn rate(threads: usize, work: &(dyn Fn() + Sync)) -> f64 {
    let stop = AtomicBool::new(false);
    let calls = AtomicU64::new(0);
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    work();
                    n += 1;
                }
                calls.fetch_add(n, Ordering::Relaxed);
            });
        }
        std::thread::sleep(WINDOW);
        stop.store(true, Ordering::Relaxed);
    });
    calls.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

pub fn run(report: &mut Report) {
    let sim = sim_and_library();
    let (request, bytes) = status_request(&sim, "thr");
    let addr = sim.addr();
    for threads in [1, 2, 4, 8, 16] {
        thread_local! {
            static RAW: std::cell::RefCell<Option<RawClient>> = const { std::cell::RefCell::new(None) };
        }
        let (mut raw, mut ours, mut no_log) = (0.0, 0.0, 0.0);
        let ywx = || {
            call_text(ywx::ffi::ywx_sign_status, &request);
        };
        for _ in 0..ROUNDS {
            raw += rate(threads, &|| {
                RAW.with(|r| {
                    r.borrow_mut()
                        .get_or_insert_with(|| RawClient::keep_alive(addr))
                        .send(&bytes);
                })
            }) / ROUNDS as f64;
            init(&config_for(sim.base_url()));
            ours += rate(threads, &ywx) / ROUNDS as f64;
            init(&config_no_log(sim.base_url()));
            no_log += rate(threads, &ywx) / ROUNDS as f64;
        }
        init(&config_for(sim.base_url()));
        report.add(
            &format!(
                "sign_status throughput, {threads} thread(s) (calls/s, ywx vs raw keep-alive; {DEFAULTS})"
            ),
            format!("{ours:.0}/s"),
            format!("{raw:.0}/s"),
            ours / raw,
            Target::AtLeast(0.9),
        );
        report.add(
            &format!("sign_status throughput, {threads} thread(s) (the same, {NO_LOG})"),
            format!("{no_log:.0}/s"),
            format!("{raw:.0}/s"),
            no_log / raw,
            Target::None,
        );
    }
}
