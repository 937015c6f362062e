//! The repository's `docker-compose.yml` run as a user runs it: Debian's `docker-compose`
//! with `DOCKER_HOST` on the engine, under a project name of its own; `down` when dropped.

use crate::container::engine::Engine;
use crate::error::Result;
use crate::paths;
use crate::process::{checked, require};
use std::process::Command;

/// The compose file, and the one the native build adds to it.
pub const FILE: &str = "docker-compose.yml";
pub const NATIVE_FILE: &str = "docker-compose.native.yml";

/// `docker-compose -f docker-compose.yml ARGS` at the repository root, with the compose
/// file's variables unset (their defaults apply unless the caller sets them).
pub fn command(args: &[&str]) -> Command {
    command_with(&[FILE], args)
}

/// [`command`] with these compose files, in order (`-f` each).
pub fn command_with(files: &[&str], args: &[&str]) -> Command {
    let mut command = Command::new("docker-compose");
    command.current_dir(paths::workspace_root());
    for file in files {
        command.args(["-f", file]);
    }
    command.args(args);
    for name in ["ENVOY_IMAGE", "ENVOY_ENTRYPOINT", "ENVOY_LOG_LEVEL"] {
        command.env_remove(name);
    }
    command
}

/// A compose project. Dropping it runs `down` if it is up.
pub struct Project<'a> {
    engine: &'a Engine,
    files: Vec<&'static str>,
    name: String,
    env: Vec<(String, String)>,
    up: bool,
}

impl<'a> Project<'a> {
    /// The project `sni-guard-<pid>` with these variables set (`ENVOY_IMAGE`, ...); the
    /// compose file's other variables are unset, so their defaults apply.
    pub fn new(engine: &'a Engine, env: &[(&str, &str)]) -> Result<Project<'a>> {
        require(
            "docker-compose",
            "test-harness/setup.sh installs Debian's docker-compose",
        )?;
        Ok(Project {
            engine,
            files: vec![FILE],
            name: format!("sni-guard-{}", std::process::id()),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            up: false,
        })
    }

    /// The same project with these compose files (`docker-compose.yml` and the native one).
    pub fn with_files(mut self, files: &[&'static str]) -> Project<'a> {
        self.files = files.to_vec();
        self
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = command_with(&self.files, &[&["-p", self.name.as_str()], args].concat());
        command
            .env("DOCKER_HOST", self.engine.docker_host())
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        command
    }

    /// `docker-compose up -d`.
    pub fn up(&mut self) -> Result<()> {
        self.up = true;
        checked(&mut self.command(&["up", "-d"]), "docker-compose up -d").map(drop)
    }

    /// `docker-compose logs --no-color`.
    pub fn logs(&self) -> Result<String> {
        checked(
            &mut self.command(&["logs", "--no-color"]),
            "docker-compose logs",
        )
    }

    /// `docker-compose stop`: the containers exit (Envoy writes out its access log), their logs
    /// stay.
    pub fn stop(&self) -> Result<()> {
        checked(&mut self.command(&["stop"]), "docker-compose stop").map(drop)
    }

    /// `docker-compose down`.
    pub fn down(&mut self) -> Result<()> {
        self.up = false;
        checked(&mut self.command(&["down"]), "docker-compose down").map(drop)
    }

    /// Containers and networks of the engine whose names start with the project's name.
    pub fn leftovers(&self) -> Result<Vec<String>> {
        let containers = self
            .engine
            .run(&["ps", "--all", "--format", "{{.Names}}"])?;
        let networks = self
            .engine
            .run(&["network", "ls", "--format", "{{.Name}}"])?;
        Ok(containers
            .lines()
            .map(|c| format!("container {c}"))
            .chain(networks.lines().map(|n| format!("network {n}")))
            .filter(|item| {
                item.split(' ')
                    .nth(1)
                    .is_some_and(|n| n.starts_with(&self.name))
            })
            .collect())
    }
}

impl Drop for Project<'_> {
    fn drop(&mut self) {
        if self.up {
            let _ = self.down();
        }
    }
}
