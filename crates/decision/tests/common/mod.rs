//! Helpers shared by the decision tests.
#![allow(dead_code)]

use sni_guard_decision::{Config, Request, Verdict};

pub fn config(json: &str) -> Config {
    Config::parse(json.as_bytes()).unwrap_or_else(|e| panic!("{json}: {e}"))
}

pub fn decide<'a>(config: &'a Config, sni: Option<&'a str>, authority: &'a str) -> Verdict<'a> {
    config.decide(&Request {
        sni: sni.map(str::as_bytes),
        authority: Some(authority.as_bytes()),
        protocol: None,
    })
}

/// `421` for a refused request, `pass` otherwise (the router answers 200 or 404).
pub fn outcome(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Misdirected(_) => "421",
        Verdict::LogOnly(_) => "log",
        Verdict::Pass => "pass",
        Verdict::NoSni => "no_sni",
    }
}
