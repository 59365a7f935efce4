//! The gateway's endpoints: one table, one entry each (DESIGN §2, §3).
//! Adding an endpoint is adding an entry here and its export in `ffi.rs`.

use crate::rules::{Check::*, Family, Need, Rule, opt, req};
use crate::transport::Method;

/// How a request is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `{"head": {...}, "body": {...}}`
    HeadBody,
    /// `{"signType": .., "msg": {"head": {...}, "body": {...}}}`
    Msg,
    /// A GET: the object's fields are the query parameters.
    Query,
}

/// Whether a call may be retried or, if it cannot be delivered, queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Harmless to send twice: retried on transient failures.
    Query,
    /// A signature push, keyed by urId.
    Push,
}

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

pub struct Endpoint {
    /// The export's name without `ywx_`, and `ywx_call`'s method.
    pub name: &'static str,
    pub http: Method,
    pub path: &'static str,
    pub shape: Shape,
    pub creds: Creds,
    pub sys_tag: SysTag,
    pub kind: Kind,
    /// Defaults the document gives, filled when absent.
    pub defaults: &'static [(&'static str, DefaultValue)],
    /// Groups of rules from the seed's field tables.
    pub rules: &'static [&'static [Rule]],
}

#[derive(Debug, Clone, Copy)]
pub enum DefaultValue {
    Str(&'static str),
    Int(i64),
}

const UNIQUE_ID: Rule = req("body.uniqueId", Text);
const OPEN_ID: Rule = req("body.openId", Text);

/// Fields of a medical order (seed 4.3.5), shared by the push and by
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

const SIGN_DATA: &[Rule] = &[
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
    req("body.hashValue", Base64).only(Family::Hash),
    req("body.hashType", HashAlg).only(Family::Hash),
    opt("body.tag", Tags).only(Family::Hash),
    req("body.pdfBase64", Pdf).only(Family::Pdf),
    req("body.roles", Roles).only(Family::Pdf),
];

const VERIFY_DATA: &[Rule] = &[
    req("head.uniqueId", Text),
    req("body.urId", Alnum(64)),
    req("body.hashValue", Base64),
    req("body.hashType", HashAlg),
    opt("body.tag", Tags),
];

const NO_DEFAULTS: &[(&str, DefaultValue)] = &[];

pub static ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        name: "doctor_search",
        http: Method::Post,
        path: "/gateway/doctor/synDoctorSearch",
        shape: Shape::HeadBody,
        creds: Creds::ClientId,
        sys_tag: SysTag::None,
        kind: Kind::Query,
        defaults: NO_DEFAULTS,
        rules: &[&[req(
            "body",
            AnyOf(&["openId", "phone", "userIdcardNum", "employeeNumber"]),
        )]],
    },
    Endpoint {
        name: "oauth_authorize",
        http: Method::Get,
        path: "/gateway/oauth/authorize",
        shape: Shape::Query,
        creds: Creds::ClientId,
        sys_tag: SysTag::Query,
        kind: Kind::Query,
        defaults: &[("responseType", DefaultValue::Str("code"))],
        rules: &[&[
            req("responseType", OneOf(&["code"])),
            opt("selfSign", Bool),
            opt("sessionTime", Range(1, 16)),
        ]],
    },
    Endpoint {
        name: "oauth_tokeninfo",
        http: Method::Get,
        path: "/gateway/oauth/tokeninfo",
        shape: Shape::Query,
        creds: Creds::ClientId,
        sys_tag: SysTag::None,
        kind: Kind::Query,
        defaults: NO_DEFAULTS,
        rules: &[&[req("requestId", Text)]],
    },
    Endpoint {
        name: "selfsign_request",
        http: Method::Post,
        path: "/gateway/selfSign/request",
        shape: Shape::HeadBody,
        creds: Creds::ClientIdAndSecret,
        sys_tag: SysTag::Body,
        kind: Kind::Query,
        defaults: NO_DEFAULTS,
        rules: &[&[OPEN_ID, opt("body.sessionTime", Range(1, 16))]],
    },
    Endpoint {
        name: "selfsign_result",
        http: Method::Post,
        path: "/gateway/selfSign/getResult",
        shape: Shape::HeadBody,
        creds: Creds::ClientIdAndSecret,
        sys_tag: SysTag::Body,
        kind: Kind::Query,
        defaults: NO_DEFAULTS,
        rules: &[&[OPEN_ID]],
    },
    Endpoint {
        name: "selfsign_quit",
        http: Method::Post,
        path: "/gateway/selfSign/quit",
        shape: Shape::HeadBody,
        creds: Creds::ClientIdAndSecret,
        sys_tag: SysTag::Body,
        kind: Kind::Query,
        defaults: NO_DEFAULTS,
        rules: &[&[OPEN_ID]],
    },
    Endpoint {
        name: "sign_data",
        http: Method::Post,
        path: "/gateway/recipe/synRecipeInfo",
        shape: Shape::Msg,
        creds: Creds::ClientIdAndSecret,
        sys_tag: SysTag::Head,
        kind: Kind::Push,
        defaults: NO_DEFAULTS,
        rules: &[SIGN_DATA, PATIENT],
    },
    Endpoint {
        name: "sign_business",
        http: Method::Post,
        path: "/gateway/signInfo/syn",
        shape: Shape::Msg,
        creds: Creds::ClientIdAndSecret,
        sys_tag: SysTag::Head,
        kind: Kind::Push,
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
    },
    Endpoint {
        name: "sign_status",
        http: Method::Post,
        path: "/gateway/recipe/querySignDataByUniqueId",
        shape: Shape::HeadBody,
        creds: Creds::ClientId,
        sys_tag: SysTag::None,
        kind: Kind::Query,
        defaults: NO_DEFAULTS,
        rules: &[&[UNIQUE_ID]],
    },
    Endpoint {
        name: "sign_list",
        http: Method::Post,
        path: "/gateway/recipe/signDataListSearchByTime",
        shape: Shape::HeadBody,
        creds: Creds::ClientId,
        sys_tag: SysTag::None,
        kind: Kind::Query,
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
    },
    Endpoint {
        name: "sign_result",
        http: Method::Post,
        path: "/gateway/recipe/synSignDataSearch",
        shape: Shape::HeadBody,
        creds: Creds::ClientIdAndSecret,
        sys_tag: SysTag::None,
        kind: Kind::Query,
        defaults: NO_DEFAULTS,
        rules: &[&[UNIQUE_ID, opt("body.isP1", Bool)]],
    },
    Endpoint {
        name: "doctor_pending",
        http: Method::Get,
        path: "/gateway/doctor/existUnsign",
        shape: Shape::Query,
        creds: Creds::None,
        sys_tag: SysTag::None,
        kind: Kind::Query,
        defaults: NO_DEFAULTS,
        rules: &[&[req("openId", Text)]],
    },
    Endpoint {
        name: "sign_delete",
        http: Method::Post,
        path: "/gateway/recipe/deleteUnsignedDataByUniqueId",
        shape: Shape::HeadBody,
        creds: Creds::ClientId,
        sys_tag: SysTag::None,
        kind: Kind::Query,
        defaults: NO_DEFAULTS,
        rules: &[&[UNIQUE_ID]],
    },
    Endpoint {
        name: "verify_data",
        http: Method::Post,
        path: "/gateway/recipe/verifyDataById",
        shape: Shape::HeadBody,
        creds: Creds::ClientIdAndSecret,
        sys_tag: SysTag::None,
        kind: Kind::Query,
        defaults: NO_DEFAULTS,
        rules: &[VERIFY_DATA, PATIENT],
    },
    Endpoint {
        name: "verify_timestamp",
        http: Method::Post,
        path: "/gateway/recipe/verifyTimeStamp",
        shape: Shape::HeadBody,
        creds: Creds::ClientIdAndSecret,
        sys_tag: SysTag::None,
        kind: Kind::Query,
        defaults: NO_DEFAULTS,
        rules: &[&[UNIQUE_ID]],
    },
];

/// The endpoint a method name (`"sign_data"`) stands for.
pub fn find(name: &str) -> Option<&'static Endpoint> {
    ENDPOINTS.iter().find(|e| e.name == name)
}

/// The template family of a sign-data order.
pub fn family(template_id: &str) -> Family {
    if template_id.starts_with("hash") {
        Family::Hash
    } else {
        Family::Pdf
    }
}
