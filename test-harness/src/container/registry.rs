//! An image registry on loopback for the OCI test: Debian's `docker-registry` (the CNCF
//! distribution registry), plain HTTP on a free port of the engine's network, its storage in
//! a temporary folder; stopped and removed when dropped. [`Registry::get`] reads its HTTP API
//! as Istio's image fetcher does (manifest, then blobs).

use crate::container::engine::Engine;
use crate::envoy::admin;
use crate::error::{Context, Result, fail};
use crate::process::require;
use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

const READY_DEADLINE: Duration = Duration::from_secs(30);

/// A running registry. Dropping it stops it and removes its storage.
pub struct Registry {
    child: Child,
    addr: SocketAddr,
    dir: TempDir,
}

/// An HTTP response from the registry.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    /// Header names lower-case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

impl Registry {
    /// Starts a registry in `engine`'s network and waits until `/v2/` answers.
    pub fn start(engine: &Engine) -> Result<Registry> {
        require(
            "docker-registry",
            "the OCI test needs Debian's docker-registry (test-harness/setup.sh installs it)",
        )?;
        let dir = tempfile::Builder::new()
            .prefix("sni-guard-registry-")
            .tempdir()?;
        let port = engine.in_network(|| -> Result<u16> {
            Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
        })?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let config = dir.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {addr}\n",
                dir.path().join("data").display()
            ),
        )?;
        let log = std::fs::File::create(dir.path().join("registry.log"))?;
        let child = engine
            .command("docker-registry")
            .arg("serve")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context(|| "starting docker-registry".into())?;
        let mut registry = Registry { child, addr, dir };
        let deadline = Instant::now() + READY_DEADLINE;
        loop {
            if let Ok(reply) = registry.get(engine, "/v2/", "")
                && reply.status == 200
            {
                return Ok(registry);
            }
            if let Some(status) = registry.child.try_wait()? {
                return Err(fail(format!(
                    "docker-registry exited ({status}): {}",
                    registry.log()
                )));
            }
            if Instant::now() > deadline {
                return Err(fail(format!(
                    "docker-registry did not answer on {addr} within {READY_DEADLINE:?}: {}",
                    registry.log()
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `127.0.0.1:<port>`, the registry part of an image name.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// `GET path` with an `Accept` header (empty: none), in the engine's network.
    pub fn get(&self, engine: &Engine, path: &str, accept: &str) -> Result<Reply> {
        let addr = self.addr;
        engine.in_network(|| get(addr, path, accept))
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn get(addr: SocketAddr, path: &str, accept: &str) -> Result<Reply> {
    let accept = match accept {
        "" => vec![],
        types => vec![("Accept", types)],
    };
    let (status, headers, body) =
        admin::exchange(addr, "GET", path, &accept).context(|| "registry".to_string())?;
    Ok(Reply {
        status,
        headers,
        body,
    })
}
