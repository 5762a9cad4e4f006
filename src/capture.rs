//! Reading captured router output from files and stdin for offline analysis: the I/O the
//! engine must not do. Streams line by line so memory stays flat however large the capture.

use crate::engine::parse::signatures::Scratch;
use crate::engine::parse::{debug, syslog_server};
use crate::engine::{Engine, StreamId};
use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};

/// One input: a path (or `-` for stdin) and the device name the user gave it, if any.
#[derive(Debug, Clone)]
pub struct Input {
    pub path: PathBuf,
    pub peer: Option<String>,
}

impl Input {
    /// Parses `FILE` or `NAME=FILE`.
    pub fn parse(arg: &str) -> Input {
        match arg.split_once('=') {
            Some((name, path)) if !name.is_empty() && !path.is_empty() && !name.contains('/') => {
                Input {
                    path: PathBuf::from(path),
                    peer: Some(name.to_string()),
                }
            }
            _ => Input {
                path: PathBuf::from(arg),
                peer: None,
            },
        }
    }

    fn display(&self) -> String {
        if self.is_stdin() {
            "<stdin>".to_string()
        } else {
            self.path.display().to_string()
        }
    }

    fn is_stdin(&self) -> bool {
        self.path.as_os_str() == "-"
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("{file}: no such file")]
    Missing { file: String },
    #[error("{file}: is a directory; give the capture files inside it")]
    Directory { file: String },
    #[error("{file}: the file is empty")]
    Empty { file: String },
    #[error("{file}: looks like a binary file, not router output (NUL bytes near byte {offset})")]
    Binary { file: String, offset: usize },
    #[error("{file}: cannot read: {source}")]
    Io { file: String, source: io::Error },
}

/// A problem that does not stop the analysis, reported to the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{}: {}", self.file, l, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// Checks an input before anything is analysed, so that bad input fails as a whole.
pub fn check(input: &Input) -> Result<(), CaptureError> {
    if input.is_stdin() {
        return Ok(());
    }
    let file = input.display();
    let meta = std::fs::metadata(&input.path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => CaptureError::Missing { file: file.clone() },
        _ => CaptureError::Io {
            file: file.clone(),
            source: e,
        },
    })?;
    if meta.is_dir() {
        return Err(CaptureError::Directory { file });
    }
    if meta.len() == 0 {
        return Err(CaptureError::Empty { file });
    }
    let mut head = vec![0u8; 8192];
    let n = File::open(&input.path)
        .and_then(|mut f| f.read(&mut head))
        .map_err(|e| CaptureError::Io {
            file: file.clone(),
            source: e,
        })?;
    head.truncate(n);
    if let Some(offset) = binary_offset(&head) {
        return Err(CaptureError::Binary { file, offset });
    }
    Ok(())
}

/// Router output never holds NUL bytes; a few stray high bytes are fine (decoded lossily).
fn binary_offset(head: &[u8]) -> Option<usize> {
    head.iter().position(|&b| b == 0)
}

/// Streams one input into the engine. Returns the warnings met on the way.
pub fn feed(engine: &mut Engine, input: &Input) -> Result<Vec<Warning>, CaptureError> {
    let file = input.display();
    let reader: Box<dyn Read> = if input.is_stdin() {
        Box::new(io::stdin().lock())
    } else {
        Box::new(File::open(&input.path).map_err(|e| CaptureError::Io {
            file: file.clone(),
            source: e,
        })?)
    };
    let source = input
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|_| !input.is_stdin())
        .unwrap_or_else(|| "stdin".to_string());
    let label = input.peer.clone().unwrap_or_else(|| {
        Path::new(&source)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| source.clone())
    });
    feed_reader(engine, reader, &file, &source, &label, input.peer.is_some())
}

/// The reading loop, separate from opening so tests can feed any reader.
///
/// Lines are cut out of large reads in place (one memchr pass finds the line ends); only a
/// line split across two reads is copied. Memory stays a few read buffers whatever the size.
/// While the engine takes in one read, a second thread already prepares the next: it scans
/// the block for signature literals and matches the lines that hold one, which does not depend
/// on anything before them (see [`debug::prepare_block`]).
pub fn feed_reader(
    engine: &mut Engine,
    reader: impl Read,
    file: &str,
    source: &str,
    label: &str,
    explicit: bool,
) -> Result<Vec<Warning>, CaptureError> {
    std::thread::scope(|scope| {
        let (to_worker, blocks) = mpsc::sync_channel::<Arc<str>>(2);
        let (worker_done, prepared) = mpsc::sync_channel::<Prepared>(2);
        scope.spawn(move || {
            let mut scratch = Scratch::new();
            for block in blocks {
                let lines = debug::prepare_block(&block, &mut scratch);
                if worker_done.send((block, lines)).is_err() {
                    break;
                }
            }
        });
        let mut lines = Lines {
            engine,
            router: Router::new(label, explicit),
            source,
            line_no: 0,
            lossy_lines: 0,
            first_lossy: None,
            queue: VecDeque::new(),
            to_worker: Some(to_worker),
            prepared,
        };
        let read = read_all(&mut lines, reader, file);
        // Closing the channel ends the worker, which the scope then joins.
        lines.to_worker = None;
        read
    })
}

/// A block sent ahead and what the worker made of it.
type Prepared = (Arc<str>, Vec<debug::PreparedLine>);

fn read_all(
    lines: &mut Lines<'_>,
    reader: impl Read,
    file: &str,
) -> Result<Vec<Warning>, CaptureError> {
    let mut reader = BufReader::with_capacity(1 << 20, reader);
    let mut carry: Vec<u8> = Vec::new();
    let mut total_bytes = 0usize;
    loop {
        let chunk = reader.fill_buf().map_err(|e| CaptureError::Io {
            file: file.to_string(),
            source: e,
        })?;
        if chunk.is_empty() {
            break;
        }
        let n = chunk.len();
        total_bytes += n;
        let mut start = 0;
        // A line begun in the previous read ends at this read's first line end.
        if !carry.is_empty()
            && let Some(end) = memchr::memchr(b'\n', chunk)
        {
            carry.extend_from_slice(&chunk[..end]);
            lines.line(&carry);
            carry.clear();
            start = end + 1;
        }
        if carry.is_empty()
            && let Some(last) = memchr::memrchr(b'\n', &chunk[start..]).map(|i| start + i)
        {
            lines.block(&chunk[start..last]);
            start = last + 1;
        }
        carry.extend_from_slice(&chunk[start..]);
        reader.consume(n);
        // The newest block stays with the worker while the engine takes the ones before.
        lines.drain(1);
    }
    lines.drain(0);
    if total_bytes == 0 {
        return Err(CaptureError::Empty {
            file: file.to_string(),
        });
    }
    let mut warnings = Vec::new();
    if !carry.is_empty() {
        lines.line(&carry);
        warnings.push(Warning {
            file: file.to_string(),
            line: Some(lines.line_no),
            message: "last line has no line end (truncated capture?); analysed as is".into(),
        });
    }
    if lines.lossy_lines > 0 {
        warnings.push(Warning {
            file: file.to_string(),
            line: lines.first_lossy,
            message: format!(
                "{} line(s) hold bytes that are not UTF-8; they were decoded with replacement characters",
                lines.lossy_lines
            ),
        });
    }
    Ok(warnings)
}

/// What waits to be fed, in order: a line, or a block the worker is preparing.
enum Item {
    Line(Vec<u8>),
    Block(Arc<str>),
}

/// Where each line of one input goes, and what was noticed on the way.
struct Lines<'e> {
    engine: &'e mut Engine,
    router: Router,
    source: &'e str,
    line_no: usize,
    lossy_lines: usize,
    first_lossy: Option<usize>,
    queue: VecDeque<Item>,
    to_worker: Option<mpsc::SyncSender<Arc<str>>>,
    prepared: mpsc::Receiver<Prepared>,
}

/// Lines read one by one before whole blocks are handed over: enough to tell a central
/// syslog server's file (whose every line carries a sender) from one device's capture.
const SNIFF_LINES: usize = 16;

impl Lines<'_> {
    /// Whole lines separated by `\n`: handed to the engine as one block when the input is one
    /// device's capture, split into lines otherwise.
    fn block(&mut self, mut bytes: &[u8]) {
        // The first lines one by one, to see whether a syslog server wrote the file.
        while self.line_no < SNIFF_LINES {
            match memchr::memchr(b'\n', bytes) {
                Some(end) => {
                    self.line(&bytes[..end]);
                    bytes = &bytes[end + 1..];
                }
                None => {
                    self.line(bytes);
                    return;
                }
            }
        }
        if self.router.saw_server_lines() {
            for line in bytes.split(|b| *b == b'\n') {
                self.line(line);
            }
            return;
        }
        // Valid UTF-8 goes as one block; a line with other bytes is decoded on its own.
        while !bytes.is_empty() {
            let valid = match std::str::from_utf8(bytes) {
                Ok(_) => bytes.len(),
                Err(e) => e.valid_up_to(),
            };
            let cut = if valid == bytes.len() {
                Some(valid)
            } else {
                memchr::memrchr(b'\n', &bytes[..valid])
            };
            if let Some(cut) = cut
                && let Ok(text) = std::str::from_utf8(&bytes[..cut])
            {
                self.send_block(text);
                if cut == bytes.len() {
                    return;
                }
                bytes = &bytes[cut + 1..];
            }
            let end = memchr::memchr(b'\n', bytes).unwrap_or(bytes.len());
            self.line(&bytes[..end]);
            bytes = bytes.get(end + 1..).unwrap_or_default();
        }
    }

    /// Hands a block of valid lines to the worker; the engine gets it, prepared, in its turn.
    fn send_block(&mut self, text: &str) {
        // At most two blocks with the worker: neither channel can fill up and block both sides.
        self.drain(1);
        let block: Arc<str> = Arc::from(text);
        match &self.to_worker {
            Some(tx) if tx.send(block.clone()).is_ok() => self.queue.push_back(Item::Block(block)),
            // No worker (it stopped): the engine prepares the block itself, in order.
            _ => {
                self.drain(0);
                self.feed_block(&block, None);
            }
        }
    }

    /// Feeds queued items until at most `keep` blocks remain with the worker.
    fn drain(&mut self, keep: usize) {
        loop {
            let blocks = self
                .queue
                .iter()
                .filter(|i| matches!(i, Item::Block(_)))
                .count();
            match self.queue.front() {
                None => return,
                Some(Item::Block(_)) if blocks <= keep => return,
                _ => {}
            }
            match self.queue.pop_front() {
                Some(Item::Line(bytes)) => self.feed_line(&bytes),
                Some(Item::Block(block)) => {
                    let prepared = self.prepared.recv().ok().map(|(_, lines)| lines);
                    self.feed_block(&block, prepared);
                }
                None => return,
            }
        }
    }

    fn feed_block(&mut self, block: &str, prepared: Option<Vec<debug::PreparedLine>>) {
        let id = self.router.own(self.engine);
        let first = self.line_no + 1;
        self.line_no += match prepared {
            Some(lines) => self
                .engine
                .feed_prepared(id, self.source, first, block, &lines),
            None => self.engine.feed_block(id, self.source, first, block),
        };
    }

    /// One line without its `\n`: fed now, or after the blocks sent ahead of it.
    fn line(&mut self, bytes: &[u8]) {
        if self.queue.is_empty() {
            self.feed_line(bytes);
        } else {
            self.queue.push_back(Item::Line(bytes.to_vec()));
        }
    }

    fn feed_line(&mut self, bytes: &[u8]) {
        self.line_no += 1;
        let text = match std::str::from_utf8(bytes) {
            Ok(s) => std::borrow::Cow::Borrowed(s),
            Err(_) => {
                self.lossy_lines += 1;
                self.first_lossy.get_or_insert(self.line_no);
                String::from_utf8_lossy(bytes)
            }
        };
        let line = text.trim_end_matches(['\n', '\r']);
        let (id, line) = self.router.route(self.engine, line);
        self.engine.feed(id, self.source, self.line_no, line);
    }
}

/// Sends each line to its device's stream. A central syslog file carries many routers: once a
/// line shows the syslog-server framing, every framed line goes to the stream of its sender.
struct Router {
    label: String,
    explicit: bool,
    own: Option<StreamId>,
    by_host: HashMap<String, StreamId>,
}

impl Router {
    fn new(label: &str, explicit: bool) -> Router {
        Router {
            label: label.to_string(),
            explicit,
            own: None,
            by_host: HashMap::new(),
        }
    }

    fn route<'a>(&mut self, engine: &mut Engine, line: &'a str) -> (StreamId, &'a str) {
        if let Some((host, msg)) = syslog_server::split(line) {
            let id = match self.by_host.get(host) {
                Some(id) => *id,
                None => {
                    let id = engine.stream(host, true);
                    self.by_host.insert(host.to_string(), id);
                    id
                }
            };
            return (id, msg);
        }
        (self.own(engine), line)
    }

    /// The stream of the device the input belongs to.
    fn own(&mut self, engine: &mut Engine) -> StreamId {
        *self
            .own
            .get_or_insert_with(|| engine.stream(&self.label, self.explicit))
    }

    fn saw_server_lines(&self) -> bool {
        !self.by_host.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_argument_forms() {
        let a = Input::parse("hub=hub.log");
        assert_eq!(a.peer.as_deref(), Some("hub"));
        assert_eq!(a.path, PathBuf::from("hub.log"));
        let b = Input::parse("./dir/x=y.log");
        assert_eq!(b.peer, None);
    }

    #[test]
    fn lossy_and_truncated_input_warns() {
        let mut e = Engine::new();
        let data: &[u8] = b"*Mar  1 00:00:01.000: ISAKMP:(0): No pre-shared key with 10.0.0.2!\n\xff\xfe junk\npartial";
        let w = feed_reader(&mut e, data, "x.log", "x.log", "x", false).unwrap();
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(
            w.iter()
                .any(|w| w.message.contains("not UTF-8") && w.line == Some(2))
        );
        assert!(
            w.iter()
                .any(|w| w.message.contains("truncated") && w.line == Some(3))
        );
        let d = e.finish();
        assert_eq!(d.findings[0].code.as_str(), "P1_PSK_MISSING");
    }

    #[test]
    fn central_syslog_is_split_per_router() {
        let mut e = Engine::new();
        let data = "Nov 26 10:15:42 r1 12: *Nov 26 10:15:42.123: ISAKMP:(0): retransmitting phase 1 MM_NO_STATE...\n\
Nov 26 10:15:52 r1 13: *Nov 26 10:15:52.123: ISAKMP:(0): retransmitting phase 1 MM_NO_STATE...\n\
Nov 26 10:15:53 r2 7: *Nov 26 10:15:53.001: %SYS-5-CONFIG_I: Configured from console by admin on vty0\n";
        feed_reader(&mut e, data.as_bytes(), "all.log", "all.log", "all", false).unwrap();
        let d = e.finish();
        let names: Vec<_> = d.peers.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["r1", "r2"]);
        assert_eq!(d.findings[0].code.as_str(), "PEER_SILENT");
        assert_eq!(d.findings[0].peer, "r2");
    }
}
