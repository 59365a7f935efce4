//! The library's own error codes: one table, shared by the Rust code, the
//! generated header (`cargo run -p ywx-gen` writes its `YWX_E_*` constants
//! from `ALL`) and the README.

/// One row of the error table: number, `error.code`, when it happens.
#[derive(Debug)]
pub struct Code {
    pub number: u16,
    pub name: &'static str,
    pub when: &'static str,
}

impl Code {
    /// The envelope's `status`, e.g. `YWX-1002`.
    pub fn status(&self) -> String {
        format!("YWX-{}", self.number)
    }
}

macro_rules! codes {
    ($($konst:ident = $number:literal, $name:literal, $when:literal;)*) => {
        $(pub const $konst: Code = Code { number: $number, name: $name, when: $when };)*
        /// Every code, in table order.
        pub const ALL: &[Code] = &[$($konst),*];
    };
}

codes! {
    INVALID_JSON = 1001, "INVALID_JSON", "请求不是合法的 JSON（消息给出行号和列号）";
    INVALID_ARGUMENT = 1002, "INVALID_ARGUMENT", "字段不符合接口文档的规则，error.field 指明字段";
    INVALID_ENCODING = 1003, "INVALID_ENCODING", "字节不是所配置编码（utf-8 / gbk）的合法文本";
    NOT_CONFIGURED = 1004, "NOT_CONFIGURED", "没有可用的配置（未调用 ywx_init、没有配置文件或配置有误）";
    INPUT_TOO_LARGE = 1005, "INPUT_TOO_LARGE", "请求超过配置的大小上限 maxRequestBytes";
    UNKNOWN_METHOD = 1006, "UNKNOWN_METHOD", "ywx_call 的 method 不存在";
    NETWORK_UNREACHABLE = 2001, "NETWORK_UNREACHABLE", "DNS 解析失败、连接被拒绝或被重置：请求没有到达网关";
    TIMEOUT = 2002, "TIMEOUT", "网关没有在规定时间内应答";
    TLS = 2003, "TLS", "TLS 握手或证书校验失败";
    GATEWAY_HTTP = 3001, "GATEWAY_HTTP", "HTTP 状态码不是 2xx，且应答不是网关的 JSON";
    GATEWAY_BAD_REPLY = 3002, "GATEWAY_BAD_REPLY", "HTTP 2xx 但应答不是网关的 JSON";
    QUEUED_OFFLINE = 4001, "QUEUED_OFFLINE", "签名推送已存入离线发件箱，data.urId 指明订单";
    WAIT_TIMEOUT = 4002, "WAIT_TIMEOUT", "*_wait 等待超时，data 为最后一次查询的结果";
    OUTBOX_UNAVAILABLE = 4003, "OUTBOX_UNAVAILABLE", "网关无法连接，而离线缓存文件也不可用（损坏、不可写、磁盘满）：确定没有发出，也没有存入";
    OUTCOME_UNKNOWN = 4004, "OUTCOME_UNKNOWN", "签名推送可能已送达网关但应答丢失，而离线缓存无法保存它以便核对：不要重复推送，用 5.1.1 按 data.urId 查询";
    EVIDENCE_UNREADABLE = 5001, "EVIDENCE_UNREADABLE", "ywx_verify_local：签名、证书或时间戳不是 base64 / DER / CMS，消息指明字段和应有的格式";
    UNSUPPORTED_ALGORITHM = 5002, "UNSUPPORTED_ALGORITHM", "ywx_verify_local：算法 OID 不在支持之列，消息指明 OID 和支持的算法";
    INTERNAL = 9001, "INTERNAL", "库内部错误（在边界处捕获的 panic），请查看日志并报告";
}
