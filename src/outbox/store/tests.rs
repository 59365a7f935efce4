//! Tests of the store: its statements, leases aside (`lease.rs`).

use super::*;
use rusqlite::OptionalExtension;

pub fn temp_store(name: &str) -> Store {
    let dir = std::env::temp_dir().join(format!("ywx-store-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let config = crate::config::Config::parse(
        r#"{"baseUrl":"http://127.0.0.1:9","clientId":"c1","clientSecret":"s"}"#,
        None,
    )
    .unwrap();
    let settings = OutboxSettings {
        path: dir.join("outbox.db"),
        ..config.outbox
    };
    Store::new(&settings)
}

pub fn key(ur: &str) -> OrderKey {
    OrderKey {
        method: "sign_data".into(),
        client_id: "c1".into(),
        ur_id: ur.into(),
    }
}

/// The state and answer of a key.
fn lookup(store: &Store, key: &OrderKey) -> Option<(i64, State, Option<String>)> {
    store
        .with_db(|c| {
            c.query_row(
                "SELECT seq, state, response FROM outbox
                 WHERE method = ?1 AND client_id = ?2 AND ur_id = ?3",
                params![key.method, key.client_id, key.ur_id],
                |r| Ok((r.get(0)?, State::parse(&r.get::<_, String>(1)?), r.get(2)?)),
            )
            .optional()
        })
        .unwrap()
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
    let (seq, state, response) = lookup(&store, &key("A1")).unwrap();
    assert_eq!((state, response), (State::Queued, None));
    store
        .finish(seq, State::Delivered, r#"{"status":"0"}"#, None, Some("Y1"))
        .unwrap();
    assert_eq!(store.count_queued(None).unwrap(), 0);
    let again = store.enqueue(&key("A1"), "{}", "down", false).unwrap();
    assert_eq!(again.as_deref(), Some(r#"{"status":"0"}"#));
    assert_eq!(
        store.orders_of("c1", "A1").unwrap(),
        vec![("sign_data".to_string(), "Y1".to_string())]
    );
}

#[test]
fn a_failed_key_can_be_queued_again_and_release_keeps_it_queued() {
    let store = temp_store("failed");
    store.enqueue(&key("B1"), "{}", "down", false).unwrap();
    let seq = lookup(&store, &key("B1")).unwrap().0;
    let release = Record::Release {
        seq,
        last_error: Some("still down".into()),
        unknown: false,
    };
    store.record(&[release]).unwrap();
    assert_eq!(store.queued_seqs("B1").unwrap(), vec![seq]);
    store
        .finish(
            seq,
            State::Failed,
            r#"{"status":"1"}"#,
            Some("refused"),
            None,
        )
        .unwrap();
    assert!(store.queued_seqs("B1").unwrap().is_empty());
    assert_eq!(
        store.enqueue(&key("B1"), "{}", "down", false).unwrap(),
        None
    );
    assert_eq!(store.queued_seqs("B1").unwrap().len(), 1);
}

#[test]
fn a_direct_push_is_written_ahead_and_remembered_once_answered() {
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
    assert!(lookup(&store, &key("C1")).is_some());
    assert_eq!(store.count_queued(None).unwrap(), 0);
    assert_eq!(
        store.begin(&key("C1"), "{}", &me(), i64::MAX).unwrap(),
        Begun::Queued(seq)
    );
    let answer = r#"{"status":"0","data":{"uniqueId":"Y2"}}"#;
    store
        .finish(seq, State::Delivered, answer, None, Some("Y2"))
        .unwrap();
    // A re-push of the urId: the first answer, no second order.
    assert_eq!(
        store.begin(&key("C1"), "{}", &me(), i64::MAX).unwrap(),
        Begun::Delivered(Some(answer.into()))
    );
    // Unanswered: parked as a queued item.
    let Begun::Fresh { seq, .. } = store.begin(&key("C2"), "{}", &me(), i64::MAX).unwrap() else {
        panic!()
    };
    store.park(seq, "timeout", true, None).unwrap();
    assert_eq!(store.count_queued(None).unwrap(), 1);
}

#[test]
fn a_kept_request_loses_its_documents_once_delivered() {
    let store = temp_store("slim");
    let pdf = "A".repeat(100_000);
    let request = format!(r#"{{"msg":{{"body":{{"urId":"D1","pdfBase64":"{pdf}"}}}}}}"#);
    store.enqueue(&key("D1"), &request, "down", false).unwrap();
    let seq = lookup(&store, &key("D1")).unwrap().0;
    store
        .finish(seq, State::Delivered, "{}", None, None)
        .unwrap();
    let kept: String = store
        .with_db(|c| c.query_row("SELECT request FROM outbox", [], |r| r.get(0)))
        .unwrap();
    let kept: serde_json::Value = serde_json::from_str(&kept).unwrap();
    assert_eq!(kept["msg"]["body"]["urId"], "D1");
    assert!(kept.to_string().len() < 200, "{kept}");
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
    // The schema of version 1, as ywx 0.1 wrote it.
    c.execute_batch(
        "CREATE TABLE outbox (seq INTEGER PRIMARY KEY, method TEXT NOT NULL,
             client_id TEXT NOT NULL, ur_id TEXT NOT NULL, request TEXT NOT NULL,
             state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT,
             queued_at TEXT NOT NULL, delivered_at TEXT, finished_ms INTEGER, response TEXT,
             lease_pid INTEGER, lease_token TEXT, lease_until INTEGER,
             UNIQUE (method, client_id, ur_id));
         INSERT INTO outbox (method, client_id, ur_id, request, state, attempts, queued_at)
             VALUES ('sign_data', 'c1', 'OLD1', '{}', 'queued', 2, '2026-01-01 00:00:00');
         INSERT INTO outbox (method, client_id, ur_id, request, state, attempts, queued_at,
                             response)
             VALUES ('sign_data', 'c1', 'OLD2', '{}', 'delivered', 1, '2026-01-01 00:00:00',
                     '{\"status\":\"0\",\"data\":{\"uniqueId\":\"Y9\"}}');
         PRAGMA user_version = 1;",
    )
    .unwrap();
    drop(c);
    assert_eq!(store.count_queued(None).unwrap(), 1);
    let unknown: bool = store
        .with_db(|c| {
            c.query_row("SELECT unknown FROM outbox WHERE ur_id = 'OLD1'", [], |r| {
                r.get(0)
            })
        })
        .unwrap();
    assert!(
        unknown,
        "tried before the migration: reconciled before a re-send"
    );
    assert_eq!(
        store.orders_of("c1", "OLD2").unwrap(),
        vec![("sign_data".to_string(), "Y9".to_string())],
        "the order of a delivered item is known after the migration"
    );
}
