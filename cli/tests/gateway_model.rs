//! The audit's model of a gateway, through the real binary: coverage by certificate (not
//! only by equal credentials), PASSTHROUGH servers, workloads by pod labels, Gateway API
//! Gateways, and real certificate names from Secrets and cert-manager Certificates.

mod common;

use common::{TempDir, conflict_titles, fixture_text, flat, sni_guard, without_notes};
use serde_json::json;

#[test]
fn two_certificates_still_coalesce_when_one_covers_the_other_servers_host() {
    let out = sni_guard(&["audit", "different-certificates.yaml"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_eq!(
        conflict_titles(&out.stdout),
        [
            "CONFLICT: host of one filter chain covered by another's certificate on workload istio-system/istio-ingressgateway (assumed), port 443"
        ]
    );
    assert!(out.stdout.contains("  a connection made for:\n    istio-system/www servers[0] (port https)  hosts: *.example.com  (different-certificates.yaml document 1)\n  can carry requests for api.example.com of:\n    istio-system/api servers[0] (port https)  hosts: api.example.com  (different-certificates.yaml document 2)\n"), "{}", out.stdout);
    let json = sni_guard(&["audit", "--format", "json", "different-certificates.yaml"]).json();
    let conflict = &json["conflicts"][0];
    assert_eq!(conflict["kind"], "covered_host");
    assert_eq!(conflict["hosts"], json!(["api.example.com"]));
    assert_eq!(conflict["connection"][0]["gateway"], "istio-system/www");
    assert_eq!(conflict["request"]["gateway"], "istio-system/api");
    assert_eq!(
        conflict["covered_by"],
        json!({"names": ["*.example.com"], "evidence": "the hosts of istio-system/www servers[0] (port https)"})
    );
}

#[test]
fn a_passthrough_server_beside_a_wildcard_is_a_conflict() {
    let out = sni_guard(&[
        "audit",
        "--format",
        "json",
        "passthrough-beside-wildcard.yaml",
    ]);
    assert_eq!(out.code, 1);
    let report = out.json();
    assert_eq!(report["summary"]["tls_servers"], 2);
    assert_eq!(report["summary"]["https_servers"], 1);
    let conflict = &report["conflicts"][0];
    assert_eq!(conflict["request"]["chain"], "TLS passthrough");
    assert!(
        conflict["why"]
            .as_str()
            .unwrap()
            .contains("instead of being passed through")
    );
}

#[test]
fn the_real_names_of_secrets_decide() {
    let dir = TempDir::new("secrets");
    let narrow = dir.write(
        "narrow.yaml",
        &common::tls_secret_yaml("istio-system", "wildcard-example-com", &["www.example.com"]),
    );
    let out = sni_guard(&["audit", "different-certificates.yaml", &narrow]);
    // The wildcard server's certificate names www only: nothing to coalesce onto, but the
    // server's other hosts get a certificate error.
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_eq!(
        conflict_titles(&out.stdout),
        [
            "CONFLICT: host not named by its own certificate on workload istio-system/istio-ingressgateway (assumed), port 443"
        ],
        "{}",
        out.stdout
    );
    let wide = dir.write(
        "wide.yaml",
        &common::tls_secret_yaml(
            "istio-system",
            "wildcard-example-com",
            &["*.example.com", "example.com"],
        ),
    );
    let out = sni_guard(&[
        "audit",
        "--format",
        "json",
        "different-certificates.yaml",
        &wide,
    ]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.json()["conflicts"][0]["covered_by"],
        json!({"names": ["*.example.com"], "evidence": "Secret istio-system/wildcard-example-com"})
    );
    let broken = dir.write(
        "broken.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: wildcard-example-com, namespace: istio-system}\nstringData: {tls.crt: not a certificate}\n",
    );
    let out = sni_guard(&["audit", "different-certificates.yaml", &broken]);
    assert_eq!(out.code, 1, "falls back to the hosts: {}", out.stdout);
    assert!(
        out.stderr
            .contains("sni-guard: note: Secret istio-system/wildcard-example-com ("),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("tls.crt: not a PEM certificate"),
        "{}",
        out.stderr
    );
}

#[test]
fn cert_manager_certificates_name_what_their_secret_will_hold() {
    let dir = TempDir::new("cert-manager");
    let certificate = dir.write(
        "certificate.yaml",
        "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: api, namespace: istio-system}\nspec: {secretName: api-example-com, dnsNames: [api.example.com, www.example.com], issuerRef: {name: letsencrypt}}\n",
    );
    let out = sni_guard(&[
        "audit",
        "--format",
        "json",
        "different-certificates.yaml",
        &certificate,
    ]);
    assert_eq!(out.code, 1);
    let report = out.json();
    let evidence: Vec<&str> = report["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["covered_by"]["evidence"].as_str().unwrap())
        .collect();
    assert!(
        evidence.contains(&"Certificate istio-system/api (dnsNames)"),
        "the api certificate covers www, the wildcard server's: {evidence:?}"
    );
}

#[test]
fn selectors_of_the_same_pods_are_one_workload() {
    let out = sni_guard(&["audit", "workload-selectors.yaml"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        conflict_titles(&out.stdout),
        [
            "CONFLICT: certificate shared by 4 filter chains on workload istio-system/istio-ingressgateway (assumed), port 443"
        ]
    );
}

#[test]
fn given_pods_place_the_gateways_and_the_rest_is_reported() {
    let out = sni_guard(&[
        "audit",
        "--workload-labels",
        "istio=ingressgateway",
        "workload-selectors.yaml",
    ]);
    assert_eq!(out.code, 1);
    assert_eq!(out.stderr, "", "nothing assumed");
    assert!(
        out.stdout.contains("CONFLICT: certificate shared by 2 filter chains on workload pods labelled istio=ingressgateway, port 443"),
        "{}",
        out.stdout
    );
    assert!(flat(&out.stdout).contains("NOT AUDITED: Gateway web/by-app (workload-selectors.yaml document 2): it lands on no gateway workload: its selector app=istio-ingressgateway selects none of the gateway workloads given: pods labelled istio=ingressgateway"), "{}", out.stdout);
    let json = sni_guard(&[
        "audit",
        "--format",
        "json",
        "--workload-labels",
        "istio=ingressgateway",
        "workload-selectors.yaml",
    ])
    .json();
    assert_eq!(json["unplaced"].as_array().unwrap().len(), 2);
}

#[test]
fn deployments_in_the_input_are_the_workloads() {
    let dir = TempDir::new("deployments");
    let deployment = dir.write(
        "deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: istio-ingressgateway, namespace: istio-system}\nspec:\n  template:\n    metadata:\n      labels: {app: istio-ingressgateway, istio: ingressgateway, istio.io/rev: default}\n      annotations: {inject.istio.io/templates: gateway}\n",
    );
    let out = sni_guard(&["audit", "workload-selectors.yaml", &deployment]);
    assert_eq!(out.code, 1);
    assert_eq!(out.stderr, "");
    assert!(out.stdout.starts_with("CONFLICT: certificate shared by 4 filter chains on workload Deployment istio-system/istio-ingressgateway, port 443\n"), "{}", out.stdout);
}

#[test]
fn gateway_api_gateways_are_audited() {
    let out = sni_guard(&["audit", "gateway-api-conformance.yaml"]);
    assert_eq!(out.code, 1);
    assert!(out.stdout.starts_with("CONFLICT: certificate shared by 4 filter chains on workload Gateway API deployment gateway-conformance-infra/same-namespace-with-https-listener-istio (assumed), port 443\n  Secret gateway-conformance-infra/tls-validity-checks-certificate presented by:\n"), "{}", out.stdout);
    assert!(flat(&out.stdout).contains("sni-guard plugin-config --gateway gateway-conformance-infra/same-namespace-with-https-listener --port 443"));
    // A manual deployment on the default ingress gateway meets the Istio Gateways there.
    let shared = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: shop, namespace: shop}\nspec:\n  gatewayClassName: istio\n  addresses: [{type: Hostname, value: istio-ingressgateway.istio-system.svc.cluster.local}]\n  listeners:\n  - {name: https, hostname: shop.example.com, port: 443, protocol: HTTPS, tls: {certificateRefs: [{name: wildcard-example-com, namespace: istio-system}]}}\n";
    let dir = TempDir::new("manual");
    // A certificate in another namespace is used only where a ReferenceGrant allows it.
    let alone = dir.write("alone.yaml", shared);
    let out = sni_guard(&["audit", "different-certificates.yaml", &alone]);
    assert!(flat(&out.stdout).contains("NOT KNOWN: Gateway API Gateway shop/shop listeners[0] (https): its certificateRef Secret istio-system/wildcard-example-com is in another namespace and no ReferenceGrant in the input allows it, so istiod does not program the listener; it is left out"), "{}", out.stdout);
    let grant = "---\napiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\nmetadata: {name: shop, namespace: istio-system}\nspec:\n  from: [{group: gateway.networking.k8s.io, kind: Gateway, namespace: shop}]\n  to: [{group: '', kind: Secret, name: wildcard-example-com}]\n";
    let file = dir.write("shop.yaml", &format!("{shared}{grant}"));
    let out = sni_guard(&[
        "audit",
        "--format",
        "json",
        "different-certificates.yaml",
        &file,
    ]);
    let covered: Vec<(String, String)> = out.json()["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["kind"].as_str().unwrap().to_owned(),
                c["request"]["gateway"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert!(
        covered.contains(&("covered_host".to_owned(), "shop/shop".to_owned())),
        "{covered:?}"
    );
}

#[test]
fn a_file_named_twice_is_read_once() {
    let out = sni_guard(&[
        "audit",
        "two-gateways-shared-wildcard.yaml",
        "two-gateways-shared-wildcard.yaml",
    ]);
    assert_eq!(out.code, 1);
    assert_eq!(conflict_titles(&out.stdout).len(), 1);
    assert!(out.stderr.contains(
        "sni-guard: note: two-gateways-shared-wildcard.yaml is named twice: read once\n"
    ));
    assert!(!out.stderr.contains("appears twice"), "{}", out.stderr);
}

#[test]
fn a_gateway_changed_between_files_is_noted() {
    let dir = TempDir::new("changed");
    let text = fixture_text("merged-gateway.yaml");
    let first = dir.write("first.yaml", &text);
    let second = dir.write(
        "second.yaml",
        &text.replace("b.example.com", "c.example.com"),
    );
    let out = sni_guard(&["audit", &first, &second]);
    assert_eq!(out.code, 0);
    let notes = without_notes(&out.stderr);
    assert_eq!(notes, "", "only notes on stderr");
    assert!(
        out.stderr.contains("appears twice with different contents"),
        "{}",
        out.stderr
    );
}
