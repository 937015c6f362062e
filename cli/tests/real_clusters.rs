//! One regression test for each way the CLI failed on manifests from real clusters: null
//! fields, `kubectl get` output, ListenerSets, Gateways of other controllers, silent blind
//! spots, false positives, and a suggested command that failed on its own input. Every
//! Istio and Gateway API object written here matches its CRD schema.

#![allow(clippy::unwrap_used)] // test helpers may fail loudly

mod common;

use common::{TempDir, conflict_titles, flat, sni_guard, write_checked};
use serde_json::{Value, json};
use sni_guard_harness::checks::crds;

fn https(hosts: &[&str], credential: &str) -> Value {
    json!({"port": {"number": 443, "name": "https", "protocol": "HTTPS"}, "hosts": hosts,
           "tls": {"mode": "SIMPLE", "credentialName": credential}})
}

fn istio_gateway(name: &str, servers: Value) -> Value {
    json!({"apiVersion": "networking.istio.io/v1", "kind": "Gateway",
           "metadata": {"name": name, "namespace": "istio-system"},
           "spec": {"selector": {"istio": "ingressgateway"}, "servers": servers}})
}

fn yaml(docs: &[Value]) -> String {
    docs.iter()
        .map(|d| format!("---\n{}", yaml_serde::to_string(d).unwrap()))
        .collect()
}

fn kinds(report: &Value) -> Vec<String> {
    report["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn kubectl_get_output_with_nulls_status_and_managed_fields_is_read() {
    let mut list = json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": [
        istio_gateway("gw-a", json!([https(&["a.example.com"], "wild")])),
        istio_gateway("gw-b", json!([https(&["b.example.com"], "wild")])),
        {"apiVersion": "apps/v1", "kind": "Deployment",
         "metadata": {"name": "istio-ingressgateway", "namespace": "istio-system", "annotations": null,
                      "managedFields": [{"manager": "helm", "operation": "Update", "fieldsV1": {"f:spec": {}}}]},
         "spec": {"selector": {"matchLabels": {"istio": "ingressgateway"}}, "template": {
             "metadata": {"labels": {"istio": "ingressgateway", "app": "istio-ingressgateway"}, "annotations": null},
             "spec": {"containers": [{"name": "istio-proxy", "args": null, "env": [{"name": "A", "value": null}]}]}}},
         "status": {"replicas": 2, "conditions": null}}
    ]});
    for gw in list["items"].as_array_mut().unwrap().iter_mut().take(2) {
        gw["metadata"]["creationTimestamp"] = json!("2026-01-02T03:04:05Z");
        gw["metadata"]["managedFields"] = json!([{"manager": "kubectl"}]);
        gw["metadata"]["annotations"] = Value::Null;
        gw["status"] = json!({});
    }
    let dir = TempDir::new("kubectl-get");
    let file = dir.write("list.json", &list.to_string());
    let out = sni_guard(&["audit", "--format", "json", &file]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(out.stderr, "", "nothing left out, nothing assumed");
    let report = out.json();
    assert_eq!(kinds(&report), ["shared_credential"]);
    assert_eq!(
        report["conflicts"][0]["workload_name"],
        "Deployment istio-system/istio-ingressgateway"
    );
}

const PARENT: &str = "apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: shared, namespace: infra}
spec:
  gatewayClassName: istio
  allowedListeners: {namespaces: {from: All}}
  listeners:
  - {name: http, port: 80, protocol: HTTP}
";

fn listener_set(api: &str, kind: &str, ns: &str, host: &str) -> String {
    format!(
        "---\napiVersion: {api}\nkind: {kind}\nmetadata: {{name: {ns}-listeners, namespace: {ns}}}\nspec:\n  parentRef: {{name: shared, namespace: infra}}\n  listeners:\n  - name: https\n    port: 443\n    protocol: HTTPS\n    hostname: {host}\n    tls: {{certificateRefs: [{{name: wild, namespace: certs}}]}}\n"
    )
}

const GRANT: &str = "---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: listener-sets, namespace: certs}
spec:
  from:
  - {group: gateway.networking.k8s.io, kind: ListenerSet, namespace: team-a}
  - {group: gateway.networking.x-k8s.io, kind: XListenerSet, namespace: team-a}
  - {group: gateway.networking.k8s.io, kind: ListenerSet, namespace: team-b}
  - {group: gateway.networking.x-k8s.io, kind: XListenerSet, namespace: team-b}
  to:
  - {group: '', kind: Secret}
";

#[test]
fn listener_sets_sharing_a_certificate_through_their_parent_are_found() {
    for (api, kind) in [
        ("gateway.networking.k8s.io/v1", "ListenerSet"),
        ("gateway.networking.x-k8s.io/v1alpha1", "XListenerSet"),
    ] {
        let dir = TempDir::new("listener-sets");
        let text = format!(
            "{PARENT}{}{}{GRANT}",
            listener_set(api, kind, "team-a", "a.example.com"),
            listener_set(api, kind, "team-b", "b.example.com")
        );
        let file = write_checked(&dir, "sets.yaml", &text);
        let out = sni_guard(&["audit", "--format", "json", &file]);
        assert_eq!(out.code, 1, "{kind}: {}", out.stdout);
        let report = out.json();
        assert_eq!(kinds(&report), ["shared_credential"], "{kind}");
        let owners: Vec<&str> = report["conflicts"][0]["servers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["gateway"].as_str().unwrap())
            .collect();
        assert_eq!(
            owners,
            ["team-a/team-a-listeners", "team-b/team-b-listeners"]
        );
        assert_eq!(report["conflicts"][0]["servers"][0]["kind"], kind);
        // The fix it prints names the parent's deployment, and works.
        let human = sni_guard(&["audit", &file]);
        assert!(
            flat(&human.stdout)
                .contains("sni-guard plugin-config --gateway infra/shared --port 443 FILE..."),
            "{}",
            human.stdout
        );
        let config = sni_guard(&[
            "plugin-config",
            "--gateway",
            "infra/shared",
            "--port",
            "443",
            &file,
        ]);
        assert_eq!(config.code, 0, "{}", config.stderr);
        assert_eq!(config.json()["servers"].as_array().unwrap().len(), 2);
        // The WasmPlugin targets the parent, whose deployment serves the ListenerSets.
        let plugin = sni_guard(&[
            "plugin-config",
            "--gateway",
            "infra/shared",
            "--port",
            "443",
            "--wasmplugin",
            "--placeholder-url",
            &file,
        ]);
        assert_eq!(plugin.code, 0, "{}", plugin.stderr);
        let manifest: Value = yaml_serde::from_str(&plugin.stdout).unwrap();
        assert_eq!(manifest["metadata"]["namespace"], "infra");
        assert_eq!(
            manifest["spec"]["targetRefs"],
            json!([{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "shared"}])
        );
        if let Some(istio) = crds::istio("listener_sets_wasmplugin") {
            istio.validate(&manifest).unwrap();
        }
    }
}

#[test]
fn a_listener_set_its_parent_does_not_allow_is_said() {
    let dir = TempDir::new("listener-set-not-allowed");
    let parent = PARENT.replace("  allowedListeners: {namespaces: {from: All}}\n", "");
    let text = format!(
        "{parent}{}",
        listener_set(
            "gateway.networking.k8s.io/v1",
            "ListenerSet",
            "team-a",
            "a.example.com"
        )
    );
    let file = write_checked(&dir, "set.yaml", &text);
    let out = sni_guard(&["audit", &file]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        flat(&out.stdout).contains("NOT AUDITED: ListenerSet team-a/team-a-listeners ("),
        "{}",
        out.stdout
    );
    assert!(flat(&out.stdout).contains("its parent Gateway API Gateway infra/shared does not allow it (spec.allowedListeners.namespaces.from: None, the default), so istiod attaches none of its listeners"), "{}", out.stdout);
}

#[test]
fn a_gateway_of_another_controller_is_not_audited_and_envoy_gateways_get_no_wasmplugin() {
    let dir = TempDir::new("other-controller");
    let text = "apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: eg, namespace: default}
spec:
  gatewayClassName: eg
  listeners:
  - {name: a, port: 443, protocol: HTTPS, hostname: a.example.com, tls: {certificateRefs: [{name: wild}]}}
  - {name: b, port: 443, protocol: HTTPS, hostname: b.example.com, tls: {certificateRefs: [{name: wild}]}}
";
    let file = write_checked(&dir, "eg.yaml", text);
    let out = sni_guard(&["audit", &file]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(conflict_titles(&out.stdout).is_empty());
    assert!(
        flat(&out.stdout).contains("NOT AUDITED: Gateway API Gateway default/eg ("),
        "{}",
        out.stdout
    );
    assert!(flat(&out.stdout).contains("its class \"eg\" is neither in the input nor one Istio creates (istio, istio-remote, istio-waypoint, istio-east-west), so its controller is not known: give it (kubectl get gatewayclass eg -o yaml)"), "{}", out.stdout);
    let class = write_checked(
        &dir,
        "class.yaml",
        "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: eg}\nspec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}\n",
    );
    // Envoy Gateway's class: audited as Envoy Gateway builds it, which offers only
    // http/1.1 on both listeners (one Secret: overlapping SANs); no WasmPlugin for it.
    let out = sni_guard(&["audit", "--format", "json", &file, &class]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    let report = out.json();
    assert_eq!(report["unplaced"], json!([]));
    assert_eq!(report["conflicts"][0]["kind"], "http2_off");
    assert_eq!(
        report["conflicts"][0]["alpn"][1]["protocols"],
        json!(["http/1.1"])
    );
    assert_eq!(report["workloads"][0]["controller"], "envoy-gateway");
    let plugin = sni_guard(&[
        "plugin-config",
        "--gateway",
        "default/eg",
        "--wasmplugin",
        "--placeholder-url",
        &file,
        &class,
    ]);
    assert_eq!((plugin.code, plugin.stdout.as_str()), (2, ""));
    assert!(
        plugin.stderr.contains("is programmed by Envoy Gateway: it does not read WasmPlugins; --envoy-gateway writes its own resources"),
        "{}",
        plugin.stderr
    );
    // Another controller's: said, and no configuration.
    let contour = write_checked(
        &dir,
        "contour.yaml",
        "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: eg}\nspec: {controllerName: projectcontour.io/gateway-controller}\n",
    );
    let out = sni_guard(&["audit", "--format", "json", &file, &contour]);
    assert_eq!(out.code, 0);
    let why = out.json()["unplaced"][0]["why"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(why.ends_with("programmed by Contour, not Istio"), "{why}");
    let plugin = sni_guard(&[
        "plugin-config",
        "--gateway",
        "default/eg",
        "--wasmplugin",
        "--placeholder-url",
        &file,
        &contour,
    ]);
    assert_eq!((plugin.code, plugin.stdout.as_str()), (2, ""));
    assert!(
        plugin
            .stderr
            .contains("is not audited, so no configuration is written for it"),
        "{}",
        plugin.stderr
    );
}

#[test]
fn without_the_certificates_the_verdict_says_what_it_assumed() {
    let dir = TempDir::new("blind-spot");
    let text = yaml(&[
        // Its certificate may well be *.example.com: only the Secret would say.
        istio_gateway("www", json!([https(&["www.example.com"], "wildcard-cert")])),
        istio_gateway("api", json!([https(&["api.example.com"], "api-cert")])),
    ]);
    let file = write_checked(&dir, "gateways.yaml", &text);
    let out = sni_guard(&["audit", "--workload-labels", "istio=ingressgateway", &file]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let text = flat(&out.stdout);
    assert!(text.contains("NOT KNOWN: certificates not in the input: credentialName \"wildcard-cert\", credentialName \"api-cert\". The verdict takes each to cover only the hosts of the servers that present it"), "{text}");
    assert!(
        text.contains("kubectl get secret -n GATEWAY_NAMESPACE wildcard-cert api-cert -o yaml"),
        "{text}"
    );
    assert!(
        text.ends_with(
            "No conflicts in what was given: 2 Gateways, 2 HTTPS servers on 1 workload port."
        ),
        "{text}"
    );
    let json = sni_guard(&[
        "audit",
        "--format",
        "json",
        "--workload-labels",
        "istio=ingressgateway",
        &file,
    ])
    .json();
    assert_eq!(json["summary"]["complete"], false);
    assert_eq!(json["unread_credentials"].as_array().unwrap().len(), 2);
}

#[test]
fn identical_servers_are_one_filter_chain_and_the_other_is_dropped() {
    let dir = TempDir::new("identical");
    let mut older = istio_gateway(
        "older",
        json!([https(&["a.example.com", "b.example.com"], "wild")]),
    );
    let mut newer = istio_gateway(
        "newer",
        json!([https(&["a.example.com", "b.example.com"], "wild")]),
    );
    older["metadata"]["creationTimestamp"] = json!("2025-01-01T00:00:00Z");
    newer["metadata"]["creationTimestamp"] = json!("2025-06-01T00:00:00Z");
    let file = write_checked(&dir, "identical.yaml", &yaml(&[newer, older]));
    let out = sni_guard(&["audit", "--format", "json", &file]);
    let report = out.json();
    assert_eq!(
        kinds(&report),
        ["duplicate_host"],
        "no shared certificate: one chain"
    );
    let c = &report["conflicts"][0];
    assert_eq!(c["outcome"], "server_dropped");
    assert_eq!(c["kept"]["gateway"], "istio-system/older");
    assert_eq!(c["dropped"]["gateway"], "istio-system/newer");
    assert_eq!(c["order_unknown"], Value::Null);
    let config = sni_guard(&["plugin-config", &file]);
    assert_eq!(config.code, 0, "{}", config.stderr);
    assert_eq!(
        config.json()["servers"],
        json!([{"name": "istio-system/older/https", "hosts": ["a.example.com", "b.example.com"]}])
    );
}

#[test]
fn the_suggested_command_survives_duplicate_passthrough_hosts() {
    let dir = TempDir::new("remedy");
    let passthrough = json!({"port": {"number": 443, "name": "tls", "protocol": "TLS"}, "hosts": ["*"],
                             "tls": {"mode": "PASSTHROUGH"}});
    let text = yaml(&[
        istio_gateway("a", json!([https(&["a.example.com"], "wild"), passthrough])),
        istio_gateway("b", json!([https(&["b.example.com"], "wild"), passthrough])),
    ]);
    let file = write_checked(&dir, "remedy.yaml", &text);
    let out = sni_guard(&["audit", &file]);
    assert_eq!(out.code, 1);
    let titles = conflict_titles(&out.stdout);
    assert_eq!(titles.len(), 2, "{}", out.stdout);
    assert!(
        titles[0].starts_with("CONFLICT: server dropped by istiod"),
        "{titles:?}"
    );
    let text = flat(&out.stdout);
    let at = text.find("sni-guard plugin-config ").unwrap();
    let command = &text[at..at + text[at..].find(" FILE...").unwrap()];
    assert_eq!(
        command,
        "sni-guard plugin-config --selector istio=ingressgateway --port 443"
    );
    let config = sni_guard(&[
        "plugin-config",
        "--selector",
        "istio=ingressgateway",
        "--port",
        "443",
        &file,
    ]);
    assert_eq!(config.code, 0, "{}", config.stderr);
    let names = config.server_names();
    assert_eq!(
        names,
        [
            "istio-system/a/https",
            "istio-system/a/tls",
            "istio-system/b/https"
        ]
    );
}
