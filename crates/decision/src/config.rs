//! The plugin configuration: the JSON an Istio `WasmPlugin`'s `pluginConfig` becomes.
//!
//! serde reads the shape (`document`); the rules between values (a host belongs to one
//! server, a name to one server) are checked here. Every refusal names the field and the
//! value, so the one log line says what to fix.

use crate::document::{Document, Host, List, Object, Server};
pub use crate::mode::Mode;
use crate::table::{Matcher, ServerId};
use crate::text::{Ascii, quoted};
use std::fmt;

/// The Gateway servers on one port: which server each name selects.
#[derive(Debug, Default)]
pub struct Servers {
    names: Vec<String>,
    matcher: Matcher,
}

impl Servers {
    /// The server a normalised name selects, if any.
    pub fn select(&self, name: &[u8]) -> Option<ServerId> {
        self.matcher.select(name)
    }

    /// A server's name: as configured, or `servers[i]` for a server without one.
    pub fn name(&self, id: ServerId) -> &str {
        usize::try_from(id)
            .ok()
            .and_then(|i| self.names.get(i))
            .map_or("?", String::as_str)
    }

    /// How many servers the table holds.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether the table holds no server.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// A validated configuration.
#[derive(Debug)]
pub struct Config {
    pub mode: Mode,
    /// `None`: no table; SNI and authority must name the same host.
    pub servers: Option<Servers>,
    /// Authorities that are never refused.
    pub exempt: Option<Matcher>,
    /// `false`: HTTP/1.x requests are not checked.
    pub check_http1: bool,
}

/// A refused configuration: the field, and what is wrong with its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub field: String,
    pub problem: String,
}

impl ConfigError {
    /// A refusal of `field`, both parts made one line of printable ASCII: they show keys
    /// and values as written.
    pub fn new(field: &str, problem: &str) -> ConfigError {
        ConfigError {
            field: Ascii(field).to_string(),
            problem: Ascii(problem).to_string(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.problem)
    }
}

impl std::error::Error for ConfigError {}

impl Default for Config {
    /// Strict, no servers table, no exemptions, HTTP/1.x checked.
    fn default() -> Config {
        Config {
            mode: Mode::Strict,
            servers: None,
            exempt: None,
            check_http1: true,
        }
    }
}

fn refuse(field: impl AsRef<str>, problem: impl AsRef<str>) -> ConfigError {
    ConfigError::new(field.as_ref(), problem.as_ref())
}

/// Segments of a path a refusal shows (`servers[1].hosts[0]` has four; a value of the wrong
/// kind nested deeper is cut).
const MAX_PATH: usize = 6;

/// serde's refusal: the path to the value (`servers[1].hosts[0]`) and what is wrong with it.
fn refusal(e: serde_path_to_error::Error<serde_json::Error>) -> ConfigError {
    use serde_path_to_error::Segment;
    let mut field = String::new();
    for (depth, segment) in e.path().iter().enumerate() {
        if depth == MAX_PATH {
            field.push_str("...");
            break;
        }
        match segment {
            Segment::Seq { index } => field.push_str(&format!("[{index}]")),
            Segment::Map { key } if field.is_empty() => field.push_str(key),
            Segment::Map { key } => field.push_str(&format!(".{key}")),
            // Inside a key that was never read whole: the object holding it is the field.
            Segment::Enum { .. } | Segment::Unknown => break,
        }
    }
    if field.is_empty() {
        field.push_str("configuration");
    }
    let e = e.into_inner();
    match e.classify() {
        serde_json::error::Category::Data => refuse(field, e.to_string()),
        _ => refuse(field, format!("not valid JSON: {e}")),
    }
}

impl Config {
    /// Parses the plugin configuration. Empty (or blank) means the defaults.
    pub fn parse(bytes: &[u8]) -> Result<Config, ConfigError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Config::default());
        }
        let text = std::str::from_utf8(bytes).map_err(|e| {
            let at = e.valid_up_to();
            refuse("configuration", format!("not valid UTF-8 at byte {at}"))
        })?;
        let mut reader = serde_json::Deserializer::from_str(text);
        let Object(document) = serde_path_to_error::deserialize::<_, Object<Document>>(&mut reader)
            .map_err(refusal)?;
        reader
            .end()
            .map_err(|e| refuse("configuration", format!("not valid JSON: {e}")))?;
        Config::from_document(document)
    }

    fn from_document(document: Document) -> Result<Config, ConfigError> {
        let mut config = Config {
            mode: document.mode,
            ..Config::default()
        };
        if let Some(List(servers)) = document.servers {
            config.servers = Some(Servers::from_list(servers)?);
        }
        if let Some(List(hosts)) = document.exempt_hosts {
            config.exempt = Some(exempt(&hosts));
        }
        if let Some(flag) = document.check_http1 {
            config.check_http1 = flag.0;
        }
        Ok(config)
    }
}

impl Servers {
    fn from_list(list: Vec<Object<Server>>) -> Result<Servers, ConfigError> {
        let mut servers = Servers::default();
        for (i, Object(server)) in list.into_iter().enumerate() {
            let field = format!("servers[{i}]");
            let name = match server.name {
                Some(name) => {
                    if servers.names.contains(&name.0) {
                        let why = format!("{} names two servers", quoted(&name.0));
                        return Err(refuse(format!("{field}.name"), why));
                    }
                    name.0
                }
                None if servers.names.contains(&field) => {
                    let why = format!(
                        "has no name, and {}, the name it is logged by, is another server's",
                        quoted(&field)
                    );
                    return Err(refuse(&field, why));
                }
                None => field.clone(),
            };
            let id = ServerId::try_from(i).map_err(|_| refuse(&field, "too many servers"))?;
            let List(hosts) = server.hosts;
            if hosts.is_empty() {
                return Err(refuse(format!("{field}.hosts"), "must not be empty"));
            }
            for (j, host) in hosts.iter().enumerate() {
                servers.insert(host, id).map_err(|held| {
                    let why = format!(
                        "{} is already a host of server {}; a host belongs to one server",
                        quoted(&host.text),
                        quoted(servers.name(held))
                    );
                    refuse(format!("{field}.hosts[{j}]"), why)
                })?;
            }
            servers.names.push(name);
        }
        Ok(servers)
    }

    /// Adds a host of server `id`; a pattern repeated within one server is harmless. On a
    /// clash, the server that holds the pattern already.
    fn insert(&mut self, host: &Host, id: ServerId) -> Result<(), ServerId> {
        match self.matcher.insert(&host.pattern, id) {
            Err(held) if held != id => Err(held),
            _ => Ok(()),
        }
    }
}

fn exempt(hosts: &[Host]) -> Matcher {
    let mut exempt = Matcher::default();
    for host in hosts {
        // A repeated exemption is harmless: it exempts the same names.
        let _ = exempt.insert(&host.pattern, 0);
    }
    exempt
}

impl Config {
    /// One line for the log: `strict, 2 servers, 1 exempt pattern`.
    pub fn summary(&self) -> String {
        let mode = self.mode;
        let table = match &self.servers {
            Some(servers) => format!("{} servers", servers.len()),
            None => "no servers table (SNI must equal authority)".to_owned(),
        };
        let http1 = if self.check_http1 {
            ""
        } else {
            ", HTTP/1.x not checked"
        };
        let exempt = if self.exempt.is_some() {
            ", exempt hosts set"
        } else {
            ""
        };
        format!("{mode}, {table}{exempt}{http1}")
    }
}
