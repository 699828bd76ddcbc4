//! Discovery parsing and action URL building against `tests/fixtures/discovery.xml`, a fixture
//! shaped like Office for the web's public discovery, and the DOC-5 policy narrowed by it.

use std::path::PathBuf;

use bridge_wopi::discovery::{ActionUrlParams, Discovery, DiscoveryError};
use bridge_wopi::filetypes::{OpenMode, effective_open_mode, open_mode};

const WOPI_SRC: &str = "https://wopi.example.com/wopi/files/0190f3c2-7d4e-7b1a-9c55-3b1f2a6d9e10";
const WOPI_SRC_ENC: &str =
    "https%3A%2F%2Fwopi.example.com%2Fwopi%2Ffiles%2F0190f3c2-7d4e-7b1a-9c55-3b1f2a6d9e10";

fn fixture_xml() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/discovery.xml");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn discovery() -> Discovery {
    Discovery::parse(&fixture_xml()).expect("fixture parses")
}

fn business_nl() -> ActionUrlParams {
    ActionUrlParams {
        ui_llcc: Some("nl-NL".into()),
        dc_llcc: Some("nl-NL".into()),
        business_user: true,
        ..ActionUrlParams::new(WOPI_SRC)
    }
}

#[test]
fn apps_of_the_external_https_zone_are_parsed_in_order() {
    let d = discovery();
    let names: Vec<&str> = d.apps().iter().map(|a| a.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Word",
            "Excel",
            "PowerPoint",
            "WordPdf",
            "WopiTest",
            "OneNote"
        ]
    );
    let word = &d.apps()[0];
    assert!(word.check_license);
    assert_eq!(word.actions.len(), 15);
    assert!(!d.apps()[3].check_license, "WordPdf has no checkLicense");
}

#[test]
fn internal_zone_is_ignored_by_default_and_selectable_explicitly() {
    let d = discovery();
    let edit = d.action("docx", "edit").expect("edit docx");
    assert!(
        edit.urlsrc
            .starts_with("https://word-edit.officeapps.live.com/"),
        "{}",
        edit.urlsrc
    );
    let internal = Discovery::parse_zone(&fixture_xml(), "internal-http").expect("internal zone");
    assert_eq!(internal.apps().len(), 1);
    let edit = internal.action("docx", "edit").expect("internal edit");
    assert_eq!(
        edit.url(&ActionUrlParams::new("https://w/f/1"))
            .expect("url"),
        "http://owaserver/we/wordeditorframe.aspx?WOPISrc=https%3A%2F%2Fw%2Ff%2F1"
    );
    assert!(
        internal.proof_keys().is_some(),
        "proof-key sits outside the zones"
    );
    assert!(matches!(
        Discovery::parse_zone(&fixture_xml(), "external-http"),
        Err(DiscoveryError::ZoneNotFound(_))
    ));
}

#[test]
fn action_attributes_are_read() {
    let d = discovery();
    let view = d.action("DOCX", "view").expect("view docx");
    assert!(view.is_default);
    assert!(view.requires.is_empty());
    assert_eq!(view.app, "Word");
    let edit = d.action(".docx", "edit").expect("edit docx");
    assert_eq!(edit.requires, ["locks", "update"]);
    assert!(!edit.is_default);
    let convert = d.action("doc", "convert").expect("convert doc");
    assert_eq!(convert.target_ext.as_deref(), Some("docx"));
    assert_eq!(convert.requires, ["update"]);
    assert_eq!(
        d.action("pps", "convert")
            .and_then(|a| a.target_ext.as_deref()),
        Some("pptx")
    );
    assert_eq!(
        d.action("csv", "convert")
            .and_then(|a| a.target_ext.as_deref()),
        Some("xlsx")
    );
}

#[test]
fn missing_actions_are_none() {
    let d = discovery();
    assert!(d.action("pdf", "edit").is_none());
    assert!(d.action("doc", "edit").is_none());
    assert!(d.action("txt", "view").is_none());
    assert!(
        d.action("dotx", "edit").is_none(),
        "templates are editnew only"
    );
    assert!(
        d.action("", "view").is_none(),
        "progid-only actions match no extension"
    );
    assert!(d.action_url("txt", "view", &business_nl()).is_none());
}

#[test]
fn word_edit_url_is_built_exactly() {
    let d = discovery();
    assert_eq!(
        d.action_url("docx", "edit", &business_nl())
            .expect("action")
            .expect("url"),
        format!(
            "https://word-edit.officeapps.live.com/we/wordeditorframe.aspx?ui=nl-NL&rs=nl-NL&wopisrc={WOPI_SRC_ENC}&IsLicensedUser=1&"
        )
    );
}

#[test]
fn word_view_url_without_optional_values_keeps_only_wopisrc() {
    let d = discovery();
    assert_eq!(
        d.action_url("doc", "view", &ActionUrlParams::new(WOPI_SRC))
            .expect("action")
            .expect("url"),
        format!(
            "https://word-view.officeapps.live.com/wv/wordviewerframe.aspx?wopisrc={WOPI_SRC_ENC}&"
        )
    );
}

#[test]
fn excel_edit_url_keeps_its_fixed_parameters() {
    let d = discovery();
    let params = ActionUrlParams {
        disable_chat: true,
        ..business_nl()
    };
    assert_eq!(
        d.action_url("xlsx", "edit", &params)
            .expect("action")
            .expect("url"),
        format!(
            "https://excel.officeapps.live.com/x/_layouts/xlviewerinternal.aspx?edit=1&ui=nl-NL&rs=nl-NL&dchat=1&wopisrc={WOPI_SRC_ENC}&IsLicensedUser=1&"
        )
    );
}

#[test]
fn powerpoint_view_drops_the_unknown_element_type_placeholder() {
    let d = discovery();
    let params = ActionUrlParams {
        ui_llcc: Some("en-US".into()),
        ..ActionUrlParams::new(WOPI_SRC)
    };
    assert_eq!(
        d.action_url("pptx", "view", &params)
            .expect("action")
            .expect("url"),
        format!(
            "https://powerpoint.officeapps.live.com/p/PowerPointFrame.aspx?ui=en-US&wopisrc={WOPI_SRC_ENC}&"
        )
    );
    assert_eq!(
        d.action_url("pptx", "edit", &params)
            .expect("action")
            .expect("url"),
        format!(
            "https://powerpoint.officeapps.live.com/p/PowerPointFrame.aspx?PowerPointView=EditView&ui=en-US&wopisrc={WOPI_SRC_ENC}&"
        )
    );
}

#[test]
fn pdf_view_and_legacy_convert_urls() {
    let d = discovery();
    assert_eq!(
        d.action_url("pdf", "view", &business_nl())
            .expect("action")
            .expect("url"),
        format!(
            "https://word-view.officeapps.live.com/wv/wordviewerframe.aspx?PdfMode=1&ui=nl-NL&rs=nl-NL&wopisrc={WOPI_SRC_ENC}&IsLicensedUser=1&"
        )
    );
    assert_eq!(
        d.action_url("doc", "convert", &business_nl())
            .expect("action")
            .expect("url"),
        format!(
            "https://word-view.officeapps.live.com/wv/WordConvertAndEdit.aspx?ui=nl-NL&rs=nl-NL&wopisrc={WOPI_SRC_ENC}&IsLicensedUser=1&"
        )
    );
}

#[test]
fn wopitest_url_carries_the_validator_category_and_session_values() {
    let d = discovery();
    let params = ActionUrlParams {
        validator_test_category: Some("OfficeOnline".into()),
        host_session_id: Some("s-1".into()),
        session_context: Some("ctx/1".into()),
        ..ActionUrlParams::new(WOPI_SRC)
    };
    assert_eq!(
        d.action_url("wopitest", "edit", &params)
            .expect("action")
            .expect("url"),
        format!(
            "https://onenote.officeapps.live.com/hosting/WopiTestFrame.aspx?hid=s-1&sc=ctx%2F1&wopisrc={WOPI_SRC_ENC}&testcategory=OfficeOnline&"
        )
    );
}

#[test]
fn no_placeholder_survives_in_any_built_url() {
    let d = discovery();
    let params = business_nl();
    for app in d.apps() {
        for a in &app.actions {
            let url = a.url(&params).expect("url");
            assert!(!url.contains('<') && !url.contains('>'), "{url}");
            assert!(url.contains(WOPI_SRC_ENC), "{url}");
            assert!(!url.contains(WOPI_SRC), "WOPISrc must be encoded: {url}");
        }
    }
}

#[test]
fn favicon_follows_the_app_of_the_extension() {
    let d = discovery();
    assert_eq!(
        d.fav_icon_url("docx"),
        Some("https://word-view.officeapps.live.com/wv/resources/1033/FavIcon_Word.ico")
    );
    assert_eq!(
        d.fav_icon_url(".XLS"),
        Some("https://excel.officeapps.live.com/x/_layouts/resources/FavIcon_Excel.ico")
    );
    assert_eq!(
        d.fav_icon_url("ppsx"),
        Some("https://powerpoint.officeapps.live.com/p/resources/1033/FavIcon_Ppt.ico")
    );
    assert_eq!(
        d.fav_icon_url("pdf"),
        Some("https://word-view.officeapps.live.com/wv/resources/1033/FavIcon_Word.ico")
    );
    assert_eq!(d.app_for("pdf").map(|a| a.name.as_str()), Some("WordPdf"));
    assert_eq!(d.fav_icon_url("txt"), None);
}

#[test]
fn fixture_offers_every_action_the_doc5_policy_needs() {
    // The static policy and the fixture (= the reference's discovery snapshot) agree, so the
    // effective mode equals the policy for every type the policy opens.
    let d = discovery();
    for ext in [
        "docx", "docm", "odt", "xlsx", "xlsm", "xlsb", "ods", "pptx", "ppsx", "odp", "doc", "xls",
        "csv", "ppt", "pps", "pdf", "dotx", "dotm", "dot", "rtf", "potx", "potm", "pot", "pptm",
        "ppsm", "txt", "xlt",
    ] {
        assert_eq!(
            effective_open_mode(ext, false, &d),
            open_mode(ext, false),
            "{ext}"
        );
    }
    assert_eq!(effective_open_mode("wopitest", true, &d), OpenMode::Edit);
    assert_eq!(
        effective_open_mode("wopitest", false, &d),
        OpenMode::DownloadOnly
    );
}

#[test]
fn effective_mode_narrows_when_discovery_drops_an_action() {
    let xml = r#"<wopi-discovery><net-zone name="external-https">
        <app name="Word" favIconUrl="https://w/i.ico">
          <action name="view" ext="docx" urlsrc="https://w/v?&lt;wopisrc=WOPI_SOURCE&amp;&gt;"/>
          <action name="view" ext="doc" urlsrc="https://w/v?&lt;wopisrc=WOPI_SOURCE&amp;&gt;"/>
        </app></net-zone></wopi-discovery>"#;
    let d = Discovery::parse(xml).expect("parses");
    assert_eq!(
        effective_open_mode("docx", false, &d),
        OpenMode::ViewOnly,
        "no edit action: view"
    );
    assert_eq!(
        effective_open_mode("doc", false, &d),
        OpenMode::ViewOnly,
        "no convert action: view"
    );
    assert_eq!(
        effective_open_mode("xlsx", false, &d),
        OpenMode::DownloadOnly,
        "nothing offered: download"
    );
    assert_eq!(
        effective_open_mode("pdf", false, &d),
        OpenMode::DownloadOnly
    );
    assert_eq!(
        effective_open_mode("txt", false, &d),
        OpenMode::DownloadOnly
    );
}

#[test]
fn a_bom_before_the_xml_declaration_is_tolerated() {
    let xml = format!("\u{feff}{}", fixture_xml());
    assert_eq!(Discovery::parse(&xml).expect("parses").apps().len(), 6);
}
