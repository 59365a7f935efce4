//! PDF files sent inside a JSON request (`pdfFile`, `appendixFile`),
//! streamed: the request is serialised once with a short placeholder where
//! each document's base64 goes, and the body is then the JSON text up to
//! the placeholder, the file encoded to base64 as it is read, and the rest
//! of the text. The document is never held in memory whole — but for a
//! push that must be stored in the outbox, which stores its base64
//! ([`Attachment::inline`]): the file may be gone when it is delivered.
//!
//! A file is checked when it is opened (a regular file of at most 2 MiB
//! that starts with `%PDF-`) and read through the same handle, exactly as
//! many bytes as it had then; a file that shrinks or changes meanwhile
//! fails the call rather than sending something else.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use crate::error::{Error, Result};
use crate::readfile;
use crate::rules::MAX_PDF_BYTES;

/// What every placeholder decodes to first: a placeholder passes the base64
/// PDF check of the rules, and a stored request that still holds one
/// (written ahead of a push whose process was killed) is recognised.
const MARK: &str = "%PDF-ywx-stream:";

/// File bytes read per step: a multiple of 3, so that each step's base64
/// stands alone; encoded, as much as ureq writes at a time (512 KiB).
const STEP: usize = 384 * 1024;

/// Standard base64 (with padding) of `src` into `dst`, which has room for
/// it; the length written (0 if it had not).
///
/// base64-simd (AVX2/SSSE3, chosen at run time; scalar on older CPUs):
/// a 2 MiB document in 0.25 ms against the base64 crate's 1.2–1.7 ms,
/// which a push waits for, as the gateway reads nothing until it has the
/// whole body (docs/performance.md).
fn encode(src: &[u8], dst: &mut [u8]) -> usize {
    let len = base64_simd::STANDARD.encoded_length(src.len());
    match dst.get_mut(..len) {
        Some(dst) => base64_simd::STANDARD
            .encode(src, base64_simd::Out::from_slice(dst))
            .len(),
        None => 0,
    }
}

/// A PDF file opened for a request.
#[derive(Debug)]
pub struct Attachment {
    /// The field it replaces (`body.pdfFile`), for messages.
    pub field: String,
    file: File,
    len: u64,
    modified: Option<SystemTime>,
    placeholder: String,
}

/// The base64 every placeholder starts with.
pub fn mark() -> String {
    // MARK has 16 bytes: its first 15 encode to 20 characters on their own.
    B64.encode(&MARK.as_bytes()[..15])
}

impl Attachment {
    /// Opens and checks the PDF at `path` for `field`.
    pub fn open(path: &str, field: &str) -> Result<Attachment> {
        // The path is not repeated: it is the caller's text, and may be
        // named after the patient.
        let fail = |why: String| Error::arg(field, format!("指向的文件{why}"));
        let mut file = readfile::open_regular(Path::new(path)).map_err(fail)?;
        let meta = file
            .metadata()
            .map_err(|e| fail(readfile::io_why(&e, "无法读取")))?;
        if meta.len() > MAX_PDF_BYTES as u64 {
            return Err(fail("超过 2 MiB（接口文档：最大不超过2M）".into()));
        }
        let mut start = [0u8; 5];
        let n =
            read_full(&mut file, &mut start).map_err(|e| fail(readfile::io_why(&e, "读取失败")))?;
        if &start[..n] != b"%PDF-" {
            return Err(Error::arg(field, "指向的文件不是 PDF（应以 %PDF- 开头）"));
        }
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let nonce = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let token = format!(
            "{MARK}{:08x}{nonce:016x}{:08x}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed) & 0xffff_ffff
        );
        Ok(Attachment {
            field: field.to_string(),
            file,
            len: meta.len(),
            modified: meta.modified().ok(),
            placeholder: B64.encode(token),
        })
    }

    /// What stands in the JSON text for the document's base64.
    pub fn placeholder(&self) -> &str {
        &self.placeholder
    }

    /// The length of the document's base64.
    pub fn encoded_len(&self) -> u64 {
        self.len.div_ceil(3) * 4
    }

    /// The document's base64, read whole (for a push stored in the outbox).
    pub fn inline(&mut self) -> Result<String> {
        let fail = |e: io::Error| {
            Error::arg(
                &self.field,
                format!("指向的文件{}", readfile::io_why(&e, "无法再次读取")),
            )
        };
        let mut buf = Vec::with_capacity(self.encoded_len() as usize);
        let read = Encoder::new(&mut self.file, self.len, self.modified)
            .and_then(|mut r| r.read_to_end(&mut buf));
        read.map_err(fail)?;
        String::from_utf8(buf).map_err(|_| Error::internal("base64 不是 ASCII"))
    }
}

fn read_full(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// A file's bytes as base64, as read: exactly the length it had when it
/// was opened (an early end is an error).
struct Encoder<'a> {
    file: &'a mut File,
    left: u64,
    raw: Vec<u8>,
    encoded: Vec<u8>,
    at: usize,
}

impl<'a> Encoder<'a> {
    /// From the start of `file`, unchanged since it was opened.
    fn new(file: &'a mut File, len: u64, modified: Option<SystemTime>) -> io::Result<Encoder<'a>> {
        let meta = file.metadata()?;
        if meta.len() != len || meta.modified().ok() != modified {
            return Err(io::Error::other("在发送过程中被修改了"));
        }
        file.seek(SeekFrom::Start(0))?;
        Ok(Encoder {
            file,
            left: len,
            raw: vec![0; STEP],
            encoded: Vec::with_capacity(STEP / 3 * 4),
            at: 0,
        })
    }
}

impl Encoder<'_> {
    /// The next at most `max` bytes of the file (`max` a multiple of 3
    /// unless it is all that is left).
    fn next_raw(&mut self, max: usize) -> io::Result<&[u8]> {
        let want = (self.left as usize).min(STEP).min(max);
        let n = read_full(self.file, &mut self.raw[..want])?;
        if n < want {
            return Err(io::Error::other("在发送过程中变短了"));
        }
        self.left -= n as u64;
        Ok(&self.raw[..n])
    }
}

impl Read for Encoder<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.at == self.encoded.len() {
            if self.left == 0 {
                return Ok(0);
            }
            if out.len() >= 4 {
                // Straight into the caller's buffer (ureq's output buffer).
                let raw = self.next_raw(out.len() / 4 * 3)?;
                return Ok(encode(raw, out));
            }
            let n = self.next_raw(STEP)?.len();
            self.encoded.resize(n.div_ceil(3) * 4, 0);
            let written = encode(&self.raw[..n], &mut self.encoded);
            self.encoded.truncate(written);
            self.at = 0;
        }
        let n = out.len().min(self.encoded.len() - self.at);
        out[..n].copy_from_slice(&self.encoded[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// A JSON text whose placeholders stand for attached documents.
#[derive(Debug)]
pub struct Document {
    pub text: String,
    pub files: Vec<Attachment>,
}

impl Document {
    /// The text with each document's base64 in place of its placeholder.
    pub fn inline(&mut self) -> Result<String> {
        inline_text(&self.text, &mut self.files)
    }

    /// The body's length, its documents encoded.
    pub fn len(&self) -> u64 {
        let placeholders: usize = self.files.iter().map(|a| a.placeholder.len()).sum();
        let encoded: u64 = self.files.iter().map(Attachment::encoded_len).sum();
        (self.text.len() - placeholders) as u64 + encoded
    }

    /// The body as it is sent, read piece by piece.
    pub fn reader(&mut self) -> Result<Body<'_>> {
        let mut pieces = Vec::with_capacity(self.files.len() * 2 + 1);
        let mut rest = self.text.as_str();
        for a in self.files.iter_mut() {
            let Some(at) = rest.find(a.placeholder.as_str()) else {
                return Err(Error::internal(format!("{} 的占位符不在请求中", a.field)));
            };
            pieces.push(Piece::Text(&rest.as_bytes()[..at]));
            rest = &rest[at + a.placeholder.len()..];
            let encoder = Encoder::new(&mut a.file, a.len, a.modified).map_err(|e| {
                Error::arg(
                    &a.field,
                    format!("指向的文件{}", readfile::io_why(&e, "无法读取")),
                )
            })?;
            pieces.push(Piece::File(a.field.clone(), encoder));
        }
        pieces.push(Piece::Text(rest.as_bytes()));
        pieces.reverse();
        Ok(Body {
            pieces,
            failed: None,
        })
    }
}

enum Piece<'a> {
    Text(&'a [u8]),
    File(String, Encoder<'a>),
}

/// A request body with its documents encoded as they are read.
pub struct Body<'a> {
    /// What is left, last piece first.
    pieces: Vec<Piece<'a>>,
    /// A document that could not be read: the request was not sent whole.
    pub failed: Option<Error>,
}

impl Read for Body<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while let Some(piece) = self.pieces.last_mut() {
            let n = match piece {
                Piece::Text(t) => {
                    let n = out.len().min(t.len());
                    out[..n].copy_from_slice(&t[..n]);
                    *t = &t[n..];
                    n
                }
                Piece::File(field, encoder) => match encoder.read(out) {
                    Ok(n) => n,
                    Err(e) => {
                        self.failed = Some(Error::arg(
                            field.as_str(),
                            format!("文件读取失败：{e}。请求没有发出（连接已断开）"),
                        ));
                        return Err(e);
                    }
                },
            };
            if n > 0 || out.is_empty() {
                return Ok(n);
            }
            self.pieces.pop();
        }
        Ok(0)
    }
}

/// `text` with the base64 of each of `files` in place of its placeholder.
pub fn inline_text(text: &str, files: &mut [Attachment]) -> Result<String> {
    let mut text = text.to_string();
    for a in files {
        let b64 = a.inline()?;
        text = text.replacen(a.placeholder.as_str(), &b64, 1);
    }
    Ok(text)
}

/// Whether a stored request still holds a placeholder: its document was
/// never stored (it was written ahead of a push, then the process died).
pub fn holds_placeholder(text: &str) -> bool {
    text.contains(mark().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SIMD encoder writes what the base64 crate (which the gateway's
    /// decoders agree with) writes, at every length and tail.
    #[test]
    fn streamed_base64_is_standard_base64() {
        let bytes: Vec<u8> = (0..4099u32).map(|i| (i * 131 % 256) as u8).collect();
        let mut out = vec![0u8; 6000];
        for len in (0..200).chain([1023, 1024, 1025, 3000, 4096, 4099]) {
            let n = encode(&bytes[..len], &mut out);
            assert_eq!(
                &out[..n],
                B64.encode(&bytes[..len]).as_bytes(),
                "{len} bytes"
            );
        }
        assert_eq!(
            encode(&bytes[..10], &mut out[..15]),
            0,
            "no room: nothing written"
        );
    }

    fn pdf(name: &str, len: usize) -> (std::path::PathBuf, Vec<u8>) {
        let dir = std::env::temp_dir().join(format!("ywx-attach-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut bytes = b"%PDF-1.4\n".to_vec();
        bytes.extend((0..len).map(|i| (i * 7 % 251) as u8));
        let path = dir.join(name);
        std::fs::write(&path, &bytes).unwrap();
        (path, bytes)
    }

    #[test]
    fn a_body_is_its_text_with_each_document_encoded() {
        for len in [0, 1, 2, 3, STEP - 9, STEP, STEP * 3 + 1] {
            let (a, bytes_a) = pdf("a.pdf", len);
            let (b, bytes_b) = pdf("b.pdf", 100);
            let a = Attachment::open(a.to_str().unwrap(), "body.pdfFile").unwrap();
            let b = Attachment::open(b.to_str().unwrap(), "head.appendixFile").unwrap();
            assert!(a.placeholder().starts_with(&mark()));
            let text = format!(
                r#"{{"x":"{}","y":1,"z":"{}"}}"#,
                a.placeholder(),
                b.placeholder()
            );
            let mut doc = Document {
                text,
                files: vec![a, b],
            };
            assert!(holds_placeholder(&doc.text));
            let want = format!(
                r#"{{"x":"{}","y":1,"z":"{}"}}"#,
                B64.encode(&bytes_a),
                B64.encode(&bytes_b)
            );
            assert_eq!(doc.len(), want.len() as u64);
            let mut sent = Vec::new();
            let mut small = [0u8; 1000];
            let mut body = doc.reader().unwrap();
            loop {
                let n = body.read(&mut small).unwrap();
                if n == 0 {
                    break;
                }
                sent.extend_from_slice(&small[..n]);
            }
            assert_eq!(String::from_utf8(sent).unwrap(), want, "{len}");
            assert_eq!(doc.inline().unwrap(), want, "read again, the same");
            assert!(!holds_placeholder(&want));
        }
    }

    #[test]
    fn the_encoder_is_base64() {
        let bytes: Vec<u8> = (0..1000u32).map(|i| (i * 7919 % 256) as u8).collect();
        let mut out = vec![0u8; 1400];
        for len in [0, 1, 2, 3, 4, 5, 6, 299, 300, 301, 1000] {
            let n = encode(&bytes[..len], &mut out);
            assert_eq!(&out[..n], B64.encode(&bytes[..len]).as_bytes(), "{len}");
        }
    }

    #[test]
    fn what_is_not_a_small_pdf_is_refused_and_a_changed_file_fails() {
        let (path, _) = pdf("c.pdf", 10);
        std::fs::write(&path, b"hello").unwrap();
        let e = Attachment::open(path.to_str().unwrap(), "body.pdfFile").unwrap_err();
        assert!(e.message.contains("不是 PDF"), "{}", e.message);
        std::fs::write(&path, vec![b'%'; MAX_PDF_BYTES + 1]).unwrap();
        let e = Attachment::open(path.to_str().unwrap(), "body.pdfFile").unwrap_err();
        assert!(e.message.contains("超过 2 MiB"), "{}", e.message);
        let (path, _) = pdf("d.pdf", 10);
        let mut a = Attachment::open(path.to_str().unwrap(), "body.pdfFile").unwrap();
        std::fs::write(&path, b"%PDF-").unwrap();
        assert!(a.inline().is_err());
    }
}
