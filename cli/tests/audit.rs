//! `sni-guard audit` on the fixtures: what it reports, in both formats, and its exit codes.

mod common;

use common::{TempDir, conflict_titles, fixture_text, flat, sni_guard, sni_guard_stdin};
use serde_json::json;

/// What every audit without gateway pods in the input says it did not know.
const ASSUMED_DEFAULT: &str = "NOT KNOWN: assumed workload istio-system/istio-ingressgateway (app=istio-ingressgateway,istio=ingressgateway): Istio's default ingress gateway, as no gateway pods are in the input (give --workload-labels, or the gateway Deployments)";

/// What an audit says of the fixtures' wildcard credential, whose Secret is not given.
const UNREAD_WILDCARD: &str = "NOT KNOWN: certificates not in the input: credentialName \"wildcard-example-com\" (in istio-system). The verdict takes each to cover only the hosts of the servers that present it; a wildcard or multi-SAN certificate can cover more. Get them with `kubectl get secret -n istio-system wildcard-example-com -o yaml` and give them too (only the certificate, tls.crt, is read).";

#[test]
fn two_gateways_sharing_a_wildcard_certificate() {
    let out = sni_guard(&["audit", "two-gateways-shared-wildcard.yaml"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(out.stderr, "");
    assert!(
        flat(&out.stdout).contains(ASSUMED_DEFAULT),
        "{}",
        out.stdout
    );
    assert!(
        flat(&out.stdout).contains(UNREAD_WILDCARD),
        "{}",
        out.stdout
    );
    assert_eq!(conflict_titles(&out.stdout).len(), 1, "{}", out.stdout);
    let expected_start = "\
CONFLICT: certificate shared by 2 filter chains on workload istio-system/istio-ingressgateway (assumed), port 443
  credentialName \"wildcard-example-com\" presented by:
    istio-system/gw-a servers[1] (port https)  hosts: a.example.com  (two-gateways-shared-wildcard.yaml document 1)
    istio-system/gw-b servers[0] (port https)  hosts: b.example.com  (two-gateways-shared-wildcard.yaml document 2)
  Why: each server is its own TLS filter chain";
    assert!(out.stdout.starts_with(expected_start), "{}", out.stdout);
    let text = flat(&out.stdout);
    assert!(text.contains("Fix: merge these servers into one server that lists all their hosts (in one Gateway; bind the other Gateways' VirtualServices to it: sni-guard merge plans both, routing checked)"), "{text}");
    assert!(text.contains("or give each server its own certificate"));
    assert!(
        text.contains("sni-guard plugin-config --selector istio=ingressgateway --port 443 FILE...")
    );
    assert!(out.stdout.ends_with(
        "\n1 conflict found in what was given: 2 Gateways, 2 HTTPS servers on 1 workload port.\n"
    ));
}

#[test]
fn one_gateway_with_two_servers_on_443() {
    let out = sni_guard(&["audit", "one-gateway-two-servers.yaml"]);
    assert_eq!(out.code, 1);
    assert_eq!(conflict_titles(&out.stdout).len(), 1, "{}", out.stdout);
    assert!(out.stdout.contains("  credentialName \"shop-wildcard\" presented by:\n    shop/shop servers[0] (port https-www)  hosts: www.shop.example  (one-gateway-two-servers.yaml)\n    shop/shop servers[1] (port https-api)  hosts: api.shop.example  (one-gateway-two-servers.yaml)\n"), "{}", out.stdout);
    // One Gateway: nothing to say about other Gateways' VirtualServices.
    assert!(!out.stdout.contains("VirtualServices"));
}

#[test]
fn a_merged_gateway_is_clean() {
    let out = sni_guard(&["audit", "merged-gateway.yaml"]);
    assert_eq!(out.code, 0);
    assert_eq!(
        flat(&out.stdout),
        format!(
            "{UNREAD_WILDCARD} {ASSUMED_DEFAULT} No conflicts in what was given: 1 Gateway, 1 HTTPS server on 1 workload port."
        )
    );
    assert_eq!(out.stderr, "");
}

#[test]
fn different_workloads_are_clean() {
    let out = sni_guard(&["audit", "different-workloads.yaml"]);
    assert_eq!(out.code, 0);
    assert!(out.stdout.ends_with(
        "No conflicts in what was given: 2 Gateways, 2 HTTPS servers on 2 workload ports.\n"
    ));
    // The internal gateway's pods are assumed, so is the namespace its credential is read in.
    assert!(
        flat(&out.stdout)
            .contains("kubectl get secret -n GATEWAY_NAMESPACE wildcard-example-com -o yaml"),
        "{}",
        out.stdout
    );
}

#[test]
fn passthrough_tcp_mesh_and_plain_http_are_not_conflicts_without_an_https_server() {
    // Passthrough, TLS-to-TCP and ISTIO_MUTUAL servers are filter chains, but no HTTPS
    // connection of the gateway's own shares their port: nothing carries their hosts.
    let out = sni_guard(&["audit", "not-http-filter-chains.yaml"]);
    assert_eq!(out.code, 0);
    assert_eq!(
        flat(&out.stdout),
        format!(
            "{ASSUMED_DEFAULT} No conflicts in what was given: 1 Gateway, 6 TLS servers (0 HTTPS) on 3 workload ports."
        ),
        "no certificate of an HTTPS server to read"
    );
}

#[test]
fn namespace_host_forms() {
    let out = sni_guard(&["audit", "--format", "json", "namespace-hosts.yaml"]);
    assert_eq!(out.code, 1);
    let report = out.json();
    let servers = &report["conflicts"][0]["servers"];
    assert_eq!(servers[0]["gateway"], "team-a/team-a");
    assert_eq!(
        servers[0]["hosts"],
        json!(["team-a/a.example.com", "./*.a.example.com"])
    );
    assert_eq!(servers[1]["gateway"], "team-b/team-b");
    assert_eq!(servers[1]["hosts"], json!(["*/b.example.com"]));
}

#[test]
fn file_certificates() {
    let out = sni_guard(&["audit", "file-certificates.yaml"]);
    assert_eq!(out.code, 1);
    assert_eq!(conflict_titles(&out.stdout).len(), 1);
    assert!(out.stdout.contains("CONFLICT: certificate shared by 2 filter chains on workload pods labelled app=legacy-gateway (assumed), port 8443\n  serverCertificate \"/etc/istio/certs/tls.crt\" presented by:\n"), "{}", out.stdout);
    assert!(!out.stdout.contains("three.example.net"), "{}", out.stdout);
    assert!(flat(&out.stdout).contains("--selector app=legacy-gateway --port 8443"));
}

#[test]
fn a_host_on_two_servers() {
    let out = sni_guard(&["audit", "--format", "json", "duplicate-host.yaml"]);
    assert_eq!(out.code, 1);
    let report = out.json();
    assert_eq!(report["summary"]["conflicts"], 1);
    let conflict = &report["conflicts"][0];
    assert_eq!(conflict["kind"], "duplicate_host");
    assert_eq!(conflict["hosts"], json!(["a.example.com"]));
    assert_eq!(conflict["servers"][0]["gateway"], "web/gw-a");
    assert_eq!(conflict["servers"][1]["gateway"], "api/gw-a-copy");
    assert!(conflict.get("credentials").is_none());
}

#[test]
fn kubectl_list_from_stdin_as_json() {
    let out = sni_guard_stdin(
        &["audit", "--format", "json", "-"],
        fixture_text("kubectl-list.json").as_bytes(),
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    let report = out.json();
    assert_eq!(
        report["summary"],
        json!({"gateways": 3, "https_servers": 2, "tls_servers": 3, "workload_ports": 2, "conflicts": 1, "complete": false})
    );
    assert_eq!(
        report["not_known"].as_array().unwrap().len(),
        3,
        "{}",
        report["not_known"]
    );
    assert!(
        report["not_known"][1]
            .as_str()
            .unwrap()
            .starts_with("assumed workload istio-system/istio-ingressgateway")
    );
    assert_eq!(
        report["unread_credentials"][0]["credential"],
        json!({"credentialName": "wildcard-example-com"})
    );
    assert_eq!(report["unread_credentials"][0]["namespace"], "istio-system");
    assert_eq!(
        report["kubectl"],
        "kubectl get secret -n istio-system wildcard-example-com -o yaml"
    );
    let conflict = &report["conflicts"][0];
    assert_eq!(conflict["kind"], "shared_credential");
    assert_eq!(
        conflict["workload"],
        json!({"app": "istio-ingressgateway", "istio": "ingressgateway"})
    );
    assert_eq!(
        conflict["workload_name"],
        "istio-system/istio-ingressgateway"
    );
    assert_eq!(conflict["port"], 443);
    assert_eq!(conflict["bind"], json!(null));
    assert_eq!(
        conflict["credentials"],
        json!([{"credentialName": "wildcard-example-com"}])
    );
    assert_eq!(
        conflict["servers"],
        json!([
            {"gateway": "bookinfo/bookinfo-gateway", "api": "networking.istio.io", "namespace": "bookinfo",
             "name": "bookinfo-gateway", "kind": "Gateway", "server": 0, "port_name": "https", "chain": "HTTPS",
             "hosts": ["bookinfo.example.com"], "source": "<stdin> items[0]"},
            {"gateway": "httpbin/httpbin-gateway", "api": "networking.istio.io", "namespace": "httpbin",
             "name": "httpbin-gateway", "kind": "Gateway", "server": 1, "port_name": "https", "chain": "HTTPS",
             "hosts": ["httpbin/httpbin.example.com"], "source": "<stdin> items[1]"}
        ])
    );
    assert!(
        conflict["fix"]
            .as_str()
            .unwrap()
            .contains("merge these servers")
    );
}

#[test]
fn clean_json() {
    let out = sni_guard(&["audit", "--format", "json", "merged-gateway.yaml"]);
    assert_eq!(out.code, 0);
    let report = out.json();
    assert_eq!(report["conflicts"], json!([]));
    assert_eq!(report["unplaced"], json!([]));
    assert_eq!(
        report["summary"],
        json!({"gateways": 1, "https_servers": 1, "tls_servers": 1, "workload_ports": 1, "conflicts": 0, "complete": false})
    );
    assert_eq!(
        report["workloads"],
        json!([{"name": "istio-system/istio-ingressgateway", "namespace": "istio-system",
                "labels": {"app": "istio-ingressgateway", "istio": "ingressgateway"},
                "assumed": "Istio's default ingress gateway, as no gateway pods are in the input (give --workload-labels, or the gateway Deployments)",
                "controller": "istio"}])
    );
    assert_eq!(
        report["notes"],
        json!([]),
        "the report says what it did not know itself"
    );
    assert_eq!(report["not_known"].as_array().unwrap().len(), 2);
}

#[test]
fn several_files_are_audited_together() {
    let out = sni_guard(&[
        "audit",
        "one-gateway-two-servers.yaml",
        "file-certificates.yaml",
    ]);
    assert_eq!(out.code, 1);
    assert_eq!(conflict_titles(&out.stdout).len(), 2, "{}", out.stdout);
    assert!(out.stdout.ends_with(
        "3 conflicts (1 security) found in what was given: 2 Gateways, 5 HTTPS servers on 2 workload ports.\n"
    ));
    // shop's MUTUAL api server shares its certificate with the SIMPLE www server.
    assert!(out.stdout.starts_with("SECURITY: client-certificate check bypassed (possible) on workload istio-system/istio-ingressgateway (assumed), port 443\n"), "{}", out.stdout);
    // A Gateway split across files still meets its partner: gw-b alone is clean.
    let yaml = fixture_text("two-gateways-shared-wildcard.yaml");
    let (first, second) = yaml.split_once("\n---\n").unwrap();
    let dir = TempDir::new("audit");
    let (a, b) = (dir.write("a.yaml", first), dir.write("b.yaml", second));
    let alone = sni_guard(&["audit", &b]);
    assert_eq!(alone.code, 0, "{}", alone.stdout);
    let together = sni_guard(&["audit", &a, &b]);
    assert_eq!(together.code, 1, "{}", together.stdout);
}

#[test]
fn notes_go_to_stderr_and_into_the_json() {
    let input = format!(
        "{}\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {{name: k, namespace: x}}\nspec: {{gatewayClassName: istio, listeners: []}}\n---\napiVersion: gateway.networking.k8s.io/v9\nkind: Gateway\nmetadata: {{name: f}}\n",
        fixture_text("merged-gateway.yaml")
    );
    let out = sni_guard_stdin(&["audit", "--format", "json", "-"], input.as_bytes());
    assert_eq!(out.code, 0);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{}", out.stderr);
    assert_eq!(
        lines[0],
        "sni-guard: note: ignored 1 gateway.networking.k8s.io/v9 Gateway resource(s): this version is not understood"
    );
    assert_eq!(out.json()["notes"].as_array().unwrap().len(), 1);
    assert_eq!(out.json()["summary"]["gateways"], 2);
}

#[test]
fn each_settings_note_is_given_once() {
    let input = "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: istio-system}\nspec:\n  selector: {istio: ingressgateway}\n  servers:\n  - port: {number: 443, name: https, protocol: HTTPS}\n    hosts: [a.example.com]\n    tls: {credentialName: wildcard}\n";
    let note =
        "Gateway istio-system/gw servers[0] (port https): tls.credentialName without tls.mode";
    for format in ["human", "json"] {
        let out = sni_guard_stdin(&["audit", "--format", format, "-"], input.as_bytes());
        assert_eq!(out.code, 0, "{}", out.stderr);
        let on_stderr = out
            .stderr
            .lines()
            .filter(|l| l.starts_with(&format!("sni-guard: note: {note}")))
            .count();
        assert_eq!(on_stderr, 1, "{format}: {}", out.stderr);
        if format == "json" {
            let notes = out.json()["notes"].as_array().unwrap().clone();
            let in_json = notes
                .iter()
                .filter(|n| n.as_str().unwrap().starts_with(note))
                .count();
            assert_eq!(in_json, 1, "{notes:?}");
        }
    }
}

#[test]
fn the_readme_example_is_what_audit_prints() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let files = [
        "two-gateways-shared-wildcard.yaml",
        "passthrough-beside-wildcard.yaml",
    ];
    let command = format!("sni-guard audit {}\n```\n\n```\n", files.join(" "));
    let start = readme.find(&command).expect("the audit example") + command.len();
    let shown = &readme[start..][..readme[start..].find("```\n").unwrap()];
    let out = sni_guard(&[&["audit"][..], &files].concat());
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(out.stdout, shown);
}
