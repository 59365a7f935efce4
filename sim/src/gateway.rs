//! The gateway endpoints: one table entry per endpoint (path, method, handler).

use crate::fields::*;
use crate::img;
use crate::world::*;
use base64::Engine;
use serde_json::{Map, Value, json};
use std::sync::Arc;

pub const CLIENT_IDS: &[&str] = &["2017070411003376", "2017070411003371", "2015112716143751"];
pub const CLIENT_SECRETS: &[&str] = &["2017070411003360", "2021112519000550"];
const PDF_MAX: usize = 2 * 1024 * 1024;

/// A gateway request: query parameters (GET) or the parsed JSON body (POST).
pub struct Req {
    pub q: Map<String, Value>,
    pub body: Value,
}

impl Req {
    fn root(&self) -> &Map<String, Value> {
        self.body.as_object().unwrap_or(&self.q)
    }
}

type Handler = fn(&Arc<Shared>, &Req) -> R<Value>;

pub struct Route {
    pub path: &'static str,
    pub method: &'static str,
    pub handler: Handler,
}

pub const ROUTES: &[Route] = &[
    Route {
        path: "/gateway/doctor/synDoctorSearch",
        method: "POST",
        handler: doctor_search,
    },
    Route {
        path: "/gateway/oauth/authorize",
        method: "GET",
        handler: oauth_authorize,
    },
    Route {
        path: "/gateway/oauth/tokeninfo",
        method: "GET",
        handler: oauth_tokeninfo,
    },
    Route {
        path: "/gateway/selfSign/request",
        method: "POST",
        handler: self_sign_request,
    },
    Route {
        path: "/gateway/selfSign/getResult",
        method: "POST",
        handler: self_sign_result,
    },
    Route {
        path: "/gateway/selfSign/quit",
        method: "POST",
        handler: self_sign_quit,
    },
    Route {
        path: "/gateway/common/computeDigestForAlg",
        method: "POST",
        handler: compute_digest,
    },
    Route {
        path: "/gateway/recipe/synRecipeInfo",
        method: "POST",
        handler: push_recipe,
    },
    Route {
        path: "/gateway/signInfo/syn",
        method: "POST",
        handler: push_business,
    },
    Route {
        path: "/gateway/recipe/querySignDataByUniqueId",
        method: "POST",
        handler: query_order,
    },
    Route {
        path: "/gateway/recipe/signDataListSearchByTime",
        method: "POST",
        handler: list_by_time,
    },
    Route {
        path: "/gateway/recipe/synSignDataSearch",
        method: "POST",
        handler: sign_result,
    },
    Route {
        path: "/gateway/doctor/existUnsign",
        method: "GET",
        handler: exist_unsign,
    },
    Route {
        path: "/gateway/recipe/deleteUnsignedDataByUniqueId",
        method: "POST",
        handler: delete_order,
    },
    Route {
        path: "/gateway/recipe/verifyDataById",
        method: "POST",
        handler: verify_data,
    },
    Route {
        path: "/gateway/recipe/verifyTimeStamp",
        method: "POST",
        handler: verify_timestamp,
    },
];

/// Check clientId (always) and clientSecret (required or, when present, right).
fn auth(m: &Map<String, Value>, path: &str, secret_required: bool) -> R<String> {
    let cid = s_nonempty(m, "clientId", path)?
        .ok_or_else(|| err(E_AUTH, format!("认证失败：缺少 {path}clientId")))?;
    if !CLIENT_IDS.contains(&cid.as_str()) {
        return Err(err(E_AUTH, format!("认证失败：clientId 未注册（{cid}）")));
    }
    match s_nonempty(m, "clientSecret", path)? {
        Some(s) if !CLIENT_SECRETS.contains(&s.as_str()) => {
            Err(err(E_AUTH, "认证失败：clientSecret 错误"))
        }
        None if secret_required => Err(err(
            E_AUTH,
            format!("认证失败：缺少 {path}clientSecret（该接口必须提供 clientSecret）"),
        )),
        _ => Ok(cid),
    }
}

/// head + body of a `{"head":{..},"body":{..}}` request, with the client checked.
type Obj = Map<String, Value>;

fn head_body(req: &Req, secret: bool) -> R<(String, &Obj, &Obj)> {
    let root = req.root();
    let head = obj(root, "head", "")?;
    let cid = auth(head, "head.", secret)?;
    let body = obj(root, "body", "")?;
    Ok((cid, head, body))
}

fn find_doctor<'a>(w: &'a World, open_id: &str) -> R<&'a Doctor> {
    w.doctors
        .iter()
        .find(|d| d.open_id == open_id)
        .ok_or_else(|| err(E_DOCTOR_MISSING, format!("医师不存在：openId={open_id}")))
}

fn signable_doctor<'a>(w: &'a World, open_id: &str) -> R<&'a Doctor> {
    let d = find_doctor(w, open_id)?;
    match d.cannot_sign() {
        Some(why) => Err(err(E_DOCTOR_STATE, why)),
        None => Ok(d),
    }
}

fn doctor_search(sh: &Arc<Shared>, req: &Req) -> R<Value> {
    let (_cid, _h, b) = head_body(req, false)?;
    let crit: Vec<(&str, String)> = ["openId", "phone", "userIdcardNum", "employeeNumber"]
        .iter()
        .map(|k| Ok((*k, s_nonempty(b, k, "body.")?)))
        .collect::<R<Vec<_>>>()?
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
    if crit.is_empty() {
        return Err(bad(
            "参数错误：openId、phone、userIdcardNum、employeeNumber 四个查询参数不能同时为空",
        ));
    }
    let w = sh.lock();
    let d = w.doctors.iter().find(|d| {
        crit.iter().all(|(k, v)| match *k {
            "openId" => &d.open_id == v,
            "phone" => &d.phone == v,
            "userIdcardNum" => &d.idcard == v,
            _ => &d.employee_number == v,
        })
    });
    match d {
        Some(d) => Ok(d.json()),
        None => Err(err(
            E_DOCTOR_MISSING,
            "医师不存在：未找到符合条件的同步医师",
        )),
    }
}

fn session_hours(m: &Map<String, Value>, path: &str) -> R<i64> {
    let h = int_opt(m, "sessionTime", path)?.unwrap_or(4);
    if !(1..=16).contains(&h) {
        return Err(bad(format!(
            "参数错误：{path}sessionTime 范围 1-16（小时），收到 {h}"
        )));
    }
    Ok(h)
}

fn sys_tag(m: &Map<String, Value>, path: &str) -> R<String> {
    Ok(s_nonempty(m, "sysTag", path)?.unwrap_or_else(|| "NULL".into()))
}

fn oauth_authorize(sh: &Arc<Shared>, req: &Req) -> R<Value> {
    let q = &req.q;
    let cid = auth(q, "", false)?;
    match s_nonempty(q, "responseType", "")? {
        Some(t) if t == "code" => {}
        Some(t) => return Err(bad(format!("参数错误：responseType 必须为 code，收到 {t}"))),
        None => return Err(bad("参数错误：缺少 responseType（固定值 code）")),
    }
    let self_sign = bool_opt(q, "selfSign", "")?.unwrap_or(false);
    let tag = sys_tag(q, "")?;
    let hours = session_hours(q, "")?;
    let id = new_request_id(sh.now_ms(), &tag);
    let img = img::qr_base64(&format!(
        "https://test.51trust.com/gateway/oauth/scan?requestId={id}"
    ));
    sh.lock().oauth.insert(
        id.clone(),
        OAuthReq {
            client_id: cid,
            created_ms: sh.now_ms(),
            status: Scan::Pending,
            open_id: String::new(),
            self_sign,
            sys_tag: tag,
            session_hours: hours,
        },
    );
    // The real gateway gives `time` as a number, though the table says String.
    Ok(json!({"requestId": id, "imgBase64": img, "time": QR_TTL_SECS}))
}

fn oauth_tokeninfo(sh: &Arc<Shared>, req: &Req) -> R<Value> {
    let q = &req.q;
    let cid = auth(q, "", false)?;
    let rid = s_req(q, "requestId", "")?;
    let w = sh.lock();
    let r = w
        .oauth
        .get(&rid)
        .filter(|r| r.client_id == cid)
        .ok_or_else(|| {
            err(
                E_REQUEST_MISSING,
                format!("认证请求不存在：requestId={rid}"),
            )
        })?;
    if sh.now_ms() - r.created_ms > QR_TTL_SECS * 1000 {
        return Err(err(
            E_EXPIRED,
            "认证请求已过期（requestId 有效期 120 秒），请重新发起认证",
        ));
    }
    match r.status {
        Scan::Pending => Err(err_bare(E_NOT_SCANNED, "未授权")),
        Scan::Refused => Err(err(E_REFUSED, "用户拒绝授权")),
        Scan::Approved => {
            let d = find_doctor(&w, &r.open_id)?;
            Ok(json!({
                "openId": d.open_id,
                "userIdType": "SF",
                "userIdcardNum": d.idcard,
                "userType": "0",
                "userName": d.user_name,
            }))
        }
    }
}

fn self_sign_qr(cid: &str, open_id: &str, tag: &str) -> String {
    img::qr_base64(&format!(
        "https://test.51trust.com/gateway/selfSign/scan?clientId={cid}&openId={open_id}&sysTag={tag}&nonce={}",
        random_hex32()
    ))
}

fn self_sign_request(sh: &Arc<Shared>, req: &Req) -> R<Value> {
    let (cid, _h, b) = head_body(req, true)?;
    let open_id = s_req(b, "openId", "body.")?;
    let tag = sys_tag(b, "body.")?;
    let hours = session_hours(b, "body.")?;
    let mut w = sh.lock();
    signable_doctor(&w, &open_id)?;
    let qr = self_sign_qr(&cid, &open_id, &tag);
    w.self_reqs.insert(
        (cid, open_id, tag),
        SelfSignReq {
            created_ms: sh.now_ms(),
            grant_step: 0,
            session_hours: hours,
        },
    );
    Ok(Value::String(qr))
}

fn self_sign_result(sh: &Arc<Shared>, req: &Req) -> R<Value> {
    let (cid, _h, b) = head_body(req, true)?;
    let open_id = s_req(b, "openId", "body.")?;
    let tag = sys_tag(b, "body.")?;
    let key = (cid, open_id, tag);
    let w = sh.lock();
    let step = match w.self_reqs.get(&key) {
        Some(r) if r.grant_step == 0 && sh.now_ms() - r.created_ms > QR_TTL_SECS * 1000 => {
            return Err(err(
                E_EXPIRED,
                "自动签名授权二维码已过期（有效期 120 秒），请重新请求授权",
            ));
        }
        Some(r) => r.grant_step,
        None if sh.session_active(&w, &key) => 1,
        None => 0,
    };
    Ok(json!({ "grantStep": step }))
}

fn self_sign_quit(sh: &Arc<Shared>, req: &Req) -> R<Value> {
    let (cid, _h, b) = head_body(req, true)?;
    let open_id = s_req(b, "openId", "body.")?;
    let tag = sys_tag(b, "body.")?;
    let key = (cid, open_id, tag);
    let mut w = sh.lock();
    w.sessions.remove(&key);
    w.self_reqs.remove(&key);
    Ok(Value::Null)
}

fn compute_digest(_sh: &Arc<Shared>, req: &Req) -> R<Value> {
    let root = req.root();
    let (m, path) = match root.get("body") {
        Some(Value::Object(b)) => {
            if let Some(Value::Object(h)) = root.get("head") {
                if h.contains_key("clientId") {
                    auth(h, "head.", false)?;
                }
            }
            (b, "body.")
        }
        _ => (root, ""),
    };
    let data = s_opt(m, "originData", path)?
        .ok_or_else(|| bad(format!("参数错误：缺少 {path}originData")))?;
    let alg = match s_nonempty(m, "hashAlg", path)? {
        None => "SM3",
        Some(a) => norm_alg(&a).ok_or_else(|| {
            bad(format!(
                "参数错误：{path}hashAlg 仅支持 SHA1、SHA256、SM3，收到 {a}"
            ))
        })?,
    };
    Ok(json!({"hashValue": B64.encode(digest(alg, data.as_bytes())), "hashType": alg}))
}

fn check_len(b: &Map<String, Value>, name: &str, max: usize) -> R<Option<String>> {
    let v = s_opt(b, name, "body.")?;
    if let Some(s) = &v {
        if s.chars().count() > max {
            return Err(bad(format!("参数错误：body.{name} 最多 {max} 个字符")));
        }
    }
    Ok(v)
}

fn check_time(sh: &Shared, b: &Map<String, Value>, name: &str) -> R<String> {
    let t = s_req(b, name, "body.")?;
    if sh.parse_time(&t).is_none() {
        return Err(bad(format!(
            "参数错误：body.{name} 格式应为 yyyy-MM-dd HH:mm:ss，收到 {t}"
        )));
    }
    Ok(t)
}

fn check_patient(sh: &Shared, b: &Map<String, Value>) -> R<()> {
    s_req(b, "patientName", "body.")?;
    s_req(b, "patientAge", "body.")?;
    let sex = s_req(b, "patientSex", "body.")?;
    if !["男", "女", "未知"].contains(&sex.as_str()) {
        return Err(bad(format!(
            "参数错误：body.patientSex 只能是 男、女、未知，收到 {sex}"
        )));
    }
    let ct = s_req(b, "patientCardType", "body.")?;
    if !["YB", "SF", "HZ", "QT"].contains(&ct.as_str()) {
        return Err(bad(format!(
            "参数错误：body.patientCardType 只能是 YB、SF、HZ、QT，收到 {ct}"
        )));
    }
    let card = check_len(b, "patientCard", 20)?;
    if ct != "QT" && card.as_deref().is_none_or(|c| c.trim().is_empty()) {
        return Err(bad(
            "参数错误：缺少 body.patientCard（证件类型不是 QT 时必填）",
        ));
    }
    check_time(sh, b, "recipeTime")?;
    check_len(b, "subject", 50)?;
    if let Some(tag) = s_opt(b, "tag", "body.")? {
        let tags: Vec<&str> = tag.split(',').filter(|t| !t.is_empty()).collect();
        if tags.len() > 5 || tags.iter().any(|t| t.chars().count() > 5) {
            return Err(bad(
                "参数错误：body.tag 最多 5 个标签，每个标签最多 5 个字符",
            ));
        }
    }
    Ok(())
}

fn check_pdf(b: &Map<String, Value>) -> R<Vec<u8>> {
    let s = s_req(b, "pdfBase64", "body.")?;
    let cleaned: String = s.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let bytes = B64
        .decode(cleaned.as_bytes())
        .map_err(|_| bad("参数错误：body.pdfBase64 不是合法的 base64 编码的 PDF 文件"))?;
    if !bytes.starts_with(b"%PDF-") {
        return Err(bad(
            "参数错误：body.pdfBase64 解码后不是 PDF 文件（应以 %PDF- 开头）",
        ));
    }
    if bytes.len() > PDF_MAX {
        return Err(bad("参数错误：body.pdfBase64 文件超过 2M"));
    }
    Ok(bytes)
}

fn check_urid(b: &Map<String, Value>, max: usize) -> R<String> {
    let u = s_req(b, "urId", "body.")?;
    if u.len() > max || !u.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(bad(format!(
            "参数错误：body.urId 只能是字母、数字，长度 1-{max} 位，收到 {u}"
        )));
    }
    Ok(u)
}

struct Validated {
    ur_id: String,
    open_id: String,
    kind: Kind,
    content: Vec<u8>,
    pdf: Option<Vec<u8>>,
}

fn validate_recipe(
    sh: &Shared,
    template: &str,
    sign_type: i64,
    b: &Map<String, Value>,
) -> R<Validated> {
    let ur_id = check_urid(b, 64)?;
    let open_id = s_nonempty(b, "openId", "body.")?.unwrap_or_default();
    if sign_type == 0 && open_id.is_empty() {
        return Err(bad(
            "参数错误：缺少 body.openId（signType=0 推送签名必须指定医师）",
        ));
    }
    check_patient(sh, b)?;
    if template == "personRolesPdf" {
        let pdf = check_pdf(b)?;
        let roles = match b.get("roles") {
            Some(Value::Array(a)) if !a.is_empty() => a,
            Some(Value::Array(_)) | None | Some(Value::Null) => {
                return Err(bad("参数错误：缺少 body.roles（盖章区域列表不能为空）"));
            }
            Some(_) => return Err(bad("参数错误：body.roles 必须是数组")),
        };
        for (i, r) in roles.iter().enumerate() {
            let p = format!("body.roles[{i}].");
            let r = r
                .as_object()
                .ok_or_else(|| bad(format!("参数错误：body.roles[{i}] 必须是 JSON 对象")))?;
            let kw = s_nonempty(r, "keyword", &p)?;
            let page = int_opt(r, "locationPage", &p)?;
            let x = float_opt(r, "x", &p)?;
            let y = float_opt(r, "y", &p)?;
            float_opt(r, "scale", &p)?;
            int_opt(r, "searchNum", &p)?;
            match (kw, page, x, y) {
                (Some(k), ..) if k.contains(' ') => {
                    return Err(bad(format!("参数错误：{p}keyword 中间不能含有空格")));
                }
                (Some(_), ..) => {}
                (None, Some(pg), Some(x), Some(y)) => {
                    if pg < 1 || x <= 50.0 || y <= 50.0 {
                        return Err(bad(format!(
                            "参数错误：{p}locationPage 最小 1，x、y 须大于 50"
                        )));
                    }
                }
                _ => {
                    return Err(bad(format!(
                        "参数错误：{p} 需要 keyword，或 locationPage + x + y"
                    )));
                }
            }
        }
        let content = sha2_256(&pdf);
        return Ok(Validated {
            ur_id,
            open_id,
            kind: Kind::Pdf,
            content,
            pdf: Some(pdf),
        });
    }
    let hv = s_req(b, "hashValue", "body.")?;
    let ht = s_req(b, "hashType", "body.")?;
    let alg = norm_alg(&ht).ok_or_else(|| {
        bad(format!(
            "参数错误：body.hashType 仅支持 SHA1、SHA256、SM3，收到 {ht}"
        ))
    })?;
    let content = B64
        .decode(hv.trim().as_bytes())
        .map_err(|_| bad("参数错误：body.hashValue 不是合法的 base64"))?;
    let want = if alg == "SHA1" { 20 } else { 32 };
    if content.len() != want {
        return Err(bad(format!(
            "参数错误：body.hashValue 长度与 hashType 不符（{alg} 摘要应为 {want} 字节，收到 {} 字节）",
            content.len()
        )));
    }
    check_len(b, "remarks", 300)?;
    Ok(Validated {
        ur_id,
        open_id,
        kind: Kind::Hash,
        content,
        pdf: None,
    })
}

fn validate_business(sh: &Shared, b: &Map<String, Value>) -> R<Validated> {
    let ur_id = check_urid(b, 32)?;
    let open_id = s_req(b, "openId", "body.")?;
    s_req(b, "viewName", "body.")?;
    check_time(sh, b, "viewTime")?;
    check_len(b, "viewSubject", 50)?;
    check_len(b, "viewRemark", 300)?;
    let pdf = check_pdf(b)?;
    let content = sha2_256(&pdf);
    Ok(Validated {
        ur_id,
        open_id,
        kind: Kind::Pdf,
        content,
        pdf: Some(pdf),
    })
}

fn sha2_256(b: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(b).to_vec()
}

fn push_recipe(sh: &Arc<Shared>, req: &Req) -> R<Value> {
    push(sh, req, false)
}

fn push_business(sh: &Arc<Shared>, req: &Req) -> R<Value> {
    push(sh, req, true)
}

fn push(sh: &Arc<Shared>, req: &Req, business: bool) -> R<Value> {
    let root = req.root();
    let sign_type = int_opt(root, "signType", "")?.ok_or_else(|| bad("参数错误：缺少 signType"))?;
    let msg = obj(root, "msg", "")?;
    let head = obj(msg, "head", "msg.")?;
    let cid = auth(head, "msg.head.", true)?;
    let b = obj(msg, "body", "msg.")?;
    let template = s_req(head, "templateId", "msg.head.")?;
    let allowed: &[i64] = if business { &[0, 1, 2] } else { &[0, 4] };
    if !allowed.contains(&sign_type) {
        return Err(bad(format!(
            "参数错误：signType 只能是 {}，收到 {sign_type}",
            allowed
                .iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join("、")
        )));
    }
    let is_hash = template == "hash"
        || template
            .strip_prefix("hash_")
            .is_some_and(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric()));
    let v = if business {
        let ok = template == "personPdf"
            || template.starts_with("contract_")
            || template.starts_with("office_");
        if !ok {
            return Err(bad(format!(
                "参数错误：msg.head.templateId 不支持 {template}（商务办公类支持 contract_*、office_*、personPdf）"
            )));
        }
        validate_business(sh, b)?
    } else {
        if !is_hash && template != "personRolesPdf" {
            return Err(bad(format!(
                "参数错误：msg.head.templateId 不支持 {template}（支持 hash、hash_NNN、personRolesPdf）"
            )));
        }
        validate_recipe(sh, &template, sign_type, b)?
    };
    let tag = sys_tag(head, "msg.head.")?;
    let self_sign = match head.get("selfSign") {
        Some(Value::Bool(x)) => Some(x.to_string()),
        _ => s_opt(head, "selfSign", "msg.head.")?,
    };
    s_opt(head, "isLocalTimeStamp", "msg.head.")?;
    s_opt(head, "channelID", "msg.head.")?;
    if let Some(a) = s_nonempty(head, "appendixFileBase64", "msg.head.")? {
        let bytes = B64
            .decode(a.trim().as_bytes())
            .map_err(|_| bad("参数错误：msg.head.appendixFileBase64 不是合法的 base64"))?;
        if bytes.len() > PDF_MAX {
            return Err(bad("参数错误：msg.head.appendixFileBase64 文件超过 2M"));
        }
    }

    let mut w = sh.lock();
    if let Some(&i) = w.by_urid.get(&(cid.clone(), v.ur_id.clone()))
        && !sh.no_dedupe
    {
        return Ok(w.orders[i].push_data.clone());
    }
    let stamp = if v.open_id.is_empty() {
        String::new()
    } else {
        signable_doctor(&w, &v.open_id)?.stamp.clone()
    };
    let now = sh.now_ms();
    let unique_id = new_unique_id(now);
    let tst = sh.pki.timestamp(&v.content, now);
    w.seq += 1;
    let state = if sign_type == 4 {
        ST_UNCLAIMED
    } else {
        ST_PENDING
    };
    let order = Order {
        seq: w.seq,
        client_id: cid.clone(),
        ur_id: v.ur_id.clone(),
        unique_id: unique_id.clone(),
        template_id: template,
        kind: v.kind,
        sign_type,
        open_id: v.open_id.clone(),
        sys_tag: tag.clone(),
        self_sign: self_sign.clone(),
        state,
        pushed_ms: now,
        body: b.clone(),
        content: v.content,
        pdf: v.pdf,
        tst: tst.clone(),
        p1: vec![],
        p7: vec![],
        cert: vec![],
        signed_pdf: None,
        sign_time: String::new(),
        fail_reason: String::new(),
        is_self_sign: false,
        push_data: Value::Null,
    };
    let idx = w.orders.len();
    w.orders.push(order);
    w.by_unique.insert(unique_id.clone(), idx);
    w.by_urid.insert((cid.clone(), v.ur_id), idx);
    if state == ST_PENDING {
        sh.after_pending(&mut w, idx);
    }
    let is_self = w.orders[idx].is_self_sign;
    let mut data = json!({
        "uniqueId": unique_id,
        "isSelfSign": is_self.to_string(),
        "stamp": stamp,
        "time": sh.fmt_time(now),
        "timeStampSignData": B64.encode(&tst),
    });
    if sign_type == 4 {
        data["authSignQRCode"] = Value::String(auth_qr(&unique_id));
    }
    if sign_type == 0 && self_sign.as_deref() == Some("true") && !is_self {
        data["selfSignQRCode"] = Value::String(self_sign_qr(&cid, &v.open_id, &tag));
        w.self_reqs.insert(
            (cid, v.open_id, tag),
            SelfSignReq {
                created_ms: now,
                grant_step: 0,
                session_hours: 4,
            },
        );
    }
    w.orders[idx].push_data = data.clone();
    Ok(data)
}

pub fn auth_qr(unique_id: &str) -> String {
    img::qr_base64(&format!(
        "https://test.51trust.com/gateway/recipe/authSign?uniqueId={unique_id}"
    ))
}

/// The order for (clientId, uniqueId), refreshed for expiry.
fn order_idx(sh: &Shared, w: &mut World, cid: &str, uid: &str) -> R<usize> {
    match w.by_unique.get(uid) {
        Some(&i) if w.orders[i].client_id == cid => {
            let now = sh.now_ms();
            sh.refresh(&mut w.orders[i], now);
            Ok(i)
        }
        _ => Err(err(
            E_ORDER_MISSING,
            format!("签名数据不存在：uniqueId={uid}"),
        )),
    }
}

fn query_order(sh: &Arc<Shared>, req: &Req) -> R<Value> {
    let (cid, _h, b) = head_body(req, false)?;
    let uid = s_req(b, "uniqueId", "body.")?;
    let mut w = sh.lock();
    let i = order_idx(sh, &mut w, &cid, &uid)?;
    let o = &w.orders[i];
    let mut d =
        json!({"urid": o.ur_id, "uniqueid": o.unique_id, "status": o.state, "openId": o.open_id});
    if o.state == ST_UNCLAIMED {
        let qr = o
            .push_data
            .get("authSignQRCode")
            .cloned()
            .unwrap_or_default();
        d["authSignQRCode"] = qr;
    }
    Ok(d)
}

fn list_by_time(sh: &Arc<Shared>, req: &Req) -> R<Value> {
    let (cid, _h, b) = head_body(req, false)?;
    let start = check_time(sh, b, "startDate")?;
    let end = check_time(sh, b, "endDate")?;
    let (start, end) = (
        sh.parse_time(&start).unwrap_or(0),
        sh.parse_time(&end).unwrap_or(0),
    );
    let page_num = int_opt(b, "pageNum", "body.")?.unwrap_or(1);
    let page_size = int_opt(b, "pageSize", "body.")?.unwrap_or(10);
    if page_num < 1 {
        return Err(bad("参数错误：body.pageNum 最小为 1"));
    }
    if !(1..=1000).contains(&page_size) {
        return Err(bad("参数错误：body.pageSize 范围 1-1000"));
    }
    let mut w = sh.lock();
    sh.refresh_all(&mut w);
    // pushed_ms has millisecond precision; the bounds are whole seconds
    let mut hits: Vec<&Order> = w
        .orders
        .iter()
        .filter(|o| {
            o.client_id == cid
                && o.pushed_ms / 1000 * 1000 >= start
                && o.pushed_ms / 1000 * 1000 <= end
        })
        .collect();
    hits.sort_by_key(|o| o.seq);
    let total = hits.len() as i64;
    let pages = (total + page_size - 1) / page_size;
    let list: Vec<Value> = hits
        .iter()
        .skip(((page_num - 1) * page_size) as usize)
        .take(page_size as usize)
        .map(|o| {
            json!({
                "urid": o.ur_id,
                "uniqueid": o.unique_id,
                "status": o.state,
                "openId": o.open_id,
                // Beside the document's four fields: a recipe order (4.3.5,
                // hash*/personRolesPdf) and a business order (4.3.6,
                // contract_*/office_*/personPdf) may share a urId.
                "templateId": o.template_id,
            })
        })
        .collect();
    Ok(
        json!({"pageNum": page_num, "pageSize": page_size, "total": total, "pages": pages, "list": list}),
    )
}

fn sign_result(sh: &Arc<Shared>, req: &Req) -> R<Value> {
    let (cid, _h, b) = head_body(req, true)?;
    let uid = s_req(b, "uniqueId", "body.")?;
    let is_p1 = bool_opt(b, "isP1", "body.")?.unwrap_or(false);
    let mut w = sh.lock();
    let i = order_idx(sh, &mut w, &cid, &uid)?;
    let o = &w.orders[i];
    let stamp = w
        .doctors
        .iter()
        .find(|d| d.open_id == o.open_id)
        .map(|d| d.stamp.clone())
        .unwrap_or_default();
    let mut d = json!({"urId": o.ur_id, "uniqueId": o.unique_id});
    if o.state == ST_SIGNED {
        if is_p1 {
            d["p1"] = B64.encode(&o.p1).into();
            d["cert"] = B64.encode(&o.cert).into();
        } else {
            d["signedData"] = B64.encode(&o.p7).into();
        }
        if let Some(p) = &o.signed_pdf {
            d["signedPdfBase64"] = B64.encode(p).into();
        }
    }
    d["stamp"] = stamp.into();
    d["signTime"] = o.sign_time.clone().into();
    d["failReason"] = o.fail_reason.clone().into();
    Ok(d)
}

fn exist_unsign(sh: &Arc<Shared>, req: &Req) -> R<Value> {
    let open_id = s_req(&req.q, "openId", "")?;
    let mut w = sh.lock();
    find_doctor(&w, &open_id)?;
    sh.refresh_all(&mut w);
    let now = sh.now_ms();
    let any = w.orders.iter().any(|o| {
        o.open_id == open_id
            && o.state == ST_PENDING
            && now - o.pushed_ms <= UNSIGN_LOOKBACK_SECS * 1000
    });
    Ok(Value::Bool(any))
}

fn delete_order(sh: &Arc<Shared>, req: &Req) -> R<Value> {
    let (cid, _h, b) = head_body(req, false)?;
    let uid = s_req(b, "uniqueId", "body.")?;
    let mut w = sh.lock();
    let i = order_idx(sh, &mut w, &cid, &uid)?;
    let o = &mut w.orders[i];
    if o.state != ST_PENDING && o.state != ST_UNCLAIMED {
        return Err(err(
            E_ORDER_STATE,
            format!(
                "订单状态为 {}（{}），只有待签数据可以删除",
                o.state,
                state_name(o.state)
            ),
        ));
    }
    o.state = ST_DELETED;
    Ok(Value::Null)
}

const VERIFY_FIELDS: &[&str] = &[
    "urId",
    "openId",
    "patientName",
    "patientAge",
    "patientSex",
    "patientCardType",
    "patientCard",
    "recipeTime",
    "hashValue",
    "hashType",
    "subject",
    "tag",
    "remarks",
];

fn verify_data(sh: &Arc<Shared>, req: &Req) -> R<Value> {
    let (cid, head, b) = head_body(req, true)?;
    let uid = s_req(head, "uniqueId", "head.")?;
    s_req(b, "urId", "body.")?;
    let mut w = sh.lock();
    let i = order_idx(sh, &mut w, &cid, &uid)?;
    let o = &w.orders[i];
    if o.state != ST_SIGNED {
        return Ok(json!({"verifyResult": false}));
    }
    let norm = |k: &str, v: Option<String>| {
        let v = v.unwrap_or_default();
        if k == "hashType" {
            norm_alg(&v).map(str::to_string).unwrap_or(v)
        } else {
            v
        }
    };
    for k in VERIFY_FIELDS {
        let got = norm(k, s_opt(b, k, "body.")?);
        let had = norm(k, s_opt(&o.body, k, "body.").ok().flatten());
        if got != had {
            return Ok(json!({"verifyResult": false}));
        }
    }
    let hv = s_opt(b, "hashValue", "body.")?.unwrap_or_default();
    let ok = match B64.decode(hv.trim().as_bytes()) {
        Ok(content) => {
            let now = sh.now_ms();
            w.doctors
                .iter()
                .find(|d| d.open_id == o.open_id)
                .is_some_and(|d| d.signer.get(&sh.pki, now).key.verify(&content, &o.p1))
        }
        Err(_) => false,
    };
    Ok(json!({"verifyResult": ok}))
}

fn verify_timestamp(sh: &Arc<Shared>, req: &Req) -> R<Value> {
    let (cid, _h, b) = head_body(req, true)?;
    let uid = s_req(b, "uniqueId", "body.")?;
    let mut w = sh.lock();
    let i = order_idx(sh, &mut w, &cid, &uid)?;
    let o = &w.orders[i];
    Ok(json!({"verifyResult": sh.pki.verify_timestamp(&o.tst, &o.content)}))
}
