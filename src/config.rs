//! The plugin configuration: the JSON an Istio `WasmPlugin`'s `pluginConfig` becomes.
//!
//! Every refusal names the field and the value, so the one log line says what to fix.

use crate::json::{self, quoted, Json};
use crate::pattern::Pattern;
use crate::table::{Matcher, ServerId};
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

/// A JSON value as it appears in an error: short, plain ASCII, with its type visible.
fn shown(value: &Json) -> String {
    let text = value.to_string();
    match text.get(..80) {
        Some(cut) if text.len() > 80 => format!("{cut}..."),
        _ => text,
    }
}

/// A member of a JSON object.
fn member<'j>(fields: &'j [(String, Json)], key: &str) -> Option<&'j Json> {
    fields.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

const FIELDS: &str = "mode, servers, exempt_hosts, check_http1";

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
        let value = json::parse(text)
            .map_err(|e| refuse("configuration", format!("not valid JSON: {e}")))?;
        let Json::Object(fields) = value else {
            return Err(refuse(
                "configuration",
                format!("must be a JSON object, got {}", shown(&value)),
            ));
        };
        Config::from_fields(&fields)
    }

    fn from_fields(fields: &[(String, Json)]) -> Result<Config, ConfigError> {
        let mut config = Config::default();
        for (key, value) in fields {
            match key.as_str() {
                "mode" => config.mode = parse_mode(value)?,
                "servers" => config.servers = Some(parse_servers(value)?),
                "exempt_hosts" => config.exempt = Some(parse_exempt(value)?),
                "check_http1" => {
                    let Json::Bool(check) = value else {
                        let why = format!("must be true or false, got {}", shown(value));
                        return Err(refuse(key.as_str(), why));
                    };
                    config.check_http1 = *check;
                }
                _ => {
                    return Err(refuse(
                        "configuration",
                        format!("unknown field {} (known: {FIELDS})", quoted(key)),
                    ))
                }
            }
        }
        Ok(config)
    }
}

fn parse_mode(value: &Json) -> Result<Mode, ConfigError> {
    match value {
        Json::String(mode) if mode == "strict" => Ok(Mode::Strict),
        Json::String(mode) if mode == "log_only" => Ok(Mode::LogOnly),
        _ => Err(refuse(
            "mode",
            format!("must be \"strict\" or \"log_only\", got {}", shown(value)),
        )),
    }
}

fn array<'v>(field: &str, value: &'v Json, what: &str) -> Result<&'v [Json], ConfigError> {
    match value {
        Json::Array(items) => Ok(items),
        _ => Err(refuse(
            field,
            format!("must be a list of {what}, got {}", shown(value)),
        )),
    }
}

fn pattern(field: &str, value: &Json) -> Result<Pattern, ConfigError> {
    let Json::String(text) = value else {
        return Err(refuse(
            field,
            format!("must be a string, got {}", shown(value)),
        ));
    };
    Pattern::parse(text).map_err(|why| {
        refuse(
            field,
            format!("{} is not a valid host pattern: {why}", shown(value)),
        )
    })
}

fn parse_servers(value: &Json) -> Result<Servers, ConfigError> {
    let mut servers = Servers::default();
    for (i, server) in array("servers", value, "servers")?.iter().enumerate() {
        let field = format!("servers[{i}]");
        let Json::Object(server) = server else {
            return Err(refuse(
                field,
                format!(
                    "must be an object with \"name\" and \"hosts\", got {}",
                    shown(server)
                ),
            ));
        };
        let server = server.as_slice();
        if let Some((key, _)) = server.iter().find(|(k, _)| k != "name" && k != "hosts") {
            return Err(refuse(
                field,
                format!("unknown field {} (known: name, hosts)", quoted(key)),
            ));
        }
        let name = match member(server, "name") {
            Some(Json::String(name)) if printable(name) => name,
            Some(other) => {
                return Err(refuse(
                    format!("{field}.name"),
                    format!(
                        "must be a non-empty string of printable ASCII without spaces, got {}",
                        shown(other)
                    ),
                ))
            }
            None => return Err(refuse(format!("{field}.name"), "missing")),
        };
        if servers.names.contains(name) {
            return Err(refuse(
                format!("{field}.name"),
                format!("{} names two servers", quoted(name)),
            ));
        }
        let id = ServerId::try_from(i).map_err(|_| refuse(&field, "too many servers"))?;
        let hosts =
            member(server, "hosts").ok_or_else(|| refuse(format!("{field}.hosts"), "missing"))?;
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
                            "{} is already a host of server {}; a host belongs to one server",
                            shown(host),
                            quoted(other)
                        ),
                    ));
                }
            }
        }
        servers.names.push(name.clone());
    }
    Ok(servers)
}

/// A server name fit for a one-line log: non-empty printable ASCII without spaces.
fn printable(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic())
}

fn parse_exempt(value: &Json) -> Result<Matcher, ConfigError> {
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
