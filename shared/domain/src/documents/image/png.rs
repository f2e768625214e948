//! PNG: the IHDR header for the pixel size, and the text and eXIf chunks for editors;
//! also the CRC-32 its chunks carry.

use super::ImageScan;
use super::editors::{editor_named, exif_software, xmp_traces};
use crate::documents::bytes::be32;

const SIGNATURE_LEN: usize = 8;
const XMP_KEYWORD: &[u8] = b"XML:com.adobe.xmp";

/// Reads IHDR (which must come first) and walks the chunks up to IEND.
pub(in crate::documents) fn scan(b: &[u8]) -> ImageScan {
    let mut scan = ImageScan::new();
    scan.dimensions = header(b);
    let mut i = SIGNATURE_LEN;
    let chunk_header = |i: usize| Some((be32(b, i)?, b.get(i.checked_add(4)?..i.checked_add(8)?)?));
    while let Some((len, kind)) = chunk_header(i) {
        // The spec caps a chunk at 2^31 - 1 bytes; anything bigger is hostile.
        if len > 0x7FFF_FFFF {
            break;
        }
        let Ok(len) = usize::try_from(len) else { break };
        let start = i.saturating_add(8);
        let end = start.saturating_add(len);
        let data = &b[start.min(b.len())..end.min(b.len())];
        match kind {
            b"tEXt" => text(data, &mut scan),
            b"zTXt" => compressed_text(data, &mut scan),
            b"iTXt" => international_text(data, &mut scan),
            b"eXIf" => {
                if let Some(editor) = exif_software(data).and_then(editor_named) {
                    scan.found(format!("PNG eXIf Software names {editor}"));
                }
            }
            b"IEND" => break,
            _ => {}
        }
        // Advances by at least 12 bytes; saturates (and then ends) on a huge length.
        if end >= b.len() {
            break;
        }
        i = end + 4;
    }
    scan
}

fn header(b: &[u8]) -> Result<(u32, u32), &'static str> {
    let (Some(len), Some(kind)) = (be32(b, SIGNATURE_LEN), b.get(12..16)) else {
        return Err("truncated");
    };
    if kind != b"IHDR" || len != 13 {
        return Err("IHDR is not the first chunk");
    }
    let (Some(body), Some(crc)) = (b.get(12..29), be32(b, 29)) else {
        return Err("truncated");
    };
    if crc32(body) != crc {
        return Err("IHDR checksum mismatch");
    }
    let (Some(width), Some(height)) = (be32(b, 16), be32(b, 20)) else {
        return Err("truncated");
    };
    if width == 0 || height == 0 || width > 0x7FFF_FFFF || height > 0x7FFF_FFFF {
        return Err("width or height out of range");
    }
    Ok((width, height))
}

/// `keyword NUL rest`.
fn split_keyword(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let nul = data.iter().position(|&c| c == 0)?;
    Some((&data[..nul], &data[nul + 1..]))
}

fn names_software(keyword: &[u8]) -> bool {
    keyword.eq_ignore_ascii_case(b"Software") || keyword.eq_ignore_ascii_case(b"Comment")
}

fn text(data: &[u8], scan: &mut ImageScan) {
    let Some((keyword, value)) = split_keyword(data) else { return };
    if names_software(keyword) {
        if let Some(editor) = editor_named(value) {
            scan.found(format!("PNG {} names {editor}", String::from_utf8_lossy(keyword)));
        }
    } else if keyword == XMP_KEYWORD {
        xmp_traces(value, scan);
    }
}

fn compressed_text(data: &[u8], scan: &mut ImageScan) {
    if let Some((keyword, _)) = split_keyword(data)
        && (names_software(keyword) || keyword == XMP_KEYWORD)
    {
        scan.unread = true;
    }
}

/// `keyword NUL flag method language NUL translated NUL text`.
fn international_text(data: &[u8], scan: &mut ImageScan) {
    let Some((keyword, rest)) = split_keyword(data) else { return };
    if !names_software(keyword) && keyword != XMP_KEYWORD {
        return;
    }
    let (Some(&compressed), Some(rest)) = (rest.first(), rest.get(2..)) else { return };
    if compressed != 0 {
        scan.unread = true;
        return;
    }
    let Some((_language, rest)) = split_keyword(rest) else { return };
    let Some((_translated, value)) = split_keyword(rest) else { return };
    if keyword == XMP_KEYWORD {
        xmp_traces(value, scan);
    } else if let Some(editor) = editor_named(value) {
        scan.found(format!("PNG {} names {editor}", String::from_utf8_lossy(keyword)));
    }
}

/// CRC-32 (ISO-HDLC), as PNG chunks carry it.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_reference_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
    }

    #[test]
    fn when_png_chunk_length_is_huge_should_stop_walking() {
        let mut png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
        png.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0xF0]);
        png.extend_from_slice(b"tEXt");
        let scan = scan(&png);
        assert!(scan.dimensions.is_err());
        assert!(scan.editors.is_empty());
    }
}
