//! Reading Kubernetes resources from files or stdin: multi-document YAML, or JSON (one
//! resource, or a `List` as `kubectl get ... -o json` prints it). Istio Gateways are kept;
//! other kinds are counted and ignored.

use crate::gateway::{Gateway, Source};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;

/// The Istio Gateway API versions the audit understands.
pub const GATEWAY_VERSIONS: [&str; 3] = [
    "networking.istio.io/v1",
    "networking.istio.io/v1beta1",
    "networking.istio.io/v1alpha3",
];

/// Input that cannot be used: the file, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub file: String,
    pub problem: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file, self.problem)
    }
}

impl std::error::Error for InputError {}

/// Everything read from the input.
#[derive(Debug, Default)]
pub struct Input {
    pub gateways: Vec<Gateway>,
    /// Resources that are not Istio Gateways, by `apiVersion kind`.
    pub ignored: BTreeMap<String, usize>,
    /// Things the reader should know (repeated Gateways, say).
    pub notes: Vec<String>,
}

impl Input {
    /// Adds one file's text. `file` names it in errors (`<stdin>` for standard input).
    pub fn add(&mut self, file: &str, bytes: &[u8]) -> Result<(), InputError> {
        let fail = |problem: String| InputError {
            file: file.to_owned(),
            problem,
        };
        if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
            return Err(fail(
                "UTF-16 text (as Windows PowerShell pipes it): give it as UTF-8, for example with `kubectl ... -o json > gateways.json` in cmd, or `| Out-File -Encoding utf8`".to_owned(),
            ));
        }
        let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
        let text = std::str::from_utf8(bytes).map_err(|e| {
            fail(format!(
                "not text (invalid UTF-8 at byte {}): expected YAML or JSON",
                e.valid_up_to()
            ))
        })?;
        let documents = documents(text).map_err(fail)?;
        if documents.is_empty() {
            return Err(fail(
                "no Kubernetes resources in it (empty, or only comments)".to_owned(),
            ));
        }
        let single = documents.len() == 1;
        for (i, document) in documents.iter().enumerate() {
            let place = if single {
                String::new()
            } else {
                format!("document {}", i + 1)
            };
            self.resource(file, &place, document, None).map_err(fail)?;
        }
        Ok(())
    }

    fn resource(
        &mut self,
        file: &str,
        place: &str,
        value: &Value,
        inherited: Option<(&str, &str)>,
    ) -> Result<(), String> {
        let at = |problem: String| {
            if place.is_empty() {
                problem
            } else {
                format!("{place}: {problem}")
            }
        };
        let Value::Object(fields) = value else {
            return Err(at(format!(
                "not a Kubernetes resource: expected a mapping with apiVersion and kind, found {}",
                kind_of(value)
            )));
        };
        let text = |key: &str| fields.get(key).and_then(Value::as_str);
        let (api_version, kind) = match (text("apiVersion"), text("kind"), inherited) {
            (Some(v), Some(k), _) => (v, k),
            (None, None, Some((v, k))) => (v, k),
            (None, _, _) => {
                return Err(at(
                    "not a Kubernetes resource: no apiVersion (a string)".to_owned()
                ))
            }
            (_, None, _) => {
                return Err(at(
                    "not a Kubernetes resource: no kind (a string)".to_owned()
                ))
            }
        };
        if let Some(item_kind) = kind.strip_suffix("List") {
            if let Some(items) = fields.get("items") {
                let Value::Array(items) = items else {
                    return Err(at(format!(
                        "items: expected a list, found {}",
                        kind_of(items)
                    )));
                };
                // Typed lists (`GatewayList`) from the API server leave out each item's kind.
                let inherit = (!item_kind.is_empty()).then_some((api_version, item_kind));
                for (i, item) in items.iter().enumerate() {
                    let place = if place.is_empty() {
                        format!("items[{i}]")
                    } else {
                        format!("{place}, items[{i}]")
                    };
                    self.resource(file, &place, item, inherit)?;
                }
                return Ok(());
            }
        }
        if kind != "Gateway" || !GATEWAY_VERSIONS.contains(&api_version) {
            *self
                .ignored
                .entry(format!("{api_version} {kind}"))
                .or_default() += 1;
            return Ok(());
        }
        let source = Source {
            file: file.to_owned(),
            place: place.to_owned(),
        };
        let gateway = Gateway::from_value(value, source).map_err(|problem| {
            let name = fields
                .get("metadata")
                .and_then(|m| m.get("name"))
                .and_then(Value::as_str)
                .map_or(String::new(), |n| format!(" {n:?}"));
            at(format!("Gateway{name}: {problem}"))
        })?;
        self.keep(gateway);
        Ok(())
    }

    /// Keeps a Gateway; a later one with the same namespace/name replaces the earlier, as
    /// applying both would.
    fn keep(&mut self, gateway: Gateway) {
        let id = gateway.id();
        if let Some(old) = self.gateways.iter_mut().find(|g| g.id() == id) {
            self.notes.push(format!(
                "Gateway {id} appears twice ({} and {}): using the later",
                old.source, gateway.source
            ));
            *old = gateway;
        } else {
            self.gateways.push(gateway);
        }
    }

    /// One line per kind of ignored resource that is worth a mention.
    pub fn ignored_notes(&self) -> Vec<String> {
        self.ignored
            .iter()
            .filter(|(what, _)| what.ends_with(" Gateway"))
            .map(|(what, n)| {
                format!("ignored {n} {what} resource(s): only Istio Gateways (networking.istio.io) are audited")
            })
            .collect()
    }
}

/// The documents of a file: JSON when it starts like JSON, else multi-document YAML.
fn documents(text: &str) -> Result<Vec<Value>, String> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let value: Value =
            serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
        return Ok(match value {
            // A bare JSON array of resources.
            Value::Array(items) => items,
            value => vec![value],
        });
    }
    let mut out = Vec::new();
    for (i, document) in yaml_serde::Deserializer::from_str(text).enumerate() {
        let value = Value::deserialize(document)
            .map_err(|e| format!("not valid YAML (document {}): {e}", i + 1))?;
        // `---` with nothing after it.
        if !value.is_null() {
            out.push(value);
        }
    }
    Ok(out)
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GW: &str = "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: g, namespace: n}\nspec: {selector: {istio: ingressgateway}, servers: []}\n";

    fn read(text: &str) -> Result<Input, InputError> {
        let mut input = Input::default();
        input.add("f.yaml", text.as_bytes())?;
        Ok(input)
    }

    fn problem(text: &str) -> String {
        read(text).unwrap_err().problem
    }

    #[test]
    fn yaml_documents_and_other_kinds() {
        let text = format!(
            "---\n{GW}---\napiVersion: v1\nkind: Service\nmetadata: {{name: s}}\n---\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {{name: k}}\n"
        );
        let input = read(&text).unwrap();
        assert_eq!(input.gateways.len(), 1);
        assert_eq!(input.gateways[0].source.place, "document 1");
        assert_eq!(input.ignored.len(), 2);
        assert_eq!(input.ignored_notes().len(), 1);
        assert!(input.ignored_notes()[0].contains("gateway.networking.k8s.io/v1 Gateway"));
    }

    #[test]
    fn every_istio_version() {
        for version in GATEWAY_VERSIONS {
            let input = read(&GW.replace("networking.istio.io/v1", version)).unwrap();
            assert_eq!(input.gateways.len(), 1, "{version}");
        }
        let input = read(&GW.replace("networking.istio.io/v1", "networking.istio.io/v9")).unwrap();
        assert!(input.gateways.is_empty());
    }

    #[test]
    fn kubectl_list_and_typed_list() {
        let list = r#"{"apiVersion": "v1", "kind": "List", "items": [
            {"apiVersion": "networking.istio.io/v1", "kind": "Gateway", "metadata": {"name": "a", "namespace": "n"}},
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}]}"#;
        let input = read(list).unwrap();
        assert_eq!(input.gateways.len(), 1);
        assert_eq!(input.gateways[0].source.place, "items[0]");
        let typed = r#"{"apiVersion": "networking.istio.io/v1", "kind": "GatewayList", "items": [
            {"metadata": {"name": "a", "namespace": "n"}}]}"#;
        assert_eq!(read(typed).unwrap().gateways.len(), 1);
    }

    #[test]
    fn a_repeated_gateway_replaces_the_first() {
        let input = read(&format!("{GW}---\n{GW}")).unwrap();
        assert_eq!(input.gateways.len(), 1);
        assert_eq!(input.gateways[0].source.place, "document 2");
        assert_eq!(input.notes.len(), 1);
    }

    #[test]
    fn garbage_is_refused_with_the_reason() {
        assert!(problem("").starts_with("no Kubernetes resources"));
        assert!(problem("# only a comment\n").starts_with("no Kubernetes resources"));
        assert!(problem("{\"kind\": ").starts_with("not valid JSON"));
        assert!(problem("a: [1, 2\n").starts_with("not valid YAML (document 1)"));
        assert_eq!(
            problem("hello world\n"),
            "not a Kubernetes resource: expected a mapping with apiVersion and kind, found a string"
        );
        assert_eq!(
            problem("kind: Gateway\n"),
            "not a Kubernetes resource: no apiVersion (a string)"
        );
        assert!(problem(&format!("{GW}---\n- 1\n")).starts_with("document 2: not a Kubernetes"));
        assert_eq!(
            problem("{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": 3}"),
            "items: expected a list, found a number"
        );
        let bad = GW.replace("servers: []", "servers: [{port: {number: x}, hosts: []}]");
        assert!(
            problem(&bad).starts_with("Gateway \"g\": spec.servers[0].port.number: invalid type"),
            "{}",
            problem(&bad)
        );
        let err = Input::default().add("bin", &[0x1f, 0x8b, 0]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "bin: not text (invalid UTF-8 at byte 1): expected YAML or JSON"
        );
        let err = Input::default()
            .add("ps", &[0xff, 0xfe, b'{', 0])
            .unwrap_err();
        assert!(err.problem.starts_with("UTF-16 text"), "{err}");
    }

    #[test]
    fn a_utf8_byte_order_mark_is_skipped() {
        let mut input = Input::default();
        input
            .add("bom.yaml", format!("\u{feff}{GW}").as_bytes())
            .unwrap();
        assert_eq!(input.gateways.len(), 1);
        let json = "\u{feff}{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": []}";
        Input::default().add("bom.json", json.as_bytes()).unwrap();
    }
}
