//! Patient data and passwords never reach a message or a log: messages quote no request value longer than 8 characters, nor any
//! value of a `patient*` field or of `originData`; log files are readable
//! by their owner only; a password in `baseUrl` or `proxy` is masked in the
//! init reply, in every message, in the log and in `ywx check`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use serde_json::{Map, Value, json};
use ywx::ffi::*;
use ywx_sim::Sim;
use ywx_sim::seed_examples as ex;
use ywx_testkit::*;

/// The tests here configure the library each their own way.
static ONE_CONFIG_AT_A_TIME: Mutex<()> = Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_CONFIG_AT_A_TIME
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

/// A config for `base_url` logging everything to `dir/logs`.
fn logged_config(base_url: &str, dir: &Path) -> Value {
    let mut c = config_for(base_url);
    c["log"] = json!({"dir": dir.join("logs"), "level": "debug"});
    c["outbox"] = json!({"path": dir.join("outbox.db"), "background": false});
    c
}

fn log_files(dir: &Path) -> Vec<PathBuf> {
    // Lines are written by the log's own thread; this writes them now.
    ywx::flush_logs();
    std::fs::read_dir(dir.join("logs"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

fn log_text(dir: &Path) -> String {
    log_files(dir)
        .iter()
        .map(|p| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned())
        .collect()
}

fn dead_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", l.local_addr().unwrap())
}

/// Every answer and the log are free of `secrets`; returns the failures.
fn leaks(what: &str, answer: &str, secrets: &[&str]) -> Vec<String> {
    secrets
        .iter()
        .filter(|s| answer.contains(*s))
        .map(|s| format!("{what}: {s:?} in {answer}"))
        .collect()
}

fn assert_clean(failures: Vec<String>) {
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---- patient fields ----------------------------------------------------------

/// Each patient field broken with a value that can be recognised, short
/// and long, on both endpoints that carry patient fields; the order is
/// refused, and neither the answer nor the log holds the value.
#[test]
fn broken_patient_fields_are_never_quoted_nor_logged() {
    let _one = one_at_a_time();
    let sim = Sim::start();
    let dir = temp_dir("privacy-patient");
    init_ok(&logged_config(sim.base_url(), &dir));
    let cases: &[(&str, Value)] = &[
        ("patientSex", json!("欧阳娜娜")),
        ("patientSex", json!("PXQ")),
        ("patientCardType", json!("身份证号")),
        ("patientCardType", json!("ZQ")),
        ("patientCard", json!("110101199003077777110101199003077777")),
        ("patientName", json!({"name": "欧阳娜娜"})),
        ("patientAge", json!(["三十七岁半QZ"])),
        ("patientName", json!("")),
    ];
    let mut failures = Vec::new();
    for (field, value) in cases {
        let marker = match value {
            Value::String(s) if !s.is_empty() => s.clone(),
            Value::String(_) => "天猫".to_string(),
            other => other
                .to_string()
                .trim_matches(['[', ']', '{', '}'])
                .to_string(),
        };
        let marker = marker
            .rsplit(':')
            .next()
            .unwrap()
            .trim_matches('"')
            .to_string();
        let mut order = hash_order(&ur_id("pii"), ywx_sim::SIGNING_DOCTOR);
        order["msg"]["body"][field] = value.clone();
        let r = take_text(unsafe {
            ywx_sign_data(std::ffi::CString::new(order.to_string()).unwrap().as_ptr())
        });
        assert!(r.contains("YWX-1002"), "{field} = {value}: refused: {r}");
        assert!(r.contains(field), "{field}: named: {r}");
        failures.extend(leaks(&format!("sign_data {field}"), &r, &[&marker]));
        let mut verify: Value = serde_json::from_str(ex::EX_VERIFY).unwrap();
        verify["body"][field] = value.clone();
        let r = take_text(unsafe {
            ywx_verify_data(std::ffi::CString::new(verify.to_string()).unwrap().as_ptr())
        });
        failures.extend(leaks(&format!("verify_data {field}"), &r, &[&marker]));
        failures.extend(leaks(
            &format!("log after {field}"),
            &log_text(&dir),
            &[&marker],
        ));
    }
    // A valid order: its patient's name, card and age go to the gateway,
    // never to the log.
    let mut order = hash_order(&ur_id("pii"), ywx_sim::SIGNING_DOCTOR);
    order["msg"]["body"]["patientName"] = json!("司马相如");
    order["msg"]["body"]["patientCard"] = json!("110101199003071234");
    let r = call(ywx_sign_data, &order);
    assert_eq!(status(&r), "0", "{r}");
    failures.extend(leaks(
        "log of a valid order",
        &log_text(&dir),
        &[
            "司马相如",
            "110101199003071234",
            "天猫",
            "535689193101071814",
        ],
    ));
    take(ywx_shutdown());
    assert_clean(failures);
    let _ = std::fs::remove_dir_all(dir);
}

/// `originData` is the medical text itself: never quoted, whatever goes
/// wrong around it.
#[test]
fn origin_data_is_never_quoted() {
    let _one = one_at_a_time();
    let dir = temp_dir("privacy-origin");
    init_ok(&logged_config(&dead_url(), &dir));
    let text = "主诉：反复咳嗽三周QZX";
    let mut failures = Vec::new();
    let mut order = hash_order(&ur_id("origin"), ywx_sim::SIGNING_DOCTOR);
    order["msg"]["body"]["originData"] = json!(text);
    // Both hashValue and originData: refused.
    let r = call(ywx_sign_data, &order);
    assert_eq!(status(&r), "YWX-1002", "{r}");
    failures.extend(leaks("originData + hashValue", &r.to_string(), &[text]));
    for (request, what) in [
        (
            json!({"originData": text, "hashAlg": "MD5"}),
            "a bad hashAlg",
        ),
        (json!({"originData": text, "originFile": "/x"}), "both"),
        (
            json!({"originData": text, "remote": true}),
            "remote, gateway down",
        ),
    ] {
        let r = call(ywx_digest, &request);
        assert_ne!(status(&r), "0", "{what}: {r}");
        failures.extend(leaks(what, &r.to_string(), &[text]));
    }
    take(ywx_shutdown());
    failures.extend(leaks("log", &log_text(&dir), &[text]));
    assert_clean(failures);
    let _ = std::fs::remove_dir_all(dir);
}

/// A recognisable value of more than 8 characters put, one at a time, in
/// every field of every example of the vendor's document (a patient's name
/// typed into the wrong field): no answer of ywx and no log line quotes it.
/// The gateway is down, so every answer is ywx's own.
#[test]
fn no_request_value_longer_than_8_characters_is_quoted() {
    let _one = one_at_a_time();
    let dir = temp_dir("privacy-sweep");
    init_ok(&logged_config(&dead_url(), &dir));
    // Every method's request, the lifecycle ones aside.
    let examples = seed_requests();
    let mut failures = Vec::new();
    let mut n = 0;
    for (method, example) in examples {
        let example: Value = serde_json::from_str(&example).unwrap();
        for pointer in leaves(&example) {
            n += 1;
            let marker = format!("欧阳娜娜病历{n:04}号");
            let mut request = example.clone();
            *request.pointer_mut(&pointer).unwrap() = json!(marker);
            let answer = call_method(method, &request).to_string();
            failures.extend(leaks(&format!("{method} {pointer}"), &answer, &[&marker]));
        }
    }
    // File paths are the caller's text too (a file named after the patient).
    let path = "/tmp/欧阳娜娜的病历/第一页.pdf";
    let mut with_files = Vec::new();
    for field in ["pdfFile", "appendixFile", "originFile"] {
        let mut order = hash_order(&ur_id("file"), ywx_sim::SIGNING_DOCTOR);
        order["msg"]["body"][field] = json!(path);
        if field == "originFile" {
            order["msg"]["body"]
                .as_object_mut()
                .unwrap()
                .remove("hashValue");
        }
        with_files.push(("sign_data", order));
    }
    with_files.push(("digest", json!({"originFile": path})));
    with_files.push(("digest", json!({"originFile": "/tmp", "hashAlg": "SM3"})));
    for (method, request) in with_files {
        let answer = call_method(method, &request);
        assert_eq!(status(&answer), "YWX-1002", "{answer}");
        failures.extend(leaks(
            &format!("{method} file"),
            &answer.to_string(),
            &[path],
        ));
    }
    // Method names are the caller's text too.
    let name = "欧阳娜娜病历的方法名";
    let r = call_method(name, &json!({}));
    assert_eq!(status(&r), "YWX-1006", "{r}");
    failures.extend(leaks("an unknown method", &r.to_string(), &[name]));
    take(ywx_shutdown());
    let log = log_text(&dir);
    assert!(n > 40, "only {n} fields tried");
    assert!(!log.is_empty(), "the calls were logged");
    failures.extend(leaks("log", &log, &["欧阳娜娜"]));
    assert_clean(failures);
    let _ = std::fs::remove_dir_all(dir);
}

/// JSON pointers of the string and number leaves of `v`.
fn leaves(v: &Value) -> Vec<String> {
    fn walk(v: &Value, at: String, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => walk_map(m, &at, out),
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    walk(x, format!("{at}/{i}"), out);
                }
            }
            Value::String(_) | Value::Number(_) | Value::Bool(_) => out.push(at),
            Value::Null => {}
        }
    }
    fn walk_map(m: &Map<String, Value>, at: &str, out: &mut Vec<String>) {
        for (k, x) in m {
            walk(x, format!("{at}/{k}"), out);
        }
    }
    let mut out = Vec::new();
    walk(v, String::new(), &mut out);
    out
}

// ---- log files ---------------------------------------------------------------

#[cfg(unix)]
#[test]
fn log_files_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let _one = one_at_a_time();
    let sim = Sim::start();
    let dir = temp_dir("privacy-mode");
    init_ok(&logged_config(sim.base_url(), &dir));
    let r = call(ywx_sign_status, &json!({"body": {"uniqueId": "nope"}}));
    assert!(!status(&r).starts_with("YWX-"), "{r}");
    take(ywx_shutdown());
    let files = log_files(&dir);
    assert!(!files.is_empty(), "a log file was written");
    for f in files {
        let mode = std::fs::metadata(&f).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o077,
            0,
            "{} has mode {:o}: group or others may read it",
            f.display(),
            mode & 0o777
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

// ---- passwords in URLs -------------------------------------------------------

const PASSWORD: &str = "Pw9dQx7Secret";
const PROXY_PASSWORD: &str = "Px4kProxySecret";

/// `http://user:PASSWORD@host:port` for `base`.
fn with_password(base: &str, password: &str) -> String {
    base.replacen("http://", &format!("http://his:{password}@"), 1)
}

#[test]
fn passwords_in_base_url_and_proxy_are_masked_everywhere() {
    let _one = one_at_a_time();
    let sim = Sim::start();
    let dir = temp_dir("privacy-url");
    let secrets = [PASSWORD, PROXY_PASSWORD];
    let mut failures = Vec::new();
    let mut answers = Vec::new();

    // A gateway that answers, then one that fails in every way that names it.
    let mut config = logged_config(&with_password(sim.base_url(), PASSWORD), &dir);
    let r = init(&config);
    assert_eq!(status(&r), "0", "{r}");
    assert!(
        r["data"]["baseUrl"].as_str().unwrap().contains("***"),
        "{r}"
    );
    answers.push(("init", r));
    let query = json!({"body": {"uniqueId": "nope"}});
    answers.push(("sign_status", call(ywx_sign_status, &query)));
    for mode in ["http500", "http502html", "garbage"] {
        control(&sim, "/sim/faults", &json!({"mode": mode, "count": 10}));
        answers.push(("fault", call(ywx_sign_status, &query)));
        answers.push((
            "push under fault",
            call(
                ywx_sign_data,
                &hash_order(&ur_id("pw"), ywx_sim::SIGNING_DOCTOR),
            ),
        ));
        control(&sim, "/sim/faults", &json!({"mode": "none"}));
    }
    // Down.
    config["baseUrl"] = json!(with_password(&dead_url(), PASSWORD));
    answers.push(("init down", init(&config)));
    answers.push(("down", call(ywx_sign_status, &query)));
    answers.push((
        "push down",
        call(
            ywx_sign_data,
            &hash_order(&ur_id("pw"), ywx_sim::SIGNING_DOCTOR),
        ),
    ));
    answers.push(("flush down", call_method("outbox_flush", &json!({}))));
    answers.push(("list down", call_method("outbox_list", &json!({}))));
    // Through a proxy with a password: one that refuses, one that is not a
    // URL at all.
    config["baseUrl"] = json!(with_password(sim.base_url(), PASSWORD));
    for proxy in [
        with_password(&dead_url(), PROXY_PASSWORD),
        format!(
            "his:{PROXY_PASSWORD}@{}",
            dead_url().trim_start_matches("http://")
        ),
        format!("socks9://his:{PROXY_PASSWORD}@[::1"),
    ] {
        config["proxy"] = json!(proxy);
        let r = init(&config);
        answers.push(("init proxy", r.clone()));
        if status(&r) == "0" {
            answers.push(("through the proxy", call(ywx_sign_status, &query)));
        }
    }
    take(ywx_shutdown());
    for (what, answer) in &answers {
        failures.extend(leaks(what, &answer.to_string(), &secrets));
    }
    let log = log_text(&dir);
    assert!(log.contains("status="), "the calls were logged:\n{log}");
    failures.extend(leaks("log", &log, &secrets));

    // ywx check, failing at DNS, at TCP, and passing.
    for base in [
        format!("http://his:{PASSWORD}@gateway.no-such-hospital.invalid"),
        with_password(&dead_url(), PASSWORD),
        with_password(sim.base_url(), PASSWORD),
    ] {
        let mut c = config_for(&base);
        c["log"] = json!({"dir": null});
        let file = dir.join("check.json");
        std::fs::write(&file, c.to_string()).unwrap();
        for json_flag in [true, false] {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_ywx"));
            cmd.args(["--config", file.to_str().unwrap(), "check"]);
            if json_flag {
                cmd.arg("--json");
            }
            let out = cmd.env_remove("YWX_CONFIG").output().unwrap();
            let (stdout, stderr) = text(&out);
            failures.extend(leaks(&format!("ywx check {base}"), &stdout, &secrets));
            failures.extend(leaks(&format!("ywx check {base}"), &stderr, &secrets));
        }
    }
    assert_clean(failures);
    let _ = std::fs::remove_dir_all(dir);
}
