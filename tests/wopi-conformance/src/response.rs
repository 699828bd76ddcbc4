//! A received HTTP response, in the shape the validators read it.

use serde_json::{Map, Value};

/// Status, headers and body of one response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// Header names and values in arrival order (repeated names are kept).
    pub headers: Vec<(String, String)>,
    /// Raw body bytes.
    pub body: Vec<u8>,
    /// The body decoded as UTF-8 text (BOM stripped, invalid bytes replaced) when the request
    /// expects a textual response; `None` for GetFile, whose body the validator never decodes.
    pub text: Option<String>,
}

impl Response {
    /// Builds a response; `text_expected` is false only for GetFile.
    pub fn new(
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        text_expected: bool,
    ) -> Self {
        let text = text_expected.then(|| {
            let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&body);
            String::from_utf8_lossy(body).into_owned()
        });
        Self {
            status,
            headers,
            body,
            text,
        }
    }

    /// Header value by case-insensitive name; repeated headers are joined with `,` as .NET's
    /// `WebHeaderCollection` does.
    pub fn header(&self, name: &str) -> Option<String> {
        let values: Vec<&str> = self
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect();
        (!values.is_empty()).then(|| values.join(","))
    }

    /// The body text parsed as a JSON object (`JObject.Load`), or why that failed.
    pub(crate) fn json_object(&self) -> Result<Map<String, Value>, String> {
        let text = self.text.as_deref().unwrap_or_default();
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(other) => Err(format!(
                "expected a JSON object, got {}",
                crate::dotnet::token_type(&other)
            )),
            Err(e) => Err(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lookup_is_case_insensitive_and_joins_repeats() {
        let r = Response::new(
            200,
            vec![
                ("X-WOPI-Lock".into(), "a".into()),
                ("x-wopi-lock".into(), "b".into()),
                ("Empty".into(), String::new()),
            ],
            b"\xEF\xBB\xBF{\"a\":1}".to_vec(),
            true,
        );
        assert_eq!(r.header("x-WOPI-LOCK").as_deref(), Some("a,b"));
        assert_eq!(r.header("empty").as_deref(), Some(""));
        assert_eq!(r.header("missing"), None);
        assert_eq!(r.text.as_deref(), Some("{\"a\":1}"));
        assert!(r.json_object().is_ok());
        assert!(
            Response::new(200, vec![], b"[]".to_vec(), true)
                .json_object()
                .is_err()
        );
        assert_eq!(
            Response::new(200, vec![], b"bytes".to_vec(), false).text,
            None
        );
    }
}
