//! The checks of single text values: lengths, enumerations, numbers, dates,
//! template ids.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use super::{Check, shown};
use crate::digest::Alg;
use crate::error::{Error, Result};

/// Checks `s`, the text of `field`, against one of the text checks.
pub fn check(field: &str, check: &Check, s: &str) -> Result<()> {
    match check {
        Check::Text => Ok(()),
        Check::Alnum(max) => alnum(field, *max, s),
        Check::MaxChars(max) => max_chars(field, *max, s),
        Check::OneOf(allowed) => one_of(field, allowed, s),
        Check::Range(lo, hi) => range(field, *lo, *hi, s),
        Check::Bool => match s {
            "true" | "false" => Ok(()),
            _ => Err(Error::arg(field, "只能是 true 或 false")),
        },
        Check::DateTime => date_time(field, s),
        Check::Subject(max) => subject(field, *max, s),
        Check::Tags => tags(field, s),
        Check::HashAlg => match Alg::parse(s) {
            Some(_) => Ok(()),
            None => Err(Error::arg(
                field,
                format!("只能是 SHA1、SHA256 或 SM3（{}）", shown(field, s)),
            )),
        },
        Check::Base64 => match B64.decode(s.trim()) {
            Ok(_) => Ok(()),
            Err(_) => Err(Error::arg(field, "必须是合法的 base64 编码")),
        },
        Check::Template { exact, prefixes } => template(field, exact, prefixes, s),
        Check::Pdf | Check::Roles | Check::AnyOf(_) => {
            unreachable!("checked by rules::check")
        }
    }
}

/// urId: 1..=max ASCII letters or digits.
fn alnum(field: &str, max: usize, s: &str) -> Result<()> {
    let n = s.chars().count();
    if n > 0 && n <= max && s.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Ok(());
    }
    let mut why = format!("必须是1-{max}位字母或数字（{}", shown(field, s));
    if let Some(c) = s.chars().find(|c| !c.is_ascii_alphanumeric()) {
        why.push_str(&format!("，含有 '{}'", c.escape_debug()));
    }
    why.push('）');
    if s.contains('-') {
        why.push_str(
            "。若用 GUID 作流水号，请去掉连字符：.NET 用 Guid.ToString(\"N\")，Delphi 用 StringReplace 去掉 '-' 和花括号，得到 32 位字母数字",
        );
    }
    Err(Error::arg(field, why))
}

fn max_chars(field: &str, max: usize, s: &str) -> Result<()> {
    let n = s.chars().count();
    if n <= max {
        Ok(())
    } else {
        Err(Error::arg(
            field,
            format!("最多 {max} 个字符（现在 {n} 个）"),
        ))
    }
}

fn one_of(field: &str, allowed: &[&str], s: &str) -> Result<()> {
    if allowed.contains(&s.trim()) {
        return Ok(());
    }
    Err(Error::arg(
        field,
        format!("只能是 {}（{}）", allowed.join("、"), shown(field, s)),
    ))
}

fn range(field: &str, lo: i64, hi: i64, s: &str) -> Result<()> {
    match s.trim().parse::<i64>() {
        Ok(n) if (lo..=hi).contains(&n) => Ok(()),
        _ => Err(Error::arg(
            field,
            format!("必须是 {lo} 到 {hi} 之间的整数（{}）", shown(field, s)),
        )),
    }
}

fn date_time(field: &str, s: &str) -> Result<()> {
    if s.len() == 19 && chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").is_ok() {
        return Ok(());
    }
    Err(Error::arg(
        field,
        format!(
            "格式必须是 yyyy-MM-dd HH:mm:ss，例如 2020-01-01 08:30:00（{}）",
            shown(field, s)
        ),
    ))
}

/// `subject`/`viewSubject`: Chinese, letters, digits and punctuation.
fn subject(field: &str, max: usize, s: &str) -> Result<()> {
    max_chars(field, max, s)?;
    match s.chars().find(|c| !subject_char(*c)) {
        None => Ok(()),
        Some(c) => Err(Error::arg(
            field,
            format!(
                "只能含中文、字母、数字和标点符号，不能含 \"{}\"",
                c.escape_debug()
            ),
        )),
    }
}

fn subject_char(c: char) -> bool {
    c.is_alphanumeric() || c.is_ascii_punctuation() || c == ' ' || is_cjk_punctuation(c)
}

fn is_cjk_punctuation(c: char) -> bool {
    matches!(c,
        '\u{3000}'..='\u{303F}' // CJK symbols and punctuation: 、。〈〉《》「」【】
        | '\u{FF00}'..='\u{FFEF}' // full-width forms: ，：；（）！？
        | '\u{2010}'..='\u{2027}' // dashes, quotes, ellipsis
        | '\u{00B7}')
}

/// `tag`: at most 5 comma-separated tags of at most 5 characters.
fn tags(field: &str, s: &str) -> Result<()> {
    let tags: Vec<&str> = s.split([',', '，']).collect();
    if tags.len() > 5 {
        return Err(Error::arg(
            field,
            format!("最多 5 个标签，用英文逗号分隔（现在 {} 个）", tags.len()),
        ));
    }
    match tags
        .iter()
        .position(|t| t.is_empty() || t.chars().count() > 5)
    {
        None => Ok(()),
        Some(i) => Err(Error::arg(
            field,
            format!(
                "每个标签 1-5 个字符（第 {} 个标签有 {} 个字符），多个标签用英文逗号分隔",
                i + 1,
                tags[i].chars().count()
            ),
        )),
    }
}

fn template(field: &str, exact: &[&str], prefixes: &[&str], s: &str) -> Result<()> {
    let ok = exact.contains(&s)
        || prefixes.iter().any(|p| {
            s.strip_prefix(p).is_some_and(|rest| {
                !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric())
            })
        });
    if ok {
        return Ok(());
    }
    let mut names: Vec<String> = exact.iter().map(|s| s.to_string()).collect();
    names.extend(prefixes.iter().map(|p| format!("{p}NNN")));
    Err(Error::arg(
        field,
        format!("只能是 {}（{}）", names.join("、"), shown(field, s)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_guid_gets_the_way_to_make_it_fit() {
        let e = alnum("body.urId", 64, "6F9619FF-8B86-D011-B42D-00C04FC964FF").unwrap_err();
        assert!(e.message.contains("ToString(\"N\")"), "{}", e.message);
        assert!(!e.message.contains("6F9619FF"), "{}", e.message);
    }

    #[test]
    fn patient_values_are_never_quoted() {
        let e = one_of("body.patientSex", &["男", "女", "未知"], "欧阳娜娜").unwrap_err();
        assert!(!e.message.contains("欧阳娜娜"), "{}", e.message);
        assert!(e.message.contains("4 个字符"), "{}", e.message);
        let e = one_of("body.patientCardType", &["YB", "SF"], "ID").unwrap_err();
        assert!(!e.message.contains("\"ID\""), "{}", e.message);
        // A short non-patient value is shown, a long one is not.
        let e = range("body.pageSize", 1, 1000, "abc").unwrap_err();
        assert!(e.message.contains("\"abc\""), "{}", e.message);
        let e = date_time("body.recipeTime", "110101199003070000").unwrap_err();
        assert!(!e.message.contains("1101011990"), "{}", e.message);
    }
}
