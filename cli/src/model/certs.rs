//! The names a certificate really covers, when the input holds it: a `v1 Secret`'s
//! `tls.crt` (its Subject Alternative Names), or a cert-manager `Certificate`'s `dnsNames`
//! for the Secret it writes. Without them the audit knows only that a certificate covers the
//! hosts of the servers that present it.

use crate::error::{CertificateError, FieldError};
use crate::model::gateway::{Credential, Source};
use crate::model::kube::{Metadata, read};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// The DNS names of one certificate, and where they were read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertNames {
    /// As written in the certificate: `a.example.com`, `*.example.com`.
    pub names: Vec<String>,
    /// `Secret istio-system/wildcard` or `Certificate istio-system/wildcard (dnsNames)`.
    pub origin: String,
}

/// Certificates by the Secret (namespace, name) that holds them.
#[derive(Debug, Default)]
pub struct Certificates {
    by_secret: HashMap<(String, String), CertNames>,
    /// Namespaces that hold a Secret of each name (for credentials named without one).
    namespaces: HashMap<String, Vec<String>>,
    /// Secrets whose certificate could not be read, with why.
    pub unreadable: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Secret {
    metadata: Metadata,
    #[serde(default)]
    data: BTreeMap<String, String>,
    #[serde(default)]
    string_data: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct Certificate {
    metadata: Metadata,
    spec: CertificateSpec,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CertificateSpec {
    secret_name: String,
    #[serde(default)]
    dns_names: Vec<String>,
    #[serde(default)]
    common_name: Option<String>,
}

/// The keys a gateway reads a certificate from: kubernetes.io/tls, and Istio's generic form.
const CERT_KEYS: [&str; 2] = ["tls.crt", "cert"];

impl Certificates {
    /// Adds a `v1 Secret`; `false` when it holds no certificate key (it is not kept). One
    /// whose certificate cannot be read is listed in `unreadable`.
    pub fn add_secret(&mut self, value: &Value, source: &Source) -> Result<bool, FieldError> {
        let secret: Secret = read(value)?;
        let namespace = secret.metadata.namespace();
        let name = secret.metadata.name;
        let pem = CERT_KEYS.into_iter().find_map(|key| {
            if let Some(text) = secret.string_data.get(key) {
                return Some((key, Ok(text.clone().into_bytes())));
            }
            secret.data.get(key).map(|b64| {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(b64.trim())
                    .map_err(|source| CertificateError::NotBase64 { key, source });
                (key, bytes)
            })
        });
        let Some((key, pem)) = pem else {
            return Ok(false);
        };
        let origin = format!("Secret {namespace}/{name}");
        match pem.and_then(|pem| dns_names(key, &pem)) {
            Ok(names) => self.insert(namespace, name, CertNames { names, origin }, true),
            Err(why) => self.unreadable.push(format!(
                "{origin} ({source}): {why}; the names its certificate covers are not known"
            )),
        }
        Ok(true)
    }

    /// Adds a cert-manager `Certificate`: its `dnsNames` (and `commonName`) are what the
    /// Secret `secretName` will hold. A Secret read from the input wins.
    pub fn add_certificate(&mut self, value: &Value) -> Result<(), FieldError> {
        let c: Certificate = read(value)?;
        let namespace = c.metadata.namespace();
        let mut names = c.spec.dns_names;
        names.extend(c.spec.common_name.filter(|cn| !names.contains(cn)));
        let origin = format!("Certificate {namespace}/{} (dnsNames)", c.metadata.name);
        self.insert(
            namespace,
            c.spec.secret_name,
            CertNames { names, origin },
            false,
        );
        Ok(())
    }

    fn insert(&mut self, namespace: String, name: String, names: CertNames, replace: bool) {
        let key = (namespace.clone(), name.clone());
        if let Some(held) = self.by_secret.get_mut(&key) {
            if replace {
                *held = names;
            }
            return;
        }
        self.namespaces.entry(name).or_default().push(namespace);
        self.by_secret.insert(key, names);
    }

    /// The certificates a credential may name, on a workload in `workload_namespace`:
    /// Istio reads a `credentialName` without a namespace from the gateway pod's own. Empty
    /// when none is known (files in the proxy are never known).
    pub fn lookup(
        &self,
        credential: &Credential,
        workload_namespace: Option<&str>,
    ) -> Vec<&CertNames> {
        let Credential::Secret { namespace, name } = credential else {
            return Vec::new();
        };
        let get = |ns: &str| self.by_secret.get(&(ns.to_owned(), name.clone()));
        match namespace.as_deref().or(workload_namespace) {
            Some(ns) => get(ns).into_iter().collect(),
            None => self
                .namespaces
                .get(name)
                .into_iter()
                .flatten()
                .filter_map(|ns| get(ns))
                .collect(),
        }
    }
}

/// The DNS Subject Alternative Names of the first certificate in `pem` (under `key`).
fn dns_names(key: &'static str, pem: &[u8]) -> Result<Vec<String>, CertificateError> {
    let (_, block) = x509_parser::pem::parse_x509_pem(pem)
        .map_err(|source| CertificateError::NotPem { key, source })?;
    let cert = block
        .parse_x509()
        .map_err(|source| CertificateError::NotX509 { key, source })?;
    let san = cert
        .subject_alternative_name()
        .map_err(|source| CertificateError::SubjectAltName { key, source })?;
    Ok(san
        .map(|ext| {
            ext.value
                .general_names
                .iter()
                .filter_map(|n| match n {
                    x509_parser::extensions::GeneralName::DNSName(name) => Some((*name).to_owned()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::{pem_for, tls_secret};
    use serde_json::json;

    fn secret_ref(ns: Option<&str>, name: &str) -> Credential {
        Credential::Secret {
            namespace: ns.map(str::to_owned),
            name: name.to_owned(),
        }
    }

    #[test]
    fn reads_the_names_of_a_tls_secret() {
        let mut certs = Certificates::default();
        let pem = pem_for(&["*.example.com", "example.com"]);
        certs
            .add_secret(
                &tls_secret("istio-system", "wild", &pem),
                &Source::default(),
            )
            .unwrap();
        let found = certs.lookup(&secret_ref(None, "wild"), Some("istio-system"));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].names, ["*.example.com", "example.com"]);
        assert_eq!(found[0].origin, "Secret istio-system/wild");
        assert!(
            certs
                .lookup(&secret_ref(None, "wild"), Some("other"))
                .is_empty()
        );
        assert_eq!(
            certs.lookup(&secret_ref(None, "wild"), None).len(),
            1,
            "any namespace when the workload's is not known"
        );
    }

    #[test]
    fn cert_manager_certificates_and_precedence() {
        let mut certs = Certificates::default();
        certs
            .add_certificate(&json!({"metadata": {"name": "c", "namespace": "istio-system"},
                "spec": {"secretName": "api", "dnsNames": ["api.example.com"], "commonName": "api.example.com"}}))
            .unwrap();
        let found = certs.lookup(&secret_ref(Some("istio-system"), "api"), None);
        assert_eq!(found[0].names, ["api.example.com"]);
        assert_eq!(found[0].origin, "Certificate istio-system/c (dnsNames)");
        let pem = pem_for(&["api.example.com", "www.example.com"]);
        certs
            .add_secret(&tls_secret("istio-system", "api", &pem), &Source::default())
            .unwrap();
        let found = certs.lookup(&secret_ref(Some("istio-system"), "api"), None);
        assert_eq!(
            found[0].origin, "Secret istio-system/api",
            "the real certificate wins"
        );
    }

    #[test]
    fn unreadable_and_irrelevant_secrets() {
        let mut certs = Certificates::default();
        certs
            .add_secret(
                &tls_secret("ns", "bad", "not a certificate"),
                &Source::default(),
            )
            .unwrap();
        assert_eq!(certs.unreadable.len(), 1);
        assert!(
            certs.unreadable[0].starts_with("Secret ns/bad (): tls.crt: not a PEM certificate")
        );
        let kept = certs
            .add_secret(
                &json!({"metadata": {"name": "pull"}, "data": {".dockerconfigjson": "e30="}}),
                &Source::default(),
            )
            .unwrap();
        assert!(!kept, "no certificate in it");
        assert!(certs.lookup(&secret_ref(None, "pull"), None).is_empty());
        assert!(certs.lookup(&secret_ref(None, "bad"), None).is_empty());
        let err = certs
            .add_secret(
                &json!({"metadata": {"name": "x"}, "data": {"tls.crt": 3}}),
                &Source::default(),
            )
            .unwrap_err();
        assert_eq!(err.path, "data.tls.crt");
        assert!(err.problem.starts_with("invalid type"), "{err}");
    }
}
