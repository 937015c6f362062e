//! The benchmark runs end to end (one small round; no timing is asserted: figures come
//! from `test-harness/bench.sh`), and every filter answers as it must under load, with a
//! direct response and proxied to the backend.

use sni_guard_harness::bench::report::{self, Setup};
use sni_guard_harness::bench::{self, Load};

#[test]
fn one_small_round_through_every_filter() {
    let variants = bench::variants().unwrap();
    let load = Load {
        requests: 400,
        warmup: 40,
    };
    let samples = bench::rounds(&variants, 1, load, |_, _| {}).unwrap();
    assert_eq!(samples.len(), variants.len() * bench::WORKLOADS.len());
    for s in &samples {
        let refuses = s.variant.starts_with("sni-guard") || s.variant == bench::LUA;
        let want = match (s.workload, refuses) {
            ("matching" | "proxied", _) => 200,
            (_, true) => 421,
            (_, false) => 404,
        };
        assert_eq!(s.status, want, "{s:?}");
        assert!(
            s.cpu_us > 0.0 && s.requests_per_second > 0.0 && s.rss_kib > 0,
            "{s:?}"
        );
    }
    let medians = bench::medians(&samples, &variants);
    let setup = Setup {
        rounds: 1,
        load,
        envoy: "test".into(),
        cpu: "test".into(),
        module_bytes: 1,
    };
    let md = report::markdown(&setup, &medians);
    let svg = report::svg(&medians);
    for v in &variants {
        assert!(md.contains(v.name), "{} missing from the table", v.name);
    }
    assert!(svg.starts_with("<svg") && svg.contains(bench::SNI_GUARD_10K));
    assert!(md.contains("## proxied requests") && md.contains("share of Envoy CPU"));
    assert!(
        md.contains("each request also reads `plugin_name`. Above the one-plugin row: matching ")
    );
    // Wasm and native, 2 and 10,000 hosts, against Lua, on each of the three workloads.
    let ratios = report::ratios(&medians);
    assert_eq!(ratios.len(), 12);
    assert!(
        ratios
            .iter()
            .any(|(what, _)| what == "sni-guard native, 2 hosts, matching requests")
    );
    assert!(md.contains("the native build"), "{md}");
    // The hand-written end of the page is kept when the benchmark writes it again.
    let previous = format!("stale figures\n{}\nby hand\n", report::KEPT);
    let page = report::with_kept(&md, Some(&previous));
    assert!(page.starts_with(&md) && page.ends_with("by hand\n") && !page.contains("stale"));
}
