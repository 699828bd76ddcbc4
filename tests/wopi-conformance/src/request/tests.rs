//! URL construction and header quirks of every implemented request type.

use super::*;
use crate::state::State;

const WOPI_SRC: &str = "https://wopi.example.com/wopi/files/abc";
const TOKEN: &str = "eyJ.a-b_c~d e";

fn suite_with(requests: &str) -> Suite {
    let xml = format!(
        r#"<WopiValidation><Resources>
            <File Id="WordSimpleDocument" Name="WordSimpleDocument.docx" FilePath="Resources\WordSimpleDocument.docx" />
            <File Id="ZeroByteFile" Name="ZeroByteFile.wopitest" FilePath="Resources\ZeroByteFile.wopitest" />
        </Resources>
        <TestGroup Name="G"><TestCases><TestCase Name="C" Category="WopiCore"><Requests>{requests}</Requests></TestCase></TestCases></TestGroup>
        </WopiValidation>"#
    );
    Suite::from_xml(&xml, None).unwrap()
}

fn prepare_with(
    request_xml: &str,
    state: &State,
    user_agent: Option<&str>,
) -> Result<PreparedRequest, PrepareError> {
    let suite = suite_with(request_xml);
    let request = &suite.groups[0].cases[0].requests[0];
    let ctx = RequestContext {
        wopi_src: WOPI_SRC,
        access_token: TOKEN,
        access_token_ttl: 1234,
        state,
        suite: &suite,
        user_agent,
    };
    prepare(request, &ctx)
}

fn build(request_xml: &str) -> PreparedRequest {
    prepare_with(request_xml, &State::new(TOKEN, WOPI_SRC), None).unwrap()
}

fn names(prepared: &PreparedRequest) -> Vec<&str> {
    prepared.headers.iter().map(|(k, _)| k.as_str()).collect()
}

const ENCODED: &str = "eyJ%2Ea%2Db%5Fc%7Ed%20e";

#[test]
fn url_and_authorization() {
    let r = build("<CheckFileInfo />");
    assert_eq!(r.method, Method::Get);
    assert_eq!(
        r.url,
        format!("{WOPI_SRC}?access_token={ENCODED}&access_token_ttl=1234")
    );
    assert_eq!(
        r.header("Authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(names(&r), vec!["Authorization"]);
    assert_eq!(r.body, None);
    assert!(r.text_response);

    assert_eq!(
        build_wopi_url("https://h/f?x=1", "/contents", "t", 0),
        "https://h/f?x=1/contents&access_token=t&access_token_ttl=0"
    );
    assert_eq!(
        build_wopi_url("https://h/f?x=1&", "", "t", 5),
        "https://h/f?x=1&access_token=t&access_token_ttl=5"
    );
}

#[test]
fn get_file_and_put_file() {
    let get = build(r#"<GetFile Lock="NotSent" />"#);
    assert_eq!(get.method, Method::Get);
    assert!(
        get.url
            .starts_with(&format!("{WOPI_SRC}/contents?access_token="))
    );
    assert_eq!(
        get.header("X-WOPI-Lock"),
        None,
        "the Lock attribute is not sent on GetFile"
    );
    assert!(!get.text_response);
    assert_eq!(
        build(r#"<GetFile NewLock="N" />"#).header("X-WOPI-Lock"),
        Some("N")
    );

    let put = build(r#"<PutFile Lock="L" ResourceId="WordSimpleDocument" />"#);
    assert_eq!(put.method, Method::Post);
    assert!(put.url.starts_with(&format!("{WOPI_SRC}/contents?")));
    assert_eq!(
        names(&put),
        vec!["X-WOPI-Lock", "X-WOPI-Override", "Authorization"]
    );
    assert_eq!(put.header("X-WOPI-Override"), Some("PUT"));
    assert_eq!(
        put.body.as_deref(),
        Some(&b"WordSimpleDocumentResources\\WordSimpleDocument.docxWordSimpleDocument.docx"[..])
    );

    let unlocked = build(r#"<PutFile ResourceId="ZeroByteFile" />"#);
    assert_eq!(
        unlocked.header("X-WOPI-Lock"),
        None,
        "PutFile omits an absent lock"
    );
    assert_eq!(unlocked.body, Some(Vec::new()));
    assert_eq!(
        prepare_with("<PutFile />", &State::default(), None),
        Err(PrepareError::NoResourceId("PutFile".into()))
    );
    assert_eq!(
        prepare_with(r#"<PutFile ResourceId="Nope" />"#, &State::default(), None),
        Err(PrepareError::UnknownResource("Nope".into()))
    );
}

#[test]
fn lock_family_sends_empty_headers_for_absent_attributes() {
    let lock = build("<Lock />");
    assert_eq!(lock.header("X-WOPI-Lock"), Some(""));
    assert_eq!(lock.header("X-WOPI-Override"), Some("LOCK"));
    assert_eq!(lock.header("X-WOPI-LockUserVisible"), None);
    assert_eq!(
        lock.body,
        Some(Vec::new()),
        "POST always has a (possibly empty) body"
    );
    assert_eq!(
        build(r#"<Lock Lock="A" LockUserVisible="true" />"#).header("X-WOPI-LockUserVisible"),
        Some("True")
    );
    assert_eq!(
        build(r#"<Lock Lock="A" LockUserVisible="false" />"#).header("X-WOPI-LockUserVisible"),
        Some("False")
    );

    let unlock = build("<Unlock />");
    assert_eq!(
        (
            unlock.header("X-WOPI-Lock"),
            unlock.header("X-WOPI-Override")
        ),
        (Some(""), Some("UNLOCK"))
    );
    let refresh = build(r#"<RefreshLock Lock="R" />"#);
    assert_eq!(
        (
            refresh.header("X-WOPI-Lock"),
            refresh.header("X-WOPI-Override")
        ),
        (Some("R"), Some("REFRESH_LOCK"))
    );

    let relock = build(r#"<UnlockAndRelock NewLock="New" />"#);
    assert_eq!(
        names(&relock),
        vec![
            "X-WOPI-Lock",
            "X-WOPI-OldLock",
            "X-WOPI-Override",
            "Authorization"
        ]
    );
    assert_eq!(
        (
            relock.header("X-WOPI-Lock"),
            relock.header("X-WOPI-OldLock")
        ),
        (Some("New"), Some(""))
    );
    assert_eq!(relock.header("X-WOPI-Override"), Some("LOCK"));

    let get_lock = build("<GetLock />");
    assert_eq!(names(&get_lock), vec!["X-WOPI-Override", "Authorization"]);
    assert_eq!(get_lock.header("X-WOPI-Override"), Some("GET_LOCK"));
}

#[test]
fn put_relative_file_headers() {
    let suggested = build(
        r#"<PutRelativeFile PutRelativeFileMode="Suggested" Name="madeup_name.wopitestx" ResourceId="WordSimpleDocument" />"#,
    );
    assert_eq!(
        names(&suggested),
        vec![
            "X-WOPI-Size",
            "X-WOPI-SuggestedTarget",
            "X-WOPI-Override",
            "Authorization"
        ]
    );
    assert_eq!(suggested.header("X-WOPI-Size"), Some("74"));
    assert_eq!(
        suggested.header("X-WOPI-SuggestedTarget"),
        Some("madeup+AF8-name.wopitestx")
    );
    assert_eq!(suggested.header("X-WOPI-Override"), Some("PUT_RELATIVE"));
    assert_eq!(suggested.body.as_ref().map(Vec::len), Some(74));

    let exact = build(
        r#"<PutRelativeFile PutRelativeFileMode="ExactName" Name="my file.wopitest" ResourceId="ZeroByteFile" OverwriteRelative="true" />"#,
    );
    assert_eq!(
        exact.header("X-WOPI-RelativeTarget"),
        Some("my+file.wopitest")
    );
    assert_eq!(exact.header("X-WOPI-OverwriteRelativeTarget"), Some("True"));
    assert_eq!(exact.header("X-WOPI-Size"), Some("0"));
    assert_eq!(exact.header("X-WOPI-SuggestedTarget"), None);
    let no_overwrite = build(
        r#"<PutRelativeFile PutRelativeFileMode="ExactName" Name="x.wopitest" ResourceId="ZeroByteFile" />"#,
    );
    assert_eq!(no_overwrite.header("X-WOPI-OverwriteRelativeTarget"), None);
    let overwrite_false = build(
        r#"<PutRelativeFile PutRelativeFileMode="ExactName" Name="x" ResourceId="ZeroByteFile" OverwriteRelative="false" />"#,
    );
    assert_eq!(
        overwrite_false.header("X-WOPI-OverwriteRelativeTarget"),
        Some("False")
    );

    let both = build(
        r#"<PutRelativeFile PutRelativeFileMode="Conflicting" Name="a.wopitest" ResourceId="ZeroByteFile" OverwriteRelative="true" />"#,
    );
    assert_eq!(
        (
            both.header("X-WOPI-SuggestedTarget"),
            both.header("X-WOPI-RelativeTarget")
        ),
        (Some("a.wopitest"), Some("a.wopitest"))
    );
    assert_eq!(both.header("X-WOPI-OverwriteRelativeTarget"), None);

    assert_eq!(
        prepare_with(
            r#"<PutRelativeFile Name="a" ResourceId="ZeroByteFile" />"#,
            &State::default(),
            None
        ),
        Err(PrepareError::NoPutRelativeMode)
    );
}

#[test]
fn rename_delete_and_user_info() {
    let rename = build(r#"<RenameFile Name="new_name one" />"#);
    assert_eq!(
        names(&rename),
        vec![
            "X-WOPI-RequestedName",
            "X-WOPI-Lock",
            "X-WOPI-CoauthLockId",
            "X-WOPI-Override",
            "Authorization"
        ]
    );
    assert_eq!(
        rename.header("X-WOPI-RequestedName"),
        Some("new+AF8-name one"),
        "plain UTF-7: spaces stay spaces"
    );
    assert_eq!(
        (
            rename.header("X-WOPI-Lock"),
            rename.header("X-WOPI-CoauthLockId")
        ),
        (Some(""), Some(""))
    );
    assert_eq!(rename.header("X-WOPI-Override"), Some("RENAME_FILE"));

    let info = build("<PutUserInfo><RequestBody>PutUserInfoTest</RequestBody></PutUserInfo>");
    assert_eq!(info.header("X-WOPI-Override"), Some("PUT_USER_INFO"));
    assert_eq!(info.body.as_deref(), Some(&b"PutUserInfoTest"[..]));

    assert!(matches!(
        prepare_with("<DeleteFile />", &State::default(), None),
        Err(PrepareError::NoUrl { .. })
    ));
}

#[test]
fn override_urls_come_from_state() {
    let mut state = State::new(TOKEN, WOPI_SRC);
    state.set(
        "NewFileUrl",
        Some("https://wopi.example.com/wopi/files/new?access_token=new%2Etoken&x=1".into()),
    );
    state.set("NoValue", None);

    let delete = prepare_with(
        r#"<DeleteFile OverrideUrl="$State:NewFileUrl" />"#,
        &state,
        None,
    )
    .unwrap();
    assert_eq!(
        delete.url, "https://wopi.example.com/wopi/files/new?access_token=new%2Etoken&x=1",
        "used as given"
    );
    assert_eq!(
        delete.header("Authorization"),
        Some("Bearer new.token"),
        "token read back from the URL"
    );
    assert_eq!(delete.header("X-WOPI-Override"), Some("DELETE"));

    let contents = prepare_with(
        r#"<PutFile OverrideUrl="$State:NewFileUrl" ResourceId="ZeroByteFile" />"#,
        &state,
        None,
    )
    .unwrap();
    assert_eq!(
        contents.url,
        "https://wopi.example.com/wopi/files/new/contents?access_token=new%2Etoken&x=1"
    );

    let fallback = prepare_with(
        r#"<CheckFileInfo OverrideUrl="$State:NoValue" />"#,
        &state,
        None,
    )
    .unwrap();
    assert!(
        fallback
            .url
            .starts_with(&format!("{WOPI_SRC}?access_token=")),
        "empty state value falls back to WopiSrc"
    );
    assert!(matches!(
        prepare_with(
            r#"<DeleteFile OverrideUrl="$State:NoValue" />"#,
            &state,
            None
        ),
        Err(PrepareError::NoUrl { .. })
    ));
    assert_eq!(
        prepare_with(
            r#"<CheckFileInfo OverrideUrl="$State:Never" />"#,
            &state,
            None
        ),
        Err(PrepareError::MissingState("Never".into()))
    );
    let literal = prepare_with(
        r#"<CheckFileInfo OverrideUrl="https://other/wopi/files/9" />"#,
        &state,
        None,
    )
    .unwrap();
    assert_eq!(literal.url, "https://other/wopi/files/9");
    assert_eq!(
        literal.header("Authorization"),
        Some("Bearer "),
        "no token in the override URL"
    );
}

#[test]
fn access_token_mutator_replaces_url_and_header() {
    let r = build(
        r#"<CheckFileInfo><Mutators><AccessToken Mutation="INVALID" /></Mutators></CheckFileInfo>"#,
    );
    assert_eq!(
        r.url,
        format!("{WOPI_SRC}?access_token=INVALID&access_token_ttl=1234")
    );
    assert_eq!(r.header("Authorization"), Some("Bearer INVALID"));
    let random = build(r#"<GetFile><Mutators><AccessToken /></Mutators></GetFile>"#);
    let token = random
        .header("Authorization")
        .and_then(|a| a.strip_prefix("Bearer "))
        .unwrap()
        .to_string();
    assert_eq!(token.len(), 36, "a GUID");
    assert!(random.url.contains(&format!("access_token={token}&")));
}

#[test]
fn get_from_file_url_is_a_bare_get() {
    let mut state = State::default();
    state.set(
        "FileUrl",
        Some("https://bucket.s3.example.com/obj?X-Amz-Signature=abc".into()),
    );
    let r = prepare_with(
        r#"<GetFromFileUrl OverrideUrl="$State:FileUrl" />"#,
        &state,
        Some(NATIVE_CLIENT_USER_AGENT),
    )
    .unwrap();
    assert_eq!(r.method, Method::Get);
    assert_eq!(
        r.url,
        "https://bucket.s3.example.com/obj?X-Amz-Signature=abc"
    );
    assert!(r.headers.is_empty(), "no Authorization, no User-Agent");
    state.set("FileUrl", None);
    assert!(matches!(
        prepare_with(
            r#"<GetFromFileUrl OverrideUrl="$State:FileUrl" />"#,
            &state,
            None
        ),
        Err(PrepareError::NoUrl { .. })
    ));
}

#[test]
fn user_agent_and_non_http_requests() {
    let r = prepare_with(
        "<CheckFileInfo />",
        &State::default(),
        Some(NATIVE_CLIENT_USER_AGENT),
    )
    .unwrap();
    assert_eq!(r.header("User-Agent"), Some(NATIVE_CLIENT_USER_AGENT));
    assert_eq!(
        prepare_with(
            r#"<Delay DelayTimeInSeconds="1" />"#,
            &State::default(),
            None
        ),
        Err(PrepareError::NotHttp("Delay".into()))
    );
    assert_eq!(
        prepare_with("<GetShareUrl />", &State::default(), None),
        Err(PrepareError::NotHttp("GetShareUrl".into()))
    );
}
