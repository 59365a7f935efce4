//! The checks of PDF documents (`pdfBase64`, `appendixFileBase64`) and of
//! the stamp areas of `personRolesPdf` (4.3.5).

use super::shown;
use crate::error::{Error, Result};
use crate::json::Json;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

/// The largest PDF the gateway takes (pdfBase64, appendixFileBase64).
pub const MAX_PDF_BYTES: usize = 2 * 1024 * 1024;

/// Valid base64 of a PDF of at most 2 MiB.
pub fn check_pdf(field: &str, s: &str) -> Result<()> {
    let s = s.trim();
    // 2 MiB decoded is at most this much base64; refuse before decoding.
    if s.len() > MAX_PDF_BYTES.div_ceil(3) * 4 + 4 {
        return Err(too_big(field));
    }
    let bad = || {
        Error::arg(
            field,
            format!(
                "必须是 PDF 文件的 base64 编码（{}）；也可以改传 pdfFile 指定文件路径，由 ywx 读取并编码",
                shown(field, s)
            ),
        )
    };
    // Decoded piece by piece into a small buffer: checked without a copy of
    // the document. Padding may only end the text, as in a whole decode.
    let text = s.as_bytes();
    if text.len() % 4 != 0 || text[..text.len().saturating_sub(4)].contains(&b'=') {
        return Err(bad());
    }
    let mut piece = [0u8; 3072];
    let mut decoded = 0;
    let mut is_pdf = false;
    for (i, chunk) in text.chunks(4096).enumerate() {
        let n = B64.decode_slice(chunk, &mut piece).map_err(|_| bad())?;
        if i == 0 {
            is_pdf = piece[..n].starts_with(b"%PDF-");
        }
        decoded += n;
    }
    if decoded > MAX_PDF_BYTES {
        return Err(too_big(field));
    }
    if !is_pdf {
        return Err(Error::arg(field, "解码后不是 PDF 文件（应以 %PDF- 开头）"));
    }
    Ok(())
}

pub fn too_big(field: &str) -> Error {
    Error::arg(field, "解码后超过 2 MiB（接口文档：最大不超过2M）")
}

/// `roles` of `personRolesPdf`: each a keyword, or a page with x and y.
pub fn check_roles(field: &str, v: &Json) -> Result<()> {
    let Some(roles) = v.as_array().filter(|a| !a.is_empty()) else {
        return Err(Error::arg(field, "必须是非空的盖章区域数组"));
    };
    for (i, role) in roles.iter().enumerate() {
        let at = format!("{field}[{i}]");
        if !role.is_object() {
            return Err(Error::arg(at, "必须是 JSON 对象"));
        }
        check_role(&at, role)?;
    }
    Ok(())
}

fn check_role(at: &str, role: &Json) -> Result<()> {
    let field = |name: &str| format!("{at}.{name}");
    let get = |name: &str| role.get(name).filter(|x| !x.is_blank());
    let keyword = get("keyword").and_then(Json::text);
    if let Some(k) = &keyword
        && k.chars().any(char::is_whitespace)
    {
        return Err(Error::arg(
            field("keyword"),
            "必须是连续字符，中间不能含有空格",
        ));
    }
    if keyword.is_none() {
        let page = get("locationPage")
            .and_then(Json::text)
            .and_then(|s| s.parse::<i64>().ok());
        if page.is_none_or(|p| p < 1) {
            return Err(Error::arg(
                field("locationPage"),
                "没有 keyword 时必须给出盖章页码 locationPage（最小 1）和坐标 x、y",
            ));
        }
        for axis in ["x", "y"] {
            let n = get(axis)
                .and_then(Json::text)
                .and_then(|s| s.parse::<f64>().ok());
            if n.is_none_or(|n| n <= 50.0) {
                return Err(Error::arg(
                    field(axis),
                    "坐标必须大于 50（按关键字定位时可改传 keyword）",
                ));
            }
        }
    }
    for (name, allowed) in [
        ("moveType", &["1", "2", "3"][..]),
        ("searchOrder", &["1", "2"][..]),
    ] {
        if let Some(x) = get(name)
            && !allowed.contains(&x.text().unwrap_or_default().as_ref())
        {
            return Err(Error::arg(
                field(name),
                format!("只能是 {}", allowed.join("、")),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(bytes: &[u8]) -> String {
        B64.encode(bytes)
    }

    #[test]
    fn pdf_check_decodes_piecewise_like_a_whole_decode() {
        let mut pdf = b"%PDF-1.4\n".to_vec();
        pdf.resize(MAX_PDF_BYTES, b'x');
        assert!(check_pdf("f", &b64(&pdf)).is_ok(), "exactly 2 MiB");
        assert!(check_pdf("f", &b64(b"%PDF-1.7 tiny")).is_ok());
        pdf.push(b'y');
        let e = check_pdf("f", &b64(&pdf)).unwrap_err();
        assert!(e.message.contains("2 MiB"), "{}", e.message);
        for bad in ["", "pdfBase64", "JVBERi0=JVBE", "JVBERi0xLjQ", "JVBE\nRi0x"] {
            assert!(check_pdf("f", bad).is_err(), "{bad:?}");
        }
        let e = check_pdf("f", &b64(b"PK\x03\x04 a zip")).unwrap_err();
        assert!(e.message.contains("%PDF-"), "{}", e.message);
        // Every byte of a long text is checked, not just the first piece.
        let mut text = b64(&pdf[..9000]);
        text.replace_range(8000..8001, "*");
        assert!(check_pdf("f", &text).is_err());
    }
}
