//! The soak's checks of what it saw, and its report.

use super::{Kind, RSS_GROWTH, RSS_SLACK_KIB, WORKERS, label};
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// What one kind got over the whole soak.
#[derive(Debug, Clone)]
pub struct Sent {
    pub kind: Kind,
    pub requests: u64,
    /// Responses per status (0: no response).
    pub statuses: BTreeMap<u16, u64>,
}

/// Everything the soak saw.
#[derive(Debug, Clone)]
pub struct Report {
    pub envoy: String,
    pub waves: u32,
    pub sent: Vec<Sent>,
    /// sni-guard's counters at the end of the load.
    pub counters: BTreeMap<String, u64>,
    /// Envoy's `downstream_rq_*` counters of the listener at the end of the load.
    pub envoy_responses: BTreeMap<String, u64>,
    /// Envoy's RSS when ready, then after each wave, KiB.
    pub rss_ready_kib: u64,
    pub rss_kib: Vec<u64>,
    pub duration: Duration,
    /// What went wrong; empty when the soak passed.
    pub problems: Vec<String>,
}

impl Report {
    pub fn requests(&self) -> u64 {
        self.sent.iter().map(|s| s.requests).sum()
    }

    /// Requests sent of the kinds `wanted` picks.
    fn sent_where(&self, wanted: impl Fn(&Kind) -> bool) -> u64 {
        self.sent
            .iter()
            .filter(|s| wanted(&s.kind))
            .map(|s| s.requests)
            .sum()
    }

    /// The RSS after the warm-up wave, at the end, and the limit for the end, KiB.
    pub fn rss(&self) -> (u64, u64, u64) {
        let warm = self.rss_kib.first().copied().unwrap_or(0);
        let end = self.rss_kib.last().copied().unwrap_or(0);
        let limit = (warm as f64 * (1.0 + RSS_GROWTH)) as u64 + RSS_SLACK_KIB;
        (warm, end, limit)
    }

    pub(super) fn check_load(&mut self) {
        let mut problems = Vec::new();
        for sent in &self.sent {
            let wrong: u64 = sent
                .statuses
                .iter()
                .filter(|&(&status, _)| status != sent.kind.status)
                .map(|(_, n)| n)
                .sum();
            if wrong > 0 {
                problems.push(format!(
                    "{}: {wrong} responses other than {}: {:?}",
                    label(&sent.kind),
                    sent.kind.status,
                    sent.statuses
                ));
            }
        }
        let refused = self.sent_where(|k| k.status == 421);
        let no_sni = self.sent_where(|k| k.sni.is_none());
        let ok = self.sent_where(|k| k.status == 200);
        let counter = |name: &str| self.counters.get(name).copied().unwrap_or(0);
        let envoy = |name: &str| self.envoy_responses.get(name).copied().unwrap_or(0);
        for (what, got, want) in [
            (
                "sni_guard.misdirected against the 421s sent",
                counter("misdirected"),
                refused,
            ),
            (
                "sni_guard.no_sni against the no-SNI requests",
                counter("no_sni"),
                no_sni,
            ),
            (
                "sni_guard.log_only_mismatches",
                counter("log_only_mismatches"),
                0,
            ),
            ("Envoy's downstream_rq_2xx", envoy("downstream_rq_2xx"), ok),
            (
                "Envoy's downstream_rq_4xx",
                envoy("downstream_rq_4xx"),
                refused,
            ),
            ("Envoy's downstream_rq_5xx", envoy("downstream_rq_5xx"), 0),
        ] {
            if got != want {
                problems.push(format!("{what}: {got}, expected {want}"));
            }
        }
        let (warm, end, limit) = self.rss();
        if end > limit {
            problems.push(format!(
                "Envoy's RSS grew from {} after the warm-up to {} at the end (limit {})",
                mib(warm),
                mib(end),
                mib(limit)
            ));
        }
        self.problems.extend(problems);
    }
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// `1234567` as `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seconds = self.duration.as_secs_f64();
        writeln!(
            f,
            "soak: {} requests in {} waves through Envoy {} ({WORKERS} workers), sni-guard \
             strict with topology (a)'s servers table, in {seconds:.1} s ({:.0} requests/s)",
            thousands(self.requests()),
            self.waves,
            self.envoy,
            self.requests() as f64 / seconds.max(1e-9)
        )?;
        writeln!(
            f,
            "{:<20} {:<15} {:<15} {:>9}  statuses",
            "kind", "SNI", ":authority", "requests"
        )?;
        for sent in &self.sent {
            let statuses: Vec<String> = sent
                .statuses
                .iter()
                .map(|(status, n)| format!("{status} × {}", thousands(*n)))
                .collect();
            writeln!(
                f,
                "{:<20} {:<15} {:<15} {:>9}  {}",
                label(&sent.kind),
                sent.kind.sni.unwrap_or("(none)"),
                sent.kind.authority,
                thousands(sent.requests),
                statuses.join(", ")
            )?;
        }
        let counters: Vec<String> = self
            .counters
            .iter()
            .map(|(k, v)| format!("{k} {}", thousands(*v)))
            .collect();
        writeln!(f, "sni-guard counters: {}", counters.join(", "))?;
        let responses: Vec<String> = ["2xx", "4xx", "5xx"]
            .iter()
            .map(|class| {
                let n = self
                    .envoy_responses
                    .get(&format!("downstream_rq_{class}"))
                    .copied()
                    .unwrap_or(0);
                format!("{class} {}", thousands(n))
            })
            .collect();
        writeln!(f, "Envoy responses: {}", responses.join(", "))?;
        let (warm, end, limit) = self.rss();
        let waves: Vec<String> = self
            .rss_kib
            .iter()
            .map(|k| format!("{:.1}", *k as f64 / 1024.0))
            .collect();
        writeln!(
            f,
            "Envoy RSS: {} when ready, {} after the warm-up wave, {} at the end (limit {}); \
             after each wave (MiB): {}",
            mib(self.rss_ready_kib),
            mib(warm),
            mib(end),
            mib(limit),
            waves.join(" ")
        )?;
        match self.problems.as_slice() {
            [] => write!(
                f,
                "every response as expected, counters equal to what was sent, no Wasm \
                 failure in Envoy's log, Envoy still serving every kind afterwards: PASS"
            ),
            problems => write!(
                f,
                "{} problems:\n{}\nFAIL",
                problems.len(),
                problems.join("\n")
            ),
        }
    }
}
