//! A fake gateway: a plain TCP server that answers each HTTP request as a
//! test says — with recorded bytes of the real gateway, an error page, a
//! malformed reply, silence, or a closed connection — and records every
//! request it received. For what ywx-sim cannot do: behave like a server
//! we did not write.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A request as the fake gateway received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    /// The path with its query.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// What the fake gateway does with a request.
pub enum Action {
    /// Writes these bytes (a whole HTTP response, or anything) and keeps
    /// the connection for the next request.
    Raw(Vec<u8>),
    /// Writes these bytes and closes the connection.
    RawThenClose(Vec<u8>),
    /// Closes the connection without a word (the answer is lost).
    Close,
    /// Never answers; the connection stays open.
    Hold,
}

impl Action {
    /// A 200 answer carrying a JSON text.
    pub fn json(body: &str) -> Action {
        Action::Raw(http_response(
            200,
            "application/json;charset=UTF-8",
            body.as_bytes(),
        ))
    }

    /// The bytes of a recorded reply file (`tests/fixtures/replies/NAME`).
    pub fn fixture(name: &str) -> Action {
        Action::Raw(fixture(name))
    }
}

/// A recorded reply, as bytes on the wire.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = crate::repo_root().join("tests/fixtures/replies").join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    // Fixture files are written with LF line ends; the wire uses CRLF in the head.
    normalise_head(&bytes)
}

fn normalise_head(bytes: &[u8]) -> Vec<u8> {
    let split = bytes
        .windows(2)
        .position(|w| w == b"\n\n")
        .map(|i| i + 2)
        .unwrap_or(bytes.len());
    let (head, body) = bytes.split_at(split);
    if head.windows(2).any(|w| w == b"\r\n") {
        return bytes.to_vec();
    }
    let mut out = String::from_utf8_lossy(head)
        .replace('\n', "\r\n")
        .into_bytes();
    out.extend_from_slice(body);
    out
}

/// An HTTP/1.1 response with a Content-Length.
pub fn http_response(status: u16, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

type Handler = dyn Fn(&Received) -> Action + Send + Sync;

/// A running fake gateway; stops when dropped.
pub struct FakeGateway {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    stop: Arc<AtomicBool>,
}

impl FakeGateway {
    /// Starts on a free loopback port; `handler` answers each request.
    pub fn start(handler: impl Fn(&Received) -> Action + Send + Sync + 'static) -> FakeGateway {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        let (rec, st) = (received.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (rec, handler) = (rec.clone(), handler.clone());
                std::thread::spawn(move || serve(conn, &rec, &*handler));
            }
        });
        FakeGateway {
            addr,
            received,
            stop,
        }
    }

    /// A server that is not HTTP: on each connection it waits for the
    /// client's first bytes (whatever they are, e.g. a TLS ClientHello),
    /// writes `bytes` and closes.
    pub fn raw(bytes: Vec<u8>) -> FakeGateway {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let st = stop.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut conn) = conn else { continue };
                let mut first = [0u8; 4096];
                let _ = conn.read(&mut first);
                let _ = conn.write_all(&bytes);
            }
        });
        FakeGateway {
            addr,
            received: Arc::new(Mutex::new(Vec::new())),
            stop,
        }
    }

    /// Always answers with the same recorded reply.
    pub fn replying(name: &str) -> FakeGateway {
        let bytes = fixture(name);
        FakeGateway::start(move |_| Action::Raw(bytes.clone()))
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request received so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// How many requests went to `path`.
    pub fn count(&self, path: &str) -> usize {
        self.received().iter().filter(|r| r.path() == path).count()
    }
}

impl Drop for FakeGateway {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
    }
}

fn serve(conn: TcpStream, received: &Mutex<Vec<Received>>, handler: &Handler) {
    let mut writer = conn.try_clone().unwrap();
    let mut reader = BufReader::new(conn);
    while let Some(req) = read_request(&mut reader) {
        received.lock().unwrap().push(req.clone());
        match handler(&req) {
            Action::Raw(bytes) => {
                if writer.write_all(&bytes).is_err() {
                    return;
                }
            }
            Action::RawThenClose(bytes) => {
                let _ = writer.write_all(&bytes);
                return;
            }
            Action::Close => return,
            Action::Hold => {
                // Keep the connection open until the client goes away.
                let mut sink = [0u8; 1024];
                while matches!(reader.read(&mut sink), Ok(n) if n > 0) {}
                return;
            }
        }
    }
}

/// Reads one request: the head, then a Content-Length or chunked body.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Received> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next().unwrap_or("").to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).ok()? == 0 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let header = |k: &str| headers.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let mut body = Vec::new();
    if let Some(len) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        body.resize(len, 0);
        reader.read_exact(&mut body).ok()?;
    } else if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            let n = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
            let mut chunk = vec![0u8; n + 2];
            reader.read_exact(&mut chunk).ok()?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    }
    Some(Received {
        method,
        target,
        headers,
        body,
    })
}

/// Writes `bytes` to a file, for tests that need one (fixtures, configs).
pub fn write_file(path: &Path, bytes: &[u8]) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    std::fs::write(path, bytes).unwrap();
}
