//! The floor: a minimal HTTP/1.1 client over a plain `TcpStream`, writing
//! prepared bytes and reading the answer by its Content-Length. No JSON,
//! no pooling logic, nothing a library could add.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};

pub struct RawClient {
    addr: SocketAddr,
    conn: Option<BufReader<TcpStream>>,
    /// A new connection for every call (how many HIS integrations work).
    fresh: bool,
}

impl RawClient {
    pub fn keep_alive(addr: SocketAddr) -> RawClient {
        RawClient {
            addr,
            conn: None,
            fresh: false,
        }
    }

    pub fn new_connection_per_call(addr: SocketAddr) -> RawClient {
        RawClient {
            addr,
            conn: None,
            fresh: true,
        }
    }

    /// The full request bytes of a JSON POST.
    pub fn request(addr: SocketAddr, path: &str, body: &str) -> Vec<u8> {
        let mut r = format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json;charset=UTF-8\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        r.extend_from_slice(body.as_bytes());
        r
    }

    /// Sends prepared request bytes; the answer's body.
    pub fn send(&mut self, request: &[u8]) -> Vec<u8> {
        if self.fresh || self.conn.is_none() {
            let s = TcpStream::connect(self.addr).unwrap();
            s.set_nodelay(true).unwrap();
            self.conn = Some(BufReader::new(s));
        }
        let conn = self.conn.as_mut().unwrap();
        conn.get_mut().write_all(request).unwrap();
        let mut len = None;
        let mut line = String::new();
        loop {
            line.clear();
            conn.read_line(&mut line).unwrap();
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                len = v.trim().parse::<usize>().ok();
            }
        }
        let mut body = vec![0; len.expect("the simulator sends Content-Length")];
        conn.read_exact(&mut body).unwrap();
        if self.fresh {
            self.conn = None;
        }
        body
    }
}
