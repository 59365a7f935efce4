//! The README's export table: every exported method, then the boundary's
//! own exports (`ywx_call`, `ywx_call_buf`, `ywx_free`).

use std::path::Path;

use ywx::methods::{BOUNDARY, TABLE};

use crate::File;
use crate::splice::{self, Enc};

pub const PATH: &str = "README.md";

pub fn generate(root: &Path) -> Result<File, String> {
    let mut rows = vec![
        "| 导出函数 | 做什么 | 文档章节、网关接口 |".to_string(),
        "|---|---|---|".to_string(),
    ];
    for m in TABLE.iter().map(|e| &e.method).filter(|m| m.exported) {
        let endpoint = m
            .endpoint
            .map_or("—".to_string(), ywx::methods::endpoint_cell);
        rows.push(format!("| `ywx_{}` | {} | {endpoint} |", m.name, m.title));
    }
    for (name, title) in BOUNDARY {
        rows.push(format!("| `ywx_{name}` | {title} | — |"));
    }
    let text = std::fs::read(root.join(PATH)).map_err(|e| format!("{PATH}: {e}"))?;
    Ok(File {
        path: PATH.into(),
        bytes: splice::block(PATH, &text, "exports", &rows, Enc::Utf8)?,
    })
}
