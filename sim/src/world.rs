//! The simulated world: doctors, OAuth requests, self-sign grants and
//! sessions, sign orders, the clock, faults and counters.

use crate::img;
use crate::pki::{LazySigner, Pki};
use base64::Engine;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

pub const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

pub const QR_TTL_SECS: i64 = 120;
pub const UNSIGN_LOOKBACK_SECS: i64 = 7 * 24 * 3600;

/// Order states (querySignDataByUniqueId `status`).
pub const ST_PENDING: i64 = 0;
pub const ST_SIGNED: i64 = 2;
pub const ST_REFUSED: i64 = 6;
pub const ST_EXPIRED: i64 = 7;
pub const ST_DELETED: i64 = 8;
pub const ST_VOID: i64 = 9;
pub const ST_UNCLAIMED: i64 = 10;
pub const ALL_STATES: [i64; 7] = [0, 2, 6, 7, 8, 9, 10];

pub fn state_name(s: i64) -> &'static str {
    match s {
        0 => "待处理",
        2 => "已签名",
        6 => "拒签",
        7 => "过期",
        8 => "待签删除",
        9 => "作废",
        10 => "未领取",
        _ => "未知",
    }
}

pub struct Doctor {
    pub open_id: String,
    pub employee_number: String,
    pub process: String,
    pub phone: String,
    pub note: String,
    pub time: String,
    pub stamp: String,
    pub stamp_status: String,
    pub idcard: String,
    pub title: String,
    pub user_age: String,
    pub department: String,
    pub user_name: String,
    pub fail_reason: String,
    pub signer: Arc<LazySigner>,
}

impl Doctor {
    pub fn json(&self) -> Value {
        json!({
            "openId": self.open_id,
            "employeeNumber": self.employee_number,
            "process": self.process,
            "phoneNum": self.phone,
            "note": self.note,
            "time": self.time,
            "stamp": self.stamp,
            "stampStatus": self.stamp_status,
            "userIdcardNum": self.idcard,
            "title": self.title,
            "userAge": self.user_age,
            "department": self.department,
            "userName": self.user_name,
            "failReason": self.fail_reason,
        })
    }

    /// Why this doctor may not receive sign data, if so.
    pub fn cannot_sign(&self) -> Option<String> {
        let why = match self.process.as_str() {
            "2" if self.stamp_status == "11" => return None,
            "2" => "签章未审核（stampStatus=10），暂不能签名".to_string(),
            "0" => "医师审核通过但证书尚未签发（process=0），暂不能签名".into(),
            "1" => "医师已签发证书但尚未设置签章（process=1），暂不能签名".into(),
            "3" => "医师已注销（process=3），不能签名".into(),
            "4" => "医师审核被拒绝（process=4），不能签名".into(),
            "5" => "医师已停用（process=5），不能签名".into(),
            p => format!("医师状态 process={p} 不允许签名"),
        };
        Some(format!("{}（openId={}）", why, self.open_id))
    }
}

#[derive(PartialEq, Eq, Clone, Copy)]
pub enum Scan {
    Pending,
    Approved,
    Refused,
}

pub struct OAuthReq {
    pub client_id: String,
    pub created_ms: i64,
    pub status: Scan,
    pub open_id: String,
    pub self_sign: bool,
    pub sys_tag: String,
    pub session_hours: i64,
}

pub struct SelfSignReq {
    pub created_ms: i64,
    pub grant_step: i64,
    pub session_hours: i64,
}

/// (clientId, openId, sysTag)
pub type GrantKey = (String, String, String);

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Hash,
    Pdf,
}

pub struct Order {
    pub seq: u64,
    pub client_id: String,
    pub ur_id: String,
    pub unique_id: String,
    pub template_id: String,
    pub kind: Kind,
    pub sign_type: i64,
    pub open_id: String,
    pub sys_tag: String,
    pub self_sign: Option<String>,
    pub state: i64,
    pub pushed_ms: i64,
    pub body: Map<String, Value>,
    pub content: Vec<u8>,
    pub pdf: Option<Vec<u8>>,
    pub tst: Vec<u8>,
    pub p1: Vec<u8>,
    pub p7: Vec<u8>,
    pub cert: Vec<u8>,
    pub signed_pdf: Option<Vec<u8>>,
    pub sign_time: String,
    pub fail_reason: String,
    pub is_self_sign: bool,
    pub push_data: Value,
}

impl Order {
    /// `recipe` (pushed by 4.3.5: hash*, personRolesPdf) or `business`
    /// (4.3.6: contract_*, office_*, personPdf).
    pub fn push_kind(&self) -> &'static str {
        let t = self.template_id.as_str();
        if t == "personPdf" || t.starts_with("contract_") || t.starts_with("office_") {
            "business"
        } else {
            "recipe"
        }
    }

    pub fn summary(&self, tz: Tz) -> Value {
        json!({
            "uniqueId": self.unique_id,
            "urId": self.ur_id,
            "clientId": self.client_id,
            "state": self.state,
            "stateName": state_name(self.state),
            "openId": self.open_id,
            "templateId": self.template_id,
            "pushKind": self.push_kind(),
            "kind": if self.kind == Kind::Pdf { "pdf" } else { "hash" },
            "signType": self.sign_type,
            "sysTag": self.sys_tag,
            "isSelfSign": self.is_self_sign,
            "pushTime": fmt_time(self.pushed_ms, tz),
            "signTime": self.sign_time,
            "failReason": self.fail_reason,
        })
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FaultMode {
    Latency,
    Http500,
    Http502Html,
    Drop,
    Garbage,
}

pub struct Fault {
    pub mode: FaultMode,
    pub remaining: u64,
    pub latency_ms: u64,
}

#[derive(Default)]
pub struct World {
    pub doctors: Vec<Doctor>,
    pub oauth: HashMap<String, OAuthReq>,
    pub self_reqs: HashMap<GrantKey, SelfSignReq>,
    pub sessions: HashMap<GrantKey, i64>,
    pub orders: Vec<Order>,
    pub by_unique: HashMap<String, usize>,
    pub by_urid: HashMap<(String, String), usize>,
    pub calls: BTreeMap<String, u64>,
    /// Sign pushes received (4.3.5 and 4.3.6), by urId: every POST, also
    /// those answered with a fault, so that a test can tell a push sent
    /// twice from an order made twice.
    pub pushes: BTreeMap<String, u64>,
    pub fault: Option<Fault>,
    pub seq: u64,
}

pub struct Shared {
    pub world: Mutex<World>,
    pub pki: Pki,
    /// The simulator's clock: the system clock plus this offset.
    pub clock_offset_ms: AtomicI64,
    /// The zone of the times the simulator writes and reads: seconds east
    /// of UTC, or `TZ_LOCAL` for the process's local zone.
    pub tz_offset_secs: AtomicI64,
    pub connections: AtomicU64,
    pub auto_sign_ms: Option<u64>,
    pub pending_expiry_secs: u64,
    pub no_dedupe: bool,
}

/// `tz_offset_secs` meaning the process's local zone (`TZ`).
pub const TZ_LOCAL: i64 = i64::MIN;

/// The zone the simulator's times are in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tz {
    /// The process's local zone (`TZ`).
    Local,
    /// A fixed offset from UTC.
    Fixed(chrono::FixedOffset),
}

impl Tz {
    /// `+08:00`, `+0800`, `-05:30`, `+8`, `Z`, `UTC` or `local`.
    pub fn parse(s: &str) -> Option<Tz> {
        let t = s.trim();
        match t.to_ascii_lowercase().as_str() {
            "local" => return Some(Tz::Local),
            "z" | "utc" | "gmt" => return Some(Tz::Fixed(chrono::FixedOffset::east_opt(0)?)),
            _ => {}
        }
        let (sign, rest) = match t.as_bytes().first()? {
            b'+' => (1, &t[1..]),
            b'-' => (-1, &t[1..]),
            _ => return None,
        };
        let (h, m) = match rest.split_once(':') {
            Some((h, m)) => (h, m),
            None if rest.len() == 4 => rest.split_at(2),
            None => (rest, "0"),
        };
        if h.is_empty() || h.len() > 2 || m.is_empty() || m.len() > 2 {
            return None;
        }
        let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
        if h > 14 || m > 59 {
            return None;
        }
        chrono::FixedOffset::east_opt(sign * (h * 3600 + m * 60)).map(Tz::Fixed)
    }

    fn from_secs(v: i64) -> Tz {
        if v == TZ_LOCAL {
            return Tz::Local;
        }
        chrono::FixedOffset::east_opt(v as i32).map_or(Tz::Local, Tz::Fixed)
    }

    pub fn to_secs(self) -> i64 {
        match self {
            Tz::Local => TZ_LOCAL,
            Tz::Fixed(o) => o.local_minus_utc() as i64,
        }
    }

    /// `+08:00`, or `local(+08:00)` for the process's zone (its offset now).
    pub fn describe(self) -> String {
        match self {
            Tz::Fixed(o) => o.to_string(),
            Tz::Local => format!("local({})", chrono::Local::now().offset()),
        }
    }
}

/// `yyyy-MM-dd HH:mm:ss` of epoch milliseconds in the zone.
pub fn fmt_time(ms: i64, tz: Tz) -> String {
    let t = chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default();
    let f = "%Y-%m-%d %H:%M:%S";
    match tz {
        Tz::Local => t.with_timezone(&chrono::Local).format(f).to_string(),
        Tz::Fixed(o) => t.with_timezone(&o).format(f).to_string(),
    }
}

/// Epoch milliseconds of a `yyyy-MM-dd HH:mm:ss` in the zone.
pub fn parse_time(s: &str, tz: Tz) -> Option<i64> {
    let n = chrono::NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%d %H:%M:%S").ok()?;
    use chrono::TimeZone;
    match tz {
        Tz::Local => chrono::Local
            .from_local_datetime(&n)
            .earliest()
            .map(|d| d.timestamp_millis()),
        Tz::Fixed(o) => o
            .from_local_datetime(&n)
            .earliest()
            .map(|d| d.timestamp_millis()),
    }
}

/// An HTTP `Date` (IMF-fixdate, always GMT) of epoch milliseconds.
pub fn http_date(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

pub fn random_hex32() -> String {
    let b: [u8; 16] = rand::random();
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A uniqueId as the real gateway makes them: `Y`, the epoch milliseconds
/// in 13 digits, 19 lowercase hex characters (33 in all).
pub fn new_unique_id(now_ms: i64) -> String {
    let b: [u8; 10] = rand::random();
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("Y{now_ms:013}{}", &hex[..19])
}

/// An OAuth requestId as the real gateway makes them: 32 hex, `_`, the
/// epoch milliseconds, `_`, the sysTag (or `NULL`).
pub fn new_request_id(now_ms: i64, sys_tag: &str) -> String {
    format!("{}_{now_ms}_{sys_tag}", random_hex32())
}

impl Shared {
    pub fn now_ms(&self) -> i64 {
        chrono::Utc::now().timestamp_millis() + self.clock_offset_ms.load(Ordering::Relaxed)
    }

    pub fn tz(&self) -> Tz {
        Tz::from_secs(self.tz_offset_secs.load(Ordering::Relaxed))
    }

    /// The simulator's time now, `yyyy-MM-dd HH:mm:ss` in its zone.
    pub fn now_str(&self) -> String {
        fmt_time(self.now_ms(), self.tz())
    }

    pub fn fmt_time(&self, ms: i64) -> String {
        fmt_time(ms, self.tz())
    }

    pub fn parse_time(&self, s: &str) -> Option<i64> {
        parse_time(s, self.tz())
    }

    pub fn lock(&self) -> std::sync::MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn new_doctor(&self, open_id: &str, name: &str) -> Doctor {
        let signer = Arc::new(LazySigner::new(name, open_id));
        Doctor {
            open_id: open_id.into(),
            employee_number: String::new(),
            process: "2".into(),
            phone: String::new(),
            note: String::new(),
            time: self.now_str(),
            stamp: B64.encode(img::stamp_png(open_id)),
            stamp_status: "11".into(),
            idcard: String::new(),
            title: String::new(),
            user_age: String::new(),
            department: String::new(),
            user_name: name.into(),
            fail_reason: String::new(),
            signer,
        }
    }

    /// Expire a pending/unclaimed order whose time is up (lazy evaluation).
    pub fn refresh(&self, o: &mut Order, now: i64) {
        if (o.state == ST_PENDING || o.state == ST_UNCLAIMED)
            && now - o.pushed_ms >= self.pending_expiry_secs as i64 * 1000
        {
            o.state = ST_EXPIRED;
            o.fail_reason = "待签数据已过期".into();
        }
    }

    pub fn refresh_all(&self, w: &mut World) {
        let now = self.now_ms();
        for o in w.orders.iter_mut() {
            self.refresh(o, now);
        }
    }

    pub fn session_active(&self, w: &World, key: &GrantKey) -> bool {
        w.sessions.get(key).is_some_and(|exp| *exp > self.now_ms())
    }

    /// Sign an order: P1, P7, signed PDF. The order must be pending.
    pub fn sign_order(&self, w: &mut World, idx: usize, self_sign: bool) {
        let now = self.now_ms();
        let signer = match w
            .doctors
            .iter()
            .find(|d| d.open_id == w.orders[idx].open_id)
        {
            Some(d) => d.signer.clone(),
            None => return,
        };
        let signer = signer.get(&self.pki, now);
        let o = &mut w.orders[idx];
        o.p1 = self.pki.p1(signer, &o.content);
        o.p7 = self.pki.p7(signer, &o.content, now);
        o.cert = signer.cert_der.clone();
        o.sign_time = fmt_time(now, self.tz());
        o.state = ST_SIGNED;
        o.is_self_sign = self_sign;
        if let Some(pdf) = &o.pdf {
            o.signed_pdf = Some(signed_pdf(pdf, &o.p7, &o.sign_time, &o.open_id));
        }
    }

    /// After an order enters state 0: auto-sign under a session, or schedule
    /// the demo-mode signer.
    pub fn after_pending(self: &Arc<Self>, w: &mut World, idx: usize) {
        let o = &w.orders[idx];
        let key = (o.client_id.clone(), o.open_id.clone(), o.sys_tag.clone());
        if o.self_sign.as_deref() != Some("false") && self.session_active(w, &key) {
            self.sign_order(w, idx, true);
            return;
        }
        if let Some(ms) = self.auto_sign_ms {
            let me = self.clone();
            let uid = o.unique_id.clone();
            if let Ok(h) = tokio::runtime::Handle::try_current() {
                h.spawn(async move {
                    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
                    let mut w = me.lock();
                    let now = me.now_ms();
                    if let Some(&i) = w.by_unique.get(&uid) {
                        me.refresh(&mut w.orders[i], now);
                        if w.orders[i].state == ST_PENDING {
                            me.sign_order(&mut w, i, false);
                        }
                    }
                });
            }
        }
    }
}

/// The original PDF plus an appended section carrying the P7 (hex) — an
/// incremental-update-style trailer, not an Adobe-valid PDF signature.
fn signed_pdf(pdf: &[u8], p7: &[u8], time: &str, open_id: &str) -> Vec<u8> {
    let mut out = pdf.to_vec();
    if !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    let hex: String = p7.iter().map(|b| format!("{b:02X}")).collect();
    out.extend_from_slice(
        format!(
            "% ywx-sim signature (simulated, not an Adobe PDF signature)\n\
             9999 0 obj\n<< /Type /Sig /Filter /YwxSim /SubFilter /adbe.pkcs7.detached /M ({time}) /Name ({open_id}) /Contents <{hex}> >>\nendobj\n%%EOF\n"
        )
        .as_bytes(),
    );
    out
}

struct Seed {
    open_id: &'static str,
    name: &'static str,
    phone: &'static str,
    idcard: &'static str,
    emp: &'static str,
    dept: &'static str,
    title: &'static str,
    age: &'static str,
    process: &'static str,
    stamp_status: &'static str,
    fail: &'static str,
}

const SEEDS: &[Seed] = &[
    Seed {
        open_id: crate::SEARCH_DOCTOR,
        name: "王建国",
        phone: "13800000001",
        idcard: "110101197501010011",
        emp: "E1001",
        dept: "心血管内科",
        title: "主任医师",
        age: "51",
        process: "2",
        stamp_status: "11",
        fail: "",
    },
    Seed {
        open_id: crate::SELF_SIGN_DOCTOR,
        name: "李秀英",
        phone: "13800000002",
        idcard: "110101198202020022",
        emp: "E1002",
        dept: "儿科",
        title: "副主任医师",
        age: "44",
        process: "2",
        stamp_status: "11",
        fail: "",
    },
    Seed {
        open_id: crate::SIGNING_DOCTOR,
        name: "张伟",
        phone: "13800000003",
        idcard: "110101198803030033",
        emp: "E1003",
        dept: "普通外科",
        title: "主治医师",
        age: "38",
        process: "2",
        stamp_status: "11",
        fail: "",
    },
    Seed {
        open_id: crate::BUSINESS_DOCTOR,
        name: "刘芳",
        phone: "13800000004",
        idcard: "110101197904040044",
        emp: "E1004",
        dept: "医务科",
        title: "科长",
        age: "47",
        process: "2",
        stamp_status: "11",
        fail: "",
    },
    Seed {
        open_id: crate::UNSIGN_DOCTOR,
        name: "陈明",
        phone: "13800000005",
        idcard: "110101199005050055",
        emp: "E1005",
        dept: "放射科",
        title: "住院医师",
        age: "36",
        process: "2",
        stamp_status: "11",
        fail: "",
    },
    Seed {
        open_id: crate::DOCTOR_PROCESS_0,
        name: "赵磊",
        phone: "13800000010",
        idcard: "110101199106060066",
        emp: "E2000",
        dept: "急诊科",
        title: "住院医师",
        age: "35",
        process: "0",
        stamp_status: "",
        fail: "",
    },
    Seed {
        open_id: crate::DOCTOR_PROCESS_1,
        name: "孙丽",
        phone: "13800000011",
        idcard: "110101199207070077",
        emp: "E2001",
        dept: "妇产科",
        title: "主治医师",
        age: "34",
        process: "1",
        stamp_status: "",
        fail: "",
    },
    Seed {
        open_id: crate::DOCTOR_PROCESS_3,
        name: "周强",
        phone: "13800000013",
        idcard: "110101196808080088",
        emp: "E2003",
        dept: "骨科",
        title: "主任医师",
        age: "58",
        process: "3",
        stamp_status: "11",
        fail: "",
    },
    Seed {
        open_id: crate::DOCTOR_PROCESS_4,
        name: "吴静",
        phone: "13800000014",
        idcard: "110101199309090099",
        emp: "E2004",
        dept: "眼科",
        title: "住院医师",
        age: "33",
        process: "4",
        stamp_status: "",
        fail: "身份证信息与执业信息不一致",
    },
    Seed {
        open_id: crate::DOCTOR_PROCESS_5,
        name: "郑涛",
        phone: "13800000015",
        idcard: "110101198510100010",
        emp: "E2005",
        dept: "检验科",
        title: "主管技师",
        age: "41",
        process: "5",
        stamp_status: "11",
        fail: "",
    },
    Seed {
        open_id: crate::DOCTOR_STAMP_UNREVIEWED,
        name: "冯雪",
        phone: "13800000020",
        idcard: "110101199411110021",
        emp: "E2010",
        dept: "护理部",
        title: "护师",
        age: "32",
        process: "2",
        stamp_status: "10",
        fail: "",
    },
];

pub fn seed_doctors(shared: &Shared) -> Vec<Doctor> {
    SEEDS
        .iter()
        .map(|s| {
            let mut d = shared.new_doctor(s.open_id, s.name);
            d.phone = s.phone.into();
            d.idcard = s.idcard.into();
            d.employee_number = s.emp.into();
            d.department = s.dept.into();
            d.title = s.title.into();
            d.user_age = s.age.into();
            d.process = s.process.into();
            d.stamp_status = s.stamp_status.into();
            d.fail_reason = s.fail.into();
            if s.stamp_status.is_empty() {
                d.stamp = String::new();
            }
            d.note = match s.process {
                "0" => "审核通过",
                "1" => "证书签发",
                "2" => "设置签章",
                "3" => "用户注销",
                "4" => "审核拒绝",
                _ => "用户停用",
            }
            .into();
            d
        })
        .collect()
}
