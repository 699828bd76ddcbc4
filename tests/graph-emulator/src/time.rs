//! Time as the emulator writes and reads it (RFC 3339, UTC, milliseconds).

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Formats epoch milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub(crate) fn format_millis(ms: i64) -> String {
    bridge_core::rfc3339::format_ms(ms)
}

/// Parses an RFC 3339 time (no zone = UTC) into epoch milliseconds.
pub(crate) fn parse_millis(s: &str) -> Option<i64> {
    bridge_core::rfc3339::parse_ms(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let ms = 1_735_898_400_123; // 2025-01-03T10:00:00.123Z
        assert_eq!(format_millis(ms), "2025-01-03T10:00:00.123Z");
        assert_eq!(parse_millis("2025-01-03T10:00:00.123Z"), Some(ms));
        assert_eq!(parse_millis("2025-01-03T11:00:00.1234567+01:00"), Some(ms));
        assert_eq!(parse_millis("2024-02-29T00:00:00"), Some(1_709_164_800_000));
        assert_eq!(parse_millis("nonsense"), None);
    }
}
