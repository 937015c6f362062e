//! Input that cannot be used: a clear error naming the file and the problem, exit 2, nothing
//! on stdout.

mod common;

use common::{sni_guard, sni_guard_stdin};

fn refused(out: &common::Output, expected_start: &str) {
    assert_eq!(
        out.code, 2,
        "stdout: {}\nstderr: {}",
        out.stdout, out.stderr
    );
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr.starts_with(expected_start),
        "expected {expected_start:?}, got {:?}",
        out.stderr
    );
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
}

#[test]
fn prose() {
    refused(
        &sni_guard(&["audit", "garbage.txt"]),
        "sni-guard: error: garbage.txt: not valid YAML (document 1): ",
    );
}

#[test]
fn errors_in_json_on_stdout_too() {
    for command in ["audit", "merge"] {
        let out = sni_guard(&[command, "--format", "json", "truncated.json"]);
        assert_eq!(out.code, 2);
        let error = out.json()["error"].as_str().unwrap().to_owned();
        assert!(
            error.starts_with("truncated.json: not valid JSON"),
            "{error}"
        );
        assert_eq!(out.stderr, format!("sni-guard: error: {error}\n"));
    }
}

#[test]
fn truncated_json() {
    refused(
        &sni_guard(&["audit", "truncated.json"]),
        "sni-guard: error: truncated.json: not valid JSON: EOF while parsing an object at line 1 column",
    );
}

#[test]
fn yaml_that_is_not_a_resource() {
    refused(
        &sni_guard(&["audit", "not-kubernetes.yaml"]),
        "sni-guard: error: not-kubernetes.yaml: not a Kubernetes resource: no apiVersion (a string)\n",
    );
}

#[test]
fn a_gateway_with_a_wrong_field_and_nothing_else() {
    let out = sni_guard(&["audit", "bad-port.yaml"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "sni-guard: error: the input has no Gateway (networking.istio.io or gateway.networking.k8s.io) that could be read; it holds nothing else\n  Gateway \"bad-port\" (bad-port.yaml): spec.servers[0].port.number: invalid type: string \"https\", expected u32: left out (the Gateway has no other server)\n"
    );
    let json = sni_guard(&["audit", "--format", "json", "bad-port.yaml"]);
    assert_eq!(json.code, 2);
    assert_eq!(
        json.json()["error"]
            .as_str()
            .map(|e| format!("sni-guard: error: {e}\n")),
        Some(out.stderr),
        "the error in the chosen format too"
    );
}

#[test]
fn a_wrong_field_leaves_out_only_what_needs_it() {
    let out = sni_guard(&["plugin-config", "merged-gateway.yaml", "bad-port.yaml"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("sni-guard: note: Gateway \"bad-port\" (bad-port.yaml): spec.servers[0].port.number: invalid type: string \"https\", expected u32: left out (the Gateway has no other server)\n"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.contains("\"servers\""), "{}", out.stdout);
}

#[test]
fn a_missing_file() {
    refused(
        &sni_guard(&["audit", "no-such-file.yaml"]),
        "sni-guard: error: no-such-file.yaml: cannot read: No such file or directory",
    );
}

#[test]
fn binary_and_empty_stdin() {
    refused(
        &sni_guard_stdin(&["audit", "-"], &[0x1f, 0x8b, 0x08, 0x00, 0xff]),
        "sni-guard: error: <stdin>: not text (invalid UTF-8 at byte 1): expected YAML or JSON\n",
    );
    refused(
        &sni_guard_stdin(&["audit", "-"], b""),
        "sni-guard: error: <stdin>: no Kubernetes resources in it (empty, or only comments)\n",
    );
}

#[test]
fn one_bad_file_among_good_ones() {
    refused(
        &sni_guard(&["audit", "merged-gateway.yaml", "garbage.txt"]),
        "sni-guard: error: garbage.txt: ",
    );
}

#[test]
fn usage_errors() {
    let out = sni_guard(&["audit"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("required"), "{}", out.stderr);
    let out = sni_guard(&["audit", "--format", "xml", "merged-gateway.yaml"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("invalid value 'xml'"), "{}", out.stderr);
    let out = sni_guard(&[
        "plugin-config",
        "--url",
        "oci://x/y:1",
        "merged-gateway.yaml",
    ]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("--wasmplugin"), "{}", out.stderr);
}
