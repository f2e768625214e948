//! PDF checks: content a reviewer's viewer must never act on (JavaScript in any form,
//! including XFA scripts; launch, submit-form, remote go-to and URI actions; embedded
//! and attached files) and encryption that hides it, in the file's own bytes and inside
//! every stream whatever its filters.
//!
//! One pass over the file: `streams` finds each stream and reads its dictionary,
//! `filters` decodes its content within fixed caps (so a filter bomb costs bounded
//! memory and time), and `scan` reads the names of the plain syntax, of each encoded
//! body and of each decoded content, and what `/OpenAction` and `/AA` set off. `lexer`
//! is the PDF syntax all of them share.
//!
//! Image data (a stream whose dictionary makes it an image, or a font program) is
//! opaque: it is not decoded, since pixels and glyphs hold no objects and a scanned page
//! can decode far past the caps. An image filter (DCT, JPX, CCITT fax, JBIG2) on any
//! other stream cannot be undone here, and a reader would decode it all the same, so
//! such a stream counts as undecodable. When the file is an XFA form, the opaque
//! streams that are not image-encoded are decoded after all, to look for its scripts.

mod filters;
mod lexer;
mod scan;
mod streams;

use std::collections::BTreeSet;

use filters::{Chain, Decoded, Stage, Undecodable, decode, looks_like_zlib};
use scan::{Active, ActiveSet, Names, Rule, Trigger, has_xml_script, scan_names, sets_off};
use streams::{Objects, Stream, Streams};

use crate::documents::Check;

pub const CHECK_PDF_SAFETY: &str = "pdf_safety";

/// Decoded bytes one filter stage may give, and all stages of a file together. Real
/// object and content streams are far smaller; a filter bomb stops here instead of
/// exhausting memory and time.
const MAX_DECODED_PER_STREAM: usize = 4 * 1024 * 1024;
const MAX_DECODED_PER_FILE: usize = 32 * 1024 * 1024;

/// How many `/OpenAction` and `/AA` entries are followed to say what they set off: a
/// real file has a few, and the bound keeps a file of thousands from making the scan
/// quadratic. Past it, the active content is still found, only not what triggers it.
const MAX_TRIGGERS: usize = 64;

/// Where something was seen.
#[derive(Clone, Copy)]
enum Place {
    /// In the file's own bytes.
    Plain,
    /// In the decoded content of a stream that can hold objects (`/Type /ObjStm`,
    /// or `/First` and `/N`).
    ObjectStream,
    /// In the decoded content of any other stream.
    EncodedStream,
}

#[derive(Default, Clone, Copy)]
struct Seen {
    plain: bool,
    object_stream: bool,
    encoded_stream: bool,
}

impl Seen {
    fn mark(&mut self, place: Place) {
        match place {
            Place::Plain => self.plain = true,
            Place::ObjectStream => self.object_stream = true,
            Place::EncodedStream => self.encoded_stream = true,
        }
    }

    fn any(self) -> bool {
        self.plain || self.object_stream || self.encoded_stream
    }

    /// `what`, and where it was seen when that was inside encoded content.
    fn describe(self, what: &str) -> String {
        let hidden = match (self.object_stream, self.encoded_stream) {
            (false, false) => return what.to_string(),
            (true, false) => "inside an encoded object stream",
            (false, true) => "inside an encoded stream",
            (true, true) => "inside encoded streams",
        };
        if self.plain { format!("{what}, also {hidden}") } else { format!("{what} {hidden}") }
    }
}

/// What a PDF carries that a reviewer's viewer might act on.
#[derive(Default)]
struct Findings {
    encrypted: bool,
    /// Per [`Active`] kind, in the order of `Active::ALL`.
    active: [Seen; 6],
    /// What `/OpenAction` and `/AA` were found to set off.
    on_open: ActiveSet,
    on_event: ActiveSet,
    /// An `/XFA` form, and `<script>` elements in stream content.
    xfa: bool,
    xml_script: Seen,
    /// Encoded content beyond what may be decoded.
    too_large: bool,
    /// Streams whose content could not be decoded in full, and why.
    undecodable: usize,
    reasons: BTreeSet<Undecodable>,
    /// Bytes decoded, all stages of all streams.
    #[cfg_attr(not(test), expect(dead_code, reason = "the tests hold the decoding to its cap by it"))]
    decoded: usize,
}

impl Findings {
    fn seen(&mut self, kind: Active) -> &mut Seen {
        &mut self.active[kind as usize]
    }

    /// Notes what `names` showed at `place`.
    fn note(&mut self, names: &Names, place: Place) {
        for kind in Active::ALL {
            if names.active.contains(kind) {
                self.seen(kind).mark(place);
            }
        }
        self.xfa |= names.xfa;
    }

    fn cannot_decode(&mut self, why: Undecodable) {
        self.undecodable += 1;
        self.reasons.insert(why);
    }
}

/// State of one pass over a file.
struct Pass<'a> {
    b: &'a [u8],
    objects: Objects<'a>,
    budget: usize,
    triggers: usize,
    lookups: usize,
    /// Opaque streams that are not image-encoded: looked at again in an XFA form.
    opaque: Vec<(usize, usize, Chain)>,
    /// Found in decoded content (ignored when the file turns out to be encrypted).
    content: Findings,
}

pub(super) fn safety(b: &[u8]) -> Check {
    verdict(&inspect_pdf(b))
}

fn inspect_pdf(b: &[u8]) -> Findings {
    let mut pass = Pass {
        b,
        objects: Objects::new(b),
        budget: MAX_DECODED_PER_FILE,
        triggers: 0,
        lookups: 0,
        opaque: Vec::new(),
        content: Findings::default(),
    };
    let mut plain = Names::default();
    let mut streams = Streams::new(b);
    let mut cursor = 0;
    while let Some(stream) = streams.next(&mut pass.objects) {
        scan_names(b, cursor, stream.body, Rule::Plain, &mut plain);
        scan_names(b, stream.body, stream.end, Rule::EncodedBody, &mut plain);
        cursor = stream.end;
        if !pass.content.too_large {
            pass.inspect_stream(&stream);
        }
    }
    scan_names(b, cursor, b.len(), Rule::Plain, &mut plain);

    let mut findings = Findings { encrypted: plain.encrypted, ..Findings::default() };
    findings.note(&plain, Place::Plain);
    if findings.encrypted {
        // Its strings and streams are ciphertext: what decoding made of them means nothing.
        return findings;
    }
    if plain.xfa || pass.content.xfa {
        pass.inspect_xfa_candidates();
    }
    let active = Active::ALL
        .iter()
        .any(|&kind| findings.active[kind as usize].any() || pass.content.active[kind as usize].any());
    if active {
        for &(trigger, at) in plain.triggers.iter().take(MAX_TRIGGERS.saturating_sub(pass.triggers)) {
            let set = sets_off(b, trigger, at, &mut pass.objects, &mut pass.lookups);
            pass.content.triggered(trigger, set);
        }
    }
    let content = pass.content;
    for (seen, found) in findings.active.iter_mut().zip(content.active) {
        seen.plain |= found.plain;
        seen.object_stream |= found.object_stream;
        seen.encoded_stream |= found.encoded_stream;
    }
    Findings {
        on_open: content.on_open,
        on_event: content.on_event,
        xfa: findings.xfa || content.xfa,
        xml_script: content.xml_script,
        too_large: content.too_large,
        undecodable: content.undecodable,
        reasons: content.reasons,
        decoded: MAX_DECODED_PER_FILE - pass.budget,
        ..findings
    }
}

impl Findings {
    fn triggered(&mut self, trigger: Trigger, set: ActiveSet) {
        match trigger {
            Trigger::Open => self.on_open = self.on_open.union(set),
            Trigger::Event => self.on_event = self.on_event.union(set),
        }
    }
}

impl Pass<'_> {
    fn inspect_stream(&mut self, stream: &Stream) {
        let b = self.b;
        let body = &b[stream.body..stream.end];
        let place = if stream.may_hold_objects() { Place::ObjectStream } else { Place::EncodedStream };
        let mut chains: Vec<Chain> = Vec::with_capacity(2);
        for dict in stream.readings() {
            if !chains.contains(&dict.chain) {
                chains.push(dict.chain);
            }
        }
        if stream.is_image_or_font() {
            for chain in chains.into_iter().filter(|chain| !chain.has_image_filter()) {
                self.opaque.push((stream.body, stream.end, chain));
            }
            return;
        }
        if chains.is_empty() {
            // No dictionary could be read: zlib data is recognised by its header, and
            // a body that merely looked like it is no loss when it is not.
            if looks_like_zlib(body) {
                self.decode_guess(body, place);
            } else if has_xml_script(body) {
                self.content.xml_script.mark(place);
            }
            return;
        }
        for chain in chains {
            let chain = match chain {
                Chain::Reference(number, generation) => match self.objects.chain(number, generation) {
                    Some(resolved) => resolved,
                    None if looks_like_zlib(body) => {
                        if !self.decode_guess(body, place) {
                            self.content.cannot_decode(Undecodable::UnresolvedReference);
                        }
                        continue;
                    }
                    None => {
                        self.content.cannot_decode(Undecodable::UnresolvedReference);
                        continue;
                    }
                },
                other => other,
            };
            match chain {
                Chain::Plain => {
                    // The body is the content; its names were read by the encoded-body
                    // rule, which misses short keys an object stream's content has.
                    if stream.may_hold_objects() {
                        self.scan_content(body, place);
                    } else if has_xml_script(body) {
                        self.content.xml_script.mark(place);
                    }
                }
                Chain::Stages { .. } => self.decode_and_scan(body, chain.stages(), place),
                Chain::Unreadable(why) => self.content.cannot_decode(why),
                Chain::Reference(..) => self.content.cannot_decode(Undecodable::UnresolvedReference),
            }
        }
    }

    /// Decodes `body` as FlateDecode for want of a readable filter; whether it decoded
    /// whole.
    fn decode_guess(&mut self, body: &[u8], place: Place) -> bool {
        let flate = Stage { filter: filters::Filter::Flate, params: filters::Params::default() };
        match decode(body, std::iter::once(flate), MAX_DECODED_PER_STREAM, &mut self.budget) {
            Decoded::Bytes { bytes, clean } => {
                self.scan_content(&bytes, place);
                clean
            }
            Decoded::TooLarge => {
                self.content.too_large = true;
                true
            }
            Decoded::Image | Decoded::Unsupported(_) => false,
        }
    }

    fn decode_and_scan(&mut self, body: &[u8], stages: impl Iterator<Item = Stage>, place: Place) {
        match decode(body, stages, MAX_DECODED_PER_STREAM, &mut self.budget) {
            Decoded::Bytes { bytes, clean } => {
                if !clean {
                    // What did decode is all any reader can get from it: scan it too.
                    self.content.cannot_decode(Undecodable::CorruptData);
                }
                self.scan_content(&bytes, place);
            }
            Decoded::TooLarge => self.content.too_large = true,
            Decoded::Image => self.content.cannot_decode(Undecodable::ImageFilterOnNonImage),
            Decoded::Unsupported(why) => self.content.cannot_decode(why),
        }
    }

    fn scan_content(&mut self, content: &[u8], place: Place) {
        let mut names = Names::default();
        scan_names(content, 0, content.len(), Rule::Decoded, &mut names);
        self.content.note(&names, place);
        for &(trigger, at) in &names.triggers {
            if self.triggers == MAX_TRIGGERS {
                break;
            }
            self.triggers += 1;
            // An inline action is in this content; a referenced one is looked for
            // among the file's plain objects.
            let set = sets_off(content, trigger, at, &mut self.objects, &mut self.lookups);
            self.content.triggered(trigger, set);
        }
        if has_xml_script(content) {
            self.content.xml_script.mark(place);
        }
    }

    /// An XFA form keeps its scripts in streams a hostile file could label as images or
    /// fonts: decode those too (image-encoded ones excepted) and look for scripts.
    fn inspect_xfa_candidates(&mut self) {
        for (start, end, chain) in std::mem::take(&mut self.opaque) {
            if self.content.too_large {
                break;
            }
            let body = &self.b[start..end];
            let script = match chain {
                Chain::Plain => has_xml_script(body),
                Chain::Stages { .. } => match decode(body, chain.stages(), MAX_DECODED_PER_STREAM, &mut self.budget) {
                    Decoded::Bytes { bytes, .. } => has_xml_script(&bytes),
                    Decoded::TooLarge => {
                        self.content.too_large = true;
                        false
                    }
                    Decoded::Image | Decoded::Unsupported(_) => false,
                },
                Chain::Reference(..) | Chain::Unreadable(_) => false,
            };
            if script {
                self.content.xml_script.mark(Place::EncodedStream);
            }
        }
    }
}

/// The check's outcome and reasons: active content and what cannot be inspected fail;
/// content that cannot be decoded warns, so a person looks at the file.
fn verdict(findings: &Findings) -> Check {
    let mut failures = Vec::new();
    if findings.encrypted {
        failures.push("the PDF is encrypted and cannot be inspected".to_string());
    }
    let when = |kind: Active| {
        if findings.on_open.contains(kind) {
            Some("when opened")
        } else if findings.on_event.contains(kind) {
            Some("on a page, link or form event")
        } else {
            None
        }
    };
    let javascript = findings.active[Active::JavaScript as usize];
    if javascript.any() {
        let what = match when(Active::JavaScript) {
            Some(when) => format!("the PDF runs JavaScript {when}"),
            None => "the PDF carries JavaScript".to_string(),
        };
        failures.push(javascript.describe(&what));
    }
    if findings.xfa && findings.xml_script.any() {
        failures.push(findings.xml_script.describe("the PDF carries JavaScript in an XFA form"));
    }
    for (kind, action) in [
        (Active::Launch, "a launch action"),
        (Active::SubmitForm, "a submit-form action"),
        (Active::RemoteGoTo, "a remote go-to action"),
        (Active::Uri, "a URI action"),
    ] {
        let seen = findings.active[kind as usize];
        if seen.any() {
            let what = match when(kind) {
                Some(when) => format!("the PDF has {action} that runs {when}"),
                None => format!("the PDF has {action}"),
            };
            failures.push(seen.describe(&what));
        }
    }
    let embedded = findings.active[Active::EmbeddedFile as usize];
    if embedded.any() {
        failures.push(embedded.describe("the PDF carries embedded files"));
    }
    // Fail rather than warn: whatever lies past the cap was never looked at, and an
    // identity document has no reason to hold that much encoded content, so a
    // warning would let the one file built to hide a script past the cap through.
    if findings.too_large {
        failures.push("the PDF has encoded content too large to inspect".to_string());
    }
    let mut warnings = Vec::new();
    if findings.undecodable > 0 {
        let why: Vec<&str> = findings.reasons.iter().map(|r| r.describe()).collect();
        let streams = match findings.undecodable {
            1 => "a stream".to_string(),
            n => format!("{n} streams"),
        };
        let verb = if findings.undecodable == 1 { "was" } else { "were" };
        warnings.push(format!(
            "the PDF has {streams} that could not be decoded and {verb} not inspected ({})",
            why.join(", ")
        ));
    }
    if !failures.is_empty() {
        failures.extend(warnings);
        Check::fail(CHECK_PDF_SAFETY, failures.join("; "))
    } else if !warnings.is_empty() {
        Check::warn(CHECK_PDF_SAFETY, warnings.join("; "))
    } else {
        Check::pass(
            CHECK_PDF_SAFETY,
            "no encryption, JavaScript, launch, submit-form, remote go-to or URI actions, or embedded files found",
        )
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
    fn when_js_letters_occur_inside_an_unfiltered_stream_should_not_count_as_script() {
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

    /// Object `n`: a stream of `body` with `dict` entries.
    fn stream(n: u32, dict: &str, body: &[u8]) -> Vec<u8> {
        let mut out = format!("{n} 0 obj << /Length {} {dict} >> stream\n", body.len()).into_bytes();
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendstream endobj\n");
        out
    }

    fn pdf_of(objects: &[Vec<u8>]) -> Vec<u8> {
        let mut pdf = b"%PDF-1.7\n".to_vec();
        objects.iter().for_each(|o| pdf.extend_from_slice(o));
        pdf.extend_from_slice(b"trailer << /Root 1 0 R >>\n%%EOF\n");
        pdf
    }

    #[test]
    fn when_many_bombs_are_chained_should_never_decode_more_than_the_file_cap() {
        let zeros = miniz_oxide::deflate::compress_to_vec_zlib(&vec![0u8; 3 << 20], 9);
        let objects: Vec<Vec<u8>> = (0..20).map(|n| stream(10 + n, "/Filter /FlateDecode", &zeros)).collect();
        let findings = inspect_pdf(&pdf_of(&objects));
        assert!(findings.too_large);
        assert!(findings.decoded <= MAX_DECODED_PER_FILE, "{} bytes decoded", findings.decoded);
    }

    #[test]
    fn when_a_stream_is_undecodable_should_warn_with_the_reason_in_words() {
        let objects = [stream(5, "/Filter /Rot13Decode", b"<< /S /Wnin >>"), stream(6, "/Filter /AHx", b"zz")];
        let check = verdict(&inspect_pdf(&pdf_of(&objects)));
        assert_eq!(check.result, CheckResult::Warn);
        assert_eq!(
            check.detail,
            "the PDF has 2 streams that could not be decoded and were not inspected \
             (an unknown filter, corrupt or truncated encoded data)"
        );
        assert!(!check.detail.contains("Rot13"), "the file's own names are never quoted");
    }

    #[test]
    fn when_an_image_filter_is_on_an_object_stream_should_warn() {
        let objects = [stream(5, "/Type /ObjStm /N 1 /First 4 /Filter /CCITTFaxDecode", b"\x00\x01")];
        let check = verdict(&inspect_pdf(&pdf_of(&objects)));
        assert_eq!(check.result, CheckResult::Warn);
        assert!(check.detail.contains("an image filter on a stream that is not an image"), "{}", check.detail);
    }

    #[test]
    fn when_an_image_is_dct_encoded_should_pass_without_decoding() {
        let objects = [stream(5, "/Subtype /Image /Width 2 /Height 2 /Filter [/AHx /DCTDecode]", b"FFD8FFD9>")];
        let findings = inspect_pdf(&pdf_of(&objects));
        assert_eq!(findings.decoded, 0);
        assert_eq!(verdict(&findings).result, CheckResult::Pass);
    }

    #[test]
    fn when_encrypted_should_ignore_what_decoding_ciphertext_gave() {
        let objects = [stream(5, "/Filter /FlateDecode", b"\x78\x9c\xde\xad\xbe\xef")];
        let mut pdf = pdf_of(&objects);
        pdf.extend_from_slice(b"trailer << /Encrypt 9 0 R >>");
        let check = verdict(&inspect_pdf(&pdf));
        assert_eq!(check.detail, "the PDF is encrypted and cannot be inspected");
    }
}
