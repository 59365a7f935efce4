//! A tree written as JSON text: the bytes serde_json writes for the same
//! tree as a `Value` (compact; `"`, `\` and control characters escaped as
//! serde_json escapes them, nothing else; numbers as serde_json prints
//! them), written straight into one string (serde_json's serializer costs
//! several times as much for a request).

use std::fmt::Write;

use super::Json;
use super::parse::string_end;

/// How serde_json escapes a byte: 0 not at all, `u` as `\u00XX`, any other
/// as a backslash and that letter.
static ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = b'u';
        b += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0A] = b'n';
    table[0x0C] = b'f';
    table[0x0D] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

const HEX: &[u8; 16] = b"0123456789abcdef";

pub fn write(value: &Json, out: &mut String) {
    match value {
        Json::Null => out.push_str("null"),
        Json::Bool(true) => out.push_str("true"),
        Json::Bool(false) => out.push_str("false"),
        // serde_json prints a number as its Display does (itoa, ryu).
        Json::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Json::String(s) => write_str(s, out),
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        Json::Object(object) => {
            if let Some(text) = object.text {
                return out.push_str(text);
            }
            out.push('{');
            for (i, (key, value)) in object.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(key, out);
                out.push(':');
                write(value, out);
            }
            out.push('}');
        }
    }
}

fn write_str(s: &str, out: &mut String) {
    out.reserve(s.len() + 2);
    out.push('"');
    let mut rest = s;
    // The bytes escaped are the bytes that end a plain string.
    while let Some(at) = string_end(rest.as_bytes()) {
        let b = rest.as_bytes()[at];
        let escape = ESCAPE[usize::from(b)];
        // An escaped byte is ASCII: a str boundary on each side.
        out.push_str(&rest[..at]);
        out.push('\\');
        out.push(char::from(escape));
        if escape == b'u' {
            out.push_str("00");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xF)]));
        }
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::json::Json;

    #[test]
    fn every_character_and_number_as_serde_json_writes_it() {
        let every_ascii: String = (0u8..=0x7F).map(char::from).collect();
        let v = json!({
            "ascii": every_ascii,
            "wide": "é 中文 😀 \u{2028}\u{2029}\u{FEFF}",
            every_ascii.clone(): [0, 1, -1, u64::MAX, i64::MIN, 0.5, -0.0, 1e300, 5e-324,
                1.7976931348623157e308, 123456789.125, 1e21, 1e-7],
            "": {"nested": [[], {}, null, true, false, ""]},
        });
        assert_eq!(Json::from(v.clone()).to_json(), v.to_string());
        let floats: Value = serde_json::from_str("[1.0, 2.50, 1E2, -1e-2, 0.1e1]").unwrap();
        assert_eq!(Json::from(floats.clone()).to_json(), floats.to_string());
    }
}
