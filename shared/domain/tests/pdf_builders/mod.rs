//! Small PDF builders for the `pdf_safety` tests: objects, streams, object streams,
//! and an encoder for each standard filter, written from the filters' definitions so
//! every test file is built in the test, byte by byte.

// Each test binary uses its own share of these builders.
#![allow(dead_code)]

use miniz_oxide::deflate::compress_to_vec_zlib;

/// A PDF of the given objects; object 1 is the catalog, with `catalog_extra`, unless
/// `objects` defines it (then pass `None`).
pub fn pdf(catalog_extra: Option<&str>, objects: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    if let Some(extra) = catalog_extra {
        out.extend(object(1, &format!("<< /Type /Catalog /Pages 2 0 R {extra}>>")));
    }
    out.extend(object(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"));
    out.extend(object(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"));
    for o in objects {
        out.extend_from_slice(o);
    }
    out.extend_from_slice(b"trailer\n<< /Size 20 /Root 1 0 R >>\nstartxref\n0\n%%EOF\n");
    out
}

/// Object `n` with a direct value.
pub fn object(n: u32, value: &str) -> Vec<u8> {
    format!("{n} 0 obj\n{value}\nendobj\n").into_bytes()
}

/// Object `n`: a stream of `data` with `dict` entries after its `/Length`.
pub fn stream(n: u32, dict: &str, data: &[u8]) -> Vec<u8> {
    let mut out = format!("{n} 0 obj\n<< /Length {} {dict} >>\nstream\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\nendstream\nendobj\n");
    out
}

/// An object stream's content (pairs of number and offset, then the objects) and
/// where the first object starts.
pub fn object_stream_content(objects: &[(u32, &str)]) -> (Vec<u8>, usize) {
    let (mut header, mut body) = (String::new(), String::new());
    for (number, value) in objects {
        header.push_str(&format!("{number} {} ", body.len()));
        body.push_str(value);
        body.push('\n');
    }
    let first = header.len();
    ((header + &body).into_bytes(), first)
}

/// One filter's (or a chain's) encoding.
pub type Encoder = fn(&[u8]) -> Vec<u8>;

/// Object `n`: an object stream holding `objects`, encoded by `encode` and declared
/// with `filter` (e.g. `/Filter [/A85 /Fl]`).
pub fn object_stream(n: u32, filter: &str, encode: Encoder, objects: &[(u32, &str)]) -> Vec<u8> {
    let (content, first) = object_stream_content(objects);
    stream(n, &format!("/Type /ObjStm /N {} /First {first} {filter}", objects.len()), &encode(&content))
}

pub fn flate(data: &[u8]) -> Vec<u8> {
    // Padding makes the data Huffman-coded, so nothing of it shows in the plain bytes
    // (a stored block would keep it as it is).
    let mut padded = data.to_vec();
    padded.extend_from_slice(&[b' '; 256]);
    compress_to_vec_zlib(&padded, 6)
}

pub fn ascii_hex(data: &[u8]) -> Vec<u8> {
    let mut out: Vec<u8> = data.iter().flat_map(|b| format!("{b:02x}").into_bytes()).collect();
    out.push(b'>');
    out
}

pub fn ascii85(data: &[u8]) -> Vec<u8> {
    let mut out = b"<~".to_vec();
    for chunk in data.chunks(4) {
        let mut word = [0u8; 4];
        word[..chunk.len()].copy_from_slice(chunk);
        let mut value = u32::from_be_bytes(word);
        if chunk.len() == 4 && value == 0 {
            out.push(b'z');
            continue;
        }
        let mut digits = [0u8; 5];
        for digit in digits.iter_mut().rev() {
            *digit = (value % 85) as u8 + b'!';
            value /= 85;
        }
        out.extend_from_slice(&digits[..chunk.len() + 1]);
    }
    out.extend_from_slice(b"~>");
    out
}

/// RunLengthDecode data of literal runs of three bytes, so no name of four letters or
/// more survives whole in the encoded bytes, and repeat runs for stretches of a byte.
pub fn run_length(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < data.len() {
        let same = data[i..].iter().take(128).take_while(|&&b| b == data[i]).count();
        if same >= 3 {
            out.extend_from_slice(&[(257 - same) as u8, data[i]]);
            i += same;
        } else {
            let n = (data.len() - i).min(3);
            out.push((n - 1) as u8);
            out.extend_from_slice(&data[i..i + n]);
            i += n;
        }
    }
    out.push(128);
    out
}

/// LZWDecode data with `EarlyChange` 1 (the default): 9- to 12-bit codes, most
/// significant bit first, a clear code first, a clear code when the table is full, and
/// the end code last. The encoder's table runs one entry ahead of the decoder's, so it
/// widens its codes one entry later than the decoder does.
pub fn lzw(data: &[u8]) -> Vec<u8> {
    let mut table: std::collections::HashMap<(usize, u8), usize> = std::collections::HashMap::new();
    let mut bits = Bits::default();
    let (mut next, mut width) = (258usize, 9u32);
    bits.put(256, width);
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
        bits.put(code, width);
        table.insert((code, byte), next);
        next += 1;
        if next >= 1 << width && width < 12 {
            width += 1;
        }
        if next == 4096 {
            bits.put(256, width);
            table.clear();
            (next, width) = (258, 9);
        }
        current = Some(usize::from(byte));
    }
    if let Some(code) = current {
        bits.put(code, width);
        // The decoder adds an entry for this last code too, and may widen before the
        // end code.
        if next + 1 >= 1 << width && width < 12 {
            width += 1;
        }
    }
    bits.put(257, width);
    bits.put(0, 7);
    bits.out
}

/// LZWDecode data for `len` zero bytes, written straight from how the decoder grows
/// its table: after the first zero, each code is the entry being defined, one zero
/// longer than the one before (so it stays small however large `len`).
pub fn lzw_zeros(len: usize) -> Vec<u8> {
    let mut bits = Bits::default();
    let (mut next, mut width, mut written, mut run) = (258usize, 9u32, 0usize, 1usize);
    bits.put(256, width);
    bits.put(0, width);
    written += 1;
    while written < len {
        if next == 4095 {
            // Start again before the table fills.
            bits.put(256, width);
            (next, width, run) = (258, 9, 1);
            bits.put(0, width);
            written += 1;
            continue;
        }
        bits.put(next, width);
        run += 1;
        written += run;
        next += 1;
        if next + 1 >= 1 << width && width < 12 {
            width += 1;
        }
    }
    bits.put(257, width);
    bits.put(0, 7);
    bits.out
}

#[derive(Default)]
struct Bits {
    out: Vec<u8>,
    buffer: u64,
    held: u32,
}

impl Bits {
    fn put(&mut self, code: usize, width: u32) {
        self.buffer = (self.buffer << width) | code as u64;
        self.held += width;
        while self.held >= 8 {
            self.held -= 8;
            self.out.push((self.buffer >> self.held) as u8);
        }
    }
}

/// A JavaScript action, and the same with its names hex-escaped.
pub const SCRIPT: &str = "<< /S /JavaScript /JS (app.alert\\(1\\)) >>";
pub const ESCAPED_SCRIPT: &str = "<< /S /J#61vaScr#69pt /J#53 (app.alert\\(1\\)) >>";

/// A catalog that runs `action` when the document opens.
pub fn catalog_opening(action: &str) -> String {
    format!("<< /Type /Catalog /Pages 2 0 R /OpenAction {action} >>")
}
