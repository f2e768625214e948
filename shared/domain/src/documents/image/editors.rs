//! Traces of editing software in image metadata: a known editor named in free text, in
//! the EXIF `Software` entry, or in an XMP packet.

use super::ImageScan;
use crate::documents::bytes::{find, find_from};

/// (what to look for, lower case; the name to report).
const EDITORS: &[(&str, &str)] = &[
    ("photoshop", "Adobe Photoshop"),
    ("lightroom", "Adobe Lightroom"),
    ("gimp", "GIMP"),
    ("affinity photo", "Affinity Photo"),
    ("pixelmator", "Pixelmator"),
    ("paint.net", "Paint.NET"),
    ("paintshop", "Corel PaintShop"),
    ("paint shop pro", "Corel PaintShop"),
    ("canva", "Canva"),
    ("snapseed", "Snapseed"),
];

/// The first editor named in `text`, matched case-insensitively as a whole word (so
/// "canvas" does not name Canva).
pub(super) fn editor_named(text: &[u8]) -> Option<&'static str> {
    let lower: Vec<u8> = text.iter().map(u8::to_ascii_lowercase).collect();
    EDITORS.iter().find_map(|&(needle, name)| {
        let needle = needle.as_bytes();
        let mut from = 0;
        while let Some(i) = find_from(&lower, from, needle) {
            let before = i.checked_sub(1).and_then(|j| lower.get(j));
            let after = lower.get(i + needle.len());
            let boundary = |c: Option<&u8>| c.is_none_or(|c| !c.is_ascii_alphanumeric());
            if boundary(before) && boundary(after) {
                return Some(name);
            }
            from = i + 1;
        }
        None
    })
}

/// The `Software` (0x0131) entry of IFD0 in a TIFF structure (EXIF payload).
pub(super) fn exif_software(tiff: &[u8]) -> Option<&[u8]> {
    let little = match tiff.get(..2)? {
        b"II" => true,
        b"MM" => false,
        _ => return None,
    };
    let u16_at = |at: usize| -> Option<u16> {
        let s = tiff.get(at..at.checked_add(2)?)?;
        Some(if little { u16::from_le_bytes([s[0], s[1]]) } else { u16::from_be_bytes([s[0], s[1]]) })
    };
    let u32_at = |at: usize| -> Option<u32> {
        let s = tiff.get(at..at.checked_add(4)?)?;
        let a = [s[0], s[1], s[2], s[3]];
        Some(if little { u32::from_le_bytes(a) } else { u32::from_be_bytes(a) })
    };
    if u16_at(2)? != 42 {
        return None;
    }
    let ifd = usize::try_from(u32_at(4)?).ok()?;
    let count = usize::from(u16_at(ifd)?);
    for k in 0..count {
        // Entries past the end of the bytes end the walk (a hostile count).
        let entry = ifd.checked_add(2)?.checked_add(k.checked_mul(12)?)?;
        let tag = u16_at(entry)?;
        if tag != 0x0131 {
            continue;
        }
        let kind = u16_at(entry + 2)?;
        let len = usize::try_from(u32_at(entry + 4)?).ok()?;
        if kind != 2 {
            return None;
        }
        let value = if len <= 4 {
            tiff.get(entry + 8..entry + 8 + len)?
        } else {
            let offset = usize::try_from(u32_at(entry + 8)?).ok()?;
            tiff.get(offset..offset.checked_add(len)?)?
        };
        return Some(value);
    }
    None
}

/// Traces of editors in an XMP packet: `xmp:CreatorTool`, history `softwareAgent`s,
/// and the `photoshop:` namespace.
pub(super) fn xmp_traces(xmp: &[u8], scan: &mut ImageScan) {
    // Real packets hold a handful; a bound keeps a packet of repeated keys cheap.
    const MAX_VALUES: usize = 64;
    for key in [&b"CreatorTool"[..], b"softwareAgent"] {
        let mut from = 0;
        let mut seen = 0;
        while let Some(i) = find_from(xmp, from, key) {
            from = i + key.len();
            seen += 1;
            if seen > MAX_VALUES {
                break;
            }
            if let Some(editor) = xml_value(xmp, from).and_then(editor_named) {
                scan.found(format!("XMP {} names {editor}", String::from_utf8_lossy(key)));
            }
        }
    }
    if find(xmp, b"xmlns:photoshop").is_some() || find(xmp, b"<photoshop:").is_some() {
        scan.found("XMP carries the photoshop: namespace (Adobe Photoshop)".to_string());
    }
}

/// The value after an XML attribute name (`="…"`) or element name (`>…<`).
fn xml_value(xml: &[u8], mut i: usize) -> Option<&[u8]> {
    const MAX_VALUE: usize = 512;
    let skip_ws = |mut i: usize| {
        while xml.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        i
    };
    i = skip_ws(i);
    let (start, end_byte) = match *xml.get(i)? {
        b'=' => {
            let q = skip_ws(i + 1);
            let quote = *xml.get(q)?;
            if quote != b'"' && quote != b'\'' {
                return None;
            }
            (q + 1, quote)
        }
        b'>' => (i + 1, b'<'),
        _ => return None,
    };
    let rest = xml.get(start..)?;
    let rest = &rest[..rest.len().min(MAX_VALUE)];
    let len = rest.iter().position(|&c| c == end_byte).unwrap_or(rest.len());
    Some(&rest[..len])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_editor_name_is_part_of_a_longer_word_should_not_count() {
        assert_eq!(editor_named(b"Skia canvas renderer"), None);
        assert_eq!(editor_named(b"Canva"), Some("Canva"));
        assert_eq!(editor_named(b"Adobe PHOTOSHOP 25.0 (Windows)"), Some("Adobe Photoshop"));
        assert_eq!(editor_named(b"GIMP 2.10.34"), Some("GIMP"));
        assert_eq!(editor_named(b"paint.net 5.0.13"), Some("Paint.NET"));
        assert_eq!(editor_named(b"Google"), None);
    }
}
