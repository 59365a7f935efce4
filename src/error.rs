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

    /// Names the field the error is about (`error.field`).
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
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

/// The message for a JSON syntax error, with line and column, in Chinese
/// (never the parser's English, which implementers cannot read and which
/// would not be the same words from one serde_json version to the next).
pub fn invalid_json(what: &str, e: &serde_json::Error) -> Error {
    Error::new(
        &codes::INVALID_JSON,
        format!(
            "{what}不是合法的 JSON：第 {} 行第 {} 列附近{}",
            e.line(),
            e.column(),
            syntax_problem(e)
        ),
    )
}

/// What serde_json found wrong, said in Chinese. Its messages are matched
/// by their fixed beginnings (serde_json's `ErrorCode` texts).
fn syntax_problem(e: &serde_json::Error) -> &'static str {
    const PROBLEMS: &[(&str, &str)] = &[
        (
            "EOF while parsing",
            "内容不完整：在结束前缺少右括号、引号或值",
        ),
        ("expected `:`", "缺少冒号 :"),
        ("expected `,` or `}`", "缺少逗号 , 或右花括号 }"),
        ("expected `,` or `]`", "缺少逗号 , 或右方括号 ]"),
        (
            "expected value",
            "缺少值，或值的写法不对（字符串要用英文双引号括起来）",
        ),
        (
            "expected ident",
            "有无法识别的词（true、false、null 要小写，字符串要加英文双引号）",
        ),
        ("trailing comma", "最后一项后面多了逗号"),
        ("trailing characters", "JSON 结束后还有多余的内容"),
        ("key must be a string", "键名必须用英文双引号括起来"),
        (
            "invalid escape",
            "字符串里有无效的转义：\\ 后只能是 \" \\ / b f n r t u；Windows 路径请写成 C:\\\\his 或 C:/his",
        ),
        ("invalid unicode code point", "字符串里有无效的 \\u 转义"),
        ("lone leading surrogate", "字符串里有无效的 \\u 转义"),
        ("unexpected end of hex escape", "字符串里的 \\u 转义不完整"),
        (
            "control character",
            "字符串里有未转义的控制字符（换行、制表符等要写成 \\n、\\t）",
        ),
        ("invalid number", "数字的写法不对"),
        ("number out of range", "数字超出范围"),
        ("recursion limit exceeded", "嵌套层数太多"),
    ];
    let text = e.to_string();
    PROBLEMS
        .iter()
        .find(|(english, _)| text.starts_with(english))
        .map_or("有语法错误", |(_, chinese)| chinese)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_are_said_in_chinese() {
        for (text, words) in [
            ("{", "内容不完整"),
            ("{\"a\" 1}", "缺少冒号"),
            ("{\"a\":1 \"b\":2}", "缺少逗号"),
            ("[1 2]", "缺少逗号"),
            ("{\"a\":}", "缺少值"),
            ("{\"a\":nul}", "无法识别的词"),
            ("{\"a\":1,}", "多了逗号"),
            ("{} x", "多余的内容"),
            ("{'a':1}", "键名必须"),
            ("{\"a\":\"C:\\his\"}", "无效的转义"),
            ("{\"a\":\"\n\"}", "控制字符"),
            ("{\"a\":-}", "数字的写法"),
        ] {
            let e = serde_json::from_str::<serde_json::Value>(text).unwrap_err();
            let m = invalid_json("请求", &e).message;
            assert!(m.contains(words), "{text}: {m} ({e})");
            assert!(!m.contains("expected") && !m.contains("at line"), "{m}");
        }
    }
}
