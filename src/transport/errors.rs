//! What went wrong on the way to the gateway, each failure mapped to its row
//! of the code table with a message that tells the implementer what to
//! check, and whether the request may have reached the gateway.

use std::io::ErrorKind;

use super::record::Progress;
use super::{Failure, Reached};
use crate::codes;
use crate::config::mask_url_password;
use crate::error::Error;

/// The gateway and the proxy as messages show them (passwords masked).
pub struct Shown {
    base: String,
    proxy: Option<String>,
}

impl Shown {
    pub fn new(base_url: &str, proxy: Option<&str>) -> Shown {
        Shown {
            base: mask_url_password(base_url),
            proxy: proxy.map(mask_url_password),
        }
    }

    /// The URL of `path`, as messages show it.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Maps a ureq error of a request to `url`.
    pub fn failure(
        &self,
        e: ureq::Error,
        url: &str,
        timeout_ms: u64,
        progress: Progress,
    ) -> Failure {
        let timed_out = match &e {
            ureq::Error::Timeout(_) => true,
            ureq::Error::Io(io) => matches!(io.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock),
            _ => false,
        };
        let mut failure = self.kind_of(e, url, timeout_ms, progress);
        // A pooled connection that ended (closed, reset) before a byte of
        // the answer: the server had closed it while it was idle.
        failure.stale = progress.pooled
            && progress.read == 0
            && !timed_out
            && failure.error.code.number == codes::NETWORK_UNREACHABLE.number;
        failure
    }

    fn kind_of(&self, e: ureq::Error, url: &str, timeout_ms: u64, progress: Progress) -> Failure {
        use ureq::Timeout as T;
        let (host, proxy) = (&self.base, self.proxy.as_deref());
        match e {
            ureq::Error::Timeout(T::Resolve | T::Connect) => match proxy {
                Some(p) => transient(proxy_error(p, "在规定时间内没有接受连接"), Reached::No),
                None => transient(timeout(url, timeout_ms), Reached::No),
            },
            ureq::Error::Timeout(_) => transient(timeout(url, timeout_ms), Reached::Maybe),
            ureq::Error::HostNotFound => match proxy {
                Some(p) => transient(proxy_error(p, "的域名无法解析"), Reached::No),
                None => transient(dns_error(host), Reached::No),
            },
            ureq::Error::ConnectProxyFailed(why) => transient(
                proxy_error(proxy.unwrap_or("（未知）"), &format!("拒绝转发：{why}")),
                Reached::No,
            ),
            ureq::Error::Tls(_)
            | ureq::Error::Pem(_)
            | ureq::Error::Rustls(_)
            | ureq::Error::TlsRequired => not_reached(tls_error(host, &e.to_string())),
            ureq::Error::Io(io) => self.io_failure(io, url, timeout_ms, progress),
            ureq::Error::Protocol(_)
            | ureq::Error::LargeResponseHeader(..)
            | ureq::Error::BodyExceedsLimit(_)
            | ureq::Error::BodyStalled => malformed(url, &e.to_string()),
            ureq::Error::ConnectionFailed => match proxy {
                Some(p) => transient(proxy_error(p, "无法连接"), Reached::No),
                None => transient(
                    Error::new(
                        &codes::NETWORK_UNREACHABLE,
                        format!("无法连接网关 {host}。请检查网络和 baseUrl"),
                    ),
                    Reached::No,
                ),
            },
            other => {
                let text = other.to_string();
                match tls_words(&text) {
                    true => not_reached(tls_error(host, &text)),
                    false => transient(
                        Error::new(
                            &codes::NETWORK_UNREACHABLE,
                            format!("与网关 {host} 通信失败：{text}"),
                        ),
                        Reached::Maybe,
                    ),
                }
            }
        }
    }

    fn io_failure(
        &self,
        io: std::io::Error,
        url: &str,
        timeout_ms: u64,
        progress: Progress,
    ) -> Failure {
        let (host, proxy) = (&self.base, self.proxy.as_deref());
        let text = io.to_string();
        // Over https, a connection that ends before a byte of the request
        // could be written ended in the TLS handshake.
        let in_handshake = host.to_ascii_lowercase().starts_with("https://")
            && progress.written == 0
            && progress.read == 0
            && io.kind() != ErrorKind::ConnectionRefused
            && proxy.is_none();
        if is_tls(&io) || in_handshake {
            return not_reached(tls_error(host, &text));
        }
        match io.kind() {
            ErrorKind::TimedOut | ErrorKind::WouldBlock => {
                transient(timeout(url, timeout_ms), Reached::Maybe)
            }
            _ if dns_words(&text) => match proxy {
                Some(p) => transient(proxy_error(p, "的域名无法解析"), Reached::No),
                None => transient(dns_error(host), Reached::No),
            },
            ErrorKind::ConnectionRefused => match proxy {
                Some(p) => transient(proxy_error(p, "拒绝连接：该地址和端口上没有代理在监听"), Reached::No),
                None => transient(
                    Error::new(
                        &codes::NETWORK_UNREACHABLE,
                        format!(
                            "连接网关 {host} 被拒绝：该地址和端口上没有服务在监听。请检查 baseUrl 的端口、网关服务是否启动、防火墙"
                        ),
                    ),
                    Reached::No,
                ),
            },
            _ if progress.cut_while_sending() => not_reached(
                Error::new(
                    &codes::NETWORK_UNREACHABLE,
                    format!(
                        "网关 {url} 在 ywx 发送请求的过程中关闭了连接（已发送 {} / {} 字节的请求体，{text}），请求没有完整送达。常见原因：网关或其前面的代理限制了请求大小（如 nginx 的 client_max_body_size），请缩小 PDF/附件或请网关运维调大限制；也可能是网络中断",
                        progress.written.min(progress.body),
                        progress.body
                    ),
                )
                .with_data(serde_json::json!({"sentBytes": progress.written, "bodyBytes": progress.body})),
            ),
            _ => transient(
                Error::new(
                    &codes::NETWORK_UNREACHABLE,
                    format!("与网关 {host} 的连接中断：{text}。请检查网络和 baseUrl"),
                ),
                Reached::Maybe,
            ),
        }
    }
}

fn transient(error: Error, reached: Reached) -> Failure {
    Failure::new(error, true, reached)
}

fn not_reached(error: Error) -> Failure {
    Failure::new(error, false, Reached::No)
}

/// A server answered with something that is not HTTP as it should be.
fn malformed(url: &str, detail: &str) -> Failure {
    let error = Error::new(
        &codes::GATEWAY_BAD_REPLY,
        format!(
            "{url} 有应答，但不是合法的 HTTP（{detail}）。请确认 baseUrl 指向的是医网信网关，端口和 http/https 是否正确"
        ),
    );
    Failure::new(error, false, Reached::Maybe)
}

/// Whether an I/O error carries a TLS failure (rustls reports handshake
/// alerts, protocol-version refusals and a plain-HTTP peer through I/O).
fn is_tls(io: &std::io::Error) -> bool {
    let inner = io.get_ref();
    inner.is_some_and(|e| e.downcast_ref::<rustls::Error>().is_some()) || tls_words(&io.to_string())
}

pub fn timeout(url: &str, ms: u64) -> Error {
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
            "与网关 {host} 的 TLS 握手失败：{detail}。若网关使用医院自签证书，请在配置 tls.caFile 中指定其 CA 证书（PEM）；也请检查本机时间是否正确，以及 baseUrl 的 https 是否对应网关的 HTTPS 端口"
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

fn proxy_error(proxy: &str, what: &str) -> Error {
    Error::new(
        &codes::NETWORK_UNREACHABLE,
        format!(
            "代理 {proxy} {what}：请求没有到达网关。请检查配置项 proxy，或请医院网络管理员确认代理可用"
        ),
    )
}

/// getaddrinfo's words on Linux and Windows for a name that does not resolve.
fn dns_words(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    t.contains("lookup address")
        || t.contains("name or service not known")
        || t.contains("no such host")
}

fn tls_words(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    [
        "certificate",
        "tls",
        "handshake",
        "alert",
        "corrupt message",
    ]
    .iter()
    .any(|w| t.contains(w))
}
