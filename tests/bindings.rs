//! The language bindings (`bindings/`): the C#, Free Pascal and Python flow
//! programs compiled and run against their own in-process simulators
//! (doctors sign by themselves after 500 ms), in UTF-8 and GBK; whether they
//! free every string the library returns (valgrind for the Pascal flow; a
//! counting stand-in for libywx.so, generated from the header, for all
//! three); and, for every binding including PowerBuilder and VB6 (no
//! compiler here), that each export of `include/ywx.h` is declared with its
//! argument count, so adding an export without its declarations fails.
//!
//! Needs python3, mcs + mono (with I18N.CJK for GB18030), fpc, gcc and
//! valgrind; a missing tool fails the test (`.ci/run` installs them). The
//! valgrind tests alone are reported as ignored when built with
//! YWX_SKIP_VALGRIND=1, as in `tests/c_examples.rs` (never in CI).

use ywx_testkit as harness;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use ywx_sim::Sim;

/// The lines every flow program prints, in this order.
const TRACE: &[&str] = &[
    "[1] ywx_init",
    "clientSecret=20************60",
    "[2] doctor_search",
    "doctor=张伟 process=2",
    "[3] sign_data",
    "uniqueId=",
    "[4] sign_wait",
    "status=2",
    "[5] sign_result",
    "signedData=MII",
    "cert=MII",
    "[6] verify_data",
    "verifyResult=true",
    "tampered verifyResult=false",
    "[7] verify_timestamp",
    "timestamp verifyResult=true",
    "[8] errors",
    "YWX-1002 INVALID_ARGUMENT body.urId ywx=True message=body.urId 必须是1-64位字母或数字",
    "gateway status=3001 ywx=False message=签名数据不存在",
    "[9] oauth_authorize QR code",
    "imgBase64 PNG",
    "imgFile PNG",
    "[11] outbox_list",
    "envelope status=",
    "[12] shutdown",
    "status=0",
    "ALL STEPS PASSED",
];

fn bindings_dir(lang: &str) -> PathBuf {
    harness::repo_root().join("bindings").join(lang)
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// Runs a command; a missing program fails the test with what to install.
fn run(cmd: &mut Command, install: &str) -> Output {
    let t = Instant::now();
    let out = match cmd.output() {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "找不到 {:?}：请安装 {install}（apt-get install {install}）/ {:?} not found: install {install}",
            cmd.get_program(),
            cmd.get_program()
        ),
        Err(e) => panic!("{:?}: {e}", cmd.get_program()),
    };
    eprintln!("{:?} took {:?}", cmd.get_program(), t.elapsed());
    out
}

fn assert_success(what: &str, out: &Output) {
    let (stdout, stderr) = harness::text(out);
    assert!(
        out.status.success(),
        "{what} failed ({})\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        out.status
    );
}

// ---- the flows ------------------------------------------------------------

fn python_flow(sim: &Sim, work: &Path, encoding: &str, lib: &Path) -> Output {
    run(
        Command::new("python3")
            .arg(bindings_dir("python").join("test/flow.py"))
            .args([sim.base_url(), &s(work), encoding])
            .env("YWX_LIB", lib)
            .env("PYTHONIOENCODING", "utf-8"),
        "python3",
    )
}

/// mcs: Ywx.cs as C# 4 (what .NET Framework 4.0 projects compile), warnings
/// as errors, with the flow program.
fn build_csharp(work: &Path) -> PathBuf {
    let exe = work.join("flow.exe");
    let dir = bindings_dir("csharp");
    let out = run(
        Command::new("mcs")
            .args(["-langversion:4", "-warnaserror", "-nologo"])
            .arg(format!("-out:{}", s(&exe)))
            .arg(dir.join("Ywx.cs"))
            .arg(dir.join("test/Flow.cs")),
        "mono-mcs",
    );
    assert_success("mcs Ywx.cs test/Flow.cs", &out);
    exe
}

fn mono_flow(exe: &Path, sim: &Sim, work: &Path, encoding: &str, lib_path: &Path) -> Output {
    run(
        Command::new("mono")
            .arg(exe)
            .args([sim.base_url(), &s(work), encoding])
            .env("LD_LIBRARY_PATH", lib_path),
        "mono-runtime",
    )
}

/// fpc: flow.dpr with ywx.pas, in mode delphi (AnsiString) or
/// delphiunicode (UnicodeString + UTF8String), linked against libywx.so.
fn build_pascal(work: &Path, unicode: bool) -> PathBuf {
    let dir = bindings_dir("delphi");
    let units = work.join("units");
    std::fs::create_dir_all(&units).unwrap();
    let lib = harness::built_lib_dir();
    let mut cmd = Command::new("fpc");
    if unicode {
        cmd.args(["-Mdelphiunicode", "-dYWX_FLOW_UNICODE"]);
    }
    cmd.arg(format!("-Fu{}", s(&dir)))
        .arg(format!("-FU{}", s(&units)))
        .arg(format!("-FE{}", s(work)))
        .arg(format!("-Fl{}", s(&lib)))
        .arg(format!("-k-rpath={}", s(&lib)))
        .arg(dir.join("test/flow.dpr"));
    let out = run(&mut cmd, "fp-compiler fp-units-rtl");
    assert_success("fpc test/flow.dpr", &out);
    let (stdout, _) = harness::text(&out);
    assert!(
        !stdout.contains("Warning: Comment level"),
        "fpc warnings:\n{stdout}"
    );
    work.join("flow")
}

#[test]
fn python_flow_utf8() {
    let work = harness::temp_dir("py-flow");
    let sim = harness::demo_sim().expect("start ywx-sim");
    let out = python_flow(
        &sim,
        &work,
        "utf-8",
        &harness::built_lib_dir().join(harness::dylib_name()),
    );
    harness::assert_flow_passed("bindings/python flow (utf-8)", &out, TRACE);
    let (stdout, _) = harness::text(&out);
    assert!(stdout.contains("call_buf needed="), "{stdout}");
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn python_flow_gbk() {
    let work = harness::temp_dir("py-gbk");
    let sim = harness::demo_sim().expect("start ywx-sim");
    let out = python_flow(
        &sim,
        &work,
        "gbk",
        &harness::built_lib_dir().join(harness::dylib_name()),
    );
    harness::assert_flow_passed("bindings/python flow (gbk)", &out, TRACE);
    assert!(harness::text(&out).0.contains("encoding=gbk"));
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn csharp_flow_with_mono() {
    let work = harness::temp_dir("cs-flow");
    let exe = build_csharp(&work);
    let sim = harness::demo_sim().expect("start ywx-sim");
    let out = mono_flow(&exe, &sim, &work, "utf-8", &harness::built_lib_dir());
    harness::assert_flow_passed("bindings/csharp flow (mono, utf-8)", &out, TRACE);
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn csharp_flow_with_mono_gbk() {
    let work = harness::temp_dir("cs-gbk");
    let exe = build_csharp(&work);
    let sim = harness::demo_sim().expect("start ywx-sim");
    let out = mono_flow(&exe, &sim, &work, "gbk", &harness::built_lib_dir());
    harness::assert_flow_passed(
        "bindings/csharp flow (mono, gbk; needs libmono-i18n-cjk4.0-cil)",
        &out,
        TRACE,
    );
    assert!(harness::text(&out).0.contains("encoding=gbk"));
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn pascal_flow_mode_delphi() {
    let work = harness::temp_dir("pas-flow");
    let exe = build_pascal(&work, false);
    let sim = harness::demo_sim().expect("start ywx-sim");
    let out = run(
        Command::new(&exe).args([sim.base_url(), &s(&work)]),
        "fp-compiler",
    );
    harness::assert_flow_passed("bindings/delphi flow (fpc mode delphi)", &out, TRACE);
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn pascal_flow_mode_delphiunicode() {
    let work = harness::temp_dir("pas-uni");
    let exe = build_pascal(&work, true);
    let sim = harness::demo_sim().expect("start ywx-sim");
    let out = run(
        Command::new(&exe).args([sim.base_url(), &s(&work)]),
        "fp-compiler",
    );
    harness::assert_flow_passed("bindings/delphi flow (fpc mode delphiunicode)", &out, TRACE);
    let _ = std::fs::remove_dir_all(&work);
}

// ---- memory: every returned string freed exactly once ----------------------

#[test]
#[cfg_attr(
    ywx_skip_valgrind,
    ignore = "YWX_SKIP_VALGRIND=1 at build time: valgrind check skipped"
)]
fn pascal_flow_under_valgrind_has_no_definite_leaks() {
    let valgrind = Command::new("valgrind").arg("--version").output();
    if !matches!(&valgrind, Ok(o) if o.status.success()) {
        panic!(
            "valgrind 未安装：请 apt-get install valgrind，或构建时设 YWX_SKIP_VALGRIND=1 跳过（显示为 ignored）/ \
             valgrind is not installed"
        );
    }
    let work = harness::temp_dir("pas-valgrind");
    let exe = build_pascal(&work, false);
    let sim = harness::demo_sim().expect("start ywx-sim");
    let out = run(
        Command::new("valgrind")
            .args([
                "--leak-check=full",
                "--error-exitcode=99",
                "--errors-for-leak-kinds=definite",
            ])
            .arg(&exe)
            .args([sim.base_url(), &s(&work)]),
        "valgrind",
    );
    harness::assert_valgrind_clean(&out);
    harness::assert_flow_passed("bindings/delphi flow under valgrind", &out, TRACE);
    let _ = std::fs::remove_dir_all(&work);
}

/// The valgrind check is a real one: a result of ywx never given to
/// ywx_free in a Pascal program shows as definitely lost.
#[test]
#[cfg_attr(
    ywx_skip_valgrind,
    ignore = "YWX_SKIP_VALGRIND=1 at build time: valgrind check skipped"
)]
fn valgrind_sees_a_string_leaked_by_a_pascal_program() {
    let work = harness::temp_dir("pas-leak");
    let src = work.join("leak.dpr");
    std::fs::write(
        &src,
        "program leak;\n{$MODE DELPHI}\nuses ywx;\nvar P: PAnsiChar;\nbegin\n  \
         P := ywx_call('version', nil);  { never freed }\n  P := nil;\n  \
         WriteLn(YwxCall('version', ''));  { freed by the wrapper }\nend.\n",
    )
    .unwrap();
    let lib = harness::built_lib_dir();
    let out = run(
        Command::new("fpc")
            .arg(format!("-Fu{}", s(&bindings_dir("delphi"))))
            .arg(format!("-FU{}", s(&work)))
            .arg(format!("-FE{}", s(&work)))
            .arg(format!("-Fl{}", s(&lib)))
            .arg(format!("-k-rpath={}", s(&lib)))
            .arg(&src),
        "fp-compiler fp-units-rtl",
    );
    assert_success("fpc leak.dpr", &out);
    let out = run(
        Command::new("valgrind")
            .args(["--leak-check=full", "--errors-for-leak-kinds=definite"])
            .arg(work.join("leak")),
        "valgrind",
    );
    let (_, stderr) = harness::text(&out);
    assert!(
        stderr.contains("definitely lost: ") && !stderr.contains("definitely lost: 0 bytes"),
        "valgrind did not see the leaked string:\n{stderr}"
    );
    let _ = std::fs::remove_dir_all(&work);
}

/// What the counting stand-in saw.
#[derive(Debug, Default)]
struct Counts {
    returned: u64,
    freed: u64,
    live: u64,
    bad_free: u64,
}

/// Builds `DIR/libywx.so`, a stand-in generated from the header: every
/// export forwards to the real library (`$YWX_REAL_LIB`); each `char *`
/// returned is recorded, `ywx_free` checks that its pointer is one returned
/// and not yet freed (else counts a bad free and does not pass it on); at
/// exit it writes `returned= freed= live= bad_free=` to `$YWX_COUNT_OUT`.
fn counting_lib(work: &Path) -> PathBuf {
    let dir = work.join("counting");
    std::fs::create_dir_all(&dir).unwrap();
    let mut c = String::from(
        "#define _GNU_SOURCE\n#include <dlfcn.h>\n#include <pthread.h>\n#include <stdio.h>\n\
         #include <stdlib.h>\n#include <string.h>\n\
         static void *real;\nstatic pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;\n\
         static void **live; static size_t nlive, cap;\n\
         static unsigned long returned, freed, bad_free;\n\
         static void *sym(const char *name) {\n\
           void *f;\n\
           if (!real) real = dlopen(getenv(\"YWX_REAL_LIB\"), RTLD_NOW | RTLD_LOCAL);\n\
           if (!real) { fprintf(stderr, \"counting: %s\\n\", dlerror()); abort(); }\n\
           f = dlsym(real, name);\n\
           if (!f) { fprintf(stderr, \"counting: no %s\\n\", name); abort(); }\n\
           return f;\n\
         }\n\
         static char *track(char *p) {\n\
           pthread_mutex_lock(&mu);\n\
           if (nlive == cap) { cap = cap ? cap * 2 : 64; live = realloc(live, cap * sizeof *live); }\n\
           live[nlive++] = p; returned++;\n\
           pthread_mutex_unlock(&mu);\n\
           return p;\n\
         }\n\
         void ywx_free(char *s) {\n\
           size_t i; int found = 0;\n\
           static void (*f)(char *);\n\
           if (!s) return;\n\
           pthread_mutex_lock(&mu);\n\
           for (i = 0; i < nlive; i++) if (live[i] == s) { live[i] = live[--nlive]; found = 1; break; }\n\
           if (found) freed++; else bad_free++;\n\
           pthread_mutex_unlock(&mu);\n\
           if (!found) return;\n\
           if (!f) f = (void (*)(char *))sym(\"ywx_free\");\n\
           f(s);\n\
         }\n\
         __attribute__((destructor)) static void report(void) {\n\
           const char *path = getenv(\"YWX_COUNT_OUT\");\n\
           FILE *o = path ? fopen(path, \"w\") : stderr;\n\
           if (!o) return;\n\
           fprintf(o, \"returned=%lu freed=%lu live=%lu bad_free=%lu\\n\", returned, freed,\n\
                   (unsigned long)nlive, bad_free);\n\
           if (o != stderr) fclose(o);\n\
         }\n",
    );
    for e in header_exports() {
        if e.name == "ywx_free" {
            continue;
        }
        let params = if e.params.is_empty() {
            "void".to_string()
        } else {
            e.params.join(", ")
        };
        let names: Vec<&str> = e
            .params
            .iter()
            .map(|p| p.rsplit([' ', '*']).next().unwrap())
            .collect();
        let call = format!("f({})", names.join(", "));
        let body = if e.ret == "char *" {
            format!("return track({call});")
        } else {
            format!("return {call};")
        };
        c.push_str(&format!(
            "{ret}{name}({params}) {{\n  static {ret}(*f)({params});\n  \
             if (!f) f = ({ret}(*)({params}))sym(\"{name}\");\n  {body}\n}}\n",
            ret = if e.ret.ends_with('*') {
                e.ret.clone()
            } else {
                format!("{} ", e.ret)
            },
            name = e.name,
        ));
    }
    let src = dir.join("counting.c");
    std::fs::write(&src, c).unwrap();
    let out = run(
        Command::new("gcc")
            .args(["-shared", "-fPIC", "-O1", "-Wall", "-Werror", "-o"])
            .arg(dir.join(harness::dylib_name()))
            .arg(&src)
            .args(["-ldl", "-lpthread"]),
        "gcc",
    );
    assert_success("gcc counting.c", &out);
    dir
}

fn read_counts(path: &Path) -> Counts {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e} (the program did not exit normally?)", s(path)));
    let mut c = Counts::default();
    for kv in text.split_whitespace() {
        let (k, v) = kv.split_once('=').unwrap();
        let v: u64 = v.parse().unwrap();
        match k {
            "returned" => c.returned = v,
            "freed" => c.freed = v,
            "live" => c.live = v,
            "bad_free" => c.bad_free = v,
            _ => {}
        }
    }
    c
}

fn assert_all_freed(what: &str, c: &Counts, at_least: u64) {
    eprintln!("{what}: {c:?}");
    assert!(
        c.returned >= at_least,
        "{what}: only {} strings returned: did the flow go through the stand-in?",
        c.returned
    );
    assert_eq!(
        c.bad_free, 0,
        "{what}: ywx_free of a pointer not returned or freed twice"
    );
    assert_eq!(c.live, 0, "{what}: {} returned strings never freed", c.live);
    assert_eq!(c.freed, c.returned, "{what}: {c:?}");
}

fn counting_env(cmd: &mut Command, work: &Path) -> PathBuf {
    let out = work.join("counts.txt");
    cmd.env(
        "YWX_REAL_LIB",
        harness::built_lib_dir().join(harness::dylib_name()),
    )
    .env("YWX_COUNT_OUT", &out);
    out
}

#[test]
fn csharp_flow_frees_every_returned_string() {
    let work = harness::temp_dir("cs-count");
    let exe = build_csharp(&work);
    let counting = counting_lib(&work);
    let sim = harness::demo_sim().expect("start ywx-sim");
    let mut cmd = Command::new("mono");
    cmd.arg(&exe)
        .args([sim.base_url(), &s(&work), "utf-8"])
        .env("LD_LIBRARY_PATH", &counting);
    let counts = counting_env(&mut cmd, &work);
    let out = run(&mut cmd, "mono-runtime");
    harness::assert_flow_passed("bindings/csharp flow (counting)", &out, TRACE);
    assert_all_freed("mono flow", &read_counts(&counts), 12);
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn python_flow_frees_every_returned_string() {
    let work = harness::temp_dir("py-count");
    let counting = counting_lib(&work);
    let sim = harness::demo_sim().expect("start ywx-sim");
    let mut cmd = Command::new("python3");
    cmd.arg(bindings_dir("python").join("test/flow.py"))
        .args([sim.base_url(), &s(&work), "utf-8"])
        .env("YWX_LIB", counting.join(harness::dylib_name()))
        .env("PYTHONIOENCODING", "utf-8");
    let counts = counting_env(&mut cmd, &work);
    let out = run(&mut cmd, "python3");
    harness::assert_flow_passed("bindings/python flow (counting)", &out, TRACE);
    assert_all_freed("python flow", &read_counts(&counts), 12);
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn pascal_flow_frees_every_returned_string() {
    let work = harness::temp_dir("pas-count");
    let exe = build_pascal(&work, false);
    let counting = counting_lib(&work);
    let sim = harness::demo_sim().expect("start ywx-sim");
    // LD_LIBRARY_PATH comes before the program's RUNPATH.
    let mut cmd = Command::new(&exe);
    cmd.args([sim.base_url(), &s(&work)])
        .env("LD_LIBRARY_PATH", &counting);
    let counts = counting_env(&mut cmd, &work);
    let out = run(&mut cmd, "fp-compiler");
    harness::assert_flow_passed("bindings/delphi flow (counting)", &out, TRACE);
    assert_all_freed("fpc flow", &read_counts(&counts), 12);
    let _ = std::fs::remove_dir_all(&work);
}

/// The stand-in is a real check: a leak and a double free are seen.
#[test]
fn counting_lib_sees_a_leak_and_a_double_free() {
    let work = harness::temp_dir("count-control");
    let counting = counting_lib(&work);
    let script = "import ctypes, sys\n\
                  lib = ctypes.CDLL(sys.argv[1])\n\
                  lib.ywx_call.restype = ctypes.c_void_p\n\
                  lib.ywx_free.argtypes = [ctypes.c_void_p]\n\
                  lib.ywx_version.restype = ctypes.c_char_p\n\
                  lib.ywx_version()\n\
                  leaked = lib.ywx_call(b'version', None)\n\
                  p = lib.ywx_call(b'version', None)\n\
                  lib.ywx_free(p)\n\
                  lib.ywx_free(p)\n";
    let mut cmd = Command::new("python3");
    cmd.args(["-c", script])
        .arg(counting.join(harness::dylib_name()));
    let counts = counting_env(&mut cmd, &work);
    let out = run(&mut cmd, "python3");
    assert_success("python3 -c (control)", &out);
    let c = read_counts(&counts);
    assert_eq!(
        (c.returned, c.freed, c.live, c.bad_free),
        (2, 1, 1, 1),
        "{c:?}"
    );
    let _ = std::fs::remove_dir_all(&work);
}

// ---- declarations: every export of the header, in every binding ------------

/// An export of `include/ywx.h`: `char *YWX_CALL ywx_x(const char *a);`.
#[derive(Debug)]
struct Export {
    name: String,
    /// "char *", "const char *", "int", "void"
    ret: String,
    /// "const char *request_json", ...
    params: Vec<String>,
}

fn header_exports() -> Vec<Export> {
    let header = std::fs::read_to_string(harness::include_dir().join("ywx.h")).unwrap();
    let exports: Vec<Export> = header
        .lines()
        .filter_map(|line| {
            let (ret, rest) = line.split_once("YWX_CALL ywx_")?;
            let (name, params) = rest.split_once('(')?;
            let params = params.split_once(')')?.0.trim();
            let params = if params.is_empty() || params == "void" {
                Vec::new()
            } else {
                params.split(',').map(|p| p.trim().to_string()).collect()
            };
            Some(Export {
                name: format!("ywx_{name}"),
                ret: ret.trim().to_string(),
                params,
            })
        })
        .collect();
    assert!(exports.len() >= 27, "header parse found only {exports:?}");
    for must in ["ywx_sign_data", "ywx_call_buf", "ywx_free", "ywx_version"] {
        assert!(exports.iter().any(|e| e.name == must), "{must} not found");
    }
    exports
}

/// One binding's declaration of an export.
#[derive(Debug)]
struct Decl {
    export: String,
    args: usize,
    line: String,
}

/// Every header export declared exactly once with its argument count, and
/// nothing declared that the header lacks.
fn check_declarations(binding: &str, decls: &[Decl]) {
    let mut problems = Vec::new();
    let mut by_name: BTreeMap<&str, Vec<&Decl>> = BTreeMap::new();
    for d in decls {
        by_name.entry(&d.export).or_default().push(d);
    }
    let exports = header_exports();
    for e in &exports {
        match by_name.get(e.name.as_str()).map(Vec::as_slice) {
            None | Some([]) => problems.push(format!(
                "{} 未声明 / not declared ({} argument(s))",
                e.name,
                e.params.len()
            )),
            Some([d]) if d.args != e.params.len() => problems.push(format!(
                "{}: {} 个参数，头文件是 {} / {} args, header has {}: {}",
                e.name,
                d.args,
                e.params.len(),
                d.args,
                e.params.len(),
                d.line
            )),
            Some([_]) => {}
            Some(many) => problems.push(format!("{} 重复声明 / declared twice: {many:?}", e.name)),
        }
    }
    for d in decls {
        if !exports.iter().any(|e| e.name == d.export) {
            problems.push(format!(
                "{} 不在 include/ywx.h 中 / not in the header: {}",
                d.export, d.line
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{binding}: 声明与 include/ywx.h 不一致 / declarations out of date:\n  {}",
        problems.join("\n  ")
    );
}

/// The text between the first `(` and its matching `)`, or None.
fn parens(s: &str) -> Option<&str> {
    let start = s.find('(')?;
    let mut depth = 0;
    for (i, c) in s[start..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(&s[start + 1..start + i]);
                }
            }
            _ => {}
        }
    }
    None
}

fn count_comma_args(params: &str) -> usize {
    let p = params.trim();
    if p.is_empty() {
        0
    } else {
        p.split(',').count()
    }
}

/// The word right before the first `(`.
fn name_before_paren(s: &str) -> String {
    let head = &s[..s.find('(').unwrap_or(s.len())];
    head.split_whitespace().last().unwrap_or("").to_string()
}

/// The first double-quoted string after `marker` (case-insensitive).
fn quoted_after(line: &str, marker: &str) -> Option<String> {
    let at = line
        .to_ascii_lowercase()
        .find(&marker.to_ascii_lowercase())?;
    let rest = &line[at + marker.len()..];
    let open = rest.find('"')?;
    let close = rest[open + 1..].find('"')?;
    Some(rest[open + 1..open + 1 + close].to_string())
}

fn read_gbk(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", s(path)));
    let (text, _, bad) = encoding_rs::GBK.decode(&bytes);
    assert!(!bad, "{} is not GBK text", s(path));
    text.into_owned()
}

#[test]
fn powerbuilder_declares_every_export() {
    let path = bindings_dir("powerbuilder").join("n_ywx.sru");
    let src = read_gbk(&path);
    let mut decls = Vec::new();
    for line in src.lines().map(str::trim) {
        let lower = line.to_ascii_lowercase();
        if !(lower.starts_with("function ") || lower.starts_with("subroutine "))
            || quoted_after(line, "library").as_deref() != Some("ywx.dll")
        {
            continue;
        }
        let name = name_before_paren(line);
        let params = parens(line).unwrap_or_else(|| panic!("no (...) in {line}"));
        let alias = quoted_after(line, "alias for");
        let (export, ansi) = match &alias {
            Some(a) => match a.split_once(';') {
                Some((n, suffix)) => (n.to_string(), suffix.eq_ignore_ascii_case("ansi")),
                None => (a.clone(), false),
            },
            None => (name.clone(), false),
        };
        let returns_string = lower.starts_with("function string ");
        if params.to_ascii_lowercase().contains("string") || returns_string {
            assert!(
                ansi,
                "PowerBuilder: strings need ALIAS FOR \"{export};Ansi\" (PB 10+ is Unicode): {line}"
            );
        }
        if returns_string {
            assert_eq!(
                export, "ywx_version",
                "PowerBuilder: only ywx_version may return string (the others must be freed): {line}"
            );
        }
        if export == "ywx_call_buf" {
            let third = params
                .split(',')
                .nth(2)
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            assert!(
                third.starts_with("ref string"),
                "ywx_call_buf's out must be ref string: {line}"
            );
        }
        decls.push(Decl {
            export,
            args: count_comma_args(params),
            line: line.to_string(),
        });
    }
    check_declarations("bindings/powerbuilder/n_ywx.sru", &decls);
    // the wrapper retries with the reported size and the kept result
    assert!(src.contains("Space(ll_len + 1)") && src.contains("\"last_result\""));
}

#[test]
fn vb6_declares_every_export() {
    let path = bindings_dir("vb6").join("ywx.bas");
    let src = read_gbk(&path);
    let mut decls = Vec::new();
    for line in src.lines().map(str::trim) {
        let lower = line.to_ascii_lowercase();
        let Some(at) = lower.find("declare ") else {
            continue;
        };
        if lower.starts_with('\'') || quoted_after(line, " lib ").as_deref() != Some("ywx.dll") {
            continue;
        }
        let rest = &line[at + "declare ".len()..];
        let mut words = rest.split_whitespace();
        let kind = words.next().unwrap_or("").to_ascii_lowercase();
        let name = words.next().unwrap_or("").to_string();
        let export = quoted_after(line, " alias ").unwrap_or(name);
        let params = parens(&line[line.to_ascii_lowercase().find(" lib ").unwrap()..])
            .unwrap_or_else(|| panic!("no (...) in {line}"));
        for p in params.split(',').filter(|p| !p.trim().is_empty()) {
            let p = p.trim().to_ascii_lowercase();
            if p.ends_with("as string") {
                assert!(
                    p.starts_with("byval "),
                    "VB6: String parameters must be ByVal (char *): {line}"
                );
            }
        }
        if kind == "function" {
            assert!(
                !lower.trim_end().ends_with("as string"),
                "VB6: a char * result must be declared As Long, never As String: {line}"
            );
        }
        decls.push(Decl {
            export,
            args: count_comma_args(params),
            line: line.to_string(),
        });
    }
    check_declarations("bindings/vb6/ywx.bas", &decls);
    assert!(src.contains("String$(n + 1, vbNullChar)") && src.contains("\"last_result\""));
}

#[test]
fn csharp_declares_every_export() {
    let src = std::fs::read_to_string(bindings_dir("csharp").join("Ywx.cs")).unwrap();
    let exports = header_exports();
    let mut decls = Vec::new();
    for line in src.lines().map(str::trim) {
        if !(line.contains("static extern") && line.contains("DllImport(Lib")) {
            continue;
        }
        assert!(line.contains("CallingConvention = Cc"), "{line}");
        let name = name_before_paren(&line[line.find("static extern").unwrap()..]);
        let ret = line[line.find("static extern").unwrap() + "static extern".len()..]
            .split_whitespace()
            .next()
            .unwrap();
        if let Some(e) = exports.iter().find(|e| e.name == name) {
            if e.ret.contains('*') {
                assert_eq!(ret, "IntPtr", "C#: char * must come back as IntPtr: {line}");
            }
        }
        let params = &line[line.find("static extern").unwrap()..];
        decls.push(Decl {
            export: name,
            args: count_comma_args(parens(params).unwrap()),
            line: line.to_string(),
        });
    }
    check_declarations("bindings/csharp/Ywx.cs", &decls);
}

#[test]
fn delphi_declares_every_export() {
    let src = std::fs::read_to_string(bindings_dir("delphi").join("ywx.pas")).unwrap();
    let exports = header_exports();
    let mut decls = Vec::new();
    for line in src.lines().map(str::trim) {
        if !(line.starts_with("function ywx_") || line.starts_with("procedure ywx_"))
            || !line.contains("external YwxLib")
        {
            continue;
        }
        assert!(
            line.contains("; stdcall;"),
            "Delphi: stdcall missing: {line}"
        );
        let name: String = line
            .split_whitespace()
            .nth(1)
            .unwrap()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let args = match parens(line) {
            None => 0,
            Some(p) => p
                .split(';')
                .map(|group| group.split(':').next().unwrap().split(',').count())
                .sum(),
        };
        if let Some(e) = exports.iter().find(|e| e.name == name) {
            if e.ret.contains('*') {
                assert!(
                    line.contains(": PAnsiChar; stdcall;"),
                    "Delphi: char * must come back as PAnsiChar: {line}"
                );
            }
        }
        decls.push(Decl {
            export: name,
            args,
            line: line.to_string(),
        });
    }
    check_declarations("bindings/delphi/ywx.pas", &decls);
}

#[test]
fn python_declares_every_export() {
    let src = std::fs::read_to_string(bindings_dir("python").join("ywx.py")).unwrap();
    let mut decls = Vec::new();
    // the one-request exports: the EXPORTS tuple, declared [c_char_p] -> c_void_p
    let tuple = &src[src.find("EXPORTS = (").expect("EXPORTS tuple")..];
    let tuple = &tuple[..tuple.find(')').unwrap()];
    for name in tuple.split('"').skip(1).step_by(2) {
        decls.push(Decl {
            export: format!("ywx_{name}"),
            args: 1,
            line: format!("EXPORTS: {name}"),
        });
    }
    assert!(src.contains("f.argtypes, f.restype = [c_char_p], c_void_p"));
    // the others: lib.ywx_x.argtypes = [...]
    for line in src.lines().map(str::trim) {
        let Some(rest) = line.strip_prefix("lib.ywx_") else {
            continue;
        };
        let Some((name, _)) = rest.split_once(".argtypes") else {
            continue;
        };
        let list = &line[line.find('[').unwrap() + 1..line.find(']').unwrap()];
        decls.push(Decl {
            export: format!("ywx_{name}"),
            args: count_comma_args(list),
            line: line.to_string(),
        });
    }
    check_declarations("bindings/python/ywx.py", &decls);
}
