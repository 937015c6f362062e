use super::*;
use crate::model::fixtures::{api_gateway, gateway, https443, layout};
use serde_json::json;

fn labels(finding: &Finding<'_>) -> Vec<String> {
    finding.chains().iter().map(ChainRef::label).collect()
}

fn run(gws: &[crate::model::gateway::Gateway]) -> Vec<(String, Vec<String>)> {
    let layout = layout(gws);
    let audit = audit(&layout, &Certificates::default());
    audit
        .findings
        .iter()
        .map(|f| (f.kind().to_owned(), labels(f)))
        .collect()
}

#[test]
fn shared_across_gateways() {
    let gws = vec![
        gateway(
            "a",
            "ig",
            json!([https443("https", &["a.example.com"], "wild")]),
        ),
        gateway(
            "b",
            "ig",
            json!([https443("https", &["b.example.com"], "wild")]),
        ),
    ];
    let layout = layout(&gws);
    let audit = audit(&layout, &Certificates::default());
    assert_eq!(
        audit.summary,
        Summary {
            gateways: 2,
            chains: 2,
            https_chains: 2,
            listeners: 1
        }
    );
    assert_eq!(audit.findings.len(), 1);
    let finding = &audit.findings[0];
    assert!(
        matches!(finding, Finding::SharedCredential { credentials, .. }
        if credentials == &[Credential::from_credential_name("wild")])
    );
    assert_eq!(
        labels(finding),
        [
            "ns/a servers[0] (port https)",
            "ns/b servers[0] (port https)"
        ]
    );
    let fix = fix(finding, &layout);
    assert!(
        fix.contains("sni-guard plugin-config --selector istio=ig --port 443 FILE..."),
        "{fix}"
    );
    assert!(fix.contains("bind the other Gateways' VirtualServices to it"));
}

#[test]
fn shared_within_one_gateway() {
    let gws = vec![gateway(
        "a",
        "ig",
        json!([
            https443("https-a", &["a.example.com"], "wild"),
            https443("https-b", &["b.example.com"], "wild")
        ]),
    )];
    assert_eq!(
        run(&gws),
        [(
            "shared_credential".to_owned(),
            vec![
                "ns/a servers[0] (port https-a)".to_owned(),
                "ns/a servers[1] (port https-b)".to_owned()
            ]
        )]
    );
}

#[test]
fn clean_layouts() {
    let merged = vec![gateway(
        "a",
        "ig",
        json!([https443(
            "https",
            &["a.example.com", "b.example.com"],
            "wild"
        )]),
    )];
    assert!(run(&merged).is_empty());
    let workloads = vec![
        gateway(
            "a",
            "ig-a",
            json!([https443("https", &["a.example.com"], "wild")]),
        ),
        gateway(
            "b",
            "ig-b",
            json!([https443("https", &["b.example.com"], "wild")]),
        ),
    ];
    assert!(run(&workloads).is_empty());
    let own_certs = vec![
        gateway(
            "a",
            "ig",
            json!([https443("https", &["a.example.com"], "cert-a")]),
        ),
        gateway(
            "b",
            "ig",
            json!([https443("https", &["b.example.com"], "cert-b")]),
        ),
    ];
    assert!(
        run(&own_certs).is_empty(),
        "exact names do not cover each other"
    );
}

#[test]
fn rsa_and_ecdsa_pairs_are_one_finding() {
    let pair = |port: &str, host: &str| {
        json!({"port": {"number": 443, "name": port, "protocol": "HTTPS"}, "hosts": [host],
               "tls": {"mode": "SIMPLE", "credentialNames": ["rsa", "ecdsa"]}})
    };
    let gws = vec![gateway(
        "a",
        "ig",
        json!([pair("x", "a.example.com"), pair("y", "b.example.com")]),
    )];
    let layout = layout(&gws);
    let audit = audit(&layout, &Certificates::default());
    assert_eq!(audit.findings.len(), 1);
    assert!(
        matches!(&audit.findings[0], Finding::SharedCredential { credentials, .. } if credentials.len() == 2)
    );
}

#[test]
fn mutual_beside_simple_is_not_to_be_merged() {
    let mut mutual = https443("admin", &["admin.example.com"], "wild");
    mutual["tls"]["mode"] = json!("MUTUAL");
    let gws = vec![gateway(
        "a",
        "ig",
        json!([https443("https", &["www.example.com"], "wild"), mutual]),
    )];
    let layout = layout(&gws);
    let audit = audit(&layout, &Certificates::default());
    let kinds: Vec<&str> = audit.findings.iter().map(Finding::kind).collect();
    assert_eq!(kinds, ["client_certificate_bypass", "shared_credential"]);
    let shared = fix(&audit.findings[1], &layout);
    assert!(
        shared.contains("do not merge them: their TLS modes differ (MUTUAL, SIMPLE)"),
        "{shared}"
    );
    let bypass = fix(&audit.findings[0], &layout);
    assert!(bypass.contains("failStrategy FAIL_CLOSE"), "{bypass}");
    assert!(bypass.contains("Never merge them"), "{bypass}");
}

#[test]
fn duplicate_hosts_across_namespaces_and_case() {
    let gws = vec![
        gateway(
            "a",
            "ig",
            json!([https443(
                "https",
                &["web/A.example.com", "./c.example.com"],
                "cert-a"
            )]),
        ),
        gateway(
            "b",
            "ig",
            json!([https443(
                "https",
                &["api/a.example.com.", "*/c.example.com", "b.example.com"],
                "cert-b"
            )]),
        ),
    ];
    let layout = layout(&gws);
    let audit = audit(&layout, &Certificates::default());
    assert_eq!(audit.findings.len(), 1);
    assert!(
        matches!(&audit.findings[0], Finding::DuplicateHost { hosts, .. }
        if hosts == &["a.example.com", "c.example.com"])
    );
    // istiod compares them as written (other namespaces): it keeps both, Envoy rejects them.
    assert!(why(&audit.findings[0]).contains("which Envoy rejects"));
}

#[test]
fn a_host_repeated_in_one_server_is_not_a_duplicate() {
    let gws = vec![gateway(
        "a",
        "ig",
        json!([https443(
            "https",
            &["web/a.example.com", "api/a.example.com"],
            "c"
        )]),
    )];
    assert!(run(&gws).is_empty());
}

#[test]
fn gateway_api_listeners_sharing_a_certificate() {
    let gws = vec![api_gateway(
        "edge",
        json!([
            {"name": "a", "hostname": "a.example.com", "port": 443, "protocol": "HTTPS",
             "tls": {"certificateRefs": [{"name": "wild"}]}},
            {"name": "b", "hostname": "b.example.com", "port": 443, "protocol": "HTTPS",
             "tls": {"certificateRefs": [{"name": "wild"}]}}
        ]),
    )];
    let layout = layout(&gws);
    let audit = audit(&layout, &Certificates::default());
    assert_eq!(audit.findings.len(), 1);
    assert!(
        fix(&audit.findings[0], &layout)
            .contains("sni-guard plugin-config --gateway ns/edge --port 443")
    );
}

#[test]
fn settings_that_may_surprise_are_noted() {
    let gws = vec![gateway(
        "a",
        "ig",
        json!([
            {"port": {"number": 443, "name": "p", "protocol": "HTTPS"}, "hosts": ["a.example.com"],
             "tls": {"credentialName": "c"}},
            {"port": {"number": 443, "name": "q", "protocol": "HTTPS"}, "hosts": ["b.example.com"]}
        ]),
    )];
    let layout = layout(&gws);
    let notes = settings_notes(&layout);
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(
        notes[0]
            .contains("tls.credentialName without tls.mode; Istio's default mode is PASSTHROUGH")
    );
    assert!(notes[1].contains("protocol HTTPS without tls settings"));
}
