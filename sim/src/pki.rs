//! The simulator's PKI, as a Chinese CA runs one: a root CA and an
//! intermediate ("Doctors CA") per simulator, doctors' certificates issued by
//! the intermediate, a TSA certified by the intermediate, for one algorithm
//! (SM2 with SM3, ECDSA P-256 with SHA-256 or RSA 2048 with SHA-256); the
//! doctor's P1, the P7 (CMS SignedData in the GM/T 0010 or the PKCS#7
//! profile) and RFC 3161 TimeStampTokens. Built with RustCrypto's `der`,
//! `spki`, `x509-cert` (its certificate builder) and `cms` (its SignedData
//! builder; the GM/T 0010 SignerInfo, which has no signed attributes, is
//! assembled from `cms`'s types because the builder always adds them).
//!
//! The HTTPS server certificate comes from a separate ECDSA P-256 root (TLS
//! clients such as rustls do not take SM2), made only when HTTPS is asked for.

use cms::builder::{SignedDataBuilder, SignerInfoBuilder};
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use const_oid::ObjectIdentifier;
use const_oid::db::rfc5911::{ID_DATA, ID_MESSAGE_DIGEST, ID_SIGNED_DATA, ID_SIGNING_TIME};
use der::asn1::{GeneralizedTime, OctetString, SetOfVec, UtcTime};
use der::{Any, Decode, Encode, EncodePem, Sequence, Tag};
use rand_core::OsRng;
use sha2::{Digest, Sha256};
use signature::{Keypair, Signer as _, Verifier as _};
use spki::{
    AlgorithmIdentifierOwned, DynSignatureAlgorithmIdentifier, EncodePublicKey,
    SignatureBitStringEncoding, SubjectPublicKeyInfoOwned,
};
use std::sync::OnceLock;
use std::time::Duration;
use x509_cert::Certificate;
use x509_cert::attr::{Attribute, AttributeTypeAndValue, AttributeValue};
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{ExtendedKeyUsage, SubjectAltName};
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};

/// The signature algorithm of the simulator's CA, TSA and doctors.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SignAlg {
    /// SM2 with SM3 (GM/T 0003, 0009), as Chinese CAs sign.
    #[default]
    Sm2,
    /// ECDSA P-256 with SHA-256.
    Ecdsa,
    /// RSA 2048, PKCS#1 v1.5 with SHA-256.
    Rsa,
}

impl SignAlg {
    /// `sm2`, `ecdsa`, `rsa` (case-insensitive).
    pub fn parse(s: &str) -> Option<SignAlg> {
        match s.to_ascii_lowercase().as_str() {
            "sm2" => Some(SignAlg::Sm2),
            "ecdsa" => Some(SignAlg::Ecdsa),
            "rsa" => Some(SignAlg::Rsa),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SignAlg::Sm2 => "sm2",
            SignAlg::Ecdsa => "ecdsa",
            SignAlg::Rsa => "rsa",
        }
    }

    /// The P7 profile this algorithm gets when none is named: GM/T 0010 for
    /// SM2 (what Chinese CAs make), PKCS#7 otherwise.
    pub fn default_profile(self) -> P7Profile {
        match self {
            SignAlg::Sm2 => P7Profile::Gmt0010,
            _ => P7Profile::Pkcs7,
        }
    }
}

/// The shape of the P7 (5.1.2's `signedData`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum P7Profile {
    /// GM/T 0010: SM2 OIDs `1.2.156.10197.6.1.4.2.2` (signedData) and
    /// `.2.1` (data), SM3, signature `1.2.156.10197.1.301.1`, no signed
    /// attributes (the signature is over the content), as CFCA's SADK does.
    /// SM2 only.
    Gmt0010,
    /// PKCS#7 / CMS: id-signedData, id-data, signed attributes contentType,
    /// messageDigest and signingTime (the signature is over them).
    Pkcs7,
}

impl P7Profile {
    /// `gmt0010` (also `gm`, `gmt-0010`) or `pkcs7` (also `cms`).
    pub fn parse(s: &str) -> Option<P7Profile> {
        match s.to_ascii_lowercase().as_str() {
            "gmt0010" | "gmt-0010" | "gm" => Some(P7Profile::Gmt0010),
            "pkcs7" | "cms" => Some(P7Profile::Pkcs7),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            P7Profile::Gmt0010 => "gmt0010",
            P7Profile::Pkcs7 => "pkcs7",
        }
    }
}

/// The SM2 user ID (distinguishing ID) of GM/T 0009 when none is given.
pub const DEFAULT_SM2_USER_ID: &str = "1234567812345678";

pub mod oids {
    use const_oid::ObjectIdentifier as O;
    /// GM/T 0010 data.
    pub const GM_DATA: O = O::new_unwrap("1.2.156.10197.6.1.4.2.1");
    /// GM/T 0010 signedData.
    pub const GM_SIGNED_DATA: O = O::new_unwrap("1.2.156.10197.6.1.4.2.2");
    pub const SM3: O = O::new_unwrap("1.2.156.10197.1.401");
    /// SM2 signature (sm2-1), the GM/T 0010 SignerInfo's signatureAlgorithm.
    pub const SM2_SIGN: O = O::new_unwrap("1.2.156.10197.1.301.1");
    /// SM2 with SM3, certificates' and PKCS#7 SignerInfos' signatureAlgorithm.
    pub const SM2_WITH_SM3: O = O::new_unwrap("1.2.156.10197.1.501");
    pub const SHA256: O = O::new_unwrap("2.16.840.1.101.3.4.2.1");
    pub const ECDSA_SHA256: O = O::new_unwrap("1.2.840.10045.4.3.2");
    pub const SHA256_RSA: O = O::new_unwrap("1.2.840.113549.1.1.11");
    /// id-ct-TSTInfo (RFC 3161).
    pub const CT_TST_INFO: O = O::new_unwrap("1.2.840.113549.1.9.16.1.4");
    pub const SIGNING_CERT_V2: O = O::new_unwrap("1.2.840.113549.1.9.16.2.47");
    /// The simulated TSA's policy (a private arc).
    pub const TSA_POLICY: O = O::new_unwrap("1.3.6.1.4.1.99999.1.1");
    pub const KP_TIME_STAMPING: O = O::new_unwrap("1.3.6.1.5.5.7.3.8");
    pub const KP_SERVER_AUTH: O = O::new_unwrap("1.3.6.1.5.5.7.3.1");
    pub const CN: O = O::new_unwrap("2.5.4.3");
    pub const C: O = O::new_unwrap("2.5.4.6");
    pub const O_: O = O::new_unwrap("2.5.4.10");
    pub const OU: O = O::new_unwrap("2.5.4.11");
    /// userId (UID), the doctor's openId.
    pub const UID: O = O::new_unwrap("0.9.2342.19200300.100.1.1");
}

type R<T> = Result<T, String>;

/// ECDSA-Sig-Value / SM2Signature: SEQUENCE { r INTEGER, s INTEGER }.
#[derive(Sequence)]
struct EcSig {
    r: der::asn1::Uint,
    s: der::asn1::Uint,
}

fn ec_sig_der(r: &[u8], s: &[u8]) -> Vec<u8> {
    EcSig {
        r: der::asn1::Uint::new(r).expect("r"),
        s: der::asn1::Uint::new(s).expect("s"),
    }
    .to_der()
    .expect("signature DER")
}

enum KeyKind {
    Sm2(sm2::dsa::SigningKey),
    Ecdsa(p256::ecdsa::SigningKey),
    Rsa(Box<rsa::pkcs1v15::SigningKey<Sha256>>),
}

/// A private key of the simulator's algorithm, with its SPKI.
pub struct Key {
    kind: KeyKind,
    spki: SubjectPublicKeyInfoOwned,
}

impl Key {
    /// A fresh key; `user_id` is the SM2 distinguishing ID this key signs with.
    pub fn generate(alg: SignAlg, user_id: &str) -> Key {
        let (kind, spki_der) = match alg {
            SignAlg::Sm2 => {
                let sk = sm2::SecretKey::random(&mut OsRng);
                let der = sk.public_key().to_public_key_der().expect("SM2 SPKI");
                let k = sm2::dsa::SigningKey::new(user_id, &sk).expect("SM2 key");
                (KeyKind::Sm2(k), der)
            }
            SignAlg::Ecdsa => {
                let k = p256::ecdsa::SigningKey::random(&mut OsRng);
                let der = k.verifying_key().to_public_key_der().expect("P-256 SPKI");
                (KeyKind::Ecdsa(k), der)
            }
            SignAlg::Rsa => {
                let k = rsa::RsaPrivateKey::new(&mut OsRng, 2048).expect("RSA key");
                let der = k.to_public_key().to_public_key_der().expect("RSA SPKI");
                (
                    KeyKind::Rsa(Box::new(rsa::pkcs1v15::SigningKey::<Sha256>::new(k))),
                    der,
                )
            }
        };
        let spki = SubjectPublicKeyInfoOwned::from_der(spki_der.as_bytes()).expect("SPKI");
        Key { kind, spki }
    }

    /// The signature over `msg`: SM2 (Z with the key's user ID, SM3) or
    /// ECDSA-SHA256 as DER `SEQUENCE{r,s}`, RSA PKCS#1 v1.5 SHA-256 as is.
    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        match &self.kind {
            KeyKind::Sm2(k) => {
                let sig: sm2::dsa::Signature = k.sign(msg);
                ec_sig_der(&sig.r_bytes(), &sig.s_bytes())
            }
            KeyKind::Ecdsa(k) => {
                let sig: p256::ecdsa::DerSignature = k.sign(msg);
                sig.as_bytes().to_vec()
            }
            KeyKind::Rsa(k) => {
                let sig: rsa::pkcs1v15::Signature = k.sign(msg);
                signature::SignatureEncoding::to_vec(&sig)
            }
        }
    }

    /// Check a signature made by `sign`.
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        match &self.kind {
            KeyKind::Sm2(k) => {
                let Ok(v) = EcSig::from_der(sig) else {
                    return false;
                };
                let (r, s) = (v.r.as_bytes(), v.s.as_bytes());
                if r.len() > 32 || s.len() > 32 {
                    return false;
                }
                let mut raw = [0u8; 64];
                raw[32 - r.len()..32].copy_from_slice(r);
                raw[64 - s.len()..].copy_from_slice(s);
                sm2::dsa::Signature::from_slice(&raw)
                    .is_ok_and(|sig| k.verifying_key().verify(msg, &sig).is_ok())
            }
            KeyKind::Ecdsa(k) => p256::ecdsa::DerSignature::try_from(sig)
                .is_ok_and(|sig| k.verifying_key().verify(msg, &sig).is_ok()),
            KeyKind::Rsa(k) => rsa::pkcs1v15::Signature::try_from(sig)
                .is_ok_and(|sig| k.verifying_key().verify(msg, &sig).is_ok()),
        }
    }

    /// The signature algorithm of certificates and PKCS#7 SignerInfos.
    pub fn sig_alg(&self) -> AlgorithmIdentifierOwned {
        match self.kind {
            KeyKind::Sm2(_) => alg_id(oids::SM2_WITH_SM3),
            KeyKind::Ecdsa(_) => alg_id(oids::ECDSA_SHA256),
            KeyKind::Rsa(_) => AlgorithmIdentifierOwned {
                oid: oids::SHA256_RSA,
                parameters: Some(Any::null()),
            },
        }
    }

    /// The digest that goes with the key: SM3 for SM2, SHA-256 otherwise.
    pub fn digest_alg(&self) -> AlgorithmIdentifierOwned {
        alg_id(match self.kind {
            KeyKind::Sm2(_) => oids::SM3,
            _ => oids::SHA256,
        })
    }

    pub fn digest(&self, data: &[u8]) -> Vec<u8> {
        match self.kind {
            KeyKind::Sm2(_) => sm3::Sm3::digest(data).to_vec(),
            _ => Sha256::digest(data).to_vec(),
        }
    }

    /// PKCS#8 DER (ECDSA P-256 keys only: the HTTPS server key).
    fn pkcs8(&self) -> Option<Vec<u8>> {
        use p256::pkcs8::EncodePrivateKey;
        match &self.kind {
            KeyKind::Ecdsa(k) => Some(k.to_pkcs8_der().ok()?.as_bytes().to_vec()),
            _ => None,
        }
    }
}

fn alg_id(oid: ObjectIdentifier) -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid,
        parameters: None,
    }
}

/// A public key as the builders want it (an SPKI that encodes itself).
#[derive(Clone)]
pub struct PubKey(SubjectPublicKeyInfoOwned);

impl EncodePublicKey for PubKey {
    fn to_public_key_der(&self) -> spki::Result<der::Document> {
        Ok(der::Document::encode_msg(&self.0)?)
    }
}

/// A signature value as the builders want it.
pub struct SigBits(Vec<u8>);

impl SignatureBitStringEncoding for SigBits {
    fn to_bitstring(&self) -> der::Result<der::asn1::BitString> {
        der::asn1::BitString::from_bytes(&self.0)
    }
}

/// `Key` seen through the traits of `x509-cert`'s and `cms`'s builders,
/// with the signature algorithm identifier they write.
struct Signing<'a> {
    key: &'a Key,
    alg: AlgorithmIdentifierOwned,
}

impl<'a> Signing<'a> {
    fn new(key: &'a Key) -> Self {
        Signing {
            key,
            alg: key.sig_alg(),
        }
    }
}

impl Keypair for Signing<'_> {
    type VerifyingKey = PubKey;
    fn verifying_key(&self) -> PubKey {
        PubKey(self.key.spki.clone())
    }
}

impl DynSignatureAlgorithmIdentifier for Signing<'_> {
    fn signature_algorithm_identifier(&self) -> spki::Result<AlgorithmIdentifierOwned> {
        Ok(self.alg.clone())
    }
}

impl signature::Signer<SigBits> for Signing<'_> {
    fn try_sign(&self, msg: &[u8]) -> Result<SigBits, signature::Error> {
        Ok(SigBits(self.key.sign(msg)))
    }
}

/// A key pair with its certificate.
pub struct Signer {
    pub key: Key,
    pub cert: Certificate,
    pub cert_der: Vec<u8>,
}

impl Signer {
    fn issuer_and_serial(&self) -> SignerIdentifier {
        SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: self.cert.tbs_certificate.issuer.clone(),
            serial_number: self.cert.tbs_certificate.serial_number.clone(),
        })
    }

    fn subject(&self) -> &Name {
        &self.cert.tbs_certificate.subject
    }

    pub fn pem(&self) -> String {
        self.cert
            .to_pem(der::pem::LineEnding::LF)
            .expect("certificate PEM")
    }
}

/// A doctor's key and certificate, made when first needed (an RSA key takes
/// a while to generate; most doctors never sign in a test).
pub struct LazySigner {
    name: String,
    open_id: String,
    cell: OnceLock<Signer>,
}

impl LazySigner {
    pub fn new(name: &str, open_id: &str) -> LazySigner {
        LazySigner {
            name: name.into(),
            open_id: open_id.into(),
            cell: OnceLock::new(),
        }
    }

    /// The key and certificate, made now (`now_ms`, the simulator's clock)
    /// if not yet.
    pub fn get(&self, pki: &Pki, now_ms: i64) -> &Signer {
        self.cell
            .get_or_init(|| pki.issue_doctor(&self.name, &self.open_id, now_ms.div_euclid(1000)))
    }
}

fn random_serial() -> SerialNumber {
    let mut b: [u8; 16] = rand::random();
    b[0] &= 0x7f;
    b[0] |= 0x10;
    SerialNumber::new(&b).expect("serial")
}

fn utf8(oid: ObjectIdentifier, v: &str) -> AttributeTypeAndValue {
    AttributeTypeAndValue {
        oid,
        value: Any::new(Tag::Utf8String, v.as_bytes()).expect("UTF8String"),
    }
}

/// C=CN, O=ywx-sim, OU=`ou`, CN=`cn` (and UID=`uid`).
fn dn(cn: &str, ou: &str, uid: Option<&str>) -> Name {
    let mut atvs = vec![
        AttributeTypeAndValue {
            oid: oids::C,
            value: Any::new(Tag::PrintableString, "CN".as_bytes()).expect("C"),
        },
        utf8(oids::O_, "ywx-sim"),
        utf8(oids::OU, ou),
        utf8(oids::CN, cn),
    ];
    if let Some(u) = uid {
        atvs.push(utf8(oids::UID, u));
    }
    RdnSequence(
        atvs.into_iter()
            .map(|a| RelativeDistinguishedName(SetOfVec::try_from(vec![a]).expect("RDN")))
            .collect(),
    )
}

fn x509_time(unix_secs: i64) -> Time {
    let dt = der::DateTime::from_unix_duration(Duration::from_secs(unix_secs.max(0) as u64))
        .expect("time");
    if dt.year() <= 2049 {
        Time::UtcTime(UtcTime::from_date_time(dt).expect("UTCTime"))
    } else {
        Time::GeneralTime(GeneralizedTime::from_date_time(dt))
    }
}

const DAY: i64 = 86400;
const YEAR: i64 = 365 * DAY;

/// What a certificate is for.
enum Kind {
    Root,
    Intermediate,
    Doctor,
    Tsa,
    Server,
}

/// Issue a certificate for `key` named `subject`, signed by `issuer` (None:
/// self-signed), valid from a day before `now` for `years`.
fn issue(
    kind: Kind,
    key: Key,
    subject: Name,
    issuer: Option<&Signer>,
    now: i64,
    years: i64,
) -> Signer {
    let validity = Validity {
        not_before: x509_time(now - DAY),
        not_after: x509_time(now + years * YEAR),
    };
    let spki = key.spki.clone();
    let signing = match issuer {
        Some(i) => Signing::new(&i.key),
        None => Signing::new(&key),
    };
    let issuer_name = issuer.map(|i| i.subject().clone());
    let profile = match kind {
        Kind::Root => Profile::Root,
        Kind::Intermediate => Profile::SubCA {
            issuer: issuer_name.expect("issuer"),
            path_len_constraint: Some(0),
        },
        _ => Profile::Leaf {
            issuer: issuer_name.expect("issuer"),
            enable_key_agreement: false,
            enable_key_encipherment: false,
        },
    };
    let mut b =
        CertificateBuilder::new(profile, random_serial(), validity, subject, spki, &signing)
            .expect("certificate builder");
    match kind {
        // RFC 3161 and `openssl ts`: a critical EKU of timeStamping only
        // (x509-cert marks an EKU without anyExtendedKeyUsage critical).
        Kind::Tsa => b
            .add_extension(&ExtendedKeyUsage(vec![oids::KP_TIME_STAMPING]))
            .expect("EKU"),
        Kind::Server => {
            b.add_extension(&ExtendedKeyUsage(vec![oids::KP_SERVER_AUTH]))
                .expect("EKU");
            b.add_extension(&SubjectAltName(vec![
                GeneralName::DnsName(der::asn1::Ia5String::new("localhost").expect("dns")),
                GeneralName::IpAddress(OctetString::new([127u8, 0, 0, 1]).expect("ip")),
            ]))
            .expect("SAN");
        }
        _ => {}
    }
    let cert = b.build::<SigBits>().expect("certificate");
    let cert_der = cert.to_der().expect("certificate DER");
    Signer {
        key,
        cert,
        cert_der,
    }
}

/// RFC 3161 TSTInfo (the fields the simulator writes).
#[derive(Sequence)]
pub struct TstInfo {
    pub version: u8,
    pub policy: ObjectIdentifier,
    pub message_imprint: MessageImprint,
    pub serial_number: der::asn1::Uint,
    pub gen_time: GeneralizedTime,
    #[asn1(optional = "true")]
    pub accuracy: Option<Accuracy>,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub tsa: Option<GeneralName>,
}

#[derive(Sequence)]
pub struct MessageImprint {
    pub hash_algorithm: AlgorithmIdentifierOwned,
    pub hashed_message: OctetString,
}

/// Accuracy ::= SEQUENCE { seconds INTEGER OPTIONAL, millis [0], micros [1] }
#[derive(Sequence)]
pub struct Accuracy {
    #[asn1(optional = "true")]
    pub seconds: Option<u32>,
}

/// ESSCertIDv2 with the default hashAlgorithm (SHA-256).
#[derive(Sequence)]
struct EssCertIdV2 {
    cert_hash: OctetString,
}

/// SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2 }
#[derive(Sequence)]
struct SigningCertificateV2 {
    certs: Vec<EssCertIdV2>,
}

fn attr(oid: ObjectIdentifier, value_der: &[u8]) -> Attribute {
    let mut values = SetOfVec::new();
    values
        .insert(AttributeValue::from_der(value_der).expect("attribute value"))
        .expect("attribute");
    Attribute { oid, values }
}

/// signingTime: UTCTime until 2049, as RFC 5652 11.3 says.
fn signing_time_der(unix_ms: i64) -> Vec<u8> {
    match x509_time(unix_ms.div_euclid(1000)) {
        Time::UtcTime(t) => t.to_der(),
        Time::GeneralTime(t) => t.to_der(),
    }
    .expect("signingTime")
}

fn octets_any(b: &[u8]) -> Any {
    Any::new(Tag::OctetString, b).expect("OCTET STRING")
}

/// How a simulator's PKI is set up.
#[derive(Clone, Debug)]
pub struct PkiOptions {
    pub alg: SignAlg,
    pub profile: P7Profile,
    pub detached: bool,
    pub sm2_user_id: String,
}

pub struct Pki {
    pub opts: PkiOptions,
    inter: Signer,
    tsa: Signer,
    /// PEM: the root, then the intermediate.
    pub ca_pem: String,
    tls: OnceLock<(Signer, String)>,
}

impl Pki {
    /// A new CA (root and intermediate) and TSA; `now` is the simulator's
    /// clock (Unix seconds).
    pub fn new(opts: PkiOptions, now: i64) -> R<Pki> {
        if opts.profile == P7Profile::Gmt0010 && opts.alg != SignAlg::Sm2 {
            return Err(format!(
                "--p7-profile gmt0010 needs --sign-alg sm2 (GM/T 0010 is an SM2 profile), not {}",
                opts.alg.name()
            ));
        }
        if opts.sm2_user_id.len() >= 8191 {
            return Err("--sm2-user-id is too long".into());
        }
        let alg = opts.alg;
        let label = match alg {
            SignAlg::Sm2 => "SM2",
            SignAlg::Ecdsa => "ECDSA",
            SignAlg::Rsa => "RSA",
        };
        // Three keys at once (an RSA key takes a while).
        let [root_key, inter_key, tsa_key] = std::thread::scope(|sc| {
            let ks = [(); 3].map(|_| sc.spawn(move || Key::generate(alg, DEFAULT_SM2_USER_ID)));
            ks.map(|k| k.join().expect("key generation"))
        });
        let root = issue(
            Kind::Root,
            root_key,
            dn(&format!("ywx-sim Root CA {label}"), "CA", None),
            None,
            now,
            20,
        );
        let inter = issue(
            Kind::Intermediate,
            inter_key,
            dn(&format!("ywx-sim Doctors CA {label}"), "CA", None),
            Some(&root),
            now,
            10,
        );
        let tsa = issue(
            Kind::Tsa,
            tsa_key,
            dn(&format!("ywx-sim TSA {label}"), "TSA", None),
            Some(&inter),
            now,
            5,
        );
        let ca_pem = format!("{}{}", root.pem(), inter.pem());
        Ok(Pki {
            opts,
            inter,
            tsa,
            ca_pem,
            tls: OnceLock::new(),
        })
    }

    /// A doctor's key (signing with the configured SM2 user ID) and a
    /// certificate from the intermediate, valid for 2 years.
    pub fn issue_doctor(&self, name: &str, open_id: &str, now: i64) -> Signer {
        issue(
            Kind::Doctor,
            Key::generate(self.opts.alg, &self.opts.sm2_user_id),
            dn(name, "Doctors", Some(open_id)),
            Some(&self.inter),
            now,
            2,
        )
    }

    /// The HTTPS server certificate for 127.0.0.1 and localhost and the
    /// PEM of the (ECDSA P-256) root that issued it: (cert DER, PKCS#8 key
    /// DER, root PEM).
    pub fn tls_server(&self, now: i64) -> (Vec<u8>, Vec<u8>, String) {
        let (server, root_pem) = self.tls.get_or_init(|| {
            let root = issue(
                Kind::Root,
                Key::generate(SignAlg::Ecdsa, DEFAULT_SM2_USER_ID),
                dn("ywx-sim TLS Root CA", "TLS", None),
                None,
                now,
                20,
            );
            let server = issue(
                Kind::Server,
                Key::generate(SignAlg::Ecdsa, DEFAULT_SM2_USER_ID),
                dn("localhost", "Server", None),
                Some(&root),
                now,
                2,
            );
            (server, root.pem())
        });
        (
            server.cert_der.clone(),
            server.key.pkcs8().expect("P-256 PKCS#8"),
            root_pem.clone(),
        )
    }

    /// P1: the doctor's signature over the content (see `Key::sign`).
    pub fn p1(&self, s: &Signer, content: &[u8]) -> Vec<u8> {
        s.key.sign(content)
    }

    /// P7: the doctor's SignedData over the content in the configured
    /// profile, the content attached unless configured detached, with the
    /// doctor's and the intermediate's certificates.
    pub fn p7(&self, s: &Signer, content: &[u8], now_ms: i64) -> Vec<u8> {
        let certs = [&s.cert, &self.inter.cert];
        match self.opts.profile {
            P7Profile::Gmt0010 => self.p7_gmt0010(s, content, &certs),
            P7Profile::Pkcs7 => {
                let attrs = vec![attr(ID_SIGNING_TIME, &signing_time_der(now_ms))];
                let econtent = (!self.opts.detached).then_some(content);
                signed_data_pkcs7(s, ID_DATA, content, econtent, attrs, &certs)
            }
        }
    }

    /// GM/T 0010 SignedData without signed attributes: the SM2 signature
    /// (with the user ID) is over the content itself.
    fn p7_gmt0010(&self, s: &Signer, content: &[u8], certs: &[&Certificate]) -> Vec<u8> {
        let signer_info = SignerInfo {
            version: CmsVersion::V1,
            sid: s.issuer_and_serial(),
            digest_alg: s.key.digest_alg(),
            signed_attrs: None,
            signature_algorithm: alg_id(oids::SM2_SIGN),
            signature: OctetString::new(s.key.sign(content)).expect("signature"),
            unsigned_attrs: None,
        };
        let sd = SignedData {
            version: CmsVersion::V1,
            digest_algorithms: SetOfVec::try_from(vec![s.key.digest_alg()]).expect("digests"),
            encap_content_info: EncapsulatedContentInfo {
                econtent_type: oids::GM_DATA,
                econtent: (!self.opts.detached).then(|| octets_any(content)),
            },
            certificates: Some(cert_set(certs)),
            crls: None,
            signer_infos: SignerInfos(SetOfVec::try_from(vec![signer_info]).expect("signers")),
        };
        ContentInfo {
            content_type: oids::GM_SIGNED_DATA,
            content: Any::encode_from(&sd).expect("SignedData"),
        }
        .to_der()
        .expect("ContentInfo")
    }

    /// An RFC 3161 TimeStampToken over `content`: the messageImprint is
    /// H(content), H = SM3 for SM2, SHA-256 otherwise; genTime `now_ms`; a
    /// SignedData (PKCS#7 profile, as RFC 3161 requires) by the TSA with
    /// signingCertificateV2, the TSA's and the intermediate's certificates.
    pub fn timestamp(&self, content: &[u8], now_ms: i64) -> Vec<u8> {
        let serial: [u8; 12] = rand::random();
        let secs = now_ms.div_euclid(1000);
        let gen_time = GeneralizedTime::from_unix_duration(Duration::from_secs(secs.max(0) as u64))
            .expect("genTime");
        let tst = TstInfo {
            version: 1,
            policy: oids::TSA_POLICY,
            message_imprint: MessageImprint {
                hash_algorithm: self.tsa.key.digest_alg(),
                hashed_message: OctetString::new(self.tsa.key.digest(content)).expect("imprint"),
            },
            serial_number: der::asn1::Uint::new(&serial).expect("serial"),
            gen_time,
            accuracy: Some(Accuracy { seconds: Some(1) }),
            tsa: Some(GeneralName::DirectoryName(self.tsa.subject().clone())),
        }
        .to_der()
        .expect("TSTInfo");
        let ess = SigningCertificateV2 {
            certs: vec![EssCertIdV2 {
                cert_hash: OctetString::new(Sha256::digest(&self.tsa.cert_der).to_vec())
                    .expect("certHash"),
            }],
        }
        .to_der()
        .expect("SigningCertificateV2");
        let attrs = vec![
            attr(ID_SIGNING_TIME, &signing_time_der(now_ms)),
            attr(oids::SIGNING_CERT_V2, &ess),
        ];
        signed_data_pkcs7(
            &self.tsa,
            oids::CT_TST_INFO,
            &tst,
            Some(&tst),
            attrs,
            &[&self.tsa.cert, &self.inter.cert],
        )
    }

    /// Verify a token made by `timestamp` against `content`: the TSA's
    /// signature over the signed attributes, messageDigest over the
    /// TSTInfo, and the imprint (6.1.2).
    pub fn verify_timestamp(&self, token: &[u8], content: &[u8]) -> bool {
        self.check_timestamp(token, content).unwrap_or(false)
    }

    fn check_timestamp(&self, token: &[u8], content: &[u8]) -> Option<bool> {
        let ci = ContentInfo::from_der(token).ok()?;
        if ci.content_type != ID_SIGNED_DATA {
            return Some(false);
        }
        let sd: SignedData = ci.content.decode_as().ok()?;
        if sd.encap_content_info.econtent_type != oids::CT_TST_INFO {
            return Some(false);
        }
        let tst_der = OctetString::from_der(&sd.encap_content_info.econtent?.to_der().ok()?)
            .ok()?
            .into_bytes();
        let si = sd.signer_infos.0.iter().next()?;
        let attrs = si.signed_attrs.as_ref()?;
        let signed = attrs.to_der().ok()?;
        if !self.tsa.key.verify(&signed, si.signature.as_bytes()) {
            return Some(false);
        }
        let md = attrs
            .iter()
            .find(|a| a.oid == ID_MESSAGE_DIGEST)?
            .values
            .iter()
            .next()?
            .decode_as::<OctetString>()
            .ok()?;
        if md.as_bytes() != self.tsa.key.digest(&tst_der).as_slice() {
            return Some(false);
        }
        let tst = TstInfo::from_der(&tst_der).ok()?;
        let want = match tst.message_imprint.hash_algorithm.oid {
            oids::SM3 => sm3::Sm3::digest(content).to_vec(),
            oids::SHA256 => Sha256::digest(content).to_vec(),
            _ => return Some(false),
        };
        Some(tst.message_imprint.hashed_message.as_bytes() == want.as_slice())
    }
}

fn cert_set(certs: &[&Certificate]) -> CertificateSet {
    CertificateSet(
        SetOfVec::try_from(
            certs
                .iter()
                .map(|c| CertificateChoices::Certificate((*c).clone()))
                .collect::<Vec<_>>(),
        )
        .expect("certificates"),
    )
}

/// A PKCS#7-profile SignedData by `s` over `content` of type
/// `econtent_type`, built by `cms`'s builder: signed attributes
/// contentType, messageDigest (the digest of `content`, computed here since
/// the builder knows no SM3) and `attrs`; `econtent` attached when given.
fn signed_data_pkcs7(
    s: &Signer,
    econtent_type: ObjectIdentifier,
    content: &[u8],
    econtent: Option<&[u8]>,
    attrs: Vec<Attribute>,
    certs: &[&Certificate],
) -> Vec<u8> {
    let digest = s.key.digest(content);
    // The builder signs over an external digest only with no eContent: the
    // SignerInfo is built for the detached form, the SignedData carries the
    // content when attached.
    let detached = EncapsulatedContentInfo {
        econtent_type,
        econtent: None,
    };
    let out = EncapsulatedContentInfo {
        econtent_type,
        econtent: econtent.map(octets_any),
    };
    let signing = Signing::new(&s.key);
    let mut si = SignerInfoBuilder::new(
        &signing,
        s.issuer_and_serial(),
        s.key.digest_alg(),
        &detached,
        Some(&digest),
    )
    .expect("SignerInfo builder");
    // contentType and messageDigest are added by the builder (one given
    // here would fail its check, which compares the attribute's type, not
    // its value, with eContentType).
    for a in attrs {
        si.add_signed_attribute(a).expect("attribute");
    }
    let mut b = SignedDataBuilder::new(&out);
    b.add_digest_algorithm(s.key.digest_alg())
        .expect("digest algorithm");
    for c in certs {
        b.add_certificate(CertificateChoices::Certificate((*c).clone()))
            .expect("certificate");
    }
    b.add_signer_info::<Signing<'_>, SigBits>(si)
        .expect("SignerInfo");
    b.build()
        .expect("SignedData")
        .to_der()
        .expect("ContentInfo")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pki(alg: SignAlg) -> Pki {
        Pki::new(
            PkiOptions {
                alg,
                profile: alg.default_profile(),
                detached: false,
                sm2_user_id: DEFAULT_SM2_USER_ID.into(),
            },
            chrono::Utc::now().timestamp(),
        )
        .unwrap()
    }

    #[test]
    fn sign_verify_and_timestamp_each_algorithm() {
        for alg in [SignAlg::Sm2, SignAlg::Ecdsa, SignAlg::Rsa] {
            let pki = pki(alg);
            let now = chrono::Utc::now().timestamp_millis();
            let t = pki.timestamp(b"hello", now);
            assert!(pki.verify_timestamp(&t, b"hello"), "{alg:?}");
            assert!(!pki.verify_timestamp(&t, b"hellO"), "{alg:?}");
            let d = pki.issue_doctor("张三", "x", now / 1000);
            let sig = pki.p1(&d, b"abc");
            assert!(d.key.verify(b"abc", &sig), "{alg:?}");
            assert!(!d.key.verify(b"abd", &sig), "{alg:?}");
            let p7 = pki.p7(&d, b"abc", now);
            let ci = ContentInfo::from_der(&p7).unwrap();
            let want = if alg == SignAlg::Sm2 {
                oids::GM_SIGNED_DATA
            } else {
                ID_SIGNED_DATA
            };
            assert_eq!(ci.content_type, want);
        }
    }

    #[test]
    fn gmt0010_is_sm2_only() {
        let r = Pki::new(
            PkiOptions {
                alg: SignAlg::Ecdsa,
                profile: P7Profile::Gmt0010,
                detached: false,
                sm2_user_id: DEFAULT_SM2_USER_ID.into(),
            },
            0,
        );
        assert!(r.is_err());
    }
}
