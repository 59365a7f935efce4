//! Conveniences a caller may use in place of the document's fields, never
//! required: `originData`/`originFile` for `hashValue`/`hashType` (hashed
//! here, so the medical text never leaves the hospital), `pdfFile` for
//! `pdfBase64`, `appendixFile` for `head.appendixFileBase64`.

use serde_json::Value;

use super::part;
use crate::attach::Attachment;
use crate::digest::{self, Origin};
use crate::endpoints::Shape;
use crate::error::{Error, Result};
use crate::json::Json;
use crate::value::{as_text, object_at_mut as object_at};

/// The fields of the body that name a convenience (`hashAlg` goes with
/// `originData`/`originFile`, and is taken out of the body either way).
pub(super) const IN_BODY: [&str; 5] = [
    "originData",
    "originFile",
    "hashAlg",
    "pdfFile",
    "appendixFile",
];

/// Applies every convenience found in the request's head and body. A
/// `pdfFile`/`appendixFile` is opened and checked; its base64 is streamed
/// when the request is sent (a placeholder stands for it: `attach.rs`).
///
/// A request that names none is left as it is, untouched; one that does
/// is worked on as serde_json `Value`s, whose maps also take a field out
/// the way they always did (`Map::remove`: the last field takes its place).
pub fn apply(shape: Shape, root: &mut Json, files: &mut Vec<Attachment>) -> Result<()> {
    let names = |path: &str, fields: &[&str]| {
        let obj = root.at(path).and_then(Json::as_object);
        obj.is_some_and(|o| o.iter().any(|(key, _)| fields.contains(&key)))
    };
    if !names(part(shape, "body"), &IN_BODY) && !names(part(shape, "head"), &["appendixFile"]) {
        return Ok(());
    }
    let mut value = std::mem::replace(root, Json::Null).into_value();
    apply_to_value(shape, &mut value, files)?;
    *root = Json::from(value);
    Ok(())
}

fn apply_to_value(shape: Shape, root: &mut Value, files: &mut Vec<Attachment>) -> Result<()> {
    let body = object_at(root, part(shape, "body")).expect("body checked");
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
        let a = open_pdf(&file, "body.pdfFile")?;
        body.insert("pdfBase64".into(), Value::String(a.placeholder().into()));
        files.push(a);
    }
    let appendix = body.remove("appendixFile");
    let head = object_at(root, part(shape, "head")).expect("head ensured");
    if let Some(file) = appendix.or_else(|| head.remove("appendixFile")) {
        let a = open_pdf(&file, "head.appendixFile")?;
        head.insert(
            "appendixFileBase64".into(),
            Value::String(a.placeholder().into()),
        );
        files.push(a);
    }
    Ok(())
}

/// A PDF file of at most 2 MiB, opened and checked.
fn open_pdf(file: &Value, field: &str) -> Result<Attachment> {
    let path = as_text(file).ok_or_else(|| Error::arg(field, "必须是文件路径字符串"))?;
    Attachment::open(&path, field)
}
