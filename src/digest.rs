//! Local digests (4.3.4): SHA1, SHA256 and SM3, in base64, exactly as
//! the gateway's computeDigestForAlg answers.

use std::io::Read;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ring::digest::{Context, SHA256};
use sha1::Sha1;
use sm3::{Digest as _, Sm3};

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::readfile;
use crate::value::as_text;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    Sha1,
    Sha256,
    Sm3,
}

impl Alg {
    /// Accepts the document's spellings: `SHA256` and `SHA-256`, any case.
    pub fn parse(s: &str) -> Option<Alg> {
        match s.trim().to_ascii_uppercase().replace('-', "").as_str() {
            "SHA1" => Some(Alg::Sha1),
            "SHA256" => Some(Alg::Sha256),
            "SM3" => Some(Alg::Sm3),
            _ => None,
        }
    }

    /// The canonical name the gateway answers with.
    pub fn name(self) -> &'static str {
        match self {
            Alg::Sha1 => "SHA1",
            Alg::Sha256 => "SHA256",
            Alg::Sm3 => "SM3",
        }
    }
}

/// A running digest of any of the three algorithms. SHA256 comes from ring
/// (already in the library for TLS): BoringSSL's assembly, which uses the
/// SHA extensions (SHA-NI) where the CPU has them, as OpenSSL does. ring's
/// SHA1 has no SHA-NI or SIMD code (about 0.2 of OpenSSL's), so SHA1 comes
/// from RustCrypto's sha1, which picks its SHA-NI code at run time
/// (cpufeatures) and falls back to portable code on older CPUs; it is built
/// at opt-level 3 (Cargo.toml), without which its intrinsics are not
/// inlined. SM3 comes from the sm3 crate.
pub enum Hasher {
    Ring(Context),
    Sha1(Sha1),
    Sm3(Sm3),
}

impl Hasher {
    pub fn new(alg: Alg) -> Hasher {
        match alg {
            Alg::Sha1 => Hasher::Sha1(Sha1::new()),
            Alg::Sha256 => Hasher::Ring(Context::new(&SHA256)),
            Alg::Sm3 => Hasher::Sm3(Sm3::new()),
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Ring(h) => h.update(data),
            Hasher::Sha1(h) => h.update(data),
            Hasher::Sm3(h) => h.update(data),
        }
    }

    pub fn finish(self) -> Digest {
        match self {
            Hasher::Ring(h) => Digest::of(h.finish().as_ref()),
            Hasher::Sha1(h) => Digest::of(&h.finalize()),
            Hasher::Sm3(h) => Digest::of(&h.finalize()),
        }
    }
}

/// A digest's bytes (20 or 32), kept inline: no allocation per digest,
/// which at 1 KiB is a few per cent of the hashing itself.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Digest {
    bytes: [u8; 32],
    len: usize,
}

impl Digest {
    fn of(bytes: &[u8]) -> Digest {
        let mut d = Digest {
            bytes: [0; 32],
            len: bytes.len(),
        };
        d.bytes[..bytes.len()].copy_from_slice(bytes);
        d
    }
}

impl std::ops::Deref for Digest {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl std::fmt::Debug for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

pub fn digest(alg: Alg, data: &[u8]) -> Digest {
    match alg {
        // One-shot: no context kept beside the data.
        Alg::Sha256 => Digest::of(ring::digest::digest(&SHA256, data).as_ref()),
        Alg::Sha1 => Digest::of(&Sha1::digest(data)),
        Alg::Sm3 => Digest::of(&Sm3::digest(data)),
    }
}

/// Hashes a regular file streaming, in 64 KiB pieces, never loading it
/// whole; the bytes hashed are those it had when opened.
pub fn digest_file(alg: Alg, path: &Path, field: &str) -> Result<Digest> {
    // The path is not repeated: it is the caller's text.
    let file_error = |why: String| Error::arg(field, format!("指向的文件{why}"));
    let file = readfile::open_regular(path).map_err(file_error)?;
    let len = file
        .metadata()
        .map_err(|e| file_error(readfile::io_why(&e, "无法读取")))?
        .len();
    let mut file = file.take(len);
    let mut h = Hasher::new(alg);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| file_error(readfile::io_why(&e, "读取失败")))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finish())
}

/// What a request asks to have hashed: `originData` (the UTF-8 bytes of
/// the text) or `originFile`, with `hashAlg` (SM3 when absent). Read by
/// `ywx_digest` and by the sign requests that give originData in place of
/// hashValue, so both spell and check these fields the same way.
pub struct Origin {
    pub alg: Alg,
    pub source: Input,
    /// Where the fields were: "" or "body.", for messages.
    at: String,
}

pub enum Input {
    Text(String),
    File(PathBuf),
}

impl Origin {
    /// Takes originData/originFile/hashAlg out of `obj` (`at` is its path
    /// with a trailing dot, for messages). None when neither is given.
    pub fn take(obj: &mut Map<String, Value>, at: &str) -> Result<Option<Origin>> {
        let field = |name: &str| format!("{at}{name}");
        let data = obj.remove("originData").filter(|v| !v.is_null());
        let file = obj.remove("originFile").filter(|v| !v.is_null());
        let alg = match obj.remove("hashAlg").filter(|v| !v.is_null()) {
            None => Alg::Sm3,
            Some(v) => as_text(&v).as_deref().and_then(Alg::parse).ok_or_else(|| {
                Error::arg(field("hashAlg"), "只能是 SHA1、SHA256 或 SM3（默认 SM3）")
            })?,
        };
        let source = match (data, file) {
            (None, None) => return Ok(None),
            (Some(_), Some(_)) => {
                return Err(Error::arg(field("originData"), "与 originFile 只能给一个"));
            }
            (Some(d), None) => Input::Text(
                as_text(&d).ok_or_else(|| Error::arg(field("originData"), "必须是字符串"))?,
            ),
            (None, Some(f)) => {
                Input::File(PathBuf::from(as_text(&f).ok_or_else(|| {
                    Error::arg(field("originFile"), "必须是文件路径字符串")
                })?))
            }
        };
        Ok(Some(Origin {
            alg,
            source,
            at: at.to_string(),
        }))
    }

    /// The digest, computed here.
    pub fn hash(&self) -> Result<Digest> {
        match &self.source {
            Input::Text(text) => Ok(digest(self.alg, text.as_bytes())),
            Input::File(path) => digest_file(self.alg, path, &format!("{}originFile", self.at)),
        }
    }
}

pub fn base64(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors() {
        // GB/T 32905-2016 example 1: SM3("abc").
        assert_eq!(
            digest(Alg::Sm3, b"abc").to_vec(),
            hex("66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0")
        );
        assert_eq!(
            base64(&digest(Alg::Sha256, b"abc")),
            "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
        );
        assert_eq!(
            base64(&digest(Alg::Sha1, b"abc")),
            "qZk+NkcGgWq6PiVxeFDCbJzQ2J0="
        );
    }

    /// SHA1 (RustCrypto's, SHA-NI where the CPU has it) agrees with ring's
    /// at every length around the 64-byte block and its padding, one-shot
    /// and streamed in uneven pieces.
    #[test]
    fn sha1_agrees_with_ring_at_every_length() {
        let data: Vec<u8> = (0..70_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
        let lengths = (0..200).chain([1000, 4096, 65_535, 65_536, 70_000]);
        for len in lengths {
            let want = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &data[..len]);
            assert_eq!(&*digest(Alg::Sha1, &data[..len]), want.as_ref(), "{len}");
            let mut h = Hasher::new(Alg::Sha1);
            for piece in data[..len].chunks(37) {
                h.update(piece);
            }
            assert_eq!(&*h.finish(), want.as_ref(), "streamed, {len}");
        }
    }

    #[test]
    fn spellings() {
        assert_eq!(Alg::parse("SHA-256"), Some(Alg::Sha256));
        assert_eq!(Alg::parse("sm3"), Some(Alg::Sm3));
        assert_eq!(Alg::parse("MD5"), None);
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }
}
