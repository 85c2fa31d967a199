//! Who the client is: the socket peer, or — only when that peer is one of `LOA_TRUSTED_PROXIES` —
//! the right-most address of `X-Forwarded-For` that is not a trusted proxy; and the network a
//! per-address limit counts (the address itself for IPv4, its /64 for IPv6, since one IPv6
//! subscriber usually holds a whole /64 and could otherwise change address at every request).

use std::net::{IpAddr, Ipv6Addr};

use axum::http::HeaderMap;
use ipnet::IpNet;

/// The client of a request, as the audit log, the citizens' records and the limits see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Client {
    /// The client's address (`203.0.113.7`, `2001:db8::1`).
    pub ip: IpAddr,
}

impl Client {
    /// The client of a request from `peer` with these headers. `X-Forwarded-For` is believed
    /// only from a trusted peer, and then read from the right: each trusted proxy appended the
    /// address it saw, so the first untrusted one from the right is the client; anything to its
    /// left was written by the client and may be forged.
    pub fn of(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> Client {
        let peer = peer.to_canonical();
        let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
        if !is_trusted(&peer) {
            return Client { ip: peer };
        }
        let mut ip = peer;
        let hops = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect::<Vec<_>>();
        for hop in hops.iter().rev() {
            // A malformed hop ends the chain: what lies left of it cannot be trusted either.
            let Some(addr) = parse_hop(hop) else { break };
            ip = addr;
            if !is_trusted(&addr) {
                break;
            }
        }
        Client { ip }
    }

    /// The address as stored and logged.
    pub fn ip_text(&self) -> String {
        self.ip.to_string()
    }

    /// The key per-address limits count by: the IPv4 address, or the IPv6 /64 (`2001:db8:1:2::/64`).
    pub fn network(&self) -> String {
        match self.ip {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => {
                let s = v6.segments();
                let prefix = Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
                format!("{prefix}/64")
            }
        }
    }
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`1.2.3.4:5678`,
/// `[2001:db8::1]:443`), as some proxies write them.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    hop.parse::<std::net::SocketAddr>()
        .ok()
        .map(|s| s.ip().to_canonical())
}

/// Parses `LOA_TRUSTED_PROXIES`: CIDRs or single addresses, separated by commas or spaces.
pub fn parse_trusted(text: &str) -> Result<Vec<IpNet>, String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map(|n| n.trunc())
                .map_err(|_| format!("«{s}» không phải địa chỉ IP hay dải CIDR (ví dụ 10.0.0.0/8)"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_ignored_from_untrusted_peers() {
        let trusted = parse_trusted("10.0.0.0/8").unwrap();
        let c = Client::of(ip("203.0.113.9"), &headers(&["1.2.3.4"]), &trusted);
        assert_eq!(c.ip, ip("203.0.113.9"));
        let c = Client::of(ip("10.0.0.1"), &headers(&["1.2.3.4"]), &[]);
        assert_eq!(c.ip, ip("10.0.0.1"));
    }

    #[test]
    fn the_right_most_untrusted_hop_is_the_client() {
        let trusted = parse_trusted("10.0.0.0/8, 192.168.1.5").unwrap();
        // The client forged "6.6.6.6"; the proxies appended the real address and each other.
        let h = headers(&["6.6.6.6, 198.51.100.7", "10.1.2.3"]);
        let c = Client::of(ip("10.0.0.1"), &h, &trusted);
        assert_eq!(c.ip, ip("198.51.100.7"));
        // Only trusted hops: the left-most one is as far as we can see.
        let c = Client::of(ip("192.168.1.5"), &headers(&["10.9.9.9"]), &trusted);
        assert_eq!(c.ip, ip("10.9.9.9"));
        // No header: the proxy itself.
        let c = Client::of(ip("10.0.0.1"), &HeaderMap::new(), &trusted);
        assert_eq!(c.ip, ip("10.0.0.1"));
        // Garbage stops the walk at the last good hop.
        let c = Client::of(ip("10.0.0.1"), &headers(&["1.1.1.1, nonsense"]), &trusted);
        assert_eq!(c.ip, ip("10.0.0.1"));
        // Ports and brackets, and IPv4-mapped peers.
        let c = Client::of(
            ip("::ffff:10.0.0.1"),
            &headers(&["[2001:db8::5]:443"]),
            &trusted,
        );
        assert_eq!(c.ip, ip("2001:db8::5"));
    }

    #[test]
    fn ipv6_clients_are_counted_per_64() {
        let a = Client {
            ip: ip("2001:db8:1:2:aaaa::1"),
        };
        let b = Client {
            ip: ip("2001:db8:1:2:bbbb::9"),
        };
        assert_eq!(a.network(), "2001:db8:1:2::/64");
        assert_eq!(a.network(), b.network());
        assert_eq!(
            Client {
                ip: ip("203.0.113.7")
            }
            .network(),
            "203.0.113.7"
        );
    }

    #[test]
    fn trusted_proxies_parse_or_name_the_mistake() {
        assert_eq!(parse_trusted("").unwrap(), vec![]);
        let nets = parse_trusted("127.0.0.1 ::1,10.0.0.0/8").unwrap();
        assert_eq!(nets.len(), 3);
        assert!(parse_trusted("10.0.0.0/33").is_err());
        assert!(parse_trusted("proxy.local")
            .unwrap_err()
            .contains("proxy.local"));
    }
}
