//! The statements on outbox items: a push written ahead of sending, queued,
//! delivered, failed; looked up and counted.
//!
//! A direct push is written ahead as a *provisional* row, leased by the
//! pushing thread, before it is sent: if the process is killed mid-send,
//! the row is still there and the next process reconciles it instead of
//! losing it. The row goes once the gateway answered; it becomes a durable
//! queued item when the gateway could not be reached. Provisional rows of a
//! live owner are not listed.

use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::lease::Owner;
use super::store::{Key, State, Store, local_time, now_ms};
use crate::error::Result;

/// What the file knows of a key.
#[cfg(test)]
#[derive(Debug)]
pub struct Found {
    pub seq: i64,
    pub state: State,
    /// The gateway's answer, once delivered or refused.
    pub response: Option<String>,
}

/// What [`Store::begin`] found for a direct push.
#[derive(Debug, PartialEq, Eq)]
pub enum Begun {
    /// Written ahead: send it. `existed`: the key had failed before.
    Fresh { seq: i64, existed: bool },
    /// Already queued: deliver that item instead.
    Queued(i64),
    /// Already delivered: the stored answer.
    Delivered(Option<String>),
}

impl Store {
    #[cfg(test)]
    pub fn lookup(&self, key: &Key) -> Result<Option<Found>> {
        self.with_db(|c| {
            c.query_row(
                "SELECT seq, state, response FROM outbox
                 WHERE method = ?1 AND client_id = ?2 AND ur_id = ?3",
                params![key.method, key.client_id, key.ur_id],
                |r| {
                    Ok(Found {
                        seq: r.get(0)?,
                        state: State::parse(&r.get::<_, String>(1)?),
                        response: r.get(2)?,
                    })
                },
            )
            .optional()
        })
    }

    /// Writes a direct push ahead of sending it, leased by `me` until
    /// `until` (not synced: a killed process leaves it in the OS's hands).
    pub fn begin(&self, key: &Key, request: &str, me: &Owner, until: i64) -> Result<Begun> {
        let (now, at) = (now_ms(), local_time());
        self.with_db(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let k = params![key.method, key.client_id, key.ur_id];
            let existing: Option<(i64, String, Option<String>)> = tx
                .prepare_cached(
                    "SELECT seq, state, response FROM outbox
                     WHERE method = ?1 AND client_id = ?2 AND ur_id = ?3",
                )?
                .query_row(k, |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?;
            let begun = match existing.map(|(q, s, r)| (q, State::parse(&s), r)) {
                Some((_, State::Delivered, response)) => Begun::Delivered(response),
                Some((seq, State::Queued, _)) => Begun::Queued(seq),
                Some((seq, State::Failed, _)) => {
                    tx.prepare_cached(
                        "UPDATE outbox SET state = 'queued', request = ?2, attempts = 1,
                                last_error = NULL, queued_at = ?3, delivered_at = NULL,
                                finished_ms = NULL, response = NULL, first_ms = ?4,
                                unknown = 1, provisional = 1, lease_pid = ?5,
                                lease_token = ?6, lease_until = ?7
                         WHERE seq = ?1",
                    )?
                    .execute(params![seq, request, at, now, me.pid, me.token, until])?;
                    Begun::Fresh { seq, existed: true }
                }
                None => {
                    tx.prepare_cached(
                        "INSERT INTO outbox (method, client_id, ur_id, request, state, attempts,
                                             queued_at, first_ms, unknown, provisional,
                                             lease_pid, lease_token, lease_until)
                         VALUES (?1, ?2, ?3, ?4, 'queued', 1, ?5, ?6, 1, 1, ?7, ?8, ?9)",
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

    /// The gateway answered a direct push: a row written only for it goes;
    /// a key that had failed before ends as the gateway said.
    pub fn settle(&self, seq: i64, existed: bool, state: State, response: &str) -> Result<()> {
        if existed {
            return self.finish(seq, state, response, None);
        }
        self.with_db(|c| {
            c.prepare_cached("DELETE FROM outbox WHERE seq = ?1 AND provisional = 1")?
                .execute(params![seq])
                .map(drop)
        })
    }

    /// A direct push that is not to be queued (a configuration problem):
    /// its written-ahead row goes, or a key that failed before fails again.
    pub fn withdraw(&self, seq: i64, existed: bool, why: &str) -> Result<()> {
        if existed {
            return self.finish(seq, State::Failed, "null", Some(why));
        }
        self.settle(seq, false, State::Failed, "null")
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

    /// Commits a push durably, unless its key is already queued or
    /// delivered; a failed one is queued again. `unknown`: it may have
    /// reached the gateway. Returns the stored answer of a delivered key.
    pub fn enqueue(
        &self,
        key: &Key,
        request: &str,
        why: &str,
        unknown: bool,
    ) -> Result<Option<String>> {
        let (now, at) = (now_ms(), local_time());
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
                now,
                unknown
            ];
            let answer = match existing.map(|(s, r)| (State::parse(&s), r)) {
                None => {
                    tx.prepare_cached(
                        "INSERT INTO outbox (method, client_id, ur_id, request, state,
                                             last_error, queued_at, first_ms, unknown)
                         VALUES (?1, ?2, ?3, ?4, 'queued', ?5, ?6, ?7, ?8)",
                    )?
                    .execute(k)?;
                    None
                }
                Some((State::Failed, _)) => {
                    tx.prepare_cached(
                        "UPDATE outbox SET state = 'queued', request = ?4, attempts = 0,
                                last_error = ?5, queued_at = ?6, delivered_at = NULL,
                                finished_ms = NULL, response = NULL, first_ms = ?7,
                                unknown = ?8, provisional = 0
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
            c.query_row(
                "SELECT response FROM outbox WHERE seq = ?1 AND state != 'queued'",
                params![seq],
                |r| r.get::<_, Option<String>>(0),
            )
            .optional()
            .map(Option::flatten)
        })
    }

    /// The queued items of a urId, oldest first.
    pub fn queued_seqs(&self, ur_id: &str) -> Result<Vec<i64>> {
        self.with_db(|c| {
            let mut stmt = c.prepare(
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
            c.query_row(
                "SELECT COUNT(*) FROM outbox WHERE state = 'queued' AND provisional = 0
                    AND (?1 IS NULL OR ur_id = ?1)",
                params![ur_id],
                |r| r.get(0),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config;

    pub fn temp_store(name: &str) -> Store {
        let dir = std::env::temp_dir().join(format!("ywx-store-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let settings = config::Outbox {
            path: dir.join("outbox.db"),
            ..config::Outbox::default()
        };
        Store::new(&settings)
    }

    fn key(ur: &str) -> Key {
        Key {
            method: "sign_data".into(),
            client_id: "c1".into(),
            ur_id: ur.into(),
        }
    }

    fn me() -> Owner {
        Owner::this_process()
    }

    #[test]
    fn a_key_is_queued_once_then_delivered_then_answers_with_its_response() {
        let store = temp_store("once");
        assert!(!store.exists());
        assert_eq!(
            store.enqueue(&key("A1"), "{}", "down", false).unwrap(),
            None
        );
        assert_eq!(
            store.enqueue(&key("A1"), "{}", "down", false).unwrap(),
            None
        );
        assert_eq!(store.count_queued(None).unwrap(), 1);
        let found = store.lookup(&key("A1")).unwrap().unwrap();
        assert_eq!(found.state, State::Queued);
        assert_eq!(found.response, None);
        store
            .finish(found.seq, State::Delivered, r#"{"status":"0"}"#, None)
            .unwrap();
        assert_eq!(store.count_queued(None).unwrap(), 0);
        let again = store.enqueue(&key("A1"), "{}", "down", false).unwrap();
        assert_eq!(again.as_deref(), Some(r#"{"status":"0"}"#));
    }

    #[test]
    fn a_failed_key_can_be_queued_again_and_release_keeps_it_queued() {
        let store = temp_store("failed");
        store.enqueue(&key("B1"), "{}", "down", false).unwrap();
        let seq = store.lookup(&key("B1")).unwrap().unwrap().seq;
        store.release(seq, "still down", false).unwrap();
        assert_eq!(store.queued_seqs("B1").unwrap(), vec![seq]);
        store
            .finish(seq, State::Failed, r#"{"status":"1"}"#, Some("refused"))
            .unwrap();
        assert!(store.queued_seqs("B1").unwrap().is_empty());
        assert_eq!(
            store.enqueue(&key("B1"), "{}", "down", false).unwrap(),
            None
        );
        assert_eq!(store.queued_seqs("B1").unwrap().len(), 1);
    }

    #[test]
    fn a_direct_push_is_written_ahead_and_gone_once_answered() {
        let store = temp_store("ahead");
        let begun = store.begin(&key("C1"), "{}", &me(), i64::MAX).unwrap();
        let Begun::Fresh {
            seq,
            existed: false,
        } = begun
        else {
            panic!("{begun:?}");
        };
        // In flight: in the file (a killed process leaves it there), not counted.
        assert!(store.lookup(&key("C1")).unwrap().is_some());
        assert_eq!(store.count_queued(None).unwrap(), 0);
        assert_eq!(
            store.begin(&key("C1"), "{}", &me(), i64::MAX).unwrap(),
            Begun::Queued(seq)
        );
        store.settle(seq, false, State::Delivered, "{}").unwrap();
        assert!(store.lookup(&key("C1")).unwrap().is_none());
        // Unanswered: parked as a queued item.
        let Begun::Fresh { seq, .. } = store.begin(&key("C2"), "{}", &me(), i64::MAX).unwrap()
        else {
            panic!()
        };
        store.park(seq, "timeout", true, None).unwrap();
        assert_eq!(store.count_queued(None).unwrap(), 1);
    }

    #[test]
    fn a_file_that_is_not_an_outbox_is_reported_and_kept() {
        let store = temp_store("corrupt");
        std::fs::create_dir_all(store.path().parent().unwrap()).unwrap();
        let junk = vec![0x5a_u8; 8192];
        std::fs::write(store.path(), &junk).unwrap();
        let e = store.open_now().unwrap_err();
        assert_eq!(e.code.number, crate::codes::OUTBOX_UNAVAILABLE.number);
        assert!(e.message.contains("outbox.path"), "{}", e.message);
        assert_eq!(
            std::fs::read(store.path()).unwrap(),
            junk,
            "never overwritten"
        );
    }

    #[test]
    fn a_version_1_file_is_migrated_and_its_tried_items_are_reconciled() {
        let store = temp_store("v1");
        std::fs::create_dir_all(store.path().parent().unwrap()).unwrap();
        let c = rusqlite::Connection::open(store.path()).unwrap();
        c.execute_batch(
            "CREATE TABLE outbox (seq INTEGER PRIMARY KEY, method TEXT NOT NULL,
                 client_id TEXT NOT NULL, ur_id TEXT NOT NULL, request TEXT NOT NULL,
                 state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT,
                 queued_at TEXT NOT NULL, delivered_at TEXT, finished_ms INTEGER, response TEXT,
                 lease_pid INTEGER, lease_token TEXT, lease_until INTEGER,
                 UNIQUE (method, client_id, ur_id));
             INSERT INTO outbox (method, client_id, ur_id, request, state, attempts, queued_at)
                 VALUES ('sign_data', 'c1', 'OLD1', '{}', 'queued', 2, '2026-01-01 00:00:00');
             PRAGMA user_version = 1;",
        )
        .unwrap();
        drop(c);
        assert_eq!(store.count_queued(None).unwrap(), 1);
        let unknown: bool = store
            .with_db(|c| c.query_row("SELECT unknown FROM outbox", [], |r| r.get(0)))
            .unwrap();
        assert!(
            unknown,
            "tried before the migration: reconciled before a re-send"
        );
    }
}
