//! Every refused plugin configuration makes the real Envoy refuse to start, and its log
//! names the field and the problem.

use sni_guard_harness::envoy::topology::Build;
use sni_guard_harness::{Filter, Gateway, Outcome, Topology, envoy};

/// (plugin configuration, what the refusal line must name: field, value, problem).
const REFUSED: &[(&str, &[&str])] = &[
    ("{", &["configuration: ", "JSON"]),
    ("[]", &["configuration: ", "[]"]),
    (
        r#"{"mode": 1}"#,
        &["mode: ", r#""strict" or "log_only""#, "got 1"],
    ),
    (r#"{"mode": "enforce"}"#, &["mode: ", r#""enforce""#]),
    (r#"{"mod": "strict"}"#, &["mod", "unknown field"]),
    (
        r#"{"servers": [{"name": "gw-a", "hosts": ["a.*.example.com"]}]}"#,
        &[r#"servers[0].hosts[0]: "a.*.example.com" is not a valid host pattern"#],
    ),
    (
        r#"{"servers": [{"name": "gw-a"}]}"#,
        &["servers[0]: ", "missing field `hosts`"],
    ),
    (
        r#"{"servers": [{"name": "x", "hosts": ["a.com"]}, {"name": "y", "hosts": ["A.COM"]}]}"#,
        &[r#"servers[1].hosts[0]: "A.COM""#, r#""x""#],
    ),
    (
        r#"{"exempt_hosts": "a.com"}"#,
        &["exempt_hosts: ", r#""a.com""#],
    ),
    (r#"{"check_http1": "no"}"#, &["check_http1: ", r#""no""#]),
];

#[test]
fn each_refused_configuration_stops_envoy_with_a_line_naming_the_problem() {
    for (json, names) in REFUSED {
        let filter = Filter::SniGuard(json.to_string());
        let outcome = Gateway::builder(Topology::TwoGateways)
            .filter(&filter)
            .launch()
            .unwrap();
        let exited = match outcome {
            Outcome::Refused(exited) => exited,
            Outcome::Ready(_) => panic!("Envoy started with the configuration {json}"),
        };
        assert!(!exited.status.success(), "{json}: {}", exited.status);
        let named = envoy::refusals(&exited.stderr)
            .iter()
            .any(|line| line.contains("[error]") && names.iter().all(|n| line.contains(n)));
        assert!(
            named,
            "{json}: no error line `sni-guard: configuration refused: ` naming {names:?} in:\n{}",
            exited.stderr
        );
        // Envoy's own line for the filter it could not create, by build.
        let failed = match Build::current().unwrap() {
            Build::Wasm => "Unable to create Wasm plugin istio-system.sni-guard",
            Build::Native => "Failed to initialize dynamic module",
        };
        assert!(exited.stderr.contains(failed), "{json}: {}", exited.stderr);
    }
}

#[test]
fn an_empty_configuration_is_strict_without_a_table() {
    let gateway = Gateway::builder(Topology::TwoGateways)
        .filter(&Filter::SniGuard(String::new()))
        .start()
        .unwrap();
    let client = gateway.client().unwrap();
    let mut h2 = client.h2(Some("a.example.com")).unwrap();
    assert_eq!(h2.get("a.example.com").unwrap().status, 200);
    assert_eq!(h2.get("c.example.com").unwrap().status, 421);
    assert_eq!(gateway.counter("misdirected").unwrap(), 1);
}
