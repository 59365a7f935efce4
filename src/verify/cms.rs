//! CMS / PKCS#7 SignedData (RFC 5652, and GM/T 0010's OIDs): the
//! content, certificates and signers, with each signer's signed
//! attributes kept as the bytes that were signed.

use super::cert::{self, Cert};
use super::der::{self, Bad, Tlv};

/// `signedData` of PKCS#7 and of GM/T 0010.
const SIGNED_DATA: &[&str] = &["1.2.840.113549.1.7.2", "1.2.156.10197.6.1.4.2.2"];
const CONTENT_TYPE: &str = "1.2.840.113549.1.9.3";
const MESSAGE_DIGEST: &str = "1.2.840.113549.1.9.4";
const SIGNING_TIME: &str = "1.2.840.113549.1.9.5";
const TIMESTAMP_TOKEN: &str = "1.2.840.113549.1.9.16.2.14";

#[derive(Debug, Clone)]
pub struct SignedData {
    /// eContentType.
    pub content_type: String,
    /// The encapsulated content, when the P7 carries it (attached).
    pub content: Option<Vec<u8>>,
    pub certs: Vec<Cert>,
    pub signers: Vec<SignerInfo>,
}

/// How a signer names its certificate.
#[derive(Debug, Clone)]
pub enum SignerId {
    IssuerSerial { issuer: Vec<u8>, serial: String },
    KeyId(Vec<u8>),
}

#[derive(Debug, Clone)]
pub struct SignerInfo {
    pub id: SignerId,
    pub digest_oid: String,
    /// The signed attributes as the SET OF that was signed.
    pub signed_attrs: Option<Vec<u8>>,
    pub content_type: Option<String>,
    pub message_digest: Option<Vec<u8>>,
    /// signingTime, seconds since 1970 (UTC).
    pub signing_time: Option<i64>,
    pub sig_oid: String,
    pub signature: Vec<u8>,
    /// An RFC 3161 token in the unsigned attributes (over the signature).
    pub timestamp_token: Option<Vec<u8>>,
}

impl SignerInfo {
    /// The signer's certificate among `certs`.
    pub fn find_cert<'c>(&self, certs: impl IntoIterator<Item = &'c Cert>) -> Option<&'c Cert> {
        certs.into_iter().find(|c| match &self.id {
            SignerId::IssuerSerial { issuer, serial } => {
                &c.serial == serial && &c.issuer.raw == issuer
            }
            SignerId::KeyId(id) => c.subject_key_id.as_ref() == Some(id),
        })
    }
}

/// Parses a ContentInfo holding SignedData.
pub fn parse(data: &[u8]) -> der::Result<SignedData> {
    let top = der::single(data)?;
    if top.tag != der::SEQUENCE {
        return Err(Bad("不是 PKCS#7/CMS 签名数据（应以 SEQUENCE 开始）"));
    }
    let mut r = top.children();
    let kind = r
        .expect(der::OID, "不是 PKCS#7/CMS 签名数据（缺少内容类型）")?
        .oid()?;
    if !SIGNED_DATA.contains(&kind.as_str()) {
        return Err(Bad(
            "不是签名数据 SignedData（内容类型不是 1.2.840.113549.1.7.2 或 1.2.156.10197.6.1.4.2.2）",
        ));
    }
    let explicit = r.expect(der::ctx(0), "SignedData 缺少内容")?;
    let sd = explicit
        .children()
        .expect(der::SEQUENCE, "SignedData 的格式不对")?;
    signed_data(&sd)
}

fn signed_data(sd: &Tlv) -> der::Result<SignedData> {
    let mut r = sd.children();
    r.expect(der::INTEGER, "SignedData 缺少版本号")?;
    r.expect(der::SET, "SignedData 缺少摘要算法")?;
    let encap = r.expect(der::SEQUENCE, "SignedData 缺少被签内容信息")?;
    let mut e = encap.children();
    let content_type = e.expect(der::OID, "被签内容缺少类型")?.oid()?;
    let content = match e.optional(der::ctx(0))? {
        Some(explicit) => {
            let inner = explicit.children().read()?;
            Some(if inner.tag & 0x1F == der::OCTET_STRING {
                inner.octets()?.into_owned()
            } else {
                inner.value.to_vec()
            })
        }
        None => None,
    };
    let mut certs = Vec::new();
    let mut next = r.read()?;
    if next.tag == der::ctx(0) {
        certs = cert::read_set(&next)?;
        next = r.read()?;
    }
    if next.tag == der::ctx(1) {
        next = r.read()?; // CRLs: not used
    }
    if next.tag != der::SET {
        return Err(Bad("SignedData 缺少签名者信息"));
    }
    let mut signers = Vec::new();
    let mut s = next.children();
    while !s.is_empty() {
        signers.push(signer_info(
            &s.expect(der::SEQUENCE, "签名者信息的格式不对")?,
        )?);
    }
    Ok(SignedData {
        content_type,
        content,
        certs,
        signers,
    })
}

fn signer_info(si: &Tlv) -> der::Result<SignerInfo> {
    let mut r = si.children();
    r.expect(der::INTEGER, "签名者信息缺少版本号")?;
    let sid = r.read()?;
    let id = match sid.tag {
        der::SEQUENCE => {
            let mut i = sid.children();
            let issuer = i.expect(der::SEQUENCE, "签名者信息的签发者格式不对")?;
            let serial = i.expect(der::INTEGER, "签名者信息缺少序列号")?;
            let serial = cert::hex(serial.value.strip_prefix(&[0]).unwrap_or(serial.value));
            SignerId::IssuerSerial {
                issuer: issuer.value.to_vec(),
                serial,
            }
        }
        t if t == der::ctx_prim(0) => SignerId::KeyId(sid.value.to_vec()),
        _ => return Err(Bad("签名者信息的证书标识格式不对")),
    };
    let digest_oid = alg_oid(&r.expect(der::SEQUENCE, "签名者信息缺少摘要算法")?)?;
    let mut info = SignerInfo {
        id,
        digest_oid,
        signed_attrs: None,
        content_type: None,
        message_digest: None,
        signing_time: None,
        sig_oid: String::new(),
        signature: Vec::new(),
        timestamp_token: None,
    };
    if let Some(attrs) = r.optional(der::ctx(0))? {
        info.signed_attrs = Some(attrs.retagged(der::SET));
        read_signed_attrs(&attrs, &mut info)?;
    }
    info.sig_oid = alg_oid(&r.expect(der::SEQUENCE, "签名者信息缺少签名算法")?)?;
    info.signature = r
        .expect(der::OCTET_STRING, "签名者信息缺少签名值")?
        .octets()?
        .into_owned();
    if let Some(unsigned) = r.optional(der::ctx(1))? {
        for (oid, value) in attributes(&unsigned)? {
            if oid == TIMESTAMP_TOKEN {
                info.timestamp_token = Some(value.raw.to_vec());
            }
        }
    }
    Ok(info)
}

fn read_signed_attrs(attrs: &Tlv, info: &mut SignerInfo) -> der::Result<()> {
    for (oid, value) in attributes(attrs)? {
        match oid.as_str() {
            CONTENT_TYPE => info.content_type = Some(value.oid()?),
            MESSAGE_DIGEST => info.message_digest = Some(value.octets()?.into_owned()),
            SIGNING_TIME => info.signing_time = Some(cert::time(&value)?),
            _ => {}
        }
    }
    Ok(())
}

/// Each attribute's type and first value.
fn attributes<'a>(set: &Tlv<'a>) -> der::Result<Vec<(String, Tlv<'a>)>> {
    let mut out = Vec::new();
    let mut r = set.children();
    while !r.is_empty() {
        let attr = r.expect(der::SEQUENCE, "属性的格式不对")?;
        let mut a = attr.children();
        let oid = a.expect(der::OID, "属性缺少类型")?.oid()?;
        let values = a.expect(der::SET, "属性缺少值")?;
        if let Ok(first) = values.children().read() {
            out.push((oid, first));
        }
    }
    Ok(out)
}

fn alg_oid(tlv: &Tlv) -> der::Result<String> {
    tlv.children().expect(der::OID, "算法标识缺少 OID")?.oid()
}
