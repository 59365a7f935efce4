//! ywx: the 医网信 (51trust) in-hospital mobile-signature gateway, called
//! synchronously through flat C functions, JSON in and JSON out.
//!
//! The C ABI is in [`ffi`] (and `include/ywx.h`); [`api`] is the same in
//! Rust terms, for the `ywx` command and Rust callers.

pub mod api;
pub mod codes;
pub mod config;
pub mod consts;
pub mod digest;
pub mod encoding;
pub mod endpoints;
pub mod error;
pub mod ffi;
mod files;
mod log;
pub mod outbox;
mod platform;
pub mod request;
pub mod rules;
pub mod transport;

pub use api::{VERSION, call, init, shutdown};

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
