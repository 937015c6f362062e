//! A topology running in Envoy: PKI written to a temporary folder, configuration rendered on
//! a free loopback port, Envoy ready. The usual entry point for a test: [`Gateway::builder`].

use crate::client::Client;
use crate::envoy::access_log::{self, Entry};
use crate::envoy::topology::{self, Filter, Layout, Topology};
use crate::envoy::{Envoy, Exited, Launch, suite_version};
use crate::error::{Result, fail};
use crate::paths;
use crate::pki::Pki;
use std::collections::BTreeSet;
use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
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

/// A structural edit of a rendered configuration.
pub type Edit = Box<dyn Fn(&mut Value) -> Result<()>>;

/// What a [`Builder`] starts: one of the repository's topologies, or any configuration in
/// the container layout.
pub enum Base {
    Topology(Topology),
    Config(Value),
}

impl From<Topology> for Base {
    fn from(topology: Topology) -> Base {
        Base::Topology(topology)
    }
}

impl From<Value> for Base {
    fn from(config: Value) -> Base {
        Base::Config(config)
    }
}

/// How a [`Gateway`] starts: [`Gateway::builder`], what differs from the defaults, then
/// [`Builder::start`] (ready, or an error carrying Envoy's log) or [`Builder::launch`]
/// (ready, or refused with Envoy's output: for configurations that must be refused).
pub struct Builder {
    base: Base,
    filter: Filter,
    version: Option<String>,
    pki: Option<Pki>,
    port: Option<u16>,
    module: Option<PathBuf>,
    edit: Option<Edit>,
    args: Vec<String>,
}

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
    /// The one way to start a gateway: `base` (a [`Topology`], or a configuration in the
    /// container layout) with [`Filter::AsWritten`] on Envoy [`suite_version`], a new PKI and
    /// a free port, each changeable through the [`Builder`].
    pub fn builder(base: impl Into<Base>) -> Builder {
        Builder {
            base: base.into(),
            filter: Filter::AsWritten,
            version: None,
            pki: None,
            port: None,
            module: None,
            edit: None,
            args: Vec::new(),
        }
    }

    /// A client for this gateway's port, trusting its CA.
    pub fn client(&self) -> Result<Client> {
        Client::new(self.port, &self.pki.ca_pem)
    }

    /// A client for this gateway's port presenting the PKI's client certificate
    /// ([`Pki::with_client_ca`]); an error if the PKI has none.
    pub fn client_with_certificate(&self) -> Result<Client> {
        let client = self
            .pki
            .client
            .as_ref()
            .ok_or_else(|| fail("the gateway's PKI has no client certificate"))?;
        self.client()?
            .with_certificate(&client.cert_pem, &client.key_pem)
    }

    /// The listener's TLS statistics (`handshake`, `fail_verify_no_cert`, ...: names without
    /// the `listener.127.0.0.1_<port>.ssl.` prefix), all filter chains together.
    pub fn tls_stats(&self) -> Result<std::collections::BTreeMap<String, u64>> {
        let prefix = format!("listener.127.0.0.1_{}.ssl.", self.port);
        crate::envoy::admin::stats_under(self.envoy.admin(), &prefix)
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

impl Builder {
    /// What runs in the sni-guard slot (default: [`Filter::AsWritten`]).
    pub fn filter(mut self, filter: &Filter) -> Builder {
        self.filter = filter.clone();
        self
    }

    /// The Envoy version (default: [`suite_version`]).
    pub fn version(mut self, version: &str) -> Builder {
        self.version = Some(version.to_string());
        self
    }

    /// The PKI (default: a new one for [`crate::pki::SERVER_NAMES`], with a client CA for a
    /// topology that needs one); the demo's is one a browser may trust.
    pub fn pki(mut self, pki: Pki) -> Builder {
        self.pki = Some(pki);
        self
    }

    /// The listener's port (default: a free one, chosen again if another process takes it
    /// before Envoy binds it).
    pub fn port(mut self, port: u16) -> Builder {
        self.port = Some(port);
        self
    }

    /// The module file the configuration's sni-guard entries load (default: the built
    /// module, [`paths::module`]): another build, compared under the same configuration.
    pub fn module(mut self, path: &Path) -> Builder {
        self.module = Some(path.to_path_buf());
        self
    }

    /// An edit of the rendered configuration (a listener or chain more), made again on each
    /// port attempt, so that a listener it adds can take a fresh free port.
    pub fn edit(mut self, edit: impl Fn(&mut Value) -> Result<()> + 'static) -> Builder {
        self.edit = Some(Box::new(edit));
        self
    }

    /// More Envoy command-line arguments (e.g. `--concurrency 2`).
    pub fn envoy_args<S: Into<String>>(mut self, args: impl IntoIterator<Item = S>) -> Builder {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Starts Envoy and waits until it is ready; an error with Envoy's log if it exits first.
    pub fn start(self) -> Result<Gateway> {
        let version = self.envoy_version();
        match self.launch()? {
            Outcome::Ready(gateway) => Ok(gateway),
            Outcome::Refused(exited) => Err(fail(format!(
                "Envoy {version} exited before it was ready ({}):\n{}",
                exited.status, exited.stderr
            ))),
        }
    }

    /// Starts Envoy: ready, or refused with Envoy's output.
    pub fn launch(self) -> Result<Outcome> {
        let version = self.envoy_version();
        let client_ca = matches!(self.base, Base::Topology(t) if t.needs_client_ca());
        let base = match self.base {
            Base::Topology(topology) => topology.load()?,
            Base::Config(config) => config,
        };
        let pki = match self.pki {
            Some(pki) => pki,
            None if client_ca => Pki::generate()?.with_client_ca()?,
            None => Pki::generate()?,
        };
        let wasm = match self.module {
            Some(path) => path,
            None => paths::module()?,
        };
        let certs = tempfile::Builder::new()
            .prefix("sni-guard-certs-")
            .tempdir()?;
        pki.write(certs.path())?;
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        let render = |port| {
            let layout = Layout {
                wasm: wasm.clone(),
                certs: certs.path().to_path_buf(),
                port,
            };
            let mut config = topology::render_config(base.clone(), &self.filter, &layout)?;
            if let Some(edit) = &self.edit {
                edit(&mut config)?;
            }
            Ok(config)
        };
        match launch_on_free_port(&version, self.port, &args, render)? {
            (port, config, Launch::Ready(envoy)) => Ok(Outcome::Ready(Gateway {
                envoy,
                pki,
                port,
                config,
                certs,
            })),
            (_, _, Launch::Exited(exited)) => Ok(Outcome::Refused(exited)),
        }
    }

    fn envoy_version(&self) -> String {
        self.version.clone().unwrap_or_else(suite_version)
    }
}

/// Launches Envoy `version` with `args` on the configuration `config` makes for a listener
/// port: `fixed`, or a free one, chosen again when another process takes it before Envoy binds
/// it. The port, the configuration and how the launch ended.
pub fn launch_on_free_port(
    version: &str,
    fixed: Option<u16>,
    args: &[&str],
    config: impl Fn(u16) -> Result<Value>,
) -> Result<(u16, Value, Launch)> {
    let mut last = None;
    for _ in 0..PORT_ATTEMPTS {
        let port = match fixed {
            Some(port) => port,
            None => free_port()?,
        };
        let config = config(port)?;
        match Envoy::launch_with_args(version, &config, args)? {
            Launch::Exited(exited)
                if fixed.is_none() && exited.stderr.contains("Address already in use") =>
            {
                last = Some(exited);
            }
            launch => return Ok((port, config, launch)),
        }
    }
    Err(fail(format!(
        "no free port after {PORT_ATTEMPTS} attempts: {}",
        last.map(|e| e.stderr).unwrap_or_default()
    )))
}

/// A port free for TCP and UDP on every address right now, never handed out before by this
/// process (the caller retries if another process takes it before use). Envoy binds its
/// listeners with SO_REUSEPORT, so two Envoys given one port would both bind it and share its
/// connections silently: a QUIC client then met another test's certificate.
pub fn free_port() -> Result<u16> {
    static GIVEN: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());
    for _ in 0..PORT_ATTEMPTS * 10 {
        let tcp = TcpListener::bind("0.0.0.0:0")?;
        let port = tcp.local_addr()?.port();
        if UdpSocket::bind(("0.0.0.0", port)).is_err() {
            continue;
        }
        let mut given = GIVEN
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if given.insert(port) {
            return Ok(port);
        }
    }
    Err(fail(
        "no port free for both TCP and UDP, not handed out before",
    ))
}

#[cfg(test)]
mod tests {
    use super::free_port;
    use std::collections::BTreeSet;

    /// 500 ports drawn at random from the ephemeral range would repeat one (the birthday
    /// bound); the suite starts about as many gateways.
    #[test]
    fn free_port_never_hands_out_a_port_twice() {
        let ports: Vec<u16> = (0..500).map(|_| free_port().unwrap()).collect();
        let distinct: BTreeSet<u16> = ports.iter().copied().collect();
        assert_eq!(distinct.len(), ports.len());
    }
}
