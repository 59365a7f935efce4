//! Field rules from the seed's tables, as data, and the checks behind them.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::Value;

use crate::digest::Alg;
use crate::error::{Error, Result};

/// The largest PDF the gateway takes (pdfBase64, appendixFileBase64).
pub const MAX_PDF_BYTES: usize = 2 * 1024 * 1024;

/// One row of a seed field table: where the field is, whether it must be
/// there, and what its value must look like.
pub struct Rule {
    /// `signType`, `head.templateId`, `body.urId`, or a query parameter.
    pub field: &'static str,
    pub need: Need,
    pub check: Check,
    /// Only for orders of this template family (sign data).
    pub only: Option<Family>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Required,
    Optional,
    /// Required unless `signType` is 4 (auth-binding: no doctor yet).
    UnlessSignType4,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Family {
    /// `hash`, `hash_NNN`: a digest is signed.
    Hash,
    /// `personRolesPdf`, `contract_*`, `office_*`, `personPdf`: a PDF is signed.
    Pdf,
}

pub enum Check {
    /// Present and not empty.
    Text,
    /// 1..=max letters or digits (urId).
    Alnum(usize),
    /// At most this many characters.
    MaxChars(usize),
    /// One of these values (numbers may come as strings).
    OneOf(&'static [&'static str]),
    /// An integer in this range (numbers may come as strings).
    Range(i64, i64),
    /// `true`/`false`, as JSON booleans or strings.
    Bool,
    /// `yyyy-MM-dd HH:mm:ss`.
    DateTime,
    /// At most 50 characters of Chinese, letters, digits, punctuation.
    Subject(usize),
    /// At most 5 comma-separated tags of at most 5 characters.
    Tags,
    /// SHA1 / SHA256 / SM3 (`SHA-256` too).
    HashAlg,
    /// Valid base64.
    Base64,
    /// Base64 of a PDF of at most 2 MiB.
    Pdf,
    /// Stamp areas of `personRolesPdf`.
    Roles,
    /// Template ids accepted: exact names and prefixes (`hash_`).
    Template {
        exact: &'static [&'static str],
        prefixes: &'static [&'static str],
    },
    /// The object at `field` has at least one of these keys, not empty.
    AnyOf(&'static [&'static str]),
}

impl Rule {
    pub const fn new(field: &'static str, need: Need, check: Check) -> Rule {
        Rule {
            field,
            need,
            check,
            only: None,
        }
    }

    pub const fn only(mut self, family: Family) -> Rule {
        self.only = Some(family);
        self
    }
}

/// `Rule::new(field, Required, check)`.
pub const fn req(field: &'static str, check: Check) -> Rule {
    Rule::new(field, Need::Required, check)
}

/// `Rule::new(field, Optional, check)`.
pub const fn opt(field: &'static str, check: Check) -> Rule {
    Rule::new(field, Need::Optional, check)
}

/// A value as text: strings as they are, numbers and booleans printed.
pub fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// Checks one rule against the value found at its field (None: absent).
pub fn check(rule: &Rule, value: Option<&Value>, sign_type_4: bool) -> Result<()> {
    let field = rule.field;
    let present = value.filter(|v| !is_blank(v));
    let Some(v) = present else {
        let required = match rule.need {
            Need::Required => true,
            Need::Optional => false,
            Need::UnlessSignType4 => !sign_type_4,
        };
        return if required {
            Err(Error::arg(field, "不能为空（接口文档中为必填）"))
        } else {
            Ok(())
        };
    };
    let text = || as_text(v).ok_or_else(|| Error::arg(field, "必须是字符串"));
    match &rule.check {
        Check::Text => {
            text()?;
        }
        Check::Alnum(max) => {
            let s = text()?;
            let n = s.chars().count();
            if n == 0 || n > *max || !s.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(Error::arg(
                    field,
                    format!("必须是1-{max}位字母或数字（现在是 \"{}\"）", clip(&s)),
                ));
            }
        }
        Check::MaxChars(max) => {
            let s = text()?;
            if s.chars().count() > *max {
                return Err(Error::arg(
                    field,
                    format!("最多 {max} 个字符（现在 {} 个）", s.chars().count()),
                ));
            }
        }
        Check::OneOf(allowed) => {
            let s = text()?;
            if !allowed.contains(&s.trim()) {
                return Err(Error::arg(
                    field,
                    format!("只能是 {}（现在是 \"{}\"）", allowed.join("、"), clip(&s)),
                ));
            }
        }
        Check::Range(lo, hi) => {
            let s = text()?;
            match s.trim().parse::<i64>() {
                Ok(n) if (*lo..=*hi).contains(&n) => {}
                _ => {
                    return Err(Error::arg(
                        field,
                        format!("必须是 {lo} 到 {hi} 之间的整数（现在是 \"{}\"）", clip(&s)),
                    ));
                }
            }
        }
        Check::Bool => {
            let s = text()?;
            if !matches!(s.as_str(), "true" | "false") {
                return Err(Error::arg(field, "只能是 true 或 false"));
            }
        }
        Check::DateTime => {
            let s = text()?;
            if chrono::NaiveDateTime::parse_from_str(&s, "%Y-%m-%d %H:%M:%S").is_err()
                || s.len() != 19
            {
                return Err(Error::arg(
                    field,
                    format!(
                        "格式必须是 yyyy-MM-dd HH:mm:ss，例如 2020-01-01 08:30:00（现在是 \"{}\"）",
                        clip(&s)
                    ),
                ));
            }
        }
        Check::Subject(max) => {
            let s = text()?;
            if s.chars().count() > *max {
                return Err(Error::arg(
                    field,
                    format!("最多 {max} 个字符（现在 {} 个）", s.chars().count()),
                ));
            }
            if let Some(c) = s.chars().find(|c| !subject_char(*c)) {
                return Err(Error::arg(
                    field,
                    format!(
                        "只能含中文、字母、数字和标点符号，不能含 \"{}\"",
                        c.escape_debug()
                    ),
                ));
            }
        }
        Check::Tags => {
            let s = text()?;
            let tags: Vec<&str> = s.split([',', '，']).collect();
            if tags.len() > 5 {
                return Err(Error::arg(
                    field,
                    format!("最多 5 个标签，用英文逗号分隔（现在 {} 个）", tags.len()),
                ));
            }
            if let Some(t) = tags.iter().find(|t| t.is_empty() || t.chars().count() > 5) {
                return Err(Error::arg(
                    field,
                    format!("每个标签 1-5 个字符（\"{t}\" 不符合），多个标签用英文逗号分隔"),
                ));
            }
        }
        Check::HashAlg => {
            let s = text()?;
            if Alg::parse(&s).is_none() {
                return Err(Error::arg(
                    field,
                    format!("只能是 SHA1、SHA256 或 SM3（现在是 \"{}\"）", clip(&s)),
                ));
            }
        }
        Check::Base64 => {
            let s = text()?;
            if B64.decode(s.trim()).is_err() {
                return Err(Error::arg(field, "必须是合法的 base64 编码"));
            }
        }
        Check::Pdf => match v.as_str() {
            // Borrowed: the text may be a 2.7 MB document.
            Some(s) => check_pdf(field, s)?,
            None => check_pdf(field, &text()?)?,
        },
        Check::Roles => check_roles(field, v)?,
        Check::Template { exact, prefixes } => {
            let s = text()?;
            let ok = exact.contains(&s.as_str())
                || prefixes.iter().any(|p| {
                    s.strip_prefix(p).is_some_and(|rest| {
                        !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric())
                    })
                });
            if !ok {
                let mut names: Vec<String> = exact.iter().map(|s| s.to_string()).collect();
                names.extend(prefixes.iter().map(|p| format!("{p}NNN")));
                return Err(Error::arg(
                    field,
                    format!("只能是 {}（现在是 \"{}\"）", names.join("、"), clip(&s)),
                ));
            }
        }
        Check::AnyOf(keys) => {
            let any = keys.iter().any(|k| v.get(k).is_some_and(|x| !is_blank(x)));
            if !any {
                return Err(Error::arg(
                    field,
                    format!("中 {} 不能同时为空", keys.join("、")),
                ));
            }
        }
    }
    Ok(())
}

fn subject_char(c: char) -> bool {
    c.is_alphanumeric() || c.is_ascii_punctuation() || c == ' ' || is_cjk_punctuation(c)
}

fn is_cjk_punctuation(c: char) -> bool {
    matches!(c,
        '\u{3000}'..='\u{303F}' // CJK symbols and punctuation: 、。〈〉《》「」【】
        | '\u{FF00}'..='\u{FFEF}' // full-width forms: ，：；（）！？
        | '\u{2010}'..='\u{2027}' // dashes, quotes, ellipsis
        | '\u{00B7}')
}

/// Valid base64 of a PDF of at most 2 MiB.
pub fn check_pdf(field: &str, s: &str) -> Result<()> {
    let s = s.trim();
    // 2 MiB decoded is at most this much base64; refuse before decoding.
    if s.len() > MAX_PDF_BYTES.div_ceil(3) * 4 + 4 {
        return Err(Error::arg(
            field,
            "解码后超过 2 MiB（接口文档：最大不超过2M）",
        ));
    }
    let bad = || {
        Error::arg(
            field,
            format!(
                "必须是 PDF 文件的 base64 编码（现在是 \"{}\"）；也可以改传 pdfFile 指定文件路径，由 ywx 读取并编码",
                clip(s)
            ),
        )
    };
    // Decoded piece by piece into a small buffer: checked without a copy of
    // the document. Padding may only end the text, as in a whole decode.
    let text = s.as_bytes();
    if text.len() % 4 != 0 || text[..text.len().saturating_sub(4)].contains(&b'=') {
        return Err(bad());
    }
    let mut piece = [0u8; 3072];
    let mut decoded = 0;
    let mut is_pdf = false;
    for (i, chunk) in text.chunks(4096).enumerate() {
        let n = B64.decode_slice(chunk, &mut piece).map_err(|_| bad())?;
        if i == 0 {
            is_pdf = piece[..n].starts_with(b"%PDF-");
        }
        decoded += n;
    }
    if decoded > MAX_PDF_BYTES {
        return Err(Error::arg(
            field,
            "解码后超过 2 MiB（接口文档：最大不超过2M）",
        ));
    }
    if !is_pdf {
        return Err(Error::arg(field, "解码后不是 PDF 文件（应以 %PDF- 开头）"));
    }
    Ok(())
}

fn check_roles(field: &str, v: &Value) -> Result<()> {
    let Some(roles) = v.as_array().filter(|a| !a.is_empty()) else {
        return Err(Error::arg(field, "必须是非空的盖章区域数组"));
    };
    for (i, role) in roles.iter().enumerate() {
        let at = |name: &str| format!("{field}[{i}].{name}");
        if !role.is_object() {
            return Err(Error::arg(format!("{field}[{i}]"), "必须是 JSON 对象"));
        }
        let get = |name: &str| role.get(name).filter(|x| !is_blank(x));
        let keyword = get("keyword").and_then(as_text);
        if let Some(k) = &keyword
            && k.chars().any(char::is_whitespace)
        {
            return Err(Error::arg(
                at("keyword"),
                "必须是连续字符，中间不能含有空格",
            ));
        }
        if keyword.is_none() {
            let page = get("locationPage")
                .and_then(as_text)
                .and_then(|s| s.parse::<i64>().ok());
            if page.is_none_or(|p| p < 1) {
                return Err(Error::arg(
                    at("locationPage"),
                    "没有 keyword 时必须给出盖章页码 locationPage（最小 1）和坐标 x、y",
                ));
            }
            for axis in ["x", "y"] {
                let n = get(axis)
                    .and_then(as_text)
                    .and_then(|s| s.parse::<f64>().ok());
                if n.is_none_or(|n| n <= 50.0) {
                    return Err(Error::arg(
                        at(axis),
                        "坐标必须大于 50（按关键字定位时可改传 keyword）",
                    ));
                }
            }
        }
        for (name, allowed) in [
            ("moveType", &["1", "2", "3"][..]),
            ("searchOrder", &["1", "2"][..]),
        ] {
            if let Some(x) = get(name) {
                let s = as_text(x).unwrap_or_default();
                if !allowed.contains(&s.as_str()) {
                    return Err(Error::arg(
                        at(name),
                        format!("只能是 {}", allowed.join("、")),
                    ));
                }
            }
        }
    }
    Ok(())
}

fn clip(s: &str) -> String {
    if s.chars().count() > 40 {
        let mut c: String = s.chars().take(40).collect();
        c.push('…');
        c
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(bytes: &[u8]) -> String {
        B64.encode(bytes)
    }

    #[test]
    fn pdf_check_decodes_piecewise_like_a_whole_decode() {
        let mut pdf = b"%PDF-1.4\n".to_vec();
        pdf.resize(MAX_PDF_BYTES, b'x');
        assert!(check_pdf("f", &b64(&pdf)).is_ok(), "exactly 2 MiB");
        assert!(check_pdf("f", &b64(b"%PDF-1.7 tiny")).is_ok());
        pdf.push(b'y');
        let e = check_pdf("f", &b64(&pdf)).unwrap_err();
        assert!(e.message.contains("2 MiB"), "{}", e.message);
        for bad in ["", "pdfBase64", "JVBERi0=JVBE", "JVBERi0xLjQ", "JVBE\nRi0x"] {
            assert!(check_pdf("f", bad).is_err(), "{bad:?}");
        }
        let e = check_pdf("f", &b64(b"PK\x03\x04 a zip")).unwrap_err();
        assert!(e.message.contains("%PDF-"), "{}", e.message);
        // Every byte of a long text is checked, not just the first piece.
        let mut text = b64(&pdf[..9000]);
        text.replace_range(8000..8001, "*");
        assert!(check_pdf("f", &text).is_err());
    }
}
