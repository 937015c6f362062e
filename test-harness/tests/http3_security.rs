//! The client-certificate bypass over HTTP/3: topology (c) (a MUTUAL server `admin` beside a
//! SIMPLE wildcard server `www` on one certificate) with QUIC listeners as istiod renders
//! them with `PILOT_ENABLE_QUIC_LISTENERS=true`.
//!
//! istiod builds a QUIC chain for every HTTPS server that terminates TLS, MUTUAL ones
//! included (pkg/config/gateway/gateway.go, `IsEligibleForHTTP3Upgrade`), and for QUIC sets
//! `require_client_certificate: false` whatever the mode (pilot/pkg/networking/core/
//! listener.go, `BuildListenerTLSContext`, "TODO(envoyproxy/envoy#23809) support this in
//! Envoy"). With `credentialName` it keeps the client CA (a combined validation context),
//! which `quic::enable` keeps too; with file-mounted certificates it drops it.
//! So over HTTP/3 the MUTUAL host needs no certificate at all, on its own chain: SNI and
//! `:authority` agree, and sni-guard has nothing to refuse. Envoy 1.36.4 refuses the
//! requirement on a QUIC chain (istiod's reason); Envoy 1.40.0 accepts and enforces it.

use sni_guard_harness::client::BODY_421;
use sni_guard_harness::envoy::gateway::{Builder, Outcome};
use sni_guard_harness::envoy::topology::MUTUAL_SERVERS;
use sni_guard_harness::{
    Filter, Gateway, Protocol, Topology, default_version, envoy::quic, oldest_version,
};
use yaml_serde::Value;

const WWW: Option<&str> = Some("www.example.com");
const ADMIN: Option<&str> = Some("admin.example.com");
const ADMIN_BODY: &str = "admin backend\n";
const WWW_BODY: &str = "www backend\n";

fn start(filter: &Filter) -> Gateway {
    let gateway = Gateway::builder(Topology::MutualBesideWildcard)
        .filter(filter)
        .version(default_version())
        .edit(quic::enable)
        .start()
        .unwrap();
    assert_eq!(gateway.envoy.version(), default_version());
    gateway
}

fn strict() -> Filter {
    Filter::SniGuard(format!(r#"{{"mode":"strict","servers":{MUTUAL_SERVERS}}}"#))
}

/// The QUIC listener's chain for `name`'s downstream TLS context.
fn quic_tls<'a>(config: &'a Value, name: &str) -> &'a Value {
    let listeners = config["static_resources"]["listeners"]
        .as_sequence()
        .unwrap();
    let udp = listeners
        .iter()
        .find(|l| l["name"].as_str() == Some(quic::QUIC_LISTENER))
        .unwrap();
    let chain = udp["filter_chains"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|c| c["name"].as_str() == Some(name))
        .unwrap();
    &chain["transport_socket"]["typed_config"]["downstream_tls_context"]
}

/// As istiod renders it: a QUIC chain for the MUTUAL server, the client CA kept, the
/// requirement off; the TCP chain keeps it.
#[test]
fn the_mutual_servers_quic_chain_requires_no_client_certificate() {
    let gateway = start(&Filter::None);
    let admin = quic_tls(&gateway.config, "admin");
    assert_eq!(admin["require_client_certificate"].as_bool(), Some(false));
    assert!(admin["common_tls_context"]["validation_context"]["trusted_ca"].is_mapping());
    let tcp = &gateway.config["static_resources"]["listeners"][0]["filter_chains"][1];
    assert_eq!(tcp["name"].as_str(), Some("admin"));
    let tcp_tls = &tcp["transport_socket"]["typed_config"];
    assert_eq!(tcp_tls["require_client_certificate"].as_bool(), Some(true));
}

/// The premise over HTTP/3: no certificate, SNI www, `:authority` admin: admin's backend
/// through www's route table. And the finding: SNI admin without a certificate is served
/// too (over TCP the handshake refuses it).
#[test]
fn without_the_filter_http3_reaches_the_mutual_host_without_a_certificate() {
    let gateway = start(&Filter::None);
    let client = gateway.client().unwrap();
    let bypass = client.h3(WWW).unwrap().get("admin.example.com").unwrap();
    assert_eq!((bypass.status, bypass.body.as_str()), (200, ADMIN_BODY));
    let own_chain = client.h3(ADMIN).unwrap().get("admin.example.com").unwrap();
    assert_eq!(
        (own_chain.status, own_chain.body.as_str()),
        (200, ADMIN_BODY)
    );
    let tcp = client.get(Protocol::Http2, ADMIN, "admin.example.com");
    assert!(tcp.is_err(), "TCP without a certificate: {tcp:?}");
    assert_eq!(gateway.tls_stats().unwrap()["fail_verify_no_cert"], 1);
    assert!(gateway.envoy.sni_guard_counters().unwrap().is_empty());
    let log = gateway.stop().unwrap().access_log;
    let admin: Vec<_> = log
        .iter()
        .filter(|e| e.authority.as_deref() == Some("admin.example.com"))
        .map(|e| (e.sni.as_deref(), e.status, e.protocol.as_str()))
        .collect();
    assert_eq!(
        admin,
        [(WWW, 200, "HTTP/3"), (ADMIN, 200, "HTTP/3")],
        "{log:#?}"
    );
}

/// Strict closes the coalesced bypass over HTTP/3 (421 on www's chain) but cannot close
/// the QUIC chain's own hole: SNI admin, no certificate, admin's backend.
#[test]
fn strict_refuses_the_coalesced_bypass_but_not_the_mutual_chain_without_a_certificate() {
    let gateway = start(&strict());
    let client = gateway.client().unwrap();
    let mut www = client.h3(WWW).unwrap();
    let bypass = www.get("admin.example.com").unwrap();
    assert_eq!((bypass.status, bypass.body.as_str()), (421, BODY_421));
    let own = www.get("www.example.com").unwrap();
    assert_eq!((own.status, own.body.as_str()), (200, WWW_BODY));
    let own_chain = client.h3(ADMIN).unwrap().get("admin.example.com").unwrap();
    assert_eq!(
        (own_chain.status, own_chain.body.as_str()),
        (200, ADMIN_BODY)
    );
    let certified = gateway.client_with_certificate().unwrap();
    let with_certificate = certified.h3(ADMIN).unwrap().get("admin.example.com");
    assert_eq!(with_certificate.unwrap().status, 200);
    assert_eq!(gateway.counter("misdirected").unwrap(), 1);
    assert_eq!(gateway.counter("log_only_mismatches").unwrap(), 0);
    drop(www);
    let log = gateway.stop().unwrap().access_log;
    let refused: Vec<_> = log.iter().filter(|e| e.status == 421).collect();
    assert_eq!(refused.len(), 1, "{log:#?}");
    assert_eq!(refused[0].sni.as_deref(), WWW);
    assert_eq!(refused[0].details, "sni_guard_misdirected_request");
    assert_eq!(refused[0].protocol, "HTTP/3");
}

/// The requirement left on in the QUIC chain (not what istiod renders).
fn kept_on_quic(version: &str) -> Builder {
    Gateway::builder(Topology::MutualBesideWildcard)
        .filter(&Filter::None)
        .version(version)
        .edit(|config| {
            quic::enable(config)?;
            require_on_quic_admin(config);
            Ok(())
        })
}

/// Envoy 1.40 enforces it over QUIC as over TCP: no certificate, handshake refused
/// (`certificate required`); with one, admin's backend. istiod's reason is gone there.
#[test]
fn the_default_envoy_1_40_enforces_the_requirement_over_quic_when_kept() {
    let gateway = kept_on_quic(default_version()).start().unwrap();
    assert_eq!(
        quic_tls(&gateway.config, "admin")["require_client_certificate"].as_bool(),
        Some(true)
    );
    let client = gateway.client().unwrap();
    let refused = client
        .h3(ADMIN)
        .and_then(|mut h3| h3.get("admin.example.com"));
    let error = refused
        .expect_err("SNI admin without a certificate")
        .to_string();
    assert!(error.contains("certificate required"), "{error}");
    let certified = gateway.client_with_certificate().unwrap();
    let admin = certified
        .h3(ADMIN)
        .unwrap()
        .get("admin.example.com")
        .unwrap();
    assert_eq!((admin.status, admin.body.as_str()), (200, ADMIN_BODY));
}

/// Envoy 1.36 refuses the configuration: istiod's reason held there.
#[test]
fn the_oldest_envoy_1_36_refuses_the_requirement_on_a_quic_chain() {
    let Outcome::Refused(exited) = kept_on_quic(oldest_version()).launch().unwrap() else {
        panic!(
            "Envoy {} started with client authentication over QUIC",
            oldest_version()
        );
    };
    let refusal = "TLS Client Authentication is not supported over QUIC";
    assert!(exited.stderr.contains(refusal), "{}", exited.stderr);
}

fn require_on_quic_admin(config: &mut Value) {
    let listeners = config["static_resources"]["listeners"].as_sequence_mut();
    for listener in listeners.into_iter().flatten() {
        if listener["name"].as_str() != Some(quic::QUIC_LISTENER) {
            continue;
        }
        let chains = listener["filter_chains"].as_sequence_mut();
        for chain in chains.into_iter().flatten() {
            if chain["name"].as_str() == Some("admin") {
                let socket = &mut chain["transport_socket"]["typed_config"];
                socket["downstream_tls_context"]["require_client_certificate"] = true.into();
            }
        }
    }
}
