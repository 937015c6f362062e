//! A servers table from fuzzed patterns, a fuzzed SNI and authority. Invariants:
//! - nothing panics;
//! - a verdict does not change when the authority's case, a port or one trailing dot change;
//! - a name selects the same server as its normalised, disguised form;
//! - the log_only line is one line of printable ASCII.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sni_guard_decision::hostname::normalize;
use sni_guard_decision::{Config, Request, Verdict};

#[derive(Arbitrary, Debug)]
struct Input {
    patterns: Vec<String>,
    sni: String,
    authority: String,
    upper: u64,
    port: Option<u16>,
    dot: bool,
    table: bool,
    log_only: bool,
}

/// The same name as a client may spell it: another case, a port, a trailing dot.
fn disguise(name: &str, upper: u64, port: Option<u16>, dot: bool) -> String {
    let mut out: String = name
        .chars()
        .enumerate()
        .map(|(i, c)| match upper >> (i % 64) & 1 {
            1 => c.to_ascii_uppercase(),
            _ => c.to_ascii_lowercase(),
        })
        .collect();
    if dot {
        out.push('.');
    }
    if let Some(port) = port {
        out.push_str(&format!(":{port}"));
    }
    out
}

/// A name a disguise cannot change the meaning of: no port, brackets or trailing dot yet.
fn plain(name: &str) -> bool {
    !name.is_empty() && !name.ends_with('.') && !name.contains([':', '[', ']'])
}

fn config(input: &Input) -> Option<Config> {
    let mode = if input.log_only { "log_only" } else { "strict" };
    if !input.table {
        return Config::parse(format!(r#"{{"mode": "{mode}"}}"#).as_bytes()).ok();
    }
    // One server per pattern; refused patterns and clashes are dropped here (the refusal
    // paths have their own target).
    let mut servers = Vec::new();
    for (i, pattern) in input.patterns.iter().take(16).enumerate() {
        let server = serde_json_string(pattern);
        servers.push(format!(r#"{{"name": "s{i}", "hosts": [{server}]}}"#));
        let trial = format!(r#"{{"servers": [{}]}}"#, servers.join(","));
        if Config::parse(trial.as_bytes()).is_err() {
            servers.pop();
        }
    }
    let json = format!(
        r#"{{"mode": "{mode}", "servers": [{}]}}"#,
        servers.join(",")
    );
    Some(Config::parse(json.as_bytes()).unwrap_or_else(|e| panic!("{json}: {e}")))
}

fn serde_json_string(s: &str) -> String {
    let escaped: String = s
        .chars()
        .flat_map(|c| match c {
            '"' | '\\' => vec!['\\', c],
            c if (c as u32) < 0x20 => format!("\\u{:04x}", c as u32).chars().collect(),
            c => vec![c],
        })
        .collect();
    format!("\"{escaped}\"")
}

fn kind(verdict: Verdict) -> u8 {
    match verdict {
        Verdict::Pass => 0,
        Verdict::NoSni => 1,
        Verdict::Misdirected(_) => 2,
        Verdict::LogOnly(_) => 3,
    }
}

fuzz_target!(|input: Input| {
    let Some(config) = config(&input) else {
        return;
    };
    let decide = |authority: &str| {
        kind(config.decide(&Request {
            sni: Some(input.sni.as_bytes()),
            authority: Some(authority.as_bytes()),
            protocol: None,
        }))
    };
    let verdict = decide(&input.authority);
    let request = Request {
        sni: Some(input.sni.as_bytes()),
        authority: Some(input.authority.as_bytes()),
        protocol: None,
    };
    if let Verdict::LogOnly(m) | Verdict::Misdirected(m) = config.decide(&request) {
        let line = m.to_string();
        assert!(
            line.bytes().all(|b| b == b' ' || b.is_ascii_graphic()),
            "{line:?}"
        );
    }
    if plain(&input.authority) {
        let disguised = disguise(&input.authority, input.upper, input.port, input.dot);
        assert_eq!(
            verdict,
            decide(&disguised),
            "{:?} vs {disguised:?}",
            input.authority
        );
    }
    if let Some(servers) = &config.servers {
        for name in [&input.sni, &input.authority] {
            if plain(name) {
                let disguised = disguise(name, input.upper, input.port, input.dot);
                let selected = servers.select(normalize(name.as_bytes()));
                assert_eq!(
                    selected,
                    servers.select(normalize(disguised.as_bytes())),
                    "{name:?}"
                );
            }
        }
    }
});
