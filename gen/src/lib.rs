//! ywx-gen writes every file that restates ywx's method table
//! (`src/methods/table.rs`, with `src/endpoints.rs`):
//!
//! - `src/ffi/generated.rs`: the export of each method with a request, with
//!   the documentation the header carries;
//! - `include/ywx.h`: cbindgen over the C boundary (`src/ffi/exports.rs`,
//!   the generated exports, `src/consts.rs`), with the calling-convention
//!   macro and the error codes of `src/codes.rs`;
//! - the generated blocks of each binding's declarations and wrappers
//!   (C#, Delphi, PowerBuilder, VB6, Python) and of the README's export
//!   table; the hand-written code around them stays as it is;
//! - the fuzzers' seed corpus (`fuzz/corpus/`).
//!
//! ```text
//! cargo run -p ywx-gen               write the files that changed
//! cargo run -p ywx-gen -- --check    name the stale ones; exit 1 if any
//! ```
//!
//! `tests/generated.rs` runs [`stale`] in `cargo test`. The generator reads
//! the table from the `ywx` rlib, which compiles whatever
//! `src/ffi/generated.rs` holds (it names methods by string), so the
//! command runs from a clean clone and after any change to the table.

mod bindings;
mod exports;
mod header;
mod readme;
mod seeds;
mod splice;

use std::path::Path;

use ywx::methods::{Entry, Run, TABLE};

/// The command that writes the generated files.
pub const COMMAND: &str = "cargo run -p ywx-gen";

/// Directories the generator owns: a file in them that it does not write
/// is stale too, and the command deletes it.
pub const OWNED_DIRS: &[&str] = &["fuzz/corpus/request", "fuzz/corpus/config"];

/// A generated file: its path under the repository root, and its bytes.
pub struct File {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// Every generated file, as the committed sources make it now.
pub fn generate(root: &Path) -> Result<Vec<File>, String> {
    check_table()?;
    let exports = exports::generate();
    let mut files = vec![
        File {
            path: header::PATH.into(),
            bytes: header::generate(root, &exports)?.into_bytes(),
        },
        File {
            path: exports::PATH.into(),
            bytes: exports.into_bytes(),
        },
    ];
    files.extend(bindings::generate(root)?);
    files.push(readme::generate(root)?);
    files.extend(seeds::generate()?);
    Ok(files)
}

/// The committed files that differ from what [`generate`] makes, and the
/// files in [`OWNED_DIRS`] it does not make: "path: why" each.
pub fn stale(root: &Path) -> Result<Vec<String>, String> {
    let files = generate(root)?;
    let mut stale = Vec::new();
    for f in &files {
        match std::fs::read(root.join(&f.path)) {
            Ok(bytes) if bytes == f.bytes => {}
            Ok(_) => stale.push(format!("{}: stale", f.path)),
            Err(_) => stale.push(format!("{}: missing", f.path)),
        }
    }
    for extra in extra_files(root, &files) {
        stale.push(format!("{extra}: not generated (the command deletes it)"));
    }
    Ok(stale)
}

/// Writes the files that differ and deletes the extra ones; returns what
/// it changed.
pub fn write(root: &Path) -> Result<Vec<String>, String> {
    let files = generate(root)?;
    let mut changed = Vec::new();
    for f in &files {
        let path = root.join(&f.path);
        if std::fs::read(&path).ok().as_deref() != Some(f.bytes.as_slice()) {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            }
            std::fs::write(&path, &f.bytes).map_err(|e| format!("{}: {e}", f.path))?;
            changed.push(format!("wrote {}", f.path));
        }
    }
    for extra in extra_files(root, &files) {
        std::fs::remove_file(root.join(&extra)).map_err(|e| format!("{extra}: {e}"))?;
        changed.push(format!("deleted {extra}"));
    }
    Ok(changed)
}

fn extra_files(root: &Path, files: &[File]) -> Vec<String> {
    let mut extra = Vec::new();
    for dir in OWNED_DIRS {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for e in entries.flatten() {
            let path = format!("{dir}/{}", e.file_name().to_string_lossy());
            if !files.iter().any(|f| f.path == path) {
                extra.push(path);
            }
        }
    }
    extra.sort();
    extra
}

/// The methods with an export of their own taking one request: the
/// gateway's endpoints and the library's own methods (not the lifecycle,
/// whose exports have signatures of their own and are written by hand).
pub(crate) fn with_request() -> impl Iterator<Item = &'static Entry> {
    TABLE
        .iter()
        .filter(|e| e.method.exported && matches!(e.method.run, Run::Gateway | Run::Local(_)))
}

/// What the generated files need from each entry, present and valid.
fn check_table() -> Result<(), String> {
    let mut problems = Vec::new();
    for e in with_request() {
        let name = e.method.name;
        if e.doc.trim().is_empty() {
            problems.push(format!("{name}: no .doc(...): the export's documentation"));
        }
        match serde_json::from_str::<serde_json::Value>(e.example) {
            Ok(v) if v.is_object() => {}
            Ok(_) => problems.push(format!("{name}: .example(...) is not a JSON object")),
            Err(err) => problems.push(format!("{name}: .example(...) is not JSON ({err})")),
        }
        if !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            problems.push(format!("{name}: a method name is lower case, digits and _"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "src/methods/table.rs:\n  {}",
            problems.join("\n  ")
        ))
    }
}

/// `sign_data` → `SignData`.
pub(crate) fn pascal(name: &str) -> String {
    name.split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The documentation's lines: trimmed, an empty line between paragraphs.
pub(crate) fn doc_lines(doc: &str) -> Vec<&str> {
    doc.lines().map(str::trim).collect()
}
