//! HTTP/3 over QUIC, many requests on one connection, as a browser coalesces them.
//!
//! hyperium's `h3` over `quinn`: real QUIC and HTTP/3 in Rust, on the same rustls 0.23 and
//! ring provider as the TLS client (Debian's curl has no `--http3`, its h2load no QUIC; a
//! Python aioquic client would bring a second language and runtime into every test).

use super::{Client, IO_TIMEOUT, Request, Response, relative};
use crate::error::{Context, Result, fail};
use bytes::{Buf, Bytes};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

type SendRequest = h3::client::SendRequest<h3_quinn::OpenStreams, Bytes>;

/// An HTTP/3 connection; requests go one after another on it.
pub struct H3 {
    runtime: tokio::runtime::Runtime,
    send: SendRequest,
    // Kept so the QUIC connection lives as long as this value; closed on drop.
    endpoint: quinn::Endpoint,
    sni: Option<String>,
}

impl H3 {
    pub(super) fn connect(client: &Client, sni: Option<&str>) -> Result<H3> {
        let (tls, _) = client.tls(b"h3", sni)?;
        let quic = quinn::crypto::rustls::QuicClientConfig::try_from(tls)
            .context(|| "a QUIC client configuration from rustls".into())?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let addr = client.addr;
        // quinn hands this name to rustls, which sends no SNI for an IP address.
        let name = sni.unwrap_or("127.0.0.1").to_string();
        let (endpoint, send) = runtime.block_on(async {
            let mut endpoint = quinn::Endpoint::client(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))?;
            endpoint.set_default_client_config(quinn::ClientConfig::new(Arc::new(quic)));
            let connecting = endpoint
                .connect(addr, &name)
                .context(|| format!("QUIC connect to {addr} with SNI {sni:?}"))?;
            let connection = tokio::time::timeout(IO_TIMEOUT, connecting)
                .await
                .map_err(|_| fail("QUIC handshake timed out"))?
                .context(|| format!("QUIC handshake with SNI {sni:?}"))?;
            let alpn = connection
                .handshake_data()
                .and_then(|d| d.downcast::<quinn::crypto::rustls::HandshakeData>().ok())
                .and_then(|d| d.protocol);
            if alpn.as_deref() != Some(b"h3") {
                return Err(fail(format!("SNI {sni:?}: the server did not agree to h3")));
            }
            let (mut driver, send) = h3::client::new(h3_quinn::Connection::new(connection))
                .await
                .context(|| format!("HTTP/3 setup with SNI {sni:?}"))?;
            // The connection's control streams run beside the requests.
            tokio::spawn(async move {
                let _ = std::future::poll_fn(|cx| driver.poll_close(cx)).await;
            });
            Ok::<_, crate::error::Error>((endpoint, send))
        })?;
        Ok(H3 {
            runtime,
            send,
            endpoint,
            sni: sni.map(str::to_string),
        })
    }

    /// `GET https://{authority}/` on this connection.
    pub fn get(&mut self, authority: &str) -> Result<Response> {
        self.send(&Request::get(authority))
    }

    pub fn send(&mut self, request: &Request) -> Result<Response> {
        let what = format!("HTTP/3 GET {} (SNI {:?})", request.authority, self.sni);
        self.exchange(request.to_http()?, what)
    }

    /// `GET {path}` without `:authority`, and with `host` only if given. h3 sends the
    /// relative URI's pseudo-headers (no `:scheme`) and refuses a request with neither.
    pub fn get_without_authority(&mut self, path: &str, host: Option<&str>) -> Result<Response> {
        let request = relative(path, host, None)?;
        let what = format!(
            "HTTP/3 GET {path} without :authority, host {host:?} (SNI {:?})",
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

impl Drop for H3 {
    fn drop(&mut self) {
        // H3_NO_ERROR: a clean close, so Envoy logs no connection error.
        self.endpoint.close(0x100u32.into(), b"done");
    }
}

async fn exchange(
    mut send: SendRequest,
    request: http::Request<()>,
) -> std::result::Result<Response, h3::error::StreamError> {
    let mut stream = send.send_request(request).await?;
    stream.finish().await?;
    let response = stream.recv_response().await?;
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
    let mut bytes = Vec::new();
    while let Some(mut chunk) = stream.recv_data().await? {
        while chunk.has_remaining() {
            let part = chunk.chunk();
            bytes.extend_from_slice(part);
            let taken = part.len();
            chunk.advance(taken);
        }
    }
    Ok(Response {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    })
}
