//! A few values read out of a plain text, the rest only checked: for an
//! answer of the gateway, of which ywx reads `status` and `data.uniqueId`
//! and passes the rest on as text. Nothing is built but the values asked
//! for (a list of a hundred orders costs no allocation).

use super::parse::Plain;
use super::{Json, same_key};
use crate::value::MAX_DEPTH;

/// What [`plain_paths`] found.
#[derive(Debug, PartialEq)]
pub struct Found<'a, const N: usize> {
    /// Whether the text is a JSON object (no path is found in anything else).
    pub is_object: bool,
    /// The value at each path: where its last key was last given, as
    /// serde_json keeps a key given twice; None when a key on the way is
    /// missing or not an object.
    pub values: [Option<Json<'a>>; N],
}

/// The values at `paths` (keys from the top object down: `["data",
/// "uniqueId"]`) of a plain text (`parse_plain`), checked whole; None when
/// the text is not plain. No path may be the start of another.
pub fn plain_paths<'a, const N: usize>(text: &'a str, paths: [&[&str]; N]) -> Option<Found<'a, N>> {
    debug_assert!(N <= 32 && paths.iter().all(|p| !p.is_empty()));
    let mut scan = Scan::<N, false> {
        plain: Plain::new(text),
        paths: &paths,
        values: std::array::from_fn(|_| None),
    };
    scan.plain.skip_space();
    let is_object = scan.plain.peek() == Some(b'{');
    scan.value(0, 0, (1u32 << N) - 1)?;
    scan.plain.skip_space();
    (scan.plain.at == text.len()).then_some(Found {
        is_object,
        values: scan.values,
    })
}

/// Checks the array at `p`, inside `depth` objects and arrays, and moves
/// past it: its text. None also for an object, in it or at `p`: a flat
/// read lists two levels, and keeps no keys below them to tell a key given
/// twice (which the tree would write back once).
pub(super) fn skip<'a>(p: &mut Plain<'a>, depth: usize) -> Option<&'a str> {
    let start = p.at;
    let mut scan = Scan::<0, true> {
        plain: Plain {
            text: p.text,
            at: p.at,
            loose: p.loose,
        },
        paths: &[],
        values: [],
    };
    scan.value(depth, 0, 0)?;
    *p = scan.plain;
    Some(&p.text[start..p.at])
}

/// `NO_OBJECTS`: whether an object makes the text refused ([`skip`]).
struct Scan<'a, 'p, const N: usize, const NO_OBJECTS: bool> {
    plain: Plain<'a>,
    paths: &'p [&'p [&'p str]; N],
    values: [Option<Json<'a>>; N],
}

impl<'a, const N: usize, const NO_OBJECTS: bool> Scan<'a, '_, N, NO_OBJECTS> {
    /// A value inside `depth` objects and arrays; the paths in `wanted`
    /// (a bit each) have their first `level` keys matched down to it.
    fn value(&mut self, depth: usize, level: usize, wanted: u32) -> Option<()> {
        let p = &mut self.plain;
        match p.peek()? {
            b'{' => self.object(depth + 1, level, wanted),
            b'[' => self.array(depth + 1),
            b'"' => p.plain_str().map(drop),
            b't' => p.literal("true", Json::Null).map(drop),
            b'f' => p.literal("false", Json::Null).map(drop),
            b'n' => p.literal("null", Json::Null).map(drop),
            b'-' | b'0'..=b'9' => p.integer().map(drop),
            _ => None,
        }
    }

    fn array(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        let p = &mut self.plain;
        p.at += 1;
        p.skip_space();
        if p.peek() == Some(b']') {
            p.at += 1;
            return Some(());
        }
        loop {
            self.plain.skip_space();
            self.value(depth, 0, 0)?;
            self.plain.skip_space();
            match self.plain.next()? {
                b',' => continue,
                b']' => return Some(()),
                _ => return None,
            }
        }
    }

    fn object(&mut self, depth: usize, level: usize, wanted: u32) -> Option<()> {
        if NO_OBJECTS || depth > MAX_DEPTH {
            return None;
        }
        let p = &mut self.plain;
        p.at += 1;
        p.skip_space();
        if p.peek() == Some(b'}') {
            p.at += 1;
            return Some(());
        }
        loop {
            let p = &mut self.plain;
            p.skip_space();
            if p.peek() != Some(b'"') {
                return None;
            }
            let key = p
                .plain_str()
                .filter(|k| k.as_bytes().first() != Some(&b'$'))?;
            p.skip_space();
            if p.next()? != b':' {
                return None;
            }
            p.skip_space();
            self.entry(depth, level, wanted, key)?;
            self.plain.skip_space();
            match self.plain.next()? {
                b',' => continue,
                b'}' => return Some(()),
                _ => return None,
            }
        }
    }

    /// The value of `key`: read when a path ends at it, looked into when
    /// paths go on below it (what they found before is forgotten: this
    /// value replaces the last one given), checked otherwise.
    fn entry(&mut self, depth: usize, level: usize, wanted: u32, key: &str) -> Option<()> {
        if wanted == 0 {
            return self.value(depth, 0, 0);
        }
        let (mut ending, mut going_on) = (None, 0u32);
        for (i, path) in self.paths.iter().enumerate() {
            if wanted & (1 << i) != 0 && same_key(path[level], key) {
                if path.len() == level + 1 {
                    ending = Some(i);
                } else {
                    going_on |= 1 << i;
                    self.values[i] = None;
                }
            }
        }
        if let Some(i) = ending {
            self.values[i] = Some(self.plain.value(depth)?);
            return Some(());
        }
        match self.plain.peek() {
            Some(b'{') if going_on != 0 => self.object(depth + 1, level + 1, going_on),
            _ => self.value(depth, 0, 0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse_plain;

    #[test]
    fn paths_are_read_and_the_rest_checked() {
        let text =
            r#"{"status":"0","data":{"uniqueId":"U","list":[{"uniqueId":"no"}]},"x":[1,{}]}"#;
        let found = plain_paths(text, [&["status"], &["data", "uniqueId"]]).unwrap();
        assert!(found.is_object);
        assert_eq!(found.values[0], Some(Json::String("0".into())));
        assert_eq!(found.values[1], Some(Json::String("U".into())));
        // The last given wins; a later `data` without one forgets it.
        let text = r#"{"data":{"uniqueId":"A","uniqueId":"B"},"status":1,"status":{"a":[]}}"#;
        let found = plain_paths(text, [&["status"], &["data", "uniqueId"]]).unwrap();
        assert_eq!(found.values[1], Some(Json::String("B".into())));
        assert!(found.values[0].as_ref().is_some_and(Json::is_object));
        for forgets in [
            r#"{"data":{"uniqueId":"A"},"data":{}}"#,
            r#"{"data":{"uniqueId":"A"},"data":[1]}"#,
        ] {
            let found = plain_paths(forgets, [&["status"], &["data", "uniqueId"]]).unwrap();
            assert_eq!(found.values, [None, None], "{forgets}");
        }
        let found = plain_paths("[1]", [&["status"]]).unwrap();
        assert!(!found.is_object);
        // What the tree reader leaves, this leaves too (and the reverse).
        for text in [
            r#"{"status":"\u0030"}"#,
            r#"{"a":1.5}"#,
            r#"{"a":1,}"#,
            r#"{"a":"x"} y"#,
            "",
            r#"{"$a":1}"#,
        ] {
            assert!(plain_paths(text, [&["status"]]).is_none(), "{text}");
            assert!(parse_plain(text).is_none(), "{text}");
        }
    }
}
