//! A push's row, from its write-ahead to its end: written ahead of a direct
//! push, settled with the gateway's answer (and kept, so that a re-push of
//! the urId gets that answer), parked or queued when the gateway could not
//! be reached; looked up and counted.
//!
//! A direct push is written ahead as a *provisional* row, leased by the
//! pushing thread, before it is sent: if the process is killed mid-send,
//! the row is still there and the next process reconciles it instead of
//! losing it. Provisional rows of a live owner are not listed.

use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::{OrderKey, Owner, State, Store, local_time};
use crate::clock::now_ms;
use crate::error::Result;

/// What [`Store::begin`] found for a direct push.
#[derive(Debug, PartialEq, Eq)]
pub enum Begun {
    /// Written ahead: send it. `existed`: the key had failed before.
    Fresh { seq: i64, existed: bool },
    /// Already queued (or in flight elsewhere): that item, not a second.
    Queued(i64),
    /// Already delivered: the stored answer.
    Delivered(Option<String>),
}

impl Store {
    /// Writes a direct push ahead of sending it, leased by `me` until
    /// `until` (not synced: a killed process leaves it in the OS's hands).
    pub fn begin(&self, key: &OrderKey, request: &str, me: &Owner, until: i64) -> Result<Begun> {
        let (now, at) = (now_ms(), local_time());
        self.with_db(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let existing: Option<(i64, String, Option<String>)> = tx
                .prepare_cached(
                    "SELECT seq, state, response FROM outbox
                     WHERE method = ?1 AND client_id = ?2 AND ur_id = ?3",
                )?
                .query_row(params![key.method, key.client_id, key.ur_id], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .optional()?;
            let begun = match existing.map(|(q, s, r)| (q, State::parse(&s), r)) {
                Some((_, State::Delivered, response)) => Begun::Delivered(response),
                Some((seq, State::Queued, _)) => Begun::Queued(seq),
                Some((seq, State::Failed, _)) => {
                    tx.prepare_cached(
                        "UPDATE outbox SET state = 'queued', request = ?2, attempts = 1,
                                last_error = NULL, queued_at = ?3, delivered_at = NULL,
                                finished_ms = NULL, response = NULL, unique_id = NULL,
                                first_ms = ?4, last_ms = ?4, unknown = 1, provisional = 1,
                                lease_pid = ?5, lease_token = ?6, lease_until = ?7
                         WHERE seq = ?1",
                    )?
                    .execute(params![seq, request, at, now, me.pid, me.token, until])?;
                    Begun::Fresh { seq, existed: true }
                }
                None => {
                    tx.prepare_cached(
                        "INSERT INTO outbox (method, client_id, ur_id, request, state, attempts,
                                             queued_at, first_ms, last_ms, unknown, provisional,
                                             lease_pid, lease_token, lease_until)
                         VALUES (?1, ?2, ?3, ?4, 'queued', 1, ?5, ?6, ?6, 1, 1, ?7, ?8, ?9)",
                    )?
                    .execute(params![
                        key.method,
                        key.client_id,
                        key.ur_id,
                        request,
                        at,
                        now,
                        me.pid,
                        me.token,
                        until
                    ])?;
                    Begun::Fresh {
                        seq: tx.last_insert_rowid(),
                        existed: false,
                    }
                }
            };
            tx.commit()?;
            Ok(begun)
        })
    }

    /// A direct push was sent again (on a new connection, the same call).
    pub fn sent_again(&self, seq: i64) -> Result<()> {
        self.with_db(|c| {
            c.prepare_cached(
                "UPDATE outbox SET last_ms = ?2, attempts = attempts + 1 WHERE seq = ?1",
            )?
            .execute(params![seq, now_ms()])
            .map(drop)
        })
    }

    /// A direct push that is not to be queued (a configuration problem,
    /// certainly not received): its written-ahead row goes, or a key that
    /// failed before fails again.
    pub fn withdraw(&self, seq: i64, existed: bool, why: &str) -> Result<()> {
        if existed {
            return self.finish(seq, State::Failed, "null", Some(why), None);
        }
        self.with_db(|c| {
            c.prepare_cached("DELETE FROM outbox WHERE seq = ?1 AND provisional = 1")?
                .execute(params![seq])
                .map(drop)
        })
    }

    /// A direct push the gateway did not answer becomes a queued item,
    /// synced to disk before the caller hears "queued". `unknown`: it may
    /// have reached the gateway (reconciled before any re-send).
    /// `request`: the request as stored now, when the row written ahead
    /// held placeholders for its documents.
    pub fn park(&self, seq: i64, why: &str, unknown: bool, request: Option<&str>) -> Result<()> {
        self.with_db_sync(true, |c| {
            c.prepare_cached(
                "UPDATE outbox SET provisional = 0, unknown = ?3, last_error = ?2,
                        lease_pid = NULL, lease_token = NULL, lease_until = NULL,
                        request = coalesce(?4, request)
                 WHERE seq = ?1 AND state = 'queued'",
            )?
            .execute(params![seq, why, unknown, request])
            .map(drop)
        })
    }

    /// Commits a push that was not sent (or not written ahead) to the file
    /// durably, unless its key is already queued or delivered; a failed one
    /// is queued again. `unknown`: it may have reached the gateway. Returns
    /// the stored answer of a delivered key.
    pub fn enqueue(
        &self,
        key: &OrderKey,
        request: &str,
        why: &str,
        unknown: bool,
    ) -> Result<Option<String>> {
        let (now, at) = (now_ms(), local_time());
        // Never sent: no first send yet (a push that may have been sent
        // was sent just now).
        let sent = unknown.then_some(now);
        self.with_db_sync(true, |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let existing: Option<(String, Option<String>)> = tx
                .prepare_cached(
                    "SELECT state, response FROM outbox
                     WHERE method = ?1 AND client_id = ?2 AND ur_id = ?3",
                )?
                .query_row(params![key.method, key.client_id, key.ur_id], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?;
            let k = params![
                key.method,
                key.client_id,
                key.ur_id,
                request,
                why,
                at,
                sent,
                unknown
            ];
            let answer = match existing.map(|(s, r)| (State::parse(&s), r)) {
                None => {
                    tx.prepare_cached(
                        "INSERT INTO outbox (method, client_id, ur_id, request, state,
                                             last_error, queued_at, first_ms, last_ms, unknown)
                         VALUES (?1, ?2, ?3, ?4, 'queued', ?5, ?6, ?7, ?7, ?8)",
                    )?
                    .execute(k)?;
                    None
                }
                Some((State::Failed, _)) => {
                    tx.prepare_cached(
                        "UPDATE outbox SET state = 'queued', request = ?4, attempts = 0,
                                last_error = ?5, queued_at = ?6, delivered_at = NULL,
                                finished_ms = NULL, response = NULL, unique_id = NULL,
                                first_ms = ?7, last_ms = ?7, unknown = ?8, provisional = 0
                         WHERE method = ?1 AND client_id = ?2 AND ur_id = ?3",
                    )?
                    .execute(k)?;
                    None
                }
                Some((State::Delivered, response)) => response,
                Some((State::Queued, _)) => None,
            };
            tx.commit()?;
            Ok(answer)
        })
    }

    /// The gateway's answer of item `seq` once it is delivered or failed.
    pub fn answer_of(&self, seq: i64) -> Result<Option<String>> {
        self.with_db(|c| {
            c.prepare_cached("SELECT response FROM outbox WHERE seq = ?1 AND state != 'queued'")?
                .query_row(params![seq], |r| r.get::<_, Option<String>>(0))
                .optional()
                .map(Option::flatten)
        })
    }

    /// Whether item `seq` is still in the file.
    pub fn holds(&self, seq: i64) -> Result<bool> {
        self.with_db(|c| {
            c.prepare_cached("SELECT EXISTS (SELECT 1 FROM outbox WHERE seq = ?1)")?
                .query_row(params![seq], |r| r.get(0))
        })
    }

    /// The queued items of a urId, oldest first.
    pub fn queued_seqs(&self, ur_id: &str) -> Result<Vec<i64>> {
        self.with_db(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT seq FROM outbox WHERE ur_id = ?1 AND state = 'queued' ORDER BY seq",
            )?;
            stmt.query_map(params![ur_id], |r| r.get(0))?.collect()
        })
    }

    /// How many items (of a urId) wait for delivery (not counting direct
    /// pushes in flight).
    pub fn count_queued(&self, ur_id: Option<&str>) -> Result<i64> {
        if !self.exists() {
            return Ok(0);
        }
        self.with_db(|c| {
            c.prepare_cached(
                "SELECT COUNT(*) FROM outbox WHERE state = 'queued' AND provisional = 0
                    AND (?1 IS NULL OR ur_id = ?1)",
            )?
            .query_row(params![ur_id], |r| r.get(0))
        })
    }

    /// The request kept of the push that made order `unique_id`.
    pub fn request_of_order(&self, unique_id: &str) -> Result<Option<String>> {
        self.with_db(|c| {
            c.prepare_cached("SELECT request FROM outbox WHERE unique_id = ?1 ORDER BY seq DESC")?
                .query_row(params![unique_id], |r| r.get(0))
                .optional()
        })
    }

    /// The orders the gateway made for a urId of a client, by kind
    /// (method): `(method, uniqueId)` of each delivered one.
    pub fn orders_of(&self, client_id: &str, ur_id: &str) -> Result<Vec<(String, String)>> {
        self.with_db(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT method, unique_id FROM outbox
                 WHERE client_id = ?1 AND ur_id = ?2 AND unique_id IS NOT NULL",
            )?;
            stmt.query_map(params![client_id, ur_id], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
        })
    }
}
