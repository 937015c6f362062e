//! Host patterns, as written in an Istio `Gateway` server's `hosts`.

use std::fmt;

/// A parsed, lowercased host pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    /// An exact name: `a.example.com`.
    Exact(String),
    /// `*.example.com`, stored as `example.com`: any name with at least one label before it.
    Suffix(String),
    /// `*`: every name.
    Any,
}

/// Why a pattern was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError(&'static str);

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

const MAX_NAME: usize = 253;
const MAX_LABEL: usize = 63;

impl Pattern {
    /// Parses `host`, `*.suffix`, `*` or Istio's `namespace/host` (the namespace is ignored).
    /// Case is folded and one trailing dot is dropped.
    pub fn parse(raw: &str) -> Result<Pattern, PatternError> {
        let host = match raw.split_once('/') {
            Some((_namespace, host)) => host,
            None => raw,
        };
        let host = host.to_ascii_lowercase();
        let host = match host.strip_suffix('.') {
            Some("*") | None => &host,
            Some(stripped) => stripped,
        };
        if host.is_empty() {
            return Err(PatternError("empty host pattern"));
        }
        if host == "*" {
            return Ok(Pattern::Any);
        }
        if let Some(suffix) = host.strip_prefix("*.") {
            check_name(suffix)?;
            return Ok(Pattern::Suffix(suffix.to_owned()));
        }
        check_name(host)?;
        Ok(Pattern::Exact(host.to_owned()))
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pattern::Exact(name) => f.write_str(name),
            Pattern::Suffix(suffix) => write!(f, "*.{suffix}"),
            Pattern::Any => f.write_str("*"),
        }
    }
}

fn check_name(name: &str) -> Result<(), PatternError> {
    if name.contains('*') {
        return Err(PatternError(
            "a wildcard is allowed only as the whole first label, as in \"*.example.com\"",
        ));
    }
    if name.len() > MAX_NAME {
        return Err(PatternError("longer than 253 characters"));
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Err(PatternError("empty label"));
        }
        if label.len() > MAX_LABEL {
            return Err(PatternError("a label is longer than 63 characters"));
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(PatternError(
                "only letters, digits, '-', '_' and '.' are allowed in a host name",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Pattern;

    #[test]
    fn forms() {
        let p = |s: &str| Pattern::parse(s).unwrap();
        assert_eq!(p("A.Example.com"), Pattern::Exact("a.example.com".into()));
        assert_eq!(p("a.example.com."), Pattern::Exact("a.example.com".into()));
        assert_eq!(p("*.Example.com"), Pattern::Suffix("example.com".into()));
        assert_eq!(p("*"), Pattern::Any);
        assert_eq!(
            p("istio-system/a.example.com"),
            Pattern::Exact("a.example.com".into())
        );
        assert_eq!(p("./*.example.com"), Pattern::Suffix("example.com".into()));
        assert_eq!(p("*/*"), Pattern::Any);
    }

    #[test]
    fn malformed() {
        for bad in [
            "",
            ".",
            "ns/",
            "a.*.example.com",
            "*foo.example.com",
            "*.",
            "*.*.example.com",
            "a..example.com",
            ".example.com",
            "a.example.com:443",
            "a example.com",
            "é.example.com",
        ] {
            assert!(Pattern::parse(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(Pattern::parse(&"a".repeat(64)).is_err());
        assert!(Pattern::parse(&format!("{}.com", "a.".repeat(126))).is_err());
    }
}
