//! `docker compose up` as a user runs it, in a real container engine (a Docker engine, or
//! podman's Docker API service in a sandbox of the harness's own): the documented steps (the
//! module, `demo-certs`), then Debian's `docker-compose up -d` on the repository's
//! `docker-compose.yml` with only `ENVOY_IMAGE` set (a local image of the pinned Envoy), `/ready`
//! on the published admin port, and from the host: `a.example.com` 200; `b.example.com` on a's
//! connection 421 with sni-guard's response details; the retry with SNI `b.example.com` 200;
//! the counters; after `docker-compose stop`, sni-guard's `configured:` line and the 421's
//! access log line in `docker-compose logs`; `docker-compose down` leaves no container or
//! network behind. Then the same with `docker-compose.native.yml` added: the native build.

use sni_guard_harness::client::BODY_421;
use sni_guard_harness::container::compose::{self, Project};
use sni_guard_harness::container::engine::{Engine, Image};
use sni_guard_harness::container::envoy_image;
use sni_guard_harness::envoy::access_log;
use sni_guard_harness::envoy::admin;
use sni_guard_harness::{Client, Protocol, Response, default_version, demo, paths};
use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::process::Command;
use std::time::{Duration, Instant};

/// What docker-compose.yml publishes on the host.
const GATEWAY_PORT: u16 = 8443;
const ADMIN: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 9901);
const READY_DEADLINE: Duration = Duration::from_secs(120);

struct Seen {
    own: Response,
    coalesced: Response,
    retry: Response,
    counters: BTreeMap<String, u64>,
    server_info: String,
}

/// The documented certificate step: `cargo run -p sni-guard-harness --bin demo-certs`.
fn demo_certs() -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_demo-certs"))
        .output()
        .expect("demo-certs runs");
    assert!(out.status.success(), "demo-certs: {out:?}");
    std::fs::read_to_string(demo::certs_dir().join("ca.pem")).expect("the demo CA")
}

fn wait_ready(deadline: Instant) -> Result<(), String> {
    loop {
        match admin::request(ADMIN, "GET", "/ready") {
            Ok((200, _)) => return Ok(()),
            other if Instant::now() > deadline => {
                return Err(format!("{ADMIN}/ready: {other:?}"));
            }
            _ => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// The access log lines of `docker-compose logs` ("envoy_1  | gw-a 1 a.example.com ..."), parsed.
fn access_log_of(logs: &str) -> Vec<access_log::Entry> {
    let lines: Vec<&str> = logs
        .lines()
        .map(|l| l.split_once(" | ").map_or(l, |(_, line)| line))
        .collect();
    access_log::parse(&lines.join("\n"))
}

#[test]
fn docker_compose_up_serves_both_gateways_with_sni_guard() {
    let begun = Instant::now();
    let engine = Engine::start().unwrap();
    let engine_started = begun.elapsed();
    paths::module().unwrap();
    paths::native_module().unwrap();
    let ca = demo_certs();
    let started = Instant::now();
    let image = envoy_image::build(&engine, default_version()).unwrap();
    let built = started.elapsed();
    let taken: Vec<u16> = engine.in_network(|| {
        [GATEWAY_PORT, ADMIN.port()]
            .into_iter()
            .filter(|port| TcpListener::bind(("127.0.0.1", *port)).is_err())
            .collect()
    });
    assert!(
        taken.is_empty(),
        "docker-compose.yml publishes 127.0.0.1:8443 and 127.0.0.1:9901; in use: {taken:?}"
    );

    let mut timings = Vec::new();
    for build in [&WASM, &NATIVE] {
        timings.push((build.name, serve(&engine, &image, &ca, build)));
    }
    for (name, (ready, checked, down)) in timings {
        println!(
            "{}: started in {engine_started:.1?}; Envoy image {} built in {built:.1?}; {name}: up to /ready {ready:.1?}; requests, counters and logs {checked:.1?}; down {down:.1?}",
            engine.describe(),
            image.tag,
        );
    }
}

/// One build as docker-compose runs it: its compose files, its counters' prefix, its
/// `configured:` log line.
struct Build {
    name: &'static str,
    files: &'static [&'static str],
    counters: &'static str,
    configured: &'static str,
}

const WASM: Build = Build {
    name: "Wasm",
    files: &[compose::FILE],
    counters: "wasmcustom.sni_guard.",
    configured: "wasm log sni-guard: configured: strict, 2 servers",
};

const NATIVE: Build = Build {
    name: "native",
    files: &[compose::FILE, compose::NATIVE_FILE],
    counters: "dynamicmodulescustom.sni_guard.",
    configured: "sni-guard: configured: strict, 2 servers",
};

/// `docker-compose up -d` with `build`'s files, the requests, counters and logs, `down`; how
/// long up, the checks and down took.
fn serve(
    engine: &Engine,
    image: &Image<'_>,
    ca: &str,
    build: &Build,
) -> (Duration, Duration, Duration) {
    let mut project = Project::new(engine, &[("ENVOY_IMAGE", &image.tag)])
        .unwrap()
        .with_files(build.files);
    let up = Instant::now();
    project.up().unwrap();
    if let Err(e) = engine.in_network(|| wait_ready(up + READY_DEADLINE)) {
        panic!("{e}\n{}", project.logs().unwrap_or_else(|e| e.0));
    }
    let ready = up.elapsed();

    let served = Instant::now();
    let seen = engine
        .in_network(|| -> sni_guard_harness::Result<Seen> {
            let client = Client::new(GATEWAY_PORT, ca)?;
            let own = client.get(Protocol::Http2, Some("a.example.com"), "a.example.com")?;
            let mut connection = client.h2(Some("a.example.com"))?;
            let coalesced = connection.get("b.example.com")?;
            let retry = client.get(Protocol::Http2, Some("b.example.com"), "b.example.com")?;
            Ok(Seen {
                own,
                coalesced,
                retry,
                counters: admin::stats(ADMIN, build.counters)?,
                server_info: admin::get(ADMIN, "/server_info")?,
            })
        })
        .unwrap();
    assert_eq!(
        (seen.own.status, seen.own.body.as_str()),
        (200, "gw-a: a.example.com\n")
    );
    assert_eq!(
        (seen.coalesced.status, seen.coalesced.body.as_str()),
        (421, BODY_421)
    );
    assert_eq!(
        (seen.retry.status, seen.retry.body.as_str()),
        (200, "gw-b: b.example.com\n")
    );
    assert_eq!(
        seen.counters.get(&format!("{}misdirected", build.counters)),
        Some(&1),
        "{:?}",
        seen.counters
    );
    assert!(
        seen.server_info
            .contains(&format!("/{}/", default_version())),
        "the container runs another Envoy than the image of the pinned one:\n{}",
        &seen.server_info[..seen.server_info.len().min(400)]
    );

    // Envoy writes its access log out every 10 s, and when it stops: stop, then read.
    project.stop().unwrap();
    let logs = project.logs().unwrap();
    assert!(
        logs.contains(build.configured),
        "no configured: line in docker-compose logs:\n{logs}"
    );
    let entries = access_log_of(&logs);
    let refused: Vec<_> = entries.iter().filter(|e| e.status == 421).collect();
    assert_eq!(refused.len(), 1, "{entries:#?}");
    assert_eq!(
        (
            refused[0].filter_chain.as_str(),
            refused[0].sni.as_deref(),
            refused[0].authority.as_deref(),
            refused[0].details.as_str()
        ),
        (
            "gw-a",
            Some("a.example.com"),
            Some("b.example.com"),
            "sni_guard_misdirected_request"
        )
    );

    let checked = served.elapsed();
    let down = Instant::now();
    project.down().unwrap();
    let leftovers = project.leftovers().unwrap();
    assert!(
        leftovers.is_empty(),
        "docker-compose down left: {leftovers:?}"
    );
    (ready, checked, down.elapsed())
}
