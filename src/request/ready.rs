//! A request that needs nothing done to it, sent as the caller wrote it.
//!
//! Most calls of a query (4.3.x, 5.1.x, 6.x) name their order and carry
//! their clientId: checking them is all ywx does before sending them. Such
//! a request — compact, plain JSON (`json::Flat`) whose `head` and `body`
//! are objects, naming no convenience, with every default, credential and
//! sysTag the long way would fill already given — is checked against the
//! endpoint's rules from a flat reading of its text, and its text is sent
//! unchanged: the bytes the long way ([`prepare`](super::prepare),
//! [`fill_from_config`](super::fill_from_config), `Json::to_json`) writes
//! for it, without building, completing and writing a tree. Any other
//! request takes the long way; both answer alike (`tests` below).

use std::borrow::Cow;

use super::convenience::IN_BODY;
use super::{check_rules, log_key_by};
use crate::config::Config;
use crate::endpoints::{Creds, Delivery, Endpoint, Shape, SysTag};
use crate::error::Result;
use crate::json::{Flat, Json};
use crate::transport::Http;

/// A request to be sent as it is, read flat.
pub struct Ready<'a> {
    flat: Flat<'a>,
}

/// `text` when it can be sent to `ep` as it is; None when it needs the
/// long way (or is not for this shortcut: only POSTs of `head` and `body`
/// sent directly, never the pushes the outbox keeps).
pub fn ready<'a>(ep: &Endpoint, config: &Config, text: &'a str) -> Option<Ready<'a>> {
    if ep.shape != Shape::HeadBody || ep.delivery != Delivery::Retry || ep.http != Http::Post {
        return None;
    }
    let flat = Flat::read(text)?;
    if !flat.is_object("head") || !flat.is_object("body") {
        return None;
    }
    if flat.keys_in("body").any(|k| IN_BODY.contains(&k))
        || flat.keys_in("head").any(|k| k == "appendixFile")
    {
        return None;
    }
    // What the long way would fill: each given, neither null nor "".
    let given = |v: Option<Json>| v.is_some_and(|v| !v.is_null_or_empty());
    let creds: &[&[&str]] = match ep.creds {
        Creds::None => &[],
        Creds::ClientId => &[&["head", "clientId"]],
        Creds::ClientIdAndSecret => &[&["head", "clientId"], &["head", "clientSecret"]],
    };
    let sys_tag: Option<&[&str]> = match (&config.sys_tag, ep.sys_tag) {
        (None, _) | (_, SysTag::None) => None,
        (Some(_), SysTag::Query) => Some(&["sysTag"]),
        (Some(_), SysTag::Head) => Some(&["head", "sysTag"]),
        (Some(_), SysTag::Body) => Some(&["body", "sysTag"]),
    };
    let filled = ep.defaults.iter().all(|(field, _)| given(flat.at(field)))
        && creds
            .iter()
            .chain(&sys_tag)
            .all(|keys| given(flat.at_keys(keys.iter().copied())));
    filled.then_some(Ready { flat })
}

impl Ready<'_> {
    /// The order key for the log, as [`log_key`](super::log_key) finds it.
    pub fn log_key(&self) -> String {
        log_key_by(|keys| self.flat.at_keys(keys.iter().copied()).map(Cow::Owned))
    }

    /// Every rule of `ep`, as [`validate`](super::validate) checks them.
    pub fn check(&self, ep: &Endpoint) -> Result<()> {
        check_rules(ep, |field| self.flat.at(field).map(Cow::<Json>::Owned))
    }
}

#[cfg(test)]
mod tests;
