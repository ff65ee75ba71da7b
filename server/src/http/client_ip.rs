//! The client's IP address: the TCP peer, unless the peer is a trusted proxy; then
//! `X-Forwarded-For` is walked from the right, skipping trusted proxies, and the first
//! untrusted address is the client. The leftmost entry is never trusted blindly: any
//! client can write it.
//!
//! Every address is canonicalised before it is compared or returned: an IPv4-mapped IPv6
//! address (`::ffff:127.0.0.1`, as a dual-stack `[::]` listener reports IPv4 peers) is the
//! IPv4 address, so `TRUSTED_PROXIES=127.0.0.1/32` matches it and it is limited as one
//! client with its plain IPv4 form.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;
use ipnet::{IpNet, Ipv4Net};

pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let peer = peer.to_canonical();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    let mut client = peer;
    for entry in forwarded.iter().rev() {
        let Some(ip) = parse_entry(entry) else { break };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    client
}

/// An `X-Forwarded-For` entry: an address, optionally with a port (`1.2.3.4:5678`,
/// `[2001:db8::1]:443`).
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .map(|ip| ip.to_canonical())
}

/// A network written in IPv4-mapped IPv6 form (`::ffff:10.0.0.0/104`) as the IPv4
/// network it stands for, so it matches canonical addresses.
fn canonical_net(net: IpNet) -> IpNet {
    if let IpNet::V6(v6) = net
        && v6.prefix_len() >= 96
        && let Some(v4) = v6.network().to_ipv4_mapped()
        && let Ok(mapped) = Ipv4Net::new(v4, v6.prefix_len() - 96)
    {
        return IpNet::V4(mapped);
    }
    net
}

/// Parse `TRUSTED_PROXIES` ("10.0.0.0/8, 127.0.0.1"): CIDRs or single addresses.
pub fn parse_trusted(list: &str) -> Result<Vec<IpNet>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map(canonical_net)
                .map_err(|_| format!("\"{s}\" is not an IP address or CIDR"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", v.parse().expect("header"));
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn untrusted_peer_is_the_client() {
        let trusted = parse_trusted("10.0.0.0/8").expect("cidr");
        assert_eq!(
            client_ip(ip("203.0.113.9"), &headers(&["1.1.1.1"]), &trusted),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_ip(ip("203.0.113.9"), &headers(&["1.1.1.1"]), &[]),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn walks_from_the_right_skipping_trusted_proxies() {
        let trusted = parse_trusted("10.0.0.0/8, 192.168.1.1").expect("cidr");
        // Spoofed first entry, real client, then two proxies.
        let h = headers(&["6.6.6.6, 198.51.100.7, 10.1.1.1"]);
        assert_eq!(client_ip(ip("10.0.0.2"), &h, &trusted), ip("198.51.100.7"));
        let h = headers(&["6.6.6.6", "198.51.100.7:4242, 192.168.1.1"]);
        assert_eq!(client_ip(ip("10.0.0.2"), &h, &trusted), ip("198.51.100.7"));
    }

    #[test]
    fn garbage_stops_the_walk() {
        let trusted = parse_trusted("10.0.0.0/8").expect("cidr");
        let h = headers(&["1.2.3.4, nonsense, 10.0.0.5"]);
        assert_eq!(client_ip(ip("10.0.0.2"), &h, &trusted), ip("10.0.0.5"));
        assert_eq!(
            client_ip(ip("10.0.0.2"), &HeaderMap::new(), &trusted),
            ip("10.0.0.2")
        );
        assert!(parse_trusted("10.0.0.0/33").is_err());
    }

    #[test]
    fn ipv4_mapped_peers_match_ipv4_proxies() {
        let trusted = parse_trusted("127.0.0.1/32").expect("cidr");
        let h = headers(&["198.51.100.7"]);
        // A dual-stack listener reports the IPv4 proxy as ::ffff:127.0.0.1.
        assert_eq!(
            client_ip(ip("::ffff:127.0.0.1"), &h, &trusted),
            ip("198.51.100.7")
        );
        // A mapped client behind the proxy, and an untrusted mapped peer, come out as IPv4.
        let h = headers(&["::ffff:198.51.100.8, ::ffff:127.0.0.1"]);
        assert_eq!(
            client_ip(ip("::ffff:127.0.0.1"), &h, &trusted),
            ip("198.51.100.8")
        );
        assert_eq!(
            client_ip(ip("::ffff:203.0.113.9"), &h, &trusted),
            ip("203.0.113.9")
        );
        // Proxies may be configured in the mapped form too.
        let mapped = parse_trusted("::ffff:10.0.0.0/104").expect("cidr");
        assert_eq!(mapped, parse_trusted("10.0.0.0/8").expect("cidr"));
        let h = headers(&["198.51.100.9"]);
        assert_eq!(client_ip(ip("10.2.3.4"), &h, &mapped), ip("198.51.100.9"));
        // Real IPv6 proxies are unaffected.
        let v6 = parse_trusted("2001:db8::/32").expect("cidr");
        assert_eq!(client_ip(ip("2001:db8::1"), &h, &v6), ip("198.51.100.9"));
    }
}
