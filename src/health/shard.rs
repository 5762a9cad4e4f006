//! `--shard i/n`: which part of the tunnels this replica checks. Scale-out is Prometheus's
//! job: n replicas each check a shard and serve their own `/metrics`.
//!
//! A tunnel belongs to shard `hash(name) mod n`; an entry no tunnel claims belongs to its
//! router's shard, `hash(router) mod n`. The hash is FNV-1a, fixed here rather than taken from
//! the standard library, whose hasher may change between releases: a tunnel must land in the
//! same shard on every replica and after every upgrade. Adding a tunnel moves no other one.
//! Both routers of a tunnel are read by the tunnel's shard, so each tunnel is judged whole by
//! exactly one replica; a hub whose tunnels spread over several shards is read by each of them.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1-based, as users count replicas (`--shard 2/8`).
    pub index: u32,
    pub count: u32,
}

impl Shard {
    pub const ALL: Shard = Shard { index: 1, count: 1 };

    /// Whether the series keyed `key` (a tunnel name, or a router for its unclaimed entries)
    /// is this shard's.
    pub fn owns(&self, key: &str) -> bool {
        self.count <= 1 || fnv1a(key) % u64::from(self.count) == u64::from(self.index - 1)
    }

    /// The shard of a StatefulSet pod from its hostname (`ipsec-doctor-3` is ordinal 3, the
    /// fourth replica): `--shard auto/8`.
    pub fn from_ordinal(hostname: &str, count: u32) -> Option<Shard> {
        let ordinal: u32 = hostname.rsplit('-').next()?.parse().ok()?;
        (ordinal < count).then_some(Shard {
            index: ordinal + 1,
            count,
        })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;

    /// `2/8`; `auto/8` takes the index from the host name's trailing ordinal (StatefulSet).
    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("--shard {s:?}: expected I/N with 1 <= I <= N, e.g. 2/8, or auto/N");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 {
            return Err(bad());
        }
        if i.trim() == "auto" {
            let host = std::env::var("HOSTNAME")
                .ok()
                .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
                .unwrap_or_default();
            let host = host.trim();
            return Shard::from_ordinal(host, count).ok_or_else(|| {
                format!("--shard auto/{count}: host name {host:?} does not end in an ordinal below {count} (a StatefulSet pod is NAME-0, NAME-1, …)")
            });
        }
        let index: u32 = i.trim().parse().map_err(|_| bad())?;
        if index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_every_tunnel_once_and_stay_put_when_one_is_added() {
        let names: Vec<String> = (0..1000).map(|i| format!("site-{i}")).collect();
        let n = 8;
        let shards: Vec<Shard> = (1..=n).map(|i| Shard { index: i, count: n }).collect();
        let owner = |name: &str| -> Vec<u32> {
            shards
                .iter()
                .filter(|s| s.owns(name))
                .map(|s| s.index)
                .collect()
        };
        let before: Vec<Vec<u32>> = names.iter().map(|t| owner(t)).collect();
        assert!(before.iter().all(|o| o.len() == 1));
        // Roughly even: no shard holds twice its share.
        for s in &shards {
            let held = names.iter().filter(|t| s.owns(t)).count();
            assert!(held > 60 && held < 250, "shard {s} holds {held}");
        }
        // A new tunnel lands somewhere; no existing one moves.
        assert_eq!(owner("site-new").len(), 1);
        let after: Vec<Vec<u32>> = names.iter().map(|t| owner(t)).collect();
        assert_eq!(before, after);
        // The assignment is fixed across builds and platforms: FNV-1a's published vectors.
        assert_eq!(fnv1a("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a("foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn parse_and_ordinals() {
        assert_eq!("2/8".parse::<Shard>(), Ok(Shard { index: 2, count: 8 }));
        assert!("0/8".parse::<Shard>().is_err());
        assert!("9/8".parse::<Shard>().is_err());
        assert!("x".parse::<Shard>().is_err());
        assert_eq!(
            Shard::from_ordinal("ipsec-doctor-3", 8),
            Some(Shard { index: 4, count: 8 })
        );
        assert_eq!(Shard::from_ordinal("ipsec-doctor-9", 8), None);
        assert!(Shard::ALL.owns("anything"));
    }
}
