//! RFC 3339 formatting of a `SystemTime` (UTC, whole seconds), so subscription expiries can be
//! passed as times instead of strings.

use std::time::{SystemTime, UNIX_EPOCH};

/// `YYYY-MM-DDTHH:MM:SSZ`. Times before 1970 are clamped to the epoch.
pub(crate) fn rfc3339(t: SystemTime) -> String {
    let ms = t
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    bridge_core::rfc3339::format_secs(ms)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn formats_utc_seconds() {
        let t = UNIX_EPOCH + Duration::from_secs(1_735_898_400);
        assert_eq!(rfc3339(t), "2025-01-03T10:00:00Z");
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let leap = UNIX_EPOCH + Duration::from_secs(1_709_164_800 + 86_399);
        assert_eq!(rfc3339(leap), "2024-02-29T23:59:59Z");
    }
}
