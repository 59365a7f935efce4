#![allow(dead_code)]
//! Helpers shared by the simulator's integration tests (real HTTP via ureq).

use base64::Engine;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::Command;
use ywx_sim::*;

pub const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

pub struct C {
    pub sim: Sim,
    pub agent: ureq::Agent,
}

pub fn agent() -> ureq::Agent {
    let cfg = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(std::time::Duration::from_secs(20)))
        .build();
    ureq::Agent::new_with_config(cfg)
}

impl C {
    pub fn new() -> C {
        C {
            sim: Sim::start(),
            agent: agent(),
        }
    }

    pub fn with(opts: SimOptions) -> C {
        C {
            sim: Sim::start_with(opts).expect("start"),
            agent: agent(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.sim.base_url(), path)
    }

    /// POST a raw body, answer (HTTP status, body text).
    pub fn post_raw(&self, path: &str, body: &str) -> (u16, String) {
        self.post_bytes(path, body.as_bytes())
    }

    pub fn post_bytes(&self, path: &str, body: &[u8]) -> (u16, String) {
        let mut r = self
            .agent
            .post(&self.url(path))
            .header("content-type", "application/json")
            .send(body)
            .expect("transport");
        let st = r.status().as_u16();
        (st, r.body_mut().read_to_string().unwrap_or_default())
    }

    pub fn post(&self, path: &str, body: &Value) -> Value {
        let (st, text) = self.post_raw(path, &body.to_string());
        assert!(st == 200 || st == 404, "HTTP {st}: {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    }

    pub fn get(&self, path_and_query: &str) -> Value {
        let mut r = self
            .agent
            .get(&self.url(path_and_query))
            .call()
            .expect("transport");
        let text = r.body_mut().read_to_string().unwrap();
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    }

    pub fn get_text(&self, path: &str) -> String {
        let mut r = self.agent.get(&self.url(path)).call().expect("transport");
        r.body_mut().read_to_string().unwrap()
    }

    /// Control API POST; asserts status "0".
    pub fn ctl(&self, path: &str, body: Value) -> Value {
        let v = self.post(path, &body);
        assert_eq!(v["status"], "0", "{path} {body}: {v}");
        v["data"].clone()
    }

    pub fn ok(&self, path: &str, body: Value) -> Value {
        let v = self.post(path, &body);
        assert_eq!(v["status"], "0", "{path}: {v}");
        v["data"].clone()
    }

    pub fn fail(&self, path: &str, body: Value) -> Value {
        let v = self.post(path, &body);
        assert_ne!(v["status"], "0", "{path} should fail: {v}");
        assert!(v["status"].is_string(), "{v}");
        assert!(!v["message"].as_str().unwrap().is_empty(), "{v}");
        v
    }

    pub fn push_hash(&self, urid: &str, open_id: &str) -> Value {
        self.ok(
            "/gateway/recipe/synRecipeInfo",
            json!({"signType": 0, "msg": {"head": head_t("hash_001"), "body": hash_body(urid, open_id)}}),
        )
    }

    pub fn status_of(&self, uid: &str) -> i64 {
        let d = self.ok(
            "/gateway/recipe/querySignDataByUniqueId",
            json!({"head": {"clientId": CLIENT_ID}, "body": {"uniqueId": uid}}),
        );
        d["status"].as_i64().unwrap()
    }

    pub fn sign(&self, uid: &str) {
        self.ctl("/sim/sign", json!({"uniqueId": uid, "action": "sign"}));
    }

    pub fn state(&self) -> Value {
        self.get("/sim/state")
    }
}

pub fn head() -> Value {
    json!({"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET})
}

pub fn head_t(template: &str) -> Value {
    json!({"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET, "templateId": template})
}

pub fn digest_b64(text: &str) -> String {
    use sha2::Digest;
    B64.encode(sha2::Sha256::digest(text.as_bytes()))
}

pub fn hash_body(urid: &str, open_id: &str) -> Value {
    json!({
        "urId": urid,
        "openId": open_id,
        "patientName": "张三",
        "patientAge": "30",
        "patientSex": "男",
        "patientCard": "110101199001011234",
        "patientCardType": "SF",
        "recipeTime": "2024-01-02 03:04:05",
        "hashValue": digest_b64(urid),
        "hashType": "SHA256",
        "subject": "门诊病历",
        "tag": "t1,t2",
        "remarks": "备注"
    })
}

pub fn pdf_b64() -> String {
    B64.encode(
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n",
    )
}

pub fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ywx-sim-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Run openssl in `dir`, asserting success.
pub fn openssl(dir: &PathBuf, args: &[&str]) -> String {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl on PATH");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "openssl {args:?} failed: {all}");
    all
}

/// Decode a base64 PNG QR code to its text.
pub fn decode_qr(b64: &str) -> String {
    let png_bytes = B64.decode(b64).expect("base64 PNG");
    assert!(png_bytes.starts_with(b"\x89PNG"), "not a PNG");
    let dec = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = dec.read_info().expect("png");
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).expect("frame");
    let (w, h) = (info.width as usize, info.height as usize);
    let ch = info.color_type.samples();
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buf[(y * w + x) * ch]);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code");
    grids[0].decode().expect("decode QR").1
}

/// Run openssl in `dir`, answering whether it succeeded (for the cases that
/// must fail) and its output.
pub fn openssl_try(dir: &PathBuf, args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl on PATH");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), all)
}

/// One line of `openssl asn1parse`: where a TLV is, what openssl calls it.
#[derive(Clone, Debug)]
pub struct Asn1 {
    pub off: usize,
    pub depth: usize,
    pub hl: usize,
    pub len: usize,
    /// `SEQUENCE`, `OBJECT`, `cont [ 0 ]`, `OCTET STRING`, ...
    pub tag: String,
    /// What follows the tag's `:` (an OID's name, a hex dump...).
    pub value: String,
}

impl Asn1 {
    /// The whole TLV's bytes.
    pub fn tlv<'a>(&self, der: &'a [u8]) -> &'a [u8] {
        &der[self.off..self.off + self.hl + self.len]
    }

    /// The content's bytes.
    pub fn content<'a>(&self, der: &'a [u8]) -> &'a [u8] {
        &der[self.off + self.hl..self.off + self.hl + self.len]
    }
}

/// `openssl asn1parse -inform DER -in FILE` read into its lines: the
/// structure as openssl sees it, not as the simulator's crates do.
pub fn asn1parse(dir: &PathBuf, file: &str) -> Vec<Asn1> {
    let out = openssl(dir, &["asn1parse", "-inform", "DER", "-in", file]);
    out.lines()
        .filter(|l| l.contains(":d="))
        .map(|l| {
            let (off, rest) = l.split_once(':').unwrap();
            let kind_at = rest
                .find("cons:")
                .or_else(|| rest.find("prim:"))
                .unwrap_or_else(|| panic!("asn1parse line: {l}"));
            // "d=5  hl=2 l=  32": a number may stand apart from its key
            let toks: Vec<&str> = rest[..kind_at].split_whitespace().collect();
            let num = |key: &str| -> usize {
                let i = toks
                    .iter()
                    .position(|t| t.starts_with(key))
                    .unwrap_or_else(|| panic!("{key} in {l}"));
                let v = match &toks[i][key.len()..] {
                    "" => toks[i + 1],
                    v => v,
                };
                v.parse().unwrap_or_else(|_| panic!("{key} in {l}"))
            };
            let after = &rest[kind_at + 5..];
            let (tag, value) = match after.find(':') {
                Some(i) => (
                    after[..i].trim().to_string(),
                    after[i + 1..].trim().to_string(),
                ),
                None => (after.trim().to_string(), String::new()),
            };
            Asn1 {
                off: off.trim().parse().unwrap(),
                depth: num("d="),
                hl: num("hl="),
                len: num("l="),
                tag,
                value,
            }
        })
        .collect()
}

/// The direct children of node `i`.
pub fn kids(nodes: &[Asn1], i: usize) -> Vec<usize> {
    let d = nodes[i].depth;
    nodes
        .iter()
        .enumerate()
        .skip(i + 1)
        .take_while(|(_, n)| n.depth > d)
        .filter(|(_, n)| n.depth == d + 1)
        .map(|(j, _)| j)
        .collect()
}

/// Lowercase hex.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The PEM certificates in `pem`, each as its own PEM text.
pub fn split_pem(pem: &str) -> Vec<String> {
    pem.split_inclusive("-----END CERTIFICATE-----\n")
        .filter(|c| c.contains("BEGIN CERTIFICATE"))
        .map(|c| c.trim_start().to_string())
        .collect()
}
