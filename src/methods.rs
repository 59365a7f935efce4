//! Every method a caller can name, in one table: the gateway's endpoints
//! and the library's own methods. Dispatch (`api.rs`), the unknown-method
//! message, the tests' list of exports, the header check and the README's
//! export table all come from it or are checked against it. Adding an
//! endpoint is a static in `endpoints.rs`, a row here and its export in
//! `ffi/exports.rs` (a test fails until all three agree).

use serde_json::{Value, json};

use crate::client::{self, Session, VERSION};
use crate::endpoints::{self as ep, Endpoint};
use crate::error::Result;
use crate::reply::Reply;
use crate::{local, wait};

/// A method a caller can name.
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
pub enum Run {
    /// `endpoint`, checked against its rules, completed and sent.
    Gateway,
    /// A handler of the library's own, given the parsed request.
    Local(fn(&Session, Value) -> Result<Reply>),
    /// The configuration lifecycle, given the request text as it came
    /// (None for an empty one).
    Lifecycle(fn(Option<&str>) -> Value),
    /// Answered at the C boundary: `last_result` of `ywx_call_buf`.
    Boundary,
}

const fn gateway(endpoint: &'static Endpoint, title: &'static str) -> Method {
    Method {
        name: endpoint.name,
        title,
        exported: true,
        endpoint: Some(endpoint),
        run: Run::Gateway,
    }
}

const fn local(
    name: &'static str,
    title: &'static str,
    endpoint: Option<&'static Endpoint>,
    handler: fn(&Session, Value) -> Result<Reply>,
) -> Method {
    Method {
        name,
        title,
        exported: true,
        endpoint,
        run: Run::Local(handler),
    }
}

const fn lifecycle(
    name: &'static str,
    title: &'static str,
    f: fn(Option<&str>) -> Value,
) -> Method {
    Method {
        name,
        title,
        exported: true,
        endpoint: None,
        run: Run::Lifecycle(f),
    }
}

fn version(_: Option<&str>) -> Value {
    json!({"status": "0", "message": "success", "data": VERSION})
}

pub static ALL: &[Method] = &[
    gateway(&ep::DOCTOR_SEARCH, "同步医师结果查询"),
    gateway(&ep::OAUTH_AUTHORIZE, "OAuth 登录认证请求（二维码）"),
    gateway(&ep::OAUTH_TOKENINFO, "OAuth 获取用户信息"),
    gateway(&ep::SELFSIGN_REQUEST, "请求自动签名授权（二维码）"),
    gateway(&ep::SELFSIGN_RESULT, "获取自动签名授权结果"),
    gateway(&ep::SELFSIGN_QUIT, "退出自动签名授权"),
    local(
        "digest",
        "数据摘要 SHA1/SHA256/SM3，本地计算；remote 时由网关计算",
        Some(&ep::COMPUTE_DIGEST),
        local::digest,
    ),
    gateway(&ep::SIGN_DATA, "数据签名（摘要模板、personRolesPdf）"),
    gateway(&ep::SIGN_BUSINESS, "商务办公类数据签名"),
    gateway(&ep::SIGN_STATUS, "签名状态查询（按订单）"),
    gateway(&ep::SIGN_LIST, "签名状态查询（按时间）"),
    gateway(&ep::SIGN_RESULT, "获取签名结果（P7 / P1 + 证书）"),
    gateway(&ep::DOCTOR_PENDING, "查询医师是否有待签数据"),
    gateway(&ep::SIGN_DELETE, "删除待签数据"),
    gateway(&ep::VERIFY_DATA, "验证签名结果"),
    gateway(&ep::VERIFY_TIMESTAMP, "验证时间戳"),
    local(
        "verify_local",
        "本地离线验签：P7、P1 + 证书、时间戳（SM2/ECDSA/RSA），不连网关",
        None,
        local::verify_local,
    ),
    local(
        "sign_wait",
        "等待医师签名：订单离开 0/10 状态或超时",
        Some(&ep::SIGN_STATUS),
        wait::sign,
    ),
    local(
        "selfsign_wait",
        "等待自动签授权结果：grantStep 为 1 或 2，或超时",
        Some(&ep::SELFSIGN_RESULT),
        wait::selfsign,
    ),
    local(
        "oauth_wait",
        "等待医师扫码登录：只在“未授权（未扫码）”时继续等",
        Some(&ep::OAUTH_TOKENINFO),
        wait::oauth,
    ),
    local(
        "outbox_list",
        "列出离线发件箱（按 urId、state 过滤）",
        None,
        local::outbox_list,
    ),
    local(
        "outbox_flush",
        "立即推送离线发件箱中等待的签名请求",
        None,
        local::outbox_flush,
    ),
    lifecycle(
        "init",
        "配置（或重新配置）ywx；NULL 读配置文件",
        client::init,
    ),
    lifecycle(
        "shutdown",
        "停止后台工作、刷新日志，之后可安全卸载",
        |_| client::shutdown(),
    ),
    lifecycle("version", "ywx 的版本号（静态字符串，不用释放）", version),
    Method {
        name: "last_result",
        title: "ywx_call_buf 的缓冲区太小时，取回本线程保留的结果",
        exported: false,
        endpoint: None,
        run: Run::Boundary,
    },
];

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
