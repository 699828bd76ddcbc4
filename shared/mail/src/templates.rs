//! The kinds of e-mail and their rendering to subject + HTML + plain text.
//!
//! Each kind is a variant of [`MailKind`] carrying exactly the values its template shows, so a
//! producer cannot forget one and a template cannot reach for anything else (undefined values
//! are an error). Templates are files under `templates/`, compiled into the binary. The `.html`
//! ones escape every value (minijinja's auto-escaping, chosen by file extension), and every link
//! must pass [`check_link`]: e-mails never carry `javascript:` or plain-http links to other
//! hosts.
//!
//! An e-mail carries no secret except the single-use link it is about; the pages those links
//! open change nothing on GET (mail scanners click links).

use std::sync::LazyLock;

use bridge_core::clock::EpochMillis;
use minijinja::{Environment, UndefinedBehavior, Value, context};
use serde::{Deserialize, Serialize};

use crate::transport::MailAddress;

/// Longest name-like value accepted (names of people, tenants).
pub const MAX_NAME_CHARS: usize = 200;

/// Longest link accepted.
pub const MAX_URL_BYTES: usize = 2048;

/// An e-mail to send, with the values it shows. The JSON form (tag `template`) is what travels
/// in queue messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "template", rename_all = "snake_case")]
pub enum MailKind {
    /// USR-2/3/5: a user with "Manage users" invites someone to the tenant.
    Invitation {
        /// Who invites.
        inviter_name: String,
        /// The tenant the invitee would join.
        tenant_name: String,
        /// The single-use link to the invitation page.
        accept_url: String,
        /// When the invitation expires, epoch milliseconds.
        expires_at: EpochMillis,
    },
    /// USR-4: a Microsoft 365 user asks to join; sent to every user with "Manage users".
    JoinRequest {
        /// Who asks.
        requester_name: String,
        /// The requester's e-mail address, so the reviewer knows who it is.
        requester_email: String,
        /// The tenant asked to join.
        tenant_name: String,
        /// The users page where the request is approved.
        review_url: String,
    },
    /// PAR-4: a relation manager asks another environment's relation manager for a relation.
    RelationRequest {
        /// The asking environment.
        from_tenant_name: String,
        /// The asking relation manager.
        from_user_name: String,
        /// The single-use link to the request page.
        accept_url: String,
        /// When the request expires, epoch milliseconds.
        expires_at: EpochMillis,
    },
    /// PAR-5: tells the asking relation manager that the partner accepted.
    RelationAccepted {
        /// The environment that accepted.
        partner_tenant_name: String,
        /// Who accepted there.
        accepted_by_name: String,
        /// The partners page.
        partners_url: String,
    },
    /// A test e-mail for operators checking that mail reaches a mailbox.
    Test {
        /// The tenant the test is for.
        tenant_name: String,
    },
}

/// A rendered e-mail.
#[derive(Clone, PartialEq, Eq)]
pub struct RenderedMail {
    /// One line, free of control characters.
    pub subject: String,
    /// HTML body, every value escaped.
    pub html: String,
    /// Plain-text body.
    pub text: String,
}

impl std::fmt::Debug for RenderedMail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Content carries names and a single-use link: never in logs.
        f.write_str("RenderedMail { .. }")
    }
}

/// Why an e-mail could not be rendered. Names the field, never its value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// A link is not https (or http to this machine), or is malformed.
    #[error(
        "{field}: links must be https:// (or http:// to 127.0.0.1/localhost) with a plain host"
    )]
    UnsafeLink {
        /// The field.
        field: &'static str,
    },
    /// A required value is empty.
    #[error("{field} must not be empty")]
    Empty {
        /// The field.
        field: &'static str,
    },
    /// A value is longer than allowed.
    #[error("{field} is too long")]
    TooLong {
        /// The field.
        field: &'static str,
    },
    /// A value is malformed (e.g. an e-mail address that is not one).
    #[error("{field} is invalid")]
    Invalid {
        /// The field.
        field: &'static str,
    },
    /// A template failed (a bug in the template files; tests render every kind).
    #[error("template error: {0}")]
    Template(String),
}

impl MailKind {
    /// Short name of the kind, for logs and metrics.
    pub fn name(&self) -> &'static str {
        match self {
            MailKind::Invitation { .. } => "invitation",
            MailKind::JoinRequest { .. } => "join_request",
            MailKind::RelationRequest { .. } => "relation_request",
            MailKind::RelationAccepted { .. } => "relation_accepted",
            MailKind::Test { .. } => "test",
        }
    }

    /// Checks the values and renders subject, HTML and text.
    pub fn render(&self) -> Result<RenderedMail, RenderError> {
        let ctx = match self {
            MailKind::Invitation {
                inviter_name,
                tenant_name,
                accept_url,
                expires_at,
            } => context! {
                inviter_name => name("inviter_name", inviter_name)?,
                tenant_name => name("tenant_name", tenant_name)?,
                accept_url => link("accept_url", accept_url)?,
                expires_at => format_utc(*expires_at),
            },
            MailKind::JoinRequest {
                requester_name,
                requester_email,
                tenant_name,
                review_url,
            } => context! {
                requester_name => name("requester_name", requester_name)?,
                requester_email => MailAddress::parse(requester_email, "requester_email")
                    .map_err(|_| RenderError::Invalid { field: "requester_email" })?
                    .as_str(),
                tenant_name => name("tenant_name", tenant_name)?,
                review_url => link("review_url", review_url)?,
            },
            MailKind::RelationRequest {
                from_tenant_name,
                from_user_name,
                accept_url,
                expires_at,
            } => context! {
                from_tenant_name => name("from_tenant_name", from_tenant_name)?,
                from_user_name => name("from_user_name", from_user_name)?,
                accept_url => link("accept_url", accept_url)?,
                expires_at => format_utc(*expires_at),
            },
            MailKind::RelationAccepted {
                partner_tenant_name,
                accepted_by_name,
                partners_url,
            } => context! {
                partner_tenant_name => name("partner_tenant_name", partner_tenant_name)?,
                accepted_by_name => name("accepted_by_name", accepted_by_name)?,
                partners_url => link("partners_url", partners_url)?,
            },
            MailKind::Test { tenant_name } => context! {
                tenant_name => name("tenant_name", tenant_name)?,
            },
        };
        render_files(self.name(), &ctx)
    }
}

/// The template files, compiled in. `(name, source)`; the extension picks the escaping.
const TEMPLATES: &[(&str, &str)] = &[
    ("layout.html", include_str!("../templates/layout.html")),
    ("button.html", include_str!("../templates/button.html")),
    ("footer.txt", include_str!("../templates/footer.txt")),
    (
        "invitation.subject.txt",
        include_str!("../templates/invitation.subject.txt"),
    ),
    (
        "invitation.html",
        include_str!("../templates/invitation.html"),
    ),
    (
        "invitation.txt",
        include_str!("../templates/invitation.txt"),
    ),
    (
        "join_request.subject.txt",
        include_str!("../templates/join_request.subject.txt"),
    ),
    (
        "join_request.html",
        include_str!("../templates/join_request.html"),
    ),
    (
        "join_request.txt",
        include_str!("../templates/join_request.txt"),
    ),
    (
        "relation_request.subject.txt",
        include_str!("../templates/relation_request.subject.txt"),
    ),
    (
        "relation_request.html",
        include_str!("../templates/relation_request.html"),
    ),
    (
        "relation_request.txt",
        include_str!("../templates/relation_request.txt"),
    ),
    (
        "relation_accepted.subject.txt",
        include_str!("../templates/relation_accepted.subject.txt"),
    ),
    (
        "relation_accepted.html",
        include_str!("../templates/relation_accepted.html"),
    ),
    (
        "relation_accepted.txt",
        include_str!("../templates/relation_accepted.txt"),
    ),
    (
        "test.subject.txt",
        include_str!("../templates/test.subject.txt"),
    ),
    ("test.html", include_str!("../templates/test.html")),
    ("test.txt", include_str!("../templates/test.txt")),
];

/// The template environment, built once. A template that does not compile is kept as the
/// error and reported by every render (tests render every kind, so it never ships).
static ENV: LazyLock<Result<Environment<'static>, String>> = LazyLock::new(|| {
    let mut env = Environment::new();
    // A value the template names but the context lacks is an error, not an empty string.
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // The default auto-escape callback escapes `.html` (and `.htm`, `.xml`) and leaves `.txt`.
    for (name, source) in TEMPLATES {
        env.add_template(name, source).map_err(|e| e.to_string())?;
    }
    Ok(env)
});

fn render_files(kind: &str, ctx: &Value) -> Result<RenderedMail, RenderError> {
    let env = ENV.as_ref().map_err(|e| RenderError::Template(e.clone()))?;
    let render = |file: String| {
        env.get_template(&file)
            .and_then(|t| t.render(ctx))
            .map_err(|e| RenderError::Template(e.to_string()))
    };
    let subject = render(format!("{kind}.subject.txt"))?;
    Ok(RenderedMail {
        subject: one_line(&subject),
        html: render(format!("{kind}.html"))?,
        text: render(format!("{kind}.txt"))?,
    })
}

/// A name-like value: control and bidirectional-override characters become spaces (a name
/// cannot add lines to the text part or reorder what the reader sees), then trimmed, non-empty
/// and at most [`MAX_NAME_CHARS`].
fn name(field: &'static str, value: &str) -> Result<String, RenderError> {
    let v = one_line(value);
    if v.is_empty() {
        return Err(RenderError::Empty { field });
    }
    if v.chars().count() > MAX_NAME_CHARS {
        return Err(RenderError::TooLong { field });
    }
    Ok(v)
}

fn one_line(value: &str) -> String {
    let spoofing = |c: char| matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
    let cleaned: String = value
        .chars()
        .map(|c| {
            if c.is_control() || spoofing(c) {
                ' '
            } else {
                c
            }
        })
        .collect();
    cleaned.trim().to_owned()
}

fn link(field: &'static str, url: &str) -> Result<String, RenderError> {
    if url.len() > MAX_URL_BYTES {
        return Err(RenderError::TooLong { field });
    }
    if check_link(url) {
        Ok(url.to_owned())
    } else {
        Err(RenderError::UnsafeLink { field })
    }
}

/// Whether `url` may appear in an e-mail: `https://` with a plain host name or address, or
/// `http://` to this machine only (`127.0.0.1`, `localhost`, `[::1]`, for local runs). Printable
/// ASCII only, no user-info part (`https://good@evil`), no backslash (browsers read it as `/`).
pub fn check_link(url: &str) -> bool {
    if url.is_empty() || !url.chars().all(|c| c.is_ascii_graphic()) || url.contains('\\') {
        return false;
    }
    let lower = url.to_ascii_lowercase();
    let (rest, loopback_only) = if let Some(r) = lower.strip_prefix("https://") {
        (r, false)
    } else if let Some(r) = lower.strip_prefix("http://") {
        (r, true)
    } else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return false;
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        match v6.split_once(']') {
            Some((addr, tail)) if addr.chars().all(|c| c.is_ascii_hexdigit() || c == ':') => {
                (&authority[..addr.len() + 2], tail.strip_prefix(':'))
            }
            _ => return false,
        }
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if let Some(p) = port
        && (p.is_empty() || p.len() > 5 || !p.chars().all(|c| c.is_ascii_digit()))
    {
        return false;
    }
    let plain_host = |h: &str| {
        !h.is_empty()
            && !h.starts_with(['.', '-'])
            && h.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    };
    if loopback_only {
        matches!(host, "127.0.0.1" | "localhost" | "[::1]")
    } else {
        host.starts_with('[') || plain_host(host)
    }
}

/// `2025-01-31 14:05 UTC`: unambiguous for readers in any country.
pub fn format_utc(ms: EpochMillis) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let of_day = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        of_day / 3600,
        (of_day % 3600) / 60
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const EXP: EpochMillis = 1_767_225_600_000; // 2026-01-01 00:00 UTC

    fn invitation(inviter: &str, url: &str) -> MailKind {
        MailKind::Invitation {
            inviter_name: inviter.into(),
            tenant_name: "Zorg & Co".into(),
            accept_url: url.into(),
            expires_at: EXP,
        }
    }

    fn every_kind() -> Vec<MailKind> {
        vec![
            invitation("Anna", "https://bridge.example/invite/abc"),
            MailKind::JoinRequest {
                requester_name: "Bram".into(),
                requester_email: "bram@example.nl".into(),
                tenant_name: "Zorg".into(),
                review_url: "https://bridge.example/app/users".into(),
            },
            MailKind::RelationRequest {
                from_tenant_name: "Makelaar BV".into(),
                from_user_name: "Carla".into(),
                accept_url: "http://127.0.0.1:8080/relations/xyz".into(),
                expires_at: EXP,
            },
            MailKind::RelationAccepted {
                partner_tenant_name: "Makelaar BV".into(),
                accepted_by_name: "Dirk".into(),
                partners_url: "https://bridge.example/app/partners".into(),
            },
            MailKind::Test {
                tenant_name: "Zorg".into(),
            },
        ]
    }

    #[test]
    fn every_kind_renders_subject_html_and_text() {
        for kind in every_kind() {
            let r = kind.render().unwrap();
            assert!(
                !r.subject.is_empty() && !r.subject.contains('\n'),
                "{kind:?}"
            );
            assert!(r.html.starts_with("<!DOCTYPE html>"), "{kind:?}");
            assert!(!r.text.contains('<'), "{kind:?}: {}", r.text);
            assert!(r.text.contains("m365-bridge"), "footer included");
        }
        let r = every_kind()[0].render().unwrap();
        assert_eq!(r.subject, "Anna invites you to Zorg & Co");
        assert!(r.text.contains("https://bridge.example/invite/abc"));
        assert!(r.text.contains("2026-01-01 00:00 UTC"));
        assert!(r.html.contains("Zorg &amp; Co"));
        assert!(
            r.html
                .contains("href=\"https:&#x2f;&#x2f;bridge.example&#x2f;invite&#x2f;abc\"")
        );
    }

    #[test]
    fn html_escapes_every_value() {
        let evil = "<script>alert(1)</script>\"'";
        let r = invitation(evil, "https://bridge.example/i?a=1&b=\"x\"")
            .render()
            .unwrap();
        assert!(!r.html.contains("<script>"), "{}", r.html);
        assert!(
            r.html
                .contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;&quot;&#x27;")
        );
        assert!(
            !r.html.contains("b=\"x\""),
            "quotes in links cannot end the attribute"
        );
        // The text part shows the value as written: it is not HTML.
        assert!(r.text.contains(evil));
    }

    #[test]
    fn names_cannot_add_lines_or_reorder_text() {
        let r = invitation(
            "Anna\r\nClick https://evil.example\u{202E}",
            "https://b.example/",
        )
        .render()
        .unwrap();
        assert!(r.text.contains("Anna  Click https://evil.example invites"));
        assert!(!r.subject.contains('\n') && !r.subject.contains('\u{202E}'));
        assert_eq!(
            invitation(" \n ", "https://b.example/").render(),
            Err(RenderError::Empty {
                field: "inviter_name"
            })
        );
        assert_eq!(
            invitation(&"x".repeat(MAX_NAME_CHARS + 1), "https://b.example/").render(),
            Err(RenderError::TooLong {
                field: "inviter_name"
            })
        );
    }

    #[test]
    fn links_must_be_https_or_loopback_http() {
        for ok in [
            "https://bridge.example/invite/abc?x=1#y",
            "HTTPS://Bridge.Example:8443/a",
            "https://10.0.0.1/a",
            "http://127.0.0.1:3000/a",
            "http://localhost/a",
            "http://[::1]:8080/a",
        ] {
            assert!(check_link(ok), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            " https://bridge.example/",
            "data:text/html,<script>",
            "http://bridge.example/a",
            "http://localhost.evil.example/a",
            "http://127.0.0.1@evil.example/a",
            "https://good.example@evil.example/",
            "https://good.example\\@evil.example/",
            "https:///path",
            "https://",
            "https://exa mple.com/",
            "https://bridge.example/\u{00e9}",
            "https://host:port/",
            "//evil.example/a",
            "/relative",
            "",
        ] {
            assert!(!check_link(bad), "{bad:?}");
        }
        let e = invitation("Anna", "javascript:alert(document.cookie)")
            .render()
            .unwrap_err();
        assert_eq!(
            e,
            RenderError::UnsafeLink {
                field: "accept_url"
            }
        );
        assert!(
            !e.to_string().contains("javascript"),
            "the value is not repeated"
        );
    }

    #[test]
    fn join_request_needs_a_real_requester_address() {
        let k = MailKind::JoinRequest {
            requester_name: "Bram".into(),
            requester_email: "not an address".into(),
            tenant_name: "Zorg".into(),
            review_url: "https://bridge.example/app/users".into(),
        };
        assert_eq!(
            k.render(),
            Err(RenderError::Invalid {
                field: "requester_email"
            })
        );
    }

    #[test]
    fn the_wire_form_is_tagged_by_template() {
        let v = serde_json::to_value(MailKind::Test {
            tenant_name: "Z".into(),
        })
        .unwrap();
        assert_eq!(
            v,
            serde_json::json!({"template": "test", "tenant_name": "Z"})
        );
        let back: MailKind =
            serde_json::from_value(serde_json::to_value(every_kind()[0].clone()).unwrap()).unwrap();
        assert_eq!(back, every_kind()[0]);
    }

    #[test]
    fn dates_are_shown_in_utc() {
        assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_utc(951_827_696_000), "2000-02-29 12:34 UTC");
        assert_eq!(format_utc(EXP - 60_000), "2025-12-31 23:59 UTC");
    }
}
