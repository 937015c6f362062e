//! How one change is measured: coalesced probes on a new connection and on one held open,
//! until the new answer is stable and Envoy counts the update applied.

use serde_json::Value;
use sni_guard_harness::client::H2;
use sni_guard_harness::istio::ecds::{APPLY_DEADLINE, Discovered};
use sni_guard_harness::load::Load;
use sni_guard_harness::{Client, Protocol};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

/// New-behaviour probes in a row that count as "in effect" (connections land on either worker).
const STABLE: u32 = 20;
/// How long each configuration is watched once in effect.
pub const DWELL: Duration = Duration::from_millis(700);

/// Coalesced requests (SNI a.example.com, authority b.example.com): one on a new connection
/// and one on a connection opened at the start, each time; every status counted.
pub struct Prober {
    pub client: Client,
    pub held: H2,
    pub statuses: BTreeMap<u16, u64>,
}

impl Prober {
    pub fn probe(&mut self) -> [u16; 2] {
        let fresh = self
            .client
            .get(Protocol::Http2, Some("a.example.com"), "b.example.com")
            .unwrap();
        let held = self.held.get("b.example.com").unwrap();
        for status in [fresh.status, held.status] {
            *self.statuses.entry(status).or_insert(0) += 1;
        }
        [fresh.status, held.status]
    }

    /// One probe while `was` becomes `want`; any other answer fails.
    fn settle(&mut self, settling: &mut Settling, at: Duration) {
        let answers = self.probe();
        let (was, want) = (settling.was, settling.want);
        assert!(
            answers.iter().all(|s| *s == was || *s == want),
            "a coalesced request got {answers:?} while {was} became {want}"
        );
        match answers == [want, want] {
            true => {
                settling.first.get_or_insert(at);
                settling.run += 1;
            }
            false => (settling.run, settling.first) = (0, None),
        }
    }

    /// Probes for `how_long`; every answer must be `want`.
    pub fn steady(&mut self, want: u16, how_long: Duration) {
        let until = Instant::now() + how_long;
        while Instant::now() < until {
            let answers = self.probe();
            assert_eq!(answers, [want, want], "a coalesced request changed answer");
        }
    }
}

/// A change of answer: in effect once both probes give `want` [`STABLE`] times in a row, from
/// the first of that run.
struct Settling {
    was: u16,
    want: u16,
    run: u32,
    first: Option<Duration>,
}

impl Settling {
    fn done(&self) -> bool {
        self.was == self.want || self.run >= STABLE
    }
}

/// One change the operator makes: a new version of the filter's resource.
pub struct Step<'a> {
    pub what: &'static str,
    pub version: &'a str,
    pub plugin: &'a Value,
    pub module: &'a Path,
    /// The coalesced request's answer before and after.
    pub answers: (u16, u16),
}

/// What a change measured.
pub struct Change {
    pub what: &'static str,
    /// Until Envoy counted the update applied (`update_success`).
    pub applied: Duration,
    /// Until new requests got the new answer (mode changes).
    pub answered: Option<Duration>,
    pub vms_created: u64,
    /// h2load runs of matching requests that ended during the change.
    pub load_runs: u32,
}

/// Publishes `step`; probes until it is in effect, watching Envoy's `update_success`, and
/// for a while after.
pub fn apply(discovered: &Discovered, load: &Load, prober: &mut Prober, step: Step) -> Change {
    let runs = load.runs_done();
    let vms = discovered.vms_created().unwrap();
    let (was, want) = step.answers;
    let mut settling = Settling {
        was,
        want,
        run: 0,
        first: None,
    };
    let applied = discovered.stats().unwrap()["update_success"];
    let mut applied_after = None;
    let since = Instant::now();
    discovered
        .apply(step.version, step.plugin, step.module)
        .unwrap();
    while applied_after.is_none() || !settling.done() {
        let at = since.elapsed();
        assert!(
            at < APPLY_DEADLINE,
            "{}: not in effect after {at:?}",
            step.what
        );
        if applied_after.is_none() && discovered.stats().unwrap()["update_success"] > applied {
            applied_after = Some(at);
        }
        match settling.done() {
            true => std::thread::sleep(Duration::from_millis(2)),
            false => prober.settle(&mut settling, at),
        }
    }
    assert_eq!(discovered.applied_version().unwrap(), step.version);
    prober.steady(want, DWELL);
    Change {
        what: step.what,
        applied: applied_after.unwrap_or_default(),
        answered: settling.first,
        vms_created: discovered.vms_created().unwrap() - vms,
        load_runs: load.runs_done() - runs,
    }
}
