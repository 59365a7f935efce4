//! `ywx_init` through the C ABI with every kind of bad config:
//! garbage `baseUrl`s, every number out of its range, wrong types, nulls,
//! text that is not a config at all — each refused with a Chinese message
//! naming the key, never the parser's English, and the library left
//! unconfigured. And `tls.insecure: true`, legal but dangerous: a warning
//! in `data.warnings`, a WARN line in the log at every init, and in
//! `ywx check`.

use std::ffi::CString;
use std::process::Command;
use std::sync::Mutex;

use serde_json::{Value, json};
use ywx::config::{KEYS, Kind};
use ywx::ffi::*;
use ywx_sim::Sim;
use ywx_testkit::*;

/// The tests here configure the library each their own way.
static ONE_CONFIG_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Words of serde/serde_json messages that must never reach an implementer.
const PARSER_ENGLISH: &[&str] = &[
    "missing field",
    "invalid type",
    "invalid value",
    "expected",
    "unknown field",
    "unknown variant",
    "at line",
    "EOF",
];

fn good() -> Value {
    config_for("http://127.0.0.1:9")
}

/// `config` with `path` (`retry.backoffMs`) set to `value`.
fn with(path: &str, value: Value) -> Value {
    let mut c = good();
    match path.split_once('.') {
        Some((section, key)) => {
            if !c[section].is_object() {
                c[section] = json!({});
            }
            c[section][key] = value;
        }
        None => c[path] = value,
    }
    c
}

fn is_chinese(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// `ywx_init(text)` must refuse, naming `key` in Chinese; and the library
/// is then unconfigured. Returns what is wrong, if anything.
fn refused(text: &str, key: &str) -> Result<(), String> {
    let c = CString::new(text).unwrap();
    let r = take(unsafe { ywx_init(c.as_ptr()) });
    let message = r["message"].as_str().unwrap_or_default();
    let what = format!("{key}: {}", text.chars().take(120).collect::<String>());
    if status(&r) != "YWX-1004" {
        return Err(format!("{what} → accepted: {r}"));
    }
    if !message.contains(key) {
        return Err(format!(
            "{what} → the message does not name {key}: {message}"
        ));
    }
    if !is_chinese(message) {
        return Err(format!("{what} → not Chinese: {message}"));
    }
    if let Some(w) = PARSER_ENGLISH.iter().find(|w| message.contains(*w)) {
        return Err(format!("{what} → parser English {w:?}: {message}"));
    }
    let after = call(ywx_digest, &json!({"originData": "abc"}));
    if status(&after) != "YWX-1004" {
        return Err(format!("{what} → the library still works: {after}"));
    }
    Ok(())
}

fn assert_all(failures: Vec<String>) {
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_bad_base_url_is_refused_naming_the_key() {
    let _one = ONE_CONFIG_AT_A_TIME
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    let long = format!("http://{}.example.com", "a".repeat(100 * 1024));
    let mut failures = Vec::new();
    for url in [
        json!("http://a b c d e"),
        json!("http://[::1"),
        json!("http://[::1]:8080/gateway"),
        json!("http://test.51trust.com/gateway"),
        json!("http://test.51trust.com/gateway/recipe/synRecipeInfo"),
        json!("http://test.51trust.com?clientId=1"),
        json!("http://test.51trust.com/#top"),
        json!("http://"),
        json!("https://:443"),
        json!("http://host:99999"),
        json!("ftp://test.51trust.com"),
        json!("test.51trust.com"),
        json!("http://test.51trust.com\u{0}x"),
        json!("\thttp://tab.example.com\n/x"),
        json!(long),
        json!(""),
        json!(12345),
        json!(true),
        json!(["http://a.b"]),
        json!({"url": "http://a.b"}),
        Value::Null,
    ] {
        if let Err(e) = refused(&with("baseUrl", url).to_string(), "baseUrl") {
            failures.push(e);
        }
    }
    assert_all(failures);
}

#[test]
fn every_number_out_of_its_range_is_refused_naming_the_key() {
    let _one = ONE_CONFIG_AT_A_TIME
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    let mut failures = Vec::new();
    let mut checked = 0;
    for key in KEYS {
        let Kind::Int(lo, hi) = key.kind else {
            continue;
        };
        let mut bad = vec![
            json!(hi + 1),
            json!(-1),
            json!(1e15),
            json!(1.5),
            json!(u64::MAX),
            json!("12abc"),
            json!(true),
            json!([]),
            json!({}),
            Value::Null,
        ];
        if lo > 0 {
            bad.push(json!(lo - 1));
        }
        for value in bad {
            checked += 1;
            if let Err(e) = refused(&with(key.path, value).to_string(), key.path) {
                failures.push(e);
            }
        }
    }
    assert!(checked > 50, "the number keys were found ({checked})");
    // The probe of the issue: a backoff of 31,000 years.
    if let Err(e) = refused(
        r#"{"baseUrl":"http://127.0.0.1:9","clientId":"1","clientSecret":"2","retry":{"backoffMs":1e15}}"#,
        "retry.backoffMs",
    ) {
        failures.push(e);
    }
    assert_all(failures);
}

#[test]
fn wrong_types_nulls_and_unknown_keys_are_refused_in_chinese() {
    let _one = ONE_CONFIG_AT_A_TIME
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    let mut failures = Vec::new();
    let mut cases: Vec<(String, &str)> = Vec::new();
    for key in KEYS {
        let values = match key.kind {
            Kind::Bool => vec![json!("yes"), json!(1), Value::Null, json!([])],
            Kind::Enum(_) => vec![json!("latin1"), json!(3), Value::Null],
            Kind::Section => vec![json!(3), json!("x"), json!([])],
            Kind::Text => vec![json!({}), json!([]), json!(""), Value::Null],
            Kind::OptText | Kind::Path => vec![json!({}), json!([1]), json!(true)],
            Kind::UtcOffset => vec![json!("+8"), json!("Asia/Shanghai"), json!(8), Value::Null],
            Kind::Url | Kind::Int(..) => continue,
        };
        for v in values {
            cases.push((with(key.path, v).to_string(), key.path));
        }
        // null: "none" where that is a value of the key, refused in Chinese
        // elsewhere; never the parser's "invalid type: null".
        if matches!(key.kind, Kind::OptText | Kind::Path) {
            let text = with(key.path, Value::Null).to_string();
            let c = CString::new(text.as_str()).unwrap();
            let r = take(unsafe { ywx_init(c.as_ptr()) });
            if status(&r) != "0"
                && let Err(e) = refused(&text, key.path)
            {
                failures.push(e);
            }
        }
    }
    // Keys that must be there, missing.
    for k in ["baseUrl", "clientId", "clientSecret"] {
        let mut c = good();
        c.as_object_mut().unwrap().remove(k);
        cases.push((c.to_string(), k));
    }
    // Misspelt and unknown keys.
    cases.push((with("baseURL", json!("http://a.b")).to_string(), "baseURL"));
    cases.push((with("retry.attempt", json!(3)).to_string(), "retry.attempt"));
    cases.push((with("tls.verify", json!(false)).to_string(), "tls.verify"));
    for (text, key) in &cases {
        if let Err(e) = refused(text, key) {
            failures.push(e);
        }
    }
    assert_all(failures);
}

#[test]
fn text_that_is_not_a_config_is_refused_in_chinese() {
    let _one = ONE_CONFIG_AT_A_TIME
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    let mut failures = Vec::new();
    for text in [
        "",
        "   ",
        "null",
        "[]",
        "42",
        "\"http://a.b\"",
        "{",
        "{\"baseUrl\":",
        "{\"baseUrl\" \"http://a.b\"}",
        "{\"baseUrl\":\"http://a.b\",}",
        "{'baseUrl':'http://a.b'}",
        "{\"baseUrl\":\"http://a.b\"} trailing",
        "{\"baseUrl\":\"\\x\"}",
    ] {
        // The message says it is not a config (配置); there is no key to name.
        if let Err(e) = refused(text, "配置") {
            failures.push(e);
        }
    }
    assert_all(failures);
}

// ---- tls.insecure ----------------------------------------------------------

#[test]
fn tls_insecure_is_warned_about_in_the_reply_the_log_and_ywx_check() {
    let _one = ONE_CONFIG_AT_A_TIME
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    let sim = Sim::start();
    let dir = temp_dir("insecure");
    let mut config = config_for(sim.base_url());
    config["tls"] = json!({"insecure": true});
    config["log"] = json!({"dir": dir.join("logs"), "level": "info"});
    for _ in 0..2 {
        let r = init(&config);
        assert_eq!(status(&r), "0", "{r}");
        let warnings = r["data"]["warnings"].as_array().expect("data.warnings");
        assert!(
            warnings
                .iter()
                .any(|w| w.as_str().is_some_and(|w| w.contains("tls.insecure"))),
            "{r}"
        );
    }
    take(ywx_shutdown());
    let mut log = String::new();
    for e in std::fs::read_dir(dir.join("logs")).unwrap().flatten() {
        log.push_str(&std::fs::read_to_string(e.path()).unwrap());
    }
    let warned = log
        .lines()
        .filter(|l| l.contains(" WARN ") && l.contains("tls.insecure"))
        .count();
    assert_eq!(warned, 2, "a WARN line at every init:\n{log}");

    // The same config, without it: no warning.
    config["tls"] = json!({"insecure": false});
    let r = init(&config);
    assert_eq!(r["data"]["warnings"], json!([]), "{r}");
    take(ywx_shutdown());

    // ywx check says it, in text and JSON.
    config["tls"] = json!({"insecure": true});
    let file = dir.join("ywx.json");
    std::fs::write(&file, config.to_string()).unwrap();
    let check = |json: bool| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ywx"));
        cmd.args(["--config", file.to_str().unwrap(), "check"]);
        if json {
            cmd.arg("--json");
        }
        cmd.env_remove("YWX_CONFIG").output().unwrap()
    };
    let out = check(true);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["data"]["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("tls.insecure")),
        "{v}"
    );
    let text = String::from_utf8(check(false).stdout).unwrap();
    assert!(
        text.lines()
            .any(|l| l.contains("警告") && l.contains("tls.insecure")),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
