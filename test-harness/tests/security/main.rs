//! README.md's "Security: what enforcing SNI and authority closes", statement by statement, in
//! the real Envoy: each test first shows the hole without the filter (or with the weakening
//! option), then what sni-guard does about it, with statuses, bodies, the access log's
//! response code details and the counters exact.
//!
//! - `client_certificate`: topology (c), a MUTUAL server (`admin.example.com`) beside a SIMPLE
//!   wildcard one (`*.example.com`) on one certificate: the client-certificate bypass, closed
//!   by strict, re-opened by `exempt_hosts`, `log_only` and `check_http1: false`;
//! - `fail_strategy`: the same topology with sni-guard delivered as Istio delivers a
//!   WasmPlugin, and a module that cannot load: `FAIL_CLOSE` against `FAIL_OPEN`;
//! - `fronting`: topology (a), two SIMPLE servers: SNI of one, `:authority` of the other;
//! - `no_sni`: a connection without SNI, with a default chain and without one;
//! - `one_server`: names of one server share a connection.

mod client_certificate;
mod fail_strategy;
mod fronting;
mod no_sni;
mod one_server;

use sni_guard_harness::envoy::access_log::Entry;
use sni_guard_harness::envoy::topology::MUTUAL_SERVERS;
use sni_guard_harness::{Filter, Gateway, Protocol, Response, Result, Topology};

const WWW: Option<&str> = Some("www.example.com");
const ADMIN: Option<&str> = Some("admin.example.com");
const BOTH: [Protocol; 2] = [Protocol::Http2, Protocol::Http1];
const ADMIN_BODY: &str = "admin backend\n";
const WWW_BODY: &str = "www backend\n";
const MISDIRECTED: &str = "sni_guard_misdirected_request";

/// sni-guard with topology (c)'s servers table and `options` (`"mode":"log_only"`, ...).
fn mutual(options: &str) -> Filter {
    let options = match options {
        "" => String::new(),
        o => format!(",{o}"),
    };
    Filter::SniGuard(format!(r#"{{"servers":{MUTUAL_SERVERS}{options}}}"#))
}

/// Topology (c) with `filter` on Envoy `version`.
fn start_mutual(filter: &Filter, version: &str) -> Gateway {
    let gateway = Gateway::builder(Topology::MutualBesideWildcard)
        .filter(filter)
        .version(version)
        .start()
        .unwrap();
    assert_eq!(gateway.envoy.version(), version);
    gateway
}

/// The bypass: no client certificate, SNI www.example.com, `:authority` admin.example.com.
fn bypass(gateway: &Gateway, protocol: Protocol) -> Response {
    let client = gateway.client().unwrap();
    client.get(protocol, WWW, "admin.example.com").unwrap()
}

/// sni-guard's counters (`misdirected`, `log_only_mismatches`, `no_sni`), zero when Envoy
/// reports none.
fn counters(gateway: &Gateway) -> [u64; 3] {
    let all = gateway.envoy.sni_guard_counters().unwrap();
    ["misdirected", "log_only_mismatches", "no_sni"].map(|n| all.get(n).copied().unwrap_or(0))
}

/// A request on a connection the server refused in the TLS handshake. With TLS 1.3 the
/// client's side of the handshake ends before the server has checked the client's
/// certificate, so the refusal (alert 116, `certificate_required`) arrives with the first
/// read; an HTTP/2 client writes its preface first and may see the closed socket (broken
/// pipe) instead. Envoy's `ssl.fail_verify_no_cert`, asserted by the callers, says why.
fn assert_no_certificate_refused(result: Result<Response>, protocol: Protocol) {
    let error = result
        .expect_err("a request without a certificate on the MUTUAL chain")
        .to_string();
    let alert = error.contains("CertificateRequired");
    let closed = protocol == Protocol::Http2 && error.contains("broken pipe");
    assert!(alert || closed, "{protocol:?}: {error}");
}

/// The access log's entries for `authority`, as (filter chain, status, details, protocol).
fn logged<'a>(log: &'a [Entry], authority: &str) -> Vec<(&'a str, u16, &'a str, &'a str)> {
    log.iter()
        .filter(|e| e.authority.as_deref() == Some(authority))
        .map(|e| {
            (
                e.filter_chain.as_str(),
                e.status,
                e.details.as_str(),
                e.protocol.as_str(),
            )
        })
        .collect()
}
