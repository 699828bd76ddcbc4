//! Parsing hand-made test definitions.

use super::*;
use crate::model::Category;

const SUITE: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<WopiValidation xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="TestCases.xsd">
  <Resources>
    <File Id="Doc" Name="Doc.docx" FilePath="Resources\Doc.docx" />
    <File Id="ZeroByteFile" Name="ZeroByteFile.wopitest" FilePath="Resources\ZeroByteFile.wopitest" />
  </Resources>
  <PrereqCases>
    <TestCase Name="BasePrereq" Category="WopiCore">
      <Description>
        Multi-line
        description.
      </Description>
      <Requests><CheckFileInfo /></Requests>
    </TestCase>
  </PrereqCases>
  <TestGroup Name="Edit" HasDelay="false">
    <PrereqTests><PrereqTest>BasePrereq</PrereqTest></PrereqTests>
    <TestCases>
      <TestCase Name="Everything" Category="wopicore" FailMessage="custom">
        <Requests>
          <Lock Lock="L1" LockUserVisible="true">
            <Validators><ResponseCodeValidator ExpectedCode="200" /></Validators>
          </Lock>
          <GetFile Lock="ignored" NewLock="N" />
          <PutFile Lock="L1" ResourceId="Doc" />
          <UnlockAndRelock NewLock="L2" OldLock="L1" />
          <RefreshLock />
          <GetLock>
            <SaveState><State Name="CurrentLock" Source="X-WOPI-Lock" SourceType="Header" /></SaveState>
          </GetLock>
          <PutRelativeFile PutRelativeFileMode="exactname" Name="a b.wopitest" ResourceId="Doc" OverwriteRelative="1">
            <SaveState><State Name="NewUrl" Source="Url" /><State Name="Odd" Source="X" SourceType="Whatever" /></SaveState>
          </PutRelativeFile>
          <RenameFile Name="new name" OverrideUrl="$State:NewUrl" CoauthLockId="C" />
          <PutUserInfo><RequestBody>PutUserInfoTest</RequestBody></PutUserInfo>
          <CheckFileInfo>
            <Mutators><AccessToken Mutation="INVALID" /></Mutators>
            <Validators>
              <Or>
                <ResponseCodeValidator ExpectedCode="401" />
                <ResponseCodeValidator ExpectedCode="404" />
              </Or>
            </Validators>
          </CheckFileInfo>
          <GetFromFileUrl OverrideUrl="$State:FileUrl" />
          <Delay DelayTimeInSeconds="2" />
          <Unlock Lock="L2" />
        </Requests>
        <CleanupRequests>
          <DeleteFile OverrideUrl="$State:NewUrl" />
        </CleanupRequests>
      </TestCase>
      <TestCase Name="Coauth" Category="WopiCoauth">
        <Requests><GetCoauthLock CoauthLockType="Coauth" /></Requests>
      </TestCase>
    </TestCases>
  </TestGroup>
</WopiValidation>"#;

fn suite() -> Suite {
    Suite::from_xml(SUITE, None).unwrap()
}

#[test]
fn parses_structure() {
    let suite = suite();
    assert_eq!(suite.resources.len(), 2);
    assert_eq!(
        suite.resource("Doc").map(|r| r.file_path.as_str()),
        Some("Resources\\Doc.docx")
    );
    assert_eq!(suite.prereq_cases.len(), 1);
    assert_eq!(
        suite.prereq("BasePrereq").map(|p| p.description.as_str()),
        Some("Multi-line description.")
    );
    let group = suite.group("Edit").unwrap();
    assert!(!group.has_delay);
    assert_eq!(group.prereqs, vec!["BasePrereq".to_string()]);
    assert_eq!(suite.case_count(), 2);
    let case = &group.cases[0];
    assert_eq!(case.category, Category::WopiCore);
    assert_eq!(case.fail_message.as_deref(), Some("custom"));
    assert_eq!(case.requests.len(), 13);
    assert_eq!(case.cleanup_requests.len(), 1);
    assert_eq!(
        case.cleanup_requests[0].override_url.as_deref(),
        Some("$State:NewUrl")
    );
    assert_eq!(case.unsupported_reason(), None);
    assert_eq!(
        group.cases[1].unsupported_reason().as_deref(),
        Some("request type GetCoauthLock not implemented by this host")
    );
}

#[test]
fn parses_request_attributes() {
    let suite = suite();
    let requests = &suite.group("Edit").unwrap().cases[0].requests;
    let kinds: Vec<&RequestKind> = requests.iter().map(|r| &r.kind).collect();
    assert_eq!(
        *kinds[0],
        RequestKind::Lock {
            lock: Some("L1".into()),
            lock_user_visible: Some(true)
        }
    );
    assert_eq!(
        *kinds[1],
        RequestKind::GetFile {
            new_lock: Some("N".into())
        }
    );
    assert_eq!(
        *kinds[2],
        RequestKind::PutFile {
            lock: Some("L1".into()),
            resource_id: Some("Doc".into())
        }
    );
    assert_eq!(
        *kinds[3],
        RequestKind::UnlockAndRelock {
            new_lock: Some("L2".into()),
            old_lock: Some("L1".into())
        }
    );
    assert_eq!(*kinds[4], RequestKind::RefreshLock { lock: None });
    assert_eq!(*kinds[5], RequestKind::GetLock);
    assert_eq!(
        *kinds[6],
        RequestKind::PutRelativeFile {
            mode: Some(PutRelativeFileMode::ExactName),
            name: "a b.wopitest".into(),
            resource_id: Some("Doc".into()),
            overwrite_relative: Some(true),
        }
    );
    assert_eq!(
        *kinds[7],
        RequestKind::RenameFile {
            name: Some("new name".into()),
            lock: None,
            coauth_lock_id: Some("C".into())
        }
    );
    assert_eq!(
        *kinds[8],
        RequestKind::PutUserInfo {
            body: "PutUserInfoTest".into()
        }
    );
    assert_eq!(*kinds[10], RequestKind::GetFromFileUrl);
    assert_eq!(*kinds[11], RequestKind::Delay { seconds: 2 });

    assert!(requests[1].validators.is_none(), "no <Validators> element");
    assert_eq!(requests[0].validators.as_ref().map(Vec::len), Some(1));
    assert_eq!(requests[5].save_state[0].source_type, StateSource::Header);
    assert_eq!(requests[6].save_state[0].source_type, StateSource::JsonBody);
    assert_eq!(
        requests[6].save_state[1].source_type,
        StateSource::JsonBody,
        "unknown SourceType falls back"
    );
    assert_eq!(
        requests[9].mutators,
        vec![Mutator::AccessToken {
            mutation: Some("INVALID".into())
        }]
    );
}

fn load_error(xml_body: &str) -> String {
    let xml = format!(
        r#"<WopiValidation><Resources><File Id="Doc" Name="d" FilePath="p" /></Resources>
        <PrereqCases><TestCase Name="P" Category="WopiCore"><Requests><CheckFileInfo /></Requests></TestCase></PrereqCases>
        {xml_body}</WopiValidation>"#
    );
    match Suite::from_xml(&xml, None) {
        Ok(_) => panic!("expected a load error for {xml_body}"),
        Err(e) => e.to_string(),
    }
}

fn group_with(requests: &str) -> String {
    format!(
        r#"<TestGroup Name="G"><TestCases><TestCase Name="C" Category="WopiCore"><Requests>{requests}</Requests></TestCase></TestCases></TestGroup>"#
    )
}

#[test]
fn rejects_what_the_validator_rejects() {
    assert!(load_error(&group_with("<Frobnicate />")).contains("Unknown request: 'Frobnicate'"));
    assert!(
        load_error(&group_with(
            "<CheckFileInfo><Validators><Nope /></Validators></CheckFileInfo>"
        ))
        .contains("Unknown validator")
    );
    assert!(load_error(&group_with(
        r#"<CheckFileInfo><Validators><JsonResponseContentValidator><DateProperty Name="x" /></JsonResponseContentValidator></Validators></CheckFileInfo>"#
    ))
    .contains("Unknown property type"));
    assert!(
        load_error(&group_with(
            "<CheckFileInfo><Mutators><Magic /></Mutators></CheckFileInfo>"
        ))
        .contains("Unknown mutator")
    );
    assert!(load_error(&group_with(r#"<Lock LockUserVisible="True" />"#)).contains("xs:boolean"));
    assert!(
        load_error(&group_with(
            r#"<PutRelativeFile PutRelativeFileMode="Suggested" />"#
        ))
        .contains("cannot be null or empty")
    );
    assert!(
        load_error(&group_with(
            r#"<PutRelativeFile Name="x" PutRelativeFileMode="Sideways" />"#
        ))
        .contains("PutRelativeFileMode")
    );
    assert!(
        load_error(&group_with(
            "<PutUserInfo><RequestBody>  </RequestBody></PutUserInfo>"
        ))
        .contains("RequestBody")
    );
    assert!(load_error(&group_with(r#"<CheckFileInfo><Validators><ResponseCodeValidator ExpectedCode="abc" /></Validators></CheckFileInfo>"#)).contains("xs:int"));
    assert!(load_error(&group_with(
        r#"<CheckFileInfo><Validators><JsonResponseContentValidator><StringRegexProperty Name="x" ExpectedValue="(" /></JsonResponseContentValidator></Validators></CheckFileInfo>"#
    ))
    .contains("regular expression"));
    assert!(
        load_error(&group_with(
            r#"<GetFile><Validators><ResponseContentValidator /></Validators></GetFile>"#
        ))
        .contains("ResponseContentValidator")
    );
    assert!(load_error(&group_with(r#"<CheckFileInfo><Validators><JsonSchemaValidator Schema="S" /></Validators></CheckFileInfo>"#)).contains("JSON schema S"));
    assert!(load_error(
        r#"<TestGroup Name="G"><PrereqTests><PrereqTest>Missing</PrereqTest></PrereqTests><TestCases /></TestGroup>"#
    )
    .contains("Could not find a prereq test case named Missing"));
    assert!(load_error(r#"<TestGroup Name="G"><TestCases><TestCase Name="C" Category="Other"><Requests /></TestCase></TestCases></TestGroup>"#)
        .contains("category"));
    assert!(load_error(r#"<TestGroup Name="G"><TestCases><TestCase Name="C" Category="WopiCore" /></TestCases></TestGroup>"#)
        .contains("<Requests>"));
    let duplicate = Suite::from_xml(
        r#"<W><Resources><File Id="A" /><File Id="A" /></Resources></W>"#,
        None,
    );
    assert!(duplicate.is_err_and(|e| e.to_string().contains("duplicate resource id")));
    assert!(matches!(
        Suite::from_xml("<W><unclosed></W>", None),
        Err(LoadError::Xml(_))
    ));
}

#[test]
fn unsupported_reasons() {
    let xml = r#"<W><TestGroup Name="G"><TestCases>
        <TestCase Name="Frames" Category="WopiCoauth"><Requests><CheckFileInfo><Validators><Or><FramesValidator /></Or></Validators></CheckFileInfo></Requests></TestCase>
        <TestCase Name="Proof" Category="OfficeOnline"><Requests><CheckFileInfo><Mutators><ProofKey MutateOld="true" /></Mutators></CheckFileInfo></Requests></TestCase>
        <TestCase Name="Cleanup" Category="WopiCore"><Requests><CheckFileInfo /></Requests><CleanupRequests><DeleteContainer /></CleanupRequests></TestCase>
        </TestCases></TestGroup></W>"#;
    let suite = Suite::from_xml(xml, None).unwrap();
    let reasons: Vec<String> = suite.groups[0]
        .cases
        .iter()
        .filter_map(TestCase::unsupported_reason)
        .collect();
    assert_eq!(
        reasons,
        vec![
            "validator FramesValidator not implemented by this runner".to_string(),
            "ProofKey mutator: proof-key signing not implemented by this runner".to_string(),
            "request type DeleteContainer not implemented by this host".to_string(),
        ]
    );
}
