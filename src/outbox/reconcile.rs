//! Reconciliation: before a push whose outcome is unknown is sent again,
//! the gateway is asked whether it already has the order. The vendor
//! document does not promise that the gateway ignores a second push of the
//! same urId, so ywx does not rely on it: it lists the orders around the
//! first attempt through 5.1.1 (signDataListSearchByTime, every page) and
//! looks for the urId. Only a gateway that never lists the order can see
//! it twice.

use serde_json::{Value, json};

use super::Shared;
use super::lease::Claimed;
use super::store::now_ms;
use crate::codes;
use crate::error::Error;
use crate::transport::{Failure, Http, Reached, Reply, Request, Transport};
use crate::value::as_text;

/// Orders asked for per page.
const PAGE_SIZE: u32 = 100;
/// Pages looked at, at most (100 000 orders in the window).
const MAX_PAGES: u32 = 1000;

impl Shared {
    /// The uniqueId the gateway lists for the item's urId, if it does.
    pub(super) fn reconcile(
        &self,
        item: &Claimed,
        via: &Transport,
    ) -> Result<Option<String>, Failure> {
        let center = item.first_ms.unwrap_or_else(now_ms);
        let half = i64::from(self.settings.reconcile_window_minutes) * 60_000;
        let (start, end) = (local(center - half), local(center + half));
        for page in 1..=MAX_PAGES {
            let body = json!({
                "head": {"clientId": item.client_id},
                "body": {"startDate": start, "endDate": end, "pageNum": page, "pageSize": PAGE_SIZE},
            })
            .to_string();
            let reply = via.exchange(&Request {
                method: Http::Post,
                path: self.sender.list_path,
                query: &[],
                body: Some(&body),
                retry: false,
            })?;
            let data = listed(&reply)?;
            let list = data.get("list").and_then(Value::as_array);
            let found = list.into_iter().flatten().find(|o| {
                ["urid", "urId"]
                    .iter()
                    .any(|k| o.get(*k).and_then(as_text).as_deref() == Some(&item.ur_id))
            });
            if let Some(order) = found {
                let unique_id = ["uniqueid", "uniqueId"]
                    .iter()
                    .find_map(|k| order.get(*k).and_then(as_text));
                return Ok(Some(unique_id.unwrap_or_default()));
            }
            let pages = data
                .get("pages")
                .and_then(as_text)
                .and_then(|p| p.parse::<u32>().ok());
            if list.is_none_or(Vec::is_empty) || pages.is_none_or(|p| page >= p) {
                break;
            }
        }
        Ok(None)
    }
}

/// The `data` of a 5.1.1 answer, or why it cannot be used.
fn listed(reply: &Reply) -> Result<&Value, Failure> {
    let status = &reply.status;
    match reply.json().get("data") {
        Some(data) if status == "0" && data.is_object() => Ok(data),
        _ => Err(Failure {
            error: Error::new(
                &codes::GATEWAY_BAD_REPLY,
                format!(
                    "对账失败：网关的按时间查询（5.1.1）没有给出订单列表（status {status}：{}）。结果不明的推送不会重发，稍后再试",
                    reply.message()
                ),
            ),
            transient: false,
            reached: Reached::Maybe,
        }),
    }
}

/// A time (ms since the epoch) in the gateway's format, in local time.
fn local(ms: i64) -> String {
    crate::clock::text_at(ms - now_ms())
}

/// The answer recorded for an item reconciliation found at the gateway.
pub fn reconciled_reply(unique_id: &str) -> Reply {
    Reply::local(json!({
        "status": "0",
        "message": "success",
        "data": {"uniqueId": unique_id, "reconciled": true},
    }))
}
