//! What delivery writes of its items: each ends delivered or failed, or
//! stays queued with its lease released — a batch in one transaction.

use rusqlite::{TransactionBehavior, params};

use super::store::{State, Store, local_time, now_ms};
use crate::error::Result;

/// What to write of a delivered item.
#[derive(Debug)]
pub enum Record {
    /// It ends `state` with the gateway's answer.
    Finish {
        seq: i64,
        state: State,
        response: String,
        last_error: Option<String>,
    },
    /// It stays queued, its lease released; `unknown`: the request may have
    /// reached the gateway.
    Release {
        seq: i64,
        last_error: String,
        unknown: bool,
    },
}

impl Record {
    pub fn finish(seq: i64, state: State, response: &str, last_error: Option<String>) -> Record {
        Record::Finish {
            seq,
            state,
            response: response.to_string(),
            last_error,
        }
    }
}

impl Store {
    /// The gateway answered a delivery (or reconciliation found the
    /// order): the item ends `state`.
    pub fn finish(
        &self,
        seq: i64,
        state: State,
        response: &str,
        last_error: Option<&str>,
    ) -> Result<()> {
        let record = Record::finish(seq, state, response, last_error.map(str::to_string));
        self.record(&[record], &[])
    }

    /// A delivery got no usable answer: the item stays queued, its lease
    /// released; `unknown` if the request may have reached the gateway.
    #[cfg(test)]
    pub fn release(&self, seq: i64, last_error: &str, unknown: bool) -> Result<()> {
        let record = Record::Release {
            seq,
            last_error: last_error.to_string(),
            unknown,
        };
        self.record(&[record], &[])
    }

    /// Writes what became of delivered items, and gives back the claimed
    /// items `unsent` (their attempt not counted), in one transaction.
    pub fn record(&self, records: &[Record], unsent: &[i64]) -> Result<()> {
        if records.is_empty() && unsent.is_empty() {
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
                    } => {
                        let delivered_at = (*state == State::Delivered).then_some(&at);
                        tx.prepare_cached(
                            "UPDATE outbox SET state = ?2, response = ?3, last_error = ?4,
                                    delivered_at = ?5, finished_ms = ?6, lease_pid = NULL,
                                    lease_token = NULL, lease_until = NULL, provisional = 0
                             WHERE seq = ?1 AND state = 'queued'",
                        )?
                        .execute(params![
                            seq,
                            state.name(),
                            response,
                            last_error,
                            delivered_at,
                            now
                        ])?;
                    }
                    Record::Release {
                        seq,
                        last_error,
                        unknown,
                    } => {
                        tx.prepare_cached(
                            "UPDATE outbox SET last_error = ?2, unknown = (unknown OR ?3),
                                    lease_pid = NULL, lease_token = NULL, lease_until = NULL
                             WHERE seq = ?1 AND state = 'queued'",
                        )?
                        .execute(params![seq, last_error, unknown])?;
                    }
                }
            }
            for seq in unsent {
                tx.prepare_cached(
                    "UPDATE outbox SET attempts = max(attempts - 1, 0), lease_pid = NULL,
                            lease_token = NULL, lease_until = NULL
                     WHERE seq = ?1 AND state = 'queued'",
                )?
                .execute(params![seq])?;
            }
            tx.commit()
        })
    }
}
