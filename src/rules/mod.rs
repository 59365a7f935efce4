//! Field rules from the vendor document's tables, as data, and the checks
//! behind them. A rule names where a field is, whether it must be there,
//! and what its value must look like; `check` runs one rule.
//!
//! Messages never quote a value longer than 8 characters, nor any value of
//! a patient field or of `originData` ([`shown`]): patient data never reaches
//! a message, a log or a screenshot.

mod pdf;
mod text;

use crate::error::{Error, Result};
use crate::json::Json;

pub use pdf::{MAX_PDF_BYTES, check_pdf};

/// One row of a field table: where the field is, whether it must be there,
/// and what its value must look like.
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
    /// The document's table says 是.
    Required,
    Optional,
    /// Required unless `signType` is 4 (auth-binding: no doctor yet); the
    /// table says 否 and its description "signType=4 auth签名时可空".
    UnlessSignType4,
    /// The document's table says 否, but ywx requires it; the text says why.
    Ours(&'static str),
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
    /// At most this many characters of Chinese, letters, digits, punctuation.
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

/// Checks one rule against the value found at its field (None: absent).
pub fn check(rule: &Rule, value: Option<&Json>, sign_type_4: bool) -> Result<()> {
    let field = rule.field;
    let Some(v) = value.filter(|v| !v.is_blank()) else {
        return missing(rule, sign_type_4);
    };
    match &rule.check {
        Check::Pdf => match v.as_str() {
            // Borrowed: the text may be a 2.7 MB document.
            Some(s) => check_pdf(field, s),
            None => Err(Error::arg(field, "必须是字符串")),
        },
        Check::Roles => pdf::check_roles(field, v),
        Check::AnyOf(keys) => {
            if keys.iter().any(|k| v.get(k).is_some_and(|x| !x.is_blank())) {
                Ok(())
            } else {
                Err(Error::arg(
                    field,
                    format!("中 {} 不能同时为空", keys.join("、")),
                ))
            }
        }
        check => {
            let s = v.text().ok_or_else(|| Error::arg(field, "必须是字符串"))?;
            text::check(field, check, &s)
        }
    }
}

fn missing(rule: &Rule, sign_type_4: bool) -> Result<()> {
    let why = match rule.need {
        Need::Optional => return Ok(()),
        Need::UnlessSignType4 if sign_type_4 => return Ok(()),
        Need::Required => "不能为空（接口文档中为必填）",
        Need::UnlessSignType4 => {
            "不能为空：signType 0 推送给指定医师，必须给出医师的 openId（只有 signType 4 扫码绑定时可以不填）"
        }
        Need::Ours(why) => why,
    };
    Err(Error::arg(rule.field, why))
}

/// How a message shows a value: quoted when it is short and not patient
/// data, otherwise only its length.
pub fn shown(field: &str, value: &str) -> String {
    let name = field.rsplit('.').next().unwrap_or(field);
    let private = name.starts_with("patient") || name == "originData";
    let n = value.chars().count();
    if private || n > 8 {
        format!("现在是 {n} 个字符")
    } else {
        format!("现在是 \"{}\"", value.escape_debug())
    }
}

/// Whether a caller's text looks like an order key or an identifier (urId,
/// uniqueId, requestId, a method name): ASCII letters, digits, `_` and `-`,
/// at most 64 of them. Only such text is logged or quoted whatever its
/// length; anything else could be a patient's data in the wrong field.
pub fn looks_like_key(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}
