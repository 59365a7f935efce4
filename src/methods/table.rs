//! The table of methods: one entry for each method a caller can name, in
//! the order of the header and the README. An entry is the method (its
//! endpoint or handler) and what the generated files say about it: the
//! export's documentation and an example request. After changing it, run
//! `cargo run -p ywx-gen` (docs/contributing.md).

use serde_json::{Value, json};

use super::{Entry, Method, Run, entry, gateway, lifecycle, local};
use super::{digest, outbox, verify, wait};
use crate::client::{self, VERSION};
use crate::endpoints as ep;

fn version(_: Option<&str>) -> Value {
    json!({"status": "0", "message": "success", "data": VERSION})
}

/// Every method, in the order of the header and the README.
pub const TABLE: &[Entry] = &[
    gateway(&ep::DOCTOR_SEARCH, "同步医师结果查询")
        .doc(
            r#"`request_json`: `{"head":{...},"body":{"openId"|"phone"|"userIdcardNum"|"employeeNumber"}}`
            in the configured encoding; `head` and its clientId may be left out."#,
        )
        .example(
            r#"{"head":{"clientId":"2017070411003371"},"body":{"openId":"46f4064de8a71feaqd414wfc9cyd06f74f7"}}"#,
        ),
    gateway(&ep::OAUTH_AUTHORIZE, "OAuth 登录认证请求（二维码）")
        .doc(
            r#"`request_json`: the query parameters as an object,
            `{"selfSign":true,"sysTag":"HIS","sessionTime":4}`; clientId and
            `responseType` "code" are filled. `data.imgBase64` is the QR code to show."#,
        )
        .example(
            r#"{"responseType":"code","clientId":"2017070411003376","selfSign":true,"sysTag":"HIS","sessionTime":4}"#,
        ),
    gateway(&ep::OAUTH_TOKENINFO, "OAuth 获取用户信息")
        .doc(r#"`request_json`: `{"requestId":"..."}`. See also `ywx_oauth_wait`."#)
        .example(
            r#"{"clientId":"2017070411003376","requestId":"a4945a94fec453c9df50c7dbe393631b"}"#,
        ),
    gateway(&ep::SELFSIGN_REQUEST, "请求自动签名授权（二维码）")
        .doc(
            r#"`request_json`: `{"body":{"openId":"...","sysTag":"HIS"}}`; head is
            filled from the config. `data` is the QR code image in base64."#,
        )
        .example(SELFSIGN_EXAMPLE),
    gateway(&ep::SELFSIGN_RESULT, "获取自动签名授权结果")
        .doc(
            r#"`request_json`: `{"body":{"openId":"..."}}`; `data.grantStep` is
            `YWX_GRANT_STEP_*`."#,
        )
        .example(
            r#"{"head":{"clientId":"2017070411003376","clientSecret":"2021112519000550"},
            "body":{"openId":"c1ac09f4def444f3aa5857cb65206045"}}"#,
        ),
    gateway(&ep::SELFSIGN_QUIT, "退出自动签名授权")
        .doc(r#"`request_json`: `{"body":{"openId":"...","sysTag":"HIS"}}`."#)
        .example(SELFSIGN_EXAMPLE),
    local(
        "digest",
        "数据摘要 SHA1/SHA256/SM3，本地计算；remote 时由网关计算",
        Some(&ep::COMPUTE_DIGEST),
        digest::digest,
    )
    .doc(
        r#"SHA1, SHA256 or SM3 (default), computed locally.
        `request_json`: `{"originData":"text","hashAlg":"SM3"}` (the text's UTF-8
        bytes are hashed, whatever the configured encoding) or
        `{"originFile":"path"}` (hashed streaming); `"remote":true` asks the
        gateway's computeDigestForAlg (4.3.4) instead. Answers
        `{"status":"0","data":{"hashValue":base64,"hashType":"SM3"}}`.
        Needs no config unless remote."#,
    )
    .example(r#"{"originData":"abc","hashAlg":"SM3"}"#),
    gateway(&ep::SIGN_DATA, "数据签名（摘要模板、personRolesPdf）")
        .doc(
            r#"`request_json`: `{"signType":0|4,"msg":{"head":{"templateId":"hash_001",...},"body":{...}}}`
            exactly as the document shows; clientId/clientSecret/sysTag filled from
            the config. `originData`/`originFile` (+ `hashAlg`) may replace
            `hashValue`/`hashType` (hashed here: the text never leaves the
            hospital); `pdfFile` may replace `pdfBase64`, `appendixFile`
            `appendixFileBase64`. Every field rule is checked before sending.
            When the gateway cannot be reached the push is stored in the outbox
            and answered `YWX-4001` (see `ywx_outbox_list`). One urId makes one
            order: a push whose outcome is unknown (sent, answer lost) is looked up
            through 5.1.1 before it is ever sent again; only a gateway that does
            not list the order there can receive it twice."#,
        )
        .example(
            r#"{"signType":"0","msg":{"head":{"clientId":"2017070411003376","templateId":"hash_023",
            "clientSecret":"2021112519000550","channelID":"","sysTag":"his"},"body":{"urId":"62420111136",
            "openId":"aa69bbd2b150006aq5164wfe4dybd786d1a","patientName":"天猫","patientAge":"11",
            "patientSex":"男","patientCard":"535689193101071814","patientCardType":"SF",
            "recipeTime":"2017-06-11 11:32:33","hashValue":"LM0WEHidhjstcPCvVVdEMHSK7lwAAAAAAAAAAAAAAAA=",
            "hashType":"SHA-256"}}}"#,
        ),
    gateway(&ep::SIGN_BUSINESS, "商务办公类数据签名")
        .doc(
            r#"`request_json`: `{"signType":0|1|2,"msg":{"head":{"templateId":"contract_001"},"body":{...}}}`;
            `pdfFile` may replace `pdfBase64`. Offline and exactly-once as
            `ywx_sign_data`."#,
        )
        .example(
            r#"{"signType":"0","msg":{"body":{"urId":"00001","openId":"2f6d8818253b2d38qd744w52f6y9a3f8b01",
            "viewName":"测试","viewTime":"2017-11-15 14:45:33","pdfBase64":"pdfBase64",
            "viewSubject":"xxxxxx主题xxxxxx","viewRemark":"备注"},"head":{"templateId":"personPdf",
            "accessToken":"ad428569108d4199ae578cb707a07fde","clientId":"2015112716143751"}}}"#,
        ),
    gateway(&ep::SIGN_STATUS, "签名状态查询（按订单）")
        .doc(
            r#"`request_json`: `{"body":{"uniqueId":"..."}}`; `data.status` is
            `YWX_SIGN_STATUS_*`."#,
        )
        .example(ORDER_EXAMPLE),
    gateway(&ep::SIGN_LIST, "签名状态查询（按时间）")
        .doc(
            r#"`request_json`: `{"body":{"startDate":"yyyy-MM-dd HH:mm:ss","endDate":"...","pageNum":1,"pageSize":10}}`;
            pageNum and pageSize default to 1 and 10."#,
        )
        .example(
            r#"{"head":{"clientId":"2017070411003376"},"body":{"startDate":"2018-08-02 00:00:00",
            "endDate":"2018-08-04 00:00:00","pageNum":"1","pageSize":"20"}}"#,
        ),
    gateway(&ep::SIGN_RESULT, "获取签名结果（P7 / P1 + 证书）")
        .doc(
            r#"`request_json`: `{"body":{"uniqueId":"...","isP1":false}}`: P7
            `signedData`, or `p1` and `cert` when isP1 is true."#,
        )
        .example(ORDER_EXAMPLE),
    gateway(&ep::DOCTOR_PENDING, "查询医师是否有待签数据")
        .doc(r#"`request_json`: `{"openId":"..."}`; `data` is true or false."#)
        .example(
            r#"{"clientId":"2017070411003376","openId":"b561db3a671dbd39qca54w7a38y813a20aa"}"#,
        ),
    gateway(&ep::SIGN_DELETE, "删除待签数据")
        .doc(r#"`request_json`: `{"body":{"uniqueId":"..."}}`."#)
        .example(ORDER_EXAMPLE),
    gateway(&ep::VERIFY_DATA, "验证签名结果")
        .doc(
            r#"`request_json`: `{"head":{"uniqueId":"..."},"body":{the fields as pushed}}`;
            `originData` may replace hashValue/hashType as in `ywx_sign_data`.
            `data.verifyResult` is true or false."#,
        )
        .example(
            r#"{"head":{"clientId":"2017070411003376","templateId":"hash_023",
            "uniqueId":"58dfd52e1e5042869db2406d57b71e5b"},"body":{"urId":"62420111136",
            "openId":"aa69bbd2b150006aq5164wfe4dybd786d1a","patientName":"天猫","patientAge":"11",
            "patientSex":"男","patientCard":"535689193101071814","patientCardType":"SF",
            "recipeTime":"2017-06-11 11:32:33","hashValue":"LM0WEHidhjstcPCvVVdEMHSK7lwAAAAAAAAAAAAAAAA=",
            "hashType":"SHA-256"}}"#,
        ),
    gateway(&ep::VERIFY_TIMESTAMP, "验证时间戳")
        .doc(r#"`request_json`: `{"body":{"uniqueId":"..."}}`."#)
        .example(
            r#"{"head":{"clientId":"2017070411003376","clientSecret":"2021112519000550"},
            "body":{"uniqueId":"c1ac09f4def444f3aa5857cb65206045"}}"#,
        ),
    local(
        "verify_local",
        "本地离线验签：P7、P1 + 证书、时间戳（SM2/ECDSA/RSA），不连网关",
        None,
        verify::verify_local,
    )
    .doc(
        r#"本地离线验签 (offline): a P7, a P1 with its certificate, or an RFC 3161
        timestamp verified here, never sent to the gateway.
        `request_json`: `{"signedData":"MII..."}` (attached or detached P7),
        or `{"p1":"...","cert":"MII..."}`, and/or `"timeStampSignData"`; each
        base64 of DER or PEM. The content, when the signature does not carry
        it: `originData` (text), `hashValue` + `hashType`, or `contentBase64`.
        Options: `checkTime` ("auto", "now", "yyyy-MM-dd HH:mm:ss"),
        `sm2UserId` (default "1234567812345678"), `caCerts` and
        `intermediates` (lists of base64 DER or PEM), `returnContent`. Trusts
        `caCerts` and the config's `verify.caFile`. Answers status "0" whenever
        verification ran, with `data.verified` and `data.checks` saying what
        held; `YWX-1002`, `YWX-5001` (unreadable evidence) or `YWX-5002`
        (unsupported algorithm) when it could not run. Needs no config."#,
    )
    .example(concat!(
        r#"{"signedData":""#,
        include_str!("../../tests/fixtures/verify/cfca-sadk-attached.p7.b64"),
        r#"","checkTime":"2025-01-01 00:00:00"}"#
    )),
    local(
        "sign_wait",
        "等待医师签名：订单离开 0/10 状态或超时",
        Some(&ep::SIGN_STATUS),
        wait::sign,
    )
    .doc(
        r#"Polls `ywx_sign_status` until the order leaves state 0 (待处理) and
        10 (未领取).
        `request_json`: `{"uniqueId":"...","timeoutSeconds":60,"intervalMs":1000}`.
        Returns the last status envelope, or `YWX-4002` (WAIT_TIMEOUT) with the
        last answer in `data`. Blocks the calling thread for at most
        timeoutSeconds."#,
    )
    .example(
        r#"{"uniqueId":"57cacee629a94aa4959bcfb1b939a472","timeoutSeconds":1,"intervalMs":100}"#,
    ),
    local(
        "selfsign_wait",
        "等待自动签授权结果：grantStep 为 1 或 2，或超时",
        Some(&ep::SELFSIGN_RESULT),
        wait::selfsign,
    )
    .doc(
        r#"Polls `ywx_selfsign_result` until grantStep is 1 (allowed) or 2 (refused).
        `request_json`: `{"openId":"...","sysTag":"HIS","timeoutSeconds":120}`.
        Timeout: `YWX-4002`."#,
    )
    .example(r#"{"openId":"c1ac09f4def444f3aa5857cb65206045","sysTag":"his","timeoutSeconds":1}"#),
    local(
        "oauth_wait",
        "等待医师扫码登录：只在“未授权（未扫码）”时继续等",
        Some(&ep::OAUTH_TOKENINFO),
        wait::oauth,
    )
    .doc(
        r#"Polls `ywx_oauth_tokeninfo` while it answers "not yet scanned" (the
        gateway's `{"status":"1","message":"未授权"}`) and returns its first
        other answer: the user, or at once a refusal or an unknown requestId.
        `request_json`: `{"requestId":"...","timeoutSeconds":120}`.
        Timeout: `YWX-4002`."#,
    )
    .example(r#"{"requestId":"a4945a94fec453c9df50c7dbe393631b","timeoutSeconds":1}"#),
    local(
        "outbox_list",
        "列出离线发件箱（按 urId、state 过滤）",
        None,
        outbox::list,
    )
    .doc(
        r#"The sign pushes that could not reach the gateway and were stored to
        be delivered later (断网缓存).
        `request_json`: `{"urId":"...","state":"queued"|"delivered"|"failed"}`,
        both optional; NULL or `{}` lists everything. Answers
        `{"status":"0","data":{"items":[{"urId","method","state","attempts",
        "lastError","queuedAt","deliveredAt","response"}]}}`; `response` is the
        gateway's answer once delivered (its `data.uniqueId`). Several
        processes may share the outbox file."#,
    )
    .example(r#"{"urId":"62420111136","state":"queued"}"#)
    .null_is_empty(),
    local(
        "outbox_flush",
        "立即推送离线发件箱中等待的签名请求",
        None,
        outbox::flush,
    )
    .doc(
        r#"Delivers the queued pushes now, in order, and reports what happened:
        `{"status":"0","data":{"delivered":n,"failed":n,"queued":n,"items":[...]}}`
        where `queued` counts those still waiting (gateway unreachable, or
        answering 502/503/504/408/429). An item whose earlier attempt may have
        reached the gateway is first looked up through 5.1.1: found, it is
        delivered with that uniqueId (`response.data.reconciled` true); only
        otherwise is it sent again. Other failures are retried up to
        `outbox.maxAttempts`, then the item ends `failed` with the last error.

        `request_json`: `{"urId":"..."}` to deliver one item, or NULL / `{}`
        for all. Blocks while delivering. Two threads or processes never send
        one item at once."#,
    )
    .example(r#"{"urId":"62420111136"}"#)
    .null_is_empty(),
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
    entry(Method {
        name: "last_result",
        title: "ywx_call_buf 的缓冲区太小时，取回本线程保留的结果",
        exported: false,
        endpoint: None,
        run: Run::Boundary,
    }),
];

/// 4.3.1's example, also 4.3.3's.
const SELFSIGN_EXAMPLE: &str = r#"{"head":{"clientId":"2017070411003376","clientSecret":"2021112519000550"},
    "body":{"openId":"c1ac09f4def444f3aa5857cb65206045","sysTag":"his"}}"#;

/// 4.3.7's example, also 5.1.2's and 5.1.4's.
const ORDER_EXAMPLE: &str = r#"{"head":{"clientId":"2017070411003376"},"body":{"uniqueId":"57cacee629a94aa4959bcfb1b939a472"}}"#;
