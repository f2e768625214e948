//! The webhook transport (`kyc_app::ports::WebhookTransport`) on reqwest, and the DNS
//! resolver that registration checks webhook hosts with. Not AWS, but the other side
//! of the same boundary: the outside world the service talks to.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use kyc_app::ports::http_client::{RESPONSE_PREFIX_BYTES, TIMEOUT};
use kyc_app::ports::{Resolver, TransportError, TransportResponse, WebhookTransport};
use kyc_domain::ssrf::{self, Mode};

/// reqwest with rustls, a 15 s timeout, no redirects, and a resolver that hands the
/// connector only addresses the SSRF rules allow: a name that resolves to a private
/// address is refused at connection time too, and no second lookup can swap the
/// address after the check (no DNS rebinding).
pub struct HttpTransport {
    client: reqwest::Client,
    mode: Mode,
}

struct GuardedResolver {
    mode: Mode,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let mode = self.mode;
        Box::pin(async move {
            let host = name.as_str().to_string();
            let resolved = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let allowed: Vec<SocketAddr> = resolved.filter(|a| ssrf::check_ip(a.ip(), mode).is_ok()).collect();
            if allowed.is_empty() {
                let refused: Box<dyn std::error::Error + Send + Sync> =
                    format!("`{host}` resolves only to addresses webhooks may not reach").into();
                return Err(refused);
            }
            let addrs: reqwest::dns::Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

impl HttpTransport {
    pub fn new(mode: Mode) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .user_agent("kyc-webhooks/1")
            .dns_resolver(Arc::new(GuardedResolver { mode }))
            .build()?;
        Ok(HttpTransport { client, mode })
    }
}

#[async_trait]
impl WebhookTransport for HttpTransport {
    async fn post(
        &self,
        url: &str,
        headers: Vec<(String, String)>,
        body: String,
    ) -> Result<TransportResponse, TransportError> {
        // Literal IP hosts never reach the resolver: check them here.
        ssrf::check_url(url, self.mode).map_err(|e| TransportError(e.to_string()))?;
        let mut request = self.client.post(url).body(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let mut response = request.send().await.map_err(describe)?;
        let status = response.status().as_u16();
        let retry_after = response.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(String::from);
        let mut prefix = Vec::new();
        while prefix.len() < RESPONSE_PREFIX_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => prefix.extend_from_slice(&chunk),
                _ => break,
            }
        }
        prefix.truncate(RESPONSE_PREFIX_BYTES);
        Ok(TransportResponse { status, body_prefix: String::from_utf8_lossy(&prefix).into_owned(), retry_after })
    }
}

/// What kind of failure a reqwest error is, in words (for logs and outage details).
pub(crate) fn failure_kind(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    }
}

/// What went wrong, in the words of the innermost cause (never the body).
fn describe(e: reqwest::Error) -> TransportError {
    let kind = failure_kind(&e);
    let mut cause: Option<&dyn std::error::Error> = std::error::Error::source(&e);
    let mut detail = String::new();
    while let Some(c) = cause {
        detail = c.to_string();
        cause = c.source();
    }
    TransportError(if detail.is_empty() { kind.to_string() } else { format!("{kind}: {detail}") })
}

/// The system resolver (getaddrinfo through tokio).
pub struct DnsResolver;

#[async_trait]
impl Resolver for DnsResolver {
    async fn resolve(&self, host: &str, port: u16) -> Vec<IpAddr> {
        match tokio::net::lookup_host((host, port)).await {
            Ok(addresses) => addresses.map(|a| a.ip()).collect(),
            Err(_) => Vec::new(),
        }
    }
}
