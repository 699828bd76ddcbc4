//! Where to sign in and who may: the app registration and the tenant allow-list.

use secrecy::SecretString;

use crate::IdentityError;

/// Microsoft Entra ID's login authority (global cloud).
pub const ENTRA_AUTHORITY: &str = "https://login.microsoftonline.com";

/// Tenant id of personal Microsoft accounts (outlook.com, …): never a Microsoft 365
/// organisation, so [`AllowedTenants::Any`] does not include it.
pub const CONSUMERS_TENANT_ID: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";

/// Which Entra tenants may sign in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedTenants {
    /// Users of any organisation (work or school account); sign-in goes through the
    /// `organizations` endpoint. Personal accounts ([`CONSUMERS_TENANT_ID`]) are refused.
    Any,
    /// Only these tenant ids. With exactly one, sign-in goes through that tenant's endpoint.
    List(Vec<String>),
}

impl AllowedTenants {
    /// Whether users of tenant `tid` may sign in.
    pub fn allows(&self, tid: &str) -> bool {
        match self {
            AllowedTenants::Any => !tid.eq_ignore_ascii_case(CONSUMERS_TENANT_ID),
            AllowedTenants::List(ids) => ids.iter().any(|t| t.eq_ignore_ascii_case(tid)),
        }
    }
}

/// The app registration used for sign-in.
#[derive(Debug, Clone)]
pub struct OidcConfig {
    /// Login authority without a trailing path: [`ENTRA_AUTHORITY`], or the Graph emulator's
    /// origin in tests. Must be https (plain http only on 127.0.0.1/localhost).
    pub authority: String,
    /// The application (client) id.
    pub client_id: String,
    /// The client secret (the app is a confidential web client).
    pub client_secret: SecretString,
    /// The redirect URI registered for the app (our callback page).
    pub redirect_uri: String,
    /// Who may sign in.
    pub allowed_tenants: AllowedTenants,
}

/// `http://127.0.0.1…`, `http://localhost…` or `http://[::1]…`: plain http is allowed only to
/// this machine (tests, the local runner).
pub(crate) fn is_loopback_http(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    ["127.0.0.1", "localhost", "[::1]"].iter().any(|host| {
        rest.strip_prefix(host)
            .is_some_and(|tail| tail.is_empty() || tail.starts_with([':', '/']))
    })
}

fn check_url(what: &str, url: &str) -> Result<(), IdentityError> {
    if url.starts_with("https://") || is_loopback_http(url) {
        Ok(())
    } else {
        Err(IdentityError::Config(format!(
            "{what} must be https (plain http only on 127.0.0.1/localhost)"
        )))
    }
}

impl OidcConfig {
    /// Checks the configuration once, at start: https URLs, a client id, a non-empty allow-list.
    pub fn validate(&self) -> Result<(), IdentityError> {
        check_url("authority", &self.authority)?;
        check_url("redirect_uri", &self.redirect_uri)?;
        if self.client_id.trim().is_empty() {
            return Err(IdentityError::Config("client_id is empty".into()));
        }
        if let AllowedTenants::List(ids) = &self.allowed_tenants
            && (ids.is_empty() || ids.iter().any(|t| t.trim().is_empty()))
        {
            return Err(IdentityError::Config(
                "allowed_tenants lists no tenant or an empty one".into(),
            ));
        }
        Ok(())
    }

    /// The authority without a trailing slash.
    pub fn authority(&self) -> &str {
        self.authority.trim_end_matches('/')
    }

    /// The tenant segment sign-in goes through: the only allowed tenant, else `organizations`.
    pub fn sign_in_tenant(&self) -> &str {
        match &self.allowed_tenants {
            AllowedTenants::List(ids) if ids.len() == 1 => &ids[0],
            _ => "organizations",
        }
    }

    /// `{authority}/{tenant}/oauth2/v2.0/authorize`
    pub fn authorize_endpoint(&self, tenant: &str) -> String {
        format!("{}/{tenant}/oauth2/v2.0/authorize", self.authority())
    }

    /// `{authority}/{tenant}/oauth2/v2.0/token`
    pub fn token_endpoint(&self, tenant: &str) -> String {
        format!("{}/{tenant}/oauth2/v2.0/token", self.authority())
    }

    /// `{authority}/common/discovery/v2.0/keys`: the keys Entra signs id tokens of every tenant
    /// with.
    pub fn jwks_uri(&self) -> String {
        format!("{}/common/discovery/v2.0/keys", self.authority())
    }

    /// Entra's multi-tenant issuer: `{authority}/{tenantid}/v2.0`, where `{tenantid}` stands
    /// for the token's own `tid`.
    pub fn issuer_template(&self) -> String {
        format!("{}/{{tenantid}}/v2.0", self.authority())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(authority: &str, tenants: AllowedTenants) -> OidcConfig {
        OidcConfig {
            authority: authority.into(),
            client_id: "app".into(),
            client_secret: SecretString::from("s"),
            redirect_uri: "https://bridge.example/auth/callback".into(),
            allowed_tenants: tenants,
        }
    }

    #[test]
    fn plain_http_authority_is_allowed_only_on_this_machine() {
        assert!(
            config(ENTRA_AUTHORITY, AllowedTenants::Any)
                .validate()
                .is_ok()
        );
        assert!(
            config("http://127.0.0.1:4000", AllowedTenants::Any)
                .validate()
                .is_ok()
        );
        assert!(
            config("http://localhost", AllowedTenants::Any)
                .validate()
                .is_ok()
        );
        for bad in [
            "http://login.example",
            "http://127.0.0.1.evil.example",
            "ftp://x",
        ] {
            assert!(matches!(
                config(bad, AllowedTenants::Any).validate(),
                Err(IdentityError::Config(_))
            ));
        }
        assert!(
            config(ENTRA_AUTHORITY, AllowedTenants::List(vec![]))
                .validate()
                .is_err()
        );
    }

    #[test]
    fn any_tenant_excludes_personal_accounts_and_one_listed_tenant_is_the_endpoint() {
        assert!(AllowedTenants::Any.allows("72f988bf-86f1-41af-91ab-2d7cd011db47"));
        assert!(!AllowedTenants::Any.allows(CONSUMERS_TENANT_ID));
        let one = config(ENTRA_AUTHORITY, AllowedTenants::List(vec!["t1".into()]));
        assert_eq!(one.sign_in_tenant(), "t1");
        assert!(one.allowed_tenants.allows("T1"));
        assert!(!one.allowed_tenants.allows("t2"));
        let any = config("https://login.example/", AllowedTenants::Any);
        assert_eq!(any.sign_in_tenant(), "organizations");
        assert_eq!(
            any.token_endpoint("organizations"),
            "https://login.example/organizations/oauth2/v2.0/token"
        );
        assert_eq!(
            any.issuer_template(),
            "https://login.example/{tenantid}/v2.0"
        );
    }
}
