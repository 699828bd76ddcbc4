//! Microsoft Entra ID as an OpenID Connect identity provider ("Sign in with Microsoft"):
//! per-tenant discovery, the signing keys (JWKS), the authorize endpoint (authorization code flow
//! with PKCE), redeeming the code at the token endpoint, and the admin-consent endpoint.
//!
//! As at Entra, the tenant in the path is a tenant id, `common` or `organizations`. Id tokens are
//! RS256 JWTs with Entra's v2 claims, signed with fixed 2048-bit test keys (`src/keys/*.pem`,
//! made once with `openssl genpkey`; test material, published in this repository, used nowhere
//! else). The first key is published from the start; [`Emulator::rotate_signing_key`] publishes
//! the second and signs with it from then on; the third is never published.
//!
//! The "browser" has one session: the user named by [`Emulator::sign_in`] is the one signed in,
//! unless the authorize request names another with `login_hint` (a user principal name). With no
//! user the authorize endpoint shows a sign-in page (200, no redirect), as Entra would.
//!
//! Stricter than Entra, so that a client bug shows: the authorize request must carry
//! `code_challenge` with `code_challenge_method=S256`, and a code is burnt by its first
//! redemption attempt, successful or not.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::Emulator;
use crate::auth::aad_error;
use crate::error::EmulatorError;
use crate::shared::Shared;
use crate::state::{GraphState, IssuedToken, User};

/// Role template id of the Global Administrator role, as listed in the `wids` claim.
pub const GLOBAL_ADMINISTRATOR_TEMPLATE_ID: &str = "62e90394-69f5-4237-9190-012177145e10";
/// Role template id Entra lists in `wids` for every member user ("User").
const DEFAULT_USER_ROLE_TEMPLATE_ID: &str = "b79fbf4d-3ef9-4689-8143-76b194e85509";
/// How long an authorization code can be redeemed (Entra: about 10 minutes).
const CODE_LIFETIME: Duration = Duration::from_secs(600);

const PUBLISHED_PEMS: [&str; 2] = [
    include_str!("keys/signing-key-1.pem"),
    include_str!("keys/signing-key-2.pem"),
];
const UNPUBLISHED_PEM: &str = include_str!("keys/unpublished-key.pem");

/// An RSA signing key with its public half as JWK parameters.
pub(crate) struct SigningKey {
    /// `kid`: the RFC 7638 thumbprint of the public key.
    pub kid: String,
    encoding: EncodingKey,
    n: String,
    e: String,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    fn from_pem(pem: &str) -> Self {
        use rsa::pkcs1::EncodeRsaPrivateKey;
        use rsa::pkcs8::DecodePrivateKey;
        use rsa::traits::PublicKeyParts;
        let key = rsa::RsaPrivateKey::from_pkcs8_pem(pem)
            .expect("the fixed test key is a PKCS#8 RSA private key");
        let der = key
            .to_pkcs1_der()
            .expect("an RSA private key encodes as PKCS#1");
        let n = URL_SAFE_NO_PAD.encode(key.n().to_bytes_be());
        let e = URL_SAFE_NO_PAD.encode(key.e().to_bytes_be());
        let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(format!(
            r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#
        )));
        Self {
            kid,
            encoding: EncodingKey::from_rsa_der(der.as_bytes()),
            n,
            e,
        }
    }

    fn jwk(&self, origin: &str) -> Value {
        json!({
            "kty": "RSA",
            "use": "sig",
            "kid": self.kid,
            "n": self.n,
            "e": self.e,
            "issuer": format!("{origin}/{{tenantid}}/v2.0"),
        })
    }
}

#[derive(Debug)]
struct Keys {
    published: [SigningKey; 2],
    unpublished: SigningKey,
}

/// The keys, parsed once per process.
fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| Keys {
        published: PUBLISHED_PEMS.map(SigningKey::from_pem),
        unpublished: SigningKey::from_pem(UNPUBLISHED_PEM),
    })
}

/// An authorization code waiting to be redeemed.
#[derive(Debug)]
struct AuthCode {
    client_id: String,
    redirect_uri: String,
    code_challenge: String,
    user_id: String,
    nonce: Option<String>,
    scope: String,
    expires: Instant,
}

/// The identity provider's part of the emulator state.
#[derive(Debug)]
pub(crate) struct IdpState {
    /// Indices into the published keys, in publication order.
    published: Vec<usize>,
    /// Index of the key new tokens are signed with.
    current: usize,
    /// client_id → registered redirect URIs.
    redirect_uris: HashMap<String, Vec<String>>,
    /// The user id of the "browser" session.
    signed_in: Option<String>,
    /// Users holding the Global Administrator role.
    admins: HashSet<String>,
    /// Users whose id tokens say `xms_edov: true` (e-mail domain verified by its owner).
    email_verified: HashSet<String>,
    codes: HashMap<String, AuthCode>,
    redeemed: HashSet<String>,
    expire_next: bool,
    unpublished_next: bool,
    /// (tenant id, client id) pairs an admin consented to.
    consents: HashSet<(String, String)>,
    jwks_requests: u64,
}

impl Default for IdpState {
    fn default() -> Self {
        Self {
            published: vec![0],
            current: 0,
            redirect_uris: HashMap::new(),
            signed_in: None,
            admins: HashSet::new(),
            email_verified: HashSet::new(),
            codes: HashMap::new(),
            redeemed: HashSet::new(),
            expire_next: false,
            unpublished_next: false,
            consents: HashSet::new(),
            jwks_requests: 0,
        }
    }
}

/// How the tenant segment of a path was understood.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope<'a> {
    /// `common` or `organizations`: users of any tenant.
    AnyTenant,
    /// One tenant: only its users.
    Tenant(&'a str),
}

fn scope_of<'a>(st: &GraphState, segment: &'a str) -> Option<Scope<'a>> {
    match segment {
        "common" | "organizations" => Some(Scope::AnyTenant),
        t if st.tenants.contains_key(t) => Some(Scope::Tenant(t)),
        _ => None,
    }
}

/// The secret of an app registered in any tenant (client ids are globally unique).
fn app_secret<'a>(st: &'a GraphState, client_id: &str) -> Option<&'a String> {
    st.tenants.values().find_map(|t| t.apps.get(client_id))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn page(status: StatusCode, title: &str, message: &str) -> Response {
    let (t, m) = (escape(title), escape(message));
    let html = format!(
        "<!doctype html><html><head><title>{t}</title></head>\
         <body><h1>{t}</h1><p>{m}</p></body></html>"
    );
    (status, Html(html)).into_response()
}

/// An error page: the request is not sent back to the client (no redirect).
fn error_page(message: &str) -> Response {
    page(
        StatusCode::BAD_REQUEST,
        "Sorry, but we're having trouble signing you in.",
        message,
    )
}

fn login_page() -> Response {
    page(
        StatusCode::OK,
        "Sign in to your account",
        "No user is signed in to the emulator: call Emulator::sign_in or pass login_hint.",
    )
}

fn tenant_not_found() -> Response {
    error_page("AADSTS90002: Tenant not found.")
}

fn redirect(uri: &str, params: &[(&str, &str)]) -> Response {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        q.append_pair(k, v);
    }
    let sep = if uri.contains('?') { '&' } else { '?' };
    (
        StatusCode::FOUND,
        [(header::LOCATION, format!("{uri}{sep}{}", q.finish()))],
    )
        .into_response()
}

fn redirect_error(uri: &str, error: &str, description: &str, state: Option<&str>) -> Response {
    let mut params = vec![("error", error), ("error_description", description)];
    if let Some(s) = state {
        params.push(("state", s));
    }
    redirect(uri, &params)
}

/// The client must be registered and the redirect URI one of its own; otherwise Entra shows an
/// error page (the returned message) and sends nothing to the redirect URI.
fn check_client(st: &GraphState, client_id: &str, redirect_uri: &str) -> Result<(), &'static str> {
    if app_secret(st, client_id).is_none() {
        return Err("AADSTS700016: Application was not found in the directory.");
    }
    let registered = st
        .idp
        .redirect_uris
        .get(client_id)
        .is_some_and(|uris| uris.iter().any(|u| u == redirect_uri));
    if !registered {
        return Err(
            "AADSTS50011: The redirect URI specified in the request does not match the redirect \
             URIs configured for the application.",
        );
    }
    Ok(())
}

/// The user of this request: `login_hint` (a UPN) if given, else the session's user.
fn signed_in_user<'a>(st: &'a GraphState, login_hint: Option<&str>) -> Option<&'a User> {
    match login_hint.filter(|h| !h.is_empty()) {
        Some(hint) => st.users.values().find(|u| u.upn.eq_ignore_ascii_case(hint)),
        None => st.idp.signed_in.as_ref().and_then(|id| st.users.get(id)),
    }
}

fn random_token() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

type Params = HashMap<String, String>;

/// `GET /{tenant}/v2.0/.well-known/openid-configuration`
pub(crate) async fn openid_configuration(
    State(shared): State<Arc<Shared>>,
    Path(tenant): Path<String>,
) -> Response {
    let st = shared.lock();
    let Some(scope) = scope_of(&st, &tenant) else {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_tenant",
            "AADSTS90002: Tenant not found.",
        );
    };
    let o = &shared.origin;
    let issuer = match scope {
        Scope::AnyTenant => format!("{o}/{{tenantid}}/v2.0"),
        Scope::Tenant(t) => format!("{o}/{t}/v2.0"),
    };
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{o}/{tenant}/oauth2/v2.0/authorize"),
        "token_endpoint": format!("{o}/{tenant}/oauth2/v2.0/token"),
        "jwks_uri": format!("{o}/{tenant}/discovery/v2.0/keys"),
        "end_session_endpoint": format!("{o}/{tenant}/oauth2/v2.0/logout"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            "sub", "iss", "aud", "exp", "iat", "nbf", "nonce", "name", "preferred_username",
            "email", "oid", "tid", "ver", "wids"
        ],
        "request_uri_parameter_supported": false,
        "cloud_instance_name": "microsoftonline.com",
    }))
    .into_response()
}

/// `GET /{tenant}/discovery/v2.0/keys` (and so `/common/discovery/v2.0/keys`).
pub(crate) async fn jwks(
    State(shared): State<Arc<Shared>>,
    Path(tenant): Path<String>,
) -> Response {
    let mut st = shared.lock();
    if scope_of(&st, &tenant).is_none() {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_tenant",
            "AADSTS90002: Tenant not found.",
        );
    }
    st.idp.jwks_requests += 1;
    let ks = keys();
    let published: Vec<Value> = st
        .idp
        .published
        .iter()
        .map(|&i| ks.published[i].jwk(&shared.origin))
        .collect();
    Json(json!({ "keys": published })).into_response()
}

/// `GET /{tenant}/oauth2/v2.0/authorize`: signs the user in and redirects with a code.
pub(crate) async fn authorize(
    State(shared): State<Arc<Shared>>,
    Path(tenant): Path<String>,
    Query(q): Query<Params>,
) -> Response {
    let p = |k: &str| q.get(k).map(String::as_str);
    let mut st = shared.lock();
    let Some(scope) = scope_of(&st, &tenant) else {
        return tenant_not_found();
    };
    let client_id = p("client_id").unwrap_or_default();
    let redirect_uri = p("redirect_uri").unwrap_or_default();
    if let Err(message) = check_client(&st, client_id, redirect_uri) {
        return error_page(message);
    }
    let state = p("state");
    let fail =
        |error: &str, description: &str| redirect_error(redirect_uri, error, description, state);
    if p("response_type") != Some("code") {
        return fail(
            "unsupported_response_type",
            "AADSTS700054: the emulator serves response_type=code only.",
        );
    }
    if p("response_mode").is_some_and(|m| m != "query") {
        return fail(
            "invalid_request",
            "AADSTS900144: the emulator serves response_mode=query only.",
        );
    }
    let requested_scope = p("scope").unwrap_or_default();
    if !requested_scope.split(' ').any(|s| s == "openid") {
        return fail(
            "invalid_scope",
            "AADSTS70011: the scope must include openid for sign-in.",
        );
    }
    let challenge = p("code_challenge").unwrap_or_default();
    if challenge.is_empty() || p("code_challenge_method") != Some("S256") {
        return fail(
            "invalid_request",
            "AADSTS9002325: Proof Key for Code Exchange is required (code_challenge with \
             code_challenge_method=S256).",
        );
    }
    let Some(user) = signed_in_user(&st, p("login_hint")) else {
        if p("prompt") == Some("none") {
            return fail(
                "login_required",
                "AADSTS50058: A silent sign-in request was sent but no user is signed in.",
            );
        }
        return login_page();
    };
    if let Scope::Tenant(t) = scope
        && t != user.tenant_id
    {
        return error_page(
            "AADSTS50020: The user account does not exist in this tenant and cannot access the \
             application there.",
        );
    }
    let user_id = user.id.clone();
    let code = random_token();
    st.idp.codes.insert(
        code.clone(),
        AuthCode {
            client_id: client_id.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            code_challenge: challenge.to_owned(),
            user_id,
            nonce: p("nonce").map(str::to_owned),
            scope: requested_scope.to_owned(),
            expires: Instant::now() + CODE_LIFETIME,
        },
    );
    let mut params = vec![("code", code.as_str())];
    if let Some(s) = state {
        params.push(("state", s));
    }
    redirect(redirect_uri, &params)
}

fn invalid_grant(description: &str) -> Response {
    aad_error(StatusCode::BAD_REQUEST, "invalid_grant", description)
}

/// `POST /{tenant}/oauth2/v2.0/token` with `grant_type=authorization_code`.
pub(crate) fn redeem_code(shared: &Shared, tenant: &str, form: &Params) -> Response {
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
    let client_id = field("client_id");
    let (unsigned, access_token, scope) = {
        let mut st = shared.lock();
        let Some(path_scope) = scope_of(&st, tenant) else {
            return aad_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "AADSTS90002: tenant not found",
            );
        };
        match app_secret(&st, client_id) {
            None => {
                return aad_error(
                    StatusCode::BAD_REQUEST,
                    "unauthorized_client",
                    "AADSTS700016: application not found in the directory",
                );
            }
            Some(secret) if secret != field("client_secret") => {
                return aad_error(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    "AADSTS7000215: invalid client secret provided",
                );
            }
            Some(_) => {}
        }
        let code_value = field("code");
        let Some(code) = st.idp.codes.remove(code_value) else {
            return invalid_grant(if st.idp.redeemed.contains(code_value) {
                "AADSTS54005: OAuth2 Authorization code was already redeemed, please retry with \
                 a new valid code or use an existing refresh token."
            } else {
                "AADSTS70000: The provided value for the 'code' parameter is not valid."
            });
        };
        st.idp.redeemed.insert(code_value.to_owned());
        if code.expires <= Instant::now() {
            return invalid_grant(
                "AADSTS70008: The provided authorization code or refresh token has expired due \
                 to inactivity.",
            );
        }
        if code.client_id != client_id {
            return invalid_grant("AADSTS70000: The code was issued to another application.");
        }
        if code.redirect_uri != field("redirect_uri") {
            return invalid_grant(
                "AADSTS500117: The reply uri specified in the request does not match the reply \
                 uri the authorization code was issued for.",
            );
        }
        if pkce_challenge(field("code_verifier")) != code.code_challenge {
            return invalid_grant(
                "AADSTS501481: The Code_Verifier does not match the code_challenge supplied in \
                 the authorization request.",
            );
        }
        let user_tenant = match st.user(&code.user_id) {
            Ok(u) => u.tenant_id.clone(),
            Err(_) => return invalid_grant("AADSTS50034: The user account does not exist."),
        };
        if let Scope::Tenant(t) = path_scope
            && t != user_tenant
        {
            return invalid_grant("AADSTS50020: The user account does not exist in this tenant.");
        }
        let unsigned = match prepare_id_token(
            &mut st,
            &shared.origin,
            shared.config.token_lifetime,
            &code.user_id,
            client_id,
            code.nonce.as_deref(),
        ) {
            Ok(u) => u,
            Err(e) => return invalid_grant(&e.to_string()),
        };
        let access_token = format!("emu.{}", uuid::Uuid::new_v4().simple());
        st.tokens.insert(
            access_token.clone(),
            IssuedToken {
                tenant_id: user_tenant,
                app_id: client_id.to_owned(),
                expires: Instant::now() + shared.config.token_lifetime,
            },
        );
        (unsigned, access_token, code.scope)
    };
    // Signed outside the lock: RSA signing is slow in debug builds.
    let id_token = match unsigned.sign() {
        Ok(t) => t,
        Err(e) => {
            return aad_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                &e.to_string(),
            );
        }
    };
    let lifetime = shared.config.token_lifetime.as_secs();
    Json(json!({
        "token_type": "Bearer",
        "scope": scope,
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": access_token,
        "id_token": id_token,
    }))
    .into_response()
}

/// `GET /{tenant}/adminconsent` and `/{tenant}/v2.0/adminconsent`: an admin grants the app
/// access for their whole tenant; anyone else is refused with `error=access_denied`.
pub(crate) async fn admin_consent(
    State(shared): State<Arc<Shared>>,
    Path(tenant): Path<String>,
    Query(q): Query<Params>,
) -> Response {
    let p = |k: &str| q.get(k).map(String::as_str);
    let mut st = shared.lock();
    let Some(scope) = scope_of(&st, &tenant) else {
        return tenant_not_found();
    };
    let client_id = p("client_id").unwrap_or_default();
    let redirect_uri = p("redirect_uri").unwrap_or_default();
    if let Err(message) = check_client(&st, client_id, redirect_uri) {
        return error_page(message);
    }
    let state = p("state");
    let Some(user) = signed_in_user(&st, p("login_hint")) else {
        return login_page();
    };
    if let Scope::Tenant(t) = scope
        && t != user.tenant_id
    {
        return error_page("AADSTS50020: The user account does not exist in this tenant.");
    }
    if !st.idp.admins.contains(&user.id) {
        return redirect_error(
            redirect_uri,
            "access_denied",
            "AADSTS90094: The grant requires admin permission.",
            state,
        );
    }
    let tid = user.tenant_id.clone();
    st.idp.consents.insert((tid.clone(), client_id.to_owned()));
    let mut params = vec![("admin_consent", "True"), ("tenant", tid.as_str())];
    if let Some(s) = state {
        params.push(("state", s));
    }
    if let Some(s) = p("scope") {
        params.push(("scope", s));
    }
    redirect(redirect_uri, &params)
}

/// An id token's header and claims, and the key to sign them with.
pub(crate) struct UnsignedIdToken {
    header: Header,
    claims: Value,
    key: &'static SigningKey,
}

impl UnsignedIdToken {
    pub(crate) fn sign(&self) -> Result<String, EmulatorError> {
        jsonwebtoken::encode(&self.header, &self.claims, &self.key.encoding)
            .map_err(|e| EmulatorError::Signing(e.to_string()))
    }
}

/// Entra v2 id token claims for `user_id` signing in to `client_id`; consumes the one-shot
/// "expired" and "unpublished key" switches.
fn prepare_id_token(
    st: &mut GraphState,
    origin: &str,
    lifetime: Duration,
    user_id: &str,
    client_id: &str,
    nonce: Option<&str>,
) -> Result<UnsignedIdToken, EmulatorError> {
    let user = st.user(user_id)?;
    let (oid, tid, name, upn, mail) = (
        user.id.clone(),
        user.tenant_id.clone(),
        user.display_name.clone(),
        user.upn.clone(),
        user.mail.clone(),
    );
    let now = crate::time::now_millis().div_euclid(1000);
    let life = i64::try_from(lifetime.as_secs()).unwrap_or(3600).max(1);
    let (iat, exp) = if std::mem::take(&mut st.idp.expire_next) {
        (now - 2 * life, now - life)
    } else {
        (now, now + life)
    };
    let mut wids = vec![DEFAULT_USER_ROLE_TEMPLATE_ID];
    if st.idp.admins.contains(&oid) {
        wids.push(GLOBAL_ADMINISTRATOR_TEMPLATE_ID);
    }
    // Entra's `sub` is pairwise: unique per user and application.
    let sub = URL_SAFE_NO_PAD.encode(Sha256::digest(format!("{client_id}:{oid}")));
    let mut claims = json!({
        "aud": client_id,
        "iss": format!("{origin}/{tid}/v2.0"),
        "iat": iat,
        "nbf": iat,
        "exp": exp,
        "name": name,
        "oid": oid,
        "preferred_username": upn,
        "sub": sub,
        "tid": tid,
        "uti": uuid::Uuid::new_v4().simple().to_string(),
        "ver": "2.0",
        "wids": wids,
    });
    if !mail.is_empty() {
        claims["email"] = Value::String(mail);
        if st.idp.email_verified.contains(&oid) {
            claims["xms_edov"] = Value::Bool(true);
        }
    }
    if let Some(n) = nonce {
        claims["nonce"] = Value::String(n.to_owned());
    }
    let ks = keys();
    let key = if std::mem::take(&mut st.idp.unpublished_next) {
        &ks.unpublished
    } else {
        &ks.published[st.idp.current]
    };
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(key.kid.clone());
    Ok(UnsignedIdToken {
        header,
        claims,
        key,
    })
}

/// Identity provider mode: sign-in with Microsoft (OpenID Connect) and admin consent.
impl Emulator {
    /// Login authority's OpenID configuration URL for `tenant` (a tenant id, `common` or
    /// `organizations`).
    pub fn openid_configuration_url(&self, tenant: &str) -> String {
        format!(
            "{}/{tenant}/v2.0/.well-known/openid-configuration",
            self.shared.origin
        )
    }

    /// Authorize endpoint for `tenant`.
    pub fn authorize_url(&self, tenant: &str) -> String {
        format!("{}/{tenant}/oauth2/v2.0/authorize", self.shared.origin)
    }

    /// JWKS URL for `tenant` (`common` serves the same keys).
    pub fn jwks_url(&self, tenant: &str) -> String {
        format!("{}/{tenant}/discovery/v2.0/keys", self.shared.origin)
    }

    /// The `iss` of id tokens for users of `tenant_id`: `{origin}/{tenant_id}/v2.0`.
    pub fn issuer(&self, tenant_id: &str) -> String {
        format!("{}/{tenant_id}/v2.0", self.shared.origin)
    }

    /// Registers a redirect URI of an app (registered with [`Emulator::add_app`] in any tenant)
    /// for sign-in and admin consent.
    pub fn add_redirect_uri(
        &self,
        client_id: &str,
        redirect_uri: &str,
    ) -> Result<(), EmulatorError> {
        let mut st = self.shared.lock();
        if app_secret(&st, client_id).is_none() {
            return Err(EmulatorError::NotFound(format!("app {client_id}")));
        }
        let uris = st
            .idp
            .redirect_uris
            .entry(client_id.to_owned())
            .or_default();
        if !uris.iter().any(|u| u == redirect_uri) {
            uris.push(redirect_uri.to_owned());
        }
        Ok(())
    }

    /// Signs `user` (id or user principal name) in to the emulated browser session: the
    /// authorize and admin-consent endpoints act as this user unless `login_hint` names another.
    pub fn sign_in(&self, user: &str) -> Result<(), EmulatorError> {
        let mut st = self.shared.lock();
        let id = st.resolve_user(None, user)?;
        st.idp.signed_in = Some(id);
        Ok(())
    }

    /// Ends the browser session: authorize requests without `login_hint` then show the sign-in
    /// page.
    pub fn sign_out(&self) {
        self.shared.lock().idp.signed_in = None;
    }

    /// Makes `user` a Global Administrator of their tenant (or not): their id tokens list
    /// [`GLOBAL_ADMINISTRATOR_TEMPLATE_ID`] in `wids`, and they can grant admin consent.
    pub fn set_tenant_admin(&self, user: &str, admin: bool) -> Result<(), EmulatorError> {
        let mut st = self.shared.lock();
        let id = st.resolve_user(None, user)?;
        if admin {
            st.idp.admins.insert(id);
        } else {
            st.idp.admins.remove(&id);
        }
        Ok(())
    }

    /// Whether `user`'s id tokens carry the optional claim `xms_edov: true` (Entra: the domain
    /// of the `email` claim is verified by the tenant that owns it).
    pub fn set_email_verified(&self, user: &str, verified: bool) -> Result<(), EmulatorError> {
        let mut st = self.shared.lock();
        let id = st.resolve_user(None, user)?;
        if verified {
            st.idp.email_verified.insert(id);
        } else {
            st.idp.email_verified.remove(&id);
        }
        Ok(())
    }

    /// Issues an id token for `user` of `tenant_id` signing in to `client_id`, as the token
    /// endpoint would (honours the one-shot switches below).
    pub fn issue_id_token(
        &self,
        tenant_id: &str,
        user: &str,
        client_id: &str,
        nonce: Option<&str>,
    ) -> Result<String, EmulatorError> {
        let unsigned = {
            let mut st = self.shared.lock();
            if !st.tenants.contains_key(tenant_id) {
                return Err(EmulatorError::UnknownTenant(tenant_id.to_owned()));
            }
            let id = st.resolve_user(Some(tenant_id), user)?;
            prepare_id_token(
                &mut st,
                &self.shared.origin,
                self.shared.config.token_lifetime,
                &id,
                client_id,
                nonce,
            )?
        };
        unsigned.sign()
    }

    /// The next id token issued is already expired (`exp` one token lifetime ago).
    pub fn expire_next_id_token(&self) {
        self.shared.lock().idp.expire_next = true;
    }

    /// The next id token issued is signed with a key the JWKS never publishes.
    pub fn sign_next_id_token_with_unpublished_key(&self) {
        self.shared.lock().idp.unpublished_next = true;
    }

    /// Rotates the signing key: publishes the other fixed key (both stay published) and signs
    /// with it from now on; returns its `kid`. Calling it again switches back.
    pub fn rotate_signing_key(&self) -> String {
        let mut st = self.shared.lock();
        let next = (st.idp.current + 1) % PUBLISHED_PEMS.len();
        if !st.idp.published.contains(&next) {
            st.idp.published.push(next);
        }
        st.idp.current = next;
        keys().published[next].kid.clone()
    }

    /// `kid` of the key new id tokens are signed with.
    pub fn signing_key_id(&self) -> String {
        keys().published[self.shared.lock().idp.current].kid.clone()
    }

    /// `kid`s the JWKS publishes, oldest first.
    pub fn published_key_ids(&self) -> Vec<String> {
        let ks = keys();
        self.shared
            .lock()
            .idp
            .published
            .iter()
            .map(|&i| ks.published[i].kid.clone())
            .collect()
    }

    /// Number of JWKS requests served (any tenant path).
    pub fn jwks_request_count(&self) -> u64 {
        self.shared.lock().idp.jwks_requests
    }

    /// Whether an admin of `tenant_id` granted admin consent to `client_id`.
    pub fn has_admin_consent(&self, tenant_id: &str, client_id: &str) -> bool {
        self.shared
            .lock()
            .idp
            .consents
            .contains(&(tenant_id.to_owned(), client_id.to_owned()))
    }
}
