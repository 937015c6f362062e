//! Figures about a running process (Envoy) from `/proc`.

use crate::error::{Result, fail};

/// Resident memory (`VmRSS`), KiB.
pub fn rss_kib(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| fail(format!("no VmRSS in /proc/{pid}/status")))
}

/// CPU time of every thread, nanoseconds (`/proc/<pid>/task/*/schedstat`).
pub fn cpu_ns(pid: u32) -> Result<u64> {
    let mut total = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        let stat = std::fs::read_to_string(task?.path().join("schedstat"))?;
        total += stat
            .split_whitespace()
            .next()
            .and_then(|ns| ns.parse::<u64>().ok())
            .unwrap_or(0);
    }
    Ok(total)
}

/// When `pid` started (clock ticks since boot, `/proc/<pid>/stat`) while it runs; `None` once
/// it has exited, even before it is collected (a zombie keeps its start time).
pub fn start_ticks(pid: u32) -> Result<Option<u64>> {
    let stat = match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    // After "pid (comm)": the state is field 3, the start time field 22.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    match (fields.first(), fields.get(19).and_then(|t| t.parse().ok())) {
        (Some(&("Z" | "X")), _) => Ok(None),
        (Some(_), Some(ticks)) => Ok(Some(ticks)),
        _ => Err(fail(format!(
            "/proc/{pid}/stat: no state or start time in {stat:?}"
        ))),
    }
}
