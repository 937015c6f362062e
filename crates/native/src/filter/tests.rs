//! The request-headers hook against a recording host: which calls each verdict makes.

use super::*;
use std::cell::RefCell;

#[derive(Default)]
struct Mock {
    sni: Option<&'static [u8]>,
    authority: Option<&'static [u8]>,
    protocol: Option<&'static [u8]>,
    calls: RefCell<Vec<String>>,
}

impl Host for Mock {
    fn attribute(&self, attribute: Attribute) -> Option<&[u8]> {
        self.calls.borrow_mut().push(format!("{attribute:?}"));
        match attribute {
            Attribute::RequestedServerName => self.sni,
            Attribute::RequestHost => self.authority,
            Attribute::RequestProtocol => self.protocol,
        }
    }

    fn send_response(&self, status: u32, body: &[u8], details: &str) {
        let body = String::from_utf8_lossy(body);
        self.calls
            .borrow_mut()
            .push(format!("send {status} {details} {body:?}"));
    }

    fn increment(&self, counter: usize) {
        self.calls.borrow_mut().push(format!("increment {counter}"));
    }
}

const COUNTER_IDS: Counters = Counters {
    misdirected: 7,
    log_only_mismatches: 8,
    no_sni: 9,
};

fn plugin(json: &str) -> Plugin {
    Plugin::configure(json.as_bytes(), COUNTER_IDS).unwrap()
}

fn run(
    plugin: &Plugin,
    sni: Option<&'static [u8]>,
    authority: Option<&'static [u8]>,
) -> (Action, Vec<String>) {
    let host = Mock {
        sni,
        authority,
        protocol: Some(b"HTTP/2"),
        ..Mock::default()
    };
    let action = plugin.request_headers(&host);
    (action, host.calls.into_inner())
}

const TWO: &str = r#"{"mode":"strict","servers":[{"name":"a","hosts":["a.example.com"]},{"name":"b","hosts":["b.example.com"]}]}"#;

#[test]
fn a_matching_request_costs_two_reads() {
    let (action, calls) = run(&plugin(TWO), Some(b"a.example.com"), Some(b"a.example.com"));
    assert_eq!(action, Action::Continue);
    assert_eq!(calls, ["RequestedServerName", "RequestHost"]);
}

#[test]
fn a_coalesced_request_gets_421_and_is_counted() {
    let (action, calls) = run(
        &plugin(TWO),
        Some(b"a.example.com"),
        Some(b"b.example.com:8443"),
    );
    assert_eq!(action, Action::StopIteration);
    assert_eq!(
        calls,
        [
            "RequestedServerName".to_owned(),
            "RequestHost".to_owned(),
            "increment 7".to_owned(),
            format!("send 421 {DETAILS} {:?}", String::from_utf8_lossy(BODY)),
        ]
    );
}

#[test]
fn log_only_and_no_sni_count_and_let_through() {
    let log_only = plugin(&TWO.replace("strict", "log_only"));
    let (action, calls) = run(&log_only, Some(b"a.example.com"), Some(b"b.example.com"));
    assert_eq!(action, Action::Continue);
    assert_eq!(calls.last().map(String::as_str), Some("increment 8"));
    let (action, calls) = run(&plugin(TWO), None, Some(b"b.example.com"));
    assert_eq!(action, Action::Continue);
    assert_eq!(calls, ["RequestedServerName", "RequestHost", "increment 9"]);
}

#[test]
fn a_refused_configuration_says_why_as_the_wasm_module_does() {
    let error = Plugin::configure(br#"{"mode":"strictly"}"#, COUNTER_IDS).unwrap_err();
    let expected = Config::parse(br#"{"mode":"strictly"}"#)
        .unwrap_err()
        .to_string();
    assert_eq!(error, expected);
    assert!(error.contains("mode"), "{error}");
}
