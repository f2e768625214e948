//! Checks on an uploaded file's bytes: its size, its real type by signature, the pixel
//! size of an image, traces of editing software in image metadata, and PDF features a
//! reviewer's viewer must never run, also inside FlateDecode streams (inflated within
//! fixed caps, so a zip bomb costs bounded memory and time).
//!
//! The scorer reads at most `max_bytes + 1` bytes, so every parser here works on a
//! prefix that may end anywhere: lengths read from the file are never trusted, every
//! read is bounds-checked, and every loop advances.

use crate::documents::{Check, ContentType};

pub const CHECK_FILE_SIZE: &str = "file_size";
pub const CHECK_FILE_TYPE: &str = "file_type";
pub const CHECK_IMAGE_DIMENSIONS: &str = "image_dimensions";
pub const CHECK_EDITING_SOFTWARE: &str = "editing_software";
pub const CHECK_PDF_SAFETY: &str = "pdf_safety";

/// CRC-32 as PNG chunks carry it (also for building PNG fixtures).
pub use png::crc32;

/// How big a file may be and how small an image may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileLimits {
    pub max_bytes: u64,
    /// The minimum of the longer side (landscape width).
    pub min_width: u32,
    /// The minimum of the shorter side (landscape height).
    pub min_height: u32,
}

impl Default for FileLimits {
    fn default() -> Self {
        FileLimits { max_bytes: 10 * 1024 * 1024, min_width: 600, min_height: 400 }
    }
}

/// Checks an uploaded file. `bytes` are the first bytes of the object (at most
/// `max_bytes + 1`), `total_size` the object's size as storage reports it.
///
/// Always returns `file_size` and `file_type`; when the type matches the declared one,
/// also `image_dimensions` and `editing_software` (JPEG, PNG) or `pdf_safety` (PDF).
pub fn inspect(declared: ContentType, bytes: &[u8], total_size: u64, limits: &FileLimits) -> Vec<Check> {
    let mut checks = vec![size_check(total_size, limits)];
    let detected = detect(bytes);
    let matches = match declared {
        ContentType::Jpeg => detected == Format::Jpeg,
        ContentType::Png => detected == Format::Png,
        ContentType::Pdf => detected == Format::Pdf,
    };
    if !matches {
        let what = match detected {
            Format::Empty => "the file is empty".to_string(),
            Format::Unknown => "the file's signature is not recognised".to_string(),
            other => format!("the file is {}", other.describe()),
        };
        checks.push(Check::fail(CHECK_FILE_TYPE, format!("declared {} but {what}", declared.as_str())));
        return checks;
    }
    checks.push(Check::pass(CHECK_FILE_TYPE, format!("signature matches {}", declared.as_str())));
    match declared {
        ContentType::Jpeg => image_checks(jpeg::scan(bytes), limits, &mut checks),
        ContentType::Png => image_checks(png::scan(bytes), limits, &mut checks),
        ContentType::Pdf => checks.push(pdf::safety(bytes)),
    }
    checks
}

fn size_check(total_size: u64, limits: &FileLimits) -> Check {
    if total_size == 0 {
        Check::fail(CHECK_FILE_SIZE, "empty file")
    } else if total_size > limits.max_bytes {
        Check::fail(CHECK_FILE_SIZE, format!("{total_size} bytes is over the limit of {} bytes", limits.max_bytes))
    } else {
        Check::pass(CHECK_FILE_SIZE, format!("{total_size} bytes"))
    }
}

/// What a header parser learnt about an image.
struct ImageScan {
    /// Width and height, or why they could not be read.
    dimensions: Result<(u32, u32), &'static str>,
    /// One line per trace of an editor, e.g. "EXIF Software names GIMP".
    editors: Vec<String>,
    /// Metadata that might name an editor but could not be read (compressed text).
    unread: bool,
}

impl ImageScan {
    fn new() -> Self {
        ImageScan { dimensions: Err("no frame header found"), editors: Vec::new(), unread: false }
    }

    fn found(&mut self, trace: String) {
        if !self.editors.contains(&trace) {
            self.editors.push(trace);
        }
    }
}

fn image_checks(scan: ImageScan, limits: &FileLimits, checks: &mut Vec<Check>) {
    checks.push(match scan.dimensions {
        Ok((w, h)) => {
            // A document photographed in portrait is as good as one in landscape.
            let (long, short) = (w.max(h), w.min(h));
            let (min_long, min_short) =
                (limits.min_width.max(limits.min_height), limits.min_width.min(limits.min_height));
            if long >= min_long && short >= min_short {
                Check::pass(CHECK_IMAGE_DIMENSIONS, format!("{w}×{h} px"))
            } else {
                Check::fail(
                    CHECK_IMAGE_DIMENSIONS,
                    format!("{w}×{h} px is below the minimum of {min_long}×{min_short} px"),
                )
            }
        }
        Err(why) => Check::fail(CHECK_IMAGE_DIMENSIONS, format!("unreadable image header ({why})")),
    });
    checks.push(if scan.editors.is_empty() {
        let detail = if scan.unread {
            "no editing software named in the readable metadata (compressed text chunks not inspected)"
        } else {
            "no editing software named in the metadata"
        };
        Check::pass(CHECK_EDITING_SOFTWARE, detail)
    } else {
        Check::warn(CHECK_EDITING_SOFTWARE, scan.editors.join("; "))
    });
}

// ---------------------------------------------------------------------------------
// Signatures

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Empty,
    Jpeg,
    Png,
    Pdf,
    Gif,
    Webp,
    Riff,
    Bmp,
    Tiff,
    Heif,
    Avif,
    IsoMedia,
    Zip,
    Gzip,
    SevenZip,
    Rar,
    Ole,
    Pe,
    Elf,
    MachO,
    FatBinary,
    Script,
    Html,
    Xml,
    Rtf,
    Unknown,
}

impl Format {
    fn describe(self) -> &'static str {
        match self {
            Format::Empty => "empty",
            Format::Jpeg => "a JPEG image",
            Format::Png => "a PNG image",
            Format::Pdf => "a PDF document",
            Format::Gif => "a GIF image",
            Format::Webp => "a WebP image",
            Format::Riff => "a RIFF media file (WAV/AVI)",
            Format::Bmp => "a BMP image",
            Format::Tiff => "a TIFF image",
            Format::Heif => "a HEIC/HEIF image",
            Format::Avif => "an AVIF image",
            Format::IsoMedia => "an ISO media file (MP4/MOV)",
            Format::Zip => "a ZIP archive (or an Office document)",
            Format::Gzip => "a gzip archive",
            Format::SevenZip => "a 7-Zip archive",
            Format::Rar => "a RAR archive",
            Format::Ole => "an OLE compound file (legacy Office document)",
            Format::Pe => "a Windows executable (MZ)",
            Format::Elf => "a Linux executable (ELF)",
            Format::MachO => "a macOS executable (Mach-O)",
            Format::FatBinary => "a Mach-O universal binary or Java class",
            Format::Script => "a script (#!)",
            Format::Html => "an HTML document",
            Format::Xml => "an XML or SVG document",
            Format::Rtf => "an RTF document",
            Format::Unknown => "of an unrecognised type",
        }
    }
}

/// PDF readers accept the header anywhere in the first KiB.
const PDF_HEADER_WINDOW: usize = 1024;

fn detect(b: &[u8]) -> Format {
    if b.is_empty() {
        return Format::Empty;
    }
    let starts = |sig: &[u8]| b.starts_with(sig);
    let at = |offset: usize, sig: &[u8]| b.get(offset..offset + sig.len()) == Some(sig);
    let format = if starts(&[0xFF, 0xD8, 0xFF]) {
        Format::Jpeg
    } else if starts(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Format::Png
    } else if starts(b"%PDF-") {
        Format::Pdf
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        Format::Gif
    } else if starts(b"RIFF") && at(8, b"WEBP") {
        Format::Webp
    } else if starts(b"RIFF") {
        Format::Riff
    } else if starts(b"II*\0") || starts(b"MM\0*") {
        Format::Tiff
    } else if at(4, b"ftyp") {
        match b.get(8..12) {
            Some(b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" | b"mif1" | b"msf1") => Format::Heif,
            Some(b"avif" | b"avis") => Format::Avif,
            _ => Format::IsoMedia,
        }
    } else if starts(b"PK\x03\x04") || starts(b"PK\x05\x06") || starts(b"PK\x07\x08") {
        Format::Zip
    } else if starts(&[0x1F, 0x8B]) {
        Format::Gzip
    } else if starts(&[b'7', b'z', 0xBC, 0xAF, 0x27, 0x1C]) {
        Format::SevenZip
    } else if starts(b"Rar!\x1A\x07") {
        Format::Rar
    } else if starts(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        Format::Ole
    } else if starts(b"MZ") {
        Format::Pe
    } else if starts(b"\x7FELF") {
        Format::Elf
    } else if starts(&[0xFE, 0xED, 0xFA, 0xCE])
        || starts(&[0xFE, 0xED, 0xFA, 0xCF])
        || starts(&[0xCE, 0xFA, 0xED, 0xFE])
        || starts(&[0xCF, 0xFA, 0xED, 0xFE])
    {
        Format::MachO
    } else if starts(&[0xCA, 0xFE, 0xBA, 0xBE]) {
        Format::FatBinary
    } else if starts(b"BM") {
        Format::Bmp
    } else if starts(b"{\\rtf") {
        Format::Rtf
    } else if starts(b"#!") {
        Format::Script
    } else {
        Format::Unknown
    };
    if format != Format::Unknown {
        // A file that starts as something else is not a PDF, even if a PDF header
        // follows (a polyglot).
        return format;
    }
    let window = &b[..b.len().min(PDF_HEADER_WINDOW)];
    if find(window, b"%PDF-").is_some() {
        return Format::Pdf;
    }
    sniff_text(window)
}

/// Markup that a browser would render: HTML, SVG, XML.
fn sniff_text(window: &[u8]) -> Format {
    let text = window.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(window);
    let start = text.iter().position(|c| !c.is_ascii_whitespace()).unwrap_or(text.len());
    let head: Vec<u8> = text[start..].iter().take(64).map(u8::to_ascii_lowercase).collect();
    if head.starts_with(b"<!doctype html") || head.starts_with(b"<html") || head.starts_with(b"<script") {
        Format::Html
    } else if head.starts_with(b"<?xml") || head.starts_with(b"<svg") {
        Format::Xml
    } else {
        Format::Unknown
    }
}

// ---------------------------------------------------------------------------------
// Byte helpers: bounds-checked reads that return `None` past the end.

fn be16(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([s[0], s[1]]))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn find_from(haystack: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    find(haystack.get(from..)?, needle).map(|i| i + from)
}

// ---------------------------------------------------------------------------------
// Editing software

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
fn editor_named(text: &[u8]) -> Option<&'static str> {
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
fn exif_software(tiff: &[u8]) -> Option<&[u8]> {
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
fn xmp_traces(xmp: &[u8], scan: &mut ImageScan) {
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

// ---------------------------------------------------------------------------------
// JPEG

mod jpeg {
    use super::*;

    const EXIF: &[u8] = b"Exif\0\0";
    const XMP: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";
    const XMP_EXTENSION: &[u8] = b"http://ns.adobe.com/xmp/extension/\0";
    const PHOTOSHOP_IRB: &[u8] = b"Photoshop 3.0\0";

    /// Walks the marker segments from SOI up to SOS (or the end of the bytes).
    pub(super) fn scan(b: &[u8]) -> ImageScan {
        let mut scan = ImageScan::new();
        let mut dimensions_seen = false;
        let mut i = 2;
        loop {
            // Like libjpeg, skip stray bytes before a marker, then its fill bytes.
            while b.get(i).is_some_and(|&c| c != 0xFF) {
                i += 1;
            }
            while b.get(i) == Some(&0xFF) {
                i += 1;
            }
            let Some(&marker) = b.get(i) else { break };
            i += 1;
            match marker {
                0xD9 => break,                         // EOI
                0x01 | 0xD0..=0xD8 | 0x00 => continue, // standalone markers
                _ => {}
            }
            let Some(len) = be16(b, i) else { break };
            let len = usize::from(len);
            if len < 2 {
                if !dimensions_seen {
                    scan.dimensions = Err("corrupt segment length");
                }
                break;
            }
            let end = i + len;
            let segment = &b[(i + 2).min(b.len())..end.min(b.len())];
            match marker {
                0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF if !dimensions_seen => {
                    dimensions_seen = true;
                    scan.dimensions = frame_size(segment);
                }
                0xE1 => app1(segment, &mut scan),
                0xED if segment.starts_with(PHOTOSHOP_IRB) => {
                    scan.found("APP13 holds Photoshop image resources".to_string());
                }
                0xFE => {
                    if let Some(editor) = editor_named(segment) {
                        scan.found(format!("JPEG comment names {editor}"));
                    }
                }
                0xDA => break, // SOS: entropy-coded data follows
                _ => {}
            }
            i = end;
        }
        scan
    }

    /// SOFn: precision, height, width, components.
    fn frame_size(segment: &[u8]) -> Result<(u32, u32), &'static str> {
        let (Some(height), Some(width)) = (be16(segment, 1), be16(segment, 3)) else {
            return Err("truncated frame header");
        };
        if width == 0 || height == 0 {
            return Err("zero width or height in the frame header");
        }
        Ok((u32::from(width), u32::from(height)))
    }

    fn app1(segment: &[u8], scan: &mut ImageScan) {
        if let Some(tiff) = segment.strip_prefix(EXIF) {
            if let Some(editor) = exif_software(tiff).and_then(editor_named) {
                scan.found(format!("EXIF Software names {editor}"));
            }
        } else if let Some(xmp) = segment.strip_prefix(XMP).or_else(|| segment.strip_prefix(XMP_EXTENSION)) {
            xmp_traces(xmp, scan);
        }
    }
}

// ---------------------------------------------------------------------------------
// PNG

mod png {
    use super::*;

    const SIGNATURE_LEN: usize = 8;
    const XMP_KEYWORD: &[u8] = b"XML:com.adobe.xmp";

    /// Reads IHDR (which must come first) and walks the chunks up to IEND.
    pub(super) fn scan(b: &[u8]) -> ImageScan {
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
}

// ---------------------------------------------------------------------------------
// PDF

mod pdf {
    use super::*;
    use miniz_oxide::inflate::{TINFLStatus, decompress_to_vec_zlib_with_limit};

    /// Where a dangerous name was seen.
    #[derive(Clone, Copy)]
    enum Place {
        /// In the file's own bytes.
        Plain,
        /// In the inflated content of a stream that can hold objects (`/Type /ObjStm`,
        /// or `/First` and `/N`).
        ObjectStream,
        /// In the inflated content of any other stream.
        CompressedStream,
    }

    #[derive(Default, Clone, Copy)]
    struct Seen {
        plain: bool,
        object_stream: bool,
        compressed_stream: bool,
    }

    impl Seen {
        fn mark(&mut self, place: Place) {
            match place {
                Place::Plain => self.plain = true,
                Place::ObjectStream => self.object_stream = true,
                Place::CompressedStream => self.compressed_stream = true,
            }
        }

        fn any(self) -> bool {
            self.plain || self.object_stream || self.compressed_stream
        }

        /// `what`, and where it was seen when that was inside compressed content.
        fn describe(self, what: &str) -> String {
            let hidden = match (self.object_stream, self.compressed_stream) {
                (false, false) => return what.to_string(),
                (true, false) => "inside a compressed object stream",
                (false, true) => "inside a compressed stream",
                (true, true) => "inside compressed streams",
            };
            if self.plain { format!("{what}, also {hidden}") } else { format!("{what} {hidden}") }
        }
    }

    /// What a PDF carries that a reviewer's viewer might act on.
    #[derive(Default)]
    struct Findings {
        encrypted: bool,
        javascript: Seen,
        launch: Seen,
        embedded_files: Seen,
        runs_on_open: bool,
        /// Compressed content beyond what may be inflated.
        too_large: bool,
        /// Streams declared `FlateDecode` (or with decode parameters) that could not be
        /// decoded in full.
        undecodable: usize,
    }

    const MAX_LOOKUPS: usize = 8;

    /// Inflated bytes one stream may yield, and one file in all. Real object and content
    /// streams are far smaller; a zip bomb stops here instead of exhausting memory and time.
    const MAX_INFLATED_PER_STREAM: usize = 4 * 1024 * 1024;
    const MAX_INFLATED_PER_FILE: usize = 32 * 1024 * 1024;
    /// `/Filter [/FlateDecode /FlateDecode …]`: longer chains are not decoded.
    const MAX_FLATE_CHAIN: usize = 4;

    pub(super) fn safety(b: &[u8]) -> Check {
        let streams = stream_bodies(b);
        let mut findings = Findings::default();
        let open_actions = scan_names(b, &streams, Place::Plain, &mut findings);
        if findings.javascript.any() {
            // Bounded, so a file of repeated `/OpenAction`s cannot make this quadratic.
            findings.runs_on_open = open_actions.iter().take(MAX_LOOKUPS).any(|&at| open_action_runs_script(b, b, at));
        }
        // An encrypted file's streams are ciphertext: inflating them would only fail.
        if !findings.encrypted {
            inspect_compressed(b, &streams, &mut findings);
        }

        let mut failures = Vec::new();
        if findings.encrypted {
            failures.push("the PDF is encrypted and cannot be inspected".to_string());
        }
        if findings.javascript.any() {
            let what = if findings.runs_on_open {
                "the PDF runs JavaScript when opened"
            } else {
                "the PDF carries JavaScript"
            };
            failures.push(findings.javascript.describe(what));
        }
        if findings.launch.any() {
            failures.push(findings.launch.describe("the PDF has a launch action"));
        }
        // Fail rather than warn: whatever lies past the cap was never looked at, and an
        // identity document has no reason to hold that much compressed content, so a
        // warning would let the one file built to hide a script past the cap through.
        if findings.too_large {
            failures.push("the PDF has compressed content too large to inspect".to_string());
        }
        let mut warnings = Vec::new();
        if findings.embedded_files.any() {
            warnings.push(findings.embedded_files.describe("the PDF carries embedded files"));
        }
        match findings.undecodable {
            0 => {}
            1 => warnings.push("the PDF has a compressed stream that could not be decoded".to_string()),
            n => warnings.push(format!("the PDF has {n} compressed streams that could not be decoded")),
        }
        if !failures.is_empty() {
            failures.extend(warnings);
            Check::fail(CHECK_PDF_SAFETY, failures.join("; "))
        } else if !warnings.is_empty() {
            Check::warn(CHECK_PDF_SAFETY, warnings.join("; "))
        } else {
            Check::pass(CHECK_PDF_SAFETY, "no encryption, JavaScript, launch actions or embedded files found")
        }
    }

    /// Notes the dangerous names in `b` and returns where each `/OpenAction`'s value
    /// starts. `streams` are `b`'s stream bodies (none in inflated content).
    fn scan_names(b: &[u8], streams: &[Stream], place: Place, findings: &mut Findings) -> Vec<usize> {
        let mut open_actions = Vec::new();
        let mut next_stream = 0;
        let mut i = 0;
        while let Some(slash) = b.get(i..).and_then(|rest| rest.iter().position(|&c| c == b'/')) {
            let start = i + slash;
            let (name, end) = read_name(b, start + 1);
            while streams.get(next_stream).is_some_and(|s| s.end <= start) {
                next_stream += 1;
            }
            let in_stream = streams.get(next_stream).is_some_and(|s| s.body <= start && start < s.end);
            let js_is_a_key = match place {
                // Two letters can occur by chance in compressed data; outside streams
                // they are a key.
                Place::Plain => !in_stream,
                // Inflated content is PDF syntax (or plain data), so there `/JS` is
                // meaningful, but only as a whole token: followed by whitespace or a
                // delimiter, as a key before its value always is.
                Place::ObjectStream | Place::CompressedStream => {
                    b.get(end).is_some_and(|&c| is_whitespace(c) || is_delimiter(c))
                }
            };
            match name.as_slice() {
                b"JavaScript" => findings.javascript.mark(place),
                b"JS" if js_is_a_key => findings.javascript.mark(place),
                b"Launch" => findings.launch.mark(place),
                b"Encrypt" => findings.encrypted = true,
                b"EmbeddedFile" | b"EmbeddedFiles" => findings.embedded_files.mark(place),
                b"OpenAction" => open_actions.push(end),
                _ => {}
            }
            i = end.max(start + 1);
        }
        open_actions
    }

    fn is_whitespace(c: u8) -> bool {
        matches!(c, 0 | b'\t' | b'\n' | 0x0C | b'\r' | b' ')
    }

    fn is_delimiter(c: u8) -> bool {
        matches!(c, b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%')
    }

    /// A name's bytes from just after its `/`, with `#xx` escapes decoded, and the
    /// index just past it.
    pub(super) fn read_name(b: &[u8], mut i: usize) -> (Vec<u8>, usize) {
        // Longer names are consumed but not kept: none that matters is this long.
        const KEEP: usize = 32;
        let mut name = Vec::new();
        while let Some(&c) = b.get(i) {
            if is_whitespace(c) || is_delimiter(c) {
                break;
            }
            let escaped = (c == b'#')
                .then(|| b.get(i + 1..i + 3))
                .flatten()
                .and_then(|hex| std::str::from_utf8(hex).ok())
                .and_then(|hex| u8::from_str_radix(hex, 16).ok());
            let (byte, width) = escaped.map_or((c, 1), |byte| (byte, 3));
            if name.len() < KEEP {
                name.push(byte);
            }
            i += width;
        }
        (name, i)
    }

    /// A stream: `… >>` ending at `dict_end`, then `stream EOL`, the body from `body`
    /// up to `end` (where `endstream` starts, or the end of the bytes).
    struct Stream {
        dict_end: usize,
        body: usize,
        end: usize,
    }

    /// The streams of `b`, in order and disjoint.
    fn stream_bodies(b: &[u8]) -> Vec<Stream> {
        let mut streams = Vec::new();
        let mut from = 0;
        while let Some(at) = find_from(b, from, b"stream") {
            from = at + 6;
            let mut before = at;
            while before > 0 && is_whitespace(b[before - 1]) {
                before -= 1;
            }
            if before < 2 || &b[before - 2..before] != b">>" {
                continue;
            }
            let body = match (b.get(from), b.get(from + 1)) {
                (Some(b'\r'), Some(b'\n')) => from + 2,
                (Some(b'\n' | b'\r'), _) => from + 1,
                _ => continue,
            };
            let end = find_from(b, body, b"endstream").unwrap_or(b.len());
            streams.push(Stream { dict_end: before, body, end });
            from = end;
        }
        streams
    }

    // -----------------------------------------------------------------------------
    // Compressed streams

    /// Inflates the FlateDecode streams of `b` (and any whose body starts as zlib data,
    /// in case its `/Filter` is an indirect reference) and scans what comes out.
    fn inspect_compressed(b: &[u8], streams: &[Stream], findings: &mut Findings) {
        let mut budget = MAX_INFLATED_PER_FILE;
        let mut lookups = 0;
        let mut region_start = 0;
        for stream in streams {
            // Each stream's dictionary is looked for between the previous stream's end
            // and this one's keyword: the regions are disjoint, so this stays linear.
            let dict = stream_dictionary(b, region_start, stream.dict_end).map(StreamDict::read);
            region_start = stream.end;
            if findings.too_large {
                break; // already failing: inflating more would only cost time
            }
            let Some(body) = b.get(stream.body..stream.end) else { continue };
            let declared = dict.as_ref().and_then(|d| d.flate_chain);
            if declared.is_none() && !looks_like_zlib(body) {
                continue;
            }
            // Pixels and glyphs cannot hold objects, and a scanned page can inflate past
            // the cap; an object stream cannot pass for one, as it needs `/First` and `/N`.
            if dict.as_ref().is_some_and(|d| d.pixels_or_glyphs && !d.may_hold_objects) {
                continue;
            }
            let place = if dict.as_ref().is_some_and(|d| d.object_stream) {
                Place::ObjectStream
            } else {
                Place::CompressedStream
            };

            let mut data = body.to_vec();
            let mut whole = true;
            for _ in 0..declared.unwrap_or(1) {
                let limit = MAX_INFLATED_PER_STREAM.min(budget);
                match inflate(&data, limit) {
                    Inflated::TooLarge => {
                        findings.too_large = true;
                        break;
                    }
                    Inflated::Whole(out) => data = out,
                    Inflated::Broken(out) => {
                        // What did inflate is all any reader can get from it: scan it.
                        data = out;
                        whole = false;
                    }
                }
                budget = budget.saturating_sub(data.len());
                if !whole {
                    break;
                }
            }
            if findings.too_large {
                break;
            }
            match dict.as_ref().map_or(Predictor::None, |d| d.predictor) {
                Predictor::None => {}
                _ if declared != Some(1) => whole = false,
                Predictor::Png { colors, bits, columns } => data = unpredict_png(&data, colors, bits, columns),
                Predictor::Tiff { colors, columns } => data = unpredict_tiff(&data, colors, columns),
                Predictor::Unsupported => whole = false,
            }
            // A body that merely looked like zlib data is no loss when it is not.
            if !whole && declared.is_some() {
                findings.undecodable += 1;
            }

            let open_actions = scan_names(&data, &[], place, findings);
            for at in open_actions {
                if lookups == MAX_LOOKUPS || findings.runs_on_open {
                    break;
                }
                lookups += 1;
                // An inline action is in the inflated content; a referenced one may be
                // a plain object of the file.
                findings.runs_on_open = open_action_runs_script(&data, b, at);
            }
        }
    }

    enum Inflated {
        Whole(Vec<u8>),
        /// Corrupt or cut short: what inflated before that.
        Broken(Vec<u8>),
        TooLarge,
    }

    fn inflate(data: &[u8], limit: usize) -> Inflated {
        match decompress_to_vec_zlib_with_limit(data, limit) {
            Ok(out) => Inflated::Whole(out),
            Err(error) => match error.status {
                TINFLStatus::HasMoreOutput => Inflated::TooLarge,
                // All the data is there, only its checksum is off; readers ignore that.
                TINFLStatus::Adler32Mismatch => Inflated::Whole(error.output),
                _ => Inflated::Broken(error.output),
            },
        }
    }

    /// A zlib header (RFC 1950): deflate, a window of at most 32 KiB, no preset
    /// dictionary, and the check bits right.
    fn looks_like_zlib(body: &[u8]) -> bool {
        match body {
            [cmf, flg, ..] => {
                cmf & 0x0F == 8
                    && cmf >> 4 <= 7
                    && flg & 0x20 == 0
                    && ((u16::from(*cmf) << 8) | u16::from(*flg)) % 31 == 0
            }
            _ => false,
        }
    }

    /// The last complete top-level `<< … >>` in `b[from..to]`, if it ends at `to`.
    fn stream_dictionary(b: &[u8], from: usize, to: usize) -> Option<&[u8]> {
        let mut lexer = Lexer { b: b.get(..to)?, i: from };
        let mut depth = 0usize;
        let mut open = 0;
        let mut last = None;
        while let Some((at, token)) = lexer.next() {
            match token {
                Token::DictOpen => {
                    if depth == 0 {
                        open = at;
                    }
                    depth += 1;
                }
                Token::DictClose if depth > 0 => {
                    depth -= 1;
                    if depth == 0 {
                        last = Some((open, lexer.i));
                    }
                }
                _ => {}
            }
        }
        last.filter(|&(_, end)| end == to).and_then(|(open, end)| b.get(open..end))
    }

    #[derive(Clone, Copy)]
    enum Predictor {
        None,
        Png {
            colors: usize,
            bits: usize,
            columns: usize,
        },
        /// TIFF predictor 2 with 8 bits per component.
        Tiff {
            colors: usize,
            columns: usize,
        },
        Unsupported,
    }

    /// What a stream dictionary says about how to read the stream.
    struct StreamDict {
        /// The `/Filter` is a chain of this many `FlateDecode`s and nothing else.
        flate_chain: Option<usize>,
        /// `/Type /ObjStm`.
        object_stream: bool,
        /// `/First` and `/N`, which an object stream cannot do without: it might be one,
        /// whatever else it says.
        may_hold_objects: bool,
        /// An image or a font program.
        pixels_or_glyphs: bool,
        predictor: Predictor,
    }

    impl StreamDict {
        fn read(dict: &[u8]) -> StreamDict {
            let tokens: Vec<Token> = Lexer { b: dict, i: 0 }.map(|(_, token)| token).collect();
            let mut read = StreamDict {
                flate_chain: None,
                object_stream: false,
                may_hold_objects: holds_object_stream_keys(dict),
                pixels_or_glyphs: false,
                predictor: Predictor::None,
            };
            let mut depth = 0usize;
            for (k, token) in tokens.iter().enumerate() {
                let key = match token {
                    Token::DictOpen | Token::ArrayOpen => {
                        depth += 1;
                        continue;
                    }
                    Token::DictClose | Token::ArrayClose => {
                        depth = depth.saturating_sub(1);
                        continue;
                    }
                    Token::Name(name) => name.as_slice(),
                    Token::Word(_) | Token::Text => continue,
                };
                if depth != 1 {
                    continue;
                }
                let value = &tokens[k + 1..];
                match (key, value.first()) {
                    // Any `/Filter` that reads as FlateDecode counts, should a crafted
                    // dictionary carry two.
                    (b"Filter", _) => read.flate_chain = read.flate_chain.or_else(|| flate_chain(value)),
                    (b"Type", Some(Token::Name(name))) if name == b"ObjStm" => read.object_stream = true,
                    (b"Subtype", Some(Token::Name(name)))
                        if matches!(name.as_slice(), b"Image" | b"Type1C" | b"CIDFontType0C" | b"OpenType") =>
                    {
                        read.pixels_or_glyphs = true;
                    }
                    (b"Length1", _) => read.pixels_or_glyphs = true, // TrueType and Type 1 font programs
                    (b"DecodeParms", _) => read.predictor = predictor(value),
                    _ => {}
                }
            }
            read
        }
    }

    /// Whether `/First` and `/N` occur in `dict`, inside strings and comments too: the
    /// dictionary found may start in junk that a reader, going by the cross-reference
    /// offsets, never parses, so what the tokens say can be wrong; this cannot miss.
    fn holds_object_stream_keys(dict: &[u8]) -> bool {
        let (mut first, mut n) = (false, false);
        let mut i = 0;
        while let Some(slash) = dict.get(i..).and_then(|rest| rest.iter().position(|&c| c == b'/')) {
            let (name, end) = read_name(dict, i + slash + 1);
            first |= name == b"First";
            n |= name == b"N";
            i = end.max(i + slash + 1);
        }
        first && n
    }

    /// `/FlateDecode` or `[/FlateDecode …]`: how many.
    fn flate_chain(value: &[Token]) -> Option<usize> {
        let is_flate = |token: &Token| matches!(token, Token::Name(name) if name == b"FlateDecode" || name == b"Fl");
        match value {
            [first, ..] if is_flate(first) => Some(1),
            [Token::ArrayOpen, rest @ ..] => {
                let n = rest.iter().take_while(|token| is_flate(token)).count();
                (n > 0 && n <= MAX_FLATE_CHAIN && matches!(rest.get(n), Some(Token::ArrayClose))).then_some(n)
            }
            _ => None,
        }
    }

    /// The predictor in a `/DecodeParms` value: `<< … >>`, `[<< … >>]` or `null`.
    fn predictor(value: &[Token]) -> Predictor {
        let params = match value {
            [Token::Word(word), ..] if *word == b"null" => return Predictor::None,
            [Token::DictOpen, rest @ ..] | [Token::ArrayOpen, Token::DictOpen, rest @ ..] => rest,
            [Token::ArrayOpen, Token::Word(word), Token::ArrayClose, ..] if *word == b"null" => {
                return Predictor::None;
            }
            // An indirect reference or something stranger.
            _ => return Predictor::Unsupported,
        };
        let mut values = [("Predictor", 1usize), ("Colors", 1), ("BitsPerComponent", 8), ("Columns", 1)];
        let mut depth = 0usize;
        for (k, token) in params.iter().enumerate() {
            match token {
                Token::DictOpen | Token::ArrayOpen => depth += 1,
                Token::DictClose | Token::ArrayClose if depth == 0 => break,
                Token::DictClose | Token::ArrayClose => depth -= 1,
                Token::Name(name) if depth == 0 => {
                    let Some(slot) = values.iter_mut().find(|(key, _)| key.as_bytes() == name.as_slice()) else {
                        continue;
                    };
                    // A direct integer, not the start of `N G R`.
                    let number = match &params[k + 1..] {
                        [Token::Word(_), Token::Word(_), Token::Word(r), ..] if *r == b"R" => None,
                        [Token::Word(word), ..] => std::str::from_utf8(word).ok().and_then(|w| w.parse().ok()),
                        _ => None,
                    };
                    let Some(number) = number else { return Predictor::Unsupported };
                    slot.1 = number;
                }
                _ => {}
            }
        }
        let [(_, predictor), (_, colors), (_, bits), (_, columns)] = values;
        if !(1..=64).contains(&colors) || !matches!(bits, 1 | 2 | 4 | 8 | 16) || !(1..=1 << 24).contains(&columns) {
            return Predictor::Unsupported;
        }
        match predictor {
            0 | 1 => Predictor::None,
            2 if bits == 8 => Predictor::Tiff { colors, columns },
            10..=15 => Predictor::Png { colors, bits, columns },
            _ => Predictor::Unsupported,
        }
    }

    /// Undoes PNG prediction: rows of one filter-type byte and `row` bytes.
    fn unpredict_png(data: &[u8], colors: usize, bits: usize, columns: usize) -> Vec<u8> {
        // At most 64 × 16 × 2^24 bits; a row longer than the data is cut to it, so
        // nothing larger than the data is allocated.
        let row_bits = (colors as u64) * (bits as u64) * (columns as u64);
        let row = usize::try_from(row_bits.div_ceil(8)).unwrap_or(usize::MAX).min(data.len()).max(1);
        let pixel = (colors * bits).div_ceil(8).max(1);
        let mut out = Vec::with_capacity(data.len());
        let mut previous = vec![0u8; row];
        let mut current = vec![0u8; row];
        for chunk in data.chunks(row + 1) {
            let (kind, src) = (chunk[0], &chunk[1..]);
            for (j, &x) in src.iter().enumerate() {
                let left = if j >= pixel { current[j - pixel] } else { 0 };
                let up = previous[j];
                let up_left = if j >= pixel { previous[j - pixel] } else { 0 };
                current[j] = match kind {
                    1 => x.wrapping_add(left),
                    2 => x.wrapping_add(up),
                    3 => x.wrapping_add(((u16::from(left) + u16::from(up)) / 2) as u8),
                    4 => x.wrapping_add(paeth(left, up, up_left)),
                    _ => x,
                };
            }
            out.extend_from_slice(&current[..src.len()]);
            std::mem::swap(&mut previous, &mut current);
        }
        out
    }

    fn paeth(a: u8, b: u8, c: u8) -> u8 {
        let p = i16::from(a) + i16::from(b) - i16::from(c);
        let (pa, pb, pc) = ((p - i16::from(a)).abs(), (p - i16::from(b)).abs(), (p - i16::from(c)).abs());
        if pa <= pb && pa <= pc {
            a
        } else if pb <= pc {
            b
        } else {
            c
        }
    }

    /// Undoes TIFF predictor 2 at 8 bits per component: each byte adds the same
    /// component of the pixel to its left.
    fn unpredict_tiff(data: &[u8], colors: usize, columns: usize) -> Vec<u8> {
        let row = (colors * columns).max(1);
        let mut out = data.to_vec();
        for line in out.chunks_mut(row) {
            for j in colors..line.len() {
                line[j] = line[j].wrapping_add(line[j - colors]);
            }
        }
        out
    }

    // -----------------------------------------------------------------------------
    // Tokens

    /// PDF tokens, as far as these checks need them.
    enum Token {
        DictOpen,
        DictClose,
        ArrayOpen,
        ArrayClose,
        Name(Vec<u8>),
        /// A number, a keyword (`R`, `null`, `true`) or a stray delimiter.
        Word(Vec<u8>),
        /// A literal or hexadecimal string.
        Text,
    }

    /// Tokens from `i` to the end of `b`, each with where it starts. Every step
    /// advances, and strings and comments are skipped whole, so this is linear.
    struct Lexer<'a> {
        b: &'a [u8],
        i: usize,
    }

    impl Iterator for Lexer<'_> {
        type Item = (usize, Token);

        fn next(&mut self) -> Option<(usize, Token)> {
            let b = self.b;
            loop {
                while b.get(self.i).copied().is_some_and(is_whitespace) {
                    self.i += 1;
                }
                let start = self.i;
                let c = *b.get(start)?;
                let next = b.get(start + 1).copied();
                let token = match c {
                    b'%' => {
                        while b.get(self.i).is_some_and(|&c| c != b'\n' && c != b'\r') {
                            self.i += 1;
                        }
                        continue;
                    }
                    b'(' => {
                        let mut depth = 0usize;
                        while let Some(&c) = b.get(self.i) {
                            self.i += 1;
                            match c {
                                b'\\' => self.i += 1,
                                b'(' => depth += 1,
                                b')' => {
                                    depth = depth.saturating_sub(1);
                                    if depth == 0 {
                                        break;
                                    }
                                }
                                _ => {}
                            }
                        }
                        self.i = self.i.min(b.len());
                        Token::Text
                    }
                    b'<' if next == Some(b'<') => {
                        self.i += 2;
                        Token::DictOpen
                    }
                    b'>' if next == Some(b'>') => {
                        self.i += 2;
                        Token::DictClose
                    }
                    b'<' => {
                        self.i = find_from(b, start, b">").map_or(b.len(), |at| at + 1);
                        Token::Text
                    }
                    b'[' => {
                        self.i += 1;
                        Token::ArrayOpen
                    }
                    b']' => {
                        self.i += 1;
                        Token::ArrayClose
                    }
                    b'/' => {
                        let (name, end) = read_name(b, start + 1);
                        self.i = end;
                        Token::Name(name)
                    }
                    _ if is_delimiter(c) => {
                        self.i += 1;
                        Token::Word(vec![c])
                    }
                    _ => {
                        while b.get(self.i).is_some_and(|&c| !is_whitespace(c) && !is_delimiter(c)) {
                            self.i += 1;
                        }
                        // Only short words (numbers, keywords) matter.
                        Token::Word(b[start..self.i.min(start + 16)].to_vec())
                    }
                };
                return Some((start, token));
            }
        }
    }

    // -----------------------------------------------------------------------------
    // Open actions

    /// Whether the value after `/OpenAction` at `i` in `b` (a dictionary, or a
    /// reference to one among the objects of `file`) is a JavaScript action.
    fn open_action_runs_script(b: &[u8], file: &[u8], mut i: usize) -> bool {
        while b.get(i).copied().is_some_and(is_whitespace) {
            i += 1;
        }
        if b.get(i..i + 2) == Some(b"<<") {
            return dictionary_names_script(b, i);
        }
        let Some((object, generation)) = reference_at(b, i) else { return false };
        let header = format!("{object} {generation} obj");
        let mut from = 0;
        let mut looked = 0;
        while let Some(at) = find_from(file, from, header.as_bytes()) {
            from = at + 1;
            if at > 0 && file[at - 1].is_ascii_digit() {
                continue; // "11 0 obj" is not "1 0 obj"
            }
            if dictionary_names_script(file, at + header.len()) {
                return true;
            }
            looked += 1;
            if looked == MAX_LOOKUPS {
                break;
            }
        }
        false
    }

    /// `N G R` at `i`.
    fn reference_at(b: &[u8], i: usize) -> Option<(u32, u32)> {
        let rest = b.get(i..i.saturating_add(32).min(b.len()))?;
        let text = std::str::from_utf8(rest).ok().or_else(|| {
            let valid = rest.iter().position(|c| !c.is_ascii()).unwrap_or(rest.len());
            std::str::from_utf8(&rest[..valid]).ok()
        })?;
        let mut parts = text.split_ascii_whitespace();
        let object = parts.next()?.parse().ok()?;
        let generation = parts.next()?.parse().ok()?;
        let r = parts.next()?;
        r.starts_with('R').then_some((object, generation))
    }

    /// Whether the dictionary starting at or after `i` names `/JavaScript` or `/JS`.
    fn dictionary_names_script(b: &[u8], i: usize) -> bool {
        // Bounded: a real action dictionary is small.
        const MAX_DICTIONARY: usize = 16 * 1024;
        let Some(window) = b.get(i..b.len().min(i.saturating_add(64))) else { return false };
        let Some(open) = find(window, b"<<").map(|at| at + i) else { return false };
        let end = b.len().min(open + MAX_DICTIONARY);
        let mut depth = 0usize;
        let mut j = open;
        while j + 1 < end {
            match (b[j], b[j + 1]) {
                (b'<', b'<') => {
                    depth += 1;
                    j += 2;
                }
                (b'>', b'>') => {
                    depth = depth.saturating_sub(1);
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                }
                (b'/', _) => {
                    let (name, next) = read_name(b, j + 1);
                    if name == b"JavaScript" || name == b"JS" {
                        return true;
                    }
                    j = next.max(j + 1);
                }
                _ => j += 1,
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::CheckResult;

    fn result(checks: &[Check], name: &str) -> Option<CheckResult> {
        checks.iter().find(|c| c.name == name).map(|c| c.result)
    }

    #[test]
    fn crc32_matches_the_reference_value() {
        assert_eq!(png::crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(png::crc32(b"IEND"), 0xAE42_6082);
    }

    #[test]
    fn when_editor_name_is_part_of_a_longer_word_should_not_count() {
        assert_eq!(editor_named(b"Skia canvas renderer"), None);
        assert_eq!(editor_named(b"Canva"), Some("Canva"));
        assert_eq!(editor_named(b"Adobe PHOTOSHOP 25.0 (Windows)"), Some("Adobe Photoshop"));
        assert_eq!(editor_named(b"GIMP 2.10.34"), Some("GIMP"));
        assert_eq!(editor_named(b"paint.net 5.0.13"), Some("Paint.NET"));
        assert_eq!(editor_named(b"Google"), None);
    }

    #[test]
    fn when_pdf_name_is_hex_escaped_should_decode_it() {
        let (name, end) = pdf::read_name(b"/J#61va#53cript>>", 1);
        assert_eq!(name, b"JavaScript");
        assert_eq!(end, 15);
    }

    #[test]
    fn when_js_letters_occur_inside_a_stream_should_not_count_as_script() {
        let pdf = b"%PDF-1.7\n1 0 obj\n<< /Length 8 >>\nstream\nxx/JS yy\nendstream\nendobj\n%%EOF";
        let checks = inspect(ContentType::Pdf, pdf, pdf.len() as u64, &FileLimits::default());
        assert_eq!(result(&checks, CHECK_PDF_SAFETY), Some(CheckResult::Pass));
    }

    #[test]
    fn when_js_key_is_outside_a_stream_should_fail() {
        let pdf = b"%PDF-1.7\n1 0 obj\n<< /J#53 (app.alert(1)) >>\nendobj\n%%EOF";
        let checks = inspect(ContentType::Pdf, pdf, pdf.len() as u64, &FileLimits::default());
        assert_eq!(result(&checks, CHECK_PDF_SAFETY), Some(CheckResult::Fail));
    }

    #[test]
    fn when_jpeg_segment_length_is_below_two_should_not_loop() {
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x00, 0xFF, 0xD9];
        let scan = jpeg::scan(&jpeg);
        assert!(scan.dimensions.is_err());
    }

    #[test]
    fn when_png_chunk_length_is_huge_should_stop_walking() {
        let mut png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
        png.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0xF0]);
        png.extend_from_slice(b"tEXt");
        let scan = png::scan(&png);
        assert!(scan.dimensions.is_err());
        assert!(scan.editors.is_empty());
    }
}
