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
