//! What the log writer needs to know about the process: whether it is a
//! forked child (`platform::fork_generation`), whether it is exiting (an `atexit` handler flushes every
//! log and stops its writer), and which logs are live. And a lock that
//! tells its holder's generation, so that one held at a `fork` by a thread
//! the child does not have is not waited for.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use super::sink::Sink;

static EXITING: AtomicBool = AtomicBool::new(false);
static HOOKED: AtomicBool = AtomicBool::new(false);

/// Which process this is: 0, plus one per `fork` since the hooks were set.
pub fn generation() -> u32 {
    crate::platform::fork_generation()
}

/// Whether the `atexit` handler ran: no writer thread is started after it.
pub fn exiting() -> bool {
    EXITING.load(Ordering::SeqCst)
}

/// Sets the `fork` and `atexit` hooks, once per process, before the first
/// writer thread starts. Registered from the library, they run when the
/// library is unloaded too (glibc runs a shared object's `atexit`
/// handlers at `dlclose`, MinGW a DLL's at `FreeLibrary`) and are removed
/// with it.
pub fn hook() {
    if HOOKED.swap(true, Ordering::SeqCst) {
        return;
    }
    crate::platform::count_forks();
    #[cfg(unix)]
    // SAFETY: registers a plain `extern "C"` function of this library.
    unsafe {
        libc::atexit(at_exit);
    }
    #[cfg(windows)]
    {
        unsafe extern "C" {
            fn atexit(f: extern "C" fn()) -> i32;
        }
        // SAFETY: the C runtime's atexit; a DLL's list runs at its unload.
        unsafe { atexit(at_exit) };
    }
}

/// At exit (or unload): every live log written out and its writer stopped;
/// lines logged after this (by a host's own `atexit` handler) are written
/// by the calling thread.
extern "C" fn at_exit() {
    EXITING.store(true, Ordering::SeqCst);
    // Nothing may unwind out of an `extern "C"` function.
    let _ = std::panic::catch_unwind(|| {
        for sink in live() {
            sink.stop();
        }
    });
}

/// The live logs, for `at_exit` and `flush_all`.
static REGISTRY: Registry = Registry {
    lock: GenLock::new(),
    sinks: UnsafeCell::new(Vec::new()),
};

struct Registry {
    lock: GenLock,
    sinks: UnsafeCell<Vec<Weak<Sink>>>,
}

// SAFETY: `sinks` is touched only while `lock` is held by this process.
unsafe impl Sync for Registry {}

/// How long a registry user waits for another thread holding it (for
/// nanoseconds, unless it was killed at exit on Windows).
const REGISTRY_WAIT: Duration = Duration::from_secs(1);

pub fn register(sink: &Arc<Sink>) {
    if let Some(_held) = REGISTRY.lock.wait_for(REGISTRY_WAIT) {
        // SAFETY: the lock is held.
        let sinks = unsafe { &mut *REGISTRY.sinks.get() };
        sinks.retain(|s| s.strong_count() > 0);
        sinks.push(Arc::downgrade(sink));
    }
}

pub fn live() -> Vec<Arc<Sink>> {
    match REGISTRY.lock.wait_for(REGISTRY_WAIT) {
        // SAFETY: the lock is held.
        Some(_held) => unsafe { &*REGISTRY.sinks.get() }
            .iter()
            .filter_map(Weak::upgrade)
            .collect(),
        None => Vec::new(),
    }
}

/// A spin lock whose word names its holder: `generation << 32 | ticket <<
/// 1 | 1` (0: free). A word of another generation was held when this
/// process was forked, by a thread this process does not have: it is free.
pub struct GenLock {
    word: AtomicU64,
}

pub struct Held<'a> {
    lock: &'a GenLock,
    word: u64,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        // Not if it was taken over meanwhile (`take_over_after`).
        let _ = self
            .lock
            .word
            .compare_exchange(self.word, 0, Ordering::Release, Ordering::Relaxed);
    }
}

impl GenLock {
    pub const fn new() -> GenLock {
        GenLock {
            word: AtomicU64::new(0),
        }
    }

    /// Takes the lock, waiting at most `wait` for a holder of this process.
    pub fn wait_for(&self, wait: Duration) -> Option<Held<'_>> {
        self.acquire(wait, false)
    }

    /// Takes the lock, waiting at most `wait` for a holder of this
    /// process and then taking it over: for a lock that guards no memory,
    /// only the order of writes (a holder that long is stuck on the disk,
    /// or was ended by Windows at process exit).
    pub fn take_over_after(&self, wait: Duration) -> Held<'_> {
        loop {
            if let Some(held) = self.acquire(wait, true) {
                return held;
            }
        }
    }

    fn acquire(&self, wait: Duration, take_over: bool) -> Option<Held<'_>> {
        static TICKETS: AtomicU32 = AtomicU32::new(0);
        let generation = generation();
        let ticket = TICKETS.fetch_add(1, Ordering::Relaxed) & 0x7FFF_FFFF;
        let mine = (u64::from(generation) << 32) | (u64::from(ticket) << 1) | 1;
        let mut since: Option<Instant> = None;
        let mut spins = 0u32;
        loop {
            let word = self.word.load(Ordering::Relaxed);
            let free = word == 0 || (word >> 32) as u32 != generation;
            let waited = since.is_some_and(|s| s.elapsed() >= wait);
            if free || (waited && take_over) {
                if self
                    .word
                    .compare_exchange(word, mine, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
                {
                    return Some(Held {
                        lock: self,
                        word: mine,
                    });
                }
                continue;
            }
            if waited {
                return None;
            }
            if spins < 100 {
                spins += 1;
                std::hint::spin_loop();
            } else {
                since.get_or_insert_with(Instant::now);
                std::thread::sleep(Duration::from_micros(100));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_is_waited_for_then_given_up_or_taken_over() {
        let lock = GenLock::new();
        let first = lock.wait_for(Duration::ZERO).expect("free");
        assert!(lock.wait_for(Duration::from_millis(5)).is_none());
        let second = lock.take_over_after(Duration::from_millis(5));
        // The first holder's release leaves the second's hold alone.
        drop(first);
        assert!(lock.wait_for(Duration::from_millis(5)).is_none());
        drop(second);
        assert!(lock.wait_for(Duration::ZERO).is_some());
    }

    #[test]
    fn a_lock_held_before_a_fork_is_free_in_the_child() {
        let lock = GenLock::new();
        // As the child sees a lock its parent's thread held at the fork.
        lock.word.store(
            (u64::from(generation().wrapping_add(1)) << 32) | 1,
            Ordering::Relaxed,
        );
        assert!(lock.wait_for(Duration::ZERO).is_some());
    }
}
