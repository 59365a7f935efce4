//! The plain reader against serde_json: whatever it reads, serde_json reads
//! as the same tree (and `value::too_deep` lets through); what it leaves,
//! it leaves whole.

use serde_json::Value;

use super::{ENDS_STRING, parse_plain, string_end};
use crate::json::{Json, plain_paths};
use crate::value::{MAX_DEPTH, too_deep};

/// `text` is read here, as serde_json reads it.
fn same_as_serde(text: &str) {
    let ours = parse_plain(text).unwrap_or_else(|| panic!("not read: {text:?}"));
    agrees(text, ours);
}

fn agrees(text: &str, ours: Json) {
    let theirs: Value = serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("read here, refused by serde_json ({e}): {text:?}"));
    assert_eq!(too_deep(text.as_bytes(), MAX_DEPTH), None, "{text:?}");
    assert_eq!(ours.to_json(), theirs.to_string(), "{text:?}");
    assert_eq!(ours, Json::from(theirs.clone()), "{text:?}");
    assert_eq!(ours.into_value(), theirs, "{text:?}");
}

#[test]
fn plain_requests_are_read_as_serde_json_reads_them() {
    let deepest = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
    let widest = format!(
        "{{{}}}",
        (0..64)
            .map(|i| format!("\"k{i}\":{i}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    for text in [
        r#"{"head":{"clientId":"2017070411003376"},"body":{"uniqueId":"Y17964041"}}"#,
        " \t\r\n{ \"a\" : [ 1 , -2 , 0 , true , false , null , \"\" , { } , [ ] ] } \n",
        r#"{"a":1,"b":2,"a":3}"#,
        r#"{"a":{"x":1},"a":"replaced, first place kept","b":0}"#,
        r#"{"姓名":"张三","patientAge":11,"n":999999999999999999,"m":-999999999999999999}"#,
        "{\"s\":\"é 😀 \u{7f} \u{2028} /\"}",
        r#"{"a$":"$ only at a key's start is left","b":"$x"}"#,
        "[]",
        "\"a string\"",
        "0",
        "-7",
        "true",
        "null",
        &deepest,
        &widest,
    ] {
        same_as_serde(text);
    }
}

#[test]
fn anything_else_is_left_to_serde_json() {
    let too_deep_text = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
    let too_wide = format!(
        "{{{}}}",
        (0..65)
            .map(|i| format!("\"k{i}\":{i}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    for text in [
        "",
        "   ",
        "\u{3000}{}",
        "\u{feff}{}",
        r#"{"a":"\""}"#,
        r#"{"a":"\u00e9"}"#,
        r#"{"a\/b":1}"#,
        "{\"a\":\"tab\there\"}",
        r#"{"a":1.5}"#,
        r#"{"a":1e3}"#,
        r#"{"a":1E3}"#,
        r#"{"a":-0}"#,
        r#"{"a":01}"#,
        r#"{"a":1234567890123456789}"#,
        r#"{"a":-}"#,
        r#"{"a":+1}"#,
        r#"{"$serde_json::private::RawValue":"[1]"}"#,
        r#"{"$a":1}"#,
        r#"{"a":1,}"#,
        r#"[1,]"#,
        r#"{a:1}"#,
        r#"{'a':1}"#,
        r#"{"a" 1}"#,
        r#"{"a":tru}"#,
        r#"{"a":nul}"#,
        r#"{"a":NaN}"#,
        r#"{"a":1} x"#,
        r#"{"a":1}{}"#,
        r#"{"a":[1 2]}"#,
        r#"{"a":"unterminated}"#,
        "{\"a\":1",
        &too_deep_text,
        &too_wide,
    ] {
        assert!(parse_plain(text).is_none(), "read: {text:?}");
    }
}

/// A small deterministic generator (xorshift) of JSON-like texts, some
/// valid, some broken by a byte: whatever the plain reader reads,
/// serde_json reads the same.
#[test]
fn random_texts_read_here_are_read_the_same_by_serde_json() {
    let mut rand = crate::testing::xorshift(0x9E37_79B9_7F4A_7C15);
    const PIECES: &[&str] = &[
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        " ",
        "\n",
        "\"a\"",
        "\"b\"",
        "\"uniqueId\"",
        "\"\"",
        "\"张\"",
        "\"$k\"",
        "\"\\n\"",
        "0",
        "7",
        "-1",
        "-0",
        "10",
        "01",
        "1.5",
        "2e3",
        "123456789012345678",
        "1234567890123456789",
        "true",
        "false",
        "null",
        "x",
        "\"",
    ];
    let (mut read, mut scanned) = (0, 0);
    for _ in 0..200_000 {
        let text = match rand(3) {
            // Structured: a random object of random values.
            0 | 1 => value(&mut rand, 0),
            // Noise.
            _ => (0..rand(12))
                .map(|_| PIECES[rand(PIECES.len() as u64) as usize])
                .collect(),
        };
        let text = match rand(4) {
            0 if !text.is_empty() => {
                let mut b = text.into_bytes();
                let at = rand(b.len() as u64) as usize;
                let piece = PIECES[rand(PIECES.len() as u64) as usize];
                b.splice(at..at, piece.bytes());
                String::from_utf8(b).unwrap_or_default()
            }
            _ => text,
        };
        if let Some(ours) = parse_plain(&text) {
            read += 1;
            agrees(&text, ours);
        }
        if let Some(found) = plain_paths(&text, [&["a"], &["body", "uniqueId"]]) {
            scanned += 1;
            let theirs: Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("scanned here, refused by serde_json ({e}): {text:?}"));
            let at = |v: Option<&Value>| v.cloned().map(Json::from);
            assert_eq!(found.is_object, theirs.is_object(), "{text:?}");
            assert_eq!(found.values[0], at(theirs.get("a")), "{text:?}");
            let unique_id = theirs.get("body").and_then(|b| b.get("uniqueId"));
            assert_eq!(found.values[1], at(unique_id), "{text:?}");
        }
    }
    assert!(read > 50_000, "the plain reader read only {read} texts");
    assert!(scanned >= read, "scanned {scanned}, read {read}");
}

fn value(rand: &mut impl FnMut(u64) -> u64, depth: usize) -> String {
    const SCALARS: &[&str] = &[
        "0",
        "42",
        "-5",
        "true",
        "false",
        "null",
        "\"\"",
        "\"s\"",
        "\"中文\"",
        "\"a b\"",
        "999999999999999999",
    ];
    const KEYS: &[&str] = &["a", "b", "c", "head", "body", "urId", "uniqueId"];
    match rand(if depth > 3 { 1 } else { 4 }) {
        0 => SCALARS[rand(SCALARS.len() as u64) as usize].to_string(),
        1 => {
            let items: Vec<String> = (0..rand(4)).map(|_| value(rand, depth + 1)).collect();
            format!("[{}]", items.join(","))
        }
        _ => {
            let entries: Vec<String> = (0..rand(5))
                .map(|_| {
                    let key = KEYS[rand(KEYS.len() as u64) as usize];
                    let space = [" ", "", "\n"][rand(3) as usize];
                    format!("{space}\"{key}\"{space}:{space}{}", value(rand, depth + 1))
                })
                .collect();
            format!("{{{}}}", entries.join(","))
        }
    }
}

/// Eight bytes at a time finds the byte one at a time finds: every byte
/// value, at every place of a chunk and of the tail, after any bytes.
#[test]
fn strings_end_where_a_byte_at_a_time_says() {
    let plain = |b: &u8| !ENDS_STRING[usize::from(*b)];
    let fillers: [&[u8]; 3] = [
        b"abcdefghijklmnopq",
        "é中😀αβγδεζ".as_bytes(),
        &[0x7F, 0x80, 0xFF, 0x21, 0x5B, 0x5D, 0xC0],
    ];
    for filler in fillers {
        for len in 0..24 {
            let prefix: Vec<u8> = filler.iter().copied().cycle().take(len).collect();
            assert!(prefix.iter().all(plain));
            for b in 0..=255u8 {
                let mut bytes = prefix.clone();
                bytes.push(b);
                bytes.extend_from_slice(b"xyz\\");
                let naive = bytes.iter().position(|b| !plain(b));
                assert_eq!(string_end(&bytes), naive, "{bytes:?}");
            }
            assert_eq!(string_end(&prefix), None, "{prefix:?}");
        }
    }
}
