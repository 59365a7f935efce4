//! Reconciliation: before a push whose outcome is unknown is sent again,
//! the gateway is asked whether it already has the order. The vendor
//! document does not promise that the gateway ignores a second push of the
//! same urId, so ywx does not rely on it: it lists the orders made around
//! the push's sends through 5.1.1 (signDataListSearchByTime, every page)
//! and looks for the urId, of the push's kind. Only a gateway that never
//! lists the order can see it twice.
//!
//! Where to look: the gateway stamps an order with its own clock, in its
//! own zone. The window runs from the first send minus
//! `reconcileWindowMinutes` to the last send plus as much (an outage may
//! last hours), moved by the gateway clock's offset (learnt from the `Date`
//! of its responses; with none yet, from the first 5.1.1 answer, and the
//! walk starts again if that moved the window) and written in
//! `gatewayTimeZone` — and, where this machine's zone differs, in that
//! zone too, should the gateway run in the HIS's zone rather than China
//! Standard Time (a second walk, of a window that then holds few orders).
//! One walk of a window's pages serves every uncertain item in it.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use serde_json::{Value, json};

use super::Shared;
use super::store::{Claimed, OrderKey};
use crate::clock::{gateway_text, local_zone_minutes, now_ms};
use crate::codes;
use crate::config::Retry;
use crate::error::Error;
use crate::reply::{self, Call, Reply};
use crate::request;
use crate::transport::Transport;
use crate::value::as_text;

/// Orders asked for per page.
const PAGE_SIZE: u32 = 100;
/// Pages looked at per window, at most (100 000 orders).
const MAX_PAGES: u32 = 1000;
/// A window looked at just after a send on a connection found closed,
/// either side (the gateway's clock is known then).
const NARROW_MS: i64 = 2 * 60_000;
/// A clock offset learnt during a walk that moves the window more than
/// this starts the walk again.
const MOVED_MS: i64 = 5_000;

/// A push whose outcome is unknown, as reconciliation looks for it.
#[derive(Debug, Clone)]
pub struct Uncertain {
    /// The push's kind (its method): a row of another kind is not it.
    pub kind: String,
    pub client_id: String,
    pub ur_id: String,
    /// Its first and last sends (local ms since the epoch).
    pub first_ms: i64,
    pub last_ms: i64,
}

impl Uncertain {
    pub fn of(key: &OrderKey, first_ms: i64, last_ms: i64) -> Uncertain {
        Uncertain {
            kind: key.method.clone(),
            client_id: key.client_id.clone(),
            ur_id: key.ur_id.clone(),
            first_ms,
            last_ms,
        }
    }

    pub fn claimed(c: &Claimed) -> Uncertain {
        let last = c.last_ms.unwrap_or_else(now_ms);
        Uncertain {
            kind: c.method.clone(),
            client_id: c.client_id.clone(),
            ur_id: c.ur_id.clone(),
            first_ms: c.first_ms.unwrap_or(last),
            last_ms: last,
        }
    }
}

/// One 5.1.1 row.
struct Listed {
    ur_id: String,
    unique_id: String,
    template_id: Option<String>,
}

impl Listed {
    fn of(row: &Value) -> Option<Listed> {
        let text = |keys: &[&str]| keys.iter().find_map(|k| row.get(*k).and_then(as_text));
        Some(Listed {
            ur_id: text(&["urid", "urId"])?,
            unique_id: text(&["uniqueid", "uniqueId"]).unwrap_or_default(),
            template_id: text(&["templateId", "templateid"]),
        })
    }
}

impl Shared {
    /// For each item, the uniqueId of its order at the gateway, if the
    /// gateway lists one. `deadline`: when a caller waits for it (else each
    /// page has a call's budget of its own: a delivery pass walks however
    /// many pages the window has). `narrow`: the items were sent just now,
    /// on this process's clock offset, so a narrow window will do.
    pub(super) fn walk(
        &self,
        items: &[Uncertain],
        via: &Transport,
        deadline: Option<Instant>,
        narrow: bool,
    ) -> Result<Vec<Option<String>>, Error> {
        let mut found: Vec<Option<String>> = vec![None; items.len()];
        let mut taken = HashSet::new();
        let mut clients: Vec<&str> = items.iter().map(|i| i.client_id.as_str()).collect();
        clients.sort_unstable();
        clients.dedup();
        for client in clients {
            let mine: Vec<usize> = (0..items.len())
                .filter(|&i| items[i].client_id == client)
                .collect();
            for (start, end) in self.windows(items, &mine, narrow) {
                let inside: Vec<usize> = mine
                    .iter()
                    .copied()
                    .filter(|&i| items[i].first_ms <= end && items[i].last_ms >= start)
                    .collect();
                let gateway = self.sender.config.gateway_zone_minutes();
                let mut zones = vec![gateway, local_zone_minutes()];
                zones.dedup();
                for zone in zones {
                    let window = Window {
                        client,
                        start,
                        end,
                        zone,
                    };
                    self.walk_window(
                        &window, items, &inside, &mut found, &mut taken, via, deadline,
                    )?;
                }
            }
        }
        Ok(found)
    }

    /// The windows of these items (local ms), overlapping ones merged.
    fn windows(&self, items: &[Uncertain], which: &[usize], narrow: bool) -> Vec<(i64, i64)> {
        let mut half = i64::from(self.settings.reconcile_window_minutes) * 60_000;
        if narrow && self.sender.clock.offset_ms().is_some() {
            half = half.min(NARROW_MS);
        }
        let mut spans: Vec<(i64, i64)> = which
            .iter()
            .map(|&i| (items[i].first_ms - half, items[i].last_ms + half))
            .collect();
        spans.sort_unstable();
        let mut merged: Vec<(i64, i64)> = Vec::new();
        for (s, e) in spans {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        merged
    }

    /// Walks one window's pages until every item in it is found or the
    /// list ends.
    #[allow(clippy::too_many_arguments)]
    fn walk_window(
        &self,
        window: &Window,
        items: &[Uncertain],
        inside: &[usize],
        found: &mut [Option<String>],
        taken: &mut HashSet<String>,
        via: &Transport,
        deadline: Option<Instant>,
    ) -> Result<(), Error> {
        let mut offset = self.sender.clock.offset_ms();
        let mut restarted = false;
        let mut by_ur: HashMap<&str, Vec<usize>> = HashMap::new();
        for &i in inside {
            by_ur.entry(items[i].ur_id.as_str()).or_default().push(i);
        }
        let mut page = 1;
        while page <= MAX_PAGES && inside.iter().any(|&i| found[i].is_none()) {
            let used = offset.unwrap_or(0);
            let data = self.list_page(window, used, page, via, deadline)?;
            let learnt = self.sender.clock.offset_ms();
            if offset.is_none() && !restarted {
                offset = learnt;
                if learnt.is_some_and(|o| (o - used).abs() > MOVED_MS) {
                    // The window was written in a clock the gateway does
                    // not keep: start again in the gateway's.
                    restarted = true;
                    page = 1;
                    continue;
                }
            }
            let rows = data.get("list").and_then(Value::as_array);
            for row in rows.into_iter().flatten().filter_map(Listed::of) {
                let Some(candidates) = by_ur.get(row.ur_id.as_str()) else {
                    continue;
                };
                for &i in candidates {
                    if found[i].is_none()
                        && !taken.contains(&row.unique_id)
                        && self.is_of_kind(&row, &items[i])
                    {
                        taken.insert(row.unique_id.clone());
                        found[i] = Some(row.unique_id.clone());
                        break;
                    }
                }
            }
            let pages = data
                .get("pages")
                .and_then(as_text)
                .and_then(|p| p.parse::<u32>().ok());
            let listed = rows.map_or(0, Vec::len);
            let last = match pages {
                Some(p) => page >= p,
                // No page count: a page that is not full is the last.
                None => listed < PAGE_SIZE as usize,
            };
            if listed == 0 || last {
                break;
            }
            page += 1;
        }
        Ok(())
    }

    /// Whether a listed order is the item's: of its kind where the row
    /// says (its `templateId`); where it does not, unless that order is
    /// known to be of another kind of this urId.
    fn is_of_kind(&self, row: &Listed, item: &Uncertain) -> bool {
        if let Some(template) = &row.template_id {
            let kind = self
                .sender
                .routes
                .iter()
                .find(|e| e.makes_template(template));
            return kind.is_some_and(|e| e.name == item.kind);
        }
        let known = self
            .store
            .orders_of(&item.client_id, &item.ur_id)
            .unwrap_or_default();
        !known
            .iter()
            .any(|(kind, id)| *kind != item.kind && *id == row.unique_id)
    }

    /// One page of 5.1.1 for `window`, built from its endpoint entry like
    /// any other call: its `data`, or why it cannot be used.
    fn list_page(
        &self,
        window: &Window,
        offset: i64,
        page: u32,
        via: &Transport,
        deadline: Option<Instant>,
    ) -> Result<Value, Error> {
        let zone = window.zone;
        let ep = self.sender.list;
        let value = json!({
            "head": {"clientId": window.client},
            "body": {
                "startDate": gateway_text(window.start, offset, zone),
                "endDate": gateway_text(window.end, offset, zone),
                "pageNum": page,
                "pageSize": PAGE_SIZE,
            },
        });
        let mut prepared = request::prepare(ep, value.into())?.value;
        request::fill_from_config(ep, &self.sender.config, &mut prepared);
        let body = prepared.to_json();
        let call = Call {
            method: ep.http,
            path: ep.path,
            query: &[],
            body: Some(&body),
        };
        let once = Retry {
            attempts: 1,
            backoff_ms: 0,
        };
        let deadline = deadline.unwrap_or_else(|| Instant::now() + via.budget());
        let reply = reply::send(via, call, &once, deadline)?;
        listed(reply)
    }
}

/// A window of one client's orders, in local ms since the epoch, written
/// in a zone (minutes east of UTC).
struct Window<'a> {
    client: &'a str,
    start: i64,
    end: i64,
    zone: i32,
}

/// The `data` of a 5.1.1 answer, or why it cannot be used.
fn listed(reply: Reply) -> Result<Value, Error> {
    if reply.is_ok()
        && let Some(data) = reply.json().get("data").filter(|d| d.is_object())
    {
        return Ok(data.clone());
    }
    Err(Error::new(
        &codes::GATEWAY_BAD_REPLY,
        format!(
            "对账失败：网关的按时间查询（5.1.1）没有给出订单列表（status {}：{}）。结果不明的推送不会重发，稍后再试",
            reply.status,
            reply.message()
        ),
    ))
}

/// The answer recorded for an item reconciliation found at the gateway.
pub fn reconciled_reply(unique_id: &str) -> Reply {
    Reply::local(json!({
        "status": "0",
        "message": "success",
        "data": {"uniqueId": unique_id, "reconciled": true},
    }))
}
