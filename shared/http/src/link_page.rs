//! The hosted verification page, rendered on the server: one HTML document, one small
//! script and one style sheet (both served from this API's own origin, nothing else),
//! in the language the browser asks for where a translation exists. The strings live in
//! one JSON file per language (`assets/link-page/lang/*.json`).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use kyc_app::links::LinkSession;
use kyc_domain::documents::DocumentKind;

pub const SCRIPT_PATH: &str = "/assets/link-page.js";
pub const STYLE_PATH: &str = "/assets/link-page.css";
pub const SCRIPT: &str = include_str!("../assets/link-page/page.js");
pub const STYLE: &str = include_str!("../assets/link-page/page.css");

type Strings = BTreeMap<String, String>;

/// Every language the page speaks, the first being the default.
static LANGUAGES: LazyLock<Vec<(&'static str, Strings)>> = LazyLock::new(|| {
    [("en", include_str!("../assets/link-page/lang/en.json")), ("de", include_str!("../assets/link-page/lang/de.json"))]
        .into_iter()
        .map(|(tag, text)| (tag, serde_json::from_str(text).unwrap_or_default()))
        .collect()
});

/// The language tags the page has strings for.
pub fn languages() -> Vec<&'static str> {
    LANGUAGES.iter().map(|(tag, _)| *tag).collect()
}

/// The strings of one language.
pub struct Lang {
    pub tag: &'static str,
    strings: &'static Strings,
}

impl Lang {
    pub fn get(&self, key: &str) -> &str {
        self.strings.get(key).map(String::as_str).or_else(|| LANGUAGES[0].1.get(key).map(String::as_str)).unwrap_or("")
    }
}

/// The best language for an `Accept-Language` header: the highest-weighted range whose
/// primary tag we speak (`de-AT` → `de`), else the default.
pub fn negotiate(headers: &HeaderMap) -> Lang {
    let header = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mut ranges: Vec<(u32, usize, String)> = header
        .split(',')
        .enumerate()
        .filter_map(|(i, part)| {
            let mut pieces = part.split(';');
            let tag = pieces.next()?.trim().to_ascii_lowercase();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q=").map(str::to_string))
                .map_or(Some(1000), |q| q.trim().parse::<f32>().ok().map(|q| (q.clamp(0.0, 1.0) * 1000.0) as u32))?;
            (q > 0 && !tag.is_empty()).then_some((q, i, tag))
        })
        .collect();
    ranges.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let chosen = ranges.iter().find_map(|(_, _, tag)| {
        let primary = tag.split('-').next().unwrap_or("");
        LANGUAGES.iter().find(|(t, _)| *t == primary)
    });
    let (tag, strings) = chosen.unwrap_or(&LANGUAGES[0]);
    Lang { tag, strings }
}

/// Text for HTML content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The policy every page answer carries: scripts and styles only from this origin, no
/// inline code, no frames, no forms, uploads only to `upload_origin` (the storage's
/// origin on AWS; the API's own locally).
pub fn content_security_policy(upload_origin: Option<&str>) -> String {
    let connect = match upload_origin {
        Some(origin) => format!("'self' {origin}"),
        None => "'self'".to_string(),
    };
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src {connect}; \
         base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
}

fn html_response(status: StatusCode, lang: &Lang, body: String, csp: &str) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(lang.tag));
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Language"));
    if let Ok(csp) = HeaderValue::from_str(csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    page_headers(headers);
    response
}

/// What every answer about a link carries: never cached, never indexed, never a
/// referrer (the URL holds the token).
pub fn page_headers(headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert("x-robots-tag", HeaderValue::from_static("noindex, nofollow"));
}

fn document(lang: &Lang, title: &str, main: &str, script: bool) -> String {
    let script_tag = if script { format!("<script src=\"{SCRIPT_PATH}\" defer></script>") } else { String::new() };
    format!(
        "<!doctype html>\n<html lang=\"{tag}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"robots\" content=\"noindex\">\n<title>{title}</title>\n\
         <link rel=\"icon\" href=\"data:,\">\n<link rel=\"stylesheet\" href=\"{STYLE_PATH}\">\n{script_tag}\n</head>\n\
         <body>\n{main}</body>\n</html>\n",
        tag = lang.tag,
        title = escape(title),
    )
}

fn kind_name(kind: DocumentKind) -> &'static str {
    kind.as_str()
}

/// The page of an open link: what the level needs, one card per document, the status.
pub fn render(lang: &Lang, base: &str, session: &LinkSession, upload_origin: Option<&str>) -> Response {
    let t = |key: &str| escape(lang.get(key));
    let mut steps = String::new();
    for (i, step) in session.steps.iter().enumerate() {
        let kinds: Vec<&str> = step.kinds.iter().map(|k| kind_name(*k)).collect();
        let selfie = step.kinds == [DocumentKind::Selfie];
        let title = lang.get(&format!("step_{}", step.requirement.split(':').next().unwrap_or("")));
        let title = match step.director_index {
            Some(n) => format!("{title} {}", n + 1),
            None => title.to_string(),
        };
        let hint_key = format!("step_{}_hint", step.requirement);
        let hint = if lang.get(&hint_key).is_empty() { t("step_generic_hint") } else { t(&hint_key) };
        let mut choice = String::new();
        if kinds.len() > 1 {
            choice.push_str(&format!("<fieldset><legend>{}</legend>", t("choose_kind")));
            for (j, kind) in kinds.iter().enumerate() {
                let checked = if j == 0 { " checked" } else { "" };
                choice.push_str(&format!(
                    "<label class=\"choice\"><input type=\"radio\" name=\"kind-{i}\" value=\"{kind}\"{checked}> {}</label>",
                    t(&format!("kind_{kind}"))
                ));
            }
            choice.push_str("</fieldset>");
        }
        // The selfie takes the user-facing camera and images only; documents the
        // rear camera, images or a PDF.
        let (accept, capture, pick) = if selfie {
            ("image/*", "user", t("pick_selfie"))
        } else {
            ("image/*,application/pdf", "environment", t("pick_file"))
        };
        steps.push_str(&format!(
            "<li class=\"step\" id=\"step-{i}\" data-requirement=\"{req}\" data-kinds=\"{kinds}\" data-director=\"{director}\" \
             data-state=\"{state}\" aria-labelledby=\"title-{i}\">\n<h2 id=\"title-{i}\">{title}</h2>\n<p class=\"hint\">{hint}</p>\n{choice}\
             <label class=\"pick\" for=\"file-{i}\">{pick}</label>\n\
             <input id=\"file-{i}\" type=\"file\" accept=\"{accept}\" capture=\"{capture}\" aria-describedby=\"result-{i}\">\n\
             <progress max=\"100\" value=\"0\" hidden aria-label=\"{uploading}\"></progress>\n\
             <p class=\"result\" id=\"result-{i}\" aria-live=\"polite\">{result}</p>\n</li>\n",
            req = escape(&step.requirement),
            kinds = kinds.join(","),
            director = step.director_index.map(|n| n.to_string()).unwrap_or_default(),
            state = if step.satisfied { "received" } else { "waiting" },
            title = escape(&title),
            uploading = t("doc_uploading"),
            result = if step.satisfied { t("doc_received") } else { t("doc_waiting") },
        ));
    }
    let strings = serde_json::to_string(lang.strings).unwrap_or_else(|_| "{}".into()).replace('<', "\\u003c");
    let main = format!(
        "<main id=\"app\" data-base=\"{base}\">\n<h1>{title}</h1>\n<p>{intro}</p>\n\
         <p id=\"status\" role=\"status\" aria-live=\"polite\">{status}</p>\n<ol id=\"steps\">\n{steps}</ol>\n\
         <section class=\"done\" id=\"done\" aria-labelledby=\"done-title\" hidden>\n\
         <h2 id=\"done-title\" tabindex=\"-1\">{done}</h2>\n<p id=\"final\"></p>\n\
         <a id=\"continue\" class=\"button\" href=\"#\" hidden>{next}</a>\n</section>\n\
         <noscript><p>{noscript}</p></noscript>\n</main>\n\
         <script type=\"application/json\" id=\"strings\">{strings}</script>\n",
        base = escape(base),
        title = t("title"),
        intro = t("intro"),
        status = t("loading"),
        done = t("done_title"),
        next = t("continue"),
        noscript = t("noscript"),
    );
    html_response(
        StatusCode::OK,
        lang,
        document(lang, lang.get("title"), &main, true),
        &content_security_policy(upload_origin),
    )
}

/// The page of an expired (410) or unknown (404) link.
pub fn refusal(lang: &Lang, status: StatusCode) -> Response {
    let prefix = if status == StatusCode::GONE { "expired" } else { "unknown" };
    let title = lang.get(&format!("{prefix}_title"));
    let main = format!(
        "<main id=\"app\">\n<h1>{}</h1>\n<p>{}</p>\n</main>\n",
        escape(title),
        escape(lang.get(&format!("{prefix}_body")))
    );
    html_response(status, lang, document(lang, title, &main, false), &content_security_policy(None))
}

/// A static asset of the page (cacheable: its content changes only with a release).
pub fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lang_for(value: &'static str) -> &'static str {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static(value));
        negotiate(&headers).tag
    }

    #[test]
    fn the_language_is_the_best_weighted_one_we_speak() {
        assert_eq!(lang_for("de-DE,de;q=0.9,en;q=0.8"), "de");
        assert_eq!(lang_for("fr-FR, de;q=0.5, en;q=0.7"), "en");
        assert_eq!(lang_for("fr, de-AT;q=0.3"), "de");
        assert_eq!(lang_for("fr"), "en");
        assert_eq!(lang_for("de;q=0, en"), "en");
        assert_eq!(lang_for(""), "en");
    }

    #[test]
    fn every_language_file_has_the_same_keys() {
        let english: Vec<&String> = LANGUAGES[0].1.keys().collect();
        assert!(english.len() > 40);
        for (tag, strings) in LANGUAGES.iter() {
            assert_eq!(strings.keys().collect::<Vec<_>>(), english, "{tag}");
            assert!(strings.values().all(|s| !s.is_empty()), "{tag}");
        }
    }

    #[test]
    fn text_is_escaped_for_html() {
        assert_eq!(escape("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    }
}
