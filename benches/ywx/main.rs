//! ywx benchmarks: each figure against a reference measured in the same run
//! on the same machine, reported as a ratio, with the target it must meet.
//!
//! ```text
//! cargo bench --bench ywx                        # every section (< 5 min on 2 cores)
//! cargo bench --bench ywx -- latency throughput  # some sections
//! ```
//! Sections (each in its own file):
//! - `latency`: `ywx_sign_status` through the C ABI against a raw keep-alive
//!   HTTP POST of the identical bytes, and a new connection per call.
//! - `throughput`: 1–16 calling threads, ywx against raw clients.
//! - `curl`: latency and throughput against libcurl, from a program of
//!   their own linking the built `libywx.so`.
//! - `pdf`: a 2 MiB PDF pushed with `pdfFile` against the raw POST of the
//!   same final body; peak memory; GBK mode.
//! - `digest`: SHA1/SHA256/SM3 against `openssl speed -evp`.
//! - `cold`: load the library, `ywx_init`, first call.
//! - `size`: the built libraries.
//! - `outbox`: durable enqueue against a bare SQLite insert; delivery after
//!   an outage against raw POSTs.
//! - `verify`: `ywx_verify_local` on an SM2 P1 and an SM2 P7 against
//!   `openssl speed sm2`'s verify; an ECDSA P-256 P1 against ring's verify.
//!
//! The simulator runs in this process, on the same cores: the raw client's
//! figures show the floor it sets.
//!
//! ywx runs in the configuration a user gets from the README (the log at
//! `info`, the outbox on: [`config_for`]); where the log makes a
//! difference (latency, throughput, curl) the same rows are measured
//! without it too, and each row says which configuration it used.

mod alloc;
mod cold;
mod curl;
mod digest;
mod latency;
mod outbox;
mod pdf;
mod raw;
mod size;
mod throughput;
mod verify;

use std::ffi::CString;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};
use ywx_sim::Sim;

#[global_allocator]
static ALLOC: alloc::Counting = alloc::Counting;

type Section = fn(&mut Report);

const SECTIONS: &[(&str, Section)] = &[
    ("latency", latency::run),
    ("throughput", throughput::run),
    ("curl", curl::run),
    ("pdf", pdf::run),
    ("digest", digest::run),
    ("cold", cold::run),
    ("size", size::run),
    ("outbox", outbox::run),
    ("verify", verify::run),
];

fn main() {
    let wanted: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let started = std::time::Instant::now();
    let mut report = Report::default();
    for (name, section) in SECTIONS {
        if wanted.is_empty() || wanted.iter().any(|w| w == name) {
            eprintln!("== {name}");
            section(&mut report);
        }
    }
    report.print();
    let _ = std::fs::remove_dir_all(defaults_dir());
    println!();
    println!(
        "{} cores, {}; suite took {:.0} s",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_model(),
        started.elapsed().as_secs_f64()
    );
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

// ----- reporting -----------------------------------------------------------

#[derive(Default)]
pub struct Report {
    rows: Vec<Row>,
}

/// What a ratio must be: at most (lower is better) or at least.
#[derive(Clone, Copy)]
pub enum Target {
    AtMost(f64),
    AtLeast(f64),
    None,
}

struct Row {
    what: String,
    ours: String,
    reference: String,
    ratio: Option<f64>,
    target: Target,
}

impl Report {
    pub fn add(&mut self, what: &str, ours: String, reference: String, ratio: f64, target: Target) {
        eprintln!("   {what}: {ours} vs {reference} = {ratio:.2}");
        self.rows.push(Row {
            what: what.into(),
            ours,
            reference,
            ratio: Some(ratio),
            target,
        });
    }

    /// A figure with no reference (sizes).
    pub fn note(&mut self, what: &str, ours: String) {
        eprintln!("   {what}: {ours}");
        self.rows.push(Row {
            what: what.into(),
            ours,
            reference: "—".into(),
            ratio: None,
            target: Target::None,
        });
    }

    fn print(&self) {
        println!();
        println!("| measurement | ywx | reference | ratio | target |");
        println!("|---|---|---|---|---|");
        for r in &self.rows {
            let ratio = r.ratio.map_or("—".into(), |x| format!("{x:.2}"));
            let target = match (r.target, r.ratio) {
                (Target::AtMost(t), Some(x)) => {
                    format!("≤ {t:.2} {}", if x <= t { "met" } else { "**MISSED**" })
                }
                (Target::AtLeast(t), Some(x)) => {
                    format!("≥ {t:.2} {}", if x >= t { "met" } else { "**MISSED**" })
                }
                _ => "—".into(),
            };
            println!(
                "| {} | {} | {} | {ratio} | {target} |",
                r.what, r.ours, r.reference
            );
        }
    }
}

/// Median and 99th percentile.
pub fn percentiles(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.99))
}

pub fn us(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

pub fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

// ----- the library through its C ABI (helpers shared with the tests) --------

pub use ywx_testkit::{call_c as call_text, call_text as call, init_ok as init, take};

/// The configuration a user gets from the README (benchmarks measure
/// the defaults): only `baseUrl` and the credentials set, so the
/// outbox is on (its delivery thread running) and the log at `info`, one
/// line a call, into a `logs` directory; here both are in a directory of
/// this run, on the machine's disk as a HIS's are beside the program.
pub fn config_for(base_url: &str) -> Value {
    let dir = defaults_dir();
    json!({
        "baseUrl": base_url,
        "clientId": ywx_sim::CLIENT_ID,
        "clientSecret": ywx_sim::CLIENT_SECRET,
        "log": {"dir": dir.join("logs"), "level": "info"},
        "outbox": {"path": dir.join("outbox.db")},
    })
}

/// The defaults without the log (`"log": {"dir": null}`): the no-logging
/// figure shown beside the default's.
pub fn config_no_log(base_url: &str) -> Value {
    let mut config = config_for(base_url);
    config["log"] = json!({"dir": null});
    config
}

/// What the rows measured with [`config_for`] / [`config_no_log`] say.
pub const DEFAULTS: &str = "defaults: log info, outbox on";
pub const NO_LOG: &str = "no log, outbox on";

/// The directory of this run's default-config files.
fn defaults_dir() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| scratch("defaults")).clone()
}

/// The document's sign-data example (4.3.5) with its own urId.
pub fn order(ur_id: &str) -> Value {
    ywx_testkit::hash_order(ur_id, ywx_sim::SIGNING_DOCTOR)
}

/// Pushes one order; its uniqueId.
pub fn pushed_order(tag: &str) -> String {
    let r = ywx_testkit::call(
        ywx::ffi::ywx_sign_data,
        &order(&format!("{tag}{}", std::process::id())),
    );
    assert_eq!(r["status"], "0", "{r}");
    r["data"]["uniqueId"].as_str().unwrap().to_string()
}

/// A `sign_status` request for a freshly pushed order, twice: the C string
/// ywx is given and the raw HTTP request of the identical bytes (the head
/// is given complete, so ywx sends exactly this body).
pub fn status_request(sim: &Sim, tag: &str) -> (CString, Vec<u8>) {
    let unique_id = pushed_order(tag);
    let body = json!({"head": {"clientId": ywx_sim::CLIENT_ID}, "body": {"uniqueId": unique_id}})
        .to_string();
    let raw = raw::RawClient::request(sim.addr(), "/gateway/recipe/querySignDataByUniqueId", &body);
    (CString::new(body).unwrap(), raw)
}

pub fn scratch(name: &str) -> PathBuf {
    ywx_testkit::temp_dir(&format!("bench-{name}"))
}

/// A simulator and the library configured for it.
pub fn sim_and_library() -> Sim {
    let sim = Sim::start();
    init(&config_for(sim.base_url()));
    sim
}
