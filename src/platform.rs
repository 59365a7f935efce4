//! What differs per operating system: where the library itself lives.

use std::path::PathBuf;

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
