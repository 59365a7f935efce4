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

use std::sync::{Arc, RwLock};

use serde_json::{Value, json};

use crate::codes;
use crate::config::{self, Config, Encoding, Source};
use crate::endpoints::{self, Delivery};
use crate::error::{Error, Result};
use crate::log::{Level, Logger};
use crate::outbox::{Outbox, Sender};
use crate::transport::Transport;

/// The version, as `ywx_version` reports it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// A configured library.
pub struct Client {
    pub config: Config,
    source: Source,
    pub transport: Arc<Transport>,
    pub logger: Arc<Logger>,
    pub outbox: Outbox,
    /// Legal but dangerous settings, for `ywx_init`'s `data.warnings`.
    warnings: Vec<String>,
}

impl Client {
    /// A client for `config`: its outbox opened, its delivery thread started.
    fn start(config: Config, source: Source) -> Result<Arc<Client>> {
        let transport = Arc::new(Transport::new(&config)?);
        // The delivery thread's own, so that stopping it interrupts only it.
        let background = Arc::new(Transport::new(&config)?);
        let logger = Arc::new(Logger::new(
            config.log.dir.clone(),
            Level::parse(&config.log.level),
        ));
        let sender = Sender {
            transport: transport.clone(),
            background,
            client_secret: config.client_secret.clone(),
            logger: logger.clone(),
            routes: endpoints::ALL
                .iter()
                .filter(|e| e.delivery == Delivery::Outbox)
                .map(|e| (e.name, e.path))
                .collect(),
            list_path: endpoints::SIGN_LIST.path,
        };
        let outbox = Outbox::new(&config, sender);
        let mut warnings = config.warnings();
        if let Some(w) = outbox.start() {
            warnings.push(format!(
                "{w}。在它修复之前，网关不通时签名推送会直接报错（YWX-4003）"
            ));
        }
        for w in &warnings {
            logger.warn(w);
        }
        Ok(Arc::new(Client {
            config,
            source,
            transport,
            logger,
            outbox,
            warnings,
        }))
    }

    /// Stops background work and flushes the log.
    fn stop(&self) {
        self.outbox.stop();
        self.logger.stop();
    }

    /// The effective config, secrets masked, as `ywx_init` answers it.
    fn describe(&self) -> Value {
        let mut data = self.config.masked();
        data["configFile"] = match &self.source {
            Source::File(p) => Value::String(p.display().to_string()),
            Source::Json => Value::Null,
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
            .map_or(config::DEFAULT_MAX_REQUEST_BYTES, |c| {
                c.config.max_request_bytes
            })
    }
}

/// The session a call runs in. Before any `ywx_init` this is where the
/// config file is loaded (once; again after a failure, so that a file put
/// in place later is found).
pub fn session() -> Session {
    if let Some(s) = ready() {
        return s;
    }
    let mut state = STATE.write().unwrap_or_else(|p| p.into_inner());
    let loaded = match &*state {
        State::Ready(c) => Ok(c.clone()),
        State::Failed(e) => {
            return Session {
                client: Err(e.clone()),
                init_failed: true,
            };
        }
        State::Implicit => config::load_file().and_then(|(c, s)| Client::start(c, s)),
    };
    if let Ok(c) = &loaded {
        *state = State::Ready(c.clone());
    }
    Session {
        client: loaded,
        init_failed: false,
    }
}

fn ready() -> Option<Session> {
    match &*STATE.read().unwrap_or_else(|p| p.into_inner()) {
        State::Ready(c) => Some(Session {
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
        Some(text) => Config::parse(text, None).map(|c| (c, Source::Json)),
    };
    start(loaded)
}

/// Puts a parsed config in force (the `ywx` command adjusts the file's
/// config first, e.g. to run without the delivery thread).
pub fn init_config(config: Config, source: Source) -> Value {
    start(Ok((config, source)))
}

fn start(loaded: Result<(Config, Source)>) -> Value {
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
    let old = std::mem::replace(&mut *STATE.write().unwrap_or_else(|p| p.into_inner()), next);
    if let State::Ready(c) = old {
        c.stop();
    }
}

/// `ywx_shutdown`: stop background work, flush the log, forget the config.
pub fn shutdown() -> Value {
    replace(State::Implicit);
    json!({"status": "0", "message": "ywx 已停止，可以安全卸载（FreeLibrary）", "data": null})
}
