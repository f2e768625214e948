//! `pdf_safety` against the ways active content hides: every standard filter and
//! chains of them, object streams, hex-escaped names, XFA scripts, the actions a
//! viewer runs or follows, filter bombs; and a benign file that uses many filters.

mod pdf_builders;

use kyc_domain::documents::{CHECK_PDF_SAFETY, Check, CheckResult, ContentType, FileLimits, inspect};
use miniz_oxide::deflate::compress_to_vec_zlib;
use pdf_builders::*;

fn safety(pdf: &[u8]) -> Check {
    inspect(ContentType::Pdf, pdf, pdf.len() as u64, &FileLimits::default())
        .into_iter()
        .find(|c| c.name == CHECK_PDF_SAFETY)
        .expect("a PDF gets a pdf_safety check")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A PDF whose catalog, inside an object stream encoded by `encode` under `filter`,
/// runs a script when it opens.
fn opening_script_behind(filter: &str, encode: Encoder) -> Vec<u8> {
    pdf(None, &[object_stream(6, filter, encode, &[(1, &catalog_opening(SCRIPT))])])
}

const OPENS_A_SCRIPT: &str = "the PDF runs JavaScript when opened inside an encoded object stream";

#[test]
fn fixture_filters_hide_the_script_from_a_plain_reading() {
    let encodings: [(&str, Encoder); 5] = [
        ("AHx", ascii_hex),
        ("A85", ascii85),
        ("LZW", lzw),
        ("RL", run_length),
        ("A85 over Fl", |d| ascii85(&flate(d))),
    ];
    for (name, encode) in encodings {
        let pdf = opening_script_behind("/Filter /X", encode);
        assert!(!contains(&pdf, b"JavaScript") && !contains(&pdf, b"/JS"), "{name}");
    }
}

#[test]
fn when_ascii_hex_hides_an_opening_script_should_fail() {
    let check = safety(&opening_script_behind("/Filter /ASCIIHexDecode", ascii_hex));
    assert_eq!((check.result, check.detail.as_str()), (CheckResult::Fail, OPENS_A_SCRIPT));
    let check = safety(&opening_script_behind("/Filter /AHx", ascii_hex));
    assert_eq!(check.detail, OPENS_A_SCRIPT, "the abbreviation");
}

#[test]
fn when_ascii85_hides_an_opening_script_should_fail() {
    let check = safety(&opening_script_behind("/Filter /ASCII85Decode", ascii85));
    assert_eq!((check.result, check.detail.as_str()), (CheckResult::Fail, OPENS_A_SCRIPT));
    assert_eq!(safety(&opening_script_behind("/Filter /A85", ascii85)).detail, OPENS_A_SCRIPT);
}

#[test]
fn when_lzw_hides_an_opening_script_should_fail() {
    let check = safety(&opening_script_behind("/Filter /LZWDecode", lzw));
    assert_eq!((check.result, check.detail.as_str()), (CheckResult::Fail, OPENS_A_SCRIPT));
    let explicit = opening_script_behind("/Filter /LZW /DecodeParms << /EarlyChange 1 >>", lzw);
    assert_eq!(safety(&explicit).detail, OPENS_A_SCRIPT);
}

#[test]
fn when_run_length_hides_an_opening_script_should_fail() {
    let check = safety(&opening_script_behind("/Filter /RunLengthDecode", run_length));
    assert_eq!((check.result, check.detail.as_str()), (CheckResult::Fail, OPENS_A_SCRIPT));
    assert_eq!(safety(&opening_script_behind("/Filter /RL", run_length)).detail, OPENS_A_SCRIPT);
}

#[test]
fn when_a_filter_chain_hides_an_opening_script_should_fail() {
    let chains: [(&str, Encoder); 4] = [
        ("/Filter [/ASCII85Decode /FlateDecode]", |d| ascii85(&flate(d))),
        ("/Filter [/AHx /LZW]", |d| ascii_hex(&lzw(d))),
        ("/Filter [/A85 /RL /Fl]", |d| ascii85(&run_length(&flate(d)))),
        ("/Filter [/Fl /AHx] /DecodeParms [<< /Predictor 1 >> null]", |d| flate(&ascii_hex(d))),
    ];
    for (filter, encode) in chains {
        let check = safety(&opening_script_behind(filter, encode));
        assert_eq!((check.result, check.detail.as_str()), (CheckResult::Fail, OPENS_A_SCRIPT), "{filter}");
    }
}

#[test]
fn when_an_xfa_form_carries_a_script_should_fail() {
    let xfa = b"<xdp:xdp xmlns:xdp=\"http://ns.adobe.com/xdp/\"><template><subform name=\"form1\">\
        <event activity=\"initialize\"><script contentType=\"application/x-javascript\">app.alert(1)</script>\
        </event></subform></template></xdp:xdp>";
    let form = object(5, "<< /Fields [] /XFA [(template) 7 0 R] >>");
    for dict in ["/Filter /FlateDecode", "/Filter /FlateDecode /Subtype /Image /Width 1 /Height 1"] {
        let pdf = pdf(Some("/AcroForm 5 0 R "), &[form.clone(), stream(7, dict, &flate(xfa))]);
        let check = safety(&pdf);
        assert_eq!(
            (check.result, check.detail.as_str()),
            (CheckResult::Fail, "the PDF carries JavaScript in an XFA form inside an encoded stream"),
            "{dict}"
        );
    }
}

#[test]
fn when_an_xfa_form_has_no_script_should_pass() {
    let xfa = b"<template><subform name=\"form1\"><field name=\"scripted\"/><description>no scripts</description></subform></template>";
    let form = object(5, "<< /Fields [] /XFA 7 0 R >>");
    let check = safety(&pdf(Some("/AcroForm 5 0 R "), &[form, stream(7, "/Filter /Fl", &flate(xfa))]));
    assert_eq!(check.result, CheckResult::Pass, "{}", check.detail);
}

#[test]
fn when_an_object_stream_holds_a_launch_action_should_fail() {
    let launch = "<< /S /Launch /F (calc.exe) >>";
    for (filter, encode) in [("/Filter /Fl", flate as Encoder), ("/Filter /AHx", ascii_hex), ("/Filter /LZW", lzw)] {
        let pdf = pdf(Some("/OpenAction 5 0 R "), &[object_stream(6, filter, encode, &[(5, launch)])]);
        assert!(!contains(&pdf, b"Launch"));
        let check = safety(&pdf);
        assert_eq!(
            (check.result, check.detail.as_str()),
            (CheckResult::Fail, "the PDF has a launch action inside an encoded object stream"),
            "{filter}"
        );
    }
}

#[test]
fn when_names_are_hex_escaped_inside_an_encoded_object_stream_should_fail() {
    let pdf = pdf(None, &[object_stream(6, "/Filter /A85", ascii85, &[(1, &catalog_opening(ESCAPED_SCRIPT))])]);
    assert_eq!(safety(&pdf).detail, OPENS_A_SCRIPT);
    let plain = pdf_builders::pdf(None, &[object(1, &catalog_opening(ESCAPED_SCRIPT))]);
    assert_eq!(safety(&plain).detail, "the PDF runs JavaScript when opened");
}

#[test]
fn when_a_filter_bomb_passes_the_cap_should_fail_as_too_large() {
    let zeros = vec![0u8; 5 << 20];
    let bombs: [(&str, Vec<u8>); 5] = [
        ("/Filter /RL", run_length(&zeros)),
        ("/Filter /LZW", lzw(&zeros)),
        ("/Filter /LZWDecode", lzw_zeros(zeros.len())),
        ("/Filter [/Fl /Fl]", compress_to_vec_zlib(&compress_to_vec_zlib(&zeros, 9), 9)),
        ("/Filter [/A85 /Fl]", ascii85(&compress_to_vec_zlib(&zeros, 9))),
    ];
    for (filter, data) in bombs {
        assert!(data.len() < 128 * 1024, "{filter}: a bomb is small ({} bytes)", data.len());
        let check = safety(&pdf(Some(""), &[stream(7, filter, &data)]));
        assert_eq!(
            (check.result, check.detail.as_str()),
            (CheckResult::Fail, "the PDF has encoded content too large to inspect"),
            "{filter}"
        );
    }
}

#[test]
fn when_a_benign_pdf_uses_many_filters_should_pass() {
    let content = b"q 1 0 0 1 72 720 cm BT /F1 12 Tf (Statement of account) Tj ET Q\n";
    // An object stream with PNG "Up" prediction over rows of 16 bytes.
    let (objects, first) = object_stream_content(&[
        (8, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"),
        (9, "<< /Type /ExtGState /CA 1 >>"),
    ]);
    let mut predicted = Vec::new();
    let mut above = [0u8; 16];
    for row in objects.chunks(16) {
        predicted.push(2);
        predicted.extend(row.iter().zip(above).map(|(&x, up)| x.wrapping_sub(up)));
        above[..row.len()].copy_from_slice(row);
    }
    let pdf = pdf(
        Some("/OpenAction [3 0 R /Fit] /Metadata 12 0 R "),
        &[
            stream(4, "/Filter [/A85 /Fl]", &ascii85(&flate(content))),
            stream(
                6,
                &format!("/Type /ObjStm /N 2 /First {first} /Filter /Fl /DecodeParms << /Predictor 12 /Columns 16 >>"),
                &flate(&predicted),
            ),
            stream(
                10,
                "/Type /XObject /Subtype /Image /Width 2 /Height 2 /Filter [/A85 /DCTDecode]",
                &ascii85(&[0xFF, 0xD8, 0xFF, 0xD9]),
            ),
            stream(11, "/Filter [/AHx /LZW /RL]", &ascii_hex(&lzw(&run_length(content)))),
            stream(
                12,
                "/Type /Metadata /Subtype /XML",
                b"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF/></x:xmpmeta>",
            ),
            stream(13, "/Filter /Crypt", content),
        ],
    );
    let check = safety(&pdf);
    assert_eq!(check.result, CheckResult::Pass, "{}", check.detail);
}

#[test]
fn when_a_pdf_submits_goes_remote_links_out_or_attaches_a_file_should_fail_naming_it() {
    let cases = [
        ("<< /S /SubmitForm /F (https://example.com/collect) >>", "the PDF has a submit-form action"),
        ("<< /S /GoToR /F (other.pdf) /D [0 /Fit] >>", "the PDF has a remote go-to action"),
        ("<< /S /GoToE /T << /R /C /N (x) >> >>", "the PDF has a remote go-to action"),
        ("<< /S /URI /URI (https://example.com/) >>", "the PDF has a URI action"),
        ("<< /Type /Annot /Subtype /FileAttachment /FS 9 0 R >>", "the PDF carries embedded files"),
    ];
    for (value, detail) in cases {
        let check = safety(&pdf(
            None,
            &[object_stream(6, "/Filter /A85", ascii85, &[(1, "<< /Type /Catalog >>"), (5, value)])],
        ));
        assert_eq!(
            (check.result, check.detail),
            (CheckResult::Fail, format!("{detail} inside an encoded object stream")),
            "{value}"
        );
    }
}

#[test]
fn when_additional_actions_run_a_script_should_say_so() {
    let page = "<< /Type /Page /Parent 2 0 R /AA << /O 5 0 R >> >>";
    let pdf = pdf(Some(""), &[object(4, page), object(5, SCRIPT)]);
    assert_eq!(safety(&pdf).detail, "the PDF runs JavaScript on a page, link or form event");
    let inline = pdf_builders::pdf(
        Some(""),
        &[object_stream(6, "/Filter /RL", run_length, &[(4, &page.replace("5 0 R", SCRIPT))])],
    );
    assert_eq!(
        safety(&inline).detail,
        "the PDF runs JavaScript on a page, link or form event inside an encoded object stream"
    );
}

#[test]
fn when_a_stream_cannot_be_decoded_should_warn_saying_why_without_quoting_the_file() {
    let cases = [
        (stream(7, "/Filter /ScriptHidingDecode", b"data"), "an unknown filter"),
        (stream(7, "/Filter /A85", b"<~ab\x7fcd~>"), "corrupt or truncated encoded data"),
        (stream(7, "/Filter /FlateDecode", b"x\x9c\xff\xff\xff\xff"), "corrupt or truncated encoded data"),
        (
            stream(7, "/Type /ObjStm /N 1 /First 4 /Filter /JBIG2Decode", b"\x97JB2"),
            "an image filter on a stream that is not an image",
        ),
        (stream(7, "/Filter 40 0 R", b"data"), "a filter given by a reference that could not be followed"),
        (stream(7, "/Filter /LZW /DecodeParms << /Predictor 7 >>", b"data"), "unsupported decoding parameters"),
        (stream(7, "/Filter [/AHx /AHx /AHx /AHx /AHx /AHx /AHx]", b"data"), "too many filters in a chain"),
        (stream(7, "/Filter /Crypt /DecodeParms << /Name /StdCF >>", b"data"), "an encryption filter"),
    ];
    for (object, why) in cases {
        let check = safety(&pdf(Some(""), &[object]));
        assert_eq!(
            (check.result, check.detail),
            (
                CheckResult::Warn,
                format!("the PDF has a stream that could not be decoded and was not inspected ({why})")
            ),
        );
    }
    let check = safety(&pdf(Some(""), &[stream(7, "/Filter /ScriptHidingDecode", b"data")]));
    assert!(!check.detail.contains("ScriptHiding"));
}

#[test]
fn when_an_indirect_filter_is_defined_in_the_file_should_follow_it() {
    let pdf = pdf(
        None,
        &[
            object(40, "[/A85 /Fl]"),
            stream(
                6,
                "/Type /ObjStm /N 1 /First 4 /Filter 40 0 R",
                &ascii85(&flate(b"1 0 << /Type /Catalog /OpenAction << /S /JavaScript /JS (x) >> >>")),
            ),
        ],
    );
    assert_eq!(safety(&pdf).detail, OPENS_A_SCRIPT);
}

#[test]
fn when_an_endstream_inside_the_data_would_cut_the_stream_short_should_follow_the_length() {
    // ASCII85 digits include every letter of "endstream": with the right /Length, a
    // reader takes all of it as data (two groups of five digits, then the script), and
    // so must the check.
    let mut data = b"endstreamu".to_vec();
    data.extend_from_slice(&ascii85(SCRIPT.as_bytes())[2..]);
    assert!(!contains(&data, b"JavaScript"));
    let pdf = pdf(Some(""), &[stream(7, "/Filter /A85", &data)]);
    let check = safety(&pdf);
    assert_eq!(check.result, CheckResult::Fail, "{}", check.detail);
    assert!(check.detail.starts_with("the PDF carries JavaScript inside an encoded stream"), "{}", check.detail);
}
