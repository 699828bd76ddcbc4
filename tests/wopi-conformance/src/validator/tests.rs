//! Every validator kind against hand-made responses.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::json;

use super::*;
use crate::model::Resource;
use crate::xml::parse_document;

fn validators(xml: &str) -> Vec<Validator> {
    let element = parse_document(&format!("<Validators>{xml}</Validators>")).unwrap();
    crate::parse::parse_validators(&element, "test").unwrap()
}

fn response(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
    let headers = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Response::new(status, headers, body.as_bytes().to_vec(), true)
}

fn errors_with(xml: &str, response: &Response, state: &State, suite: &Suite) -> Vec<String> {
    let ctx = Context { state, suite };
    validators(xml)
        .iter()
        .flat_map(|v| v.validate(response, &ctx))
        .collect()
}

fn errors(xml: &str, response: &Response) -> Vec<String> {
    errors_with(xml, response, &State::default(), &Suite::default())
}

fn passes(xml: &str, response: &Response) -> bool {
    errors(xml, response).is_empty()
}

#[test]
fn response_code() {
    let ok = response(200, &[], "");
    assert!(passes(
        r#"<ResponseCodeValidator ExpectedCode="200" />"#,
        &ok
    ));
    assert_eq!(
        errors(r#"<ResponseCodeValidator ExpectedCode="404" />"#, &ok),
        vec!["Incorrect StatusCode. Expected: 404, Actual: 200".to_string()]
    );
}

#[test]
fn response_header_presence_and_equality() {
    let r = response(
        200,
        &[("X-WOPI-ItemVersion", "V1"), ("X-WOPI-Lock", "")],
        "",
    );
    assert!(
        passes(
            r#"<ResponseHeaderValidator Header="X-Missing" ExpectedValue="a" />"#,
            &r
        ),
        "optional by default"
    );
    assert_eq!(
        errors(
            r#"<ResponseHeaderValidator Header="X-Missing" IsRequired="true" />"#,
            &r
        ),
        vec!["'X-Missing' header is not present on the response".to_string()]
    );
    assert!(passes(
        r#"<ResponseHeaderValidator Header="x-wopi-itemversion" ExpectedValue="v1" />"#,
        &r
    ));
    assert!(!passes(
        r#"<ResponseHeaderValidator Header="X-WOPI-ItemVersion" ExpectedValue="v2" />"#,
        &r
    ));
    assert!(passes(
        r#"<ResponseHeaderValidator Header="X-WOPI-ItemVersion" ExpectedValue="v2" ShouldMatch="false" />"#,
        &r
    ));
    assert!(!passes(
        r#"<ResponseHeaderValidator Header="X-WOPI-ItemVersion" ExpectedValue="V1" ShouldMatch="false" />"#,
        &r
    ));
    assert_eq!(
        errors(
            r#"<ResponseHeaderValidator Header="X-WOPI-Lock" ExpectedValue="" ShouldMatch="false" />"#,
            &r
        ),
        vec!["'X-WOPI-Lock' header value should be any non empty string.".to_string()]
    );
    assert!(
        passes(
            r#"<ResponseHeaderValidator Header="X-WOPI-ItemVersion" IsRequired="true" />"#,
            &r
        ),
        "presence only"
    );
}

#[test]
fn response_header_state_and_comparators() {
    let r = response(
        200,
        &[("X-WOPI-ItemVersion", "v1"), ("X-WOPI-SequenceNumber", "5")],
        "",
    );
    let suite = Suite::default();
    let mut state = State::default();
    state.set("Version", Some("V1".into()));
    state.set("Empty", Some(String::new()));
    state.set("Seq", Some("4".into()));
    let check = |xml: &str| errors_with(xml, &r, &state, &suite);
    assert!(check(r#"<ResponseHeaderValidator Header="X-WOPI-ItemVersion" ExpectedStateKey="Version" ExpectedValue="other" />"#).is_empty());
    assert!(!check(r#"<ResponseHeaderValidator Header="X-WOPI-ItemVersion" ExpectedStateKey="Empty" ExpectedValue="other" />"#).is_empty());
    assert!(check(r#"<ResponseHeaderValidator Header="X-WOPI-ItemVersion" ExpectedStateKey="Version" ShouldMatch="false" />"#).len() == 1);
    assert!(check(r#"<ResponseHeaderValidator Header="X-WOPI-SequenceNumber" ExpectedStateKey="Seq" Comparator="&gt;" />"#).is_empty());
    assert!(check(r#"<ResponseHeaderValidator Header="X-WOPI-SequenceNumber" ExpectedValue="5" Comparator="&gt;=" />"#).is_empty());
    assert_eq!(
        check(
            r#"<ResponseHeaderValidator Header="X-WOPI-SequenceNumber" ExpectedValue="5" Comparator="&gt;" />"#
        ),
        vec!["headerVal:5 > comparedValue:5 comparison failed".to_string()]
    );
    assert!(check(r#"<ResponseHeaderValidator Header="X-WOPI-SequenceNumber" ExpectedValue="9" Comparator="&lt;" />"#).is_empty());
    assert_eq!(check(r#"<ResponseHeaderValidator Header="X-WOPI-ItemVersion" ExpectedValue="1" Comparator="&gt;" />"#).len(), 1);
    assert_eq!(
        check(
            r#"<ResponseHeaderValidator Header="X-WOPI-ItemVersion" ExpectedValue="1" Comparator="~" />"#
        ),
        vec!["Comparator '~' is not valid".to_string()]
    );
}

#[test]
fn lock_mismatch() {
    let v = r#"<LockMismatchValidator ExpectedLock="NewLockString" />"#;
    assert!(passes(
        v,
        &response(409, &[("X-WOPI-Lock", "newlockstring")], "")
    ));
    assert_eq!(
        errors(v, &response(409, &[], "")).len(),
        1,
        "header required for a non-empty lock"
    );
    assert_eq!(
        errors(v, &response(200, &[("X-WOPI-Lock", "NewLockString")], "")).len(),
        1
    );
    let empty = r#"<LockMismatchValidator ExpectedLock="" />"#;
    assert!(
        passes(empty, &response(409, &[], "")),
        "header optional for an empty lock"
    );
    assert!(passes(empty, &response(409, &[("X-WOPI-Lock", "")], "")));
    assert_eq!(
        errors(empty, &response(409, &[("X-WOPI-Lock", "stale")], "")).len(),
        1
    );
    assert!(passes(
        "<LockMismatchValidator />",
        &response(409, &[("X-WOPI-Lock", "any")], "")
    ));
}

#[test]
fn json_content_body_presence() {
    assert!(passes(
        r#"<JsonResponseContentValidator ShouldExist="false" />"#,
        &response(200, &[], "")
    ));
    assert_eq!(
        errors(
            r#"<JsonResponseContentValidator ShouldExist="false" />"#,
            &response(200, &[], "{}")
        ),
        vec!["Response body shouldn't exist.".to_string()]
    );
    assert_eq!(
        errors("<JsonResponseContentValidator />", &response(200, &[], "")).len(),
        1
    );
    assert_eq!(
        errors("<JsonResponseContentValidator />", &response(200, &[], "<html/>")),
        vec!["JsonContentValidator: JsonReaderException thrown while parsing JSON. Are you sure the response is JSON?".to_string()]
    );
    let binary = Response::new(200, vec![], b"{}".to_vec(), false);
    assert_eq!(
        errors("<JsonResponseContentValidator />", &binary).len(),
        1,
        "GetFile bodies are never text"
    );
}

#[test]
fn boolean_integer_and_long_properties() {
    let body = json!({"SupportsLocks": true, "UserCanWrite": "true", "Size": 74, "Count": 2.0, "Big": 5_000_000_000i64}).to_string();
    let r = response(200, &[], &body);
    let jv = |inner: &str| {
        format!("<JsonResponseContentValidator>{inner}</JsonResponseContentValidator>")
    };
    assert!(passes(
        &jv(r#"<BooleanProperty Name="SupportsLocks" ExpectedValue="true" IsRequired="true" />"#),
        &r
    ));
    assert_eq!(
        errors(
            &jv(r#"<BooleanProperty Name="SupportsLocks" ExpectedValue="false" />"#),
            &r
        ),
        vec![
            "Incorrect value for 'SupportsLocks' property. Expected: 'False', Actual: 'True'"
                .to_string()
        ]
    );
    assert!(
        passes(
            &jv(r#"<BooleanProperty Name="UserCanWrite" ExpectedValue="true" />"#),
            &r
        ),
        "Json.NET converts strings"
    );
    assert!(passes(
        &jv(r#"<BooleanProperty Name="Missing" ExpectedValue="true" />"#),
        &r
    ));
    assert_eq!(
        errors(
            &jv(r#"<BooleanProperty Name="Missing" ExpectedValue="true" IsRequired="true" />"#),
            &r
        ),
        vec!["Incorrect value for 'Missing' property. Required property missing".to_string()]
    );
    assert!(passes(
        &jv(r#"<IntegerProperty Name="Size" ExpectedValue="74" />"#),
        &r
    ));
    assert!(passes(
        &jv(r#"<IntegerProperty Name="Count" ExpectedValue="2" />"#),
        &r
    ));
    assert!(!passes(
        &jv(r#"<IntegerProperty Name="Size" ExpectedValue="75" />"#),
        &r
    ));
    assert!(
        !passes(
            &jv(r#"<IntegerProperty Name="Big" ExpectedValue="1" />"#),
            &r
        ),
        "overflows Int32"
    );
    assert!(passes(
        &jv(r#"<LongProperty Name="Big" ExpectedValue="5000000000" IsRequired="true" />"#),
        &r
    ));
    assert!(
        passes(&jv(r#"<LongProperty Name="Size" IsRequired="true" />"#), &r),
        "presence only"
    );
}

#[test]
fn unix_timestamp_properties_must_be_reasonable() {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let r = response(
        200,
        &[],
        &json!({"AccessTokenExpiry": now + 36_000_000, "ServerTime": 1000}).to_string(),
    );
    let jv = |inner: &str| {
        format!("<JsonResponseContentValidator>{inner}</JsonResponseContentValidator>")
    };
    assert!(passes(
        &jv(r#"<LongProperty Name="AccessTokenExpiry" IsRequired="true" />"#),
        &r
    ));
    assert_eq!(
        errors(
            &jv(r#"<LongProperty Name="ServerTime" IsRequired="true" />"#),
            &r
        )
        .len(),
        1
    );
    assert!(
        passes(
            &jv(r#"<LongProperty Name="ServerTime" ExpectedValue="1000" />"#),
            &r
        ),
        "explicit value wins"
    );
}

#[test]
fn string_properties() {
    let r = response(
        200,
        &[],
        &json!({"BaseFileName": "Test.WOPITEST", "Version": "v2", "Empty": ""}).to_string(),
    );
    let jv = |inner: &str| {
        format!("<JsonResponseContentValidator>{inner}</JsonResponseContentValidator>")
    };
    assert!(passes(
        &jv(
            r#"<StringProperty Name="BaseFileName" EndsWith=".wopitest" IsRequired="true" IgnoreCase="true" />"#
        ),
        &r
    ));
    assert_eq!(
        errors(&jv(r#"<StringProperty Name="BaseFileName" EndsWith=".wopitest" IsRequired="true" />"#), &r),
        vec!["Incorrect value for 'BaseFileName' property. Expected to end with: '.wopitest', Actual: 'Test.WOPITEST'".to_string()]
    );
    assert!(passes(
        &jv(r#"<StringProperty Name="Version" ExpectedValue="v2" />"#),
        &r
    ));
    assert!(!passes(
        &jv(r#"<StringProperty Name="Version" ExpectedValue="V2" />"#),
        &r
    ));
    assert!(passes(
        &jv(r#"<StringProperty Name="Version" ExpectedValue="V2" IgnoreCase="true" />"#),
        &r
    ));
    assert!(
        passes(
            &jv(r#"<StringProperty Name="Empty" ExpectedValue="x" />"#),
            &r
        ),
        "empty = absent"
    );
    assert!(!passes(
        &jv(r#"<StringProperty Name="Empty" EndsWith="x" IsRequired="true" />"#),
        &r
    ));

    let mut state = State::default();
    state.set("SavedVersion", Some("v2".into()));
    state.set("Blank", Some(String::new()));
    let suite = Suite::default();
    let check = |inner: &str| errors_with(&jv(inner), &r, &state, &suite);
    assert!(check(r#"<StringProperty Name="Version" ExpectedStateKey="SavedVersion" ExpectedValue="other" />"#).is_empty());
    assert_eq!(
        check(
            r#"<StringProperty Name="Version" ExpectedStateKey="Blank" ExpectedValue="other" />"#
        )
        .len(),
        1
    );
    assert!(check(r#"<StringProperty Name="Version" ExpectedStateKey="NeverSaved" />"#).is_empty());
}

#[test]
fn boolean_from_state_needs_a_boolean() {
    let r = response(200, &[], &json!({"IsEduUser": false}).to_string());
    let suite = Suite::default();
    let mut state = State::default();
    state.set("Edu", Some("False".into()));
    state.set("Junk", Some("maybe".into()));
    let jv = |inner: &str| {
        format!("<JsonResponseContentValidator>{inner}</JsonResponseContentValidator>")
    };
    assert!(
        errors_with(
            &jv(r#"<BooleanProperty Name="IsEduUser" ExpectedStateKey="Edu" />"#),
            &r,
            &state,
            &suite
        )
        .is_empty()
    );
    assert_eq!(
        errors_with(&jv(r#"<BooleanProperty Name="IsEduUser" ExpectedStateKey="Junk" />"#), &r, &state, &suite),
        vec!["Incorrect value for 'IsEduUser' property. ExpectedStateValue should be of type : System.Boolean".to_string()]
    );
    assert!(
        errors_with(&jv(r#"<BooleanProperty Name="IsEduUser" ExpectedStateKey="Junk" ExpectedValue="false" />"#), &r, &state, &suite)
            .is_empty(),
        "falls back to ExpectedValue"
    );
}

#[test]
fn regex_url_array_and_length_properties() {
    let body = json!({
        "CloseUrl": "https://host.example/close",
        "HostEditUrl": "https://word-edit.officeapps.live.com/we/x",
        "NullUrl": null,
        "EmptyUrl": "",
        "Url": "https://host/wopi/files/2?access_token=abc&access_token_ttl=0",
        "NoToken": "https://host/wopi/files/2",
        "Relative": "/wopi/files/2",
        "SupportedShareUrlTypes": ["ReadOnly", "ReadWrite"],
        "Table": [1, 2]
    });
    let r = response(200, &[], &body.to_string());
    let jv = |inner: &str| {
        format!("<JsonResponseContentValidator>{inner}</JsonResponseContentValidator>")
    };
    let office =
        r#"ExpectedValue="^https:\/\/.*?\.officeapps(-df)?\.live\.com.+" ShouldMatch="false""#;
    assert!(passes(
        &jv(&format!(
            r#"<StringRegexProperty Name="CloseUrl" {office} />"#
        )),
        &r
    ));
    assert_eq!(
        errors(
            &jv(&format!(
                r#"<StringRegexProperty Name="HostEditUrl" {office} />"#
            )),
            &r
        )
        .len(),
        1
    );
    assert!(passes(
        &jv(&format!(
            r#"<StringRegexProperty Name="Missing" {office} />"#
        )),
        &r
    ));
    assert_eq!(
        errors(
            &jv(&format!(
                r#"<StringRegexProperty Name="NullUrl" {office} />"#
            )),
            &r
        )
        .len(),
        1,
        "present null fails"
    );
    assert_eq!(
        errors(
            &jv(&format!(
                r#"<StringRegexProperty Name="EmptyUrl" {office} />"#
            )),
            &r
        )
        .len(),
        1,
        "present empty fails"
    );
    assert!(passes(
        &jv(r#"<StringRegexProperty Name="CloseUrl" ExpectedValue="^HTTPS" IgnoreCase="true" />"#),
        &r
    ));

    assert!(passes(
        &jv(
            r#"<AbsoluteUrlProperty Name="Url" IsRequired="true" MustIncludeAccessToken="true" />"#
        ),
        &r
    ));
    assert_eq!(
        errors(
            &jv(r#"<AbsoluteUrlProperty Name="NoToken" MustIncludeAccessToken="true" />"#),
            &r
        )
        .len(),
        1
    );
    assert_eq!(
        errors(&jv(r#"<AbsoluteUrlProperty Name="Relative" />"#), &r).len(),
        1
    );
    assert!(passes(
        &jv(r#"<AbsoluteUrlProperty Name="EmptyUrl" />"#),
        &r
    ));
    assert_eq!(
        errors(
            &jv(r#"<AbsoluteUrlProperty Name="Missing" IsRequired="true" />"#),
            &r
        )
        .len(),
        1
    );

    assert!(passes(
        &jv(
            r#"<ArrayProperty Name="SupportedShareUrlTypes" ContainsValue="readonly" IsRequired="true" />"#
        ),
        &r
    ));
    assert_eq!(
        errors(
            &jv(r#"<ArrayProperty Name="SupportedShareUrlTypes" ContainsValue="Edit" />"#),
            &r
        )
        .len(),
        1
    );
    assert!(passes(
        &jv(r#"<ArrayProperty Name="SupportedShareUrlTypes" IsRequired="true" />"#),
        &r
    ));
    assert_eq!(
        errors(
            &jv(r#"<ArrayProperty Name="CloseUrl" ContainsValue="x" />"#),
            &r
        )
        .len(),
        1,
        "not an array"
    );

    assert!(passes(
        &jv(r#"<ArrayLengthProperty Name="Table" ExpectedValue="2" IsRequired="true" />"#),
        &r
    ));
    assert_eq!(
        errors(
            &jv(r#"<ArrayLengthProperty Name="Table" ExpectedValue="3" />"#),
            &r
        )
        .len(),
        1
    );
    assert!(
        passes(
            &jv(r#"<ArrayLengthProperty Name="CloseUrl" ExpectedValue="3" />"#),
            &r
        ),
        "non-array ignored unless required"
    );
    assert_eq!(
        errors(
            &jv(r#"<ArrayLengthProperty Name="Missing" IsRequired="true" />"#),
            &r
        )
        .len(),
        1
    );
}

#[test]
fn json_paths_into_nested_values() {
    let body = json!({"AncestorsWithRootFirst": [{"Name": "root", "Url": "https://h/c/1?access_token=x"}], "List": [{"a": 1}, {"a": 2}]});
    let r = response(200, &[], &body.to_string());
    let jv = |inner: &str| {
        format!("<JsonResponseContentValidator>{inner}</JsonResponseContentValidator>")
    };
    assert!(passes(
        &jv(
            r#"<StringProperty Name="AncestorsWithRootFirst[0].Name" ExpectedValue="root" IsRequired="true" />"#
        ),
        &r
    ));
    assert!(passes(
        &jv(
            r#"<AbsoluteUrlProperty Name="AncestorsWithRootFirst[0].Url" MustIncludeAccessToken="true" />"#
        ),
        &r
    ));
    let multi = errors(
        &jv(r#"<IntegerProperty Name="List[0:2].a" ExpectedValue="1" />"#),
        &r,
    );
    assert_eq!(multi.len(), 1);
    assert!(multi[0].contains("multiple tokens"), "{multi:?}");
}

#[test]
fn json_schema_or_combination() {
    let mut suite = Suite::default();
    suite.schemas.insert("Basic".into(), json!({"type": "object", "required": ["BaseFileName"], "properties": {"SupportsCoauth": {"not": {}}}}));
    suite.schemas.insert(
        "Plus".into(),
        json!({"type": "object", "required": ["BaseFileName", "SupportsCoauth"]}),
    );
    let state = State::default();
    let xml =
        r#"<Or><JsonSchemaValidator Schema="Basic" /><JsonSchemaValidator Schema="Plus" /></Or>"#;
    let check = |body: &str| errors_with(xml, &response(200, &[], body), &state, &suite);
    assert!(check(r#"{"BaseFileName":"a"}"#).is_empty());
    assert!(check(r#"{"BaseFileName":"a","SupportsCoauth":true}"#).is_empty());
    assert_eq!(
        check(r#"{"SupportsCoauth":false}"#).len(),
        3,
        "both schemas' errors are reported"
    );
    assert_eq!(check("").len(), 2);
    assert_eq!(
        errors_with(
            r#"<JsonSchemaValidator Schema="Nope" />"#,
            &response(200, &[], "{}"),
            &state,
            &suite
        )
        .len(),
        1
    );
}

#[test]
fn response_content_matches_resource_or_text() {
    let mut suite = Suite::default();
    suite.resources.push(Resource {
        id: "Doc".into(),
        name: "Doc.docx".into(),
        file_path: "R\\Doc.docx".into(),
    });
    let state = State::default();
    let by_resource = r#"<ResponseContentValidator ExpectedResourceId="Doc" />"#;
    let binary = |bytes: &[u8]| Response::new(200, vec![], bytes.to_vec(), false);
    assert!(
        errors_with(
            by_resource,
            &binary(b"DocR\\Doc.docxDoc.docx"),
            &state,
            &suite
        )
        .is_empty()
    );
    assert_eq!(
        errors_with(by_resource, &binary(b"other"), &state, &suite),
        vec!["Response body does not match expected content. Expected stream length: 21, actual stream length: 5".to_string()]
    );
    let by_text = r#"<ResponseContentValidator ExpectedBodyContent="hello" />"#;
    assert!(errors_with(by_text, &binary(b"hello"), &state, &suite).is_empty());
    assert_eq!(
        errors_with(
            r#"<ResponseContentValidator ExpectedResourceId="Gone" />"#,
            &binary(b""),
            &state,
            &suite
        )
        .len(),
        1
    );
}

#[test]
fn or_and_and() {
    let r = response(404, &[], "");
    assert!(passes(
        r#"<Or><ResponseCodeValidator ExpectedCode="401" /><ResponseCodeValidator ExpectedCode="404" /></Or>"#,
        &r
    ));
    assert_eq!(errors(r#"<Or><ResponseCodeValidator ExpectedCode="400" /><ResponseCodeValidator ExpectedCode="501" /></Or>"#, &r).len(), 2);
    assert_eq!(errors(r#"<And><ResponseCodeValidator ExpectedCode="404" /><ResponseCodeValidator ExpectedCode="501" /></And>"#, &r).len(), 1);
    assert!(passes("<Or />", &r));
}

#[test]
fn unsupported_validators_never_pass() {
    let v =
        validators(r#"<Or><FramesValidator /><ResponseCodeValidator ExpectedCode="200" /></Or>"#);
    assert_eq!(v[0].unsupported_name(), Some("FramesValidator"));
    let ctx_state = State::default();
    let suite = Suite::default();
    let errs = Validator::Unsupported("FramesValidator".into()).validate(
        &response(200, &[], ""),
        &Context {
            state: &ctx_state,
            suite: &suite,
        },
    );
    assert_eq!(errs.len(), 1);
}

#[test]
fn mandatory_content_length_check() {
    assert!(content_length_errors(&response(200, &[("Content-Length", "2")], "{}")).is_empty());
    assert!(content_length_errors(&response(200, &[], "{}")).is_empty());
    assert_eq!(
        content_length_errors(&response(200, &[("content-length", "5")], "{}")),
        vec!["Actual content length '2' of response does not match value in header content-length '5'".to_string()]
    );
    assert_eq!(
        content_length_errors(&response(200, &[("Content-Length", "x")], "")).len(),
        1
    );
}
