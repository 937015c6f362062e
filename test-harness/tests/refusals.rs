//! Every refused plugin configuration makes the real Envoy refuse to start, and its log
//! names the field and the problem.

use sni_guard_harness::{Filter, Gateway, Outcome, Topology, DEFAULT_VERSION};

const REFUSED: &[(&str, &str)] = &[
    ("{", "configuration: not valid JSON"),
    ("[]", "configuration: must be a JSON object, got []"),
    (
        r#"{"mode": 1}"#,
        r#"mode: must be "strict" or "log_only", got 1"#,
    ),
    (
        r#"{"mode": "enforce"}"#,
        r#"mode: must be "strict" or "log_only", got "enforce""#,
    ),
    (r#"{"mod": "strict"}"#, "mod: unknown field"),
    (
        r#"{"servers": [{"name": "gw-a", "hosts": ["a.*.example.com"]}]}"#,
        r#"servers[0].hosts[0]: "a.*.example.com" is not a valid host pattern: "#,
    ),
    (
        r#"{"servers": [{"name": "gw-a"}]}"#,
        "servers[0].hosts: missing",
    ),
    (
        r#"{"servers": [{"name": "x", "hosts": ["a.com"]}, {"name": "y", "hosts": ["A.COM"]}]}"#,
        r#"servers[1].hosts[0]: "A.COM" is already a host of server "x""#,
    ),
    (
        r#"{"exempt_hosts": "a.com"}"#,
        r#"exempt_hosts: must be a list of host patterns"#,
    ),
    (
        r#"{"check_http1": "no"}"#,
        r#"check_http1: must be true or false, got "no""#,
    ),
];

#[test]
fn each_refused_configuration_stops_envoy_with_a_line_naming_the_problem() {
    for (json, problem) in REFUSED {
        let filter = Filter::SniGuard(json.to_string());
        let outcome = Gateway::launch(DEFAULT_VERSION, Topology::TwoGateways, &filter).unwrap();
        let exited = match outcome {
            Outcome::Refused(exited) => exited,
            Outcome::Ready(_) => panic!("Envoy started with the configuration {json}"),
        };
        assert!(!exited.status.success(), "{json}: {}", exited.status);
        let line = format!("sni-guard: configuration refused: {problem}");
        assert!(
            exited
                .stderr
                .lines()
                .any(|l| l.contains(&line) && l.contains("[error]")),
            "{json}: no line containing {line:?} in:\n{}",
            exited.stderr
        );
        assert!(exited
            .stderr
            .contains("Unable to create Wasm plugin istio-system.sni-guard"));
    }
}

#[test]
fn an_empty_configuration_is_strict_without_a_table() {
    let gateway = Gateway::start(Topology::TwoGateways, &Filter::SniGuard(String::new())).unwrap();
    let client = gateway.client().unwrap();
    let mut h2 = client.h2(Some("a.example.com")).unwrap();
    assert_eq!(h2.get("c.example.com").unwrap().status, 421);
    assert!(gateway.envoy.stderr_so_far().contains("no servers table"));
}
