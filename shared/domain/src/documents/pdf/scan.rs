//! Active content: the names a viewer acts on (JavaScript, launch, submit-form,
//! remote go-to and URI actions, embedded and attached files, encryption, XFA forms),
//! told apart from the same bytes by chance inside encoded stream data; XFA `<script>`
//! elements; and what an `/OpenAction` or an `/AA` (additional actions) entry sets off.

use super::filters::value_len;
use super::lexer::{Lexer, Token, is_delimiter, is_whitespace, read_name, reference};
use super::streams::Objects;

/// An action or feature that makes a viewer do something beyond showing the pages.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Active {
    JavaScript,
    Launch,
    SubmitForm,
    /// `/GoToR` and `/GoToE`: open another (or an embedded) document.
    RemoteGoTo,
    /// `/URI`: open a web address.
    Uri,
    /// `/EmbeddedFile(s)` and `/FileAttachment`: files inside the PDF.
    EmbeddedFile,
}

impl Active {
    pub(super) const ALL: [Active; 6] =
        [Active::JavaScript, Active::Launch, Active::SubmitForm, Active::RemoteGoTo, Active::Uri, Active::EmbeddedFile];

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// A set of [`Active`] kinds.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub(super) struct ActiveSet(u8);

impl ActiveSet {
    pub(super) fn insert(&mut self, kind: Active) {
        self.0 |= kind.bit();
    }

    pub(super) fn contains(self, kind: Active) -> bool {
        self.0 & kind.bit() != 0
    }

    pub(super) fn union(self, other: ActiveSet) -> ActiveSet {
        ActiveSet(self.0 | other.0)
    }

    #[cfg(test)]
    pub(super) fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// How the names of some bytes are read.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Rule {
    /// PDF syntax of the file: every name is meant.
    Plain,
    /// A stream's encoded body: long names are kept (they do not occur by chance), but
    /// two- and three-letter ones (`/JS`, `/AA`, `/URI`) may, so they are not.
    EncodedBody,
    /// Decoded content: PDF syntax or plain data, so a short name is meant only as a
    /// whole token, followed by whitespace or a delimiter as a key before its value is.
    Decoded,
}

/// What sets an action off.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Trigger {
    /// `/OpenAction`: opening the document.
    Open,
    /// `/AA`: a page, annotation, field or document event.
    Event,
}

/// What the names of some bytes showed.
#[derive(Default)]
pub(super) struct Names {
    pub(super) active: ActiveSet,
    pub(super) encrypted: bool,
    pub(super) xfa: bool,
    /// Where each trigger's value starts.
    pub(super) triggers: Vec<(Trigger, usize)>,
}

/// Notes the names of `b[range]` read by `rule`.
pub(super) fn scan_names(b: &[u8], from: usize, to: usize, rule: Rule, names: &mut Names) {
    let Some(region) = b.get(from..to) else { return };
    let mut skip_to = from;
    for slash in memchr::memchr_iter(b'/', region) {
        let start = from + slash;
        if start < skip_to {
            continue; // inside the previous name (an escaped slash)
        }
        let (name, end) = read_name(&b[..to], start + 1);
        skip_to = end;
        let meant_if_short = match rule {
            Rule::Plain => true,
            Rule::EncodedBody => false,
            Rule::Decoded => b.get(end).is_some_and(|&c| is_whitespace(c) || is_delimiter(c)),
        };
        match name.as_bytes() {
            b"JavaScript" => names.active.insert(Active::JavaScript),
            b"JS" if meant_if_short => names.active.insert(Active::JavaScript),
            b"Launch" => names.active.insert(Active::Launch),
            b"SubmitForm" => names.active.insert(Active::SubmitForm),
            b"GoToR" | b"GoToE" => names.active.insert(Active::RemoteGoTo),
            b"URI" if meant_if_short => names.active.insert(Active::Uri),
            b"EmbeddedFile" | b"EmbeddedFiles" | b"FileAttachment" => names.active.insert(Active::EmbeddedFile),
            // The trailer's key, in plain syntax or an object stream; in other content
            // it encrypts nothing.
            b"Encrypt" if rule != Rule::EncodedBody => names.encrypted = true,
            b"XFA" => names.xfa = true,
            b"OpenAction" if rule != Rule::EncodedBody => names.triggers.push((Trigger::Open, end)),
            b"AA" if meant_if_short && rule != Rule::EncodedBody => names.triggers.push((Trigger::Event, end)),
            _ => {}
        }
    }
}

/// Whether `content` holds an XML `<script` element (with or without a namespace
/// prefix, any case), as an XFA form carries its scripts.
pub(super) fn has_xml_script(content: &[u8]) -> bool {
    memchr::memchr2_iter(b's', b'S', content).any(|at| {
        content.get(at..at + 6).is_some_and(|word| word.eq_ignore_ascii_case(b"script")) && xml_script_at(content, at)
    })
}

/// `script` at `at` is an element's name: after `<` or `<prefix:`, before whitespace,
/// `>` or `/`.
fn xml_script_at(content: &[u8], at: usize) -> bool {
    let after = content.get(at + 6).is_none_or(|&c| is_whitespace(c) || c == b'>' || c == b'/');
    if !after {
        return false;
    }
    let mut i = at;
    if i > 0 && content[i - 1] == b':' {
        i -= 1;
        while i > 0 && (content[i - 1].is_ascii_alphanumeric() || matches!(content[i - 1], b'_' | b'-' | b'.')) {
            i -= 1;
        }
    }
    i > 0 && content[i - 1] == b'<'
}

/// How many references are followed from all the triggers of a file, and how deep: a
/// real action is one or two objects, and the bound keeps a file of thousands of
/// triggers or a cycle of references from making the scan quadratic.
pub(super) const MAX_LOOKUPS: usize = 64;
const MAX_DEPTH: usize = 3;
/// Bounded: a real action dictionary is small.
const MAX_DICTIONARY: usize = 16 * 1024;

/// What a trigger's value is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Value {
    /// An action (or a destination, which sets off nothing): its `/Next` actions
    /// follow it.
    Action,
    /// An additional-actions dictionary: each entry is an action.
    Additional,
}

/// The active kinds that the value of `trigger` at `at` in `b` sets off: an inline
/// dictionary and the actions it refers to, or a reference to one among the file's
/// objects. `lookups` counts the references followed.
pub(super) fn sets_off(
    b: &[u8],
    trigger: Trigger,
    at: usize,
    objects: &mut Objects<'_>,
    lookups: &mut usize,
) -> ActiveSet {
    let value = match trigger {
        Trigger::Open => Value::Action,
        Trigger::Event => Value::Additional,
    };
    value_at(b, at, value, objects, lookups, 0)
}

fn value_at(
    b: &[u8],
    at: usize,
    value: Value,
    objects: &mut Objects<'_>,
    lookups: &mut usize,
    depth: usize,
) -> ActiveSet {
    // Bounded: a real action dictionary is a few dozen tokens.
    const MAX_TOKENS: usize = 2048;
    let window = &b[..b.len().min(at.saturating_add(MAX_DICTIONARY))];
    let head: Vec<Token> = Lexer::new(window, at).take(3).map(|(_, t)| t).collect();
    if let Some((number, generation)) = reference(&head) {
        return object_sets_off(number, generation, value, objects, lookups, depth);
    }
    if head.first() != Some(&Token::DictOpen) {
        return ActiveSet::default();
    }
    let mut tokens = Vec::new();
    let mut nesting = 0usize;
    for (_, token) in Lexer::new(window, at).take(MAX_TOKENS) {
        tokens.push(token);
        match token {
            Token::DictOpen | Token::ArrayOpen => nesting += 1,
            Token::DictClose | Token::ArrayClose => {
                nesting = nesting.saturating_sub(1);
                if nesting == 0 {
                    break;
                }
            }
            _ => {}
        }
    }
    let mut found = ActiveSet::default();
    for token in &tokens {
        if let Token::Name(name) = token
            && let Some(kind) = action_named(name.as_bytes())
        {
            found.insert(kind);
        }
    }
    // The references to follow: the top-level values that are actions.
    let mut follow = Vec::new();
    let mut k = 1;
    while k < tokens.len() {
        let len = value_len(&tokens[k..]).max(1);
        let Token::Name(key) = tokens[k] else {
            k += len;
            continue;
        };
        let rest = &tokens[k + 1..];
        let len = value_len(rest).max(1).min(rest.len());
        let entry = &rest[..len];
        let is_action = match value {
            Value::Action => key.is(b"Next"),
            Value::Additional => true,
        };
        if is_action {
            match entry {
                [Token::ArrayOpen, items @ ..] => {
                    follow.extend(items.windows(3).filter_map(reference));
                }
                _ => follow.extend(reference(entry)),
            }
        }
        k += 1 + len;
    }
    for (number, generation) in follow {
        found = found.union(object_sets_off(number, generation, Value::Action, objects, lookups, depth));
    }
    found
}

fn object_sets_off(
    number: u64,
    generation: u64,
    value: Value,
    objects: &mut Objects<'_>,
    lookups: &mut usize,
    depth: usize,
) -> ActiveSet {
    if depth >= MAX_DEPTH {
        return ActiveSet::default();
    }
    let file = objects.bytes();
    let starts = objects.definitions(number, generation);
    let mut found = ActiveSet::default();
    for at in starts {
        if *lookups >= MAX_LOOKUPS {
            break;
        }
        *lookups += 1;
        found = found.union(value_at(file, at, value, objects, lookups, depth + 1));
    }
    found
}

/// An action type (or a key only such an action has) by its name.
fn action_named(name: &[u8]) -> Option<Active> {
    Some(match name {
        b"JavaScript" | b"JS" => Active::JavaScript,
        b"Launch" => Active::Launch,
        b"SubmitForm" => Active::SubmitForm,
        b"GoToR" | b"GoToE" => Active::RemoteGoTo,
        b"URI" => Active::Uri,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names_of(b: &[u8], rule: Rule) -> Names {
        let mut names = Names::default();
        scan_names(b, 0, b.len(), rule, &mut names);
        names
    }

    #[test]
    fn when_names_are_plain_syntax_should_note_every_active_kind() {
        let names = names_of(
            b"<< /S /J#61vaScript >> /Launch /SubmitForm /GoToE /URI /FileAttachment /Encrypt /XFA /JS",
            Rule::Plain,
        );
        for kind in Active::ALL {
            assert!(names.active.contains(kind), "{kind:?}");
        }
        assert!(names.encrypted && names.xfa);
    }

    #[test]
    fn when_a_name_only_starts_like_an_active_one_should_not_count() {
        let names = names_of(b"/JavaScriptless /JSX /URIs /Launcher /AAA /OpenActions", Rule::Plain);
        assert!(names.active.is_empty() && names.triggers.is_empty());
    }

    #[test]
    fn when_short_names_lie_in_an_encoded_body_should_not_count() {
        let names = names_of(b"\x91/JS\x00/URI(/AA<</Launch ", Rule::EncodedBody);
        assert!(!names.active.contains(Active::JavaScript) && !names.active.contains(Active::Uri));
        assert!(names.active.contains(Active::Launch), "a long name does not occur by chance");
        assert!(names.triggers.is_empty());
    }

    #[test]
    fn when_short_names_in_decoded_content_are_whole_tokens_should_count() {
        assert!(names_of(b"<</JS(x)>>", Rule::Decoded).active.contains(Active::JavaScript));
        assert!(names_of(b"/URI (https://x)", Rule::Decoded).active.contains(Active::Uri));
        assert!(names_of(b"/JS\x91", Rule::Decoded).active.is_empty(), "followed by a stray byte");
    }

    #[test]
    fn when_triggers_appear_should_record_where_their_values_start() {
        let b = b"/OpenAction 5 0 R /AA << >>";
        let names = names_of(b, Rule::Plain);
        assert_eq!(names.triggers, [(Trigger::Open, 11), (Trigger::Event, 21)]);
    }

    #[test]
    fn when_xfa_content_has_a_script_element_should_find_it() {
        for xml in [
            &b"<event activity=\"initialize\"><script contentType=\"application/x-javascript\">x</script>"[..],
            b"<xfa:script>",
            b"<SCRIPT>",
            b"<script/>",
        ] {
            assert!(has_xml_script(xml), "{}", String::from_utf8_lossy(xml));
        }
        for xml in [&b"<description>scripts</description>"[..], b"<scripted>", b"javascript:", b"(script)"] {
            assert!(!has_xml_script(xml), "{}", String::from_utf8_lossy(xml));
        }
    }

    #[test]
    fn when_a_trigger_refers_to_an_action_should_follow_it_and_its_next_actions() {
        let file = b"1 0 obj << /OpenAction 2 0 R >> endobj 2 0 obj << /S /GoTo /D [3 0 R /Fit] /Next 4 0 R >> endobj \
                     4 0 obj << /S /Launch /F (x) >> endobj";
        let mut objects = Objects::new(file);
        let mut lookups = 0;
        let (trigger, at) = names_of(file, Rule::Plain).triggers[0];
        let set = sets_off(file, trigger, at, &mut objects, &mut lookups);
        assert!(set.contains(Active::Launch) && !set.contains(Active::JavaScript));
    }

    #[test]
    fn when_an_open_action_goes_to_a_page_should_set_off_nothing() {
        let file = b"1 0 obj << /OpenAction [3 0 R /Fit] >> endobj 3 0 obj << /Type /Page >> endobj";
        let mut objects = Objects::new(file);
        let (trigger, at) = names_of(file, Rule::Plain).triggers[0];
        assert!(sets_off(file, trigger, at, &mut objects, &mut 0).is_empty());
    }

    #[test]
    fn when_references_form_a_cycle_should_stop() {
        let file = b"1 0 obj << /Next 2 0 R >> endobj 2 0 obj << /Next 1 0 R >> endobj";
        let mut objects = Objects::new(file);
        let mut lookups = 0;
        assert!(sets_off(file, Trigger::Open, 7, &mut objects, &mut lookups).is_empty());
        assert!(lookups <= MAX_LOOKUPS);
    }
}

#[cfg(test)]
mod additional_actions {
    use super::*;

    #[test]
    fn when_additional_actions_hold_a_script_inline_or_by_reference_should_say_so() {
        let file = b"1 0 obj << /AA << /O << /S /JavaScript /JS (x) >> /C 5 0 R >> >> endobj \
                     5 0 obj << /S /SubmitForm /F (https://x) >> endobj";
        let mut objects = Objects::new(file);
        let mut names = Names::default();
        scan_names(file, 0, file.len(), Rule::Plain, &mut names);
        let (trigger, at) = names.triggers[0];
        assert_eq!(trigger, Trigger::Event);
        let set = sets_off(file, trigger, at, &mut objects, &mut 0);
        assert!(set.contains(Active::JavaScript) && set.contains(Active::SubmitForm));
    }

    #[test]
    fn when_an_action_goes_to_a_page_should_not_follow_the_page() {
        // The page's link annotation opens a web address, but going to the page does not.
        let file = b"1 0 obj << /OpenAction << /S /GoTo /D [3 0 R /Fit] >> >> endobj \
                     3 0 obj << /Type /Page /Annots [4 0 R] >> endobj 4 0 obj << /A << /S /URI >> >> endobj";
        let mut objects = Objects::new(file);
        let mut names = Names::default();
        scan_names(file, 0, file.len(), Rule::Plain, &mut names);
        let (trigger, at) = names.triggers[0];
        assert!(sets_off(file, trigger, at, &mut objects, &mut 0).is_empty());
    }
}
