//! Every method a caller can name, in one table: the gateway's endpoints
//! and the library's own methods. Dispatch (`api.rs`) and the
//! unknown-method message read it; `cargo run -p ywx-gen` writes from it
//! every export of a method with a request (`src/ffi/generated.rs`, with
//! its documentation), the header, each binding's declarations, the
//! README's export table and the fuzz seeds, and `tests/generated.rs` fails
//! when a committed one is stale. Adding a gateway endpoint is a static in
//! `endpoints.rs`, an entry in `methods/table.rs`, its handler in the
//! simulator, a scenario test and that command (docs/contributing.md).

mod digest;
mod outbox;
mod table;
mod verify;
mod wait;

pub use table::TABLE;

use serde_json::Value;

use crate::client::Session;
use crate::endpoints::Endpoint;
use crate::error::Result;
use crate::reply::Reply;

/// A method a caller can name.
#[derive(Clone, Copy)]
pub struct Method {
    /// `ywx_call`'s method, and the export `ywx_<name>` when `exported`.
    pub name: &'static str,
    /// What it does, in the README's words.
    pub title: &'static str,
    /// Whether `ywx_<name>` is an export of its own (or only a `ywx_call`
    /// method).
    pub exported: bool,
    /// The gateway endpoint it calls, if any (the polled one for the
    /// `*_wait` helpers; 4.3.4 for `digest` when asked).
    pub endpoint: Option<&'static Endpoint>,
    pub run: Run,
}

/// How a method is run.
#[derive(Clone, Copy)]
pub enum Run {
    /// `endpoint`, checked against its rules, completed and sent.
    Gateway,
    /// A handler of the library's own, given the parsed request.
    Local(fn(&Session, Value) -> Result<Reply>),
    /// The configuration lifecycle, given the request text as it came
    /// (None for an empty one). Its export is written by hand
    /// (`ffi/exports.rs`): it has a signature of its own.
    Lifecycle(fn(Option<&str>) -> Value),
    /// Answered at the C boundary: `last_result` of `ywx_call_buf`.
    Boundary,
}

/// A method's entry: the method, and what the generated files say about
/// it. [`TABLE`] is a `const`, so the documentation and examples stay out
/// of the library's binary; [`ALL`] keeps the methods alone.
pub struct Entry {
    pub method: Method,
    /// The export's documentation after its first line (the title, and
    /// the endpoint when there is one): the request, the answer, anything
    /// particular. Each line is trimmed; an empty line starts a paragraph.
    /// The generator adds "Free the result with `ywx_free`. Thread-safe."
    pub doc: &'static str,
    /// A valid request, the vendor document's example when it has one:
    /// the fuzzers' seed, and the tests' sweeps over every field.
    pub example: &'static str,
    /// A NULL request means `{}` (the outbox methods), not an error.
    pub null_is_empty: bool,
}

impl Entry {
    const fn doc(mut self, doc: &'static str) -> Self {
        self.doc = doc;
        self
    }

    const fn example(mut self, example: &'static str) -> Self {
        self.example = example;
        self
    }

    const fn null_is_empty(mut self) -> Self {
        self.null_is_empty = true;
        self
    }
}

const fn entry(method: Method) -> Entry {
    Entry {
        method,
        doc: "",
        example: "",
        null_is_empty: false,
    }
}

const fn gateway(endpoint: &'static Endpoint, title: &'static str) -> Entry {
    entry(Method {
        name: endpoint.name,
        title,
        exported: true,
        endpoint: Some(endpoint),
        run: Run::Gateway,
    })
}

const fn local(
    name: &'static str,
    title: &'static str,
    endpoint: Option<&'static Endpoint>,
    handler: fn(&Session, Value) -> Result<Reply>,
) -> Entry {
    entry(Method {
        name,
        title,
        exported: true,
        endpoint,
        run: Run::Local(handler),
    })
}

const fn lifecycle(name: &'static str, title: &'static str, f: fn(Option<&str>) -> Value) -> Entry {
    entry(Method {
        name,
        title,
        exported: true,
        endpoint: None,
        run: Run::Lifecycle(f),
    })
}

/// The exports that are the C boundary itself (`ffi/exports.rs`), not
/// methods: name and title, for the README's export table.
pub const BOUNDARY: &[(&str, &str)] = &[
    ("call", "按名字调用任一方法：`ywx_call(\"sign_data\", req)`"),
    (
        "call_buf",
        "同 `ywx_call`，结果写进调用方的缓冲区（PowerBuilder、VB6 用）",
    ),
    ("free", "释放 ywx 返回的每个 `char *`；NULL 无操作"),
];

/// The methods of [`TABLE`], without what only the generated files need.
pub static ALL: &[Method] = &methods::<{ TABLE.len() }>();

const fn methods<const N: usize>() -> [Method; N] {
    const NONE: Method = Method {
        name: "",
        title: "",
        exported: false,
        endpoint: None,
        run: Run::Boundary,
    };
    let mut out = [NONE; N];
    let mut i = 0;
    while i < N {
        out[i] = TABLE[i].method;
        i += 1;
    }
    out
}

/// An endpoint as the README's export table shows it:
/// `4.3.5 POST …/synRecipeInfo` (the section, the HTTP method, the path's
/// last part).
pub fn endpoint_cell(e: &Endpoint) -> String {
    let http = match e.http {
        crate::transport::Http::Get => "GET",
        crate::transport::Http::Post => "POST",
    };
    let last = e.path.rsplit('/').next().unwrap_or(e.path);
    format!("{} {http} …/{last}", e.section)
}

/// The method named `name`, for a name of the code's own: found at compile
/// time (`const { named("sign_status") }`), not searched for on each call.
pub const fn named(name: &str) -> &'static Method {
    let mut i = 0;
    while i < ALL.len() {
        if same(ALL[i].name.as_bytes(), name.as_bytes()) {
            return &ALL[i];
        }
        i += 1;
    }
    panic!("methods::named: no method of that name")
}

const fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The method a name stands for (`"sign_data"`; a `ywx_` prefix is allowed).
pub fn find(name: &str) -> Option<&'static Method> {
    let name = name.trim();
    let name = name.strip_prefix("ywx_").unwrap_or(name);
    ALL.iter().find(|m| m.name == name)
}

/// Every method's name, for the unknown-method message.
pub fn names() -> Vec<&'static str> {
    ALL.iter().map(|m| m.name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoints;

    /// The outbox delivers (and reconciles) the pushes of the endpoints in
    /// `endpoints::ALL` whose entry queues: an endpoint of the table
    /// missing there would have its pushes kept and never delivered.
    #[test]
    fn every_endpoint_that_queues_is_one_the_outbox_delivers() {
        let known = |e: &Endpoint| endpoints::ALL.iter().any(|a| std::ptr::eq(*a, e));
        let mut queueing = 0;
        for m in ALL {
            if let Some(e) = m.endpoint {
                assert!(
                    known(e),
                    "{}: its endpoint is not in endpoints::ALL",
                    m.name
                );
                queueing += usize::from(e.queue().is_some());
            }
        }
        assert!(queueing >= 2, "4.3.5 and 4.3.6 queue");
        for e in endpoints::ALL.iter().filter(|e| e.queue().is_some()) {
            let q = e.queue().unwrap();
            assert!(
                q.ur_id.ends_with(".urId") && q.head.ends_with("head"),
                "{}",
                e.name
            );
        }
    }
}
