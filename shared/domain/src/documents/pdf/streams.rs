//! PDF streams: where their bodies lie, what their dictionaries say, and inflating the
//! compressed ones within fixed caps to scan what comes out.

use miniz_oxide::inflate::{TINFLStatus, decompress_to_vec_zlib_with_limit};

use super::filters::{Predictor, flate_chain, predictor, unpredict_png, unpredict_tiff};
use super::lexer::{Lexer, Token, is_whitespace, read_name};
use super::scan::{open_action_runs_script, scan_names};
use super::{Findings, MAX_LOOKUPS, Place};
use crate::documents::bytes::find_from;

/// Inflated bytes one stream may yield, and one file in all. Real object and content
/// streams are far smaller; a zip bomb stops here instead of exhausting memory and time.
const MAX_INFLATED_PER_STREAM: usize = 4 * 1024 * 1024;
const MAX_INFLATED_PER_FILE: usize = 32 * 1024 * 1024;

/// A stream: `… >>` ending at `dict_end`, then `stream EOL`, the body from `body`
/// up to `end` (where `endstream` starts, or the end of the bytes).
pub(super) struct Stream {
    pub(super) dict_end: usize,
    pub(super) body: usize,
    pub(super) end: usize,
}

/// The streams of `b`, in order and disjoint.
pub(super) fn stream_bodies(b: &[u8]) -> Vec<Stream> {
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

/// Inflates the FlateDecode streams of `b` (and any whose body starts as zlib data,
/// in case its `/Filter` is an indirect reference) and scans what comes out.
pub(super) fn inspect_compressed(b: &[u8], streams: &[Stream], findings: &mut Findings) {
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
        let place =
            if dict.as_ref().is_some_and(|d| d.object_stream) { Place::ObjectStream } else { Place::CompressedStream };

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
            cmf & 0x0F == 8 && cmf >> 4 <= 7 && flg & 0x20 == 0 && ((u16::from(*cmf) << 8) | u16::from(*flg)) % 31 == 0
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
