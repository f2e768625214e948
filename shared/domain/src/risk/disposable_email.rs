//! Disposable e-mail domains (the `mailchecker` list, compiled at build time by
//! `build.rs` into one sorted text): an address is disposable when its domain, or a
//! parent domain of at least two labels, is on the list (`x.mailinator.com` is, `com` is
//! never looked up).

use std::sync::OnceLock;

static LIST: &str = include_str!(concat!(env!("OUT_DIR"), "/disposable-domains.txt"));

/// The list as sorted slices of the embedded text, split at its first use.
fn domains() -> &'static [&'static str] {
    static DOMAINS: OnceLock<Vec<&'static str>> = OnceLock::new();
    DOMAINS.get_or_init(|| LIST.split('\n').collect())
}

/// Whether `email`'s domain (or a parent domain) is a known disposable one. Case and a
/// final dot do not matter; an address without `@` has no domain and is not.
pub fn is_disposable(email: &str) -> bool {
    let Some((_, domain)) = email.rsplit_once('@') else { return false };
    let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = domain.split('.').collect();
    (0..labels.len().saturating_sub(1)).any(|i| domains().binary_search(&labels[i..].join(".").as_str()).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_list_is_sorted_and_complete() {
        let list = domains();
        assert!(list.len() > 50_000, "{} domains", list.len());
        assert!(list.windows(2).all(|w| w[0] < w[1]), "not sorted or not unique");
        // Every domain of the crate is here, and nothing else.
        let mut upstream: Vec<String> = mailchecker::blacklist().iter().map(|d| d.trim().to_ascii_lowercase()).collect();
        upstream.sort();
        upstream.dedup();
        assert_eq!(list, upstream.iter().map(String::as_str).collect::<Vec<_>>().as_slice());
    }

    #[test]
    fn it_agrees_with_the_crate_it_was_compiled_from() {
        for email in ["a@mailinator.com", "a@x.yopmail.com", "a@example.com", "a@gmail.com", "a@10minutemail.com"] {
            assert_eq!(is_disposable(email), !mailchecker::is_valid(email), "{email}");
        }
    }

    #[test]
    fn a_listed_domain_and_its_subdomains_are_disposable() {
        assert!(is_disposable("someone@mailinator.com"));
        assert!(is_disposable("someone@MAILINATOR.COM"));
        assert!(is_disposable("someone@eu.mailinator.com"));
        assert!(is_disposable("someone@mailinator.com."));
        assert!(is_disposable("ok@33mail.com"));
        assert!(is_disposable("ok@ok.33mail.com"));
        assert!(is_disposable("ok@guerrillamailblock.com"));
    }

    #[test]
    fn ordinary_domains_and_malformed_addresses_are_not() {
        assert!(!is_disposable("ada@example.com"));
        assert!(!is_disposable("ada@gmail.com"));
        assert!(!is_disposable("ada@bank.co.uk"));
        assert!(!is_disposable("ada@com"));
        assert!(!is_disposable("no-at-sign"));
        assert!(!is_disposable("ada@"));
    }
}
