//! Active content: the names a viewer acts on (`/JavaScript`, `/JS`, `/Launch`,
//! `/EmbeddedFile`, `/Encrypt`), told apart from the same bytes inside stream data, and
//! whether an `/OpenAction` runs a script.

use super::lexer::{is_delimiter, is_whitespace, read_name};
use super::streams::Stream;
use super::{Findings, MAX_LOOKUPS, Place};
use crate::documents::bytes::{find, find_from};

/// Notes the dangerous names in `b` and returns where each `/OpenAction`'s value
/// starts. `streams` are `b`'s stream bodies (none in inflated content).
pub(super) fn scan_names(b: &[u8], streams: &[Stream], place: Place, findings: &mut Findings) -> Vec<usize> {
    let mut open_actions = Vec::new();
    let mut next_stream = 0;
    let mut i = 0;
    while let Some(slash) = b.get(i..).and_then(|rest| rest.iter().position(|&c| c == b'/')) {
        let start = i + slash;
        let (name, end) = read_name(b, start + 1);
        while streams.get(next_stream).is_some_and(|s| s.end <= start) {
            next_stream += 1;
        }
        let in_stream = streams.get(next_stream).is_some_and(|s| s.body <= start && start < s.end);
        let js_is_a_key = match place {
            // Two letters can occur by chance in compressed data; outside streams
            // they are a key.
            Place::Plain => !in_stream,
            // Inflated content is PDF syntax (or plain data), so there `/JS` is
            // meaningful, but only as a whole token: followed by whitespace or a
            // delimiter, as a key before its value always is.
            Place::ObjectStream | Place::CompressedStream => {
                b.get(end).is_some_and(|&c| is_whitespace(c) || is_delimiter(c))
            }
        };
        match name.as_slice() {
            b"JavaScript" => findings.javascript.mark(place),
            b"JS" if js_is_a_key => findings.javascript.mark(place),
            b"Launch" => findings.launch.mark(place),
            b"Encrypt" => findings.encrypted = true,
            b"EmbeddedFile" | b"EmbeddedFiles" => findings.embedded_files.mark(place),
            b"OpenAction" => open_actions.push(end),
            _ => {}
        }
        i = end.max(start + 1);
    }
    open_actions
}

/// Whether the value after `/OpenAction` at `i` in `b` (a dictionary, or a
/// reference to one among the objects of `file`) is a JavaScript action.
pub(super) fn open_action_runs_script(b: &[u8], file: &[u8], mut i: usize) -> bool {
    while b.get(i).copied().is_some_and(is_whitespace) {
        i += 1;
    }
    if b.get(i..i + 2) == Some(b"<<") {
        return dictionary_names_script(b, i);
    }
    let Some((object, generation)) = reference_at(b, i) else { return false };
    let header = format!("{object} {generation} obj");
    let mut from = 0;
    let mut looked = 0;
    while let Some(at) = find_from(file, from, header.as_bytes()) {
        from = at + 1;
        if at > 0 && file[at - 1].is_ascii_digit() {
            continue; // "11 0 obj" is not "1 0 obj"
        }
        if dictionary_names_script(file, at + header.len()) {
            return true;
        }
        looked += 1;
        if looked == MAX_LOOKUPS {
            break;
        }
    }
    false
}

/// `N G R` at `i`.
fn reference_at(b: &[u8], i: usize) -> Option<(u32, u32)> {
    let rest = b.get(i..i.saturating_add(32).min(b.len()))?;
    let text = std::str::from_utf8(rest).ok().or_else(|| {
        let valid = rest.iter().position(|c| !c.is_ascii()).unwrap_or(rest.len());
        std::str::from_utf8(&rest[..valid]).ok()
    })?;
    let mut parts = text.split_ascii_whitespace();
    let object = parts.next()?.parse().ok()?;
    let generation = parts.next()?.parse().ok()?;
    let r = parts.next()?;
    r.starts_with('R').then_some((object, generation))
}

/// Whether the dictionary starting at or after `i` names `/JavaScript` or `/JS`.
fn dictionary_names_script(b: &[u8], i: usize) -> bool {
    // Bounded: a real action dictionary is small.
    const MAX_DICTIONARY: usize = 16 * 1024;
    let Some(window) = b.get(i..b.len().min(i.saturating_add(64))) else { return false };
    let Some(open) = find(window, b"<<").map(|at| at + i) else { return false };
    let end = b.len().min(open + MAX_DICTIONARY);
    let mut depth = 0usize;
    let mut j = open;
    while j + 1 < end {
        match (b[j], b[j + 1]) {
            (b'<', b'<') => {
                depth += 1;
                j += 2;
            }
            (b'>', b'>') => {
                depth = depth.saturating_sub(1);
                j += 2;
                if depth == 0 {
                    break;
                }
            }
            (b'/', _) => {
                let (name, next) = read_name(b, j + 1);
                if name == b"JavaScript" || name == b"JS" {
                    return true;
                }
                j = next.max(j + 1);
            }
            _ => j += 1,
        }
    }
    false
}
