use super::*;

fn run_with(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = run(
        std::iter::once("sni-guard").chain(args.iter().copied()),
        &mut stdin.as_bytes(),
        &mut out,
        &mut err,
    );
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

const TWO: &str = r#"{"apiVersion": "v1", "kind": "List", "items": [
    {"apiVersion": "networking.istio.io/v1", "kind": "Gateway", "metadata": {"name": "a", "namespace": "n"},
     "spec": {"selector": {"istio": "ig"}, "servers": [{"port": {"number": 443, "name": "https", "protocol": "HTTPS"},
              "hosts": ["a.example.com"], "tls": {"mode": "SIMPLE", "credentialName": "w"}}]}},
    {"apiVersion": "networking.istio.io/v1", "kind": "Gateway", "metadata": {"name": "b", "namespace": "n"},
     "spec": {"selector": {"istio": "ig"}, "servers": [{"port": {"number": 443, "name": "https", "protocol": "HTTPS"},
              "hosts": ["b.example.com"], "tls": {"mode": "SIMPLE", "credentialName": "w"}}]}}]}"#;

#[test]
fn audit_from_stdin() {
    let (code, out, err) = run_with(&["audit", "--workload-labels", "istio=ig", "-"], TWO);
    assert_eq!(code, EXIT_FOUND, "{err}");
    assert!(out.starts_with("CONFLICT: certificate shared by 2 filter chains"));
    assert!(err.is_empty(), "{err}");
}

#[test]
fn plugin_config_from_stdin() {
    let (code, out, err) = run_with(
        &[
            "plugin-config",
            "--mode",
            "log-only",
            "--workload-labels",
            "istio=ig",
            "-",
        ],
        TWO,
    );
    assert_eq!(code, EXIT_OK, "{err}");
    let value: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(value["mode"], "log_only");
    assert_eq!(
        err,
        "sni-guard: configuration for workload pods labelled istio=ig, port 443: 2 servers\n"
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(run_with(&["audit"], "").0, EXIT_USAGE);
    assert_eq!(run_with(&["frobnicate"], "").0, EXIT_USAGE);
    let (code, _, err) = run_with(&["plugin-config", "--selector", "istio", "-"], TWO);
    assert_eq!(code, EXIT_USAGE);
    assert!(err.contains("\"istio\" is not key=value"), "{err}");
    let (code, _, err) = run_with(&["audit", "-", "-"], TWO);
    assert_eq!(
        (code, err.as_str()),
        (
            EXIT_USAGE,
            "sni-guard: error: -: standard input is named twice\n"
        )
    );
    let (code, _, err) = run_with(&["plugin-config", "--url", "oci://x/y:1", "-"], TWO);
    assert_eq!(code, EXIT_USAGE, "--url needs --wasmplugin: {err}");
    let (code, out, _) = run_with(&["--help"], "");
    assert_eq!(code, EXIT_OK);
    assert!(out.contains("Exit codes"));
}

#[test]
fn input_without_a_gateway_is_refused() {
    let (code, out, err) = run_with(
        &["audit", "-"],
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n",
    );
    assert_eq!(code, EXIT_USAGE);
    assert_eq!(out, "");
    assert_eq!(
        err,
        "sni-guard: error: the input has no Gateway (networking.istio.io or gateway.networking.k8s.io) that could be read; it holds 1 example.com/v1 Widget, 1 v1 Secret\n"
    );
}
