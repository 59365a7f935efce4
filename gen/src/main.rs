//! `cargo run -p ywx-gen`: writes the files generated from the method
//! table; `-- --check` names the stale ones and exits 1 (see lib.rs).

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("gen/ is inside the repository")
        .to_path_buf();
    let check = match std::env::args().nth(1).as_deref() {
        None => false,
        Some("--check") => true,
        Some(other) => {
            eprintln!("ywx-gen: unknown argument {other}\nusage: ywx-gen [--check]");
            return ExitCode::from(2);
        }
    };
    let result = if check {
        ywx_gen::stale(&root)
    } else {
        ywx_gen::write(&root)
    };
    match result {
        Err(e) => {
            eprintln!("ywx-gen: {e}");
            ExitCode::FAILURE
        }
        Ok(stale) if check && !stale.is_empty() => {
            eprintln!(
                "ywx-gen: generated files out of date; run `{}` and commit them:\n  {}",
                ywx_gen::COMMAND,
                stale.join("\n  ")
            );
            ExitCode::FAILURE
        }
        Ok(report) => {
            for line in &report {
                println!("{line}");
            }
            if report.is_empty() {
                println!("ywx-gen: every generated file is up to date");
            }
            ExitCode::SUCCESS
        }
    }
}
