//! One run per router at a time, from this machine.
//!
//! Debug flags on IOS are global to the box: two runs on one router switch each other's
//! debugs on and off, and the second then reads a silence the first caused. So a run holds a
//! lock per router (an advisory file lock, keyed by address and port, in a per-user runtime
//! directory) from before it connects until its cleanup is done; a second run waits, saying
//! for whom. The lock goes with the process, however it ends: the kernel releases it.
//!
//! A run removes its lock file when it is done (lab routers get a new port every time, and
//! their files would pile up). It does so while still holding the lock, and a taker checks,
//! once it holds a lock, that the file is still the one at the path; if not, it tries again on
//! the new one. So two runs can never each hold a lock for the same router.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How often a waiting run tries again.
const RETRY: Duration = Duration::from_millis(200);

/// Held while a run works on a router; dropping it lets the next run in.
#[derive(Debug)]
pub struct RouterLock {
    _file: File,
    pub path: PathBuf,
}

impl Drop for RouterLock {
    fn drop(&mut self) {
        // Still locked here: the file goes before the lock does (see the module's notes).
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Where locks live: `$XDG_RUNTIME_DIR/ipsec-doctor` (per user, cleared at logout), else
/// `~/.cache/ipsec-doctor/locks`, else a directory under the system's temporary directory.
pub fn default_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(d).join("ipsec-doctor");
    }
    if let Some(h) = std::env::home_dir() {
        return h.join(".cache").join("ipsec-doctor").join("locks");
    }
    std::env::temp_dir().join("ipsec-doctor-locks")
}

/// The lock file of a router: its address and port, with anything but letters, digits, `.`
/// and `-` spelled as `%XX` (an IPv6 address has colons).
pub fn file_name(host: &str, port: u16) -> String {
    let mut out = String::new();
    for b in host.bytes() {
        if b.is_ascii_alphanumeric() || b == b'.' || b == b'-' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    format!("{out}_{port}.lock")
}

/// Takes the lock of `host`:`port`, waiting while another run holds it. `waiting` is told
/// once, with the holder's pid when it wrote one.
pub async fn acquire(
    dir: &Path,
    host: &str,
    port: u16,
    waiting: impl FnOnce(Option<u32>),
) -> std::io::Result<RouterLock> {
    create_private_dir(dir)?;
    let path = dir.join(file_name(host, port));
    let mut waiting = Some(waiting);
    let mut file = loop {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)?;
        match file.try_lock() {
            Ok(()) if still_at(&file, &path) => break file,
            // Its holder removed it on the way out: take the one at the path now.
            Ok(()) => continue,
            Err(std::fs::TryLockError::WouldBlock) => {
                if let Some(tell) = waiting.take() {
                    tell(holder(&mut file));
                }
                // Polling, not a blocking lock on a thread: the wait stays cancellable (a stop
                // signal drops this future) and leaves no thread behind.
                tokio::time::sleep(RETRY).await;
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(e),
        }
    };
    file.set_len(0)?;
    file.rewind()?;
    writeln!(file, "{}", std::process::id())?;
    file.flush()?;
    Ok(RouterLock { _file: file, path })
}

/// Whether `file` is still the file at `path`.
fn still_at(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// The pid the holder wrote, if it did.
fn holder(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.rewind().ok()?;
    file.read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[test]
    fn names_are_safe_file_names() {
        assert_eq!(file_name("127.0.0.1", 2201), "127.0.0.1_2201.lock");
        assert_eq!(file_name("::1", 22), "%3A%3A1_22.lock");
        assert_eq!(file_name("../etc", 22), "..%2Fetc_22.lock");
    }

    #[tokio::test]
    async fn a_second_taker_waits_and_is_told_the_holders_pid() {
        let dir = tempfile::tempdir().unwrap();
        let first = acquire(dir.path(), "10.0.0.1", 22, |_| panic!("free"))
            .await
            .unwrap();
        let told = Arc::new(Mutex::new(None));
        let t = told.clone();
        let path = dir.path().to_path_buf();
        let second = tokio::spawn(async move {
            acquire(&path, "10.0.0.1", 22, move |pid| {
                *t.lock().unwrap() = Some(pid);
            })
            .await
        });
        // The second taker reports it waits before it can get the lock.
        while told.lock().unwrap().is_none() {
            tokio::task::yield_now().await;
        }
        assert_eq!(*told.lock().unwrap(), Some(Some(std::process::id())));
        assert!(!second.is_finished());
        drop(first);
        let lock = second.await.unwrap().unwrap();
        assert!(lock.path.ends_with("10.0.0.1_22.lock"));
        assert!(lock.path.exists());
        let path = lock.path.clone();
        drop(lock);
        assert!(!path.exists(), "no lock file left behind");
        // Another router is independent.
        acquire(dir.path(), "10.0.0.2", 22, |_| panic!("free"))
            .await
            .unwrap();
    }
}
