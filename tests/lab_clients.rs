//! The lab driven by the clients engineers already use, from PyPI: Netmiko (its TextFSM
//! parsing through ntc-templates included), Scrapli 2 on libssh2, and ntc-templates on every
//! command the lab prints that it has a template for. The checks live in
//! `tests/clients/lab_clients.py`; `.ci/run` installs the pinned packages into
//! `target/clients-venv` (or `IPSEC_DOCTOR_CLIENTS_PYTHON` names a Python that has them). An
//! IKEv2 VTI's tunnel rows are read the same way.

use ipsec_doctor::lab::ike::IkeFactory;
use ipsec_doctor::lab::scenario::Scenario;
use ipsec_doctor::lab::{Lab, LabHandle, LabOptions};
use std::path::PathBuf;

/// Runs `tests/clients/lab_clients.py` on a job for the running `lab`.
async fn drive(lab: &LabHandle, extra: serde_json::Value) {
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
    let mut job = serde_json::json!({ "routers": routers });
    if let (Some(job), Some(extra)) = (job.as_object_mut(), extra.as_object()) {
        job.extend(extra.clone());
    }
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
}

async fn start(name: &str) -> LabHandle {
    let scenario = Scenario::embedded(name).unwrap();
    let options = LabOptions {
        speed: 50.0,
        ..LabOptions::default()
    };
    Lab::start(&scenario, options, &IkeFactory, std::future::pending())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn netmiko_scrapli_and_ntc_templates_drive_the_lab() {
    let lab = start("psk-mismatch").await;
    let job = serde_json::json!({
        "fix": ["crypto isakmp key Vpn-Key-2026 address 203.0.113.1"],
        "ping": "ping 192.168.102.1 source GigabitEthernet1/0",
    });
    drive(&lab, job).await;
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ntc_templates_read_an_ikev2_vti_as_they_read_ios_xe() {
    let lab = start("ikev2-vti-healthy").await;
    let job = serde_json::json!({
        "mode": "vti",
        "peer": "203.0.113.2",
        "ping": "ping 192.168.102.1 source GigabitEthernet0/0/1",
    });
    drive(&lab, job).await;
    lab.stop().await;
}
