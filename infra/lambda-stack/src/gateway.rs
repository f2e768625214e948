//! The front door, as an API Gateway HTTP API answers: the template's routes (the most
//! specific match wins, `{proxy+}` greedy), the Lambda authorizer with its cache, payload
//! format 2.0 both ways, and API Gateway's own bare answers (`{"message": ...}`) where
//! it answers before any function does.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use serde_json::{Map, Value, json};
use tokio::sync::Mutex;

use crate::runtime::Function;
use crate::template::{ACCOUNT_ID, Authorizer, REGION};

/// API Gateway's payload limit.
const MAX_BODY: usize = 10 * 1024 * 1024;
const API_ID: &str = "local";

#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub method: String,
    pub path: String,
    pub authorized: bool,
    pub function: String,
}

impl Route {
    fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// The route a request takes and its path parameters: routes without a greedy
/// parameter before greedy ones, more literal segments first, a method before `ANY`.
/// How specific a matching route is (greater wins): no greedy parameter, literal
/// segments, a method of its own.
type Specificity = (bool, usize, bool);

pub fn match_route<'a>(routes: &'a [Route], method: &str, path: &str) -> Option<(&'a Route, Map<String, Value>)> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let mut best: Option<(Specificity, &Route, Map<String, Value>)> = None;
    for route in routes {
        if route.method != "ANY" && route.method != method {
            continue;
        }
        let Some(parameters) = match_path(&route.path, &segments) else { continue };
        let pattern: Vec<&str> = route.path.trim_start_matches('/').split('/').collect();
        let greedy = pattern.last().is_some_and(|s| s.ends_with("+}"));
        let literals = pattern.iter().filter(|s| !s.starts_with('{')).count();
        let rank: Specificity = (!greedy, literals, route.method != "ANY");
        if best.as_ref().is_none_or(|(r, _, _)| rank > *r) {
            best = Some((rank, route, parameters));
        }
    }
    best.map(|(_, route, parameters)| (route, parameters))
}

fn match_path(pattern: &str, segments: &[&str]) -> Option<Map<String, Value>> {
    let pattern: Vec<&str> = pattern.trim_start_matches('/').split('/').collect();
    let mut parameters = Map::new();
    for (i, part) in pattern.iter().enumerate() {
        if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix("+}")) {
            let rest = segments.get(i..)?;
            if rest.is_empty() || rest.iter().all(|s| s.is_empty()) {
                return None;
            }
            parameters.insert(name.to_string(), Value::String(rest.join("/")));
            return Some(parameters);
        }
        let segment = segments.get(i)?;
        match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            Some(name) if !segment.is_empty() => {
                parameters.insert(name.to_string(), Value::String(decode(segment)));
            }
            Some(_) => return None,
            None if part == segment => {}
            None => return None,
        }
    }
    (pattern.len() == segments.len()).then_some(parameters)
}

fn decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text).decode_utf8_lossy().into_owned()
}

struct Cached {
    authorized: bool,
    context: Value,
    until: Instant,
}

pub struct Gateway {
    pub routes: Vec<Route>,
    pub functions: HashMap<String, Function>,
    pub authorizer: Option<Authorizer>,
    cache: Mutex<HashMap<String, Cached>>,
}

impl Gateway {
    pub fn new(routes: Vec<Route>, functions: HashMap<String, Function>, authorizer: Option<Authorizer>) -> Self {
        Gateway { routes, functions, authorizer, cache: Mutex::new(HashMap::new()) }
    }

    fn all_ready(&self) -> bool {
        self.functions.values().all(Function::is_ready)
    }
}

pub fn router(gateway: Arc<Gateway>) -> Router {
    Router::new()
        .route("/__stack/functions", get(functions_status))
        .route("/__stack/functions/{name}/crash-next", post(crash_next))
        .fallback(front_door)
        .with_state(gateway)
}

/// The stack's own control: each function's readiness, restarts and cold start.
async fn functions_status(State(gateway): State<Arc<Gateway>>) -> Json<Value> {
    let mut all: Vec<Value> = gateway.functions.values().map(Function::status).collect();
    all.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    Json(json!({"ready": gateway.all_ready(), "functions": all}))
}

/// Kills the named function's process right after it takes its next invocation.
async fn crash_next(State(gateway): State<Arc<Gateway>>, Path(name): Path<String>) -> StatusCode {
    match gateway.functions.values().find(|f| f.name() == name) {
        Some(function) => {
            function.crash_on_next_invocation();
            StatusCode::NO_CONTENT
        }
        None => StatusCode::NOT_FOUND,
    }
}

fn message(status: StatusCode, text: &str) -> Response {
    (status, Json(json!({"message": text}))).into_response()
}

async fn front_door(State(gateway): State<Arc<Gateway>>, request: Request<Body>) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_string();
    let method = parts.method.as_str().to_string();
    if path == "/health" && !gateway.all_ready() {
        return message(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable");
    }
    let Some((route, path_parameters)) = match_route(&gateway.routes, &method, &path) else {
        return message(StatusCode::NOT_FOUND, "Not Found");
    };
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        return message(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large");
    };
    let query = parts.uri.query().unwrap_or_default().to_string();
    let request = RequestShape {
        method: &parts.method,
        path: &path,
        query: &query,
        headers: &parts.headers,
        route,
        path_parameters,
    };

    let mut authorizer_context = None;
    if route.authorized
        && let Some(authorizer) = &gateway.authorizer
    {
        match authorize(&gateway, authorizer, &request).await {
            Ok(context) => authorizer_context = Some(context),
            Err(response) => return response,
        }
    }
    let Some(function) = gateway.functions.get(&route.function) else {
        return message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
    };
    let event = request.event(authorizer_context, &body);
    match function.invoke(event).await {
        Ok(answer) => response_of(answer),
        Err(e) => {
            tracing::error!(function = %function.name(), error = %e, "integration failed");
            message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
        }
    }
}

/// The identity source decides: missing → 401 by the gateway; otherwise the
/// authorizer's answer, cached per identity for its time to live.
async fn authorize(gateway: &Gateway, authorizer: &Authorizer, request: &RequestShape<'_>) -> Result<Value, Response> {
    let Some(identity) =
        request.headers.get(&authorizer.header).and_then(|v| v.to_str().ok()).filter(|v| !v.is_empty())
    else {
        return Err(message(StatusCode::UNAUTHORIZED, "Unauthorized"));
    };
    if let Some(cached) = gateway.cache.lock().await.get(identity).filter(|c| c.until > Instant::now()) {
        return if cached.authorized {
            Ok(cached.context.clone())
        } else {
            Err(message(StatusCode::FORBIDDEN, "Forbidden"))
        };
    }
    let function = gateway
        .functions
        .get(&authorizer.function)
        .ok_or_else(|| message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error"))?;
    let answer = function.invoke(request.authorizer_event(identity)).await.map_err(|e| {
        tracing::error!(error = %e, "the authorizer failed");
        message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
    })?;
    let (authorized, context) = if authorizer.simple_responses {
        (answer["isAuthorized"].as_bool().unwrap_or(false), answer.get("context").cloned().unwrap_or(json!({})))
    } else {
        let allowed =
            answer["policyDocument"]["Statement"].as_array().is_some_and(|s| s.iter().any(|s| s["Effect"] == "Allow"));
        (allowed, answer.get("context").cloned().unwrap_or(json!({})))
    };
    if authorizer.ttl_seconds > 0 {
        let until = Instant::now() + Duration::from_secs(authorizer.ttl_seconds);
        gateway.cache.lock().await.insert(identity.to_string(), Cached { authorized, context: context.clone(), until });
    }
    if authorized { Ok(context) } else { Err(message(StatusCode::FORBIDDEN, "Forbidden")) }
}

struct RequestShape<'a> {
    method: &'a Method,
    path: &'a str,
    query: &'a str,
    headers: &'a HeaderMap,
    route: &'a Route,
    path_parameters: Map<String, Value>,
}

impl RequestShape<'_> {
    /// Headers as API Gateway passes them: lowercase names, repeated values joined by commas.
    fn headers(&self) -> (Map<String, Value>, Vec<Value>) {
        let mut headers: Map<String, Value> = Map::new();
        let mut cookies = Vec::new();
        for (name, value) in self.headers {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            if name == http::header::COOKIE {
                cookies.extend(value.split(';').map(|c| Value::String(c.trim().to_string())));
                continue;
            }
            match headers.get_mut(name.as_str()) {
                Some(Value::String(existing)) => {
                    existing.push(',');
                    existing.push_str(&value);
                }
                _ => {
                    headers.insert(name.as_str().to_string(), Value::String(value));
                }
            }
        }
        headers.entry("x-forwarded-proto").or_insert_with(|| "http".into());
        headers.entry("x-forwarded-for").or_insert_with(|| "127.0.0.1".into());
        (headers, cookies)
    }

    fn query_parameters(&self) -> Map<String, Value> {
        let mut parameters: Map<String, Value> = Map::new();
        for pair in self.query.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let (name, value) = (decode(&name.replace('+', " ")), decode(&value.replace('+', " ")));
            match parameters.get_mut(&name) {
                Some(Value::String(existing)) => {
                    existing.push(',');
                    existing.push_str(&value);
                }
                _ => {
                    parameters.insert(name, Value::String(value));
                }
            }
        }
        parameters
    }

    fn context(&self) -> Value {
        let now = chrono::Utc::now();
        let user_agent = self.headers.get(http::header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or_default();
        json!({
            "accountId": ACCOUNT_ID,
            "apiId": API_ID,
            "domainName": self.headers.get(http::header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("localhost"),
            "domainPrefix": API_ID,
            "http": {
                "method": self.method.as_str(),
                "path": self.path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": user_agent,
            },
            "requestId": uuid::Uuid::new_v4().to_string(),
            "routeKey": self.route.key(),
            "stage": "$default",
            "time": now.format("%d/%b/%Y:%H:%M:%S %z").to_string(),
            "timeEpoch": now.timestamp_millis(),
        })
    }

    fn common(&self) -> Map<String, Value> {
        let (headers, cookies) = self.headers();
        let mut event = Map::new();
        event.insert("version".into(), "2.0".into());
        event.insert("routeKey".into(), self.route.key().into());
        event.insert("rawPath".into(), self.path.into());
        event.insert("rawQueryString".into(), self.query.into());
        if !cookies.is_empty() {
            event.insert("cookies".into(), Value::Array(cookies));
        }
        event.insert("headers".into(), Value::Object(headers));
        let query = self.query_parameters();
        if !query.is_empty() {
            event.insert("queryStringParameters".into(), Value::Object(query));
        }
        if !self.path_parameters.is_empty() {
            event.insert("pathParameters".into(), Value::Object(self.path_parameters.clone()));
        }
        event.insert("requestContext".into(), self.context());
        event
    }

    /// The payload format 2.0 request event.
    fn event(&self, authorizer_context: Option<Value>, body: &Bytes) -> Value {
        let mut event = self.common();
        if let (Some(context), Some(Value::Object(request_context))) =
            (authorizer_context, event.get_mut("requestContext"))
        {
            request_context.insert("authorizer".into(), json!({"lambda": context}));
        }
        if !body.is_empty() {
            let (text, encoded) = match std::str::from_utf8(body) {
                Ok(text) => (text.to_string(), false),
                Err(_) => (base64::engine::general_purpose::STANDARD.encode(body), true),
            };
            event.insert("body".into(), text.into());
            event.insert("isBase64Encoded".into(), encoded.into());
        } else {
            event.insert("isBase64Encoded".into(), false.into());
        }
        Value::Object(event)
    }

    /// The authorizer's request (payload format 2.0).
    fn authorizer_event(&self, identity: &str) -> Value {
        let mut event = self.common();
        event.insert("type".into(), "REQUEST".into());
        event.insert(
            "routeArn".into(),
            format!("arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{API_ID}/$default/{}{}", self.method, self.path).into(),
        );
        event.insert("identitySource".into(), json!([identity]));
        Value::Object(event)
    }
}

/// A function's payload format 2.0 answer as an HTTP response (an answer without a
/// `statusCode` is a 200 JSON body, as API Gateway infers).
pub fn response_of(answer: Value) -> Response {
    let Some(status) = answer.get("statusCode").and_then(Value::as_u64) else {
        return (StatusCode::OK, Json(answer)).into_response();
    };
    let status = u16::try_from(status).ok().and_then(|s| StatusCode::from_u16(s).ok());
    let Some(status) = status else { return message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error") };
    let text = answer.get("body").and_then(Value::as_str).unwrap_or_default();
    let body = if answer.get("isBase64Encoded").and_then(Value::as_bool).unwrap_or(false) {
        match base64::engine::general_purpose::STANDARD.decode(text) {
            Ok(bytes) => bytes,
            Err(_) => return message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error"),
        }
    } else {
        text.as_bytes().to_vec()
    };
    let mut response = Response::builder().status(status);
    for (name, value) in answer.get("headers").and_then(Value::as_object).into_iter().flatten() {
        if let Some(value) = value.as_str() {
            response = response.header(name, value);
        }
    }
    for (name, values) in answer.get("multiValueHeaders").and_then(Value::as_object).into_iter().flatten() {
        for value in values.as_array().into_iter().flatten().filter_map(Value::as_str) {
            response = response.header(name, value);
        }
    }
    for cookie in answer.get("cookies").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
        response = response.header(http::header::SET_COOKIE, cookie);
    }
    response
        .body(Body::from(body))
        .unwrap_or_else(|_| message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(method: &str, path: &str) -> Route {
        Route { method: method.into(), path: path.into(), authorized: true, function: path.into() }
    }

    fn routes() -> Vec<Route> {
        vec![
            route("ANY", "/v1/leads"),
            route("ANY", "/v1/leads/{proxy+}"),
            route("POST", "/v1/leads/{id}/status"),
            route("GET", "/v1/leads/{id}/documents/{doc_id}"),
            route("GET", "/health"),
        ]
    }

    #[test]
    fn a_route_with_its_own_parameters_wins_over_the_greedy_one() {
        let routes = routes();
        let (found, parameters) = match_route(&routes, "POST", "/v1/leads/lead_1/status").expect("a route");
        assert_eq!(found.path, "/v1/leads/{id}/status");
        assert_eq!(parameters["id"], "lead_1");
        let (found, parameters) = match_route(&routes, "GET", "/v1/leads/lead_1/status").expect("a route");
        assert_eq!(found.path, "/v1/leads/{proxy+}", "the status route is POST only");
        assert_eq!(parameters["proxy"], "lead_1/status");
    }

    #[test]
    fn a_greedy_parameter_needs_at_least_one_segment_and_unknown_paths_match_nothing() {
        let routes = routes();
        assert_eq!(match_route(&routes, "GET", "/v1/leads").map(|(r, _)| r.path.as_str()), Some("/v1/leads"));
        assert!(match_route(&routes, "GET", "/v2/leads").is_none());
        assert!(match_route(&routes, "POST", "/health").is_none(), "the method is part of the route");
    }

    #[test]
    fn a_function_answer_becomes_the_response_with_its_status_headers_and_decoded_body() {
        let answer = json!({"statusCode": 201, "headers": {"content-type": "application/json"},
            "body": base64::engine::general_purpose::STANDARD.encode("{\"a\":1}"), "isBase64Encoded": true,
            "cookies": ["s=1"]});
        let response = response_of(answer);
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_eq!(response.headers()["set-cookie"], "s=1");
    }
}
