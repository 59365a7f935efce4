//! What `ywx_outbox_list` and `ywx_outbox_flush` read of the items.

use serde::Serialize;
use serde_json::value::RawValue;

use super::{State, Store};
use crate::error::Result;

/// An item as `ywx_outbox_list` shows it. The gateway's answer is put in
/// as it was stored, not parsed and written again (a flush after an
/// outage lists every item delivered, each with its answer).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    ur_id: String,
    method: String,
    state: String,
    attempts: i64,
    last_error: Option<String>,
    queued_at: String,
    delivered_at: Option<String>,
    response: Option<Box<RawValue>>,
}

impl Store {
    /// The items matching every filter given, oldest first; direct pushes
    /// in flight are not listed.
    pub fn rows(
        &self,
        ur_id: Option<&str>,
        state: Option<State>,
        seqs: Option<&[i64]>,
    ) -> Result<Vec<Row>> {
        if seqs.is_some_and(|s| s.is_empty()) {
            return Ok(Vec::new());
        }
        // Only the filters given, so that SQLite uses the urId index.
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
        self.with_db(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT ur_id, method, state, attempts, last_error, queued_at, delivered_at, response
                 FROM outbox {filter} ORDER BY seq"
            ))?;
            stmt.query_map(rusqlite::params_from_iter(&args), |r| {
                let response: Option<String> = r.get(7)?;
                Ok(Row {
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
