//! Envoy Gateway's Wasm HTTP server (`internal/wasm/httpserver.go`), mirrored: it serves the
//! module it fetched at an unguessable path, `base64url(sha256(original URL + salt)).wasm`, over
//! TLS, and Envoy fetches it through `wasm_cluster` over HTTP/2, checking the SHA-256. Here the
//! module is the built one, the certificate the PKI's server certificate.

use super::translate::WasmSource;
use crate::error::{Context, Result, fail};
use crate::pki::Pki;
use base64::Engine;
use bytes::Bytes;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The host name Envoy Gateway serves under (`envoy-gateway.<namespace>.svc.cluster.local`).
pub const HOST: &str = "envoy-gateway.envoy-gateway-system.svc.cluster.local";
const SERVING_PORT: u16 = 18002;

/// The running server; dropping it stops it.
pub struct WasmServer {
    pub source: WasmSource,
    served: Arc<AtomicUsize>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl WasmServer {
    /// Serves `module` (as fetched from `original_url`) with `pki`'s server certificate;
    /// `ca_file` is the CA file Envoy checks it against.
    pub fn start(
        module: &Path,
        original_url: &str,
        pki: &Pki,
        ca_file: &Path,
    ) -> Result<WasmServer> {
        let bytes =
            Bytes::from(std::fs::read(module).context(|| format!("reading {}", module.display()))?);
        let sha256 = crate::sha256::hex(&bytes);
        let salt: [u8; 16] = rand_bytes()?;
        let mut keyed = original_url.as_bytes().to_vec();
        keyed.extend_from_slice(&salt);
        let digest = ring::digest::digest(&ring::digest::SHA256, &keyed);
        let path = format!(
            "/{}.wasm",
            base64::engine::general_purpose::URL_SAFE.encode(digest.as_ref())
        );
        let config = tls_config(pki)?;
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let port = listener.local_addr()?.port();
        let served = Arc::new(AtomicUsize::new(0));
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let counter = Arc::clone(&served);
        let serving = path.clone();
        let thread = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(serve(listener, config, serving, bytes, counter, stopped));
        });
        let source = WasmSource {
            uri: format!("https://{HOST}:{SERVING_PORT}{path}"),
            sha256,
            port,
            ca_file: ca_file.display().to_string(),
        };
        Ok(WasmServer {
            source,
            served,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// How many times the module was sent.
    pub fn served(&self) -> usize {
        self.served.load(Ordering::SeqCst)
    }
}

impl Drop for WasmServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn rand_bytes() -> Result<[u8; 16]> {
    use ring::rand::SecureRandom;
    let mut salt = [0u8; 16];
    ring::rand::SystemRandom::new()
        .fill(&mut salt)
        .map_err(|_| fail("no random bytes for the salt"))?;
    Ok(salt)
}

fn tls_config(pki: &Pki) -> Result<Arc<rustls::ServerConfig>> {
    let chain = CertificateDer::pem_slice_iter(pki.server_pem.as_bytes())
        .collect::<std::result::Result<Vec<_>, _>>()
        .context(|| "reading the server certificate".into())?;
    let key = PrivateKeyDer::from_pem_slice(pki.server_key_pem.as_bytes())
        .context(|| "reading the server key".into())?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Arc::new(config))
}

async fn serve(
    listener: std::net::TcpListener,
    config: Arc<rustls::ServerConfig>,
    path: String,
    body: Bytes,
    served: Arc<AtomicUsize>,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    loop {
        let accepted = tokio::select! {
            _ = &mut stop => return,
            accepted = listener.accept() => accepted,
        };
        let Ok((tcp, _)) = accepted else { continue };
        let (acceptor, path, body, served) = (
            acceptor.clone(),
            path.clone(),
            body.clone(),
            Arc::clone(&served),
        );
        tokio::spawn(async move {
            let Ok(tls) = acceptor.accept(tcp).await else {
                return;
            };
            let Ok(mut connection) = h2::server::handshake(tls).await else {
                return;
            };
            while let Some(Ok((request, mut respond))) = connection.accept().await {
                let found = request.uri().path() == path;
                let status = if found { 200 } else { 404 };
                let Ok(response) = http::Response::builder()
                    .status(status)
                    .header("content-type", "application/wasm")
                    .body(())
                else {
                    return;
                };
                let Ok(mut stream) = respond.send_response(response, false) else {
                    return;
                };
                let payload = if found { body.clone() } else { Bytes::new() };
                if found {
                    served.fetch_add(1, Ordering::SeqCst);
                }
                let _ = stream.send_data(payload, true);
            }
        });
    }
}
