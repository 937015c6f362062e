//! A recording proxy-wasm host for the adapter's tests: it answers as set, and keeps a journal
//! of every host call in order, log lines included (a `log` logger writes them there).

use crate::proxy::{Host, Status};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, Once};

/// One host call, as the journal keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    Configuration,
    /// A property by its path, segments joined with dots.
    Property(String),
    Header(String),
    /// A local reply with its status, details, headers and body.
    LocalResponse(u32, String, Vec<u8>, Vec<u8>),
    DefineCounter(String),
    /// An increment, by the counter's name.
    Increment(String),
    Log(log::Level, String),
}

/// A value the host returns: found, not found, or a failed call.
pub type Reply = Result<Option<&'static str>, Status>;

thread_local! {
    static JOURNAL: RefCell<Vec<Call>> = const { RefCell::new(Vec::new()) };
    static COUNTERS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

fn record(call: Call) {
    JOURNAL.with(|journal| journal.borrow_mut().push(call));
}

/// The calls made since the last look.
pub fn calls() -> Vec<Call> {
    JOURNAL.with(|journal| journal.take())
}

struct JournalLog;

impl log::Log for JournalLog {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            self::record(Call::Log(record.level(), record.args().to_string()));
        }
    }

    fn flush(&self) {}
}

static LOGGER: JournalLog = JournalLog;
/// The log level is global: tests that log take turns.
static TURN: Mutex<()> = Mutex::new(());

/// Starts a test: its turn at the log, every level logged, an empty journal.
pub fn begin() -> MutexGuard<'static, ()> {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| log::set_logger(&LOGGER).unwrap());
    let turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    log::set_max_level(log::LevelFilter::Trace);
    calls();
    COUNTERS.with(|counters| counters.borrow_mut().clear());
    turn
}

/// The host's answers.
pub struct MockHost {
    pub configuration: Result<&'static str, Status>,
    /// Properties by dotted path; one not listed is not found.
    pub properties: HashMap<&'static str, Reply>,
    pub authority: Reply,
    pub local_response: Result<(), Status>,
}

impl Default for MockHost {
    fn default() -> MockHost {
        MockHost {
            configuration: Ok(""),
            properties: HashMap::new(),
            authority: Ok(None),
            local_response: Ok(()),
        }
    }
}

impl MockHost {
    /// A request on a connection with this SNI, with this `:authority`.
    pub fn request(sni: Option<&'static str>, authority: Option<&'static str>) -> MockHost {
        MockHost::default()
            .with("connection.requested_server_name", Ok(sni))
            .with_authority(Ok(authority))
    }

    pub fn with(mut self, path: &'static str, reply: Reply) -> MockHost {
        self.properties.insert(path, reply);
        self
    }

    pub fn with_configuration(mut self, reply: Result<&'static str, Status>) -> MockHost {
        self.configuration = reply;
        self
    }

    pub fn with_authority(mut self, reply: Reply) -> MockHost {
        self.authority = reply;
        self
    }
}

fn bytes(reply: Reply) -> Result<Option<&'static [u8]>, Status> {
    reply.map(|value| value.map(str::as_bytes))
}

impl Host for MockHost {
    fn plugin_configuration(&self) -> Result<&[u8], Status> {
        record(Call::Configuration);
        self.configuration.map(str::as_bytes)
    }

    fn property(&self, path: &[u8]) -> Result<Option<&[u8]>, Status> {
        let path = String::from_utf8_lossy(path).replace('\0', ".");
        let reply = self
            .properties
            .get(path.as_str())
            .copied()
            .unwrap_or(Ok(None));
        record(Call::Property(path));
        bytes(reply)
    }

    fn request_header(&self, name: &[u8]) -> Result<Option<&[u8]>, Status> {
        record(Call::Header(String::from_utf8_lossy(name).into_owned()));
        match name {
            b":authority" => bytes(self.authority),
            _ => Ok(None),
        }
    }

    fn send_local_response(
        &self,
        status: u32,
        details: &str,
        headers: &[u8],
        body: &[u8],
    ) -> Result<(), Status> {
        let (headers, body) = (headers.to_vec(), body.to_vec());
        record(Call::LocalResponse(status, details.into(), headers, body));
        self.local_response
    }

    fn define_counter(&self, name: &str) -> Result<u32, Status> {
        record(Call::DefineCounter(name.into()));
        COUNTERS.with(|counters| {
            let mut counters = counters.borrow_mut();
            counters.push(name.into());
            Ok(u32::try_from(counters.len()).unwrap())
        })
    }

    fn increment(&self, counter: u32) {
        let name = COUNTERS.with(|counters| {
            let index = usize::try_from(counter).unwrap() - 1;
            counters.borrow()[index].clone()
        });
        record(Call::Increment(name));
    }
}
