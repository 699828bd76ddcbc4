//! Input rules shared by every adapter.
//!
//! SQS rejects these inputs server-side; the local adapter would happily accept them. Checking
//! them once, before any backend is called, makes a message that works locally work on AWS too.

use std::time::Duration;

use crate::{OutgoingMessage, QueueError};

/// SQS's limit for one message: body plus message attributes (name, type and value).
pub(crate) const MAX_MESSAGE_BYTES: usize = 256 * 1024;
/// SQS's longest `DelaySeconds`.
pub(crate) const MAX_DELAY: Duration = Duration::from_secs(15 * 60);
/// SQS's longest long poll (`WaitTimeSeconds`).
pub(crate) const MAX_WAIT: Duration = Duration::from_secs(20);
/// SQS's longest visibility timeout, which also bounds `release`.
pub(crate) const MAX_VISIBILITY: Duration = Duration::from_secs(12 * 60 * 60);
/// SQS's largest receive batch.
pub(crate) const MAX_BATCH: usize = 10;
/// The message attribute that carries [`OutgoingMessage::dedupe_key`].
pub(crate) const DEDUPE_ATTRIBUTE: &str = "dedupe_key";
/// The data type of that attribute, counted in the message size like SQS does.
const DEDUPE_ATTRIBUTE_TYPE: &str = "String";

/// Checks a message against the SQS limits: non-empty body, size (body + dedupe attribute)
/// at most 256 KiB, only characters SQS accepts, delay at most 15 minutes.
pub(crate) fn message(msg: &OutgoingMessage) -> Result<(), QueueError> {
    if msg.body.is_empty() {
        return Err(QueueError::InvalidMessage("the body is empty".into()));
    }
    let attribute_bytes = msg.dedupe_key.as_ref().map_or(0, |k| {
        DEDUPE_ATTRIBUTE.len() + DEDUPE_ATTRIBUTE_TYPE.len() + k.len()
    });
    let size = msg.body.len() + attribute_bytes;
    if size > MAX_MESSAGE_BYTES {
        return Err(QueueError::InvalidMessage(format!(
            "the message is {size} bytes, more than the {MAX_MESSAGE_BYTES} allowed"
        )));
    }
    if let Some(c) = msg.body.chars().find(|c| !sqs_char(*c)) {
        return Err(QueueError::InvalidMessage(format!(
            "the body contains the character U+{:04X}, which SQS rejects",
            u32::from(c)
        )));
    }
    if let Some(key) = &msg.dedupe_key {
        if key.is_empty() {
            return Err(QueueError::InvalidMessage("the dedupe key is empty".into()));
        }
        if key.chars().any(|c| !sqs_char(c)) {
            return Err(QueueError::InvalidMessage(
                "the dedupe key contains a character SQS rejects".into(),
            ));
        }
    }
    if msg.delay > MAX_DELAY {
        return Err(QueueError::InvalidMessage(format!(
            "the delay {:?} is longer than 15 minutes",
            msg.delay
        )));
    }
    Ok(())
}

/// Checks a receive batch size (1..=10).
pub(crate) fn batch_size(max: usize) -> Result<(), QueueError> {
    if (1..=MAX_BATCH).contains(&max) {
        Ok(())
    } else {
        Err(QueueError::InvalidMessage(format!(
            "receive max must be between 1 and {MAX_BATCH}, not {max}"
        )))
    }
}

/// Long polls longer than SQS allows are shortened to 20 s rather than rejected: waiting less is
/// always safe for the caller, who loops anyway.
pub(crate) fn wait(wait: Duration) -> Duration {
    wait.min(MAX_WAIT)
}

/// Checks the delay of a `release` (at most 12 hours, the SQS visibility limit).
pub(crate) fn release_after(after: Duration) -> Result<(), QueueError> {
    if after > MAX_VISIBILITY {
        Err(QueueError::InvalidMessage(format!(
            "release delay {after:?} is longer than 12 hours"
        )))
    } else {
        Ok(())
    }
}

/// Rounds up to whole seconds, as SQS speaks in seconds; rounding up never makes a message
/// visible earlier than asked.
pub(crate) fn ceil_secs(d: Duration) -> i32 {
    let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    i32::try_from(secs).unwrap_or(i32::MAX)
}

/// Milliseconds of a duration, saturating, for the local adapter's epoch arithmetic.
pub(crate) fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The characters SQS allows in bodies and attribute values (the XML 1.0 character set).
fn sqs_char(c: char) -> bool {
    matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
        || c >= '\u{10000}'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(body: &str) -> OutgoingMessage {
        OutgoingMessage::new(body)
    }

    #[test]
    fn body_size_counts_bytes_and_the_dedupe_attribute() {
        assert!(message(&msg(&"a".repeat(MAX_MESSAGE_BYTES))).is_ok());
        assert!(message(&msg(&"a".repeat(MAX_MESSAGE_BYTES + 1))).is_err());
        // 'é' is two bytes: half as many characters already reach the limit.
        assert!(message(&msg(&"é".repeat(MAX_MESSAGE_BYTES / 2 + 1))).is_err());
        let mut m = msg(&"a".repeat(MAX_MESSAGE_BYTES - 10));
        m.dedupe_key = Some("k".into());
        assert!(message(&m).is_err(), "attribute name, type and value count");
    }

    #[test]
    fn rejects_empty_parts_bad_characters_and_long_delays() {
        assert!(message(&msg("")).is_err());
        assert!(message(&msg("nul \u{0} inside")).is_err());
        assert!(message(&msg("tab\tand newline\n are fine 🎉")).is_ok());
        let mut m = msg("x");
        m.dedupe_key = Some(String::new());
        assert!(message(&m).is_err());
        let mut m = msg("x");
        m.delay = MAX_DELAY;
        assert!(message(&m).is_ok());
        m.delay = MAX_DELAY + Duration::from_millis(1);
        assert!(message(&m).is_err());
    }

    #[test]
    fn batch_wait_and_release_limits() {
        assert!(batch_size(0).is_err());
        assert!(batch_size(1).is_ok());
        assert!(batch_size(10).is_ok());
        assert!(batch_size(11).is_err());
        assert_eq!(wait(Duration::from_secs(60)), MAX_WAIT);
        assert!(release_after(MAX_VISIBILITY).is_ok());
        assert!(release_after(MAX_VISIBILITY + Duration::from_secs(1)).is_err());
    }

    #[test]
    fn seconds_round_up() {
        assert_eq!(ceil_secs(Duration::ZERO), 0);
        assert_eq!(ceil_secs(Duration::from_millis(1)), 1);
        assert_eq!(ceil_secs(Duration::from_secs(2)), 2);
        assert_eq!(ceil_secs(Duration::from_millis(2001)), 3);
    }
}
