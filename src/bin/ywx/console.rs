//! Where the command's text goes: standard output and standard error.
//! Every line the command prints passes through here.
//!
//! Linux and macOS: UTF-8, as it is.
//!
//! Windows, where the implementer reads `ywx check` in `cmd.exe` on a
//! Chinese PC (code page 936), or redirects it into a file for Notepad:
//! - to a console: the text is handed over as Unicode (the standard
//!   library writes to a console with `WriteConsoleW`), so the console's
//!   code page does not matter; only the few symbols that the console's
//!   output code page lacks (✓ ✗ ⚠, which GBK has not) are replaced by
//!   ones it has (√ × !), because the raster font of a Windows 7 console
//!   shows nothing else;
//! - to a file or a pipe (`ywx check > 诊断.txt`, `| findstr`): bytes in the
//!   console's output code page, else the ANSI code page (GBK on a Chinese
//!   PC: what `type`, Notepad and a script reading the output with the
//!   system's encoding expect), lines ended with CR LF. A character the code
//!   page lacks becomes its stand-in (✓ → √) or `?`; in JSON output it is
//!   written as a `\uXXXX` escape, so `--json` stays exact in any code page.
//!   `chcp 65001` gives UTF-8.

/// Prints a line to standard output.
macro_rules! out {
    ($($arg:tt)*) => { $crate::console::write_out(&format!($($arg)*)) };
}

/// Prints a line to standard error.
macro_rules! err {
    ($($arg:tt)*) => { $crate::console::write_err(&format!($($arg)*)) };
}

pub(crate) use {err, out};

use std::io::Write;

#[derive(Clone, Copy)]
enum Stream {
    Out,
    Err,
}

pub fn write_out(text: &str) {
    emit(Stream::Out, text);
}

pub fn write_err(text: &str) {
    emit(Stream::Err, text);
}

/// Writes one line; a closed pipe (`ywx check | head -1`) is not an error
/// worth a panic.
fn emit(stream: Stream, text: &str) {
    let bytes = render(stream, text);
    let _ = match stream {
        Stream::Out => {
            let mut o = std::io::stdout().lock();
            o.write_all(&bytes).and_then(|()| o.flush())
        }
        Stream::Err => {
            let mut e = std::io::stderr().lock();
            e.write_all(&bytes).and_then(|()| e.flush())
        }
    };
}

#[cfg(not(windows))]
fn render(_stream: Stream, text: &str) -> Vec<u8> {
    format!("{text}\n").into_bytes()
}

#[cfg(windows)]
fn render(stream: Stream, text: &str) -> Vec<u8> {
    match win::target(stream) {
        win::Target::Console { code_page } => format!(
            "{}\n",
            fit_symbols(text, |c| win::encode(code_page, c).is_some())
        )
        .into_bytes(),
        win::Target::Bytes { code_page } => {
            let text = text.replace("\r\n", "\n").replace('\n', "\r\n");
            encode_line(&format!("{text}\r\n"), is_json(text.trim()), |s| {
                win::encode(code_page, s)
            })
        }
    }
}

/// Stand-ins for the symbols the command prints that GBK (and most other
/// ANSI code pages) lack.
const STAND_INS: &[(char, &str)] = &[
    ('✓', "√"),
    ('✗', "×"),
    ('⚠', "!"),
    ('→', "->"),
    ('…', "..."),
];

fn stand_in(c: char) -> Option<&'static str> {
    STAND_INS.iter().find(|(k, _)| *k == c).map(|(_, v)| *v)
}

/// `text` with each symbol of [`STAND_INS`] that `has(symbol)` denies
/// replaced by its stand-in; everything else as it is.
#[cfg_attr(not(windows), allow(dead_code))]
fn fit_symbols(text: &str, has: impl Fn(&str) -> bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match stand_in(c) {
            Some(s) if !has(c.encode_utf8(&mut [0; 4])) => out.push_str(s),
            _ => out.push(c),
        }
    }
    out
}

/// Is this line a JSON document (`--json`, `ywx call`)?
#[cfg_attr(not(windows), allow(dead_code))]
fn is_json(text: &str) -> bool {
    (text.starts_with('{') || text.starts_with('['))
        && serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
}

/// `text` in a code page: `encode(s)` gives the bytes of `s`, or None when
/// the code page lacks a character of it. Such a character becomes its
/// stand-in, or `?`; in JSON a `\uXXXX` escape (only strings of a JSON
/// document can hold one), which loses nothing.
#[cfg_attr(not(windows), allow(dead_code))]
fn encode_line(text: &str, json: bool, encode: impl Fn(&str) -> Option<Vec<u8>>) -> Vec<u8> {
    if let Some(all) = encode(text) {
        return all;
    }
    let mut out = Vec::with_capacity(text.len() * 2);
    for c in text.chars() {
        let one = c.encode_utf8(&mut [0; 4]).to_string();
        if let Some(b) = encode(&one) {
            out.extend(b);
        } else if json {
            for unit in c.encode_utf16(&mut [0; 2]) {
                out.extend(format!("\\u{unit:04x}").bytes());
            }
        } else if let Some(b) = stand_in(c).and_then(&encode) {
            out.extend(b);
        } else {
            out.push(b'?');
        }
    }
    out
}

#[cfg(windows)]
mod win {
    //! The few kernel32 functions this needs, declared here.

    use std::ffi::c_void;

    use super::Stream;

    #[link(name = "kernel32")]
    unsafe extern "system" {
        fn GetStdHandle(which: u32) -> *mut c_void;
        fn GetConsoleMode(handle: *mut c_void, mode: *mut u32) -> i32;
        fn GetConsoleOutputCP() -> u32;
        fn GetACP() -> u32;
        fn WideCharToMultiByte(
            code_page: u32,
            flags: u32,
            wide: *const u16,
            wide_len: i32,
            out: *mut u8,
            out_len: i32,
            default_char: *const u8,
            used_default: *mut i32,
        ) -> i32;
    }

    const STD_OUTPUT_HANDLE: u32 = -11i32 as u32;
    const STD_ERROR_HANDLE: u32 = -12i32 as u32;
    const WC_NO_BEST_FIT_CHARS: u32 = 0x400;
    const CP_UTF8: u32 = 65001;
    const CP_GB18030: u32 = 54936;

    pub enum Target {
        /// A console: text as Unicode (WriteConsoleW, by the standard library).
        Console { code_page: u32 },
        /// A file or a pipe: bytes in this code page.
        Bytes { code_page: u32 },
    }

    pub fn target(stream: Stream) -> Target {
        // SAFETY: plain kernel32 calls; `mode` outlives the call.
        unsafe {
            let handle = GetStdHandle(match stream {
                Stream::Out => STD_OUTPUT_HANDLE,
                Stream::Err => STD_ERROR_HANDLE,
            });
            let console_cp = GetConsoleOutputCP();
            let mut mode = 0u32;
            if !handle.is_null() && GetConsoleMode(handle, &mut mode) != 0 {
                return Target::Console {
                    code_page: console_cp,
                };
            }
            // No console at all (a service, a scheduled task): the ANSI code page.
            let code_page = if console_cp != 0 {
                console_cp
            } else {
                GetACP()
            };
            Target::Bytes { code_page }
        }
    }

    /// `s` in `code_page`, or None when the code page lacks one of its
    /// characters (no "best fit": 'ü' is not quietly made 'u').
    pub fn encode(code_page: u32, s: &str) -> Option<Vec<u8>> {
        if code_page == CP_UTF8 {
            return Some(s.as_bytes().to_vec());
        }
        let wide: Vec<u16> = s.encode_utf16().collect();
        if wide.is_empty() {
            return Some(Vec::new());
        }
        let len = i32::try_from(wide.len()).ok()?;
        // These code pages take no flags and no "used default" pointer;
        // GB18030 (like UTF-8) has every character.
        let whole = code_page == CP_GB18030 || (50220..=57011).contains(&code_page);
        let flags = if whole { 0 } else { WC_NO_BEST_FIT_CHARS };
        let mut used_default = 0i32;
        let used_ptr: *mut i32 = if whole {
            std::ptr::null_mut()
        } else {
            &mut used_default
        };
        // SAFETY: `wide` holds `len` units; a first call with no output
        // buffer asks for the size, the second fills `out` of that size.
        unsafe {
            let n = WideCharToMultiByte(
                code_page,
                flags,
                wide.as_ptr(),
                len,
                std::ptr::null_mut(),
                0,
                std::ptr::null(),
                used_ptr,
            );
            if n <= 0 {
                return None;
            }
            let mut out = vec![0u8; n as usize];
            let n = WideCharToMultiByte(
                code_page,
                flags,
                wide.as_ptr(),
                len,
                out.as_mut_ptr(),
                n,
                std::ptr::null(),
                used_ptr,
            );
            if n <= 0 || used_default != 0 {
                return None;
            }
            out.truncate(n as usize);
            Some(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GBK as Windows' code page 936 has it (encoding_rs's GBK encoder
    /// never writes GB18030's four-byte forms: what it cannot, 936 lacks).
    fn gbk(s: &str) -> Option<Vec<u8>> {
        let (bytes, _, unmappable) = encoding_rs::GBK.encode(s);
        (!unmappable).then(|| bytes.into_owned())
    }

    fn from_gbk(b: &[u8]) -> String {
        let (text, _, bad) = encoding_rs::GBK.decode(b);
        assert!(!bad, "not GBK: {b:?}");
        text.into_owned()
    }

    #[test]
    fn chinese_text_comes_out_as_gbk_bytes_and_the_missing_symbols_as_stand_ins() {
        let line = "[1] ✓ 配置文件：ywx.json\r\n    → 处理办法：核对 clientSecret ⚠\r\n";
        let bytes = encode_line(line, false, gbk);
        // 配 is C5 E4 in GBK
        assert!(bytes.windows(2).any(|w| w == [0xC5, 0xE4]), "{bytes:?}");
        assert_eq!(
            from_gbk(&bytes),
            "[1] √ 配置文件：ywx.json\r\n    → 处理办法：核对 clientSecret !\r\n"
        );
        // a character with neither: ?
        assert_eq!(from_gbk(&encode_line("a😀b", false, gbk)), "a?b");
    }

    #[test]
    fn json_keeps_every_character_as_an_escape() {
        let line = r#"{"message":"结论：✓ 😀","ok":true}"#;
        assert!(is_json(line));
        assert!(!is_json("[1] ✓ 配置文件"));
        let bytes = encode_line(line, true, gbk);
        let back: serde_json::Value = serde_json::from_str(&from_gbk(&bytes)).unwrap();
        assert_eq!(back["message"], "结论：✓ 😀");
        assert!(String::from_utf8_lossy(&bytes).contains(r"\u2713 \ud83d\ude00"));
    }

    #[test]
    fn a_console_gets_stand_ins_only_for_the_symbols_its_code_page_lacks() {
        let text = "[1] ✓ 配置文件 ✗ 😀";
        assert_eq!(
            fit_symbols(text, |s| gbk(s).is_some()),
            "[1] √ 配置文件 × 😀"
        );
        assert_eq!(fit_symbols(text, |_| true), text);
    }
}
