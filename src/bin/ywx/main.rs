//! `ywx`: the command for on-site implementers (实施人员), built on the
//! library itself.
//!
//! ```text
//! ywx check                      诊断配置：配置文件 → DNS → TCP → TLS → 凭据
//! ywx call METHOD JSON|@FILE|-   调用任一方法，如 ywx call sign_status '{"body":{"uniqueId":"..."}}'
//! ywx digest [--alg sm3] FILE    计算文件摘要（SM3/SHA1/SHA256），base64
//! ywx outbox list [--ur-id X] [--state queued|delivered|failed]
//! ywx outbox flush [--ur-id X]
//! ywx verify [--ca PEM文件] 文件...  离线验签：P7（DER/PEM/base64）或保存的 5.1.2/4.3.5 应答
//! ywx version | --version
//! 通用选项：--config PATH（否则按 YWX_CONFIG → DLL 旁 → 程序旁 → 当前目录 找 ywx.json），
//!           --json（输出 JSON，供脚本使用）
//! ```
//! Exit status: 0 success, 1 failure, 2 a push stored in the outbox
//! (YWX-4001), 64 a usage error.

mod check;
mod console;
mod verify;

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use console::{err, out};
use serde_json::{Value, json};
use ywx::config;

const USAGE: &str = "用法 (usage):
  ywx check                          诊断配置：配置文件 → DNS → TCP → TLS → 凭据
  ywx call METHOD JSON|@文件|-        调用方法，例如 ywx call sign_status '{\"body\":{\"uniqueId\":\"...\"}}'
  ywx digest [--alg sm3|sha1|sha256] 文件
  ywx outbox list [--ur-id X] [--state queued|delivered|failed]
  ywx outbox flush [--ur-id X]
  ywx verify [--ca PEM文件] 文件...    离线验签：P7（DER/PEM/base64）或保存的 5.1.2/4.3.5 应答；全部通过才返回 0
  ywx version | ywx --version         版本号（与 ywx_version() 相同）
选项 (options):
  --config 路径   配置文件（默认：环境变量 YWX_CONFIG，或 ywx.json：DLL 旁、程序旁、当前目录）
  --json          输出 JSON（供脚本使用）
退出码：0 成功，1 失败，2 已存入离线缓存（YWX-4001），64 用法错误";

struct Args {
    words: Vec<String>,
    json: bool,
    config: Option<PathBuf>,
    options: Vec<(String, String)>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        words: Vec::new(),
        json: false,
        config: None,
        options: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--json" => args.json = true,
            "-h" | "--help" => args.words.insert(0, "help".into()),
            "-V" | "--version" => args.words.insert(0, "version".into()),
            "--config" | "--alg" | "--ur-id" | "--state" | "--ca" => {
                let v = it.next().ok_or(format!("{a} 后面需要一个值"))?;
                if a == "--config" {
                    args.config = Some(PathBuf::from(v));
                } else {
                    args.options
                        .push((a.trim_start_matches('-').to_string(), v));
                }
            }
            s if s.starts_with("--") => return Err(format!("不认识的选项 {s}")),
            _ => args.words.push(a),
        }
    }
    Ok(args)
}

impl Args {
    fn option(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => return usage_error(&e),
    };
    if let Some(path) = &args.config {
        if !path.is_file() {
            return usage_error(&format!("配置文件 {} 不存在", path.display()));
        }
        // SAFETY: set before any thread starts; the library reads it when
        // it loads its config.
        unsafe { std::env::set_var(config::CONFIG_ENV, path) };
    }
    // A short-lived command delivers the outbox only when told to (flush),
    // not from a background thread of its own.
    if let Ok((mut config, source)) = config::load_file() {
        config.outbox.background = false;
        ywx::api::init_config(config, source);
    }
    let words: Vec<&str> = args.words.iter().map(String::as_str).collect();
    let code = match words.as_slice() {
        ["check"] => check::run(args.json),
        ["call", method, request] => call(&args, method, request),
        ["digest", file] => digest(&args, file),
        ["outbox", "list"] => outbox_list(&args),
        ["outbox", "flush"] => outbox_flush(&args),
        ["verify", files @ ..] if !files.is_empty() => {
            verify::run(files, args.option("ca"), args.json)
        }
        ["version"] => {
            out!("ywx {}", ywx::VERSION);
            0
        }
        ["help"] | [] => {
            out!("{USAGE}");
            if words.is_empty() { 64 } else { 0 }
        }
        _ => return usage_error(&format!("不认识的命令：{}", words.join(" "))),
    };
    let _ = ywx::shutdown();
    ExitCode::from(code)
}

/// `ywx digest [--alg ...] FILE`.
fn digest(args: &Args, file: &str) -> u8 {
    let alg = args.option("alg").unwrap_or("SM3").to_ascii_uppercase();
    let request = json!({"originFile": file, "hashAlg": alg});
    run(args, "digest", &request, |v| {
        format!(
            "{}  {} ({})",
            v["data"]["hashValue"].as_str().unwrap_or(""),
            file,
            v["data"]["hashType"].as_str().unwrap_or("")
        )
    })
}

/// The `--ur-id` / `--state` filters as a request.
fn outbox_filter(args: &Args) -> Value {
    let mut request = json!({});
    if let Some(u) = args.option("ur-id") {
        request["urId"] = json!(u);
    }
    if let Some(s) = args.option("state") {
        request["state"] = json!(s);
    }
    request
}

/// `ywx outbox list`.
fn outbox_list(args: &Args) -> u8 {
    run(args, "outbox_list", &outbox_filter(args), |v| {
        outbox_table(&v["data"]["items"])
    })
}

/// `ywx outbox flush`.
fn outbox_flush(args: &Args) -> u8 {
    run(args, "outbox_flush", &outbox_filter(args), |v| {
        let d = &v["data"];
        format!(
            "送达 {}，失败 {}，仍在等待 {}。{}\n{}",
            d["delivered"],
            d["failed"],
            d["queued"],
            v["message"]
                .as_str()
                .filter(|m| *m != "success")
                .unwrap_or(""),
            outbox_table(&d["items"])
        )
    })
}

fn usage_error(why: &str) -> ExitCode {
    err!("ywx: {why}\n\n{USAGE}");
    ExitCode::from(64)
}

/// Exit status of an envelope.
fn exit_code(v: &Value) -> u8 {
    match v["status"].as_str() {
        Some("0") => 0,
        Some("YWX-4001") => 2,
        _ => 1,
    }
}

/// Calls a method; prints the envelope (`--json`) or `human` of it.
fn run(args: &Args, method: &str, request: &Value, human: impl Fn(&Value) -> String) -> u8 {
    let text = ywx::call(method, &request.to_string());
    let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    if args.json {
        out!("{text}");
    } else if v["status"] == "0" {
        out!("{}", human(&v));
    } else {
        err!("{}", failure(&v));
    }
    exit_code(&v)
}

fn failure(v: &Value) -> String {
    let mut s = format!(
        "失败 {}：{}",
        v["status"].as_str().unwrap_or("?"),
        v["message"].as_str().unwrap_or("")
    );
    if let Some(field) = v["error"]["field"].as_str() {
        s.push_str(&format!("（字段 {field}）"));
    }
    s
}

fn call(args: &Args, method: &str, request: &str) -> u8 {
    let text = match request {
        "-" => {
            let mut s = String::new();
            if let Err(e) = std::io::stdin().read_to_string(&mut s) {
                err!("ywx: 无法读取标准输入：{e}");
                return 64;
            }
            s
        }
        r if r.starts_with('@') => match std::fs::read(&r[1..]) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) => {
                err!("ywx: 无法读取 {}：{e}", &r[1..]);
                return 64;
            }
        },
        r => r.to_string(),
    };
    let answer = ywx::call(method, &text);
    let v: Value = serde_json::from_str(&answer).unwrap_or(Value::Null);
    if args.json {
        out!("{answer}");
    } else {
        out!(
            "{}",
            serde_json::to_string_pretty(&v).unwrap_or(answer.clone())
        );
        if v["status"] != "0" {
            err!("{}", failure(&v));
        }
    }
    exit_code(&v)
}

fn outbox_table(items: &Value) -> String {
    let items = items.as_array().cloned().unwrap_or_default();
    if items.is_empty() {
        return "（离线缓存为空）".into();
    }
    let mut out = String::from("urId\t状态\t次数\t存入时间\t送达时间\tuniqueId\t最后错误\n");
    for i in &items {
        let text = |k: &str| i[k].as_str().unwrap_or("-").to_string();
        out.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            text("urId"),
            text("state"),
            i["attempts"],
            text("queuedAt"),
            text("deliveredAt"),
            i["response"]["data"]["uniqueId"].as_str().unwrap_or("-"),
            text("lastError"),
        ));
    }
    out.push_str(&format!("共 {} 条", items.len()));
    out
}
