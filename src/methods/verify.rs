//! `ywx_verify_local`: evidence verified here, offline (`crate::verify`).

use serde_json::Value;

use crate::client::Session;
use crate::error::Result;
use crate::reply::Reply;

/// A P7, P1 or timestamp verified here, offline, against the request's
/// `caCerts` and the config's `verify.caFile`.
pub fn verify_local(session: &Session, value: Value) -> Result<Reply> {
    let client = session.client().ok();
    let trust = client.map(|c| &c.trust);
    crate::verify::verify_local(&value, trust).map(Reply::local)
}
