//! Executes a [`Suite`] against a WOPI host with the validator's `TestCaseExecutor` semantics.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::model::{Category, Request, RequestKind, Suite, TestCase, TestGroup};
use crate::report::{CaseResult, Outcome, Report, RequestLog};
use crate::request::{Method, NATIVE_CLIENT_USER_AGENT, PreparedRequest, RequestContext, prepare};
use crate::response::Response;
use crate::state::State;
use crate::validator::{Context, Validator, content_length_errors};

/// The file under test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// WopiSrc of a file whose name ends `.wopitest`, e.g. `https://host/wopi/files/abc`.
    pub wopi_src: String,
    /// Access token for that file (unencoded).
    pub access_token: String,
    /// `access_token_ttl` sent with every request.
    pub access_token_ttl: u64,
}

/// Which test cases to run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only these groups (exact names); `None` = all groups.
    pub groups: Option<Vec<String>>,
    /// Only these test cases (exact names); `None` = all cases.
    pub test_names: Option<Vec<String>>,
    /// Category filter: `All` runs everything; otherwise cases of that category plus every
    /// `WopiCore` case (as upstream).
    pub category: Category,
    /// Run groups marked `HasDelay="true"` instead of reporting them as skipped.
    pub include_delay_tests: bool,
}

impl Filter {
    fn selects(&self, group: &TestGroup, case: &TestCase) -> bool {
        let group_ok = self.groups.as_ref().is_none_or(|g| g.contains(&group.name));
        let name_ok = self
            .test_names
            .as_ref()
            .is_none_or(|n| n.contains(&case.name));
        let category_ok = self.category == Category::All
            || case.category == Category::WopiCore
            || case.category == self.category;
        group_ok && name_ok && category_ok
    }
}

/// Runs test cases over HTTP.
#[derive(Debug, Clone)]
pub struct Runner {
    http: reqwest::Client,
    target: Target,
}

/// How one execution of a test case (or prerequisite case) ended, with its request log.
struct Execution {
    failure: Option<(usize, String)>,
    log: Vec<RequestLog>,
}

impl Runner {
    /// A runner using `http`. The client should not follow redirects (the validator does not);
    /// [`Runner::client`] builds one that way.
    pub fn new(http: reqwest::Client, target: Target) -> Self {
        Self { http, target }
    }

    /// A client configured like the validator's: no redirects, no default User-Agent, plus a
    /// per-request timeout.
    pub fn client(timeout: Duration) -> reqwest::Result<reqwest::Client> {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .build()
    }

    /// Runs every selected case of `suite` in document order.
    pub async fn run(&self, suite: &Suite, filter: &Filter) -> Report {
        let mut report = Report::default();
        for group in &suite.groups {
            for case in group
                .cases
                .iter()
                .filter(|case| filter.selects(group, case))
            {
                let result = if group.has_delay && !filter.include_delay_tests {
                    skipped(
                        group,
                        case,
                        format!(
                            "group {} uses delays; enable delay tests to run it",
                            group.name
                        ),
                    )
                } else {
                    self.run_case(suite, group, case, filter.category).await
                };
                report.cases.push(result);
            }
        }
        report
    }

    /// Runs one case: its group's prerequisites first (any failure skips the case), then the
    /// case. `filter_category` only matters for the `OfficeNativeClient` User-Agent.
    pub async fn run_case(
        &self,
        suite: &Suite,
        group: &TestGroup,
        case: &TestCase,
        filter_category: Category,
    ) -> CaseResult {
        if let Some(reason) = case.unsupported_reason() {
            return skipped(group, case, reason);
        }
        let mut prereqs = Vec::with_capacity(group.prereqs.len());
        for name in &group.prereqs {
            let Some(prereq) = suite.prereq(name) else {
                return skipped(
                    group,
                    case,
                    format!("Prerequisites failed: unknown prerequisite {name}"),
                );
            };
            if let Some(reason) = prereq.unsupported_reason() {
                return skipped(
                    group,
                    case,
                    format!("Prerequisites failed: {name}: {reason}"),
                );
            }
            prereqs.push(prereq);
        }
        let native = case.category == Category::OfficeNativeClient
            || filter_category == Category::OfficeNativeClient;
        let user_agent = native.then_some(NATIVE_CLIENT_USER_AGENT);
        for prereq in prereqs {
            let execution = self.execute(suite, prereq, user_agent).await;
            if let Some((_, reason)) = execution.failure {
                return skipped(
                    group,
                    case,
                    format!("Prerequisites failed: {}: {reason}", prereq.name),
                );
            }
        }
        let execution = self.execute(suite, case, user_agent).await;
        let outcome = match execution.failure {
            None => Outcome::Pass,
            Some((request_index, reason)) => Outcome::Fail {
                request_index,
                reason,
            },
        };
        CaseResult {
            group: group.name.clone(),
            name: case.name.clone(),
            category: case.category,
            outcome,
            requests: execution.log,
        }
    }

    /// `TestCaseExecutor.ExecuteTestCase`: requests in order, stop at the first failing one,
    /// then always run the cleanup requests (results ignored).
    async fn execute(&self, suite: &Suite, case: &TestCase, user_agent: Option<&str>) -> Execution {
        let mut state = State::new(&self.target.access_token, &self.target.wopi_src);
        let mut log = Vec::new();
        let mut failure = None;
        for (index, request) in case.requests.iter().enumerate() {
            if let RequestKind::Delay { seconds } = request.kind {
                tokio::time::sleep(Duration::from_secs(u64::from(seconds))).await;
                continue;
            }
            let errors = self
                .execute_request(suite, request, &mut state, user_agent, &mut log)
                .await;
            if !errors.is_empty() {
                let mut reason = format!("{}: {}", request.name(), errors.join(" | "));
                if let Some(message) = case
                    .fail_message
                    .as_deref()
                    .filter(|m| !m.trim().is_empty())
                {
                    reason.push_str(&format!(" ({message})"));
                }
                failure = Some((index, reason));
                break;
            }
        }
        for request in &case.cleanup_requests {
            let Ok(prepared) = prepare(request, &self.context(suite, &state, user_agent)) else {
                // upstream swallows the exception a cleanup request throws (e.g. missing state)
                continue;
            };
            let status = self.send(&prepared).await.ok().map(|r| r.status);
            log.push(log_entry(request, &prepared, true, status, Vec::new()));
        }
        Execution { failure, log }
    }

    /// Sends one request, validates the response and saves state; returns the errors.
    async fn execute_request(
        &self,
        suite: &Suite,
        request: &Request,
        state: &mut State,
        user_agent: Option<&str>,
        log: &mut Vec<RequestLog>,
    ) -> Vec<String> {
        let prepared = match prepare(request, &self.context(suite, state, user_agent)) {
            Ok(prepared) => prepared,
            Err(e) => return vec![e.to_string()],
        };
        let response = match self.send(&prepared).await {
            Ok(response) => response,
            Err(e) => {
                let errors = vec![format!("Exception thrown while executing: {e}")];
                log.push(log_entry(request, &prepared, false, None, errors.clone()));
                return errors;
            }
        };
        let ctx = Context { state, suite };
        let mut errors = content_length_errors(&response);
        match &request.validators {
            Some(validators) => {
                errors.extend(validators.iter().flat_map(|v| v.validate(&response, &ctx)))
            }
            None => {
                errors.extend(Validator::ResponseCode { expected: 200 }.validate(&response, &ctx))
            }
        }
        log.push(log_entry(
            request,
            &prepared,
            false,
            Some(response.status),
            errors.clone(),
        ));
        if errors.is_empty() {
            state.save_all(&request.save_state, &response);
        }
        errors
    }

    fn context<'a>(
        &'a self,
        suite: &'a Suite,
        state: &'a State,
        user_agent: Option<&'a str>,
    ) -> RequestContext<'a> {
        RequestContext {
            wopi_src: &self.target.wopi_src,
            access_token: &self.target.access_token,
            access_token_ttl: self.target.access_token_ttl,
            state,
            suite,
            user_agent,
        }
    }

    /// Sends a prepared request and reads the whole response.
    pub async fn send(&self, prepared: &PreparedRequest) -> Result<Response, String> {
        let method = match prepared.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
        };
        let url = reqwest::Url::parse(&prepared.url).map_err(|e| {
            // only the part before the query: the query carries the access token
            let without_query = prepared.url.split('?').next().unwrap_or_default();
            format!("invalid URL {without_query}: {e}")
        })?;
        let mut headers = HeaderMap::new();
        for (name, value) in &prepared.headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|e| format!("header name {name}: {e}"))?;
            let value = HeaderValue::from_bytes(value.as_bytes())
                .map_err(|e| format!("header {name}: {e}"))?;
            headers.append(name, value);
        }
        if prepared.body.as_ref().is_some_and(Vec::is_empty) {
            // .NET sets ContentLength = 0 on body-less POSTs; hyper would omit the header
            headers.insert(
                reqwest::header::CONTENT_LENGTH,
                HeaderValue::from_static("0"),
            );
        }
        let mut builder = self.http.request(method, url).headers(headers);
        if let Some(body) = &prepared.body {
            builder = builder.body(body.clone());
        }
        // without_url: the URL carries the access token, which must not end up in reports
        let response = builder
            .send()
            .await
            .map_err(|e| error_chain(&e.without_url()))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = response
            .bytes()
            .await
            .map_err(|e| error_chain(&e.without_url()))?
            .to_vec();
        Ok(Response::new(status, headers, body, prepared.text_response))
    }
}

fn skipped(group: &TestGroup, case: &TestCase, reason: String) -> CaseResult {
    CaseResult {
        group: group.name.clone(),
        name: case.name.clone(),
        category: case.category,
        outcome: Outcome::Skipped { reason },
        requests: Vec::new(),
    }
}

fn log_entry(
    request: &Request,
    prepared: &PreparedRequest,
    cleanup: bool,
    status: Option<u16>,
    errors: Vec<String>,
) -> RequestLog {
    RequestLog {
        name: request.name().to_string(),
        cleanup,
        method: match prepared.method {
            Method::Get => "GET".into(),
            Method::Post => "POST".into(),
        },
        url: prepared.url.clone(),
        status,
        errors,
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}
