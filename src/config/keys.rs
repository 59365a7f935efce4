//! Every config key, its type, range and default, as data: checked at
//! `ywx_init` with a Chinese message naming the key (never the parser's
//! English), and compared with the README's config table by a test.

use serde_json::{Map, Value};

use crate::encoding::{GBK_NAMES, UTF8_NAMES};
use crate::error::{Error, Result};

/// What a key's value must be.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// The gateway's address (checked by [`super::url`]).
    Url,
    /// A string that must not be empty (numbers are taken as their text).
    Text,
    /// A string, or null for none.
    OptText,
    /// One of these names (case-insensitive), given in groups.
    Enum(&'static [&'static [&'static str]]),
    /// A whole number in this range (a numeric string is taken too).
    Int(u64, u64),
    /// true or false (`"true"`/`"false"` too).
    Bool,
    /// A file or directory path; null for none where the default is null.
    Path,
    /// A UTC offset, `±HH:MM` (`+08:00`).
    UtcOffset,
    /// An object of further keys.
    Section,
}

/// One config key.
pub struct ConfigKey {
    /// The key as written in the JSON, dotted inside a section (`retry.attempts`).
    pub path: &'static str,
    pub kind: Kind,
    pub required: bool,
    /// The default, as the README writes it.
    pub default: &'static str,
}

const fn key(path: &'static str, kind: Kind, default: &'static str) -> ConfigKey {
    ConfigKey {
        path,
        kind,
        required: false,
        default,
    }
}

const fn required(path: &'static str, kind: Kind) -> ConfigKey {
    ConfigKey {
        path,
        kind,
        required: true,
        default: "（必填）",
    }
}

pub const LOG_LEVELS: &[&str] = &["off", "error", "info", "debug"];
const KIB: u64 = 1024;

pub static KEYS: &[ConfigKey] = &[
    required("baseUrl", Kind::Url),
    required("clientId", Kind::Text),
    required("clientSecret", Kind::Text),
    key("sysTag", Kind::OptText, "null"),
    key(
        "encoding",
        Kind::Enum(&[UTF8_NAMES, GBK_NAMES]),
        "\"utf-8\"",
    ),
    key("connectTimeoutMs", Kind::Int(100, 600_000), "3000"),
    key("timeoutMs", Kind::Int(100, 600_000), "15000"),
    key("retry", Kind::Section, ""),
    key("retry.attempts", Kind::Int(1, 10), "3"),
    key("retry.backoffMs", Kind::Int(0, 60_000), "200"),
    key("proxy", Kind::OptText, "null"),
    key("tls", Kind::Section, ""),
    key("tls.caFile", Kind::Path, "null"),
    key("tls.systemStore", Kind::Bool, "true"),
    key("tls.insecure", Kind::Bool, "false"),
    key(
        "maxRequestBytes",
        Kind::Int(KIB, 64 * KIB * KIB),
        "16777216",
    ),
    key("outbox", Kind::Section, ""),
    key("outbox.path", Kind::Path, "\"ywx-outbox.db\""),
    key("outbox.enabled", Kind::Bool, "true"),
    key("outbox.background", Kind::Bool, "true"),
    key("outbox.retryIntervalMs", Kind::Int(100, 3_600_000), "5000"),
    key("outbox.purgeAfterHours", Kind::Int(0, 87_600), "168"),
    key("outbox.maxAttempts", Kind::Int(1, 1000), "20"),
    key("outbox.reconcileWindowMinutes", Kind::Int(1, 1440), "30"),
    key("gatewayTimeZone", Kind::UtcOffset, "\"+08:00\""),
    key("log", Kind::Section, ""),
    key("log.dir", Kind::Path, "\"logs\""),
    key("log.level", Kind::Enum(&[LOG_LEVELS]), "\"info\""),
    key("fileDir", Kind::Path, "null"),
    key("verify", Kind::Section, ""),
    key("verify.auto", Kind::Bool, "false"),
    key("verify.caFile", Kind::Path, "null"),
];

/// Whether `null` is a value of the key: "none" for the optional ones
/// (default null), "logging off" for `log.dir`.
fn nullable(k: &ConfigKey) -> bool {
    matches!(k.kind, Kind::OptText | Kind::Path) && (k.default == "null" || k.path == "log.dir")
}

fn not_configured(key: &str, why: impl AsRef<str>) -> Error {
    Error::not_configured(format!("配置项 {key} {}", why.as_ref()))
}

/// Checks the config object against [`KEYS`] and normalises what is
/// accepted in another spelling (numbers as strings and back), so that
/// deserialising it can no longer fail.
pub fn check(root: &mut Map<String, Value>) -> Result<()> {
    check_section(root, "")?;
    for k in KEYS.iter().filter(|k| k.required) {
        if root.get(k.path).is_none_or(Value::is_null) {
            return Err(not_configured(
                k.path,
                "不能缺少（必填：baseUrl、clientId、clientSecret）",
            ));
        }
    }
    fill_defaults(root);
    Ok(())
}

/// A key's default, as a JSON value: the defaults are [`KEYS`]', nowhere
/// else (the README's config table is checked against them too).
pub fn default_of(k: &ConfigKey) -> Value {
    serde_json::from_str(k.default).unwrap_or(Value::Null)
}

/// Writes each absent key's default into the config object, sections
/// made as needed.
fn fill_defaults(root: &mut Map<String, Value>) {
    for k in KEYS.iter().filter(|k| !k.required) {
        let (section, name) = match k.path.split_once('.') {
            Some((s, n)) => (Some(s), n),
            None => (None, k.path),
        };
        let obj = match section {
            None => &mut *root,
            Some(s) => match root
                .entry(s)
                .or_insert_with(|| Value::Object(Map::new()))
                .as_object_mut()
            {
                Some(obj) => obj,
                None => continue,
            },
        };
        let default = match k.kind {
            Kind::Section => Value::Object(Map::new()),
            _ => default_of(k),
        };
        obj.entry(name).or_insert(default);
    }
}

fn check_section(obj: &mut Map<String, Value>, prefix: &str) -> Result<()> {
    let names: Vec<String> = obj.keys().cloned().collect();
    for name in names {
        let path = format!("{prefix}{name}");
        let Some(k) = KEYS.iter().find(|k| k.path == path) else {
            return Err(unknown(&path, prefix));
        };
        let value = obj.get_mut(&name).expect("listed above");
        if let Kind::Section = k.kind {
            match value {
                // null: the section's defaults.
                Value::Null => {
                    obj.remove(&name);
                }
                Value::Object(inner) => check_section(inner, &format!("{path}."))?,
                _ => return Err(not_configured(&path, "必须是 JSON 对象 {...}")),
            }
            continue;
        }
        check_value(k, value)?;
    }
    Ok(())
}

fn unknown(path: &str, prefix: &str) -> Error {
    let lower = path.to_ascii_lowercase();
    let close = KEYS
        .iter()
        .find(|k| k.path.to_ascii_lowercase() == lower)
        .map(|k| format!("（是不是 {}？键名区分大小写）", k.path))
        .unwrap_or_default();
    let known: Vec<&str> = KEYS
        .iter()
        .filter(|k| k.path.starts_with(prefix) && !k.path[prefix.len()..].contains('.'))
        .map(|k| k.path)
        .collect();
    Error::not_configured(format!(
        "配置中没有 {path} 这一项{close}。可用的项：{}",
        known.join("、")
    ))
}

/// Checks one value; rewrites accepted spellings in place.
fn check_value(k: &ConfigKey, value: &mut Value) -> Result<()> {
    let path = k.path;
    match (k.kind, &*value) {
        (_, Value::Null) if nullable(k) => Ok(()),
        (_, Value::Null) if !k.required => Err(not_configured(
            path,
            format!("不能是 null：不写这一项即用默认值 {}", k.default),
        )),
        (Kind::Url | Kind::Text | Kind::OptText | Kind::Path, Value::Number(n)) => {
            *value = Value::String(n.to_string());
            check_value(k, value)
        }
        (Kind::Url | Kind::Text, Value::String(s)) if s.trim().is_empty() => {
            Err(not_configured(path, "不能为空"))
        }
        (Kind::Url, Value::String(s)) => {
            super::url::check(path, s).map(|url| *value = Value::String(url))
        }
        (Kind::UtcOffset, Value::String(s)) if parse_utc_offset(s).is_some() => Ok(()),
        (Kind::UtcOffset, _) => Err(not_configured(
            path,
            "必须是 UTC 偏移 ±HH:MM，例如 \"+08:00\"（中国标准时间，网关的默认时区）",
        )),
        (Kind::Text | Kind::OptText | Kind::Path, Value::String(_)) => Ok(()),
        (Kind::Enum(allowed), Value::String(s))
            if allowed
                .iter()
                .flat_map(|g| g.iter())
                .any(|a| a.eq_ignore_ascii_case(s)) =>
        {
            *value = Value::String(s.to_ascii_lowercase());
            Ok(())
        }
        (Kind::Enum(allowed), _) => Err(not_configured(
            path,
            format!("只能是 {}", allowed.concat().join("、")),
        )),
        (Kind::Int(lo, hi), v) => {
            let n = match v {
                Value::Number(n) => n.as_u64(),
                Value::String(s) => s.trim().parse::<u64>().ok(),
                _ => None,
            };
            match n {
                Some(n) if (lo..=hi).contains(&n) => {
                    *value = Value::from(n);
                    Ok(())
                }
                _ => Err(not_configured(
                    path,
                    format!("必须是 {lo} 到 {hi} 之间的整数（默认 {}）", k.default),
                )),
            }
        }
        (Kind::Bool, Value::Bool(_)) => Ok(()),
        (Kind::Bool, Value::String(s)) if s == "true" || s == "false" => {
            *value = Value::Bool(s == "true");
            Ok(())
        }
        (Kind::Bool, _) => Err(not_configured(path, "只能是 true 或 false")),
        (_, _) => Err(not_configured(path, "必须是字符串")),
    }
}

/// `+08:00` → 480 (minutes east of UTC); `-03:30` → -210. At most ±14:00.
pub fn parse_utc_offset(s: &str) -> Option<i32> {
    let b = s.trim().as_bytes();
    if b.len() != 6 || b[3] != b':' {
        return None;
    }
    let sign = match b[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let two = |i: usize| -> Option<i32> {
        (b[i].is_ascii_digit() && b[i + 1].is_ascii_digit())
            .then(|| i32::from(b[i] - b'0') * 10 + i32::from(b[i + 1] - b'0'))
    };
    let (h, m) = (two(1)?, two(4)?);
    (m < 60 && h * 60 + m <= 14 * 60).then_some(sign * (h * 60 + m))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn checked(v: Value) -> Result<Value> {
        let mut v = v;
        check(v.as_object_mut().unwrap())?;
        Ok(v)
    }

    fn base() -> Value {
        json!({"baseUrl": "http://test.51trust.com", "clientId": "1", "clientSecret": "2"})
    }

    fn with(path: &str, value: Value) -> Value {
        let mut v = base();
        match path.split_once('.') {
            Some((section, key)) => v[section] = json!({ key: value }),
            None => v[path] = value,
        }
        v
    }

    #[test]
    fn every_range_is_refused_in_chinese_naming_the_key() {
        for (path, bad) in [
            ("timeoutMs", json!(0)),
            ("timeoutMs", json!(-1)),
            ("connectTimeoutMs", json!(600_001)),
            ("retry.attempts", json!(11)),
            ("retry.backoffMs", json!(1e15)),
            ("outbox.retryIntervalMs", json!(99)),
            ("outbox.maxAttempts", json!(0)),
            ("outbox.reconcileWindowMinutes", json!(1441)),
            ("maxRequestBytes", json!(1023)),
            ("tls.insecure", json!("yes")),
            ("log.level", json!("verbose")),
            ("encoding", json!("latin1")),
            ("retry", json!(3)),
        ] {
            let e = checked(with(path, bad.clone())).unwrap_err();
            assert!(e.message.contains(path), "{path} {bad}: {}", e.message);
            for english in ["invalid", "expected", "missing field"] {
                assert!(!e.message.contains(english), "{}", e.message);
            }
        }
    }

    #[test]
    fn defaults_come_from_the_key_table_and_parse() {
        for k in KEYS
            .iter()
            .filter(|k| !k.required && !matches!(k.kind, Kind::Section))
        {
            assert!(
                serde_json::from_str::<Value>(k.default).is_ok(),
                "{}: {}",
                k.path,
                k.default
            );
        }
        let v = checked(base()).unwrap();
        assert_eq!(v["timeoutMs"], 15000);
        assert_eq!(v["outbox"]["maxAttempts"], 20);
        assert_eq!(v["log"]["dir"], "logs");
        assert_eq!(v["gatewayTimeZone"], "+08:00");
        let v = checked(with("log.dir", Value::Null)).unwrap();
        assert_eq!(v["log"]["dir"], Value::Null, "null is a value: logging off");
        assert_eq!(
            v["log"]["level"], "info",
            "the rest of the section defaulted"
        );
    }

    #[test]
    fn utc_offsets() {
        assert_eq!(parse_utc_offset("+08:00"), Some(480));
        assert_eq!(parse_utc_offset("-03:30"), Some(-210));
        assert_eq!(parse_utc_offset("+00:00"), Some(0));
        for bad in ["08:00", "+8:00", "+08:60", "+15:00", "UTC", "+08:00:00"] {
            assert_eq!(parse_utc_offset(bad), None, "{bad}");
            let e = checked(with("gatewayTimeZone", json!(bad))).unwrap_err();
            assert!(e.message.contains("gatewayTimeZone"), "{}", e.message);
        }
    }

    #[test]
    fn missing_and_unknown_keys_are_named() {
        let e = checked(json!({"baseUrl": "http://a.b", "clientId": "1"})).unwrap_err();
        assert!(e.message.contains("clientSecret"), "{}", e.message);
        let e = checked(with("baseURL", json!("x"))).unwrap_err();
        assert!(e.message.contains("是不是 baseUrl"), "{}", e.message);
    }

    #[test]
    fn other_spellings_are_normalised() {
        let v = checked(with("retry.attempts", json!("5"))).unwrap();
        assert_eq!(v["retry"]["attempts"], 5);
        let v = checked(with("encoding", json!("GBK"))).unwrap();
        assert_eq!(v["encoding"], "gbk");
        let mut v = base();
        v["clientId"] = json!(2017070411003376u64);
        v["log"] = Value::Null;
        let v = checked(v).unwrap();
        assert_eq!(v["clientId"], "2017070411003376");
        assert_eq!(v["log"]["dir"], "logs", "a null section: its defaults");
    }
}
