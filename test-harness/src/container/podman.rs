//! podman's Docker API service (`podman system service`) in a sandbox of its own, so that a
//! test run leaves nothing on the machine:
//!
//! - a private **network** namespace: the bridges, firewall rules and forwarding switch CNI
//!   sets up, and the ports compose publishes (`127.0.0.1:8443`, `:9901`), exist only there,
//!   so two runs never compete for a port and the host's firewall is untouched;
//! - a private **mount** namespace with empty tmpfs over `/run`, `/var/lib` and `/var/tmp`:
//!   what podman, runc and CNI write there by default (`/run/runc`, `/run/netns`,
//!   `/var/lib/cni`, `/var/lib/containers/cache`) vanishes with the sandbox;
//! - a private **PID** namespace whose init is the service: when it exits, or the test process
//!   dies, the kernel kills every conmon and container it started;
//! - the project's own `containers.conf` and `storage.conf` (`CONTAINERS_CONF`,
//!   `CONTAINERS_STORAGE_CONF`; nothing under `/etc` is read for them or changed): runc, the
//!   cgroupfs manager, no default ulimits, file locks, and storage, runtime files, networks and
//!   events in one folder under `target/container-engine/`, removed when the service stops.
//!
//! Only the cgroups runc creates for containers live outside (there is no cgroup namespace for
//! that on cgroup v1): the `libpod_parent` groups the service created are removed at the end,
//! and the groups of a killed run's containers by the next run.

use crate::container::docker_api::ping;
use crate::error::{Context, Result, fail};
use rustix::process::{Pid, Signal, kill_process, test_kill_process};
use std::collections::BTreeSet;
use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const READY_DEADLINE: Duration = Duration::from_secs(60);
const STOP_DEADLINE: Duration = Duration::from_secs(30);
/// Where runc puts container cgroups with the cgroupfs manager.
const CGROUP_PARENT: &str = "libpod_parent";
/// A unix socket path longer than this does not fit `sockaddr_un`.
const SOCKET_PATH_MAX: usize = 107;

/// A running podman service. Dropping it removes its containers, stops it and removes its
/// folder.
pub struct Service {
    child: Option<Child>,
    dir: PathBuf,
    socket: PathBuf,
    netns: File,
    cgroups_before: BTreeSet<PathBuf>,
}

impl Service {
    /// Starts the service with its state in a new folder under `root`.
    pub fn start(root: &Path) -> Result<Service> {
        remove_stale(root);
        let dir = fresh_dir(root)?;
        let socket = dir.join("podman.sock");
        if socket.as_os_str().len() > SOCKET_PATH_MAX {
            return Err(fail(format!(
                "podman: the socket path {} is longer than a unix socket allows; use a shorter CARGO_TARGET_DIR",
                socket.display()
            )));
        }
        let (containers_conf, storage_conf) = write_configuration(&dir)?;
        let cgroups_before = cgroup_parents();
        let log = File::create(dir.join("service.log"))?;
        let mut command = Command::new("unshare");
        // unshare forks the service as init of a new PID namespace (with its own /proc), and
        // passes SIGTERM on to it when unshare itself dies.
        command
            .args([
                "--pid",
                "--fork",
                "--kill-child=SIGTERM",
                "--mount-proc",
                "--",
            ])
            .args(["podman", "system", "service", "--time=0"])
            .arg(format!("unix://{}", socket.display()))
            .env("CONTAINERS_CONF", &containers_conf)
            .env("CONTAINERS_STORAGE_CONF", &storage_conf)
            .env("TMPDIR", dir.join("tmp"))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        // SAFETY: `enter_sandbox` makes system calls only, on static strings.
        unsafe { command.pre_exec(enter_sandbox) };
        let child = command
            .spawn()
            .context(|| "starting unshare (util-linux) for podman".into())?;
        // spawn returns once the child has exec'd, after `enter_sandbox`.
        let netns = File::open(format!("/proc/{}/ns/net", child.id()))?;
        let mut service = Service {
            child: Some(child),
            dir,
            socket,
            netns,
            cgroups_before,
        };
        service.wait_ready()?;
        Ok(service)
    }

    /// The Docker API socket.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// The service's network namespace (for `setns`).
    pub fn netns(&self) -> &File {
        &self.netns
    }

    /// What the service has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("service.log")).unwrap_or_default()
    }

    fn wait_ready(&mut self) -> Result<()> {
        let deadline = Instant::now() + READY_DEADLINE;
        loop {
            if ping(&self.socket) {
                return Ok(());
            }
            let child = self.child.as_mut().ok_or_else(|| fail("no service"))?;
            if let Some(status) = child.try_wait()? {
                return Err(fail(format!(
                    "podman system service exited ({status}): {}",
                    last_line(&self.log())
                )));
            }
            if Instant::now() > deadline {
                return Err(fail(format!(
                    "podman system service did not answer on {} within {READY_DEADLINE:?}: {}",
                    self.socket.display(),
                    last_line(&self.log())
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        // Containers a failed test left: removed properly, so runc removes their cgroups.
        let _ = Command::new("podman")
            .args(["--remote", "--url"])
            .arg(format!("unix://{}", self.socket.display()))
            .args(["rm", "--all", "--force"])
            .output();
        let service = first_child(child.id());
        match service {
            Some(pid) => signal(pid, Signal::TERM),
            None => {
                let _ = child.kill();
            }
        }
        let deadline = Instant::now() + STOP_DEADLINE;
        while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        if matches!(child.try_wait(), Ok(None)) {
            if let Some(pid) = service {
                // Init of the PID namespace, which takes the rest with it.
                signal(pid, Signal::KILL);
            }
            let _ = child.kill();
        }
        let _ = child.wait();
        remove_new_cgroups(&self.cgroups_before);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.stop();
    }
}

/// In the forked child, before exec: die with the parent thread; new network and mount
/// namespaces; tmpfs over the folders the engine writes by default; loopback up. Raw system
/// calls only (rustix, on static C strings): nothing allocates between fork and exec.
fn enter_sandbox() -> std::io::Result<()> {
    use rustix::mount::{MountFlags, MountPropagationFlags, mount, mount_change};
    use rustix::process::{Signal, set_parent_process_death_signal};
    use rustix::thread::{UnshareFlags, unshare_unsafe};
    set_parent_process_death_signal(Some(Signal::KILL))?;
    // SAFETY: no FILES flag, so no thread can meet a file descriptor table it does not share
    // (the only unsafety `unshare` has); the forked child has one thread anyway.
    unsafe { unshare_unsafe(UnshareFlags::NEWNET | UnshareFlags::NEWNS) }?;
    mount_change(
        c"/",
        MountPropagationFlags::REC | MountPropagationFlags::PRIVATE,
    )?;
    for (target, mode) in [
        (c"/run", c"mode=755"),
        (c"/var/lib", c"mode=755"),
        (c"/var/tmp", c"mode=1777"),
    ] {
        let flags = MountFlags::NOSUID | MountFlags::NODEV;
        mount(c"sni-guard-engine", target, c"tmpfs", flags, mode)?;
    }
    loopback_up()
}

/// `ip link set lo up` as system calls: rustix has no interface-flags call, so libc's ioctl.
fn loopback_up() -> std::io::Result<()> {
    use rustix::net::{AddressFamily, SocketFlags, SocketType, socket_with};
    use std::os::fd::AsRawFd;
    let socket = socket_with(
        AddressFamily::INET,
        SocketType::DGRAM,
        SocketFlags::CLOEXEC,
        None,
    )?;
    let check = |result: libc::c_int| match result {
        -1 => Err(std::io::Error::last_os_error()),
        _ => Ok(()),
    };
    // SAFETY: an all-zero ifreq is valid (a C struct of integers and arrays).
    let mut request: libc::ifreq = unsafe { std::mem::zeroed() };
    request.ifr_name[0] = b'l' as libc::c_char;
    request.ifr_name[1] = b'o' as libc::c_char;
    // SAFETY: SIOCGIFFLAGS and SIOCSIFFLAGS read and write the ifreq passed, which lives
    // across both calls, on a socket this function owns.
    unsafe {
        check(libc::ioctl(
            socket.as_raw_fd(),
            libc::SIOCGIFFLAGS,
            &mut request,
        ))?;
        request.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
        check(libc::ioctl(
            socket.as_raw_fd(),
            libc::SIOCSIFFLAGS,
            &request,
        ))
    }
}

/// `containers.conf` and `storage.conf` for an engine whose state lives in `dir`.
fn write_configuration(dir: &Path) -> Result<(PathBuf, PathBuf)> {
    let at = |name: &str| -> Result<String> {
        let path = dir.join(name).display().to_string();
        if path.contains(['"', '\\']) || path.chars().any(char::is_control) {
            return Err(fail(format!(
                "podman: {path:?} cannot be written in containers.conf"
            )));
        }
        Ok(path)
    };
    std::fs::create_dir_all(dir.join("tmp"))?;
    let containers = format!(
        r#"# Written by the sni-guard test harness for one test run; see test-harness/src/container/podman.rs.
[containers]
default_ulimits = []

[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
lock_type = "file"
events_logger = "file"
events_logfile_path = "{events}"
tmp_dir = "{tmp}"
static_dir = "{libpod}"
volume_path = "{volumes}"
image_copy_tmp_dir = "{tmp}"

[network]
network_backend = "cni"
network_config_dir = "{networks}"
"#,
        events = at("events.log")?,
        tmp = at("tmp")?,
        libpod = at("storage/libpod")?,
        volumes = at("storage/volumes")?,
        networks = at("networks")?,
    );
    let storage = format!(
        "[storage]\ndriver = \"overlay\"\ngraphroot = \"{}\"\nrunroot = \"{}\"\n",
        at("storage")?,
        at("run")?
    );
    let containers_conf = dir.join("containers.conf");
    let storage_conf = dir.join("storage.conf");
    std::fs::write(&containers_conf, containers)?;
    std::fs::write(&storage_conf, storage)?;
    Ok((containers_conf, storage_conf))
}

/// A new folder `<root>/<pid>-<n>`.
fn fresh_dir(root: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(root).context(|| format!("creating {}", root.display()))?;
    for n in 0.. {
        let dir = root.join(format!("{}-{n}", std::process::id()));
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(fail(format!("creating {}: {e}", dir.display()))),
        }
    }
    unreachable!("an unbounded range")
}

/// Removes the folders of runs whose process is gone (killed before it could clean up), and
/// the cgroups of their containers (the kernel killed the processes, nobody removed those).
fn remove_stale(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.split('-').next().and_then(|p| p.parse::<i32>().ok()) else {
            continue;
        };
        if !alive(pid) {
            let containers = entry.path().join("storage/overlay-containers");
            for container in std::fs::read_dir(containers)
                .into_iter()
                .flatten()
                .flatten()
            {
                let id = container.file_name().to_string_lossy().into_owned();
                if id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
                    for parent in cgroup_parents() {
                        remove_cgroup_tree(&parent.join(format!("libpod-{id}")));
                    }
                }
            }
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

fn first_child(pid: u32) -> Option<i32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn last_line(log: &str) -> &str {
    log.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("no log")
}

/// `/sys/fs/cgroup/<hierarchy>/libpod_parent` folders that exist now.
fn cgroup_parents() -> BTreeSet<PathBuf> {
    let Ok(hierarchies) = std::fs::read_dir("/sys/fs/cgroup") else {
        return BTreeSet::new();
    };
    hierarchies
        .flatten()
        .map(|h| h.path().join(CGROUP_PARENT))
        .filter(|p| p.is_dir())
        .collect()
}

/// Removes the `libpod_parent` cgroups that did not exist before the service started.
fn remove_new_cgroups(before: &BTreeSet<PathBuf>) {
    for parent in cgroup_parents().difference(before) {
        remove_cgroup_tree(parent);
    }
}

/// Removes a cgroup and the groups under it, deepest first; `rmdir` refuses one that still
/// holds a process.
fn remove_cgroup_tree(top: &Path) {
    let mut groups = vec![top.to_path_buf()];
    let mut i = 0;
    while i < groups.len() {
        if let Ok(entries) = std::fs::read_dir(&groups[i]) {
            groups.extend(entries.flatten().map(|e| e.path()).filter(|p| p.is_dir()));
        }
        i += 1;
    }
    for group in groups.iter().rev() {
        let _ = std::fs::remove_dir(group);
    }
}

/// Sends `signal` to `pid`, if it is a pid and still there.
fn signal(pid: i32, signal: Signal) {
    if let Some(pid) = Pid::from_raw(pid) {
        let _ = kill_process(pid, signal);
    }
}

/// Whether a process `pid` exists (signal 0).
fn alive(pid: i32) -> bool {
    Pid::from_raw(pid).is_some_and(|pid| test_kill_process(pid).is_ok())
}
