//! Chromium's netlog (`--log-net-log=FILE --net-log-capture-mode=Default`), read for what
//! the tests need: the QUIC sessions (their host is the SNI Chromium sent) and, for each URL
//! request, every attempt in order: HTTP/2 or HTTP/3, the QUIC session it was bound to, the
//! `:authority` sent, the status received, and whether Chromium restarted it after a 421.
//! Event names are looked up in the file's own constants, so ids may change between
//! Chromium versions.

use crate::error::{Result, fail};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// A QUIC session: `host` is the server name of its handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuicSession {
    pub id: u64,
    pub host: String,
    pub port: u64,
    /// The certificate was verified (`QUIC_SESSION_CERTIFICATE_VERIFIED`).
    pub verified: bool,
    /// `details` of `QUIC_SESSION_CLOSED`, if it closed before Chromium exited.
    pub closed: Option<String>,
}

/// One try of a request on a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// `h3`, `h2` or `http/1.1`, from the kind of headers Chromium sent.
    pub protocol: &'static str,
    /// The QUIC session it went on (h3 only).
    pub quic_session: Option<u64>,
    pub authority: Option<String>,
    pub status: Option<u16>,
    /// Chromium answered the 421 with `HTTP_TRANSACTION_RESTART_MISDIRECTED_REQUEST`.
    pub restarted_after_421: bool,
}

/// A URL request (a page, a frame, a favicon) and its attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub url: String,
    pub attempts: Vec<Attempt>,
    /// Body bytes handed to the page (`URL_REQUEST_JOB_FILTERED_BYTES_READ`).
    pub body_bytes: u64,
    /// A `net_error` other than 0 logged on the request.
    pub net_error: Option<i64>,
}

/// What a netlog file says about sessions and requests.
#[derive(Debug, Clone, Default)]
pub struct NetLog {
    pub quic_sessions: Vec<QuicSession>,
    /// Hosts (`host:port`) of the HTTP/2 sessions.
    pub http2_sessions: Vec<String>,
    pub requests: Vec<Request>,
    /// `is_issued_by_known_root` of every certificate verification.
    pub known_root: Vec<bool>,
    /// Alternative services Chromium found for a request (`quic a.example.com:PORT, expires
    /// ...`) and whether it held them broken.
    pub alt_svc: Vec<(String, bool)>,
}

impl NetLog {
    pub fn read(path: &Path) -> Result<NetLog> {
        let text = std::fs::read_to_string(path)?;
        parse(&text)
    }

    /// The requests whose URL starts with `prefix` (`https://b.example.com:PORT/`).
    pub fn requests_to<'a>(&'a self, prefix: &str) -> impl Iterator<Item = &'a Request> + 'a {
        let prefix = prefix.to_string();
        self.requests
            .iter()
            .filter(move |r| r.url.starts_with(&prefix))
    }

    /// The host (SNI) of QUIC session `id`.
    pub fn quic_host(&self, id: u64) -> Option<&str> {
        self.quic_sessions
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.host.as_str())
    }

    /// One line per session and per example.com request, for test output.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        for s in &self.quic_sessions {
            let closed = s.closed.as_deref().unwrap_or("-");
            out.push_str(&format!(
                "  QUIC session {} SNI {} verified={} closed: {}\n",
                s.id, s.host, s.verified, closed
            ));
        }
        for host in &self.http2_sessions {
            out.push_str(&format!("  HTTP/2 session {host}\n"));
        }
        for r in self
            .requests
            .iter()
            .filter(|r| r.url.contains(".example.com"))
        {
            out.push_str(&format!("  {} ({} body bytes", r.url, r.body_bytes));
            if let Some(e) = r.net_error {
                out.push_str(&format!(", net_error {e}"));
            }
            out.push_str(")\n");
            for a in &r.attempts {
                let on = a
                    .quic_session
                    .map(|id| {
                        let sni = self.quic_host(id).unwrap_or("?");
                        format!(" on QUIC session {id} (SNI {sni})")
                    })
                    .unwrap_or_default();
                out.push_str(&format!(
                    "    {}{on} :authority {} -> {}{}\n",
                    a.protocol,
                    a.authority.as_deref().unwrap_or("-"),
                    a.status.map_or("-".into(), |s| s.to_string()),
                    if a.restarted_after_421 {
                        ", restarted (421)"
                    } else {
                        ""
                    },
                ));
            }
        }
        out
    }
}

/// Parses a netlog; one cut short (Chromium killed) is closed first.
pub fn parse(text: &str) -> Result<NetLog> {
    let json: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(_) => {
            let cut = text.trim_end().trim_end_matches(',');
            serde_json::from_str(&format!("{cut}]}}"))
                .map_err(|e| fail(format!("the netlog is not JSON: {e}")))?
        }
    };
    let names: BTreeMap<u64, &str> = json
        .pointer("/constants/logEventTypes")
        .and_then(Value::as_object)
        .ok_or_else(|| fail("the netlog has no constants.logEventTypes"))?
        .iter()
        .filter_map(|(name, id)| Some((id.as_u64()?, name.as_str())))
        .collect();
    let events = json
        .get("events")
        .and_then(Value::as_array)
        .ok_or_else(|| fail("the netlog has no events"))?;
    let mut log = NetLog::default();
    // URL requests by source id, in the order they first appear.
    let mut requests: Vec<(u64, Request)> = Vec::new();
    let mut bound_quic: BTreeMap<u64, u64> = BTreeMap::new();
    for event in events {
        let Some(name) = event
            .get("type")
            .and_then(Value::as_u64)
            .and_then(|t| names.get(&t))
        else {
            continue;
        };
        let source = event.pointer("/source/id").and_then(Value::as_u64);
        let begin = event.get("phase").and_then(Value::as_u64) == Some(1);
        let params = event.get("params").unwrap_or(&Value::Null);
        let Some(source) = source else { continue };
        match *name {
            "QUIC_SESSION" if begin => log.quic_sessions.push(QuicSession {
                id: source,
                host: str_param(params, "host").unwrap_or_default(),
                port: params.get("port").and_then(Value::as_u64).unwrap_or(0),
                verified: false,
                closed: None,
            }),
            "QUIC_SESSION_CERTIFICATE_VERIFIED" => {
                if let Some(s) = log.quic_sessions.iter_mut().find(|s| s.id == source) {
                    s.verified = true;
                }
            }
            "QUIC_SESSION_CLOSED" => {
                if let Some(s) = log.quic_sessions.iter_mut().find(|s| s.id == source) {
                    s.closed = s.closed.take().or_else(|| str_param(params, "details"));
                }
            }
            "HTTP2_SESSION" if begin => {
                log.http2_sessions
                    .push(str_param(params, "host").unwrap_or_default());
            }
            "CERT_VERIFIER_JOB" if !begin => {
                if let Some(k) = params
                    .get("is_issued_by_known_root")
                    .and_then(Value::as_bool)
                {
                    log.known_root.push(k);
                }
            }
            "HTTP_STREAM_JOB_CONTROLLER_ALT_SVC_FOUND" => {
                let broken = params.get("is_broken").and_then(Value::as_bool);
                if let (Some(alt), Some(broken)) = (str_param(params, "alt_svc"), broken) {
                    log.alt_svc.push((alt, broken));
                }
            }
            _ => {}
        }
        if *name == "URL_REQUEST_START_JOB" && begin && find(&mut requests, source).is_none() {
            requests.push((
                source,
                Request {
                    url: str_param(params, "url").unwrap_or_default(),
                    attempts: Vec::new(),
                    body_bytes: 0,
                    net_error: None,
                },
            ));
        }
        if *name == "HTTP_STREAM_REQUEST_BOUND_TO_QUIC_SESSION"
            && let Some(id) = params
                .pointer("/source_dependency/id")
                .and_then(Value::as_u64)
        {
            bound_quic.insert(source, id);
        }
        let Some(request) = find(&mut requests, source) else {
            continue;
        };
        let protocol = match *name {
            "HTTP_TRANSACTION_QUIC_SEND_REQUEST_HEADERS" => Some("h3"),
            "HTTP_TRANSACTION_HTTP2_SEND_REQUEST_HEADERS" => Some("h2"),
            "HTTP_TRANSACTION_SEND_REQUEST_HEADERS" => Some("http/1.1"),
            _ => None,
        };
        if let Some(protocol) = protocol {
            // The session binding comes just before the headers of the attempt it serves.
            let quic_session = bound_quic.remove(&source).filter(|_| protocol == "h3");
            request.attempts.push(Attempt {
                protocol,
                quic_session,
                authority: header(params, ":authority").or_else(|| header(params, "host")),
                status: None,
                restarted_after_421: false,
            });
        }
        match *name {
            "HTTP_TRANSACTION_READ_RESPONSE_HEADERS" => {
                if let Some(a) = request.attempts.last_mut() {
                    a.status = status_line(params);
                }
            }
            "HTTP_TRANSACTION_RESTART_MISDIRECTED_REQUEST" => {
                if let Some(a) = request.attempts.last_mut() {
                    a.restarted_after_421 = true;
                }
            }
            "URL_REQUEST_JOB_FILTERED_BYTES_READ" => {
                request.body_bytes += params
                    .get("byte_count")
                    .and_then(Value::as_u64)
                    .unwrap_or(0);
            }
            _ => {}
        }
        if let Some(e) = params.get("net_error").and_then(Value::as_i64)
            && e != 0
        {
            request.net_error = request.net_error.or(Some(e));
        }
    }
    log.requests = requests.into_iter().map(|(_, r)| r).collect();
    Ok(log)
}

fn find(requests: &mut [(u64, Request)], source: u64) -> Option<&mut Request> {
    requests
        .iter_mut()
        .find(|(id, _)| *id == source)
        .map(|(_, r)| r)
}

fn str_param(params: &Value, key: &str) -> Option<String> {
    params.get(key).and_then(Value::as_str).map(String::from)
}

fn headers(params: &Value) -> impl Iterator<Item = &str> {
    params
        .get("headers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

/// `name: value` lines; names compared without case.
fn header(params: &Value, name: &str) -> Option<String> {
    headers(params).find_map(|line| {
        let (n, v) = line.split_at_checked(name.len())?;
        let v = v.strip_prefix(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
    })
}

/// `HTTP/1.1 421` (Chromium's form for every protocol).
fn status_line(params: &Value) -> Option<u16> {
    headers(params)
        .next()?
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = r#"{"constants":{"logEventTypes":{"QUIC_SESSION":1,"URL_REQUEST_START_JOB":2,
      "HTTP_STREAM_REQUEST_BOUND_TO_QUIC_SESSION":3,"HTTP_TRANSACTION_QUIC_SEND_REQUEST_HEADERS":4,
      "HTTP_TRANSACTION_READ_RESPONSE_HEADERS":5,"HTTP_TRANSACTION_RESTART_MISDIRECTED_REQUEST":6,
      "HTTP_TRANSACTION_HTTP2_SEND_REQUEST_HEADERS":7,"URL_REQUEST_JOB_FILTERED_BYTES_READ":8}},
      "events":[
      {"type":1,"phase":1,"source":{"id":9},"params":{"host":"a.example.com","port":8443}},
      {"type":2,"phase":1,"source":{"id":5},"params":{"url":"https://b.example.com:8443/"}},
      {"type":3,"phase":0,"source":{"id":5},"params":{"source_dependency":{"id":9}}},
      {"type":4,"phase":0,"source":{"id":5},"params":{"headers":[":method: GET",":authority: b.example.com:8443"]}},
      {"type":5,"phase":0,"source":{"id":5},"params":{"headers":["HTTP/1.1 421"]}},
      {"type":6,"phase":0,"source":{"id":5}},
      {"type":7,"phase":0,"source":{"id":5},"params":{"headers":[":authority: b.example.com:8443"]}},
      {"type":5,"phase":0,"source":{"id":5},"params":{"headers":["HTTP/1.1 200"]}},
      {"type":8,"phase":0,"source":{"id":5},"params":{"byte_count":20}},"#;

    #[test]
    fn reads_attempts_sessions_and_a_log_cut_short() {
        let log = parse(LOG).unwrap();
        assert_eq!(log.quic_sessions[0].host, "a.example.com");
        let r = &log.requests[0];
        assert_eq!(r.body_bytes, 20);
        assert_eq!(r.attempts.len(), 2);
        assert_eq!(
            (r.attempts[0].protocol, r.attempts[0].quic_session),
            ("h3", Some(9))
        );
        assert_eq!(r.attempts[0].status, Some(421));
        assert!(r.attempts[0].restarted_after_421);
        assert_eq!(
            (r.attempts[1].protocol, r.attempts[1].status),
            ("h2", Some(200))
        );
        assert_eq!(
            r.attempts[1].authority.as_deref(),
            Some("b.example.com:8443")
        );
    }
}
