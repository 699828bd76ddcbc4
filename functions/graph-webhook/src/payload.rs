//! The JSON Graph posts to the notification and lifecycle URLs.

use serde::Deserialize;

/// `{"value": [...]}`: one POST may carry many notifications, for different subscriptions.
#[derive(Debug, Deserialize)]
pub(crate) struct Envelope {
    /// The notifications.
    pub value: Vec<Notification>,
}

/// One notification. Only what routing and checking need is read; the rest (resource,
/// resourceData, tenantId, ...) is ignored and never logged.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Notification {
    /// Graph's subscription id.
    #[serde(default)]
    pub subscription_id: Option<String>,
    /// The secret we gave at subscription time.
    #[serde(default)]
    pub client_state: Option<String>,
    /// Lifecycle notifications only: what happened to the subscription.
    #[serde(default)]
    pub lifecycle_event: Option<String>,
}

/// Parses a body; `None` when it is not JSON of the expected shape.
pub(crate) fn parse(body: &[u8]) -> Option<Envelope> {
    serde_json::from_slice(body).ok()
}

/// The decoded `validationToken` of a query string, if present.
pub(crate) fn validation_token(query: Option<&str>) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == "validationToken")
        .map(|(_, v)| v.into_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_validation_token_is_url_decoded() {
        assert_eq!(
            validation_token(Some("tenant=t1&validationToken=a%2Fb%20c%3C")).as_deref(),
            Some("a/b c<")
        );
        assert_eq!(validation_token(Some("tenant=t1")), None);
        assert_eq!(validation_token(None), None);
    }

    #[test]
    fn bodies_without_a_value_array_are_rejected() {
        assert!(parse(b"{}").is_none());
        assert!(parse(b"not json").is_none());
        assert!(parse(br#"{"value": {}}"#).is_none());
        assert!(parse(br#"{"value": [1]}"#).is_none());
        let e = parse(br#"{"value":[{"subscriptionId":"s","clientState":"c","resourceData":{}}]}"#)
            .unwrap();
        assert_eq!(e.value[0].subscription_id.as_deref(), Some("s"));
        assert_eq!(e.value[0].client_state.as_deref(), Some("c"));
    }
}
