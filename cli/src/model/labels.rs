//! Label sets and selectors, as Kubernetes matches them: a selector selects the pods whose
//! labels contain every one of its pairs; an empty selector selects every pod.

use crate::error::LabelsError;
use std::collections::BTreeMap;

/// The label Istio puts on the pods it deploys for a Gateway API Gateway.
pub const GATEWAY_NAME_LABEL: &str = "gateway.networking.k8s.io/gateway-name";

/// Labels of a pod, or the pairs of a selector.
pub type Labels = BTreeMap<String, String>;

/// Whether `selector` selects pods labelled `labels`.
pub fn selects(selector: &Labels, labels: &Labels) -> bool {
    selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// `istio=ingressgateway,app=x` (keys in order), or `(no selector)`.
pub fn show_labels(labels: &Labels) -> String {
    if labels.is_empty() {
        return "(no selector)".to_owned();
    }
    labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Parses `a=b,c=d` (spaces around the pairs are ignored).
pub fn parse_labels(text: &str) -> Result<Labels, LabelsError> {
    let mut labels = Labels::new();
    for pair in text.split(',') {
        match pair.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => {
                labels.insert(key.trim().to_owned(), value.trim().to_owned());
            }
            _ => {
                return Err(LabelsError {
                    pair: pair.to_owned(),
                });
            }
        }
    }
    Ok(labels)
}

/// `Labels` from `[("a", "b")]`, for tests and defaults.
pub fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection() {
        let pod = labels(&[("app", "istio-ingressgateway"), ("istio", "ingressgateway")]);
        assert!(selects(&labels(&[("istio", "ingressgateway")]), &pod));
        assert!(selects(&labels(&[("app", "istio-ingressgateway")]), &pod));
        assert!(
            selects(&Labels::new(), &pod),
            "an empty selector selects every pod"
        );
        assert!(selects(&pod, &pod));
        assert!(!selects(
            &labels(&[("istio", "ingressgateway"), ("v", "2")]),
            &pod
        ));
        assert!(!selects(&labels(&[("istio", "other")]), &pod));
    }

    #[test]
    fn parsing_and_showing() {
        let parsed = parse_labels("istio=ingressgateway, app=x").unwrap();
        assert_eq!(parsed, labels(&[("app", "x"), ("istio", "ingressgateway")]));
        assert_eq!(show_labels(&parsed), "app=x,istio=ingressgateway");
        assert_eq!(show_labels(&Labels::new()), "(no selector)");
        assert_eq!(
            parse_labels("=x").unwrap_err().to_string(),
            "\"=x\" is not key=value"
        );
        assert!(parse_labels("istio").is_err());
    }
}
