//! Epoch milliseconds ↔ `SystemTime`, and reading Graph's `expirationDateTime` (RFC 3339)
//! without a date crate.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `ms` after the epoch (negative times are the epoch).
pub(crate) fn to_system_time(ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction][Z|±HH:MM]` (no zone = UTC) into epoch milliseconds;
/// `None` for anything else.
pub(crate) fn parse_rfc3339_ms(s: &str) -> Option<i64> {
    let num = |a: usize, b: usize| s.get(a..b)?.parse::<i64>().ok();
    let at = |i: usize, c: &[u8]| s.as_bytes().get(i).is_some_and(|b| c.contains(b));
    if !(at(4, b"-") && at(7, b"-") && at(10, b"Tt ") && at(13, b":") && at(16, b":")) {
        return None;
    }
    let (y, mo, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (h, mi, se) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let mut rest = s.get(19..)?;
    let mut millis = 0;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let first3: String = frac
            .get(..digits)?
            .chars()
            .chain("000".chars())
            .take(3)
            .collect();
        millis = first3.parse::<i64>().ok()?;
        rest = frac.get(digits..)?;
    }
    let offset_min = match rest {
        "" | "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return None,
            };
            if rest.len() != 6 || rest.as_bytes().get(3) != Some(&b':') {
                return None;
            }
            let oh = rest.get(1..3)?.parse::<i64>().ok()?;
            let om = rest.get(4..6)?.parse::<i64>().ok()?;
            sign * (oh * 60 + om)
        }
    };
    let days = days_from_civil(y, mo, d);
    let secs = days * 86_400 + h * 3600 + mi * 60 + se - offset_min * 60;
    Some(secs * 1000 + millis)
}

/// (year, month, day) → days since 1970-01-01 (H. Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_expiry_formats_are_read() {
        let ms = 1_735_898_400_000; // 2025-01-03T10:00:00Z
        assert_eq!(parse_rfc3339_ms("2025-01-03T10:00:00Z"), Some(ms));
        assert_eq!(parse_rfc3339_ms("2025-01-03T10:00:00.123Z"), Some(ms + 123));
        assert_eq!(
            parse_rfc3339_ms("2025-01-03T10:00:00.1234567+00:00"),
            Some(ms + 123)
        );
        assert_eq!(parse_rfc3339_ms("2025-01-03T11:00:00+01:00"), Some(ms));
        assert_eq!(
            parse_rfc3339_ms("2024-02-29T00:00:00"),
            Some(1_709_164_800_000)
        );
        for bad in [
            "",
            "nonsense",
            "2025-13-01T00:00:00Z",
            "2025-01-03T10:00:00+0100",
        ] {
            assert_eq!(parse_rfc3339_ms(bad), None, "{bad}");
        }
    }

    #[test]
    fn milliseconds_become_system_times() {
        assert_eq!(to_system_time(-1), UNIX_EPOCH);
        assert_eq!(
            to_system_time(1500),
            UNIX_EPOCH + Duration::from_millis(1500)
        );
    }
}
