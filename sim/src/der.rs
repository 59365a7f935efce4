//! A minimal DER writer and reader, just enough for CMS SignedData,
//! RFC 3161 TimeStampTokens and picking fields out of X.509 certificates.

/// Encode one TLV.
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

pub fn seq(parts: &[&[u8]]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

/// SET OF, sorted by encoding as DER requires.
pub fn set_of(mut parts: Vec<Vec<u8>>) -> Vec<u8> {
    parts.sort();
    tlv(0x31, &parts.concat())
}

pub fn octets(b: &[u8]) -> Vec<u8> {
    tlv(0x04, b)
}

pub fn null() -> Vec<u8> {
    vec![0x05, 0x00]
}

/// Constructed context-specific tag \[n\] (explicit, or implicit for constructed types).
pub fn ctx(n: u8, content: &[u8]) -> Vec<u8> {
    tlv(0xa0 | n, content)
}

pub fn int_u64(v: u64) -> Vec<u8> {
    int_bytes(&v.to_be_bytes())
}

/// INTEGER from unsigned big-endian bytes.
pub fn int_bytes(b: &[u8]) -> Vec<u8> {
    let skip = b.iter().take_while(|x| **x == 0).count();
    let mut v: Vec<u8> = b[skip..].to_vec();
    if v.is_empty() || v[0] & 0x80 != 0 {
        v.insert(0, 0);
    }
    tlv(0x02, &v)
}

pub fn oid(arcs: &[u64]) -> Vec<u8> {
    let mut body = Vec::new();
    let mut push = |mut v: u64| {
        let mut tmp = vec![(v & 0x7f) as u8];
        v >>= 7;
        while v > 0 {
            tmp.push(0x80 | (v & 0x7f) as u8);
            v >>= 7;
        }
        tmp.reverse();
        body.extend_from_slice(&tmp);
    };
    push(arcs[0] * 40 + arcs[1]);
    for a in &arcs[2..] {
        push(*a);
    }
    tlv(0x06, &body)
}

pub fn utc_time(t: &chrono::DateTime<chrono::Utc>) -> Vec<u8> {
    tlv(0x17, t.format("%y%m%d%H%M%SZ").to_string().as_bytes())
}

pub fn generalized_time(t: &chrono::DateTime<chrono::Utc>) -> Vec<u8> {
    tlv(0x18, t.format("%Y%m%d%H%M%SZ").to_string().as_bytes())
}

/// AlgorithmIdentifier without parameters.
pub fn alg(arcs: &[u64]) -> Vec<u8> {
    seq(&[&oid(arcs)])
}

pub const OID_DATA: &[u64] = &[1, 2, 840, 113549, 1, 7, 1];
pub const OID_SIGNED_DATA: &[u64] = &[1, 2, 840, 113549, 1, 7, 2];
pub const OID_CONTENT_TYPE: &[u64] = &[1, 2, 840, 113549, 1, 9, 3];
pub const OID_MESSAGE_DIGEST: &[u64] = &[1, 2, 840, 113549, 1, 9, 4];
pub const OID_SIGNING_TIME: &[u64] = &[1, 2, 840, 113549, 1, 9, 5];
pub const OID_TST_INFO: &[u64] = &[1, 2, 840, 113549, 1, 9, 16, 1, 4];
pub const OID_SIGNING_CERT_V2: &[u64] = &[1, 2, 840, 113549, 1, 9, 16, 2, 47];
pub const OID_SHA256: &[u64] = &[2, 16, 840, 1, 101, 3, 4, 2, 1];
pub const OID_ECDSA_SHA256: &[u64] = &[1, 2, 840, 10045, 4, 3, 2];
pub const OID_TSA_POLICY: &[u64] = &[1, 3, 6, 1, 4, 1, 99999, 1, 1];

/// One parsed TLV: tag, the content bytes, and the full encoding.
#[derive(Clone, Copy, Debug)]
pub struct Tlv<'a> {
    pub tag: u8,
    pub content: &'a [u8],
    pub raw: &'a [u8],
}

/// Read one TLV from the front of `input`, returning it and the rest.
pub fn read(input: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    let tag = *input.first()?;
    let first = *input.get(1)? as usize;
    let (len, hdr) = if first < 0x80 {
        (first, 2)
    } else {
        let n = first & 0x7f;
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | *input.get(2 + i)? as usize;
        }
        (len, 2 + n)
    };
    let end = hdr.checked_add(len)?;
    if end > input.len() {
        return None;
    }
    Some((
        Tlv {
            tag,
            content: &input[hdr..end],
            raw: &input[..end],
        },
        &input[end..],
    ))
}

/// All TLVs inside a constructed content.
pub fn children(content: &[u8]) -> Option<Vec<Tlv<'_>>> {
    let mut out = Vec::new();
    let mut rest = content;
    while !rest.is_empty() {
        let (t, r) = read(rest)?;
        out.push(t);
        rest = r;
    }
    Some(out)
}

/// (issuer Name DER, serial INTEGER DER) of an X.509 certificate.
pub fn cert_issuer_serial(cert: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let (c, _) = read(cert)?;
    let parts = children(c.content)?;
    let tbs = children(parts.first()?.content)?;
    let mut i = 0;
    if tbs.first()?.tag == 0xa0 {
        i = 1;
    }
    let serial = tbs.get(i)?.raw.to_vec();
    let issuer = tbs.get(i + 2)?.raw.to_vec();
    Some((issuer, serial))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip() {
        let big = vec![7u8; 300];
        let s = seq(&[&octets(&big), &int_u64(128), &oid(OID_SHA256)]);
        let (t, rest) = read(&s).unwrap();
        assert!(rest.is_empty());
        let ch = children(t.content).unwrap();
        assert_eq!(ch.len(), 3);
        assert_eq!(ch[0].content, &big[..]);
        assert_eq!(ch[1].content, &[0, 128]);
        assert_eq!(
            oid(OID_SHA256),
            vec![6, 9, 0x60, 0x86, 0x48, 1, 0x65, 3, 4, 2, 1]
        );
    }
}
