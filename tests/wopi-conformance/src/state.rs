//! Per-test-case saved state (`<SaveState>`) and how values are extracted from responses.

use std::collections::HashMap;

use crate::response::Response;

/// State key pre-filled with the access token the run was started with.
pub const ORIGINAL_ACCESS_TOKEN: &str = "OriginalAccessToken";
/// State key pre-filled with the WopiSrc the run was started with.
pub const ORIGINAL_WOPI_SRC: &str = "OriginalWopiSrc";

/// Where a `<State>` value is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateSource {
    /// A JSON path into the response body (the default).
    JsonBody,
    /// A response header (`SourceType="Header"`).
    Header,
}

/// One `<State Name Source [SourceType]>` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateEntry {
    /// Key the value is stored under.
    pub name: String,
    /// JSON path or header name.
    pub source: String,
    /// Whether `source` is a JSON path or a header name.
    pub source_type: StateSource,
}

impl StateEntry {
    /// Extracts the value from a response like `StateEntry.GetValue`: `None` when the header is
    /// missing or empty, when the body is not text or not JSON, when the path matches nothing
    /// (or several tokens), or when the token is null, an array or an object. Booleans become
    /// `True`/`False`.
    pub fn extract(&self, response: &Response) -> Option<String> {
        match self.source_type {
            StateSource::Header => response.header(&self.source).filter(|v| !v.is_empty()),
            StateSource::JsonBody => {
                if response.text.as_deref().is_none_or(str::is_empty) {
                    return None;
                }
                let object = serde_json::Value::Object(response.json_object().ok()?);
                let token = crate::jsonpath::select(&object, &self.source).ok()??;
                crate::dotnet::json_to_string(token).ok()?
            }
        }
    }
}

/// Values saved during one test case. A key can be present with no value (the source was
/// missing), which is different from a key that was never saved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct State {
    values: HashMap<String, Option<String>>,
}

impl State {
    /// State at the start of a test case: `OriginalAccessToken` and `OriginalWopiSrc` set.
    pub fn new(access_token: &str, wopi_src: &str) -> Self {
        let mut state = Self::default();
        state.set(ORIGINAL_ACCESS_TOKEN, Some(access_token.to_string()));
        state.set(ORIGINAL_WOPI_SRC, Some(wopi_src.to_string()));
        state
    }

    /// Stores (or overwrites) a value.
    pub fn set(&mut self, name: &str, value: Option<String>) {
        self.values.insert(name.to_string(), value);
    }

    /// `None` if the key was never saved, `Some(None)` if it was saved without a value.
    pub fn lookup(&self, name: &str) -> Option<Option<&str>> {
        self.values.get(name).map(Option::as_deref)
    }

    /// The stored value if it is present and non-empty (what `ExpectedStateKey` uses).
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.lookup(name).flatten().filter(|v| !v.is_empty())
    }

    /// Saves every entry's value extracted from `response`.
    pub fn save_all(&mut self, entries: &[StateEntry], response: &Response) {
        for entry in entries {
            let value = entry.extract(response);
            self.set(&entry.name, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, source: &str, source_type: StateSource) -> StateEntry {
        StateEntry {
            name: name.into(),
            source: source.into(),
            source_type,
        }
    }

    #[test]
    fn extracts_from_json_and_headers() {
        let body =
            br#"{"Url":"https://h/wopi/files/2?access_token=t","Version":12,"IsEduUser":false,
            "AncestorsWithRootFirst":[{"Url":"r"},{"Url":"p"}],"Null":null,"Obj":{}}"#;
        let response = Response::new(
            200,
            vec![
                ("X-WOPI-ItemVersion".into(), "v7".into()),
                ("X-Empty".into(), String::new()),
            ],
            body.to_vec(),
            true,
        );
        let get = |name: &str, source_type| entry("k", name, source_type).extract(&response);
        assert_eq!(
            get("Url", StateSource::JsonBody).as_deref(),
            Some("https://h/wopi/files/2?access_token=t")
        );
        assert_eq!(get("Version", StateSource::JsonBody).as_deref(), Some("12"));
        assert_eq!(
            get("IsEduUser", StateSource::JsonBody).as_deref(),
            Some("False")
        );
        assert_eq!(
            get("AncestorsWithRootFirst[-1:].Url", StateSource::JsonBody).as_deref(),
            Some("p")
        );
        assert_eq!(get("Null", StateSource::JsonBody), None);
        assert_eq!(get("Obj", StateSource::JsonBody), None);
        assert_eq!(get("Missing", StateSource::JsonBody), None);
        assert_eq!(
            get("x-wopi-itemversion", StateSource::Header).as_deref(),
            Some("v7")
        );
        assert_eq!(get("X-Empty", StateSource::Header), None);
        assert_eq!(get("X-Missing", StateSource::Header), None);

        let not_json = Response::new(200, vec![], b"<html>".to_vec(), true);
        assert_eq!(
            entry("k", "Url", StateSource::JsonBody).extract(&not_json),
            None
        );
        let binary = Response::new(200, vec![], br#"{"Url":"x"}"#.to_vec(), false);
        assert_eq!(
            entry("k", "Url", StateSource::JsonBody).extract(&binary),
            None
        );
    }

    #[test]
    fn saved_without_value_differs_from_never_saved() {
        let mut state = State::new("tok", "https://h/wopi/files/1");
        assert_eq!(state.non_empty(ORIGINAL_ACCESS_TOKEN), Some("tok"));
        let response = Response::new(200, vec![], b"{}".to_vec(), true);
        state.save_all(&[entry("NewUrl", "Url", StateSource::JsonBody)], &response);
        assert_eq!(state.lookup("NewUrl"), Some(None));
        assert_eq!(state.lookup("Other"), None);
        state.set("Empty", Some(String::new()));
        assert_eq!(state.non_empty("Empty"), None);
    }
}
