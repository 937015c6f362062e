//! Reading Kubernetes resources from files or stdin: multi-document YAML or JSON (one
//! resource, or a `List` as `kubectl get ... -o json` prints it). Gateways of both APIs are
//! kept, with what helps place and judge them (gateway Deployments, DaemonSets,
//! StatefulSets and Pods; Services; TLS Secrets; cert-manager Certificates) and the
//! VirtualServices a merge plan rewrites. Other kinds are counted.

pub(crate) mod documents;
mod keyed;
mod kinds;

use crate::model::certs::Certificates;
use crate::model::classes::GatewayClasses;
use crate::model::envoy_gateway::policies::EnvoyGatewayInput;
use crate::model::gateway::{Gateway, Source};
use crate::model::workload::{PodTemplate, Service};
use documents::kind_of;
pub use keyed::Keyed;
use serde_json::Value;
use std::collections::BTreeMap;

pub use crate::error::{InputError, Unusable};

pub use crate::model::kube::Resource;

/// Everything read from the input.
#[derive(Debug, Default)]
pub struct Input {
    /// Gateways of both APIs, and Gateway API ListenerSets.
    pub gateways: Keyed<Gateway>,
    pub classes: GatewayClasses,
    /// Envoy Gateway's ClientTrafficPolicies and EnvoyProxies.
    pub envoy_gateway: EnvoyGatewayInput,
    pub grants: Vec<crate::model::grants::ReferenceGrant>,
    pub virtual_services: Keyed<Resource>,
    pub templates: Keyed<PodTemplate>,
    pub services: Keyed<Service>,
    pub certificates: Certificates,
    /// Resources of kinds not used, by `apiVersion kind`.
    pub ignored: BTreeMap<String, usize>,
    /// Things the reader should know (a resource given twice, say).
    pub notes: Vec<String>,
    /// What was left out, and why: a resource or server with a malformed field it needs.
    pub left_out: Vec<String>,
    /// TLS Secrets and cert-manager Certificates read.
    pub certificate_resources: usize,
}

impl Input {
    /// Adds one file's text. `file` names it in errors (`<stdin>` for standard input).
    pub fn add(&mut self, file: &str, bytes: &[u8]) -> Result<(), InputError> {
        let fail = |problem: Unusable| InputError {
            file: file.to_owned(),
            place: String::new(),
            problem,
        };
        if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
            return Err(fail(Unusable::Utf16));
        }
        let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
        let text =
            std::str::from_utf8(bytes).map_err(|e| fail(Unusable::NotUtf8(e.valid_up_to())))?;
        let documents = documents::documents(text).map_err(fail)?;
        if documents.is_empty() {
            return Err(fail(Unusable::Empty));
        }
        let single = documents.len() == 1;
        for (i, document) in documents.into_iter().enumerate() {
            let place = if single {
                String::new()
            } else {
                format!("document {}", i + 1)
            };
            self.resource(file, &place, document, None)?;
        }
        Ok(())
    }

    fn resource(
        &mut self,
        file: &str,
        place: &str,
        value: Value,
        inherited: Option<(&str, &str)>,
    ) -> Result<(), InputError> {
        let at = |problem: Unusable| InputError {
            file: file.to_owned(),
            place: place.to_owned(),
            problem,
        };
        let Value::Object(fields) = &value else {
            return Err(at(Unusable::NotMapping(kind_of(&value))));
        };
        let text = |key: &str| fields.get(key).and_then(Value::as_str).map(str::to_owned);
        let (api_version, kind) = match (text("apiVersion"), text("kind"), inherited) {
            (Some(v), Some(k), _) => (v, k),
            (None, None, Some((v, k))) => (v.to_owned(), k.to_owned()),
            (None, _, _) => return Err(at(Unusable::NoApiVersion)),
            (_, None, _) => return Err(at(Unusable::NoKind)),
        };
        if let Some(item_kind) = kind.strip_suffix("List")
            && fields.contains_key("items")
        {
            let Value::Object(mut fields) = value else {
                return Ok(());
            };
            let items = fields.remove("items").unwrap_or_default();
            let Value::Array(items) = items else {
                return Err(at(Unusable::ItemsNotList(kind_of(&items))));
            };
            // Typed lists (`GatewayList`) from the API server leave out each item's kind.
            let inherit = (!item_kind.is_empty()).then_some((api_version.as_str(), item_kind));
            for (i, item) in items.into_iter().enumerate() {
                let place = if place.is_empty() {
                    format!("items[{i}]")
                } else {
                    format!("{place}, items[{i}]")
                };
                self.resource(file, &place, item, inherit)?;
            }
            return Ok(());
        }
        let source = Source {
            file: file.to_owned(),
            place: place.to_owned(),
        };
        self.kind(&api_version, &kind, value, source);
        Ok(())
    }

    /// Once every file is read: listeners whose cross-namespace certificate no grant allows
    /// are refused, and said among what was left out.
    pub fn resolve_references(&mut self) {
        let lines = crate::model::grants::refuse_ungranted(&mut self.gateways.items, &self.grants);
        self.left_out.extend(lines);
    }

    /// One line per kind of ignored resource that is worth a mention.
    pub fn ignored_notes(&self) -> Vec<String> {
        self.ignored
            .iter()
            .filter(|(what, _)| {
                what.ends_with(" Gateway")
                    || what.ends_with("ListenerSet")
                    || what.ends_with(" GatewayClass")
            })
            .map(|(what, n)| {
                format!("ignored {n} {what} resource(s): this version is not understood")
            })
            .collect()
    }

    /// What the input holds, for an error when it has no Gateway: `2 v1 Secret, 1 ...`.
    pub fn contents(&self) -> String {
        let mut found: Vec<String> = self
            .ignored
            .iter()
            .map(|(what, n)| format!("{n} {what}"))
            .collect();
        let counted = [
            (self.virtual_services.items.len(), "VirtualService"),
            (
                self.templates.items.len(),
                "Deployment/DaemonSet/StatefulSet/Pod",
            ),
            (self.services.items.len(), "v1 Service"),
        ];
        for (n, what) in counted {
            if n > 0 {
                found.push(format!("{n} {what}"));
            }
        }
        if self.certificate_resources > 0 {
            found.push(format!(
                "{} TLS Secret/Certificate",
                self.certificate_resources
            ));
        }
        if found.is_empty() {
            "nothing else".to_owned()
        } else {
            found.join(", ")
        }
    }
}

#[cfg(test)]
mod tests;
