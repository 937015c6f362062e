//! A topology running in Envoy: PKI written to a temporary folder, configuration rendered on
//! a free loopback port, Envoy ready. The usual entry point for a test.

use crate::access_log::{self, Entry};
use crate::client::Client;
use crate::envoy::{suite_version, Envoy, Exited, Launch};
use crate::error::{fail, Result};
use crate::paths;
use crate::pki::Pki;
use crate::topology::{self, Filter, Layout, Topology};
use std::net::TcpListener;
use tempfile::TempDir;
use yaml_serde::Value;

/// Attempts when another process takes the chosen port before Envoy binds it.
const PORT_ATTEMPTS: usize = 5;

/// A running topology. Dropping it kills Envoy and removes its files.
pub struct Gateway {
    pub envoy: Envoy,
    pub pki: Pki,
    /// The listener's loopback port.
    pub port: u16,
    /// The configuration Envoy runs.
    pub config: Value,
    certs: TempDir,
}

/// What [`Gateway::start_custom`] changes; the default changes nothing.
#[derive(Default)]
pub struct Custom {
    /// The PKI (default: a new one for [`crate::pki::SERVER_NAMES`]).
    pub pki: Option<Pki>,
    /// An edit of the rendered configuration, made again on each port attempt (so a listener
    /// it adds can take a fresh free port).
    pub edit: Option<Edit>,
    /// More Envoy command-line arguments (e.g. `--concurrency 2`).
    pub args: Vec<String>,
}

/// A structural edit of a rendered configuration.
pub type Edit = Box<dyn Fn(&mut Value) -> Result<()>>;

/// A stopped gateway: Envoy's output and the parsed access log.
#[derive(Debug)]
pub struct Stopped {
    pub exited: Exited,
    pub access_log: Vec<Entry>,
}

/// A start that did not come up: Envoy's output (for refused configurations).
#[allow(clippy::large_enum_variant)] // made once per start
pub enum Outcome {
    Ready(Gateway),
    Refused(Exited),
}

impl Gateway {
    /// `topology` with `filter` on Envoy [`suite_version`] (1.40.0 unless
    /// `SNI_GUARD_ENVOY_VERSION` says otherwise).
    pub fn start(topology: Topology, filter: &Filter) -> Result<Gateway> {
        Gateway::start_on(&suite_version(), topology, filter)
    }

    /// `topology` with `filter` on Envoy `version`; an error if Envoy exits.
    pub fn start_on(version: &str, topology: Topology, filter: &Filter) -> Result<Gateway> {
        ready(version, Gateway::launch(version, topology, filter)?)
    }

    /// Like [`Gateway::start_on`] with a given PKI (the demo's, which a browser may trust).
    pub fn start_with_pki(
        version: &str,
        topology: Topology,
        filter: &Filter,
        pki: &Pki,
    ) -> Result<Gateway> {
        let base = topology.load()?;
        let outcome = Gateway::launch_with(version, &base, filter, pki.clone(), None)?;
        ready(version, outcome)
    }

    /// `topology` with `filter` on Envoy `version`: ready, or refused with Envoy's log.
    pub fn launch(version: &str, topology: Topology, filter: &Filter) -> Result<Outcome> {
        let base = topology.load()?;
        Gateway::launch_config(version, &base, filter)
    }

    /// Any configuration in the container layout, rendered and started.
    pub fn launch_config(version: &str, base: &Value, filter: &Filter) -> Result<Outcome> {
        Gateway::launch_with(version, base, filter, Pki::generate()?, None)
    }

    /// Like [`Gateway::launch_config`] with a given PKI, and a given listener port (`None`:
    /// a free one).
    pub fn launch_with(
        version: &str,
        base: &Value,
        filter: &Filter,
        pki: Pki,
        fixed_port: Option<u16>,
    ) -> Result<Outcome> {
        Gateway::launch_custom(version, base, filter, pki, fixed_port, &Custom::default())
    }

    /// `topology` with `filter` on Envoy [`suite_version`], customised: a PKI, an edit of the
    /// rendered configuration (a listener or chain more), Envoy arguments. An error if Envoy
    /// exits.
    pub fn start_custom(topology: Topology, filter: &Filter, custom: &Custom) -> Result<Gateway> {
        let version = suite_version();
        let pki = match &custom.pki {
            Some(pki) => pki.clone(),
            None => Pki::generate()?,
        };
        let outcome =
            Gateway::launch_custom(&version, &topology.load()?, filter, pki, None, custom)?;
        ready(&version, outcome)
    }

    fn launch_custom(
        version: &str,
        base: &Value,
        filter: &Filter,
        pki: Pki,
        fixed_port: Option<u16>,
        custom: &Custom,
    ) -> Result<Outcome> {
        let wasm = paths::module()?;
        let certs = tempfile::Builder::new()
            .prefix("sni-guard-certs-")
            .tempdir()?;
        pki.write(certs.path())?;
        let mut last = None;
        for _ in 0..PORT_ATTEMPTS {
            let port = match fixed_port {
                Some(port) => port,
                None => free_port()?,
            };
            let layout = Layout {
                wasm: wasm.clone(),
                certs: certs.path().to_path_buf(),
                port,
            };
            let mut config = topology::render_config(base.clone(), filter, &layout)?;
            if let Some(edit) = &custom.edit {
                edit(&mut config)?;
            }
            let args: Vec<&str> = custom.args.iter().map(String::as_str).collect();
            match Envoy::launch_with_args(version, &config, &args)? {
                Launch::Ready(envoy) => {
                    return Ok(Outcome::Ready(Gateway {
                        envoy,
                        pki,
                        port,
                        config,
                        certs,
                    }))
                }
                Launch::Exited(exited)
                    if fixed_port.is_none() && exited.stderr.contains("Address already in use") =>
                {
                    last = Some(exited);
                }
                Launch::Exited(exited) => return Ok(Outcome::Refused(exited)),
            }
        }
        Err(fail(format!(
            "no free port after {PORT_ATTEMPTS} attempts: {}",
            last.map(|e| e.stderr).unwrap_or_default()
        )))
    }

    /// A client for this gateway's port, trusting its CA.
    pub fn client(&self) -> Result<Client> {
        Client::new(self.port, &self.pki.ca_pem)
    }

    /// The folder holding `ca.pem`, `server.pem`, `server-key.pem`.
    pub fn certs_dir(&self) -> &std::path::Path {
        self.certs.path()
    }

    /// sni-guard's counter `name` (`misdirected`, `log_only_mismatches`, `no_sni`).
    pub fn counter(&self, name: &str) -> Result<u64> {
        self.envoy.counter(name)
    }

    /// Stops Envoy cleanly and parses its access log.
    pub fn stop(self) -> Result<Stopped> {
        let exited = self.envoy.stop()?;
        let access_log = access_log::parse(&exited.stdout);
        Ok(Stopped { exited, access_log })
    }
}

/// The gateway, or an error with the log of an Envoy that exited before it was ready.
fn ready(version: &str, outcome: Outcome) -> Result<Gateway> {
    match outcome {
        Outcome::Ready(gateway) => Ok(gateway),
        Outcome::Refused(exited) => Err(fail(format!(
            "Envoy {version} exited before it was ready ({}):\n{}",
            exited.status, exited.stderr
        ))),
    }
}

/// A port free on 127.0.0.1 right now (the caller retries if it is taken before use).
pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}
