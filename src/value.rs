//! Small helpers for JSON values as the gateway and its callers write them.

use serde_json::Value;

/// A value as text: strings as they are, numbers and booleans printed
/// (the document's examples send numbers as strings and back).
pub fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A value as JSON text, written straight into a string (`to_string`
/// goes through the formatting machinery, several times slower).
pub fn to_json(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// Absent in effect: null or a blank string.
pub fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        _ => false,
    }
}
