//! The audit's output: text for people, JSON for machines.

use crate::audit::{Audit, Finding};
use crate::gateway::Credential;
use crate::gateway::Labels;
use crate::layout::ServerRef;
use serde::Serialize;
use serde_json::{json, Value};

const WIDTH: usize = 100;

/// The human report. Ends with one summary line.
pub fn human(audit: &Audit<'_>) -> String {
    let mut out = String::new();
    for finding in &audit.findings {
        let servers = finding.servers();
        let (title, intro) = match finding {
            Finding::SharedCredential { credentials, .. } => (
                format!("certificate shared by {} filter chains", servers.len()),
                format!(
                    "{} presented by:",
                    join(credentials.iter().map(Credential::to_string))
                ),
            ),
            Finding::DuplicateHost { hosts, .. } => (
                format!("host listed by {} servers", servers.len()),
                format!(
                    "{} listed by:",
                    join(hosts.iter().map(|h| format!("{h:?}")))
                ),
            ),
        };
        out.push_str(&format!("CONFLICT: {title} on {}\n", finding.listener()));
        out.push_str(&format!("  {intro}\n"));
        for s in servers {
            out.push_str(&format!(
                "    {}  hosts: {}  ({})\n",
                s.label(),
                s.server.hosts.join(", "),
                s.gateway.source
            ));
        }
        out.push_str(&wrap("  Why: ", &finding.why()));
        out.push_str(&wrap("  Fix: ", &finding.fix()));
        out.push('\n');
    }
    let scope = format!(
        "{}, {} on {}",
        count(audit.gateways, "Gateway"),
        count(audit.https_servers, "HTTPS server"),
        count(audit.listeners, "workload port")
    );
    match audit.findings.len() {
        0 => out.push_str(&format!("No conflicts: {scope}.\n")),
        n => out.push_str(&format!("{} found: {scope}.\n", count(n, "conflict"))),
    }
    out
}

/// `1 Gateway`, `2 Gateways`.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// The JSON report, pretty-printed: `{"conflicts": [...], "summary": {...}, "notes": [...]}`.
pub fn json(audit: &Audit<'_>, notes: &[String]) -> serde_json::Result<String> {
    let report = JsonReport {
        conflicts: audit.findings.iter().map(conflict).collect(),
        summary: Summary {
            gateways: audit.gateways,
            https_servers: audit.https_servers,
            workload_ports: audit.listeners,
            conflicts: audit.findings.len(),
        },
        notes,
    };
    serde_json::to_string_pretty(&report)
}

#[derive(Serialize)]
struct JsonReport<'a> {
    conflicts: Vec<Conflict<'a>>,
    summary: Summary,
    notes: &'a [String],
}

#[derive(Serialize)]
struct Summary {
    gateways: usize,
    https_servers: usize,
    workload_ports: usize,
    conflicts: usize,
}

#[derive(Serialize)]
struct Conflict<'a> {
    kind: &'static str,
    workload: &'a Labels,
    port: u32,
    bind: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    credentials: Option<Vec<Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hosts: Option<&'a [String]>,
    servers: Vec<JsonServer<'a>>,
    why: String,
    fix: String,
}

#[derive(Serialize)]
struct JsonServer<'a> {
    gateway: String,
    namespace: &'a str,
    name: &'a str,
    server: usize,
    port_name: &'a str,
    hosts: &'a [String],
    source: String,
}

fn conflict<'a>(finding: &'a Finding<'_>) -> Conflict<'a> {
    let listener = finding.listener();
    let (kind, credentials, hosts) = match finding {
        Finding::SharedCredential { credentials, .. } => (
            "shared_credential",
            Some(credentials.iter().map(credential_json).collect()),
            None,
        ),
        Finding::DuplicateHost { hosts, .. } => ("duplicate_host", None, Some(hosts.as_slice())),
    };
    Conflict {
        kind,
        workload: &listener.workload,
        port: listener.port,
        bind: listener.bind.as_deref(),
        credentials,
        hosts,
        servers: finding.servers().iter().map(server_json).collect(),
        why: finding.why(),
        fix: finding.fix(),
    }
}

fn credential_json(credential: &Credential) -> Value {
    match credential {
        Credential::Secret(name) => json!({"credentialName": name}),
        Credential::File(path) => json!({"serverCertificate": path}),
    }
}

fn server_json<'a>(s: &ServerRef<'a>) -> JsonServer<'a> {
    JsonServer {
        gateway: s.gateway.id(),
        namespace: &s.gateway.namespace,
        name: &s.gateway.name,
        server: s.server.index,
        port_name: &s.server.port.name,
        hosts: &s.server.hosts,
        source: s.gateway.source.to_string(),
    }
}

fn join(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

/// Wraps `text` at word boundaries; the first line starts with `lead`, the others are
/// indented to match.
fn wrap(lead: &str, text: &str) -> String {
    let indent = " ".repeat(lead.len());
    let mut out = String::from(lead);
    let mut column = lead.len();
    for (i, word) in text.split_whitespace().enumerate() {
        if i > 0 && column + 1 + word.len() > WIDTH {
            out.push('\n');
            out.push_str(&indent);
            column = indent.len();
        } else if i > 0 {
            out.push(' ');
            column += 1;
        }
        out.push_str(word);
        column += word.len();
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::audit;
    use crate::gateway::{Gateway, Source};

    fn gateways() -> Vec<Gateway> {
        ["a", "b"]
            .iter()
            .map(|name| {
                Gateway::from_value(
                    &json!({"metadata": {"name": format!("gw-{name}"), "namespace": "ns"},
                            "spec": {"selector": {"istio": "ig"}, "servers": [
                                {"port": {"number": 443, "name": "https", "protocol": "HTTPS"},
                                 "hosts": [format!("{name}.example.com")],
                                 "tls": {"mode": "SIMPLE", "credentialName": "wild"}}]}}),
                    Source {
                        file: "g.yaml".into(),
                        place: format!("document {}", if *name == "a" { 1 } else { 2 }),
                    },
                )
                .unwrap()
            })
            .collect()
    }

    #[test]
    fn human_report() {
        let gws = gateways();
        let text = human(&audit(&gws));
        assert!(text.starts_with(
            "CONFLICT: certificate shared by 2 filter chains on workload istio=ig, port 443\n  credentialName \"wild\" presented by:\n    ns/gw-a servers[0] (port https)  hosts: a.example.com  (g.yaml document 1)\n    ns/gw-b servers[0] (port https)  hosts: b.example.com  (g.yaml document 2)\n  Why: each server"
        ), "{text}");
        assert!(
            text.ends_with("\n1 conflict found: 2 Gateways, 2 HTTPS servers on 1 workload port.\n")
        );
        assert!(text.lines().all(|l| l.len() <= WIDTH), "{text}");
        let clean = human(&audit(&gws[..1]));
        assert_eq!(
            clean,
            "No conflicts: 1 Gateway, 1 HTTPS server on 1 workload port.\n"
        );
    }

    #[test]
    fn json_report() {
        let gws = gateways();
        let text = json(&audit(&gws), &["a note".to_owned()]).unwrap();
        assert!(
            text.starts_with(
                "{\n  \"conflicts\": [\n    {\n      \"kind\": \"shared_credential\","
            ),
            "{text}"
        );
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            value["summary"],
            json!({"gateways": 2, "https_servers": 2, "workload_ports": 1, "conflicts": 1})
        );
        assert_eq!(value["notes"], json!(["a note"]));
        let conflict = &value["conflicts"][0];
        assert_eq!(conflict["kind"], "shared_credential");
        assert_eq!(conflict["credentials"], json!([{"credentialName": "wild"}]));
        assert_eq!(conflict["workload"], json!({"istio": "ig"}));
        assert_eq!(conflict["port"], 443);
        assert_eq!(conflict["bind"], Value::Null);
        assert_eq!(
            conflict["servers"][1],
            json!({"gateway": "ns/gw-b", "namespace": "ns", "name": "gw-b", "server": 0, "port_name": "https",
                   "hosts": ["b.example.com"], "source": "g.yaml document 2"})
        );
    }

    #[test]
    fn wrapping() {
        assert_eq!(wrap("  Fix: ", "one two"), "  Fix: one two\n");
        let long = "word ".repeat(40);
        let wrapped = wrap("  Fix: ", &long);
        assert!(wrapped.lines().count() > 1);
        assert!(wrapped
            .lines()
            .skip(1)
            .all(|l| l.starts_with("       word")));
    }
}
