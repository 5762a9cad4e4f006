//! A PTY shell channel as two byte queues: what the router sends, what we send.
//!
//! Two tasks own the russh channel halves. The reader drains the channel continuously, so a
//! burst of debug output can never fill russh's per-channel buffer and stall the whole
//! connection (russh-notes G4); the writer forwards queued bytes and, once the device layer
//! drops its sender, closes the channel. A fake router can hand the device layer the same
//! [`ShellIo`] without any SSH (see [`ShellIo::pair`]).

use russh::client::Msg;
use russh::{Channel, ChannelMsg, ChannelReadHalf, ChannelWriteHalf};
use tokio::sync::mpsc;

/// The device layer's end of a shell.
#[derive(Debug)]
pub struct ShellIo {
    /// Bytes from the router, in order; `None` once the channel or connection is gone.
    pub from_device: mpsc::UnboundedReceiver<Vec<u8>>,
    /// Bytes to the router; sending fails once the channel is gone.
    pub to_device: mpsc::UnboundedSender<Vec<u8>>,
}

/// The far end of [`ShellIo::pair`]: what a fake router reads and writes.
#[derive(Debug)]
pub struct FakeDeviceEnd {
    pub from_client: mpsc::UnboundedReceiver<Vec<u8>>,
    pub to_client: mpsc::UnboundedSender<Vec<u8>>,
}

impl ShellIo {
    /// Two connected ends with no SSH between them, for test doubles of a router.
    pub fn pair() -> (ShellIo, FakeDeviceEnd) {
        let (to_client, from_device) = mpsc::unbounded_channel();
        let (to_device, from_client) = mpsc::unbounded_channel();
        (
            ShellIo {
                from_device,
                to_device,
            },
            FakeDeviceEnd {
                from_client,
                to_client,
            },
        )
    }
}

/// Splits an open shell channel and starts its reader and writer tasks.
pub(crate) fn spawn(channel: Channel<Msg>) -> ShellIo {
    let (read, write) = channel.split();
    let (in_tx, from_device) = mpsc::unbounded_channel();
    let (to_device, out_rx) = mpsc::unbounded_channel();
    tokio::spawn(read_loop(read, in_tx));
    tokio::spawn(write_loop(write, out_rx));
    ShellIo {
        from_device,
        to_device,
    }
}

async fn read_loop(mut read: ChannelReadHalf, tx: mpsc::UnboundedSender<Vec<u8>>) {
    while let Some(msg) = read.wait().await {
        let data = match msg {
            // IOS writes everything to the one PTY stream; stderr data is rare but is output.
            ChannelMsg::Data { data } | ChannelMsg::ExtendedData { data, .. } => data,
            ChannelMsg::Eof | ChannelMsg::Close => break,
            // Replies to pty/shell requests arrive late and out of band (russh-notes G5).
            _ => continue,
        };
        // A failed send means the device layer is gone and nobody is left to read.
        if tx.send(data.to_vec()).is_err() {
            break;
        }
    }
}

async fn write_loop(write: ChannelWriteHalf<Msg>, mut rx: mpsc::UnboundedReceiver<Vec<u8>>) {
    while let Some(bytes) = rx.recv().await {
        if write.data_bytes(bytes).await.is_err() {
            return;
        }
    }
    let _ = write.eof().await;
    let _ = write.close().await;
}
