//! `ywx check`: the setup diagnosed step by step — config, DNS, TCP,
//! HTTP/TLS, credentials, outbox — stopping at the first failure with what
//! to do about it, in Chinese.

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use ywx::config::{self, Config};

use crate::console::out;

/// One diagnosed step.
struct Step {
    name: &'static str,
    ok: bool,
    detail: String,
    fix: Option<String>,
}

/// The steps so far; each returns the verdict when it fails.
#[derive(Default)]
struct Report {
    steps: Vec<Step>,
    warnings: Vec<String>,
}

type Verdict = Result<(), String>;

impl Report {
    fn pass(&mut self, name: &'static str, detail: impl Into<String>) {
        self.steps.push(Step {
            name,
            ok: true,
            detail: detail.into(),
            fix: None,
        });
    }

    fn fail(
        &mut self,
        name: &'static str,
        detail: impl Into<String>,
        fix: Option<&str>,
        verdict: impl Into<String>,
    ) -> Verdict {
        self.steps.push(Step {
            name,
            ok: false,
            detail: detail.into(),
            fix: fix.map(str::to_string),
        });
        Err(verdict.into())
    }
}

/// Runs the check and prints it; the exit status is 0 only when every
/// step passed.
pub fn run(json_out: bool) -> u8 {
    let started = Instant::now();
    let mut report = Report::default();
    let verdict = match diagnose(&mut report) {
        Ok(()) if report.warnings.is_empty() => "结论：配置正确，网关可用".to_string(),
        Ok(()) => "结论：网关可用，但配置有需要注意的地方（见上方警告）".to_string(),
        Err(v) => v,
    };
    if json_out {
        print_json(&report, &verdict);
    } else {
        print_text(&report, &verdict, started.elapsed());
    }
    if report.steps.iter().all(|s| s.ok) {
        0
    } else {
        1
    }
}

fn print_json(report: &Report, verdict: &str) {
    let steps: Vec<Value> = report
        .steps
        .iter()
        .map(|s| json!({"step": s.name, "ok": s.ok, "detail": s.detail, "fix": s.fix}))
        .collect();
    let failed = steps.iter().find(|s| s["ok"] == false);
    out!(
        "{}",
        json!({
            "status": if failed.is_none() { "0" } else { "1" },
            "message": verdict,
            "data": {
                "steps": steps,
                "failedStep": failed.map(|s| s["step"].clone()),
                "warnings": report.warnings,
            },
        })
    );
}

fn print_text(report: &Report, verdict: &str, took: Duration) {
    for (n, s) in report.steps.iter().enumerate() {
        let mark = if s.ok { "✓" } else { "✗" };
        out!("[{}] {mark} {}：{}", n + 1, title(s.name), s.detail);
        if let Some(fix) = &s.fix {
            out!("    → 处理办法：{fix}");
        }
    }
    for w in &report.warnings {
        out!("⚠ 警告：{w}");
    }
    out!("{verdict}（用时 {} 毫秒）", took.as_millis());
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

/// The steps in order; the first failure ends the check.
fn diagnose(report: &mut Report) -> Verdict {
    let config = config_step(report)?;
    if config.proxy.is_some() {
        report.pass(
            "dns",
            "配置了代理 proxy，由代理解析域名，跳过 DNS 和 TCP 检查",
        );
    } else {
        let (host, port) = host_port(&config).ok_or_else(|| {
            format!(
                "结论：baseUrl {} 中没有主机名",
                config::mask_url_password(&config.base_url)
            )
        })?;
        let addrs = dns_step(report, &config, &host, port)?;
        tcp_step(report, &config, &addrs, &host, port)?;
    }
    http_step(report, &config)?;
    credentials_step(report, &config)?;
    outbox_step(report, &config)
}

fn config_step(report: &mut Report) -> Result<Config, String> {
    let (config, path) = match config::load_file() {
        Ok((c, config::ConfigSource::File(p))) => (c, p),
        Ok((c, config::ConfigSource::Json)) => (c, PathBuf::new()),
        Err(e) => {
            return Err(report
                .fail(
                    "config",
                    e.message,
                    Some("在 DLL 旁放置 ywx.json（至少包含 baseUrl、clientId、clientSecret），或用 --config / 环境变量 YWX_CONFIG 指定"),
                    "结论：配置文件不可用",
                )
                .unwrap_err());
        }
    };
    report.pass(
        "config",
        format!(
            "{}：baseUrl={} clientId={} clientSecret={}",
            path.display(),
            config::mask_url_password(&config.base_url),
            config.client_id,
            config::mask(&config.client_secret)
        ),
    );
    report.warnings.extend(config.warnings());
    Ok(config)
}

fn dns_step(
    report: &mut Report,
    config: &Config,
    host: &str,
    port: u16,
) -> Result<Vec<SocketAddr>, String> {
    match (host, port).to_socket_addrs() {
        Ok(a) => {
            let addrs: Vec<SocketAddr> = a.collect();
            let list: Vec<String> = addrs.iter().map(|a| a.ip().to_string()).collect();
            report.pass("dns", format!("{host} → {}", list.join(", ")));
            Ok(addrs)
        }
        Err(e) => {
            let fix = format!(
                "检查 baseUrl 的拼写（{}）、本机 DNS 服务器设置，或在 hosts 文件中加入网关地址",
                config::mask_url_password(&config.base_url)
            );
            Err(report
                .fail(
                    "dns",
                    format!("域名 {host} 无法解析：{e}"),
                    Some(&fix),
                    format!("结论：域名 {host} 解析失败"),
                )
                .unwrap_err())
        }
    }
}

fn tcp_step(
    report: &mut Report,
    config: &Config,
    addrs: &[SocketAddr],
    host: &str,
    port: u16,
) -> Verdict {
    let timeout = Duration::from_millis(config.connect_timeout_ms);
    let mut last = None;
    for a in addrs {
        match TcpStream::connect_timeout(a, timeout) {
            Ok(_) => {
                report.pass("tcp", format!("{a} 可以连接"));
                return Ok(());
            }
            Err(e) => last = Some((*a, e)),
        }
    }
    let verdict = format!("结论：无法连接 {host}:{port}");
    let Some((a, e)) = last else {
        return report.fail("tcp", "没有可连接的地址", None, verdict);
    };
    let (detail, fix) = match e.kind() {
        std::io::ErrorKind::ConnectionRefused => (
            format!("{a} 拒绝连接：该端口上没有服务在监听"),
            "确认 baseUrl 的端口正确、网关服务已启动；医院内网网关请联系信息科",
        ),
        std::io::ErrorKind::TimedOut => (
            format!("{a} 在 {} 毫秒内没有响应", config.connect_timeout_ms),
            "检查防火墙、网闸或路由是否放行本机到网关的该端口",
        ),
        _ => (format!("{a} 无法连接：{e}"), "检查网络连接和防火墙"),
    };
    report.fail("tcp", detail, Some(fix), verdict)
}

/// HTTP(S): an answer of any kind proves the TLS handshake.
fn http_step(report: &mut Report, config: &Config) -> Verdict {
    let Err(e) = ywx::api::probe(config) else {
        let what = if config.base_url.to_ascii_lowercase().starts_with("https") {
            "TLS 握手成功，证书可信"
        } else {
            "HTTP 可以访问（未加密的 http）"
        };
        report.pass("tls", what);
        return Ok(());
    };
    let n = e.code.number;
    if n == ywx::codes::TLS.number {
        report.fail(
            "tls",
            e.message,
            Some("网关使用医院自签证书时，在 tls.caFile 中指定其 CA 证书（PEM）；并检查本机日期时间；也确认 baseUrl 的 https/http 与端口匹配"),
            "结论：TLS 握手失败",
        )
    } else if n == ywx::codes::NOT_CONFIGURED.number {
        report.fail(
            "tls",
            e.message,
            Some("检查 tls 与 proxy 配置"),
            "结论：TLS/代理配置有误",
        )
    } else {
        report.fail(
            "tls",
            e.message,
            Some("端口能连通但 HTTP 不应答：确认 baseUrl 的协议（http/https）与端口匹配"),
            "结论：网关不应答 HTTP 请求",
        )
    }
}

/// A query carrying the clientSecret that changes nothing: the result of
/// an order that cannot exist (5.1.2), asked with the configured secret
/// and with one that is certainly wrong. A gateway that checks the secret
/// answers the two differently; the same answer means it refused both.
fn credentials_step(report: &mut Report, config: &Config) -> Verdict {
    let unique_id = format!("ywxcheck{}", chrono::Local::now().format("%Y%m%d%H%M%S"));
    let ask = |secret: &str| -> Value {
        let request = json!({
            "head": {"clientId": config.client_id, "clientSecret": secret},
            "body": {"uniqueId": unique_id},
        });
        serde_json::from_str(&ywx::call("sign_result", &request.to_string())).unwrap_or(Value::Null)
    };
    let mine = ask(&config.client_secret);
    let wrong = ask("ywx-check-certainly-wrong-secret");
    let status = shown(&mine["status"]);
    let message = mine["message"].as_str().unwrap_or("").to_string();
    if status.starts_with("YWX-3") {
        return report.fail(
            "credentials",
            message,
            Some("baseUrl 指向的服务不像医网信网关：确认只写到域名和端口，不要带 /gateway 路径"),
            "结论：baseUrl 指向的不是医网信网关",
        );
    }
    if status.starts_with("YWX-") {
        return report.fail("credentials", message, None, "结论：查询失败");
    }
    if status != "0" && (&mine["status"], &mine["message"]) == (&wrong["status"], &wrong["message"])
    {
        return report.fail(
            "credentials",
            format!(
                "网关对配置的 clientSecret 和一个故意写错的 clientSecret 给出同样的拒绝（status {status}：{message}），说明 clientId {} 的 clientSecret 不被接受",
                config.client_id
            ),
            Some("核对 clientSecret（以及 clientId）：测试环境与正式环境各不相同，请向医网信索取本院的正式参数"),
            "结论：clientSecret 不被网关接受",
        );
    }
    report.pass(
        "credentials",
        format!(
            "网关接受 clientId {} 与 clientSecret（查询一个不存在的订单得到 status {status}：{message}；错误的 secret 得到 status {}）",
            config.client_id,
            shown(&wrong["status"])
        ),
    );
    Ok(())
}

/// A status of any JSON type, as it is.
fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "（无）".into(),
        other => other.to_string(),
    }
}

/// Where queued pushes wait.
fn outbox_step(report: &mut Report, config: &Config) -> Verdict {
    let outbox: Value = serde_json::from_str(&ywx::call("outbox_list", "{\"state\":\"queued\"}"))
        .unwrap_or(Value::Null);
    if outbox["status"] != "0" {
        return report.fail(
            "outbox",
            outbox["message"].as_str().unwrap_or(""),
            Some("把 outbox.path 设到当前用户可写的目录；损坏的文件请改名保存后交给维护者"),
            "结论：网关正常，但离线缓存文件不可用",
        );
    }
    let n = outbox["data"]["items"].as_array().map_or(0, Vec::len);
    let detail = if config.outbox.enabled {
        format!("{}，等待推送 {n} 条", config.outbox.path.display())
    } else {
        "已关闭（outbox.enabled = false）：断网时签名推送直接报错".into()
    };
    report.pass("outbox", detail);
    Ok(())
}

fn host_port(config: &Config) -> Option<(String, u16)> {
    let uri: ywx::api::Uri = config.base_url.parse().ok()?;
    let https = uri
        .scheme_str()
        .is_some_and(|s| s.eq_ignore_ascii_case("https"));
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    let host = uri.host()?.trim_start_matches('[').trim_end_matches(']');
    (!host.is_empty()).then(|| (host.to_string(), port))
}
