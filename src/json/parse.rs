//! Reading a plain request without serde_json: one pass over the bytes,
//! strings borrowed from the text.
//!
//! Only plain JSON is read here, nothing that serde_json could read in
//! another way or refuse: strings without escapes or control characters,
//! integers of at most 18 digits (never `-0`, which serde_json makes a
//! float), objects of at most [`MAX_ENTRIES`] entries, none keyed with `$`
//! (serde_json reads a first key `$serde_json::private::RawValue` as a
//! sign), nested no deeper than [`MAX_DEPTH`]. Anything else is `None`:
//! the caller then has serde_json read it, which answers as it always did
//! (an error, or a tree). What is read here is the tree serde_json makes
//! of the same text (`tests` below compare the two).

use std::borrow::Cow;

use serde_json::Number;

use super::{Json, Object};
use crate::value::MAX_DEPTH;

/// Objects larger than this are left to serde_json (a key given twice is
/// looked for among the entries before it).
const MAX_ENTRIES: usize = 64;

/// Integers longer than this are left to serde_json (u64, i64 or f64).
const MAX_DIGITS: usize = 18;

/// The bytes that end a plain string: its closing quote, or what makes
/// it not plain (a backslash, a control character).
static ENDS_STRING: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// Where the first byte that ends a plain string is: eight bytes at a
/// time (as serde_json looks: Mycroft's test for a zero byte, on the bytes
/// xor'ed with `"` and `\\`, and on those below 0x20), then the rest one by
/// one. The lowest byte the test flags is always one it looks for.
#[inline]
pub(super) fn string_end(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::MAX / 255;
    let mut chunks = bytes.chunks_exact(8);
    for (i, chunk) in chunks.by_ref().enumerate() {
        let chars = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let control = chars.wrapping_sub(ONES * 0x20) & !chars;
        let quote = chars ^ (ONES * u64::from(b'"'));
        let quote = quote.wrapping_sub(ONES) & !quote;
        let backslash = chars ^ (ONES * u64::from(b'\\'));
        let backslash = backslash.wrapping_sub(ONES) & !backslash;
        let found = (control | quote | backslash) & (ONES << 7);
        if found != 0 {
            return Some(i * 8 + found.trailing_zeros() as usize / 8);
        }
    }
    let tail = chunks.remainder();
    let at = tail.iter().position(|&b| ENDS_STRING[usize::from(b)])?;
    Some(bytes.len() - tail.len() + at)
}

/// `text` read as JSON when it is plain (see the module's documentation);
/// None when it is not, and serde_json must read it.
pub fn parse_plain(text: &str) -> Option<Json<'_>> {
    let mut p = Plain::new(text);
    p.skip_space();
    let value = p.value(0)?;
    p.skip_space();
    (p.at == text.len()).then_some(value)
}

/// A reader of plain JSON over a text (`scan.rs` reads with it too).
pub(super) struct Plain<'a> {
    pub(super) text: &'a str,
    pub(super) at: usize,
    /// How often it met what compact JSON does not have: space between
    /// tokens, a key given twice.
    pub(super) loose: usize,
}

impl<'a> Plain<'a> {
    pub(super) fn new(text: &'a str) -> Plain<'a> {
        Plain {
            text,
            at: 0,
            loose: 0,
        }
    }
}

impl<'a> Plain<'a> {
    #[inline]
    pub(super) fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    #[inline]
    pub(super) fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.at += 1;
        Some(b)
    }

    /// JSON's whitespace: space, tab, line feed, carriage return.
    #[inline]
    pub(super) fn skip_space(&mut self) {
        if matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.loose += 1;
            while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
                self.at += 1;
            }
        }
    }

    /// A value inside `depth` objects and arrays.
    pub(super) fn value(&mut self, depth: usize) -> Option<Json<'a>> {
        match self.peek()? {
            b'{' => self.object(depth + 1),
            b'[' => self.array(depth + 1),
            b'"' => self.string().map(Json::String),
            b't' => self.literal("true", Json::Bool(true)),
            b'f' => self.literal("false", Json::Bool(false)),
            b'n' => self.literal("null", Json::Null),
            b'-' | b'0'..=b'9' => self.integer().map(Json::Number),
            _ => None,
        }
    }

    pub(super) fn literal(&mut self, word: &str, value: Json<'a>) -> Option<Json<'a>> {
        let end = self.at + word.len();
        (self.text.as_bytes().get(self.at..end)? == word.as_bytes()).then(|| {
            self.at = end;
            value
        })
    }

    /// A string without escapes or control characters, borrowed.
    #[inline]
    pub(super) fn string(&mut self) -> Option<Cow<'a, str>> {
        self.plain_str().map(Cow::Borrowed)
    }

    /// [`Plain::string`], as the text's own slice.
    #[inline]
    pub(super) fn plain_str(&mut self) -> Option<&'a str> {
        let start = self.at + 1;
        let len = string_end(&self.text.as_bytes()[start..])?;
        let end = start + len;
        if self.text.as_bytes()[end] != b'"' {
            return None;
        }
        self.at = end + 1;
        // Between two ASCII quotes: a str boundary on each side.
        Some(&self.text[start..end])
    }

    /// An integer of at most [`MAX_DIGITS`] digits, as serde_json reads it:
    /// u64 when not negative, i64 when negative.
    pub(super) fn integer(&mut self) -> Option<Number> {
        let negative = self.peek() == Some(b'-');
        if negative {
            self.at += 1;
        }
        let start = self.at;
        let mut n: u64 = 0;
        while let Some(d @ b'0'..=b'9') = self.peek() {
            n = n * 10 + u64::from(d - b'0');
            self.at += 1;
            if self.at - start > MAX_DIGITS {
                return None;
            }
        }
        let digits = &self.text.as_bytes()[start..self.at];
        let plain = match digits {
            [] => false,
            [b'0', _, ..] => false,
            _ => !matches!(self.peek(), Some(b'.' | b'e' | b'E')),
        };
        match (plain, negative) {
            (false, _) => None,
            (true, false) => Some(Number::from(n)),
            (true, true) if n == 0 => None,
            (true, true) => Some(Number::from(-(n as i64))),
        }
    }

    fn array(&mut self, depth: usize) -> Option<Json<'a>> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.at += 1;
        let mut items = Vec::new();
        self.skip_space();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Some(Json::Array(items));
        }
        loop {
            self.skip_space();
            items.push(self.value(depth)?);
            self.skip_space();
            match self.next()? {
                b',' => continue,
                b']' => return Some(Json::Array(items)),
                _ => return None,
            }
        }
    }

    /// An object, with its text when it is compact (`Object::text`).
    fn object(&mut self, depth: usize) -> Option<Json<'a>> {
        let (start, loose) = (self.at, self.loose);
        let mut object = self.entries(depth)?;
        if self.loose == loose {
            object.text = Some(&self.text[start..self.at]);
        }
        Some(Json::Object(object))
    }

    fn entries(&mut self, depth: usize) -> Option<Object<'a>> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.at += 1;
        let mut object = Object::new();
        self.skip_space();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Some(object);
        }
        loop {
            self.skip_space();
            if self.peek() != Some(b'"') {
                return None;
            }
            let key = self
                .string()
                .filter(|k| k.as_bytes().first() != Some(&b'$'))?;
            self.skip_space();
            if self.next()? != b':' {
                return None;
            }
            self.skip_space();
            let value = self.value(depth)?;
            if object.len() == MAX_ENTRIES {
                return None;
            }
            if object.put(key, value) {
                self.loose += 1;
            }
            self.skip_space();
            match self.next()? {
                b',' => continue,
                b'}' => return Some(object),
                _ => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests;
