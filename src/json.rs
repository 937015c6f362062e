//! A small JSON reader for the plugin configuration (RFC 8259), in place of serde_json: a
//! third of the module's size went to a general-purpose parser, float formatting and
//! Unicode tables that a list of host names does not need.
//!
//! Differences that matter here: numbers are kept as their text (the configuration has no
//! numeric field; they only appear in error messages), a key repeated in one object is an
//! error (a general parser keeps the last one, silently), and nesting is limited.

use std::fmt::{self, Write};

/// A parsed JSON value. Object members keep their order.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

/// Why a text is not JSON, and where (1-based line and column, counted in characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    pub what: &'static str,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at line {} column {}",
            self.what, self.line, self.column
        )
    }
}

const MAX_DEPTH: usize = 64;

/// Parses one JSON value; only white space may follow it.
pub fn parse(text: &str) -> Result<Json, JsonError> {
    let mut reader = Reader { text, at: 0 };
    let value = reader.value(0)?;
    reader.blank();
    match reader.at < text.len() {
        true => Err(reader.error("trailing characters")),
        false => Ok(value),
    }
}

struct Reader<'t> {
    text: &'t str,
    at: usize,
}

impl Reader<'_> {
    fn error(&self, what: &'static str) -> JsonError {
        let what = match self.at >= self.text.len() && what.starts_with("expected") {
            true => "unexpected end of input",
            false => what,
        };
        let before = self.text.get(..self.at).unwrap_or(self.text);
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        JsonError { what, line, column }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn blank(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn eat(&mut self, word: &str) -> bool {
        let found = self
            .text
            .get(self.at..)
            .is_some_and(|t| t.starts_with(word));
        if found {
            self.at += word.len();
        }
        found
    }

    fn value(&mut self, depth: usize) -> Result<Json, JsonError> {
        self.blank();
        match self.peek() {
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => self.string().map(Json::String),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ if self.eat("true") => Ok(Json::Bool(true)),
            _ if self.eat("false") => Ok(Json::Bool(false)),
            _ if self.eat("null") => Ok(Json::Null),
            None => Err(self.error("unexpected end of input")),
            Some(_) => Err(self.error("expected a value")),
        }
    }

    /// Consumes `[` or `{` and checks the depth; then the members, separated by commas.
    fn members(
        &mut self,
        depth: usize,
        close: u8,
        mut member: impl FnMut(&mut Self) -> Result<(), JsonError>,
    ) -> Result<(), JsonError> {
        if depth > MAX_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        self.at += 1;
        self.blank();
        if self.peek() == Some(close) {
            self.at += 1;
            return Ok(());
        }
        loop {
            member(self)?;
            self.blank();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(c) if c == close => {
                    self.at += 1;
                    return Ok(());
                }
                _ if close == b']' => return Err(self.error("expected ',' or ']'")),
                _ => return Err(self.error("expected ',' or '}'")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Json, JsonError> {
        let mut items = Vec::new();
        self.members(depth, b']', |r| {
            items.push(r.value(depth)?);
            Ok(())
        })?;
        Ok(Json::Array(items))
    }

    fn object(&mut self, depth: usize) -> Result<Json, JsonError> {
        let mut fields: Vec<(String, Json)> = Vec::new();
        self.members(depth, b'}', |r| {
            r.blank();
            if r.peek() != Some(b'"') {
                return Err(r.error("expected a string key"));
            }
            let key_at = r.at;
            let key = r.string()?;
            r.blank();
            if !r.eat(":") {
                return Err(r.error("expected ':'"));
            }
            if fields.iter().any(|(k, _)| *k == key) {
                r.at = key_at;
                return Err(r.error("duplicate key"));
            }
            let value = r.value(depth)?;
            fields.push((key, value));
            Ok(())
        })?;
        Ok(Json::Object(fields))
    }

    fn number(&mut self) -> Result<Json, JsonError> {
        let start = self.at;
        let digits = |r: &mut Self| {
            let from = r.at;
            while matches!(r.peek(), Some(b'0'..=b'9')) {
                r.at += 1;
            }
            r.at > from
        };
        self.eat("-");
        if !self.eat("0") && !digits(self) {
            return Err(self.error("expected a digit"));
        }
        if self.eat(".") && !digits(self) {
            return Err(self.error("expected a digit"));
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            if !self.eat("+") {
                self.eat("-");
            }
            if !digits(self) {
                return Err(self.error("expected a digit"));
            }
        }
        let text = self.text.get(start..self.at).unwrap_or_default();
        Ok(Json::Number(text.to_owned()))
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.at += 1;
        let mut out = String::new();
        loop {
            let rest = self.text.get(self.at..).unwrap_or_default();
            let Some(c) = rest.chars().next() else {
                return Err(self.error("unterminated string"));
            };
            match c {
                '"' => {
                    self.at += 1;
                    return Ok(out);
                }
                '\\' => {
                    self.at += 1;
                    out.push(self.escape()?);
                }
                c if u32::from(c) < 0x20 => {
                    return Err(self.error("control character in a string"));
                }
                c => {
                    out.push(c);
                    self.at += c.len_utf8();
                }
            }
        }
    }

    fn escape(&mut self) -> Result<char, JsonError> {
        let Some(c) = self.peek() else {
            return Err(self.error("unterminated string"));
        };
        self.at += 1;
        Ok(match c {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => return self.unicode(),
            _ => {
                self.at -= 1;
                return Err(self.error("invalid escape"));
            }
        })
    }

    /// After `\u`: four hex digits, or a surrogate pair written as two escapes.
    fn unicode(&mut self) -> Result<char, JsonError> {
        let high = self.hex4()?;
        let code = match high {
            0xD800..=0xDBFF => {
                if !self.eat("\\u") {
                    return Err(self.error("unpaired surrogate"));
                }
                let low = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&low) {
                    return Err(self.error("unpaired surrogate"));
                }
                0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(self.error("unpaired surrogate")),
            code => code,
        };
        char::from_u32(code).ok_or_else(|| self.error("invalid escape"))
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let digits = self.text.get(self.at..self.at + 4).unwrap_or_default();
        match u32::from_str_radix(digits, 16) {
            Ok(code) if digits.bytes().all(|b| b.is_ascii_hexdigit()) => {
                self.at += 4;
                Ok(code)
            }
            _ => Err(self.error("invalid \\u escape")),
        }
    }
}

impl fmt::Display for Json {
    /// Compact JSON, with every non-ASCII or control character escaped, so that it always
    /// prints on one line of plain ASCII.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Json::Null => f.write_str("null"),
            Json::Bool(b) => write!(f, "{b}"),
            Json::Number(n) => f.write_str(n),
            Json::String(s) => write_string(f, s),
            Json::Array(items) => {
                f.write_char('[')?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_char(',')?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_char(']')
            }
            Json::Object(fields) => {
                f.write_char('{')?;
                for (i, (key, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_char(',')?;
                    }
                    write_string(f, key)?;
                    write!(f, ":{value}")?;
                }
                f.write_char('}')
            }
        }
    }
}

/// A JSON string literal in plain ASCII (`\uXXXX` for the rest).
pub fn write_string(out: &mut impl Write, s: &str) -> fmt::Result {
    out.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => out.write_str("\\\"")?,
            '\\' => out.write_str("\\\\")?,
            '\n' => out.write_str("\\n")?,
            ' '..='~' => out.write_char(c)?,
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    write!(out, "\\u{:04x}", unit)?;
                }
            }
        }
    }
    out.write_char('"')
}

/// `s` as a JSON string literal in plain ASCII: how the filter quotes names in its logs.
pub fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    let _ = write_string(&mut out, s);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        let json =
            parse(r#" {"a": [1, -2.5e3, true, false, null], "b": "x\"\\\/\u00e9\ud83d\ude00"} "#)
                .unwrap();
        let Json::Object(fields) = &json else {
            panic!()
        };
        assert_eq!(fields[0].0, "a");
        assert_eq!(
            fields[0].1,
            Json::Array(vec![
                Json::Number("1".into()),
                Json::Number("-2.5e3".into()),
                Json::Bool(true),
                Json::Bool(false),
                Json::Null
            ])
        );
        assert_eq!(fields[1].1, Json::String("x\"\\/é😀".into()));
        assert_eq!(
            json.to_string(),
            r#"{"a":[1,-2.5e3,true,false,null],"b":"x\"\\/\u00e9\ud83d\ude00"}"#
        );
    }

    #[test]
    fn errors_say_where() {
        let error = |text: &str| parse(text).unwrap_err().to_string();
        assert_eq!(
            error("{\n  \"a\": 1,\n  \"a\": 2}"),
            "duplicate key at line 3 column 3"
        );
        assert_eq!(error(r#"{"a" 1}"#), "expected ':' at line 1 column 6");
        assert_eq!(
            error(r#"{"a": 1"#),
            "unexpected end of input at line 1 column 8"
        );
        assert_eq!(
            error(r#"{"a": 1 "b""#),
            "expected ',' or '}' at line 1 column 9"
        );
        assert_eq!(error("[1 2]"), "expected ',' or ']' at line 1 column 4");
        assert_eq!(error("{} x"), "trailing characters at line 1 column 4");
        assert_eq!(error(""), "unexpected end of input at line 1 column 1");
        assert_eq!(error("01"), "trailing characters at line 1 column 2");
        assert_eq!(error("1.x"), "expected a digit at line 1 column 3");
        assert_eq!(error("\"\\x\""), "invalid escape at line 1 column 3");
        assert_eq!(
            error("\"\\ud800\""),
            "unpaired surrogate at line 1 column 8"
        );
        assert_eq!(
            error("\"a\nb\""),
            "control character in a string at line 1 column 3"
        );
        assert_eq!(error("\"é"), "unterminated string at line 1 column 3");
        assert_eq!(error("tru"), "expected a value at line 1 column 1");
        assert_eq!(
            error(&"[".repeat(65)),
            "nested too deeply at line 1 column 65"
        );
        assert!(parse(&format!("{}{}", "[".repeat(64), "]".repeat(64))).is_ok());
    }
}
