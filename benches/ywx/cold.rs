//! Cold start, as a HIS program meets it: load the library, `ywx_init`,
//! the first successful call. Against the raw client's first call on a new
//! connection. Each sample loads its own copy of libywx.so, so nothing is
//! warm but the operating system's file cache.

use std::ffi::{CString, c_char, c_void};
use std::path::PathBuf;
use std::time::Instant;

use crate::raw::RawClient;
use crate::{
    Report, Target, config_for, ms, percentiles, scratch, sim_and_library, status_request,
};

const SAMPLES: usize = 10;

/// target/release/libywx.so, built beside this benchmark.
fn cdylib() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?.parent()?;
    let lib = dir.join("libywx.so");
    lib.is_file().then_some(lib)
}

type Fn1 = unsafe extern "C" fn(*const c_char) -> *mut c_char;
type Free = unsafe extern "C" fn(*mut c_char);

/// dlsym, or a panic naming the symbol.
///
/// # Safety
/// `handle` is a live dlopen handle.
unsafe fn symbol(handle: *mut c_void, name: &str) -> *mut c_void {
    let c = CString::new(name).unwrap();
    // SAFETY: a live handle and a C string.
    let p = unsafe { libc::dlsym(handle, c.as_ptr()) };
    assert!(!p.is_null(), "{name} not exported");
    p
}

pub fn run(report: &mut Report) {
    let Some(lib) = cdylib() else {
        eprintln!("   target/release/libywx.so not found: run `cargo build --release` first");
        return;
    };
    let sim = sim_and_library();
    let (request, bytes) = status_request(&sim, "cold");
    let config = CString::new(config_for(sim.base_url()).to_string()).unwrap();
    let dir = scratch("cold");
    let mut ours = Vec::new();
    for i in 0..SAMPLES {
        let copy = dir.join(format!("libywx-{i}.so"));
        std::fs::copy(&lib, &copy).unwrap();
        let path = CString::new(copy.to_str().unwrap()).unwrap();
        let t = Instant::now();
        // SAFETY: loading our own library; the symbols have the header's
        // signatures (extern "system" is the C convention on Linux).
        unsafe {
            let h = libc::dlopen(path.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL);
            assert!(!h.is_null(), "dlopen {}", copy.display());
            let init: Fn1 = std::mem::transmute(symbol(h, "ywx_init"));
            let status: Fn1 = std::mem::transmute(symbol(h, "ywx_sign_status"));
            let free: Free = std::mem::transmute(symbol(h, "ywx_free"));
            free(init(config.as_ptr()));
            let answer = status(request.as_ptr());
            let ok = std::ffi::CStr::from_ptr(answer)
                .to_string_lossy()
                .contains("\"status\":\"0\"");
            free(answer);
            ours.push(t.elapsed());
            assert!(ok);
            let shutdown: unsafe extern "C" fn() -> *mut c_char =
                std::mem::transmute(symbol(h, "ywx_shutdown"));
            free(shutdown());
        }
    }
    let mut floor = Vec::new();
    for _ in 0..SAMPLES {
        let t = Instant::now();
        RawClient::new_connection_per_call(sim.addr()).send(&bytes);
        floor.push(t.elapsed());
    }
    let (om, _) = percentiles(ours);
    let (rm, _) = percentiles(floor);
    report.add(
        "cold start: dlopen + ywx_init + first sign_status, median (vs raw first POST on a new connection; defaults: log info, outbox on)",
        ms(om),
        ms(rm),
        om.as_secs_f64() / rm.as_secs_f64(),
        Target::None,
    );
    let _ = std::fs::remove_dir_all(dir);
}
