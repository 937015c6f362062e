//! The real Envoy binary as a child process: installed by `install-envoy.sh`, started on a
//! rendered configuration, ready when `/ready` says so, killed when dropped.

use crate::envoy::admin;
use crate::error::{Context, Result, fail};
use crate::paths;
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};
use tempfile::TempDir;
use yaml_serde::Value;

/// How long a start may take before it counts as hung (V8 compiles the module first).
const START_DEADLINE: Duration = Duration::from_secs(120);
const STOP_DEADLINE: Duration = Duration::from_secs(60);

/// The Envoy binary for `version`, installed into the cache if missing (`ENVOY_BIN`
/// overrides the default version).
pub fn binary(version: &str) -> Result<PathBuf> {
    static CACHE: OnceLock<Mutex<HashMap<String, PathBuf>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(path) = cache.get(version) {
        return Ok(path.clone());
    }
    let script = paths::install_envoy_script();
    let out = Command::new("bash")
        .arg(&script)
        .arg(version)
        .stderr(Stdio::inherit())
        .output()
        .context(|| format!("running {}", script.display()))?;
    let path = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    if !out.status.success() || !path.is_file() {
        return Err(fail(format!(
            "{} {version} failed ({}): no Envoy binary",
            script.display(),
            out.status
        )));
    }
    cache.insert(version.to_string(), path.clone());
    Ok(path)
}

/// What an exited Envoy left behind.
#[derive(Debug)]
pub struct Exited {
    pub status: ExitStatus,
    /// Standard output: the access log.
    pub stdout: String,
    /// Standard error: Envoy's own log (wasm log lines included).
    pub stderr: String,
}

/// The outcome of a start: a ready Envoy, or one that exited before it was ready.
#[allow(clippy::large_enum_variant)] // made once per start
pub enum Launch {
    Ready(Envoy),
    Exited(Exited),
}

/// A running Envoy. Dropping it kills it.
pub struct Envoy {
    child: Option<Child>,
    admin: SocketAddr,
    version: String,
    dir: TempDir,
}

impl Envoy {
    /// Starts Envoy `version` on `config` and waits for `/ready`; an exit before that is an
    /// error carrying Envoy's log.
    pub fn start(version: &str, config: &Value) -> Result<Envoy> {
        match Envoy::launch(version, config)? {
            Launch::Ready(envoy) => Ok(envoy),
            Launch::Exited(exited) => Err(fail(format!(
                "Envoy {version} exited before it was ready ({}):\n{}",
                exited.status, exited.stderr
            ))),
        }
    }

    /// Starts Envoy `version` on `config` (its admin moved to a free loopback port) and waits
    /// until it is ready or has exited.
    pub fn launch(version: &str, config: &Value) -> Result<Launch> {
        Envoy::launch_with_args(version, config, &[])
    }

    /// [`Envoy::launch`] with more command-line arguments (e.g. `--concurrency 1`).
    pub fn launch_with_args(version: &str, config: &Value, args: &[&str]) -> Result<Launch> {
        let bin = binary(version)?;
        let dir = tempfile::Builder::new()
            .prefix("sni-guard-envoy-")
            .tempdir()?;
        let mut config = config.clone();
        admin_on_loopback(&mut config)?;
        let config_path = dir.path().join("envoy.yaml");
        std::fs::write(&config_path, yaml_serde::to_string(&config)?)?;
        let admin_path = dir.path().join("admin-address");
        let mut command = Command::new(&bin);
        // If the harness dies without running `Drop` (a signal, a CI timeout), Envoy goes
        // with it. The signal follows the thread that started Envoy.
        // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let child = command
            .arg("--config-path")
            .arg(&config_path)
            .arg("--admin-address-path")
            .arg(&admin_path)
            .arg("--disable-hot-restart")
            .args(["--log-level", "info"])
            // Where a dynamic-module filter's library is found (sni-guard's native build).
            .env("ENVOY_DYNAMIC_MODULES_SEARCH_PATH", paths::native_dir())
            .args(args)
            .stdin(Stdio::null())
            .stdout(File::create(dir.path().join("stdout"))?)
            .stderr(File::create(dir.path().join("stderr"))?)
            .spawn()
            .context(|| format!("starting {}", bin.display()))?;
        let mut envoy = Envoy {
            child: Some(child),
            admin: SocketAddr::from(([127, 0, 0, 1], 0)),
            version: version.to_string(),
            dir,
        };
        let deadline = Instant::now() + START_DEADLINE;
        loop {
            if let Some(status) = envoy.child_mut()?.try_wait()? {
                return Ok(Launch::Exited(envoy.collect(status)?));
            }
            if let Some(admin) = read_admin_address(&admin_path) {
                envoy.admin = admin;
                if matches!(admin::request(admin, "GET", "/ready"), Ok((200, _))) {
                    return Ok(Launch::Ready(envoy));
                }
            }
            if Instant::now() > deadline {
                return Err(fail(format!(
                    "Envoy {version} not ready after {START_DEADLINE:?}:\n{}",
                    envoy.stderr_so_far()
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The process id (until Envoy is collected).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The admin address (loopback).
    pub fn admin(&self) -> SocketAddr {
        self.admin
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    /// A GET on the admin API that must answer 200.
    pub fn admin_get(&self, path: &str) -> Result<String> {
        admin::get(self.admin, path)
    }

    /// How long Envoy has been up, as its admin API says (`/server_info`'s
    /// `uptime_current_epoch`, whole seconds): a new process starts again from 0.
    pub fn uptime(&self) -> Result<Duration> {
        let info: serde_json::Value = serde_json::from_str(&self.admin_get("/server_info")?)?;
        info["uptime_current_epoch"]
            .as_str()
            .and_then(|u| u.strip_suffix('s')?.parse::<f64>().ok())
            .map(Duration::from_secs_f64)
            .ok_or_else(|| fail(format!("no uptime in /server_info: {info}")))
    }

    /// sni-guard's counters: `misdirected`, `log_only_mismatches`, `no_sni` (names without
    /// the prefix: `wasmcustom.sni_guard.` for the Wasm module, `dynamicmodulescustom.sni_guard.`
    /// for the native one; both builds' in one Envoy add up).
    pub fn sni_guard_counters(&self) -> Result<BTreeMap<String, u64>> {
        let mut counters = admin::stats_under(self.admin, "wasmcustom.sni_guard.")?;
        for (name, value) in admin::stats_under(self.admin, "dynamicmodulescustom.sni_guard.")? {
            *counters.entry(name).or_default() += value;
        }
        Ok(counters)
    }

    /// One sni-guard counter; an error if Envoy does not report it.
    pub fn counter(&self, name: &str) -> Result<u64> {
        self.sni_guard_counters()?
            .get(name)
            .copied()
            .ok_or_else(|| fail(format!("no counter wasmcustom.sni_guard.{name} in /stats")))
    }

    /// The file Envoy's stdout (the access log) goes to.
    pub fn stdout_path(&self) -> PathBuf {
        self.dir.path().join("stdout")
    }

    /// What Envoy has written to stderr so far.
    pub fn stderr_so_far(&self) -> String {
        read_lossy(&self.dir.path().join("stderr"))
    }

    /// Stops Envoy cleanly (`/quitquitquit`, so the access log is flushed) and returns
    /// what it wrote.
    pub fn stop(mut self) -> Result<Exited> {
        let _ = admin::request(self.admin, "POST", "/quitquitquit");
        let deadline = Instant::now() + STOP_DEADLINE;
        loop {
            if let Some(status) = self.child_mut()?.try_wait()? {
                return self.collect(status);
            }
            if Instant::now() > deadline {
                let child = self.child_mut()?;
                let _ = child.kill();
                let status = child.wait()?;
                return self.collect(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until Envoy exits by itself (or is stopped by a signal).
    pub fn wait(mut self) -> Result<Exited> {
        let status = self.child_mut()?.wait()?;
        self.collect(status)
    }

    fn child_mut(&mut self) -> Result<&mut Child> {
        self.child
            .as_mut()
            .ok_or_else(|| fail("Envoy already collected"))
    }

    fn collect(&mut self, status: ExitStatus) -> Result<Exited> {
        self.child = None;
        Ok(Exited {
            status,
            stdout: read_lossy(&self.dir.path().join("stdout")),
            stderr: read_lossy(&self.dir.path().join("stderr")),
        })
    }
}

impl Drop for Envoy {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The lines of Envoy's log (stderr) that report a Wasm failure: a trap, a failed callback, a
/// VM or plugin that failed, or an error logged by a module (the native one's too). None may
/// appear while sni-guard serves.
pub fn wasm_failures(stderr: &str) -> Vec<&str> {
    const MARKS: &[&str] = &[
        "Wasm VM failed",
        "wasm trap",
        "Function: proxy_on",
        "Uncaught",
        "RuntimeError",
        "][error][wasm]",
        "][critical][wasm]",
        // The native build's own errors.
        "][error][dynamic_modules]",
        "][critical][dynamic_modules]",
    ];
    stderr
        .lines()
        .filter(|l| {
            MARKS.iter().any(|m| l.contains(m)) || (l.contains("Plugin") && l.contains("failed"))
        })
        .collect()
}

/// The lines of Envoy's log that report sni-guard refusing a configuration.
pub fn refusals(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.contains("sni-guard: configuration refused: "))
        .collect()
}

fn read_lossy(path: &Path) -> String {
    std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

fn read_admin_address(path: &Path) -> Option<SocketAddr> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// Points the admin interface at 127.0.0.1 on a port Envoy picks (read back from
/// `--admin-address-path`).
fn admin_on_loopback(config: &mut Value) -> Result<()> {
    let address = config
        .get_mut("admin")
        .and_then(|a| a.get_mut("address"))
        .and_then(|a| a.get_mut("socket_address"))
        .and_then(Value::as_mapping_mut)
        .ok_or_else(|| fail("the configuration has no admin.address.socket_address"))?;
    address.insert("address".into(), "127.0.0.1".into());
    address.insert("port_value".into(), 0.into());
    Ok(())
}

/// `case(version)` as two tests, `case::envoy_default` and `case::envoy_oldest`, for a test
/// file whose cases take the Envoy version to run.
#[macro_export]
macro_rules! on_both_versions {
    ($($case:ident),*) => {$(
        mod $case {
            #[test]
            fn envoy_default() {
                super::$case($crate::default_version());
            }
            #[test]
            fn envoy_oldest() {
                super::$case($crate::oldest_version());
            }
        }
    )*};
}

#[cfg(test)]
mod tests {
    use super::wasm_failures;

    #[test]
    fn wasm_failure_lines_are_found() {
        let log = "\
[2026-01-01 00:00:00.000][1][info][wasm] [context.cc:1151] wasm log sni-guard: configured: strict, 2 servers
[2026-01-01 00:00:00.000][1][error][wasm] [wasm_vm.cc:38] Function: proxy_on_request_headers failed: Uncaught RuntimeError: unreachable
[2026-01-01 00:00:00.000][1][critical][wasm] [wasm.cc:61] Plugin configured to fail closed failed to load
[2026-01-01 00:00:00.000][1][info][main] [server.cc:1000] all clusters initialized";
        let found = wasm_failures(log);
        assert_eq!(found.len(), 2, "{found:#?}");
        assert!(found[0].contains("proxy_on_request_headers failed"));
    }
}
