//! File paths that are not regular files — an endless device, a FIFO
//! nobody writes to, a directory — in every field that names a file
//! (`pdfFile`, `appendixFile`, `originFile` of `ywx_digest` and
//! `ywx_sign_data`, `tls.caFile`, `YWX_CONFIG`): each refused at once with a
//! YWX-1xxx error ("only regular files, read up to the limit plus one
//! byte"). Each case runs in a child process under a 2 GB
//! address-space limit with a 10 s deadline, so that reading
//! `/dev/urandom` to the end fails the test instead of the machine, and a
//! FIFO that blocks fails it instead of hanging it.

use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};
use ywx_testkit::*;

const CASE_ENV: &str = "YWX_TEST_CASE";
const PATH_ENV: &str = "YWX_TEST_PATH";

/// Where each file-naming field is given, and how.
const CASES: &[&str] = &[
    "sign_data.pdfFile",
    "sign_data.appendixFile",
    "sign_data.originFile",
    "sign_business.pdfFile",
    "digest.originFile",
    "init.tls.caFile",
    "YWX_CONFIG.init",
    "YWX_CONFIG.implicit",
];

/// A config whose gateway nobody answers: nothing here may get that far.
fn config() -> Value {
    config_for("http://127.0.0.1:9")
}

/// The child: one case, one hostile path; prints `ANSWER <envelope>`.
#[test]
#[ignore = "run as a child process by the tests below"]
fn child_hostile_file() {
    if !is_child("child_hostile_file") {
        return;
    }
    let case = std::env::var(CASE_ENV).unwrap();
    let path = std::env::var(PATH_ENV).unwrap();
    let answer = match case.as_str() {
        "YWX_CONFIG.init" => take(unsafe { ywx::ffi::ywx_init(std::ptr::null()) }),
        "YWX_CONFIG.implicit" => call_method("outbox_list", &json!({})),
        "init.tls.caFile" => {
            let mut c = config();
            c["tls"] = json!({"caFile": path});
            init(&c)
        }
        _ => {
            init_ok(&config());
            let (method, request) = request_for(&case, &path);
            call_method(method, &request)
        }
    };
    println!("\nANSWER {answer}");
}

fn request_for(case: &str, path: &str) -> (&'static str, Value) {
    let mut order = hash_order(&ur_id("hostile"), ywx_sim::SIGNING_DOCTOR);
    match case {
        "sign_data.pdfFile" => {
            order["msg"]["head"]["templateId"] = json!("personRolesPdf");
            order["msg"]["body"]["pdfFile"] = json!(path);
            ("sign_data", order)
        }
        "sign_data.appendixFile" => {
            order["msg"]["head"]["appendixFile"] = json!(path);
            ("sign_data", order)
        }
        "sign_data.originFile" => {
            let body = order["msg"]["body"].as_object_mut().unwrap();
            body.remove("hashValue");
            body.remove("hashType");
            body.insert("originFile".into(), json!(path));
            ("sign_data", order)
        }
        "sign_business.pdfFile" => {
            let mut b: Value = serde_json::from_str(ywx_sim::seed_examples::EX_BUSINESS).unwrap();
            let body = b["msg"]["body"].as_object_mut().unwrap();
            body.remove("pdfBase64");
            body.insert("pdfFile".into(), json!(path));
            ("sign_business", b)
        }
        "digest.originFile" => ("digest", json!({"originFile": path, "hashAlg": "SM3"})),
        other => panic!("unknown case {other}"),
    }
}

/// The field a case's error must name.
fn field_of(case: &str) -> &str {
    match case {
        "YWX_CONFIG.init" | "YWX_CONFIG.implicit" => "YWX_CONFIG",
        "init.tls.caFile" => "tls.caFile",
        c => c.split_once('.').unwrap().1,
    }
}

fn run_case(case: &str, path: &Path) -> Result<(), String> {
    let mut options = ChildOptions {
        address_space: Some(2 << 30),
        timeout: Duration::from_secs(10),
        ..ChildOptions::default()
    }
    .env(CASE_ENV, case)
    .env(PATH_ENV, path.display().to_string());
    if case.starts_with("YWX_CONFIG") {
        options = options.env("YWX_CONFIG", path.display().to_string());
    }
    let run = run_child("child_hostile_file", &options);
    let what = format!("{case} = {}", path.display());
    if !run.passed() {
        return Err(format!(
            "{what}: the child {}\n{}",
            run.how(),
            run.stderr
                .lines()
                .rev()
                .take(5)
                .collect::<Vec<_>>()
                .join("\n")
        ));
    }
    let answer = run.values("ANSWER");
    let answer: Value = serde_json::from_str(answer.first().ok_or(format!("{what}: no answer"))?)
        .map_err(|e| format!("{what}: {e}"))?;
    let status = status(&answer);
    let message = answer["message"].as_str().unwrap_or_default();
    if !status.starts_with("YWX-1") {
        return Err(format!("{what}: {answer}"));
    }
    if !message.contains(field_of(case)) {
        return Err(format!(
            "{what}: the message does not name the field: {answer}"
        ));
    }
    let why = if path.is_dir() {
        "目录"
    } else {
        "普通文件"
    };
    if !message.contains(why) {
        return Err(format!(
            "{what}: the message does not say why ({why}): {answer}"
        ));
    }
    // "At once": not after reading until memory or patience ran out (the
    // child's start included; it takes well under a second).
    if run.took > Duration::from_secs(3) {
        return Err(format!("{what}: refused only after {:?}", run.took));
    }
    eprintln!("{what}: {status} in {:?}", run.took);
    Ok(())
}

/// A FIFO nobody writes to, and a directory, made for the test.
#[cfg(unix)]
fn fifo_and_dir() -> (PathBuf, PathBuf) {
    let dir = temp_dir("hostile");
    let fifo = dir.join("fifo.pdf");
    let c = CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid C path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
    let sub = dir.join("a-directory.pdf");
    std::fs::create_dir(&sub).unwrap();
    (fifo, sub)
}

/// Every case with every hostile path; all failures listed at once.
fn run_all(paths: &[PathBuf]) {
    let mut failures = Vec::new();
    for case in CASES {
        for path in paths {
            if let Err(e) = run_case(case, path) {
                failures.push(e);
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[cfg(unix)]
#[test]
fn endless_devices_are_refused_at_once_in_every_file_field() {
    run_all(&[PathBuf::from("/dev/urandom"), PathBuf::from("/dev/zero")]);
}

#[cfg(unix)]
#[test]
fn fifos_and_directories_are_refused_at_once_in_every_file_field() {
    let (fifo, dir) = fifo_and_dir();
    run_all(&[fifo.clone(), dir]);
    let _ = std::fs::remove_dir_all(fifo.parent().unwrap());
}

/// The rule is "up to the limit plus one byte", not "nothing": a regular
/// file over the limit is refused as too large, one within it is read.
#[test]
fn a_regular_file_is_read_up_to_its_limit() {
    let dir = temp_dir("hostile-regular");
    let big = dir.join("big.pdf");
    let mut pdf = b"%PDF-1.4\n".to_vec();
    pdf.resize(2 * 1024 * 1024 + 1, b'x');
    std::fs::write(&big, &pdf).unwrap();
    let small = dir.join("small.pdf");
    std::fs::write(&small, tiny_pdf()).unwrap();
    sim();
    let mut order = hash_order(&ur_id("regular"), ywx_sim::SIGNING_DOCTOR);
    order["msg"]["head"]["appendixFile"] = json!(big);
    let r = call_method("sign_data", &order);
    assert_eq!(status(&r), "YWX-1002", "{r}");
    assert!(r["message"].as_str().unwrap().contains("2 MiB"), "{r}");
    order["msg"]["head"]["appendixFile"] = json!(small);
    let r = call_method("sign_data", &order);
    assert_eq!(status(&r), "0", "{r}");
    let r = call_method("digest", &json!({"originFile": big, "hashAlg": "SHA256"}));
    assert_eq!(
        status(&r),
        "0",
        "a large regular file is hashed streaming: {r}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
