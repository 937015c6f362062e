//! The client-certificate bypass in the audit and in plugin-config: a server that asks for
//! client certificates beside an HTTPS server that does not, whose certificate covers its host,
//! is a security finding ranked first, live when a VirtualService routes the host on the
//! weaker server; and a WasmPlugin for such a table fails closed unless told otherwise.

#![allow(clippy::indexing_slicing)] // test helpers may fail loudly

mod common;

use common::{TempDir, documents, flat, sni_guard, write_checked};
use serde_json::{Value, json};
use sni_guard_harness::checks::crds;

const GATEWAYS: &str = "apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: admin, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https-admin, protocol: HTTPS}
    hosts: [admin.example.com]
    tls: {mode: MUTUAL, credentialName: wildcard}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: www, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: ['*.example.com']
    tls: {mode: SIMPLE, credentialName: wildcard}
";

/// A VirtualService for admin.example.com bound to `gateways`.
fn admin_routes(gateways: &str) -> String {
    format!(
        "---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: admin, namespace: admin}}\nspec:\n  hosts: [admin.example.com]\n  gateways: [{gateways}]\n  http:\n  - route:\n    - destination: {{host: admin.admin.svc.cluster.local}}\n"
    )
}

fn first(file: &str) -> Value {
    let out = sni_guard(&["audit", "--format", "json", file]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    out.json()["conflicts"][0].clone()
}

#[test]
fn a_mutual_host_routed_on_the_simple_server_is_a_live_bypass_ranked_first() {
    let dir = TempDir::new("bypass-live");
    let both = admin_routes("istio-system/admin, istio-system/www");
    let file = write_checked(&dir, "live.yaml", &format!("{GATEWAYS}{both}"));
    let c = first(&file);
    assert_eq!(c["kind"], "client_certificate_bypass");
    assert_eq!(c["status"], "live");
    assert_eq!(c["hosts"], json!(["admin.example.com"]));
    assert_eq!(c["protected"]["gateway"], "istio-system/admin");
    assert_eq!(c["connection"][0]["gateway"], "istio-system/www");
    assert_eq!(c["virtual_services"], json!(["admin/admin"]));
    assert!(c["fix"].as_str().unwrap().contains("Never merge them"));
    let human = sni_guard(&["audit", &file]);
    assert!(human.stdout.starts_with("SECURITY: client-certificate check bypassed (live) on workload istio-system/istio-ingressgateway (assumed), port 443\n"), "{}", human.stdout);
    assert!(flat(&human.stdout).contains("Routed there by: admin/admin"));
    assert!(
        human.stdout.contains("2 conflicts (1 security) found"),
        "{}",
        human.stdout
    );
    // istiod's QUIC chains ask for no client certificate: the report says what that would do.
    assert!(flat(&human.stdout).contains("NOT KNOWN: whether istiod runs with PILOT_ENABLE_QUIC_LISTENERS=true: then its QUIC chain for istio-system/admin servers[0] (port https-admin) asks for no client certificate"), "{}", human.stdout);
}

#[test]
fn without_a_route_on_the_weaker_server_it_is_possible_and_says_why() {
    let dir = TempDir::new("bypass-possible");
    let cases = [
        (String::new(), "the input holds no VirtualService"),
        (
            admin_routes("istio-system/admin"),
            "no VirtualService in the input routes these hosts on that server; one outside it may",
        ),
    ];
    for (routes, why) in cases {
        let file = write_checked(&dir, "possible.yaml", &format!("{GATEWAYS}{routes}"));
        let c = first(&file);
        assert_eq!(c["kind"], "client_certificate_bypass");
        assert_eq!(c["status"], "possible");
        assert_eq!(c["virtual_services"], json!([]));
        assert!(c["not_known"].as_str().unwrap().starts_with(why), "{c}");
    }
}

#[test]
fn certificates_that_do_not_cover_the_protected_host_close_it() {
    // Separate certificates, read: the www server's names only www.example.com.
    let dir = TempDir::new("bypass-certificates");
    let separate = GATEWAYS
        .replace(
            "tls: {mode: SIMPLE, credentialName: wildcard}",
            "tls: {mode: SIMPLE, credentialName: www}",
        )
        .replace("['*.example.com']", "[www.example.com]");
    let secret = common::tls_secret_yaml("istio-system", "www", &["www.example.com"]);
    let file = write_checked(&dir, "closed.yaml", &format!("{separate}---\n{secret}"));
    let out = sni_guard(&["audit", "--format", "json", &file]);
    let kinds: Vec<String> = out.json()["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        !kinds.contains(&"client_certificate_bypass".to_owned()),
        "{kinds:?}"
    );
    // A read certificate that does cover it opens it again.
    let wide =
        common::tls_secret_yaml("istio-system", "www", &["www.example.com", "*.example.com"]);
    let file = write_checked(&dir, "open.yaml", &format!("{separate}---\n{wide}"));
    let c = first(&file);
    assert_eq!(c["kind"], "client_certificate_bypass");
    assert!(
        c["covered_by"]["evidence"]
            .as_str()
            .unwrap()
            .contains("Secret istio-system/www"),
        "{c}"
    );
}

#[test]
fn gateway_api_listeners_that_ask_for_client_certificates() {
    let dir = TempDir::new("bypass-gateway-api");
    let audit = |name: &str, text: &str| {
        if let Some(gateway_api) = crds::gateway_api("gateway_api_listeners_that_ask") {
            gateway_api.validate(&documents(text)[0]).unwrap();
        }
        let out = sni_guard(&["audit", "--format", "json", &dir.write(name, text)]);
        out.json()["conflicts"].as_array().unwrap().clone()
    };
    // Istio's option makes one listener MUTUAL: the wildcard listener beside it is the way in.
    let option = "apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: istio
  listeners:
  - name: admin
    port: 443
    protocol: HTTPS
    hostname: admin.example.com
    tls: {certificateRefs: [{name: wild}], options: {gateway.istio.io/tls-terminate-mode: MUTUAL}}
  - {name: www, port: 443, protocol: HTTPS, hostname: '*.example.com', tls: {certificateRefs: [{name: wild}]}}
";
    let conflicts = audit("option.yaml", option);
    let c = &conflicts[0];
    assert_eq!(c["kind"], "client_certificate_bypass");
    assert_eq!(c["status"], "possible");
    assert_eq!(c["protected"]["port_name"], "admin");
    assert!(
        c["not_known"]
            .as_str()
            .unwrap()
            .starts_with("HTTPRoutes are not read")
    );
    // Frontend validation is per port: every listener on 8443 asks, so none is a way in.
    let frontend = "apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: istio
  tls:
    frontend:
      default: {}
      perPort:
      - port: 8443
        tls: {validation: {caCertificateRefs: [{group: '', kind: ConfigMap, name: client-ca}]}}
  listeners:
  - {name: admin, port: 8443, protocol: HTTPS, hostname: admin.example.com, tls: {certificateRefs: [{name: wild}]}}
  - {name: www, port: 8443, protocol: HTTPS, hostname: '*.example.com', tls: {certificateRefs: [{name: wild}]}}
";
    let kinds: Vec<Value> = audit("frontend.yaml", frontend)
        .iter()
        .map(|c| c["kind"].clone())
        .collect();
    assert_eq!(kinds, [json!("shared_credential")]);
}

#[test]
fn the_wasmplugin_for_such_a_table_fails_closed_unless_told_otherwise() {
    let dir = TempDir::new("fail-close");
    let file = write_checked(&dir, "gateways.yaml", GATEWAYS);
    let closed = sni_guard(&["plugin-config", "--wasmplugin", "--placeholder-url", &file]);
    assert_eq!(closed.code, 0, "{}", closed.stderr);
    let plugin: Value = yaml_serde::from_str(&closed.stdout).unwrap();
    assert_eq!(plugin["spec"]["failStrategy"], "FAIL_CLOSE");
    assert!(closed.stderr.contains("sni-guard: note: failStrategy FAIL_CLOSE: istio-system/admin servers[0] (port https-admin) asks for client certificates"), "{}", closed.stderr);
    let open = sni_guard(&[
        "plugin-config",
        "--wasmplugin",
        "--placeholder-url",
        "--fail-strategy",
        "FAIL_OPEN",
        &file,
    ]);
    assert_eq!(open.code, 0, "{}", open.stderr);
    let plugin_open: Value = yaml_serde::from_str(&open.stdout).unwrap();
    assert_eq!(plugin_open["spec"]["failStrategy"], "FAIL_OPEN");
    assert!(open.stderr.contains("sni-guard: warning: failStrategy FAIL_OPEN although istio-system/admin servers[0] (port https-admin) asks for client certificates"), "{}", open.stderr);
    if let Some(istio) = crds::istio("fail_close_wasmplugin") {
        istio.validate(&plugin).unwrap();
        istio.validate(&plugin_open).unwrap();
    }
    // Without a protected server the default stays FAIL_OPEN, and nothing is said of it.
    let plain = write_checked(
        &dir,
        "plain.yaml",
        &GATEWAYS.replace("mode: MUTUAL", "mode: SIMPLE"),
    );
    let out = sni_guard(&["plugin-config", "--wasmplugin", "--placeholder-url", &plain]);
    let manifest: Value = yaml_serde::from_str(&out.stdout).unwrap();
    assert_eq!(manifest["spec"]["failStrategy"], "FAIL_OPEN");
    assert!(!out.stderr.contains("failStrategy"), "{}", out.stderr);
}
