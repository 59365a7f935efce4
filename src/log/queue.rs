//! The lines waiting for the writer: a lock-free stack that calling
//! threads push onto (one compare-and-swap) and the writer takes whole
//! (one swap), reversing it into the order the lines were pushed in.
//! Taking everything at once is what makes a plain Treiber stack safe here:
//! no node is ever popped alone, so no node is read after another thread
//! freed it (no ABA).

use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

struct Node {
    next: *mut Node,
    /// The process generation (`process::generation`) that pushed it: a
    /// forked child drops what its parent left queued (the parent writes it).
    generation: u32,
    line: String,
}

pub struct Queue {
    head: AtomicPtr<Node>,
    len: AtomicUsize,
}

/// What became of a pushed line.
pub enum Pushed {
    /// Queued, and the queue was empty: the writer may be asleep.
    First,
    /// Queued behind this many lines.
    Behind(usize),
    /// Not queued: the queue holds `cap` lines already.
    Full,
}

impl Queue {
    pub const fn new() -> Queue {
        Queue {
            head: AtomicPtr::new(ptr::null_mut()),
            len: AtomicUsize::new(0),
        }
    }

    /// Queues `line` unless `cap` lines are waiting.
    pub fn push(&self, line: String, generation: u32, cap: usize) -> Pushed {
        let before = self.len.fetch_add(1, Ordering::Relaxed);
        if before >= cap {
            self.len.fetch_sub(1, Ordering::Relaxed);
            return Pushed::Full;
        }
        let node = Box::into_raw(Box::new(Node {
            next: ptr::null_mut(),
            generation,
            line,
        }));
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            // SAFETY: `node` is ours until the exchange below publishes it.
            unsafe { (*node).next = head };
            match self
                .head
                .compare_exchange_weak(head, node, Ordering::SeqCst, Ordering::Relaxed)
            {
                Ok(_) if head.is_null() => return Pushed::First,
                Ok(_) => return Pushed::Behind(before),
                Err(now) => head = now,
            }
        }
    }

    /// Takes every queued line of `generation`, oldest first; lines of
    /// other generations are dropped.
    pub fn take(&self, generation: u32) -> Vec<String> {
        let mut node = self.head.swap(ptr::null_mut(), Ordering::SeqCst);
        let mut lines = Vec::new();
        let mut taken = 0;
        while !node.is_null() {
            // SAFETY: the swap made this list ours alone; each node was
            // made by `Box::into_raw` in `push` and is freed once, here.
            let n = unsafe { Box::from_raw(node) };
            node = n.next;
            taken += 1;
            if n.generation == generation {
                lines.push(n.line);
            }
        }
        self.len.fetch_sub(taken, Ordering::Relaxed);
        lines.reverse();
        lines
    }

    pub fn is_empty(&self) -> bool {
        self.head.load(Ordering::SeqCst).is_null()
    }

    /// About how many lines wait (exact when no push is under way).
    pub fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }
}

impl Drop for Queue {
    fn drop(&mut self) {
        let _ = self.take(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_come_out_in_order_and_other_generations_are_dropped() {
        let q = Queue::new();
        assert!(matches!(q.push("a".into(), 1, 10), Pushed::First));
        assert!(matches!(q.push("b".into(), 1, 10), Pushed::Behind(1)));
        assert!(matches!(q.push("parent".into(), 0, 10), Pushed::Behind(2)));
        assert!(matches!(q.push("c".into(), 1, 10), Pushed::Behind(3)));
        assert_eq!(q.len(), 4);
        assert_eq!(q.take(1), ["a", "b", "c"]);
        assert!(q.is_empty());
        assert_eq!(q.len(), 0);
    }

    #[test]
    fn a_full_queue_refuses_lines() {
        let q = Queue::new();
        for i in 0..3 {
            assert!(!matches!(q.push(i.to_string(), 0, 3), Pushed::Full));
        }
        assert!(matches!(q.push("3".into(), 0, 3), Pushed::Full));
        assert_eq!(q.take(0), ["0", "1", "2"]);
        assert!(matches!(q.push("4".into(), 0, 3), Pushed::First));
    }

    #[test]
    fn threads_pushing_at_once_lose_nothing() {
        let q = std::sync::Arc::new(Queue::new());
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let q = q.clone();
                std::thread::spawn(move || {
                    for i in 0..5000 {
                        q.push(format!("{t}-{i}"), 7, usize::MAX);
                    }
                })
            })
            .collect();
        let mut got = Vec::new();
        while got.len() < 20_000 {
            got.extend(q.take(7));
            if threads.iter().all(|t| t.is_finished()) {
                got.extend(q.take(7));
                break;
            }
        }
        for t in threads {
            t.join().unwrap();
        }
        got.extend(q.take(7));
        assert_eq!(got.len(), 20_000);
        // Each thread's lines in the order it pushed them.
        for t in 0..4 {
            let mine: Vec<usize> = got
                .iter()
                .filter_map(|l| l.strip_prefix(&format!("{t}-")))
                .map(|n| n.parse().unwrap())
                .collect();
            assert_eq!(mine, (0..5000).collect::<Vec<_>>());
        }
    }
}
