//! One log directory's lines on their way to disk: queued by the calling
//! threads (lock-free, `queue.rs`), written in batches by a thread of its
//! own, started on the first line (again in a forked child), woken when
//! lines arrive after a quiet spell and writing them at most `PERIOD`
//! later. Stopped (`ywx_shutdown`, `ywx_init`, exit), a sink writes each
//! line on the calling thread, as the library did before.
//!
//! Every batch is taken and written under `lock`, by the writer thread or
//! by whoever flushes: when a flush returns, every line queued before it
//! is in the file.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::thread::Thread;
use std::time::{Duration, Instant};

use super::process::{self, GenLock};
use super::queue::{Pushed, Queue};
use super::thread::{self as native, Native};

/// How long a line waits at most before the writer writes it (a killed
/// process loses at most this much).
const PERIOD: Duration = Duration::from_millis(200);
/// Lines queued at most; beyond, lines are dropped and counted.
const CAP: usize = 100_000;
/// Lines after which the writer does not wait for `PERIOD` to pass.
const HURRY: usize = 8192;
/// How long `stop` waits for the writer's last batch.
const STOP_WAIT: Duration = Duration::from_millis(500);
/// How long a flush waits for a batch being written before writing its
/// own beside it.
const PATIENCE: Duration = Duration::from_secs(1);

// The phases of `state` (its low byte; the generation above it).
const IDLE: u64 = 0;
const STARTING: u64 = 1;
const RUNNING: u64 = 2;
/// Stopped for good, or no thread could be made: lines are written by the
/// calling thread.
const SYNC: u64 = 3;

fn state(generation: u32, phase: u64) -> u64 {
    (u64::from(generation) << 8) | phase
}

pub struct Sink {
    dir: PathBuf,
    queue: Queue,
    /// Lines dropped because the queue was full, not yet reported.
    dropped: AtomicU64,
    state: AtomicU64,
    lock: GenLock,
    /// The writer thread's handle (boxed), for waking it; set by the writer.
    waker: AtomicPtr<Thread>,
    /// The writer thread, with the generation it belongs to (`handle_of`).
    handle: AtomicUsize,
    handle_of: AtomicU64,
    /// One more than the generation of the writer that finished last.
    finished: AtomicU64,
}

impl Sink {
    pub fn new(dir: PathBuf) -> Sink {
        Sink {
            dir,
            queue: Queue::new(),
            dropped: AtomicU64::new(0),
            state: AtomicU64::new(state(process::generation(), IDLE)),
            lock: GenLock::new(),
            waker: AtomicPtr::new(std::ptr::null_mut()),
            handle: AtomicUsize::new(0),
            handle_of: AtomicU64::new(0),
            finished: AtomicU64::new(0),
        }
    }

    /// Queues a line (ending in '\n', starting with its date) for the
    /// writer; never waits for the disk, unless the sink is stopped.
    pub fn push(self: &Arc<Self>, line: String) {
        let generation = process::generation();
        let now = self.state.load(Ordering::SeqCst);
        if now & 0xFF != SYNC && (now >> 8 != u64::from(generation) || now & 0xFF == IDLE) {
            self.start(now, generation);
        }
        match self.queue.push(line, generation, CAP) {
            Pushed::Full => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                return;
            }
            Pushed::First => self.wake(),
            Pushed::Behind(n) if n == HURRY => self.wake(),
            Pushed::Behind(_) => {}
        }
        // Stopped meanwhile (or never started): the writer may not see
        // this line; write it here.
        if self.state.load(Ordering::SeqCst) & 0xFF == SYNC {
            self.flush();
        }
    }

    /// Writes every queued line now, on the calling thread.
    pub fn flush(&self) {
        self.write_queued(None);
    }

    /// Stops the writer thread (waiting for its last batch, at most
    /// `STOP_WAIT`) and writes what is left; later lines are written by
    /// the calling thread.
    pub fn stop(&self) {
        let generation = process::generation();
        let before = self.state.swap(state(generation, SYNC), Ordering::SeqCst);
        self.wake();
        let ours = before >> 8 == u64::from(generation);
        if ours && matches!(before & 0xFF, STARTING | RUNNING) {
            // A thread being started publishes its handle right after.
            let deadline = Instant::now() + STOP_WAIT;
            while self.handle_of.load(Ordering::Acquire) != u64::from(generation) + 1
                && Instant::now() < deadline
            {
                std::thread::sleep(Duration::from_micros(100));
            }
            if self.handle_of.swap(0, Ordering::AcqRel) == u64::from(generation) + 1 {
                let thread = Native(self.handle.load(Ordering::Acquire));
                let done = u64::from(generation) + 1;
                native::end(thread, STOP_WAIT, || {
                    self.finished.load(Ordering::Acquire) == done
                });
            }
        }
        self.flush();
    }

    /// Starts the writer thread for this generation (one caller wins).
    fn start(self: &Arc<Self>, seen: u64, generation: u32) {
        let starting = state(generation, STARTING);
        if self
            .state
            .compare_exchange(seen, starting, Ordering::SeqCst, Ordering::Relaxed)
            .is_err()
        {
            return;
        }
        let thread = if process::exiting() {
            None
        } else {
            process::hook();
            let sink = self.clone();
            native::spawn(Box::new(move || sink.run(generation)))
        };
        match thread {
            Some(t) => {
                self.handle.store(t.0, Ordering::Release);
                self.handle_of
                    .store(u64::from(generation) + 1, Ordering::Release);
                let _ = self.state.compare_exchange(
                    starting,
                    state(generation, RUNNING),
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                );
            }
            None => {
                self.state.store(state(generation, SYNC), Ordering::SeqCst);
            }
        }
    }

    fn wake(&self) {
        // SAFETY: a published handle is freed only with the sink.
        if let Some(thread) = unsafe { self.waker.load(Ordering::SeqCst).as_ref() } {
            thread.unpark();
        }
    }

    fn running(&self, generation: u32) -> bool {
        let now = self.state.load(Ordering::SeqCst);
        now >> 8 == u64::from(generation) && matches!(now & 0xFF, STARTING | RUNNING)
    }

    /// The writer thread.
    fn run(&self, generation: u32) {
        let me = Box::into_raw(Box::new(std::thread::current()));
        // The handle this replaces (a writer's of the parent process, in a
        // forked child) is left, not freed: a thread may be reading it.
        self.waker.swap(me, Ordering::SeqCst);
        let mut open = Open::default();
        while self.running(generation) {
            if self.queue.is_empty() {
                std::thread::park();
                continue;
            }
            let until = Instant::now() + PERIOD;
            while self.running(generation) && self.queue.len() < HURRY {
                let left = until.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                std::thread::park_timeout(left);
            }
            self.write_queued(Some(&mut open));
        }
        self.write_queued(Some(&mut open));
        drop(open);
        self.finished
            .store(u64::from(generation) + 1, Ordering::Release);
    }

    /// Takes the queued lines of this generation and appends them to their
    /// day's file (through `open`, the writer's cached file, or a file
    /// opened for this batch).
    fn write_queued(&self, open: Option<&mut Open>) {
        // At exit on Windows, a holder may have been ended already.
        let patience = if process::exiting() {
            PATIENCE / 10
        } else {
            PATIENCE
        };
        let _held = self.lock.take_over_after(patience);
        let lines = self.queue.take(process::generation());
        let dropped = self.dropped.swap(0, Ordering::Relaxed);
        if lines.is_empty() && dropped == 0 {
            return;
        }
        let mut own = Open::default();
        let open = open.unwrap_or(&mut own);
        let mut batch: Vec<u8> = Vec::with_capacity(lines.iter().map(String::len).sum());
        let mut day = String::new();
        for line in &lines {
            let of = line.get(..10).unwrap_or("");
            if of != day {
                open.append(&self.dir, &day, &batch);
                batch.clear();
                day = of.to_string();
            }
            batch.extend_from_slice(line.as_bytes());
        }
        if dropped > 0 {
            let mut note = String::new();
            crate::clock::stamp(&mut note);
            let of = note[..10].to_string();
            note.push_str(&format!(
                " WARN 日志写入跟不上调用，丢弃了 {dropped} 行（队列上限 {CAP} 行）\n"
            ));
            if of != day {
                open.append(&self.dir, &day, &batch);
                batch.clear();
                day = of;
            }
            batch.extend_from_slice(note.as_bytes());
        }
        open.append(&self.dir, &day, &batch);
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let waker = *self.waker.get_mut();
        if !waker.is_null() {
            // SAFETY: made by `run` with Box::into_raw; no thread is left
            // that could read it (the sink is being dropped).
            drop(unsafe { Box::from_raw(waker) });
        }
    }
}

/// The file of one day, kept open between batches by the writer thread.
#[derive(Default)]
struct Open {
    day: String,
    file: Option<File>,
}

impl Open {
    /// Appends `bytes` to `dir/ywx-{day}.log`; a log that cannot be written
    /// never fails a call: the bytes are dropped.
    fn append(&mut self, dir: &std::path::Path, day: &str, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if self.file.is_none() || self.day != day {
            let _ = std::fs::create_dir_all(dir);
            let mut options = OpenOptions::new();
            options.create(true).append(true);
            // Readable by the owner only: the log names orders and doctors.
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            self.file = options.open(dir.join(format!("ywx-{day}.log"))).ok();
            self.day = day.to_string();
        }
        if let Some(file) = self.file.as_mut()
            && file.write_all(bytes).is_err()
        {
            // Reopened for the next batch (the disk may come back).
            self.file = None;
        }
    }
}
