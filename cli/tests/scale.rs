//! The audit grows linearly with the Gateways: 20,000 Gateways (half of them sharing one
//! certificate, each with an HTTPS and an HTTP server) against 2,000. A quadratic step would
//! make the larger input a hundred times slower; a linear one, ten.

#![allow(clippy::unwrap_used)] // test helpers may fail loudly

use std::time::{Duration, Instant};

/// A kubectl `List` of `n` Gateways on the default ingress gateway.
fn gateways(n: usize) -> String {
    let items: Vec<String> = (0..n)
        .map(|i| {
            let credential = if i % 2 == 0 { "wild".to_owned() } else { format!("c{i}") };
            format!(
                r#"{{"apiVersion": "networking.istio.io/v1", "kind": "Gateway",
                   "metadata": {{"name": "gw-{i}", "namespace": "ns-{}"}},
                   "spec": {{"selector": {{"istio": "ingressgateway"}}, "servers": [
                     {{"port": {{"number": 443, "name": "https", "protocol": "HTTPS"}}, "hosts": ["h{i}.example.com"],
                       "tls": {{"mode": "SIMPLE", "credentialName": "{credential}"}}}},
                     {{"port": {{"number": 80, "name": "http", "protocol": "HTTP"}}, "hosts": ["h{i}.example.com"]}}]}}}}"#,
                i % 50
            )
        })
        .collect();
    format!(
        r#"{{"apiVersion": "v1", "kind": "List", "items": [{}]}}"#,
        items.join(",")
    )
}

/// The fastest of `runs` audits of `input` (JSON report), with the report.
fn audit(input: &str, runs: usize) -> (Duration, serde_json::Value) {
    let mut best = Duration::MAX;
    let mut report = serde_json::Value::Null;
    for _ in 0..runs {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let start = Instant::now();
        let code = sni_guard_cli::run(
            ["sni-guard", "audit", "--format", "json", "-"],
            &mut input.as_bytes(),
            &mut out,
            &mut err,
        );
        best = best.min(start.elapsed());
        assert_eq!(code, 1, "{}", String::from_utf8_lossy(&err));
        report = serde_json::from_slice(&out).unwrap();
    }
    (best, report)
}

#[test]
fn twenty_thousand_gateways_take_ten_times_two_thousand() {
    let (small, small_report) = audit(&gateways(2_000), 3);
    let (large, large_report) = audit(&gateways(20_000), 2);
    assert_eq!(small_report["summary"]["gateways"], 2_000);
    assert_eq!(large_report["summary"]["gateways"], 20_000);
    let shared = &large_report["conflicts"][0];
    assert_eq!(shared["kind"], "shared_credential");
    assert_eq!(shared["servers"].as_array().unwrap().len(), 10_000);
    let ratio = large.as_secs_f64() / small.as_secs_f64();
    println!("audit of 2,000 Gateways: {small:?}; of 20,000: {large:?} ({ratio:.1} times)");
    assert!(
        ratio < 30.0,
        "20,000 Gateways took {ratio:.1} times as long as 2,000"
    );
}
