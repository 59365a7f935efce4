//! What differs per operating system: where the library itself lives,
//! whether a process runs, which side of a `fork` this is, and keeping the
//! library loaded while a thread of its own runs.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

/// Bumped in the child of every `fork`: what a process made before (its
/// connections, SQLite handle, delivery thread, log writer) belongs to the
/// parent, and the child must make its own.
static FORK_GENERATION: AtomicU32 = AtomicU32::new(0);

/// Which side of the forks so far this process is (0 before any; counted
/// once [`count_forks`] ran).
pub fn fork_generation() -> u32 {
    FORK_GENERATION.load(Ordering::Acquire)
}

/// Counts forks from now on, once per process: a `pthread_atfork` child
/// handler bumps [`fork_generation`] (an atomic increment only).
#[cfg(unix)]
pub fn count_forks() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    extern "C" fn child() {
        FORK_GENERATION.fetch_add(1, Ordering::AcqRel);
    }
    // SAFETY: a plain function that stays valid (the library is never
    // unloaded: -z nodelete).
    ONCE.call_once(|| unsafe {
        libc::pthread_atfork(None, None, Some(child));
    });
}

#[cfg(not(unix))]
pub fn count_forks() {}

/// Watches for `fork`, once per process: `before` runs in the forking
/// thread right before the fork (to take locks the child must find free),
/// `after` in parent and child right after (to give them back); and forks
/// are counted.
#[cfg(unix)]
pub fn watch_forks(before: extern "C" fn(), after: extern "C" fn()) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    // SAFETY: plain functions that stay valid (as in `count_forks`).
    ONCE.call_once(|| unsafe {
        libc::pthread_atfork(Some(before), Some(after), Some(after));
    });
    count_forks();
}

#[cfg(not(unix))]
pub fn watch_forks(_before: extern "C" fn(), _after: extern "C" fn()) {}

/// The directory of the loaded `ywx.dll` / `libywx.so` (or of the program
/// the library is linked into statically).
#[cfg(unix)]
pub fn library_dir() -> Option<PathBuf> {
    use std::ffi::CStr;
    use std::os::unix::ffi::OsStrExt;
    // SAFETY: dladdr only reads its first argument as an address inside this
    // image and fills `info`; `dli_fname` is a NUL-terminated string owned by
    // the dynamic loader, valid while the library stays loaded.
    unsafe {
        let mut info: libc::Dl_info = std::mem::zeroed();
        let here = library_dir as *const libc::c_void;
        if libc::dladdr(here, &mut info) == 0 || info.dli_fname.is_null() {
            return None;
        }
        let path = PathBuf::from(std::ffi::OsStr::from_bytes(
            CStr::from_ptr(info.dli_fname).to_bytes(),
        ));
        path.parent().map(|p| p.to_path_buf())
    }
}

#[cfg(windows)]
pub fn library_dir() -> Option<PathBuf> {
    use std::os::windows::ffi::OsStringExt;
    use windows_sys::Win32::Foundation::HMODULE;
    use windows_sys::Win32::System::LibraryLoader::{
        GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS, GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
        GetModuleFileNameW, GetModuleHandleExW,
    };
    // SAFETY: the address passed is a function of this module; the buffer
    // length given to GetModuleFileNameW is the buffer's real length.
    unsafe {
        let mut module: HMODULE = std::ptr::null_mut();
        let flags =
            GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT;
        if GetModuleHandleExW(flags, library_dir as *const u16, &mut module) == 0 {
            return None;
        }
        let mut buf = vec![0u16; 32768];
        let n = GetModuleFileNameW(module, buf.as_mut_ptr(), buf.len() as u32) as usize;
        if n == 0 || n >= buf.len() {
            return None;
        }
        let path = PathBuf::from(std::ffi::OsString::from_wide(&buf[..n]));
        path.parent().map(|p| p.to_path_buf())
    }
}

#[cfg(not(any(unix, windows)))]
pub fn library_dir() -> Option<PathBuf> {
    None
}

/// Keeps this library loaded for the rest of the process (`dlclose`
/// becomes a no-op): for when a thread of its own could not be stopped,
/// whose code must not be unmapped under it. (The Linux build is linked
/// `-z nodelete` already; this covers other Unix systems.)
#[cfg(unix)]
pub fn never_unload() {
    // SAFETY: dladdr as in `library_dir`; dlopen with RTLD_NOLOAD only
    // finds the already loaded object (a reference that is kept).
    unsafe {
        let mut info: libc::Dl_info = std::mem::zeroed();
        let here = never_unload as *const libc::c_void;
        if libc::dladdr(here, &mut info) != 0 && !info.dli_fname.is_null() {
            libc::dlopen(
                info.dli_fname,
                libc::RTLD_LAZY | libc::RTLD_NOLOAD | libc::RTLD_NODELETE,
            );
        }
    }
}

/// Whether a process with this id is running on this machine (used to take
/// over outbox items claimed by a HIS process that was killed).
#[cfg(unix)]
pub fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 sends nothing; it only checks the process exists.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(windows)]
pub fn process_alive(pid: u32) -> bool {
    use windows_sys::Win32::Foundation::{CloseHandle, STILL_ACTIVE};
    use windows_sys::Win32::System::Threading::{
        GetExitCodeProcess, OpenProcess, PROCESS_QUERY_LIMITED_INFORMATION,
    };
    // SAFETY: the handle is checked, used once and closed.
    unsafe {
        let handle = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid);
        if handle.is_null() {
            // Access denied means it exists (another user's process).
            return windows_sys::Win32::Foundation::GetLastError()
                == windows_sys::Win32::Foundation::ERROR_ACCESS_DENIED;
        }
        let mut code = 0u32;
        let ok = GetExitCodeProcess(handle, &mut code) != 0;
        CloseHandle(handle);
        !ok || code == STILL_ACTIVE as u32
    }
}

#[cfg(not(any(unix, windows)))]
pub fn process_alive(_pid: u32) -> bool {
    true
}

/// A reference to this library (ywx.dll), taken for a thread of its own:
/// while the thread runs, the host's `FreeLibrary` cannot unload the code
/// it runs (the outbox delivery thread, the log writer). The thread's
/// last act gives it back ([`end_thread`]); dropped unused (the thread
/// could not start), it is given back then.
pub struct Pin(#[cfg(windows)] windows_sys::Win32::Foundation::HMODULE);

// SAFETY: a module handle is a plain address, valid on any thread.
#[cfg(windows)]
unsafe impl Send for Pin {}

#[cfg(windows)]
impl Drop for Pin {
    fn drop(&mut self) {
        // SAFETY: the reference taken by `pin_library`, given back once.
        unsafe { windows_sys::Win32::Foundation::FreeLibrary(self.0) };
    }
}

/// Pins the library for a thread about to start (taken by the thread that
/// starts it, so that no `FreeLibrary` can come in between).
#[cfg(windows)]
pub fn pin_library() -> Option<Pin> {
    use windows_sys::Win32::System::LibraryLoader::{
        GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS, GetModuleHandleExW,
    };
    let mut module = std::ptr::null_mut();
    // SAFETY: the address is a function of this module; without
    // UNCHANGED_REFCOUNT the call adds a reference, given back by
    // `end_thread` or the pin's drop.
    let ok = unsafe {
        GetModuleHandleExW(
            GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS,
            pin_library as *const u16,
            &mut module,
        )
    };
    (ok != 0).then_some(Pin(module))
}

#[cfg(not(windows))]
pub fn pin_library() -> Option<Pin> {
    None
}

/// Ends the calling thread, giving its pin back in the same step
/// (`FreeLibraryAndExitThread`): should that unload the library, no code
/// of it runs after. Without a pin (or off Windows) it just returns, and
/// the thread ends as threads do.
pub fn end_thread(pin: Option<Pin>) {
    #[cfg(windows)]
    if let Some(pin) = pin {
        let pin = std::mem::ManuallyDrop::new(pin);
        // SAFETY: the reference taken by `pin_library`; the call does not
        // return, and the caller has dropped what it owned.
        unsafe { windows_sys::Win32::System::LibraryLoader::FreeLibraryAndExitThread(pin.0, 0) }
    }
    #[cfg(not(windows))]
    let _ = pin;
}
