//! `show ip route`: the IPv4 routing table, with a longest-prefix lookup to answer "does this
//! router have a route to its peer, and through which interface".
//!
//! Both layouts are read: 15.x, where every row carries its prefix length, and 12.x, where
//! rows under `10.0.0.0/24 is subnetted, 2 subnets` leave the length to that header.

use super::text::{Unparsed, cap_num, cap_str, caps, is_legend, keep_unparsed};
use regex::Regex;
use serde::Serialize;
use std::net::Ipv4Addr;
use std::sync::LazyLock;

pub const COMMAND: &str = "show ip route";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NextHop {
    pub line: usize,
    pub via: Option<Ipv4Addr>,
    pub interface: Option<String>,
    /// `00:01:02`, `3d18h`: how long the route has been there, when printed.
    pub age: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Route {
    pub line: usize,
    /// The code column as printed: `S*`, `C`, `L`, `O IA`, `D EX`.
    pub code: String,
    /// `*`: a candidate default.
    pub candidate_default: bool,
    pub network: Ipv4Addr,
    pub prefix_len: u8,
    pub distance: Option<u32>,
    pub metric: Option<u32>,
    pub connected: bool,
    pub next_hops: Vec<NextHop>,
}

impl Route {
    pub fn contains(&self, addr: Ipv4Addr) -> bool {
        let mask = match self.prefix_len {
            0 => 0,
            n => u32::MAX << (32 - u32::from(n.min(32))),
        };
        u32::from(addr) & mask == u32::from(self.network) & mask
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RouteTable {
    /// `Gateway of last resort is 192.0.2.1 to network 0.0.0.0`: the gateway.
    pub gateway_of_last_resort: Option<Ipv4Addr>,
    pub routes: Vec<Route>,
    pub unparsed: Unparsed,
}

impl RouteTable {
    /// The most specific route covering `addr`, as the router would choose it.
    pub fn lookup(&self, addr: Ipv4Addr) -> Option<&Route> {
        self.routes
            .iter()
            .filter(|r| r.contains(addr))
            .max_by_key(|r| r.prefix_len)
    }
}

// `Gateway of last resort is 192.0.2.1 to network 0.0.0.0`
// `Gateway of last resort is not set`
static GATEWAY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^\s*Gateway of last resort is (?:(?P<gw>\d+\.\d+\.\d+\.\d+) to network \S+|not set)\s*$",
    )
    .expect("gateway regex")
});
// `Routing Table: VRF-A` / `Routing entry for …` headers a vrf table starts with.
static TABLE_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*Routing Table: \S+\s*$").expect("table regex"));
// `      10.0.0.0/8 is variably subnetted, 2 subnets, 2 masks`
// `     10.0.0.0/24 is subnetted, 2 subnets`
static SUBNETTED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s+\d+\.\d+\.\d+\.\d+/(?P<len>\d+) is (?P<var>variably )?subnetted, .*$")
        .expect("subnetted regex")
});
// `S*    0.0.0.0/0 [1/0] via 192.0.2.1`
// `C        203.0.113.0/24 is directly connected, GigabitEthernet0/0`
// `O IA     10.3.0.0/16 [110/3] via 10.1.1.2, 00:01:02, GigabitEthernet0/1`
// `C       10.1.1.0 is directly connected, FastEthernet0/0`   (12.x, length from the header)
static ROUTE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?P<code>[A-Za-z]{1,2}[*+%]?(?: ?[A-Z]{1,2}[0-9]?)?[*+%]?)\s+(?P<net>\d+\.\d+\.\d+\.\d+)(?:/(?P<len>\d+))?(?:\s+(?P<rest>.*?))?\s*$")
        .expect("route regex")
});
// `                [110/2] via 10.1.1.3, 00:01:02, GigabitEthernet0/1`
static CONTINUATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s+(?P<rest>(?:\[\d+/\d+\] via|is directly connected).*?)\s*$")
        .expect("continuation regex")
});
// `[1/0] via 192.0.2.1, GigabitEthernet0/0`
static VIA: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:\[(?P<ad>\d+)/(?P<metric>\d+)\] )?via (?P<via>\d+\.\d+\.\d+\.\d+)(?P<tail>(?:, \S+)*)$")
        .expect("via regex")
});
// `is directly connected, GigabitEthernet0/0`
// `is a summary, 00:00:10, Null0`
static DIRECT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:\[(?P<ad>\d+)/(?P<metric>\d+)\] )?is (?:directly connected|a summary)(?P<tail>(?:, \S+)*)$")
        .expect("direct regex")
});
// `00:01:02`, `3d18h`, `1w2d`: an age, not an interface.
static AGE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:\d+:\d+:\d+|\d+[ywdh]\d+[wdhm])$").expect("age regex"));

/// Reads `[1/0] via 192.0.2.1, 00:00:12, Gi0/0` or `is directly connected, Gi0/0`.
fn next_hop(route: &mut Route, n: usize, rest: &str) -> bool {
    let (c, via) = match (caps(&VIA, rest), caps(&DIRECT, rest)) {
        (Some(c), _) => {
            let via = c.name("via").and_then(|m| m.as_str().parse().ok());
            (c, via)
        }
        (None, Some(c)) => {
            route.connected = rest.contains("directly connected");
            (c, None)
        }
        (None, None) => return false,
    };
    if route.distance.is_none() {
        route.distance = cap_num(&c, "ad");
        route.metric = cap_num(&c, "metric");
    }
    let mut hop = NextHop {
        line: n,
        via,
        interface: None,
        age: None,
    };
    for part in c.name("tail").map_or("", |m| m.as_str()).split(", ") {
        let part = part.trim().trim_start_matches(',').trim();
        if part.is_empty() {
        } else if AGE.is_match(part) {
            hop.age = Some(part.to_string());
        } else {
            hop.interface = Some(part.to_string());
        }
    }
    route.next_hops.push(hop);
    true
}

fn classful_len(net: Ipv4Addr) -> u8 {
    match net.octets()[0] {
        0..=127 => 8,
        128..=191 => 16,
        _ => 24,
    }
}

/// Parses `show ip route`.
pub fn parse(text: &str) -> RouteTable {
    let mut out = RouteTable::default();
    // The mask a 12.x `is subnetted` header gives the rows under it.
    let mut header_len: Option<u8> = None;
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() || is_legend(line) || TABLE_NAME.is_match(line) {
            continue;
        }
        if let Some(c) = caps(&GATEWAY, line) {
            out.gateway_of_last_resort = c.name("gw").and_then(|m| m.as_str().parse().ok());
        } else if let Some(c) = caps(&SUBNETTED, line) {
            header_len = if c.name("var").is_some() {
                None
            } else {
                cap_num(&c, "len")
            };
        } else if let Some(c) = caps(&ROUTE, line) {
            if !route_row(&mut out, &c, header_len, n) {
                keep_unparsed(&mut out.unparsed, n, line);
            }
        } else if let Some(c) = caps(&CONTINUATION, line) {
            let rest = c.name("rest").map_or("", |m| m.as_str());
            let ok = out.routes.last_mut().is_some_and(|r| next_hop(r, n, rest));
            if !ok {
                keep_unparsed(&mut out.unparsed, n, line);
            }
        } else {
            keep_unparsed(&mut out.unparsed, n, line);
        }
    }
    out
}

fn route_row(
    out: &mut RouteTable,
    c: &regex::Captures<'_>,
    header_len: Option<u8>,
    n: usize,
) -> bool {
    let Some(network) = c
        .name("net")
        .and_then(|m| m.as_str().parse::<Ipv4Addr>().ok())
    else {
        return false;
    };
    let prefix_len = match c.name("len") {
        Some(m) => match m.as_str().parse::<u8>() {
            Ok(l) if l <= 32 => l,
            _ => return false,
        },
        None => header_len.unwrap_or_else(|| classful_len(network)),
    };
    let code = cap_str(c, "code").unwrap_or_default();
    let mut route = Route {
        line: n,
        candidate_default: code.contains('*'),
        code,
        network,
        prefix_len,
        distance: None,
        metric: None,
        connected: false,
        next_hops: Vec::new(),
    };
    // A long prefix pushes the next hop to the following line: the row alone is fine.
    if let Some(rest) = c.name("rest").map(|m| m.as_str()).filter(|r| !r.is_empty())
        && !next_hop(&mut route, n, rest)
    {
        return false;
    }
    out.routes.push(route);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    const IOS_15: &str = "\
Codes: L - local, C - connected, S - static, R - RIP, M - mobile, B - BGP
       D - EIGRP, EX - EIGRP external, O - OSPF, IA - OSPF inter area 
       + - replicated route, % - next hop override

Gateway of last resort is 192.0.2.1 to network 0.0.0.0

S*    0.0.0.0/0 [1/0] via 192.0.2.1
      10.0.0.0/8 is variably subnetted, 3 subnets, 3 masks
S        10.0.0.0/8 [1/0] via 192.0.2.1
C        10.1.1.0/24 is directly connected, GigabitEthernet0/1
L        10.1.1.1/32 is directly connected, GigabitEthernet0/1
O IA     10.2.0.0/16 [110/2] via 10.1.1.2, 00:01:02, GigabitEthernet0/1
                [110/2] via 10.1.1.3, 00:01:02, GigabitEthernet0/1
C        203.0.113.0/24 is directly connected, GigabitEthernet0/0
";

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    #[test]
    fn ios_15_table_and_lookup() {
        let t = parse(IOS_15);
        assert!(t.unparsed.is_empty(), "{:?}", t.unparsed);
        assert_eq!(t.gateway_of_last_resort, Some(ip("192.0.2.1")));
        assert_eq!(t.routes.len(), 6);
        let d = t.lookup(ip("8.8.8.8")).unwrap();
        assert!(d.candidate_default && d.prefix_len == 0);
        assert_eq!(
            t.lookup(ip("10.1.1.9")).unwrap().next_hops[0]
                .interface
                .as_deref(),
            Some("GigabitEthernet0/1")
        );
        assert_eq!(t.lookup(ip("10.1.1.1")).unwrap().code, "L");
        let ospf = t.lookup(ip("10.2.3.4")).unwrap();
        assert_eq!(
            (ospf.code.as_str(), ospf.distance, ospf.metric),
            ("O IA", Some(110), Some(2))
        );
        assert_eq!(ospf.next_hops.len(), 2);
        assert_eq!(ospf.next_hops[1].via, Some(ip("10.1.1.3")));
        assert_eq!(ospf.next_hops[0].age.as_deref(), Some("00:01:02"));
        assert_eq!(t.lookup(ip("10.9.9.9")).unwrap().prefix_len, 8);
        assert!(t.lookup(ip("203.0.113.7")).unwrap().connected);
    }

    #[test]
    fn ios_12_subnetted_rows_take_the_header_length() {
        let t = parse(
            "Gateway of last resort is not set\n\n\
             \x20    10.0.0.0/24 is subnetted, 2 subnets\n\
             C       10.1.1.0 is directly connected, FastEthernet0/0\n\
             S       10.2.2.0 [1/0] via 10.1.1.2\n\
             C    192.168.1.0/24 is directly connected, FastEthernet0/1\n",
        );
        assert!(t.unparsed.is_empty(), "{:?}", t.unparsed);
        assert_eq!(t.gateway_of_last_resort, None);
        assert_eq!(t.routes[0].prefix_len, 24);
        assert!(t.lookup(ip("10.3.3.3")).is_none());
        assert_eq!(
            t.lookup(ip("10.2.2.9")).unwrap().next_hops[0].via,
            Some(ip("10.1.1.2"))
        );
    }

    #[test]
    fn wrapped_next_hop() {
        let t = parse(
            "O E2     192.168.100.0/24 \n           [110/20] via 10.1.1.2, 00:00:12, GigabitEthernet0/1\n",
        );
        assert!(t.unparsed.is_empty(), "{:?}", t.unparsed);
        assert_eq!(t.routes[0].next_hops.len(), 1);
        assert_eq!(t.routes[0].distance, Some(110));
    }

    #[test]
    fn empty_output() {
        let t = parse("");
        assert!(t.routes.is_empty() && t.unparsed.is_empty());
        assert!(t.lookup(ip("1.1.1.1")).is_none());
    }

    #[test]
    fn garbage_lines_are_reported() {
        let t = parse(
            "S    10.0.0.0/99 [1/0] via 1.1.1.1\n     [1/0] via 1.1.1.1\nS   300.1.1.1/8 via x\n???\n",
        );
        assert!(t.routes.is_empty());
        assert_eq!(t.unparsed.len(), 4);
    }
}
