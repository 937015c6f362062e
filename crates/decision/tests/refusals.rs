//! Every refused configuration names the field and the value.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // a test may fail loudly

use sni_guard_decision::Config;

fn refused(json: &str) -> String {
    match Config::parse(json.as_bytes()) {
        Ok(_) => panic!("accepted: {json}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn each_refusal_names_field_and_value() {
    let cases = [
        (
            "{",
            "configuration: not valid JSON: EOF while parsing an object at line 1 column 1",
        ),
        (
            r#"{"mode": "strict", "mode": "log_only"}"#,
            "configuration: duplicate field `mode` at line 1 column 25",
        ),
        ("[]", "configuration: must be a JSON object, got []"),
        ("null", "configuration: must be a JSON object, got null"),
        (
            r#"{"mod": "strict"}"#,
            "mod: unknown field `mod`, expected one of `mode`, `servers`, `exempt_hosts`, `check_http1`",
        ),
        (
            "{\"\": 1}",
            "configuration: unknown field ``, expected one of `mode`",
        ),
        (
            "{\"a\\nb\": 1}",
            r"a\nb: unknown field `a\nb`, expected one of `mode`",
        ),
        (
            r#"{"mode": "strict", "servers": null}"#,
            "servers: must be a list of servers, got null",
        ),
        (
            r#"{"check_http1": null}"#,
            "check_http1: must be true or false, got null",
        ),
        (
            r#"{"mode": [1, {"a": [true, null, "x\"y"]}, -2.5e3]}"#,
            r#"mode: must be "strict" or "log_only", got [1,{"a":[true,null,"x\"y"]},-2500]"#,
        ),
        (
            "{} x",
            "configuration: not valid JSON: trailing characters at line 1 column 4",
        ),
        (
            r#"{"mode": "enforce"}"#,
            r#"mode: must be "strict" or "log_only", got "enforce""#,
        ),
        (
            r#"{"mode": 1}"#,
            "mode: must be \"strict\" or \"log_only\", got 1",
        ),
        (
            r#"{"servers": {}}"#,
            "servers: must be a list of servers, got {}",
        ),
        (
            r#"{"servers": ["a"]}"#,
            r#"servers[0]: must be an object with "hosts" and an optional "name", got "a""#,
        ),
        (
            r#"{"servers": [[]]}"#,
            r#"servers[0]: must be an object with "hosts" and an optional "name", got []"#,
        ),
        (
            r#"{"servers": [{"name": "", "hosts": ["a.b"]}]}"#,
            r#"servers[0].name: must be a non-empty string of printable ASCII without spaces, got """#,
        ),
        (
            r#"{"servers": [{"name": "gw-\u00e9", "hosts": ["a.b"]}]}"#,
            r#"servers[0].name: must be a non-empty string of printable ASCII without spaces, got "gw-\u00e9""#,
        ),
        (
            r#"{"servers": [{"name": "gw a", "hosts": ["a.b"]}]}"#,
            r#"servers[0].name: must be a non-empty string of printable ASCII without spaces, got "gw a""#,
        ),
        (
            r#"{"servers": [{"name": "gw\nx", "hosts": ["a.b"]}]}"#,
            r#"servers[0].name: must be a non-empty string of printable ASCII without spaces, got "gw\nx""#,
        ),
        (
            r#"{"servers": [{"name": "x"}]}"#,
            "servers[0]: missing field `hosts`",
        ),
        (
            r#"{"servers": [{"name": "x", "hosts": ["a.b"], "hosts": ["c.d"]}]}"#,
            "servers[0]: duplicate field `hosts`",
        ),
        (
            r#"{"servers": [{"name": "x", "hosts": []}]}"#,
            "servers[0].hosts: must not be empty",
        ),
        (
            r#"{"servers": [{"name": "x", "hosts": "a.b"}]}"#,
            r#"servers[0].hosts: must be a list of host patterns, got "a.b""#,
        ),
        (
            r#"{"servers": [{"name": "x", "hosts": [7]}]}"#,
            "servers[0].hosts[0]: must be a string, got 7",
        ),
        (
            r#"{"servers": [{"name": "x", "hosts": ["a.b"], "port": 443}]}"#,
            "servers[0].port: unknown field `port`, expected `name` or `hosts`",
        ),
        (
            r#"{"servers": [{"name": "x", "hosts": ["a.*.example.com"]}]}"#,
            r#"servers[0].hosts[0]: "a.*.example.com" is not a valid host pattern"#,
        ),
        (
            r#"{"servers": [{"name": "x", "hosts": ["ok.com", "*foo.example.com"]}]}"#,
            r#"servers[0].hosts[1]: "*foo.example.com" is not a valid host pattern"#,
        ),
        (
            r#"{"servers": [{"name": "x", "hosts": [""]}]}"#,
            r#"servers[0].hosts[0]: "" is not a valid host pattern: empty host pattern"#,
        ),
        (
            r#"{"servers": [{"name": "x", "hosts": ["a.com"]}, {"name": "y", "hosts": ["A.COM"]}]}"#,
            r#"servers[1].hosts[0]: "A.COM" is already a host of server "x""#,
        ),
        (
            r#"{"servers": [{"name": "x", "hosts": ["*"]}, {"name": "y", "hosts": ["ns/*"]}]}"#,
            r#"servers[1].hosts[0]: "ns/*" is already a host of server "x""#,
        ),
        (
            r#"{"servers": [{"name": "x", "hosts": ["a.com"]}, {"name": "x", "hosts": ["b.com"]}]}"#,
            r#"servers[1].name: "x" names two servers"#,
        ),
        (
            r#"{"servers": [{"hosts": ["a.com"]}, {"name": "servers[0]", "hosts": ["b.com"]}]}"#,
            r#"servers[1].name: "servers[0]" names two servers"#,
        ),
        (
            r#"{"servers": [{"name": "servers[1]", "hosts": ["a.com"]}, {"hosts": ["b.com"]}]}"#,
            r#"servers[1]: has no name, and "servers[1]", the name it is logged by, is another server's"#,
        ),
        (
            r#"{"servers": [{"hosts": ["a.com"]}, {"hosts": ["A.COM"]}]}"#,
            r#"servers[1].hosts[0]: "A.COM" is already a host of server "servers[0]""#,
        ),
        (
            r#"{"exempt_hosts": "a.com"}"#,
            r#"exempt_hosts: must be a list of host patterns, got "a.com""#,
        ),
        (
            r#"{"exempt_hosts": ["a.*"]}"#,
            r#"exempt_hosts[0]: "a.*" is not a valid host pattern"#,
        ),
        (
            r#"{"check_http1": "no"}"#,
            r#"check_http1: must be true or false, got "no""#,
        ),
    ];
    for (json, want) in cases {
        let got = refused(json);
        assert!(
            got.starts_with(want),
            "{json}\n  got:  {got}\n  want: {want}…"
        );
    }
}

#[test]
fn bytes_that_are_not_utf8_are_refused_with_their_offset() {
    let error = Config::parse(b"{\"mode\": \"\xff\"}").err().unwrap();
    assert_eq!(
        error.to_string(),
        "configuration: not valid UTF-8 at byte 10"
    );
}

#[test]
fn nesting_is_bounded() {
    let deep = format!(r#"{{"mode": {}{}}}"#, "[".repeat(200), "]".repeat(200));
    let message = refused(&deep);
    assert!(
        message.starts_with("mode[0][0][0][0][0]...: not valid JSON: recursion limit exceeded"),
        "{message}"
    );
}

#[test]
fn keys_and_values_are_logged_as_one_line_of_printable_ascii() {
    let hostile = [
        r#"{"\u0000\u001b[31m\r\n": 1}"#,
        r#"{"mode": "\u2028é\t"}"#,
        r#"{"servers": [{"name": "\u0085", "hosts": ["a.com"]}]}"#,
        r#"{"servers": [{"hosts": ["\ud83d\ude00.com"]}]}"#,
        r#"{"servers": [{"hosts": {"\n": ["\u0007"]}}]}"#,
    ];
    for json in hostile {
        let message = refused(json);
        assert!(
            message.bytes().all(|b| b == b' ' || b.is_ascii_graphic()),
            "{json}: {message:?}"
        );
    }
    assert_eq!(
        refused(r#"{"\u001b[31m": 1}"#),
        "\\u001b[31m: unknown field `\\u001b[31m`, expected one of `mode`, `servers`, \
         `exempt_hosts`, `check_http1` at line 1 column 13"
    );
}

#[test]
fn long_values_are_shortened_in_the_message() {
    let long = format!(r#"{{"mode": "{}"}}"#, "x".repeat(500));
    let message = refused(&long);
    assert!(message.len() < 200, "{message}");
}

#[test]
fn a_server_without_a_name_is_named_by_its_index() {
    let c = Config::parse(
        br#"{"servers": [{"name": "gw-a", "hosts": ["a.com"]}, {"hosts": ["b.com"]}]}"#,
    )
    .unwrap();
    let servers = c.servers.as_ref().unwrap();
    let name = |host: &[u8]| servers.select(host).map(|id| servers.name(id));
    assert_eq!(name(b"a.com"), Some("gw-a"));
    assert_eq!(name(b"b.com"), Some("servers[1]"));
}

#[test]
fn a_pattern_repeated_within_one_server_is_harmless() {
    let c = Config::parse(br#"{"servers": [{"name": "x", "hosts": ["a.com", "A.com."]}]}"#);
    assert!(c.is_ok());
}

#[test]
fn a_ten_thousand_host_table_loads() {
    let hosts: Vec<String> = (0..10_000)
        .map(|i| format!("\"h{i}.example.com\""))
        .collect();
    let json = format!(
        r#"{{"servers": [{{"name": "big", "hosts": [{}]}}, {{"name": "other", "hosts": ["*.example.org"]}}]}}"#,
        hosts.join(",")
    );
    let c = Config::parse(json.as_bytes()).unwrap();
    let servers = c.servers.as_ref().unwrap();
    assert_eq!(servers.len(), 2);
    assert_eq!(
        servers
            .select(b"H9999.example.com")
            .map(|id| servers.name(id)),
        Some("big")
    );
    assert_eq!(
        servers.select(b"x.example.org").map(|id| servers.name(id)),
        Some("other")
    );
    assert_eq!(servers.select(b"h10000.example.com"), None);
}
