//! `ywx_outbox_list` and `ywx_outbox_flush`: their filters and the JSON
//! they answer.

use serde::Serialize;
use serde_json::Value;

use super::Shared;
use super::store::{Row, State};
use crate::error::{Error, Result};
use crate::reply::Reply;
use crate::value::as_text;

/// A reply envelope of the outbox's own.
#[derive(Serialize)]
struct Envelope<D> {
    status: &'static str,
    message: String,
    data: D,
}

#[derive(Serialize)]
struct Listed {
    items: Vec<Row>,
}

#[derive(Serialize)]
struct Flushed {
    delivered: usize,
    failed: usize,
    queued: i64,
    items: Vec<Row>,
}

fn answer<D: Serialize>(message: String, data: D) -> Reply {
    let text = serde_json::to_string(&Envelope {
        status: "0",
        message,
        data,
    })
    .unwrap_or_default();
    Reply::made(text, "0")
}

impl Shared {
    /// `ywx_outbox_list`: items by urId and state, oldest first.
    pub fn list(&self, request: &Value) -> Result<Reply> {
        let (ur_id, state) = filters(request)?;
        let items = if self.store.exists() {
            self.store.rows(ur_id.as_deref(), state, None)?
        } else {
            Vec::new()
        };
        Ok(answer("success".into(), Listed { items }))
    }

    /// `ywx_outbox_flush`: deliver now, ignoring the backoff, and report.
    pub fn flush(&self, request: &Value) -> Result<Reply> {
        let (ur_id, state) = filters(request)?;
        if state.is_some() {
            return Err(Error::arg("state", "ywx_outbox_flush 只接受 urId"));
        }
        let pass = self.pass(ur_id.as_deref(), true, usize::MAX, &self.sender.transport)?;
        let queued = self.store.count_queued(ur_id.as_deref())?;
        let items = self.store.rows(None, None, Some(&pass.touched))?;
        let message = match &pass.unreachable {
            Some(why) => format!("网关仍无法连接，{queued} 条仍在离线缓存中等待：{why}"),
            None if queued > 0 => format!("{queued} 条正由其他进程推送或仍在等待"),
            None => "success".into(),
        };
        let data = Flushed {
            delivered: pass.delivered,
            failed: pass.failed,
            queued,
            items,
        };
        Ok(answer(message, data))
    }
}

/// The `urId` and `state` filters of list and flush.
fn filters(request: &Value) -> Result<(Option<String>, Option<State>)> {
    if !request.is_object() {
        return Err(Error::arg(
            "request",
            "必须是 JSON 对象，例如 {\"urId\":\"...\"}",
        ));
    }
    let text = |name: &str| -> Result<Option<String>> {
        match request.get(name).filter(|v| !v.is_null() && *v != "") {
            None => Ok(None),
            Some(v) => as_text(v)
                .map(Some)
                .ok_or_else(|| Error::arg(name, "必须是字符串")),
        }
    };
    let state = match text("state")? {
        None => None,
        Some(s) => Some(
            State::ALL
                .into_iter()
                .find(|st| st.name() == s)
                .ok_or_else(|| Error::arg("state", "只能是 queued、delivered 或 failed"))?,
        ),
    };
    Ok((text("urId")?, state))
}
