//! Which gateway pods each Gateway lands on, as istiod decides it: an Istio Gateway applies to
//! every gateway pod whose labels contain its `spec.selector` (an empty selector: every
//! gateway pod); a Gateway API Gateway to the pods behind its Service (its own deployment,
//! or the Services its `spec.addresses` name).
//!
//! The pods come from `--workload-labels`, or from Deployments, DaemonSets, StatefulSets and
//! Pods in the input. Without any, Istio's default ingress gateway is assumed, and each
//! selector that does not select it is taken to have pods of its own; every assumption is
//! said.

use crate::error::AddressNotService;
use crate::model::classes::{GatewayClasses, Programmed};
use crate::model::envoy_gateway::{Fleet, detach_experimental_sets};
use crate::model::gateway::{Api, Gateway};
use crate::model::labels::{GATEWAY_NAME_LABEL, Labels, labels, selects, show_labels};
use crate::model::listener_sets::attach_listener_sets;
use crate::model::workload::{
    PodTemplate, Service, Workload, service_of_address, services_in_front,
};
use std::collections::{BTreeSet, HashMap};

/// The labels of Istio's default ingress gateway pods (`istio-ingressgateway`).
pub fn default_ingress_labels() -> Labels {
    labels(&[("app", "istio-ingressgateway"), ("istio", "ingressgateway")])
}

/// The namespace of Istio's default ingress gateway.
pub const DEFAULT_INGRESS_NAMESPACE: &str = "istio-system";

/// Where every Gateway landed.
#[derive(Debug, Default)]
pub struct Placement {
    pub workloads: Vec<Workload>,
    /// For each Gateway (by its index in the input), the workloads it lands on.
    pub landing: Vec<Vec<usize>>,
    /// Gateways that land on no workload, with why.
    pub unplaced: Vec<(usize, String)>,
    /// For each workload, the Services in front of it (indexes into the input's).
    pub services: Vec<Vec<usize>>,
    /// What was taken to be so without the input saying it.
    pub notes: Vec<String>,
}

struct Builder<'a> {
    services: &'a [Service],
    workloads: Vec<Workload>,
    index: HashMap<(Option<String>, Labels), usize>,
    /// Workloads by each of their label pairs, so that a selector is matched against the
    /// workloads that have its rarest pair rather than against all of them.
    by_pair: HashMap<(String, String), Vec<usize>>,
}

impl Builder<'_> {
    /// Adds a workload unless one with its namespace and labels exists; returns its index.
    fn add(&mut self, workload: Workload) -> usize {
        let key = (workload.namespace.clone(), workload.labels.clone());
        if let Some(&at) = self.index.get(&key) {
            return at;
        }
        let at = self.workloads.len();
        for pair in &workload.labels {
            self.by_pair
                .entry((pair.0.clone(), pair.1.clone()))
                .or_default()
                .push(at);
        }
        self.workloads.push(workload);
        self.index.insert(key, at);
        at
    }

    /// Every workload `selector` selects, in order.
    fn select(&self, selector: &Labels) -> Vec<usize> {
        let rarest = selector
            .iter()
            .map(|(k, v)| {
                self.by_pair
                    .get(&(k.clone(), v.clone()))
                    .map_or(&[][..], Vec::as_slice)
            })
            .min_by_key(|list| list.len());
        match rarest {
            None => (0..self.workloads.len()).collect(),
            Some(candidates) => candidates
                .iter()
                .copied()
                .filter(|&w| {
                    self.workloads
                        .get(w)
                        .is_some_and(|workload| selects(selector, &workload.labels))
                })
                .collect(),
        }
    }

    /// Workloads in `namespace` (or of no known namespace) that `selector` selects.
    fn selected(&self, namespace: &str, selector: &Labels) -> Vec<usize> {
        self.select(selector)
            .into_iter()
            .filter(|&w| {
                self.workloads.get(w).is_some_and(|workload| {
                    workload
                        .namespace
                        .as_deref()
                        .is_none_or(|ns| ns == namespace)
                })
            })
            .collect()
    }

    /// The workloads `selector` selects in `namespace`, or one assumed with its labels.
    fn selected_or_assumed(
        &mut self,
        namespace: &str,
        selector: &Labels,
        name: String,
        why: String,
    ) -> Vec<usize> {
        let found = self.selected(namespace, selector);
        if !found.is_empty() {
            return found;
        }
        vec![self.add(Workload {
            name,
            namespace: Some(namespace.to_owned()),
            labels: selector.clone(),
            assumed: Some(why),
            fleet: None,
        })]
    }

    /// The Envoy Gateway fleet a Gateway lands on: its own, or its class's when merged.
    fn envoy_gateway(&mut self, gw: &Gateway, merged: bool) -> usize {
        self.add(Fleet::of(gw, merged).workload(gw))
    }

    fn default_ingress(&mut self) -> Vec<usize> {
        self.selected_or_assumed(
            DEFAULT_INGRESS_NAMESPACE,
            &default_ingress_labels(),
            "istio-system/istio-ingressgateway".to_owned(),
            "Istio's default ingress gateway, as no gateway pods are in the input (give --workload-labels, or the gateway Deployments)"
                .to_owned(),
        )
    }

    /// Where a Gateway API Gateway lands: its own deployment, or its addresses' Services.
    fn gateway_api(&mut self, gw: &Gateway) -> Result<Vec<usize>, AddressNotService> {
        if gw.addresses.is_empty() {
            let selector = labels(&[(GATEWAY_NAME_LABEL, &gw.name)]);
            return Ok(self.selected_or_assumed(
                &gw.namespace,
                &selector,
                format!(
                    "Gateway API deployment {}/{}-{}",
                    gw.namespace, gw.name, gw.class
                ),
                format!(
                    "Istio deploys one for {} unless spec.addresses names an existing Service",
                    gw.title()
                ),
            ));
        }
        let mut landing = Vec::new();
        for address in &gw.addresses {
            let Some((ns, name)) = service_of_address(address, &gw.namespace) else {
                return Err(AddressNotService {
                    address: address.clone(),
                });
            };
            let service = self
                .services
                .iter()
                .find(|s| s.namespace == ns && s.name == name);
            let found = match service.and_then(|s| s.selector.clone()) {
                Some(selector) => self.selected_or_assumed(
                    &ns,
                    &selector,
                    format!("pods of Service {ns}/{name}"),
                    format!(
                        "selected by Service {ns}/{name}, which {} names",
                        gw.title()
                    ),
                ),
                None if ns == DEFAULT_INGRESS_NAMESPACE && name == "istio-ingressgateway" => {
                    self.default_ingress()
                }
                None => vec![self.add(Workload {
                    name: format!("pods of Service {ns}/{name}"),
                    namespace: Some(ns.clone()),
                    labels: Labels::new(),
                    assumed: Some(format!(
                        "the Service (named by {}) and its pods are not in the input",
                        gw.title()
                    )),
                    fleet: None,
                })],
            };
            landing.extend(found);
        }
        landing.sort_unstable();
        landing.dedup();
        Ok(landing)
    }
}

/// The first few items, and how many more.
fn some(items: impl ExactSizeIterator<Item = String>) -> String {
    let total = items.len();
    let mut shown: Vec<String> = items.take(4).collect();
    if total > shown.len() {
        shown.push(format!("and {} more", total - shown.len()));
    }
    shown.join("; ")
}

/// Places `gateways` on the workloads of `flag_workloads` and `templates`; Gateway API
/// Gateways only when `classes` says Istio programs them.
pub fn place(
    gateways: &[Gateway],
    templates: &[PodTemplate],
    services: &[Service],
    flag_workloads: &[Labels],
    classes: &GatewayClasses,
) -> Placement {
    let mut b = Builder {
        services,
        workloads: Vec::new(),
        index: HashMap::new(),
        by_pair: HashMap::new(),
    };
    let selectors = given_workloads(&mut b, gateways, templates, flag_workloads);
    let given = !b.workloads.is_empty();
    let mut landing = vec![Vec::new(); gateways.len()];
    let mut unplaced = Vec::new();
    let mut eg_notes = Vec::new();
    for (g, (gw, slot)) in gateways.iter().zip(&mut landing).enumerate() {
        if gw.api != Api::GatewayApi || gw.listener_set.is_some() {
            continue;
        }
        match classes.programmed(&gw.class) {
            Programmed::Istio => match b.gateway_api(gw) {
                Ok(found) => *slot = found,
                Err(why) => unplaced.push((g, why.to_string())),
            },
            Programmed::EnvoyGateway { merged, note } => {
                *slot = vec![b.envoy_gateway(gw, merged)];
                eg_notes.extend(note);
            }
            Programmed::Elsewhere(why) | Programmed::Unknown(why) => unplaced.push((g, why)),
        }
    }
    let mut notes = attach_listener_sets(gateways, &mut landing, &mut unplaced);
    detach_experimental_sets(gateways, &b.workloads, &mut landing, &mut unplaced);
    eg_notes.sort();
    eg_notes.dedup();
    notes.extend(eg_notes);
    if !given && gateways.iter().any(|g| g.api == Api::Istio) {
        assume_workloads(&mut b, gateways, selectors);
    }
    place_istio(&b, gateways, &mut landing, &mut unplaced);
    let services = services_in_front(&b.workloads, services);
    Placement {
        workloads: b.workloads,
        landing,
        unplaced,
        services,
        notes,
    }
}

/// Adds the workloads of `--workload-labels`, and the pod templates that look like a gateway
/// or that a Gateway selects (or its Service fronts); returns the Istio Gateways' selectors.
fn given_workloads<'g>(
    b: &mut Builder<'_>,
    gateways: &'g [Gateway],
    templates: &[PodTemplate],
    flag_workloads: &[Labels],
) -> BTreeSet<&'g Labels> {
    for labels in flag_workloads {
        b.add(Workload {
            name: format!("pods labelled {}", show_labels(labels)),
            namespace: None,
            labels: labels.clone(),
            assumed: None,
            fleet: None,
        });
    }
    let selectors: BTreeSet<&Labels> = gateways
        .iter()
        .filter(|g| g.api == Api::Istio && !g.selector.is_empty())
        .map(|g| &g.selector)
        .collect();
    let fronted: Vec<&Service> = gateways
        .iter()
        .filter(|g| g.api == Api::GatewayApi)
        .flat_map(|g| {
            g.addresses
                .iter()
                .filter_map(|a| service_of_address(a, &g.namespace))
        })
        .filter_map(|(ns, name)| {
            b.services
                .iter()
                .find(|s| s.namespace == ns && s.name == name)
        })
        .collect();
    for t in templates {
        let selected = selectors.iter().any(|s| selects(s, &t.labels))
            || fronted.iter().any(|s| {
                s.namespace == t.namespace
                    && s.selector
                        .as_ref()
                        .is_some_and(|sel| selects(sel, &t.labels))
            });
        if t.looks_like_gateway || selected {
            b.add(Workload {
                name: t.title(),
                namespace: Some(t.namespace.clone()),
                labels: t.labels.clone(),
                assumed: None,
                fleet: None,
            });
        }
    }
    selectors
}

/// No workload given: Istio's default ingress gateway, and pods of their own for each
/// selector that selects none of it.
fn assume_workloads(b: &mut Builder<'_>, gateways: &[Gateway], selectors: BTreeSet<&Labels>) {
    b.default_ingress();
    // Each selector that selects none of these has pods of its own, labelled with it
    // (a broader selector selects those too).
    let known = b.workloads.len();
    for selector in selectors {
        if !b.select(selector).iter().any(|&w| w < known) {
            let owner = gateways
                .iter()
                .find(|g| g.api == Api::Istio && g.selector == *selector)
                .map(Gateway::id)
                .unwrap_or_default();
            b.add(Workload {
                name: format!("pods labelled {}", show_labels(selector)),
                namespace: None,
                labels: selector.clone(),
                assumed: Some(format!(
                    "the selector of Gateway {owner} does not select Istio's default ingress gateway"
                )),
                fleet: None,
            });
        }
    }
}

/// Istio Gateways land on the workloads their selector selects.
fn place_istio(
    b: &Builder<'_>,
    gateways: &[Gateway],
    landing: &mut [Vec<usize>],
    unplaced: &mut Vec<(usize, String)>,
) {
    let mut by_selector: HashMap<&Labels, Vec<usize>> = HashMap::new();
    for ((g, gw), slot) in gateways
        .iter()
        .enumerate()
        .zip(landing.iter_mut())
        .filter(|((_, g), _)| g.api == Api::Istio)
    {
        // istiod programs none of Envoy Gateway's fleets.
        let found = by_selector
            .entry(&gw.selector)
            .or_insert_with(|| {
                let mut found = b.select(&gw.selector);
                found.retain(|&w| b.workloads.get(w).is_some_and(|w| w.fleet.is_none()));
                found
            })
            .clone();
        if found.is_empty() {
            unplaced.push((
                g,
                format!(
                    "it lands on no gateway workload: its selector {} selects none of the gateway workloads given: {}",
                    show_labels(&gw.selector),
                    some(b.workloads.iter().map(Workload::describe))
                ),
            ));
        }
        *slot = found;
    }
}
