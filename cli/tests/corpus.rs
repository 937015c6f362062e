//! The CLI on manifests this project did not write (`tests/corpus/`, sources and licences in
//! its README): every file is read (none refused for a field the audit does not use), the
//! findings are those `expected.yaml` gives (established by reading istiod's code, not from
//! this tool's output), every command the audit suggests succeeds on the same file, `merge`
//! plans without failing, and every Istio and Gateway API object of the corpus matches its
//! project's CRD schema.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // test helpers may fail loudly

mod common;

use common::{documents, sni_guard};
use serde::Deserialize;
use serde_json::Value;
use sni_guard_harness::checks::crds;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

#[derive(Debug, Deserialize)]
struct Expected {
    file: String,
    /// Other corpus files audited with it (a Deployment alone has no Gateway to audit).
    #[serde(default)]
    with: Vec<String>,
    #[serde(default)]
    findings: Vec<ExpectedFinding>,
    #[serde(default)]
    not_audited: Vec<String>,
    #[serde(default)]
    unread_credentials: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct ExpectedFinding {
    kind: String,
    gateways: Vec<String>,
    #[serde(default)]
    hosts: Vec<String>,
}

/// A finding as compared: kind, the Gateways involved, and (where the kind is about hosts)
/// the hosts.
type Key = (String, Vec<String>, Vec<String>);

fn expected() -> Vec<Expected> {
    let text = std::fs::read_to_string(corpus().join("expected.yaml")).unwrap();
    yaml_serde::from_str(&text).unwrap()
}

fn sorted(items: impl IntoIterator<Item = String>) -> Vec<String> {
    items
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

/// The audit's conflicts as keys. A duplicate host is one key per listener and host, with
/// every Gateway that lists it (the report says it per server istiod drops).
fn found(report: &Value) -> Vec<Key> {
    let mut keys = Vec::new();
    let mut duplicates: BTreeMap<(String, u64, String, String), BTreeSet<String>> = BTreeMap::new();
    for c in report["conflicts"].as_array().unwrap() {
        let kind = c["kind"].as_str().unwrap().to_owned();
        let gateways = sorted(
            c["servers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["gateway"].as_str().unwrap().to_owned()),
        );
        match kind.as_str() {
            "duplicate_host" => {
                for host in strings(&c["hosts"]) {
                    let host = host.rsplit('/').next().unwrap_or_default().to_owned();
                    let at = (
                        c["workload_name"].as_str().unwrap().to_owned(),
                        c["port"].as_u64().unwrap(),
                        c["bind"].to_string(),
                        host,
                    );
                    duplicates.entry(at).or_default().extend(gateways.clone());
                }
            }
            "uncovered_host" => keys.push((kind, gateways, sorted(strings(&c["hosts"])))),
            _ => keys.push((kind, gateways, Vec::new())),
        }
    }
    for ((_, _, _, host), gateways) in duplicates {
        keys.push((
            "duplicate_host".to_owned(),
            gateways.into_iter().collect(),
            vec![host],
        ));
    }
    keys.sort();
    keys
}

fn wanted(e: &Expected) -> Vec<Key> {
    let mut keys: Vec<Key> = e
        .findings
        .iter()
        .map(|f| {
            let hosts = match f.kind.as_str() {
                "duplicate_host" | "uncovered_host" => sorted(f.hosts.iter().cloned()),
                _ => Vec::new(),
            };
            (f.kind.clone(), sorted(f.gateways.iter().cloned()), hosts)
        })
        .collect();
    keys.sort();
    keys
}

/// `namespace/name` (Secret, or credentialName in the namespace it is read from) or
/// `file:<path>`, for each unread credential.
fn unread(report: &Value) -> Vec<String> {
    sorted(
        report["unread_credentials"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| {
                let c = &u["credential"];
                if let Some(path) = c["serverCertificate"].as_str() {
                    return format!("file:{path}");
                }
                let name = c["credentialName"]
                    .as_str()
                    .or(c["secret"]["name"].as_str())
                    .unwrap();
                let ns = u["namespace"].as_str().unwrap_or("GATEWAY_NAMESPACE");
                format!("{ns}/{name}")
            }),
    )
}

/// The corpus files an entry audits, as paths.
fn inputs(e: &Expected) -> Vec<&'static str> {
    std::iter::once(&e.file)
        .chain(&e.with)
        .map(|f| &*corpus().join(f).to_string_lossy().into_owned().leak())
        .collect()
}

/// The `sni-guard ...` commands a human report suggests, `FILE...` replaced by `files`.
fn suggested(stdout: &str, files: &[&str]) -> Vec<Vec<String>> {
    let text = common::flat(stdout);
    let mut commands = BTreeSet::new();
    for (at, _) in text.match_indices("sni-guard plugin-config ") {
        let rest = &text[at..];
        let end = rest
            .find(" FILE...")
            .expect("a suggested command ends with FILE...");
        commands.insert(rest[..end].to_owned());
    }
    commands
        .into_iter()
        .map(|c| {
            let mut words: Vec<String> = c.split(' ').skip(1).map(str::to_owned).collect();
            words.extend(files.iter().map(|f| (*f).to_owned()));
            words
        })
        .collect()
}

#[test]
fn every_corpus_file_gives_the_findings_istiod_implies() {
    let entries = expected();
    let mut files: Vec<String> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| f.ends_with(".yaml") && f != "expected.yaml")
        .collect();
    files.sort();
    let listed = sorted(entries.iter().map(|e| e.file.clone()));
    assert_eq!(
        files, listed,
        "every corpus file has one entry in expected.yaml"
    );
    assert!(files.len() >= 25, "{} files", files.len());
    let mut wrong = Vec::new();
    let mut total = (0, 0);
    for e in &entries {
        let files = inputs(e);
        let out = sni_guard(&[&["audit", "--format", "json"][..], &files].concat());
        assert!(
            out.code < 2,
            "{}: refused: {}{}",
            e.file,
            out.stdout,
            out.stderr
        );
        let report = out.json();
        let (got, want) = (found(&report), wanted(e));
        total = (total.0 + got.len(), total.1 + want.len());
        if got != want {
            wrong.push(format!(
                "{}: findings\n  got  {got:?}\n  want {want:?}",
                e.file
            ));
        }
        let unplaced = sorted(
            report["unplaced"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["gateway"].as_str().unwrap().to_owned()),
        );
        if unplaced != sorted(e.not_audited.iter().cloned()) {
            wrong.push(format!(
                "{}: not audited\n  got  {unplaced:?}\n  want {:?}",
                e.file, e.not_audited
            ));
        }
        let got_unread = unread(&report);
        if got_unread != sorted(e.unread_credentials.iter().cloned()) {
            wrong.push(format!(
                "{}: unread credentials\n  got  {got_unread:?}\n  want {:?}",
                e.file, e.unread_credentials
            ));
        }
        let complete = report["summary"]["complete"].as_bool().unwrap();
        assert_eq!(
            complete,
            report["not_known"].as_array().unwrap().is_empty()
                && report["unplaced"].as_array().unwrap().is_empty(),
            "{}",
            e.file
        );
        if !got_unread.is_empty() {
            assert!(!complete, "{}: an unread certificate is not known", e.file);
        }
        println!(
            "{}: {} findings, {} expected",
            e.file,
            got.len(),
            want.len()
        );
    }
    println!(
        "{} files: {} findings, {} expected",
        entries.len(),
        total.0,
        total.1
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_command_the_audit_suggests_succeeds_on_its_input() {
    let mut ran = 0;
    for e in expected() {
        let files = inputs(&e);
        let out = sni_guard(&[&["audit"][..], &files].concat());
        assert!(out.code < 2, "{}: {}", e.file, out.stderr);
        for command in suggested(&out.stdout, &files) {
            let args: Vec<&str> = command.iter().map(String::as_str).collect();
            let run = sni_guard(&args);
            assert_eq!(
                run.code,
                0,
                "{}: sni-guard {}: {}",
                e.file,
                args.join(" "),
                run.stderr
            );
            let config: Value = serde_json::from_str(&run.stdout).unwrap();
            assert!(!config["servers"].as_array().unwrap().is_empty());
            ran += 1;
        }
        let merge = sni_guard(&[&["merge", "--format", "json"][..], &files].concat());
        assert!(merge.code < 2, "{}: merge: {}", e.file, merge.stderr);
    }
    // The project's own fixtures too.
    for fixture in common::GOOD_FIXTURES {
        let path = common::fixtures().join(fixture);
        let file = path.to_str().unwrap();
        let out = sni_guard(&["audit", file]);
        for command in suggested(&out.stdout, &[file]) {
            let args: Vec<&str> = command.iter().map(String::as_str).collect();
            let run = sni_guard(&args);
            assert_eq!(
                run.code,
                0,
                "{fixture}: sni-guard {}: {}",
                args.join(" "),
                run.stderr
            );
            ran += 1;
        }
    }
    println!("{ran} suggested commands ran");
    assert!(ran > 4);
}

/// Objects of the corpus the API server would refuse, and why: test data of analyzers is
/// not applied to an API server.
const INVALID: [(&str, &str, &str); 1] = [(
    "istio-analyzer-gateway-secrets.yaml",
    "defaultgateway-bogusCredentialName",
    "metadata.name: \"defaultgateway-bogusCredentialName\" is not a DNS-1123 subdomain",
)];

#[test]
fn every_corpus_object_matches_its_crd() {
    let (Some(istio), Some(gateway_api)) = (
        crds::istio("every_corpus_object_matches_its_crd"),
        crds::gateway_api("every_corpus_object_matches_its_crd"),
    ) else {
        return;
    };
    let mut checked = 0;
    let mut refused = Vec::new();
    let mut no_crd = BTreeSet::new();
    for e in expected() {
        let text = std::fs::read_to_string(corpus().join(&e.file)).unwrap();
        for doc in documents(&text) {
            let (api_version, kind) = (
                doc["apiVersion"].as_str().unwrap_or(""),
                doc["kind"].as_str().unwrap_or(""),
            );
            let Some(crds) = [istio, gateway_api]
                .into_iter()
                .find(|c| c.has(api_version, kind))
            else {
                if api_version.contains("istio.io") || api_version.contains("gateway.networking") {
                    no_crd.insert(format!("{api_version} {kind}"));
                }
                continue;
            };
            checked += 1;
            if let Err(problems) = crds.validate(&doc) {
                let name = doc["metadata"]["name"].as_str().unwrap_or("").to_owned();
                refused.extend(
                    problems
                        .into_iter()
                        .map(|p| (e.file.clone(), name.clone(), p)),
                );
            }
        }
    }
    println!("{checked} objects checked; kinds whose CRDs are not in ../shared: {no_crd:?}");
    let known: Vec<(String, String, String)> = INVALID
        .iter()
        .map(|(f, n, p)| ((*f).to_owned(), (*n).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(refused, known);
    assert!(checked >= 90, "{checked}");
}
