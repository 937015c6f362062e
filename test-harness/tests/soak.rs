//! The soak's short version: 50,000 requests of six kinds in waves through Envoy with
//! sni-guard; `test-harness/soak.sh` runs the long one (500,000 by default).

use sni_guard_harness::load::soak::{self, KINDS, Options};

#[test]
fn a_short_soak_gets_every_response_and_counter_right() {
    let options = Options {
        requests: 50_000,
        waves: 5,
    };
    let report = soak::run(options, |_, _| {}).unwrap();
    println!("{report}");
    assert!(report.problems.is_empty(), "{report}");
    assert!(report.requests() >= 50_000);
    assert_eq!(report.rss_kib.len(), 5);
    for sent in &report.sent {
        assert_eq!(
            sent.statuses.get(&sent.kind.status).copied(),
            Some(sent.requests),
            "{report}"
        );
    }
    let refused: u64 = report
        .sent
        .iter()
        .filter(|s| s.kind.status == 421)
        .map(|s| s.requests)
        .sum();
    assert!(refused > 0);
    assert_eq!(report.counters.get("misdirected").copied(), Some(refused));
    assert_eq!(KINDS.len(), report.sent.len());
}
