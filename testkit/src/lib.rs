//! What the tests, the C examples' harness, the demo and the benchmarks
//! share: the library through its C ABI, a simulator with the library
//! configured for it, temp directories, and compiling and running C
//! programs against the built library. One place, so that a change to how
//! tests are set up is made once.

mod abi;
mod blackhole;
mod child;
mod dirs;
mod fake;
mod programs;
mod proxy;
mod sim;

pub use abi::*;
pub use blackhole::*;
pub use child::*;
pub use dirs::*;
pub use fake::*;
pub use programs::*;
pub use proxy::*;
pub use sim::*;
