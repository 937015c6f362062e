//! Load on a gateway: [`h2load`] runs, and here continuous load (`h2load` runs of one kind of
//! request, back to back on a background thread until stopped, each run opening new
//! connections, every response's status counted); the [`soak`]; Envoy's figures from
//! [`procfs`].

pub mod h2load;
pub mod procfs;
pub mod soak;

use crate::error::{Result, fail};
use h2load::Run;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::thread::JoinHandle;

/// What the load got.
#[derive(Debug, Clone, Default)]
pub struct Totals {
    pub runs: u32,
    pub requests: u64,
    /// Responses per status (0: no response, such as a reset stream).
    pub statuses: BTreeMap<u16, u64>,
    /// Runs h2load did not complete, with its output.
    pub problems: Vec<String>,
}

/// A running load. [`Load::stop`] ends it after the current run.
pub struct Load {
    stop: Arc<AtomicBool>,
    done: Arc<AtomicU32>,
    thread: JoinHandle<Result<Totals>>,
}

impl Load {
    /// Repeats `run` (its log: one of the load's own) until stopped.
    pub fn start(run: Run<'static>) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicU32::new(0));
        let (flag, count) = (Arc::clone(&stop), Arc::clone(&done));
        let thread = std::thread::spawn(move || repeat(&run, &flag, &count));
        Load { stop, done, thread }
    }

    /// Runs completed so far.
    pub fn runs_done(&self) -> u32 {
        self.done.load(Ordering::Relaxed)
    }

    /// Stops after the current run; the totals.
    pub fn stop(self) -> Result<Totals> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread
            .join()
            .map_err(|_| fail("the load thread panicked"))?
    }
}

fn repeat(run: &Run<'static>, stop: &AtomicBool, done: &AtomicU32) -> Result<Totals> {
    let mut totals = Totals::default();
    let log = tempfile::NamedTempFile::new()?;
    while !stop.load(Ordering::Relaxed) {
        // h2load appends to its log.
        log.as_file().set_len(0)?;
        let logged = Run {
            log: Some(log.path()),
            ..run.clone()
        };
        if let Err(e) = logged.run() {
            totals.problems.push(e.0);
        }
        totals.runs += 1;
        totals.requests += u64::from(run.requests);
        for (status, n) in h2load::read_log(log.path())?.statuses {
            *totals.statuses.entry(status).or_insert(0) += n;
        }
        done.fetch_add(1, Ordering::Relaxed);
    }
    Ok(totals)
}
