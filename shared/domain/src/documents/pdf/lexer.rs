//! PDF syntax, as far as these checks need it: whitespace and delimiters, names (with
//! `#xx` escapes), and a lexer of tokens that skips strings and comments whole.

use crate::documents::bytes::find_from;

pub(super) fn is_whitespace(c: u8) -> bool {
    matches!(c, 0 | b'\t' | b'\n' | 0x0C | b'\r' | b' ')
}

pub(super) fn is_delimiter(c: u8) -> bool {
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

/// PDF tokens, as far as these checks need them.
pub(super) enum Token {
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
pub(super) struct Lexer<'a> {
    pub(super) b: &'a [u8],
    pub(super) i: usize,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_pdf_name_is_hex_escaped_should_decode_it() {
        let (name, end) = read_name(b"/J#61va#53cript>>", 1);
        assert_eq!(name, b"JavaScript");
        assert_eq!(end, 15);
    }
}
