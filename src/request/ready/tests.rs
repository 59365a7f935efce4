//! The shortcut answers as the long way does: for requests made up from
//! each endpoint's own fields (rules, defaults, credentials, conveniences,
//! log keys) with values right and wrong, compact or spaced, with keys
//! given twice, a request the shortcut takes is sent as the long way
//! writes it, refused with the long way's error, and logged under the
//! same key.

use super::*;
use crate::endpoints::ALL;
use crate::json::parse_plain;
use crate::request::{Prepared, fill_from_config, log_key, prepare};

const VALUES: &[&str] = &[
    r#""U1""#,
    r#""2017070411003376""#,
    r#""AB12""#,
    r#""""#,
    r#"" ""#,
    r#""中文""#,
    r#""hash_023""#,
    r#""2024-01-01 12:00:00""#,
    r#""SF""#,
    r#""男""#,
    r#""0""#,
    r#""1""#,
    r#""SHA256""#,
    r#""aa69bbd2b150006aq5164wfe4dybd786d1a""#,
    r#""aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa""#,
    "1",
    "0",
    "-5",
    "true",
    "null",
    "{}",
    r#"{"a":1}"#,
    "[]",
    r#"["x"]"#,
];

/// Every field a request of `ep` may be about, as dotted paths.
fn fields(ep: &Endpoint) -> Vec<&'static str> {
    let mut fields: Vec<&'static str> = ep
        .rules
        .iter()
        .flat_map(|g| g.iter().map(|r| r.field))
        .chain(ep.defaults.iter().map(|(f, _)| *f))
        .collect();
    fields.extend([
        "head.clientId",
        "head.clientSecret",
        "head.sysTag",
        "head.templateId",
        "head.uniqueId",
        "head.appendixFile",
        "body.sysTag",
        "body.originData",
        "body.pdfFile",
        "body.urId",
        "body.uniqueId",
        "body.extra",
        "sysTag",
        "requestId",
        "uniqueId",
        "urId",
        "signType",
        "msg.body.urId",
    ]);
    fields
}

/// A request of some of `fields`: an object per first segment, the rest
/// of the path nested below it.
fn request(rand: &mut impl FnMut(u64) -> u64, fields: &[&str], defaults: &[&str]) -> String {
    let mut below = |n: usize| rand(n as u64) as usize;
    // (path, value) picked; credentials and uniqueId mostly right.
    let mut picked: Vec<(Vec<&str>, String)> = Vec::new();
    for f in fields {
        // Rare: a convenience, or an object two levels down (both take
        // the long way).
        let convenience = matches!(
            *f,
            "head.appendixFile" | "body.originData" | "body.pdfFile" | "msg.body.urId"
        );
        let default = defaults.contains(f)
            || matches!(
                *f,
                "head.clientId" | "head.clientSecret" | "head.sysTag" | "body.sysTag"
            );
        let skip = match () {
            _ if convenience => below(8) > 0,
            _ if default => below(8) == 0,
            _ => below(3) == 0,
        };
        if skip {
            continue;
        }
        let value = match *f {
            _ if default && below(4) > 0 => r#""1""#.to_string(),
            "head.clientId" | "head.clientSecret" | "head.sysTag" if below(4) > 0 => {
                r#""given""#.to_string()
            }
            "body.uniqueId" if below(3) > 0 => r#""U1""#.to_string(),
            _ => match VALUES[below(VALUES.len())] {
                v if v.starts_with('{') && below(6) > 0 => "1".to_string(),
                v => v.to_string(),
            },
        };
        picked.push((f.split('.').collect(), value));
    }
    if below(8) == 0 {
        // A key given twice.
        if let Some(p) = picked.first().cloned() {
            picked.push(p);
        }
    }
    let mut tops: Vec<&str> = picked.iter().map(|(p, _)| p[0]).collect();
    tops.dedup();
    if below(10) > 0 && !tops.contains(&"body") {
        tops.push("body");
    }
    let mut out = String::from("{");
    let space = below(10) == 0;
    for (i, top) in tops.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if space {
            out.push(' ');
        }
        out.push_str(&format!("\"{top}\":"));
        out.push_str(&object_of(&picked, &[top]));
    }
    out.push('}');
    out
}

/// The value at `prefix`: an object of what lies under it, or its value.
fn object_of(picked: &[(Vec<&str>, String)], prefix: &[&str]) -> String {
    if let Some((_, v)) = picked.iter().find(|(p, _)| p.as_slice() == prefix) {
        return v.clone();
    }
    let mut keys: Vec<&str> = Vec::new();
    for (p, _) in picked {
        if p.len() > prefix.len() && p.starts_with(prefix) {
            keys.push(p[prefix.len()]);
        }
    }
    let mut out = String::from("{");
    for (i, k) in keys.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let mut path = prefix.to_vec();
        path.push(k);
        out.push_str(&format!("\"{k}\":{}", object_of(picked, &path)));
    }
    out.push('}');
    out
}

#[test]
fn takes_only_what_the_long_way_would_send_unchanged() {
    let configs = [
        r#"{"baseUrl":"http://127.0.0.1:1","clientId":"cid","clientSecret":"sec","sysTag":"his"}"#,
        r#"{"baseUrl":"http://127.0.0.1:1","clientId":"cid","clientSecret":"sec"}"#,
    ]
    .map(|c| Config::parse(c, None).unwrap());
    let mut rand = crate::testing::xorshift(0x9E37_79B9_7F4A_7C15);
    let (mut sent, mut refused, mut long) = (0, 0, 0);
    for ep in ALL.iter().filter(|ep| {
        ep.shape == Shape::HeadBody && ep.delivery == Delivery::Retry && ep.http == Http::Post
    }) {
        let fields = fields(ep);
        let defaults: Vec<&str> = ep.defaults.iter().map(|(f, _)| *f).collect();
        for n in 0..4000 {
            let config = &configs[n % 2];
            let text = request(&mut rand, &fields, &defaults);
            let tree = parse_plain(&text)
                .or_else(|| {
                    serde_json::from_str::<serde_json::Value>(&text)
                        .ok()
                        .map(Json::from)
                })
                .unwrap_or_else(|| panic!("not JSON: {text}"));
            let key = log_key(&tree);
            let long_way = prepare(ep, tree).map(|Prepared { mut value, files }| {
                assert!(files.is_empty());
                fill_from_config(ep, config, &mut value);
                value.to_json()
            });
            let Some(ready) = ready(ep, config, &text) else {
                long += 1;
                continue;
            };
            assert_eq!(ready.log_key(), key, "{} {text}", ep.name);
            match (ready.check(ep), long_way) {
                (Ok(()), Ok(written)) => {
                    assert_eq!(written, text, "{}: the long way writes it anew", ep.name);
                    sent += 1;
                }
                (Err(a), Err(b)) => {
                    assert_eq!(a.envelope(), b.envelope(), "{} {text}", ep.name);
                    refused += 1;
                }
                (a, b) => panic!("{} {text}: shortcut {a:?}, long way {b:?}", ep.name),
            }
        }
    }
    eprintln!("sent as is {sent}, refused {refused}, the long way {long}");
    assert!(
        sent > 1000 && refused > 1000 && long > 1000,
        "{sent} {refused} {long}"
    );
}
