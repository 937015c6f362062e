//! `h2load` (Debian `nghttp2-client`) as the load generator: one run of one kind of request
//! (SNI, `:authority`, HTTP/2 or HTTP/1.1), its summary and its per-request log.

use crate::client::Protocol;
use crate::error::{Context, Result, fail};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

/// One h2load run: `requests` requests of one kind to 127.0.0.1:`port`.
#[derive(Debug, Clone)]
pub struct Run<'a> {
    pub port: u16,
    /// The SNI; `None` connects by IP, and h2load sends no SNI for an IP address.
    pub sni: Option<&'a str>,
    pub authority: &'a str,
    pub protocol: Protocol,
    pub requests: u32,
    /// Connections (`-c`).
    pub clients: u32,
    /// Concurrent streams per HTTP/2 connection (`-m`; HTTP/1.1 always sends one at a time).
    pub streams: u32,
    /// Where h2load writes one line per request (`--log-file`).
    pub log: Option<&'a Path>,
    /// Pins h2load to this CPU (`taskset -c`).
    pub cpu: Option<usize>,
}

/// What h2load's summary says.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    pub done: u32,
    pub requests_per_second: f64,
}

impl Run<'_> {
    /// Runs h2load to the end; an error unless every request was done.
    pub fn run(&self) -> Result<Summary> {
        let out = self
            .command()
            .output()
            .context(|| "running h2load (apt-get install nghttp2-client)".into())?;
        self.summary(&out)
    }

    /// Starts h2load in the background (several kinds at once); [`Running::finish`] waits.
    pub fn spawn(&self) -> Result<Running<'_>> {
        let child = self
            .command()
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context(|| "starting h2load (apt-get install nghttp2-client)".into())?;
        Ok(Running {
            run: self,
            child: Some(child),
        })
    }

    fn command(&self) -> Command {
        let mut command = match self.cpu {
            Some(cpu) => {
                let mut c = Command::new("taskset");
                c.args(["-c", &cpu.to_string(), "h2load"]);
                c
            }
            None => Command::new("h2load"),
        };
        let streams = match self.protocol {
            Protocol::Http2 => self.streams,
            Protocol::Http1 => 1,
        };
        command
            .args(["-n", &self.requests.to_string()])
            .args(["-c", &self.clients.to_string()])
            .args(["-m", &streams.to_string()])
            .args(["-H", &format!(":authority: {}", self.authority)]);
        if self.protocol == Protocol::Http1 {
            command.arg("--h1");
        }
        if let Some(log) = self.log {
            command.arg(format!("--log-file={}", log.display()));
        }
        match self.sni {
            Some(sni) => command
                .arg(format!("--connect-to=127.0.0.1:{}", self.port))
                .arg(format!("https://{sni}:{}/", self.port)),
            None => command.arg(format!("https://127.0.0.1:{}/", self.port)),
        };
        command
    }

    fn summary(&self, out: &Output) -> Result<Summary> {
        let text = String::from_utf8_lossy(&out.stdout);
        let done = text
            .lines()
            .find(|l| l.starts_with("requests:"))
            .and_then(|l| l.split(',').find(|p| p.ends_with(" done")))
            .and_then(|p| p.split_whitespace().next())
            .and_then(|n| n.parse::<u32>().ok());
        if done != Some(self.requests) {
            return Err(fail(format!(
                "h2load did not complete {} requests ({}):\n{text}{}",
                self.requests,
                out.status,
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        let requests_per_second = text
            .lines()
            .find(|l| l.starts_with("finished in"))
            .and_then(|l| l.split(", ").nth(1))
            .and_then(|p| p.split_whitespace().next())
            .and_then(|r| r.parse().ok())
            .ok_or_else(|| fail(format!("no req/s in h2load's output:\n{text}")))?;
        Ok(Summary {
            done: self.requests,
            requests_per_second,
        })
    }
}

/// One HTTP/2 request sent by nghttp2 exactly as given (the `:authority` bytes untouched,
/// which the `http` crate refuses for many hostile forms): the status, or `None` when no
/// response came (stream reset, connection refused).
pub fn one(port: u16, sni: Option<&str>, authority: &str) -> Result<Option<u16>> {
    let log = tempfile::NamedTempFile::new()?;
    let run = Run {
        port,
        sni,
        authority,
        protocol: Protocol::Http2,
        requests: 1,
        clients: 1,
        streams: 1,
        log: Some(log.path()),
        cpu: None,
    };
    run.command()
        .output()
        .context(|| "running h2load (apt-get install nghttp2-client)".into())?;
    let statuses = read_log(log.path())?.statuses;
    Ok(statuses.into_keys().find(|&status| status != 0))
}

/// An h2load in the background. Dropping it kills it.
pub struct Running<'a> {
    run: &'a Run<'a>,
    child: Option<Child>,
}

impl Running<'_> {
    /// Waits for h2load to end; an error unless every request was done.
    pub fn finish(mut self) -> Result<Summary> {
        let child = self
            .child
            .take()
            .ok_or_else(|| fail("h2load already collected"))?;
        let out = child.wait_with_output()?;
        self.run.summary(&out)
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// h2load's per-request log: how many responses had each status, and each duration (µs).
#[derive(Debug, Clone, Default)]
pub struct Log {
    pub statuses: BTreeMap<u16, u64>,
    pub latencies_us: Vec<u64>,
}

/// Reads a `--log-file`: one line per request, start (µs), status, duration (µs), tab
/// separated. A request that got no response has status -1, counted as 0.
pub fn read_log(path: &Path) -> Result<Log> {
    let text = std::fs::read_to_string(path).context(|| format!("reading {}", path.display()))?;
    let mut log = Log::default();
    for line in text.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        let [_, status, micros] = fields.as_slice() else {
            return Err(fail(format!("h2load log line {line:?}")));
        };
        let status = status.parse::<i32>()?;
        *log.statuses
            .entry(u16::try_from(status).unwrap_or(0))
            .or_insert(0) += 1;
        log.latencies_us.push(micros.parse()?);
    }
    Ok(log)
}

/// A count as a command line gives it (requests, rounds, waves): digits, with or without `_`
/// or `,` between them (`500_000`). The bench's and the soak's value parser.
pub fn count<T: std::str::FromStr>(text: &str) -> std::result::Result<T, String> {
    text.replace(['_', ','], "")
        .parse()
        .map_err(|_| format!("not a number: {text:?}"))
}

#[cfg(test)]
mod tests {
    use super::count;

    #[test]
    fn counts_take_separators_between_digits() {
        assert_eq!(count::<u64>("500_000"), Ok(500_000));
        assert_eq!(count::<u64>("1,000"), Ok(1_000));
        assert_eq!(count::<u32>("7"), Ok(7));
        assert_eq!(
            count::<u32>("ten"),
            Err("not a number: \"ten\"".to_string())
        );
        assert!(count::<u32>("-1").is_err());
    }
}
