//! JPEG: the marker segments up to the start of the scan, for the frame size and for
//! editors named in EXIF, XMP, Photoshop image resources and comments.

use super::ImageScan;
use super::editors::{editor_named, exif_software, xmp_traces};
use crate::documents::bytes::be16;

const EXIF: &[u8] = b"Exif\0\0";
const XMP: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";
const XMP_EXTENSION: &[u8] = b"http://ns.adobe.com/xmp/extension/\0";
const PHOTOSHOP_IRB: &[u8] = b"Photoshop 3.0\0";

/// Walks the marker segments from SOI up to SOS (or the end of the bytes).
pub(in crate::documents) fn scan(b: &[u8]) -> ImageScan {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_jpeg_segment_length_is_below_two_should_not_loop() {
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x00, 0xFF, 0xD9];
        let scan = scan(&jpeg);
        assert!(scan.dimensions.is_err());
    }
}
