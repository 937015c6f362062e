//! What the model cannot read or place: labels, certificates, Gateways without a workload,
//! ports Envoy's listener is not known on.

use thiserror::Error;

/// A `--selector` or `--workload-labels` pair that is not `key=value`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{pair:?} is not key=value")]
pub struct LabelsError {
    pub pair: String,
}

/// Why a Secret's certificate gives no names: its key, and what is wrong with the value.
#[derive(Debug, Error)]
pub enum CertificateError {
    #[error("data.{key:?} is not base64: {source}")]
    NotBase64 {
        key: &'static str,
        source: base64::DecodeError,
    },
    #[error("{key}: not a PEM certificate ({source})")]
    NotPem {
        key: &'static str,
        source: x509_parser::nom::Err<x509_parser::error::PEMError>,
    },
    #[error("{key}: not an X.509 certificate ({source})")]
    NotX509 {
        key: &'static str,
        source: x509_parser::nom::Err<x509_parser::error::X509Error>,
    },
    #[error("{key}: unreadable subjectAltName ({source})")]
    SubjectAltName {
        key: &'static str,
        source: x509_parser::error::X509Error,
    },
}

/// A Gateway API Gateway whose `spec.addresses` names something that is not a Service.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "it lands on no gateway workload: spec.addresses names {address:?}, which is not a Service (name.namespace.svc...)"
)]
pub struct AddressNotService {
    pub address: String,
}

/// Why a ListenerSet attaches to no Gateway (istiod then serves none of its listeners).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NotAttached {
    #[error(
        "its parent Gateway {namespace}/{name} is not in the input (kubectl get gateways.gateway.networking.k8s.io -n {namespace} {name} -o yaml)"
    )]
    ParentMissing { namespace: String, name: String },
    /// `parent` is `namespace/name`.
    #[error("its parent Gateway {parent} is not audited")]
    ParentNotAudited { parent: String },
    /// `parent` is the Gateway's title; `from` says what its `allowedListeners` allows.
    #[error(
        "its parent {parent} does not allow it (spec.allowedListeners.namespaces.from: {from}), so istiod attaches none of its listeners"
    )]
    NotAllowed { parent: String, from: &'static str },
}

/// Why the port Envoy listens on for a listener is not known.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PortUnknown {
    /// `service` is `namespace/name`.
    #[error("Service {service} maps port {port} to a named targetPort")]
    NamedTargetPort { service: String, port: u32 },
    /// `workload` as the reports describe it.
    #[error(
        "the Service in front of {workload} is not in the input (Envoy listens on its targetPort for port {port})"
    )]
    NoService { workload: String, port: u32 },
}
