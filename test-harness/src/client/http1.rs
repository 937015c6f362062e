//! The harness's one HTTP/1 client: keep-alive over TLS, plain TCP or a unix socket, requests
//! written as built or byte for byte, responses read by `Content-Length`, chunks or to the
//! close. Envoy's admin API, the registry and the Docker API are read with it too; the hostile
//! tests write their malformed requests byte for byte with [`Http1::send_raw`].

use super::{Client, IO_TIMEOUT, Request, Response};
use crate::error::{Context, Result, fail};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};

/// What an HTTP/1.1 connection runs on: TLS, or plain TCP.
trait Stream: Read + Write {}
impl<T: Read + Write> Stream for T {}

/// A response as it came off the wire: the status, the headers (names lower-case), the body
/// bytes (chunks joined).
pub type Exchanged = (u16, Vec<(String, String)>, Vec<u8>);

/// An HTTP/1.1 keep-alive connection.
pub struct Http1 {
    stream: BufReader<Box<dyn Stream>>,
    sni: Option<String>,
}

impl Http1 {
    pub(super) fn connect(client: &Client, sni: Option<&str>) -> Result<Http1> {
        let (config, name) = client.tls(b"http/1.1", sni)?;
        let tcp = TcpStream::connect(client.addr)?;
        tcp.set_read_timeout(Some(IO_TIMEOUT))?;
        tcp.set_write_timeout(Some(IO_TIMEOUT))?;
        let connection = rustls::ClientConnection::new(config, name)?;
        let mut stream = rustls::StreamOwned::new(connection, tcp);
        while stream.conn.is_handshaking() {
            stream
                .conn
                .complete_io(&mut stream.sock)
                .context(|| format!("TLS handshake with SNI {sni:?}"))?;
        }
        Ok(Http1 {
            stream: BufReader::new(Box::new(stream)),
            sni: sni.map(str::to_string),
        })
    }

    /// An HTTP/1.1 connection without TLS to a plain-HTTP listener.
    pub fn plain(addr: SocketAddr) -> Result<Http1> {
        let tcp = TcpStream::connect(addr).context(|| format!("connecting to {addr}"))?;
        tcp.set_read_timeout(Some(IO_TIMEOUT))?;
        tcp.set_write_timeout(Some(IO_TIMEOUT))?;
        Ok(Http1::over(tcp))
    }

    /// A connection on a stream already open (a unix socket, say), its timeouts set.
    pub fn over(stream: impl Read + Write + 'static) -> Http1 {
        Http1 {
            stream: BufReader::new(Box::new(stream)),
            sni: None,
        }
    }

    /// `GET {path}` with `Host: {authority}` on this connection.
    pub fn get(&mut self, authority: &str) -> Result<Response> {
        self.send(&Request::get(authority))
    }

    pub fn send(&mut self, request: &Request) -> Result<Response> {
        let what = format!("HTTP/1.1 GET {} (SNI {:?})", request.authority, self.sni);
        self.exchange(request).context(|| what)
    }

    /// Writes `head` exactly as given (any request line and headers, e.g. HTTP/1.0 without
    /// Host) and reads one response.
    pub fn send_raw(&mut self, head: &[u8]) -> Result<Response> {
        let what = format!("raw request {:?}", String::from_utf8_lossy(head));
        self.write(head)
            .and_then(|()| self.read_response())
            .context(|| what)
    }

    fn exchange(&mut self, request: &Request) -> Result<Response> {
        let mut head = format!(
            "GET {} HTTP/1.1\r\nhost: {}\r\n",
            request.path, request.authority
        );
        for (name, value) in &request.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        self.write(head.as_bytes())?;
        self.read_response()
    }

    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        let stream = self.stream.get_mut();
        stream.write_all(bytes)?;
        stream.flush()?;
        Ok(())
    }

    /// Writes `head` exactly as given and reads one response, its body as bytes.
    pub fn exchange_raw(&mut self, head: &[u8]) -> Result<Exchanged> {
        self.write(head)?;
        self.read_raw()
    }

    fn read_response(&mut self) -> Result<Response> {
        let (status, headers, body) = self.read_raw()?;
        Ok(Response {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    }

    fn read_raw(&mut self) -> Result<Exchanged> {
        let status_line = self.line()?;
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| fail(format!("bad status line {status_line:?}")))?;
        let mut headers = Vec::new();
        loop {
            let line = self.line()?;
            if line.is_empty() {
                break;
            }
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| fail(format!("bad header line {line:?}")))?;
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
        let header = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        let body = if let Some(length) = header("content-length") {
            let length: usize = length.parse().map_err(|_| fail("bad content-length"))?;
            let mut body = vec![0; length];
            self.stream.read_exact(&mut body)?;
            body
        } else if header("transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked")) {
            self.chunked()?
        } else {
            let mut body = Vec::new();
            self.stream.read_to_end(&mut body)?;
            body
        };
        Ok((status, headers, body))
    }

    fn line(&mut self) -> Result<String> {
        let mut line = String::new();
        if self.stream.read_line(&mut line)? == 0 {
            return Err(fail("connection closed"));
        }
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    }

    fn chunked(&mut self) -> Result<Vec<u8>> {
        let mut body = Vec::new();
        loop {
            let size = self.line()?;
            let size = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| fail(format!("bad chunk size {size:?}")))?;
            if size == 0 {
                while !self.line()?.is_empty() {}
                return Ok(body);
            }
            let mut chunk = vec![0; size];
            self.stream.read_exact(&mut chunk)?;
            body.extend_from_slice(&chunk);
            self.line()?;
        }
    }
}
