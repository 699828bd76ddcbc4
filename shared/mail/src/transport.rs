//! The transport port: how a rendered e-mail leaves the system.
//!
//! Adapters: [`crate::outbox::EmlOutbox`] (local runs write `.eml` files) and, with the Graph
//! client, a Graph `sendMail` adapter. The port is deliberately small so that adapter is a few
//! lines: take the fields of [`OutgoingMail`], call `sendMail`, and sort its failure into
//! [`SendError::NotSent`] or [`SendError::Unknown`]. That sorting is what keeps delivery
//! at most once (see [`crate::send`]), so it is the one thing an adapter must get right.

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;

use crate::templates::RenderedMail;

/// Why a mail could not be put together: a bad id or address. Never carries the address itself
/// (personal data stays out of logs and dead-letter reasons).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidMail {
    /// The id is empty, too long, or has characters other than `A-Z a-z 0-9 . _ -`.
    #[error("mail id must be 1..=128 characters of A-Z a-z 0-9 . _ - and not start with a dot")]
    Id,
    /// An address is not a plain `local@domain` e-mail address.
    #[error("{field}: not a valid e-mail address")]
    Address {
        /// Which field (`from`, `to[2]`, …).
        field: String,
    },
    /// The mail has no recipient, or more than [`MAX_RECIPIENTS`].
    #[error("a mail needs 1..={MAX_RECIPIENTS} recipients")]
    Recipients,
}

/// Most recipients of one mail. Our mails go to one person or to the few users with a right
/// (USR-4); Graph's own limit is far higher, this only stops a runaway list.
pub const MAX_RECIPIENTS: usize = 50;

/// The idempotency key of one e-mail, chosen by whoever queues it (e.g. derived from the
/// invitation id), so that a retried request or a redelivered message names the same mail.
///
/// Also used as a file name (`<id>.eml`) and inside the `Message-ID` header, hence the plain
/// character set.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MailId(String);

impl MailId {
    /// Checks `id`: 1..=128 characters of `A-Z a-z 0-9 . _ -`, not starting with a dot.
    pub fn parse(id: impl Into<String>) -> Result<Self, InvalidMail> {
        let id = id.into();
        let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        if id.is_empty() || id.len() > 128 || id.starts_with('.') || !id.chars().all(plain) {
            return Err(InvalidMail::Id);
        }
        Ok(Self(id))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MailId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A plain e-mail address (`local@domain`, no display name), checked once at the edge.
///
/// `Debug` hides the address: addresses are personal data and must not reach logs.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct MailAddress(String);

impl MailAddress {
    /// Checks `address` with the RFC 5322 `addr-spec` rules of the MIME builder (at most 254
    /// bytes, as SMTP allows).
    pub fn parse(address: &str, field: &str) -> Result<Self, InvalidMail> {
        let address = address.trim();
        let invalid = || InvalidMail::Address {
            field: field.to_owned(),
        };
        if address.len() > 254 {
            return Err(invalid());
        }
        let parsed = lettre::Address::from_str(address).map_err(|_| invalid())?;
        Ok(Self(parsed.to_string()))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for MailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MailAddress([REDACTED])")
    }
}

/// A rendered e-mail ready for a transport: who sends it, to whom, and what it says.
///
/// Built only through [`OutgoingMail::new`], so every transport receives checked addresses.
/// `Debug` shows the id and counts only: addresses and content stay out of logs.
#[derive(Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    /// Idempotency key; the transport may use it as `Message-ID` or file name.
    pub id: MailId,
    /// The sender mailbox (on Graph: the mailbox `sendMail` is called on).
    pub from: MailAddress,
    /// Recipients, 1..=[`MAX_RECIPIENTS`].
    pub to: Vec<MailAddress>,
    /// Subject line (one line, already free of control characters).
    pub subject: String,
    /// HTML body, every inserted value escaped.
    pub html: String,
    /// Plain-text alternative.
    pub text: String,
}

impl OutgoingMail {
    /// Puts a mail together, checking the sender and every recipient.
    pub fn new(
        id: MailId,
        from: &str,
        to: &[String],
        content: RenderedMail,
    ) -> Result<Self, InvalidMail> {
        if to.is_empty() || to.len() > MAX_RECIPIENTS {
            return Err(InvalidMail::Recipients);
        }
        let from = MailAddress::parse(from, "from")?;
        let to = to
            .iter()
            .enumerate()
            .map(|(i, a)| MailAddress::parse(a, &format!("to[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            id,
            from,
            to,
            subject: content.subject,
            html: content.html,
            text: content.text,
        })
    }
}

impl fmt::Debug for OutgoingMail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutgoingMail")
            .field("id", &self.id)
            .field("recipients", &self.to.len())
            .finish_non_exhaustive()
    }
}

/// How a send failed. The variant decides whether a retry is safe, so an adapter must choose
/// it by what it knows about the request, not by the error's type alone.
///
/// The text must not contain addresses, content or tokens: it ends up in logs and in the
/// queue's failure reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The mail was definitely not sent: an HTTP error answer was received (4xx/5xx: the
    /// service refused it), or the connection failed before the request was written. Safe to
    /// retry.
    #[error("mail not sent: {0}")]
    NotSent(String),
    /// The outcome is unknown: the request was written but no answer came (timeout, connection
    /// reset). The mail may have gone out; retrying could send it twice.
    #[error("mail outcome unknown: {0}")]
    Unknown(String),
}

/// Sends one rendered e-mail. Implementations do not retry on their own after the request may
/// have reached the service: that decision belongs to [`crate::send::deliver`].
#[async_trait]
pub trait MailTransport: Send + Sync + fmt::Debug {
    /// Sends `mail`; `Ok` means the service accepted it.
    async fn send(&self, mail: &OutgoingMail) -> Result<(), SendError>;
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn content() -> RenderedMail {
        RenderedMail {
            subject: "s".into(),
            html: "<p>h</p>".into(),
            text: "t".into(),
        }
    }

    #[test]
    fn mail_ids_are_plain_and_safe_as_file_names() {
        for ok in ["inv-0190f3c2", "a", "x.y_z-1", &"a".repeat(128)] {
            assert!(MailId::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            ".hidden",
            "../x",
            "a/b",
            "a b",
            "a@b",
            &"a".repeat(129),
            "é",
        ] {
            assert_eq!(MailId::parse(bad), Err(InvalidMail::Id), "{bad}");
        }
    }

    #[test]
    fn addresses_are_checked_and_never_shown() {
        let id = MailId::parse("m1").unwrap();
        let m = OutgoingMail::new(
            id.clone(),
            "bridge@example.com",
            &["anna@example.nl".into()],
            content(),
        )
        .unwrap();
        assert_eq!(m.to[0].as_str(), "anna@example.nl");
        let dbg = format!("{m:?}");
        assert!(!dbg.contains("anna") && !dbg.contains("bridge@"), "{dbg}");

        let bad = [
            "",
            "anna",
            "anna@",
            "Anna <anna@example.nl>",
            "a@b\r\nBcc: x@y",
        ];
        for b in bad {
            let e = OutgoingMail::new(id.clone(), "bridge@example.com", &[b.into()], content())
                .unwrap_err();
            assert_eq!(
                e,
                InvalidMail::Address {
                    field: "to[0]".into()
                },
                "{b:?}"
            );
            assert!(!e.to_string().contains('@'), "the address is not repeated");
        }
        assert_eq!(
            OutgoingMail::new(id, "bridge@example.com", &[], content()).unwrap_err(),
            InvalidMail::Recipients
        );
    }
}
