//! The lab driven by the clients engineers already use, from PyPI: Netmiko (its TextFSM
//! parsing through ntc-templates included), Scrapli 2 on libssh2, and ntc-templates on every
//! command the lab prints that it has a template for. The checks live in
//! `tests/clients/lab_clients.py`; `.ci/run` installs the pinned packages into
//! `target/clients-venv` (or `IPSEC_DOCTOR_CLIENTS_PYTHON` names a Python that has them).

use ipsec_doctor::lab::ike::IkeFactory;
use ipsec_doctor::lab::scenario::Scenario;
use ipsec_doctor::lab::{Lab, LabOptions};
use std::path::PathBuf;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn netmiko_scrapli_and_ntc_templates_drive_the_lab() {
    let scenario = Scenario::embedded("psk-mismatch").unwrap();
    let options = LabOptions {
        speed: 50.0,
        ..LabOptions::default()
    };
    let lab = Lab::start(&scenario, options, &IkeFactory, std::future::pending())
        .await
        .unwrap();
    let routers: serde_json::Map<String, serde_json::Value> = lab
        .routers()
        .iter()
        .map(|r| {
            let entry = serde_json::json!({
                "host": r.address.to_string(),
                "port": r.port,
                "username": r.username,
                "password": r.password.expose(),
                "secret": r.enable_secret.expose(),
            });
            (r.name.clone(), entry)
        })
        .collect();
    let job = serde_json::json!({
        "routers": routers,
        "fix": ["crypto isakmp key Vpn-Key-2026 address 203.0.113.1"],
        "ping": "ping 192.168.102.1 source GigabitEthernet1/0",
    });
    let dir = tempfile::tempdir().unwrap();
    let job_file = dir.path().join("job.json");
    std::fs::write(&job_file, job.to_string()).unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/clients/lab_clients.py");
    let python = crate::util::python();
    let out = tokio::process::Command::new(&python)
        .arg(&script)
        .arg(&job_file)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("all client checks passed"),
        "{} {}: {}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        python.display(),
        script.display(),
        out.status
    );
    lab.stop().await;
}
