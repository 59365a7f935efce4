//! What delivery writes of its items: each ends delivered or failed, or
//! stays queued with its lease released — a batch in one transaction.

use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::{State, Store, local_time};
use crate::clock::now_ms;
use crate::error::Result;

/// What to write of an item that was sent (or reconciled).
#[derive(Debug)]
pub enum Record {
    /// It ends `state` with the gateway's answer (and the order it made).
    Finish {
        seq: i64,
        state: State,
        response: String,
        last_error: Option<String>,
        unique_id: Option<String>,
    },
    /// It stays queued, its lease released; `unknown`: whether the request
    /// may have reached the gateway (false: reconciliation found it is not
    /// there, or it was certainly not received).
    Release {
        seq: i64,
        last_error: Option<String>,
        unknown: bool,
    },
    /// It was claimed but not sent: released, its attempt not counted.
    Unsent { seq: i64 },
}

/// A kept request's largest text value: longer ones (a document's base64)
/// are cut once the push has ended, so that a week of answered pushes does
/// not keep every PDF.
const KEPT_VALUE_CHARS: usize = 4096;

impl Store {
    /// The gateway answered item `seq` (or reconciliation found its
    /// order): it ends `state`.
    pub fn finish(
        &self,
        seq: i64,
        state: State,
        response: &str,
        last_error: Option<&str>,
        unique_id: Option<&str>,
    ) -> Result<()> {
        let record = Record::Finish {
            seq,
            state,
            response: response.to_string(),
            last_error: last_error.map(str::to_string),
            unique_id: unique_id.map(str::to_string),
        };
        self.record(&[record])
    }

    /// Writes what became of items, in one transaction.
    pub fn record(&self, records: &[Record]) -> Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        let now = now_ms();
        let at = local_time();
        self.with_db(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            for r in records {
                match r {
                    Record::Finish {
                        seq,
                        state,
                        response,
                        last_error,
                        unique_id,
                    } => {
                        let delivered_at = (*state == State::Delivered).then_some(&at);
                        tx.prepare_cached(
                            "UPDATE outbox SET state = ?2, response = ?3, last_error = ?4,
                                    delivered_at = ?5, finished_ms = ?6, unique_id = ?7,
                                    lease_pid = NULL, lease_token = NULL, lease_until = NULL,
                                    provisional = 0, unknown = 0
                             WHERE seq = ?1 AND state = 'queued'",
                        )?
                        .execute(params![
                            seq,
                            state.name(),
                            response,
                            last_error,
                            delivered_at,
                            now,
                            unique_id
                        ])?;
                        let long: Option<String> = tx
                            .prepare_cached(
                                "SELECT request FROM outbox WHERE seq = ?1 AND length(request) > ?2",
                            )?
                            .query_row(params![seq, KEPT_VALUE_CHARS as i64], |r| r.get(0))
                            .optional()?;
                        if let Some(request) = long {
                            tx.prepare_cached("UPDATE outbox SET request = ?2 WHERE seq = ?1")?
                                .execute(params![seq, slim(&request, KEPT_VALUE_CHARS)])?;
                        }
                    }
                    Record::Release {
                        seq,
                        last_error,
                        unknown,
                    } => {
                        tx.prepare_cached(
                            "UPDATE outbox SET last_error = coalesce(?2, last_error),
                                    unknown = ?3, provisional = 0,
                                    lease_pid = NULL, lease_token = NULL, lease_until = NULL
                             WHERE seq = ?1 AND state = 'queued'",
                        )?
                        .execute(params![seq, last_error, unknown])?;
                    }
                    Record::Unsent { seq } => {
                        tx.prepare_cached(
                            "UPDATE outbox SET attempts = max(attempts - 1, 0), lease_pid = NULL,
                                    lease_token = NULL, lease_until = NULL
                             WHERE seq = ?1 AND state = 'queued'",
                        )?
                        .execute(params![seq])?;
                    }
                }
            }
            tx.commit()
        })
    }
}

/// A stored request with every text value longer than `max` characters
/// replaced by a note of its length (the request stays JSON).
fn slim(request: &str, max: usize) -> String {
    fn walk(v: &mut serde_json::Value, max: usize) {
        match v {
            serde_json::Value::String(s) if s.chars().count() > max => {
                *s = format!("<{} 个字符，投递后不再保存>", s.chars().count());
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(|v| walk(v, max)),
            serde_json::Value::Object(o) => o.values_mut().for_each(|v| walk(v, max)),
            _ => {}
        }
    }
    match serde_json::from_str::<serde_json::Value>(request) {
        Ok(mut v) => {
            walk(&mut v, max);
            v.to_string()
        }
        Err(_) => request.to_string(),
    }
}
