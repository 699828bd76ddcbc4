//! RFC 3339 times as Graph writes and reads them, on the `time` crate: epoch milliseconds in,
//! `YYYY-MM-DDTHH:MM:SS[.mmm]Z` out, and any RFC 3339 time (or Graph's zone-less
//! `dateTime`, which is UTC) back to epoch milliseconds.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::clock::EpochMillis;

fn at(ms: EpochMillis) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
}

/// `ms` as `YYYY-MM-DDTHH:MM:SS.mmmZ` (always three fraction digits). Times outside the
/// calendar `time` supports (beyond year ±9999) are clamped to the epoch.
pub fn format_ms(ms: EpochMillis) -> String {
    let t = at(ms).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// `ms` as `YYYY-MM-DDTHH:MM:SSZ` (whole seconds, rounded down).
pub fn format_secs(ms: EpochMillis) -> String {
    let t = at(ms.div_euclid(1000) * 1000).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    t.format(&Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}

/// Epoch milliseconds of an RFC 3339 time (any offset, any number of fraction digits, which
/// are cut to milliseconds); a time without a zone is UTC, as Graph's `dateTime` values are.
/// `None` for anything else.
pub fn parse_ms(s: &str) -> Option<EpochMillis> {
    let s = s.trim();
    let parsed = OffsetDateTime::parse(s, &Rfc3339).or_else(|_| {
        let with_zone = format!("{s}Z");
        OffsetDateTime::parse(&with_zone, &Rfc3339)
    });
    let nanos = parsed.ok()?.unix_timestamp_nanos();
    i64::try_from(nanos.div_euclid(1_000_000)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_graph_times() {
        let ms = 1_735_898_400_123; // 2025-01-03T10:00:00.123Z
        assert_eq!(format_ms(ms), "2025-01-03T10:00:00.123Z");
        assert_eq!(format_secs(ms), "2025-01-03T10:00:00Z");
        assert_eq!(format_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(parse_ms("2025-01-03T10:00:00.123Z"), Some(ms));
        assert_eq!(parse_ms("2025-01-03T11:00:00.1234567+01:00"), Some(ms));
        assert_eq!(parse_ms("2024-02-29T00:00:00"), Some(1_709_164_800_000));
        assert_eq!(
            parse_ms("2024-02-29T23:59:59.0000000"),
            Some(1_709_251_199_000)
        );
        for bad in [
            "nonsense",
            "2024-02-30T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "",
        ] {
            assert_eq!(parse_ms(bad), None, "{bad}");
        }
    }
}
