//! The background delivery thread (config `outbox.background`). It looks at
//! the file at once, resuming what a killed process left queued, then every
//! `retryIntervalMs`, backing off to a minute while the gateway stays
//! unreachable; a successful call wakes it early.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::Shared;
use crate::platform;
use crate::transport::Transport;

/// Longest pause between two delivery passes while the gateway stays
/// unreachable.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// How long `stop` waits for a pass in progress before leaving the thread
/// to finish on its own (its item stays leased, and is reconciled later).
const STOP_WAIT: Duration = Duration::from_millis(800);

thread_local! {
    /// Set on the delivery thread. A `const` thread-local without a
    /// destructor: readable at any time, also while a host program's
    /// thread-locals are being destroyed (`std::thread::current()` is not).
    static ON_WORKER: Cell<bool> = const { Cell::new(false) };
}

pub struct Worker {
    signal: Arc<Signal>,
    thread: JoinHandle<()>,
    /// Set by the thread as it ends (on Windows it ends through
    /// `FreeLibraryAndExitThread`, which std's `is_finished` cannot see).
    ended: Arc<AtomicBool>,
}

#[derive(Default)]
struct Flags {
    /// The thread must end.
    stop: bool,
    /// Look at the file now rather than at the next interval.
    wake: bool,
}

#[derive(Default)]
struct Signal {
    flags: Mutex<Flags>,
    cond: Condvar,
}

impl Signal {
    fn set(&self, f: impl FnOnce(&mut Flags)) {
        let mut flags = self.flags.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut flags);
        self.cond.notify_all();
    }

    /// Sleeps until woken, stopped, or `delay` passed; false when stopped.
    fn sleep(&self, delay: Duration) -> bool {
        let mut flags = self.flags.lock().unwrap_or_else(|p| p.into_inner());
        let deadline = Instant::now() + delay;
        while !flags.stop && !flags.wake {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            flags = self
                .cond
                .wait_timeout(flags, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        flags.wake = false;
        !flags.stop
    }

    fn stopped(&self) -> bool {
        self.flags.lock().unwrap_or_else(|p| p.into_inner()).stop
    }
}

impl Worker {
    /// Starts the thread. On Windows it holds a reference to ywx.dll while
    /// it runs, so that a host's `FreeLibrary` (with or without
    /// `ywx_shutdown`) never unloads the code it runs.
    pub fn start(shared: Arc<Shared>) -> Option<Worker> {
        let signal = Arc::new(Signal::default());
        let ended = Arc::new(AtomicBool::new(false));
        let (thread_signal, thread_ended) = (signal.clone(), ended.clone());
        // Taken before the thread exists, so that no FreeLibrary comes in
        // between; given back by the thread as it ends, or dropped with the
        // closure if the thread cannot start.
        let pin = platform::pin_library();
        let thread = std::thread::Builder::new()
            .name("ywx-outbox".into())
            .spawn(move || {
                ON_WORKER.set(true);
                run(&shared, &thread_signal);
                drop((shared, thread_signal));
                thread_ended.store(true, Ordering::SeqCst);
                platform::end_thread(pin);
            })
            .ok()?;
        Some(Worker {
            signal,
            thread,
            ended,
        })
    }

    pub fn wake(&self) {
        self.signal.set(|f| f.wake = true);
    }

    /// Stops the thread: its request in flight on `background` (the
    /// thread's own transport) is interrupted; waits at most `STOP_WAIT`.
    pub fn stop(self, background: &Transport) {
        self.signal.set(|f| f.stop = true);
        background.abort();
        if ON_WORKER.try_with(Cell::get).unwrap_or(false) {
            // Stopped from its own pass: it ends when the pass returns.
            return;
        }
        let deadline = Instant::now() + STOP_WAIT;
        while !self.ended.load(Ordering::SeqCst) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        // Joined only where it ends as std threads do (not through
        // FreeLibraryAndExitThread); else it is left to end on its own.
        if self.thread.is_finished() {
            let _ = self.thread.join();
        }
    }
}

fn run(shared: &Shared, signal: &Signal) {
    let mut delay = Duration::ZERO;
    while signal.sleep(delay) {
        let interval = shared.retry_interval();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            shared.pass(None, false, usize::MAX, &shared.sender.background)
        }));
        if signal.stopped() {
            return;
        }
        // Backoff while unreachable: doubling, at most 12 intervals or a minute.
        let longest = (interval * 12).min(MAX_BACKOFF).max(interval);
        delay = match result {
            Ok(Ok(pass)) if pass.unreachable.is_some() => (delay * 2).clamp(interval, longest),
            _ => interval,
        };
    }
}
