//! A Rust runner for Microsoft's WOPI validator test definitions (`TestCases.xml` from
//! `microsoft/wopi-validator-core`), executing them over HTTP against a WOPI host with the
//! semantics of the official C# validator (see `shared/wopi-validator/README.md`).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use wopi_conformance::{Filter, Runner, Suite, Target};
//! let suite = Suite::load("TestCases.xml")?;
//! let http = Runner::client(std::time::Duration::from_secs(60))?;
//! let target = Target {
//!     wopi_src: "https://wopi.example.com/wopi/files/abc".into(),
//!     access_token: "token".into(),
//!     access_token_ttl: 0,
//! };
//! let report = Runner::new(http, target).run(&suite, &Filter::default()).await;
//! report.print();
//! # Ok(()) }
//! ```
//!
//! Request types outside a host's core editing set (containers, ecosystem, share URLs,
//! activities, co-authoring locks, chunked transfer) are parsed as
//! [`RequestKind::Unsupported`]; cases using them, `FramesValidator` or `<ProofKey>` mutators
//! are reported as skipped, never passed.

mod dotnet;
pub mod encoding;
mod error;
mod jsonpath;
mod model;
mod parse;
mod report;
mod request;
mod response;
mod runner;
mod schema;
mod state;
mod validator;
mod xml;

pub use error::LoadError;
pub use model::{
    Category, Mutator, PutRelativeFileMode, Request, RequestKind, Resource, Suite, TestCase,
    TestGroup, UNSUPPORTED_REQUESTS,
};
pub use report::{CaseResult, Counts, Outcome, Report, RequestLog};
pub use request::{
    Method, NATIVE_CLIENT_USER_AGENT, PrepareError, PreparedRequest, RequestContext,
    build_wopi_url, prepare,
};
pub use response::Response;
pub use runner::{Filter, Runner, Target};
pub use state::{ORIGINAL_ACCESS_TOKEN, ORIGINAL_WOPI_SRC, State, StateEntry, StateSource};
pub use validator::{
    Context, ExpectedBody, HeaderValidator, PropertyKind, PropertyValidator, Validator,
    content_length_errors,
};
