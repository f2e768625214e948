//! File checks against fixtures built byte by byte here: valid and hostile JPEG, PNG
//! and PDF files, executables in disguise, and truncated or random bytes.

use kyc_domain::documents::{
    CHECK_EDITING_SOFTWARE, CHECK_FILE_SIZE, CHECK_FILE_TYPE, CHECK_IMAGE_DIMENSIONS, CHECK_PDF_SAFETY, Check,
    CheckResult, ContentType, FileLimits, crc32, inspect,
};
use miniz_oxide::deflate::compress_to_vec_zlib;

// ---------------------------------------------------------------------------------
// Fixture builders

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut chunk = (data.len() as u32).to_be_bytes().to_vec();
    chunk.extend_from_slice(kind);
    chunk.extend_from_slice(data);
    chunk.extend_from_slice(&crc32(&chunk[4..]).to_be_bytes());
    chunk
}

/// A complete, decodable 1-bit greyscale PNG (all black), with `extra` chunks between
/// IHDR and IDAT.
fn png_with(width: u32, height: u32, extra: &[Vec<u8>]) -> Vec<u8> {
    let mut png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[1, 0, 0, 0, 0]); // depth 1, greyscale, deflate, no filter, no interlace
    png.extend(png_chunk(b"IHDR", &ihdr));
    for chunk in extra {
        png.extend_from_slice(chunk);
    }
    // Each row: filter byte 0 then ceil(width / 8) bytes; stored deflate blocks.
    let row = 1 + (width as usize).div_ceil(8);
    let raw = vec![0u8; row * height as usize];
    let mut zlib = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        zlib.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        zlib.extend_from_slice(&len.to_le_bytes());
        zlib.extend_from_slice(&(!len).to_le_bytes());
        zlib.extend_from_slice(block);
    }
    zlib.extend_from_slice(&adler32(&raw).to_be_bytes());
    png.extend(png_chunk(b"IDAT", &zlib));
    png.extend(png_chunk(b"IEND", &[]));
    png
}

fn png(width: u32, height: u32) -> Vec<u8> {
    png_with(width, height, &[])
}

fn jpeg_segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let mut segment = vec![0xFF, marker];
    segment.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    segment.extend_from_slice(payload);
    segment
}

fn sof0(width: u16, height: u16) -> Vec<u8> {
    let mut payload = vec![8];
    payload.extend_from_slice(&height.to_be_bytes());
    payload.extend_from_slice(&width.to_be_bytes());
    payload.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
    jpeg_segment(0xC0, &payload)
}

/// SOI, JFIF APP0, `extra` segments, DQT, SOF0, DHT, SOS, a little scan data, EOI.
fn jpeg_with(width: u16, height: u16, extra: &[Vec<u8>]) -> Vec<u8> {
    let mut jpeg = vec![0xFF, 0xD8];
    jpeg.extend(jpeg_segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"));
    for segment in extra {
        jpeg.extend_from_slice(segment);
    }
    let mut dqt = vec![0];
    dqt.extend_from_slice(&[1; 64]);
    jpeg.extend(jpeg_segment(0xDB, &dqt));
    jpeg.extend(sof0(width, height));
    let mut dht = vec![0x00];
    dht.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    jpeg.extend(jpeg_segment(0xC4, &dht));
    jpeg.extend(jpeg_segment(0xDA, &[3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0]));
    jpeg.extend_from_slice(&[0x12, 0x34, 0xFF, 0x00, 0x56]);
    jpeg.extend_from_slice(&[0xFF, 0xD9]);
    jpeg
}

fn jpeg(width: u16, height: u16) -> Vec<u8> {
    jpeg_with(width, height, &[])
}

/// An EXIF APP1 segment whose IFD0 holds one ASCII `Software` entry.
fn exif_software(software: &str, little_endian: bool) -> Vec<u8> {
    let u16b = |v: u16| if little_endian { v.to_le_bytes() } else { v.to_be_bytes() };
    let u32b = |v: u32| if little_endian { v.to_le_bytes() } else { v.to_be_bytes() };
    let value = format!("{software}\0");
    let mut tiff = if little_endian { b"II".to_vec() } else { b"MM".to_vec() };
    tiff.extend_from_slice(&u16b(42));
    tiff.extend_from_slice(&u32b(8)); // IFD0 right after the header
    tiff.extend_from_slice(&u16b(1)); // one entry
    tiff.extend_from_slice(&u16b(0x0131)); // Software
    tiff.extend_from_slice(&u16b(2)); // ASCII
    tiff.extend_from_slice(&u32b(value.len() as u32));
    tiff.extend_from_slice(&u32b(8 + 2 + 12 + 4)); // the string follows the IFD
    tiff.extend_from_slice(&u32b(0)); // no next IFD
    tiff.extend_from_slice(value.as_bytes());
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend(tiff);
    jpeg_segment(0xE1, &payload)
}

fn xmp_segment(packet: &str) -> Vec<u8> {
    let mut payload = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
    payload.extend_from_slice(packet.as_bytes());
    jpeg_segment(0xE1, &payload)
}

fn text_chunk(keyword: &str, value: &str) -> Vec<u8> {
    png_chunk(b"tEXt", format!("{keyword}\0{value}").as_bytes())
}

fn pe_executable() -> Vec<u8> {
    let mut exe = vec![0u8; 0x100];
    exe[0] = b'M';
    exe[1] = b'Z';
    exe[0x3C..0x40].copy_from_slice(&0x80u32.to_le_bytes());
    exe[0x80..0x84].copy_from_slice(b"PE\0\0");
    exe[0x84..0x86].copy_from_slice(&0x8664u16.to_le_bytes());
    exe
}

/// A one-page PDF; `catalog_extra` goes into the catalog, `trailer_extra` into the trailer.
fn pdf_with(catalog_extra: &str, objects: &str, trailer_extra: &str) -> Vec<u8> {
    pdf_with_bytes(catalog_extra, objects.as_bytes(), trailer_extra)
}

/// [`pdf_with`], for `objects` that hold binary streams.
fn pdf_with_bytes(catalog_extra: &str, objects: &[u8], trailer_extra: &str) -> Vec<u8> {
    let mut pdf = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    pdf.extend_from_slice(
        format!(
            "1 0 obj\n<< /Type /Catalog /Pages 2 0 R {catalog_extra}>>\nendobj\n\
             2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n\
             3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>\nendobj\n"
        )
        .as_bytes(),
    );
    let mut contents = compress_to_vec_zlib(b"BT /F1 24 Tf 72 720 Td (Hello) Tj ET", 6);
    // Bytes after the end of the zlib data, which readers ignore; by chance they hold
    // "/JS" followed by a delimiter, which inside a stream is no script key.
    contents.extend_from_slice(b"/JS(\x91\xfe\x00/JS\x0a\xe2\x81\x9d\x02\x88");
    pdf.extend(stream_object(4, "/Filter /FlateDecode ", &contents));
    pdf.extend_from_slice(objects);
    pdf.extend_from_slice(
        format!(
            "xref\n0 5\n0000000000 65535 f \ntrailer\n<< /Size 5 /Root 1 0 R {trailer_extra}>>\nstartxref\n0\n%%EOF\n"
        )
        .as_bytes(),
    );
    pdf
}

/// Object `number`: a stream with `dict` entries (after its `/Length`) and `data`.
fn stream_object(number: u32, dict: &str, data: &[u8]) -> Vec<u8> {
    let mut object = format!("{number} 0 obj\n<< /Length {} {dict}>>\nstream\n", data.len()).into_bytes();
    object.extend_from_slice(data);
    object.extend_from_slice(b"\nendstream\nendobj\n");
    object
}

/// `content` and some trailing spaces, zlib-compressed: the spaces make it compress
/// well enough to get Huffman-coded, so the content no longer shows in plain bytes (a
/// stored block would hold it as it is).
fn deflate(content: &[u8]) -> Vec<u8> {
    let mut padded = content.to_vec();
    padded.extend_from_slice(&[b' '; 256]);
    compress_to_vec_zlib(&padded, 6)
}

/// Object `number`: a FlateDecode stream holding `content`.
fn flate_object(number: u32, dict: &str, content: &[u8]) -> Vec<u8> {
    stream_object(number, &format!("/Filter /FlateDecode {dict}"), &deflate(content))
}

/// An object stream's content: the pairs of object number and offset, then the
/// objects; and where the first object starts (`/First`).
fn object_stream_content(objects: &[(u32, &str)]) -> (Vec<u8>, usize) {
    let mut header = String::new();
    let mut body = String::new();
    for (number, object) in objects {
        header.push_str(&format!("{number} {} ", body.len()));
        body.push_str(object);
        body.push('\n');
    }
    let first = header.len();
    ((header + &body).into_bytes(), first)
}

/// Object `number`: a compressed object stream (`/Type /ObjStm`) holding `objects`.
fn object_stream(number: u32, objects: &[(u32, &str)]) -> Vec<u8> {
    let (content, first) = object_stream_content(objects);
    flate_object(number, &format!("/Type /ObjStm /N {} /First {first} ", objects.len()), &content)
}

/// A PDF whose object 5, referenced as the catalog's open action, sits in an object
/// stream.
fn pdf_hiding(object: &str) -> Vec<u8> {
    pdf_with_bytes("/OpenAction 5 0 R ", &object_stream(6, &[(5, object)]), "")
}

/// 64 MiB of zeros, compressed to about 64 KiB, once for all tests.
fn zip_bomb() -> &'static [u8] {
    static BOMB: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BOMB.get_or_init(|| compress_to_vec_zlib(&vec![0u8; 64 << 20], 1))
}

fn clean_pdf() -> Vec<u8> {
    pdf_with("", "", "")
}

fn run(declared: ContentType, bytes: &[u8]) -> Vec<Check> {
    inspect(declared, bytes, bytes.len() as u64, &FileLimits::default())
}

fn check<'a>(checks: &'a [Check], name: &str) -> Option<&'a Check> {
    checks.iter().find(|c| c.name == name)
}

fn result(checks: &[Check], name: &str) -> Option<CheckResult> {
    check(checks, name).map(|c| c.result)
}

fn detail(checks: &[Check], name: &str) -> String {
    check(checks, name).map(|c| c.detail.clone()).unwrap_or_default()
}

fn names(checks: &[Check]) -> Vec<&str> {
    checks.iter().map(|c| c.name.as_str()).collect()
}

/// A small deterministic generator, so a failing case can be replayed.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

const ALL_TYPES: [ContentType; 3] = [ContentType::Jpeg, ContentType::Png, ContentType::Pdf];

// ---------------------------------------------------------------------------------
// Fixtures are what they claim to be

#[test]
fn fixture_png_chunks_carry_correct_checksums() {
    let png = png(800, 600);
    // IHDR's CRC, then IEND's well-known one.
    assert_eq!(crc32(&png[12..29]).to_be_bytes(), png[29..33]);
    assert_eq!(png[png.len() - 4..], [0xAE, 0x42, 0x60, 0x82]);
}

// ---------------------------------------------------------------------------------
// Valid files

#[test]
fn when_png_is_800_by_600_without_metadata_should_pass_every_check() {
    let checks = run(ContentType::Png, &png(800, 600));
    assert_eq!(names(&checks), [CHECK_FILE_SIZE, CHECK_FILE_TYPE, CHECK_IMAGE_DIMENSIONS, CHECK_EDITING_SOFTWARE]);
    assert!(checks.iter().all(|c| c.result == CheckResult::Pass), "{checks:?}");
    assert_eq!(detail(&checks, CHECK_IMAGE_DIMENSIONS), "800×600 px");
}

#[test]
fn when_jpeg_has_sof0_800_by_600_should_pass_every_check() {
    let checks = run(ContentType::Jpeg, &jpeg(800, 600));
    assert_eq!(names(&checks), [CHECK_FILE_SIZE, CHECK_FILE_TYPE, CHECK_IMAGE_DIMENSIONS, CHECK_EDITING_SOFTWARE]);
    assert!(checks.iter().all(|c| c.result == CheckResult::Pass), "{checks:?}");
    assert_eq!(detail(&checks, CHECK_IMAGE_DIMENSIONS), "800×600 px");
}

#[test]
fn when_pdf_is_clean_should_pass_its_safety_check() {
    let checks = run(ContentType::Pdf, &clean_pdf());
    assert_eq!(names(&checks), [CHECK_FILE_SIZE, CHECK_FILE_TYPE, CHECK_PDF_SAFETY]);
    assert!(checks.iter().all(|c| c.result == CheckResult::Pass), "{checks:?}");
}

#[test]
fn when_pdf_header_follows_some_leading_bytes_should_still_be_a_pdf() {
    let mut pdf = b"\r\n\r\n".to_vec();
    pdf.extend(clean_pdf());
    assert_eq!(result(&run(ContentType::Pdf, &pdf), CHECK_FILE_TYPE), Some(CheckResult::Pass));
}

// ---------------------------------------------------------------------------------
// file_size

#[test]
fn when_file_is_empty_should_fail_size_and_type_and_stop() {
    let checks = inspect(ContentType::Jpeg, &[], 0, &FileLimits::default());
    assert_eq!(names(&checks), [CHECK_FILE_SIZE, CHECK_FILE_TYPE]);
    assert_eq!(result(&checks, CHECK_FILE_SIZE), Some(CheckResult::Fail));
    assert_eq!(detail(&checks, CHECK_FILE_SIZE), "empty file");
    assert_eq!(detail(&checks, CHECK_FILE_TYPE), "declared image/jpeg but the file is empty");
}

#[test]
fn when_object_is_larger_than_the_limit_should_fail_naming_both_sizes() {
    // The scorer reads max_bytes + 1 bytes of a far larger object.
    let limits = FileLimits { max_bytes: 1024, ..FileLimits::default() };
    let mut prefix = jpeg(800, 600);
    prefix.resize(1025, 0);
    let checks = inspect(ContentType::Jpeg, &prefix, 5_000_000_000, &limits);
    assert_eq!(result(&checks, CHECK_FILE_SIZE), Some(CheckResult::Fail));
    let detail = detail(&checks, CHECK_FILE_SIZE);
    assert!(detail.contains("5000000000") && detail.contains("1024"), "{detail}");
    // The header is in the prefix, so the image is still described.
    assert_eq!(result(&checks, CHECK_IMAGE_DIMENSIONS), Some(CheckResult::Pass));
}

#[test]
fn when_file_is_exactly_at_the_limit_should_pass_its_size() {
    let limits = FileLimits { max_bytes: 2048, ..FileLimits::default() };
    let checks = inspect(ContentType::Png, &png(800, 600), 2048, &limits);
    assert_eq!(result(&checks, CHECK_FILE_SIZE), Some(CheckResult::Pass));
}

// ---------------------------------------------------------------------------------
// file_type

#[test]
fn when_windows_executable_is_declared_jpeg_should_fail_naming_it_and_skip_image_checks() {
    let checks = run(ContentType::Jpeg, &pe_executable());
    assert_eq!(names(&checks), [CHECK_FILE_SIZE, CHECK_FILE_TYPE]);
    assert_eq!(result(&checks, CHECK_FILE_TYPE), Some(CheckResult::Fail));
    assert_eq!(detail(&checks, CHECK_FILE_TYPE), "declared image/jpeg but the file is a Windows executable (MZ)");
}

#[test]
fn when_other_formats_are_declared_as_images_should_fail_naming_what_they_are() {
    let mut webp = b"RIFF\x24\0\0\0WEBPVP8 ".to_vec();
    webp.extend_from_slice(&[0; 24]);
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"\x7FELF\x02\x01\x01\0\0\0\0\0".to_vec(), "ELF"),
        (b"PK\x03\x04\x14\0\0\0\x08\0".to_vec(), "ZIP"),
        (b"GIF89a\x20\x03\x58\x02\0\0".to_vec(), "GIF"),
        (webp, "WebP"),
        (b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec(), "HEIC"),
        (b"<!DOCTYPE html><html><script>".to_vec(), "HTML"),
        (b"<svg xmlns=\"http://www.w3.org/2000/svg\">".to_vec(), "SVG"),
        (b"#!/bin/sh\nrm -rf /\n".to_vec(), "script"),
        (png(800, 600), "PNG"),
    ];
    for (bytes, expected) in cases {
        let checks = run(ContentType::Jpeg, &bytes);
        assert_eq!(result(&checks, CHECK_FILE_TYPE), Some(CheckResult::Fail), "{expected}");
        let detail = detail(&checks, CHECK_FILE_TYPE);
        assert!(detail.starts_with("declared image/jpeg but the file is "), "{detail}");
        assert!(detail.contains(expected), "{expected}: {detail}");
    }
}

#[test]
fn when_jpeg_is_declared_pdf_should_fail_naming_it() {
    let checks = run(ContentType::Pdf, &jpeg(800, 600));
    assert_eq!(detail(&checks, CHECK_FILE_TYPE), "declared application/pdf but the file is a JPEG image");
    assert_eq!(names(&checks), [CHECK_FILE_SIZE, CHECK_FILE_TYPE]);
}

#[test]
fn when_executable_carries_a_pdf_header_inside_should_not_pass_as_pdf() {
    let mut polyglot = pe_executable();
    polyglot[0x90..0x98].copy_from_slice(b"%PDF-1.7");
    let checks = run(ContentType::Pdf, &polyglot);
    assert_eq!(result(&checks, CHECK_FILE_TYPE), Some(CheckResult::Fail));
    assert!(detail(&checks, CHECK_FILE_TYPE).contains("Windows executable"));
}

#[test]
fn when_pdf_header_is_beyond_the_first_kilobyte_should_fail_type() {
    let mut late = vec![b' '; 1100];
    late.extend(clean_pdf());
    let checks = run(ContentType::Pdf, &late);
    assert_eq!(result(&checks, CHECK_FILE_TYPE), Some(CheckResult::Fail));
    assert_eq!(detail(&checks, CHECK_FILE_TYPE), "declared application/pdf but the file's signature is not recognised");
}

// ---------------------------------------------------------------------------------
// image_dimensions

#[test]
fn when_png_is_300_by_200_should_fail_dimensions() {
    let checks = run(ContentType::Png, &png(300, 200));
    assert_eq!(result(&checks, CHECK_IMAGE_DIMENSIONS), Some(CheckResult::Fail));
    assert_eq!(detail(&checks, CHECK_IMAGE_DIMENSIONS), "300×200 px is below the minimum of 600×400 px");
}

#[test]
fn when_image_is_portrait_should_accept_the_rotated_minimum() {
    for (w, h) in [(400, 600), (600, 400), (3024, 4032)] {
        let checks = run(ContentType::Jpeg, &jpeg(w, h));
        assert_eq!(result(&checks, CHECK_IMAGE_DIMENSIONS), Some(CheckResult::Pass), "{w}×{h}");
    }
    for (w, h) in [(399, 600), (600, 399), (599, 599), (500, 500)] {
        let checks = run(ContentType::Jpeg, &jpeg(w, h));
        assert_eq!(result(&checks, CHECK_IMAGE_DIMENSIONS), Some(CheckResult::Fail), "{w}×{h}");
    }
}

#[test]
fn when_png_header_checksum_is_wrong_should_fail_as_unreadable() {
    let mut png = png(800, 600);
    png[31] ^= 0xFF;
    let checks = run(ContentType::Png, &png);
    assert_eq!(result(&checks, CHECK_IMAGE_DIMENSIONS), Some(CheckResult::Fail));
    assert!(detail(&checks, CHECK_IMAGE_DIMENSIONS).starts_with("unreadable image header"));
}

#[test]
fn when_png_stops_inside_its_header_should_fail_as_unreadable() {
    let png = png(800, 600);
    let checks = run(ContentType::Png, &png[..20]);
    assert_eq!(result(&checks, CHECK_FILE_TYPE), Some(CheckResult::Pass));
    assert!(detail(&checks, CHECK_IMAGE_DIMENSIONS).starts_with("unreadable image header"));
}

#[test]
fn when_jpeg_stops_before_its_frame_header_should_fail_as_unreadable() {
    let jpeg = jpeg(800, 600);
    let sof = jpeg.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap_or(jpeg.len());
    for cut in [3, 4, 6, sof, sof + 4, sof + 7] {
        let checks = run(ContentType::Jpeg, &jpeg[..cut]);
        assert_eq!(result(&checks, CHECK_IMAGE_DIMENSIONS), Some(CheckResult::Fail), "cut at {cut}");
        assert!(detail(&checks, CHECK_IMAGE_DIMENSIONS).starts_with("unreadable image header"));
    }
}

#[test]
fn when_exif_holds_a_small_thumbnail_should_read_the_main_frame() {
    // The thumbnail's SOF sits inside APP1 and must not be taken for the image's.
    let mut payload = b"Exif\0\0MM\0\x2a\0\0\0\x08\0\0\0\0\0\0".to_vec();
    payload.extend_from_slice(&[0xFF, 0xD8]);
    payload.extend(sof0(160, 120));
    payload.extend_from_slice(&[0xFF, 0xD9]);
    let jpeg = jpeg_with(1600, 1200, &[jpeg_segment(0xE1, &payload)]);
    assert_eq!(detail(&run(ContentType::Jpeg, &jpeg), CHECK_IMAGE_DIMENSIONS), "1600×1200 px");
}

#[test]
fn when_limits_are_configured_should_apply_them() {
    let limits = FileLimits { max_bytes: 10 * 1024 * 1024, min_width: 1200, min_height: 800 };
    let bytes = png(800, 600);
    let checks = inspect(ContentType::Png, &bytes, bytes.len() as u64, &limits);
    assert_eq!(detail(&checks, CHECK_IMAGE_DIMENSIONS), "800×600 px is below the minimum of 1200×800 px");
}

// ---------------------------------------------------------------------------------
// editing_software

#[test]
fn when_jpeg_exif_software_is_photoshop_should_warn_naming_it() {
    for little_endian in [false, true] {
        let jpeg = jpeg_with(800, 600, &[exif_software("Adobe Photoshop 25.0 (Windows)", little_endian)]);
        let checks = run(ContentType::Jpeg, &jpeg);
        assert_eq!(result(&checks, CHECK_EDITING_SOFTWARE), Some(CheckResult::Warn));
        assert_eq!(detail(&checks, CHECK_EDITING_SOFTWARE), "EXIF Software names Adobe Photoshop");
        assert_eq!(result(&checks, CHECK_IMAGE_DIMENSIONS), Some(CheckResult::Pass));
    }
}

#[test]
fn when_jpeg_exif_software_is_a_camera_should_pass() {
    let jpeg = jpeg_with(800, 600, &[exif_software("HDR+ 1.0.540104767zd", false)]);
    assert_eq!(result(&run(ContentType::Jpeg, &jpeg), CHECK_EDITING_SOFTWARE), Some(CheckResult::Pass));
}

#[test]
fn when_exif_software_is_short_enough_to_sit_inline_should_still_be_read() {
    // Four bytes or fewer live in the entry's value field: "GIMP" has no terminator.
    let mut payload = b"Exif\0\0II\x2a\0\x08\0\0\0\x01\0\x31\x01\x02\0\x04\0\0\0GIMP\0\0\0\0".to_vec();
    payload.extend_from_slice(&[0; 4]);
    let jpeg = jpeg_with(800, 600, &[jpeg_segment(0xE1, &payload)]);
    assert_eq!(detail(&run(ContentType::Jpeg, &jpeg), CHECK_EDITING_SOFTWARE), "EXIF Software names GIMP");
}

#[test]
fn when_jpeg_xmp_creator_tool_names_an_editor_should_warn() {
    let packet = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description xmp:CreatorTool="Pixelmator Pro 3.5"/></rdf:RDF></x:xmpmeta>"#;
    let jpeg = jpeg_with(800, 600, &[xmp_segment(packet)]);
    let checks = run(ContentType::Jpeg, &jpeg);
    assert_eq!(result(&checks, CHECK_EDITING_SOFTWARE), Some(CheckResult::Warn));
    assert_eq!(detail(&checks, CHECK_EDITING_SOFTWARE), "XMP CreatorTool names Pixelmator");
}

#[test]
fn when_jpeg_xmp_history_and_photoshop_namespace_name_editors_should_warn_with_each() {
    let packet = "<rdf:Description xmlns:photoshop=\"http://ns.adobe.com/photoshop/1.0/\">\
                  <xmp:CreatorTool>Canva</xmp:CreatorTool>\
                  <stEvt:softwareAgent>Adobe Lightroom Classic 13.0</stEvt:softwareAgent></rdf:Description>";
    let jpeg = jpeg_with(800, 600, &[xmp_segment(packet)]);
    let detail = detail(&run(ContentType::Jpeg, &jpeg), CHECK_EDITING_SOFTWARE);
    assert!(detail.contains("XMP CreatorTool names Canva"), "{detail}");
    assert!(detail.contains("XMP softwareAgent names Adobe Lightroom"), "{detail}");
    assert!(detail.contains("photoshop: namespace"), "{detail}");
}

#[test]
fn when_jpeg_has_a_photoshop_app13_segment_should_warn() {
    let jpeg = jpeg_with(800, 600, &[jpeg_segment(0xED, b"Photoshop 3.0\08BIM\x04\x04\0\0\0\0\0\0")]);
    let checks = run(ContentType::Jpeg, &jpeg);
    assert_eq!(result(&checks, CHECK_EDITING_SOFTWARE), Some(CheckResult::Warn));
    assert_eq!(detail(&checks, CHECK_EDITING_SOFTWARE), "APP13 holds Photoshop image resources");
}

#[test]
fn when_jpeg_comment_says_created_with_gimp_should_warn() {
    let jpeg = jpeg_with(800, 600, &[jpeg_segment(0xFE, b"Created with GIMP")]);
    assert_eq!(detail(&run(ContentType::Jpeg, &jpeg), CHECK_EDITING_SOFTWARE), "JPEG comment names GIMP");
}

#[test]
fn when_editor_name_only_appears_in_the_image_data_should_pass() {
    // Metadata is read from segments; scan data after SOS is not metadata.
    let mut jpeg = jpeg(800, 600);
    let eoi = jpeg.len() - 2;
    jpeg.splice(eoi..eoi, b"Adobe Photoshop".iter().copied());
    assert_eq!(result(&run(ContentType::Jpeg, &jpeg), CHECK_EDITING_SOFTWARE), Some(CheckResult::Pass));
}

#[test]
fn when_png_text_software_is_gimp_should_warn_naming_it() {
    let png = png_with(800, 600, &[text_chunk("Software", "GIMP 2.10.36")]);
    let checks = run(ContentType::Png, &png);
    assert_eq!(result(&checks, CHECK_EDITING_SOFTWARE), Some(CheckResult::Warn));
    assert_eq!(detail(&checks, CHECK_EDITING_SOFTWARE), "PNG Software names GIMP");
}

#[test]
fn when_png_text_software_is_a_screenshot_tool_should_pass() {
    // "canvas" is not Canva; a title is not a Software field.
    let png =
        png_with(800, 600, &[text_chunk("Software", "gnome-screenshot on HTML canvas"), text_chunk("Title", "GIMP")]);
    assert_eq!(result(&run(ContentType::Png, &png), CHECK_EDITING_SOFTWARE), Some(CheckResult::Pass));
}

#[test]
fn when_png_xmp_in_itxt_names_an_editor_should_warn() {
    let mut data = b"XML:com.adobe.xmp\0\0\0\0\0".to_vec();
    data.extend_from_slice(br#"<rdf:Description xmp:CreatorTool='Affinity Photo 2.3.0'/>"#);
    let png = png_with(800, 600, &[png_chunk(b"iTXt", &data)]);
    assert_eq!(detail(&run(ContentType::Png, &png), CHECK_EDITING_SOFTWARE), "XMP CreatorTool names Affinity Photo");
}

#[test]
fn when_png_software_text_is_compressed_should_pass_saying_it_was_not_read() {
    let png = png_with(800, 600, &[png_chunk(b"zTXt", b"Software\0\0\x78\x9c\x03\0\0\0\0\x01")]);
    let checks = run(ContentType::Png, &png);
    assert_eq!(result(&checks, CHECK_EDITING_SOFTWARE), Some(CheckResult::Pass));
    assert!(detail(&checks, CHECK_EDITING_SOFTWARE).contains("not inspected"));
}

#[test]
fn when_png_text_follows_the_image_data_should_still_be_read() {
    let mut png = png(800, 600);
    let iend = png.len() - 12;
    png.splice(iend..iend, text_chunk("Software", "Paint.NET v3.5.11"));
    assert_eq!(detail(&run(ContentType::Png, &png), CHECK_EDITING_SOFTWARE), "PNG Software names Paint.NET");
}

// ---------------------------------------------------------------------------------
// pdf_safety

#[test]
fn when_pdf_is_encrypted_should_fail() {
    let pdf =
        pdf_with("", "5 0 obj\n<< /Filter /Standard /V 2 /R 3 /O <00> /U <00> /P -4 >>\nendobj\n", "/Encrypt 5 0 R ");
    let checks = run(ContentType::Pdf, &pdf);
    assert_eq!(result(&checks, CHECK_PDF_SAFETY), Some(CheckResult::Fail));
    assert!(detail(&checks, CHECK_PDF_SAFETY).contains("encrypted"));
}

#[test]
fn when_pdf_opens_with_javascript_should_fail_saying_so() {
    let pdf = pdf_with(
        "/OpenAction 5 0 R ",
        "5 0 obj\n<< /Type /Action /S /JavaScript /JS (app.alert\\(1\\)) >>\nendobj\n",
        "",
    );
    let checks = run(ContentType::Pdf, &pdf);
    assert_eq!(result(&checks, CHECK_PDF_SAFETY), Some(CheckResult::Fail));
    assert_eq!(detail(&checks, CHECK_PDF_SAFETY), "the PDF runs JavaScript when opened");
}

#[test]
fn when_pdf_opens_with_an_inline_javascript_action_should_fail_saying_so() {
    let pdf = pdf_with("/OpenAction << /S /JavaScript /JS 5 0 R >> ", "", "");
    assert_eq!(detail(&run(ContentType::Pdf, &pdf), CHECK_PDF_SAFETY), "the PDF runs JavaScript when opened");
}

#[test]
fn when_pdf_names_javascript_with_hex_escapes_should_still_fail() {
    let pdf = pdf_with(
        "/Names << /J#61vaScript 5 0 R >> ",
        "5 0 obj\n<< /S /J#61vaScript /J#53 (this.print\\(\\)) >>\nendobj\n",
        "",
    );
    let checks = run(ContentType::Pdf, &pdf);
    assert_eq!(result(&checks, CHECK_PDF_SAFETY), Some(CheckResult::Fail));
    assert_eq!(detail(&checks, CHECK_PDF_SAFETY), "the PDF carries JavaScript");
}

#[test]
fn when_pdf_opens_at_a_page_should_not_count_as_script() {
    let pdf = pdf_with("/OpenAction [3 0 R /Fit] ", "", "");
    assert_eq!(result(&run(ContentType::Pdf, &pdf), CHECK_PDF_SAFETY), Some(CheckResult::Pass));
}

#[test]
fn when_pdf_has_a_launch_action_should_fail() {
    let pdf = pdf_with("/OpenAction << /S /Launch /F (cmd.exe) >> ", "", "");
    let checks = run(ContentType::Pdf, &pdf);
    assert_eq!(result(&checks, CHECK_PDF_SAFETY), Some(CheckResult::Fail));
    assert_eq!(detail(&checks, CHECK_PDF_SAFETY), "the PDF has a launch action that runs when opened");
}

#[test]
fn when_pdf_has_embedded_files_should_fail() {
    let pdf = pdf_with(
        "/Names << /EmbeddedFiles 5 0 R >> ",
        "6 0 obj\n<< /Type /EmbeddedFile /Length 0 >>\nstream\n\nendstream\nendobj\n",
        "",
    );
    let checks = run(ContentType::Pdf, &pdf);
    assert_eq!(result(&checks, CHECK_PDF_SAFETY), Some(CheckResult::Fail));
    assert_eq!(detail(&checks, CHECK_PDF_SAFETY), "the PDF carries embedded files");
}

#[test]
fn when_pdf_has_several_problems_should_name_them_all() {
    let pdf = pdf_with(
        "/OpenAction << /S /Launch /F (x) >> /Names << /EmbeddedFiles 7 0 R /JavaScript 8 0 R >> ",
        "",
        "/Encrypt 9 0 R ",
    );
    let detail = detail(&run(ContentType::Pdf, &pdf), CHECK_PDF_SAFETY);
    for part in ["encrypted", "JavaScript", "launch action", "embedded files"] {
        assert!(detail.contains(part), "{part}: {detail}");
    }
}

#[test]
fn when_a_name_only_starts_like_a_dangerous_one_should_pass() {
    let pdf = pdf_with("/JSONData 1 /JavaScriptless 2 /EncryptMetadata false /Launcher 3 ", "", "");
    assert_eq!(result(&run(ContentType::Pdf, &pdf), CHECK_PDF_SAFETY), Some(CheckResult::Pass));
}

// ---------------------------------------------------------------------------------
// pdf_safety: compressed content

const SCRIPT: &str = "<< /S /JavaScript /JS (app.alert(1)) >>";

#[test]
fn fixture_object_stream_hides_its_objects_from_a_plain_scan() {
    let pdf = pdf_hiding(SCRIPT);
    let text = String::from_utf8_lossy(&pdf);
    assert!(!text.contains("JavaScript") && !text.contains("/JS "), "{text}");
}

#[test]
fn when_object_stream_hides_javascript_should_fail_saying_where() {
    let checks = run(ContentType::Pdf, &pdf_hiding(SCRIPT));
    assert_eq!(result(&checks, CHECK_PDF_SAFETY), Some(CheckResult::Fail));
    assert_eq!(detail(&checks, CHECK_PDF_SAFETY), "the PDF carries JavaScript inside an encoded object stream");
}

#[test]
fn when_object_stream_hides_only_a_js_key_should_fail() {
    for object in ["<</JS(app.alert(1))>>", "<< /J#53 (app.alert(1)) >>", "<< /JS 7 0 R >>"] {
        let checks = run(ContentType::Pdf, &pdf_hiding(object));
        assert_eq!(result(&checks, CHECK_PDF_SAFETY), Some(CheckResult::Fail), "{object}");
    }
}

#[test]
fn when_object_stream_hides_an_inline_open_action_should_say_it_runs_when_opened() {
    let catalog = format!("<< /Type /Catalog /Pages 2 0 R /OpenAction {SCRIPT} >>");
    let pdf = pdf_with_bytes("", &object_stream(6, &[(1, &catalog)]), "");
    assert_eq!(
        detail(&run(ContentType::Pdf, &pdf), CHECK_PDF_SAFETY),
        "the PDF runs JavaScript when opened inside an encoded object stream"
    );
}

#[test]
fn when_javascript_is_both_plain_and_compressed_should_say_both() {
    let mut objects = object_stream(6, &[(5, SCRIPT)]);
    objects.extend_from_slice(b"7 0 obj\n<< /S /JavaScript /JS (print()) >>\nendobj\n");
    let pdf = pdf_with_bytes("", &objects, "");
    assert_eq!(
        detail(&run(ContentType::Pdf, &pdf), CHECK_PDF_SAFETY),
        "the PDF carries JavaScript, also inside an encoded object stream"
    );
}

#[test]
fn when_object_stream_hides_a_launch_action_should_fail() {
    let checks = run(ContentType::Pdf, &pdf_hiding("<< /S /Launch /F (cmd.exe) >>"));
    assert_eq!(result(&checks, CHECK_PDF_SAFETY), Some(CheckResult::Fail));
    assert_eq!(detail(&checks, CHECK_PDF_SAFETY), "the PDF has a launch action inside an encoded object stream");
}

#[test]
fn when_any_flate_stream_hides_javascript_should_fail() {
    let script = deflate(SCRIPT.as_bytes());
    let twice = deflate(&script);
    let streams = [
        stream_object(7, "/Filter /FlateDecode ", &script),
        stream_object(7, "/Filter [/FlateDecode] ", &script),
        stream_object(7, "/Filter [ /Fl#61teDecode ] ", &script),
        stream_object(7, "/Filter [/FlateDecode /FlateDecode] ", &twice),
        // The filter behind a reference: zlib data is recognised by its header.
        stream_object(7, "/Filter 9 0 R ", &script),
        // No reader skips an object stream for claiming to be an image.
        stream_object(7, "/Type /ObjStm /Subtype /Image /N 1 /First 4 /Filter /FlateDecode ", &script),
    ];
    for stream in streams {
        let pdf = pdf_with_bytes("", &stream, "");
        let checks = run(ContentType::Pdf, &pdf);
        assert_eq!(result(&checks, CHECK_PDF_SAFETY), Some(CheckResult::Fail), "{}", String::from_utf8_lossy(&pdf));
        assert!(detail(&checks, CHECK_PDF_SAFETY).contains("JavaScript inside an encoded"));
    }
}

#[test]
fn when_junk_makes_an_object_stream_read_as_an_image_should_still_inspect_it() {
    // A reader goes to object 6 by its offset and sees an object stream (the ")" is in
    // a comment). Read from the top, the unterminated string of object 9 runs to that
    // ")", so the dictionary before "stream" seems to open in object 9, as an image.
    let (content, first) = object_stream_content(&[(5, SCRIPT)]);
    let mut objects = b"9 0 obj\n<< /Subtype /Image /K (\nendobj\n".to_vec();
    objects.extend(flate_object(6, &format!("/Type /ObjStm /N 1 /First {first} % )\n"), &content));
    let checks = run(ContentType::Pdf, &pdf_with_bytes("", &objects, ""));
    assert_eq!(result(&checks, CHECK_PDF_SAFETY), Some(CheckResult::Fail));
    assert!(detail(&checks, CHECK_PDF_SAFETY).contains("JavaScript inside an encoded"));
}

#[test]
fn when_object_stream_is_png_predicted_should_undo_it_and_fail() {
    // PNG "Up" prediction over rows of 8 bytes: each byte minus the one above.
    let (content, first) = object_stream_content(&[(5, SCRIPT)]);
    let mut predicted = Vec::new();
    let mut above = [0u8; 8];
    for row in content.chunks(8) {
        predicted.push(2);
        predicted.extend(row.iter().zip(above).map(|(&x, up)| x.wrapping_sub(up)));
        above[..row.len()].copy_from_slice(row);
    }
    assert!(!String::from_utf8_lossy(&predicted).contains("JavaScript"));
    let dict = format!("/Type /ObjStm /N 1 /First {first} /DecodeParms << /Predictor 12 /Columns 8 >> ");
    let pdf = pdf_with_bytes("", &flate_object(6, &dict, &predicted), "");
    let checks = run(ContentType::Pdf, &pdf);
    assert_eq!(detail(&checks, CHECK_PDF_SAFETY), "the PDF carries JavaScript inside an encoded object stream");
}

#[test]
fn when_compressed_content_is_clean_should_pass() {
    let mut objects = object_stream(
        6,
        &[
            (5, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"),
            (7, "<< /JSONData 1 /JavaScriptless 2 /Launcher 3 /JSX [/JS_ 1] >>"),
            (8, "<< /S /GoTo /D [3 0 R /Fit] >>"),
        ],
    );
    objects.extend(flate_object(9, "", b"q 1 0 0 1 0 0 cm BT /F1 12 Tf (Jane Doe) Tj ET Q"));
    let checks = run(ContentType::Pdf, &pdf_with_bytes("", &objects, ""));
    assert_eq!(result(&checks, CHECK_PDF_SAFETY), Some(CheckResult::Pass), "{checks:?}");
}

#[test]
fn when_streams_use_other_filters_should_decode_them_and_leave_images_opaque() {
    let image = stream_object(7, "/Filter /DCTDecode /Subtype /Image ", &[0xFF, 0xD8, 0xFF, 0xD9]);
    let checks = run(ContentType::Pdf, &pdf_with_bytes("", &image, ""));
    assert_eq!(result(&checks, CHECK_PDF_SAFETY), Some(CheckResult::Pass), "{checks:?}");

    let hex = stream_object(8, "/Filter /ASCIIHexDecode ", b"2F4A5320>");
    let checks = run(ContentType::Pdf, &pdf_with_bytes("", &[image, hex].concat(), ""));
    assert_eq!(detail(&checks, CHECK_PDF_SAFETY), "the PDF carries JavaScript inside an encoded stream");
}

#[test]
fn when_flate_stream_is_corrupt_should_warn_without_panicking() {
    let corrupt = stream_object(7, "/Filter /FlateDecode ", b"x\x9c\xff\xff\xff\xff not deflate at all");
    let checks = run(ContentType::Pdf, &pdf_with_bytes("", &corrupt, ""));
    assert_eq!(result(&checks, CHECK_PDF_SAFETY), Some(CheckResult::Warn));
    assert_eq!(
        detail(&checks, CHECK_PDF_SAFETY),
        "the PDF has a stream that could not be decoded and was not inspected (corrupt or truncated encoded data)"
    );

    let no_header = stream_object(7, "/Filter /FlateDecode ", b"plain text, not compressed");
    let checks = run(ContentType::Pdf, &pdf_with_bytes("", &no_header, ""));
    assert_eq!(result(&checks, CHECK_PDF_SAFETY), Some(CheckResult::Warn));
}

#[test]
fn when_flate_stream_is_cut_short_should_still_scan_what_inflated() {
    let mut content = SCRIPT.as_bytes().to_vec();
    for i in 0..400 {
        content.extend_from_slice(format!("{i} {} {} {i} re f\n", i * 7 % 13, i * 5 % 11).as_bytes());
    }
    let compressed = deflate(&content);
    let cut = stream_object(7, "/Filter /FlateDecode ", &compressed[..compressed.len() / 2]);
    let detail = detail(&run(ContentType::Pdf, &pdf_with_bytes("", &cut, "")), CHECK_PDF_SAFETY);
    assert_eq!(
        detail,
        "the PDF carries JavaScript inside an encoded stream; the PDF has a stream that could not be decoded and was not inspected (corrupt or truncated encoded data)"
    );
}

#[test]
fn when_compressed_bytes_are_damaged_should_return_checks_without_panicking() {
    let mut rng = XorShift(0x00C0_FFEE);
    let (content, first) = object_stream_content(&[(5, SCRIPT), (7, "<< /Type /Font /Subtype /Type1 >>")]);
    let compressed = deflate(&content);
    let dict = format!("/Type /ObjStm /N 2 /First {first} /Filter /FlateDecode ");
    for _ in 0..2_000 {
        let mut data = compressed.clone();
        for _ in 0..1 + rng.next() % 4 {
            let at = (rng.next() as usize) % data.len();
            data[at] = rng.next() as u8;
        }
        let checks = run(ContentType::Pdf, &pdf_with_bytes("", &stream_object(6, &dict, &data), ""));
        assert!(check(&checks, CHECK_PDF_SAFETY).is_some());
    }
}

#[test]
fn when_flate_stream_is_a_zip_bomb_should_fail_without_inflating_it_all() {
    let bomb = stream_object(7, "/Filter /FlateDecode ", zip_bomb());
    let checks = run(ContentType::Pdf, &pdf_with_bytes("", &bomb, ""));
    assert_eq!(result(&checks, CHECK_PDF_SAFETY), Some(CheckResult::Fail));
    assert_eq!(detail(&checks, CHECK_PDF_SAFETY), "the PDF has encoded content too large to inspect");

    // Sixteen of them (a GiB inflated) stop at the first.
    let bombs: Vec<u8> = (0..16).flat_map(|n| stream_object(10 + n, "/Filter /FlateDecode ", zip_bomb())).collect();
    let checks = run(ContentType::Pdf, &pdf_with_bytes("", &bombs, ""));
    assert_eq!(detail(&checks, CHECK_PDF_SAFETY), "the PDF has encoded content too large to inspect");
}

#[test]
fn when_script_lies_past_the_cap_should_fail_as_too_large() {
    let mut content = vec![b' '; 5 << 20];
    content.extend_from_slice(SCRIPT.as_bytes());
    let pdf = pdf_with_bytes("", &flate_object(7, "", &content), "");
    let checks = run(ContentType::Pdf, &pdf);
    assert_eq!(result(&checks, CHECK_PDF_SAFETY), Some(CheckResult::Fail));
    assert!(detail(&checks, CHECK_PDF_SAFETY).contains("encoded content too large to inspect"));
}

#[test]
fn when_streams_together_inflate_past_the_file_cap_should_fail_as_too_large() {
    // Each stream under the per-stream cap; ten of them over the per-file one.
    let content = vec![b' '; 7 << 19];
    let objects: Vec<u8> = (0..10).flat_map(|n| flate_object(10 + n, "", &content)).collect();
    let checks = run(ContentType::Pdf, &pdf_with_bytes("", &objects, ""));
    assert_eq!(detail(&checks, CHECK_PDF_SAFETY), "the PDF has encoded content too large to inspect");
}

#[test]
fn when_a_flate_image_inflates_past_the_cap_should_pass() {
    // A scanned page: pixels cannot hold objects, so they are not inflated.
    let image = stream_object(
        7,
        "/Type /XObject /Subtype /Image /Width 4096 /Height 4096 /ColorSpace /DeviceGray \
         /BitsPerComponent 8 /Filter /FlateDecode ",
        zip_bomb(),
    );
    let checks = run(ContentType::Pdf, &pdf_with_bytes("", &image, ""));
    assert_eq!(result(&checks, CHECK_PDF_SAFETY), Some(CheckResult::Pass), "{checks:?}");
}

// ---------------------------------------------------------------------------------
// Hostile and broken input: checks, never a panic

#[test]
fn when_any_fixture_is_cut_short_should_return_checks_without_panicking() {
    let fixtures = [
        (ContentType::Png, png_with(800, 600, &[text_chunk("Software", "GIMP")])),
        (ContentType::Jpeg, jpeg_with(800, 600, &[exif_software("Adobe Photoshop 25.0", false)])),
        (ContentType::Pdf, pdf_with("/OpenAction 5 0 R ", "5 0 obj\n<< /S /JavaScript /JS (x) >>\nendobj\n", "")),
        (ContentType::Pdf, pdf_hiding(SCRIPT)),
    ];
    for (declared, bytes) in fixtures {
        for cut in 0..bytes.len() {
            let checks = inspect(declared, &bytes[..cut], bytes.len() as u64, &FileLimits::default());
            assert!(checks.len() >= 2, "{declared:?} cut at {cut}");
            assert_eq!(checks[0].name, CHECK_FILE_SIZE);
            assert_eq!(checks[1].name, CHECK_FILE_TYPE);
        }
    }
}

#[test]
fn when_bytes_are_random_should_return_checks_without_panicking() {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let signatures: [&[u8]; 4] =
        [b"", &[0xFF, 0xD8, 0xFF], &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A], b"%PDF-"];
    for round in 0..3_000 {
        let len = (rng.next() % 600) as usize;
        let mut bytes = signatures[round % signatures.len()].to_vec();
        bytes.extend(rng.bytes(len));
        for declared in ALL_TYPES {
            let checks = run(declared, &bytes);
            assert!(checks.len() >= 2);
        }
    }
}

#[test]
fn when_random_bytes_follow_valid_headers_should_return_checks_without_panicking() {
    // Deeper fuzzing: valid structure up to a point, then noise.
    let mut rng = XorShift(42);
    let bases = [
        (ContentType::Jpeg, jpeg_with(800, 600, &[exif_software("GIMP 2.10", true)])),
        (ContentType::Png, png_with(800, 600, &[text_chunk("Software", "GIMP")])),
    ];
    for (declared, base) in bases {
        for _ in 0..2_000 {
            let mut bytes = base.clone();
            for _ in 0..1 + rng.next() % 4 {
                let at = (rng.next() as usize) % bytes.len();
                bytes[at] = rng.next() as u8;
            }
            let cut = (rng.next() as usize) % (bytes.len() + 1);
            let checks = run(declared, &bytes[..cut.max(3)]);
            assert!(checks.len() >= 2);
        }
    }
}

#[test]
fn when_lengths_in_headers_are_huge_should_return_checks_without_panicking() {
    // JPEG segment claiming 65 535 bytes, with 3 present.
    let jpeg = [0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF, b'E', b'x', b'i'];
    let checks = run(ContentType::Jpeg, &jpeg);
    assert_eq!(result(&checks, CHECK_IMAGE_DIMENSIONS), Some(CheckResult::Fail));

    // EXIF whose IFD claims 65 535 entries and a Software string at offset 4 GiB.
    let payload = b"Exif\0\0MM\0\x2a\xFF\xFF\xFF\xF0\xFF\xFF\x01\x31\0\x02\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF";
    let checks = run(ContentType::Jpeg, &jpeg_with(800, 600, &[jpeg_segment(0xE1, payload)]));
    assert_eq!(result(&checks, CHECK_EDITING_SOFTWARE), Some(CheckResult::Pass));
    let payload = b"Exif\0\0MM\0\x2a\0\0\0\x08\xFF\xFF\x01\x31\0\x02\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF";
    let checks = run(ContentType::Jpeg, &jpeg_with(800, 600, &[jpeg_segment(0xE1, payload)]));
    assert_eq!(result(&checks, CHECK_EDITING_SOFTWARE), Some(CheckResult::Pass));

    // PNG chunks of 2 GiB and of 4 GiB after a valid header.
    for len in [0x7FFF_FFFFu32, 0xFFFF_FFFF] {
        let mut png = png(800, 600)[..33].to_vec();
        png.extend_from_slice(&len.to_be_bytes());
        png.extend_from_slice(b"tEXtSoftware\0GIMP");
        let checks = run(ContentType::Png, &png);
        assert_eq!(result(&checks, CHECK_IMAGE_DIMENSIONS), Some(CheckResult::Pass));
        assert_eq!(checks.len(), 4);
    }

    // A JPEG made of fill bytes and zero-length segments.
    let mut fill = vec![0xFF, 0xD8];
    fill.extend(std::iter::repeat_n(0xFF, 10_000));
    assert_eq!(run(ContentType::Jpeg, &fill).len(), 4);
}

#[test]
fn when_pdf_is_full_of_open_actions_and_unterminated_dictionaries_should_finish() {
    let mut pdf = b"%PDF-1.7\n/JavaScript\n".to_vec();
    for _ in 0..20_000 {
        pdf.extend_from_slice(b"/OpenAction 1 0 R 1 0 obj <<<<<<<<");
    }
    let checks = run(ContentType::Pdf, &pdf);
    assert_eq!(result(&checks, CHECK_PDF_SAFETY), Some(CheckResult::Fail));
}
