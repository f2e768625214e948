//! Bounds-checked reads over a file's bytes, shared by every parser of the documents
//! module: each returns `None` past the end, so a truncated or hostile file cannot make
//! a parser index out of bounds.

pub(super) fn be16(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([s[0], s[1]]))
}

pub(super) fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

pub(super) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

pub(super) fn find_from(haystack: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    find(haystack.get(from..)?, needle).map(|i| i + from)
}
