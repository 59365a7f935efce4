//! Leases: an item being delivered carries its owner (pid and a token of
//! that process) and an expiry, written in the database, so that two
//! threads or processes sharing one file never send it at the same time.
//! A lease is free when it expired, when its owner process is gone, or when
//! it belongs to an earlier run of a process id now reused.

use rusqlite::{Connection, TransactionBehavior, params};

/// The process delivering: its pid and a token told apart from a dead
/// predecessor's with the same pid.
#[derive(Debug, Clone)]
pub struct Owner {
    pub pid: u32,
    pub token: String,
}

impl Owner {
    /// This process, with a token of its own (`pid-nanos`), the same for
    /// every client the process configures: after a re-init, an item the
    /// previous client's thread is still sending (`ywx_init` and
    /// `ywx_shutdown` do not wait for it) stays leased, and is not sent a
    /// second time by the new client while the first send is in flight.
    pub fn this_process() -> Owner {
        static TOKEN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let pid = std::process::id();
        let token = TOKEN.get_or_init(|| {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0);
            format!("{pid}-{nanos:08x}")
        });
        Owner {
            pid,
            token: token.clone(),
        }
    }
}

/// A queued item's lease, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub seq: i64,
    pub pid: Option<u32>,
    pub token: Option<String>,
    /// Expiry, in ms since the epoch.
    pub until: Option<i64>,
}

impl Lease {
    /// Whether `me` may take the item at `now`; `alive` tells whether a
    /// process id is running.
    pub fn is_free(&self, me: &Owner, now: i64, alive: impl Fn(u32) -> bool) -> bool {
        let Some(token) = &self.token else {
            return true;
        };
        if self.until.is_some_and(|until| until < now) {
            return true;
        }
        match self.pid {
            // Our pid: ours (busy) unless the token is a predecessor's.
            Some(pid) if pid == me.pid => *token != me.token,
            Some(pid) => !alive(pid),
            None => true,
        }
    }
}

/// An item claimed for delivery.
#[derive(Debug)]
pub struct Claimed {
    pub seq: i64,
    pub method: String,
    pub client_id: String,
    pub ur_id: String,
    pub request: String,
    /// Attempts so far, this one included.
    pub attempts: i64,
    /// An earlier attempt may have reached the gateway: reconcile first.
    pub unknown: bool,
    /// When the push was first tried (ms since the epoch), if known.
    pub first_ms: Option<i64>,
}

/// Claims the next deliverable queued item (or item `only`) for `me` until
/// `until`, counting the attempt; None when every queued item is leased.
/// Taking over a lease means a delivery was cut short (its process died):
/// its outcome is unknown. A direct push written ahead by a process that
/// died becomes an ordinary queued item.
pub fn claim(
    c: &mut Connection,
    only: Option<i64>,
    me: &Owner,
    now: i64,
    until: i64,
    alive: impl Fn(u32) -> bool,
) -> rusqlite::Result<Option<Claimed>> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Two statements rather than `?1 IS NULL OR`, so that SQLite walks the
    // (state, seq) index instead of the whole table.
    let candidates: Vec<Lease> = match only {
        Some(seq) => tx
            .prepare_cached(
                "SELECT seq, lease_pid, lease_token, lease_until FROM outbox
                 WHERE seq = ?1 AND state = 'queued'",
            )?
            .query_map(params![seq], lease_row)?
            .collect::<rusqlite::Result<_>>()?,
        None => tx
            .prepare_cached(
                "SELECT seq, lease_pid, lease_token, lease_until FROM outbox
                 WHERE state = 'queued' ORDER BY seq LIMIT 64",
            )?
            .query_map([], lease_row)?
            .collect::<rusqlite::Result<_>>()?,
    };
    let Some(free) = candidates.iter().find(|l| l.is_free(me, now, &alive)) else {
        return Ok(None);
    };
    let claimed = take(&tx, free.seq, me, until)?;
    tx.commit()?;
    Ok(Some(claimed))
}

/// Claims up to `max` deliverable queued items for `me` until `until`, in
/// one transaction, oldest first, as [`claim`] claims one.
pub fn claim_batch(
    c: &mut Connection,
    max: usize,
    me: &Owner,
    now: i64,
    until: i64,
    alive: impl Fn(u32) -> bool,
) -> rusqlite::Result<Vec<Claimed>> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let candidates: Vec<Lease> = tx
        .prepare_cached(
            "SELECT seq, lease_pid, lease_token, lease_until FROM outbox
             WHERE state = 'queued' ORDER BY seq LIMIT 64",
        )?
        .query_map([], lease_row)?
        .collect::<rusqlite::Result<_>>()?;
    let mut claimed = Vec::new();
    for free in candidates
        .iter()
        .filter(|l| l.is_free(me, now, &alive))
        .take(max)
    {
        claimed.push(take(&tx, free.seq, me, until)?);
    }
    tx.commit()?;
    Ok(claimed)
}

fn lease_row(r: &rusqlite::Row) -> rusqlite::Result<Lease> {
    Ok(Lease {
        seq: r.get(0)?,
        pid: r.get(1)?,
        token: r.get(2)?,
        until: r.get(3)?,
    })
}

/// Leases item `seq` to `me`, counting the attempt; the item as claimed.
fn take(c: &Connection, seq: i64, me: &Owner, until: i64) -> rusqlite::Result<Claimed> {
    c.prepare_cached(
        "UPDATE outbox SET unknown = (unknown OR lease_token IS NOT NULL), provisional = 0,
                lease_pid = ?2, lease_token = ?3, lease_until = ?4, attempts = attempts + 1
         WHERE seq = ?1",
    )?
    .execute(params![seq, me.pid, me.token, until])?;
    c.prepare_cached(
        "SELECT seq, method, client_id, ur_id, request, attempts, unknown, first_ms
         FROM outbox WHERE seq = ?1",
    )?
    .query_row(params![seq], |r| {
        Ok(Claimed {
            seq: r.get(0)?,
            method: r.get(1)?,
            client_id: r.get(2)?,
            ur_id: r.get(3)?,
            request: r.get(4)?,
            attempts: r.get(5)?,
            unknown: r.get(6)?,
            first_ms: r.get(7)?,
        })
    })
}

/// Whether queued items (of `ur_id`) are leased by someone, unexpired.
pub fn leased_elsewhere(
    c: &mut Connection,
    ur_id: Option<&str>,
    now: i64,
) -> rusqlite::Result<bool> {
    c.query_row(
        "SELECT EXISTS (SELECT 1 FROM outbox WHERE state = 'queued'
            AND (?1 IS NULL OR ur_id = ?1)
            AND lease_token IS NOT NULL AND lease_until >= ?2)",
        params![ur_id, now],
        |r| r.get(0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn me() -> Owner {
        Owner {
            pid: 100,
            token: "100-aaaa".into(),
        }
    }

    fn lease(pid: Option<u32>, token: Option<&str>, until: Option<i64>) -> Lease {
        Lease {
            seq: 1,
            pid,
            token: token.map(str::to_string),
            until,
        }
    }

    #[test]
    fn who_may_take_a_lease() {
        let alive = |pid: u32| pid == 200;
        let now = 1_000;
        // Never leased, or expired: free.
        assert!(lease(None, None, None).is_free(&me(), now, alive));
        assert!(lease(Some(200), Some("200-x"), Some(999)).is_free(&me(), now, alive));
        // A live other process, unexpired: busy.
        assert!(!lease(Some(200), Some("200-x"), Some(2_000)).is_free(&me(), now, alive));
        // A dead process: taken over at once, even unexpired.
        assert!(lease(Some(300), Some("300-x"), Some(2_000)).is_free(&me(), now, alive));
        // Ours: busy; a predecessor's with our (reused) pid: free.
        assert!(!lease(Some(100), Some("100-aaaa"), Some(2_000)).is_free(&me(), now, alive));
        assert!(lease(Some(100), Some("100-old"), Some(2_000)).is_free(&me(), now, alive));
    }

    #[test]
    fn claim_takes_items_in_order_and_never_one_already_leased() {
        let mut c = Connection::open_in_memory().unwrap();
        c.execute_batch(
            "CREATE TABLE outbox (seq INTEGER PRIMARY KEY, method TEXT, client_id TEXT,
                 ur_id TEXT, request TEXT, state TEXT, attempts INTEGER DEFAULT 0,
                 lease_pid INTEGER, lease_token TEXT, lease_until INTEGER, first_ms INTEGER,
                 unknown INTEGER NOT NULL DEFAULT 0, provisional INTEGER NOT NULL DEFAULT 0);
             INSERT INTO outbox (method, client_id, ur_id, request, state) VALUES
                 ('sign_data', 'c', 'A', '{}', 'queued'),
                 ('sign_data', 'c', 'B', '{}', 'queued'),
                 ('sign_data', 'c', 'C', '{}', 'delivered');",
        )
        .unwrap();
        let other = Owner {
            pid: 200,
            token: "200-x".into(),
        };
        let alive = |_: u32| true;
        let a = claim(&mut c, None, &me(), 0, 5_000, alive)
            .unwrap()
            .unwrap();
        assert_eq!((a.ur_id.as_str(), a.attempts, a.unknown), ("A", 1, false));
        let b = claim(&mut c, None, &other, 0, 5_000, alive)
            .unwrap()
            .unwrap();
        assert_eq!(b.ur_id, "B");
        assert!(
            claim(&mut c, None, &me(), 0, 5_000, alive)
                .unwrap()
                .is_none()
        );
        assert!(leased_elsewhere(&mut c, Some("B"), 0).unwrap());
        // After B's lease expires, it is taken again, its attempt counted.
        let b2 = claim(&mut c, Some(b.seq), &me(), 6_000, 9_000, alive)
            .unwrap()
            .unwrap();
        assert_eq!((b2.ur_id.as_str(), b2.attempts), ("B", 2));
        assert!(b2.unknown, "a delivery cut short: its outcome is unknown");
    }
}
