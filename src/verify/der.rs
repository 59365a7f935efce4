//! A small BER/DER reader that keeps every element's original bytes.
//!
//! Signatures are checked over bytes exactly as the signer encoded them
//! (signed attributes, `tbsCertificate`, a timestamp's `TSTInfo`), so the
//! reader hands out spans of the input instead of re-encoding anything: a
//! SET OF re-encoded by a DER library can come out in another order. It
//! accepts BER's indefinite lengths and constructed OCTET STRINGs, which
//! Java (BouncyCastle) and CFCA's SADK write, and refuses nesting deeper
//! than [`MAX_DEPTH`], so hostile input cannot exhaust a small stack.

use std::borrow::Cow;

/// Nesting deeper than this is refused (a certificate is about 8 deep,
/// a timestamp inside a P7's unsigned attributes about 20).
pub const MAX_DEPTH: u8 = 40;

pub const BOOLEAN: u8 = 0x01;
pub const INTEGER: u8 = 0x02;
pub const BIT_STRING: u8 = 0x03;
pub const OCTET_STRING: u8 = 0x04;
pub const OID: u8 = 0x06;
pub const UTC_TIME: u8 = 0x17;
pub const GENERALIZED_TIME: u8 = 0x18;
pub const SEQUENCE: u8 = 0x30;
pub const SET: u8 = 0x31;

/// Context-specific tag `[n]`, constructed.
pub const fn ctx(n: u8) -> u8 {
    0xA0 | n
}

/// Context-specific tag `[n]`, primitive.
pub const fn ctx_prim(n: u8) -> u8 {
    0x80 | n
}

/// Why bytes are not the structure expected, in words for a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bad(pub &'static str);

pub type Result<T> = std::result::Result<T, Bad>;

/// One element: its tag, its content, and its whole encoding.
#[derive(Debug, Clone, Copy)]
pub struct Tlv<'a> {
    /// The identifier octet (only low tag numbers, as every structure here uses).
    pub tag: u8,
    /// The content octets (for an indefinite length: up to the end-of-contents).
    pub value: &'a [u8],
    /// The whole element as encoded: identifier, length, content (and end-of-contents).
    pub raw: &'a [u8],
    /// Encoded with an indefinite length (BER).
    pub indefinite: bool,
    depth: u8,
}

/// Reads consecutive elements from a content.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    data: &'a [u8],
    depth: u8,
}

impl<'a> Reader<'a> {
    /// A reader of a whole input (depth 0).
    pub fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data, depth: 0 }
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The next element.
    pub fn read(&mut self) -> Result<Tlv<'a>> {
        let (tlv, rest) = parse(self.data, self.depth)?;
        self.data = rest;
        Ok(tlv)
    }

    /// The next element, which must have `tag`.
    pub fn expect(&mut self, tag: u8, what: &'static str) -> Result<Tlv<'a>> {
        match self.peek_tag() {
            Some(t) if t == tag || (tag == OCTET_STRING && t == 0x24) => self.read(),
            _ => Err(Bad(what)),
        }
    }

    /// The next element if it has `tag`.
    pub fn optional(&mut self, tag: u8) -> Result<Option<Tlv<'a>>> {
        match self.peek_tag() {
            Some(t) if t == tag => self.read().map(Some),
            _ => Ok(None),
        }
    }

    pub fn peek_tag(&self) -> Option<u8> {
        self.data.first().copied()
    }
}

impl<'a> Tlv<'a> {
    /// A reader of this element's children.
    pub fn children(&self) -> Reader<'a> {
        Reader {
            data: self.value,
            depth: self.depth + 1,
        }
    }

    pub fn constructed(&self) -> bool {
        self.tag & 0x20 != 0
    }

    /// The octets of an OCTET STRING (or of an implicitly tagged one),
    /// joined when BER split it into a constructed string of pieces.
    pub fn octets(&self) -> Result<Cow<'a, [u8]>> {
        if !self.constructed() {
            return Ok(Cow::Borrowed(self.value));
        }
        let mut out = Vec::new();
        let mut r = self.children();
        while !r.is_empty() {
            let piece = r.read()?;
            if piece.tag & 0x1F != OCTET_STRING {
                return Err(Bad("OCTET STRING 的分段不是 OCTET STRING"));
            }
            out.extend_from_slice(&piece.octets()?);
        }
        Ok(Cow::Owned(out))
    }

    /// An OBJECT IDENTIFIER in dotted form.
    pub fn oid(&self) -> Result<String> {
        if self.tag != OID {
            return Err(Bad("应为 OBJECT IDENTIFIER"));
        }
        oid_text(self.value)
    }

    /// An INTEGER's magnitude, without leading zero octets.
    pub fn unsigned(&self) -> Result<&'a [u8]> {
        if self.tag & 0x1F != INTEGER || self.value.is_empty() {
            return Err(Bad("应为 INTEGER"));
        }
        let mut v = self.value;
        while v.len() > 1 && v[0] == 0 {
            v = &v[1..];
        }
        Ok(v)
    }

    /// A small non-negative INTEGER.
    pub fn small(&self) -> Result<u64> {
        let v = self.unsigned()?;
        if v.len() > 8 || self.value[0] & 0x80 != 0 {
            return Err(Bad("INTEGER 超出范围"));
        }
        Ok(v.iter().fold(0u64, |a, b| (a << 8) | u64::from(*b)))
    }

    /// A BIT STRING's bytes (the unused-bits octet dropped).
    pub fn bits(&self) -> Result<&'a [u8]> {
        match self.value.split_first() {
            Some((_, rest)) if self.tag == BIT_STRING => Ok(rest),
            _ => Err(Bad("应为 BIT STRING")),
        }
    }

    /// The encoding with another identifier octet: a `[0] IMPLICIT SET OF`
    /// as the `SET OF` it stands for (signed attributes). A definite length
    /// keeps the original bytes; an indefinite one gets a definite header.
    pub fn retagged(&self, tag: u8) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.raw.len());
        if self.indefinite {
            out.push(tag);
            push_len(&mut out, self.value.len());
            out.extend_from_slice(self.value);
        } else {
            out.extend_from_slice(self.raw);
            out[0] = tag;
        }
        out
    }
}

fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
        return;
    }
    let bytes = len.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    out.push(0x80 | (bytes.len() - skip) as u8);
    out.extend_from_slice(&bytes[skip..]);
}

/// Parses one element from the front of `data`; returns it and the rest.
fn parse(data: &[u8], depth: u8) -> Result<(Tlv<'_>, &[u8])> {
    if depth > MAX_DEPTH {
        return Err(Bad("嵌套层数过多"));
    }
    let (&tag, rest) = data.split_first().ok_or(Bad("数据在中途截断"))?;
    if tag & 0x1F == 0x1F {
        return Err(Bad("含有不支持的高编号标签"));
    }
    let (&first, rest) = rest.split_first().ok_or(Bad("数据在中途截断"))?;
    let (len, rest) = match first {
        0x80 if tag & 0x20 == 0 => return Err(Bad("简单类型不能用不定长度")),
        0x80 => (None, rest),
        n if n < 0x80 => (Some(usize::from(n)), rest),
        n => {
            let count = usize::from(n & 0x7F);
            if count > 4 || rest.len() < count {
                return Err(Bad("长度字段无效或数据截断"));
            }
            let len = rest[..count]
                .iter()
                .fold(0usize, |a, b| (a << 8) | usize::from(*b));
            (Some(len), &rest[count..])
        }
    };
    let header_len = data.len() - rest.len();
    match len {
        Some(len) => {
            if rest.len() < len {
                return Err(Bad("数据在中途截断"));
            }
            let tlv = Tlv {
                tag,
                value: &rest[..len],
                raw: &data[..header_len + len],
                indefinite: false,
                depth,
            };
            Ok((tlv, &rest[len..]))
        }
        None => {
            // Children until the end-of-contents octets 00 00.
            let mut inner = rest;
            loop {
                if inner.starts_with(&[0, 0]) {
                    break;
                }
                if inner.is_empty() {
                    return Err(Bad("不定长度的结构缺少结束标记"));
                }
                inner = parse(inner, depth + 1)?.1;
            }
            let content = rest.len() - inner.len();
            let tlv = Tlv {
                tag,
                value: &rest[..content],
                raw: &data[..header_len + content + 2],
                indefinite: true,
                depth,
            };
            Ok((tlv, &inner[2..]))
        }
    }
}

/// The dotted form of an OID's content octets.
pub fn oid_text(v: &[u8]) -> Result<String> {
    if v.is_empty() || v.len() > 64 || v[v.len() - 1] & 0x80 != 0 {
        return Err(Bad("OBJECT IDENTIFIER 无效"));
    }
    let mut arcs: Vec<u64> = Vec::new();
    let mut n: u64 = 0;
    for &b in v {
        if n > (u64::MAX >> 8) {
            return Err(Bad("OBJECT IDENTIFIER 无效"));
        }
        n = (n << 7) | u64::from(b & 0x7F);
        if b & 0x80 == 0 {
            arcs.push(n);
            n = 0;
        }
    }
    let first = arcs[0];
    let (a, b) = match first {
        0..=39 => (0, first),
        40..=79 => (1, first - 40),
        _ => (2, first - 80),
    };
    let mut s = format!("{a}.{b}");
    for arc in &arcs[1..] {
        s.push('.');
        s.push_str(&arc.to_string());
    }
    Ok(s)
}

/// Parses a whole input that must be exactly one element.
pub fn single(data: &[u8]) -> Result<Tlv<'_>> {
    let mut r = Reader::new(data);
    let tlv = r.read()?;
    if !r.is_empty() && !r.data.iter().all(|b| *b == 0) {
        return Err(Bad("结构之后还有多余的数据"));
    }
    Ok(tlv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definite_and_indefinite_lengths_keep_their_spans() {
        // SEQUENCE (indefinite) { INTEGER 5, OCTET STRING (constructed, indefinite) {"ab", "c"} }
        let ber = [
            0x30, 0x80, 0x02, 0x01, 0x05, 0x24, 0x80, 0x04, 0x02, b'a', b'b', 0x04, 0x01, b'c', 0,
            0, 0, 0,
        ];
        let seq = single(&ber).unwrap();
        assert!(seq.indefinite);
        assert_eq!(seq.raw.len(), ber.len());
        let mut r = seq.children();
        assert_eq!(r.read().unwrap().small().unwrap(), 5);
        let s = r.expect(OCTET_STRING, "x").unwrap();
        assert_eq!(&*s.octets().unwrap(), b"abc");
        assert!(r.is_empty());
        assert_eq!(seq.retagged(0x31)[..2], [0x31, 0x0E]);
    }

    #[test]
    fn oids_print_dotted() {
        assert_eq!(
            oid_text(&[0x2A, 0x81, 0x1C, 0xCF, 0x55, 0x01, 0x83, 0x75]).unwrap(),
            "1.2.156.10197.1.501"
        );
        assert_eq!(
            oid_text(&[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01]).unwrap(),
            "1.2.840.10045.2.1"
        );
    }

    #[test]
    fn truncation_depth_and_garbage_are_refused() {
        assert!(single(&[0x30, 0x05, 0x02, 0x01]).is_err());
        assert!(single(&[0x30]).is_err());
        assert!(single(&[0x04, 0x80, 0, 0]).is_err());
        let mut deep = Vec::new();
        for _ in 0..200 {
            deep.extend_from_slice(&[0x30, 0x80]);
        }
        assert_eq!(single(&deep).unwrap_err(), Bad("嵌套层数过多"));
        assert!(single(&[0x30, 0x00, 0x30]).is_err());
    }
}
