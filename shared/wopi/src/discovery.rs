//! Office's discovery XML (reference §8): which app handles which extension with which action,
//! the action URL templates, and the proof keys.
//!
//! Discovery is fetched and cached by the caller (refresh every 12–24 h, and again when a proof
//! fails or only verifies as [`crate::ProofMatch::ProofOldWithCurrentKey`]); this module only
//! parses text. Only the `external-https` net zone is used for Office for the web.
//!
//! Action URLs come from `urlsrc` templates such as
//! `https://…/wordeditorframe.aspx?<ui=UI_LLCC&><rs=DC_LLCC&><wopisrc=WOPI_SOURCE&>`. Each
//! `<name=PLACEHOLDER&>` is either filled (brackets dropped, value URL-encoded, the `&` kept) or,
//! when we have no value or do not know the placeholder, removed entirely — Microsoft adds new
//! placeholders at any time, and an unknown one must never leak into the URL.

use std::borrow::Cow;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};
use thiserror::Error;

use crate::proof::{ProofKeyAttributes, ProofKeyError, ProofKeys};

/// The net zone Office for the web's actions live in.
pub const EXTERNAL_HTTPS_ZONE: &str = "external-https";

/// Characters left as-is in query values: RFC 3986 unreserved (`A–Z a–z 0–9 - . _ ~`).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Encodes a query value (e.g. a WOPISrc) so it survives as one parameter.
pub fn encode_query_value(value: &str) -> String {
    utf8_percent_encode(value, QUERY_VALUE).to_string()
}

/// Why a discovery document cannot be used.
#[derive(Debug, Error)]
pub enum DiscoveryError {
    /// Not well-formed XML.
    #[error("discovery XML is malformed: {0}")]
    Xml(#[from] quick_xml::Error),
    /// An attribute could not be read.
    #[error("discovery XML has a malformed attribute: {0}")]
    Attribute(#[from] quick_xml::events::attributes::AttrError),
    /// The wanted net zone is absent.
    #[error("discovery has no net-zone named {0:?}")]
    ZoneNotFound(String),
    /// An element lacks an attribute we need.
    #[error("<{element}> without {attribute}")]
    MissingAttribute {
        /// Element name.
        element: &'static str,
        /// Attribute name.
        attribute: &'static str,
    },
    /// The `<proof-key>` element is present but unusable. Fail closed: without trustworthy keys
    /// no request can be verified.
    #[error(transparent)]
    ProofKey(#[from] ProofKeyError),
}

/// An Office app in discovery (`<app>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    /// `name`, e.g. `Word`, `Excel`, `PowerPoint`, `WordPdf`, `WopiTest`.
    pub name: String,
    /// `favIconUrl`: the host page's favicon when this app is open.
    pub fav_icon_url: Option<String>,
    /// `checkLicense="true"`: editing needs a business licence (business flow).
    pub check_license: bool,
    /// The app's actions.
    pub actions: Vec<Action>,
}

/// One `<action>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    /// `name`: `view`, `edit`, `editnew`, `convert`, `embedview`, …
    pub name: String,
    /// `ext`, lower-cased (absent for progid-only actions).
    pub ext: Option<String>,
    /// `progid` (OneNote notebooks and the like).
    pub progid: Option<String>,
    /// `urlsrc`: the URL template.
    pub urlsrc: String,
    /// `requires`, split on commas: `locks`, `update`, `cobalt`, `containers`, …
    pub requires: Vec<String>,
    /// `default="true"`.
    pub is_default: bool,
    /// `targetext` of a `convert` action (e.g. `docx`).
    pub target_ext: Option<String>,
    /// Name of the owning app.
    pub app: String,
}

/// Values for the `urlsrc` placeholders. Only [`ActionUrlParams::wopi_src`] is required; every
/// `None`/`false` placeholder is removed from the URL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionUrlParams {
    /// `WOPI_SOURCE`: `https://wopi.example.com/wopi/files/{id}` — never with the token.
    pub wopi_src: String,
    /// `UI_LLCC`: UI language, RFC 1766 (e.g. `en-US`, `nl-NL`).
    pub ui_llcc: Option<String>,
    /// `DC_LLCC`: data/calculation language.
    pub dc_llcc: Option<String>,
    /// `BUSINESS_USER` = `1`: mandatory on every action for business users.
    pub business_user: bool,
    /// `DISABLE_CHAT` = `1`.
    pub disable_chat: bool,
    /// `HOST_SESSION_ID`.
    pub host_session_id: Option<String>,
    /// `SESSION_CONTEXT` (echoed back in `X-WOPI-SessionContext`; counts toward the URL limit).
    pub session_context: Option<String>,
    /// `VALIDATOR_TEST_CATEGORY`: `All`, `OfficeOnline` or `OfficeNativeClient`.
    pub validator_test_category: Option<String>,
    /// `wd*` query parameters from our host page URL, passed on unchanged (already encoded).
    pub wd_params: Vec<(String, String)>,
}

impl ActionUrlParams {
    /// Parameters with only the WOPISrc set.
    pub fn new(wopi_src: impl Into<String>) -> ActionUrlParams {
        ActionUrlParams {
            wopi_src: wopi_src.into(),
            ..ActionUrlParams::default()
        }
    }

    /// The value for a placeholder, or `None` to drop it (unknown, or we have no value).
    fn value_for(&self, placeholder: &str) -> Option<Cow<'_, str>> {
        fn flag(on: bool) -> Option<Cow<'static, str>> {
            on.then_some(Cow::Borrowed("1"))
        }
        fn text(v: &Option<String>) -> Option<Cow<'_, str>> {
            v.as_deref().map(Cow::Borrowed)
        }
        match placeholder {
            "WOPI_SOURCE" => Some(Cow::Borrowed(self.wopi_src.as_str())),
            "UI_LLCC" => text(&self.ui_llcc),
            "DC_LLCC" => text(&self.dc_llcc),
            "BUSINESS_USER" => flag(self.business_user),
            "DISABLE_CHAT" => flag(self.disable_chat),
            "HOST_SESSION_ID" => text(&self.host_session_id),
            "SESSION_CONTEXT" => text(&self.session_context),
            "VALIDATOR_TEST_CATEGORY" => text(&self.validator_test_category),
            _ => None,
        }
    }
}

/// Why an action URL cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ActionUrlError {
    /// `WOPI_SOURCE` must always be filled.
    #[error("WOPISrc is empty")]
    MissingWopiSrc,
    /// A `wd*` pass-through parameter that is not `wd…`.
    #[error("only wd* parameters may be passed through, got {0:?}")]
    NotAWdParam(String),
}

impl Action {
    /// Builds the URL to post the host page's form to. Known placeholders with a value are
    /// filled (value URL-encoded, trailing `&` kept); every other `<…>` group is removed. If the
    /// template has no `WOPI_SOURCE` placeholder (Office Online Server templates), `WOPISrc=` is
    /// appended. `wd*` parameters are appended last, unchanged.
    pub fn url(&self, params: &ActionUrlParams) -> Result<String, ActionUrlError> {
        if params.wopi_src.trim().is_empty() {
            return Err(ActionUrlError::MissingWopiSrc);
        }
        let mut out = String::with_capacity(self.urlsrc.len() + params.wopi_src.len() * 3);
        let mut has_wopi_src = false;
        let mut rest = self.urlsrc.as_str();
        while let Some(open) = rest.find('<') {
            out.push_str(&rest[..open]);
            let Some(close) = rest[open..].find('>').map(|c| open + c) else {
                // An unterminated '<' is not a placeholder; keep the text.
                out.push_str(&rest[open..]);
                rest = "";
                break;
            };
            let inner = &rest[open + 1..close];
            if let Some((name, placeholder)) = inner.split_once('=') {
                let (placeholder, amp) = match placeholder.strip_suffix('&') {
                    Some(p) => (p, "&"),
                    None => (placeholder, ""),
                };
                if let Some(value) = params.value_for(placeholder) {
                    has_wopi_src |= placeholder == "WOPI_SOURCE";
                    out.push_str(name);
                    out.push('=');
                    out.push_str(&encode_query_value(&value));
                    out.push_str(amp);
                }
            }
            rest = &rest[close + 1..];
        }
        out.push_str(rest);
        if !has_wopi_src {
            push_query_param(&mut out, "WOPISrc", &encode_query_value(&params.wopi_src));
        }
        for (k, v) in &params.wd_params {
            if !k.starts_with("wd") {
                return Err(ActionUrlError::NotAWdParam(k.clone()));
            }
            push_query_param(&mut out, k, v);
        }
        Ok(out)
    }
}

fn push_query_param(url: &mut String, key: &str, value: &str) {
    if !url.contains('?') {
        url.push('?');
    } else if !url.ends_with('?') && !url.ends_with('&') {
        url.push('&');
    }
    url.push_str(key);
    url.push('=');
    url.push_str(value);
}

/// A parsed discovery document (one net zone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovery {
    apps: Vec<App>,
    proof_keys: Option<ProofKeys>,
}

impl Discovery {
    /// Parses discovery XML, keeping the `external-https` zone (Office for the web).
    pub fn parse(xml: &str) -> Result<Discovery, DiscoveryError> {
        Discovery::parse_zone(xml, EXTERNAL_HTTPS_ZONE)
    }

    /// Parses discovery XML, keeping the named net zone (e.g. `internal-http` for an Office
    /// Online Server test rig).
    pub fn parse_zone(xml: &str, zone: &str) -> Result<Discovery, DiscoveryError> {
        let xml = xml.strip_prefix('\u{feff}').unwrap_or(xml);
        let mut reader = Reader::from_str(xml);
        reader.config_mut().trim_text(true);

        let mut zone_found = false;
        let mut in_zone = false;
        let mut apps: Vec<App> = Vec::new();
        let mut in_app = false;
        let mut proof_keys = None;

        loop {
            let (element, is_empty) = match reader.read_event()? {
                Event::Start(e) => (e, false),
                Event::Empty(e) => (e, true),
                Event::End(e) => {
                    match e.local_name().as_ref() {
                        "net-zone" => in_zone = false,
                        "app" => in_app = false,
                        _ => {}
                    }
                    continue;
                }
                Event::Eof => break,
                _ => continue,
            };
            match element.local_name().as_ref() {
                "net-zone" => {
                    let name = attr(&element, "name")?.unwrap_or_default();
                    in_zone = name.eq_ignore_ascii_case(zone) && !is_empty;
                    zone_found |= name.eq_ignore_ascii_case(zone);
                }
                "app" if in_zone => {
                    apps.push(App {
                        name: attr(&element, "name")?.ok_or(DiscoveryError::MissingAttribute {
                            element: "app",
                            attribute: "name",
                        })?,
                        fav_icon_url: attr(&element, "favIconUrl")?,
                        check_license: is_true(attr(&element, "checkLicense")?),
                        actions: Vec::new(),
                    });
                    in_app = !is_empty;
                }
                "action" if in_zone && in_app => {
                    if let Some(app) = apps.last_mut() {
                        let action = parse_action(&element, &app.name)?;
                        app.actions.push(action);
                    }
                }
                "proof-key" => {
                    let v = |name: &str| attr(&element, name);
                    let (value, modulus, exponent) = (v("value")?, v("modulus")?, v("exponent")?);
                    let (old_value, old_modulus, old_exponent) =
                        (v("oldvalue")?, v("oldmodulus")?, v("oldexponent")?);
                    proof_keys = Some(ProofKeys::from_attributes(ProofKeyAttributes {
                        value: value.as_deref(),
                        modulus: modulus.as_deref(),
                        exponent: exponent.as_deref(),
                        old_value: old_value.as_deref(),
                        old_modulus: old_modulus.as_deref(),
                        old_exponent: old_exponent.as_deref(),
                    })?);
                }
                _ => {}
            }
        }
        if !zone_found {
            return Err(DiscoveryError::ZoneNotFound(zone.to_owned()));
        }
        Ok(Discovery { apps, proof_keys })
    }

    /// The apps of the zone, in document order.
    pub fn apps(&self) -> &[App] {
        &self.apps
    }

    /// Every action for an extension (case-insensitive, leading dot tolerated), in document order.
    pub fn actions_for<'a>(&'a self, ext: &str) -> impl Iterator<Item = &'a Action> + 'a {
        let ext = crate::filetypes::normalize_ext(ext);
        self.apps
            .iter()
            .flat_map(|a| a.actions.iter())
            .filter(move |a| a.ext.as_deref() == Some(ext.as_str()))
    }

    /// The first action named `action_name` (`view`, `edit`, …) for `ext`.
    pub fn action(&self, ext: &str, action_name: &str) -> Option<&Action> {
        self.actions_for(ext)
            .find(|a| a.name.eq_ignore_ascii_case(action_name))
    }

    /// Builds the URL of `action_name` for `ext`; `None` when discovery offers no such action.
    pub fn action_url(
        &self,
        ext: &str,
        action_name: &str,
        params: &ActionUrlParams,
    ) -> Option<Result<String, ActionUrlError>> {
        self.action(ext, action_name).map(|a| a.url(params))
    }

    /// The app that opens `ext`: the owner of its `view` action, else of its first action.
    pub fn app_for(&self, ext: &str) -> Option<&App> {
        let action = self
            .action(ext, "view")
            .or_else(|| self.actions_for(ext).next())?;
        self.apps.iter().find(|a| a.name == action.app)
    }

    /// The favicon to show on the host page while `ext` is open.
    pub fn fav_icon_url(&self, ext: &str) -> Option<&str> {
        self.app_for(ext)?.fav_icon_url.as_deref()
    }

    /// The proof keys, if discovery has a `<proof-key>` element. `None` means no request can be
    /// verified: callers must reject every WOPI request until discovery provides keys.
    pub fn proof_keys(&self) -> Option<&ProofKeys> {
        self.proof_keys.as_ref()
    }
}

fn parse_action(e: &BytesStart<'_>, app: &str) -> Result<Action, DiscoveryError> {
    let lower = |s: Option<String>| {
        s.map(|v| v.trim().to_ascii_lowercase())
            .filter(|v| !v.is_empty())
    };
    Ok(Action {
        name: attr(e, "name")?.ok_or(DiscoveryError::MissingAttribute {
            element: "action",
            attribute: "name",
        })?,
        ext: lower(attr(e, "ext")?),
        progid: attr(e, "progid")?,
        urlsrc: attr(e, "urlsrc")?.ok_or(DiscoveryError::MissingAttribute {
            element: "action",
            attribute: "urlsrc",
        })?,
        requires: attr(e, "requires")?
            .map(|r| {
                r.split(',')
                    .map(|s| s.trim().to_ascii_lowercase())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default(),
        is_default: is_true(attr(e, "default")?),
        target_ext: lower(attr(e, "targetext")?),
        app: app.to_owned(),
    })
}

/// Reads an attribute, unescaped (`&amp;` → `&`, `&lt;` → `<`), by exact name.
fn attr(e: &BytesStart<'_>, name: &str) -> Result<Option<String>, DiscoveryError> {
    for a in e.attributes() {
        let a = a?;
        if a.key.as_ref() == name {
            return Ok(Some(
                a.normalized_value(XmlVersion::Implicit1_0)?.into_owned(),
            ));
        }
    }
    Ok(None)
}

fn is_true(v: Option<String>) -> bool {
    v.is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const WOPI_SRC: &str =
        "https://wopi.example.com/wopi/files/0190f3c2-7d4e-7b1a-9c55-3b1f2a6d9e10";
    const WOPI_SRC_ENC: &str =
        "https%3A%2F%2Fwopi.example.com%2Fwopi%2Ffiles%2F0190f3c2-7d4e-7b1a-9c55-3b1f2a6d9e10";

    fn action(urlsrc: &str) -> Action {
        Action {
            name: "edit".into(),
            ext: Some("docx".into()),
            progid: None,
            urlsrc: urlsrc.into(),
            requires: vec![],
            is_default: false,
            target_ext: None,
            app: "Word".into(),
        }
    }

    #[test]
    fn query_values_are_percent_encoded_except_unreserved() {
        assert_eq!(encode_query_value(WOPI_SRC), WOPI_SRC_ENC);
        assert_eq!(
            encode_query_value("a b&c=d/é~._-"),
            "a%20b%26c%3Dd%2F%C3%A9~._-"
        );
    }

    #[test]
    fn known_placeholders_are_filled_and_unknown_ones_dropped() {
        let a = action(
            "https://word-edit.officeapps.live.com/we/wordeditorframe.aspx?<ui=UI_LLCC&><rs=DC_LLCC&><dchat=DISABLE_CHAT&><hid=HOST_SESSION_ID&><sc=SESSION_CONTEXT&><wopisrc=WOPI_SOURCE&><showpagestats=PERFSTATS&><IsLicensedUser=BUSINESS_USER&><actnavid=ACTIVITY_NAVIGATION_ID&>",
        );
        let params = ActionUrlParams {
            ui_llcc: Some("nl-NL".into()),
            dc_llcc: Some("nl-NL".into()),
            business_user: true,
            ..ActionUrlParams::new(WOPI_SRC)
        };
        assert_eq!(
            a.url(&params).expect("url"),
            format!(
                "https://word-edit.officeapps.live.com/we/wordeditorframe.aspx?ui=nl-NL&rs=nl-NL&wopisrc={WOPI_SRC_ENC}&IsLicensedUser=1&"
            )
        );
    }

    #[test]
    fn only_wopi_source_when_nothing_else_is_known() {
        let a = action(
            "https://x.example/f.aspx?<ui=UI_LLCC&><wopisrc=WOPI_SOURCE&><e=EMBEDDED&><new=NEW_PLACEHOLDER&>",
        );
        assert_eq!(
            a.url(&ActionUrlParams::new(WOPI_SRC)).expect("url"),
            format!("https://x.example/f.aspx?wopisrc={WOPI_SRC_ENC}&")
        );
    }

    #[test]
    fn fixed_query_parameters_before_placeholders_are_kept() {
        let a = action(
            "https://x.example/p/PowerPointFrame.aspx?PowerPointView=EditView&<ui=UI_LLCC&><dchat=DISABLE_CHAT&><wopisrc=WOPI_SOURCE&>",
        );
        let params = ActionUrlParams {
            disable_chat: true,
            ..ActionUrlParams::new("https://w/x")
        };
        assert_eq!(
            a.url(&params).expect("url"),
            "https://x.example/p/PowerPointFrame.aspx?PowerPointView=EditView&dchat=1&wopisrc=https%3A%2F%2Fw%2Fx&"
        );
    }

    #[test]
    fn all_supported_placeholders_are_filled_and_values_encoded() {
        let a = action(
            "https://x/f?<hid=HOST_SESSION_ID&><sc=SESSION_CONTEXT&><testcategory=VALIDATOR_TEST_CATEGORY&><wopisrc=WOPI_SOURCE>",
        );
        let params = ActionUrlParams {
            host_session_id: Some("h 1".into()),
            session_context: Some("a=b&c".into()),
            validator_test_category: Some("OfficeOnline".into()),
            ..ActionUrlParams::new("https://w/x")
        };
        assert_eq!(
            a.url(&params).expect("url"),
            "https://x/f?hid=h%201&sc=a%3Db%26c&testcategory=OfficeOnline&wopisrc=https%3A%2F%2Fw%2Fx"
        );
    }

    #[test]
    fn template_without_wopi_source_gets_wopisrc_appended() {
        // Office Online Server templates carry no WOPI_SOURCE placeholder.
        let a = action(
            "http://owaserver/x/_layouts/xlviewerinternal.aspx?edit=1&<ui=UI_LLCC&><rs=DC_LLCC&>",
        );
        assert_eq!(
            a.url(&ActionUrlParams::new("https://w/x")).expect("url"),
            "http://owaserver/x/_layouts/xlviewerinternal.aspx?edit=1&WOPISrc=https%3A%2F%2Fw%2Fx"
        );
        let a = action("http://owaserver/x/page.aspx?<ui=UI_LLCC&>");
        let params = ActionUrlParams {
            ui_llcc: Some("en-US".into()),
            ..ActionUrlParams::new("https://w/x")
        };
        assert_eq!(
            a.url(&params).expect("url"),
            "http://owaserver/x/page.aspx?ui=en-US&WOPISrc=https%3A%2F%2Fw%2Fx"
        );
        let a = action("http://owaserver/x/page.aspx");
        assert_eq!(
            a.url(&ActionUrlParams::new("https://w/x")).expect("url"),
            "http://owaserver/x/page.aspx?WOPISrc=https%3A%2F%2Fw%2Fx"
        );
    }

    #[test]
    fn wd_params_are_passed_through_unchanged_and_others_refused() {
        let a = action("https://x/f?<wopisrc=WOPI_SOURCE&>");
        let params = ActionUrlParams {
            wd_params: vec![
                ("wdPreviousSession".into(), "abc%2Fd".into()),
                ("wdOrigin".into(), "X".into()),
            ],
            ..ActionUrlParams::new("https://w/x")
        };
        assert_eq!(
            a.url(&params).expect("url"),
            "https://x/f?wopisrc=https%3A%2F%2Fw%2Fx&wdPreviousSession=abc%2Fd&wdOrigin=X"
        );
        let bad = ActionUrlParams {
            wd_params: vec![("access_token".into(), "t".into())],
            ..ActionUrlParams::new("https://w/x")
        };
        assert_eq!(
            a.url(&bad),
            Err(ActionUrlError::NotAWdParam("access_token".into()))
        );
    }

    #[test]
    fn empty_wopi_src_is_refused() {
        let a = action("https://x/f?<wopisrc=WOPI_SOURCE&>");
        assert_eq!(
            a.url(&ActionUrlParams::new(" ")),
            Err(ActionUrlError::MissingWopiSrc)
        );
    }

    #[test]
    fn unterminated_angle_bracket_is_kept_literally() {
        let a = action("https://x/f?<wopisrc=WOPI_SOURCE&><broken");
        assert_eq!(
            a.url(&ActionUrlParams::new("w")).expect("url"),
            "https://x/f?wopisrc=w&<broken"
        );
    }

    #[test]
    fn zone_must_exist() {
        let err =
            Discovery::parse("<wopi-discovery><net-zone name=\"internal-http\"/></wopi-discovery>")
                .expect_err("no external-https");
        assert!(matches!(err, DiscoveryError::ZoneNotFound(z) if z == "external-https"));
    }

    #[test]
    fn malformed_xml_is_an_error() {
        assert!(matches!(
            Discovery::parse("<wopi-discovery><net-zone name=\"external-https\"></wopi-discovery>"),
            Err(DiscoveryError::Xml(_))
        ));
    }

    #[test]
    fn action_without_urlsrc_is_an_error() {
        let xml = r#"<wopi-discovery><net-zone name="external-https"><app name="Word"><action name="view" ext="docx"/></app></net-zone></wopi-discovery>"#;
        assert!(matches!(
            Discovery::parse(xml),
            Err(DiscoveryError::MissingAttribute {
                element: "action",
                attribute: "urlsrc"
            })
        ));
    }

    #[test]
    fn discovery_without_proof_key_has_no_keys() {
        let xml = r#"<wopi-discovery><net-zone name="external-https"><app name="Word"><action name="view" ext="DOCX" urlsrc="https://x/v?&lt;wopisrc=WOPI_SOURCE&amp;&gt;"/></app></net-zone></wopi-discovery>"#;
        let d = Discovery::parse(xml).expect("parses");
        assert!(d.proof_keys().is_none());
        let a = d
            .action(".docx", "VIEW")
            .expect("ext and action name are case-insensitive");
        assert_eq!(
            a.urlsrc, "https://x/v?<wopisrc=WOPI_SOURCE&>",
            "attribute entities are unescaped"
        );
        assert_eq!(a.ext.as_deref(), Some("docx"));
    }

    #[test]
    fn broken_proof_key_fails_the_whole_parse() {
        let xml = r#"<wopi-discovery><net-zone name="external-https"/><proof-key value="bm90IGEga2V5" modulus="" exponent=""/></wopi-discovery>"#;
        assert!(matches!(
            Discovery::parse(xml),
            Err(DiscoveryError::ProofKey(_))
        ));
    }
}
