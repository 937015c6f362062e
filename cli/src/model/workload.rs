//! Gateway workloads: the pods a gateway runs on, known from Deployments, DaemonSets,
//! StatefulSets or Pods in the input, from `--workload-labels`, or assumed; and the Services
//! in front of them (Gateway API manual deployments, and the port Envoy listens on).

use crate::error::FieldError;
use crate::model::envoy_gateway::Fleet;
use crate::model::gateway::Source;
use crate::model::kube::{Metadata, read};
use crate::model::labels::{GATEWAY_NAME_LABEL, Labels, selects, show_labels};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// A set of gateway pods that share their labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    /// `Deployment istio-system/istio-ingressgateway`, `pods labelled istio=x`, ...
    pub name: String,
    /// `None` when not known (labels from the command line, pods assumed from a selector).
    pub namespace: Option<String>,
    pub labels: Labels,
    /// Why the workload is assumed rather than read; `None` when it was given.
    pub assumed: Option<String>,
    /// Envoy Gateway's fleet, when Envoy Gateway (not istiod) programs it.
    pub fleet: Option<Fleet>,
}

impl Workload {
    /// `Deployment istio-system/x`, `istio-system/istio-ingressgateway (assumed)`.
    pub fn short(&self) -> String {
        match self.assumed {
            Some(_) => format!("{} (assumed)", self.name),
            None => self.name.clone(),
        }
    }

    /// `Deployment istio-system/istio-ingressgateway (app=...,istio=...)`.
    pub fn describe(&self) -> String {
        if self.name.contains(&show_labels(&self.labels)) {
            return self.name.clone();
        }
        format!("{} ({})", self.name, show_labels(&self.labels))
    }
}

/// Labels the controllers add to each pod, which no selector means.
const POD_ONLY_LABELS: [&str; 4] = [
    "pod-template-hash",
    "controller-revision-hash",
    "statefulset.kubernetes.io/pod-name",
    "apps.kubernetes.io/pod-index",
];

/// The pods a controller (or one Pod) declares, as read from the input.
#[derive(Debug, Clone)]
pub struct PodTemplate {
    /// `Deployment`, `DaemonSet`, `StatefulSet`, `ReplicaSet`, `Pod`.
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub labels: Labels,
    /// Whether the pods look like an Istio gateway (gateway injection template, Gateway API
    /// labels, or `istio-proxy router`), before any Gateway selects them.
    pub looks_like_gateway: bool,
    pub source: Source,
    /// The resource as read.
    pub raw: Value,
}

#[derive(Deserialize, Default)]
struct PodMeta {
    #[serde(default)]
    labels: Labels,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
struct PodSpec {
    #[serde(default)]
    containers: Vec<Container>,
}

#[derive(Deserialize)]
struct Container {
    #[serde(default)]
    args: Vec<String>,
}

#[derive(Deserialize)]
struct Controller {
    metadata: Metadata,
    spec: ControllerSpec,
}

#[derive(Deserialize)]
struct ControllerSpec {
    template: Template,
}

#[derive(Deserialize)]
struct Template {
    #[serde(default)]
    metadata: PodMeta,
    #[serde(default)]
    spec: PodSpec,
}

#[derive(Deserialize)]
struct Pod {
    metadata: PodMetadata,
    #[serde(default)]
    spec: PodSpec,
}

#[derive(Deserialize)]
struct PodMetadata {
    name: String,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(flatten)]
    meta: PodMeta,
}

impl PodTemplate {
    /// Reads a `Deployment`, `DaemonSet`, `StatefulSet` or `ReplicaSet` (`kind`), or a `Pod`.
    pub fn read(kind: &str, value: &Value, source: Source) -> Result<PodTemplate, FieldError> {
        let (namespace, name, meta, spec) = if kind == "Pod" {
            let pod: Pod = read(value)?;
            let metadata = Metadata {
                name: pod.metadata.name,
                namespace: pod.metadata.namespace,
                creation_timestamp: None,
            };
            (
                metadata.namespace(),
                metadata.name,
                pod.metadata.meta,
                pod.spec,
            )
        } else {
            let c: Controller = read(value)?;
            (
                c.metadata.namespace(),
                c.metadata.name,
                c.spec.template.metadata,
                c.spec.template.spec,
            )
        };
        let mut labels = meta.labels;
        labels.retain(|k, _| !POD_ONLY_LABELS.contains(&k.as_str()));
        let injected = meta
            .annotations
            .get("inject.istio.io/templates")
            .is_some_and(|t| t.split(',').any(|t| t.trim() == "gateway"));
        let gateway_api =
            labels.contains_key(GATEWAY_NAME_LABEL) || labels.contains_key("istio.io/gateway-name");
        let router = spec
            .containers
            .iter()
            .any(|c| c.args.iter().any(|a| a == "router"));
        Ok(PodTemplate {
            kind: kind.to_owned(),
            namespace,
            name,
            labels,
            looks_like_gateway: injected || gateway_api || router,
            source,
            raw: value.clone(),
        })
    }

    /// `Deployment istio-system/istio-ingressgateway`.
    pub fn title(&self) -> String {
        format!("{} {}/{}", self.kind, self.namespace, self.name)
    }
}

/// A `v1 Service`: which pods it selects, and its port → targetPort mapping.
#[derive(Debug, Clone)]
pub struct Service {
    pub namespace: String,
    pub name: String,
    /// `None`: a Service without a selector (endpoints managed by hand).
    pub selector: Option<Labels>,
    pub ports: Vec<ServicePort>,
    pub source: Source,
    /// The resource as read.
    pub raw: Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServicePort {
    pub port: u32,
    /// `None` when `targetPort` is a port name (resolved by the pod, not known here).
    pub target: Option<u32>,
}

#[derive(Deserialize)]
struct ServiceResource {
    metadata: Metadata,
    #[serde(default)]
    spec: ServiceSpec,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ServiceSpec {
    #[serde(default)]
    selector: Option<Labels>,
    #[serde(default)]
    ports: Vec<RawServicePort>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawServicePort {
    port: u32,
    #[serde(default)]
    target_port: Option<Value>,
}

impl Service {
    pub fn read(value: &Value, source: Source) -> Result<Service, FieldError> {
        let s: ServiceResource = read(value)?;
        let mut ports = Vec::new();
        for (i, p) in s.spec.ports.into_iter().enumerate() {
            let target = match p.target_port {
                None => Some(p.port),
                Some(Value::Number(n)) => Some(
                    n.as_u64()
                        .and_then(|n| u32::try_from(n).ok())
                        .ok_or_else(|| FieldError {
                            path: format!("spec.ports[{i}].targetPort"),
                            problem: format!("{n} is not a port number"),
                        })?,
                ),
                Some(Value::String(_)) => None,
                Some(other) => {
                    return Err(FieldError {
                        path: format!("spec.ports[{i}].targetPort"),
                        problem: format!("expected a number or a name, found {other}"),
                    });
                }
            };
            ports.push(ServicePort {
                port: p.port,
                target,
            });
        }
        Ok(Service {
            namespace: s.metadata.namespace(),
            name: s.metadata.name,
            selector: s.spec.selector.filter(|s| !s.is_empty()),
            ports,
            source,
            raw: value.clone(),
        })
    }

    /// `istio-system/istio-ingressgateway`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

/// The Service a Gateway API address names: `name.namespace.svc.<domain>`, or a short
/// `name` in the Gateway's namespace. `None` for a name that is not a Service's.
pub fn service_of_address(address: &str, gateway_namespace: &str) -> Option<(String, String)> {
    match address.split('.').collect::<Vec<_>>().as_slice() {
        [name] => Some((gateway_namespace.to_owned(), (*name).to_owned())),
        [name, namespace, "svc", ..] => Some(((*namespace).to_owned(), (*name).to_owned())),
        _ => None,
    }
}

/// For each workload, the Services (indexes) whose selector selects its pods.
pub fn services_in_front(workloads: &[Workload], services: &[Service]) -> Vec<Vec<usize>> {
    workloads
        .iter()
        .map(|w| {
            services
                .iter()
                .enumerate()
                .filter(|(_, service)| {
                    w.namespace
                        .as_deref()
                        .is_none_or(|ns| ns == service.namespace)
                        && service
                            .selector
                            .as_ref()
                            .is_some_and(|sel| selects(sel, &w.labels))
                })
                .map(|(s, _)| s)
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_gateway_deployment() {
        let t = PodTemplate::read(
            "Deployment",
            &json!({"metadata": {"name": "istio-ingressgateway", "namespace": "istio-system"},
                    "spec": {"template": {"metadata": {
                        "labels": {"app": "istio-ingressgateway", "istio": "ingressgateway"},
                        "annotations": {"inject.istio.io/templates": "gateway"}}}}}),
            Source::default(),
        )
        .unwrap();
        assert_eq!(t.title(), "Deployment istio-system/istio-ingressgateway");
        assert!(t.looks_like_gateway);
        assert_eq!(t.labels.len(), 2);
    }

    #[test]
    fn pods_lose_their_controller_labels() {
        let t = PodTemplate::read(
            "Pod",
            &json!({"metadata": {"name": "p-1", "namespace": "app",
                                 "labels": {"app": "web", "pod-template-hash": "abc"}},
                    "spec": {"containers": [{"args": ["serve"]}]}}),
            Source::default(),
        )
        .unwrap();
        assert_eq!(show_labels(&t.labels), "app=web");
        assert!(!t.looks_like_gateway);
        let proxy = PodTemplate::read(
            "Pod",
            &json!({"metadata": {"name": "gw"}, "spec": {"containers": [{"args": ["proxy", "router"]}]}}),
            Source::default(),
        )
        .unwrap();
        assert!(proxy.looks_like_gateway);
        assert_eq!(proxy.namespace, "default");
    }

    #[test]
    fn services() {
        let s = Service::read(
            &json!({"metadata": {"name": "istio-ingressgateway", "namespace": "istio-system"},
                    "spec": {"selector": {"istio": "ingressgateway"}, "ports": [
                        {"port": 443, "targetPort": 8443}, {"port": 80}, {"port": 15021, "targetPort": "status"}]}}),
            Source::default(),
        )
        .unwrap();
        assert_eq!(s.id(), "istio-system/istio-ingressgateway");
        assert_eq!(
            s.ports,
            [
                ServicePort {
                    port: 443,
                    target: Some(8443)
                },
                ServicePort {
                    port: 80,
                    target: Some(80)
                },
                ServicePort {
                    port: 15021,
                    target: None
                }
            ]
        );
        let err = Service::read(
            &json!({"metadata": {"name": "s"}, "spec": {"ports": [{"port": 1, "targetPort": true}]}}),
            Source::default(),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "spec.ports[0].targetPort: expected a number or a name, found true"
        );
    }

    #[test]
    fn addresses_name_services() {
        assert_eq!(
            service_of_address("istio-ingressgateway.istio-system.svc.cluster.local", "web"),
            Some(("istio-system".into(), "istio-ingressgateway".into()))
        );
        assert_eq!(
            service_of_address("my-gw", "web"),
            Some(("web".into(), "my-gw".into()))
        );
        assert_eq!(service_of_address("gw.example.com", "web"), None);
    }
}
