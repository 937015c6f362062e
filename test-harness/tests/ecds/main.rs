//! sni-guard updated live, the way Istio updates a WasmPlugin: through ECDS, never restarting
//! Envoy. The filter arrives as istiod sends it (`config_discovery` entries naming
//! `istio-system.sni-guard`; the `TypedExtensionConfig` made from `envoyfilter/`'s WasmPlugins,
//! its module a local file where istio-agent leaves one), from a file Envoy watches. Under
//! continuous HTTP/2 load of matching requests (Envoy with two workers), the operator's
//! changes: log_only → strict (`wasmplugin.yaml`) → a configuration sni-guard refuses → log_only
//! again → a new module file → back to the old one. Each change must reach new requests
//! within seconds (measured: new connections, and new streams on a connection held since the
//! start); a refused one must be rejected by Envoy (`update_rejected`, `config_fail`) with
//! sni-guard's `configuration refused` line while the previous configuration keeps serving;
//! no matching request may fail, reset or get a 5xx; the counters must match what was sent.

use serde_json::json;
use sni_guard_harness::envoy::topology::LISTENER_STATS;
use sni_guard_harness::istio::ecds::{self, Discovered};
use sni_guard_harness::load::Load;
use sni_guard_harness::load::h2load::Run;
use sni_guard_harness::{
    Protocol, envoy, envoy::admin, istio::istiod, istio::migrate, paths, rebuild,
};
use std::collections::BTreeMap;
use std::time::Instant;

mod changes;

use changes::{DWELL, Prober, Step, apply};

#[test]
fn wasmplugin_changes_reach_envoy_through_ecds_under_load() {
    let root = paths::workspace_root();
    let log_only = istiod::load(&root.join(migrate::LOG_ONLY)).unwrap();
    let strict = istiod::load(&root.join(migrate::STRICT)).unwrap();
    // An operator's mistake: gw-b lists a host gw-a has.
    let mut refused = strict.clone();
    refused["spec"]["pluginConfig"]["servers"][1]["hosts"] = json!(["A.example.com"]);
    let module = std::fs::read(paths::module().unwrap()).unwrap();
    // The next release: sni-guard from the same sources, optimised for size (other bytes,
    // another file), as a new image version would be.
    let next = rebuild::build(
        &root,
        &paths::target_dir().join("sni-guard-opt-s"),
        Some("s"),
    )
    .unwrap();
    let next = std::fs::read(next).unwrap();
    assert_ne!(next, module, "the second module must differ");

    let discovered = Discovered::start(&log_only, &module).unwrap();
    let envoy = &discovered.gateway.envoy;
    let started = Instant::now();
    let current = discovered.module(&log_only, &module).unwrap();
    let upgrade = discovered.module(&log_only, &next).unwrap();
    let client = discovered.gateway.client().unwrap();
    let mut prober = Prober {
        held: client.h2(Some("a.example.com")).unwrap(),
        client: client.clone(),
        statuses: BTreeMap::new(),
    };
    assert_eq!(
        prober.probe(),
        [404, 404],
        "log_only lets the request through"
    );
    assert_eq!(discovered.applied_version().unwrap(), "1");

    let load = Load::start(Run {
        port: discovered.gateway.port,
        sni: Some("a.example.com"),
        authority: "a.example.com",
        protocol: Protocol::Http2,
        requests: 1_000,
        clients: 4,
        streams: 10,
        log: None,
        cpu: None,
    });
    prober.steady(404, DWELL);
    let mut changes = vec![apply(
        &discovered,
        &load,
        &mut prober,
        Step {
            what: "strict (wasmplugin.yaml)",
            version: "2",
            plugin: &strict,
            module: &current,
            answers: (404, 421),
        },
    )];

    // Refused: Envoy rejects the update and strict keeps serving.
    let runs = load.runs_done();
    let log_before = envoy.stderr_so_far().len();
    let since = Instant::now();
    discovered.apply("3", &refused, &current).unwrap();
    let rejected_after = discovered.wait_stat("update_rejected", 0, since).unwrap();
    prober.steady(421, DWELL);
    let stats = discovered.stats().unwrap();
    assert_eq!(stats["config_fail"], 1, "{stats:?}");
    assert_eq!(discovered.applied_version().unwrap(), "2");
    let log = envoy.stderr_so_far();
    let refusal_window = log_before..log.len();
    let refusals = envoy::refusals(&log[refusal_window.clone()]);
    let refused_runs = load.runs_done() - runs;
    assert!(
        refusals.iter().any(|l| l.contains(
            r#"servers[1].hosts[0]: "A.example.com" is already a host of server "gw-a""#
        )),
        "{refusals:#?}"
    );

    for step in [
        Step {
            what: "log_only (wasmplugin-log-only.yaml)",
            version: "4",
            plugin: &log_only,
            module: &current,
            answers: (421, 404),
        },
        Step {
            what: "new module file",
            version: "5",
            plugin: &log_only,
            module: &upgrade,
            answers: (404, 404),
        },
        Step {
            what: "old module file again",
            version: "6",
            plugin: &log_only,
            module: &current,
            answers: (404, 404),
        },
    ] {
        changes.push(apply(&discovered, &load, &mut prober, step));
    }

    let totals = load.stop().unwrap();
    let counters = envoy.sni_guard_counters().unwrap();
    let listener = admin::stats_under(envoy.admin(), LISTENER_STATS).unwrap();
    let stat = |name: &str| listener.get(name).copied().unwrap_or(0);
    let uptime = envoy.uptime().unwrap().as_secs_f64();
    let ecds_stats = discovered.stats().unwrap();

    // The load: every matching request served, none failed, reset or 5xx.
    assert!(totals.problems.is_empty(), "{:#?}", totals.problems);
    assert_eq!(
        totals.statuses,
        BTreeMap::from([(200, totals.requests)]),
        "matching requests over {} runs",
        totals.runs
    );
    // Under load: h2load runs ended during every change.
    for (what, runs) in changes
        .iter()
        .map(|c| (c.what, c.load_runs))
        .chain([("the refused configuration", refused_runs)])
    {
        assert!(runs > 0, "{what}: no load ran during the change");
    }
    // The counters: one per coalesced probe, by the mode that answered it.
    let probes: u64 = prober.statuses.values().sum();
    assert_eq!(
        prober.statuses.keys().copied().collect::<Vec<_>>(),
        [404, 421],
        "{:?}",
        prober.statuses
    );
    assert_eq!(
        counters["misdirected"], prober.statuses[&421],
        "{counters:?}"
    );
    assert_eq!(
        counters["log_only_mismatches"], prober.statuses[&404],
        "{counters:?}"
    );
    assert_eq!(counters["no_sni"], 0);
    assert_eq!(stat("downstream_rq_2xx"), totals.requests, "{listener:#?}");
    assert_eq!(stat("downstream_rq_4xx"), probes, "{listener:#?}");
    for name in [
        "downstream_rq_5xx",
        "downstream_rq_rx_reset",
        "downstream_rq_tx_reset",
    ] {
        assert_eq!(stat(name), 0, "{name}: {listener:#?}");
    }
    // Envoy: five updates applied (the first and four changes), one rejected, never restarted.
    assert_eq!(ecds_stats["update_success"], 5, "{ecds_stats:?}");
    assert_eq!(ecds_stats["update_rejected"], 1, "{ecds_stats:?}");
    assert!(
        uptime >= started.elapsed().as_secs_f64().floor(),
        "Envoy's uptime {uptime} s: it restarted"
    );
    // Which module runs, off the request path: Envoy's applied version names the file, and a
    // new module is compiled into new VMs (one per worker and the main thread at least), while
    // a configuration change keeps the module's VMs (at most one more: Envoy's check of the
    // configuration).
    for c in &changes {
        let created = c.vms_created;
        match c.what.contains("module file") {
            true => assert!(
                created > u64::from(ecds::WORKERS),
                "{}: {created} VMs created",
                c.what
            ),
            false => assert!(created <= 1, "{}: {created} VMs created", c.what),
        }
    }

    let exited = discovered.gateway.stop().unwrap().exited;
    let outside: Vec<&str> = envoy::wasm_failures(&exited.stderr[..refusal_window.start])
        .into_iter()
        .chain(envoy::wasm_failures(&exited.stderr[refusal_window.end..]))
        .collect();
    assert!(
        outside.is_empty(),
        "Wasm failures outside the refusal: {outside:#?}"
    );
    let configured = exited.stderr.matches("sni-guard: configured: ").count();

    println!(
        "Envoy {} with {} workers, {} matching HTTP/2 requests in {} h2load runs over {:.1?}, all 200; {probes} coalesced probes {:?}; counters {counters:?}",
        sni_guard_harness::suite_version(),
        ecds::WORKERS,
        totals.requests,
        totals.runs,
        started.elapsed(),
        prober.statuses,
    );
    for c in &changes {
        let answered = c.answered.map_or(String::new(), |a| {
            format!(", new requests answered after {a:.0?}")
        });
        println!(
            "  {:<36} applied after {:.0?}{answered} ({} VMs created; {} load runs)",
            c.what, c.applied, c.vms_created, c.load_runs
        );
    }
    println!(
        "  refused configuration: rejected after {rejected_after:.0?}, strict kept serving ({refused_runs} load runs); ECDS {ecds_stats:?}; {configured} `configured:` lines"
    );
}
