//! The migration from the Lua workaround as an operator runs it on Istio, shown in the real
//! Envoy: `kubectl apply -f envoyfilter/wasmplugin-log-only.yaml` (sni-guard lets a coalesced
//! request through, counts it and logs a warning), then `kubectl apply -f
//! envoyfilter/wasmplugin.yaml`, delivered to the same running Envoy through ECDS as istiod
//! delivers it ([`crate::istio::ecds`]), and the 421.

use crate::client::Response;
use crate::envoy::Envoy;
use crate::error::{Result, fail};
use crate::istio::ecds::Discovered;
use crate::{istio::istiod, load::procfs, paths};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

pub const LOG_ONLY: &str = "envoyfilter/wasmplugin-log-only.yaml";
pub const STRICT: &str = "envoyfilter/wasmplugin.yaml";

/// What the gateway did in one mode.
pub struct Stage {
    /// `GET b.example.com` on the connection made for `a.example.com` before the switch.
    pub coalesced: Response,
    /// The same on a new connection (strict: after the switch).
    pub fresh: Option<Response>,
    /// After a 421: `GET b.example.com` on a new connection made for `b.example.com`.
    pub retry: Option<Response>,
    pub counters: BTreeMap<String, u64>,
    /// sni-guard's lines in Envoy's log during the stage, without Envoy's prefix.
    pub log: Vec<String>,
}

/// Envoy at one moment: its process, from `/proc`, and its uptime, from its admin API.
#[derive(Debug, Clone, Copy)]
pub struct Seen {
    pub pid: u32,
    /// The process's start time while it runs ([`procfs::start_ticks`]).
    pub started: Option<u64>,
    pub uptime: Duration,
}

/// The whole migration.
pub struct Migration {
    pub log_only: Stage,
    pub strict: Stage,
    /// Envoy before and after the switch.
    pub envoy: (Seen, Seen),
    /// From writing the update to Envoy counting it applied.
    pub applied_after: Duration,
}

impl Migration {
    /// Whether the Envoy process running before the switch still runs after it, and the one
    /// answering has not started again (its uptime did not go back).
    pub fn kept_running(&self) -> bool {
        let (before, after) = self.envoy;
        before.started.is_some() && after.started == before.started && after.uptime >= before.uptime
    }
}

fn seen(envoy: &Envoy) -> Result<Seen> {
    let pid = envoy.pid().ok_or_else(|| fail("Envoy has no pid"))?;
    Ok(Seen {
        pid,
        started: procfs::start_ticks(pid)?,
        uptime: envoy.uptime()?,
    })
}

/// Runs the migration in its own Envoy.
pub fn run() -> Result<Migration> {
    let root = paths::workspace_root();
    let log_only = istiod::load(&root.join(LOG_ONLY))?;
    let strict = istiod::load(&root.join(STRICT))?;
    let module = std::fs::read(paths::module()?)?;
    let discovered = Discovered::start(&log_only, &module)?;
    let envoy = &discovered.gateway.envoy;
    let client = discovered.gateway.client()?;
    let mut connection = client.h2(Some("a.example.com"))?;
    let before = seen(envoy)?;

    let coalesced = connection.get("b.example.com")?;
    let log_only_stage = Stage {
        coalesced,
        fresh: None,
        retry: None,
        counters: envoy.sni_guard_counters()?,
        log: sni_guard_lines(&envoy.stderr_so_far()),
    };

    let log_start = envoy.stderr_so_far().len();
    let file = discovered.module(&strict, &module)?;
    let since = Instant::now();
    discovered.apply("2", &strict, &file)?;
    let applied_after = discovered.wait_stat("update_success", 1, since)?;
    let coalesced = connection.get("b.example.com")?;
    let fresh = client.h2(Some("a.example.com"))?.get("b.example.com")?;
    let retry = match fresh.status {
        421 => Some(client.h2(Some("b.example.com"))?.get("b.example.com")?),
        _ => None,
    };
    let strict_stage = Stage {
        coalesced,
        fresh: Some(fresh),
        retry,
        counters: envoy.sni_guard_counters()?,
        log: sni_guard_lines(envoy.stderr_so_far().get(log_start..).unwrap_or("")),
    };
    if discovered.applied_version()? != "2" {
        return Err(fail("Envoy did not apply the strict configuration"));
    }
    Ok(Migration {
        log_only: log_only_stage,
        strict: strict_stage,
        envoy: (before, seen(envoy)?),
        applied_after,
    })
}

/// sni-guard's log lines, without Envoy's prefix, each once with a count.
fn sni_guard_lines(stderr: &str) -> Vec<String> {
    let mut lines: Vec<(String, usize)> = Vec::new();
    for line in stderr.lines().filter(|l| l.contains("wasm log ")) {
        let text = line
            .rsplit("sni-guard: ")
            .next()
            .unwrap_or(line)
            .to_string();
        match lines.iter_mut().find(|(t, _)| *t == text) {
            Some((_, n)) => *n += 1,
            None => lines.push((text, 1)),
        }
    }
    lines
        .into_iter()
        .map(|(text, n)| match n {
            1 => text,
            n => format!("{text} ({n} times: once per Wasm VM)"),
        })
        .collect()
}

fn answer(response: &Response) -> String {
    match response.status {
        404 => "404 (let through: gw-a's route table, as before sni-guard)".to_string(),
        421 => "421 Misdirected Request".to_string(),
        status => format!("{status} \"{}\"", response.body.trim_end()),
    }
}

fn counters(counters: &BTreeMap<String, u64>) -> String {
    let set: Vec<String> = counters
        .iter()
        .filter(|(_, v)| **v > 0)
        .map(|(k, v)| format!("sni_guard.{k}={v}"))
        .collect();
    set.join(" ")
}

/// The migration, told step by step.
pub fn story(m: &Migration) -> String {
    let step =
        |what: &str, response: &Response| format!("    {what:<62} ->  {}\n", answer(response));
    let mut out = String::from(
        "== The migration, live: Istio sends each WasmPlugin change through ECDS; Envoy keeps running ==\n",
    );
    out.push_str(&format!("  kubectl apply -f {LOG_ONLY}\n"));
    out.push_str(&step(
        "GET https://b.example.com/ on the a.example.com connection",
        &m.log_only.coalesced,
    ));
    out.push_str(&format!(
        "    counted: {}\n",
        counters(&m.log_only.counters)
    ));
    for line in &m.log_only.log {
        out.push_str(&format!("    Envoy log: {line}\n"));
    }
    out.push_str(&format!("  kubectl apply -f {STRICT}\n"));
    let restart = match m.kept_running() {
        true => format!("pid {} before and after", m.envoy.0.pid),
        false => format!("RESTARTED: {:?}, then {:?}", m.envoy.0, m.envoy.1),
    };
    out.push_str(&format!(
        "    Envoy applied it after {:.0?}, without a restart ({restart})\n",
        m.applied_after
    ));
    for line in &m.strict.log {
        out.push_str(&format!("    Envoy log: {line}\n"));
    }
    out.push_str(&step(
        "GET https://b.example.com/ on that same connection",
        &m.strict.coalesced,
    ));
    if let Some(fresh) = &m.strict.fresh {
        out.push_str(&step(
            "GET https://b.example.com/ on a new a.example.com connection",
            fresh,
        ));
    }
    if let Some(retry) = &m.strict.retry {
        out.push_str(&step(
            "the browser retries on a new connection, SNI b.example.com",
            retry,
        ));
    }
    out.push_str(&format!("    counted: {}\n", counters(&m.strict.counters)));
    out
}
