//! X.509 certificates, read for what verification needs: the signed
//! `tbsCertificate` bytes as encoded, names, validity, the public key, and
//! the extensions a chain is judged by (basic constraints, key usage, key
//! identifiers).

use super::der::{self, Bad, Reader, Tlv};
use super::names;

/// A certificate, owned.
#[derive(Debug, Clone)]
pub struct Cert {
    pub raw: Vec<u8>,
    /// `tbsCertificate`, exactly as encoded (what the issuer signed).
    pub tbs: Vec<u8>,
    pub sig_alg: AlgId,
    pub signature: Vec<u8>,
    /// Serial number, as hex.
    pub serial: String,
    pub issuer: Name,
    pub subject: Name,
    /// Validity, seconds since 1970 (UTC).
    pub not_before: i64,
    pub not_after: i64,
    pub key: PublicKey,
    /// Key usage bits (bit 0 = digitalSignature), when the extension is present.
    pub key_usage: Option<u16>,
    /// basicConstraints cA, when the extension is present.
    pub is_ca: Option<bool>,
    pub subject_key_id: Option<Vec<u8>>,
    pub authority_key_id: Option<Vec<u8>>,
}

/// An AlgorithmIdentifier: its OID and, where it names a curve, the curve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlgId {
    pub oid: String,
    /// The parameters when they are an OID (an EC public key's curve).
    pub param_oid: Option<String>,
}

/// A subjectPublicKeyInfo.
#[derive(Debug, Clone)]
pub struct PublicKey {
    pub alg: AlgId,
    /// The BIT STRING's bytes: an EC point, or an RSAPublicKey.
    pub bytes: Vec<u8>,
}

/// A distinguished name: its encoding (to match issuer and subject) and text.
#[derive(Debug, Clone)]
pub struct Name {
    pub raw: Vec<u8>,
    /// RFC 4514 order: `CN=张医生,O=...,C=CN`.
    pub text: String,
    pub common_name: Option<String>,
}

impl PartialEq for Name {
    fn eq(&self, other: &Name) -> bool {
        self.raw == other.raw || (!self.text.is_empty() && self.text == other.text)
    }
}

impl AlgId {
    pub fn read(tlv: &Tlv) -> der::Result<AlgId> {
        let mut r = tlv.children();
        let oid = r.expect(der::OID, "算法标识缺少 OID")?.oid()?;
        let param_oid = match r.optional(der::OID)? {
            Some(p) => Some(p.oid()?),
            None => None,
        };
        Ok(AlgId { oid, param_oid })
    }
}

impl Cert {
    /// Parses a DER certificate.
    pub fn parse(raw: &[u8]) -> der::Result<Cert> {
        let top = der::single(raw)?;
        if top.tag != der::SEQUENCE {
            return Err(Bad("不是证书（应以 SEQUENCE 开始）"));
        }
        let mut r = top.children();
        let tbs = r.expect(der::SEQUENCE, "证书缺少 tbsCertificate")?;
        let sig_alg = AlgId::read(&r.expect(der::SEQUENCE, "证书缺少签名算法")?)?;
        let signature = r.expect(der::BIT_STRING, "证书缺少签名值")?.bits()?;
        let mut cert = read_tbs(&tbs, sig_alg, signature)?;
        cert.raw = top.raw.to_vec();
        Ok(cert)
    }

    /// `CN=... （序列号 ...）`: how messages name a certificate.
    pub fn label(&self) -> String {
        format!("{}（序列号 {}）", self.subject.text, self.serial)
    }

    pub fn self_issued(&self) -> bool {
        self.issuer == self.subject
    }
}

fn read_tbs(tbs: &Tlv, sig_alg: AlgId, signature: &[u8]) -> der::Result<Cert> {
    let mut r = tbs.children();
    r.optional(der::ctx(0))?; // version
    let serial = r.expect(der::INTEGER, "证书缺少序列号")?;
    let serial = hex(serial.value.strip_prefix(&[0]).unwrap_or(serial.value));
    r.expect(der::SEQUENCE, "证书缺少签名算法")?;
    let issuer = read_name(&r.expect(der::SEQUENCE, "证书缺少签发者")?)?;
    let validity = r.expect(der::SEQUENCE, "证书缺少有效期")?;
    let mut v = validity.children();
    let not_before = time(&v.read()?)?;
    let not_after = time(&v.read()?)?;
    let subject = read_name(&r.expect(der::SEQUENCE, "证书缺少主题")?)?;
    let spki = r.expect(der::SEQUENCE, "证书缺少公钥")?;
    let key = read_key(&spki)?;
    let mut cert = Cert {
        raw: Vec::new(),
        tbs: tbs.raw.to_vec(),
        sig_alg,
        signature: signature.to_vec(),
        serial,
        issuer,
        subject,
        not_before,
        not_after,
        key,
        key_usage: None,
        is_ca: None,
        subject_key_id: None,
        authority_key_id: None,
    };
    while let Ok(next) = r.read() {
        if next.tag == der::ctx(3) {
            read_extensions(&next, &mut cert)?;
        }
    }
    Ok(cert)
}

/// A subjectPublicKeyInfo.
pub fn read_key(spki: &Tlv) -> der::Result<PublicKey> {
    let mut r = spki.children();
    let alg = AlgId::read(&r.expect(der::SEQUENCE, "公钥缺少算法")?)?;
    let bytes = r
        .expect(der::BIT_STRING, "公钥缺少密钥值")?
        .bits()?
        .to_vec();
    Ok(PublicKey { alg, bytes })
}

fn read_name(tlv: &Tlv) -> der::Result<Name> {
    let mut parts = Vec::new();
    let mut common_name = None;
    let mut rdns = tlv.children();
    while !rdns.is_empty() {
        let rdn = rdns.expect(der::SET, "名称的格式不对")?;
        let mut atvs = rdn.children();
        while !atvs.is_empty() {
            let atv = atvs.expect(der::SEQUENCE, "名称的格式不对")?;
            let mut a = atv.children();
            let oid = a.expect(der::OID, "名称的格式不对")?.oid()?;
            let value = names::value_text(&a.read()?);
            if oid == "2.5.4.3" {
                common_name = Some(value.clone());
            }
            parts.push(format!("{}={}", names::short(&oid), value));
        }
    }
    parts.reverse();
    Ok(Name {
        raw: tlv.value.to_vec(),
        text: parts.join(","),
        common_name,
    })
}

fn read_extensions(tlv: &Tlv, cert: &mut Cert) -> der::Result<()> {
    let seq = tlv.children().expect(der::SEQUENCE, "证书扩展的格式不对")?;
    let mut exts = seq.children();
    while !exts.is_empty() {
        let ext = exts.expect(der::SEQUENCE, "证书扩展的格式不对")?;
        let mut e = ext.children();
        let oid = e.expect(der::OID, "证书扩展的格式不对")?.oid()?;
        e.optional(der::BOOLEAN)?;
        let value = e
            .expect(der::OCTET_STRING, "证书扩展的格式不对")?
            .octets()?;
        // Only the extensions read here need be DER (some CAs put text in others).
        if !matches!(
            oid.as_str(),
            "2.5.29.15" | "2.5.29.19" | "2.5.29.14" | "2.5.29.35"
        ) {
            continue;
        }
        let inner = der::single(&value)?;
        match oid.as_str() {
            "2.5.29.15" => cert.key_usage = Some(key_usage_bits(&inner)?),
            "2.5.29.19" => {
                let mut b = inner.children();
                let ca = b.optional(der::BOOLEAN)?;
                cert.is_ca = Some(ca.is_some_and(|c| c.value.first().is_some_and(|v| *v != 0)));
            }
            "2.5.29.14" => cert.subject_key_id = Some(inner.octets()?.to_vec()),
            "2.5.29.35" => {
                let mut a = inner.children();
                cert.authority_key_id = a.optional(der::ctx_prim(0))?.map(|k| k.value.to_vec());
            }
            _ => {}
        }
    }
    Ok(())
}

/// KeyUsage BIT STRING → bits with bit 0 = digitalSignature.
fn key_usage_bits(tlv: &Tlv) -> der::Result<u16> {
    let bytes = tlv.bits()?;
    let mut bits = 0u16;
    for (i, b) in bytes.iter().take(2).enumerate() {
        for j in 0..8 {
            if b & (0x80 >> j) != 0 {
                bits |= 1 << (i * 8 + j);
            }
        }
    }
    Ok(bits)
}

/// UTCTime or GeneralizedTime as seconds since 1970 (UTC).
pub fn time(tlv: &Tlv) -> der::Result<i64> {
    let text = std::str::from_utf8(tlv.value).map_err(|_| Bad("时间的格式不对"))?;
    let digits = match tlv.tag {
        der::UTC_TIME => {
            let yy: i64 = text
                .get(..2)
                .and_then(|s| s.parse().ok())
                .ok_or(Bad("时间的格式不对"))?;
            let century = if yy < 50 { "20" } else { "19" };
            format!("{century}{text}")
        }
        der::GENERALIZED_TIME => text.to_string(),
        _ => return Err(Bad("应为 UTCTime 或 GeneralizedTime")),
    };
    parse_time(&digits).ok_or(Bad("时间的格式不对"))
}

/// `YYYYMMDDHHMM[SS][.fff](Z|±HHMM)` as seconds since 1970 (UTC).
fn parse_time(s: &str) -> Option<i64> {
    let num = |a: usize, b: usize| s.get(a..b).and_then(|x| x.parse::<i64>().ok());
    let (y, mo, d, h, mi) = (
        num(0, 4)?,
        num(4, 6)?,
        num(6, 8)?,
        num(8, 10)?,
        num(10, 12)?,
    );
    let mut rest = &s[12..];
    let mut sec = 0;
    if rest.len() >= 2 && rest.as_bytes()[..2].iter().all(u8::is_ascii_digit) {
        sec = rest[..2].parse().ok()?;
        rest = &rest[2..];
    }
    if let Some(frac) = rest.strip_prefix('.').or_else(|| rest.strip_prefix(',')) {
        rest = frac.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    let offset = match rest {
        "Z" | "" => 0,
        _ => {
            let sign = if rest.starts_with('-') { -1 } else { 1 };
            let hh: i64 = rest.get(1..3)?.parse().ok()?;
            let mm: i64 = rest.get(3..5).unwrap_or("00").parse().ok()?;
            sign * (hh * 3600 + mm * 60)
        }
    };
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec.min(59) - offset)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads the certificates of a SET OF Certificate (a P7's `certificates`),
/// skipping other choices (attribute certificates).
pub fn read_set(tlv: &Tlv) -> der::Result<Vec<Cert>> {
    let mut certs = Vec::new();
    let mut r: Reader = tlv.children();
    while !r.is_empty() {
        let c = r.read()?;
        if c.tag == der::SEQUENCE {
            certs.push(Cert::parse(c.raw)?);
        }
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_read_in_both_forms() {
        assert_eq!(parse_time("19700101000000Z"), Some(0));
        assert_eq!(parse_time("20240229120000Z"), Some(1_709_208_000));
        assert_eq!(parse_time("20210531041911.827963Z"), Some(1_622_434_751));
        assert_eq!(parse_time("20240101080000+0800"), Some(1_704_067_200));
        assert_eq!(parse_time("2024130100Z"), None);
    }
}
