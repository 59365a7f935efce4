//! The certificate chain, judged the way an auditor asks: does it reach a
//! CA the hospital trusts, is every certificate valid at the time that
//! counts, may each key do what it did. A small validator of ywx's own:
//! webpki judges TLS certificates (EKUs, name constraints) and answers with
//! one error, where the reply must say which certificate failed and why.

use super::alg::{self, DEFAULT_SM2_ID};
use super::cert::Cert;
use super::report::Check;

/// Longest path tried (signer, intermediates, root).
const MAX_PATH: usize = 8;

/// Key usage bits.
const DIGITAL_SIGNATURE: u16 = 1;
const NON_REPUDIATION: u16 = 1 << 1;
const KEY_CERT_SIGN: u16 = 1 << 5;

/// What the chain of one signer's certificate came to.
pub struct Chain {
    pub trusted: bool,
    /// Signer first, up to the trust anchor (or as far as it was found).
    pub path: Vec<Cert>,
    pub chain: Check,
    pub validity: Check,
    pub key_usage: Check,
}

impl Chain {
    pub fn ok(&self) -> bool {
        self.trusted && self.validity.ok && self.key_usage.ok
    }
}

/// Builds and judges the chain of `signer` at `at` (seconds since 1970).
/// `role` names the certificate in messages: 签名证书, 时间戳证书.
pub fn evaluate(signer: &Cert, pool: &[Cert], anchors: &[Cert], at: i64, role: &str) -> Chain {
    let (path, trusted, problem) = build(signer, pool, anchors);
    let chain = match (trusted, problem) {
        (true, _) => chain_ok(&path, anchors, role),
        (false, Some(why)) => Check::fail("chain", why),
        (false, None) => Check::fail("chain", format!("{role} {} 的证书链过长", signer.label())),
    };
    let chain = if anchors.is_empty() {
        Check::fail(
            "chain",
            "没有配置信任的根证书：请在请求的 caCerts 或配置项 verify.caFile 中给出签发证书的 CA 证书（根证书和中级 CA 证书）",
        )
    } else {
        chain
    };
    Chain {
        trusted: trusted && !anchors.is_empty(),
        validity: validity(&path, at, role),
        key_usage: key_usage(&path, anchors, role),
        path,
        chain,
    }
}

/// The path from `signer` towards an anchor; whether it reached one; why not.
fn build(signer: &Cert, pool: &[Cert], anchors: &[Cert]) -> (Vec<Cert>, bool, Option<String>) {
    let is_anchor = |c: &Cert| anchors.iter().any(|a| a.raw == c.raw);
    let mut path = vec![signer.clone()];
    let mut trusted = is_anchor(signer);
    while !trusted && path.len() < MAX_PATH {
        let cur = path.last().expect("never empty");
        let named: Vec<&Cert> = anchors
            .iter()
            .chain(pool)
            .filter(|c| c.subject == cur.issuer && !path.iter().any(|p| p.raw == c.raw))
            .filter(|c| match (&cur.authority_key_id, &c.subject_key_id) {
                (Some(aki), Some(ski)) => aki == ski,
                _ => true,
            })
            .collect();
        let Some(issuer) = named.iter().find(|c| signed_by(cur, c)) else {
            let why = if cur.self_issued() {
                format!(
                    "根证书 {} 不在信任的根证书中（caCerts / verify.caFile）",
                    cur.label()
                )
            } else if named.is_empty() {
                format!(
                    "找不到证书 {} 的签发者 {} 的证书：请把该 CA 证书加入 caCerts、intermediates 或 verify.caFile",
                    cur.label(),
                    cur.issuer.text
                )
            } else {
                format!(
                    "证书 {} 上的签发者签名无法用 {} 的公钥验证：证书被篡改，或不是这个 CA 签发的",
                    cur.label(),
                    cur.issuer.text
                )
            };
            return (path, false, Some(why));
        };
        trusted = is_anchor(issuer);
        path.push((*issuer).clone());
    }
    (path, trusted, None)
}

/// Whether `issuer`'s key verifies `cert`'s signature.
pub fn signed_by(cert: &Cert, issuer: &Cert) -> bool {
    let Ok(kind) = alg::key_kind(&issuer.key) else {
        return false;
    };
    alg::resolve(&cert.sig_alg.oid, None, kind)
        .is_ok_and(|a| alg::verify(a, &issuer.key, &cert.tbs, &cert.signature, DEFAULT_SM2_ID))
}

/// A trusted path: every CA in it must be a CA.
fn chain_ok(path: &[Cert], anchors: &[Cert], role: &str) -> Check {
    for c in &path[1..] {
        let anchor_v1 = c.is_ca.is_none() && anchors.iter().any(|a| a.raw == c.raw);
        if c.is_ca != Some(true) && !anchor_v1 {
            return Check::fail(
                "chain",
                format!(
                    "证书 {} 不是 CA 证书（basicConstraints 没有 cA），不能签发其他证书",
                    c.label()
                ),
            );
        }
    }
    let names: Vec<&str> = path.iter().map(|c| c.subject.text.as_str()).collect();
    Check::pass(
        "chain",
        format!("{role}的证书链可信：{}", names.join(" → ")),
    )
}

fn validity(path: &[Cert], at: i64, role: &str) -> Check {
    for c in path {
        if at < c.not_before {
            return Check::fail(
                "validity",
                format!(
                    "证书 {} 在核验时间 {} 尚未生效（生效时间 {}）",
                    c.label(),
                    crate::clock::text_of(at),
                    crate::clock::text_of(c.not_before)
                ),
            );
        }
        if at > c.not_after {
            return Check::fail(
                "validity",
                format!(
                    "证书 {} 在核验时间 {} 已过期（到期时间 {}）",
                    c.label(),
                    crate::clock::text_of(at),
                    crate::clock::text_of(c.not_after)
                ),
            );
        }
    }
    Check::pass(
        "validity",
        format!(
            "{role}及其证书链在核验时间 {} 均在有效期内",
            crate::clock::text_of(at)
        ),
    )
}

fn key_usage(path: &[Cert], anchors: &[Cert], role: &str) -> Check {
    let signer = &path[0];
    if signer
        .key_usage
        .is_some_and(|ku| ku & (DIGITAL_SIGNATURE | NON_REPUDIATION) == 0)
    {
        return Check::fail(
            "keyUsage",
            format!(
                "证书 {} 的密钥用法（keyUsage）不含数字签名（digitalSignature）或不可否认（nonRepudiation），不能用于签名",
                signer.label()
            ),
        );
    }
    for c in &path[1..] {
        let is_anchor = anchors.iter().any(|a| a.raw == c.raw);
        if !is_anchor && c.key_usage.is_some_and(|ku| ku & KEY_CERT_SIGN == 0) {
            return Check::fail(
                "keyUsage",
                format!(
                    "CA 证书 {} 的密钥用法（keyUsage）不含证书签发（keyCertSign）",
                    c.label()
                ),
            );
        }
    }
    Check::pass("keyUsage", format!("{role}的密钥用法允许签名"))
}
