//! Small thread stacks: a request nested deeper than 32 levels
//! is refused with YWX-1001 before it is parsed, so that it cannot exhaust
//! a small stack; and the smallest stack a gateway call needs, measured by
//! bisection (plain HTTP and TLS), is within what `include/ywx.h` states.
//!
//! A stack overflow kills the process, so each call runs in a child: this
//! test binary run again, or `tests/c/stack_probe.c` built against the
//! library.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::{Value, json};
use ywx_sim::{Sim, SimOptions};
use ywx_testkit::*;

const STACK_ENV: &str = "YWX_TEST_STACK";

/// Requests nested `depth` deep, in every place a request may nest.
fn deep_requests(depth: usize) -> Vec<(&'static str, String)> {
    let arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let objects = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
    let msg_text = serde_json::to_string(&arrays).unwrap();
    vec![
        (
            "sign_status",
            format!("{{\"body\":{{\"uniqueId\":{arrays}}}}}"),
        ),
        ("sign_status", objects.clone()),
        ("sign_data", format!("{{\"signType\":0,\"msg\":{objects}}}")),
        // msg sent as a JSON string, which ywx parses too.
        (
            "sign_data",
            format!("{{\"signType\":0,\"msg\":{msg_text}}}"),
        ),
        ("digest", format!("{{\"originData\":{arrays}}}")),
        ("oauth_authorize", format!("{{\"sysTag\":{arrays}}}")),
        ("outbox_list", arrays.clone()),
        ("sign_wait", objects),
        ("init", format!("{{\"retry\":{arrays}}}")),
    ]
}

/// The child: every deep request on a thread with `$YWX_TEST_STACK`
/// bytes of stack; prints `ANSWER method status`.
#[test]
#[ignore = "run as a child process by the tests below"]
fn child_deep_requests_on_a_small_stack() {
    if !is_child("child_deep_requests_on_a_small_stack") {
        return;
    }
    let stack: usize = std::env::var(STACK_ENV).unwrap().parse().unwrap();
    init_ok(&config_for("http://127.0.0.1:9"));
    let mut requests: Vec<(&str, String)> = [33, 40, 127, 200, 100_000]
        .into_iter()
        .flat_map(deep_requests)
        .collect();
    // A refused init leaves the library unconfigured: those last.
    requests.sort_by_key(|(method, _)| *method == "init");
    let answers = std::thread::Builder::new()
        .stack_size(stack)
        .spawn(move || {
            requests
                .iter()
                .map(|(method, request)| {
                    // What was being tried when a crash came.
                    eprintln!("TRY {method} {}", &request[..request.len().min(60)]);
                    let m = std::ffi::CString::new(*method).unwrap();
                    let r = std::ffi::CString::new(request.as_str()).unwrap();
                    // SAFETY: valid C strings.
                    let answer = take(unsafe { ywx::ffi::ywx_call(m.as_ptr(), r.as_ptr()) });
                    (method.to_string(), status(&answer))
                })
                .collect::<Vec<_>>()
        })
        .unwrap()
        .join()
        .unwrap();
    println!();
    for (method, status) in answers {
        println!("ANSWER {method} {status}");
    }
}

#[test]
fn requests_nested_deeper_than_32_are_refused_on_a_64k_stack() {
    let run = run_child(
        "child_deep_requests_on_a_small_stack",
        &ChildOptions {
            timeout: Duration::from_secs(60),
            ..ChildOptions::default()
        }
        .env(STACK_ENV, (64 * 1024).to_string()),
    );
    run.assert_passed("deep requests on a thread with a 64 KiB stack");
    let answers = run.values("ANSWER");
    assert_eq!(answers.len(), 5 * deep_requests(1).len(), "{answers:?}");
    for a in &answers {
        let (method, status) = a.split_once(' ').unwrap();
        let want = if method == "init" {
            "YWX-1004"
        } else {
            "YWX-1001"
        };
        assert_eq!(status, want, "{a}");
    }
}

// ---- the smallest stack a call needs -------------------------------------

/// The stack a call needs at most, as `include/ywx.h` states it, in bytes:
/// for the release build ("needs at most N KiB") or a debug build ("a
/// debug build at most N KiB").
fn documented_stack(release: bool) -> usize {
    let header = std::fs::read_to_string(include_dir().join("ywx.h")).unwrap();
    let phrase = if release {
        "needs at most "
    } else {
        "a debug build at most "
    };
    let at = header.find(phrase).unwrap_or_else(|| {
        panic!("include/ywx.h states the stack a call needs ({phrase:?} N KiB)")
    });
    let kib: usize = header[at + phrase.len()..]
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a number of KiB");
    kib * 1024
}

/// Whether the library measured is a release build.
fn measuring_release() -> bool {
    measured_lib_dir()
        .components()
        .any(|c| c.as_os_str() == "release")
}

/// The library measured: the one the tests use, or `$YWX_STACK_LIB_DIR`.
fn measured_lib_dir() -> PathBuf {
    std::env::var_os("YWX_STACK_LIB_DIR").map_or_else(built_lib_dir, PathBuf::from)
}

fn stack_probe() -> &'static PathBuf {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(|| {
        let dir = temp_dir("stack-probe");
        let exe = dir.join("stack_probe");
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/c/stack_probe.c");
        compile_dynamic(
            "gcc",
            &["-std=c99", "-Wall", "-Werror", "-pthread"],
            &src,
            &exe,
            &measured_lib_dir(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        exe
    })
}

/// One scenario: where the call runs, the config, the call and its answer.
struct Scenario {
    name: &'static str,
    place: &'static str,
    config: Value,
    method: &'static str,
    request: Value,
    want: &'static str,
}

/// Whether the scenario's call succeeds on a stack of `bytes`.
fn fits(s: &Scenario, bytes: usize) -> bool {
    // cargo test puts target/debug/deps first in LD_LIBRARY_PATH, before
    // the probe's own runpath: say which library is meant.
    let out = Command::new(stack_probe())
        .env("LD_LIBRARY_PATH", measured_lib_dir())
        .args([
            &bytes.to_string(),
            s.place,
            &s.config.to_string(),
            s.method,
            &s.request.to_string(),
            s.want,
        ])
        .output()
        .unwrap();
    match out.status.code() {
        Some(0) => true,
        Some(1) => panic!(
            "{}: a wrong answer on {bytes} bytes of stack: {}",
            s.name,
            String::from_utf8_lossy(&out.stdout)
        ),
        other => {
            if std::env::var_os("YWX_STACK_DEBUG").is_some() {
                eprintln!(
                    "{} {bytes}: {other:?} {}",
                    s.name,
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            false
        }
    }
}

/// The smallest stack, to 4 KiB, on which the scenario's call succeeds.
fn smallest_stack(s: &Scenario) -> usize {
    const STEP: usize = 4096;
    let (mut lo, mut hi) = (16 * 1024, 1024 * 1024);
    assert!(
        fits(s, hi),
        "{}: fails even with {hi} bytes of stack",
        s.name
    );
    if fits(s, lo) {
        return lo;
    }
    while hi - lo > STEP {
        let mid = (lo + hi) / 2 / STEP * STEP;
        if fits(s, mid) { hi = mid } else { lo = mid }
    }
    hi
}

fn scenarios(http: &Sim, https: &Sim, ca: &Path) -> Vec<Scenario> {
    let dir = temp_dir("stack-outbox");
    let mut tls = config_for(https.base_url());
    tls["tls"] = json!({"caFile": ca});
    let mut down = config_for("http://127.0.0.1:9");
    down["outbox"] = json!({"path": dir.join("outbox.db"), "background": false});
    let query = json!({"body": {"openId": ywx_sim::SIGNING_DOCTOR}});
    let push = hash_order(&ur_id("stack"), ywx_sim::SIGNING_DOCTOR);
    let mut business: Value = serde_json::from_str(ywx_sim::seed_examples::EX_BUSINESS).unwrap();
    business["msg"]["body"]["urId"] = json!(ur_id("stackpdf"));
    business["msg"]["body"]["pdfBase64"] = json!(base64_of(&tiny_pdf()));
    business["msg"]["head"]
        .as_object_mut()
        .unwrap()
        .remove("clientId");
    let s = |name, place, config: &Value, method, request: &Value, want| Scenario {
        name,
        place,
        config: config.clone(),
        method,
        request: request.clone(),
        want,
    };
    vec![
        s(
            "HTTP doctor_search",
            "thread",
            &config_for(http.base_url()),
            "doctor_search",
            &query,
            "0",
        ),
        s(
            "HTTP sign_data",
            "thread",
            &config_for(http.base_url()),
            "sign_data",
            &push,
            "0",
        ),
        s(
            "HTTPS doctor_search",
            "thread",
            &tls,
            "doctor_search",
            &query,
            "0",
        ),
        s("HTTPS sign_data", "thread", &tls, "sign_data", &push, "0"),
        s(
            "HTTP sign_business with a PDF",
            "thread",
            &config_for(http.base_url()),
            "sign_business",
            &business,
            "0",
        ),
        s(
            "gateway down, push queued",
            "thread",
            &down,
            "sign_data",
            &push,
            "YWX-4001",
        ),
        s(
            "HTTP ywx_init + doctor_search",
            "init",
            &config_for(http.base_url()),
            "doctor_search",
            &query,
            "0",
        ),
        s(
            "HTTPS ywx_init + doctor_search",
            "init",
            &tls,
            "doctor_search",
            &query,
            "0",
        ),
        // The system's certificate store (the default): the simulator's CA
        // is not in it, so the whole verification runs, and refuses.
        s(
            "HTTPS system store, refused",
            "init",
            &config_for(https.base_url()),
            "doctor_search",
            &query,
            "YWX-2003",
        ),
    ]
}

/// Measures each scenario by bisection and prints the table; the largest
/// must be within the figure `include/ywx.h` states. `YWX_STACK_LIB_DIR`
/// measures another build of the library (the release one, for the docs).
#[cfg(target_os = "linux")]
#[test]
fn the_stack_a_gateway_call_needs_is_within_the_documented_figure() {
    let http = sim();
    let ca_dir = temp_dir("stack-tls");
    let https = Sim::start_with(SimOptions {
        tls_dir: Some(ca_dir.clone()),
        ..SimOptions::default()
    })
    .unwrap();
    let release = measuring_release();
    let documented = documented_stack(release);
    let mut worst = 0;
    for s in scenarios(http, &https, &ca_dir.join("ca.pem")) {
        let need = smallest_stack(&s);
        eprintln!("MEASURED {:<32} {:>4} KiB", s.name, need / 1024);
        worst = worst.max(need);
    }
    eprintln!(
        "MEASURED the largest: {} KiB; include/ywx.h states {} KiB for a {} build",
        worst / 1024,
        documented / 1024,
        if release { "release" } else { "debug" }
    );
    assert!(
        worst <= documented,
        "a call needs {worst} bytes of stack, more than the {documented} include/ywx.h states"
    );
    let _ = std::fs::remove_dir_all(ca_dir);
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
