//! Text encodings at the boundary: UTF-8, or GBK read and written as GB18030.

use std::borrow::Cow;

use encoding_rs::GB18030;

use serde::{Deserialize, Serialize};

use crate::codes;
use crate::error::{Error, Result};

/// The names of UTF-8 the config accepts (any case).
pub const UTF8_NAMES: &[&str] = &["utf-8", "utf8"];
/// The names of GBK: in the config's `encoding` and in a reply's declared
/// `charset` (any case), all read and written as GB18030, GBK's superset.
pub const GBK_NAMES: &[&str] = &["gbk", "gb2312", "gb18030", "cp936"];

/// Whether `name` names GBK (or a relative).
pub fn is_gbk_name(name: &str) -> bool {
    is_gbk_name_bytes(name.as_bytes())
}

/// [`is_gbk_name`] of bytes (a header's).
pub fn is_gbk_name_bytes(name: &[u8]) -> bool {
    GBK_NAMES
        .iter()
        .any(|n| n.as_bytes().eq_ignore_ascii_case(name))
}

/// The string encoding of every `char *` crossing the boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum Encoding {
    #[default]
    #[serde(rename = "utf-8")]
    Utf8,
    /// GBK callers; decoded and encoded as GB18030, its superset.
    #[serde(rename = "gbk")]
    Gbk,
}

impl<'de> Deserialize<'de> for Encoding {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if UTF8_NAMES.iter().any(|n| n.eq_ignore_ascii_case(&s)) {
            Ok(Encoding::Utf8)
        } else if is_gbk_name(&s) {
            Ok(Encoding::Gbk)
        } else {
            Err(serde::de::Error::custom(format!(
                "encoding 只能是 \"utf-8\" 或 \"gbk\"，而不是 \"{s}\""
            )))
        }
    }
}

/// Decodes the caller's bytes; invalid bytes are an error, never mojibake.
pub fn decode<'a>(bytes: &'a [u8], encoding: Encoding, what: &str) -> Result<Cow<'a, str>> {
    match encoding {
        Encoding::Utf8 => match std::str::from_utf8(bytes) {
            Ok(s) => Ok(Cow::Borrowed(s)),
            Err(e) => Err(Error::new(
                &codes::INVALID_ENCODING,
                format!(
                    "{what}不是合法的 UTF-8 文本（第 {} 个字节起无效）。若调用方使用 ANSI/GBK 字符串，请在配置中设置 \"encoding\": \"gbk\"",
                    e.valid_up_to() + 1
                ),
            )),
        },
        Encoding::Gbk => GB18030
            .decode_without_bom_handling_and_without_replacement(bytes)
            .map(|s| Cow::Owned(s.into_owned()))
            .ok_or_else(|| {
                Error::new(
                    &codes::INVALID_ENCODING,
                    format!(
                        "{what}不是合法的 GBK/GB18030 文本。若调用方传的是 UTF-8 字符串，请在配置中设置 \"encoding\": \"utf-8\""
                    ),
                )
            }),
    }
}

/// [`encode`], taking the text: UTF-8 is passed on without a copy.
pub fn encode_owned(text: String, encoding: Encoding) -> Vec<u8> {
    match encoding {
        Encoding::Utf8 => text.into_bytes(),
        Encoding::Gbk => encode(&text, encoding),
    }
}

/// Encodes a result for the caller. JSON text never holds a NUL byte
/// (serde_json escapes control characters), so the result is a valid C string.
pub fn encode(text: &str, encoding: Encoding) -> Vec<u8> {
    match encoding {
        Encoding::Utf8 => text.as_bytes().to_vec(),
        Encoding::Gbk => GB18030.encode(text).0.into_owned(),
    }
}

/// A config file's text: UTF-8 (with or without BOM), else GB18030.
pub fn decode_config(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => GB18030.decode_without_bom_handling(bytes).0.into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gbk_round_trip() {
        let gbk = encode("医网信 签名", Encoding::Gbk);
        assert_eq!(&gbk[..2], &[0xD2, 0xBD]); // 医 in GBK
        assert_eq!(decode(&gbk, Encoding::Gbk, "请求").unwrap(), "医网信 签名");
    }

    #[test]
    fn invalid_bytes_are_errors() {
        let e = decode(&[0x81], Encoding::Gbk, "请求").unwrap_err();
        assert_eq!(e.code.name, "INVALID_ENCODING");
        let e = decode(&[b'{', 0xFF], Encoding::Utf8, "请求").unwrap_err();
        assert_eq!(e.code.name, "INVALID_ENCODING");
        assert!(e.message.contains("第 2 个字节"), "{}", e.message);
    }
}
