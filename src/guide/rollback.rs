//! Putting a router's configuration back as it was before a fix: the lines to type, computed
//! from its running-config read just before the change and just after it.
//!
//! A configuration is read as objects: a top-level line and the lines indented under it, keyed
//! by what they configure ([`KEYS`]), so that a changed value is one object changed (re-enter
//! the old line) rather than a line removed and another added. What the change added is
//! removed with `no`, what it removed or replaced is typed again, and a numbered access list,
//! which IOS can only delete whole, is deleted and typed again whole. Pure: text in, lines out.

/// How an object is put back when it changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A block or a line of its own: `no` for what was added, the old lines typed again.
    Line,
    /// Typing the old line replaces the new one (`crypto isakmp key … address A`, a transform
    /// set's transforms); the lines under it are compared one by one.
    Replace,
    /// IOS deletes it only whole (`no access-list 101`): delete, then type every old line.
    Whole,
}

/// The objects whose key is shorter than their line: the leading words that name the object
/// (`*` any word), how it is put back, and whether `no` takes those words alone
/// (`no crypto ipsec transform-set TS`) or the whole line (`no crypto isakmp key K address A`).
const KEYS: &[(&[&str], Kind, Delete)] = &[
    (&["access-list", "*"], Kind::Whole, Delete::Key),
    (&["ip", "access-list", "*", "*"], Kind::Whole, Delete::Key),
    (
        &["crypto", "ipsec", "transform-set", "*"],
        Kind::Replace,
        Delete::Key,
    ),
    (&["crypto", "isakmp", "key"], Kind::Replace, Delete::Line),
];

/// What follows `no` to delete an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Delete {
    Key,
    Line,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Block {
    head: String,
    children: Vec<String>,
}

#[derive(Debug)]
struct Object {
    key: String,
    kind: Kind,
    delete: Delete,
    blocks: Vec<Block>,
}

/// `crypto isakmp key K address A [mask]` is keyed by its address, not its key.
fn isakmp_key_address(head: &str) -> Option<String> {
    let (_, after) = head.split_once(" address ")?;
    Some(format!("crypto isakmp key address {}", after.trim()))
}

fn key(head: &str) -> (String, Kind, Delete) {
    let words: Vec<&str> = head.split_whitespace().collect();
    for (pattern, kind, delete) in KEYS {
        let fits = pattern.len() <= words.len()
            && pattern.iter().zip(&words).all(|(p, w)| *p == "*" || p == w);
        if !fits {
            continue;
        }
        if pattern.starts_with(&["crypto", "isakmp", "key"]) {
            if let Some(k) = isakmp_key_address(head) {
                return (k, *kind, *delete);
            }
            continue;
        }
        return (words[..pattern.len()].join(" "), *kind, *delete);
    }
    (head.to_string(), Kind::Line, Delete::Line)
}

/// What a running-config says, as blocks; banners, comments and the printout's own lines left
/// out.
fn blocks(text: &str) -> Vec<Block> {
    let mut out: Vec<Block> = Vec::new();
    for raw in text.lines() {
        let line = raw.trim_end();
        let t = line.trim_start();
        if t.is_empty()
            || t.starts_with('!')
            || t == "end"
            || t.starts_with("Building configuration")
            || t.starts_with("Current configuration")
        {
            continue;
        }
        if line.starts_with(' ') {
            if let Some(b) = out.last_mut() {
                b.children.push(t.to_string());
            }
            continue;
        }
        out.push(Block {
            head: t.to_string(),
            children: Vec::new(),
        });
    }
    out
}

fn objects(text: &str) -> Vec<Object> {
    let mut out: Vec<Object> = Vec::new();
    for b in blocks(text) {
        let (key, kind, delete) = key(&b.head);
        match out.iter_mut().find(|o| o.key == key) {
            Some(o) => o.blocks.push(b),
            None => out.push(Object {
                key,
                kind,
                delete,
                blocks: vec![b],
            }),
        }
    }
    out
}

/// Types an object again, as it was.
fn retype(o: &Object, out: &mut Vec<String>) {
    for b in &o.blocks {
        out.push(b.head.clone());
        out.extend(b.children.iter().map(|c| format!(" {c}")));
    }
}

/// The `no` form of a line (`no shutdown` undone is `shutdown`).
fn negate(line: &str) -> String {
    match line.strip_prefix("no ") {
        Some(rest) => rest.to_string(),
        None => format!("no {line}"),
    }
}

/// Deletes an object the change created.
fn delete(o: &Object, out: &mut Vec<String>) {
    match o.delete {
        Delete::Key => out.push(format!("no {}", o.key)),
        Delete::Line => {
            for b in &o.blocks {
                out.push(negate(&b.head));
            }
        }
    }
}

/// The lines that put `after` back to `before`, in the order they are typed from
/// `configure terminal`. Empty when nothing changed. What the change created is deleted last,
/// once nothing restored refers to it any more.
pub fn rollback(before: &str, after: &str) -> Vec<String> {
    let old = objects(before);
    let new = objects(after);
    let mut out = Vec::new();
    let mut created = Vec::new();
    for n in &new {
        let Some(o) = old.iter().find(|o| o.key == n.key) else {
            delete(n, &mut created);
            continue;
        };
        if o.blocks == n.blocks {
            continue;
        }
        match o.kind {
            Kind::Whole => {
                out.push(format!("no {}", o.key));
                retype(o, &mut out);
            }
            Kind::Line | Kind::Replace => {
                // One block each (a key shared by several blocks is a `Whole` one).
                let (ob, nb) = (&o.blocks[0], &n.blocks[0]);
                out.push(ob.head.clone());
                for c in nb.children.iter().filter(|c| !ob.children.contains(c)) {
                    // A `no …` setting the change added goes when the old setting returns.
                    if !c.starts_with("no ") {
                        out.push(format!(" {}", negate(c)));
                    }
                }
                for c in ob.children.iter().filter(|c| !nb.children.contains(c)) {
                    out.push(format!(" {c}"));
                }
            }
        }
    }
    for o in old.iter().filter(|o| !new.iter().any(|n| n.key == o.key)) {
        retype(o, &mut out);
    }
    out.extend(created);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const BEFORE: &str = "Building configuration...\n\nCurrent configuration : 1234 bytes\n!\nhostname R2\n!\ncrypto isakmp policy 10\n encr aes 256\n authentication pre-share\n group 5\ncrypto isakmp key Old-Key address 203.0.113.1\n!\ncrypto ipsec transform-set TS esp-3des esp-md5-hmac\n mode tunnel\n!\ncrypto map VPN 10 ipsec-isakmp\n set peer 203.0.113.1\n set transform-set TS\n match address 102\n!\ninterface GigabitEthernet0/0/0\n ip address 203.0.113.2 255.255.255.0\n crypto map VPN\n!\naccess-list 102 permit ip 192.168.102.0 0.0.0.255 192.168.101.0 0.0.0.255\n!\nend\n";

    fn change(from: &str, to: &str) -> String {
        assert!(BEFORE.contains(from), "{from}");
        BEFORE.replace(from, to)
    }

    #[test]
    fn nothing_changed_nothing_to_type() {
        assert!(rollback(BEFORE, BEFORE).is_empty());
    }

    #[test]
    fn a_policy_attribute_goes_back() {
        let after = change(" group 5\n", " group 14\n");
        assert_eq!(
            rollback(BEFORE, &after),
            ["crypto isakmp policy 10", " no group 14", " group 5"]
        );
        // The default left out of the running-config, as IOS does.
        let after = change(" group 5\n", "");
        assert_eq!(
            rollback(BEFORE, &after),
            ["crypto isakmp policy 10", " group 5"]
        );
    }

    #[test]
    fn a_key_is_typed_again_for_its_address() {
        let after = change("key Old-Key address", "key New-Key address");
        assert_eq!(
            rollback(BEFORE, &after),
            ["crypto isakmp key Old-Key address 203.0.113.1"]
        );
        // A key for a new address is removed.
        let after = change(
            "crypto isakmp key Old-Key address 203.0.113.1\n",
            "crypto isakmp key Old-Key address 203.0.113.1\ncrypto isakmp key K2 address 198.51.100.7\n",
        );
        assert_eq!(
            rollback(BEFORE, &after),
            ["no crypto isakmp key K2 address 198.51.100.7"]
        );
    }

    #[test]
    fn a_transform_set_and_the_entry_naming_it() {
        let after = change(
            "crypto ipsec transform-set TS esp-3des esp-md5-hmac\n mode tunnel\n",
            "crypto ipsec transform-set TS esp-3des esp-md5-hmac\n mode tunnel\ncrypto ipsec transform-set TS2 esp-aes 256 esp-sha-hmac\n mode tunnel\n",
        )
        .replace(" set transform-set TS\n", " set transform-set TS2\n");
        assert_eq!(
            rollback(BEFORE, &after),
            [
                "crypto map VPN 10 ipsec-isakmp",
                " no set transform-set TS2",
                " set transform-set TS",
                "no crypto ipsec transform-set TS2",
            ]
        );
        let after = change("TS esp-3des esp-md5-hmac", "TS esp-aes 256 esp-sha-hmac");
        assert_eq!(
            rollback(BEFORE, &after),
            ["crypto ipsec transform-set TS esp-3des esp-md5-hmac"]
        );
    }

    #[test]
    fn a_numbered_acl_is_deleted_and_typed_again_whole() {
        let after = change(
            "access-list 102 permit ip 192.168.102.0 0.0.0.255 192.168.101.0 0.0.0.255\n",
            "access-list 102 permit ip 192.168.102.0 0.0.0.255 192.168.101.0 0.0.0.255\naccess-list 102 permit ip 192.168.103.0 0.0.0.255 192.168.101.0 0.0.0.255\n",
        );
        assert_eq!(
            rollback(BEFORE, &after),
            [
                "no access-list 102",
                "access-list 102 permit ip 192.168.102.0 0.0.0.255 192.168.101.0 0.0.0.255",
            ]
        );
    }

    #[test]
    fn removed_and_shut_things_come_back() {
        let after = change(" crypto map VPN\n", " shutdown\n");
        assert_eq!(
            rollback(BEFORE, &after),
            [
                "interface GigabitEthernet0/0/0",
                " no shutdown",
                " crypto map VPN",
            ]
        );
        let after = change(
            "crypto isakmp policy 10\n encr aes 256\n authentication pre-share\n group 5\n",
            "",
        );
        assert_eq!(
            rollback(BEFORE, &after),
            [
                "crypto isakmp policy 10",
                " encr aes 256",
                " authentication pre-share",
                " group 5"
            ]
        );
    }
}
