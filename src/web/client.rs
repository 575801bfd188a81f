//! Who sent a request: the client's address and the scheme it used, read through
//! the reverse proxies the operator trusts (`server.trusted_proxies`) and through no
//! one else. Rate limits and the sign-in throttle key on this address; it is never
//! stored.

use std::net::IpAddr;

use actix_web::http::header;
use actix_web::HttpRequest;
use ipnet::IpNet;

/// The proxies whose forwarding headers are believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses addresses and CIDR ranges (`10.0.0.0/8`, `::1`, `192.168.1.5`).
    pub fn parse(entries: &[String]) -> Result<Self, String> {
        entries
            .iter()
            .map(|entry| {
                let entry = entry.trim();
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("`{entry}` in server.trusted_proxies is not an IP address or CIDR range"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    fn contains(&self, address: &IpAddr) -> bool {
        let address = canonical(*address);
        self.0.iter().any(|net| net.contains(&address))
    }

    /// The client's address: the peer's, or, when the peer is a trusted proxy, the
    /// right-most address in `X-Forwarded-For` (else `Forwarded: for=`) that is not a
    /// trusted proxy itself. Anything further left was written by the client and is
    /// not believed.
    pub fn client_address(&self, request: &HttpRequest) -> Option<IpAddr> {
        let peer = canonical(request.peer_addr()?.ip());
        if !self.contains(&peer) {
            return Some(peer);
        }
        let mut hops = forwarded_for(request);
        if hops.is_empty() {
            return Some(peer);
        }
        let leftmost = hops[0];
        hops.reverse();
        Some(hops.into_iter().find(|hop| !self.contains(hop)).unwrap_or(leftmost))
    }

    /// `https` or `http`: `X-Forwarded-Proto` (or `Forwarded: proto=`) when the peer is
    /// a trusted proxy, else how the connection itself was made.
    pub fn scheme(&self, request: &HttpRequest) -> String {
        let own = if request.app_config().secure() { "https" } else { "http" };
        let Some(peer) = request.peer_addr().map(|a| a.ip()) else { return own.to_string() };
        if !self.contains(&peer) {
            return own.to_string();
        }
        let header_value = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok());
        let forwarded_proto = header_value("x-forwarded-proto")
            .and_then(|v| v.split(',').next())
            .map(|v| v.trim().to_ascii_lowercase())
            .or_else(|| {
                header_value("forwarded").and_then(|v| {
                    forwarded_params(v)
                        .into_iter()
                        .find(|(k, _)| k == "proto")
                        .map(|(_, value)| value.to_ascii_lowercase())
                })
            });
        match forwarded_proto.as_deref() {
            Some("https") => "https".to_string(),
            Some("http") => "http".to_string(),
            _ => own.to_string(),
        }
    }
}

/// The key rate limits count under: the address, or for IPv6 its /64 (one customer's
/// network usually holds a whole /64, so per-address limits would not limit).
pub fn rate_key(address: IpAddr) -> IpAddr {
    match canonical(address) {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(bits.into())
        }
        v4 => v4,
    }
}

/// An IPv4 address written as IPv6 (`::ffff:1.2.3.4`) is the IPv4 address.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// The addresses in `X-Forwarded-For` (all header lines, in order), or else in
/// `Forwarded: for=`. Unparseable entries (`unknown`, obfuscated ids) end the list
/// there, so nothing left of them is believed.
fn forwarded_for(request: &HttpRequest) -> Vec<IpAddr> {
    let x_forwarded: Vec<&str> = request
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect();
    let entries: Vec<String> = if !x_forwarded.is_empty() {
        x_forwarded.into_iter().map(str::to_string).collect()
    } else {
        request
            .headers()
            .get_all(header::FORWARDED)
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .flat_map(|element| forwarded_params(element).into_iter().filter(|(k, _)| k == "for").map(|(_, v)| v))
            .collect()
    };
    // Keep the right-most run of parseable addresses.
    let parsed: Vec<Option<IpAddr>> = entries.iter().map(|e| parse_node(e)).collect();
    let start = parsed.iter().rposition(Option::is_none).map_or(0, |i| i + 1);
    parsed[start..].iter().flatten().map(|a| canonical(*a)).collect()
}

/// `key=value` pairs of one `Forwarded` element, keys lowercased, quotes removed.
fn forwarded_params(element: &str) -> Vec<(String, String)> {
    element
        .split([';', ','])
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().trim_matches('"').to_string()))
        .collect()
}

/// An address as proxies write it: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`,
/// `[2001:db8::1]:443`.
fn parse_node(node: &str) -> Option<IpAddr> {
    let node = node.trim();
    if let Ok(address) = node.parse::<IpAddr>() {
        return Some(address);
    }
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    node.rsplit_once(':').and_then(|(host, _port)| host.parse::<std::net::Ipv4Addr>().ok()).map(IpAddr::V4)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies::parse(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>()).expect("valid")
    }

    fn from(peer: &str) -> TestRequest {
        TestRequest::default().peer_addr(peer.parse().expect("socket address"))
    }

    #[test]
    fn forwarded_headers_are_believed_only_from_trusted_proxies() {
        let trusted = proxies(&["10.0.0.0/8", "::1"]);
        let forged = from("203.0.113.9:4000").insert_header(("x-forwarded-for", "1.1.1.1")).to_http_request();
        assert_eq!(trusted.client_address(&forged), "203.0.113.9".parse().ok());
        let proxied = from("10.0.0.2:4000")
            .insert_header(("x-forwarded-for", "6.6.6.6, 198.51.100.7, 10.0.0.3"))
            .to_http_request();
        assert_eq!(trusted.client_address(&proxied), "198.51.100.7".parse().ok(), "right-most untrusted hop");
        let forwarded = from("[::1]:4000")
            .insert_header(("forwarded", "for=6.6.6.6, for=\"[2001:db8::7]:443\";proto=https"))
            .to_http_request();
        assert_eq!(trusted.client_address(&forwarded), "2001:db8::7".parse().ok());
        let nothing = from("10.0.0.2:4000").to_http_request();
        assert_eq!(trusted.client_address(&nothing), "10.0.0.2".parse().ok());
        let junk = from("10.0.0.2:4000").insert_header(("x-forwarded-for", "unknown")).to_http_request();
        assert_eq!(trusted.client_address(&junk), "10.0.0.2".parse().ok(), "nothing believable: the proxy");
    }

    #[test]
    fn scheme_comes_from_trusted_proxies_only() {
        let trusted = proxies(&["127.0.0.1"]);
        let behind = from("127.0.0.1:1").insert_header(("x-forwarded-proto", "https")).to_http_request();
        assert_eq!(trusted.scheme(&behind), "https");
        let forged = from("192.0.2.1:1").insert_header(("x-forwarded-proto", "https")).to_http_request();
        assert_eq!(trusted.scheme(&forged), "http");
    }

    #[test]
    fn ipv6_clients_share_their_64() {
        let a = rate_key("2001:db8:1:2:aaaa::1".parse().expect("ip"));
        let b = rate_key("2001:db8:1:2:ffff::9".parse().expect("ip"));
        let other = rate_key("2001:db8:1:3::1".parse().expect("ip"));
        assert_eq!(a, b);
        assert_ne!(a, other);
        assert_eq!(rate_key("192.0.2.1".parse().expect("ip")), "192.0.2.1".parse::<IpAddr>().expect("ip"));
        assert_eq!(rate_key("::ffff:192.0.2.1".parse().expect("ip")), "192.0.2.1".parse::<IpAddr>().expect("ip"));
    }

    #[test]
    fn bad_entries_are_named() {
        let err = TrustedProxies::parse(&["10.0.0.0/33".to_string()]).expect_err("invalid");
        assert!(err.contains("10.0.0.0/33"), "{err}");
    }
}
