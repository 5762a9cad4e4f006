use ipsec_doctor::capture::feed_reader;
use ipsec_doctor::engine::finding::{Code, Finding};
use ipsec_doctor::engine::{Diagnosis, Engine};
use std::path::PathBuf;

/// Analyses in-memory captures, one per named peer, as `analyze --peer NAME=FILE` would.
pub fn analyze(captures: &[(&str, &str)]) -> Diagnosis {
    let mut engine = Engine::new();
    for (peer, text) in captures {
        let file = format!("{peer}.log");
        feed_reader(&mut engine, text.as_bytes(), &file, &file, peer, true).expect("capture reads");
    }
    engine.finish()
}

/// The one finding with `code`, failing with the whole diagnosis when it is absent.
pub fn finding(d: &Diagnosis, code: Code) -> &Finding {
    d.findings
        .iter()
        .find(|f| f.code == code)
        .unwrap_or_else(|| panic!("no {code} in {:#?}", d.findings))
}

/// Asserts that some evidence line of `f` is from `peer` and contains `text`.
pub fn assert_evidence(f: &Finding, peer: &str, text: &str) {
    assert!(
        f.evidence
            .iter()
            .any(|e| e.peer == peer && e.text.contains(text)),
        "{}: no evidence from {peer} containing {text:?}: {:#?}",
        f.code,
        f.evidence
    );
}

pub fn corpus(rel: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(rel);
    assert!(
        p.exists(),
        "corpus file missing: {} (the test corpus lives in tests/corpus/)",
        p.display()
    );
    p
}

pub fn bin() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_ipsec-doctor"))
}

/// A lab whose routers never ran IKE, for tests of the transport and device layers.
pub mod quiet_lab {
    use ipsec_doctor::lab::model::{
        BoxFuture, CryptoClear, CryptoShow, ModelFactory, NetShow, PingRequest, PingSink,
        RouterModel,
    };
    use ipsec_doctor::lab::router::Router;
    use ipsec_doctor::lab::scenario::Scenario;
    use ipsec_doctor::lab::{Lab, LabHandle, LabOptions};
    use std::sync::Arc;
    use tokio::sync::Notify;

    /// Empty crypto tables; a ping hangs until `release` is notified, so a test can make a
    /// command that never returns and then let it go.
    pub struct Quiet {
        release: Arc<Notify>,
    }

    impl RouterModel for Quiet {
        fn show_crypto(&self, _query: &CryptoShow) -> Vec<String> {
            [
                "IPv4 Crypto ISAKMP SA",
                "dst             src             state          conn-id status",
                "",
                "IPv6 Crypto ISAKMP SA",
                "",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect()
        }
        fn show_net(&self, _query: &NetShow) -> Vec<String> {
            Vec::new()
        }
        fn clear_crypto(&self, _what: &CryptoClear) -> Vec<String> {
            Vec::new()
        }
        fn ping(&self, _request: PingRequest, out: PingSink) -> BoxFuture<'static, ()> {
            let release = self.release.clone();
            Box::pin(async move {
                out.write("Type escape sequence to abort.\n");
                release.notified().await;
                out.write(".....\nSuccess rate is 0 percent (0/5)\n");
            })
        }
    }

    pub struct QuietFactory {
        pub release: Arc<Notify>,
    }

    impl ModelFactory for QuietFactory {
        fn build(&self, routers: &[Arc<Router>]) -> anyhow::Result<Vec<Arc<dyn RouterModel>>> {
            Ok(routers
                .iter()
                .map(|_| {
                    Arc::new(Quiet {
                        release: self.release.clone(),
                    }) as Arc<dyn RouterModel>
                })
                .collect())
        }
    }

    /// The `healthy` scenario on free ports, lab time 50x; `release` frees hung pings.
    pub async fn start() -> (LabHandle, Arc<Notify>) {
        let release = Arc::new(Notify::new());
        let scenario = Scenario::embedded("healthy").unwrap();
        let options = LabOptions {
            speed: 50.0,
            ..LabOptions::default()
        };
        let factory = QuietFactory {
            release: release.clone(),
        };
        let lab = Lab::start(&scenario, options, &factory, std::future::pending())
            .await
            .unwrap();
        (lab, release)
    }
}
