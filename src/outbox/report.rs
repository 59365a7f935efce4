//! `ywx_outbox_list` and `ywx_outbox_flush`: their filters and the JSON
//! they answer.

use serde_json::{Value, json};

use super::Shared;
use super::store::State;
use crate::error::{Error, Result};
use crate::value::as_text;

impl Shared {
    /// `ywx_outbox_list`: items by urId and state, oldest first.
    pub fn list(&self, request: &Value) -> Result<Value> {
        let (ur_id, state) = filters(request)?;
        let items = if self.store.exists() {
            self.rows(ur_id.as_deref(), state, None)?
        } else {
            Vec::new()
        };
        Ok(json!({"status": "0", "message": "success", "data": {"items": items}}))
    }

    /// `ywx_outbox_flush`: deliver now, ignoring the backoff, and report.
    pub fn flush(&self, request: &Value) -> Result<Value> {
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
        Ok(json!({
            "status": "0",
            "message": message,
            "data": {
                "delivered": pass.delivered,
                "failed": pass.failed,
                "queued": queued,
                "items": items,
            },
        }))
    }

    /// The items matching every filter given, as `ywx_outbox_list` shows them.
    fn rows(
        &self,
        ur_id: Option<&str>,
        state: Option<State>,
        seqs: Option<&[i64]>,
    ) -> Result<Vec<Value>> {
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
                Ok(json!({
                    "urId": r.get::<_, String>(0)?,
                    "method": r.get::<_, String>(1)?,
                    "state": r.get::<_, String>(2)?,
                    "attempts": r.get::<_, i64>(3)?,
                    "lastError": r.get::<_, Option<String>>(4)?,
                    "queuedAt": r.get::<_, String>(5)?,
                    "deliveredAt": r.get::<_, Option<String>>(6)?,
                    "response": response
                        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
                        .unwrap_or(Value::Null),
                }))
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
