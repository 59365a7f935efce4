//! `ywx_digest`: SHA1, SHA256 or SM3 computed here, or by the gateway's
//! computeDigestForAlg (4.3.4) when the request says `"remote": true`.

use serde_json::{Value, json};

use crate::client::Session;
use crate::digest::{self, Input, Origin};
use crate::endpoints;
use crate::error::{Error, Result};
use crate::gateway;
use crate::reply::Reply;

/// `ywx_digest`: SHA1/SHA256/SM3 of `originData` (its UTF-8 bytes) or of
/// `originFile`, computed here; `"remote": true` asks the gateway (4.3.4).
pub fn digest(session: &Session, mut value: Value) -> Result<Reply> {
    let obj = value
        .as_object_mut()
        .ok_or_else(|| Error::arg("request", "请求必须是一个 JSON 对象 {...}"))?;
    let remote = obj
        .remove("remote")
        .is_some_and(|v| v == true || v == "true");
    let origin = Origin::take(obj, "")?.ok_or_else(|| {
        Error::arg(
            "originData",
            "不能为空：请给出要计算摘要的原文 originData，或文件路径 originFile",
        )
    })?;
    if remote {
        let Input::Text(text) = &origin.source else {
            return Err(Error::arg(
                "remote",
                "网关只能计算文本 originData 的摘要，文件请在本地计算",
            ));
        };
        let request = json!({"originData": text, "hashAlg": origin.alg.name()});
        return gateway::call(
            session.client()?,
            &endpoints::COMPUTE_DIGEST,
            request.into(),
        );
    }
    let hash = origin.hash()?;
    Ok(Reply::local(json!({
        "status": "0",
        "message": "success",
        "data": {"hashValue": digest::base64(&hash), "hashType": origin.alg.name()},
    })))
}
