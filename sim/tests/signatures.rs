//! The simulator's signatures, checked by openssl (3.0): each algorithm
//! (SM2/SM3, ECDSA P-256, RSA 2048) and P7 profile (GM/T 0010, PKCS#7),
//! the CA chain of `/sim/ca`, P1s, P7s and RFC 3161 timestamp tokens.
//!
//! ECDSA and RSA: openssl verifies each piece whole (`cms -verify`,
//! `verify`, `dgst -verify`, `ts -verify`). SM2: OpenSSL 3.0 verifies SM2
//! signatures only where it is given the user ID (`pkeyutl -pkeyopt
//! distid:`, `verify -vfyopt distid:`, which applies to the certificate
//! verified, not to the CAs above it), and its CMS and TS code passes none;
//! so `openssl asn1parse` finds the pieces (the structure as openssl reads
//! it), and openssl checks each signature and digest over them.

mod common;
use base64::Engine;
use common::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use ywx_sim::*;

const DISTID: &str = "distid:1234567812345678";

fn put(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes).unwrap();
}

fn get(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap()
}

/// The evidence of one signed hash order, written to `dir`: content.bin
/// (the hashValue's bytes), p7.der, p1.bin, cert.der/.pem (from isP1),
/// tst.der (4.3.5's timeStampSignData), ca.pem (`/sim/ca`), root.pem and
/// inter.pem.
struct Evidence {
    dir: PathBuf,
    uid: String,
    push: Value,
}

fn sign_flow(c: &C, name: &str) -> Evidence {
    let ur: String = format!("sig{name}")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let push = c.push_hash(&ur, SIGNING_DOCTOR);
    let uid = push["uniqueId"].as_str().unwrap().to_string();
    c.sign(&uid);
    let dir = tmpdir(name);
    put(&dir, "content.bin", &B64.decode(digest_b64(&ur)).unwrap());
    let search = |p1: bool| {
        c.ok(
            "/gateway/recipe/synSignDataSearch",
            json!({"head": head(), "body": {"uniqueId": uid, "isP1": p1}}),
        )
    };
    let r = search(false);
    put(
        &dir,
        "p7.der",
        &B64.decode(r["signedData"].as_str().unwrap()).unwrap(),
    );
    let r = search(true);
    put(
        &dir,
        "p1.bin",
        &B64.decode(r["p1"].as_str().unwrap()).unwrap(),
    );
    put(
        &dir,
        "cert.der",
        &B64.decode(r["cert"].as_str().unwrap()).unwrap(),
    );
    put(
        &dir,
        "tst.der",
        &B64.decode(push["timeStampSignData"].as_str().unwrap())
            .unwrap(),
    );
    let ca = c.get_text("/sim/ca");
    assert_eq!(ca, c.sim.ca_pem());
    let certs = split_pem(&ca);
    assert_eq!(certs.len(), 2, "/sim/ca: the root, then the intermediate");
    put(&dir, "ca.pem", ca.as_bytes());
    put(&dir, "root.pem", certs[0].as_bytes());
    put(&dir, "inter.pem", certs[1].as_bytes());
    for (pem, der) in [("root.pem", "root.der"), ("inter.pem", "inter.der")] {
        openssl(&dir, &["x509", "-in", pem, "-outform", "DER", "-out", der]);
    }
    openssl(
        &dir,
        &[
            "x509", "-inform", "DER", "-in", "cert.der", "-out", "cert.pem",
        ],
    );
    Evidence { dir, uid, push }
}

fn text(dir: &PathBuf, pem: &str) -> String {
    openssl(
        dir,
        &[
            "x509",
            "-in",
            pem,
            "-noout",
            "-text",
            "-nameopt",
            "RFC2253,-esc_msb",
        ],
    )
}

/// The extensions a CA writes: the root self-signed CA, the intermediate
/// (path length 0) under it, the doctor's end-entity certificate under the
/// intermediate.
fn check_certificates(dir: &PathBuf, sig_alg: &str, key: &str) {
    let root = text(dir, "root.pem");
    let inter = text(dir, "inter.pem");
    let doc = text(dir, "cert.pem");
    for t in [&root, &inter, &doc] {
        assert!(
            t.contains(&format!("Signature Algorithm: {sig_alg}")),
            "{t}"
        );
        assert!(t.contains(key), "{key}: {t}");
        assert!(t.contains("X509v3 Subject Key Identifier"), "{t}");
        assert!(t.contains("Version: 3"), "{t}");
    }
    assert!(root.contains("CA:TRUE"), "{root}");
    assert!(root.contains("Certificate Sign, CRL Sign"), "{root}");
    assert!(root.contains("Issuer: CN=ywx-sim Root CA"), "{root}");
    assert!(root.contains("Subject: CN=ywx-sim Root CA"), "{root}");
    assert!(inter.contains("CA:TRUE, pathlen:0"), "{inter}");
    assert!(inter.contains("Certificate Sign, CRL Sign"), "{inter}");
    assert!(inter.contains("X509v3 Authority Key Identifier"), "{inter}");
    assert!(inter.contains("Issuer: CN=ywx-sim Root CA"), "{inter}");
    assert!(inter.contains("Subject: CN=ywx-sim Doctors CA"), "{inter}");
    assert!(doc.contains("CA:FALSE"), "{doc}");
    assert!(doc.contains("Digital Signature, Non Repudiation"), "{doc}");
    assert!(!doc.contains("Certificate Sign"), "{doc}");
    assert!(doc.contains("X509v3 Authority Key Identifier"), "{doc}");
    assert!(doc.contains("Issuer: CN=ywx-sim Doctors CA"), "{doc}");
    assert!(
        doc.contains(&format!(
            "UID={SIGNING_DOCTOR},CN=张伟,OU=Doctors,O=ywx-sim,C=CN"
        )),
        "{doc}"
    );
    // AKI of each = SKI of its issuer
    let ski = |t: &str| {
        let i = t.find("Subject Key Identifier").unwrap();
        t[i..].lines().nth(1).unwrap().trim().to_string()
    };
    let aki = |t: &str| {
        let i = t.find("Authority Key Identifier").unwrap();
        let l = t[i..].lines().nth(1).unwrap().trim().to_string();
        l.trim_start_matches("keyid:").to_string()
    };
    assert_eq!(aki(&inter), ski(&root));
    assert_eq!(aki(&doc), ski(&inter));
    // validity that makes sense: from yesterday, root 20 years, the
    // intermediate 10, the doctor 2; each within its issuer's
    for t in [&root, &inter, &doc] {
        assert!(
            t.contains("Not Before:") && t.contains("Not After :"),
            "{t}"
        );
    }
    let (ok, out) = openssl_try(
        dir,
        &["x509", "-in", "cert.pem", "-noout", "-checkend", "0"],
    );
    assert!(ok, "the doctor's certificate is valid now: {out}");
    let (ok, _) = openssl_try(
        dir,
        &[
            "x509",
            "-in",
            "cert.pem",
            "-noout",
            "-checkend",
            &(3 * 365 * 86400).to_string(),
        ],
    );
    assert!(!ok, "the doctor's certificate ends within 3 years");
    let (ok, _) = openssl_try(
        dir,
        &[
            "x509",
            "-in",
            "root.pem",
            "-noout",
            "-checkend",
            &(19 * 365 * 86400).to_string(),
        ],
    );
    assert!(ok, "the root lasts beyond 19 years");
    // serial numbers: positive, random, distinct
    let serial = |t: &str| {
        let i = t.find("Serial Number:").unwrap();
        t[i..].lines().nth(1).unwrap().trim().to_string()
    };
    let s = [serial(&root), serial(&inter), serial(&doc)];
    assert!(s[0] != s[1] && s[1] != s[2] && s[0] != s[2], "{s:?}");
    assert!(s.iter().all(|x| x.len() >= 16 * 3 - 1), "{s:?}");
}

/// An SM2 chain, link by link (`-vfyopt distid:` applies to the
/// certificate verified only): root → intermediate → `leaf`, and the
/// root's self-signature over its TBSCertificate.
fn check_sm2_chain(dir: &PathBuf, leaf: &str) {
    let link = |ca: &str, cert: &str, id: &str| {
        openssl_try(
            dir,
            &[
                "verify",
                "-vfyopt",
                id,
                "-partial_chain",
                "-CAfile",
                ca,
                cert,
            ],
        )
    };
    let (ok, out) = link("root.pem", "inter.pem", DISTID);
    assert!(ok, "root → intermediate: {out}");
    let (ok, out) = link("inter.pem", leaf, DISTID);
    assert!(ok, "intermediate → {leaf}: {out}");
    let (ok, _) = link("inter.pem", leaf, "distid:1234567812345679");
    assert!(!ok, "a wrong user ID must not verify");
    let (ok, _) = link("root.pem", leaf, DISTID);
    assert!(!ok, "{leaf} is not issued by the root itself");
    // the root's self-signature
    let der = get(dir, "root.der");
    let n = asn1parse(dir, "root.der");
    let k = kids(&n, 0);
    assert_eq!(k.len(), 3, "{n:?}");
    assert_eq!(n[kids(&n, k[1])[0]].value, "SM2-with-SM3");
    put(dir, "root-tbs.der", n[k[0]].tlv(&der));
    let bits = n[k[2]].content(&der);
    assert_eq!(bits[0], 0, "no unused bits");
    put(dir, "root-sig.bin", &bits[1..]);
    openssl(
        dir,
        &[
            "x509",
            "-in",
            "root.pem",
            "-pubkey",
            "-noout",
            "-out",
            "root-pub.pem",
        ],
    );
    pkeyutl_sm2(
        dir,
        "root-pub.pem",
        false,
        "root-tbs.der",
        "root-sig.bin",
        DISTID,
    );
}

/// `openssl pkeyutl -verify` of an SM2 signature over `msg` (SM3, Z with
/// the user ID `id`); panics unless it verifies.
fn pkeyutl_sm2(dir: &PathBuf, key: &str, certin: bool, msg: &str, sig: &str, id: &str) {
    let (ok, out) = pkeyutl_sm2_try(dir, key, certin, msg, sig, id);
    assert!(ok, "pkeyutl {key} {msg} {sig} {id}: {out}");
}

fn pkeyutl_sm2_try(
    dir: &PathBuf,
    key: &str,
    certin: bool,
    msg: &str,
    sig: &str,
    id: &str,
) -> (bool, String) {
    let kin = if certin { "-certin" } else { "-pubin" };
    openssl_try(
        dir,
        &[
            "pkeyutl", "-verify", kin, "-inkey", key, "-rawin", "-in", msg, "-digest", "sm3",
            "-sigfile", sig, "-pkeyopt", id,
        ],
    )
}

/// Signed attributes: the SET's bytes (what is signed), and each
/// attribute's name and the indexes of its value nodes.
type SignedAttrs = (Vec<u8>, Vec<(String, Vec<usize>)>);

/// A CMS / PKCS#7 SignedData as openssl's asn1parse reads it.
struct Cms {
    der: Vec<u8>,
    nodes: Vec<Asn1>,
    content_type: String,
    version: String,
    digest_algs: Vec<String>,
    econtent_type: String,
    econtent: Option<Vec<u8>>,
    certs: Vec<Vec<u8>>,
    digest_alg: String,
    /// The signed attributes as a SET (the bytes signed), with each
    /// attribute's name and value nodes.
    signed_attrs: Option<SignedAttrs>,
    sig_alg: String,
    signature: Vec<u8>,
}

fn read_cms(dir: &PathBuf, file: &str) -> Cms {
    let der = get(dir, file);
    let n = asn1parse(dir, file);
    let ci = kids(&n, 0);
    assert_eq!(ci.len(), 2, "ContentInfo: {n:?}");
    let sd = kids(&n, ci[1])[0];
    let f = kids(&n, sd);
    assert_eq!(
        f.len(),
        5,
        "SignedData version, digestAlgorithms, encapContentInfo, certificates, signerInfos"
    );
    let alg = |i: usize| n[kids(&n, i)[0]].value.clone();
    let encap = kids(&n, f[2]);
    let econtent = encap.get(1).map(|&c| {
        let o = kids(&n, c)[0];
        assert!(n[o].tag.starts_with("OCTET STRING"), "{:?}", n[o]);
        n[o].content(&der).to_vec()
    });
    assert_eq!(n[f[3]].tag, "cont [ 0 ]");
    let certs = kids(&n, f[3])
        .iter()
        .map(|&c| n[c].tlv(&der).to_vec())
        .collect();
    let sis = kids(&n, f[4]);
    assert_eq!(sis.len(), 1, "one signer");
    let si = kids(&n, sis[0]);
    assert_eq!(
        n[si[0]].value, "01",
        "SignerInfo version 1 (issuerAndSerialNumber)"
    );
    let (signed_attrs, rest) = if n[si[3]].tag == "cont [ 0 ]" {
        let a = &n[si[3]];
        let mut set = a.tlv(&der).to_vec();
        assert_eq!(set[0], 0xa0);
        set[0] = 0x31;
        let attrs = kids(&n, si[3])
            .into_iter()
            .map(|at| {
                let k = kids(&n, at);
                (n[k[0]].value.clone(), kids(&n, k[1]))
            })
            .collect();
        (Some((set, attrs)), &si[4..])
    } else {
        (None, &si[3..])
    };
    assert_eq!(
        rest.len(),
        2,
        "signatureAlgorithm, signature (no unsigned attributes)"
    );
    Cms {
        content_type: n[ci[0]].value.clone(),
        version: n[f[0]].value.clone(),
        digest_algs: kids(&n, f[1]).into_iter().map(alg).collect(),
        econtent_type: n[encap[0]].value.clone(),
        econtent,
        certs,
        digest_alg: alg(si[2]),
        signed_attrs,
        sig_alg: alg(rest[0]),
        signature: n[rest[1]].content(&der).to_vec(),
        der,
        nodes: n,
    }
}

impl Cms {
    fn attr(&self, name: &str) -> Option<&Asn1> {
        let (_, attrs) = self.signed_attrs.as_ref()?;
        let (_, v) = attrs.iter().find(|(n, _)| n == name)?;
        assert_eq!(v.len(), 1, "{name}: one value");
        Some(&self.nodes[v[0]])
    }
}

/// `openssl dgst -ALG` of a file, hex.
fn dgst(dir: &PathBuf, alg: &str, file: &str) -> String {
    let out = openssl(dir, &["dgst", &format!("-{alg}"), "-r", file]);
    out.split_whitespace().next().unwrap().to_string()
}

/// The certificate of `cms` whose DER is `want` is there; the others written
/// as PEM files `prefix0.pem`...; answers the file of the one whose subject
/// contains `cn`.
fn cms_cert(dir: &PathBuf, cms: &Cms, prefix: &str, cn: &str) -> String {
    let mut found = None;
    for (i, c) in cms.certs.iter().enumerate() {
        let der = format!("{prefix}{i}.der");
        let pem = format!("{prefix}{i}.pem");
        put(dir, &der, c);
        openssl(dir, &["x509", "-inform", "DER", "-in", &der, "-out", &pem]);
        let subj = openssl(
            dir,
            &[
                "x509", "-in", &pem, "-noout", "-subject", "-nameopt", "RFC2253",
            ],
        );
        if subj.contains(cn) {
            found = Some(pem);
        }
    }
    found.unwrap_or_else(|| panic!("no certificate with {cn} in {prefix}"))
}

/// An SM2 timestamp token: the TSTInfo's SM3 imprint over the content, the
/// TSA's signature over the signed attributes, messageDigest = SM3(TSTInfo),
/// signingCertificateV2 = SHA-256 of the TSA certificate, the TSA's
/// certificate under the intermediate with a critical timeStamping EKU.
fn check_sm2_timestamp(dir: &PathBuf) {
    let t = read_cms(dir, "tst.der");
    assert_eq!(
        t.content_type, "pkcs7-signedData",
        "RFC 3161: id-signedData"
    );
    assert_eq!(t.econtent_type, "id-smime-ct-TSTInfo");
    assert_eq!(t.version, "03");
    assert_eq!(t.digest_algs, ["sm3"]);
    assert_eq!(t.digest_alg, "sm3");
    assert_eq!(t.sig_alg, "SM2-with-SM3");
    put(dir, "tstinfo.der", t.econtent.as_ref().unwrap());
    let ti = asn1parse(dir, "tstinfo.der");
    let tk = kids(&ti, 0);
    assert_eq!(ti[tk[0]].value, "01", "TSTInfo version");
    let imprint = kids(&ti, tk[2]);
    assert_eq!(ti[kids(&ti, imprint[0])[0]].value, "sm3");
    let tstinfo = get(dir, "tstinfo.der");
    assert_eq!(
        hex(ti[imprint[1]].content(&tstinfo)),
        dgst(dir, "sm3", "content.bin"),
        "the imprint is SM3 of the content"
    );
    assert_eq!(ti[tk[4]].tag, "GENERALIZEDTIME");
    let md = t.attr("messageDigest").expect("messageDigest");
    assert_eq!(hex(md.content(&t.der)), dgst(dir, "sm3", "tstinfo.der"));
    assert_eq!(t.attr("contentType").unwrap().value, "id-smime-ct-TSTInfo");
    let tsa = cms_cert(dir, &t, "tsa", "CN=ywx-sim TSA SM2");
    let tsa_text = text(dir, &tsa);
    assert!(
        tsa_text.contains("X509v3 Extended Key Usage: critical"),
        "{tsa_text}"
    );
    assert!(tsa_text.contains("Time Stamping"), "{tsa_text}");
    assert!(
        tsa_text.contains("Issuer: CN=ywx-sim Doctors CA SM2"),
        "{tsa_text}"
    );
    let (ok, out) = openssl_try(
        dir,
        &[
            "verify",
            "-vfyopt",
            DISTID,
            "-partial_chain",
            "-purpose",
            "timestampsign",
            "-CAfile",
            "inter.pem",
            &tsa,
        ],
    );
    assert!(ok, "intermediate → TSA: {out}");
    let tsa_der = tsa.replace(".pem", ".der");
    let ess = t.attr("id-smime-aa-signingCertificateV2").expect("ESS");
    assert!(
        hex(ess.tlv(&t.der)).contains(&dgst(dir, "sha256", &tsa_der)),
        "signingCertificateV2 names the TSA certificate"
    );
    put(dir, "tst-attrs.der", &t.signed_attrs.as_ref().unwrap().0);
    put(dir, "tst-sig.bin", &t.signature);
    pkeyutl_sm2(dir, &tsa, true, "tst-attrs.der", "tst-sig.bin", DISTID);
    // openssl's own reading of the token agrees
    let reply = openssl(
        dir,
        &[
            "ts",
            "-reply",
            "-in",
            "tst.der",
            "-token_in",
            "-token_out",
            "-text",
        ],
    );
    assert!(reply.contains("Hash Algorithm: sm3"), "{reply}");
    assert!(
        reply.contains("TSA: DirName:/C=CN/O=ywx-sim/OU=TSA/CN=ywx-sim TSA SM2"),
        "{reply}"
    );
}

#[test]
fn sm2_gmt0010_by_default_each_piece_checked_by_openssl() {
    let c = C::new();
    let st = c.state();
    assert_eq!(st["signAlg"], "sm2", "{st}");
    assert_eq!(st["p7Profile"], "gmt0010", "{st}");
    let ev = sign_flow(&c, "sm2-gm");
    let dir = &ev.dir;
    check_certificates(dir, "SM2-with-SM3", "ASN1 OID: SM2");
    check_sm2_chain(dir, "cert.pem");

    // P1: SM2 over the hashValue's bytes, with the user ID
    pkeyutl_sm2(dir, "cert.pem", true, "content.bin", "p1.bin", DISTID);
    let (ok, _) = pkeyutl_sm2_try(
        dir,
        "cert.pem",
        true,
        "content.bin",
        "p1.bin",
        "distid:1234567812345679",
    );
    assert!(!ok, "P1 with a wrong user ID");
    put(dir, "other.bin", b"not the content");
    let (ok, _) = pkeyutl_sm2_try(dir, "cert.pem", true, "other.bin", "p1.bin", DISTID);
    assert!(!ok, "P1 over other content");
    let p1 = asn1parse(dir, "p1.bin");
    assert_eq!(p1.len(), 3, "P1 is DER SEQUENCE {{r, s}}: {p1:?}");

    // P7, GM/T 0010: SM2 OIDs, SM3, sm2-1 signature, no signed attributes,
    // the content attached, the signature over the content itself
    let p7 = read_cms(dir, "p7.der");
    assert_eq!(p7.content_type, "1.2.156.10197.6.1.4.2.2");
    assert_eq!(p7.econtent_type, "1.2.156.10197.6.1.4.2.1");
    assert_eq!(p7.version, "01");
    assert_eq!(p7.digest_algs, ["sm3"]);
    assert_eq!(p7.digest_alg, "sm3");
    assert_eq!(p7.sig_alg, "1.2.156.10197.1.301.1");
    assert!(
        p7.signed_attrs.is_none(),
        "GM/T 0010 as CFCA's SADK: no signed attributes"
    );
    assert_eq!(
        p7.econtent.as_deref(),
        Some(get(dir, "content.bin").as_slice())
    );
    assert_eq!(
        p7.certs.len(),
        2,
        "the doctor's and the intermediate's certificates"
    );
    assert!(
        p7.certs.contains(&get(dir, "cert.der")),
        "the P1's certificate is the P7's signer"
    );
    assert!(p7.certs.contains(&get(dir, "inter.der")));
    put(dir, "p7-sig.bin", &p7.signature);
    pkeyutl_sm2(dir, "cert.pem", true, "content.bin", "p7-sig.bin", DISTID);
    let (ok, _) = pkeyutl_sm2_try(dir, "cert.pem", true, "other.bin", "p7-sig.bin", DISTID);
    assert!(!ok);

    check_sm2_timestamp(dir);

    // the gateway's own checks (6.1.2, 6.1.1) agree
    let v = c.ok(
        "/gateway/recipe/verifyTimeStamp",
        json!({"head": head(), "body": {"uniqueId": ev.uid}}),
    );
    assert_eq!(v["verifyResult"], true);
    let body = hash_body("sigsm2gm", SIGNING_DOCTOR);
    let v = c.ok(
        "/gateway/recipe/verifyDataById",
        json!({"head": {"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET, "uniqueId": ev.uid}, "body": body}),
    );
    assert_eq!(v["verifyResult"], true);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn sm2_pkcs7_profile_has_signed_attributes_checked_by_openssl() {
    let c = C::with(SimOptions {
        p7_profile: Some(P7Profile::Pkcs7),
        clock_offset_secs: 3600,
        ..Default::default()
    });
    assert_eq!(c.state()["p7Profile"], "pkcs7");
    let ev = sign_flow(&c, "sm2-pkcs7");
    let dir = &ev.dir;
    let p7 = read_cms(dir, "p7.der");
    assert_eq!(p7.content_type, "pkcs7-signedData");
    assert_eq!(p7.econtent_type, "pkcs7-data");
    assert_eq!(p7.version, "01");
    assert_eq!(p7.digest_alg, "sm3");
    assert_eq!(p7.sig_alg, "SM2-with-SM3");
    assert_eq!(
        p7.econtent.as_deref(),
        Some(get(dir, "content.bin").as_slice())
    );
    assert_eq!(p7.attr("contentType").unwrap().value, "pkcs7-data");
    let md = p7.attr("messageDigest").unwrap();
    assert_eq!(hex(md.content(&p7.der)), dgst(dir, "sm3", "content.bin"));
    // signingTime: the simulator's clock (an hour ahead here), in UTC
    let st = p7.attr("signingTime").unwrap();
    assert_eq!(st.tag, "UTCTIME");
    let ahead = chrono::Utc::now() + chrono::Duration::hours(1);
    let want = ahead.format("%y%m%d%H").to_string();
    let before = (ahead - chrono::Duration::minutes(1))
        .format("%y%m%d%H")
        .to_string();
    assert!(
        st.value.starts_with(&want) || st.value.starts_with(&before),
        "{} vs {want}",
        st.value
    );
    put(dir, "attrs.der", &p7.signed_attrs.as_ref().unwrap().0);
    put(dir, "p7-sig.bin", &p7.signature);
    pkeyutl_sm2(dir, "cert.pem", true, "attrs.der", "p7-sig.bin", DISTID);
    let (ok, _) = pkeyutl_sm2_try(dir, "cert.pem", true, "content.bin", "p7-sig.bin", DISTID);
    assert!(
        !ok,
        "with signed attributes the signature is over them, not the content"
    );
    check_sm2_chain(dir, "cert.pem");
    check_sm2_timestamp(dir);
    let _ = ev.push;
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn sm2_user_id_of_the_doctors_is_configurable() {
    let c = C::with(SimOptions {
        sm2_user_id: "ALICE@ywx-sim".into(),
        ..Default::default()
    });
    let ev = sign_flow(&c, "sm2-uid");
    let dir = &ev.dir;
    pkeyutl_sm2(
        dir,
        "cert.pem",
        true,
        "content.bin",
        "p1.bin",
        "distid:ALICE@ywx-sim",
    );
    let (ok, _) = pkeyutl_sm2_try(dir, "cert.pem", true, "content.bin", "p1.bin", DISTID);
    assert!(!ok, "not the default user ID");
    let p7 = read_cms(dir, "p7.der");
    put(dir, "p7-sig.bin", &p7.signature);
    pkeyutl_sm2(
        dir,
        "cert.pem",
        true,
        "content.bin",
        "p7-sig.bin",
        "distid:ALICE@ywx-sim",
    );
    // the CA and the TSA keep the default
    check_sm2_chain(dir, "cert.pem");
    check_sm2_timestamp(dir);
    let v = c.ok(
        "/gateway/recipe/verifyTimeStamp",
        json!({"head": head(), "body": {"uniqueId": ev.uid}}),
    );
    assert_eq!(v["verifyResult"], true);
    let _ = std::fs::remove_dir_all(dir);
}

/// ECDSA and RSA: openssl verifies every piece whole against `/sim/ca`.
fn whole(alg: SignAlg, sig_alg: &str, key: &str) {
    let c = C::with(SimOptions {
        sign_alg: alg,
        ..Default::default()
    });
    let st = c.state();
    assert_eq!(st["signAlg"], alg.name(), "{st}");
    assert_eq!(st["p7Profile"], "pkcs7", "{st}");
    let name = alg.name();
    let ev = sign_flow(&c, name);
    let dir = &ev.dir;
    check_certificates(dir, sig_alg, key);
    // the chain, whole
    openssl(dir, &["verify", "-CAfile", "ca.pem", "cert.pem"]);
    openssl(
        dir,
        &["verify", "-check_ss_sig", "-CAfile", "root.pem", "root.pem"],
    );
    openssl(
        dir,
        &[
            "verify",
            "-CAfile",
            "root.pem",
            "-untrusted",
            "inter.pem",
            "cert.pem",
        ],
    );
    let (ok, _) = openssl_try(dir, &["verify", "-CAfile", "root.pem", "cert.pem"]);
    assert!(!ok, "the intermediate is needed");
    // P7: CMS SignedData, attached, verified against the CA chain
    openssl(
        dir,
        &[
            "cms", "-verify", "-inform", "DER", "-in", "p7.der", "-CAfile", "root.pem", "-binary",
            "-out", "out.bin",
        ],
    );
    assert_eq!(get(dir, "out.bin"), get(dir, "content.bin"));
    openssl(
        dir,
        &[
            "smime", "-verify", "-inform", "DER", "-in", "p7.der", "-CAfile", "ca.pem", "-binary",
            "-out", "out2.bin",
        ],
    );
    assert_eq!(get(dir, "out2.bin"), get(dir, "content.bin"));
    let p7 = read_cms(dir, "p7.der");
    assert_eq!(p7.content_type, "pkcs7-signedData");
    assert_eq!(p7.econtent_type, "pkcs7-data");
    assert_eq!(p7.digest_alg, "sha256");
    assert_eq!(
        p7.sig_alg,
        if alg == SignAlg::Rsa {
            "sha256WithRSAEncryption"
        } else {
            "ecdsa-with-SHA256"
        }
    );
    for a in ["contentType", "messageDigest", "signingTime"] {
        assert!(p7.attr(a).is_some(), "{a}");
    }
    // another simulator's CA is not trusted
    let other = C::with(SimOptions {
        sign_alg: alg,
        ..Default::default()
    });
    put(dir, "other-ca.pem", other.sim.ca_pem().as_bytes());
    let (ok, _) = openssl_try(
        dir,
        &[
            "cms",
            "-verify",
            "-inform",
            "DER",
            "-in",
            "p7.der",
            "-CAfile",
            "other-ca.pem",
            "-binary",
            "-out",
            "x.bin",
        ],
    );
    assert!(!ok, "signed under another CA");
    // P1 over the content
    openssl(
        dir,
        &[
            "x509", "-in", "cert.pem", "-pubkey", "-noout", "-out", "pub.pem",
        ],
    );
    openssl(
        dir,
        &[
            "dgst",
            "-sha256",
            "-verify",
            "pub.pem",
            "-signature",
            "p1.bin",
            "content.bin",
        ],
    );
    put(dir, "other.bin", b"not the content");
    let (ok, _) = openssl_try(
        dir,
        &[
            "dgst",
            "-sha256",
            "-verify",
            "pub.pem",
            "-signature",
            "p1.bin",
            "other.bin",
        ],
    );
    assert!(!ok);
    // the timestamp token over SHA-256 of the content
    let digest = dgst(dir, "sha256", "content.bin");
    openssl(
        dir,
        &[
            "ts",
            "-verify",
            "-in",
            "tst.der",
            "-token_in",
            "-digest",
            &digest,
            "-CAfile",
            "ca.pem",
        ],
    );
    let (ok, _) = openssl_try(
        dir,
        &[
            "ts",
            "-verify",
            "-in",
            "tst.der",
            "-token_in",
            "-digest",
            &dgst(dir, "sha256", "other.bin"),
            "-CAfile",
            "ca.pem",
        ],
    );
    assert!(!ok, "a timestamp over other data");
    let reply = openssl(
        dir,
        &[
            "ts",
            "-reply",
            "-in",
            "tst.der",
            "-token_in",
            "-token_out",
            "-text",
        ],
    );
    assert!(reply.contains("Hash Algorithm: sha256"), "{reply}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn ecdsa_pkcs7_verified_whole_by_openssl() {
    whole(SignAlg::Ecdsa, "ecdsa-with-SHA256", "NIST CURVE: P-256");
}

#[test]
fn rsa_pkcs7_verified_whole_by_openssl() {
    whole(
        SignAlg::Rsa,
        "sha256WithRSAEncryption",
        "Public-Key: (2048 bit)",
    );
}

#[test]
fn detached_p7_needs_the_content() {
    let c = C::with(SimOptions {
        sign_alg: SignAlg::Ecdsa,
        p7_detached: true,
        ..Default::default()
    });
    let ev = sign_flow(&c, "detached");
    let dir = &ev.dir;
    let p7 = read_cms(dir, "p7.der");
    assert!(p7.econtent.is_none(), "no eContent");
    openssl(
        dir,
        &[
            "cms",
            "-verify",
            "-inform",
            "DER",
            "-in",
            "p7.der",
            "-content",
            "content.bin",
            "-CAfile",
            "ca.pem",
            "-binary",
            "-out",
            "out.bin",
        ],
    );
    put(dir, "other.bin", b"not the content");
    let (ok, _) = openssl_try(
        dir,
        &[
            "cms",
            "-verify",
            "-inform",
            "DER",
            "-in",
            "p7.der",
            "-content",
            "other.bin",
            "-CAfile",
            "ca.pem",
            "-binary",
            "-out",
            "out.bin",
        ],
    );
    assert!(!ok);
    let _ = std::fs::remove_dir_all(dir);
    // SM2, GM/T 0010, detached: the signature is still over the content
    let c = C::with(SimOptions {
        p7_detached: true,
        ..Default::default()
    });
    let ev = sign_flow(&c, "detached-sm2");
    let dir = &ev.dir;
    let p7 = read_cms(dir, "p7.der");
    assert!(p7.econtent.is_none());
    assert_eq!(p7.econtent_type, "1.2.156.10197.6.1.4.2.1");
    put(dir, "p7-sig.bin", &p7.signature);
    pkeyutl_sm2(dir, "cert.pem", true, "content.bin", "p7-sig.bin", DISTID);
    let _ = std::fs::remove_dir_all(dir);
}

/// A PDF order: the P7's content is SHA-256 of the PDF, the timestamp's
/// imprint the digest of that (as before).
#[test]
fn pdf_order_signs_the_pdf_digest() {
    let c = C::with(SimOptions {
        sign_alg: SignAlg::Ecdsa,
        ..Default::default()
    });
    let pdf = B64.decode(pdf_b64()).unwrap();
    let body = json!({"urId": "pdfsig", "openId": BUSINESS_DOCTOR, "viewName": "合同", "viewTime": "2024-01-01 00:00:00", "pdfBase64": pdf_b64()});
    let d = c.ok(
        "/gateway/signInfo/syn",
        json!({"signType": 0, "msg": {"head": head_t("contract_01"), "body": body}}),
    );
    let uid = d["uniqueId"].as_str().unwrap();
    c.sign(uid);
    let r = c.ok(
        "/gateway/recipe/synSignDataSearch",
        json!({"head": head(), "body": {"uniqueId": uid}}),
    );
    let dir = tmpdir("pdfsig");
    put(&dir, "doc.pdf", &pdf);
    put(&dir, "ca.pem", c.sim.ca_pem().as_bytes());
    put(
        &dir,
        "p7.der",
        &B64.decode(r["signedData"].as_str().unwrap()).unwrap(),
    );
    put(
        &dir,
        "tst.der",
        &B64.decode(d["timeStampSignData"].as_str().unwrap())
            .unwrap(),
    );
    openssl(
        &dir,
        &[
            "cms", "-verify", "-inform", "DER", "-in", "p7.der", "-CAfile", "ca.pem", "-binary",
            "-out", "out.bin",
        ],
    );
    assert_eq!(hex(&get(&dir, "out.bin")), dgst(&dir, "sha256", "doc.pdf"));
    openssl(
        &dir,
        &[
            "ts",
            "-verify",
            "-in",
            "tst.der",
            "-token_in",
            "-digest",
            &dgst(&dir, "sha256", "out.bin"),
            "-CAfile",
            "ca.pem",
        ],
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn gmt0010_with_ecdsa_or_rsa_is_refused() {
    for alg in [SignAlg::Ecdsa, SignAlg::Rsa] {
        let r = Sim::start_with(SimOptions {
            sign_alg: alg,
            p7_profile: Some(P7Profile::Gmt0010),
            ..Default::default()
        });
        let e = r.err().expect("refused");
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
        assert!(e.to_string().contains("gmt0010"), "{e}");
    }
}

#[test]
fn every_algorithm_starts_quickly() {
    for alg in [SignAlg::Sm2, SignAlg::Ecdsa, SignAlg::Rsa] {
        let t0 = std::time::Instant::now();
        let sim = Sim::start_with(SimOptions {
            sign_alg: alg,
            ..Default::default()
        })
        .unwrap();
        let took = t0.elapsed();
        eprintln!("{alg:?}: started in {took:?}");
        assert!(took.as_secs() < 10, "{alg:?}: {took:?}");
        sim.stop();
    }
}
