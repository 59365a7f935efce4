//! The simulator's PKI: a CA made at start, ECDSA P-256 keys and certificates
//! for doctors, a TSA and the HTTPS server; P1 signatures, CMS SignedData (P7)
//! and RFC 3161 TimeStampTokens built in DER by hand (see `der.rs`).

use crate::der::{self, *};
use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256,
    SerialNumber,
};
use ring::rand::SystemRandom;
use ring::signature::{
    ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair as _,
    UnparsedPublicKey,
};
use sha2::{Digest, Sha256};

/// A key pair with its certificate.
pub struct Signer {
    key: EcdsaKeyPair,
    pkcs8: Vec<u8>,
    pub public: Vec<u8>,
    pub cert_der: Vec<u8>,
}

pub struct Pki {
    issuer: Issuer<'static, KeyPair>,
    pub ca_pem: String,
    tsa: Signer,
    rng: SystemRandom,
}

fn random_serial() -> SerialNumber {
    let mut b: [u8; 16] = rand::random();
    b[0] &= 0x7f;
    b[0] |= 0x10;
    SerialNumber::from(b.to_vec())
}

fn dn(cn: &str, ou: &str) -> DistinguishedName {
    let mut d = DistinguishedName::new();
    d.push(DnType::CountryName, "CN");
    d.push(DnType::OrganizationName, "ywx-sim");
    d.push(DnType::OrganizationalUnitName, ou);
    d.push(DnType::CommonName, cn);
    d
}

impl Pki {
    pub fn new() -> Pki {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("CA key");
        let mut params = CertificateParams::default();
        params.distinguished_name = dn("ywx-sim Root CA (模拟器根证书)", "CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.serial_number = Some(random_serial());
        let cert = params.self_signed(&key).expect("CA cert");
        let ca_pem = cert.pem();
        let issuer = Issuer::new(params, key);
        // TSA: critical EKU timeStamping only, as RFC 3161 and `openssl ts` require.
        let mut eku = CustomExtension::from_oid_content(
            &[2, 5, 29, 37],
            seq(&[&oid(&[1, 3, 6, 1, 5, 5, 7, 3, 8])]),
        );
        eku.set_criticality(true);
        let tsa = issue_with(
            &issuer,
            dn("ywx-sim 时间戳服务 TSA", "TSA"),
            vec![
                KeyUsagePurpose::DigitalSignature,
                KeyUsagePurpose::ContentCommitment,
            ],
            vec![eku],
            vec![],
            vec![],
        );
        Pki {
            issuer,
            ca_pem,
            tsa,
            rng: SystemRandom::new(),
        }
    }

    /// A doctor's signing key and certificate.
    pub fn issue_doctor(&self, name: &str, open_id: &str) -> Signer {
        let mut d = dn(name, "Doctors");
        d.push(DnType::CustomDnType(vec![2, 5, 4, 45]), open_id);
        issue_with(
            &self.issuer,
            d,
            vec![
                KeyUsagePurpose::DigitalSignature,
                KeyUsagePurpose::ContentCommitment,
            ],
            vec![],
            vec![],
            vec![],
        )
    }

    /// The HTTPS server certificate for 127.0.0.1 and localhost: (cert DER, PKCS#8 key DER).
    pub fn issue_server(&self) -> (Vec<u8>, Vec<u8>) {
        let s = issue_with(
            &self.issuer,
            dn("localhost", "Server"),
            vec![KeyUsagePurpose::DigitalSignature],
            vec![],
            vec![ExtendedKeyUsagePurpose::ServerAuth],
            vec!["localhost".into(), "127.0.0.1".into()],
        );
        (s.cert_der, s.pkcs8)
    }

    /// P1: ECDSA-SHA256 (DER) over the content.
    pub fn p1(&self, s: &Signer, content: &[u8]) -> Vec<u8> {
        s.key
            .sign(&self.rng, content)
            .expect("sign")
            .as_ref()
            .to_vec()
    }

    fn signed_data(
        &self,
        s: &Signer,
        econtent_type: &[u64],
        econtent: &[u8],
        mut attrs: Vec<Vec<u8>>,
        when: &chrono::DateTime<chrono::Utc>,
    ) -> Vec<u8> {
        let attr = |o: &[u64], v: Vec<u8>| seq(&[&oid(o), &set_of(vec![v])]);
        attrs.push(attr(OID_CONTENT_TYPE, oid(econtent_type)));
        attrs.push(attr(OID_MESSAGE_DIGEST, octets(&Sha256::digest(econtent))));
        attrs.push(attr(OID_SIGNING_TIME, utc_time(when)));
        let mut signed_attrs = set_of(attrs);
        let signature = s
            .key
            .sign(&self.rng, &signed_attrs)
            .expect("sign")
            .as_ref()
            .to_vec();
        signed_attrs[0] = 0xa0; // [0] IMPLICIT in SignerInfo
        let (issuer, serial) = der::cert_issuer_serial(&s.cert_der).expect("cert fields");
        let signer_info = seq(&[
            &int_u64(1),
            &seq(&[&issuer, &serial]),
            &seq(&[&oid(OID_SHA256), &null()]),
            &signed_attrs,
            &alg(OID_ECDSA_SHA256),
            &octets(&signature),
        ]);
        let version = if econtent_type == OID_DATA { 1 } else { 3 };
        let sd = seq(&[
            &int_u64(version),
            &set_of(vec![seq(&[&oid(OID_SHA256), &null()])]),
            &seq(&[&oid(econtent_type), &ctx(0, &octets(econtent))]),
            &ctx(0, &s.cert_der),
            &set_of(vec![signer_info]),
        ]);
        seq(&[&oid(OID_SIGNED_DATA), &ctx(0, &sd)])
    }

    /// P7: CMS SignedData, content attached (id-data), doctor certificate included.
    pub fn p7(&self, s: &Signer, content: &[u8], when: &chrono::DateTime<chrono::Utc>) -> Vec<u8> {
        self.signed_data(s, OID_DATA, content, vec![], when)
    }

    /// RFC 3161 TimeStampToken over SHA-256(content).
    pub fn timestamp(&self, content: &[u8], when: &chrono::DateTime<chrono::Utc>) -> Vec<u8> {
        let serial: [u8; 12] = rand::random();
        let tst_info = seq(&[
            &int_u64(1),
            &oid(OID_TSA_POLICY),
            &seq(&[
                &seq(&[&oid(OID_SHA256), &null()]),
                &octets(&Sha256::digest(content)),
            ]),
            &int_bytes(&serial),
            &generalized_time(when),
            &seq(&[&int_u64(1)]), // accuracy: 1 s
        ]);
        // SigningCertificateV2 { certs SEQUENCE OF ESSCertIDv2 { certHash } } (sha256 default)
        let ess = seq(&[&seq(&[&seq(&[&octets(&Sha256::digest(
            &self.tsa.cert_der,
        ))])])]);
        let attr = seq(&[&oid(OID_SIGNING_CERT_V2), &set_of(vec![ess])]);
        self.signed_data(&self.tsa, OID_TST_INFO, &tst_info, vec![attr], when)
    }

    /// Verify a token made by `timestamp` against `content`: the TSA's signature
    /// over the signed attributes, messageDigest over TSTInfo, and the imprint.
    pub fn verify_timestamp(&self, token: &[u8], content: &[u8]) -> bool {
        verify_token(&self.tsa.public, token, content).unwrap_or(false)
    }
}

fn issue_with(
    issuer: &Issuer<'static, KeyPair>,
    name: DistinguishedName,
    usages: Vec<KeyUsagePurpose>,
    custom: Vec<CustomExtension>,
    eku: Vec<ExtendedKeyUsagePurpose>,
    sans: Vec<String>,
) -> Signer {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("key");
    let mut params = CertificateParams::new(sans).expect("params");
    params.distinguished_name = name;
    params.key_usages = usages;
    params.custom_extensions = custom;
    params.extended_key_usages = eku;
    params.serial_number = Some(random_serial());
    let cert = params.signed_by(&key, issuer).expect("cert");
    let pkcs8 = key.serialize_der();
    let ring_key = EcdsaKeyPair::from_pkcs8(
        &ECDSA_P256_SHA256_ASN1_SIGNING,
        &pkcs8,
        &SystemRandom::new(),
    )
    .expect("ring key");
    Signer {
        public: ring_key.public_key().as_ref().to_vec(),
        key: ring_key,
        pkcs8,
        cert_der: cert.der().to_vec(),
    }
}

impl Default for Pki {
    fn default() -> Self {
        Pki::new()
    }
}

pub fn verify_p1(public: &[u8], content: &[u8], sig: &[u8]) -> bool {
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, public)
        .verify(content, sig)
        .is_ok()
}

fn verify_token(public: &[u8], token: &[u8], content: &[u8]) -> Option<bool> {
    let (ci, _) = der::read(token)?;
    let ci = der::children(ci.content)?;
    if ci.first()?.raw != oid(OID_SIGNED_DATA).as_slice() {
        return Some(false);
    }
    let (sd, _) = der::read(ci.get(1)?.content)?;
    let sd = der::children(sd.content)?;
    let encap = der::children(sd.get(2)?.content)?;
    if encap.first()?.raw != oid(OID_TST_INFO).as_slice() {
        return Some(false);
    }
    let (econtent, _) = der::read(encap.get(1)?.content)?;
    let tst_info = econtent.content;
    let signer_infos = der::children(sd.last()?.content)?;
    let si = der::children(signer_infos.first()?.content)?;
    let attrs = si.iter().find(|t| t.tag == 0xa0)?;
    let sig = si.last()?;
    let mut signed = attrs.raw.to_vec();
    signed[0] = 0x31;
    if !verify_p1(public, &signed, sig.content) {
        return Some(false);
    }
    let md_oid = oid(OID_MESSAGE_DIGEST);
    let mut md_ok = false;
    for a in der::children(attrs.content)? {
        let a = der::children(a.content)?;
        if a.first()?.raw == md_oid.as_slice() {
            let vals = der::children(a.get(1)?.content)?;
            md_ok = vals.first()?.content == Sha256::digest(tst_info).as_slice();
        }
    }
    let (tst, _) = der::read(tst_info)?;
    let tst = der::children(tst.content)?;
    let imprint = der::children(tst.get(2)?.content)?;
    let imprint_ok = imprint.get(1)?.content == Sha256::digest(content).as_slice();
    Some(md_ok && imprint_ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_roundtrip() {
        let pki = Pki::new();
        let now = chrono::Utc::now();
        let t = pki.timestamp(b"hello", &now);
        assert!(pki.verify_timestamp(&t, b"hello"));
        assert!(!pki.verify_timestamp(&t, b"hellO"));
        let d = pki.issue_doctor("张三", "x");
        let sig = pki.p1(&d, b"abc");
        assert!(verify_p1(&d.public, b"abc", &sig));
        let _ = pki.p7(&d, b"abc", &now);
    }
}
