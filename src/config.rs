//! The plugin configuration: the JSON an Istio `WasmPlugin`'s `pluginConfig` becomes.
//!
//! Every refusal names the field and the value, so the one log line says what to fix.

use crate::pattern::Pattern;
use crate::table::{Matcher, ServerId};
use serde_json::{Map, Value};
use std::fmt;

/// What happens to a misdirected request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Answer 421 Misdirected Request.
    #[default]
    Strict,
    /// Let it through; log a warning and count it.
    LogOnly,
}

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

    /// A server's configured name.
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

fn refuse(field: impl Into<String>, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        field: field.into(),
        problem: problem.into(),
    }
}

/// A JSON value as it appears in an error: short, and with its type visible.
fn shown(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(80) {
        Some((cut, _)) => format!("{}…", text.get(..cut).unwrap_or_default()),
        None => text,
    }
}

const FIELDS: &str = "mode, servers, exempt_hosts, check_http1";

impl Config {
    /// Parses the plugin configuration. Empty (or blank) means the defaults.
    pub fn parse(bytes: &[u8]) -> Result<Config, ConfigError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Config::default());
        }
        let value: Value = serde_json::from_slice(bytes)
            .map_err(|e| refuse("configuration", format!("not valid JSON: {e}")))?;
        let Value::Object(fields) = value else {
            return Err(refuse(
                "configuration",
                format!("must be a JSON object, got {}", shown(&value)),
            ));
        };
        Config::from_fields(&fields)
    }

    fn from_fields(fields: &Map<String, Value>) -> Result<Config, ConfigError> {
        let mut config = Config::default();
        for (key, value) in fields {
            match key.as_str() {
                "mode" => config.mode = parse_mode(value)?,
                "servers" => config.servers = Some(parse_servers(value)?),
                "exempt_hosts" => config.exempt = Some(parse_exempt(value)?),
                "check_http1" => {
                    config.check_http1 = value.as_bool().ok_or_else(|| {
                        refuse(key, format!("must be true or false, got {}", shown(value)))
                    })?;
                }
                _ => {
                    return Err(refuse(
                        "configuration",
                        format!("unknown field {key:?} (known: {FIELDS})"),
                    ))
                }
            }
        }
        Ok(config)
    }
}

fn parse_mode(value: &Value) -> Result<Mode, ConfigError> {
    match value.as_str() {
        Some("strict") => Ok(Mode::Strict),
        Some("log_only") => Ok(Mode::LogOnly),
        _ => Err(refuse(
            "mode",
            format!("must be \"strict\" or \"log_only\", got {}", shown(value)),
        )),
    }
}

fn array<'v>(field: &str, value: &'v Value, what: &str) -> Result<&'v Vec<Value>, ConfigError> {
    value.as_array().ok_or_else(|| {
        refuse(
            field,
            format!("must be a list of {what}, got {}", shown(value)),
        )
    })
}

fn pattern(field: &str, value: &Value) -> Result<Pattern, ConfigError> {
    let text = value
        .as_str()
        .ok_or_else(|| refuse(field, format!("must be a string, got {}", shown(value))))?;
    Pattern::parse(text).map_err(|why| {
        refuse(
            field,
            format!("{} is not a valid host pattern: {why}", shown(value)),
        )
    })
}

fn parse_servers(value: &Value) -> Result<Servers, ConfigError> {
    let mut servers = Servers::default();
    for (i, server) in array("servers", value, "servers")?.iter().enumerate() {
        let field = format!("servers[{i}]");
        let Value::Object(server) = server else {
            return Err(refuse(
                field,
                format!(
                    "must be an object with \"name\" and \"hosts\", got {}",
                    shown(server)
                ),
            ));
        };
        if let Some(key) = server.keys().find(|k| *k != "name" && *k != "hosts") {
            return Err(refuse(
                field,
                format!("unknown field {key:?} (known: name, hosts)"),
            ));
        }
        let name = match server.get("name") {
            Some(Value::String(name)) if printable(name) => name,
            Some(other) => {
                return Err(refuse(
                    format!("{field}.name"),
                    format!(
                        "must be a non-empty string without spaces or control characters, got {}",
                        shown(other)
                    ),
                ))
            }
            None => return Err(refuse(format!("{field}.name"), "missing")),
        };
        if servers.names.contains(name) {
            return Err(refuse(
                format!("{field}.name"),
                format!("{name:?} names two servers"),
            ));
        }
        let id = ServerId::try_from(i).map_err(|_| refuse(&field, "too many servers"))?;
        let hosts = server
            .get("hosts")
            .ok_or_else(|| refuse(format!("{field}.hosts"), "missing"))?;
        let hosts = array(&format!("{field}.hosts"), hosts, "host patterns")?;
        if hosts.is_empty() {
            return Err(refuse(format!("{field}.hosts"), "must not be empty"));
        }
        for (j, host) in hosts.iter().enumerate() {
            let host_field = format!("{field}.hosts[{j}]");
            let parsed = pattern(&host_field, host)?;
            match servers.matcher.insert(&parsed, id) {
                Ok(()) => {}
                Err(held) if held == id => {}
                Err(held) => {
                    let other = usize::try_from(held)
                        .ok()
                        .and_then(|k| servers.names.get(k))
                        .map_or("?", String::as_str);
                    return Err(refuse(
                        host_field,
                        format!(
                            "{} is already a host of server {other:?}; a host belongs to one server",
                            shown(host)
                        ),
                    ));
                }
            }
        }
        servers.names.push(name.clone());
    }
    Ok(servers)
}

/// A server name fit for a one-line log: non-empty, no whitespace or control characters.
fn printable(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn parse_exempt(value: &Value) -> Result<Matcher, ConfigError> {
    let mut exempt = Matcher::default();
    for (i, host) in array("exempt_hosts", value, "host patterns")?
        .iter()
        .enumerate()
    {
        // A repeated exemption is harmless: it exempts the same names.
        let _ = exempt.insert(&pattern(&format!("exempt_hosts[{i}]"), host)?, 0);
    }
    Ok(exempt)
}

impl Config {
    /// One line for the log: `strict, 2 servers, 1 exempt pattern`.
    pub fn summary(&self) -> String {
        let mode = match self.mode {
            Mode::Strict => "strict",
            Mode::LogOnly => "log_only",
        };
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
