//! A file's real type, by its signature (magic bytes) and, for text, by the markup it
//! starts with: what it is, whatever it was declared to be.

use crate::documents::bytes::find;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
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
    pub(super) fn describe(self) -> &'static str {
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

pub(super) fn detect(b: &[u8]) -> Format {
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
