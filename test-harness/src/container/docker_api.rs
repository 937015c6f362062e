//! The Docker API on a unix socket, as far as both engines need it: whether it answers.

use crate::client::http1::Http1;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

/// Whether a Docker API answers `/_ping` on `socket` with 200 `OK`.
pub(crate) fn ping(socket: &Path) -> bool {
    let Ok(stream) = UnixStream::connect(socket) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let head = b"GET /_ping HTTP/1.0\r\nHost: engine\r\n\r\n";
    matches!(Http1::over(stream).exchange_raw(head), Ok((200, _, body)) if body == b"OK")
}
