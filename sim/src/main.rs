//! `ywx-sim --addr 127.0.0.1:PORT [--auto-sign MS] [--tls DIR] [--expire-secs N] [--no-dedupe]
//! [--sign-alg sm2|ecdsa|rsa] [--p7-profile gmt0010|pkcs7] [--p7-detached] [--sm2-user-id ID]
//! [--time-zone +08:00|local] [--clock-offset-seconds N]`

use std::io::Write;

fn usage() -> ! {
    eprintln!(
        "usage: ywx-sim [--addr 127.0.0.1:PORT] [--auto-sign MS] [--tls DIR] [--expire-secs N] [--no-dedupe]\n\
         \x20              [--sign-alg sm2|ecdsa|rsa] [--p7-profile gmt0010|pkcs7] [--p7-detached] [--sm2-user-id ID]\n\
         \x20              [--time-zone +08:00|local] [--clock-offset-seconds N]\n\
         医网信网关模拟器：默认监听 127.0.0.1:8080\n\
         --no-dedupe：同一 urId 每次推送都生成新订单\n\
         --sign-alg：签名算法，默认 sm2（SM2/SM3）；ecdsa（P-256/SHA-256）；rsa（RSA 2048/SHA-256）\n\
         --p7-profile：P7 格式，gmt0010（GM/T 0010，无签名属性，仅 sm2，sm2 的默认）或 pkcs7（带签名属性，ecdsa/rsa 的默认）\n\
         --p7-detached：P7 不带原文；--sm2-user-id：医师 SM2 签名的用户 ID，默认 1234567812345678\n\
         --time-zone：订单时间等所用时区，默认本机时区（TZ）；--clock-offset-seconds：模拟时钟相对系统时钟的偏移（秒，可为负）"
    );
    std::process::exit(2)
}

fn main() {
    let mut opts = ywx_sim::SimOptions {
        addr: Some("127.0.0.1:8080".parse().expect("addr")),
        ..Default::default()
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().unwrap_or_else(|| usage());
        match a.as_str() {
            "--addr" => opts.addr = Some(val().parse().unwrap_or_else(|_| usage())),
            "--auto-sign" => opts.auto_sign_ms = Some(val().parse().unwrap_or_else(|_| usage())),
            "--tls" => opts.tls_dir = Some(val().into()),
            "--expire-secs" => opts.pending_expiry_secs = val().parse().unwrap_or_else(|_| usage()),
            "--no-dedupe" => opts.no_dedupe = true,
            "--sign-alg" => {
                opts.sign_alg = ywx_sim::SignAlg::parse(&val()).unwrap_or_else(|| usage())
            }
            "--p7-profile" => {
                opts.p7_profile = Some(ywx_sim::P7Profile::parse(&val()).unwrap_or_else(|| usage()))
            }
            "--p7-detached" => opts.p7_detached = true,
            "--sm2-user-id" => opts.sm2_user_id = val(),
            "--time-zone" => opts.time_zone = ywx_sim::Tz::parse(&val()).unwrap_or_else(|| usage()),
            "--clock-offset-seconds" => {
                opts.clock_offset_secs = val().parse().unwrap_or_else(|_| usage())
            }
            "-h" | "--help" => usage(),
            _ => usage(),
        }
    }
    let sim = match ywx_sim::Sim::start_with(opts) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("ywx-sim: cannot start: {e}");
            std::process::exit(1);
        }
    };
    let mut out = std::io::stdout();
    let _ = writeln!(out, "listening on {}", sim.base_url());
    let _ = out.flush();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        #[cfg(unix)]
        {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("signal");
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    });
    sim.stop();
}
