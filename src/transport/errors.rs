//! Transport failures, each mapped to its row of the code table with a
//! message that tells the implementer what to check.

use std::io::ErrorKind;

use crate::codes;
use crate::error::Error;

/// A failed exchange, and whether it is worth retrying.
pub type Failure = (Error, bool);

/// Maps a ureq error of a request to `url` (of the gateway `host`).
pub fn map_error(e: ureq::Error, host: &str, url: &str, timeout_ms: u64) -> Failure {
    match e {
        ureq::Error::Timeout(_) => (timeout(url, timeout_ms), true),
        ureq::Error::HostNotFound => (dns_error(host), true),
        ureq::Error::Tls(_) | ureq::Error::Pem(_) | ureq::Error::Rustls(_) => {
            (tls_error(host, &e.to_string()), false)
        }
        ureq::Error::Io(io) => {
            let text = io.to_string();
            match io.kind() {
                ErrorKind::TimedOut | ErrorKind::WouldBlock => (timeout(url, timeout_ms), true),
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

pub fn http_hint(status: u16) -> &'static str {
    match status {
        404 => "请确认 baseUrl 只写到域名（和端口），不要带 /gateway 等路径",
        401 | 403 => "网关拒绝访问，请检查 clientId / clientSecret 与网关的访问控制",
        502..=504 => "网关或中间的代理暂时不可用，请稍后重试或联系网关运维",
        _ => "请联系网关运维人员",
    }
}
