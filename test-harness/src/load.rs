//! Continuous load: `h2load` runs of one kind of request, back to back on a background thread
//! until stopped (each run opens new connections), every response's status counted.

use crate::client::Protocol;
use crate::error::{fail, Result};
use crate::h2load::{self, Run};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

/// What to send.
#[derive(Debug, Clone)]
pub struct Kind {
    pub port: u16,
    pub sni: Option<String>,
    pub authority: String,
    pub protocol: Protocol,
    /// Requests per h2load run, connections, streams per connection.
    pub requests: u32,
    pub clients: u32,
    pub streams: u32,
}

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
    pub fn start(kind: Kind) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicU32::new(0));
        let (flag, count) = (Arc::clone(&stop), Arc::clone(&done));
        let thread = std::thread::spawn(move || run(&kind, &flag, &count));
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

fn run(kind: &Kind, stop: &AtomicBool, done: &AtomicU32) -> Result<Totals> {
    let mut totals = Totals::default();
    let log = tempfile::NamedTempFile::new()?;
    while !stop.load(Ordering::Relaxed) {
        // h2load appends to its log.
        log.as_file().set_len(0)?;
        let run = Run {
            port: kind.port,
            sni: kind.sni.as_deref(),
            authority: &kind.authority,
            protocol: kind.protocol,
            requests: kind.requests,
            clients: kind.clients,
            streams: kind.streams,
            log: Some(log.path()),
            cpu: None,
        };
        if let Err(e) = run.run() {
            totals.problems.push(e.0);
        }
        totals.runs += 1;
        totals.requests += u64::from(kind.requests);
        for (status, n) in h2load::read_log(log.path())?.statuses {
            *totals.statuses.entry(status).or_insert(0) += n;
        }
        done.fetch_add(1, Ordering::Relaxed);
    }
    Ok(totals)
}
