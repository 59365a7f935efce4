//! `ywx_outbox_list` and `ywx_outbox_flush`: their filters and the JSON
//! they answer.

use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::Shared;
use super::store::State;
use crate::error::{Error, Result};
use crate::transport::Reply;
use crate::value::as_text;

/// An item as `ywx_outbox_list` shows it. The gateway's answer is put in
/// as it was stored, not parsed and written again (a flush after an
/// outage lists every item delivered, each with its answer).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Item {
    ur_id: String,
    method: String,
    state: String,
    attempts: i64,
    last_error: Option<String>,
    queued_at: String,
    delivered_at: Option<String>,
    response: Option<Box<RawValue>>,
}

#[derive(Serialize)]
struct Answer<D> {
    status: &'static str,
    message: String,
    data: D,
}

#[derive(Serialize)]
struct Listed {
    items: Vec<Item>,
}

#[derive(Serialize)]
struct Flushed {
    delivered: usize,
    failed: usize,
    queued: i64,
    items: Vec<Item>,
}

fn answer<D: Serialize>(message: String, data: D) -> Reply {
    let text = serde_json::to_string(&Answer {
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
            self.rows(ur_id.as_deref(), state, None)?
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
        let items = self.rows(None, None, Some(&pass.touched))?;
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

    /// The items matching every filter given, as `ywx_outbox_list` shows them.
    fn rows(
        &self,
        ur_id: Option<&str>,
        state: Option<State>,
        seqs: Option<&[i64]>,
    ) -> Result<Vec<Item>> {
        if seqs.is_some_and(|s| s.is_empty()) {
            return Ok(Vec::new());
        }
        // Only the filters given, so that SQLite uses the urId index;
        // direct pushes in flight are not listed.
        let mut clauses = vec!["provisional = 0".to_string()];
        let mut args: Vec<String> = Vec::new();
        let mut add = |clause: &str, arg: String| {
            args.push(arg);
            clauses.push(clause.replace('?', &format!("?{}", args.len())));
        };
        if let Some(u) = ur_id {
            add("ur_id = ?", u.into());
        }
        if let Some(st) = state {
            add("state = ?", st.name().into());
        }
        if let Some(seqs) = seqs {
            let list = serde_json::to_string(seqs).unwrap_or_else(|_| "[]".into());
            add("seq IN (SELECT value FROM json_each(?))", list);
        }
        let filter = format!("WHERE {}", clauses.join(" AND "));
        self.store.with_db(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT ur_id, method, state, attempts, last_error, queued_at, delivered_at, response
                 FROM outbox {filter} ORDER BY seq"
            ))?;
            stmt.query_map(rusqlite::params_from_iter(&args), |r| {
                let response: Option<String> = r.get(7)?;
                Ok(Item {
                    ur_id: r.get(0)?,
                    method: r.get(1)?,
                    state: r.get(2)?,
                    attempts: r.get(3)?,
                    last_error: r.get(4)?,
                    queued_at: r.get(5)?,
                    delivered_at: r.get(6)?,
                    response: response.and_then(|t| RawValue::from_string(t).ok()),
                })
            })?
            .collect()
        })
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
