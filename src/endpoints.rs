//! The gateway's endpoints, one static each, as the vendor document's
//! sections describe them: path, layout, which head fields ywx fills, how a
//! failure is handled, and the field rules of its tables. The method table
//! (`methods.rs`) lists them beside the library's own methods.

use crate::rules::{Check::*, Family, Need, Rule, opt, req};
use crate::transport::Http;

/// How a request is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `{"head": {...}, "body": {...}}`
    HeadBody,
    /// `{"signType": .., "msg": {"head": {...}, "body": {...}}}`
    Msg,
    /// A GET: the object's fields are the query parameters.
    Query,
    /// A POST whose body is the object itself, without head (4.3.4).
    Flat,
}

/// What ywx does when a call gets no usable answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Sending it again does no harm at the gateway: queries, and changes
    /// that end in the same state when repeated (quit, delete, a new QR
    /// code). Transient failures are retried up to `retry.attempts`.
    Retry,
    /// A signature push, which makes an order: never sent twice blindly.
    /// Every push is kept in the outbox under its order key, so a re-push
    /// of the urId gets the first answer; when the gateway cannot be
    /// reached it is delivered later, reconciled through 5.1.1 before any
    /// re-send.
    Outbox(Queue),
}

/// Where a push's order key is in its request, as the outbox reads it
/// (dotted paths, as the rules name fields: `msg.body.urId`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Queue {
    /// The head (its `clientId` keys the order; its `clientSecret` is
    /// never stored, and is filled in again at delivery).
    pub head: &'static str,
    /// The urId: one order per (clientId, urId, endpoint).
    pub ur_id: &'static str,
}

/// The layout of 4.3.5 and 4.3.6: `{"signType", "msg": {"head", "body"}}`.
const MSG_QUEUE: Queue = Queue {
    head: "msg.head",
    ur_id: "msg.body.urId",
};

/// Which credentials the library fills when the caller leaves them out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Creds {
    None,
    ClientId,
    ClientIdAndSecret,
}

/// Where the config's `sysTag` goes when the caller gives none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SysTag {
    None,
    Head,
    Body,
    Query,
}

/// One gateway endpoint.
pub struct Endpoint {
    /// The method name: `ywx_call`'s `method`, and the export `ywx_<name>`.
    pub name: &'static str,
    /// The section of the vendor's interface document, e.g. "4.3.5".
    pub section: &'static str,
    /// GET or POST.
    pub http: Http,
    /// The path under `baseUrl`.
    pub path: &'static str,
    /// How the caller's JSON is laid out (and so where `head`/`body` are).
    pub shape: Shape,
    /// The credentials ywx fills into `head` (or the query) when absent.
    pub creds: Creds,
    /// Where the config's `sysTag` goes when the caller gives none.
    pub sys_tag: SysTag,
    /// Retried, or kept in the outbox, when no usable answer comes.
    pub delivery: Delivery,
    /// Defaults the document gives, filled when absent.
    pub defaults: &'static [(&'static str, DefaultValue)],
    /// Groups of rules from the document's field tables, checked in order.
    pub rules: &'static [&'static [Rule]],
}

#[derive(Debug, Clone, Copy)]
pub enum DefaultValue {
    Str(&'static str),
    Int(i64),
}

const UNIQUE_ID: Rule = req("body.uniqueId", Text);
const OPEN_ID: Rule = req("body.openId", Text);

/// Fields of a medical order (4.3.5), shared by the push and by
/// verifyDataById (6.1.1), which resubmits them.
const PATIENT: &[Rule] = &[
    req("body.patientName", Text),
    req("body.patientAge", Text),
    req("body.patientSex", OneOf(&["男", "女", "未知"])),
    req("body.patientCardType", OneOf(&["YB", "SF", "HZ", "QT"])),
    opt("body.patientCard", MaxChars(20)),
    req("body.recipeTime", DateTime),
    opt("body.subject", Subject(50)),
];

/// 4.3.5's table marks hashValue/hashType 否; a hash template with nothing
/// to sign is refused by ywx's own rule, and the message says so.
const HASH_IS_SIGNED: Need = Need::Ours(
    "不能为空：hash 开头的模板签的是摘要，ywx 要求给出 hashValue 和 hashType（接口文档此字段标为“否”，这是 ywx 自己的检查；也可以只给 originData 原文，由 ywx 计算摘要）",
);

const SIGN_DATA_RULES: &[Rule] = &[
    req("signType", OneOf(&["0", "4"])),
    req(
        "head.templateId",
        Template {
            exact: &["hash", "personRolesPdf"],
            prefixes: &["hash_"],
        },
    ),
    opt("head.appendixFileBase64", Pdf),
    opt("head.isLocalTimeStamp", Bool),
    req("body.urId", Alnum(64)),
    Rule::new("body.openId", Need::UnlessSignType4, Text),
    Rule::new("body.hashValue", HASH_IS_SIGNED, Base64).only(Family::Hash),
    Rule::new("body.hashType", HASH_IS_SIGNED, HashAlg).only(Family::Hash),
    opt("body.tag", Tags).only(Family::Hash),
    req("body.pdfBase64", Pdf).only(Family::Pdf),
    req("body.roles", Roles).only(Family::Pdf),
];

const VERIFY_DATA_RULES: &[Rule] = &[
    req("head.uniqueId", Text),
    req("body.urId", Alnum(64)),
    req("body.hashValue", Base64),
    req("body.hashType", HashAlg),
    opt("body.tag", Tags),
];

const NO_DEFAULTS: &[(&str, DefaultValue)] = &[];

pub static DOCTOR_SEARCH: Endpoint = Endpoint {
    name: "doctor_search",
    section: "2.3.2",
    http: Http::Post,
    path: "/gateway/doctor/synDoctorSearch",
    shape: Shape::HeadBody,
    creds: Creds::ClientId,
    sys_tag: SysTag::None,
    delivery: Delivery::Retry,
    defaults: NO_DEFAULTS,
    rules: &[&[req(
        "body",
        AnyOf(&["openId", "phone", "userIdcardNum", "employeeNumber"]),
    )]],
};

pub static OAUTH_AUTHORIZE: Endpoint = Endpoint {
    name: "oauth_authorize",
    section: "3.3.1",
    http: Http::Get,
    path: "/gateway/oauth/authorize",
    shape: Shape::Query,
    creds: Creds::ClientId,
    sys_tag: SysTag::Query,
    delivery: Delivery::Retry,
    defaults: &[("responseType", DefaultValue::Str("code"))],
    rules: &[&[
        req("responseType", OneOf(&["code"])),
        opt("selfSign", Bool),
        opt("sessionTime", Range(1, 16)),
    ]],
};

pub static OAUTH_TOKENINFO: Endpoint = Endpoint {
    name: "oauth_tokeninfo",
    section: "3.3.2",
    http: Http::Get,
    path: "/gateway/oauth/tokeninfo",
    shape: Shape::Query,
    creds: Creds::ClientId,
    sys_tag: SysTag::None,
    delivery: Delivery::Retry,
    defaults: NO_DEFAULTS,
    rules: &[&[req("requestId", Text)]],
};

pub static SELFSIGN_REQUEST: Endpoint = Endpoint {
    name: "selfsign_request",
    section: "4.3.1",
    http: Http::Post,
    path: "/gateway/selfSign/request",
    shape: Shape::HeadBody,
    creds: Creds::ClientIdAndSecret,
    sys_tag: SysTag::Body,
    delivery: Delivery::Retry,
    defaults: NO_DEFAULTS,
    rules: &[&[OPEN_ID, opt("body.sessionTime", Range(1, 16))]],
};

pub static SELFSIGN_RESULT: Endpoint = Endpoint {
    name: "selfsign_result",
    section: "4.3.2",
    http: Http::Post,
    path: "/gateway/selfSign/getResult",
    shape: Shape::HeadBody,
    creds: Creds::ClientIdAndSecret,
    sys_tag: SysTag::Body,
    delivery: Delivery::Retry,
    defaults: NO_DEFAULTS,
    rules: &[&[OPEN_ID]],
};

pub static SELFSIGN_QUIT: Endpoint = Endpoint {
    name: "selfsign_quit",
    section: "4.3.3",
    http: Http::Post,
    path: "/gateway/selfSign/quit",
    shape: Shape::HeadBody,
    creds: Creds::ClientIdAndSecret,
    sys_tag: SysTag::Body,
    delivery: Delivery::Retry,
    defaults: NO_DEFAULTS,
    rules: &[&[OPEN_ID]],
};

/// 4.3.4, asked only when `ywx_digest` gets `"remote": true` (the digest is
/// computed locally otherwise). Its body is `{originData, hashAlg}`, no head.
pub static COMPUTE_DIGEST: Endpoint = Endpoint {
    name: "digest",
    section: "4.3.4",
    http: Http::Post,
    path: "/gateway/common/computeDigestForAlg",
    shape: Shape::Flat,
    creds: Creds::None,
    sys_tag: SysTag::None,
    delivery: Delivery::Retry,
    defaults: NO_DEFAULTS,
    rules: &[&[req("originData", Text), opt("hashAlg", HashAlg)]],
};

pub static SIGN_DATA: Endpoint = Endpoint {
    name: "sign_data",
    section: "4.3.5",
    http: Http::Post,
    path: "/gateway/recipe/synRecipeInfo",
    shape: Shape::Msg,
    creds: Creds::ClientIdAndSecret,
    sys_tag: SysTag::Head,
    delivery: Delivery::Outbox(MSG_QUEUE),
    defaults: NO_DEFAULTS,
    rules: &[SIGN_DATA_RULES, PATIENT],
};

pub static SIGN_BUSINESS: Endpoint = Endpoint {
    name: "sign_business",
    section: "4.3.6",
    http: Http::Post,
    path: "/gateway/signInfo/syn",
    shape: Shape::Msg,
    creds: Creds::ClientIdAndSecret,
    sys_tag: SysTag::Head,
    delivery: Delivery::Outbox(MSG_QUEUE),
    defaults: NO_DEFAULTS,
    rules: &[&[
        req("signType", OneOf(&["0", "1", "2"])),
        req(
            "head.templateId",
            Template {
                exact: &["personPdf"],
                prefixes: &["contract_", "office_"],
            },
        ),
        req("body.urId", Alnum(32)),
        req("body.openId", Text),
        req("body.viewName", Text),
        req("body.viewTime", DateTime),
        req("body.pdfBase64", Pdf),
        opt("body.viewSubject", Subject(50)),
        opt("body.viewRemark", MaxChars(300)),
    ]],
};

pub static SIGN_STATUS: Endpoint = Endpoint {
    name: "sign_status",
    section: "4.3.7",
    http: Http::Post,
    path: "/gateway/recipe/querySignDataByUniqueId",
    shape: Shape::HeadBody,
    creds: Creds::ClientId,
    sys_tag: SysTag::None,
    delivery: Delivery::Retry,
    defaults: NO_DEFAULTS,
    rules: &[&[UNIQUE_ID]],
};

pub static SIGN_LIST: Endpoint = Endpoint {
    name: "sign_list",
    section: "5.1.1",
    http: Http::Post,
    path: "/gateway/recipe/signDataListSearchByTime",
    shape: Shape::HeadBody,
    creds: Creds::ClientId,
    sys_tag: SysTag::None,
    delivery: Delivery::Retry,
    defaults: &[
        ("body.pageNum", DefaultValue::Int(1)),
        ("body.pageSize", DefaultValue::Int(10)),
    ],
    rules: &[&[
        req("body.startDate", DateTime),
        req("body.endDate", DateTime),
        req("body.pageNum", Range(1, 1_000_000)),
        req("body.pageSize", Range(1, 1000)),
    ]],
};

pub static SIGN_RESULT: Endpoint = Endpoint {
    name: "sign_result",
    section: "5.1.2",
    http: Http::Post,
    path: "/gateway/recipe/synSignDataSearch",
    shape: Shape::HeadBody,
    creds: Creds::ClientIdAndSecret,
    sys_tag: SysTag::None,
    delivery: Delivery::Retry,
    defaults: NO_DEFAULTS,
    rules: &[&[UNIQUE_ID, opt("body.isP1", Bool)]],
};

pub static DOCTOR_PENDING: Endpoint = Endpoint {
    name: "doctor_pending",
    section: "5.1.3",
    http: Http::Get,
    path: "/gateway/doctor/existUnsign",
    shape: Shape::Query,
    creds: Creds::None,
    sys_tag: SysTag::None,
    delivery: Delivery::Retry,
    defaults: NO_DEFAULTS,
    rules: &[&[req("openId", Text)]],
};

pub static SIGN_DELETE: Endpoint = Endpoint {
    name: "sign_delete",
    section: "5.1.4",
    http: Http::Post,
    path: "/gateway/recipe/deleteUnsignedDataByUniqueId",
    shape: Shape::HeadBody,
    creds: Creds::ClientId,
    sys_tag: SysTag::None,
    delivery: Delivery::Retry,
    defaults: NO_DEFAULTS,
    rules: &[&[UNIQUE_ID]],
};

pub static VERIFY_DATA: Endpoint = Endpoint {
    name: "verify_data",
    section: "6.1.1",
    http: Http::Post,
    path: "/gateway/recipe/verifyDataById",
    shape: Shape::HeadBody,
    creds: Creds::ClientIdAndSecret,
    sys_tag: SysTag::None,
    delivery: Delivery::Retry,
    defaults: NO_DEFAULTS,
    rules: &[VERIFY_DATA_RULES, PATIENT],
};

pub static VERIFY_TIMESTAMP: Endpoint = Endpoint {
    name: "verify_timestamp",
    section: "6.1.2",
    http: Http::Post,
    path: "/gateway/recipe/verifyTimeStamp",
    shape: Shape::HeadBody,
    creds: Creds::ClientIdAndSecret,
    sys_tag: SysTag::None,
    delivery: Delivery::Retry,
    defaults: NO_DEFAULTS,
    rules: &[&[UNIQUE_ID]],
};

/// Every endpoint, in the document's order.
pub static ALL: &[&Endpoint] = &[
    &DOCTOR_SEARCH,
    &OAUTH_AUTHORIZE,
    &OAUTH_TOKENINFO,
    &SELFSIGN_REQUEST,
    &SELFSIGN_RESULT,
    &SELFSIGN_QUIT,
    &COMPUTE_DIGEST,
    &SIGN_DATA,
    &SIGN_BUSINESS,
    &SIGN_STATUS,
    &SIGN_LIST,
    &SIGN_RESULT,
    &DOCTOR_PENDING,
    &SIGN_DELETE,
    &VERIFY_DATA,
    &VERIFY_TIMESTAMP,
];

impl Endpoint {
    /// Where its order key is, for a push the outbox keeps.
    pub fn queue(&self) -> Option<&Queue> {
        match &self.delivery {
            Delivery::Outbox(q) => Some(q),
            Delivery::Retry => None,
        }
    }

    /// Whether an order with this `templateId` is one this endpoint makes
    /// (a 5.1.1 row is matched to a push of the same kind).
    pub fn makes_template(&self, template_id: &str) -> bool {
        self.rules
            .iter()
            .flat_map(|g| g.iter())
            .any(|r| match r.check {
                Template { exact, prefixes } => {
                    r.field.ends_with("templateId")
                        && (exact.contains(&template_id)
                            || prefixes.iter().any(|p| template_id.starts_with(p)))
                }
                _ => false,
            })
    }
}

/// The template family of a sign-data order.
pub fn family(template_id: &str) -> Family {
    if template_id.starts_with("hash") {
        Family::Hash
    } else {
        Family::Pdf
    }
}
