//! Text bound for the proxy's log: one line of printable ASCII, whatever the input held.
//!
//! Refusals and mismatch lines show names and values as the client or the configuration
//! wrote them; [`Ascii`] is the one place that makes them safe to log.

use std::fmt::{self, Write};

/// How many characters of a value a refusal shows.
const SHOWN: usize = 80;

/// `text` with every character outside printable ASCII escaped as JSON escapes it
/// (`\n`, `\t`, `\u00e9`, a surrogate pair above U+FFFF).
pub struct Ascii<'a>(pub &'a str);

impl fmt::Display for Ascii<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            match c {
                ' '..='~' => f.write_char(c)?,
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                c => {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        write!(f, "\\u{unit:04x}")?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// `text` as a JSON string literal (quotes and backslashes escaped; [`Ascii`] does the rest).
pub fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    let _ = write_quoted(&mut out, text);
    out
}

/// Writes `text` as a JSON string literal.
pub fn write_quoted(out: &mut impl Write, text: &str) -> fmt::Result {
    out.write_char('"')?;
    for c in text.chars() {
        if matches!(c, '"' | '\\') {
            out.write_char('\\')?;
        }
        out.write_char(c)?;
    }
    out.write_char('"')
}

/// A value as a refusal shows it: quoted, and cut after a few dozen characters.
pub fn shown(text: &str) -> String {
    match text.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("{}...", quoted(text.get(..cut).unwrap_or(text))),
        None => quoted(text),
    }
}

/// Output that keeps the first few dozen characters written to it and drops the rest: a
/// value of the wrong kind, however large, is shown short.
#[derive(Default)]
pub struct Bounded {
    text: String,
    chars: usize,
    cut: bool,
}

impl Bounded {
    pub fn finish(self) -> String {
        match self.cut {
            true => self.text + "...",
            false => self.text,
        }
    }
}

impl Write for Bounded {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for c in s.chars() {
            if self.chars == SHOWN {
                self.cut = true;
                break;
            }
            self.text.push(c);
            self.chars += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_escapes_all_but_printable_ascii() {
        let line = Ascii("a\"b\\ c\n\r\t\u{1b}é😀\u{7f}").to_string();
        assert_eq!(line, "a\"b\\ c\\n\\r\\t\\u001b\\u00e9\\ud83d\\ude00\\u007f");
    }

    #[test]
    fn quoted_and_shown() {
        assert_eq!(quoted(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(shown("short"), "\"short\"");
        let long = shown(&"é".repeat(500));
        assert_eq!(long, format!("\"{}\"...", "é".repeat(80)));
    }

    #[test]
    fn bounded_keeps_the_start() {
        let mut out = Bounded::default();
        write!(out, "{}", "x".repeat(100)).unwrap();
        assert_eq!(out.finish(), format!("{}...", "x".repeat(80)));
        let mut out = Bounded::default();
        out.write_str("[1,2]").unwrap();
        assert_eq!(out.finish(), "[1,2]");
    }
}
