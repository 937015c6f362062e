//! sni-guard on Envoy Gateway, proved in Envoy: `test-harness/envoy-gateway/cluster.yaml` (two
//! HTTPS listeners on one port sharing a wildcard certificate) as Envoy Gateway v1.9 builds it
//! (`test-harness/envoy/envoy-gateway.yaml`), with what `sni-guard plugin-config
//! --envoy-gateway` writes for it applied as Envoy Gateway applies it, the module fetched from a
//! local HTTPS server by SHA-256. Four states, each with the HTTP/2 client and Chromium:
//!
//! 1. Envoy Gateway's default: http/1.1 only (overlapping certificates), so no coalescing and
//!    no HTTP/2;
//! 2. HTTP/2 restored (the ClientTrafficPolicy alone): the coalesced request gets the other
//!    listener's 404;
//! 3. HTTP/2 with sni-guard (all three resources): 421, and the retry reaches the right listener;
//!    the EnvoyExtensionPolicy without the EnvoyPatchPolicy leaves the 404 (the filter is enabled
//!    per route, and a coalesced request matches none);
//! 4. `log_only`: the 404 stays, and is counted.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)] // test helpers may fail loudly

mod common;

use common::{TempDir, sni_guard};
use serde_json::Value;
use sni_guard_harness::browser::Browser;
use sni_guard_harness::client::BODY_421;
use sni_guard_harness::envoy::access_log::Entry;
use sni_guard_harness::envoy::gateway::Base;
use sni_guard_harness::envoy_gateway::{self, translate, wasm_server::WasmServer};
use sni_guard_harness::{Filter, Gateway, Pki, Protocol, paths};

const A: Option<&str> = Some("a.example.com");
const B: Option<&str> = Some("b.example.com");
/// Where the cluster's users publish the module (Envoy Gateway fetches it from there and
/// serves its copy to Envoy).
const URL: &str = "https://artifacts.example.com/sni_guard.wasm";
/// The native build's name in the EnvoyProxy's `dynamicModules` registry.
const NATIVE_MODULE: &str = "sni-guard-native";

/// What plugin-config writes for the cluster's Gateway with the native build.
fn native_resources() -> Vec<Value> {
    let cluster = envoy_gateway::cluster_yaml().display().to_string();
    let out = sni_guard(&[
        "plugin-config",
        "--gateway",
        "default/eg",
        "--envoy-gateway",
        "--native-module",
        NATIVE_MODULE,
        &cluster,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    envoy_gateway::documents(&out.stdout).unwrap()
}

/// What plugin-config writes for the cluster's Gateway in `mode`.
fn resources(mode: &str) -> Vec<Value> {
    let module = paths::module().unwrap();
    let sha = sni_guard_harness::sha256::hex(&std::fs::read(&module).unwrap());
    let cluster = envoy_gateway::cluster_yaml().display().to_string();
    let out = sni_guard(&[
        "plugin-config",
        "--gateway",
        "default/eg",
        "--envoy-gateway",
        "--mode",
        mode,
        "--url",
        URL,
        "--sha256",
        &sha,
        &cluster,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    envoy_gateway::documents(&out.stdout).unwrap()
}

fn kinds(resources: &[Value], keep: &[&str]) -> Vec<Value> {
    resources
        .iter()
        .filter(|r| keep.contains(&r["kind"].as_str().unwrap()))
        .cloned()
        .collect()
}

/// Envoy running Envoy Gateway's configuration with some resources applied, the Wasm server
/// it fetches the module from, and the folder holding the CA file Envoy checks it with.
struct Running {
    gateway: Gateway,
    server: WasmServer,
    pki: Pki,
    _dir: TempDir,
}

fn start(resources: Vec<Value>) -> Running {
    start_on(resources, &sni_guard_harness::suite_version())
}

fn start_on(resources: Vec<Value>, version: &str) -> Running {
    let pki = Pki::generate().unwrap();
    let dir = TempDir::new("eg-wasm-ca");
    let ca = dir.write("ca.pem", &pki.ca_pem);
    let server = WasmServer::start(
        &paths::module().unwrap(),
        URL,
        &pki,
        std::path::Path::new(&ca),
    )
    .unwrap();
    let source = server.source.clone();
    let gateway = Gateway::builder(Base::Config(envoy_gateway::load().unwrap()))
        .filter(&Filter::NoSlot)
        .version(version)
        .pki(pki.clone())
        .edit(move |config| {
            let mut json = serde_json::to_value(&*config)?;
            let library = paths::native_module()?.display().to_string();
            let registry = [(NATIVE_MODULE.to_owned(), library)];
            translate::apply(&mut json, &resources, &source, &registry)?;
            *config = yaml_serde::to_value(&json)?;
            Ok(())
        })
        .start()
        .unwrap();
    Running {
        gateway,
        server,
        pki,
        _dir: dir,
    }
}

/// Chromium loads a.example.com's page, whose iframe is b.example.com; the access log.
fn browse(running: Running, title: &str) -> Vec<Entry> {
    let Running { gateway, pki, .. } = running;
    let browser = Browser::new(&pki.ca_pem).unwrap();
    let out = TempDir::new("eg-browser");
    let png = out.0.join(format!("{}.png", title.replace(' ', "-")));
    browser
        .screenshot(&format!("https://a.example.com:{}/", gateway.port), &png)
        .unwrap();
    assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG"));
    // Chromium's requests name the port (the HTTP/2 client's before it do not).
    let log: Vec<Entry> = gateway
        .stop()
        .unwrap()
        .access_log
        .into_iter()
        .filter(|e| e.authority.as_deref().is_some_and(|a| a.contains(':')))
        .collect();
    println!("== Chromium, Envoy Gateway, {title} ==");
    for e in &log {
        println!(
            "  connection {} (SNI {}, chain {}, {}): {} -> {} {}",
            e.connection,
            e.sni.as_deref().unwrap_or("-"),
            e.filter_chain,
            e.protocol,
            e.authority.as_deref().unwrap_or("-"),
            e.status,
            e.details
        );
    }
    log
}

fn host(e: &Entry) -> &str {
    let a = e.authority.as_deref().unwrap_or("-");
    a.split(':').next().unwrap_or(a)
}

fn page(log: &[Entry]) -> &Entry {
    let page = log
        .iter()
        .find(|e| host(e) == "a.example.com" && e.status == 200)
        .expect("no a.example.com page in the access log");
    assert_eq!(page.filter_chain, "default/eg/https-a");
    page
}

fn frames(log: &[Entry]) -> Vec<&Entry> {
    log.iter().filter(|e| host(e) == "b.example.com").collect()
}

#[test]
fn envoy_gateways_default_offers_http1_only_so_nothing_coalesces() {
    let running = start(Vec::new());
    let client = running.gateway.client().unwrap();
    let error = client.h2(A).err().expect("h2 was agreed").to_string();
    assert!(error.contains("did not agree to h2"), "{error}");
    let mut http1 = client.http1(A).unwrap();
    assert_eq!(
        http1.get("a.example.com").unwrap().body,
        "eg/https-a: a.example.com\n"
    );
    let log = browse(running, "default");
    let page = page(&log);
    assert_eq!(page.protocol, "HTTP/1.1");
    let b = frames(&log);
    assert_eq!(b.len(), 1, "{b:?}");
    assert_eq!(b[0].protocol, "HTTP/1.1");
    assert_ne!(b[0].connection, page.connection);
    assert_eq!(b[0].filter_chain, "default/eg/https-b");
    assert_eq!(b[0].status, 200);
}

#[test]
fn http2_restored_without_sni_guard_the_coalesced_request_gets_404() {
    let all = resources("strict");
    let running = start(kinds(&all, &["ClientTrafficPolicy"]));
    assert_eq!(running.server.served(), 0);
    let client = running.gateway.client().unwrap();
    let mut h2 = client.h2(A).unwrap();
    assert_eq!(h2.get("a.example.com").unwrap().status, 200);
    assert_eq!(h2.get("b.example.com").unwrap().status, 404);
    assert!(
        running
            .gateway
            .envoy
            .sni_guard_counters()
            .unwrap()
            .is_empty()
    );
    let log = browse(running, "h2 without sni-guard");
    let page = page(&log);
    assert_eq!(page.protocol, "HTTP/2");
    let b = frames(&log);
    assert_eq!(b.len(), 1, "{b:?}");
    assert_eq!(b[0].connection, page.connection);
    assert_eq!(b[0].filter_chain, "default/eg/https-a");
    assert_eq!(
        (b[0].status, b[0].details.as_str()),
        (404, "route_not_found")
    );
}

#[test]
fn the_extension_policy_without_the_patch_never_sees_the_coalesced_request() {
    let all = resources("strict");
    let running = start(kinds(
        &all,
        &["ClientTrafficPolicy", "EnvoyExtensionPolicy"],
    ));
    assert!(
        running.server.served() >= 1,
        "Envoy did not fetch the module"
    );
    let client = running.gateway.client().unwrap();
    let mut h2 = client.h2(A).unwrap();
    assert_eq!(h2.get("a.example.com").unwrap().status, 200);
    let coalesced = h2.get("b.example.com").unwrap();
    assert_eq!(coalesced.status, 404);
    let log = running.gateway.stop().unwrap().access_log;
    let entry = log.iter().find(|e| host(e) == "b.example.com").unwrap();
    assert_eq!(entry.details, "route_not_found");
}

#[test]
fn http2_with_sni_guard_answers_421_and_the_retry_reaches_https_b() {
    let running = start(resources("strict"));
    assert!(
        running.server.served() >= 1,
        "Envoy did not fetch the module"
    );
    let client = running.gateway.client().unwrap();
    let mut h2 = client.h2(A).unwrap();
    for _ in 0..3 {
        let own = h2.get("a.example.com").unwrap();
        assert_eq!(
            (own.status, own.body.as_str()),
            (200, "eg/https-a: a.example.com\n")
        );
        let coalesced = h2.get("b.example.com").unwrap();
        assert_eq!((coalesced.status, coalesced.body.as_str()), (421, BODY_421));
    }
    let retry = client.get(Protocol::Http2, B, "b.example.com").unwrap();
    assert_eq!(
        (retry.status, retry.body.as_str()),
        (200, "eg/https-b: b.example.com\n")
    );
    // The other chain's copy of the filter runs too (both fetched the module at once).
    let mut h2 = client.h2(B).unwrap();
    assert_eq!(h2.get("a.example.com").unwrap().status, 421);
    assert_eq!(running.gateway.counter("misdirected").unwrap(), 4);
    let log = browse(running, "h2 with sni-guard");
    let page = page(&log);
    assert_eq!(page.protocol, "HTTP/2");
    let b = frames(&log);
    assert_eq!(b.len(), 2, "{b:?}");
    assert_eq!(b[0].connection, page.connection);
    assert_eq!(b[0].filter_chain, "default/eg/https-a");
    assert_eq!(
        (b[0].status, b[0].details.as_str()),
        (421, "sni_guard_misdirected_request")
    );
    assert_ne!(b[1].connection, page.connection);
    assert_eq!(b[1].filter_chain, "default/eg/https-b");
    assert_eq!(b[1].sni.as_deref(), Some("b.example.com"));
    assert_eq!(b[1].status, 200);
}

#[test]
fn log_only_keeps_the_404_and_counts_it() {
    let running = start(resources("log_only"));
    let client = running.gateway.client().unwrap();
    let mut h2 = client.h2(A).unwrap();
    assert_eq!(h2.get("b.example.com").unwrap().status, 404);
    assert_eq!(running.gateway.counter("log_only_mismatches").unwrap(), 1);
    let log = browse(running, "log_only");
    let page = page(&log);
    let b = frames(&log);
    assert_eq!(b.len(), 1, "{b:?}");
    assert_eq!(b[0].connection, page.connection);
    assert_eq!(
        (b[0].status, b[0].details.as_str()),
        (404, "route_not_found")
    );
}

/// The same on the Envoy release Envoy Gateway v1.9 ships (1.39).
#[test]
fn on_envoy_gateways_own_envoy_release_too() {
    let version = sni_guard_harness::envoy_gateway_version();
    let running = start_on(resources("strict"), version);
    // The binary itself says which release it is.
    let info = running.gateway.envoy.admin_get("/server_info").unwrap();
    assert!(info.contains(&format!("/{version}/")), "{info}");
    assert!(version.starts_with("1.39."));
    let client = running.gateway.client().unwrap();
    let mut h2 = client.h2(A).unwrap();
    assert_eq!(h2.get("a.example.com").unwrap().status, 200);
    assert_eq!(h2.get("b.example.com").unwrap().status, 421);
    let retry = client.get(Protocol::Http2, B, "b.example.com").unwrap();
    assert_eq!(retry.status, 200);
    let without_patch = start_on(
        kinds(
            &resources("strict"),
            &["ClientTrafficPolicy", "EnvoyExtensionPolicy"],
        ),
        version,
    );
    let mut h2 = without_patch.gateway.client().unwrap().h2(A).unwrap();
    assert_eq!(h2.get("b.example.com").unwrap().status, 404);
}

/// The native build delivered as Envoy Gateway delivers a dynamic module (the EnvoyProxy's
/// registry, a local library, the policy's `dynamicModule`): 421 and the retry with the patch,
/// the 404 without it, on 1.40 and on 1.39.
#[test]
fn the_native_build_through_envoy_gateway() {
    for version in [
        sni_guard_harness::suite_version(),
        sni_guard_harness::envoy_gateway_version().to_owned(),
    ] {
        let running = start_on(native_resources(), &version);
        let client = running.gateway.client().unwrap();
        let mut h2 = client.h2(A).unwrap();
        assert_eq!(h2.get("a.example.com").unwrap().status, 200);
        let coalesced = h2.get("b.example.com").unwrap();
        assert_eq!(
            (coalesced.status, coalesced.body.as_str()),
            (421, BODY_421),
            "{version}"
        );
        let retry = client.get(Protocol::Http2, B, "b.example.com").unwrap();
        assert_eq!(retry.status, 200);
        let counters = running.gateway.envoy.sni_guard_counters().unwrap();
        assert_eq!(counters["misdirected"], 1);
        let without_patch = start_on(
            kinds(
                &native_resources(),
                &["ClientTrafficPolicy", "EnvoyExtensionPolicy"],
            ),
            &version,
        );
        let mut h2 = without_patch.gateway.client().unwrap().h2(A).unwrap();
        assert_eq!(h2.get("b.example.com").unwrap().status, 404, "{version}");
    }
}
