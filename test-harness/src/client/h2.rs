//! HTTP/2 over TLS (or prior knowledge), many requests on one connection.

use super::{Client, IO_TIMEOUT, Request, Response, relative};
use crate::error::{Context, Result, fail};
use bytes::Bytes;
use std::net::SocketAddr;

/// An HTTP/2 connection; requests go one after another on it.
pub struct H2 {
    runtime: tokio::runtime::Runtime,
    send: h2::client::SendRequest<Bytes>,
    sni: Option<String>,
    /// The task driving the connection: why it ended, when a request fails (a TLS alert
    /// the server sent after the handshake, say).
    connection: Connection,
}

type Connection = tokio::task::JoinHandle<std::result::Result<(), h2::Error>>;

impl H2 {
    pub(super) fn connect(client: &Client, sni: Option<&str>) -> Result<H2> {
        let (config, name) = client.tls(b"h2", sni)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let addr = client.addr;
        let (send, connection) = runtime.block_on(async {
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
            connection,
        })
    }

    /// An HTTP/2 connection without TLS (prior knowledge, `h2c`) to a plain-HTTP listener.
    pub fn plain(addr: SocketAddr) -> Result<H2> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (send, connection) = runtime.block_on(async {
            let tcp = tokio::net::TcpStream::connect(addr)
                .await
                .context(|| format!("connecting to {addr}"))?;
            handshake(tcp).await
        })?;
        Ok(H2 {
            runtime,
            send,
            sni: None,
            connection,
        })
    }

    /// `GET https://{authority}/` on this connection.
    pub fn get(&mut self, authority: &str) -> Result<Response> {
        self.send(&Request::get(authority))
    }

    pub fn send(&mut self, request: &Request) -> Result<Response> {
        let what = format!("HTTP/2 GET {} (SNI {:?})", request.authority, self.sni);
        self.exchange(request.to_http()?, what)
    }

    /// `GET {path}` without `:authority`, and with `host` only if given: a relative request,
    /// which h2 sends with `:scheme: http` (as when it forwards an HTTP/1.x request).
    pub fn get_without_authority(&mut self, path: &str, host: Option<&str>) -> Result<Response> {
        let request = relative(path, host, Some(http::Version::HTTP_11))?;
        let what = format!(
            "HTTP/2 GET {path} without :authority, host {host:?} (SNI {:?})",
            self.sni
        );
        self.exchange(request, what)
    }

    fn exchange(&mut self, request: http::Request<()>, what: String) -> Result<Response> {
        let send = self.send.clone();
        let result = self
            .runtime
            .block_on(async { tokio::time::timeout(IO_TIMEOUT, exchange(send, request)).await })
            .map_err(|_| fail(format!("{what}: timed out")))?;
        match result {
            Ok(response) => Ok(response),
            Err(error) => Err(fail(format!("{what}: {error}{}", self.ended()))),
        }
    }

    /// Why the connection ended, if it has: `"; connection: <error>"`, else nothing.
    fn ended(&mut self) -> String {
        if !self.connection.is_finished() {
            return String::new();
        }
        match self.runtime.block_on(&mut self.connection) {
            Ok(Err(error)) => format!("; connection: {error}"),
            Ok(Ok(())) => "; connection: closed".to_string(),
            Err(error) => format!("; connection task: {error}"),
        }
    }
}

/// The HTTP/2 handshake on a connected stream; the connection runs on the current runtime.
async fn handshake<T>(io: T) -> Result<(h2::client::SendRequest<Bytes>, Connection)>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (send, connection) = h2::client::handshake(io).await?;
    Ok((send, tokio::spawn(connection)))
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
