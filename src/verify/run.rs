//! One verification: the evidence read, its signature, content, chain,
//! validity, key usage and timestamp checked, the reply's `data` built.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::alg::describe;
use super::cert::Cert;
use super::chain;
use super::cms;
use super::input::{CheckTime, Form, P7, Request, unreadable};
use super::report::{self, Check, Stamp};
use super::signer::{self, Signed};
use super::tsp;
use crate::clock;
use crate::error::{Error, Result};

/// What the evidence's own signature came to, before chain and time.
struct Main {
    format: &'static str,
    signed: Signed,
    cert: Cert,
    pool: Vec<Cert>,
    /// signingTime of the signed attributes.
    attr_time: Option<i64>,
    content_check: Option<Check>,
    /// A timestamp to check, and the field it came from.
    timestamp: Option<(Vec<u8>, &'static str)>,
    /// What a timestamp's imprint may be over.
    targets: Vec<Form>,
    /// An attached P7's content (for `returnContent`).
    content: Option<Vec<u8>>,
}

/// Verifies the request's evidence, trusting `anchors` (the request's
/// `caCerts` and the config's `verify.caFile`); returns the reply's `data`.
pub fn run(req: &Request, anchors: &[Cert]) -> Result<Value> {
    if req.signed_data.is_some() {
        let main = p7(req, anchors)?;
        finish(req, main, anchors)
    } else if let (Some(sig), Some(cert)) = (&req.p1, &req.cert) {
        let main = p1(req, sig, cert)?;
        finish(req, main, anchors)
    } else {
        timestamp_only(req, anchors)
    }
}

fn need_content(req: &Request, what: &str) -> Result<()> {
    if req.forms.is_empty() {
        return Err(Error::arg(
            "originData",
            format!(
                "不能为空：{what}，请给出原文 originData / contentBase64，或摘要 hashValue + hashType"
            ),
        ));
    }
    Ok(())
}

fn p7(req: &Request, anchors: &[Cert]) -> Result<Main> {
    let bytes = req.signed_data.as_deref().unwrap_or_default();
    let sd = cms::parse(bytes).map_err(|b| unreadable("signedData", P7, b.0))?;
    let si = sd
        .signers
        .first()
        .ok_or_else(|| unreadable("signedData", P7, "P7 中没有签名者（SignerInfo）"))?;
    let mut pool = sd.certs.clone();
    pool.extend(req.intermediates.iter().cloned());
    pool.extend(req.cert.iter().cloned());
    let cert = si
        .find_cert(pool.iter().chain(anchors))
        .cloned()
        .ok_or_else(|| unreadable("signedData", P7, "P7 中没有签名者的证书"))?;
    let attached = sd.content.clone().filter(|c| !c.is_empty());
    let (forms, content_check) = match &attached {
        Some(c) => {
            let matched = req.forms.iter().find(|f| f.bytes == *c);
            let check = match (req.forms.is_empty(), matched) {
                (true, _) => None,
                (false, Some(_)) => Some(Check::pass(
                    "content",
                    "P7 携带的原文与请求给出的原文（或摘要）一致",
                )),
                (false, None) => Some(Check::fail(
                    "content",
                    "P7 携带的原文与请求给出的原文（或摘要）不一致：签名签的不是这份数据",
                )),
            };
            let name = matched.map_or("content", |f| f.name);
            (
                vec![Form {
                    name,
                    bytes: c.clone(),
                }],
                check,
            )
        }
        None => {
            need_content(req, "signedData 是不带原文的 P7（detached）")?;
            (req.forms.clone(), None)
        }
    };
    let signed = signer::check_p7(si, &cert, &forms, &req.sm2_id, "signedData")?;
    let timestamp = match (&req.timestamp, &si.timestamp_token) {
        (Some(t), _) => Some((t.clone(), "timeStampSignData")),
        (None, Some(t)) => Some((t.clone(), "signedData")),
        _ => None,
    };
    let mut targets = vec![Form {
        name: "signature",
        bytes: si.signature.clone(),
    }];
    targets.extend(forms);
    targets.extend(req.forms.iter().cloned());
    Ok(Main {
        format: if attached.is_some() {
            "p7-attached"
        } else {
            "p7-detached"
        },
        signed,
        cert,
        pool,
        attr_time: si.signing_time,
        content_check,
        timestamp,
        targets,
        content: attached,
    })
}

fn p1(req: &Request, sig: &[u8], cert: &Cert) -> Result<Main> {
    need_content(req, "P1 签名不带原文")?;
    let signed = signer::check_p1(sig, cert, &req.forms, &req.sm2_id)?;
    let mut targets = vec![Form {
        name: "signature",
        bytes: sig.to_vec(),
    }];
    targets.extend(req.forms.iter().cloned());
    Ok(Main {
        format: "p1",
        signed,
        cert: cert.clone(),
        pool: req.intermediates.clone(),
        attr_time: None,
        content_check: None,
        timestamp: req.timestamp.clone().map(|t| (t, "timeStampSignData")),
        targets,
        content: None,
    })
}

/// The check time and where it came from.
fn check_time(req: &Request, stamp: Option<&Stamp>) -> (i64, &'static str) {
    match (req.check_time, stamp) {
        (CheckTime::At(t), _) => (t, "request"),
        (
            CheckTime::Auto,
            Some(Stamp {
                valid: true,
                gen_time: Some(t),
                ..
            }),
        ) => (*t, "timestamp"),
        _ => (clock::unix_now(), "now"),
    }
}

fn finish(req: &Request, main: Main, anchors: &[Cert]) -> Result<Value> {
    let stamp = match &main.timestamp {
        Some((bytes, field)) => {
            let token = tsp::parse(bytes, field)?;
            Some(tsp::check(&token, &main.targets, req.hash, &main.pool, anchors, field)?.stamp)
        }
        None => None,
    };
    let (at, at_source) = check_time(req, stamp.as_ref());
    let chain = chain::evaluate(&main.cert, &main.pool, anchors, at, "签名证书");
    let mut checks = vec![main.signed.check.clone()];
    checks.extend(main.content_check.clone());
    checks.extend([
        chain.chain.clone(),
        chain.validity.clone(),
        chain.key_usage.clone(),
    ]);
    checks.extend(stamp.as_ref().map(|s| s.check.clone()));
    let (signing_time, source) = match (&stamp, main.attr_time) {
        (
            Some(Stamp {
                valid: true,
                gen_time: Some(t),
                ..
            }),
            _,
        ) => (Some(*t), Some("timestamp")),
        (_, Some(t)) => (Some(t), Some("signedAttributes")),
        _ => (None, None),
    };
    let mut data = data(&main.signed, main.format, &main.cert, &checks, &chain);
    data["signingTime"] = json!(signing_time.map(clock::text_of));
    data["signingTimeSource"] = json!(source);
    data["checkTime"] = json!(clock::text_of(at));
    data["checkTimeSource"] = json!(at_source);
    data["timestamp"] = stamp.as_ref().map_or(Value::Null, Stamp::json);
    if req.return_content {
        data["contentBase64"] = json!(main.content.as_ref().map(|c| STANDARD.encode(c)));
    }
    Ok(data)
}

/// Only a timestamp: the TSA's signature is the evidence, over the content.
fn timestamp_only(req: &Request, anchors: &[Cert]) -> Result<Value> {
    let field = "timeStampSignData";
    let bytes = req.timestamp.as_deref().unwrap_or_default();
    let token = tsp::parse(bytes, field)?;
    let checked = tsp::check(
        &token,
        &req.forms,
        req.hash,
        &req.intermediates,
        anchors,
        field,
    )?;
    let (at, at_source) = check_time(req, Some(&checked.stamp));
    let mut pool = token.sd.certs.clone();
    pool.extend(req.intermediates.iter().cloned());
    let chain = chain::evaluate(&checked.tsa, &pool, anchors, at, "时间戳证书");
    let checks = vec![
        checked.signed.check.clone(),
        chain.chain.clone(),
        chain.validity.clone(),
        chain.key_usage.clone(),
        checked.stamp.check.clone(),
    ];
    let mut data = data(&checked.signed, "timestamp", &checked.tsa, &checks, &chain);
    data["signedOver"] = json!(checked.stamp.imprint.filter(|i| *i != "signature"));
    let stamped = checked.stamp.valid.then_some(token.gen_time);
    data["signingTime"] = json!(stamped.map(clock::text_of));
    data["signingTimeSource"] = json!(stamped.map(|_| "timestamp"));
    data["checkTime"] = json!(clock::text_of(at));
    data["checkTimeSource"] = json!(at_source);
    data["timestamp"] = checked.stamp.json();
    Ok(data)
}

/// The fields every format shares.
fn data(
    signed: &Signed,
    format: &str,
    cert: &Cert,
    checks: &[Check],
    chain: &chain::Chain,
) -> Value {
    json!({
        "verified": checks.iter().all(|c| c.ok),
        "signatureValid": signed.valid,
        "format": format,
        "algorithm": signed.algorithm.name(),
        "signedOver": signed.signed_over,
        "signer": report::signer(cert, &describe(signed.key)),
        "signingTime": null,
        "signingTimeSource": null,
        "checkTime": null,
        "checkTimeSource": null,
        "chain": report::chain(chain),
        "timestamp": null,
        "checks": checks.iter().map(Check::json).collect::<Vec<_>>(),
    })
}
