//! A gateway that accepts connections, reads what is sent, and never
//! answers: what a hung gateway, or a firewall that swallows packets after
//! the handshake, looks like to the library.

use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A listening black hole on a free loopback port. Dropping it closes the
/// listener and every connection it holds.
pub struct BlackHole {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<u8>>>,
    accepted: Arc<Mutex<Vec<TcpStream>>>,
    stop: Arc<AtomicBool>,
}

impl BlackHole {
    pub fn start() -> BlackHole {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a black hole");
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let accepted = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, a, st) = (seen.clone(), accepted.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                if let Ok(reader) = conn.try_clone() {
                    let s = s.clone();
                    std::thread::spawn(move || read_all(reader, &s));
                }
                a.lock().unwrap().push(conn);
            }
        });
        BlackHole {
            addr,
            seen,
            accepted,
            stop,
        }
    }

    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.accepted.lock().unwrap().len()
    }

    /// How many requests so far had `needle` (a path, a urId...) in them.
    pub fn count(&self, needle: &str) -> usize {
        let seen = self.seen.lock().unwrap();
        let text = String::from_utf8_lossy(&seen);
        text.matches(needle).count()
    }

    /// Waits until `count(needle) >= n`, at most `timeout`; whether it did.
    pub fn wait_for(&self, needle: &str, n: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.count(needle) >= n {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.count(needle) >= n
    }

    /// Closes every connection held (the requests in flight then fail).
    pub fn hang_up(&self) {
        for c in self.accepted.lock().unwrap().drain(..) {
            let _ = c.shutdown(std::net::Shutdown::Both);
        }
    }
}

fn read_all(mut conn: TcpStream, seen: &Mutex<Vec<u8>>) {
    let mut buf = [0u8; 16 * 1024];
    while let Ok(n) = conn.read(&mut buf) {
        if n == 0 {
            break;
        }
        seen.lock().unwrap().extend_from_slice(&buf[..n]);
    }
}

impl Drop for BlackHole {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.hang_up();
        // Wake the accept loop so that it sees `stop`.
        let _ = TcpStream::connect(self.addr);
    }
}
