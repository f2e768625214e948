//! Name resolution as a port: a webhook URL is checked against every address its host
//! resolves to before it is accepted (no private or metadata address is a target).

use std::net::IpAddr;

use async_trait::async_trait;

#[async_trait]
pub trait Resolver: Send + Sync {
    /// Every address `host` resolves to (empty when it does not resolve).
    async fn resolve(&self, host: &str, port: u16) -> Vec<IpAddr>;
}
