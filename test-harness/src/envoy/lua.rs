//! The community Lua workaround, as an HTTP filter (what its EnvoyFilter inserts before the
//! router). The source is `test-harness/envoy/misdirected-request.lua`.

use crate::error::{Context, Result};
use crate::paths;
use yaml_serde::{Mapping, Value};

/// The Lua source, read from the repository.
pub fn source() -> Result<String> {
    let path = paths::lua_workaround();
    std::fs::read_to_string(&path).context(|| format!("reading {}", path.display()))
}

/// The `envoy.filters.http.lua` entry of an `http_filters` list running [`source`].
pub fn filter() -> Result<Value> {
    let mut code = Mapping::new();
    code.insert("inline_string".into(), source()?.into());
    let mut typed = Mapping::new();
    typed.insert(
        "@type".into(),
        "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua".into(),
    );
    typed.insert("default_source_code".into(), Value::Mapping(code));
    let mut filter = Mapping::new();
    filter.insert("name".into(), "envoy.filters.http.lua".into());
    filter.insert("typed_config".into(), Value::Mapping(typed));
    Ok(Value::Mapping(filter))
}
