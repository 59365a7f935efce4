//! `baseUrl`: the gateway's address, checked before anything is sent to it.

use crate::error::{Error, Result};

/// Longest `baseUrl` accepted.
const MAX_LEN: usize = 2048;

fn bad(path: &str, why: &str) -> Error {
    Error::not_configured(format!(
        "配置项 {path} {why}。应写成环境域名，例如 \"https://test.51trust.com\" 或 \"http://10.1.2.3:8080\""
    ))
}

/// The URL without a trailing `/`, if it is an absolute http(s) URL with a
/// host and nothing after it.
pub fn check(path: &str, url: &str) -> Result<String> {
    let url = url.trim();
    if url.chars().count() > MAX_LEN {
        return Err(bad(path, &format!("太长（超过 {MAX_LEN} 个字符）")));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad(path, "中间不能有空格或控制字符"));
    }
    let lower = url.to_ascii_lowercase();
    let Some(rest) = lower
        .strip_prefix("http://")
        .or_else(|| lower.strip_prefix("https://"))
    else {
        return Err(bad(path, "必须以 http:// 或 https:// 开头"));
    };
    let authority_len = rest.find('/').unwrap_or(rest.len());
    if rest[..authority_len]
        .rsplit('@')
        .next()
        .unwrap_or("")
        .is_empty()
    {
        return Err(bad(path, "缺少主机名"));
    }
    let after = &rest[authority_len..];
    if url.contains('?') || url.contains('#') {
        return Err(bad(path, "不能带查询参数（?）或锚点（#）"));
    }
    if !after.is_empty() && after != "/" {
        return Err(bad(
            path,
            "只写到域名（和端口）为止，不要带 /gateway 等路径：ywx 会自己加上每个接口的路径",
        ));
    }
    let url = url.trim_end_matches('/');
    let uri: ureq::http::Uri = url.parse().map_err(|_| {
        bad(
            path,
            "不是合法的网址（例如 IPv6 地址要写成 http://[::1]:8080）",
        )
    })?;
    let host = uri.host().unwrap_or("");
    if host.is_empty() || host == "[]" {
        return Err(bad(path, "缺少主机名"));
    }
    let authority = uri.authority().map_or("", |a| a.as_str());
    let host_port = authority.rsplit('@').next().unwrap_or("");
    let port = match host_port.rsplit_once(']') {
        Some((_, rest)) => rest.strip_prefix(':'),
        None => host_port.rsplit_once(':').map(|(_, p)| p),
    };
    if let Some(port) = port
        && !port.parse::<u16>().is_ok_and(|p| p > 0)
    {
        return Err(bad(path, "的端口必须是 1 到 65535 之间的数"));
    }
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_urls_are_refused() {
        for url in [
            "http://a b c d e",
            "http://[::1",
            "http://host/gateway",
            "http://host?x=1",
            "http://host/#top",
            "ftp://host",
            "test.51trust.com",
            "http://",
            "http://:80",
            "http://host:0",
            "http://host:99999",
        ] {
            assert!(check("baseUrl", url).is_err(), "{url}");
        }
        let long = format!("http://{}.com", "a".repeat(100_000));
        assert!(check("baseUrl", &long).is_err());
    }

    #[test]
    fn good_urls_pass_without_their_trailing_slash() {
        for (url, want) in [
            ("https://test.51trust.com/", "https://test.51trust.com"),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
            ("http://[::1]:8080/", "http://[::1]:8080"),
            ("HTTP://Host.Example", "HTTP://Host.Example"),
        ] {
            assert_eq!(check("baseUrl", url).unwrap(), want);
        }
    }
}
