//! How far an exchange got: the bytes this thread wrote to and read from
//! the gateway's connection during it. A failure is then told apart: a
//! request cut off while it was being written (the gateway cannot have
//! acted on it) from one whose answer was lost (it may have).
//!
//! The counters sit in the last link of ureq's connector chain, after TLS,
//! so they count the HTTP bytes. ureq does all I/O of a call on the calling
//! thread, so per-thread counters need no lock.

use std::cell::Cell;

use ureq::unversioned::transport::{Buffers, ConnectionDetails, Connector, NextTimeout, Transport};

thread_local! {
    /// (bytes written, bytes read) on this thread, ever. No destructor: it
    /// stays readable during thread teardown.
    static IO: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
}

fn counters() -> (u64, u64) {
    IO.try_with(Cell::get).unwrap_or((0, 0))
}

fn add(written: u64, read: u64) {
    let _ = IO.try_with(|c| {
        let (w, r) = c.get();
        c.set((w.wrapping_add(written), r.wrapping_add(read)));
    });
}

/// The counters when an exchange started.
pub struct Sent((u64, u64));

/// What an exchange wrote and read.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub written: u64,
    pub read: u64,
    /// The request body's length.
    pub body: u64,
}

impl Progress {
    /// The connection ended before the request body was all written and
    /// before any answer came.
    pub fn cut_while_sending(&self) -> bool {
        self.read == 0 && self.body > 0 && self.written < self.body
    }
}

impl Sent {
    pub fn start() -> Sent {
        Sent(counters())
    }

    pub fn finish(&self, body: usize) -> Progress {
        let (w, r) = counters();
        Progress {
            written: w.wrapping_sub(self.0.0),
            read: r.wrapping_sub(self.0.1),
            body: body as u64,
        }
    }
}

/// The last link of the connector chain: counts what passes.
#[derive(Debug)]
pub struct Recorder;

impl Connector<Box<dyn Transport>> for Recorder {
    type Out = Recording;

    fn connect(
        &self,
        _: &ConnectionDetails,
        chained: Option<Box<dyn Transport>>,
    ) -> Result<Option<Recording>, ureq::Error> {
        Ok(chained.map(Recording))
    }
}

#[derive(Debug)]
pub struct Recording(Box<dyn Transport>);

impl Transport for Recording {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.0.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.0.transmit_output(amount, timeout)?;
        add(amount as u64, 0);
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        let before = self.0.buffers().input().len();
        let progress = self.0.await_input(timeout)?;
        let after = self.0.buffers().input().len();
        add(0, after.saturating_sub(before) as u64);
        Ok(progress)
    }

    fn is_open(&mut self) -> bool {
        self.0.is_open()
    }

    fn is_tls(&self) -> bool {
        self.0.is_tls()
    }
}
