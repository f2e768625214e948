//! The SSRF guard's address rules: which webhook URLs may be registered and which
//! addresses may be connected to, in production and in local mode.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use kyc_domain::ssrf::{Host, Mode, Scheme, SsrfError, Target, check_ip, check_url};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// The CIDR named by the refusal of `url` in production, or what went wrong instead.
fn refused_range(url: &str) -> Result<&'static str, String> {
    match check_url(url, Mode::Production) {
        Err(e) => e.range().map(|r| r.cidr).ok_or_else(|| format!("refused, but not for a range: {e}")),
        Ok(t) => Err(format!("accepted: {t:?}")),
    }
}

// ------------------------------------------------------------------ IP literals in URLs

#[test]
fn ipv4_literals_of_every_forbidden_range_are_refused_in_production() {
    let table = [
        ("https://0.0.0.0/", "0.0.0.0/8"),
        ("https://0.1.2.3/", "0.0.0.0/8"),
        ("https://10.0.0.1/", "10.0.0.0/8"),
        ("https://10.255.255.255/", "10.0.0.0/8"),
        ("https://100.64.0.1/", "100.64.0.0/10"),
        ("https://100.127.255.254/", "100.64.0.0/10"),
        ("https://127.0.0.1/", "127.0.0.0/8"),
        ("https://127.255.0.9:8443/x", "127.0.0.0/8"),
        ("https://169.254.169.254/latest/meta-data/", "169.254.0.0/16"),
        ("https://169.254.0.1/", "169.254.0.0/16"),
        ("https://172.16.0.1/", "172.16.0.0/12"),
        ("https://172.31.255.255/", "172.16.0.0/12"),
        ("https://192.0.0.192/", "192.0.0.0/24"),
        ("https://192.0.2.10/", "192.0.2.0/24"),
        ("https://192.88.99.1/", "192.88.99.0/24"),
        ("https://192.168.1.1/", "192.168.0.0/16"),
        ("https://198.18.0.1/", "198.18.0.0/15"),
        ("https://198.19.255.255/", "198.18.0.0/15"),
        ("https://198.51.100.7/", "198.51.100.0/24"),
        ("https://203.0.113.9/", "203.0.113.0/24"),
        ("https://224.0.0.1/", "224.0.0.0/4"),
        ("https://239.255.255.250/", "224.0.0.0/4"),
        ("https://240.0.0.1/", "240.0.0.0/4"),
        ("https://255.255.255.254/", "240.0.0.0/4"),
        ("https://255.255.255.255/", "255.255.255.255/32"),
    ];
    for (url, cidr) in table {
        assert_eq!(refused_range(url), Ok(cidr), "{url}");
    }
}

#[test]
fn the_neighbours_of_forbidden_ipv4_ranges_are_accepted_in_production() {
    for url in [
        "https://1.1.1.1/",
        "https://9.255.255.255/",
        "https://11.0.0.0/",
        "https://100.63.255.255/",
        "https://100.128.0.0/",
        "https://126.255.255.255/",
        "https://128.0.0.0/",
        "https://169.253.255.255/",
        "https://172.15.255.255/",
        "https://172.32.0.0/",
        "https://192.0.1.1/",
        "https://192.0.3.1/",
        "https://192.167.255.255/",
        "https://192.169.0.0/",
        "https://198.17.255.255/",
        "https://198.20.0.0/",
        "https://223.255.255.255/",
    ] {
        let accepted = check_url(url, Mode::Production);
        assert!(matches!(accepted, Ok(Target { host: Host::Ip(_), .. })), "{url}: {accepted:?}");
    }
}

#[test]
fn disguised_ipv4_literals_are_read_as_inet_aton_would_and_refused() {
    let table = [
        ("https://2130706433/", "127.0.0.0/8"),
        ("https://0x7f000001/", "127.0.0.0/8"),
        ("https://0X7F000001/", "127.0.0.0/8"),
        ("https://0x7f.0.0.1/", "127.0.0.0/8"),
        ("https://0x7f.1/", "127.0.0.0/8"),
        ("https://0177.0.0.1/", "127.0.0.0/8"),
        ("https://017700000001/", "127.0.0.0/8"),
        ("https://127.1/", "127.0.0.0/8"),
        ("https://127.0.1/", "127.0.0.0/8"),
        ("https://127.000.000.001/", "127.0.0.0/8"),
        ("https://127.0.0.1./", "127.0.0.0/8"),
        ("https://0/", "0.0.0.0/8"),
        ("https://0x/", "0.0.0.0/8"),
        ("https://2852039166/", "169.254.0.0/16"),
        ("https://0xa9fea9fe/", "169.254.0.0/16"),
        ("https://0251.0376.0251.0376/", "169.254.0.0/16"),
        ("https://169.16689662/", "169.254.0.0/16"),
        ("https://10.1/", "10.0.0.0/8"),
        ("https://0xc0.0xa8.0x01.0x01/", "192.168.0.0/16"),
        ("https://192.11010305/", "192.168.0.0/16"),
    ];
    for (url, cidr) in table {
        assert_eq!(refused_range(url), Ok(cidr), "{url}");
    }
}

#[test]
fn a_disguised_public_ipv4_literal_is_accepted_as_the_address_it_means() {
    // 134744072 = 0x08080808 = 8.8.8.8
    for url in ["https://134744072/", "https://0x08080808/", "https://8.8.2056/", "https://010.010.010.010/"] {
        assert_eq!(
            check_url(url, Mode::Production),
            Ok(Target { scheme: Scheme::Https, host: Host::Ip(ip("8.8.8.8")), port: 443 }),
            "{url}"
        );
    }
}

#[test]
fn a_host_ending_in_a_number_that_is_no_valid_ipv4_is_refused() {
    for url in [
        "https://1.2.3.4.5/",
        "https://256.0.0.1/",
        "https://1.2.3.256/",
        "https://1.2.65536/",
        "https://4294967296/",
        "https://08.0.0.1/",
        "https://0x1g.0.0.1/",
        "https://1..1/",
        "https://example.123/",
        "https://example.0x10/",
        "https://99999999999999999999999/",
    ] {
        assert_eq!(check_url(url, Mode::Production), Err(SsrfError::InvalidIpv4), "{url}");
    }
}

#[test]
fn ipv6_literals_of_every_forbidden_range_are_refused_in_production() {
    let table = [
        ("https://[::]/", "::/128"),
        ("https://[::1]/", "::1/128"),
        ("https://[0:0:0:0:0:0:0:1]:8443/", "::1/128"),
        ("https://[::127.0.0.1]/", "::/96"),
        ("https://[100::1]/", "100::/64"),
        ("https://[2001:db8::1]/", "2001:db8::/32"),
        ("https://[2001::1]/", "2001::/32"),
        ("https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", "2001::/32"),
        ("https://[2001:2::1]/", "2001::/23"),
        ("https://[2001:1ff::1]/", "2001::/23"),
        ("https://[3fff::1]/", "3fff::/20"),
        ("https://[fc00::1]/", "fc00::/7"),
        ("https://[fd00:ec2::254]/", "fc00::/7"),
        ("https://[fe80::1]/", "fe80::/10"),
        ("https://[FE80::abcd]/", "fe80::/10"),
        ("https://[fec0::1]/", "fec0::/10"),
        ("https://[ff02::1]/", "ff00::/8"),
        ("https://[64:ff9b:1::1]/", "outside 2000::/3"),
        ("https://[5f00::1]/", "outside 2000::/3"),
        ("https://[4000::1]/", "outside 2000::/3"),
    ];
    for (url, cidr) in table {
        assert_eq!(refused_range(url), Ok(cidr), "{url}");
    }
}

#[test]
fn ipv6_addresses_embedding_ipv4_are_judged_by_the_embedded_address() {
    let table = [
        ("https://[::ffff:127.0.0.1]/", "127.0.0.0/8"),
        ("https://[::ffff:7f00:1]/", "127.0.0.0/8"),
        ("https://[::FFFF:7F00:0001]/", "127.0.0.0/8"),
        ("https://[::ffff:169.254.169.254]/", "169.254.0.0/16"),
        ("https://[::ffff:10.0.0.1]/", "10.0.0.0/8"),
        ("https://[64:ff9b::127.0.0.1]/", "127.0.0.0/8"),
        ("https://[64:ff9b::a9fe:a9fe]/", "169.254.0.0/16"),
        ("https://[2002:7f00:1::]/", "127.0.0.0/8"),
        ("https://[2002:c0a8:101::1]/", "192.168.0.0/16"),
        ("https://[2002:a9fe:a9fe:1:2:3:4:5]/", "169.254.0.0/16"),
    ];
    for (url, cidr) in table {
        assert_eq!(refused_range(url), Ok(cidr), "{url}");
    }
    for url in ["https://[::ffff:8.8.8.8]/", "https://[64:ff9b::808:808]/", "https://[2002:808:808::1]/"] {
        assert!(check_url(url, Mode::Production).is_ok(), "{url}");
    }
}

#[test]
fn a_refusal_names_the_address_and_the_range() {
    let message = |url: &str| check_url(url, Mode::Production).err().map(|e| e.to_string()).unwrap_or_default();
    assert_eq!(
        message("https://169.254.169.254/"),
        "the address 169.254.169.254 is not allowed: it is in 169.254.0.0/16 (link-local, incl. the cloud metadata service)"
    );
    assert_eq!(
        message("https://[::ffff:7f00:1]/"),
        "the address ::ffff:127.0.0.1 is not allowed: it embeds 127.0.0.1 (IPv4-mapped), which is in 127.0.0.0/8 (loopback)"
    );
    assert_eq!(message("https://2130706433/"), "the address 127.0.0.1 is not allowed: it is in 127.0.0.0/8 (loopback)");
}

#[test]
fn a_global_ipv6_literal_is_accepted_in_production() {
    assert_eq!(
        check_url("https://[2606:4700:4700::1111]:8443/hooks", Mode::Production),
        Ok(Target { scheme: Scheme::Https, host: Host::Ip(ip("2606:4700:4700::1111")), port: 8443 })
    );
}

#[test]
fn malformed_ipv6_literals_are_refused() {
    for url in [
        "https://[::1/",
        "https://[fe80::1%25eth0]/",
        "https://[::ffff:127.1]/",
        "https://[not-v6]/",
        "https://[127.0.0.1]/",
        "https://[]/",
        "https://[2606:4700::1111]x/",
    ] {
        let refused = check_url(url, Mode::Production);
        assert!(
            matches!(refused, Err(SsrfError::InvalidIpv6 | SsrfError::InvalidPort | SsrfError::Characters)),
            "{url}: {refused:?}"
        );
    }
}

// ------------------------------------------------------------------ scheme and shape

#[test]
fn a_public_https_url_is_accepted_in_production_as_a_name() {
    assert_eq!(
        check_url("https://example.com", Mode::Production),
        Ok(Target { scheme: Scheme::Https, host: Host::Name("example.com".into()), port: 443 })
    );
    assert_eq!(
        check_url("HTTPS://Hooks.Example.COM:8443/kyc?x=1#frag", Mode::Production),
        Ok(Target { scheme: Scheme::Https, host: Host::Name("hooks.example.com".into()), port: 8443 })
    );
    assert_eq!(
        check_url("https://my_hooks.example.com./in", Mode::Production).map(|t| t.host),
        Ok(Host::Name("my_hooks.example.com.".into()))
    );
}

#[test]
fn plain_http_is_refused_in_production() {
    assert_eq!(
        check_url("http://example.com/hook", Mode::Production),
        Err(SsrfError::Scheme { scheme: "http".into(), mode: Mode::Production })
    );
    assert_eq!(
        check_url("http://127.0.0.1:8080/hook", Mode::Production),
        Err(SsrfError::Scheme { scheme: "http".into(), mode: Mode::Production })
    );
}

#[test]
fn other_schemes_are_refused_in_every_mode() {
    for mode in [Mode::Production, Mode::Local] {
        for url in ["ftp://example.com/", "file:///etc/passwd", "gopher://127.0.0.1:6379/_", "ws://127.0.0.1/"] {
            assert!(matches!(check_url(url, mode), Err(SsrfError::Scheme { .. })), "{url} {mode:?}");
        }
        for url in ["example.com/hook", "https:example.com", "https:/example.com", "//example.com/"] {
            assert_eq!(check_url(url, mode), Err(SsrfError::NoScheme), "{url} {mode:?}");
        }
    }
}

#[test]
fn userinfo_is_refused() {
    for url in [
        "https://user:pass@example.com/",
        "https://user@example.com/",
        "https://@example.com/",
        "https://example.com@127.0.0.1/",
        "https://evil.example:443@169.254.169.254/",
    ] {
        assert_eq!(check_url(url, Mode::Production), Err(SsrfError::UserInfo), "{url}");
    }
    // An `@` after the authority is only part of the path, query or fragment.
    assert!(check_url("https://example.com/a@b?c=@d#@127.0.0.1", Mode::Production).is_ok());
}

#[test]
fn an_empty_host_is_refused() {
    for url in ["https://", "https:///path", "https://:443/", "https://./", "https://?x", "https://#x"] {
        assert_eq!(check_url(url, Mode::Production), Err(SsrfError::EmptyHost), "{url}");
    }
}

#[test]
fn characters_a_browser_would_reinterpret_are_refused() {
    for url in [
        "https://example.com\\@127.0.0.1/",
        "https://127.0.0.1\\.example.com/",
        "https://exa\tmple.com/",
        "https://example.com/\n",
        " https://example.com/",
        "https://exämple.com/",
        "https://１２７.０.０.１/",
    ] {
        assert_eq!(check_url(url, Mode::Production), Err(SsrfError::Characters), "{url:?}");
    }
}

#[test]
fn host_names_that_are_not_dns_names_are_refused() {
    for url in [
        "https://127.0.0.%31/",
        "https://example%2ecom/",
        "https://exa!mple.com/",
        "https://example..com/",
        "https://.example.com/",
        &format!("https://{}.com/", "a".repeat(64)),
        &format!("https://{}com/", "abcdefghi.".repeat(26)),
    ] {
        let refused = check_url(url, Mode::Production);
        assert!(matches!(refused, Err(SsrfError::InvalidHost(_))), "{url}: {refused:?}");
    }
}

#[test]
fn ports_must_be_from_1_to_65535() {
    let port = |url: &str| check_url(url, Mode::Production).map(|t| t.port);
    assert_eq!(port("https://example.com:1/"), Ok(1));
    assert_eq!(port("https://example.com:65535/"), Ok(65535));
    assert_eq!(port("https://example.com:08443/"), Ok(8443));
    for url in [
        "https://example.com:0/",
        "https://example.com:65536/",
        "https://example.com:/",
        "https://example.com:+443/",
        "https://example.com:44a/",
        "https://example.com:443:443/",
        "https://example.com:000443/",
    ] {
        assert_eq!(port(url), Err(SsrfError::InvalidPort), "{url}");
    }
}

#[test]
fn an_overlong_url_is_refused() {
    let url = format!("https://example.com/{}", "a".repeat(2048));
    assert_eq!(check_url(&url, Mode::Production), Err(SsrfError::TooLong));
}

// ----------------------------------------------------------------------- local mode

#[test]
fn a_loopback_http_url_is_accepted_only_in_local_mode() {
    let url = "http://127.0.0.1:8080/hook";
    assert_eq!(
        check_url(url, Mode::Local),
        Ok(Target { scheme: Scheme::Http, host: Host::Ip(ip("127.0.0.1")), port: 8080 })
    );
    assert!(check_url(url, Mode::Production).is_err());
    assert_eq!(
        check_url("https://127.0.0.1:8443/hook", Mode::Production).map_err(|e| e.range().map(|r| r.cidr)),
        Err(Some("127.0.0.0/8"))
    );
}

#[test]
fn local_mode_accepts_every_spelling_of_loopback() {
    for (url, port) in [
        ("http://127.0.0.1/", 80),
        ("https://127.0.0.1/", 443),
        ("http://127.9.9.9:3000/", 3000),
        ("http://2130706433:3000/", 3000),
        ("http://127.1:3000/", 3000),
        ("http://[::1]:3000/", 3000),
        ("http://[::ffff:127.0.0.1]:3000/", 3000),
        ("http://[::ffff:7f00:1]:3000/", 3000),
    ] {
        assert_eq!(check_url(url, Mode::Local).map(|t| t.port), Ok(port), "{url}");
    }
}

#[test]
fn local_mode_refuses_every_address_that_is_not_loopback() {
    for (url, refused) in [
        ("http://10.0.0.5:8080/", "10.0.0.5"),
        ("http://192.168.1.20/", "192.168.1.20"),
        ("http://169.254.169.254/", "169.254.169.254"),
        ("http://0.0.0.0:8080/", "0.0.0.0"),
        ("http://8.8.8.8/", "8.8.8.8"),
        ("http://[fe80::1]/", "fe80::1"),
        ("http://[::]/", "::"),
        ("http://[::ffff:10.0.0.1]/", "::ffff:10.0.0.1"),
        ("http://[64:ff9b::7f00:1]/", "64:ff9b::7f00:1"),
        ("http://[2606:4700:4700::1111]/", "2606:4700:4700::1111"),
    ] {
        assert_eq!(check_url(url, Mode::Local), Err(SsrfError::NotLoopback { ip: ip(refused) }), "{url}");
    }
}

#[test]
fn a_host_name_is_left_to_the_resolver_in_both_modes() {
    // This layer cannot resolve names: the resolver checks the addresses with check_ip.
    assert_eq!(
        check_url("http://localhost:8080/hook", Mode::Local),
        Ok(Target { scheme: Scheme::Http, host: Host::Name("localhost".into()), port: 8080 })
    );
    assert_eq!(
        check_url("https://localhost/", Mode::Production),
        Ok(Target { scheme: Scheme::Https, host: Host::Name("localhost".into()), port: 443 })
    );
    assert_eq!(
        check_url("http://localhost/", Mode::Production).map(|t| t.port),
        Err(SsrfError::Scheme { scheme: "http".into(), mode: Mode::Production })
    );
}

// ------------------------------------------------------------------ check_ip directly

#[test]
fn check_ip_applies_the_same_rules_to_resolved_addresses() {
    assert_eq!(check_ip(ip("93.184.216.34"), Mode::Production), Ok(()));
    assert_eq!(check_ip(ip("2606:2800:220:1:248:1893:25c8:1946"), Mode::Production), Ok(()));
    assert!(check_ip(ip("169.254.169.254"), Mode::Production).is_err());
    assert!(check_ip(ip("::ffff:169.254.169.254"), Mode::Production).is_err());
    assert_eq!(check_ip(IpAddr::V4(Ipv4Addr::LOCALHOST), Mode::Local), Ok(()));
    assert_eq!(check_ip(IpAddr::V6(Ipv6Addr::LOCALHOST), Mode::Local), Ok(()));
    assert_eq!(check_ip(ip("93.184.216.34"), Mode::Local), Err(SsrfError::NotLoopback { ip: ip("93.184.216.34") }));
}

#[test]
fn every_refusal_in_production_names_a_range() {
    for addr in ["0.0.0.0", "127.0.0.1", "::", "::1", "fe80::1", "::ffff:127.0.0.1", "2002:7f00:1::", "4000::"] {
        let refused = check_ip(ip(addr), Mode::Production);
        assert!(refused.as_ref().err().and_then(SsrfError::range).is_some(), "{addr}: {refused:?}");
    }
}
