//! Errors raised by the library itself, and their JSON envelope.

use serde_json::{Value, json};

use crate::codes::{self, Code};

/// A library error: one row of the code table, a Chinese message for the
/// implementer, the offending field where there is one, and optional data
/// (the last state of a `*_wait`, the urId of a queued push).
#[derive(Debug, Clone)]
pub struct Error {
    pub code: &'static Code,
    pub message: String,
    pub field: Option<String>,
    /// Boxed: the error travels in every `Result` and stays small.
    pub data: Box<Value>,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(code: &'static Code, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
            field: None,
            data: Box::new(Value::Null),
        }
    }

    /// `INVALID_ARGUMENT` naming `field`; the message is prefixed with the field.
    pub fn arg(field: impl Into<String>, rule: impl AsRef<str>) -> Self {
        let field = field.into();
        Error {
            code: &codes::INVALID_ARGUMENT,
            message: format!("{field} {}", rule.as_ref()),
            field: Some(field),
            data: Box::new(Value::Null),
        }
    }

    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Box::new(data);
        self
    }

    pub fn not_configured(why: impl AsRef<str>) -> Self {
        Error::new(
            &codes::NOT_CONFIGURED,
            format!(
                "没有可用的配置：{}。请先调用 ywx_init，或在 DLL 旁放置 ywx.json（或用环境变量 YWX_CONFIG 指定路径）",
                why.as_ref()
            ),
        )
    }

    pub fn internal(what: impl AsRef<str>) -> Self {
        Error::new(
            &codes::INTERNAL,
            format!(
                "ywx 内部错误：{}。请把日志目录中当天的日志发给 ywx 的维护者",
                what.as_ref()
            ),
        )
    }

    pub fn envelope(&self) -> Value {
        let mut error = json!({ "code": self.code.name });
        if let Some(field) = &self.field {
            error["field"] = Value::String(field.clone());
        }
        json!({
            "status": self.code.status(),
            "message": self.message,
            "data": *self.data,
            "error": error,
        })
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.status(), self.message)
    }
}

impl std::error::Error for Error {}

/// The message for a JSON syntax error, with line and column.
pub fn invalid_json(what: &str, e: &serde_json::Error) -> Error {
    Error::new(
        &codes::INVALID_JSON,
        format!(
            "{what}不是合法的 JSON：第 {} 行第 {} 列附近有错误（{e}）",
            e.line(),
            e.column()
        ),
    )
}
