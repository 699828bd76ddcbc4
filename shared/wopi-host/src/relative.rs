//! PutRelativeFile: a new file next to the current one (Save As, and the target of legacy →
//! modern conversion). Two modes, exactly one of which Office sends:
//! * suggested (`X-WOPI-SuggestedTarget`): an extension (".docx": keep the source's base name)
//!   or a full name; we adjust the name until it is free and valid — never 400/409;
//! * relative (`X-WOPI-RelativeTarget`): exactly that name; invalid → 400, taken → 409 unless
//!   `X-WOPI-OverwriteRelativeTarget: true`, and a locked target → 409 with its lock.
//!
//! Both headers UTF-7 encoded. The answer names the new file and gives its WOPI URL with a fresh
//! access token for the same user.

use bridge_blobs::ByteStream;
use bridge_core::tenant::Right;
use bridge_documents::{DocError, Document, DocumentName, PageRequest, VersionCause};
use bridge_wopi::headers;
use bridge_wopi::lock::{self, LockOutcome};
use bridge_wopi::token::{self, DEFAULT_TOKEN_TTL_MS, TokenGrant};
use serde_json::json;

use crate::locks::{not_locked, stored_lock};
use crate::{Reply, Session, WopiError, WopiHost, decode_utf7};

/// The request headers of a PutRelativeFile.
#[derive(Debug, Clone, Copy, Default)]
pub struct RelativeRequest<'a> {
    /// `X-WOPI-SuggestedTarget`, UTF-7.
    pub suggested: Option<&'a str>,
    /// `X-WOPI-RelativeTarget`, UTF-7.
    pub relative: Option<&'a str>,
    /// `X-WOPI-OverwriteRelativeTarget`.
    pub overwrite: Option<&'a str>,
    /// Declared body length (`X-WOPI-Size` or `Content-Length`).
    pub size: Option<u64>,
    /// `X-WOPI-FileConversion` present: Office converted a legacy file (e.g. .doc → .docx) and
    /// saves the result next to it.
    pub conversion: bool,
    /// Where WOPI sources live, e.g. `https://api.example.com` (the new file's `Url` is built
    /// from it).
    pub wopi_base: &'a str,
}

/// Label of a document Office created by converting a legacy file (X-WOPI-FileConversion).
pub const CONVERTED_LABEL: &str = "converted";

/// Characters a suggested name may not keep; they become `_`.
const FORBIDDEN: &[char] = &['/', '\\', ':', '*', '?', '"', '<', '>', '|'];

fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_control() || FORBIDDEN.contains(&c) {
                '_'
            } else {
                c
            }
        })
        .collect()
}

/// `name` as UTF-7 when it is plain ASCII (the only case we need to send back).
fn utf7_ascii(name: &str) -> Option<String> {
    name.chars()
        .all(|c| c.is_ascii() && !c.is_ascii_control())
        .then(|| name.replace('+', "+-"))
}

/// `base (n).ext`
fn numbered(name: &DocumentName, n: usize) -> String {
    let ext = name.extension();
    let full = name.as_str();
    let base = &full[..full.len().saturating_sub(ext.len() + 1)];
    format!("{base} ({n}).{ext}")
}

impl WopiHost {
    async fn names_in_client(&self, s: &Session) -> Result<Vec<(String, Document)>, WopiError> {
        let mut out = Vec::new();
        let mut page = PageRequest::first(500);
        loop {
            let listing = self
                .docs
                .list(s.tenant, s.doc.client_id, true, &page)
                .await?;
            for summary in listing.items {
                if let Ok(doc) = self.docs.get(s.tenant, summary.doc_id).await {
                    out.push((summary.name.to_lowercase(), doc));
                }
            }
            match listing.next {
                Some(c) => page = PageRequest::after(Some(c), 500),
                None => return Ok(out),
            }
        }
    }

    /// PutRelativeFile.
    pub async fn put_relative(
        &self,
        s: &Session,
        req: RelativeRequest<'_>,
        body: ByteStream,
    ) -> Result<Reply, WopiError> {
        if !s.user.has(Right::AddDocument) {
            return Err(WopiError::unauthorized("this user may not create files"));
        }
        if req.size.is_some_and(|n| n > self.settings.max_put_bytes) {
            return Err(WopiError::new(413, "larger than the upload limit"));
        }
        let existing = self.names_in_client(s).await?;
        let find = |name: &str| {
            existing
                .iter()
                .find(|(n, _)| *n == name.to_lowercase())
                .map(|(_, d)| d)
        };
        let (name, overwrite_target) = match (req.suggested, req.relative) {
            (Some(_), Some(_)) | (None, None) => {
                return Err(WopiError::new(
                    501,
                    "send exactly one of X-WOPI-SuggestedTarget and X-WOPI-RelativeTarget",
                ));
            }
            (Some(raw), None) => {
                let target = decode_utf7(raw)
                    .ok_or_else(|| WopiError::new(400, "X-WOPI-SuggestedTarget is not UTF-7"))?;
                let wanted = if target.starts_with('.') {
                    let source = &s.doc.name;
                    let base = source.rsplit_once('.').map_or(source.as_str(), |(b, _)| b);
                    format!("{base}{target}")
                } else {
                    target
                };
                let parsed = DocumentName::parse(&sanitize(&wanted))
                    .or_else(|_| DocumentName::parse(&format!("Document{}", sanitize(&wanted))))
                    .map_err(|e| WopiError::new(400, e.to_string()))?;
                let mut name = parsed.as_str().to_string();
                let mut n = 1;
                while find(&name).is_some() {
                    name = numbered(&parsed, n);
                    n += 1;
                }
                (name, None)
            }
            (None, Some(raw)) => {
                let target = decode_utf7(raw)
                    .ok_or_else(|| WopiError::new(400, "X-WOPI-RelativeTarget is not UTF-7"))?;
                let parsed = match DocumentName::parse(&target) {
                    Ok(p) => p,
                    Err(e) => {
                        let mut r = Reply {
                            status: 400,
                            headers: Vec::new(),
                            body: None,
                        };
                        if let Some(valid) = DocumentName::parse(&sanitize(&target))
                            .ok()
                            .and_then(|p| utf7_ascii(p.as_str()))
                        {
                            r = r.header(headers::VALID_RELATIVE_TARGET, valid);
                        }
                        tracing::info!(reason = %e, "PutRelativeFile: invalid relative target");
                        return Ok(r);
                    }
                };
                let overwrite = req
                    .overwrite
                    .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
                match find(parsed.as_str()) {
                    None => (parsed.as_str().to_string(), None),
                    Some(doc) => {
                        let now = self.now();
                        let outcome =
                            lock::put_relative_target(stored_lock(doc).as_ref(), overwrite, now);
                        if outcome != LockOutcome::Proceed {
                            return Ok(Reply::from_outcome(&outcome));
                        }
                        if !overwrite {
                            let mut n = 1;
                            let mut free = numbered(&parsed, n);
                            while find(&free).is_some() {
                                n += 1;
                                free = numbered(&parsed, n);
                            }
                            let mut r = Reply {
                                status: 409,
                                headers: Vec::new(),
                                body: None,
                            };
                            if let Some(v) = utf7_ascii(&free) {
                                r = r.header(headers::VALID_RELATIVE_TARGET, v);
                            }
                            return Ok(r);
                        }
                        (parsed.as_str().to_string(), Some(doc.clone()))
                    }
                }
            }
        };
        let doc = match overwrite_target {
            Some(target) => {
                let guard = not_locked(self.now());
                match self
                    .docs
                    .save_new_version(
                        s.tenant,
                        &s.user,
                        target.doc_id,
                        body,
                        Some(guard),
                        VersionCause::Save,
                    )
                    .await
                {
                    Ok(out) => out.document,
                    Err(DocError::PreconditionFailed(_)) => {
                        let now_doc = self.docs.get(s.tenant, target.doc_id).await?;
                        return Ok(Reply::from_outcome(&lock::put_relative_target(
                            stored_lock(&now_doc).as_ref(),
                            true,
                            self.now(),
                        )));
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            None => {
                // A converted file keeps the source's labels and says where it came from, so
                // the client's list shows both files for what they are (the source stays).
                let labels = if req.conversion {
                    let mut labels = s.doc.labels.clone();
                    labels.push(CONVERTED_LABEL.to_string());
                    labels
                } else {
                    Vec::new()
                };
                self.docs
                    .upload_with_labels(s.tenant, &s.user, s.doc.client_id, &name, &labels, body)
                    .await?
            }
        };
        // The same permission as the caller's token: CheckFileInfo still reports per file type
        // whether the content can be edited, and the caller may rename or delete its new file.
        let permission = s.claims.permission;
        let grant = TokenGrant {
            tenant_id: s.tenant.to_string(),
            user_id: s.user.id.to_string(),
            document_id: doc.doc_id.to_string(),
            permission,
            jti: uuid::Uuid::new_v4().to_string(),
        };
        let issued = token::issue(&self.key, &grant, self.now(), DEFAULT_TOKEN_TTL_MS)
            .map_err(|e| WopiError::new(500, e.to_string()))?;
        let url = format!(
            "{}/wopi/files/{}?access_token={}",
            req.wopi_base.trim_end_matches('/'),
            doc.doc_id,
            issued.access_token
        );
        // Office navigates to HostEditUrl after a conversion and offers both after Save As.
        let links = crate::links::AppLinks::new(req.wopi_base);
        let new_session = Session {
            doc: doc.clone(),
            can_write: false,
            ..s.clone()
        };
        let mut reply = json!({
            "Name": doc.name,
            "Url": url,
            "HostViewUrl": links.view(doc.doc_id),
        });
        if let Some(edit) = self.host_edit_url(&new_session, &links) {
            reply["HostEditUrl"] = json!(edit);
        }
        Ok(Reply::json(reply))
    }
}
