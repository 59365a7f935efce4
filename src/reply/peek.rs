//! The few fields of an answer the library reads itself — `status` and
//! `data.uniqueId` — from a text that is checked to be JSON all through.
//! Most answers are passed on as text: they are not made a serde_json
//! `Value`. A plain answer (`json::plain_paths`: no escapes, integers,
//! not too deep) is checked in one pass that reads only the two fields;
//! any other is read by serde_json, through the visitors below, which also
//! keep nothing else. Both answer the same for the same text.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::status_text;
use crate::json::{self, Found, Json};

/// What `status` is.
#[derive(Debug, PartialEq, Eq)]
pub enum Status {
    Missing,
    Text(Cow<'static, str>),
    /// An integer: the text must be rewritten with it as a string.
    Integer,
    Null,
    Object,
    Array,
    /// A fraction or a boolean.
    Other,
}

/// An answer, peeked at.
#[derive(Debug, PartialEq, Eq)]
pub enum Peeked {
    NotObject,
    Object {
        status: Status,
        unique_id: Option<String>,
    },
}

/// Peeks at a JSON text; an error when it is not JSON.
pub fn peek(text: &str) -> serde_json::Result<Peeked> {
    match json::plain_paths(text, [&["status"], &["data", "uniqueId"]]) {
        Some(found) => Ok(peeked(found)),
        None => serde_json::from_str(text),
    }
}

/// What the serde_json visitors below read, from what a plain text holds
/// (each field where it was last given, as they keep the last).
fn peeked(found: Found<2>) -> Peeked {
    if !found.is_object {
        return Peeked::NotObject;
    }
    let [status, unique_id] = found.values;
    let status = match status {
        None => Status::Missing,
        Some(Json::String(s)) => Status::Text(status_text(s)),
        // A plain text's numbers are integers.
        Some(Json::Number(_)) => Status::Integer,
        Some(Json::Bool(_)) => Status::Other,
        Some(Json::Null) => Status::Null,
        Some(Json::Object(_)) => Status::Object,
        Some(Json::Array(_)) => Status::Array,
    };
    let unique_id = unique_id
        .as_ref()
        .and_then(Json::text)
        .map(|id| id.into_owned());
    Peeked::Object { status, unique_id }
}

/// The kind of a JSON value (anything is consumed, nothing kept but for
/// strings, numbers and booleans as text).
enum Any {
    Text(String),
    Integer(String),
    Other(Option<String>),
    Null,
    Object,
    Array,
}

impl Any {
    /// As `value::as_text` reads it.
    fn text(self) -> Option<String> {
        match self {
            Any::Text(s) | Any::Integer(s) => Some(s),
            Any::Other(s) => s,
            _ => None,
        }
    }
}

struct AnyVisitor;

impl<'de> Visitor<'de> for AnyVisitor {
    type Value = Any;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Any, E> {
        Ok(Any::Other(Some(v.to_string())))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Any, E> {
        Ok(Any::Integer(v.to_string()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Any, E> {
        Ok(Any::Integer(v.to_string()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Any, E> {
        Ok(Any::Other(
            serde_json::Number::from_f64(v).map(|n| n.to_string()),
        ))
    }
    fn visit_str<E>(self, v: &str) -> Result<Any, E> {
        Ok(Any::Text(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Any, E> {
        Ok(Any::Text(v))
    }
    fn visit_unit<E>(self) -> Result<Any, E> {
        Ok(Any::Null)
    }
    fn visit_none<E>(self) -> Result<Any, E> {
        Ok(Any::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Any, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Any::Array)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Any, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Any::Object)
    }
}

impl<'de> Deserialize<'de> for Any {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Any, D::Error> {
        d.deserialize_any(AnyVisitor)
    }
}

/// A field name, told apart without allocating.
enum Field {
    Status,
    Data,
    UniqueId,
    Other,
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Field, D::Error> {
        struct FieldVisitor;
        impl Visitor<'_> for FieldVisitor {
            type Value = Field;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E>(self, v: &str) -> Result<Field, E> {
                Ok(match v {
                    "status" => Field::Status,
                    "data" => Field::Data,
                    "uniqueId" => Field::UniqueId,
                    _ => Field::Other,
                })
            }
        }
        d.deserialize_str(FieldVisitor)
    }
}

/// `data`'s `uniqueId`, when `data` is an object that has one.
struct UniqueId(Option<String>);

impl<'de> Deserialize<'de> for UniqueId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<UniqueId, D::Error> {
        struct DataVisitor;
        impl<'de> Visitor<'de> for DataVisitor {
            type Value = UniqueId;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<UniqueId, A::Error> {
                let mut id = None;
                while let Some(key) = map.next_key::<Field>()? {
                    match key {
                        // The last one wins, as when parsed whole.
                        Field::UniqueId => id = map.next_value::<Any>()?.text(),
                        _ => drop(map.next_value::<IgnoredAny>()?),
                    }
                }
                Ok(UniqueId(id))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<UniqueId, A::Error> {
                AnyVisitor.visit_seq(seq).map(|_| UniqueId(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<UniqueId, E> {
                Ok(UniqueId(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<UniqueId, E> {
                Ok(UniqueId(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<UniqueId, E> {
                Ok(UniqueId(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<UniqueId, E> {
                Ok(UniqueId(None))
            }
            fn visit_str<E>(self, _: &str) -> Result<UniqueId, E> {
                Ok(UniqueId(None))
            }
            fn visit_unit<E>(self) -> Result<UniqueId, E> {
                Ok(UniqueId(None))
            }
        }
        d.deserialize_any(DataVisitor)
    }
}

impl<'de> Deserialize<'de> for Peeked {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Peeked, D::Error> {
        struct PeekVisitor;
        impl<'de> Visitor<'de> for PeekVisitor {
            type Value = Peeked;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Peeked, A::Error> {
                let (mut status, mut unique_id) = (Status::Missing, None);
                while let Some(key) = map.next_key::<Field>()? {
                    match key {
                        Field::Status => {
                            status = match map.next_value::<Any>()? {
                                Any::Text(s) => Status::Text(status_text(s)),
                                Any::Integer(_) => Status::Integer,
                                Any::Other(_) => Status::Other,
                                Any::Null => Status::Null,
                                Any::Object => Status::Object,
                                Any::Array => Status::Array,
                            }
                        }
                        Field::Data => unique_id = map.next_value::<UniqueId>()?.0,
                        _ => drop(map.next_value::<IgnoredAny>()?),
                    }
                }
                Ok(Peeked::Object { status, unique_id })
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Peeked, A::Error> {
                AnyVisitor.visit_seq(seq).map(|_| Peeked::NotObject)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Peeked, E> {
                Ok(Peeked::NotObject)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Peeked, E> {
                Ok(Peeked::NotObject)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Peeked, E> {
                Ok(Peeked::NotObject)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Peeked, E> {
                Ok(Peeked::NotObject)
            }
            fn visit_str<E>(self, _: &str) -> Result<Peeked, E> {
                Ok(Peeked::NotObject)
            }
            fn visit_unit<E>(self) -> Result<Peeked, E> {
                Ok(Peeked::NotObject)
            }
        }
        d.deserialize_any(PeekVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(status: Status, unique_id: Option<&str>) -> Peeked {
        Peeked::Object {
            status,
            unique_id: unique_id.map(str::to_string),
        }
    }

    /// What serde_json's visitors read, without the plain reader.
    fn peek_by_serde(text: &str) -> serde_json::Result<Peeked> {
        serde_json::from_str(text)
    }

    /// Plain answers and others: the plain reader and serde_json's
    /// visitors read the same fields.
    #[test]
    fn plain_answers_are_peeked_as_serde_json_peeks_them() {
        for text in [
            r#"{"status":"0","message":"success","data":{"urid":"c1","uniqueid":"Y1","status":0,"openId":"o"}}"#,
            r#"{"status":"0","data":{"uniqueId":"U1","x":[1,{"a":2}]},"m":"é"}"#,
            r#"{"data":{"uniqueId":7},"status":0}"#,
            r#"{"data":{"uniqueId":-7,"uniqueId":true},"status":-3}"#,
            r#"{"data":{"uniqueId":"A"},"data":{"x":1},"status":"1"}"#,
            r#"{"data":{"uniqueId":"A"},"data":[1],"status":"1"}"#,
            r#"{"data":"x","status":"2","status":"3"}"#,
            r#"{"status":"1","status":null}"#,
            r#"{"status":true}"#,
            r#"{"status":{}}"#,
            r#"{"status":[0]}"#,
            r#"{"message":"x"}"#,
            r#"{"status":"0","data":{"uniqueId":null}}"#,
            r#"{"status":"0","data":{"uniqueId":{"a":1}}}"#,
            "[1,2]",
            "\"s\"",
            "7",
            "null",
            "{}",
        ] {
            assert!(json::parse_plain(text).is_some(), "not plain: {text}");
            assert!(json::plain_paths(text, [&["status"]]).is_some(), "{text}");
            assert_eq!(peek(text).unwrap(), peek_by_serde(text).unwrap(), "{text}");
        }
    }

    /// Random answers, some broken by a byte: the same fields, or an error
    /// from both.
    #[test]
    fn random_answers_are_peeked_as_serde_json_peeks_them() {
        let mut rand = crate::testing::xorshift(0x2545_F491_4F6C_DD1D);
        const KEYS: &[&str] = &["status", "data", "uniqueId", "message", "x"];
        const SCALARS: &[&str] = &[
            "\"0\"",
            "\"U1\"",
            "0",
            "-3",
            "7",
            "1.5",
            "-0",
            "true",
            "null",
            "\"\\u0030\"",
            "\"\"",
        ];
        fn value(rand: &mut impl FnMut(u64) -> u64, depth: u32) -> String {
            match rand(if depth > 2 { 1 } else { 3 }) {
                0 => SCALARS[rand(SCALARS.len() as u64) as usize].to_string(),
                1 => format!("[{}]", value(rand, depth + 1)),
                _ => {
                    let entries: Vec<String> = (0..rand(4))
                        .map(|_| {
                            let key = KEYS[rand(KEYS.len() as u64) as usize];
                            format!("\"{key}\":{}", value(rand, depth + 1))
                        })
                        .collect();
                    format!("{{{}}}", entries.join(","))
                }
            }
        }
        for _ in 0..100_000 {
            let mut text = value(&mut rand, 0);
            if rand(4) == 0 && !text.is_empty() {
                let at = rand(text.len() as u64) as usize;
                if text.is_char_boundary(at) {
                    text.insert_str(at, ["}", ",", "\"", " ", "x"][rand(5) as usize]);
                }
            }
            assert_eq!(peek(&text).ok(), peek_by_serde(&text).ok(), "{text}");
        }
    }

    #[test]
    fn what_is_peeked() {
        let p = peek(r#"{"status":"0","data":{"uniqueId":"U1","x":[1,{"a":2}]},"m":"é"}"#);
        assert_eq!(p.unwrap(), object(Status::Text("0".into()), Some("U1")));
        let p = peek(r#"{"data":{"uniqueId":7},"status":0}"#).unwrap();
        assert_eq!(p, object(Status::Integer, Some("7")));
        assert_eq!(
            peek(r#"{"status":"1","status":null}"#).unwrap(),
            object(Status::Null, None)
        );
        assert_eq!(
            peek(r#"{"st\u0061tus":"2","data":"x"}"#).unwrap(),
            object(Status::Text("2".into()), None)
        );
        assert_eq!(
            peek(r#"{"status":1.5}"#).unwrap(),
            object(Status::Other, None)
        );
        assert_eq!(
            peek(r#"{"status":{}}"#).unwrap(),
            object(Status::Object, None)
        );
        assert_eq!(
            peek(r#"{"status":[0]}"#).unwrap(),
            object(Status::Array, None)
        );
        assert_eq!(
            peek(r#"{"message":"x"}"#).unwrap(),
            object(Status::Missing, None)
        );
        assert_eq!(peek("[1,2]").unwrap(), Peeked::NotObject);
        assert_eq!(peek("\"s\"").unwrap(), Peeked::NotObject);
        assert!(peek(r#"{"status":"0"} x"#).is_err());
        assert!(peek(r#"{"status":"0","data":{"a":tru}}"#).is_err());
        assert!(peek("<html>").is_err());
    }
}
