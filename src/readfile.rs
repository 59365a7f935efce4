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

/// Why a file could not be used, in words for the message.
pub type Why = String;

/// Opens `path` for reading if it is a regular file.
pub fn open_regular(path: &Path) -> Result<File, Why> {
    // Checked by path first, so that a FIFO is never opened (opening one
    // blocks until a writer appears).
    let meta = std::fs::metadata(path).map_err(|e| cannot_open(&e))?;
    if !meta.is_file() {
        return Err(not_regular(&meta));
    }
    let file = File::open(path).map_err(|e| cannot_open(&e))?;
    // The path may have been swapped meanwhile: check what was opened.
    let meta = file.metadata().map_err(|e| format!("无法读取：{e}"))?;
    if !meta.is_file() {
        return Err(not_regular(&meta));
    }
    Ok(file)
}

fn cannot_open(e: &std::io::Error) -> Why {
    match e.kind() {
        std::io::ErrorKind::NotFound => {
            "不存在（请检查路径，相对路径相对于 HIS 程序的工作目录）".into()
        }
        std::io::ErrorKind::PermissionDenied => "没有读取权限".into(),
        _ => format!("无法打开：{e}"),
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
        .map_err(|e| Some(format!("读取失败：{e}")))?;
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
