//! Envoy's admin API over plain HTTP/1.1 on loopback: `/ready`, `/stats`, `/quitquitquit`;
//! and [`exchange`], the one-shot request the registry client makes too (both through
//! [`Http1`]).

use crate::client::http1::{Exchanged, Http1};
use crate::error::{Context, Result, fail};
use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// One HTTP/1.1 request with `headers` on a connection of its own (`Connection: close`),
/// through the harness's HTTP/1 client.
pub fn exchange(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> Result<Exchanged> {
    let what = || format!("{method} {path} on {addr}");
    let stream = TcpStream::connect(addr).context(what)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("Connection: close\r\nContent-Length: 0\r\n\r\n");
    Http1::over(stream)
        .exchange_raw(head.as_bytes())
        .context(what)
}

/// One admin request; returns the status and the body.
pub fn request(admin: SocketAddr, method: &str, path: &str) -> Result<(u16, String)> {
    let (status, _, body) = exchange(admin, method, path, &[]).context(|| "admin".to_string())?;
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

/// A GET that must answer 200.
pub fn get(admin: SocketAddr, path: &str) -> Result<String> {
    match request(admin, "GET", path)? {
        (200, body) => Ok(body),
        (status, body) => Err(fail(format!("admin GET {path}: {status} {body}"))),
    }
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
