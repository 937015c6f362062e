//! The CEL rules (`x-kubernetes-validations`) of the CRDs, evaluated in Rust.
//!
//! The rules of Istio's WasmPlugin, Gateway and EnvoyFilter schemas are evaluated by hand,
//! as the Kubernetes functions they use (`isURL`, `url`) are not in the `cel` crate; every
//! other rule (the Gateway API's) by the `cel` crate with the strings extension, which
//! Kubernetes also enables. A rule neither can evaluate is an error, so a new rule in a CRD
//! cannot pass unchecked.

use serde_json::Value;
use std::sync::{Arc, OnceLock};

/// Evaluates `rule` with `self` bound to `value`: `Ok(true)` when the rule holds.
pub fn eval(rule: &str, value: &Value) -> Result<bool, String> {
    let rule = rule.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some(fields) = at_most_one_of(&rule) {
        let set = fields.iter().filter(|f| has(value, f)).count();
        return Ok(set <= 1);
    }
    if let Some(needle) = rule
        .strip_prefix("!self.contains(\"")
        .and_then(|r| r.strip_suffix("\")"))
    {
        return Ok(!string(value)?.contains(needle));
    }
    match rule.as_str() {
        "self.size() == 0" => Ok(string(value)?.is_empty()),
        "self.all(key, !key.contains(\"*\"))" => Ok(keys(value)?.all(|k| !k.contains('*'))),
        "self.all(key, key.size() != 0)" => Ok(keys(value)?.all(|k| !k.is_empty())),
        // Kubernetes' IP library (`isIP`) is not in the `cel` crate.
        "self.all(h, !isIP(h))" => {
            Ok(value
                .as_array()
                .ok_or("self is not a list")?
                .iter()
                .all(|h| {
                    h.as_str()
                        .is_none_or(|h| h.parse::<std::net::IpAddr>().is_err())
                }))
        }
        "0 < self && self <= 65535" => {
            let n = value.as_i64().ok_or("self is not an integer")?;
            Ok(0 < n && n <= 65535)
        }
        r#"(has(self.valueFrom) ? self.valueFrom : "") != "HOST" || !has(self.value)"# => {
            let from = value.get("valueFrom").and_then(Value::as_str).unwrap_or("");
            Ok(from != "HOST" || !has(value, "value"))
        }
        r#"has(self.context) ? ((self.context == "WAYPOINT") ? has(self.waypoint) : !has(self.waypoint)) : !has(self.waypoint)"# =>
        {
            let waypoint = has(value, "waypoint");
            Ok(match value.get("context").filter(|c| !c.is_null()) {
                Some(context) if context == "WAYPOINT" => waypoint,
                _ => !waypoint,
            })
        }
        r#"isURL(self) ? (url(self).getScheme() in ["", "http", "https", "oci", "file"]) : (isURL("http://" + self) && url("http://" + self).getScheme() in ["", "http", "https", "oci", "file"])"# =>
        {
            let url = string(value)?;
            let allowed = |scheme: &str| ["", "http", "https", "oci", "file"].contains(&scheme);
            Ok(match request_uri_scheme(url) {
                Some(scheme) => allowed(&scheme),
                None => request_uri_scheme(&format!("http://{url}")).is_some_and(|s| allowed(&s)),
            })
        }
        _ => general(&rule, value),
    }
}

/// `rule` evaluated by the `cel` crate, `self` bound to `value`.
fn general(rule: &str, value: &Value) -> Result<bool, String> {
    static ENV: OnceLock<Arc<cel::Env>> = OnceLock::new();
    let env = ENV.get_or_init(|| {
        let mut env = cel::Env::stdlib();
        // Kubernetes' CEL has the strings library (`split`, `lowerAscii`, ...).
        let _ = env.add_extension(cel::extensions::strings);
        Arc::new(env)
    });
    let unknown = |why: String| format!("CEL rule not known to this validator ({why}): {rule}");
    let program = env.compile(rule).map_err(|e| unknown(e.to_string()))?;
    let mut context = cel::Context::with_env(env.clone());
    let bound = cel::to_value(value).map_err(|e| unknown(e.to_string()))?;
    context.add_variable_from_value("self", bound);
    match program.execute(&context) {
        Ok(cel::Value::Bool(holds)) => Ok(holds),
        // The API server refuses an object whose rule reads a field it lacks.
        Err(cel::ExecutionError::NoSuchKey(_)) => Ok(false),
        Ok(other) => Err(unknown(format!("not a boolean: {other:?}"))),
        Err(e) => Err(unknown(e.to_string())),
    }
}

/// `(has(self.a) ? 1 : 0) + (has(self.b) ? 1 : 0) <= 1` → `[a, b]`.
fn at_most_one_of(rule: &str) -> Option<Vec<&str>> {
    let sum = rule.strip_suffix(" <= 1")?;
    sum.split(" + ")
        .map(|term| {
            let field = term
                .strip_prefix("(has(self.")?
                .strip_suffix(") ? 1 : 0)")?;
            field
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
                .then_some(field)
        })
        .collect()
}

/// CEL `has(self.f)` on an object: the field is set.
fn has(value: &Value, field: &str) -> bool {
    value.get(field).is_some_and(|v| !v.is_null())
}

fn string(value: &Value) -> Result<&str, String> {
    value
        .as_str()
        .ok_or_else(|| format!("self is not a string: {value}"))
}

fn keys(value: &Value) -> Result<impl Iterator<Item = &String>, String> {
    value
        .as_object()
        .map(|m| m.keys())
        .ok_or_else(|| format!("self is not a map: {value}"))
}

/// The scheme of `text` if Go's `url.ParseRequestURI` accepts it (CEL's `isURL`), lowercased
/// as `url(text).getScheme()` returns it.
pub fn request_uri_scheme(text: &str) -> Option<String> {
    if text.is_empty() || text.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return None;
    }
    let (scheme, rest) = split_scheme(text)?;
    let rest = rest.split_once('?').map_or(rest, |(path, _query)| path);
    if !rest.starts_with('/') {
        // `scheme:opaque` is a URL; a relative reference is not a request URI.
        return (!scheme.is_empty()).then_some(scheme);
    }
    let path = match rest.strip_prefix("//").filter(|_| !scheme.is_empty()) {
        Some(after) => {
            let (authority, path) = after.find('/').map_or((after, ""), |i| after.split_at(i));
            valid_authority(authority).then_some(path)?
        }
        None => rest,
    };
    valid_escapes(path).then_some(scheme)
}

/// Go's `getScheme`: `None` for a leading `:`.
fn split_scheme(text: &str) -> Option<(String, &str)> {
    for (i, c) in text.char_indices() {
        match c {
            'a'..='z' | 'A'..='Z' => {}
            '0'..='9' | '+' | '-' | '.' if i > 0 => {}
            ':' if i == 0 => return None,
            ':' => return Some((text[..i].to_ascii_lowercase(), &text[i + 1..])),
            _ => break,
        }
    }
    Some((String::new(), text))
}

fn valid_authority(authority: &str) -> bool {
    let (userinfo, host) = authority
        .rsplit_once('@')
        .map_or((None, authority), |(u, h)| (Some(u), h));
    let userinfo_ok = userinfo.is_none_or(|u| {
        u.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._:~!$&'()*+,;=%@".contains(c) || !c.is_ascii())
    });
    let host_ok = if let Some(inner) = host.strip_prefix('[') {
        match inner.split_once(']') {
            Some((_, port)) => port.is_empty() || valid_port(port),
            None => false,
        }
    } else {
        let (name, port) = host
            .rsplit_once(':')
            .map_or((host, None), |(n, p)| (n, Some(p)));
        port.is_none_or(|p| valid_port(&format!(":{p}")))
            && name.chars().all(|c| {
                !c.is_ascii() || c.is_ascii_alphanumeric() || "-_.~!$&'()*+,;=%\"<>".contains(c)
            })
            && valid_escapes(name)
    };
    userinfo_ok && host_ok
}

fn valid_port(port: &str) -> bool {
    port.strip_prefix(':')
        .is_some_and(|digits| digits.bytes().all(|b| b.is_ascii_digit()))
}

/// Every `%` starts a two-digit hex escape.
fn valid_escapes(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3);
            if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                return false;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    true
}
