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
mod platform;
pub mod request;
pub mod rules;
pub mod transport;

pub use api::{VERSION, call, init, shutdown};
