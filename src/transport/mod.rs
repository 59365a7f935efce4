//! HTTP to the gateway: one shared keep-alive agent, timeouts, proxy, TLS,
//! retries of idempotent calls. Knows nothing of endpoints: it sends a
//! method, a path and a body, and returns the gateway's JSON text or a
//! transport error from the code table.

mod errors;
mod resolver;

use std::sync::Arc;
use std::time::Duration;

use ureq::Agent;
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};
use ureq::unversioned::transport::DefaultConnector;

use crate::codes;
use crate::config::Config;
use crate::error::{Error, Result};
use errors::{Failure, http_hint};
use resolver::CachingResolver;

/// Largest CA file read (a PEM bundle of every public root is ~250 KB).
const MAX_CA_FILE_BYTES: u64 = 1024 * 1024;

/// Largest gateway reply read (a signed 2 MiB PDF in base64 is ~3 MiB).
const MAX_REPLY_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Http {
    Get,
    Post,
}

pub struct Request<'a> {
    pub method: Http,
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

impl Reply {
    /// An answer made by the library itself.
    pub fn local(json: serde_json::Value) -> Reply {
        Reply {
            text: json.to_string(),
            json,
        }
    }
}

pub struct Transport {
    agent: Agent,
    base_url: String,
    /// `base_url` as messages show it: a password in it masked.
    shown_base: String,
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
                let shown = crate::config::mask_url_password(proxy);
                Error::not_configured(format!("配置项 proxy \"{shown}\" 不是合法的代理地址：{e}"))
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
            shown_base: crate::config::mask_url_password(&config.base_url),
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

    /// One GET of `path`, any HTTP answer being a success.
    pub fn probe(&self, path: &str) -> Result<()> {
        let url = format!("{}{}", self.base_url, path);
        let shown = format!("{}{}", self.shown_base, path);
        let mut response = self
            .agent
            .get(&url)
            .call()
            .map_err(|e| errors::map_error(e, &self.shown_base, &shown, self.timeout_ms).0)?;
        let _ = response
            .body_mut()
            .with_config()
            .limit(64 * 1024)
            .read_to_vec();
        Ok(())
    }

    /// One exchange. The error's flag says whether it is worth retrying.
    fn send_once(&self, req: &Request) -> std::result::Result<Reply, Failure> {
        let url = format!("{}{}", self.base_url, req.path);
        // What messages show: a password in baseUrl masked.
        let shown = format!("{}{}", self.shown_base, req.path);
        let result = match req.method {
            Http::Get => self
                .agent
                .get(&url)
                .query_pairs(req.query.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                .call(),
            Http::Post => self
                .agent
                .post(&url)
                .header("Content-Type", "application/json;charset=UTF-8")
                .send(req.body.unwrap_or("{}")),
        };
        let mut response =
            result.map_err(|e| errors::map_error(e, &self.shown_base, &shown, self.timeout_ms))?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_REPLY_BYTES)
            .read_to_vec()
            .map_err(|e| errors::map_error(e, &self.shown_base, &shown, self.timeout_ms))?;
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
                        "网关 {shown} 返回了 HTTP {status}，但内容不是网关的 JSON 应答（开头是：{snippet}）。请确认 baseUrl 指向的是医网信网关，而不是其他网站或代理页面"
                    ),
                ),
                false,
            ))
        } else {
            Err((
                Error::new(
                    &codes::GATEWAY_HTTP,
                    format!(
                        "网关 {shown} 返回 HTTP {status}（内容开头：{snippet}）。{}",
                        http_hint(status)
                    ),
                )
                .with_data(serde_json::json!({ "httpStatus": status })),
                matches!(status, 502..=504),
            ))
        }
    }
}

fn tls_config(config: &Config) -> Result<TlsConfig> {
    let tls = &config.tls;
    let mut builder = TlsConfig::builder();
    if tls.insecure {
        builder = builder.disable_verification(true);
    }
    if let Some(path) = &tls.ca_file {
        let pem = crate::readfile::read_limited(path, MAX_CA_FILE_BYTES).map_err(|why| {
            let why = why.unwrap_or_else(|| "超过 1 MiB，不像 PEM 证书文件".into());
            Error::not_configured(format!("tls.caFile {} {why}", path.display()))
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
