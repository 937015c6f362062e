//! Which hosts a connection's certificate covers, on one listener.

use crate::audit::{Finding, audit, fix, why};
use crate::model::certs::Certificates;
use crate::model::fixtures::{gateway, https443, layout, passthrough, pem_for, tls_secret};
use crate::model::gateway::ChainKind;
use serde_json::json;

#[test]
fn a_wildcard_certificate_covers_another_servers_host() {
    let gws = vec![
        gateway(
            "wild",
            "ig",
            json!([https443("https", &["*.example.com"], "wild")]),
        ),
        gateway(
            "api",
            "ig",
            json!([https443("https", &["api.example.com"], "api")]),
        ),
        gateway(
            "deep",
            "ig",
            json!([https443("https", &["a.b.example.com"], "deep")]),
        ),
    ];
    let layout = layout(&gws);
    let audit = audit(&layout, &Certificates::default());
    assert_eq!(audit.findings.len(), 1, "{:?}", audit.findings);
    let Finding::CoveredHost { covered, .. } = &audit.findings[0] else {
        panic!("{:?}", audit.findings[0]);
    };
    assert_eq!(
        covered.connection[0].label(),
        "ns/wild servers[0] (port https)"
    );
    assert_eq!(covered.request.label(), "ns/api servers[0] (port https)");
    assert_eq!(covered.hosts, ["api.example.com"]);
    assert_eq!(covered.names, ["*.example.com"]);
    assert_eq!(
        covered.evidence,
        "the hosts of ns/wild servers[0] (port https)"
    );
    let why = why(&audit.findings[0]);
    assert!(why.contains("reuses it for api.example.com"), "{why}");
    assert!(
        fix(&audit.findings[0], &layout)
            .contains("a certificate that does not cover api.example.com")
    );
}

#[test]
fn passthrough_hosts_are_covered_too() {
    let gws = vec![gateway(
        "a",
        "ig",
        json!([
            https443("https", &["*.example.com"], "wild"),
            passthrough("tls", &["httpbin.example.com"])
        ]),
    )];
    let layout = layout(&gws);
    let audit = audit(&layout, &Certificates::default());
    assert_eq!(audit.findings.len(), 1);
    let Finding::CoveredHost { covered, .. } = &audit.findings[0] else {
        panic!()
    };
    assert_eq!(covered.request.kind, ChainKind::Passthrough);
    assert_eq!(covered.hosts, ["httpbin.example.com"]);
    assert!(why(&audit.findings[0]).contains("instead of being passed through"));
    assert_eq!(audit.summary.chains, 2);
    assert_eq!(audit.summary.https_chains, 1);
}

#[test]
fn a_certificate_covers_only_what_it_names() {
    let gws = vec![
        gateway("any", "ig", json!([https443("https", &["*"], "any")])),
        gateway(
            "shop",
            "ig",
            json!([https443("https", &["*.shop.example"], "shop")]),
        ),
    ];
    let layout = layout(&gws);
    let audit = audit(&layout, &Certificates::default());
    let found: Vec<(String, Vec<String>)> = audit
        .findings
        .iter()
        .map(|f| match f {
            Finding::CoveredHost { covered, .. } => {
                (covered.request.label(), covered.hosts.clone())
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(
        found.is_empty(),
        "`*` names nothing; the shop names select the shop server: {found:?}"
    );
}

#[test]
fn secrets_give_the_real_names() {
    let pem = pem_for(&["www.example.com"]);
    let mut certs = Certificates::default();
    certs
        .add_secret(
            &tls_secret("istio-system", "www", &pem),
            &Default::default(),
        )
        .unwrap();
    // The wildcard server's certificate names only www: it does not cover api.
    let gws = vec![
        gateway(
            "wild",
            "ingressgateway",
            json!([https443("https", &["*.example.com"], "www")]),
        ),
        gateway(
            "api",
            "ingressgateway",
            json!([https443("https", &["api.example.com"], "api")]),
        ),
    ];
    let first = layout(&gws);
    let kinds: Vec<&str> = audit(&first, &certs)
        .findings
        .iter()
        .map(|f| f.kind())
        .collect();
    assert_eq!(kinds, ["uncovered_host"], "*.example.com is not named");
    // The api server's certificate covers www, which selects the wildcard server.
    let gws = vec![
        gateway(
            "wild",
            "ingressgateway",
            json!([https443("https", &["*.example.com"], "other")]),
        ),
        gateway(
            "api",
            "ingressgateway",
            json!([https443("https", &["api.example.com"], "www")]),
        ),
    ];
    let layout = layout(&gws);
    let findings = audit(&layout, &certs).findings;
    let covered: Vec<(String, String, Vec<String>)> = findings
        .iter()
        .filter_map(|f| match f {
            Finding::CoveredHost { covered, .. } => Some((
                covered.connection[0].label(),
                covered.evidence.clone(),
                covered.hosts.clone(),
            )),
            _ => None,
        })
        .collect();
    assert!(
        covered.contains(&(
            "ns/api servers[0] (port https)".to_owned(),
            "Secret istio-system/www".to_owned(),
            vec!["www.example.com".to_owned()]
        )),
        "{covered:?}"
    );
}

#[test]
fn a_certificate_shared_with_a_tls_to_tcp_server_covers_its_hosts() {
    let tcp = json!({"port": {"number": 443, "name": "mq", "protocol": "TLS"},
                     "hosts": ["mq.example.com"], "tls": {"mode": "SIMPLE", "credentialName": "wild"}});
    let other_tcp = json!({"port": {"number": 443, "name": "cache", "protocol": "TLS"},
                     "hosts": ["cache.example.com"], "tls": {"mode": "SIMPLE", "credentialName": "tcp"}});
    let gws = vec![gateway(
        "a",
        "ig",
        json!([
            https443("https", &["www.example.com"], "wild"),
            tcp,
            other_tcp
        ]),
    )];
    let layout = layout(&gws);
    let audit = audit(&layout, &Certificates::default());
    assert_eq!(audit.findings.len(), 1, "{:?}", audit.findings);
    let Finding::CoveredHost { covered, .. } = &audit.findings[0] else {
        panic!()
    };
    assert_eq!(covered.request.kind, ChainKind::TlsTcp);
    assert_eq!(covered.hosts, ["mq.example.com"]);
    assert_eq!(
        covered.evidence,
        "credentialName \"wild\", also presented by ns/a servers[1] (port mq)"
    );
}
