use super::*;

const GW: &str = "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: g, namespace: n}\nspec: {selector: {istio: ingressgateway}, servers: []}\n";

fn read(text: &str) -> Result<Input, InputError> {
    let mut input = Input::default();
    input.add("f.yaml", text.as_bytes())?;
    Ok(input)
}

/// The error as said, less the file's name.
fn problem(text: &str) -> String {
    let said = read(text).unwrap_err().to_string();
    said.strip_prefix("f.yaml: ").unwrap_or(&said).to_owned()
}

#[test]
fn kinds_are_sorted_into_their_places() {
    let text = format!(
        "---\n{GW}---\napiVersion: v1\nkind: Service\nmetadata: {{name: s}}\n---\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {{name: k}}\nspec: {{gatewayClassName: istio, listeners: []}}\n---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: vs}}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d}}\nspec: {{template: {{metadata: {{labels: {{app: x}}}}}}}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c}}\n---\napiVersion: gateway.networking.k8s.io/v9\nkind: Gateway\nmetadata: {{name: future}}\n"
    );
    let input = read(&text).unwrap();
    assert_eq!(input.gateways.items.len(), 2);
    assert_eq!(input.gateways.items[0].source.place, "document 1");
    assert_eq!(input.services.items.len(), 1);
    assert_eq!(input.virtual_services.items.len(), 1);
    assert_eq!(input.templates.items.len(), 1);
    assert_eq!(input.ignored.len(), 2);
    assert_eq!(input.ignored_notes().len(), 1);
    assert!(input.ignored_notes()[0].contains("gateway.networking.k8s.io/v9 Gateway"));
}

#[test]
fn every_istio_version() {
    for version in crate::model::istio::VERSIONS {
        let input = read(&GW.replace("networking.istio.io/v1", version)).unwrap();
        assert_eq!(input.gateways.items.len(), 1, "{version}");
    }
    let input = read(&GW.replace("networking.istio.io/v1", "networking.istio.io/v9")).unwrap();
    assert!(input.gateways.items.is_empty());
}

#[test]
fn kubectl_list_and_typed_list() {
    let list = r#"{"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "networking.istio.io/v1", "kind": "Gateway", "metadata": {"name": "a", "namespace": "n"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}]}"#;
    let input = read(list).unwrap();
    assert_eq!(input.gateways.items.len(), 1);
    assert_eq!(input.gateways.items[0].source.place, "items[0]");
    let typed = r#"{"apiVersion": "networking.istio.io/v1", "kind": "GatewayList", "items": [
        {"metadata": {"name": "a", "namespace": "n"}}]}"#;
    assert_eq!(read(typed).unwrap().gateways.items.len(), 1);
    assert_eq!(read(list).unwrap().contents(), "1 v1 ConfigMap");
}

#[test]
fn a_repeated_resource_replaces_the_first_and_a_change_is_noted() {
    let same = read(&format!("{GW}---\n{GW}")).unwrap();
    assert_eq!(same.gateways.items.len(), 1);
    assert_eq!(same.gateways.items[0].source.place, "document 2");
    assert!(
        same.notes.is_empty(),
        "the same Gateway twice: {:?}",
        same.notes
    );
    let changed = read(&format!(
        "{GW}---\n{}",
        GW.replace(
            "servers: []",
            "servers: [{port: {number: 443}, hosts: [a]}]"
        )
    ))
    .unwrap();
    assert_eq!(changed.gateways.items.len(), 1);
    assert_eq!(
        changed.notes,
        [
            "Gateway n/g appears twice with different contents (f.yaml document 1 and f.yaml document 2): using the later"
        ]
    );
}

#[test]
fn every_kind_kept_by_name_notes_a_changed_copy() {
    let vs = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v}\nspec: {hosts: [a]}\n";
    let service =
        "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 443}]}\n";
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {app: a}}\nspec: {containers: []}\n";
    let changed = |text: &str, from: &str, to: &str| {
        let input = read(&format!("{GW}---\n{text}---\n{}", text.replace(from, to))).unwrap();
        assert_eq!(input.notes.len(), 1, "{:?}", input.notes);
        input.notes[0].clone()
    };
    assert_eq!(
        changed(vs, "[a]", "[b]"),
        "VirtualService default/v appears twice with different contents (f.yaml document 2 and f.yaml document 3): using the later"
    );
    assert_eq!(
        changed(service, "443", "8443"),
        "Service default/s appears twice with different contents (f.yaml document 2 and f.yaml document 3): using the later"
    );
    assert_eq!(
        changed(pod, "app: a", "app: b"),
        "Pod default/p appears twice with different contents (f.yaml document 2 and f.yaml document 3): using the later"
    );
}

#[test]
fn yaml_merge_keys_keep_every_server() {
    let text = "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: g}\nspec:\n  servers:\n  - &s {port: {number: 443, name: https, protocol: HTTPS}, hosts: [a.example.com], tls: {mode: SIMPLE, credentialName: w}}\n  - <<: *s\n    hosts: [b.example.com]\n";
    let input = read(text).unwrap();
    let servers = &input.gateways.items[0].servers;
    assert_eq!(servers.len(), 2);
    assert_eq!(servers[1].hosts, ["b.example.com"]);
    assert_eq!(servers[1].credentials(), servers[0].credentials());
}

#[test]
fn garbage_is_refused_with_the_reason() {
    assert!(problem("").starts_with("no Kubernetes resources"));
    assert!(problem("# only a comment\n").starts_with("no Kubernetes resources"));
    assert!(problem("{\"kind\": ").starts_with("not valid JSON"));
    assert!(problem("a: [1, 2\n").starts_with("not valid YAML (document 1)"));
    assert_eq!(
        problem("hello world\n"),
        "not a Kubernetes resource: expected a mapping with apiVersion and kind, found a string"
    );
    assert_eq!(
        problem("kind: Gateway\n"),
        "not a Kubernetes resource: no apiVersion (a string)"
    );
    assert!(problem(&format!("{GW}---\n- 1\n")).starts_with("document 2: not a Kubernetes"));
    assert_eq!(
        problem("{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": 3}"),
        "items: expected a list, found a number"
    );
    let bad = GW.replace("servers: []", "servers: [{port: {number: x}, hosts: []}]");
    let left_out = read(&bad).unwrap().left_out;
    assert!(
        left_out[0]
            .starts_with("Gateway \"g\" (f.yaml): spec.servers[0].port.number: invalid type"),
        "{left_out:?}"
    );
    let bad_service =
        "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: x}]}\n";
    let left_out = read(bad_service).unwrap().left_out;
    assert!(
        left_out[0].starts_with("Service \"s\" (f.yaml): spec.ports[0].port: invalid type"),
        "{left_out:?}"
    );
    let err = Input::default().add("bin", &[0x1f, 0x8b, 0]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "bin: not text (invalid UTF-8 at byte 1): expected YAML or JSON"
    );
    let err = Input::default()
        .add("ps", &[0xff, 0xfe, b'{', 0])
        .unwrap_err();
    assert_eq!(err.problem, Unusable::Utf16, "{err}");
}

#[test]
fn a_utf8_byte_order_mark_is_skipped() {
    let mut input = Input::default();
    input
        .add("bom.yaml", format!("\u{feff}{GW}").as_bytes())
        .unwrap();
    assert_eq!(input.gateways.items.len(), 1);
    let json = "\u{feff}{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": []}";
    Input::default().add("bom.json", json.as_bytes()).unwrap();
}
