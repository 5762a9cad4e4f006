//! Reading captured router output from files and stdin for offline analysis: the I/O the
//! engine must not do. Streams line by line so memory stays flat however large the capture:
//! a line longer than [`MAX_LINE`] is cut there (with a warning naming file and line), the
//! rest of it read and dropped.
//!
//! Pipes and process substitution (`analyze <(zcat r1.log.gz)`, a FIFO, `/dev/stdin`) are read
//! once, as a stream: nothing is read from them before the analysis, and the check for binary
//! data looks at the first block as it streams in.

use crate::engine::parse::syslog_server;
use crate::engine::{Engine, StreamId};
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

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
pub fn feed_reader(
    engine: &mut Engine,
    reader: impl Read,
    file: &str,
    source: &str,
    label: &str,
    explicit: bool,
) -> Result<Vec<Warning>, CaptureError> {
    let io_err = |e: io::Error| CaptureError::Io {
        file: file.to_string(),
        error: e,
    };
    let mut warnings = Vec::new();
    let mut reader = BufReader::with_capacity(256 * 1024, reader);
    // The first block, as it arrives: NUL bytes mean this is no router output.
    let head = fill_head(&mut reader).map_err(io_err)?;
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
    let mut reader = io::Cursor::new(head).chain(reader);
    let mut buf = Vec::with_capacity(512);
    let mut line_no = 0usize;
    let mut lossy_lines = 0usize;
    let mut first_lossy = None;
    let mut cut_lines = 0usize;
    let mut router = Router::new(label, explicit);
    loop {
        buf.clear();
        let (n, cut) = read_line(&mut reader, &mut buf).map_err(io_err)?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let complete = buf.last() == Some(&b'\n');
        if cut {
            cut_lines += 1;
            if cut_lines <= CUT_LINES_NAMED {
                warnings.push(Warning {
                    file: file.to_string(),
                    line: Some(line_no),
                    message: format!(
                        "line of {n} bytes cut to its first {} KiB; the rest was not analysed",
                        MAX_LINE / 1024
                    ),
                });
            }
        }
        let text = match std::str::from_utf8(&buf) {
            Ok(s) => std::borrow::Cow::Borrowed(s),
            Err(e) if cut && e.error_len().is_none() => {
                // The cut fell inside a character: keep what is whole.
                String::from_utf8_lossy(&buf[..e.valid_up_to()])
            }
            Err(_) => {
                lossy_lines += 1;
                first_lossy.get_or_insert(line_no);
                String::from_utf8_lossy(&buf)
            }
        };
        if !complete && !cut {
            warnings.push(Warning {
                file: file.to_string(),
                line: Some(line_no),
                message: "last line has no line end (truncated capture?); analysed as is".into(),
            });
        }
        let line = text.trim_end_matches(['\n', '\r']);
        let (id, line) = router.route(engine, line);
        engine.feed(id, source, line_no, line);
    }
    if cut_lines > CUT_LINES_NAMED {
        warnings.push(Warning {
            file: file.to_string(),
            line: None,
            message: format!(
                "{} more line(s) longer than {} KiB were cut",
                cut_lines - CUT_LINES_NAMED,
                MAX_LINE / 1024
            ),
        });
    }
    if lossy_lines > 0 {
        warnings.push(Warning {
            file: file.to_string(),
            line: first_lossy,
            message: format!(
                "{lossy_lines} line(s) hold bytes that are not UTF-8; they were decoded with replacement characters"
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

/// One line into `buf` (with its `\n`), at most [`MAX_LINE`] bytes of it; the rest of a longer
/// line is read and dropped. Returns the line's full length and whether it was cut.
fn read_line(reader: &mut impl BufRead, buf: &mut Vec<u8>) -> io::Result<(usize, bool)> {
    let mut total = 0usize;
    loop {
        let chunk = match reader.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok((total, total > buf.len()));
        }
        let (used, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        let room = MAX_LINE.saturating_sub(buf.len());
        buf.extend_from_slice(&chunk[..used.min(room)]);
        total += used;
        reader.consume(used);
        if done {
            return Ok((total, total > buf.len()));
        }
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
        let id = *self
            .own
            .get_or_insert_with(|| engine.stream(&self.label, self.explicit));
        (id, line)
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
    fn long_lines_are_cut_with_a_warning_and_reading_goes_on() {
        let mut e = Engine::new();
        let mut data = b"R1#show running-config\nbanner motd ^C".to_vec();
        data.extend(std::iter::repeat_n(b'x', MAX_LINE * 3 + 17));
        // A multi-byte character straddling the cut must not turn into a lossy warning.
        data.extend("é^C\n".as_bytes());
        data.extend(b"crypto isakmp key s3cret address 203.0.113.2\nR1#\n");
        let w = feed_reader(&mut e, &data[..], "r1.txt", "r1.txt", "r1", false).unwrap();
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(w[0].line, Some(2));
        assert!(w[0].message.contains("cut to its first 64 KiB"), "{}", w[0]);
        let d = e.finish();
        assert_eq!(d.peers[0].lines, 4);

        let mut lines = Vec::new();
        let mut r = BufReader::with_capacity(7, &data[..]);
        loop {
            let mut buf = Vec::new();
            let (n, cut) = read_line(&mut r, &mut buf).unwrap();
            if n == 0 {
                break;
            }
            assert!(buf.len() <= MAX_LINE);
            lines.push((n, cut));
        }
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[1], (14 + MAX_LINE * 3 + 17 + 5, true));
    }

    #[test]
    fn a_binary_stream_is_refused_from_its_first_block() {
        let mut e = Engine::new();
        let data: &[u8] = b"R1#show version\n\x00\x01\x02";
        let err = feed_reader(&mut e, data, "x", "x", "x", false).unwrap_err();
        assert!(
            matches!(err, CaptureError::Binary { offset: 16, .. }),
            "{err}"
        );
        let err = feed_reader(&mut e, &b""[..], "y", "y", "y", false).unwrap_err();
        assert!(matches!(err, CaptureError::Empty { .. }), "{err}");
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
