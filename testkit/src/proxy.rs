//! A TCP proxy in front of a server (the simulator), relaying each request
//! of a client's keep-alive connection over a connection of its own to the
//! server — and, when a test asks, meeting the next request that arrives
//! on a *reused* client connection the way a server that closes idle
//! keep-alive connections does: the connection closes as the request
//! arrives, before any byte of an answer (nginx's `keepalive_timeout`
//! racing a client's next request).

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// How a cut connection meets the request it was carrying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// Closed before the request is passed on: the server never reads it.
    BeforeForwarding,
    /// The server acts on the request; its answer is dropped.
    AfterForwarding,
}

pub struct Proxy {
    addr: SocketAddr,
    cuts: Arc<Mutex<VecDeque<Cut>>>,
}

impl Proxy {
    /// A proxy to `upstream`, on a free loopback port.
    pub fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let addr = listener.local_addr().unwrap();
        let cuts: Arc<Mutex<VecDeque<Cut>>> = Arc::default();
        let shared = cuts.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let cuts = shared.clone();
                std::thread::spawn(move || serve(client, upstream, &cuts));
            }
        });
        Proxy { addr, cuts }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The next request that arrives on a reused connection is cut so.
    pub fn cut_next_reused(&self, how: Cut) {
        self.cuts.lock().unwrap().push_back(how);
    }

    /// Cuts not used yet.
    pub fn cuts_pending(&self) -> usize {
        self.cuts.lock().unwrap().len()
    }
}

/// One HTTP/1.1 message: its head (with the final blank line) and body.
fn read_message(r: &mut impl BufRead) -> Option<Vec<u8>> {
    let mut message = Vec::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        message.extend_from_slice(line.as_bytes());
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().ok()?;
        }
        if line == "\r\n" {
            break;
        }
    }
    let at = message.len();
    message.resize(at + length, 0);
    r.read_exact(&mut message[at..]).ok()?;
    Some(message)
}

fn serve(client: TcpStream, upstream: SocketAddr, cuts: &Mutex<VecDeque<Cut>>) {
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let mut writer = client;
    let mut served = 0;
    while let Some(request) = read_message(&mut reader) {
        served += 1;
        let cut = if served > 1 {
            cuts.lock().unwrap().pop_front()
        } else {
            None
        };
        if cut == Some(Cut::BeforeForwarding) {
            let _ = writer.shutdown(Shutdown::Both);
            return;
        }
        let Some(response) = forward(upstream, &request) else {
            return;
        };
        if cut == Some(Cut::AfterForwarding) {
            let _ = writer.shutdown(Shutdown::Both);
            return;
        }
        if writer.write_all(&response).is_err() {
            return;
        }
    }
}

/// The server's response to one request, over a connection of its own.
fn forward(upstream: SocketAddr, request: &[u8]) -> Option<Vec<u8>> {
    let mut server = TcpStream::connect(upstream).ok()?;
    server.write_all(request).ok()?;
    read_message(&mut BufReader::new(server))
}
