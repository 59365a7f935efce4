//! HTTP to the gateway: keep-alive agents (a pool per calling thread,
//! `agents.rs`), deadlines, proxy, TLS, and the gateway's clock (its `Date`
//! header). Knows nothing of endpoints nor of the gateway's JSON: it sends a
//! method, a path and a body, and returns the HTTP response or a failure
//! from the code table (`errors.rs`) saying whether the request may have
//! reached the gateway. What counts as the gateway's answer is decided
//! above it (`reply`).

mod agents;
mod errors;
mod record;
mod resolver;
mod setup;

use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ureq::http::uri::{self, Authority, PathAndQuery, Scheme};
use ureq::http::{HeaderMap, HeaderValue, Method, Uri, header};
use ureq::unversioned::transport::{Connector, DefaultConnector};
use ureq::{Agent, SendBody};

use crate::clock::GatewayClock;
use crate::config::Config;
use crate::error::{Error, Result};
use agents::{AGENTS, SharedConnector, slot};
pub use record::{BeforeSend, Hook};
use record::{Recorder, Sent};
use resolver::CachingResolver;
use setup::{agent_config, base_parts, post_headers};

/// How much later than a caller's deadline an exchange may end when that
/// deadline is (nearly) a whole exchange's budget away: see
/// [`Transport::shorter_than_budget`].
const DEADLINE_SLACK: Duration = Duration::from_millis(10);

/// Largest gateway reply read (a signed 2 MiB PDF in base64 is ~3 MiB).
const MAX_REPLY_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Http {
    Get,
    Post,
}

/// What a request carries.
pub enum Body<'a> {
    /// Nothing (a GET).
    Empty,
    /// A JSON text.
    Json(&'a str),
    /// A JSON text read piece by piece (documents encoded as they are
    /// read), of `len` bytes.
    Stream { reader: &'a mut dyn Read, len: u64 },
}

impl Body<'_> {
    fn len(&self) -> u64 {
        match self {
            Body::Empty => 0,
            Body::Json(text) => text.len() as u64,
            Body::Stream { len, .. } => *len,
        }
    }
}

pub struct Request<'a> {
    pub method: Http,
    /// Under `baseUrl`: an endpoint's path.
    pub path: &'static str,
    pub query: &'a [(String, String)],
    pub body: Body<'a>,
    /// When the exchange must be over, whatever the server trickles
    /// (`None`: `timeoutMs` + `connectTimeoutMs` from now).
    pub deadline: Option<Instant>,
    /// On a new connection, never a pooled one (after a pooled one turned
    /// out closed).
    pub fresh_connection: bool,
}

impl<'a> Request<'a> {
    /// A POST of a JSON text, within the transport's own limit.
    pub fn post(path: &'static str, json: &'a str) -> Request<'a> {
        Request {
            method: Http::Post,
            path,
            query: &[],
            body: Body::Json(json),
            deadline: None,
            fresh_connection: false,
        }
    }
}

/// An HTTP response, whatever its status: what counts as the gateway's
/// answer is decided above the transport.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    /// Its Content-Type as sent (taken from the response: not copied).
    pub content_type: Option<HeaderValue>,
    /// A redirect's `Location` (only a redirect's).
    pub location: Option<String>,
    pub body: Vec<u8>,
}

/// Whether a failed request may have reached the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reached {
    /// Certainly not: nothing was sent (DNS, refused, TLS handshake), or
    /// the connection closed before the whole request was written.
    No,
    /// Perhaps: it was written and the answer was lost, or the gateway (or
    /// a proxy before it) answered with something that is not its answer.
    Maybe,
}

/// A failed exchange: the error, whether trying again soon may help, and
/// whether the request may have been received.
#[derive(Debug)]
pub struct Failure {
    pub error: Error,
    pub transient: bool,
    pub reached: Reached,
    /// It failed on a pooled keep-alive connection before any byte of an
    /// answer came: most likely the server had closed the connection while
    /// it was idle (and so never read the request). A new connection
    /// should be tried.
    pub stale: bool,
}

impl Failure {
    /// A failure that is not the transport's: `reached` as given.
    pub fn new(error: Error, transient: bool, reached: Reached) -> Failure {
        Failure {
            error,
            transient,
            reached,
            stale: false,
        }
    }
}

pub struct Transport {
    /// [`AGENTS`] agents alike but for their pools (and DNS caches).
    agents: Box<[Agent]>,
    /// An agent that pools nothing: every request on a new connection.
    fresh: Agent,
    /// `baseUrl`'s scheme and authority (it has no path: `config::url`).
    scheme: Scheme,
    authority: Authority,
    /// The headers of every POST but its Content-Length, made once
    /// ([`post_headers`]).
    post_headers: HeaderMap,
    /// The URLs of the paths it knows ([`Transport::knowing`]).
    uris: Vec<(&'static str, Uri)>,
    /// What messages show of the gateway and the proxy: passwords masked.
    shown: errors::Shown,
    timeout_ms: u64,
    /// The longest an exchange may take: `timeoutMs` + `connectTimeoutMs`.
    budget: Duration,
    /// The gateway's clock, learnt from the `Date` of its responses.
    clock: Arc<GatewayClock>,
}

impl Transport {
    /// A transport for `config`; the gateway's clock, as its responses
    /// show it, goes to `clock`.
    pub fn new(config: &Config, clock: Arc<GatewayClock>) -> Result<Transport> {
        let proxy = config.proxy.as_deref().filter(|p| !p.trim().is_empty());
        // One connector for all: one TLS client config, whose session
        // cache every agent then resumes from.
        let (scheme, authority) = base_parts(&config.base_url)?;
        let post_headers = post_headers(&scheme, &authority)?;
        let connector = SharedConnector(Arc::new(DefaultConnector::new().chain(Recorder)));
        let agent = |pooled| -> Result<Agent> {
            let agent_config = agent_config(config, proxy, pooled)?;
            Ok(Agent::with_parts(
                agent_config,
                connector.clone(),
                CachingResolver::default(),
            ))
        };
        Ok(Transport {
            agents: (0..AGENTS).map(|_| agent(true)).collect::<Result<_>>()?,
            fresh: agent(false)?,
            scheme,
            authority,
            post_headers,
            uris: Vec::new(),
            shown: errors::Shown::new(&config.base_url, proxy),
            timeout_ms: config.timeout_ms,
            budget: Duration::from_millis(config.connect_timeout_ms + config.timeout_ms),
            clock,
        })
    }

    /// The longest one exchange may take (`timeoutMs` + `connectTimeoutMs`).
    pub fn budget(&self) -> Duration {
        self.budget
    }

    /// One exchange, never retried, with everything known of a failure.
    pub fn exchange(&self, req: Request) -> std::result::Result<Response, Failure> {
        let agent = match req.fresh_connection {
            true => &self.fresh,
            false => self.agent(),
        };
        let total = req.body.len();
        let left = req.deadline.and_then(|d| self.shorter_than_budget(d));
        if left.is_some_and(|l| l.is_zero()) {
            return Err(self.out_of_time(req.path));
        }
        let sent = Sent::start();
        let uri = self.uri(req.path);
        let result = match req.method {
            Http::Get => {
                let mut builder = agent
                    .get(uri)
                    .query_pairs(req.query.iter().map(|(k, v)| (k.as_str(), v.as_str())));
                if let Some(left) = left {
                    builder = builder.config().timeout_per_call(Some(left)).build();
                }
                builder.call()
            }
            Http::Post => post(agent, uri, &self.post_headers, req.body, left),
        };
        self.response(result, req.path, sent, total)
    }

    /// What is left until `deadline`, when it is clearly less than an
    /// exchange's own budget; None otherwise. Only then is the time set
    /// per request: that copies the agent's config, which ureq then
    /// compares with the agent's to choose a pool (about 3 k instructions).
    /// A deadline within [`DEADLINE_SLACK`] of a whole budget (a call's
    /// first exchange: its deadline was set microseconds earlier) is left
    /// to the agent's own per-call timeout, which ends at most that much
    /// after it.
    fn shorter_than_budget(&self, deadline: Instant) -> Option<Duration> {
        let left = deadline.saturating_duration_since(Instant::now());
        (left.is_zero() || left + DEADLINE_SLACK < self.budget).then_some(left)
    }

    /// The agent of the calling thread.
    fn agent(&self) -> &Agent {
        &self.agents[slot::of_this_thread()]
    }

    /// The same transport, with the URLs of `paths` (the endpoints') made
    /// once: a request of one of them takes a copy.
    pub fn knowing(mut self, paths: impl IntoIterator<Item = &'static str>) -> Transport {
        self.uris = paths.into_iter().map(|p| (p, self.make_uri(p))).collect();
        self
    }

    /// The URL of `path`: made at [`Transport::knowing`], or now.
    fn uri(&self, path: &'static str) -> Uri {
        // The endpoints' paths are the very strings made known.
        let known = || self.uris.iter().find(|(p, _)| std::ptr::eq(*p, path));
        let equal = || self.uris.iter().find(|(p, _)| *p == path);
        match known().or_else(equal) {
            Some((_, uri)) => uri.clone(),
            None => self.make_uri(path),
        }
    }

    /// The URL of `path`, from the parts of `baseUrl` parsed once: a
    /// path of the code's own is checked without a copy.
    fn make_uri(&self, path: &'static str) -> Uri {
        let mut parts = uri::Parts::default();
        parts.scheme = Some(self.scheme.clone());
        parts.authority = Some(self.authority.clone());
        parts.path_and_query = Some(PathAndQuery::from_static(path));
        Uri::from_parts(parts).expect("baseUrl's scheme and authority, an absolute path")
    }

    /// The URL of `path` as messages show it (passwords masked).
    pub fn shown_url(&self, path: &str) -> String {
        self.shown.url(path)
    }

    /// The caller's budget was spent before the exchange began.
    fn out_of_time(&self, path: &str) -> Failure {
        let error = errors::timeout(&self.shown.url(path), self.timeout_ms);
        Failure::new(error, true, Reached::No)
    }

    /// The response to a request of `path`, read whole, or the failure.
    fn response(
        &self,
        result: std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error>,
        path: &str,
        sent: Sent,
        total: u64,
    ) -> std::result::Result<Response, Failure> {
        let failed = |e| {
            let shown = self.shown.url(path);
            self.shown
                .failure(e, &shown, self.timeout_ms, sent.finish(total))
        };
        let (head, mut reply) = result.map_err(failed)?.into_parts();
        let status = head.status.as_u16();
        // Only a redirect's Location is shown.
        let redirect = (300..400).contains(&status);
        // The few headers read, in one pass over the few there are (a
        // look-up hashes the name), taken rather than copied: the first
        // of each, as `get` finds it.
        let (mut date, mut content_type, mut location) = (None, None, None);
        let mut name = None;
        for (next, value) in head.headers {
            // A name is given with its first value only.
            name = next.or(name);
            let slot = match name {
                Some(header::DATE) => &mut date,
                Some(header::CONTENT_TYPE) => &mut content_type,
                Some(header::LOCATION) if redirect => &mut location,
                _ => continue,
            };
            slot.get_or_insert(value);
        }
        if let Some(date) = date.as_ref().and_then(|d| d.to_str().ok()) {
            self.clock.observe(date);
        }
        let location = location.and_then(|l| l.to_str().ok().map(str::to_string));
        // Read into a buffer of the announced size: no regrowing copies.
        let announced = reply.content_length().unwrap_or(0);
        let mut body = Vec::with_capacity(announced.min(MAX_REPLY_BYTES) as usize + 1);
        reply
            .with_config()
            .limit(MAX_REPLY_BYTES)
            .reader()
            .read_to_end(&mut body)
            .map_err(|e| failed(ureq::Error::from(e)))?;
        Ok(Response {
            status,
            content_type,
            location,
            body,
        })
    }

    /// One GET of `path`, any HTTP answer being a success (`ywx check`).
    pub fn probe(&self, path: &'static str) -> Result<()> {
        let shown = self.shown.url(path);
        let sent = Sent::start();
        let failed = |e| {
            self.shown
                .failure(e, &shown, self.timeout_ms, sent.finish(0))
                .error
        };
        let mut response = self.agent().get(self.uri(path)).call().map_err(failed)?;
        let _ = response
            .body_mut()
            .with_config()
            .limit(64 * 1024)
            .read_to_vec();
        Ok(())
    }

    /// Interrupts every request this transport has in flight, on any
    /// thread, and refuses new ones: for a delivery thread that must stop
    /// now (its request is abandoned and reconciled later).
    pub fn abort(&self) {
        for agent in self.agents.iter().chain([&self.fresh]) {
            agent.clone().shutdown();
        }
    }
}

/// A POST of `body` as JSON with `headers` ([`post_headers`]), built as an
/// `http::Request` (ureq's request builder moves its parts several times
/// over); ureq adds the Content-Length.
fn post(
    agent: &Agent,
    uri: Uri,
    headers: &HeaderMap,
    body: Body,
    left: Option<Duration>,
) -> std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error> {
    let mut request = ureq::http::Request::new(());
    *request.method_mut() = Method::POST;
    *request.uri_mut() = uri;
    *request.headers_mut() = headers.clone();
    let headers = request.headers_mut();
    if let Body::Stream { len, .. } = &body {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(*len));
    }
    if let Some(left) = left {
        request = agent
            .configure_request(request)
            .timeout_per_call(Some(left))
            .build();
    }
    match body {
        Body::Empty => agent.run(request.map(|()| "{}")),
        Body::Json(text) => agent.run(request.map(|()| text)),
        Body::Stream { reader, .. } => agent.run(request.map(|()| SendBody::from_reader(reader))),
    }
}
