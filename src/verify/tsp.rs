//! RFC 3161 timestamps: a TimeStampToken (CMS SignedData over a TSTInfo)
//! or a TimeStampResp holding one. The TSA's signature and chain, and the
//! messageImprint against the signature value, the content or its digest.

use super::alg::{DEFAULT_SM2_ID, Hash};
use super::cert::{self, Cert};
use super::chain::{self, Chain};
use super::cms::{self, SignedData};
use super::der::{self, Bad};
use super::input::{self, Form, TS};
use super::report::{Check, Stamp};
use super::signer::{self, Signed};
use crate::error::Result;

const TST_INFO: &str = "1.2.840.113549.1.9.16.1.4";

pub struct Token {
    pub sd: SignedData,
    pub imprint_oid: String,
    pub imprint: Vec<u8>,
    pub gen_time: i64,
}

/// What checking a token found: the stamp, and the TSA's signature and
/// chain (the evidence itself when only a timestamp is given).
pub struct Checked {
    pub stamp: Stamp,
    pub tsa: Cert,
    pub signed: Signed,
}

/// Parses a token or a response holding one; `field` names it in errors.
pub fn parse(bytes: &[u8], field: &str) -> Result<Token> {
    read(bytes).map_err(|b| input::unreadable(field, TS, b.0))
}

fn read(bytes: &[u8]) -> der::Result<Token> {
    let top = der::single(bytes)?;
    let mut r = top.children();
    let token = match r.peek_tag() {
        Some(der::SEQUENCE) => {
            // TimeStampResp { status PKIStatusInfo, timeStampToken }
            let status = r
                .read()?
                .children()
                .expect(der::INTEGER, "时间戳应答缺少状态")?
                .small()?;
            if status > 1 {
                return Err(Bad("时间戳应答的状态是拒绝，不含时间戳"));
            }
            r.expect(der::SEQUENCE, "时间戳应答不含时间戳")?.raw
        }
        _ => top.raw,
    };
    let sd = cms::parse(token)?;
    if sd.content_type != TST_INFO {
        return Err(Bad("签名数据里不是时间戳信息 TSTInfo"));
    }
    let content = sd.content.clone().ok_or(Bad("时间戳不含 TSTInfo"))?;
    let tst = der::single(&content)?;
    let mut t = tst.children();
    t.expect(der::INTEGER, "TSTInfo 缺少版本号")?;
    t.expect(der::OID, "TSTInfo 缺少策略")?;
    let mi = t.expect(der::SEQUENCE, "TSTInfo 缺少 messageImprint")?;
    let mut m = mi.children();
    let alg = m.expect(der::SEQUENCE, "messageImprint 缺少摘要算法")?;
    let imprint_oid = alg
        .children()
        .expect(der::OID, "messageImprint 缺少摘要算法")?
        .oid()?;
    let imprint = m
        .expect(der::OCTET_STRING, "messageImprint 缺少摘要")?
        .octets()?
        .into_owned();
    t.expect(der::INTEGER, "TSTInfo 缺少序列号")?;
    let gen_time = cert::time(&t.expect(der::GENERALIZED_TIME, "TSTInfo 缺少 genTime")?)?;
    Ok(Token {
        sd,
        imprint_oid,
        imprint,
        gen_time,
    })
}

/// Checks `token`: the TSA's signature and chain (valid at genTime), and
/// what its imprint is over among `targets` (`hash` is the algorithm of
/// the request's digest forms).
pub fn check(
    token: &Token,
    targets: &[Form],
    hash: Hash,
    pool: &[Cert],
    anchors: &[Cert],
    field: &str,
) -> Result<Checked> {
    let si = token
        .sd
        .signers
        .first()
        .ok_or_else(|| input::unreadable(field, TS, "时间戳没有签名者"))?;
    let mut all: Vec<Cert> = token.sd.certs.clone();
    all.extend_from_slice(pool);
    let tsa = si
        .find_cert(all.iter().chain(anchors))
        .cloned()
        .ok_or_else(|| input::unreadable(field, TS, "时间戳不含时间戳服务器（TSA）的证书"))?;
    let content = Form {
        name: "content",
        bytes: token.sd.content.clone().unwrap_or_default(),
    };
    let signed = signer::check_p7(
        si,
        &tsa,
        std::slice::from_ref(&content),
        DEFAULT_SM2_ID,
        field,
    )?;
    let chain = chain::evaluate(&tsa, &all, anchors, token.gen_time, "时间戳证书");
    let imprint = imprint_of(token, targets, hash, field)?;
    let valid = signed.valid && chain.ok() && imprint.is_some();
    let stamp = Stamp {
        valid,
        gen_time: Some(token.gen_time),
        tsa: Some(tsa.subject.text.clone()),
        imprint,
        check: verdict(&tsa, token, &signed, &chain, imprint, targets.is_empty()),
    };
    Ok(Checked { stamp, tsa, signed })
}

/// What the imprint is a digest of, if any target.
fn imprint_of(
    token: &Token,
    targets: &[Form],
    hash: Hash,
    field: &str,
) -> Result<Option<&'static str>> {
    let ts_hash = Hash::from_oid(&token.imprint_oid)
        .ok_or_else(|| signer::unsupported(field, &token.imprint_oid))?;
    for t in targets {
        if ts_hash.digest(&t.bytes) == token.imprint {
            return Ok(Some(t.name));
        }
        // The imprint is the content's digest itself (stamped over the
        // content, and the request gave only its digest).
        if t.name == "digest" && ts_hash == hash && t.bytes == token.imprint {
            return Ok(Some("content"));
        }
    }
    Ok(None)
}

fn verdict(
    tsa: &Cert,
    token: &Token,
    signed: &Signed,
    chain: &Chain,
    imprint: Option<&str>,
    no_targets: bool,
) -> Check {
    let at = crate::clock::text_of(token.gen_time);
    if !signed.valid {
        return Check::fail(
            "timestamp",
            format!(
                "时间戳无效：时间戳服务器证书 {} 的签名验证不通过",
                tsa.label()
            ),
        );
    }
    for c in [&chain.chain, &chain.validity, &chain.key_usage] {
        if !c.ok {
            return Check::fail("timestamp", format!("时间戳不可信：{}", c.message));
        }
    }
    match imprint {
        Some(what) => {
            let what = match what {
                "signature" => "签名值",
                "digest" => "原文摘要的字节",
                "hashValue" => "摘要的 base64 文本（hashValue）",
                _ => "原文",
            };
            Check::pass(
                "timestamp",
                format!(
                    "时间戳有效：{} 于 {at} 盖章，时间戳的摘要与{what}一致",
                    tsa.subject.text
                ),
            )
        }
        None if no_targets => Check::fail(
            "timestamp",
            "没有给出原文（originData、hashValue 或 contentBase64），无法确认时间戳盖的是哪份数据",
        ),
        None => Check::fail(
            "timestamp",
            format!(
                "时间戳盖的不是这份数据：{at} 的时间戳的摘要（messageImprint）与签名值、原文及其摘要都不一致"
            ),
        ),
    }
}
