//! Small helpers for JSON values as the gateway and its callers write them.

use serde_json::Value;

/// Requests nested deeper than this are refused before they are parsed
/// further, so that no request can exhaust a small thread stack.
pub const MAX_DEPTH: usize = 32;

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

/// The value at a dotted path (`msg.body.urId`) in `root`.
pub fn at<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(root, |v, key| v.get(key))
}

/// The JSON object at a dotted path (`msg.head`) in `root`, to change it.
pub fn object_at_mut<'a>(
    root: &'a mut Value,
    path: &str,
) -> Option<&'a mut serde_json::Map<String, Value>> {
    path.split('.')
        .try_fold(root, |v, key| v.get_mut(key))?
        .as_object_mut()
}

/// Where the text first opens a bracket deeper than `max` (strings
/// skipped), or None. Used on every JSON text a caller gives before
/// serde_json parses it (recursively, up to 128 levels).
pub fn too_deep(text: &[u8], max: usize) -> Option<usize> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (i, &b) in text.iter().enumerate() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > max {
                    return Some(i + 1);
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_is_counted_outside_strings() {
        let deep = format!("{}{}", "[".repeat(33), "]".repeat(33));
        assert_eq!(too_deep(deep.as_bytes(), 32), Some(33));
        let ok = format!("{}{}", "[".repeat(32), "]".repeat(32));
        assert_eq!(too_deep(ok.as_bytes(), 32), None);
        let in_string = format!("{{\"a\":\"{}\\\"\"}}", "[".repeat(100));
        assert_eq!(too_deep(in_string.as_bytes(), 32), None);
    }
}
