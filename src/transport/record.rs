//! How far an exchange got: the bytes this thread wrote to and read from
//! the gateway's connection during it. A failure is then told apart: a
//! request cut off while it was being written (the gateway cannot have
//! acted on it) from one whose answer was lost (it may have).
//!
//! The counters sit in the last link of ureq's connector chain, after TLS,
//! so they count the HTTP bytes. ureq does all I/O of a call on the calling
//! thread, so per-thread counters need no lock.

use std::cell::{Cell, RefCell};

use ureq::Timeout;
use ureq::unversioned::transport::time::Duration as TimeoutDuration;
use ureq::unversioned::transport::{Buffers, ConnectionDetails, Connector, NextTimeout, Transport};

thread_local! {
    /// (bytes written, bytes read, connections made) on this thread, ever.
    /// No destructor: it stays readable during thread teardown.
    static IO: Cell<(u64, u64, u64)> = const { Cell::new((0, 0, 0)) };
}

thread_local! {
    /// Run right before the next request of this thread is written.
    static BEFORE_SEND: RefCell<Option<Hook>> = const { RefCell::new(None) };
}

/// What runs right before a request is written; false: do not send it.
pub type Hook = Box<dyn FnOnce() -> bool>;

/// Why a request was not written: its [`Hook`] said so.
const HELD_BACK: &str = "ywx: request held back before it was written";

/// A hook armed for the requests of this thread until dropped.
pub struct BeforeSend(());

impl BeforeSend {
    /// Arms `hook`: it runs once, right before the first byte of the next
    /// request made on this thread is written — after the connection (and
    /// TLS) is up, and not at all when none could be made.
    pub fn arm(hook: Hook) -> BeforeSend {
        let _ = BEFORE_SEND.try_with(|h| *h.borrow_mut() = Some(hook));
        BeforeSend(())
    }
}

impl Drop for BeforeSend {
    fn drop(&mut self) {
        let _ = BEFORE_SEND.try_with(|h| h.borrow_mut().take());
    }
}

/// Runs the armed hook, if any: whether to write.
fn fire() -> bool {
    let hook = BEFORE_SEND
        .try_with(|h| h.borrow_mut().take())
        .ok()
        .flatten();
    hook.is_none_or(|h| h())
}

fn counters() -> (u64, u64, u64) {
    IO.try_with(Cell::get).unwrap_or((0, 0, 0))
}

fn add(written: u64, read: u64, connected: u64) {
    let _ = IO.try_with(|c| {
        let (w, r, n) = c.get();
        c.set((
            w.wrapping_add(written),
            r.wrapping_add(read),
            n.wrapping_add(connected),
        ));
    });
}

/// The counters when an exchange started.
pub struct Sent((u64, u64, u64));

/// What an exchange wrote and read.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub written: u64,
    pub read: u64,
    /// The request body's length.
    pub body: u64,
    /// It ran on a connection taken from the pool, not one made for it.
    pub pooled: bool,
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

    pub fn finish(&self, body: u64) -> Progress {
        let (w, r, n) = counters();
        Progress {
            written: w.wrapping_sub(self.0.0),
            read: r.wrapping_sub(self.0.1),
            body,
            pooled: n == self.0.2,
        }
    }
}

/// Socket timeouts are set in steps of this much: ureq hands each I/O the
/// time left of its phase, which differs by microseconds from call to call,
/// and its TCP transport sets the socket option whenever it differs. Rounded
/// up to a step, it stays the same from one call to the next (no system
/// call); a deadline may then be overrun by at most one step.
const TIMEOUT_STEP_MS: u64 = 10;

fn steady(mut timeout: NextTimeout) -> NextTimeout {
    if let TimeoutDuration::Exact(left) = timeout.after {
        // Whole milliseconds in 64 bits (`as_millis` is 128: a division
        // by a library call, on every I/O).
        let ms = left
            .as_secs()
            .saturating_mul(1000)
            .saturating_add(u64::from(left.subsec_millis()));
        let ms = ms.div_ceil(TIMEOUT_STEP_MS).saturating_mul(TIMEOUT_STEP_MS);
        timeout.after = TimeoutDuration::Exact(std::time::Duration::from_millis(ms));
    }
    timeout
}

/// The last link of the connector chain: counts what passes, and writes
/// each request in one write.
#[derive(Debug)]
pub struct Recorder;

impl Connector<Box<dyn Transport>> for Recorder {
    type Out = Recording;

    fn connect(
        &self,
        _: &ConnectionDetails,
        chained: Option<Box<dyn Transport>>,
    ) -> Result<Option<Recording>, ureq::Error> {
        if chained.is_some() {
            add(0, 0, 1);
        }
        Ok(chained.map(|inner| Recording {
            inner,
            head: Vec::new(),
            spill: Vec::new(),
            used: false,
        }))
    }
}

/// The final transport of a connection, wrapped.
///
/// ureq writes a request's head and then its body, each with a
/// `transmit_output` of its own: two `send`s, and on loopback the gateway
/// wakes twice. Here the head is held back (copied aside; ureq writes the
/// body where the head was) and goes out with the first piece of the body
/// in one write, or alone when the answer is awaited (a request without a
/// body).
#[derive(Debug)]
pub struct Recording {
    inner: Box<dyn Transport>,
    /// The request head, held until the body (or the wait for the answer).
    head: Vec<u8>,
    /// The end of a body piece that did not fit beside the head.
    spill: Vec<u8>,
    /// I/O happened since the pool last probed the connection.
    used: bool,
}

impl Recording {
    fn transmit(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        if !fire() {
            return Err(ureq::Error::Io(std::io::Error::other(HELD_BACK)));
        }
        self.inner.transmit_output(amount, timeout)?;
        add(amount as u64, 0, 0);
        Ok(())
    }

    /// Sends the held head alone (in pieces if it is larger than the
    /// output buffer).
    fn flush_head(&mut self, timeout: NextTimeout) -> Result<(), ureq::Error> {
        let mut head = std::mem::take(&mut self.head);
        let mut sent = Ok(());
        let mut at = 0;
        while at < head.len() && sent.is_ok() {
            let out = self.inner.buffers().output();
            let n = out.len().min(head.len() - at);
            out[..n].copy_from_slice(&head[at..at + n]);
            sent = self.transmit(n, timeout);
            at += n;
        }
        head.clear();
        self.head = head;
        sent
    }

    /// Sends the held head and the `amount` bytes ureq put at the start of
    /// the output buffer: in one write when both fit in the buffer.
    fn with_head(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        let h = self.head.len();
        let out = self.inner.buffers().output();
        let fits = out.len().saturating_sub(h).min(amount);
        let over = amount - fits;
        self.spill.clear();
        self.spill.extend_from_slice(&out[fits..amount]);
        out.copy_within(..fits, h);
        out[..h].copy_from_slice(&self.head);
        self.head.clear();
        self.transmit(h + fits, timeout)?;
        if over > 0 {
            self.inner.buffers().output()[..over].copy_from_slice(&self.spill);
            self.transmit(over, timeout)?;
        }
        Ok(())
    }
}

impl Transport for Recording {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.inner.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.used = true;
        let timeout = steady(timeout);
        if timeout.reason == Timeout::SendRequest {
            let out = self.inner.buffers().output();
            let room = out.len() / 2;
            self.head.extend_from_slice(&out[..amount]);
            if self.head.len() <= room {
                // Held, with room for the body beside it.
                return Ok(());
            }
            return self.flush_head(timeout);
        }
        if self.head.is_empty() {
            return self.transmit(amount, timeout);
        }
        self.with_head(amount, timeout)
    }

    fn maybe_await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.flush_head(steady(timeout))?;
        if self.inner.buffers().can_use_input() {
            return Ok(true);
        }
        self.await_input(timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.used = true;
        let timeout = steady(timeout);
        self.flush_head(timeout)?;
        let before = self.inner.buffers().input().len();
        let progress = self.inner.await_input(timeout)?;
        let after = self.inner.buffers().input().len();
        add(0, after.saturating_sub(before) as u64, 0);
        Ok(progress)
    }

    /// ureq probes a connection (three system calls on TCP) when it goes
    /// back to the pool and again when it is taken out. The first probe,
    /// right after the answer was read, is skipped: the second finds
    /// whatever the first would have (bytes after the answer, a close).
    fn is_open(&mut self) -> bool {
        if std::mem::take(&mut self.used) {
            return true;
        }
        self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Rounded up to the step as the 128-bit milliseconds would be.
    #[test]
    fn timeouts_are_rounded_up_to_the_step() {
        for left in [
            Duration::ZERO,
            Duration::from_nanos(1),
            Duration::from_micros(999),
            Duration::from_millis(10),
            Duration::from_micros(10_001),
            Duration::from_millis(29_999),
            Duration::from_secs(40) + Duration::from_nanos(999_999),
            Duration::from_secs(u64::from(u32::MAX)),
        ] {
            let timeout = NextTimeout {
                after: TimeoutDuration::Exact(left),
                ..NextTimeout::default()
            };
            let want = left.as_millis().div_ceil(10) * 10;
            let want = Duration::from_millis(u64::try_from(want).unwrap());
            assert_eq!(
                steady(timeout).after,
                TimeoutDuration::Exact(want),
                "{left:?}"
            );
        }
    }
}
