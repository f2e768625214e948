//! KYC link routes: creating a link (an API key's call), and the hosted page with its
//! JSON calls, which take no API key: the token in the path is their only credential
//! and reaches exactly one lead.

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use kyc_app::documents::DocumentRequest;
use kyc_app::links::{self, CreatedLink, Link, LinkInput};
use kyc_app::store::idempotency::{Idempotency, Lookup};
use kyc_app::{AppError, json as app_json};
use kyc_domain::documents::{DocumentKind, Side};
use kyc_domain::ids::{LeadId, LinkId};

use crate::error::ApiError;
use crate::extract::{Caller, JsonBody, idempotency_of, idempotency_scoped};
use crate::link_page;
use crate::respond::{json, keyed};
use crate::{Api, PublicUrl, UploadOrigin, public_base};

/// The answer to `POST /v1/kyc-links`.
#[derive(Debug, Serialize)]
struct LinkAnswer {
    id: LinkId,
    object: &'static str,
    url: String,
    lead_id: LeadId,
    expires_at: chrono::DateTime<chrono::Utc>,
}

fn link_answer(base: &str, link: CreatedLink) -> Response {
    let answer = LinkAnswer {
        url: format!("{base}/l/{}", link.token),
        id: link.id,
        object: "kyc_link",
        lead_id: link.lead_id,
        expires_at: link.expires_at,
    };
    let mut response = json(StatusCode::CREATED, &answer, None);
    link_page::page_headers(response.headers_mut());
    response
}

/// A replayed creation: the same link with a new token (only the first one's hash was
/// kept, so its URL cannot be shown again; it stops working).
async fn replay(api: &Api, base: &str, key: &Idempotency) -> Response {
    let stored = match key.lookup(api.deps.table.as_ref(), api.deps.keys.as_ref()).await {
        Ok(Lookup::Replay(stored)) => stored,
        Ok(Lookup::Fresh) => return ApiError::from(AppError::Contention).into_response(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    match links::reissue_token(&api.deps, &stored.body).await {
        Ok(link) => {
            let mut response = link_answer(base, link);
            response.headers_mut().insert("idempotent-replayed", header::HeaderValue::from_static("true"));
            response
        }
        Err(AppError::IdempotencyRace) => ApiError::from(AppError::Contention).into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

pub async fn create_link(
    State(api): State<Api>,
    public: Option<Extension<PublicUrl>>,
    Caller(by): Caller,
    body: JsonBody,
) -> Response {
    let base = public_base(public, &body.headers).unwrap_or_default();
    let input: LinkInput = match app_json::parse_input(body.value.clone()) {
        Ok(input) => input,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let key = match idempotency_of(&api, &by, &body, StatusCode::CREATED.as_u16()) {
        Ok(key) => key,
        Err(e) => return e.into_response(),
    };
    if let Some(key) = &key {
        match key.lookup(api.deps.table.as_ref(), api.deps.keys.as_ref()).await {
            Ok(Lookup::Replay(_)) => return replay(&api, &base, key).await,
            Ok(Lookup::Fresh) => {}
            Err(e) => return ApiError::from(e).into_response(),
        }
    }
    match links::create_link(&api.deps, &by, input, key.as_ref()).await {
        Ok(link) => link_answer(&base, link),
        Err(AppError::IdempotencyRace) => match &key {
            Some(key) => replay(&api, &base, key).await,
            None => ApiError::from(AppError::Contention).into_response(),
        },
        Err(e) => ApiError::from(e).into_response(),
    }
}

fn upload_origin(extension: Option<Extension<UploadOrigin>>) -> Option<String> {
    extension
        .map(|Extension(UploadOrigin(origin))| origin)
        .or_else(|| std::env::var("KYC_UPLOAD_ORIGIN").ok())
        .filter(|o| !o.is_empty() && o.bytes().all(|b| b.is_ascii_graphic() && b != b';' && b != b','))
}

/// An answer of a page's JSON call: no caching, no referrer.
fn link_json<T: Serialize>(status: StatusCode, body: &T) -> Response {
    let mut response = json(status, body, None);
    link_page::page_headers(response.headers_mut());
    response
}

fn refused(e: AppError) -> Response {
    let mut response = ApiError::from(e).into_response();
    link_page::page_headers(response.headers_mut());
    response
}

/// `GET /l/{token}`: the page (a read: link scanners fetch it too, so it changes
/// nothing). An unknown or expired link is a page of its own for a browser, a problem
/// document for anything that does not ask for HTML.
pub async fn page(
    State(api): State<Api>,
    Path(token): Path<String>,
    origin: Option<Extension<UploadOrigin>>,
    headers: HeaderMap,
) -> Response {
    let lang = link_page::negotiate(&headers);
    let wants_html =
        headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|accept| accept.contains("text/html"));
    let state = async {
        let link = links::resolve(&api.deps, &token).await?;
        let session = links::session(&api.deps, &link).await?;
        Ok::<_, AppError>((link, session))
    };
    match state.await {
        Ok((_, session)) => {
            link_page::render(&lang, &format!("/l/{token}"), &session, upload_origin(origin).as_deref())
        }
        Err(AppError::NotFound(_)) if wants_html => link_page::refusal(&lang, StatusCode::NOT_FOUND),
        Err(AppError::LinkExpired) if wants_html => link_page::refusal(&lang, StatusCode::GONE),
        Err(e) => refused(e),
    }
}

async fn link_of(api: &Api, token: &str) -> Result<Link, AppError> {
    links::resolve(&api.deps, token).await
}

/// `PUT /l/{token}/session`: the page's first call (idempotent: a later call changes
/// nothing and answers the same as a read).
pub async fn open(State(api): State<Api>, Path(token): Path<String>) -> Response {
    let answer = async { links::open(&api.deps, &link_of(&api, &token).await?).await };
    match answer.await {
        Ok(session) => link_json(StatusCode::OK, &session),
        Err(e) => refused(e),
    }
}

/// `GET /l/{token}/session`: what the page shows (polled while files are checked).
pub async fn session(State(api): State<Api>, Path(token): Path<String>) -> Response {
    let answer = async { links::session(&api.deps, &link_of(&api, &token).await?).await };
    match answer.await {
        Ok(session) => link_json(StatusCode::OK, &session),
        Err(e) => refused(e),
    }
}

/// What the page may ask for: a document of the lead, by kind (and director).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkDocumentInput {
    kind: Option<DocumentKind>,
    content_type: Option<String>,
    side: Option<Side>,
    #[serde(default, deserialize_with = "kyc_app::documents::whole_number")]
    director_index: Option<u32>,
}

/// `POST /l/{token}/documents`: an upload URL for one of the lead's documents.
pub async fn request_document(State(api): State<Api>, Path(token): Path<String>, body: JsonBody) -> Response {
    let input: LinkDocumentInput = match app_json::parse_input(body.value.clone()) {
        Ok(input) => input,
        Err(e) => return refused(e),
    };
    let link = match link_of(&api, &token).await {
        Ok(link) => link,
        Err(e) => return refused(e),
    };
    let key = match idempotency_scoped(&api, &link.tenant, link.id.as_str(), &body, StatusCode::CREATED.as_u16()) {
        Ok(key) => key,
        Err(e) => return e.into_response(),
    };
    let request = DocumentRequest {
        kind: input.kind,
        side: input.side,
        content_type: input.content_type,
        director_index: input.director_index,
        ..DocumentRequest::default()
    };
    let mut response = keyed(&api, key, StatusCode::CREATED, move |deps, key| async move {
        links::request_upload(&deps, &link, request, key.as_ref()).await
    })
    .await;
    link_page::page_headers(response.headers_mut());
    response
}

pub async fn script() -> Response {
    link_page::asset("text/javascript; charset=utf-8", link_page::SCRIPT)
}

pub async fn style() -> Response {
    link_page::asset("text/css; charset=utf-8", link_page::STYLE)
}
