//! Envoy's admin API over plain HTTP/1.1 on loopback: `/ready`, `/stats`, `/quitquitquit`.

use crate::error::{fail, Context, Result};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// One admin request; returns the status and the body.
pub fn request(admin: SocketAddr, method: &str, path: &str) -> Result<(u16, String)> {
    let mut stream = TcpStream::connect(admin).context(|| format!("admin {admin}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {admin}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .context(|| format!("admin {method} {path}"))?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| fail(format!("admin {path}: malformed response {text:?}")))?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| fail(format!("admin {path}: no status in {head:?}")))?;
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
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
