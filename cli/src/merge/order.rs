//! istiod's order of Gateways, which decides which of two servers listing one host it serves.
//!
//! istiod sorts every Gateway by `metadata.creationTimestamp`, then by name, then by namespace
//! (`configCompareByCreationTime` in pilot/pkg/model/config.go, called by `initGateways` in
//! push_context.go), and merges them in that order; a TLS server with a host already taken on
//! its port (and bind) is dropped whole (`CheckDuplicates` in pilot/pkg/model/gateway.go).

use crate::model::gateway::Gateway;

/// Where a Gateway stands in istiod's order: (creation time in seconds since the Unix epoch,
/// name, namespace). `None` when the input does not say when it was created (or says it in a
/// form that is not RFC 3339).
pub fn key(gateway: &Gateway) -> Option<(i64, String, String)> {
    let created = created(gateway)?;
    Some((
        seconds(created)?,
        gateway.name.clone(),
        gateway.namespace.clone(),
    ))
}

/// `metadata.creationTimestamp` as written.
pub fn created(gateway: &Gateway) -> Option<&str> {
    gateway
        .raw
        .pointer("/metadata/creationTimestamp")
        .and_then(|v| v.as_str())
}

/// Seconds since the Unix epoch of an RFC 3339 time (`2024-03-01T10:00:00Z`,
/// `2024-03-01T11:00:00+01:00`). A fraction of a second is ignored: the API server keeps
/// creation times in whole seconds, and so compares them.
pub fn seconds(text: &str) -> Option<i64> {
    let (date, rest) = text.split_once(['T', 't'])?;
    let number = |s: &str| -> Option<i64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let mut d = date.splitn(3, '-');
    let (year, month, day) = (number(d.next()?)?, number(d.next()?)?, number(d.next()?)?);
    let (clock, offset) = match rest.strip_suffix(['Z', 'z']) {
        Some(clock) => (clock, 0),
        None => {
            let at = rest.rfind(['+', '-'])?;
            let (clock, zone) = rest.split_at(at);
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            let (h, m) = zone.get(1..)?.split_once(':')?;
            (clock, sign * (number(h)? * 3600 + number(m)? * 60))
        }
    };
    let clock = clock.split_once('.').map_or(clock, |(whole, _)| whole);
    let mut c = clock.splitn(3, ':');
    let (hour, minute, second) = (number(c.next()?)?, number(c.next()?)?, number(c.next()?)?);
    let valid = (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && hour < 24
        && minute < 60
        && second <= 60;
    valid.then(|| days(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

/// Days since 1970-01-01 of a date in the proleptic Gregorian calendar (Howard Hinnant's
/// `days_from_civil`).
fn days(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_as_kubernetes_writes_them() {
        assert_eq!(seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(seconds("2024-03-01T10:00:00Z"), Some(1_709_287_200));
        assert_eq!(
            seconds("2024-03-01T11:30:00+01:30"),
            seconds("2024-03-01T10:00:00Z"),
            "an offset is the same instant"
        );
        assert_eq!(
            seconds("2024-03-01T10:00:00.999Z"),
            seconds("2024-03-01T10:00:00Z")
        );
        assert_eq!(seconds("2000-02-29T00:00:00Z"), Some(951_782_400));
        for bad in [
            "",
            "2024-03-01",
            "yesterday",
            "2024-13-01T00:00:00Z",
            "2024-03-01T10:00Z",
        ] {
            assert_eq!(seconds(bad), None, "{bad}");
        }
    }
}
