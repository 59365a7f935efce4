//! The transport's agents: several, so that threads calling at once do
//! not queue on one connection pool, sharing one connector.

use std::sync::Arc;

use ureq::unversioned::transport::{ConnectionDetails, Connector};

/// How many agents (each with its own connection pool) a transport has.
///
/// ureq's pool is one `Mutex`, and it probes a pooled connection (three
/// system calls on TCP) while holding it: threads calling at the same time
/// queued there and slept on it (`strace -f -c`: about 3 futex calls per
/// call at 2 threads). Each thread uses one agent (`slot`), so up to this
/// many threads calling at once never meet on a lock.
pub const AGENTS: usize = 8;

// The slots are the bits of one `AtomicU32`.
const _: () = assert!(AGENTS <= 32);

/// Which agent a thread uses: the lowest slot no living thread holds,
/// taken at its first call and given back when it ends, so that threads
/// alive at the same time (up to [`AGENTS`]) never share one, however many
/// come and go (a .NET thread pool, say). Beyond that, in turn.
pub mod slot {
    use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

    use super::AGENTS;

    /// Bit n set: slot n is held by a living thread.
    static HELD: AtomicU32 = AtomicU32::new(0);
    /// For threads beyond [`AGENTS`].
    static NEXT: AtomicUsize = AtomicUsize::new(0);

    struct Slot {
        index: usize,
        held: bool,
    }

    impl Drop for Slot {
        fn drop(&mut self) {
            if self.held {
                HELD.fetch_and(!(1 << self.index), Ordering::AcqRel);
            }
        }
    }

    fn take() -> Slot {
        let mut held = HELD.load(Ordering::Acquire);
        loop {
            let free = (!held).trailing_zeros() as usize;
            if free >= AGENTS {
                let index = NEXT.fetch_add(1, Ordering::Relaxed) % AGENTS;
                return Slot { index, held: false };
            }
            match HELD.compare_exchange_weak(
                held,
                held | 1 << free,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    return Slot {
                        index: free,
                        held: true,
                    };
                }
                Err(now) => held = now,
            }
        }
    }

    thread_local! {
        static SLOT: Slot = take();
    }

    /// The calling thread's slot, below [`AGENTS`]; 0 during its teardown
    /// (a call from a thread-local destructor).
    pub fn of_this_thread() -> usize {
        SLOT.try_with(|s| s.index).unwrap_or(0)
    }
}

/// A connector used by several agents.
#[derive(Debug)]
pub struct SharedConnector<C>(pub Arc<C>);

impl<C> Clone for SharedConnector<C> {
    fn clone(&self) -> Self {
        SharedConnector(self.0.clone())
    }
}

impl<C: Connector> Connector for SharedConnector<C> {
    type Out = C::Out;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<()>,
    ) -> std::result::Result<Option<C::Out>, ureq::Error> {
        self.0.connect(details, chained)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::transport::Transport;
    use ureq::Agent;

    /// Threads calling at once each have an agent (and so a connection
    /// pool) of their own, up to [`AGENTS`] threads.
    #[test]
    fn threads_calling_at_once_do_not_share_a_pool() {
        let config = Config::parse(
            r#"{"baseUrl":"http://127.0.0.1:9","clientId":"1","clientSecret":"2"}"#,
            None,
        )
        .unwrap();
        let transport = Transport::new(&config, Default::default()).unwrap();
        let barrier = std::sync::Barrier::new(AGENTS);
        let mut agents: Vec<usize> = std::thread::scope(|s| {
            let spawned: Vec<_> = (0..AGENTS)
                .map(|_| {
                    s.spawn(|| {
                        // All alive at once, as callers would be.
                        barrier.wait();
                        let agent: *const Agent = transport.agent();
                        barrier.wait();
                        assert_eq!(agent, transport.agent(), "a thread keeps its agent");
                        agent as usize
                    })
                })
                .collect();
            spawned.into_iter().map(|t| t.join().unwrap()).collect()
        });
        agents.sort();
        agents.dedup();
        assert_eq!(
            agents.len(),
            AGENTS,
            "threads that call at once share a pool"
        );

        // Their slots are free again: a new thread takes the first.
        let first = std::thread::scope(|s| s.spawn(slot::of_this_thread).join().unwrap());
        assert_eq!(first, 0, "an ended thread's slot is given back");
    }
}
