//! `ywx_verify_local`'s request: the evidence (base64 of DER, or PEM),
//! the content in the forms a signature may be over, and the options.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use serde_json::{Map, Value};

use super::alg::{self, Hash};
use super::cert::Cert;
use crate::codes;
use crate::error::{Error, Result};

/// What the signature is checked over: each form a signer may have
/// signed, named as `data.signedOver` names it.
#[derive(Debug, Clone)]
pub struct Form {
    /// `content` (the bytes), `digest` (the digest's bytes) or
    /// `hashValue` (the digest's base64 text).
    pub name: &'static str,
    pub bytes: Vec<u8>,
}

/// The request, read.
pub struct Request {
    pub signed_data: Option<Vec<u8>>,
    pub p1: Option<Vec<u8>>,
    pub cert: Option<Cert>,
    pub timestamp: Option<Vec<u8>>,
    /// The content's forms; empty when the request gives none.
    pub forms: Vec<Form>,
    /// The digest algorithm of the digest forms.
    pub hash: Hash,
    pub check_time: CheckTime,
    pub sm2_id: String,
    pub ca_certs: Vec<Cert>,
    pub intermediates: Vec<Cert>,
    pub return_content: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckTime {
    /// The verified timestamp's time, else now.
    Auto,
    Now,
    /// A moment the request names, seconds since 1970.
    At(i64),
}

/// Reads the request.
pub fn read(value: &Value) -> Result<Request> {
    let obj = value
        .as_object()
        .ok_or_else(|| Error::arg("request", "请求必须是一个 JSON 对象 {...}"))?;
    let text = |k: &str| text(obj, k);
    let signed_data = text("signedData")?
        .map(|t| decode(&t, "signedData", P7))
        .transpose()?;
    let p1 = text("p1")?.map(|t| decode(&t, "p1", P1)).transpose()?;
    let cert = text("cert")?.map(|t| certificate(&t, "cert")).transpose()?;
    let timestamp = text("timeStampSignData")?
        .map(|t| decode(&t, "timeStampSignData", TS))
        .transpose()?;
    evidence_rules(&signed_data, &p1, &cert, &timestamp)?;
    let hash = match text("hashType")? {
        None => Hash::Sm3,
        Some(h) => Hash::from_name(&h)
            .ok_or_else(|| Error::arg("hashType", "只能是 SM3、SHA1 或 SHA256"))?,
    };
    Ok(Request {
        forms: forms(obj, hash)?,
        hash,
        check_time: check_time(text("checkTime")?)?,
        sm2_id: match text("sm2UserId")? {
            Some(id) if id.is_empty() => return Err(Error::arg("sm2UserId", "不能为空字符串")),
            Some(id) => id,
            None => alg::DEFAULT_SM2_ID.to_string(),
        },
        ca_certs: cert_list(obj, "caCerts")?,
        intermediates: cert_list(obj, "intermediates")?,
        return_content: obj
            .get("returnContent")
            .is_some_and(|v| v == true || v == "true"),
        signed_data,
        p1,
        cert,
        timestamp,
    })
}

/// A string field; null or blank is absent.
fn text(obj: &Map<String, Value>, key: &str) -> Result<Option<String>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Error::arg(key, "必须是字符串")),
    }
}

fn evidence_rules(
    p7: &Option<Vec<u8>>,
    p1: &Option<Vec<u8>>,
    cert: &Option<Cert>,
    ts: &Option<Vec<u8>>,
) -> Result<()> {
    match (p7.is_some(), p1.is_some(), cert.is_some()) {
        (true, true, _) => Err(Error::arg(
            "p1",
            "不能和 signedData 同时给出：P7 签名给 signedData，P1 签名给 p1 和 cert",
        )),
        (_, true, false) => Err(Error::arg(
            "cert",
            "不能为空：验证 P1 签名需要签名者的证书 cert（5.1.2 isP1 为 true 时返回）",
        )),
        (false, false, true) => Err(Error::arg(
            "p1",
            "不能为空：给了 cert，还要给出 P1 签名值 p1",
        )),
        (false, false, false) if ts.is_none() => Err(Error::arg(
            "signedData",
            "不能为空：请给出要验证的签名 signedData（P7），或 p1 和 cert（P1），或时间戳 timeStampSignData",
        )),
        _ => Ok(()),
    }
}

/// The content's forms from `originData`, `hashValue` (+`hashType`) or `contentBase64`.
fn forms(obj: &Map<String, Value>, hash: Hash) -> Result<Vec<Form>> {
    let origin = text(obj, "originData")?;
    let hash_value = text(obj, "hashValue")?;
    let content_b64 = text(obj, "contentBase64")?;
    let given = [
        origin.is_some(),
        hash_value.is_some(),
        content_b64.is_some(),
    ];
    if given.iter().filter(|g| **g).count() > 1 {
        return Err(Error::arg(
            if origin.is_some() {
                "originData"
            } else {
                "hashValue"
            },
            "originData、hashValue、contentBase64 只能给出一个：原文给 originData（文本）或 contentBase64（字节），摘要给 hashValue + hashType",
        ));
    }
    let content = match (origin, content_b64) {
        (Some(text), _) => Some(text.into_bytes()),
        (_, Some(b64)) => Some(base64(&b64).ok_or_else(|| {
            Error::arg("contentBase64", "不是合法的 base64：应为原文字节的 base64")
        })?),
        _ => None,
    };
    if let Some(bytes) = content {
        let digest = hash.digest(&bytes);
        let text = STANDARD.encode(&digest).into_bytes();
        return Ok(vec![
            Form {
                name: "content",
                bytes,
            },
            Form {
                name: "digest",
                bytes: digest,
            },
            Form {
                name: "hashValue",
                bytes: text,
            },
        ]);
    }
    let Some(hv) = hash_value else {
        return Ok(Vec::new());
    };
    let digest = base64(&hv).ok_or_else(|| {
        Error::arg(
            "hashValue",
            "不是合法的 base64：应为摘要的 base64（4.3.5 推送时的 hashValue）",
        )
    })?;
    Ok(vec![
        Form {
            name: "digest",
            bytes: digest,
        },
        Form {
            name: "hashValue",
            bytes: hv.trim().as_bytes().to_vec(),
        },
    ])
}

fn check_time(text: Option<String>) -> Result<CheckTime> {
    match text.as_deref().map(str::trim) {
        None | Some("auto") => Ok(CheckTime::Auto),
        Some("now") => Ok(CheckTime::Now),
        Some(t) => crate::clock::parse_local(t).map(CheckTime::At).ok_or_else(|| {
            Error::arg(
                "checkTime",
                "只能是 auto、now 或 yyyy-MM-dd HH:mm:ss 格式的时间（例如 2024-05-01 10:00:00）",
            )
        }),
    }
}

/// A list of certificates (each base64 DER or PEM; a PEM entry may hold several).
fn cert_list(obj: &Map<String, Value>, key: &str) -> Result<Vec<Cert>> {
    let entries: Vec<&Value> = match obj.get(key) {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) => a.iter().collect(),
        Some(v @ Value::String(_)) => vec![v],
        Some(_) => {
            return Err(Error::arg(
                key,
                "必须是证书的列表 [\"MII...\", ...]（base64 或 PEM）",
            ));
        }
    };
    let mut certs = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let field = format!("{key}[{i}]");
        let s = e
            .as_str()
            .ok_or_else(|| Error::arg(field.clone(), "必须是字符串（证书的 base64 或 PEM）"))?;
        certs.extend(certificates(s, &field)?);
    }
    Ok(certs)
}

/// One certificate.
pub fn certificate(text: &str, field: &str) -> Result<Cert> {
    let der = decode(text, field, CERT)?;
    Cert::parse(&der).map_err(|b| unreadable(field, CERT, b.0))
}

/// Every certificate of a PEM bundle, or the one of a base64 DER text.
pub fn certificates(text: &str, field: &str) -> Result<Vec<Cert>> {
    if !text.contains("-----BEGIN") {
        return Ok(vec![certificate(text, field)?]);
    }
    let blocks = pem_blocks(text);
    if blocks.is_empty() {
        return Err(unreadable(field, CERT, "PEM 中没有证书"));
    }
    blocks
        .iter()
        .map(|der| Cert::parse(der).map_err(|b| unreadable(field, CERT, b.0)))
        .collect()
}

/// What a field should hold, for messages.
pub const P7: &str =
    "P7 签名数据（PKCS#7/CMS SignedData 的 DER 的 base64，或 -----BEGIN PKCS7----- 的 PEM）";
pub const P1: &str = "P1 签名值的 base64（DER 的 SEQUENCE{r,s}、64 字节的 r‖s，或 RSA 签名）";
pub const TS: &str = "RFC 3161 时间戳（TimeStampToken 或 TimeStampResp 的 DER 的 base64）";
pub const CERT: &str = "X.509 证书（DER 的 base64，或 -----BEGIN CERTIFICATE----- 的 PEM）";

/// YWX-5001 naming the field and what it should be.
pub fn unreadable(field: &str, expected: &str, why: &str) -> Error {
    Error::new(
        &codes::EVIDENCE_UNREADABLE,
        format!("{field} 无法读取（{why}）：应为{expected}"),
    )
    .with_field(field)
}

/// The bytes of a base64 or PEM text.
pub fn decode(text: &str, field: &str, expected: &str) -> Result<Vec<u8>> {
    let der = if text.contains("-----BEGIN") {
        pem_blocks(text).into_iter().next()
    } else {
        base64(text)
    };
    match der {
        Some(d) if !d.is_empty() => Ok(d),
        _ => Err(unreadable(field, expected, "不是 base64 或 PEM")),
    }
}

/// Base64 in any of its spellings (line breaks, URL-safe, no padding).
pub fn base64(text: &str) -> Option<Vec<u8>> {
    let clean: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|e| e.decode(&clean).ok())
}

/// The DER of each PEM block.
fn pem_blocks(text: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(begin) = rest.find("-----BEGIN") {
        let after = &rest[begin + 10..];
        let Some(body_start) = after.find("-----").map(|i| i + 5) else {
            break;
        };
        let body = &after[body_start..];
        let Some(end) = body.find("-----END") else {
            break;
        };
        // Headers of an old PEM (Proc-Type: ...) end at a blank line.
        let b64: String = body[..end].lines().filter(|l| !l.contains(':')).collect();
        if let Some(der) = base64(&b64) {
            out.push(der);
        }
        rest = &body[end + 8..];
    }
    out
}
