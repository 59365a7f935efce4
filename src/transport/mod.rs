//! HTTP to the gateway: keep-alive agents (a pool per calling thread,
//! `agents.rs`), timeouts, proxy, TLS, retries of idempotent calls. Knows
//! nothing of endpoints: it sends a method, a path and a body, and returns the gateway's answer or a
//! failure from the code table (`errors.rs` for what went wrong on the way,
//! `reply.rs` for what counts as the gateway's answer).

mod agents;
mod errors;
mod peek;
mod record;
mod reply;
mod resolver;

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};
use ureq::unversioned::transport::{Connector, DefaultConnector};
use ureq::{Agent, SendBody};

use crate::attach::Document;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::value::as_text;
use agents::{AGENTS, SharedConnector, slot};
pub use record::{BeforeSend, Hook};
use record::{Recorder, Sent};
use reply::Answer;
use resolver::CachingResolver;

/// Largest CA file read (a PEM bundle of every public root is ~250 KB).
const MAX_CA_FILE_BYTES: u64 = 1024 * 1024;

/// The Content-Type of every request with a body.
const JSON: &str = "application/json;charset=UTF-8";

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

/// The gateway's answer: its text, passed on unchanged (but for `status`
/// made a string), its `status`, and the same parsed when asked for (most
/// callers only pass the text on: it is not parsed whole for them).
#[derive(Debug)]
pub struct Reply {
    pub text: String,
    /// `status`, as a string.
    pub status: String,
    /// `data.uniqueId`, as text, when the answer has one.
    pub unique_id: Option<String>,
    json: std::cell::OnceCell<serde_json::Value>,
}

impl Reply {
    /// An answer made by the library itself.
    pub fn local(json: serde_json::Value) -> Reply {
        let status = json.get("status").and_then(as_text).unwrap_or_default();
        let unique_id = json.pointer("/data/uniqueId").and_then(as_text);
        Reply {
            text: json.to_string(),
            status,
            unique_id,
            json: json.into(),
        }
    }

    /// An answer the library wrote itself as text, with its `status`.
    pub fn made(text: String, status: &str) -> Reply {
        Reply {
            text,
            status: status.to_string(),
            unique_id: None,
            json: Default::default(),
        }
    }

    /// A stored answer (of the outbox): None when it is not a JSON object.
    pub fn stored(text: String) -> Option<Reply> {
        let json: serde_json::Value = serde_json::from_str(&text).ok()?;
        let mut reply = Reply::local(json);
        reply.text = text;
        Some(reply)
    }

    /// The answer parsed (on first use).
    pub fn json(&self) -> &serde_json::Value {
        self.json
            .get_or_init(|| serde_json::from_str(&self.text).unwrap_or_default())
    }

    /// The answer parsed, to change it (then `text` is made anew from it).
    pub fn json_mut(&mut self) -> &mut serde_json::Value {
        self.json();
        self.json.get_mut().expect("parsed above")
    }

    pub fn into_json(mut self) -> serde_json::Value {
        self.json();
        self.json.take().unwrap_or_default()
    }

    /// Whether the gateway said "0" (success).
    pub fn is_ok(&self) -> bool {
        self.status == "0"
    }

    /// `message`, as text ("" when absent).
    pub fn message(&self) -> String {
        self.json()
            .get("message")
            .and_then(as_text)
            .unwrap_or_default()
    }
}

/// Whether a failed request may have reached the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reached {
    /// Certainly not: nothing was sent (DNS, refused, TLS handshake), or
    /// the connection closed before the whole request was written.
    No,
    /// Perhaps: it was written and the answer was lost, or the gateway (or
    /// a proxy before it) answered with something that is not its answer.
    Maybe,
}

/// A failed exchange: the error, whether trying again soon may help, and
/// whether the request may have been received.
#[derive(Debug)]
pub struct Failure {
    pub error: Error,
    pub transient: bool,
    pub reached: Reached,
}

impl Failure {
    /// A server answered (with something that is not the gateway's answer).
    fn answered(error: Error, transient: bool) -> Failure {
        Failure {
            error,
            transient,
            reached: Reached::Maybe,
        }
    }
}

pub struct Transport {
    /// [`AGENTS`] agents alike but for their pools (and DNS caches).
    agents: Box<[Agent]>,
    base_url: String,
    /// What messages show of the gateway and the proxy: passwords masked.
    shown: errors::Shown,
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
            // A 2 MiB PDF's body goes out in a few large writes rather
            // than twenty 128 KiB ones, each waking the gateway's reader.
            // Only what is written is touched: small requests cost no more.
            .output_buffer_size(512 * 1024)
            .max_idle_connections(64)
            .max_idle_connections_per_host(64)
            .max_redirects(0)
            .user_agent(concat!("ywx/", env!("CARGO_PKG_VERSION")))
            .tls_config(tls_config(config)?);
        let proxy = config.proxy.as_deref().filter(|p| !p.trim().is_empty());
        if let Some(proxy) = proxy {
            let parsed = ureq::Proxy::new(proxy).map_err(|e| {
                let shown = crate::config::mask_url_password(proxy);
                Error::not_configured(format!("配置项 proxy \"{shown}\" 不是合法的代理地址：{e}"))
            })?;
            builder = builder.proxy(Some(parsed));
        }
        let agent_config = builder.build();
        // One connector for all: one TLS client config, whose session
        // cache every agent then resumes from.
        let connector = SharedConnector(Arc::new(DefaultConnector::new().chain(Recorder)));
        let agents = (0..AGENTS)
            .map(|_| {
                Agent::with_parts(
                    agent_config.clone(),
                    connector.clone(),
                    CachingResolver::default(),
                )
            })
            .collect();
        Ok(Transport {
            agents,
            base_url: config.base_url.clone(),
            shown: errors::Shown::new(&config.base_url, proxy),
            timeout_ms: config.timeout_ms,
            attempts: config.retry.attempts.max(1),
            backoff_ms: config.retry.backoff_ms,
        })
    }

    /// Sends the request; retries transient failures when `req.retry`.
    pub fn send(&self, req: &Request) -> Result<Reply> {
        let attempts = if req.retry { self.attempts } else { 1 };
        let mut attempt = 1;
        loop {
            match self.exchange(req) {
                Err(f) if f.transient && attempt < attempts => {
                    std::thread::sleep(backoff(self.backoff_ms, attempt));
                    attempt += 1;
                }
                Err(f) => return Err(f.error),
                Ok(reply) => return Ok(reply),
            }
        }
    }

    /// One exchange, never retried, with everything known of a failure.
    pub fn exchange(&self, req: &Request) -> std::result::Result<Reply, Failure> {
        let url = self.url(req.path);
        let sent = Sent::start();
        let result = match req.method {
            Http::Get => self
                .agent()
                .get(&url)
                .query_pairs(req.query.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                .call(),
            Http::Post => self
                .agent()
                .post(&url)
                .header("Content-Type", JSON)
                .send(req.body.unwrap_or("{}")),
        };
        let total = req.body.map_or(0, str::len) as u64;
        self.answer(result, req.path, sent, total)
    }

    /// One POST of a request with documents, streamed (never retried).
    pub fn post_document(
        &self,
        path: &str,
        doc: &mut Document,
    ) -> std::result::Result<Reply, Failure> {
        let url = self.url(path);
        let total = doc.len();
        let not_sent = |error| Failure {
            error,
            transient: false,
            reached: Reached::No,
        };
        let mut body = doc.reader().map_err(not_sent)?;
        let sent = Sent::start();
        let result = self
            .agent()
            .post(&url)
            .header("Content-Type", JSON)
            .header("Content-Length", total.to_string())
            .send(SendBody::from_reader(&mut body));
        if let Some(e) = body.failed.take() {
            return Err(not_sent(e));
        }
        self.answer(result, path, sent, total)
    }

    /// The agent of the calling thread.
    fn agent(&self) -> &Agent {
        &self.agents[slot::of_this_thread()]
    }

    fn url(&self, path: &str) -> String {
        let mut url = String::with_capacity(self.base_url.len() + path.len());
        url.push_str(&self.base_url);
        url.push_str(path);
        url
    }

    /// The answer to a request of `path`, or the failure.
    fn answer(
        &self,
        result: std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error>,
        path: &str,
        sent: Sent,
        total: u64,
    ) -> std::result::Result<Reply, Failure> {
        let failed = |e| {
            let shown = self.shown.url(path);
            self.shown
                .failure(e, &shown, self.timeout_ms, sent.finish(total))
        };
        let mut response = result.map_err(failed)?;
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let status = response.status().as_u16();
        let content_type = header("content-type");
        // Only a redirect's Location is shown.
        let location = (300..400)
            .contains(&status)
            .then(|| header("location"))
            .flatten();
        // Read into a buffer of the announced size: no regrowing copies.
        let announced = response.body().content_length().unwrap_or(0);
        let mut body = Vec::with_capacity(announced.min(MAX_REPLY_BYTES) as usize + 1);
        response
            .body_mut()
            .with_config()
            .limit(MAX_REPLY_BYTES)
            .reader()
            .read_to_end(&mut body)
            .map_err(|e| failed(ureq::Error::from(e)))?;
        let answer = Answer {
            status,
            content_type: content_type.as_deref(),
            location: location.as_deref(),
            body,
        };
        reply::classify(answer, || self.shown.url(path))
    }

    /// One GET of `path`, any HTTP answer being a success (`ywx check`).
    pub fn probe(&self, path: &str) -> Result<()> {
        let url = format!("{}{}", self.base_url, path);
        let shown = self.shown.url(path);
        let sent = Sent::start();
        let failed = |e| {
            self.shown
                .failure(e, &shown, self.timeout_ms, sent.finish(0))
                .error
        };
        let mut response = self.agent().get(&url).call().map_err(failed)?;
        let _ = response
            .body_mut()
            .with_config()
            .limit(64 * 1024)
            .read_to_vec();
        Ok(())
    }

    /// Interrupts every request this transport has in flight, on any
    /// thread, and refuses new ones: for a delivery thread that must stop
    /// now (its request is abandoned and reconciled later).
    pub fn abort(&self) {
        for agent in &self.agents {
            agent.clone().shutdown();
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
            Error::not_configured(format!("配置项 tls.caFile {} {why}", path.display()))
        })?;
        let certs: Vec<Certificate<'static>> = ureq::tls::parse_pem(&pem)
            .filter_map(|item| match item {
                Ok(PemItem::Certificate(c)) => Some(c),
                _ => None,
            })
            .collect();
        if certs.is_empty() {
            return Err(Error::not_configured(format!(
                "配置项 tls.caFile {} 中没有 PEM 格式的证书",
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
