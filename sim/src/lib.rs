//! `ywx-sim`: a stateful HTTP simulator of the 医网信 (51trust) in-hospital
//! mobile-signature gateway, for tests, demos and implementers' training.
//!
//! ```no_run
//! let sim = ywx_sim::Sim::start();
//! println!("{}", sim.base_url()); // http://127.0.0.1:PORT
//! sim.stop();
//! ```

mod control;
mod fields;
mod gateway;
mod img;
mod pki;
pub mod seed_examples;
mod world;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::json;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{Notify, watch};
use world::{FaultMode, Shared, World};

pub use pki::{DEFAULT_SM2_USER_ID, P7Profile, SignAlg};
pub use world::Tz;

/// The vendor document's integration-environment client id.
pub const CLIENT_ID: &str = "2017070411003376";
/// The vendor document's environment-table client secret (accepted for every client id).
pub const CLIENT_SECRET: &str = "2017070411003360";
/// The secret the vendor document's later examples use (also accepted for every client id).
pub const CLIENT_SECRET_ALT: &str = "2021112519000550";
/// Client id of the vendor document's doctor-search example (2.3.2).
pub const CLIENT_ID_SEARCH_EXAMPLE: &str = "2017070411003371";
/// Client id of the vendor document's business-signing example (4.3.6).
pub const CLIENT_ID_BUSINESS_EXAMPLE: &str = "2015112716143751";

/// Doctor of the doctor-search example (2.3.2); process 2, stamp 11.
pub const SEARCH_DOCTOR: &str = "46f4064de8a71feaqd414wfc9cyd06f74f7";
/// Doctor of the self-sign examples (4.3.1–4.3.3); process 2, stamp 11.
pub const SELF_SIGN_DOCTOR: &str = "c1ac09f4def444f3aa5857cb65206045";
/// Doctor of the sign-data example (4.3.5) and verify example (6.1.1); process 2, stamp 11.
pub const SIGNING_DOCTOR: &str = "aa69bbd2b150006aq5164wfe4dybd786d1a";
/// Doctor of the business-signing example (4.3.6); process 2, stamp 11.
pub const BUSINESS_DOCTOR: &str = "2f6d8818253b2d38qd744w52f6y9a3f8b01";
/// Doctor of the existUnsign example (5.1.3); process 2, stamp 11.
pub const UNSIGN_DOCTOR: &str = "b561db3a671dbd39qca54w7a38y813a20aa";
/// process 0 (审核通过, no certificate yet).
pub const DOCTOR_PROCESS_0: &str = "sim-doctor-process-0";
/// process 1 (证书签发, no stamp yet).
pub const DOCTOR_PROCESS_1: &str = "sim-doctor-process-1";
/// process 3 (用户注销).
pub const DOCTOR_PROCESS_3: &str = "sim-doctor-process-3";
/// process 4 (审核拒绝).
pub const DOCTOR_PROCESS_4: &str = "sim-doctor-process-4";
/// process 5 (用户停用).
pub const DOCTOR_PROCESS_5: &str = "sim-doctor-process-5";
/// process 2 with stampStatus 10 (签章未审核).
pub const DOCTOR_STAMP_UNREVIEWED: &str = "sim-doctor-stamp-unreviewed";
/// All seeded doctors able to sign (process 2, stampStatus 11).
pub const SIGNABLE_DOCTORS: [&str; 5] = [
    SEARCH_DOCTOR,
    SELF_SIGN_DOCTOR,
    SIGNING_DOCTOR,
    BUSINESS_DOCTOR,
    UNSIGN_DOCTOR,
];

/// How to start a simulator.
#[derive(Clone, Debug)]
pub struct SimOptions {
    /// Listen address; `None` = 127.0.0.1 on a free port.
    pub addr: Option<SocketAddr>,
    /// Demo mode: doctors sign pushed (state 0) orders after this many ms.
    pub auto_sign_ms: Option<u64>,
    /// Serve HTTPS with a server certificate from an ECDSA P-256 root of its
    /// own (TLS clients take no SM2), written to `DIR/ca.pem` (`tls_ca_pem`).
    pub tls_dir: Option<PathBuf>,
    /// Pending (0/10) orders expire (state 7) after this many sim-clock seconds.
    pub pending_expiry_secs: u64,
    /// Every push makes a new order, even of a urId already pushed: a
    /// gateway that does not key orders by urId (for testing the library's
    /// reconciliation of pushes whose answer was lost).
    pub no_dedupe: bool,
    /// The algorithm of the CA, the TSA and the doctors' keys (default SM2).
    pub sign_alg: SignAlg,
    /// The P7's profile; `None`: GM/T 0010 for SM2, PKCS#7 otherwise.
    /// GM/T 0010 with ECDSA or RSA is refused.
    pub p7_profile: Option<P7Profile>,
    /// The P7 without its content (detached); default attached.
    pub p7_detached: bool,
    /// The SM2 user ID (distinguishing ID) the doctors sign with; the CA
    /// and the TSA always use the default `1234567812345678`.
    pub sm2_user_id: String,
    /// The zone of order times, 5.1.1's time parameters and every
    /// `yyyy-MM-dd HH:mm:ss` the simulator reads or writes; default the
    /// process's local zone (`TZ`).
    pub time_zone: Tz,
    /// The simulator's clock runs this many seconds ahead of the system
    /// clock (behind, if negative); it moves the `Date` header too.
    pub clock_offset_secs: i64,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            addr: None,
            auto_sign_ms: None,
            tls_dir: None,
            pending_expiry_secs: 86400,
            no_dedupe: false,
            sign_alg: SignAlg::Sm2,
            p7_profile: None,
            p7_detached: false,
            sm2_user_id: DEFAULT_SM2_USER_ID.into(),
            time_zone: Tz::Local,
            clock_offset_secs: 0,
        }
    }
}

/// A running simulator (its own thread and tokio runtime). Stops on `stop` or drop.
pub struct Sim {
    base_url: String,
    addr: SocketAddr,
    ca_pem: String,
    tls_ca_pem: Option<String>,
    shutdown: Option<watch::Sender<bool>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Sim {
    /// Start on 127.0.0.1 with a free port, plain HTTP, default options.
    pub fn start() -> Sim {
        Sim::start_with(SimOptions::default()).expect("start ywx-sim")
    }

    pub fn start_with(opts: SimOptions) -> std::io::Result<Sim> {
        let addr = opts
            .addr
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
        let clock_offset_ms = opts.clock_offset_secs.saturating_mul(1000);
        let now_secs = (chrono::Utc::now().timestamp_millis() + clock_offset_ms).div_euclid(1000);
        let pki = pki::Pki::new(
            pki::PkiOptions {
                alg: opts.sign_alg,
                profile: opts
                    .p7_profile
                    .unwrap_or_else(|| opts.sign_alg.default_profile()),
                detached: opts.p7_detached,
                sm2_user_id: opts.sm2_user_id.clone(),
            },
            now_secs,
        )
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let listener = std::net::TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            world: Mutex::new(World::default()),
            pki,
            clock_offset_ms: AtomicI64::new(clock_offset_ms),
            tz_offset_secs: AtomicI64::new(opts.time_zone.to_secs()),
            connections: AtomicU64::new(0),
            auto_sign_ms: opts.auto_sign_ms,
            pending_expiry_secs: opts.pending_expiry_secs,
            no_dedupe: opts.no_dedupe,
        });
        let docs = world::seed_doctors(&shared);
        shared.lock().doctors = docs;
        let ca_pem = shared.pki.ca_pem.clone();
        let mut tls_ca_pem = None;
        let tls = match &opts.tls_dir {
            None => None,
            Some(dir) => {
                let (cert, key, root_pem) = shared.pki.tls_server(now_secs);
                std::fs::create_dir_all(dir)?;
                std::fs::write(dir.join("ca.pem"), &root_pem)?;
                tls_ca_pem = Some(root_pem);
                Some(tls_acceptor(cert, key)?)
            }
        };
        let scheme = if tls.is_some() { "https" } else { "http" };
        let base_url = format!("{scheme}://{addr}");
        let (tx, rx) = watch::channel(false);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("ywx-sim")
            .build()?;
        let thread = std::thread::Builder::new()
            .name("ywx-sim".into())
            .spawn(move || {
                rt.block_on(async move {
                    match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => accept_loop(l, shared, tls, rx).await,
                        Err(e) => eprintln!("ywx-sim: {e}"),
                    }
                });
                rt.shutdown_timeout(std::time::Duration::from_millis(200));
            })?;
        Ok(Sim {
            base_url,
            addr,
            ca_pem,
            tls_ca_pem,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT` (or `https://`).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The CA chain of the signatures (PEM): the root, then the
    /// intermediate that issues doctors' and the TSA's certificates; the
    /// same text as `GET /sim/ca`.
    pub fn ca_pem(&self) -> String {
        self.ca_pem.clone()
    }

    /// With HTTPS: the (ECDSA P-256) root of the server certificate, as
    /// written to `DIR/ca.pem`.
    pub fn tls_ca_pem(&self) -> Option<String> {
        self.tls_ca_pem.clone()
    }

    /// Stop the server and free the port.
    pub fn stop(self) {}

    fn shutdown(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(true);
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn tls_acceptor(cert: Vec<u8>, key: Vec<u8>) -> std::io::Result<tokio_rustls::TlsAcceptor> {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(std::io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(cert)],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)),
        )
        .map_err(std::io::Error::other)?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(cfg)))
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            r = listener.accept() => {
                let Ok((tcp, _)) = r else {
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                };
                shared.connections.fetch_add(1, Ordering::Relaxed);
                let _ = tcp.set_nodelay(true);
                let sh = shared.clone();
                let rx = shutdown.clone();
                match &tls {
                    None => { tokio::spawn(serve_io(tcp, sh, rx)); }
                    Some(acc) => {
                        let acc = acc.clone();
                        tokio::spawn(async move {
                            let hs = tokio::time::timeout(std::time::Duration::from_secs(10), acc.accept(tcp)).await;
                            if let Ok(Ok(stream)) = hs {
                                serve_io(stream, sh, rx).await;
                            }
                        });
                    }
                }
            }
            _ = shutdown.changed() => break,
        }
    }
}

async fn serve_io<I>(io: I, shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let drop_conn = Arc::new(Notify::new());
    let d = drop_conn.clone();
    let svc = hyper::service::service_fn(move |req| handle(shared.clone(), d.clone(), req));
    let conn = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(io), svc);
    tokio::select! {
        _ = conn => {}
        _ = drop_conn.notified() => {}
        _ = shutdown.changed() => {}
    }
}

type Resp = Response<Full<Bytes>>;

fn respond(status: u16, ctype: &str, body: impl Into<Bytes>) -> Resp {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::OK))
        .header("content-type", ctype)
        .body(Full::new(body.into()))
        .expect("response")
}

fn json_resp(status: u16, v: &serde_json::Value) -> Resp {
    respond(
        status,
        "application/json;charset=UTF-8",
        serde_json::to_vec(v).unwrap_or_default(),
    )
}

fn envelope_err(status: u16, code: &str, msg: &str) -> Resp {
    json_resp(
        status,
        &json!({"status": code, "message": msg, "data": null}),
    )
}

const BODY_LIMIT: usize = 8 * 1024 * 1024;

/// Every answer carries the simulator's clock in its `Date` header (GMT).
async fn handle(
    shared: Arc<Shared>,
    drop_conn: Arc<Notify>,
    req: Request<Incoming>,
) -> Result<Resp, Infallible> {
    let mut resp = handle_inner(shared.clone(), drop_conn, req).await?;
    if let Ok(v) = hyper::header::HeaderValue::from_str(&world::http_date(shared.now_ms())) {
        resp.headers_mut().insert(hyper::header::DATE, v);
    }
    Ok(resp)
}

async fn handle_inner(
    shared: Arc<Shared>,
    drop_conn: Arc<Notify>,
    req: Request<Incoming>,
) -> Result<Resp, Infallible> {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let body = match Limited::new(req.into_body(), BODY_LIMIT).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return Ok(envelope_err(
                200,
                fields::E_PARAM,
                "参数错误：请求体过大或读取失败（上限 8M）",
            ));
        }
    };
    if path.starts_with("/sim/") {
        return Ok(
            match control::handle(&shared, &method, &path, &query, &body) {
                control::Reply::Json(v) => json_resp(200, &v),
                control::Reply::Text(t) => respond(200, "application/x-pem-file", t),
                control::Reply::NotFound => {
                    envelope_err(404, fields::E_NOT_FOUND_PATH, "控制接口不存在")
                }
            },
        );
    }
    // a gateway call: count it, then apply any pending fault
    let fault = {
        let mut w = shared.lock();
        *w.calls.entry(path.clone()).or_insert(0) += 1;
        if let Some(ur_id) = pushed_ur_id(&path, &body) {
            *w.pushes.entry(ur_id).or_insert(0) += 1;
        }
        match &mut w.fault {
            Some(f) if f.remaining > 0 => {
                f.remaining -= 1;
                let r = (f.mode, f.latency_ms);
                if f.remaining == 0 {
                    w.fault = None;
                }
                Some(r)
            }
            _ => None,
        }
    };
    match fault {
        Some((FaultMode::Latency, ms)) => {
            // A slow gateway: the call takes effect, the answer comes late
            // (so a client that times out does not know the outcome).
            let answer = gateway_call(&shared, &method, &path, &query, &body);
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            return Ok(answer);
        }
        Some((FaultMode::Http500, _)) => {
            return Ok(respond(500, "text/plain", "Internal Server Error"));
        }
        Some((FaultMode::Http502Html, _)) => {
            return Ok(respond(
                502,
                "text/html",
                "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
            ));
        }
        Some((FaultMode::Garbage, _)) => {
            return Ok(respond(
                200,
                "application/json;charset=UTF-8",
                &b"\x00\xff\xfe<<garbage>> {\"status\":\"0\", not json"[..],
            ));
        }
        Some((FaultMode::Drop, _)) => {
            drop_conn.notify_one();
            std::future::pending::<()>().await;
        }
        None => {}
    }
    Ok(gateway_call(&shared, &method, &path, &query, &body))
}

/// The urId of a sign push (4.3.5, 4.3.6), `msg` as an object or as a
/// JSON string.
fn pushed_ur_id(path: &str, body: &[u8]) -> Option<String> {
    if !matches!(
        path,
        "/gateway/recipe/synRecipeInfo" | "/gateway/signInfo/syn"
    ) {
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let msg = match v.get("msg")? {
        serde_json::Value::String(s) => serde_json::from_str(s).ok()?,
        m => m.clone(),
    };
    match msg.pointer("/body/urId")? {
        serde_json::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn gateway_call(shared: &Arc<Shared>, method: &str, path: &str, query: &str, body: &[u8]) -> Resp {
    let Some(route) = gateway::ROUTES.iter().find(|r| r.path == path) else {
        return envelope_err(
            404,
            fields::E_NOT_FOUND_PATH,
            &format!("接口不存在：{path}"),
        );
    };
    if route.method != method {
        return envelope_err(
            405,
            fields::E_METHOD,
            &format!("请求方法不支持：{path} 需要 {}", route.method),
        );
    }
    let req = if method == "GET" {
        gateway::Req {
            q: fields::parse_query(query),
            body: serde_json::Value::Null,
        }
    } else {
        match fields::parse_body(body) {
            Ok(v) => gateway::Req {
                q: serde_json::Map::new(),
                body: v,
            },
            Err(e) => return envelope_err(200, e.code, &e.msg),
        }
    };
    let v = match (route.handler)(shared, &req) {
        Ok(data) => json!({"status": "0", "message": "success", "data": data}),
        Err(e) if e.bare => json!({"status": e.code, "message": e.msg}),
        Err(e) => json!({"status": e.code, "message": e.msg, "data": null}),
    };
    json_resp(200, &v)
}
