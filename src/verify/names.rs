//! Distinguished names as text: attribute short names and string values
//! (UTF8String, PrintableString, BMPString, ...).

use super::der::Tlv;

/// The short name of an attribute type (`2.5.4.3` → `CN`), else the OID.
pub fn short(oid: &str) -> &str {
    match oid {
        "2.5.4.3" => "CN",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "STREET",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.12" => "T",
        "2.5.4.4" => "SN",
        "2.5.4.42" => "GN",
        "2.5.4.5" => "SERIALNUMBER",
        "1.2.840.113549.1.9.1" => "E",
        "0.9.2342.19200300.100.1.25" => "DC",
        "0.9.2342.19200300.100.1.1" => "UID",
        other => other,
    }
}

/// A directory string's text; commas and equals signs escaped as RFC 4514 does.
pub fn value_text(tlv: &Tlv) -> String {
    let v = tlv.value;
    let text = match tlv.tag {
        // UTF8String, PrintableString, IA5String, NumericString, VisibleString
        0x0C | 0x13 | 0x16 | 0x12 | 0x1A => String::from_utf8_lossy(v).into_owned(),
        // TeletexString: Latin-1 in practice
        0x14 => v.iter().map(|b| char::from(*b)).collect(),
        // BMPString: UTF-16BE
        0x1E => {
            let units: Vec<u16> = v
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        // UniversalString: UTF-32BE
        0x1C => v
            .chunks(4)
            .filter_map(|c| {
                (c.len() == 4)
                    .then(|| char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
                    .flatten()
            })
            .collect(),
        _ => format!("#{}", super::cert::hex(tlv.raw)),
    };
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
