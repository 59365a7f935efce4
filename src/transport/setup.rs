//! What a transport makes once from the config: the parts of `baseUrl`,
//! the headers of its POSTs, its agents' settings and TLS.

use std::sync::Arc;
use std::time::Duration;

use ureq::Agent;
use ureq::config::AutoHeaderValue;
use ureq::http::uri::{self, Authority, Scheme};
use ureq::http::{HeaderMap, HeaderValue, Uri, header};
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};

use crate::config::Config;
use crate::error::{Error, Result};

/// The Content-Type of every request with a body.
const JSON: &str = "application/json;charset=UTF-8";

/// The User-Agent of every request.
const USER_AGENT: &str = concat!("ywx/", env!("CARGO_PKG_VERSION"));

/// Largest CA file read (a PEM bundle of every public root is ~250 KB).
const MAX_CA_FILE_BYTES: u64 = 1024 * 1024;

/// The scheme and authority of `baseUrl`.
pub(super) fn base_parts(base_url: &str) -> Result<(Scheme, Authority)> {
    let parts = base_url.parse::<Uri>().ok().map(Uri::into_parts);
    match parts {
        Some(uri::Parts {
            scheme: Some(scheme),
            authority: Some(authority),
            ..
        }) => Ok((scheme, authority)),
        _ => Err(Error::not_configured(format!(
            "配置项 baseUrl \"{}\" 不是合法的网址",
            crate::config::mask_url_password(base_url)
        ))),
    }
}

/// The headers of a POST to `baseUrl`'s scheme and authority but its
/// Content-Length: Host (the host without user or password, its port
/// unless the scheme's own, as ureq writes it), User-Agent and
/// Content-Type. Made once and copied per request: ureq would format the
/// Host and copy the User-Agent each time, and each insertion hashes. No
/// `Accept` (`agent_config`): without one, any answer is acceptable.
pub(super) fn post_headers(scheme: &Scheme, authority: &Authority) -> Result<HeaderMap> {
    let default_port = match scheme.as_str() {
        "https" => 443,
        _ => 80,
    };
    let host = match authority.port_u16() {
        Some(port) if port != default_port => format!("{}:{port}", authority.host()),
        _ => authority.host().to_string(),
    };
    let host = HeaderValue::from_str(&host).map_err(|_| {
        Error::not_configured(format!(
            "配置项 baseUrl 的主机名 \"{}\" 不能写进 HTTP 请求头",
            authority.host()
        ))
    })?;
    let mut headers = HeaderMap::with_capacity(4);
    headers.insert(header::HOST, host);
    headers.insert(header::USER_AGENT, HeaderValue::from_static(USER_AGENT));
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
    Ok(headers)
}

/// An agent's settings; `pooled`: whether it keeps connections alive.
pub(super) fn agent_config(
    config: &Config,
    proxy: Option<&str>,
    pooled: bool,
) -> Result<ureq::config::Config> {
    let connect = Duration::from_millis(config.connect_timeout_ms);
    let phase = Duration::from_millis(config.timeout_ms);
    let idle = if pooled { 64 } else { 0 };
    let mut builder = Agent::config_builder()
        .http_status_as_error(false)
        // Not `timeout_global`, which implies a resolve timeout: see
        // `CachingResolver`. An exchange is bounded as a whole by
        // `timeout_per_call` (the budget of one call); a call that tries
        // again gives each exchange what is left of its budget.
        .timeout_resolve(Some(connect))
        .timeout_connect(Some(connect))
        .timeout_per_call(Some(connect + phase))
        .timeout_send_request(Some(phase))
        .timeout_send_body(Some(phase))
        .timeout_recv_response(Some(phase))
        .timeout_recv_body(Some(phase))
        // A 2 MiB PDF's body goes out in a few large writes rather than
        // twenty 128 KiB ones, each waking the gateway's reader. Only what
        // is written is touched: small requests cost no more.
        .output_buffer_size(512 * 1024)
        .max_idle_connections(idle)
        .max_idle_connections_per_host(idle)
        .max_redirects(0)
        .user_agent(USER_AGENT)
        .accept(AutoHeaderValue::None)
        .tls_config(tls_config(config)?);
    if let Some(proxy) = proxy {
        let parsed = ureq::Proxy::new(proxy).map_err(|e| {
            let shown = crate::config::mask_url_password(proxy);
            Error::not_configured(format!("配置项 proxy \"{shown}\" 不是合法的代理地址：{e}"))
        })?;
        builder = builder.proxy(Some(parsed));
    }
    Ok(builder.build())
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
