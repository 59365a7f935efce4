//! The simulator's clock and zone (`--time-zone`, `--clock-offset-seconds`,
//! `/sim/clock`), the `Date` header, 5.1.1's `templateId` and
//! `/sim/state`'s orders per urId: what a client's reconciliation against a
//! gateway in another zone, with another clock, is tested with.

mod common;
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use common::*;
use serde_json::{Value, json};
use std::io::BufRead;
use ywx_sim::*;

const FMT: &str = "%Y-%m-%d %H:%M:%S";

fn naive(v: &Value) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(v.as_str().unwrap_or_else(|| panic!("{v}")), FMT)
        .unwrap_or_else(|e| panic!("{v}: {e}"))
}

/// `a` and `b` within 5 s of each other.
fn near(a: NaiveDateTime, b: NaiveDateTime) -> bool {
    (a - b).num_seconds().abs() <= 5
}

/// The `Date` header of a GET of `url`.
fn date_of(agent: &ureq::Agent, url: &str) -> DateTime<Utc> {
    let r = agent.get(url).call().expect("transport");
    let d = r
        .headers()
        .get("date")
        .expect("a Date header")
        .to_str()
        .unwrap()
        .to_string();
    assert!(d.ends_with(" GMT"), "{d}");
    DateTime::parse_from_rfc2822(&d)
        .unwrap_or_else(|e| panic!("{d}: {e}"))
        .with_timezone(&Utc)
}

fn list(c: &C, start: &str, end: &str) -> Value {
    c.ok(
        "/gateway/recipe/signDataListSearchByTime",
        json!({"head": head(), "body": {"startDate": start, "endDate": end, "pageSize": 100}}),
    )
}

#[test]
fn time_zone_sets_order_times_and_list_parameters() {
    let c = C::with(SimOptions {
        time_zone: Tz::parse("+08:00").unwrap(),
        ..Default::default()
    });
    assert_eq!(c.state()["timeZone"], "+08:00");
    let d = c.push_hash("tz1", SIGNING_DOCTOR);
    let cst = |t: DateTime<Utc>| (t + Duration::hours(8)).naive_utc();
    let t = naive(&d["time"]);
    assert!(near(t, cst(Utc::now())), "4.3.5 time {t} in +08:00");
    assert!(near(naive(&c.state()["now"]), cst(Utc::now())));
    let uid = d["uniqueId"].as_str().unwrap().to_string();
    let o = &c.get(&format!("/sim/orders?uniqueId={uid}"))[0];
    assert_eq!(naive(&o["pushTime"]), t);
    c.sign(&uid);
    let r = c.ok(
        "/gateway/recipe/synSignDataSearch",
        json!({"head": head(), "body": {"uniqueId": uid}}),
    );
    assert!(near(naive(&r["signTime"]), cst(Utc::now())), "{r}");

    // 5.1.1's parameters are read in the same zone: a minute around now in
    // +08:00 finds the order, the same minute written in UTC does not
    let now = Utc::now();
    let f = |t: NaiveDateTime| t.format(FMT).to_string();
    let hit = list(
        &c,
        &f(cst(now) - Duration::seconds(60)),
        &f(cst(now) + Duration::seconds(60)),
    );
    assert_eq!(hit["total"], 1, "{hit}");
    assert_eq!(hit["list"][0]["uniqueid"], uid.as_str());
    let utc = now.naive_utc();
    let miss = list(
        &c,
        &f(utc - Duration::seconds(60)),
        &f(utc + Duration::seconds(60)),
    );
    assert_eq!(miss["total"], 0, "{miss}");

    // changed at run time: the same order read in -05:00, 13 hours earlier
    let r = c.ctl("/sim/clock", json!({"timeZone": "-05:00"}));
    assert_eq!(r["timeZone"], "-05:00", "{r}");
    let o = &c.get(&format!("/sim/orders?uniqueId={uid}"))[0];
    assert_eq!(naive(&o["pushTime"]), t - Duration::hours(13));
    let hit = list(
        &c,
        &f(utc - Duration::hours(5) - Duration::seconds(60)),
        &f(utc - Duration::hours(5) + Duration::seconds(60)),
    );
    assert_eq!(hit["total"], 1, "{hit}");
    // and back to the process's zone
    let r = c.ctl("/sim/clock", json!({"timeZone": "local"}));
    assert!(r["timeZone"].as_str().unwrap().starts_with("local("), "{r}");
    let o = &c.get(&format!("/sim/orders?uniqueId={uid}"))[0];
    let local =
        chrono::NaiveDateTime::parse_from_str(o["pushTime"].as_str().unwrap(), FMT).unwrap();
    assert!(near(local, chrono::Local::now().naive_local()), "{o}");
}

#[test]
fn default_zone_is_the_process_local_zone() {
    let c = C::new();
    let st = c.state();
    assert!(
        st["timeZone"].as_str().unwrap().starts_with("local("),
        "{st}"
    );
    assert_eq!(st["clockOffsetSeconds"], 0.0);
    assert!(near(naive(&st["now"]), chrono::Local::now().naive_local()));
    let d = c.push_hash("tzlocal", SIGNING_DOCTOR);
    assert!(near(naive(&d["time"]), chrono::Local::now().naive_local()));
}

#[test]
fn clock_offset_moves_times_and_the_date_header() {
    let c = C::with(SimOptions {
        clock_offset_secs: -86400,
        time_zone: Tz::parse("UTC").unwrap(),
        ..Default::default()
    });
    let day_ago = Utc::now() - Duration::days(1);
    let date = date_of(&c.agent, &c.url("/sim/state"));
    assert!((date - day_ago).num_seconds().abs() <= 5, "Date {date}");
    let st = c.state();
    assert_eq!(st["clockOffsetSeconds"], -86400.0);
    assert_eq!(st["timeZone"], "+00:00");
    let d = c.push_hash("off1", SIGNING_DOCTOR);
    assert!(near(naive(&d["time"]), day_ago.naive_utc()), "{d}");

    // the Date header of gateway calls and of errors too
    let r = c
        .agent
        .post(&c.url("/gateway/recipe/querySignDataByUniqueId"))
        .send("{}")
        .unwrap();
    let d = r.headers().get("date").unwrap().to_str().unwrap();
    let d = DateTime::parse_from_rfc2822(d).unwrap().with_timezone(&Utc);
    assert!((d - day_ago).num_seconds().abs() <= 5, "{d}");
    let date = date_of(&c.agent, &c.url("/no/such/path"));
    assert!((date - day_ago).num_seconds().abs() <= 5);

    // offsetSeconds sets the offset (here forward an hour from the system
    // clock), advanceSeconds adds to it
    let r = c.ctl("/sim/clock", json!({"offsetSeconds": 3600}));
    assert_eq!(r["offsetSeconds"], 3600.0, "{r}");
    let hour_on = Utc::now() + Duration::hours(1);
    assert!(near(naive(&r["now"]), hour_on.naive_utc()), "{r}");
    let date = date_of(&c.agent, &c.url("/sim/state"));
    assert!((date - hour_on).num_seconds().abs() <= 5, "Date {date}");
    let r = c.ctl("/sim/clock", json!({"advanceSeconds": 60}));
    assert_eq!(r["offsetSeconds"], 3660.0, "{r}");
    // offset first, then advance
    let r = c.ctl(
        "/sim/clock",
        json!({"offsetSeconds": -30, "advanceSeconds": 10}),
    );
    assert_eq!(r["offsetSeconds"], -20.0, "{r}");
    // wrong requests name what is wrong
    let v = c.fail("/sim/clock", json!({"advanceSeconds": -1}));
    assert!(
        v["message"].as_str().unwrap().contains("offsetSeconds"),
        "{v}"
    );
    let v = c.fail("/sim/clock", json!({"timeZone": "Mars/Olympus"}));
    assert!(v["message"].as_str().unwrap().contains("timeZone"), "{v}");
    c.fail("/sim/clock", json!({"timeZone": "+25:00"}));
    c.fail("/sim/clock", json!({}));
    assert_eq!(
        c.state()["clockOffsetSeconds"],
        -20.0,
        "failed calls change nothing"
    );
}

#[test]
fn list_rows_carry_template_id_and_state_counts_orders_per_ur_id() {
    let c = C::with(SimOptions {
        no_dedupe: true,
        ..Default::default()
    });
    c.push_hash("shared1", SIGNING_DOCTOR);
    c.push_hash("shared1", SIGNING_DOCTOR);
    c.push_hash("alone1", SIGNING_DOCTOR);
    let body = json!({"urId": "shared1", "openId": BUSINESS_DOCTOR, "viewName": "合同", "viewTime": "2024-01-01 00:00:00", "pdfBase64": pdf_b64()});
    c.ok(
        "/gateway/signInfo/syn",
        json!({"signType": 0, "msg": {"head": head_t("contract_01"), "body": body}}),
    );
    let now = chrono::Local::now().naive_local();
    let f = |t: NaiveDateTime| t.format(FMT).to_string();
    let l = list(
        &c,
        &f(now - Duration::minutes(1)),
        &f(now + Duration::minutes(1)),
    );
    assert_eq!(l["total"], 4, "{l}");
    let rows: Vec<(String, String)> = l["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            for k in ["urid", "uniqueid", "status", "openId", "templateId"] {
                assert!(r.get(k).is_some(), "{k} in {r}");
            }
            (
                r["urid"].as_str().unwrap().to_string(),
                r["templateId"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: Vec<(String, String)> = [
        ("shared1", "hash_001"),
        ("shared1", "hash_001"),
        ("alone1", "hash_001"),
        ("shared1", "contract_01"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(rows, want);
    let st = c.state();
    assert_eq!(
        st["ordersByUrId"],
        json!({format!("{CLIENT_ID}/alone1"): 1, format!("{CLIENT_ID}/shared1"): 3}),
        "{st}"
    );
    assert_eq!(
        st["ordersByUrIdKind"],
        json!({
            format!("{CLIENT_ID}/alone1/recipe"): 1,
            format!("{CLIENT_ID}/shared1/business"): 1,
            format!("{CLIENT_ID}/shared1/recipe"): 2,
        }),
        "{st}"
    );
    assert_eq!(st["pushes"]["shared1"], 3);

    // a gateway that keys by urId: pushed twice, one order
    let c = C::new();
    c.push_hash("twice1", SIGNING_DOCTOR);
    c.push_hash("twice1", SIGNING_DOCTOR);
    let st = c.state();
    assert_eq!(
        st["ordersByUrId"],
        json!({format!("{CLIENT_ID}/twice1"): 1}),
        "{st}"
    );
    assert_eq!(st["pushes"]["twice1"], 2);
}

#[test]
fn command_line_options() {
    let exe = env!("CARGO_BIN_EXE_ywx-sim");
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut child = std::process::Command::new(exe)
        .args([
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--time-zone",
            "+08:00",
            "--clock-offset-seconds",
            "7200",
            "--sign-alg",
            "ecdsa",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(
        line.trim_end(),
        format!("listening on http://127.0.0.1:{port}")
    );
    let a = agent();
    let url = format!("http://127.0.0.1:{port}/sim/state");
    let date = date_of(&a, &url);
    let st: Value = serde_json::from_str(
        &a.get(&url)
            .call()
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap(),
    )
    .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(st["timeZone"], "+08:00", "{st}");
    assert_eq!(st["clockOffsetSeconds"], 7200.0, "{st}");
    assert_eq!(st["signAlg"], "ecdsa", "{st}");
    assert_eq!(st["p7Profile"], "pkcs7", "{st}");
    let ahead = Utc::now() + Duration::hours(2);
    assert!((date - ahead).num_seconds().abs() <= 5, "Date {date}");
    assert!(
        near(naive(&st["now"]), (ahead + Duration::hours(8)).naive_utc()),
        "{st}"
    );

    // refused: an unknown algorithm or zone (usage, 2); GM/T 0010 with RSA (1)
    for (args, code) in [
        (&["--sign-alg", "dsa"][..], 2),
        (&["--time-zone", "CST"][..], 2),
        (&["--p7-profile", "pkcs12"][..], 2),
        (
            &[
                "--sign-alg",
                "rsa",
                "--p7-profile",
                "gmt0010",
                "--addr",
                "127.0.0.1:0",
            ][..],
            1,
        ),
    ] {
        let out = std::process::Command::new(exe).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(code), "{args:?}: {out:?}");
        assert!(!out.stderr.is_empty(), "{args:?} says why");
    }
}
