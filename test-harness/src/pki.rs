//! A throw-away PKI made at test time: one CA and one leaf covering every name the
//! topologies use (a wildcard and a multi-SAN certificate, as gateways share them), and on
//! request a client CA with one client certificate (for `tls.mode: MUTUAL` servers).

use crate::error::{Context, Result};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use std::path::Path;
use time::{Duration, OffsetDateTime};

/// The leaf's names: topology (a), topology (b), and the loopback addresses (a client that
/// connects by IP sends no SNI and checks the certificate against the address).
pub const SERVER_NAMES: &[&str] = &[
    "*.example.com",
    "example.com",
    "example.org",
    "second-example.org",
    "unknown-example.org",
    "*.wildcard.org",
    "127.0.0.1",
    "::1",
];

/// A CA and a server certificate signed by it, in PEM.
#[derive(Clone)]
pub struct Pki {
    pub ca_pem: String,
    pub server_pem: String,
    pub server_key_pem: String,
    /// The client CA a MUTUAL server trusts and a client certificate it issued
    /// ([`Pki::with_client_ca`]); written as `client-ca.pem`, `client.pem`, `client-key.pem`.
    pub client: Option<ClientPki>,
}

/// A client CA (not the server CA: a gateway trusts its clients' issuer, not its own) and
/// one client certificate signed by it, in PEM.
#[derive(Clone)]
pub struct ClientPki {
    pub ca_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
}

impl Pki {
    /// A new CA and a leaf for [`SERVER_NAMES`].
    pub fn generate() -> Result<Pki> {
        Pki::generate_for(SERVER_NAMES)
    }

    /// A new CA and a leaf for `names` (DNS names, wildcards or IP addresses).
    pub fn generate_for(names: &[&str]) -> Result<Pki> {
        let now = OffsetDateTime::now_utc();
        let (ca_pem, issuer) = authority("sni-guard demo CA")?;

        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut leaf = CertificateParams::new(names.clone())
            .context(|| format!("leaf certificate for {names:?}"))?;
        let common_name = names.first().map_or("sni-guard", String::as_str);
        leaf.distinguished_name
            .push(DnType::CommonName, common_name);
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        leaf.not_before = now - Duration::days(1);
        // Browsers refuse leaves valid for more than 398 days.
        leaf.not_after = now + Duration::days(90);
        let leaf_key = KeyPair::generate().context(|| "leaf key".into())?;
        let leaf_cert = leaf
            .signed_by(&leaf_key, &issuer)
            .context(|| "leaf certificate".into())?;
        Ok(Pki {
            ca_pem,
            server_pem: leaf_cert.pem(),
            server_key_pem: leaf_key.serialize_pem(),
            client: None,
        })
    }

    /// This PKI with a new client CA and a client certificate (`CN=sni-guard test client`,
    /// client-auth usage) signed by it.
    pub fn with_client_ca(mut self) -> Result<Pki> {
        let now = OffsetDateTime::now_utc();
        let (ca_pem, issuer) = authority("sni-guard client CA")?;
        let mut leaf = CertificateParams::default();
        leaf.distinguished_name
            .push(DnType::CommonName, "sni-guard test client");
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        leaf.not_before = now - Duration::days(1);
        leaf.not_after = now + Duration::days(90);
        let key = KeyPair::generate().context(|| "client key".into())?;
        let cert = leaf
            .signed_by(&key, &issuer)
            .context(|| "client certificate".into())?;
        self.client = Some(ClientPki {
            ca_pem,
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        });
        Ok(self)
    }

    /// Reads `ca.pem`, `server.pem` and `server-key.pem` from `dir`.
    pub fn read(dir: &Path) -> Result<Pki> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read_to_string(&path).context(|| format!("reading {}", path.display()))
        };
        Ok(Pki {
            ca_pem: read("ca.pem")?,
            server_pem: read("server.pem")?,
            server_key_pem: read("server-key.pem")?,
            client: None,
        })
    }

    /// Writes `ca.pem`, `server.pem` and `server-key.pem` into `dir` (created if missing),
    /// and with a client CA `client-ca.pem`, `client.pem` and `client-key.pem`.
    pub fn write(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).context(|| format!("creating {}", dir.display()))?;
        let mut files = vec![
            ("ca.pem", &self.ca_pem),
            ("server.pem", &self.server_pem),
            ("server-key.pem", &self.server_key_pem),
        ];
        if let Some(client) = &self.client {
            files.push(("client-ca.pem", &client.ca_pem));
            files.push(("client.pem", &client.cert_pem));
            files.push(("client-key.pem", &client.key_pem));
        }
        for (name, pem) in files {
            let path = dir.join(name);
            std::fs::write(&path, pem).context(|| format!("writing {}", path.display()))?;
        }
        Ok(())
    }
}

/// A new self-signed CA named `name`: its PEM, and the issuer that signs with it.
fn authority(name: &str) -> Result<(String, Issuer<'static, KeyPair>)> {
    let now = OffsetDateTime::now_utc();
    let key = KeyPair::generate().context(|| format!("{name} key"))?;
    let mut ca = CertificateParams::default();
    ca.distinguished_name.push(DnType::CommonName, name);
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.not_before = now - Duration::days(1);
    ca.not_after = now + Duration::days(365);
    let cert = ca
        .self_signed(&key)
        .context(|| format!("{name} certificate"))?;
    Ok((cert.pem(), Issuer::new(ca, key)))
}
