//! Reading files named in requests and the config (`pdfFile`,
//! `appendixFile`, `originFile`, `tls.caFile`, the config file).
//!
//! Only regular files are read: a directory, a FIFO or a device such as
//! `/dev/zero` is refused at once. A file is read up to its limit plus one
//! byte and never further, so a growing or endless file can neither exhaust
//! memory nor hang the call.

use std::fs::File;
use std::io::Read;
use std::path::Path;

/// Why a file could not be used, in words for the message: a predicate,
/// "(文件) 不存在", that never repeats the path (it is the caller's text).
pub type Why = String;

/// Opens `path` for reading if it is a regular file.
pub fn open_regular(path: &Path) -> Result<File, Why> {
    // Checked by path first, so that a FIFO is never opened (opening one
    // blocks until a writer appears).
    let meta = std::fs::metadata(path).map_err(|e| io_why(&e, "无法打开"))?;
    if !meta.is_file() {
        return Err(not_regular(&meta));
    }
    let file = File::open(path).map_err(|e| io_why(&e, "无法打开"))?;
    // The path may have been swapped meanwhile: check what was opened.
    let meta = file.metadata().map_err(|e| io_why(&e, "无法读取"))?;
    if !meta.is_file() {
        return Err(not_regular(&meta));
    }
    Ok(file)
}

/// An I/O error in Chinese: the common cases in words, the others by the
/// system's error number (the system's own text is English on Linux and
/// in the system's language on Windows).
pub fn io_why(e: &std::io::Error, doing: &str) -> Why {
    use std::io::ErrorKind::*;
    match e.kind() {
        NotFound => "不存在（相对路径从 HIS 程序的当前目录算起）".into(),
        PermissionDenied => "没有读取权限（请检查运行 HIS 的用户对该文件的权限）".into(),
        _ => match e.raw_os_error() {
            Some(n) => format!("{doing}（系统错误码 {n}）"),
            // ywx's own words (a file changed while it was sent).
            None if e.kind() == Other => e.to_string(),
            None => format!("{doing}（{:?}）", e.kind()),
        },
    }
}

fn not_regular(meta: &std::fs::Metadata) -> Why {
    let what = if meta.is_dir() {
        "是一个目录"
    } else {
        "不是普通文件（设备、管道或套接字）"
    };
    format!("{what}，只能给普通文件的路径")
}

/// The whole file, when it has at most `limit` bytes; `Err(None)` when it
/// is longer (read no further than `limit + 1` bytes).
pub fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, Option<Why>> {
    let file = open_regular(path).map_err(Some)?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| Some(io_why(&e, "读取失败")))?;
    if bytes.len() as u64 > limit {
        return Err(None);
    }
    Ok(bytes)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn devices_directories_and_fifos_are_refused_at_once() {
        for path in ["/dev/zero", "/dev/urandom", "/"] {
            let e = read_limited(Path::new(path), 10).unwrap_err();
            assert!(e.is_some_and(|w| w.contains("普通文件")), "{path}");
        }
        let dir = std::env::temp_dir().join(format!("ywx-readfile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid C path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(open_regular(&fifo).is_err());
        let big = dir.join("big");
        std::fs::write(&big, vec![b'x'; 11]).unwrap();
        assert!(matches!(read_limited(&big, 10), Err(None)));
        assert_eq!(read_limited(&big, 11).unwrap().len(), 11);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
