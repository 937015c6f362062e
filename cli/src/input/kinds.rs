//! One resource by its kind: what is kept of it, and where. A kind used here whose fields
//! cannot be read is left out with a note naming it and the field, and the rest of the input
//! is still read; a field the audit does not use is never read, so never refuses.

use super::{Input, Resource};
use crate::error::FieldError;
use crate::model::envoy_gateway::policies::{EnvoyProxy, TrafficPolicy};
use crate::model::gateway::{Gateway, Source};
use crate::model::grants::ReferenceGrant;
use crate::model::kube::{DEFAULT_NAMESPACE, Metadata};
use crate::model::workload::{PodTemplate, Service};
use crate::model::{gateway_api, istio, kube};
use serde::Deserialize;
use serde_json::Value;

/// Any resource, for its `metadata`.
#[derive(Deserialize)]
struct Named {
    metadata: Metadata,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GatewayClass {
    metadata: Metadata,
    spec: GatewayClassSpec,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GatewayClassSpec {
    controller_name: String,
    #[serde(default)]
    parameters_ref: Option<ParametersRef>,
}

#[derive(Deserialize)]
struct ParametersRef {
    #[serde(default)]
    group: String,
    #[serde(default)]
    kind: String,
    name: String,
    #[serde(default)]
    namespace: Option<String>,
}

impl Input {
    /// Sorts one resource (`api_version`, `kind`) into its place.
    pub(super) fn kind(&mut self, api_version: &str, kind: &str, value: Value, source: Source) {
        let name = value
            .get("metadata")
            .and_then(|m| m.get("name"))
            .and_then(Value::as_str)
            .map_or(String::new(), |n| format!(" {n:?}"));
        let what = format!("{kind}{name} ({source})");
        let group = api_version.split('/').next().unwrap_or_default();
        let listener_set = gateway_api::LISTENER_SETS.contains(&(api_version, kind));
        let read =
            match (group, kind) {
                ("networking.istio.io", "Gateway") if istio::VERSIONS.contains(&api_version) => {
                    istio::gateway(value, source).map(|gw| self.gateway(gw, &what))
                }
                ("gateway.networking.k8s.io", "Gateway")
                    if gateway_api::VERSIONS.contains(&api_version) =>
                {
                    gateway_api::gateway(value, source).map(|gw| self.gateway(gw, &what))
                }
                _ if listener_set => gateway_api::listener_set(kind, value, source)
                    .map(|set| self.gateway(set, &what)),
                ("gateway.networking.k8s.io", "GatewayClass") => self.class(&value, source),
                ("gateway.envoyproxy.io", "ClientTrafficPolicy") => {
                    TrafficPolicy::read(&value).map(|p| self.envoy_gateway.traffic_policies.push(p))
                }
                ("gateway.envoyproxy.io", "EnvoyProxy") => EnvoyProxy::read(&value).map(|p| {
                    self.classes
                        .add_proxy(p.namespace, p.name, p.merge_gateways);
                }),
                ("gateway.networking.k8s.io", "ReferenceGrant") => {
                    ReferenceGrant::read(&value).map(|g| self.grants.push(g))
                }
                ("networking.istio.io", "VirtualService") => self.virtual_service(value, source),
                ("v1", "Secret") => self.secret(&value, &source),
                ("cert-manager.io", "Certificate") => {
                    self.certificates.add_certificate(&value).map(|()| {
                        self.certificate_resources += 1;
                    })
                }
                ("apps", "Deployment" | "DaemonSet" | "StatefulSet" | "ReplicaSet")
                | ("v1", "Pod") => self.template(kind, &value, source),
                ("v1", "Service") => self.service(&value, source),
                _ => {
                    self.ignore(&format!("{api_version} {kind}"));
                    Ok(())
                }
            };
        if let Err(problem) = read {
            self.left_out.push(format!("{what}: {problem}: left out"));
        }
    }

    fn class(&mut self, value: &Value, source: Source) -> Result<(), FieldError> {
        let class = kube::read::<GatewayClass>(value)?;
        let (name, controller) = (class.metadata.name, class.spec.controller_name);
        let parameters = class
            .spec
            .parameters_ref
            .filter(|p| p.group == "gateway.envoyproxy.io" && p.kind == "EnvoyProxy")
            .map(|p| {
                let namespace = p.namespace.unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned());
                (namespace, p.name)
            });
        self.classes.add_with(name, controller, source, parameters);
        Ok(())
    }

    fn virtual_service(&mut self, value: Value, source: Source) -> Result<(), FieldError> {
        let metadata = kube::read::<Named>(&value)?.metadata;
        let namespace = metadata.namespace();
        let key = format!("{namespace}/{}", metadata.name);
        let title = format!("VirtualService {key}");
        let vs = Resource {
            namespace,
            name: metadata.name,
            value,
            source,
        };
        self.notes.extend(
            self.virtual_services
                .keep(key, vs, &title, |vs| (&vs.value, &vs.source)),
        );
        Ok(())
    }

    /// A TLS Secret's certificate is read; other Secrets are only counted.
    fn secret(&mut self, value: &Value, source: &Source) -> Result<(), FieldError> {
        if self.certificates.add_secret(value, source)? {
            self.certificate_resources += 1;
        } else {
            self.ignore("v1 Secret");
        }
        Ok(())
    }

    fn template(&mut self, kind: &str, value: &Value, source: Source) -> Result<(), FieldError> {
        let t = PodTemplate::read(kind, value, source)?;
        let title = t.title();
        self.notes.extend(
            self.templates
                .keep(title.clone(), t, &title, |t| (&t.raw, &t.source)),
        );
        Ok(())
    }

    fn service(&mut self, value: &Value, source: Source) -> Result<(), FieldError> {
        let s = Service::read(value, source)?;
        let (key, title) = (s.id(), format!("Service {}", s.id()));
        self.notes
            .extend(self.services.keep(key, s, &title, |s| (&s.raw, &s.source)));
        Ok(())
    }

    fn ignore(&mut self, what: &str) {
        *self.ignored.entry(what.to_owned()).or_default() += 1;
    }

    /// Keeps a Gateway or ListenerSet read with `problems` (servers left out); one whose every
    /// server was left out is left out whole.
    fn gateway(&mut self, (gw, problems): (Gateway, Vec<FieldError>), what: &str) {
        let whole = gw.servers.is_empty() && !problems.is_empty();
        for problem in &problems {
            let tail = if whole {
                "left out (the Gateway has no other server)"
            } else {
                "this server is left out"
            };
            self.left_out.push(format!("{what}: {problem}: {tail}"));
        }
        if whole {
            return;
        }
        let kind = gw.listener_set.as_ref().map_or("Gateway", |of| &of.kind);
        let key = format!("{:?} {kind} {}", gw.api, gw.id());
        let title = gw.title();
        self.notes
            .extend(self.gateways.keep(key, gw, &title, |g| (&g.raw, &g.source)));
    }
}
