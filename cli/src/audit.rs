//! The audit: credentials shared by servers that land in different filter chains of one
//! listener (browsers coalesce across them → 404), and hosts listed by two servers of one
//! listener (Istio keeps only one of them).

use crate::gateway::{show_labels, sni_host, Credential, Gateway};
use crate::layout::{https_listeners, overlapping_selectors, Listener, ServerRef};
use sni_guard::pattern::Pattern;

/// One problem found on one listener.
#[derive(Debug)]
pub enum Finding<'g> {
    /// Two or more servers (filter chains) present the same certificate.
    SharedCredential {
        listener: Listener,
        credentials: Vec<Credential>,
        servers: Vec<ServerRef<'g>>,
    },
    /// Two or more servers list the same host.
    DuplicateHost {
        listener: Listener,
        hosts: Vec<String>,
        servers: Vec<ServerRef<'g>>,
    },
}

impl Finding<'_> {
    pub fn listener(&self) -> &Listener {
        match self {
            Finding::SharedCredential { listener, .. }
            | Finding::DuplicateHost { listener, .. } => listener,
        }
    }

    pub fn servers(&self) -> &[ServerRef<'_>] {
        match self {
            Finding::SharedCredential { servers, .. } | Finding::DuplicateHost { servers, .. } => {
                servers
            }
        }
    }

    /// What goes wrong, in one paragraph.
    pub fn why(&self) -> String {
        match self {
            Finding::SharedCredential { .. } => "each server is its own TLS filter chain, chosen by SNI, with its own route table; \
                a browser that opened a connection for one of these hosts reuses it for the others the \
                certificate covers (HTTP/2 connection coalescing) and gets 404 from the wrong route table."
                .to_owned(),
            Finding::DuplicateHost { .. } => "Istio makes one SNI match per host on a port; it skips a server that repeats a host \
                another server on the same port already has (istiod logs \"duplicate host names\"), so \
                one of these servers is not served."
                .to_owned(),
        }
    }

    /// How to fix it.
    pub fn fix(&self) -> String {
        match self {
            Finding::SharedCredential {
                listener, servers, ..
            } => {
                let one_gateway = servers
                    .iter()
                    .all(|s| std::ptr::eq(s.gateway, servers[0].gateway));
                let merge = if one_gateway {
                    "merge these servers into one server that lists all their hosts"
                } else {
                    "merge these servers into one server that lists all their hosts (in one \
                     Gateway; bind the other Gateways' VirtualServices to it)"
                };
                format!(
                    "{merge}, or give each server its own certificate that covers only its hosts. \
                     Until then, sni-guard answers 421 so browsers retry on a new connection: {}",
                    plugin_config_command(listener)
                )
            }
            Finding::DuplicateHost { .. } => {
                "list each host in one server only, or merge the servers into one.".to_owned()
            }
        }
    }
}

/// The `sni-guard plugin-config` flags that choose `listener`.
pub fn plugin_config_command(listener: &Listener) -> String {
    let mut command = String::from("sni-guard plugin-config");
    if !listener.workload.is_empty() {
        command.push_str(&format!(" --selector {}", show_labels(&listener.workload)));
    }
    command.push_str(&format!(" --port {}", listener.port));
    if let Some(bind) = &listener.bind {
        command.push_str(&format!(" --bind {bind}"));
    }
    command.push_str(" FILE...");
    command
}

/// The result of an audit.
#[derive(Debug)]
pub struct Audit<'g> {
    pub gateways: usize,
    pub https_servers: usize,
    pub listeners: usize,
    pub findings: Vec<Finding<'g>>,
    pub notes: Vec<String>,
}

/// Audits the Gateways.
pub fn audit(gateways: &[Gateway]) -> Audit<'_> {
    let listeners = https_listeners(gateways);
    let mut findings = Vec::new();
    for (listener, servers) in &listeners {
        for (credentials, group) in shared_credentials(servers) {
            findings.push(Finding::SharedCredential {
                listener: listener.clone(),
                credentials,
                servers: group,
            });
        }
        for (hosts, group) in duplicate_hosts(servers) {
            findings.push(Finding::DuplicateHost {
                listener: listener.clone(),
                hosts,
                servers: group,
            });
        }
    }
    let notes = overlapping_selectors(gateways)
        .into_iter()
        .map(|(broad, narrow)| {
            format!(
                "selector {} also matches pods labelled {}: they are audited as different workloads; if such pods exist, check those Gateways together",
                show_labels(&broad),
                show_labels(&narrow)
            )
        })
        .collect();
    Audit {
        gateways: gateways.len(),
        https_servers: listeners.iter().map(|(_, s)| s.len()).sum(),
        listeners: listeners.len(),
        findings,
        notes,
    }
}

/// Groups of two or more servers that present a common certificate, each with the
/// certificates they share. Servers sharing several certificates (RSA and ECDSA) are one group.
fn shared_credentials<'g>(servers: &[ServerRef<'g>]) -> Vec<(Vec<Credential>, Vec<ServerRef<'g>>)> {
    let mut users: Vec<(Credential, Vec<usize>)> = Vec::new();
    for (i, server) in servers.iter().enumerate() {
        for credential in server.server.credentials() {
            match users.iter_mut().find(|(c, _)| *c == credential) {
                Some((_, list)) => list.push(i),
                None => users.push((credential, vec![i])),
            }
        }
    }
    group_by_servers(users, servers)
}

/// Groups of two or more servers that list a common host, each with the hosts they share.
pub fn duplicate_hosts<'g>(servers: &[ServerRef<'g>]) -> Vec<(Vec<String>, Vec<ServerRef<'g>>)> {
    let mut users: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, server) in servers.iter().enumerate() {
        for host in &server.server.hosts {
            let host = canonical_host(host);
            match users.iter_mut().find(|(h, _)| *h == host) {
                Some((_, list)) if list.last() == Some(&i) => {}
                Some((_, list)) => list.push(i),
                None => users.push((host, vec![i])),
            }
        }
    }
    group_by_servers(users, servers)
}

/// A host as the filter chain matches it: no namespace, lowercase, no trailing dot.
pub fn canonical_host(host: &str) -> String {
    Pattern::parse(sni_host(host))
        .map(|p| p.to_string())
        .unwrap_or_else(|_| sni_host(host).to_ascii_lowercase())
}

/// Turns `key → servers using it` into `keys → servers` for every set of two or more
/// servers, in order of first appearance.
fn group_by_servers<'g, K>(
    users: Vec<(K, Vec<usize>)>,
    servers: &[ServerRef<'g>],
) -> Vec<(Vec<K>, Vec<ServerRef<'g>>)> {
    let mut groups: Vec<(Vec<usize>, Vec<K>)> = Vec::new();
    for (key, mut list) in users {
        list.dedup();
        if list.len() < 2 {
            continue;
        }
        match groups.iter_mut().find(|(l, _)| *l == list) {
            Some((_, keys)) => keys.push(key),
            None => groups.push((list, vec![key])),
        }
    }
    groups
        .into_iter()
        .map(|(list, keys)| {
            let group = list
                .iter()
                .filter_map(|&i| servers.get(i).copied())
                .collect();
            (keys, group)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::fixtures::gateway;
    use serde_json::{json, Value};

    fn https(port_name: &str, hosts: &[&str], credential: &str) -> Value {
        json!({"port": {"number": 443, "name": port_name, "protocol": "HTTPS"},
               "hosts": hosts, "tls": {"mode": "SIMPLE", "credentialName": credential}})
    }

    fn labels(finding: &Finding<'_>) -> Vec<String> {
        finding.servers().iter().map(ServerRef::label).collect()
    }

    #[test]
    fn shared_across_gateways() {
        let gws = vec![
            gateway(
                "a",
                "ig",
                json!([https("https", &["a.example.com"], "wild")]),
            ),
            gateway(
                "b",
                "ig",
                json!([https("https", &["b.example.com"], "wild")]),
            ),
        ];
        let audit = audit(&gws);
        assert_eq!(
            (audit.gateways, audit.https_servers, audit.listeners),
            (2, 2, 1)
        );
        assert_eq!(audit.findings.len(), 1);
        let finding = &audit.findings[0];
        assert!(
            matches!(finding, Finding::SharedCredential { credentials, .. }
            if credentials == &[Credential::Secret("wild".into())])
        );
        assert_eq!(
            labels(finding),
            [
                "ns/a servers[0] (port https)",
                "ns/b servers[0] (port https)"
            ]
        );
        assert!(finding
            .fix()
            .contains("sni-guard plugin-config --selector istio=ig --port 443 FILE..."));
    }

    #[test]
    fn shared_within_one_gateway() {
        let gws = vec![gateway(
            "a",
            "ig",
            json!([
                https("https-a", &["a.example.com"], "wild"),
                https("https-b", &["b.example.com"], "wild")
            ]),
        )];
        let audit = audit(&gws);
        assert_eq!(audit.findings.len(), 1);
        assert_eq!(
            labels(&audit.findings[0]),
            [
                "ns/a servers[0] (port https-a)",
                "ns/a servers[1] (port https-b)"
            ]
        );
    }

    #[test]
    fn clean_layouts() {
        let merged = vec![gateway(
            "a",
            "ig",
            json!([https("https", &["a.example.com", "b.example.com"], "wild")]),
        )];
        assert!(audit(&merged).findings.is_empty());
        let workloads = vec![
            gateway(
                "a",
                "ig-a",
                json!([https("https", &["a.example.com"], "wild")]),
            ),
            gateway(
                "b",
                "ig-b",
                json!([https("https", &["b.example.com"], "wild")]),
            ),
        ];
        assert!(audit(&workloads).findings.is_empty());
        let own_certs = vec![
            gateway(
                "a",
                "ig",
                json!([https("https", &["a.example.com"], "cert-a")]),
            ),
            gateway(
                "b",
                "ig",
                json!([https("https", &["b.example.com"], "cert-b")]),
            ),
        ];
        assert!(audit(&own_certs).findings.is_empty());
        let mut passthrough = https("tls", &["b.example.com"], "wild");
        passthrough["tls"]["mode"] = json!("PASSTHROUGH");
        let passthrough = vec![gateway(
            "a",
            "ig",
            json!([https("https", &["a.example.com"], "wild"), passthrough]),
        )];
        assert!(audit(&passthrough).findings.is_empty());
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
        let audit = audit(&gws);
        assert_eq!(audit.findings.len(), 1);
        assert!(
            matches!(&audit.findings[0], Finding::SharedCredential { credentials, .. } if credentials.len() == 2)
        );
    }

    #[test]
    fn duplicate_hosts_across_namespaces_and_case() {
        let gws = vec![
            gateway(
                "a",
                "ig",
                json!([https(
                    "https",
                    &["web/A.example.com", "./c.example.com"],
                    "cert-a"
                )]),
            ),
            gateway(
                "b",
                "ig",
                json!([https(
                    "https",
                    &["api/a.example.com.", "*/c.example.com", "b.example.com"],
                    "cert-b"
                )]),
            ),
        ];
        let audit = audit(&gws);
        assert_eq!(audit.findings.len(), 1);
        assert!(
            matches!(&audit.findings[0], Finding::DuplicateHost { hosts, .. }
            if hosts == &["a.example.com", "c.example.com"])
        );
        assert!(audit.findings[0].why().contains("duplicate host names"));
    }

    #[test]
    fn a_host_repeated_in_one_server_is_not_a_duplicate() {
        let gws = vec![gateway(
            "a",
            "ig",
            json!([https(
                "https",
                &["web/a.example.com", "api/a.example.com"],
                "c"
            )]),
        )];
        assert!(audit(&gws).findings.is_empty());
    }

    #[test]
    fn command_for_a_listener() {
        let listener = Listener {
            workload: [
                ("app".to_owned(), "x".to_owned()),
                ("istio".to_owned(), "ig".to_owned()),
            ]
            .into(),
            port: 8443,
            bind: Some("10.0.0.1".into()),
        };
        assert_eq!(
            plugin_config_command(&listener),
            "sni-guard plugin-config --selector app=x,istio=ig --port 8443 --bind 10.0.0.1 FILE..."
        );
    }
}
