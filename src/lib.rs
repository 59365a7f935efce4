//! ywx: the 医网信 (51trust) in-hospital mobile-signature gateway, called
//! synchronously through flat C functions, JSON in and JSON out.
//!
//! The C ABI is [`ffi`] (and `include/ywx.h`); [`api`] is the same in Rust
//! terms, for the `ywx` command. Calls flow one way:
//! `ffi` → `api` (dispatch over [`methods`], whose own handlers — digest,
//! waits, outbox, local verification — live beside the table) →
//! `gateway` → `request` (`rules`) and `outbox` → `reply` (the gateway's
//! answer) → `transport` (HTTP); `verify` (local verification) is a leaf
//! that `methods` and `gateway` call.

pub mod api;
mod attach;
mod client;
mod clock;
pub mod codes;
pub mod config;
pub mod consts;
pub mod digest;
mod encoding;
mod endpoints;
pub mod error;
pub mod ffi;
mod files;
mod gateway;
mod json;
mod log;
pub mod methods;
mod outbox;
mod platform;
mod readfile;
mod reply;
mod request;
mod rules;
#[cfg(test)]
mod testing;
mod transport;
mod value;
mod verify;

pub use api::{VERSION, call, init, shutdown};

/// Writes the log lines still queued now. Lines are written by a thread
/// of the log's own within 200 ms, and at `ywx_shutdown`, `ywx_init`,
/// exit and unload; this is for a program that reads the log meanwhile.
pub fn flush_logs() {
    log::flush_all();
}
