//! A TLS client that sets SNI and `:authority` independently, as a coalescing browser does:
//! HTTP/2 and HTTP/3 (many requests on one connection) and HTTP/1.1, verified against the
//! test CA, with or without a client certificate.

mod h2;
mod h3;
pub mod http1;

pub use self::h2::H2;
pub use self::h3::H3;
pub use self::http1::Http1;

use crate::error::{Context, Result, fail};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// The body of sni-guard's 421 (the module's `BODY`).
pub const BODY_421: &str = "Misdirected Request: this connection was made for another server name; retry on a new connection.\n";

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

    /// The request as the `http` crate has it, for the h2 and h3 clients.
    fn to_http(&self) -> Result<http::Request<()>> {
        let mut builder = http::Request::builder()
            .method("GET")
            .uri(format!("https://{}{}", self.authority, self.path));
        for (name, value) in &self.headers {
            builder = builder.header(name, value);
        }
        builder.body(()).context(|| format!("request {self:?}"))
    }
}

/// `GET {path}` with a relative URI (no `:authority`), and `host` only if given.
fn relative(
    path: &str,
    host: Option<&str>,
    version: Option<http::Version>,
) -> Result<http::Request<()>> {
    let mut builder = http::Request::builder().method("GET").uri(path);
    if let Some(version) = version {
        builder = builder.version(version);
    }
    if let Some(host) = host {
        builder = builder.header("host", host);
    }
    builder
        .body(())
        .context(|| format!("request for {path} with host {host:?}"))
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

/// Connects to one loopback port, trusting one CA; presents a client certificate when it
/// has one ([`Client::with_certificate`]).
#[derive(Clone)]
pub struct Client {
    addr: SocketAddr,
    roots: Arc<RootCertStore>,
    identity: Option<Arc<Identity>>,
}

/// A client certificate chain and its key.
struct Identity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
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
            identity: None,
        })
    }

    /// This client presenting the certificate in `cert_pem` (its key in `key_pem`) to a
    /// server that asks for one.
    pub fn with_certificate(&self, cert_pem: &str, key_pem: &str) -> Result<Client> {
        use rustls::pki_types::pem::PemObject;
        let chain = rustls_pemfile_certs(cert_pem)?;
        let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
            .context(|| "reading the client key PEM".into())?;
        Ok(Client {
            identity: Some(Arc::new(Identity { chain, key })),
            ..self.clone()
        })
    }

    /// A new HTTP/2 connection with this SNI (`None`: connect by IP, no SNI).
    pub fn h2(&self, sni: Option<&str>) -> Result<H2> {
        H2::connect(self, sni)
    }

    /// A new HTTP/3 connection over QUIC with this SNI (`None`: connect by IP, no SNI), to
    /// the UDP port of the same number.
    pub fn h3(&self, sni: Option<&str>) -> Result<H3> {
        H3::connect(self, sni)
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
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(Arc::clone(&self.roots));
        let mut config = match &self.identity {
            Some(identity) => builder
                .with_client_auth_cert(identity.chain.clone(), identity.key.clone_key())
                .context(|| "the client certificate".into())?,
            None => builder.with_no_client_auth(),
        };
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
        .context(|| "reading a certificate PEM".into())?;
    if certs.is_empty() {
        return Err(fail("the PEM holds no certificate"));
    }
    Ok(certs)
}
