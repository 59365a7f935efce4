//! Local verification (离线验签): the evidence the gateway hands out — a
//! P7 (CMS SignedData), a P1 with its certificate, an RFC 3161 timestamp —
//! checked here, offline, against the CA chain the hospital installs
//! (`caCerts`, `verify.caFile`). Never a network call: this module uses
//! neither the transport nor the outbox.
//!
//! Files by concern: `der` (a span-keeping BER/DER reader), `cert`,
//! `names`, `cms`, `alg` (OIDs and the signature check), `signer`, `chain`,
//! `tsp` (timestamps), `input` (the request), `run` (one verification),
//! `report` (the reply), `auto` (`verify.auto` on 4.3.5 / 5.1.2 replies).

mod alg;
pub mod auto;
mod cert;
mod chain;
mod cms;
pub mod der;
mod input;
mod names;
mod report;
mod run;
mod signer;
mod tsp;

use std::path::Path;

use serde_json::Value;

use crate::error::{Error, Result};

pub use auto::{PushLookup, local_verify};

/// The CA certificates the config trusts (`verify.caFile`): loaded and
/// checked once, at `ywx_init`.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    anchors: Vec<cert::Cert>,
}

impl Trust {
    /// Reads `verify.caFile`: a PEM file of at least one certificate.
    pub fn load(path: Option<&Path>) -> Result<Trust> {
        let Some(path) = path else {
            return Ok(Trust::default());
        };
        let bad = |why: String| {
            Error::not_configured(format!("配置项 verify.caFile {} {why}", path.display()))
        };
        let bytes = crate::readfile::read_limited(path, MAX_CA_FILE_BYTES)
            .map_err(|why| bad(why.unwrap_or_else(|| "超过 4 MiB，不像 PEM 证书文件".into())))?;
        let text = String::from_utf8_lossy(&bytes);
        if !text.contains("-----BEGIN CERTIFICATE-----") {
            return Err(bad(
                "中没有 PEM 格式的证书（-----BEGIN CERTIFICATE-----）".into()
            ));
        }
        let anchors = input::certificates(&text, "verify.caFile")
            .map_err(|e| bad(format!("中有无法读取的证书：{}", e.message)))?;
        Ok(Trust { anchors })
    }

    pub fn len(&self) -> usize {
        self.anchors.len()
    }

    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }
}

const MAX_CA_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// `ywx_verify_local`: the request verified against its own `caCerts`
/// and `trust` (the config's); the reply envelope, status "0" whenever
/// verification ran.
pub fn verify_local(value: &Value, trust: Option<&Trust>) -> Result<Value> {
    let req = input::read(value)?;
    let mut anchors = req.ca_certs.clone();
    if let Some(t) = trust {
        anchors.extend(t.anchors.iter().cloned());
    }
    let data = run::run(&req, &anchors)?;
    Ok(report::envelope(data))
}
