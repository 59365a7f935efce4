//! Leases: an item being delivered (or reconciled) carries its owner (pid
//! and a token of that process) and an expiry, written in the database, so
//! that two threads or processes sharing one file never send it at the
//! same time. A lease is free when it expired, when its owner process is
//! gone, or when it belongs to an earlier run of a process id now reused.

use rusqlite::{Connection, Row, Transaction, TransactionBehavior, params};

use super::Store;
use crate::clock::now_ms;
use crate::error::Result;

/// The process delivering: its pid and a token told apart from a dead
/// predecessor's with the same pid (or a parent's, after `fork`).
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
        static TOKEN: std::sync::Mutex<Option<(u32, String)>> = std::sync::Mutex::new(None);
        let pid = std::process::id();
        let mut token = TOKEN.lock().unwrap_or_else(|p| p.into_inner());
        if token.as_ref().is_none_or(|(p, _)| *p != pid) {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0);
            *token = Some((pid, format!("{pid}-{nanos:08x}")));
        }
        let token = token.as_ref().map(|(_, t)| t.clone()).unwrap_or_default();
        Owner { pid, token }
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
    /// Its last attempt may have reached the gateway.
    pub unknown: bool,
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

    /// Whether its outcome is unknown: an attempt may have reached the
    /// gateway, or a delivery was cut short (its lease is taken over).
    pub fn uncertain(&self) -> bool {
        self.unknown || self.token.is_some()
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
    /// Its first and last sends (ms since the epoch), if it was sent.
    pub first_ms: Option<i64>,
    pub last_ms: Option<i64>,
}

/// Which items a claim looks at.
#[derive(Debug, Clone, Copy)]
pub enum Among<'a> {
    /// The oldest queued items.
    Oldest,
    /// These items only.
    Only(&'a [i64]),
}

/// A claim: who, until when (ms since the epoch), of which items.
pub struct Claim<'a> {
    pub me: &'a Owner,
    pub until: i64,
    pub among: Among<'a>,
}

/// How many queued items a claim of the oldest looks at.
const CANDIDATES: i64 = 64;

impl Store {
    /// Claims up to `max` deliverable queued items, oldest first, in one
    /// transaction, counting the attempt. Taking over a lease means a
    /// delivery was cut short (its process died): its outcome is unknown.
    /// A direct push written ahead by a process that died becomes an
    /// ordinary queued item.
    pub fn claim(&self, claim: &Claim, max: usize) -> Result<Vec<Claimed>> {
        let now = now_ms();
        self.with_db(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let free = free_leases(&tx, claim, now, false)?;
            let mut claimed = Vec::with_capacity(free.len().min(max));
            for lease in free.iter().take(max) {
                tx.prepare_cached(
                    "UPDATE outbox SET unknown = (unknown OR lease_token IS NOT NULL),
                            provisional = 0, lease_pid = ?2, lease_token = ?3,
                            lease_until = ?4, attempts = attempts + 1,
                            first_ms = coalesce(first_ms, ?5), last_ms = ?5
                     WHERE seq = ?1",
                )?
                .execute(params![
                    lease.seq,
                    claim.me.pid,
                    claim.me.token,
                    claim.until,
                    now
                ])?;
                claimed.push(claimed_row(&tx, lease.seq)?);
            }
            tx.commit()?;
            Ok(claimed)
        })
    }

    /// Leases every queued item whose outcome is unknown, for
    /// reconciliation: no attempt is counted, nothing sent.
    pub fn claim_uncertain(&self, claim: &Claim) -> Result<Vec<Claimed>> {
        let now = now_ms();
        self.with_db(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let free = free_leases(&tx, claim, now, true)?;
            let mut claimed = Vec::with_capacity(free.len());
            for lease in &free {
                tx.prepare_cached(
                    "UPDATE outbox SET unknown = 1, provisional = 0, lease_pid = ?2,
                            lease_token = ?3, lease_until = ?4
                     WHERE seq = ?1",
                )?
                .execute(params![
                    lease.seq,
                    claim.me.pid,
                    claim.me.token,
                    claim.until
                ])?;
                claimed.push(claimed_row(&tx, lease.seq)?);
            }
            tx.commit()?;
            Ok(claimed)
        })
    }

    /// Whether queued items (of `ur_id`; of item `seq`) are leased by
    /// someone, unexpired.
    pub fn leased(&self, ur_id: Option<&str>, seq: Option<i64>) -> Result<bool> {
        let now = now_ms();
        self.with_db(|c| {
            c.prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM outbox WHERE state = 'queued'
                    AND (?1 IS NULL OR ur_id = ?1) AND (?2 IS NULL OR seq = ?2)
                    AND lease_token IS NOT NULL AND lease_until >= ?3)",
            )?
            .query_row(params![ur_id, seq, now], |r| r.get(0))
        })
    }
}

/// The queued items the claim may take, oldest first: free, and (for
/// `uncertain`) only those whose outcome is unknown.
fn free_leases(
    tx: &Transaction,
    claim: &Claim,
    now: i64,
    uncertain: bool,
) -> rusqlite::Result<Vec<Lease>> {
    const COLUMNS: &str = "seq, lease_pid, lease_token, lease_until, unknown";
    let rows: Vec<Lease> = match (claim.among, uncertain) {
        (Among::Only(seqs), _) => {
            let mut stmt = tx.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM outbox WHERE seq = ?1 AND state = 'queued'"
            ))?;
            let mut rows = Vec::with_capacity(seqs.len());
            for seq in seqs {
                rows.extend(stmt.query_row(params![seq], lease_row).ok());
            }
            rows
        }
        (Among::Oldest, true) => tx
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM outbox WHERE state = 'queued'
                 AND (unknown = 1 OR lease_token IS NOT NULL) ORDER BY seq"
            ))?
            .query_map([], lease_row)?
            .collect::<rusqlite::Result<_>>()?,
        // The (state, seq) index is walked, not the whole table.
        (Among::Oldest, false) => tx
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM outbox WHERE state = 'queued' ORDER BY seq LIMIT {CANDIDATES}"
            ))?
            .query_map([], lease_row)?
            .collect::<rusqlite::Result<_>>()?,
    };
    let alive = crate::platform::process_alive;
    Ok(rows
        .into_iter()
        .filter(|l| l.is_free(claim.me, now, alive))
        .filter(|l| !uncertain || l.uncertain())
        .collect())
}

fn lease_row(r: &Row) -> rusqlite::Result<Lease> {
    Ok(Lease {
        seq: r.get(0)?,
        pid: r.get(1)?,
        token: r.get(2)?,
        until: r.get(3)?,
        unknown: r.get(4)?,
    })
}

fn claimed_row(c: &Connection, seq: i64) -> rusqlite::Result<Claimed> {
    c.prepare_cached(
        "SELECT seq, method, client_id, ur_id, request, attempts, unknown, first_ms, last_ms
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
            last_ms: r.get(8)?,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbox::store::tests::{key, temp_store};

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
            unknown: false,
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

    fn oldest<'a>(me: &'a Owner, until: i64) -> Claim<'a> {
        Claim {
            me,
            until,
            among: Among::Oldest,
        }
    }

    #[test]
    fn claims_take_items_in_order_and_never_one_already_leased() {
        let store = temp_store("claim");
        for ur in ["A", "B"] {
            store.enqueue(&key(ur), "{}", "down", false).unwrap();
        }
        let mine = Owner::this_process();
        // Another process, alive (init).
        let other = Owner {
            pid: 1,
            token: "1-other".into(),
        };
        let far = now_ms() + 60_000;
        let a = store.claim(&oldest(&mine, far), 1).unwrap();
        assert_eq!(
            (a[0].ur_id.as_str(), a[0].attempts, a[0].unknown),
            ("A", 1, false)
        );
        assert!(a[0].first_ms.is_some() && a[0].last_ms == a[0].first_ms);
        let b = store.claim(&oldest(&other, far), 5).unwrap();
        assert_eq!(b.len(), 1, "A is leased: only B");
        assert_eq!(b[0].ur_id, "B");
        assert!(store.claim(&oldest(&mine, far), 5).unwrap().is_empty());
        assert!(store.leased(Some("B"), None).unwrap());
        // Leases taken over (expired): an outcome unknown, reconciled
        // before a re-send.
        let past = now_ms() - 1;
        store
            .with_db(|c| c.execute("UPDATE outbox SET lease_until = ?1", params![past]))
            .unwrap();
        let uncertain = store.claim_uncertain(&oldest(&mine, far)).unwrap();
        assert_eq!(uncertain.len(), 2);
        assert!(
            uncertain.iter().all(|c| c.unknown && c.attempts == 1),
            "{uncertain:?}"
        );
    }
}
