//! `ywx_verify_local` (offline verification): an SM2 P1 and an SM2 P7 against
//! `openssl speed sm2`'s verify rate, an ECDSA P-256 P1 against ring's own
//! verify of the same signature, measured in the same run. A call is the
//! whole verification: JSON, base64, certificate, signature, chain.

use std::ffi::CString;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};

use crate::{Report, Target};

fn openssl(dir: &Path, args: &[&str]) -> Option<Vec<u8>> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    out.status.success().then_some(out.stdout)
}

/// Microseconds per ywx_verify_local call (best of three windows).
fn per_call(request: &Value) -> f64 {
    let c = CString::new(request.to_string()).unwrap();
    let one = || {
        // SAFETY: a valid C string; the result is freed at once.
        let r = unsafe { ywx::ffi::ywx_verify_local(c.as_ptr()) };
        // SAFETY: returned by ywx.
        unsafe { ywx::ffi::ywx_free(r) };
    };
    let check = {
        // SAFETY: as above.
        let r = unsafe { ywx::ffi::ywx_verify_local(c.as_ptr()) };
        // SAFETY: a NUL-terminated string returned by ywx, freed once.
        let text = unsafe { std::ffi::CStr::from_ptr(r) }
            .to_string_lossy()
            .into_owned();
        // SAFETY: returned by ywx, freed once.
        unsafe { ywx::ffi::ywx_free(r) };
        text
    };
    assert!(check.contains("\"signatureValid\":true"), "{check}");
    (0..3)
        .map(|_| {
            let (t, mut n) = (Instant::now(), 0u32);
            while t.elapsed() < Duration::from_millis(700) {
                one();
                n += 1;
            }
            t.elapsed().as_secs_f64() * 1e6 / f64::from(n)
        })
        .fold(f64::MAX, f64::min)
}

/// Microseconds per verify by `openssl speed -seconds 2 sm2`.
fn openssl_sm2_verify(dir: &Path) -> Option<f64> {
    let out = String::from_utf8(openssl(dir, &["speed", "-seconds", "2", "sm2"])?).ok()?;
    let line = out.lines().find(|l| l.contains("SM2"))?;
    let rate: f64 = line.split_whitespace().last()?.parse().ok()?;
    Some(1e6 / rate)
}

pub fn run(report: &mut Report) {
    let dir = std::env::temp_dir().join(format!("ywx-bench-verify-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = "主诉：发热三天。".repeat(8);
    std::fs::write(dir.join("m.txt"), &text).unwrap();
    let made = [
        &["genpkey", "-algorithm", "SM2", "-out", "sm2.key"][..],
        &[
            "req",
            "-x509",
            "-new",
            "-key",
            "sm2.key",
            "-sm3",
            "-sigopt",
            "distid:1234567812345678",
            "-subj",
            "/CN=bench",
            "-days",
            "30",
            "-out",
            "sm2.pem",
        ],
        &[
            "pkeyutl",
            "-sign",
            "-rawin",
            "-digest",
            "sm3",
            "-inkey",
            "sm2.key",
            "-in",
            "m.txt",
            "-pkeyopt",
            "distid:1234567812345678",
            "-out",
            "sm2.sig",
        ],
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-out",
            "ec.key",
        ],
        &[
            "req",
            "-x509",
            "-new",
            "-key",
            "ec.key",
            "-subj",
            "/CN=bench",
            "-days",
            "30",
            "-out",
            "ec.pem",
        ],
        &[
            "dgst", "-sha256", "-sign", "ec.key", "-out", "ec.sig", "m.txt",
        ],
    ]
    .iter()
    .all(|a| openssl(&dir, a).is_some());
    let Some(reference) = made.then(|| openssl_sm2_verify(&dir)).flatten() else {
        eprintln!("   openssl failed: is openssl installed?");
        return;
    };
    let read = |n: &str| std::fs::read(dir.join(n)).unwrap();
    let pem = |n: &str| String::from_utf8(read(n)).unwrap();
    let p1 = json!({"p1": B64.encode(read("sm2.sig")), "cert": pem("sm2.pem"), "originData": text, "caCerts": [pem("sm2.pem")]});
    let ours = per_call(&p1);
    report.add(
        "SM2 P1 verify (µs per call, ywx_verify_local vs openssl speed sm2 verify)",
        format!("{ours:.0} µs"),
        format!("{reference:.0} µs"),
        ours / reference,
        Target::AtMost(1.5),
    );
    let sample = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/verify/cfca-sadk-attached.p7.b64"),
    )
    .unwrap();
    let signer = cfca_signer(&sample);
    let p7 = json!({"signedData": sample.trim(), "caCerts": [signer], "checkTime": "2025-01-01 00:00:00"});
    let ours = per_call(&p7);
    report.add(
        "SM2 P7 verify, CFCA SADK sample (µs per call vs openssl speed sm2 verify)",
        format!("{ours:.0} µs"),
        format!("{reference:.0} µs"),
        ours / reference,
        Target::AtMost(1.5),
    );
    // ECDSA P-256: the call against ring's verify of the same signature.
    let cert_der = B64
        .decode(
            pem("ec.pem")
                .lines()
                .filter(|l| !l.starts_with("-----"))
                .collect::<String>(),
        )
        .unwrap();
    let ec = json!({"p1": B64.encode(read("ec.sig")), "cert": pem("ec.pem"), "originData": text, "caCerts": [pem("ec.pem")]});
    let ours = per_call(&ec);
    let key = ec_point(&cert_der);
    let sig = read("ec.sig");
    let ring_us = {
        let k =
            ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_ASN1, key);
        assert!(k.verify(text.as_bytes(), &sig).is_ok());
        let (t, mut n) = (Instant::now(), 0u32);
        while t.elapsed() < Duration::from_millis(700) {
            let _ = k.verify(text.as_bytes(), &sig);
            n += 1;
        }
        t.elapsed().as_secs_f64() * 1e6 / f64::from(n)
    };
    report.add(
        "ECDSA P-256 P1 verify (µs per call vs ring's verify alone)",
        format!("{ours:.0} µs"),
        format!("{ring_us:.0} µs"),
        ours / ring_us,
        Target::None,
    );
    std::fs::remove_dir_all(dir).ok();
}

/// The uncompressed EC point (04‖x‖y) in a certificate's DER.
fn ec_point(der: &[u8]) -> Vec<u8> {
    // The BIT STRING 03 42 00 04 ... of a P-256 key.
    let at = der
        .windows(4)
        .position(|w| w == [0x03, 0x42, 0x00, 0x04])
        .unwrap();
    der[at + 3..at + 3 + 65].to_vec()
}

/// The CFCA sample's signer certificate (its issuer is not published).
fn cfca_signer(p7_b64: &str) -> String {
    let der = B64.decode(p7_b64.trim()).unwrap();
    let at = der
        .windows(4)
        .position(|w| w == [0x30, 0x82, 0x01, 0x89])
        .unwrap();
    B64.encode(&der[at..at + 4 + 0x189])
}
