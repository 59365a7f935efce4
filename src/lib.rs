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
