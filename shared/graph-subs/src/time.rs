//! Epoch milliseconds ↔ `SystemTime`, and reading Graph's `expirationDateTime` (RFC 3339).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `ms` after the epoch (negative times are the epoch).
pub(crate) fn to_system_time(ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

/// Graph's `expirationDateTime` (RFC 3339, or zone-less = UTC) in epoch milliseconds; `None`
/// for anything else.
pub(crate) fn parse_rfc3339_ms(s: &str) -> Option<i64> {
    bridge_core::rfc3339::parse_ms(s)
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
