//! The algorithms ywx verifies, by OID, and the signature check itself:
//! SM2 with SM3 (the `sm2` crate, with the signer's ID in the Z value),
//! ECDSA P-256/P-384 and RSA PKCS#1 v1.5 (ring, already linked for TLS).

use ring::signature as rs;
use sm2::dsa::signature::Verifier as _;

use super::cert::PublicKey;
use super::der;

/// What the message says is supported, after the OID it does not know.
pub const SUPPORTED: &str = "支持的算法：SM2-SM3（1.2.156.10197.1.501、1.2.156.10197.1.301.1、1.2.156.10197.1.301）、ECDSA P-256/P-384 + SHA-256/SHA-384、RSA PKCS#1 v1.5 + SHA-1/SHA-256；摘要 SM3、SHA-1、SHA-256、SHA-384";

/// The SM2 user ID of GM/T 0009, which certificates' signatures use.
pub const DEFAULT_SM2_ID: &str = "1234567812345678";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    Sha1,
    Sha256,
    Sha384,
    Sm3,
}

impl Hash {
    pub fn from_oid(oid: &str) -> Option<Hash> {
        match oid {
            "1.3.14.3.2.26" => Some(Hash::Sha1),
            "2.16.840.1.101.3.4.2.1" => Some(Hash::Sha256),
            "2.16.840.1.101.3.4.2.2" => Some(Hash::Sha384),
            // SM3; .1 and .2 are what several Chinese CA libraries write.
            "1.2.156.10197.1.401" | "1.2.156.10197.1.401.1" | "1.2.156.10197.1.401.2" => {
                Some(Hash::Sm3)
            }
            _ => None,
        }
    }

    /// From the request's `hashType` spelling.
    pub fn from_name(name: &str) -> Option<Hash> {
        crate::digest::Alg::parse(name).map(|a| match a {
            crate::digest::Alg::Sha1 => Hash::Sha1,
            crate::digest::Alg::Sha256 => Hash::Sha256,
            crate::digest::Alg::Sm3 => Hash::Sm3,
        })
    }

    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        use crate::digest::{Alg, Hasher};
        let alg = match self {
            Hash::Sha384 => {
                return ring::digest::digest(&ring::digest::SHA384, data)
                    .as_ref()
                    .to_vec();
            }
            Hash::Sha1 => Alg::Sha1,
            Hash::Sha256 => Alg::Sha256,
            Hash::Sm3 => Alg::Sm3,
        };
        let mut h = Hasher::new(alg);
        h.update(data);
        h.finish().as_ref().to_vec()
    }
}

/// A signature algorithm, as the reply names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Sm2Sm3,
    Ecdsa(Hash),
    Rsa(Hash),
}

impl Algorithm {
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Sm2Sm3 => "SM2-SM3",
            Algorithm::Ecdsa(Hash::Sha384) => "ECDSA-SHA384",
            Algorithm::Ecdsa(_) => "ECDSA-SHA256",
            Algorithm::Rsa(Hash::Sha1) => "RSA-SHA1",
            Algorithm::Rsa(_) => "RSA-SHA256",
        }
    }
}

/// A public key's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Sm2,
    P256,
    P384,
    Rsa(usize),
}

const EC_KEY: &str = "1.2.840.10045.2.1";
const RSA_KEY: &str = "1.2.840.113549.1.1.1";
const SM2_CURVE: &str = "1.2.156.10197.1.301";

/// The kind of a key, or the OID that is not supported.
pub fn key_kind(key: &PublicKey) -> Result<KeyKind, String> {
    match (key.alg.oid.as_str(), key.alg.param_oid.as_deref()) {
        (EC_KEY | SM2_CURVE, Some(SM2_CURVE)) | (SM2_CURVE, None) => Ok(KeyKind::Sm2),
        (EC_KEY, Some("1.2.840.10045.3.1.7")) => Ok(KeyKind::P256),
        (EC_KEY, Some("1.3.132.0.34")) => Ok(KeyKind::P384),
        (EC_KEY, Some(curve)) => Err(curve.to_string()),
        (RSA_KEY, _) => Ok(KeyKind::Rsa(rsa_bits(&key.bytes))),
        (other, _) => Err(other.to_string()),
    }
}

/// `SM2`, `EC P-256`, `RSA 2048`.
pub fn describe(kind: KeyKind) -> String {
    match kind {
        KeyKind::Sm2 => "SM2".into(),
        KeyKind::P256 => "EC P-256".into(),
        KeyKind::P384 => "EC P-384".into(),
        KeyKind::Rsa(bits) => format!("RSA {bits}"),
    }
}

fn rsa_bits(rsa_public_key: &[u8]) -> usize {
    let modulus = der::single(rsa_public_key)
        .ok()
        .and_then(|seq| seq.children().read().ok())
        .and_then(|n| n.unsigned().ok());
    modulus.map_or(0, |n| n.len() * 8 - n[0].leading_zeros() as usize)
}

/// The algorithm a signature OID (and the CMS digest algorithm, where
/// there is one) names for a key; Err names the OID not supported.
pub fn resolve(sig_oid: &str, digest: Option<Hash>, key: KeyKind) -> Result<Algorithm, String> {
    let ec = |default| match digest {
        None => Ok(Algorithm::Ecdsa(default)),
        Some(h @ (Hash::Sha256 | Hash::Sha384)) => Ok(Algorithm::Ecdsa(h)),
        Some(_) => Err(sig_oid.to_string()),
    };
    match (sig_oid, key) {
        ("1.2.156.10197.1.501" | "1.2.156.10197.1.301.1" | SM2_CURVE, _) => Ok(Algorithm::Sm2Sm3),
        (EC_KEY, KeyKind::Sm2) => Ok(Algorithm::Sm2Sm3),
        (EC_KEY, KeyKind::P256) => ec(Hash::Sha256),
        (EC_KEY, KeyKind::P384) => ec(Hash::Sha384),
        ("1.2.840.10045.4.3.2", _) => Ok(Algorithm::Ecdsa(Hash::Sha256)),
        ("1.2.840.10045.4.3.3", _) => Ok(Algorithm::Ecdsa(Hash::Sha384)),
        (RSA_KEY, _) => match digest.unwrap_or(Hash::Sha256) {
            h @ (Hash::Sha1 | Hash::Sha256) => Ok(Algorithm::Rsa(h)),
            _ => Err(sig_oid.to_string()),
        },
        ("1.2.840.113549.1.1.5" | "1.3.14.3.2.29", _) => Ok(Algorithm::Rsa(Hash::Sha1)),
        ("1.2.840.113549.1.1.11", _) => Ok(Algorithm::Rsa(Hash::Sha256)),
        (other, _) => Err(other.to_string()),
    }
}

/// The algorithm a bare P1 is checked with, from the certificate's key
/// alone (RSA: SHA-256, and SHA-1 when that fails).
pub fn for_key(kind: KeyKind) -> Vec<Algorithm> {
    match kind {
        KeyKind::Sm2 => vec![Algorithm::Sm2Sm3],
        KeyKind::P256 => vec![Algorithm::Ecdsa(Hash::Sha256)],
        KeyKind::P384 => vec![Algorithm::Ecdsa(Hash::Sha384)],
        KeyKind::Rsa(_) => vec![Algorithm::Rsa(Hash::Sha256), Algorithm::Rsa(Hash::Sha1)],
    }
}

/// Whether `sig` is `alg`'s signature of `msg` under `key`. A signature
/// may be DER `SEQUENCE{r,s}` or raw `r‖s` for SM2 and ECDSA.
pub fn verify(alg: Algorithm, key: &PublicKey, msg: &[u8], sig: &[u8], sm2_id: &str) -> bool {
    let Ok(kind) = key_kind(key) else {
        return false;
    };
    let field = match kind {
        KeyKind::P384 => 48,
        _ => 32,
    };
    match (alg, kind) {
        (Algorithm::Sm2Sm3, KeyKind::Sm2) => {
            let Some(rs) = raw_rs(sig, 32) else {
                return false;
            };
            let Ok(vk) = sm2::dsa::VerifyingKey::from_sec1_bytes(sm2_id, &key.bytes) else {
                return false;
            };
            sm2::dsa::Signature::from_slice(&rs).is_ok_and(|s| vk.verify(msg, &s).is_ok())
        }
        (Algorithm::Ecdsa(h), KeyKind::P256 | KeyKind::P384) => {
            let der_form = sig.first() == Some(&der::SEQUENCE);
            let algorithm: &dyn rs::VerificationAlgorithm = match (kind, h, der_form) {
                (KeyKind::P256, Hash::Sha256, true) => &rs::ECDSA_P256_SHA256_ASN1,
                (KeyKind::P256, Hash::Sha384, true) => &rs::ECDSA_P256_SHA384_ASN1,
                (KeyKind::P384, Hash::Sha256, true) => &rs::ECDSA_P384_SHA256_ASN1,
                (KeyKind::P384, Hash::Sha384, true) => &rs::ECDSA_P384_SHA384_ASN1,
                (KeyKind::P256, Hash::Sha256, false) if sig.len() == 2 * field => {
                    &rs::ECDSA_P256_SHA256_FIXED
                }
                (KeyKind::P384, Hash::Sha384, false) if sig.len() == 2 * field => {
                    &rs::ECDSA_P384_SHA384_FIXED
                }
                _ => return false,
            };
            rs::UnparsedPublicKey::new(algorithm, &key.bytes)
                .verify(msg, sig)
                .is_ok()
        }
        (Algorithm::Rsa(h), KeyKind::Rsa(_)) => {
            let algorithm = match h {
                Hash::Sha1 => &rs::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY,
                _ => &rs::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
            };
            rs::UnparsedPublicKey::new(algorithm, &key.bytes)
                .verify(msg, sig)
                .is_ok()
        }
        _ => false,
    }
}

/// `r‖s`, each `size` bytes, from DER `SEQUENCE{r,s}` or raw `r‖s`.
pub fn raw_rs(sig: &[u8], size: usize) -> Option<Vec<u8>> {
    if sig.len() == 2 * size && sig[0] != der::SEQUENCE {
        return Some(sig.to_vec());
    }
    let seq = der::single(sig).ok().filter(|t| t.tag == der::SEQUENCE)?;
    let mut r = seq.children();
    let mut out = Vec::with_capacity(2 * size);
    for _ in 0..2 {
        let n = r.expect(der::INTEGER, "").ok()?.unsigned().ok()?;
        if n.len() > size {
            return None;
        }
        out.extend(std::iter::repeat_n(0, size - n.len()));
        out.extend_from_slice(n);
    }
    r.is_empty().then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_and_raw_signatures_become_r_s() {
        let der_sig = [0x30, 0x06, 0x02, 0x01, 0x07, 0x02, 0x01, 0x09];
        let rs = raw_rs(&der_sig, 32).unwrap();
        assert_eq!(rs.len(), 64);
        assert_eq!((rs[31], rs[63]), (7, 9));
        assert_eq!(raw_rs(&[1u8; 64], 32).unwrap(), vec![1u8; 64]);
        assert!(raw_rs(&[1u8; 63], 32).is_none());
    }

    #[test]
    fn signature_oids_resolve_against_keys() {
        for oid in [
            "1.2.156.10197.1.501",
            "1.2.156.10197.1.301.1",
            "1.2.156.10197.1.301",
        ] {
            assert_eq!(
                resolve(oid, Some(Hash::Sm3), KeyKind::Sm2),
                Ok(Algorithm::Sm2Sm3)
            );
        }
        assert_eq!(
            resolve(EC_KEY, Some(Hash::Sha384), KeyKind::P256),
            Ok(Algorithm::Ecdsa(Hash::Sha384))
        );
        assert_eq!(
            resolve(RSA_KEY, Some(Hash::Sha1), KeyKind::Rsa(2048))
                .unwrap()
                .name(),
            "RSA-SHA1"
        );
        assert_eq!(
            resolve("1.2.840.113549.1.1.13", None, KeyKind::Rsa(2048)),
            Err("1.2.840.113549.1.1.13".into())
        );
        assert!(Hash::from_oid("2.16.840.1.101.3.4.2.3").is_none());
    }
}
