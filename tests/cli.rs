//! The `ywx` command, as an implementer uses it on site.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};
use ywx_sim::{Sim, SimOptions};
use ywx_testkit::*;

fn ywx(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ywx"))
        .args(args)
        .env_remove("YWX_CONFIG")
        .output()
        .unwrap()
}

fn write_config(dir: &Path, name: &str, config: &Value) -> PathBuf {
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, serde_json::to_string_pretty(config).unwrap()).unwrap();
    path
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn check_tells_a_wrong_domain_a_closed_port_a_wrong_secret_and_a_good_config_apart() {
    let sim = Sim::start();
    let dir = temp_dir(&ur_id("check"));
    let good = config_for(sim.base_url());
    let mut wrong_secret = good.clone();
    wrong_secret["clientSecret"] = json!("2017070411009999");
    let mut closed = good.clone();
    closed["baseUrl"] = json!(format!("http://127.0.0.1:{}", closed_port()));
    let mut wrong_domain = good.clone();
    wrong_domain["baseUrl"] = json!("http://gateway.no-such-hospital.invalid");

    let cases = [
        ("good", &good, Value::Null, "配置正确，网关可用"),
        (
            "secret",
            &wrong_secret,
            json!("credentials"),
            "clientSecret",
        ),
        ("closed", &closed, json!("tcp"), "拒绝连接"),
        ("domain", &wrong_domain, json!("dns"), "无法解析"),
    ];
    let mut verdicts = Vec::new();
    for (name, config, failed_step, words) in cases {
        let path = write_config(&dir, name, config);
        let out = ywx(&["--config", path.to_str().unwrap(), "check", "--json"]);
        let v = json_of(&out);
        assert_eq!(v["data"]["failedStep"], failed_step, "{name}: {v}");
        assert_eq!(out.status.code(), Some(if name == "good" { 0 } else { 1 }));
        assert!(v.to_string().contains(words), "{name}: {v}");
        if name != "good" {
            let step = v["data"]["steps"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["ok"] == false)
                .unwrap();
            assert!(
                step["fix"].is_string(),
                "{name}: a failed step says what to do: {v}"
            );
        }
        verdicts.push(v["message"].as_str().unwrap().to_string());
        // The same for a person: one line a step, the verdict last.
        let out = ywx(&["--config", path.to_str().unwrap(), "check"]);
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("[1] ✓ 配置文件"), "{text}");
        assert!(
            text.lines()
                .last()
                .unwrap()
                .contains(&verdicts[verdicts.len() - 1]),
            "{text}"
        );
    }
    verdicts.dedup();
    assert_eq!(verdicts.len(), 4, "four different diagnoses: {verdicts:?}");

    let out = ywx(&[
        "--config",
        dir.join("missing.json").to_str().unwrap(),
        "check",
    ]);
    assert_eq!(out.status.code(), Some(64));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn check_without_any_config_says_where_it_looked() {
    let dir = temp_dir(&ur_id("noconf"));
    let out = Command::new(env!("CARGO_BIN_EXE_ywx"))
        .args(["check", "--json"])
        .env_remove("YWX_CONFIG")
        .current_dir(&dir)
        .output()
        .unwrap();
    let v = json_of(&out);
    assert_eq!(v["data"]["failedStep"], "config", "{v}");
    assert!(v.to_string().contains("找过"), "{v}");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn call_digest_and_the_outbox_from_the_command_line() {
    let dir = temp_dir(&ur_id("cli"));
    let port = closed_port();
    let mut config = config_for(&format!("http://127.0.0.1:{port}"));
    config["outbox"] = json!({"path": dir.join("outbox.db")});
    let path = write_config(&dir, "ywx", &config);
    let cfg = path.to_str().unwrap();
    let ur = ur_id("cli");
    let order = dir.join("order.json");
    std::fs::write(&order, hash_order(&ur, ywx_sim::SIGNING_DOCTOR).to_string()).unwrap();
    let at_order = format!("@{}", order.display());

    // The gateway is down: the push is stored, exit status 2.
    let out = ywx(&["--config", cfg, "call", "sign_data", &at_order, "--json"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert_eq!(json_of(&out)["data"]["urId"], ur);
    let out = ywx(&["--config", cfg, "outbox", "list", "--state", "queued"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(&ur) && text.contains("queued"), "{text}");

    // It comes back: flush delivers, the list shows the uniqueId.
    let sim = Sim::start_with(SimOptions {
        addr: Some(format!("127.0.0.1:{port}").parse().unwrap()),
        ..SimOptions::default()
    })
    .unwrap();
    let out = ywx(&["--config", cfg, "outbox", "flush"]);
    assert!(out.status.success(), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("送达 1"),
        "{out:?}"
    );
    let v = json_of(&ywx(&[
        "--config", cfg, "outbox", "list", "--ur-id", &ur, "--json",
    ]));
    let unique_id = v["data"]["items"][0]["response"]["data"]["uniqueId"]
        .as_str()
        .unwrap()
        .to_string();

    // Any method by name, the request inline.
    let request = json!({"body": {"uniqueId": unique_id}}).to_string();
    let out = ywx(&["--config", cfg, "call", "sign_status", &request, "--json"]);
    assert!(out.status.success(), "{out:?}");
    let order_state = json_of(&out)["data"]["status"].to_string();
    assert_eq!(order_state.trim_matches('"'), "0", "pushed, not yet signed");
    let out = ywx(&["--config", cfg, "call", "ywx_sign_status", "{\"body\":{}}"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("body.uniqueId"));
    drop(sim);

    // Digest needs no gateway: the same as openssl.
    let file = dir.join("recipe.txt");
    std::fs::write(&file, "阿莫西林胶囊 0.25g×24粒".repeat(1000)).unwrap();
    for alg in ["sm3", "sha256", "sha1"] {
        let out = ywx(&["digest", "--alg", alg, file.to_str().unwrap()]);
        assert!(out.status.success(), "{out:?}");
        let ours = String::from_utf8(out.stdout).unwrap();
        let openssl = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "openssl dgst -{alg} -binary '{}' | base64",
                file.display()
            ))
            .output()
            .unwrap();
        assert!(openssl.status.success(), "openssl: {openssl:?}");
        let theirs = String::from_utf8(openssl.stdout).unwrap();
        assert_eq!(ours.split_whitespace().next(), Some(theirs.trim()), "{alg}");
    }

    assert_eq!(ywx(&["frobnicate"]).status.code(), Some(64));
    assert_eq!(ywx(&["--frob"]).status.code(), Some(64));
    let out = ywx(&["version"]);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        format!("ywx {}", ywx::VERSION)
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn verify_prints_a_line_per_file_a_summary_and_fails_unless_all_verified() {
    let dir = temp_dir("cli-verify");
    std::fs::write(dir.join("content.txt"), "主诉：头痛。").unwrap();
    for command in [
        "genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out ca.key",
        "req -x509 -new -key ca.key -subj /CN=Verify_CA -days 30 -out ca.pem",
        "cms -sign -binary -nodetach -in content.txt -signer ca.pem -inkey ca.key -outform DER -out ok.p7",
        "cms -sign -binary -nodetach -in content.txt -signer ca.pem -inkey ca.key -outform PEM -out ok.pem",
    ] {
        openssl(&dir, &command.split(' ').collect::<Vec<_>>());
    }
    // A saved 5.1.2 reply holding the P7 as base64.
    let der = std::fs::read(dir.join("ok.p7")).unwrap();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(&der);
    std::fs::write(
        dir.join("reply.json"),
        json!({"status": "0", "data": {"signedData": b64}}).to_string(),
    )
    .unwrap();
    let mut broken = der.clone();
    broken.truncate(der.len() / 2);
    std::fs::write(dir.join("broken.p7"), &broken).unwrap();
    let p = |n: &str| dir.join(n).display().to_string();
    let ca = p("ca.pem");

    let out = ywx(&[
        "verify",
        "--ca",
        &ca,
        &p("ok.p7"),
        &p("ok.pem"),
        &p("reply.json"),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert_eq!(
        text.lines().filter(|l| l.starts_with('✓')).count(),
        3,
        "{text}"
    );
    assert!(text.contains("共 3 个文件：验签通过 3，未通过 0"), "{text}");

    // Without the CA, or with a broken file: exit 1, the failure named.
    let out = ywx(&["verify", &p("ok.p7")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("caCerts"));
    let out = ywx(&[
        "verify",
        "--json",
        "--ca",
        &ca,
        &p("ok.p7"),
        &p("broken.p7"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(lines[0]["data"]["verified"], true, "{lines:?}");
    assert_eq!(lines[1]["status"], "YWX-5001", "{lines:?}");
    assert!(lines[1]["file"].as_str().unwrap().ends_with("broken.p7"));
    assert_eq!(
        lines[2]["summary"],
        json!({"files": 2, "verified": 1, "failed": 1})
    );
    std::fs::remove_dir_all(dir).ok();
}
