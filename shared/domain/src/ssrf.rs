//! The address rules of the SSRF guard for webhook endpoints: which URLs may be
//! registered and which IP addresses may be connected to.
//!
//! Pure policy: resolving names and connecting happen elsewhere, and the resolver
//! layer applies [`check_ip`] to every address a name resolves to (and connects to the
//! address it checked, following no redirect). [`check_url`] parses on purpose more
//! strictly than a browser does: anything a WHATWG or `inet_aton` parser could read as
//! a different host than ours is refused rather than guessed.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Only `https://` and only globally routable addresses.
    Production,
    /// The local stack: `http://` or `https://`, and only loopback addresses.
    Local,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// A DNS name, lower-cased; its addresses are checked when it is resolved.
    Name(String),
    /// An IP literal, in whatever form it was written, already checked.
    Ip(IpAddr),
}

/// What a URL that passed the rules points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub scheme: Scheme,
    pub host: Host,
    pub port: u16,
}

/// A forbidden address block, named for the error message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub cidr: &'static str,
    pub name: &'static str,
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.cidr, self.name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SsrfError {
    #[error("the URL is longer than {MAX_URL_LEN} characters")]
    TooLong,
    #[error(
        "the URL may contain only printable ASCII without spaces or backslashes (percent-encode the path, write an international host name in its xn-- form)"
    )]
    Characters,
    #[error("the URL must start with https:// (or http:// in local mode)")]
    NoScheme,
    #[error("the scheme {scheme:?} is not allowed: {}", if *.mode == Mode::Production { "use https" } else { "use http or https" })]
    Scheme { scheme: String, mode: Mode },
    #[error("the URL must not contain a user name or password")]
    UserInfo,
    #[error("the URL has no host")]
    EmptyHost,
    #[error("the host is not a valid name: {0}")]
    InvalidHost(&'static str),
    #[error("the host looks like a numeric IPv4 address but is not a valid one")]
    InvalidIpv4,
    #[error("the bracketed host is not a valid IPv6 address")]
    InvalidIpv6,
    #[error("the port must be a number from 1 to 65535")]
    InvalidPort,
    #[error("the address {ip} is not allowed: it is in {range}")]
    Forbidden { ip: IpAddr, range: Range },
    #[error("the address {ip} is not allowed: it embeds {embedded} ({via}), which is in {range}")]
    ForbiddenEmbedded { ip: Ipv6Addr, via: &'static str, embedded: Ipv4Addr, range: Range },
    #[error("in local mode only loopback addresses (127.0.0.0/8, ::1) are allowed, not {ip}")]
    NotLoopback { ip: IpAddr },
}

impl SsrfError {
    /// The forbidden block that caused the refusal, if it was one.
    pub fn range(&self) -> Option<Range> {
        match self {
            SsrfError::Forbidden { range, .. } | SsrfError::ForbiddenEmbedded { range, .. } => Some(*range),
            _ => None,
        }
    }
}

pub const MAX_URL_LEN: usize = 2048;
const MAX_HOST_LEN: usize = 253;
const MAX_LABEL_LEN: usize = 63;

// ------------------------------------------------------------------------------- URLs

/// Parses `url` (no URL crate: scheme, authority, the rest) and applies the rules: the
/// scheme the mode allows, no user info, a well-formed host, a port from 1 to 65535,
/// and an IP literal in any spelling (`2130706433`, `0x7f.1`, `0177.0.0.1`, `[::1]`)
/// read as `inet_aton` / the WHATWG URL parser would, then put through [`check_ip`].
/// A host name is accepted as such: its addresses are checked when it is resolved.
pub fn check_url(url: &str, mode: Mode) -> Result<Target, SsrfError> {
    if url.len() > MAX_URL_LEN {
        return Err(SsrfError::TooLong);
    }
    // WHATWG parsers strip tabs and new lines, read `\` as `/` and decode non-ASCII
    // hosts; refusing them all keeps our reading and the HTTP client's the same.
    if !url.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') {
        return Err(SsrfError::Characters);
    }
    let (scheme, rest) = url.split_once("://").ok_or(SsrfError::NoScheme)?;
    let scheme = match (scheme.to_ascii_lowercase().as_str(), mode) {
        ("https", _) => Scheme::Https,
        ("http", Mode::Local) => Scheme::Http,
        (other, _) => return Err(SsrfError::Scheme { scheme: other.to_string(), mode }),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    if authority.contains('@') {
        return Err(SsrfError::UserInfo);
    }
    let (host, port) = split_host_port(authority)?;
    let port = match port {
        None => scheme.default_port(),
        Some(p) => parse_port(p)?,
    };
    let host = parse_host(host)?;
    if let Host::Ip(ip) = host {
        check_ip(ip, mode)?;
    }
    Ok(Target { scheme, host, port })
}

/// Splits `host[:port]` or `[v6][:port]`.
fn split_host_port(authority: &str) -> Result<(&str, Option<&str>), SsrfError> {
    if authority.starts_with('[') {
        let close = authority.find(']').ok_or(SsrfError::InvalidIpv6)?;
        let (host, after) = authority.split_at(close + 1);
        return match after {
            "" => Ok((host, None)),
            _ => after.strip_prefix(':').map(|p| (host, Some(p))).ok_or(SsrfError::InvalidPort),
        };
    }
    Ok(match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    })
}

fn parse_port(port: &str) -> Result<u16, SsrfError> {
    if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SsrfError::InvalidPort);
    }
    port.parse::<u16>().ok().filter(|p| *p != 0).ok_or(SsrfError::InvalidPort)
}

fn parse_host(host: &str) -> Result<Host, SsrfError> {
    if host.is_empty() {
        return Err(SsrfError::EmptyHost);
    }
    if let Some(inner) = host.strip_prefix('[') {
        let inner = inner.strip_suffix(']').ok_or(SsrfError::InvalidIpv6)?;
        // A zone id (`%25eth0`) fails here too: it only makes sense on link-local.
        return inner.parse::<Ipv6Addr>().map(|ip| Host::Ip(IpAddr::V6(ip))).map_err(|_| SsrfError::InvalidIpv6);
    }
    let host = host.to_ascii_lowercase();
    if host.len() > MAX_HOST_LEN {
        return Err(SsrfError::InvalidHost("longer than 253 characters"));
    }
    // One trailing dot is the DNS root: `127.0.0.1.` is still 127.0.0.1.
    let bare = host.strip_suffix('.').unwrap_or(&host);
    if bare.is_empty() {
        return Err(SsrfError::EmptyHost);
    }
    let labels: Vec<&str> = bare.split('.').collect();
    // The WHATWG rule: a host whose last label is a number is an IPv4 address or invalid.
    if labels.last().is_some_and(|l| looks_numeric(l)) {
        return parse_ipv4_like_inet_aton(&labels).map(|ip| Host::Ip(IpAddr::V4(ip))).ok_or(SsrfError::InvalidIpv4);
    }
    for label in &labels {
        if label.is_empty() {
            return Err(SsrfError::InvalidHost("empty label"));
        }
        if label.len() > MAX_LABEL_LEN {
            return Err(SsrfError::InvalidHost("a label is longer than 63 characters"));
        }
        if !label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Err(SsrfError::InvalidHost("only letters, digits, '-', '_' and '.' are allowed"));
        }
    }
    Ok(Host::Name(host))
}

fn looks_numeric(label: &str) -> bool {
    if let Some(hex) = label.strip_prefix("0x").or_else(|| label.strip_prefix("0X")) {
        return hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    !label.is_empty() && label.bytes().all(|b| b.is_ascii_digit())
}

/// `inet_aton`'s reading: 1 to 4 parts, each decimal, `0x` hex or `0` octal; the last
/// part fills the bytes the earlier ones leave (`127.1` = 127.0.0.1).
fn parse_ipv4_like_inet_aton(labels: &[&str]) -> Option<Ipv4Addr> {
    if labels.is_empty() || labels.len() > 4 {
        return None;
    }
    let parts: Vec<u64> = labels.iter().map(|l| parse_ipv4_part(l)).collect::<Option<_>>()?;
    let (last, leading) = parts.split_last()?;
    if leading.iter().any(|p| *p > 255) {
        return None;
    }
    let last_bits = 8 * (4 - leading.len() as u32);
    if *last >= 1u64 << last_bits {
        return None;
    }
    let value = leading.iter().enumerate().fold(*last, |acc, (i, p)| acc | (p << (24 - 8 * i as u32)));
    u32::try_from(value).ok().map(Ipv4Addr::from)
}

fn parse_ipv4_part(part: &str) -> Option<u64> {
    if let Some(hex) = part.strip_prefix("0x").or_else(|| part.strip_prefix("0X")) {
        // WHATWG reads a bare `0x` as zero.
        return if hex.is_empty() { Some(0) } else { u64::from_str_radix(hex, 16).ok() };
    }
    if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) {
        if part.len() > 1 && part.starts_with('0') {
            return u64::from_str_radix(&part[1..], 8).ok();
        }
        return part.parse().ok();
    }
    None
}

// -------------------------------------------------------------------------- addresses

const fn range(cidr: &'static str, name: &'static str) -> Range {
    Range { cidr, name }
}

/// Refused IPv4 blocks, the more specific first.
const V4_FORBIDDEN: &[(u32, u32, Range)] = &[
    (0xFFFF_FFFF, 32, range("255.255.255.255/32", "limited broadcast")),
    (0x0000_0000, 8, range("0.0.0.0/8", "\"this network\"")),
    (0x0A00_0000, 8, range("10.0.0.0/8", "private network")),
    (0x6440_0000, 10, range("100.64.0.0/10", "shared address space (carrier-grade NAT)")),
    (0x7F00_0000, 8, range("127.0.0.0/8", "loopback")),
    (0xA9FE_0000, 16, range("169.254.0.0/16", "link-local, incl. the cloud metadata service")),
    (0xAC10_0000, 12, range("172.16.0.0/12", "private network")),
    (0xC000_0000, 24, range("192.0.0.0/24", "IETF protocol assignments")),
    (0xC000_0200, 24, range("192.0.2.0/24", "documentation (TEST-NET-1)")),
    (0xC058_6300, 24, range("192.88.99.0/24", "6to4 relay anycast")),
    (0xC0A8_0000, 16, range("192.168.0.0/16", "private network")),
    (0xC612_0000, 15, range("198.18.0.0/15", "benchmarking")),
    (0xC633_6400, 24, range("198.51.100.0/24", "documentation (TEST-NET-2)")),
    (0xCB00_7100, 24, range("203.0.113.0/24", "documentation (TEST-NET-3)")),
    (0xE000_0000, 4, range("224.0.0.0/4", "multicast")),
    (0xF000_0000, 4, range("240.0.0.0/4", "reserved")),
];

/// How an IPv6 block is treated.
enum V6Rule {
    Refuse(Range),
    /// The IPv4 address in these bits (shift right by the given amount) decides.
    Embeds {
        via: &'static str,
        shift: u32,
    },
}

const V6_RULES: &[(u128, u32, V6Rule)] = &[
    (0, 128, V6Rule::Refuse(range("::/128", "unspecified"))),
    (1, 128, V6Rule::Refuse(range("::1/128", "loopback"))),
    (0xFFFF_0000_0000, 96, V6Rule::Embeds { via: "IPv4-mapped", shift: 0 }),
    (0, 96, V6Rule::Refuse(range("::/96", "IPv4-compatible (deprecated)"))),
    (0x0064_FF9B << 96, 96, V6Rule::Embeds { via: "NAT64", shift: 0 }),
    (0x0100 << 112, 64, V6Rule::Refuse(range("100::/64", "discard-only"))),
    (0x2001_0DB8 << 96, 32, V6Rule::Refuse(range("2001:db8::/32", "documentation"))),
    (0x2001_0000 << 96, 32, V6Rule::Refuse(range("2001::/32", "Teredo"))),
    (0x2001_0000 << 96, 23, V6Rule::Refuse(range("2001::/23", "IETF protocol assignments"))),
    (0x2002 << 112, 16, V6Rule::Embeds { via: "6to4", shift: 80 }),
    (0x3FFF << 112, 20, V6Rule::Refuse(range("3fff::/20", "documentation"))),
    (0xFC00 << 112, 7, V6Rule::Refuse(range("fc00::/7", "unique local"))),
    (0xFE80 << 112, 10, V6Rule::Refuse(range("fe80::/10", "link-local"))),
    (0xFEC0 << 112, 10, V6Rule::Refuse(range("fec0::/10", "site-local (deprecated)"))),
    (0xFF00 << 112, 8, V6Rule::Refuse(range("ff00::/8", "multicast"))),
];

/// Everything outside 2000::/3 is unallocated or special-purpose.
const V6_GLOBAL_UNICAST: (u128, u32) = (0x2000 << 112, 3);
const V6_NOT_GLOBAL: Range = range("outside 2000::/3", "not global unicast");

/// Whether `addr` is in `net/prefix`, both as 128-bit numbers.
fn in_block(addr: u128, net: u128, prefix: u32) -> bool {
    prefix == 0 || (addr ^ net) >> (128 - prefix) == 0
}

fn v4_forbidden_range(ip: Ipv4Addr) -> Option<Range> {
    let bits = u32::from(ip);
    V4_FORBIDDEN
        .iter()
        .find(|(net, prefix, _)| in_block(u128::from(bits) << 96, u128::from(*net) << 96, *prefix))
        .map(|(_, _, r)| *r)
}

/// Whether an endpoint may be connected to at `ip`. Production refuses every private,
/// loopback, link-local, metadata, documentation, multicast and reserved block (for
/// IPv4-mapped, NAT64 and 6to4 addresses, those of the IPv4 address inside); local mode
/// accepts only loopback. The error names the block.
pub fn check_ip(ip: IpAddr, mode: Mode) -> Result<(), SsrfError> {
    match mode {
        Mode::Production => check_production(ip),
        Mode::Local => {
            let loopback = match ip {
                IpAddr::V4(v4) => v4.is_loopback(),
                IpAddr::V6(v6) => v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
            };
            if loopback { Ok(()) } else { Err(SsrfError::NotLoopback { ip }) }
        }
    }
}

fn check_production(ip: IpAddr) -> Result<(), SsrfError> {
    let v6 = match ip {
        IpAddr::V4(v4) => {
            return v4_forbidden_range(v4).map_or(Ok(()), |range| Err(SsrfError::Forbidden { ip, range }));
        }
        IpAddr::V6(v6) => v6,
    };
    let bits = u128::from(v6);
    for (net, prefix, rule) in V6_RULES {
        if !in_block(bits, *net, *prefix) {
            continue;
        }
        return match rule {
            V6Rule::Refuse(range) => Err(SsrfError::Forbidden { ip, range: *range }),
            V6Rule::Embeds { via, shift } => {
                // Truncation intended: the 32 bits at `shift` are the IPv4 address.
                let embedded = Ipv4Addr::from((bits >> shift) as u32);
                match v4_forbidden_range(embedded) {
                    Some(range) => Err(SsrfError::ForbiddenEmbedded { ip: v6, via, embedded, range }),
                    None => Ok(()),
                }
            }
        };
    }
    let (net, prefix) = V6_GLOBAL_UNICAST;
    if !in_block(bits, net, prefix) {
        return Err(SsrfError::Forbidden { ip, range: V6_NOT_GLOBAL });
    }
    Ok(())
}
