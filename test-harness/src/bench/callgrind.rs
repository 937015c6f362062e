//! Instructions per request, counted by callgrind: Envoy runs under valgrind
//! (`test-harness/callgrind.sh` makes `ENVOY_BIN` a wrapper), is warmed up, its counters are
//! zeroed, the requests are sent, and the counters are dumped. Where timing on a shared
//! machine is noisy, the count for the same Envoy, topology and requests is not.

use crate::bench::{self, Load, Variant, Workload};
use crate::error::{Result, fail};
use crate::process::checked;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where the wrapper has valgrind write its dumps (`callgrind.out.<pid>.<n>`).
pub const DIR_VAR: &str = "SNI_GUARD_CALLGRIND_DIR";

/// One counted run.
#[derive(Debug, Clone)]
pub struct Count {
    pub variant: &'static str,
    pub workload: &'static str,
    /// Instructions of all Envoy's threads per request.
    pub per_request: f64,
}

/// Counts `variant` under `workload` (`backend`: the proxied workload's backend port).
pub fn count(
    variant: &Variant,
    workload: Workload,
    load: Load,
    backend: Option<u16>,
) -> Result<Count> {
    let dir = PathBuf::from(std::env::var_os(DIR_VAR).ok_or_else(|| {
        fail(format!(
            "{DIR_VAR} is not set: run test-harness/callgrind.sh"
        ))
    })?);
    let gateway = bench::start(variant, workload, backend)?;
    let pid = gateway
        .envoy
        .pid()
        .ok_or_else(|| fail("Envoy has no pid"))?;
    let pinned = bench::pin(pid, 0)?;
    bench::h2load(gateway.port, workload.authority, load.warmup, None, pinned)?;
    control(pid, "-z")?;
    bench::h2load(
        gateway.port,
        workload.authority,
        load.requests,
        None,
        pinned,
    )?;
    control(pid, "-d")?;
    let instructions = last_dump(&dir, pid)?;
    gateway.envoy.stop()?;
    Ok(Count {
        variant: variant.name,
        workload: workload.name,
        per_request: instructions as f64 / f64::from(load.requests),
    })
}

fn control(pid: u32, what: &str) -> Result<()> {
    checked(
        Command::new("callgrind_control").args([what, &pid.to_string()]),
        &format!("callgrind_control {what} {pid} (apt-get install valgrind)"),
    )
    .map(drop)
}

/// The instruction total of the newest dump of `pid`.
fn last_dump(dir: &Path, pid: u32) -> Result<u64> {
    let prefix = format!("callgrind.out.{pid}.");
    let newest = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let n: u32 = name.strip_prefix(&prefix)?.parse().ok()?;
            Some((n, e.path()))
        })
        .max()
        .ok_or_else(|| fail(format!("no callgrind dump of {pid} in {}", dir.display())))?;
    let text = std::fs::read_to_string(&newest.1)?;
    text.lines()
        .find_map(|l| {
            l.strip_prefix("summary:")
                .or_else(|| l.strip_prefix("totals:"))
        })
        .and_then(|n| n.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| fail(format!("no instruction total in {}", newest.1.display())))
}
