//! Configuration: one JSON object, from `ywx_init` or `ywx.json`. Every
//! key is checked against the table in `keys.rs` before it is read.

mod keys;
mod url;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};

pub use crate::encoding::Encoding;
pub use keys::{ConfigKey, KEYS, Kind};

/// The name of the config file looked for beside the library.
pub const CONFIG_FILE: &str = "ywx.json";
/// Environment variable naming the config file explicitly.
pub const CONFIG_ENV: &str = "YWX_CONFIG";

/// A checked config. Every key has a value: [`keys::check`] writes the
/// defaults of [`KEYS`] (the one place they are stated) for absent keys.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    pub base_url: String,
    pub client_id: String,
    pub client_secret: String,
    pub sys_tag: Option<String>,
    pub encoding: Encoding,
    pub connect_timeout_ms: u64,
    pub timeout_ms: u64,
    pub retry: Retry,
    pub proxy: Option<String>,
    pub tls: Tls,
    pub max_request_bytes: u64,
    pub outbox: OutboxSettings,
    /// The gateway's time zone, `±HH:MM` (China Standard Time, `+08:00`).
    pub gateway_time_zone: String,
    pub log: Log,
    pub file_dir: Option<PathBuf>,
    pub verify: Verify,
}

/// Local verification (`ywx_verify_local`, `verify.auto`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Verify {
    /// 4.3.5's and 5.1.2's replies carry `data.localVerify`.
    pub auto: bool,
    /// PEM bundle of the CA certificates trusted for verification.
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Retry {
    /// Attempts in all for a query (1 = no retry).
    pub attempts: u32,
    /// First backoff; doubled each retry, with jitter.
    pub backoff_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Tls {
    /// PEM file of the CA(s) to trust instead of the system store.
    pub ca_file: Option<PathBuf>,
    /// Trust the operating system's certificate store.
    pub system_store: bool,
    /// Skip certificate verification (never in production).
    pub insecure: bool,
}

/// `outbox.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OutboxSettings {
    pub path: PathBuf,
    pub enabled: bool,
    pub background: bool,
    pub retry_interval_ms: u64,
    pub purge_after_hours: u64,
    /// Deliveries tried before an item that keeps failing ends `failed`.
    pub max_attempts: u32,
    /// How far either side of the first attempt reconciliation looks.
    pub reconcile_window_minutes: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Log {
    /// Directory of the daily log files; `null` turns logging off.
    pub dir: Option<PathBuf>,
    /// `off`, `error`, `info` (a line a call) or `debug`.
    pub level: String,
}

/// The largest request accepted when nothing is configured: the
/// `maxRequestBytes` default.
pub fn default_max_request_bytes() -> u64 {
    KEYS.iter()
        .find(|k| k.path == "maxRequestBytes")
        .and_then(|k| keys::default_of(k).as_u64())
        .unwrap_or(16 * 1024 * 1024)
}
/// Largest config file read.
const MAX_CONFIG_FILE_BYTES: u64 = 1024 * 1024;

/// Where a config came from, for the `ywx_init` answer and relative paths.
#[derive(Debug, Clone)]
pub enum ConfigSource {
    Json,
    File(PathBuf),
}

impl Config {
    /// Parses and checks a config JSON text; relative paths are resolved
    /// against `base` (the config file's directory, or the working directory).
    pub fn parse(text: &str, base: Option<&Path>) -> Result<Config> {
        // A config is two levels deep; anything much deeper is refused
        // before serde_json recurses into it (a small stack).
        if let Some(at) = crate::value::too_deep(text.as_bytes(), crate::value::MAX_DEPTH) {
            return Err(Error::new(
                &crate::codes::INVALID_JSON,
                format!(
                    "配置不是 ywx 的配置：第 {at} 个字节处嵌套超过 {} 层（配置最多两层，例如 \"retry\": {{...}}）",
                    crate::value::MAX_DEPTH
                ),
            ));
        }
        let mut value: Value =
            serde_json::from_str(text).map_err(|e| crate::error::invalid_json("配置", &e))?;
        let Some(obj) = value.as_object_mut() else {
            return Err(Error::not_configured("配置必须是一个 JSON 对象 {...}"));
        };
        keys::check(obj)?;
        // `keys::check` leaves nothing serde could refuse; should it ever,
        // the message stays Chinese.
        let mut config: Config = serde_json::from_value(value).map_err(|_| {
            Error::not_configured("配置中有一项的类型不对，请对照说明中的配置表检查")
        })?;
        if config
            .sys_tag
            .as_deref()
            .is_some_and(|s| s.trim().is_empty())
        {
            config.sys_tag = None;
        }
        if config.proxy.as_deref().is_some_and(|s| s.trim().is_empty()) {
            config.proxy = None;
        }
        if let Some(base) = base {
            config.resolve_paths(base);
        }
        Ok(config)
    }

    /// The gateway's time zone, in minutes east of UTC.
    pub fn gateway_zone_minutes(&self) -> i32 {
        keys::parse_utc_offset(&self.gateway_time_zone).unwrap_or(480)
    }

    /// Legal but dangerous settings, each a sentence for `ywx_init`'s
    /// `data.warnings` and the log.
    pub fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        if self.tls.insecure {
            w.push("tls.insecure 为 true：不校验网关证书，过期、伪造或域名不符的证书都会被接受，签名数据可能被中间人截取。只可用于临时排查，正式环境务必改回 false（自签证书请用 tls.caFile）".to_string());
        }
        if self.log.level == "debug" {
            w.push("log.level 为 debug：日志会很多，排查完请改回 info".to_string());
        }
        w
    }

    fn resolve_paths(&mut self, base: &Path) {
        let resolve = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        resolve(&mut self.outbox.path);
        if let Some(dir) = self.log.dir.as_mut() {
            resolve(dir);
        }
        if let Some(dir) = self.file_dir.as_mut() {
            resolve(dir);
        }
        if let Some(ca) = self.tls.ca_file.as_mut() {
            resolve(ca);
        }
        if let Some(ca) = self.verify.ca_file.as_mut() {
            resolve(ca);
        }
    }

    /// The effective config as JSON, the secret and URL passwords masked.
    pub fn masked(&self) -> Value {
        let mut v = serde_json::to_value(self).unwrap_or(Value::Null);
        v["clientSecret"] = Value::String(mask(&self.client_secret));
        v["baseUrl"] = Value::String(mask_url_password(&self.base_url));
        if let Some(proxy) = &self.proxy {
            v["proxy"] = Value::String(mask_url_password(proxy));
        }
        v
    }
}

/// `2017070411003360` → `20************60`.
pub fn mask(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() <= 4 {
        return "*".repeat(chars.len());
    }
    let mut s: String = chars[..2].iter().collect();
    s.push_str(&"*".repeat(chars.len() - 4));
    s.extend(&chars[chars.len() - 2..]);
    s
}

/// `http://user:pw@host` → `http://user:***@host`; also without a scheme
/// (`user:pw@host:3128`, which a proxy setting may be).
pub fn mask_url_password(url: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[start..];
    match rest.rfind('@') {
        Some(at) => match rest[..at].find(':') {
            Some(colon) => format!("{}{}:***{}", &url[..start], &rest[..colon], &rest[at..]),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// Finds the config file: `$YWX_CONFIG`, else `ywx.json` beside the library,
/// beside the executable, or in the working directory.
pub fn find_file() -> std::result::Result<PathBuf, String> {
    if let Some(path) = std::env::var_os(CONFIG_ENV).filter(|p| !p.is_empty()) {
        let path = std::path::absolute(PathBuf::from(&path)).unwrap_or(PathBuf::from(path));
        return match std::fs::metadata(&path) {
            Ok(m) if m.is_file() => Ok(path),
            Ok(m) if m.is_dir() => Err(format!(
                "环境变量 {CONFIG_ENV} 指向的 {} 是一个目录，请指向配置文件本身（例如 {}）",
                path.display(),
                path.join(CONFIG_FILE).display()
            )),
            Ok(_) => Err(format!(
                "环境变量 {CONFIG_ENV} 指向的 {} 不是普通文件",
                path.display()
            )),
            Err(_) => Err(format!(
                "环境变量 {CONFIG_ENV} 指向的文件 {} 不存在",
                path.display()
            )),
        };
    }
    let mut tried = Vec::new();
    let dirs = [
        crate::platform::library_dir(),
        std::env::current_exe()
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf)),
        std::env::current_dir().ok(),
    ];
    for dir in dirs.into_iter().flatten() {
        let candidate = dir.join(CONFIG_FILE);
        if candidate.is_file() {
            return Ok(candidate);
        }
        if !tried.contains(&candidate) {
            tried.push(candidate);
        }
    }
    let tried: Vec<String> = tried.iter().map(|p| p.display().to_string()).collect();
    Err(format!("找不到配置文件（找过：{}）", tried.join("；")))
}

/// Loads the config file found by [`find_file`].
pub fn load_file() -> Result<(Config, ConfigSource)> {
    let path = find_file().map_err(Error::not_configured)?;
    let bytes = crate::readfile::read_limited(&path, MAX_CONFIG_FILE_BYTES).map_err(|why| {
        let why = why.unwrap_or_else(|| "超过 1 MiB，不像 ywx 的配置文件".into());
        Error::not_configured(format!("配置文件 {} {why}", path.display()))
    })?;
    // Notepad on Chinese Windows may save GBK, or UTF-8 with a BOM.
    let text = crate::encoding::decode_config(&bytes);
    let base = path.parent().map(Path::to_path_buf);
    let config = Config::parse(&text, base.as_deref()).map_err(|e| {
        Error::not_configured(format!("配置文件 {} 有误：{}", path.display(), e.message))
    })?;
    Ok((config, ConfigSource::File(path)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_config_gets_defaults() {
        let c = Config::parse(
            r#"{"baseUrl":"http://test.51trust.com/","clientId":"1","clientSecret":"2017070411003360"}"#,
            None,
        )
        .unwrap();
        assert_eq!(c.base_url, "http://test.51trust.com");
        assert_eq!(c.timeout_ms, 15000);
        assert_eq!(c.retry.attempts, 3);
        assert_eq!(c.encoding, Encoding::Utf8);
        assert_eq!(c.masked()["clientSecret"], "20************60");
    }

    #[test]
    fn unknown_field_and_bad_url_are_named() {
        let e = Config::parse(
            r#"{"baseURL":"x","baseUrl":"http://a.b.c","clientId":"1","clientSecret":"2"}"#,
            None,
        )
        .unwrap_err();
        assert!(e.message.contains("baseURL"), "{}", e.message);
        let e = Config::parse(
            r#"{"baseUrl":"test.51trust.com","clientId":"1","clientSecret":"2"}"#,
            None,
        )
        .unwrap_err();
        assert!(e.message.contains("baseUrl"), "{}", e.message);
    }

    #[test]
    fn proxy_password_is_masked() {
        assert_eq!(
            mask_url_password("http://user:pw@10.0.0.1:8080"),
            "http://user:***@10.0.0.1:8080"
        );
        assert_eq!(
            mask_url_password("user:p@ss:w@10.0.0.1:3128"),
            "user:***@10.0.0.1:3128"
        );
        assert_eq!(
            mask_url_password("http://10.0.0.1:8080"),
            "http://10.0.0.1:8080"
        );
        assert_eq!(mask_url_password("http://user@host"), "http://user@host");
    }
}
