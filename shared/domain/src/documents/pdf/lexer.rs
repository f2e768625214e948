//! PDF syntax, as far as these checks need it: whitespace and delimiters, names (with
//! `#xx` escapes), and a lexer of tokens that skips strings and comments whole. Nothing
//! here allocates: names and words are kept in a small inline buffer, so lexing a
//! dictionary costs no heap however many tokens it has.

pub(super) fn is_whitespace(c: u8) -> bool {
    matches!(c, 0 | b'\t' | b'\n' | 0x0C | b'\r' | b' ')
}

pub(super) fn is_delimiter(c: u8) -> bool {
    matches!(c, b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%')
}

/// The first bytes of a name or word. Longer ones are consumed but not kept whole:
/// no name or keyword that matters is this long, and a cut one equals none of them.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct Short {
    len: u8,
    bytes: [u8; Short::KEEP],
}

impl Short {
    const KEEP: usize = 32;

    fn new() -> Short {
        Short { len: 0, bytes: [0; Short::KEEP] }
    }

    fn push(&mut self, byte: u8) {
        if let Some(slot) = self.bytes.get_mut(usize::from(self.len)) {
            *slot = byte;
        }
        // Counts on past the buffer, so a cut name never equals a short one.
        self.len = self.len.saturating_add(1);
    }

    pub(super) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len).min(Short::KEEP)]
    }

    /// Whether this is exactly `other` (never true of a cut name).
    pub(super) fn is(&self, other: &[u8]) -> bool {
        usize::from(self.len) == other.len() && self.as_bytes() == other
    }

    /// A non-negative integer.
    pub(super) fn integer(&self) -> Option<u64> {
        if self.len == 0 || usize::from(self.len) > 18 || !self.as_bytes().iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.as_bytes().iter().try_fold(0u64, |n, &d| n.checked_mul(10)?.checked_add(u64::from(d - b'0')))
    }
}

/// A name's bytes from just after its `/`, with `#xx` escapes decoded, and the
/// index just past it.
pub(super) fn read_name(b: &[u8], mut i: usize) -> (Short, usize) {
    let mut name = Short::new();
    while let Some(&c) = b.get(i) {
        if is_whitespace(c) || is_delimiter(c) {
            break;
        }
        let escaped = if c == b'#' {
            match (b.get(i + 1).copied().and_then(hex_digit), b.get(i + 2).copied().and_then(hex_digit)) {
                (Some(high), Some(low)) => Some((high << 4) | low),
                _ => None,
            }
        } else {
            None
        };
        let (byte, width) = escaped.map_or((c, 1), |byte| (byte, 3));
        name.push(byte);
        i += width;
    }
    (name, i)
}

pub(super) fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// PDF tokens, as far as these checks need them.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Token {
    DictOpen,
    DictClose,
    ArrayOpen,
    ArrayClose,
    Name(Short),
    /// A number, a keyword (`R`, `obj`, `null`, `true`) or a stray delimiter.
    Word(Short),
    /// A literal or hexadecimal string.
    Text,
}

impl Token {
    /// Whether this is the word `word` (a keyword or a number as written).
    pub(super) fn is_word(&self, word: &[u8]) -> bool {
        matches!(self, Token::Word(w) if w.is(word))
    }

    pub(super) fn is_name(&self, name: &[u8]) -> bool {
        matches!(self, Token::Name(n) if n.is(name))
    }

    pub(super) fn integer(&self) -> Option<u64> {
        match self {
            Token::Word(w) => w.integer(),
            _ => None,
        }
    }
}

/// Tokens from `i` to the end of `b`, each with where it starts. Every step
/// advances, and strings and comments are skipped whole, so this is linear.
pub(super) struct Lexer<'a> {
    pub(super) b: &'a [u8],
    pub(super) i: usize,
}

impl<'a> Lexer<'a> {
    pub(super) fn new(b: &'a [u8], i: usize) -> Lexer<'a> {
        Lexer { b, i }
    }
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
                    self.i = memchr::memchr2(b'\n', b'\r', &b[start..]).map_or(b.len(), |at| start + at);
                    continue;
                }
                b'(' => {
                    self.i = string_end(b, start);
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
                    self.i = memchr::memchr(b'>', &b[start..]).map_or(b.len(), |at| start + at + 1);
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
                    let mut word = Short::new();
                    word.push(c);
                    Token::Word(word)
                }
                _ => {
                    let mut word = Short::new();
                    while let Some(&c) = b.get(self.i).filter(|&&c| !is_whitespace(c) && !is_delimiter(c)) {
                        word.push(c);
                        self.i += 1;
                    }
                    Token::Word(word)
                }
            };
            return Some((start, token));
        }
    }
}

/// Just past the literal string opening at `start` (balanced parentheses, `\`
/// escaping one byte), or the end of `b` when it never closes.
fn string_end(b: &[u8], start: usize) -> usize {
    let mut depth = 0usize;
    let mut i = start;
    while let Some(&c) = b.get(i) {
        i += 1;
        match c {
            b'\\' => i += 1,
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
    i.min(b.len())
}

/// `N G R` at the start of `tokens`: the object number it refers to.
pub(super) fn reference(tokens: &[Token]) -> Option<(u64, u64)> {
    match tokens {
        [number, generation, r, ..] if r.is_word(b"R") => Some((number.integer()?, generation.integer()?)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(b: &[u8]) -> Vec<Token> {
        Lexer::new(b, 0).map(|(_, token)| token).collect()
    }

    fn name(text: &[u8]) -> Token {
        let mut short = Short::new();
        text.iter().for_each(|&c| short.push(c));
        Token::Name(short)
    }

    #[test]
    fn when_pdf_name_is_hex_escaped_should_decode_it() {
        let (name, end) = read_name(b"/J#61va#53cript>>", 1);
        assert!(name.is(b"JavaScript"));
        assert_eq!(end, 15);
    }

    #[test]
    fn when_an_escape_is_not_two_hex_digits_should_keep_the_bytes_as_they_are() {
        let (name, end) = read_name(b"/A#4G ", 1);
        assert!(name.is(b"A#4G"));
        assert_eq!(end, 5);
        let (cut, _) = read_name(b"/JS#6", 1);
        assert!(cut.is(b"JS#6"), "an escape cut off by the end of the bytes is no escape");
    }

    #[test]
    fn when_a_name_is_longer_than_kept_should_equal_no_short_name() {
        let long = [b"/JavaScript".as_slice(), &[b'x'; 40]].concat();
        let (name, end) = read_name(&long, 1);
        assert_eq!(end, long.len());
        assert!(!name.is(b"JavaScript"));
        assert!(!name.is(&long[1..33]), "a cut name is not its first 32 bytes");
    }

    #[test]
    fn when_lexing_a_dictionary_should_give_its_tokens_in_order() {
        let got = tokens(b"<< /Type /ObjStm /N 2 /K [1 0 R] >>");
        assert_eq!(got.len(), 12);
        assert!(got[0] == Token::DictOpen && got[11] == Token::DictClose);
        assert!(got[1] == name(b"Type") && got[2] == name(b"ObjStm"));
        assert_eq!(got[4].integer(), Some(2));
        assert_eq!(reference(&got[7..]), Some((1, 0)));
        assert!(got[6] == Token::ArrayOpen && got[10] == Token::ArrayClose);
    }

    #[test]
    fn when_strings_and_comments_hold_delimiters_should_skip_them_whole() {
        let got = tokens(b"(a (nested) \\) >> string) % comment /JS >>\n<6A 53> /X");
        assert_eq!(got.len(), 3, "a literal string, a hex string and one name");
        assert!(got[0] == Token::Text && got[1] == Token::Text && got[2] == name(b"X"));
    }

    #[test]
    fn when_a_string_never_closes_should_run_to_the_end_and_stop() {
        let got = tokens(b"/A (unterminated << /JS >>");
        assert_eq!(got.len(), 2);
        assert!(got[1] == Token::Text);
    }

    #[test]
    fn when_numbers_are_huge_or_signed_should_not_read_as_integers() {
        let got = tokens(b"99999999999999999999 -1 12");
        assert_eq!(got.iter().map(Token::integer).collect::<Vec<_>>(), [None, None, Some(12)]);
    }
}
