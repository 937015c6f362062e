//! Gateway API `ReferenceGrant`s: a listener's `certificateRefs` entry in another namespace
//! is used only when a grant in that namespace allows references from the listener's
//! Gateway (or ListenerSet) namespace and kind; otherwise istiod does not program the
//! listener (its `ResolvedRefs` condition is false) and it makes no filter chain.

use crate::error::FieldError;
use crate::model::gateway::{Api, Credential, Gateway};
use crate::model::kube::{Metadata, read};
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Clone, Deserialize)]
pub struct ReferenceGrant {
    metadata: Metadata,
    spec: GrantSpec,
}

#[derive(Debug, Clone, Deserialize)]
struct GrantSpec {
    #[serde(default)]
    from: Vec<From>,
    #[serde(default)]
    to: Vec<To>,
}

#[derive(Debug, Clone, Deserialize)]
struct From {
    group: String,
    kind: String,
    namespace: String,
}

#[derive(Debug, Clone, Deserialize)]
struct To {
    #[serde(default)]
    group: String,
    kind: String,
    #[serde(default)]
    name: Option<String>,
}

impl ReferenceGrant {
    pub fn read(value: &Value) -> Result<ReferenceGrant, FieldError> {
        read(value)
    }

    /// Whether this grant lets `kind` objects in `from_namespace` refer to Secret `name` in
    /// its own namespace `to_namespace`.
    fn allows(&self, kind: &str, from_namespace: &str, to_namespace: &str, name: &str) -> bool {
        let group = match kind {
            "XListenerSet" => "gateway.networking.x-k8s.io",
            _ => "gateway.networking.k8s.io",
        };
        self.metadata.namespace() == to_namespace
            && self
                .spec
                .from
                .iter()
                .any(|f| f.group == group && f.kind == kind && f.namespace == from_namespace)
            && self.spec.to.iter().any(|t| {
                t.group.is_empty()
                    && t.kind == "Secret"
                    && t.name.as_deref().is_none_or(|n| n == name)
            })
    }
}

/// Marks each Gateway API listener whose certificate is in another namespace without a
/// grant in `grants` as refused; one line for each, saying what the input does not show.
pub fn refuse_ungranted(gateways: &mut [Gateway], grants: &[ReferenceGrant]) -> Vec<String> {
    let mut lines = Vec::new();
    for gw in gateways.iter_mut().filter(|g| g.api == Api::GatewayApi) {
        let kind = gw
            .listener_set
            .as_ref()
            .map_or("Gateway", |of| of.kind.as_str())
            .to_owned();
        let (title, namespace) = (gw.title(), gw.namespace.clone());
        for server in &mut gw.servers {
            let Some(tls) = &server.tls else { continue };
            let ungranted = tls.credentials.iter().find_map(|c| match c {
                Credential::Secret {
                    namespace: Some(ns),
                    name,
                } if *ns != namespace
                    && !grants.iter().any(|g| g.allows(&kind, &namespace, ns, name)) =>
                {
                    Some(format!("Secret {ns}/{name}"))
                }
                _ => None,
            });
            if let Some(secret) = ungranted {
                let why = format!(
                    "{title} {}: its certificateRef {secret} is in another namespace and no ReferenceGrant in the input allows it, so istiod does not program the listener; it is left out (give that namespace's ReferenceGrants if there are)",
                    server.label()
                );
                server.refused = Some(why.clone());
                lines.push(why);
            }
        }
    }
    lines
}
