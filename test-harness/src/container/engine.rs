//! The container engine the compose and OCI tests run on: a Docker engine when one answers
//! (`DOCKER_HOST`, else `/var/run/docker.sock`), otherwise podman's Docker API service in a
//! sandbox of the harness's own ([`crate::container::podman`]). Both serve the Docker API that
//! `docker-compose` talks to; images are built and pushed with the engine's own CLI.
//!
//! With podman, the engine's network is a private namespace: [`Engine::command`] and
//! [`Engine::in_network`] run programs and the test's clients there, where the published
//! ports and a registry on loopback are.

use crate::container::docker_api::ping;
use crate::container::podman::Service;
use crate::error::{Result, fail};
use crate::paths;
use crate::process::{checked, require};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

const DOCKER_SOCKET: &str = "/var/run/docker.sock";
/// What `test-harness/setup.sh` installs for these tests.
const SETUP: &str = "test-harness/setup.sh installs podman, runc, docker-registry and skopeo";

/// An image the harness built in the engine. Dropping it removes it.
pub struct Image<'a> {
    engine: &'a Engine,
    pub tag: String,
}

impl Drop for Image<'_> {
    fn drop(&mut self) {
        let _ = self.engine.remove_image(&self.tag);
    }
}

/// A container engine. Dropping it stops what the harness started (podman's service).
pub struct Engine {
    kind: Kind,
}

enum Kind {
    /// A Docker engine that was already running.
    Docker(PathBuf),
    /// podman's service, started for this engine.
    Podman(Service),
}

impl Engine {
    /// The Docker engine that answers, or podman's service started in its sandbox; an error
    /// names what is missing.
    pub fn start() -> Result<Engine> {
        if let Some(socket) = docker_socket()? {
            require("docker", "the Docker engine answers but its CLI is missing")?;
            return Ok(Engine {
                kind: Kind::Docker(socket),
            });
        }
        require(
            "podman",
            &format!(
                "no container engine: no Docker engine answers at {DOCKER_SOCKET} and podman is not installed ({SETUP})"
            ),
        )?;
        if !rustix::process::geteuid().is_root() {
            return Err(fail(
                "no container engine: no Docker engine answers and podman's sandbox (network, mount and PID namespaces) needs root",
            ));
        }
        require("runc", &format!("podman needs runc ({SETUP})"))?;
        require("unshare", "podman's sandbox needs unshare (util-linux)")?;
        let service = Service::start(&paths::target_dir().join("container-engine"))?;
        Ok(Engine {
            kind: Kind::Podman(service),
        })
    }

    /// Which engine, for messages.
    pub fn describe(&self) -> String {
        match &self.kind {
            Kind::Docker(socket) => format!("the Docker engine at {}", socket.display()),
            Kind::Podman(service) => format!(
                "podman's Docker API service at {} (private network, mount and PID namespaces)",
                service.socket().display()
            ),
        }
    }

    pub fn is_podman(&self) -> bool {
        matches!(self.kind, Kind::Podman(_))
    }

    /// `DOCKER_HOST` for clients of this engine.
    pub fn docker_host(&self) -> String {
        let socket = match &self.kind {
            Kind::Docker(socket) => socket.as_path(),
            Kind::Podman(service) => service.socket(),
        };
        format!("unix://{}", socket.display())
    }

    /// The engine's CLI: `docker`, or `podman --remote` on the service's socket.
    pub fn cli(&self) -> Command {
        match &self.kind {
            Kind::Docker(_) => {
                let mut command = Command::new("docker");
                command.env("DOCKER_HOST", self.docker_host());
                command
            }
            Kind::Podman(_) => {
                let mut command = Command::new("podman");
                command.args(["--remote", "--url", &self.docker_host()]);
                command
            }
        }
    }

    /// Runs the CLI with `args`; its standard output, or an error with its standard error.
    pub fn run(&self, args: &[&str]) -> Result<String> {
        let mut command = self.cli();
        command.args(args);
        checked(&mut command, &format!("engine {}", args.join(" ")))
    }

    /// Builds `dockerfile` with `context` as build context and tags it `tag`, removed again
    /// when the [`Image`] is dropped. `ignore_file` is the Dockerfile's own `.dockerignore`:
    /// BuildKit finds it beside the Dockerfile, podman 4 is told (it reads only the context's
    /// `.dockerignore`).
    pub fn build(
        &self,
        context: &Path,
        dockerfile: &Path,
        ignore_file: Option<&Path>,
        tag: &str,
    ) -> Result<Image<'_>> {
        let mut command = self.cli();
        command
            .arg("build")
            .arg("-f")
            .arg(dockerfile)
            .args(["-t", tag]);
        if let (Some(ignore), true) = (ignore_file, self.is_podman()) {
            command.arg("--ignorefile").arg(ignore);
        }
        command.arg(context);
        checked(&mut command, &format!("building {}", dockerfile.display()))?;
        Ok(Image {
            engine: self,
            tag: tag.to_string(),
        })
    }

    /// Pushes `tag` to a plain-HTTP registry on loopback (Docker allows 127.0.0.0/8 without
    /// TLS; podman is told).
    pub fn push_to_loopback(&self, tag: &str) -> Result<()> {
        let mut args = vec!["push"];
        if self.is_podman() {
            args.push("--tls-verify=false");
        }
        args.push(tag);
        self.run(&args).map(drop)
    }

    /// Removes the image `tag`.
    pub fn remove_image(&self, tag: &str) -> Result<()> {
        self.run(&["rmi", "--force", tag]).map(drop)
    }

    /// `program` running in the engine's network (podman: its private namespace).
    pub fn command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        let netns = match &self.kind {
            Kind::Docker(_) => None,
            Kind::Podman(service) => Some(service.netns().as_raw_fd()),
        };
        // SAFETY: system calls only, on a descriptor that outlives the spawn. The program dies
        // with the thread that started it (a registry must not outlive a killed test).
        unsafe {
            command.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                match netns.map_or(0, |fd| libc::setns(fd, libc::CLONE_NEWNET)) {
                    0 => Ok(()),
                    _ => Err(std::io::Error::last_os_error()),
                }
            });
        }
        command
    }

    /// Runs `f` on a thread in the engine's network: sockets it opens reach the published
    /// ports and a registry on the engine's loopback.
    pub fn in_network<T: Send>(&self, f: impl FnOnce() -> T + Send) -> T {
        let netns = match &self.kind {
            Kind::Docker(_) => None,
            Kind::Podman(service) => Some(service.netns().as_raw_fd()),
        };
        std::thread::scope(|scope| {
            scope
                .spawn(move || {
                    if let Some(fd) = netns {
                        // SAFETY: setns on this thread only, with a descriptor `self` holds.
                        let joined = unsafe { libc::setns(fd, libc::CLONE_NEWNET) };
                        assert_eq!(
                            joined,
                            0,
                            "joining the engine's network: {}",
                            std::io::Error::last_os_error()
                        );
                    }
                    f()
                })
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }
}

/// The socket of a Docker engine that answers: `DOCKER_HOST` when set (it must answer), else
/// the default socket if it answers.
fn docker_socket() -> Result<Option<PathBuf>> {
    if let Some(host) = std::env::var("DOCKER_HOST").ok().filter(|h| !h.is_empty()) {
        let socket = host.strip_prefix("unix://").ok_or_else(|| {
            fail(format!(
                "DOCKER_HOST={host}: the harness talks to an engine on a unix:// socket only"
            ))
        })?;
        return match ping(Path::new(socket)) {
            true => Ok(Some(PathBuf::from(socket))),
            false => Err(fail(format!(
                "DOCKER_HOST={host} does not answer the Docker API's /_ping"
            ))),
        };
    }
    Ok(ping(Path::new(DOCKER_SOCKET)).then(|| PathBuf::from(DOCKER_SOCKET)))
}
