//! Reading captured router output from files and stdin for offline analysis: the I/O the
//! engine must not do. Streams so memory stays flat however large the capture: a line longer
//! than [`MAX_LINE`] is cut there (with a warning naming file and line), the rest of it read
//! and dropped.
//!
//! Pipes and process substitution (`analyze <(zcat r1.log.gz)`, a FIFO, `/dev/stdin`) are read
//! once, as a stream: nothing is read from them before the analysis, and the check for binary
//! data looks at the first block as it streams in.

use crate::engine::parse::signatures::Scratch;
use crate::engine::parse::{debug, syslog_server};
use crate::engine::{Engine, StreamId};
use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};

/// The longest line kept. No router line comes close (a `show running-config` line is a few
/// hundred bytes at most); the bound keeps memory flat on a file with no line ends.
pub const MAX_LINE: usize = 64 * 1024;
/// Cut lines named one by one in the warnings; beyond that, counted.
const CUT_LINES_NAMED: usize = 5;
/// How much of an input is looked at for NUL bytes.
const SNIFF: usize = 8192;

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
    #[error("{file}: cannot read: {error}")]
    Io { file: String, error: io::Error },
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

/// Checks an input before anything is analysed, so that bad input fails as a whole. Only
/// regular files are opened here: a pipe's data can be read only once, so its emptiness and
/// its first block are judged while it streams ([`feed_reader`]).
pub fn check(input: &Input) -> Result<(), CaptureError> {
    if input.is_stdin() {
        return Ok(());
    }
    let file = input.display();
    let meta = std::fs::metadata(&input.path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => CaptureError::Missing { file: file.clone() },
        _ => CaptureError::Io {
            file: file.clone(),
            error: e,
        },
    })?;
    if meta.is_dir() {
        return Err(CaptureError::Directory { file });
    }
    if !meta.is_file() {
        // A FIFO, `/dev/fd/63` from `<(…)`, a character device: streamed.
        return Ok(());
    }
    if meta.len() == 0 {
        return Err(CaptureError::Empty { file });
    }
    let mut head = vec![0u8; SNIFF];
    let n = File::open(&input.path)
        .and_then(|mut f| f.read(&mut head))
        .map_err(|e| CaptureError::Io {
            file: file.clone(),
            error: e,
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
            error: e,
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
/// While the engine takes in one read, other threads already prepare the next ones: each scans
/// a block for signature literals, matches the lines that hold one and marks those that may be
/// prompts or show headers, which does not depend on anything before them (see
/// [`debug::prepare_block`]).
pub fn feed_reader(
    engine: &mut Engine,
    reader: impl Read,
    file: &str,
    source: &str,
    label: &str,
    explicit: bool,
) -> Result<Vec<Warning>, CaptureError> {
    let mut reader = BufReader::with_capacity(SNIFF, reader);
    // The first block, as it arrives: NUL bytes mean this is no router output.
    let head = fill_head(&mut reader).map_err(|e| CaptureError::Io {
        file: file.to_string(),
        error: e,
    })?;
    if head.is_empty() {
        return Err(CaptureError::Empty {
            file: file.to_string(),
        });
    }
    if let Some(offset) = binary_offset(&head) {
        return Err(CaptureError::Binary {
            file: file.to_string(),
            offset,
        });
    }
    let reader = io::Cursor::new(head).chain(reader);
    let preparers = preparers();
    let (to_preparers, jobs) = mpsc::sync_channel::<Job>(preparers + 1);
    let jobs = Mutex::new(jobs);
    std::thread::scope(|scope| {
        for _ in 0..preparers {
            let jobs = &jobs;
            scope.spawn(move || {
                let mut scratch = Scratch::new();
                loop {
                    // The lock is held while waiting for a job, not while preparing it.
                    let job = match jobs.lock() {
                        Ok(jobs) => jobs.recv(),
                        Err(_) => break,
                    };
                    let Ok((block, lines, done)) = job else { break };
                    let prepared = debug::prepare_block_into(&block, &mut scratch, lines);
                    // Let go of the block before the engine hears of it, so that it can take
                    // the buffer back once fed.
                    drop(block);
                    // The engine may have stopped waiting (an error): nothing to do then.
                    let _ = done.send(prepared);
                }
            });
        }
        let mut lines = Lines {
            engine,
            router: Router::new(label, explicit),
            source,
            line_no: 0,
            lossy_lines: 0,
            first_lossy: None,
            file,
            cut_lines: 0,
            warnings: Vec::new(),
            queue: VecDeque::new(),
            ahead: preparers + 1,
            to_preparers: Some(to_preparers),
            spare_blocks: Vec::new(),
            spare_lines: Vec::new(),
        };
        let read = read_all(&mut lines, reader, file);
        // Closing the channel ends the preparers, which the scope then joins.
        lines.to_preparers = None;
        read
    })
}

/// Most threads that prepare blocks. Preparing is pure work on one block, so blocks are
/// prepared side by side while the engine takes them in order; past the cores there are, more
/// threads only wait for one.
const MAX_PREPARERS: usize = 4;

fn preparers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_PREPARERS))
}

/// A block for a preparer, a vector to prepare its lines into, and where the preparation goes.
type Job = (
    Arc<String>,
    Vec<debug::PreparedLine>,
    mpsc::SyncSender<debug::PreparedBlock>,
);

fn read_all(
    lines: &mut Lines<'_>,
    reader: impl Read,
    file: &str,
) -> Result<Vec<Warning>, CaptureError> {
    let mut reader = BufReader::with_capacity(1 << 20, reader);
    // A line begun in an earlier read: at most MAX_LINE bytes of it, and its full length.
    let mut carry: Vec<u8> = Vec::new();
    let mut carry_len = 0usize;
    loop {
        let chunk = match reader.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(CaptureError::Io {
                    file: file.to_string(),
                    error: e,
                });
            }
        };
        if chunk.is_empty() {
            break;
        }
        let n = chunk.len();
        let mut start = 0;
        // A line begun in the previous read ends at this read's first line end.
        if carry_len > 0 {
            let end = memchr::memchr(b'\n', chunk).unwrap_or(n);
            let room = MAX_LINE.saturating_sub(carry.len());
            carry.extend_from_slice(&chunk[..end.min(room)]);
            carry_len += end;
            if end < n {
                lines.line(&carry, carry_len);
                carry.clear();
                carry_len = 0;
                start = end + 1;
            } else {
                start = n;
            }
        }
        if carry_len == 0
            && let Some(last) = memchr::memrchr(b'\n', &chunk[start..]).map(|i| start + i)
        {
            lines.lines(&chunk[start..last]);
            start = last + 1;
        }
        if start < n {
            let rest = &chunk[start..];
            carry.extend_from_slice(&rest[..rest.len().min(MAX_LINE)]);
            carry_len += rest.len();
        }
        reader.consume(n);
        // The newest blocks stay with the preparers while the engine takes the ones before.
        lines.drain(lines.ahead - 1);
    }
    let truncated = carry_len > 0;
    if truncated {
        lines.line(&carry, carry_len);
    }
    lines.drain(0);
    let mut warnings = std::mem::take(&mut lines.warnings);
    if truncated && carry_len <= MAX_LINE {
        warnings.push(Warning {
            file: file.to_string(),
            line: Some(lines.line_no),
            message: "last line has no line end (truncated capture?); analysed as is".into(),
        });
    }
    if lines.cut_lines > CUT_LINES_NAMED {
        warnings.push(Warning {
            file: file.to_string(),
            line: None,
            message: format!(
                "{} more line(s) longer than {} KiB were cut",
                lines.cut_lines - CUT_LINES_NAMED,
                MAX_LINE / 1024
            ),
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

/// Up to [`SNIFF`] bytes, reading until that much came or the input ended: a pipe hands its
/// data over in pieces.
fn fill_head(reader: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(SNIFF);
    reader.take(SNIFF as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// What waits to be fed, in order: a line, or a block a preparer has, and where its
/// preparation will come.
enum Item {
    /// A line (at most [`MAX_LINE`] bytes of it) and its length as read.
    Line(Vec<u8>, usize),
    Block(Arc<String>, mpsc::Receiver<debug::PreparedBlock>),
}

/// Where each line of one input goes, and what was noticed on the way.
struct Lines<'e> {
    engine: &'e mut Engine,
    router: Router,
    source: &'e str,
    line_no: usize,
    lossy_lines: usize,
    first_lossy: Option<usize>,
    file: &'e str,
    cut_lines: usize,
    /// Warnings that name a line, made when the line is fed (its number known only then).
    warnings: Vec<Warning>,
    queue: VecDeque<Item>,
    /// Blocks sent ahead to the preparers at most: enough to keep each busy, few enough that
    /// memory stays a few blocks.
    ahead: usize,
    to_preparers: Option<mpsc::SyncSender<Job>>,
    /// Buffers of blocks already fed, for the next ones: a block is a megabyte, and fresh
    /// memory costs a page fault per page.
    spare_blocks: Vec<String>,
    spare_lines: Vec<Vec<debug::PreparedLine>>,
}

/// Whether a line of `bytes` (lines separated by `\n`) is longer than [`MAX_LINE`]. Jumps from
/// the last line end of one window of `MAX_LINE + 1` bytes to the next: each window of a
/// capture without long lines holds a line end, found a few bytes from its end.
fn has_long_line(bytes: &[u8]) -> bool {
    let mut from = 0;
    while bytes.len() - from > MAX_LINE {
        match memchr::memrchr(b'\n', &bytes[from..=from + MAX_LINE]) {
            Some(i) => from += i + 1,
            None => return true,
        }
    }
    false
}

/// Lines read one by one before whole blocks are handed over: enough to tell a central
/// syslog server's file (whose every line carries a sender) from one device's capture.
const SNIFF_LINES: usize = 16;

impl Lines<'_> {
    /// Whole lines separated by `\n`, as read: a line longer than [`MAX_LINE`] is cut and fed
    /// on its own, the others go on as blocks.
    fn lines(&mut self, mut bytes: &[u8]) {
        if !has_long_line(bytes) {
            self.block(bytes);
            return;
        }
        'cut: loop {
            let mut from = 0;
            for end in memchr::memchr_iter(b'\n', bytes).chain(std::iter::once(bytes.len())) {
                if end - from > MAX_LINE {
                    if from > 0 {
                        self.block(&bytes[..from - 1]);
                    }
                    self.line(&bytes[from..from + MAX_LINE], end - from);
                    if end == bytes.len() {
                        return;
                    }
                    bytes = &bytes[end + 1..];
                    continue 'cut;
                }
                from = end + 1;
            }
            // `bytes` ends where a line end was: even empty, it is one (empty) line.
            self.block(bytes);
            return;
        }
    }

    /// Whole lines separated by `\n`: handed to the engine as one block when the input is one
    /// device's capture, split into lines otherwise.
    fn block(&mut self, mut bytes: &[u8]) {
        // The first lines one by one, to see whether a syslog server wrote the file.
        while self.line_no < SNIFF_LINES {
            match memchr::memchr(b'\n', bytes) {
                Some(end) => {
                    self.line(&bytes[..end], end);
                    bytes = &bytes[end + 1..];
                }
                None => {
                    self.line(bytes, bytes.len());
                    return;
                }
            }
        }
        if self.router.saw_server_lines() {
            for line in bytes.split(|b| *b == b'\n') {
                self.line(line, line.len());
            }
            return;
        }
        // Valid UTF-8 goes as one block; a line with other bytes is decoded on its own.
        while !bytes.is_empty() {
            // The common case, a read that is all UTF-8, is validated once.
            let valid = match std::str::from_utf8(bytes) {
                Ok(text) => {
                    self.send_block(text);
                    return;
                }
                Err(e) => e.valid_up_to(),
            };
            if let Some(cut) = memchr::memrchr(b'\n', &bytes[..valid])
                && let Ok(text) = std::str::from_utf8(&bytes[..cut])
            {
                self.send_block(text);
                if cut == bytes.len() {
                    return;
                }
                bytes = &bytes[cut + 1..];
            }
            let end = memchr::memchr(b'\n', bytes).unwrap_or(bytes.len());
            self.line(&bytes[..end], end);
            bytes = bytes.get(end + 1..).unwrap_or_default();
        }
    }

    /// Hands a block of valid lines to a preparer; the engine gets it, prepared, in its turn.
    fn send_block(&mut self, text: &str) {
        // A block more than `ahead` waits for the oldest: neither side can block the other.
        self.drain(self.ahead - 1);
        let mut buffer = self.spare_blocks.pop().unwrap_or_default();
        buffer.clear();
        buffer.push_str(text);
        let block = Arc::new(buffer);
        let lines = self.spare_lines.pop().unwrap_or_default();
        let (done, prepared) = mpsc::sync_channel(1);
        match &self.to_preparers {
            Some(tx) if tx.send((block.clone(), lines, done)).is_ok() => {
                self.queue.push_back(Item::Block(block, prepared));
            }
            // No preparer (they stopped): the engine prepares the block itself, in order.
            _ => {
                self.drain(0);
                self.feed_block(&block, None);
            }
        }
    }

    /// Feeds queued items until at most `keep` blocks remain with the preparers.
    fn drain(&mut self, keep: usize) {
        loop {
            let blocks = self
                .queue
                .iter()
                .filter(|i| matches!(i, Item::Block(..)))
                .count();
            match self.queue.front() {
                None => return,
                Some(Item::Block(..)) if blocks <= keep => return,
                _ => {}
            }
            match self.queue.pop_front() {
                Some(Item::Line(bytes, full)) => self.feed_line(&bytes, full),
                Some(Item::Block(block, prepared)) => {
                    let prepared = prepared.recv().ok();
                    self.feed_block(&block, prepared);
                    self.recycle(block);
                }
                None => return,
            }
        }
    }

    fn feed_block(&mut self, block: &str, prepared: Option<debug::PreparedBlock>) {
        let id = self.router.own(self.engine);
        let first = self.line_no + 1;
        self.line_no += match &prepared {
            Some(lines) => self
                .engine
                .feed_prepared(id, self.source, first, block, lines),
            None => self.engine.feed_block(id, self.source, first, block),
        };
        if let Some(p) = prepared
            && self.spare_lines.len() < self.ahead
        {
            self.spare_lines.push(p.lines);
        }
    }

    /// Keeps a fed block's buffer for a later block, when nothing else holds it any more.
    fn recycle(&mut self, block: Arc<String>) {
        if self.spare_blocks.len() < self.ahead
            && let Ok(buffer) = Arc::try_unwrap(block)
        {
            self.spare_blocks.push(buffer);
        }
    }

    /// One line without its `\n`: fed now, or after the blocks sent ahead of it.
    /// `full` is the line's length as read; more than `bytes` holds means it was cut.
    fn line(&mut self, bytes: &[u8], full: usize) {
        if self.queue.is_empty() {
            self.feed_line(bytes, full);
        } else {
            self.queue.push_back(Item::Line(bytes.to_vec(), full));
        }
    }

    fn feed_line(&mut self, bytes: &[u8], full: usize) {
        self.line_no += 1;
        let cut = full > bytes.len();
        if cut {
            self.cut_lines += 1;
            if self.cut_lines <= CUT_LINES_NAMED {
                self.warnings.push(Warning {
                    file: self.file.to_string(),
                    line: Some(self.line_no),
                    message: format!(
                        "line of {full} bytes cut to its first {} KiB; the rest was not analysed",
                        MAX_LINE / 1024
                    ),
                });
            }
        }
        let text = match std::str::from_utf8(bytes) {
            Ok(s) => std::borrow::Cow::Borrowed(s),
            Err(e) if cut && e.error_len().is_none() => {
                // The cut fell inside a character: keep what is whole.
                String::from_utf8_lossy(&bytes[..e.valid_up_to()])
            }
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
