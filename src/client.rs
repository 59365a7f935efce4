//! The configured library — config, transport, log, outbox — and which one
//! is in force: how `ywx_init` and `ywx_shutdown` change it.
//!
//! Lifecycle:
//! - Until the first `ywx_init` (and after `ywx_shutdown`), the config file
//!   is loaded on first use ([`session`]).
//! - `ywx_init` builds the new client first and then swaps it in, so a call
//!   on another thread runs on the old config or the new, never on none and
//!   never on the file's.
//! - A failed `ywx_init` leaves the library unconfigured: every later call
//!   answers NOT_CONFIGURED with that init's error, until one succeeds.
//! - After `fork` (Python multiprocessing, a pre-forking server), the
//!   child never uses its parent's client — its pooled connections, SQLite
//!   handle, delivery thread and log writer: its first call starts its own
//!   from the same config, and the parent's is left untouched.

use std::sync::{Arc, RwLock};

use serde_json::{Value, json};

use crate::clock::GatewayClock;
use crate::codes;
use crate::config::{self, Config, ConfigSource, Encoding};
use crate::endpoints;
use crate::error::{Error, Result};
use crate::log::{Level, Logger};
use crate::outbox::{Outbox, Sender};
use crate::transport::Transport;

/// The version, as `ywx_version` reports it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// A configured library.
pub struct Client {
    pub config: Config,
    source: ConfigSource,
    /// The side of the forks it was made on (`platform::fork_generation`).
    generation: u32,
    pub transport: Arc<Transport>,
    pub logger: Arc<Logger>,
    pub outbox: Outbox,
    /// The CA certificates of `verify.caFile`, for local verification.
    pub trust: crate::verify::Trust,
    /// Legal but dangerous settings, for `ywx_init`'s `data.warnings`.
    warnings: Vec<String>,
}

impl Client {
    /// A client for `config`: its outbox opened, its delivery thread started.
    fn start(config: Config, source: ConfigSource) -> Result<Arc<Client>> {
        let trust = crate::verify::Trust::load(config.verify.ca_file.as_deref())?;
        let clock = Arc::new(GatewayClock::default());
        let paths = || endpoints::ALL.iter().map(|e| e.path);
        let transport = Arc::new(Transport::new(&config, clock.clone())?.knowing(paths()));
        // The delivery thread's own, so that stopping it interrupts only it.
        let background = Arc::new(Transport::new(&config, clock.clone())?.knowing(paths()));
        let logger = Arc::new(Logger::new(
            config.log.dir.clone(),
            Level::parse(&config.log.level),
        ));
        let sender = Sender {
            transport: transport.clone(),
            background,
            config: config.clone(),
            logger: logger.clone(),
            clock,
            routes: endpoints::ALL
                .iter()
                .copied()
                .filter(|e| e.queue().is_some())
                .collect(),
            list: &endpoints::SIGN_LIST,
        };
        let outbox = Outbox::new(sender);
        let mut warnings = config.warnings();
        if let Some(w) = outbox.start() {
            warnings.push(format!(
                "{w}。在它修复之前，网关不通时签名推送会直接报错（YWX-4003，可能已送达时 YWX-4004）"
            ));
        }
        for w in &warnings {
            logger.warn(w);
        }
        Ok(Arc::new(Client {
            config,
            source,
            generation: crate::platform::fork_generation(),
            transport,
            logger,
            outbox,
            trust,
            warnings,
        }))
    }

    /// Stops background work and flushes the log.
    fn stop(&self) {
        self.outbox.stop();
        self.logger.stop();
    }

    /// Whether it was made in this process (not inherited through `fork`).
    fn ours(&self) -> bool {
        self.generation == crate::platform::fork_generation()
    }

    /// The effective config, secrets masked, as `ywx_init` answers it.
    fn describe(&self) -> Value {
        let mut data = self.config.masked();
        data["configFile"] = match &self.source {
            ConfigSource::File(p) => Value::String(p.display().to_string()),
            ConfigSource::Json => Value::Null,
        };
        data["version"] = Value::String(VERSION.into());
        data["warnings"] = json!(self.warnings);
        data
    }
}

/// Which client is in force.
enum State {
    /// No `ywx_init` yet, or `ywx_shutdown` since: the config file is
    /// loaded on first use.
    Implicit,
    Ready(Arc<Client>),
    /// The last `ywx_init` failed, with this error.
    Failed(Error),
}

static STATE: RwLock<State> = RwLock::new(State::Implicit);

/// What a call runs with: the client in force, or why there is none.
pub struct Session {
    client: Result<Arc<Client>>,
    /// The last `ywx_init` failed: no method runs, not even local ones.
    init_failed: bool,
}

impl Session {
    /// The client, or NOT_CONFIGURED with the reason.
    pub fn client(&self) -> Result<&Arc<Client>> {
        self.client.as_ref().map_err(Clone::clone)
    }

    /// NOT_CONFIGURED when the last `ywx_init` failed.
    pub fn usable(&self) -> Result<()> {
        match (&self.client, self.init_failed) {
            (Err(e), true) => Err(e.clone()),
            _ => Ok(()),
        }
    }

    /// The string encoding of the boundary (UTF-8 when unconfigured).
    pub fn encoding(&self) -> Encoding {
        self.client
            .as_ref()
            .map_or(Encoding::Utf8, |c| c.config.encoding)
    }

    /// The largest request accepted.
    pub fn max_request_bytes(&self) -> u64 {
        self.client
            .as_ref()
            // The default is looked up in the key table: only without a
            // session (`map_or` would look it up on every call).
            .map_or_else(
                |_| config::default_max_request_bytes(),
                |c| c.config.max_request_bytes,
            )
    }
}

/// The session a call runs in. Before any `ywx_init` this is where the
/// config file is loaded (once; again after a failure, so that a file put
/// in place later is found) — and so the outbox opened and its delivery
/// thread started; in a forked child, where its own client is started.
pub fn session_loading_config() -> Session {
    if let Some(s) = ready() {
        return s;
    }
    watch_forks();
    let mut state = STATE.write().unwrap_or_else(|p| p.into_inner());
    let loaded = match &*state {
        State::Ready(c) if c.ours() => Ok(c.clone()),
        // Inherited through fork: the same config, a client of its own.
        State::Ready(c) => Client::start(c.config.clone(), c.source.clone()),
        State::Failed(e) => {
            return Session {
                client: Err(e.clone()),
                init_failed: true,
            };
        }
        State::Implicit => config::load_file().and_then(|(c, s)| Client::start(c, s)),
    };
    if let Ok(c) = &loaded {
        retire(std::mem::replace(&mut *state, State::Ready(c.clone())));
    }
    Session {
        client: loaded,
        init_failed: false,
    }
}

fn ready() -> Option<Session> {
    match &*STATE.read().unwrap_or_else(|p| p.into_inner()) {
        State::Ready(c) if c.ours() => Some(Session {
            client: Ok(c.clone()),
            init_failed: false,
        }),
        _ => None,
    }
}

/// The encoding in force, without loading anything or waiting for a lock
/// (the panic guard's answer must not depend on more than this).
pub fn encoding_in_force() -> Encoding {
    match STATE.try_read().as_deref() {
        Ok(State::Ready(c)) => c.config.encoding,
        _ => Encoding::Utf8,
    }
}

/// `ywx_init`: a config JSON text, or `None` for the config file.
pub fn init(config_text: Option<&str>) -> Value {
    let loaded = match config_text {
        None => config::load_file(),
        Some(text) => Config::parse(text, None).map(|c| (c, ConfigSource::Json)),
    };
    start(loaded)
}

/// Puts a parsed config in force (the `ywx` command adjusts the file's
/// config first, e.g. to run without the delivery thread).
pub fn init_config(config: Config, source: ConfigSource) -> Value {
    start(Ok((config, source)))
}

fn start(loaded: Result<(Config, ConfigSource)>) -> Value {
    let started = loaded.and_then(|(config, source)| Client::start(config, source));
    let (next, answer) = match started {
        Ok(client) => {
            let data = client.describe();
            let answer = json!({"status": "0", "message": "配置已生效", "data": data});
            (State::Ready(client), answer)
        }
        Err(e) => {
            let e = if e.code.number == codes::NOT_CONFIGURED.number {
                e
            } else {
                Error::not_configured(e.message)
            };
            let answer = e.envelope();
            (State::Failed(e), answer)
        }
    };
    replace(next);
    answer
}

/// Swaps the state in; the old client is stopped after the swap, outside
/// the lock, so no call ever finds the library without a config.
fn replace(next: State) {
    watch_forks();
    retire(std::mem::replace(
        &mut *STATE.write().unwrap_or_else(|p| p.into_inner()),
        next,
    ));
}

/// A client no longer in force: stopped — unless it is a parent's, seen
/// in a forked child, where stopping it (closing its connections, its
/// SQLite handle, waiting for a thread that does not exist here) would
/// touch what the parent still uses: it is left as it is.
fn retire(old: State) {
    if let State::Ready(c) = old {
        if c.ours() {
            c.stop();
        } else {
            std::mem::forget(c);
        }
    }
}

thread_local! {
    /// The state's lock, held by the forking thread across a `fork`.
    static HELD_FOR_FORK: std::cell::RefCell<Option<std::sync::RwLockWriteGuard<'static, State>>> =
        const { std::cell::RefCell::new(None) };
}

/// Makes `fork` safe for the state's lock: taken before, given back after
/// in parent and child, so that a child never finds it held by a thread
/// that does not exist there.
fn watch_forks() {
    extern "C" fn before() {
        let guard = STATE.write().unwrap_or_else(|p| p.into_inner());
        let _ = HELD_FOR_FORK.try_with(|h| *h.borrow_mut() = Some(guard));
    }
    extern "C" fn after() {
        let _ = HELD_FOR_FORK.try_with(|h| h.borrow_mut().take());
    }
    crate::platform::watch_forks(before, after);
}

/// `ywx_shutdown`: stop background work, flush the log, forget the config.
pub fn shutdown() -> Value {
    replace(State::Implicit);
    json!({"status": "0", "message": "ywx 已停止，可以安全卸载（FreeLibrary）", "data": null})
}
