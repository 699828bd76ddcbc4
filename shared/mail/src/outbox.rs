//! The local transport: every mail becomes `<dir>/<id>.eml`, a complete MIME message any mail
//! program opens, so a developer running `bridge-local` reads what would have been sent.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use lettre::Message;
use lettre::message::{Mailbox, MultiPart};
use tokio::io::AsyncWriteExt;

use crate::transport::{MailTransport, OutgoingMail, SendError};

/// Name of the outbox folder inside the data directory.
pub const OUTBOX_DIR: &str = "outbox";

/// Writes each mail as `<dir>/<id>.eml`.
///
/// A mail is written to a temporary file and renamed into place, so a reader never sees half a
/// message, and a failure leaves no `.eml` behind (which is what makes it [`SendError::NotSent`]).
#[derive(Debug, Clone)]
pub struct EmlOutbox {
    dir: PathBuf,
}

impl EmlOutbox {
    /// An outbox writing into `dir` (created on first send).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The outbox of a data directory: `<data_dir>/outbox`.
    pub fn in_data_dir(data_dir: &Path) -> Self {
        Self::new(data_dir.join(OUTBOX_DIR))
    }

    /// The folder the files go to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file `mail` is written to.
    pub fn path_of(&self, mail: &OutgoingMail) -> PathBuf {
        self.dir.join(format!("{}.eml", mail.id))
    }
}

/// The MIME form of `mail`: `multipart/alternative` with the text part first and the HTML part
/// last (readers show the last part they can display), and `Message-ID: <id@m365-bridge>`.
pub fn to_mime(mail: &OutgoingMail) -> Result<Vec<u8>, String> {
    let mailbox = |a: &crate::transport::MailAddress| {
        a.as_str()
            .parse::<lettre::Address>()
            .map(Mailbox::from)
            .map_err(|_| "invalid address".to_owned())
    };
    let mut builder = Message::builder()
        .message_id(Some(format!("<{}@m365-bridge>", mail.id)))
        .from(mailbox(&mail.from)?)
        .subject(mail.subject.clone());
    for to in &mail.to {
        builder = builder.to(mailbox(to)?);
    }
    let message = builder
        .multipart(MultiPart::alternative_plain_html(
            mail.text.clone(),
            mail.html.clone(),
        ))
        .map_err(|e| format!("cannot build the MIME message: {e}"))?;
    Ok(message.formatted())
}

#[async_trait]
impl MailTransport for EmlOutbox {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), SendError> {
        let bytes = to_mime(mail).map_err(SendError::NotSent)?;
        let not_sent = |what: &str, e: std::io::Error| {
            SendError::NotSent(format!("outbox: cannot {what}: {}", e.kind()))
        };
        tokio::fs::create_dir_all(&self.dir)
            .await
            .map_err(|e| not_sent("create the folder", e))?;
        // A dot-file in the same folder: the rename below is atomic, and readers listing `*.eml`
        // never see it.
        let tmp = self.dir.join(format!(
            ".{}.{}.tmp",
            mail.id,
            uuid::Uuid::new_v4().simple()
        ));
        let written = async {
            let mut f = tokio::fs::File::create(&tmp).await?;
            f.write_all(&bytes).await?;
            f.sync_all().await
        }
        .await;
        if let Err(e) = written {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(not_sent("write", e));
        }
        if let Err(e) = tokio::fs::rename(&tmp, self.path_of(mail)).await {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(not_sent("rename into place", e));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::templates::MailKind;
    use crate::transport::MailId;

    fn mail(id: &str) -> OutgoingMail {
        let content = MailKind::Invitation {
            inviter_name: "Anna <script>".into(),
            tenant_name: "Zorg & Co".into(),
            accept_url: "https://bridge.example/invite/abc".into(),
            expires_at: 1_767_225_600_000,
        }
        .render()
        .unwrap();
        OutgoingMail::new(
            MailId::parse(id).unwrap(),
            "bridge@example.com",
            &["bram@example.nl".into(), "carla@example.nl".into()],
            content,
        )
        .unwrap()
    }

    /// The body of one MIME part, with its quoted-printable transfer encoding undone.
    fn part_body(part: &str) -> String {
        let (head, body) = part.split_once("\r\n\r\n").unwrap();
        assert!(
            head.contains("Content-Transfer-Encoding: quoted-printable"),
            "{head}"
        );
        let joined = body.replace("=\r\n", "");
        let mut out = Vec::new();
        let bytes = joined.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'=' && i + 2 < bytes.len() {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    }

    /// Unfolds header continuation lines and splits the head from the body.
    fn headers(eml: &str) -> Vec<(String, String)> {
        let head = eml.split("\r\n\r\n").next().unwrap().replace("\r\n ", " ");
        head.split("\r\n")
            .map(|l| {
                let (k, v) = l.split_once(':').unwrap();
                (k.to_ascii_lowercase(), v.trim().to_owned())
            })
            .collect()
    }

    #[tokio::test]
    async fn eml_file_is_a_well_formed_multipart_message() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = EmlOutbox::in_data_dir(dir.path());
        let m = mail("inv-1");
        outbox.send(&m).await.unwrap();

        let path = dir.path().join("outbox").join("inv-1.eml");
        assert_eq!(outbox.path_of(&m), path);
        let eml = std::fs::read_to_string(&path).unwrap();
        let h = headers(&eml);
        let get = |k: &str| {
            h.iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.as_str())
                .unwrap_or_else(|| panic!("no {k} header in {eml}"))
        };
        assert_eq!(get("subject"), "Anna <script> invites you to Zorg & Co");
        assert_eq!(get("from"), "bridge@example.com");
        assert_eq!(get("to"), "bram@example.nl, carla@example.nl");
        assert_eq!(get("message-id"), "<inv-1@m365-bridge>");
        assert_eq!(get("mime-version"), "1.0");
        assert!(get("date").contains("GMT") || get("date").contains("+0000"));
        let ct = get("content-type");
        assert!(ct.starts_with("multipart/alternative;"), "{ct}");
        let boundary = ct
            .split("boundary=")
            .nth(1)
            .unwrap()
            .trim_matches('"')
            .to_owned();

        // Exactly two parts, text then HTML, and the closing delimiter.
        let body = eml.split_once("\r\n\r\n").unwrap().1;
        let parts: Vec<&str> = body.split(&format!("--{boundary}")).collect();
        assert_eq!(parts.len(), 4, "preamble, text, html, epilogue: {body}");
        assert!(parts[3].starts_with("--"), "closing delimiter");
        assert!(parts[1].contains("Content-Type: text/plain; charset=utf-8"));
        assert!(parts[2].contains("Content-Type: text/html; charset=utf-8"));
        let (text, html) = (part_body(parts[1]), part_body(parts[2]));
        // MIME lines end in CRLF; the content is otherwise exactly what was rendered.
        assert_eq!(text.replace("\r\n", "\n").trim_end(), m.text.trim_end());
        assert_eq!(html.replace("\r\n", "\n").trim_end(), m.html.trim_end());
        assert!(text.contains("https://bridge.example/invite/abc"));
        assert!(html.contains("&lt;script&gt;"), "the HTML part is escaped");
        assert!(!html.contains("<script>"));
    }

    #[tokio::test]
    async fn no_partial_or_temporary_file_is_left_behind() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = EmlOutbox::new(dir.path().join("out"));
        outbox.send(&mail("a")).await.unwrap();
        outbox.send(&mail("b")).await.unwrap();
        let mut names: Vec<String> = std::fs::read_dir(outbox.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["a.eml", "b.eml"]);
    }

    #[tokio::test]
    async fn an_unwritable_outbox_reports_not_sent() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("not-a-dir");
        std::fs::write(&file, b"x").unwrap();
        let e = EmlOutbox::new(&file).send(&mail("a")).await.unwrap_err();
        assert!(matches!(e, SendError::NotSent(_)), "{e:?}");
        assert!(
            !e.to_string().contains("example"),
            "no address in the error"
        );
    }
}
