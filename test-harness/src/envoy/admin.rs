//! Envoy's admin API over plain HTTP/1.1 on loopback: `/ready`, `/stats`, `/quitquitquit`;
//! and [`exchange`], the one-shot request the registry client makes too.

use crate::error::{fail, Context, Result};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// A response as it came: the status, the headers (names lower-case), the body (a chunked
/// one still chunked).
pub type Exchanged = (u16, Vec<(String, String)>, Vec<u8>);

/// One HTTP/1.1 request with `headers` on a connection of its own (`Connection: close`),
/// read to the end.
pub fn exchange(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> Result<Exchanged> {
    let what = || format!("{method} {path} on {addr}");
    let mut stream = TcpStream::connect(addr).context(what)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("Connection: close\r\nContent-Length: 0\r\n\r\n");
    stream.write_all(head.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).context(what)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| {
            let text = String::from_utf8_lossy(&raw);
            fail(format!("{}: malformed response {text:?}", what()))
        })?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| fail(format!("{}: no status in {head:?}", what())))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Ok((status, headers, raw[split + 4..].to_vec()))
}

/// Whether `headers` say the body is chunked.
pub fn chunked(headers: &[(String, String)]) -> bool {
    headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"))
}

/// One admin request; returns the status and the body.
pub fn request(admin: SocketAddr, method: &str, path: &str) -> Result<(u16, String)> {
    let (status, headers, body) =
        exchange(admin, method, path, &[]).context(|| "admin".to_string())?;
    let body = String::from_utf8_lossy(&body);
    let body = match chunked(&headers) {
        true => dechunk(&body),
        false => body.into_owned(),
    };
    Ok((status, body))
}

/// A GET that must answer 200.
pub fn get(admin: SocketAddr, path: &str) -> Result<String> {
    match request(admin, "GET", path)? {
        (200, body) => Ok(body),
        (status, body) => Err(fail(format!("admin GET {path}: {status} {body}"))),
    }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(rest.get(..size).unwrap_or_default());
        body = rest
            .get(size..)
            .unwrap_or_default()
            .trim_start_matches("\r\n");
    }
    out
}

/// The counters and gauges whose names start with `prefix`, names without it.
pub fn stats_under(admin: SocketAddr, prefix: &str) -> Result<BTreeMap<String, u64>> {
    Ok(stats(admin, prefix)?
        .into_iter()
        .filter_map(|(k, v)| Some((k.strip_prefix(prefix)?.to_string(), v)))
        .collect())
}

/// One counter or gauge; `None` if Envoy does not report it.
pub fn stat(admin: SocketAddr, name: &str) -> Result<Option<u64>> {
    Ok(stats(admin, name)?.get(name).copied())
}

/// Counters and gauges from `/stats` whose names contain `filter` (plain text format).
pub fn stats(admin: SocketAddr, filter: &str) -> Result<BTreeMap<String, u64>> {
    let body = get(admin, &format!("/stats?filter={filter}"))?;
    Ok(body
        .lines()
        .filter_map(|line| {
            let (name, value) = line.split_once(": ")?;
            Some((name.to_string(), value.trim().parse().ok()?))
        })
        .collect())
}
