//! One TLS stack for the whole process. The AWS SDK's HTTPS client uses rustls with
//! aws-lc-rs; reqwest (webhook deliveries, Sumsub) is built without a crypto provider of
//! its own and takes the process default, which this installs, so a binary carries one
//! set of TLS primitives instead of aws-lc-rs and ring side by side.

/// Makes aws-lc-rs the process's rustls provider unless one is installed already.
/// Call it before building a `reqwest::Client`; calling it again is harmless.
pub fn use_one_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race to another thread installing the same provider is fine.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reqwest_client_builds_on_the_installed_provider() {
        use_one_crypto_provider();
        use_one_crypto_provider();
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
        assert!(reqwest::Client::builder().build().is_ok());
    }
}
