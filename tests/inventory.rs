//! Inventories as users write them: every shipped example, the lab's own, and bad ones.

use crate::util::quiet_lab;
use ipsec_doctor::inventory::{Inventory, Platform};
use ipsec_doctor::secret::Secret;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/inventory")
}

fn env(name: &str) -> Option<String> {
    match name {
        "IPSEC_DOCTOR_PASSWORD" => Some("from-env-pw".into()),
        "IPSEC_DOCTOR_ENABLE" => Some("from-env-enable".into()),
        _ => None,
    }
}

#[test]
fn every_example_inventory_loads() {
    let mut loaded = 0;
    for entry in std::fs::read_dir(examples()).unwrap() {
        let path = entry.unwrap().path();
        let inv = Inventory::load_with_env(&path, &env)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(!inv.hosts.is_empty(), "{}", path.display());
        for t in &inv.tunnels {
            assert!(inv.host(&t.a).is_some() && inv.host(&t.b).is_some());
        }
        loaded += 1;
    }
    assert!(loaded >= 3, "only {loaded} examples");
}

#[test]
fn one_file_with_groups_and_env_secrets() {
    let inv = Inventory::load_with_env(&examples().join("production.yaml"), &env).unwrap();
    let hq = inv.host("hq-edge1").unwrap();
    assert_eq!(hq.platform, Platform::CiscoXe);
    assert_eq!(hq.username, "netops");
    assert_eq!(hq.password, Some(Secret::new("from-env-pw")));
    assert_eq!(hq.enable_secret, Some(Secret::new("from-env-enable")));
    assert_eq!(hq.data["site"], "headquarters");
    let branch1 = inv.host("branch1").unwrap();
    assert!(branch1.ssh.algorithms.legacy);
    assert_eq!(branch1.ssh.command_timeout, Duration::from_secs(30));
    let branch2 = inv.host("branch2").unwrap();
    assert_eq!(branch2.port, 2222);
    assert!(branch2.ssh.use_agent);
    assert!(!branch2.ssh.key_file.as_ref().unwrap().starts_with("~"));
    let t = inv.tunnel("hq-branch1").unwrap();
    assert_eq!(t.a_peer_address, Some("198.51.100.7".parse().unwrap()));
    assert_eq!(t.b_protected[0].to_string(), "192.168.101.0/24");
}

#[test]
fn three_file_layout() {
    let inv = Inventory::load_with_env(&examples().join("nornir"), &env).unwrap();
    let b = inv.host("branch1").unwrap();
    assert_eq!(b.ssh.algorithms.kex[0], "diffie-hellman-group14-sha1");
    assert_eq!(b.ssh.algorithms.host_key, ["ssh-rsa"]);
    assert_eq!(b.username, "netops");
    assert_eq!(inv.tunnels.len(), 1);
    // The same layout with a typo names the right file.
    let dir = tempfile::tempdir().unwrap();
    for f in ["hosts.yaml", "groups.yaml", "defaults.yaml"] {
        std::fs::copy(examples().join("nornir").join(f), dir.path().join(f)).unwrap();
    }
    std::fs::write(
        dir.path().join("groups.yaml"),
        "ios-xe:\n  platform: cisco_xe\nios-12:\n  sshh: {}\n",
    )
    .unwrap();
    let err = Inventory::load_with_env(dir.path(), &env)
        .unwrap_err()
        .to_string();
    let want = format!("{}:4:3:", dir.path().join("groups.yaml").display());
    assert!(err.starts_with(&want), "{err}");
    assert!(err.contains("did you mean `ssh`?"), "{err}");
}

#[test]
fn errors_name_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inv.yaml");
    std::fs::write(
        &path,
        "hosts:\n  R1:\n    hostname: 10.0.0.1\n    port: twenty-two\n",
    )
    .unwrap();
    let err = Inventory::load(&path).unwrap_err().to_string();
    assert!(err.starts_with(&format!("{}:4:", path.display())), "{err}");

    std::fs::write(
        &path,
        "hosts:\n  R1: {hostname: h, username: u}\ntunnels:\n- {name: t, a: R1, b: R9}\n",
    )
    .unwrap();
    let err = Inventory::load(&path).unwrap_err().to_string();
    assert_eq!(
        err,
        format!(
            "{}: tunnels[0].b: unknown host \"R9\"; did you mean `R1`?",
            path.display()
        )
    );
    let missing = Inventory::load(&dir.path().join("nope.yaml")).unwrap_err();
    assert!(missing.to_string().contains("nope.yaml"), "{missing}");
}

#[tokio::test]
async fn the_labs_written_inventory_loads() {
    let (lab, _release) = quiet_lab::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inventory.yaml");
    lab.write_inventory(&path).unwrap();
    let inv = Inventory::load(&path).unwrap();
    for ep in lab.routers() {
        let h = inv.host(&ep.name).unwrap();
        assert_eq!(h.port, ep.port);
        assert_eq!(h.password.as_ref(), Some(&ep.password));
        assert_eq!(h.enable_secret.as_ref(), Some(&ep.enable_secret));
    }
    assert_eq!(inv.tunnels.len(), lab.tunnels().len());
    lab.stop().await;
}
