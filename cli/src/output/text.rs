//! Small helpers for text meant for people.

/// The width human reports wrap at.
pub const WIDTH: usize = 100;

/// `1 Gateway`, `2 Gateways`.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Wraps `text` at word boundaries; the first line starts with `lead`, the others are
/// indented to match.
pub fn wrap(lead: &str, text: &str) -> String {
    let indent = " ".repeat(lead.len());
    let mut out = String::from(lead);
    let mut column = lead.len();
    for (i, word) in text.split_whitespace().enumerate() {
        if i > 0 && column + 1 + word.len() > WIDTH {
            out.push('\n');
            out.push_str(&indent);
            column = indent.len();
        } else if i > 0 {
            out.push(' ');
            column += 1;
        }
        out.push_str(word);
        column += word.len();
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping() {
        assert_eq!(wrap("  Fix: ", "one two"), "  Fix: one two\n");
        let long = "word ".repeat(40);
        let wrapped = wrap("  Fix: ", &long);
        assert!(wrapped.lines().count() > 1);
        assert!(wrapped.lines().all(|l| l.len() <= WIDTH));
        assert!(
            wrapped
                .lines()
                .skip(1)
                .all(|l| l.starts_with("       word"))
        );
    }

    #[test]
    fn counting() {
        assert_eq!(count(1, "Gateway"), "1 Gateway");
        assert_eq!(count(0, "Gateway"), "0 Gateways");
    }
}
