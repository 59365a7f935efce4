//! The writer's thread, made with the operating system's own call rather
//! than `std::thread::spawn`: std's spawn reads the calling thread's
//! thread-locals (its spawn hooks), which panics when the caller is a host
//! program's `atexit` handler or thread-local destructor (no export may
//! fail there). On Windows the thread holds a reference to the DLL and
//! drops it as it ends (`FreeLibraryAndExitThread`), so the DLL stays
//! loaded while the thread runs, whatever the host unloads.

use std::ffi::c_void;
use std::time::Duration;

type Body = Box<dyn FnOnce() + Send>;

/// Stack of the writer thread: it formats nothing, only writes.
const STACK: usize = 256 * 1024;

/// A started thread, to be joined or let go.
pub struct Native(pub usize);

#[cfg(unix)]
pub fn spawn(body: Body) -> Option<Native> {
    extern "C" fn start(arg: *mut c_void) -> *mut c_void {
        // SAFETY: `arg` is the Box made below, handed over once.
        let body = unsafe { Box::from_raw(arg.cast::<Body>()) };
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body));
        std::ptr::null_mut()
    }
    let arg = Box::into_raw(Box::new(body)).cast::<c_void>();
    // SAFETY: `attr` is initialised before use and destroyed after;
    // `start` takes ownership of `arg` only when the thread was created.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        let with_attr = libc::pthread_attr_init(&mut attr) == 0;
        if with_attr {
            libc::pthread_attr_setstacksize(&mut attr, STACK.max(libc::PTHREAD_STACK_MIN));
        }
        let mut thread: libc::pthread_t = std::mem::zeroed();
        let attr_ptr = if with_attr { &attr } else { std::ptr::null() };
        let rc = libc::pthread_create(&mut thread, attr_ptr, start, arg);
        if with_attr {
            libc::pthread_attr_destroy(&mut attr);
        }
        if rc != 0 {
            drop(Box::from_raw(arg.cast::<Body>()));
            return None;
        }
        Some(Native(thread as usize))
    }
}

/// Waits at most `wait` for the thread to finish its body (`finished`),
/// then for it to end, so that none of this library's code runs on it any
/// more; true if it did. A thread that does not finish in time is let go,
/// and the library kept loaded (its code stays where the thread runs it).
#[cfg(unix)]
pub fn end(thread: Native, wait: Duration, finished: impl Fn() -> bool) -> bool {
    let deadline = std::time::Instant::now() + wait;
    while !finished() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_micros(100));
    }
    let thread = thread.0 as libc::pthread_t;
    // SAFETY: a thread made by `spawn`, joined or detached once.
    unsafe {
        if finished() {
            return libc::pthread_join(thread, std::ptr::null_mut()) == 0;
        }
        libc::pthread_detach(thread);
    }
    crate::platform::never_unload();
    false
}

#[cfg(windows)]
pub fn spawn(body: Body) -> Option<Native> {
    use crate::platform::{Pin, end_thread, pin_library};
    use windows_sys::Win32::System::Threading::{CreateThread, STACK_SIZE_PARAM_IS_A_RESERVATION};

    unsafe extern "system" fn start(arg: *mut c_void) -> u32 {
        // SAFETY: `arg` is the Box made below, handed over once.
        let (body, pin) = *unsafe { Box::from_raw(arg.cast::<(Body, Option<Pin>)>()) };
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body));
        // Ends the thread without returning into code that may be unloaded.
        end_thread(pin);
        0
    }
    // The pin goes to the thread, or is dropped (given back) with the Box
    // when the thread cannot be made.
    let arg = Box::into_raw(Box::new((body, pin_library()))).cast::<c_void>();
    // SAFETY: `start` owns `arg` once the thread is made.
    unsafe {
        let handle = CreateThread(
            std::ptr::null(),
            STACK,
            Some(start),
            arg,
            STACK_SIZE_PARAM_IS_A_RESERVATION,
            std::ptr::null_mut(),
        );
        if handle.is_null() {
            drop(Box::from_raw(arg.cast::<(Body, Option<Pin>)>()));
            return None;
        }
        Some(Native(handle as usize))
    }
}

/// Waits at most `wait` for the thread to end (at process exit Windows has
/// ended it already), then closes its handle; true if it ended. One that
/// runs on holds its own reference to the DLL.
#[cfg(windows)]
pub fn end(thread: Native, wait: Duration, _finished: impl Fn() -> bool) -> bool {
    use windows_sys::Win32::Foundation::{CloseHandle, HANDLE, WAIT_OBJECT_0};
    use windows_sys::Win32::System::Threading::WaitForSingleObject;
    let handle = thread.0 as HANDLE;
    let ms = u32::try_from(wait.as_millis()).unwrap_or(u32::MAX);
    // SAFETY: a thread handle made by `spawn`, closed once.
    unsafe {
        let ended = WaitForSingleObject(handle, ms) == WAIT_OBJECT_0;
        CloseHandle(handle);
        ended
    }
}
