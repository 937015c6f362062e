//! sni-guard's configuration, generated from the filter chains of one listener: one filter
//! server per chain (HTTPS, TLS, passthrough alike: a request for a passthrough host that
//! arrives on an HTTPS connection must get 421 too), with the same hosts, so that the filter
//! picks servers exactly as Envoy picks filter chains.

pub mod drift;
pub mod envoy_gateway;
pub mod select;
pub mod wasmplugin;

use crate::error::{ConfigurationError, ServerProblem};
use crate::model::gateway::sni_host;
use crate::model::groups::duplicate_hosts;
use crate::model::layout::{ChainRef, Listener};
use serde::{Serialize, Serializer};
pub use sni_guard_decision::Mode;
use sni_guard_decision::pattern::Pattern;

/// The plugin configuration JSON (what a WasmPlugin's `pluginConfig` becomes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PluginConfig {
    #[serde(serialize_with = "mode_name")]
    pub mode: Mode,
    pub servers: Vec<FilterServer>,
}

/// The mode under the name the filter reads.
fn mode_name<S: Serializer>(mode: &Mode, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(mode.name())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FilterServer {
    pub name: String,
    pub hosts: Vec<String>,
}

/// The filter server name for each chain: `<namespace>/<gateway>/<port or listener name>`,
/// or the server's index when it has no name or the name is taken.
fn server_names(chains: &[ChainRef<'_>]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut taken = std::collections::HashSet::new();
    for c in chains {
        let base = format!("{}/{}", c.gateway.namespace, c.gateway.name);
        let by_name = (!c.server.name.is_empty())
            .then(|| format!("{base}/{}", c.server.name))
            .filter(|n| !taken.contains(n));
        let mut name = by_name.unwrap_or_else(|| format!("{base}/{}", c.server.index));
        while taken.contains(&name) {
            name.push('\'');
        }
        taken.insert(name.clone());
        names.push(name);
    }
    names
}

/// Builds the configuration for one listener's chains. Refuses (naming the servers) when
/// Istio itself would not serve them all: a host listed twice, a host that is not a host.
/// The result is checked with the filter's own parser before it is returned.
pub fn plugin_config(
    listener: &Listener<'_>,
    mode: Mode,
) -> Result<PluginConfig, ConfigurationError> {
    let mut problems = Vec::new();
    for (hosts, group) in duplicate_hosts(listener) {
        problems.push(ServerProblem::DuplicateHost {
            hosts,
            servers: group.iter().map(ChainRef::label).collect(),
        });
    }
    let names = server_names(&listener.chains);
    let mut servers = Vec::new();
    for (c, name) in listener.chains.iter().zip(names) {
        let mut hosts: Vec<String> = Vec::new();
        for host in &c.server.hosts {
            let host = match Pattern::parse(sni_host(host)) {
                Ok(pattern) => pattern.to_string(),
                Err(why) => {
                    problems.push(ServerProblem::InvalidHost {
                        server: c.label(),
                        host: host.clone(),
                        why,
                    });
                    continue;
                }
            };
            if !hosts.contains(&host) {
                hosts.push(host);
            }
        }
        if c.server.hosts.is_empty() {
            problems.push(ServerProblem::NoHosts { server: c.label() });
        }
        servers.push(FilterServer { name, hosts });
    }
    if !problems.is_empty() {
        return Err(ConfigurationError::Unserved { problems });
    }
    let config = PluginConfig { mode, servers };
    let json = serde_json::to_vec(&config)?;
    sni_guard_decision::Config::parse(&json)?;
    Ok(config)
}

#[cfg(test)]
mod tests;
