//! HTTP to the gateway: one shared keep-alive agent, timeouts, proxy, TLS,
//! retries of idempotent calls. Knows nothing of endpoints: it sends a
//! method, a path and a body, and returns the gateway's JSON text or a
//! transport error from the code table.

use std::collections::HashMap;
use std::io::ErrorKind;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ureq::Agent;
use ureq::config::Config as AgentConfig;
use ureq::http::Uri;
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

use crate::codes;
use crate::config::Config;
use crate::error::{Error, Result};

/// Largest gateway reply read (a signed 2 MiB PDF in base64 is ~3 MiB).
const MAX_REPLY_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

pub struct Request<'a> {
    pub method: Method,
    pub path: &'a str,
    pub query: &'a [(String, String)],
    pub body: Option<&'a str>,
    /// Whether sending it twice is harmless, so transient failures are retried.
    pub retry: bool,
}

/// The gateway's answer: its text, passed on unchanged, and the same parsed.
pub struct Reply {
    pub text: String,
    pub json: serde_json::Value,
}

pub struct Transport {
    agent: Agent,
    base_url: String,
    timeout_ms: u64,
    attempts: u32,
    backoff_ms: u64,
}

impl Transport {
    pub fn new(config: &Config) -> Result<Transport> {
        let connect = Duration::from_millis(config.connect_timeout_ms);
        let phase = Duration::from_millis(config.timeout_ms);
        let mut builder = Agent::config_builder()
            .http_status_as_error(false)
            // Per phase, not `timeout_global`, which implies a resolve
            // timeout: see `CachingResolver`.
            .timeout_resolve(Some(connect))
            .timeout_connect(Some(connect))
            .timeout_send_request(Some(phase))
            .timeout_send_body(Some(phase))
            .timeout_recv_response(Some(phase))
            .timeout_recv_body(Some(phase))
            .max_idle_connections(64)
            .max_idle_connections_per_host(64)
            .max_redirects(0)
            .user_agent(concat!("ywx/", env!("CARGO_PKG_VERSION")))
            .tls_config(tls_config(config)?);
        if let Some(proxy) = config.proxy.as_deref().filter(|p| !p.trim().is_empty()) {
            let proxy = ureq::Proxy::new(proxy).map_err(|e| {
                Error::not_configured(format!("proxy \"{proxy}\" 不是合法的代理地址：{e}"))
            })?;
            builder = builder.proxy(Some(proxy));
        }
        let agent = Agent::with_parts(
            builder.build(),
            DefaultConnector::new(),
            CachingResolver::default(),
        );
        Ok(Transport {
            agent,
            base_url: config.base_url.clone(),
            timeout_ms: config.timeout_ms,
            attempts: config.retry.attempts.max(1),
            backoff_ms: config.retry.backoff_ms,
        })
    }

    /// Sends the request; retries transient failures when `req.retry`.
    /// Returns the gateway's JSON text unchanged, and parsed.
    pub fn send(&self, req: &Request) -> Result<Reply> {
        let attempts = if req.retry { self.attempts } else { 1 };
        let mut attempt = 1;
        loop {
            match self.send_once(req) {
                Err((_, true)) if attempt < attempts => {
                    std::thread::sleep(backoff(self.backoff_ms, attempt));
                    attempt += 1;
                }
                Err((e, _)) => return Err(e),
                Ok(text) => return Ok(text),
            }
        }
    }

    /// One exchange. The error's flag says whether it is worth retrying.
    fn send_once(&self, req: &Request) -> std::result::Result<Reply, (Error, bool)> {
        let url = format!("{}{}", self.base_url, req.path);
        let result = match req.method {
            Method::Get => self
                .agent
                .get(&url)
                .query_pairs(req.query.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                .call(),
            Method::Post => self
                .agent
                .post(&url)
                .header("Content-Type", "application/json;charset=UTF-8")
                .send(req.body.unwrap_or("{}")),
        };
        let mut response = result.map_err(|e| self.map_error(e, &url))?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_REPLY_BYTES)
            .read_to_vec()
            .map_err(|e| self.map_error(e, &url))?;
        let text = String::from_utf8_lossy(&body).into_owned();
        if let Some(json) = gateway_json(&text) {
            return Ok(Reply { text, json });
        }
        let snippet = snippet(&text);
        if (200..300).contains(&status) {
            Err((
                Error::new(
                    &codes::GATEWAY_BAD_REPLY,
                    format!(
                        "网关 {url} 返回了 HTTP {status}，但内容不是网关的 JSON 应答（开头是：{snippet}）。请确认 baseUrl 指向的是医网信网关，而不是其他网站或代理页面"
                    ),
                ),
                false,
            ))
        } else {
            Err((
                Error::new(
                    &codes::GATEWAY_HTTP,
                    format!(
                        "网关 {url} 返回 HTTP {status}（内容开头：{snippet}）。{}",
                        http_hint(status)
                    ),
                )
                .with_data(serde_json::json!({ "httpStatus": status })),
                matches!(status, 502..=504),
            ))
        }
    }

    fn map_error(&self, e: ureq::Error, url: &str) -> (Error, bool) {
        let host = &self.base_url;
        match e {
            ureq::Error::Timeout(_) => (timeout(url, self.timeout_ms), true),
            ureq::Error::HostNotFound => (dns_error(host), true),
            ureq::Error::Tls(_) | ureq::Error::Pem(_) | ureq::Error::Rustls(_) => {
                (tls_error(host, &e.to_string()), false)
            }
            ureq::Error::Io(io) => {
                let text = io.to_string();
                match io.kind() {
                    ErrorKind::TimedOut | ErrorKind::WouldBlock => {
                        (timeout(url, self.timeout_ms), true)
                    }
                    _ if looks_like_tls(&text) => (tls_error(host, &text), false),
                    _ if looks_like_dns(&text) => (dns_error(host), true),
                    ErrorKind::ConnectionRefused => (
                        Error::new(
                            &codes::NETWORK_UNREACHABLE,
                            format!(
                                "连接网关 {host} 被拒绝：该地址和端口上没有服务在监听。请检查 baseUrl 的端口、网关服务是否启动、防火墙"
                            ),
                        ),
                        true,
                    ),
                    _ => (
                        Error::new(
                            &codes::NETWORK_UNREACHABLE,
                            format!("与网关 {host} 的连接失败：{text}。请检查网络和 baseUrl"),
                        ),
                        true,
                    ),
                }
            }
            ureq::Error::ConnectionFailed => (
                Error::new(
                    &codes::NETWORK_UNREACHABLE,
                    format!("无法连接网关 {host}。请检查网络、baseUrl 和代理设置"),
                ),
                true,
            ),
            other => {
                let text = other.to_string();
                if looks_like_tls(&text) {
                    (tls_error(host, &text), false)
                } else {
                    (
                        Error::new(
                            &codes::NETWORK_UNREACHABLE,
                            format!("与网关 {host} 通信失败：{text}"),
                        ),
                        true,
                    )
                }
            }
        }
    }
}

/// How long a resolved gateway address is reused.
const DNS_TTL: Duration = Duration::from_secs(60);

/// ureq resolves the host before every request, even one that reuses a
/// pooled connection, and with a resolve timeout it does so on a new thread
/// each time (several times slower, p99 4 ms on loopback: benches/ywx).
/// This resolver asks the system once a minute per host (with the connect
/// timeout) and answers from memory in between.
#[derive(Debug, Default)]
struct CachingResolver {
    inner: DefaultResolver,
    cache: Mutex<HashMap<String, (Instant, ResolvedSocketAddrs)>>,
}

impl Resolver for CachingResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &AgentConfig,
        timeout: NextTimeout,
    ) -> std::result::Result<ResolvedSocketAddrs, ureq::Error> {
        let key = match (uri.scheme(), uri.authority()) {
            (Some(scheme), Some(authority)) => DefaultResolver::host_and_port(scheme, authority),
            _ => None,
        };
        let Some(key) = key else {
            return self.inner.resolve(uri, config, timeout);
        };
        let cached = self
            .cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .cloned();
        if let Some((at, addrs)) = cached
            && at.elapsed() < DNS_TTL
        {
            return Ok(addrs);
        }
        let addrs = self.inner.resolve(uri, config, timeout)?;
        self.cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, (Instant::now(), addrs.clone()));
        Ok(addrs)
    }
}

fn tls_config(config: &Config) -> Result<TlsConfig> {
    let tls = &config.tls;
    let mut builder = TlsConfig::builder();
    if tls.insecure {
        builder = builder.disable_verification(true);
    }
    if let Some(path) = &tls.ca_file {
        let pem = std::fs::read(path).map_err(|e| {
            Error::not_configured(format!("tls.caFile {} 无法读取：{e}", path.display()))
        })?;
        let certs: Vec<Certificate<'static>> = ureq::tls::parse_pem(&pem)
            .filter_map(|item| match item {
                Ok(PemItem::Certificate(c)) => Some(c),
                _ => None,
            })
            .collect();
        if certs.is_empty() {
            return Err(Error::not_configured(format!(
                "tls.caFile {} 中没有 PEM 格式的证书",
                path.display()
            )));
        }
        builder = builder.root_certs(RootCerts::Specific(Arc::new(certs)));
    } else if tls.system_store {
        builder = builder.root_certs(RootCerts::PlatformVerifier);
    } else {
        builder = builder.root_certs(RootCerts::WebPki);
    }
    Ok(builder.build())
}

fn timeout(url: &str, ms: u64) -> Error {
    Error::new(
        &codes::TIMEOUT,
        format!(
            "网关 {url} 在 {ms} 毫秒内没有应答（配置项 timeoutMs / connectTimeoutMs）。请检查网络是否通畅、网关是否过载"
        ),
    )
}

fn tls_error(host: &str, detail: &str) -> Error {
    Error::new(
        &codes::TLS,
        format!(
            "与网关 {host} 的 TLS 握手失败：{detail}。若网关使用医院自签证书，请在配置 tls.caFile 中指定其 CA 证书（PEM）；也请检查本机时间是否正确"
        ),
    )
}

fn dns_error(host: &str) -> Error {
    Error::new(
        &codes::NETWORK_UNREACHABLE,
        format!(
            "无法解析网关域名 {host}（DNS 失败）。请检查 baseUrl 的拼写、本机 DNS 设置或 hosts 文件"
        ),
    )
}

/// getaddrinfo's words on Linux and Windows for a name that does not resolve.
fn looks_like_dns(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    t.contains("lookup address")
        || t.contains("name or service not known")
        || t.contains("no such host")
}

fn looks_like_tls(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    t.contains("certificate") || t.contains("tls") || t.contains("handshake")
}

fn http_hint(status: u16) -> &'static str {
    match status {
        404 => "请确认 baseUrl 只写到域名（和端口），不要带 /gateway 等路径",
        401 | 403 => "网关拒绝访问，请检查 clientId / clientSecret 与网关的访问控制",
        502..=504 => "网关或中间的代理暂时不可用，请稍后重试或联系网关运维",
        _ => "请联系网关运维人员",
    }
}

/// The text parsed, if it is a JSON object carrying the gateway's `status`.
fn gateway_json(text: &str) -> Option<serde_json::Value> {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .filter(|v| v.get("status").is_some())
}

fn snippet(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut s: String = flat.chars().take(120).collect();
    if flat.chars().count() > 120 {
        s.push('…');
    }
    if s.is_empty() { "（空）".into() } else { s }
}

/// Exponential backoff with jitter: base·2^(n-1) plus up to half of it.
fn backoff(base_ms: u64, attempt: u32) -> Duration {
    let exp = base_ms.saturating_mul(1 << (attempt - 1).min(10));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(0);
    let jitter = if exp > 1 { nanos % (exp / 2 + 1) } else { 0 };
    Duration::from_millis(exp + jitter)
}
