//! What the Gateways mean on the gateway workloads: the resources read ([`gateway`],
//! [`istio`], [`gateway_api`], [`workload`], [`certs`]), where each Gateway lands
//! ([`placement`]), and the listeners and filter chains that makes ([`layout`]).

pub mod certs;
pub mod chain;
pub mod classes;
pub mod envoy_gateway;
pub mod first_seen;
pub mod gateway;
pub mod gateway_api;
pub mod grants;
pub mod groups;
pub mod istio;
pub mod istiod;
pub mod kube;
pub mod labels;
pub mod layout;
pub mod listener_sets;
pub mod placement;
pub mod routes;
pub mod workload;

#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod tests;
