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

/// Base ports to try, in turn, for labs a test starts on fixed ports (blocks of up to ten).
/// They lie in 10000..30000, below the kernel's ephemeral range (32768 and up) where other
/// processes' outgoing connections and port-0 listeners land, and differ between runs; another
/// process may still hold one, so a lab that cannot bind moves on to the next block.
pub fn port_blocks() -> impl Iterator<Item = u16> {
    let seed = u64::from(std::process::id())
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
    (0..10u64).map(move |attempt| {
        // A multiplicative hash of the seed spreads the blocks over the range.
        let spread = (seed
            .wrapping_add(attempt)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            >> 40)
            % 20_000;
        10_000 + spread as u16
    })
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
    /// command that never returns and then let it go. `extra` lines follow every crypto show
    /// (a router printing something odd).
    pub struct Quiet {
        release: Arc<Notify>,
        extra: Vec<String>,
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
            .chain(self.extra.iter().cloned())
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
        pub extra: Vec<String>,
    }

    impl ModelFactory for QuietFactory {
        fn build(&self, routers: &[Arc<Router>]) -> anyhow::Result<Vec<Arc<dyn RouterModel>>> {
            Ok(routers
                .iter()
                .map(|_| {
                    Arc::new(Quiet {
                        release: self.release.clone(),
                        extra: self.extra.clone(),
                    }) as Arc<dyn RouterModel>
                })
                .collect())
        }
    }

    /// The `healthy` scenario on free ports, lab time 50x; `release` frees hung pings.
    pub async fn start() -> (LabHandle, Arc<Notify>) {
        start_printing(Vec::new()).await
    }

    /// [`start`], with routers that add `extra` to every crypto show.
    pub async fn start_printing(extra: Vec<String>) -> (LabHandle, Arc<Notify>) {
        let release = Arc::new(Notify::new());
        let scenario = Scenario::embedded("healthy").unwrap();
        let options = LabOptions {
            speed: 50.0,
            ..LabOptions::default()
        };
        let factory = QuietFactory {
            release: release.clone(),
            extra,
        };
        let lab = Lab::start(&scenario, options, &factory, std::future::pending())
            .await
            .unwrap();
        (lab, release)
    }
}

/// A progress display that fires a oneshot when the run reaches the step that starts with
/// `what` (`"debug on"`, `"ping "`): the test then stops the run, cuts a link… at that moment.
pub struct StepTrap {
    what: &'static str,
    tx: std::sync::Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
}

impl StepTrap {
    pub fn new(what: &'static str) -> (StepTrap, tokio::sync::oneshot::Receiver<()>) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        (
            StepTrap {
                what,
                tx: std::sync::Mutex::new(Some(tx)),
            },
            rx,
        )
    }
}

impl ipsec_doctor::run::progress::Progress for StepTrap {
    fn step(&self, _router: &str, what: &str) {
        if what.starts_with(self.what)
            && let Some(tx) = self.tx.lock().ok().and_then(|mut t| t.take())
        {
            let _ = tx.send(());
        }
    }
    fn lines(&self, _: &str, _: u64) {}
    fn finish(&self) {}
}

/// A live run's report says every debug it switched on was confirmed off, and warns of none
/// left on.
pub fn assert_cleaned(r: &ipsec_doctor::report::Report) {
    let run = r.run.as_ref().expect("live runs carry their log");
    assert!(!run.cleanup.is_empty(), "{:#?}", run);
    for c in &run.cleanup {
        assert!(c.debug_off_confirmed, "{c:#?}");
    }
    assert!(
        !r.warnings
            .iter()
            .any(|w| w.contains("DEBUG MAY STILL BE ON")),
        "{:?}",
        r.warnings
    );
}

/// Everything written to it, kept for the test to read (a stand-in for stdout).
#[derive(Clone, Default)]
pub struct Sink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Sink {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for Sink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A lab the test keeps hold of, with its inventory and known_hosts written to a temp dir, for
/// driving `triage` and `guide` (in process or as the binary) against it.
pub mod fixture {
    use ipsec_doctor::cli::live::LiveArgs;
    use ipsec_doctor::cli::triage::Args;
    use ipsec_doctor::lab::ike::IkeFactory;
    use ipsec_doctor::lab::model::ModelFactory;
    use ipsec_doctor::lab::scenario::Scenario;
    use ipsec_doctor::lab::{Lab, LabHandle, LabOptions};
    use ipsec_doctor::report::Format;
    use std::path::PathBuf;
    use std::time::Duration;

    /// Arguments as a test wants them: JSON, a short debug window, a fast lab.
    pub fn args() -> Args {
        Args {
            tunnel: None,
            inventory: None,
            lab: None,
            format: Format::Json,
            color: "never".into(),
            ladder: "never".into(),
            playbook: None,
            allow_disruptive: false,
            concurrency: ipsec_doctor::cli::triage::DEFAULT_CONCURRENCY,
            live: live(),
        }
    }

    /// The live-run options a test wants: a short debug window, a fast lab.
    pub fn live() -> LiveArgs {
        LiveArgs {
            debug_window: Some(Duration::from_secs(3)),
            idle_cutoff: Duration::from_millis(400),
            clear_stale_debug: false,
            accept_new_host_keys: false,
            known_hosts: None,
            lab_speed: 200.0,
            cleanup_deadline: Duration::from_secs(20),
        }
    }

    /// The live-run options of a `triage` or `guide` argument set, for a test to change.
    pub trait Live {
        fn live_mut(&mut self) -> &mut LiveArgs;
    }

    impl Live for Args {
        fn live_mut(&mut self) -> &mut LiveArgs {
            &mut self.live
        }
    }

    impl Live for ipsec_doctor::cli::guide::Args {
        fn live_mut(&mut self) -> &mut LiveArgs {
            &mut self.live
        }
    }

    /// `args` with its live-run options changed by `change`.
    pub fn with_live<A: Live>(mut args: A, change: impl FnOnce(&mut LiveArgs)) -> A {
        change(args.live_mut());
        args
    }

    /// `args` with this debug window and idle cut-off.
    pub fn window<A: Live>(args: A, window: Duration, idle_cutoff: Duration) -> A {
        with_live(args, |l| {
            l.debug_window = Some(window);
            l.idle_cutoff = idle_cutoff;
        })
    }

    pub struct Fixture {
        pub lab: LabHandle,
        pub dir: tempfile::TempDir,
    }

    impl Fixture {
        pub async fn start(scenario: &str, speed: f64) -> Fixture {
            Fixture::start_with(scenario, speed, &IkeFactory).await
        }

        pub async fn start_with(scenario: &str, speed: f64, factory: &dyn ModelFactory) -> Fixture {
            let scenario = Scenario::embedded(scenario).expect("shipped scenario");
            Fixture::of(&scenario, speed, factory).await
        }

        /// A lab of any scenario (one a test wrote into a directory, say).
        pub async fn of(scenario: &Scenario, speed: f64, factory: &dyn ModelFactory) -> Fixture {
            let options = LabOptions {
                speed,
                ..LabOptions::default()
            };
            let lab = Lab::start(scenario, options, factory, std::future::pending())
                .await
                .expect("lab starts");
            let dir = tempfile::tempdir().unwrap();
            lab.write_inventory(&dir.path().join("inventory.yaml"))
                .unwrap();
            lab.write_known_hosts(&dir.path().join("known_hosts"))
                .unwrap();
            Fixture { lab, dir }
        }

        pub fn inventory(&self) -> PathBuf {
            self.dir.path().join("inventory.yaml")
        }

        pub fn known_hosts(&self) -> PathBuf {
            self.dir.path().join("known_hosts")
        }

        pub fn args(&self) -> Args {
            let args = with_live(args(), |l| l.known_hosts = Some(self.known_hosts()));
            Args {
                inventory: Some(self.inventory()),
                ..args
            }
        }

        /// `guide` arguments on this lab: no colour, a short debug window, no transcript.
        pub fn guide_args(&self) -> ipsec_doctor::cli::guide::Args {
            ipsec_doctor::cli::guide::Args {
                tunnel: None,
                inventory: Some(self.inventory()),
                lab: None,
                transcript: None,
                allow_config: false,
                playbook: None,
                color: "never".into(),
                live: LiveArgs {
                    known_hosts: Some(self.known_hosts()),
                    ..live()
                },
            }
        }

        /// The binary, run as `ipsec-doctor guide` on this lab with `extra` arguments.
        pub fn guide(&self, extra: &[&str]) -> std::process::Command {
            let mut c = super::bin();
            c.arg("guide")
                .arg("-i")
                .arg(self.inventory())
                .arg("--known-hosts")
                .arg(self.known_hosts())
                .args(["--color", "never"])
                .args(extra)
                .env("XDG_RUNTIME_DIR", self.dir.path())
                .env_remove("RUST_LOG");
            c
        }

        /// A router's running-config lines as the lab holds them, comments (the time of
        /// the last change) left out.
        pub fn running(&self, router: &str) -> Vec<String> {
            let lines = self
                .lab
                .router_state(router)
                .expect("router")
                .config
                .lines();
            lines.into_iter().filter(|l| !l.starts_with('!')).collect()
        }

        /// Its startup-config lines, comments left out.
        pub fn startup(&self, router: &str) -> Vec<String> {
            let r = self.lab.router_state(router).expect("router");
            let lines = r.config.startup_lines();
            lines.into_iter().filter(|l| !l.starts_with('!')).collect()
        }

        pub fn playbook(&self, text: &str) -> PathBuf {
            let p = self.dir.path().join("playbook.yaml");
            std::fs::write(&p, text).unwrap();
            p
        }

        pub fn debug_quiet(&self) -> bool {
            ["R1", "R2"].iter().all(|r| {
                self.lab
                    .router_state(r)
                    .expect("router")
                    .debug
                    .get()
                    .is_quiet()
            })
        }

        /// Waits (up to a minute) until `router` has crypto ISAKMP debugging on: the run under
        /// test is inside its debug window.
        pub async fn until_debug_on(&self, router: &str) {
            let state = self.lab.router_state(router).expect("router").clone();
            let wait = async {
                while !state.debug.get().crypto_isakmp {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            };
            tokio::time::timeout(Duration::from_secs(60), wait)
                .await
                .expect("the run switched debug on");
        }

        /// The binary, run as `ipsec-doctor triage` on this lab with `extra` arguments; its
        /// per-router locks in the fixture's directory.
        pub fn triage(&self, extra: &[&str]) -> std::process::Command {
            let mut c = super::bin();
            c.arg("triage")
                .arg("-i")
                .arg(self.inventory())
                .arg("--known-hosts")
                .arg(self.known_hosts())
                .args(["--format", "json"])
                .args(extra)
                .env("XDG_RUNTIME_DIR", self.dir.path())
                .env_remove("RUST_LOG");
            c
        }
    }
}

/// The Python that has the tools of `tests/clients/requirements.txt` (Netmiko, Scrapli 2,
/// ntc-templates, prometheus_client): `.ci/run` makes it in `target/clients-venv`, or
/// `IPSEC_DOCTOR_CLIENTS_PYTHON` names another.
pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("IPSEC_DOCTOR_CLIENTS_PYTHON") {
        return PathBuf::from(p);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    let python = target.join("clients-venv/bin/python");
    assert!(
        python.is_file(),
        "{} is missing: `bash .ci/run` installs tests/clients/requirements.txt there (or set \
         IPSEC_DOCTOR_CLIENTS_PYTHON)",
        python.display()
    );
    python
}

/// One test per shipped lab scenario, each running `$run(name).await` (an `async fn(&str)`),
/// and a test that fails when a scenario is shipped without one. `$what` names the check in
/// that failure.
macro_rules! every_scenario {
    ($run:path, $what:literal) => {
        $crate::util::every_scenario!(@tests $run, $what;
            healthy => "healthy",
            auth_mismatch => "auth-mismatch",
            encryption_mismatch => "encryption-mismatch",
            hash_mismatch => "hash-mismatch",
            dh_mismatch => "dh-mismatch",
            lifetime_mismatch => "lifetime-mismatch",
            psk_missing => "psk-missing",
            psk_mismatch => "psk-mismatch",
            transform_mismatch => "transform-mismatch",
            acl_not_mirrored => "acl-not-mirrored",
            pfs_mismatch => "pfs-mismatch",
            peer_no_route => "peer-no-route",
            peer_interface_down => "peer-interface-down",
            peer_address_wrong => "peer-address-wrong",
            crypto_map_not_applied => "crypto-map-not-applied",
            isakmp_disabled => "isakmp-disabled",
            ike_blocked => "ike-blocked",
            no_interesting_traffic => "no-interesting-traffic",
            one_way_traffic => "one-way-traffic",
            ikev1_vti_healthy => "ikev1-vti-healthy",
            ikev2_vti_healthy => "ikev2-vti-healthy",
            ikev2_encryption_mismatch => "ikev2-encryption-mismatch",
            ikev2_integrity_mismatch => "ikev2-integrity-mismatch",
            ikev2_dh_mismatch => "ikev2-dh-mismatch",
            ikev2_psk_mismatch => "ikev2-psk-mismatch",
            ikev2_asymmetric_keys_swapped => "ikev2-asymmetric-keys-swapped",
            ikev2_identity_mismatch => "ikev2-identity-mismatch",
            ikev2_no_profile_match => "ikev2-no-profile-match",
            ikev2_auth_method_mismatch => "ikev2-auth-method-mismatch",
            ikev2_ts_unacceptable => "ikev2-ts-unacceptable",
            ikev2_transform_mismatch => "ikev2-transform-mismatch",
            ikev2_pfs_mismatch => "ikev2-pfs-mismatch",
            ikev2_peer_silent => "ikev2-peer-silent",
            vti_destination_wrong => "vti-destination-wrong",
        );
    };
    (@tests $run:path, $what:literal; $($test:ident => $name:literal,)*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $test() {
                $run($name).await;
            }
        )*

        #[test]
        fn every_shipped_scenario_is_tested() {
            let tested = [$($name),*];
            for name in ipsec_doctor::lab::scenario::Scenario::embedded_names() {
                assert!(
                    tested.contains(&name),
                    "no {} test for scenario {name}",
                    $what
                );
            }
        }
    };
}
pub(crate) use every_scenario;
