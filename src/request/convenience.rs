//! Conveniences a caller may use in place of the document's fields, never
//! required: `originData`/`originFile` for `hashValue`/`hashType` (hashed
//! here, so the medical text never leaves the hospital), `pdfFile` for
//! `pdfBase64`, `appendixFile` for `head.appendixFileBase64`.

use std::path::Path;

use serde_json::Value;

use super::{object_at, part};
use crate::digest::{self, Origin};
use crate::endpoints::Shape;
use crate::error::{Error, Result};
use crate::readfile;
use crate::rules::MAX_PDF_BYTES;
use crate::value::as_text;

/// Applies every convenience found in the request's head and body.
pub fn apply(shape: Shape, root: &mut Value) -> Result<()> {
    let body = object_at(root, &part(shape, "body")).expect("body checked");
    if let Some(origin) = Origin::take(body, "body.")? {
        if body.get("hashValue").is_some_and(|v| !v.is_null()) {
            return Err(Error::arg(
                "body.originData",
                "与 hashValue 只能给一个：给 originData/originFile 时由 ywx 计算 hashValue",
            ));
        }
        let hash = origin.hash()?;
        body.insert("hashValue".into(), Value::String(digest::base64(&hash)));
        body.insert("hashType".into(), Value::String(origin.alg.name().into()));
    }
    if let Some(file) = body.remove("pdfFile") {
        let b64 = read_pdf_base64(&file, "body.pdfFile")?;
        body.insert("pdfBase64".into(), Value::String(b64));
    }
    let appendix = body.remove("appendixFile");
    let head = object_at(root, &part(shape, "head")).expect("head ensured");
    if let Some(file) = appendix.or_else(|| head.remove("appendixFile")) {
        let b64 = read_pdf_base64(&file, "head.appendixFile")?;
        head.insert("appendixFileBase64".into(), Value::String(b64));
    }
    Ok(())
}

/// A PDF file of at most 2 MiB, in base64.
fn read_pdf_base64(file: &Value, field: &str) -> Result<String> {
    let path = as_text(file).ok_or_else(|| Error::arg(field, "必须是文件路径字符串"))?;
    let bytes = readfile::read_limited(Path::new(&path), MAX_PDF_BYTES as u64).map_err(|why| {
        let why = why.unwrap_or_else(|| "超过 2 MiB（接口文档：最大不超过2M）".into());
        // The path is not repeated: it is the caller's text, and may be
        // named after the patient.
        Error::arg(field, format!("指向的文件{why}"))
    })?;
    if !bytes.starts_with(b"%PDF-") {
        return Err(Error::arg(field, "指向的文件不是 PDF（应以 %PDF- 开头）"));
    }
    Ok(digest::base64(&bytes))
}
