//! IPv4 prefixes (netmask form, as in `ip address` and `ip route`) and wildcard matches (as in
//! access lists), with the containment tests negotiation needs.
//!
//! ACLs keep the wildcard the engineer typed: a wildcard may be non-contiguous, and a fix or a
//! report must quote the entry the way the router prints it.

use serde::Serialize;
use std::fmt;
use std::net::Ipv4Addr;

/// A prefix: address and length. The address is kept as written (`ip address 203.0.113.1
/// 255.255.255.0` keeps `.1`); [`Ipv4Net::network`] gives the masked form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Ipv4Net {
    pub addr: Ipv4Addr,
    pub len: u8,
}

impl Ipv4Net {
    pub fn new(addr: Ipv4Addr, len: u8) -> Option<Ipv4Net> {
        (len <= 32).then_some(Ipv4Net { addr, len })
    }

    pub fn host(addr: Ipv4Addr) -> Ipv4Net {
        Ipv4Net { addr, len: 32 }
    }

    /// From IOS's `address mask` pair; `None` when the mask has holes (IOS rejects those too).
    pub fn from_mask(addr: Ipv4Addr, mask: Ipv4Addr) -> Option<Ipv4Net> {
        let m = u32::from(mask);
        let len = m.leading_ones();
        // A contiguous mask has no one bit after its first zero bit.
        (m.checked_shl(len).unwrap_or(0) == 0).then_some(Ipv4Net {
            addr,
            len: len as u8,
        })
    }

    pub fn mask_bits(&self) -> u32 {
        match self.len {
            0 => 0,
            l => u32::MAX << (32 - u32::from(l.min(32))),
        }
    }

    pub fn mask(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.mask_bits())
    }

    pub fn network(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.addr) & self.mask_bits())
    }

    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        (u32::from(ip) ^ u32::from(self.addr)) & self.mask_bits() == 0
    }

    /// The same range as an ACL match (`192.168.101.0 0.0.0.255`).
    pub fn to_wildcard(&self) -> Wildcard {
        Wildcard {
            addr: self.network(),
            wildcard: Ipv4Addr::from(!self.mask_bits()),
        }
    }
}

impl fmt::Display for Ipv4Net {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network(), self.len)
    }
}

/// The first usable host of a network given by its address (`.0` → `.1`): where a test
/// ping goes, or comes from, inside a protected network.
pub fn first_host(net: Ipv4Addr) -> Ipv4Addr {
    let n = u32::from(net);
    if n & 0xff == 0 {
        Ipv4Addr::from(n + 1)
    } else {
        net
    }
}

/// An ACL address match: `any`, `host A`, or `A W` where a one bit in `W` means "don't care".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Wildcard {
    pub addr: Ipv4Addr,
    pub wildcard: Ipv4Addr,
}

impl Wildcard {
    pub const ANY: Wildcard = Wildcard {
        addr: Ipv4Addr::UNSPECIFIED,
        wildcard: Ipv4Addr::BROADCAST,
    };

    pub fn host(addr: Ipv4Addr) -> Wildcard {
        Wildcard {
            addr,
            wildcard: Ipv4Addr::UNSPECIFIED,
        }
    }

    fn care(&self) -> u32 {
        !u32::from(self.wildcard)
    }

    pub fn matches(&self, ip: Ipv4Addr) -> bool {
        (u32::from(ip) ^ u32::from(self.addr)) & self.care() == 0
    }

    /// Every address `other` matches, `self` matches too.
    pub fn covers(&self, other: &Wildcard) -> bool {
        // `other` may vary a bit `self` cares about: then some address escapes.
        let other_free = u32::from(other.wildcard);
        other_free & self.care() == 0
            && (u32::from(other.addr) ^ u32::from(self.addr)) & self.care() == 0
    }

    /// Same set of addresses (IOS ignores address bits under the wildcard).
    pub fn same_range(&self, other: &Wildcard) -> bool {
        self.covers(other) && other.covers(self)
    }

    /// The prefix form when the wildcard is contiguous (as IPsec proxy identities are).
    pub fn to_net(&self) -> Option<Ipv4Net> {
        let mask = Ipv4Addr::from(self.care());
        Ipv4Net::from_mask(self.addr, mask).map(|n| Ipv4Net {
            addr: n.network(),
            len: n.len,
        })
    }
}

impl fmt::Display for Wildcard {
    /// As IOS prints it in an ACL entry.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Wildcard::ANY || self.wildcard == Ipv4Addr::BROADCAST {
            f.write_str("any")
        } else if self.wildcard == Ipv4Addr::UNSPECIFIED {
            write!(f, "host {}", self.addr)
        } else {
            write!(f, "{} {}", self.addr, self.wildcard)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    #[test]
    fn netmask_must_be_contiguous() {
        let n = Ipv4Net::from_mask(ip("203.0.113.1"), ip("255.255.255.0")).unwrap();
        assert_eq!(n.len, 24);
        assert_eq!(n.network(), ip("203.0.113.0"));
        assert!(n.contains(ip("203.0.113.2")));
        assert!(!n.contains(ip("203.0.114.2")));
        assert!(Ipv4Net::from_mask(ip("10.0.0.0"), ip("255.0.255.0")).is_none());
        assert_eq!(
            Ipv4Net::from_mask(ip("0.0.0.0"), ip("0.0.0.0")).map(|n| n.len),
            Some(0)
        );
        assert!(
            Ipv4Net::from_mask(ip("0.0.0.0"), ip("0.0.0.0"))
                .unwrap()
                .contains(ip("8.8.8.8"))
        );
    }

    #[test]
    fn wildcard_matching_and_cover() {
        let lan = Wildcard {
            addr: ip("192.168.101.0"),
            wildcard: ip("0.0.0.255"),
        };
        assert!(lan.matches(ip("192.168.101.77")));
        assert!(!lan.matches(ip("192.168.102.77")));
        assert!(lan.covers(&Wildcard::host(ip("192.168.101.5"))));
        assert!(!Wildcard::host(ip("192.168.101.5")).covers(&lan));
        assert!(Wildcard::ANY.covers(&lan));
        // Non-contiguous: even third octets only.
        let even = Wildcard {
            addr: ip("10.0.0.0"),
            wildcard: ip("0.0.254.255"),
        };
        assert!(even.matches(ip("10.0.4.1")));
        assert!(!even.matches(ip("10.0.5.1")));
        assert!(even.to_net().is_none());
        assert_eq!(
            lan.to_net().map(|n| n.to_string()),
            Some("192.168.101.0/24".into())
        );
        assert_eq!(lan.to_string(), "192.168.101.0 0.0.0.255");
        assert_eq!(Wildcard::ANY.to_string(), "any");
    }
}
