//! 看它跑起来 / See it work:
//!
//! ```text
//! cargo run --example demo          # examples-c/flow.c   with $CC  (default cc)
//! cargo run --example demo -- cpp   # examples-c/flow.cpp with $CXX (default c++)
//! ```
//!
//! Starts the gateway simulator (ywx-sim) in this process, in demo mode:
//! its doctors sign pushed orders by themselves after 500 ms. Compiles the
//! C example against `include/ywx.h` and the freshly built `libywx`
//! (cargo builds the library, cdylib included, before this example), runs
//! it with the simulator's URL, streams its trace and exits with its status.

use ywx_testkit as harness;

use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let cpp = std::env::args()
        .nth(1)
        .is_some_and(|a| a == "cpp" || a == "c++");
    let (env_var, default_cc, source, flags): (_, _, _, &[&str]) = if cpp {
        (
            "CXX",
            "c++",
            "flow.cpp",
            &["-std=c++11", "-Wall", "-Wextra"],
        )
    } else {
        ("CC", "cc", "flow.c", &["-std=c99", "-Wall", "-Wextra"])
    };
    let compiler = std::env::var(env_var).unwrap_or_else(|_| default_cc.to_string());

    let lib_dir = match harness::lib_dir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("demo: {e}");
            return ExitCode::FAILURE;
        }
    };

    let sim = match harness::demo_sim() {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("demo: 模拟网关启动失败 / cannot start ywx-sim: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "== 模拟网关 / gateway simulator: {} (医师 500 ms 后自动签名 / doctors sign after 500 ms)",
        sim.base_url()
    );

    let work = harness::temp_dir("demo");
    let exe = work.join(if cpp { "flow_cpp" } else { "flow_c" });
    let src = harness::example_source(source);
    println!(
        "== 编译 / compiling {} with {compiler} against {}",
        src.display(),
        lib_dir.join(harness::dylib_name()).display()
    );
    match harness::compile_dynamic(&compiler, flags, &src, &exe, &lib_dir) {
        Ok(()) => {}
        Err(harness::CompileError::NotFound(c)) => {
            eprintln!(
                "\n没有找到 C{} 编译器「{c}」。\n\
                 请安装一个（Debian/Ubuntu: sudo apt-get install build-essential），\n\
                 或用环境变量 {env_var} 指定，例如 {env_var}=clang cargo run --example demo。\n\
                 No C{} compiler \"{c}\" found: install one (apt-get install build-essential) \
                 or set {env_var}.",
                if cpp { "++" } else { "" },
                if cpp { "++" } else { "" },
            );
            let _ = std::fs::remove_dir_all(&work);
            return ExitCode::from(3);
        }
        Err(e) => {
            eprintln!("\n编译失败 / compile failed:\n{e}");
            let _ = std::fs::remove_dir_all(&work);
            return ExitCode::FAILURE;
        }
    }

    println!(
        "== 运行 / running {} {} {}\n",
        exe.display(),
        sim.base_url(),
        work.display()
    );
    let status = match Command::new(&exe).arg(sim.base_url()).arg(&work).status() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("demo: cannot run {}: {e}", exe.display());
            return ExitCode::FAILURE;
        }
    };

    // What the simulator saw: ywx_call_buf's second call did not reach it.
    if let Ok(state) = harness::http_get(sim.base_url(), "/sim/state") {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&state) {
            println!("\n== 模拟网关收到的请求 / calls the simulator served:");
            if let Some(calls) = v["calls"].as_object() {
                for (path, n) in calls {
                    println!("   {n:>3}  {path}");
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&work);
    sim.stop();

    match status.code() {
        Some(0) => {
            println!("== 演示成功 / demo passed");
            ExitCode::SUCCESS
        }
        Some(code) => {
            eprintln!("== 示例程序退出码 / the example exited with {code}");
            ExitCode::from(u8::try_from(code).unwrap_or(1))
        }
        None => {
            eprintln!("== 示例程序被信号终止 / the example was killed: {status}");
            ExitCode::FAILURE
        }
    }
}
