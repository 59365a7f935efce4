//! Replacing the generated part of a hand-written file, on its bytes (the
//! PowerBuilder and VB6 files are GBK), keeping its line endings.

/// A file's text encoding.
#[derive(Clone, Copy)]
pub enum Enc {
    Utf8,
    /// GBK: what VB6 and PowerBuilder 9 read on Chinese Windows.
    Gbk,
}

impl Enc {
    pub fn encode(self, path: &str, text: &str) -> Result<Vec<u8>, String> {
        match self {
            Enc::Utf8 => Ok(text.as_bytes().to_vec()),
            Enc::Gbk => {
                let (bytes, _, unmappable) = encoding_rs::GBK.encode(text);
                if unmappable {
                    return Err(format!(
                        "{path}: the generated text has a character GBK lacks"
                    ));
                }
                Ok(bytes.into_owned())
            }
        }
    }
}

/// The marker lines of a generated block named `name`, after the
/// language's comment start: `---- generated [name] by cargo run -p
/// ywx-gen: do not edit ----` ... `---- end generated [name] ----`.
pub fn begin_marker(name: &str) -> String {
    format!(
        "---- generated [{name}] by {}: do not edit ----",
        crate::COMMAND
    )
}

fn end_marker(name: &str) -> String {
    format!("---- end generated [{name}] ----")
}

/// A file as lines, each with its line ending.
fn lines(bytes: &[u8]) -> Vec<&[u8]> {
    bytes.split_inclusive(|b| *b == b'\n').collect()
}

fn contains(line: &[u8], what: &str) -> bool {
    line.windows(what.len()).any(|w| w == what.as_bytes())
}

fn eol(line: &[u8]) -> &'static str {
    if line.ends_with(b"\r\n") {
        "\r\n"
    } else {
        "\n"
    }
}

/// Replaces what lies between the block's marker lines with `body` (lines
/// without endings), in the file's encoding and line ending.
pub fn block(
    path: &str,
    bytes: &[u8],
    name: &str,
    body: &[String],
    enc: Enc,
) -> Result<Vec<u8>, String> {
    let lines = lines(bytes);
    let (begin, end) = (begin_marker(name), end_marker(name));
    let find = |marker: &str| {
        let at: Vec<usize> = (0..lines.len())
            .filter(|i| contains(lines[*i], marker))
            .collect();
        match at.as_slice() {
            [one] => Ok(*one),
            [] => Err(format!("{path}: no line with \"{marker}\"")),
            _ => Err(format!("{path}: \"{marker}\" is there {} times", at.len())),
        }
    };
    let (b, e) = (find(&begin)?, find(&end)?);
    if e <= b {
        return Err(format!("{path}: block [{name}] ends before it begins"));
    }
    replace(path, &lines, b + 1, e, body, enc)
}

/// Replaces the lines `from..to` with `body`.
pub fn replace(
    path: &str,
    lines: &[&[u8]],
    from: usize,
    to: usize,
    body: &[String],
    enc: Enc,
) -> Result<Vec<u8>, String> {
    let nl = eol(lines[from.saturating_sub(1)]);
    let mut text = String::new();
    for line in body {
        text.push_str(line);
        text.push_str(nl);
    }
    let mut out = lines[..from].concat();
    out.extend(enc.encode(path, &text)?);
    out.extend(lines[to..].concat());
    Ok(out)
}

/// Where a [`run`] of generated lines is.
pub struct Run<'a> {
    /// What they are, for messages.
    pub what: &'a str,
    /// A line that belongs to the run (the first and the last).
    pub generated: &'a dyn Fn(&str) -> bool,
    /// The line, at or after the last generated one, that ends the run.
    pub last: &'a dyn Fn(&str) -> bool,
    /// A line that must not stand inside the run (hand-written code).
    pub foreign: &'a dyn Fn(&str) -> bool,
}

/// Replaces the lines from the first `generated` one to the `last` line
/// after the last one, for the parts of a PowerBuilder object where no
/// comment line may stand to mark a block.
pub fn run(
    path: &str,
    bytes: &[u8],
    r: &Run,
    body: &[String],
    enc: Enc,
) -> Result<Vec<u8>, String> {
    let lines = lines(bytes);
    let text = |i: usize| String::from_utf8_lossy(lines[i]).trim_end().to_string();
    let picked: Vec<usize> = (0..lines.len())
        .filter(|i| (r.generated)(&text(*i)))
        .collect();
    let (Some(&first), Some(&last)) = (picked.first(), picked.last()) else {
        return Err(format!("{path}: no {} found", r.what));
    };
    let end = (last..lines.len())
        .find(|i| (r.last)(&text(*i)))
        .ok_or_else(|| format!("{path}: the last of the {} has no end", r.what))?;
    if let Some(i) = (first..=end).find(|i| (r.foreign)(&text(*i))) {
        return Err(format!(
            "{path}:{}: hand-written code among the generated {}: {}",
            i + 1,
            r.what,
            text(i)
        ));
    }
    replace(path, &lines, first, end + 1, body, enc)
}
