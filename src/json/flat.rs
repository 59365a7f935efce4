//! A request read without building a tree: a compact, plain JSON object
//! (`parse_plain`'s plain, with no space between tokens and no key given
//! twice) whose entries, and those of the objects in it, are listed in
//! one vector. Arrays are checked and kept as text; an object deeper than
//! that is not read flat (its keys are not kept to tell one given twice).
//! Looked up by dotted path; a value found is what the tree would hold
//! there.
//!
//! Such a text is what [`Json::to_json`] writes of its own tree: a request
//! that needs nothing changed can be sent as it came (`request::ready`).

use std::borrow::Cow;

use super::parse::Plain;
use super::{Json, keys, parse_plain, same_key, scan};

/// Objects larger than this are not read flat (as `parse_plain` leaves
/// them to serde_json).
const MAX_ENTRIES: usize = 64;

/// A compact, plain object's entries two levels down: each object of the
/// top one is followed by its own entries.
#[derive(Debug)]
pub struct Flat<'a> {
    entries: Vec<Entry<'a>>,
}

#[derive(Debug)]
struct Entry<'a> {
    key: &'a str,
    /// The value's text: a string with its quotes, a number, a literal,
    /// an object or an array (read when looked up).
    raw: &'a str,
    /// For an object of the top one: how many entries of its own follow.
    children: usize,
}

impl<'a> Flat<'a> {
    /// `text` read flat; None when it is not a compact, plain object.
    pub fn read(text: &'a str) -> Option<Flat<'a>> {
        let mut p = Plain::new(text);
        if p.peek() != Some(b'{') {
            return None;
        }
        let mut flat = Flat {
            entries: Vec::with_capacity(16),
        };
        flat.object(&mut p, true)?;
        (p.at == text.len() && p.loose == 0).then_some(flat)
    }

    /// The entries of the object at `p`: the top one, or one of its own.
    fn object(&mut self, p: &mut Plain<'a>, top: bool) -> Option<()> {
        let depth = if top { 1 } else { 2 };
        p.at += 1;
        if p.peek() == Some(b'}') {
            p.at += 1;
            return Some(());
        }
        let first = self.entries.len();
        let mut count = 0;
        loop {
            if p.peek() != Some(b'"') {
                return None;
            }
            let key = p.plain_str()?;
            if key.as_bytes().first() == Some(&b'$') || p.next()? != b':' {
                return None;
            }
            count += 1;
            if count > MAX_ENTRIES || self.find(first, key).is_some() {
                return None;
            }
            let (start, at) = (p.at, self.entries.len());
            self.entries.push(Entry {
                key,
                raw: "",
                children: 0,
            });
            match p.peek()? {
                b'"' => {
                    p.plain_str()?;
                }
                b'{' if top => {
                    self.object(p, false)?;
                    self.entries[at].children = self.entries.len() - at - 1;
                }
                b'{' => return None,
                b'[' => {
                    scan::skip(p, depth)?;
                }
                _ => {
                    p.value(depth)?;
                }
            }
            self.entries[at].raw = &p.text[start..p.at];
            match p.next()? {
                b',' => continue,
                b'}' => return Some(()),
                _ => return None,
            }
        }
    }

    /// The index of `key` among the entries of one object, from its first
    /// (`first`) on, passing over the entries of objects in it.
    #[inline]
    fn find(&self, first: usize, key: &str) -> Option<usize> {
        let mut i = first;
        while let Some(e) = self.entries.get(i) {
            if same_key(e.key, key) {
                return Some(i);
            }
            i += 1 + e.children;
        }
        None
    }

    /// The index of `key` in the object of the top one at `i`.
    #[inline]
    fn child(&self, i: usize, key: &str) -> Option<usize> {
        let end = i + 1 + self.entries[i].children;
        (i + 1..end).find(|&c| same_key(self.entries[c].key, key))
    }

    /// The keys of the top object's `object` (none when it is not one).
    pub fn keys_in(&self, object: &str) -> impl Iterator<Item = &'a str> {
        let entries = match self.find(0, object) {
            Some(i) => &self.entries[i + 1..i + 1 + self.entries[i].children],
            None => &[],
        };
        entries.iter().map(|e| e.key)
    }

    /// The text of the value at the first one or two of `keys`, when it is
    /// on the two levels listed; the keys below it are left in `keys`.
    #[inline]
    fn raw<'k>(&self, keys: &mut impl Iterator<Item = &'k str>) -> Option<&'a str> {
        let i = self.find(0, keys.next()?)?;
        match keys.next() {
            None => Some(self.entries[i].raw),
            Some(key) => Some(self.entries[self.child(i, key)?].raw),
        }
    }

    /// Whether the top object's `key` is an object.
    pub fn is_object(&self, key: &str) -> bool {
        self.find(0, key)
            .is_some_and(|i| self.entries[i].raw.as_bytes()[0] == b'{')
    }

    /// The value at `keys` (`["body", "uniqueId"]`), as the tree holds it.
    pub fn at_keys<'k>(&self, keys: impl IntoIterator<Item = &'k str>) -> Option<Json<'a>> {
        let mut keys = keys.into_iter();
        let v = value(self.raw(&mut keys)?)?;
        match keys.next() {
            None => Some(v),
            Some(key) => keys.try_fold(v.get(key)?, |v, k| v.get(k)).cloned(),
        }
    }

    /// The value at a dotted path (`body.uniqueId`), as the tree holds it.
    pub fn at(&self, path: &str) -> Option<Json<'a>> {
        self.at_keys(keys(path))
    }
}

/// A value's text as the tree holds it: a string borrowed.
#[inline]
fn value(raw: &str) -> Option<Json<'_>> {
    match raw.as_bytes()[0] {
        b'"' => Some(Json::String(Cow::Borrowed(&raw[1..raw.len() - 1]))),
        _ => parse_plain(raw),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_two_levels_and_refuses_what_is_not_compact() {
        let text = r#"{"head":{"clientId":"c","n":7},"body":{"uniqueId":"U","list":[1,["a",null]]},"signType":"0"}"#;
        let flat = Flat::read(text).unwrap();
        assert_eq!(flat.at("head.clientId"), Some(Json::String("c".into())));
        assert_eq!(flat.at("head.n"), parse_plain("7"));
        assert_eq!(flat.at("signType"), Some(Json::String("0".into())));
        assert_eq!(flat.at("body.o.x"), None);
        assert_eq!(flat.at("body.list"), parse_plain(r#"[1,["a",null]]"#));
        assert_eq!(flat.at("head"), parse_plain(r#"{"clientId":"c","n":7}"#));
        assert_eq!(flat.at("body.missing"), None);
        assert_eq!(flat.at("signType.x"), None);
        assert!(flat.is_object("body") && !flat.is_object("signType"));
        assert!(!flat.is_object("missing") && !flat.is_object("body.list"));
        let keys: Vec<&str> = flat.keys_in("body").collect();
        assert_eq!(keys, ["uniqueId", "list"]);
        assert_eq!(
            flat.keys_in("signType").count() + flat.keys_in("x").count(),
            0
        );
        for not_flat in [
            r#"{"a":1,"a":2}"#,
            r#"{"b":{"a":1,"a":2}}"#,
            r#"{"b":{"c":{"a":1,"a":2}}}"#,
            r#"{"b":{"c":{"a":1}}}"#,
            r#"{"b":{"c":[{}]}}"#,
            r#"{"b":[{"a":1}]}"#,
            r#"{"a": 1}"#,
            r#"{"b":{"c":[1, 2]}}"#,
            r#"{"a":"\n"}"#,
            r#"{"a":1.5}"#,
            r#"{"$a":1}"#,
            r#"[1]"#,
            r#"{"a":1} "#,
            r#"{"a":1}x"#,
            "",
        ] {
            assert!(Flat::read(not_flat).is_none(), "{not_flat}");
        }
        // Keys alike in different objects are different keys.
        let flat = Flat::read(r#"{"a":{"a":1},"b":{"a":2}}"#).unwrap();
        assert_eq!(flat.at("b.a"), parse_plain("2"));
        assert_eq!(flat.at("a.a"), parse_plain("1"));
    }

    /// What is read flat is what the tree reader reads: the same value at
    /// every path, and text the tree writes back unchanged.
    #[test]
    fn agrees_with_the_tree() {
        let mut next = crate::testing::xorshift(0x2545_F491_4F6C_DD1D);
        let keys = ["a", "b", "head", "body", "x"];
        let scalars = ["1", "-3", "0", "\"s\"", "\"\"", "null", "true", "\"中文\""];
        for _ in 0..20_000 {
            let text = random_object(&mut next, &keys, &scalars, 0);
            let (Some(flat), Some(tree)) = (Flat::read(&text), parse_plain(&text)) else {
                // Flat only reads what the tree reads plainly.
                assert!(Flat::read(&text).is_none() || parse_plain(&text).is_some());
                continue;
            };
            assert_eq!(tree.to_json(), text, "compact text is what the tree writes");
            for a in keys {
                assert_eq!(flat.at(a).as_ref(), tree.at(a), "{text} {a}");
                assert_eq!(flat.at_keys([a]).as_ref(), tree.at(a), "{text} {a}");
                let deep = [a, "a", "b"];
                let want = deep.iter().try_fold(&tree, |v, k| v.get(k));
                assert_eq!(flat.at_keys(deep).as_ref(), want, "{text} {a}.a.b");
                for b in keys {
                    let path = format!("{a}.{b}");
                    assert_eq!(flat.at(&path).as_ref(), tree.at(&path), "{text} {path}");
                    let path = format!("{a}.{b}.a");
                    assert_eq!(flat.at(&path).as_ref(), tree.at(&path), "{text} {path}");
                }
            }
        }
    }

    fn random_object(
        next: &mut impl FnMut(u64) -> u64,
        keys: &[&str],
        scalars: &[&str],
        depth: usize,
    ) -> String {
        let n = next(4);
        let mut out = String::from("{");
        for i in 0..n {
            if i > 0 {
                out.push(',');
            }
            if next(20) == 0 {
                out.push(' ');
            }
            out.push_str(&format!("\"{}\":", keys[next(keys.len() as u64) as usize]));
            match next(6) {
                0 | 1 if depth < 3 => out.push_str(&random_object(next, keys, scalars, depth + 1)),
                2 if depth < 3 => {
                    let inner = random_object(next, keys, scalars, depth + 1);
                    out.push_str(&format!("[{inner},1]"));
                }
                _ => out.push_str(scalars[next(scalars.len() as u64) as usize]),
            }
        }
        out.push('}');
        out
    }
}
