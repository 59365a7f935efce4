//! One signature checked: a P7's signer (over its signed attributes or
//! directly over the content) or a bare P1, against each form of the
//! content it may be over.

use super::alg::{self, Algorithm, Hash, KeyKind};
use super::cert::Cert;
use super::cms::SignerInfo;
use super::input::Form;
use super::report::Check;
use crate::codes;
use crate::error::{Error, Result};

/// A signature's verdict.
pub struct Signed {
    pub algorithm: Algorithm,
    pub key: KeyKind,
    pub valid: bool,
    /// The form that matched: content, digest or hashValue.
    pub signed_over: Option<&'static str>,
    pub check: Check,
}

/// YWX-5002 for an OID outside the supported list.
pub fn unsupported(field: &str, oid: &str) -> Error {
    Error::new(
        &codes::UNSUPPORTED_ALGORITHM,
        format!("{field} 使用的算法 {oid} 不受支持。{}", alg::SUPPORTED),
    )
    .with_field(field)
}

/// The kind of a certificate's key, or YWX-5002.
pub fn key_kind(cert: &Cert, field: &str) -> Result<KeyKind> {
    alg::key_kind(&cert.key).map_err(|oid| unsupported(field, &oid))
}

/// A P7 signer (a timestamp's too) over the first of `forms` it fits.
pub fn check_p7(
    si: &SignerInfo,
    cert: &Cert,
    forms: &[Form],
    sm2_id: &str,
    field: &str,
) -> Result<Signed> {
    let key = key_kind(cert, field)?;
    let hash = Hash::from_oid(&si.digest_oid).ok_or_else(|| unsupported(field, &si.digest_oid))?;
    let algorithm =
        alg::resolve(&si.sig_oid, Some(hash), key).map_err(|oid| unsupported(field, &oid))?;
    let verify = |msg: &[u8]| alg::verify(algorithm, &cert.key, msg, &si.signature, sm2_id);
    let (valid, signed_over) = match (&si.signed_attrs, &si.message_digest) {
        (Some(attrs), Some(md)) => {
            let matched = forms.iter().find(|f| hash.digest(&f.bytes) == *md);
            match matched {
                Some(f) => (verify(attrs), Some(f.name)),
                None => {
                    let check = Check::fail(
                        "signature",
                        format!(
                            "签名属性中的摘要（messageDigest）与原文不一致：原文被改动，或给出的不是证书 {} 这次签名的原文",
                            cert.label()
                        ),
                    );
                    return Ok(Signed {
                        algorithm,
                        key,
                        valid: false,
                        signed_over: None,
                        check,
                    });
                }
            }
        }
        (Some(_), None) => (false, None),
        _ => match forms.iter().find(|f| verify(&f.bytes)) {
            Some(f) => (true, Some(f.name)),
            None => (false, None),
        },
    };
    Ok(verdict(
        algorithm,
        key,
        cert,
        valid,
        signed_over,
        si.signed_attrs.is_some(),
    ))
}

/// A P1: each algorithm the key allows, over each form.
pub fn check_p1(sig: &[u8], cert: &Cert, forms: &[Form], sm2_id: &str) -> Result<Signed> {
    let key = key_kind(cert, "cert")?;
    let algorithms = alg::for_key(key);
    for &algorithm in &algorithms {
        if let Some(f) = forms
            .iter()
            .find(|f| alg::verify(algorithm, &cert.key, &f.bytes, sig, sm2_id))
        {
            return Ok(verdict(algorithm, key, cert, true, Some(f.name), false));
        }
    }
    Ok(verdict(algorithms[0], key, cert, false, None, false))
}

fn verdict(
    algorithm: Algorithm,
    key: KeyKind,
    cert: &Cert,
    valid: bool,
    signed_over: Option<&'static str>,
    attrs: bool,
) -> Signed {
    let check = if valid {
        let over = match signed_over {
            Some("digest") => "原文摘要的字节",
            Some("hashValue") => "摘要的 base64 文本（hashValue）",
            _ => "原文",
        };
        let how = if attrs { "（经签名属性）" } else { "" };
        Check::pass(
            "signature",
            format!(
                "签名有效：证书 {} 的 {} 签名{how}，签的是{over}",
                cert.label(),
                algorithm.name()
            ),
        )
    } else {
        let sm2 = if algorithm == Algorithm::Sm2Sm3 {
            "、SM2 用户 ID（sm2UserId）不对"
        } else {
            ""
        };
        Check::fail(
            "signature",
            format!(
                "签名无效：证书 {} 的公钥验证不了这个签名（原文或签名被改动{sm2}，或签名不是这张证书签的）",
                cert.label()
            ),
        )
    };
    Signed {
        algorithm,
        key,
        valid,
        signed_over,
        check,
    }
}
