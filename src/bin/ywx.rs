//! `ywx`: the command for on-site implementers (实施人员), built on the
//! library itself.
//!
//! ```text
//! ywx check                      诊断配置：配置文件 → DNS → TCP → TLS → 凭据
//! ywx call METHOD JSON|@FILE|-   调用任一方法，如 ywx call sign_status '{"body":{"uniqueId":"..."}}'
//! ywx digest [--alg sm3] FILE    计算文件摘要（SM3/SHA1/SHA256），base64
//! ywx outbox list [--ur-id X] [--state queued|delivered|failed]
//! ywx outbox flush [--ur-id X]
//! ywx version
//! 通用选项：--config PATH（否则按 YWX_CONFIG → DLL 旁 → 程序旁 → 当前目录 找 ywx.json），
//!           --json（输出 JSON，供脚本使用）
//! ```
//! Exit status: 0 success, 1 failure, 2 a push stored in the outbox
//! (YWX-4001), 64 a usage error.

use std::io::Read;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use ywx::config::{self, Config};
use ywx::transport::{Method, Request, Transport};

const USAGE: &str = "用法 (usage):
  ywx check                          诊断配置：配置文件 → DNS → TCP → TLS → 凭据
  ywx call METHOD JSON|@文件|-        调用方法，例如 ywx call sign_status '{\"body\":{\"uniqueId\":\"...\"}}'
  ywx digest [--alg sm3|sha1|sha256] 文件
  ywx outbox list [--ur-id X] [--state queued|delivered|failed]
  ywx outbox flush [--ur-id X]
  ywx version
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
            "--config" | "--alg" | "--ur-id" | "--state" => {
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
        ["check"] => check(&args),
        ["call", method, request] => call(&args, method, request),
        ["digest", file] => {
            let alg = args.option("alg").unwrap_or("SM3").to_ascii_uppercase();
            let request = json!({"originFile": file, "hashAlg": alg});
            run(&args, "digest", &request, |v| {
                format!(
                    "{}  {} ({})",
                    v["data"]["hashValue"].as_str().unwrap_or(""),
                    file,
                    v["data"]["hashType"].as_str().unwrap_or("")
                )
            })
        }
        ["outbox", "list"] => {
            let mut request = json!({});
            if let Some(u) = args.option("ur-id") {
                request["urId"] = json!(u);
            }
            if let Some(s) = args.option("state") {
                request["state"] = json!(s);
            }
            run(&args, "outbox_list", &request, |v| {
                outbox_table(&v["data"]["items"])
            })
        }
        ["outbox", "flush"] => {
            let mut request = json!({});
            if let Some(u) = args.option("ur-id") {
                request["urId"] = json!(u);
            }
            run(&args, "outbox_flush", &request, |v| {
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
        ["version"] => {
            println!("ywx {}", ywx::VERSION);
            0
        }
        ["help"] | [] => {
            println!("{USAGE}");
            if words.is_empty() { 64 } else { 0 }
        }
        _ => return usage_error(&format!("不认识的命令：{}", words.join(" "))),
    };
    let _ = ywx::shutdown();
    ExitCode::from(code)
}

fn usage_error(why: &str) -> ExitCode {
    eprintln!("ywx: {why}\n\n{USAGE}");
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
        println!("{text}");
    } else if v["status"] == "0" {
        println!("{}", human(&v));
    } else {
        eprintln!("{}", failure(&v));
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
                eprintln!("ywx: 无法读取标准输入：{e}");
                return 64;
            }
            s
        }
        r if r.starts_with('@') => match std::fs::read(&r[1..]) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) => {
                eprintln!("ywx: 无法读取 {}：{e}", &r[1..]);
                return 64;
            }
        },
        r => r.to_string(),
    };
    let answer = ywx::call(method.trim_start_matches("ywx_"), &text);
    let v: Value = serde_json::from_str(&answer).unwrap_or(Value::Null);
    if args.json {
        println!("{answer}");
    } else {
        println!(
            "{}",
            serde_json::to_string_pretty(&v).unwrap_or(answer.clone())
        );
        if v["status"] != "0" {
            eprintln!("{}", failure(&v));
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

// ----- ywx check -----------------------------------------------------------

/// One diagnosed step.
struct Step {
    name: &'static str,
    ok: bool,
    detail: String,
    fix: Option<String>,
}

fn check(args: &Args) -> u8 {
    let mut steps = Vec::new();
    let started = Instant::now();
    let verdict = diagnose(&mut steps);
    if args.json {
        let steps: Vec<Value> = steps
            .iter()
            .map(|s| json!({"step": s.name, "ok": s.ok, "detail": s.detail, "fix": s.fix}))
            .collect();
        let failed = steps.iter().find(|s| s["ok"] == false);
        println!(
            "{}",
            json!({
                "status": if failed.is_none() { "0" } else { "1" },
                "message": verdict,
                "data": {"steps": steps, "failedStep": failed.map(|s| s["step"].clone())},
            })
        );
    } else {
        for (n, s) in steps.iter().enumerate() {
            println!(
                "[{}] {} {}：{}",
                n + 1,
                if s.ok { "✓" } else { "✗" },
                title(s.name),
                s.detail
            );
            if let Some(fix) = &s.fix {
                println!("    → 处理办法：{fix}");
            }
        }
        println!("{verdict}（用时 {} 毫秒）", started.elapsed().as_millis());
    }
    if steps.iter().all(|s| s.ok) { 0 } else { 1 }
}

fn title(step: &str) -> &'static str {
    match step {
        "config" => "配置文件",
        "dns" => "域名解析 DNS",
        "tcp" => "TCP 连接",
        "tls" => "HTTP/TLS",
        "credentials" => "凭据 clientId/clientSecret",
        _ => "离线缓存",
    }
}

/// Runs the steps in order, stopping at the first failure; returns the
/// one-line verdict.
fn diagnose(steps: &mut Vec<Step>) -> String {
    let mut step = |name, ok, detail: String, fix: Option<String>| {
        steps.push(Step {
            name,
            ok,
            detail,
            fix,
        });
        ok
    };
    // 1. The config.
    let (config, path) = match config::load_file() {
        Ok((c, config::Source::File(p))) => (c, p),
        Ok((c, config::Source::Json)) => (c, PathBuf::new()),
        Err(e) => {
            step(
                "config",
                false,
                e.message.clone(),
                Some("在 DLL 旁放置 ywx.json（至少包含 baseUrl、clientId、clientSecret），或用 --config / 环境变量 YWX_CONFIG 指定".into()),
            );
            return "结论：配置文件不可用".into();
        }
    };
    step(
        "config",
        true,
        format!(
            "{}：baseUrl={} clientId={} clientSecret={}",
            path.display(),
            config.base_url,
            config.client_id,
            config::mask(&config.client_secret)
        ),
        None,
    );
    let Some((host, port)) = host_port(&config) else {
        step(
            "dns",
            false,
            format!("baseUrl {} 中没有主机名", config.base_url),
            Some("baseUrl 写成 https://域名 或 http://IP:端口".into()),
        );
        return "结论：baseUrl 写错了".into();
    };
    if config.proxy.is_some() {
        step(
            "dns",
            true,
            "配置了代理 proxy，由代理解析域名，跳过 DNS 和 TCP 检查".into(),
            None,
        );
    } else {
        // 2. DNS.
        let addrs: Vec<_> = match (host.as_str(), port).to_socket_addrs() {
            Ok(a) => a.collect(),
            Err(e) => {
                step(
                    "dns",
                    false,
                    format!("域名 {host} 无法解析：{e}"),
                    Some(format!(
                        "检查 baseUrl 的拼写（{}）、本机 DNS 服务器设置，或在 hosts 文件中加入网关地址",
                        config.base_url
                    )),
                );
                return format!("结论：域名 {host} 解析失败");
            }
        };
        let list: Vec<String> = addrs.iter().map(|a| a.ip().to_string()).collect();
        step("dns", true, format!("{host} → {}", list.join(", ")), None);
        // 3. TCP.
        let timeout = Duration::from_millis(config.connect_timeout_ms);
        let mut last = None;
        let mut connected = None;
        for a in &addrs {
            match TcpStream::connect_timeout(a, timeout) {
                Ok(_) => {
                    connected = Some(*a);
                    break;
                }
                Err(e) => last = Some((*a, e)),
            }
        }
        match (connected, last) {
            (Some(a), _) => {
                step("tcp", true, format!("{a} 可以连接"), None);
            }
            (None, Some((a, e))) => {
                let (detail, fix) = if e.kind() == std::io::ErrorKind::ConnectionRefused {
                    (
                        format!("{a} 拒绝连接：该端口上没有服务在监听"),
                        "确认 baseUrl 的端口正确、网关服务已启动；医院内网网关请联系信息科",
                    )
                } else if e.kind() == std::io::ErrorKind::TimedOut {
                    (
                        format!("{a} 在 {} 毫秒内没有响应", config.connect_timeout_ms),
                        "检查防火墙、网闸或路由是否放行本机到网关的该端口",
                    )
                } else {
                    (format!("{a} 无法连接：{e}"), "检查网络连接和防火墙")
                };
                step("tcp", false, detail, Some(fix.into()));
                return format!("结论：无法连接 {host}:{port}");
            }
            (None, None) => {
                step("tcp", false, "没有可连接的地址".into(), None);
                return "结论：无法连接网关".into();
            }
        }
    }
    // 4. HTTP(S): an answer of any kind proves the TLS handshake.
    let transport = match Transport::new(&config) {
        Ok(t) => t,
        Err(e) => {
            step(
                "tls",
                false,
                e.message.clone(),
                Some("检查 tls 与 proxy 配置".into()),
            );
            return "结论：TLS/代理配置有误".into();
        }
    };
    let probe = transport.send(&Request {
        method: Method::Get,
        path: "/",
        query: &[],
        body: None,
        retry: false,
    });
    match probe {
        Err(e) if e.code.number == ywx::codes::TLS.number => {
            step(
                "tls",
                false,
                e.message.clone(),
                Some("网关使用医院自签证书时，在 tls.caFile 中指定其 CA 证书（PEM）；并检查本机日期时间".into()),
            );
            return "结论：TLS 证书校验失败".into();
        }
        Err(e)
            if e.code.number == ywx::codes::TIMEOUT.number
                || e.code.number == ywx::codes::NETWORK_UNREACHABLE.number =>
        {
            step(
                "tls",
                false,
                e.message.clone(),
                Some(
                    "端口能连通但 HTTP 不应答：确认 baseUrl 的协议（http/https）与端口匹配".into(),
                ),
            );
            return "结论：网关不应答 HTTP 请求".into();
        }
        _ => {
            let what = if config.base_url.starts_with("https") {
                "TLS 握手成功，证书可信"
            } else {
                "HTTP 可以访问（未加密的 http）"
            };
            step("tls", true, what.into(), None);
        }
    }
    // 5. Credentials: a harmless query carrying clientId and clientSecret.
    let now = chrono::Local::now();
    let request = json!({
        "head": {"clientId": config.client_id, "clientSecret": config.client_secret},
        "body": {
            "startDate": (now - chrono::Duration::minutes(1)).format("%Y-%m-%d %H:%M:%S").to_string(),
            "endDate": now.format("%Y-%m-%d %H:%M:%S").to_string(),
            "pageNum": 1,
            "pageSize": 1,
        },
    });
    let answer: Value =
        serde_json::from_str(&ywx::call("sign_list", &request.to_string())).unwrap_or(Value::Null);
    let status = answer["status"].as_str().unwrap_or("?").to_string();
    let message = answer["message"].as_str().unwrap_or("").to_string();
    if status == "0" {
        step(
            "credentials",
            true,
            format!(
                "网关接受 clientId {} 与 clientSecret（签名列表查询成功）",
                config.client_id
            ),
            None,
        );
    } else if status.starts_with("YWX-3") {
        step(
            "credentials",
            false,
            message,
            Some(
                "baseUrl 指向的服务不像医网信网关：确认只写到域名和端口，不要带 /gateway 路径"
                    .into(),
            ),
        );
        return "结论：baseUrl 指向的不是医网信网关".into();
    } else if status.starts_with("YWX-") {
        step("credentials", false, message, None);
        return "结论：查询失败".into();
    } else {
        step(
            "credentials",
            false,
            format!("网关拒绝了查询（status {status}）：{message}"),
            Some("核对 clientId 和 clientSecret：测试环境与正式环境各不相同，请向医网信索取本院的正式参数".into()),
        );
        return "结论：clientId / clientSecret 不被网关接受".into();
    }
    // 6. The outbox: where queued pushes wait.
    let outbox: Value = serde_json::from_str(&ywx::call("outbox_list", "{\"state\":\"queued\"}"))
        .unwrap_or(Value::Null);
    match outbox["status"].as_str() {
        Some("0") => {
            let n = outbox["data"]["items"].as_array().map_or(0, Vec::len);
            let detail = if config.outbox.enabled {
                format!("{}，等待推送 {n} 条", config.outbox.path.display())
            } else {
                "已关闭（outbox.enabled = false）：断网时签名推送直接报错".into()
            };
            step("outbox", true, detail, None);
        }
        _ => {
            step(
                "outbox",
                false,
                outbox["message"].as_str().unwrap_or("").into(),
                Some("把 outbox.path 设到当前用户可写的目录".into()),
            );
            return "结论：网关正常，但离线缓存文件不可用".into();
        }
    }
    "结论：配置正确，网关可用".into()
}

fn host_port(config: &Config) -> Option<(String, u16)> {
    let url = &config.base_url;
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split('/').next()?;
    let authority = authority.rsplit('@').next()?;
    let default = if scheme.eq_ignore_ascii_case("https") {
        443
    } else {
        80
    };
    if let Some(v6) = authority.strip_prefix('[') {
        let (host, rest) = v6.split_once(']')?;
        let port = rest
            .strip_prefix(':')
            .and_then(|p| p.parse().ok())
            .unwrap_or(default);
        return Some((host.to_string(), port));
    }
    match authority.rsplit_once(':') {
        Some((h, p)) => Some((h.to_string(), p.parse().ok()?)),
        None => Some((authority.to_string(), default)),
    }
    .filter(|(h, _)| !h.is_empty())
}
