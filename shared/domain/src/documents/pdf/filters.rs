//! PDF stream filters: reading a `/Filter` chain and its `/DecodeParms`, and decoding
//! every standard general-purpose filter (FlateDecode with its PNG and TIFF predictors,
//! LZWDecode with `EarlyChange`, ASCIIHexDecode, ASCII85Decode, RunLengthDecode, and an
//! identity Crypt filter), each stage within a byte limit so a filter bomb stops at the
//! cap instead of exhausting memory.
//!
//! The decoders are lenient the way the most forgiving reader is (a missing end marker
//! or a stray byte does not stop them), so whatever a viewer could get out of a stream,
//! the scan sees too; they report whether the data was well formed, so corrupt data
//! can still be told apart and sent to a person.
//!
//! The image filters (DCTDecode, JPXDecode, CCITTFaxDecode, JBIG2Decode) are not
//! decoded: what comes out of them is pixels, which neither hold objects nor scripts.
//! The stream layer decides whether a stream may use one (an image may; anything else
//! with one is counted as undecodable, since a reader would decode it all the same).

use miniz_oxide::inflate::TINFLStatus;

use super::lexer::{Token, reference};

/// Longer chains are not decoded (counted as undecodable): real files use one or two
/// filters, and each stage costs a buffer.
pub(super) const MAX_CHAIN: usize = 6;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Filter {
    Flate,
    Lzw,
    AsciiHex,
    Ascii85,
    RunLength,
    /// DCT, JPX, CCITT fax or JBIG2: image data, not decoded.
    Image,
    /// `/Crypt`: decodable only as the identity filter.
    Crypt,
}

/// A filter by its name or abbreviation (the abbreviations are for inline images, but
/// readers take them in streams too).
pub(super) fn filter_named(name: &[u8]) -> Option<Filter> {
    Some(match name {
        b"FlateDecode" | b"Fl" => Filter::Flate,
        b"LZWDecode" | b"LZW" => Filter::Lzw,
        b"ASCIIHexDecode" | b"AHx" => Filter::AsciiHex,
        b"ASCII85Decode" | b"A85" => Filter::Ascii85,
        b"RunLengthDecode" | b"RL" => Filter::RunLength,
        b"DCTDecode" | b"DCT" | b"JPXDecode" | b"CCITTFaxDecode" | b"CCF" | b"JBIG2Decode" => Filter::Image,
        b"Crypt" => Filter::Crypt,
        _ => return None,
    })
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Predictor {
    None,
    Png {
        colors: u8,
        bits: u8,
        columns: u32,
    },
    /// TIFF predictor 2 with 8 bits per component.
    Tiff {
        colors: u8,
        columns: u32,
    },
}

/// What one `/DecodeParms` dictionary says.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) struct Params {
    pub(super) predictor: Predictor,
    /// LZW: the code width grows one code early (the default).
    pub(super) early_change: bool,
    /// Crypt: `/Name /Identity` (the default), which leaves the data as it is.
    pub(super) identity: bool,
}

impl Default for Params {
    fn default() -> Self {
        Params { predictor: Predictor::None, early_change: true, identity: true }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) struct Stage {
    pub(super) filter: Filter,
    pub(super) params: Params,
}

/// Why a stream's content could not be decoded, in words a reviewer can read (never
/// the file's own bytes: a filter's name is chosen by whoever made the file).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub(super) enum Undecodable {
    UnknownFilter,
    ChainTooLong,
    UnsupportedParameters,
    UnresolvedReference,
    EncryptionFilter,
    ImageFilterOnNonImage,
    CorruptData,
}

impl Undecodable {
    pub(super) fn describe(self) -> &'static str {
        match self {
            Undecodable::UnknownFilter => "an unknown filter",
            Undecodable::ChainTooLong => "too many filters in a chain",
            Undecodable::UnsupportedParameters => "unsupported decoding parameters",
            Undecodable::UnresolvedReference => "a filter given by a reference that could not be followed",
            Undecodable::EncryptionFilter => "an encryption filter",
            Undecodable::ImageFilterOnNonImage => "an image filter on a stream that is not an image",
            Undecodable::CorruptData => "corrupt or truncated encoded data",
        }
    }
}

/// A stream's declared filters, as its dictionary gives them.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Chain {
    /// No `/Filter`: the body is the content.
    Plain,
    Stages {
        stages: [Option<Stage>; MAX_CHAIN],
    },
    /// `/Filter N G R`: to be looked up among the file's objects.
    Reference(u64, u64),
    Unreadable(Undecodable),
}

impl Chain {
    pub(super) fn stages(&self) -> impl Iterator<Item = Stage> + '_ {
        let stages: &[Option<Stage>] = match self {
            Chain::Stages { stages } => stages,
            _ => &[],
        };
        stages.iter().map_while(|stage| *stage)
    }

    pub(super) fn has_image_filter(&self) -> bool {
        self.stages().any(|stage| stage.filter == Filter::Image)
    }
}

/// How many tokens the value at the start of `tokens` spans: a balanced dictionary or
/// array, a reference `N G R`, or one token.
pub(super) fn value_len(tokens: &[Token]) -> usize {
    if reference(tokens).is_some() {
        return 3;
    }
    let mut depth = 0usize;
    for (k, token) in tokens.iter().enumerate() {
        match token {
            Token::DictOpen | Token::ArrayOpen => depth += 1,
            Token::DictClose | Token::ArrayClose => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth == 0 {
            return k + 1;
        }
    }
    tokens.len()
}

/// The chain from a `/Filter` value and the `/DecodeParms` value, if any.
pub(super) fn chain(filter: &[Token], parms: Option<&[Token]>) -> Chain {
    if let Some((number, generation)) = reference(filter) {
        return Chain::Reference(number, generation);
    }
    let names: &[Token] = match filter {
        [Token::ArrayOpen, rest @ ..] => {
            let n = rest.iter().take_while(|t| matches!(t, Token::Name(_))).count();
            if !matches!(rest.get(n), Some(Token::ArrayClose)) {
                // An array of references or something stranger.
                return Chain::Unreadable(Undecodable::UnknownFilter);
            }
            &rest[..n]
        }
        [Token::Name(_), ..] => &filter[..1],
        [Token::Word(w), ..] if w.is(b"null") => &[],
        _ => return Chain::Unreadable(Undecodable::UnknownFilter),
    };
    if names.is_empty() {
        return Chain::Plain;
    }
    if names.len() > MAX_CHAIN {
        return Chain::Unreadable(Undecodable::ChainTooLong);
    }
    let mut stages = [None; MAX_CHAIN];
    for (k, token) in names.iter().enumerate() {
        let Token::Name(name) = token else { return Chain::Unreadable(Undecodable::UnknownFilter) };
        let Some(filter) = filter_named(name.as_bytes()) else { return Chain::Unreadable(Undecodable::UnknownFilter) };
        let Some(params) = parms_for(parms, k) else {
            return Chain::Unreadable(Undecodable::UnsupportedParameters);
        };
        stages[k] = Some(Stage { filter, params });
    }
    Chain::Stages { stages }
}

/// The parameters of the `k`-th filter: `<< … >>` (for every filter), `[<< … >> null …]`
/// (one each), `null` or nothing. `None` when they cannot be read (a reference, or
/// values out of range), which makes the stream undecodable rather than guessed at.
fn parms_for(parms: Option<&[Token]>, k: usize) -> Option<Params> {
    let Some(value) = parms else { return Some(Params::default()) };
    match value {
        [Token::Word(w), ..] if w.is(b"null") => Some(Params::default()),
        [Token::DictOpen, ..] => params(value),
        [Token::ArrayOpen, rest @ ..] => {
            let mut at = 0;
            for _ in 0..k {
                if matches!(rest.get(at), None | Some(Token::ArrayClose)) {
                    return Some(Params::default());
                }
                at += value_len(&rest[at..]);
            }
            match rest.get(at..) {
                None | Some([] | [Token::ArrayClose, ..]) => Some(Params::default()),
                Some(element) => parms_for(Some(element), 0),
            }
        }
        _ => None,
    }
}

/// One parameters dictionary, starting with its `<<`.
fn params(dict: &[Token]) -> Option<Params> {
    let len = value_len(dict);
    let inner = dict.get(1..len.saturating_sub(1))?;
    let (mut predictor, mut colors, mut bits, mut columns) = (1u64, 1u64, 8u64, 1u64);
    let mut read = Params::default();
    let mut k = 0;
    while let Some(token) = inner.get(k) {
        let Token::Name(key) = token else {
            k += value_len(&inner[k..]).max(1);
            continue;
        };
        let value = &inner[k + 1..];
        let slot = match key.as_bytes() {
            b"Predictor" => Some(&mut predictor),
            b"Colors" => Some(&mut colors),
            b"BitsPerComponent" => Some(&mut bits),
            b"Columns" => Some(&mut columns),
            b"EarlyChange" => {
                read.early_change = value.first()?.integer()? != 0;
                None
            }
            b"Name" => {
                read.identity = value.first().is_some_and(|v| v.is_name(b"Identity"));
                None
            }
            _ => None,
        };
        if let Some(slot) = slot {
            // A direct integer, not the start of `N G R`.
            if reference(value).is_some() {
                return None;
            }
            *slot = value.first()?.integer()?;
        }
        k += 1 + value_len(value).max(1).min(value.len());
    }
    if !(1..=64).contains(&colors) || !matches!(bits, 1 | 2 | 4 | 8 | 16) || !(1..=1 << 24).contains(&columns) {
        return None;
    }
    // In range, as checked above.
    let (colors, bits, columns) = (colors as u8, bits as u8, columns as u32);
    read.predictor = match predictor {
        1 => Predictor::None,
        2 if bits == 8 => Predictor::Tiff { colors, columns },
        10..=15 => Predictor::Png { colors, bits, columns },
        _ => return None,
    };
    Some(read)
}

/// What decoding a chain gave.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Decoded {
    /// What a reader gets; `clean` is false when the data was corrupt or cut short,
    /// and then `bytes` are what decoded before that.
    Bytes { bytes: Vec<u8>, clean: bool },
    /// A stage would have given more than its limit.
    TooLarge,
    /// An image filter: pixels, not decoded.
    Image,
    /// A filter that cannot be undone here.
    Unsupported(Undecodable),
}

/// Decodes `body` through `stages`. Each stage may give at most `per_stage` bytes and
/// all of them together at most `budget`, which is reduced by what they gave.
pub(super) fn decode(
    body: &[u8],
    stages: impl Iterator<Item = Stage>,
    per_stage: usize,
    budget: &mut usize,
) -> Decoded {
    let stages: Vec<Stage> = stages.collect();
    if stages.iter().any(|stage| stage.filter == Filter::Image) {
        return Decoded::Image;
    }
    if stages.iter().any(|stage| stage.filter == Filter::Crypt && !stage.params.identity) {
        return Decoded::Unsupported(Undecodable::EncryptionFilter);
    }
    let mut data: Option<Vec<u8>> = None;
    let mut clean = true;
    for stage in stages {
        let input = data.as_deref().unwrap_or(body);
        let limit = per_stage.min(*budget);
        let mut out = Sink::new(limit, input.len());
        let step = match stage.filter {
            Filter::Flate => flate(input, &mut out),
            Filter::Lzw => lzw(input, stage.params.early_change, &mut out),
            Filter::AsciiHex => ascii_hex(input, &mut out),
            Filter::Ascii85 => ascii85(input, &mut out),
            Filter::RunLength => run_length(input, &mut out),
            Filter::Crypt => out.extend(input).map(|()| true),
            Filter::Image => return Decoded::Image,
        };
        let Ok(well_formed) = step else { return Decoded::TooLarge };
        let mut bytes = out.into_vec();
        *budget = budget.saturating_sub(bytes.len());
        clean &= well_formed;
        match stage.params.predictor {
            Predictor::None => {}
            _ if !matches!(stage.filter, Filter::Flate | Filter::Lzw) => {}
            Predictor::Png { colors, bits, columns } => {
                unpredict_png(&mut bytes, usize::from(colors), usize::from(bits), columns as usize);
            }
            Predictor::Tiff { colors, columns } => unpredict_tiff(&mut bytes, usize::from(colors), columns as usize),
        }
        data = Some(bytes);
        if !clean {
            // A broken stage's output is all any reader gets: later stages would only
            // decode part of their input, which is no more than this.
            break;
        }
    }
    Decoded::Bytes { bytes: data.unwrap_or_else(|| body.to_vec()), clean }
}

/// The output of one stage, never longer than its limit. It grows by hand, so its
/// capacity never passes the limit either (a doubling `Vec` could reach twice it).
struct Sink {
    out: Vec<u8>,
    limit: usize,
}

/// The stage would give more than its limit.
#[derive(Debug)]
struct Full;

impl Sink {
    fn new(limit: usize, input_len: usize) -> Sink {
        Sink { out: Vec::with_capacity(input_len.min(limit).min(64 * 1024)), limit }
    }

    fn room(&mut self, more: usize) -> Result<(), Full> {
        let want = self.out.len().checked_add(more).filter(|&want| want <= self.limit).ok_or(Full)?;
        if want > self.out.capacity() {
            let grown = self.out.capacity().saturating_mul(2).max(want).min(self.limit);
            self.out.reserve_exact(grown - self.out.len());
        }
        Ok(())
    }

    fn push(&mut self, byte: u8) -> Result<(), Full> {
        self.room(1)?;
        self.out.push(byte);
        Ok(())
    }

    fn repeat(&mut self, byte: u8, count: usize) -> Result<(), Full> {
        self.room(count)?;
        self.out.resize(self.out.len() + count, byte);
        Ok(())
    }

    fn extend(&mut self, bytes: &[u8]) -> Result<(), Full> {
        self.room(bytes.len())?;
        self.out.extend_from_slice(bytes);
        Ok(())
    }

    fn into_vec(self) -> Vec<u8> {
        self.out
    }
}

/// FlateDecode. Data without a zlib header is tried as raw deflate, as some readers
/// do, but never counted as well formed. The output grows by hand, doubling up to the
/// limit and never past it (the inflater's own `…_to_vec` growth may reserve twice it).
fn flate(data: &[u8], out: &mut Sink) -> Result<bool, Full> {
    use miniz_oxide::inflate::core::{DecompressorOxide, decompress, inflate_flags};

    let zlib = looks_like_zlib(data);
    let mut flags = inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
    if zlib {
        flags |= inflate_flags::TINFL_FLAG_PARSE_ZLIB_HEADER;
    }
    let mut state = Box::<DecompressorOxide>::default();
    let mut buffer = vec![0u8; data.len().saturating_mul(2).clamp(1, out.limit.max(1))];
    let (mut input, mut written) = (data, 0);
    let well_formed = loop {
        let (status, consumed, produced) = decompress(&mut state, input, &mut buffer, written, flags);
        written += produced;
        input = input.get(consumed..).unwrap_or_default();
        match status {
            TINFLStatus::Done => break zlib,
            // All the data is there, only its checksum is off; readers ignore that.
            TINFLStatus::Adler32Mismatch => break zlib,
            TINFLStatus::HasMoreOutput => {
                if buffer.len() >= out.limit {
                    return Err(Full);
                }
                let grown = buffer.len().saturating_mul(2).min(out.limit);
                buffer.reserve_exact(grown - buffer.len());
                buffer.resize(grown, 0);
            }
            // Corrupt or cut short: what inflated before that is what readers get.
            _ => break false,
        }
    };
    buffer.truncate(written);
    out.out = buffer;
    Ok(well_formed)
}

/// A zlib header (RFC 1950): deflate, a window of at most 32 KiB, no preset
/// dictionary, and the check bits right.
pub(super) fn looks_like_zlib(body: &[u8]) -> bool {
    match body {
        [cmf, flg, ..] => {
            cmf & 0x0F == 8 && cmf >> 4 <= 7 && flg & 0x20 == 0 && ((u16::from(*cmf) << 8) | u16::from(*flg)) % 31 == 0
        }
        _ => false,
    }
}

/// ASCIIHexDecode: pairs of hex digits up to `>`; whitespace is skipped, an odd last
/// digit stands for its high half. Other bytes are skipped too, but make it malformed.
fn ascii_hex(data: &[u8], out: &mut Sink) -> Result<bool, Full> {
    let mut well_formed = true;
    let mut high: Option<u8> = None;
    for &c in data {
        if c == b'>' {
            break;
        }
        let Some(digit) = super::lexer::hex_digit(c) else {
            well_formed &= super::lexer::is_whitespace(c);
            continue;
        };
        match high.take() {
            Some(h) => out.push((h << 4) | digit)?,
            None => high = Some(digit),
        }
    }
    if let Some(h) = high {
        out.push(h << 4)?;
    }
    Ok(well_formed)
}

/// ASCII85Decode: groups of five digits `!`..`u` for four bytes, `z` for four zeros,
/// a short last group for fewer bytes, up to `~>`. Whitespace and a leading `<~` are
/// skipped; any other byte is skipped too, but makes it malformed.
fn ascii85(data: &[u8], out: &mut Sink) -> Result<bool, Full> {
    let data = data.strip_prefix(b"<~").unwrap_or(data);
    let mut well_formed = true;
    let mut group = [0u8; 5];
    let mut n = 0;
    for &c in data {
        match c {
            b'~' => break,
            b'!'..=b'u' => {
                group[n] = c - b'!';
                n += 1;
                if n == 5 {
                    let (word, fits) = base85(&group);
                    well_formed &= fits;
                    out.extend(&word.to_be_bytes())?;
                    n = 0;
                }
            }
            b'z' if n == 0 => out.extend(&[0; 4])?,
            _ => well_formed &= super::lexer::is_whitespace(c),
        }
    }
    match n {
        0 => {}
        1 => well_formed = false,
        _ => {
            // Padded with the highest digit, then cut to n - 1 bytes.
            group[n..].fill(84);
            let (word, fits) = base85(&group);
            well_formed &= fits;
            out.extend(&word.to_be_bytes()[..n - 1])?;
        }
    }
    Ok(well_formed)
}

/// A group's value, and whether it fits in 32 bits.
fn base85(group: &[u8; 5]) -> (u32, bool) {
    let value = group.iter().fold(0u64, |acc, &d| acc * 85 + u64::from(d));
    (value as u32, value <= u64::from(u32::MAX))
}

/// RunLengthDecode: a length byte `n` then `n + 1` bytes to copy (n < 128), or one byte
/// to repeat `257 - n` times (n > 128); 128 ends the data.
fn run_length(data: &[u8], out: &mut Sink) -> Result<bool, Full> {
    let mut i = 0;
    while let Some(&n) = data.get(i) {
        match n {
            128 => return Ok(true),
            0..=127 => {
                let run = usize::from(n) + 1;
                let end = (i + 1 + run).min(data.len());
                out.extend(&data[i + 1..end])?;
                if end - (i + 1) < run {
                    return Ok(false);
                }
                i = end;
            }
            _ => {
                let Some(&byte) = data.get(i + 1) else { return Ok(false) };
                out.repeat(byte, 257 - usize::from(n))?;
                i += 2;
            }
        }
    }
    Ok(true)
}

/// LZWDecode: variable-width codes of 9 to 12 bits, most significant bit first; 256
/// clears the table, 257 ends the data. With `early_change` the width grows one code
/// early. A full table is kept as it is (no more entries), as lenient readers do.
fn lzw(data: &[u8], early_change: bool, out: &mut Sink) -> Result<bool, Full> {
    const CLEAR: usize = 256;
    const END: usize = 257;
    const SIZE: usize = 4096;
    let mut prefix = vec![0u16; SIZE];
    let mut last = vec![0u8; SIZE];
    let mut first = vec![0u8; SIZE];
    let mut length = vec![0u16; SIZE];
    for code in 0..256 {
        last[code] = code as u8;
        first[code] = code as u8;
        length[code] = 1;
    }
    let early = usize::from(early_change);
    let mut next = 258;
    let mut width = 9;
    let mut previous: Option<usize> = None;
    let mut scratch = vec![0u8; SIZE];
    let mut bits = BitReader { data, at: 0, buffer: 0, held: 0 };
    while let Some(code) = bits.read(width) {
        if code == CLEAR {
            next = 258;
            width = 9;
            previous = None;
            continue;
        }
        if code == END {
            return Ok(true);
        }
        let known = code < next && code != CLEAR && code != END;
        let entry = match previous {
            _ if known => code,
            // The code being defined right now: the previous string and its first byte.
            Some(p) if code == next && next < SIZE => p,
            _ => return Ok(false),
        };
        let mut added = None;
        if let Some(p) = previous
            && next < SIZE
        {
            let follow = if known { first[code] } else { first[p] };
            prefix[next] = p as u16;
            last[next] = follow;
            first[next] = first[p];
            length[next] = length[p] + 1;
            added = Some(next);
            next += 1;
            if next + early >= 1 << width && width < 12 {
                width += 1;
            }
        }
        let write = if known { entry } else { added.unwrap_or(entry) };
        // The string of `write`, from its last byte back to its first.
        let len = usize::from(length[write]);
        let mut at = write;
        for slot in scratch[..len].iter_mut().rev() {
            *slot = last[at];
            at = usize::from(prefix[at]);
        }
        out.extend(&scratch[..len])?;
        previous = Some(code);
    }
    Ok(true)
}

struct BitReader<'a> {
    data: &'a [u8],
    at: usize,
    buffer: u32,
    held: u32,
}

impl BitReader<'_> {
    fn read(&mut self, width: u32) -> Option<usize> {
        while self.held < width {
            let byte = *self.data.get(self.at)?;
            self.at += 1;
            self.buffer = (self.buffer << 8) | u32::from(byte);
            self.held += 8;
        }
        self.held -= width;
        let code = (self.buffer >> self.held) & ((1 << width) - 1);
        self.buffer &= (1 << self.held) - 1;
        Some(code as usize)
    }
}

/// Undoes PNG prediction in place: rows of one filter-type byte and `row` bytes
/// become rows of `row` bytes.
pub(super) fn unpredict_png(data: &mut Vec<u8>, colors: usize, bits: usize, columns: usize) {
    // At most 64 × 16 × 2^24 bits; a row longer than the data is cut to it, so
    // nothing larger than the data is allocated.
    let row_bits = (colors as u64) * (bits as u64) * (columns as u64);
    let row = usize::try_from(row_bits.div_ceil(8)).unwrap_or(usize::MAX).min(data.len()).max(1);
    let pixel = (colors * bits).div_ceil(8).max(1);
    let mut previous = vec![0u8; row];
    let mut written = 0;
    let mut read = 0;
    while read < data.len() {
        let kind = data[read];
        let src_len = (data.len() - read - 1).min(row);
        for j in 0..src_len {
            let x = data[read + 1 + j];
            // Bytes already written in this row sit at `written..`, the row above in
            // `previous`.
            let left = if j >= pixel { data[written + j - pixel] } else { 0 };
            let up = previous[j];
            let up_left = if j >= pixel { previous[j - pixel] } else { 0 };
            data[written + j] = match kind {
                1 => x.wrapping_add(left),
                2 => x.wrapping_add(up),
                3 => x.wrapping_add(((u16::from(left) + u16::from(up)) / 2) as u8),
                4 => x.wrapping_add(paeth(left, up, up_left)),
                _ => x,
            };
        }
        previous[..src_len].copy_from_slice(&data[written..written + src_len]);
        written += src_len;
        read += 1 + src_len;
    }
    data.truncate(written);
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

/// Undoes TIFF predictor 2 at 8 bits per component, in place: each byte adds the same
/// component of the pixel to its left.
pub(super) fn unpredict_tiff(data: &mut [u8], colors: usize, columns: usize) {
    let row = colors.saturating_mul(columns).max(1);
    for line in data.chunks_mut(row) {
        for j in colors..line.len() {
            line[j] = line[j].wrapping_add(line[j - colors]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::pdf::lexer::Lexer;

    const MIB: usize = 1024 * 1024;

    fn tokens(text: &str) -> Vec<Token> {
        Lexer::new(text.as_bytes(), 0).map(|(_, token)| token).collect()
    }

    fn chain_of(filter: &str, parms: Option<&str>) -> Chain {
        let parms = parms.map(tokens);
        chain(&tokens(filter), parms.as_deref())
    }

    fn run(body: &[u8], filter: &str, parms: Option<&str>) -> Decoded {
        let chain = chain_of(filter, parms);
        let mut budget = 32 * MIB;
        decode(body, chain.stages(), 4 * MIB, &mut budget)
    }

    fn bytes(decoded: Decoded) -> (Vec<u8>, bool) {
        match decoded {
            Decoded::Bytes { bytes, clean } => (bytes, clean),
            other => panic!("expected bytes, got {other:?}"),
        }
    }

    // Encoders, written from the filters' definitions, to build test data.

    fn hex(data: &[u8]) -> Vec<u8> {
        let mut out: Vec<u8> = data.iter().flat_map(|b| format!("{b:02X} ").into_bytes()).collect();
        out.push(b'>');
        out
    }

    fn a85(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for chunk in data.chunks(4) {
            let mut word = [0u8; 4];
            word[..chunk.len()].copy_from_slice(chunk);
            let mut value = u32::from_be_bytes(word);
            if chunk.len() == 4 && value == 0 {
                out.push(b'z');
                continue;
            }
            let mut digits = [0u8; 5];
            for d in digits.iter_mut().rev() {
                *d = (value % 85) as u8 + b'!';
                value /= 85;
            }
            out.extend_from_slice(&digits[..chunk.len() + 1]);
        }
        out.extend_from_slice(b"~>");
        out
    }

    fn run_length_encode(data: &[u8]) -> Vec<u8> {
        // Literal runs only (plus one repeat run for a stretch of equal bytes), enough
        // to exercise both kinds.
        let mut out = Vec::new();
        let mut i = 0;
        while i < data.len() {
            let same = data[i..].iter().take(128).take_while(|&&b| b == data[i]).count();
            if same >= 3 {
                out.push((257 - same) as u8);
                out.push(data[i]);
                i += same;
            } else {
                let n = (data.len() - i).min(128);
                out.push((n - 1) as u8);
                out.extend_from_slice(&data[i..i + n]);
                i += n;
            }
        }
        out.push(128);
        out
    }

    /// LZW with 9..12-bit codes, a clear code first and an end code last. The
    /// encoder is one table entry ahead of the decoder, so it widens its codes one
    /// entry later than the decoder does.
    fn lzw_encode(data: &[u8], early_change: bool) -> Vec<u8> {
        let early = usize::from(early_change);
        let mut table: std::collections::HashMap<(usize, u8), usize> = std::collections::HashMap::new();
        let (mut out, mut buffer, mut held) = (Vec::new(), 0u64, 0u32);
        let mut put = |code: usize, width: u32| {
            buffer = (buffer << width) | code as u64;
            held += width;
            while held >= 8 {
                held -= 8;
                out.push((buffer >> held) as u8);
            }
        };
        let (mut next, mut width) = (258usize, 9u32);
        put(256, width);
        let mut current: Option<usize> = None;
        for &byte in data {
            let Some(code) = current else {
                current = Some(usize::from(byte));
                continue;
            };
            if let Some(&longer) = table.get(&(code, byte)) {
                current = Some(longer);
                continue;
            }
            put(code, width);
            table.insert((code, byte), next);
            next += 1;
            if next - 1 + early >= 1 << width && width < 12 {
                width += 1;
            }
            if next == 4096 {
                put(256, width);
                table.clear();
                next = 258;
                width = 9;
            }
            current = Some(usize::from(byte));
        }
        if let Some(code) = current {
            put(code, width);
            // The decoder adds an entry for this code too, and may widen before the end code.
            next += 1;
            if next - 1 + early >= 1 << width && width < 12 {
                width += 1;
            }
        }
        put(257, width);
        put(0, 7);
        out
    }

    fn sample() -> Vec<u8> {
        let mut data = b"<< /S /JavaScript /JS (app.alert(1)) >> ".to_vec();
        for i in 0..3000u32 {
            data.extend_from_slice(format!("{} {} m ", i % 97, i * 7 % 13).as_bytes());
        }
        data
    }

    #[test]
    fn when_filters_are_named_by_abbreviation_should_read_as_the_full_names() {
        let chain = chain_of("[/AHx /A85 /LZW /RL /Fl]", None);
        let filters: Vec<Filter> = chain.stages().map(|s| s.filter).collect();
        assert_eq!(filters, [Filter::AsciiHex, Filter::Ascii85, Filter::Lzw, Filter::RunLength, Filter::Flate]);
        assert_eq!(chain_of("/CCF", None).stages().next().map(|s| s.filter), Some(Filter::Image));
    }

    #[test]
    fn when_a_filter_is_unknown_or_the_chain_too_long_should_say_so() {
        assert_eq!(chain_of("/Rot13Decode", None), Chain::Unreadable(Undecodable::UnknownFilter));
        assert_eq!(chain_of("[/Fl /Fl /Fl /Fl /Fl /Fl /Fl]", None), Chain::Unreadable(Undecodable::ChainTooLong));
        assert_eq!(chain_of("[/Fl 5 0 R]", None), Chain::Unreadable(Undecodable::UnknownFilter));
        assert_eq!(chain_of("12 0 R", None), Chain::Reference(12, 0));
        assert_eq!(chain_of("[]", None), Chain::Plain);
    }

    #[test]
    fn when_decode_parms_is_an_array_should_give_each_filter_its_own() {
        let chain = chain_of("[/A85 /LZW /Fl]", Some("[null << /EarlyChange 0 >> << /Predictor 12 /Columns 5 >>]"));
        let stages: Vec<Stage> = chain.stages().collect();
        assert_eq!(stages[0].params, Params::default());
        assert!(!stages[1].params.early_change);
        assert_eq!(stages[2].params.predictor, Predictor::Png { colors: 1, bits: 8, columns: 5 });
    }

    #[test]
    fn when_decode_parms_cannot_be_read_should_be_unsupported() {
        for parms in ["<< /Predictor 5 0 R >>", "<< /Predictor 99 >>", "<< /Columns 0 /Predictor 12 >>", "7 0 R"] {
            assert_eq!(chain_of("/Fl", Some(parms)), Chain::Unreadable(Undecodable::UnsupportedParameters), "{parms}");
        }
    }

    #[test]
    fn when_data_is_ascii_hex_should_decode_it_with_whitespace_and_an_odd_digit() {
        assert_eq!(bytes(run(b"2F 4a\n53 7>ignored", "/AHx", None)), (b"/JSp".to_vec(), true));
        let data = sample();
        assert_eq!(bytes(run(&hex(&data), "/ASCIIHexDecode", None)), (data, true));
        let (out, clean) = bytes(run(b"2F zz 4A", "/AHx", None));
        assert_eq!((out.as_slice(), clean), (b"/J".as_slice(), false), "a stray byte is skipped but noted");
    }

    #[test]
    fn when_data_is_ascii85_should_decode_groups_z_and_a_short_last_group() {
        let data = sample();
        assert_eq!(bytes(run(&a85(&data), "/A85", None)), (data, true));
        assert_eq!(bytes(run(b"<~z!!~>", "/A85", None)), (vec![0, 0, 0, 0, 0], true));
        assert!(!bytes(run(b"s8W-\"", "/A85", None)).1, "a group over 32 bits is malformed");
        assert!(!bytes(run(b"!!!!!!", "/A85", None)).1, "a last group of one digit is malformed");
    }

    #[test]
    fn when_data_is_run_length_encoded_should_copy_and_repeat() {
        let mut data = sample();
        data.extend_from_slice(&[b' '; 300]);
        assert_eq!(bytes(run(&run_length_encode(&data), "/RL", None)), (data, true));
        assert_eq!(bytes(run(&[5, b'a', b'b'], "/RL", None)), (b"ab".to_vec(), false), "a cut literal run");
        assert_eq!(bytes(run(&[253], "/RL", None)), (Vec::new(), false), "a repeat run without its byte");
    }

    #[test]
    fn when_data_is_lzw_should_decode_it_with_and_without_early_change() {
        let data = sample();
        assert_eq!(bytes(run(&lzw_encode(&data, true), "/LZW", None)), (data.clone(), true));
        assert_eq!(bytes(run(&lzw_encode(&data, false), "/LZW", Some("<< /EarlyChange 0 >>"))), (data, true));
    }

    #[test]
    fn when_lzw_table_fills_and_clears_should_keep_decoding() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        assert_eq!(bytes(run(&lzw_encode(&data, true), "/LZW", None)), (data, true));
    }

    #[test]
    fn when_lzw_code_is_out_of_range_should_stop_as_corrupt() {
        // A clear code, then 0x1FF (511) as the first 9-bit code.
        let (out, clean) = bytes(run(&[0x80, 0x7F, 0xC0, 0x00], "/LZW", None));
        assert!(out.is_empty() && !clean);
    }

    #[test]
    fn when_filters_are_chained_should_decode_each_in_order() {
        let data = sample();
        let encoded =
            hex(&a85(&run_length_encode(&lzw_encode(&miniz_oxide::deflate::compress_to_vec_zlib(&data, 6), true))));
        assert_eq!(bytes(run(&encoded, "[/AHx /A85 /RL /LZW /Fl]", None)), (data, true));
    }

    #[test]
    fn when_flate_data_lacks_a_zlib_header_should_inflate_it_raw_but_count_it_malformed() {
        let data = sample();
        let raw = miniz_oxide::deflate::compress_to_vec(&data, 6);
        assert_eq!(bytes(run(&raw, "/Fl", None)), (data, false));
    }

    #[test]
    fn when_a_stage_would_pass_its_limit_should_be_too_large() {
        let zeros = vec![0u8; 5 * MIB];
        for (encoded, filter) in [
            (miniz_oxide::deflate::compress_to_vec_zlib(&zeros, 1), "/Fl"),
            (lzw_encode(&zeros, true), "/LZW"),
            (run_length_encode(&zeros), "/RL"),
            (a85(&zeros), "/A85"),
        ] {
            assert_eq!(run(&encoded, filter, None), Decoded::TooLarge, "{filter}");
        }
    }

    #[test]
    fn when_the_file_budget_runs_out_should_be_too_large_and_charge_each_stage() {
        let data = vec![b'x'; 1000];
        let chain = chain_of("/AHx", None);
        let mut budget = 1500;
        assert!(matches!(decode(&hex(&data), chain.stages(), 4 * MIB, &mut budget), Decoded::Bytes { .. }));
        assert_eq!(budget, 500);
        assert_eq!(decode(&hex(&data), chain.stages(), 4 * MIB, &mut budget), Decoded::TooLarge);
    }

    #[test]
    fn when_a_chain_has_an_image_filter_should_not_decode_it() {
        assert_eq!(run(b"\xFF\xD8\xFF\xD9", "[/A85 /DCTDecode]", None), Decoded::Image);
        assert_eq!(
            run(b"data", "/Crypt", Some("<< /Name /StdCF >>")),
            Decoded::Unsupported(Undecodable::EncryptionFilter)
        );
        assert_eq!(bytes(run(b"data", "/Crypt", None)), (b"data".to_vec(), true), "the identity crypt filter");
    }

    #[test]
    fn when_rows_are_png_predicted_should_undo_every_row_type() {
        // Two rows of 4 one-byte pixels: None, Sub, Up, Average, Paeth.
        let rows = [[10u8, 20, 30, 40], [11, 22, 33, 44]];
        for kind in 0..=4u8 {
            let mut predicted = Vec::new();
            let mut above = [0u8; 4];
            for row in rows {
                predicted.push(kind);
                for j in 0..4 {
                    let left = if j > 0 { row[j - 1] } else { 0 };
                    let up_left = if j > 0 { above[j - 1] } else { 0 };
                    let guess = match kind {
                        1 => left,
                        2 => above[j],
                        3 => ((u16::from(left) + u16::from(above[j])) / 2) as u8,
                        4 => paeth(left, above[j], up_left),
                        _ => 0,
                    };
                    predicted.push(row[j].wrapping_sub(guess));
                }
                above = row;
            }
            unpredict_png(&mut predicted, 1, 8, 4);
            assert_eq!(predicted, rows.concat(), "row type {kind}");
        }
    }

    #[test]
    fn when_rows_are_tiff_predicted_should_add_the_pixel_to_the_left() {
        let mut data = vec![10, 1, 1, 5, 5, 5];
        unpredict_tiff(&mut data, 1, 3);
        assert_eq!(data, [10, 11, 12, 5, 10, 15]);
    }
}
