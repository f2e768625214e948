//! Fuzz-style property: whatever is done to a PDF (bytes flipped, ranges cut, copied
//! or spliced, tokens dropped in, the end cut off), `pdf_safety` returns a check,
//! never panics, and the inspector's heap never grows past what its caps allow.
//!
//! The seeds are the files of the bypass tests, benign files, and filter bombs. A
//! few hundred cases run in the normal `cargo test`. This binary has one test, so the
//! counting allocator sees only the inspector while it measures.

mod pdf_builders;

use kyc_domain::documents::{CHECK_PDF_SAFETY, ContentType, FileLimits, inspect};
use miniz_oxide::deflate::compress_to_vec_zlib;
use pdf_builders::*;
use peak_alloc::PeakAlloc;
use proptest::prelude::*;
use proptest::sample::Index;

#[global_allocator]
static ALLOCATOR: PeakAlloc = PeakAlloc;

const MIB: usize = 1024 * 1024;

/// What every seed starts with.
const HEADER: &[u8] = b"%PDF-1.7\n";

/// What the caps allow at once: a stage's input and output (4 MiB each), and the
/// output's old buffer while the inflater grows it (at most 2 MiB), with slack for
/// the bookkeeping (object index, tokens, tables), which grows with the file.
fn heap_bound(file_len: usize) -> usize {
    11 * MIB + 64 * file_len
}

fn seeds() -> Vec<Vec<u8>> {
    let script_catalog = catalog_opening(SCRIPT);
    let zeros = vec![0u8; 5 * MIB];
    let spaces = compress_to_vec_zlib(&vec![b' '; 4 * MIB - 1024], 9);
    let xfa = b"<template><event><script>app.alert(1)</script></event></template>";
    vec![
        pdf(Some(""), &[]),
        pdf(None, &[object_stream(6, "/Filter /AHx", ascii_hex, &[(1, &script_catalog)])]),
        pdf(None, &[object_stream(6, "/Filter /A85", ascii85, &[(1, &script_catalog)])]),
        pdf(None, &[object_stream(6, "/Filter /LZW", lzw, &[(1, &script_catalog)])]),
        pdf(None, &[object_stream(6, "/Filter /RL", run_length, &[(1, &script_catalog)])]),
        pdf(None, &[object_stream(6, "/Filter [/A85 /Fl]", |d| ascii85(&flate(d)), &[(1, &script_catalog)])]),
        pdf(Some("/AcroForm << /XFA 7 0 R >> "), &[stream(7, "/Filter [/AHx /Fl]", &ascii_hex(&flate(xfa)))]),
        pdf(Some("/OpenAction 5 0 R "), &[object_stream(6, "/Filter /Fl", flate, &[(5, "<< /S /Launch /F (x) >>")])]),
        pdf(
            Some("/OpenAction [3 0 R /Fit] "),
            &[
                stream(4, "/Filter [/A85 /LZW /RL]", &ascii85(&lzw(&run_length(b"BT (hello) Tj ET")))),
                stream(9, "/Subtype /Image /Width 1 /Height 1 /Filter /DCTDecode", &[0xFF, 0xD8, 0xFF, 0xD9]),
                stream(
                    10,
                    "/Filter /Fl /DecodeParms << /Predictor 12 /Columns 4 >>",
                    &flate(&[2, 1, 2, 3, 4, 2, 0, 0, 0, 0]),
                ),
            ],
        ),
        // Bombs: each decodes past the 4 MiB per-stream cap unless a mutation breaks it;
        // the last holds two streams just under it, decoded one after the other.
        pdf(Some(""), &[stream(7, "/Filter /RL", &[129, 0].repeat(5 * MIB / 128))]),
        pdf(Some(""), &[stream(7, "/Filter /LZW", &lzw_zeros(5 * MIB))]),
        pdf(Some(""), &[stream(7, "/Filter [/Fl /Fl]", &compress_to_vec_zlib(&compress_to_vec_zlib(&zeros, 9), 9))]),
        pdf(Some(""), &[stream(20, "/Filter /Fl", &spaces), stream(21, "/Filter /AHx /Filter /Fl", &spaces)]),
    ]
}

/// One change to a file.
#[derive(Debug, Clone)]
enum Edit {
    Flip(Index, u8),
    Delete(Index, usize),
    Duplicate(Index, usize),
    Insert(Index, &'static str),
    Splice(Index, Index, usize),
}

const TOKENS: [&str; 14] = [
    "<<",
    ">>",
    "stream\n",
    "endstream",
    "(",
    ")",
    "/Filter /LZW ",
    "/Filter [/A85 /Fl] ",
    "/Length 5 0 R ",
    " 5 0 obj ",
    "/Type /ObjStm /N 1 /First 0 ",
    "/OpenAction 5 0 R ",
    "/AA << /O 5 0 R >> ",
    "#",
];

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<Index>(), any::<u8>()).prop_map(|(at, byte)| Edit::Flip(at, byte)),
        (any::<Index>(), 1usize..64).prop_map(|(at, len)| Edit::Delete(at, len)),
        (any::<Index>(), 1usize..256).prop_map(|(at, len)| Edit::Duplicate(at, len)),
        (any::<Index>(), proptest::sample::select(TOKENS.to_vec())).prop_map(|(at, token)| Edit::Insert(at, token)),
        (any::<Index>(), any::<Index>(), 1usize..128).prop_map(|(from, to, len)| Edit::Splice(from, to, len)),
    ]
}

fn apply(bytes: &mut Vec<u8>, edit: &Edit) {
    if bytes.is_empty() {
        return;
    }
    match *edit {
        Edit::Flip(ref at, byte) => {
            let at = at.index(bytes.len());
            bytes[at] = byte;
        }
        Edit::Delete(ref at, len) => {
            let at = at.index(bytes.len());
            let end = (at + len).min(bytes.len());
            bytes.drain(at..end);
        }
        Edit::Duplicate(ref at, len) => {
            let at = at.index(bytes.len());
            let end = (at + len).min(bytes.len());
            let copy = bytes[at..end].to_vec();
            bytes.splice(end..end, copy);
        }
        Edit::Insert(ref at, token) => {
            let at = at.index(bytes.len());
            bytes.splice(at..at, token.bytes());
        }
        Edit::Splice(ref from, ref to, len) => {
            let from = from.index(bytes.len());
            let end = (from + len).min(bytes.len());
            let copy = bytes[from..end].to_vec();
            let to = to.index(bytes.len());
            bytes.splice(to..to, copy);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_and_truncated_pdfs_get_a_check_without_panic_within_the_heap_caps(
        seed in any::<Index>(),
        edits in proptest::collection::vec(edit(), 0..6),
        cut in any::<Index>(),
        truncate in any::<bool>(),
    ) {
        let seeds = seeds_once();
        // The header stays, so the file still reads as a PDF and reaches the inspector.
        let seed = &seeds[seed.index(seeds.len())];
        let (header, rest) = seed.split_at(HEADER.len());
        let mut rest = rest.to_vec();
        for edit in &edits {
            apply(&mut rest, edit);
        }
        if truncate {
            rest.truncate(cut.index(rest.len() + 1));
        }
        let bytes = [header, &rest].concat();
        let before = ALLOCATOR.current_usage();
        ALLOCATOR.reset_peak_usage();
        let checks = inspect(ContentType::Pdf, &bytes, bytes.len() as u64, &FileLimits::default());
        let grew = ALLOCATOR.peak_usage().saturating_sub(before);
        prop_assert!(checks.iter().any(|c| c.name == CHECK_PDF_SAFETY), "{checks:?}");
        prop_assert!(grew <= heap_bound(bytes.len()), "{grew} bytes of heap for a {}-byte file", bytes.len());
    }
}

/// The seeds, built once for all cases.
fn seeds_once() -> &'static [Vec<u8>] {
    static SEEDS: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    SEEDS.get_or_init(seeds)
}
