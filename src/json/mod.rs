//! A request as the gateway path checks and completes it: a JSON tree that
//! borrows its strings from the caller's text, its objects small lists of
//! entries in order. serde_json's `Value` (which ywx uses elsewhere) makes
//! a hash map (SipHash) and a heap string for every key and string, and
//! frees them all again: for a request that is only checked, completed and
//! sent on, that was most of what ywx did with it (docs/performance.md).
//!
//! A tree here is the same as serde_json would make — the same entries in
//! the same order, the same numbers — and writes the same text
//! ([`Json::to_json`]). Objects keep
//! serde_json's `Map` semantics: a key given twice keeps its first place
//! and its last value ([`Object::insert`]).

mod flat;
mod parse;
mod scan;
mod write;

use std::borrow::Cow;

use serde_json::{Map, Number, Value};

pub use flat::Flat;
pub use parse::parse_plain;
pub use scan::{Found, plain_paths};

/// A JSON value whose strings may borrow from the text it was read from.
#[derive(Debug, Clone, PartialEq)]
pub enum Json<'a> {
    Null,
    Bool(bool),
    Number(Number),
    String(Cow<'a, str>),
    Array(Vec<Json<'a>>),
    Object(Object<'a>),
}

/// A JSON object: its entries in order, each key once.
#[derive(Debug, Clone, Default)]
pub struct Object<'a> {
    entries: Vec<(Cow<'a, str>, Json<'a>)>,
    /// The object's own text, when it was read from compact, plain JSON
    /// (no space between tokens, no key given twice: what [`Json::to_json`]
    /// would write) and nothing in it has changed since: written as it is.
    pub(super) text: Option<&'a str>,
}

impl PartialEq for Object<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.entries == other.entries
    }
}

impl<'a> Object<'a> {
    pub fn new() -> Object<'a> {
        Object::default()
    }

    #[inline]
    pub fn get(&self, key: &str) -> Option<&Json<'a>> {
        self.entries
            .iter()
            .find(|(k, _)| same_key(k, key))
            .map(|(_, v)| v)
    }

    /// As serde_json's `Map::insert`: a key already there keeps its place
    /// and takes the new value; a new key goes last.
    pub fn insert(&mut self, key: impl Into<Cow<'a, str>>, value: Json<'a>) {
        self.put(key.into(), value);
    }

    /// [`Object::insert`]; true when the key was there.
    pub(super) fn put(&mut self, key: Cow<'a, str>, value: Json<'a>) -> bool {
        self.text = None;
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => {
                *v = value;
                true
            }
            None => {
                self.entries.push((key, value));
                false
            }
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Json<'a>)> {
        self.entries.iter().map(|(k, v)| (k.as_ref(), v))
    }

    /// The value of `key`, to change it: this object's text no longer
    /// stands for it.
    fn get_mut(&mut self, key: &str) -> Option<&mut Json<'a>> {
        self.text = None;
        self.entries
            .iter_mut()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }
}

impl<'a> Json<'a> {
    /// The value of `key` when this is an object that has it.
    #[inline]
    pub fn get(&self, key: &str) -> Option<&Json<'a>> {
        self.as_object()?.get(key)
    }

    /// The value at a dotted path (`msg.body.urId`).
    pub fn at(&self, path: &str) -> Option<&Json<'a>> {
        keys(path).try_fold(self, |v, key| v.get(key))
    }

    /// The object at a dotted path (`msg.head`), to change it.
    pub fn object_at_mut(&mut self, path: &str) -> Option<&mut Object<'a>> {
        let (mut v, mut rest) = (self, Some(path));
        while let Some(path) = rest {
            let (key, more) = first_key(path);
            v = v.as_object_mut()?.get_mut(key)?;
            rest = more;
        }
        v.as_object_mut()
    }

    #[inline]
    pub fn as_object(&self) -> Option<&Object<'a>> {
        match self {
            Json::Object(o) => Some(o),
            _ => None,
        }
    }

    pub fn as_object_mut(&mut self) -> Option<&mut Object<'a>> {
        match self {
            Json::Object(o) => Some(o),
            _ => None,
        }
    }

    pub fn is_object(&self) -> bool {
        matches!(self, Json::Object(_))
    }

    pub fn as_array(&self) -> Option<&[Json<'a>]> {
        match self {
            Json::Array(a) => Some(a),
            _ => None,
        }
    }

    #[inline]
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// Null or the empty string: what a default or a credential fills.
    #[inline]
    pub fn is_null_or_empty(&self) -> bool {
        matches!(self, Json::Null) || self.as_str() == Some("")
    }

    /// Absent in effect: null or a blank string.
    #[inline]
    pub fn is_blank(&self) -> bool {
        match self {
            Json::Null => true,
            Json::String(s) => s.trim().is_empty(),
            _ => false,
        }
    }

    /// As text: strings as they are, numbers and booleans printed (as
    /// `value::as_text`, without copying a string).
    pub fn text(&self) -> Option<Cow<'_, str>> {
        match self {
            Json::String(s) => Some(Cow::Borrowed(s)),
            Json::Number(n) => Some(Cow::Owned(n.to_string())),
            Json::Bool(b) => Some(Cow::Owned(b.to_string())),
            _ => None,
        }
    }

    /// The JSON text, as serde_json writes the same tree as a `Value`.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(128);
        write::write(self, &mut out);
        out
    }

    /// The same tree as a serde_json `Value`.
    pub fn into_value(self) -> Value {
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(b),
            Json::Number(n) => Value::Number(n),
            Json::String(s) => Value::String(s.into_owned()),
            Json::Array(a) => Value::Array(a.into_iter().map(Json::into_value).collect()),
            Json::Object(o) => {
                let mut map = Map::new();
                for (k, v) in o.entries {
                    map.insert(k.into_owned(), v.into_value());
                }
                Value::Object(map)
            }
        }
    }
}

/// Whether two keys are the same. Keys that differ mostly differ in length
/// or in their first byte: told apart here without a call to `memcmp`.
#[inline]
fn same_key(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.as_bytes().first() == b.as_bytes().first() && a == b
}

/// The keys of a dotted path, in order (`str::split` without its searcher:
/// paths are short, and looked up on every call).
#[inline]
fn keys(path: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(path);
    std::iter::from_fn(move || {
        let (key, more) = first_key(rest?);
        rest = more;
        Some(key)
    })
}

/// A dotted path's first key and the rest, as `split('.')` would cut it
/// (without its searcher: paths are a few bytes).
#[inline]
fn first_key(path: &str) -> (&str, Option<&str>) {
    match path.bytes().position(|b| b == b'.') {
        Some(i) => (&path[..i], Some(&path[i + 1..])),
        None => (path, None),
    }
}

impl From<Value> for Json<'static> {
    fn from(v: Value) -> Json<'static> {
        match v {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(b),
            Value::Number(n) => Json::Number(n),
            Value::String(s) => Json::String(Cow::Owned(s)),
            Value::Array(a) => Json::Array(a.into_iter().map(Json::from).collect()),
            Value::Object(m) => Json::Object(Object {
                entries: m
                    .into_iter()
                    .map(|(k, v)| (Cow::Owned(k), Json::from(v)))
                    .collect(),
                text: None,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn objects_keep_serde_jsons_order_and_write_its_text() {
        let mut o = Object::new();
        o.insert("b", Json::Null);
        o.insert("a", Json::Bool(true));
        o.insert("b", Json::String("x".into()));
        let j = Json::Object(o);
        let mut m = Map::new();
        m.insert("b".into(), Value::Null);
        m.insert("a".into(), Value::Bool(true));
        m.insert("b".into(), json!("x"));
        assert_eq!(j.clone().into_value(), Value::Object(m.clone()));
        assert_eq!(j.to_json(), Value::Object(m).to_string());
        let v =
            json!({"s": "\u{1}\"\\/é\u{7f}\u{2028}", "n": [0, -3, 1.5, 1e300, u64::MAX], "o": {}});
        assert_eq!(Json::from(v.clone()).to_json(), v.to_string());
        assert_eq!(Json::from(v.clone()).into_value(), v);
    }

    /// A compact object read is written from its text, until it or
    /// anything in it changes.
    #[test]
    fn a_changed_object_is_written_anew() {
        let text = r#"{"a":{"b":1,"c":[{"d":"x"}]},"e":{"f":null}}"#;
        let mut j = parse_plain(text).unwrap();
        assert_eq!(j.as_object().and_then(|o| o.text), Some(text));
        assert_eq!(j.to_json(), text);
        j.object_at_mut("a").unwrap().insert("g", Json::Bool(true));
        assert!(j.as_object().unwrap().text.is_none());
        let e = j.get("e").and_then(Json::as_object).and_then(|o| o.text);
        assert_eq!(
            e,
            Some(r#"{"f":null}"#),
            "what did not change keeps its text"
        );
        assert_eq!(
            j.to_json(),
            r#"{"a":{"b":1,"c":[{"d":"x"}],"g":true},"e":{"f":null}}"#
        );
        let mut j = parse_plain(text).unwrap();
        j.object_at_mut("e");
        assert_eq!(j.to_json(), text, "looked at to change, written the same");
        for loose in [r#"{"a": 1}"#, r#"{"a":{"b":1,"b":2}}"#, "{\"a\":[1 ]}"] {
            let j = parse_plain(loose).unwrap();
            assert!(j.as_object().unwrap().text.is_none(), "{loose}");
            let v: Value = serde_json::from_str(loose).unwrap();
            assert_eq!(j.to_json(), v.to_string());
        }
    }

    #[test]
    fn paths_and_text() {
        let mut j = Json::from(json!({"msg": {"head": {"n": 7, "t": true}}, "s": " "}));
        assert_eq!(
            j.at("msg.head.n").and_then(Json::text).as_deref(),
            Some("7")
        );
        assert_eq!(
            j.at("msg.head.t").and_then(Json::text).as_deref(),
            Some("true")
        );
        assert!(j.at("s").is_some_and(Json::is_blank));
        assert!(j.at("msg.x.n").is_none());
        assert!(j.at("msg.head.").is_none() && j.at("").is_none());
        j.object_at_mut("msg.head")
            .unwrap()
            .insert("c", Json::String("1".into()));
        assert_eq!(
            j.into_value(),
            json!({"msg": {"head": {"n": 7, "t": true, "c": "1"}}, "s": " "})
        );
    }
}
