//! The library's engine, in Rust terms: configure, call a method with a
//! JSON text, get a JSON envelope text. The C boundary (`ffi.rs`) and the
//! `ywx` command are thin layers over this module.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::codes;
use crate::config::{self, Config, Encoding, Source};
use crate::digest::{self, Alg};
use crate::endpoints::{self, Endpoint, Kind, Shape};
use crate::error::{Error, Result};
use crate::log::{Level, Logger};
use crate::outbox::Outbox;
use crate::request;
use crate::rules::as_text;
use crate::transport::{self, Transport};

/// The version, as `ywx_version` reports it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// A configured library: config, shared HTTP agent, log.
pub struct Client {
    pub config: Config,
    source: Source,
    transport: Transport,
    logger: Logger,
    pub outbox: Outbox,
}

impl Client {
    /// A configured client, its outbox's delivery thread started.
    fn start(config: Config, source: Source) -> Result<Arc<Client>> {
        let transport = Transport::new(&config)?;
        let logger = Logger::new(config.log.dir.clone(), Level::parse(&config.log.level));
        let outbox = Outbox::new(&config);
        let client = Arc::new(Client {
            config,
            source,
            transport,
            logger,
            outbox,
        });
        Outbox::start(&client);
        Ok(client)
    }

    /// Sends a prepared request (credentials filled) to its endpoint.
    pub fn send(&self, ep: &Endpoint, value: &Value) -> Result<transport::Reply> {
        let query = match ep.shape {
            Shape::Query => request::query_pairs(value)?,
            _ => Vec::new(),
        };
        let body = (ep.shape != Shape::Query).then(|| value.to_string());
        self.transport.send(&transport::Request {
            method: ep.http,
            path: ep.path,
            query: &query,
            body: body.as_deref(),
            retry: ep.kind == Kind::Query,
        })
    }

    /// Writes one line to the call log.
    pub fn log_call(&self, method: &str, took: Duration, status: &str, message: &str, key: &str) {
        self.logger.call(method, took, status, message, key);
    }

    /// Stops background work and flushes the log.
    fn stop(&self) {
        self.outbox.stop();
        self.logger.flush();
    }
}

static CLIENT: RwLock<Option<Arc<Client>>> = RwLock::new(None);

/// The configured client; loads the config file on first use when
/// `ywx_init` was never called.
pub fn client() -> Result<Arc<Client>> {
    if let Some(c) = CLIENT.read().unwrap_or_else(|p| p.into_inner()).as_ref() {
        return Ok(c.clone());
    }
    let mut slot = CLIENT.write().unwrap_or_else(|p| p.into_inner());
    if let Some(c) = slot.as_ref() {
        return Ok(c.clone());
    }
    let (config, source) = config::load_file()?;
    let client = Client::start(config, source)?;
    *slot = Some(client.clone());
    Ok(client)
}

/// The encoding and input limit in force (defaults when unconfigured).
pub fn boundary_settings() -> (Encoding, u64) {
    match client() {
        Ok(c) => (c.config.encoding, c.config.max_request_bytes),
        Err(_) => (Encoding::Utf8, 16 * 1024 * 1024),
    }
}

/// `ywx_init`: a config JSON text, or `None` for the config file.
/// Replaces the config in force; a bad config leaves the library
/// unconfigured, so that the mistake shows at once.
pub fn init(config_text: Option<&str>) -> Value {
    let loaded = match config_text {
        None => config::load_file(),
        Some(text) => Config::parse(text, None).map(|c| (c, Source::Json)),
    };
    start(loaded)
}

/// Puts a parsed config in force (the `ywx` command adjusts the file's
/// config before, e.g. to run without the delivery thread).
pub fn init_config(config: Config, source: Source) -> Value {
    start(Ok((config, source)))
}

fn start(loaded: Result<(Config, Source)>) -> Value {
    // The old client's delivery thread stops before the new one's starts.
    let old = CLIENT.write().unwrap_or_else(|p| p.into_inner()).take();
    if let Some(old) = old {
        old.stop();
    }
    let loaded = loaded.and_then(|(config, source)| Client::start(config, source));
    let mut slot = CLIENT.write().unwrap_or_else(|p| p.into_inner());
    match loaded {
        Ok(client) => {
            let mut data = client.config.masked();
            data["configFile"] = match &client.source {
                Source::File(p) => Value::String(p.display().to_string()),
                Source::Json => Value::Null,
            };
            data["version"] = Value::String(VERSION.into());
            *slot = Some(client);
            json!({"status": "0", "message": "配置已生效", "data": data})
        }
        Err(mut e) => {
            *slot = None;
            if e.code.number != codes::NOT_CONFIGURED.number {
                e = Error::not_configured(e.message);
            }
            e.envelope()
        }
    }
}

/// `ywx_shutdown`: forget the config, close connections, flush the log.
pub fn shutdown() -> Value {
    let old = CLIENT.write().unwrap_or_else(|p| p.into_inner()).take();
    if let Some(c) = old {
        c.stop();
    }
    json!({"status": "0", "message": "ywx 已停止，可以安全卸载（FreeLibrary）", "data": null})
}

/// Calls `method` (an export's name without `ywx_`) with a JSON text;
/// returns the envelope text. Never panics on bad input.
pub fn call(method: &str, request: &str) -> String {
    let started = Instant::now();
    let mut key = String::new();
    let outcome = dispatch(method, request, &mut key);
    let (text, status, message) = match outcome {
        Ok(reply) => {
            let status = reply
                .json
                .get("status")
                .and_then(as_text)
                .unwrap_or_default();
            let message = reply
                .json
                .get("message")
                .and_then(as_text)
                .unwrap_or_default();
            (reply.text, status, message)
        }
        Err(e) => (e.envelope().to_string(), e.code.status(), e.message.clone()),
    };
    if let Some(c) = CLIENT.read().unwrap_or_else(|p| p.into_inner()).as_ref() {
        c.logger
            .call(method, started.elapsed(), &status, &message, &key);
    }
    text
}

/// Every method `ywx_call` knows besides the gateway endpoints.
pub const LOCAL_METHODS: &[&str] = &[
    "digest",
    "sign_wait",
    "selfsign_wait",
    "oauth_wait",
    "outbox_list",
    "outbox_flush",
    "init",
    "shutdown",
    "version",
];

/// Runs a method; `key` receives what the call was about, for the log.
fn dispatch(method: &str, request: &str, key: &mut String) -> Result<transport::Reply> {
    let local = |v: Value| transport::Reply {
        text: v.to_string(),
        json: v,
    };
    match method {
        "init" => return Ok(local(init((!request.trim().is_empty()).then_some(request)))),
        "shutdown" => return Ok(local(shutdown())),
        "version" => {
            return Ok(local(
                json!({"status": "0", "message": "success", "data": VERSION}),
            ));
        }
        _ => {}
    }
    let endpoint = endpoints::find(method);
    if endpoint.is_none() && !LOCAL_METHODS.contains(&method) {
        let mut known: Vec<&str> = endpoints::ENDPOINTS.iter().map(|e| e.name).collect();
        known.extend(LOCAL_METHODS);
        return Err(Error::new(
            &codes::UNKNOWN_METHOD,
            format!(
                "没有名为 \"{method}\" 的方法。可用的方法：{}",
                known.join("、")
            ),
        ));
    }
    let value = parse(request)?;
    match (endpoint, method) {
        (Some(ep), _) => {
            *key = request::log_key(ep.shape, &value);
            let reply = gateway(ep, value)?;
            if let Some(id) = reply.json.pointer("/data/uniqueId").and_then(as_text)
                && !key.contains(&id)
            {
                key.push_str(&format!(" uniqueId={id}"));
            }
            Ok(reply)
        }
        (None, "digest") => digest(value).map(local),
        (None, "sign_wait") => {
            *key = request::log_key(Shape::Query, &value);
            wait::sign(value)
        }
        (None, "selfsign_wait") => wait::selfsign(value),
        (None, "oauth_wait") => wait::oauth(value),
        (None, "outbox_list") => client()?.outbox.list(&value).map(local),
        (None, "outbox_flush") => {
            let client = client()?;
            client.outbox.flush(&client, &value).map(local)
        }
        _ => unreachable!("every local method is dispatched above"),
    }
}

fn parse(request: &str) -> Result<Value> {
    if request.trim().is_empty() {
        return Err(Error::new(
            &codes::INVALID_JSON,
            "请求是空字符串：请传入 JSON 对象，例如 {\"head\":{},\"body\":{...}}",
        ));
    }
    serde_json::from_str(request).map_err(|e| crate::error::invalid_json("请求", &e))
}

/// One gateway call: checked, completed from the config, sent, answered.
fn gateway(ep: &Endpoint, value: Value) -> Result<transport::Reply> {
    let mut value = request::prepare(ep, value)?;
    let client = client()?;
    request::fill_from_config(ep, &client.config, &mut value);
    let mut reply = if ep.kind == Kind::Push && client.outbox.enabled() {
        client.outbox.push(&client, ep, value)?
    } else {
        client.send(ep, &value)?
    };
    client.outbox.after_success(&client);
    if let Some(dir) = &client.config.file_dir
        && crate::files::save(dir, ep.name, &mut reply.json)
    {
        reply.text = reply.json.to_string();
    }
    Ok(reply)
}

/// `ywx_digest`: SHA1/SHA256/SM3 of `originData` (its UTF-8 bytes) or of
/// `originFile`, locally; `"remote": true` asks the gateway (4.3.4).
fn digest(value: Value) -> Result<Value> {
    let alg = match value.get("hashAlg").filter(|v| !v.is_null()) {
        None => Alg::Sm3,
        Some(v) => as_text(v)
            .as_deref()
            .and_then(Alg::parse)
            .ok_or_else(|| Error::arg("hashAlg", "只能是 SHA1、SHA256 或 SM3（默认 SM3）"))?,
    };
    let remote = value
        .get("remote")
        .is_some_and(|v| v == true || v == "true");
    let data = value.get("originData").filter(|v| !v.is_null());
    let file = value.get("originFile").filter(|v| !v.is_null());
    let hash = match (data, file) {
        (Some(d), None) => {
            let text = as_text(d).ok_or_else(|| Error::arg("originData", "必须是字符串"))?;
            if remote {
                return remote_digest(&text, alg);
            }
            digest::digest(alg, text.as_bytes())
        }
        (None, Some(f)) => {
            let path =
                as_text(f).ok_or_else(|| Error::arg("originFile", "必须是文件路径字符串"))?;
            if remote {
                return Err(Error::arg(
                    "remote",
                    "网关只能计算文本 originData 的摘要，文件请在本地计算",
                ));
            }
            digest::digest_file(alg, std::path::Path::new(&path), "originFile")?
        }
        (Some(_), Some(_)) => return Err(Error::arg("originData", "与 originFile 只能给一个")),
        (None, None) => {
            return Err(Error::arg(
                "originData",
                "不能为空：请给出要计算摘要的原文 originData，或文件路径 originFile",
            ));
        }
    };
    Ok(json!({
        "status": "0",
        "message": "success",
        "data": {"hashValue": digest::base64(&hash), "hashType": alg.name()},
    }))
}

fn remote_digest(text: &str, alg: Alg) -> Result<Value> {
    let client = client()?;
    let body = json!({"originData": text, "hashAlg": alg.name()}).to_string();
    let reply = client.transport.send(&transport::Request {
        method: transport::Method::Post,
        path: "/gateway/common/computeDigestForAlg",
        query: &[],
        body: Some(&body),
        retry: true,
    })?;
    Ok(reply.json)
}

/// The polling helpers: block until a final state or the timeout.
mod wait {
    use super::*;

    /// `timeoutSeconds` (default 60) and `intervalMs` (default 1000).
    fn limits(value: &Value) -> Result<(Duration, Duration)> {
        let get = |name: &str, default: u64, lo: u64, hi: u64| -> Result<u64> {
            match value.get(name).filter(|v| !v.is_null()) {
                None => Ok(default),
                Some(v) => as_text(v)
                    .and_then(|s| s.trim().parse::<f64>().ok())
                    .map(|n| n as u64)
                    .filter(|n| (lo..=hi).contains(n))
                    .ok_or_else(|| Error::arg(name, format!("必须是 {lo} 到 {hi} 之间的数"))),
            }
        };
        Ok((
            Duration::from_secs(get("timeoutSeconds", 60, 1, 86_400)?),
            Duration::from_millis(get("intervalMs", 1000, 50, 60_000)?),
        ))
    }

    fn required(value: &Value, name: &str) -> Result<String> {
        value
            .get(name)
            .and_then(as_text)
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| Error::arg(name, "不能为空"))
    }

    /// Polls `method` with `request` until `done` says so, or the deadline.
    fn poll(
        method: &str,
        request: Value,
        value: &Value,
        what: &str,
        done: impl Fn(&Value) -> bool,
    ) -> Result<transport::Reply> {
        let (timeout, interval) = limits(value)?;
        let ep = endpoints::find(method).expect("polled endpoints exist");
        let deadline = Instant::now() + timeout;
        loop {
            let reply = gateway(ep, request.clone())?;
            if done(&reply.json) {
                return Ok(reply);
            }
            if Instant::now() + interval > deadline {
                return Err(Error::new(
                    &codes::WAIT_TIMEOUT,
                    format!(
                        "等待{what}超时（{} 秒）。data 为最后一次查询的结果",
                        timeout.as_secs()
                    ),
                )
                .with_data(reply.json));
            }
            std::thread::sleep(interval);
        }
    }

    fn status_is_zero(v: &Value) -> bool {
        v.get("status").and_then(as_text).as_deref() == Some("0")
    }

    /// Until the order leaves state 0 (待处理) or 10 (未领取).
    pub fn sign(value: Value) -> Result<transport::Reply> {
        let unique_id = required(&value, "uniqueId")?;
        let request = json!({"body": {"uniqueId": unique_id}});
        poll("sign_status", request, &value, "医师签名", |v| {
            if !status_is_zero(v) {
                return true;
            }
            let state = v.pointer("/data/status").and_then(as_text);
            !matches!(state.as_deref(), Some("0") | Some("10") | None)
        })
    }

    /// Until the doctor allowed (grantStep 1) or refused (2) self-signing.
    pub fn selfsign(value: Value) -> Result<transport::Reply> {
        let open_id = required(&value, "openId")?;
        let mut body = json!({"openId": open_id});
        if let Some(tag) = value.get("sysTag").filter(|v| !v.is_null()) {
            body["sysTag"] = tag.clone();
        }
        poll(
            "selfsign_result",
            json!({"body": body}),
            &value,
            "自动签授权",
            |v| {
                if !status_is_zero(v) {
                    return true;
                }
                let step = v.pointer("/data/grantStep").and_then(as_text);
                matches!(step.as_deref(), Some("1") | Some("2"))
            },
        )
    }

    /// Until tokeninfo returns the user who scanned the login QR code.
    pub fn oauth(value: Value) -> Result<transport::Reply> {
        let request_id = required(&value, "requestId")?;
        let mut request = json!({"requestId": request_id});
        if let Some(id) = value.get("clientId").filter(|v| !v.is_null()) {
            request["clientId"] = id.clone();
        }
        poll(
            "oauth_tokeninfo",
            request,
            &value,
            "医师扫码登录",
            status_is_zero,
        )
    }
}
