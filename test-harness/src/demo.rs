//! The README's demo: two Gateways sharing one certificate, and what a coalesced request
//! (SNI `a.example.com`, authority `b.example.com`) gets without sni-guard, with it in
//! strict mode, and in log_only mode.

use crate::browser::Browser;
use crate::client::Response;
use crate::envoy::access_log::Entry;
use crate::envoy::default_version;
use crate::envoy::gateway::Gateway;
use crate::envoy::topology::{Filter, Topology};
use crate::error::Result;
use crate::paths;
use crate::pki::Pki;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// One mode's run.
pub struct Run {
    pub title: &'static str,
    /// `GET a.example.com` on the connection made for `a.example.com`.
    pub own: Response,
    /// `GET b.example.com` on that same connection (what a browser does).
    pub coalesced: Response,
    /// After a 421: `GET b.example.com` on a new connection made for `b.example.com`.
    pub retry: Option<Response>,
    pub counters: BTreeMap<String, u64>,
    /// Envoy's access log lines and sni-guard's log lines.
    pub access_log: Vec<String>,
    pub filter_log: Vec<String>,
}

/// The three modes the demo shows.
pub fn modes() -> [(&'static str, Filter); 3] {
    [
        ("no filter", Filter::None),
        ("sni-guard strict", Filter::AsWritten),
        ("sni-guard log_only", Filter::two_gateways("log_only", true)),
    ]
}

/// `target/demo-certs` under the workspace root (what docker-compose mounts).
pub fn certs_dir() -> PathBuf {
    paths::workspace_root().join("target/demo-certs")
}

/// The demo PKI in `dir`, made first if any file is missing (or `fresh` is set), so a
/// browser that trusts the CA keeps trusting it.
pub fn certs(dir: &std::path::Path, fresh: bool) -> Result<(Pki, bool)> {
    let complete = ["ca.pem", "server.pem", "server-key.pem"]
        .iter()
        .all(|f| dir.join(f).is_file());
    if complete && !fresh {
        return Ok((Pki::read(dir)?, false));
    }
    let pki = Pki::generate()?;
    pki.write(dir)?;
    Ok((pki, true))
}

/// Runs one mode in its own Envoy.
pub fn run(title: &'static str, filter: &Filter, pki: &Pki) -> Result<Run> {
    let gateway = Gateway::builder(Topology::TwoGateways)
        .filter(filter)
        .version(default_version())
        .pki(pki.clone())
        .start()?;
    let client = gateway.client()?;
    let mut connection = client.h2(Some("a.example.com"))?;
    let own = connection.get("a.example.com")?;
    let coalesced = connection.get("b.example.com")?;
    let retry = match coalesced.status {
        421 => Some(client.h2(Some("b.example.com"))?.get("b.example.com")?),
        _ => None,
    };
    let counters = gateway.envoy.sni_guard_counters()?;
    let stopped = gateway.stop()?;
    let access_log = stopped.exited.stdout.lines().map(str::to_string).collect();
    let filter_log = stopped
        .exited
        .stderr
        .lines()
        .filter(|l| l.contains("sni-guard: ") && !l.contains("configured:"))
        .map(|l| l.rsplit("] ").next().unwrap_or(l).to_string())
        .collect();
    Ok(Run {
        title,
        own,
        coalesced,
        retry,
        counters,
        access_log,
        filter_log,
    })
}

fn answer(response: &Response) -> String {
    let body = response.body.lines().next().unwrap_or("");
    match response.status {
        404 => "404 (no route: the wrong Gateway's route table)".to_string(),
        421 => "421 Misdirected Request".to_string(),
        status => format!("{status} \"{body}\""),
    }
}

/// One mode, told step by step.
pub fn story(run: &Run) -> String {
    let mut out = format!("== {} ==\n", run.title);
    out.push_str("  one HTTP/2 connection, SNI a.example.com:\n");
    out.push_str(&format!(
        "    GET https://a.example.com/  ->  {}\n",
        answer(&run.own)
    ));
    out.push_str(&format!(
        "    GET https://b.example.com/  ->  {}\n",
        answer(&run.coalesced)
    ));
    if let Some(retry) = &run.retry {
        out.push_str("  the browser retries on a new connection, SNI b.example.com:\n");
        out.push_str(&format!(
            "    GET https://b.example.com/  ->  {}\n",
            answer(retry)
        ));
    }
    if !run.counters.is_empty() {
        let counters: Vec<String> = run
            .counters
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        out.push_str(&format!(
            "  counters (/stats wasmcustom.sni_guard.*): {}\n",
            counters.join(" ")
        ));
    }
    out.push_str(
        "  access log (filter chain, connection, SNI, authority, status, details, protocol):\n",
    );
    for line in &run.access_log {
        out.push_str(&format!("    {line}\n"));
    }
    for line in &run.filter_log {
        out.push_str(&format!("  Envoy log: {line}\n"));
    }
    out
}

/// The three modes side by side.
pub fn side_by_side(runs: &[Run]) -> String {
    let cell = |r: Option<&Response>| match r {
        None => "-".to_string(),
        Some(r) if r.status == 200 => format!("200 {}", r.body.split(':').next().unwrap_or("")),
        Some(r) if r.status == 404 => "404 from gw-a".to_string(),
        Some(r) => r.status.to_string(),
    };
    let mut rows = vec![[
        "".to_string(),
        "a.example.com".into(),
        "b.example.com, coalesced".into(),
        "retry, SNI b".into(),
        "counted".into(),
    ]];
    for run in runs {
        let counted: Vec<String> = run
            .counters
            .iter()
            .filter(|(_, v)| **v > 0)
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        rows.push([
            run.title.to_string(),
            cell(Some(&run.own)),
            cell(Some(&run.coalesced)),
            cell(run.retry.as_ref()),
            if counted.is_empty() {
                "-".into()
            } else {
                counted.join(" ")
            },
        ]);
    }
    let widths: Vec<usize> = (0..5)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    rows.iter()
        .map(|row| {
            let cells: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect();
            format!("  {}\n", cells.join("  ").trim_end())
        })
        .collect()
}

/// How to try it by hand.
pub fn by_hand(certs: &std::path::Path) -> String {
    let ca = certs.join("ca.pem");
    let ca = ca.display();
    format!(
        "Try it by hand:\n\
         \x20 cargo run -q -p sni-guard-harness --bin demo -- migrate        # log_only, then strict without a restart (ECDS)\n\
         \x20 cargo run -q -p sni-guard-harness --bin demo -- serve strict   # or: none, log_only; Ctrl-C stops it\n\
         \x20 Envoy then listens on 127.0.0.1:8443 (two Gateways, one certificate) and prints its admin address.\n\n\
         \x20 # the coalesced request: a connection made for a.example.com, asking for b.example.com\n\
         \x20 curl -i --cacert {ca} --resolve a.example.com:8443:127.0.0.1 -H 'Host: b.example.com' https://a.example.com:8443/\n\
         \x20 # the retry on a new connection made for b.example.com\n\
         \x20 curl -i --cacert {ca} --resolve b.example.com:8443:127.0.0.1 https://b.example.com:8443/\n\
         \x20 # the same over HTTP/1.1, and with --connect-to instead of --resolve\n\
         \x20 curl -i --http1.1 --cacert {ca} --connect-to a.example.com:8443:127.0.0.1:8443 -H 'Host: b.example.com' https://a.example.com:8443/\n\
         \x20 # sni-guard's counters\n\
         \x20 curl -s 'http://127.0.0.1:<admin port>/stats?filter=sni_guard'\n\n\
         \x20 A browser coalesces by itself: trust the demo CA and resolve both names to 127.0.0.1, then open\n\
         \x20 https://a.example.com:8443/ (gw-a's page embeds https://b.example.com:8443/ in an iframe):\n\
         \x20 certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n sni-guard-demo -i {ca}\n\
         \x20 chromium --host-resolver-rules='MAP a.example.com 127.0.0.1, MAP b.example.com 127.0.0.1' https://a.example.com:8443/\n\
         \x20 Without the filter the iframe shows gw-a's 404; with sni-guard it shows \"gw-b: b.example.com\".\n"
    )
}

/// What headless Chromium did with gw-a's page, whose iframe loads `https://b.example.com/`.
pub struct BrowserRun {
    pub title: &'static str,
    pub access_log: Vec<Entry>,
    pub counters: BTreeMap<String, u64>,
    pub screenshot: PathBuf,
}

/// Loads `https://a.example.com/` in Chromium with `filter` and saves a screenshot in `out`.
pub fn browser_run(
    title: &'static str,
    filter: &Filter,
    pki: &Pki,
    out: &std::path::Path,
) -> Result<BrowserRun> {
    let gateway = Gateway::builder(Topology::TwoGateways)
        .filter(filter)
        .version(default_version())
        .pki(pki.clone())
        .start()?;
    let browser = Browser::new(&pki.ca_pem)?;
    std::fs::create_dir_all(out)?;
    let screenshot = out.join(format!("{}.png", title.replace(' ', "-")));
    browser.screenshot(
        &format!("https://a.example.com:{}/", gateway.port),
        &screenshot,
    )?;
    let counters = match filter {
        Filter::None | Filter::Lua => BTreeMap::new(),
        _ => gateway.envoy.sni_guard_counters()?,
    };
    let access_log = gateway.stop()?.access_log;
    Ok(BrowserRun {
        title,
        access_log,
        counters,
        screenshot,
    })
}

/// The browser's requests, one line each, as Envoy logged them.
pub fn browser_story(run: &BrowserRun) -> String {
    let mut out = format!("== Chromium, {} ==\n", run.title);
    for e in &run.access_log {
        let host = e.authority.as_deref().unwrap_or("-");
        let host = host.split(':').next().unwrap_or(host);
        out.push_str(&format!(
            "  connection {} (SNI {}, filter chain {}): GET https://{host}/ -> {} {}\n",
            e.connection,
            e.sni.as_deref().unwrap_or("-"),
            e.filter_chain,
            e.status,
            e.details
        ));
    }
    out.push_str(&format!("  screenshot: {}\n", run.screenshot.display()));
    out
}
