//! PDF streams and objects: where each stream's body lies, what its dictionary says
//! (its filters, whether it may hold objects, whether it is an image or a font
//! program), and an index of `N G obj` headers to follow references with.
//!
//! Readers find objects by the offsets of the cross-reference table, which a hostile
//! file can make disagree with a reading from the top. So a stream's dictionary is read
//! twice, from its own `N G obj` header (as a reader going by offset sees it) and from
//! the end of the previous stream (as a reading from the top sees it); when the two
//! differ, each is decoded, and a stream counts as an image only if both say so.

use memchr::memmem;

use super::filters::{Chain, chain, value_len};
use super::lexer::{Lexer, Token, is_delimiter, is_whitespace, read_name, reference};

/// A stream: the body from `body` up to `end` (by `/Length` when `endstream` follows
/// it there, else where `endstream` starts, or the end of the bytes).
pub(super) struct Stream {
    pub(super) body: usize,
    pub(super) end: usize,
    /// The dictionary as read from the object's header, then from the previous
    /// stream's end when that reads differently; both `None` when neither is found.
    pub(super) readings: [Option<StreamDict>; 2],
}

impl Stream {
    pub(super) fn readings(&self) -> impl Iterator<Item = &StreamDict> {
        self.readings.iter().flatten()
    }

    /// An object stream by either reading.
    pub(super) fn may_hold_objects(&self) -> bool {
        self.readings().any(|d| d.object_stream || d.may_hold_objects)
    }

    /// Pixels or glyphs by every reading (and some reading found).
    pub(super) fn is_image_or_font(&self) -> bool {
        self.readings[0].is_some() && self.readings().all(|d| d.image || d.glyphs) && !self.may_hold_objects()
    }
}

/// What a stream dictionary says about how to read the stream.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) struct StreamDict {
    pub(super) chain: Chain,
    /// `/Type /ObjStm`.
    pub(super) object_stream: bool,
    /// `/First` and `/N`, which an object stream cannot do without: it might be one,
    /// whatever else it says.
    pub(super) may_hold_objects: bool,
    /// `/Subtype /Image`, or `/Width` and `/Height` (a thumbnail has no subtype).
    pub(super) image: bool,
    /// A font program: `/Length1` (TrueType, Type 1) or a compact font subtype.
    pub(super) glyphs: bool,
    /// A direct `/Length`.
    pub(super) length: Option<u64>,
    /// `/Length N G R`.
    pub(super) length_ref: Option<(u64, u64)>,
}

impl StreamDict {
    /// Reads the tokens of `<< … >>` (all of them, brackets included); `raw` is the
    /// dictionary's bytes.
    fn read(tokens: &[Token], raw: &[u8]) -> StreamDict {
        let mut read = StreamDict {
            chain: Chain::Plain,
            object_stream: false,
            may_hold_objects: holds_object_stream_keys(raw),
            image: false,
            glyphs: false,
            length: None,
            length_ref: None,
        };
        let (mut filter, mut parms) = (None, None);
        let (mut width, mut height) = (false, false);
        // Keys at the top level only: the tokens after the opening `<<`, each key
        // followed by its value.
        let mut k = 1;
        while k + 1 < tokens.len() {
            let Token::Name(key) = tokens[k] else {
                k += value_len(&tokens[k..]).max(1);
                continue;
            };
            let value = &tokens[k + 1..tokens.len() - 1];
            match key.as_bytes() {
                // Readers keep the last of a repeated key; the first wins here only
                // when it is the sole one, so a repeat is read as the last too.
                b"Filter" => filter = Some(value),
                b"DecodeParms" => parms = Some(value),
                b"Type" => read.object_stream |= value.first().is_some_and(|v| v.is_name(b"ObjStm")),
                b"Subtype" => match value.first() {
                    Some(v) if v.is_name(b"Image") => read.image = true,
                    Some(v) if v.is_name(b"Type1C") || v.is_name(b"CIDFontType0C") || v.is_name(b"OpenType") => {
                        read.glyphs = true;
                    }
                    _ => {}
                },
                b"Width" => width = true,
                b"Height" => height = true,
                b"Length1" => read.glyphs = true,
                b"Length" => {
                    read.length_ref = reference(value);
                    read.length = if read.length_ref.is_none() { value.first().and_then(Token::integer) } else { None };
                }
                _ => {}
            }
            k += 1 + value_len(value).max(1).min(value.len());
        }
        read.image |= width && height;
        if let Some(filter) = filter {
            read.chain = chain(filter, parms);
        }
        read
    }
}

/// Whether `/First` and `/N` occur in `dict`, inside strings and comments too: the
/// dictionary found may start in junk that a reader, going by the cross-reference
/// offsets, never parses, so what the tokens say can be wrong; this cannot miss.
fn holds_object_stream_keys(dict: &[u8]) -> bool {
    let (mut first, mut n) = (false, false);
    for slash in memchr::memchr_iter(b'/', dict) {
        let (name, _) = read_name(dict, slash + 1);
        first |= name.is(b"First");
        n |= name.is(b"N");
    }
    first && n
}

/// The streams of a file, in order and disjoint.
pub(super) struct Streams<'a> {
    b: &'a [u8],
    from: usize,
    region_start: usize,
    keyword: memmem::Finder<'static>,
    end_keyword: memmem::Finder<'static>,
    /// Reused for every dictionary, so reading one allocates nothing.
    tokens: Vec<Token>,
}

impl<'a> Streams<'a> {
    pub(super) fn new(b: &'a [u8]) -> Streams<'a> {
        Streams {
            b,
            from: 0,
            region_start: 0,
            keyword: memmem::Finder::new(b"stream"),
            end_keyword: memmem::Finder::new(b"endstream"),
            tokens: Vec::new(),
        }
    }

    /// The next stream; `objects` resolves an indirect `/Length`.
    pub(super) fn next(&mut self, objects: &mut Objects<'a>) -> Option<Stream> {
        let b = self.b;
        loop {
            let at = self.from + self.keyword.find(b.get(self.from..)?)?;
            self.from = at + 6;
            let mut before = at;
            while before > self.region_start && is_whitespace(b[before - 1]) {
                before -= 1;
            }
            if before < self.region_start + 2 || &b[before - 2..before] != b">>" {
                continue;
            }
            // The body starts after the end of the line, as lenient readers take it
            // (strictly, `stream` is followed by CR LF or LF).
            let body = match memchr::memchr2(b'\n', b'\r', &b[self.from..]) {
                Some(eol) => {
                    let eol = self.from + eol;
                    if b[eol] == b'\r' && b.get(eol + 1) == Some(&b'\n') { eol + 2 } else { eol + 1 }
                }
                None => b.len(),
            };
            let readings = self.readings(before);
            let end = readings
                .iter()
                .flatten()
                .find_map(|dict| {
                    let length = match dict.length_ref {
                        Some((number, generation)) => objects.integer(number, generation),
                        None => dict.length,
                    };
                    length_end(b, body, length?)
                })
                .or_else(|| self.end_keyword.find(&b[body..]).map(|at| body + at))
                .unwrap_or(b.len());
            self.region_start = end;
            self.from = end;
            return Some(Stream { body, end, readings });
        }
    }

    /// The stream dictionary ending at `to`: from the last `obj` header before it,
    /// then from the start of the region.
    fn readings(&mut self, to: usize) -> [Option<StreamDict>; 2] {
        let b = self.b;
        let region = &b[self.region_start..to];
        let header = memmem::rfind(region, b"obj").map(|at| self.region_start + at + 3);
        let from_header = header.and_then(|from| self.dictionary(from, to));
        // Only a string, a comment or a dictionary before the header can make a reading
        // from the top differ; the common region (`endstream endobj N G obj`) has none.
        let plain_before_header =
            header.is_some_and(|from| memchr::memchr3(b'(', b'%', b'<', &b[self.region_start..from]).is_none());
        if from_header.is_some() && plain_before_header {
            return [from_header, None];
        }
        let from_region = self.dictionary(self.region_start, to);
        match (from_header, from_region) {
            (Some(a), Some(b)) if a == b => [Some(a), None],
            (None, Some(b)) => [Some(b), None],
            (a, b) => [a, b],
        }
    }

    /// The last complete top-level `<< … >>` in `b[from..to]`, if it ends at `to`.
    fn dictionary(&mut self, from: usize, to: usize) -> Option<StreamDict> {
        let b = self.b.get(..to)?;
        let tokens = &mut self.tokens;
        tokens.clear();
        let mut depth = 0usize;
        let (mut open, mut last) = (0, None);
        for (at, token) in Lexer::new(b, from) {
            match token {
                Token::DictOpen => {
                    if depth == 0 {
                        open = at;
                        tokens.clear();
                        last = None;
                    }
                    depth += 1;
                }
                Token::DictClose if depth > 0 => {
                    depth -= 1;
                    if depth == 0 {
                        tokens.push(token);
                        last = Some((open, at + 2));
                        continue;
                    }
                }
                // Anything after a closed dictionary means it did not end the region.
                _ if depth == 0 => {
                    last = None;
                    continue;
                }
                _ => {}
            }
            tokens.push(token);
        }
        let (open, end) = last.filter(|&(_, end)| end == to)?;
        Some(StreamDict::read(tokens, &b[open..end]))
    }
}

/// Where a body of `length` bytes from `body` ends, if `endstream` follows it there
/// (after an optional end of line), as a reader checks before trusting `/Length`.
fn length_end(b: &[u8], body: usize, length: u64) -> Option<usize> {
    let end = body.checked_add(usize::try_from(length).ok()?)?;
    let mut at = end;
    while b.get(at).copied().is_some_and(is_whitespace) && at < end + 4 {
        at += 1;
    }
    b.get(at..)?.starts_with(b"endstream").then_some(end)
}

/// The objects of a file by their `N G obj` headers, indexed on first use (one pass
/// over the file, however many references are followed). An entry takes 12 bytes and
/// a header at least 8, so the index stays within 1.5 times the file.
pub(super) struct Objects<'a> {
    b: &'a [u8],
    /// (number, generation, where the object's value starts), sorted.
    index: Option<Vec<Entry>>,
}

/// An object number (at most 2^23 in a valid file), its generation (at most 65 535)
/// and where its value starts (files here are far below 4 GiB).
type Entry = (u32, u16, u32);

impl<'a> Objects<'a> {
    pub(super) fn new(b: &'a [u8]) -> Objects<'a> {
        Objects { b, index: None }
    }

    pub(super) fn bytes(&self) -> &'a [u8] {
        self.b
    }

    fn index(&mut self) -> &[Entry] {
        let b = self.b;
        self.index.get_or_insert_with(|| {
            let mut index: Vec<Entry> = memmem::find_iter(b, b"obj")
                .filter(|&at| b.get(at + 3).is_none_or(|&c| is_whitespace(c) || is_delimiter(c)))
                .filter_map(|at| {
                    let (number, generation) = header_before(b, at)?;
                    Some((u32::try_from(number).ok()?, u16::try_from(generation).ok()?, u32::try_from(at + 3).ok()?))
                })
                .collect();
            index.sort_unstable();
            index
        })
    }

    /// Where each definition of object `number` `generation` starts (just after
    /// `obj`), in file order: a file updated in increments can define one several times.
    pub(super) fn definitions(&mut self, number: u64, generation: u64) -> Vec<usize> {
        let (Ok(number), Ok(generation)) = (u32::try_from(number), u16::try_from(generation)) else {
            return Vec::new();
        };
        let index = self.index();
        let start = index.partition_point(|&(n, g, _)| (n, g) < (number, generation));
        let end = index.partition_point(|&(n, g, _)| (n, g) <= (number, generation));
        index[start..end].iter().map(|&(_, _, at)| at as usize).collect()
    }

    /// The value of object `number` as a direct integer, by its last definition.
    pub(super) fn integer(&mut self, number: u64, generation: u64) -> Option<u64> {
        let b = self.b;
        let at = *self.definitions(number, generation).last()?;
        Lexer::new(b, at).next().and_then(|(_, token)| token.integer())
    }

    /// The filter chain an indirect `/Filter` refers to, by its last definition.
    pub(super) fn chain(&mut self, number: u64, generation: u64) -> Option<Chain> {
        let b = self.b;
        let at = *self.definitions(number, generation).last()?;
        // A name or an array of names: a few tokens.
        let tokens: Vec<Token> = Lexer::new(b, at).take(2 + super::filters::MAX_CHAIN).map(|(_, t)| t).collect();
        let len = value_len(&tokens);
        match chain(&tokens[..len.min(tokens.len())], None) {
            Chain::Reference(..) => None,
            readable => Some(readable),
        }
    }
}

/// `N G` just before the `obj` at `at` (with whitespace between), if it is a header.
fn header_before(b: &[u8], at: usize) -> Option<(u64, u64)> {
    let digits_before = |end: usize| {
        let start = b[..end].iter().rposition(|c| !c.is_ascii_digit()).map_or(0, |p| p + 1);
        (start < end && end - start <= 18).then_some(start)
    };
    let parse = |s: &[u8]| s.iter().try_fold(0u64, |n, &d| n.checked_mul(10)?.checked_add(u64::from(d - b'0')));
    let ws_before = |end: usize| {
        let start = b[..end].iter().rposition(|&c| !is_whitespace(c)).map_or(0, |p| p + 1);
        (start < end).then_some(start)
    };
    let generation_end = ws_before(at)?;
    let generation_start = digits_before(generation_end)?;
    let number_end = ws_before(generation_start)?;
    let number_start = digits_before(number_end)?;
    if number_start > 0 && !is_whitespace(b[number_start - 1]) && !is_delimiter(b[number_start - 1]) {
        return None;
    }
    Some((parse(&b[number_start..number_end])?, parse(&b[generation_start..generation_end])?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::pdf::filters::Filter;

    fn all(b: &[u8]) -> Vec<Stream> {
        let mut objects = Objects::new(b);
        let mut streams = Streams::new(b);
        std::iter::from_fn(|| streams.next(&mut objects)).collect()
    }

    fn first_filter(stream: &Stream) -> Option<Filter> {
        stream.readings[0].as_ref().and_then(|d| d.chain.stages().next()).map(|s| s.filter)
    }

    #[test]
    fn when_a_stream_follows_its_dictionary_should_find_its_body_after_the_end_of_line() {
        for (eol, skip) in [("\r\n", 2), ("\n", 1), ("\r", 1), ("  \n", 3)] {
            let pdf = format!("1 0 obj << /Length 3 >> stream{eol}abc\nendstream endobj");
            let streams = all(pdf.as_bytes());
            assert_eq!(streams.len(), 1, "{eol:?}");
            let body = pdf.find("stream").map(|at| at + 6 + skip);
            assert_eq!(Some(streams[0].body), body, "{eol:?}");
            assert_eq!(&pdf.as_bytes()[streams[0].body..streams[0].end], b"abc");
        }
    }

    #[test]
    fn when_length_is_right_should_keep_an_endstream_inside_the_body() {
        let body = "A85 data endstream more data";
        let pdf = format!("1 0 obj << /Length {} /Filter /A85 >> stream\n{body}\nendstream endobj", body.len());
        let streams = all(pdf.as_bytes());
        assert_eq!(&pdf.as_bytes()[streams[0].body..streams[0].end], body.as_bytes());
        assert_eq!(first_filter(&streams[0]), Some(Filter::Ascii85));
    }

    #[test]
    fn when_length_is_wrong_or_indirect_should_fall_back_or_follow_it() {
        let pdf = b"1 0 obj << /Length 999 >> stream\nabc\nendstream endobj";
        let streams = all(pdf);
        assert_eq!(&pdf[streams[0].body..streams[0].end], b"abc\n");

        let pdf = b"1 0 obj << /Length 9 0 R >> stream\nab endstream\nendstream endobj 9 0 obj 12 endobj";
        let streams = all(pdf);
        assert_eq!(&pdf[streams[0].body..streams[0].end], b"ab endstream", "the indirect length is followed");
    }

    #[test]
    fn when_stream_keyword_does_not_follow_a_dictionary_should_not_count() {
        let pdf = b"(upstream) /downstream 1 0 obj << >> stream\nx\nendstream";
        let streams = all(pdf);
        assert_eq!(streams.len(), 1);
        assert_eq!(&pdf[streams[0].body..streams[0].end], b"x\n");
    }

    #[test]
    fn when_streams_follow_each_other_should_read_each_dictionary() {
        let pdf = b"1 0 obj << /Type /ObjStm /N 1 /First 4 /Filter [/AHx /Fl] >> stream\nx\nendstream endobj\n\
                    2 0 obj << /Subtype /Image /Width 1 /Height 1 /Filter /DCTDecode >> stream\ny\nendstream endobj\n\
                    3 0 obj << /Length1 10 /Filter /Fl >> stream\nz\nendstream endobj";
        let streams = all(pdf);
        assert_eq!(streams.len(), 3);
        assert!(streams[0].may_hold_objects() && !streams[0].is_image_or_font());
        assert_eq!(first_filter(&streams[0]), Some(Filter::AsciiHex));
        assert!(streams[1].is_image_or_font() && streams[1].readings().all(|d| d.image));
        assert!(streams[2].is_image_or_font() && streams[2].readings().all(|d| d.glyphs && !d.image));
    }

    #[test]
    fn when_junk_before_an_object_misleads_a_reading_from_the_top_should_keep_both_readings() {
        // From the top, object 9's unterminated string runs into object 6's dictionary;
        // from object 6's header, the dictionary is an object stream.
        let pdf = b"9 0 obj << /Subtype /Image /K (\nendobj\n6 0 obj << /Type /ObjStm /N 1 /First 4 % )\n>> stream\nx\nendstream";
        let streams = all(pdf);
        assert_eq!(streams.len(), 1);
        assert!(streams[0].readings[0].is_some_and(|d| d.object_stream));
        assert!(streams[0].may_hold_objects() && !streams[0].is_image_or_font());
    }

    #[test]
    fn when_a_fake_header_hides_inside_a_string_should_still_read_the_real_dictionary() {
        let pdf = b"6 0 obj << /Filter /A85 /T (7 0 obj <<) /Subtype /Image >> stream\nx\nendstream";
        let streams = all(pdf);
        let filters: Vec<_> = streams[0].readings().map(|d| d.chain.stages().next().map(|s| s.filter)).collect();
        assert!(filters.contains(&Some(Filter::Ascii85)), "the reading from the top sees the real filter");
    }

    #[test]
    fn when_objects_are_indexed_should_find_each_definition_and_skip_lookalikes() {
        let pdf = b"1 0 obj 5 endobj 11 0 obj 6 endobj x1 0 obj 7 endobj 1 0 obj 8 endobj 2 0 object";
        let mut objects = Objects::new(pdf);
        assert_eq!(objects.definitions(1, 0).len(), 2);
        assert_eq!(objects.integer(1, 0), Some(8), "the last definition wins");
        assert_eq!(objects.integer(11, 0), Some(6));
        assert_eq!(objects.definitions(2, 0).len(), 0);
        assert_eq!(objects.integer(3, 0), None);
    }

    #[test]
    fn when_a_filter_is_indirect_should_resolve_it_from_its_object() {
        let pdf = b"4 0 obj [/A85 /Fl] endobj";
        let chain = Objects::new(pdf).chain(4, 0);
        let filters: Vec<_> = chain.iter().flat_map(|c| c.stages()).map(|s| s.filter).collect();
        assert_eq!(filters, [Filter::Ascii85, Filter::Flate]);
    }
}
