//! PDF checks: features a reviewer's viewer must never run (JavaScript, launch actions,
//! embedded files) and encryption that hides them, in the file's own bytes and inside
//! its FlateDecode streams. `lexer` reads PDF syntax, `streams` finds and inflates the
//! streams within fixed caps (so a zip bomb costs bounded memory and time), `filters`
//! reads their filter chains and undoes predictors, and `scan` looks for the names.

mod filters;
mod lexer;
mod scan;
mod streams;

use scan::{open_action_runs_script, scan_names};
use streams::{inspect_compressed, stream_bodies};

use crate::documents::Check;

pub const CHECK_PDF_SAFETY: &str = "pdf_safety";

/// Where a dangerous name was seen.
#[derive(Clone, Copy)]
enum Place {
    /// In the file's own bytes.
    Plain,
    /// In the inflated content of a stream that can hold objects (`/Type /ObjStm`,
    /// or `/First` and `/N`).
    ObjectStream,
    /// In the inflated content of any other stream.
    CompressedStream,
}

#[derive(Default, Clone, Copy)]
struct Seen {
    plain: bool,
    object_stream: bool,
    compressed_stream: bool,
}

impl Seen {
    fn mark(&mut self, place: Place) {
        match place {
            Place::Plain => self.plain = true,
            Place::ObjectStream => self.object_stream = true,
            Place::CompressedStream => self.compressed_stream = true,
        }
    }

    fn any(self) -> bool {
        self.plain || self.object_stream || self.compressed_stream
    }

    /// `what`, and where it was seen when that was inside compressed content.
    fn describe(self, what: &str) -> String {
        let hidden = match (self.object_stream, self.compressed_stream) {
            (false, false) => return what.to_string(),
            (true, false) => "inside a compressed object stream",
            (false, true) => "inside a compressed stream",
            (true, true) => "inside compressed streams",
        };
        if self.plain { format!("{what}, also {hidden}") } else { format!("{what} {hidden}") }
    }
}

/// What a PDF carries that a reviewer's viewer might act on.
#[derive(Default)]
struct Findings {
    encrypted: bool,
    javascript: Seen,
    launch: Seen,
    embedded_files: Seen,
    runs_on_open: bool,
    /// Compressed content beyond what may be inflated.
    too_large: bool,
    /// Streams declared `FlateDecode` (or with decode parameters) that could not be
    /// decoded in full.
    undecodable: usize,
}

/// How many `/OpenAction`s are followed, and how many definitions of the object one
/// refers to are read: a real file has one of each, and the bound keeps a file of
/// repeated actions or objects from making the scan quadratic.
const MAX_LOOKUPS: usize = 8;

pub(super) fn safety(b: &[u8]) -> Check {
    let streams = stream_bodies(b);
    let mut findings = Findings::default();
    let open_actions = scan_names(b, &streams, Place::Plain, &mut findings);
    if findings.javascript.any() {
        // Bounded, so a file of repeated `/OpenAction`s cannot make this quadratic.
        findings.runs_on_open = open_actions.iter().take(MAX_LOOKUPS).any(|&at| open_action_runs_script(b, b, at));
    }
    // An encrypted file's streams are ciphertext: inflating them would only fail.
    if !findings.encrypted {
        inspect_compressed(b, &streams, &mut findings);
    }

    let mut failures = Vec::new();
    if findings.encrypted {
        failures.push("the PDF is encrypted and cannot be inspected".to_string());
    }
    if findings.javascript.any() {
        let what =
            if findings.runs_on_open { "the PDF runs JavaScript when opened" } else { "the PDF carries JavaScript" };
        failures.push(findings.javascript.describe(what));
    }
    if findings.launch.any() {
        failures.push(findings.launch.describe("the PDF has a launch action"));
    }
    // Fail rather than warn: whatever lies past the cap was never looked at, and an
    // identity document has no reason to hold that much compressed content, so a
    // warning would let the one file built to hide a script past the cap through.
    if findings.too_large {
        failures.push("the PDF has compressed content too large to inspect".to_string());
    }
    let mut warnings = Vec::new();
    if findings.embedded_files.any() {
        warnings.push(findings.embedded_files.describe("the PDF carries embedded files"));
    }
    match findings.undecodable {
        0 => {}
        1 => warnings.push("the PDF has a compressed stream that could not be decoded".to_string()),
        n => warnings.push(format!("the PDF has {n} compressed streams that could not be decoded")),
    }
    if !failures.is_empty() {
        failures.extend(warnings);
        Check::fail(CHECK_PDF_SAFETY, failures.join("; "))
    } else if !warnings.is_empty() {
        Check::warn(CHECK_PDF_SAFETY, warnings.join("; "))
    } else {
        Check::pass(CHECK_PDF_SAFETY, "no encryption, JavaScript, launch actions or embedded files found")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::{CheckResult, ContentType, FileLimits, inspect};

    fn result(checks: &[Check], name: &str) -> Option<CheckResult> {
        checks.iter().find(|c| c.name == name).map(|c| c.result)
    }

    #[test]
    fn when_js_letters_occur_inside_a_stream_should_not_count_as_script() {
        let pdf = b"%PDF-1.7\n1 0 obj\n<< /Length 8 >>\nstream\nxx/JS yy\nendstream\nendobj\n%%EOF";
        let checks = inspect(ContentType::Pdf, pdf, pdf.len() as u64, &FileLimits::default());
        assert_eq!(result(&checks, CHECK_PDF_SAFETY), Some(CheckResult::Pass));
    }

    #[test]
    fn when_js_key_is_outside_a_stream_should_fail() {
        let pdf = b"%PDF-1.7\n1 0 obj\n<< /J#53 (app.alert(1)) >>\nendobj\n%%EOF";
        let checks = inspect(ContentType::Pdf, pdf, pdf.len() as u64, &FileLimits::default());
        assert_eq!(result(&checks, CHECK_PDF_SAFETY), Some(CheckResult::Fail));
    }
}
