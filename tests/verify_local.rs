//! `ywx_verify_local` through the C ABI, against signatures no one here
//! wrote by hand: P7s, P1s and timestamps made by `openssl` at test time
//! (ECDSA P-256/P-384, RSA SHA-1/SHA-256, SM2 with `-pkeyopt distid:`,
//! `openssl ts -reply`) over chains made by `openssl req/x509`, and public
//! SM2 samples of other implementations (tests/fixtures/verify/README.md).
//! Needs openssl (3.0 or later) on PATH; a missing openssl fails the test.

use std::path::PathBuf;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};
use ywx::ffi::ywx_verify_local;
use ywx_testkit::*;

fn verify(req: &Value) -> Value {
    call(ywx_verify_local, req)
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(repo_root().join("tests/fixtures/verify").join(name))
        .unwrap()
        .trim()
        .to_string()
}

/// The message of check `name`.
fn said<'a>(data: &'a Value, name: &str) -> &'a str {
    check(data, name)["message"].as_str().unwrap()
}

fn check<'a>(data: &'a Value, name: &str) -> &'a Value {
    data["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name}: {data}"))
}

/// A CA hierarchy made by openssl in a temporary directory.
struct Pki {
    dir: PathBuf,
}

impl Pki {
    fn new(tag: &str) -> Pki {
        let dir = temp_dir(tag);
        std::fs::write(
            dir.join("ca.ext"),
            "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("ee.ext"),
            "keyUsage=critical,digitalSignature,nonRepudiation\n",
        )
        .unwrap();
        std::fs::write(dir.join("enc.ext"), "keyUsage=critical,keyEncipherment\n").unwrap();
        std::fs::write(
            dir.join("tsa.ext"),
            "keyUsage=critical,digitalSignature,nonRepudiation\nextendedKeyUsage=critical,timeStamping\n",
        )
        .unwrap();
        Pki { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).unwrap()
    }

    fn pem(&self, name: &str) -> String {
        String::from_utf8(self.read(&format!("{name}.pem"))).unwrap()
    }

    fn b64(&self, name: &str) -> String {
        B64.encode(self.read(name))
    }

    fn run(&self, args: &[&str]) -> Vec<u8> {
        openssl(&self.dir, args)
    }

    /// A key: "ec:prime256v1", "ec:secp384r1", "rsa", "sm2".
    fn key(&self, name: &str, kind: &str) {
        let out = format!("{name}.key");
        match kind.split_once(':') {
            Some(("ec", curve)) => self.run(&[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                &format!("ec_paramgen_curve:{curve}"),
                "-out",
                &out,
            ]),
            _ if kind == "rsa" => self.run(&[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-out",
                &out,
            ]),
            _ => self.run(&["genpkey", "-algorithm", "SM2", "-out", &out]),
        };
    }

    fn sm2_opts(kind: &str) -> Vec<&'static str> {
        if kind == "sm2" {
            vec!["-sm3", "-sigopt", "distid:1234567812345678"]
        } else {
            vec![]
        }
    }

    /// A self-signed root.
    fn root(&self, name: &str, kind: &str) {
        self.key(name, kind);
        let mut args = vec!["req", "-x509", "-new", "-key"];
        let key = format!("{name}.key");
        let subj = format!("/C=CN/O=YWX Test/CN={name}");
        let out = format!("{name}.pem");
        args.extend([key.as_str(), "-subj", &subj, "-days", "3650", "-out", &out]);
        args.extend([
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
        args.extend(Self::sm2_opts(kind));
        self.run(&args);
    }

    /// A certificate for `name` issued by `issuer`, with extensions `ext`.
    fn issue(&self, name: &str, cn: &str, kind: &str, issuer: &str, ext: &str) {
        self.key(name, kind);
        let (key, csr, out) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.pem"),
        );
        let subj = format!("/C=CN/O=测试医院/CN={cn}");
        let mut args = vec![
            "req", "-new", "-utf8", "-key", &key, "-subj", &subj, "-out", &csr,
        ];
        args.extend(Self::sm2_opts(kind));
        self.run(&args);
        let (ca, ca_key) = (format!("{issuer}.pem"), format!("{issuer}.key"));
        let mut args = vec![
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &ca,
            "-CAkey",
            &ca_key,
            "-CAcreateserial",
        ];
        args.extend(["-days", "365", "-extfile", ext, "-out", &out]);
        if kind == "sm2" {
            args.extend([
                "-sm3",
                "-sigopt",
                "distid:1234567812345678",
                "-vfyopt",
                "distid:1234567812345678",
            ]);
        }
        self.run(&args);
    }

    /// root → sub CA → doctor, all of `kind`.
    fn chain(tag: &str, kind: &str) -> Pki {
        let pki = Pki::new(tag);
        pki.root("root", kind);
        pki.issue("sub", "Sub CA", kind, "root", "ca.ext");
        pki.issue("doctor", "张医生", kind, "sub", "ee.ext");
        pki
    }

    fn write(&self, name: &str, bytes: &[u8]) {
        std::fs::write(self.path(name), bytes).unwrap();
    }
}

const TEXT: &str = "主诉：发热三天，咳嗽。诊断：上呼吸道感染。";

/// A P7 by `openssl cms -sign` over TEXT (attached or detached), with `md`.
fn cms_sign(pki: &Pki, md: &str, attached: bool, out: &str) -> String {
    pki.write("content.txt", TEXT.as_bytes());
    let mut args = vec![
        "cms",
        "-sign",
        "-binary",
        "-in",
        "content.txt",
        "-signer",
        "doctor.pem",
        "-inkey",
        "doctor.key",
    ];
    args.extend([
        "-certfile",
        "sub.pem",
        "-md",
        md,
        "-outform",
        "DER",
        "-out",
        out,
    ]);
    if attached {
        args.push("-nodetach");
    }
    pki.run(&args);
    pki.b64(out)
}

#[test]
fn ecdsa_p256_p7s_attached_and_detached_over_an_openssl_chain() {
    let pki = Pki::chain("v-p256", "ec:prime256v1");
    let root = pki.pem("root");
    let p7 = cms_sign(&pki, "sha256", true, "att.p7");
    let r = verify(&json!({"signedData": p7, "caCerts": [root]}));
    assert_eq!(status(&r), "0", "{r}");
    let d = &r["data"];
    assert_eq!(d["verified"], true, "{r}");
    assert_eq!(r["message"], "验签通过");
    assert_eq!(d["format"], "p7-attached");
    assert_eq!(d["algorithm"], "ECDSA-SHA256");
    assert_eq!(d["signedOver"], "content");
    assert_eq!(d["signer"]["commonName"], "张医生");
    assert_eq!(d["signer"]["keyAlgorithm"], "EC P-256");
    assert_eq!(d["signingTimeSource"], "signedAttributes");
    assert_eq!(d["chain"]["path"].as_array().unwrap().len(), 3, "{r}");
    assert!(d["chain"]["path"][2].as_str().unwrap().contains("CN=root"));
    // The attached content given again: it must match.
    let r = verify(
        &json!({"signedData": p7, "caCerts": [root], "originData": TEXT, "returnContent": true}),
    );
    assert_eq!(r["data"]["verified"], true, "{r}");
    assert_eq!(
        B64.decode(r["data"]["contentBase64"].as_str().unwrap())
            .unwrap(),
        TEXT.as_bytes()
    );
    let r = verify(&json!({"signedData": p7, "caCerts": [root], "originData": "主诉：发热两天"}));
    assert_eq!(status(&r), "0", "{r}");
    assert_eq!(r["data"]["verified"], false, "{r}");
    assert_eq!(check(&r["data"], "content")["ok"], false, "{r}");
    assert!(
        !r.to_string().contains("发热两天"),
        "the content is never quoted: {r}"
    );

    let det = cms_sign(&pki, "sha256", false, "det.p7");
    let r = verify(&json!({"signedData": det, "caCerts": [root], "originData": TEXT}));
    assert_eq!(r["data"]["verified"], true, "{r}");
    assert_eq!(r["data"]["format"], "p7-detached");
    // The content as bytes, and changed by one character.
    let r =
        verify(&json!({"signedData": det, "caCerts": [root], "contentBase64": B64.encode(TEXT)}));
    assert_eq!(r["data"]["verified"], true, "{r}");
    let r = verify(
        &json!({"signedData": det, "caCerts": [root], "originData": TEXT.replace('三', "四")}),
    );
    assert_eq!(r["data"]["verified"], false, "{r}");
    assert_eq!(r["data"]["signatureValid"], false, "{r}");
    assert_eq!(check(&r["data"], "signature")["ok"], false);
    // Detached without content: the field is named.
    let r = verify(&json!({"signedData": det, "caCerts": [root]}));
    assert_eq!(status(&r), "YWX-1002", "{r}");
    assert_eq!(r["error"]["field"], "originData");
}

#[test]
fn ecdsa_p384_sha384_and_rsa_sha1_sha256() {
    let pki = Pki::chain("v-p384", "ec:secp384r1");
    let p7 = cms_sign(&pki, "sha384", true, "att.p7");
    let r = verify(&json!({"signedData": p7, "caCerts": [pki.pem("root")]}));
    assert_eq!(r["data"]["verified"], true, "{r}");
    assert_eq!(r["data"]["algorithm"], "ECDSA-SHA384");
    assert_eq!(r["data"]["signer"]["keyAlgorithm"], "EC P-384");

    let rsa = Pki::chain("v-rsa", "rsa");
    let root = rsa.pem("root");
    let p7 = cms_sign(&rsa, "sha256", false, "det.p7");
    let r = verify(&json!({"signedData": p7, "caCerts": [root], "originData": TEXT}));
    assert_eq!(r["data"]["verified"], true, "{r}");
    assert_eq!(r["data"]["algorithm"], "RSA-SHA256");
    assert_eq!(r["data"]["signer"]["keyAlgorithm"], "RSA 2048");
    // openssl smime (PKCS#7 v1.5) with SHA-1.
    rsa.write("content.txt", TEXT.as_bytes());
    rsa.run(&[
        "smime",
        "-sign",
        "-binary",
        "-nodetach",
        "-md",
        "sha1",
        "-in",
        "content.txt",
        "-signer",
        "doctor.pem",
        "-inkey",
        "doctor.key",
        "-certfile",
        "sub.pem",
        "-outform",
        "PEM",
        "-out",
        "sha1.pem",
    ]);
    let pem = String::from_utf8(rsa.read("sha1.pem")).unwrap();
    let r = verify(&json!({"signedData": pem, "caCerts": [root]}));
    assert_eq!(r["data"]["verified"], true, "{r}");
    assert_eq!(r["data"]["algorithm"], "RSA-SHA1");
}

/// An SM2 signature by `openssl pkeyutl` over `data` with `distid`.
fn sm2_sign(pki: &Pki, key: &str, data: &[u8], distid: &str) -> Vec<u8> {
    pki.write("tbs.bin", data);
    let id = format!("distid:{distid}");
    pki.run(&[
        "pkeyutl", "-sign", "-rawin", "-digest", "sm3", "-inkey", key, "-in", "tbs.bin",
        "-pkeyopt", &id, "-out", "sig.bin",
    ]);
    pki.read("sig.bin")
}

/// `r‖s` from DER `SEQUENCE{r,s}`.
fn raw_rs(der: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 2;
    for _ in 0..2 {
        let len = der[i + 1] as usize;
        let n = &der[i + 2..i + 2 + len];
        let n = if n.len() > 32 { &n[n.len() - 32..] } else { n };
        out.extend(std::iter::repeat_n(0, 32 - n.len()));
        out.extend_from_slice(n);
        i += 2 + len;
    }
    out
}

#[test]
fn sm2_p1s_by_openssl_with_the_user_id_der_and_raw() {
    let pki = Pki::chain("v-sm2", "sm2");
    let (root, cert) = (pki.pem("root"), pki.pem("doctor"));
    let sig = sm2_sign(&pki, "doctor.key", TEXT.as_bytes(), "1234567812345678");
    let base = json!({"cert": cert, "caCerts": [root], "intermediates": [pki.pem("sub")], "originData": TEXT});
    let with = |p1: &[u8], extra: Value| {
        let mut r = base.clone();
        r["p1"] = json!(B64.encode(p1));
        for (k, v) in extra.as_object().unwrap() {
            r[k] = v.clone();
        }
        verify(&r)
    };
    let r = with(&sig, json!({}));
    assert_eq!(r["data"]["verified"], true, "{r}");
    assert_eq!(
        (
            r["data"]["format"].as_str(),
            r["data"]["algorithm"].as_str()
        ),
        (Some("p1"), Some("SM2-SM3"))
    );
    assert_eq!(r["data"]["signer"]["keyAlgorithm"], "SM2");
    assert_eq!(
        r["data"]["chain"]["path"].as_array().unwrap().len(),
        3,
        "{r}"
    );
    // Raw r‖s (64 bytes) verifies the same.
    let r = with(&raw_rs(&sig), json!({}));
    assert_eq!(r["data"]["verified"], true, "{r}");
    // The wrong user ID does not.
    let r = with(&sig, json!({"sm2UserId": "1234567812345679"}));
    assert_eq!(r["data"]["signatureValid"], false, "{r}");
    assert!(said(&r["data"], "signature").contains("sm2UserId"));
    // Another user ID, given.
    let alice = sm2_sign(&pki, "doctor.key", TEXT.as_bytes(), "ALICE123@YAHOO.COM");
    assert_eq!(with(&alice, json!({}))["data"]["signatureValid"], false);
    let r = with(&alice, json!({"sm2UserId": "ALICE123@YAHOO.COM"}));
    assert_eq!(r["data"]["verified"], true, "{r}");
    // Over the digest's bytes and over its base64 text (hashValue).
    pki.write("content.txt", TEXT.as_bytes());
    let digest = openssl(&pki.dir, &["dgst", "-sm3", "-binary", "content.txt"]);
    let hv = B64.encode(&digest);
    let over_digest = sm2_sign(&pki, "doctor.key", &digest, "1234567812345678");
    let r = with(&over_digest, json!({}));
    assert_eq!(r["data"]["signedOver"], "digest", "{r}");
    assert_eq!(r["data"]["verified"], true, "{r}");
    let over_text = sm2_sign(&pki, "doctor.key", hv.as_bytes(), "1234567812345678");
    let mut req = json!({"p1": B64.encode(&over_text), "cert": cert, "caCerts": [root], "intermediates": [pki.pem("sub")], "hashValue": hv, "hashType": "SM3"});
    let r = verify(&req);
    assert_eq!(r["data"]["signedOver"], "hashValue", "{r}");
    assert_eq!(r["data"]["verified"], true, "{r}");
    req["hashValue"] = json!(B64.encode([7u8; 32]));
    assert_eq!(verify(&req)["data"]["verified"], false);
}

#[test]
fn ecdsa_p1_and_the_certificate_checks() {
    let pki = Pki::chain("v-p1", "ec:prime256v1");
    pki.issue("enc", "加密证书", "ec:prime256v1", "sub", "enc.ext");
    let other = Pki::chain("v-other", "ec:prime256v1");
    pki.write("content.txt", TEXT.as_bytes());
    pki.run(&[
        "dgst",
        "-sha256",
        "-sign",
        "doctor.key",
        "-out",
        "p1.bin",
        "content.txt",
    ]);
    let (root, sub) = (pki.pem("root"), pki.pem("sub"));
    let req = json!({"p1": pki.b64("p1.bin"), "cert": pki.pem("doctor"), "originData": TEXT, "caCerts": [root], "intermediates": [sub]});
    let r = verify(&req);
    assert_eq!(r["data"]["verified"], true, "{r}");
    assert_eq!(r["data"]["algorithm"], "ECDSA-SHA256");

    // Expired and not yet valid at the time asked.
    let mut late = req.clone();
    late["checkTime"] = json!("2099-01-01 00:00:00");
    let r = verify(&late);
    assert_eq!(
        (
            r["data"]["verified"].clone(),
            r["data"]["checkTimeSource"].clone()
        ),
        (json!(false), json!("request"))
    );
    let m = said(&r["data"], "validity").to_string();
    assert!(m.contains("已过期") && m.contains("序列号"), "{m}");
    let mut early = req.clone();
    early["checkTime"] = json!("2001-01-01 00:00:00");
    let m = said(&verify(&early)["data"], "validity").to_string();
    assert!(m.contains("尚未生效"), "{m}");

    // An untrusted root, no roots, and no intermediate.
    let mut untrusted = req.clone();
    untrusted["caCerts"] = json!([other.pem("root")]);
    // The chain up to its own root, which is not the trusted one (a
    // root of the same name, but another key).
    untrusted["intermediates"] = json!([sub, root]);
    let r = verify(&untrusted);
    assert_eq!(r["data"]["chain"]["trusted"], false, "{r}");
    assert_eq!(r["data"]["signatureValid"], true, "{r}");
    assert!(
        said(&r["data"], "chain").contains("不在信任的根证书中"),
        "{r}"
    );
    let mut none = req.clone();
    none.as_object_mut().unwrap().remove("caCerts");
    let r = verify(&none);
    assert_eq!(r["data"]["verified"], false);
    assert!(said(&r["data"], "chain").contains("caCerts"), "{r}");
    let mut no_sub = req.clone();
    no_sub.as_object_mut().unwrap().remove("intermediates");
    let r = verify(&no_sub);
    assert!(said(&r["data"], "chain").contains("找不到"), "{r}");
    // A bundle in one caCerts entry works as two entries.
    let mut bundle = no_sub.clone();
    bundle["caCerts"] = json!([format!("{root}{sub}")]);
    assert_eq!(verify(&bundle)["data"]["verified"], true);

    // A certificate whose key usage does not allow signing.
    pki.run(&[
        "dgst",
        "-sha256",
        "-sign",
        "enc.key",
        "-out",
        "p1enc.bin",
        "content.txt",
    ]);
    let mut wrong_ku = req.clone();
    wrong_ku["p1"] = json!(pki.b64("p1enc.bin"));
    wrong_ku["cert"] = json!(pki.pem("enc"));
    let r = verify(&wrong_ku);
    assert_eq!(r["data"]["signatureValid"], true, "{r}");
    assert_eq!(check(&r["data"], "keyUsage")["ok"], false, "{r}");
    assert_eq!(r["data"]["verified"], false);
}

/// A TSA under `pki`'s sub CA and a timestamp reply over `data` (`-data`).
fn ts_reply(pki: &Pki, data: &[u8], out: &str) -> String {
    if !pki.path("tsa.pem").exists() {
        pki.issue("tsa", "时间戳服务", "ec:prime256v1", "sub", "tsa.ext");
        std::fs::write(
            pki.path("ts.cnf"),
            "[tsa]\ndefault_tsa=t\n[t]\nserial=./tsaserial\nsigner_cert=./tsa.pem\nsigner_key=./tsa.key\ncerts=./sub.pem\nsigner_digest=sha256\ndefault_policy=1.2.3.4.1\ndigests=sha256,sm3\naccuracy=secs:1\ness_cert_id_chain=no\n",
        )
        .unwrap();
        std::fs::write(pki.path("tsaserial"), "01\n").unwrap();
    }
    pki.write("stamped.bin", data);
    pki.run(&[
        "ts",
        "-query",
        "-data",
        "stamped.bin",
        "-sha256",
        "-cert",
        "-out",
        "q.tsq",
    ]);
    pki.run(&[
        "ts",
        "-reply",
        "-config",
        "ts.cnf",
        "-section",
        "t",
        "-queryfile",
        "q.tsq",
        "-out",
        out,
    ]);
    pki.b64(out)
}

#[test]
fn openssl_timestamps_over_the_content_and_over_a_signature() {
    let pki = Pki::chain("v-ts", "ec:prime256v1");
    let root = pki.pem("root");
    let tsr = ts_reply(&pki, TEXT.as_bytes(), "content.tsr");
    let r = verify(&json!({"timeStampSignData": tsr, "originData": TEXT, "caCerts": [root]}));
    assert_eq!(r["data"]["verified"], true, "{r}");
    assert_eq!(r["data"]["format"], "timestamp");
    assert_eq!(r["data"]["timestamp"]["imprint"], "content");
    assert_eq!(r["data"]["checkTimeSource"], "timestamp");
    assert!(
        r["data"]["timestamp"]["tsa"]
            .as_str()
            .unwrap()
            .contains("时间戳服务")
    );
    // Over other data: the timestamp check fails, naming no content.
    let r =
        verify(&json!({"timeStampSignData": tsr, "originData": "另一份病历", "caCerts": [root]}));
    assert_eq!(r["data"]["verified"], false, "{r}");
    assert!(said(&r["data"], "timestamp").contains("不是这份数据"));
    // The token alone (not the response) over the digest's base64 text.
    pki.write("content.txt", TEXT.as_bytes());
    let hv = B64.encode(openssl(
        &pki.dir,
        &["dgst", "-sm3", "-binary", "content.txt"],
    ));
    ts_reply(&pki, hv.as_bytes(), "hv.tsr");
    pki.run(&[
        "ts",
        "-reply",
        "-in",
        "hv.tsr",
        "-token_out",
        "-out",
        "hv.tst",
    ]);
    let r = verify(
        &json!({"timeStampSignData": pki.b64("hv.tst"), "hashValue": hv, "hashType": "SM3", "caCerts": [root]}),
    );
    assert_eq!(r["data"]["timestamp"]["imprint"], "hashValue", "{r}");
    assert_eq!(r["data"]["verified"], true, "{r}");

    // A P1 and a timestamp over its signature value: checkTime is the timestamp's.
    pki.run(&[
        "dgst",
        "-sha256",
        "-sign",
        "doctor.key",
        "-out",
        "p1.bin",
        "content.txt",
    ]);
    let sig = pki.read("p1.bin");
    let tsr = ts_reply(&pki, &sig, "sig.tsr");
    let req = json!({"p1": B64.encode(&sig), "cert": pki.pem("doctor"), "intermediates": [pki.pem("sub")],
        "originData": TEXT, "caCerts": [root], "timeStampSignData": tsr});
    let r = verify(&req);
    assert_eq!(r["data"]["verified"], true, "{r}");
    assert_eq!(r["data"]["timestamp"]["imprint"], "signature");
    assert_eq!(
        (
            r["data"]["signingTimeSource"].as_str(),
            r["data"]["checkTimeSource"].as_str()
        ),
        (Some("timestamp"), Some("timestamp"))
    );
    // A timestamp over another signature does not fit this one.
    let mut other = req.clone();
    other["timeStampSignData"] = json!(ts_reply(&pki, b"another signature", "other.tsr"));
    let r = verify(&other);
    assert_eq!(check(&r["data"], "timestamp")["ok"], false, "{r}");
    assert_eq!(r["data"]["checkTimeSource"], "now");
}

// ---- public SM2 samples made by other implementations -------------------

fn cert_of_p7(p7_b64: &str, index: usize) -> String {
    // The certificates of a P7 (GM/T OIDs, which openssl cannot read as
    // PKCS#7): found by their DER headers inside [0].
    let der = B64.decode(p7_b64).unwrap();
    let mut found = Vec::new();
    let mut i = 0;
    while i + 8 < der.len() {
        // SEQUENCE (long form) { SEQUENCE (long form) { [0] { INTEGER 2 } ...
        if der[i] == 0x30
            && der[i + 1] == 0x82
            && der[i + 4] == 0x30
            && der[i + 5] == 0x82
            && der[i + 8] == 0xA0
        {
            let len = ((der[i + 2] as usize) << 8 | der[i + 3] as usize) + 4;
            found.push(B64.encode(&der[i..i + len]));
            i += len;
        } else {
            i += 1;
        }
    }
    found.swap_remove(index)
}

#[test]
fn cfca_sadk_sm2_p7s_gm_t_0010_without_signed_attributes() {
    let attached = fixture("cfca-sadk-attached.p7.b64");
    let detached = fixture("cfca-sadk-detached.p7.b64");
    let signer = cert_of_p7(&attached, 0);
    // The issuer (Eddard Stark) is not published: the signer's own
    // certificate is made the trust anchor, at a time it was valid.
    let base = json!({"caCerts": [signer], "checkTime": "2025-01-01 00:00:00"});
    let mut req = base.clone();
    req["signedData"] = json!(attached);
    let r = verify(&req);
    assert_eq!(r["data"]["verified"], true, "{r}");
    assert_eq!(
        (
            r["data"]["format"].as_str(),
            r["data"]["algorithm"].as_str()
        ),
        (Some("p7-attached"), Some("SM2-SM3"))
    );
    assert_eq!(r["data"]["signer"]["commonName"], "Jon Snow");
    req["returnContent"] = json!(true);
    assert_eq!(
        verify(&req)["data"]["contentBase64"],
        B64.encode("Hello Secret World!")
    );
    req["checkTime"] = json!("2026-01-01 00:00:00");
    assert!(said(&verify(&req)["data"], "validity").contains("已过期"));

    let mut req = base.clone();
    req["signedData"] = json!(detached);
    req["originData"] = json!("Hello Secret World!");
    assert_eq!(verify(&req)["data"]["verified"], true);
    req["originData"] = json!("Hello Secret World?");
    assert_eq!(verify(&req)["data"]["signatureValid"], false);
    req["originData"] = json!("Hello Secret World!");
    req["sm2UserId"] = json!("31323334353637383132333435363738");
    assert_eq!(verify(&req)["data"]["signatureValid"], false);
}

#[test]
fn kinsec_sm2_timestamp_with_signed_attributes() {
    let token = fixture("kinsec-sm2-timestamp.tst.b64");
    let tsa = cert_of_p7(&token, 0);
    let r =
        verify(&json!({"timeStampSignData": token, "originData": "12345678", "caCerts": [tsa]}));
    assert_eq!(r["data"]["verified"], true, "{r}");
    assert_eq!(r["data"]["algorithm"], "SM2-SM3");
    assert_eq!(r["data"]["timestamp"]["imprint"], "content");
    assert_eq!(r["data"]["signer"]["commonName"], "kinsec");
    let r =
        verify(&json!({"timeStampSignData": token, "originData": "12345679", "caCerts": [tsa]}));
    assert_eq!(r["data"]["verified"], false, "{r}");
}

#[test]
fn the_gmssl_sm2_test_chain_verifies_and_a_wrong_p1_does_not() {
    let pem = fixture("gmssl-chain.p7.pem");
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    // "RootCA for Test", then "MiddleCA for Test" it issued.
    let (root, middle) = (cert_of_p7(&b64, 0), cert_of_p7(&b64, 1));
    let r = verify(
        &json!({"p1": B64.encode([1u8; 64]), "cert": middle, "caCerts": [root], "originData": "x", "checkTime": "2030-01-01 00:00:00"}),
    );
    assert_eq!(r["data"]["chain"]["trusted"], true, "{r}");
    assert_eq!(check(&r["data"], "chain")["ok"], true, "{r}");
    assert_eq!(r["data"]["signatureValid"], false, "{r}");
    assert_eq!(r["data"]["verified"], false);
}

// ---- SM2 P7s with signed attributes, PKCS#7 OIDs, each signature OID ----

mod der {
    pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let len = content.len();
        if len < 0x80 {
            out.push(len as u8);
        } else if len < 0x100 {
            out.extend([0x81, len as u8]);
        } else {
            out.extend([0x82, (len >> 8) as u8, len as u8]);
        }
        out.extend_from_slice(content);
        out
    }
    pub fn cat(parts: &[&[u8]]) -> Vec<u8> {
        parts.concat()
    }
    pub fn seq(parts: &[&[u8]]) -> Vec<u8> {
        tlv(0x30, &cat(parts))
    }
    pub fn oid(dotted: &str) -> Vec<u8> {
        let arcs: Vec<u64> = dotted.split('.').map(|a| a.parse().unwrap()).collect();
        let mut body = vec![(arcs[0] * 40 + arcs[1]) as u8];
        for &a in &arcs[2..] {
            let mut chunk = vec![(a & 0x7F) as u8];
            let mut v = a >> 7;
            while v > 0 {
                chunk.insert(0, 0x80 | (v & 0x7F) as u8);
                v >>= 7;
            }
            body.extend(chunk);
        }
        tlv(0x06, &body)
    }
}

/// An SM2 SignedData over TEXT with signed attributes, assembled here and
/// signed by openssl: `signed_data_oid`, `sig_oid`; the attributes in a
/// deliberately non-DER order (messageDigest before contentType), so a
/// verifier that re-encodes them fails.
fn sm2_p7_with_attributes(
    pki: &Pki,
    signed_data_oid: &str,
    data_oid: &str,
    sig_oid: &str,
) -> String {
    use der::*;
    let cert_der = B64
        .decode(
            pki.pem("doctor")
                .lines()
                .filter(|l| !l.starts_with("-----"))
                .collect::<String>(),
        )
        .unwrap();
    pki.write("content.txt", TEXT.as_bytes());
    let digest = openssl(&pki.dir, &["dgst", "-sm3", "-binary", "content.txt"]);
    let md_attr = seq(&[
        &oid("1.2.840.113549.1.9.4"),
        &tlv(0x31, &tlv(0x04, &digest)),
    ]);
    let ct_attr = seq(&[&oid("1.2.840.113549.1.9.3"), &tlv(0x31, &oid(data_oid))]);
    let attrs = cat(&[&md_attr, &ct_attr]);
    let sig = sm2_sign(pki, "doctor.key", &tlv(0x31, &attrs), "1234567812345678");
    // issuerAndSerialNumber from the certificate: tbs → [0] version, serial, alg, issuer.
    let tbs_start = 4;
    let mut p = tbs_start + 4; // into tbsCertificate (both long-form headers)
    p += 2 + cert_der[p + 1] as usize; // [0] version
    let serial = &cert_der[p..p + 2 + cert_der[p + 1] as usize];
    p += serial.len();
    p += 2 + cert_der[p + 1] as usize; // signature alg
    let issuer_len = if cert_der[p + 1] == 0x81 {
        3 + cert_der[p + 2] as usize
    } else {
        2 + cert_der[p + 1] as usize
    };
    let issuer = &cert_der[p..p + issuer_len];
    let sm3 = seq(&[&oid("1.2.156.10197.1.401")]);
    let signer = seq(&[
        &tlv(0x02, &[1]),
        &seq(&[issuer, serial]),
        &sm3,
        &tlv(0xA0, &attrs),
        &seq(&[&oid(sig_oid)]),
        &tlv(0x04, &sig),
    ]);
    let sd = seq(&[
        &tlv(0x02, &[1]),
        &tlv(0x31, &sm3),
        &seq(&[&oid(data_oid)]),
        &tlv(0xA0, &cert_der),
        &tlv(0x31, &signer),
    ]);
    B64.encode(seq(&[&oid(signed_data_oid), &tlv(0xA0, &sd)]))
}

#[test]
fn sm2_p7s_with_signed_attributes_in_both_profiles_and_every_signature_oid() {
    let pki = Pki::chain("v-sm2p7", "sm2");
    let root = pki.pem("root");
    for (sd_oid, data_oid) in [
        ("1.2.840.113549.1.7.2", "1.2.840.113549.1.7.1"),
        ("1.2.156.10197.6.1.4.2.2", "1.2.156.10197.6.1.4.2.1"),
    ] {
        for sig_oid in [
            "1.2.156.10197.1.501",
            "1.2.156.10197.1.301.1",
            "1.2.156.10197.1.301",
        ] {
            let p7 = sm2_p7_with_attributes(&pki, sd_oid, data_oid, sig_oid);
            let req = json!({"signedData": p7, "originData": TEXT, "caCerts": [root], "intermediates": [pki.pem("sub")]});
            let r = verify(&req);
            assert_eq!(r["data"]["verified"], true, "{sd_oid} {sig_oid}: {r}");
            assert_eq!(r["data"]["algorithm"], "SM2-SM3");
            assert!(said(&r["data"], "signature").contains("签名属性"));
            let mut changed = req.clone();
            changed["originData"] = json!(TEXT.replace('三', "五"));
            assert_eq!(
                verify(&changed)["data"]["signatureValid"],
                false,
                "{sig_oid}"
            );
        }
    }
}

// ---- what stops verification: errors that name the field ----------------

#[test]
fn unreadable_evidence_and_unsupported_algorithms_are_named() {
    let pki = Pki::chain("v-err", "ec:prime256v1");
    let p7 = B64
        .decode(cms_sign(&pki, "sha256", true, "att.p7"))
        .unwrap();
    for bad in [
        B64.encode(&p7[..p7.len() / 2]),
        B64.encode(
            (0..200u32)
                .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
                .collect::<Vec<_>>(),
        ),
        B64.encode([0x30u8, 0x80].repeat(5000)),
        "这不是 base64".to_string(),
    ] {
        let r = verify(&json!({"signedData": bad}));
        assert_eq!(status(&r), "YWX-5001", "{r}");
        assert_eq!(r["error"]["code"], "EVIDENCE_UNREADABLE");
        assert_eq!(r["error"]["field"], "signedData");
        assert!(r["message"].as_str().unwrap().contains("P7"), "{r}");
    }
    let r = verify(&json!({"signedData": B64.encode(&p7), "caCerts": ["MIIB"]}));
    assert_eq!(
        (status(&r), r["error"]["field"].clone()),
        ("YWX-5001".into(), json!("caCerts[0]"))
    );
    // ECDSA with SHA-512: not in the list; the OID is named.
    let p512 = cms_sign(&pki, "sha512", true, "sha512.p7");
    let r = verify(&json!({"signedData": p512}));
    assert_eq!(status(&r), "YWX-5002", "{r}");
    assert_eq!(r["error"]["code"], "UNSUPPORTED_ALGORITHM");
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains("2.16.840.1.101.3.4.2.3"),
        "{r}"
    );
    assert!(r["message"].as_str().unwrap().contains("SM2-SM3"), "{r}");

    for (req, field) in [
        (json!({}), "signedData"),
        (json!({"p1": "MEUCIQ=="}), "cert"),
        (
            json!({"signedData": B64.encode(&p7), "p1": "MEUCIQ=="}),
            "p1",
        ),
        (
            json!({"signedData": B64.encode(&p7), "originData": "a", "hashValue": "YQ=="}),
            "originData",
        ),
        (
            json!({"signedData": B64.encode(&p7), "checkTime": "昨天"}),
            "checkTime",
        ),
        (
            json!({"signedData": B64.encode(&p7), "hashType": "MD5", "hashValue": "YQ=="}),
            "hashType",
        ),
    ] {
        let r = verify(&req);
        assert_eq!(status(&r), "YWX-1002", "{req}: {r}");
        assert_eq!(r["error"]["field"], field, "{r}");
    }
}
