//! A TLS client that sets SNI and `:authority` independently, as a coalescing browser does:
//! HTTP/2 (many requests on one connection) and HTTP/1.1, verified against the test CA.

use crate::error::{fail, Context, Result};
use bytes::Bytes;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

/// A safety net against a hung peer; no result depends on it.
const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// HTTP version of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Http1,
    Http2,
}

/// One request: `GET https://{authority}{path}` with extra headers.
#[derive(Debug, Clone)]
pub struct Request {
    pub authority: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
}

impl Request {
    pub fn get(authority: &str) -> Request {
        Request {
            authority: authority.to_string(),
            path: "/".to_string(),
            headers: Vec::new(),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Request {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
}

/// A response: status, headers (names lower-case), body.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Connects to one loopback port, trusting one CA.
#[derive(Clone)]
pub struct Client {
    addr: SocketAddr,
    roots: Arc<RootCertStore>,
}

impl Client {
    /// A client for `127.0.0.1:port` trusting the CA in `ca_pem`.
    pub fn new(port: u16, ca_pem: &str) -> Result<Client> {
        let mut roots = RootCertStore::empty();
        for cert in rustls_pemfile_certs(ca_pem)? {
            roots.add(cert).context(|| "adding the CA".into())?;
        }
        Ok(Client {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            roots: Arc::new(roots),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A new HTTP/2 connection with this SNI (`None`: connect by IP, no SNI).
    pub fn h2(&self, sni: Option<&str>) -> Result<H2> {
        H2::connect(self, sni)
    }

    /// A new HTTP/1.1 connection with this SNI (`None`: connect by IP, no SNI).
    pub fn http1(&self, sni: Option<&str>) -> Result<Http1> {
        Http1::connect(self, sni)
    }

    /// One request on a fresh connection.
    pub fn send(
        &self,
        protocol: Protocol,
        sni: Option<&str>,
        request: &Request,
    ) -> Result<Response> {
        match protocol {
            Protocol::Http2 => self.h2(sni)?.send(request),
            Protocol::Http1 => self.http1(sni)?.send(request),
        }
    }

    /// `GET https://{authority}/` on a fresh connection.
    pub fn get(&self, protocol: Protocol, sni: Option<&str>, authority: &str) -> Result<Response> {
        self.send(protocol, sni, &Request::get(authority))
    }

    fn tls(
        &self,
        alpn: &[u8],
        sni: Option<&str>,
    ) -> Result<(Arc<ClientConfig>, ServerName<'static>)> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(Arc::clone(&self.roots))
            .with_no_client_auth();
        config.alpn_protocols = vec![alpn.to_vec()];
        // An IP address as server name sends no SNI; the certificate names 127.0.0.1.
        let name = match sni {
            Some(sni) => ServerName::try_from(sni.to_string())
                .map_err(|e| fail(format!("SNI {sni:?}: {e}")))?,
            None => ServerName::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST).into()),
        };
        Ok((Arc::new(config), name))
    }
}

fn rustls_pemfile_certs(pem: &str) -> Result<Vec<CertificateDer<'static>>> {
    use rustls::pki_types::pem::PemObject;
    let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<std::result::Result<Vec<_>, _>>()
        .context(|| "reading the CA PEM".into())?;
    if certs.is_empty() {
        return Err(fail("the CA PEM holds no certificate"));
    }
    Ok(certs)
}

/// An HTTP/2 connection; requests go one after another on it.
pub struct H2 {
    runtime: tokio::runtime::Runtime,
    send: h2::client::SendRequest<Bytes>,
    sni: Option<String>,
}

impl H2 {
    fn connect(client: &Client, sni: Option<&str>) -> Result<H2> {
        let (config, name) = client.tls(b"h2", sni)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let addr = client.addr;
        let send = runtime.block_on(async {
            let tcp = tokio::net::TcpStream::connect(addr).await?;
            let tls = tokio::time::timeout(
                IO_TIMEOUT,
                tokio_rustls::TlsConnector::from(config).connect(name, tcp),
            )
            .await
            .map_err(|_| fail("TLS handshake timed out"))?
            .context(|| format!("TLS handshake with SNI {sni:?}"))?;
            if tls.get_ref().1.alpn_protocol() != Some(b"h2") {
                return Err(fail(format!("SNI {sni:?}: the server did not agree to h2")));
            }
            handshake(tls).await
        })?;
        Ok(H2 {
            runtime,
            send,
            sni: sni.map(str::to_string),
        })
    }

    /// An HTTP/2 connection without TLS (prior knowledge, `h2c`) to a plain-HTTP listener.
    pub fn plain(addr: SocketAddr) -> Result<H2> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let send = runtime.block_on(async {
            let tcp = tokio::net::TcpStream::connect(addr)
                .await
                .context(|| format!("connecting to {addr}"))?;
            handshake(tcp).await
        })?;
        Ok(H2 {
            runtime,
            send,
            sni: None,
        })
    }

    pub fn sni(&self) -> Option<&str> {
        self.sni.as_deref()
    }

    /// `GET https://{authority}/` on this connection.
    pub fn get(&mut self, authority: &str) -> Result<Response> {
        self.send(&Request::get(authority))
    }

    pub fn send(&mut self, request: &Request) -> Result<Response> {
        let mut builder = http::Request::builder()
            .method("GET")
            .uri(format!("https://{}{}", request.authority, request.path));
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        let request_value = builder
            .body(())
            .context(|| format!("request {request:?}"))?;
        let what = format!("HTTP/2 GET {} (SNI {:?})", request.authority, self.sni);
        self.exchange(request_value, what)
    }

    /// `GET {path}` without `:authority`, and with `host` only if given: a relative request,
    /// which h2 sends with `:scheme: http` (as when it forwards an HTTP/1.x request).
    pub fn get_without_authority(&mut self, path: &str, host: Option<&str>) -> Result<Response> {
        let mut builder = http::Request::builder()
            .method("GET")
            .uri(path)
            .version(http::Version::HTTP_11);
        if let Some(host) = host {
            builder = builder.header("host", host);
        }
        let request = builder
            .body(())
            .context(|| format!("request for {path} with host {host:?}"))?;
        let what = format!(
            "HTTP/2 GET {path} without :authority, host {host:?} (SNI {:?})",
            self.sni
        );
        self.exchange(request, what)
    }

    fn exchange(&mut self, request: http::Request<()>, what: String) -> Result<Response> {
        let send = self.send.clone();
        self.runtime
            .block_on(async { tokio::time::timeout(IO_TIMEOUT, exchange(send, request)).await })
            .map_err(|_| fail(format!("{what}: timed out")))?
            .context(|| what)
    }
}

/// The HTTP/2 handshake on a connected stream; the connection runs on the current runtime.
async fn handshake<T>(io: T) -> Result<h2::client::SendRequest<Bytes>>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (send, connection) = h2::client::handshake(io).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(send)
}

async fn exchange(
    send: h2::client::SendRequest<Bytes>,
    request: http::Request<()>,
) -> std::result::Result<Response, h2::Error> {
    let mut send = send.ready().await?;
    let (response, _) = send.send_request(request, true)?;
    let response = response.await?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let mut body = response.into_body();
    let mut bytes = Vec::new();
    while let Some(chunk) = body.data().await {
        let chunk = chunk?;
        let _ = body.flow_control().release_capacity(chunk.len());
        bytes.extend_from_slice(&chunk);
    }
    Ok(Response {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    })
}

/// What an HTTP/1.1 connection runs on: TLS, or plain TCP.
trait Stream: Read + Write {}
impl<T: Read + Write> Stream for T {}

/// An HTTP/1.1 keep-alive connection.
pub struct Http1 {
    stream: BufReader<Box<dyn Stream>>,
    sni: Option<String>,
}

impl Http1 {
    fn connect(client: &Client, sni: Option<&str>) -> Result<Http1> {
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
        Ok(Http1 {
            stream: BufReader::new(Box::new(tcp)),
            sni: None,
        })
    }

    pub fn sni(&self) -> Option<&str> {
        self.sni.as_deref()
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

    fn read_response(&mut self) -> Result<Response> {
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
        let response = Response {
            status,
            headers,
            body: String::new(),
        };
        let body = if let Some(length) = response.header("content-length") {
            let length: usize = length.parse().map_err(|_| fail("bad content-length"))?;
            let mut body = vec![0; length];
            self.stream.read_exact(&mut body)?;
            body
        } else if response
            .header("transfer-encoding")
            .is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
        {
            self.chunked()?
        } else {
            let mut body = Vec::new();
            self.stream.read_to_end(&mut body)?;
            body
        };
        Ok(Response {
            body: String::from_utf8_lossy(&body).into_owned(),
            ..response
        })
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
