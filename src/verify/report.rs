//! The reply's `data`: what was verified and each check's verdict in
//! Chinese, naming certificates (subject, serial), never the content.

use serde_json::{Value, json};

use super::cert::Cert;
use super::chain::Chain;
use crate::clock::text_of;

/// One line of `data.checks`.
#[derive(Debug, Clone)]
pub struct Check {
    pub name: &'static str,
    pub ok: bool,
    pub message: String,
}

impl Check {
    pub fn pass(name: &'static str, message: impl Into<String>) -> Check {
        Check {
            name,
            ok: true,
            message: message.into(),
        }
    }

    pub fn fail(name: &'static str, message: impl Into<String>) -> Check {
        Check {
            name,
            ok: false,
            message: message.into(),
        }
    }

    pub fn json(&self) -> Value {
        json!({"name": self.name, "ok": self.ok, "message": self.message})
    }
}

/// A certificate as `data.signer` shows it.
pub fn signer(cert: &Cert, key_algorithm: &str) -> Value {
    json!({
        "subject": cert.subject.text,
        "commonName": cert.subject.common_name,
        "issuer": cert.issuer.text,
        "serialNumber": cert.serial,
        "notBefore": text_of(cert.not_before),
        "notAfter": text_of(cert.not_after),
        "keyAlgorithm": key_algorithm,
    })
}

/// `data.chain`.
pub fn chain(c: &Chain) -> Value {
    let path: Vec<&str> = c.path.iter().map(|p| p.subject.text.as_str()).collect();
    json!({"trusted": c.trusted, "path": path})
}

/// What a verified timestamp contributes to the reply.
#[derive(Debug, Clone)]
pub struct Stamp {
    /// Signature, chain, validity at genTime and imprint all hold.
    pub valid: bool,
    pub gen_time: Option<i64>,
    pub tsa: Option<String>,
    /// What the messageImprint is over: signature, content, digest, hashValue.
    pub imprint: Option<&'static str>,
    pub check: Check,
}

impl Stamp {
    pub fn json(&self) -> Value {
        json!({
            "valid": self.valid,
            "genTime": self.gen_time.map(text_of),
            "tsa": self.tsa,
            "imprint": self.imprint,
        })
    }
}

/// The reply envelope around `data`.
pub fn envelope(data: Value) -> Value {
    let verified = data["verified"] == true;
    let message = if verified {
        "验签通过".to_string()
    } else {
        let failed: Vec<&str> = data["checks"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| c["ok"] == false)
            .filter_map(|c| c["message"].as_str())
            .collect();
        format!("验签未通过：{}", failed.join("；"))
    };
    json!({"status": "0", "message": message, "data": data})
}
