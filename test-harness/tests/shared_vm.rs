//! Two sni-guard plugins sharing one VM (same `vm_id` and module, as Istio loads several
//! WasmPlugins of one module), in the real Envoy on topology (a): "log-b" (log_only) on both
//! filter chains, then "strict-a" (strict) on gw-a's only. Envoy configures both plugins in
//! one VM, and each stream is decided by its own plugin's configuration, which the filter
//! finds by the `plugin_name` property (Envoy's `config.name`).

use sni_guard_harness::client::BODY_421;
use sni_guard_harness::envoy::shared_vm::{self, VM_ID};
use sni_guard_harness::envoy::topology::TWO_GATEWAYS_SERVERS;
use sni_guard_harness::{Gateway, Topology, plugin_slot};
use yaml_serde::Value;

const A: Option<&str> = Some("a.example.com");
const B: Option<&str> = Some("b.example.com");
/// The file's sni-guard entry as plugin `name` with `mode`, in the shared VM.
fn plugin(entry: &Value, name: &str, mode: &str) -> Value {
    let json = format!(r#"{{"mode":"{mode}","servers":{TWO_GATEWAYS_SERVERS}}}"#);
    shared_vm::plugin(entry, name, &json)
}

/// gw-a's chain: log-b, strict-a, router; gw-b's: log-b, router.
fn two_plugins(config: &mut Value) -> sni_guard_harness::error::Result<()> {
    let chains = config["static_resources"]["listeners"][0]["filter_chains"]
        .as_sequence_mut()
        .unwrap();
    for chain in chains {
        let on_gw_a = chain["name"] == "gw-a";
        let filters = chain["filters"][0]["typed_config"]["http_filters"]
            .as_sequence_mut()
            .unwrap();
        let at = filters.iter().position(plugin_slot::is_sni_guard).unwrap();
        let entry = filters.remove(at);
        let mut plugins = vec![plugin(&entry, "log-b", "log_only")];
        if on_gw_a {
            plugins.push(plugin(&entry, "strict-a", "strict"));
        }
        filters.splice(at..at, plugins);
    }
    Ok(())
}

#[test]
fn each_stream_is_decided_by_its_own_plugin_in_a_shared_vm() {
    let gateway = Gateway::builder(Topology::TwoGateways)
        .edit(two_plugins)
        .start()
        .unwrap();
    let client = gateway.client().unwrap();
    // SNI a: log-b lets the coalesced request through (and counts it), strict-a answers 421.
    let mut h2 = client.h2(A).unwrap();
    for _ in 0..3 {
        assert_eq!(h2.get("a.example.com").unwrap().status, 200);
        let coalesced = h2.get("b.example.com").unwrap();
        assert_eq!((coalesced.status, coalesced.body.as_str()), (421, BODY_421));
    }
    // SNI b: only log-b, so the coalesced request reaches gw-b's route table: its 404.
    let mut h2 = client.h2(B).unwrap();
    for _ in 0..2 {
        assert_eq!(h2.get("b.example.com").unwrap().status, 200);
        assert_eq!(h2.get("a.example.com").unwrap().status, 404);
    }
    // One VM defines each counter once: both plugins count into the same three.
    assert_eq!(gateway.counter("misdirected").unwrap(), 3);
    assert_eq!(gateway.counter("log_only_mismatches").unwrap(), 5);
    assert_eq!(gateway.counter("no_sni").unwrap(), 0);

    let stopped = gateway.stop().unwrap();
    let stderr = &stopped.exited.stderr;
    let lines = |text: &str| stderr.lines().filter(|l| l.contains(text)).count();
    let let_through = "misdirected request let through (log_only)";
    let ab = r#"sni "a.example.com" (server gw-a), authority "b.example.com" (server gw-b)"#;
    let ba = r#"sni "b.example.com" (server gw-b), authority "a.example.com" (server gw-a)"#;
    assert_eq!(
        lines(&format!("log-b {VM_ID}: {let_through}: {ab}")),
        3,
        "{stderr}"
    );
    assert_eq!(
        lines(&format!("log-b {VM_ID}: {let_through}: {ba}")),
        2,
        "{stderr}"
    );
    assert_eq!(lines(let_through), 5, "{stderr}");
    // Both configured in one VM (on the main thread and on each worker).
    let shared = r#"strict-a sni-guard: configured: strict, 2 servers (plugin "strict-a"; 2 plugins share this VM)"#;
    assert!(lines(shared) >= 1, "{stderr}");
    assert_eq!(lines("no configuration for plugin"), 0, "{stderr}");

    let log = &stopped.access_log;
    let answered = |chain: &str, authority: &str, status: u16| {
        log.iter()
            .filter(|e| e.filter_chain == chain && e.authority.as_deref() == Some(authority))
            .filter(|e| e.status == status)
            .count()
    };
    assert_eq!(answered("gw-a", "b.example.com", 421), 3);
    assert_eq!(answered("gw-b", "a.example.com", 404), 2);
    assert!(
        log.iter()
            .filter(|e| e.status == 421)
            .all(|e| e.details == "sni_guard_misdirected_request")
    );
}

/// The benchmark's shared-VM row (`shared_vm::one_plugin_per_chain`): Envoy puts both chains'
/// plugins in one VM, and each still answers as the one-plugin filter does.
#[test]
fn one_plugin_per_chain_shares_one_vm_and_decides_as_one_plugin() {
    let gateway = Gateway::builder(Topology::TwoGateways)
        .edit(shared_vm::one_plugin_per_chain)
        .start()
        .unwrap();
    let client = gateway.client().unwrap();
    for (sni, own, other) in [
        (A, "a.example.com", "b.example.com"),
        (B, "b.example.com", "a.example.com"),
    ] {
        let mut h2 = client.h2(sni).unwrap();
        assert_eq!(h2.get(own).unwrap().status, 200);
        let coalesced = h2.get(other).unwrap();
        assert_eq!((coalesced.status, coalesced.body.as_str()), (421, BODY_421));
    }
    assert_eq!(gateway.counter("misdirected").unwrap(), 2);
    let stderr = gateway.stop().unwrap().exited.stderr;
    assert!(stderr.contains("plugins share this VM"), "{stderr}");
    assert!(!stderr.contains("no configuration for plugin"), "{stderr}");
}
