//! The command line driven through in-memory pipes: what a user types, what IOS would print.

use super::*;
use crate::lab::clock::LabClock;
use crate::lab::model::{BoxFuture, CryptoClear, CryptoShow, NetShow};
use crate::lab::scenario::Scenario;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};
use tokio::task::JoinHandle;

struct PipeTerminal {
    out: mpsc::UnboundedSender<Vec<u8>>,
    closed: Arc<AtomicBool>,
}

impl Terminal for PipeTerminal {
    async fn write(&mut self, bytes: Vec<u8>) -> Result<(), Closed> {
        self.out.send(bytes).map_err(|_| Closed)
    }
    async fn close(&mut self, _exit_status: Option<u32>) {
        self.closed.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Records what the CLI asked the model and answers as a router with no SAs.
#[derive(Default)]
pub(crate) struct Recorder {
    calls: Mutex<Vec<String>>,
}

impl Recorder {
    fn record(&self, call: String) {
        self.calls.lock().unwrap().push(call);
    }
    fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }
}

impl RouterModel for Recorder {
    fn show_crypto(&self, query: &CryptoShow) -> Vec<String> {
        self.record(format!("{query:?}"));
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
    fn show_net(&self, query: &NetShow) -> Vec<String> {
        self.record(format!("{query:?}"));
        Vec::new()
    }
    fn clear_crypto(&self, what: &CryptoClear) -> Vec<String> {
        self.record(format!("{what:?}"));
        Vec::new()
    }
    fn ping(&self, request: PingRequest, out: PingSink) -> BoxFuture<'static, ()> {
        self.record(format!("{request:?}"));
        Box::pin(async move {
            out.write("Type escape sequence to abort.\n");
            out.write(format!(
                "Sending {}, {}-byte ICMP Echos to {}, timeout is {} seconds:\n",
                request.repeat, request.size, request.target, request.timeout_secs
            ));
            for i in 0..request.repeat {
                tokio::time::sleep(Duration::from_millis(2)).await;
                out.write(if i == 0 { "." } else { "!" });
            }
            out.write(format!(
                "\nSuccess rate is {} percent ({}/{}), round-trip min/avg/max = 1/1/4 ms\n",
                (request.repeat - 1) * 100 / request.repeat,
                request.repeat - 1,
                request.repeat
            ));
        })
    }
}

struct Harness {
    input: mpsc::UnboundedSender<Vec<u8>>,
    output: mpsc::UnboundedReceiver<Vec<u8>>,
    buf: String,
    closed: Arc<AtomicBool>,
    model: Arc<Recorder>,
    router: Arc<Router>,
    task: Option<JoinHandle<()>>,
}

fn r1() -> Arc<Router> {
    let s = Scenario::embedded("healthy").unwrap();
    let clock = LabClock::new(50.0, SystemTime::now()).unwrap();
    Arc::new(Router::new("healthy", s.routers[0].clone(), clock))
}

impl Harness {
    fn new() -> (Harness, Shell<PipeTerminal>) {
        let (in_tx, in_rx) = mpsc::unbounded_channel();
        let (out_tx, out_rx) = mpsc::unbounded_channel();
        let closed = Arc::new(AtomicBool::new(false));
        let model = Arc::new(Recorder::default());
        let router = r1();
        let term = PipeTerminal {
            out: out_tx,
            closed: closed.clone(),
        };
        let shell = Shell::new(
            router.clone(),
            model.clone(),
            term,
            Input::new(in_rx),
            Arc::new(AtomicBool::new(false)),
        );
        let h = Harness {
            input: in_tx,
            output: out_rx,
            buf: String::new(),
            closed,
            model,
            router,
            task: None,
        };
        (h, shell)
    }

    async fn start() -> Harness {
        let (mut h, shell) = Harness::new();
        h.task = Some(tokio::spawn(shell.run()));
        let greeting = h.until_prompt().await;
        assert_eq!(greeting, "\r\nR1>");
        h
    }

    fn send(&self, text: &str) {
        self.input.send(text.as_bytes().to_vec()).unwrap();
    }

    /// Reads until the output contains `needle`; returns everything up to and including it.
    async fn until(&mut self, needle: &str) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(i) = self.buf.find(needle) {
                let rest = self.buf.split_off(i + needle.len());
                return std::mem::replace(&mut self.buf, rest);
            }
            match tokio::time::timeout_at(deadline, self.output.recv()).await {
                Ok(Some(chunk)) => self.buf.push_str(&String::from_utf8_lossy(&chunk)),
                other => panic!("waiting for {needle:?}: {other:?}; have {:?}", self.buf),
            }
        }
    }

    /// Reads until the output ends with a prompt.
    async fn until_prompt(&mut self) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            if self.buf.ends_with("R1>") || self.buf.ends_with("R1#") {
                return std::mem::take(&mut self.buf);
            }
            match tokio::time::timeout_at(deadline, self.output.recv()).await {
                Ok(Some(chunk)) => self.buf.push_str(&String::from_utf8_lossy(&chunk)),
                other => panic!("waiting for a prompt: {other:?}; have {:?}", self.buf),
            }
        }
    }

    /// Types a command and returns what follows the echo, prompt included.
    async fn cmd(&mut self, line: &str) -> String {
        self.send(&format!("{line}\r"));
        let all = self.until_prompt().await;
        let echo = format!("{line}\r\n");
        assert!(
            all.starts_with(&echo),
            "echo of {line:?} missing in {all:?}"
        );
        all[echo.len()..].to_string()
    }

    async fn enable(&mut self) {
        self.send("enable\r");
        self.until("Password: ").await;
        self.send("labenable1\r");
        assert!(self.until_prompt().await.ends_with("\r\nR1#"));
    }
}

#[tokio::test]
async fn show_clock_in_user_mode() {
    let mut h = Harness::start().await;
    let out = h.cmd("show clock").await;
    let re = regex::Regex::new(r"^\*\d\d:\d\d:\d\d\.\d{3} UTC (Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} +\d{1,2} \d{4}\r\nR1>$").unwrap();
    assert!(re.is_match(&out), "{out:?}");
}

#[tokio::test]
async fn enable_checks_the_secret_three_times() {
    let mut h = Harness::start().await;
    h.send("en\r");
    h.until("Password: ").await;
    h.send("wrong\r");
    h.until("Password: ").await;
    h.send("wrong\r");
    h.until("Password: ").await;
    h.send("labenable1-not\r");
    let out = h.until_prompt().await;
    assert_eq!(out, "\r\n% Bad secrets\r\n\r\nR1>");
    h.enable().await;
    assert_eq!(h.cmd("disable").await, "R1>");
}

#[tokio::test]
async fn the_secret_is_not_echoed() {
    let mut h = Harness::start().await;
    h.send("enable\r");
    h.until("Password: ").await;
    h.send("labenable1\r");
    let out = h.until_prompt().await;
    assert!(!out.contains("labenable1"), "{out:?}");
}

#[tokio::test]
async fn invalid_input_caret_sits_under_the_bad_character() {
    let mut h = Harness::start().await;
    // "R1>" is 3 wide; "show verx": nothing under show starts with 'v'... in user mode
    // `version` does, so the caret goes under the 'x' (column 8).
    let out = h.cmd("show verx").await;
    assert_eq!(
        out,
        format!(
            "{}^\r\n% Invalid input detected at '^' marker.\r\n\r\nR1>",
            " ".repeat(3 + 8)
        )
    );
    // Privileged commands are not there in user mode.
    let out = h.cmd("show running-config").await;
    assert!(
        out.starts_with(&format!("{}^\r\n", " ".repeat(3 + 5))),
        "{out:?}"
    );
}

#[tokio::test]
async fn incomplete_ambiguous_and_unknown() {
    let mut h = Harness::start().await;
    assert_eq!(h.cmd("show").await, "% Incomplete command.\r\n\r\nR1>");
    assert_eq!(
        h.cmd("frobnicate").await,
        "Translating \"frobnicate\"\r\n% Unknown command or computer name, or unable to find computer address\r\nR1>"
    );
    h.enable().await;
    assert_eq!(h.cmd("sh c").await, "% Ambiguous command:  \"sh c\"\r\nR1#");
}

#[tokio::test]
async fn line_editing_handles_backspace_and_crlf() {
    let mut h = Harness::start().await;
    h.send("shoq\x7fw clo\r\n");
    let out = h.until_prompt().await;
    assert!(out.starts_with("shoq\x08 \x08w clo\r\n*"), "{out:?}");
    // The LF of CR LF must not produce a second, empty command.
    h.send("\r");
    assert_eq!(h.until_prompt().await, "\r\nR1>");
}

#[tokio::test]
async fn pager_pages_and_terminal_length_zero_disables_it() {
    let mut h = Harness::start().await;
    h.enable().await;
    let total = show_running_config_lines(&h.router);
    assert!(total > 46, "config too short to page twice: {total}");
    h.send("show running-config\r");
    let first = h.until(MORE).await;
    // Echo line + 23 lines, then the marker.
    assert_eq!(first.matches("\r\n").count(), 1 + 23, "{first:?}");
    h.send(" ");
    let second = h.until(MORE).await;
    assert!(second.starts_with(ERASE_MORE), "{second:?}");
    assert_eq!(second.matches("\r\n").count(), 23);
    h.send("\r");
    let one = h.until(MORE).await;
    assert_eq!(one.matches("\r\n").count(), 1);
    h.send("q");
    let rest = h.until_prompt().await;
    assert_eq!(rest, format!("{ERASE_MORE}R1#"));

    assert_eq!(h.cmd("terminal length 0").await, "R1#");
    let all = h.cmd("show running-config").await;
    assert!(!all.contains("More"));
    assert_eq!(all.matches("\r\n").count(), total);
}

fn show_running_config_lines(router: &Router) -> usize {
    crate::lab::commands::show_running_config::lines(router).len()
}

#[tokio::test]
async fn filters_follow_ios_semantics() {
    let mut h = Harness::start().await;
    h.enable().await;
    h.cmd("term len 0").await;
    assert_eq!(
        h.cmd("show run | include crypto map").await,
        "crypto map VPN 10 ipsec-isakmp\r\n crypto map VPN\r\nR1#"
    );
    assert_eq!(
        h.cmd("sh run | sec isakmp policy").await,
        "crypto isakmp policy 10\r\n encr aes 256\r\n authentication pre-share\r\n group 14\r\nR1#"
    );
    let begin = h.cmd("sh run | b ^access-list").await;
    assert!(begin.starts_with("access-list 101 permit ip"), "{begin:?}");
    let excluded = h.cmd("sh run | exc ^ |^!").await;
    assert!(!excluded.contains("\r\n "), "{excluded:?}");
    // Filters belong to show commands: the caret goes under the bar.
    let out = h.cmd("terminal length 0 | inc x").await;
    assert!(
        out.starts_with(&format!("{}^\r\n%", " ".repeat(3 + 18))),
        "{out:?}"
    );
    assert_eq!(
        h.cmd("sh clock |").await,
        "% Incomplete command.\r\n\r\nR1#"
    );
}

#[tokio::test]
async fn debug_flags_round_trip_through_show_debug() {
    let mut h = Harness::start().await;
    h.enable().await;
    assert_eq!(h.cmd("show debug").await, "R1#");
    assert_eq!(
        h.cmd("debug crypto isakmp").await,
        "Crypto ISAKMP debugging is on\r\nR1#"
    );
    assert_eq!(
        h.cmd("deb cry ipsec").await,
        "Crypto IPSEC debugging is on\r\nR1#"
    );
    assert_eq!(
        h.cmd("debug crypto condition peer ipv4 203.0.113.2").await,
        "R1#"
    );
    assert_eq!(
        h.cmd("show debugging").await,
        "Cryptographic Subsystem:\r\n  Crypto ISAKMP debugging is on\r\n  Crypto IPSEC debugging is on\r\n\r\n\
         Crypto conditional debug is turned ON\r\nIKE debug context unmatched flag:OFF\r\nIPsec debug context unmatched flag:OFF\r\n\
         Crypto Engine debug context unmatched flag:OFF\r\n\r\nIKE peer IP address filters:\r\n203.0.113.2\r\n\
         Connection-id filters:[none]\r\nR1#"
    );
    assert!(h.router.debug.get().crypto_isakmp);
    assert_eq!(
        h.cmd("no debug crypto isakmp").await,
        "Crypto ISAKMP debugging is off\r\nR1#"
    );
    assert_eq!(
        h.cmd("undebug all").await,
        "All possible debugging has been turned off\r\nR1#"
    );
    // As on IOS, the condition outlives `undebug all`.
    assert_eq!(
        h.cmd("show debug").await,
        "Crypto conditional debug is turned ON\r\nIKE debug context unmatched flag:OFF\r\nIPsec debug context unmatched flag:OFF\r\n\
         Crypto Engine debug context unmatched flag:OFF\r\n\r\nIKE peer IP address filters:\r\n203.0.113.2\r\n\
         Connection-id filters:[none]\r\nR1#"
    );
    assert_eq!(
        h.cmd("no debug crypto condition peer ipv4 203.0.113.2")
            .await,
        "R1#"
    );
    assert_eq!(h.cmd("show debug").await, "R1#");
    assert!(h.router.debug.get().is_quiet());
}

#[tokio::test]
async fn crypto_commands_reach_the_model_with_their_arguments() {
    let mut h = Harness::start().await;
    h.enable().await;
    let out = h.cmd("sh cry isa sa").await;
    assert!(out.starts_with("IPv4 Crypto ISAKMP SA\r\n"), "{out:?}");
    h.cmd("show crypto ipsec sa peer 203.0.113.2").await;
    h.cmd("clear crypto session").await;
    h.cmd("sh ip int br").await;
    assert_eq!(
        h.model.calls(),
        vec![
            "IsakmpSa { detail: false }",
            "IpsecSa { peer: Some(203.0.113.2), detail: false }",
            "Session { remote: None }",
            "IpInterfaceBrief",
        ]
    );
}

#[tokio::test]
async fn ping_streams_the_model_output() {
    let mut h = Harness::start().await;
    let out = h.cmd("ping 192.168.102.1 source gi1/0 repeat 3").await;
    assert_eq!(
        out,
        "Type escape sequence to abort.\r\nSending 3, 100-byte ICMP Echos to 192.168.102.1, timeout is 2 seconds:\r\n\
         .!!\r\nSuccess rate is 66 percent (2/3), round-trip min/avg/max = 1/1/4 ms\r\nR1>"
    );
    assert!(h.model.calls()[0].contains("Interface(\"GigabitEthernet1/0\")"));
}

/// `ping` alone asks IOS's questions one at a time, echoing each answer, and runs the ping
/// with them; a bad answer ends the dialog with IOS's message.
#[tokio::test]
async fn ping_alone_runs_the_extended_dialog() {
    let mut h = Harness::start().await;
    // User mode has no extended ping.
    assert!(h.cmd("ping").await.contains("% Incomplete command."));
    h.enable().await;
    h.send("ping\r");
    h.until("ping\r\nProtocol [ip]: ").await;
    for (answer, next) in [
        ("", "Target IP address: "),
        ("192.168.102.1", "Repeat count [5]: "),
        ("3", "Datagram size [100]: "),
        ("", "Timeout in seconds [2]: "),
        ("", "Extended commands [n]: "),
        ("y", "Source address or interface: "),
        ("GigabitEthernet1/0", "Type of service [0]: "),
        ("", "Set DF bit in IP header? [no]: "),
        ("", "Validate reply data? [no]: "),
        ("", "Data pattern [0xABCD]: "),
        ("", "Loose, Strict, Record, Timestamp, Verbose[none]: "),
        ("", "Sweep range of sizes [n]: "),
    ] {
        h.send(&format!("{answer}\r"));
        let got = h.until(next).await;
        assert_eq!(got, format!("{answer}\r\n{next}"));
    }
    h.send("\r");
    let out = h.until_prompt().await;
    assert!(
        out.starts_with(
            "\r\nType escape sequence to abort.\r\nSending 3, 100-byte ICMP Echos to 192.168.102.1"
        ),
        "{out:?}"
    );
    assert!(
        h.model
            .calls()
            .last()
            .unwrap()
            .contains("Interface(\"GigabitEthernet1/0\")")
    );

    h.send("ping\r");
    h.until("Protocol [ip]: ").await;
    h.send("\r192.168.102.1\r0\r");
    let out = h.until_prompt().await;
    assert!(
        out.ends_with("Repeat count [5]: 0\r\n% A decimal number between 1 and 2147483647.\r\nR1#"),
        "{out:?}"
    );
}

#[tokio::test]
async fn terminal_monitor_sets_the_shared_flag() {
    let (mut h, shell) = Harness::new();
    let flag = shell.state.monitor.clone();
    h.task = Some(tokio::spawn(shell.run()));
    h.until_prompt().await;
    h.cmd("terminal monitor").await;
    assert!(flag.load(std::sync::atomic::Ordering::SeqCst));
    h.cmd("term no mon").await;
    assert!(!flag.load(std::sync::atomic::Ordering::SeqCst));
}

#[tokio::test]
async fn exit_closes_and_exec_runs_one_command() {
    let mut h = Harness::start().await;
    h.send("exit\r");
    if let Some(task) = h.task.take() {
        task.await.unwrap();
    }
    assert!(h.closed.load(std::sync::atomic::Ordering::SeqCst));

    let (mut h, shell) = Harness::new();
    shell.run_exec("show version | include uptime").await;
    let out = h.until("\r\n").await;
    assert!(
        out.starts_with("R1 uptime is 0 minutes") || out.starts_with("R1 uptime is 1 minute"),
        "{out:?}"
    );
    assert!(h.closed.load(std::sync::atomic::Ordering::SeqCst));
}

#[tokio::test]
async fn a_vanished_client_ends_the_shell() {
    let (h, shell) = Harness::new();
    let task = tokio::spawn(shell.run());
    drop(h.input);
    tokio::time::timeout(Duration::from_secs(2), task)
        .await
        .unwrap()
        .unwrap();
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    #[test]
    fn arbitrary_keystrokes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let (mut h, shell) = Harness::new();
            let task = tokio::spawn(shell.run());
            h.send("enable\rlabenable1\r");
            h.input.send(bytes).unwrap();
            drop(h.input);
            tokio::time::timeout(Duration::from_secs(5), task).await.unwrap().unwrap();
            while h.output.try_recv().is_ok() {}
        });
    }
}

impl Harness {
    /// Types `line` in configuration mode and reads up to `prompt`.
    async fn conf(&mut self, line: &str, prompt: &str) -> String {
        self.send(&format!("{line}\r"));
        let out = self.until(prompt).await;
        assert!(
            out.starts_with(&format!("{line}\r\n")),
            "echo of {line:?} missing in {out:?}"
        );
        out[line.len() + 2..].to_string()
    }
}

#[tokio::test]
async fn configuration_mode_has_ios_prompts_and_ctrl_z_ends_it() {
    let mut h = Harness::start().await;
    h.enable().await;
    let banner = h.conf("conf t", "R1(config)#").await;
    assert_eq!(
        banner,
        "Enter configuration commands, one per line.  End with CNTL/Z.\r\nR1(config)#"
    );
    for (line, prompt) in [
        ("crypto isakmp policy 20", "R1(config-isakmp)#"),
        ("exit", "R1(config)#"),
        (
            "crypto ipsec transform-set T2 esp-3des esp-md5-hmac",
            "R1(cfg-crypto-trans)#",
        ),
        ("ip access-list extended VPN2", "R1(config-ext-nacl)#"),
        ("ip access-list standard S1", "R1(config-std-nacl)#"),
        ("interface gi0/0", "R1(config-if)#"),
        ("crypto keyring KR", "R1(conf-keyring)#"),
    ] {
        assert_eq!(h.conf(line, prompt).await, prompt, "{line}");
    }
    let note = h.conf("crypto map VPN 20", "R1(config-crypto-map)#").await;
    assert!(note.starts_with("% NOTE: This new crypto map will remain disabled until a peer\r\n        and a valid access list have been configured.\r\n"), "{note:?}");
    h.send("\x1a");
    assert_eq!(h.until_prompt().await, "^Z\r\nR1#");
    let run = h.cmd("show running-config | include crypto map").await;
    assert!(
        run.contains("crypto map VPN 20 ipsec-isakmp\r\n"),
        "{run:?}"
    );
}

#[tokio::test]
async fn configuration_refuses_what_the_lab_does_not_model_with_the_caret() {
    let mut h = Harness::start().await;
    h.enable().await;
    h.conf("configure terminal", "R1(config)#").await;
    let out = h.conf("router ospf 1", "R1(config)#").await;
    assert_eq!(
        out,
        format!(
            "{}^\r\n% Invalid input detected at '^' marker.\r\n\r\nR1(config)#",
            " ".repeat(11)
        )
    );
    h.conf("crypto isakmp policy 10", "R1(config-isakmp)#")
        .await;
    let out = h.conf("ha sha257", "R1(config-isakmp)#").await;
    assert!(
        out.starts_with(&format!("{}^\r\n% Invalid", " ".repeat(18 + 3))),
        "{out:?}"
    );
    h.conf("hash sha256", "R1(config-isakmp)#").await;
    // A global command leaves the block.
    h.conf("interface GigabitEthernet9/9", "R1(config-isakmp)#")
        .await;
    let out = h
        .conf(
            "do show running-config | section policy 10",
            "R1(config-isakmp)#",
        )
        .await;
    assert!(
        out.contains("crypto isakmp policy 10\r\n encr aes 256\r\n hash sha256\r\n"),
        "{out:?}"
    );
    let out = h
        .conf("access-list 101 permit ipx any any", "R1(config-isakmp)#")
        .await;
    assert!(
        out.starts_with(&format!(
            "{}^\r\n% Invalid input detected",
            " ".repeat(18 + 23)
        )),
        "{out:?}"
    );
    h.conf("end", "R1#").await;
}

#[tokio::test]
async fn question_mark_lists_what_may_follow_and_history_recalls() {
    let mut h = Harness::start().await;
    h.enable().await;
    h.send("show crypto ?");
    let out = h.until("R1#show crypto ").await;
    for word in ["  ipsec", "  isakmp", "  map", "  session"] {
        assert!(out.contains(&format!("{word}\r\n")), "{out:?}");
    }
    h.send("\x15sh?");
    let out = h.until("R1#sh").await;
    assert!(out.contains("show\r\n"), "{out:?}");
    h.send("\x15");
    h.until("\x08 \x08\x08 \x08").await;
    h.cmd("show clock").await;
    h.send("\x1b[A\r");
    let again = h.until_prompt().await;
    assert!(again.contains("show clock\r\n*"), "{again:?}");
}
