//! `ywx-sim --addr 127.0.0.1:PORT [--auto-sign MS] [--tls DIR] [--expire-secs N] [--no-dedupe]`

use std::io::Write;

fn usage() -> ! {
    eprintln!(
        "usage: ywx-sim [--addr 127.0.0.1:PORT] [--auto-sign MS] [--tls DIR] [--expire-secs N] [--no-dedupe]\n\
         医网信网关模拟器：默认监听 127.0.0.1:8080；--no-dedupe：同一 urId 每次推送都生成新订单"
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
