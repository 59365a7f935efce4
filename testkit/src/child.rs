//! A test run as a child process: the running test binary started again
//! with one `#[ignore]`d test selected, its own environment, optionally an
//! address-space limit, and a deadline. For what must not share the
//! library's global state with other tests (`YWX_CONFIG`, a config of its
//! own), and for what may crash or hang: the parent sees a crash as a
//! signal and a hang as a timeout, instead of dying or hanging itself.

use std::io::Read;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The environment variable a child test finds its own name in. A child
/// entry point returns at once when it is not set to its name, so that
/// `cargo test -- --ignored` does not run it out of context.
pub const CHILD_ENV: &str = "YWX_TEST_CHILD";

/// How to run a child.
#[derive(Clone, Debug)]
pub struct ChildOptions {
    /// Environment variables set for the child (besides [`CHILD_ENV`]).
    pub env: Vec<(String, String)>,
    /// Environment variables removed from the child's environment.
    pub env_remove: Vec<String>,
    /// `setrlimit(RLIMIT_AS)` in the child, in bytes (Unix only).
    pub address_space: Option<u64>,
    /// The child is killed after this long.
    pub timeout: Duration,
}

impl Default for ChildOptions {
    fn default() -> Self {
        ChildOptions {
            env: Vec::new(),
            env_remove: vec!["YWX_CONFIG".into()],
            address_space: None,
            timeout: Duration::from_secs(60),
        }
    }
}

impl ChildOptions {
    pub fn env(mut self, key: &str, value: impl Into<String>) -> Self {
        self.env.push((key.to_string(), value.into()));
        self
    }
}

/// What a child did.
#[derive(Debug)]
pub struct ChildRun {
    /// None when it was killed at the deadline.
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
    pub took: Duration,
}

impl ChildRun {
    /// Whether the child test ran and passed (exit 0, within the deadline).
    pub fn passed(&self) -> bool {
        self.status.is_some_and(|s| s.success())
    }

    /// How it ended, in words: "exit 0", "signal 11", "killed at the deadline".
    pub fn how(&self) -> String {
        match self.status {
            None => format!("killed at the deadline after {:?}", self.took),
            Some(s) => match (s.code(), signal(&s)) {
                (Some(c), _) => format!("exit {c}"),
                (None, Some(sig)) => format!("signal {sig}"),
                _ => format!("{s}"),
            },
        }
    }

    /// Panics with the child's output unless it passed.
    pub fn assert_passed(&self, what: &str) {
        assert!(
            self.passed(),
            "{what}: the child {} after {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.how(),
            self.took,
            self.stdout,
            self.stderr
        );
    }

    /// The values of the lines `KEY value` the child printed, in order.
    pub fn values(&self, key: &str) -> Vec<String> {
        let prefix = format!("{key} ");
        self.stdout
            .lines()
            .filter_map(|l| l.strip_prefix(&prefix).map(str::to_string))
            .collect()
    }
}

#[cfg(unix)]
fn signal(s: &ExitStatus) -> Option<i32> {
    std::os::unix::process::ExitStatusExt::signal(s)
}

#[cfg(not(unix))]
fn signal(_: &ExitStatus) -> Option<i32> {
    None
}

/// Whether this process is the child running `test`.
pub fn is_child(test: &str) -> bool {
    std::env::var(CHILD_ENV).is_ok_and(|v| v == test)
}

/// Runs the `#[ignore]`d test `test` of the running test binary as a child.
pub fn run_child(test: &str, options: &ChildOptions) -> ChildRun {
    let mut cmd = Command::new(std::env::current_exe().expect("current_exe"));
    cmd.args([
        "--ignored",
        "--exact",
        test,
        "--nocapture",
        "--test-threads",
        "1",
    ])
    .env(CHILD_ENV, test)
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    for k in &options.env_remove {
        cmd.env_remove(k);
    }
    for (k, v) in &options.env {
        cmd.env(k, v);
    }
    if let Some(limit) = options.address_space {
        limit_address_space(&mut cmd, limit);
    }
    let started = Instant::now();
    let mut child = cmd.spawn().expect("spawn the test binary as a child");
    let read = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = read(Box::new(child.stdout.take().unwrap()));
    let err = read(Box::new(child.stderr.take().unwrap()));
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait for the child") {
            break Some(s);
        }
        if started.elapsed() > options.timeout {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let took = started.elapsed();
    ChildRun {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
        took,
    }
}

#[cfg(unix)]
fn limit_address_space(cmd: &mut Command, bytes: u64) {
    use std::os::unix::process::CommandExt;
    // SAFETY: only setrlimit, async-signal-safe, between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: bytes as libc::rlim_t,
                rlim_max: bytes as libc::rlim_t,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

#[cfg(not(unix))]
fn limit_address_space(_: &mut Command, _: u64) {}
