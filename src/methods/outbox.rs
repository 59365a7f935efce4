//! `ywx_outbox_list` and `ywx_outbox_flush`: the outbox of the client in
//! force (`crate::outbox` answers them).

use serde_json::Value;

use crate::client::Session;
use crate::error::Result;
use crate::reply::Reply;

/// `ywx_outbox_list`: items by urId and state.
pub fn list(session: &Session, value: Value) -> Result<Reply> {
    session.client()?.outbox.list(&value)
}

/// `ywx_outbox_flush`: deliver now, and report.
pub fn flush(session: &Session, value: Value) -> Result<Reply> {
    session.client()?.outbox.flush(&value)
}
