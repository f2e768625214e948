//! PDF stream filters: which `/Filter` chains are decoded (FlateDecode only, up to a
//! few), and undoing the PNG and TIFF predictors of `/DecodeParms`.

use super::lexer::Token;

/// `/Filter [/FlateDecode /FlateDecode …]`: longer chains are not decoded.
const MAX_FLATE_CHAIN: usize = 4;

#[derive(Clone, Copy)]
pub(super) enum Predictor {
    None,
    Png {
        colors: usize,
        bits: usize,
        columns: usize,
    },
    /// TIFF predictor 2 with 8 bits per component.
    Tiff {
        colors: usize,
        columns: usize,
    },
    Unsupported,
}

/// `/FlateDecode` or `[/FlateDecode …]`: how many.
pub(super) fn flate_chain(value: &[Token]) -> Option<usize> {
    let is_flate = |token: &Token| matches!(token, Token::Name(name) if name == b"FlateDecode" || name == b"Fl");
    match value {
        [first, ..] if is_flate(first) => Some(1),
        [Token::ArrayOpen, rest @ ..] => {
            let n = rest.iter().take_while(|token| is_flate(token)).count();
            (n > 0 && n <= MAX_FLATE_CHAIN && matches!(rest.get(n), Some(Token::ArrayClose))).then_some(n)
        }
        _ => None,
    }
}

/// The predictor in a `/DecodeParms` value: `<< … >>`, `[<< … >>]` or `null`.
pub(super) fn predictor(value: &[Token]) -> Predictor {
    let params = match value {
        [Token::Word(word), ..] if *word == b"null" => return Predictor::None,
        [Token::DictOpen, rest @ ..] | [Token::ArrayOpen, Token::DictOpen, rest @ ..] => rest,
        [Token::ArrayOpen, Token::Word(word), Token::ArrayClose, ..] if *word == b"null" => {
            return Predictor::None;
        }
        // An indirect reference or something stranger.
        _ => return Predictor::Unsupported,
    };
    let mut values = [("Predictor", 1usize), ("Colors", 1), ("BitsPerComponent", 8), ("Columns", 1)];
    let mut depth = 0usize;
    for (k, token) in params.iter().enumerate() {
        match token {
            Token::DictOpen | Token::ArrayOpen => depth += 1,
            Token::DictClose | Token::ArrayClose if depth == 0 => break,
            Token::DictClose | Token::ArrayClose => depth -= 1,
            Token::Name(name) if depth == 0 => {
                let Some(slot) = values.iter_mut().find(|(key, _)| key.as_bytes() == name.as_slice()) else {
                    continue;
                };
                // A direct integer, not the start of `N G R`.
                let number = match &params[k + 1..] {
                    [Token::Word(_), Token::Word(_), Token::Word(r), ..] if *r == b"R" => None,
                    [Token::Word(word), ..] => std::str::from_utf8(word).ok().and_then(|w| w.parse().ok()),
                    _ => None,
                };
                let Some(number) = number else { return Predictor::Unsupported };
                slot.1 = number;
            }
            _ => {}
        }
    }
    let [(_, predictor), (_, colors), (_, bits), (_, columns)] = values;
    if !(1..=64).contains(&colors) || !matches!(bits, 1 | 2 | 4 | 8 | 16) || !(1..=1 << 24).contains(&columns) {
        return Predictor::Unsupported;
    }
    match predictor {
        0 | 1 => Predictor::None,
        2 if bits == 8 => Predictor::Tiff { colors, columns },
        10..=15 => Predictor::Png { colors, bits, columns },
        _ => Predictor::Unsupported,
    }
}

/// Undoes PNG prediction: rows of one filter-type byte and `row` bytes.
pub(super) fn unpredict_png(data: &[u8], colors: usize, bits: usize, columns: usize) -> Vec<u8> {
    // At most 64 × 16 × 2^24 bits; a row longer than the data is cut to it, so
    // nothing larger than the data is allocated.
    let row_bits = (colors as u64) * (bits as u64) * (columns as u64);
    let row = usize::try_from(row_bits.div_ceil(8)).unwrap_or(usize::MAX).min(data.len()).max(1);
    let pixel = (colors * bits).div_ceil(8).max(1);
    let mut out = Vec::with_capacity(data.len());
    let mut previous = vec![0u8; row];
    let mut current = vec![0u8; row];
    for chunk in data.chunks(row + 1) {
        let (kind, src) = (chunk[0], &chunk[1..]);
        for (j, &x) in src.iter().enumerate() {
            let left = if j >= pixel { current[j - pixel] } else { 0 };
            let up = previous[j];
            let up_left = if j >= pixel { previous[j - pixel] } else { 0 };
            current[j] = match kind {
                1 => x.wrapping_add(left),
                2 => x.wrapping_add(up),
                3 => x.wrapping_add(((u16::from(left) + u16::from(up)) / 2) as u8),
                4 => x.wrapping_add(paeth(left, up, up_left)),
                _ => x,
            };
        }
        out.extend_from_slice(&current[..src.len()]);
        std::mem::swap(&mut previous, &mut current);
    }
    out
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

/// Undoes TIFF predictor 2 at 8 bits per component: each byte adds the same
/// component of the pixel to its left.
pub(super) fn unpredict_tiff(data: &[u8], colors: usize, columns: usize) -> Vec<u8> {
    let row = (colors * columns).max(1);
    let mut out = data.to_vec();
    for line in out.chunks_mut(row) {
        for j in colors..line.len() {
            line[j] = line[j].wrapping_add(line[j - colors]);
        }
    }
    out
}
