//! ywx: the 医网信 (51trust) in-hospital mobile-signature gateway, called
//! synchronously through flat C functions, JSON in and JSON out.
//!
//! The C ABI is [`ffi`] (and `include/ywx.h`); [`api`] is the same in Rust
//! terms, for the `ywx` command. Calls flow one way:
//! `ffi` → `api` (dispatch over `methods`) → `gateway` / `wait` / `local`
//! → `request` (`rules`) → `outbox` → `transport`.

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
mod local;
mod log;
pub mod methods;
mod outbox;
mod platform;
mod readfile;
mod request;
mod rules;
mod transport;
mod value;
mod wait;

pub use api::{VERSION, call, init, shutdown};

/// Writes the log lines still queued now. Lines are written by a thread
/// of the log's own within 200 ms, and at `ywx_shutdown`, `ywx_init`,
/// exit and unload; this is for a program that reads the log meanwhile.
pub fn flush_logs() {
    log::flush_all();
}

#[cfg(test)]
mod header {
    /// CI fails when the committed header is not what build.rs generates
    /// (build.rs refreshes it on developers' machines, never under CI=true).
    #[test]
    fn committed_header_is_current() {
        let generated = include_str!(concat!(env!("OUT_DIR"), "/ywx.h"));
        let committed = include_str!("../include/ywx.h");
        assert!(
            generated == committed,
            "include/ywx.h is stale: run `cargo build` outside CI and commit include/ywx.h"
        );
    }
}
